/* SPDX-License-Identifier: MIT */
/*
 * The page-fault path (arch/x86/kvm/mmu/mmu.c, paging_tmpl.h): kvm_mmu_page_fault(),
 * kvm_mmu_do_page_fault(), the shadow handler FNAME(page_fault)/FNAME(fetch) and
 * the direct handler direct_page_fault()/direct_map(). The guest walk is cpu/'s
 * walker over guest memory (a real walk: it sets the guest's A/D bits as
 * FNAME(update_accessed_dirty_bits) does).
 */
#include "mmu/fault.h"

#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/page_priv.h"
#include "mmu/shadow_walk.h"
#include "mmu/tdp_mmu.h"

#define FAULT_LEVEL_4K 1 /* PG_LEVEL_4K */
/* KVM_PAGES_PER_HPAGE(level): 4K frames in one page of @level. */
#define KVM_PAGES_PER_HPAGE(level) (1ULL << (9 * ((unsigned)(level)-1)))
#define GPTE_P BIT_ULL(0)
#define GPTE_W BIT_ULL(1)
#define GPTE_U BIT_ULL(2)
#define GPTE_D BIT_ULL(6)
#define GPTE_NX BIT_ULL(63)
#define EPT_GPTE_R BIT_ULL(0)
#define EPT_GPTE_W BIT_ULL(1)
#define EPT_GPTE_X BIT_ULL(2)
#define EPT_GPTE_D BIT_ULL(9)
#define MAX_LEVELS 5

/* The fault as KVM describes it (struct kvm_page_fault, the parts modelled). */
struct page_fault {
	u64 addr;
	u64 error_code;
	bool exec, write, present, rsvd, user;
	u8 as; /* the vCPU's address space (kvm_vcpu_memslots()) */
	/* kvm_mmu_hugepage_adjust()'s inputs and outputs: max_level (1G, 2M for
	 * nonpaging, the guest page's level for shadow paging), req_level (what
	 * could be mapped), goal_level (what will be). */
	u8 max_level, req_level, goal_level;
	bool nx_huge_page_workaround_enabled; /* is_nx_huge_page_enabled() */
	bool huge_page_disallowed; /* an exec fault under the NX mitigation */
	gfn_t gfn;
	hfn_t pfn;
	bool map_writable;
	/* KVM_PRE_FAULT_MEMORY (mmu_page_fault_prefetch()): not counted in
	 * pf_taken, and mmu_set_spte(prefetch) leaves the SPTE's Accessed bit clear. */
	bool prefetch;
};

/* The parts of struct guest_walker FNAME(fetch) uses, from the walker's steps. */
struct guest_walker {
	u8 level; /* the leaf's level */
	gfn_t table_gfn[MAX_LEVELS]; /* [L - 1]: the table holding the level-L gpte */
	unsigned pt_access[MAX_LEVELS]; /* [L - 1]: rights of the gptes above level L */
	unsigned pte_access; /* rights of the whole walk, leaf included */
	gfn_t gfn;
};

/* gfn_round_for_level(): the first gfn of the level-@level page holding @gfn. */
static gfn_t gfn_round_for_level(gfn_t gfn, int level)
{
	return gfn & ~((1ULL << (9 * (level - 1))) - 1);
}

/* clear_sp_write_flooding_count(): the SP holding @sptep is in use. */
static void clear_sp_write_flooding_count(const struct mmu_vm *vm, u64 sptep)
{
	struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, sptep);

	if (sp)
		sp->write_flooding_count = 0;
}

/* shadow_page_table_clear_flood(): every SP on addr's shadow path is in use. */
static void shadow_page_table_clear_flood(const struct mmu_vcpu *v, u64 addr)
{
	struct shadow_walk_iterator it;

	for (shadow_walk_init(&it, v, addr); shadow_walk_okay(&it); shadow_walk_next(&it, v->vm))
		clear_sp_write_flooding_count(v->vm, it.sptep);
}

/*
 * kvm_mmu_get_child_sp(): NULL with *exists when @sptep already points at a child
 * table (KVM's -EEXIST); NULL without it when hmem is exhausted.
 */
static struct kvm_mmu_page *mmu_get_child_sp(struct mmu_vm *vm, u64 sptep, gfn_t gfn, bool direct,
					     unsigned access, bool *exists)
{
	const u64 *p = mmu_sptep_ptr(vm, sptep);

	*exists = p && is_shadow_present_pte(*p) && !is_large_pte(*p);
	if (*exists || !p)
		return NULL;
	return mmu_get_shadow_page(vm, gfn, mmu_child_role(vm, sptep, direct, access));
}

/* Get or link the child of @sptep; 0, or MSC_ENOSPC / MSC_EIO. *@linked (when
 * given): the SP just linked, NULL when a child table was there already. */
