/* SPDX-License-Identifier: MIT */
/*
 * KVM_PRE_FAULT_MEMORY: kvm_vcpu_pre_fault_memory() (virt/kvm/kvm_main.c),
 * kvm_arch_vcpu_pre_fault_memory() and kvm_tdp_map_page() (arch/x86/kvm/mmu/mmu.c,
 * v6.11) over the fault path's prefetch entry.
 */
#include "mmu/prefault.h"

#include "cpu/err.h"
#include "cpu/walk.h"
#include "mmu/fault.h"
#include "mmu/nested.h"

/* KVM_HPAGE_SIZE(level): bytes mapped by one SPTE of @level (1 = 4 KiB). */
static u64 hpage_size(u8 level)
{
	if (level < 1 || level > 5)
		level = 1;
	return 1ULL << (PAGE_SHIFT + 9u * (unsigned)(level - 1));
}

/*
 * vcpu->arch.mmu->page_fault == kvm_tdp_page_fault: TDP is enabled and the vCPU
 * runs on root_mmu (not guest_mmu, the shadow EPT/NPT MMU of L2 under nested
 * TDP), whose root role is then direct. Shadow paging (FNAME(page_fault), or
 * nonpaging_page_fault() for a guest without paging) is refused.
 */
static bool mmu_is_tdp_page_fault(const struct mmu_vcpu *v)
{
	return v->tdp_enabled && v->mmu == &v->root_mmu && v->mmu->root_role.direct;
}

int mmu_tdp_map_page(struct mmu_vcpu *v, const struct cpu_regs *r, const struct cpu_features *f,
		     u64 gpa, u64 error_code, u8 *level, int *err)
{
	struct mmu_fault_out out;
	unsigned tries = 0;
	int ret;

	*err = 0;
	/* Shadow paging maps GVAs and nested TDP L2 GPAs: only TDP maps L1 GPAs. */
	if (!mmu_is_tdp_page_fault(v))
		return -MMU_PF_EOPNOTSUPP;
	do {
		/* signal_pending(): the model's stand-in after MMU_PF_MAX_RETRIES. */
		if (tries++ == MMU_PF_MAX_RETRIES)
			return -MMU_PF_EINTR;
		ret = mmu_page_fault_prefetch(v, r, f, gpa, error_code, &out, level);
	} while (ret == RET_PF_RETRY);
	if (ret < 0) {
		*err = ret; /* the model ran out of host memory */
		return -MMU_PF_EIO;
	}
	switch (ret) {
	case RET_PF_FIXED:
	case RET_PF_SPURIOUS:
		return 0;
	case RET_PF_EMULATE:
		/* No memslot (an MMIO SPTE may have been installed) or a page the
		 * host maps read-only: nothing KVM can pre-fault. */
		return -MMU_PF_ENOENT;
	default:
		return -MMU_PF_EIO; /* RET_PF_CONTINUE / RET_PF_INVALID: KVM WARNs */
	}
}

/* kvm_mmu_reload(): load a root when the current one is invalid. */
static int mmu_reload(struct mmu_vcpu *v, const struct cpu_regs *r)
{
	if (v->mmu->root.hpa != INVALID_PAGE)
		return 0;
	/* kvm_mmu_load() with kvm_mmu_get_guest_pgd(): a direct root's pgd is never
	 * consulted; guest_mmu (nested EPT/NPT) loads L1's EPTP/nCR3, a shadow MMU
	 * the guest's CR3. */
	return mmu_load(v, v->tdp_enabled && v->mmu == &v->root_mmu ? 0
								    : mmu_get_guest_pgd(v, r->cr3));
}

