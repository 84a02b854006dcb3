/* SPDX-License-Identifier: MIT */
/*
 * MMU contexts and roots (arch/x86/kvm/mmu/mmu.c, kvm_host.h): struct kvm_mmu
 * with its current root and the three prev_roots, the root caches' lookups and
 * KVM's exact rotation on a CR3/EPTP switch (fast_pgd_switch()), loading roots
 * (direct, shadow, the PAE root page for 32-bit/PAE/non-paging guests), freeing
 * them, obsolete roots, and the context reset on role changes. Every hit, miss
 * and eviction is an event and a counter.
 */
#ifndef MSC_MMU_ROOT_H
#define MSC_MMU_ROOT_H

#include "cpu/regs.h"
#include "cpu/walk.h"
#include "mmu/page.h"
#include "mmu/role.h"

#define KVM_MMU_NUM_PREV_ROOTS 3
#define INVALID_PAGE (~0ULL)
#define INVALID_PAE_ROOT 0ULL
#define KVM_MMU_ROOT_CURRENT BIT_ULL(0)
#define KVM_MMU_ROOT_PREVIOUS(i) BIT_ULL(1 + (i))
#define KVM_MMU_ROOTS_ALL 0xfu

/* struct kvm_mmu_root_info. */
struct kvm_mmu_root_info {
	u64 pgd; /* guest CR3 / EPTP / nCR3 (0 for direct roots) */
	hpa_t hpa;
};

/* struct kvm_mmu: the parts roots and roles need. */
struct kvm_mmu {
	struct kvm_mmu_root_info root;
	struct kvm_mmu_root_info prev_roots[KVM_MMU_NUM_PREV_ROOTS];
	union kvm_cpu_role cpu_role;
	union kvm_mmu_page_role root_role;
	hpa_t pae_root; /* special root pages (0 = not allocated) */
	hpa_t pml4_root;
	hpa_t pml5_root;
	u64 pdptrs[4]; /* the guest's PDPTEs used for the PAE roots */
	/* PTTYPE_EPT: page_fault and sync_spte are the ept_* instances of
	 * paging_tmpl.h (shadow EPT, guest_mmu under nested EPT). */
	bool ept_gptes;
};

/* Root-cache counters (mmuscope's own: KVM has no stat for them). */
struct mmu_root_stats {
	u64 hits, misses, evictions, loads, frees;
	/* kvm_init_mmu() calls that re-initialised a context (not short-circuited),
	 * and kvm_mmu_reset_context() calls. */
	u64 context_inits, context_resets;
};

/* The vCPU's MMU state (struct kvm_vcpu_arch's mmu members). */
struct mmu_vcpu {
	struct mmu_vm *vm;
	struct kvm_mmu root_mmu, guest_mmu, nested_mmu;
	struct kvm_mmu *mmu, *walk_mmu;
	bool tdp_enabled;
	u8 max_tdp_level; /* host EPT/NPT levels (4 or 5) */
	u8 forced_tdp_level; /* SVM: the host paging level; 0 for VMX */
	bool ad_enabled; /* kvm_ad_enabled */
	u8 guest_maxphyaddr;
	/* KVM's tdp_mmu_enabled (the tdp_mmu parameter, only with TDP): direct roots
	 * come from the TDP MMU (mmu/tdp_mmu.h) and TDP faults go to
	 * kvm_tdp_mmu_map(). mmu_vcpu_init() clears it; set it before the first load. */
	bool tdp_mmu_enabled;
	/* The dummy root (kvm_mmu_get_dummy_root(): KVM's zero page) of a guest root
	 * outside the memslots: one zeroed hmem page, allocated on first use; 0 = none. */
	hpa_t dummy_root;
	struct mmu_root_stats root_stats;
	/* kvm_pdptr_read(): the guest's PDPTE registers as load_pdptrs() cached them
	 * (VCPU_EXREG_PDPTR), for the PAE roots; NULL reads the PDPT from memory. */
	const u64 *pdptr_regs;
	/* vCPU stats under KVM's names (kvm_vcpu_stats_desc). */
	u64 pf_taken, pf_fixed, pf_emulate, pf_spurious, pf_fast, pf_mmio_spte_created, pf_guest;
	u64 tlb_flush, invlpg;
	/* kvm_mmu_unprotect_gfn_and_retry()'s anti-loop guard (vcpu->arch.last_retry_eip
	 * and last_retry_addr): the model's RIP is the step's (docs/page-fault.md). */
	u64 last_retry_eip, last_retry_addr;
	/* Nested TDP (mmu/nested.h): L1's EPTP/nCR3 (guest_mmu's get_guest_pgd:
	 * nested_ept_get_eptp(), nested_svm_get_tdp_cr3()) and the format its
	 * tables are walked in (L1's EPT, or NPT in L1's paging mode). */
	u64 nested_pgd;
	struct walk_cfg nested_tdp;
};

