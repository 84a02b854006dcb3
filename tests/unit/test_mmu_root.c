/* SPDX-License-Identifier: MIT */
/*
 * Roots and the prev_roots cache (mmu/root.h): KVM's exact rotation on CR3
 * switches, root references, PAE / 2-level / non-paging / TDP roots, freeing,
 * obsolete roots, the dummy root and the context reset rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/root.h"

#define MiB (1ULL << 20)
#define GUEST_RAM (64 * MiB)

/* want/got in hex, with the expression that produced got. */
#define EXPECT_HEX(want, got)                                                                      \
	do {                                                                                       \
		unsigned long long want_ = (unsigned long long)(want);                             \
		unsigned long long got_ = (unsigned long long)(got);                               \
		if (want_ != got_) {                                                               \
			print_error("%s:%d: %s: want %#llx got %#llx\n", __FILE__, __LINE__, #got, \
				    want_, got_);                                                  \
			fail();                                                                    \
		}                                                                                  \
	} while (0)

#define EXPECT_ERR(want, got)                                                                \
	do {                                                                                 \
		int want_ = (want);                                                          \
		int got_ = (got);                                                            \
		if (want_ != got_) {                                                         \
			print_error("%s:%d: %s: want %s got %s\n", __FILE__, __LINE__, #got, \
				    msc_err_name(want_), msc_err_name(got_));                \
			fail();                                                              \
		}                                                                            \
	} while (0)

#define EXPECT_OK(expr) EXPECT_ERR(0, (expr))

#define MAX_EVENTS 512

struct fx {
	struct gmem *gmem;
	struct hmem *hmem;
	struct mmu_vm vm;
	struct spte_masks masks;
	struct mmu_vcpu v;
	struct cpu_regs r;
	struct mmu_event ev[MAX_EVENTS];
	unsigned nev;
};

static void sink(void *ctx, const struct mmu_event *ev)
{
	struct fx *f = ctx;

	if (f->nev < MAX_EVENTS)
		f->ev[f->nev] = *ev;
	f->nev++;
}

/* Guest RAM is identity-backed: host frame = guest frame + 1M (never consulted by roots). */
static bool gfn_to_pfn(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable)
{
	struct fx *f = ctx;

	if (!gmem_slot_find(f->gmem, as, gfn << PAGE_SHIFT, NULL))
		return false;
	*pfn = gfn + 0x100000;
	*writable = true;
	return true;
}

static struct fx *fx_create(bool tdp, u8 forced_tdp_level)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = GUEST_RAM};

	assert_non_null(f);
	EXPECT_OK(gmem_create(&f->gmem, 0));
	EXPECT_OK(gmem_slot_add(f->gmem, &d));
	EXPECT_OK(hmem_create(&f->hmem, 0));
	spte_masks_init_legacy(&f->masks, 46);
	EXPECT_OK(mmu_vm_init(&f->vm, f->hmem, f->gmem, &f->masks, gfn_to_pfn, f));
	f->vm.sink = sink;
	f->vm.sink_ctx = f;
	mmu_vcpu_init(&f->v, &f->vm, tdp, 4, forced_tdp_level, true, 40);
	return f;
}

static void fx_destroy(struct fx *f)
{
	mmu_vcpu_destroy(&f->v);
	mmu_vm_destroy(&f->vm);
	hmem_destroy(f->hmem);
	gmem_destroy(f->gmem);
	free(f);
}

/* Paging modes by register values. */
#define CR0_PG_WP (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)

static void set_mode(struct fx *f, u64 cr0, u64 cr4, u64 efer)
{
	memset(&f->r, 0, sizeof(f->r));
	f->r.cr0 = cr0;
	f->r.cr4 = cr4;
	f->r.efer = efer;
}

