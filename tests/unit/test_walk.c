/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the page walker (cpu/walk.c, docs/walker.md): a translation in
 * each paging form with its exact steps, every fault kind with its error code or
 * exit qualification, A/D writes, nested composition, and the entry decoder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cpu/features.h"
#include "cpu/mem.h"
#include "cpu/regs.h"
#include "cpu/walk.h"

/* ---- guest memory: 16 MiB RW (dirty-logged) at 0, 1 MiB read-only above ---- */

#define RAM_SIZE (16ULL << 20)
#define RO_BASE RAM_SIZE
#define RO_SIZE (1ULL << 20)

static struct gmem *M;
static struct walk_gmem_ctx GC;
static struct walk_mem GM; /* walk_mem_gmem() over M */
static unsigned nwrote; /* wrote() calls during the last walk */

/* Legacy entry bits (SDM Tables 4-4..4-20) and EPT bits (Tables 29-1..29-6). */
#define P BIT_ULL(0)
#define W BIT_ULL(1)
#define U BIT_ULL(2)
#define A BIT_ULL(5)
#define D BIT_ULL(6)
#define PS BIT_ULL(7)
#define G BIT_ULL(8)
#define XD BIT_ULL(63)
#define PWU (P | W | U)
#define ER BIT_ULL(0)
#define EW BIT_ULL(1)
#define EX BIT_ULL(2)
#define ERWX (ER | EW | EX)
#define EWB (6ULL << 3) /* memory type write-back */
#define EA BIT_ULL(8)
#define ED BIT_ULL(9)

static void *count_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	(void)ctx;
	return GM.map(GM.ctx, pa, len, writable);
}

static void count_wrote(void *ctx, u64 pa)
{
	(void)ctx;
	nwrote++;
	GM.wrote(GM.ctx, pa);
}

static int setup(void **state)
{
	struct gmem_slot_desc ram = {
		.as = 0, .id = 0, .base = 0, .size = RAM_SIZE, .flags = GMEM_SLOT_DIRTY_LOG};
	struct gmem_slot_desc ro = {
		.as = 0, .id = 1, .base = RO_BASE, .size = RO_SIZE, .flags = GMEM_SLOT_READONLY};

	(void)state;
	if (gmem_create(&M, 0) || gmem_slot_add(M, &ram) || gmem_slot_add(M, &ro))
		return -1;
	GC = (struct walk_gmem_ctx){.m = M, .as = 0};
	walk_mem_gmem(&GM, &GC);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gmem_destroy(M);
	M = NULL;
	return 0;
}

static void put64(u64 pa, u64 v)
{
	assert_int_equal(gmem_write_host(M, 0, pa, &v, sizeof(v)), 0);
}

static void put32(u64 pa, u32 v)
{
	assert_int_equal(gmem_write_host(M, 0, pa, &v, sizeof(v)), 0);
}

static u64 get64(u64 pa)
{
	u64 v = 0;

	assert_int_equal(gmem_read(M, 0, pa, &v, sizeof(v)), 0);
	return v;
}

static u32 get32(u64 pa)
{
	u32 v = 0;

	assert_int_equal(gmem_read(M, 0, pa, &v, sizeof(v)), 0);
	return v;
}

/* ---- the walk under test, and failure messages with its context ---- */

static struct walk_result R;
static const struct walk_cfg *LG, *LN; /* cfgs of the last walk, for the dump */
static char WHAT[200];

static const char *acc_name(enum walk_access a)
{
	return a == WALK_ACC_WRITE ? "write" : a == WALK_ACC_FETCH ? "fetch" : "read";
}

static bool walk_req(const struct walk_cfg *g, const struct walk_cfg *n, const struct walk_req *q)
{
	struct walk_ctx c = {.g = g, .n = n, .mem = {count_map, count_wrote, NULL}};

	LG = g;
	LN = n;
	nwrote = 0;
	snprintf(WHAT, sizeof(WHAT), "%s%s%s %s of 0x%llx cpl=%u%s%s flags=%#x",
		 walk_fmt_name(g->fmt), n ? " over " : "", n ? walk_fmt_name(n->fmt) : "",
		 acc_name(q->acc), (unsigned long long)q->addr, q->cpl,
		 q->implicit ? " implicit" : "", q->ac ? " AC" : "", q->flags);
	memset(&R, 0xa5, sizeof(R)); /* the walker must fill every field */
	return walk_translate(&c, q, &R);
}

static bool walk(const struct walk_cfg *g, const struct walk_cfg *n, u64 addr, enum walk_access acc,
		 u8 cpl)
{
	struct walk_req q = {.addr = addr, .acc = acc, .cpl = cpl};

	return walk_req(g, n, &q);
}

static void dump_result(void)
{
	print_error("  walk: %s\n  -> ok=%d gpa=0x%llx fault kind=%d vec=%u stage=%u level=%u "
		    "ec=0x%llx qual=0x%llx gpa=0x%llx nomem=%d refs=%u/%u\n  rule: %s\n",
		    WHAT, R.ok, (unsigned long long)R.gpa, R.fault.kind, R.fault.vector,
		    R.fault.stage, R.fault.level, (unsigned long long)R.fault.error_code,
		    (unsigned long long)R.fault.exit_qual, (unsigned long long)R.fault.gpa,
		    R.fault.nomem, R.refs, R.nested_refs, R.fault.rule ? R.fault.rule : "-");
	for (u32 i = 0; i < R.nsteps && i < WALK_MAX_STEPS; i++) {
		const struct walk_step *s = &R.steps[i];
		char buf[160];

		walk_decode_entry(s->stage ? LN : LG, s->level, s->pte, buf, sizeof(buf));
		print_error("  step %2u: stage %u L%u table=0x%llx pte_addr=0x%llx pte_pa=0x%llx "
			    "pte=0x%llx flags=%#x  %s\n",
			    i, s->stage, s->level, (unsigned long long)s->table,
			    (unsigned long long)s->pte_addr, (unsigned long long)s->pte_pa,
			    (unsigned long long)s->pte, s->flags, buf);
	}
}

static void check_hex(const char *file, int line, const char *expr, u64 want, u64 got)
{
	if (want == got)
		return;
	print_error("%s:%d: %s: want 0x%llx, got 0x%llx\n", file, line, expr,
		    (unsigned long long)want, (unsigned long long)got);
	dump_result();
	_fail(file, line);
}

#define CHECK_HEX(want, got) check_hex(__FILE__, __LINE__, #got, (u64)(want), (u64)(got))
#define CHECK_TRUE(cond) check_hex(__FILE__, __LINE__, #cond, 1, (cond) ? 1 : 0)

static void check_str(const char *file, int line, const char *want, const char *got)
{
	if (!strcmp(want, got))
		return;
	print_error("%s:%d: want \"%s\", got \"%s\"\n", file, line, want, got);
	_fail(file, line);
}
#define CHECK_STR(want, got) check_str(__FILE__, __LINE__, want, got)

/* Expect step @i to be (stage, level, table, pte_addr, pte_pa, pte). */
static void check_step(const char *file, int line, u32 i, u8 stage, u8 level, u64 table,
		       u64 pte_addr, u64 pte_pa, u64 pte)
{
	const struct walk_step *s = &R.steps[i];
	char what[64];

	snprintf(what, sizeof(what), "steps[%u].nsteps", i);
	check_hex(file, line, what, 1, i < R.nsteps);
	snprintf(what, sizeof(what), "steps[%u].stage", i);
	check_hex(file, line, what, stage, s->stage);
	snprintf(what, sizeof(what), "steps[%u].level", i);
	check_hex(file, line, what, level, s->level);
	snprintf(what, sizeof(what), "steps[%u].table", i);
	check_hex(file, line, what, table, s->table);
	snprintf(what, sizeof(what), "steps[%u].pte_addr", i);
	check_hex(file, line, what, pte_addr, s->pte_addr);
	snprintf(what, sizeof(what), "steps[%u].pte_pa", i);
	check_hex(file, line, what, pte_pa, s->pte_pa);
	snprintf(what, sizeof(what), "steps[%u].pte", i);
	check_hex(file, line, what, pte, s->pte);
}
#define CHECK_STEP(...) check_step(__FILE__, __LINE__, __VA_ARGS__)

/* Expect a #PF with @ec at @level. */
static void check_pf(const char *file, int line, u64 ec, u8 level, u64 cr2)
{
	check_hex(file, line, "ok", 0, R.ok);
	check_hex(file, line, "fault.kind", WALK_FAULT_PF, R.fault.kind);
	check_hex(file, line, "fault.vector", 14, R.fault.vector);
	check_hex(file, line, "fault.error_code", ec, R.fault.error_code);
	check_hex(file, line, "fault.level", level, R.fault.level);
	check_hex(file, line, "fault.cr2", cr2, R.fault.cr2);
	check_hex(file, line, "fault.rule != NULL", 1, R.fault.rule != NULL);
}
#define CHECK_PF(...) check_pf(__FILE__, __LINE__, __VA_ARGS__)

static void check_ok(const char *file, int line, u64 gpa)
{
	check_hex(file, line, "ok", 1, R.ok);
	check_hex(file, line, "fault.kind", WALK_FAULT_NONE, R.fault.kind);
	check_hex(file, line, "gpa", gpa, R.gpa);
}
#define CHECK_OK(gpa) check_ok(__FILE__, __LINE__, gpa)

/* ---- configurations and table builders ---- */

/* A modern Intel CPU in @fmt: MAXPHYADDR 46, CR0.WP, EFER.NXE, PSE, 1 GiB pages. */
static struct walk_cfg cfg_legacy(enum walk_fmt fmt, u64 root)
{
	struct walk_cfg c = {0};

