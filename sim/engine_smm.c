/* SPDX-License-Identifier: MIT */
/*
 * The smi and rsm ops: system-management mode as KVM emulates it for its guests
 * (arch/x86/kvm/smm.c: enter_smm(), emulator_leave_smm(), kvm_smm_changed()).
 * Where KVM differs from the SDM (SDM Vol. 3 ch. 34; APM Vol. 2 ch. 10) the
 * model follows KVM: its own state-save-area layout (the 64-bit one on guests
 * with CPUID LM, else the 32-bit one), CR4 := 0 and EFER := 0 on entry, RSM
 * through real mode with architectural CR/EFER writes, and a failed RSM as a
 * triple fault.
 *
 * The register state the model has (CR0, CR3, CR4, EFER, RFLAGS, CPL, CS.L) is
 * saved and restored; GPRs, RIP, segment descriptors, GDTR/IDTR/LDTR/TR, DR6/DR7
 * and the interrupt shadow are not modelled: their save-area fields hold 0 (DR6,
 * DR7: their reset values) and RSM ignores them. docs/cpu-model.md "SMM".
 */
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/engine_priv.h"

typedef unsigned long long ull;

/* kvm_vcpu_reset(): vcpu->arch.smbase = 0x30000 (SDM Vol. 3 34.11, the default). */
#define SMM_DEFAULT_SMBASE 0x30000ULL
/* The state save area: SMBASE + 0xfe00, 512 bytes (union kvm_smram). */
#define SMRAM_SAVE 0xfe00ULL
#define SMRAM_SIZE 512u

/* struct kvm_smram_state_64 (arch/x86/kvm/smm.h; CHECK_SMRAM64_OFFSET minus 0xfe00). */
#define SM64_CS 0x10 /* kvm_smm_seg_state_64: selector u16, attributes u16, limit, base */
#define SM64_EFER 0xd0
#define SM64_REVISION 0xfc
#define SM64_SMBASE 0x100
#define SM64_CR4 0x148
#define SM64_CR3 0x150
#define SM64_CR0 0x158
#define SM64_DR7 0x160
#define SM64_DR6 0x168
#define SM64_RFLAGS 0x170

/* struct kvm_smram_state_32 (CHECK_SMRAM32_OFFSET minus 0xfe00). */
#define SM32_SMBASE 0xf8
#define SM32_REVISION 0xfc
#define SM32_CR4 0x114
#define SM32_CS 0x190 /* kvm_smm_seg_state_32: flags, limit, base */
#define SM32_DR7 0x1c8
#define SM32_DR6 0x1cc
#define SM32_EFLAGS 0x1f4
#define SM32_CR3 0x1f8
#define SM32_CR0 0x1fc

/* The revision identifiers KVM writes (bit 17: SMBASE relocation supported). */
#define SMM_REVISION_64 0x00020064u
#define SMM_REVISION_32 0x00020000u

/* Segment flags as enter_smm_get_segment_flags() packs them (the 64-bit layout
 * stores them >> 8). */
#define SEG_TYPE_CODE 0xbu /* execute/read, accessed */
#define SEG_S (1u << 12)
#define SEG_DPL_SHIFT 13
#define SEG_P (1u << 15)
#define SEG_L (1u << 21)
#define SEG_DB (1u << 22)
#define SEG_G (1u << 23)

/* DR6/DR7 are not modelled: their reset values (DR6_ACTIVE_LOW, DR7_FIXED_1). */
#define DR6_RESET 0xffff0ff0ULL
#define DR7_RESET 0x400ULL

static u64 smbase_of(const struct sim_vcpu *v)
{
	return v->smbase_set ? v->smbase : SMM_DEFAULT_SMBASE;
}

/* guest_cpuid_has(vcpu, X86_FEATURE_LM): KVM's choice of layout and of the
 * long-mode steps. */
static bool lm_guest(const struct sim_vcpu *v)
{
	return v->cpu.feat->lm;
}

static void step_path(const struct sim *sim, char *path, size_t n)
{
	snprintf(path, n, "/steps/%u", (unsigned)sim->cur);
}

