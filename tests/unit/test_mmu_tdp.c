/* SPDX-License-Identifier: MIT */
/*
 * The TDP MMU (mmu/tdp_mmu.h): roots shared by vCPUs of the same role with
 * KVM's reference counts (2 at allocation), a second root for another role,
 * kvm_tdp_mmu_map() building 4- and 5-level NPT and EPT tables with exact SPTE
 * values, a spurious refault (still traced kvm_mmu_set_spte), the fast zap
 * invalidating the roots and the reload allocating a new one, put_root freeing,
 * zap_leafs, the page stats, and the audit ignoring TDP MMU pages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/audit.h"
#include "mmu/tdp_mmu.h"
#include "mmu_fixture.h"

#define GPA 0x300000ULL /* gfn 0x300 */
#define PFERR_W_P (PFERR_W)

/* A 64-bit guest on a TDP MMU VM: NPT (legacy masks) or EPT, @levels 4 or 5. */
static struct fx *tdp_fx(bool ept, u8 levels)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	if (ept) {
		spte_masks_init_ept(&f->masks, true, true, 46);
		f->vm.masks = f->masks;
	}
	mmu_vcpu_init(&f->v, &f->vm, true, levels, 0, true, levels == 5 ? 52 : 46);
	f->v.tdp_mmu_enabled = true;
	return f;
}

static struct kvm_mmu_page *root_of(const struct fx *f, const struct mmu_vcpu *v)
{
	struct kvm_mmu_page *sp = mmu_root_to_sp(&f->vm, v->mmu->root.hpa);

	assert_non_null(sp);
	assert_true(sp->tdp_mmu_page);
	return sp;
}

static unsigned nroots(const struct fx *f)
{
	unsigned n = 0;

	for (const struct mlist *l = f->vm.tdp_mmu_roots.next; l != &f->vm.tdp_mmu_roots;
	     l = l->next)
		n++;
	return n;
}

static unsigned created(const struct fx *f, unsigned from)
{
	unsigned n = 0;

	for (unsigned i = from; i < f->nev && i < MAX_EVENTS; i++)
		n += f->ev[i].kind == MMU_EV_GET_PAGE && f->ev[i].u.page.created;
	return n;
}

static u64 spte_at(const struct fx *f, u64 table, u64 gpa, unsigned level)
{
	unsigned idx = (unsigned)((gpa >> (12 + 9 * (level - 1))) & 511);
	const u64 *p = hmem_ptr(f->hmem, table + 8ULL * idx);

	assert_non_null(p);
	return *p;
}

/* Follow the tables from the root to the leaf of @gpa, checking each non-leaf
 * SPTE is @nonleaf_bits | the next table; returns the leaf. */
static u64 walk_tables(const struct fx *f, u64 gpa, u64 nonleaf_bits)
{
	const struct kvm_mmu_page *root = root_of(f, &f->v);
	u64 table = root->spt;

	for (unsigned level = root->role.level; level > 1; level--) {
		u64 spte = spte_at(f, table, gpa, level);
		const struct kvm_mmu_page *child =
			mmu_sptep_to_sp(&f->vm, spte & SPTE_BASE_ADDR_MASK);

		EXPECT_HEX(nonleaf_bits, spte & ~SPTE_BASE_ADDR_MASK);
		assert_non_null(child);
		assert_true(child->tdp_mmu_page);
		EXPECT_HEX(level - 1, child->role.level);
		/* The child's gfn: the gfn rounded to the parent SPTE's level. */
		EXPECT_HEX((gpa >> 12) & ~((1ULL << (9 * (level - 1))) - 1), child->gfn);
		table = child->spt;
	}
	return spte_at(f, table, gpa, 1);
}

static void test_two_vcpus_share_one_root_with_refcounts(void **state)
{
	struct fx *f = tdp_fx(false, 4);
	struct mmu_vcpu v2;
	struct kvm_mmu_page *root;
	unsigned from;

	(void)state;
	mmu_vcpu_init(&v2, &f->vm, true, 4, 0, true, 46);
	v2.tdp_mmu_enabled = true;
	fx_load(f);
	root = root_of(f, &f->v);
	EXPECT_HEX(0x3784, root->role.word);
	EXPECT_HEX(0, root->gfn);
	/* One reference for the vCPU, one the TDP MMU keeps until invalidation. */
	EXPECT_HEX(2, root->root_count);
	EXPECT_HEX(1, created(f, 0));
	EXPECT_HEX(0, f->v.root_mmu.root.pgd);
	/* Not a legacy shadow page: no hash, no active list, no budget. */
	assert_true(mlist_empty(&f->vm.active_mmu_pages));
	EXPECT_HEX(0, f->vm.n_used_mmu_pages);
	EXPECT_HEX(1, nroots(f));

	from = f->nev;
	mmu_init_context(&v2, &f->r);
	EXPECT_OK(mmu_load(&v2, 0));
	EXPECT_HEX(f->v.root_mmu.root.hpa, v2.root_mmu.root.hpa);
	EXPECT_HEX(3, root->root_count);
	EXPECT_HEX(0, created(f, from));

	/* kvm_mmu_unload() on both: the valid root stays, with the TDP MMU's reference. */
	mmu_unload(&f->v);
	EXPECT_HEX(2, root->root_count);
	mmu_unload(&v2);
	EXPECT_HEX(1, root->root_count);
	EXPECT_HEX(1, nroots(f));
	assert_false(root->role.invalid);

	/* A reload finds it again: no new root. */
	from = f->nev;
	EXPECT_OK(mmu_load(&f->v, 0));
	EXPECT_HEX(root->spt, f->v.root_mmu.root.hpa);
	EXPECT_HEX(2, root->root_count);
	EXPECT_HEX(0, created(f, from));
	EXPECT_OK(mmu_audit(&f->vm, &f->v, 1, NULL));
	mmu_vcpu_destroy(&v2);
	fx_destroy(f);
}

