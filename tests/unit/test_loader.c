/* SPDX-License-Identifier: MIT */
/*
 * The scenario loader (sim/loader.h): full scenarios land in the expected structs,
 * defaults fill what is omitted, features and memslot ids follow the spec.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/regs.h"
#include "sim/loader.h"

#define CHECK_EQ(what, want, got)                                                          \
	do {                                                                               \
		unsigned long long want_ = (unsigned long long)(want);                     \
		unsigned long long got_ = (unsigned long long)(got);                       \
		if (want_ != got_) {                                                       \
			print_error("%s: want 0x%llx, got 0x%llx\n", (what), want_, got_); \
			fail();                                                            \
		}                                                                          \
	} while (0)

#define CHECK_STR(what, want, got)                                                  \
	do {                                                                        \
		const char *want_ = (want), *got_ = (got);                          \
		if (!got_ || strcmp(want_, got_)) {                                 \
			print_error("%s: want \"%s\", got \"%s\"\n", (what), want_, \
				    got_ ? got_ : "(null)");                        \
			fail();                                                     \
		}                                                                   \
	} while (0)

/* Test inputs are written with ' for " so that they read as JSON; no ' inside strings. */
static void load_sq(const char *sq, struct scenario *s)
{
	size_t n = strlen(sq);
	char *buf = malloc(n + 1);
	struct scn_error err;
	char msg[1024];
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
	CHECK_EQ("scn_load_buffer", 0, rc);
}

/* Every op an Intel machine can run, and every expect key but the #NPF ones. */
static const char full_intel[] =
	"{'version': 1, 'name': 'full', 'description': 'every op',\n"
	" 'machine': {'vendor': 'intel', 'maxphyaddr': 40,\n"
	"   'features': ['nx', 'pse', 'pse36', 'pae', 'pge', '1g', 'lm', 'smep', 'smap', 'pku',\n"
	"                'pcid', 'invpcid', 'vmx', 'ept.walk4', 'ept.ad', 'ept.2m', 'vpid'],\n"
	"   'memslots': [{'gpa': '0x0', 'size': '0x400000'},\n"
	"                {'gpa': '0x400000', 'size': '0x100000', 'flags': ['readonly', "
	"'dirty_log']},\n"
	"                {'as': 1, 'gpa': '0x0', 'size': '0x100000', 'alias': {'id': 0}},\n"
	"                {'id': 7, 'gpa': '0x1000000', 'size': '0x1000'}],\n"
	"   'pt_pool': {'gpa': '0x200000', 'size': '0x100000'},\n"
	"   'tdp': 'ept', 'tdp_mmu': false, 'max_mmu_pages': 128, 'tlb': 'walk'},\n"
	" 'vcpus': [{}, {'cr0': 'PE|ET', 'cpl': 3, 'pkru': '0x4'}],\n"
	" 'steps': [\n"
	"  {'op': 'set', 'cr4': 'PAE|PGE', 'cr3': '0x1000', 'efer': 'LME|NXE', 'cr0': "
	"'PE|PG|0x40',\n"
	"   'rflags': 'FIXED|AC', 'cpl': 0, 'pkru': '0xc',\n"
	"   'expect': {'fault': 'none', 'regs': {'cr0': 'PE|ET|PG', 'cr2': '0x0', 'cpl': 0}}},\n"
	"  {'op': 'map', 'format': '4level', 'root': '0x1000', 'va': '0x7f0000200000',\n"
	"   'pa': '0x200000', 'size': '2m', 'flags': 'P|W|U|PKEY=5|NX|0x200', 'mode': 'guest'},\n"
	"  {'op': 'map', 'format': 'ept4', 'root': '0x2000', 'as': 1, 'va': '0x0', 'pa': '0x0',\n"
	"   'flags': 'R|W|X|MT=WB|IPAT'},\n"
	"  {'op': 'unmap', 'format': 'pae', 'root': '0x3020', 'va': '0x1000'},\n"
	"  {'op': 'set_entry', 'format': '32', 'root': '0x4000', 'va': '0x400000', 'level': 2,\n"
	"   'value': '0x83', 'mode': 'guest'},\n"
	"  {'op': 'mem_write', 'gpa': '0x5000', 'as': 1, 'size': 4, 'value': '0xDEADbeef', "
	"'host': true},\n"
	"  {'op': 'mem_read', 'gpa': '0x5000', 'size': 2, 'expect': {'value': '0xbeef'}},\n"
	"  {'op': 'access', 'vcpu': 1, 'va': '0x7f0000200ff8', 'kind': 'write', 'size': 8, 'cpl': "
	"3,\n"
	"   'implicit': true, 'value': '0x1122', 'insn': '48 89 18', 'note': 'a write',\n"
	"   'expect': {'fault': 'pf', 'error_code': '0x7', 'cr2': '0x7f0000200ff8', 'tlb_hit': "
	"false,\n"
	"              'outcomes': 2}},\n"
	"  {'op': 'access', 'va': '0x1000', 'kind': 'read', 'size': 4,\n"
	"   'expect': {'fault': 'none', 'gpa': '0x1000', 'value': '0x12345678', 'page_size': "
	"'2m',\n"
	"              'tlb_hit': true, 'divergence': true}},\n"
	"  {'op': 'access', 'va': '0x2000', 'kind': 'fetch',\n"
	"   'expect': {'fault': 'ept_violation', 'qual': '0x184', 'gpa': '0x2000'}},\n"
	"  {'op': 'invlpg', 'va': '0x1000'},\n"
	"  {'op': 'invpcid', 'type': 0, 'pcid': 5, 'va': '0x3000', 'expect': {'fault': 'gp'}},\n"
	"  {'op': 'flush_tlb', 'vcpu': 1},\n"
	"  {'op': 'smi'},\n"
	"  {'op': 'rsm'},\n"
	"  {'op': 'vmentry', 'vmx': {'eptp': '0x501e', 'vpid': 3}, 'l2': {'cr0': 'PE|PG', 'cr3': "
	"'0x9000'}},\n"
	"  {'op': 'vmexit'},\n"
	"  {'op': 'pre_fault', 'gpa': '0x0', 'size': '0x2000', 'flags': '0x1',\n"
	"   'expect': {'ret': 'EINVAL', 'remaining': {'gpa': '0x1000', 'size': '0x1000'}}},\n"
	"  {'op': 'memslot_add', 'as': 1, 'id': 9, 'gpa': '0x800000', 'size': '0x2000',\n"
	"   'flags': ['dirty_log']},\n"
	"  {'op': 'memslot_flags', 'id': 9, 'as': 1, 'flags': []},\n"
	"  {'op': 'memslot_delete', 'as': 1, 'id': 9},\n"
	"  {'op': 'zap_all'},\n"
	"  {'op': 'expect', 'expect': {'tlb_entries': 3,\n"
	"   'mem': {'gpa': '0x5000', 'as': 1, 'size': 4, 'value': '0xdeadbeef'},\n"
	"   'entry': {'format': '4level', 'root': '0x1000', 'va': '0x7f0000200000', 'level': 2,\n"
	"             'value': '0x80000000002000e7'},\n"
	"   'trace': ['kvm_mmu_get_page', 'walk'], 'root_cache': 'miss',\n"
	"   'stats': {'pf_fixed': 2, 'pf_taken': 3}, 'role': {'root_role': '0x2', 'cpu_role': "
	"'0x1'},\n"
	"   'shadow_pages': {'0x00010': 1, '0x20': 2},\n"
	"   'spte': {'va': '0x1000', 'level': 1, 'value': '0x3'}}}\n"
	" ]}\n";

