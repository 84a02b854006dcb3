/* SPDX-License-Identifier: MIT */
/*
 * Nested virtualization (KVM running an L1 hypervisor that runs L2): the vmentry
 * and vmexit ops. vmentry saves L1's state, loads L2's (the vendor's loads of
 * vmcs12/vmcb12 guest state: no architectural checks beyond a few consistency
 * checks, no kvm_post_set_*()), sets guest mode and switches KVM's MMU as
 * nested_vmx_enter_non_root_mode()/enter_svm_guest_mode() do: with nested
 * EPT/NPT, mmu = guest_mmu (shadow EPT/NPT of L1's tables) and walk_mmu =
 * nested_mmu; without, L0 keeps root_mmu with a guest_mode role (its own TDP
 * tables for L2, or shadow pages of L2's tables). vmexit restores L1 and
 * root_mmu (nested_vmx_vmexit(), nested_svm_vmexit()).
 */
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/nested.h"
#include "sim/engine_priv.h"
#include "sim/event.h"

static void step_path(const struct sim *sim, char *path, size_t n)
{
	snprintf(path, n, "/steps/%u", (unsigned)sim->cur);
}

const struct walk_cfg *sim_nested_stage2(const struct sim_vcpu *v)
{
	return v->nested.active && v->nested.tdp ? &v->nested.l1_tdp : NULL;
}

static void emit_nested(struct sim *sim, bool entry, bool svm, bool tdp, u64 pgd, u16 vpid)
{
	struct sim_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_NESTED;
	ev.u.nested.entry = entry;
	ev.u.nested.svm = svm;
	ev.u.nested.tdp = tdp;
	ev.u.nested.pgd = pgd;
	ev.u.nested.vpid = vpid;
	sim_emit(sim, &ev);
}

/*
 * nested_vmx_transition_tlb_flush(): without VPID in vmcs12 a transition is a
 * full TLB flush for L1 (KVM_REQ_TLB_FLUSH_GUEST: the MMU syncs its roots);
 * nested_svm_transition_tlb_flush(): KVM_REQ_MMU_SYNC on every transition. The
 * simulated CPU drops the tag-0 translations L1 and L2 share without VPID/ASID.
 */
static void transition_flush(struct sim *sim, struct sim_vcpu *v, u16 vpid, const char *what)
{
	size_t before = tlb_count(v->tlb);

	if (v->cpu.feat->vendor == CPU_VENDOR_AMD)
		v->req_mmu_sync = true;
	else if (!vpid)
		v->req_tlb_flush_guest = true;
	if (vpid)
		return;
	tlb_flush_vpid(v->tlb, 0, true);
	sim_emit_flush(sim, what, 0, 0, before - tlb_count(v->tlb));
}

/* The L2 state of a vmentry step: from RESET values, each given register
 * loaded as is; EFER.LMA = LME && PG (the IA-32e mode guest control). NULL or
 * what makes the state one VM entry refuses. */
static const char *load_l2(struct cpu_regs *r, const struct scn_step *st)
{
	memset(r, 0, sizeof(*r));
	r->rflags = X86_RFLAGS_FIXED;
	for (unsigned i = 0; i < st->u.vmentry.nl2; i++) {
		const struct scn_regval *rv = &st->u.vmentry.l2[i];

		switch (rv->reg) {
		case SCN_REG_CR0:
			r->cr0 = rv->val;
			break;
		case SCN_REG_CR3:
			r->cr3 = rv->val;
			break;
		case SCN_REG_CR4:
			r->cr4 = rv->val;
			break;
		case SCN_REG_EFER:
			r->efer = rv->val;
			break;
		case SCN_REG_RFLAGS:
			r->rflags = rv->val | X86_RFLAGS_FIXED;
			break;
		case SCN_REG_CPL:
			r->cpl = (u8)rv->val;
			break;
		case SCN_REG_PKRU:
			r->pkru = (u32)rv->val;
			break;
		case SCN_REG_CS_L:
			r->cs_l = rv->val != 0;
			break;
		}
	}
	if ((r->cr0 & X86_CR0_PG) && !(r->cr0 & X86_CR0_PE))
		return "CR0.PG without CR0.PE";
	r->efer &= ~X86_EFER_LMA;
	if ((r->efer & X86_EFER_LME) && (r->cr0 & X86_CR0_PG)) {
		if (!(r->cr4 & X86_CR4_PAE))
			return "IA-32e mode without CR4.PAE";
		r->efer |= X86_EFER_LMA;
	}
	if ((r->cr4 & X86_CR4_LA57) && !(r->efer & X86_EFER_LMA))
		return "CR4.LA57 outside IA-32e mode";
	return NULL;
}

/*
 * nested_vmx_enter_non_root_mode() / enter_svm_guest_mode(): enter_guest_mode(),
 * then nested_ept_init_mmu_context() / nested_svm_init_mmu_context() with nested
 * TDP, then nested_vmx_load_cr3() / nested_svm_load_cr3(): kvm_init_mmu() and,
 * without nested TDP, kvm_mmu_new_pgd(L2's CR3).
 */
