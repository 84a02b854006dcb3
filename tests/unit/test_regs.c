/* SPDX-License-Identifier: MIT */
/*
 * Register writes (cpu/regs.h): each #GP/#UD rule with a refused case and the
 * nearest accepted one, LMA transitions, PAE PDPTE loading from real guest
 * memory, and the TLB flush each write causes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cpu/features.h"
#include "cpu/mem.h"
#include "cpu/regs.h"
#include "cpu/tlb.h"
#include "cpu/walk.h"

/* ---------------------------------------------------------------------------
 * Fixture: an Intel CPU with every feature, 16 MiB of guest memory in address
 * space 0 (plus 64 KiB of SMRAM at 0x30000 in address space 1), and a TLB.
 */

#define MEM_SIZE 0x1000000ULL
#define SMRAM_BASE 0x30000ULL
#define SMRAM_SIZE 0x10000ULL

/* Page-table pages used by the tests. */
#define PDPT_A 0x10000ULL /* valid PDPT */
#define PDPT_B 0x11000ULL /* a second valid PDPT */
#define PDPT_BAD 0x12000ULL /* PDPT whose present entry 2 has reserved bit 5 */
#define PML4 0x20000ULL
#define UNBACKED 0x40000000ULL /* above MEM_SIZE: no memslot */

struct fx {
	struct cpu cpu;
	struct cpu_features feat;
	struct gmem *mem;
	struct tlb *tlb;
};

