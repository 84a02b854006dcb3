/* SPDX-License-Identifier: MIT */
/*
 * Deep copies of the MMU state for the simulator's checkpoints (sim_clone()):
 * every shadow page, rmap and parent-pointer chain, the internal hash maps and
 * every list (hash buckets, active list, TDP MMU roots) rebuilt with the same
 * order, so the copy behaves exactly like the original. SPTEs need no fixing:
 * they hold simulated host-physical addresses, which the copied hmem keeps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "mmu/page_priv.h"
#include "mmu/root.h"

/* One shadow page of the original and its copy. */
struct sp_pair {
	const struct kvm_mmu_page *old;
	struct kvm_mmu_page *cpy;
};

struct clone_ctx {
	const struct mmu_vm *src;
	struct mmu_vm *dst;
	struct sp_pair *pairs; /* sorted by old's address */
	size_t npairs;
	u64 bytes;
};

static int pair_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct sp_pair *)a)->old;
	uintptr_t y = (uintptr_t)((const struct sp_pair *)b)->old;

	return (x > y) - (x < y);
}

/* A copy of the pte_list_desc chain of @head in place (head->desc replaced). */
static void copy_chain(struct kvm_rmap_head *head, u64 *bytes)
{
	struct pte_list_desc **link = &head->desc;

	for (const struct pte_list_desc *d = head->desc; d; d = d->more) {
		struct pte_list_desc *n = mmu_zalloc(sizeof(*n));

		*n = *d;
		n->more = NULL;
		*link = n;
		link = &n->more;
		*bytes += sizeof(*n);
	}
}

/* A copy of a kv map with the same capacity, so every entry keeps its slot. */
static void copy_kv(struct kv_map *dst, const struct kv_map *src, bool rmaps, u64 *bytes)
{
	*dst = *src;
	dst->ents = NULL;
	if (!src->cap)
		return;
	dst->ents = mmu_zalloc(src->cap * sizeof(*dst->ents));
	memcpy(dst->ents, src->ents, src->cap * sizeof(*dst->ents));
	*bytes += src->cap * sizeof(*dst->ents);
	for (u64 i = 0; rmaps && i < dst->cap; i++) {
		if (dst->ents[i].used)
			copy_chain(&dst->ents[i].v.rmap, bytes);
	}
}

/*
 * The copy's address of @p, a list node of the original: one of the VM's list
 * heads, or a node inside one of its shadow pages. NULL when @p is neither (a
 * page on a list outside the VM, which never happens between operations).
 */
static struct mlist *xlate(const struct clone_ctx *c, const struct mlist *p)
{
	uintptr_t a = (uintptr_t)p, base = (uintptr_t)c->src;
	size_t lo = 0, hi = c->npairs;

	if (a >= base && a < base + sizeof(*c->src))
		return (struct mlist *)(void *)((char *)c->dst + (a - base));
	while (lo < hi) { /* the last pair whose old <= a */
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)c->pairs[mid].old <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	base = (uintptr_t)c->pairs[lo - 1].old;
	if (a >= base + sizeof(struct kvm_mmu_page))
		return NULL;
	return (struct mlist *)(void *)((char *)c->pairs[lo - 1].cpy + (a - base));
}

static bool xlate_node(const struct clone_ctx *c, struct mlist *n, const struct mlist *o)
{
	n->next = xlate(c, o->next);
	n->prev = xlate(c, o->prev);
	return n->next && n->prev;
}

/* Every list of the copy from the original's links. */
static bool relink(const struct clone_ctx *c)
{
	const struct mmu_vm *s = c->src;
	struct mmu_vm *d = c->dst;

	for (unsigned i = 0; i < KVM_NUM_MMU_PAGES; i++) {
		if (!xlate_node(c, &d->mmu_page_hash[i], &s->mmu_page_hash[i]))
			return false;
	}
	if (!xlate_node(c, &d->active_mmu_pages, &s->active_mmu_pages) ||
	    !xlate_node(c, &d->tdp_mmu_roots, &s->tdp_mmu_roots))
		return false;
	for (size_t i = 0; i < c->npairs; i++) {
		if (!xlate_node(c, &c->pairs[i].cpy->link, &c->pairs[i].old->link) ||
		    !xlate_node(c, &c->pairs[i].cpy->hash_link, &c->pairs[i].old->hash_link))
			return false;
	}
	return true;
}