static void emit_smm(struct sim *sim, enum sim_smm_what what, bool entering, u64 smbase, bool lm,
		     const char *rule)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_SMM;
	ev.u.smm.what = what;
	ev.u.smm.entering = entering;
	ev.u.smm.smbase = smbase;
	ev.u.smm.gpa = smbase + SMRAM_SAVE;
	ev.u.smm.bits = lm ? 64 : 32;
	ev.u.smm.rule = rule;
	sim_emit(sim, &ev);
}

static void emit_reg(struct sim *sim, enum scn_reg reg, u64 old, u64 val, u64 now,
		     const struct cpu_wr *w)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_REG_WRITE;
	ev.u.reg.reg = reg;
	ev.u.reg.old = old;
	ev.u.reg.val = val;
	ev.u.reg.now = now;
	ev.u.reg.vector = w ? w->vector : 0;
	ev.u.reg.rule = w ? w->rule : NULL;
	sim->mc->c.reg_writes++;
	sim_emit(sim, &ev);
}

/* kvm_smm_changed(): HF_SMM_MASK set or cleared, then kvm_mmu_reset_context(). */
static void smm_changed(struct sim *sim, struct sim_vcpu *v, bool entering)
{
	emit_smm(sim, SIM_SMM_TRANSITION, entering, smbase_of(v), lm_guest(v), NULL);
	v->cpu.r.smm = entering;
	if (v->has_mmu)
		mmu_reset_context(&v->mmu, &v->cpu.r);
}

/*
 * A load through a vendor hook (vmx_set_cr0/cr4/efer, kvm_set_rflags,
 * kvm_set_segment): no checks, no TLB flush, no kvm_post_set_*() and so no
 * context reset. Reported as an accepted register write.
 */
static void vendor_load(struct sim *sim, struct sim_vcpu *v, enum scn_reg reg, u64 val)
{
	struct cpu_regs *r = &v->cpu.r;
	u64 old = sim_read_reg(r, reg);

	switch (reg) {
	case SCN_REG_CR0:
		/* vmx_set_cr0()/svm_set_cr0(): clearing PG with EFER.LME leaves long
		 * mode (exit_lmode(): EFER.LMA := 0). */
		if ((r->cr0 & X86_CR0_PG) && !(val & X86_CR0_PG))
			r->efer &= ~X86_EFER_LMA;
		r->cr0 = val;
		break;
	case SCN_REG_CR4:
		r->cr4 = val;
		break;
	case SCN_REG_EFER:
		r->efer = val;
		break;
	case SCN_REG_RFLAGS:
		r->rflags = val | X86_RFLAGS_FIXED;
		break;
	case SCN_REG_CPL:
		r->cpl = (u8)val;
		break;
	case SCN_REG_CS_L:
		r->cs_l = val != 0;
		break;
	case SCN_REG_CR3:
	case SCN_REG_PKRU:
		return; /* SMM entry loads neither */
	}
	emit_reg(sim, reg, old, val, sim_read_reg(r, reg), NULL);
}

/*
 * An architectural write on the RSM path (kvm_set_cr0/cr3/cr4, kvm_set_msr for
 * EFER, the emulator's segment and RFLAGS write-back): cpu/'s checks and TLB
 * flushes, then what x86.c does after it (sim_mmu_post_write()). False when
 * the write is refused: KVM's RSM then fails (X86EMUL_UNHANDLEABLE).
 */
static bool arch_write(struct sim *sim, struct sim_vcpu *v, enum scn_reg reg, u64 val,
		       struct cpu_wr *out)
{
	size_t before = tlb_count(v->tlb);
	u64 old = sim_read_reg(&v->cpu.r, reg);
	struct cpu_wr w = sim_write_reg(&v->cpu, reg, val);
	size_t after = tlb_count(v->tlb);

	emit_reg(sim, reg, old, val, sim_read_reg(&v->cpu.r, reg), &w);
	*out = w;
	if (w.vector) {
		sim->mc->c.reg_refused++;
		return false;
	}
	if (after < before)
		sim_emit_flush(sim, scn_reg_name(reg), 0, cpu_pcid(&v->cpu.r), before - after);
	sim_mmu_post_write(sim, v, reg, old, val);
	return true;
}

static void put(u8 *buf, unsigned off, u64 val, unsigned size)
{
	msc_le_put(buf + off, val, size);
}