#define CHECK_EQ(what, want, got)                                                          \
	do {                                                                               \
		unsigned long long want_ = (unsigned long long)(want);                     \
		unsigned long long got_ = (unsigned long long)(got);                       \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

static void put64(struct fx *f, u8 as, u64 gpa, u64 val)
{
	assert_int_equal(gmem_write_host(f->mem, as, gpa, &val, sizeof(val)), 0);
}

static void put_pdpt(struct fx *f, u8 as, u64 pdpt, const u64 e[4])
{
	for (unsigned i = 0; i < 4; i++)
		put64(f, as, pdpt + 8ULL * i, e[i]);
}

static const u64 pdpt_a[4] = {0x100001, 0x101001, 0, 0x103019}; /* P, P, not present, P|PWT|PCD */
static const u64 pdpt_b[4] = {0x200001, 0, 0, 0};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gmem_slot_desc d = {.as = 0, .id = 0, .base = 0, .size = MEM_SIZE};
	struct gmem_slot_desc s = {.as = 1, .id = 0, .base = SMRAM_BASE, .size = SMRAM_SIZE};
	const u64 bad[4] = {0x100001, 0, 0x102021, 0};

	if (!f)
		return -1;
	cpu_features_default(&f->feat, CPU_VENDOR_INTEL);
	if (gmem_create(&f->mem, 0) || gmem_slot_add(f->mem, &d) || gmem_slot_add(f->mem, &s) ||
	    tlb_create(&f->tlb))
		return -1;
	f->cpu.feat = &f->feat;
	f->cpu.mem = f->mem;
	f->cpu.tlb = f->tlb;
	cpu_reset(&f->cpu);
	put_pdpt(f, 0, PDPT_A, pdpt_a);
	put_pdpt(f, 0, PDPT_B, pdpt_b);
	put_pdpt(f, 0, PDPT_BAD, bad);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tlb_destroy(f->tlb);
	gmem_destroy(f->mem);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Helpers
 */

static void check_regs_equal(const struct cpu_regs *want, const struct cpu_regs *got)
{
	CHECK_EQ("cr0", want->cr0, got->cr0);
	CHECK_EQ("cr2", want->cr2, got->cr2);
	CHECK_EQ("cr3", want->cr3, got->cr3);
	CHECK_EQ("cr4", want->cr4, got->cr4);
	CHECK_EQ("efer", want->efer, got->efer);
	CHECK_EQ("rflags", want->rflags, got->rflags);
	CHECK_EQ("pkru", want->pkru, got->pkru);
	CHECK_EQ("cpl", want->cpl, got->cpl);
	CHECK_EQ("cs_l", want->cs_l, got->cs_l);
	CHECK_EQ("smm", want->smm, got->smm);
	CHECK_EQ("guest_mode", want->guest_mode, got->guest_mode);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte[i]", want->pdpte[i], got->pdpte[i]);
}

static void tlb_snapshot_fn(void *ctx, const struct tlb_entry *e)
{
	u64 *h = ctx;

	/* Order-dependent fold of every entry's tag and page (tlb_foreach is sorted). */
	h[0] = h[0] * 1000003ULL ^ ((u64)e->vpid << 48 | (u64)e->pcid << 32 | e->global);
	h[0] = h[0] * 1000003ULL ^ e->va;
	h[1]++;
}

static void tlb_snapshot(const struct tlb *t, u64 out[2])
{
	out[0] = 0;
	out[1] = 0;
	tlb_foreach(t, tlb_snapshot_fn, out);
}

/* Run a write that must be refused with @vec: state and TLB must not change. */
#define EXPECT_REFUSED(f, vec, call)                                                       \
	do {                                                                               \
		struct cpu_regs before_ = (f)->cpu.r;                                      \
		u64 tb_[2], ta_[2];                                                        \
		tlb_snapshot((f)->tlb, tb_);                                               \
		struct cpu_wr w_ = (call);                                                 \
		if (w_.vector != (vec))                                                    \
			print_error("%s: rule %s\n", #call, w_.rule ? w_.rule : "(none)"); \
		CHECK_EQ(#call " vector", (vec), w_.vector);                               \
		assert_non_null(w_.rule);                                                  \
		check_regs_equal(&before_, &(f)->cpu.r);                                   \
		tlb_snapshot((f)->tlb, ta_);                                               \
		CHECK_EQ(#call " tlb entries", tb_[1], ta_[1]);                            \
		CHECK_EQ(#call " tlb contents", tb_[0], ta_[0]);                           \
	} while (0)

#define EXPECT_OK(call)                                                                          \
	do {                                                                                     \
		struct cpu_wr w_ = (call);                                                       \
		if (w_.vector != 0)                                                              \
			print_error("%s refused: %s\n", #call, w_.rule ? w_.rule : "(no rule)"); \
		CHECK_EQ(#call " vector", 0, w_.vector);                                         \
		assert_null(w_.rule);                                                            \
	} while (0)

#define CR0_PM (X86_CR0_PE | X86_CR0_ET)
#define CR0_PAGING (X86_CR0_PE | X86_CR0_ET | X86_CR0_PG)

/* Protected mode, caches on, no paging. */
static void to_protected(struct fx *f)
{
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
}

/* PAE paging with CR3 = PDPT_A. */
static void to_pae(struct fx *f)
{
	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_A));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_PAE);
}

/* 4-level paging (compatibility mode: CS.L=0) with CR3 = PML4. */
static void to_long(struct fx *f)
{
	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_4LVL);
}

/* 64-bit mode with PCIDE=1 and CR3 = PML4 | @pcid. */
static void to_long_pcid(struct fx *f, u16 pcid)
{
	to_long(f);
	f->cpu.r.cs_l = true;
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4 | pcid));
	assert_int_equal(cpu_pcid(&f->cpu.r), pcid);
}

/* Cache a 4 KiB translation of @va in the TLB. */
static void tlb_put(struct fx *f, u16 vpid, u16 pcid, u64 va, bool global)
{
	static struct walk_result r;

	memset(&r, 0, sizeof(r));
	r.ok = true;
	r.gpa = va;
	r.gpa1 = va;
	r.level = 1;
	r.page_size = 4096;
	r.acc = ACC_ALL;
	r.global = global;
	r.dirty = true;
	tlb_insert(f->tlb, vpid, pcid, va, &r);
}

/* Is there an entry for @va seen from (vpid, pcid)? */
static bool tlb_has(const struct fx *f, u16 vpid, u16 pcid, u64 va)
{
	return tlb_lookup(f->tlb, vpid, pcid, va, NULL, 0) > 0;
}

/*
 * The standard TLB population: in VPID 0, a non-global and a global entry of
 * PCID 0, 1 and 2 (va = 0x1000 * (1 + 2 * pcid) non-global, +0x1000 global),
 * and one non-global and one global entry of VPID 1 PCID 0.
 */
#define VA_NG(pcid) (0x1000ULL * (1 + 2 * (pcid)))
#define VA_G(pcid) (VA_NG(pcid) + 0x1000ULL)
#define VA_OTHER_VPID_NG 0x100000ULL
#define VA_OTHER_VPID_G 0x101000ULL

static void tlb_populate(struct fx *f)
{
	for (u16 pcid = 0; pcid < 3; pcid++) {
		tlb_put(f, 0, pcid, VA_NG(pcid), false);
		tlb_put(f, 0, pcid, VA_G(pcid), true);
	}
	tlb_put(f, 1, 0, VA_OTHER_VPID_NG, false);
	tlb_put(f, 1, 0, VA_OTHER_VPID_G, true);
	CHECK_EQ("populated entries", 8, tlb_count(f->tlb));
}

static void check_other_vpid_kept(const struct fx *f)
{
	assert_true(tlb_has(f, 1, 0, VA_OTHER_VPID_NG));
	assert_true(tlb_has(f, 1, 0, VA_OTHER_VPID_G));
}

/* ---------------------------------------------------------------------------
 * Reset and derived state
 */

static void test_reset_gives_power_on_state(void **state)
{
	struct fx *f = *state;
	struct cpu_regs *r = &f->cpu.r;

	r->cr0 = ~0ULL;
	r->cr2 = r->cr3 = r->cr4 = r->efer = r->rflags = ~0ULL;
	r->pkru = ~0u;
	r->cpl = 3;
	r->cs_l = r->smm = r->guest_mode = true;
	for (unsigned i = 0; i < 4; i++)
		r->pdpte[i] = ~0ULL;
	cpu_reset(&f->cpu);
	CHECK_EQ("cr0", 0x60000010, r->cr0);
	CHECK_EQ("cr2", 0, r->cr2);
	CHECK_EQ("cr3", 0, r->cr3);
	CHECK_EQ("cr4", 0, r->cr4);
	CHECK_EQ("efer", 0, r->efer);
	CHECK_EQ("rflags", 0x2, r->rflags);
	CHECK_EQ("pkru", 0, r->pkru);
	CHECK_EQ("cpl", 0, r->cpl);
	assert_false(r->cs_l);
	assert_false(r->smm);
	assert_false(r->guest_mode);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", 0, r->pdpte[i]);
	/* The machine pieces are not part of the reset. */
	assert_ptr_equal(f->cpu.feat, &f->feat);
	assert_ptr_equal(f->cpu.mem, f->mem);
	assert_ptr_equal(f->cpu.tlb, f->tlb);
}

static void test_paging_mode_follows_pg_pae_lma_la57(void **state)
{
	struct cpu_regs r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.cr4 = X86_CR4_PAE | X86_CR4_LA57;
	r.efer = X86_EFER_LMA;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_NONE);
	r.cr0 = X86_CR0_PG | X86_CR0_PE;
	r.cr4 = 0;
	r.efer = 0;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_32);
	r.cr4 = X86_CR4_PAE;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_PAE);
	r.cr4 = X86_CR4_PAE | X86_CR4_LA57;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_PAE);
	r.efer = X86_EFER_LMA | X86_EFER_LME;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_5LVL);
	r.cr4 = X86_CR4_PAE;
	assert_int_equal(cpu_paging_mode(&r), CPU_PAGING_4LVL);
}

static void test_pcid_is_cr3_low_bits_only_with_pcide(void **state)
{
	struct cpu_regs r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.cr3 = 0x12345abcULL;
	CHECK_EQ("pcid, PCIDE=0", 0, cpu_pcid(&r));
	r.cr4 = X86_CR4_PCIDE;
	CHECK_EQ("pcid, PCIDE=1", 0xabc, cpu_pcid(&r));
}

