/* SPDX-License-Identifier: MIT */
/*
 * The TDP MMU (arch/x86/kvm/mmu/tdp_mmu.c, tdp_iter.c, ~v6.8-6.10): shared
 * roots on kvm->arch.tdp_mmu_roots, kvm_tdp_mmu_map(), root invalidation and
 * zapping. KVM walks these tables locklessly under RCU with cmpxchg; the model
 * is single-threaded, so every atomic update succeeds at once, nothing is ever
 * frozen (REMOVED_SPTE/FROZEN_SPTE is only written into tables being freed),
 * and pages KVM frees after an RCU grace period are freed immediately.
 */
#include "mmu/tdp_mmu.h"

#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/walk.h"
#include "mmu/page_priv.h"

#define TDP_PT64_ROOT_MAX_LEVEL 5
/* REMOVED_SPTE (>= v6.11 FROZEN_SPTE): SHADOW_NONPRESENT_VALUE | 0x5a0. */
#define TDP_REMOVED_SPTE (SHADOW_NONPRESENT_VALUE | 0x5a0ULL)

/* KVM_PAGES_PER_HPAGE(level): 4K frames one SPTE of @level maps. */
static gfn_t pages_per_level(int level)
{
	return 1ULL << (SPTE_LEVEL_BITS * (unsigned)(level - 1));
}

/* kvm_mmu_page_as_id(): the address space of a TDP MMU page (role.smm). */
static u8 sp_as_id(const struct kvm_mmu_page *sp)
{
	return (u8)sp->role.smm;
}

/* ---- pages ---- */

/*
 * tdp_mmu_alloc_sp() + tdp_mmu_init_sp(): a table from the shadow-page cache
 * (filled with SHADOW_NONPRESENT_VALUE, >= v6.10), page_private set, role, gfn,
 * tdp_mmu_page; traced kvm_mmu_get_page created before any reference is taken
 * (root 0, gen 0: TDP MMU pages never use mmu_valid_gen).
 */
static struct kvm_mmu_page *tdp_mmu_alloc_sp(struct mmu_vm *vm, gfn_t gfn,
					     union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp;
	hpa_t hpa;

	if (mmu_alloc_table(vm, &hpa))
		return NULL;
	sp = mmu_zalloc(sizeof(*sp));
	sp->spt = hpa;
	mlist_init(&sp->link);
	mlist_init(&sp->hash_link); /* never hashed */
	mmu_set_page_private(vm, sp);
	sp->role = role;
	sp->gfn = gfn;
	sp->tdp_mmu_page = true;
	sp->serial = vm->next_serial++;
	mmu_emit_page(vm, MMU_EV_GET_PAGE, sp, true);
	return sp;
}

/* tdp_mmu_free_sp(): the table page and the header (off the roots list for a root). */
static void tdp_mmu_free_sp(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	mmu_free_shadow_page(vm, sp);
}

/* kvm_tdp_mmu_get_root(): refcount_inc_not_zero(). */
static bool tdp_mmu_get_root(struct kvm_mmu_page *root)
{
	if (root->root_count <= 0)
		return false;
	root->root_count++;
	return true;
}

static struct kvm_mmu_page *root_of_link(struct mlist *l)
{
	return mlist_entry(l, struct kvm_mmu_page, link);
}

/* kvm_tdp_mmu_alloc_root() */
int mmu_tdp_alloc_root(struct mmu_vcpu *v)
{
	struct kvm_mmu *mmu = v->mmu;
	union kvm_mmu_page_role role = mmu->root_role;
	struct mmu_vm *vm = v->vm;
	struct kvm_mmu_page *root = NULL;
	struct mlist *l;

	/* for_each_valid_tdp_mmu_root_yield_safe(kvm, root, as_id): the reference the
	 * iterator took becomes the vCPU's. (KVM re-checks under tdp_mmu_pages_lock
	 * for a racing vCPU; nothing races here.) */
	for (l = vm->tdp_mmu_roots.next; l != &vm->tdp_mmu_roots; l = l->next) {
		struct kvm_mmu_page *r = root_of_link(l);

		if (r->role.invalid || sp_as_id(r) != role.smm)
			continue;
		if (r->role.word == role.word && tdp_mmu_get_root(r)) {
			root = r;
			break;
		}
	}
	if (!root) {
		root = tdp_mmu_alloc_sp(vm, 0, role);
		if (!root)
			return MSC_ENOSPC; /* KVM's caches were topped up: it cannot fail */
		/* One reference for the vCPU, one the TDP MMU holds until the root is
		 * invalidated (put by kvm_tdp_mmu_zap_invalidated_roots()). */
		root->root_count = 2;
		mlist_add(&root->link, &vm->tdp_mmu_roots); /* list_add_rcu(): the head */
	}
	mmu->root.hpa = root->spt;
	mmu->root.pgd = 0;
	return 0;
}