	c.fmt = fmt;
	c.levels = fmt == WALK_FMT_32 ? 2 : fmt == WALK_FMT_PAE ? 3 : fmt == WALK_FMT_4LVL ? 4 : 5;
	c.root = root;
	c.vendor = CPU_VENDOR_INTEL;
	c.maxphyaddr = 46;
	c.wp = c.nxe = c.pse = c.gbpages = c.pge = true;
	return c;
}

/* EPT with every capability (execute-only, 2M, 1G); A/D per @ad. */
static struct walk_cfg cfg_ept(u64 root, u8 levels, bool ad)
{
	struct walk_cfg c = {0};

	c.fmt = WALK_FMT_EPT;
	c.levels = levels;
	c.root = root;
	c.vendor = CPU_VENDOR_INTEL;
	c.maxphyaddr = 46;
	c.ept_ad = ad;
	c.ept_execonly = c.ept_2m = c.ept_1g = true;
	return c;
}

/* NPT on an AMD host in long mode: MAXPHYADDR 48, host EFER.NXE. */
static struct walk_cfg cfg_npt(enum walk_fmt fmt, u64 root)
{
	struct walk_cfg c = cfg_legacy(fmt, root);

	c.vendor = CPU_VENDOR_AMD;
	c.maxphyaddr = 48;
	c.npt = true;
	c.wp = c.pge = false;
	return c;
}

/* The standard chain: TBL[l] is the table read at level l. */
static const u64 TBL[6] = {0, 0x13000, 0x12000, 0x11000, 0x10000, 0x0f000};
static const u64 ETBL[6] = {0, 0x43000, 0x42000, 0x41000, 0x40000, 0x3f000};
/* Indices 1, 2, 3, 4 at levels 4..1 and 0xabc in the page (5-level: index 1 at L5). */
#define VA4 0x8080604abcULL
#define VA5 (0x1000000000000ULL | VA4)

static u64 idx8(u64 addr, unsigned level)
{
	return (addr >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* Address of the entry for @addr in table @tbl[level] (+@off: where it lives). */
static u64 ent8(const u64 *tbl, u64 off, u64 addr, unsigned level)
{
	return tbl[level] + off + idx8(addr, level) * 8;
}

/*
 * Write 8-byte entries for @addr from level @top down to a leaf at @leaf mapping
 * @pa: non-leaf entries point at tbl[level - 1] with @upper, the leaf gets
 * @leafflags. Tables are written at their address + @off (nested: HPA = GPA + off).
 */
static void chain8(const u64 *tbl, u64 off, unsigned top, u64 addr, unsigned leaf, u64 pa,
		   u64 upper, u64 leafflags)
{
	for (unsigned l = top; l >= leaf; l--)
		put64(ent8(tbl, off, addr, l), l == leaf ? pa | leafflags : tbl[l - 1] | upper);
}

/* 4-level guest: VA4 -> 0x200000 with 4 KiB pages, rights P|W|U everywhere. */
static struct walk_cfg std4(void)
{
	chain8(TBL, 0, 4, VA4, 1, 0x200000, PWU, PWU);
	return cfg_legacy(WALK_FMT_4LVL, TBL[4]);
}

/* ---- no paging ---- */

static void test_no_paging_output_is_32bit_input(void **state)
{
	struct walk_cfg g = {.fmt = WALK_FMT_NONE};

	(void)state;
	CHECK_TRUE(walk(&g, NULL, 0x123456789ULL, WALK_ACC_WRITE, 3));
	CHECK_OK(0x23456789);
	CHECK_HEX(0, R.nsteps);
	CHECK_HEX(0, R.refs);
	CHECK_HEX(ACC_ALL, R.acc);
}

/* ---- 32-bit paging (SDM 4.3) ---- */

#define VA32 0x01406123ULL /* PDE index 5, PTE index 6 */

static void test_32bit_4k_walk_reads_pde_then_pte(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	put32(0x20014, 0x21007);
	put32(0x21018, 0x300007);
	CHECK_TRUE(walk(&g, NULL, VA32, WALK_ACC_READ, 0));
	CHECK_OK(0x300123);
	CHECK_HEX(2, R.nsteps);
	CHECK_HEX(2, R.refs);
	CHECK_STEP(0, 0, 2, 0x20000, 0x20014, 0x20014, 0x21007);
	CHECK_STEP(1, 0, 1, 0x21000, 0x21018, 0x21018, 0x300007);
	CHECK_HEX(1, R.level);
	CHECK_HEX(4096, R.page_size);
	CHECK_HEX(ACC_ALL, R.acc);
	/* A set in both, as 4-byte writes that leave the neighbours alone. */
	CHECK_HEX(0x21027, get32(0x20014));
	CHECK_HEX(0x300027, get32(0x21018));
	CHECK_HEX(0, get32(0x20018));
}

static void test_32bit_pde_ps_maps_4m_page_with_pse(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	put32(0x20014, 0xc00087);
	CHECK_TRUE(walk(&g, NULL, VA32, WALK_ACC_READ, 3));
	CHECK_OK(0xc06123);
	CHECK_HEX(1, R.nsteps);
	CHECK_HEX(2, R.level);
	CHECK_HEX(4ULL << 20, R.page_size);
}

static void test_32bit_pde_ps_ignored_without_cr4_pse(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	g.pse = false;
	put32(0x20014, 0xc00087 | (1u << 13)); /* bit 13 is not reserved in a table PDE */
	put32(0xc02000 + 6 * 4, 0x300007);
	CHECK_TRUE(walk(&g, NULL, VA32, WALK_ACC_READ, 3));
	CHECK_OK(0x300123);
	CHECK_HEX(2, R.nsteps);
	CHECK_STEP(1, 0, 1, 0xc02000, 0xc02018, 0xc02018, 0x300007);
}

static void test_pse36_pde_bits_20_13_give_pa_bits_39_32(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	g.pse36 = true; /* MAXPHYADDR 46: M32 = 40, so PDE bits 20:13 are PA 39:32 */
	put32(0x20014, 0xc00087 | (0x5au << 13));
	CHECK_TRUE(walk(&g, NULL, VA32, WALK_ACC_READ, 0));
	CHECK_OK(0x5a00c06123ULL);
	/* Bit 21 stays reserved. */
	put32(0x20014, 0xc00087 | (1u << 21));
	CHECK_HEX(0, walk(&g, NULL, VA32, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 2, VA32);
}

static void test_pse36_with_maxphyaddr_36_reserves_bits_21_17(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	g.pse36 = true;
	g.maxphyaddr = 36;
	put32(0x20014, 0xc00087 | (0xau << 13));
	CHECK_TRUE(walk(&g, NULL, VA32, WALK_ACC_READ, 0));
	CHECK_OK(0xa00c06123ULL);
	put32(0x20014, 0xc00087 | (1u << 17));
	CHECK_HEX(0, walk(&g, NULL, VA32, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_W | PFERR_U, 2, VA32);
}

static void test_32bit_4m_pde_without_pse36_reserves_bits_21_13(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	put32(0x20014, 0xc00087 | (1u << 13));
	CHECK_HEX(0, walk(&g, NULL, VA32, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 2, VA32);
	CHECK_HEX(0x20014, R.steps[0].pte_addr);
}

static void test_32bit_fetch_fault_has_id_bit_only_with_smep(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	/* SDM 4.7: I/D needs CR4.SMEP=1 or PAE-or-wider paging with NXE. */
	CHECK_HEX(0, walk(&g, NULL, VA32, WALK_ACC_FETCH, 3));
	CHECK_PF(PFERR_U, 2, VA32);
	g.smep = true;
	CHECK_HEX(0, walk(&g, NULL, VA32, WALK_ACC_FETCH, 3));
	CHECK_PF(PFERR_U | PFERR_FETCH, 2, VA32);
}

static void test_32bit_cr2_is_truncated_to_32_bits(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_32, 0x20000);

	(void)state;
	CHECK_HEX(0, walk(&g, NULL, 0xabcd00000000ULL | VA32, WALK_ACC_READ, 0));
	CHECK_PF(0, 2, VA32);
}

/* ---- PAE paging (SDM 4.4) ---- */

#define VAPAE 0x80e08045ULL /* PDPTE 2, PDE 7, PTE 8 */

static struct walk_cfg pae_std(void)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_PAE, 0x30000);

	g.pdpte[2] = 0x31001;
	put64(0x31038, 0x32007);
	put64(0x32040, 0x400007);
	return g;
}

static void test_pae_4k_walk_takes_pdpte_from_register(void **state)
{
	struct walk_cfg g = pae_std();

	(void)state;
	/* The PDPT in memory says something else: the register wins (SDM 4.4.1). */
	put64(0x30010, 0x77001);
	CHECK_TRUE(walk(&g, NULL, VAPAE, WALK_ACC_WRITE, 3));
	CHECK_OK(0x400045);
	CHECK_HEX(3, R.nsteps);
	CHECK_HEX(2, R.refs); /* the register is not a memory reference */
	CHECK_STEP(0, 0, 3, 0x30000, 0x30010, 0x30010, 0x31001);
	CHECK_HEX(WALK_STEP_PDPTR, R.steps[0].flags);
	CHECK_STEP(1, 0, 2, 0x31000, 0x31038, 0x31038, 0x32007);
	CHECK_STEP(2, 0, 1, 0x32000, 0x32040, 0x32040, 0x400007);
	/* A/D: not in the PDPT, A in the PDE, A|D in the PTE. */
	CHECK_HEX(0x77001, get64(0x30010));
	CHECK_HEX(0x32027, get64(0x31038));
	CHECK_HEX(0x400067, get64(0x32040));
	CHECK_TRUE(R.dirty);
}

static void test_pae_pde_ps_maps_2m_page(void **state)
{
	struct walk_cfg g = pae_std();

	(void)state;
	g.pse = false; /* CR4.PSE does not matter in PAE paging */
	put64(0x31038, 0x600087);
	CHECK_TRUE(walk(&g, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_OK(0x608045);
	CHECK_HEX(2, R.level);
	CHECK_HEX(2ULL << 20, R.page_size);
}

static void test_pae_pde_ps_with_rsvd_bit_faults_rsvd(void **state)
{
	struct walk_cfg g = pae_std();

	(void)state;
	put64(0x31038, 0x600087 | BIT_ULL(13));
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 2, VAPAE);
	CHECK_HEX(0x600087 | BIT_ULL(13), get64(0x31038)); /* no A on a fault */
}

static void test_pae_pdpte_register_rsvd_and_not_present(void **state)
{
	struct walk_cfg g = pae_std();

	(void)state;
	g.pdpte[2] = 0x31001 | BIT_ULL(1); /* R/W is reserved in a PDPTE */
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 3, VAPAE);
	g.pdpte[2] = 0x31001 | BIT_ULL(63); /* no XD in a PDPTE: bits 63:M */
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 3, VAPAE);
	g.pdpte[2] = 0x31000;
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_W | PFERR_U, 3, VAPAE);
	CHECK_HEX(1, R.nsteps);
	CHECK_HEX(0, R.refs);
}

