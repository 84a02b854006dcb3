/* SPDX-License-Identifier: MIT */
/*
 * Shadow pages (arch/x86/kvm/mmu/mmu.c, page_track.c): the VM's MMU state, the
 * 4096-bucket hash, finding and allocating shadow pages, child roles, linking,
 * write tracking and disallowed large pages of shadowed gfns, and unsync marks.
 */
#include "mmu/page_priv.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/walk.h"
#include "mmu/tdp_mmu.h"

/* GOLDEN_RATIO_64 (include/linux/hash.h). */
#define GOLDEN_RATIO_64 0x61C8864680B583EBULL
#define KVM_LPAGE_REGION_PAGES(level) (1ULL << (9 * ((level)-1)))

/* ---- VM state -------------------------------------------------------------- */

/* kvm_arch_commit_memory_region(): nr_memslot_pages / 50, at least 64. */
u64 mmu_default_mmu_pages(const struct gmem *gmem)
{
	u64 pages = 0, nr;

	for (u8 as = 0; gmem && as < GMEM_NR_AS; as++) {
		unsigned n = gmem_slot_count(gmem, as);

		for (unsigned i = 0; i < n; i++) {
			struct gmem_slot_info si;

			gmem_slot_get(gmem, as, i, &si);
			pages += si.size >> PAGE_SHIFT;
		}
	}
	nr = pages / KVM_MEMSLOT_PAGES_TO_MMU_PAGES_RATIO;
	return nr < KVM_MIN_ALLOC_MMU_PAGES ? KVM_MIN_ALLOC_MMU_PAGES : nr;
}

/* kvm_mmu_init_vm() plus the budget kvm_arch_commit_memory_region() would set. */
int mmu_vm_init(struct mmu_vm *vm, struct hmem *hmem, struct gmem *gmem,
		const struct spte_masks *masks, mmu_gfn_to_pfn_fn gfn_to_pfn, void *ctx)
{
	if (!vm || !hmem || !masks)
		return MSC_EINVAL;
	memset(vm, 0, sizeof(*vm));
	for (unsigned i = 0; i < KVM_NUM_MMU_PAGES; i++)
		mlist_init(&vm->mmu_page_hash[i]);
	mlist_init(&vm->active_mmu_pages);
	mlist_init(&vm->tdp_mmu_roots); /* kvm_mmu_init_tdp_mmu() */
	vm->masks = *masks;
	vm->hmem = hmem;
	vm->gmem = gmem;
	vm->gfn_to_pfn = gfn_to_pfn;
	vm->ctx = ctx;
	vm->host_page_level = PG_LEVEL_4K;
	vm->max_huge_page_level = KVM_MAX_HUGEPAGE_LEVEL;
	vm->kv = calloc(1, sizeof(*vm->kv));
	if (!vm->kv)
		return MSC_ENOMEM;
	vm->n_max_mmu_pages = mmu_default_mmu_pages(gmem);
	return 0;
}

void mmu_vm_destroy(struct mmu_vm *vm)
{
	if (!vm || !vm->kv)
		return;
	mmu_zap_all(vm);
	mmu_tdp_uninit(vm); /* kvm_mmu_uninit_vm() -> kvm_mmu_uninit_tdp_mmu() */
	/* Roots still pinned by a vCPU were zapped (invalid, off every list) but not
	 * freed; KVM frees them when the vCPUs unload before the VM goes. */
	for (u64 i = 0; i < vm->sp_by_pfn_len; i++) {
		if (vm->sp_by_pfn[i])
			mmu_free_shadow_page(vm, vm->sp_by_pfn[i]);
	}
	mmu_rmaps_free(vm);
	kv_map_free(&vm->kv->wtrack);
	kv_map_free(&vm->kv->lpage);
	free(vm->kv);
	free(vm->sp_by_pfn);
	vm->kv = NULL;
	vm->sp_by_pfn = NULL;
	vm->sp_by_pfn_len = 0;
}