/* kvm_mmu_create(): both pointers at root_mmu, every root invalid. */
void mmu_vcpu_init(struct mmu_vcpu *v, struct mmu_vm *vm, bool tdp_enabled, u8 max_tdp_level,
		   u8 forced_tdp_level, bool ad_enabled, u8 guest_maxphyaddr);
/* kvm_mmu_destroy(): unload and free the special root pages and the dummy root.
 * Call before mmu_vm_destroy() (KVM destroys vCPUs before the VM). */
void mmu_vcpu_destroy(struct mmu_vcpu *v);
/* A copy of @src for the copy @vm of its VM (mmu_vm_clone()): mmu and walk_mmu
 * point at the copy's own contexts. pdptr_regs is copied as it is: the caller
 * points it at the copy's registers. */
void mmu_vcpu_clone(struct mmu_vcpu *dst, const struct mmu_vcpu *src, struct mmu_vm *vm);

/*
 * kvm_init_mmu(): recompute the CPU role from @r and the root role of the active
 * MMU (TDP or legacy shadow; the nested MMUs come with the nested milestone),
 * short-circuiting when both are unchanged (shadow_mmu_init_context()).
 */
void mmu_init_context(struct mmu_vcpu *v, const struct cpu_regs *r);
/* kvm_mmu_reset_context(): kvm_mmu_unload() (every root of root_mmu and guest_mmu,
 * current and prev) then kvm_init_mmu(). */
void mmu_reset_context(struct mmu_vcpu *v, const struct cpu_regs *r);

/* is_root_usable(). */
bool mmu_is_root_usable(const struct mmu_vm *vm, const struct kvm_mmu_root_info *root, u64 pgd,
			union kvm_mmu_page_role role);

/*
 * kvm_mmu_new_pgd() -> fast_pgd_switch(): switch @mmu to @new_pgd with KVM's
 * rotation through prev_roots (cached_root_find_and_keep_current() /
 * cached_root_find_without_current()); a hit makes the cached root current, a
 * miss leaves root.hpa INVALID_PAGE for the next load and frees the LRU entry.
 * Emits ROOT_HIT / ROOT_MISS / ROOT_EVICT. Returns true on a hit.
 */
bool mmu_new_pgd(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 new_pgd);

/*
 * kvm_mmu_load(): allocate the roots of v->mmu for guest pgd @pgd
 * (mmu_alloc_direct_roots() without the TDP MMU, mmu_alloc_shadow_roots()
 * otherwise; PAE roots read the guest PDPTEs through vm->gmem in the role's
 * address space; a root gfn outside the memslots gets the dummy root).
 * With tdp_mmu_enabled a direct root comes from kvm_tdp_mmu_alloc_root().
 * guest_mmu (shadow EPT/NPT) loads an indirect root of L1's EPT/NPT table at @pgd:
 * a passthrough level-5 SP over a 4-level L1 NPT on a 5-level host NPT, and the
 * special pml4_root/pml5_root (-> pae_root) over a 32-bit/PAE L1 NPT
 * (mmu_alloc_special_roots()). Returns 0, MSC_ENOSPC (no pages), MSC_EIO (a
 * partial special-root set: KVM's WARN), MSC_EOPNOTSUPP (@v->mmu is nested_mmu).
 * Like kvm_mmu_reload(), it does nothing (returns 0) while root.hpa is valid.
 * Emits ROOT_LOAD.
 */
int mmu_load(struct mmu_vcpu *v, u64 pgd) MSC_MUST_CHECK;

/* kvm_mmu_unload(): free every root of root_mmu and guest_mmu. */
void mmu_unload(struct mmu_vcpu *v);

/* kvm_mmu_free_roots(): free the roots selected by @mask (KVM_MMU_ROOT_*); emits
 * ROOT_FREE for each valid root freed. */
void mmu_free_roots(struct mmu_vcpu *v, struct kvm_mmu *mmu, unsigned mask);

/* kvm_mmu_free_obsolete_roots(): free obsolete current/prev roots of both MMUs. */
void mmu_free_obsolete_roots(struct mmu_vcpu *v);

/* The SP backing a root hpa (NULL for special roots: PAE/pml4/pml5 pages, dummy). */
struct kvm_mmu_page *mmu_root_to_sp(const struct mmu_vm *vm, hpa_t hpa);

/* kvm_mmu_is_dummy_root(): @hpa is @v's dummy root. */
bool mmu_is_dummy_root(const struct mmu_vcpu *v, hpa_t hpa);

#endif