/* ---------------------------------------------------------------------------
 * CR0
 */

static void test_cr0_bits_63_32_are_gp(void **state)
{
	struct fx *f = *state;

	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, BIT_ULL(32) | CR0_PM));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, BIT_ULL(63) | CR0_PM));
	/* Nearest accepted: every defined bit of 31:0 at once. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, 0xe005003fULL));
	CHECK_EQ("cr0", 0xe005003fULL, f->cpu.r.cr0);
}

static void test_cr0_reserved_low_bits_are_dropped(void **state)
{
	struct fx *f = *state;

	/* Bits 6..15, 17, 19..28 are reserved: KVM drops them without a fault. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, X86_CR0_PE | BIT_ULL(6) | BIT_ULL(17) | BIT_ULL(28)));
	CHECK_EQ("cr0", X86_CR0_PE | X86_CR0_ET, f->cpu.r.cr0);
}

static void test_cr0_et_is_forced_to_one(void **state)
{
	struct fx *f = *state;

	EXPECT_OK(cpu_write_cr0(&f->cpu, X86_CR0_PE));
	CHECK_EQ("cr0", X86_CR0_PE | X86_CR0_ET, f->cpu.r.cr0);
	EXPECT_OK(cpu_write_cr0(&f->cpu, 0));
	CHECK_EQ("cr0", X86_CR0_ET, f->cpu.r.cr0);
}

static void test_cr0_pg_without_pe_is_gp(void **state)
{
	struct fx *f = *state;

	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, X86_CR0_PG | X86_CR0_ET));
	EXPECT_OK(cpu_write_cr0(&f->cpu, X86_CR0_PG | X86_CR0_PE));
	CHECK_EQ("cr0", CR0_PAGING, f->cpu.r.cr0);
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_32);
}

static void test_cr0_nw_without_cd_is_gp(void **state)
{
	struct fx *f = *state;

	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, X86_CR0_NW | CR0_PM));
	EXPECT_OK(cpu_write_cr0(&f->cpu, X86_CR0_NW | X86_CR0_CD | CR0_PM));
	CHECK_EQ("cr0", X86_CR0_NW | X86_CR0_CD | CR0_PM, f->cpu.r.cr0);
	EXPECT_OK(cpu_write_cr0(&f->cpu, X86_CR0_CD | CR0_PM));
	CHECK_EQ("cr0", X86_CR0_CD | CR0_PM, f->cpu.r.cr0);
}

static void test_cr0_pg_with_lme_and_no_pae_is_gp(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
	CHECK_EQ("efer", X86_EFER_LME, f->cpu.r.efer);
}

static void test_cr0_pg_with_lme_and_pae_sets_lma(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	CHECK_EQ("efer", X86_EFER_LME | X86_EFER_LMA, f->cpu.r.efer);
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_4LVL);
}

static void test_cr0_pg_with_lme_sets_lma_in_5level_too(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_LA57));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	CHECK_EQ("efer", X86_EFER_LME | X86_EFER_LMA, f->cpu.r.efer);
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_5LVL);
}

static void test_cr0_pg_with_lme_while_cs_l_is_gp(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	f->cpu.r.cs_l = true;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
	f->cpu.r.cs_l = false;
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
}

static void test_cr0_pg_without_lme_leaves_lma_clear(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	CHECK_EQ("efer", 0, f->cpu.r.efer);
}

static void test_cr0_pg_clear_in_64bit_mode_is_gp(void **state)
{
	struct fx *f = *state;

	to_long(f);
	f->cpu.r.cs_l = true;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PM));
	CHECK_EQ("efer", X86_EFER_LME | X86_EFER_LMA, f->cpu.r.efer);
}

static void test_cr0_pg_clear_in_compat_mode_clears_lma(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	CHECK_EQ("efer", X86_EFER_LME, f->cpu.r.efer);
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_NONE);
	/* And back: PG 0->1 with LME=1 sets LMA again. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	CHECK_EQ("efer", X86_EFER_LME | X86_EFER_LMA, f->cpu.r.efer);
}

static void test_cr0_pg_clear_with_pcide_is_gp(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 0);
	f->cpu.r.cs_l = false; /* compatibility mode: only PCIDE forbids it */
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PM));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	CHECK_EQ("efer", X86_EFER_LME, f->cpu.r.efer);
}

static void test_cr0_pg_enable_in_pae_loads_pdptes(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	/* CR3 bits 4:0 (PWT, PCD, ignored) do not move the PDPT. */
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_A | X86_CR3_PWT | X86_CR3_PCD));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte before PG", 0, f->cpu.r.pdpte[i]);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", pdpt_a[i], f->cpu.r.pdpte[i]);
}

static void test_cr0_pg_enable_in_pae_with_rsvd_pdpte_is_gp(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_BAD));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
	/* Nearest accepted: the same reserved bit in a non-present PDPTE. */
	put64(f, 0, PDPT_BAD + 16, 0x102020);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	CHECK_EQ("pdpte[2]", 0x102020, f->cpu.r.pdpte[2]);
}

static void test_cr0_pg_enable_in_pae_with_pdpt_not_in_memory_is_gp(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	f->cpu.r.cr3 = UNBACKED; /* CR3 writes outside paging do not look at memory */
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
	f->cpu.r.cr3 = PDPT_A;
	f->cpu.mem = NULL;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
	f->cpu.mem = f->mem;
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
}

static void test_cr0_cd_change_in_pae_reloads_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	put64(f, 0, PDPT_A, 0x300001);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING | X86_CR0_CD));
	CHECK_EQ("pdpte[0] after CD change", 0x300001, f->cpu.r.pdpte[0]);
	put64(f, 0, PDPT_A, 0x400001);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING | X86_CR0_CD | X86_CR0_NW));
	CHECK_EQ("pdpte[0] after NW change", 0x400001, f->cpu.r.pdpte[0]);
	/* A reserved bit now refuses the CD/NW change. */
	put64(f, 0, PDPT_A, 0x400001 | BIT_ULL(63));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr0(&f->cpu, CR0_PAGING));
}