void mmu_vm_memslots_changed(struct mmu_vm *vm)
{
	if (!vm->n_requested_mmu_pages)
		mmu_change_mmu_pages(vm, mmu_default_mmu_pages(vm->gmem));
}

int mmu_vm_set_nr_mmu_pages(struct mmu_vm *vm, u64 nr)
{
	if (nr < KVM_MIN_ALLOC_MMU_PAGES)
		return MSC_EINVAL;
	mmu_change_mmu_pages(vm, nr);
	vm->n_requested_mmu_pages = nr;
	return 0;
}

/*
 * kvm_flush_remote_tlbs(): remote_tlb_flush_requests counts every request;
 * remote_tlb_flush counts only those that kicked another vCPU out of guest mode
 * with an IPI (kvm_make_all_cpus_request() returning true). The model's single
 * vCPU is never in guest mode while the MMU runs, so like a one-vCPU KVM guest
 * it never increments remote_tlb_flush. The request still reaches the current
 * vCPU: req_tlb_flush. Without Hyper-V's range flush, the _gfn/_range forms
 * fall back to this.
 */
void mmu_flush_remote_tlbs(struct mmu_vm *vm)
{
	vm->stats.remote_tlb_flush_requests++;
	vm->req_tlb_flush = true;
}

/* kvm_update_page_stats(). */
void mmu_update_page_stats(struct mmu_vm *vm, unsigned level, int delta)
{
	u64 *stat = level == PG_LEVEL_4K   ? &vm->stats.pages_4k
		    : level == PG_LEVEL_2M ? &vm->stats.pages_2m
		    : level == PG_LEVEL_1G ? &vm->stats.pages_1g
					   : NULL;

	if (stat)
		*stat += (u64)(s64)delta;
}

/*
 * The NX huge page mitigation's bookkeeping (mmu.c): an SP linked where an exec
 * fault wanted a huge page is nx_huge_page_disallowed; while it is on
 * possible_nx_huge_pages (KVM's list for kvm_recover_nx_huge_pages(), which the
 * model does not run) it counts in nx_lpage_splits.
 */
void mmu_track_possible_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	if (sp->nx_huge_page_possible)
		return;
	sp->nx_huge_page_possible = true;
	vm->stats.nx_lpage_splits++;
}

void mmu_account_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp, bool possible)
{
	sp->nx_huge_page_disallowed = true;
	if (possible)
		mmu_track_possible_nx_huge_page(vm, sp);
}

void mmu_unaccount_nx_huge_page(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	sp->nx_huge_page_disallowed = false;
	if (!sp->nx_huge_page_possible)
		return;
	sp->nx_huge_page_possible = false;
	vm->stats.nx_lpage_splits--;
}

void mmu_emit(const struct mmu_vm *vm, const struct mmu_event *ev)
{
	if (vm->sink)
		vm->sink(vm->sink_ctx, ev);
}

void mmu_sp_print(const struct kvm_mmu_page *sp, struct mmu_sp_print *out)
{
	out->gen = sp->mmu_valid_gen;
	out->gfn = sp->gfn;
	out->role = sp->role.word;
	out->root_count = sp->root_count;
	out->unsync = sp->unsync;
	out->spt = sp->spt;
}

void mmu_emit_page(const struct mmu_vm *vm, enum mmu_ev_kind kind, const struct kvm_mmu_page *sp,
		   bool created)
{
	struct mmu_event ev = {.kind = kind};

	mmu_sp_print(sp, &ev.u.page.sp);
	ev.u.page.created = created;
	mmu_emit(vm, &ev);
}

/* ---- lookups --------------------------------------------------------------- */

/* kvm_page_table_hashfn(): hash_64(gfn, KVM_MMU_HASH_SHIFT). */
u32 mmu_page_hashfn(gfn_t gfn)
{
	return (u32)((gfn * GOLDEN_RATIO_64) >> (64 - KVM_MMU_HASH_SHIFT));
}

