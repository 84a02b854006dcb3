/* SPDX-License-Identifier: MIT */
/*
 * MMU contexts and roots (arch/x86/kvm/mmu/mmu.c): the root caches and KVM's
 * exact rotation on a CR3 switch, loading direct/shadow/PAE roots, freeing
 * them, obsolete roots, and the context (re)initialisation on role changes.
 */
#include "mmu/root.h"

#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/sync.h"
#include "mmu/tdp_mmu.h"

/*
 * A PAE root entry (the model's pae_root page, 4 of its 512 entries used):
 *
 *   bit    meaning
 *   0      P: KVM's pm_mask (PT_PRESENT_MASK | shadow_me_value, the SME bit is 0 here)
 *   1,2,5  W, U, A: added to pm_mask under a 4/5-level shadow NPT root, whose
 *          pml4_root[0] (-> pae_root) and pml5_root[0] (-> pml4_root) use it too
 *   51:12  the host table of a level-2 shadow page (sp->spt)
 *
 * INVALID_PAE_ROOT (0) marks a guest PDPTE that is not present (KVM cannot use
 * INVALID_PAGE there: the CPU would read it as a present PDPTE).
 */
#define PT_PRESENT_MASK BIT_ULL(0)
/* pm_mask of a 32-bit/PAE L1 NPT shadowed with a 4/5-level host NPT: every
 * special-root entry is also A|W|U (the NPT walk is a user access). */
#define PT_WRITABLE_MASK BIT_ULL(1)
#define PT_USER_MASK BIT_ULL(2)
#define PT_ACCESSED_MASK BIT_ULL(5)
/* __PT_BASE_ADDR_MASK (mmu_internal.h): the table address of a CR3 or entry. */
#define PT_BASE_ADDR_MASK GENMASK_ULL(51, 12)
/* A PAE CR3 holds the 32-byte aligned PDPT address in bits 31:5 (SDM 4.4.1). */
#define PAE_CR3_PDPT_MASK GENMASK_ULL(31, 5)

#define VALID_PAGE(x) ((x) != INVALID_PAGE)
#define IS_VALID_PAE_ROOT(x) ((x) != INVALID_PAE_ROOT)

/* kvm_mmu_free_roots()'s mask of every root: KVM_MMU_ROOT_CURRENT | PREVIOUS(0..2). */
_Static_assert(KVM_MMU_ROOTS_ALL == (KVM_MMU_ROOT_CURRENT | KVM_MMU_ROOT_PREVIOUS(0) |
				     KVM_MMU_ROOT_PREVIOUS(1) | KVM_MMU_ROOT_PREVIOUS(2)),
	       "KVM_MMU_ROOTS_ALL covers the current root and the three prev_roots");

/* mmuscope's root events (mmu/event.h): @slot is -1 for the current root, else a prev_roots index. */
static void emit_root(const struct mmu_vm *vm, enum mmu_ev_kind kind, int slot, u64 pgd, hpa_t hpa,
		      u32 role)
{
	struct mmu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.u.root.slot = slot;
	ev.u.root.pgd = pgd;
	ev.u.root.hpa = hpa;
	ev.u.root.role = role;
	mmu_emit(vm, &ev);
}

/* root_to_sp() (mmu.h): the SP whose table is @hpa; NULL for INVALID_PAGE, the PAE/pml4/pml5
 * pages and the dummy root, none of which is a shadow page's table. */
struct kvm_mmu_page *mmu_root_to_sp(const struct mmu_vm *vm, hpa_t hpa)
{
	if (!VALID_PAGE(hpa) || !hpa)
		return NULL;
	return mmu_sptep_to_sp(vm, hpa & PT_BASE_ADDR_MASK);
}

/* kvm_mmu_is_dummy_root() (mmu_internal.h): KVM compares the pfn with the zero page's. */
bool mmu_is_dummy_root(const struct mmu_vcpu *v, hpa_t hpa)
{
	return v->dummy_root && hpa == v->dummy_root;
}

/* The role a root event reports: its SP's, else the MMU's root role (PAE root, dummy). */
static u32 root_event_role(const struct mmu_vm *vm, const struct kvm_mmu *mmu, hpa_t hpa)
{
	const struct kvm_mmu_page *sp = mmu_root_to_sp(vm, hpa);

	return sp ? sp->role.word : mmu->root_role.word;
}

/* The host view of a special root page (pae_root, pml4_root, pml5_root). */
static u64 *special_root_ptr(const struct mmu_vm *vm, hpa_t hpa)
{
	return hmem_ptr(vm->hmem, hpa);
}