static void test_full_intel_scenario_fills_machine_and_vcpus(void **state)
{
	struct scenario s;
	const struct scn_machine *m = &s.machine;

	(void)state;
	load_sq(full_intel, &s);
	CHECK_STR("file", "t.json", s.file);
	CHECK_EQ("version", 1, s.version);
	CHECK_STR("name", "full", s.name);
	CHECK_STR("description", "every op", s.description);
	CHECK_EQ("vendor", CPU_VENDOR_INTEL, m->feat.vendor);
	CHECK_EQ("maxphyaddr", 40, m->feat.maxphyaddr);
	assert_true(m->features_given);
	assert_true(m->feat.pse36 && m->feat.gbpages && m->feat.vmx && m->feat.ept.walk4);
	assert_true(m->feat.ept.ad && m->feat.ept.huge_2m && m->feat.ept.vpid);
	assert_false(m->feat.la57 || m->feat.ept.walk5 || m->feat.ept.huge_1g);
	assert_false(m->feat.ept.execonly || m->feat.svm || m->feat.npt);

	CHECK_EQ("nslots", 4, m->nslots);
	CHECK_EQ("slot0.id", 0, m->slots[0].id);
	CHECK_EQ("slot1.id", 1, m->slots[1].id);
	CHECK_EQ("slot1.flags", GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG, m->slots[1].flags);
	CHECK_EQ("slot2.as", 1, m->slots[2].as);
	CHECK_EQ("slot2.id", 0, m->slots[2].id);
	assert_true(m->slots[2].alias);
	CHECK_EQ("slot2.alias_as", 0, m->slots[2].alias_as);
	CHECK_EQ("slot2.alias_id", 0, m->slots[2].alias_id);
	CHECK_EQ("slot2.alias_offset", 0, m->slots[2].alias_offset);
	CHECK_EQ("slot3.id", 7, m->slots[3].id);
	CHECK_EQ("slot3.gpa", 0x1000000, m->slots[3].gpa);
	CHECK_EQ("slot3.pos.line", 8, m->slots[3].pos.line);
	CHECK_EQ("slot3.pos.col", 17, m->slots[3].pos.col);
	assert_true(m->pt_pool.present);
	CHECK_EQ("pt_pool.gpa", 0x200000, m->pt_pool.gpa);
	CHECK_EQ("pt_pool.size", 0x100000, m->pt_pool.size);
	CHECK_EQ("tdp", SCN_TDP_EPT, m->tdp);
	assert_false(m->tdp_mmu);
	CHECK_EQ("max_mmu_pages", 128, m->max_mmu_pages);
	CHECK_EQ("tlb", SCN_TLB_WALK, m->tlb);
	CHECK_EQ("nvariants", 0, m->nvariants);

	CHECK_EQ("nvcpus", 2, s.nvcpus);
	CHECK_EQ("vcpu0.ninit", 0, s.vcpus[0].ninit);
	CHECK_EQ("vcpu1.ninit", 3, s.vcpus[1].ninit);
	CHECK_EQ("vcpu1.init0.reg", SCN_REG_CR0, s.vcpus[1].init[0].reg);
	CHECK_EQ("vcpu1.init0.val", X86_CR0_PE | X86_CR0_ET, s.vcpus[1].init[0].val);
	CHECK_EQ("vcpu1.init1.reg", SCN_REG_CPL, s.vcpus[1].init[1].reg);
	CHECK_EQ("vcpu1.init1.val", 3, s.vcpus[1].init[1].val);
	CHECK_EQ("vcpu1.init2.reg", SCN_REG_PKRU, s.vcpus[1].init[2].reg);
	CHECK_EQ("vcpu1.init2.val", 4, s.vcpus[1].init[2].val);
	scn_free(&s);
}