static void set_long_mode(struct fx *f)
{
	set_mode(f, CR0_PG_WP, X86_CR4_PAE, X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
}

/* kvm_set_cr3() with a changed CR3, then kvm_mmu_reload() before the next entry. */
static bool switch_cr3(struct fx *f, u64 pgd)
{
	bool hit = mmu_new_pgd(&f->v, f->v.mmu, pgd);

	EXPECT_OK(mmu_load(&f->v, pgd));
	return hit;
}

static struct kvm_mmu_page *sp_of(struct fx *f, hpa_t hpa)
{
	return mmu_root_to_sp(&f->vm, hpa);
}

/* The index of the @n-th root event (ROOT_*) recorded since @from, or -1. */
static int nth_root_event(const struct fx *f, unsigned from, unsigned n)
{
	unsigned i;

	for (i = from; i < f->nev && i < MAX_EVENTS; i++) {
		switch (f->ev[i].kind) {
		case MMU_EV_ROOT_HIT:
		case MMU_EV_ROOT_MISS:
		case MMU_EV_ROOT_EVICT:
		case MMU_EV_ROOT_LOAD:
		case MMU_EV_ROOT_FREE:
			if (n-- == 0)
				return (int)i;
			break;
		case MMU_EV_GET_PAGE:
		case MMU_EV_SYNC_PAGE:
		case MMU_EV_UNSYNC_PAGE:
		case MMU_EV_PREPARE_ZAP:
		case MMU_EV_SET_SPTE:
		case MMU_EV_SPTE_REQUESTED:
		case MMU_EV_MARK_MMIO_SPTE:
		case MMU_EV_HANDLE_MMIO_PF:
		case MMU_EV_CHECK_MMIO_SPTE:
		case MMU_EV_ZAP_ALL_FAST:
		case MMU_EV_WRPROT_GFN:
			break;
		}
	}
	return -1;
}

static unsigned count_events(const struct fx *f, unsigned from, enum mmu_ev_kind kind)
{
	unsigned i, n = 0;

	for (i = from; i < f->nev && i < MAX_EVENTS; i++)
		n += f->ev[i].kind == kind;
	return n;
}

/* The created flag of the last GET_PAGE event for @gfn since @from (-1: none). */
static int last_get_page_created(const struct fx *f, unsigned from, gfn_t gfn)
{
	int created = -1;
	unsigned i;

	for (i = from; i < f->nev && i < MAX_EVENTS; i++)
		if (f->ev[i].kind == MMU_EV_GET_PAGE && f->ev[i].u.page.sp.gfn == gfn)
			created = f->ev[i].u.page.created;
	return created;
}

static void expect_root_event(const struct fx *f, int idx, enum mmu_ev_kind kind, int slot, u64 pgd,
			      hpa_t hpa)
{
	assert_true(idx >= 0);
	EXPECT_HEX(kind, f->ev[idx].kind);
	EXPECT_HEX((unsigned)slot, (unsigned)f->ev[idx].u.root.slot);
	EXPECT_HEX(pgd, f->ev[idx].u.root.pgd);
	EXPECT_HEX(hpa, f->ev[idx].u.root.hpa);
}

/* ---- the 64-bit shadow guest: five address spaces, KVM's rotation ---- */

#define PGD_A 0x1000ULL
#define PGD_B 0x2000ULL
#define PGD_C 0x3000ULL
#define PGD_D 0x4000ULL
#define PGD_E 0x5000ULL
#define NONE INVALID_PAGE /* the pgd KVM_MMU_ROOT_INFO_INVALID leaves in a slot */
#define ROLE_SHADOW_64_WP 0x3704u

/* One slot as expected: @valid with a root SP at pgd's gfn holding one reference, or
 * hpa INVALID_PAGE with exactly @pgd left behind (KVM leaves stale pgds). */
struct slot_want {
	u64 pgd;
	bool valid;
};

#define V(p) ((struct slot_want){(p), true})
#define I(p) ((struct slot_want){(p), false})

static void expect_slot(struct fx *f, const char *name, const struct kvm_mmu_root_info *got,
			struct slot_want want)
{
	struct kvm_mmu_page *sp;

	if (want.pgd != got->pgd) {
		print_error("%s.pgd: want %#llx got %#llx\n", name, (unsigned long long)want.pgd,
			    (unsigned long long)got->pgd);
		fail();
	}
	if (!want.valid) {
		if (got->hpa != INVALID_PAGE) {
			print_error("%s.hpa: want INVALID_PAGE got %#llx\n", name,
				    (unsigned long long)got->hpa);
			fail();
		}
		return;
	}
	sp = sp_of(f, got->hpa);
	if (!sp) {
		print_error("%s.hpa %#llx: want a root SP, got none\n", name,
			    (unsigned long long)got->hpa);
		fail();
	}
	EXPECT_HEX(want.pgd >> PAGE_SHIFT, sp->gfn);
	EXPECT_HEX(ROLE_SHADOW_64_WP, sp->role.word);
	EXPECT_HEX(1, sp->root_count);
}

static void expect_cache(struct fx *f, struct slot_want root, struct slot_want p0,
			 struct slot_want p1, struct slot_want p2)
{
	struct kvm_mmu *mmu = &f->v.root_mmu;

	expect_slot(f, "root", &mmu->root, root);
	expect_slot(f, "prev_roots[0]", &mmu->prev_roots[0], p0);
	expect_slot(f, "prev_roots[1]", &mmu->prev_roots[1], p1);
	expect_slot(f, "prev_roots[2]", &mmu->prev_roots[2], p2);
}

/* Load A, then visit B C D E C C A B E: every step's cache contents as KVM has them. */
static void test_cr3_switches_rotate_prev_roots_c012_like_kvm(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	hpa_t hpa_a, hpa_c;
	unsigned mark;
	int e;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(ROLE_SHADOW_64_WP, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, PGD_A));
	expect_cache(f, V(PGD_A), I(NONE), I(NONE), I(NONE));
	hpa_a = mmu->root.hpa;
	EXPECT_HEX(1, last_get_page_created(f, 0, PGD_A >> 12));

	/* B: miss; the invalid slots rotate through root and nothing is evicted. */
	assert_false(switch_cr3(f, PGD_B));
	expect_cache(f, V(PGD_B), V(PGD_A), I(NONE), I(NONE));
	assert_false(switch_cr3(f, PGD_C));
	expect_cache(f, V(PGD_C), V(PGD_B), V(PGD_A), I(NONE));
	assert_false(switch_cr3(f, PGD_D));
	expect_cache(f, V(PGD_D), V(PGD_C), V(PGD_B), V(PGD_A));
	EXPECT_HEX(0, f->v.root_stats.evictions);

	/* E: miss with a full cache: the LRU (A) is evicted, its SP stays hashed. */
	mark = f->nev;
	assert_false(switch_cr3(f, PGD_E));
	expect_cache(f, V(PGD_E), V(PGD_D), V(PGD_C), V(PGD_B));
	EXPECT_HEX(0, sp_of(f, hpa_a)->root_count);
	e = nth_root_event(f, mark, 0);
	expect_root_event(f, e, MMU_EV_ROOT_EVICT, 2, PGD_A, hpa_a);
	expect_root_event(f, nth_root_event(f, mark, 1), MMU_EV_ROOT_FREE, -1, PGD_A, hpa_a);
	expect_root_event(f, nth_root_event(f, mark, 2), MMU_EV_ROOT_MISS, -1, PGD_E, INVALID_PAGE);
	expect_root_event(f, nth_root_event(f, mark, 3), MMU_EV_ROOT_LOAD, -1, PGD_E,
			  mmu->root.hpa);
	EXPECT_HEX(ROLE_SHADOW_64_WP, f->ev[nth_root_event(f, mark, 3)].u.root.role);

	/* C: found after two swaps (prev_roots[1]); a reused root restarts flood detection. */
	hpa_c = mmu->prev_roots[1].hpa;
	sp_of(f, hpa_c)->write_flooding_count = 2;
	mark = f->nev;
	assert_true(switch_cr3(f, PGD_C));
	expect_cache(f, V(PGD_C), V(PGD_E), V(PGD_D), V(PGD_B));
	EXPECT_HEX(hpa_c, mmu->root.hpa);
	EXPECT_HEX(0, sp_of(f, hpa_c)->write_flooding_count);
	e = nth_root_event(f, mark, 0);
	expect_root_event(f, e, MMU_EV_ROOT_HIT, 1, PGD_C, hpa_c);
	EXPECT_HEX(ROLE_SHADOW_64_WP, f->ev[e].u.root.role);
	EXPECT_HEX(-1, nth_root_event(f, mark, 1)); /* a hit loads nothing */
	EXPECT_HEX(0, count_events(f, mark, MMU_EV_GET_PAGE));

	/* C again: the current root matches (slot -1), nothing moves. */
	mark = f->nev;
	assert_true(switch_cr3(f, PGD_C));
	expect_cache(f, V(PGD_C), V(PGD_E), V(PGD_D), V(PGD_B));
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_HIT, -1, PGD_C, hpa_c);

	/* A: miss, B evicted; A's SP is found again in the hash ("existing"). */
	mark = f->nev;
	assert_false(switch_cr3(f, PGD_A));
	expect_cache(f, V(PGD_A), V(PGD_C), V(PGD_E), V(PGD_D));
	EXPECT_HEX(hpa_a, mmu->root.hpa);
	EXPECT_HEX(0, last_get_page_created(f, mark, PGD_A >> 12));
	EXPECT_HEX(PGD_B, f->ev[nth_root_event(f, mark, 0)].u.root.pgd);

	/* B: miss, D evicted, B existing. */
	mark = f->nev;
	assert_false(switch_cr3(f, PGD_B));
	expect_cache(f, V(PGD_B), V(PGD_A), V(PGD_C), V(PGD_E));
	EXPECT_HEX(0, last_get_page_created(f, mark, PGD_B >> 12));

	/* E: found in the last slot after three swaps. */
	mark = f->nev;
	assert_true(switch_cr3(f, PGD_E));
	expect_cache(f, V(PGD_E), V(PGD_B), V(PGD_A), V(PGD_C));
	EXPECT_HEX(2, (unsigned)f->ev[nth_root_event(f, mark, 0)].u.root.slot);

	/* Without a current root, a hit bubbles the rest up; the last slot keeps its pgd. */
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOT_CURRENT);
	expect_cache(f, I(0), V(PGD_B), V(PGD_A), V(PGD_C));
	mark = f->nev;
	assert_true(switch_cr3(f, PGD_A));
	expect_cache(f, V(PGD_A), V(PGD_B), V(PGD_C), I(PGD_C));
	EXPECT_HEX(1, (unsigned)f->ev[nth_root_event(f, mark, 0)].u.root.slot);

	/* D: the rotation ends on the invalid slot: nothing evicted, its stale pgd stays in
	 * root until the load. */
	mmu_new_pgd(&f->v, mmu, PGD_D);
	expect_cache(f, I(PGD_C), V(PGD_A), V(PGD_B), V(PGD_C));
	EXPECT_OK(mmu_load(&f->v, PGD_D));
	expect_cache(f, V(PGD_D), V(PGD_A), V(PGD_B), V(PGD_C));

	EXPECT_HEX(4, f->v.root_stats.hits);
	EXPECT_HEX(7, f->v.root_stats.misses);
	EXPECT_HEX(3, f->v.root_stats.evictions);
	EXPECT_HEX(8, f->v.root_stats.loads);
	EXPECT_HEX(4, f->v.root_stats.frees);
	EXPECT_HEX(4, count_events(f, 0, MMU_EV_ROOT_HIT));
	EXPECT_HEX(7, count_events(f, 0, MMU_EV_ROOT_MISS));
	EXPECT_HEX(3, count_events(f, 0, MMU_EV_ROOT_EVICT));
	EXPECT_HEX(8, count_events(f, 0, MMU_EV_ROOT_LOAD));
	EXPECT_HEX(4, count_events(f, 0, MMU_EV_ROOT_FREE));
	/* Five shadow pages in all: every reload found its SP. */
	EXPECT_HEX(5, f->vm.n_used_mmu_pages);
	fx_destroy(f);
}

