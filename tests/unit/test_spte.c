/* SPDX-License-Identifier: MIT */
/*
 * KVM's SPTEs (mmu/spte.c): the masks of legacy and EPT hosts, make_spte() for
 * every rule it applies, non-leaf and MMIO SPTEs (reference appendix B), access
 * tracking and the predicates, each checked against hand-computed words.
 */
#include "mmu/spte.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu/walk.h"

#define CHECK_HEX(want, got)                                                        \
	do {                                                                        \
		unsigned long long w_ = (want), g_ = (got);                         \
		if (w_ != g_)                                                       \
			fail_msg("%s: want 0x%016llx got 0x%016llx", #got, w_, g_); \
	} while (0)

#define CHECK_TRUE(cond)                            \
	do {                                        \
		if (!(cond))                        \
			fail_msg("want %s", #cond); \
	} while (0)

/* The unsync hook: counts calls, records the arguments, answers @ret. */
struct unsync_probe {
	int ret;
	int calls;
	gfn_t gfn;
	bool can_unsync, prefetch;
};

static int probe_unsync(void *ctx, gfn_t gfn, bool can_unsync, bool prefetch)
{
	struct unsync_probe *p = ctx;

	p->calls++;
	p->gfn = gfn;
	p->can_unsync = can_unsync;
	p->prefetch = prefetch;
	return p->ret;
}

/* A fault-time leaf: 4K, gfn 0x1234 -> pfn 0x5678, host-writable, not prefetched. */
static struct make_spte_args leaf(union kvm_mmu_page_role role, unsigned acc,
				  struct unsync_probe *p)
{
	struct make_spte_args a = {
		.role = role,
		.pte_access = acc,
		.level = 1,
		.gfn = 0x1234,
		.pfn = 0x5678,
		.old_spte = SHADOW_NONPRESENT_VALUE,
		.can_unsync = true,
		.host_writable = true,
		.try_unsync = probe_unsync,
		.ctx = p,
	};
	return a;
}

/* Shadow-paging leaf SP role: level 1, wux, efer_nx, cr0_wp. */
static const union kvm_mmu_page_role shadow_pt = {.word = 0x3701};
/* TDP leaf SP role: level 1, direct, wux, efer_nx, cr0_wp (A/D on). */
static const union kvm_mmu_page_role tdp_pt = {.word = 0x3781};
/* The same with A/D disabled. */
static const union kvm_mmu_page_role tdp_pt_noad = {.word = 0x13781};

static void test_legacy_masks_match_kvm_reset_all_pte_masks(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(!m.ept && m.ad_enabled);
	CHECK_HEX(0x1, m.present_mask);
	CHECK_HEX(0x4, m.user_mask);
	CHECK_HEX(0x20, m.accessed_mask);
	CHECK_HEX(0x40, m.dirty_mask);
	CHECK_HEX(0x8000000000000000, m.nx_mask);
	CHECK_HEX(0, m.x_mask);
	CHECK_HEX(0x200, m.host_writable_mask);
	CHECK_HEX(0x400, m.mmu_writable_mask);
	CHECK_HEX(0, m.acc_track_mask);
	CHECK_HEX(0x0008000000000001, m.mmio_value);
	CHECK_HEX(0x0008000000000001, m.mmio_mask);
	CHECK_HEX(ACC_WRITE | ACC_USER, m.mmio_access_mask);
	CHECK_HEX(0, m.nonpresent_or_rsvd_mask);
	CHECK_TRUE(spte_mmio_caching_enabled(&m));
}

static void test_legacy_masks_on_52_bit_host_turn_mmio_caching_off(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_legacy(&m, 52);
	CHECK_HEX(0, m.mmio_value);
	CHECK_HEX(0, m.mmio_mask);
	CHECK_TRUE(!spte_mmio_caching_enabled(&m));
	CHECK_TRUE(!is_mmio_spte(&m, 0x00080000FEE0002FULL));
	CHECK_TRUE(!is_mmio_spte(&m, 0));
}

static void test_ept_masks_with_ad_match_kvm_set_ept_masks(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_ept(&m, true, false, 46);
	CHECK_TRUE(m.ept && m.ad_enabled);
	CHECK_HEX(0x8000000000000001, m.present_mask); /* R | suppress-#VE */
	CHECK_HEX(0x1, m.user_mask);
	CHECK_HEX(0x100, m.accessed_mask);
	CHECK_HEX(0x200, m.dirty_mask);
	CHECK_HEX(0, m.nx_mask);
	CHECK_HEX(0x4, m.x_mask);
	CHECK_HEX(0x7, m.acc_track_mask);
	CHECK_HEX(0x0200000000000000, m.host_writable_mask);
	CHECK_HEX(0x0400000000000000, m.mmu_writable_mask);
	CHECK_HEX(0x6, m.mmio_value);
	CHECK_HEX(0x8000000000000007, m.mmio_mask);
	CHECK_HEX(0, m.mmio_access_mask);
}

static void test_ept_masks_exec_only_without_ad_drop_r_and_ad_enabled(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_ept(&m, false, true, 46);
	CHECK_TRUE(!m.ad_enabled);
	CHECK_HEX(0x8000000000000000, m.present_mask); /* suppress-#VE only */
	/* >= v6.13: the A/D masks stay set; kvm_ad_enabled alone says "no A/D". */
	CHECK_HEX(0x100, m.accessed_mask);
	CHECK_HEX(0x200, m.dirty_mask);
	CHECK_HEX(0x1, m.user_mask);
}

static void test_read_only_guest_pte_maps_without_w_and_skips_unsync(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_USER | ACC_EXEC, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	/* bit 11 | host-writable | A | U | P | pfn */
	CHECK_HEX(0x0000000005678A25, spte);
	CHECK_HEX(0, p.calls);
	CHECK_TRUE(is_shadow_present_pte(spte) && !is_mmio_spte(&m, spte));
	CHECK_HEX(0x5678, spte_to_pfn(spte));
}

static void test_writable_pte_with_unsync_allowed_gets_w_mmu_writable_and_d(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E67, spte);
	CHECK_HEX(1, p.calls);
	CHECK_HEX(0x1234, p.gfn);
	CHECK_TRUE(p.can_unsync && !p.prefetch);
	CHECK_TRUE(is_writable_pte(spte) && is_mmu_writable_spte(&m, spte));
}

static void test_writable_pte_with_unsync_refused_is_wrprot_read_only(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {.ret = -1};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(make_spte(&m, &a, &spte));
	/* No W, no MMU-writable, no D; host-writable stays (state 100). */
	CHECK_HEX(0x0000000005678A25, spte);
	CHECK_HEX(1, p.calls);
	CHECK_TRUE(!is_writable_pte(spte) && !is_mmu_writable_spte(&m, spte));

	/* No hook at all: treated as write-tracked. */
	a.try_unsync = NULL;
	CHECK_TRUE(make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678A25, spte);
}

static void test_writable_old_leaf_skips_the_unsync_check(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {.ret = -1};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	a.old_spte = 0x0000000005678E67;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E67, spte);
	CHECK_HEX(0, p.calls);

	/* A writable non-leaf (level 2, no PS) is not "a writable leaf". */
	a.level = 2;
	a.pfn = 0x5600;
	a.old_spte = 0x000000000010a827;
	CHECK_TRUE(make_spte(&m, &a, &spte));
	CHECK_HEX(1, p.calls);
	CHECK_HEX(0x0000000005600AA5, spte); /* PS, no W */
}