static void test_cr0_wp_change_in_pae_does_not_reload_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	/* A reserved bit in memory is not seen: WP is not a PDPTE-load bit. */
	put64(f, 0, PDPT_A, 0x300001 | BIT_ULL(1));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING | X86_CR0_WP));
	CHECK_EQ("pdpte[0]", pdpt_a[0], f->cpu.r.pdpte[0]);
}

static void test_cr0_pg_enable_in_long_mode_does_not_load_pdptes(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_BAD));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", 0, f->cpu.r.pdpte[i]);
}

static void test_cr0_pg_clear_flushes_vpid_including_globals(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	CHECK_EQ("entries left", 2, tlb_count(f->tlb));
	check_other_vpid_kept(f);
}

static void test_cr0_pg_clear_flushes_the_current_vpid(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	tlb_populate(f);
	f->cpu.vpid = 1;
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	CHECK_EQ("entries left", 6, tlb_count(f->tlb));
	assert_false(tlb_has(f, 1, 0, VA_OTHER_VPID_G));
	assert_true(tlb_has(f, 0, 0, VA_G(0)));
}

static void test_cr0_wp_and_pg_enable_do_not_flush(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING | X86_CR0_WP));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING | X86_CR0_CD));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

static void test_cr0_pg_clear_without_tlb_is_accepted(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	f->cpu.tlb = NULL;
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_NONE);
}

/* ---------------------------------------------------------------------------
 * CR3
 */

static void test_cr3_rsvd_bits_follow_maxphyaddr(void **state)
{
	struct fx *f = *state;
	static const u8 widths[] = {36, 46, 52};

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(widths); i++) {
		u8 m = widths[i];

		f->feat.maxphyaddr = m;
		cpu_reset(&f->cpu);
		/* The highest address bit is accepted... */
		EXPECT_OK(cpu_write_cr3(&f->cpu, BIT_ULL(m - 1) | 0x1000));
		CHECK_EQ("cr3", BIT_ULL(m - 1) | 0x1000, f->cpu.r.cr3);
		/* ...MAXPHYADDR itself and bit 62 are reserved. */
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, BIT_ULL(m) | 0x1000));
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, BIT_ULL(62)));
		/* Bit 63 is reserved without PCIDE. */
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, BIT_ULL(63) | 0x2000));
	}
}

static void test_cr3_bit63_with_pcide_is_not_stored(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 5);
	EXPECT_OK(cpu_write_cr3(&f->cpu, X86_CR3_NOFLUSH | PML4 | 7));
	CHECK_EQ("cr3", PML4 | 7, f->cpu.r.cr3);
	/* Bits 62:MAXPHYADDR stay reserved with PCIDE=1. */
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, X86_CR3_NOFLUSH | BIT_ULL(62) | PML4));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, BIT_ULL(46) | PML4));
}

static void test_cr3_low_bits_are_kept_without_pcide(void **state)
{
	struct fx *f = *state;

	/* Without PCIDE, bits 11:0 are PWT/PCD/ignored: stored, not a PCID. */
	EXPECT_OK(cpu_write_cr3(&f->cpu, 0x5000 | 0xfff));
	CHECK_EQ("cr3", 0x5fff, f->cpu.r.cr3);
	CHECK_EQ("pcid", 0, cpu_pcid(&f->cpu.r));
}

static void test_cr3_in_pae_loads_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B));
	CHECK_EQ("cr3", PDPT_B, f->cpu.r.cr3);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", pdpt_b[i], f->cpu.r.pdpte[i]);
	/* The same value again reloads from memory. */
	put64(f, 0, PDPT_B + 8, 0x500001);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B));
	CHECK_EQ("pdpte[1]", 0x500001, f->cpu.r.pdpte[1]);
}

static void test_cr3_pdpt_address_is_bits_31_5(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	/* A 32-byte aligned PDPT inside a page. */
	put_pdpt(f, 0, PDPT_B + 0x20, pdpt_a);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B + 0x20 + 0x18));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", pdpt_a[i], f->cpu.r.pdpte[i]);
}

static void test_cr3_in_pae_with_rsvd_pdpte_is_gp(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, PDPT_BAD));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, UNBACKED));
	/* Each reserved field of a present PDPTE: bits 2:1, 8:5, 63:MAXPHYADDR. */
	static const u64 rsvd[] = {BIT_ULL(1), BIT_ULL(2),  BIT_ULL(5),
				   BIT_ULL(8), BIT_ULL(46), BIT_ULL(63)};
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(rsvd); i++) {
		put64(f, 0, PDPT_B + 24, 0x600001 | rsvd[i]);
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, PDPT_B));
	}
	/* Nearest accepted: PWT, PCD, ignored bits 11:9 and the top address bit. */
	put64(f, 0, PDPT_B + 24, 0x600001 | X86_CR3_PWT | X86_CR3_PCD | 0xe00 | BIT_ULL(45));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B));
	CHECK_EQ("pdpte[3]", 0x600001 | 0x18 | 0xe00 | BIT_ULL(45), f->cpu.r.pdpte[3]);
}

static void test_cr3_outside_pae_does_not_load_pdptes(void **state)
{
	struct fx *f = *state;

	/* 32-bit paging: the PDPT contents do not matter. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_BAD));
	EXPECT_OK(cpu_write_cr3(&f->cpu, UNBACKED));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", 0, f->cpu.r.pdpte[i]);
	/* Long mode neither. */
	cpu_reset(&f->cpu);
	to_long(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_BAD));
}

static void test_cr3_in_smm_loads_pdptes_from_smram(void **state)
{
	struct fx *f = *state;
	static const u64 smram_pdpt[4] = {0x700001, 0, 0, 0};

	to_pae(f);
	put_pdpt(f, 1, SMRAM_BASE, smram_pdpt);
	put64(f, 0, SMRAM_BASE, 0x800001 | BIT_ULL(5)); /* normal memory: reserved bit */
	f->cpu.r.smm = true;
	EXPECT_OK(cpu_write_cr3(&f->cpu, SMRAM_BASE));
	CHECK_EQ("pdpte[0]", 0x700001, f->cpu.r.pdpte[0]);
	f->cpu.r.smm = false;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, SMRAM_BASE));
	/* PDPT_A exists only in address space 0. */
	f->cpu.r.smm = true;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr3(&f->cpu, PDPT_A));
}

