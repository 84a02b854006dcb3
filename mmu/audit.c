// SPDX-License-Identifier: MIT
/*
 * The MMU auditor (KVM's arch/x86/kvm/mmu/mmu_audit.c, removed in 2022, rebuilt
 * and extended): every check below is one invariant of docs/audit.md and names
 * the KVM structure or function whose correctness it protects.
 */
#include "mmu/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mmu/page_priv.h"

#define GPTE_PRESENT BIT_ULL(0)
#define GPTE_WRITABLE BIT_ULL(1)
#define GPTE_USER BIT_ULL(2)
#define GPTE_PS BIT_ULL(7)
#define SPTE_USER BIT_ULL(2)
#define GPTE64_ADDR_MASK GENMASK_ULL(51, 12)
#define ACC_WRITE 2u

struct audit {
	const struct mmu_vm *vm;
	const struct mmu_vcpu *vcpus;
	unsigned n;
	struct mmu_audit_report *out;
	unsigned count;
};

static const char *const inv_names[MMU_AUDIT_NR] = {
	[MMU_AUDIT_HASH] = "hash",
	[MMU_AUDIT_PARENTS] = "parents",
	[MMU_AUDIT_RMAP] = "rmap",
	[MMU_AUDIT_ROOT_COUNT] = "root_count",
	[MMU_AUDIT_WRITE_TRACK] = "write_track",
	[MMU_AUDIT_UNSYNC] = "unsync",
	[MMU_AUDIT_GPTE] = "gpte",
};

const char *mmu_audit_inv_name(enum mmu_audit_inv inv)
{
	return inv < MMU_AUDIT_NR ? inv_names[inv] : "?";
}

int mmu_audit_format(const struct mmu_audit_violation *v, char *buf, size_t len)
{
	return snprintf(buf, len, "audit: %s: sp gfn 0x%llx role 0x%08x #%u: %s",
			mmu_audit_inv_name(v->inv), (unsigned long long)v->gfn, v->role, v->serial,
			v->text);
}

__attribute__((format(printf, 4, 5))) static void violation(struct audit *a, enum mmu_audit_inv inv,
							    const struct kvm_mmu_page *sp,
							    const char *fmt, ...)
{
	struct mmu_audit_violation *v;
	va_list ap;

	a->count++;
	if (!a->out)
		return;
	a->out->count = a->count;
	if (a->out->kept >= MMU_AUDIT_MAX_KEPT)
		return;
	v = &a->out->v[a->out->kept++];
	memset(v, 0, sizeof(*v));
	v->inv = inv;
	if (sp) {
		v->gfn = sp->gfn;
		v->role = sp->role.word;
		v->serial = sp->serial;
	}
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
}

static bool spte_is_leaf(const struct kvm_mmu_page *sp, u64 spte)
{
	return is_last_spte(spte, sp->role.level);
}

static u64 sp_sptep(const struct kvm_mmu_page *sp, unsigned i)
{
	return sp->spt + (u64)i * 8;
}

static bool rmap_head_has(const struct kvm_rmap_head *head, u64 sptep)
{
	struct rmap_iter it;

	for (u64 p = rmap_get_first(head, &it); p; p = rmap_get_next(&it))
		if (p == sptep)
			return true;
	return false;
}

/*
 * (a) kvm->arch.mmu_page_hash and active_mmu_pages (kvm_mmu_alloc_shadow_page(),
 * __kvm_mmu_prepare_zap_page(), kvm_mmu_free_shadow_page()): every SP in a
 * bucket hashes to it; every SP on the active list is valid and in its bucket
 * exactly once; an SP in the hash but not on the active list is an invalid root
 * that only its roots keep (root_count > 0: KVM list_del()s it and frees it
 * when the last reference goes).
 */