static void test_prefetch_leaves_a_clear_and_synchronizing_sets_it(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	a.prefetch = true;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E47, spte); /* as writable, minus A */
	CHECK_TRUE(p.prefetch);

	/* FNAME(sync_spte): prefetch but synchronizing (!can_unsync): A is set. */
	a.can_unsync = false;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E67, spte);
}

static void test_prefetch_without_ad_is_access_tracked(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(tdp_pt_noad, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_ept(&m, false, false, 46);
	a.prefetch = true;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	/*
	 * Before tracking: SVE | MMU-W | host-W | AD-disabled | pfn | D | bit 11 |
	 * IPAT | WB | XWR = 0x8610000005678A77. Tracking saves R, X in 54/56
	 * and clears XWR (and A, already clear).
	 */
	CHECK_HEX(0x8750000005678A70, spte);
	CHECK_TRUE(is_access_track_spte(&m, spte));
	CHECK_TRUE(!spte_ad_enabled(spte));
	/* Restore brings R and X back; W waits for fast_page_fault. */
	CHECK_HEX(0x8610000005678A75, restore_acc_track_spte(&m, spte));
}

static void test_huge_page_gets_ps_and_nx_under_the_workaround(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	a.role.level = 2;
	a.level = 2;
	a.pfn = 0x200;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000000200EE7, spte);
	CHECK_TRUE(is_large_pte(spte) && is_last_spte(spte, 2) && is_executable_pte(&m, spte));

	a.nx_huge_page_workaround = true;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8000000000200EE7, spte);
	CHECK_TRUE(!is_executable_pte(&m, spte));

	/* 4K SPTEs keep exec under the workaround. */
	a.level = 1;
	a.pfn = 0x5678;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E67, spte);

	/* EPT: the workaround clears X (EPT has no NX bit). */
	spte_masks_init_ept(&m, true, false, 46);
	a.role = tdp_pt;
	a.role.level = 3;
	a.level = 3;
	a.pfn = 0x40000;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8600000040000BF3, spte);
	CHECK_TRUE(!is_executable_pte(&m, spte));
}

