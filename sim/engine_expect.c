/* SPDX-License-Identifier: MIT */
/*
 * A step's expectations (docs/scenario-format.md "expect"): only the keys given
 * are checked, plus each op's default (set and invpcid must not be refused, an
 * access must complete). Each failure is one mmuscope_expect_fail event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/engine_priv.h"
#include "sim/loader_names.h"

typedef unsigned long long ull;

/* Where an expectation is: its own position, else the expect object's, else the step's. */
static struct scn_pos where(const struct scn_step *st, struct scn_pos own)
{
	if (own.line)
		return own;
	return st->expect.pos.line ? st->expect.pos : st->pos;
}

__attribute__((format(printf, 5, 6))) static void fail(struct sim *sim, struct scn_pos pos,
						       const char *what, const char *expected,
						       const char *observed_fmt, ...)
{
	struct sim_event ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_EXPECT_FAIL;
	ev.u.fail.what = what;
	ev.u.fail.pos = pos;
	snprintf(ev.u.fail.expected, sizeof(ev.u.fail.expected), "%s", expected);
	va_start(ap, observed_fmt);
	vsnprintf(ev.u.fail.observed, sizeof(ev.u.fail.observed), observed_fmt, ap);
	va_end(ap);
	sim->mc->failures++;
	sim_emit(sim, &ev);
}

static void hex(char *buf, size_t n, u64 v)
{
	snprintf(buf, n, "0x%llx", (ull)v);
}

/* The observed outcome in words: "pf ec 0x7 cr2 0x400000", "gp (rule)", "none". */
static void describe_fault(const struct sim *sim, char *buf, size_t n)
{
	const struct sim_obs *o = &sim->obs;

	switch (o->fault) {
	case SCN_FAULT_PF:
		snprintf(buf, n, "pf ec 0x%llx cr2 0x%llx", (ull)o->error_code, (ull)o->cr2);
		return;
	case SCN_FAULT_NONE:
		snprintf(buf, n, "none");
		return;
	case SCN_FAULT_GP:
	case SCN_FAULT_UD:
	case SCN_FAULT_EPT_VIOLATION:
	case SCN_FAULT_EPT_MISCONFIG:
	case SCN_FAULT_NPF:
		break;
	}
	if (o->rule)
		snprintf(buf, n, "%s (%s)", scn_fault_name(o->fault), o->rule);
	else
		snprintf(buf, n, "%s", scn_fault_name(o->fault));
}

/* A value the outcome may lack (no gpa after a #PF): "none" then. */
static void check_u64(struct sim *sim, const struct scn_step *st, const char *what, u64 want,
		      bool has, u64 got)
{
	char w[32];

	if (has && want == got)
		return;
	hex(w, sizeof(w), want);
	if (has)
		fail(sim, where(st, st->expect.pos), what, w, "0x%llx", (ull)got);
	else
		fail(sim, where(st, st->expect.pos), what, w, "none");
}

static void check_fault(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	enum scn_fault_kind want = SCN_FAULT_NONE;
	char got[96];

	if (e->has & SCN_EX_FAULT)
		want = e->fault;
	else if (st->op != SCN_OP_SET && st->op != SCN_OP_ACCESS && st->op != SCN_OP_INVPCID &&
		 st->op != SCN_OP_RSM)
		return; /* only these ops have a default: they must complete */
	if (sim->obs.fault == want)
		return;
	describe_fault(sim, got, sizeof(got));
	fail(sim, where(st, e->pos), "fault", scn_fault_name(want), "%s", got);
}

static bool reg_by_name(const struct cpu_regs *r, const char *name, u64 *val)
{
	static const enum scn_reg regs[] = {SCN_REG_CR0,  SCN_REG_CR3,	  SCN_REG_CR4,
					    SCN_REG_EFER, SCN_REG_RFLAGS, SCN_REG_CPL,
					    SCN_REG_PKRU, SCN_REG_CS_L};

	if (!name)
		return false;
	if (!strcmp(name, "cr2")) {
		*val = r->cr2;
		return true;
	}
	for (size_t i = 0; i < MSC_ARRAY_SIZE(regs); i++) {
		if (!strcmp(name, scn_reg_name(regs[i]))) {
			*val = sim_read_reg(r, regs[i]);
			return true;
		}
	}
	return false;
}

static void check_regs(struct sim *sim, const struct scn_step *st, const struct cpu_regs *r)
{
	const struct scn_expect *e = &st->expect;
	char what[48], w[32];
	u64 got;

	for (unsigned i = 0; i < e->nregs && i < MSC_ARRAY_SIZE(e->regs); i++) {
		const struct scn_named_u64 *n = &e->regs[i];

		snprintf(what, sizeof(what), "regs.%s", n->name ? n->name : "?");
		hex(w, sizeof(w), n->val);
		if (!reg_by_name(r, n->name, &got))
			fail(sim, where(st, n->pos), what, w, "no such register");
		else if (got != n->val)
			fail(sim, where(st, n->pos), what, w, "0x%llx", (ull)got);
	}
}