static u64 get(const u8 *buf, unsigned off, unsigned size)
{
	return msc_le_get(buf + off, size);
}

/* The CS flags enter_smm_get_segment_flags() would give the model's CS: a
 * present code segment with DPL = CPL and L = CS.L (D = !L in protected mode). */
static u32 cs_flags(const struct cpu_regs *r)
{
	u32 f = (SEG_TYPE_CODE << 8) | SEG_S | SEG_P | SEG_G | ((u32)r->cpl << SEG_DPL_SHIFT);

	if (r->cs_l)
		f |= SEG_L;
	else if (r->cr0 & X86_CR0_PE)
		f |= SEG_DB;
	return f;
}

/* enter_smm_save_state_64() / enter_smm_save_state_32(), for the modelled state;
 * everything else in the 512 bytes stays 0 (KVM memsets the buffer first). */
static void save_state(const struct sim_vcpu *v, u8 *buf)
{
	const struct cpu_regs *r = &v->cpu.r;
	const u64 smbase = smbase_of(v);

	memset(buf, 0, SMRAM_SIZE);
	if (lm_guest(v)) {
		put(buf, SM64_CS + 2, cs_flags(r) >> 8, 2);
		put(buf, SM64_EFER, r->efer, 8);
		put(buf, SM64_REVISION, SMM_REVISION_64, 4);
		put(buf, SM64_SMBASE, smbase, 4);
		put(buf, SM64_CR4, r->cr4, 8);
		put(buf, SM64_CR3, r->cr3, 8);
		put(buf, SM64_CR0, r->cr0, 8);
		put(buf, SM64_DR7, DR7_RESET, 8);
		put(buf, SM64_DR6, DR6_RESET, 8);
		put(buf, SM64_RFLAGS, r->rflags, 8);
		return;
	}
	put(buf, SM32_SMBASE, smbase, 4);
	put(buf, SM32_REVISION, SMM_REVISION_32, 4);
	put(buf, SM32_CR4, r->cr4, 4);
	put(buf, SM32_CS, cs_flags(r), 4);
	put(buf, SM32_DR7, DR7_RESET, 4);
	put(buf, SM32_DR6, DR6_RESET, 4);
	put(buf, SM32_EFLAGS, r->rflags, 4);
	put(buf, SM32_CR3, r->cr3, 4);
	put(buf, SM32_CR0, r->cr0, 4);
}

/* kvm_vcpu_write_guest() of the save area in address space 1 (HF_SMM is set
 * by then): a host write to the memslot's memory, dirty-logged, refused by a
 * read-only or missing memslot. No write tracking sees it. */
static int write_save_area(struct sim *sim, u64 gpa, const u8 *buf)
{
	struct gmem_slot_info info;
	int r;

	for (u64 a = gpa & ~(u64)(PAGE_SIZE - 1); a < gpa + SMRAM_SIZE; a += PAGE_SIZE)
		if (!gmem_slot_find(sim->mc->mem, 1, a, &info) || (info.flags & GMEM_SLOT_READONLY))
			return MSC_EFAULT;
	r = gmem_write_host(sim->mc->mem, 1, gpa, buf, SMRAM_SIZE);
	if (r)
		return r;
	gmem_mark_dirty(sim->mc->mem, 1, gpa);
	gmem_mark_dirty(sim->mc->mem, 1, gpa + SMRAM_SIZE - 1);
	return 0;
}

/* enter_smm() */
static int op_smi(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
		  struct scn_error *err)
{
	const bool lm = lm_guest(v);
	const u64 smbase = smbase_of(v);
	u8 buf[SMRAM_SIZE];
	char path[64];
	int r;