static void test_cr0_wp0_supervisor_write_maps_w_without_u(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_WRITE | ACC_EXEC, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678E63, spte); /* W, no U, no NX */
}

static void test_ept_leaf_rights_and_write_back_memtype(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(tdp_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_ept(&m, true, false, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	/* SVE | MMU-W | host-W | pfn | bit 11 | D | A | IPAT | WB (6 << 3) | XWR */
	CHECK_HEX(0x8600000005678B77, spte);
	CHECK_HEX(0x70, spte & 0x78); /* memtype WB + IPAT */
	CHECK_TRUE(is_executable_pte(&m, spte) && spte_ad_enabled(spte));

	/* Readable + writable, not executable: X clear, no NX bit to set. */
	a.pte_access = ACC_USER | ACC_WRITE;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8600000005678B73, spte);

	/* Exec-only host, execute-only guest rights: neither R nor W. */
	spte_masks_init_ept(&m, true, true, 46);
	a.pte_access = ACC_EXEC;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8200000005678974, spte);

	/* A/D-disabled role: type bits 52-53 = 1 (A still set since v6.13). */
	spte_masks_init_ept(&m, false, false, 46);
	a.role = tdp_pt_noad;
	a.pte_access = ACC_ALL;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8610000005678B77, spte);
	CHECK_TRUE(!spte_ad_enabled(spte) && !is_access_track_spte(&m, spte));
}

static void test_host_read_only_page_never_gets_w(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(shadow_pt, ACC_ALL, &p);
	u64 spte = 0;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	a.host_writable = false;
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x0000000005678825, spte); /* state 000: no host-W, MMU-W, W */
	CHECK_HEX(0, p.calls);
}

static void test_nonleaf_spte_grants_everything(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_HEX(0x000000000010a827, make_nonleaf_spte(&m, 0x10a000, false));
	spte_masks_init_ept(&m, true, false, 46);
	CHECK_HEX(0x800000000010a907, make_nonleaf_spte(&m, 0x10a000, false));
	CHECK_HEX(0x801000000010a807, make_nonleaf_spte(&m, 0x10a000, true));
}

