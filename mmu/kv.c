/* SPDX-License-Identifier: MIT */
/*
 * The maps that hold what KVM keeps in per-memslot arrays (rmap heads, write
 * tracking counts, disallow_lpage counts): open addressing with linear probing
 * and backward-shift deletion, keyed by (index, address space | level).
 */
#include "mmu/page_priv.h"

#include <stdlib.h>
#include <string.h>

#define KV_MIN_CAP 64u

/* msc_mix64 (SplitMix64's finaliser) spreads consecutive gfns over the table. */
static u64 kv_hash(u64 idx, u32 tag)
{
	u64 x = idx ^ ((u64)tag << 52) ^ ((u64)tag >> 12);

	return msc_mix64(x);
}

void *mmu_zalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		abort();
	return p;
}

struct kv_ent *kv_lookup(const struct kv_map *m, u64 idx, u32 tag)
{
	u64 mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = kv_hash(idx, tag) & mask; m->ents[i].used; i = (i + 1) & mask) {
		if (m->ents[i].idx == idx && m->ents[i].tag == tag)
			return &m->ents[i];
	}
	return NULL;
}

/* Place @e (known absent) into @ents of @cap slots. */
static struct kv_ent *kv_place(struct kv_ent *ents, u64 cap, const struct kv_ent *e)
{
	u64 mask = cap - 1, i;

	for (i = kv_hash(e->idx, e->tag) & mask; ents[i].used; i = (i + 1) & mask)
		;
	ents[i] = *e;
	return &ents[i];
}

/* Keep the load at most one half so probe runs stay short. */
static void kv_grow(struct kv_map *m)
{
	u64 cap = m->cap ? m->cap * 2 : KV_MIN_CAP;
	struct kv_ent *ents = mmu_zalloc(cap * sizeof(*ents));

	for (u64 i = 0; i < m->cap; i++) {
		if (m->ents[i].used)
			kv_place(ents, cap, &m->ents[i]);
	}
	free(m->ents);
	m->ents = ents;
	m->cap = cap;
}

struct kv_ent *kv_insert(struct kv_map *m, u64 idx, u32 tag)
{
	struct kv_ent *e = kv_lookup(m, idx, tag), fresh;

	if (e)
		return e;
	if ((m->n + 1) * 2 > m->cap)
		kv_grow(m);
	memset(&fresh, 0, sizeof(fresh));
	fresh.idx = idx;
	fresh.tag = tag;
	fresh.used = 1;
	m->n++;
	return kv_place(m->ents, m->cap, &fresh);
}

/*
 * Backward-shift deletion: walk the run after the hole and move back every entry
 * whose home slot does not lie cyclically in (hole, j], so no lookup ever stops
 * early at the hole.
 */
void kv_remove(struct kv_map *m, struct kv_ent *e)
{
	u64 mask = m->cap - 1;
	u64 hole = (u64)(e - m->ents), j = hole;

	for (;;) {
		u64 home;

		j = (j + 1) & mask;
		if (!m->ents[j].used)
			break;
		home = kv_hash(m->ents[j].idx, m->ents[j].tag) & mask;
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			m->ents[hole] = m->ents[j];
			hole = j;
		}
	}
	memset(&m->ents[hole], 0, sizeof(m->ents[hole]));
	m->n--;
}

void kv_map_free(struct kv_map *m)
{
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

void kv_count_add(struct kv_map *m, u64 idx, u32 tag, int delta)
{
	struct kv_ent *e;

	if (delta >= 0) {
		e = kv_insert(m, idx, tag);
		e->v.count += (u32)delta;
		if (!e->v.count)
			kv_remove(m, e);
		return;
	}
	e = kv_lookup(m, idx, tag);
	/* update_gfn_write_track() WARNs and refuses to go below 0. */
	if (!e || e->v.count < (u32)-delta)
		return;
	e->v.count -= (u32)-delta;
	if (!e->v.count)
		kv_remove(m, e);
}

u32 kv_count_get(const struct kv_map *m, u64 idx, u32 tag)
{
	const struct kv_ent *e = kv_lookup(m, idx, tag);

	return e ? e->v.count : 0;
}
