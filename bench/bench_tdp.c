/* SPDX-License-Identifier: MIT */
/*
 * Two-dimensional paging, each figure beside a baseline measured in the same run:
 *
 * - TDP faults: N fresh 4 KiB gfns faulted once each through mmu_page_fault() on a
 *   fresh legacy-TDP VM (KVM's direct MMU without the TDP MMU), with the error
 *   code KVM builds for an EPT violation on a read of a final gpa (U |
 *   GUEST_FINAL, which is also the #NPF EXITINFO1 of that read), then once more
 *   (spurious: the SPTE is already there). Configurations: EPT masks with 4- and
 *   5-level EPT, NPT (legacy masks) with 4 levels, and EPT with the TDP MMU when
 *   it is built. Baseline: a second-stage-only walk_translate() of every gpa over
 *   the tables the faults built (KVM's root as EPTP or nCR3): what the hardware
 *   does per access once the gfn is mapped. Layouts as bench_shadow: "dense"
 *   (consecutive gfns) and "sparse" (one gfn per 2 MiB: a new level-1 SP per
 *   fault).
 * - 2D walks: a 4-level guest under 4-level EPT and a 5-level guest under 5-level
 *   EPT, both stages built with ptbuild in guest memory (EPT identity-maps the
 *   guest's RAM with 4 KiB pages). Every walk must make 24 (4+4) or 35 (5+5)
 *   paging-structure references: the walker has no paging-structure caches.
 *   Baseline: the 1D walk of the same guest tables (no second stage).
 *
 *   bench_tdp [--smoke] [--pages N] [--passes P] [--rounds R]
 *
 * Every run checks the invariants (return codes, pf_* counters, SPs created,
 * pages_4k, translations and reference counts) and exits 1 on a violation;
 * --smoke uses tiny sizes.
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

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline)) /* stable names for callgrind's --dump-* */
#else
#define NOINLINE
#endif

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PFN_BASE (1ULL << 28) /* host frame = PFN_BASE + guest frame */
#define GPA_BASE GiB /* first gfn faulted (1 GiB aligned) */
#define MAX_PAGES (1u << 17)
#define MAX_PASSES 64
#define CR0_PG_WP (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)
#define EFER_LONG (X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)
/* __vmx_handle_ept_violation() for a read (qualification bit 0) of a final gpa
 * (GLA valid, GLA translation) on a not-present entry (no RWX): U | GUEST_FINAL. */
#define TDP_EC (PFERR_U | PFERR_GUEST_FINAL)

/* The nested-walk guest: tables in [1 MiB, 1 GiB), data in [1 GiB, 2 GiB), EPT
 * tables in [2 GiB, 3 GiB) of a 4 GiB memslot. */
#define NEST_SLOT (4 * GiB)
#define NEST_TABLES MiB
#define NEST_DATA GiB
#define NEST_EPT (2 * GiB)
#define NEST_EPT_END (3 * GiB)
#define VA_BASE4 0x7f0000000000ULL /* 512 GiB aligned, lower half of 4-level */
#define VA_BASE5 0x55000000000000ULL /* 256 TiB aligned, lower half of 5-level */

/* Record an invariant violation (the run exits 1 at the end). */
static void check(bool ok, const char *what, u64 want, u64 got)
{
	bench_check("bench_tdp", ok, what, want, got);
}

/* ---- TDP faults ---- */

/* One TDP configuration of the host. */
struct tcfg {
	const char *name;
	bool ept; /* EPT masks and EPTP; else NPT with legacy masks */
	u8 levels;
	bool tdp_mmu;
};

static const struct tcfg tcfgs[] = {
	{"EPT 4-level", true, 4, false},
	{"EPT 5-level", true, 5, false},
	{"NPT 4-level", false, 4, false},
	{"EPT 4 TDP MMU", true, 4, true},
};

/* KVM's tables in hmem as the hardware reads them (A/D writes are dropped: the
 * SPTEs KVM builds have A set already). */