/* kvm_tdp_mmu_put_root() */
void mmu_tdp_put_root(struct mmu_vm *vm, struct kvm_mmu_page *root)
{
	if (--root->root_count > 0)
		return;
	/* KVM_BUG_ON(!root->role.invalid): the TDP MMU's own reference keeps a valid
	 * root alive; KVM still frees it (after an RCU grace period). */
	mlist_del(&root->link); /* list_del_rcu() */
	tdp_mmu_free_sp(vm, root);
}

/* ---- SPTE changes ---- */

static void handle_changed_spte(struct mmu_vm *vm, u8 as_id, gfn_t gfn, u64 old_spte, u64 new_spte,
				int level);

/* tdp_mmu_unlink_sp(): tdp_unaccount_mmu_page(), and off the possible NX huge pages. */
static void tdp_mmu_unlink_sp(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	vm->tdp_mmu_pages--;
	if (sp->nx_huge_page_disallowed)
		mmu_unaccount_nx_huge_page(vm, sp);
}

/*
 * handle_removed_pt(): a table taken out of the paging structure: traced
 * kvm_mmu_prepare_zap_page, unaccounted, every present entry frozen and its
 * change handled (so child tables go recursively, leaves leave the stats), then
 * freed (KVM: call_rcu()).
 */
static void handle_removed_pt(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	int level = (int)sp->role.level;

	mmu_emit_page(vm, MMU_EV_PREPARE_ZAP, sp, false);
	tdp_mmu_unlink_sp(vm, sp);
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 sptep = sp->spt + 8ULL * i;
		u64 old_spte = spte_load(vm, sptep);

		/* Not present: nothing to record (KVM's exclusive-lock path skips it;
		 * the shared path freezes it and handle_changed_spte() returns early). */
		if (!is_shadow_present_pte(old_spte))
			continue;
		spte_store(vm, sptep, TDP_REMOVED_SPTE);
		handle_changed_spte(vm, sp_as_id(sp), sp->gfn + i * pages_per_level(level),
				    old_spte, TDP_REMOVED_SPTE, level);
	}
	tdp_mmu_free_sp(vm, sp);
}

/*
 * handle_changed_spte(): the bookkeeping of one SPTE change: a leaf appearing or
 * going changes the page stats (kvm_update_page_stats()), a table entry zapped
 * or replaced by a leaf removes the table below. (KVM also traces
 * kvm_tdp_mmu_spte_changed, which the model does not report, and marks the
 * old pfn accessed/dirty.)
 */
static void handle_changed_spte(struct mmu_vm *vm, u8 as_id, gfn_t gfn, u64 old_spte, u64 new_spte,
				int level)
{
	bool was_present = is_shadow_present_pte(old_spte);
	bool is_present = is_shadow_present_pte(new_spte);
	bool was_leaf = was_present && is_last_spte(old_spte, (unsigned)level);
	bool is_leaf = is_present && is_last_spte(new_spte, (unsigned)level);

	(void)as_id;
	(void)gfn;
	if (old_spte == new_spte)
		return;
	/* Non-present to non-present: an MMIO SPTE installed or removed. */
	if (!was_present && !is_present)
		return;
	if (is_leaf != was_leaf)
		mmu_update_page_stats(vm, (unsigned)level, is_leaf ? 1 : -1);
	if (was_present && !was_leaf && (is_leaf || !is_present)) {
		struct kvm_mmu_page *child = spte_to_child_sp(vm, old_spte);

		if (child)
			handle_removed_pt(vm, child);
	}
}

/* tdp_mmu_set_spte() / tdp_mmu_set_spte_atomic(): store, then the bookkeeping. */
static void tdp_mmu_set_spte(struct mmu_vm *vm, u8 as_id, u64 sptep, u64 old_spte, u64 new_spte,
			     gfn_t gfn, int level)
{
	spte_store(vm, sptep, new_spte);
	handle_changed_spte(vm, as_id, gfn, old_spte, new_spte, level);
}

