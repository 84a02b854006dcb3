/* SPDX-License-Identifier: MIT */
/*
 * The shadow MMU's two hot paths, each beside a baseline measured in the same run:
 *
 * - shadow faults: a 4-level guest maps N fresh 4 KiB pages in its own tables;
 *   every page is faulted once through mmu_page_fault() on a fresh VM (write
 *   fault at CPL 0 on a not-present SPTE), then once more (spurious: the SPTE is
 *   already there). Baseline: walk_translate() of the same addresses over the
 *   same guest tables -- the guest walk every shadow fault performs -- so the
 *   ratio is KVM's bookkeeping on top of it. Two layouts: "dense" (consecutive
 *   pages, one new guest page table every 512 faults) and "sparse" (one page per
 *   2 MiB region, so every fault also creates a level-1 shadow page);
 * - CR3 switches: mmu_new_pgd() (+ mmu_load() when the root is invalid) cycling
 *   among 4 address spaces, which the current root and the 3 prev_roots all hold
 *   (every switch hits). Baseline: the same loop over 5 address spaces, where
 *   every switch misses, evicts the LRU root and loads one (finding its shadow
 *   page in the hash).
 *
 *   bench_shadow [--smoke] [--pages N] [--switches M] [--rounds R]
 *
 * Every run checks the invariants (return codes, pf_* and root_stats counters,
 * shadow pages created) and exits 1 on a violation; --smoke uses tiny sizes.
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
#include "mmu/fault.h"
#include "mmu/root.h"

#define GiB (1ULL << 30)
#define SLOT_SIZE (2 * GiB)
#define TABLE_BASE (1ULL << 20) /* guest tables in [1 MiB, 1 GiB) */
#define DATA_BASE GiB /* data pages in [1 GiB, 2 GiB): never a table */
#define VA_BASE 0x7f0000000000ULL /* 512 GiB aligned */
#define PFN_BASE (1ULL << 28) /* host frame = PFN_BASE + guest frame */
#define MAX_PAGES (1u << 17)
#define MAX_SPACES 5
#define CR0_PG_WP (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)
#define EFER_LONG (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
#define FAULT_EC PFERR_W /* write, supervisor, not present */

/* Record an invariant violation (the run exits 1 at the end). */
static void check(bool ok, const char *what, u64 want, u64 got)
{
	bench_check("bench_shadow", ok, what, want, got);
}

/* A long-mode guest: memory, registers, and the tables of one or more address spaces. */
struct guest {
	struct gmem *m;
	struct pt_bump bump;
	struct cpu_regs r;
	struct cpu_features feat;
};

/* Create the guest memory (one 2 GiB slot) and long-mode registers without a CR3. */
static int guest_create(struct guest *g)
{
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = SLOT_SIZE};

	memset(g, 0, sizeof(*g));
	if (gmem_create(&g->m, 0) || gmem_slot_add(g->m, &d))
		return -1;
	g->bump = (struct pt_bump){.m = g->m, .as = 0, .next = TABLE_BASE, .end = DATA_BASE};
	g->r.cr0 = CR0_PG_WP;
	g->r.cr4 = X86_CR4_PAE;
	g->r.efer = EFER_LONG;
	g->r.cs_l = true;
	cpu_features_default(&g->feat, CPU_VENDOR_INTEL);
	return 0;
}

/* A builder for a new 4-level address space (its PML4 allocated): the CR3 is b->root. */
static int guest_new_space(struct guest *g, struct pt_builder *b)
{
	*b = (struct pt_builder){.m = g->m,
				 .as = 0,
				 .fmt = WALK_FMT_4LVL,
				 .upper_flags = pt_default_upper_flags(WALK_FMT_4LVL),
				 .alloc = pt_bump_alloc,
				 .alloc_ctx = &g->bump};
	return pt_bump_alloc(&g->bump, &b->root);
}

/* A fresh VM over the guest's memory, its hmem shared between rounds so freed table
 * pages are reused (no host page faults after the first round). */
struct vmi {
	struct mmu_vm vm;
	struct spte_masks masks;
	struct mmu_vcpu v;
};

/* Set up a VM with a budget of @budget shadow pages, events suppressed, and load the
 * root for the guest's current CR3. */
static int vm_create(struct vmi *x, struct guest *g, struct hmem *h, u64 budget)
{
	memset(x, 0, sizeof(*x));
	spte_masks_init_legacy(&x->masks, 46);
	if (mmu_vm_init(&x->vm, h, g->m, &x->masks, bench_gfn_to_pfn, g->m))
		return -1;
	x->vm.sink = NULL;
	if (mmu_vm_set_nr_mmu_pages(&x->vm, budget))
		return -1;
	mmu_vcpu_init(&x->v, &x->vm, false, 4, 0, true, 46);
	mmu_init_context(&x->v, &g->r);
	return mmu_load(&x->v, g->r.cr3) ? -1 : 0;
}

