/* SPDX-License-Identifier: MIT */
/*
 * Walks per second for each paging form, cold (random over a large guest whose
 * tables are scattered through memory) and warm (a few pages, cache resident),
 * each beside a same-run baseline: a dependent pointer chase that performs the
 * same loads, at the same addresses, in the same order as the walks.
 *
 *   bench_walk [--smoke] [--pages N] [--rounds R]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_common.h"
#include "cpu/err.h"
#include "cpu/features.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/walk.h"

#define SLOT_SIZE (16ULL << 30) /* guest RAM: tables are scattered over all of it */
#define EPT_BASE (8ULL << 30) /* second half holds the EPT tables of the nested case */
#define WARM_PAGES 64

struct rng {
	u64 s;
};

static u64 rng_next(struct rng *r)
{
	/* xorshift64*: deterministic, seeded per case */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

/* Allocates table pages at random free frames in [lo, hi): scattered like a real guest's. */
struct scatter {
	struct gmem *m;
	struct rng rng;
	u64 lo, hi;
	u8 *used; /* one byte per frame of [lo, hi) */
};

static int scatter_alloc(void *ctx, u64 *pa)
{
	struct scatter *s = ctx;
	u64 frames = (s->hi - s->lo) >> PAGE_SHIFT;
	static const u8 zero[4096];

	for (int tries = 0; tries < 1000; tries++) {
		u64 f = rng_next(&s->rng) % frames;

		if (s->used[f])
			continue;
		s->used[f] = 1;
		*pa = s->lo + (f << PAGE_SHIFT);
		return gmem_write_host(s->m, 0, *pa, zero, sizeof(zero));
	}
	return MSC_ENOSPC;
}

struct bcase {
	const char *name;
	enum walk_fmt fmt;
	u8 levels;
	bool nested; /* 4-level guest over 4-level EPT */
};

static const struct bcase cases[] = {
	{"32-bit", WALK_FMT_32, 2, false},	 {"PAE", WALK_FMT_PAE, 3, false},
	{"4-level", WALK_FMT_4LVL, 4, false},	 {"5-level", WALK_FMT_5LVL, 5, false},
	{"EPT 4-level", WALK_FMT_EPT, 4, false}, {"4-level + EPT", WALK_FMT_4LVL, 4, true},
};

/* A random linear address in the range the format can map. */
static u64 rand_va(struct rng *r, const struct bcase *c)
{
	u64 v = rng_next(r);

	switch (c->levels) {
	case 2:
	case 3:
		return v & GENMASK_ULL(31, 12);
	case 4:
		return v & GENMASK_ULL(46, 12); /* lower canonical half */
	default:
		return v & GENMASK_ULL(55, 12);
	}
}

struct setup {
	struct gmem *m;
	struct walk_cfg g, n;
	struct walk_gmem_ctx wctx;
	struct walk_ctx ctx;
	u64 *va; /* sample addresses */
	u64 nva;
	const u64 **chase; /* per sample, per load: host address of the entry */
	unsigned loads; /* loads per walk */
	unsigned esize; /* entry size: 4 (32-bit paging) or 8 */
};

static volatile u64 opaque_zero; /* keeps the chase's dependency without changing addresses */

static double run_walks(struct setup *s, u64 n, u64 *sink)
{
	struct walk_req req = {.acc = WALK_ACC_READ, .cpl = 0, .flags = WALK_F_PROBE};
	struct walk_result res;
	double t0 = now_ns();
	u64 acc = 0;

	for (u64 i = 0; i < n; i++) {
		req.addr = s->va[i % s->nva] ^ (acc & opaque_zero);
		walk_translate(&s->ctx, &req, &res);
		acc += res.gpa;
	}
	*sink += acc;
	return now_ns() - t0;
}

static double run_chase(struct setup *s, u64 n, u64 *sink)
{
	u64 zero = opaque_zero, v = 0;
	double t0 = now_ns();

	for (u64 i = 0; i < n; i++) {
		const u64 *const *addrs = &s->chase[(i % s->nva) * s->loads];

		/* 32-bit paging's entries are 4 bytes: load them at their width. */
		if (s->esize == 4)
			for (unsigned k = 0; k < s->loads; k++)
				v = *(const volatile u32 *)((uintptr_t)addrs[k] + (v & zero));
		else
			for (unsigned k = 0; k < s->loads; k++)
				v = *(const volatile u64 *)((uintptr_t)addrs[k] + (v & zero));
	}
	*sink += v;
	return now_ns() - t0;
}

/* Map guest-physical page @pg to itself in EPT unless it is mapped already. */
static int ept_identity(struct pt_builder *be, u64 pg)
{
	u64 e = 0;

	if (!pt_get_entry(be, pg, 1, &e) && (e & 7))
		return 0;
	return pt_map(be, pg, pg, PAGE_SIZE, EPT_R | EPT_W | EPT_X | EPT_MT_WB);
}

static int build(struct setup *s, const struct bcase *c, const struct cpu_features *f, u64 pages,
		 u64 nsamples, u64 seed)
{
	/* 32-bit and PAE CR3 and 32-bit entries hold 32-bit table addresses. */
	u64 table_top = c->levels <= 3 ? (4ULL << 30) : c->nested ? EPT_BASE : SLOT_SIZE;
	struct scatter sc = {.rng = {seed}, .lo = PAGE_SIZE, .hi = table_top};
	struct scatter se = {.rng = {seed ^ 0x5555}, .lo = EPT_BASE, .hi = SLOT_SIZE};
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = SLOT_SIZE};
	struct pt_builder b, be;
	struct cpu_regs r = {0};
	struct walk_result res;
	struct walk_req req = {.acc = WALK_ACC_READ, .flags = WALK_F_PROBE};
	struct rng vr = {seed * 7 + 1};
	u64 i;

	if (gmem_create(&s->m, 0) || gmem_slot_add(s->m, &d))
		return -1;
	sc.m = se.m = s->m;
	sc.used = calloc((sc.hi - sc.lo) >> PAGE_SHIFT, 1);
	se.used = calloc((se.hi - se.lo) >> PAGE_SHIFT, 1);
	if (!sc.used || !se.used)
		return -1;

	b = (struct pt_builder){.m = s->m,
				.fmt = c->fmt,
				.levels = c->levels,
				.upper_flags = pt_default_upper_flags(c->fmt),
				.alloc = scatter_alloc,
				.alloc_ctx = &sc};
	if (scatter_alloc(&sc, &b.root))
		return -1;
	s->va = calloc(nsamples, sizeof(*s->va));
	if (!s->va)
		return -1;
	s->nva = nsamples;
	for (i = 0; i < pages; i++) {
		u64 va = rand_va(&vr, c);
		u64 pa = (rng_next(&vr) % (sc.hi >> PAGE_SHIFT)) << PAGE_SHIFT;
		u64 leaf = c->fmt == WALK_FMT_EPT ? (EPT_R | EPT_W | EPT_X | EPT_MT_WB)
						  : (PT_P | PT_W);

		if (pt_map(&b, va, pa, PAGE_SIZE, leaf))
			return -1;
		if (i < nsamples)
			s->va[i] = va;
	}
	for (; i < nsamples; i++)
		s->va[i] = s->va[i % pages];

	/* The walker's configuration. */
	r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	r.cr3 = b.root;
	switch (c->fmt) {
	case WALK_FMT_32:
		break;
	case WALK_FMT_PAE:
		r.cr4 = X86_CR4_PAE;
		for (int k = 0; k < 4; k++)
			if (gmem_read64(s->m, 0, b.root + 8u * (unsigned)k, &r.pdpte[k]))
				return -1;
		break;
	case WALK_FMT_4LVL:
		r.cr4 = X86_CR4_PAE;
		r.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		break;
	case WALK_FMT_5LVL:
		r.cr4 = X86_CR4_PAE | X86_CR4_LA57;
		r.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		break;
	case WALK_FMT_EPT:
	case WALK_FMT_NONE:
		break;
	}
	if (c->fmt == WALK_FMT_EPT)
		walk_cfg_ept(&s->g, b.root | (3u << 3) | 6u, f);
	else
		walk_cfg_from_regs(&s->g, &r, f);
	s->wctx = (struct walk_gmem_ctx){.m = s->m, .as = 0};
	walk_mem_gmem(&s->ctx.mem, &s->wctx);
	s->ctx.g = &s->g;
	s->ctx.n = NULL;

	if (c->nested) {
		/* Identity-map every guest-physical 2 MiB region the guest uses through EPT
		 * with 4 KiB pages, so the second stage walks 4 levels for each access. */
		be = (struct pt_builder){.m = s->m,
					 .fmt = WALK_FMT_EPT,
					 .levels = 4,
					 .upper_flags = pt_default_upper_flags(WALK_FMT_EPT),
					 .alloc = scatter_alloc,
					 .alloc_ctx = &se};
		if (scatter_alloc(&se, &be.root))
			return -1;
		for (i = 0; i < nsamples; i++) {
			req.addr = s->va[i];
			walk_translate(&s->ctx, &req, &res);
			for (u32 k = 0; k < res.nsteps; k++)
				if (ept_identity(&be, res.steps[k].pte_addr & PAGE_MASK))
					return -1;
			if (ept_identity(&be, res.gpa & PAGE_MASK))
				return -1;
		}
		walk_cfg_ept(&s->n, be.root | (3u << 3) | 6u, f);
		s->ctx.n = &s->n;
	}

	/* Record the host address of every load of every sample walk. */
	req.addr = s->va[0];
	walk_translate(&s->ctx, &req, &res);
	s->loads = res.refs;
	s->esize = c->fmt == WALK_FMT_32 ? 4 : 8;
	s->chase = calloc(nsamples * s->loads, sizeof(*s->chase));
	if (!s->chase)
		return -1;
	for (i = 0; i < nsamples; i++) {
		req.addr = s->va[i];
		if (!walk_translate(&s->ctx, &req, &res) || res.refs != s->loads)
			return -1;
		unsigned k = 0;

		/* PAE PDPTEs come from registers: not a memory reference. */
		for (u32 st = 0; st < res.nsteps && k < s->loads; st++)
			if (!(res.steps[st].flags & WALK_STEP_PDPTR))
				s->chase[i * s->loads + k++] =
					gmem_hva(s->m, 0, res.steps[st].pte_pa,
						 c->fmt == WALK_FMT_32 ? 4 : 8);
		if (k != s->loads)
			return -1;
	}
	free(sc.used);
	free(se.used);
	return 0;
}