/* sptep_to_sp(): page_private() of the table page. */
struct kvm_mmu_page *mmu_sptep_to_sp(const struct mmu_vm *vm, u64 sptep)
{
	u64 idx = sptep >> PAGE_SHIFT;

	return idx < vm->sp_by_pfn_len ? vm->sp_by_pfn[idx] : NULL;
}

u64 *mmu_sptep_ptr(const struct mmu_vm *vm, u64 sptep)
{
	return hmem_ptr(vm->hmem, sptep & ~7ULL);
}

/* kvm_mmu_page_get_gfn(). */
gfn_t mmu_page_get_gfn(const struct kvm_mmu_page *sp, unsigned index)
{
	if (sp->role.passthrough)
		return sp->gfn;
	if (!sp->role.direct)
		return sp->shadowed_translation[index] >> PAGE_SHIFT;
	return sp->gfn + ((gfn_t)index << (9 * (sp->role.level - 1)));
}

/* kvm_mmu_page_get_access(): direct and passthrough SPs carry it in the role. */
unsigned mmu_page_get_access(const struct kvm_mmu_page *sp, unsigned index)
{
	if (mmu_sp_has_gptes(sp))
		return (unsigned)(sp->shadowed_translation[index] & ACC_ALL);
	return sp->role.access;
}

/* sp_has_gptes(). */
bool mmu_sp_has_gptes(const struct kvm_mmu_page *sp)
{
	return !sp->role.direct && !sp->role.passthrough;
}

/* is_obsolete_sp(): TDP MMU pages do not use the generation. */
bool mmu_is_obsolete_sp(const struct mmu_vm *vm, const struct kvm_mmu_page *sp)
{
	if (sp->role.invalid)
		return true;
	return !sp->tdp_mmu_page && sp->mmu_valid_gen != vm->mmu_valid_gen;
}

/* for_each_gfn_valid_sp_with_gptes()'s filter. */
bool sp_valid_with_gptes_at(const struct mmu_vm *vm, const struct kvm_mmu_page *sp, gfn_t gfn)
{
	return !mmu_is_obsolete_sp(vm, sp) && sp->gfn == gfn && mmu_sp_has_gptes(sp);
}

/* ---- write tracking and large-page disallowing (page_track.c, mmu.c) ------ */

/* update_gfn_disallow_lpage_count(): every huge level, 2M and 1G. */
static void update_gfn_disallow_lpage_count(struct mmu_vm *vm, u8 as, gfn_t gfn, int count)
{
	for (unsigned level = PG_LEVEL_2M; level <= KVM_MAX_HUGEPAGE_LEVEL; level++)
		kv_count_add(&vm->kv->lpage, gfn_region(gfn, level), kv_tag(as, level), count);
}

static u32 write_track_count(const struct mmu_vm *vm, u8 as, gfn_t gfn)
{
	return kv_count_get(&vm->kv->wtrack, gfn, kv_tag(as, 0));
}

/* kvm_gfn_is_write_tracked(): this address space only until 0f38453cdb2e. */
bool mmu_gfn_is_write_tracked(const struct mmu_vm *vm, u8 as, gfn_t gfn)
{
	if (write_track_count(vm, as, gfn))
		return true;
	if (!vm->write_track_all_as)
		return false;
	for (u8 other = 0; other < GMEM_NR_AS; other++) {
		if (other != as && write_track_count(vm, other, gfn))
			return true;
	}
	return false;
}

unsigned mmu_gfn_write_track_count(const struct mmu_vm *vm, u8 as, gfn_t gfn)
{
	return write_track_count(vm, as, gfn);
}