static void test_freeing_a_prev_root_keeps_its_stale_pgd(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	hpa_t hpa_a;
	unsigned mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, PGD_A));
	hpa_a = mmu->root.hpa;
	switch_cr3(f, PGD_B);
	mark = f->nev;
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOT_PREVIOUS(0));
	expect_cache(f, V(PGD_B), I(PGD_A), I(NONE), I(NONE));
	EXPECT_HEX(0, sp_of(f, hpa_a)->root_count);
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_FREE, 0, PGD_A, hpa_a);
	/* Nothing selected is valid: a quick exit, no event. */
	mark = f->nev;
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOT_PREVIOUS(0) | KVM_MMU_ROOT_PREVIOUS(2));
	EXPECT_HEX(0, f->nev - mark);
	fx_destroy(f);
}

/* ---- PAE, 2-level and non-paging guests: the PAE root page ---- */

static u64 *pae_root_of(struct fx *f)
{
	u64 *p = hmem_ptr(f->hmem, f->v.root_mmu.pae_root);

	assert_non_null(p);
	return p;
}

/* pae_root[i] must be SP(gfn, role) | P. */
static void expect_pae_entry(struct fx *f, unsigned i, gfn_t gfn, u32 role)
{
	u64 e = pae_root_of(f)[i];
	struct kvm_mmu_page *sp = mmu_root_to_sp(&f->vm, e & GENMASK_ULL(51, 12));

	EXPECT_HEX(1, e & 0xfff);
	assert_non_null(sp);
	EXPECT_HEX(gfn, sp->gfn);
	EXPECT_HEX(role, sp->role.word);
	EXPECT_HEX(1, sp->root_count);
	EXPECT_HEX(sp->spt | 1, e);
}