static void check_mem(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	unsigned size = e->mem.size;
	u8 buf[8] = {0};
	char w[32];
	u64 got;

	hex(w, sizeof(w), e->mem.value);
	if (size < 1 || size > 8) {
		fail(sim, where(st, e->pos), "mem", w, "size %u is not 1..8", size);
		return;
	}
	if (gmem_read(sim->mc->mem, e->mem.as, e->mem.gpa, buf, size)) {
		fail(sim, where(st, e->pos), "mem", w, "gpa 0x%llx not backed in as %u",
		     (ull)e->mem.gpa, (unsigned)e->mem.as);
		return;
	}
	got = msc_le_get(buf, size);
	if (got != e->mem.value)
		fail(sim, where(st, e->pos), "mem", w, "0x%llx", (ull)got);
}

static void check_entry(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	struct pt_builder b;
	char w[32];
	u64 got = 0;
	int r;

	sim_pt_builder(sim, &e->entry.pt, &b);
	hex(w, sizeof(w), e->entry.value);
	r = pt_get_entry(&b, e->entry.va, e->entry.level, &got);
	if (r == MSC_ENOENT)
		fail(sim, where(st, e->pos), "entry", w, "none (the path ends above level %u)",
		     (unsigned)e->entry.level);
	else if (r == MSC_EFAULT)
		fail(sim, where(st, e->pos), "entry", w, "none (a table is not backed)");
	else if (r)
		fail(sim, where(st, e->pos), "entry", w, "none (level %u not in the format)",
		     (unsigned)e->entry.level);
	else if (got != e->entry.value)
		fail(sim, where(st, e->pos), "entry", w, "0x%llx", (ull)got);
}

/* Is @needle inside one line of @text (lines end with '\n')? */
static bool in_a_line(const char *text, size_t len, const char *needle)
{
	size_t nlen = strlen(needle);
	const char *p = text, *end = text + len;

	if (!text)
		return false;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t llen = eol ? (size_t)(eol - p) : (size_t)(end - p);

		for (size_t i = 0; i + nlen <= llen; i++)
			if (!memcmp(p + i, needle, nlen))
				return true;
		p += llen + 1;
	}
	return false;
}

static void check_trace(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;

	for (unsigned i = 0; i < e->ntrace; i++) {
		const char *want = e->trace ? e->trace[i] : NULL;

		if (want && !in_a_line(sim->trace, sim->trace_len, want))
			fail(sim, where(st, e->pos), "trace", want,
			     "no trace line of the step has it");
	}
}

/* root_cache: the result of the step's last kvm_mmu_new_pgd(). */
static void check_root_cache(struct sim *sim, const struct scn_step *st)
{
	const struct sim_obs *o = &sim->obs;
	bool want_hit = st->expect.root_cache == SCN_RC_HIT;

	if (o->has_root_cache && o->root_cache_hit == want_hit)
		return;
	fail(sim, where(st, st->expect.pos), "root_cache", want_hit ? "hit" : "miss", "%s",
	     !o->has_root_cache	 ? "none (no kvm_mmu_new_pgd in the step)"
	     : o->root_cache_hit ? "hit"
				 : "miss");
}

/* role: cpu_role (64-bit, ext << 32 | base) and root_role (32-bit) of v->mmu. */
static void check_roles(struct sim *sim, const struct scn_step *st, const struct sim_vcpu *v)
{
	const struct scn_expect *e = &st->expect;
	const struct kvm_mmu *mmu = v->mmu.mmu;
	char what[48], w[32];

	for (unsigned i = 0; i < e->nroles; i++) {
		const struct scn_named_u64 *n = &e->roles[i];
		const char *name = n->name ? n->name : "?";
		u64 got;

		snprintf(what, sizeof(what), "role.%s", name);
		hex(w, sizeof(w), n->val);
		if (!v->has_mmu)
			fail(sim, where(st, n->pos), what, w, "no MMU");
		else if (!strcmp(name, "cpu_role") || !strcmp(name, "root_role")) {
			got = name[1] == 'p' ? mmu->cpu_role.as_u64 : mmu->root_role.word;
			if (got != n->val)
				fail(sim, where(st, n->pos), what, w, "0x%llx", (ull)got);
		} else {
			fail(sim, where(st, n->pos), what, w, "no such role");
		}
	}
}

static void check_stats(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	char what[80], w[32];
	u64 got;

	for (unsigned i = 0; i < e->nstats; i++) {
		const struct scn_named_u64 *n = &e->stats[i];

		snprintf(what, sizeof(what), "stats.%s", n->name ? n->name : "?");
		snprintf(w, sizeof(w), "%llu", (ull)n->val);
		if (!sim_mmu_stat(sim, st->vcpu, n->name, &got))
			fail(sim, where(st, n->pos), what, w, "no such stat");
		else if (got != n->val)
			fail(sim, where(st, n->pos), what, w, "%llu", (ull)got);
	}
}