static void *hmem_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	const struct hmem *h = ctx;
	u8 *p = hmem_ptr(h, pa & ~(u64)(PAGE_SIZE - 1));

	*writable = false;
	if (!p || (pa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return NULL;
	return p + (pa & (PAGE_SIZE - 1));
}

/* The fault workload: N gfns, the SPs their faults must create, the guest memory. */
struct tdp_set {
	enum layout layout;
	u64 n;
	u64 *gpa;
	u64 expect_sps; /* direct SPs below the root */
	struct gmem *m;
	struct cpu_regs r; /* a long-mode guest (its mode does not matter under TDP) */
	struct cpu_features feat;
};

/* Lay out @n gfns and count the distinct direct SPs below a root of @levels levels
 * (each level-k SP covers a 2^(12 + 9k)-byte region; the gpas ascend). */
static int tdp_set_build(struct tdp_set *s, enum layout layout, u64 n, u8 levels)
{
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0};
	u64 prev = ~0ULL;

	memset(s, 0, sizeof(*s));
	s->layout = layout;
	s->n = n;
	s->gpa = calloc(n, sizeof(*s->gpa));
	if (!s->gpa)
		return -1;
	for (u64 i = 0; i < n; i++) {
		u64 gpa = GPA_BASE + layout_off(layout, i);

		s->gpa[i] = gpa;
		for (unsigned shift = 21; shift < 12 + 9u * levels; shift += 9)
			s->expect_sps += prev == ~0ULL || (prev >> shift) != (gpa >> shift);
		prev = gpa;
	}
	/* One memslot from 0 past the last gfn, in whole GiBs (committed lazily). */
	d.size = (s->gpa[n - 1] + GiB) & ~(GiB - 1);
	if (gmem_create(&s->m, 0) || gmem_slot_add(s->m, &d))
		return -1;
	s->r.cr0 = CR0_PG_WP;
	s->r.cr4 = X86_CR4_PAE;
	s->r.efer = EFER_LONG;
	s->r.cs_l = true;
	cpu_features_default(&s->feat, CPU_VENDOR_INTEL);
	return 0;
}

static void tdp_set_free(struct tdp_set *s)
{
	free(s->gpa);
	gmem_destroy(s->m);
}

/* A fresh VM; its hmem is shared between rounds so freed table pages are reused. */
struct vmi {
	struct mmu_vm vm;
	struct spte_masks masks;
	struct mmu_vcpu v;
	struct walk_cfg cfg; /* the second stage the hardware walks: KVM's root */
	struct walk_ctx ctx;
};

/*
 * A legacy-TDP VM as sim/engine_mmu.c sets one up (EPT: the guest's MAXPHYADDR,
 * 52 so that 5-level EPT is used; NPT: forced to the host's 4 levels), a budget of
 * @budget SPs, events suppressed, the root loaded. Returns 0, or mmu_load()'s
 * error (MSC_EOPNOTSUPP: the TDP MMU is not built) with the VM torn down.
 */
static int vm_create(struct vmi *x, const struct tcfg *c, struct tdp_set *s, struct hmem *h,
		     u64 budget)
{
	u8 maxphy = c->levels == 5 ? 52 : 46;
	int r;

	memset(x, 0, sizeof(*x));
	if (c->ept)
		spte_masks_init_ept(&x->masks, true, true, maxphy);
	else
		spte_masks_init_legacy(&x->masks, 46);
	if (mmu_vm_init(&x->vm, h, s->m, &x->masks, bench_gfn_to_pfn, s->m))
		return -1;
	x->vm.sink = NULL;
	x->vm.tdp_enabled = true;
	if (mmu_vm_set_nr_mmu_pages(&x->vm, budget)) {
		mmu_vm_destroy(&x->vm);
		return -1;
	}
	mmu_vcpu_init(&x->v, &x->vm, true, c->levels, c->ept ? 0 : c->levels, true, maxphy);
	x->v.tdp_mmu_enabled = c->tdp_mmu;
	mmu_init_context(&x->v, &s->r);
	r = mmu_load(&x->v, 0);
	if (r) {
		mmu_vcpu_destroy(&x->v);
		mmu_vm_destroy(&x->vm);
		return r;
	}
	return 0;
}

