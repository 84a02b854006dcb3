/* SPDX-License-Identifier: MIT */
/*
 * KVM's CPU role and root roles (arch/x86/kvm/mmu/mmu.c), computed from the
 * guest's registers exactly as KVM >= v5.19 does, and printed as KVM does.
 */
#include "mmu/role.h"

#include <stdio.h>

#include "cpu/walk.h"

/* KVM_MMU_CR0_ROLE_BITS = PG|WP, KVM_MMU_CR4_ROLE_BITS = PSE|PAE|LA57|SMEP|SMAP|PKE (mmu.h). */
#define KVM_MMU_CR0_ROLE_BITS (X86_CR0_PG | X86_CR0_WP)
#define KVM_MMU_CR4_ROLE_BITS \
	(X86_CR4_PSE | X86_CR4_PAE | X86_CR4_LA57 | X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)

/* vcpu_to_role_regs() (mmu.c): CR0/CR4 masked by the role bits, EFER whole. */
struct mmu_role_regs mmu_role_regs_from_cpu(const struct cpu_regs *r)
{
	struct mmu_role_regs regs = {
		.cr0 = r->cr0 & KVM_MMU_CR0_ROLE_BITS,
		.cr4 = r->cr4 & KVM_MMU_CR4_ROLE_BITS,
		.efer = r->efer,
		.smm = r->smm,
		.guest_mode = r->guest_mode,
	};
	return regs;
}

/* kvm_calc_cpu_role() (mmu.c) */
union kvm_cpu_role mmu_calc_cpu_role(const struct mmu_role_regs *regs)
{
	union kvm_cpu_role role = {0};
	bool lma = regs->efer & X86_EFER_LMA;

	role.base.access = ACC_ALL;
	role.base.smm = regs->smm;
	role.base.guest_mode = regs->guest_mode;
	role.ext.valid = 1;

	if (!(regs->cr0 & X86_CR0_PG)) {
		/* Paging off: a direct role, level 0, every mode bit clear. */
		role.base.direct = 1;
		return role;
	}
	role.base.efer_nx = (regs->efer & X86_EFER_NXE) != 0;
	role.base.cr0_wp = (regs->cr0 & X86_CR0_WP) != 0;
	role.base.smep_andnot_wp = (regs->cr4 & X86_CR4_SMEP) && !(regs->cr0 & X86_CR0_WP);
	role.base.smap_andnot_wp = (regs->cr4 & X86_CR4_SMAP) && !(regs->cr0 & X86_CR0_WP);
	role.base.has_4_byte_gpte = !(regs->cr4 & X86_CR4_PAE);
	if (lma)
		role.base.level = (regs->cr4 & X86_CR4_LA57) ? PT64_ROOT_5LEVEL : PT64_ROOT_4LEVEL;
	else
		role.base.level = (regs->cr4 & X86_CR4_PAE) ? PT32E_ROOT_LEVEL : PT32_ROOT_LEVEL;

	role.ext.cr4_smep = (regs->cr4 & X86_CR4_SMEP) != 0;
	role.ext.cr4_smap = (regs->cr4 & X86_CR4_SMAP) != 0;
	role.ext.cr4_pse = (regs->cr4 & X86_CR4_PSE) != 0;
	role.ext.cr4_pke = lma && (regs->cr4 & X86_CR4_PKE);
	role.ext.cr4_la57 = lma && (regs->cr4 & X86_CR4_LA57);
	role.ext.efer_lma = lma;
	return role;
}

/* kvm_mmu_get_tdp_level() (mmu.c) */
u8 mmu_tdp_level(u8 max_tdp_level, u8 forced_level, u8 guest_maxphyaddr)
{
	if (forced_level)
		return forced_level;
	/* A 5-level host walks 4 levels for guests that cannot address above 48 bits. */
	if (max_tdp_level == PT64_ROOT_5LEVEL && guest_maxphyaddr <= 48)
		return PT64_ROOT_4LEVEL;
	return max_tdp_level;
}

/* kvm_calc_tdp_mmu_root_page_role() (mmu.c, >= v5.19) */
union kvm_mmu_page_role mmu_calc_tdp_root_role(union kvm_cpu_role cpu_role, u8 tdp_level, bool ad)
{
	union kvm_mmu_page_role role = {0};

	role.access = ACC_ALL;
	role.cr0_wp = 1;
	role.efer_nx = 1;
	role.smm = cpu_role.base.smm;
	role.guest_mode = cpu_role.base.guest_mode;
	role.ad_disabled = !ad;
	role.level = tdp_level & ROLE_LEVEL_MASK;
	role.direct = 1;
	role.has_4_byte_gpte = 0;
	return role;
}

/* kvm_init_shadow_mmu() root role (mmu.c, >= v5.19) */
union kvm_mmu_page_role mmu_calc_shadow_root_role(union kvm_cpu_role cpu_role)
{
	union kvm_mmu_page_role role = cpu_role.base;

