/* SPDX-License-Identifier: MIT */
/*
 * KVM's role words: the layout of union kvm_mmu_page_role, the CPU role and the
 * root roles of each MMU kind, checked against KVM's own worked values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mmu/role.h"

#define CHECK_WORD(want, got)                                                 \
	do {                                                                  \
		unsigned long long w_ = (want), g_ = (got);                   \
		if (w_ != g_)                                                 \
			fail_msg("%s: want 0x%llx got 0x%llx", #got, w_, g_); \
	} while (0)

static struct mmu_role_regs regs(u64 cr0, u64 cr4, u64 efer)
{
	struct mmu_role_regs r = {.cr0 = cr0, .cr4 = cr4, .efer = efer};
	return r;
}

#define LM (X86_EFER_LME | X86_EFER_LMA)
#define PGWP (X86_CR0_PG | X86_CR0_WP)

static void test_bitfield_union_matches_kvm_shifts(void **state)
{
	union kvm_mmu_page_role r = {0};

	(void)state;
	r.level = 5;
	CHECK_WORD(5, r.word);
	r.word = 0;
	r.has_4_byte_gpte = 1;
	CHECK_WORD(ROLE_HAS_4_BYTE_GPTE, r.word);
	r.word = 0;
	r.quadrant = 3;
	CHECK_WORD(3u << ROLE_QUADRANT_SHIFT, r.word);
	r.word = 0;
	r.direct = 1;
	CHECK_WORD(ROLE_DIRECT, r.word);
	r.word = 0;
	r.access = 7;
	CHECK_WORD(7u << ROLE_ACCESS_SHIFT, r.word);
	r.word = 0;
	r.invalid = 1;
	CHECK_WORD(ROLE_INVALID, r.word);
	r.word = 0;
	r.efer_nx = 1;
	CHECK_WORD(ROLE_EFER_NX, r.word);
	r.word = 0;
	r.cr0_wp = 1;
	CHECK_WORD(ROLE_CR0_WP, r.word);
	r.word = 0;
	r.smep_andnot_wp = 1;
	CHECK_WORD(ROLE_SMEP_ANDNOT_WP, r.word);
	r.word = 0;
	r.smap_andnot_wp = 1;
	CHECK_WORD(ROLE_SMAP_ANDNOT_WP, r.word);
	r.word = 0;
	r.ad_disabled = 1;
	CHECK_WORD(ROLE_AD_DISABLED, r.word);
	r.word = 0;
	r.guest_mode = 1;
	CHECK_WORD(ROLE_GUEST_MODE, r.word);
	r.word = 0;
	r.passthrough = 1;
	CHECK_WORD(ROLE_PASSTHROUGH, r.word);
	r.word = 0;
	r.smm = 1;
	CHECK_WORD(1u << ROLE_SMM_SHIFT, r.word);
}

static void test_cpu_role_puts_ext_in_high_half(void **state)
{
	union kvm_cpu_role r = {0};

	(void)state;
	r.ext.valid = 1;
	r.ext.efer_lma = 1;
	r.base.level = 4;
	CHECK_WORD(0x0000008100000004ULL, r.as_u64);
}

/* Reference appendix B: a 4-level TDP root, !SMM, !guest_mode, A/D on. */
static void test_tdp_root_roles_match_kvm_words(void **state)
{
	struct mmu_role_regs r = regs(PGWP, X86_CR4_PAE, LM | X86_EFER_NXE);
	union kvm_cpu_role c;

	(void)state;
	c = mmu_calc_cpu_role(&r);
	CHECK_WORD(0x3784, mmu_calc_tdp_root_role(c, 4, true).word);
	CHECK_WORD(0x3785, mmu_calc_tdp_root_role(c, 5, true).word);
	CHECK_WORD(0x13784, mmu_calc_tdp_root_role(c, 4, false).word);
	r.smm = true;
	c = mmu_calc_cpu_role(&r);
	CHECK_WORD(0x01003784, mmu_calc_tdp_root_role(c, 4, true).word);
	r.smm = false;
	r.guest_mode = true;
	c = mmu_calc_cpu_role(&r);
	CHECK_WORD(0x23784, mmu_calc_tdp_root_role(c, 4, true).word);
}

