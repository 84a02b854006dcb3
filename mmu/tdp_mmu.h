/* SPDX-License-Identifier: MIT */
/*
 * KVM's TDP MMU (arch/x86/kvm/mmu/tdp_mmu.c, tdp_iter.c, ~v6.8-6.10): EPT/NPT
 * roots kept on the VM-wide kvm->arch.tdp_mmu_roots list and shared by every
 * vCPU whose root role is the same, reference counted (tdp_mmu_root_count, the
 * union partner of root_count, so sp->root_count here), the fault path
 * kvm_tdp_mmu_map() walking the tables gfn-first, root invalidation on a fast
 * zap and the zaps themselves. TDP MMU pages are shadow pages with
 * tdp_mmu_page set that are in no hash bucket, on no active list, with no
 * rmaps and no parent_ptes, and not counted in n_used_mmu_pages (KVM counts
 * linked non-root pages in tdp_mmu_pages). Every function names the KVM
 * function it follows. docs/roots.md and docs/page-fault.md describe the model.
 */
#ifndef MSC_MMU_TDP_MMU_H
#define MSC_MMU_TDP_MMU_H

#include "mmu/root.h"

/* The parts of struct kvm_page_fault that kvm_tdp_mmu_map() reads. */
struct tdp_mmu_fault {
	gfn_t gfn;
	hfn_t pfn; /* KVM_PFN_NOSLOT: no memslot (fault->slot NULL), an MMIO SPTE */
	u8 goal_level; /* kvm_mmu_hugepage_adjust()'s (pfn already aligned to it) */
	u8 req_level; /* the level the fault could map without the NX mitigation */
	bool huge_page_disallowed; /* an exec fault under the NX huge page mitigation */
	bool nx_huge_page_workaround_enabled;
	bool write;
	bool prefetch;
	bool map_writable;
};

/*
 * kvm_tdp_mmu_alloc_root(): take a reference on the first valid root of the
 * current MMU's root_role (same role word, so the same address space) on
 * tdp_mmu_roots, else allocate one (gfn 0, traced kvm_mmu_get_page created,
 * refcount 2: the vCPU's and the TDP MMU's own) at the head of the list. Sets
 * root = {0, the root's table}. MSC_ENOSPC only when hmem is exhausted.
 */
int mmu_tdp_alloc_root(struct mmu_vcpu *v) MSC_MUST_CHECK;

/*
 * kvm_tdp_mmu_put_root(): drop one reference; the last one (only ever put on
 * an invalid root: the TDP MMU keeps its own reference on a valid root) takes
 * the root off the list and frees it.
 */
void mmu_tdp_put_root(struct mmu_vm *vm, struct kvm_mmu_page *root);

/*
 * kvm_tdp_mmu_map(): the fault path of kvm_tdp_mmu_page_fault() for @v's
 * current root: child tables (kvm_mmu_get_page created) linked on the way
 * down, the leaf made by make_spte() (or make_mmio_spte()) at goal_level.
 * Returns RET_PF_FIXED, RET_PF_SPURIOUS, RET_PF_EMULATE (write-protected gfn,
 * MMIO SPTE), RET_PF_RETRY, or MSC_ENOSPC when hmem is exhausted. *@sptep is
 * the leaf's hpa (0 if none).
 */
int mmu_tdp_map(struct mmu_vcpu *v, struct tdp_mmu_fault *fault, u64 *sptep);

/* kvm_tdp_mmu_invalidate_all_roots(): mark every valid root invalid and scheduled to zap. */
void mmu_tdp_invalidate_all_roots(struct mmu_vm *vm);
/* kvm_tdp_mmu_zap_invalidated_roots(): zap each scheduled root and put the TDP MMU's reference. */
void mmu_tdp_zap_invalidated_roots(struct mmu_vm *vm);
/* kvm_tdp_mmu_zap_all(): zap every root, invalid ones included (teardown). */
void mmu_tdp_zap_all(struct mmu_vm *vm);
/*
 * kvm_tdp_mmu_zap_leafs(): zap the leaf SPTEs of [@start, @end) in every valid
 * root; returns whether a TLB flush is due (@flush or'ed in). Not on a path the
 * engine runs: KVM's memslot deletion uses kvm_mmu_zap_all_fast() (with
 * KVM_X86_QUIRK_SLOT_ZAP_ALL, the default, >= v6.12; always before).
 */
bool mmu_tdp_zap_leafs(struct mmu_vm *vm, gfn_t start, gfn_t end, bool flush);
/* kvm_mmu_uninit_tdp_mmu(): invalidate and zap every root (VM destruction). */
void mmu_tdp_uninit(struct mmu_vm *vm);

/* The valid TDP MMU pages (roots and children) whose role word is @role_word. */
u64 mmu_tdp_count_sps(const struct mmu_vm *vm, u32 role_word);

#endif