/* __kvm_mmu_create(): every root invalid, roles zero (so the first init never short-circuits). */
static void kvm_mmu_init_one(struct kvm_mmu *mmu)
{
	unsigned i;

	memset(mmu, 0, sizeof(*mmu));
	mmu->root.hpa = INVALID_PAGE;
	mmu->root.pgd = 0;
	/* KVM_MMU_ROOT_INFO_INVALID: both fields INVALID_PAGE. */
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		mmu->prev_roots[i].pgd = INVALID_PAGE;
		mmu->prev_roots[i].hpa = INVALID_PAGE;
	}
}

/* kvm_mmu_create() */
void mmu_vcpu_init(struct mmu_vcpu *v, struct mmu_vm *vm, bool tdp_enabled, u8 max_tdp_level,
		   u8 forced_tdp_level, bool ad_enabled, u8 guest_maxphyaddr)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->tdp_enabled = tdp_enabled;
	v->max_tdp_level = max_tdp_level;
	v->forced_tdp_level = forced_tdp_level;
	v->ad_enabled = ad_enabled;
	v->guest_maxphyaddr = guest_maxphyaddr;
	kvm_mmu_init_one(&v->root_mmu);
	kvm_mmu_init_one(&v->guest_mmu);
	kvm_mmu_init_one(&v->nested_mmu);
	/*
	 * KVM allocates the pae_root page here (when shadow paging or a <= 3-level
	 * TDP needs it). The model allocates it the first time a PAE root is built,
	 * so this cannot fail and 64-bit guests never own one.
	 */
	v->mmu = &v->root_mmu;
	v->walk_mmu = &v->root_mmu;
}

/* free_mmu_pages(): the special root pages of one MMU. */
static void free_special_roots(struct mmu_vm *vm, struct kvm_mmu *mmu)
{
	hmem_free_page(vm->hmem, mmu->pae_root);
	hmem_free_page(vm->hmem, mmu->pml4_root);
	hmem_free_page(vm->hmem, mmu->pml5_root);
	mmu->pae_root = mmu->pml4_root = mmu->pml5_root = 0;
}

/* kvm_mmu_destroy() */
void mmu_vcpu_destroy(struct mmu_vcpu *v)
{
	mmu_unload(v);
	free_special_roots(v->vm, &v->root_mmu);
	free_special_roots(v->vm, &v->guest_mmu);
	free_special_roots(v->vm, &v->nested_mmu);
	hmem_free_page(v->vm->hmem, v->dummy_root);
	v->dummy_root = 0;
}

/* ---- contexts (§2.4, §3 of the reference) ---- */

/*
 * shadow_mmu_init_context() / the tail of init_kvm_tdp_mmu(): nothing to do when
 * both roles are unchanged. KVM also picks page_fault/gva_to_gpa here and
 * rebuilds the permission and reserved-bit tables (reset_guest_paging_metadata()).
 */
static void shadow_mmu_init_context(struct mmu_vcpu *v, struct kvm_mmu *context,
				    union kvm_cpu_role cpu_role, union kvm_mmu_page_role root_role)
{
	if (cpu_role.as_u64 == context->cpu_role.as_u64 &&
	    root_role.word == context->root_role.word)
		return;
	context->cpu_role = cpu_role;
	context->root_role = root_role;
	v->root_stats.context_inits++;
}

/*
 * Variant direct_cr4_pae_cleared (before 47c42e6b4192): the root role of a
 * direct MMU kept role.cr4_pae = is_pae(vcpu) from kvm_calc_mmu_role_common(),
 * i.e. has_4_byte_gpte = !CR4.PAE, while kvm_mmu_get_page() cleared cr4_pae on
 * every direct page it created (mmu_get_shadow_page()).
 */
static void direct_cr4_pae_lookup_role(const struct mmu_vcpu *v, const struct cpu_regs *r,
				       union kvm_mmu_page_role *root_role)
{
	if (mmu_variant(v->vm, MMU_VAR_DIRECT_CR4_PAE) && root_role->direct)
		root_role->has_4_byte_gpte = !(r->cr4 & X86_CR4_PAE);
}

/* init_kvm_tdp_mmu(): the TDP root role, with the same short-circuit. */
static void init_kvm_tdp_mmu(struct mmu_vcpu *v, union kvm_cpu_role cpu_role,
			     const struct cpu_regs *r)
{
	u8 level = mmu_tdp_level(v->max_tdp_level, v->forced_tdp_level, v->guest_maxphyaddr);
	union kvm_mmu_page_role root_role = mmu_calc_tdp_root_role(cpu_role, level, v->ad_enabled);

	/* Variant tdp_root_role_from_guest: kvm_calc_tdp_mmu_root_page_role()
	 * before 2ba676774dfc built on kvm_calc_mmu_role_common(): efer_nx and
	 * cr0_wp are the guest's while CR0.PG=1, 0 without paging -- exactly the
	 * CPU role's bits. */
	if (mmu_variant(v->vm, MMU_VAR_TDP_ROLE_FROM_GUEST)) {
		root_role.efer_nx = cpu_role.base.efer_nx;
		root_role.cr0_wp = cpu_role.base.cr0_wp;
	}
	direct_cr4_pae_lookup_role(v, r, &root_role);
	shadow_mmu_init_context(v, &v->root_mmu, cpu_role, root_role);
}

