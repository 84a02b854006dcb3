/* SPDX-License-Identifier: MIT */
/*
 * Nested TDP (mmu/nested.h): shadow EPT and shadow NPT contexts and roles, the
 * guest_mmu root of L1's EPT table, FNAME(page_fault) for PTTYPE_EPT (a fix
 * copies L1's rights, a refusal is reflected to L1 with the qualification the
 * architecture gives), the root cache across L1/L2, the guest_mode roles of L2
 * without nested TDP, the engine's vmentry/vmexit ops, and the shadow NPT roots
 * of a 5-level host: the passthrough root over a 4-level L1 NPT and the special
 * pml5_root/pml4_root/pae_root over a 32-bit L1 NPT.
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
#include "mmu/audit.h"
#include "mmu/fault.h"
#include "mmu/nested.h"
#include "mmu/sync.h"
#include "mmu_fixture.h"
#include "sim/engine.h"
#include "sim/scenario.h"

/* EPTP of the fixture's EPT root: 4 levels (3 << 3), WB (6), A/D (bit 6) when @ad. */
static u64 eptp_of(const struct fx *f, bool ad)
{
	return f->b.root | (3u << 3) | 6u | (ad ? BIT_ULL(6) : 0);
}

/* L1 builds EPT tables (the fixture's builder, format EPT) on a TDP host. */
static struct fx *fx_ept(void)
{
	struct fx *f = fx_create_host(true, WALK_FMT_EPT, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	f->b.levels = 4;
	f->r.guest_mode = true; /* enter_guest_mode() comes first */
	return f;
}

static void test_shadow_ept_role_follows_the_eptp(void **state)
{
	struct fx *f = fx_ept();

	(void)state;
	(void)mmu_init_shadow_ept(&f->v, eptp_of(f, true), &f->feat);
	assert_ptr_equal(f->v.mmu, &f->v.guest_mmu);
	assert_ptr_equal(f->v.walk_mmu, &f->v.nested_mmu);
	assert_true(mmu_is_nested(&f->v));
	/* kvm_calc_shadow_ept_root_page_role(): level 4, guest_mode, ACC_ALL, A/D on. */
	EXPECT_HEX(0x20704, f->v.guest_mmu.root_role.word);
	/* ext: valid | execonly (the default Intel CPU has EPT execute-only). */
	EXPECT_HEX(0x300020704ULL, f->v.guest_mmu.cpu_role.as_u64);
	/* Without A/D in the EPTP: ad_disabled. */
	mmu_nested_uninit(&f->v);
	(void)mmu_init_shadow_ept(&f->v, eptp_of(f, false), &f->feat);
	EXPECT_HEX(0x30704, f->v.guest_mmu.root_role.word);
	/* The root_mmu was never touched, and uninit restores both pointers. */
	mmu_nested_uninit(&f->v);
	assert_ptr_equal(f->v.mmu, &f->v.root_mmu);
	assert_ptr_equal(f->v.walk_mmu, &f->v.root_mmu);
	EXPECT_HEX(0, f->v.root_mmu.root_role.word);
	fx_destroy(f);
}

static void test_shadow_npt_role_from_l1_state(void **state)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);
	struct cpu_regs l1 = f->r;

	(void)state;
	cpu_features_default(&f->feat, CPU_VENDOR_AMD);
	(void)mmu_init_shadow_npt(&f->v, &l1, f->b.root, &f->feat);
	/* CR0 = PG only: cr0_wp 0; efer_nx from L1; guest_mode; level 4. */
	EXPECT_HEX(0x21704, f->v.guest_mmu.root_role.word);
	assert_false(f->v.guest_mmu.ept_gptes);
	assert_true(f->v.nested_tdp.npt);
	fx_destroy(f);
}

