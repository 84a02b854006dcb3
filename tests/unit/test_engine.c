/* SPDX-License-Identifier: MIT */
/*
 * The engine (sim/engine.h) on scenarios built in C: each op's effects and events, each
 * expect key passing and failing, TLB policies (stale translations, spurious faults,
 * #PF delivery), refused ops, determinism, and seeking by replay.
 */
#include "sim/engine.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"

#define ROOT 0x100000ULL /* CR3 of the 4-level tables */
#define POOL 0x800000ULL /* machine.pt_pool: tables come from here, lowest first */
#define RO_BASE 0x1000000ULL /* a read-only memslot */
#define MEM_SIZE 0x1000000ULL /* the normal memslot: 16 MiB at 0 */
#define VA 0x400000ULL
#define PA 0x200000ULL
#define PA2 0x300000ULL
#define PTE_ADDR (POOL + 0x2000) /* the PTE of VA: index 0 of the third pool page */

/* want/got in hex, with what was being checked. */
#define assert_hex(what, want, got)                                                        \
	do {                                                                               \
		unsigned long long want_ = (want), got_ = (got);                           \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

/* ---- building scenarios ---- */

/* A machine: 16 MiB at 0, a read-only 1 MiB slot above it, a table pool, one vCPU. */
static void scn_base(struct scenario *s, unsigned cap)
{
	memset(s, 0, sizeof(*s));
	s->file = "test.json";
	s->version = SCN_VERSION;
	s->name = "test";
	cpu_features_default(&s->machine.feat, CPU_VENDOR_INTEL);
	s->machine.slots[0] =
		(struct scn_memslot){.pos = {3, 5}, .as = 0, .id = 0, .gpa = 0, .size = MEM_SIZE};
	s->machine.slots[1] = (struct scn_memslot){.pos = {4, 5},
						   .as = 0,
						   .id = 1,
						   .gpa = RO_BASE,
						   .size = 0x100000,
						   .flags = GMEM_SLOT_READONLY};
	s->machine.nslots = 2;
	s->machine.pt_pool =
		(struct scn_pt_pool){.present = true, .as = 0, .gpa = POOL, .size = 0x100000};
	s->machine.tdp = SCN_TDP_NONE;
	s->machine.tdp_mmu = true;
	s->machine.tlb = SCN_TLB_RETAIN;
	s->nvcpus = 1;
	assert_int_equal(scn_alloc_steps(s, cap), 0);
}

static void init_reg(struct scenario *s, enum scn_reg reg, u64 val)
{
	struct scn_vcpu *v = &s->vcpus[0];

	v->init[v->ninit] = (struct scn_regval){reg, val, {2, 10 + v->ninit}};
	v->ninit++;
}

/* The vCPU starts in 4-level paging (compatibility mode: CS.L=0) with CR0.WP and NXE. */
static void scn_long_mode(struct scenario *s, unsigned cap)
{
	scn_base(s, cap);
	init_reg(s, SCN_REG_CR4, X86_CR4_PAE);
	init_reg(s, SCN_REG_EFER, X86_EFER_LME | X86_EFER_NXE);
	init_reg(s, SCN_REG_CR3, ROOT);
	init_reg(s, SCN_REG_CR0, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
}

/* Step i sits at line 10 + i, its expect object at column 20. */
static struct scn_step *add(struct scenario *s, enum scn_op op)
{
	struct scn_step *st = &s->steps[s->nsteps];

	memset(st, 0, sizeof(*st));
	st->op = op;
	st->pos = (struct scn_pos){10 + s->nsteps, 5};
	st->expect.pos = (struct scn_pos){10 + s->nsteps, 20};
	s->nsteps++;
	return st;
}

static struct scn_step *set1(struct scenario *s, enum scn_reg reg, u64 val)
{
	struct scn_step *st = add(s, SCN_OP_SET);

	st->u.set.regs[0] = (struct scn_regval){reg, val, st->pos};
	st->u.set.nregs = 1;
	return st;
}

static struct scn_step *map4(struct scenario *s, u64 va, u64 pa, u64 flags)
{
	struct scn_step *st = add(s, SCN_OP_MAP);

	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, ROOT, 0};
	st->u.pt.va = va;
	st->u.pt.pa = pa;
	st->u.pt.size = PAGE_SIZE;
	st->u.pt.flags = flags;
	st->u.pt.mode = SCN_WRITE_SETUP;
	return st;
}

static struct scn_step *set_entry4(struct scenario *s, u64 va, u8 level, u64 val)
{
	struct scn_step *st = add(s, SCN_OP_SET_ENTRY);

	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, ROOT, 0};
	st->u.pt.va = va;
	st->u.pt.level = level;
	st->u.pt.value = val;
	st->u.pt.mode = SCN_WRITE_SETUP;
	return st;
}

static struct scn_step *do_access(struct scenario *s, u64 va, enum scn_access_kind kind, u8 size)
{
	struct scn_step *st = add(s, SCN_OP_ACCESS);

	st->u.access.va = va;
	st->u.access.kind = kind;
	st->u.access.size = size;
	st->u.access.cpl = 3;
	return st;
}

static struct scn_step *mem_write(struct scenario *s, u64 gpa, u8 size, u64 val, bool host)
{
	struct scn_step *st = add(s, SCN_OP_MEM_WRITE);

	st->u.mem.gpa = gpa;
	st->u.mem.size = size;
	st->u.mem.value = val;
	st->u.mem.host = host;
	return st;
}

static void expect_fault(struct scn_step *st, enum scn_fault_kind f)
{
	st->expect.has |= SCN_EX_FAULT;
	st->expect.fault = f;
}

static void expect_entry(struct scn_step *st, u64 va, u8 level, u64 val)
{
	st->expect.has |= SCN_EX_ENTRY;
	st->expect.entry.pt = (struct scn_pt_ref){SCN_FMT_4LVL, ROOT, 0};
	st->expect.entry.va = va;
	st->expect.entry.level = level;
	st->expect.entry.value = val;
}

static void expect_mem(struct scn_step *st, u64 gpa, u8 size, u64 val)
{
	st->expect.has |= SCN_EX_MEM;
	st->expect.mem.gpa = gpa;
	st->expect.mem.size = size;
	st->expect.mem.value = val;
}

static void expect_trace(struct scenario *s, struct scn_step *st, const char *line)
{
	const char **t = scn_alloc(s, (st->expect.ntrace + 1) * sizeof(*t));

	assert_non_null(t);
	for (unsigned i = 0; i < st->expect.ntrace; i++)
		t[i] = st->expect.trace[i];
	t[st->expect.ntrace++] = line;
	st->expect.trace = t;
	st->expect.has |= SCN_EX_TRACE;
}

/* ---- recording what the engine reports ---- */

struct rec {
	char *text; /* every trace line, '\n' after each */
	size_t len, cap;
	char *json;
	size_t jlen, jcap;
	unsigned n[SIM_EV_NESTED + 1];
	struct sim_ev_access acc; /* the last access */
	char fail_what[32]; /* the last expectation failure */
};

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 2 > *cap) {
		*cap = (*len + n + 2) * 2;
		*buf = realloc(*buf, *cap);
		assert_non_null(*buf);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
}

static void rec_sink(void *ctx, const struct sim_event *ev)
{
	struct rec *r = ctx;
	char line[8192];
	int n = sim_event_format(ev, line, sizeof(line));

	assert_true(n > 0 && (size_t)n < sizeof(line));
	append(&r->text, &r->len, &r->cap, line, (size_t)n);
	n = sim_event_json(ev, line, sizeof(line));
	assert_true(n > 0 && (size_t)n < sizeof(line));
	append(&r->json, &r->jlen, &r->jcap, line, (size_t)n);
	r->n[ev->kind]++;
	if (ev->kind == SIM_EV_ACCESS) {
		r->acc = ev->u.access;
		r->acc.rule = NULL; /* valid only during the call */
	}
	if (ev->kind == SIM_EV_EXPECT_FAIL)
		snprintf(r->fail_what, sizeof(r->fail_what), "%s", ev->u.fail.what);
}

static void rec_free(struct rec *r)
{
	free(r->text);
	free(r->json);
	memset(r, 0, sizeof(*r));
}

static void assert_has_line(const struct rec *r, const char *needle)
{
	if (!r->text || !strstr(r->text, needle)) {
		print_error("trace: want a line with \"%s\", got:\n%s", needle,
			    r->text ? r->text : "(nothing)");
		fail();
	}
}