/* ---- tdp_iter, for one gfn ---- */

/*
 * struct tdp_iter reduced to the walk toward one gfn (for_each_tdp_pte() over
 * [gfn, gfn + 1)): the SPTE of each level from the root down.
 */
struct tdp_iter {
	gfn_t next_last_level_gfn; /* the gfn walked to */
	gfn_t gfn; /* the first gfn the current SPTE maps */
	int level;
	u64 pt; /* hpa of the table at the current level */
	u64 sptep;
	u64 old_spte;
	u8 as_id;
};

/* tdp_iter_refresh_sptep(): the SPTE at the current level. */
static void tdp_iter_refresh(struct tdp_iter *it, const struct mmu_vm *vm)
{
	unsigned shift = SPTE_LEVEL_BITS * (unsigned)(it->level - 1);
	unsigned idx = (unsigned)((it->next_last_level_gfn >> shift) & (SPTE_ENT_PER_PAGE - 1));

	it->gfn = it->next_last_level_gfn & ~(pages_per_level(it->level) - 1);
	it->sptep = it->pt + 8ULL * idx;
	it->old_spte = spte_load(vm, it->sptep);
}

/* tdp_iter_start(): the root's entry for @gfn. */
static void tdp_iter_start(struct tdp_iter *it, const struct mmu_vm *vm,
			   const struct kvm_mmu_page *root, gfn_t gfn)
{
	memset(it, 0, sizeof(*it));
	it->next_last_level_gfn = gfn;
	it->level = (int)root->role.level;
	it->pt = root->spt;
	it->as_id = sp_as_id(root);
	tdp_iter_refresh(it, vm);
}

/* try_step_down(): follow a present table entry (re-read: it may just have been linked). */
static bool tdp_iter_step_down(struct tdp_iter *it, const struct mmu_vm *vm)
{
	u64 spte = spte_load(vm, it->sptep);

	if (it->level == PG_LEVEL_4K || !is_shadow_present_pte(spte) ||
	    is_last_spte(spte, (unsigned)it->level))
		return false;
	it->pt = spte & SPTE_BASE_ADDR_MASK;
	it->level--;
	tdp_iter_refresh(it, vm);
	return true;
}

/* ---- the fault path ---- */

/* trace_kvm_mmu_spte_requested(): pfn | the gfn's offset in the goal page. */
static void emit_spte_requested(const struct mmu_vm *vm, const struct tdp_mmu_fault *fault)
{
	struct mmu_event ev = {.kind = MMU_EV_SPTE_REQUESTED};

	ev.u.requested.gfn = fault->gfn;
	ev.u.requested.pfn = fault->pfn | (fault->gfn & (pages_per_level(fault->goal_level) - 1));
	ev.u.requested.level = fault->goal_level;
	mmu_emit(vm, &ev);
}

/*
 * tdp_mmu_map_handle_target_level(): the leaf, with ACC_ALL: make_mmio_spte()
 * without a memslot, else make_spte() (its unsync check may leave a
 * write-tracked gfn read-only: RET_PF_EMULATE for a write). An unchanged SPTE
 * is RET_PF_SPURIOUS -- and, unlike mmu_set_spte(), still traced
 * kvm_mmu_set_spte.
 */
static int tdp_mmu_map_handle_target_level(struct mmu_vcpu *v, const struct tdp_mmu_fault *fault,
					   const struct tdp_iter *it)
{
	struct mmu_vm *vm = v->vm;
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, it->sptep);
	int ret = RET_PF_FIXED;
	bool wrprot = false;
	u64 new_spte;

	if (!sp || sp->role.level != fault->goal_level)
		return RET_PF_RETRY; /* WARN_ON_ONCE */
	if (fault->pfn == KVM_PFN_NOSLOT) {
		/* make_mmio_spte(vcpu, ...): the vCPU's memslot generation. */
		new_spte = make_mmio_spte(&vm->masks, it->gfn, ACC_ALL,
					  gmem_generation(vm->gmem, it->as_id));
	} else {
		wrprot = mmu_make_spte(vm, sp, ACC_ALL, it->gfn, fault->pfn, it->old_spte,
				       fault->prefetch, false, fault->map_writable, &new_spte);
	}

	if (new_spte == it->old_spte) {
		ret = RET_PF_SPURIOUS;
	} else {
		tdp_mmu_set_spte(vm, it->as_id, it->sptep, it->old_spte, new_spte, it->gfn,
				 it->level);
		/* A table replaced by a leaf (a huge page): kvm_flush_remote_tlbs_gfn(). */
		if (is_shadow_present_pte(it->old_spte) &&
		    !is_last_spte(it->old_spte, (unsigned)it->level))
			mmu_flush_remote_tlbs(vm);
	}
	if (wrprot && fault->write)
		ret = RET_PF_EMULATE;
	if (is_mmio_spte(&vm->masks, new_spte)) {
		v->pf_mmio_spte_created++;
		mmu_emit_mark_mmio_spte(vm, it->sptep, it->gfn, new_spte);
		ret = RET_PF_EMULATE;
	} else {
		mmu_emit_set_spte(vm, it->sptep, (unsigned)it->level, it->gfn);
	}
	return ret;
}

