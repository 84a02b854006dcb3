/* SPDX-License-Identifier: MIT */
/*
 * Reverse maps and leaf SPTEs (arch/x86/kvm/mmu/mmu.c): pte_list_desc chains
 * with KVM's exact layout and removal rule, the rmap of each (address space,
 * level, gfn region), installing and dropping leaf SPTEs with their page
 * statistics, and write-protection through the rmaps.
 */
#include "mmu/page_priv.h"

#include <stdlib.h>

#include "cpu/walk.h"

/*
 * kvm_rmap_head encoding (mmu.c "About rmap_head encoding"), as the model keeps it:
 *
 *   single  desc   meaning
 *   0       NULL   empty
 *   sptep   NULL   exactly one SPTE, no descriptor
 *   0       head   a chain: head descriptor first, then ->more ...
 *
 * Descriptors hold PTE_LIST_EXT (14) sptep values. Only the head descriptor may
 * be partly filled; a full head gets a new head in front of it, so tail_count of
 * a descriptor is the number of entries behind it and never changes. Removal
 * moves the head's last entry into the hole. Once a chain exists it stays a
 * chain (KVM never turns a one-entry descriptor back into a single pointer).
 */

/* pte_list_add(): returns the number of entries before the new one. */
unsigned pte_list_add(struct kvm_rmap_head *head, u64 sptep)
{
	struct pte_list_desc *desc;
	unsigned count = 0;

	if (!head->desc && !head->single) {
		head->single = sptep;
	} else if (!head->desc) {
		desc = mmu_zalloc(sizeof(*desc));
		desc->sptes[0] = head->single;
		desc->sptes[1] = sptep;
		desc->spte_count = 2;
		desc->tail_count = 0;
		head->single = 0;
		head->desc = desc;
		count = 1;
	} else {
		desc = head->desc;
		count = desc->tail_count + desc->spte_count;
		/* Tail descriptors are always full: a full head gets a new head. */
		if (desc->spte_count == PTE_LIST_EXT) {
			desc = mmu_zalloc(sizeof(*desc));
			desc->more = head->desc;
			desc->spte_count = 0;
			desc->tail_count = count;
			head->desc = desc;
		}
		desc->sptes[desc->spte_count++] = sptep;
	}
	return count;
}

/* pte_list_desc_remove_entry(): fill the hole from the head's last entry. */
static void pte_list_desc_remove_entry(struct kvm_rmap_head *head, struct pte_list_desc *desc,
				       unsigned i)
{
	struct pte_list_desc *head_desc = head->desc;
	unsigned j = head_desc->spte_count - 1;

	desc->sptes[i] = head_desc->sptes[j];
	head_desc->sptes[j] = 0;
	head_desc->spte_count--;
	if (head_desc->spte_count)
		return;
	/* The head emptied: the next descriptor (full) becomes the head. */
	head->desc = head_desc->more;
	free(head_desc);
}

/* pte_list_remove(): KVM_BUG_ON_DATA_CORRUPTION cases (absent entry) are ignored. */
void pte_list_remove(struct kvm_rmap_head *head, u64 sptep)
{
	struct pte_list_desc *desc;

	if (!head->desc) {
		if (head->single == sptep)
			head->single = 0;
		return;
	}
	for (desc = head->desc; desc; desc = desc->more) {
		for (unsigned i = 0; i < desc->spte_count; i++) {
			if (desc->sptes[i] == sptep) {
				pte_list_desc_remove_entry(head, desc, i);
				return;
			}
		}
	}
}

/* pte_list_count(). */
unsigned pte_list_count(const struct kvm_rmap_head *head)
{
	if (head->desc)
		return head->desc->tail_count + head->desc->spte_count;
	return head->single ? 1 : 0;
}

/* Free every descriptor of @head and empty it (no SPTE is touched). */
static void pte_list_free(struct kvm_rmap_head *head)
{
	struct pte_list_desc *desc, *next;

	for (desc = head->desc; desc; desc = next) {
		next = desc->more;
		free(desc);
	}
	head->desc = NULL;
	head->single = 0;
}

/* rmap_get_first(). */
u64 rmap_get_first(const struct kvm_rmap_head *head, struct rmap_iter *it)
{
	it->desc = head->desc;
	it->pos = 0;
	if (!head->desc)
		return head->single;
	return head->desc->sptes[0];
}

/* rmap_get_next(): the rest of this descriptor, then the next one from 0. */
u64 rmap_get_next(struct rmap_iter *it)
{
	if (!it->desc)
		return 0;
	if (it->pos < PTE_LIST_EXT - 1) {
		it->pos++;
		if (it->desc->sptes[it->pos])
			return it->desc->sptes[it->pos];
	}
	it->desc = it->desc->more;
	it->pos = 0;
	return it->desc ? it->desc->sptes[0] : 0;
}

