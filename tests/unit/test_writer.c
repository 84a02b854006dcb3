/* SPDX-License-Identifier: MIT */
/*
 * The canonical writer (scn_write): the exact text of a known scenario, round
 * trips that keep every field, and the fixed point over every scenario we have.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/ptbuild.h"
#include "cpu/regs.h"
#include "sim/loader.h"

/* ' stands for " in the inputs below, as in test_loader.c. */
static int load_sq(const char *sq, struct scenario *s)
{
	size_t n = strlen(sq);
	char *buf = malloc(n + 1), msg[1024];
	struct scn_error err;
	int rc;

	assert_non_null(buf);
	for (size_t i = 0; i <= n; i++)
		buf[i] = sq[i] == '\'' ? '"' : sq[i];
	rc = scn_load_buffer("t.json", buf, n, s, &err);
	free(buf);
	if (rc) {
		scn_error_format(&err, msg, sizeof(msg));
		print_error("load failed: %s\n", msg);
	}
	return rc;
}

static char *write_str(const struct scenario *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(scn_write(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Compare texts; on a difference print the first differing line of each. */
static void check_text(const char *what, const char *want, const char *got)
{
	size_t i = 0, ls = 0, line = 1;

	while (want[i] && want[i] == got[i]) {
		if (want[i] == '\n') {
			line++;
			ls = i + 1;
		}
		i++;
	}
	if (!want[i] && !got[i])
		return;
	print_error("%s: texts differ at line %zu\n want: %.*s\n got:  %.*s\n", what, line,
		    (int)strcspn(want + ls, "\n"), want + ls, (int)strcspn(got + ls, "\n"),
		    got + ls);
	fail();
}

/* ---- Semantic comparison: everything but positions and arena addresses ---- */

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Named lists compared as sets (the writer sorts regs and roles). */
static bool named_eq(const struct scn_named_u64 *a, unsigned na, const struct scn_named_u64 *b,
		     unsigned nb, bool ordered)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++) {
		unsigned k;

		if (ordered) {
			if (!str_eq(a[i].name, b[i].name) || a[i].val != b[i].val)
				return false;
			continue;
		}
		for (k = 0; k < nb; k++)
			if (str_eq(a[i].name, b[k].name) && a[i].val == b[k].val)
				break;
		if (k == nb)
			return false;
	}
	return true;
}

static void strip_expect(struct scn_expect *x)
{
	x->pos = (struct scn_pos){0, 0};
	memset(x->regs, 0, sizeof(x->regs));
	x->stats = x->roles = x->shadow_pages = NULL;
	x->trace = NULL;
}

static bool expect_eq(const struct scn_expect *a, const struct scn_expect *b)
{
	struct scn_expect ca = *a, cb = *b;

	if (!named_eq(a->regs, a->nregs, b->regs, b->nregs, false) ||
	    !named_eq(a->stats, a->nstats, b->stats, b->nstats, true) ||
	    !named_eq(a->roles, a->nroles, b->roles, b->nroles, false) ||
	    !named_eq(a->shadow_pages, a->nshadow_pages, b->shadow_pages, b->nshadow_pages, true) ||
	    a->ntrace != b->ntrace)
		return false;
	for (unsigned i = 0; i < a->ntrace; i++)
		if (!str_eq(a->trace[i], b->trace[i]))
			return false;
	strip_expect(&ca);
	strip_expect(&cb);
	return !memcmp(&ca, &cb, sizeof(ca));
}

/* The op payload without positions. */
static void strip_step(struct scn_step *st)
{
	st->pos = (struct scn_pos){0, 0};
	st->note = NULL;
	for (unsigned i = 0; i < SCN_NR_REGS; i++) {
		if (st->op == SCN_OP_SET)
			st->u.set.regs[i].pos = (struct scn_pos){0, 0};
		if (st->op == SCN_OP_VMENTRY)
			st->u.vmentry.l2[i].pos = (struct scn_pos){0, 0};
	}
	if (st->op == SCN_OP_MEMSLOT_ADD || st->op == SCN_OP_MEMSLOT_DELETE ||
	    st->op == SCN_OP_MEMSLOT_FLAGS)
		st->u.slot.pos = (struct scn_pos){0, 0};
	memset(&st->expect, 0, sizeof(st->expect));
}

/* Print what differs first and return false, or return true. */
static bool scenario_eq(const struct scenario *a, const struct scenario *b)
{
	const struct scn_machine *ma = &a->machine, *mb = &b->machine;

	if (!str_eq(a->name, b->name) || !str_eq(a->description, b->description) ||
	    a->version != b->version) {
		print_error("name, description or version differ\n");
		return false;
	}
	if (memcmp(&ma->feat, &mb->feat, sizeof(ma->feat)) ||
	    ma->features_given != mb->features_given || ma->nslots != mb->nslots ||
	    memcmp(&ma->pt_pool, &mb->pt_pool, sizeof(ma->pt_pool)) || ma->tdp != mb->tdp ||
	    ma->tdp_mmu != mb->tdp_mmu || ma->max_mmu_pages != mb->max_mmu_pages ||
	    ma->tlb != mb->tlb || ma->nvariants != mb->nvariants) {
		print_error("machine differs\n");
		return false;
	}
	for (unsigned i = 0; i < ma->nslots; i++) {
		struct scn_memslot sa = ma->slots[i], sb = mb->slots[i];

		sa.pos = sb.pos = (struct scn_pos){0, 0};
		if (memcmp(&sa, &sb, sizeof(sa))) {
			print_error("memslot %u differs\n", i);
			return false;
		}
	}
	if (a->nvcpus != b->nvcpus) {
		print_error("nvcpus: want %u, got %u\n", a->nvcpus, b->nvcpus);
		return false;
	}
	for (unsigned i = 0; i < a->nvcpus; i++) {
		if (a->vcpus[i].ninit != b->vcpus[i].ninit)
			return false;
		for (unsigned k = 0; k < a->vcpus[i].ninit; k++)
			if (a->vcpus[i].init[k].reg != b->vcpus[i].init[k].reg ||
			    a->vcpus[i].init[k].val != b->vcpus[i].init[k].val) {
				print_error("vcpu %u register %u differs\n", i, k);
				return false;
			}
	}
	if (a->nsteps != b->nsteps) {
		print_error("nsteps: want %u, got %u\n", a->nsteps, b->nsteps);
		return false;
	}
	for (unsigned i = 0; i < a->nsteps; i++) {
		struct scn_step sa = a->steps[i], sb = b->steps[i];

		if (!str_eq(sa.note, sb.note) || !expect_eq(&sa.expect, &sb.expect)) {
			print_error("step %u: note or expect differs\n", i);
			return false;
		}
		strip_step(&sa);
		strip_step(&sb);
		if (memcmp(&sa, &sb, sizeof(sa))) {
			print_error("step %u (%s) differs\n", i, scn_op_name(sa.op));
			return false;
		}
	}
	return true;
}

/*
 * write(s) loads back to the same scenario, and write(load(write(s))) is
 * byte-identical to write(s).
 */
static void check_round_trip(const char *what, const struct scenario *s, bool same_features_given)
{
	struct scenario again;
	struct scn_error err;
	char msg[1024], *one = write_str(s), *two;
	int rc = scn_load_buffer(what, one, strlen(one), &again, &err);

	if (rc) {
		scn_error_format(&err, msg, sizeof(msg));
		print_error("%s: the written form does not load: %s\n%s", what, msg, one);
		fail();
	}
	if (!same_features_given)
		again.machine.features_given = s->machine.features_given;
	if (!scenario_eq(s, &again)) {
		print_error("%s: load(write(s)) is not s\n", what);
		fail();
	}
	two = write_str(&again);
	check_text(what, one, two);
	free(one);
	free(two);
	scn_free(&again);
}

/* ---- Tests ---- */

static void test_messy_input_is_written_in_canonical_form(void **state)
{
	/* Keys out of order, defaults spelled out, upper-case hex, leading zeros. */
	static const char in[] =
		"{'steps': [\n"
		"  {'expect': {'regs': {'cr4': '0x00A0', 'cr0': '0x80000011|0x40'}, 'fault': "
		"'none'},\n"
		"   'cr0': 'PG|PE|ET', 'op': 'set', 'vcpu': 0},\n"
		"  {'flags': 'NX|P|W|0x200|PKEY=3', 'mode': 'setup', 'size': '4k', 'as': 0,\n"
		"   'pa': '0x0000', 'va': '0x00400000', 'root': '0x01000', 'format': '4level', "
		"'op': "
		"'map'},\n"
		"  {'op': 'map', 'format': 'ept4', 'root': '0x2000', 'va': '0x0', 'pa': '0x0', "
		"'flags': 'MT=2|R|SVE'},\n"
		"  {'op': 'access', 'insn': '4889D8', 'va': '0xFFF', 'kind': 'write', 'cpl': 3, "
		"'implicit': false, 'size': 1, 'value': '0x0',\n"
		"   'note': 'tab\\there, quote \\\" and \\u00e9'},\n"
		"  {'op': 'expect', 'expect': {'shadow_pages': {'0x010': 2}, 'stats': {'b': 2, "
		"'a': "
		"1},\n"
		"   'trace': ['x', 'y'], 'role': {'root_role': '0x2'}}}],\n"
		" 'machine': {'tlb': 'retain', 'tdp_mmu': true, 'tdp': 'none', 'maxphyaddr': 46,\n"
		"   'memslots': [{'flags': [], 'size': '0x100000', 'gpa': '0x0', 'id': 0, 'as': "
		"0},\n"
		"                {'as': 1, 'id': 3, 'gpa': '0x0', 'size': '0x1000', 'alias': "
		"{'as': "
		"0, 'id': 0, 'offset': '0x0'}}],\n"
		"   'vendor': 'intel', 'max_mmu_pages': 0},\n"
		" 'vcpus': [{}], 'description': '', 'name': 'messy', 'version': 1}\n";
	static const char want[] =
		"{\n"
		"  \"version\": 1,\n"
		"  \"name\": \"messy\",\n"
		"  \"machine\": {\n"
		"    \"memslots\": [\n"
		"      {\"gpa\": \"0x0\", \"size\": \"0x100000\"},\n"
		"      {\"as\": 1, \"id\": 3, \"gpa\": \"0x0\", \"size\": \"0x1000\", \"alias\": "
		"{\"id\": 0}}\n"
		"    ]\n"
		"  },\n"
		"  \"steps\": [\n"
		"    {\n"
		"      \"op\": \"set\",\n"
		"      \"cr0\": \"PE|ET|PG\",\n"
		"      \"expect\": {\"fault\": \"none\", \"regs\": {\"cr0\": \"PE|ET|PG|0x40\", "
		"\"cr4\": \"PAE|PGE\"}}\n"
		"    },\n"
		"    {\n"
		"      \"op\": \"map\",\n"
		"      \"format\": \"4level\",\n"
		"      \"root\": \"0x1000\",\n"
		"      \"va\": \"0x400000\",\n"
		"      \"pa\": \"0x0\",\n"
		"      \"flags\": \"P|W|PKEY=3|NX|0x200\"\n"
		"    },\n"
		"    {\n"
		"      \"op\": \"map\",\n"
		"      \"format\": \"ept4\",\n"
		"      \"root\": \"0x2000\",\n"
		"      \"va\": \"0x0\",\n"
		"      \"pa\": \"0x0\",\n"
		"      \"flags\": \"R|MT=2|SVE\"\n"
		"    },\n"
		"    {\n"
		"      \"op\": \"access\",\n"
		"      \"va\": \"0xfff\",\n"
		"      \"kind\": \"write\",\n"
		"      \"cpl\": 3,\n"
		"      \"note\": \"tab\\there, quote \\\" and \xc3\xa9\",\n"
		"      \"insn\": \"48 89 d8\"\n"
		"    },\n"
		"    {\n"
		"      \"op\": \"expect\",\n"
		"      \"expect\": {\n"
		"        \"trace\": [\"x\", \"y\"],\n"
		"        \"stats\": {\"b\": 2, \"a\": 1},\n"
		"        \"role\": {\"root_role\": \"0x2\"},\n"
		"        \"shadow_pages\": {\"0x10\": 2}\n"
		"      }\n"
		"    }\n"
		"  ]\n"
		"}\n";
	struct scenario s;
	char *got;

	(void)state;
	assert_int_equal(load_sq(in, &s), 0);
	got = write_str(&s);
	check_text("canonical text", want, got);
	free(got);
	check_round_trip("messy", &s, true);
	scn_free(&s);
}

/* Every op and every expect key, on both vendors. */
static const char *const full[] = {
	"{'version': 1, 'name': 'intel', 'description': 'every op',\n"
	" 'machine': {'maxphyaddr': 40, 'features': ['nx', 'pse', 'pae', 'lm', 'vmx', 'ept.walk4', "
	"'vpid'],\n"
	"   'memslots': [{'gpa': '0x0', 'size': '0x400000', 'flags': ['dirty_log', 'readonly']},\n"
	"                {'as': 1, 'gpa': '0x0', 'size': '0x100000', 'alias': {'id': 0, 'offset': "
	"'0x1000'}},\n"
	"                {'id': 7, 'gpa': '0x1000000', 'size': '0x1000'}],\n"
	"   'pt_pool': {'as': 1, 'gpa': '0x20000', 'size': '0x10000'},\n"
	"   'tdp': 'ept', 'tdp_mmu': false, 'max_mmu_pages': 128, 'tlb': 'walk'},\n"
	" 'vcpus': [{'pkru': '0x4', 'cr0': 'PE|ET'}, {}],\n"
	" 'steps': [\n"
	"  {'op': 'set', 'vcpu': 1, 'cpl': 3, 'cr4': 'PAE|PGE|0x80000000', 'rflags': 'IF|CF', "
	"'efer': 'LME|0x8000',\n"
	"   'expect': {'fault': 'gp', 'regs': {'cr2': '0x0', 'pkru': '0x4', 'cpl': 3, 'cr0': "
	"'0x0'}}},\n"
	"  {'op': 'map', 'format': '5level', 'root': '0x1000', 'as': 1, 'va': '0x40000000', 'pa': "
	"'0x40000000', 'size': '1g',\n"
	"   'flags': 'P|PS|0x8000', 'mode': 'guest', 'insn': '0f 01 f8', 'note': ''},\n"
	"  {'op': 'unmap', 'format': 'ept5', 'root': '0x2000', 'va': '0x1000', 'mode': 'guest'},\n"
	"  {'op': 'set_entry', 'format': 'pae', 'root': '0x3020', 'va': '0xc0000000', 'level': 3, "
	"'value': '0x1'},\n"
	"  {'op': 'mem_write', 'gpa': '0x10', 'as': 1, 'size': 1, 'value': '0xff', 'host': true},\n"
	"  {'op': 'mem_read', 'gpa': '0x10', 'expect': {'value': '0xff'}},\n"
	"  {'op': 'access', 'va': '0x7ff8', 'kind': 'read', 'size': 8, 'cpl': 0, 'implicit': "
	"true,\n"
	"   'expect': {'fault': 'none', 'gpa': '0x7ff8', 'value': '0x1', 'page_size': '1g', "
	"'tlb_hit': true, 'outcomes': 3,\n"
	"              'divergence': false}},\n"
	"  {'op': 'access', 'va': '0x0', 'kind': 'fetch', 'expect': {'fault': 'ept_violation', "
	"'qual': '0x184', 'gpa': '0x0'}},\n"
	"  {'op': 'access', 'va': '0x0', 'kind': 'write', 'size': 2, 'value': '0xffff',\n"
	"   'expect': {'fault': 'pf', 'error_code': '0x3', 'cr2': '0x0'}},\n"
	"  {'op': 'access', 'va': '0x0', 'kind': 'read', 'expect': {'fault': 'ept_misconfig', "
	"'gpa': '0x0'}},\n"
	"  {'op': 'access', 'va': '0x0', 'kind': 'read', 'expect': {'fault': 'ud'}},\n"
	"  {'op': 'invlpg', 'va': '0x0'},\n"
	"  {'op': 'invpcid', 'type': 1, 'pcid': 4095, 'va': '0xffffffffffff0000'},\n"
	"  {'op': 'flush_tlb'}, {'op': 'smi'}, {'op': 'rsm'}, {'op': 'vmexit'}, {'op': "
	"'zap_all'},\n"
	"  {'op': 'vmentry', 'vmx': {'eptp': '0x501e', 'vpid': 65535}, 'l2': {'cr3': '0x1000', "
	"'cr0': 'PE|PG'}},\n"
	"  {'op': 'vmentry', 'vmx': {}, 'l2': {}},\n"
	"  {'op': 'pre_fault', 'gpa': '0x1001', 'size': '0x0', 'flags': '0x0',\n"
	"   'expect': {'ret': 'EOPNOTSUPP', 'remaining': {'gpa': '0x1001', 'size': '0x0'}}},\n"
	"  {'op': 'pre_fault', 'gpa': '0x0', 'size': '0x1000', 'expect': {'ret': 0}},\n"
	"  {'op': 'memslot_add', 'as': 1, 'id': 9, 'gpa': '0x800000', 'size': '0x2000', "
	"'alias': {'as': 0, 'id': 0}},\n"
	"  {'op': 'memslot_flags', 'as': 1, 'id': 9, 'flags': []},\n"
	"  {'op': 'memslot_flags', 'id': 0, 'flags': ['readonly']},\n"
	"  {'op': 'memslot_delete', 'as': 1, 'id': 9},\n"
	"  {'op': 'expect', 'expect': {'tlb_entries': 0, 'mem': {'gpa': '0x0', 'value': '0x0'},\n"
	"   'entry': {'format': '32', 'root': '0x0', 'as': 1, 'va': '0x0', 'level': 2, 'value': "
	"'0xffffffff'},\n"
	"   'trace': [], 'root_cache': 'hit', 'stats': {}, 'role': {'cpu_role': '0x0'},\n"
	"   'shadow_pages': {}, 'spte': {'va': '0x0', 'level': 5, 'value': "
	"'0xffffffffffffffff'}}}\n"
	" ]}",
	"{'version': 1, 'name': 'amd', 'machine': {'vendor': 'amd', 'maxphyaddr': 48, 'tdp': "
	"'npt',\n"
	" 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]},\n"
	" 'steps': [\n"
	"  {'op': 'vmentry', 'svm': {'ncr3': '0x3000', 'asid': 2, 'npt': true}, 'l2': {'efer': "
	"'SVME'}},\n"
	"  {'op': 'vmentry', 'svm': {'asid': 1}},\n"
	"  {'op': 'access', 'va': '0x1000', 'kind': 'read',\n"
	"   'expect': {'fault': 'npf', 'exitinfo1': '0x100000004', 'exitinfo2': '0x1000'}},\n"
	"  {'op': 'access', 'va': '0x1000', 'kind': 'read', 'expect': {'fault': 'npf'}}]}",
};

static void test_round_trip_keeps_every_op_and_expect_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(full); i++) {
		struct scenario s;

		assert_int_equal(load_sq(full[i], &s), 0);
		check_round_trip(s.name, &s, true);
		scn_free(&s);
	}
}