	if (v->cpu.r.smm) {
		/* KVM keeps an SMI that arrives in SMM pending (smi_pending) and
		 * injects it after RSM (KVM_REQ_EVENT from kvm_smm_changed()). */
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path,
			"smi: the vCPU is already in SMM; an SMI in SMM is latched until RSM "
			"(not modelled)");
		return MSC_EINVAL;
	}
	if (v->cpu.r.guest_mode) {
		/* vmx_enter_smm()/svm_enter_smm() first leave guest mode (a nested
		 * VM-exit to L1, whose state the save area then holds) and RSM
		 * re-enters L2: not modelled. */
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path,
			"smi: the vCPU runs L2; SMI in guest mode (vmx_enter_smm()'s nested "
			"VM-exit and RSM's re-entry) is not modelled");
		return MSC_EOPNOTSUPP;
	}
	/* enter_smm_save_state_64/32(), then the vendor enter_smm hook. */
	save_state(v, buf);
	/* kvm_smm_changed(true): HF_SMM set, context reset #1 (smm=1, old CRs). */
	smm_changed(sim, v, true);
	r = write_save_area(sim, smbase + SMRAM_SAVE, buf);
	emit_smm(sim, SIM_SMM_SAVE, false, smbase, lm, NULL);
	if (r) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path,
			"smi: writing the SMRAM state save area at 0x%llx in address space 1 "
			"failed (%s): KVM kills the VM (kvm_vm_dead())",
			(ull)(smbase + SMRAM_SAVE), msc_strerror(r));
		return MSC_EINVAL;
	}
	/* The entry state, through vendor hooks (no context reset on the way). */
	vendor_load(sim, v, SCN_REG_RFLAGS, X86_RFLAGS_FIXED);
	vendor_load(sim, v, SCN_REG_CR0,
		    v->cpu.r.cr0 & ~(X86_CR0_PE | X86_CR0_EM | X86_CR0_TS | X86_CR0_PG));
	vendor_load(sim, v, SCN_REG_CR4, 0);
	/* CS: selector SMBASE >> 4, base SMBASE, 4 GiB, DPL 0, L 0 (so CPL 0). */
	vendor_load(sim, v, SCN_REG_CS_L, 0);
	vendor_load(sim, v, SCN_REG_CPL, 0);
	if (lm)
		vendor_load(sim, v, SCN_REG_EFER, 0);
	/* kvm_update_cpuid_runtime(); context reset #2: paging off, smm=1. */
	if (v->has_mmu)
		mmu_reset_context(&v->mmu, &v->cpu.r);
	return 0;
}

/* A failed step of RSM: KVM returns X86EMUL_UNHANDLEABLE and em_rsm() raises a
 * triple fault (shutdown), which the model reports as a run-time error. */
static int rsm_failed(struct sim *sim, const struct scn_step *st, struct scn_error *err,
		      const char *what, const struct cpu_wr *w)
{
	char path[64];

	step_path(sim, path, sizeof(path));
	sim_err(sim, err, st->pos, path,
		"rsm: %s%s%s: emulator_leave_smm() fails and KVM raises a triple fault "
		"(shutdown), which the model does not run past",
		what, w && w->rule ? " refused: " : "", w && w->rule ? w->rule : "");
	return MSC_EINVAL;
}

#define RSM_WRITE(reg, val, what)                                     \
	do {                                                          \
		struct cpu_wr w_;                                     \
		if (!arch_write(sim, v, (reg), (val), &w_))           \
			return rsm_failed(sim, st, err, (what), &w_); \
	} while (0)

/* rsm_enter_protected_mode() */
static int rsm_protected(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
			 struct scn_error *err, u64 cr0, u64 cr3, u64 cr4)
{
	u64 pcid = 0;

	/* CR3[11:0] must be 0 to set CR4.PCIDE later. */
	if (cr4 & X86_CR4_PCIDE) {
		pcid = cr3 & X86_CR3_PCID_MASK;
		cr3 &= ~X86_CR3_PCID_MASK;
	}
	RSM_WRITE(SCN_REG_CR3, cr3, "CR3");
	/* PAE first (long mode needs it before PG), then CR0; PCIDE needs LMA. */
	RSM_WRITE(SCN_REG_CR4, cr4 & ~X86_CR4_PCIDE, "CR4");
	RSM_WRITE(SCN_REG_CR0, cr0, "CR0");
	if (cr4 & X86_CR4_PCIDE) {
		RSM_WRITE(SCN_REG_CR4, cr4, "CR4.PCIDE");
		if (pcid)
			RSM_WRITE(SCN_REG_CR3, cr3 | pcid, "CR3 with its PCID");
	}
	return 0;
}