static void test_shadow_ept_fault_fixes_and_reflects(void **state)
{
	struct fx *f = fx_ept();
	const u64 eptp = eptp_of(f, true);
	struct kvm_mmu_page *root;
	u64 gpte;

	(void)state;
	/* L2 gpa 0x200000 -> L1 0x400000 read-only; 0x201000 -> 0x401000 RWX. */
	EXPECT_OK(pt_map(&f->b, 0x200000, 0x400000, 0x1000, EPT_R | EPT_MT_WB));
	EXPECT_OK(pt_map(&f->b, 0x201000, 0x401000, 0x1000, EPT_R | EPT_W | EPT_X | EPT_MT_WB));
	(void)mmu_init_shadow_ept(&f->v, eptp, &f->feat);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, mmu_get_guest_pgd(&f->v, f->r.cr3)));
	/* The root shadows L1's EPT PML4: an indirect SP at its gfn with the EPT role. */
	root = mmu_root_to_sp(&f->vm, f->v.guest_mmu.root.hpa);
	assert_non_null(root);
	EXPECT_HEX(f->b.root >> PAGE_SHIFT, root->gfn);
	EXPECT_HEX(0x20704, root->role.word);
	EXPECT_HEX(eptp, f->v.guest_mmu.root.pgd);

	/* A read (EPT exit: U = read, GUEST_FINAL) is fixed from L1's EPT. */
	assert_int_equal(fault(f, 0x200000, PFERR_U | PFERR_GUEST_FINAL), RET_PF_FIXED);
	assert_false(f->out.reflect);
	EXPECT_HEX(0x400, f->out.gfn);
	/* ACC_USER is "readable"; no W (L1's leaf is read-only), no X. */
	EXPECT_HEX(ACC_USER, f->out.pte_access);
	/* KVM's walk set L1's EPT Accessed bit (A/D enabled by the EPTP). */
	EXPECT_OK(pt_get_entry(&f->b, 0x200000, 1, &gpte));
	assert_true(gpte & EPT_A);

	/* A write there is refused by L1's EPT: reflected, not counted as pf_guest. */
	assert_int_equal(fault(f, 0x200000, PFERR_P | PFERR_W | PFERR_GUEST_FINAL), RET_PF_RETRY);
	assert_true(f->out.reflect);
	assert_int_equal(f->out.walk.fault.kind, WALK_FAULT_EPT_VIOLATION);
	/* write | readable | GVA valid + translated (from GUEST_FINAL). */
	EXPECT_HEX(0x18a, f->out.walk.fault.exit_qual);
	EXPECT_HEX(0x200000, f->out.walk.fault.gpa);
	EXPECT_HEX(0, f->v.pf_guest);

	/* A paging-structure access (GUEST_PAGE) to an unmapped gpa: GVA valid only. */
	assert_int_equal(fault(f, 0x300000, PFERR_U | PFERR_GUEST_PAGE), RET_PF_RETRY);
	assert_true(f->out.reflect);
	EXPECT_HEX(0x81, f->out.walk.fault.exit_qual);

	/* A clean RWX leaf (D clear) gets no W on a read: protect_clean_gpte with EPT A/D. */
	assert_int_equal(fault(f, 0x201000, PFERR_U | PFERR_GUEST_FINAL), RET_PF_FIXED);
	EXPECT_HEX(ACC_USER | ACC_EXEC, f->out.pte_access);
	/* ... and a write sets D in L1's EPT and maps it writable. */
	assert_int_equal(fault(f, 0x201000, PFERR_P | PFERR_W | PFERR_GUEST_FINAL), RET_PF_FIXED);
	EXPECT_HEX(ACC_ALL, f->out.pte_access);
	EXPECT_OK(pt_get_entry(&f->b, 0x201000, 1, &gpte));
	assert_true(gpte & EPT_D);
	fx_destroy(f);
}

static void test_shadow_ept_without_ad_keeps_write_on_clean_leaves(void **state)
{
	struct fx *f = fx_ept();
	u64 gpte;

	(void)state;
	EXPECT_OK(pt_map(&f->b, 0x201000, 0x401000, 0x1000, EPT_R | EPT_W | EPT_MT_WB));
	(void)mmu_init_shadow_ept(&f->v, eptp_of(f, false), &f->feat);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, mmu_get_guest_pgd(&f->v, f->r.cr3)));
	assert_int_equal(fault(f, 0x201000, PFERR_U | PFERR_GUEST_FINAL), RET_PF_FIXED);
	EXPECT_HEX(ACC_USER | ACC_WRITE, f->out.pte_access);
	/* No A/D: the walk writes nothing into L1's EPT. */
	EXPECT_OK(pt_get_entry(&f->b, 0x201000, 1, &gpte));
	assert_false(gpte & EPT_A);
	fx_destroy(f);
}