static void test_pae_guest_root_skips_absent_and_invisible_pdptes(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	const u64 cr3 = 0x6020; /* PDPT at bits 31:5 */
	const u64 pdpte[4] = {0x7001, 0x8001, 0x9000 /* not present */,
			      0x100000001ULL /* 4 GiB: outside every memslot */};
	struct kvm_mmu_page *child0;
	unsigned i, mark;

	(void)state;
	for (i = 0; i < 4; i++)
		EXPECT_OK(gmem_write64(f->gmem, 0, cr3 + 8 * i, pdpte[i]));
	set_mode(f, CR0_PG_WP, X86_CR4_PAE, X86_EFER_NXE);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(0x3703, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, cr3));

	EXPECT_HEX(mmu->pae_root, mmu->root.hpa);
	EXPECT_HEX(cr3, mmu->root.pgd);
	assert_null(sp_of(f, mmu->root.hpa)); /* a special root: no SP behind it */
	expect_pae_entry(f, 0, 7, 0x3702);
	expect_pae_entry(f, 1, 8, 0x3702);
	EXPECT_HEX(INVALID_PAE_ROOT, pae_root_of(f)[2]);
	EXPECT_HEX(INVALID_PAE_ROOT, pae_root_of(f)[3]);
	EXPECT_HEX(0, mmu->pdptrs[3]); /* invisible target: treated as not present */
	EXPECT_HEX(0x9000, mmu->pdptrs[2]);

	/* A CR3 switch never caches a PAE root: it is freed first, then nothing matches. */
	child0 = mmu_root_to_sp(&f->vm, pae_root_of(f)[0] & GENMASK_ULL(51, 12));
	mark = f->nev;
	assert_false(mmu_new_pgd(&f->v, mmu, 0x6040));
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_FREE, -1, cr3, mmu->pae_root);
	expect_root_event(f, nth_root_event(f, mark, 1), MMU_EV_ROOT_MISS, -1, 0x6040,
			  INVALID_PAGE);
	EXPECT_HEX(0, child0->root_count);
	for (i = 0; i < 4; i++)
		EXPECT_HEX(INVALID_PAE_ROOT, pae_root_of(f)[i]);
	EXPECT_HEX(INVALID_PAGE, mmu->root.hpa);
	EXPECT_HEX(INVALID_PAGE, mmu->prev_roots[0].hpa);

	/* Reloading the same PDPT finds the page directories' SPs again. */
	mark = f->nev;
	EXPECT_OK(mmu_load(&f->v, cr3));
	EXPECT_HEX(0, last_get_page_created(f, mark, 7));
	EXPECT_HEX(1, child0->root_count);

	/* A PAE root is always "obsolete" (it has no SP whose generation could tell). */
	mmu_free_obsolete_roots(&f->v);
	EXPECT_HEX(INVALID_PAGE, mmu->root.hpa);
	EXPECT_HEX(0, child0->root_count);
	fx_destroy(f);
}