static void audit_hash_and_active_list(struct audit *a)
{
	const struct mmu_vm *vm = a->vm;
	u64 in_hash = 0, invalid = 0, active = 0;
	struct mlist *l;

	for (u32 b = 0; b < KVM_NUM_MMU_PAGES; b++) {
		const struct mlist *head = &vm->mmu_page_hash[b];

		for (l = head->next; l != head; l = l->next) {
			const struct kvm_mmu_page *sp = sp_of_hash_link(l);

			in_hash++;
			if (mmu_page_hashfn(sp->gfn) != b)
				violation(a, MMU_AUDIT_HASH, sp, "in hash bucket %u, hashes to %u",
					  b, mmu_page_hashfn(sp->gfn));
			if (sp->role.invalid) {
				invalid++;
				if (sp->root_count <= 0)
					violation(a, MMU_AUDIT_HASH, sp,
						  "invalid in the hash with root_count %d",
						  sp->root_count);
			}
		}
	}
	for (l = vm->active_mmu_pages.next; l != &vm->active_mmu_pages; l = l->next) {
		const struct kvm_mmu_page *sp = sp_of_link(l);
		const struct mlist *head = &vm->mmu_page_hash[mmu_page_hashfn(sp->gfn)];
		unsigned found = 0;

		active++;
		for (struct mlist *h = head->next; h != head; h = h->next)
			if (sp_of_hash_link(h) == sp)
				found++;
		if (found != 1)
			violation(a, MMU_AUDIT_HASH, sp,
				  "on the active list, %u times in its bucket", found);
		if (sp->role.invalid)
			violation(a, MMU_AUDIT_HASH, sp, "invalid on the active list");
	}
	if (in_hash != active + invalid)
		violation(a, MMU_AUDIT_HASH, NULL,
			  "%llu pages in the hash, %llu on the active list, %llu invalid roots",
			  (unsigned long long)in_hash, (unsigned long long)active,
			  (unsigned long long)invalid);
}

/*
 * (b) sp->parent_ptes (mmu_page_add_parent_pte(), drop_parent_pte(),
 * __link_shadow_page()): every sptep there is a present non-leaf SPTE pointing
 * at sp->spt, and every present non-leaf SPTE is listed by the child it points at.
 */
static void audit_parent_ptes(struct audit *a, const struct kvm_mmu_page *sp)
{
	const struct mmu_vm *vm = a->vm;
	struct rmap_iter it;

	for (u64 p = rmap_get_first(&sp->parent_ptes, &it); p; p = rmap_get_next(&it)) {
		const struct kvm_mmu_page *parent = mmu_sptep_to_sp(vm, p);
		u64 spte = spte_load(vm, p);

		if (!parent)
			violation(a, MMU_AUDIT_PARENTS, sp, "parent sptep 0x%llx is in no SP",
				  (unsigned long long)p);
		else if (!is_shadow_present_pte(spte) || spte_is_leaf(parent, spte))
			violation(a, MMU_AUDIT_PARENTS, sp,
				  "parent sptep 0x%llx (sp #%u) is 0x%llx, not a present non-leaf",
				  (unsigned long long)p, parent->serial, (unsigned long long)spte);
		else if ((spte & SPTE_BASE_ADDR_MASK) != sp->spt)
			violation(a, MMU_AUDIT_PARENTS, sp,
				  "parent sptep 0x%llx points at 0x%llx, not spt 0x%llx",
				  (unsigned long long)p,
				  (unsigned long long)(spte & SPTE_BASE_ADDR_MASK),
				  (unsigned long long)sp->spt);
	}
	if (sp->role.level == PG_LEVEL_4K)
		return;
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 sptep = sp_sptep(sp, i), spte = spte_load(vm, sptep);
		const struct kvm_mmu_page *child;

		if (!is_shadow_present_pte(spte) || spte_is_leaf(sp, spte))
			continue;
		child = spte_to_child_sp(vm, spte);
		if (!child)
			violation(a, MMU_AUDIT_PARENTS, sp, "spte %u (0x%llx) points at no SP", i,
				  (unsigned long long)spte);
		else if (!rmap_head_has(&child->parent_ptes, sptep))
			violation(a, MMU_AUDIT_PARENTS, sp,
				  "spte %u points at sp #%u, whose parent_ptes lack 0x%llx", i,
				  child->serial, (unsigned long long)sptep);
	}
}

/*
 * (c) the rmaps (rmap_add(), rmap_remove(), gfn_to_rmap()): every present leaf
 * SPTE is in the rmap of (role.smm, its gfn, the SP's level), and every rmap
 * entry is a present leaf SPTE of an SP of that address space and level mapping
 * that gfn. MMIO SPTEs (mark_mmio_spte()) are in no rmap; they sit in 4K SPs, a
 * direct SP's names the gfn of its slot, and one of the current memslot
 * generation (check_mmio_spte() would accept it) names a gfn outside every
 * memslot of the SP's address space -- unless the SP has gptes: sync_mmio_spte()
 * re-marks an unsync page's MMIO SPTE with the current generation without
 * looking the gfn up again, so after a memslot appeared there it stays an MMIO
 * SPTE (KVM then emulates accesses that RAM now backs: slower, not wrong).
 */
