/* SPDX-License-Identifier: MIT */
/*
 * Nested TDP contexts (arch/x86/kvm/mmu/mmu.c, vmx/nested.c, svm/nested.c): while
 * L2 runs with nested EPT/NPT, the vCPU's mmu is guest_mmu -- KVM's shadow of
 * L1's EPT/NPT tables (indirect shadow pages, gfn = L1's table gfns) -- and
 * walk_mmu is nested_mmu, which only walks L2's own tables. On the nested
 * VM-exit both pointers go back to root_mmu. Roots of guest_mmu are cached in
 * its own prev_roots, keyed by the EPTP/nCR3.
 */
#ifndef MSC_MMU_NESTED_H
#define MSC_MMU_NESTED_H

#include "cpu/features.h"
#include "cpu/regs.h"
#include "mmu/root.h"

/*
 * nested_ept_init_mmu_context() -> kvm_init_shadow_ept_mmu(): mmu = guest_mmu
 * with the shadow-EPT role of @eptp (walk length, A/D when the EPTP sets bit 6
 * and @f has EPT A/D, execonly from @f; kvm_calc_shadow_ept_root_page_role()),
 * re-initialised only when the CPU role changed, then kvm_mmu_new_pgd(@eptp);
 * walk_mmu = nested_mmu. Returns kvm_mmu_new_pgd()'s hit.
 */
bool mmu_init_shadow_ept(struct mmu_vcpu *v, u64 eptp, const struct cpu_features *f);

/*
 * nested_svm_init_mmu_context() -> kvm_init_shadow_npt_mmu(): mmu = guest_mmu
 * with the shadow-NPT role of L1's CR4/EFER (@l1, CR0 = PG only) at the host's
 * TDP level, kvm_mmu_new_pgd(@ncr3); walk_mmu = nested_mmu. L1's NPT is walked
 * in L1's paging mode. Returns kvm_mmu_new_pgd()'s hit.
 */
bool mmu_init_shadow_npt(struct mmu_vcpu *v, const struct cpu_regs *l1, u64 ncr3,
			 const struct cpu_features *f);

/* nested_ept_uninit_mmu_context() / nested_svm_uninit_mmu_context(): mmu and
 * walk_mmu back to root_mmu (guest_mmu keeps its roots for the next entry). */
void mmu_nested_uninit(struct mmu_vcpu *v);

/* mmu_is_nested(): walk_mmu is nested_mmu. */
bool mmu_is_nested(const struct mmu_vcpu *v);

/* kvm_mmu_get_guest_pgd(): the EPTP/nCR3 for guest_mmu, else the guest's @cr3. */
u64 mmu_get_guest_pgd(const struct mmu_vcpu *v, u64 cr3);

/* kvm_mmu_free_guest_mode_roots(): free @mmu's prev roots built for L2
 * (role.guest_mode) or without a shadow page. */
void mmu_free_guest_mode_roots(struct mmu_vcpu *v, struct kvm_mmu *mmu);

#endif