static void test_pae_xd_is_reserved_without_nxe_and_62_m_always(void **state)
{
	struct walk_cfg g = pae_std();

	(void)state;
	put64(0x32040, 0x400007 | XD);
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_FETCH, 3));
	CHECK_PF(PFERR_P | PFERR_U | PFERR_FETCH, 0, VAPAE); /* NX fault, not RSVD */
	g.nxe = false;
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_U, 1, VAPAE);
	put64(0x32040, 0x400007 | BIT_ULL(50));
	CHECK_HEX(0, walk(&g, NULL, VAPAE, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_U, 1, VAPAE);
}

/* ---- 4-level and 5-level paging (SDM 4.5) ---- */

static void test_4level_4k_walk_steps_and_gpa(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_OK(0x200abc);
	CHECK_HEX(0x200abc, R.gpa1);
	CHECK_HEX(4, R.nsteps);
	CHECK_HEX(4, R.refs);
	CHECK_HEX(0, R.nested_refs);
	CHECK_STEP(0, 0, 4, 0x10000, 0x10008, 0x10008, 0x11007);
	CHECK_STEP(1, 0, 3, 0x11000, 0x11010, 0x11010, 0x12007);
	CHECK_STEP(2, 0, 2, 0x12000, 0x12018, 0x12018, 0x13007);
	CHECK_STEP(3, 0, 1, 0x13000, 0x13020, 0x13020, 0x200007);
	CHECK_HEX(1, R.level);
	CHECK_HEX(ACC_ALL, R.acc);
	CHECK_HEX(0x200027, R.leaf);
	CHECK_HEX(0, R.dirty);
	CHECK_HEX(0, R.global);
}

static void test_4level_pde_ps_maps_2m_and_pdpte_ps_maps_1g(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	put64(0x12018, 0x400000 | PWU | PS | G);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_OK(0x404abc);
	CHECK_HEX(3, R.nsteps);
	CHECK_HEX(2ULL << 20, R.page_size);
	CHECK_TRUE(R.global);
	put64(0x11010, 0x40000000 | PWU | PS);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_OK(0x40604abc);
	CHECK_HEX(3, R.level);
	CHECK_HEX(1ULL << 30, R.page_size);
	/* Without 1 GiB pages the PS bit itself is reserved. */
	g.gbpages = false;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 3, VA4);
}

static void test_5level_4k_walk_reads_five_entries(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_5LVL, TBL[5]);

	(void)state;
	chain8(TBL, 0, 5, VA5, 1, 0x200000, PWU, PWU);
	CHECK_TRUE(walk(&g, NULL, VA5, WALK_ACC_READ, 0));
	CHECK_OK(0x200abc);
	CHECK_HEX(5, R.nsteps);
	CHECK_STEP(0, 0, 5, 0xf000, 0xf008, 0xf008, 0x10007);
	CHECK_STEP(4, 0, 1, 0x13000, 0x13020, 0x13020, 0x200007);
}

static void test_non_canonical_address_is_gp_in_4_and_5_level(void **state)
{
	struct walk_cfg g4 = std4();
	struct walk_cfg g5 = cfg_legacy(WALK_FMT_5LVL, TBL[5]);
	static const u64 bad4[] = {0x0000800000000000ULL, 0xffff7ffffffff000ULL,
				   0x8000000000000000ULL};

	(void)state;
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(bad4); i++) {
		CHECK_HEX(0, walk(&g4, NULL, bad4[i], WALK_ACC_READ, 0));
		CHECK_HEX(WALK_FAULT_GP, R.fault.kind);
		CHECK_HEX(13, R.fault.vector);
		CHECK_HEX(0, R.fault.error_code);
		CHECK_HEX(0, R.nsteps);
		CHECK_HEX(0, R.refs);
	}
	/* 0xffff8000_00000000 is canonical in 4-level: the walk reads PML4[256]. */
	CHECK_HEX(0, walk(&g4, NULL, 0xffff800000000000ULL, WALK_ACC_READ, 0));
	CHECK_PF(0, 4, 0xffff800000000000ULL);
	/* 5-level: bit 47 is an address bit, bits 63:56 must copy bit 56. */
	CHECK_HEX(0, walk(&g5, NULL, 0x0000800000000000ULL, WALK_ACC_READ, 0));
	CHECK_PF(0, 5, 0x0000800000000000ULL);
	CHECK_HEX(0, walk(&g5, NULL, 0x0100000000000000ULL, WALK_ACC_READ, 0));
	CHECK_HEX(WALK_FAULT_GP, R.fault.kind);
	CHECK_HEX(0, R.nsteps);
	CHECK_HEX(0, walk(&g5, NULL, 0xfeff000000000000ULL, WALK_ACC_READ, 0));
	CHECK_HEX(WALK_FAULT_GP, R.fault.kind);
}

static void test_not_present_at_each_level_faults_there(void **state)
{
	(void)state;
	for (unsigned l = 4; l >= 1; l--) {
		struct walk_cfg g = std4();

		put64(ent8(TBL, 0, VA4, l), 0x5000); /* P=0: the other bits are not looked at */
		CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
		CHECK_PF(PFERR_W | PFERR_U, (u8)l, VA4);
		CHECK_HEX(5 - l, R.nsteps);
		CHECK_HEX(0, R.fault.nomem);
		CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_FETCH, 0));
		CHECK_PF(PFERR_FETCH, (u8)l, VA4);
		CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0));
		CHECK_PF(0, (u8)l, VA4);
	}
}

static void test_reserved_bit_at_each_level_faults_rsvd(void **state)
{
	(void)state;
	for (unsigned l = 4; l >= 1; l--) {
		struct walk_cfg g = std4();
		u64 e = ent8(TBL, 0, VA4, l);

		put64(e, get64(e) | BIT_ULL(46)); /* bit M of a MAXPHYADDR-46 CPU */
		CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
		CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_W | PFERR_U, (u8)l, VA4);
		CHECK_HEX(5 - l, R.nsteps);
		CHECK_HEX(0, nwrote);
	}
}

static void test_pml4e_ps_is_reserved_and_bit8_only_on_amd(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	put64(0x10008, 0x11007 | PS);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 4, VA4);
	put64(0x10008, 0x11007 | G);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	g.vendor = CPU_VENDOR_AMD;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 4, VA4);
	/* A non-leaf PDPTE's bit 8 is ignored on both vendors. */
	put64(0x10008, 0x11007);
	put64(0x11010, 0x12007 | G);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 0));
}

static void test_xd_is_reserved_when_nxe_is_clear(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	put64(0x13020, 0x200007 | XD);
	g.nxe = false;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_PF(PFERR_P | PFERR_RSVD, 1, VA4);
	g.nxe = true;
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_HEX(ACC_WRITE | ACC_USER, R.acc);
}

static void test_table_read_without_memory_is_not_present_with_nomem(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	put64(0x11010, 0x40000000 | PWU); /* PD beyond every memslot */
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_PF(PFERR_W, 2, VA4);
	CHECK_TRUE(R.fault.nomem);
	CHECK_HEX(3, R.nsteps);
	CHECK_HEX(3, R.refs);
	CHECK_STEP(2, 0, 2, 0x40000000, 0x40000018, 0x40000018, 0);
}

/* ---- the access-rights check (SDM 4.6) ---- */

/* std4 with the leaf's flags replaced. */
static struct walk_cfg leaf4(u64 leafflags)
{
	struct walk_cfg g = std4();

	put64(0x13020, 0x200000 | leafflags);
	return g;
}

static void test_user_access_rights_and_error_codes(void **state)
{
	struct walk_req q = {.addr = VA4, .acc = WALK_ACC_READ, .cpl = 3};
	struct walk_cfg g;

	(void)state;
	g = leaf4(P | W);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_U, 0, VA4);
	g = leaf4(P | U);
	g.wp = false; /* CR0.WP does not matter at CPL 3 */
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U, 0, VA4);
	g = leaf4(PWU | XD);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_FETCH, 3));
	CHECK_PF(PFERR_P | PFERR_U | PFERR_FETCH, 0, VA4);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	/* U/S=0 in an upper level makes the whole address supervisor-mode. */
	g = leaf4(PWU);
	put64(0x11010, 0x12003);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_U, 0, VA4);
	q.flags = WALK_F_PROBE; /* the rights the walk computed */
	CHECK_TRUE(walk_req(&g, NULL, &q));
	CHECK_HEX(ACC_WRITE | ACC_EXEC, R.acc);
}