/*
 * tdp_mmu_link_sp(): point the iterator's SPTE at @sp's table
 * (make_nonleaf_spte(), A/D off when !kvm_ad_enabled()) and account the page.
 */
static void tdp_mmu_link_sp(struct mmu_vm *vm, struct tdp_iter *it, struct kvm_mmu_page *sp)
{
	u64 spte = make_nonleaf_spte(&vm->masks, sp->spt, !vm->masks.ad_enabled);

	tdp_mmu_set_spte(vm, it->as_id, it->sptep, it->old_spte, spte, it->gfn, it->level);
	it->old_spte = spte;
	vm->tdp_mmu_pages++; /* tdp_account_mmu_page() */
}

/*
 * disallowed_hugepage_adjust(): under the NX huge page mitigation, a table at
 * the goal level whose SP was linked for an exec fault stays: the goal goes one
 * level down, the pfn gets the next 9 bits of the gfn back.
 */
static void tdp_disallowed_hugepage_adjust(const struct mmu_vm *vm, struct tdp_mmu_fault *fault,
					   u64 spte, int cur_level)
{
	const struct kvm_mmu_page *child;

	if (cur_level <= PG_LEVEL_4K || cur_level != fault->goal_level ||
	    !is_shadow_present_pte(spte) || is_large_pte(spte))
		return;
	child = spte_to_child_sp(vm, spte);
	if (!child || !child->nx_huge_page_disallowed)
		return;
	fault->pfn |= fault->gfn & (pages_per_level(cur_level) - pages_per_level(cur_level - 1));
	fault->goal_level--;
}

/*
 * tdp_mmu_split_huge_page(): fill @sp's table with the pieces of the huge SPTE
 * (make_huge_page_split_spte()), link it in place of the huge SPTE (whose stats
 * go with handle_changed_spte()) and count the new leaves
 * (kvm_update_page_stats(level - 1, 512)). No flush: the translation is the
 * same. trace_kvm_mmu_split_huge_page is not reported.
 */
static void tdp_mmu_split_huge_page(struct mmu_vm *vm, struct tdp_iter *it, struct kvm_mmu_page *sp)
{
	const u64 huge_spte = it->old_spte;
	u64 *spt = hmem_ptr(vm->hmem, sp->spt);

	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++)
		spt[i] = make_huge_page_split_spte(&vm->masks, huge_spte, sp->role.level, i,
						   (sp->role.access & ACC_EXEC) != 0,
						   vm->nx_huge_pages);
	tdp_mmu_link_sp(vm, it, sp);
	mmu_update_page_stats(vm, sp->role.level, SPTE_ENT_PER_PAGE);
}

/*
 * kvm_tdp_mmu_map(): from the root toward the fault's gfn. At the goal level
 * the leaf; above it a table entry is followed, anything else -- not present,
 * or a huge SPTE to split (the goal is below an existing huge page) -- gets a
 * child table (nx_huge_page_disallowed = fault->huge_page_disallowed, counted
 * as a possible NX huge page when a huge page could have been mapped there).
 * A huge SPTE at the goal level over an existing table replaces the table
 * (tdp_mmu_map_handle_target_level(): handle_removed_pt() and a flush).
 */
