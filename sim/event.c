/* SPDX-License-Identifier: MIT */
/*
 * Events as text trace lines and as JSON objects (docs/trace-format.md). Pure
 * functions of the event: no pointers, clocks or locale in the output.
 */
#include "sim/event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/mem.h"
#include "cpu/regs.h"
#include "cpu/sbuf.h"
#include "sim/loader_names.h"

typedef unsigned long long ull;

/* "4k", "2m", "4m", "1g", or hex for anything else. */
static void sb_size(struct msc_sbuf *s, u64 size)
{
	switch (size) {
	case 0x1000ULL:
		msc_sb_add(s, "4k");
		break;
	case 0x200000ULL:
		msc_sb_add(s, "2m");
		break;
	case 0x400000ULL:
		msc_sb_add(s, "4m");
		break;
	case 0x40000000ULL:
		msc_sb_add(s, "1g");
		break;
	default:
		msc_sb_add(s, "0x%llx", (ull)size);
		break;
	}
}

/* Rights as three letters, KVM's ACC bits: u(ser) w(rite) x(exec), '-' when absent. */
static void acc_str(u8 acc, char out[4])
{
	out[0] = (acc & ACC_USER) ? 'u' : '-';
	out[1] = (acc & ACC_WRITE) ? 'w' : '-';
	out[2] = (acc & ACC_EXEC) ? 'x' : '-';
	out[3] = '\0';
}

static const char *ev_name(const struct sim_event *ev)
{
	switch (ev->kind) {
	case SIM_EV_STEP:
		return "mmuscope_step";
	case SIM_EV_REG_WRITE:
		switch (ev->u.reg.reg) {
		case SCN_REG_CR0:
		case SCN_REG_CR3:
		case SCN_REG_CR4:
			return "mmuscope_cr_write";
		case SCN_REG_EFER:
			return "mmuscope_msr_write";
		case SCN_REG_RFLAGS:
		case SCN_REG_CPL:
		case SCN_REG_PKRU:
		case SCN_REG_CS_L:
			break;
		}
		return "mmuscope_reg_write";
	case SIM_EV_PT_WRITE:
		return "mmuscope_pt_write";
	case SIM_EV_MEM_WRITE:
		return "mmuscope_mem_write";
	case SIM_EV_MEM_READ:
		return "mmuscope_mem_read";
	case SIM_EV_INSN:
		return "mmuscope_insn";
	case SIM_EV_WALK:
		return "mmuscope_walk";
	case SIM_EV_TLB_HIT:
		return "mmuscope_tlb_hit";
	case SIM_EV_TLB_FILL:
		return "mmuscope_tlb_fill";
	case SIM_EV_TLB_FLUSH:
		return "mmuscope_tlb_flush";
	case SIM_EV_ACCESS:
		return "mmuscope_access";
	case SIM_EV_MEMSLOT:
		return "mmuscope_memslot";
	case SIM_EV_EXPECT_FAIL:
		return "mmuscope_expect_fail";
	case SIM_EV_DIVERGENCE:
		return "mmuscope_divergence";
	case SIM_EV_MMU:
		return ev->u.mmu.ev ? mmu_event_name(ev->u.mmu.ev->kind) : "mmuscope_unknown";
	case SIM_EV_PRE_FAULT:
		return "mmuscope_pre_fault";
	case SIM_EV_VMEXIT:
		return "mmuscope_vmexit";
	case SIM_EV_SMM:
		/* KVM's own tracepoint (trace.h, system kvm) for HF_SMM changes. */
		return ev->u.smm.what == SIM_SMM_TRANSITION ? "kvm_smm_transition" : "mmuscope_smm";
	case SIM_EV_NESTED:
		return "mmuscope_nested";
	}
	return "mmuscope_unknown";
}

/* RET_PF_* by name (mmu_internal.h). */
static const char *ret_pf_name(int ret)
{
	static const char *const names[] = {"RET_PF_CONTINUE", "RET_PF_RETRY", "RET_PF_EMULATE",
					    "RET_PF_INVALID",  "RET_PF_FIXED", "RET_PF_SPURIOUS"};

	return ret >= 0 && (size_t)ret < MSC_ARRAY_SIZE(names) ? names[ret] : "RET_PF_?";
}

static void sb_prefix(struct msc_sbuf *s, const struct sim_event *ev, const char *name)
{
	msc_sb_add(s, "[s%u v%u] %s: ", (unsigned)ev->step, (unsigned)ev->vcpu, name);
}

static const char *vector_name(u8 vector)
{
	return vector == X86_VEC_UD ? "#UD" : vector == X86_VEC_GP ? "#GP" : "#?";
}