static void audit_mmio_spte(struct audit *a, const struct kvm_mmu_page *sp, unsigned i, u64 spte)
{
	const struct mmu_vm *vm = a->vm;
	gfn_t gfn = get_mmio_spte_gfn(&vm->masks, spte);
	u64 gen = gmem_generation(vm->gmem, (u8)sp->role.smm);

	if (sp->role.level != PG_LEVEL_4K)
		violation(a, MMU_AUDIT_RMAP, sp, "mmio spte %u in a level-%u sp", i,
			  sp->role.level);
	if (sp->role.direct && gfn != sp->gfn + i)
		violation(a, MMU_AUDIT_RMAP, sp,
			  "mmio spte %u names gfn 0x%llx, the sp maps 0x%llx", i,
			  (unsigned long long)gfn, (unsigned long long)(sp->gfn + i));
	if (!(gen & GMEM_GEN_UPDATE_IN_PROGRESS) && !mmu_sp_has_gptes(sp) &&
	    get_mmio_spte_generation(spte) == (gen & MMIO_SPTE_GEN_MASK) &&
	    gmem_slot_find(vm->gmem, (u8)sp->role.smm, gfn << PAGE_SHIFT, NULL))
		violation(a, MMU_AUDIT_RMAP, sp,
			  "mmio spte %u of the current generation 0x%llx names gfn 0x%llx, "
			  "which a memslot holds",
			  i, (unsigned long long)(gen & MMIO_SPTE_GEN_MASK),
			  (unsigned long long)gfn);
}

static void audit_rmap_of_sp(struct audit *a, const struct kvm_mmu_page *sp)
{
	const struct mmu_vm *vm = a->vm;
	unsigned level = sp->role.level;
	u8 as = (u8)sp->role.smm;

	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 sptep = sp_sptep(sp, i), spte = spte_load(vm, sptep);
		gfn_t gfn;
		const struct kv_ent *e;

		if (is_mmio_spte(&vm->masks, spte) && !sp->role.invalid && vm->gmem)
			audit_mmio_spte(a, sp, i, spte);
		if (!is_shadow_present_pte(spte) || !spte_is_leaf(sp, spte))
			continue;
		gfn = mmu_page_get_gfn(sp, i);
		e = kv_lookup(&vm->kv->rmap, gfn_region(gfn, level), kv_tag(as, level));
		if (!e || !rmap_head_has(&e->v.rmap, sptep))
			violation(
				a, MMU_AUDIT_RMAP, sp,
				"leaf spte %u (gfn 0x%llx) missing from the rmap of as %u level %u",
				i, (unsigned long long)gfn, as, level);
	}
}

static void audit_rmap_entries(struct audit *a)
{
	const struct mmu_vm *vm = a->vm;
	const struct kv_map *m = &vm->kv->rmap;

	for (u64 k = 0; k < m->cap; k++) {
		const struct kv_ent *e = &m->ents[k];
		unsigned level = (e->tag >> 8) & 0xff;
		u8 as = (u8)(e->tag & 0xff);
		struct rmap_iter it;

		if (!e->used)
			continue;
		for (u64 p = rmap_get_first(&e->v.rmap, &it); p; p = rmap_get_next(&it)) {
			const struct kvm_mmu_page *sp = mmu_sptep_to_sp(vm, p);
			u64 spte = spte_load(vm, p);

			if (!sp) {
				violation(a, MMU_AUDIT_RMAP, NULL,
					  "rmap entry 0x%llx (as %u level %u) is in no SP",
					  (unsigned long long)p, as, level);
				continue;
			}
			if (!is_shadow_present_pte(spte) || !spte_is_leaf(sp, spte))
				violation(a, MMU_AUDIT_RMAP, sp,
					  "rmap entry 0x%llx is 0x%llx, not a present leaf",
					  (unsigned long long)p, (unsigned long long)spte);
			else if (sp->role.level != level || sp->role.smm != as ||
				 gfn_region(mmu_page_get_gfn(sp, mmu_spte_index(p)), level) !=
					 e->idx)
				violation(a, MMU_AUDIT_RMAP, sp,
					  "rmap entry 0x%llx filed under as %u level %u region "
					  "0x%llx",
					  (unsigned long long)p, as, level,
					  (unsigned long long)e->idx);
		}
	}
}

