/* SPDX-License-Identifier: MIT */
/*
 * Events as text (sim_event_format) and JSON (sim_event_json): the exact line
 * and object of every event kind, multi-line walks, string escaping, bounded
 * buffers, and that every JSON object is well-formed.
 */
#include "sim/event.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/regs.h"

/* ---- a small JSON syntax checker (RFC 8259), so no JSON library is needed ---- */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return NULL;
	if (*p == '0' && isdigit((unsigned char)p[1]))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return js_number(p);
}

static bool json_ok(const char *text)
{
	const char *end = js_value(text);

	return end && !*js_ws(end);
}

/* ---- helpers ---- */

static void expect_text(const struct sim_event *ev, const char *want)
{
	char buf[4096];
	int n = sim_event_format(ev, buf, sizeof(buf));

	if (n != (int)strlen(want) || strcmp(buf, want)) {
		print_error("format:\nwant (%zu) \"%s\"\ngot  (%d) \"%s\"\n", strlen(want), want, n,
			    buf);
		fail();
	}
}

static void expect_json(const struct sim_event *ev, const char *want)
{
	char buf[8192];
	int n = sim_event_json(ev, buf, sizeof(buf));

	if (n != (int)strlen(buf) || strcmp(buf, want)) {
		print_error("json:\nwant \"%s\"\ngot  \"%s\"\n", want, buf);
		fail();
	}
	if (!json_ok(buf)) {
		print_error("json: not well-formed: %s\n", buf);
		fail();
	}
}

static struct sim_event ev_of(enum sim_ev_kind kind, u32 step, u16 vcpu)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.step = step;
	ev.vcpu = vcpu;
	return ev;
}

/* ---- one test per event kind ---- */

static void test_step_event(void **state)
{
	struct scn_step st;
	struct sim_event ev = ev_of(SIM_EV_STEP, 3, 1);

	(void)state;
	memset(&st, 0, sizeof(st));
	st.op = SCN_OP_ACCESS;
	st.pos = (struct scn_pos){14, 7};
	ev.u.step.op = SCN_OP_ACCESS;
	ev.u.step.st = &st;
	expect_text(&ev, "[s3 v1] mmuscope_step: access");
	expect_json(&ev, "{\"event\":\"mmuscope_step\",\"step\":3,\"vcpu\":1,\"op\":\"access\","
			 "\"line\":14,\"col\":7}");
}

static void test_reg_write_events_accepted_and_refused(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_REG_WRITE, 0, 0);

	(void)state;
	ev.u.reg.reg = SCN_REG_CR0;
	ev.u.reg.old = 0x60000010;
	ev.u.reg.val = 0x80000011;
	ev.u.reg.now = 0x80000011;
	expect_text(&ev, "[s0 v0] mmuscope_cr_write: cr0 0x60000010 -> 0x80000011 ok");
	expect_json(&ev, "{\"event\":\"mmuscope_cr_write\",\"step\":0,\"vcpu\":0,\"reg\":\"cr0\","
			 "\"old\":\"0x60000010\",\"val\":\"0x80000011\",\"now\":\"0x80000011\","
			 "\"vector\":0,\"rule\":null}");
	ev.u.reg.val = 0x80000001;
	expect_text(
		&ev,
		"[s0 v0] mmuscope_cr_write: cr0 0x60000010 -> 0x80000011 ok (wrote 0x80000001)");

	ev.u.reg.val = 0x80000000;
	ev.u.reg.now = 0x60000010;
	ev.u.reg.vector = X86_VEC_GP;
	ev.u.reg.rule = "PG without PE";
	expect_text(&ev,
		    "[s0 v0] mmuscope_cr_write: cr0 0x60000010 -> 0x80000000 #GP (PG without PE)");

	ev.u.reg.reg = SCN_REG_EFER;
	ev.u.reg.old = 0;
	ev.u.reg.val = 0x900;
	ev.u.reg.now = 0x900;
	ev.u.reg.vector = 0;
	ev.u.reg.rule = NULL;
	expect_text(&ev, "[s0 v0] mmuscope_msr_write: efer 0x0 -> 0x900 ok");

	ev.u.reg.reg = SCN_REG_PKRU;
	ev.u.reg.val = 4;
	ev.u.reg.now = 0;
	ev.u.reg.vector = X86_VEC_UD;
	ev.u.reg.rule = "CR4.PKE=0";
	expect_text(&ev, "[s0 v0] mmuscope_reg_write: pkru 0x0 -> 0x4 #UD (CR4.PKE=0)");

	ev.u.reg.reg = SCN_REG_CPL;
	ev.u.reg.val = 3;
	ev.u.reg.now = 3;
	ev.u.reg.vector = 0;
	ev.u.reg.rule = NULL;
	expect_text(&ev, "[s0 v0] mmuscope_reg_write: cpl 0 -> 3 ok");
}