/*
 * lpage_info_slot()->disallow_lpage: the counts kept by the model plus the 1 that
 * kvm_alloc_memslot_metadata() puts on a region the slot covers only in part.
 * (Neither the userspace-address misalignment rule nor KVM_LPAGE_MIXED_FLAG
 * applies: guest memory backings are aligned and there are no memory attributes.)
 */
unsigned mmu_gfn_disallow_lpage(const struct mmu_vm *vm, u8 as, gfn_t gfn, u8 level)
{
	unsigned count;
	struct gmem_slot_info si;

	if (level < PG_LEVEL_2M || level > KVM_MAX_HUGEPAGE_LEVEL)
		return 0;
	count = kv_count_get(&vm->kv->lpage, gfn_region(gfn, level), kv_tag(as, level));
	if (vm->gmem && gmem_slot_find(vm->gmem, as, gfn << PAGE_SHIFT, &si)) {
		u64 pages = KVM_LPAGE_REGION_PAGES(level);
		gfn_t base = si.base >> PAGE_SHIFT, end = base + (si.size >> PAGE_SHIFT);
		gfn_t first = gfn & ~(pages - 1);

		if (first < base || first + pages > end)
			count++;
	}
	return count;
}

/* __kvm_write_track_add_gfn() / __kvm_write_track_remove_gfn() without the
 * write-protect, which account_shadowed() does below. */
static void write_track_update(struct mmu_vm *vm, u8 as, gfn_t gfn, int count)
{
	kv_count_add(&vm->kv->wtrack, gfn, kv_tag(as, 0), count);
	update_gfn_disallow_lpage_count(vm, as, gfn, count);
}

static void emit_wrprot(const struct mmu_vm *vm, u8 as, gfn_t gfn, unsigned changed)
{
	struct mmu_event ev = {.kind = MMU_EV_WRPROT_GFN};

	ev.u.wrprot.as = as;
	ev.u.wrprot.gfn = gfn;
	ev.u.wrprot.changed = changed;
	mmu_emit(vm, &ev);
}

/*
 * account_shadowed() (>= v6.0, be911771330a): the slot is the one of
 * sp->role.smm's address space. An upper-level SP write-tracks its gfn
 * (__kvm_write_track_add_gfn(): count, disallow lpage, write-protect 4K and up,
 * full flush); a 4K SP only disallows large pages and write-protects the gfn
 * (flush of that gfn), since it may go unsync later. MMU_EV_WRPROT_GFN is
 * emitted when some SPTE lost W.
 */
static void account_shadowed(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	u8 as = (u8)sp->role.smm;
	unsigned changed = 0;

	vm->indirect_shadow_pages++;
	if (sp->role.level > PG_LEVEL_4K)
		write_track_update(vm, as, sp->gfn, 1);
	else
		update_gfn_disallow_lpage_count(vm, as, sp->gfn, 1);
	if (mmu_slot_gfn_write_protect(vm, as, sp->gfn, PG_LEVEL_4K, &changed))
		mmu_flush_remote_tlbs(vm);
	if (changed)
		emit_wrprot(vm, as, sp->gfn, changed);
}

/* unaccount_shadowed(): counters only; nothing becomes writable again. */
void unaccount_shadowed(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	u8 as = (u8)sp->role.smm;

	vm->indirect_shadow_pages--;
	if (sp->role.level > PG_LEVEL_4K)
		write_track_update(vm, as, sp->gfn, -1);
	else
		update_gfn_disallow_lpage_count(vm, as, sp->gfn, -1);
}

/* ---- find / alloc / get ---------------------------------------------------- */

/* Make room in the frame -> SP map for frame @idx. */
static void sp_by_pfn_reserve(struct mmu_vm *vm, u64 idx)
{
	u64 len = vm->sp_by_pfn_len ? vm->sp_by_pfn_len : 64;
	struct kvm_mmu_page **p;

	if (idx < vm->sp_by_pfn_len)
		return;
	while (len <= idx)
		len *= 2;
	p = realloc(vm->sp_by_pfn, len * sizeof(*p));
	if (!p)
		abort();
	memset(p + vm->sp_by_pfn_len, 0, (len - vm->sp_by_pfn_len) * sizeof(*p));
	vm->sp_by_pfn = p;
	vm->sp_by_pfn_len = len;
}