/* Tear the VM down (vCPU first, as KVM does); its table pages go back to the hmem. */
static void vm_destroy(struct vmi *x)
{
	mmu_vcpu_destroy(&x->v);
	mmu_vm_destroy(&x->vm);
}

/* The hardware's second-stage walk of KVM's root (sim/engine_ops.c hw_tdp_cfg()):
 * an EPTP with the walk length, write-back and A/D, or nCR3 in long mode. */
static void tdp_walk_setup(struct vmi *x, const struct tcfg *c, const struct cpu_features *f)
{
	hpa_t root = x->v.mmu->root.hpa;
	unsigned level = x->v.mmu->root_role.level;

	if (c->ept) {
		walk_cfg_ept(&x->cfg, root | ((u64)(level - 1) << 3) | 6 | (1ULL << 6), f);
		x->cfg.maxphyaddr = 52;
	} else {
		struct cpu_regs host = {.cr0 = CR0_PG_WP, .cr4 = X86_CR4_PAE, .efer = EFER_LONG};

		if (level == 5)
			host.cr4 |= X86_CR4_LA57;
		walk_cfg_npt(&x->cfg, root, &host, f);
		x->cfg.maxphyaddr = x->masks.host_maxphyaddr;
	}
	x->ctx.g = &x->cfg;
	x->ctx.n = NULL;
	x->ctx.mem = (struct walk_mem){.map = hmem_map, .wrote = NULL, .ctx = x->vm.hmem};
}

/* Fault every gpa once through mmu_page_fault(); counts results other than @want
 * (or the wrong gfn or pfn) in *bad. Returns the time. */
static NOINLINE double run_faults(struct tdp_set *s, struct vmi *x, int want, u64 *bad)
{
	struct mmu_fault_out out;
	double t0 = now_ns();

	for (u64 i = 0; i < s->n; i++) {
		gfn_t gfn = s->gpa[i] >> PAGE_SHIFT;
		int ret = mmu_page_fault(&x->v, &s->r, &s->feat, s->gpa[i], TDP_EC, &out);

		*bad += ret != want || out.gfn != gfn || out.pfn != PFN_BASE + gfn;
	}
	return now_ns() - t0;
}

/* Baseline: the second-stage walk of every gpa over KVM's tables (a read, as the
 * hardware does it); counts failed walks, wrong host frames and reference counts
 * other than @levels in *bad. Returns the time. */
static NOINLINE double run_tdp_walks(struct tdp_set *s, struct vmi *x, u32 levels, u64 *bad)
{
	struct walk_req req = {.acc = WALK_ACC_READ, .cpl = 0, .flags = 0};
	struct walk_result res;
	double t0 = now_ns();

	for (u64 i = 0; i < s->n; i++) {
		req.addr = s->gpa[i];
		*bad += !walk_translate(&x->ctx, &req, &res) ||
			res.gpa != ((PFN_BASE << PAGE_SHIFT) + s->gpa[i]) || res.refs != levels;
	}
	return now_ns() - t0;
}

/*
 * Per round: a fresh VM (untimed), the faults that create every SPTE, the same
 * faults again (spurious), the baseline walks over the tables they built; check
 * the counters; destroy the VM. Returns 0, 1 when the configuration is not built
 * (the TDP MMU), -1 on a set-up failure.
 */
static int measure_faults(struct tdp_set *s, const struct tcfg *c, struct hmem *h, int rounds,
			  struct fault_fig *out)
{
	struct fault_rounds fr;
	double n = (double)s->n;

