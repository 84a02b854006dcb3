/* SPDX-License-Identifier: MIT */
/*
 * Host huge pages: kvm_mmu_hugepage_adjust() / kvm_mmu_max_mapping_level() with
 * mmu_vm.host_page_level (the scenario's host_pages), on the legacy TDP MMU,
 * the TDP MMU and shadow paging: the goal level, huge SPTEs, the memslot-edge
 * and shadowed-gfn disallow_lpage rules, dirty logging, splitting and the
 * pages_2m/pages_1g stats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmu/tdp_mmu.h"
#include "mmu_fixture.h"

#define GiB (1ULL << 30)

/* A 64-bit guest on a TDP VM (legacy direct_map() or the TDP MMU) whose host
 * backs memory with pages of @host_level. */
static struct fx *tdp_fx(bool tdp_mmu, u8 host_level)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	f->vm.host_page_level = host_level;
	f->v.tdp_mmu_enabled = tdp_mmu;
	return f;
}

static u64 leaf(struct fx *f)
{
	u64 *p = mmu_sptep_ptr(&f->vm, f->out.sptep);

	assert_non_null(p);
	return *p;
}

/* The level of the SP holding the fault's leaf. */
static unsigned leaf_level(struct fx *f)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(&f->vm, f->out.sptep);

	assert_non_null(sp);
	return sp->role.level;
}

/* The last kvm_mmu_spte_requested event. */
static const struct mmu_event *last_requested(const struct fx *f)
{
	const struct mmu_event *ev = NULL;

	for (unsigned i = 0; i < f->nev && i < MAX_EVENTS; i++)
		if (f->ev[i].kind == MMU_EV_SPTE_REQUESTED)
			ev = &f->ev[i];
	assert_non_null(ev);
	return ev;
}

static void add_slot(struct fx *f, u16 id, u64 base, u64 size)
{
	struct gmem_slot_desc d = {.as = 0, .id = id, .base = base, .size = size};

	EXPECT_OK(gmem_slot_add(f->gmem, &d));
}

static void test_2m_host_pages_map_a_2m_spte(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 2);
		const u64 gpa = 0x800000ULL + 0x5000 + 0x10;
		const struct mmu_event *ev;

		fx_load(f);
		EXPECT_HEX(RET_PF_FIXED, fault(f, gpa, PFERR_W));
		EXPECT_HEX(2, leaf_level(f));
		assert_true(leaf(f) & PT_PS);
		/* The huge SPTE maps the 2M-aligned host frame. */
		EXPECT_HEX(PFN_BASE + 0x800, (leaf(f) & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT);
		ev = last_requested(f);
		EXPECT_HEX(2, ev->u.requested.level);
		EXPECT_HEX(PFN_BASE + 0x805, ev->u.requested.pfn); /* pfn | offset in the page */
		EXPECT_HEX(1, f->vm.stats.pages_2m);
		EXPECT_HEX(0, f->vm.stats.pages_4k);
		/* Another gfn of the same 2M page: already mapped, spurious. */
		EXPECT_HEX(RET_PF_SPURIOUS, fault(f, 0x800000ULL + 0x1ff000, PFERR_W));
		fx_destroy(f);
	}
}

static void test_4k_host_pages_stay_4k(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 1);

		fx_load(f);
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x800000ULL, PFERR_W));
		EXPECT_HEX(1, leaf_level(f));
		EXPECT_HEX(1, last_requested(f)->u.requested.level);
		EXPECT_HEX(1, f->vm.stats.pages_4k);
		fx_destroy(f);
	}
}

static void test_1g_where_aligned_2m_elsewhere(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 3);

		add_slot(f, 1, GiB, GiB);
		fx_load(f);
		/* The whole 1G page lies in slot 1: a 1G SPTE. */
		EXPECT_HEX(RET_PF_FIXED, fault(f, GiB + 0x123000, PFERR_W));
		EXPECT_HEX(3, leaf_level(f));
		EXPECT_HEX(3, last_requested(f)->u.requested.level);
		EXPECT_HEX(1, f->vm.stats.pages_1g);
		/* The 64 MiB slot 0 holds no whole 1G page: 2M. */
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x2400000ULL, PFERR_W));
		EXPECT_HEX(2, leaf_level(f));
		EXPECT_HEX(1, f->vm.stats.pages_2m);
		/* max_huge_page_level caps it (e.g. EPT without 1G pages). */
		add_slot(f, 2, 4 * GiB, GiB);
		f->vm.max_huge_page_level = 2;
		EXPECT_HEX(RET_PF_FIXED, fault(f, 5 * GiB - 0x1000, PFERR_W));
		EXPECT_HEX(2, leaf_level(f));
		fx_destroy(f);
	}
}

static void test_memslot_edge_maps_4k(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 2);

		/* A slot starting 4K into a 2M page: that page and the last are partial. */
		add_slot(f, 1, 0x4001000ULL, 0x400000ULL);
		fx_load(f);
		EXPECT_HEX(1, mmu_gfn_disallow_lpage(&f->vm, 0, 0x4001, 2));
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x4001000ULL, PFERR_W));
		EXPECT_HEX(1, leaf_level(f));
		EXPECT_HEX(1, last_requested(f)->u.requested.level);
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x4200000ULL, PFERR_W));
		EXPECT_HEX(2, leaf_level(f));
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x4400000ULL, PFERR_W));
		EXPECT_HEX(1, leaf_level(f));
		fx_destroy(f);
	}
}

