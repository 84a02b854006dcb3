/* SPDX-License-Identifier: MIT */
/*
 * Unsync and sync (mmu/sync.h): real guest tables built with ptbuild, shadow
 * faults creating SPs, a level-1 SP going unsync when the guest maps its own
 * page table writable, then the guest editing gptes behind KVM's back (host
 * writes, no tracking) and INVLPG / INVPCID / a guest TLB flush / a root load
 * bringing the SPTEs back in line as FNAME(sync_spte) does.
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
#include "cpu/ptbuild.h"
#include "cpu/walk.h"
#include "mmu/fault.h"
#include "mmu/sync.h"
#include "mmu_fixture.h"

/* vm.sync_page bound to the fixture's vCPU (kvm_sync_page() has the vCPU). */
static int sync_page_tramp(void *ctx, struct kvm_mmu_page *sp)
{
	struct fx *f = ctx;

	f->sync_calls++;
	return mmu_sync_page(&f->v, sp);
}

static struct fx *fx_create(enum walk_fmt fmt, u64 cr0, u64 cr4, u64 efer)
{
	struct fx *f = fx_create_host(false, fmt, cr0, cr4, efer, 46);

	f->vm.sync_page = sync_page_tramp;
	return f;
}

/* The guest's gpte for @va at level 1, rewritten behind KVM's back (no tracking). */
static void host_set_gpte(struct fx *f, u64 va, u64 val)
{
	u64 pa = 0;

	EXPECT_OK(pt_entry_addr(&f->b, va, 1, &pa));
	if (f->b.fmt == WALK_FMT_32) {
		u32 v32 = (u32)val;

		EXPECT_OK(gmem_write_host(f->gmem, 0, pa, &v32, 4));
	} else {
		EXPECT_OK(gmem_write_host(f->gmem, 0, pa, &val, 8));
	}
}

static u64 spte_at(struct fx *f, u64 sptep)
{
	u64 *p = mmu_sptep_ptr(&f->vm, sptep);

	assert_non_null(p);
	return *p;
}

/* Legacy SPTE bits (mmu/spte.h). */
#define S_P BIT_ULL(0)
#define S_W BIT_ULL(1)
#define S_U BIT_ULL(2)
#define S_A BIT_ULL(5)
#define S_D BIT_ULL(6)
#define S_HOSTW BIT_ULL(9)
#define S_MMUW BIT_ULL(10)
#define S_PRESENT BIT_ULL(11)
#define S_NX BIT_ULL(63)

/* A read-only (clean or write-protected) and a writable 4K leaf, executable. */
static u64 spte_ro(gfn_t gfn)
{
	return ((PFN_BASE + gfn) << PAGE_SHIFT) | S_PRESENT | S_HOSTW | S_A | S_U | S_P;
}

static u64 spte_rw(gfn_t gfn)
{
	return spte_ro(gfn) | S_W | S_D | S_MMUW;
}

/* ---- a 64-bit guest with an unsync level-1 SP ---- */

#define VA 0x12345678000ULL /* PT index 0x78 */
#define PA 0x300000ULL
#define VA_PT (VA + 4 * MiB) /* another PT: where the guest maps its own PT */
#define NPAGES 4

/* Shadowed state after unsync_setup(). */
struct unsync {
	u64 sptep[NPAGES]; /* leaf of VA + i pages */
	struct kvm_mmu_page *pt; /* the level-1 SP of VA's guest PT */
	gfn_t pt_gfn;
	u64 pt_alias_sptep; /* VA_PT's writable leaf */
};

/*
 * Map VA + i -> PA + i (i < NPAGES), fault each in (page 1 with a write, so
 * its SPTE is writable), then map VA's own PT at VA_PT and write through it:
 * the PT's SP goes unsync.
 */