static int op_vmentry(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
		      struct scn_error *err)
{
	const struct cpu_features *f = v->cpu.feat;
	const bool svm = f->vendor == CPU_VENDOR_AMD;
	const bool tdp = svm ? st->u.vmentry.npt : st->u.vmentry.eptp != 0;
	const u64 pgd = svm ? st->u.vmentry.ncr3 : st->u.vmentry.eptp;
	const enum scn_tdp host = sim->s->machine.tdp;
	struct cpu_regs l2;
	const char *bad;
	char path[64];

	step_path(sim, path, sizeof(path));
	if (v->nested.active) {
		sim_err(sim, err, st->pos, path, "vmentry while L2 runs (no vmexit since)");
		return MSC_EINVAL;
	}
	if (v->cpu.r.smm) {
		sim_err(sim, err, st->pos, path, "vmentry in SMM is not built");
		return MSC_EOPNOTSUPP;
	}
	/* KVM offers nested EPT only with enable_ept, nested NPT only with npt_enabled. */
	if (tdp && host != (svm ? SCN_TDP_NPT : SCN_TDP_EPT)) {
		sim_err(sim, err, st->pos, path, "nested %s needs machine.tdp \"%s\"",
			svm ? "NPT" : "EPT", svm ? "npt" : "ept");
		return MSC_EOPNOTSUPP;
	}
	bad = load_l2(&l2, st);
	if (bad) {
		sim_err(sim, err, st->pos, path, "vmentry refused: invalid L2 state (%s)", bad);
		return MSC_EINVAL;
	}
	if (tdp && (l2.cr0 & X86_CR0_PG) && (l2.cr4 & X86_CR4_PAE) && !(l2.efer & X86_EFER_LMA)) {
		/* The PDPTE registers would come from vmcs12 / L2 memory through L1's tables. */
		sim_err(sim, err, st->pos, path,
			"L2 PAE paging under nested EPT/NPT is not built (use 4- or 5-level or "
			"32-bit)");
		return MSC_EOPNOTSUPP;
	}

	v->nested.l1 = v->cpu.r;
	v->nested.l1_vpid = v->cpu.vpid;
	v->nested.tdp = tdp;
	if (tdp) {
		if (svm)
			walk_cfg_npt(&v->nested.l1_tdp, pgd, &v->nested.l1, f);
		else
			walk_cfg_ept(&v->nested.l1_tdp, pgd, f);
	}
	emit_nested(sim, true, svm, tdp, tdp ? pgd : 0, st->u.vmentry.vpid);
	l2.guest_mode = true; /* enter_guest_mode() */
	v->cpu.r = l2;
	if (!tdp && (l2.cr0 & X86_CR0_PG) && (l2.cr4 & X86_CR4_PAE) && !(l2.efer & X86_EFER_LMA))
		(void)cpu_load_pdptes(&v->cpu, l2.cr3, v->cpu.r.pdpte);
	v->cpu.vpid = st->u.vmentry.vpid;
	v->nested.active = true;
	transition_flush(sim, v, st->u.vmentry.vpid, "vmentry");
	if (!v->has_mmu)
		return 0;
	if (tdp && svm)
		(void)mmu_init_shadow_npt(&v->mmu, &v->nested.l1, pgd, f);
	else if (tdp)
		(void)mmu_init_shadow_ept(&v->mmu, pgd, f);
	mmu_init_context(&v->mmu, &v->cpu.r); /* kvm_init_mmu() */
	if (!tdp)
		(void)mmu_new_pgd(&v->mmu, v->mmu.mmu, v->cpu.r.cr3);
	return 0;
}

/*
 * nested_vmx_vmexit() / nested_svm_vmexit(): leave_guest_mode(), L1's state back,
 * nested_ept_uninit_mmu_context() / nested_svm_uninit_mmu_context(), then
 * nested_vmx_load_cr3() / nested_svm_load_cr3() with L1's CR3: kvm_init_mmu()
 * and kvm_mmu_new_pgd() (a prev_roots hit when L1's root is still cached).
 */
static int op_vmexit(struct sim *sim, struct sim_vcpu *v, const struct scn_step *st,
		     struct scn_error *err)
{
	const bool svm = v->cpu.feat->vendor == CPU_VENDOR_AMD;
	u16 l2_vpid = v->cpu.vpid;
	char path[64];

	if (!v->nested.active) {
		step_path(sim, path, sizeof(path));
		sim_err(sim, err, st->pos, path, "vmexit while L1 runs (no vmentry before)");
		return MSC_EINVAL;
	}
	emit_nested(sim, false, svm, v->nested.tdp, v->nested.l1.cr3, v->nested.l1_vpid);
	v->cpu.r = v->nested.l1;
	v->cpu.vpid = v->nested.l1_vpid;
	v->nested.active = false;
	transition_flush(sim, v, l2_vpid, "vmexit");
	if (!v->has_mmu)
		return 0;
	if (v->nested.tdp)
		mmu_nested_uninit(&v->mmu);
	mmu_init_context(&v->mmu, &v->cpu.r);
	(void)mmu_new_pgd(&v->mmu, v->mmu.mmu, v->cpu.r.cr3);
	return 0;
}

int sim_run_nested(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct sim_vcpu *v = &sim->mc->vcpu[st->vcpu];

	if (st->op == SCN_OP_VMENTRY)
		return op_vmentry(sim, v, st, err);
	return op_vmexit(sim, v, st, err);
}