static void test_register_and_entry_values_print_names_then_hex_remainder(void **state)
{
	struct scenario s;
	char *got;

	(void)state;
	static const char *const want[] = {
		"\"cr0\": \"PE|ET|NE|NW|CD|PG|0x40\"",
		"\"cr4\": \"0x800000\"",
		"\"efer\": \"SCE|LME|LMA|NXE|SVME\"",
		"\"rflags\": \"FIXED|IF|AC\"",
		"\"cr3\": \"0x0\"",
		"\"pkru\": \"0xffffffff\"",
		"\"flags\": \"P|W|U|PWT|PCD|A|D|PS|G|PKEY=15|NX|0x200\"",
		"\"flags\": \"R|W|X|MT=WB|IPAT|PS|A|D|UX|SVE|0x800\"",
		"\"flags\": \"0x0\"",
	};

	assert_int_equal(load_sq("{'version': 1, 'name': 'v', 'machine': {'memslots': [{'gpa': "
				 "'0x0', 'size': '0x1000'}]},\n"
				 " 'vcpus': [{'cr0': '0xE0000071', 'cr4': '0x800000', 'efer': "
				 "'0x1d01', 'rflags': '0x40202', 'cr3': '0x0', 'pkru': "
				 "'0xFFFFFFFF'}],\n"
				 " 'steps': [\n"
				 "  {'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', "
				 "'pa': '0x0', 'flags': '0xf8000000000003ff'},\n"
				 "  {'op': 'map', 'format': 'ept4', 'root': '0x0', 'va': '0x0', "
				 "'pa': '0x0', 'flags': '0x8000000000000ff7'},\n"
				 "  {'op': 'map', 'format': '32', 'root': '0x0', 'va': '0x0', "
				 "'pa': '0x0', 'flags': '0x0'}]}",
				 &s),
			 0);
	got = write_str(&s);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(want); i++)
		if (!strstr(got, want[i])) {
			print_error("want a line with %s, got:\n%s", want[i], got);
			fail();
		}
	free(got);
	scn_free(&s);
}