/* Tear the VM down (vCPU first, as KVM does); its table pages go back to the hmem. */
static void vm_destroy(struct vmi *x)
{
	mmu_vcpu_destroy(&x->v);
	mmu_vm_destroy(&x->vm);
}

/* ---- shadow faults ---- */

/* The fault workload: N mapped addresses and the gfn each maps. */
struct fault_set {
	enum layout layout;
	u64 n;
	u64 *va;
	gfn_t *gfn;
	u64 expect_sps; /* shadow pages the faults must create (below the root) */
	struct walk_cfg cfg;
	struct walk_gmem_ctx wctx;
	struct walk_ctx ctx;
};

/* Page @i's linear address in @l. */
static u64 layout_va(enum layout l, u64 i)
{
	return VA_BASE + layout_off(l, i);
}

/* Build the guest's tables for @n pages of @layout and count the distinct guest
 * tables below the PML4 (each needs one shadow page). The addresses ascend, so a
 * table is new exactly when its region differs from the previous page's. */
static int faults_build(struct fault_set *s, struct guest *g, enum layout layout, u64 n)
{
	struct pt_builder b;
	u64 prev = ~0ULL;

	s->layout = layout;
	s->n = n;
	s->va = calloc(n, sizeof(*s->va));
	s->gfn = calloc(n, sizeof(*s->gfn));
	if (!s->va || !s->gfn || guest_new_space(g, &b))
		return -1;
	g->r.cr3 = b.root;
	for (u64 i = 0; i < n; i++) {
		u64 va = layout_va(layout, i), pa = DATA_BASE + (i << PAGE_SHIFT);

		if (pt_map(&b, va, pa, PAGE_SIZE, PT_P | PT_W))
			return -1;
		s->va[i] = va;
		s->gfn[i] = pa >> PAGE_SHIFT;
		for (unsigned shift = 21; shift <= 39; shift += 9)
			s->expect_sps += prev == ~0ULL || (prev >> shift) != (va >> shift);
		prev = va;
	}
	walk_cfg_from_regs(&s->cfg, &g->r, &g->feat);
	s->wctx = (struct walk_gmem_ctx){.m = g->m, .as = 0};
	walk_mem_gmem(&s->ctx.mem, &s->wctx);
	s->ctx.g = &s->cfg;
	s->ctx.n = NULL;
	return 0;
}

/* Free the workload's arrays. */
static void faults_free(struct fault_set *s)
{
	free(s->va);
	free(s->gfn);
}

/* Baseline: the guest walk of every address, as the fault performs it (a write at
 * CPL 0, not a probe). Returns the time; counts failed walks and wrong gfns in *bad. */
static double run_walks(struct fault_set *s, u64 *bad)
{
	struct walk_req req = {.acc = WALK_ACC_WRITE, .cpl = 0, .flags = 0};
	struct walk_result res;
	double t0 = now_ns();

	for (u64 i = 0; i < s->n; i++) {
		req.addr = s->va[i];
		*bad += !walk_translate(&s->ctx, &req, &res) ||
			(res.gpa >> PAGE_SHIFT) != s->gfn[i];
	}
	return now_ns() - t0;
}

/* Fault every address once through mmu_page_fault(); counts results other than
 * @want (or the wrong gfn or pfn) in *bad. Returns the time. */
static double run_faults(struct fault_set *s, struct guest *g, struct vmi *x, int want, u64 *bad)
{
	struct mmu_fault_out out;
	double t0 = now_ns();

	for (u64 i = 0; i < s->n; i++) {
		int ret = mmu_page_fault(&x->v, &g->r, &g->feat, s->va[i], FAULT_EC, &out);

		*bad += ret != want || out.gfn != s->gfn[i] || out.pfn != PFN_BASE + s->gfn[i];
	}
	return now_ns() - t0;
}

/* Per round: a fresh VM (untimed), the baseline walks, the faults that create every
 * SPTE, then the same faults again (spurious); check the counters; destroy the VM. */
static int measure_faults(struct fault_set *s, struct guest *g, struct hmem *h, int rounds,
			  struct fault_fig *out)
{
	struct fault_rounds fr;
	double n = (double)s->n;
	u64 bad = 0;