static void teardown(struct setup *s)
{
	free(s->va);
	free(s->chase);
	gmem_destroy(s->m);
	memset(s, 0, sizeof(*s));
}

/* Median over @rounds of (walk time / chase time) and of walk ns per walk;
 * walks and chases alternate within each round so drift hits both alike. */
static void measure(struct setup *s, u64 n, int rounds, double *ratio, double *ns, double *chase_ns)
{
	double rr[32], wn[32], cn[32];
	u64 sink = 0;

	if (rounds > 32)
		rounds = 32;
	run_walks(s, n / 4 + 1, &sink); /* warm-up */
	run_chase(s, n / 4 + 1, &sink);
	for (int k = 0; k < rounds; k++) {
		double w = run_walks(s, n, &sink);
		double c = run_chase(s, n, &sink);

		rr[k] = w / c;
		wn[k] = w / (double)n;
		cn[k] = c / (double)n;
	}
	qsort(rr, (size_t)rounds, sizeof(double), cmp_double);
	qsort(wn, (size_t)rounds, sizeof(double), cmp_double);
	qsort(cn, (size_t)rounds, sizeof(double), cmp_double);
	*ratio = rr[rounds / 2];
	*ns = wn[rounds / 2];
	*chase_ns = cn[rounds / 2];
	if (sink == 42)
		puts(""); /* keep the sums alive */
}