/*
 * kvm_sync_page(): re-read the gptes through vm->sync_page (KVM's
 * __kvm_sync_page(), which includes kvm_sync_page_check()); a failure (or no
 * hook) zaps the SP.
 */
static int kvm_sync_page(struct mmu_vm *vm, struct kvm_mmu_page *sp, struct mlist *invalid_list)
{
	int ret = vm->sync_page ? vm->sync_page(vm->ctx, sp) : -1;

	if (ret < 0)
		mmu_prepare_zap(vm, sp, invalid_list);
	return ret;
}

struct kvm_mmu_page *mmu_find_shadow_page(struct mmu_vm *vm, gfn_t gfn,
					  union kvm_mmu_page_role role, struct mlist *invalid_list)
{
	struct mlist *bucket = &vm->mmu_page_hash[mmu_page_hashfn(gfn)], *l;
	struct kvm_mmu_page *sp = NULL;
	u64 collisions = 0;

	for (l = bucket->next; l != bucket; l = l->next) {
		sp = sp_of_hash_link(l);
		if (mmu_is_obsolete_sp(vm, sp))
			continue;
		if (sp->gfn != gfn) {
			collisions++;
			continue;
		}
		if (sp->role.word != role.word) {
			/* A new upper-level page will write-protect the gfn: an unsync
			 * leaf there cannot stay. */
			if (role.level > PG_LEVEL_4K && sp->unsync)
				mmu_prepare_zap(vm, sp, invalid_list);
			continue;
		}
		/* unsync and write-flooding only apply to indirect SPs. */
		if (sp->role.direct)
			goto out;
		if (sp->unsync) {
			/* Synced but left unsync, and not write-protected: that
			 * waits for the guest's TLB flush (mmu_sync_children()). */
			int ret = kvm_sync_page(vm, sp, invalid_list);

			if (ret < 0)
				break; /* zapped: build a new one */
			if (ret > 0)
				mmu_flush_remote_tlbs(vm);
		}
		sp->write_flooding_count = 0; /* __clear_sp_write_flooding_count() */
		goto out;
	}
	sp = NULL;
	vm->stats.mmu_cache_miss++;
out:
	if (collisions > vm->stats.max_mmu_page_hash_collisions)
		vm->stats.max_mmu_page_hash_collisions = collisions;
	return sp;
}

/* A table page from hmem with every entry SHADOW_NONPRESENT_VALUE (the shadow
 * page cache's init_value, >= v6.10). */
int mmu_alloc_table(struct mmu_vm *vm, hpa_t *hpa)
{
	u64 *spt;
	int r = hmem_alloc_page(vm->hmem, hpa);

	if (r)
		return r;
	spt = hmem_ptr(vm->hmem, *hpa);
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++)
		spt[i] = SHADOW_NONPRESENT_VALUE;
	return 0;
}

/*
 * kvm_mmu_alloc_shadow_page(): the table comes from hmem filled with
 * SHADOW_NONPRESENT_VALUE (the shadow-page cache's init_value, >= v6.10);
 * indirect SPs get a shadowed_translation array. Head of the active list (a
 * FIFO that kvm_zap_obsolete_pages() relies on) and of its bucket.
 */
static struct kvm_mmu_page *mmu_alloc_shadow_page(struct mmu_vm *vm, gfn_t gfn,
						  union kvm_mmu_page_role role)
{
	struct kvm_mmu_page *sp;
	hpa_t hpa;

	if (mmu_alloc_table(vm, &hpa))
		return NULL;
	sp = mmu_zalloc(sizeof(*sp));
	sp->spt = hpa;
	if (!role.direct)
		sp->shadowed_translation = mmu_zalloc(SPTE_ENT_PER_PAGE * sizeof(u64));
	mmu_set_page_private(vm, sp);