static void test_dirty_logging_maps_4k_and_splits(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 2);

		fx_load(f);
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x800000ULL, 0));
		EXPECT_HEX(1, f->vm.stats.pages_2m);
		EXPECT_OK(gmem_slot_set_flags(f->gmem, 0, 0, GMEM_SLOT_DIRTY_LOG));
		/* kvm_slot_dirty_track_enabled(): 4K below the huge SPTE. */
		(void)fault(f, 0x803000ULL, PFERR_W);
		EXPECT_HEX(1, leaf_level(f));
		EXPECT_HEX(0, f->vm.stats.pages_2m);
		if (mmu) /* tdp_mmu_split_huge_page(): 512 pieces */
			EXPECT_HEX(512, f->vm.stats.pages_4k);
		else /* link_shadow_page() drops the huge SPTE */
			EXPECT_HEX(1, f->vm.stats.pages_4k);
		fx_destroy(f);
	}
}

static void test_huge_spte_replaces_a_table(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 1);

		fx_load(f);
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x800000ULL, PFERR_W));
		EXPECT_HEX(1, f->vm.stats.pages_4k);
		f->vm.host_page_level = 2;
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x801000ULL, PFERR_W));
		EXPECT_HEX(2, leaf_level(f));
		/* The TDP MMU frees the table (handle_removed_pt()); mmu_set_spte() only
		 * unlinks it (drop_parent_pte()): its leaf stays until it is zapped. */
		EXPECT_HEX(mmu ? 0 : 1, f->vm.stats.pages_4k);
		EXPECT_HEX(1, f->vm.stats.pages_2m);
		fx_destroy(f);
	}
}

/* Shadow paging: a guest 2M page. */
static struct fx *shadow_fx(u8 host_level, u64 va, u64 pa)
{
	struct fx *f = fx_create_host(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	f->vm.host_page_level = host_level;
	EXPECT_OK(pt_map(&f->b, va, pa, 2 * MiB, PT_P | PT_W | PT_U));
	fx_load(f);
	return f;
}

static void test_shadow_guest_2m_page_gets_a_huge_spte(void **state)
{
	const u64 va = 0x40000000ULL, pa = 0x800000ULL;
	struct fx *f = shadow_fx(2, va, pa);

	(void)state;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 0x5010, PFERR_U));
	EXPECT_HEX((pa >> PAGE_SHIFT) + 5, f->out.gfn);
	EXPECT_HEX(2, leaf_level(f));
	assert_true(leaf(f) & PT_PS);
	EXPECT_HEX(2, last_requested(f)->u.requested.level);
	EXPECT_HEX(1, f->vm.stats.pages_2m);
	fx_destroy(f);

	/* 1G host pages: still 2M, the guest's page size (max_level = walker.level). */
	f = shadow_fx(3, va, pa);
	EXPECT_HEX(RET_PF_FIXED, fault(f, va, PFERR_U));
	EXPECT_HEX(2, leaf_level(f));
	fx_destroy(f);

	/* 4K host pages: a direct SP below the guest's PDE, as before. */
	f = shadow_fx(1, va, pa);
	EXPECT_HEX(RET_PF_FIXED, fault(f, va, PFERR_U));
	EXPECT_HEX(1, leaf_level(f));
	fx_destroy(f);
}

static void test_shadowed_gfn_region_maps_4k(void **state)
{
	/* The guest's page tables live at 1 MiB..2 MiB: the first 2M region holds
	 * shadowed gfns (account_shadowed() raises its disallow_lpage). */
	const u64 va = 0x40000000ULL;
	struct fx *f = shadow_fx(2, va, 0);

	(void)state;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 0x3000, PFERR_U));
	assert_true(mmu_gfn_disallow_lpage(&f->vm, 0, 3, 2) > 0);
	EXPECT_HEX(1, leaf_level(f));
	EXPECT_HEX(1, last_requested(f)->u.requested.level);
	EXPECT_HEX(0, f->vm.stats.pages_2m);
	fx_destroy(f);
}

static void test_nx_huge_pages_keep_exec_faults_4k(void **state)
{
	(void)state;
	for (int mmu = 0; mmu < 2; mmu++) {
		struct fx *f = tdp_fx(mmu, 2);

		f->vm.nx_huge_pages = true;
		fx_load(f);
		/* An exec fault: huge_page_disallowed, 4K, the SP counted as a split. */
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x800000ULL, PFERR_FETCH));
		EXPECT_HEX(1, leaf_level(f));
		EXPECT_HEX(1, f->vm.stats.nx_lpage_splits);
		/* A read fault could map 2M, but disallowed_hugepage_adjust() keeps
		 * the NX-split table: 4K. */
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0x801000ULL, 0));
		EXPECT_HEX(1, leaf_level(f));
		/* Elsewhere a read fault maps 2M, not executable. */
		EXPECT_HEX(RET_PF_FIXED, fault(f, 0xa00000ULL, 0));
		EXPECT_HEX(2, leaf_level(f));
		fx_destroy(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2m_host_pages_map_a_2m_spte),
		cmocka_unit_test(test_4k_host_pages_stay_4k),
		cmocka_unit_test(test_1g_where_aligned_2m_elsewhere),
		cmocka_unit_test(test_memslot_edge_maps_4k),
		cmocka_unit_test(test_dirty_logging_maps_4k_and_splits),
		cmocka_unit_test(test_huge_spte_replaces_a_table),
		cmocka_unit_test(test_shadow_guest_2m_page_gets_a_huge_spte),
		cmocka_unit_test(test_shadowed_gfn_region_maps_4k),
		cmocka_unit_test(test_nx_huge_pages_keep_exec_faults_4k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