static void assert_no_line(const struct rec *r, const char *needle)
{
	if (r->text && strstr(r->text, needle)) {
		print_error("trace: want no line with \"%s\", got:\n%s", needle, r->text);
		fail();
	}
}

static struct sim *start(const struct scenario *s, struct rec *r)
{
	struct scn_error err;
	struct sim *sim = NULL;
	int rc = sim_create(&sim, s, &err);

	if (rc) {
		print_error("sim_create: want 0, got %d: %u:%u %s: %s\n", rc, err.line, err.col,
			    err.path, err.msg);
		fail();
	}
	if (r) {
		memset(r, 0, sizeof(*r));
		assert_int_equal(sim_add_sink(sim, rec_sink, r), 0);
	}
	return sim;
}

/* Run every step; the run must reach the end (1) with @failures failures. */
static struct sim *run_all(const struct scenario *s, struct rec *r, u32 failures)
{
	struct sim *sim = start(s, r);
	struct scn_error err;
	int rc = sim_run(sim, UINT32_MAX, &err);

	if (rc != 1) {
		print_error("sim_run: want 1 (end), got %d: %u:%u %s: %s\n", rc, err.line, err.col,
			    err.path, err.msg);
		fail();
	}
	if (sim_failures(sim) != failures) {
		print_error("failures: want %u, got %u; trace:\n%s", failures, sim_failures(sim),
			    r && r->text ? r->text : "");
		fail();
	}
	return sim;
}

static const struct cpu_regs *regs_of(const struct sim *sim, struct sim_snapshot *snap)
{
	sim_snapshot(sim, snap);
	return &snap->vcpu[0].r;
}

/* ---- set ---- */

static void test_set_applies_registers_in_order_one_event_each(void **state)
{
	struct scenario s;
	struct sim_snapshot snap;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 4);
	st = add(&s, SCN_OP_SET);
	st->u.set.regs[0] = (struct scn_regval){SCN_REG_CR4, X86_CR4_PAE, {10, 9}};
	st->u.set.regs[1] =
		(struct scn_regval){SCN_REG_EFER, X86_EFER_LME | X86_EFER_NXE, {10, 20}};
	st->u.set.regs[2] = (struct scn_regval){SCN_REG_CR3, ROOT, {10, 30}};
	st->u.set.regs[3] = (struct scn_regval){SCN_REG_CR0, X86_CR0_PE | X86_CR0_PG, {10, 40}};
	st->u.set.nregs = 4;
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_REG_WRITE], 4);
	assert_has_line(&r, "[s0 v0] mmuscope_step: set");
	assert_has_line(&r, "[s0 v0] mmuscope_cr_write: cr4 0x0 -> 0x20 ok");
	assert_has_line(&r, "[s0 v0] mmuscope_msr_write: efer 0x0 -> 0x900 ok");
	/* ET is forced to 1 and CD/NW cleared: the line shows the result and what was written. */
	assert_has_line(&r,
			"mmuscope_cr_write: cr0 0x60000010 -> 0x80000011 ok (wrote 0x80000001)");
	regs_of(sim, &snap);
	assert_hex("cr3", ROOT, snap.vcpu[0].r.cr3);
	assert_hex("efer (LMA follows PG)", X86_EFER_LME | X86_EFER_NXE | X86_EFER_LMA,
		   snap.vcpu[0].r.efer);
	assert_hex("reg_writes", 4, snap.counters.reg_writes);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_set_stops_at_a_refused_write_and_fails_by_default(void **state)
{
	struct scenario s;
	struct sim_snapshot snap;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 4);
	st = add(&s, SCN_OP_SET);
	st->u.set.regs[0] = (struct scn_regval){SCN_REG_CR0, X86_CR0_PG, {10, 9}};
	st->u.set.regs[1] = (struct scn_regval){SCN_REG_CR4, X86_CR4_PAE, {10, 20}};
	st->u.set.nregs = 2;
	sim = run_all(&s, &r, 1);
	assert_int_equal(r.n[SIM_EV_REG_WRITE], 1);
	assert_int_equal(r.n[SIM_EV_EXPECT_FAIL], 1);
	assert_string_equal(r.fail_what, "fault");
	assert_has_line(&r, "mmuscope_cr_write: cr0 0x60000010 -> 0x80000000 #GP (");
	assert_has_line(&r, "[s0 v0] mmuscope_expect_fail: fault expected none observed gp (");
	assert_has_line(&r, " at 10:20");
	regs_of(sim, &snap);
	assert_hex("cr4 (not written)", 0, snap.vcpu[0].r.cr4);
	assert_hex("reg_refused", 1, snap.counters.reg_refused);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_set_refused_write_passes_when_the_fault_is_expected(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 4);
	expect_fault(set1(&s, SCN_REG_CR0, X86_CR0_PG), SCN_FAULT_GP);
	/* WRPKRU with CR4.PKE=0 is #UD (SDM Vol. 2 WRPKRU). */
	expect_fault(set1(&s, SCN_REG_PKRU, 4), SCN_FAULT_UD);
	/* The wrong kind fails. */
	st = set1(&s, SCN_REG_PKRU, 4);
	expect_fault(st, SCN_FAULT_GP);
	/* An accepted write expected to fault fails too. */
	expect_fault(set1(&s, SCN_REG_CPL, 3), SCN_FAULT_GP);
	sim = run_all(&s, &r, 2);
	assert_has_line(&r, "[s1 v0] mmuscope_reg_write: pkru 0x0 -> 0x4 #UD (");
	assert_has_line(&r, "[s2 v0] mmuscope_expect_fail: fault expected gp observed ud (");
	assert_has_line(&r, "[s3 v0] mmuscope_reg_write: cpl 0 -> 3 ok");
	assert_has_line(&r,
			"[s3 v0] mmuscope_expect_fail: fault expected gp observed none at 13:20");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_set_reports_the_tlb_flush_a_cr3_write_implies(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 4);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	do_access(&s, VA, SCN_ACC_READ, 1);
	st = set1(&s, SCN_REG_CR3, ROOT);
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 0;
	sim = run_all(&s, &r, 0);
	/* MOV to CR3 with PCIDE=0 flushes PCID 0's non-global entries (SDM 4.10.4.1). */
	assert_has_line(&r, "[s2 v0] mmuscope_tlb_flush: cr3 dropped 1");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_refused_initial_register_is_an_error_at_its_position(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim = (struct sim *)&s; /* must be reset to NULL */

	(void)state;
	scn_base(&s, 1);
	init_reg(&s, SCN_REG_CR4, X86_CR4_PAE);
	s.vcpus[0].init[1] = (struct scn_regval){SCN_REG_CR0, X86_CR0_PG, {7, 9}};
	s.vcpus[0].ninit = 2;
	assert_int_equal(sim_create(&sim, &s, &err), MSC_EINVAL);
	assert_null(sim);
	assert_string_equal(err.file, "test.json");
	assert_int_equal(err.line, 7);
	assert_int_equal(err.col, 9);
	assert_string_equal(err.path, "/vcpus/0/cr0");
	assert_non_null(strstr(err.msg, "refused with #GP"));
	scn_free(&s);
}

/* ---- map, unmap, set_entry ---- */

static void test_map_takes_tables_from_the_pool_and_reports_each_entry_write(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 2);
	st = map4(&s, VA, PA, PT_P | PT_W | PT_U);
	expect_entry(st, VA, 4, POOL | 7);
	st = add(&s, SCN_OP_EXPECT);
	expect_entry(st, VA, 1, PA | 7);
	sim = run_all(&s, &r, 0);
	/* PML4E, PDPTE, PDE (new tables, lowest pool page first) and the PTE. */
	assert_int_equal(r.n[SIM_EV_PT_WRITE], 4);
	assert_has_line(
		&r, "[s0 v0] mmuscope_pt_write: setup as 0 gpa 0x100000 size 8: 0x0 -> 0x800007");
	assert_has_line(&r, "mmuscope_pt_write: setup as 0 gpa 0x801010 size 8: 0x0 -> 0x802007");
	assert_has_line(&r, "mmuscope_pt_write: setup as 0 gpa 0x802000 size 8: 0x0 -> 0x200007");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_map_needing_a_table_without_a_pool_is_a_positioned_error(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 1);
	s.machine.pt_pool.present = false;
	map4(&s, VA, PA, PT_P);
	sim = start(&s, NULL);
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_int_equal(err.line, 10);
	assert_int_equal(err.col, 5);
	assert_string_equal(err.path, "/steps/0");
	assert_non_null(strstr(err.msg, "pt_pool"));
	assert_int_equal(sim_steps_done(sim), 0);
	sim_destroy(sim);
	scn_free(&s);
}

