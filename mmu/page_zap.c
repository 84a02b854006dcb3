/* SPDX-License-Identifier: MIT */
/*
 * Zapping shadow pages (arch/x86/kvm/mmu/mmu.c): the unsync walk shared by zap
 * and sync, prepare/commit, the page budget and its recycling of the oldest
 * pages, fast zap by generation, unprotecting a gfn and zapping everything.
 */
#include "mmu/page_priv.h"

#include <string.h>

#include "cpu/err.h"
#include "mmu/tdp_mmu.h"

#define KVM_PAGE_ARRAY_NR 16
#define INVALID_INDEX (-1)
#define PT64_ROOT_MAX_LEVEL 5

/* struct kvm_mmu_pages: a batch of pages the unsync walk collected, each with its
 * index in the parent (INVALID_INDEX for the page the walk started at). */
struct kvm_mmu_pages {
	struct {
		struct kvm_mmu_page *sp;
		int idx;
	} page[KVM_PAGE_ARRAY_NR];
	unsigned nr;
};

/* struct mmu_page_path: the parents of the current leaf, by level. */
struct mmu_page_path {
	struct kvm_mmu_page *parent[PT64_ROOT_MAX_LEVEL];
	int idx[PT64_ROOT_MAX_LEVEL];
};

/* mmu_pages_add(): an unsync page already in the batch is not added twice.
 * Returns true when the batch is full. */
static bool mmu_pages_add(struct kvm_mmu_pages *pvec, struct kvm_mmu_page *sp, int idx)
{
	if (sp->unsync) {
		for (unsigned i = 0; i < pvec->nr; i++) {
			if (pvec->page[i].sp == sp)
				return false;
		}
	}
	pvec->page[pvec->nr].sp = sp;
	pvec->page[pvec->nr].idx = idx;
	pvec->nr++;
	return pvec->nr == KVM_PAGE_ARRAY_NR;
}

/* clear_unsync_child_bit(). */
static void clear_unsync_child_bit(struct kvm_mmu_page *sp, int idx)
{
	sp->unsync_children--;
	sp->unsync_child_bitmap[idx / 64] &= ~(1ULL << (idx & 63));
}

/*
 * __mmu_unsync_walk(): depth first over the set bits of unsync_child_bitmap,
 * clearing stale bits (entry gone, huge, or child no longer unsync) on the way.
 * Returns the number of unsync leaves found, or -1 (KVM: -ENOSPC) when the
 * batch filled up.
 */
static int __mmu_unsync_walk(const struct mmu_vm *vm, struct kvm_mmu_page *sp,
			     struct kvm_mmu_pages *pvec)
{
	int nr_unsync_leaf = 0;

	for (int i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		struct kvm_mmu_page *child;
		u64 ent;

		if (!(sp->unsync_child_bitmap[i / 64] & (1ULL << (i & 63))))
			continue;
		ent = spte_load(vm, sp->spt + (u64)i * 8);
		child = is_shadow_present_pte(ent) && !is_large_pte(ent) ? spte_to_child_sp(vm, ent)
									 : NULL;
		if (!child) {
			clear_unsync_child_bit(sp, i);
			continue;
		}
		if (child->unsync_children) {
			int ret;

			if (mmu_pages_add(pvec, child, i))
				return -1;
			ret = __mmu_unsync_walk(vm, child, pvec);
			if (!ret) {
				clear_unsync_child_bit(sp, i);
				continue;
			} else if (ret > 0) {
				nr_unsync_leaf += ret;
			} else {
				return ret;
			}
		} else if (child->unsync) {
			nr_unsync_leaf++;
			if (mmu_pages_add(pvec, child, i))
				return -1;
		} else {
			clear_unsync_child_bit(sp, i);
		}
	}
	return nr_unsync_leaf;
}