static void test_full_intel_scenario_fills_every_op(void **state)
{
	struct scenario s;
	const struct scn_step *st;

	(void)state;
	load_sq(full_intel, &s);
	CHECK_EQ("nsteps", 23, s.nsteps);

	st = &s.steps[0]; /* set: registers in file order */
	CHECK_EQ("op", SCN_OP_SET, st->op);
	CHECK_EQ("pos.line", 13, st->pos.line);
	CHECK_EQ("pos.col", 3, st->pos.col);
	CHECK_EQ("nregs", 7, st->u.set.nregs);
	CHECK_EQ("regs0", SCN_REG_CR4, st->u.set.regs[0].reg);
	CHECK_EQ("regs0.val", X86_CR4_PAE | X86_CR4_PGE, st->u.set.regs[0].val);
	CHECK_EQ("regs1", SCN_REG_CR3, st->u.set.regs[1].reg);
	CHECK_EQ("regs2.val", X86_EFER_LME | X86_EFER_NXE, st->u.set.regs[2].val);
	CHECK_EQ("regs3.val", X86_CR0_PE | X86_CR0_PG | 0x40, st->u.set.regs[3].val);
	CHECK_EQ("regs3.pos.col", 78, st->u.set.regs[3].pos.col);
	CHECK_EQ("regs4.val", X86_RFLAGS_FIXED | X86_RFLAGS_AC, st->u.set.regs[4].val);
	CHECK_EQ("regs5", SCN_REG_CPL, st->u.set.regs[5].reg);
	CHECK_EQ("regs6.val", 0xc, st->u.set.regs[6].val);

	st = &s.steps[1]; /* map: legacy flags with a protection key */
	CHECK_EQ("op", SCN_OP_MAP, st->op);
	CHECK_EQ("fmt", SCN_FMT_4LVL, st->u.pt.pt.fmt);
	CHECK_EQ("root", 0x1000, st->u.pt.pt.root);
	CHECK_EQ("va", 0x7f0000200000, st->u.pt.va);
	CHECK_EQ("size", 2ULL << 20, st->u.pt.size);
	CHECK_EQ("flags", PT_P | PT_W | PT_U | (5ULL << PT_PKEY_SHIFT) | PT_NX | 0x200,
		 st->u.pt.flags);
	CHECK_EQ("mode", SCN_WRITE_GUEST, st->u.pt.mode);

	st = &s.steps[2]; /* map: EPT flags with a memory type */
	CHECK_EQ("fmt", SCN_FMT_EPT4, st->u.pt.pt.fmt);
	CHECK_EQ("as", 1, st->u.pt.pt.as);
	CHECK_EQ("size", PAGE_SIZE, st->u.pt.size);
	CHECK_EQ("flags", EPT_R | EPT_W | EPT_X | EPT_MT_WB | EPT_IPAT, st->u.pt.flags);
	CHECK_EQ("mode", SCN_WRITE_SETUP, st->u.pt.mode);

	st = &s.steps[3];
	CHECK_EQ("op", SCN_OP_UNMAP, st->op);
	CHECK_EQ("fmt", SCN_FMT_PAE, st->u.pt.pt.fmt);
	CHECK_EQ("root", 0x3020, st->u.pt.pt.root);

	st = &s.steps[4];
	CHECK_EQ("op", SCN_OP_SET_ENTRY, st->op);
	CHECK_EQ("level", 2, st->u.pt.level);
	CHECK_EQ("value", 0x83, st->u.pt.value);

	st = &s.steps[5];
	CHECK_EQ("op", SCN_OP_MEM_WRITE, st->op);
	CHECK_EQ("as", 1, st->u.mem.as);
	CHECK_EQ("size", 4, st->u.mem.size);
	CHECK_EQ("value", 0xdeadbeef, st->u.mem.value);
	assert_true(st->u.mem.host);

	st = &s.steps[6];
	CHECK_EQ("op", SCN_OP_MEM_READ, st->op);
	CHECK_EQ("size", 2, st->u.mem.size);
	CHECK_EQ("has", SCN_EX_VALUE, st->expect.has);
	CHECK_EQ("value", 0xbeef, st->expect.value);

	st = &s.steps[7]; /* access: every key, and a #PF expectation */
	CHECK_EQ("op", SCN_OP_ACCESS, st->op);
	CHECK_EQ("vcpu", 1, st->vcpu);
	CHECK_EQ("kind", SCN_ACC_WRITE, st->u.access.kind);
	CHECK_EQ("size", 8, st->u.access.size);
	CHECK_EQ("cpl", 3, st->u.access.cpl);
	assert_true(st->u.access.implicit);
	CHECK_EQ("value", 0x1122, st->u.access.value);
	CHECK_STR("note", "a write", st->note);
	CHECK_EQ("insn_len", 3, st->insn_len);
	CHECK_EQ("insn[2]", 0x18, st->insn[2]);
	CHECK_EQ("has",
		 SCN_EX_FAULT | SCN_EX_ERROR_CODE | SCN_EX_CR2 | SCN_EX_TLB_HIT | SCN_EX_OUTCOMES,
		 st->expect.has);
	CHECK_EQ("fault", SCN_FAULT_PF, st->expect.fault);
	CHECK_EQ("error_code", 7, st->expect.error_code);
	CHECK_EQ("cr2", 0x7f0000200ff8, st->expect.cr2);
	assert_false(st->expect.tlb_hit);
	CHECK_EQ("outcomes", 2, st->expect.outcomes);

	st = &s.steps[8];
	CHECK_EQ("has",
		 SCN_EX_FAULT | SCN_EX_GPA | SCN_EX_VALUE | SCN_EX_PAGE_SIZE | SCN_EX_TLB_HIT |
			 SCN_EX_DIVERGENCE,
		 st->expect.has);
	CHECK_EQ("cpl default", -1, st->u.access.cpl);
	CHECK_EQ("page_size", 2ULL << 20, st->expect.page_size);
	assert_true(st->expect.tlb_hit);
	assert_true(st->expect.divergence);

	st = &s.steps[9];
	CHECK_EQ("kind", SCN_ACC_FETCH, st->u.access.kind);
	CHECK_EQ("size default", 1, st->u.access.size);
	CHECK_EQ("fault", SCN_FAULT_EPT_VIOLATION, st->expect.fault);
	CHECK_EQ("qual", 0x184, st->expect.qual);
	CHECK_EQ("gpa", 0x2000, st->expect.gpa);

	CHECK_EQ("invlpg", SCN_OP_INVLPG, s.steps[10].op);
	CHECK_EQ("invlpg.va", 0x1000, s.steps[10].u.inv.va);
	st = &s.steps[11];
	CHECK_EQ("invpcid", SCN_OP_INVPCID, st->op);
	CHECK_EQ("type", 0, st->u.inv.type);
	CHECK_EQ("pcid", 5, st->u.inv.pcid);
	CHECK_EQ("va", 0x3000, st->u.inv.va);
	CHECK_EQ("fault", SCN_FAULT_GP, st->expect.fault);
	CHECK_EQ("flush_tlb", SCN_OP_FLUSH_TLB, s.steps[12].op);
	CHECK_EQ("flush_tlb.vcpu", 1, s.steps[12].vcpu);
	CHECK_EQ("smi", SCN_OP_SMI, s.steps[13].op);
	CHECK_EQ("rsm", SCN_OP_RSM, s.steps[14].op);

	st = &s.steps[15];
	CHECK_EQ("vmentry", SCN_OP_VMENTRY, st->op);
	CHECK_EQ("eptp", 0x501e, st->u.vmentry.eptp);
	CHECK_EQ("vpid", 3, st->u.vmentry.vpid);
	assert_false(st->u.vmentry.npt);
	CHECK_EQ("nl2", 2, st->u.vmentry.nl2);
	CHECK_EQ("l2[1]", SCN_REG_CR3, st->u.vmentry.l2[1].reg);
	CHECK_EQ("l2[1].val", 0x9000, st->u.vmentry.l2[1].val);
	CHECK_EQ("vmexit", SCN_OP_VMEXIT, s.steps[16].op);

	st = &s.steps[17];
	CHECK_EQ("pre_fault", SCN_OP_PRE_FAULT, st->op);
	CHECK_EQ("size", 0x2000, st->u.pre_fault.size);
	CHECK_EQ("flags", 1, st->u.pre_fault.flags);
	CHECK_EQ("has", SCN_EX_RET | SCN_EX_RANGE, st->expect.has);
	CHECK_EQ("ret", -22, st->expect.ret);
	CHECK_EQ("range_gpa", 0x1000, st->expect.range_gpa);
	CHECK_EQ("range_size", 0x1000, st->expect.range_size);

	st = &s.steps[18];
	CHECK_EQ("memslot_add", SCN_OP_MEMSLOT_ADD, st->op);
	CHECK_EQ("as", 1, st->u.slot.as);
	CHECK_EQ("id", 9, st->u.slot.id);
	CHECK_EQ("flags", GMEM_SLOT_DIRTY_LOG, st->u.slot.flags);
	st = &s.steps[19];
	CHECK_EQ("memslot_flags", SCN_OP_MEMSLOT_FLAGS, st->op);
	CHECK_EQ("flags", 0, st->u.slot.flags);
	CHECK_EQ("memslot_delete", SCN_OP_MEMSLOT_DELETE, s.steps[20].op);
	CHECK_EQ("memslot_delete.id", 9, s.steps[20].u.slot.id);
	CHECK_EQ("zap_all", SCN_OP_ZAP_ALL, s.steps[21].op);
	scn_free(&s);
}