static int link_child(struct mmu_vm *vm, u64 sptep, gfn_t gfn, bool direct, unsigned access,
		      bool sync_children, struct kvm_mmu_page **linked)
{
	struct kvm_mmu_page *sp;
	bool exists;

	if (linked)
		*linked = NULL;
	sp = mmu_get_child_sp(vm, sptep, gfn, direct, access, &exists);
	if (exists)
		return 0;
	if (!sp)
		return mmu_sptep_ptr(vm, sptep) ? MSC_ENOSPC : MSC_EIO;
	/* FNAME(fetch): sync before linking, the guest need not flush for a
	 * non-present -> present gpte change. */
	if (sync_children && sp->unsync_children)
		(void)mmu_sync_children(vm, sp, false);
	mmu_link_shadow_page(vm, sptep, sp); /* link_shadow_page() */
	if (linked)
		*linked = sp;
	return 0;
}

/* trace_kvm_mmu_spte_requested(): pfn | the gfn's offset in the goal page. */
static void emit_spte_requested(const struct mmu_vm *vm, const struct page_fault *pf)
{
	struct mmu_event ev = {.kind = MMU_EV_SPTE_REQUESTED};

	ev.u.requested.gfn = pf->gfn;
	ev.u.requested.pfn = pf->pfn | (pf->gfn & (KVM_PAGES_PER_HPAGE(pf->goal_level) - 1));
	ev.u.requested.level = pf->goal_level;
	mmu_emit(vm, &ev);
}

/* page_fault_handle_page_track(): a present write fault on a write-tracked gfn. */
static bool page_fault_handle_page_track(const struct mmu_vm *vm, const struct page_fault *pf)
{
	if (pf->rsvd || !pf->present || !pf->write)
		return false;
	return mmu_gfn_is_write_tracked(vm, pf->as, pf->gfn);
}

/* kvm_mmu_max_gfn() (mmu.h): the host MAXPHYADDR with TDP, 52 bits for shadow paging. */
static gfn_t kvm_mmu_max_gfn(const struct mmu_vm *vm)
{
	unsigned bits = vm->tdp_enabled ? vm->masks.host_maxphyaddr : 52;

	if (bits <= PAGE_SHIFT || bits > 52)
		bits = 52;
	return (1ULL << (bits - PAGE_SHIFT)) - 1;
}

/*
 * kvm_handle_noslot_fault(): a gfn outside every memslot is MMIO. The MMIO
 * cache (vcpu_cache_mmio_info()) is not modelled. Without MMIO caching, or for a
 * gfn above the host's max gfn, emulate at once; otherwise RET_PF_CONTINUE with
 * the pfn KVM_PFN_NOSLOT, so that mmu_set_spte() installs an MMIO SPTE.
 */
static int kvm_handle_noslot_fault(const struct mmu_vm *vm, struct page_fault *pf,
				   struct mmu_fault_out *out)
{
	out->mmio = true;
	pf->pfn = KVM_PFN_NOSLOT;
	pf->map_writable = false;
	if (!spte_mmio_caching_enabled(&vm->masks))
		return RET_PF_EMULATE;
	if (pf->gfn > kvm_mmu_max_gfn(vm))
		return RET_PF_EMULATE;
	return RET_PF_CONTINUE;
}

/*
 * kvm_faultin_pfn(): gfn -> pfn through the memslots. RET_PF_CONTINUE (a gfn
 * outside every memslot included, when an MMIO SPTE is to be installed), or
 * RET_PF_EMULATE for uncached MMIO and for a write to a read-only page
 * (KVM_PFN_ERR_RO_FAULT).
 */
static int kvm_faultin_pfn(const struct mmu_vm *vm, struct page_fault *pf,
			   struct mmu_fault_out *out)
{
	bool writable = false;

	if (!vm->gfn_to_pfn || !vm->gfn_to_pfn(vm->ctx, pf->as, pf->gfn, &pf->pfn, &writable))
		return kvm_handle_noslot_fault(vm, pf, out);
	pf->map_writable = writable;
	if (pf->write && !writable)
		return RET_PF_EMULATE;
	return RET_PF_CONTINUE;
}

/*
 * host_pfn_mapping_level(): the size of the host page backing @gfn. The model's
 * host backs each memslot with pages of vm->host_page_level wherever the page's
 * gfn range lies wholly inside the memslot @si, as hugetlbfs does with an
 * aligned memslot; the host page is physically aligned too, so the host frame
 * must sit at the same offset in it as @gfn in its guest page (SIM's
 * 2^28 + gfn frames are; an alias at an unaligned offset is not: 4K).
 */
static u8 host_pfn_mapping_level(const struct mmu_vm *vm, const struct gmem_slot_info *si,
				 gfn_t gfn, hfn_t pfn)
{
	gfn_t base = si->base >> PAGE_SHIFT, end = base + (si->size >> PAGE_SHIFT);

	for (u8 level = vm->host_page_level; level > FAULT_LEVEL_4K; level--) {
		gfn_t pages = KVM_PAGES_PER_HPAGE(level);
		gfn_t first = gfn & ~(pages - 1);

		if (first >= base && first + pages <= end && !((gfn ^ pfn) & (pages - 1)))
			return level;
	}
	return FAULT_LEVEL_4K;
}