static void fmt_reg(struct msc_sbuf *s, const struct sim_event *ev)
{
	const char *reg = scn_reg_name(ev->u.reg.reg);

	if (ev->u.reg.reg == SCN_REG_CPL || ev->u.reg.reg == SCN_REG_CS_L) {
		msc_sb_add(s, "%s %llu -> %llu", reg, (ull)ev->u.reg.old,
			   (ull)(ev->u.reg.vector ? ev->u.reg.val : ev->u.reg.now));
	} else {
		msc_sb_add(s, "%s 0x%llx -> 0x%llx", reg, (ull)ev->u.reg.old,
			   (ull)(ev->u.reg.vector ? ev->u.reg.val : ev->u.reg.now));
	}
	if (ev->u.reg.vector) {
		msc_sb_add(s, " %s (%s)", vector_name(ev->u.reg.vector),
			   ev->u.reg.rule ? ev->u.reg.rule : "refused");
		return;
	}
	msc_sb_add(s, " ok");
	if (ev->u.reg.val != ev->u.reg.now)
		msc_sb_add(s, " (wrote 0x%llx)", (ull)ev->u.reg.val);
}

static void fmt_walk_fault(struct msc_sbuf *s, const struct walk_fault *f)
{
	switch (f->kind) {
	case WALK_FAULT_NONE:
		break;
	case WALK_FAULT_PF:
		msc_sb_add(s, "#PF ec 0x%llx cr2 0x%llx", (ull)f->error_code, (ull)f->cr2);
		break;
	case WALK_FAULT_GP:
		msc_sb_add(s, "#GP");
		break;
	case WALK_FAULT_EPT_VIOLATION:
		msc_sb_add(s, "EPT violation qual 0x%llx gpa 0x%llx", (ull)f->exit_qual,
			   (ull)f->gpa);
		break;
	case WALK_FAULT_EPT_MISCONFIG:
		msc_sb_add(s, "EPT misconfig gpa 0x%llx", (ull)f->gpa);
		break;
	case WALK_FAULT_NPF:
		msc_sb_add(s, "#NPF exitinfo1 0x%llx exitinfo2 0x%llx", (ull)f->error_code,
			   (ull)f->gpa);
		break;
	}
}

static void fmt_walk(struct msc_sbuf *s, const struct sim_event *ev)
{
	const struct walk_req *req = ev->u.walk.req;
	const struct walk_result *res = ev->u.walk.res;
	const struct walk_cfg *g = ev->u.walk.g;
	char dec[160];

	if (!req || !res || !g) {
		msc_sb_add(s, "(incomplete event)");
		return;
	}
	msc_sb_add(s, "%s %s va 0x%llx cpl%u%s -> ", walk_fmt_name(g->fmt), walk_acc_name(req->acc),
		   (ull)req->addr, (unsigned)req->cpl, req->implicit ? " implicit" : "");
	if (res->ok) {
		msc_sb_add(s, "gpa 0x%llx ", (ull)res->gpa);
		sb_size(s, res->page_size);
		msc_sb_add(s, " refs %u", (unsigned)res->refs);
	} else {
		fmt_walk_fault(s, &res->fault);
		msc_sb_add(s, " refs %u", (unsigned)res->refs);
		if (res->fault.rule)
			msc_sb_add(s, " (%s)", res->fault.rule);
	}
	for (u32 i = 0; i < res->nsteps && i < WALK_MAX_STEPS; i++) {
		const struct walk_step *st = &res->steps[i];
		const struct walk_cfg *c = st->stage && ev->u.walk.n ? ev->u.walk.n : g;

		walk_decode_entry(c, st->level, st->pte, dec, sizeof(dec));
		msc_sb_add(s, "\n");
		sb_prefix(s, ev, "mmuscope_walk_step");
		msc_sb_add(s, "%sL%u entry 0x%llx = 0x%llx %s%s%s", st->stage ? "n" : "",
			   (unsigned)st->level, (ull)st->pte_pa, (ull)st->pte, dec,
			   (st->flags & WALK_STEP_PDPTR) ? " [pdptr]" : "",
			   (st->flags & WALK_STEP_AD_SET) ? " [A/D set]" : "");
	}
}

static void fmt_tlb_entry(struct msc_sbuf *s, const struct tlb_entry *e)
{
	char acc[4];

	acc_str(e->acc, acc);
	msc_sb_add(s, "0x%llx -> 0x%llx ", (ull)e->va, (ull)e->pa);
	sb_size(s, e->size);
	msc_sb_add(s, " vpid %u pcid %u%s acc %s", (unsigned)e->vpid, (unsigned)e->pcid,
		   e->global ? " global" : "", acc);
	if (e->pkey)
		msc_sb_add(s, " pkey %u", (unsigned)e->pkey);
	if (e->dirty)
		msc_sb_add(s, " dirty");
}

/* Which fields a flush names, by its kind. */
static bool flush_has_va(const char *what)
{
	return !strcmp(what, "invlpg") || !strcmp(what, "pf") || !strcmp(what, "invpcid.addr");
}

static bool flush_has_pcid(const char *what)
{
	return flush_has_va(what) || !strcmp(what, "invpcid.single");
}

static void fmt_flush(struct msc_sbuf *s, const struct sim_event *ev)
{
	const char *what = ev->u.flush.what ? ev->u.flush.what : "?";

	msc_sb_add(s, "%s", what);
	if (flush_has_va(what))
		msc_sb_add(s, " va 0x%llx", (ull)ev->u.flush.va);
	if (flush_has_pcid(what))
		msc_sb_add(s, " pcid %u", (unsigned)ev->u.flush.pcid);
	if (ev->u.flush.vector)
		msc_sb_add(s, " -> %s (%s)", vector_name(ev->u.flush.vector),
			   ev->u.flush.rule ? ev->u.flush.rule : "refused");
	else
		msc_sb_add(s, " dropped %zu", ev->u.flush.dropped);
}