static void check_shadow_pages(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	char what[80], w[32];

	for (unsigned i = 0; i < e->nshadow_pages; i++) {
		const struct scn_named_u64 *n = &e->shadow_pages[i];
		const char *key = n->name ? n->name : "";
		char *end = NULL;
		unsigned long long word = strtoull(key, &end, 16);
		u64 got;

		snprintf(what, sizeof(what), "shadow_pages.%s", key);
		snprintf(w, sizeof(w), "%llu", (ull)n->val);
		if (!*key || (end && *end) || word > 0xffffffffULL) {
			fail(sim, where(st, n->pos), what, w, "not a 32-bit role word");
			continue;
		}
		got = sim_mmu_count_sps(sim, (u32)word);
		if (got != n->val)
			fail(sim, where(st, n->pos), what, w, "%llu", (ull)got);
	}
}

/* ret and remaining: the pre_fault's result and the range it copied back. */
static void check_pre_fault(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	const struct sim_obs *o = &sim->obs;
	char w[64];

	if ((e->has & SCN_EX_RET) && !o->has_pre_fault)
		fail(sim, where(st, e->pos), "ret", scn_errno_str(e->ret), "none");
	else if ((e->has & SCN_EX_RET) && e->ret != o->pre_fault_ret)
		fail(sim, where(st, e->pos), "ret", scn_errno_str(e->ret), "%s",
		     scn_errno_str(o->pre_fault_ret));
	if (!(e->has & SCN_EX_RANGE))
		return;
	snprintf(w, sizeof(w), "gpa 0x%llx size 0x%llx", (ull)e->range_gpa, (ull)e->range_size);
	if (!o->has_pre_fault)
		fail(sim, where(st, e->pos), "remaining", w, "none");
	else if (e->range_gpa != o->pre_fault_gpa || e->range_size != o->pre_fault_size)
		fail(sim, where(st, e->pos), "remaining", w, "gpa 0x%llx size 0x%llx",
		     (ull)o->pre_fault_gpa, (ull)o->pre_fault_size);
}

void sim_check_expect(struct sim *sim, const struct scn_step *st)
{
	const struct scn_expect *e = &st->expect;
	const struct sim_vcpu *v = &sim->mc->vcpu[st->vcpu];
	const struct sim_obs *o = &sim->obs;
	char w[32];

	check_fault(sim, st);
	/* divergence: true = the step must diverge; absent or false = it must not. */
	if ((e->has & SCN_EX_DIVERGENCE) && e->divergence && !o->diverged)
		fail(sim, where(st, e->pos), "divergence", "true", "none");
	else if (o->diverged && !((e->has & SCN_EX_DIVERGENCE) && e->divergence))
		fail(sim, where(st, e->pos), "divergence", "none", "%.90s", sim->div_text);
	if (e->has & SCN_EX_ERROR_CODE)
		check_u64(sim, st, "error_code", e->error_code, o->has_error_code, o->error_code);
	if (e->has & SCN_EX_CR2)
		check_u64(sim, st, "cr2", e->cr2, true, v->cpu.r.cr2);
	if (e->has & SCN_EX_GPA)
		check_u64(sim, st, "gpa", e->gpa, o->has_gpa, o->gpa);
	if (e->has & SCN_EX_VALUE)
		check_u64(sim, st, "value", e->value, o->has_value, o->value);
	if (e->has & SCN_EX_QUAL)
		check_u64(sim, st, "qual", e->qual, o->has_qual, o->qual);
	if (e->has & SCN_EX_PAGE_SIZE)
		check_u64(sim, st, "page_size", e->page_size, o->has_page_size, o->page_size);
	if ((e->has & SCN_EX_TLB_HIT) && e->tlb_hit != o->tlb_hit)
		fail(sim, where(st, e->pos), "tlb_hit", e->tlb_hit ? "true" : "false", "%s",
		     o->tlb_hit ? "true" : "false");
	if ((e->has & SCN_EX_OUTCOMES) && e->outcomes != o->outcomes) {
		snprintf(w, sizeof(w), "%u", (unsigned)e->outcomes);
		fail(sim, where(st, e->pos), "outcomes", w, "%u", (unsigned)o->outcomes);
	}
	if (e->has & SCN_EX_REGS)
		check_regs(sim, st, &v->cpu.r);
	if (e->has & SCN_EX_TLB_COUNT) {
		size_t n = tlb_count(v->tlb);

		if (n != e->tlb_count) {
			snprintf(w, sizeof(w), "%llu", (ull)e->tlb_count);
			fail(sim, where(st, e->pos), "tlb_entries", w, "%zu", n);
		}
	}
	if (e->has & SCN_EX_MEM)
		check_mem(sim, st);
	if (e->has & SCN_EX_ENTRY)
		check_entry(sim, st);
	if (e->has & SCN_EX_TRACE)
		check_trace(sim, st);
	if (e->has & SCN_EX_ROOT_CACHE)
		check_root_cache(sim, st);
	if (e->has & SCN_EX_ROLE)
		check_roles(sim, st, v);
	if (e->has & SCN_EX_STATS)
		check_stats(sim, st);
	if (e->has & SCN_EX_SHADOW_PAGES)
		check_shadow_pages(sim, st);
	if (e->has & (SCN_EX_RET | SCN_EX_RANGE))
		check_pre_fault(sim, st);
}