static void test_full_intel_scenario_fills_every_expect_key(void **state)
{
	struct scenario s;
	const struct scn_expect *x;

	(void)state;
	load_sq(full_intel, &s);
	x = &s.steps[0].expect;
	CHECK_EQ("set.has", SCN_EX_FAULT | SCN_EX_REGS, x->has);
	CHECK_EQ("nregs", 3, x->nregs);
	CHECK_STR("regs[0].name", "cr0", x->regs[0].name);
	CHECK_EQ("regs[0].val", X86_CR0_PE | X86_CR0_ET | X86_CR0_PG, x->regs[0].val);
	CHECK_STR("regs[1].name", "cr2", x->regs[1].name);
	CHECK_STR("regs[2].name", "cpl", x->regs[2].name);

	x = &s.steps[21].expect; /* zap_all has none: its expect pos is the step's */
	CHECK_EQ("zap_all.has", 0, x->has);
	CHECK_EQ("zap_all expect pos", s.steps[21].pos.line, x->pos.line);

	/* The last step is an "expect" op with every list and object key. */
	x = &s.steps[22].expect;
	CHECK_EQ("op", SCN_OP_EXPECT, s.steps[22].op);
	CHECK_EQ("has",
		 SCN_EX_TLB_COUNT | SCN_EX_MEM | SCN_EX_ENTRY | SCN_EX_TRACE | SCN_EX_ROOT_CACHE |
			 SCN_EX_STATS | SCN_EX_ROLE | SCN_EX_SHADOW_PAGES | SCN_EX_SPTE,
		 x->has);
	CHECK_EQ("pos.line", 48, x->pos.line);
	CHECK_EQ("pos.col", 30, x->pos.col);
	CHECK_EQ("tlb_count", 3, x->tlb_count);
	CHECK_EQ("mem.as", 1, x->mem.as);
	CHECK_EQ("mem.size", 4, x->mem.size);
	CHECK_EQ("mem.value", 0xdeadbeef, x->mem.value);
	CHECK_EQ("entry.fmt", SCN_FMT_4LVL, x->entry.pt.fmt);
	CHECK_EQ("entry.level", 2, x->entry.level);
	CHECK_EQ("entry.value", 0x80000000002000e7, x->entry.value);
	CHECK_EQ("ntrace", 2, x->ntrace);
	CHECK_STR("trace[0]", "kvm_mmu_get_page", x->trace[0]);
	CHECK_STR("trace[1]", "walk", x->trace[1]);
	CHECK_EQ("root_cache", SCN_RC_MISS, x->root_cache);
	CHECK_EQ("nstats", 2, x->nstats);
	CHECK_STR("stats[1].name", "pf_taken", x->stats[1].name);
	CHECK_EQ("stats[1].val", 3, x->stats[1].val);
	CHECK_EQ("nroles", 2, x->nroles);
	CHECK_STR("roles[0].name", "cpu_role", x->roles[0].name);
	CHECK_EQ("roles[0].val", 1, x->roles[0].val);
	CHECK_EQ("roles[1].val", 2, x->roles[1].val);
	CHECK_EQ("nshadow_pages", 2, x->nshadow_pages);
	CHECK_STR("shadow_pages[0].name (canonical hex)", "0x10", x->shadow_pages[0].name);
	CHECK_EQ("shadow_pages[1].val", 2, x->shadow_pages[1].val);
	CHECK_EQ("spte.va", 0x1000, x->spte.gpa_or_va);
	CHECK_EQ("spte.level", 1, x->spte.level);
	CHECK_EQ("spte.value", 3, x->spte.value);
	scn_free(&s);
}