static void test_smm_role_gets_a_second_root_at_the_head(void **state)
{
	struct fx *f = tdp_fx(false, 4);
	struct mmu_vcpu v2;
	struct cpu_regs r2;
	struct kvm_mmu_page *root, *smm_root;

	(void)state;
	mmu_vcpu_init(&v2, &f->vm, true, 4, 0, true, 46);
	v2.tdp_mmu_enabled = true;
	fx_load(f);
	root = root_of(f, &f->v);
	r2 = f->r;
	r2.smm = true;
	mmu_init_context(&v2, &r2);
	EXPECT_HEX(0x1003784, v2.root_mmu.root_role.word);
	EXPECT_OK(mmu_load(&v2, 0));
	smm_root = root_of(f, &v2);
	assert_ptr_not_equal(root, smm_root);
	EXPECT_HEX(2, smm_root->root_count);
	EXPECT_HEX(2, root->root_count);
	EXPECT_HEX(2, nroots(f));
	/* list_add_rcu(): the newest root is at the head. */
	assert_ptr_equal(smm_root,
			 mlist_entry(f->vm.tdp_mmu_roots.next, struct kvm_mmu_page, link));
	EXPECT_HEX(1, mmu_tdp_count_sps(&f->vm, 0x3784));
	EXPECT_HEX(1, mmu_tdp_count_sps(&f->vm, 0x1003784));
	mmu_vcpu_destroy(&v2);
	fx_destroy(f);
}

static void test_fault_builds_4level_npt_tables(void **state)
{
	struct fx *f = tdp_fx(false, 4);
	u64 leaf;

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, PFERR_W_P));
	/* spte_requested, then three child tables created on the way down, one leaf. */
	EXPECT_HEX(MMU_EV_ROOT_LOAD, f->ev[1].kind);
	EXPECT_HEX(MMU_EV_SPTE_REQUESTED, f->ev[2].kind);
	EXPECT_HEX(3, created(f, 3));
	EXPECT_HEX(1, count_events(f, 0, MMU_EV_SET_SPTE));
	EXPECT_HEX(1, f->v.pf_fixed);
	EXPECT_HEX(1, f->v.pf_taken);
	/* Legacy-format table entries: P W U A, MMU-present. */
	leaf = walk_tables(f, GPA, 0x827);
	/* The leaf: pfn, P W U A D, host- and MMU-writable, MMU-present. */
	EXPECT_HEX(((PFN_BASE + (GPA >> 12)) << 12) | 0xe67, leaf);
	EXPECT_HEX(leaf, *mmu_sptep_ptr(&f->vm, f->out.sptep));
	EXPECT_HEX(1, f->vm.stats.pages_4k);
	EXPECT_HEX(3, f->vm.tdp_mmu_pages);
	EXPECT_HEX(0, f->vm.n_used_mmu_pages);
	EXPECT_OK(mmu_audit(&f->vm, &f->v, 1, NULL));
	fx_destroy(f);
}

static void test_fault_builds_5level_ept_tables(void **state)
{
	struct fx *f = tdp_fx(true, 5);
	u64 leaf;

	(void)state;
	fx_load(f);
	EXPECT_HEX(0x3785, root_of(f, &f->v)->role.word);
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, 0));
	EXPECT_HEX(4, created(f, 1));
	/* EPT table entries: R W X, Accessed (bit 8), MMU-present, suppress #VE. */
	leaf = walk_tables(f, GPA, 0x8000000000000907ULL);
	/* The leaf of a read: R W X, WB memtype (6 << 3), IPAT, A, D (created
	 * writable), MMU-present, host/MMU-writable (57/58), suppress #VE (63). */
	EXPECT_HEX(0x8600000000000b77ULL | ((PFN_BASE + (GPA >> 12)) << 12), leaf);
	EXPECT_HEX(1, f->vm.stats.pages_4k);
	EXPECT_HEX(4, f->vm.tdp_mmu_pages);
	fx_destroy(f);
}