static void test_tdp_root_role_ignores_guest_paging_mode(void **state)
{
	/* >= v5.19: real mode, 32-bit and 64-bit guests share one TDP root role. */
	struct mmu_role_regs real = regs(0, 0, 0);
	struct mmu_role_regs p32 = regs(X86_CR0_PG, 0, 0);
	struct mmu_role_regs p64 = regs(PGWP, X86_CR4_PAE | X86_CR4_SMEP, LM | X86_EFER_NXE);

	(void)state;
	CHECK_WORD(0x3784, mmu_calc_tdp_root_role(mmu_calc_cpu_role(&real), 4, true).word);
	CHECK_WORD(0x3784, mmu_calc_tdp_root_role(mmu_calc_cpu_role(&p32), 4, true).word);
	CHECK_WORD(0x3784, mmu_calc_tdp_root_role(mmu_calc_cpu_role(&p64), 4, true).word);
}

static void test_shadow_root_roles_match_kvm_words(void **state)
{
	struct mmu_role_regs r64 = regs(PGWP, X86_CR4_PAE, LM | X86_EFER_NXE);
	struct mmu_role_regs r64wp0 = regs(X86_CR0_PG, X86_CR4_PAE | X86_CR4_SMEP, LM);
	struct mmu_role_regs none = regs(0, 0, 0);

	(void)state;
	CHECK_WORD(0x3704, mmu_calc_shadow_root_role(mmu_calc_cpu_role(&r64)).word);
	/* WP=0 with SMEP; EFER.NX=0 in the guest but forced on in the root. */
	CHECK_WORD(0x5704, mmu_calc_shadow_root_role(mmu_calc_cpu_role(&r64wp0)).word);
	/* nonpaging: direct, level raised to 3 (its PAE-root SPs are level 2: 0x1782) */
	CHECK_WORD(0x1783, mmu_calc_shadow_root_role(mmu_calc_cpu_role(&none)).word);
}

static void test_pae_root_sp_roles_of_2_level_and_pae_guests(void **state)
{
	/* The SPs under pae_root[i] are level 2 with the guest's role bits; for a
	 * 2-level guest, quadrant i (appendix B: 0x3712, 0x3732, 0x3752, 0x3772). */
	struct mmu_role_regs r32 = regs(PGWP, 0, 0);
	struct mmu_role_regs pae = regs(PGWP, X86_CR4_PAE, 0);
	union kvm_mmu_page_role root = mmu_calc_shadow_root_role(mmu_calc_cpu_role(&r32));
	static const u32 want[4] = {0x3712, 0x3732, 0x3752, 0x3772};

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		union kvm_mmu_page_role sp = root;

		sp.level = 2;
		sp.quadrant = i & 3u;
		CHECK_WORD(want[i], sp.word);
	}
	root = mmu_calc_shadow_root_role(mmu_calc_cpu_role(&pae));
	root.level = 2;
	CHECK_WORD(0x3702, root.word);
}

static void test_shadow_ept_roles_match_kvm_words(void **state)
{
	(void)state;
	CHECK_WORD(0x20704, mmu_calc_shadow_ept_cpu_role(true, false, 4).base.word);
	CHECK_WORD(0x30704, mmu_calc_shadow_ept_cpu_role(false, false, 4).base.word);
	CHECK_WORD(0x0000000300020705ULL, mmu_calc_shadow_ept_cpu_role(true, true, 5).as_u64);
}

static void test_shadow_npt_ignores_wp_and_keeps_l1_nx(void **state)
{
	union kvm_cpu_role c;
	union kvm_mmu_page_role r;

	(void)state;
	r = mmu_calc_shadow_npt_root_role(X86_CR4_PAE | X86_CR4_PKE | X86_CR4_SMEP, LM, false, true,
					  4, &c);
	/* level 4, access, smep_andnot_wp (WP taken as 0), guest_mode; efer_nx = L1's 0 */
	CHECK_WORD(0x24704, r.word);
	CHECK_WORD(0, c.ext.cr4_pke);
	r = mmu_calc_shadow_npt_root_role(X86_CR4_PAE, LM | X86_EFER_NXE, false, true, 5, &c);
	CHECK_WORD(0x61705, r.word); /* passthrough: 5-level host over a 4-level L1 NPT */
	r = mmu_calc_shadow_npt_root_role(0, 0, false, true, 4, NULL);
	CHECK_WORD(1, r.has_4_byte_gpte); /* 32-bit NPT */
}