static void test_guest_table_write_to_a_readonly_slot_is_dropped(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 2);
	/* Set-up writes go through a read-only slot; guest writes do not. */
	st = map4(&s, VA, PA, PT_P | PT_W);
	st->u.pt.pt.root = RO_BASE;
	st = add(&s, SCN_OP_SET_ENTRY);
	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, RO_BASE, 0};
	st->u.pt.va = VA;
	st->u.pt.level = 4;
	st->u.pt.value = 0;
	st->u.pt.mode = SCN_WRITE_GUEST;
	st->expect.has |= SCN_EX_ENTRY;
	st->expect.entry.pt = st->u.pt.pt;
	st->expect.entry.va = VA;
	st->expect.entry.level = 4;
	st->expect.entry.value = POOL | PT_P | PT_W | PT_U;
	sim = run_all(&s, &r, 0);
	assert_has_line(
		&r, "[s0 v0] mmuscope_pt_write: setup as 0 gpa 0x1000000 size 8: 0x0 -> 0x800007");
	assert_has_line(
		&r, "[s1 v0] mmuscope_pt_write: guest as 0 gpa 0x1000000 size 8: 0x800007 -> 0x0 "
		    "dropped (read-only memslot)");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_unmap_clears_the_leaf_and_unmapping_twice_is_an_error(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct scn_error err;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	map4(&s, VA, PA, PT_P);
	st = add(&s, SCN_OP_UNMAP);
	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, ROOT, 0};
	st->u.pt.va = VA;
	expect_entry(st, VA, 1, 0);
	s.steps[2] = s.steps[1];
	s.steps[2].pos.line = 12;
	s.steps[2].expect.has = 0;
	s.nsteps = 3;
	sim = start(&s, &r);
	assert_int_equal(sim_run(sim, 2, &err), 0);
	assert_int_equal(sim_failures(sim), 0);
	assert_has_line(
		&r, "[s1 v0] mmuscope_pt_write: setup as 0 gpa 0x802000 size 8: 0x200001 -> 0x0");
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_int_equal(err.line, 12);
	assert_string_equal(err.path, "/steps/2");
	assert_non_null(strstr(err.msg, "not mapped"));
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_set_entry_writes_a_raw_entry_on_the_path(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	map4(&s, VA, PA, PT_P);
	st = set_entry4(&s, VA, 2, 0x600000 | PT_P | PT_PS | PT_W);
	expect_entry(st, VA, 2, 0x600000 | PT_P | PT_PS | PT_W);
	/* Level 1 is below a 2 MiB leaf now: no such entry. */
	st = set_entry4(&s, VA, 1, 0);
	sim = start(&s, &r);
	assert_int_equal(sim_run(sim, 2, NULL), 0);
	assert_int_equal(sim_failures(sim), 0);
	{
		struct scn_error err;

		assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
		assert_non_null(strstr(err.msg, "ends above level 1"));
	}
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/* ---- mem_write, mem_read ---- */

static void test_mem_write_and_read_guest_host_and_readonly(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 6);
	st = mem_write(&s, 0x3000, 4, 0x11223344, false);
	expect_mem(st, 0x3000, 8, 0x11223344);
	st = add(&s, SCN_OP_MEM_READ);
	st->u.mem.gpa = 0x3002;
	st->u.mem.size = 2;
	st->expect.has |= SCN_EX_VALUE;
	st->expect.value = 0x1122;
	/* A guest write to a read-only slot is dropped; a host write lands. */
	st = mem_write(&s, RO_BASE + 8, 8, 0x55, false);
	expect_mem(st, RO_BASE + 8, 8, 0);
	st = mem_write(&s, RO_BASE + 8, 8, 0x66, true);
	expect_mem(st, RO_BASE + 8, 8, 0x66);
	/* The value is cut to its size. */
	st = mem_write(&s, 0x3000, 1, 0xabcd, false);
	expect_mem(st, 0x3000, 4, 0x112233cd);
	sim = run_all(&s, &r, 0);
	assert_has_line(
		&r, "[s0 v0] mmuscope_mem_write: guest as 0 gpa 0x3000 size 4 value 0x11223344");
	assert_has_line(&r, "[s1 v0] mmuscope_mem_read: as 0 gpa 0x3002 size 2 -> 0x1122");
	assert_has_line(&r,
			"[s2 v0] mmuscope_mem_write: guest as 0 gpa 0x1000008 size 8 value 0x55 "
			"dropped (read-only memslot)");
	assert_has_line(&r,
			"[s3 v0] mmuscope_mem_write: host as 0 gpa 0x1000008 size 8 value 0x66");
	assert_has_line(&r, "[s4 v0] mmuscope_mem_write: guest as 0 gpa 0x3000 size 1 value 0xcd");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_mem_write_to_unbacked_memory_is_a_positioned_error(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim;

	(void)state;
	scn_base(&s, 1);
	mem_write(&s, 0x40000000, 8, 1, false);
	sim = start(&s, NULL);
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/0");
	assert_int_equal(err.line, 10);
	sim_destroy(sim);
	scn_free(&s);
}

/* ---- access ---- */

static void test_access_read_walks_fills_the_tlb_and_sets_accessed_bits(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 4);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	mem_write(&s, PA + 8, 4, 0xdeadbeef, false);
	st = do_access(&s, VA + 8, SCN_ACC_READ, 4);
	st->expect.has |= SCN_EX_VALUE | SCN_EX_GPA | SCN_EX_PAGE_SIZE | SCN_EX_TLB_HIT |
			  SCN_EX_OUTCOMES | SCN_EX_TLB_COUNT;
	st->expect.value = 0xdeadbeef;
	st->expect.gpa = PA + 8;
	st->expect.page_size = PAGE_SIZE;
	st->expect.tlb_hit = false;
	st->expect.outcomes = 1;
	st->expect.tlb_count = 1;
	/* A in every entry used, no D on a read (SDM 4.8). */
	expect_entry(st, VA, 1, PA | PT_P | PT_W | PT_U | PT_A);
	st = add(&s, SCN_OP_EXPECT);
	expect_entry(st, VA, 4, POOL | PT_P | PT_W | PT_U | PT_A);
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_WALK], 1);
	assert_int_equal(r.n[SIM_EV_TLB_FILL], 1);
	assert_int_equal(r.n[SIM_EV_ACCESS], 1);
	assert_has_line(
		&r,
		"[s2 v0] mmuscope_walk: 4-level read va 0x400008 cpl3 -> gpa 0x200008 4k refs 4");
	assert_has_line(
		&r, "[s2 v0] mmuscope_walk_step: L4 entry 0x100000 = 0x800007 P W U addr=0x800000 "
		    "[A/D set]");
	assert_has_line(
		&r, "[s2 v0] mmuscope_walk_step: L1 entry 0x802000 = 0x200007 P W U addr=0x200000 "
		    "[A/D set]");
	assert_has_line(&r,
			"[s2 v0] mmuscope_tlb_fill: 0x400000 -> 0x200000 4k vpid 0 pcid 0 acc uwx");
	assert_has_line(&r,
			"[s2 v0] mmuscope_access: read va 0x400008 size 4 cpl3 -> gpa 0x200008 4k "
			"value 0xdeadbeef via walk outcomes 1");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_access_write_sets_dirty_and_writes_little_endian(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	st = do_access(&s, VA + 0x10, SCN_ACC_WRITE, 8);
	st->u.access.value = 0x1122334455667788ULL;
	expect_mem(st, PA + 0x10, 2, 0x7788);
	expect_entry(st, VA, 1, PA | PT_P | PT_W | PT_U | PT_A | PT_D);
	st = add(&s, SCN_OP_EXPECT);
	expect_mem(st, PA + 0x14, 4, 0x11223344);
	sim = run_all(&s, &r, 0);
	assert_has_line(&r, "[s1 v0] mmuscope_mem_write: guest as 0 gpa 0x200010 size 8 value "
			    "0x1122334455667788");
	assert_has_line(&r, "acc uwx dirty");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_second_access_is_served_by_the_tlb_without_a_walk(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct sim_snapshot snap;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	do_access(&s, VA, SCN_ACC_READ, 8);
	st = do_access(&s, VA + 0x20, SCN_ACC_READ, 8);
	st->expect.has |= SCN_EX_TLB_HIT | SCN_EX_GPA;
	st->expect.tlb_hit = true;
	st->expect.gpa = PA + 0x20;
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_WALK], 1);
	assert_int_equal(r.n[SIM_EV_TLB_HIT], 1);
	assert_has_line(
		&r,
		"[s2 v0] mmuscope_tlb_hit: va 0x400020 via 0x400000 -> 0x200000 4k vpid 0 pcid 0");
	assert_has_line(&r,
			"[s2 v0] mmuscope_access: read va 0x400020 size 8 cpl3 -> gpa 0x200020 4k "
			"value 0x0 via tlb outcomes 1");
	sim_snapshot(sim, &snap);
	assert_hex("accesses", 2, snap.counters.accesses);
	assert_hex("walks", 1, snap.counters.walks);
	assert_hex("walk_refs", 4, snap.counters.walk_refs);
	assert_hex("tlb_hits", 1, snap.counters.tlb_hits);
	assert_hex("tlb_fills", 1, snap.counters.tlb_fills);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_page_fault_sets_cr2_and_invalidates_the_tlb_entry(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct sim_snapshot snap;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 4);
	map4(&s, VA, PA, PT_P | PT_U); /* read-only user page */
	do_access(&s, VA, SCN_ACC_READ, 1);
	st = do_access(&s, VA + 0x123, SCN_ACC_WRITE, 1);
	expect_fault(st, SCN_FAULT_PF);
	st->expect.has |= SCN_EX_ERROR_CODE | SCN_EX_CR2 | SCN_EX_TLB_COUNT | SCN_EX_REGS;
	st->expect.error_code = PFERR_P | PFERR_W | PFERR_U;
	st->expect.cr2 = VA + 0x123;
	st->expect.tlb_count = 0;
	st->expect.regs[0] = (struct scn_named_u64){"cr2", VA + 0x123, {12, 30}};
	st->expect.nregs = 1;
	/* Not present: error code U only. */
	st = do_access(&s, 0x600000, SCN_ACC_READ, 1);
	expect_fault(st, SCN_FAULT_PF);
	st->expect.has |= SCN_EX_ERROR_CODE | SCN_EX_CR2;
	st->expect.error_code = PFERR_U;
	st->expect.cr2 = 0x600000;
	sim = run_all(&s, &r, 0);
	assert_has_line(&r, "[s2 v0] mmuscope_tlb_flush: pf va 0x400123 pcid 0 dropped 1");
	assert_has_line(&r, "[s2 v0] mmuscope_access: write va 0x400123 size 1 cpl3 -> #PF ec 0x7 "
			    "cr2 0x400123 via tlb outcomes 1 (");
	assert_has_line(&r, "[s3 v0] mmuscope_walk: 4-level read va 0x600000 cpl3 -> #PF ec 0x4 "
			    "cr2 0x600000 refs 3");
	sim_snapshot(sim, &snap);
	assert_hex("faults_pf", 2, snap.counters.faults_pf);
	assert_hex("cr2", 0x600000, snap.vcpu[0].r.cr2);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/* Remap without INVLPG: the CPU may keep the old translation (SDM 4.10.4.3). */
