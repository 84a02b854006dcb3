/* SPDX-License-Identifier: MIT */
/*
 * Internals of the shadow-page model shared by mmu/page.c, mmu/rmap.c,
 * mmu/page_zap.c and mmu/kv.c: the hash maps that stand in for KVM's per-memslot
 * arrays, the rmap and parent-pointer lists, and the helpers the files call on
 * each other. Nothing outside mmu/ includes this.
 */
#ifndef MSC_MMU_PAGE_PRIV_H
#define MSC_MMU_PAGE_PRIV_H

#include "mmu/page.h"

/* PG_LEVEL_* (pgtable_types.h): 4K leaves are level 1. */
#define PG_LEVEL_4K 1
#define SPTE_LEVEL_BITS 9 /* SPTE_LEVEL_BITS: index bits per level */
#define PG_LEVEL_2M 2
#define PG_LEVEL_1G 3
#define KVM_MAX_HUGEPAGE_LEVEL PG_LEVEL_1G
#define PT_WRITABLE_MASK BIT_ULL(1) /* W in legacy/NPT and EPT SPTEs alike */

/* Page-frame index of each level's "huge page" region: KVM_HPAGE_GFN_SHIFT(). */
static inline gfn_t gfn_region(gfn_t gfn, unsigned level)
{
	return gfn >> (9 * (level - 1));
}

/*
 * kv.c -- an open-addressing map (linear probing, backward-shift deletion) from a
 * two-part key to a small value. KVM indexes flat arrays per memslot
 * (slot->arch.rmap[level][idx], gfn_write_track[idx], lpage_info[level][idx]);
 * the model keys the same data by address space instead of by slot, which is the
 * same thing as long as one gfn lies in at most one slot per address space (it
 * does: slots of an address space do not overlap).
 *
 *   map       idx                         tag
 *   rmap      gfn >> 9*(level-1)          as | level << 8
 *   wtrack    gfn                         as
 *   lpage     gfn >> 9*(level-1)          as | level << 8
 *
 * An entry pointer stays valid until the next insertion into or removal from
 * the same map (either may move entries).
 */
struct kv_ent {
	u64 idx;
	u32 tag;
	u32 used;
	union {
		struct kvm_rmap_head rmap;
		u32 count;
	} v;
};

struct kv_map {
	struct kv_ent *ents;
	u64 cap; /* a power of two, or 0 before the first insertion */
	u64 n;
};

struct mmu_kv {
	struct kv_map rmap; /* kvm_rmap_head per (as, level, region) */
	struct kv_map wtrack; /* gfn_write_track counts per (as, gfn) */
	struct kv_map lpage; /* lpage_info.disallow_lpage counts per (as, level, region) */
};

static inline u32 kv_tag(u8 as, unsigned level)
{
	return (u32)as | (u32)level << 8;
}

/* The entry for (@idx, @tag), or NULL. */
struct kv_ent *kv_lookup(const struct kv_map *m, u64 idx, u32 tag);
/* The entry for (@idx, @tag), created with a zero value when missing. */
struct kv_ent *kv_insert(struct kv_map *m, u64 idx, u32 tag);
/* Remove @e (from kv_lookup/kv_insert on @m). */
void kv_remove(struct kv_map *m, struct kv_ent *e);
void kv_map_free(struct kv_map *m);

/* Add @delta to the count at (@idx, @tag); a count reaching 0 is removed. */
void kv_count_add(struct kv_map *m, u64 idx, u32 tag, int delta);
u32 kv_count_get(const struct kv_map *m, u64 idx, u32 tag);

/* calloc() that cannot fail: KVM takes these objects from memory caches topped up
 * before mmu_lock is taken, so no MMU operation fails half-way; the model aborts
 * when the host itself is out of memory. */
void *mmu_zalloc(size_t n);

/* rmap.c -- pte_list_desc chains (rmaps and parent_ptes). */
unsigned pte_list_add(struct kvm_rmap_head *head, u64 sptep);
void pte_list_remove(struct kvm_rmap_head *head, u64 sptep);
unsigned pte_list_count(const struct kvm_rmap_head *head);
/* First/next sptep in KVM's for_each_rmap_spte() order (0 at the end). */
struct rmap_iter {
	const struct pte_list_desc *desc;
	unsigned pos;
};
u64 rmap_get_first(const struct kvm_rmap_head *head, struct rmap_iter *it);
u64 rmap_get_next(struct rmap_iter *it);

/* kvm_mmu_slot_gfn_write_protect(): returns whether to flush; *changed counts. */
bool mmu_slot_gfn_write_protect(struct mmu_vm *vm, u8 as, gfn_t gfn, unsigned min_level,
				unsigned *changed);
/* Teardown helpers: free every rmap chain / one chain's descriptors. */
void mmu_rmaps_free(struct mmu_vm *vm);
void mmu_pte_list_free(struct kvm_rmap_head *head);