static void test_cpu_role_fields_per_paging_mode(void **state)
{
	struct mmu_role_regs none = regs(0, X86_CR4_PAE | X86_CR4_SMEP, X86_EFER_NXE);
	struct mmu_role_regs r32 = regs(X86_CR0_PG, X86_CR4_PSE, X86_EFER_NXE);
	struct mmu_role_regs r57 = regs(PGWP, X86_CR4_PAE | X86_CR4_LA57 | X86_CR4_PKE, LM);
	struct mmu_role_regs pae_pke = regs(PGWP, X86_CR4_PAE | X86_CR4_PKE, 0);
	union kvm_cpu_role c;

	(void)state;
	/* PG=0: direct, level 0, nothing else but access and ext.valid */
	c = mmu_calc_cpu_role(&none);
	CHECK_WORD(0x0000000100000780ULL, c.as_u64);
	c = mmu_calc_cpu_role(&r32);
	CHECK_WORD(2, c.base.level);
	CHECK_WORD(1, c.base.has_4_byte_gpte);
	CHECK_WORD(1, c.base.efer_nx);
	CHECK_WORD(0, c.base.cr0_wp);
	CHECK_WORD(1, c.ext.cr4_pse);
	c = mmu_calc_cpu_role(&r57);
	CHECK_WORD(5, c.base.level);
	CHECK_WORD(1, c.ext.cr4_la57);
	CHECK_WORD(1, c.ext.cr4_pke);
	CHECK_WORD(1, c.ext.efer_lma);
	/* PKE and LA57 count only with LMA */
	c = mmu_calc_cpu_role(&pae_pke);
	CHECK_WORD(3, c.base.level);
	CHECK_WORD(0, c.ext.cr4_pke);
}

static void test_role_regs_mask_non_role_bits(void **state)
{
	struct cpu_regs r = {0};
	struct mmu_role_regs m;

	(void)state;
	r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_NE;
	r.cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR;
	r.efer = LM | X86_EFER_SCE;
	r.smm = true;
	m = mmu_role_regs_from_cpu(&r);
	CHECK_WORD(X86_CR0_PG | X86_CR0_WP, m.cr0);
	CHECK_WORD(X86_CR4_PAE, m.cr4);
	CHECK_WORD(LM | X86_EFER_SCE, m.efer);
	CHECK_WORD(1, m.smm);
}

static void test_tdp_level_follows_kvm_mmu_get_tdp_level(void **state)
{
	(void)state;
	CHECK_WORD(4, mmu_tdp_level(5, 0, 48));
	CHECK_WORD(5, mmu_tdp_level(5, 0, 52));
	CHECK_WORD(4, mmu_tdp_level(4, 0, 52));
	CHECK_WORD(5, mmu_tdp_level(5, 5, 40)); /* SVM forces the host level */
}

static void test_trace_format_matches_kvm_printk(void **state)
{
	char buf[256];
	union kvm_mmu_page_role r = {.word = 0x3784};

	(void)state;
	mmu_role_trace_format(r, buf, sizeof(buf));
	assert_string_equal("l4 8-byte q0 direct wux nxe ad", buf);
	r.word = 0x13772 | ROLE_INVALID; /* 4-byte gptes, quadrant 3, invalid, A/D off */
	mmu_role_trace_format(r, buf, sizeof(buf));
	assert_string_equal("l2 4-byte q3 wux invalid nxe !ad", buf);
	r.word = 0x20704;
	mmu_role_trace_format(r, buf, sizeof(buf));
	assert_string_equal("l4 8-byte q0 wux !nxe ad", buf);
	r.word = 0x3784;
	mmu_role_format(r, buf, sizeof(buf));
	assert_string_equal("level=4 has_4_byte_gpte=0 quadrant=0 direct=1 access=wux invalid=0 "
			    "efer_nx=1 cr0_wp=1 smep_andnot_wp=0 smap_andnot_wp=0 ad_disabled=0 "
			    "guest_mode=0 passthrough=0 smm=0",
			    buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitfield_union_matches_kvm_shifts),
		cmocka_unit_test(test_cpu_role_puts_ext_in_high_half),
		cmocka_unit_test(test_tdp_root_roles_match_kvm_words),
		cmocka_unit_test(test_tdp_root_role_ignores_guest_paging_mode),
		cmocka_unit_test(test_shadow_root_roles_match_kvm_words),
		cmocka_unit_test(test_pae_root_sp_roles_of_2_level_and_pae_guests),
		cmocka_unit_test(test_shadow_ept_roles_match_kvm_words),
		cmocka_unit_test(test_shadow_npt_ignores_wp_and_keeps_l1_nx),
		cmocka_unit_test(test_cpu_role_fields_per_paging_mode),
		cmocka_unit_test(test_role_regs_mask_non_role_bits),
		cmocka_unit_test(test_tdp_level_follows_kvm_mmu_get_tdp_level),
		cmocka_unit_test(test_trace_format_matches_kvm_printk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
