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
#include "mmu/root.h"

/* Rounds a measurement may take (medians are over them). */
#define MAX_ROUNDS 32

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

/* Medians over the rounds of a fault measurement (ns per operation), and the
 * shadow pages one round created. */
struct fault_fig {
	double fault_ns, spur_ns, walk_ns, ratio, spur_ratio;
	u64 sps;
};

/* Per-round ns per operation of a fault measurement. */
struct fault_rounds {
	double fn[MAX_ROUNDS], sn[MAX_ROUNDS], wn[MAX_ROUNDS], rr[MAX_ROUNDS], sr[MAX_ROUNDS];
};

/* Round @k took @w ns for @n baseline walks, @f for the faults, @sp for the
 * spurious refaults. */
static inline void fault_rounds_put(struct fault_rounds *r, int k, double n, double w, double f,
				    double sp)
{
	r->wn[k] = w / n;
	r->fn[k] = f / n;
	r->sn[k] = sp / n;
	r->rr[k] = f / w;
	r->sr[k] = sp / w;
}

/* The medians of @rounds rounds into @out (sps left as it is). */
static inline void fault_rounds_fig(struct fault_rounds *r, int rounds, struct fault_fig *out)
{
	out->walk_ns = median(r->wn, rounds);
	out->fault_ns = median(r->fn, rounds);
	out->spur_ns = median(r->sn, rounds);
	out->ratio = median(r->rr, rounds);
	out->spur_ratio = median(r->sr, rounds);
}

/* The counters after @n faults that each installed a 4K SPTE and @n spurious
 * refaults of the same pages, with nothing injected or emulated. */
static inline void bench_check_fault_counters(const char *prog, const struct mmu_vcpu *v,
					      const struct mmu_vm *vm, u64 n)
{
	bench_check(prog, v->pf_taken == 2 * n, "pf_taken", 2 * n, v->pf_taken);
	bench_check(prog, v->pf_fixed == n, "pf_fixed", n, v->pf_fixed);
	bench_check(prog, v->pf_spurious == n, "pf_spurious", n, v->pf_spurious);
	bench_check(prog, v->pf_guest == 0 && v->pf_emulate == 0, "pf_guest + pf_emulate", 0,
		    v->pf_guest + v->pf_emulate);
	bench_check(prog, vm->stats.pages_4k == n, "pages_4k", n, vm->stats.pages_4k);
}

#endif