static void test_guest_mmu_roots_are_cached_per_eptp(void **state)
{
	struct fx *f = fx_ept();
	const u64 a = eptp_of(f, true);
	hpa_t first;

	(void)state;
	(void)mmu_init_shadow_ept(&f->v, a, &f->feat);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, a));
	first = f->v.guest_mmu.root.hpa;
	/* vmexit: guest_mmu keeps its root; the next entry with the same EPTP hits. */
	mmu_nested_uninit(&f->v);
	assert_true(mmu_init_shadow_ept(&f->v, a, &f->feat));
	EXPECT_HEX(first, f->v.guest_mmu.root.hpa);
	/* Another EPTP value (no A/D): another role, a miss; the old root goes to prev_roots. */
	mmu_nested_uninit(&f->v);
	assert_false(mmu_init_shadow_ept(&f->v, eptp_of(f, false), &f->feat));
	EXPECT_HEX(first, f->v.guest_mmu.prev_roots[0].hpa);
	/* kvm_mmu_free_guest_mode_roots() frees it (its role has guest_mode). */
	mmu_free_guest_mode_roots(&f->v, &f->v.guest_mmu);
	EXPECT_HEX(INVALID_PAGE, f->v.guest_mmu.prev_roots[0].hpa);
	fx_destroy(f);
}

static void test_l2_without_nested_tdp_gets_guest_mode_roles(void **state)
{
	struct fx *f = fx_create_host(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG, 46);

	(void)state;
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(0x3784, f->v.root_mmu.root_role.word);
	f->r.guest_mode = true;
	mmu_init_context(&f->v, &f->r);
	/* Appendix B: the TDP root role of L2 without nested EPT. */
	EXPECT_HEX(0x23784, f->v.root_mmu.root_role.word);
	fx_destroy(f);
}

/* ---- the engine ---- */

static const char nested_json[] =
	"{\"version\": 1, \"name\": \"n\",\n"
	" \"machine\": {\"tdp\": \"ept\", \"memslots\": [{\"gpa\": \"0x0\", \"size\": "
	"\"0x1000000\"}],\n"
	"             \"pt_pool\": {\"gpa\": \"0x800000\", \"size\": \"0x100000\"}},\n"
	" \"steps\": [\n"
	"  {\"op\": \"map\", \"format\": \"ept4\", \"root\": \"0x10000\", \"va\": \"0x0\",\n"
	"   \"pa\": \"0x200000\", \"size\": \"2m\", \"flags\": \"R|W|X|MT=WB\"},\n"
	"  {\"op\": \"vmentry\", \"vmx\": {\"eptp\": \"0x1001e\", \"vpid\": 1}, \"l2\": {\"cr0\": "
	"\"PE\"}},\n"
	"  {\"op\": \"access\", \"va\": \"0x1000\", \"kind\": \"read\",\n"
	"   \"expect\": {\"fault\": \"none\", \"gpa\": \"0x201000\"}},\n"
	"  {\"op\": \"access\", \"va\": \"0x200000\", \"kind\": \"write\",\n"
	"   \"expect\": {\"fault\": \"ept_violation\", \"qual\": \"0x182\", \"gpa\": "
	"\"0x200000\"}},\n"
	"  {\"op\": \"vmexit\"},\n"
	"  {\"op\": \"vmexit\"}\n"
	" ]}\n";