	/* KVM always shadows with PAE-or-wider tables, even 2-level and nonpaging guests. */
	if (role.level < PT32E_ROOT_LEVEL)
		role.level = PT32E_ROOT_LEVEL;
	/*
	 * KVM forces EFER.NX on when TDP is disabled: the CR0.WP=0 + SMEP emulation
	 * maps supervisor-written user pages as U=0,W=1 and must make them NX, so the
	 * shadow format needs NX whatever the guest's EFER.NX says.
	 */
	role.efer_nx = 1;
	return role;
}

/* kvm_init_shadow_npt_mmu() (mmu.c) */
union kvm_mmu_page_role mmu_calc_shadow_npt_root_role(u64 l1_cr4, u64 l1_efer, bool smm,
						      bool guest_mode, u8 tdp_level,
						      union kvm_cpu_role *cpu_role_out)
{
	/* SVM passes CR0 = PG only (WP ignored) and strips CR4.PKE (NPT has no keys). */
	struct mmu_role_regs regs = {
		.cr0 = X86_CR0_PG,
		.cr4 = l1_cr4 & ~X86_CR4_PKE & KVM_MMU_CR4_ROLE_BITS,
		.efer = l1_efer,
		.smm = smm,
		.guest_mode = guest_mode,
	};
	union kvm_cpu_role cpu_role = mmu_calc_cpu_role(&regs);
	union kvm_mmu_page_role root = cpu_role.base;

	root.level = tdp_level & ROLE_LEVEL_MASK;
	/* A 5-level host shadowing a 4-level L1 NPT adds a passthrough top level. */
	if (tdp_level == PT64_ROOT_5LEVEL && cpu_role.base.level == PT64_ROOT_4LEVEL)
		root.passthrough = 1;
	if (cpu_role_out)
		*cpu_role_out = cpu_role;
	return root;
}

/* kvm_calc_shadow_ept_root_page_role() (mmu.c) */
union kvm_cpu_role mmu_calc_shadow_ept_cpu_role(bool accessed_dirty, bool execonly, u8 level)
{
	union kvm_cpu_role role = {0};

	/* SMM is impossible here (KVM WARNs); efer_nx, cr0_wp, smep/smap stay 0. */
	role.base.level = level & ROLE_LEVEL_MASK;
	role.base.has_4_byte_gpte = 0;
	role.base.direct = 0;
	role.base.ad_disabled = !accessed_dirty;
	role.base.guest_mode = 1;
	role.base.access = ACC_ALL;
	role.ext.execonly = execonly;
	role.ext.valid = 1;
	return role;
}

const char *mmu_access_str(unsigned acc)
{
	/* mmutrace.h's access strings, indexed by ACC value (X=1, W=2, U=4). */
	static const char *const str[8] = {"---", "--x", "w--", "w-x", "-u-", "-ux", "wu-", "wux"};

	return str[acc & 7u];
}

int mmu_role_format(union kvm_mmu_page_role role, char *buf, size_t n)
{
	return snprintf(buf, n,
			"level=%u has_4_byte_gpte=%u quadrant=%u direct=%u access=%s invalid=%u "
			"efer_nx=%u cr0_wp=%u smep_andnot_wp=%u smap_andnot_wp=%u ad_disabled=%u "
			"guest_mode=%u passthrough=%u smm=%u",
			role.level, role.has_4_byte_gpte, role.quadrant, role.direct,
			mmu_access_str(role.access), role.invalid, role.efer_nx, role.cr0_wp,
			role.smep_andnot_wp, role.smap_andnot_wp, role.ad_disabled, role.guest_mode,
			role.passthrough, role.smm);
}

int mmu_ext_role_format(union kvm_mmu_extended_role ext, char *buf, size_t n)
{
	return snprintf(buf, n,
			"valid=%u execonly=%u cr4_pse=%u cr4_pke=%u cr4_smap=%u cr4_smep=%u "
			"cr4_la57=%u efer_lma=%u",
			ext.valid, ext.execonly, ext.cr4_pse, ext.cr4_pke, ext.cr4_smap,
			ext.cr4_smep, ext.cr4_la57, ext.efer_lma);
}

/* The role fields of KVM_MMU_PAGE_PRINTK (mmutrace.h). */
int mmu_role_trace_format(union kvm_mmu_page_role role, char *buf, size_t n)
{
	return snprintf(buf, n, "l%u %u-byte q%u%s %s%s %snxe %sad", role.level,
			role.has_4_byte_gpte ? 4u : 8u, role.quadrant, role.direct ? " direct" : "",
			mmu_access_str(role.access), role.invalid ? " invalid" : "",
			role.efer_nx ? "" : "!", role.ad_disabled ? "!" : "");
}