	run_walks(s, &bad); /* sets every A and D bit: no round's walks write */
	check(bad == 0, "warm-up walks", 0, bad);
	for (int k = -1; k < rounds; k++) { /* round -1 warms up the hmem pages */
		struct vmi *x = malloc(sizeof(*x));
		u64 bw = 0, bf = 0, bs = 0, sps0;
		double w, f, sp;

		if (!x || vm_create(x, g, h, 2 * s->n + 1024)) {
			free(x);
			return -1;
		}
		sps0 = x->vm.n_used_mmu_pages;
		w = run_walks(s, &bw);
		f = run_faults(s, g, x, RET_PF_FIXED, &bf);
		sp = run_faults(s, g, x, RET_PF_SPURIOUS, &bs);
		out->sps = x->vm.n_used_mmu_pages - sps0;
		check(bw == 0, "walks translated to their gfn", 0, bw);
		check(bf == 0, "first faults RET_PF_FIXED with the right gfn/pfn", 0, bf);
		check(bs == 0, "second faults RET_PF_SPURIOUS", 0, bs);
		bench_check_fault_counters("bench_shadow", &x->v, &x->vm, s->n);
		check(out->sps == s->expect_sps, "shadow pages created", s->expect_sps, out->sps);
		vm_destroy(x);
		free(x);
		if (k < 0)
			continue;
		fault_rounds_put(&fr, k, n, w, f, sp);
	}
	fault_rounds_fig(&fr, rounds, out);
	return 0;
}

/* ---- CR3 switches ---- */

/* Medians over the rounds of one switch loop, and the root-cache counters of one round. */
struct switch_fig {
	double ns;
	u64 hits, misses, evictions, loads;
};

/* Time @m switches cycling through @pgds[0..@k) from pgds[*@idx] on (*@idx carries on
 * between calls, so the cycle never restarts): mmu_new_pgd(), then mmu_load() when
 * the root came back invalid. The deltas of the vCPU's root_stats go to *f; load
 * errors count in *bad. Returns the time. */
static double run_switches(struct vmi *x, const u64 *pgds, unsigned k, unsigned *cursor, u64 m,
			   struct switch_fig *f, u64 *bad)
{
	struct mmu_root_stats st0 = x->v.root_stats;
	unsigned idx = *cursor;
	double t0 = now_ns();

	for (u64 i = 0; i < m; i++) {
		u64 pgd = pgds[idx];

		mmu_new_pgd(&x->v, x->v.mmu, pgd);
		if (x->v.mmu->root.hpa == INVALID_PAGE)
			*bad += mmu_load(&x->v, pgd) != 0;
		if (++idx == k)
			idx = 0;
	}
	t0 = now_ns() - t0;
	*cursor = idx;
	f->hits = x->v.root_stats.hits - st0.hits;
	f->misses = x->v.root_stats.misses - st0.misses;
	f->evictions = x->v.root_stats.evictions - st0.evictions;
	f->loads = x->v.root_stats.loads - st0.loads;
	return t0;
}

/* @k address spaces (each its own PML4 mapping one page), a VM whose roots were each
 * loaded once (pgds[0] by vm_create(), the rest by one pass), then rounds of @m switches; checks the counters of every round:
 * 4 spaces hit every time, 5 miss, evict and load every time and create no SP. */
static int measure_switches(struct guest *g, struct hmem *h, unsigned k, u64 m, int rounds,
			    double *ns_out, struct switch_fig *fig)
{
	u64 pgds[MAX_SPACES], bad = 0, sps;
	double ns[MAX_ROUNDS];
	unsigned cursor = 1;
	struct vmi *x;

	for (unsigned i = 0; i < k; i++) {
		struct pt_builder b;

		if (guest_new_space(g, &b) ||
		    pt_map(&b, VA_BASE, DATA_BASE + ((u64)i << PAGE_SHIFT), PAGE_SIZE, PT_P | PT_W))
			return -1;
		pgds[i] = b.root;
	}
	g->r.cr3 = pgds[0];
	x = malloc(sizeof(*x));
	if (!x || vm_create(x, g, h, 1024)) {
		free(x);
		return -1;
	}
	run_switches(x, pgds, k, &cursor, k - 1, fig, &bad); /* load the others once */
	sps = x->vm.n_used_mmu_pages;
	check(sps == k, "one root SP per address space", k, sps);
	run_switches(x, pgds, k, &cursor, m / 4 + k, fig, &bad); /* warm-up */
	for (int r = 0; r < rounds; r++) {
		ns[r] = run_switches(x, pgds, k, &cursor, m, fig, &bad) / (double)m;
		if (k <= KVM_MMU_NUM_PREV_ROOTS + 1) {
			check(fig->hits == m, "root cache hits", m, fig->hits);
			check(fig->misses + fig->loads + fig->evictions == 0,
			      "root cache misses + loads + evictions", 0,
			      fig->misses + fig->loads + fig->evictions);
		} else {
			check(fig->hits == 0, "root cache hits", 0, fig->hits);
			check(fig->misses == m, "root cache misses", m, fig->misses);
			check(fig->evictions == m, "root cache evictions", m, fig->evictions);
			check(fig->loads == m, "root loads", m, fig->loads);
		}
	}
	check(bad == 0, "mmu_load errors", 0, bad);
	check(x->vm.n_used_mmu_pages == sps, "SPs after the switches (all found in the hash)", sps,
	      x->vm.n_used_mmu_pages);
	vm_destroy(x);
	free(x);
	*ns_out = median(ns, rounds);
	return 0;
}