/*
 * __kvm_mmu_max_mapping_level(): the largest level up to @max_level (capped at
 * max_huge_page_level) whose lpage_info.disallow_lpage is 0 -- no shadowed or
 * write-tracked gfn in the region, the region inside the memslot -- then
 * capped by the host page size.
 */
static u8 kvm_mmu_max_mapping_level(const struct mmu_vm *vm, u8 as, const struct gmem_slot_info *si,
				    gfn_t gfn, hfn_t pfn, u8 max_level)
{
	u8 host_level;

	if (max_level > vm->max_huge_page_level)
		max_level = vm->max_huge_page_level;
	for (; max_level > FAULT_LEVEL_4K; max_level--)
		if (!mmu_gfn_disallow_lpage(vm, as, gfn, max_level))
			break;
	if (max_level == FAULT_LEVEL_4K)
		return FAULT_LEVEL_4K;
	host_level = host_pfn_mapping_level(vm, si, gfn, pfn);
	return host_level < max_level ? host_level : max_level;
}

/*
 * kvm_mmu_hugepage_adjust(): huge_page_disallowed for an exec fault under the
 * NX mitigation; nothing for a 4K max_level, a gfn outside every memslot or a
 * memslot logging dirty pages (kvm_slot_dirty_track_enabled()); otherwise
 * req_level, and goal_level = req_level unless the mitigation holds it at 4K,
 * the pfn aligned down to the goal page.
 */
static void kvm_mmu_hugepage_adjust(const struct mmu_vm *vm, struct page_fault *pf)
{
	struct gmem_slot_info si;
	hfn_t mask;

	pf->huge_page_disallowed = pf->exec && pf->nx_huge_page_workaround_enabled;
	if (pf->max_level == FAULT_LEVEL_4K)
		return;
	if (pf->pfn == KVM_PFN_NOSLOT || !vm->gmem ||
	    !gmem_slot_find(vm->gmem, pf->as, pf->gfn << PAGE_SHIFT, &si))
		return;
	if (si.flags & GMEM_SLOT_DIRTY_LOG)
		return;
	pf->req_level = kvm_mmu_max_mapping_level(vm, pf->as, &si, pf->gfn, pf->pfn, pf->max_level);
	if (pf->req_level == FAULT_LEVEL_4K || pf->huge_page_disallowed)
		return;
	pf->goal_level = pf->req_level;
	mask = KVM_PAGES_PER_HPAGE(pf->goal_level) - 1;
	pf->pfn &= ~mask;
}

/*
 * disallowed_hugepage_adjust(): a table at the goal level whose SP an exec
 * fault under the NX mitigation linked stays: one level down, the pfn gets the
 * next 9 bits of the gfn back.
 */
static void disallowed_hugepage_adjust(const struct mmu_vm *vm, struct page_fault *pf, u64 sptep,
				       int cur_level)
{
	const u64 *p = mmu_sptep_ptr(vm, sptep);
	const struct kvm_mmu_page *child;

	if (cur_level <= FAULT_LEVEL_4K || cur_level != pf->goal_level || !p ||
	    !is_shadow_present_pte(*p) || is_large_pte(*p))
		return;
	child = spte_to_child_sp(vm, *p);
	if (!child || !child->nx_huge_page_disallowed)
		return;
	pf->pfn |= pf->gfn & (KVM_PAGES_PER_HPAGE(cur_level) - KVM_PAGES_PER_HPAGE(cur_level - 1));
	pf->goal_level--;
}

/* is_page_fault_stale(): an obsolete root, or a special root with a pending free. */
static bool is_page_fault_stale(const struct mmu_vcpu *v)
{
	struct kvm_mmu_page *sp = mmu_root_to_sp(v->vm, v->mmu->root.hpa);

	if (sp && mmu_is_obsolete_sp(v->vm, sp))
		return true;
	return !sp && v->vm->req_free_obsolete_roots;
}

/* The leaf: mmu_set_spte() at @sptep, remembered in @out; an MMIO SPTE for a
 * gfn outside every memslot counts pf_mmio_spte_created (mmu_set_spte()). */
static int install_leaf(struct mmu_vcpu *v, const struct page_fault *pf, u64 sptep,
			unsigned pte_access, gfn_t base_gfn, struct mmu_fault_out *out)
{
	int r;

	out->sptep = sptep;
	out->pfn = pf->pfn;
	out->pte_access = pte_access;
	r = mmu_set_spte(v->vm, sptep, pte_access, pf->write, pf->goal_level, base_gfn, pf->pfn,
			 pf->prefetch, pf->map_writable);
	if (pf->pfn == KVM_PFN_NOSLOT && r == RET_PF_EMULATE)
		v->pf_mmio_spte_created++;
	return r;
}

