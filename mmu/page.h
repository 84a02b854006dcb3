/* SPDX-License-Identifier: MIT */
/*
 * Shadow pages and the VM-wide MMU state (arch/x86/kvm/mmu/mmu.c,
 * mmu_internal.h): struct kvm_mmu_page, the 4096-bucket hash, the active list
 * and the page budget, rmaps from gfn to SPTEs, parent pointers, write tracking
 * of shadowed gfns and disallowed large pages per address space, unsync marks,
 * zapping and generations. Every function names the KVM function it follows.
 *
 * SPTE pointers ("sptep") are the simulated host-physical address of the SPTE,
 * so they are deterministic and printable; tables live in an hmem.
 */
#ifndef MSC_MMU_PAGE_H
#define MSC_MMU_PAGE_H

#include "cpu/mem.h"
#include "cpu/types.h"
#include "mmu/event.h"
#include "mmu/list.h"
#include "mmu/role.h"
#include "mmu/spte.h"
#include "mmu/variants.h"

#define KVM_MMU_HASH_SHIFT 12
#define KVM_NUM_MMU_PAGES (1u << KVM_MMU_HASH_SHIFT)
#define KVM_MIN_FREE_MMU_PAGES 5
#define KVM_REFILL_PAGES 25
#define KVM_MIN_ALLOC_MMU_PAGES 64
#define KVM_MEMSLOT_PAGES_TO_MMU_PAGES_RATIO 50
#define PTE_LIST_EXT 14
#define RMAP_RECYCLE_THRESHOLD 1000
#define SPTE_ENT_PER_PAGE 512

/*
 * kvm_rmap_head + pte_list_desc (mmu.c): a list of sptep values. The model keeps
 * KVM's layout -- descriptors of PTE_LIST_EXT entries, only the head one partly
 * filled, removal moving the head's last entry into the hole -- so iteration
 * order (and therefore zap and write-protect order) is KVM's.
 */
struct pte_list_desc {
	struct pte_list_desc *more;
	u32 spte_count; /* entries used in this descriptor */
	u32 tail_count; /* entries in all the descriptors after this one */
	u64 sptes[PTE_LIST_EXT];
};

struct kvm_rmap_head {
	u64 single; /* one sptep when !desc, 0 when empty */
	struct pte_list_desc *desc; /* the chain when there are more */
};

/* struct kvm_mmu_page (mmu_internal.h, ~v6.8). */
struct kvm_mmu_page {
	struct mlist link; /* on vm->active_mmu_pages (or an invalid list) */
	struct mlist hash_link; /* in vm->mmu_page_hash[bucket] */
	bool tdp_mmu_page;
	/* TDP MMU roots: invalidated, its zap not done yet (kvm_tdp_mmu_invalidate_all_roots()). */
	bool tdp_mmu_scheduled_root_to_zap;
	bool unsync;
	u8 mmu_valid_gen;
	bool nx_huge_page_disallowed;
	/* On kvm->arch.possible_nx_huge_pages (the list itself, and its recovery
	 * worker, are not modelled): counted in nx_lpage_splits while set. */
	bool nx_huge_page_possible;
	union kvm_mmu_page_role role;
	gfn_t gfn;
	hpa_t spt; /* the 512-entry table, in the VM's hmem */
	u64 *shadowed_translation; /* per entry gfn << 12 | access; NULL for direct SPs */
	int root_count; /* TDP MMU pages: tdp_mmu_root_count (a union in KVM) */
	unsigned unsync_children;
	struct kvm_rmap_head parent_ptes; /* sptep of every parent entry pointing here */
	u64 unsync_child_bitmap[SPTE_ENT_PER_PAGE / 64];
	unsigned write_flooding_count;
	u32 serial; /* creation order, for deterministic display (not in KVM) */
};

/* Per-VM statistics under KVM's names (kvm_vm_stats_desc, x86.c). */
struct mmu_vm_stats {
	u64 mmu_shadow_zapped, mmu_pte_write, mmu_pde_zapped, mmu_flooded, mmu_recycled;
	u64 mmu_cache_miss, mmu_unsync;
	u64 pages_4k, pages_2m, pages_1g;
	u64 nx_lpage_splits;
	u64 max_mmu_rmap_size, max_mmu_page_hash_collisions;
	u64 remote_tlb_flush, remote_tlb_flush_requests;
};