static void test_supervisor_write_needs_writable_only_with_cr0_wp(void **state)
{
	struct walk_cfg g = leaf4(P);

	(void)state;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_PF(PFERR_P | PFERR_W, 0, VA4);
	g.wp = false;
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_OK(0x200abc);
	CHECK_HEX(0x200000 | P | A | D, get64(0x13020));
}

static void test_smep_blocks_supervisor_fetch_from_user_page(void **state)
{
	struct walk_cfg g = leaf4(PWU);

	(void)state;
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_FETCH, 0));
	g.smep = true;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_PF(PFERR_P | PFERR_FETCH, 0, VA4);
	/* Supervisor fetch from an XD supervisor page. */
	g = leaf4(P | W | XD);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_FETCH, 1));
	CHECK_PF(PFERR_P | PFERR_FETCH, 0, VA4);
}

static void test_smap_blocks_supervisor_data_access_unless_explicit_with_ac(void **state)
{
	struct walk_cfg g = leaf4(PWU);
	struct walk_req q = {.addr = VA4, .acc = WALK_ACC_READ, .cpl = 0};

	(void)state;
	g.smap = true;
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_PF(PFERR_P, 0, VA4);
	q.ac = true;
	CHECK_TRUE(walk_req(&g, NULL, &q));
	q.implicit = true; /* AC cannot open implicit supervisor accesses */
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_PF(PFERR_P, 0, VA4);
	q.cpl = 3; /* an implicit access at CPL 3 is a supervisor access: U=0 */
	q.acc = WALK_ACC_WRITE;
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_PF(PFERR_P | PFERR_W, 0, VA4);
	/* With AC=1 a write to a read-only user page is then a CR0.WP fault. */
	g = leaf4(P | U);
	g.smap = true;
	q = (struct walk_req){.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 0, .ac = true};
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_PF(PFERR_P | PFERR_W, 0, VA4);
	CHECK_TRUE(strstr(R.fault.rule, "WP") != NULL);
	/* Fetches are not data accesses: SMAP does not apply. */
	q.acc = WALK_ACC_FETCH;
	q.ac = false;
	CHECK_TRUE(walk_req(&g, NULL, &q));
}

static void test_pkru_ad_and_wd_set_pk_for_user_mode_addresses(void **state)
{
	struct walk_cfg g = leaf4(PWU | (3ULL << 59));
	const struct walk_req sup = {.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 0};

	(void)state;
	g.pke = true;
	g.pkru = 1u << 6; /* AD for key 3 */
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_U | PFERR_PK, 0, VA4);
	CHECK_HEX(3, R.steps[3].pte >> 59);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 0)); /* supervisor too */
	CHECK_PF(PFERR_P | PFERR_PK, 0, VA4);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_FETCH, 3)); /* not fetches */
	g.pkru = 1u << 7; /* WD for key 3 */
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_HEX(3, R.pkey);
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U | PFERR_PK, 0, VA4);
	CHECK_HEX(0, walk_req(&g, NULL, &sup)); /* supervisor write, CR0.WP=1 */
	CHECK_PF(PFERR_P | PFERR_W | PFERR_PK, 0, VA4);
	g.wp = false;
	CHECK_TRUE(walk_req(&g, NULL, &sup));
	/* A supervisor-mode address ignores PKRU. */
	put64(0x13020, 0x200000 | P | W | (3ULL << 59));
	g.pkru = 3u << 6;
	CHECK_TRUE(walk_req(&g, NULL, &sup));
	/* PK is independent: a user write to a read-only page with WD set. */
	g = leaf4(P | U | (3ULL << 59));
	g.pke = true;
	g.pkru = 1u << 7;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U | PFERR_PK, 0, VA4);
	CHECK_TRUE(strstr(R.fault.rule, "read-only") != NULL);
	/* PKU exists only in 4/5-level paging with CR4.PKE. */
	g.pke = false;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U, 0, VA4);
}

static void test_walk_permission_matches_walk_rules(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, 0);
	struct walk_req q = {.acc = WALK_ACC_WRITE, .cpl = 3};
	const char *rule = NULL;

	(void)state;
	CHECK_HEX(0, walk_permission(&g, &q, ACC_ALL, 0, &rule));
	CHECK_TRUE(rule == NULL);
	CHECK_HEX(PFERR_P | PFERR_W | PFERR_U,
		  walk_permission(&g, &q, ACC_USER | ACC_EXEC, 0, &rule));
	CHECK_TRUE(rule != NULL);
	q.acc = WALK_ACC_FETCH;
	CHECK_HEX(PFERR_P | PFERR_U | PFERR_FETCH,
		  walk_permission(&g, &q, ACC_USER | ACC_WRITE, 0, NULL));
	/* NXE=0: everything is executable whatever acc says. */
	g.nxe = false;
	CHECK_HEX(0, walk_permission(&g, &q, ACC_USER | ACC_WRITE, 0, NULL));
	/* NPT: a user access, no WP/SMAP/SMEP/PKU. */
	g = cfg_npt(WALK_FMT_4LVL, 0);
	g.smap = g.pke = true;
	g.pkru = ~0u;
	q = (struct walk_req){.acc = WALK_ACC_READ, .cpl = 0};
	CHECK_HEX(0, walk_permission(&g, &q, ACC_USER, 1, NULL));
	CHECK_HEX(PFERR_P | PFERR_U, walk_permission(&g, &q, ACC_WRITE | ACC_EXEC, 0, NULL));
	q.acc = WALK_ACC_WRITE;
	CHECK_HEX(PFERR_P | PFERR_W | PFERR_U, walk_permission(&g, &q, ACC_USER, 0, NULL));
}

/* ---- accessed and dirty flags (SDM 4.8) ---- */

static void test_ad_set_only_on_success_and_d_only_on_writes(void **state)
{
	struct walk_cfg g = std4();

	(void)state;
	/* A read: A everywhere, no D; one wrote() per entry. */
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_HEX(4, nwrote);
	for (unsigned i = 0; i < 4; i++)
		CHECK_HEX(WALK_STEP_AD_SET, R.steps[i].flags);
	CHECK_HEX(0x11027, get64(0x10008));
	CHECK_HEX(0x12027, get64(0x11010));
	CHECK_HEX(0x13027, get64(0x12018));
	CHECK_HEX(0x200027, get64(0x13020));
	CHECK_TRUE(gmem_test_dirty(M, 0, 0x13000));
	/* Again: nothing left to write. */
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_HEX(0, nwrote);
	CHECK_HEX(0, R.steps[3].flags);
	/* A write: D in the leaf only. */
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_HEX(1, nwrote);
	CHECK_HEX(0x200067, get64(0x13020));
	CHECK_HEX(0x13027, get64(0x12018));
	CHECK_HEX(0x200067, R.leaf);
	CHECK_TRUE(R.dirty);
}

static void test_faulting_walk_writes_no_ad(void **state)
{
	struct walk_cfg g = leaf4(P | U);

	(void)state;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_HEX(0, nwrote);
	CHECK_HEX(0x11007, get64(0x10008));
	CHECK_HEX(0x200005, get64(0x13020));
}

static void test_ad_upper_on_fault_sets_a_in_entries_above_the_fault(void **state)
{
	struct walk_cfg g = leaf4(P | U);
	struct walk_req q = {
		.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 3, .flags = WALK_F_AD_UPPER_ON_FAULT};

	(void)state;
	/* A leaf rights fault: A in the three upper entries, not in the leaf. */
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_HEX(3, nwrote);
	CHECK_HEX(0x11027, get64(0x10008));
	CHECK_HEX(0x12027, get64(0x11010));
	CHECK_HEX(0x13027, get64(0x12018));
	CHECK_HEX(0x200005, get64(0x13020));
	/* Not present at level 2: A above it only. */
	g = std4();
	put64(0x12018, 0);
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_HEX(2, nwrote);
	CHECK_HEX(0x12027, get64(0x11010));
	CHECK_HEX(0, get64(0x12018));
}

static void test_read_only_memslot_drops_ad_writes(void **state)
{
	static const u64 rot[6] = {0, RO_BASE + 0x3000, RO_BASE + 0x2000, RO_BASE + 0x1000,
				   RO_BASE};
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, RO_BASE);

	(void)state;
	chain8(rot, 0, 4, VA4, 1, 0x200000, PWU, PWU);
	CHECK_TRUE(walk(&g, NULL, VA4, WALK_ACC_WRITE, 3));
	CHECK_OK(0x200abc);
	CHECK_HEX(0, nwrote);
	CHECK_HEX(0, R.steps[0].flags);
	CHECK_HEX(RO_BASE + 0x1007, get64(RO_BASE + 8));
	CHECK_HEX(0x200007, get64(ent8(rot, 0, VA4, 1)));
	CHECK_HEX(0x200007, R.leaf);
	CHECK_HEX(0, R.dirty);
}

static void test_probe_writes_nothing_and_skips_rights(void **state)
{
	struct walk_cfg g = leaf4(P | XD);
	struct walk_req q = {.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 3, .flags = WALK_F_PROBE};

	(void)state;
	CHECK_TRUE(walk_req(&g, NULL, &q));
	CHECK_OK(0x200abc);
	CHECK_HEX(0, nwrote);
	CHECK_HEX(0x11007, get64(0x10008));
	CHECK_HEX(P | XD | 0x200000, get64(0x13020));
	CHECK_HEX(0, R.acc); /* supervisor, read-only, XD */
	/* Not-present and reserved faults are still reported. */
	put64(0x12018, 0x13007 | BIT_ULL(47));
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_W | PFERR_U, 2, VA4);
	q.flags |= WALK_F_AD_UPPER_ON_FAULT;
	CHECK_HEX(0, walk_req(&g, NULL, &q));
	CHECK_HEX(0, nwrote);
}