static void test_a_scenario_built_in_memory_writes_and_loads_back(void **state)
{
	struct scenario s;
	struct scn_step *st;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.version = SCN_VERSION;
	s.name = scn_strndup(&s, "built", 5);
	s.description = scn_strndup(&s, "", 0);
	cpu_features_default(&s.machine.feat, CPU_VENDOR_INTEL);
	s.machine.feat.la57 = false; /* differs from the default: "features" is printed */
	s.machine.slots[0] = (struct scn_memslot){.gpa = 0, .size = 0x200000};
	s.machine.nslots = 1;
	s.machine.tdp_mmu = true;
	s.nvcpus = 1;
	assert_int_equal(scn_alloc_steps(&s, 2), 0);
	s.nsteps = 2;
	st = &s.steps[0];
	st->op = SCN_OP_MAP;
	st->u.pt.pt = (struct scn_pt_ref){SCN_FMT_4LVL, 0x1000, 0};
	st->u.pt.va = 0x200000;
	st->u.pt.pa = 0x200000;
	st->u.pt.size = 2ULL << 20;
	st->u.pt.flags = PT_P | PT_W | PT_U | PT_NX;
	st = &s.steps[1];
	st->op = SCN_OP_ACCESS;
	st->u.access.va = 0x200000;
	st->u.access.kind = SCN_ACC_READ;
	st->u.access.size = 1;
	st->u.access.cpl = -1;
	st->expect.has = SCN_EX_FAULT | SCN_EX_ERROR_CODE | SCN_EX_CR2;
	st->expect.fault = SCN_FAULT_PF;
	st->expect.error_code = 0x4;
	st->expect.cr2 = 0x200000;
	/* Not given but different: the written form lists the features, which then count
	 * as given; everything else comes back as it was. */
	check_round_trip("built", &s, false);
	scn_free(&s);
}