/* ---- SPTE storage --------------------------------------------------------- */

u64 spte_load(const struct mmu_vm *vm, u64 sptep)
{
	const u64 *p = mmu_sptep_ptr(vm, sptep);

	return p ? *p : SHADOW_NONPRESENT_VALUE;
}

void spte_store(struct mmu_vm *vm, u64 sptep, u64 val)
{
	u64 *p = mmu_sptep_ptr(vm, sptep);

	if (p)
		*p = val;
}

struct kvm_mmu_page *spte_to_child_sp(const struct mmu_vm *vm, u64 spte)
{
	return mmu_sptep_to_sp(vm, spte & SPTE_BASE_ADDR_MASK);
}

/* is_dirty_spte() (spte.h): D when the SPTE uses A/D bits, else W. */
static bool is_dirty_spte(const struct spte_masks *m, u64 spte)
{
	u64 dirty_mask = spte_ad_enabled(spte) ? m->dirty_mask : 0;

	return dirty_mask ? (spte & dirty_mask) != 0 : (spte & PT_WRITABLE_MASK) != 0;
}

/*
 * mmu_spte_update(): store @new_spte (same pfn) and say whether remote TLBs need
 * a flush: an MMU-writable SPTE lost W, or Accessed or Dirty was cleared.
 * (kvm_set_pfn_accessed/dirty have no model: host pages are not swapped.)
 */
bool mmu_spte_update(struct mmu_vm *vm, u64 sptep, u64 new_spte)
{
	const struct spte_masks *m = &vm->masks;
	u64 old_spte = spte_load(vm, sptep);
	bool flush = false;

	spte_store(vm, sptep, new_spte);
	if (!is_shadow_present_pte(old_spte))
		return false;
	if (is_mmu_writable_spte(m, old_spte) && !is_writable_pte(new_spte))
		flush = true;
	if (is_accessed_spte(m, old_spte) && !is_accessed_spte(m, new_spte))
		flush = true;
	if (is_dirty_spte(m, old_spte) && !is_dirty_spte(m, new_spte))
		flush = true;
	return flush;
}

/*
 * mmu_spte_clear_track_bits(): clear a leaf SPTE to SHADOW_NONPRESENT_VALUE (the
 * non-present value of 64-bit hosts since v6.10) and drop it from the page
 * statistics. Returns the old value.
 */
static u64 mmu_spte_clear_track_bits(struct mmu_vm *vm, u64 sptep)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	u64 old_spte = spte_load(vm, sptep);

	spte_store(vm, sptep, SHADOW_NONPRESENT_VALUE);
	if (!is_shadow_present_pte(old_spte) || !sp)
		return old_spte;
	mmu_update_page_stats(vm, sp->role.level, -1);
	return old_spte;
}

/* ---- rmaps ---------------------------------------------------------------- */

/* gfn_to_rmap(): the rmap head of (@as, @gfn, @level), created on demand. */
static struct kv_ent *rmap_lookup(const struct mmu_vm *vm, u8 as, gfn_t gfn, unsigned level)
{
	return kv_lookup(&vm->kv->rmap, gfn_region(gfn, level), kv_tag(as, level));
}

/* kvm_mmu_page_set_translation(): only SPs with gptes store gfn and access. */
static void mmu_page_set_translation(struct kvm_mmu_page *sp, unsigned index, gfn_t gfn,
				     unsigned access)
{
	if (mmu_sp_has_gptes(sp))
		sp->shadowed_translation[index] = gfn << PAGE_SHIFT | access;
}

/* kvm_zap_all_rmap_sptes(): clear every SPTE of the chain and empty it. */
static bool kvm_zap_all_rmap_sptes(struct mmu_vm *vm, struct kvm_rmap_head *head)
{
	const struct pte_list_desc *desc;

	if (!head->desc && !head->single)
		return false;
	if (!head->desc) {
		mmu_spte_clear_track_bits(vm, head->single);
	} else {
		for (desc = head->desc; desc; desc = desc->more) {
			for (unsigned i = 0; i < desc->spte_count; i++)
				mmu_spte_clear_track_bits(vm, desc->sptes[i]);
		}
	}
	pte_list_free(head);
	return true;
}

/*
 * __rmap_add(): record gfn/access in the SP, count the page, add @sptep to the
 * rmap of its gfn, track the longest chain, and recycle a chain that grew past
 * RMAP_RECYCLE_THRESHOLD (every SPTE in it zapped, the gfn flushed).
 */