static void test_cr3_flushes_nonglobal_pcid0_without_pcide(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B));
	assert_false(tlb_has(f, 0, 0, VA_NG(0)));
	assert_true(tlb_has(f, 0, 0, VA_G(0)));
	assert_true(tlb_has(f, 0, 1, VA_NG(1)));
	assert_true(tlb_has(f, 0, 2, VA_NG(2)));
	check_other_vpid_kept(f);
	CHECK_EQ("entries left", 7, tlb_count(f->tlb));
}

static void test_cr3_same_value_still_flushes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, f->cpu.r.cr3));
	assert_false(tlb_has(f, 0, 0, VA_NG(0)));
	CHECK_EQ("entries left", 7, tlb_count(f->tlb));
}

static void test_cr3_with_pcide_flushes_new_pcid_only(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 1);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4 | 2));
	assert_false(tlb_has(f, 0, 2, VA_NG(2)));
	assert_true(tlb_has(f, 0, 2, VA_G(2)));
	assert_true(tlb_has(f, 0, 1, VA_NG(1)));
	assert_true(tlb_has(f, 0, 0, VA_NG(0)));
	check_other_vpid_kept(f);
	CHECK_EQ("entries left", 7, tlb_count(f->tlb));
}

static void test_cr3_noflush_hint_keeps_entries(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 1);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, X86_CR3_NOFLUSH | PML4 | 2));
	CHECK_EQ("pcid", 2, cpu_pcid(&f->cpu.r));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

static void test_cr3_flush_uses_cpu_vpid(void **state)
{
	struct fx *f = *state;

	tlb_populate(f);
	f->cpu.vpid = 1;
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4));
	assert_false(tlb_has(f, 1, 0, VA_OTHER_VPID_NG));
	assert_true(tlb_has(f, 1, 0, VA_OTHER_VPID_G));
	assert_true(tlb_has(f, 0, 0, VA_NG(0)));
}

static void test_cr3_without_tlb_is_accepted(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	f->cpu.tlb = NULL;
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_B));
	CHECK_EQ("pdpte[0]", pdpt_b[0], f->cpu.r.pdpte[0]);
}

/* ---------------------------------------------------------------------------
 * CR4
 */

static void test_cr4_reserved_bits_are_gp(void **state)
{
	struct fx *f = *state;
	static const unsigned bits[] = {14, 15, 19, 23, 24, 28, 31, 32, 63};

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(bits); i++)
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, BIT_ULL(bits[i])));
}

static void test_cr4_always_supported_bits_need_no_feature(void **state)
{
	struct fx *f = *state;
	const u64 always = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_MCE |
			   X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_UMIP |
			   X86_CR4_FSGSBASE | X86_CR4_OSXSAVE;

	memset(&f->feat, 0, sizeof(f->feat));
	f->feat.maxphyaddr = 36;
	EXPECT_OK(cpu_write_cr4(&f->cpu, always));
	CHECK_EQ("cr4", always, f->cpu.r.cr4);
}

static void test_cr4_feature_bits_need_their_cpuid_feature(void **state)
{
	struct fx *f = *state;
	/* PCIDE has extra preconditions and is tested on its own below. */
	const struct {
		u64 bit;
		bool *feat;
	} t[] = {
		{X86_CR4_PSE, &f->feat.pse},   {X86_CR4_PAE, &f->feat.pae},
		{X86_CR4_PGE, &f->feat.pge},   {X86_CR4_LA57, &f->feat.la57},
		{X86_CR4_VMXE, &f->feat.vmx},  {X86_CR4_SMEP, &f->feat.smep},
		{X86_CR4_SMAP, &f->feat.smap}, {X86_CR4_PKE, &f->feat.pku},
	};

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(t); i++) {
		cpu_reset(&f->cpu);
		*t[i].feat = false;
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, t[i].bit));
		*t[i].feat = true;
		EXPECT_OK(cpu_write_cr4(&f->cpu, t[i].bit));
		CHECK_EQ("cr4", t[i].bit, f->cpu.r.cr4);
	}
}

static void test_cr4_pcide_needs_cpuid_pcid(void **state)
{
	struct fx *f = *state;

	to_long(f);
	f->feat.pcid = false;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	f->feat.pcid = true;
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
}

static void test_cr4_vmxe_is_gp_on_amd(void **state)
{
	struct fx *f = *state;

	cpu_features_default(&f->feat, CPU_VENDOR_AMD);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_VMXE));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE));
}

static void test_cr4_pae_clear_in_long_mode_is_gp(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, 0));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PGE));
	/* Outside IA-32e mode PAE may be cleared, even with paging on. */
	cpu_reset(&f->cpu);
	to_pae(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, 0));
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_32);
}

static void test_cr4_la57_change_in_long_mode_is_gp(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_LA57));
	/* Other bits may change in long mode. */
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PGE | X86_CR4_SMEP));
	/* LA57 may change outside long mode, even with LME=1 (LMA=0). */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_LA57));
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_5LVL);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE));
}

static void test_cr4_pcide_without_lma_is_gp(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	cpu_reset(&f->cpu);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PCIDE));
	cpu_reset(&f->cpu);
	to_long(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	CHECK_EQ("cr4", X86_CR4_PAE | X86_CR4_PCIDE, f->cpu.r.cr4);
}

static void test_cr4_pcide_with_cr3_low_bits_is_gp(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4 | X86_CR3_PWT));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4 | 0x800));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	/* Once set, CR3 may carry a PCID and CR4 writes keeping PCIDE are fine. */
	EXPECT_OK(cpu_write_cr3(&f->cpu, PML4 | 0x123));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE | X86_CR4_PGE));
	CHECK_EQ("pcid", 0x123, cpu_pcid(&f->cpu.r));
}