	for (int k = -1; k < rounds; k++) { /* round -1 warms up the hmem pages */
		struct vmi *x = malloc(sizeof(*x));
		u64 bw = 0, bf = 0, bs = 0, sps0;
		double w, f, sp;
		int r;

		if (!x)
			return -1;
		r = vm_create(x, c, s, h, 2 * s->n + 1024);
		if (r) {
			free(x);
			return r == MSC_EOPNOTSUPP ? 1 : -1;
		}
		tdp_walk_setup(x, c, &s->feat);
		sps0 = x->vm.n_used_mmu_pages;
		f = run_faults(s, x, RET_PF_FIXED, &bf);
		sp = run_faults(s, x, RET_PF_SPURIOUS, &bs);
		w = run_tdp_walks(s, x, x->v.mmu->root_role.level, &bw);
		out->sps = x->vm.n_used_mmu_pages - sps0;
		check(x->v.mmu->root_role.level == c->levels, "root level", c->levels,
		      x->v.mmu->root_role.level);
		check(bf == 0, "first faults RET_PF_FIXED with the right gfn/pfn", 0, bf);
		check(bs == 0, "second faults RET_PF_SPURIOUS", 0, bs);
		check(bw == 0, "walks translated to PFN_BASE + gfn in root-level refs", 0, bw);
		bench_check_fault_counters("bench_tdp", &x->v, &x->vm, s->n);
		/* TDP MMU pages are not counted in n_used_mmu_pages (as in KVM). */
		if (!c->tdp_mmu)
			check(out->sps == s->expect_sps, "shadow pages created", s->expect_sps,
			      out->sps);
		vm_destroy(x);
		free(x);
		if (k < 0)
			continue;
		fault_rounds_put(&fr, k, n, w, f, sp);
	}
	fault_rounds_fig(&fr, rounds, out);
	return 0;
}

/* ---- two-dimensional walks ---- */

/* A guest of @levels-level tables under @levels-level EPT, in one gmem. */
struct nest {
	u8 levels;
	u64 n;
	u64 *va, *gpa;
	struct gmem *m;
	struct walk_cfg g, e;
	struct walk_gmem_ctx wctx;
	struct walk_ctx ctx2; /* guest over EPT */
	struct walk_ctx ctx1; /* guest alone (baseline) */
};

/* Map guest-physical [@lo, @hi) to itself in EPT with 4 KiB pages. */
static int ept_identity(struct pt_builder *be, u64 lo, u64 hi)
{
	for (u64 pg = lo; pg < hi; pg += PAGE_SIZE)
		if (pt_map(be, pg, pg, PAGE_SIZE, EPT_R | EPT_W | EPT_X | EPT_MT_WB))
			return -1;
	return 0;
}

