/* SPDX-License-Identifier: MIT */
/*
 * The page-fault path (mmu/fault.h): real guest tables built with ptbuild, a
 * shadow fault creating SPs and a leaf that cpu/'s walker then follows through
 * KVM's own tables, guest faults injected, spurious faults, write-tracked gfns,
 * the CR0.WP=0 trick, guest huge pages, a 32-bit guest's quadrants and the
 * legacy TDP direct fault, with the pf_* stats and the MMU events.
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
#include "mmu/track.h"
#include "mmu_fixture.h"

/* A VM with guest tables of @fmt (tables from 1 MiB up) and registers for that mode. */
static struct fx *fx_create(bool tdp, enum walk_fmt fmt, u64 cr0, u64 cr4, u64 efer)
{
	return fx_create_host(tdp, fmt, cr0, cr4, efer, 46);
}

static u64 guest_entry(struct fx *f, u64 va, unsigned level)
{
	u64 val = 0;

	EXPECT_OK(pt_get_entry(&f->b, va, level, &val));
	return val;
}

/* The SP found at (gfn, role) among the created GET_PAGE events since @from: 1 if so. */
static unsigned created_sp(const struct fx *f, unsigned from, gfn_t gfn, u32 role)
{
	unsigned i, n = 0;

	for (i = from; i < f->nev && i < MAX_EVENTS; i++)
		n += f->ev[i].kind == MMU_EV_GET_PAGE && f->ev[i].u.page.created &&
		     f->ev[i].u.page.sp.gfn == gfn && f->ev[i].u.page.sp.role == role;
	return n;
}

static u64 leaf_spte(struct fx *f)
{
	u64 *p = mmu_sptep_ptr(&f->vm, f->out.sptep);

	assert_non_null(p);
	return *p;
}

/* cpu/'s walker over KVM's tables: table pages live in hmem. */
static void *hmem_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	struct fx *f = ctx;

	(void)len;
	*writable = false;
	return hmem_ptr(f->hmem, pa);
}

/* Walk the SHADOW tables for @va (probe: translation and rights only). */
static void shadow_walk(struct fx *f, u64 va, struct walk_result *res)
{
	struct walk_cfg cfg = {
		.vendor = CPU_VENDOR_INTEL, .maxphyaddr = 46, .wp = true, .nxe = true};
	struct walk_ctx ctx = {.g = &cfg, .mem = {.map = hmem_map, .ctx = f}};
	struct walk_req req = {.addr = va, .acc = WALK_ACC_READ, .flags = WALK_F_PROBE};
	const struct kvm_mmu *mmu = f->v.mmu;

	if (mmu->root_role.level == PT32E_ROOT_LEVEL) {
		const u64 *pae = hmem_ptr(f->hmem, mmu->pae_root);

		assert_non_null(pae);
		cfg.fmt = WALK_FMT_PAE;
		cfg.levels = 3;
		memcpy(cfg.pdpte, pae, sizeof(cfg.pdpte));
	} else {
		cfg.fmt = WALK_FMT_4LVL;
		cfg.levels = 4;
		cfg.root = mmu->root.hpa;
	}
	assert_true(walk_translate(&ctx, &req, res));
}

#define ROLE_64(level, access) (ROLE_EFER_NX | ROLE_CR0_WP | ((access) << 8) | (level))

/* ---- 4-level shadow paging ---- */

#define VA 0x12345678000ULL
#define PA 0x300000ULL