/* init_kvm_softmmu() -> kvm_init_shadow_mmu(): level >= 3 and efer_nx forced (role.c). */
static void init_kvm_softmmu(struct mmu_vcpu *v, union kvm_cpu_role cpu_role,
			     const struct cpu_regs *r)
{
	union kvm_mmu_page_role root_role = mmu_calc_shadow_root_role(cpu_role);

	/* Variant shadow_without_nx: a host without NX cannot force EFER.NX on for
	 * the guest (9167ab799362), so the shadow format is the guest's. */
	if (mmu_variant(v->vm, MMU_VAR_SHADOW_WITHOUT_NX))
		root_role.efer_nx = cpu_role.base.efer_nx;
	direct_cr4_pae_lookup_role(v, r, &root_role);
	shadow_mmu_init_context(v, &v->root_mmu, cpu_role, root_role);
}

/* init_kvm_nested_mmu(): the L2 walker keeps only a CPU role (it owns no roots). */
static void init_kvm_nested_mmu(struct mmu_vcpu *v, union kvm_cpu_role cpu_role)
{
	if (cpu_role.as_u64 == v->nested_mmu.cpu_role.as_u64)
		return;
	v->nested_mmu.cpu_role = cpu_role;
	v->root_stats.context_inits++;
}

/* kvm_init_mmu() */
void mmu_init_context(struct mmu_vcpu *v, const struct cpu_regs *r)
{
	struct mmu_role_regs regs = mmu_role_regs_from_cpu(r);
	union kvm_cpu_role cpu_role = mmu_calc_cpu_role(&regs);

	/* mmu_is_nested(): walk_mmu is nested_mmu while L2 runs with nested TDP. */
	if (v->walk_mmu == &v->nested_mmu)
		init_kvm_nested_mmu(v, cpu_role);
	else if (v->tdp_enabled)
		init_kvm_tdp_mmu(v, cpu_role, r);
	else
		init_kvm_softmmu(v, cpu_role, r);
}

/* kvm_mmu_reset_context() */
void mmu_reset_context(struct mmu_vcpu *v, const struct cpu_regs *r)
{
	v->root_stats.context_resets++;
	mmu_unload(v);
	mmu_init_context(v, r);
}

/* ---- freeing (§4.4) ---- */

/*
 * mmu_free_root_page(): drop one root reference. The SP stays hashed and on the
 * active list (a later load finds it "existing") unless it was zapped while in
 * use (role.invalid), in which case the last reference prepares its zap.
 */
static void mmu_free_root_page(struct mmu_vm *vm, hpa_t *root_hpa, struct mlist *invalid_list)
{
	struct kvm_mmu_page *sp;
	int nr_zapped = 0;

	if (!VALID_PAGE(*root_hpa))
		return;
	sp = mmu_root_to_sp(vm, *root_hpa);
	if (!sp) /* WARN_ON_ONCE in KVM */
		return;
	if (sp->tdp_mmu_page)
		mmu_tdp_put_root(vm, sp); /* kvm_tdp_mmu_put_root() */
	else if (!--sp->root_count && sp->role.invalid)
		(void)mmu_prepare_zap_page(vm, sp, invalid_list, &nr_zapped);
	*root_hpa = INVALID_PAGE;
}

/* Account and report one root being freed. */
static void note_root_free(struct mmu_vcpu *v, const struct kvm_mmu *mmu, int slot,
			   const struct kvm_mmu_root_info *root)
{
	v->root_stats.frees++;
	emit_root(v->vm, MMU_EV_ROOT_FREE, slot, root->pgd, root->hpa,
		  root_event_role(v->vm, mmu, root->hpa));
}