int mmu_tdp_map(struct mmu_vcpu *v, struct tdp_mmu_fault *fault, u64 *sptep)
{
	struct mmu_vm *vm = v->vm;
	struct kvm_mmu_page *root = mmu_root_to_sp(vm, v->mmu->root.hpa);
	struct tdp_iter it;

	*sptep = 0;
	if (!root || !root->tdp_mmu_page)
		return RET_PF_RETRY;
	/* kvm_mmu_hugepage_adjust() ran in the caller (it reports nothing). */
	emit_spte_requested(vm, fault);
	tdp_iter_start(&it, vm, root, fault->gfn);
	for (;;) {
		union kvm_mmu_page_role role;
		struct kvm_mmu_page *sp;

		if (fault->nx_huge_page_workaround_enabled)
			tdp_disallowed_hugepage_adjust(vm, fault, it.old_spte, it.level);
		if (it.level == fault->goal_level) {
			*sptep = it.sptep;
			return tdp_mmu_map_handle_target_level(v, fault, &it);
		}
		if (is_shadow_present_pte(it.old_spte) && !is_large_pte(it.old_spte)) {
			if (!tdp_iter_step_down(&it, vm))
				return RET_PF_RETRY;
			continue;
		}
		/* Not present, or a huge SPTE to split: a child table, role = the
		 * parent's one level down (tdp_mmu_init_child_sp()). */
		role = mmu_sptep_to_sp(vm, it.sptep)->role;
		role.level--;
		sp = tdp_mmu_alloc_sp(vm, it.gfn, role);
		if (!sp)
			return MSC_ENOSPC;
		sp->nx_huge_page_disallowed = fault->huge_page_disallowed;
		if (is_shadow_present_pte(it.old_spte))
			tdp_mmu_split_huge_page(vm, &it, sp);
		else
			tdp_mmu_link_sp(vm, &it, sp);
		if (fault->huge_page_disallowed && fault->req_level >= it.level &&
		    sp->nx_huge_page_disallowed)
			mmu_track_possible_nx_huge_page(vm, sp);
		if (!tdp_iter_step_down(&it, vm))
			return RET_PF_RETRY;
	}
}

/* ---- zapping ---- */

/*
 * The pre-order walk of for_each_tdp_pte_min_level(root, @min_level, start, end)
 * over the table @pt of @level mapping from @base: @zap_level >= 1 zaps every
 * present SPTE at that level (__tdp_mmu_zap_root()); @zap_level 0 zaps present
 * leaves only (tdp_mmu_zap_leafs()). The iterator steps down after the
 * action, re-reading the SPTE. Returns whether a leaf was zapped.
 */
static bool zap_walk(struct mmu_vm *vm, u8 as_id, u64 pt, int level, gfn_t base, gfn_t start,
		     gfn_t end, int min_level, int zap_level)
{
	gfn_t step = pages_per_level(level);
	bool zapped = false;

	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		gfn_t gfn = base + i * step;
		u64 sptep = pt + 8ULL * i;
		u64 old_spte;

		if (gfn + step <= start || gfn >= end)
			continue;
		old_spte = spte_load(vm, sptep);
		if (!is_shadow_present_pte(old_spte))
			continue;
		if (zap_level ? level == zap_level : is_last_spte(old_spte, (unsigned)level)) {
			zapped |= is_last_spte(old_spte, (unsigned)level);
			tdp_mmu_set_spte(vm, as_id, sptep, old_spte, SHADOW_NONPRESENT_VALUE, gfn,
					 level);
			continue;
		}
		if (level > min_level && !is_last_spte(old_spte, (unsigned)level))
			zapped |= zap_walk(vm, as_id, old_spte & SPTE_BASE_ADDR_MASK, level - 1,
					   gfn, start, end, min_level, zap_level);
	}
	return zapped;
}

/* tdp_mmu_max_gfn_exclusive(): walks stop at the host MAXPHYADDR. */
static gfn_t tdp_mmu_max_gfn_exclusive(const struct mmu_vm *vm)
{
	unsigned bits = vm->masks.host_maxphyaddr;

	if (bits <= PAGE_SHIFT || bits > 52)
		bits = 52;
	return 1ULL << (bits - PAGE_SHIFT);
}

/*
 * tdp_mmu_zap_root(): passes of decreasing granularity, 4K, 2M, 1G, then the
 * root's level (without CONFIG_KVM_PROVE_MMU), each zapping the present SPTEs
 * of its level; a zapped table entry takes its (by then empty) subtree along.
 */