static void fmt_access(struct msc_sbuf *s, const struct sim_event *ev)
{
	const struct sim_ev_access *a = &ev->u.access;

	msc_sb_add(s, "%s va 0x%llx size %u cpl%u%s -> ", scn_access_name(a->kind), (ull)a->va,
		   (unsigned)a->size, (unsigned)a->cpl, a->implicit ? " implicit" : "");
	switch (a->fault) {
	case SCN_FAULT_NONE:
		msc_sb_add(s, "gpa 0x%llx ", (ull)a->gpa);
		sb_size(s, a->page_size);
		if (a->kind != SCN_ACC_FETCH)
			msc_sb_add(s, " value 0x%llx", (ull)a->value);
		break;
	case SCN_FAULT_PF:
		msc_sb_add(s, "#PF ec 0x%llx cr2 0x%llx", (ull)a->error_code, (ull)a->cr2);
		break;
	case SCN_FAULT_GP:
		msc_sb_add(s, "#GP");
		break;
	case SCN_FAULT_UD:
		msc_sb_add(s, "#UD");
		break;
	case SCN_FAULT_EPT_VIOLATION:
		msc_sb_add(s, "EPT violation qual 0x%llx gpa 0x%llx", (ull)a->qual, (ull)a->gpa);
		break;
	case SCN_FAULT_EPT_MISCONFIG:
		msc_sb_add(s, "EPT misconfig gpa 0x%llx", (ull)a->gpa);
		break;
	case SCN_FAULT_NPF:
		msc_sb_add(s, "#NPF exitinfo1 0x%llx exitinfo2 0x%llx", (ull)a->error_code,
			   (ull)a->gpa);
		break;
	}
	msc_sb_add(s, " via %s outcomes %u", a->from_tlb ? "tlb" : "walk", (unsigned)a->outcomes);
	if (a->rule)
		msc_sb_add(s, " (%s)", a->rule);
}

static void sb_slot_flags(struct msc_sbuf *s, u32 flags)
{
	if (!flags) {
		msc_sb_add(s, "none");
		return;
	}
	msc_sb_add(s, "%s%s%s", (flags & GMEM_SLOT_READONLY) ? "readonly" : "",
		   (flags & GMEM_SLOT_READONLY) && (flags & GMEM_SLOT_DIRTY_LOG) ? "|" : "",
		   (flags & GMEM_SLOT_DIRTY_LOG) ? "dirty_log" : "");
	if (flags & ~(GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG))
		msc_sb_add(s, "|0x%x",
			   (unsigned)(flags & ~(GMEM_SLOT_READONLY | GMEM_SLOT_DIRTY_LOG)));
}

static void fmt_memslot(struct msc_sbuf *s, const struct sim_event *ev)
{
	const char *what = ev->u.memslot.what ? ev->u.memslot.what : "?";
	const struct scn_memslot *m = ev->u.memslot.slot;

	msc_sb_add(s, "%s", what);
	if (!m)
		return;
	msc_sb_add(s, " as %u id %u", (unsigned)m->as, (unsigned)m->id);
	if (!strcmp(what, "delete"))
		return;
	if (!strcmp(what, "add"))
		msc_sb_add(s, " gpa 0x%llx size 0x%llx", (ull)m->gpa, (ull)m->size);
	msc_sb_add(s, " flags ");
	sb_slot_flags(s, m->flags);
	if (!strcmp(what, "add") && m->alias)
		msc_sb_add(s, " alias as %u id %u offset 0x%llx", (unsigned)m->alias_as,
			   (unsigned)m->alias_id, (ull)m->alias_offset);
}

static void sb_bytes(struct msc_sbuf *s, const u8 *b, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		msc_sb_add(s, "%s%02x", i ? " " : "", (unsigned)b[i]);
}

/* The MMU event's own line (mmu_event_format(): KVM's TP_printk or mmuscope_'s). */
static void sb_mmu(struct msc_sbuf *s, const struct mmu_event *mev)
{
	char tmp[512];

	if (!mev) {
		msc_sb_add(s, "mmuscope_unknown: ");
		return;
	}
	mmu_event_format(mev, tmp, sizeof(tmp));
	msc_sb_add(s, "%s", tmp);
}

/* "vmentry vmx eptp 0x1001e vpid 1: nested EPT, mmu guest_mmu walk_mmu nested_mmu" /
 * "vmexit to L1 cr3 0x1000: mmu root_mmu walk_mmu root_mmu". */
static void fmt_nested(struct msc_sbuf *s, const struct sim_event *ev)
{
	const bool svm = ev->u.nested.svm, tdp = ev->u.nested.tdp;

	if (!ev->u.nested.entry) {
		msc_sb_add(s, "vmexit to L1 cr3 0x%llx vpid %u: mmu root_mmu walk_mmu root_mmu",
			   (ull)ev->u.nested.pgd, (unsigned)ev->u.nested.vpid);
		return;
	}
	msc_sb_add(s, "vmentry %s %s 0x%llx %s %u: ", svm ? "svm" : "vmx", svm ? "ncr3" : "eptp",
		   (ull)ev->u.nested.pgd, svm ? "asid" : "vpid", (unsigned)ev->u.nested.vpid);
	if (tdp)
		msc_sb_add(s, "nested %s, mmu guest_mmu walk_mmu nested_mmu", svm ? "NPT" : "EPT");
	else
		msc_sb_add(s, "no nested TDP, mmu root_mmu walk_mmu root_mmu");
}