/* The SP just linked below a level where the fault wanted a huge page that
 * the NX mitigation refused (account_nx_huge_page()). */
static void account_nx_link(struct mmu_vm *vm, const struct page_fault *pf, struct kvm_mmu_page *sp,
			    int level)
{
	if (sp && pf->huge_page_disallowed)
		mmu_account_nx_huge_page(vm, sp, pf->req_level >= level);
}

/*
 * direct_map(): kvm_mmu_hugepage_adjust(), then direct SPs (ACC_ALL) from the
 * root down to the goal level, then the leaf there.
 */
static int direct_map(struct mmu_vcpu *v, struct page_fault *pf, struct mmu_fault_out *out)
{
	struct mmu_vm *vm = v->vm;
	struct shadow_walk_iterator it;
	struct kvm_mmu_page *sp;
	gfn_t base_gfn = pf->gfn;
	int r;

	kvm_mmu_hugepage_adjust(vm, pf);
	emit_spte_requested(vm, pf);
	for (shadow_walk_init(&it, v, pf->addr); shadow_walk_okay(&it); shadow_walk_next(&it, vm)) {
		if (pf->nx_huge_page_workaround_enabled)
			disallowed_hugepage_adjust(vm, pf, it.sptep, it.level);
		base_gfn = gfn_round_for_level(pf->gfn, it.level);
		if (it.level == pf->goal_level)
			break;
		r = link_child(vm, it.sptep, base_gfn, true, ACC_ALL, false, &sp);
		if (r)
			return r;
		account_nx_link(vm, pf, sp, it.level);
	}
	if (it.level != pf->goal_level)
		return RET_PF_RETRY; /* WARN_ON_ONCE(it.level != fault->goal_level) */
	return install_leaf(v, pf, it.sptep, ACC_ALL, base_gfn, out);
}

/*
 * What direct_page_fault() and kvm_tdp_mmu_page_fault() both do before mapping:
 * gfn = addr, page_fault_handle_page_track() (a write to a write-tracked gfn is
 * emulated), kvm_faultin_pfn(), the staleness check. fast_page_fault() is not
 * modelled: every fault takes mmu_lock. RET_PF_CONTINUE to go on.
 */
static int direct_fault_begin(struct mmu_vcpu *v, struct page_fault *pf, struct mmu_fault_out *out)
{
	int r;

	pf->gfn = pf->addr >> PAGE_SHIFT;
	out->gfn = pf->gfn;
	if (page_fault_handle_page_track(v->vm, pf)) {
		out->write_tracked = true;
		return RET_PF_EMULATE;
	}
	r = kvm_faultin_pfn(v->vm, pf, out);
	if (r != RET_PF_CONTINUE)
		return r;
	return is_page_fault_stale(v) ? RET_PF_RETRY : RET_PF_CONTINUE;
}

/* direct_page_fault() (nonpaging_page_fault() and kvm_tdp_page_fault() without the TDP MMU). */
static int direct_page_fault(struct mmu_vcpu *v, struct page_fault *pf, struct mmu_fault_out *out)
{
	int r;

	if (mmu_is_dummy_root(v, v->mmu->root.hpa))
		return RET_PF_RETRY;
	/* nonpaging_page_fault(): "builds a PAE pagetable", 2M at most. */
	if (!v->tdp_enabled && pf->max_level > PG_LEVEL_2M)
		pf->max_level = PG_LEVEL_2M;
	r = direct_fault_begin(v, pf, out);
	if (r != RET_PF_CONTINUE)
		return r;
	r = mmu_make_pages_available(v->vm);
	if (r)
		return r;
	return direct_map(v, pf, out);
}

/*
 * kvm_tdp_mmu_page_fault() (kvm_tdp_page_fault() with the TDP MMU): like
 * direct_page_fault() without the dummy-root check and without
 * make_mmu_pages_available() (TDP MMU pages are outside the budget), then
 * kvm_tdp_mmu_map() (mmu/tdp_mmu.c) under mmu_lock for read.
 */
static int kvm_tdp_mmu_page_fault(struct mmu_vcpu *v, struct page_fault *pf,
				  struct mmu_fault_out *out)
{
	struct tdp_mmu_fault tf;
	int r;

	r = direct_fault_begin(v, pf, out);
	if (r != RET_PF_CONTINUE)
		return r;
	/* kvm_tdp_mmu_map()'s kvm_mmu_hugepage_adjust() (it reports nothing). */
	kvm_mmu_hugepage_adjust(v->vm, pf);
	tf = (struct tdp_mmu_fault){.gfn = pf->gfn,
				    .pfn = pf->pfn,
				    .goal_level = pf->goal_level,
				    .req_level = pf->req_level,
				    .huge_page_disallowed = pf->huge_page_disallowed,
				    .nx_huge_page_workaround_enabled =
					    pf->nx_huge_page_workaround_enabled,
				    .write = pf->write,
				    .prefetch = pf->prefetch,
				    .map_writable = pf->map_writable};
	r = mmu_tdp_map(v, &tf, &out->sptep);
	pf->goal_level = tf.goal_level; /* disallowed_hugepage_adjust() may lower it */
	if (out->sptep) {
		out->pfn = pf->pfn;
		out->pte_access = ACC_ALL;
	}
	return r;
}