struct mmu_kv; /* internal hash maps (rmaps, write tracking, lpage info) */

/*
 * The host page backing a guest frame (KVM's gfn -> pfn through the memslot's
 * userspace mapping): returns true and sets *pfn / *writable, or false when no
 * memslot of address space @as holds @gfn.
 */
typedef bool (*mmu_gfn_to_pfn_fn)(void *ctx, u8 as, gfn_t gfn, hfn_t *pfn, bool *writable);

/*
 * Re-read every gpte of an unsync SP and update its SPTEs (kvm_sync_page(), which
 * needs the guest walker of the fault path). Returns > 0 if something changed,
 * 0 if nothing, < 0 if the SP must be zapped. NULL: every sync fails (zap).
 */
typedef int (*mmu_sync_page_fn)(void *ctx, struct kvm_mmu_page *sp);

/* The MMU state KVM keeps in struct kvm_arch. */
struct mmu_vm {
	struct mlist mmu_page_hash[KVM_NUM_MMU_PAGES];
	struct mlist active_mmu_pages;
	u64 n_used_mmu_pages, n_requested_mmu_pages, n_max_mmu_pages;
	u64 indirect_shadow_pages;
	u8 mmu_valid_gen;
	struct mmu_vm_stats stats;
	struct spte_masks masks;
	struct hmem *hmem;
	struct gmem *gmem;
	mmu_gfn_to_pfn_fn gfn_to_pfn;
	mmu_sync_page_fn sync_page;
	void *ctx; /* for gfn_to_pfn and sync_page */
	mmu_sink_fn sink; /* may be NULL */
	void *sink_ctx;
	u32 next_serial;
	struct mmu_kv *kv;
	struct kvm_mmu_page **sp_by_pfn; /* hmem frame -> the SP whose table it is */
	u64 sp_by_pfn_len;
	/* Configuration (mmu_vm_init() sets all false). */
	bool tdp_enabled; /* KVM's tdp_enabled: zap parentless guest_mode children */
	bool nx_huge_pages; /* nx_huge_pages: make_spte() drops exec on huge SPTEs */
	/* The host page size backing the memslots (mmuscope's host_pages): pages of
	 * this level wherever the gfn range is aligned and inside the memslot, as a
	 * hugetlbfs backing (host_pfn_mapping_level()). mmu_vm_init(): PG_LEVEL_4K. */
	u8 host_page_level;
	/* max_huge_page_level (kvm_configure_mmu()): TDP: the vendor's largest TDP
	 * leaf; shadow paging: 1G with the host's GBPAGES, else 2M.
	 * mmu_vm_init(): PG_LEVEL_1G. */
	u8 max_huge_page_level;
	/* 0f38453cdb2e (v7.2): write tracking is checked in both address spaces.
	 * false = the behaviour from 699023e23965 (2015) until that fix. */
	bool write_track_all_as;
	/* KVM behaviour variants in force (bit = enum mmu_variant, mmu/variants.h);
	 * 0 = current KVM. */
	u32 variants;
	/* Requests KVM makes to every vCPU (kvm_make_all_cpus_request()); the vCPU
	 * loop services and clears them. Every remote flush sets req_tlb_flush
	 * (KVM_REQ_TLB_FLUSH reaches the requesting vCPU too); zapping a valid
	 * root or a fast zap sets req_free_obsolete_roots
	 * (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS). */
	bool req_tlb_flush;
	bool req_free_obsolete_roots;
	/* The TDP MMU (mmu/tdp_mmu.h): kvm->arch.tdp_mmu_roots (newest first, linked
	 * through sp->link) and kvm->arch.tdp_mmu_pages (linked non-root pages). */
	struct mlist tdp_mmu_roots;
	u64 tdp_mmu_pages;
};