static void test_pt_write_event(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_PT_WRITE, 2, 0);

	(void)state;
	ev.u.pt.as = 0;
	ev.u.pt.gpa = 0x1ff8;
	ev.u.pt.old = 0;
	ev.u.pt.val = 0x2007;
	ev.u.pt.size = 8;
	expect_text(&ev, "[s2 v0] mmuscope_pt_write: setup as 0 gpa 0x1ff8 size 8: 0x0 -> 0x2007");
	ev.u.pt.guest = true;
	ev.u.pt.dropped = true;
	ev.u.pt.size = 4;
	expect_text(&ev, "[s2 v0] mmuscope_pt_write: guest as 0 gpa 0x1ff8 size 4: 0x0 -> 0x2007 "
			 "dropped (read-only memslot)");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_pt_write\",\"step\":2,\"vcpu\":0,\"mode\":\"guest\","
		    "\"as\":0,\"gpa\":\"0x1ff8\",\"size\":4,\"old\":\"0x0\",\"val\":\"0x2007\","
		    "\"dropped\":true,\"trapped\":false}");
	ev.u.pt.dropped = false;
	ev.u.pt.trapped = true;
	expect_text(&ev, "[s2 v0] mmuscope_pt_write: guest as 0 gpa 0x1ff8 size 4: 0x0 -> 0x2007 "
			 "trapped (write-protected gfn): emulated");
}

static void test_mem_events(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_MEM_WRITE, 1, 0);

	(void)state;
	ev.u.mem.as = 1;
	ev.u.mem.gpa = 0x3000;
	ev.u.mem.val = 0xdead;
	ev.u.mem.size = 2;
	ev.u.mem.host = true;
	expect_text(&ev, "[s1 v0] mmuscope_mem_write: host as 1 gpa 0x3000 size 2 value 0xdead");
	ev.u.mem.host = false;
	ev.u.mem.dropped = true;
	expect_text(&ev, "[s1 v0] mmuscope_mem_write: guest as 1 gpa 0x3000 size 2 value 0xdead "
			 "dropped (read-only memslot)");
	ev.u.mem.unbacked = true;
	expect_text(&ev, "[s1 v0] mmuscope_mem_write: guest as 1 gpa 0x3000 size 2 value 0xdead "
			 "dropped (no memslot)");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_mem_write\",\"step\":1,\"vcpu\":0,\"mode\":\"guest\","
		    "\"as\":1,\"gpa\":\"0x3000\",\"size\":2,\"value\":\"0xdead\","
		    "\"dropped\":true,\"unbacked\":true,\"trapped\":false}");
	ev.kind = SIM_EV_MEM_READ;
	expect_text(&ev, "[s1 v0] mmuscope_mem_read: as 1 gpa 0x3000 size 2 -> 0xdead");
	expect_json(&ev, "{\"event\":\"mmuscope_mem_read\",\"step\":1,\"vcpu\":0,\"as\":1,"
			 "\"gpa\":\"0x3000\",\"size\":2,\"value\":\"0xdead\"}");
}