/* Build the guest's tables for @n pages of @layout and the EPT tables under them. */
static int nest_build(struct nest *s, u8 levels, enum layout layout, u64 n)
{
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = NEST_SLOT};
	struct pt_bump gb, eb;
	struct pt_builder b, be;
	struct cpu_regs r = {.cr0 = CR0_PG_WP, .cr4 = X86_CR4_PAE, .efer = EFER_LONG, .cs_l = true};
	struct cpu_features f;
	u64 va_base = levels == 5 ? VA_BASE5 : VA_BASE4;
	enum walk_fmt fmt = levels == 5 ? WALK_FMT_5LVL : WALK_FMT_4LVL;

	memset(s, 0, sizeof(*s));
	s->levels = levels;
	s->n = n;
	s->va = calloc(n, sizeof(*s->va));
	s->gpa = calloc(n, sizeof(*s->gpa));
	if (!s->va || !s->gpa || gmem_create(&s->m, 0) || gmem_slot_add(s->m, &d))
		return -1;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	gb = (struct pt_bump){.m = s->m, .as = 0, .next = NEST_TABLES, .end = NEST_DATA};
	eb = (struct pt_bump){.m = s->m, .as = 0, .next = NEST_EPT, .end = NEST_EPT_END};
	b = (struct pt_builder){.m = s->m,
				.as = 0,
				.fmt = fmt,
				.upper_flags = pt_default_upper_flags(fmt),
				.alloc = pt_bump_alloc,
				.alloc_ctx = &gb};
	be = (struct pt_builder){.m = s->m,
				 .as = 0,
				 .fmt = WALK_FMT_EPT,
				 .levels = levels,
				 .upper_flags = pt_default_upper_flags(WALK_FMT_EPT),
				 .alloc = pt_bump_alloc,
				 .alloc_ctx = &eb};
	if (pt_bump_alloc(&gb, &b.root) || pt_bump_alloc(&eb, &be.root))
		return -1;
	for (u64 i = 0; i < n; i++) {
		s->va[i] = va_base + layout_off(layout, i);
		s->gpa[i] = NEST_DATA + (i << PAGE_SHIFT);
		if (pt_map(&b, s->va[i], s->gpa[i], PAGE_SIZE, PT_P | PT_W))
			return -1;
	}
	/* EPT: the guest's tables and its data pages, identity-mapped. */
	if (ept_identity(&be, NEST_TABLES, gb.next) ||
	    ept_identity(&be, NEST_DATA, NEST_DATA + (n << PAGE_SHIFT)))
		return -1;

	if (levels == 5)
		r.cr4 |= X86_CR4_LA57;
	r.cr3 = b.root;
	walk_cfg_from_regs(&s->g, &r, &f);
	walk_cfg_ept(&s->e, be.root | ((u64)(levels - 1) << 3) | 6 | (1ULL << 6), &f);
	s->wctx = (struct walk_gmem_ctx){.m = s->m, .as = 0};
	walk_mem_gmem(&s->ctx2.mem, &s->wctx);
	s->ctx2.g = &s->g;
	s->ctx2.n = &s->e;
	s->ctx1 = s->ctx2;
	s->ctx1.n = NULL;
	return 0;
}

static void nest_free(struct nest *s)
{
	free(s->va);
	free(s->gpa);
	gmem_destroy(s->m);
}

/* Walk every address @passes times (reads at CPL 0); counts failed walks, wrong
 * gpas and reference counts other than @refs / @nrefs (second stage) in *bad. */
static double walks(const struct walk_ctx *ctx, struct nest *s, unsigned passes, u32 refs,
		    u32 nrefs, u64 *bad)
{
	struct walk_req req = {.acc = WALK_ACC_READ, .cpl = 0, .flags = 0};
	struct walk_result res;
	double t0 = now_ns();

	for (unsigned p = 0; p < passes; p++)
		for (u64 i = 0; i < s->n; i++) {
			req.addr = s->va[i];
			*bad += !walk_translate(ctx, &req, &res) || res.gpa != s->gpa[i] ||
				res.refs != refs || res.nested_refs != nrefs;
		}
	return now_ns() - t0;
}

/* The timed loops, under their own names for callgrind. */
static NOINLINE double run_2d_walks(struct nest *s, unsigned passes, u64 *bad)
{
	u32 l = s->levels;

	return walks(&s->ctx2, s, passes, l * (l + 1) + l, l * (l + 1), bad);
}

static NOINLINE double run_1d_walks(struct nest *s, unsigned passes, u64 *bad)
{
	return walks(&s->ctx1, s, passes, s->levels, 0, bad);
}

/* Medians over the rounds (ns per walk) and the references of one 2D walk. */
struct walk_fig {
	double ns2, ns1, ratio;
	u32 refs, nrefs;
};

/* One untimed pass of each (sets every A bit of both stages: no timed walk writes),
 * then per round the 2D walks and the 1D walks, alternating. */