static void test_4level_read_fault_builds_sps_and_a_leaf_the_cpu_can_walk(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	struct walk_result res;
	gfn_t gfn = PA >> PAGE_SHIFT;
	unsigned from;
	u64 spte;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	from = f->nev;

	EXPECT_HEX(RET_PF_FIXED, fault(f, VA + 0x123, PFERR_U));
	assert_false(f->out.inject);
	assert_true(f->out.walked);
	EXPECT_HEX(gfn, f->out.gfn);
	EXPECT_HEX(PFN_BASE + gfn, f->out.pfn);
	/* The rights of a clean leaf read: no W until the guest's D is set. */
	EXPECT_HEX(ACC_USER | ACC_EXEC, f->out.pte_access);

	/* One indirect SP per guest level below the root, each shadowing that table. */
	EXPECT_HEX(3, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, VA, 3), ROLE_64(3, 7)));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, VA, 2), ROLE_64(2, 7)));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, VA, 1), ROLE_64(1, 7)));
	EXPECT_HEX(0x3703, ROLE_64(3, 7));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SPTE_REQUESTED));
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SET_SPTE));
	for (unsigned i = from; i < f->nev; i++) {
		if (f->ev[i].kind == MMU_EV_SPTE_REQUESTED) {
			EXPECT_HEX(gfn, f->ev[i].u.requested.gfn);
			EXPECT_HEX(PFN_BASE + gfn, f->ev[i].u.requested.pfn);
			EXPECT_HEX(1, f->ev[i].u.requested.level);
		} else if (f->ev[i].kind == MMU_EV_SET_SPTE) {
			EXPECT_HEX(gfn, f->ev[i].u.set_spte.gfn);
			EXPECT_HEX(f->out.sptep, f->ev[i].u.set_spte.sptep);
			assert_false(f->ev[i].u.set_spte.w);
			assert_true(f->ev[i].u.set_spte.u);
			assert_true(f->ev[i].u.set_spte.x);
		}
	}

	/* The guest walk was real: A set in every guest entry, D not (a read). */
	assert_true(guest_entry(f, VA, 4) & PT_A);
	assert_true(guest_entry(f, VA, 1) & PT_A);
	assert_false(guest_entry(f, VA, 1) & PT_D);

	/* The simulated CPU walks KVM's tables to the host frame with the guest's rights. */
	shadow_walk(f, VA + 0x123, &res);
	EXPECT_HEX(((PFN_BASE + gfn) << PAGE_SHIFT) + 0x123, res.gpa);
	EXPECT_HEX(ACC_USER | ACC_EXEC, res.acc);
	spte = leaf_spte(f);
	EXPECT_HEX(PFN_BASE + gfn, spte_to_pfn(spte));

	EXPECT_HEX(1, f->v.pf_taken);
	EXPECT_HEX(1, f->v.pf_fixed);
	EXPECT_HEX(0, f->v.pf_spurious + f->v.pf_emulate + f->v.pf_guest);

	/* The same fault again: the SPTE is already right (mmu_set_spte: spurious). */
	from = f->nev;
	EXPECT_HEX(RET_PF_SPURIOUS, fault(f, VA, PFERR_U));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SET_SPTE));
	EXPECT_HEX(spte, leaf_spte(f));
	EXPECT_HEX(1, f->v.pf_spurious);

	/* A user write: the guest's D gets set and the SPTE becomes writable. */
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_P | PFERR_W | PFERR_U));
	assert_true(guest_entry(f, VA, 1) & PT_D);
	assert_true(leaf_spte(f) & PT_W);
	shadow_walk(f, VA, &res);
	EXPECT_HEX(ACC_ALL, res.acc);
	EXPECT_HEX(3, f->v.pf_taken);
	EXPECT_HEX(2, f->v.pf_fixed);
	fx_destroy(f);
}

static void test_guest_not_present_fault_is_injected_without_an_spte(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	from = f->nev;
	/* The next page is not mapped by the guest. */
	EXPECT_HEX(RET_PF_RETRY, fault(f, VA + PAGE_SIZE + 8, PFERR_W | PFERR_U));
	assert_true(f->out.inject);
	EXPECT_HEX(PFERR_W | PFERR_U, f->out.inject_error_code);
	EXPECT_HEX(VA + PAGE_SIZE + 8, f->out.inject_cr2);
	EXPECT_HEX(0, f->out.sptep);
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SET_SPTE));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(1, f->v.pf_taken);
	EXPECT_HEX(1, f->v.pf_guest);
	EXPECT_HEX(0, f->v.pf_fixed + f->v.pf_spurious + f->v.pf_emulate);

	/* A user write to a supervisor page: a protection fault (P set). */
	EXPECT_OK(pt_map(&f->b, VA + PAGE_SIZE, PA + PAGE_SIZE, PAGE_SIZE, PT_P | PT_W));
	EXPECT_HEX(RET_PF_RETRY, fault(f, VA + PAGE_SIZE, PFERR_W | PFERR_U));
	assert_true(f->out.inject);
	EXPECT_HEX(PFERR_P | PFERR_W | PFERR_U, f->out.inject_error_code);
	EXPECT_HEX(2, f->v.pf_guest);
	fx_destroy(f);
}