/* FNAME(gpte_access) of a legacy gpte: W, U, and exec = !NX (4-byte gptes have no NX). */
static unsigned gpte_access(u64 gpte)
{
	unsigned acc = 0;

	if (gpte & GPTE_W)
		acc |= ACC_WRITE;
	if (gpte & GPTE_U)
		acc |= ACC_USER;
	if (!(gpte & GPTE_NX))
		acc |= ACC_EXEC;
	return acc;
}

/* FNAME(gpte_access) of PTTYPE_EPT: W, X, and R as ACC_USER. */
static unsigned ept_gpte_access(u64 gpte)
{
	return ((gpte & EPT_GPTE_W) ? ACC_WRITE : 0) | ((gpte & EPT_GPTE_X) ? ACC_EXEC : 0) |
	       ((gpte & EPT_GPTE_R) ? ACC_USER : 0);
}

/*
 * The guest_walker FNAME(walk_addr_generic) leaves, from the walker's steps: the
 * table gfn of each level, the rights accumulated above each level (a PAE PDPTE
 * has no rights: KVM's walk starts below it with ACC_ALL), the walk's rights and
 * FNAME(protect_clean_gpte) (no W for a non-write access to a clean leaf).
 */
static void guest_walker_from_result(struct guest_walker *gw, const struct walk_result *res,
				     bool write, const struct kvm_mmu *mmu, bool ept_ad)
{
	/* PTTYPE_EPT: EPT rights, Dirty is bit 9 and only with L1's EPT A/D. */
	const bool ept = mmu->ept_gptes;
	const bool have_ad = !ept || ept_ad;
	const u64 dirty = ept ? EPT_GPTE_D : GPTE_D;
	unsigned acc = ACC_ALL;
	u64 leaf = 0;
	u32 i;

	memset(gw, 0, sizeof(*gw));
	for (i = 0; i < res->nsteps && i < WALK_MAX_STEPS; i++) {
		const struct walk_step *s = &res->steps[i];

		if (s->stage != 0 || s->level < 1 || s->level > MAX_LEVELS)
			continue;
		gw->table_gfn[s->level - 1] = s->table >> PAGE_SHIFT;
		gw->pt_access[s->level - 1] = acc;
		/* PT32E_ROOT_LEVEL: the PDPTE comes from mmu->get_pdptr() before the
		 * loop, for a PAE guest (its PDPTE registers) and a PAE-format L1 NPT
		 * alike (nested_svm_get_tdp_pdptr() reads it from L1's memory), and
		 * contributes no rights. */
		if ((s->flags & WALK_STEP_PDPTR) || (!ept && s->level == PT32E_ROOT_LEVEL &&
						     mmu->cpu_role.base.level == PT32E_ROOT_LEVEL))
			continue;
		acc &= ept ? ept_gpte_access(s->pte) : gpte_access(s->pte);
		leaf = s->pte;
	}
	if (have_ad && !write && !(leaf & dirty))
		acc &= ~ACC_WRITE;
	gw->level = res->level;
	gw->pte_access = acc;
	gw->gfn = res->gpa >> PAGE_SHIFT;
}

/*
 * FNAME(fetch): indirect SPs for each guest level above the leaf (gfn = the guest
 * table, access = the rights above it); kvm_mmu_hugepage_adjust() (max_level is
 * the guest page's level); direct SPs below a guest huge page down to the goal
 * level, the leaf there -- a huge SPTE when the guest page and the host page
 * both are huge. Not modelled: the gpte_changed re-validations (nothing runs
 * concurrently), validate_direct_spte() and FNAME(pte_prefetch).
 */
static int fetch(struct mmu_vcpu *v, struct page_fault *pf, const struct guest_walker *gw,
		 struct mmu_fault_out *out)
{
	struct mmu_vm *vm = v->vm;
	struct shadow_walk_iterator it;
	unsigned direct_access = gw->pte_access;
	gfn_t base_gfn = pf->gfn;
	int r;