/*
 * Set up @vm over @hmem (table pages) and @gmem (memslots), with @masks. The
 * budget starts at KVM's default for the memslots present (total pages / 50,
 * at least 64; kvm_mmu_calculate_default_mmu_pages()). Returns 0 or MSC_ENOMEM.
 */
int mmu_vm_init(struct mmu_vm *vm, struct hmem *hmem, struct gmem *gmem,
		const struct spte_masks *masks, mmu_gfn_to_pfn_fn gfn_to_pfn,
		void *ctx) MSC_MUST_CHECK;
/* kvm_mmu_zap_all() then free everything, roots still pinned included. */
void mmu_vm_destroy(struct mmu_vm *vm);

/*
 * A deep copy of @src into @dst (mmuscope's checkpoints, not KVM): every shadow
 * page with its shadowed_translation and parent_ptes, the rmaps, write-tracking
 * and lpage counts, sp_by_pfn, and every list in the same order. The table
 * pages themselves live in @hmem, which must be a copy of src->hmem
 * (hmem_clone()); @gmem is the copy's guest memory. Callbacks are kept as they
 * are: the caller points ctx and sink_ctx at the copy's owner. *@bytes (may be
 * NULL): the host bytes allocated. Returns 0, or MSC_EINVAL (@dst zeroed) when
 * a shadow page is on a list outside the VM (only ever mid-operation).
 */
int mmu_vm_clone(struct mmu_vm *dst, const struct mmu_vm *src, struct hmem *hmem, struct gmem *gmem,
		 u64 *bytes) MSC_MUST_CHECK;

/* The default budget for the memslots now present: pages of every memslot of both
 * address spaces / 50, at least 64 (kvm_arch_commit_memory_region()). */
u64 mmu_default_mmu_pages(const struct gmem *gmem);
/* After a memslot was created or deleted: if userspace never set a budget
 * (n_requested_mmu_pages == 0), kvm_mmu_change_mmu_pages(default). */
void mmu_vm_memslots_changed(struct mmu_vm *vm);
/* KVM_SET_NR_MMU_PAGES (kvm_vm_ioctl_set_nr_mmu_pages()): MSC_EINVAL below 64. */
int mmu_vm_set_nr_mmu_pages(struct mmu_vm *vm, u64 nr) MSC_MUST_CHECK;

/* kvm_page_table_hashfn(): hash_64(gfn, 12) = (gfn * 0x61C8864680B583EB) >> 52. */
u32 mmu_page_hashfn(gfn_t gfn);

/* The SP whose table holds @sptep (page_private of the table page), or NULL. */
struct kvm_mmu_page *mmu_sptep_to_sp(const struct mmu_vm *vm, u64 sptep);
/* Host pointer to the SPTE at @sptep. */
u64 *mmu_sptep_ptr(const struct mmu_vm *vm, u64 sptep);
/* spte_index(): which of the 512 entries @sptep is. */
static inline unsigned mmu_spte_index(u64 sptep)
{
	return (unsigned)((sptep & 0xfff) >> 3);
}

/* kvm_mmu_page_get_gfn() / kvm_mmu_page_get_access() of entry @index. */
gfn_t mmu_page_get_gfn(const struct kvm_mmu_page *sp, unsigned index);
unsigned mmu_page_get_access(const struct kvm_mmu_page *sp, unsigned index);

/* sp_has_gptes(): !direct && !passthrough. */
bool mmu_sp_has_gptes(const struct kvm_mmu_page *sp);
/* is_obsolete_sp(). */
bool mmu_is_obsolete_sp(const struct mmu_vm *vm, const struct kvm_mmu_page *sp);

/*
 * kvm_mmu_find_shadow_page(): look @gfn/@role up in its bucket, skipping obsolete
 * pages, zapping unsync leaves at @gfn when an upper-level page is requested,
 * syncing an unsync match (vm->sync_page); counts collisions and cache misses.
 * Zapped pages go to @invalid_list (commit with mmu_commit_zap_page).
 */
struct kvm_mmu_page *mmu_find_shadow_page(struct mmu_vm *vm, gfn_t gfn,
					  union kvm_mmu_page_role role, struct mlist *invalid_list);