static const char *const smm_what[] = {"transition", "save", "load", "ud"};

static void fmt_smm(struct msc_sbuf *s, const struct sim_event *ev)
{
	switch (ev->u.smm.what) {
	case SIM_SMM_TRANSITION:
		/* TP_printk("vcpu %u: %s SMM, smbase 0x%llx") */
		msc_sb_add(s, "vcpu %u: %s SMM, smbase 0x%llx", (unsigned)ev->vcpu,
			   ev->u.smm.entering ? "entering" : "leaving", (ull)ev->u.smm.smbase);
		return;
	case SIM_SMM_SAVE:
		msc_sb_add(s, "smi save %u-bit state at 0x%llx (as 1)", (unsigned)ev->u.smm.bits,
			   (ull)ev->u.smm.gpa);
		return;
	case SIM_SMM_LOAD:
		msc_sb_add(s, "rsm load %u-bit state from 0x%llx (as 1)", (unsigned)ev->u.smm.bits,
			   (ull)ev->u.smm.gpa);
		return;
	case SIM_SMM_UD:
		msc_sb_add(s, "rsm #UD (%s)", ev->u.smm.rule ? ev->u.smm.rule : "refused");
		return;
	}
}

int sim_event_format(const struct sim_event *ev, char *buf, size_t n)
{
	struct msc_sbuf s;

	msc_sb_init(&s, buf, n);
	if (!ev)
		return 0;
	if (ev->kind == SIM_EV_MMU) {
		/* "[sN vM] " then the line exactly as the MMU model formats it. */
		msc_sb_add(&s, "[s%u v%u] ", (unsigned)ev->step, (unsigned)ev->vcpu);
		sb_mmu(&s, ev->u.mmu.ev);
		return msc_sb_len(&s);
	}
	sb_prefix(&s, ev, ev_name(ev));
	switch (ev->kind) {
	case SIM_EV_STEP:
		msc_sb_add(&s, "%s", scn_op_name(ev->u.step.op));
		break;
	case SIM_EV_REG_WRITE:
		fmt_reg(&s, ev);
		break;
	case SIM_EV_PT_WRITE:
		msc_sb_add(&s, "%s as %u gpa 0x%llx size %u: 0x%llx -> 0x%llx%s",
			   ev->u.pt.guest ? "guest" : "setup", (unsigned)ev->u.pt.as,
			   (ull)ev->u.pt.gpa, (unsigned)ev->u.pt.size, (ull)ev->u.pt.old,
			   (ull)ev->u.pt.val,
			   ev->u.pt.dropped ? " dropped (read-only memslot)" : "");
		if (ev->u.pt.trapped)
			msc_sb_add(&s, " trapped (write-protected gfn): emulated");
		break;
	case SIM_EV_MEM_WRITE:
		msc_sb_add(&s, "%s as %u gpa 0x%llx size %u value 0x%llx%s",
			   ev->u.mem.host ? "host" : "guest", (unsigned)ev->u.mem.as,
			   (ull)ev->u.mem.gpa, (unsigned)ev->u.mem.size, (ull)ev->u.mem.val,
			   ev->u.mem.unbacked  ? " dropped (no memslot)"
			   : ev->u.mem.dropped ? " dropped (read-only memslot)"
					       : "");
		if (ev->u.mem.trapped)
			msc_sb_add(&s, " trapped (write-protected gfn): emulated");
		break;
	case SIM_EV_MEM_READ:
		msc_sb_add(&s, "as %u gpa 0x%llx size %u -> 0x%llx", (unsigned)ev->u.mem.as,
			   (ull)ev->u.mem.gpa, (unsigned)ev->u.mem.size, (ull)ev->u.mem.val);
		break;
	case SIM_EV_INSN:
		sb_bytes(&s, ev->u.insn.bytes, ev->u.insn.bytes ? ev->u.insn.len : 0);
		msc_sb_add(&s, " %s", ev->u.insn.text ? ev->u.insn.text : "(bad)");
		if (ev->u.insn.write_size)
			msc_sb_add(&s, " (writes %u)", (unsigned)ev->u.insn.write_size);
		break;
	case SIM_EV_WALK:
		fmt_walk(&s, ev);
		break;
	case SIM_EV_TLB_HIT:
		msc_sb_add(&s, "va 0x%llx via ", (ull)ev->u.tlb.va);
		if (ev->u.tlb.e)
			fmt_tlb_entry(&s, ev->u.tlb.e);
		break;
	case SIM_EV_TLB_FILL:
		if (ev->u.tlb.e)
			fmt_tlb_entry(&s, ev->u.tlb.e);
		break;
	case SIM_EV_TLB_FLUSH:
		fmt_flush(&s, ev);
		break;
	case SIM_EV_ACCESS:
		fmt_access(&s, ev);
		break;
	case SIM_EV_MEMSLOT:
		fmt_memslot(&s, ev);
		break;
	case SIM_EV_EXPECT_FAIL:
		msc_sb_add(&s, "%s expected %s observed %s at %u:%u",
			   ev->u.fail.what ? ev->u.fail.what : "?", ev->u.fail.expected,
			   ev->u.fail.observed, (unsigned)ev->u.fail.pos.line,
			   (unsigned)ev->u.fail.pos.col);
		break;
	case SIM_EV_DIVERGENCE:
		msc_sb_add(&s, "%s", ev->u.divergence.text ? ev->u.divergence.text : "");
		break;
	case SIM_EV_SMM:
		fmt_smm(&s, ev);
		break;
	case SIM_EV_NESTED:
		fmt_nested(&s, ev);
		break;
	case SIM_EV_PRE_FAULT:
		msc_sb_add(&s, "gpa 0x%llx size 0x%llx", (ull)ev->u.pre_fault.gpa,
			   (ull)ev->u.pre_fault.size);
		if (ev->u.pre_fault.flags)
			msc_sb_add(&s, " flags 0x%llx", (ull)ev->u.pre_fault.flags);
		msc_sb_add(&s, " -> ret %s remaining gpa 0x%llx size 0x%llx",
			   scn_errno_str(ev->u.pre_fault.ret), (ull)ev->u.pre_fault.rem_gpa,
			   (ull)ev->u.pre_fault.rem_size);
		break;
	case SIM_EV_VMEXIT:
		if (ev->u.vmexit.exit_kind == WALK_FAULT_EPT_VIOLATION ||
		    ev->u.vmexit.exit_kind == WALK_FAULT_EPT_MISCONFIG ||
		    ev->u.vmexit.exit_kind == WALK_FAULT_NPF)
			msc_sb_add(&s, "%s gpa 0x%llx ec 0x%llx -> %s",
				   walk_fault_name((enum walk_fault_kind)ev->u.vmexit.exit_kind),
				   (ull)ev->u.vmexit.gva, (ull)ev->u.vmexit.error_code,
				   ret_pf_name(ev->u.vmexit.ret));
		else
			msc_sb_add(&s, "#PF gva 0x%llx ec 0x%llx -> %s", (ull)ev->u.vmexit.gva,
				   (ull)ev->u.vmexit.error_code, ret_pf_name(ev->u.vmexit.ret));
		if (ev->u.vmexit.inject)
			msc_sb_add(&s, " inject #PF ec 0x%llx cr2 0x%llx",
				   (ull)ev->u.vmexit.inject_error_code,
				   (ull)ev->u.vmexit.inject_cr2);
		else if (ev->u.vmexit.wp && ev->u.vmexit.unprotect)
			msc_sb_add(&s, " write-protected gfn 0x%llx: unprotect and retry",
				   (ull)ev->u.vmexit.wp_gfn);
		else if (ev->u.vmexit.wp)
			msc_sb_add(&s, " write-protected gfn 0x%llx: emulate %u-byte %swrite",
				   (ull)ev->u.vmexit.wp_gfn, (unsigned)ev->u.vmexit.wp_size,
				   ev->u.vmexit.pt_writing ? "page-table " : "");
		else if (ev->u.vmexit.emulate)
			msc_sb_add(&s, " emulate");
		else if (ev->u.vmexit.reflect && ev->u.vmexit.reflect_kind == WALK_FAULT_NPF)
			msc_sb_add(&s, " reflect npf exitinfo1 0x%llx exitinfo2 0x%llx to L1",
				   (ull)ev->u.vmexit.reflect_error_code,
				   (ull)ev->u.vmexit.reflect_gpa);
		else if (ev->u.vmexit.reflect)
			msc_sb_add(&s, " reflect %s qual 0x%llx gpa 0x%llx to L1",
				   walk_fault_name((enum walk_fault_kind)ev->u.vmexit.reflect_kind),
				   (ull)ev->u.vmexit.reflect_qual, (ull)ev->u.vmexit.reflect_gpa);
		break;
	case SIM_EV_MMU:
		break; /* formatted above */
	}
	return msc_sb_len(&s);
}

