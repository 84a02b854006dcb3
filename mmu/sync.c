/* SPDX-License-Identifier: MIT */
/*
 * Synchronising unsync shadow pages with the guest's tables (arch/x86/kvm/mmu/
 * mmu.c, paging_tmpl.h): FNAME(sync_spte) for PTTYPE 64, 32 and EPT, kvm_sync_page()'s
 * __kvm_sync_page() and kvm_sync_page_check(), kvm_mmu_sync_roots(),
 * kvm_mmu_sync_prev_roots(), the MMU part of kvm_vcpu_flush_tlb_guest(), and the
 * INVLPG / INVPCID-address path kvm_mmu_invalidate_addr(). Not modelled: the
 * MMIO info cache (vcpu_clear_mmio_info()), the vendor's hardware TLB flushes
 * (flush_tlb_gva, flush_tlb_guest) and the dirty log of make_spte().
 */
#include "mmu/sync.h"

#include "cpu/mem.h"
#include "cpu/walk.h"
#include "mmu/page_priv.h"
#include "mmu/shadow_walk.h"

/* Guest PTE bits (PT_*_MASK, PT_GUEST_*_MASK of PTTYPE 64/32). */
#define GPTE_P BIT_ULL(0)
#define GPTE_W BIT_ULL(1)
#define GPTE_U BIT_ULL(2)
#define GPTE_A BIT_ULL(5)
#define GPTE_D BIT_ULL(6)
#define GPTE_NX BIT_ULL(63)
/* PT_BASE_ADDR_MASK of PTTYPE 64 (__PT_BASE_ADDR_MASK) and PTTYPE 32. */
#define PT64_GPTE_ADDR_MASK GENMASK_ULL(51, 12)
#define PT32_GPTE_ADDR_MASK GENMASK_ULL(31, 12)

#define VALID_PAGE(x) ((x) != INVALID_PAGE)
#define IS_VALID_PAE_ROOT(x) ((x) != INVALID_PAE_ROOT)

/* rsvd_bits(s, e) (mmu.h). */
static u64 rsvd_bits(unsigned s, unsigned e)
{
	return e < s ? 0 : GENMASK_ULL(e, s);
}

/*
 * guest_rsvd_check.rsvd_bits_mask[bit7][0] as __reset_rsvds_bits_mask() sets it
 * for the guest's 4K PTEs (bit 7 is PAT there: both halves are the same):
 * 2-level paging has none; PAE reserves MAXPHYADDR..62, 4/5-level
 * MAXPHYADDR..51, both plus bit 63 without EFER.NX.
 */
static u64 gpte_rsvd_mask_4k(const struct mmu_vcpu *v)
{
	const union kvm_cpu_role role = v->mmu->cpu_role;
	u64 pa_bits_rsvd = rsvd_bits(v->guest_maxphyaddr, 63); /* vcpu->arch.reserved_gpa_bits */
	u64 exb_bit_rsvd = role.base.efer_nx ? 0 : rsvd_bits(63, 63);
	u64 high_bits_rsvd;

	switch (role.base.level) {
	case PT32E_ROOT_LEVEL:
		high_bits_rsvd = pa_bits_rsvd & rsvd_bits(0, 62);
		break;
	case PT64_ROOT_4LEVEL:
	case PT64_ROOT_5LEVEL:
		high_bits_rsvd = pa_bits_rsvd & rsvd_bits(0, 51);
		break;
	default: /* PT32_ROOT_LEVEL: no reserved bits in 2-level 4K PTEs */
		return 0;
	}
	return exb_bit_rsvd | high_bits_rsvd;
}

/* FNAME(gpte_access): W, U, and exec = !NX (a 4-byte gpte has no NX bit). */
static unsigned gpte_access(u64 gpte)
{
	unsigned access = 0;

	if (gpte & GPTE_W)
		access |= ACC_WRITE;
	if (gpte & GPTE_U)
		access |= ACC_USER;
	if (!(gpte & GPTE_NX))
		access |= ACC_EXEC;
	return access;
}