static void test_write_to_a_shadowed_guest_page_table_is_emulated(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const u64 va2 = VA + 16 * PAGE_SIZE;
	gfn_t pd_gfn;
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_U));
	/* The guest maps its own page directory (shadowed by a level-2 SP) at va2. */
	pd_gfn = table_gfn(f, VA, 2);
	assert_true(mmu_gfn_is_write_tracked(&f->vm, 0, pd_gfn));
	EXPECT_OK(pt_map(&f->b, va2, pd_gfn << PAGE_SHIFT, PAGE_SIZE, PT_P | PT_W | PT_U));

	/* Not present in KVM's tables: mmu_set_spte() maps it read-only and asks to emulate. */
	from = f->nev;
	EXPECT_HEX(RET_PF_EMULATE, fault(f, va2, PFERR_W | PFERR_U));
	assert_false(f->out.write_tracked);
	assert_false(f->out.mmio);
	EXPECT_HEX(1, count_events(f, from, MMU_EV_SET_SPTE));
	assert_false(leaf_spte(f) & PT_W);
	EXPECT_HEX(pd_gfn, f->out.gfn);

	/* Present but read-only: page_fault_handle_page_track() sends it to emulation. */
	from = f->nev;
	EXPECT_HEX(RET_PF_EMULATE, fault(f, va2, PFERR_P | PFERR_W | PFERR_U));
	assert_true(f->out.write_tracked);
	EXPECT_HEX(0, f->out.sptep);
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SET_SPTE));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_SPTE_REQUESTED));
	EXPECT_HEX(3, f->v.pf_taken);
	EXPECT_HEX(2, f->v.pf_emulate);
	EXPECT_HEX(1, f->v.pf_fixed);

	/* A read of it is fine (read-only SPTE, spurious now). */
	EXPECT_HEX(RET_PF_SPURIOUS, fault(f, va2, PFERR_U));
	fx_destroy(f);
}

static void test_cr0_wp0_supervisor_write_to_readonly_user_page(void **state)
{
	static const u64 cr4s[2] = {X86_CR4_PAE, X86_CR4_PAE | X86_CR4_SMEP};

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP & ~X86_CR0_WP, cr4s[i],
					 EFER_LONG);
		u64 spte;

		EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_U));
		fx_load(f);
		assert_false(f->v.mmu->root_role.cr0_wp);
		EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_W));
		spte = leaf_spte(f);
		assert_true(spte & PT_W);
		assert_false(spte & PT_U);
		if (i == 0)
			assert_false(spte & PT_NX);
		else
			assert_true(spte & PT_NX);
		EXPECT_HEX(ACC_WRITE | (i == 0 ? ACC_EXEC : 0), f->out.pte_access);
		/* The guest's gpte is untouched except A/D. */
		assert_false(guest_entry(f, VA, 1) & PT_W);
		assert_true(guest_entry(f, VA, 1) & PT_D);
		fx_destroy(f);
	}
}

static void test_guest_2m_page_is_shadowed_by_direct_sps(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const u64 va = 0x40000000ULL, pa = 0x800000ULL;
	gfn_t gfn = (pa >> PAGE_SHIFT) + 5;
	struct walk_result res;
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, va, pa, 2 * MiB, PT_P | PT_W | PT_U));
	fx_load(f);
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 5 * PAGE_SIZE + 0x10, PFERR_U));
	EXPECT_HEX(gfn, f->out.gfn);
	EXPECT_HEX(3, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, va, 3), ROLE_64(3, 7)));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, va, 2), ROLE_64(2, 7)));
	/* Below the guest's 2M PDE: a direct SP at the 2M-aligned gfn with the leaf's rights. */
	EXPECT_HEX(1, created_sp(f, from, pa >> PAGE_SHIFT,
				 ROLE_64(1, ACC_USER | ACC_EXEC) | ROLE_DIRECT));
	/* No host huge pages: a 4K SPTE. */
	assert_false(leaf_spte(f) & PT_PS);
	shadow_walk(f, va + 5 * PAGE_SIZE + 0x10, &res);
	EXPECT_HEX(((PFN_BASE + gfn) << PAGE_SHIFT) + 0x10, res.gpa);
	EXPECT_HEX(1, res.level);

	/* The next 4K of the same guest page reuses the direct SP. */
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 6 * PAGE_SIZE, PFERR_U));
	EXPECT_HEX(0, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(2, f->v.pf_fixed);
	fx_destroy(f);
}