static void unsync_setup(struct fx *f, struct unsync *u)
{
	unsigned from;

	for (unsigned i = 0; i < NPAGES; i++)
		EXPECT_OK(pt_map(&f->b, VA + i * PAGE_SIZE, PA + i * PAGE_SIZE, PAGE_SIZE,
				 PT_P | PT_W | PT_U));
	fx_load(f);
	for (unsigned i = 0; i < NPAGES; i++) {
		EXPECT_HEX(RET_PF_FIXED,
			   fault(f, VA + i * PAGE_SIZE, PFERR_U | (i == 1 ? PFERR_W : 0)));
		u->sptep[i] = f->out.sptep;
	}
	u->pt = mmu_sptep_to_sp(&f->vm, u->sptep[0]);
	assert_non_null(u->pt);
	u->pt_gfn = table_gfn(f, VA, 1);
	EXPECT_HEX(u->pt_gfn, u->pt->gfn);
	assert_false(u->pt->unsync);
	/* A level-1 SP does not write-track its gfn (only the 2M/1G disallow). */
	assert_false(mmu_gfn_is_write_tracked(&f->vm, 0, u->pt_gfn));

	EXPECT_OK(pt_map(&f->b, VA_PT, u->pt_gfn << PAGE_SHIFT, PAGE_SIZE, PT_P | PT_W | PT_U));
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA_PT, PFERR_W | PFERR_U));
	u->pt_alias_sptep = f->out.sptep;
	EXPECT_HEX(spte_rw(u->pt_gfn), spte_at(f, u->pt_alias_sptep));
	assert_true(u->pt->unsync);
	EXPECT_HEX(1, f->vm.stats.mmu_unsync);
	EXPECT_HEX(1, count_events(f, from, MMU_EV_UNSYNC_PAGE));
}

static void test_writable_mapping_of_a_page_table_makes_its_sp_unsync(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	struct kvm_mmu_page *root, *l2;
	struct unsync u;

	(void)state;
	unsync_setup(f, &u);
	EXPECT_HEX(spte_ro(PA >> PAGE_SHIFT), spte_at(f, u.sptep[0]));
	EXPECT_HEX(spte_rw((PA >> PAGE_SHIFT) + 1), spte_at(f, u.sptep[1]));
	/* The unsync mark propagates to the root. */
	l2 = mmu_sptep_to_sp(&f->vm, u.pt->parent_ptes.single);
	assert_non_null(l2);
	EXPECT_HEX(1, l2->unsync_children);
	root = mmu_root_to_sp(&f->vm, f->v.mmu->root.hpa);
	assert_non_null(root);
	EXPECT_HEX(1, root->unsync_children);
	fx_destroy(f);
}

static void test_invlpg_resyncs_exactly_the_entry_of_the_address(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const gfn_t g = PA >> PAGE_SHIFT;
	u64 pages_4k, flushes;
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	pages_4k = f->vm.stats.pages_4k;

	/* The guest clears W of page 1, unmaps page 0, remaps page 2 elsewhere. */
	host_set_gpte(f, VA + PAGE_SIZE, (PA + PAGE_SIZE) | PT_P | PT_U | PT_A | PT_D);
	host_set_gpte(f, VA, 0);
	host_set_gpte(f, VA + 2 * PAGE_SIZE, 0x700000 | PT_P | PT_W | PT_U | PT_A | PT_D);

	/* INVLPG of page 1: rebuilt read-only from the gpte; the others untouched. */
	flushes = f->vm.stats.remote_tlb_flush_requests;
	f->vm.req_tlb_flush = false;
	from = f->nev;
	mmu_invlpg(&f->v, VA + PAGE_SIZE, true);
	EXPECT_HEX(1, f->v.invlpg);
	EXPECT_HEX(spte_ro(g + 1), spte_at(f, u.sptep[1]));
	EXPECT_HEX(ACC_USER | ACC_EXEC, mmu_page_get_access(u.pt, mmu_spte_index(u.sptep[1])));
	EXPECT_HEX(g + 1, mmu_page_get_gfn(u.pt, mmu_spte_index(u.sptep[1])));
	EXPECT_HEX(spte_ro(g), spte_at(f, u.sptep[0]));
	EXPECT_HEX(spte_ro(g + 2), spte_at(f, u.sptep[2]));
	/* An MMU-writable SPTE lost W: a flush. No event for a sync (KVM traces none). */
	EXPECT_HEX(flushes + 1, f->vm.stats.remote_tlb_flush_requests);
	assert_true(f->vm.req_tlb_flush);
	EXPECT_HEX(0, f->nev - from);
	EXPECT_HEX(pages_4k, f->vm.stats.pages_4k);

	/* Again: the access is unchanged now, nothing to do. */
	mmu_invlpg(&f->v, VA + PAGE_SIZE, true);
	EXPECT_HEX(flushes + 1, f->vm.stats.remote_tlb_flush_requests);

	/* Page 0: the gpte is not present -- dropped, rmap and stats updated. */
	mmu_invlpg(&f->v, VA, true);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[0]));
	EXPECT_HEX(0, mmu_rmap_get(&f->vm, 0, g, 1, NULL, 0));
	EXPECT_HEX(pages_4k - 1, f->vm.stats.pages_4k);
	EXPECT_HEX(flushes + 2, f->vm.stats.remote_tlb_flush_requests);
	EXPECT_HEX(spte_ro(g + 2), spte_at(f, u.sptep[2]));

	/* Page 2: another gfn -- dropped. */
	mmu_invlpg(&f->v, VA + 2 * PAGE_SIZE, true);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[2]));
	EXPECT_HEX(pages_4k - 2, f->vm.stats.pages_4k);

	/* INVLPG syncs single entries: the SP stays unsync, nothing write-protected. */
	assert_true(u.pt->unsync);
	EXPECT_HEX(1, f->vm.stats.mmu_unsync);
	EXPECT_HEX(spte_rw(u.pt_gfn), spte_at(f, u.pt_alias_sptep));
	EXPECT_HEX(spte_ro(g + 3), spte_at(f, u.sptep[3]));
	EXPECT_HEX(4, f->v.invlpg);
	EXPECT_HEX(0, f->sync_calls);
	fx_destroy(f);
}