/* mmu_unsync_walk(). */
static int mmu_unsync_walk(const struct mmu_vm *vm, struct kvm_mmu_page *sp,
			   struct kvm_mmu_pages *pvec)
{
	pvec->nr = 0;
	if (!sp->unsync_children)
		return 0;
	mmu_pages_add(pvec, sp, INVALID_INDEX);
	return __mmu_unsync_walk(vm, sp, pvec);
}

/* mmu_pages_next(): record the path down to the next 4K page of the batch. */
static unsigned mmu_pages_next(struct kvm_mmu_pages *pvec, struct mmu_page_path *parents,
			       unsigned i)
{
	unsigned n;

	for (n = i + 1; n < pvec->nr; n++) {
		struct kvm_mmu_page *sp = pvec->page[n].sp;
		unsigned level = sp->role.level;

		parents->idx[level - 1] = pvec->page[n].idx;
		if (level == PG_LEVEL_4K)
			break;
		parents->parent[level - 2] = sp;
	}
	return n;
}

/* mmu_pages_first(): the walk's start page and a NULL sentinel above it. */
static unsigned mmu_pages_first(struct kvm_mmu_pages *pvec, struct mmu_page_path *parents)
{
	unsigned level;

	if (pvec->nr == 0)
		return 0;
	level = pvec->page[0].sp->role.level;
	parents->parent[level - 2] = pvec->page[0].sp;
	if (level - 1 < PT64_ROOT_MAX_LEVEL)
		parents->parent[level - 1] = NULL;
	return mmu_pages_next(pvec, parents, 0);
}

/* mmu_pages_clear_parents(): clear the leaf's bit, and each parent's bit while
 * the page below has no unsync children left. */
static void mmu_pages_clear_parents(struct mmu_page_path *parents)
{
	struct kvm_mmu_page *sp;
	unsigned level = 0;

	do {
		int idx = parents->idx[level];

		sp = parents->parent[level];
		if (!sp)
			return;
		clear_unsync_child_bit(sp, idx);
		level++;
	} while (!sp->unsync_children && level < PT64_ROOT_MAX_LEVEL);
}

#define for_each_sp(pvec, sp, parents, i)                                                    \
	for (i = mmu_pages_first(&pvec, &parents); i < pvec.nr && (sp = pvec.page[i].sp, 1); \
	     i = mmu_pages_next(&pvec, &parents, i))

/* mmu_zap_unsync_children(). */
static int mmu_zap_unsync_children(struct mmu_vm *vm, struct kvm_mmu_page *parent,
				   struct mlist *invalid_list)
{
	struct mmu_page_path parents;
	struct kvm_mmu_pages pages;
	struct kvm_mmu_page *sp;
	int zapped = 0;
	unsigned i;

	if (parent->role.level == PG_LEVEL_4K)
		return 0;
	memset(&parents, 0, sizeof(parents));
	while (mmu_unsync_walk(vm, parent, &pages)) {
		int before = zapped;

		for_each_sp(pages, sp, parents, i)
		{
			mmu_prepare_zap(vm, sp, invalid_list);
			mmu_pages_clear_parents(&parents);
			zapped++;
		}
		/* An unsync page above level 1 is never yielded (see mmu_sync_children()). */
		if (zapped == before)
			break;
	}
	return zapped;
}

/* kvm_mmu_remote_flush_or_zap(). */
static bool mmu_remote_flush_or_zap(struct mmu_vm *vm, struct mlist *invalid_list,
				    bool remote_flush)
{
	if (!remote_flush && mlist_empty(invalid_list))
		return false;
	if (!mlist_empty(invalid_list))
		mmu_commit_zap_page(vm, invalid_list);
	else
		mmu_flush_remote_tlbs(vm);
	return true;
}

/* kvm_sync_page() as mmu_sync_children() calls it. */
static int sync_one(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list)
{
	int ret = vm->sync_page ? vm->sync_page(vm->ctx, sp) : -1;

	if (ret < 0)
		mmu_prepare_zap(vm, sp, invalid_list);
	return ret;
}