/* ---- 32-bit guest: PAE roots and quadrants ---- */

static void test_32bit_guest_faults_use_pae_root_quadrants(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_32, CR0_PG_WP, 0, 0);
	const u64 va = 0xC0601000ULL, pa = 0x500000ULL;
	const u32 base = ROLE_EFER_NX | ROLE_CR0_WP | ROLE_HAS_4_BYTE_GPTE | (7u << 8);
	struct walk_result res;
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, va, pa, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(PT32E_ROOT_LEVEL, f->v.mmu->root_role.level);
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 4, PFERR_U));
	/* The fault starts at pae_root[3] (address bits 31:30), quadrant 3 of the PD;
	 * the PT's SP takes quadrant = address bit 21 = 1. */
	EXPECT_HEX(1, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, va, 1), base | (1u << 5) | 1));
	shadow_walk(f, va + 4, &res);
	EXPECT_HEX(((PFN_BASE + (pa >> PAGE_SHIFT)) << PAGE_SHIFT) + 4, res.gpa);
	EXPECT_HEX(ACC_USER | ACC_EXEC, res.acc);

	/* A page in the other 2M half of the same guest PT: quadrant 0. */
	EXPECT_OK(pt_map(&f->b, va - 2 * MiB, pa + PAGE_SIZE, PAGE_SIZE, PT_P | PT_U));
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, va - 2 * MiB, PFERR_U));
	EXPECT_HEX(1, created_sp(f, from, table_gfn(f, va, 1), base | 1));
	fx_destroy(f);
}

static void test_32bit_guest_4m_page_gets_direct_sp_with_quadrant(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_32, CR0_PG_WP, X86_CR4_PSE, 0);
	const u64 va = 0x00400000ULL, pa = 0x01000000ULL;
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, va, pa, 4 * MiB, PT_P | PT_W | PT_U | PT_D));
	fx_load(f);
	from = f->nev;
	/* va + 2M + 3 pages: the second 2M half of the guest's 4M page. */
	EXPECT_HEX(RET_PF_FIXED, fault(f, va + 2 * MiB + 3 * PAGE_SIZE, PFERR_U));
	EXPECT_HEX(((pa + 2 * MiB) >> PAGE_SHIFT) + 3, f->out.gfn);
	EXPECT_HEX(1, created_sp(f, from, (pa + 2 * MiB) >> PAGE_SHIFT,
				 ROLE_EFER_NX | ROLE_CR0_WP | ROLE_HAS_4_BYTE_GPTE | (1u << 5) |
					 ROLE_DIRECT | (7u << 8) | 1));
	/* Dirty 4M leaf: the read keeps W. */
	EXPECT_HEX(ACC_ALL, f->out.pte_access);
	fx_destroy(f);
}

/* ---- direct faults ---- */