/*
 * kvm_mmu_get_shadow_page() / __kvm_mmu_get_shadow_page(): find or allocate
 * (kvm_mmu_alloc_shadow_page(): table from hmem, at the head of the active list
 * and of its bucket, n_used++, account_shadowed() if it has gptes); emits
 * MMU_EV_GET_PAGE with created. NULL only when hmem is exhausted.
 */
struct kvm_mmu_page *mmu_get_shadow_page(struct mmu_vm *vm, gfn_t gfn,
					 union kvm_mmu_page_role role);

/* kvm_mmu_child_role(): the role of the child of @parent_sptep's SP. */
union kvm_mmu_page_role mmu_child_role(const struct mmu_vm *vm, u64 parent_sptep, bool direct,
				       unsigned access);

/*
 * __link_shadow_page(): point @sptep at @sp's table (make_nonleaf_spte), dropping a
 * large SPTE there first, add @sptep to sp->parent_ptes, propagate unsync marks.
 */
void mmu_link_shadow_page(struct mmu_vm *vm, u64 sptep, struct kvm_mmu_page *sp);

/*
 * mmu_set_spte(): install the leaf SPTE for @gfn (backed by @pfn) at @sptep with
 * @pte_access; drops what was there (rmap, stats), adds the rmap, emits
 * MMU_EV_SET_SPTE. Returns RET_PF_FIXED, RET_PF_SPURIOUS (unchanged) or
 * RET_PF_EMULATE (a write that had to be made read-only). @pfn KVM_PFN_NOSLOT
 * installs an MMIO SPTE instead (mark_mmio_spte(): no rmap, MMU_EV_MARK_MMIO_SPTE,
 * RET_PF_EMULATE); KVM counts pf_mmio_spte_created there, the model's caller
 * does (the vCPU is not an argument). RET_PF_INVALID when
 * @sptep is not in a shadow page. @level must be the SP's (KVM takes it from
 * the SP, as the model does).
 */
int mmu_set_spte(struct mmu_vm *vm, u64 sptep, unsigned pte_access, bool write_fault, u8 level,
		 gfn_t gfn, hfn_t pfn, bool prefetch, bool host_writable);

/* drop_spte() / mmu_page_zap_pte(): clear @sptep (leaf: rmap remove, stats; non-leaf:
 * unlink the child's parent pointer). Returns true if a present SPTE was cleared. */
bool mmu_zap_spte(struct mmu_vm *vm, u64 sptep);

/* mmu_try_to_unsync_pages(): 0 = may map @gfn writable (every SP with gptes at
 * @gfn is now unsync), MMU_UNSYNC_EPERM (write-tracked, or !can_unsync and an SP
 * exists) or MMU_UNSYNC_EEXIST (prefetch would have to unsync) = map read-only. */
#define MMU_UNSYNC_EPERM (-1) /* KVM's -EPERM */
#define MMU_UNSYNC_EEXIST (-17) /* KVM's -EEXIST */
int mmu_try_to_unsync_pages(struct mmu_vm *vm, u8 as, gfn_t gfn, bool can_unsync, bool prefetch);

/* make_spte()'s try_unsync hook: @ctx is a struct mmu_unsync_ctx naming the VM
 * and the address space of the SP holding the SPTE (role.smm). */
struct mmu_unsync_ctx {
	struct mmu_vm *vm;
	u8 as;
};
int mmu_try_unsync_cb(void *ctx, gfn_t gfn, bool can_unsync, bool prefetch);

/* Write tracking (page_track.c) and large-page disallowing, per address space. */
bool mmu_gfn_is_write_tracked(const struct mmu_vm *vm, u8 as, gfn_t gfn);
unsigned mmu_gfn_write_track_count(const struct mmu_vm *vm, u8 as, gfn_t gfn);
/* lpage_info.disallow_lpage of the 2M (level 2) or 1G (level 3) region holding @gfn:
 * the shadowing count plus 1 when that region is not wholly inside the memslot
 * of @as holding @gfn (kvm_alloc_memslot_metadata() inflates the edges). */