/* FNAME(protect_clean_gpte): no W until the guest's Dirty bit is set (legacy
 * formats always have A/D, PT_HAVE_ACCESSED_DIRTY). */
static void protect_clean_gpte(unsigned *access, u64 gpte)
{
	if (!(gpte & GPTE_D))
		*access &= ~ACC_WRITE;
}

/*
 * FNAME(prefetch_invalid_gpte): not present, not Accessed, or reserved bits set
 * at level 1 (FNAME(is_rsvd_bits_set)(mmu, gpte, PG_LEVEL_4K)) -> drop_spte().
 */
static bool prefetch_invalid_gpte(struct mmu_vcpu *v, u64 sptep, u64 gpte)
{
	if (!(gpte & GPTE_P) || !(gpte & GPTE_A) || (gpte & gpte_rsvd_mask_4k(v))) {
		mmu_zap_spte(v->vm, sptep); /* drop_spte() */
		return true;
	}
	return false;
}

/* EPT gpte bits (PTTYPE_EPT): R/W/X, Accessed and Dirty when the EPTP enables them. */
#define EPT_GPTE_R BIT_ULL(0)
#define EPT_GPTE_W BIT_ULL(1)
#define EPT_GPTE_X BIT_ULL(2)
#define EPT_GPTE_A BIT_ULL(8)
#define EPT_GPTE_D BIT_ULL(9)

/* FNAME(gpte_access) of PTTYPE_EPT: W, X, and R as ACC_USER. */
static unsigned ept_gpte_access(u64 gpte)
{
	return ((gpte & EPT_GPTE_W) ? ACC_WRITE : 0) | ((gpte & EPT_GPTE_X) ? ACC_EXEC : 0) |
	       ((gpte & EPT_GPTE_R) ? ACC_USER : 0);
}

/*
 * FNAME(prefetch_invalid_gpte) of PTTYPE_EPT: not present (RWX all 0), not
 * Accessed when L1's EPTP enables A/D, reserved bits at level 1 or a bad XWR
 * combination (write without read; execute-only without the capability).
 */
static bool ept_prefetch_invalid_gpte(struct mmu_vcpu *v, u64 sptep, u64 gpte)
{
	const struct walk_cfg *cfg = &v->nested_tdp;
	u64 xwr = gpte & 7u;
	bool bad = !xwr || (cfg->ept_ad && !(gpte & EPT_GPTE_A)) ||
		   (gpte & walk_rsvd_mask(cfg, 1, false)) || xwr == 2u || xwr == 6u ||
		   (xwr == 4u && !cfg->ept_execonly);

	if (bad)
		mmu_zap_spte(v->vm, sptep); /* drop_spte() */
	return bad;
}

/* FNAME(get_level1_sp_gpa): a 4-byte-gpte table is shadowed by 4 SPs, one per
 * quadrant of 512 gptes. */
static gpa_t get_level1_sp_gpa(const struct kvm_mmu_page *sp)
{
	u64 offset = 0;

	if (sp->role.has_4_byte_gpte)
		offset = (u64)sp->role.quadrant << SPTE_LEVEL_BITS;
	return (sp->gfn << PAGE_SHIFT) + offset * 4;
}

/* sync_mmio_spte(): an MMIO SPTE of another gfn is cleared, otherwise re-marked
 * with the new access and the current generation; either way it is handled. */
static bool sync_mmio_spte(struct mmu_vcpu *v, u64 sptep, gfn_t gfn, unsigned access)
{
	u64 spte = spte_load(v->vm, sptep);

	if (!is_mmio_spte(&v->vm->masks, spte))
		return false;
	if (gfn != get_mmio_spte_gfn(&v->vm->masks, spte)) {
		spte_store(v->vm, sptep, SHADOW_NONPRESENT_VALUE); /* mmu_spte_clear_no_track() */
		return true;
	}
	mark_mmio_spte(v->vm, mmu_sptep_to_sp(v->vm, sptep), sptep, gfn, access);
	return true;
}