static void test_legacy_tdp_fault_maps_the_gfn_through_direct_sps(void **state)
{
	struct fx *f = fx_create(true, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	const u64 gpa = 0x345678ULL;
	const u32 direct = ROLE_EFER_NX | ROLE_CR0_WP | ROLE_DIRECT | (7u << 8);
	unsigned from;
	u64 spte;

	(void)state;
	fx_load(f);
	assert_true(f->v.mmu->root_role.direct);
	from = f->nev;
	EXPECT_HEX(RET_PF_FIXED, fault(f, gpa, PFERR_W | PFERR_U));
	assert_false(f->out.walked);
	EXPECT_HEX(gpa >> PAGE_SHIFT, f->out.gfn);
	EXPECT_HEX(ACC_ALL, f->out.pte_access);
	EXPECT_HEX(3, count_events(f, from, MMU_EV_GET_PAGE));
	EXPECT_HEX(1, created_sp(f, from, 0, direct | 3));
	EXPECT_HEX(1, created_sp(f, from, 0, direct | 2));
	EXPECT_HEX(1, created_sp(f, from, 0x200, direct | 1));
	spte = leaf_spte(f);
	EXPECT_HEX(PFN_BASE + (gpa >> PAGE_SHIFT), spte_to_pfn(spte));
	assert_true(spte & PT_W);
	EXPECT_HEX(1, f->v.pf_fixed);
	EXPECT_HEX(RET_PF_SPURIOUS, fault(f, gpa, PFERR_P | PFERR_W | PFERR_U));
	EXPECT_HEX(1, f->v.pf_spurious);

	/* Outside every memslot: MMIO, not modelled -> emulate. */
	EXPECT_HEX(RET_PF_EMULATE, fault(f, GUEST_RAM + 0x1000, PFERR_U));
	assert_true(f->out.mmio);
	EXPECT_HEX(1, f->v.pf_emulate);
	/* An RSVD fault (an MMIO SPTE) never reaches kvm_mmu_do_page_fault(). */
	EXPECT_HEX(RET_PF_EMULATE, fault(f, GUEST_RAM + 0x1000, PFERR_P | PFERR_RSVD));
	assert_true(f->out.mmio);
	EXPECT_HEX(3, f->v.pf_taken);
	fx_destroy(f);
}

static void test_nonpaging_guest_fault_uses_pae_direct_roots(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_32, X86_CR0_PE, 0, 0);
	const u64 gpa = 0x1234000ULL;
	struct walk_result res;

	(void)state;
	fx_load(f);
	assert_true(f->v.mmu->root_role.direct);
	EXPECT_HEX(RET_PF_FIXED, fault(f, gpa + 8, PFERR_U));
	shadow_walk(f, gpa + 8, &res);
	EXPECT_HEX(((PFN_BASE + (gpa >> PAGE_SHIFT)) << PAGE_SHIFT) + 8, res.gpa);
	EXPECT_HEX(ACC_ALL, res.acc);
	fx_destroy(f);
}

static void test_fault_without_a_loaded_root_retries(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);

	(void)state;
	mmu_init_context(&f->v, &f->r);
	EXPECT_HEX(RET_PF_RETRY, fault(f, VA, PFERR_U));
	EXPECT_HEX(0, f->v.pf_taken);
	fx_destroy(f);
}

/* detect_write_misaligned(): one entry, at least 4 bytes, or an andb at its start. */
static void test_misaligned_writes_follow_detect_write_misaligned(void **state)
{
	struct kvm_mmu_page sp8 = {0}, sp4 = {0};
	static const struct {
		bool four;
		unsigned off, bytes;
		bool want;
	} c[] = {
		{false, 0x10, 8, false}, {false, 0x10, 1, false}, {false, 0x11, 1, true},
		{false, 0x10, 2, true},	 {false, 0x14, 4, false}, {false, 0x16, 4, true},
		{false, 0x14, 8, true},	 {true, 0x10, 4, false},  {true, 0x12, 4, true},
		{true, 0x10, 8, true},	 {true, 0x10, 1, false},  {true, 0x10, 2, true},
	};

	(void)state;
	sp4.role.has_4_byte_gpte = 1;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool got = mmu_detect_write_misaligned(c[i].four ? &sp4 : &sp8, 0x5000 + c[i].off,
						       c[i].bytes);

		if (got != c[i].want) {
			print_error(
				"case %zu: offset %#x, %u bytes, %u-byte gptes: want %d got %d\n",
				i, c[i].off, c[i].bytes, c[i].four ? 4 : 8, c[i].want, got);
			fail();
		}
	}
}

/* detect_write_flooding(): never for level 1, else the third write. */
static void test_write_flooding_needs_three_writes_above_level_1(void **state)
{
	struct kvm_mmu_page sp = {0};

	(void)state;
	sp.role.level = 1;
	for (int i = 0; i < 5; i++)
		assert_false(mmu_detect_write_flooding(&sp));
	EXPECT_HEX(0, sp.write_flooding_count);
	sp.role.level = 2;
	assert_false(mmu_detect_write_flooding(&sp));
	assert_false(mmu_detect_write_flooding(&sp));
	assert_true(mmu_detect_write_flooding(&sp));
	EXPECT_HEX(MMU_WRITE_FLOODING_THRESHOLD, sp.write_flooding_count);
}