static void test_mmio_spte_matches_reference_appendix_b(void **state)
{
	struct spte_masks m;
	u64 spte;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	spte = make_mmio_spte(&m, 0xfee00, ACC_WRITE | ACC_USER, 5);
	CHECK_HEX(0x00080000FEE0002F, spte);
	CHECK_TRUE(is_mmio_spte(&m, spte) && !is_shadow_present_pte(spte));
	CHECK_HEX(5, get_mmio_spte_generation(spte));
	CHECK_HEX(0xfee00, get_mmio_spte_gfn(&m, spte));
	CHECK_HEX(ACC_WRITE | ACC_USER, get_mmio_spte_access(&m, spte));

	/* Exec is not kept (access mask W|U). */
	CHECK_HEX(0x00080000FEE0002F, make_mmio_spte(&m, 0xfee00, ACC_ALL, 5));

	/* gen 0x1ff: 0xff -> bits 10:3 (0x7f8), bit 8 -> bit 52. */
	spte = make_mmio_spte(&m, 0xfee00, ACC_WRITE | ACC_USER, 0x1ff);
	CHECK_HEX(0x00180000FEE007FF, spte);
	CHECK_HEX(0x1ff, get_mmio_spte_generation(spte));

	/* All 19 bits round-trip; bits above are dropped. */
	spte = make_mmio_spte(&m, 0x1, 0, 0x7ffff);
	CHECK_HEX(0x7FF80000000017F9, spte);
	CHECK_HEX(0x7ffff, get_mmio_spte_generation(spte));
	CHECK_HEX(5, get_mmio_spte_generation(make_mmio_spte(&m, 0x1, 0, 0x80005)));
}

static void test_ept_mmio_spte_is_a_wx_misconfiguration(void **state)
{
	struct spte_masks m;
	u64 spte;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(tdp_pt, ACC_WRITE | ACC_EXEC, &p);

	(void)state;
	spte_masks_init_ept(&m, true, false, 46);
	spte = make_mmio_spte(&m, 0xfee00, ACC_WRITE | ACC_USER, 5);
	CHECK_HEX(0x00000000FEE0002E, spte); /* access mask 0: only XWR = 110b */
	CHECK_TRUE(is_mmio_spte(&m, spte));
	CHECK_HEX(0xfee00, get_mmio_spte_gfn(&m, spte));
	CHECK_HEX(0, get_mmio_spte_access(&m, spte));

	/* A W+X leaf without R (exec-only host) is no MMIO SPTE: suppress-#VE differs. */
	spte_masks_init_ept(&m, true, true, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x6, spte & 7);
	CHECK_TRUE(!is_mmio_spte(&m, spte));
}

static void test_access_tracking_with_ad_only_clears_a(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_HEX(0x0000000005678E47, mark_spte_for_access_track(&m, 0x0000000005678E67));
	CHECK_TRUE(!is_access_track_spte(&m, 0x0000000005678E47));
	CHECK_TRUE(!is_accessed_spte(&m, 0x0000000005678E47));
	CHECK_TRUE(is_accessed_spte(&m, 0x0000000005678E67));
}

static void test_access_tracking_round_trip_without_ad(void **state)
{
	struct spte_masks m;
	struct unsync_probe p = {0};
	struct make_spte_args a = leaf(tdp_pt_noad, ACC_USER | ACC_EXEC, &p);
	u64 spte = 0, tracked;

	(void)state;
	spte_masks_init_ept(&m, false, false, 46);
	CHECK_TRUE(!make_spte(&m, &a, &spte));
	CHECK_HEX(0x8210000005678975, spte);
	tracked = mark_spte_for_access_track(&m, spte);
	CHECK_HEX(0x8350000005678870, tracked);
	CHECK_TRUE(is_access_track_spte(&m, tracked));
	/* Marking twice changes nothing. */
	CHECK_HEX(tracked, mark_spte_for_access_track(&m, tracked));
	/* Restore: everything but A (which aging cleared). */
	CHECK_HEX(spte & ~0x100ULL, restore_acc_track_spte(&m, tracked));
}