static void test_sync_roots_syncs_every_entry_and_clears_unsync(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const gfn_t g = PA >> PAGE_SHIFT;
	struct kvm_mmu_page *root;
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	host_set_gpte(f, VA + PAGE_SIZE, (PA + PAGE_SIZE) | PT_P | PT_U | PT_A | PT_D);
	host_set_gpte(f, VA, 0);
	host_set_gpte(f, VA + 2 * PAGE_SIZE, 0x700000 | PT_P | PT_W | PT_U | PT_A | PT_D);

	from = f->nev;
	mmu_sync_roots(&f->v);
	EXPECT_HEX(1, f->sync_calls);
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SYNC_PAGE));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_PREPARE_ZAP));
	assert_false(u.pt->unsync);
	EXPECT_HEX(0, f->vm.stats.mmu_unsync);
	root = mmu_root_to_sp(&f->vm, f->v.mmu->root.hpa);
	EXPECT_HEX(0, root->unsync_children);
	/* The gfn is write-protected again: the guest's alias lost W and MMU-writable. */
	EXPECT_HEX(spte_rw(u.pt_gfn) & ~(S_W | S_MMUW), spte_at(f, u.pt_alias_sptep));
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[0]));
	EXPECT_HEX(spte_ro(g + 1), spte_at(f, u.sptep[1]));
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[2]));
	EXPECT_HEX(spte_ro(g + 3), spte_at(f, u.sptep[3]));

	/* Nothing left to sync. */
	from = f->nev;
	mmu_sync_roots(&f->v);
	EXPECT_HEX(1, f->sync_calls);
	EXPECT_HEX(0, f->nev - from);

	/* The next write through the alias unsyncs the page again. */
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA_PT, PFERR_P | PFERR_W | PFERR_U));
	assert_true(u.pt->unsync);
	EXPECT_HEX(1, f->vm.stats.mmu_unsync);
	EXPECT_HEX(spte_rw(u.pt_gfn), spte_at(f, u.pt_alias_sptep));
	fx_destroy(f);
}

static void test_flush_tlb_guest_syncs_and_counts(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	struct unsync u;

	(void)state;
	unsync_setup(f, &u);
	host_set_gpte(f, VA + 3 * PAGE_SIZE, 0);
	mmu_flush_tlb_guest(&f->v);
	EXPECT_HEX(1, f->v.tlb_flush);
	assert_false(u.pt->unsync);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[3]));
	fx_destroy(f);
}

static void test_load_of_a_root_with_unsync_children_syncs_them(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	host_set_gpte(f, VA, 0);
	/* kvm_mmu_unload() then kvm_mmu_load(): the SPs stay hashed and the new
	 * root (the same SP) is synced by kvm_mmu_sync_roots(). */
	mmu_unload(&f->v);
	from = f->nev;
	EXPECT_OK(mmu_load(&f->v, f->r.cr3));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SYNC_PAGE));
	assert_false(u.pt->unsync);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[0]));
	fx_destroy(f);
}