static void rmap_add(struct mmu_vm *vm, u64 sptep, gfn_t gfn, unsigned access)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	unsigned level = sp->role.level;
	struct kv_ent *e;
	unsigned count;

	mmu_page_set_translation(sp, mmu_spte_index(sptep), gfn, access);
	mmu_update_page_stats(vm, level, 1);

	e = kv_insert(&vm->kv->rmap, gfn_region(gfn, level), kv_tag((u8)sp->role.smm, level));
	count = pte_list_add(&e->v.rmap, sptep);
	if (count > vm->stats.max_mmu_rmap_size)
		vm->stats.max_mmu_rmap_size = count;
	if (count > RMAP_RECYCLE_THRESHOLD) {
		kvm_zap_all_rmap_sptes(vm, &e->v.rmap);
		kv_remove(&vm->kv->rmap, e);
		mmu_flush_remote_tlbs(vm);
	}
}

/* rmap_remove(): the address space comes from sp->role (no vCPU context). */
static void rmap_remove(struct mmu_vm *vm, u64 sptep)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	struct kv_ent *e;
	gfn_t gfn;

	if (!sp)
		return;
	gfn = mmu_page_get_gfn(sp, mmu_spte_index(sptep));
	e = rmap_lookup(vm, (u8)sp->role.smm, gfn, sp->role.level);
	if (!e)
		return;
	pte_list_remove(&e->v.rmap, sptep);
	if (!e->v.rmap.desc && !e->v.rmap.single)
		kv_remove(&vm->kv->rmap, e);
}

/* drop_spte(). */
static void drop_spte(struct mmu_vm *vm, u64 sptep)
{
	u64 old_spte = mmu_spte_clear_track_bits(vm, sptep);

	if (is_shadow_present_pte(old_spte))
		rmap_remove(vm, sptep);
}

/* drop_parent_pte(): mmu_page_remove_parent_pte() + mmu_spte_clear_no_track(). */
void drop_parent_pte(struct mmu_vm *vm, struct kvm_mmu_page *child, u64 sptep)
{
	pte_list_remove(&child->parent_ptes, sptep);
	spte_store(vm, sptep, SHADOW_NONPRESENT_VALUE);
}

/*
 * mmu_page_zap_pte(): a leaf is dropped (rmap, stats); a table pointer is
 * unlinked from the child's parents -- and with TDP enabled a guest_mode child
 * left without parents is zapped too (parentless nested SPs are unlikely to be
 * used again); an MMIO SPTE is just cleared.
 */
int mmu_page_zap_pte(struct mmu_vm *vm, struct kvm_mmu_page *sp, u64 sptep,
		     struct mlist *invalid_list)
{
	u64 pte = spte_load(vm, sptep);
	struct kvm_mmu_page *child;

	if (is_shadow_present_pte(pte)) {
		if (is_last_spte(pte, sp->role.level)) {
			drop_spte(vm, sptep);
		} else {
			child = spte_to_child_sp(vm, pte);
			if (!child) {
				spte_store(vm, sptep, SHADOW_NONPRESENT_VALUE);
				return 0;
			}
			drop_parent_pte(vm, child, sptep);
			if (vm->tdp_enabled && invalid_list && child->role.guest_mode &&
			    !pte_list_count(&child->parent_ptes))
				return mmu_prepare_zap(vm, child, invalid_list) ? 1 : 0;
		}
	} else if (is_mmio_spte(&vm->masks, pte)) {
		spte_store(vm, sptep, SHADOW_NONPRESENT_VALUE);
	}
	return 0;
}

bool mmu_zap_spte(struct mmu_vm *vm, u64 sptep)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	u64 old_spte;

	if (!sp)
		return false;
	old_spte = spte_load(vm, sptep);
	mmu_page_zap_pte(vm, sp, sptep, NULL);
	return is_shadow_present_pte(old_spte);
}

/* make_spte()'s unsync hook: mmu_try_to_unsync_pages() in the SP's address space. */
int mmu_try_unsync_cb(void *ctx, gfn_t gfn, bool can_unsync, bool prefetch)
{
	struct mmu_unsync_ctx *u = ctx;

	return mmu_try_to_unsync_pages(u->vm, u->as, gfn, can_unsync, prefetch);
}

