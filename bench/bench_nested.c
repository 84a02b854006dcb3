/* SPDX-License-Identifier: MIT */
/*
 * Nested (shadow EPT) faults against L1 TDP faults, measured in the same run.
 *
 * L1 builds 4-level EPT tables (ptbuild, format EPT, in L1's memory) that map N
 * fresh L2 gfns to N L1 gfns; layouts "dense" (consecutive gfns) and "sparse"
 * (one gfn per 2 MiB: a new table per fault at the lowest level), the same
 * layout on both sides. Per round, on a fresh VM (EPT, TDP MMU on, events off):
 *
 * - baseline: L1 (guest_mode 0) faults each L1 gpa once through
 *   mmu_page_fault() on root_mmu (kvm_tdp_page_fault(): the TDP MMU maps it);
 * - nested: L2 runs with nested EPT (mmu_init_shadow_ept(): vcpu->arch.mmu =
 *   guest_mmu, root loaded at the EPTP's gfn outside the timing) and faults each
 *   L2 gpa once: FNAME(page_fault) for PTTYPE_EPT walks L1's EPT, creates the
 *   indirect shadow pages of L1's EPT tables (write-protecting their gfns) and
 *   installs the SPTE for the L1 gfn's host frame.
 *
 * Both use the error code KVM builds for an EPT violation on a read of a final
 * gpa (U | GUEST_FINAL). Every round checks return codes, gfn and pfn, pf_taken
 * and pf_fixed (both levels count on the one vCPU), pf_guest, the shadow pages
 * created (n_used_mmu_pages) and the TDP MMU's linked tables (tdp_mmu_pages), and
 * pages_4k; the program exits 1 on a violation.
 *
 *   bench_nested [--smoke] [--pages N] [--rounds R]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "cpu/err.h"
#include "cpu/features.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/walk.h"
#include "mmu/fault.h"
#include "mmu/nested.h"
#include "mmu/root.h"

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline)) /* stable names for callgrind's --dump-* */
#else
#define NOINLINE
#endif

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PFN_BASE (1ULL << 28) /* host frame = PFN_BASE + L1 guest frame */
#define EPT_POOL MiB /* L1's EPT tables: [1 MiB, 1 GiB) */
#define EPT_POOL_END GiB
#define L2_BASE GiB /* first L2 gpa (only L1's EPT maps it) */
#define L1_BASE (2 * GiB) /* first L1 gpa (backed by the memslot) */
#define MAX_PAGES (1u << 17)
#define EPT_LEVELS 4
/* __vmx_handle_ept_violation() for a read of a final gpa: U | GUEST_FINAL. */
#define EPT_EC (PFERR_U | PFERR_GUEST_FINAL)

static void check(bool ok, const char *what, u64 want, u64 got)
{
	bench_check("bench_nested", ok, what, want, got);
}

/* The workload: N L2 gpas, the L1 gpas L1's EPT maps them to, L1's memory. */
struct nset {
	enum layout layout;
	u64 n;
	u64 *l2, *l1;
	u64 expect_sps; /* tables below a 4-level root for either gpa set */
	u64 eptp;
	struct gmem *m;
	struct cpu_regs r; /* L1 at reset: its mode does not matter under TDP */
	struct cpu_features feat;
};

static int nset_build(struct nset *s, enum layout layout, u64 n)
{
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0};
	struct pt_bump eb;
	struct pt_builder be;
	u64 prev = ~0ULL;

	memset(s, 0, sizeof(*s));
	s->layout = layout;
	s->n = n;
	s->l2 = calloc(n, sizeof(*s->l2));
	s->l1 = calloc(n, sizeof(*s->l1));
	if (!s->l2 || !s->l1)
		return -1;
	for (u64 i = 0; i < n; i++) {
		s->l2[i] = L2_BASE + layout_off(layout, i);
		s->l1[i] = L1_BASE + layout_off(layout, i);
		/* L2_BASE and L1_BASE are both 1 GiB aligned: the same table shape. */
		for (unsigned shift = 21; shift < 12 + 9u * EPT_LEVELS; shift += 9)
			s->expect_sps += prev == ~0ULL || (prev >> shift) != (s->l2[i] >> shift);
		prev = s->l2[i];
	}
	/* One memslot from 0 past the last L1 gfn, in whole GiBs (committed lazily). */
	d.size = (s->l1[n - 1] + GiB) & ~(GiB - 1);
	if (gmem_create(&s->m, 0) || gmem_slot_add(s->m, &d))
		return -1;
	eb = (struct pt_bump){.m = s->m, .as = 0, .next = EPT_POOL, .end = EPT_POOL_END};
	be = (struct pt_builder){.m = s->m,
				 .as = 0,
				 .fmt = WALK_FMT_EPT,
				 .levels = EPT_LEVELS,
				 .upper_flags = pt_default_upper_flags(WALK_FMT_EPT),
				 .alloc = pt_bump_alloc,
				 .alloc_ctx = &eb};
	if (pt_bump_alloc(&eb, &be.root))
		return -1;
	for (u64 i = 0; i < n; i++)
		if (pt_map(&be, s->l2[i], s->l1[i], PAGE_SIZE, EPT_R | EPT_W | EPT_X | EPT_MT_WB))
			return -1;
	/* EPTP: 4 levels, write-back, A/D (KVM's walk sets L1's EPT A bits). */
	s->eptp = be.root | ((u64)(EPT_LEVELS - 1) << 3) | 6 | (1ULL << 6);
	cpu_features_default(&s->feat, CPU_VENDOR_INTEL);
	return 0;
}