static void test_insn_event(void **state)
{
	static const u8 bytes[] = {0x48, 0x89, 0x18};
	struct sim_event ev = ev_of(SIM_EV_INSN, 4, 0);

	(void)state;
	ev.u.insn.bytes = bytes;
	ev.u.insn.len = 3;
	ev.u.insn.text = "mov qword ptr [rax], rbx";
	ev.u.insn.write_size = 8;
	ev.u.insn.bits = 64;
	expect_text(&ev, "[s4 v0] mmuscope_insn: 48 89 18 mov qword ptr [rax], rbx (writes 8)");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_insn\",\"step\":4,\"vcpu\":0,\"bytes\":\"48 89 18\","
		    "\"text\":\"mov qword ptr [rax], rbx\",\"write_size\":8,\"bits\":64}");
	ev.u.insn.len = 1;
	ev.u.insn.text = "(bad)";
	ev.u.insn.write_size = 0;
	expect_text(&ev, "[s4 v0] mmuscope_insn: 48 (bad)");
}

/* A 4-level walk of 0x400000: four entries, A set in the last one. */
static void walk_of(struct walk_cfg *cfg, struct walk_req *req, struct walk_result *res)
{
	static const u64 ptes[4] = {0x2007, 0x3007, 0x4007, 0x5007};

	memset(cfg, 0, sizeof(*cfg));
	cfg->fmt = WALK_FMT_4LVL;
	cfg->levels = 4;
	cfg->maxphyaddr = 46;
	memset(req, 0, sizeof(*req));
	req->addr = 0x400000;
	req->acc = WALK_ACC_READ;
	req->cpl = 3;
	memset(res, 0, sizeof(*res));
	res->ok = true;
	res->gpa = 0x5000;
	res->page_size = 0x1000;
	res->level = 1;
	res->refs = 4;
	res->nsteps = 4;
	for (unsigned i = 0; i < 4; i++) {
		res->steps[i].level = (u8)(4 - i);
		res->steps[i].table = 0x1000 * (i + 1);
		res->steps[i].pte_addr = 0x1000 * (i + 1) + 0x10;
		res->steps[i].pte_pa = res->steps[i].pte_addr;
		res->steps[i].pte = ptes[i];
	}
	res->steps[3].flags = WALK_STEP_AD_SET;
}