unsigned mmu_gfn_disallow_lpage(const struct mmu_vm *vm, u8 as, gfn_t gfn, u8 level);

/* kvm_mmu_slot_gfn_write_protect(): clear W (and MMU-writable) of every SPTE mapping
 * @gfn in @as at levels >= @min_level; returns how many changed. */
unsigned mmu_write_protect_gfn(struct mmu_vm *vm, u8 as, gfn_t gfn, u8 min_level);

/* The rmap of (@as, @gfn, @level): its sptep values in KVM's iteration order
 * (up to @max into @out, which may be NULL); returns how many it holds. */
unsigned mmu_rmap_get(const struct mmu_vm *vm, u8 as, gfn_t gfn, u8 level, u64 *out, unsigned max);

/* kvm_unsync_page() / mark_unsync() and kvm_unlink_unsync_page(). */
void mmu_unsync_page(struct mmu_vm *vm, struct kvm_mmu_page *sp);
void mmu_unlink_unsync_page(struct mmu_vm *vm, struct kvm_mmu_page *sp);

/*
 * mmu_sync_children(): collect the unsync pages below @parent 16 at a time
 * (mmu_unsync_walk()), write-protect their gfns (in role.smm's address space,
 * which is the vCPU's), then unlink each from the unsync state and sync it with
 * vm->sync_page (zapped when that fails), clearing the parents' unsync bits;
 * flush or commit zaps as KVM does. The model never needs to yield, so this
 * returns 0 (KVM: -EINTR when it must yield and !@can_yield).
 */
int mmu_sync_children(struct mmu_vm *vm, struct kvm_mmu_page *parent, bool can_yield);

/*
 * __kvm_mmu_prepare_zap_page(): zap @sp (children, parents, unaccount, unsync),
 * onto @invalid_list when root_count is 0, else keep it invalid until its last
 * root reference goes. Returns whether the active list became unstable.
 */
bool mmu_prepare_zap_page(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list,
			  int *nr_zapped);
/* kvm_mmu_commit_zap_page(): remote flush, free the pages on @invalid_list. */
void mmu_commit_zap_page(struct mmu_vm *vm, struct mlist *invalid_list);

/* kvm_mmu_zap_oldest_mmu_pages(), make_mmu_pages_available() (0 or MSC_ENOSPC),
 * kvm_mmu_change_mmu_pages(), kvm_mmu_unprotect_page(), kvm_mmu_zap_all_fast(),
 * kvm_mmu_zap_all(). mmu_unprotect_page() zaps the valid SPs with gptes at @gfn
 * of every address space, as KVM does (the hash is VM-wide; @as is not used). */
u64 mmu_zap_oldest_mmu_pages(struct mmu_vm *vm, u64 nr_to_zap);
int mmu_make_pages_available(struct mmu_vm *vm);
void mmu_change_mmu_pages(struct mmu_vm *vm, u64 goal);
bool mmu_unprotect_page(struct mmu_vm *vm, u8 as, gfn_t gfn);
void mmu_zap_all_fast(struct mmu_vm *vm);
void mmu_zap_all(struct mmu_vm *vm);

/*
 * kvm_mmu_invalidate_mmio_sptes() (from kvm_arch_memslots_updated()): @gen is the
 * memslot generation just installed; when its MMIO-SPTE bits, with the address
 * space modifier (the low bit: two address spaces) stripped, wrap to 0, every
 * MMIO SPTE could look current again, so kvm_mmu_zap_all_fast(). Returns whether
 * it zapped.
 */
bool mmu_invalidate_mmio_sptes(struct mmu_vm *vm, u64 gen);

/* Is variant @var in force? */
static inline bool mmu_variant(const struct mmu_vm *vm, enum mmu_variant var)
{
	return (vm->variants >> var) & 1;
}

/* Emit @ev to the VM's sink (no-op without one). */
void mmu_emit(const struct mmu_vm *vm, const struct mmu_event *ev);
/* Fill a KVM_MMU_PAGE_PRINTK snapshot of @sp. */
void mmu_sp_print(const struct kvm_mmu_page *sp, struct mmu_sp_print *out);

#endif