static void test_predicates_follow_kvm_spte_h(void **state)
{
	struct spte_masks m;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	CHECK_TRUE(is_executable_pte(&m, 0x0000000005678E67));
	CHECK_TRUE(!is_executable_pte(&m, 0x8000000005678E67));
	CHECK_TRUE(is_writable_pte(0x2) && !is_writable_pte(0x1));
	CHECK_TRUE(is_mmu_writable_spte(&m, 0x400) && !is_mmu_writable_spte(&m, 0x200));
	CHECK_TRUE(spte_ad_enabled(SPTE_MMU_PRESENT_MASK));
	CHECK_TRUE(spte_ad_enabled(SPTE_MMU_PRESENT_MASK | SPTE_TDP_AD_WRPROT_ONLY));
	CHECK_TRUE(!spte_ad_enabled(SPTE_MMU_PRESENT_MASK | SPTE_TDP_AD_DISABLED));
	CHECK_TRUE(!is_shadow_present_pte(SHADOW_NONPRESENT_VALUE));
	CHECK_TRUE(!is_mmio_spte(&m, SHADOW_NONPRESENT_VALUE));
	CHECK_TRUE(is_last_spte(0, 1) && !is_last_spte(0x827, 2) && is_last_spte(0x8a7, 2));

	spte_masks_init_ept(&m, true, false, 46);
	CHECK_TRUE(is_executable_pte(&m, 0x4) && !is_executable_pte(&m, 0x3));
	CHECK_TRUE(is_mmu_writable_spte(&m, EPT_SPTE_MMU_WRITABLE));
}

static void test_rwxu_letters_follow_kvm_mmu_set_spte(void **state)
{
	struct spte_masks m;
	bool r, w, x, u;

	(void)state;
	spte_masks_init_legacy(&m, 46);
	spte_rwxu(&m, 0x0000000005678A25, &r, &w, &x, &u);
	CHECK_TRUE(r && !w && x && u);
	spte_rwxu(&m, 0x8000000005678E63, &r, &w, &x, &u);
	CHECK_TRUE(r && w && !x && !u);

	/* EPT exec-only: "r" anyway (the present mask is non-zero), u is R. */
	spte_masks_init_ept(&m, true, true, 46);
	spte_rwxu(&m, 0x8200000005678974, &r, &w, &x, &u);
	CHECK_TRUE(r && !w && x && !u);
	spte_rwxu(&m, 0x8600000005678B77, &r, &w, &x, &u);
	CHECK_TRUE(r && w && x && u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_masks_match_kvm_reset_all_pte_masks),
		cmocka_unit_test(test_legacy_masks_on_52_bit_host_turn_mmio_caching_off),
		cmocka_unit_test(test_ept_masks_with_ad_match_kvm_set_ept_masks),
		cmocka_unit_test(test_ept_masks_exec_only_without_ad_drop_r_and_ad_enabled),
		cmocka_unit_test(test_read_only_guest_pte_maps_without_w_and_skips_unsync),
		cmocka_unit_test(test_writable_pte_with_unsync_allowed_gets_w_mmu_writable_and_d),
		cmocka_unit_test(test_writable_pte_with_unsync_refused_is_wrprot_read_only),
		cmocka_unit_test(test_writable_old_leaf_skips_the_unsync_check),
		cmocka_unit_test(test_prefetch_leaves_a_clear_and_synchronizing_sets_it),
		cmocka_unit_test(test_prefetch_without_ad_is_access_tracked),
		cmocka_unit_test(test_huge_page_gets_ps_and_nx_under_the_workaround),
		cmocka_unit_test(test_cr0_wp0_supervisor_write_maps_w_without_u),
		cmocka_unit_test(test_ept_leaf_rights_and_write_back_memtype),
		cmocka_unit_test(test_host_read_only_page_never_gets_w),
		cmocka_unit_test(test_nonleaf_spte_grants_everything),
		cmocka_unit_test(test_mmio_spte_matches_reference_appendix_b),
		cmocka_unit_test(test_ept_mmio_spte_is_a_wx_misconfiguration),
		cmocka_unit_test(test_access_tracking_with_ad_only_clears_a),
		cmocka_unit_test(test_access_tracking_round_trip_without_ad),
		cmocka_unit_test(test_predicates_follow_kvm_spte_h),
		cmocka_unit_test(test_rwxu_letters_follow_kvm_mmu_set_spte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