long mmu_arch_pre_fault_memory(struct mmu_vcpu *v, const struct cpu_regs *r,
			       const struct cpu_features *f,
			       const struct kvm_pre_fault_memory *range, int *err)
{
	/* No private memory in the model: never PFERR_PRIVATE_ACCESS. */
	const u64 error_code = PFERR_GUEST_FINAL;
	u8 level = 1; /* PG_LEVEL_4K */
	u64 end;
	int ret;

	/* Before the TDP check, as KVM does: a shadow-paging vCPU loads its root too. */
	*err = mmu_reload(v, r);
	if (*err)
		return -MMU_PF_EIO;
	ret = mmu_tdp_map_page(v, r, f, range->gpa, error_code, &level, err);
	if (ret < 0)
		return ret;
	/* The mapping may be a huge page starting below gpa or ending past the range. */
	end = (range->gpa & ~(hpage_size(level) - 1)) + hpage_size(level);
	return (long)(end - range->gpa < range->size ? end - range->gpa : range->size);
}

/*
 * Variant pre_fault_l1_root: the KVM_MAP_MEMORY v2 proposal ("KVM: x86: Always
 * populate L1 GPA for KVM_MAP_MEMORY", 2024, never merged) mapped L1 GPAs
 * whatever the vCPU's mode: a vCPU in SMM or guest mode was switched to the L1,
 * non-SMM MMU (HF_SMM and guest mode cleared, mmu = walk_mmu = root_mmu,
 * kvm_mmu_reset_context()), the range mapped there, and its state restored
 * with a second kvm_mmu_reset_context(). Both resets unload every root.
 */
static void pre_fault_l1_root(struct mmu_vcpu *v, const struct cpu_regs *r,
			      const struct cpu_features *f, struct kvm_pre_fault_memory *range,
			      struct mmu_pre_fault_out *out)
{
	struct kvm_mmu *mmu = v->mmu, *walk_mmu = v->walk_mmu;
	struct cpu_regs l1 = *r;
	u64 full_size = range->size;
	long ret;

	l1.smm = false;
	l1.guest_mode = false;
	v->mmu = v->walk_mmu = &v->root_mmu;
	mmu_reset_context(v, &l1);
	do {
		out->calls++;
		ret = mmu_arch_pre_fault_memory(v, &l1, f, range, &out->err);
		if (out->err)
			break;
		if (ret <= 0)
			break;
		range->size -= (u64)ret;
		range->gpa += (u64)ret;
	} while (range->size);
	v->mmu = mmu;
	v->walk_mmu = walk_mmu;
	mmu_reset_context(v, r);
	if (!out->err)
		out->ret = full_size == range->size ? ret : 0;
}

void mmu_vcpu_pre_fault_memory(struct mmu_vcpu *v, const struct cpu_regs *r,
			       const struct cpu_features *f, struct kvm_pre_fault_memory *range,
			       struct mmu_pre_fault_out *out)
{
	const u64 page_mask = (1ULL << PAGE_SHIFT) - 1;
	u64 full_size;
	long ret;

	out->ret = 0;
	out->err = 0;
	out->calls = 0;
	if (range->flags) {
		out->ret = -MMU_PF_EINVAL;
		return;
	}
	/* Unaligned, or gpa + size wrapping (a zero size included). */
	if ((range->gpa & page_mask) || (range->size & page_mask) ||
	    range->gpa + range->size <= range->gpa) {
		out->ret = -MMU_PF_EINVAL;
		return;
	}
	full_size = range->size;
	if (mmu_variant(v->vm, MMU_VAR_PRE_FAULT_L1_ROOT) && (r->smm || r->guest_mode)) {
		pre_fault_l1_root(v, r, f, range, out);
		return;
	}
	do {
		out->calls++;
		ret = mmu_arch_pre_fault_memory(v, r, f, range, &out->err);
		if (out->err)
			return;
		/* WARN_ON_ONCE(r == 0 || r == -EIO), then any error: stop. */
		if (ret <= 0)
			break;
		range->size -= (u64)ret;
		range->gpa += (u64)ret;
	} while (range->size);
	/* Success if at least one page was mapped. */
	out->ret = full_size == range->size ? ret : 0;
}