static void measure_walks(struct nest *s, unsigned passes, int rounds, struct walk_fig *out)
{
	double w2[MAX_ROUNDS], w1[MAX_ROUNDS], rr[MAX_ROUNDS];
	double n = (double)(s->n * passes);
	struct walk_req req = {.acc = WALK_ACC_READ, .cpl = 0, .addr = s->va[0]};
	struct walk_result res;
	u64 b2 = 0, b1 = 0;
	u32 l = s->levels;

	run_2d_walks(s, 1, &b2);
	run_1d_walks(s, 1, &b1);
	for (int k = 0; k < rounds; k++) {
		double t2 = run_2d_walks(s, passes, &b2);
		double t1 = run_1d_walks(s, passes, &b1);

		w2[k] = t2 / n;
		w1[k] = t1 / n;
		rr[k] = t2 / t1;
	}
	walk_translate(&s->ctx2, &req, &res);
	out->refs = res.refs;
	out->nrefs = res.nested_refs;
	check(res.refs == l * (l + 2), "2D walk references (cold paging-structure caches)",
	      l * (l + 2), res.refs);
	check(b2 == 0, "2D walks: translation, refs and nested refs", 0, b2);
	check(b1 == 0, "1D walks: translation and refs", 0, b1);
	out->ns2 = median(w2, rounds);
	out->ns1 = median(w1, rounds);
	out->ratio = median(rr, rounds);
}

/* @count as text, "-" when it is not known (@known false). */
static const char *count_str(char *buf, size_t len, bool known, u64 count)
{
	if (!known)
		return "-";
	snprintf(buf, len, "%" PRIu64, count);
	return buf;
}

/* One row of the summary, in bench_shadow's format (@count: "-" when unknown). */
static void row(const char *op, const char *set, const char *count, double ns, double base_ns,
		double ratio)
{
	printf("%-24s %-8s %8s %10.1f %10.1f %12.0f %7.2fx\n", op, set, count, ns, base_ns,
	       1e9 / ns, ratio);
}