static void test_two_level_guest_gets_four_quadrant_roots(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	static const u32 role[4] = {0x3712, 0x3732, 0x3752, 0x3772};
	unsigned i;

	(void)state;
	set_mode(f, CR0_PG_WP, 0, 0);
	mmu_init_context(&f->v, &f->r);
	/* 4-byte gptes, PAE-shaped shadow (level 3), NX forced on in the shadow format. */
	EXPECT_HEX(0x3713, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, 0xa000));
	EXPECT_HEX(mmu->pae_root, mmu->root.hpa);
	EXPECT_HEX(0xa000, mmu->root.pgd);
	/* Four SPs for the one guest page directory, one per 1 GiB quarter. */
	for (i = 0; i < 4; i++)
		expect_pae_entry(f, i, 0xa, role[i]);
	EXPECT_HEX(4, f->vm.n_used_mmu_pages);
	fx_destroy(f);
}

static void test_nonpaging_guest_gets_four_direct_gigabyte_roots(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	unsigned i;

	(void)state;
	set_mode(f, X86_CR0_PE, 0, 0);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(0x1783, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, 0x1234000)); /* CR3 means nothing with paging off */
	EXPECT_HEX(mmu->pae_root, mmu->root.hpa);
	EXPECT_HEX(0, mmu->root.pgd);
	for (i = 0; i < 4; i++)
		expect_pae_entry(f, i, (gfn_t)i << 18, 0x1782);
	fx_destroy(f);
}

/* ---- TDP (legacy direct MMU) ---- */