/* em_rsm() -> emulator_leave_smm() */
static int op_rsm(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
		  struct scn_error *err)
{
	static const char ud_rule[] = "RSM outside SMM raises #UD (SDM Vol. 2 RSM; KVM em_rsm())";
	const bool lm = lm_guest(v);
	const u64 smbase = smbase_of(v);
	const u64 gpa = smbase + SMRAM_SAVE;
	u64 cr0, cr3, cr4, rflags, efer = 0;
	u32 cs;
	u8 buf[SMRAM_SIZE];
	int r;

	if (!v->cpu.r.smm) {
		emit_smm(sim, SIM_SMM_UD, false, smbase, lm, ud_rule);
		sim->obs.fault = SCN_FAULT_UD;
		sim->obs.rule = ud_rule;
		return 0;
	}
	/* kvm_vcpu_read_guest() in address space 1. */
	r = gmem_read(sim->mc->mem, 1, gpa, buf, SMRAM_SIZE);
	if (r)
		return rsm_failed(sim, st, err, "reading the state save area", NULL);
	emit_smm(sim, SIM_SMM_LOAD, false, smbase, lm, NULL);
	/* kvm_smm_changed(false): HF_SMM cleared, context reset (smm=0, the SMM
	 * handler's CR0/CR4/EFER). */
	smm_changed(sim, v, false);
	if (lm) {
		/* Clear CR4.PCIDE before CR0.PG; a 32-bit CS to clear EFER.LMA. */
		if (v->cpu.r.cr4 & X86_CR4_PCIDE)
			RSM_WRITE(SCN_REG_CR4, v->cpu.r.cr4 & ~X86_CR4_PCIDE, "CR4");
		RSM_WRITE(SCN_REG_CS_L, 0, "CS");
	}
	/* Real mode (clears EFER.LMA on the 64-bit path). */
	if (v->cpu.r.cr0 & X86_CR0_PE)
		RSM_WRITE(SCN_REG_CR0, v->cpu.r.cr0 & ~(X86_CR0_PG | X86_CR0_PE), "CR0");
	if (lm) {
		/* Clear CR4.PAE before EFER.LME, then EFER := 0. */
		if (v->cpu.r.cr4 & X86_CR4_PAE)
			RSM_WRITE(SCN_REG_CR4, v->cpu.r.cr4 & ~X86_CR4_PAE, "CR4");
		RSM_WRITE(SCN_REG_EFER, 0, "EFER");
	}
	/* The vendor leave_smm hook (re-entering guest mode) is not modelled. */
	if (lm) {
		/* rsm_load_state_64() */
		rflags = get(buf, SM64_RFLAGS, 8);
		cr0 = get(buf, SM64_CR0, 8);
		cr3 = get(buf, SM64_CR3, 8);
		cr4 = get(buf, SM64_CR4, 8);
		efer = get(buf, SM64_EFER, 8);
		cs = (u32)get(buf, SM64_CS + 2, 2) << 8;
		v->smbase = (u32)get(buf, SM64_SMBASE, 4);
	} else {
		/* rsm_load_state_32() */
		rflags = get(buf, SM32_EFLAGS, 4);
		cr0 = get(buf, SM32_CR0, 4);
		cr3 = get(buf, SM32_CR3, 4);
		cr4 = get(buf, SM32_CR4, 4);
		cs = (u32)get(buf, SM32_CS, 4);
		v->smbase = (u32)get(buf, SM32_SMBASE, 4);
	}
	v->smbase_set = true;
	if (lm)
		RSM_WRITE(SCN_REG_EFER, efer & ~X86_EFER_LMA, "EFER");
	r = rsm_protected(sim, v, st, err, cr0, cr3, cr4);
	if (r)
		return r;
	/* The segments last (CS.L, CPL = CS.DPL), then the emulator's RFLAGS. */
	RSM_WRITE(SCN_REG_CS_L, (cs & SEG_L) ? 1 : 0, "CS");
	RSM_WRITE(SCN_REG_CPL, (cs >> SEG_DPL_SHIFT) & 3, "CPL");
	RSM_WRITE(SCN_REG_RFLAGS, rflags | X86_RFLAGS_FIXED, "RFLAGS");
	return 0;
}

int sim_run_smm(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct sim_vcpu *v = &sim->mc->vcpu[sim->cur_vcpu];

	return st->op == SCN_OP_SMI ? op_smi(sim, v, st, err) : op_rsm(sim, v, st, err);
}
