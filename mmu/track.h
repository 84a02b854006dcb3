/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table writes (arch/x86/kvm/mmu/mmu.c, x86.c): a write fault on a
 * write-tracked gfn is emulated or unprotected-and-retried
 * (kvm_mmu_write_protect_fault(), kvm_mmu_unprotect_gfn_and_retry(), the retry
 * decision of x86_emulate_instruction()), and every emulated write reaches
 * kvm_mmu_track_write(): misaligned writes and write flooding zap the shadow
 * page, otherwise the SPTEs shadowing the written gpte (4-byte quadrants
 * included) are zapped. docs/shadow-pages.md, "Guest page-table writes".
 */
#ifndef MSC_MMU_TRACK_H
#define MSC_MMU_TRACK_H

#include "mmu/root.h"

/* Emulation types (kvm_host.h). */
#define EMULTYPE_ALLOW_RETRY_PF (1u << 3)
#define EMULTYPE_PF (1u << 6)
#define EMULTYPE_WRITE_PF_TO_SP (1u << 8)

/* KVM_MMU_WRITE_FLOODING_THRESHOLD: detect_write_flooding() zaps at this count. */
#define MMU_WRITE_FLOODING_THRESHOLD 3

/*
 * kvm_mmu_track_write(): an emulated write of @bytes at @gpa of address space
 * @as has reached guest memory (the new value is read back, as
 * mmu_pte_write_fetch_gpte() does). @guest_pae is is_pae(vcpu) (CR4.PAE): a
 * 4-byte write is widened to its aligned 8-byte gpte. Counts mmu_pte_write
 * (when indirect shadow pages exist), mmu_flooded and mmu_pde_zapped; commits
 * its zaps (remote flush). Walks every valid SP with gptes at the gfn, whatever
 * its address space, as KVM's VM-wide hash does.
 */
void mmu_track_write(struct mmu_vm *vm, u8 as, bool guest_pae, u64 gpa, unsigned bytes);

/* detect_write_misaligned() and detect_write_flooding() (the latter counts). */
bool mmu_detect_write_misaligned(const struct kvm_mmu_page *sp, u64 gpa, unsigned bytes);
bool mmu_detect_write_flooding(struct kvm_mmu_page *sp);

/*
 * get_written_sptes(): the first SPTE (as an sptep) of @sp shadowing the gpte
 * written at @gpa, and how many (*nspte: 1, or 2 for a 4-byte PDE); 0 when the
 * write falls in another quadrant of a 4-byte table.
 */
u64 mmu_get_written_sptes(const struct kvm_mmu_page *sp, u64 gpa, unsigned *nspte);

/*
 * kvm_mmu_unprotect_gfn_and_retry() (v6.12+): zap the shadow pages of @gpa's gfn
 * (the caller translated a shadow MMU's GVA with the guest's tables, as
 * kvm_mmu_gva_to_gpa_write() does); when any was zapped, remember @rip and
 * @cr2_or_gpa as the last retry and return true (re-enter the guest).
 */
bool mmu_unprotect_gfn_and_retry(struct mmu_vcpu *v, u64 rip, u64 cr2_or_gpa, u64 gpa);

/*
 * kvm_mmu_write_protect_fault() (v6.12+), for a fault that returned
 * RET_PF_WRITE_PROTECTED (the model's RET_PF_EMULATE with write_tracked): the
 * anti-loop check (same RIP and address as the last retry: emulate), then reset
 * the guard, then the direct-MMU fast unprotect of a write to a guest page table
 * (PFERR_NESTED_GUEST_PAGE) when it zaps something; otherwise emulate with
 * EMULTYPE_ALLOW_RETRY_PF unless the vCPU is in guest mode. Returns RET_PF_FIXED
 * (re-enter) or RET_PF_EMULATE and sets *@emulation_type.
 */
int mmu_write_protect_fault(struct mmu_vcpu *v, u64 rip, u64 cr2_or_gpa, u64 error_code,
			    bool guest_mode, unsigned *emulation_type);

#endif
