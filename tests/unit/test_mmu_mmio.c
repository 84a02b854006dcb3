/* SPDX-License-Identifier: MIT */
/*
 * MMIO SPTEs (mmu/spte.h, mmu/fault.h): make/is/get round trips, the memslot
 * generation, the fault path installing an MMIO SPTE for a gfn outside every
 * memslot (kvm_handle_noslot_fault() -> mark_mmio_spte()), the RSVD exit
 * emulated by handle_mmio_page_fault(), a stale generation reinstalling the
 * SPTE, MMIO caching off, the generation wrap and the auditor.
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
#include "mmu_fixture.h"

#define HOST_BITS 51
#define MMIO_GPA (GUEST_RAM + 0x5000) /* outside the memslot */
#define VA 0x7f0000000ULL

static void memslots_updated(void *ctx, u8 as, u64 gen)
{
	(void)as;
	mmu_invalidate_mmio_sptes(ctx, gen);
}

/* A VM on a @host_bits host; @tdp: legacy direct TDP, else a 4-level shadowed guest. */
static struct fx *fx_create(bool tdp, u8 host_bits)
{
	struct fx *f =
		fx_create_host(tdp, WALK_FMT_4LVL, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP,
			       X86_CR4_PAE, X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE, host_bits);

	gmem_set_memslots_updated(f->gmem, memslots_updated, &f->vm);
	return f;
}

static const struct mmu_event *find_event(const struct fx *f, unsigned from, enum mmu_ev_kind k)
{
	for (unsigned i = from; i < f->nev && i < MAX_EVENTS; i++)
		if (f->ev[i].kind == k)
			return &f->ev[i];
	return NULL;
}

static u64 spte_at(struct fx *f, u64 sptep)
{
	u64 *p = mmu_sptep_ptr(&f->vm, sptep);

	assert_non_null(p);
	return *p;
}

static int audit(struct fx *f)
{
	struct mmu_audit_report rep;

	return mmu_audit(&f->vm, &f->v, 1, &rep);
}

static void add_slot(struct fx *f, u16 id, u64 base, u64 size)
{
	struct gmem_slot_desc d = {.as = 0, .id = id, .base = base, .size = size};

	EXPECT_OK(gmem_slot_add(f->gmem, &d));
}

/* ---- the SPTE ---- */

static void test_mmio_spte_round_trips_gen_gfn_and_access(void **state)
{
	struct spte_masks m, ept, off;
	u64 spte;

	(void)state;
	spte_masks_init_legacy(&m, HOST_BITS);
	spte = make_mmio_spte(&m, 0xfee00, ACC_ALL, 6);
	/* bit 51 | P, gen 6 in bits 10:3, W|U (the access mask drops exec), the gpa. */
	EXPECT_HEX(0x00080000fee00037ULL, spte);
	assert_true(is_mmio_spte(&m, spte));
	assert_false(is_shadow_present_pte(spte));
	EXPECT_HEX(6, get_mmio_spte_generation(spte));
	EXPECT_HEX(0xfee00, get_mmio_spte_gfn(&m, spte));
	EXPECT_HEX(ACC_WRITE | ACC_USER, get_mmio_spte_access(&m, spte));
	/* A generation with high bits: 18:8 -> bits 62:52. */
	spte = make_mmio_spte(&m, 0x7ffffffULL, ACC_USER, 0x7ffff);
	EXPECT_HEX(0x7ffff, get_mmio_spte_generation(spte));
	EXPECT_HEX(0x7ffffffULL, get_mmio_spte_gfn(&m, spte));
	EXPECT_HEX(ACC_USER, get_mmio_spte_access(&m, spte));
	assert_true(is_mmio_spte(&m, spte));
	/* Ordinary SPTEs and the non-present value are not MMIO. */
	assert_false(is_mmio_spte(&m, SHADOW_NONPRESENT_VALUE));
	assert_false(is_mmio_spte(&m, 0x10000010e67ULL));

	/* EPT: XWR = 110b, no access bits kept. */
	spte_masks_init_ept(&ept, true, true, 46);
	spte = make_mmio_spte(&ept, 0xfee00, ACC_ALL, 6);
	assert_true(is_mmio_spte(&ept, spte));
	EXPECT_HEX(0, get_mmio_spte_access(&ept, spte));
	EXPECT_HEX(6, get_mmio_spte_generation(spte));
	EXPECT_HEX(0xfee00, get_mmio_spte_gfn(&ept, spte));

	/* A 52-bit host has no reserved PA bit: MMIO caching is off. */
	spte_masks_init_legacy(&off, 52);
	assert_false(spte_mmio_caching_enabled(&off));
	assert_false(is_mmio_spte(&off, make_mmio_spte(&m, 0xfee00, ACC_ALL, 6)));
}