/* ---- EPT (SDM 29.3), a lone walk of a guest-physical address ---- */

static struct walk_cfg ept_std(bool ad)
{
	chain8(ETBL, 0, 4, VA4, 1, 0x500000, ERWX, ERWX | EWB);
	return cfg_ept(ETBL[4], 4, ad);
}

static void check_ept_violation(const char *file, int line, u64 qual, u8 level, u64 gpa)
{
	check_hex(file, line, "ok", 0, R.ok);
	check_hex(file, line, "fault.kind", WALK_FAULT_EPT_VIOLATION, R.fault.kind);
	check_hex(file, line, "fault.vector", 0, R.fault.vector);
	check_hex(file, line, "fault.exit_qual", qual, R.fault.exit_qual);
	check_hex(file, line, "fault.level", level, R.fault.level);
	check_hex(file, line, "fault.gpa", gpa, R.fault.gpa);
}
#define CHECK_EPT_VIOLATION(...) check_ept_violation(__FILE__, __LINE__, __VA_ARGS__)

static void check_ept_misconfig(const char *file, int line, u8 level, u64 gpa)
{
	check_hex(file, line, "ok", 0, R.ok);
	check_hex(file, line, "fault.kind", WALK_FAULT_EPT_MISCONFIG, R.fault.kind);
	check_hex(file, line, "fault.exit_qual", 0, R.fault.exit_qual);
	check_hex(file, line, "fault.level", level, R.fault.level);
	check_hex(file, line, "fault.gpa", gpa, R.fault.gpa);
}
#define CHECK_EPT_MISCONFIG(...) check_ept_misconfig(__FILE__, __LINE__, __VA_ARGS__)

static void test_ept_4k_2m_1g_translations(void **state)
{
	struct walk_cfg e = ept_std(false);

	(void)state;
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_OK(0x500abc);
	CHECK_HEX(4, R.nsteps);
	CHECK_STEP(0, 0, 4, 0x40000, 0x40008, 0x40008, 0x41007);
	CHECK_STEP(3, 0, 1, 0x43000, 0x43020, 0x43020, 0x500037);
	CHECK_HEX(ACC_ALL, R.acc);
	CHECK_HEX(0, nwrote); /* no EPT A/D without EPTP bit 6 */
	put64(0x42018, 0x600000 | ERWX | EWB | PS);
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_OK(0x604abc);
	CHECK_HEX(2ULL << 20, R.page_size);
	put64(0x41010, 0x40000000 | ERWX | EWB | PS);
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_OK(0x40604abc);
	/* Without the 1 GiB / 2 MiB capability PS is reserved: a misconfiguration. */
	e.ept_1g = false;
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(3, VA4);
	put64(0x41010, 0x42000 | ERWX);
	e.ept_2m = false;
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(2, VA4);
}

static void test_ept_not_present_violation_qualification(void **state)
{
	(void)state;
	for (unsigned l = 4; l >= 1; l--) {
		struct walk_cfg e = ept_std(false);

		put64(ent8(ETBL, 0, VA4, l), 0x9000 | EWB); /* XWR = 000 */
		CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
		CHECK_EPT_VIOLATION(EPT_QUAL_READ, (u8)l, VA4);
		CHECK_HEX(0, R.fault.gla);
		CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
		CHECK_EPT_VIOLATION(EPT_QUAL_WRITE, (u8)l, VA4);
		CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_FETCH, 0));
		CHECK_EPT_VIOLATION(EPT_QUAL_FETCH, (u8)l, VA4);
	}
}

static void test_ept_permission_violation_reports_and_of_rights(void **state)
{
	struct walk_cfg e = ept_std(false);

	(void)state;
	put64(0x43020, 0x500000 | ER | EWB);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_WRITE | EPT_QUAL_READABLE, 0, VA4);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_FETCH | EPT_QUAL_READABLE, 0, VA4);
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	/* An upper entry without X takes X away from the whole translation. */
	put64(0x43020, 0x500000 | ERWX | EWB);
	put64(0x41010, 0x42000 | ER | EW);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_FETCH | EPT_QUAL_READABLE | EPT_QUAL_WRITABLE, 0, VA4);
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_HEX(ACC_USER | ACC_WRITE, R.acc);
}

static void test_ept_execute_only_needs_the_capability(void **state)
{
	struct walk_cfg e = ept_std(false);

	(void)state;
	put64(0x43020, 0x500000 | EX | EWB);
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_HEX(ACC_EXEC, R.acc);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ | EPT_QUAL_EXECUTABLE, 0, VA4);
	e.ept_execonly = false;
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_EPT_MISCONFIG(1, VA4);
}

static void test_ept_misconfig_write_without_read_bad_memtype_rsvd(void **state)
{
	struct walk_cfg e = ept_std(false);

	(void)state;
	put64(0x43020, 0x500000 | EW | EX | EWB); /* XWR = 110 */
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(1, VA4);
	CHECK_TRUE(strstr(R.fault.rule, "write without read") != NULL);
	put64(0x43020, 0x500000 | ERWX);
	put64(0x41010, 0x42000 | EW); /* XWR = 010 in a non-leaf */
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(3, VA4);
	put64(0x41010, 0x42000 | ERWX);
	for (u64 mt = 0; mt < 8; mt++) {
		bool bad = mt == 2 || mt == 3 || mt == 7;

		put64(0x43020, 0x500000 | ERWX | (mt << 3));
		CHECK_HEX(!bad, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
		if (bad)
			CHECK_EPT_MISCONFIG(1, VA4);
	}
	put64(0x43020, 0x500000 | ERWX | EWB);
	put64(0x40008, 0x41000 | ERWX | (6 << 3)); /* bits 7:3 reserved in a PML4E */
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(4, VA4);
	put64(0x40008, 0x41000 | ERWX | BIT_ULL(46));
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_MISCONFIG(4, VA4);
	/* A not-present entry's other bits are not looked at. */
	put64(0x40008, 0x41000 | (6 << 3) | BIT_ULL(46));
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ, 4, VA4);
}