/* ---- JSON ---- */

/* A JSON string (RFC 8259 section 7): quote, backslash and controls escaped. */
static void js_str(struct msc_sbuf *s, const char *str)
{
	if (!str) {
		msc_sb_add(s, "null");
		return;
	}
	msc_sb_add(s, "\"");
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		switch (*p) {
		case '"':
			msc_sb_add(s, "\\\"");
			break;
		case '\\':
			msc_sb_add(s, "\\\\");
			break;
		case '\n':
			msc_sb_add(s, "\\n");
			break;
		case '\r':
			msc_sb_add(s, "\\r");
			break;
		case '\t':
			msc_sb_add(s, "\\t");
			break;
		case '\b':
			msc_sb_add(s, "\\b");
			break;
		case '\f':
			msc_sb_add(s, "\\f");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				msc_sb_add(s, "\\u%04x", (unsigned)*p);
			else
				msc_sb_add(s, "%c", (char)*p);
			break;
		}
	}
	msc_sb_add(s, "\"");
}

static void js_key(struct msc_sbuf *s, const char *key)
{
	msc_sb_add(s, ",\"%s\":", key);
}

static void js_kstr(struct msc_sbuf *s, const char *key, const char *val)
{
	js_key(s, key);
	js_str(s, val);
}

static void js_hex(struct msc_sbuf *s, const char *key, u64 v)
{
	msc_sb_add(s, ",\"%s\":\"0x%llx\"", key, (ull)v);
}