static void test_tdp_root_is_direct_at_gfn0_and_survives_cr3_switches(void **state)
{
	struct fx *f = fx_create(true, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	struct kvm_mmu_page *sp;
	hpa_t hpa;
	unsigned mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(0x3784, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, 0x1000));
	hpa = mmu->root.hpa;
	sp = sp_of(f, hpa);
	assert_non_null(sp);
	EXPECT_HEX(0, sp->gfn);
	EXPECT_HEX(0x3784, sp->role.word);
	EXPECT_HEX(1, sp->root_count);
	EXPECT_HEX(0, mmu->root.pgd); /* ignored for direct roots */

	/* The pgd does not matter: every CR3 switch hits the current root. */
	mark = f->nev;
	assert_true(switch_cr3(f, 0x2000));
	assert_true(switch_cr3(f, 0x3000));
	EXPECT_HEX(hpa, mmu->root.hpa);
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_HIT, -1, 0x2000, hpa);
	EXPECT_HEX(2, f->v.root_stats.hits);
	EXPECT_HEX(1, sp->root_count);

	/* Paging off: a new CPU role, the same TDP root role; the reload finds the SP. */
	set_mode(f, X86_CR0_PE, 0, 0);
	mark = f->nev;
	mmu_reset_context(&f->v, &f->r);
	EXPECT_HEX(2, f->v.root_stats.context_inits);
	EXPECT_HEX(0x3784, mmu->root_role.word);
	EXPECT_HEX(0, sp->root_count);
	EXPECT_OK(mmu_load(&f->v, 0));
	EXPECT_HEX(hpa, mmu->root.hpa);
	EXPECT_HEX(0, last_get_page_created(f, mark, 0));
	fx_destroy(f);
}

static void test_three_level_tdp_root_uses_the_pae_root(void **state)
{
	struct fx *f = fx_create(true, 3); /* SVM forcing 32-bit-host NPT */
	struct kvm_mmu *mmu = &f->v.root_mmu;
	unsigned i;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(0x3783, mmu->root_role.word);
	EXPECT_OK(mmu_load(&f->v, 0x1000));
	EXPECT_HEX(mmu->pae_root, mmu->root.hpa);
	for (i = 0; i < 4; i++)
		expect_pae_entry(f, i, (gfn_t)i << 18, 0x3782);
	fx_destroy(f);
}

static void test_unbuilt_root_kinds_are_refused(void **state)
{
	struct fx *f = fx_create(true, 0);

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	/* (TDP MMU roots: tests/unit/test_mmu_tdp.c; shadow EPT/NPT roots, the
	 * passthrough and special roots included: tests/unit/test_nested.c.) No root
	 * is built for nested_mmu (it has none). */
	f->v.mmu = &f->v.nested_mmu;
	EXPECT_ERR(MSC_EOPNOTSUPP, mmu_load(&f->v, 0));
	f->v.mmu = &f->v.root_mmu;
	EXPECT_HEX(0, f->v.root_stats.loads);
	fx_destroy(f);
}

/* ---- contexts ---- */

static void test_reset_context_frees_every_root_but_sps_stay_hashed(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	union kvm_mmu_page_role role = {.word = ROLE_SHADOW_64_WP};
	struct mlist invalid_list;
	struct kvm_mmu_page *sp_a, *sp_b, *sp_c;
	unsigned mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, PGD_A));
	switch_cr3(f, PGD_B);
	switch_cr3(f, PGD_C);
	sp_c = sp_of(f, mmu->root.hpa);
	sp_b = sp_of(f, mmu->prev_roots[0].hpa);
	sp_a = sp_of(f, mmu->prev_roots[1].hpa);

	mark = f->nev;
	mmu_reset_context(&f->v, &f->r);
	/* Prev roots first (index order), then the current one. */
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_FREE, 0, PGD_B, sp_b->spt);
	expect_root_event(f, nth_root_event(f, mark, 1), MMU_EV_ROOT_FREE, 1, PGD_A, sp_a->spt);
	expect_root_event(f, nth_root_event(f, mark, 2), MMU_EV_ROOT_FREE, -1, PGD_C, sp_c->spt);
	EXPECT_HEX(-1, nth_root_event(f, mark, 3));
	expect_cache(f, I(0), I(PGD_B), I(PGD_A), I(NONE));
	EXPECT_HEX(0, sp_a->root_count);
	EXPECT_HEX(0, sp_b->root_count);
	EXPECT_HEX(0, sp_c->root_count);
	/* Same registers: the roles did not change, so kvm_init_mmu() short-circuited. */
	EXPECT_HEX(1, f->v.root_stats.context_inits);
	EXPECT_HEX(1, f->v.root_stats.context_resets);

	/* Unreferenced, not zapped: still in the hash. */
	mlist_init(&invalid_list);
	assert_ptr_equal(sp_a, mmu_find_shadow_page(&f->vm, PGD_A >> 12, role, &invalid_list));
	mmu_commit_zap_page(&f->vm, &invalid_list);
	EXPECT_HEX(3, f->vm.n_used_mmu_pages);
	mark = f->nev;
	EXPECT_OK(mmu_load(&f->v, PGD_C));
	EXPECT_HEX(sp_c->spt, mmu->root.hpa);
	EXPECT_HEX(0, last_get_page_created(f, mark, PGD_C >> 12));

	/* CR0.WP off: a new root role (0x1704), so a new SP at the same gfn. */
	set_mode(f, X86_CR0_PE | X86_CR0_PG, X86_CR4_PAE,
		 X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	mmu_reset_context(&f->v, &f->r);
	EXPECT_HEX(2, f->v.root_stats.context_inits);
	EXPECT_HEX(0x1704, mmu->root_role.word);
	mark = f->nev;
	EXPECT_OK(mmu_load(&f->v, PGD_C));
	EXPECT_HEX(1, last_get_page_created(f, mark, PGD_C >> 12));
	EXPECT_HEX(0x1704, sp_of(f, mmu->root.hpa)->role.word);
	EXPECT_HEX(4, f->vm.n_used_mmu_pages);
	fx_destroy(f);
}