static void test_ept_ad_sets_bit8_everywhere_and_bit9_on_write(void **state)
{
	struct walk_cfg e = ept_std(true);

	(void)state;
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_HEX(4, nwrote);
	CHECK_HEX(0x41007 | EA, get64(0x40008));
	CHECK_HEX(0x43007 | EA, get64(0x42018));
	CHECK_HEX(0x500037 | EA, get64(0x43020));
	CHECK_TRUE(walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_HEX(1, nwrote);
	CHECK_HEX(0x500037 | EA | ED, get64(0x43020));
	CHECK_TRUE(R.dirty);
	/* A violation writes nothing. */
	put64(0x43020, 0x500000 | ER | EWB);
	put64(0x40008, 0x41007);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_HEX(0, nwrote);
	CHECK_HEX(0x41007, get64(0x40008));
}

static void test_ept_5level_and_bad_walk_length(void **state)
{
	struct walk_cfg e = cfg_ept(ETBL[5], 5, false);

	(void)state;
	chain8(ETBL, 0, 5, VA5, 1, 0x500000, ERWX, ERWX | EWB);
	CHECK_TRUE(walk(&e, NULL, VA5, WALK_ACC_READ, 0));
	CHECK_OK(0x500abc);
	CHECK_HEX(5, R.nsteps);
	e.levels = 3;
	CHECK_HEX(0, walk(&e, NULL, VA5, WALK_ACC_READ, 0));
	CHECK_HEX(WALK_FAULT_EPT_MISCONFIG, R.fault.kind);
	CHECK_HEX(0, R.nsteps);
}

/* ---- NPT (APM 15.25), a lone walk of a guest-physical address ---- */

static struct walk_cfg npt_std(void)
{
	chain8(TBL, 0, 4, VA4, 1, 0x200000, PWU, PWU);
	return cfg_npt(WALK_FMT_4LVL, TBL[4]);
}

static void check_npf(const char *file, int line, u64 info1, u8 level, u64 gpa)
{
	check_hex(file, line, "ok", 0, R.ok);
	check_hex(file, line, "fault.kind", WALK_FAULT_NPF, R.fault.kind);
	check_hex(file, line, "fault.vector", 0, R.fault.vector);
	check_hex(file, line, "fault.error_code (EXITINFO1)", info1, R.fault.error_code);
	check_hex(file, line, "fault.level", level, R.fault.level);
	check_hex(file, line, "fault.gpa (EXITINFO2)", gpa, R.fault.gpa);
}
#define CHECK_NPF(...) check_npf(__FILE__, __LINE__, __VA_ARGS__)

static void test_npt_faults_are_user_and_carry_exitinfo1_bit32(void **state)
{
	struct walk_cfg n = npt_std();

	(void)state;
	CHECK_TRUE(walk(&n, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_OK(0x200abc);
	put64(0x12018, 0);
	CHECK_HEX(0, walk(&n, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_U, 2, VA4);
	put64(0x12018, 0x13007);
	put64(0x13020, 0x200000 | P | U);
	CHECK_HEX(0, walk(&n, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_W | PFERR_U, 0, VA4);
	/* U/S=0 faults even for what the guest thinks is a supervisor access. */
	put64(0x13020, 0x200000 | P | W);
	CHECK_HEX(0, walk(&n, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_U, 0, VA4);
	put64(0x13020, 0x200000 | PWU | XD);
	CHECK_HEX(0, walk(&n, NULL, VA4, WALK_ACC_FETCH, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_U | PFERR_FETCH, 0, VA4);
	/* AMD reserves bit 8 of a PML4E. */
	put64(0x10008, 0x11007 | G);
	CHECK_HEX(0, walk(&n, NULL, VA4, WALK_ACC_READ, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_RSVD | PFERR_U, 4, VA4);
}

static void test_npt_ignores_wp_smap_smep_pku(void **state)
{
	struct walk_cfg n = npt_std();

	(void)state;
	n.wp = n.smap = n.smep = n.pke = true;
	n.pkru = ~0u;
	put64(0x13020, 0x200000 | PWU | (5ULL << 59));
	CHECK_TRUE(walk(&n, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_TRUE(walk(&n, NULL, VA4, WALK_ACC_FETCH, 0));
}

static void test_npt_pae_reads_pdptes_from_memory(void **state)
{
	struct walk_cfg n = cfg_npt(WALK_FMT_PAE, 0x30000);

	(void)state;
	n.pdpte[2] = 0x77001; /* not used: NPT has no PDPTE registers */
	put64(0x30010, 0x31001);
	put64(0x31038, 0x32007);
	put64(0x32040, 0x400007);
	CHECK_TRUE(walk(&n, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_OK(0x400045);
	CHECK_HEX(3, R.refs);
	CHECK_STEP(0, 0, 3, 0x30000, 0x30010, 0x30010, 0x31001);
	CHECK_HEX(0, R.steps[0].flags & WALK_STEP_PDPTR);
	CHECK_HEX(0x31001, get64(0x30010)); /* no A bit in a PDPTE */
	put64(0x30010, 0x31001 | BIT_ULL(5));
	CHECK_HEX(0, walk(&n, NULL, VAPAE, WALK_ACC_READ, 0));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_RSVD | PFERR_U, 3, VAPAE);
}

/* ---- nested paging: each guest table address and the final GPA translated ---- */

#define NOFF 0x200000ULL /* second stage maps GPA x to x + NOFF for x < 2 MiB */
static const u64 NTBL[6] = {0, 0x803000, 0x802000, 0x801000, 0x800000, 0x7ff000};

/* Map GPA [0, 2 MiB) to [NOFF, NOFF + 2 MiB) with 4 KiB pages in @levels levels. */
static void second_stage_map(unsigned levels, u64 upper, u64 leaf)
{
	for (unsigned l = levels; l >= 2; l--)
		put64(NTBL[l], NTBL[l - 1] | upper);
	for (u64 i = 0; i < 512; i++)
		put64(NTBL[1] + i * 8, (NOFF + i * PAGE_SIZE) | leaf);
}

/* The guest maps @va -> GPA 0x100000 in tables at TBL (GPA), stored at GPA + NOFF. */
static void guest_map(unsigned levels, u64 va, u64 leafflags)
{
	chain8(TBL, NOFF, levels, va, 1, 0x100000, PWU, leafflags);
}

static void test_nested_4level_over_4level_ept_reads_24_entries(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, false);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, PWU);
	CHECK_TRUE(walk(&g, &e, VA4, WALK_ACC_READ, 3));
	CHECK_OK(0x300abc);
	CHECK_HEX(0x100abc, R.gpa1);
	CHECK_HEX(24, R.refs);
	CHECK_HEX(20, R.nested_refs);
	CHECK_HEX(24, R.nsteps);
	/* The PML4E's address goes through EPT first, then the PML4E is read. */
	CHECK_STEP(0, 1, 4, 0x800000, 0x800000, 0x800000, 0x801000 | ERWX);
	CHECK_STEP(3, 1, 1, 0x803000, 0x803000 + 0x10 * 8, 0x803000 + 0x10 * 8,
		   0x210000 | ERWX | EWB);
	CHECK_STEP(4, 0, 4, 0x10000, 0x10008, 0x210008, 0x11007);
	CHECK_STEP(19, 0, 1, 0x13000, 0x13020, 0x213020, 0x100007);
	CHECK_STEP(23, 1, 1, 0x803000, 0x803000 + 0x100 * 8, 0x803000 + 0x100 * 8,
		   0x300000 | ERWX | EWB);
	CHECK_HEX(ACC_ALL, R.nested_acc);
	CHECK_HEX(4096, R.nested_page_size);
	/* Guest A bits land at the host addresses of the guest entries. */
	CHECK_HEX(0x11027, get64(0x210008));
	CHECK_HEX(0x100027, get64(0x213020));
}

static void test_nested_5level_over_5level_ept_reads_35_entries(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_5LVL, TBL[5]);
	struct walk_cfg e = cfg_ept(NTBL[5], 5, true);

	(void)state;
	second_stage_map(5, ERWX, ERWX | EWB);
	guest_map(5, VA5, PWU);
	CHECK_TRUE(walk(&g, &e, VA5, WALK_ACC_WRITE, 0));
	CHECK_OK(0x300abc);
	CHECK_HEX(35, R.refs);
	CHECK_HEX(30, R.nested_refs);
	CHECK_HEX(35, R.nsteps);
}

static void test_nested_4level_over_npt_reads_24_entries(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg n = cfg_npt(WALK_FMT_4LVL, NTBL[4]);

	(void)state;
	second_stage_map(4, PWU, PWU);
	guest_map(4, VA4, PWU);
	CHECK_TRUE(walk(&g, &n, VA4, WALK_ACC_READ, 3));
	CHECK_OK(0x300abc);
	CHECK_HEX(24, R.refs);
	CHECK_HEX(20, R.nested_refs);
	/* NPT A/D: guest-table accesses are writes, so their NPT leaves get D;
	 * the final read gets A only. */
	CHECK_HEX(0x210000 | PWU | A | D, get64(NTBL[1] + 0x10 * 8));
	CHECK_HEX(0x213000 | PWU | A | D, get64(NTBL[1] + 0x13 * 8));
	CHECK_HEX(0x300000 | PWU | A, get64(NTBL[1] + 0x100 * 8));
	CHECK_HEX(NTBL[3] | PWU | A, get64(NTBL[4]));
}

static void test_nested_pae_guest_uses_pdpte_registers(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_PAE, 0x30000);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, false);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	g.pdpte[2] = 0x31001;
	put64(0x31038 + NOFF, 0x32007);
	put64(0x32040 + NOFF, 0x100007);
	CHECK_TRUE(walk(&g, &e, VAPAE, WALK_ACC_READ, 0));
	CHECK_OK(0x300045);
	CHECK_HEX(14, R.refs); /* 2 x (4 + 1) + 4 */
	CHECK_HEX(WALK_STEP_PDPTR, R.steps[0].flags);
}

static void test_guest_pf_beats_ept_violation_on_final_address(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, false);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, P | U);
	put64(NTBL[1] + 0x100 * 8, 0); /* the final GPA is not mapped by EPT */
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_WRITE, 3));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U, 0, VA4);
	CHECK_HEX(0, R.fault.stage);
	CHECK_HEX(20, R.refs);
	/* Once the guest allows it, the EPT violation on the final GPA shows. */
	put64(ent8(TBL, NOFF, VA4, 1), 0x100000 | PWU);
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_WRITE, 3));
	CHECK_EPT_VIOLATION(EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLAT, 1, 0x100abc);
	CHECK_HEX(1, R.fault.stage);
	CHECK_HEX(VA4, R.fault.gla);
	CHECK_HEX(0, nwrote); /* and nothing written: the access did not pass */
}

static void test_ept_violation_on_guest_table_clears_qual_bit8(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, false);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, PWU);
	put64(NTBL[1] + 0x12 * 8, 0); /* the guest PD page */
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_FETCH, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ | EPT_QUAL_GLA_VALID, 1, 0x12018);
	CHECK_HEX(VA4, R.fault.gla);
	CHECK_HEX(1, R.fault.stage);
	/* With EPT A/D the guest-table access is a write: bits 0 and 1. */
	e.ept_ad = true;
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID, 1, 0x12018);
	/* A read-only EPT mapping of a guest table then faults on rights. */
	put64(NTBL[1] + 0x12 * 8, (NOFF + 0x12000) | ER | EWB);
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID | EPT_QUAL_READABLE,
			    0, 0x12018);
	/* Without EPT A/D the table read is a read, but setting the guest PDE's A
	 * bit is a data write (SDM 29.3.3.2): a violation for the A/D update. */
	e.ept_ad = false;
	CHECK_HEX(0, walk(&g, &e, VA4, WALK_ACC_READ, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_READ | EPT_QUAL_WRITE | EPT_QUAL_GLA_VALID | EPT_QUAL_READABLE,
			    0, 0x12018);
	/* With A already set in that PDE nothing is written: the read succeeds. */
	put64(NOFF + 0x12018, get64(NOFF + 0x12018) | A);
	CHECK_TRUE(walk(&g, &e, VA4, WALK_ACC_READ, 0));
}

static void test_nested_ept_ad_marks_guest_tables_dirty(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, true);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, PWU);
	CHECK_TRUE(walk(&g, &e, VA4, WALK_ACC_READ, 0));
	CHECK_HEX((NOFF + 0x11000) | ERWX | EWB | EA | ED, get64(NTBL[1] + 0x11 * 8));
	CHECK_HEX(0x300000 | ERWX | EWB | EA, get64(NTBL[1] + 0x100 * 8));
	CHECK_HEX(NTBL[3] | ERWX | EA, get64(NTBL[4]));
}

static void test_npf_on_guest_table_sets_exitinfo1_bit33(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg n = cfg_npt(WALK_FMT_4LVL, NTBL[4]);

	(void)state;
	second_stage_map(4, PWU, PWU);
	guest_map(4, VA4, PWU);
	put64(NTBL[1] + 0x11 * 8, 0);
	CHECK_HEX(0, walk(&g, &n, VA4, WALK_ACC_READ, 0));
	CHECK_NPF(PFERR_GUEST_PAGE | PFERR_W | PFERR_U, 1, 0x11010);
	CHECK_HEX(1, R.fault.stage);
	put64(NTBL[1] + 0x11 * 8, (NOFF + 0x11000) | PWU);
	put64(NTBL[1] + 0x100 * 8, (NOFF + 0x100000) | P | U);
	CHECK_HEX(0, walk(&g, &n, VA4, WALK_ACC_WRITE, 3));
	CHECK_NPF(PFERR_GUEST_FINAL | PFERR_P | PFERR_W | PFERR_U, 0, 0x100abc);
}