static void nset_free(struct nset *s)
{
	free(s->l2);
	free(s->l1);
	gmem_destroy(s->m);
}

/* A fresh VM as sim/engine_mmu.c makes one for machine.tdp "ept" (tdp_mmu on). */
struct vmi {
	struct mmu_vm vm;
	struct spte_masks masks;
	struct mmu_vcpu v;
};

static int vm_create(struct vmi *x, struct nset *s, struct hmem *h, u64 budget)
{
	memset(x, 0, sizeof(*x));
	spte_masks_init_ept(&x->masks, true, true, 46);
	if (mmu_vm_init(&x->vm, h, s->m, &x->masks, bench_gfn_to_pfn, s->m))
		return -1;
	x->vm.sink = NULL;
	x->vm.tdp_enabled = true;
	if (mmu_vm_set_nr_mmu_pages(&x->vm, budget)) {
		mmu_vm_destroy(&x->vm);
		return -1;
	}
	mmu_vcpu_init(&x->v, &x->vm, true, EPT_LEVELS, 0, true, 46);
	x->v.tdp_mmu_enabled = true;
	return 0;
}

static void vm_destroy(struct vmi *x)
{
	mmu_vcpu_destroy(&x->v);
	mmu_vm_destroy(&x->vm);
}

/* Fault every gpa of @gpa once through mmu_page_fault() on the vCPU's current MMU;
 * counts results other than RET_PF_FIXED, a reflection, or a gfn/pfn other than
 * @l1's in *bad. Returns the time. */
static double faults(struct nset *s, struct vmi *x, const u64 *gpa, u64 *bad)
{
	struct mmu_fault_out out;
	double t0 = now_ns();

	for (u64 i = 0; i < s->n; i++) {
		gfn_t gfn = s->l1[i] >> PAGE_SHIFT;
		int ret = mmu_page_fault(&x->v, &s->r, &s->feat, gpa[i], EPT_EC, &out);

		*bad += ret != RET_PF_FIXED || out.reflect || out.gfn != gfn ||
			out.pfn != PFN_BASE + gfn;
	}
	return now_ns() - t0;
}

/* The timed loops, under their own names for callgrind. */
static NOINLINE double run_l1_faults(struct nset *s, struct vmi *x, u64 *bad)
{
	return faults(s, x, s->l1, bad);
}

static NOINLINE double run_nested_faults(struct nset *s, struct vmi *x, u64 *bad)
{
	return faults(s, x, s->l2, bad);
}

/* Medians over the rounds (ns per fault) and the pages each side created. */
struct fig {
	double l1_ns, nested_ns, ratio;
	u64 l1_sps, nested_sps;
};

/*
 * Per round: a fresh VM (untimed); L1's TDP root loaded (untimed), the L1 faults;
 * VM-entry with nested EPT and guest_mmu's root loaded (untimed), the L2 faults;
 * the checks; the VM torn down. Returns 0, or -1 on a set-up failure.
 */