/* Empty every list of the copy (each node linked to itself). */
static void unlink_all(const struct clone_ctx *c)
{
	for (unsigned i = 0; i < KVM_NUM_MMU_PAGES; i++)
		mlist_init(&c->dst->mmu_page_hash[i]);
	mlist_init(&c->dst->active_mmu_pages);
	mlist_init(&c->dst->tdp_mmu_roots);
	for (size_t i = 0; i < c->npairs; i++) {
		mlist_init(&c->pairs[i].cpy->link);
		mlist_init(&c->pairs[i].cpy->hash_link);
	}
}

int mmu_vm_clone(struct mmu_vm *dst, const struct mmu_vm *src, struct hmem *hmem, struct gmem *gmem,
		 u64 *bytes)
{
	struct clone_ctx c = {.src = src, .dst = dst};
	size_t n = 0;

	if (!dst || !src || !src->kv || !hmem)
		return MSC_EINVAL;
	*dst = *src;
	dst->hmem = hmem;
	dst->gmem = gmem;
	dst->kv = mmu_zalloc(sizeof(*dst->kv));
	c.bytes = sizeof(*dst->kv);
	copy_kv(&dst->kv->rmap, &src->kv->rmap, true, &c.bytes);
	copy_kv(&dst->kv->wtrack, &src->kv->wtrack, false, &c.bytes);
	copy_kv(&dst->kv->lpage, &src->kv->lpage, false, &c.bytes);

	/* Every shadow page (TDP MMU pages and invalid pinned roots included) owns a
	 * table page, so sp_by_pfn names them all. */
	for (u64 i = 0; i < src->sp_by_pfn_len; i++)
		n += src->sp_by_pfn[i] != NULL;
	dst->sp_by_pfn = src->sp_by_pfn_len
				 ? mmu_zalloc(src->sp_by_pfn_len * sizeof(*dst->sp_by_pfn))
				 : NULL;
	c.pairs = mmu_zalloc((n ? n : 1) * sizeof(*c.pairs));
	c.bytes += src->sp_by_pfn_len * sizeof(*dst->sp_by_pfn);
	for (u64 i = 0; i < src->sp_by_pfn_len; i++) {
		const struct kvm_mmu_page *o = src->sp_by_pfn[i];
		struct kvm_mmu_page *sp;

		if (!o)
			continue;
		sp = mmu_zalloc(sizeof(*sp));
		*sp = *o;
		mlist_init(&sp->link);
		mlist_init(&sp->hash_link);
		c.bytes += sizeof(*sp);
		if (o->shadowed_translation) {
			sp->shadowed_translation =
				mmu_zalloc(SPTE_ENT_PER_PAGE * sizeof(*sp->shadowed_translation));
			memcpy(sp->shadowed_translation, o->shadowed_translation,
			       SPTE_ENT_PER_PAGE * sizeof(*sp->shadowed_translation));
			c.bytes += SPTE_ENT_PER_PAGE * sizeof(*sp->shadowed_translation);
		}
		copy_chain(&sp->parent_ptes, &c.bytes);
		dst->sp_by_pfn[i] = sp;
		c.pairs[c.npairs].old = o;
		c.pairs[c.npairs].cpy = sp;
		c.npairs++;
	}
	qsort(c.pairs, c.npairs, sizeof(*c.pairs), pair_cmp);
	if (!relink(&c)) {
		/* Leave a copy mmu_vm_destroy() can free (lists empty, no events). */
		unlink_all(&c);
		dst->sink = NULL;
		free(c.pairs);
		mmu_vm_destroy(dst);
		memset(dst, 0, sizeof(*dst));
		return MSC_EINVAL;
	}
	free(c.pairs);
	if (bytes)
		*bytes = c.bytes;
	return 0;
}

/* The copy's member of @dst that @p names in @src (NULL stays NULL). */
static struct kvm_mmu *xlate_mmu(struct mmu_vcpu *dst, const struct mmu_vcpu *src,
				 const struct kvm_mmu *p)
{
	if (p == &src->root_mmu)
		return &dst->root_mmu;
	if (p == &src->guest_mmu)
		return &dst->guest_mmu;
	if (p == &src->nested_mmu)
		return &dst->nested_mmu;
	return NULL;
}

void mmu_vcpu_clone(struct mmu_vcpu *dst, const struct mmu_vcpu *src, struct mmu_vm *vm)
{
	*dst = *src;
	dst->vm = vm;
	dst->mmu = xlate_mmu(dst, src, src->mmu);
	dst->walk_mmu = xlate_mmu(dst, src, src->walk_mmu);
}
