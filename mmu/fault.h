/* SPDX-License-Identifier: MIT */
/*
 * The page-fault path (arch/x86/kvm/mmu/mmu.c, paging_tmpl.h): a #PF, #NPF or EPT
 * violation taken by the simulated hardware on KVM's tables enters
 * kvm_mmu_page_fault(), which dispatches to the vCPU's current MMU -- the shadow
 * handler FNAME(page_fault)/FNAME(fetch) for a paging guest, direct_page_fault()/
 * direct_map() for a non-paging guest and for legacy (non-TDP-MMU) TDP -- and
 * accounts the pf_* statistics. Every function names the KVM function it follows.
 * docs/page-fault.md describes what is modelled and what is not.
 */
#ifndef MSC_MMU_FAULT_H
#define MSC_MMU_FAULT_H

#include "cpu/features.h"
#include "cpu/regs.h"
#include "cpu/walk.h"
#include "mmu/root.h"

/* What a fault did, for the caller (the vCPU loop, which injects and emulates). */
struct mmu_fault_out {
	int ret; /* RET_PF_* */
	/* A #PF for the guest (kvm_inject_emulated_page_fault()): the guest walker's
	 * fault. pf_guest was counted. */
	bool inject;
	u64 inject_error_code;
	u64 inject_cr2;
	/* An MMIO fault: a gfn outside every memslot (kvm_handle_noslot_fault(); an
	 * MMIO SPTE was installed when MMIO caching is on, pf_mmio_spte_created
	 * counted it) or an RSVD fault on a current MMIO SPTE
	 * (handle_mmio_page_fault()). ret is RET_PF_EMULATE. */
	bool mmio;
	/* page_fault_handle_page_track(): a write to a write-tracked gfn (RET_PF_EMULATE). */
	bool write_tracked;
	/* Shadow EPT/NPT (guest_mmu): L1's tables do not allow the L2 access, so
	 * the walker's fault (walk.fault) is reflected to L1 as an EPT violation,
	 * EPT misconfiguration or #NPF (nested_ept_inject_page_fault(),
	 * nested_svm_inject_npf_exit()); ret is RET_PF_RETRY, pf_guest not counted. */
	bool reflect;
	gfn_t gfn; /* the faulting gfn (guest walk result for shadow faults) */
	hfn_t pfn; /* its host frame (valid when a leaf was installed) */
	u64 sptep; /* hpa of the leaf SPTE installed or found, 0 if none */
	unsigned pte_access; /* ACC_* given to mmu_set_spte() */
	/* The guest walk of a shadow fault (walked: it ran). */
	bool walked;
	struct walk_result walk;
};

/*
 * kvm_mmu_page_fault() -> kvm_mmu_do_page_fault() for @v's current MMU: @addr is
 * CR2 (shadow paging) or the guest-physical address (TDP / non-paging), @error_code
 * the hardware #PF error code (or the one built from an EPT violation). @r and @f
 * describe the guest (its paging mode for the guest walk). The root must be loaded
 * (mmu_load()); an invalid root gives RET_PF_RETRY. Fills @out (never NULL) and
 * returns out->ret; a negative MSC_* error only when hmem is exhausted
 * (MSC_ENOSPC) or, for an RSVD fault, when a present SPTE on the path has
 * reserved bits (KVM's WARN and -EINVAL: MSC_EINVAL).
 */
int mmu_page_fault(struct mmu_vcpu *v, const struct cpu_regs *r, const struct cpu_features *f,
		   u64 addr, u64 error_code, struct mmu_fault_out *out);

/*
 * kvm_mmu_do_page_fault(prefetch = true) for KVM_PRE_FAULT_MEMORY
 * (kvm_tdp_map_page(), mmu/prefault.h): the same handler as a fault at @gpa with
 * @error_code (PFERR_GUEST_FINAL: a read), but pf_taken is not counted (nor
 * pf_emulate, pf_spurious; pf_fixed is) and mmu_set_spte(prefetch) leaves the new
 * SPTE's Accessed bit clear. No RSVD/MMIO-SPTE path. *@level (may be NULL): the
 * level of the mapping (the fault's goal level). Root not loaded: RET_PF_RETRY.
 * Returns out->ret, or a negative MSC_* error as mmu_page_fault() does.
 */
int mmu_page_fault_prefetch(struct mmu_vcpu *v, const struct cpu_regs *r,
			    const struct cpu_features *f, u64 gpa, u64 error_code,
			    struct mmu_fault_out *out, u8 *level);

#endif