/* ---- the fault path (legacy direct TDP: gpa = addr) ---- */

static void test_noslot_fault_installs_an_mmio_spte(void **state)
{
	struct fx *f = fx_create(true, HOST_BITS);
	const struct mmu_event *ev;
	unsigned from;
	u64 spte;

	(void)state;
	fx_load(f);
	from = f->nev;
	EXPECT_HEX(2, gmem_generation(f->gmem, 0)); /* one memslot added */
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA, PFERR_W));
	assert_true(f->out.mmio);
	EXPECT_HEX(1, f->v.pf_mmio_spte_created);
	EXPECT_HEX(1, f->v.pf_emulate);
	EXPECT_HEX(1, f->v.pf_taken);
	spte = spte_at(f, f->out.sptep);
	assert_true(is_mmio_spte(&f->masks, spte));
	EXPECT_HEX(MMIO_GPA >> PAGE_SHIFT, get_mmio_spte_gfn(&f->masks, spte));
	EXPECT_HEX(2, get_mmio_spte_generation(spte));
	/* kvm_mmu_spte_requested carries KVM_PFN_NOSLOT; no kvm_mmu_set_spte. */
	ev = find_event(f, from, MMU_EV_SPTE_REQUESTED);
	assert_non_null(ev);
	EXPECT_HEX(KVM_PFN_NOSLOT, ev->u.requested.pfn);
	assert_null(find_event(f, from, MMU_EV_SET_SPTE));
	ev = find_event(f, from, MMU_EV_MARK_MMIO_SPTE);
	assert_non_null(ev);
	EXPECT_HEX(f->out.sptep, ev->u.mmio.sptep);
	EXPECT_HEX(MMIO_GPA >> PAGE_SHIFT, ev->u.mmio.gfn);
	EXPECT_HEX(7, ev->u.mmio.access); /* spte & ACC_ALL: W|U and the MMIO value's P */
	EXPECT_HEX(2, ev->u.mmio.gen);
	EXPECT_HEX(0, audit(f));
	fx_destroy(f);
}

static void test_rsvd_exit_on_a_current_mmio_spte_is_emulated(void **state)
{
	struct fx *f = fx_create(true, HOST_BITS);
	const struct mmu_event *ev;
	unsigned from;

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA, 0));
	from = f->nev;
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA + 8, PFERR_P | PFERR_RSVD));
	assert_true(f->out.mmio);
	/* Never reaches kvm_mmu_do_page_fault(). */
	EXPECT_HEX(1, f->v.pf_taken);
	EXPECT_HEX(1, f->v.pf_emulate);
	EXPECT_HEX(1, f->v.pf_mmio_spte_created);
	ev = find_event(f, from, MMU_EV_CHECK_MMIO_SPTE);
	assert_non_null(ev);
	EXPECT_HEX(2, ev->u.check_mmio.kvm_gen);
	EXPECT_HEX(2, ev->u.check_mmio.spte_gen);
	ev = find_event(f, from, MMU_EV_HANDLE_MMIO_PF);
	assert_non_null(ev);
	EXPECT_HEX(0, ev->u.mmio_pf.addr); /* a direct MMU traces addr 0 */
	EXPECT_HEX(MMIO_GPA >> PAGE_SHIFT, ev->u.mmio_pf.gfn);
	EXPECT_HEX(ACC_WRITE | ACC_USER, ev->u.mmio_pf.access);
	/* Nothing MMIO at a mapped gpa: the SPTE was zapped meanwhile -> retry. */
	EXPECT_HEX(RET_PF_FIXED, fault(f, 0x3000, 0));
	EXPECT_HEX(RET_PF_RETRY, fault(f, 0x3000, PFERR_P | PFERR_RSVD));
	fx_destroy(f);
}

