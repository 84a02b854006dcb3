/* SPDX-License-Identifier: MIT */
/*
 * Synchronising unsync shadow pages with the guest's tables (arch/x86/kvm/mmu/
 * mmu.c, paging_tmpl.h): FNAME(sync_spte) per entry, kvm_sync_page() for a whole
 * page, kvm_mmu_sync_roots() / kvm_mmu_sync_prev_roots() (KVM_REQ_MMU_SYNC, a
 * new root, a guest TLB flush), and the INVLPG / INVPCID-address path
 * kvm_mmu_invalidate_addr(). docs/shadow-pages.md, "Unsync and sync".
 */
#ifndef MSC_MMU_SYNC_H
#define MSC_MMU_SYNC_H

#include "mmu/root.h"

/*
 * FNAME(sync_spte): re-read gpte @i of @sp (a shadow page with gptes; 4-byte
 * gptes read from the SP's quadrant, FNAME(get_level1_sp_gpa)) through the
 * vCPU's address space (role.smm) and bring SPTE @i in line: an invalid gpte
 * (FNAME(prefetch_invalid_gpte): not present, not accessed, reserved bits set)
 * or a changed gfn drops the SPTE; otherwise the shadowed access is updated and
 * the SPTE rebuilt with make_spte(prefetch=true, can_unsync=false) from its pfn
 * and host-writable bit. Returns 0 (nothing changed), 1 (changed: flush), or
 * -1 when the gpte cannot be read (the caller zaps). An empty SPTE gives 0
 * (kvm_sync_spte()).
 */
int mmu_sync_spte(struct mmu_vcpu *v, struct kvm_mmu_page *sp, unsigned i);

/*
 * kvm_sync_page() / __kvm_sync_page() with kvm_sync_page_check(): -1 when @sp
 * cannot be synced with the vCPU's current MMU (direct, or its role differs
 * from root_role outside level/access/quadrant/passthrough) or a gpte cannot be
 * read; otherwise mmu_sync_spte() on every entry, > 0 if any changed. The
 * signature matches mmu_vm.sync_page once bound to a vCPU.
 */
int mmu_sync_page(struct mmu_vcpu *v, struct kvm_mmu_page *sp);

/* kvm_mmu_sync_roots(): sync the unsync children of the current root (4/5-level:
 * only if the root SP is unsync or has unsync children; PAE: each valid
 * pae_root entry), via mmu_sync_children(). Nothing for a direct MMU. */
void mmu_sync_roots(struct mmu_vcpu *v);
/* kvm_mmu_sync_prev_roots(): free (not sync) every prev root that is unsync. */
void mmu_sync_prev_roots(struct mmu_vcpu *v);
/* kvm_vcpu_flush_tlb_guest() (KVM_REQ_TLB_FLUSH_GUEST): tlb_flush++, then with
 * shadow paging mmu_sync_roots() and mmu_sync_prev_roots(). */
void mmu_flush_tlb_guest(struct mmu_vcpu *v);

/*
 * kvm_mmu_invalidate_addr(): for each root of @mmu selected by @roots
 * (KVM_MMU_ROOT_CURRENT, KVM_MMU_ROOT_PREVIOUS(i)), walk the shadow tables for
 * @addr; every unsync SP on the path has the entry re-synced (mmu_sync_spte;
 * < 0 zaps it, any change flushes); the walk stops at an SP without unsync
 * children. Nothing for a direct MMU.
 */
void mmu_invalidate_addr(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 addr, unsigned roots);
/* kvm_mmu_invlpg(): invlpg++ and mmu_invalidate_addr(walk_mmu, @gva, all roots);
 * @canonical false (a non-canonical address) syncs nothing but is still counted,
 * as in KVM (the check sits in kvm_mmu_invalidate_addr()). */
void mmu_invlpg(struct mmu_vcpu *v, u64 gva, bool canonical);
/* kvm_mmu_invpcid_gva(): the current root if @pcid is the active one
 * (@active_pcid), each prev root whose pgd has @pcid (@pcide: CR4.PCIDE, else
 * every pgd's PCID is 0); invlpg++. */
void mmu_invpcid_gva(struct mmu_vcpu *v, u64 gva, u16 pcid, u16 active_pcid, bool pcide);

#endif