/* drop_parent_pte(): unlink @sptep from @child's parents and clear it. */
void drop_parent_pte(struct mmu_vm *vm, struct kvm_mmu_page *child, u64 sptep);
/* The SP whose table a present non-leaf SPTE points at (spte_to_child_sp()). */
struct kvm_mmu_page *spte_to_child_sp(const struct mmu_vm *vm, u64 spte);
/* mmu_page_zap_pte(): @invalid_list may be NULL (no recursive zap). Returns the
 * number of child SPs it zapped. */
int mmu_page_zap_pte(struct mmu_vm *vm, struct kvm_mmu_page *sp, u64 sptep,
		     struct mlist *invalid_list);
/* trace_kvm_mmu_set_spte(level, gfn, sptep): the SPTE as it is now. */
void mmu_emit_set_spte(const struct mmu_vm *vm, u64 sptep, unsigned level, gfn_t gfn);
/* mmu_spte_update(): store @new_spte (same pfn); true when TLBs must be flushed. */
bool mmu_spte_update(struct mmu_vm *vm, u64 sptep, u64 new_spte);
/* KVM's make_spte() for a leaf of @sp (mmu/rmap.c): the unsync hook in the SP's
 * address space, skipped when @synchronizing. Returns wrprot. */
bool mmu_make_spte(struct mmu_vm *vm, const struct kvm_mmu_page *sp, unsigned pte_access, gfn_t gfn,
		   hfn_t pfn, u64 old_spte, bool prefetch, bool synchronizing, bool host_writable,
		   u64 *new_spte);
/* trace_mark_mmio_spte(sptep, gfn, spte). */
void mmu_emit_mark_mmio_spte(const struct mmu_vm *vm, u64 sptep, gfn_t gfn, u64 spte);
/* mark_mmio_spte(): an MMIO SPTE for @gfn/@access in @sp with the current
 * generation of the SP's address space, traced. */
void mark_mmio_spte(struct mmu_vm *vm, struct kvm_mmu_page *sp, u64 sptep, gfn_t gfn,
		    unsigned access);
/* Set an SPTE (SHADOW_NONPRESENT_VALUE to clear). */
void spte_store(struct mmu_vm *vm, u64 sptep, u64 val);
u64 spte_load(const struct mmu_vm *vm, u64 sptep);

/* page.c */
/* kvm_flush_remote_tlbs() and its _gfn/_range/_sptep forms (all the same without
 * a Hyper-V range flush). */
void mmu_flush_remote_tlbs(struct mmu_vm *vm);
/* A page event (GET_PAGE, SYNC_PAGE, UNSYNC_PAGE, PREPARE_ZAP) with @sp as now. */
void mmu_emit_page(const struct mmu_vm *vm, enum mmu_ev_kind kind, const struct kvm_mmu_page *sp,
		   bool created);
/* kvm_update_page_stats(). */
void mmu_update_page_stats(struct mmu_vm *vm, unsigned level, int delta);
/* track_possible_nx_huge_page(): on the (unmodelled) list, nx_lpage_splits++. */
void mmu_track_possible_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp);
/* account_nx_huge_page(): the SP replaces a huge page an exec fault could not map. */
void mmu_account_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp, bool possible);
/* unaccount_nx_huge_page(): flag cleared, off the list (nx_lpage_splits--). */
void mmu_unaccount_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp);
/* unaccount_shadowed(). */
void unaccount_shadowed(struct mmu_vm *vm, struct kvm_mmu_page *sp);
/* set_page_private(): @sp's table page leads back to @sp (sptep_to_sp()). */
void mmu_set_page_private(struct mmu_vm *vm, struct kvm_mmu_page *sp);
/* A table page from hmem, every entry SHADOW_NONPRESENT_VALUE; 0 or hmem's error. */
int mmu_alloc_table(struct mmu_vm *vm, hpa_t *hpa);
/* kvm_mmu_free_shadow_page(). */
void mmu_free_shadow_page(struct mmu_vm *vm, struct kvm_mmu_page *sp);
/* kvm_mmu_prepare_zap_page(): __kvm_mmu_prepare_zap_page() without the count. */
bool mmu_prepare_zap(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list);

/* for_each_valid_sp() over the bucket of @gfn: is @sp valid and does it shadow
 * the guest table at @gfn (for_each_gfn_valid_sp_with_gptes())? */
bool sp_valid_with_gptes_at(const struct mmu_vm *vm, const struct kvm_mmu_page *sp, gfn_t gfn);

static inline struct kvm_mmu_page *sp_of_hash_link(struct mlist *l)
{
	return mlist_entry(l, struct kvm_mmu_page, hash_link);
}

static inline struct kvm_mmu_page *sp_of_link(struct mlist *l)
{
	return mlist_entry(l, struct kvm_mmu_page, link);
}

#endif