static void test_cr4_pae_enable_with_pg_loads_pdptes(void **state)
{
	struct fx *f = *state;

	/* 32-bit paging with CR3 at the PDPT, then switch to PAE paging. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_A));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", pdpt_a[i], f->cpu.r.pdpte[i]);
	assert_int_equal(cpu_paging_mode(&f->cpu.r), CPU_PAGING_PAE);
}

static void test_cr4_pae_enable_with_pg_and_rsvd_pdpte_is_gp(void **state)
{
	struct fx *f = *state;

	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_OK(cpu_write_cr3(&f->cpu, PDPT_BAD));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	/* Without paging the same CR4 write does not look at the PDPT. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("pdpte", 0, f->cpu.r.pdpte[i]);
}

static void test_cr4_pge_toggle_in_pae_reloads_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	put64(f, 0, PDPT_A + 16, 0x900001);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PGE));
	CHECK_EQ("pdpte[2] after PGE set", 0x900001, f->cpu.r.pdpte[2]);
	put64(f, 0, PDPT_A + 16, 0x900001 | BIT_ULL(6));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	CHECK_EQ("cr4", X86_CR4_PAE | X86_CR4_PGE, f->cpu.r.cr4);
}

static void test_cr4_pse_and_smep_change_in_pae_reload_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	put64(f, 0, PDPT_A, 0xa00001);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PSE));
	CHECK_EQ("pdpte[0] after PSE", 0xa00001, f->cpu.r.pdpte[0]);
	put64(f, 0, PDPT_A, 0xb00001);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PSE | X86_CR4_SMEP));
	CHECK_EQ("pdpte[0] after SMEP", 0xb00001, f->cpu.r.pdpte[0]);
}

static void test_cr4_smap_change_in_pae_does_not_reload_pdptes(void **state)
{
	struct fx *f = *state;

	to_pae(f);
	put64(f, 0, PDPT_A, 0xc00001 | BIT_ULL(2));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_SMAP | X86_CR4_PKE));
	CHECK_EQ("pdpte[0]", pdpt_a[0], f->cpu.r.pdpte[0]);
}

static void test_cr4_pge_toggle_flushes_vpid_including_globals(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 1);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE | X86_CR4_PGE));
	CHECK_EQ("entries left after PGE set", 2, tlb_count(f->tlb));
	check_other_vpid_kept(f);
	/* Clearing PGE flushes as well. */
	tlb_put(f, 0, 2, VA_NG(2), false);
	tlb_put(f, 0, 2, VA_G(2), true);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	CHECK_EQ("entries left after PGE clear", 2, tlb_count(f->tlb));
	check_other_vpid_kept(f);
}

static void test_cr4_pcide_clear_flushes_vpid_including_globals(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 0);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	CHECK_EQ("entries left", 2, tlb_count(f->tlb));
	check_other_vpid_kept(f);
}

static void test_cr4_pcide_set_does_not_flush(void **state)
{
	struct fx *f = *state;

	to_long(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

static void test_cr4_smep_set_flushes_current_pcid_including_globals(void **state)
{
	struct fx *f = *state;

	to_long_pcid(f, 1);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PCIDE | X86_CR4_SMEP));
	/* PCID 1's entries are gone, the global one cached under it too... */
	assert_false(tlb_has(f, 0, 1, VA_NG(1)));
	assert_false(tlb_has(f, 0, 1, VA_G(1)));
	/* ...other PCIDs' non-global entries and other VPIDs stay. */
	assert_true(tlb_has(f, 0, 0, VA_NG(0)));
	assert_true(tlb_has(f, 0, 2, VA_NG(2)));
	check_other_vpid_kept(f);
}

static void test_cr4_smep_clear_does_not_flush(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_SMEP));
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

static void test_cr4_pae_change_flushes_current_pcid_including_globals(void **state)
{
	struct fx *f = *state;

	to_protected(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE));
	/* PCID 0 (current) loses its non-global and global entries. */
	assert_false(tlb_has(f, 0, 0, VA_NG(0)));
	assert_false(tlb_has(f, 0, 0, VA_G(0)));
	assert_true(tlb_has(f, 0, 1, VA_NG(1)));
	assert_true(tlb_has(f, 0, 2, VA_NG(2)));
	check_other_vpid_kept(f);
}

static void test_cr4_other_bits_do_not_flush(void **state)
{
	struct fx *f = *state;

	to_long(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_SMAP | X86_CR4_PKE |
						 X86_CR4_OSXSAVE | X86_CR4_PSE));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

/* ---------------------------------------------------------------------------
 * EFER
 */

static void test_efer_reserved_bits_are_gp(void **state)
{
	struct fx *f = *state;
	static const unsigned bits[] = {1, 7, 9, 13, 14, 15, 21, 32, 63};

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(bits); i++)
		EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, BIT_ULL(bits[i])));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE));
	CHECK_EQ("efer", X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE, f->cpu.r.efer);
}

static void test_efer_lme_without_lm_is_gp(void **state)
{
	struct fx *f = *state;

	f->feat.lm = false;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, X86_EFER_LME));
	/* On a CPU without long mode LMA is a reserved bit too (KVM __kvm_valid_efer()). */
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, X86_EFER_LMA));
	f->feat.lm = true;
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
}

static void test_efer_nxe_without_nx_is_gp(void **state)
{
	struct fx *f = *state;

	f->feat.nx = false;
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, X86_EFER_NXE));
	f->feat.nx = true;
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_NXE));
}

static void test_efer_svme_without_svm_is_gp(void **state)
{
	struct fx *f = *state;

	/* The Intel fixture has no SVM. */
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, X86_EFER_SVME));
	cpu_features_default(&f->feat, CPU_VENDOR_AMD);
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_SVME));
	CHECK_EQ("efer", X86_EFER_SVME, f->cpu.r.efer);
}