/* trace_kvm_mmu_set_spte(level, gfn, sptep): the SPTE after the update. */
void mmu_emit_set_spte(const struct mmu_vm *vm, u64 sptep, unsigned level, gfn_t gfn)
{
	struct mmu_event ev = {.kind = MMU_EV_SET_SPTE};

	ev.u.set_spte.gfn = gfn;
	ev.u.set_spte.spte = spte_load(vm, sptep);
	ev.u.set_spte.sptep = sptep;
	ev.u.set_spte.level = (u8)level;
	ev.u.set_spte.ept = vm->masks.ept;
	spte_rwxu(&vm->masks, ev.u.set_spte.spte, &ev.u.set_spte.r, &ev.u.set_spte.w,
		  &ev.u.set_spte.x, &ev.u.set_spte.u);
	mmu_emit(vm, &ev);
}

/* trace_mark_mmio_spte(sptep, gfn, spte). */
void mmu_emit_mark_mmio_spte(const struct mmu_vm *vm, u64 sptep, gfn_t gfn, u64 spte)
{
	struct mmu_event ev = {.kind = MMU_EV_MARK_MMIO_SPTE};

	ev.u.mmio.sptep = sptep;
	ev.u.mmio.gfn = gfn;
	ev.u.mmio.access = (unsigned)(spte & ACC_ALL);
	ev.u.mmio.gen = (unsigned)get_mmio_spte_generation(spte);
	mmu_emit(vm, &ev);
}

/*
 * mark_mmio_spte(): an MMIO SPTE for @gfn with @access and the current memslot
 * generation of the SP's address space (make_mmio_spte() reads
 * kvm_vcpu_memslots(), and the vCPU's address space is the SP's role.smm),
 * traced before it is stored. KVM's mmu_spte_set() WARNs on a present SPTE and
 * overwrites it; the model drops such a leaf first so its rmap stays consistent.
 */
void mark_mmio_spte(struct mmu_vm *vm, struct kvm_mmu_page *sp, u64 sptep, gfn_t gfn,
		    unsigned access)
{
	u64 gen = gmem_generation(vm->gmem, (u8)sp->role.smm);
	u64 spte = make_mmio_spte(&vm->masks, gfn, access, gen);

	mmu_emit_mark_mmio_spte(vm, sptep, gfn, spte);
	if (is_shadow_present_pte(spte_load(vm, sptep)))
		mmu_zap_spte(vm, sptep);
	spte_store(vm, sptep, spte);
}

/*
 * make_spte(vcpu, sp, slot, pte_access, gfn, pfn, old_spte, prefetch,
 * synchronizing, host_writable, &new_spte) as KVM calls it: the leaf SPTE for
 * @gfn in @sp, with the unsync check run in the SP's address space (role.smm)
 * unless @synchronizing. Returns make_spte()'s wrprot.
 */
bool mmu_make_spte(struct mmu_vm *vm, const struct kvm_mmu_page *sp, unsigned pte_access, gfn_t gfn,
		   hfn_t pfn, u64 old_spte, bool prefetch, bool synchronizing, bool host_writable,
		   u64 *new_spte)
{
	struct mmu_unsync_ctx uctx = {.vm = vm, .as = (u8)sp->role.smm};
	struct make_spte_args a = {
		.role = sp->role,
		.pte_access = pte_access,
		.level = (u8)sp->role.level,
		.gfn = gfn,
		.pfn = pfn,
		.old_spte = old_spte,
		.prefetch = prefetch,
		.can_unsync = !synchronizing,
		.host_writable = host_writable,
		.nx_huge_page_workaround = vm->nx_huge_pages,
		.try_unsync = mmu_try_unsync_cb,
		.ctx = &uctx,
	};

	return make_spte(&vm->masks, &a, new_spte);
}

/*
 * mmu_set_spte(): the level is the SP's (@level must match it). A present SPTE
 * is replaced: a table pointer under a new huge leaf is unlinked, a leaf of
 * another pfn dropped; a leaf of the same pfn keeps its rmap entry.
 */
