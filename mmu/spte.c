/* SPDX-License-Identifier: MIT */
/*
 * KVM's SPTEs (arch/x86/kvm/mmu/spte.c, spte.h, as of ~v6.18): the per-host masks,
 * the leaf / non-leaf / MMIO SPTE builders and access tracking. docs/spte.md has
 * the formats and every rule with the KVM function it comes from.
 */
#include "mmu/spte.h"

#include "cpu/ptbuild.h"
#include "cpu/walk.h"

/*
 * The two formats side by side (SDM Tables 4-19/4-20 and 29-6 for the hardware
 * bits; spte.h for the software ones):
 *
 *   bit    legacy/NPT SPTE                  EPT SPTE
 *   0      P         shadow_present_mask    R    present mask (no exec-only) and user mask
 *   1      W         PT_WRITABLE_MASK       W
 *   2      U         shadow_user_mask       X    shadow_x_mask
 *   5:3    PWT, PCD, A (5)                  memory type (get_mt_mask: WB = 6)
 *   6      D         shadow_dirty_mask      IPAT (get_mt_mask: ignore guest PAT)
 *   7      PS                               PS
 *   8      G (unused by KVM)                A    shadow_accessed_mask
 *   9      host-writable                    D    shadow_dirty_mask
 *   10     MMU-writable                     (user-execute, MBEC; unused)
 *   11     SPTE_MMU_PRESENT_MASK            SPTE_MMU_PRESENT_MASK
 *   51:12  PFN                              PFN
 *   53:52  A/D type (0 on, 1 off, 2 write-protect only); 0 on legacy SPTEs
 *   54     saved R of an access-tracked SPTE
 *   56     saved X of an access-tracked SPTE
 *   57     --                               host-writable
 *   58     --                               MMU-writable
 *   63     NX        shadow_nx_mask         suppress #VE (in the present mask)
 *
 * MMIO SPTEs reuse bits 10:3 and 62:52 for the memslot generation; their
 * magic value sits in bits 2:0 (EPT: XWR = 110b, a misconfiguration) or bit 51
 * and P (legacy: a reserved physical-address bit, so the access faults with
 * PFERR_RSVD).
 */

/* Legacy PTE bits KVM names (mmu.h: PT_*_MASK) that cpu/ptbuild.h spells PT_*. */
#define PT_PRESENT_MASK PT_P
#define PT_WRITABLE_MASK PT_W
#define PT_PAGE_SIZE_MASK PT_PS
/* EPT bits 2:0 (VMX_EPT_RWX_MASK). */
#define EPT_RWX_MASK (EPT_R | EPT_W | EPT_X)
/* The saved-bits field of an access-tracked SPTE: R (bit 0) and X (bit 2). */
#define ACC_TRACK_SAVED_BITS (EPT_R | EPT_X)

/* Bits @host_maxphyaddr-1..12: shadow_nonpresent_or_rsvd_lower_gfn_mask without L1TF. */
static u64 lower_gfn_mask(const struct spte_masks *m)
{
	unsigned bits = m->host_maxphyaddr;

	if (bits < 13 || bits > 52)
		bits = 52;
	return GENMASK_ULL(bits - 1, PAGE_SHIFT);
}

/* kvm_mmu_set_mmio_spte_mask(): MMIO caching needs a value that matches itself. */
static void set_mmio_masks(struct spte_masks *m, u64 value, u64 mask, u64 access_mask)
{
	if ((value & mask) != value)
		value = 0;
	m->mmio_value = value;
	m->mmio_mask = mask;
	m->mmio_access_mask = access_mask;
}

