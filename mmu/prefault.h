/* SPDX-License-Identifier: MIT */
/*
 * KVM_PRE_FAULT_MEMORY (v6.11, commit 6e01b7601dfe and its generic part in
 * virt/kvm/kvm_main.c): map a guest-physical range into the vCPU's current TDP
 * root ahead of use, as if the vCPU had taken a stage-2 read fault on each page,
 * without marking the new SPTEs Accessed. Three layers, each named after the
 * KVM function it follows:
 *
 *   mmu_vcpu_pre_fault_memory()   kvm_vcpu_pre_fault_memory()       (kvm_main.c)
 *   mmu_arch_pre_fault_memory()   kvm_arch_vcpu_pre_fault_memory()  (mmu.c)
 *   mmu_tdp_map_page()            kvm_tdp_map_page()                (mmu.c)
 *
 * over mmu_page_fault_prefetch() (mmu/fault.h). Results are KVM's: a length in
 * bytes, 0, or a negated Linux errno (MMU_PF_E*). docs/page-fault.md, "The
 * prefetch path", says what is modelled.
 */
#ifndef MSC_MMU_PREFAULT_H
#define MSC_MMU_PREFAULT_H

#include "cpu/features.h"
#include "cpu/regs.h"
#include "mmu/root.h"

/* Linux errno values (asm-generic/errno*.h) the ioctl returns negated. */
#define MMU_PF_ENOENT 2
#define MMU_PF_EINTR 4
#define MMU_PF_EIO 5
#define MMU_PF_EFAULT 14
#define MMU_PF_EINVAL 22
#define MMU_PF_EOPNOTSUPP 95

/*
 * KVM retries a RET_PF_RETRY fault until a signal is pending (-EINTR). Nothing
 * runs concurrently in the model, so a retry repeats forever (an obsolete root
 * after a fast zap, until the vCPU runs and frees it): after this many the model
 * stands in for the signal the VMM would send and returns -EINTR.
 */
#define MMU_PF_MAX_RETRIES 64

/* struct kvm_pre_fault_memory (uapi kvm.h) without its padding: in/out. */
struct kvm_pre_fault_memory {
	u64 gpa;
	u64 size;
	u64 flags;
};

/* What one ioctl did, beside its return value. */
struct mmu_pre_fault_out {
	long ret; /* the ioctl's result: 0 or -MMU_PF_E* */
	/* 0, or an MSC_* error of the model itself (hmem exhausted, a root load it
	 * cannot do): the run stops there and ret means nothing. */
	int err;
	unsigned calls; /* kvm_arch_vcpu_pre_fault_memory() calls */
};

/*
 * kvm_tdp_map_page(): -EOPNOTSUPP unless the vCPU's MMU is the TDP fault handler
 * (vcpu->arch.mmu->page_fault == kvm_tdp_page_fault: TDP enabled, the MMU is
 * root_mmu and its root is direct -- shadow paging and L2 under nested EPT/NPT
 * are refused); then the prefetch fault, again while RET_PF_RETRY (at most
 * MMU_PF_MAX_RETRIES, then -EINTR). RET_PF_FIXED and RET_PF_SPURIOUS: 0 with
 * *@level the level mapped; RET_PF_EMULATE (no memslot, a read-only host page):
 * -ENOENT; anything else -EIO (KVM WARNs). A model error goes to *@err.
 */
int mmu_tdp_map_page(struct mmu_vcpu *v, const struct cpu_regs *r, const struct cpu_features *f,
		     u64 gpa, u64 error_code, u8 *level, int *err);

/*
 * kvm_arch_vcpu_pre_fault_memory(): kvm_mmu_reload() (mmu_load() of the guest's
 * pgd when the current root is invalid; its failure is a model error), then
 * mmu_tdp_map_page(@range->gpa, PFERR_GUEST_FINAL) and the bytes covered: the
 * rest of the mapping's page from @range->gpa, at most @range->size. Or -errno.
 */
long mmu_arch_pre_fault_memory(struct mmu_vcpu *v, const struct cpu_regs *r,
			       const struct cpu_features *f,
			       const struct kvm_pre_fault_memory *range, int *err);

/*
 * kvm_vcpu_pre_fault_memory(): flags, unaligned gpa or size, a zero size or a
 * range that wraps: -EINVAL, nothing done. Then mmu_arch_pre_fault_memory() until
 * the range is done or it fails, advancing @range (gpa up, size down) by what
 * each call covered -- @range is what the ioctl copies back: the part not done.
 * out->ret: the error if nothing was done, else 0 ("success if at least one page
 * was mapped"). Signals are not modelled (see MMU_PF_MAX_RETRIES).
 */
void mmu_vcpu_pre_fault_memory(struct mmu_vcpu *v, const struct cpu_regs *r,
			       const struct cpu_features *f, struct kvm_pre_fault_memory *range,
			       struct mmu_pre_fault_out *out);

#endif