/* One row of the summary, in bench_walk's format. */
static void row(const char *op, const char *set, u64 count, double ns, double base_ns, double ratio)
{
	printf("%-14s %-8s %8" PRIu64 " %10.1f %10.1f %12.0f %7.2fx\n", op, set, count, ns, base_ns,
	       1e9 / ns, ratio);
}

int main(int argc, char **argv)
{
	u64 pages = 1u << 16, switches = 1u << 20;
	int rounds = 5;
	struct fault_fig ff[2];
	struct switch_fig sh, sm;
	double hit_ns, miss_ns;
	static const char *const names[2] = {"dense", "sparse"};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			pages = 512;
			switches = 256;
			rounds = 1;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--switches") && i + 1 < argc) {
			switches = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_shadow [--smoke] [--pages N] [--switches M] "
					"[--rounds R]\n");
			return 2;
		}
	}
	if (pages < 1 || pages > MAX_PAGES || switches < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_shadow: need 1 <= N <= %u, M >= 1, 1 <= R <= %d\n",
			MAX_PAGES, MAX_ROUNDS);
		return 2;
	}

	printf("bench_shadow: %" PRIu64 " pages, %" PRIu64 " switches x %d rounds, median\n", pages,
	       switches, rounds);
	printf("shadow faults: 4-level guest, write faults at CPL 0 (error code %#llx), fresh VM "
	       "per round\n",
	       (unsigned long long)FAULT_EC);
	printf("%-8s %8s %10s %10s %10s %12s %8s %8s\n", "layout", "SPs", "fault ns", "spur ns",
	       "walk ns", "faults/s", "ratio", "spur/wk");
	for (int l = DENSE; l <= SPARSE; l++) {
		struct guest g;
		struct fault_set s = {0};
		struct hmem *h = NULL;

		if (guest_create(&g) || hmem_create(&h, 0) ||
		    faults_build(&s, &g, (enum layout)l, pages) ||
		    measure_faults(&s, &g, h, rounds, &ff[l])) {
			fprintf(stderr, "bench_shadow: %s faults: set-up failed\n", names[l]);
			return 1;
		}
		printf("%-8s %8" PRIu64 " %10.1f %10.1f %10.1f %12.0f %7.2fx %7.2fx\n", names[l],
		       ff[l].sps, ff[l].fault_ns, ff[l].spur_ns, ff[l].walk_ns,
		       1e9 / ff[l].fault_ns, ff[l].ratio, ff[l].spur_ratio);
		faults_free(&s);
		hmem_destroy(h);
		gmem_destroy(g.m);
	}

	printf("CR3 switches: mmu_new_pgd() + mmu_load() when the root is invalid\n");
	printf("%-8s %10s %10s %10s %10s %12s\n", "spaces", "hits", "misses", "loads", "ns",
	       "switches/s");
	for (unsigned k = 4; k <= 5; k++) {
		struct guest g;
		struct hmem *h = NULL;
		struct switch_fig *f = k == 4 ? &sh : &sm;
		double *ns = k == 4 ? &hit_ns : &miss_ns;

		if (guest_create(&g) || hmem_create(&h, 0) ||
		    measure_switches(&g, h, k, switches, rounds, ns, f)) {
			fprintf(stderr, "bench_shadow: %u-space switches: set-up failed\n", k);
			return 1;
		}
		printf("%-8u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.1f %12.0f\n", k, f->hits,
		       f->misses, f->loads, *ns, 1e9 / *ns);
		hmem_destroy(h);
		gmem_destroy(g.m);
	}

	printf("summary (ratio = time / same-run baseline time)\n");
	printf("%-14s %-8s %8s %10s %10s %12s %8s\n", "op", "set", "count", "ns", "base ns",
	       "ops/s", "ratio");
	for (int l = DENSE; l <= SPARSE; l++) {
		row("fault/walk", names[l], ff[l].sps, ff[l].fault_ns, ff[l].walk_ns, ff[l].ratio);
		row("spurious/walk", names[l], pages, ff[l].spur_ns, ff[l].walk_ns,
		    ff[l].spur_ratio);
	}
	row("CR3 hit/miss", "4 vs 5", sh.hits, hit_ns, miss_ns, hit_ns / miss_ns);
	if (bench_violations) {
		fprintf(stderr, "bench_shadow: %d invariant violation(s)\n", bench_violations);
		return 1;
	}
	return 0;
}