/* kvm_mmu_reset_all_pte_masks() */
void spte_masks_init_legacy(struct spte_masks *m, u8 host_maxphyaddr)
{
	u64 mmio;

	*m = (struct spte_masks){0};
	m->ept = false;
	m->host_maxphyaddr = host_maxphyaddr;
	/* Legacy shadow paging and NPT always have hardware A/D bits. */
	m->ad_enabled = true;
	m->present_mask = PT_PRESENT_MASK;
	m->user_mask = PT_U;
	m->accessed_mask = PT_A;
	m->dirty_mask = PT_D;
	m->nx_mask = PT_NX;
	m->x_mask = 0;
	m->host_writable_mask = DEFAULT_SPTE_HOST_WRITABLE;
	m->mmu_writable_mask = DEFAULT_SPTE_MMU_WRITABLE;
	/* A/D always available: access tracking only clears A (no RWX to save). */
	m->acc_track_mask = 0;
	/*
	 * L1TF: KVM sets the 5 physical-address bits below the L1 cache width in
	 * non-present SPTEs on affected CPUs. The model is an unaffected host.
	 */
	m->nonpresent_or_rsvd_mask = 0;
	/*
	 * MMIO: a reserved physical-address bit (51) plus P makes every access fault
	 * with PFERR_RSVD; 52-bit hosts have no reserved PA bit, so MMIO caching is off.
	 */
	mmio = host_maxphyaddr < 52 ? (BIT_ULL(51) | PT_PRESENT_MASK) : 0;
	set_mmio_masks(m, mmio, mmio, ACC_WRITE | ACC_USER);
}

/* kvm_mmu_set_ept_masks() (after kvm_mmu_reset_all_pte_masks(), as vmx does) */
void spte_masks_init_ept(struct spte_masks *m, bool has_ad, bool has_exec_only, u8 host_maxphyaddr)
{
	*m = (struct spte_masks){0};
	m->ept = true;
	m->host_maxphyaddr = host_maxphyaddr;
	m->ad_enabled = has_ad; /* kvm_ad_enabled */
	/* R is the "user" bit: ACC_USER means readable for EPT (FNAME(gpte_access)). */
	m->user_mask = EPT_R;
	/* Since v6.13 the A/D masks are set even without EPT A/D (kvm_ad_enabled says). */
	m->accessed_mask = EPT_A;
	m->dirty_mask = EPT_D;
	m->nx_mask = 0;
	m->x_mask = EPT_X;
	/* With exec-only support R is not implied; suppress-#VE since v6.10. */
	m->present_mask = (has_exec_only ? 0 : EPT_R) | SPTE_EPT_SUPPRESS_VE;
	m->acc_track_mask = EPT_RWX_MASK;
	m->host_writable_mask = EPT_SPTE_HOST_WRITABLE;
	m->mmu_writable_mask = EPT_SPTE_MMU_WRITABLE;
	m->nonpresent_or_rsvd_mask = 0;
	/* XWR = 110b is an EPT misconfiguration: KVM gets an exit on every access. */
	set_mmio_masks(m, SPTE_EPT_MISCONFIG_WX, EPT_RWX_MASK | SPTE_EPT_SUPPRESS_VE, 0);
}

/* is_mmio_spte() (spte.h): caching on and the magic bits match. */
bool is_mmio_spte(const struct spte_masks *m, u64 spte)
{
	return spte_mmio_caching_enabled(m) && (spte & m->mmio_mask) == m->mmio_value;
}

/* is_executable_pte() (spte.h): X set (EPT) or NX clear (legacy). */
bool is_executable_pte(const struct spte_masks *m, u64 spte)
{
	return (spte & (m->x_mask | m->nx_mask)) == m->x_mask;
}

/* is_writable_pte() (spte.h) */
bool is_writable_pte(u64 spte)
{
	return (spte & PT_WRITABLE_MASK) != 0;
}

/* is_mmu_writable_spte() (spte.h) */
bool is_mmu_writable_spte(const struct spte_masks *m, u64 spte)
{
	return (spte & m->mmu_writable_mask) != 0;
}

/* spte_ad_enabled() (spte.h): the A/D type is anything but "disabled". */
bool spte_ad_enabled(u64 spte)
{
	return (spte & SPTE_TDP_AD_MASK) != SPTE_TDP_AD_DISABLED;
}

/* is_access_track_spte() (spte.h): A/D-disabled with every RWX bit cleared. */
bool is_access_track_spte(const struct spte_masks *m, u64 spte)
{
	return !spte_ad_enabled(spte) && (spte & m->acc_track_mask) == 0;
}

/* is_accessed_spte() (spte.h) */
bool is_accessed_spte(const struct spte_masks *m, u64 spte)
{
	return (spte & m->accessed_mask) != 0;
}

/*
 * vmx_get_mt_mask() (vmx.c) for the model's only case: guest RAM, no
 * non-coherent DMA, KVM_X86_QUIRK_IGNORE_GUEST_PAT on (the default): WB with
 * IPAT, i.e. guest PAT and MTRRs ignored. Host MMIO pfns (UC) do not exist in
 * the model. SVM has no get_mt_mask (NPT SPTEs carry no memory type).
 */