static void stale_remap(struct scenario *s, enum scn_tlb_policy policy)
{
	struct scn_step *st;

	scn_long_mode(s, 8);
	s->machine.tlb = policy;
	map4(s, VA, PA, PT_P | PT_W | PT_U);
	mem_write(s, PA, 8, 0xa1, false);
	mem_write(s, PA2, 8, 0xb2, false);
	do_access(s, VA, SCN_ACC_READ, 8);
	/* The guest changes the PTE; neither the TLB nor KVM is told (the level-1
	 * shadow page of the table goes unsync instead of trapping the write). */
	map4(s, VA, PA2, PT_P | PT_W | PT_U)->u.pt.mode = SCN_WRITE_GUEST;
	st = do_access(s, VA, SCN_ACC_READ, 8);
	st->expect.has |= SCN_EX_OUTCOMES;
	st->expect.outcomes = 2;
	st = add(s, SCN_OP_INVLPG);
	st->u.inv.va = VA;
	st = do_access(s, VA, SCN_ACC_READ, 8);
	st->expect.has |= SCN_EX_GPA | SCN_EX_VALUE | SCN_EX_TLB_HIT | SCN_EX_OUTCOMES;
	st->expect.gpa = PA2;
	st->expect.value = 0xb2;
	st->expect.tlb_hit = false;
	st->expect.outcomes = 1;
}

static void test_stale_translation_with_retain_serves_the_old_gpa_until_invlpg(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	stale_remap(&s, SCN_TLB_RETAIN);
	st = &s.steps[5];
	st->expect.has |= SCN_EX_GPA | SCN_EX_VALUE | SCN_EX_TLB_HIT;
	st->expect.gpa = PA;
	st->expect.value = 0xa1;
	st->expect.tlb_hit = true;
	sim = run_all(&s, &r, 0);
	assert_has_line(&r, "[s6 v0] mmuscope_tlb_flush: invlpg va 0x400000 pcid 0 dropped 1");
	assert_no_line(&r, "[s7 v0] mmuscope_tlb_hit");
	assert_has_line(&r,
			"[s5 v0] mmuscope_access: read va 0x400000 size 8 cpl3 -> gpa 0x200000 4k "
			"value 0xa1 via tlb outcomes 2");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/*
 * A CPU that walks every time would see the new PTE at once, but under shadow
 * paging the hardware walks KVM's tables: the unsync SPTE still maps the old
 * page, an outcome the architecture allows (the stale entry is in the TLB), so
 * the guest reads the old page without a divergence until INVLPG re-syncs it.
 */
static void test_stale_translation_with_walk_policy_sees_the_unsync_spte(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	stale_remap(&s, SCN_TLB_WALK);
	st = &s.steps[5];
	st->expect.has |= SCN_EX_GPA | SCN_EX_VALUE | SCN_EX_TLB_HIT;
	st->expect.gpa = PA;
	st->expect.value = 0xa1;
	st->expect.tlb_hit = false;
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_TLB_HIT], 0);
	assert_int_equal(r.n[SIM_EV_DIVERGENCE], 0);
	assert_has_line(&r, "[s4 v0] kvm_mmu_unsync_page: sp gen 0 gfn");
	/* The walk's fill replaced the stale entry (same page, same tag). */
	assert_has_line(&r, "[s6 v0] mmuscope_tlb_flush: invlpg va 0x400000 pcid 0 dropped 1");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void