static void test_init_context_short_circuits_on_unchanged_roles(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	union kvm_cpu_role cpu_role;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(1, f->v.root_stats.context_inits);
	cpu_role = mmu->cpu_role;
	EXPECT_HEX(0x0000008100003704ULL, cpu_role.as_u64); /* ext: valid, efer_lma */
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(1, f->v.root_stats.context_inits);
	/* CR4.PGE and CR0.AM are not role bits (KVM_MMU_CR4/CR0_ROLE_BITS). */
	f->r.cr4 |= X86_CR4_PGE;
	f->r.cr0 |= X86_CR0_AM;
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(1, f->v.root_stats.context_inits);
	/* CR4.SMEP is: a new CPU role, though the root role (WP=1) is the same. */
	f->r.cr4 |= X86_CR4_SMEP;
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(2, f->v.root_stats.context_inits);
	EXPECT_HEX(ROLE_SHADOW_64_WP, mmu->root_role.word);
	EXPECT_HEX(cpu_role.as_u64 | (1ULL << (32 + 5)), mmu->cpu_role.as_u64);
	/* Init alone never touches roots (only kvm_mmu_reset_context() unloads). */
	EXPECT_HEX(0, f->v.root_stats.context_resets);
	EXPECT_HEX(0, f->v.root_stats.frees);
	fx_destroy(f);
}

/* ---- obsolete and invalid roots ---- */

static void test_obsolete_roots_after_zap_all_fast_are_freed(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	struct kvm_mmu_page *sp_a, *sp_b;
	hpa_t hpa_a, hpa_b;
	unsigned mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, PGD_A));
	switch_cr3(f, PGD_B);
	hpa_b = mmu->root.hpa;
	hpa_a = mmu->prev_roots[0].hpa;
	sp_b = sp_of(f, hpa_b);
	sp_a = sp_of(f, hpa_a);
	EXPECT_HEX(2, f->vm.n_used_mmu_pages);

	/* Zapped while pinned: invalid, kept until the last root reference goes. */
	mmu_zap_all_fast(&f->vm);
	assert_true(mmu_is_obsolete_sp(&f->vm, sp_a));
	assert_true(mmu_is_obsolete_sp(&f->vm, sp_b));
	EXPECT_HEX(1, sp_a->root_count);
	EXPECT_HEX(1, sp_b->root_count);

	mark = f->nev;
	mmu_free_obsolete_roots(&f->v);
	/* (sp_a and sp_b are freed now: only their saved addresses are used.) */
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_FREE, 0, PGD_A, hpa_a);
	expect_root_event(f, nth_root_event(f, mark, 1), MMU_EV_ROOT_FREE, -1, PGD_B, hpa_b);
	expect_cache(f, I(0), I(PGD_A), I(NONE), I(NONE));
	/* Both SPs were freed by their last root reference. */
	EXPECT_HEX(0, f->vm.n_used_mmu_pages);
	EXPECT_HEX(2, f->v.root_stats.frees);

	/* Nothing obsolete is left: a second request frees nothing. */
	mark = f->nev;
	mmu_free_obsolete_roots(&f->v);
	EXPECT_HEX(0, f->nev - mark);
	/* The next load builds fresh SPs under the new generation. */
	mark = f->nev;
	EXPECT_OK(mmu_load(&f->v, PGD_B));
	EXPECT_HEX(1, last_get_page_created(f, mark, PGD_B >> 12));
	assert_false(mmu_is_obsolete_sp(&f->vm, sp_of(f, mmu->root.hpa)));
	fx_destroy(f);
}