/* get_written_sptes(): 8-byte gptes 1:1; 4-byte ones by quadrant, a PDE as two SPTEs. */
static void test_written_sptes_of_4_byte_gptes_follow_the_quadrant(void **state)
{
	struct kvm_mmu_page sp = {0};
	unsigned n = 0;

	(void)state;
	sp.spt = 0x7000;
	sp.role.level = 1;
	EXPECT_HEX(0x7018, mmu_get_written_sptes(&sp, 0x3018, &n));
	EXPECT_HEX(1, n);
	/* PTE 513 of a 32-bit page table: quadrant 1, SPTE 1. */
	sp.role.has_4_byte_gpte = 1;
	EXPECT_HEX(0, mmu_get_written_sptes(&sp, 0x3804, &n));
	sp.role.quadrant = 1;
	EXPECT_HEX(0x7008, mmu_get_written_sptes(&sp, 0x3804, &n));
	EXPECT_HEX(1, n);
	/* PDE 514 of a 32-bit page directory: quadrant 2, SPTEs 4 and 5 (2 MiB each). */
	sp.role.level = 2;
	EXPECT_HEX(0, mmu_get_written_sptes(&sp, 0x3808, &n));
	sp.role.quadrant = 2;
	EXPECT_HEX(0x7020, mmu_get_written_sptes(&sp, 0x3808, &n));
	EXPECT_HEX(2, n);
}

/* kvm_mmu_track_write(): zap the written SPTE, count, flood on the third write. */
static void test_track_write_zaps_written_sptes_then_floods(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	gfn_t pd_gfn;
	u64 pde_gpa;
	unsigned from;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_U));
	pd_gfn = table_gfn(f, VA, 2);
	EXPECT_OK(pt_entry_addr(&f->b, VA, 2, &pde_gpa));

	/* Rewrite the PDE in guest memory, then tell KVM: the level-2 SPTE is zapped. */
	{
		u8 buf[8];

		msc_le_put(buf, guest_entry(f, VA, 2), 8);
		EXPECT_OK(gmem_write_host(f->gmem, 0, pde_gpa, buf, 8));
	}
	from = f->nev;
	mmu_track_write(&f->vm, 0, true, pde_gpa, 8);
	EXPECT_HEX(1, f->vm.stats.mmu_pte_write);
	EXPECT_HEX(1, f->vm.stats.mmu_pde_zapped);
	EXPECT_HEX(0, f->vm.stats.mmu_flooded);
	EXPECT_HEX(0, count_events(f, from, MMU_EV_PREPARE_ZAP));
	/* A 4-byte write of a PAE-format guest is widened to the whole gpte. */
	mmu_track_write(&f->vm, 0, true, pde_gpa + 4, 4);
	EXPECT_HEX(0, f->vm.stats.mmu_flooded);
	/* The third write without a fault through the page floods it. */
	mmu_track_write(&f->vm, 0, true, pde_gpa, 8);
	EXPECT_HEX(3, f->vm.stats.mmu_pte_write);
	EXPECT_HEX(1, f->vm.stats.mmu_flooded);
	EXPECT_HEX(1, count_events(f, from, MMU_EV_PREPARE_ZAP));
	assert_false(mmu_gfn_is_write_tracked(&f->vm, 0, pd_gfn));
	/* A write to a gfn no shadow page holds is counted but changes nothing. */
	from = f->nev;
	mmu_track_write(&f->vm, 0, true, PA, 8);
	EXPECT_HEX(4, f->vm.stats.mmu_pte_write);
	EXPECT_HEX(0, count_events(f, from, MMU_EV_PREPARE_ZAP));
	fx_destroy(f);
}

/* A 2-byte write is misaligned: the shadow page goes at once. */
static void test_track_write_of_two_bytes_zaps_the_page(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	u64 pde_gpa;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_U));
	EXPECT_OK(pt_entry_addr(&f->b, VA, 2, &pde_gpa));
	mmu_track_write(&f->vm, 0, true, pde_gpa, 2);
	EXPECT_HEX(1, f->vm.stats.mmu_flooded);
	assert_false(mmu_gfn_is_write_tracked(&f->vm, 0, table_gfn(f, VA, 2)));
	fx_destroy(f);
}