/* kvm_mmu_page_set_access(): keep the gfn, replace the access. */
static void mmu_page_set_access(struct kvm_mmu_page *sp, unsigned i, unsigned access)
{
	if (mmu_sp_has_gptes(sp))
		sp->shadowed_translation[i] = mmu_page_get_gfn(sp, i) << PAGE_SHIFT | access;
}

/* kvm_sync_spte() + FNAME(sync_spte) (paging_tmpl.h, PTTYPE 64 and 32). */
int mmu_sync_spte(struct mmu_vcpu *v, struct kvm_mmu_page *sp, unsigned i)
{
	struct mmu_vm *vm = v->vm;
	u64 sptep = sp->spt + (u64)i * 8;
	u64 spte = spte_load(vm, sptep);
	/* kvm_vcpu_read_guest_atomic(): the vCPU's memslots, i.e. root_role.smm
	 * (kvm_sync_page_check() makes that sp->role.smm). */
	u8 as = (u8)v->mmu->root_role.smm;
	unsigned pte_access;
	gpa_t pte_gpa;
	u64 gpte, new_spte;
	gfn_t gfn;

	/* kvm_sync_spte(): an entry still at its initial value has nothing to sync.
	 * On 64-bit hosts that is SHADOW_NONPRESENT_VALUE, the only non-present
	 * value besides MMIO SPTEs (which FNAME(sync_spte) does handle). */
	if (i >= SPTE_ENT_PER_PAGE ||
	    (!is_shadow_present_pte(spte) && !is_mmio_spte(&vm->masks, spte)))
		return 0;
	if (!sp->shadowed_translation) /* WARN_ON_ONCE */
		return 0;

	pte_gpa = get_level1_sp_gpa(sp);
	if (sp->role.has_4_byte_gpte) {
		u32 g32;

		if (gmem_read32(vm->gmem, as, pte_gpa + (u64)i * 4, &g32))
			return -1;
		gpte = g32;
	} else {
		if (gmem_read64(vm->gmem, as, pte_gpa + (u64)i * 8, &gpte))
			return -1;
	}

	if (v->mmu->ept_gptes ? ept_prefetch_invalid_gpte(v, sptep, gpte)
			      : prefetch_invalid_gpte(v, sptep, gpte))
		return 1;

	/* gpte_to_gfn(): bits 51:12 (31:12 for 4-byte gptes); bits above the
	 * guest's MAXPHYADDR were refused as reserved just above. */
	gfn = (gpte & (sp->role.has_4_byte_gpte ? PT32_GPTE_ADDR_MASK : PT64_GPTE_ADDR_MASK)) >>
	      PAGE_SHIFT;
	if (v->mmu->ept_gptes) {
		/* FNAME(protect_clean_gpte) of PTTYPE_EPT: only with L1's EPT A/D. */
		pte_access = sp->role.access & ept_gpte_access(gpte);
		if (v->nested_tdp.ept_ad && !(gpte & EPT_GPTE_D))
			pte_access &= ~ACC_WRITE;
	} else {
		pte_access = sp->role.access & gpte_access(gpte);
		protect_clean_gpte(&pte_access, gpte);
	}

	if (sync_mmio_spte(v, sptep, gfn, pte_access))
		return 0;

	/* RWX=0 without a present bit (EPT exec-only only) or another gfn: drop. */
	if ((!pte_access && !vm->masks.present_mask) || gfn != mmu_page_get_gfn(sp, i)) {
		mmu_zap_spte(vm, sptep); /* drop_spte() */
		return 1;
	}
	/* Unchanged permissions: the SPTE stays as it is (A/D bits included). */
	if (mmu_page_get_access(sp, i) == pte_access)
		return 0;

	mmu_page_set_access(sp, i, pte_access);

	/* make_spte(prefetch, synchronizing) from the SPTE's pfn and host-writable bit. */
	(void)mmu_make_spte(vm, sp, pte_access, gfn, spte_to_pfn(spte), spte, true, true,
			    (spte & vm->masks.host_writable_mask) != 0, &new_spte);
	/* Same pfn and gfn, still a present leaf: rmap and page stats unchanged. */
	return mmu_spte_update(vm, sptep, new_spte) ? 1 : 0;
}