static void test_amd_scenario_reads_svm_entry_and_npf_exit_info(void **state)
{
	struct scenario s;
	const struct scn_step *st;

	(void)state;
	load_sq("{'version': 1, 'name': 'amd', 'machine': {'vendor': 'amd', 'tdp': 'npt',\n"
		" 'memslots': [{'gpa': '0x0', 'size': '0x100000'}]},\n"
		" 'steps': [{'op': 'vmentry', 'svm': {'ncr3': '0x3000', 'asid': 2, 'npt': true}},\n"
		"  {'op': 'access', 'va': '0x1000', 'kind': 'read',\n"
		"   'expect': {'fault': 'npf', 'exitinfo1': '0x100000004', 'exitinfo2': "
		"'0x1000'}}]}",
		&s);
	CHECK_EQ("vendor", CPU_VENDOR_AMD, s.machine.feat.vendor);
	CHECK_EQ("maxphyaddr", 48, s.machine.feat.maxphyaddr);
	assert_true(s.machine.feat.svm && s.machine.feat.npt && !s.machine.feat.vmx);
	assert_false(s.machine.features_given);
	CHECK_EQ("tdp", SCN_TDP_NPT, s.machine.tdp);
	st = &s.steps[0];
	CHECK_EQ("ncr3", 0x3000, st->u.vmentry.ncr3);
	CHECK_EQ("asid", 2, st->u.vmentry.vpid);
	assert_true(st->u.vmentry.npt);
	st = &s.steps[1];
	CHECK_EQ("has", SCN_EX_FAULT | SCN_EX_ERROR_CODE | SCN_EX_GPA, st->expect.has);
	CHECK_EQ("fault", SCN_FAULT_NPF, st->expect.fault);
	CHECK_EQ("exitinfo1", 0x100000004, st->expect.error_code);
	CHECK_EQ("exitinfo2", 0x1000, st->expect.gpa);
	scn_free(&s);
}