/* kvm_mmu_write_protect_fault() and kvm_mmu_unprotect_gfn_and_retry(). */
static void test_write_protect_fault_retries_once_per_rip_and_address(void **state)
{
	struct fx *f = fx_create(false, WALK_FMT_4LVL, CR0_PG_WP, X86_CR4_PAE, EFER_LONG);
	unsigned et;
	gfn_t pd_gfn;

	(void)state;
	EXPECT_OK(pt_map(&f->b, VA, PA, PAGE_SIZE, PT_P | PT_W | PT_U));
	fx_load(f);
	EXPECT_HEX(RET_PF_FIXED, fault(f, VA, PFERR_U));
	pd_gfn = table_gfn(f, VA, 2);

	/* Not in guest mode: emulation may unprotect and retry. */
	et = EMULTYPE_PF;
	EXPECT_HEX(RET_PF_EMULATE,
		   mmu_write_protect_fault(&f->v, 7, 0x5000, PFERR_P | PFERR_W, false, &et));
	EXPECT_HEX(EMULTYPE_PF | EMULTYPE_ALLOW_RETRY_PF, et);
	/* In guest mode it may not. */
	et = EMULTYPE_PF;
	EXPECT_HEX(RET_PF_EMULATE,
		   mmu_write_protect_fault(&f->v, 7, 0x5000, PFERR_P | PFERR_W, true, &et));
	EXPECT_HEX(EMULTYPE_PF, et);
	/* Unprotecting a gfn without shadow pages fails and remembers nothing. */
	assert_false(mmu_unprotect_gfn_and_retry(&f->v, 7, 0x5000, PA));
	EXPECT_HEX(0, f->v.last_retry_eip);
	/* The page directory's gfn: zapped, RIP and address remembered. */
	assert_true(mmu_unprotect_gfn_and_retry(&f->v, 7, 0x5000, pd_gfn << PAGE_SHIFT));
	assert_false(mmu_gfn_is_write_tracked(&f->vm, 0, pd_gfn));
	EXPECT_HEX(7, f->v.last_retry_eip);
	EXPECT_HEX(0x5000, f->v.last_retry_addr);
	/* The same RIP and address fault again: emulate, no retry allowed. */
	et = EMULTYPE_PF;
	EXPECT_HEX(RET_PF_EMULATE,
		   mmu_write_protect_fault(&f->v, 7, 0x5000, PFERR_P | PFERR_W, false, &et));
	EXPECT_HEX(EMULTYPE_PF, et);
	/* Another address resets the guard. */
	et = EMULTYPE_PF;
	EXPECT_HEX(RET_PF_EMULATE,
		   mmu_write_protect_fault(&f->v, 7, 0x6000, PFERR_P | PFERR_W, false, &et));
	EXPECT_HEX(EMULTYPE_PF | EMULTYPE_ALLOW_RETRY_PF, et);
	EXPECT_HEX(0, f->v.last_retry_eip);
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level_read_fault_builds_sps_and_a_leaf_the_cpu_can_walk),
		cmocka_unit_test(test_guest_not_present_fault_is_injected_without_an_spte),
		cmocka_unit_test(test_write_to_a_shadowed_guest_page_table_is_emulated),
		cmocka_unit_test(test_cr0_wp0_supervisor_write_to_readonly_user_page),
		cmocka_unit_test(test_guest_2m_page_is_shadowed_by_direct_sps),
		cmocka_unit_test(test_32bit_guest_faults_use_pae_root_quadrants),
		cmocka_unit_test(test_32bit_guest_4m_page_gets_direct_sp_with_quadrant),
		cmocka_unit_test(test_legacy_tdp_fault_maps_the_gfn_through_direct_sps),
		cmocka_unit_test(test_nonpaging_guest_fault_uses_pae_direct_roots),
		cmocka_unit_test(test_fault_without_a_loaded_root_retries),
		cmocka_unit_test(test_misaligned_writes_follow_detect_write_misaligned),
		cmocka_unit_test(test_write_flooding_needs_three_writes_above_level_1),
		cmocka_unit_test(test_written_sptes_of_4_byte_gptes_follow_the_quadrant),
		cmocka_unit_test(test_track_write_zaps_written_sptes_then_floods),
		cmocka_unit_test(test_track_write_of_two_bytes_zaps_the_page),
		cmocka_unit_test(test_write_protect_fault_retries_once_per_rip_and_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