static void test_invalid_root_sp_is_zapped_when_its_last_reference_goes(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	struct mlist invalid_list;
	struct kvm_mmu_page *sp_old;
	int nr_zapped = 0;
	unsigned mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, PGD_A));
	switch_cr3(f, PGD_B);
	sp_old = sp_of(f, mmu->prev_roots[0].hpa);

	/* Zap A while it is a (previous) root: it stays, marked invalid. */
	mlist_init(&invalid_list);
	(void)mmu_prepare_zap_page(&f->vm, sp_old, &invalid_list, &nr_zapped);
	mmu_commit_zap_page(&f->vm, &invalid_list);
	EXPECT_HEX(1, sp_old->role.invalid);
	EXPECT_HEX(1, sp_old->root_count);

	/* Its role word (invalid bit set) no longer matches: switching back misses and
	 * builds a new SP for A. */
	mark = f->nev;
	assert_false(switch_cr3(f, PGD_A));
	EXPECT_HEX(1, last_get_page_created(f, mark, PGD_A >> 12));
	EXPECT_HEX(PGD_A, mmu->prev_roots[1].pgd);
	EXPECT_HEX(sp_old->spt, mmu->prev_roots[1].hpa);
	EXPECT_HEX(3, f->vm.n_used_mmu_pages);

	/* Dropping that last reference zaps it. */
	mark = f->nev;
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOT_PREVIOUS(1));
	EXPECT_HEX(1, count_events(f, mark, MMU_EV_PREPARE_ZAP));
	EXPECT_HEX(2, f->vm.n_used_mmu_pages);
	EXPECT_HEX(INVALID_PAGE, mmu->prev_roots[1].hpa);
	fx_destroy(f);
}

/* ---- the dummy root ---- */

static void test_guest_root_outside_memslots_gets_the_dummy_root(void **state)
{
	struct fx *f = fx_create(false, 0);
	struct kvm_mmu *mmu = &f->v.root_mmu;
	const u8 *page;
	unsigned i, mark;

	(void)state;
	set_long_mode(f);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, GUEST_RAM + 0x1000));
	assert_true(f->v.dummy_root != 0);
	EXPECT_HEX(f->v.dummy_root, mmu->root.hpa);
	assert_true(mmu_is_dummy_root(&f->v, mmu->root.hpa));
	assert_null(sp_of(f, mmu->root.hpa));
	EXPECT_HEX(0, mmu->root.pgd); /* KVM returns before setting root.pgd */
	EXPECT_HEX(0, f->vm.n_used_mmu_pages);
	page = hmem_ptr(f->hmem, f->v.dummy_root);
	assert_non_null(page);
	for (i = 0; i < PAGE_SIZE; i++)
		EXPECT_HEX(0, page[i]);

	/* A dummy root is never cached: the switch frees it, then builds a real one. */
	mark = f->nev;
	assert_false(switch_cr3(f, PGD_A));
	expect_root_event(f, nth_root_event(f, mark, 0), MMU_EV_ROOT_FREE, -1, 0, f->v.dummy_root);
	EXPECT_HEX(INVALID_PAGE, mmu->prev_roots[0].hpa);
	assert_non_null(sp_of(f, mmu->root.hpa));

	/* And it counts as obsolete (no SP). */
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOTS_ALL);
	EXPECT_OK(mmu_load(&f->v, GUEST_RAM + 0x2000));
	mmu_free_obsolete_roots(&f->v);
	EXPECT_HEX(INVALID_PAGE, mmu->root.hpa);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cr3_switches_rotate_prev_roots_c012_like_kvm),
		cmocka_unit_test(test_freeing_a_prev_root_keeps_its_stale_pgd),
		cmocka_unit_test(test_pae_guest_root_skips_absent_and_invisible_pdptes),
		cmocka_unit_test(test_two_level_guest_gets_four_quadrant_roots),
		cmocka_unit_test(test_nonpaging_guest_gets_four_direct_gigabyte_roots),
		cmocka_unit_test(test_tdp_root_is_direct_at_gfn0_and_survives_cr3_switches),
		cmocka_unit_test(test_three_level_tdp_root_uses_the_pae_root),
		cmocka_unit_test(test_unbuilt_root_kinds_are_refused),
		cmocka_unit_test(test_reset_context_frees_every_root_but_sps_stay_hashed),
		cmocka_unit_test(test_init_context_short_circuits_on_unchanged_roles),
		cmocka_unit_test(test_obsolete_roots_after_zap_all_fast_are_freed),
		cmocka_unit_test(test_invalid_root_sp_is_zapped_when_its_last_reference_goes),
		cmocka_unit_test(test_guest_root_outside_memslots_gets_the_dummy_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