static void test_omitted_keys_take_their_defaults(void **state)
{
	struct scenario s;
	struct cpu_features def;
	const struct scn_step *st;

	(void)state;
	load_sq("{'version': 1, 'name': 'd', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
		"'0x1000'}]},\n"
		" 'steps': [{'op': 'map', 'format': '4level', 'root': '0x0', 'va': '0x0', 'pa': "
		"'0x0', 'flags': 'P'},\n"
		"  {'op': 'mem_write', 'gpa': '0x0', 'value': '0x1'},\n"
		"  {'op': 'access', 'va': '0x0', 'kind': 'read'},\n"
		"  {'op': 'invpcid', 'type': 3},\n"
		"  {'op': 'pre_fault', 'gpa': '0x0', 'size': '0x1000'},\n"
		"  {'op': 'memslot_delete', 'id': 0},\n"
		"  {'op': 'vmentry'}]}",
		&s);
	cpu_features_default(&def, CPU_VENDOR_INTEL);
	assert_memory_equal(&def, &s.machine.feat, sizeof(def));
	assert_false(s.machine.features_given);
	CHECK_STR("description", "", s.description);
	CHECK_EQ("tdp", SCN_TDP_NONE, s.machine.tdp);
	assert_true(s.machine.tdp_mmu);
	CHECK_EQ("max_mmu_pages", 0, s.machine.max_mmu_pages);
	CHECK_EQ("tlb", SCN_TLB_RETAIN, s.machine.tlb);
	assert_false(s.machine.pt_pool.present);
	CHECK_EQ("nvcpus", 1, s.nvcpus);
	CHECK_EQ("ninit", 0, s.vcpus[0].ninit);

	st = &s.steps[0];
	CHECK_EQ("vcpu", 0, st->vcpu);
	assert_null(st->note);
	CHECK_EQ("insn_len", 0, st->insn_len);
	CHECK_EQ("has", 0, st->expect.has);
	CHECK_EQ("map.as", 0, st->u.pt.pt.as);
	CHECK_EQ("map.size", PAGE_SIZE, st->u.pt.size);
	CHECK_EQ("map.mode", SCN_WRITE_SETUP, st->u.pt.mode);
	CHECK_EQ("mem.size", 8, s.steps[1].u.mem.size);
	CHECK_EQ("mem.as", 0, s.steps[1].u.mem.as);
	assert_false(s.steps[1].u.mem.host);
	CHECK_EQ("access.size", 1, s.steps[2].u.access.size);
	CHECK_EQ("access.cpl", -1, s.steps[2].u.access.cpl);
	assert_false(s.steps[2].u.access.implicit);
	CHECK_EQ("access.value", 0, s.steps[2].u.access.value);
	CHECK_EQ("invpcid.pcid", 0, s.steps[3].u.inv.pcid);
	CHECK_EQ("invpcid.va", 0, s.steps[3].u.inv.va);
	CHECK_EQ("pre_fault.flags", 0, s.steps[4].u.pre_fault.flags);
	CHECK_EQ("memslot_delete.as", 0, s.steps[5].u.slot.as);
	CHECK_EQ("vmentry.eptp", 0, s.steps[6].u.vmentry.eptp);
	CHECK_EQ("vmentry.nl2", 0, s.steps[6].u.vmentry.nl2);
	scn_free(&s);
}