static void test_not_accessed_or_reserved_gptes_are_dropped(void **state)
{
	static const u64 efers[2] = {EFER_LONG, EFER_LONG & ~X86_EFER_NXE};

	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, efers[k]);
		const gfn_t g = PA >> PAGE_SHIFT;
		const u64 ok = PT_P | PT_W | PT_U | PT_A | PT_D;
		struct unsync u;

		unsync_setup(f, &u);
		/* Not Accessed. */
		host_set_gpte(f, VA, PA | (ok & ~PT_A));
		/* Bit 51: above the guest's MAXPHYADDR (46). */
		host_set_gpte(f, VA + PAGE_SIZE, (PA + PAGE_SIZE) | ok | BIT_ULL(51));
		/* Bit 63: NX, reserved only without EFER.NX. */
		host_set_gpte(f, VA + 2 * PAGE_SIZE, (PA + 2 * PAGE_SIZE) | ok | PT_NX);
		/* Bit 52. */
		host_set_gpte(f, VA + 3 * PAGE_SIZE, (PA + 3 * PAGE_SIZE) | ok | BIT_ULL(52));
		for (unsigned i = 0; i < NPAGES; i++)
			mmu_invlpg(&f->v, VA + i * PAGE_SIZE, true);
		EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[0]));
		EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[1]));
		/* Pages 2 and 3 were read while clean (no W); their gptes are dirty
		 * now, so W is allowed, and with no SP at those gfns make_spte() maps
		 * them writable even while synchronizing. */
		if (k == 0) /* NX allowed: page 2 loses exec */
			EXPECT_HEX(spte_rw(g + 2) | S_NX, spte_at(f, u.sptep[2]));
		else
			EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[2]));
		/* Page 3: bits 52..58 are ignored in 4-level paging. */
		EXPECT_HEX(spte_rw(g + 3), spte_at(f, u.sptep[3]));
		fx_destroy(f);
	}
}

static void test_sync_of_a_gfn_with_a_shadow_page_stays_read_only(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const u64 va_pd = VA + 8 * PAGE_SIZE;
	gfn_t pd_gfn;
	struct unsync u;
	u64 sptep;

	(void)state;
	unsync_setup(f, &u);
	/* The guest maps its PD (a level-2 SP: write-tracked) read-only at va_pd,
	 * in the unsync PT, then makes the gpte writable and dirty behind KVM. */
	pd_gfn = table_gfn(f, VA, 2);
	host_set_gpte(f, va_pd, (pd_gfn << PAGE_SHIFT) | PT_P | PT_U | PT_A);
	EXPECT_HEX(RET_PF_FIXED, fault(f, va_pd, PFERR_U));
	sptep = f->out.sptep;
	EXPECT_HEX(spte_ro(pd_gfn), spte_at(f, sptep));
	host_set_gpte(f, va_pd, (pd_gfn << PAGE_SHIFT) | PT_P | PT_W | PT_U | PT_A | PT_D);
	mmu_invlpg(&f->v, va_pd, true);
	/* The access changed (W allowed) but make_spte() could not make it writable. */
	EXPECT_HEX(spte_ro(pd_gfn), spte_at(f, sptep));
	EXPECT_HEX(ACC_ALL, mmu_page_get_access(u.pt, mmu_spte_index(sptep)));
	fx_destroy(f);
}

static void test_cr0_wp0_trick_spte_is_rebuilt_from_the_gpte(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP & ~X86_CR0_WP, X86_CR4_PAE, EFER_LONG);
	const u64 va = VA + 5 * PAGE_SIZE;
	const gfn_t g = (PA >> PAGE_SHIFT) + 5;
	struct unsync u;
	u64 sptep;

	(void)state;
	unsync_setup(f, &u);
	/* A supervisor write to a read-only user page: W=1, U=0 in the SPTE. */
	EXPECT_OK(pt_map(&f->b, va, PA + 5 * PAGE_SIZE, PAGE_SIZE, PT_P | PT_U));
	EXPECT_HEX(RET_PF_FIXED, fault(f, va, PFERR_W));
	sptep = f->out.sptep;
	EXPECT_HEX(spte_rw(g) & ~S_U, spte_at(f, sptep));
	/* Unchanged gpte, but the access stored for the trick (W, X) is not the
	 * gpte's (U, X): the sync rebuilds the SPTE from the gpte. */
	mmu_invlpg(&f->v, va, true);
	EXPECT_HEX(spte_ro(g), spte_at(f, sptep));
	EXPECT_HEX(ACC_USER | ACC_EXEC, mmu_page_get_access(u.pt, mmu_spte_index(sptep)));
	fx_destroy(f);
}