test_cached_readonly_entry_gives_a_spurious_fault_after_the_page_became_writable(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 5);
	map4(&s, VA, PA, PT_P | PT_U);
	do_access(&s, VA, SCN_ACC_READ, 4);
	set_entry4(&s, VA, 1, PA | PT_P | PT_W | PT_U | PT_A); /* R/W 0 -> 1, no INVLPG */
	st = do_access(&s, VA, SCN_ACC_WRITE, 4);
	expect_fault(st, SCN_FAULT_PF);
	st->expect.has |= SCN_EX_ERROR_CODE | SCN_EX_TLB_HIT | SCN_EX_OUTCOMES;
	st->expect.error_code = PFERR_P | PFERR_W | PFERR_U;
	st->expect.tlb_hit = true;
	st->expect.outcomes = 2; /* the fresh walk succeeds; the stale entry faults */
	/* The #PF dropped the entry: the retried write walks and completes. */
	st = do_access(&s, VA, SCN_ACC_WRITE, 4);
	st->expect.has |= SCN_EX_TLB_HIT | SCN_EX_OUTCOMES | SCN_EX_GPA;
	st->expect.tlb_hit = false;
	st->expect.outcomes = 1;
	st->expect.gpa = PA;
	expect_entry(st, VA, 1, PA | PT_P | PT_W | PT_U | PT_A | PT_D);
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_DIVERGENCE], 0);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_write_through_a_clean_entry_walks_to_set_dirty(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	do_access(&s, VA, SCN_ACC_READ, 4); /* cached with D clear */
	st = do_access(&s, VA, SCN_ACC_WRITE, 4);
	st->expect.has |= SCN_EX_TLB_HIT;
	st->expect.tlb_hit = false; /* SDM 4.8: the CPU walks to set D */
	expect_entry(st, VA, 1, PA | PT_P | PT_W | PT_U | PT_A | PT_D);
	sim = run_all(&s, &r, 0);
	assert_int_equal(r.n[SIM_EV_WALK], 2);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_non_canonical_access_is_gp_and_fails_by_default(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct sim_snapshot snap;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 2);
	st = do_access(&s, 0x0000800000000000ULL, SCN_ACC_READ, 1);
	expect_fault(st, SCN_FAULT_GP);
	do_access(&s, 0x0000800000000000ULL, SCN_ACC_READ, 1); /* no expect: must complete */
	sim = run_all(&s, &r, 1);
	assert_string_equal(r.fail_what, "fault");
	assert_has_line(
		&r, "[s0 v0] mmuscope_access: read va 0x800000000000 size 1 cpl3 -> #GP via walk "
		    "outcomes 1");
	assert_has_line(&r, "[s1 v0] mmuscope_expect_fail: fault expected none observed gp (");
	sim_snapshot(sim, &snap);
	assert_hex("faults_gp", 2, snap.counters.faults_gp);
	assert_hex("tlb entries", 0, snap.vcpu[0].tlb_entries);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_access_reports_its_decoded_instruction_first(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;
	const char *insn, *acc;

	(void)state;
	scn_long_mode(&s, 2);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	st = do_access(&s, VA, SCN_ACC_WRITE, 4);
	st->insn[0] = 0x89;
	st->insn[1] = 0x18;
	st->insn_len = 2;
	sim = run_all(&s, &r, 0);
	/* CS.L=0 (compatibility mode): 32-bit code. */
	assert_has_line(&r, "[s1 v0] mmuscope_insn: 89 18 mov dword ptr [eax], ebx (writes 4)");
	insn = strstr(r.text, "mmuscope_insn");
	acc = strstr(r.text, "mmuscope_access");
	assert_true(insn && acc && insn < acc);
	assert_non_null(strstr(r.json, "\"text\":\"mov dword ptr [eax], ebx\",\"write_size\":4,"
				       "\"bits\":32"));
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_access_with_paging_off_is_identity_and_not_cached(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 2);
	mem_write(&s, 0x5000, 2, 0xbeef, false);
	st = do_access(&s, 0x5000, SCN_ACC_READ, 2);
	st->u.access.cpl = -1;
	st->insn[0] = 0x8b; /* mov bx, [bx+si]: real mode is 16-bit code */
	st->insn[1] = 0x18;
	st->insn_len = 2;
	st->expect.has |= SCN_EX_GPA | SCN_EX_VALUE | SCN_EX_TLB_COUNT;
	st->expect.gpa = 0x5000;
	st->expect.value = 0xbeef;
	st->expect.tlb_count = 0;
	sim = run_all(&s, &r, 0);
	assert_has_line(&r,
			"[s1 v0] mmuscope_walk: none read va 0x5000 cpl0 -> gpa 0x5000 4k refs 0");
	assert_int_equal(r.n[SIM_EV_TLB_FILL], 0);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_access_crossing_a_page_is_a_positioned_error(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim;

	(void)state;
	scn_base(&s, 1);
	do_access(&s, 0x5ffe, SCN_ACC_READ, 4);
	sim = start(&s, NULL);
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/0");
	assert_non_null(strstr(err.msg, "crosses a page"));
	sim_destroy(sim);
	scn_free(&s);
}

/* ---- invlpg, invpcid, flush_tlb ---- */

static void test_invlpg_drops_the_page_and_ignores_a_non_canonical_address(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 4);
	map4(&s, VA, PA, PT_P | PT_W | PT_U);
	do_access(&s, VA, SCN_ACC_READ, 1);
	st = add(&s, SCN_OP_INVLPG);
	st->u.inv.va = 0x8000000000400000ULL; /* non-canonical: a no-op */
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 1;
	st = add(&s, SCN_OP_INVLPG);
	st->u.inv.va = VA + 0xfff;
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 0;
	sim = run_all(&s, &r, 0);
	assert_has_line(
		&r, "[s2 v0] mmuscope_tlb_flush: invlpg va 0x8000000000400000 pcid 0 dropped 0");
	assert_has_line(&r, "[s3 v0] mmuscope_tlb_flush: invlpg va 0x400fff pcid 0 dropped 1");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static struct scn_step *invpcid(struct scenario *s, u8 type, u16 pcid, u64 va)
{
	struct scn_step *st = add(s, SCN_OP_INVPCID);

	st->u.inv.type = type;
	st->u.inv.pcid = pcid;
	st->u.inv.va = va;
	return st;
}

static void test_invpcid_applies_the_sdm_fault_rules(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 8);
	map4(&s, VA, PA, PT_P | PT_W | PT_U | PT_G);
	set1(&s, SCN_REG_CR4, X86_CR4_PAE | X86_CR4_PGE);
	do_access(&s, VA, SCN_ACC_READ, 1); /* a global entry */
	/* PCIDE=0: type 0/1 with a PCID other than 0 is #GP. */
	expect_fault(invpcid(&s, 1, 5, 0), SCN_FAULT_GP);
	/* Type 0 with a non-canonical address is #GP. */
	expect_fault(invpcid(&s, 0, 0, 0x8000000000000000ULL), SCN_FAULT_GP);
	/* Type 3 keeps globals; type 2 drops them. */
	st = invpcid(&s, 3, 0, 0);
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 1;
	st = invpcid(&s, 2, 0, 0);
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 0;
	/* A refused INVPCID without expect.fault fails the step. */
	invpcid(&s, 1, 7, 0);
	sim = run_all(&s, &r, 1);
	assert_has_line(&r, "[s3 v0] mmuscope_tlb_flush: invpcid.single pcid 5 -> #GP (");
	assert_has_line(&r, "[s5 v0] mmuscope_tlb_flush: invpcid.all dropped 0");
	assert_has_line(&r, "[s6 v0] mmuscope_tlb_flush: invpcid.all_global dropped 1");
	assert_has_line(&r, "[s7 v0] mmuscope_expect_fail: fault expected none observed gp (");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_invpcid_is_ud_without_the_feature_and_gp_at_cpl3(void **state)
{
	struct scenario s;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 3);
	s.machine.feat.invpcid = false;
	expect_fault(invpcid(&s, 3, 0, 0), SCN_FAULT_UD);
	sim = run_all(&s, &r, 0);
	assert_has_line(&r, "mmuscope_tlb_flush: invpcid.all -> #UD (");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);

	scn_long_mode(&s, 3);
	set1(&s, SCN_REG_CPL, 3);
	expect_fault(invpcid(&s, 3, 0, 0), SCN_FAULT_GP);
	sim = run_all(&s, &r, 0);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_flush_tlb_drops_every_entry(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_long_mode(&s, 6);
	map4(&s, VA, PA, PT_P | PT_W | PT_U | PT_G);
	map4(&s, VA + PAGE_SIZE, PA2, PT_P | PT_W | PT_U);
	set1(&s, SCN_REG_CR4, X86_CR4_PAE | X86_CR4_PGE);
	do_access(&s, VA, SCN_ACC_READ, 1);
	do_access(&s, VA + PAGE_SIZE, SCN_ACC_READ, 1);
	st = add(&s, SCN_OP_FLUSH_TLB);
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = 0;
	sim = run_all(&s, &r, 0);
	assert_has_line(&r, "[s5 v0] mmuscope_tlb_flush: flush dropped 2");
	assert_has_line(&r, "vpid 0 pcid 0 global acc uwx");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/* ---- memslots ---- */

static void test_memslot_ops_change_the_memory_and_report_events(void **state)
{
	struct scenario s;
	struct scn_step *st;
	struct scn_error err;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 7);
	st = add(&s, SCN_OP_MEMSLOT_ADD);
	st->u.slot = (struct scn_memslot){
		.as = 0, .id = 5, .gpa = 0x2000000, .size = 0x10000, .flags = GMEM_SLOT_DIRTY_LOG};
	st = mem_write(&s, 0x2000000, 8, 0x77, false);
	expect_mem(st, 0x2000000, 8, 0x77);
	st = add(&s, SCN_OP_MEMSLOT_FLAGS);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5, .flags = GMEM_SLOT_READONLY};
	st = mem_write(&s, 0x2000000, 8, 0x88, false);
	expect_mem(st, 0x2000000, 8, 0x77);
	st = add(&s, SCN_OP_MEMSLOT_DELETE);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 5};
	/* Overlapping the first slot: refused, positioned. */
	st = add(&s, SCN_OP_MEMSLOT_ADD);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 6, .gpa = 0x1000, .size = 0x1000};
	sim = start(&s, &r);
	assert_int_equal(sim_run(sim, 5, &err), 0);
	assert_int_equal(sim_failures(sim), 0);
	assert_int_equal(r.n[SIM_EV_MEMSLOT], 3);
	assert_has_line(&r,
			"[s0 v0] mmuscope_memslot: add as 0 id 5 gpa 0x2000000 size 0x10000 flags "
			"dirty_log");
	assert_has_line(&r, "[s2 v0] mmuscope_memslot: flags as 0 id 5 flags readonly");
	assert_has_line(&r, "[s4 v0] mmuscope_memslot: delete as 0 id 5");
	assert_null(gmem_hva(sim_gmem(sim), 0, 0x2000000, 8));
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/5");
	assert_int_equal(err.line, 15);
	assert_non_null(strstr(err.msg, "overlaps"));
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/* ---- what this build cannot run ---- */