	if (mmu_is_dummy_root(v, v->mmu->root.hpa))
		return RET_PF_RETRY;
	for (shadow_walk_init(&it, v, pf->addr); shadow_walk_okay(&it); shadow_walk_next(&it, vm)) {
		clear_sp_write_flooding_count(vm, it.sptep);
		if (it.level == gw->level)
			break;
		r = link_child(vm, it.sptep, gw->table_gfn[it.level - 2], false,
			       gw->pt_access[it.level - 2], true, NULL);
		if (r)
			return r;
	}
	kvm_mmu_hugepage_adjust(vm, pf);
	emit_spte_requested(vm, pf);
	for (; shadow_walk_okay(&it); shadow_walk_next(&it, vm)) {
		struct kvm_mmu_page *sp;

		if (pf->nx_huge_page_workaround_enabled)
			disallowed_hugepage_adjust(vm, pf, it.sptep, it.level);
		base_gfn = gfn_round_for_level(pf->gfn, it.level);
		if (it.level == pf->goal_level)
			break;
		r = link_child(vm, it.sptep, base_gfn, true, direct_access, false, &sp);
		if (r)
			return r;
		account_nx_link(vm, pf, sp, it.level);
	}
	if (it.level != pf->goal_level)
		return RET_PF_RETRY;
	return install_leaf(v, pf, it.sptep, gw->pte_access, base_gfn, out);
}

/*
 * The exit L1 gets for a walker fault of guest_mmu: nested_ept_inject_page_fault()
 * (the walker's qualification plus the GVA bits of the exit L0 took -- the error
 * code's GUEST_FINAL/GUEST_PAGE -- or an EPT misconfiguration for a reserved-bit
 * fault) or nested_svm_inject_npf_exit() (the walker's error code in the low 32
 * bits of the exit's EXITINFO1); the gpa is the L2 gpa that faulted.
 */
static void nested_reflect_fault(struct walk_fault *wf, u64 addr, u64 error_code)
{
	const u64 gva_bits = EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLAT;

	wf->gpa = addr;
	if (wf->kind == WALK_FAULT_EPT_VIOLATION) {
		/* FNAME(walk_addr_generic) (PTTYPE_EPT): bits 2:0 from the fault's own
		 * error code -- write, "user" (KVM's read), fetch -- which may name
		 * more than one access (with EPT A/D a guest-table read is a write
		 * too); bits 5:3 from the EPT entries walked. */
		wf->exit_qual &= ~(gva_bits | GENMASK_ULL(2, 0));
		wf->exit_qual |= (error_code & PFERR_W) ? BIT_ULL(1) : 0;
		wf->exit_qual |= (error_code & PFERR_U) ? BIT_ULL(0) : 0;
		wf->exit_qual |= (error_code & PFERR_FETCH) ? BIT_ULL(2) : 0;
		if (error_code & PFERR_GUEST_FINAL)
			wf->exit_qual |= gva_bits;
		else if (error_code & PFERR_GUEST_PAGE)
			wf->exit_qual |= EPT_QUAL_GLA_VALID;
	} else if (wf->kind == WALK_FAULT_EPT_MISCONFIG) {
		wf->exit_qual = 0;
	} else if (wf->kind == WALK_FAULT_NPF) {
		wf->error_code = (error_code & ~0xffffffffULL) | (wf->error_code & 0xffffffffULL);
	}
}

/* FNAME(page_fault): walk the guest tables, then FNAME(fetch). */
static int shadow_page_fault(struct mmu_vcpu *v, const struct cpu_regs *r,
			     const struct cpu_features *f, struct page_fault *pf,
			     struct mmu_fault_out *out)
{
	const struct kvm_mmu *mmu = v->mmu;
	struct walk_gmem_ctx gctx = {.m = v->vm->gmem, .as = pf->as};
	struct walk_cfg cfg;
	struct walk_ctx wctx = {.g = &cfg, .n = NULL};
	struct walk_req req = {.addr = pf->addr};
	struct guest_walker gw;
	/* guest_mmu (shadow EPT/NPT): the "guest" tables are L1's EPT/NPT and the
	 * address is the L2 gpa (mmu/nested.h). */
	const bool nested = mmu == &v->guest_mmu;
	int ret;