	sp->mmu_valid_gen = vm->mmu_valid_gen;
	mlist_add(&sp->link, &vm->active_mmu_pages);
	vm->n_used_mmu_pages++; /* kvm_account_mmu_page() */

	sp->gfn = gfn;
	sp->role = role;
	sp->serial = vm->next_serial++;
	mlist_add(&sp->hash_link, &vm->mmu_page_hash[mmu_page_hashfn(gfn)]);
	if (mmu_sp_has_gptes(sp))
		account_shadowed(vm, sp);
	return sp;
}

void mmu_set_page_private(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	sp_by_pfn_reserve(vm, sp->spt >> PAGE_SHIFT);
	vm->sp_by_pfn[sp->spt >> PAGE_SHIFT] = sp;
}

/* kvm_mmu_free_shadow_page(). */
void mmu_free_shadow_page(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	mlist_del(&sp->hash_link);
	mlist_del(&sp->link);
	if ((sp->spt >> PAGE_SHIFT) < vm->sp_by_pfn_len)
		vm->sp_by_pfn[sp->spt >> PAGE_SHIFT] = NULL;
	hmem_free_page(vm->hmem, sp->spt);
	mmu_pte_list_free(&sp->parent_ptes);
	free(sp->shadowed_translation);
	free(sp);
}

/*
 * __kvm_mmu_get_shadow_page(): the zaps find made are committed before the
 * allocation (KVM commits them at the end of kvm_mmu_find_shadow_page()), so
 * the freed table pages are reused in the same order.
 */
struct kvm_mmu_page *mmu_get_shadow_page(struct mmu_vm *vm, gfn_t gfn, union kvm_mmu_page_role role)
{
	struct mlist invalid_list;
	struct kvm_mmu_page *sp;
	bool created = false;

	/* Variant direct_cr4_pae_cleared: kvm_mmu_get_page() before 47c42e6b4192
	 * cleared role.cr4_pae for direct pages (and computed quadrants only for
	 * shadowed 32-bit guest tables), before the hash lookup. */
	if (mmu_variant(vm, MMU_VAR_DIRECT_CR4_PAE) && role.direct) {
		role.has_4_byte_gpte = 1;
		role.quadrant = 0;
	}
	mlist_init(&invalid_list);
	sp = mmu_find_shadow_page(vm, gfn, role, &invalid_list);
	mmu_commit_zap_page(vm, &invalid_list);
	if (!sp) {
		sp = mmu_alloc_shadow_page(vm, gfn, role);
		if (!sp)
			return NULL;
		created = true;
	}
	mmu_emit_page(vm, MMU_EV_GET_PAGE, sp, created);
	return sp;
}

/*
 * kvm_mmu_child_role(): the parent's role one level down with the caller's
 * access and direct bits, never passthrough. A 4-byte-gpte guest page table
 * (1024 entries) is shadowed by two 512-entry tables: the child's quadrant is
 * bit 21 of the address, the low bit of the parent (8-byte) PDE index.
 */
union kvm_mmu_page_role mmu_child_role(const struct mmu_vm *vm, u64 parent_sptep, bool direct,
				       unsigned access)
{
	struct kvm_mmu_page *parent = mmu_sptep_to_sp(vm, parent_sptep);
	union kvm_mmu_page_role role = {0};

	if (!parent)
		return role;
	role = parent->role;
	role.level--;
	role.access = access & ACC_ALL;
	role.direct = direct;
	role.passthrough = 0;
	if (role.has_4_byte_gpte)
		role.quadrant = mmu_spte_index(parent_sptep) & 1;
	return role;
}

/* mark_unsync() / kvm_mmu_mark_parents_unsync(): set the parent's bit for this
 * entry; a parent's first unsync child propagates up through its own parents. */