static void test_write_to_a_failing_stream_reports_eio(void **state)
{
	struct scenario s;
	FILE *f = fopen("/dev/null", "r");

	(void)state;
	assert_non_null(f);
	assert_int_equal(load_sq("{'version': 1, 'name': 'x', 'machine': {'memslots': [{'gpa': "
				 "'0x0', 'size': '0x1000'}]}, 'steps': [{'op': 'smi'}]}",
				 &s),
			 0);
	assert_int_equal(scn_write(&s, f), MSC_EIO);
	fclose(f);
	scn_free(&s);
}

/* ---- The fixed point over every scenario file of the repository ---- */

static unsigned nfiles;

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct scenario s;
	struct scn_error err;
	char msg[1024];
	size_t n = strlen(path);

	(void)sb;
	(void)ftw;
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".json"))
		return 0;
	/* The corpus holds invalid seeds on purpose; every other file must load. */
	if (strstr(path, "/corpus/invalid-"))
		return 0;
	if (scn_load_file(path, &s, &err)) {
		scn_error_format(&err, msg, sizeof(msg));
		print_error("does not load: %s\n", msg);
		fail();
	}
	check_round_trip(path, &s, true);
	scn_free(&s);
	nfiles++;
	return 0;
}

static void test_every_scenario_file_round_trips_to_a_fixed_point(void **state)
{
	(void)state;
	nfiles = 0;
	assert_int_equal(nftw(MSC_SOURCE_DIR "/scenarios", visit, 16, FTW_PHYS), 0);
	assert_int_equal(nftw(MSC_SOURCE_DIR "/tests/fuzz/corpus", visit, 16, FTW_PHYS), 0);
	if (nfiles < 5) {
		print_error("want at least 5 scenario files, got %u\n", nfiles);
		fail();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messy_input_is_written_in_canonical_form),
		cmocka_unit_test(test_round_trip_keeps_every_op_and_expect_key),
		cmocka_unit_test(test_register_and_entry_values_print_names_then_hex_remainder),
		cmocka_unit_test(test_a_scenario_built_in_memory_writes_and_loads_back),
		cmocka_unit_test(test_write_to_a_failing_stream_reports_eio),
		cmocka_unit_test(test_every_scenario_file_round_trips_to_a_fixed_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