	walk_cfg_from_regs(&cfg, r, f);
	if (nested)
		wctx.g = &v->nested_tdp;
	walk_mem_gmem(&wctx.mem, &gctx);
	req.acc = pf->exec ? WALK_ACC_FETCH : pf->write ? WALK_ACC_WRITE : WALK_ACC_READ;
	req.cpl = pf->user ? 3 : 0;
	/* permission_fault(): EFLAGS.AC lifts SMAP only when the vCPU's CPL is below
	 * 3; an implicit supervisor access at CPL 3 (no U in the error code) keeps it. */
	req.ac = !nested && (r->rflags & X86_RFLAGS_AC) != 0 && r->cpl < 3;
	/* FNAME(walk_addr)(error_code & ~PFERR_RSVD_MASK): a real walk, A/D set. */
	out->walked = true;
	if (!walk_translate(&wctx, &req, &out->walk)) {
		if (nested) {
			/* kvm_inject_emulated_page_fault() -> guest_mmu's inject_page_fault:
			 * the fault goes to L1 (no pf_guest: not kvm_inject_page_fault()). */
			out->reflect = true;
			nested_reflect_fault(&out->walk.fault, pf->addr, pf->error_code);
		} else if (out->walk.fault.kind == WALK_FAULT_PF) {
			/* kvm_inject_emulated_page_fault() (not for a prefetch). */
			out->inject = true;
			out->inject_error_code = out->walk.fault.error_code;
			out->inject_cr2 = out->walk.fault.cr2;
			v->pf_guest++;
		}
		return RET_PF_RETRY;
	}
	guest_walker_from_result(&gw, &out->walk, pf->write, mmu, v->nested_tdp.ept_ad);
	pf->gfn = gw.gfn;
	out->gfn = gw.gfn;
	if (page_fault_handle_page_track(v->vm, pf)) {
		shadow_page_table_clear_flood(v, pf->addr);
		out->write_tracked = true;
		return RET_PF_EMULATE;
	}
	/* FNAME(page_fault): fault->max_level = walker.level (FNAME(is_self_change_mapping),
	 * removed in v6.3, is not modelled). */
	pf->max_level = gw.level;
	ret = kvm_faultin_pfn(v->vm, pf, out);
	if (ret != RET_PF_CONTINUE)
		return ret;
	/* Emulating CR0.WP=0: a supervisor write to a read-only gpte gets a writable,
	 * supervisor-only SPTE (and no exec under SMEP). Not for MMIO (fault->slot
	 * NULL): the MMIO SPTE must cache the guest's own access. */
	if (pf->write && !(gw.pte_access & ACC_WRITE) && !mmu->cpu_role.base.cr0_wp && !pf->user &&
	    pf->pfn != KVM_PFN_NOSLOT) {
		gw.pte_access |= ACC_WRITE;
		gw.pte_access &= ~ACC_USER;
		if (mmu->cpu_role.ext.cr4_smep)
			gw.pte_access &= ~ACC_EXEC;
	}
	if (is_page_fault_stale(v))
		return RET_PF_RETRY;
	ret = mmu_make_pages_available(v->vm);
	if (ret)
		return ret;
	return fetch(v, pf, &gw, out);
}

/*
 * kvm_mmu_do_page_fault(): build the fault, call mmu->page_fault, account it. A
 * prefetch (KVM_PRE_FAULT_MEMORY) is not counted in pf_taken, nor in pf_emulate
 * or pf_spurious; RET_PF_FIXED counts pf_fixed either way. *@level (when given):
 * the fault's goal level, the level of the mapping it made.
 */
static int kvm_mmu_do_page_fault(struct mmu_vcpu *v, const struct cpu_regs *r,
				 const struct cpu_features *f, u64 addr, u64 error_code,
				 bool prefetch, u8 *level, struct mmu_fault_out *out)
{
	struct page_fault pf = {
		.addr = addr,
		.error_code = error_code,
		.exec = (error_code & PFERR_FETCH) != 0,
		.write = (error_code & PFERR_W) != 0,
		.present = (error_code & PFERR_P) != 0,
		.rsvd = (error_code & PFERR_RSVD) != 0,
		.user = (error_code & PFERR_U) != 0,
		.as = (u8)v->mmu->root_role.smm,
		.max_level = KVM_MAX_HUGEPAGE_LEVEL,
		.req_level = FAULT_LEVEL_4K,
		.goal_level = FAULT_LEVEL_4K,
		.nx_huge_page_workaround_enabled = v->vm->nx_huge_pages,
		.prefetch = prefetch,
	};
	int ret;

	if (!prefetch)
		v->pf_taken++;
	if (v->mmu->root_role.direct && v->tdp_mmu_enabled)
		ret = kvm_tdp_mmu_page_fault(v, &pf, out);
	else if (v->mmu->root_role.direct)
		ret = direct_page_fault(v, &pf, out);
	else
		ret = shadow_page_fault(v, r, f, &pf, out);
	if (level)
		*level = pf.goal_level;
	if (ret == RET_PF_FIXED)
		v->pf_fixed++;
	else if (!prefetch && ret == RET_PF_EMULATE)
		v->pf_emulate++;
	else if (!prefetch && ret == RET_PF_SPURIOUS)
		v->pf_spurious++;
	return ret;
}

/* is_rsvd_spte() against shadow_zero_check, reduced to what the model can get
 * wrong: physical-address bits at or above the host MAXPHYADDR. */
static bool is_rsvd_spte(const struct spte_masks *m, u64 spte)
{
	if (m->host_maxphyaddr >= 52)
		return false;
	return (spte & GENMASK_ULL(51, m->host_maxphyaddr)) != 0;
}

/*
 * get_mmio_spte() with get_walk(): the last SPTE on @addr's shadow path in *@spte
 * (0 when the walk visits nothing). Returns true when a present SPTE on the
 * path, the last one included if present, has reserved bits: KVM's "buggy SPTE".
 */