static void test_ops_needing_missing_models_are_refused_with_their_position(void **state)
{
	/* Every op runs now (vmentry/vmexit: the nested model); a vmexit while L1
	 * runs is a positioned error of the step, after it started. */
	struct scenario s;
	struct scn_error err;
	struct rec r;
	struct sim *sim;

	(void)state;
	scn_base(&s, 2);
	add(&s, SCN_OP_EXPECT);
	add(&s, SCN_OP_VMEXIT);
	sim = start(&s, &r);
	assert_int_equal(sim_step(sim, &err), 0);
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/1");
	assert_non_null(strstr(err.msg, "vmexit while L1 runs"));
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_expect_keys_needing_the_mmu_are_refused_with_their_position(void **state)
{
	static const struct {
		u64 bit;
		const char *path;
	} cases[] = {
		{SCN_EX_SPTE, "/steps/0/expect/spte"},
	};

	(void)state;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(cases); i++) {
		struct scenario s;
		struct scn_error err;
		struct sim *sim;

		scn_base(&s, 1);
		add(&s, SCN_OP_EXPECT)->expect.has = cases[i].bit;
		sim = start(&s, NULL);
		assert_int_equal(sim_step(sim, &err), MSC_EOPNOTSUPP);
		assert_string_equal(err.path, cases[i].path);
		assert_int_equal(err.line, 10);
		assert_int_equal(err.col, 20);
		assert_non_null(strstr(err.msg, "needs the KVM MMU model, not built yet"));
		sim_destroy(sim);
		scn_free(&s);
	}
}

/* machine.tdp with tdp_mmu true (the default) runs KVM's TDP MMU (mmu/tdp_mmu.c). */
static void test_tdp_machine_with_the_tdp_mmu_is_created(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim = NULL;

	(void)state;
	scn_base(&s, 1);
	s.machine.pos = (struct scn_pos){2, 3};
	s.machine.tdp = SCN_TDP_EPT;
	assert_true(s.machine.tdp_mmu);
	assert_int_equal(sim_create(&sim, &s, &err), 0);
	sim_destroy(sim);
	scn_free(&s);
}

static void test_step_on_a_missing_vcpu_is_a_positioned_error(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct sim *sim;

	(void)state;
	scn_base(&s, 1);
	add(&s, SCN_OP_FLUSH_TLB)->vcpu = 1;
	sim = start(&s, NULL);
	assert_int_equal(sim_step(sim, &err), MSC_EINVAL);
	assert_string_equal(err.path, "/steps/0/vcpu");
	sim_destroy(sim);
	scn_free(&s);
}

/* ---- expectations: each key passes with the right value and fails with a wrong one ---- */

/* A read of VA+8 (value 0x1234 at PA+8), or of an unmapped address (a #PF). */
static struct scn_step *probe_scn(struct scenario *s, bool faulting)
{
	scn_long_mode(s, 4);
	map4(s, VA, PA, PT_P | PT_W | PT_U);
	mem_write(s, PA + 8, 8, 0x1234, false);
	return do_access(s, faulting ? 0x600000 : VA + 8, SCN_ACC_READ, 8);
}

typedef void (*expect_fn)(struct scenario *s, struct scn_step *st, bool good);

static void ex_fault(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	expect_fault(st, good ? SCN_FAULT_NONE : SCN_FAULT_PF);
}

static void ex_error_code(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	expect_fault(st, SCN_FAULT_PF);
	st->u.access.va = 0x600000;
	st->expect.has |= SCN_EX_ERROR_CODE;
	st->expect.error_code = good ? PFERR_U : PFERR_U | PFERR_P;
}

static void ex_cr2(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	expect_fault(st, SCN_FAULT_PF);
	st->u.access.va = 0x600000;
	st->expect.has |= SCN_EX_CR2;
	st->expect.cr2 = good ? 0x600000 : 0x600001;
}

static void ex_gpa(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_GPA;
	st->expect.gpa = good ? PA + 8 : PA;
}

static void ex_value(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_VALUE;
	st->expect.value = good ? 0x1234 : 0x1235;
}

static void ex_qual(struct scenario *s, struct scn_step *st, bool good)
{
	/* No EPT today: a qualification is never observed, so it can only fail. */
	(void)s;
	(void)good;
	st->expect.has |= SCN_EX_QUAL;
}

static void ex_page_size(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_PAGE_SIZE;
	st->expect.page_size = good ? PAGE_SIZE : 0x200000;
}

static void ex_tlb_hit(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_TLB_HIT;
	st->expect.tlb_hit = !good;
}

static void ex_outcomes(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_OUTCOMES;
	st->expect.outcomes = good ? 1 : 2;
}

static void ex_regs(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_REGS;
	st->expect.regs[0] = (struct scn_named_u64){"cr3", ROOT, {13, 40}};
	st->expect.regs[1] =
		(struct scn_named_u64){"cr0", good ? 0x80010011 : 0x80000011, {13, 50}};
	st->expect.nregs = 2;
}

static void ex_tlb_entries(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	st->expect.has |= SCN_EX_TLB_COUNT;
	st->expect.tlb_count = good ? 1 : 0;
}

static void ex_mem(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	expect_mem(st, PA + 8, 2, good ? 0x1234 : 0x34);
}

static void ex_entry(struct scenario *s, struct scn_step *st, bool good)
{
	(void)s;
	expect_entry(st, VA, 1,
		     good ? (PA | PT_P | PT_W | PT_U | PT_A) : (PA | PT_P | PT_W | PT_U));
}

static void ex_trace(struct scenario *s, struct scn_step *st, bool good)
{
	expect_trace(s, st, "mmuscope_walk_step: L2 entry 0x801010");
	expect_trace(s, st, good ? "-> gpa 0x200008 4k value 0x1234 via walk" : "refs 4\n[s2");
}

static void test_each_expect_key_passes_when_right_and_fails_when_wrong(void **state)
{
	static const struct {
		const char *what;
		expect_fn fn;
	} keys[] = {
		{"fault", ex_fault},
		{"error_code", ex_error_code},
		{"cr2", ex_cr2},
		{"gpa", ex_gpa},
		{"value", ex_value},
		{"qual", ex_qual},
		{"page_size", ex_page_size},
		{"tlb_hit", ex_tlb_hit},
		{"outcomes", ex_outcomes},
		{"regs.cr0", ex_regs},
		{"tlb_entries", ex_tlb_entries},
		{"mem", ex_mem},
		{"entry", ex_entry},
		{"trace", ex_trace},
	};

	(void)state;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(keys); i++) {
		for (int good = 1; good >= 0; good--) {
			struct scenario s;
			struct rec r;
			struct sim *sim;
			struct scn_step *st = probe_scn(&s, false);
			/* qual is never observed without EPT: it fails either way. */
			u32 want = !good || !strcmp(keys[i].what, "qual");

			keys[i].fn(&s, st, good);
			sim = start(&s, &r);
			assert_int_equal(sim_run(sim, UINT32_MAX, NULL), 1);
			if (sim_failures(sim) != want ||
			    (want && strcmp(r.fail_what, keys[i].what))) {
				print_error(
					"expect %s (%s): want %u failure(s) on \"%s\", got %u on "
					"\"%s\"; trace:\n%s",
					keys[i].what, good ? "right" : "wrong", want, keys[i].what,
					sim_failures(sim), r.fail_what, r.text);
				fail();
			}
			sim_destroy(sim);
			rec_free(&r);
			scn_free(&s);
		}
	}
}