static void test_mmio_spte_is_remarked_or_cleared(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const u64 va = VA + 6 * PAGE_SIZE;
	const gfn_t mmio_gfn = 0xfee00;
	u64 sptep, gen = gmem_generation(f->gmem, 0);
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	/* An MMIO SPTE in the unsync SP (as mark_mmio_spte() leaves it, no rmap). */
	sptep = u.pt->spt + 8 * (u64)(((va >> PAGE_SHIFT) & 511));
	*mmu_sptep_ptr(&f->vm, sptep) =
		make_mmio_spte(&f->masks, mmio_gfn, ACC_WRITE | ACC_USER, gen);
	host_set_gpte(f, va, (mmio_gfn << PAGE_SHIFT) | PT_P | PT_U | PT_A);
	from = f->nev;
	mmu_invlpg(&f->v, va, true);
	EXPECT_HEX(make_mmio_spte(&f->masks, mmio_gfn, ACC_USER | ACC_EXEC, gen),
		   spte_at(f, sptep));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_MARK_MMIO_SPTE));
	EXPECT_HEX(mmio_gfn, f->ev[from].u.mmio.gfn);
	EXPECT_HEX(sptep, f->ev[from].u.mmio.sptep);
	/* Another gfn: cleared. */
	host_set_gpte(f, va, ((mmio_gfn + 1) << PAGE_SHIFT) | PT_P | PT_U | PT_A);
	mmu_invlpg(&f->v, va, true);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, sptep));
	fx_destroy(f);
}

static void test_sync_page_check_refuses_a_page_of_another_role(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const gfn_t g = PA >> PAGE_SHIFT;
	struct kvm_mmu_page *l2;
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	l2 = mmu_sptep_to_sp(&f->vm, u.pt->parent_ptes.single);
	/* Same role: syncs (nothing changed). */
	EXPECT_HEX(0, mmu_sync_page(&f->v, u.pt));
	/* CR0.WP flips: a new root role; the old SPs keep cr0_wp = 1. */
	f->r.cr0 &= ~X86_CR0_WP;
	mmu_reset_context(&f->v, &f->r);
	assert_false(f->v.mmu->root_role.cr0_wp);
	EXPECT_HEX(-1, mmu_sync_page(&f->v, u.pt));
	EXPECT_HEX(spte_ro(g), spte_at(f, u.sptep[0])); /* untouched */
	/* mmu_sync_children() zaps the page it cannot sync. */
	from = f->nev;
	EXPECT_OK(mmu_sync_children(&f->vm, l2, true));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SYNC_PAGE));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_PREPARE_ZAP));
	for (unsigned i = from; i < f->nev; i++) {
		if (f->ev[i].kind == MMU_EV_PREPARE_ZAP)
			EXPECT_HEX(u.pt_gfn, f->ev[i].u.page.sp.gfn);
	}
	EXPECT_HEX(0, f->vm.stats.mmu_unsync);
	EXPECT_HEX(0, mmu_rmap_get(&f->vm, 0, g, 1, NULL, 0));
	fx_destroy(f);
}

static void test_sync_page_with_an_unreadable_gpte_fails(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	union kvm_mmu_page_role role;
	struct kvm_mmu_page *sp;

	(void)state;
	fx_load(f);
	role = f->v.mmu->root_role;
	role.level = 1;
	/* A PT outside every memslot with two present leaves. */
	sp = mmu_get_shadow_page(&f->vm, GUEST_RAM >> PAGE_SHIFT, role);
	assert_non_null(sp);
	EXPECT_HEX(RET_PF_FIXED, mmu_set_spte(&f->vm, sp->spt, ACC_ALL, false, 1, 0x300,
					      PFN_BASE + 0x300, false, true));
	EXPECT_HEX(RET_PF_FIXED, mmu_set_spte(&f->vm, sp->spt + 8, ACC_ALL, false, 1, 0x301,
					      PFN_BASE + 0x301, false, true));
	EXPECT_HEX(-1, mmu_sync_spte(&f->v, sp, 0));
	EXPECT_HEX(0, mmu_sync_spte(&f->v, sp, 2)); /* empty */
	/* kvm_sync_page(): -1 does not stop the loop (only < -1 does); the result
	 * is -1 all the same and the caller zaps. */
	EXPECT_HEX(-1, mmu_sync_page(&f->v, sp));
	fx_destroy(f);
}