static void test_efer_lma_is_read_only(void **state)
{
	struct fx *f = *state;

	/* Writing LMA=1 outside long mode: accepted, LMA stays 0. */
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LMA | X86_EFER_SCE));
	CHECK_EQ("efer", X86_EFER_SCE, f->cpu.r.efer);
	/* Writing LMA=0 in long mode: accepted, LMA stays 1. */
	cpu_reset(&f->cpu);
	to_long(f);
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME | X86_EFER_NXE));
	CHECK_EQ("efer", X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE, f->cpu.r.efer);
}

static void test_efer_lme_change_with_pg_is_gp(void **state)
{
	struct fx *f = *state;

	/* Set with paging on (32-bit paging). */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PAGING));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, X86_EFER_LME));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_NXE)); /* other bits may change */
	/* Clear in long mode. */
	cpu_reset(&f->cpu);
	to_long(f);
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_efer(&f->cpu, 0));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME | X86_EFER_SCE));
	/* With paging off LME may change freely. */
	EXPECT_OK(cpu_write_cr0(&f->cpu, CR0_PM));
	EXPECT_OK(cpu_write_efer(&f->cpu, 0));
	CHECK_EQ("efer", 0, f->cpu.r.efer);
}

static void test_efer_write_does_not_flush(void **state)
{
	struct fx *f = *state;

	to_long(f);
	tlb_populate(f);
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME | X86_EFER_NXE));
	EXPECT_OK(cpu_write_efer(&f->cpu, X86_EFER_LME));
	CHECK_EQ("entries left", 8, tlb_count(f->tlb));
}

/* ---------------------------------------------------------------------------
 * RFLAGS, CPL, PKRU
 */

static void test_rflags_bit1_is_forced_set(void **state)
{
	struct fx *f = *state;

	EXPECT_OK(cpu_write_rflags(&f->cpu, 0));
	CHECK_EQ("rflags", 0x2, f->cpu.r.rflags);
	EXPECT_OK(cpu_write_rflags(&f->cpu, X86_RFLAGS_AC | 0x200));
	CHECK_EQ("rflags", X86_RFLAGS_AC | 0x202, f->cpu.r.rflags);
}

static void test_cpl_above_3_is_gp(void **state)
{
	struct fx *f = *state;

	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cpl(&f->cpu, 4));
	EXPECT_REFUSED(f, X86_VEC_GP, cpu_write_cpl(&f->cpu, 255));
	EXPECT_OK(cpu_write_cpl(&f->cpu, 3));
	CHECK_EQ("cpl", 3, f->cpu.r.cpl);
	EXPECT_OK(cpu_write_cpl(&f->cpu, 0));
	CHECK_EQ("cpl", 0, f->cpu.r.cpl);
}

static void test_pkru_without_pke_is_ud(void **state)
{
	struct fx *f = *state;

	to_long(f);
	EXPECT_REFUSED(f, X86_VEC_UD, cpu_write_pkru(&f->cpu, 0xc));
	EXPECT_OK(cpu_write_cr4(&f->cpu, X86_CR4_PAE | X86_CR4_PKE));
	EXPECT_OK(cpu_write_pkru(&f->cpu, 0xfffffffc));
	CHECK_EQ("pkru", 0xfffffffc, f->cpu.r.pkru);
}

/* ---------------------------------------------------------------------------
 * PDPTE loading and the reserved-bit mask
 */

static void test_pae_pdpte_rsvd_mask_follows_maxphyaddr(void **state)
{
	struct fx *f = *state;

	f->feat.maxphyaddr = 36;
	CHECK_EQ("rsvd, M=36", 0xfffffff0000001e6ULL, cpu_pae_pdpte_rsvd(&f->feat));
	f->feat.maxphyaddr = 46;
	CHECK_EQ("rsvd, M=46", 0xffffc000000001e6ULL, cpu_pae_pdpte_rsvd(&f->feat));
	f->feat.maxphyaddr = 52;
	CHECK_EQ("rsvd, M=52", 0xfff00000000001e6ULL, cpu_pae_pdpte_rsvd(&f->feat));
}

static void test_load_pdptes_reads_cr3_bits_31_5(void **state)
{
	struct fx *f = *state;
	u64 out[4] = {0};

	put_pdpt(f, 0, PDPT_B + 0x40, pdpt_a);
	/* Bits 4:0 and bits above 31 do not take part in the PDPT address. */
	assert_true(cpu_load_pdptes(&f->cpu, BIT_ULL(32) | (PDPT_B + 0x40) | 0x1f, out));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("out", pdpt_a[i], out[i]);
	/* Loading does not touch the PDPTE registers. */
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("r.pdpte", 0, f->cpu.r.pdpte[i]);
}

static void test_load_pdptes_rsvd_bit_depends_on_maxphyaddr(void **state)
{
	struct fx *f = *state;
	u64 out[4];

	put64(f, 0, PDPT_B, 0x1000 | BIT_ULL(40) | 1);
	f->feat.maxphyaddr = 46;
	assert_true(cpu_load_pdptes(&f->cpu, PDPT_B, out));
	CHECK_EQ("out[0]", 0x1000 | BIT_ULL(40) | 1, out[0]);
	f->feat.maxphyaddr = 36;
	assert_false(cpu_load_pdptes(&f->cpu, PDPT_B, out));
}

static void test_load_pdptes_outside_memory_fails(void **state)
{
	struct fx *f = *state;
	u64 out[4];

	/* The PDPT is 32-byte aligned, so it never straddles a slot's end. */
	put64(f, 0, MEM_SIZE - 32, 0xd00001);
	assert_true(cpu_load_pdptes(&f->cpu, MEM_SIZE - 16, out));
	CHECK_EQ("out[0] (PDPT rounded down to 32 bytes)", 0xd00001, out[0]);
	/* A failed load leaves @out alone. */
	for (unsigned i = 0; i < 4; i++)
		out[i] = 0x5a5a;
	assert_false(cpu_load_pdptes(&f->cpu, MEM_SIZE, out));
	assert_false(cpu_load_pdptes(&f->cpu, UNBACKED, out));
	put64(f, 0, PDPT_B + 8, 0x1000 | BIT_ULL(7) | 1);
	assert_false(cpu_load_pdptes(&f->cpu, PDPT_B, out));
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ("out after failure", 0x5a5a, out[i]);
	f->cpu.mem = NULL;
	assert_false(cpu_load_pdptes(&f->cpu, PDPT_A, out));
}