int mmu_sync_children(struct mmu_vm *vm, struct kvm_mmu_page *parent, bool can_yield)
{
	struct mmu_page_path parents;
	struct kvm_mmu_pages pages;
	struct mlist invalid_list;
	struct kvm_mmu_page *sp;
	bool flush = false;
	unsigned i;

	(void)can_yield; /* need_resched() is never true in the model */
	memset(&parents, 0, sizeof(parents));
	mlist_init(&invalid_list);
	while (mmu_unsync_walk(vm, parent, &pages)) {
		bool protected = false, progress = false;
		unsigned changed = 0;

		/* kvm_vcpu_write_protect_gfn(): the vCPU's address space. */
		for_each_sp(pages, sp, parents, i) protected |= mmu_slot_gfn_write_protect(
			vm, (u8)sp->role.smm, sp->gfn, PG_LEVEL_4K, &changed);
		if (protected) {
			mmu_remote_flush_or_zap(vm, &invalid_list, true);
			flush = false;
		}
		for_each_sp(pages, sp, parents, i)
		{
			mmu_unlink_unsync_page(vm, sp);
			flush |= sync_one(vm, sp, &invalid_list) > 0;
			mmu_pages_clear_parents(&parents);
			progress = true;
		}
		/* Only an unsync page above level 1 (KVM: a BUG(), cf. 0f38453cdb2e)
		 * can be found without yielding a 4K page to sync: stop rather than
		 * loop; the auditor names the page. */
		if (!progress)
			break;
	}
	mmu_remote_flush_or_zap(vm, &invalid_list, flush);
	return 0;
}

/* kvm_mmu_page_unlink_children(): every entry, in index order. */
static int mmu_page_unlink_children(struct mmu_vm *vm, struct kvm_mmu_page *sp,
				    struct mlist *invalid_list)
{
	int zapped = 0;

	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++)
		zapped += mmu_page_zap_pte(vm, sp, sp->spt + (u64)i * 8, invalid_list);
	return zapped;
}

/* kvm_mmu_unlink_parents(): always the first parent until none is left. */
static void mmu_unlink_parents(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	struct rmap_iter it;
	u64 sptep;

	while ((sptep = rmap_get_first(&sp->parent_ptes, &it)))
		drop_parent_pte(vm, sp, sptep);
}

/*
 * __kvm_mmu_prepare_zap_page(): see page.h. A page still pinned as a root
 * leaves the active list but stays counted in n_used_mmu_pages and alive,
 * invalid, until the last reference is dropped and it is prepared again.
 */
bool mmu_prepare_zap_page(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list,
			  int *nr_zapped)
{
	bool list_unstable, zapped_root = false;
	int nr;

	mmu_emit_page(vm, MMU_EV_PREPARE_ZAP, sp, false);
	vm->stats.mmu_shadow_zapped++;
	nr = mmu_zap_unsync_children(vm, sp, invalid_list);
	nr += mmu_page_unlink_children(vm, sp, invalid_list);
	mmu_unlink_parents(vm, sp);

	/* Zapping children means active_mmu_pages has become unstable. */
	list_unstable = nr != 0;

	if (!sp->role.invalid && mmu_sp_has_gptes(sp))
		unaccount_shadowed(vm, sp);
	if (sp->unsync)
		mmu_unlink_unsync_page(vm, sp);
	if (!sp->root_count) {
		nr++; /* count self */
		/* Already invalid pages (former roots) are on no list. */
		mlist_del(&sp->link);
		mlist_add(&sp->link, invalid_list);
		vm->n_used_mmu_pages--; /* kvm_unaccount_mmu_page() */
	} else {
		mlist_del(&sp->link);
		zapped_root = !mmu_is_obsolete_sp(vm, sp);
	}
	/* unaccount_nx_huge_page() */
	if (sp->nx_huge_page_disallowed)
		mmu_unaccount_nx_huge_page(vm, sp);
	sp->role.invalid = 1;
	if (zapped_root)
		vm->req_free_obsolete_roots = true;
	if (nr_zapped)
		*nr_zapped = nr;
	return list_unstable;
}