static void tdp_mmu_zap_root(struct mmu_vm *vm, struct kvm_mmu_page *root)
{
	static const int levels[] = {PG_LEVEL_4K, PG_LEVEL_2M, PG_LEVEL_1G};
	gfn_t end = tdp_mmu_max_gfn_exclusive(vm);
	int root_level = (int)root->role.level;

	for (unsigned k = 0; k < 3; k++)
		zap_walk(vm, sp_as_id(root), root->spt, root_level, 0, 0, end, levels[k],
			 levels[k]);
	zap_walk(vm, sp_as_id(root), root->spt, root_level, 0, 0, end, root_level, root_level);
}

/* kvm_tdp_mmu_invalidate_all_roots() */
void mmu_tdp_invalidate_all_roots(struct mmu_vm *vm)
{
	for (struct mlist *l = vm->tdp_mmu_roots.next; l != &vm->tdp_mmu_roots; l = l->next) {
		struct kvm_mmu_page *root = root_of_link(l);

		if (!root->role.invalid) {
			root->tdp_mmu_scheduled_root_to_zap = true;
			root->role.invalid = 1;
		}
	}
}

/*
 * kvm_tdp_mmu_zap_invalidated_roots(): for_each_tdp_mmu_root_yield_safe()
 * holds a reference on the root it visits, so a root freed by the put is left
 * only after the next one is found. No TLB flush: KVM flushes when it loads a
 * new root.
 */
void mmu_tdp_zap_invalidated_roots(struct mmu_vm *vm)
{
	struct mlist *l = vm->tdp_mmu_roots.next;

	while (l != &vm->tdp_mmu_roots) {
		struct kvm_mmu_page *root = root_of_link(l);

		l = l->next;
		if (!root->tdp_mmu_scheduled_root_to_zap)
			continue;
		root->tdp_mmu_scheduled_root_to_zap = false;
		tdp_mmu_zap_root(vm, root);
		mmu_tdp_put_root(vm, root); /* the TDP MMU's reference */
	}
}

/* kvm_tdp_mmu_zap_all(): every root, invalid ones included; no flush (teardown). */
void mmu_tdp_zap_all(struct mmu_vm *vm)
{
	for (struct mlist *l = vm->tdp_mmu_roots.next; l != &vm->tdp_mmu_roots; l = l->next)
		tdp_mmu_zap_root(vm, root_of_link(l));
}

/* kvm_tdp_mmu_zap_leafs() -> tdp_mmu_zap_leafs() per valid root. */
bool mmu_tdp_zap_leafs(struct mmu_vm *vm, gfn_t start, gfn_t end, bool flush)
{
	gfn_t max = tdp_mmu_max_gfn_exclusive(vm);

	if (end > max)
		end = max;
	for (struct mlist *l = vm->tdp_mmu_roots.next; l != &vm->tdp_mmu_roots; l = l->next) {
		struct kvm_mmu_page *root = root_of_link(l);

		if (root->role.invalid)
			continue;
		/* Zapping SPTEs of an invalid root needs no flush; of a valid one it does. */
		if (zap_walk(vm, sp_as_id(root), root->spt, (int)root->role.level, 0, start, end,
			     PG_LEVEL_4K, 0))
			flush = true;
	}
	return flush;
}

/* kvm_mmu_uninit_tdp_mmu() */
void mmu_tdp_uninit(struct mmu_vm *vm)
{
	mmu_tdp_invalidate_all_roots(vm);
	mmu_tdp_zap_invalidated_roots(vm);
}

/* Count the valid TDP MMU pages of @role_word below (and including) @sp. */
static u64 count_tree(const struct mmu_vm *vm, const struct kvm_mmu_page *sp, u32 role_word,
		      int depth)
{
	u64 n = sp->role.word == role_word;

	if (sp->role.level == PG_LEVEL_4K || depth > TDP_PT64_ROOT_MAX_LEVEL)
		return n;
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = spte_load(vm, sp->spt + 8ULL * i);
		const struct kvm_mmu_page *child;

		if (!is_shadow_present_pte(spte) || is_last_spte(spte, sp->role.level))
			continue;
		child = spte_to_child_sp(vm, spte);
		if (child)
			n += count_tree(vm, child, role_word, depth + 1);
	}
	return n;
}

u64 mmu_tdp_count_sps(const struct mmu_vm *vm, u32 role_word)
{
	u64 n = 0;

	for (const struct mlist *l = vm->tdp_mmu_roots.next; l != &vm->tdp_mmu_roots; l = l->next) {
		const struct kvm_mmu_page *root = mlist_entry(l, struct kvm_mmu_page, link);

		if (!root->role.invalid)
			n += count_tree(vm, root, role_word, 1);
	}
	return n;
}