static void test_cr4_reset_state_accepts_every_supported_combination(void **state)
{
	struct fx *f = *state;
	const u64 all = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE |
			X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR |
			X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | X86_CR4_LA57 | X86_CR4_VMXE |
			X86_CR4_FSGSBASE | X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP |
			X86_CR4_PKE;

	EXPECT_OK(cpu_write_cr4(&f->cpu, all));
	CHECK_EQ("cr4", all, f->cpu.r.cr4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reset_gives_power_on_state),
		T(test_paging_mode_follows_pg_pae_lma_la57),
		T(test_pcid_is_cr3_low_bits_only_with_pcide),
		T(test_cr0_bits_63_32_are_gp),
		T(test_cr0_reserved_low_bits_are_dropped),
		T(test_cr0_et_is_forced_to_one),
		T(test_cr0_pg_without_pe_is_gp),
		T(test_cr0_nw_without_cd_is_gp),
		T(test_cr0_pg_with_lme_and_no_pae_is_gp),
		T(test_cr0_pg_with_lme_and_pae_sets_lma),
		T(test_cr0_pg_with_lme_sets_lma_in_5level_too),
		T(test_cr0_pg_with_lme_while_cs_l_is_gp),
		T(test_cr0_pg_without_lme_leaves_lma_clear),
		T(test_cr0_pg_clear_in_64bit_mode_is_gp),
		T(test_cr0_pg_clear_in_compat_mode_clears_lma),
		T(test_cr0_pg_clear_with_pcide_is_gp),
		T(test_cr0_pg_enable_in_pae_loads_pdptes),
		T(test_cr0_pg_enable_in_pae_with_rsvd_pdpte_is_gp),
		T(test_cr0_pg_enable_in_pae_with_pdpt_not_in_memory_is_gp),
		T(test_cr0_cd_change_in_pae_reloads_pdptes),
		T(test_cr0_wp_change_in_pae_does_not_reload_pdptes),
		T(test_cr0_pg_enable_in_long_mode_does_not_load_pdptes),
		T(test_cr0_pg_clear_flushes_vpid_including_globals),
		T(test_cr0_pg_clear_flushes_the_current_vpid),
		T(test_cr0_wp_and_pg_enable_do_not_flush),
		T(test_cr0_pg_clear_without_tlb_is_accepted),
		T(test_cr3_rsvd_bits_follow_maxphyaddr),
		T(test_cr3_bit63_with_pcide_is_not_stored),
		T(test_cr3_low_bits_are_kept_without_pcide),
		T(test_cr3_in_pae_loads_pdptes),
		T(test_cr3_pdpt_address_is_bits_31_5),
		T(test_cr3_in_pae_with_rsvd_pdpte_is_gp),
		T(test_cr3_outside_pae_does_not_load_pdptes),
		T(test_cr3_in_smm_loads_pdptes_from_smram),
		T(test_cr3_flushes_nonglobal_pcid0_without_pcide),
		T(test_cr3_same_value_still_flushes),
		T(test_cr3_with_pcide_flushes_new_pcid_only),
		T(test_cr3_noflush_hint_keeps_entries),
		T(test_cr3_flush_uses_cpu_vpid),
		T(test_cr3_without_tlb_is_accepted),
		T(test_cr4_reserved_bits_are_gp),
		T(test_cr4_always_supported_bits_need_no_feature),
		T(test_cr4_feature_bits_need_their_cpuid_feature),
		T(test_cr4_pcide_needs_cpuid_pcid),
		T(test_cr4_vmxe_is_gp_on_amd),
		T(test_cr4_reset_state_accepts_every_supported_combination),
		T(test_cr4_pae_clear_in_long_mode_is_gp),
		T(test_cr4_la57_change_in_long_mode_is_gp),
		T(test_cr4_pcide_without_lma_is_gp),
		T(test_cr4_pcide_with_cr3_low_bits_is_gp),
		T(test_cr4_pae_enable_with_pg_loads_pdptes),
		T(test_cr4_pae_enable_with_pg_and_rsvd_pdpte_is_gp),
		T(test_cr4_pge_toggle_in_pae_reloads_pdptes),
		T(test_cr4_pse_and_smep_change_in_pae_reload_pdptes),
		T(test_cr4_smap_change_in_pae_does_not_reload_pdptes),
		T(test_cr4_pge_toggle_flushes_vpid_including_globals),
		T(test_cr4_pcide_clear_flushes_vpid_including_globals),
		T(test_cr4_pcide_set_does_not_flush),
		T(test_cr4_smep_set_flushes_current_pcid_including_globals),
		T(test_cr4_smep_clear_does_not_flush),
		T(test_cr4_pae_change_flushes_current_pcid_including_globals),
		T(test_cr4_other_bits_do_not_flush),
		T(test_efer_reserved_bits_are_gp),
		T(test_efer_lme_without_lm_is_gp),
		T(test_efer_nxe_without_nx_is_gp),
		T(test_efer_svme_without_svm_is_gp),
		T(test_efer_lma_is_read_only),
		T(test_efer_lme_change_with_pg_is_gp),
		T(test_efer_write_does_not_flush),
		T(test_rflags_bit1_is_forced_set),
		T(test_cpl_above_3_is_gp),
		T(test_pkru_without_pke_is_ud),
		T(test_pae_pdpte_rsvd_mask_follows_maxphyaddr),
		T(test_load_pdptes_reads_cr3_bits_31_5),
		T(test_load_pdptes_rsvd_bit_depends_on_maxphyaddr),
		T(test_load_pdptes_outside_memory_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