static void js_uint(struct msc_sbuf *s, const char *key, u64 v)
{
	msc_sb_add(s, ",\"%s\":%llu", key, (ull)v);
}

static void js_bool(struct msc_sbuf *s, const char *key, bool v)
{
	msc_sb_add(s, ",\"%s\":%s", key, v ? "true" : "false");
}

static void js_walk(struct msc_sbuf *s, const struct sim_event *ev)
{
	const struct walk_req *req = ev->u.walk.req;
	const struct walk_result *res = ev->u.walk.res;
	const struct walk_cfg *g = ev->u.walk.g;
	char dec[160];

	if (!req || !res || !g)
		return;
	js_kstr(s, "format", walk_fmt_name(g->fmt));
	js_kstr(s, "acc", walk_acc_name(req->acc));
	js_hex(s, "va", req->addr);
	js_uint(s, "cpl", req->cpl);
	js_bool(s, "implicit", req->implicit);
	js_bool(s, "ok", res->ok);
	if (res->ok) {
		js_hex(s, "gpa", res->gpa);
		js_hex(s, "page_size", res->page_size);
		js_uint(s, "level", res->level);
		js_hex(s, "leaf", res->leaf);
	}
	js_uint(s, "refs", res->refs);
	js_kstr(s, "fault", walk_fault_name(res->fault.kind));
	if (!res->ok) {
		js_uint(s, "vector", res->fault.vector);
		js_uint(s, "fault_level", res->fault.level);
		js_hex(s, "error_code", res->fault.error_code);
		js_hex(s, "cr2", res->fault.cr2);
		js_hex(s, "qual", res->fault.exit_qual);
		js_hex(s, "fault_gpa", res->fault.gpa);
		js_kstr(s, "rule", res->fault.rule);
	}
	js_key(s, "steps");
	msc_sb_add(s, "[");
	for (u32 i = 0; i < res->nsteps && i < WALK_MAX_STEPS; i++) {
		const struct walk_step *st = &res->steps[i];
		const struct walk_cfg *c = st->stage && ev->u.walk.n ? ev->u.walk.n : g;

		walk_decode_entry(c, st->level, st->pte, dec, sizeof(dec));
		msc_sb_add(s, "%s{\"stage\":%u,\"level\":%u", i ? "," : "", (unsigned)st->stage,
			   (unsigned)st->level);
		js_hex(s, "table", st->table);
		js_hex(s, "entry_addr", st->pte_addr);
		js_hex(s, "entry_pa", st->pte_pa);
		js_hex(s, "entry", st->pte);
		js_kstr(s, "decoded", dec);
		js_bool(s, "pdptr", st->flags & WALK_STEP_PDPTR);
		js_bool(s, "ad_set", st->flags & WALK_STEP_AD_SET);
		msc_sb_add(s, "}");
	}
	msc_sb_add(s, "]");
}

static void js_tlb_entry(struct msc_sbuf *s, const char *key, const struct tlb_entry *e)
{
	char acc[4];

	if (!e)
		return;
	acc_str(e->acc, acc);
	js_key(s, key);
	msc_sb_add(s, "{\"vpid\":%u,\"pcid\":%u", (unsigned)e->vpid, (unsigned)e->pcid);
	js_bool(s, "global", e->global);
	js_hex(s, "va", e->va);
	js_hex(s, "pa", e->pa);
	js_hex(s, "size", e->size);
	js_kstr(s, "acc", acc);
	js_uint(s, "pkey", e->pkey);
	js_bool(s, "dirty", e->dirty);
	msc_sb_add(s, "}");
}

static void js_access(struct msc_sbuf *s, const struct sim_event *ev)
{
	const struct sim_ev_access *a = &ev->u.access;

	js_kstr(s, "kind", scn_access_name(a->kind));
	js_hex(s, "va", a->va);
	js_uint(s, "size", a->size);
	js_uint(s, "cpl", a->cpl);
	js_bool(s, "implicit", a->implicit);
	js_kstr(s, "fault", scn_fault_name(a->fault));
	js_hex(s, "error_code", a->error_code);
	js_hex(s, "cr2", a->cr2);
	js_hex(s, "gpa", a->gpa);
	js_hex(s, "qual", a->qual);
	js_hex(s, "value", a->value);
	js_hex(s, "page_size", a->page_size);
	js_kstr(s, "via", a->from_tlb ? "tlb" : "walk");
	js_uint(s, "outcomes", a->outcomes);
	js_kstr(s, "rule", a->rule);
}