static void test_engine_runs_the_documented_nested_example(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim;

	(void)state;
	assert_int_equal(scn_load_buffer("n.json", nested_json, sizeof(nested_json) - 1, &s, &err),
			 0);
	assert_int_equal(sim_create(&sim, &s, &err), 0);
	/* Five steps pass; the second vmexit (L1 is running) is a positioned error. */
	assert_int_equal(sim_run(sim, UINT32_MAX, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/5");
	assert_int_equal(sim_failures(sim), 0);
	sim_destroy(sim);
	scn_free(&s);
}

/* An AMD host whose NPT is 5-level (SVM forces the host paging level: LA57). */
static struct fx *fx_npt_5level_host(enum walk_fmt fmt, u64 cr4, u64 efer)
{
	struct fx *f = fx_create_host(true, fmt, CR0_PG_WP, cr4, efer, 46);

	mmu_vcpu_init(&f->v, &f->vm, true, 5, 5, true, 46);
	cpu_features_default(&f->feat, CPU_VENDOR_AMD);
	f->r.guest_mode = true;
	return f;
}

static void expect_audit_clean(struct fx *f)
{
	assert_int_equal(mmu_audit(&f->vm, &f->v, 1, NULL), 0);
}

static void test_shadow_npt_passthrough_root_on_5level_host(void **state)
{
	struct fx *f = fx_npt_5level_host(WALK_FMT_4LVL, X86_CR4_PAE, EFER_LONG);
	struct cpu_regs l1 = f->r;
	struct kvm_mmu_page *root, *pml4;
	u64 spte;

	(void)state;
	EXPECT_OK(pt_map(&f->b, 0x200000, 0x400000, 0x1000, PT_P | PT_U));
	(void)mmu_init_shadow_npt(&f->v, &l1, f->b.root, &f->feat);
	/* kvm_init_shadow_npt_mmu(): level 5 over L1's level 4, so passthrough. */
	EXPECT_HEX(0x61705, f->v.guest_mmu.root_role.word);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, mmu_get_guest_pgd(&f->v, f->r.cr3)));
	/* mmu_alloc_root(root_gfn, level 5): an SP at L1's PML4 gfn, no gptes. */
	root = mmu_root_to_sp(&f->vm, f->v.guest_mmu.root.hpa);
	assert_non_null(root);
	EXPECT_HEX(0x61705, root->role.word);
	EXPECT_HEX(f->b.root >> PAGE_SHIFT, root->gfn);
	assert_int_equal(root->root_count, 1);
	assert_false(mmu_sp_has_gptes(root));
	assert_false(f->v.guest_mmu.pml5_root || f->v.guest_mmu.pml4_root);
	expect_audit_clean(f);

	/* FNAME(fetch) links entry 0 to the level-4 SP of the same gfn (passthrough cleared). */
	assert_int_equal(fault(f, 0x200000, PFERR_U | PFERR_GUEST_FINAL), RET_PF_FIXED);
	EXPECT_HEX(0x400, f->out.gfn);
	spte = *(const u64 *)hmem_ptr(f->hmem, root->spt);
	pml4 = mmu_root_to_sp(&f->vm, spte & SPTE_BASE_ADDR_MASK);
	assert_non_null(pml4);
	EXPECT_HEX(0x21704, pml4->role.word);
	EXPECT_HEX(f->b.root >> PAGE_SHIFT, pml4->gfn);
	assert_true(mmu_sp_has_gptes(pml4));
	EXPECT_HEX(f->b.root >> PAGE_SHIFT, mmu_page_get_gfn(root, 0));
	expect_audit_clean(f);

	/* L1's NPT refuses a write: reflected as L1's #NPF. */
	assert_int_equal(fault(f, 0x200000, PFERR_P | PFERR_W | PFERR_GUEST_FINAL), RET_PF_RETRY);
	assert_true(f->out.reflect);
	assert_int_equal(f->out.walk.fault.kind, WALK_FAULT_NPF);

	/* kvm_mmu_sync_roots() on it, then kvm_mmu_free_roots(): an SP root, freed as one. */
	mmu_sync_roots(&f->v);
	mmu_free_roots(&f->v, &f->v.guest_mmu, KVM_MMU_ROOTS_ALL);
	assert_int_equal(root->root_count, 0);
	assert_true(f->v.guest_mmu.root.hpa == INVALID_PAGE);
	expect_audit_clean(f);
	mmu_nested_uninit(&f->v);
	fx_destroy(f);
}