static void test_walk_event_is_one_line_per_entry(void **state)
{
	struct walk_cfg cfg;
	struct walk_req req;
	struct walk_result res;
	struct sim_event ev = ev_of(SIM_EV_WALK, 5, 0);

	(void)state;
	walk_of(&cfg, &req, &res);
	ev.u.walk.req = &req;
	ev.u.walk.res = &res;
	ev.u.walk.g = &cfg;
	expect_text(&ev,
		    "[s5 v0] mmuscope_walk: 4-level read va 0x400000 cpl3 -> gpa 0x5000 4k refs 4\n"
		    "[s5 v0] mmuscope_walk_step: L4 entry 0x1010 = 0x2007 P W U addr=0x2000\n"
		    "[s5 v0] mmuscope_walk_step: L3 entry 0x2010 = 0x3007 P W U addr=0x3000\n"
		    "[s5 v0] mmuscope_walk_step: L2 entry 0x3010 = 0x4007 P W U addr=0x4000\n"
		    "[s5 v0] mmuscope_walk_step: L1 entry 0x4010 = 0x5007 P W U addr=0x5000 "
		    "[A/D set]");
	expect_json(
		&ev,
		"{\"event\":\"mmuscope_walk\",\"step\":5,\"vcpu\":0,\"format\":\"4-level\","
		"\"acc\":\"read\",\"va\":\"0x400000\",\"cpl\":3,\"implicit\":false,\"ok\":true,"
		"\"gpa\":\"0x5000\",\"page_size\":\"0x1000\",\"level\":1,\"leaf\":\"0x0\",\"refs\":"
		"4,"
		"\"fault\":\"none\",\"steps\":["
		"{\"stage\":0,\"level\":4,\"table\":\"0x1000\",\"entry_addr\":\"0x1010\","
		"\"entry_pa\":\"0x1010\",\"entry\":\"0x2007\",\"decoded\":\"P W U addr=0x2000\","
		"\"pdptr\":false,\"ad_set\":false},"
		"{\"stage\":0,\"level\":3,\"table\":\"0x2000\",\"entry_addr\":\"0x2010\","
		"\"entry_pa\":\"0x2010\",\"entry\":\"0x3007\",\"decoded\":\"P W U addr=0x3000\","
		"\"pdptr\":false,\"ad_set\":false},"
		"{\"stage\":0,\"level\":2,\"table\":\"0x3000\",\"entry_addr\":\"0x3010\","
		"\"entry_pa\":\"0x3010\",\"entry\":\"0x4007\",\"decoded\":\"P W U addr=0x4000\","
		"\"pdptr\":false,\"ad_set\":false},"
		"{\"stage\":0,\"level\":1,\"table\":\"0x4000\",\"entry_addr\":\"0x4010\","
		"\"entry_pa\":\"0x4010\",\"entry\":\"0x5007\",\"decoded\":\"P W U addr=0x5000\","
		"\"pdptr\":false,\"ad_set\":true}]}");
}

static void test_faulting_walk_names_the_fault_and_rule(void **state)
{
	struct walk_cfg cfg;
	struct walk_req req;
	struct walk_result res;
	struct sim_event ev = ev_of(SIM_EV_WALK, 0, 0);
	char buf[2048];

	(void)state;
	walk_of(&cfg, &req, &res);
	res.ok = false;
	res.gpa = 0;
	res.nsteps = 1;
	res.refs = 1;
	res.steps[0].pte = 0;
	res.fault.kind = WALK_FAULT_PF;
	res.fault.vector = 14;
	res.fault.level = 4;
	res.fault.error_code = 4;
	res.fault.cr2 = 0x400000;
	res.fault.rule = "not present";
	ev.u.walk.req = &req;
	ev.u.walk.res = &res;
	ev.u.walk.g = &cfg;
	expect_text(&ev, "[s0 v0] mmuscope_walk: 4-level read va 0x400000 cpl3 -> #PF ec 0x4 "
			 "cr2 0x400000 refs 1 (not present)\n"
			 "[s0 v0] mmuscope_walk_step: L4 entry 0x1010 = 0x0 not-present");
	assert_true(sim_event_json(&ev, buf, sizeof(buf)) > 0);
	assert_true(json_ok(buf));
	assert_non_null(strstr(buf, "\"fault\":\"pf\",\"vector\":14,\"fault_level\":4,"
				    "\"error_code\":\"0x4\",\"cr2\":\"0x400000\""));
	res.fault.kind = WALK_FAULT_GP;
	res.nsteps = 0;
	res.refs = 0;
	res.fault.rule = "non-canonical";
	expect_text(&ev, "[s0 v0] mmuscope_walk: 4-level read va 0x400000 cpl3 -> #GP refs 0 "
			 "(non-canonical)");
}

