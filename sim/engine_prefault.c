/* SPDX-License-Identifier: MIT */
/*
 * The pre_fault op: KVM_PRE_FAULT_MEMORY on the step's vCPU
 * (kvm_vcpu_ioctl() -> kvm_vcpu_pre_fault_memory(), mmu/prefault.h). The MMU's
 * own events (root loads, kvm_mmu_get_page, kvm_mmu_spte_requested,
 * kvm_mmu_set_spte) come through the VM's sink as for a fault; the op's result
 * is one mmuscope_pre_fault event and the observation expect.ret and
 * expect.remaining check.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/prefault.h"
#include "sim/engine_priv.h"

typedef unsigned long long ull;

int sim_pre_fault(struct sim *sim, const struct scn_step *st, struct scn_error *err)
{
	struct sim_vcpu *v = &sim->mc->vcpu[st->vcpu];
	struct kvm_pre_fault_memory range = {
		.gpa = st->u.pre_fault.gpa,
		.size = st->u.pre_fault.size,
		.flags = st->u.pre_fault.flags,
	};
	struct mmu_pre_fault_out out;
	struct sim_event ev;
	char path[64];

	snprintf(path, sizeof(path), "/steps/%u", (unsigned)sim->cur);
	if (!v->has_mmu) {
		sim_err(sim, err, st->pos, path, "pre_fault: vcpu %u has no KVM MMU",
			(unsigned)st->vcpu);
		return MSC_EOPNOTSUPP;
	}
	/* An ioctl, not a guest entry: no vcpu_enter_guest() requests are serviced
	 * (kvm_arch_vcpu_pre_fault_memory() runs only kvm_mmu_reload()). */
	mmu_vcpu_pre_fault_memory(&v->mmu, &v->cpu.r, &sim->mc->feat, &range, &out);
	if (out.err) {
		sim_err(sim, err, st->pos, path,
			"pre_fault gpa 0x%llx: the MMU model failed at gpa 0x%llx: %s",
			(ull)st->u.pre_fault.gpa, (ull)range.gpa, msc_strerror(out.err));
		return out.err == MSC_EOPNOTSUPP ? out.err : MSC_EINVAL;
	}
	sim->obs.has_pre_fault = true;
	sim->obs.pre_fault_ret = (s32)out.ret;
	sim->obs.pre_fault_gpa = range.gpa;
	sim->obs.pre_fault_size = range.size;

	memset(&ev, 0, sizeof(ev));
	ev.kind = SIM_EV_PRE_FAULT;
	ev.u.pre_fault.gpa = st->u.pre_fault.gpa;
	ev.u.pre_fault.size = st->u.pre_fault.size;
	ev.u.pre_fault.flags = st->u.pre_fault.flags;
	ev.u.pre_fault.ret = (s32)out.ret;
	ev.u.pre_fault.rem_gpa = range.gpa;
	ev.u.pre_fault.rem_size = range.size;
	ev.u.pre_fault.calls = out.calls;
	sim_emit(sim, &ev);
	return 0;
}