/* kvm_mmu_prepare_zap_page(): whether anything was zapped. */
bool mmu_prepare_zap(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list)
{
	int nr_zapped;

	mmu_prepare_zap_page(vm, sp, invalid_list, &nr_zapped);
	return nr_zapped != 0;
}

/* kvm_mmu_commit_zap_page(): the flush kicks vCPUs out of lockless walks before
 * the tables are freed, in list order. */
void mmu_commit_zap_page(struct mmu_vm *vm, struct mlist *invalid_list)
{
	struct mlist *l, *n;

	if (mlist_empty(invalid_list))
		return;
	mmu_flush_remote_tlbs(vm);
	for (l = invalid_list->next, n = l->next; l != invalid_list; l = n, n = l->next)
		mmu_free_shadow_page(vm, sp_of_link(l));
}

/*
 * kvm_mmu_zap_oldest_mmu_pages(): from the tail (oldest) of the active list,
 * skipping pages pinned as roots (zapping those only forces a reload), until
 * @nr_to_zap pages were zapped; a zap that took children with it restarts the
 * walk. mmu_recycled counts every page zapped.
 */
u64 mmu_zap_oldest_mmu_pages(struct mmu_vm *vm, u64 nr_to_zap)
{
	struct mlist *head = &vm->active_mmu_pages, *l, *n;
	struct mlist invalid_list;
	u64 total_zapped = 0;

	if (mlist_empty(head))
		return 0;
	mlist_init(&invalid_list);
restart:
	for (l = head->prev, n = l->prev; l != head; l = n, n = l->prev) {
		struct kvm_mmu_page *sp = sp_of_link(l);
		bool unstable;
		int nr_zapped;

		if (sp->root_count)
			continue;
		unstable = mmu_prepare_zap_page(vm, sp, &invalid_list, &nr_zapped);
		total_zapped += (u64)nr_zapped;
		if (total_zapped >= nr_to_zap)
			break;
		if (unstable)
			goto restart;
	}
	mmu_commit_zap_page(vm, &invalid_list);
	vm->stats.mmu_recycled += total_zapped;
	return total_zapped;
}

/* kvm_mmu_available_pages(). */
static u64 mmu_available_pages(const struct mmu_vm *vm)
{
	return vm->n_max_mmu_pages > vm->n_used_mmu_pages
		       ? vm->n_max_mmu_pages - vm->n_used_mmu_pages
		       : 0;
}

/*
 * make_mmu_pages_available(): below KVM_MIN_FREE_MMU_PAGES free, zap back up to
 * KVM_REFILL_PAGES. The check is soft: one free page is enough, and callers may
 * then allocate up to four (PAE roots, 5-level paging).
 */
int mmu_make_pages_available(struct mmu_vm *vm)
{
	u64 avail = mmu_available_pages(vm);

	if (avail >= KVM_MIN_FREE_MMU_PAGES)
		return 0;
	mmu_zap_oldest_mmu_pages(vm, KVM_REFILL_PAGES - avail);
	if (!mmu_available_pages(vm))
		return MSC_ENOSPC;
	return 0;
}

/* kvm_mmu_change_mmu_pages(): the budget never drops below what is in use after
 * zapping down to @goal (pinned roots may keep it higher). */
void mmu_change_mmu_pages(struct mmu_vm *vm, u64 goal)
{
	if (vm->n_used_mmu_pages > goal) {
		mmu_zap_oldest_mmu_pages(vm, vm->n_used_mmu_pages - goal);
		goal = vm->n_used_mmu_pages;
	}
	vm->n_max_mmu_pages = goal;
}