int mmu_set_spte(struct mmu_vm *vm, u64 sptep, unsigned pte_access, bool write_fault, u8 level,
		 gfn_t gfn, hfn_t pfn, bool prefetch, bool host_writable)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);
	bool was_rmapped = false, flush = false, wrprot;
	int ret = RET_PF_FIXED;
	u64 old_spte, spte;

	(void)level;
	if (!sp)
		return RET_PF_INVALID;
	if (pfn == KVM_PFN_NOSLOT) {
		/* is_noslot_pfn(): the caller counts pf_mmio_spte_created. */
		mark_mmio_spte(vm, sp, sptep, gfn, pte_access);
		return RET_PF_EMULATE;
	}
	old_spte = spte_load(vm, sptep);
	if (is_shadow_present_pte(old_spte)) {
		if (sp->role.level > PG_LEVEL_4K && !is_large_pte(old_spte)) {
			/* A PTE table replaced by a huge leaf: unlink it. */
			struct kvm_mmu_page *child = spte_to_child_sp(vm, old_spte);

			if (child)
				drop_parent_pte(vm, child, sptep);
			else
				spte_store(vm, sptep, SHADOW_NONPRESENT_VALUE);
			flush = true;
		} else if (pfn != spte_to_pfn(old_spte)) {
			drop_spte(vm, sptep);
			flush = true;
		} else {
			was_rmapped = true;
		}
	}

	wrprot = mmu_make_spte(vm, sp, pte_access, gfn, pfn, spte_load(vm, sptep), prefetch, false,
			       host_writable, &spte);

	if (spte_load(vm, sptep) == spte) {
		ret = RET_PF_SPURIOUS;
	} else {
		flush |= mmu_spte_update(vm, sptep, spte);
		mmu_emit_set_spte(vm, sptep, sp->role.level, gfn);
	}
	if (wrprot && write_fault)
		ret = RET_PF_EMULATE;
	if (flush)
		mmu_flush_remote_tlbs(vm); /* kvm_flush_remote_tlbs_gfn() */
	if (!was_rmapped)
		rmap_add(vm, sptep, gfn, pte_access);
	else
		mmu_page_set_translation(sp, mmu_spte_index(sptep),
					 mmu_page_get_gfn(sp, mmu_spte_index(sptep)), pte_access);
	return ret;
}

/*
 * spte_write_protect(): clear W, and MMU-writable too when protecting for
 * shadow paging (@pt_protect), so the fast page-fault path cannot give W back.
 * Returns whether a TLB flush is needed; *changed counts SPTEs that changed.
 */
static bool spte_write_protect(struct mmu_vm *vm, u64 sptep, bool pt_protect, unsigned *changed)
{
	u64 spte = spte_load(vm, sptep);
	u64 new_spte = spte;

	if (!is_writable_pte(spte) && !(pt_protect && is_mmu_writable_spte(&vm->masks, spte)))
		return false;
	if (pt_protect)
		new_spte &= ~vm->masks.mmu_writable_mask;
	new_spte &= ~PT_WRITABLE_MASK;
	if (new_spte != spte)
		(*changed)++;
	return mmu_spte_update(vm, sptep, new_spte);
}

/*
 * kvm_mmu_slot_gfn_write_protect(): rmap_write_protect(pt_protect = true) of the
 * rmaps of @gfn at @min_level .. 1G in @as. Returns whether to flush.
 */
bool mmu_slot_gfn_write_protect(struct mmu_vm *vm, u8 as, gfn_t gfn, unsigned min_level,
				unsigned *changed)
{
	bool flush = false;

	for (unsigned level = min_level; level <= KVM_MAX_HUGEPAGE_LEVEL; level++) {
		struct kv_ent *e = rmap_lookup(vm, as, gfn, level);
		struct rmap_iter it;
		u64 sptep;

		if (!e)
			continue;
		for (sptep = rmap_get_first(&e->v.rmap, &it); sptep; sptep = rmap_get_next(&it))
			flush |= spte_write_protect(vm, sptep, true, changed);
	}
	return flush;
}

unsigned mmu_write_protect_gfn(struct mmu_vm *vm, u8 as, gfn_t gfn, u8 min_level)
{
	unsigned changed = 0;

	mmu_slot_gfn_write_protect(vm, as, gfn, min_level ? min_level : PG_LEVEL_4K, &changed);
	return changed;
}

unsigned mmu_rmap_get(const struct mmu_vm *vm, u8 as, gfn_t gfn, u8 level, u64 *out, unsigned max)
{
	const struct kv_ent *e = rmap_lookup(vm, as, gfn, level);
	struct rmap_iter it;
	unsigned n = 0;
	u64 sptep;

	if (!e)
		return 0;
	for (sptep = rmap_get_first(&e->v.rmap, &it); sptep; sptep = rmap_get_next(&it)) {
		if (out && n < max)
			out[n] = sptep;
		n++;
	}
	return n;
}

/* Teardown: free the descriptor chains left in every rmap. */
void mmu_rmaps_free(struct mmu_vm *vm)
{
	struct kv_map *m = &vm->kv->rmap;

	for (u64 i = 0; i < m->cap; i++) {
		if (m->ents[i].used)
			pte_list_free(&m->ents[i].v.rmap);
	}
	kv_map_free(m);
}

void mmu_pte_list_free(struct kvm_rmap_head *head)
{
	pte_list_free(head);
}