static void js_memslot(struct msc_sbuf *s, const struct sim_event *ev)
{
	const struct scn_memslot *m = ev->u.memslot.slot;

	js_kstr(s, "what", ev->u.memslot.what);
	if (!m)
		return;
	js_uint(s, "as", m->as);
	js_uint(s, "id", m->id);
	if (ev->u.memslot.what && !strcmp(ev->u.memslot.what, "delete"))
		return;
	if (ev->u.memslot.what && !strcmp(ev->u.memslot.what, "add")) {
		js_hex(s, "gpa", m->gpa);
		js_hex(s, "size", m->size);
	}
	js_key(s, "flags");
	msc_sb_add(s, "[");
	if (m->flags & GMEM_SLOT_READONLY)
		msc_sb_add(s, "\"readonly\"");
	if (m->flags & GMEM_SLOT_DIRTY_LOG)
		msc_sb_add(s, "%s\"dirty_log\"", (m->flags & GMEM_SLOT_READONLY) ? "," : "");
	msc_sb_add(s, "]");
	if (m->alias && ev->u.memslot.what && !strcmp(ev->u.memslot.what, "add")) {
		js_key(s, "alias");
		msc_sb_add(s, "{\"as\":%u,\"id\":%u", (unsigned)m->alias_as, (unsigned)m->alias_id);
		js_hex(s, "offset", m->alias_offset);
		msc_sb_add(s, "}");
	}
}