/* kvm_mmu_free_roots() */
void mmu_free_roots(struct mmu_vcpu *v, struct kvm_mmu *mmu, unsigned mask)
{
	struct mmu_vm *vm = v->vm;
	struct mlist invalid_list;
	bool free_active_root;
	unsigned i;

	/* Quick exit when nothing selected is valid (KVM: before taking mmu_lock). */
	free_active_root = (mask & KVM_MMU_ROOT_CURRENT) && VALID_PAGE(mmu->root.hpa);
	if (!free_active_root) {
		for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
			if ((mask & KVM_MMU_ROOT_PREVIOUS(i)) && VALID_PAGE(mmu->prev_roots[i].hpa))
				break;
		if (i == KVM_MMU_NUM_PREV_ROOTS)
			return;
	}

	mlist_init(&invalid_list);
	/* Previous roots first, oldest index first; a freed prev root keeps its stale pgd. */
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		if (!(mask & KVM_MMU_ROOT_PREVIOUS(i)) || !VALID_PAGE(mmu->prev_roots[i].hpa))
			continue;
		note_root_free(v, mmu, (int)i, &mmu->prev_roots[i]);
		mmu_free_root_page(vm, &mmu->prev_roots[i].hpa, &invalid_list);
	}

	if (free_active_root) {
		note_root_free(v, mmu, -1, &mmu->root);
		if (mmu_is_dummy_root(v, mmu->root.hpa)) {
			/* Nothing to clean up for the dummy root. */
		} else if (mmu_root_to_sp(vm, mmu->root.hpa)) {
			mmu_free_root_page(vm, &mmu->root.hpa, &invalid_list);
		} else if (mmu->pae_root) {
			/* The PAE root page: drop each level-2 child and clear its entry. */
			u64 *pae_root = special_root_ptr(vm, mmu->pae_root);

			for (i = 0; pae_root && i < 4; i++) {
				hpa_t child;

				if (!IS_VALID_PAE_ROOT(pae_root[i]))
					continue;
				child = pae_root[i];
				mmu_free_root_page(vm, &child, &invalid_list);
				pae_root[i] = INVALID_PAE_ROOT;
			}
		}
		mmu->root.hpa = INVALID_PAGE;
		mmu->root.pgd = 0;
	}
	mmu_commit_zap_page(vm, &invalid_list);
}

/* kvm_mmu_unload(): root_mmu and guest_mmu, current and prev (and the MMIO cache in KVM). */
void mmu_unload(struct mmu_vcpu *v)
{
	mmu_free_roots(v, &v->root_mmu, KVM_MMU_ROOTS_ALL);
	mmu_free_roots(v, &v->guest_mmu, KVM_MMU_ROOTS_ALL);
}

/*
 * is_obsolete_root(): a root without a shadow page (PAE root, dummy root) counts
 * as obsolete because its freshness cannot be told; otherwise is_obsolete_sp()
 * (invalid, or built under an older mmu_valid_gen).
 */
static bool is_obsolete_root(const struct mmu_vm *vm, hpa_t root_hpa)
{
	const struct kvm_mmu_page *sp;

	if (!VALID_PAGE(root_hpa))
		return false;
	sp = mmu_root_to_sp(vm, root_hpa);
	return !sp || mmu_is_obsolete_sp(vm, sp);
}

/* __kvm_mmu_free_obsolete_roots() */
static void free_obsolete_roots_one(struct mmu_vcpu *v, struct kvm_mmu *mmu)
{
	unsigned roots_to_free = 0, i;

	if (is_obsolete_root(v->vm, mmu->root.hpa))
		roots_to_free |= KVM_MMU_ROOT_CURRENT;
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (is_obsolete_root(v->vm, mmu->prev_roots[i].hpa))
			roots_to_free |= (unsigned)KVM_MMU_ROOT_PREVIOUS(i);
	if (roots_to_free)
		mmu_free_roots(v, mmu, roots_to_free);
}

/* kvm_mmu_free_obsolete_roots() (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS) */
void mmu_free_obsolete_roots(struct mmu_vcpu *v)
{
	free_obsolete_roots_one(v, &v->root_mmu);
	free_obsolete_roots_one(v, &v->guest_mmu);
}

/* ---- the prev_roots cache (§4.2, §4.3) ---- */

/* is_root_usable(): valid, same pgd unless direct, an SP behind it, identical role word. */
bool mmu_is_root_usable(const struct mmu_vm *vm, const struct kvm_mmu_root_info *root, u64 pgd,
			union kvm_mmu_page_role role)
{
	const struct kvm_mmu_page *sp;

	if (!VALID_PAGE(root->hpa))
		return false;
	if (!role.direct && pgd != root->pgd)
		return false;
	sp = mmu_root_to_sp(vm, root->hpa);
	if (!sp) /* WARN_ON_ONCE: prev_roots never hold SP-less roots */
		return false;
	return role.word == sp->role.word;
}

static void swap_root_info(struct kvm_mmu_root_info *a, struct kvm_mmu_root_info *b)
{
	struct kvm_mmu_root_info t = *a;

	*a = *b;
	*b = t;
}

/*
 * cached_root_find_and_keep_current(): check the current root, then swap it with
 * prev_roots[0], [1], [2] in turn, checking after each swap, so the cache ends
 * MRU-ordered:
 *
 *   C  0 1 2   on entry
 *   0  C 1 2   after swap 0
 *   1  C 0 2   after swap 1
 *   2  C 0 1   after swap 2: no hit, the old LRU (2) is in root and is freed
 *
 * *@slot is -1 when the current root matched, else the prev_roots index the
 * matching root came from.
 */
