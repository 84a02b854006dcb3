/* SPDX-License-Identifier: MIT */
/*
 * KVM's MMU roles: the 32-bit page role (union kvm_mmu_page_role), the extended
 * role and the 64-bit CPU role (arch/x86/include/asm/kvm_host.h), with KVM's
 * exact bit layout so role words printed here match those in a KVM trace, and
 * the computations of the CPU role and of each MMU's root role (mmu.c).
 */
#ifndef MSC_MMU_ROLE_H
#define MSC_MMU_ROLE_H

#include "cpu/regs.h"
#include "cpu/types.h"

/*
 * union kvm_mmu_page_role (kvm_host.h), bitfields allocated LSB first:
 *
 *   bits   field             meaning
 *   3:0    level             1 = PT (4K leaves) .. 5 = PML5
 *   4      has_4_byte_gpte   shadows a 32-bit (4-byte entry) guest table
 *   6:5    quadrant          which slice of a 4-byte-gpte table this SP covers
 *   7      direct            maps a linear gfn range (TDP, nonpaging, huge page split)
 *   10:8   access            accumulated guest rights, ACC_* (X=1 W=2 U=4)
 *   11     invalid           zapped while still pinned as a root
 *   12     efer_nx           EFER.NX the page is valid for
 *   13     cr0_wp            CR0.WP the page is valid for
 *   14     smep_andnot_wp    CR4.SMEP && !CR0.WP
 *   15     smap_andnot_wp    CR4.SMAP && !CR0.WP
 *   16     ad_disabled       the MMU cannot use hardware A/D bits
 *   17     guest_mode        built while the vCPU ran L2
 *   18     passthrough       synthetic level shadowing no guest table (5-level NPT host, 4-level L1)
 *   23:19  (pad, 0)
 *   31:24  smm               address space id: 1 if built in SMM
 */
#define ROLE_LEVEL_SHIFT 0
#define ROLE_LEVEL_MASK 0xfu
#define ROLE_HAS_4_BYTE_GPTE BIT_ULL(4)
#define ROLE_QUADRANT_SHIFT 5
#define ROLE_QUADRANT_MASK 0x3u
#define ROLE_DIRECT BIT_ULL(7)
#define ROLE_ACCESS_SHIFT 8
#define ROLE_ACCESS_MASK 0x7u
#define ROLE_INVALID BIT_ULL(11)
#define ROLE_EFER_NX BIT_ULL(12)
#define ROLE_CR0_WP BIT_ULL(13)
#define ROLE_SMEP_ANDNOT_WP BIT_ULL(14)
#define ROLE_SMAP_ANDNOT_WP BIT_ULL(15)
#define ROLE_AD_DISABLED BIT_ULL(16)
#define ROLE_GUEST_MODE BIT_ULL(17)
#define ROLE_PASSTHROUGH BIT_ULL(18)
#define ROLE_SMM_SHIFT 24
#define ROLE_SMM_MASK 0xffu

/* The same layout as C bitfields (GCC allocates LSB first on x86), for readable
 * code; tests check it against the shifts above. */
union kvm_mmu_page_role {
	u32 word;
	struct {
		unsigned level : 4;
		unsigned has_4_byte_gpte : 1;
		unsigned quadrant : 2;
		unsigned direct : 1;
		unsigned access : 3;
		unsigned invalid : 1;
		unsigned efer_nx : 1;
		unsigned cr0_wp : 1;
		unsigned smep_andnot_wp : 1;
		unsigned smap_andnot_wp : 1;
		unsigned ad_disabled : 1;
		unsigned guest_mode : 1;
		unsigned passthrough : 1;
		unsigned : 5;
		unsigned smm : 8;
	};
};
_Static_assert(sizeof(union kvm_mmu_page_role) == 4, "kvm_mmu_page_role is 32 bits");

/*
 * union kvm_mmu_extended_role (kvm_host.h):
 *   0 valid   1 execonly   2 cr4_pse   3 cr4_pke (PKE && LMA)   4 cr4_smap
 *   5 cr4_smep   6 cr4_la57 (LA57 && LMA)   7 efer_lma
 */
union kvm_mmu_extended_role {
	u32 word;
	struct {
		unsigned valid : 1;
		unsigned execonly : 1;
		unsigned cr4_pse : 1;
		unsigned cr4_pke : 1;
		unsigned cr4_smap : 1;
		unsigned cr4_smep : 1;
		unsigned cr4_la57 : 1;
		unsigned efer_lma : 1;
	};
};
_Static_assert(sizeof(union kvm_mmu_extended_role) == 4, "kvm_mmu_extended_role is 32 bits");

/* union kvm_cpu_role: base in the low 32 bits, ext in the high 32 bits. */
union kvm_cpu_role {
	u64 as_u64;
	struct {
		union kvm_mmu_page_role base;
		union kvm_mmu_extended_role ext;
	};
};
_Static_assert(sizeof(union kvm_cpu_role) == 8, "kvm_cpu_role is 64 bits");