/* The shadow page a root hpa stands for (not the PAE/dummy pages). */
static const struct kvm_mmu_page *root_sp(const struct audit *a, const struct mmu_vcpu *v,
					  hpa_t hpa)
{
	if (hpa == INVALID_PAGE || !hpa || mmu_is_dummy_root(v, hpa))
		return NULL;
	return mmu_root_to_sp(a->vm, hpa);
}

/* References to @sp from the roots of every vCPU's root_mmu and guest_mmu. */
static int count_root_refs(const struct audit *a, const struct kvm_mmu_page *sp)
{
	int refs = 0;

	for (unsigned c = 0; c < a->n; c++) {
		const struct mmu_vcpu *v = &a->vcpus[c];
		const struct kvm_mmu *mmus[2] = {&v->root_mmu, &v->guest_mmu};

		for (unsigned k = 0; k < 2; k++) {
			const struct kvm_mmu *mmu = mmus[k];
			const u64 *pae;

			if (root_sp(a, v, mmu->root.hpa) == sp)
				refs++;
			for (unsigned i = 0; i < KVM_MMU_NUM_PREV_ROOTS; i++)
				if (root_sp(a, v, mmu->prev_roots[i].hpa) == sp)
					refs++;
			pae = mmu->pae_root ? hmem_ptr(a->vm->hmem, mmu->pae_root) : NULL;
			for (unsigned i = 0; pae && i < 4; i++)
				if ((pae[i] & BIT_ULL(0)) &&
				    mmu_root_to_sp(a->vm, pae[i] & SPTE_BASE_ADDR_MASK) == sp)
					refs++;
		}
	}
	return refs;
}

/*
 * (d) sp->root_count (mmu_alloc_root(), mmu_free_root_page(), kvm_mmu_free_roots()):
 * it equals the vCPU roots that reference the SP: current and prev_roots of
 * root_mmu and guest_mmu, and the entries of their pae_root pages.
 */
static void audit_root_count(struct audit *a, const struct kvm_mmu_page *sp)
{
	int refs = count_root_refs(a, sp);

	if (refs != sp->root_count)
		violation(a, MMU_AUDIT_ROOT_COUNT, sp, "root_count %d, %d vCPU roots reference it",
			  sp->root_count, refs);
}

static bool sp_write_tracks(const struct kvm_mmu_page *sp)
{
	return !sp->role.invalid && sp->role.level > PG_LEVEL_4K && mmu_sp_has_gptes(sp);
}

/*
 * (e) gfn_write_track (account_shadowed(), unaccount_shadowed(),
 * __kvm_write_track_add_gfn()): the count of (as, gfn) equals the valid
 * upper-level SPs with gptes at gfn in that address space.
 */
static void audit_write_track(struct audit *a)
{
	const struct mmu_vm *vm = a->vm;
	const struct kv_map *m = &vm->kv->wtrack;
	const struct mlist *head = &vm->active_mmu_pages;

	/* Every tracked SP's gfn: the count matches the SPs there. */
	for (struct mlist *l = head->next; l != head; l = l->next) {
		const struct kvm_mmu_page *sp = sp_of_link(l);
		u8 as = (u8)sp->role.smm;
		unsigned want = 0, have;

		if (!sp_write_tracks(sp))
			continue;
		for (struct mlist *k = head->next; k != head; k = k->next) {
			const struct kvm_mmu_page *o = sp_of_link(k);

			if (sp_write_tracks(o) && o->gfn == sp->gfn && o->role.smm == as)
				want++;
		}
		have = mmu_gfn_write_track_count(vm, as, sp->gfn);
		if (have != want)
			violation(a, MMU_AUDIT_WRITE_TRACK, sp,
				  "write-track count %u at gfn 0x%llx as %u, %u SPs shadow it",
				  have, (unsigned long long)sp->gfn, as, want);
	}
	/* Every tracked gfn: some SP accounts for it. */
	for (u64 k = 0; k < m->cap; k++) {
		const struct kv_ent *e = &m->ents[k];
		unsigned want = 0;

		if (!e->used)
			continue;
		for (struct mlist *l = head->next; l != head; l = l->next) {
			const struct kvm_mmu_page *o = sp_of_link(l);

			if (sp_write_tracks(o) && o->gfn == e->idx &&
			    o->role.smm == (e->tag & 0xff))
				want++;
		}
		if (want != e->v.count)
			violation(a, MMU_AUDIT_WRITE_TRACK, NULL,
				  "write-track count %u at gfn 0x%llx as %u, %u SPs shadow it",
				  e->v.count, (unsigned long long)e->idx, e->tag & 0xff, want);
	}
}