/*
 * kvm_sync_page_check(): only an indirect SP of the current MMU's role (level,
 * access, quadrant and passthrough aside) can be synced; a direct MMU has no
 * sync_spte. KVM WARNs on a failure; the caller zaps the SP.
 */
static bool sync_page_check(const struct mmu_vcpu *v, const struct kvm_mmu_page *sp)
{
	const u32 sync_role_ign = ROLE_LEVEL_MASK << ROLE_LEVEL_SHIFT |
				  ROLE_ACCESS_MASK << ROLE_ACCESS_SHIFT |
				  ROLE_QUADRANT_MASK << ROLE_QUADRANT_SHIFT | (u32)ROLE_PASSTHROUGH;
	union kvm_mmu_page_role root_role = v->mmu->root_role;

	if (sp->role.direct || root_role.direct ||
	    ((sp->role.word ^ root_role.word) & ~sync_role_ign))
		return false;
	return true;
}

/*
 * __kvm_sync_page(). As in KVM, only a result below -1 stops the loop: a gpte
 * that cannot be read (-1) leaves every bit of flush set, the remaining
 * entries are still synced, and the -1 returned makes kvm_sync_page() zap the
 * page.
 */
int mmu_sync_page(struct mmu_vcpu *v, struct kvm_mmu_page *sp)
{
	int flush = 0;

	if (!sync_page_check(v, sp))
		return -1;
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		int ret = mmu_sync_spte(v, sp, i);

		if (ret < -1)
			return -1;
		flush |= ret;
	}
	return flush;
}

/* is_unsync_root(): a valid SP-backed root that is (or has) unsync pages. */
static bool is_unsync_root(const struct mmu_vcpu *v, hpa_t root)
{
	const struct kvm_mmu_page *sp;

	if (!VALID_PAGE(root) || mmu_is_dummy_root(v, root))
		return false;
	sp = mmu_root_to_sp(v->vm, root);
	if (!sp) /* WARN_ON_ONCE: PAE roots are synced per entry */
		return false;
	return sp->unsync || sp->unsync_children;
}

/* kvm_mmu_sync_roots() */
void mmu_sync_roots(struct mmu_vcpu *v)
{
	struct kvm_mmu *mmu = v->mmu;
	struct mmu_vm *vm = v->vm;
	const u64 *pae_root;

	if (mmu->root_role.direct)
		return;
	if (!VALID_PAGE(mmu->root.hpa))
		return;
	if (mmu->cpu_role.base.level >= PT64_ROOT_4LEVEL) {
		if (!is_unsync_root(v, mmu->root.hpa))
			return;
		(void)mmu_sync_children(vm, mmu_root_to_sp(vm, mmu->root.hpa), true);
		return;
	}
	pae_root = mmu->pae_root ? hmem_ptr(vm->hmem, mmu->pae_root) : NULL;
	for (unsigned i = 0; pae_root && i < 4; i++) {
		struct kvm_mmu_page *sp;

		if (!IS_VALID_PAE_ROOT(pae_root[i]))
			continue;
		sp = spte_to_child_sp(vm, pae_root[i]);
		if (sp)
			(void)mmu_sync_children(vm, sp, true);
	}
}

/* kvm_mmu_sync_prev_roots(): prev roots are synced by freeing them. */
void mmu_sync_prev_roots(struct mmu_vcpu *v)
{
	unsigned roots_to_free = 0;

	for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		if (is_unsync_root(v, v->mmu->prev_roots[i].hpa))
			roots_to_free |= (unsigned)KVM_MMU_ROOT_PREVIOUS(i);
	}
	mmu_free_roots(v, v->mmu, roots_to_free);
}