/* ---- a 32-bit guest: 4-byte gptes read from the SP's quadrant ---- */

static void test_32bit_guest_syncs_from_the_quadrant(void **state)
{
	struct fx *f = fx_create(WALK_FMT_32, CR0_PG_WP, 0, 0);
	const u64 va = 0xC0601000ULL, pa = 0x500000ULL, va_pt = 0xC0A00000ULL;
	const gfn_t g = pa >> PAGE_SHIFT;
	struct kvm_mmu_page *pt;
	u64 sptep, sptep2;
	gfn_t pt_gfn;

	(void)state;
	EXPECT_OK(pt_map(&f->b, va, pa, PAGE_SIZE, PT_P | PT_W | PT_U));
	EXPECT_OK(pt_map(&f->b, va + PAGE_SIZE, pa + PAGE_SIZE, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, va, PFERR_W | PFERR_U));
	sptep = f->out.sptep;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + PAGE_SIZE, PFERR_U));
	sptep2 = f->out.sptep;
	EXPECT_HEX(spte_rw(g), spte_at(f, sptep));
	pt = mmu_sptep_to_sp(&f->vm, sptep);
	pt_gfn = table_gfn(f, va, 1);
	EXPECT_HEX(1, pt->role.quadrant); /* address bit 21 */
	assert_true(pt->role.has_4_byte_gpte);
	EXPECT_HEX(1, mmu_spte_index(sptep)); /* guest PT index 0x201 */

	EXPECT_OK(pt_map(&f->b, va_pt, pt_gfn << PAGE_SHIFT, PAGE_SIZE, PT_P | PT_W | PT_U));
	EXPECT_HEX(RET_PF_FIXED, fault(f, va_pt, PFERR_W | PFERR_U));
	assert_true(pt->unsync);

	/* gpte 0x201 (bytes 0x804..0x807 of the guest PT) loses W; gpte 1 of
	 * quadrant 0 (bytes 4..7) is empty -- reading there would drop the SPTE. */
	host_set_gpte(f, va, (u32)pa | PT_P | PT_U | PT_A | PT_D);
	host_set_gpte(f, va + PAGE_SIZE, 0);
	mmu_invlpg(&f->v, va, true);
	EXPECT_HEX(spte_ro(g), spte_at(f, sptep));
	EXPECT_HEX(spte_ro(g + 1), spte_at(f, sptep2));
	/* A guest TLB flush syncs the whole quadrant (PAE root entries). */
	mmu_flush_tlb_guest(&f->v);
	assert_false(pt->unsync);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, sptep2));
	fx_destroy(f);
}

/* ---- prev roots and INVPCID ---- */

/* Switch CR3 to a fresh, empty PML4 (plus @pcid) and load it. */
static u64 switch_to_empty_root(struct fx *f, u64 pcid)
{
	u64 root = 0;

	EXPECT_OK(pt_bump_alloc(&f->bump, &root));
	f->r.cr3 = root | pcid;
	mmu_new_pgd(&f->v, f->v.mmu, f->r.cr3);
	EXPECT_OK(mmu_load(&f->v, f->r.cr3));
	return f->r.cr3;
}

static void test_sync_prev_roots_frees_unsync_ones_only(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const struct kvm_mmu *mmu;
	u64 cr3_a = f->r.cr3, cr3_b;
	struct unsync u;
	unsigned from;

	(void)state;
	unsync_setup(f, &u);
	cr3_b = switch_to_empty_root(f, 0);
	(void)switch_to_empty_root(f, 0);
	mmu = f->v.mmu;
	EXPECT_HEX(cr3_b, mmu->prev_roots[0].pgd);
	EXPECT_HEX(cr3_a, mmu->prev_roots[1].pgd);
	from = f->nev;
	mmu_sync_prev_roots(&f->v);
	/* A (unsync children) is freed, B (in sync) stays cached; nothing synced. */
	EXPECT_HEX(INVALID_PAGE, mmu->prev_roots[1].hpa);
	assert_true(mmu->prev_roots[0].hpa != INVALID_PAGE);
	EXPECT_HEX(1, count_events(f, from, MMU_EV_ROOT_FREE));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SYNC_PAGE));
	assert_true(u.pt->unsync);
	fx_destroy(f);
}