static void test_nested_probe_writes_nothing(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, true);
	struct walk_req q = {.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 3, .flags = WALK_F_PROBE};

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, P);
	CHECK_TRUE(walk_req(&g, &e, &q));
	CHECK_OK(0x300abc);
	CHECK_HEX(0, nwrote);
	CHECK_HEX(NTBL[3] | ERWX, get64(NTBL[4]));
	CHECK_HEX(0x100001, get64(ent8(TBL, NOFF, VA4, 1)));
}

static void test_nested_ad_writes_each_shared_entry_once(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, true);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, PWU);
	CHECK_TRUE(walk(&g, &e, VA4, WALK_ACC_READ, 0));
	/* 3 EPT upper entries shared by all five second-stage walks, 5 EPT leaves
	 * (4 guest tables + the data page), 4 guest entries. */
	CHECK_HEX(12, nwrote);
	CHECK_HEX(WALK_STEP_AD_SET, R.steps[0].flags);
	CHECK_HEX(0, R.steps[5].flags); /* EPT PML4E again: already written */
	CHECK_TRUE(walk(&g, &e, VA4, WALK_ACC_READ, 0));
	CHECK_HEX(0, nwrote);
}

static void test_ad_upper_on_fault_in_nested_walk_spares_every_leaf(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, TBL[4]);
	struct walk_cfg e = cfg_ept(NTBL[4], 4, true);
	struct walk_req q = {
		.addr = VA4, .acc = WALK_ACC_WRITE, .cpl = 3, .flags = WALK_F_AD_UPPER_ON_FAULT};

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	guest_map(4, VA4, P | U); /* a guest rights fault on the leaf */
	CHECK_HEX(0, walk_req(&g, &e, &q));
	CHECK_PF(PFERR_P | PFERR_W | PFERR_U, 0, VA4);
	CHECK_HEX(6, nwrote); /* 3 EPT non-leaf + 3 guest non-leaf */
	CHECK_HEX(NTBL[3] | ERWX | EA, get64(NTBL[4]));
	CHECK_HEX((NOFF + 0x10000) | ERWX | EWB, get64(NTBL[1] + 0x10 * 8));
	CHECK_HEX(0x11027, get64(ent8(TBL, NOFF, VA4, 4)));
	CHECK_HEX(0x100005, get64(ent8(TBL, NOFF, VA4, 1)));
}

static void test_pk_is_not_reported_with_a_reserved_bit_fault(void **state)
{
	struct walk_cfg g = leaf4(PWU | (3ULL << 59) | BIT_ULL(48));

	(void)state;
	g.pke = true;
	g.pkru = 3u << 6;
	CHECK_HEX(0, walk(&g, NULL, VA4, WALK_ACC_READ, 3));
	CHECK_PF(PFERR_P | PFERR_RSVD | PFERR_U, 1, VA4);
}

static void test_nested_guest_without_paging_has_gla_valid_final_access(void **state)
{
	struct walk_cfg g = {.fmt = WALK_FMT_NONE};
	struct walk_cfg e = cfg_ept(NTBL[4], 4, false);

	(void)state;
	second_stage_map(4, ERWX, ERWX | EWB);
	CHECK_TRUE(walk(&g, &e, 0x100abc, WALK_ACC_READ, 0));
	CHECK_OK(0x300abc);
	CHECK_HEX(0x100abc, R.gpa1);
	CHECK_HEX(4, R.refs);
	CHECK_HEX(4, R.nested_refs);
	CHECK_HEX(1, R.steps[0].stage);
	put64(NTBL[1] + 0x100 * 8, (NOFF + 0x100000) | ER | EWB);
	CHECK_HEX(0, walk(&g, &e, 0x100abc, WALK_ACC_WRITE, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_WRITE | EPT_QUAL_READABLE | EPT_QUAL_GLA_VALID |
				    EPT_QUAL_GLA_XLAT,
			    0, 0x100abc);
	CHECK_HEX(0x100abc, R.fault.gla);
}

static void test_lone_ept_walk_is_stage_0_without_gla(void **state)
{
	struct walk_cfg e = ept_std(false);

	(void)state;
	put64(0x43020, 0);
	CHECK_HEX(0, walk(&e, NULL, VA4, WALK_ACC_WRITE, 0));
	CHECK_EPT_VIOLATION(EPT_QUAL_WRITE, 1, VA4);
	CHECK_HEX(0, R.fault.stage);
	CHECK_HEX(0, R.fault.gla);
	CHECK_HEX(0, R.fault.cr2);
	CHECK_HEX(0, R.steps[3].stage);
}

/* ---- decoder, names, cfg builders ---- */

static void test_decode_entry_names_fields_per_format(void **state)
{
	struct walk_cfg g4 = cfg_legacy(WALK_FMT_4LVL, 0);
	struct walk_cfg g32 = cfg_legacy(WALK_FMT_32, 0);
	struct walk_cfg pae = cfg_legacy(WALK_FMT_PAE, 0);
	struct walk_cfg e = cfg_ept(0, 4, true);
	char buf[128];
	int n;

	(void)state;
	n = walk_decode_entry(&g4, 1, 0x9800000000200167ULL, buf, sizeof(buf));
	CHECK_STR("P W U A D G XD pkey=3 addr=0x200000", buf);
	CHECK_HEX(strlen(buf), n);
	walk_decode_entry(&g4, 2, 0x4000e3, buf, sizeof(buf));
	CHECK_STR("P W A D PS addr=0x400000", buf);
	walk_decode_entry(&g4, 4, 0x11027, buf, sizeof(buf));
	CHECK_STR("P W U A addr=0x11000", buf);
	walk_decode_entry(&g4, 1, 0x400000200001ULL, buf, sizeof(buf));
	CHECK_STR("P addr=0x400000200000 rsvd=0x400000000000", buf);
	walk_decode_entry(&g4, 3, 0, buf, sizeof(buf));
	CHECK_STR("not-present", buf);
	walk_decode_entry(&g4, 3, 0x1234000, buf, sizeof(buf));
	CHECK_STR("not-present raw=0x1234000", buf);
	g32.pse36 = true;
	walk_decode_entry(&g32, 2, 0xc00087 | (0x5au << 13), buf, sizeof(buf));
	CHECK_STR("P W U PS addr=0x5a00c00000", buf);
	walk_decode_entry(&pae, 3, 0x31001, buf, sizeof(buf));
	CHECK_STR("P addr=0x31000", buf);
	walk_decode_entry(&e, 1, 0x500337, buf, sizeof(buf));
	CHECK_STR("R W X mt=6 A D addr=0x500000", buf);
	walk_decode_entry(&e, 2, 0x600000 | EX | PS | EWB | BIT_ULL(6), buf, sizeof(buf));
	CHECK_STR("X mt=6 IPAT PS addr=0x600000", buf);
	walk_decode_entry(&e, 4, 0x41007, buf, sizeof(buf));
	CHECK_STR("R W X addr=0x41000", buf);
	/* snprintf semantics: the length of the whole text, truncated output. */
	n = walk_decode_entry(&g4, 4, 0x11027, buf, 4);
	CHECK_HEX(strlen("P W U A addr=0x11000"), n);
	CHECK_STR("P W", buf);
}

static void test_fmt_names(void **state)
{
	(void)state;
	CHECK_STR("none", walk_fmt_name(WALK_FMT_NONE));
	CHECK_STR("32-bit", walk_fmt_name(WALK_FMT_32));
	CHECK_STR("PAE", walk_fmt_name(WALK_FMT_PAE));
	CHECK_STR("4-level", walk_fmt_name(WALK_FMT_4LVL));
	CHECK_STR("5-level", walk_fmt_name(WALK_FMT_5LVL));
	CHECK_STR("EPT", walk_fmt_name(WALK_FMT_EPT));
}

static void test_rsvd_mask_tables(void **state)
{
	struct walk_cfg g = cfg_legacy(WALK_FMT_4LVL, 0);
	struct walk_cfg e = cfg_ept(0, 4, false);

	(void)state;
	CHECK_HEX(GENMASK_ULL(51, 46) | PS, walk_rsvd_mask(&g, 4, false));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(29, 13), walk_rsvd_mask(&g, 3, true));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(20, 13), walk_rsvd_mask(&g, 2, true));
	CHECK_HEX(GENMASK_ULL(51, 46), walk_rsvd_mask(&g, 1, false));
	g.nxe = false;
	g.vendor = CPU_VENDOR_AMD;
	CHECK_HEX(GENMASK_ULL(51, 46) | PS | G | XD, walk_rsvd_mask(&g, 4, false));
	g = cfg_legacy(WALK_FMT_PAE, 0);
	CHECK_HEX(GENMASK_ULL(63, 46) | GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1),
		  walk_rsvd_mask(&g, 3, false));
	CHECK_HEX(GENMASK_ULL(62, 46) | GENMASK_ULL(20, 13), walk_rsvd_mask(&g, 2, true));
	g = cfg_legacy(WALK_FMT_32, 0);
	CHECK_HEX(GENMASK_ULL(21, 13), walk_rsvd_mask(&g, 2, true));
	CHECK_HEX(0, walk_rsvd_mask(&g, 1, false));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(7, 3), walk_rsvd_mask(&e, 4, false));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(6, 3), walk_rsvd_mask(&e, 3, false));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(29, 12), walk_rsvd_mask(&e, 3, true));
	CHECK_HEX(GENMASK_ULL(51, 46) | GENMASK_ULL(20, 12), walk_rsvd_mask(&e, 2, true));
	CHECK_HEX(GENMASK_ULL(51, 46), walk_rsvd_mask(&e, 1, false));
}