static void test_features_list_replaces_the_vendor_set(void **state)
{
	struct scenario s;
	const struct cpu_features *f = &s.machine.feat;

	(void)state;
	/* Only the listed features; maxphyaddr stays the vendor's unless given. */
	load_sq("{'version': 1, 'name': 'f', 'machine': {'features': ['pae', 'nx'],\n"
		" 'memslots': [{'gpa': '0x0', 'size': '0x1000'}]}, 'steps': []}",
		&s);
	assert_true(s.machine.features_given);
	assert_true(f->pae && f->nx);
	assert_false(f->pse || f->pge || f->lm || f->la57 || f->pcid || f->vmx || f->gbpages);
	assert_false(f->ept.walk4 || f->ept.vpid || f->svm || f->npt);
	CHECK_EQ("maxphyaddr", 46, f->maxphyaddr);
	CHECK_EQ("nsteps", 0, s.nsteps);
	scn_free(&s);

	/* An empty list is a CPU without any of them. */
	load_sq("{'version': 1, 'name': 'f', 'machine': {'vendor': 'amd', 'maxphyaddr': 36,\n"
		" 'features': [], 'memslots': [{'gpa': '0x0', 'size': '0x1000'}]}, 'steps': []}",
		&s);
	CHECK_EQ("vendor", CPU_VENDOR_AMD, f->vendor);
	CHECK_EQ("maxphyaddr", 36, f->maxphyaddr);
	assert_false(f->pae || f->nx || f->svm || f->npt || f->lm);
	scn_free(&s);

	/* ept.* go to feat.ept, vpid to feat.ept.vpid. */
	load_sq("{'version': 1, 'name': 'f', 'machine': {'features': ['vmx', 'ept.walk5', "
		"'ept.execonly', 'ept.1g', 'vpid', 'lm'],\n"
		" 'memslots': [{'gpa': '0x0', 'size': '0x1000'}]}, 'steps': []}",
		&s);
	assert_true(f->vmx && f->ept.walk5 && f->ept.execonly && f->ept.huge_1g && f->ept.vpid);
	assert_false(f->ept.walk4 || f->ept.ad || f->ept.huge_2m);
	scn_free(&s);
}

static void test_memslot_default_id_is_index_within_its_address_space(void **state)
{
	struct scenario s;

	(void)state;
	load_sq("{'version': 1, 'name': 'm', 'machine': {'memslots': [\n"
		" {'gpa': '0x0', 'size': '0x1000'},\n"
		" {'as': 1, 'gpa': '0x0', 'size': '0x1000'},\n"
		" {'gpa': '0x1000', 'size': '0x1000'},\n"
		" {'id': 5, 'gpa': '0x2000', 'size': '0x1000'},\n"
		" {'as': 1, 'gpa': '0x1000', 'size': '0x1000'},\n"
		" {'gpa': '0x3000', 'size': '0x1000'}]}, 'steps': []}",
		&s);
	CHECK_EQ("nslots", 6, s.machine.nslots);
	CHECK_EQ("slot0", 0, s.machine.slots[0].id);
	CHECK_EQ("slot1 (as 1)", 0, s.machine.slots[1].id);
	CHECK_EQ("slot2", 1, s.machine.slots[2].id);
	CHECK_EQ("slot3 (explicit)", 5, s.machine.slots[3].id);
	CHECK_EQ("slot4 (as 1)", 1, s.machine.slots[4].id);
	CHECK_EQ("slot5", 3, s.machine.slots[5].id);
	scn_free(&s);
}