static void test_invpcid_gva_selects_roots_by_pcid(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE | X86_CR4_PCIDE, EFER_LONG);
	const gfn_t g = PA >> PAGE_SHIFT;
	struct unsync u;

	(void)state;
	f->r.cr3 |= 1; /* PCID 1 */
	unsync_setup(f, &u);
	host_set_gpte(f, VA, 0);
	/* Another PCID: no root selected, still counted. */
	mmu_invpcid_gva(&f->v, VA, 2, 1, true);
	EXPECT_HEX(1, f->v.invlpg);
	EXPECT_HEX(spte_ro(g), spte_at(f, u.sptep[0]));
	/* The active PCID: the current root. */
	mmu_invpcid_gva(&f->v, VA, 1, 1, true);
	EXPECT_HEX(2, f->v.invlpg);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[0]));

	/* Now A (PCID 1) is prev_roots[0], B (PCID 2) current. */
	(void)switch_to_empty_root(f, 2);
	host_set_gpte(f, VA + PAGE_SIZE, 0);
	host_set_gpte(f, VA + 2 * PAGE_SIZE, 0);
	mmu_invpcid_gva(&f->v, VA + PAGE_SIZE, 3, 2, true);
	EXPECT_HEX(spte_rw(g + 1), spte_at(f, u.sptep[1]));
	mmu_invpcid_gva(&f->v, VA + PAGE_SIZE, 1, 2, true);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[1]));
	/* Without PCIDE every pgd's PCID is 0: PCID 0 selects them all. */
	mmu_invpcid_gva(&f->v, VA + 2 * PAGE_SIZE, 0, 0, false);
	EXPECT_HEX(SHADOW_NONPRESENT_VALUE, spte_at(f, u.sptep[2]));
	EXPECT_HEX(5, f->v.invlpg);
	fx_destroy(f);
}

static void test_invlpg_of_a_noncanonical_address_syncs_nothing(void **state)
{
	struct fx *f = fx_create(WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	struct unsync u;

	(void)state;
	unsync_setup(f, &u);
	host_set_gpte(f, VA, 0);
	mmu_invlpg(&f->v, VA | 0x8000000000000000ULL, false);
	EXPECT_HEX(spte_ro(PA >> PAGE_SHIFT), spte_at(f, u.sptep[0]));
	/* KVM counts it all the same: kvm_mmu_invlpg() increments unconditionally,
	 * the canonical check is in kvm_mmu_invalidate_addr(). */
	EXPECT_HEX(1, f->v.invlpg);
	fx_destroy(f);
}

static void test_direct_mmu_has_nothing_to_sync(void **state)
{
	struct fx *f = fx_create(WALK_FMT_32, X86_CR0_PE, 0, 0); /* paging off */
	unsigned from;

	(void)state;
	fx_load(f);
	assert_true(f->v.mmu->root_role.direct);
	from = f->nev;
	mmu_invlpg(&f->v, 0x1000, true);
	mmu_flush_tlb_guest(&f->v);
	EXPECT_HEX(0, f->nev - from);
	EXPECT_HEX(1, f->v.invlpg);
	EXPECT_HEX(1, f->v.tlb_flush);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writable_mapping_of_a_page_table_makes_its_sp_unsync),
		cmocka_unit_test(test_invlpg_resyncs_exactly_the_entry_of_the_address),
		cmocka_unit_test(test_sync_roots_syncs_every_entry_and_clears_unsync),
		cmocka_unit_test(test_flush_tlb_guest_syncs_and_counts),
		cmocka_unit_test(test_load_of_a_root_with_unsync_children_syncs_them),
		cmocka_unit_test(test_not_accessed_or_reserved_gptes_are_dropped),
		cmocka_unit_test(test_sync_of_a_gfn_with_a_shadow_page_stays_read_only),
		cmocka_unit_test(test_cr0_wp0_trick_spte_is_rebuilt_from_the_gpte),
		cmocka_unit_test(test_mmio_spte_is_remarked_or_cleared),
		cmocka_unit_test(test_sync_page_check_refuses_a_page_of_another_role),
		cmocka_unit_test(test_sync_page_with_an_unreadable_gpte_fails),
		cmocka_unit_test(test_32bit_guest_syncs_from_the_quadrant),
		cmocka_unit_test(test_sync_prev_roots_frees_unsync_ones_only),
		cmocka_unit_test(test_invpcid_gva_selects_roots_by_pcid),
		cmocka_unit_test(test_invlpg_of_a_noncanonical_address_syncs_nothing),
		cmocka_unit_test(test_direct_mmu_has_nothing_to_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