static void test_tlb_hit_and_fill_events(void **state)
{
	struct tlb_entry e = {.vpid = 0,
			      .pcid = 2,
			      .global = true,
			      .va = 0x400000,
			      .pa = 0x200000,
			      .size = 0x200000,
			      .acc = ACC_USER | ACC_WRITE,
			      .pkey = 3,
			      .dirty = true};
	struct sim_event ev = ev_of(SIM_EV_TLB_HIT, 7, 0);

	(void)state;
	ev.u.tlb.e = &e;
	ev.u.tlb.va = 0x400123;
	expect_text(&ev, "[s7 v0] mmuscope_tlb_hit: va 0x400123 via 0x400000 -> 0x200000 2m vpid 0 "
			 "pcid 2 global acc uw- pkey 3 dirty");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_tlb_hit\",\"step\":7,\"vcpu\":0,\"va\":\"0x400123\","
		    "\"entry\":{\"vpid\":0,\"pcid\":2,\"global\":true,\"va\":\"0x400000\","
		    "\"pa\":\"0x200000\",\"size\":\"0x200000\",\"acc\":\"uw-\",\"pkey\":3,"
		    "\"dirty\":true}}");
	ev.kind = SIM_EV_TLB_FILL;
	e.global = false;
	e.dirty = false;
	e.pkey = 0;
	e.size = 0x1000;
	e.acc = ACC_EXEC;
	expect_text(&ev,
		    "[s7 v0] mmuscope_tlb_fill: 0x400000 -> 0x200000 4k vpid 0 pcid 2 acc --x");
}

static void test_tlb_flush_events_name_what_matters(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_TLB_FLUSH, 1, 0);

	(void)state;
	ev.u.flush.what = "invlpg";
	ev.u.flush.va = 0x400000;
	ev.u.flush.dropped = 1;
	expect_text(&ev, "[s1 v0] mmuscope_tlb_flush: invlpg va 0x400000 pcid 0 dropped 1");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_tlb_flush\",\"step\":1,\"vcpu\":0,\"what\":\"invlpg\","
		    "\"va\":\"0x400000\",\"pcid\":0,\"dropped\":1,\"vector\":0,\"rule\":null}");
	ev.u.flush.what = "flush";
	ev.u.flush.dropped = 3;
	expect_text(&ev, "[s1 v0] mmuscope_tlb_flush: flush dropped 3");
	ev.u.flush.what = "invpcid.single";
	ev.u.flush.pcid = 5;
	ev.u.flush.vector = X86_VEC_GP;
	ev.u.flush.rule = "PCIDE=0";
	expect_text(&ev, "[s1 v0] mmuscope_tlb_flush: invpcid.single pcid 5 -> #GP (PCIDE=0)");
	ev.u.flush.what = "cr3";
	ev.u.flush.vector = 0;
	ev.u.flush.dropped = 2;
	expect_text(&ev, "[s1 v0] mmuscope_tlb_flush: cr3 dropped 2");
}

static void test_access_events(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_ACCESS, 9, 0);

	(void)state;
	ev.u.access.va = 0x400008;
	ev.u.access.kind = SCN_ACC_READ;
	ev.u.access.cpl = 3;
	ev.u.access.gpa = 0x200008;
	ev.u.access.value = 0x1234;
	ev.u.access.page_size = 0x1000;
	ev.u.access.size = 8;
	ev.u.access.outcomes = 1;
	expect_text(&ev, "[s9 v0] mmuscope_access: read va 0x400008 size 8 cpl3 -> gpa 0x200008 4k "
			 "value 0x1234 via walk outcomes 1");
	ev.u.access.kind = SCN_ACC_FETCH;
	ev.u.access.implicit = true;
	ev.u.access.from_tlb = true;
	expect_text(&ev, "[s9 v0] mmuscope_access: fetch va 0x400008 size 8 cpl3 implicit -> gpa "
			 "0x200008 4k via tlb outcomes 1");
	ev.u.access.kind = SCN_ACC_WRITE;
	ev.u.access.implicit = false;
	ev.u.access.fault = SCN_FAULT_PF;
	ev.u.access.error_code = 7;
	ev.u.access.cr2 = 0x400008;
	ev.u.access.outcomes = 2;
	ev.u.access.rule = "user write to a read-only address";
	expect_text(&ev, "[s9 v0] mmuscope_access: write va 0x400008 size 8 cpl3 -> #PF ec 0x7 cr2 "
			 "0x400008 via tlb outcomes 2 (user write to a read-only address)");
	expect_json(&ev, "{\"event\":\"mmuscope_access\",\"step\":9,\"vcpu\":0,\"kind\":\"write\","
			 "\"va\":\"0x400008\",\"size\":8,\"cpl\":3,\"implicit\":false,"
			 "\"fault\":\"pf\",\"error_code\":\"0x7\",\"cr2\":\"0x400008\","
			 "\"gpa\":\"0x200008\",\"qual\":\"0x0\",\"value\":\"0x1234\","
			 "\"page_size\":\"0x1000\",\"via\":\"tlb\",\"outcomes\":2,"
			 "\"rule\":\"user write to a read-only address\"}");
	ev.u.access.fault = SCN_FAULT_GP;
	ev.u.access.rule = NULL;
	ev.u.access.from_tlb = false;
	ev.u.access.outcomes = 1;
	expect_text(&ev, "[s9 v0] mmuscope_access: write va 0x400008 size 8 cpl3 -> #GP via walk "
			 "outcomes 1");
}