static u64 mt_mask(const struct spte_masks *m)
{
	if (!m->ept)
		return 0;
	return EPT_MT_WB | EPT_IPAT;
}

u64 make_huge_page_split_spte(const struct spte_masks *m, u64 huge_spte, unsigned child_level,
			      unsigned index, bool exec_allowed, bool nx_huge_pages)
{
	u64 child_spte = huge_spte;

	/* index * KVM_PAGES_PER_HPAGE(child_level) frames further */
	child_spte |= ((u64)index << (9 * (child_level - 1))) << PAGE_SHIFT;
	if (child_level == 1) {
		child_spte &= ~PT_PAGE_SIZE_MASK;
		if (exec_allowed && nx_huge_pages && !is_access_track_spte(m, child_spte))
			child_spte = (child_spte & ~m->nx_mask) | m->x_mask;
	}
	return child_spte;
}

/* make_spte() (spte.c, >= v6.13 shape) */
bool make_spte(const struct spte_masks *m, const struct make_spte_args *a, u64 *new_spte)
{
	unsigned access = a->pte_access;
	unsigned level = a->level;
	/* KVM's "synchronizing" is the inverse of the older can_unsync. */
	bool synchronizing = !a->can_unsync;
	u64 spte = SPTE_MMU_PRESENT_MASK;
	bool wrprot = false;

	/*
	 * A/D type (TDP SPTEs; always "enabled", i.e. 0, for legacy shadow paging).
	 * Write-protect-only is for L2 SPs when PML logs dirty pages
	 * (kvm_mmu_page_ad_need_write_protect); the model has no PML.
	 */
	if (a->role.ad_disabled)
		spte |= SPTE_TDP_AD_DISABLED;

	spte |= m->present_mask;
	/* A pure prefetch leaves A clear: the page was not really accessed. */
	if (!a->prefetch || synchronizing)
		spte |= m->accessed_mask;

	/* NX huge page mitigation (iTLB multihit): huge SPTEs never execute. */
	if (level > 1 && (access & ACC_EXEC) && a->nx_huge_page_workaround)
		access &= ~ACC_EXEC;

	if (access & ACC_EXEC)
		spte |= m->x_mask;
	else
		spte |= m->nx_mask;

	if (access & ACC_USER)
		spte |= m->user_mask;

	if (level > 1)
		spte |= PT_PAGE_SIZE_MASK;

	spte |= mt_mask(m);

	if (a->host_writable)
		spte |= m->host_writable_mask;
	else
		access &= ~ACC_WRITE;

	/* No SME/TDX: shadow_me_value is 0. */
	spte |= ((u64)a->pfn << PAGE_SHIFT) & SPTE_BASE_ADDR_MASK;

	if (access & ACC_WRITE) {
		/*
		 * A writable leaf replacing a writable leaf needs no hash lookup: any
		 * shadow page of this gfn is unsync already. Otherwise the MMU must
		 * unsync the gfn's shadow pages (mmu_try_to_unsync_pages) or map the
		 * page read-only because it is write-tracked.
		 */
		bool skip = is_last_spte(a->old_spte, level) && is_writable_pte(a->old_spte);

		if (!skip && (!a->try_unsync ||
			      a->try_unsync(a->ctx, a->gfn, a->can_unsync, a->prefetch) != 0))
			wrprot = true;
		else
			spte |= PT_WRITABLE_MASK | m->mmu_writable_mask | m->dirty_mask;
	}

	if (a->prefetch && !synchronizing)
		spte = mark_spte_for_access_track(m, spte);

	/* Not modelled: the shadow_zero_check WARN and marking the dirty log. */
	*new_spte = spte;
	return wrprot;
}

/* make_nonleaf_spte() (spte.c) */
u64 make_nonleaf_spte(const struct spte_masks *m, hpa_t child_hpa, bool ad_disabled)
{
	u64 spte = SPTE_MMU_PRESENT_MASK;

	/* Full rights: the leaf SPTEs below restrict access. */
	spte |= (child_hpa & SPTE_BASE_ADDR_MASK) | m->present_mask | PT_WRITABLE_MASK |
		m->user_mask | m->x_mask;
	if (ad_disabled)
		spte |= SPTE_TDP_AD_DISABLED;
	else
		spte |= m->accessed_mask;
	return spte;
}

