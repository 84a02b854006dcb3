/* SPDX-License-Identifier: MIT */
/*
 * Lowering scenarios to probe batches (host/lower.c) and comparing records with
 * predictions (host/compare.c, host/known.c): no runner needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/walk.h"
#include "host/compare.h"
#include "host/lower.h"

static void lower_file(const char *rel, struct lower_result *lr)
{
	char path[512];
	struct scenario s;
	struct scn_error err;

	snprintf(path, sizeof(path), "%s/%s", MSC_SOURCE_DIR, rel);
	assert_int_equal(scn_load_file(path, &s, &err), 0);
	assert_int_equal(host_lower(&s, 7, lr, &err), 0);
	scn_free(&s);
}

static void lower_text(const char *json, struct lower_result *lr)
{
	struct scenario s;
	struct scn_error err;
	int r = scn_load_buffer("mem.json", json, strlen(json), &s, &err);

	if (r)
		fprintf(stderr, "%s:%u:%u: %s: %s\n", err.file, err.line, err.col, err.path,
			err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(host_lower(&s, 0, lr, &err), 0);
	scn_free(&s);
}

/* The first command of @op for step @step at or after @from; fails when none.
 */
static u32 find_cmd(const struct lower_result *lr, u8 op, u32 step, u32 from)
{
	for (u32 i = from; i < lr->batch.ncmds; i++)
		if (lr->batch.cmds[i].op == op && lr->batch.cmds[i].id == step)
			return i;
	fail_msg("no %s command for step %u", hb_op_name(op), step);
	return 0;
}

static const struct lower_pred *pred_of(const struct lower_result *lr, u32 cmd)
{
	for (u32 i = 0; i < lr->npreds; i++)
		if (lr->preds[i].cmd == cmd)
			return &lr->preds[i];
	fail_msg("no prediction for command %u", cmd);
	return NULL;
}

static bool has_note(const struct lower_result *lr, u32 step, const char *sub)
{
	for (u32 i = 0; i < lr->nnotes; i++)
		if (lr->notes[i].step == step && strstr(lr->notes[i].text, sub))
			return true;
	return false;
}

/* teaching/04: the tables written, the long-mode MODE, a user read with its
 * four READ-backs carrying the A bits, #PF and #GP predictions. */
static void test_4level_teaching_scenario_lowers_to_expected_commands(void **state)
{
	struct lower_result lr;
	const struct hb_cmd *c;
	const struct lower_pred *p;
	static const u64 walk_pa[] = {0x17f0, 0x100000, 0x101000, 0x102008};
	static const u64 walk_val[] = {0x100027, 0x101027, 0x102027, 0x10027};
	u32 i, mode, acc;

	(void)state;
	lower_file("scenarios/teaching/04-paging-4level.json", &lr);
	assert_false(lr.skipped);
	c = &lr.batch.cmds[0];
	assert_int_equal(c->op, HB_OP_CASE);
	assert_int_equal(c->a, 7);
	assert_int_equal(lr.batch.cmds[1].op, HB_OP_ZERO);
	/* Step 0's PTE (0x10007 at 0x102008) is written before paging is on. */
	i = find_cmd(&lr, HB_OP_WRITE, 0, 0);
	for (; lr.batch.cmds[i].id == 0 && lr.batch.cmds[i].a != 0x102008; i++)
		;
	assert_int_equal(lr.batch.cmds[i].b, 0x10007);
	assert_int_equal(lr.batch.cmds[i].size, 8);
	mode = find_cmd(&lr, HB_OP_MODE, 6, 0);
	assert_true(i < mode);
	c = &lr.batch.cmds[mode];
	assert_int_equal(c->a, 0x80010011); /* PE|ET|WP|PG */
	assert_int_equal(c->b, 0x1000);
	assert_int_equal(c->c, 0x20); /* PAE */
	assert_int_equal(c->d, 0x900); /* LME|NXE, LMA left to the CPU */
	assert_int_equal(c->flags, HB_F_CS64);
	assert_int_equal(pred_of(&lr, mode)->outcomes[0].vector, HB_NO_VECTOR);
	/* The step-5 set (paging still off) needs no MODE: the probe is home. */
	for (i = 0; i < lr.batch.ncmds; i++)
		assert_false(lr.batch.cmds[i].op == HB_OP_MODE && lr.batch.cmds[i].id == 5);

	acc = find_cmd(&lr, HB_OP_ACCESS, 8, 0);
	c = &lr.batch.cmds[acc];
	assert_int_equal(c->kind, HB_KIND_READ);
	assert_int_equal(c->a, 0x7f0000001008);
	assert_int_equal(c->size, 8);
	assert_int_equal(c->cpl, 3);
	p = pred_of(&lr, acc);
	assert_int_equal(p->noutcomes, 1);
	assert_int_equal(p->outcomes[0].vector, HB_NO_VECTOR);
	assert_true(p->outcomes[0].has_value);
	assert_int_equal(p->outcomes[0].value, 0x4444444444444444ULL);
	for (i = 0; i < 4; i++) {
		c = &lr.batch.cmds[acc + 1 + i];
		assert_int_equal(c->op, HB_OP_READ);
		assert_int_equal(c->a, walk_pa[i]);
		assert_int_equal(c->size, 8);
		p = pred_of(&lr, acc + 1 + i);
		assert_int_equal(p->value, walk_val[i]);
		assert_int_equal(p->mask, 0);
		assert_int_equal(p->level, 4 - i);
	}
	/* The write sets D in the leaf only. */
	acc = find_cmd(&lr, HB_OP_ACCESS, 10, 0);
	assert_int_equal(lr.batch.cmds[acc].kind, HB_KIND_WRITE);
	assert_int_equal(lr.batch.cmds[acc].b, 0x5555555555555555ULL);
	assert_int_equal(pred_of(&lr, acc + 4)->value, 0x10067);
	/* Unmapped user read: #PF ec 4 with CR2; upper entries may also get A. */
	acc = find_cmd(&lr, HB_OP_ACCESS, 16, 0);
	p = pred_of(&lr, acc);
	assert_int_equal(p->outcomes[0].vector, 14);
	assert_int_equal(p->outcomes[0].error_code, 4);
	assert_int_equal(p->outcomes[0].cr2, 0x7f0000003000);
	/* Non-canonical: #GP(0), no walk, so no READ follows. */
	acc = find_cmd(&lr, HB_OP_ACCESS, 17, 0);
	assert_int_equal(pred_of(&lr, acc)->outcomes[0].vector, 13);
	assert_int_equal(lr.batch.cmds[acc + 1].op, HB_OP_ACCESS);
	/* One prediction per record, in command order. */
	assert_int_equal(lr.npreds, hb_records_max(&lr.batch));
	for (i = 1; i < lr.npreds; i++)
		assert_true(lr.preds[i].cmd > lr.preds[i - 1].cmd);
	host_lower_free(&lr);
}