static void test_memslot_events(void **state)
{
	struct scn_memslot m = {.as = 1,
				.id = 2,
				.gpa = 0x30000,
				.size = 0x8000,
				.flags = GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG,
				.alias = true,
				.alias_as = 0,
				.alias_id = 0,
				.alias_offset = 0x30000};
	struct sim_event ev = ev_of(SIM_EV_MEMSLOT, 0, 0);

	(void)state;
	ev.u.memslot.what = "add";
	ev.u.memslot.slot = &m;
	expect_text(&ev, "[s0 v0] mmuscope_memslot: add as 1 id 2 gpa 0x30000 size 0x8000 flags "
			 "readonly|dirty_log alias as 0 id 0 offset 0x30000");
	expect_json(&ev, "{\"event\":\"mmuscope_memslot\",\"step\":0,\"vcpu\":0,\"what\":\"add\","
			 "\"as\":1,\"id\":2,\"gpa\":\"0x30000\",\"size\":\"0x8000\","
			 "\"flags\":[\"readonly\",\"dirty_log\"],"
			 "\"alias\":{\"as\":0,\"id\":0,\"offset\":\"0x30000\"}}");
	ev.u.memslot.what = "flags";
	m.flags = 0;
	expect_text(&ev, "[s0 v0] mmuscope_memslot: flags as 1 id 2 flags none");
	expect_json(&ev, "{\"event\":\"mmuscope_memslot\",\"step\":0,\"vcpu\":0,\"what\":\"flags\","
			 "\"as\":1,\"id\":2,\"flags\":[]}");
	ev.u.memslot.what = "delete";
	expect_text(&ev, "[s0 v0] mmuscope_memslot: delete as 1 id 2");
	expect_json(&ev,
		    "{\"event\":\"mmuscope_memslot\",\"step\":0,\"vcpu\":0,\"what\":\"delete\","
		    "\"as\":1,\"id\":2}");
}

static void test_expect_fail_and_divergence_events(void **state)
{
	struct sim_event ev = ev_of(SIM_EV_EXPECT_FAIL, 2, 0);

	(void)state;
	ev.u.fail.what = "error_code";
	snprintf(ev.u.fail.expected, sizeof(ev.u.fail.expected), "0x7");
	snprintf(ev.u.fail.observed, sizeof(ev.u.fail.observed), "0x5");
	ev.u.fail.pos = (struct scn_pos){12, 9};
	expect_text(&ev,
		    "[s2 v0] mmuscope_expect_fail: error_code expected 0x7 observed 0x5 at 12:9");
	expect_json(&ev, "{\"event\":\"mmuscope_expect_fail\",\"step\":2,\"vcpu\":0,"
			 "\"what\":\"error_code\",\"expected\":\"0x7\",\"observed\":\"0x5\","
			 "\"line\":12,\"col\":9}");
	ev = ev_of(SIM_EV_DIVERGENCE, 4, 1);
	ev.u.divergence.text = "not allowed";
	expect_text(&ev, "[s4 v1] mmuscope_divergence: not allowed");
	expect_json(&ev, "{\"event\":\"mmuscope_divergence\",\"step\":4,\"vcpu\":1,"
			 "\"text\":\"not allowed\"}");
}