int main(int argc, char **argv)
{
	u64 pages = 1u << 16, walks = 1u << 20;
	int rounds = 5;
	struct cpu_features f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			pages = 256;
			walks = 4096;
			rounds = 1;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_walk [--smoke] [--pages N] [--rounds R]\n");
			return 2;
		}
	}
	if (pages < WARM_PAGES || rounds < 1)
		pages = WARM_PAGES;
	cpu_features_default(&f, CPU_VENDOR_INTEL);

	printf("bench_walk: %" PRIu64 " mapped pages, %" PRIu64 " walks x %d rounds, median\n",
	       pages, walks, rounds);
	printf("%-14s %-5s %6s %10s %10s %12s %8s\n", "mode", "set", "loads", "walk ns", "chase ns",
	       "walks/s", "ratio");
	for (size_t i = 0; i < MSC_ARRAY_SIZE(cases); i++) {
		const struct bcase *c = &cases[i];

		for (int warm = 0; warm <= 1; warm++) {
			struct setup s = {0};
			u64 nsamples = warm ? WARM_PAGES : pages;
			double ratio, ns, cns;

			if (build(&s, c, &f, warm ? WARM_PAGES : pages, nsamples, 1234 + i)) {
				fprintf(stderr, "bench_walk: %s: set-up failed\n", c->name);
				return 1;
			}
			measure(&s, walks, rounds, &ratio, &ns, &cns);
			printf("%-14s %-5s %6u %10.1f %10.1f %12.0f %7.2fx\n", c->name,
			       warm ? "warm" : "cold", s.loads, ns, cns, 1e9 / ns, ratio);
			teardown(&s);
		}
	}
	return 0;
}