static const char fetch_32bit[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": [{\"gpa\": "
	"\"0x0\", "
	"\"size\": \"0x400000\"}], \"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", "
	"\"size\": "
	"\"0x10000\"}},\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"32\", \"root\": \"0x2000\", \"va\": "
	"\"0x400000\", \"pa\": "
	"\"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"mem_write\", \"gpa\": \"0x10010\", \"size\": 1, \"value\": "
	"\"0x90\"},\n"
	"{\"op\": \"set\", \"cr3\": \"0x2000\", \"cr0\": \"PE|PG\"},\n"
	"{\"op\": \"access\", \"va\": \"0x400010\", \"kind\": \"fetch\"},\n"
	"{\"op\": \"access\", \"va\": \"0x800000\", \"kind\": \"read\", \"size\": "
	"4}\n"
	"]}";

/* A fetch runs RET at its target: 0xC3 written first, the old byte after;
 * 32-bit paging reads back 4-byte entries. */
static void test_32bit_fetch_writes_ret_and_restores_the_byte(void **state)
{
	struct lower_result lr;
	u32 acc, mode;

	(void)state;
	lower_text(fetch_32bit, &lr);
	mode = find_cmd(&lr, HB_OP_MODE, 2, 0);
	assert_int_equal(lr.batch.cmds[mode].a, 0x80000011);
	assert_int_equal(lr.batch.cmds[mode].b, 0x2000);
	assert_int_equal(lr.batch.cmds[mode].flags, 0);
	acc = find_cmd(&lr, HB_OP_ACCESS, 3, 0);
	assert_int_equal(lr.batch.cmds[acc].kind, HB_KIND_FETCH);
	assert_int_equal(lr.batch.cmds[acc - 1].op, HB_OP_WRITE);
	assert_int_equal(lr.batch.cmds[acc - 1].a, 0x10010);
	assert_int_equal(lr.batch.cmds[acc - 1].b, 0xc3);
	assert_int_equal(lr.batch.cmds[acc + 1].op, HB_OP_WRITE);
	assert_int_equal(lr.batch.cmds[acc + 1].a, 0x10010);
	assert_int_equal(lr.batch.cmds[acc + 1].b, 0x90);
	/* PDE 1 at 0x2004 and PTE 0 at 0x100000, 4 bytes each, with A set. */
	assert_int_equal(lr.batch.cmds[acc + 2].op, HB_OP_READ);
	assert_int_equal(lr.batch.cmds[acc + 2].a, 0x2004);
	assert_int_equal(lr.batch.cmds[acc + 2].size, 4);
	assert_int_equal(pred_of(&lr, acc + 2)->value, 0x100027); /* upper entries P|W|U */
	assert_int_equal(lr.batch.cmds[acc + 3].a, 0x100000);
	assert_int_equal(pred_of(&lr, acc + 3)->value, 0x10023);
	/* A not-present PDE: #PF ec 0; the PDE read back exactly. */
	acc = find_cmd(&lr, HB_OP_ACCESS, 4, 0);
	assert_int_equal(pred_of(&lr, acc)->outcomes[0].error_code, 0);
	assert_int_equal(pred_of(&lr, acc)->outcomes[0].cr2, 0x800000);
	assert_int_equal(lr.batch.cmds[acc + 1].a, 0x2008);
	host_lower_free(&lr);
}

static const char skips[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": [{\"gpa\": "
	"\"0x0\", "
	"\"size\": \"0x400000\"}], \"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", "
	"\"size\": "
	"\"0x10000\"}},\n"
	"\"vcpus\": [{}, {}],\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
	"\"0x0\", \"pa\": "
	"\"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"access\", \"va\": \"0x8\", \"kind\": \"read\", \"vcpu\": 1},\n"
	"{\"op\": \"pre_fault\", \"gpa\": \"0x0\", \"size\": \"0x1000\"},\n"
	"{\"op\": \"access\", \"va\": \"0x8\", \"kind\": \"read\", \"implicit\": "
	"true}\n"
	"]}";

/* What is not lowered is said per step; nothing lowerable skips the scenario.
 */
static void test_unlowerable_steps_are_skipped_with_reasons(void **state)
{
	struct lower_result lr;

	(void)state;
	lower_text(skips, &lr);
	assert_true(has_note(&lr, 1, "skipped: access read va 0x8: vCPU 1"));
	assert_true(has_note(&lr, 2, "note: pre_fault is KVM-only"));
	assert_true(has_note(&lr, 3, "skipped: access read va 0x8: implicit supervisor access"));
	assert_int_equal(lr.accesses, 0);
	assert_true(lr.skipped);
	assert_non_null(strstr(lr.why, "nothing to probe"));
	host_lower_free(&lr);
}

static const char conflict[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": [{\"gpa\": "
	"\"0x0\", "
	"\"size\": \"0x400000\"}], \"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", "
	"\"size\": "
	"\"0x10000\"}},\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
	"\"0xffffff8000000000\", \"pa\": \"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
	"\"0x0\", \"pa\": "
	"\"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME\", "
	"\"cr3\": "
	"\"0x1000\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE|PG\"},\n"
	"{\"op\": \"access\", \"va\": \"0x8\", \"kind\": \"read\"}\n"
	"]}";

/* A scenario that uses PML4E 511 (the harness window) is not entered. */
static void test_window_slot_in_use_skips_the_mode(void **state)
{
	struct lower_result lr;

	(void)state;
	lower_text(conflict, &lr);
	for (u32 i = 0; i < lr.batch.ncmds; i++) {
		assert_int_not_equal(lr.batch.cmds[i].op, HB_OP_MODE);
		assert_int_not_equal(lr.batch.cmds[i].op, HB_OP_ACCESS);
	}
	assert_true(has_note(&lr, 4, "harness window conflict"));
	assert_true(lr.skipped);
	host_lower_free(&lr);
}

static void test_lowering_is_deterministic(void **state)
{
	struct lower_result a, b;

	(void)state;
	lower_file("scenarios/teaching/14-stale-tlb.json", &a);
	lower_file("scenarios/teaching/14-stale-tlb.json", &b);
	assert_int_equal(a.batch.ncmds, b.batch.ncmds);
	assert_memory_equal(a.batch.cmds, b.batch.cmds, a.batch.ncmds * sizeof(struct hb_cmd));
	assert_int_equal(a.npreds, b.npreds);
	host_lower_free(&a);
	host_lower_free(&b);
}

/* A stale translation: the simulator's outcome and the fresh walk's are both
 * allowed. */
static void test_stale_tlb_access_allows_both_outcomes(void **state)
{
	struct lower_result lr;
	bool found = false;

	(void)state;
	lower_file("scenarios/teaching/14-stale-tlb.json", &lr);
	for (u32 i = 0; i < lr.npreds; i++) {
		const struct lower_pred *p = &lr.preds[i];

		if (p->op == HB_OP_ACCESS && p->noutcomes > 1) {
			found = true;
			assert_false(p->outcomes[0].vector == p->outcomes[1].vector &&
				     p->outcomes[0].value == p->outcomes[1].value &&
				     p->outcomes[0].error_code == p->outcomes[1].error_code);
		}
	}
	assert_true(found);
	host_lower_free(&lr);
}

/* Records that are exactly the predictions (the first outcome of each). */
static struct hb_record *perfect_records(const struct lower_result *lr)
{
	struct hb_record *r = calloc(lr->npreds, sizeof(*r));

	assert_non_null(r);
	for (u32 i = 0; i < lr->npreds; i++) {
		const struct lower_pred *p = &lr->preds[i];

		r[i].cmd = p->cmd;
		r[i].id = p->step;
		r[i].op = p->op;
		r[i].status = HB_ST_OK;
		r[i].vector = HB_NO_VECTOR;
		if (p->op == HB_OP_ACCESS && p->outcomes[0].npf) {
			r[i].rflags = HB_RF_NPF;
			r[i].value = p->outcomes[0].exitinfo1;
			r[i].error_code = (u32)p->outcomes[0].exitinfo1;
			r[i].cr2 = p->outcomes[0].exitinfo2;
		} else if (p->op == HB_OP_ACCESS) {
			r[i].vector = p->outcomes[0].vector;
			r[i].error_code = p->outcomes[0].error_code;
			r[i].cr2 = p->outcomes[0].cr2;
			r[i].value = p->outcomes[0].value;
		} else if (p->op == HB_OP_READ) {
			r[i].value = p->value;
		}
	}
	return r;
}

static u32 first_rsvd_access(const struct lower_result *lr)
{
	for (u32 i = 0; i < lr->npreds; i++)
		if (lr->preds[i].op == HB_OP_ACCESS && lr->preds[i].outcomes[0].vector == 14 &&
		    (lr->preds[i].outcomes[0].error_code & PFERR_RSVD))
			return i;
	fail_msg("no reserved-bit #PF predicted");
	return 0;
}

static void test_compare_classifies_synthetic_records(void **state)
{
	struct lower_result lr;
	struct hb_record *recs;
	struct cmp_item *items;
	struct cmp_summary sum;
	u32 n, k, mode = UINT32_MAX;

	(void)state;
	lower_file("scenarios/teaching/11-reserved-bits.json", &lr);
	recs = perfect_records(&lr);
	items = calloc(2 * lr.npreds + 2, sizeof(*items));
	assert_non_null(items);

	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(n, lr.npreds);
	assert_int_equal(sum.match, lr.npreds);
	assert_int_equal(sum.unexplained + sum.explained + sum.skipped, 0);

	/* TCG's reserved-bit error code without P: explained, for qemu-tcg only. */
	k = first_rsvd_access(&lr);
	assert_true(recs[k].error_code & PFERR_P);
	recs[k].error_code &= ~(u32)PFERR_P;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(sum.explained, 1);
	assert_int_equal(items[k].v, CMP_EXPLAINED);
	assert_string_equal(items[k].known->id, "tcg-rsvd-p");
	host_compare(&lr, recs, lr.npreds, "kvm", items, &n, &sum);
	assert_int_equal(items[k].v, CMP_UNEXPLAINED);
	assert_int_equal(sum.unexplained, 1);

	/* Any other error code is unexplained, also under TCG. */
	recs[k].error_code = 0xb;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(items[k].v, CMP_UNEXPLAINED);
	recs[k].error_code = lr.preds[k].outcomes[0].error_code;

	/* A PTE read back without the A bit the simulator set. */
	for (k = 0; k < lr.npreds; k++)
		if (lr.preds[k].op == HB_OP_READ && (lr.preds[k].value & 0x20) &&
		    !(lr.preds[k].mask & 0x20))
			break;
	assert_true(k < lr.npreds);
	recs[k].value &= ~0x20ULL;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(items[k].v, CMP_UNEXPLAINED);
	assert_int_equal(sum.unexplained, 1);
	recs[k].value |= 0x20;

	/* A window conflict on the MODE: skipped, and so is every record under it. */
	for (k = 0; k < lr.npreds; k++)
		if (lr.preds[k].op == HB_OP_MODE) {
			mode = k;
			break;
		}
	assert_true(mode < lr.npreds);
	recs[mode].status = HB_ST_CONFLICT;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(items[mode].v, CMP_SKIPPED);
	assert_string_equal(items[mode].why, "harness window conflict");
	assert_int_equal(items[mode + 1].v, CMP_SKIPPED);
	assert_int_equal(sum.unexplained, 0);
	assert_true(sum.skipped > 1);
	/* A refused MODE where the simulator accepted it: unexplained. */
	recs[mode].status = HB_ST_REFUSED;
	recs[mode].vector = 13;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(items[mode].v, CMP_UNEXPLAINED);
	assert_int_equal(sum.unexplained, 1);
	recs[mode].status = HB_ST_OK;

	/* A missing record is unexplained. */
	host_compare(&lr, recs, lr.npreds - 1, "qemu-tcg", items, &n, &sum);
	assert_int_equal(items[n - 1].v, CMP_UNEXPLAINED);
	assert_string_equal(items[n - 1].why, "no record");

	free(items);
	free(recs);
	host_lower_free(&lr);
}

/* Every entry of the table is complete, and each predicate explains exactly
 * its divergence (tcg-rsvd-p is exercised above). */
static void test_known_table_entries_have_evidence(void **state)
{
	static const char *const ids[] = {
		"tcg-rsvd-p",	      "tcg-pae-pdpte-memory", "tcg-1g-without-pdpe1gb",
		"tcg-amd-pml4e-bit8", "tcg-npf-rsvd-p",	      "tcg-amd-npt-bit8",
		"tcg-npf-fetch-smep", "tcg-smm-save-partial"};
	size_t n;
	const struct known_divergence *t = host_known_table(&n);

	(void)state;
	assert_int_equal(n, MSC_ARRAY_SIZE(ids));
	for (size_t i = 0; i < n; i++) {
		assert_non_null(t[i].applies);
		assert_string_equal(t[i].id, ids[i]);
		assert_true(strlen(t[i].runners) > 0);
		assert_true(strlen(t[i].desc) > 0 && strlen(t[i].evidence) > 20);
	}
}

static const char *explain_id(const struct lower_pred *p, const struct hb_record *r)
{
	const struct known_divergence *k = host_known_explain("qemu-tcg", p, r);

	/* Only TCG has them. */
	assert_null(host_known_explain("kvm", p, r));
	return k ? k->id : "";
}

static void test_known_predicates_are_narrow(void **state)
{
	struct lower_pred p;
	struct hb_record r;

	(void)state;
	/* PAE PDPTE from memory: the record must be that walk's outcome. */
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.op = HB_OP_ACCESS;
	p.size = 4;
	p.noutcomes = 1;
	p.outcomes[0] = (struct lower_outcome){.vector = 14, .error_code = 0x2, .cr2 = 0x40000a10};
	p.has_pdpte_mem = true;
	p.pdpte_mem = (struct lower_outcome){.vector = HB_NO_VECTOR};
	r.status = HB_ST_OK;
	r.vector = HB_NO_VECTOR;
	assert_string_equal(explain_id(&p, &r), "tcg-pae-pdpte-memory");
	r.vector = 14;
	r.error_code = 0x3;
	r.cr2 = 0x40000a10;
	assert_string_equal(explain_id(&p, &r), "");
	p.has_pdpte_mem = false;
	r.vector = HB_NO_VECTOR;
	assert_string_equal(explain_id(&p, &r), "");

	/* 1 GiB PDPTE and PML4E bit 8: a reserved-bit fault the runner walked past. */
	memset(&p, 0, sizeof(p));
	p.op = HB_OP_ACCESS;
	p.size = 8;
	p.noutcomes = 1;
	p.outcomes[0] = (struct lower_outcome){.vector = 14, .error_code = 0x9, .cr2 = 0x40001000};
	p.fault_level = 3;
	p.fault_pte = 0x83;
	assert_string_equal(explain_id(&p, &r), "tcg-1g-without-pdpe1gb");
	p.fault_level = 4;
	p.fault_pte = 0x100107;
	assert_string_equal(explain_id(&p, &r), "tcg-amd-pml4e-bit8");
	p.fault_pte = 0x100007; /* another reserved bit: not explained */
	assert_string_equal(explain_id(&p, &r), "");
	p.outcomes[0].error_code = 0x1; /* not a reserved-bit fault */
	p.fault_pte = 0x100107;
	assert_string_equal(explain_id(&p, &r), "");

	/* L2 #NPF on a reserved bit: EXITINFO1 without P (and nothing else), and
	 * an nPML4E bit 8 walked past; neither for another runner. */
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.op = HB_OP_ACCESS;
	p.size = 8;
	p.noutcomes = 1;
	p.outcomes[0] = (struct lower_outcome){.vector = HB_NO_VECTOR,
					       .npf = true,
					       .exitinfo1 = 0x10000000dULL,
					       .exitinfo2 = 0x300000};
	r.status = HB_ST_OK;
	r.vector = HB_NO_VECTOR;
	r.rflags = HB_RF_NPF;
	r.value = 0x10000000cULL;
	r.cr2 = 0x300000;
	assert_string_equal(explain_id(&p, &r), "tcg-npf-rsvd-p");
	assert_null(host_known_explain("kvm", &p, &r));
	r.value = 0x100000008ULL; /* U missing too */
	assert_string_equal(explain_id(&p, &r), "");
	r.value = 0x10000000cULL;
	r.cr2 = 0x301000; /* another gpa */
	assert_string_equal(explain_id(&p, &r), "");
	r.cr2 = 0x300000;
	p.outcomes[0].exitinfo1 = 0x100000005ULL; /* not a reserved-bit #NPF */
	r.value = 0x100000004ULL;
	assert_string_equal(explain_id(&p, &r), "");
	p.outcomes[0].exitinfo1 = 0x10000000dULL;
	r.rflags = 0; /* completed: only with the nPML4E bit 8 marked */
	r.value = 0;
	assert_string_equal(explain_id(&p, &r), "");
	p.fault_level = 4;
	p.fault_pte = 0x803107;
	assert_string_equal(explain_id(&p, &r), "tcg-amd-npt-bit8");
	r.vector = 14; /* L2's #PF instead */
	assert_string_equal(explain_id(&p, &r), "");
	r.vector = HB_NO_VECTOR;
	p.fault_pte = 0x803007; /* bit 8 clear */
	assert_string_equal(explain_id(&p, &r), "");
	p.fault_pte = 0x803107;
	p.fault_level = 3;
	assert_string_equal(explain_id(&p, &r), "");
	p.fault_level = 4;
	p.outcomes[0].npf = false; /* an L1 outcome */
	p.outcomes[0].vector = HB_NO_VECTOR;
	assert_string_equal(explain_id(&p, &r), "");

	/* L2 fetch #NPF without the fetch bit: only with L1's SMEP and no NXE. */
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.op = HB_OP_ACCESS;
	p.size = 1;
	p.noutcomes = 1;
	p.outcomes[0] = (struct lower_outcome){.vector = HB_NO_VECTOR,
					       .npf = true,
					       .exitinfo1 = 0x100000014ULL,
					       .exitinfo2 = 0x380000};
	p.l1_smep_no_nx = true;
	r.status = HB_ST_OK;
	r.vector = HB_NO_VECTOR;
	r.rflags = HB_RF_NPF;
	r.value = 0x100000004ULL;
	r.cr2 = 0x380000;
	assert_string_equal(explain_id(&p, &r), "tcg-npf-fetch-smep");
	r.value = 0x100000006ULL; /* W too */
	assert_string_equal(explain_id(&p, &r), "");
	r.value = 0x100000004ULL;
	p.l1_smep_no_nx = false; /* L1 with NXE: the bit is due */
	assert_string_equal(explain_id(&p, &r), "");
	p.l1_smep_no_nx = true;
	p.outcomes[0].exitinfo1 = 0x100000004ULL; /* no fetch bit predicted */
	r.value = 0x100000000ULL;
	assert_string_equal(explain_id(&p, &r), "");

	/* SMM save area: exactly the old bytes where TCG stores nothing. */
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.op = HB_OP_READ;
	p.size = 8;
	p.value = 0x80010011;
	p.has_smm_old = true;
	p.smm_old_value = 0xdeadbeef80010011ULL;
	r.status = HB_ST_OK;
	r.value = 0xdeadbeef80010011ULL;
	assert_string_equal(explain_id(&p, &r), "tcg-smm-save-partial");
	r.value = 0xdeadbeef80010033ULL; /* the low half differs too */
	assert_string_equal(explain_id(&p, &r), "");
	r.value = 0xdeadbeef80010011ULL;
	p.has_smm_old = false; /* no byte left alone by the SMI */
	assert_string_equal(explain_id(&p, &r), "");
	p.has_smm_old = true;
	p.op = HB_OP_ACCESS; /* only memory read back */
	assert_string_equal(explain_id(&p, &r), "");
}

/* The record of command @cmd in a perfect_records() array. */
static struct hb_record *rec_of(struct hb_record *r, const struct lower_result *lr, u32 cmd)
{
	for (u32 i = 0; i < lr->npreds; i++)
		if (r[i].cmd == cmd)
			return &r[i];
	fail_msg("no record for command %u", cmd);
	return NULL;
}

/* The READ command for step @step at @gpa. */
static u32 find_read(const struct lower_result *lr, u32 step, u64 gpa)
{
	for (u32 i = 0; i < lr->batch.ncmds; i++)
		if (lr->batch.cmds[i].op == HB_OP_READ && lr->batch.cmds[i].id == step &&
		    lr->batch.cmds[i].a == gpa)
			return i;
	fail_msg("no read of 0x%llx for step %u", (unsigned long long)gpa, step);
	return 0;
}

/* mmu/14: the SMI with its save-area READs, the relocation WRITE in SMM, RSM
 * back without a MODE, the SMI at an SMBASE in SMRAM skipped with its RSM,
 * and RSM outside SMM predicted #UD. */
static void test_smm_scenario_lowers_smi_and_rsm(void **state)
{
	struct lower_result lr;
	struct cmp_item *items;
	struct cmp_summary sum;
	struct hb_record *recs;
	u32 smi, rsm, ud, n;

	(void)state;
	lower_file("scenarios/mmu/14-smm.json", &lr);
	smi = find_cmd(&lr, HB_OP_SMI, 4, 0);
	assert_int_equal(lr.batch.cmds[smi].a, 0x30000);
	assert_int_equal(pred_of(&lr, smi)->outcomes[0].vector, HB_NO_VECTOR);
	/* the fields, as the image's CPU saves them */
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3ff58))->value, 0x80010011);
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3ff50))->value, 0x1000);
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3ff48))->value, 0x620); /* | OSFXSR.. */
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3fed0))->value, 0xd00);
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3fefc))->value, 0x20064);
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3ff00))->value, 0x30000);
	assert_int_equal(pred_of(&lr, find_read(&lr, 4, 0x3fe12))->value, 0xa09b);
	assert_int_equal(lr.batch.cmds[find_read(&lr, 4, 0x3ff58)].size, 4);
	/* mem_read through address space 1 (an alias of RAM) and 0 */
	assert_int_equal(pred_of(&lr, find_read(&lr, 5, 0x3ff58))->value, 0x80010011);
	assert_int_equal(pred_of(&lr, find_read(&lr, 6, 0x3ff58))->value, 0x80010011);
	assert_true(has_note(&lr, 7, "skipped: access write va 0xa0000: vCPU 0 is in SMM"));
	/* SMBASE relocation in SMM: written (address space 1 aliases RAM) */
	n = find_cmd(&lr, HB_OP_WRITE, 9, 0);
	assert_int_equal(lr.batch.cmds[n].a, 0x3ff00);
	assert_int_equal(lr.batch.cmds[n].b, 0xa0000);
	rsm = find_cmd(&lr, HB_OP_RSM, 10, 0);
	assert_int_equal(pred_of(&lr, rsm)->outcomes[0].vector, HB_NO_VECTOR);
	/* back in the interrupted mode: no MODE after RSM, the access lowered */
	for (u32 i = 0; i < lr.batch.ncmds; i++)
		assert_false(lr.batch.cmds[i].op == HB_OP_MODE && lr.batch.cmds[i].id == 10);
	find_cmd(&lr, HB_OP_ACCESS, 11, rsm);
	assert_true(has_note(&lr, 12, "skipped: smi: SMBASE 0xa0000"));
	assert_true(has_note(&lr, 14, "skipped: rsm: the SMI was not probed"));
	ud = find_cmd(&lr, HB_OP_RSM, 15, 0);
	assert_int_equal(pred_of(&lr, ud)->outcomes[0].vector, 6);

	/* compare: RSM's #UD must be a #UD, the SMI must arrive */
	recs = perfect_records(&lr);
	rec_of(recs, &lr, ud)->vector = 6;
	items = calloc(lr.npreds, sizeof(*items));
	assert_non_null(items);
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(sum.unexplained, 0);
	rec_of(recs, &lr, ud)->vector = HB_NO_VECTOR;
	rec_of(recs, &lr, smi)->status = HB_ST_REFUSED;
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(sum.unexplained, 2);
	/* a runner without SMM: the SMI refused is a skip up to its RSM */
	rec_of(recs, &lr, ud)->vector = 6;
	host_compare(&lr, recs, lr.npreds, "qemu-kvm", items, &n, &sum);
	assert_int_equal(sum.unexplained, 0);
	{
		u32 want = 0;

		for (u32 i = 0; i < lr.npreds; i++)
			want += lr.preds[i].cmd >= smi && lr.preds[i].cmd <= rsm;
		assert_int_equal(sum.skipped, want);
		assert_true(want >= 12); /* SMI, 10 fields, 2 mem_reads, RSM */
	}
	free(items);
	free(recs);
	host_lower_free(&lr);
}