static bool get_mmio_spte(const struct mmu_vcpu *v, u64 addr, u64 *spte)
{
	u64 sptes[MAX_LEVELS + 1];
	struct shadow_walk_iterator it;
	int root, leaf = -1;
	bool reserved = false;

	shadow_walk_init(&it, v, addr);
	root = it.level;
	for (; shadow_walk_okay(&it); shadow_walk_next(&it, v->vm)) {
		const u64 *p = mmu_sptep_ptr(v->vm, it.sptep);

		leaf = it.level;
		sptes[leaf] = p ? *p : SHADOW_NONPRESENT_VALUE; /* mmu_spte_get_lockless() */
	}
	if (leaf < 0) {
		*spte = 0;
		return false;
	}
	*spte = sptes[leaf];
	/* MMIO SPTEs have reserved bits by design: a non-present last SPTE is skipped. */
	if (!is_shadow_present_pte(sptes[leaf]))
		leaf++;
	for (int level = root; level >= leaf; level--)
		reserved |= is_rsvd_spte(&v->vm->masks, sptes[level]);
	return reserved;
}

/*
 * check_mmio_spte(): valid when the memslots of the vCPU's address space are not
 * being updated and the SPTE's generation is their generation's low 19 bits.
 */
static bool check_mmio_spte(const struct mmu_vcpu *v, u64 spte)
{
	u64 gen = gmem_generation(v->vm->gmem, (u8)v->mmu->root_role.smm);
	struct mmu_event ev = {.kind = MMU_EV_CHECK_MMIO_SPTE};

	if (gen & GMEM_GEN_UPDATE_IN_PROGRESS)
		return false;
	ev.u.check_mmio.spte = spte;
	ev.u.check_mmio.kvm_gen = (unsigned)(gen & MMIO_SPTE_GEN_MASK);
	ev.u.check_mmio.spte_gen = (unsigned)get_mmio_spte_generation(spte);
	mmu_emit(v->vm, &ev);
	return ev.u.check_mmio.kvm_gen == ev.u.check_mmio.spte_gen;
}

/*
 * handle_mmio_page_fault(): an RSVD fault. The MMIO cache (mmio_info_in_cache())
 * is not modelled, so every such fault walks the shadow tables: a buggy SPTE is
 * KVM's WARN + -EINVAL (MSC_EINVAL here); an MMIO SPTE of a stale generation is
 * RET_PF_INVALID (the fault goes on as a normal one); a current one is traced
 * (addr 0 for a direct MMU) and emulated; anything else was zapped meanwhile:
 * RET_PF_RETRY.
 */
static int handle_mmio_page_fault(struct mmu_vcpu *v, u64 addr, bool direct,
				  struct mmu_fault_out *out)
{
	struct mmu_event ev = {.kind = MMU_EV_HANDLE_MMIO_PF};
	u64 spte;

	if (get_mmio_spte(v, addr, &spte))
		return MSC_EINVAL;
	if (!is_mmio_spte(&v->vm->masks, spte))
		return RET_PF_RETRY;
	ev.u.mmio_pf.gfn = get_mmio_spte_gfn(&v->vm->masks, spte);
	ev.u.mmio_pf.access = get_mmio_spte_access(&v->vm->masks, spte);
	if (!check_mmio_spte(v, spte))
		return RET_PF_INVALID;
	ev.u.mmio_pf.addr = direct ? 0 : addr;
	mmu_emit(v->vm, &ev);
	out->mmio = true;
	out->gfn = ev.u.mmio_pf.gfn;
	return RET_PF_EMULATE;
}

/* kvm_mmu_page_fault() */
int mmu_page_fault(struct mmu_vcpu *v, const struct cpu_regs *r, const struct cpu_features *f,
		   u64 addr, u64 error_code, struct mmu_fault_out *out)
{
	int ret = RET_PF_INVALID;

	memset(out, 0, sizeof(*out));
	if (v->mmu->root.hpa == INVALID_PAGE) {
		out->ret = RET_PF_RETRY; /* WARN_ON_ONCE(!VALID_PAGE(root.hpa)) */
		return out->ret;
	}
	if (error_code & PFERR_RSVD) {
		ret = handle_mmio_page_fault(v, addr, v->mmu->root_role.direct, out);
		if (ret == RET_PF_EMULATE) {
			out->ret = ret;
			return ret;
		}
	}
	/* A stale MMIO SPTE: the normal fault path, RSVD still in the error code. */
	if (ret == RET_PF_INVALID)
		ret = kvm_mmu_do_page_fault(v, r, f, addr, error_code, false, NULL, out);
	out->ret = ret;
	return out->ret;
}

/* kvm_tdp_map_page()'s kvm_mmu_do_page_fault(prefetch = true). */
int mmu_page_fault_prefetch(struct mmu_vcpu *v, const struct cpu_regs *r,
			    const struct cpu_features *f, u64 gpa, u64 error_code,
			    struct mmu_fault_out *out, u8 *level)
{
	memset(out, 0, sizeof(*out));
	if (v->mmu->root.hpa == INVALID_PAGE) {
		out->ret = RET_PF_RETRY; /* no root to map into (KVM checks before) */
		return out->ret;
	}
	out->ret = kvm_mmu_do_page_fault(v, r, f, gpa, error_code, true, level, out);
	return out->ret;
}