static void test_flags_expressions_take_names_and_hex_terms(void **state)
{
	struct scenario s;
	const struct scn_step *st;

	(void)state;
	load_sq("{'version': 1, 'name': 'x', 'machine': {'memslots': [{'gpa': '0x0', 'size': "
		"'0x1000'}]},\n"
		" 'vcpus': [{'cr4': '0x20|PSE', 'cr3': '0x1000|0x18', 'efer': '0x0', 'rflags': "
		"'0x2'}],\n"
		" 'steps': [{'op': 'set', 'cr0': '0x80000000|PE|0x1|0xFFFFFFFF00000000'},\n"
		"  {'op': 'map', 'format': 'ept5', 'root': '0x0', 'va': '0x0', 'pa': '0x0',\n"
		"   'flags': 'MT=3|0x8000000000000000|UX|A|D|PS'},\n"
		"  {'op': 'map', 'format': '32', 'root': '0x0', 'va': '0x0', 'pa': '0x0',\n"
		"   'flags': 'PKEY=15|PWT|PCD|A|D|G'},\n"
		"  {'op': 'map', 'format': 'ept4', 'root': '0x0', 'va': '0x0', 'pa': '0x0', "
		"'flags': "
		"'MT=UC|SVE'}]}",
		&s);
	CHECK_EQ("cr4", X86_CR4_PAE | X86_CR4_PSE, s.vcpus[0].init[0].val);
	CHECK_EQ("cr3", 0x1018, s.vcpus[0].init[1].val);
	CHECK_EQ("efer", 0, s.vcpus[0].init[2].val);
	CHECK_EQ("rflags", X86_RFLAGS_FIXED, s.vcpus[0].init[3].val);
	st = s.steps;
	CHECK_EQ("cr0", 0xffffffff80000001ULL, st[0].u.set.regs[0].val);
	CHECK_EQ("ept flags", (3ULL << 3) | BIT_ULL(63) | BIT_ULL(10) | EPT_A | EPT_D | EPT_PS,
		 st[1].u.pt.flags);
	CHECK_EQ("pte flags", (15ULL << PT_PKEY_SHIFT) | PT_PWT | PT_PCD | PT_A | PT_D | PT_G,
		 st[2].u.pt.flags);
	CHECK_EQ("MT=UC|SVE", BIT_ULL(63), st[3].u.pt.flags);
	scn_free(&s);
}

static void test_load_file_reports_unreadable_and_oversize_files(void **state)
{
	struct scenario s;
	struct scn_error err;
	char msg[600], path[] = "/tmp/test_loader_XXXXXX";
	int fd;

	(void)state;
	CHECK_EQ("missing", MSC_EIO, scn_load_file("/nonexistent/x.json", &s, &err));
	scn_error_format(&err, msg, sizeof(msg));
	CHECK_STR("message", "/nonexistent/x.json: cannot open: No such file or directory", msg);
	CHECK_EQ("directory", MSC_EIO, scn_load_file("/", &s, &err));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SCN_MAX_FILE_BYTES + 1), 0);
	close(fd);
	CHECK_EQ("oversize", MSC_E2BIG, scn_load_file(path, &s, &err));
	scn_error_format(&err, msg, sizeof(msg));
	assert_non_null(strstr(msg, ": file is larger than the 64 MiB bound"));
	assert_null(s.steps);
	unlink(path);
}

static void test_load_file_reads_a_library_scenario(void **state)
{
	struct scenario s;
	struct scn_error err;
	char msg[600];
	int rc;

	(void)state;
	rc = scn_load_file(MSC_SOURCE_DIR "/tests/fuzz/corpus/valid-minimal.json", &s, &err);
	if (rc) {
		scn_error_format(&err, msg, sizeof(msg));
		print_error("%s\n", msg);
	}
	CHECK_EQ("scn_load_file", 0, rc);
	CHECK_STR("file", MSC_SOURCE_DIR "/tests/fuzz/corpus/valid-minimal.json", s.file);
	scn_free(&s);
}

static void test_error_format_omits_parts_without_value(void **state)
{
	struct scn_error e = {
		.file = "a.json", .line = 3, .col = 9, .path = "/steps/1", .msg = "m"};
	char buf[600];

	(void)state;
	scn_error_format(&e, buf, sizeof(buf));
	CHECK_STR("full", "a.json:3:9: /steps/1: m", buf);
	e.path[0] = 0;
	scn_error_format(&e, buf, sizeof(buf));
	CHECK_STR("no path", "a.json:3:9: m", buf);
	e.line = e.col = 0;
	scn_error_format(&e, buf, sizeof(buf));
	CHECK_STR("no position", "a.json: m", buf);
	scn_error_format(&e, buf, 4);
	CHECK_STR("truncated", "a.j", buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_intel_scenario_fills_machine_and_vcpus),
		cmocka_unit_test(test_full_intel_scenario_fills_every_op),
		cmocka_unit_test(test_full_intel_scenario_fills_every_expect_key),
		cmocka_unit_test(test_amd_scenario_reads_svm_entry_and_npf_exit_info),
		cmocka_unit_test(test_omitted_keys_take_their_defaults),
		cmocka_unit_test(test_features_list_replaces_the_vendor_set),
		cmocka_unit_test(test_memslot_default_id_is_index_within_its_address_space),
		cmocka_unit_test(test_flags_expressions_take_names_and_hex_terms),
		cmocka_unit_test(test_load_file_reports_unreadable_and_oversize_files),
		cmocka_unit_test(test_load_file_reads_a_library_scenario),
		cmocka_unit_test(test_error_format_omits_parts_without_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