/* known/tcg-smm-save-partial: the bytes written before the SMI that TCG leaves
 * are what the second prediction of those reads holds. */
static void test_smm_kept_bytes_predicted_for_tcg(void **state)
{
	struct lower_result lr;
	const struct lower_pred *p;

	(void)state;
	lower_file("tests/host/known/tcg-smm-save-partial.json", &lr);
	p = pred_of(&lr, find_read(&lr, 6, 0x3ff58));
	assert_int_equal(p->value, 0x80010011);
	assert_true(p->has_smm_old);
	assert_int_equal(p->smm_old_value, 0xdeadbeef80010011ULL);
	p = pred_of(&lr, find_read(&lr, 7, 0x3ff04));
	assert_int_equal(p->value, 0);
	assert_int_equal(p->smm_old_value, 0x12345678);
	/* the field READs of the SMI itself are exact */
	assert_false(pred_of(&lr, find_read(&lr, 5, 0x3ff58))->has_smm_old);
	host_lower_free(&lr);
}

static const char smm_cr3[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"memslots\": ["
	"{\"as\": 0, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0x400000\"},"
	"{\"as\": 1, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0x400000\", "
	"\"alias\": {\"as\": 0, \"id\": 0, \"offset\": \"0x0\"}}],"
	"\"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", \"size\": \"0x20000\"}},\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
	"\"0x400000\", \"pa\": \"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x2000\", \"va\": "
	"\"0x400000\", \"pa\": \"0x11000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", "
	"\"cr3\": \"0x1000\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE|PG|WP\", \"cs_l\": 1},\n"
	"{\"op\": \"smi\"},\n"
	"{\"op\": \"mem_write\", \"as\": 1, \"gpa\": \"0x3ff50\", \"value\": \"0x2000\", "
	"\"size\": 8},\n"
	"{\"op\": \"rsm\"},\n"
	"{\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"read\", \"size\": 8}\n"
	"]}";

/* A store in SMM to the saved CR3 is not sent (RSM would load it into the
 * image); after RSM the simulator's new mode is sent with MODE. */
static void test_smm_save_area_store_in_smm_is_not_lowered(void **state)
{
	struct lower_result lr;
	u32 rsm, mode;

	(void)state;
	lower_text(smm_cr3, &lr);
	assert_true(has_note(&lr, 5, "skipped: write to 0x3ff50: the live SMM state save area"));
	for (u32 i = 0; i < lr.batch.ncmds; i++)
		assert_false(lr.batch.cmds[i].op == HB_OP_WRITE && lr.batch.cmds[i].id == 5);
	rsm = find_cmd(&lr, HB_OP_RSM, 6, 0);
	mode = find_cmd(&lr, HB_OP_MODE, 6, rsm);
	assert_int_equal(lr.batch.cmds[mode].b, 0x2000);
	find_cmd(&lr, HB_OP_ACCESS, 7, mode);
	/* a later read of the field is skipped: the probe's RAM has the old CR3 */
	host_lower_free(&lr);
}

static const char smm_nolm[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"features\": [\"nx\", \"pse\", "
	"\"pae\", \"pge\"], \"memslots\": ["
	"{\"as\": 0, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0x400000\"},"
	"{\"as\": 1, \"id\": 0, \"gpa\": \"0x0\", \"size\": \"0x400000\", "
	"\"alias\": {\"as\": 0, \"id\": 0, \"offset\": \"0x0\"}}],"
	"\"pt_pool\": {\"as\": 0, \"gpa\": \"0x100000\", \"size\": \"0x20000\"}},\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"32\", \"root\": \"0x1000\", \"va\": "
	"\"0x400000\", \"pa\": \"0x10000\", \"flags\": \"P|W\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE|PG\", \"cr3\": \"0x1000\"},\n"
	"{\"op\": \"smi\"},\n"
	"{\"op\": \"rsm\"},\n"
	"{\"op\": \"rsm\"},\n"
	"{\"op\": \"access\", \"va\": \"0x400000\", \"kind\": \"read\", \"size\": 4}\n"
	"]}";

/* Without long mode KVM writes the 32-bit layout and -cpu max the 64-bit one:
 * not probed. The RSM outside SMM still is. */
static void test_smm_without_long_mode_is_skipped(void **state)
{
	struct lower_result lr;

	(void)state;
	lower_text(smm_nolm, &lr);
	assert_true(has_note(&lr, 2, "skipped: smi: the scenario's CPU lacks long mode"));
	assert_true(has_note(&lr, 3, "skipped: rsm: the SMI was not probed"));
	assert_int_equal(pred_of(&lr, find_cmd(&lr, HB_OP_RSM, 4, 0))->outcomes[0].vector, 6);
	find_cmd(&lr, HB_OP_ACCESS, 5, 0);
	host_lower_free(&lr);
}

/* Nested paging (docs/host.md "Nested paging"): mmu/17's vmentry becomes a
 * VMRUN_MODE with L2's registers, nCR3, L2's root and the ASID; its L2
 * accesses ACCESS with the simulator's outcome (an #NPF with EXITINFO1/2);
 * its vmexit a VMEXIT. */
static void test_nested_npt_lowers_vmrun_mode_and_npf(void **state)
{
	struct lower_result lr;
	const struct lower_pred *p;
	const struct hb_cmd *c;
	struct cmp_item items[64];
	struct cmp_summary sum;
	struct hb_record *recs;
	u32 vm, ok, npf, n;

	(void)state;
	lower_file("scenarios/mmu/17-nested-npt.json", &lr);
	vm = find_cmd(&lr, HB_OP_VMRUN_MODE, 9, 0);
	c = &lr.batch.cmds[vm];
	assert_int_equal(c->a, 0x80010001);
	assert_int_equal(c->b, 0x1000);
	assert_int_equal(c->c, 0x20);
	assert_int_equal(c->d, 0x900);
	assert_int_equal(c->e, 0x10000);
	assert_int_equal(c->f, 0x1000); /* L2 gpa 0x1000 -> L1 0x1000 (NPT identity) */
	assert_int_equal(c->asid, 1);
	assert_int_equal(pred_of(&lr, vm)->op, HB_OP_VMRUN_MODE);
	assert_int_equal(pred_of(&lr, vm)->outcomes[0].vector, HB_NO_VECTOR);
	ok = find_cmd(&lr, HB_OP_ACCESS, 10, vm);
	p = pred_of(&lr, ok);
	assert_false(p->outcomes[0].npf);
	assert_int_equal(p->outcomes[0].vector, HB_NO_VECTOR);
	assert_true(p->outcomes[0].has_value);
	npf = find_cmd(&lr, HB_OP_ACCESS, 11, ok);
	assert_int_equal(lr.batch.cmds[npf].kind, HB_KIND_WRITE);
	assert_int_equal(lr.batch.cmds[npf].b, 1);
	p = pred_of(&lr, npf);
	assert_int_equal(p->noutcomes, 1);
	assert_true(p->outcomes[0].npf);
	assert_int_equal(p->outcomes[0].exitinfo1, 0x100000007ULL);
	assert_int_equal(p->outcomes[0].exitinfo2, 0x200000);
	(void)find_cmd(&lr, HB_OP_VMEXIT, 12, npf);
	(void)find_cmd(&lr, HB_OP_VMRUN_MODE, 13, npf);
	(void)find_cmd(&lr, HB_OP_VMEXIT, 15, npf);
	assert_false(has_note(&lr, 9, "skipped"));
	assert_false(has_note(&lr, 11, "skipped"));
	{
		char buf[160];

		host_lower_format_outcome(&p->outcomes[0], buf, sizeof(buf));
		assert_string_equal(buf, "#NPF exitinfo1 0x100000007 exitinfo2 0x200000");
	}

	/* the comparison: the #NPF record matches; EXITINFO1 without P, EXITINFO2
	 * elsewhere, an L2 #PF or a completion instead are unexplained; so is an
	 * #NPF where a completion was predicted */
	assert_true(lr.npreds <= 64);
	recs = perfect_records(&lr);
	host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
	assert_int_equal(sum.unexplained, 0);
	assert_int_equal(sum.match, lr.npreds);
	for (int k = 0; k < 5; k++) {
		struct hb_record *r = rec_of(recs, &lr, k == 4 ? ok : npf);
		const struct hb_record keep = *r;

		switch (k) {
		case 0:
			r->value &= ~1ULL; /* P clear */
			break;
		case 1:
			r->cr2 += 0x1000;
			break;
		case 2:
			r->rflags = 0;
			r->vector = 14;
			break;
		case 3:
			r->rflags = 0;
			break;
		case 4:
			r->rflags = HB_RF_NPF;
			break;
		}
		host_compare(&lr, recs, lr.npreds, "qemu-tcg", items, &n, &sum);
		assert_int_equal(sum.unexplained, 1);
		*r = keep;
	}
	free(recs);
	host_lower_free(&lr);
}

/* known/tcg-npt-reserved: the reserved-bit #NPFs are predicted as KVM gives
 * them; only the one whose NPT walk has nothing reserved but nPML4E bit 8 is
 * marked for tcg-amd-npt-bit8. */
static void test_nested_npt_reserved_bits_marked(void **state)
{
	struct lower_result lr;
	const struct lower_pred *p;
	u32 rsvd, bit8;

	(void)state;
	lower_file("tests/host/known/tcg-npt-reserved.json", &lr);
	rsvd = find_cmd(&lr, HB_OP_ACCESS, 12, 0);
	bit8 = find_cmd(&lr, HB_OP_ACCESS, 13, rsvd);
	p = pred_of(&lr, rsvd);
	assert_true(p->outcomes[0].npf);
	assert_int_equal(p->outcomes[0].exitinfo1, 0x10000000dULL);
	assert_int_equal(p->fault_level, 0);
	p = pred_of(&lr, bit8);
	assert_int_equal(p->outcomes[0].exitinfo2, 0x10000005000ULL);
	assert_int_equal(p->fault_level, 4);
	assert_int_equal(p->fault_pte, 0x803107);
	assert_false(p->l1_smep_no_nx);
	host_lower_free(&lr);
	lower_file("tests/host/known/tcg-npf-fetch-smep.json", &lr);
	p = pred_of(&lr, find_cmd(&lr, HB_OP_ACCESS, 10, 0));
	assert_true(p->l1_smep_no_nx);
	assert_int_equal(p->outcomes[0].exitinfo1, 0x100000014ULL);
	host_lower_free(&lr);
}

/* A nested scenario whose step 5 maps %s: L1 4-level, NPT at 0x10000, L2 root
 * 0x1000, one L2 access (step 8), vmexit, an L1 access (step 10). */
static const char nested_fmt[] =
	"{\"version\": 1, \"name\": \"t\", \"machine\": {\"vendor\": \"amd\", \"features\": "
	"[\"nx\", \"pae\", \"pse\", \"lm\", \"svm\", \"npt\"], \"tdp\": \"npt\", \"memslots\": "
	"[{\"gpa\": \"0x0\", \"size\": \"0x1000000\"}], \"pt_pool\": {\"as\": 0, \"gpa\": "
	"\"0x800000\", \"size\": \"0x100000\"}},\n"
	"\"steps\": [\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x2000\", \"va\": \"0x5000\", "
	"\"pa\": \"0x5000\", \"flags\": \"P|W|A|D\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": "
	"\"0x2000\"},\n"
	"{\"op\": \"set\", \"cr0\": \"PE|PG|WP\", \"cs_l\": 1},\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x10000\", \"va\": \"0x0\", "
	"\"pa\": \"0x0\", \"size\": \"2m\", \"flags\": \"P|W|U\"},\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x10000\", \"va\": \"0x800000\", "
	"\"pa\": \"0x800000\", \"size\": \"2m\", \"flags\": \"P|W|U\"},\n"
	"%s,\n"
	"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": \"0x600000\", "
	"\"pa\": \"0x5000\", \"flags\": \"P|W|A|D\"},\n"
	"{\"op\": \"vmentry\", \"svm\": {\"ncr3\": \"0x10000\", \"asid\": 1, \"npt\": true}, "
	"\"l2\": {\"cr0\": \"PE|PG|WP\", \"cr4\": \"PAE\", \"efer\": \"LME|NXE\", \"cr3\": "
	"\"0x1000\", \"cs_l\": 1}},\n"
	"{\"op\": \"access\", \"va\": \"0x600000\", \"kind\": \"read\"},\n"
	"{\"op\": \"vmexit\"},\n"
	"{\"op\": \"access\", \"va\": \"0x5000\", \"kind\": \"read\"}\n"
	"]}";

static void lower_nested(const char *step5, struct lower_result *lr)
{
	char json[4096];

	snprintf(json, sizeof(json), nested_fmt, step5);
	lower_text(json, lr);
}

/* The harness's slots in use: the vmentry and its L2 access are skipped with
 * the reason, the L1 access after the vmexit is still lowered. */
static void test_nested_slot_conflicts_skip_the_vmentry(void **state)
{
	static const char *const step5[] = {
		/* nPML4E 1: L2 gpa 512 GiB */
		"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x10000\", \"va\": "
		"\"0x8000000000\", \"pa\": \"0x0\", \"size\": \"2m\", \"flags\": \"P|W|U\"}",
		/* L2's PML4E 511 */
		"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
		"\"0xffffff8000000000\", \"pa\": \"0x5000\", \"flags\": \"P|W\"}",
		/* no conflict */
		"{\"op\": \"map\", \"format\": \"4level\", \"root\": \"0x1000\", \"va\": "
		"\"0x7000\", \"pa\": \"0x5000\", \"flags\": \"P|W\"}",
	};
	static const char *const why[] = {"harness NPT slot conflict", "L2's PML4E 511 is present",
					  NULL};
	struct lower_result lr;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		bool vmrun = false;

		lower_nested(step5[k], &lr);
		for (u32 i = 0; i < lr.batch.ncmds; i++)
			vmrun |= lr.batch.cmds[i].op == HB_OP_VMRUN_MODE;
		assert_int_equal(vmrun, why[k] == NULL);
		if (why[k]) {
			assert_true(has_note(&lr, 7, why[k]));
			assert_true(has_note(&lr, 8, why[k]));
			assert_true(has_note(&lr, 9, "vmexit: its vmentry was not lowered"));
		} else {
			(void)find_cmd(&lr, HB_OP_ACCESS, 8, 0);
			(void)find_cmd(&lr, HB_OP_VMEXIT, 9, 0);
		}
		(void)find_cmd(&lr, HB_OP_ACCESS, 10, 0);
		host_lower_free(&lr);
	}
}

/* What stays skipped says why: nested virtualization without NPT (mmu/18),
 * L1 in 32-bit paging (history/04). */
static void test_nested_unprobed_configurations_are_skipped(void **state)
{
	struct lower_result lr;

	(void)state;
	lower_file("scenarios/mmu/18-nested-shadow.json", &lr);
	assert_true(has_note(&lr, 5, "vmentry: nested virtualization without NPT"));
	assert_true(has_note(&lr, 7, "nested virtualization without NPT"));
	host_lower_free(&lr);
	lower_file("scenarios/history/04-shadow-nx-nested-npt.json", &lr);
	assert_true(has_note(&lr, 20, "L1 is not in a probed 4-level paging mode"));
	for (u32 i = 0; i < lr.batch.ncmds; i++)
		assert_int_not_equal(lr.batch.cmds[i].op, HB_OP_VMRUN_MODE);
	host_lower_free(&lr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_4level_teaching_scenario_lowers_to_expected_commands),
		cmocka_unit_test(test_32bit_fetch_writes_ret_and_restores_the_byte),
		cmocka_unit_test(test_unlowerable_steps_are_skipped_with_reasons),
		cmocka_unit_test(test_window_slot_in_use_skips_the_mode),
		cmocka_unit_test(test_lowering_is_deterministic),
		cmocka_unit_test(test_stale_tlb_access_allows_both_outcomes),
		cmocka_unit_test(test_compare_classifies_synthetic_records),
		cmocka_unit_test(test_known_table_entries_have_evidence),
		cmocka_unit_test(test_known_predicates_are_narrow),
		cmocka_unit_test(test_smm_scenario_lowers_smi_and_rsm),
		cmocka_unit_test(test_smm_kept_bytes_predicted_for_tcg),
		cmocka_unit_test(test_smm_save_area_store_in_smm_is_not_lowered),
		cmocka_unit_test(test_smm_without_long_mode_is_skipped),
		cmocka_unit_test(test_nested_npt_lowers_vmrun_mode_and_npf),
		cmocka_unit_test(test_nested_slot_conflicts_skip_the_vmentry),
		cmocka_unit_test(test_nested_unprobed_configurations_are_skipped),
		cmocka_unit_test(test_nested_npt_reserved_bits_marked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