static unsigned bitmap_weight(const u64 *bm, unsigned words)
{
	unsigned w = 0;

	for (unsigned i = 0; i < words; i++)
		w += (unsigned)__builtin_popcountll(bm[i]);
	return w;
}

/*
 * (f) the unsync state (kvm_unsync_page(), mark_unsync(), kvm_unlink_unsync_page(),
 * clear_unsync_child_bit()): only valid level-1 SPs with gptes are unsync;
 * unsync_children counts the bits of unsync_child_bitmap; a present non-leaf
 * SPTE to a child that is unsync or has unsync children has its bit set (a set
 * bit may be stale: __mmu_unsync_walk() clears those lazily).
 */
static void audit_unsync_of_sp(struct audit *a, const struct kvm_mmu_page *sp)
{
	const struct mmu_vm *vm = a->vm;
	unsigned w = bitmap_weight(sp->unsync_child_bitmap, SPTE_ENT_PER_PAGE / 64);

	if (sp->unsync &&
	    (sp->role.level != PG_LEVEL_4K || !mmu_sp_has_gptes(sp) || sp->role.invalid))
		violation(a, MMU_AUDIT_UNSYNC, sp, "unsync but level %u%s%s", sp->role.level,
			  mmu_sp_has_gptes(sp) ? "" : ", no gptes",
			  sp->role.invalid ? ", invalid" : "");
	if (w != sp->unsync_children)
		violation(a, MMU_AUDIT_UNSYNC, sp, "unsync_children %u, %u bits set",
			  sp->unsync_children, w);
	if (sp->role.level == PG_LEVEL_4K || sp->role.invalid)
		return;
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = spte_load(vm, sp_sptep(sp, i));
		const struct kvm_mmu_page *child;

		if (!is_shadow_present_pte(spte) || spte_is_leaf(sp, spte))
			continue;
		child = spte_to_child_sp(vm, spte);
		if (child && (child->unsync || child->unsync_children) &&
		    !(sp->unsync_child_bitmap[i / 64] & BIT_ULL(i % 64)))
			violation(a, MMU_AUDIT_UNSYNC, sp,
				  "child sp #%u at %u is %s but its unsync bit is clear",
				  child->serial, i, child->unsync ? "unsync" : "an unsync parent");
	}
}

/* Read gpte @idx of the guest table at @gfn (@size 4 or 8 bytes). */
static bool read_gpte(const struct mmu_vm *vm, u8 as, gfn_t gfn, unsigned idx, unsigned size,
		      u64 *gpte)
{
	u64 gpa = (gfn << PAGE_SHIFT) + (u64)idx * size;

	if (size == 4) {
		u32 v;

		if (gmem_read32(vm->gmem, as, gpa, &v))
			return false;
		*gpte = v;
		return true;
	}
	return gmem_read64(vm->gmem, as, gpa, gpte) == 0;
}

/*
 * (g) synced shadow pages (FNAME(sync_spte), FNAME(prefetch_gpte), mmu_set_spte(),
 * make_spte()): a present leaf SPTE of a valid, synced SP with gptes maps the
 * host frame of the gpte's gfn (gfn_to_pfn) and is writable only if the gpte and
 * the accumulated access (role.access) allow writes, or under the CR0.WP=0
 * emulation (role.cr0_wp clear: a supervisor-only writable SPTE). The gpte is
 * read from guest memory at the SP's gfn and quadrant; 4-byte gptes are checked
 * in level-1 SPs only (their huge pages are split across SPTE halves).
 */