static int measure(struct nset *s, struct hmem *h, int rounds, struct fig *out)
{
	double l1n[MAX_ROUNDS], nn[MAX_ROUNDS], rr[MAX_ROUNDS];
	double n = (double)s->n;

	for (int k = -1; k < rounds; k++) { /* round -1 warms up the hmem pages */
		struct vmi *x = malloc(sizeof(*x));
		u64 b1 = 0, b2 = 0, sps0, tdp0;
		double t1, t2;
		bool hit;

		if (!x || vm_create(x, s, h, 2 * s->n + 1024)) {
			free(x);
			return -1;
		}
		/* L1: kvm_init_mmu() and kvm_mmu_load() of the TDP MMU root (pgd 0). */
		s->r.guest_mode = false;
		mmu_init_context(&x->v, &s->r);
		if (mmu_load(&x->v, 0)) {
			vm_destroy(x);
			free(x);
			return -1;
		}
		tdp0 = x->vm.tdp_mmu_pages;
		check(x->v.mmu->root_role.word == 0x3784, "L1 root role", 0x3784,
		      x->v.mmu->root_role.word);
		t1 = run_l1_faults(s, x, &b1);
		out->l1_sps = x->vm.tdp_mmu_pages - tdp0;

		/* VM-entry with nested EPT: enter_guest_mode(), nested_ept_init_mmu_context(),
		 * kvm_init_mmu(); then kvm_mmu_reload() at the EPTP. */
		s->r.guest_mode = true;
		hit = mmu_init_shadow_ept(&x->v, s->eptp, &s->feat);
		mmu_init_context(&x->v, &s->r);
		sps0 = x->vm.n_used_mmu_pages;
		if (hit || x->v.mmu != &x->v.guest_mmu ||
		    mmu_load(&x->v, mmu_get_guest_pgd(&x->v, s->r.cr3))) {
			check(false, "guest_mmu set up and loaded", 1, 0);
			vm_destroy(x);
			free(x);
			return -1;
		}
		check(x->v.mmu->root_role.word == 0x20704, "shadow EPT root role", 0x20704,
		      x->v.mmu->root_role.word);
		check(x->vm.n_used_mmu_pages - sps0 == 1, "shadow EPT root SP", 1,
		      x->vm.n_used_mmu_pages - sps0);
		sps0 = x->vm.n_used_mmu_pages;
		t2 = run_nested_faults(s, x, &b2);
		out->nested_sps = x->vm.n_used_mmu_pages - sps0;

		check(b1 == 0, "L1 faults RET_PF_FIXED with the right gfn/pfn", 0, b1);
		check(b2 == 0, "L2 faults RET_PF_FIXED (not reflected), L1 gfn/pfn", 0, b2);
		check(x->v.pf_taken == 2 * s->n, "pf_taken", 2 * s->n, x->v.pf_taken);
		check(x->v.pf_fixed == 2 * s->n, "pf_fixed", 2 * s->n, x->v.pf_fixed);
		check(x->v.pf_guest == 0 && x->v.pf_emulate == 0 && x->v.pf_spurious == 0,
		      "pf_guest + pf_emulate + pf_spurious", 0,
		      x->v.pf_guest + x->v.pf_emulate + x->v.pf_spurious);
		/* The TDP MMU's linked tables and the shadow EPT's indirect SPs below the
		 * root: one per distinct region at each level, the same on both sides. */
		check(out->l1_sps == s->expect_sps, "TDP MMU tables (tdp_mmu_pages)", s->expect_sps,
		      out->l1_sps);
		check(out->nested_sps == s->expect_sps, "shadow EPT SPs created", s->expect_sps,
		      out->nested_sps);
		check(x->vm.stats.pages_4k == 2 * s->n, "pages_4k", 2 * s->n, x->vm.stats.pages_4k);
		vm_destroy(x);
		free(x);
		if (k < 0)
			continue;
		l1n[k] = t1 / n;
		nn[k] = t2 / n;
		rr[k] = t2 / t1;
	}
	out->l1_ns = median(l1n, rounds);
	out->nested_ns = median(nn, rounds);
	out->ratio = median(rr, rounds);
	return 0;
}

int main(int argc, char **argv)
{
	u64 pages = 1u << 16;
	int rounds = 5;
	struct fig fg[2];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			pages = 512;
			rounds = 1;
		} else if (!strcmp(argv[i], "--pages") && i + 1 < argc) {
			pages = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_nested [--smoke] [--pages N] [--rounds R]\n");
			return 2;
		}
	}
	if (pages < 1 || pages > MAX_PAGES || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_nested: need 1 <= N <= %u, 1 <= R <= %d\n", MAX_PAGES,
			MAX_ROUNDS);
		return 2;
	}

	printf("bench_nested: %" PRIu64 " pages, %d rounds, median\n", pages, rounds);
	printf("read faults on a final gpa (error code %#llx), fresh VM per round (EPT, TDP MMU "
	       "on); nested: shadow EPT of L1's 4-level EPT\n",
	       (unsigned long long)EPT_EC);
	printf("%-8s %8s %8s %10s %10s %12s %12s %8s\n", "layout", "L1 tabs", "SEPT SPs",
	       "nested ns", "L1 ns", "nested/s", "L1/s", "ratio");
	for (int l = DENSE; l <= SPARSE; l++) {
		struct nset s;
		struct hmem *h = NULL;

		if (nset_build(&s, (enum layout)l, pages) || hmem_create(&h, 0) ||
		    measure(&s, h, rounds, &fg[l])) {
			fprintf(stderr, "bench_nested: %s: set-up failed\n", layout_names[l]);
			return 1;
		}
		printf("%-8s %8" PRIu64 " %8" PRIu64 " %10.1f %10.1f %12.0f %12.0f %7.2fx\n",
		       layout_names[l], fg[l].l1_sps, fg[l].nested_sps, fg[l].nested_ns,
		       fg[l].l1_ns, 1e9 / fg[l].nested_ns, 1e9 / fg[l].l1_ns, fg[l].ratio);
		hmem_destroy(h);
		nset_free(&s);
	}
	printf("summary (ratio = nested fault time / same-run L1 TDP fault time)\n");
	for (int l = DENSE; l <= SPARSE; l++)
		printf("%-24s %-8s %10.1f %10.1f %12.0f %7.2fx\n", "nested EPT fault/L1 fault",
		       layout_names[l], fg[l].nested_ns, fg[l].l1_ns, 1e9 / fg[l].nested_ns,
		       fg[l].ratio);
	if (bench_violations) {
		fprintf(stderr, "bench_nested: %d invariant violation(s)\n", bench_violations);
		return 1;
	}
	return 0;
}