int sim_event_json(const struct sim_event *ev, char *buf, size_t n)
{
	struct msc_sbuf s;
	char tmp[3 * SCN_MAX_INSN + 1];
	struct msc_sbuf bs;

	msc_sb_init(&s, buf, n);
	if (!ev)
		return 0;
	msc_sb_add(&s, "{\"event\":");
	js_str(&s, ev_name(ev));
	js_uint(&s, "step", ev->step);
	js_uint(&s, "vcpu", ev->vcpu);
	switch (ev->kind) {
	case SIM_EV_STEP:
		js_kstr(&s, "op", scn_op_name(ev->u.step.op));
		if (ev->u.step.st) {
			js_uint(&s, "line", ev->u.step.st->pos.line);
			js_uint(&s, "col", ev->u.step.st->pos.col);
			if (ev->u.step.st->note)
				js_kstr(&s, "note", ev->u.step.st->note);
		}
		break;
	case SIM_EV_REG_WRITE:
		js_kstr(&s, "reg", scn_reg_name(ev->u.reg.reg));
		js_hex(&s, "old", ev->u.reg.old);
		js_hex(&s, "val", ev->u.reg.val);
		js_hex(&s, "now", ev->u.reg.now);
		js_uint(&s, "vector", ev->u.reg.vector);
		js_kstr(&s, "rule", ev->u.reg.rule);
		break;
	case SIM_EV_PT_WRITE:
		js_kstr(&s, "mode", ev->u.pt.guest ? "guest" : "setup");
		js_uint(&s, "as", ev->u.pt.as);
		js_hex(&s, "gpa", ev->u.pt.gpa);
		js_uint(&s, "size", ev->u.pt.size);
		js_hex(&s, "old", ev->u.pt.old);
		js_hex(&s, "val", ev->u.pt.val);
		js_bool(&s, "dropped", ev->u.pt.dropped);
		js_bool(&s, "trapped", ev->u.pt.trapped);
		break;
	case SIM_EV_MEM_WRITE:
		js_kstr(&s, "mode", ev->u.mem.host ? "host" : "guest");
		js_uint(&s, "as", ev->u.mem.as);
		js_hex(&s, "gpa", ev->u.mem.gpa);
		js_uint(&s, "size", ev->u.mem.size);
		js_hex(&s, "value", ev->u.mem.val);
		js_bool(&s, "dropped", ev->u.mem.dropped);
		js_bool(&s, "unbacked", ev->u.mem.unbacked);
		js_bool(&s, "trapped", ev->u.mem.trapped);
		break;
	case SIM_EV_MEM_READ:
		js_uint(&s, "as", ev->u.mem.as);
		js_hex(&s, "gpa", ev->u.mem.gpa);
		js_uint(&s, "size", ev->u.mem.size);
		js_hex(&s, "value", ev->u.mem.val);
		break;
	case SIM_EV_INSN:
		msc_sb_init(&bs, tmp, sizeof(tmp));
		if (ev->u.insn.bytes)
			sb_bytes(&bs, ev->u.insn.bytes,
				 ev->u.insn.len > SCN_MAX_INSN ? SCN_MAX_INSN : ev->u.insn.len);
		js_kstr(&s, "bytes", tmp);
		js_kstr(&s, "text", ev->u.insn.text ? ev->u.insn.text : "(bad)");
		js_uint(&s, "write_size", ev->u.insn.write_size);
		js_uint(&s, "bits", ev->u.insn.bits);
		break;
	case SIM_EV_WALK:
		js_walk(&s, ev);
		break;
	case SIM_EV_TLB_HIT:
	case SIM_EV_TLB_FILL:
		js_hex(&s, "va", ev->u.tlb.va);
		js_tlb_entry(&s, "entry", ev->u.tlb.e);
		break;
	case SIM_EV_TLB_FLUSH:
		js_kstr(&s, "what", ev->u.flush.what);
		js_hex(&s, "va", ev->u.flush.va);
		js_uint(&s, "pcid", ev->u.flush.pcid);
		js_uint(&s, "dropped", ev->u.flush.dropped);
		js_uint(&s, "vector", ev->u.flush.vector);
		js_kstr(&s, "rule", ev->u.flush.rule);
		break;
	case SIM_EV_ACCESS:
		js_access(&s, ev);
		break;
	case SIM_EV_MEMSLOT:
		js_memslot(&s, ev);
		break;
	case SIM_EV_EXPECT_FAIL:
		js_kstr(&s, "what", ev->u.fail.what);
		js_kstr(&s, "expected", ev->u.fail.expected);
		js_kstr(&s, "observed", ev->u.fail.observed);
		js_uint(&s, "line", ev->u.fail.pos.line);
		js_uint(&s, "col", ev->u.fail.pos.col);
		break;
	case SIM_EV_DIVERGENCE:
		js_kstr(&s, "text", ev->u.divergence.text);
		break;
	case SIM_EV_NESTED:
		js_kstr(&s, "what", ev->u.nested.entry ? "vmentry" : "vmexit");
		js_kstr(&s, "vendor", ev->u.nested.svm ? "svm" : "vmx");
		js_bool(&s, "nested_tdp", ev->u.nested.tdp);
		js_hex(&s, ev->u.nested.entry ? "pgd" : "cr3", ev->u.nested.pgd);
		js_uint(&s, "vpid", ev->u.nested.vpid);
		break;
	case SIM_EV_SMM:
		if (ev->u.smm.what == SIM_SMM_TRANSITION) {
			js_bool(&s, "entering", ev->u.smm.entering);
			js_hex(&s, "smbase", ev->u.smm.smbase);
			break;
		}
		js_kstr(&s, "what", smm_what[ev->u.smm.what]);
		if (ev->u.smm.what == SIM_SMM_UD) {
			js_kstr(&s, "rule", ev->u.smm.rule);
			break;
		}
		js_hex(&s, "gpa", ev->u.smm.gpa);
		js_uint(&s, "bits", ev->u.smm.bits);
		break;
	case SIM_EV_PRE_FAULT:
		js_hex(&s, "gpa", ev->u.pre_fault.gpa);
		js_hex(&s, "size", ev->u.pre_fault.size);
		js_hex(&s, "flags", ev->u.pre_fault.flags);
		if (ev->u.pre_fault.ret)
			js_kstr(&s, "ret", scn_errno_str(ev->u.pre_fault.ret));
		else
			js_uint(&s, "ret", 0);
		js_hex(&s, "remaining_gpa", ev->u.pre_fault.rem_gpa);
		js_hex(&s, "remaining_size", ev->u.pre_fault.rem_size);
		js_uint(&s, "calls", ev->u.pre_fault.calls);
		break;
	case SIM_EV_VMEXIT:
		/* A TDP exit names its kind; a #PF exit (shadow paging) has none. */
		if (ev->u.vmexit.exit_kind > WALK_FAULT_GP)
			js_kstr(&s, "exit",
				walk_fault_name((enum walk_fault_kind)ev->u.vmexit.exit_kind));
		js_hex(&s, "gva", ev->u.vmexit.gva);
		js_hex(&s, "error_code", ev->u.vmexit.error_code);
		js_kstr(&s, "ret", ret_pf_name(ev->u.vmexit.ret));
		js_bool(&s, "inject", ev->u.vmexit.inject);
		if (ev->u.vmexit.reflect) {
			js_kstr(&s, "reflect",
				walk_fault_name((enum walk_fault_kind)ev->u.vmexit.reflect_kind));
			js_hex(&s, "reflect_qual", ev->u.vmexit.reflect_qual);
			js_hex(&s, "reflect_error_code", ev->u.vmexit.reflect_error_code);
			js_hex(&s, "reflect_gpa", ev->u.vmexit.reflect_gpa);
		}
		if (ev->u.vmexit.inject) {
			js_hex(&s, "inject_error_code", ev->u.vmexit.inject_error_code);
			js_hex(&s, "inject_cr2", ev->u.vmexit.inject_cr2);
		}
		js_bool(&s, "emulate", ev->u.vmexit.emulate);
		js_bool(&s, "write_protected", ev->u.vmexit.wp);
		if (ev->u.vmexit.wp) {
			js_hex(&s, "wp_gfn", ev->u.vmexit.wp_gfn);
			js_bool(&s, "unprotect", ev->u.vmexit.unprotect);
			js_uint(&s, "wp_size", ev->u.vmexit.wp_size);
			js_bool(&s, "pt_writing", ev->u.vmexit.pt_writing);
		}
		break;
	case SIM_EV_MMU: {
		/* The line without its "name: " (the name is "event"). */
		char line[512];
		const char *name = ev_name(ev);
		const char *text = line;
		size_t nl = strlen(name);

		line[0] = '\0';
		if (ev->u.mmu.ev)
			mmu_event_format(ev->u.mmu.ev, line, sizeof(line));
		if (!strncmp(line, name, nl) && line[nl] == ':')
			text = line[nl + 1] == ' ' ? line + nl + 2 : line + nl + 1;
		js_kstr(&s, "text", text);
		break;
	}
	}
	msc_sb_add(&s, "}");
	return msc_sb_len(&s);
}