static bool cached_root_find_and_keep_current(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 new_pgd,
					      union kvm_mmu_page_role new_role, int *slot)
{
	unsigned i;

	if (mmu_is_root_usable(v->vm, &mmu->root, new_pgd, new_role)) {
		*slot = -1;
		return true;
	}
	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++) {
		swap_root_info(&mmu->root, &mmu->prev_roots[i]);
		if (mmu_is_root_usable(v->vm, &mmu->root, new_pgd, new_role)) {
			*slot = (int)i;
			return true;
		}
	}
	/* The LRU entry is evicted to make room for the old current root. */
	if (VALID_PAGE(mmu->root.hpa)) {
		v->root_stats.evictions++;
		emit_root(v->vm, MMU_EV_ROOT_EVICT, KVM_MMU_NUM_PREV_ROOTS - 1, mmu->root.pgd,
			  mmu->root.hpa, root_event_role(v->vm, mmu, mmu->root.hpa));
	}
	mmu_free_roots(v, mmu, KVM_MMU_ROOT_CURRENT);
	return false;
}

/*
 * cached_root_find_without_current(): root is invalid on entry. A usable
 * prev_roots[i] becomes current, the entries after it move up one slot and the
 * last slot's hpa becomes INVALID_PAGE (its pgd is left as it was, as in KVM).
 */
static bool cached_root_find_without_current(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 new_pgd,
					     union kvm_mmu_page_role new_role, int *slot)
{
	unsigned i;

	for (i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
		if (mmu_is_root_usable(v->vm, &mmu->prev_roots[i], new_pgd, new_role))
			goto hit;
	return false;

hit:
	*slot = (int)i;
	swap_root_info(&mmu->root, &mmu->prev_roots[i]);
	for (; i < KVM_MMU_NUM_PREV_ROOTS - 1; i++)
		mmu->prev_roots[i] = mmu->prev_roots[i + 1];
	mmu->prev_roots[i].hpa = INVALID_PAGE;
	return true;
}

/*
 * fast_pgd_switch(): only SP-backed roots are cached, so a current PAE or dummy
 * root is freed first (KVM keeps no previous roots for PAE paging).
 */
static bool fast_pgd_switch(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 new_pgd,
			    union kvm_mmu_page_role new_role, int *slot)
{
	if (VALID_PAGE(mmu->root.hpa) && !mmu_root_to_sp(v->vm, mmu->root.hpa))
		mmu_free_roots(v, mmu, KVM_MMU_ROOT_CURRENT);

