/* SPDX-License-Identifier: MIT */
/*
 * KVM's SPTE format (arch/x86/kvm/mmu/spte.h, spte.c): the bits KVM puts in its
 * own shadow/TDP page-table entries, for legacy/NPT and for EPT, and the
 * functions that build them. SPTEs are real x86 or EPT entries: the simulated
 * CPU walks them with cpu/'s walker.
 *
 *   bit    legacy/NPT SPTE             EPT SPTE
 *   0      P (present)                 R
 *   1      W                           W
 *   2      U                           X
 *   5:3    PWT/PCD, A=5                memory type
 *   6      D                           IPAT
 *   7      PS                          PS
 *   8      (G)                         A
 *   9      host-writable               D
 *   10     MMU-writable                --
 *   11     SPTE_MMU_PRESENT_MASK       SPTE_MMU_PRESENT_MASK
 *   51:12  PFN                         PFN
 *   53:52  A/D type (TDP): 0 enabled, 1 disabled, 2 write-protect only
 *   54,56  saved R/X of access-tracked SPTEs
 *   57/58  --                          host-writable / MMU-writable
 *   63     NX                          suppress #VE; SHADOW_NONPRESENT_VALUE
 */
#ifndef MSC_MMU_SPTE_H
#define MSC_MMU_SPTE_H

#include "cpu/types.h"
#include "mmu/role.h"

#define SPTE_MMU_PRESENT_MASK BIT_ULL(11)
#define SHADOW_NONPRESENT_VALUE BIT_ULL(63) /* a non-present SPTE on 64-bit hosts (>= v6.10) */
#define SPTE_TDP_AD_SHIFT 52
#define SPTE_TDP_AD_MASK (3ULL << SPTE_TDP_AD_SHIFT)
#define SPTE_TDP_AD_ENABLED 0ULL
#define SPTE_TDP_AD_DISABLED (1ULL << SPTE_TDP_AD_SHIFT)
#define SPTE_TDP_AD_WRPROT_ONLY (2ULL << SPTE_TDP_AD_SHIFT)
#define SHADOW_ACC_TRACK_SAVED_BITS_SHIFT 54
#define DEFAULT_SPTE_HOST_WRITABLE BIT_ULL(9)
#define DEFAULT_SPTE_MMU_WRITABLE BIT_ULL(10)
#define EPT_SPTE_HOST_WRITABLE BIT_ULL(57)
#define EPT_SPTE_MMU_WRITABLE BIT_ULL(58)
#define SPTE_BASE_ADDR_MASK GENMASK_ULL(51, 12)
#define SPTE_MMIO_GEN_LOW_SHIFT 3 /* gen bits 7:0 -> SPTE bits 10:3 */
#define SPTE_MMIO_GEN_HIGH_SHIFT 52 /* gen bits 18:8 -> SPTE bits 62:52 */
#define MMIO_SPTE_GEN_BITS 19
#define MMIO_SPTE_GEN_MASK GENMASK_ULL(MMIO_SPTE_GEN_BITS - 1, 0)
/* VMX_EPT_SUPPRESS_VE_BIT: in EPT's present mask and MMIO mask since v6.10. */
#define SPTE_EPT_SUPPRESS_VE BIT_ULL(63)
/* VMX_EPT_MISCONFIG_WX_VALUE: XWR = 110b, the EPT MMIO SPTE value. */
#define SPTE_EPT_MISCONFIG_WX 0x6ULL
/* SHADOW_NONPRESENT_OR_RSVD_MASK_LEN: width of the L1TF mask (0 in the model). */
#define SHADOW_NONPRESENT_OR_RSVD_MASK_LEN 5

/* KVM_PFN_NOSLOT (kvm_host.h): the pfn of a gfn outside every memslot; a leaf
 * for it becomes an MMIO SPTE (mmu_set_spte() -> mark_mmio_spte()). */
#define KVM_PFN_NOSLOT (1ULL << 63)

/* RET_PF_* (mmu_internal.h). */
enum ret_pf {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,
	RET_PF_EMULATE,
	RET_PF_INVALID,
	RET_PF_FIXED,
	RET_PF_SPURIOUS,
};

/* The masks KVM configures once per host (kvm_mmu_reset_all_pte_masks() for
 * legacy/NPT, kvm_mmu_set_ept_masks() for EPT). */
struct spte_masks {
	bool ept;
	u8 host_maxphyaddr;
	bool ad_enabled; /* hardware A/D bits in use (kvm_ad_enabled) */
	u64 present_mask; /* legacy: P; EPT: (exec-only ? 0 : R) | suppress-#VE */
	u64 user_mask; /* legacy: U; EPT: R */
	u64 accessed_mask, dirty_mask;
	u64 nx_mask, x_mask;
	u64 host_writable_mask, mmu_writable_mask;
	u64 acc_track_mask; /* bits cleared to access-track an A/D-less SPTE */
	u64 mmio_value, mmio_mask, mmio_access_mask;
	u64 nonpresent_or_rsvd_mask; /* L1TF (0 in the model: an unaffected host) */
};