int main(int argc, char **argv)
{
	u64 pages = 1u << 16;
	unsigned passes = 4;
	int rounds = 5;
	struct fault_fig ff[MSC_ARRAY_SIZE(tcfgs)][2];
	bool built[MSC_ARRAY_SIZE(tcfgs)];
	struct walk_fig wf[2][2];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			pages = 512;
			passes = 1;
			rounds = 1;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--passes") && i + 1 < argc) {
			passes = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_tdp [--smoke] [--pages N] [--passes P] "
					"[--rounds R]\n");
			return 2;
		}
	}
	if (pages < 1 || pages > MAX_PAGES || passes < 1 || passes > MAX_PASSES || rounds < 1 ||
	    rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_tdp: need 1 <= N <= %u, 1 <= P <= %d, 1 <= R <= %d\n",
			MAX_PAGES, MAX_PASSES, MAX_ROUNDS);
		return 2;
	}

	printf("bench_tdp: %" PRIu64 " pages, %d rounds, median\n", pages, rounds);
	printf("TDP faults: read faults on a final gpa (error code %#llx), fresh VM per round, "
	       "legacy direct MMU unless TDP MMU\n",
	       (unsigned long long)TDP_EC);
	printf("%-14s %-8s %8s %10s %10s %10s %12s %8s %8s\n", "config", "layout", "SPs",
	       "fault ns", "spur ns", "walk ns", "faults/s", "ratio", "spur/wk");
	/* Untimed: one sparse round first. Without it the first configuration measured
	 * ran up to 2x slower than the same one later (glibc's heap and mmap thresholds
	 * settle only after the first large frees). */
	{
		struct tdp_set s;
		struct hmem *h = NULL;
		struct fault_fig dummy;

		if (tdp_set_build(&s, SPARSE, pages, tcfgs[0].levels) || hmem_create(&h, 0) ||
		    measure_faults(&s, &tcfgs[0], h, 1, &dummy)) {
			fprintf(stderr, "bench_tdp: warm-up: set-up failed\n");
			return 1;
		}
		hmem_destroy(h);
		tdp_set_free(&s);
	}
	for (size_t c = 0; c < MSC_ARRAY_SIZE(tcfgs); c++) {
		built[c] = true;
		for (int l = DENSE; l <= SPARSE && built[c]; l++) {
			struct tdp_set s;
			struct hmem *h = NULL;
			char num[24];
			int r = -1;

			if (!tdp_set_build(&s, (enum layout)l, pages, tcfgs[c].levels) &&
			    !hmem_create(&h, 0))
				r = measure_faults(&s, &tcfgs[c], h, rounds, &ff[c][l]);
			if (r < 0) {
				fprintf(stderr, "bench_tdp: %s %s faults: set-up failed\n",
					tcfgs[c].name, layout_names[l]);
				return 1;
			}
			if (r > 0) {
				printf("TDP MMU: not built\n");
				built[c] = false;
			} else {
				/* TDP MMU pages are not in n_used_mmu_pages: "-". */
				printf("%-14s %-8s %8s %10.1f %10.1f %10.1f %12.0f %7.2fx "
				       "%7.2fx\n",
				       tcfgs[c].name, layout_names[l],
				       count_str(num, sizeof(num), !tcfgs[c].tdp_mmu, ff[c][l].sps),
				       ff[c][l].fault_ns, ff[c][l].spur_ns, ff[c][l].walk_ns,
				       1e9 / ff[c][l].fault_ns, ff[c][l].ratio,
				       ff[c][l].spur_ratio);
			}
			hmem_destroy(h);
			tdp_set_free(&s);
		}
	}

	printf("2D walks: guest tables under EPT (both built with ptbuild), %u pass(es) of %" PRIu64
	       " reads per round\n",
	       passes, pages);
	printf("%-14s %-8s %6s %8s %10s %10s %12s %8s\n", "paging", "layout", "refs", "EPT refs",
	       "2D ns", "1D ns", "2D walks/s", "ratio");
	for (int k = 0; k < 2; k++) {
		u8 levels = k ? 5 : 4;

		for (int l = DENSE; l <= SPARSE; l++) {
			struct nest s;
			struct walk_fig *w = &wf[k][l];

			if (nest_build(&s, levels, (enum layout)l, pages)) {
				fprintf(stderr, "bench_tdp: %u+%u walks: set-up failed\n", levels,
					levels);
				return 1;
			}
			measure_walks(&s, passes, rounds, w);
			printf("%u-level/EPT %u  %-8s %6u %8u %10.1f %10.1f %12.0f %7.2fx\n",
			       levels, levels, layout_names[l], w->refs, w->nrefs, w->ns2, w->ns1,
			       1e9 / w->ns2, w->ratio);
			nest_free(&s);
		}
	}

	printf("summary (ratio = time / same-run baseline time)\n");
	printf("%-24s %-8s %8s %10s %10s %12s %8s\n", "op", "set", "count", "ns", "base ns",
	       "ops/s", "ratio");
	for (size_t c = 0; c < MSC_ARRAY_SIZE(tcfgs); c++) {
		char op[40], num[24];

		if (!built[c]) {
			printf("%-24s TDP MMU: not built\n", tcfgs[c].name);
			continue;
		}
		snprintf(op, sizeof(op), "%s fault/walk", tcfgs[c].name);
		for (int l = DENSE; l <= SPARSE; l++)
			row(op, layout_names[l],
			    count_str(num, sizeof(num), !tcfgs[c].tdp_mmu, ff[c][l].sps),
			    ff[c][l].fault_ns, ff[c][l].walk_ns, ff[c][l].ratio);
	}
	for (int k = 0; k < 2; k++)
		for (int l = DENSE; l <= SPARSE; l++) {
			char num[24];

			row(k ? "5+5 2D walk/1D walk" : "4+4 2D walk/1D walk", layout_names[l],
			    count_str(num, sizeof(num), true, wf[k][l].refs), wf[k][l].ns2,
			    wf[k][l].ns1, wf[k][l].ratio);
		}
	if (bench_violations) {
		fprintf(stderr, "bench_tdp: %d invariant violation(s)\n", bench_violations);
		return 1;
	}
	return 0;
}