/* generation_mmio_spte_mask() (spte.c): gen 7:0 -> bits 10:3, gen 18:8 -> bits 62:52. */
static u64 generation_mmio_spte_mask(u64 gen)
{
	u64 lo = gen & 0xffULL;
	u64 hi = (gen >> 8) & 0x7ffULL;

	return (lo << SPTE_MMIO_GEN_LOW_SHIFT) | (hi << SPTE_MMIO_GEN_HIGH_SHIFT);
}

/* make_mmio_spte() (spte.c) */
u64 make_mmio_spte(const struct spte_masks *m, gfn_t gfn, unsigned access, u64 gen)
{
	u64 gpa = gfn << PAGE_SHIFT;
	u64 spte = generation_mmio_spte_mask(gen & MMIO_SPTE_GEN_MASK);

	spte |= m->mmio_value | (access & m->mmio_access_mask);
	spte |= gpa | m->nonpresent_or_rsvd_mask;
	/* L1TF: gfn bits under the mask move 5 bits up (a no-op with the mask 0). */
	spte |= (gpa & m->nonpresent_or_rsvd_mask) << SHADOW_NONPRESENT_OR_RSVD_MASK_LEN;
	return spte;
}

/* get_mmio_spte_generation() (spte.h) */
u64 get_mmio_spte_generation(u64 spte)
{
	u64 lo = (spte >> SPTE_MMIO_GEN_LOW_SHIFT) & 0xffULL;
	u64 hi = (spte >> SPTE_MMIO_GEN_HIGH_SHIFT) & 0x7ffULL;

	return lo | (hi << 8);
}

/* get_mmio_spte_gfn() (mmu.c) */
gfn_t get_mmio_spte_gfn(const struct spte_masks *m, u64 spte)
{
	u64 gpa = spte & lower_gfn_mask(m);

	gpa |= (spte >> SHADOW_NONPRESENT_OR_RSVD_MASK_LEN) & m->nonpresent_or_rsvd_mask;
	return gpa >> PAGE_SHIFT;
}

/* get_mmio_spte_access() (mmu.c) */
unsigned get_mmio_spte_access(const struct spte_masks *m, u64 spte)
{
	return (unsigned)(spte & m->mmio_access_mask);
}

/* mark_spte_for_access_track() (spte.c) */
u64 mark_spte_for_access_track(const struct spte_masks *m, u64 spte)
{
	/* With A/D the hardware sets A again on the next access. */
	if (spte_ad_enabled(spte))
		return spte & ~m->accessed_mask;
	if (is_access_track_spte(m, spte))
		return spte;
	/* Without A/D: save R and X in bits 54/56, then make the SPTE not present
	 * to the hardware; the next access faults and fast_page_fault restores it. */
	spte |= (spte & ACC_TRACK_SAVED_BITS) << SHADOW_ACC_TRACK_SAVED_BITS_SHIFT;
	spte &= ~(m->acc_track_mask | m->accessed_mask);
	return spte;
}

/* restore_acc_track_spte() (spte.h): R and X back; W only through fast_page_fault. */
u64 restore_acc_track_spte(const struct spte_masks *m, u64 spte)
{
	u64 saved = (spte >> SHADOW_ACC_TRACK_SAVED_BITS_SHIFT) & ACC_TRACK_SAVED_BITS;

	spte &= ~m->acc_track_mask;
	spte &= ~(ACC_TRACK_SAVED_BITS << SHADOW_ACC_TRACK_SAVED_BITS_SHIFT);
	return spte | saved;
}

/* The r/x/u computations of TRACE_EVENT(kvm_mmu_set_spte)'s TP_fast_assign (mmutrace.h). */
void spte_rwxu(const struct spte_masks *m, u64 spte, bool *r, bool *w, bool *x, bool *u)
{
	/* "r": any present mask counts (so always r in practice), else bit 0. */
	*r = m->present_mask != 0 || (spte & PT_PRESENT_MASK) != 0;
	*w = (spte & PT_WRITABLE_MASK) != 0;
	*x = is_executable_pte(m, spte);
	*u = (spte & m->user_mask) != 0;
}
