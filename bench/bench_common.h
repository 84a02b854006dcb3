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

#include "cpu/mem.h"
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

/* Host frame of a guest frame: BENCH_PFN_BASE + gfn wherever a memslot of the gmem
 * @ctx holds it (the engine's scheme, without aliases), always writable. */
#define BENCH_PFN_BASE (1ULL << 28)
static inline bool bench_gfn_to_pfn(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable)
{
	const struct gmem *m = ctx;

	if (!gmem_slot_find(m, as, gfn << PAGE_SHIFT, NULL))
		return false;
	*pfn = BENCH_PFN_BASE + gfn;
	*writable = true;
	return true;
}

/* The two page layouts: consecutive pages, or one page per 2 MiB region at a
 * varying offset (so every fault needs a new level-1 table and the leaf index
 * differs from page to page). */
enum layout { DENSE, SPARSE };
static const char *const layout_names[2] = {"dense", "sparse"};

/* Page @i's byte offset in @l. */
static inline u64 layout_off(enum layout l, u64 i)
{
	if (l == DENSE)
		return i << PAGE_SHIFT;
	return (i << 21) + ((i & 511) << PAGE_SHIFT);
}

#endif