/* kvm_mmu_reset_all_pte_masks(): legacy/NPT SPTEs on a host of @host_maxphyaddr bits. */
void spte_masks_init_legacy(struct spte_masks *m, u8 host_maxphyaddr);
/* kvm_mmu_set_ept_masks(): EPT SPTEs; @has_ad EPT A/D, @has_exec_only. */
void spte_masks_init_ept(struct spte_masks *m, bool has_ad, bool has_exec_only, u8 host_maxphyaddr);

static inline bool is_shadow_present_pte(u64 spte)
{
	return (spte & SPTE_MMU_PRESENT_MASK) != 0;
}

static inline bool is_large_pte(u64 spte)
{
	return (spte & BIT_ULL(7)) != 0;
}

static inline bool is_last_spte(u64 spte, unsigned level)
{
	return level == 1 || is_large_pte(spte);
}

static inline hfn_t spte_to_pfn(u64 spte)
{
	return (spte & SPTE_BASE_ADDR_MASK) >> PAGE_SHIFT;
}

/* enable_mmio_caching: false when the masks have no MMIO value (legacy SPTEs on a
 * 52-bit host): KVM then emulates every MMIO access instead of caching it. */
static inline bool spte_mmio_caching_enabled(const struct spte_masks *m)
{
	return m->mmio_value != 0;
}

bool is_mmio_spte(const struct spte_masks *m, u64 spte);
bool is_access_track_spte(const struct spte_masks *m, u64 spte);
bool is_accessed_spte(const struct spte_masks *m, u64 spte);
bool is_executable_pte(const struct spte_masks *m, u64 spte);
bool is_writable_pte(u64 spte); /* bit 1 */
bool is_mmu_writable_spte(const struct spte_masks *m, u64 spte);
bool spte_ad_enabled(u64 spte);

/*
 * mmu_try_to_unsync_pages() is the MMU's, not the SPTE module's: make_spte()
 * calls it through this hook. Returns 0 (the gfn may be mapped writable), or a
 * negative value (map read-only).
 */
typedef int (*spte_unsync_fn)(void *ctx, gfn_t gfn, bool can_unsync, bool prefetch);

struct make_spte_args {
	union kvm_mmu_page_role role; /* of the SP that holds the SPTE */
	unsigned pte_access; /* ACC_* the guest allows */
	u8 level;
	gfn_t gfn;
	hfn_t pfn; /* host frame backing gfn */
	u64 old_spte;
	bool prefetch;
	bool can_unsync; /* false: KVM's "synchronizing" (FNAME(sync_spte), >= v6.13) */
	bool host_writable;
	bool nx_huge_page_workaround; /* drop exec for huge SPTEs */
	spte_unsync_fn try_unsync; /* may be NULL: never unsync (treat as write-tracked) */
	void *ctx;
};

/*
 * make_spte() (spte.c): the leaf SPTE for @a into *@new_spte. Returns true when
 * the SPTE had to be made read-only ("wrprot": the gfn is write-tracked or could
 * not go unsync), false otherwise.
 */
bool make_spte(const struct spte_masks *m, const struct make_spte_args *a, u64 *new_spte);

/*
 * make_huge_page_split_spte(): entry @index of the table (of @child_level) that
 * replaces the huge SPTE @huge_spte: the same bits, the frame offset by @index
 * pages of @child_level; a 4K child loses PS and, when @exec_allowed under the
 * NX huge page mitigation (@nx_huge_pages), becomes executable again
 * (make_spte_executable(); an access-tracked SPTE is left as it is).
 */
u64 make_huge_page_split_spte(const struct spte_masks *m, u64 huge_spte, unsigned child_level,
			      unsigned index, bool exec_allowed, bool nx_huge_pages);
/* make_nonleaf_spte(): a table entry pointing at the child table at @child_hpa. */
u64 make_nonleaf_spte(const struct spte_masks *m, hpa_t child_hpa, bool ad_disabled);

/* make_mmio_spte(): @gfn with @access (ACC_*) and memslot generation @gen. */
u64 make_mmio_spte(const struct spte_masks *m, gfn_t gfn, unsigned access, u64 gen);
/* get_mmio_spte_generation() (spte.h): the generation stored in an MMIO SPTE. */
u64 get_mmio_spte_generation(u64 spte);
/* get_mmio_spte_gfn() (mmu.c): the gfn stored in an MMIO SPTE. */
gfn_t get_mmio_spte_gfn(const struct spte_masks *m, u64 spte);
/* get_mmio_spte_access() (mmu.c): the ACC_* bits kept in an MMIO SPTE. */
unsigned get_mmio_spte_access(const struct spte_masks *m, u64 spte);

/* mark_spte_for_access_track() / restore_acc_track_spte(). */
u64 mark_spte_for_access_track(const struct spte_masks *m, u64 spte);
u64 restore_acc_track_spte(const struct spte_masks *m, u64 spte);

/* The permission letters KVM's kvm_mmu_set_spte trace prints: r = present mask
 * non-zero or P, w = bit 1, x = is_executable_pte(), u = the user-mask bit (EPT:
 * R). KVM omits u only without a user mask, which no configuration has since EPT
 * took R as its user mask, so u is always printed (EPT included). */
void spte_rwxu(const struct spte_masks *m, u64 spte, bool *r, bool *w, bool *x, bool *u);

#endif