/* kvm_vcpu_flush_tlb_guest(): the MMU part (the vendor flush is the caller's). */
void mmu_flush_tlb_guest(struct mmu_vcpu *v)
{
	v->tlb_flush++;
	if (!v->tdp_enabled) {
		mmu_sync_roots(v);
		mmu_sync_prev_roots(v);
	}
}

/* __kvm_mmu_invalidate_addr() (kvm_mmu_invalidate_addr_in_root() in newer KVM). */
static void invalidate_addr_in_root(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 addr,
				    hpa_t root_hpa)
{
	struct shadow_walk_iterator it;

	/* WARN_ON_ONCE(mmu != vcpu->arch.mmu): syncing needs the current MMU. */
	if (mmu != v->mmu || !VALID_PAGE(root_hpa))
		return;
	for (shadow_walk_init_using_root(&it, v, root_hpa, addr); shadow_walk_okay(&it);
	     shadow_walk_next(&it, v->vm)) {
		struct kvm_mmu_page *sp = mmu_sptep_to_sp(v->vm, it.sptep);

		/* The model's dummy root is no SP's table (nothing below it is present). */
		if (!sp)
			break;
		if (sp->unsync) {
			int ret = mmu_sync_spte(v, sp, it.index);

			if (ret < 0)
				mmu_page_zap_pte(v->vm, sp, it.sptep, NULL);
			if (ret)
				mmu_flush_remote_tlbs(v->vm); /* kvm_flush_remote_tlbs_sptep() */
		}
		if (!sp->unsync_children)
			break;
	}
}

/* kvm_mmu_invalidate_addr(): the non-canonical check and the hardware TLB flush
 * are mmu_invlpg()'s caller's (the guest_mmu takes GPAs and skips both). */
void mmu_invalidate_addr(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 addr, unsigned roots)
{
	/* !mmu->sync_spte: direct MMUs (TDP, a non-paging guest) have nothing to sync. */
	if (mmu->root_role.direct)
		return;
	if (roots & KVM_MMU_ROOT_CURRENT)
		invalidate_addr_in_root(v, mmu, addr, mmu->root.hpa);
	for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		if (roots & KVM_MMU_ROOT_PREVIOUS(i))
			invalidate_addr_in_root(v, mmu, addr, mmu->prev_roots[i].hpa);
	}
}

/*
 * kvm_mmu_invlpg(). A non-canonical address makes kvm_mmu_invalidate_addr()
 * return before anything is synced, but kvm_mmu_invlpg() still counts it: the
 * canonical check moved out of kvm_mmu_invlpg() into the invalidate path
 * (kvm_mmu_invalidate_gva(), 2020) and the stat has been unconditional since.
 */
void mmu_invlpg(struct mmu_vcpu *v, u64 gva, bool canonical)
{
	if (canonical)
		mmu_invalidate_addr(v, v->walk_mmu, gva, KVM_MMU_ROOTS_ALL);
	++v->invlpg;
}

/* kvm_get_pcid(): CR3[11:0] with CR4.PCIDE, else 0. */
static u16 get_pcid(u64 pgd, bool pcide)
{
	return pcide ? (u16)(pgd & 0xfff) : 0;
}

/* kvm_mmu_invpcid_gva() */
void mmu_invpcid_gva(struct mmu_vcpu *v, u64 gva, u16 pcid, u16 active_pcid, bool pcide)
{
	struct kvm_mmu *mmu = v->mmu;
	unsigned roots = 0;

	if (pcid == active_pcid)
		roots |= (unsigned)KVM_MMU_ROOT_CURRENT;
	for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		if (VALID_PAGE(mmu->prev_roots[i].hpa) &&
		    pcid == get_pcid(mmu->prev_roots[i].pgd, pcide))
			roots |= (unsigned)KVM_MMU_ROOT_PREVIOUS(i);
	}
	if (roots)
		mmu_invalidate_addr(v, mmu, gva, roots);
	++v->invlpg;
}