static void test_spurious_refault_is_still_traced(void **state)
{
	struct fx *f = tdp_fx(false, 4);
	unsigned from;

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, PFERR_W_P));
	from = f->nev;
	EXPECT_HEX(RET_PF_SPURIOUS, fault(f, GPA, PFERR_W_P));
	EXPECT_HEX(1, f->v.pf_spurious);
	EXPECT_HEX(0, created(f, from));
	/* tdp_mmu_map_handle_target_level() traces kvm_mmu_set_spte either way. */
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SET_SPTE));
	EXPECT_HEX(1, f->vm.stats.pages_4k);
	fx_destroy(f);
}

static void test_fast_zap_invalidates_roots_and_reload_allocates_anew(void **state)
{
	struct fx *f = tdp_fx(false, 4);
	struct mmu_vcpu v2;
	struct kvm_mmu_page *root;
	unsigned from;

	(void)state;
	mmu_vcpu_init(&v2, &f->vm, true, 4, 0, true, 46);
	v2.tdp_mmu_enabled = true;
	fx_load(f);
	mmu_init_context(&v2, &f->r);
	EXPECT_OK(mmu_load(&v2, 0));
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, PFERR_W_P));
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA + 0x1000, PFERR_W_P));
	EXPECT_HEX(2, f->vm.stats.pages_4k);
	root = root_of(f, &f->v);
	EXPECT_HEX(3, root->root_count);

	from = f->nev;
	f->vm.req_free_obsolete_roots = false;
	mmu_zap_all_fast(&f->vm);
	/* Invalidated, zapped (children gone, 4K first then up), the TDP MMU's
	 * reference put; the vCPUs' references keep the root alive. */
	assert_true(root->role.invalid);
	assert_false(root->tdp_mmu_scheduled_root_to_zap);
	assert_true(f->vm.req_free_obsolete_roots);
	EXPECT_HEX(2, root->root_count);
	EXPECT_HEX(3, count_events(f, from, MMU_EV_PREPARE_ZAP));
	EXPECT_HEX(1, f->ev[from + 1].u.page.sp.role & 0xf);
	EXPECT_HEX(0, f->vm.stats.pages_4k);
	EXPECT_HEX(0, f->vm.tdp_mmu_pages);
	EXPECT_HEX(0, mmu_tdp_count_sps(&f->vm, 0x3784));
	/* A fault on the invalid root is stale. */
	EXPECT_HEX(RET_PF_RETRY, fault(f, GPA, PFERR_W_P));

	/* KVM_REQ_MMU_FREE_OBSOLETE_ROOTS on each vCPU: the last put frees the root. */
	mmu_free_obsolete_roots(&f->v);
	EXPECT_HEX(1, root->root_count);
	EXPECT_HEX(1, nroots(f));
	mmu_free_obsolete_roots(&v2);
	EXPECT_HEX(0, nroots(f));

	from = f->nev;
	EXPECT_OK(mmu_load(&f->v, 0));
	EXPECT_HEX(1, created(f, from));
	root = root_of(f, &f->v);
	assert_false(root->role.invalid);
	EXPECT_HEX(2, root->root_count);
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, PFERR_W_P));
	mmu_vcpu_destroy(&v2);
	fx_destroy(f);
}

static void test_put_root_frees_only_invalid_roots(void **state)
{
	struct fx *f = tdp_fx(false, 4);

	(void)state;
	fx_load(f);
	mmu_unload(&f->v);
	/* Valid, count 1: kept for the next vCPU. */
	EXPECT_HEX(1, nroots(f));
	/* kvm_mmu_uninit_tdp_mmu(): invalidate + zap puts the last reference. */
	mmu_tdp_uninit(&f->vm);
	EXPECT_HEX(0, nroots(f));
	fx_destroy(f);
}

static void test_zap_leafs_drops_a_range_and_asks_for_a_flush(void **state)
{
	struct fx *f = tdp_fx(false, 4);

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, 0));
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA + 0x1000, 0));
	EXPECT_HEX(2, f->vm.stats.pages_4k);
	assert_true(mmu_tdp_zap_leafs(&f->vm, GPA >> 12, (GPA >> 12) + 1, false));
	EXPECT_HEX(1, f->vm.stats.pages_4k);
	EXPECT_HEX(3, f->vm.tdp_mmu_pages); /* tables stay */
	assert_false(mmu_tdp_zap_leafs(&f->vm, GPA >> 12, (GPA >> 12) + 1, false));
	EXPECT_HEX(RET_PF_FIXED, fault(f, GPA, 0));
	EXPECT_HEX(2, f->vm.stats.pages_4k);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_vcpus_share_one_root_with_refcounts),
		cmocka_unit_test(test_smm_role_gets_a_second_root_at_the_head),
		cmocka_unit_test(test_fault_builds_4level_npt_tables),
		cmocka_unit_test(test_fault_builds_5level_ept_tables),
		cmocka_unit_test(test_spurious_refault_is_still_traced),
		cmocka_unit_test(test_fast_zap_invalidates_roots_and_reload_allocates_anew),
		cmocka_unit_test(test_put_root_frees_only_invalid_roots),
		cmocka_unit_test(test_zap_leafs_drops_a_range_and_asks_for_a_flush),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