static void test_expectation_failure_reports_expected_observed_and_position(void **state)
{
	struct scenario s;
	struct scn_step *st = probe_scn(&s, true);
	struct rec r;
	struct sim *sim;

	(void)state;
	expect_fault(st, SCN_FAULT_PF);
	st->expect.has |= SCN_EX_ERROR_CODE | SCN_EX_GPA | SCN_EX_REGS;
	st->expect.error_code = 0x5;
	st->expect.gpa = 0x1000;
	st->expect.regs[0] = (struct scn_named_u64){"cr4", 0, {40, 2}};
	st->expect.nregs = 1;
	sim = run_all(&s, &r, 3);
	assert_has_line(
		&r, "[s2 v0] mmuscope_expect_fail: error_code expected 0x5 observed 0x4 at 12:20");
	assert_has_line(&r,
			"[s2 v0] mmuscope_expect_fail: gpa expected 0x1000 observed none at 12:20");
	assert_has_line(
		&r, "[s2 v0] mmuscope_expect_fail: regs.cr4 expected 0x0 observed 0x20 at 40:2");
	assert_non_null(strstr(r.json, "{\"event\":\"mmuscope_expect_fail\",\"step\":2,\"vcpu\":0,"
				       "\"what\":\"error_code\",\"expected\":\"0x5\","
				       "\"observed\":\"0x4\",\"line\":12,\"col\":20}"));
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

/* ---- determinism and seeking ---- */

/* A scenario touching most of the engine: remaps, stale entries, faults, memslots. */
static void busy_scn(struct scenario *s)
{
	struct scn_step *st;

	stale_remap(s, SCN_TLB_RETAIN);
	s->steps = realloc(s->steps, 20 * sizeof(*s->steps));
	assert_non_null(s->steps);
	map4(s, VA + PAGE_SIZE, PA + PAGE_SIZE, PT_P | PT_U);
	do_access(s, VA + PAGE_SIZE, SCN_ACC_READ, 8);
	set_entry4(s, VA + PAGE_SIZE, 1, (PA + PAGE_SIZE) | PT_P | PT_U | PT_W)->u.pt.mode =
		SCN_WRITE_GUEST;
	expect_fault(do_access(s, VA + PAGE_SIZE, SCN_ACC_WRITE, 8), SCN_FAULT_PF);
	st = do_access(s, VA + PAGE_SIZE + 8, SCN_ACC_WRITE, 8);
	st->u.access.value = 0xfeedface;
	st = add(s, SCN_OP_MEMSLOT_ADD);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 9, .gpa = 0x4000000, .size = 0x2000};
	mem_write(s, 0x4000010, 4, 0xcafe, false);
	st = add(s, SCN_OP_MEMSLOT_FLAGS);
	st->u.slot = (struct scn_memslot){.as = 0, .id = 9, .flags = GMEM_SLOT_READONLY};
	mem_write(s, 0x4000010, 4, 0xdead, false);
	do_access(s, 0x700000, SCN_ACC_READ, 1); /* #PF, fails by default */
}

static void test_two_runs_give_identical_trace_bytes(void **state)
{
	struct scenario s;
	struct rec a, b;
	struct sim *sa, *sb;

	(void)state;
	busy_scn(&s);
	sa = run_all(&s, &a, 1);
	sb = run_all(&s, &b, 1);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.text, b.text, a.len);
	assert_int_equal(a.jlen, b.jlen);
	assert_memory_equal(a.json, b.json, a.jlen);
	sim_destroy(sa);
	sim_destroy(sb);
	rec_free(&a);
	rec_free(&b);
	scn_free(&s);
}

struct tlb_list {
	struct tlb_entry e[64];
	unsigned n;
};

static void tlb_collect(void *ctx, const struct tlb_entry *e)
{
	struct tlb_list *l = ctx;

	if (l->n < MSC_ARRAY_SIZE(l->e))
		l->e[l->n++] = *e;
}

/* Same registers, counters, TLB entries and guest memory. */
static void assert_same_state(const struct sim *a, const struct sim *b)
{
	struct sim_snapshot x, y;
	struct tlb_list ta = {0}, tb = {0};
	static u8 ma[0x400000], mb[0x400000];

	sim_snapshot(a, &x);
	sim_snapshot(b, &y);
	assert_int_equal(x.step, y.step);
	assert_int_equal(x.failures, y.failures);
	assert_memory_equal(&x.counters, &y.counters, sizeof(x.counters));
	assert_hex("cr0", y.vcpu[0].r.cr0, x.vcpu[0].r.cr0);
	assert_hex("cr2", y.vcpu[0].r.cr2, x.vcpu[0].r.cr2);
	assert_hex("cr3", y.vcpu[0].r.cr3, x.vcpu[0].r.cr3);
	assert_hex("cr4", y.vcpu[0].r.cr4, x.vcpu[0].r.cr4);
	assert_hex("efer", y.vcpu[0].r.efer, x.vcpu[0].r.efer);
	assert_hex("tlb entries", y.vcpu[0].tlb_entries, x.vcpu[0].tlb_entries);
	tlb_foreach(sim_tlb(a, 0), tlb_collect, &ta);
	tlb_foreach(sim_tlb(b, 0), tlb_collect, &tb);
	assert_int_equal(ta.n, tb.n);
	for (unsigned i = 0; i < ta.n; i++) {
		assert_hex("tlb va", tb.e[i].va, ta.e[i].va);
		assert_hex("tlb pa", tb.e[i].pa, ta.e[i].pa);
		assert_hex("tlb acc", tb.e[i].acc, ta.e[i].acc);
		assert_hex("tlb dirty", tb.e[i].dirty, ta.e[i].dirty);
	}
	/* Guest memory the scenario touches: data pages, tables, the pool, the new slot. */
	assert_int_equal(gmem_read(sim_gmem(a), 0, 0, ma, sizeof(ma)), 0);
	assert_int_equal(gmem_read(sim_gmem(b), 0, 0, mb, sizeof(mb)), 0);
	assert_memory_equal(ma, mb, sizeof(ma));
	assert_int_equal(gmem_read(sim_gmem(a), 0, POOL, ma, 0x10000), 0);
	assert_int_equal(gmem_read(sim_gmem(b), 0, POOL, mb, 0x10000), 0);
	assert_memory_equal(ma, mb, 0x10000);
	assert_int_equal(gmem_slot_count(sim_gmem(a), 0), gmem_slot_count(sim_gmem(b), 0));
	if (gmem_hva(sim_gmem(a), 0, 0x4000000, 0x2000)) {
		assert_int_equal(gmem_read(sim_gmem(a), 0, 0x4000000, ma, 0x2000), 0);
		assert_int_equal(gmem_read(sim_gmem(b), 0, 0x4000000, mb, 0x2000), 0);
		assert_memory_equal(ma, mb, 0x2000);
	} else {
		assert_null(gmem_hva(sim_gmem(b), 0, 0x4000000, 0x2000));
	}
}