static void test_stale_generation_reinstalls_the_mapping(void **state)
{
	struct fx *f = fx_create(true, HOST_BITS);
	const struct mmu_event *ev;
	unsigned from;
	u64 sptep, spte;

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA, 0));
	sptep = f->out.sptep;

	/* An unrelated memslot: the gfn is still MMIO, re-marked with the new gen. */
	add_slot(f, 1, 2 * GUEST_RAM, PAGE_SIZE);
	EXPECT_HEX(4, gmem_generation(f->gmem, 0));
	EXPECT_HEX(0, audit(f)); /* a stale MMIO SPTE is fine */
	from = f->nev;
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA, PFERR_P | PFERR_RSVD));
	ev = find_event(f, from, MMU_EV_CHECK_MMIO_SPTE);
	assert_non_null(ev);
	EXPECT_HEX(4, ev->u.check_mmio.kvm_gen);
	EXPECT_HEX(2, ev->u.check_mmio.spte_gen);
	assert_null(find_event(f, from, MMU_EV_HANDLE_MMIO_PF));
	EXPECT_HEX(2, f->v.pf_taken); /* RET_PF_INVALID: the normal fault path ran */
	EXPECT_HEX(2, f->v.pf_mmio_spte_created);
	EXPECT_HEX(sptep, f->out.sptep);
	EXPECT_HEX(4, get_mmio_spte_generation(spte_at(f, sptep)));

	/* A memslot over the gfn: the next RSVD exit maps RAM. */
	add_slot(f, 2, MMIO_GPA & ~(MiB - 1), MiB);
	EXPECT_HEX(0, audit(f));
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, MMIO_GPA, PFERR_P | PFERR_RSVD));
	assert_false(f->out.mmio);
	EXPECT_HEX(3, f->v.pf_taken);
	EXPECT_HEX(1, f->v.pf_fixed);
	assert_non_null(find_event(f, from, MMU_EV_SET_SPTE));
	spte = spte_at(f, sptep);
	assert_true(is_shadow_present_pte(spte));
	EXPECT_HEX(PFN_BASE + (MMIO_GPA >> PAGE_SHIFT), spte_to_pfn(spte));
	EXPECT_HEX(0, audit(f));
	fx_destroy(f);
}

static void test_mmio_caching_off_emulates_without_an_spte(void **state)
{
	struct fx *f = fx_create(true, 52);

	(void)state;
	fx_load(f);
	EXPECT_HEX(RET_PF_EMULATE, fault(f, MMIO_GPA, PFERR_W));
	assert_true(f->out.mmio);
	EXPECT_HEX(0, f->out.sptep);
	EXPECT_HEX(0, f->v.pf_mmio_spte_created);
	EXPECT_HEX(1, f->v.pf_emulate);
	fx_destroy(f);
}

static void test_gfn_above_the_host_max_gfn_is_emulated(void **state)
{
	struct fx *f = fx_create(true, HOST_BITS);

	(void)state;
	fx_load(f);
	/* TDP: kvm_mmu_max_gfn() is the host's, 2^(51-12) - 1. */
	EXPECT_HEX(RET_PF_EMULATE, fault(f, 1ULL << HOST_BITS, 0));
	EXPECT_HEX(0, f->v.pf_mmio_spte_created);
	fx_destroy(f);
}

/* ---- shadow paging: the hardware walk faults with RSVD ---- */

static void *hmem_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	struct fx *f = ctx;

	(void)len;
	*writable = false;
	return hmem_ptr(f->hmem, pa);
}