static void mark_unsync(struct mmu_vm *vm, u64 sptep);

static void mark_parents_unsync(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	struct rmap_iter it;

	for (u64 p = rmap_get_first(&sp->parent_ptes, &it); p; p = rmap_get_next(&it))
		mark_unsync(vm, p);
}

static void mark_unsync(struct mmu_vm *vm, u64 sptep)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	unsigned idx = mmu_spte_index(sptep);
	u64 bit = 1ULL << (idx & 63);

	if (!sp || (sp->unsync_child_bitmap[idx / 64] & bit))
		return;
	sp->unsync_child_bitmap[idx / 64] |= bit;
	if (sp->unsync_children++)
		return;
	mark_parents_unsync(vm, sp);
}

/*
 * __link_shadow_page(flush = true): a present SPTE here can only be a huge leaf;
 * drop it and flush first. Then the non-leaf SPTE, the parent pointer, and the
 * unsync marks of a child that is (or has) unsync pages.
 */
void mmu_link_shadow_page(struct mmu_vm *vm, u64 sptep, struct kvm_mmu_page *sp)
{
	struct kvm_mmu_page *parent = mmu_sptep_to_sp(vm, sptep);

	if (parent && is_shadow_present_pte(spte_load(vm, sptep))) {
		mmu_page_zap_pte(vm, parent, sptep, NULL); /* drop_large_spte() */
		mmu_flush_remote_tlbs(vm); /* kvm_flush_remote_tlbs_sptep() */
	}
	spte_store(vm, sptep, make_nonleaf_spte(&vm->masks, sp->spt, sp->role.ad_disabled));
	pte_list_add(&sp->parent_ptes, sptep); /* mmu_page_add_parent_pte() */
	if (sp->unsync_children || sp->unsync)
		mark_unsync(vm, sptep);
}

/* ---- unsync ---------------------------------------------------------------- */

/* kvm_unsync_page(): the trace shows the page before the change. */
void mmu_unsync_page(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	mmu_emit_page(vm, MMU_EV_UNSYNC_PAGE, sp, false);
	vm->stats.mmu_unsync++;
	sp->unsync = true;
	mark_parents_unsync(vm, sp);
}

/* kvm_unlink_unsync_page(): traced as kvm_mmu_sync_page. */
void mmu_unlink_unsync_page(struct mmu_vm *vm, struct kvm_mmu_page *sp)
{
	mmu_emit_page(vm, MMU_EV_SYNC_PAGE, sp, false);
	sp->unsync = false;
	vm->stats.mmu_unsync--;
}

/*
 * mmu_try_to_unsync_pages(): a write-tracked gfn (an upper-level SP shadows it)
 * must stay read-only. Otherwise every valid SP with gptes at the gfn -- in the
 * VM-wide hash, whatever its address space -- goes unsync, unless KVM is itself
 * syncing (!can_unsync) or this is a prefetch (KVM does not unsync for those).
 */
int mmu_try_to_unsync_pages(struct mmu_vm *vm, u8 as, gfn_t gfn, bool can_unsync, bool prefetch)
{
	struct mlist *bucket = &vm->mmu_page_hash[mmu_page_hashfn(gfn)], *l;

	if (mmu_gfn_is_write_tracked(vm, as, gfn))
		return MMU_UNSYNC_EPERM;
	for (l = bucket->next; l != bucket; l = l->next) {
		struct kvm_mmu_page *sp = sp_of_hash_link(l);

		if (!sp_valid_with_gptes_at(vm, sp, gfn))
			continue;
		if (!can_unsync)
			return MMU_UNSYNC_EPERM;
		if (sp->unsync)
			continue;
		if (prefetch)
			return MMU_UNSYNC_EEXIST;
		/* KVM WARNs unless level == 4K; upper levels are write-tracked. */
		mmu_unsync_page(vm, sp);
	}
	return 0;
}