/* Paging levels KVM names (mmu.h). */
#define PT32_ROOT_LEVEL 2
#define PT32E_ROOT_LEVEL 3
#define PT64_ROOT_4LEVEL 4
#define PT64_ROOT_5LEVEL 5

/* Inputs of the role computations: what vcpu_to_role_regs() reads plus hflags. */
struct mmu_role_regs {
	u64 cr0, cr4, efer;
	bool smm, guest_mode;
};

/* From a vCPU's registers (CR0/CR4 are masked by KVM_MMU_CR0/CR4_ROLE_BITS inside). */
struct mmu_role_regs mmu_role_regs_from_cpu(const struct cpu_regs *r);

/* kvm_calc_cpu_role(): the guest's paging mode as a CPU role. */
union kvm_cpu_role mmu_calc_cpu_role(const struct mmu_role_regs *regs);

/*
 * kvm_mmu_get_tdp_level(): @max_tdp_level is the host's (4 or 5, from EPT/NPT
 * caps); @forced_level non-zero for SVM, which forces NPT to the host paging
 * level; a 5-level-capable host uses 4 levels when the guest's MAXPHYADDR <= 48.
 */
u8 mmu_tdp_level(u8 max_tdp_level, u8 forced_level, u8 guest_maxphyaddr);

/*
 * kvm_calc_tdp_mmu_root_page_role() (>= v5.19, 2ba676774dfc): built from zero,
 * efer_nx = cr0_wp = 1, smm and guest_mode from @cpu_role, ad_disabled = !@ad,
 * direct, access ACC_ALL, level @tdp_level.
 */
union kvm_mmu_page_role mmu_calc_tdp_root_role(union kvm_cpu_role cpu_role, u8 tdp_level, bool ad);

/*
 * Legacy shadow paging root role (kvm_init_shadow_mmu(), >= v5.19): the CPU
 * role's base with level raised to at least PT32E_ROOT_LEVEL and efer_nx forced
 * to 1 (shadow paging needs NX in its own format: the CR0.WP=0 + SMEP trick).
 */
union kvm_mmu_page_role mmu_calc_shadow_root_role(union kvm_cpu_role cpu_role);

/*
 * kvm_init_shadow_npt_mmu(): L1's NPT shadowed for L2. The CPU role is computed
 * from CR0 = PG only (CR0.WP ignored), L1's CR4 without PKE, L1's EFER and the
 * vCPU's smm/guest_mode; the root role is that base with level @tdp_level and
 * passthrough when the host is 5-level and L1's NPT 4-level. @cpu_role_out (may
 * be NULL) receives the CPU role.
 */
union kvm_mmu_page_role mmu_calc_shadow_npt_root_role(u64 l1_cr4, u64 l1_efer, bool smm,
						      bool guest_mode, u8 tdp_level,
						      union kvm_cpu_role *cpu_role_out);

/*
 * kvm_calc_shadow_ept_root_page_role(): the CPU role of L1's EPT: level @level
 * (EPTP walk length), ad_disabled = !@accessed_dirty, guest_mode, access
 * ACC_ALL, ext.execonly = @execonly, ext.valid; the root role is its base.
 */
union kvm_cpu_role mmu_calc_shadow_ept_cpu_role(bool accessed_dirty, bool execonly, u8 level);

/*
 * Decode @role into "level=4 has_4_byte_gpte=0 quadrant=0 direct=1 access=wux
 * invalid=0 efer_nx=1 cr0_wp=1 smep_andnot_wp=0 smap_andnot_wp=0 ad_disabled=0
 * guest_mode=0 passthrough=0 smm=0"; snprintf semantics.
 */
int mmu_role_format(union kvm_mmu_page_role role, char *buf, size_t n);
/* "valid=1 execonly=0 cr4_pse=0 cr4_pke=0 cr4_smap=0 cr4_smep=0 cr4_la57=0 efer_lma=1". */
int mmu_ext_role_format(union kvm_mmu_extended_role ext, char *buf, size_t n);

/*
 * The role part of KVM's shadow-page trace print (KVM_MMU_PAGE_PRINTK,
 * mmutrace.h): "l4 8-byte q0 direct wux nxe ad" -- level, 4/8-byte gptes,
 * quadrant, " direct" or "", access letters, " invalid", "!" before nxe when
 * !efer_nx and before ad when ad_disabled. (cr0_wp, smep/smap, smm and
 * guest_mode are not printed by KVM.)
 */
int mmu_role_trace_format(union kvm_mmu_page_role role, char *buf, size_t n);

/* KVM's access strings indexed by ACC value: "---", "--x", "w--", "w-x", "-u-", "-ux", "wu-", "wux". */
const char *mmu_access_str(unsigned acc);

#endif