static void test_seek_equals_a_fresh_run(void **state)
{
	struct scenario s;
	struct rec r;
	struct sim *sim, *fresh;
	unsigned events;

	(void)state;
	busy_scn(&s);
	sim = run_all(&s, &r, 1);
	events = r.n[SIM_EV_STEP];
	for (u32 k = 0; k <= s.nsteps; k++) {
		u32 targets[] = {k, s.nsteps - k};

		for (unsigned t = 0; t < 2; t++) {
			int rc = sim_seek(sim, targets[t], NULL);

			assert_int_equal(rc, 0);
			fresh = start(&s, NULL);
			assert_int_equal(sim_run(fresh, targets[t], NULL), 0);
			assert_same_state(sim, fresh);
			sim_destroy(fresh);
		}
	}
	/* Sinks saw nothing while replaying. */
	assert_int_equal(r.n[SIM_EV_STEP], events);
	/* Seeking past the end stops at the end. */
	assert_int_equal(sim_seek(sim, s.nsteps + 5, NULL), 1);
	assert_int_equal(sim_steps_done(sim), s.nsteps);
	/* After a rewind, stepping on reports events again and ends in the same state. */
	assert_int_equal(sim_seek(sim, 3, NULL), 0);
	assert_int_equal(sim_run(sim, UINT32_MAX, NULL), 1);
	assert_int_equal(r.n[SIM_EV_STEP], events + s.nsteps - 3);
	fresh = run_all(&s, NULL, 1);
	assert_same_state(sim, fresh);
	sim_destroy(fresh);
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

static void test_run_stops_at_until_and_returns_one_at_the_end(void **state)
{
	struct scenario s;
	struct sim *sim;

	(void)state;
	scn_base(&s, 3);
	add(&s, SCN_OP_EXPECT);
	add(&s, SCN_OP_FLUSH_TLB);
	add(&s, SCN_OP_EXPECT);
	sim = start(&s, NULL);
	assert_int_equal(sim_run(sim, 2, NULL), 0);
	assert_int_equal(sim_steps_done(sim), 2);
	assert_int_equal(sim_run(sim, 2, NULL), 0);
	assert_int_equal(sim_step(sim, NULL), 0);
	assert_int_equal(sim_step(sim, NULL), 1);
	assert_int_equal(sim_run(sim, UINT32_MAX, NULL), 1);
	assert_int_equal(sim_steps_done(sim), 3);
	assert_non_null(sim_features(sim));
	assert_non_null(sim_tlb(sim, 0));
	assert_null(sim_tlb(sim, 1));
	sim_destroy(sim);
	scn_free(&s);
}

static void test_sinks_are_called_in_order_and_limited_to_eight(void **state)
{
	struct scenario s;
	struct rec r[8];
	struct sim *sim;
	int dummy;

	(void)state;
	scn_base(&s, 1);
	add(&s, SCN_OP_EXPECT);
	sim = start(&s, NULL);
	for (int i = 0; i < 8; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		assert_int_equal(sim_add_sink(sim, rec_sink, &r[i]), 0);
	}
	assert_int_equal(sim_add_sink(sim, rec_sink, &dummy), MSC_ENOSPC);
	assert_int_equal(sim_step(sim, NULL), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r[i].n[SIM_EV_STEP], 1);
		rec_free(&r[i]);
	}
	sim_destroy(sim);
	scn_free(&s);
}

/* ---- scenarios from JSON, through the loader ---- */

static const char json_scn[] =
	"{\"version\": 1, \"name\": \"json\",\n"
	" \"machine\": {\"memslots\": [{\"gpa\": \"0x0\", \"size\": \"0x400000\"}],\n"
	"             \"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", \"size\": \"0x10000\"}},\n"
	" \"vcpus\": [{\"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": \"0x1000\",\n"
	"            \"cr0\": \"PE|PG|WP\"}],\n"
	" \"steps\": [\n"
	"  {\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": \"0x400000\",\n"
	"   \"pa\": \"0x200000\", \"flags\": \"P|W|U\"},\n"
	"  {\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"write\", \"size\": 8, \"cpl\": "
	"3,\n"
	"   \"value\": \"0x55\", \"expect\": {\"fault\": \"none\", \"gpa\": \"0x200000\",\n"
	"   \"tlb_entries\": 1, \"trace\": [\"mmuscope_tlb_fill: 0x400000 -> 0x200000 4k\"]}},\n"
	"  {\"op\": \"access\", \"va\": \"0x401000\", \"kind\": \"read\", \"cpl\": 3,\n"
	"   \"expect\": {\"fault\": \"pf\", \"error_code\": \"0x6\",\n"
	"              \"regs\": {\"cr2\": \"0x401000\"}}},\n"
	"  {\"op\": \"vmexit\"}\n"
	" ]}\n";

static void test_json_scenario_runs_and_reports_failures_at_file_positions(void **state)
{
	struct scenario s;
	struct scn_error err;
	struct rec r;
	struct sim *sim;
	int rc = scn_load_buffer("t.json", json_scn, sizeof(json_scn) - 1, &s, &err);

	(void)state;
	if (rc) {
		print_error("scn_load_buffer: want 0, got %d: %u:%u %s: %s\n", rc, err.line,
			    err.col, err.path, err.msg);
		fail();
	}
	sim = start(&s, &r);
	assert_int_equal(sim_run(sim, UINT32_MAX, &err), MSC_EINVAL);
	assert_string_equal(err.file, "t.json");
	assert_int_equal(err.line, 15);
	assert_string_equal(err.path, "/steps/3");
	assert_int_equal(sim_steps_done(sim), 3);
	/* The read of an unmapped page is a #PF with error code U (0x4), not 0x6. */
	assert_int_equal(sim_failures(sim), 1);
	assert_string_equal(r.fail_what, "error_code");
	assert_has_line(
		&r, "[s2 v0] mmuscope_expect_fail: error_code expected 0x6 observed 0x4 at 13:");
	sim_destroy(sim);
	rec_free(&r);
	scn_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_applies_registers_in_order_one_event_each),
		cmocka_unit_test(test_set_stops_at_a_refused_write_and_fails_by_default),
		cmocka_unit_test(test_set_refused_write_passes_when_the_fault_is_expected),
		cmocka_unit_test(test_set_reports_the_tlb_flush_a_cr3_write_implies),
		cmocka_unit_test(test_refused_initial_register_is_an_error_at_its_position),
		cmocka_unit_test(test_map_takes_tables_from_the_pool_and_reports_each_entry_write),
		cmocka_unit_test(test_map_needing_a_table_without_a_pool_is_a_positioned_error),
		cmocka_unit_test(test_guest_table_write_to_a_readonly_slot_is_dropped),
		cmocka_unit_test(test_unmap_clears_the_leaf_and_unmapping_twice_is_an_error),
		cmocka_unit_test(test_set_entry_writes_a_raw_entry_on_the_path),
		cmocka_unit_test(test_mem_write_and_read_guest_host_and_readonly),
		cmocka_unit_test(test_mem_write_to_unbacked_memory_is_a_positioned_error),
		cmocka_unit_test(test_access_read_walks_fills_the_tlb_and_sets_accessed_bits),
		cmocka_unit_test(test_access_write_sets_dirty_and_writes_little_endian),
		cmocka_unit_test(test_second_access_is_served_by_the_tlb_without_a_walk),
		cmocka_unit_test(test_page_fault_sets_cr2_and_invalidates_the_tlb_entry),
		cmocka_unit_test(
			test_stale_translation_with_retain_serves_the_old_gpa_until_invlpg),
		cmocka_unit_test(test_stale_translation_with_walk_policy_sees_the_unsync_spte),
		cmocka_unit_test(
			test_cached_readonly_entry_gives_a_spurious_fault_after_the_page_became_writable),
		cmocka_unit_test(test_write_through_a_clean_entry_walks_to_set_dirty),
		cmocka_unit_test(test_non_canonical_access_is_gp_and_fails_by_default),
		cmocka_unit_test(test_access_reports_its_decoded_instruction_first),
		cmocka_unit_test(test_access_with_paging_off_is_identity_and_not_cached),
		cmocka_unit_test(test_access_crossing_a_page_is_a_positioned_error),
		cmocka_unit_test(test_invlpg_drops_the_page_and_ignores_a_non_canonical_address),
		cmocka_unit_test(test_invpcid_applies_the_sdm_fault_rules),
		cmocka_unit_test(test_invpcid_is_ud_without_the_feature_and_gp_at_cpl3),
		cmocka_unit_test(test_flush_tlb_drops_every_entry),
		cmocka_unit_test(test_memslot_ops_change_the_memory_and_report_events),
		cmocka_unit_test(test_ops_needing_missing_models_are_refused_with_their_position),
		cmocka_unit_test(test_expect_keys_needing_the_mmu_are_refused_with_their_position),
		cmocka_unit_test(test_tdp_machine_with_the_tdp_mmu_is_created),
		cmocka_unit_test(test_step_on_a_missing_vcpu_is_a_positioned_error),
		cmocka_unit_test(test_each_expect_key_passes_when_right_and_fails_when_wrong),
		cmocka_unit_test(test_expectation_failure_reports_expected_observed_and_position),
		cmocka_unit_test(test_two_runs_give_identical_trace_bytes),
		cmocka_unit_test(test_seek_equals_a_fresh_run),
		cmocka_unit_test(test_run_stops_at_until_and_returns_one_at_the_end),
		cmocka_unit_test(test_sinks_are_called_in_order_and_limited_to_eight),
		cmocka_unit_test(test_json_scenario_runs_and_reports_failures_at_file_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