	if (VALID_PAGE(mmu->root.hpa))
		return cached_root_find_and_keep_current(v, mmu, new_pgd, new_role, slot);
	return cached_root_find_without_current(v, mmu, new_pgd, new_role, slot);
}

/* kvm_mmu_new_pgd() */
bool mmu_new_pgd(struct mmu_vcpu *v, struct kvm_mmu *mmu, u64 new_pgd)
{
	union kvm_mmu_page_role new_role = mmu->root_role;
	struct kvm_mmu_page *sp;
	int slot = -1;

	if (!fast_pgd_switch(v, mmu, new_pgd, new_role, &slot)) {
		/* kvm_mmu_reload() -> kvm_mmu_load() builds the root before the next entry. */
		v->root_stats.misses++;
		emit_root(v->vm, MMU_EV_ROOT_MISS, -1, new_pgd, INVALID_PAGE, new_role.word);
		return false;
	}
	/*
	 * KVM requests KVM_REQ_LOAD_MMU_PGD (and, with force_flush_and_sync_on_reuse,
	 * MMU_SYNC + TLB_FLUSH_CURRENT) and clears the MMIO cache; an obsolete cached
	 * root is left to KVM_REQ_MMU_FREE_OBSOLETE_ROOTS.
	 */
	v->root_stats.hits++;
	sp = mmu_root_to_sp(v->vm, mmu->root.hpa);
	emit_root(v->vm, MMU_EV_ROOT_HIT, slot, new_pgd, mmu->root.hpa, sp ? sp->role.word : 0);
	/* A reused shadow root is in use again: restart its write-flood detection. */
	if (!new_role.direct && sp)
		sp->write_flooding_count = 0;
	return true;
}

/* ---- loading (§4.6) ---- */

/* mmu_alloc_root(): get (or find) the SP for @gfn with the root role at @level/@quadrant and
 * take a root reference. */
static int mmu_alloc_root(struct mmu_vcpu *v, gfn_t gfn, unsigned quadrant, u8 level, hpa_t *out)
{
	union kvm_mmu_page_role role = v->mmu->root_role;
	struct kvm_mmu_page *sp;

	role.level = level & ROLE_LEVEL_MASK;
	role.quadrant = quadrant & ROLE_QUADRANT_MASK;
	sp = mmu_get_shadow_page(v->vm, gfn, role);
	if (!sp)
		return MSC_ENOSPC; /* KVM cannot fail here: its caches were topped up */
	++sp->root_count;
	*out = sp->spt;
	return 0;
}

/* The pae_root page of @mmu, allocated on first use (KVM: at vCPU creation). */
static int get_pae_root(struct mmu_vm *vm, struct kvm_mmu *mmu, u64 **out)
{
	int r;

	if (!mmu->pae_root) {
		r = hmem_alloc_page(vm->hmem, &mmu->pae_root);
		if (r)
			return r;
	}
	*out = special_root_ptr(vm, mmu->pae_root);
	return *out ? 0 : MSC_EIO;
}

/* Undo a partly built PAE root (the model's hmem can run out; KVM's cannot). */
static void unwind_pae_root(struct mmu_vm *vm, u64 *pae_root)
{
	struct mlist invalid_list;
	unsigned i;

	mlist_init(&invalid_list);
	for (i = 0; i < 4; i++) {
		hpa_t child = pae_root[i];

		if (IS_VALID_PAE_ROOT(child))
			mmu_free_root_page(vm, &child, &invalid_list);
		pae_root[i] = INVALID_PAE_ROOT;
	}
	mmu_commit_zap_page(vm, &invalid_list);
}

/*
 * Fill the pae_root page: entry i points at a level-2 SP. @direct: gfn i << 18
 * (each covers 1 GiB). Otherwise @gfn[i] with quadrant @quadrants ? i : 0, and
 * entries whose @present[i] is false stay INVALID_PAE_ROOT.
 */
static int fill_pae_root(struct mmu_vcpu *v, u64 *pae_root, const gfn_t gfn[4],
			 const bool present[4], bool quadrants, u64 pm_mask)
{
	unsigned i;
	hpa_t root;
	int r;

	for (i = 0; i < 4; i++) {
		if (!present[i]) {
			pae_root[i] = INVALID_PAE_ROOT;
			continue;
		}
		r = mmu_alloc_root(v, gfn[i], quadrants ? i : 0, PT32_ROOT_LEVEL, &root);
		if (r) {
			unwind_pae_root(v->vm, pae_root);
			return r;
		}
		pae_root[i] = root | pm_mask;
	}
	return 0;
}

/* mmu_alloc_direct_roots(): TDP (EPT/NPT) and the non-paging shadow MMU. */
static int mmu_alloc_direct_roots(struct mmu_vcpu *v)
{
	struct kvm_mmu *mmu = v->mmu;
	u8 level = (u8)mmu->root_role.level;
	hpa_t root;
	int r;

	/* >= v6.8: straight to the TDP MMU, without make_mmu_pages_available(). */
	if (v->tdp_mmu_enabled)
		return mmu_tdp_alloc_root(v);
	r = mmu_make_pages_available(v->vm);
	if (r < 0)
		return r;

	if (level >= PT64_ROOT_4LEVEL) {
		/* One root SP at gfn 0 mapping the whole guest-physical space. */
		r = mmu_alloc_root(v, 0, 0, level, &root);
		if (r)
			return r;
		mmu->root.hpa = root;
	} else if (level == PT32E_ROOT_LEVEL) {
		/* 32-bit NPT or a non-paging shadow guest: four 1 GiB level-2 roots. */
		static const bool all[4] = {true, true, true, true};
		gfn_t gfn[4];
		u64 *pae_root;
		unsigned i;

		r = get_pae_root(v->vm, mmu, &pae_root);
		if (r)
			return r;
		for (i = 0; i < 4; i++)
			gfn[i] = (gfn_t)i << (30 - PAGE_SHIFT);
		r = fill_pae_root(v, pae_root, gfn, all, false, PT_PRESENT_MASK);
		if (r)
			return r;
		mmu->root.hpa = mmu->pae_root;
	} else {
		return MSC_EIO; /* WARN "Bad TDP root level" */
	}
	/* root.pgd is ignored for direct MMUs. */
	mmu->root.pgd = 0;
	return 0;
}

/* kvm_vcpu_is_visible_gfn(): a memslot of the MMU's address space holds @gfn. */
static bool is_visible_gfn(const struct mmu_vcpu *v, gfn_t gfn)
{
	return gmem_slot_find(v->vm->gmem, (u8)v->mmu->root_role.smm, gfn << PAGE_SHIFT, NULL);
}

/*
 * get_pdptr() for the PAE roots: the four PDPTEs at CR3[31:5], read through the
 * MMU's address space into mmu->pdptrs (an unbacked PDPT reads as not present).
 */
static void read_pdptrs(struct mmu_vcpu *v, u64 pgd)
{
	struct kvm_mmu *mmu = v->mmu;
	u8 as = (u8)mmu->root_role.smm;
	unsigned i;

	/* guest_mmu's get_pdptr is nested_svm_get_tdp_pdptr(): SVM caches no PDPTEs
	 * for nCR3, they are read from L1's memory. */
	if (v->pdptr_regs && mmu != &v->guest_mmu) {
		memcpy(mmu->pdptrs, v->pdptr_regs, sizeof(mmu->pdptrs));
		return;
	}
	for (i = 0; i < 4; i++) {
		if (gmem_read64(v->vm->gmem, as, (pgd & PAE_CR3_PDPT_MASK) + 8 * i,
				&mmu->pdptrs[i]))
			mmu->pdptrs[i] = 0;
	}
}

/* kvm_mmu_get_dummy_root(): a zero page, so a walk of it finds nothing present. */
static int get_dummy_root(struct mmu_vcpu *v, hpa_t *out)
{
	int r;

	if (!v->dummy_root) {
		r = hmem_alloc_page(v->vm->hmem, &v->dummy_root);
		if (r)
			return r;
	}
	*out = v->dummy_root;
	return 0;
}

/* mmu_alloc_shadow_roots(): the legacy shadow MMU of a paging guest. */
static int mmu_alloc_shadow_roots(struct mmu_vcpu *v, u64 pgd)
{
	struct kvm_mmu *mmu = v->mmu;
	u8 guest_level = (u8)mmu->cpu_role.base.level;
	gfn_t root_gfn = (pgd & PT_BASE_ADDR_MASK) >> PAGE_SHIFT;
	bool present[4] = {true, true, true, true};
	u64 pm_mask = PT_PRESENT_MASK; /* | shadow_me_value, 0 here */
	gfn_t gfn[4];
	u64 *pae_root;
	hpa_t root;
	unsigned i;
	int r;

	if (!is_visible_gfn(v, root_gfn)) {
		/* The guest root is outside every memslot: the dummy root, root.pgd untouched. */
		r = get_dummy_root(v, &root);
		if (r)
			return r;
		mmu->root.hpa = root;
		return 0;
	}

	/* Read before taking mmu_lock in KVM; a PDPTE pointing outside the memslots is
	 * treated as not present. */
	if (guest_level == PT32E_ROOT_LEVEL) {
		read_pdptrs(v, pgd);
		for (i = 0; i < 4; i++) {
			if (!(mmu->pdptrs[i] & PT_PRESENT_MASK))
				continue;
			if (!is_visible_gfn(v, (mmu->pdptrs[i] & PT_BASE_ADDR_MASK) >> PAGE_SHIFT))
				mmu->pdptrs[i] = 0;
		}
	}

	/* mmu_first_shadow_root_alloc(): rmaps and write tracking always exist in the model. */
	r = mmu_make_pages_available(v->vm);
	if (r < 0)
		return r;

	if (guest_level >= PT64_ROOT_4LEVEL) {
		/*
		 * A long-mode guest: one root SP shadowing (and write-protecting) its
		 * PML4/PML5. A 5-level host NPT over a 4-level L1 NPT makes it a
		 * passthrough SP (role.passthrough from kvm_init_shadow_npt_mmu()): level
		 * 5 at L1's PML4 gfn, shadowing no guest table; FNAME(fetch) links its
		 * entry to the level-4 SP of the same gfn, which shadows L1's PML4.
		 */
		r = mmu_alloc_root(v, root_gfn, 0, (u8)mmu->root_role.level, &root);
		if (r)
			return r;
		mmu->root.hpa = root;
		mmu->root.pgd = pgd;
		return 0;
	}

	/*
	 * A 32-bit guest shadowed with PAE tables. With a 4/5-level root (shadow NPT
	 * of a 32-bit/PAE L1 NPT only) the special roots sit on top: pml4_root[0] ->
	 * pae_root and, 5-level, pml5_root[0] -> pml4_root, allocated by
	 * mmu_alloc_special_roots(); their entries and the pae_root's get A|W|U.
	 */
	r = get_pae_root(v->vm, mmu, &pae_root);
	if (r)
		return r;
	if (mmu->root_role.level >= PT64_ROOT_4LEVEL) {
		pm_mask |= PT_ACCESSED_MASK | PT_WRITABLE_MASK | PT_USER_MASK;
		if (!mmu->pml4_root) /* WARN_ON_ONCE */
			return MSC_EIO;
		special_root_ptr(v->vm, mmu->pml4_root)[0] = mmu->pae_root | pm_mask;
		if (mmu->root_role.level == PT64_ROOT_5LEVEL) {
			if (!mmu->pml5_root) /* WARN_ON_ONCE */
				return MSC_EIO;
			special_root_ptr(v->vm, mmu->pml5_root)[0] = mmu->pml4_root | pm_mask;
		}
	}
	for (i = 0; i < 4; i++) {
		if (guest_level == PT32E_ROOT_LEVEL) {
			/* One PAE page directory per present PDPTE, quadrant 0. */
			present[i] = (mmu->pdptrs[i] & PT_PRESENT_MASK) != 0;
			gfn[i] = (mmu->pdptrs[i] & PT_BASE_ADDR_MASK) >> PAGE_SHIFT;
		} else {
			/* 2-level: four 1 GiB quarters of the one guest page directory. */
			gfn[i] = root_gfn;
		}
	}
	r = fill_pae_root(v, pae_root, gfn, present, guest_level == PT32_ROOT_LEVEL, pm_mask);
	if (r)
		return r;
	if (mmu->root_role.level == PT64_ROOT_5LEVEL)
		mmu->root.hpa = mmu->pml5_root;
	else if (mmu->root_role.level == PT64_ROOT_4LEVEL)
		mmu->root.hpa = mmu->pml4_root;
	else
		mmu->root.hpa = mmu->pae_root;
	mmu->root.pgd = pgd;
	return 0;
}

/*
 * mmu_alloc_special_roots(): pae_root, pml4_root and (5-level host) pml5_root
 * exist only to shadow a 32-bit or PAE L1 NPT with a 64-bit host NPT: L1's NPT
 * has no level to shadow above its PDPT. Allocated on demand, all together;
 * once allocated they stay until the vCPU is destroyed (free_mmu_pages()).
 * The host NPT level is fixed, so a present pml4_root with pml5 unneeded or
 * present is complete.
 */
static int mmu_alloc_special_roots(struct mmu_vcpu *v, struct kvm_mmu *mmu)
{
	bool need_pml5 = mmu->root_role.level > PT64_ROOT_4LEVEL;
	hpa_t pae = 0, pml4 = 0, pml5 = 0;
	int r;

	if (mmu->root_role.direct || mmu->cpu_role.base.level >= PT64_ROOT_4LEVEL ||
	    mmu->root_role.level < PT64_ROOT_4LEVEL)
		return 0;
	if (mmu->pae_root && mmu->pml4_root && (!need_pml5 || mmu->pml5_root))
		return 0;
	/* Allocated in concert: yell (WARN_ON_ONCE) and bail on a partial set. The
	 * model's pae_root may predate them only if it was built without them,
	 * which a 4/5-level root role never does. */
	if (!v->tdp_enabled || mmu->pae_root || mmu->pml4_root || (need_pml5 && mmu->pml5_root))
		return MSC_EIO;
	r = hmem_alloc_page(v->vm->hmem, &pae);
	if (!r)
		r = hmem_alloc_page(v->vm->hmem, &pml4);
	if (!r && need_pml5)
		r = hmem_alloc_page(v->vm->hmem, &pml5);
	if (r) {
		hmem_free_page(v->vm->hmem, pae);
		hmem_free_page(v->vm->hmem, pml4);
		return r;
	}
	mmu->pae_root = pae;
	mmu->pml4_root = pml4;
	mmu->pml5_root = pml5;
	return 0;
}

/* kvm_mmu_load() (reached through kvm_mmu_reload(), so a valid root is left alone) */
int mmu_load(struct mmu_vcpu *v, u64 pgd)
{
	struct kvm_mmu *mmu = v->mmu;
	int r;

	if (VALID_PAGE(mmu->root.hpa))
		return 0;
	/* nested_mmu only walks L2's tables: it never owns a root. */
	if (mmu == &v->nested_mmu)
		return MSC_EOPNOTSUPP;
	/* mmu_topup_memory_caches(): the model allocates straight from hmem. */
	r = mmu_alloc_special_roots(v, mmu);
	if (r)
		return r;
	if (mmu->root_role.direct)
		r = mmu_alloc_direct_roots(v);
	else
		r = mmu_alloc_shadow_roots(v, pgd);
	if (r)
		return r;
	/* kvm_mmu_sync_roots(): sync the unsync children of the new roots. */
	mmu_sync_roots(v);
	/*
	 * KVM then hands root.hpa to the vendor (kvm_mmu_load_pgd()) and flushes
	 * the current TLB context: the hardware TLB is the caller's.
	 */
	v->root_stats.loads++;
	emit_root(v->vm, MMU_EV_ROOT_LOAD, -1, mmu->root.pgd, mmu->root.hpa,
		  root_event_role(v->vm, mmu, mmu->root.hpa));
	return 0;
}