static void test_cfg_from_regs_per_paging_mode(void **state)
{
	struct cpu_features f;
	struct cpu_regs r = {0};
	struct walk_cfg c;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	walk_cfg_from_regs(&c, &r, &f);
	CHECK_HEX(WALK_FMT_NONE, c.fmt);
	r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	r.cr3 = 0x12345fff;
	r.cr4 = X86_CR4_PSE;
	walk_cfg_from_regs(&c, &r, &f);
	CHECK_HEX(WALK_FMT_32, c.fmt);
	CHECK_HEX(2, c.levels);
	CHECK_HEX(0x12345000, c.root);
	CHECK_TRUE(c.pse && c.wp);
	r.cr4 = X86_CR4_PAE | X86_CR4_PGE;
	r.pdpte[1] = 0x5001;
	walk_cfg_from_regs(&c, &r, &f);
	CHECK_HEX(WALK_FMT_PAE, c.fmt);
	CHECK_HEX(0x12345fe0, c.root);
	CHECK_HEX(0x5001, c.pdpte[1]);
	CHECK_TRUE(c.pge);
	r.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	r.cr4 = X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE | X86_CR4_PCIDE;
	r.cr3 = 0x7ffff123456789aULL;
	r.pkru = 0xc;
	walk_cfg_from_regs(&c, &r, &f);
	CHECK_HEX(WALK_FMT_4LVL, c.fmt);
	CHECK_HEX(4, c.levels);
	CHECK_HEX(0x3f1234567000ULL, c.root); /* bits 45:12 with MAXPHYADDR 46 */
	CHECK_TRUE(c.nxe && c.smep && c.smap && c.pke && !c.npt);
	CHECK_HEX(0xc, c.pkru);
	CHECK_HEX(46, c.maxphyaddr);
	r.cr4 |= X86_CR4_LA57;
	walk_cfg_from_regs(&c, &r, &f);
	CHECK_HEX(WALK_FMT_5LVL, c.fmt);
	CHECK_HEX(5, c.levels);
}

static void test_cfg_ept_and_npt_from_pointers(void **state)
{
	struct cpu_features f;
	struct cpu_regs host = {0};
	struct walk_cfg c;

	(void)state;
	cpu_features_default(&f, CPU_VENDOR_INTEL);
	walk_cfg_ept(&c, 0x40000 | (3u << 3) | 6u | BIT_ULL(6), &f);
	CHECK_HEX(WALK_FMT_EPT, c.fmt);
	CHECK_HEX(4, c.levels);
	CHECK_HEX(0x40000, c.root);
	CHECK_HEX(f.ept.ad, c.ept_ad);
	CHECK_HEX(f.ept.execonly, c.ept_execonly);
	CHECK_HEX(f.ept.huge_1g, c.ept_1g);
	walk_cfg_ept(&c, 0x40000 | (4u << 3), &f);
	CHECK_HEX(5, c.levels);
	CHECK_HEX(0, c.ept_ad);
	f.ept.ad = false;
	walk_cfg_ept(&c, 0x40000 | (3u << 3) | BIT_ULL(6), &f);
	CHECK_HEX(0, c.ept_ad);

	cpu_features_default(&f, CPU_VENDOR_AMD);
	host.cr0 = X86_CR0_PE | X86_CR0_PG;
	host.cr4 = X86_CR4_PAE;
	host.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	walk_cfg_npt(&c, 0x123456fffULL, &host, &f);
	CHECK_HEX(WALK_FMT_4LVL, c.fmt);
	CHECK_HEX(0x123456000ULL, c.root);
	CHECK_TRUE(c.npt && c.nxe && !c.wp);
	CHECK_HEX(CPU_VENDOR_AMD, c.vendor);
	host.cr4 |= X86_CR4_LA57;
	walk_cfg_npt(&c, 0x1000, &host, &f);
	CHECK_HEX(WALK_FMT_5LVL, c.fmt);
	host.efer = 0;
	host.cr4 = X86_CR4_PAE;
	walk_cfg_npt(&c, 0x12345fe0, &host, &f);
	CHECK_HEX(WALK_FMT_PAE, c.fmt);
	CHECK_HEX(0x12345fe0, c.root);
	host.cr4 = X86_CR4_PSE;
	walk_cfg_npt(&c, 0x12345fe0, &host, &f);
	CHECK_HEX(WALK_FMT_32, c.fmt);
	CHECK_HEX(0x12345000, c.root);
	CHECK_TRUE(c.pse && c.npt);
}

static void test_walk_mem_gmem_maps_and_reports_writability(void **state)
{
	bool writable = false;
	void *p;

	(void)state;
	p = GM.map(GM.ctx, 0x1000, 8, &writable);
	CHECK_TRUE(p != NULL && writable);
	p = GM.map(GM.ctx, RO_BASE + 0x1000, 8, &writable);
	CHECK_TRUE(p != NULL && !writable);
	CHECK_TRUE(GM.map(GM.ctx, RO_BASE + RO_SIZE, 8, &writable) == NULL);
	CHECK_HEX(0, gmem_test_dirty(M, 0, 0x5000));
	GM.wrote(GM.ctx, 0x5008);
	CHECK_TRUE(gmem_test_dirty(M, 0, 0x5000));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_paging_output_is_32bit_input),
		T(test_32bit_4k_walk_reads_pde_then_pte),
		T(test_32bit_pde_ps_maps_4m_page_with_pse),
		T(test_32bit_pde_ps_ignored_without_cr4_pse),
		T(test_pse36_pde_bits_20_13_give_pa_bits_39_32),
		T(test_pse36_with_maxphyaddr_36_reserves_bits_21_17),
		T(test_32bit_4m_pde_without_pse36_reserves_bits_21_13),
		T(test_32bit_fetch_fault_has_id_bit_only_with_smep),
		T(test_32bit_cr2_is_truncated_to_32_bits),
		T(test_pae_4k_walk_takes_pdpte_from_register),
		T(test_pae_pde_ps_maps_2m_page),
		T(test_pae_pde_ps_with_rsvd_bit_faults_rsvd),
		T(test_pae_pdpte_register_rsvd_and_not_present),
		T(test_pae_xd_is_reserved_without_nxe_and_62_m_always),
		T(test_4level_4k_walk_steps_and_gpa),
		T(test_4level_pde_ps_maps_2m_and_pdpte_ps_maps_1g),
		T(test_5level_4k_walk_reads_five_entries),
		T(test_non_canonical_address_is_gp_in_4_and_5_level),
		T(test_not_present_at_each_level_faults_there),
		T(test_reserved_bit_at_each_level_faults_rsvd),
		T(test_pml4e_ps_is_reserved_and_bit8_only_on_amd),
		T(test_xd_is_reserved_when_nxe_is_clear),
		T(test_table_read_without_memory_is_not_present_with_nomem),
		T(test_user_access_rights_and_error_codes),
		T(test_supervisor_write_needs_writable_only_with_cr0_wp),
		T(test_smep_blocks_supervisor_fetch_from_user_page),
		T(test_smap_blocks_supervisor_data_access_unless_explicit_with_ac),
		T(test_pkru_ad_and_wd_set_pk_for_user_mode_addresses),
		T(test_walk_permission_matches_walk_rules),
		T(test_ad_set_only_on_success_and_d_only_on_writes),
		T(test_faulting_walk_writes_no_ad),
		T(test_ad_upper_on_fault_sets_a_in_entries_above_the_fault),
		T(test_read_only_memslot_drops_ad_writes),
		T(test_probe_writes_nothing_and_skips_rights),
		T(test_ept_4k_2m_1g_translations),
		T(test_ept_not_present_violation_qualification),
		T(test_ept_permission_violation_reports_and_of_rights),
		T(test_ept_execute_only_needs_the_capability),
		T(test_ept_misconfig_write_without_read_bad_memtype_rsvd),
		T(test_ept_ad_sets_bit8_everywhere_and_bit9_on_write),
		T(test_ept_5level_and_bad_walk_length),
		T(test_npt_faults_are_user_and_carry_exitinfo1_bit32),
		T(test_npt_ignores_wp_smap_smep_pku),
		T(test_npt_pae_reads_pdptes_from_memory),
		T(test_nested_4level_over_4level_ept_reads_24_entries),
		T(test_nested_5level_over_5level_ept_reads_35_entries),
		T(test_nested_4level_over_npt_reads_24_entries),
		T(test_nested_pae_guest_uses_pdpte_registers),
		T(test_guest_pf_beats_ept_violation_on_final_address),
		T(test_ept_violation_on_guest_table_clears_qual_bit8),
		T(test_nested_ept_ad_marks_guest_tables_dirty),
		T(test_npf_on_guest_table_sets_exitinfo1_bit33),
		T(test_nested_probe_writes_nothing),
		T(test_nested_ad_writes_each_shared_entry_once),
		T(test_ad_upper_on_fault_in_nested_walk_spares_every_leaf),
		T(test_pk_is_not_reported_with_a_reserved_bit_fault),
		T(test_nested_guest_without_paging_has_gla_valid_final_access),
		T(test_lone_ept_walk_is_stage_0_without_gla),
		T(test_decode_entry_names_fields_per_format),
		T(test_fmt_names),
		T(test_rsvd_mask_tables),
		T(test_cfg_from_regs_per_paging_mode),
		T(test_cfg_ept_and_npt_from_pointers),
		T(test_walk_mem_gmem_maps_and_reports_writability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