/* ---- strings, buffers ---- */

static void test_json_escapes_quotes_backslashes_and_controls(void **state)
{
	struct scn_step st;
	struct sim_event ev = ev_of(SIM_EV_STEP, 0, 0);

	(void)state;
	memset(&st, 0, sizeof(st));
	st.note = "say \"hi\" \\ path\nnext\ttab\x01\x1f\x7f caf\xc3\xa9";
	ev.u.step.op = SCN_OP_EXPECT;
	ev.u.step.st = &st;
	expect_json(&ev, "{\"event\":\"mmuscope_step\",\"step\":0,\"vcpu\":0,\"op\":\"expect\","
			 "\"line\":0,\"col\":0,\"note\":\"say \\\"hi\\\" \\\\ path\\nnext\\ttab"
			 "\\u0001\\u001f\\u007f caf\xc3\xa9\"}");
}

static void test_small_buffers_get_a_terminated_prefix_and_the_full_length(void **state)
{
	struct walk_cfg cfg;
	struct walk_req req;
	struct walk_result res;
	struct sim_event ev = ev_of(SIM_EV_WALK, 5, 0);
	char full[4096], small[16];
	int n, m;

	(void)state;
	walk_of(&cfg, &req, &res);
	ev.u.walk.req = &req;
	ev.u.walk.res = &res;
	ev.u.walk.g = &cfg;
	n = sim_event_format(&ev, full, sizeof(full));
	assert_int_equal(sim_event_format(&ev, NULL, 0), n);
	memset(small, 'x', sizeof(small));
	m = sim_event_format(&ev, small, sizeof(small));
	assert_int_equal(m, n);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_memory_equal(small, full, sizeof(small) - 1);
	n = sim_event_json(&ev, full, sizeof(full));
	memset(small, 'x', sizeof(small));
	assert_int_equal(sim_event_json(&ev, small, sizeof(small)), n);
	assert_int_equal(small[sizeof(small) - 1], '\0');
	assert_int_equal(sim_event_json(&ev, NULL, 0), n);
}

static void test_the_json_checker_rejects_malformed_text(void **state)
{
	(void)state;
	assert_true(json_ok("{\"a\":[1,true,null,\"x\\u00e9\"],\"b\":{}}"));
	assert_false(json_ok("{\"a\":1,}"));
	assert_false(json_ok("{\"a\":\"x\ny\"}"));
	assert_false(json_ok("{\"a\":01}"));
	assert_false(json_ok("{\"a\":1} x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_event),
		cmocka_unit_test(test_reg_write_events_accepted_and_refused),
		cmocka_unit_test(test_pt_write_event),
		cmocka_unit_test(test_mem_events),
		cmocka_unit_test(test_insn_event),
		cmocka_unit_test(test_walk_event_is_one_line_per_entry),
		cmocka_unit_test(test_faulting_walk_names_the_fault_and_rule),
		cmocka_unit_test(test_tlb_hit_and_fill_events),
		cmocka_unit_test(test_tlb_flush_events_name_what_matters),
		cmocka_unit_test(test_access_events),
		cmocka_unit_test(test_memslot_events),
		cmocka_unit_test(test_expect_fail_and_divergence_events),
		cmocka_unit_test(test_json_escapes_quotes_backslashes_and_controls),
		cmocka_unit_test(test_small_buffers_get_a_terminated_prefix_and_the_full_length),
		cmocka_unit_test(test_the_json_checker_rejects_malformed_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
