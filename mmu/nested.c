/* SPDX-License-Identifier: MIT */
/*
 * Nested TDP contexts: shadow EPT (kvm_init_shadow_ept_mmu()) and shadow NPT
 * (kvm_init_shadow_npt_mmu()), the vendor's init/uninit of guest_mmu and
 * nested_mmu, and kvm_mmu_free_guest_mode_roots().
 */
#include "mmu/nested.h"

#include "cpu/walk.h"

/* EPTP bit 6: accessed and dirty flags enabled (nested_ept_ad_enabled()). */
#define VMX_EPTP_AD_ENABLE_BIT BIT_ULL(6)

/* The short-circuit of kvm_init_shadow_ept_mmu()/kvm_init_shadow_npt_mmu()
 * (shadow_mmu_init_context()): nothing when both roles are unchanged. */
static void init_context(struct mmu_vcpu *v, struct kvm_mmu *mmu, union kvm_cpu_role cpu_role,
			 union kvm_mmu_page_role root_role, bool ept)
{
	mmu->ept_gptes = ept;
	if (cpu_role.as_u64 == mmu->cpu_role.as_u64 && root_role.word == mmu->root_role.word)
		return;
	mmu->cpu_role = cpu_role;
	mmu->root_role = root_role;
	v->root_stats.context_inits++;
}

/* nested_ept_init_mmu_context() -> kvm_init_shadow_ept_mmu() (vmx/nested.c, mmu.c) */
bool mmu_init_shadow_ept(struct mmu_vcpu *v, u64 eptp, const struct cpu_features *f)
{
	bool ad = (eptp & VMX_EPTP_AD_ENABLE_BIT) && f->ept.ad;
	u8 level = (u8)(((eptp >> 3) & 7u) + 1u);
	union kvm_cpu_role cpu_role = mmu_calc_shadow_ept_cpu_role(ad, f->ept.execonly, level);
	bool hit;

	v->mmu = &v->guest_mmu;
	init_context(v, &v->guest_mmu, cpu_role, cpu_role.base, true);
	v->nested_pgd = eptp;
	walk_cfg_ept(&v->nested_tdp, eptp, f);
	hit = mmu_new_pgd(v, &v->guest_mmu, eptp);
	v->walk_mmu = &v->nested_mmu;
	return hit;
}

/* nested_svm_init_mmu_context() -> kvm_init_shadow_npt_mmu() (svm/nested.c, mmu.c) */
bool mmu_init_shadow_npt(struct mmu_vcpu *v, const struct cpu_regs *l1, u64 ncr3,
			 const struct cpu_features *f)
{
	u8 level = mmu_tdp_level(v->max_tdp_level, v->forced_tdp_level, v->guest_maxphyaddr);
	union kvm_cpu_role cpu_role;
	union kvm_mmu_page_role root_role;
	bool hit;

	/* is_guest_mode() is already true: the role carries guest_mode. */
	root_role =
		mmu_calc_shadow_npt_root_role(l1->cr4, l1->efer, l1->smm, true, level, &cpu_role);
	v->mmu = &v->guest_mmu;
	init_context(v, &v->guest_mmu, cpu_role, root_role, false);
	v->nested_pgd = ncr3;
	walk_cfg_npt(&v->nested_tdp, ncr3, l1, f);
	hit = mmu_new_pgd(v, &v->guest_mmu, ncr3);
	v->walk_mmu = &v->nested_mmu;
	return hit;
}

/* nested_ept_uninit_mmu_context() / nested_svm_uninit_mmu_context() */
void mmu_nested_uninit(struct mmu_vcpu *v)
{
	v->mmu = &v->root_mmu;
	v->walk_mmu = &v->root_mmu;
}

/* mmu_is_nested() (mmu.h) */
bool mmu_is_nested(const struct mmu_vcpu *v)
{
	return v->walk_mmu == &v->nested_mmu;
}

/* kvm_mmu_get_guest_pgd() (mmu.c): mmu->get_guest_pgd */
u64 mmu_get_guest_pgd(const struct mmu_vcpu *v, u64 cr3)
{
	return v->mmu == &v->guest_mmu ? v->nested_pgd : cr3;
}

/* kvm_mmu_free_guest_mode_roots() (mmu.c) */
void mmu_free_guest_mode_roots(struct mmu_vcpu *v, struct kvm_mmu *mmu)
{
	unsigned roots_to_free = 0, i;

	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		const struct kvm_mmu_page *sp;

		if (mmu->prev_roots[i].hpa == INVALID_PAGE)
			continue;
		sp = mmu_root_to_sp(v->vm, mmu->prev_roots[i].hpa);
		if (!sp || sp->role.guest_mode)
			roots_to_free |= (unsigned)KVM_MMU_ROOT_PREVIOUS(i);
	}
	if (roots_to_free)
		mmu_free_roots(v, mmu, roots_to_free);
}