static void test_shadow_mmio_spte_makes_the_hardware_fault_with_rsvd(void **state)
{
	struct fx *f = fx_create(false, HOST_BITS);
	struct walk_cfg cfg = {.vendor = CPU_VENDOR_INTEL,
			       .maxphyaddr = HOST_BITS,
			       .wp = true,
			       .nxe = true,
			       .fmt = WALK_FMT_4LVL,
			       .levels = 4};
	struct walk_ctx ctx = {.g = &cfg, .mem = {.map = hmem_map, .ctx = f}};
	struct walk_req req = {.addr = VA, .acc = WALK_ACC_READ, .flags = WALK_F_PROBE};
	struct walk_result res;
	const struct mmu_event *ev;
	unsigned from;
	u64 spte;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, MMIO_GPA, PAGE_SIZE, PT_P | PT_U | PT_A));
	fx_load(f);
	EXPECT_HEX(RET_PF_EMULATE, fault(f, VA, PFERR_U));
	EXPECT_HEX(1, f->v.pf_mmio_spte_created);
	spte = spte_at(f, f->out.sptep);
	assert_true(is_mmio_spte(&f->masks, spte));
	/* The gpte's rights (U, no W) masked by W|U. */
	EXPECT_HEX(ACC_USER, get_mmio_spte_access(&f->masks, spte));

	cfg.root = f->v.mmu->root.hpa;
	assert_false(walk_translate(&ctx, &req, &res));
	EXPECT_HEX(WALK_FAULT_PF, res.fault.kind);
	assert_true(res.fault.error_code & PFERR_RSVD);
	assert_true(res.fault.error_code & PFERR_P);

	from = f->nev;
	EXPECT_HEX(RET_PF_EMULATE, fault(f, VA + 4, res.fault.error_code | PFERR_U));
	ev = find_event(f, from, MMU_EV_HANDLE_MMIO_PF);
	assert_non_null(ev);
	EXPECT_HEX(VA + 4, ev->u.mmio_pf.addr); /* shadow paging: CR2 */
	EXPECT_HEX(MMIO_GPA >> PAGE_SHIFT, ev->u.mmio_pf.gfn);
	EXPECT_HEX(ACC_USER, ev->u.mmio_pf.access);
	EXPECT_HEX(0, audit(f));
	fx_destroy(f);
}

static void test_cr0_wp0_emulation_is_not_applied_to_mmio(void **state)
{
	struct fx *f = fx_create(false, HOST_BITS);

	(void)state;
	f->r.cr0 &= ~X86_CR0_WP;
	EXPECT_OK(pt_map(&f->b, VA, MMIO_GPA, PAGE_SIZE, PT_P | PT_U | PT_A | PT_D));
	fx_load(f);
	EXPECT_HEX(RET_PF_EMULATE, fault(f, VA, PFERR_W));
	/* FNAME(page_fault): "Do not change pte_access if the pfn is a mmio page". */
	EXPECT_HEX(ACC_USER, get_mmio_spte_access(&f->masks, spte_at(f, f->out.sptep)));
	fx_destroy(f);
}

/* ---- generation wrap ---- */

static void test_mmio_generation_wrap_zaps_all_fast(void **state)
{
	struct fx *f = fx_create(true, HOST_BITS);
	unsigned from;

	(void)state;
	fx_load(f);
	from = f->nev;
	assert_false(mmu_invalidate_mmio_sptes(&f->vm, 4));
	assert_false(mmu_invalidate_mmio_sptes(&f->vm, 0x7ffff));
	assert_null(find_event(f, from, MMU_EV_ZAP_ALL_FAST));
	/* Low 19 bits 0 (AS 0) or 1 (AS 1, the modifier stripped): wrapped. */
	assert_true(mmu_invalidate_mmio_sptes(&f->vm, 0x80000));
	assert_true(mmu_invalidate_mmio_sptes(&f->vm, 0x100001));
	assert_non_null(find_event(f, from, MMU_EV_ZAP_ALL_FAST));
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmio_spte_round_trips_gen_gfn_and_access),
		cmocka_unit_test(test_noslot_fault_installs_an_mmio_spte),
		cmocka_unit_test(test_rsvd_exit_on_a_current_mmio_spte_is_emulated),
		cmocka_unit_test(test_stale_generation_reinstalls_the_mapping),
		cmocka_unit_test(test_mmio_caching_off_emulates_without_an_spte),
		cmocka_unit_test(test_gfn_above_the_host_max_gfn_is_emulated),
		cmocka_unit_test(test_shadow_mmio_spte_makes_the_hardware_fault_with_rsvd),
		cmocka_unit_test(test_cr0_wp0_emulation_is_not_applied_to_mmio),
		cmocka_unit_test(test_mmio_generation_wrap_zaps_all_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
