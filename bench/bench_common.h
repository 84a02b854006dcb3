/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks share: a monotonic clock, medians of repeated rounds, and
 * invariant checks that make a run exit 1 instead of reporting wrong figures.
 * Each bench_*.c is its own program; these helpers are static inline.
 */
#ifndef MSC_BENCH_COMMON_H
#define MSC_BENCH_COMMON_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu/types.h"

/* Invariant violations seen so far (the program exits 1 when any). */
static int bench_violations;

/* Record a violation of @what for program @prog unless @ok. */
static inline void bench_check(const char *prog, bool ok, const char *what, u64 want, u64 got)
{
	if (ok)
		return;
	fprintf(stderr, "%s: violated: %s: want %" PRIu64 " got %" PRIu64 "\n", prog, what, want,
		got);
	bench_violations++;
}

/* Monotonic time in nanoseconds. */
static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort comparator for doubles. */
static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n values (sorts them in place). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

#endif