/* kvm_mmu_unprotect_page(). */
bool mmu_unprotect_page(struct mmu_vm *vm, u8 as, gfn_t gfn)
{
	struct mlist *bucket = &vm->mmu_page_hash[mmu_page_hashfn(gfn)], *l;
	struct mlist invalid_list;
	bool r = false;

	(void)as;
	mlist_init(&invalid_list);
	/* Zapped pages stay in the bucket until the commit: the walk is safe. */
	for (l = bucket->next; l != bucket; l = l->next) {
		struct kvm_mmu_page *sp = sp_of_hash_link(l);

		if (!sp_valid_with_gptes_at(vm, sp, gfn))
			continue;
		r = true;
		mmu_prepare_zap(vm, sp, &invalid_list);
	}
	mmu_commit_zap_page(vm, &invalid_list);
	return r;
}

/*
 * kvm_zap_obsolete_pages(): obsolete pages are all behind the valid ones (new
 * pages go to the head), so walk from the tail until the first valid page. The
 * lock break every BATCH_ZAP_PAGES pages never happens in the model.
 */
static void mmu_zap_obsolete_pages(struct mmu_vm *vm)
{
	struct mlist *head = &vm->active_mmu_pages, *l, *n;
	struct mlist invalid_list; /* kvm->arch.zapped_obsolete_pages */

	mlist_init(&invalid_list);
restart:
	for (l = head->prev, n = l->prev; l != head; l = n, n = l->prev) {
		struct kvm_mmu_page *sp = sp_of_link(l);
		int nr_zapped;

		if (!mmu_is_obsolete_sp(vm, sp))
			break;
		if (sp->role.invalid) /* WARN: never back on the list */
			continue;
		if (mmu_prepare_zap_page(vm, sp, &invalid_list, &nr_zapped))
			goto restart;
	}
	mmu_commit_zap_page(vm, &invalid_list);
}

/*
 * kvm_mmu_zap_all_fast(): trace (with the old generation), toggle
 * mmu_valid_gen so every existing page becomes obsolete, invalidate the TDP
 * MMU roots, make every vCPU drop its obsolete roots, zap the obsolete pages,
 * then zap the invalidated TDP MMU roots. KVM tests tdp_mmu_enabled; the
 * roots list is empty without the TDP MMU, which is the same.
 */
void mmu_zap_all_fast(struct mmu_vm *vm)
{
	struct mmu_event ev = {.kind = MMU_EV_ZAP_ALL_FAST};

	ev.u.zap_all.gen = vm->mmu_valid_gen;
	ev.u.zap_all.used_pages = vm->n_used_mmu_pages;
	mmu_emit(vm, &ev);
	vm->mmu_valid_gen = vm->mmu_valid_gen ? 0 : 1;
	mmu_tdp_invalidate_all_roots(vm);
	vm->req_free_obsolete_roots = true;
	mmu_zap_obsolete_pages(vm);
	mmu_tdp_zap_invalidated_roots(vm);
}

/* kvm_mmu_zap_all(): from the head, restarting whenever the list changed shape. */
void mmu_zap_all(struct mmu_vm *vm)
{
	struct mlist *head = &vm->active_mmu_pages, *l, *n;
	struct mlist invalid_list;

	mlist_init(&invalid_list);
restart:
	for (l = head->next, n = l->next; l != head; l = n, n = l->next) {
		struct kvm_mmu_page *sp = sp_of_link(l);
		int ign;

		if (sp->role.invalid)
			continue;
		if (mmu_prepare_zap_page(vm, sp, &invalid_list, &ign))
			goto restart;
	}
	mmu_commit_zap_page(vm, &invalid_list);
	mmu_tdp_zap_all(vm); /* if (tdp_mmu_enabled) kvm_tdp_mmu_zap_all() */
}

/* kvm_mmu_invalidate_mmio_sptes() */
bool mmu_invalidate_mmio_sptes(struct mmu_vm *vm, u64 gen)
{
	gen &= MMIO_SPTE_GEN_MASK;
	/* Generations advance by the number of address spaces (2): strip that
	 * modifier so a wrap in either address space is seen. */
	gen &= ~(u64)(GMEM_NR_AS - 1);
	if (gen != 0)
		return false;
	mmu_zap_all_fast(vm);
	return true;
}