static void test_shadow_npt_special_roots_for_32bit_l1(void **state)
{
	struct fx *f = fx_npt_5level_host(WALK_FMT_32, 0, 0);
	struct cpu_regs l1 = f->r;
	const u64 pm_mask = PT_P | PT_W | PT_U | BIT_ULL(5);
	struct kvm_mmu *mmu = &f->v.guest_mmu;
	const u64 *pml5, *pml4, *pae;
	struct kvm_mmu_page *sp;

	(void)state;
	EXPECT_OK(pt_map(&f->b, 0x200000, 0x400000, 0x1000, PT_P | PT_W | PT_U));
	(void)mmu_init_shadow_npt(&f->v, &l1, f->b.root, &f->feat);
	/* Level 5, 4-byte gptes, no passthrough (L1's NPT is 2-level). */
	assert_int_equal(mmu->root_role.level, 5);
	assert_true(mmu->root_role.has_4_byte_gpte);
	assert_false(mmu->root_role.passthrough);
	mmu_init_context(&f->v, &f->r);
	EXPECT_OK(mmu_load(&f->v, mmu_get_guest_pgd(&f->v, f->r.cr3)));
	/* mmu_alloc_special_roots() + mmu_alloc_shadow_roots(): pml5 -> pml4 -> pae. */
	assert_true(mmu->pae_root && mmu->pml4_root && mmu->pml5_root);
	EXPECT_HEX(mmu->pml5_root, mmu->root.hpa);
	assert_null(mmu_root_to_sp(&f->vm, mmu->root.hpa));
	pml5 = hmem_ptr(f->hmem, mmu->pml5_root);
	pml4 = hmem_ptr(f->hmem, mmu->pml4_root);
	pae = hmem_ptr(f->hmem, mmu->pae_root);
	EXPECT_HEX(mmu->pml4_root | pm_mask, pml5[0]);
	EXPECT_HEX(mmu->pae_root | pm_mask, pml4[0]);
	for (unsigned i = 0; i < 4; i++) {
		/* Four quarters of L1's one page directory, quadrant i. */
		EXPECT_HEX(pm_mask, pae[i] & 0xfff);
		sp = mmu_root_to_sp(&f->vm, pae[i] & SPTE_BASE_ADDR_MASK);
		assert_non_null(sp);
		assert_int_equal(sp->role.level, 2);
		assert_int_equal(sp->role.quadrant, i);
		assert_int_equal(sp->root_count, 1);
	}
	expect_audit_clean(f);

	/* The fault path's shadow walk starts at pae_root[addr 31:30]. */
	assert_int_equal(fault(f, 0x200000, PFERR_U | PFERR_GUEST_FINAL), RET_PF_FIXED);
	EXPECT_HEX(0x400, f->out.gfn);
	mmu_sync_roots(&f->v);
	expect_audit_clean(f);

	/* kvm_mmu_free_roots(): the pae_root children go, the special pages stay. */
	sp = mmu_root_to_sp(&f->vm, pae[0] & SPTE_BASE_ADDR_MASK);
	mmu_free_roots(&f->v, mmu, KVM_MMU_ROOT_CURRENT);
	assert_int_equal(sp->root_count, 0);
	assert_true(mmu->root.hpa == INVALID_PAGE);
	for (unsigned i = 0; i < 4; i++)
		EXPECT_HEX(INVALID_PAE_ROOT, pae[i]);
	assert_true(mmu->pml4_root && mmu->pml5_root);
	expect_audit_clean(f);
	/* A reload reuses the same special pages. */
	EXPECT_OK(mmu_load(&f->v, mmu_get_guest_pgd(&f->v, f->r.cr3)));
	EXPECT_HEX(mmu->pml5_root, mmu->root.hpa);
	expect_audit_clean(f);
	mmu_nested_uninit(&f->v);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_ept_role_follows_the_eptp),
		cmocka_unit_test(test_shadow_npt_role_from_l1_state),
		cmocka_unit_test(test_shadow_ept_fault_fixes_and_reflects),
		cmocka_unit_test(test_shadow_ept_without_ad_keeps_write_on_clean_leaves),
		cmocka_unit_test(test_guest_mmu_roots_are_cached_per_eptp),
		cmocka_unit_test(test_l2_without_nested_tdp_gets_guest_mode_roles),
		cmocka_unit_test(test_engine_runs_the_documented_nested_example),
		cmocka_unit_test(test_shadow_npt_passthrough_root_on_5level_host),
		cmocka_unit_test(test_shadow_npt_special_roots_for_32bit_l1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