static void audit_gptes_of_sp(struct audit *a, const struct kvm_mmu_page *sp)
{
	const struct mmu_vm *vm = a->vm;
	unsigned size = sp->role.has_4_byte_gpte ? 4 : 8;
	u8 as = (u8)sp->role.smm;

	if (sp->unsync || sp->role.invalid || !mmu_sp_has_gptes(sp) || !vm->gmem || !vm->gfn_to_pfn)
		return;
	if (mmu_is_obsolete_sp(vm, sp) || (size == 4 && sp->role.level != PG_LEVEL_4K))
		return;
	for (unsigned i = 0; i < SPTE_ENT_PER_PAGE; i++) {
		u64 spte = spte_load(vm, sp_sptep(sp, i)), gpte, gfn;
		unsigned gidx = size == 4 ? sp->role.quadrant * SPTE_ENT_PER_PAGE + i : i;
		u64 pages = 1ULL << (9 * (sp->role.level - 1));
		hfn_t pfn;
		bool writable;

		if (!is_shadow_present_pte(spte) || !spte_is_leaf(sp, spte))
			continue;
		if (!read_gpte(vm, as, sp->gfn, gidx, size, &gpte)) {
			violation(a, MMU_AUDIT_GPTE, sp, "spte %u: gpte %u unreadable", i, gidx);
			continue;
		}
		if (!(gpte & GPTE_PRESENT) || (sp->role.level > PG_LEVEL_4K && !(gpte & GPTE_PS))) {
			violation(a, MMU_AUDIT_GPTE, sp,
				  "spte %u (0x%llx) present, gpte 0x%llx is not a leaf", i,
				  (unsigned long long)spte, (unsigned long long)gpte);
			continue;
		}
		gfn = size == 4 ? (gpte & 0xfffff000ULL) >> PAGE_SHIFT
				: (gpte & GPTE64_ADDR_MASK) >> PAGE_SHIFT;
		gfn &= ~(pages - 1);
		if (mmu_page_get_gfn(sp, i) != gfn)
			violation(a, MMU_AUDIT_GPTE, sp,
				  "spte %u: shadowed gfn 0x%llx, gpte gfn 0x%llx", i,
				  (unsigned long long)mmu_page_get_gfn(sp, i),
				  (unsigned long long)gfn);
		if (!vm->gfn_to_pfn(vm->ctx, as, gfn, &pfn, &writable)) {
			violation(a, MMU_AUDIT_GPTE, sp,
				  "spte %u maps gfn 0x%llx outside the memslots", i,
				  (unsigned long long)gfn);
			continue;
		}
		if ((spte_to_pfn(spte) & ~(pages - 1)) != (pfn & ~(pages - 1)))
			violation(a, MMU_AUDIT_GPTE, sp,
				  "spte %u: pfn 0x%llx, gfn 0x%llx is backed by pfn 0x%llx", i,
				  (unsigned long long)spte_to_pfn(spte), (unsigned long long)gfn,
				  (unsigned long long)pfn);
		if (is_writable_pte(spte) &&
		    !((gpte & GPTE_WRITABLE) && (sp->role.access & ACC_WRITE)) &&
		    (sp->role.cr0_wp || (spte & SPTE_USER)))
			violation(
				a, MMU_AUDIT_GPTE, sp,
				"spte %u (0x%llx) writable, gpte 0x%llx / role access %u forbid it",
				i, (unsigned long long)spte, (unsigned long long)gpte,
				(unsigned)sp->role.access);
	}
}

int mmu_audit(const struct mmu_vm *vm, const struct mmu_vcpu *vcpus, unsigned n,
	      struct mmu_audit_report *out)
{
	struct audit a = {.vm = vm, .vcpus = vcpus, .n = n, .out = out};
	u64 unsync = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	audit_hash_and_active_list(&a);
	/* Every SP: the hash holds the active list and the invalid roots. */
	for (u32 b = 0; b < KVM_NUM_MMU_PAGES; b++) {
		const struct mlist *head = &vm->mmu_page_hash[b];

		for (struct mlist *l = head->next; l != head; l = l->next) {
			const struct kvm_mmu_page *sp = sp_of_hash_link(l);

			audit_parent_ptes(&a, sp);
			audit_rmap_of_sp(&a, sp);
			audit_root_count(&a, sp);
			audit_unsync_of_sp(&a, sp);
			audit_gptes_of_sp(&a, sp);
			if (sp->unsync)
				unsync++;
		}
	}
	audit_rmap_entries(&a);
	audit_write_track(&a);
	/* (f) the mmu_unsync stat (kvm_unsync_page() / kvm_unlink_unsync_page()). */
	if (unsync != vm->stats.mmu_unsync)
		violation(&a, MMU_AUDIT_UNSYNC, NULL, "mmu_unsync stat %llu, %llu unsync SPs",
			  (unsigned long long)vm->stats.mmu_unsync, (unsigned long long)unsync);
	return (int)a.count;
}
