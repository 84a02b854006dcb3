/* SPDX-License-Identifier: MIT */
/*
 * The architectural TLB: the maximal set of translations the CPU may still hold
 * (SDM Vol. 3 4.10), kept in a growing open-addressing hash, flushed exactly as
 * far as each invalidating operation requires (SDM Vol. 3 4.10.4.1).
 */
#include "cpu/tlb.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

/*
 * Why "maximal": a processor may invalidate any TLB entry at any time (SDM
 * 4.10.2.2), so whatever a real CPU holds is a subset of "every translation
 * cached since the last operation that must drop it". Holding that whole set
 * gives every outcome the architecture allows; eviction is never modelled, and
 * every flush drops exactly what the SDM says it must and nothing more.
 *
 * Layout. Entries live in a dense array (struct tlb_slot); a linear-probing
 * index of u32 (0 = empty, else dense index + 1) finds them by key. Removing
 * one entry is a backward-shift delete in the index plus a swap-remove in the
 * array; a bulk flush compacts the array and rebuilds the index. Pointers
 * handed out by tlb_lookup() point into the array: stable until a mutation.
 *
 * Key = (vpid, tag, va, size), where tag is the PCID for a non-global entry and
 * "global" for a global one (SDM 4.10.2.4: a global translation is used with
 * every PCID, so the PCID it was cached under does not distinguish it; it is
 * kept in tlb_entry.pcid only for display and ordering).
 *
 *  field | key? | meaning
 *  ------+------+---------------------------------------------------------
 *  vpid  | yes  | VPID/ASID tag (SDM 29.1); 0 outside guest mode
 *  pcid  | non-global only | PCID tag (SDM 4.10.1); display-only when global
 *  global| yes  | G=1 with CR4.PGE=1 (SDM 4.10.2.4)
 *  va    | yes  | linear page number << log2(size)
 *  size  | yes  | 4 KiB, 2 MiB, 4 MiB (32-bit PSE) or 1 GiB
 *  span  | no   | first-stage page size (>= size): what INVLPG must cover
 */

struct tlb_slot {
	struct tlb_entry e; /* first: tlb_lookup() hands out &slot->e */
	/*
	 * The first-stage page this translation came from. Equal to e.size
	 * except for a combined (nested) mapping whose second-stage page is
	 * smaller: then the cached translation is only e.size wide (its frame
	 * must be contiguous in both stages; combined mappings, SDM 29.4.1),
	 * but an INVLPG of any address in the guest's large page must drop it
	 * (SDM Vol. 2 INVLPG: "all of them" for a page cached as several
	 * entries).
	 */
	u64 span;
};

struct tlb {
	struct tlb_slot *slots; /* dense, [0, n) */
	size_t n;
	size_t cap;
	u32 *index; /* linear probing, power-of-two length; 0 = empty */
	size_t index_mask; /* length - 1; 0 while index is NULL */
	size_t nfrac; /* entries with span > size (see struct tlb_slot) */
};

/* The page sizes a leaf can map (SDM Tables 4-1, 4-8, 4-15..4-19). */
static const u64 tlb_sizes[] = {
	4096ULL, /* PTE */
	2ULL << 20, /* PAE/4/5-level PDE with PS=1 */
	4ULL << 20, /* 32-bit PDE with PS=1, CR4.PSE=1 */
	1ULL << 30, /* 4/5-level PDPTE with PS=1 */
};

#define TLB_MIN_INDEX 64u

/* Which of tlb_sizes[] @size is, or -1. */
static int size_class(u64 size)
{
	for (size_t i = 0; i < MSC_ARRAY_SIZE(tlb_sizes); i++)
		if (tlb_sizes[i] == size)
			return (int)i;
	return -1;
}

/*
 * Hash of a key (msc_mix64, SplitMix64's finaliser: every input bit reaches every
 * output bit). va is at least 4 KiB aligned, so its bits 11:0 are free: bits
 * 1:0 take the size class, bit 11 the global flag. The PCID of a global entry
 * is not part of the key, so it must not be part of the hash either.
 */
static u64 key_hash(u16 vpid, bool global, u16 pcid, u64 va, u64 size)
{
	u64 lo = va | (u64)(size_class(size) & 3) | (global ? 0x800ULL : 0);
	u64 tag = ((u64)vpid << 16) | (global ? 0 : pcid);

	return msc_mix64(lo ^ msc_mix64(tag + 1));
}

static u64 entry_hash(const struct tlb_entry *e)
{
	return key_hash(e->vpid, e->global, e->pcid, e->va, e->size);
}

static bool key_eq(const struct tlb_entry *e, u16 vpid, bool global, u16 pcid, u64 va, u64 size)
{
	return e->vpid == vpid && e->global == global && (global || e->pcid == pcid) &&
	       e->va == va && e->size == size;
}

/* Total order of tlb_foreach(): vpid, pcid, va, size, then non-global first. */
static int entry_cmp(const struct tlb_entry *a, const struct tlb_entry *b)
{
	if (a->vpid != b->vpid)
		return a->vpid < b->vpid ? -1 : 1;
	if (a->pcid != b->pcid)
		return a->pcid < b->pcid ? -1 : 1;
	if (a->va != b->va)
		return a->va < b->va ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	if (a->global != b->global)
		return a->global ? 1 : -1;
	return 0;
}

static int entry_ptr_cmp(const void *pa, const void *pb)
{
	const struct tlb_entry *const *a = pa;
	const struct tlb_entry *const *b = pb;

	return entry_cmp(*a, *b);
}

/* Index position holding the entry with this key, or SIZE_MAX. */
static size_t index_find(const struct tlb *t, u16 vpid, bool global, u16 pcid, u64 va, u64 size)
{
	if (!t->index)
		return SIZE_MAX;
	for (size_t pos = key_hash(vpid, global, pcid, va, size) & t->index_mask;;
	     pos = (pos + 1) & t->index_mask) {
		u32 v = t->index[pos];

		if (!v)
			return SIZE_MAX;
		if (key_eq(&t->slots[v - 1].e, vpid, global, pcid, va, size))
			return pos;
	}
}

/* Put dense index @i into the index (its key is known to be absent). */
static void index_place(struct tlb *t, size_t i)
{
	size_t pos = entry_hash(&t->slots[i].e) & t->index_mask;

	while (t->index[pos])
		pos = (pos + 1) & t->index_mask;
	t->index[pos] = (u32)(i + 1);
}

static void index_rebuild(struct tlb *t)
{
	memset(t->index, 0, (t->index_mask + 1) * sizeof(*t->index));
	for (size_t i = 0; i < t->n; i++)
		index_place(t, i);
}

/*
 * Backward-shift delete at @pos: later members of the probe run move up into
 * the hole unless their home slot lies cyclically in (hole, their position].
 */
static void index_erase(struct tlb *t, size_t pos)
{
	size_t hole = pos;

	for (size_t j = (pos + 1) & t->index_mask; t->index[j]; j = (j + 1) & t->index_mask) {
		size_t home = entry_hash(&t->slots[t->index[j] - 1].e) & t->index_mask;
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);

		if (stays)
			continue;
		t->index[hole] = t->index[j];
		hole = j;
	}
	t->index[hole] = 0;
}

/* Make room for one more entry: grow the array and keep the index at most half full. */
static int reserve_one(struct tlb *t)
{
	if (t->n >= UINT32_MAX - 1)
		return MSC_ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : TLB_MIN_INDEX / 2;
		struct tlb_slot *s = realloc(t->slots, cap * sizeof(*s));

		if (!s)
			return MSC_ENOMEM;
		t->slots = s;
		t->cap = cap;
	}
	if (!t->index || (t->n + 1) * 2 > t->index_mask + 1) {
		size_t len = t->index ? (t->index_mask + 1) * 2 : TLB_MIN_INDEX;
		u32 *idx = calloc(len, sizeof(*idx));

		if (!idx)
			return MSC_ENOMEM;
		free(t->index);
		t->index = idx;
		t->index_mask = len - 1;
		index_rebuild(t);
	}
	return 0;
}

/* Remove the entry at index position @pos. */
static void remove_at(struct tlb *t, size_t pos)
{
	size_t i = t->index[pos] - 1;
	size_t last = t->n - 1;

	if (t->slots[i].span > t->slots[i].e.size)
		t->nfrac--;
	index_erase(t, pos);
	if (i != last) {
		size_t p = entry_hash(&t->slots[last].e) & t->index_mask;

		while (t->index[p] != last + 1)
			p = (p + 1) & t->index_mask;
		t->slots[i] = t->slots[last];
		t->index[p] = (u32)(i + 1);
	}
	t->n--;
}

/*
 * A selection of entries for a flush. Non-global entries are selected by
 * (vpid, pcid) with wildcards; global ones by vpid only, since they belong to
 * every PCID (SDM 4.10.2.4). @has_va narrows to entries whose first-stage page
 * contains @va (INVLPG, INVPCID type 0).
 */
struct tlb_sel {
	bool any_vpid;
	u16 vpid;
	bool nonglobal; /* select non-global entries ... */
	bool any_pcid; /* ... of every PCID, else only of @pcid */
	u16 pcid;
	bool global; /* select global entries of the VPID(s) */
	bool has_va;
	u64 va;
};

static bool sel_match(const struct tlb_sel *s, const struct tlb_slot *slot)
{
	const struct tlb_entry *e = &slot->e;

	if (!s->any_vpid && e->vpid != s->vpid)
		return false;
	if (e->global) {
		if (!s->global)
			return false;
	} else {
		if (!s->nonglobal || (!s->any_pcid && e->pcid != s->pcid))
			return false;
	}
	if (s->has_va) {
		u64 m = ~(slot->span - 1);

		return (s->va & m) == (e->va & m);
	}
	return true;
}

/* Drop every selected entry: compact the array, then rebuild the index once. */
static void flush_sel(struct tlb *t, const struct tlb_sel *s)
{
	size_t w = 0;

	for (size_t r = 0; r < t->n; r++) {
		if (sel_match(s, &t->slots[r])) {
			if (t->slots[r].span > t->slots[r].e.size)
				t->nfrac--;
			continue;
		}
		if (w != r)
			t->slots[w] = t->slots[r];
		w++;
	}
	if (w == t->n)
		return;
	t->n = w;
	index_rebuild(t);
}

/* The entries INVLPG selects: @va's page, tagged @pcid or global, in @vpid. */
static struct tlb_sel invlpg_sel(u16 vpid, u16 pcid, u64 va)
{
	return (struct tlb_sel){
		.vpid = vpid,
		.nonglobal = true,
		.pcid = pcid,
		.global = true,
		.has_va = true,
		.va = va,
	};
}

/*
 * Drop the selected entries that contain s->va. Without fractured entries every
 * entry containing va is found by key: one probe per (page size, tag), at most
 * eight. With fractured ones present, scan.
 */
static void flush_addr(struct tlb *t, const struct tlb_sel *s)
{
	if (t->nfrac) {
		flush_sel(t, s);
		return;
	}
	for (size_t c = 0; c < MSC_ARRAY_SIZE(tlb_sizes); c++) {
		u64 size = tlb_sizes[c];
		u64 va = s->va & ~(size - 1);
		size_t pos;

		if (s->nonglobal) {
			pos = index_find(t, s->vpid, false, s->pcid, va, size);
			if (pos != SIZE_MAX)
				remove_at(t, pos);
		}
		if (s->global) {
			pos = index_find(t, s->vpid, true, 0, va, size);
			if (pos != SIZE_MAX)
				remove_at(t, pos);
		}
	}
}

int tlb_create(struct tlb **out)
{
	struct tlb *t;

	if (!out)
		return MSC_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return MSC_ENOMEM;
	*out = t;
	return 0;
}

void tlb_destroy(struct tlb *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->index);
	free(t);
}

int tlb_clone(struct tlb **out, const struct tlb *src, u64 *bytes)
{
	struct tlb *t;
	size_t ilen;

	if (!out || !src)
		return MSC_EINVAL;
	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return MSC_ENOMEM;
	*t = *src;
	t->slots = NULL;
	t->index = NULL;
	ilen = src->index ? src->index_mask + 1 : 0;
	if (src->cap) {
		t->slots = malloc(src->cap * sizeof(*t->slots));
		if (!t->slots)
			goto fail;
		memcpy(t->slots, src->slots, src->n * sizeof(*t->slots));
	}
	if (ilen) {
		t->index = malloc(ilen * sizeof(*t->index));
		if (!t->index)
			goto fail;
		memcpy(t->index, src->index, ilen * sizeof(*t->index));
	}
	if (bytes)
		*bytes = sizeof(*t) + t->cap * sizeof(*t->slots) + ilen * sizeof(*t->index);
	*out = t;
	return 0;
fail:
	tlb_destroy(t);
	return MSC_ENOMEM;
}

/*
 * Only successful walks are cached (SDM 4.10.2.3: there is a TLB entry for a
 * page number only if P=1 and no reserved bit is set in every entry used; the
 * walker sets A before the result is ok). The entry covers the leaf's page:
 * va and pa aligned down to its size. For a nested walk the cached (combined)
 * translation is as wide as the smaller of the two stages' pages (a combined
 * mapping, SDM 29.4.1), so that e->pa + offset is right for every address it
 * matches; acc stays the first-stage rights (second-stage rights are not
 * cached here).
 *
 * An entry of the same key is replaced: the CPU just walked that page for that
 * tag, and a real TLB holds one entry per page number and tag. Entries of other
 * sizes covering the same address are kept: after a page-size change the TLB
 * may hold a translation of each size and may use any of them (SDM 4.10.2.3).
 *
 * When memory for a new entry cannot be had, the translation is simply not
 * cached: a CPU may decline to cache anything (SDM 4.10.2.2), so the set stays
 * one the architecture allows (just not the maximal one).
 */
void tlb_insert(struct tlb *t, u16 vpid, u16 pcid, u64 va, const struct walk_result *r)
{
	u64 span = r->page_size;
	u64 size = span;
	size_t pos, i;
	struct tlb_slot *s;

	if (!r->ok || size_class(span) < 0)
		return;
	if (r->nested_page_size && r->nested_page_size < size)
		size = r->nested_page_size;
	if (size_class(size) < 0)
		return;
	va &= ~(size - 1);

	pos = index_find(t, vpid, r->global, pcid, va, size);
	if (pos != SIZE_MAX) {
		i = t->index[pos] - 1;
		if (t->slots[i].span > t->slots[i].e.size)
			t->nfrac--;
	} else {
		if (reserve_one(t))
			return;
		i = t->n++;
	}

	s = &t->slots[i];
	s->e = (struct tlb_entry){
		.vpid = vpid,
		.pcid = pcid,
		.global = r->global,
		.va = va,
		.pa = r->gpa & ~(size - 1),
		.size = size,
		.acc = r->acc,
		.pkey = r->pkey,
		.dirty = r->dirty,
		.nested_acc = r->nested_page_size ? r->nested_acc : (u8)ACC_ALL,
	};
	s->span = span;
	if (span > size)
		t->nfrac++;
	if (pos == SIZE_MAX)
		index_place(t, i); /* hashes the key just written */
}

size_t tlb_count(const struct tlb *t)
{
	return t->n;
}

/*
 * At most one entry per (size, tag) can match, so at most eight in all; they
 * are returned in entry_cmp() order so callers see them deterministically.
 */
size_t tlb_lookup(const struct tlb *t, u16 vpid, u16 pcid, u64 va, const struct tlb_entry **out,
		  size_t max)
{
	const struct tlb_entry *hit[2 * MSC_ARRAY_SIZE(tlb_sizes)];
	size_t nhit = 0;

	for (size_t c = 0; c < MSC_ARRAY_SIZE(tlb_sizes); c++) {
		u64 size = tlb_sizes[c];
		u64 base = va & ~(size - 1);
		size_t pos;

		pos = index_find(t, vpid, false, pcid, base, size);
		if (pos != SIZE_MAX)
			hit[nhit++] = &t->slots[t->index[pos] - 1].e;
		pos = index_find(t, vpid, true, 0, base, size);
		if (pos != SIZE_MAX)
			hit[nhit++] = &t->slots[t->index[pos] - 1].e;
	}
	if (nhit > 1)
		qsort(hit, nhit, sizeof(hit[0]), entry_ptr_cmp);
	for (size_t k = 0; k < nhit && k < max; k++)
		out[k] = hit[k];
	return nhit;
}

/* MOV to CR4 changing PGE (or PCIDE 1->0) with VPIDs off, VM entry/exit without VPID, INVEPT. */
void tlb_flush_all(struct tlb *t)
{
	t->n = 0;
	t->nfrac = 0;
	if (t->index)
		memset(t->index, 0, (t->index_mask + 1) * sizeof(*t->index));
}

/* INVVPID single-context (type 1; @globals) and single-context-retaining-globals (type 3). */
void tlb_flush_vpid(struct tlb *t, u16 vpid, bool globals)
{
	struct tlb_sel s = {
		.vpid = vpid,
		.nonglobal = true,
		.any_pcid = true,
		.global = globals,
	};

	flush_sel(t, &s);
}

/*
 * MOV to CR3 (SDM 4.10.4.1): with CR4.PCIDE=0 it drops the non-global entries
 * of PCID 0; with PCIDE=1 and bit 63 clear, those of the new PCID. Globals
 * survive either way. @globals also drops the VPID's global entries.
 */
void tlb_flush_pcid(struct tlb *t, u16 vpid, u16 pcid, bool globals)
{
	struct tlb_sel s = {
		.vpid = vpid,
		.nonglobal = true,
		.pcid = pcid,
		.global = globals,
	};

	flush_sel(t, &s);
}

/*
 * INVLPG (SDM Vol. 2 INVLPG, Vol. 3 4.10.4.1): every TLB entry for the page
 * containing @va of the current PCID, whatever its page size (including each
 * piece of a page cached as several entries), and global entries for it.
 * Entries of other PCIDs keep theirs (the SDM does not require dropping them).
 */
void tlb_invlpg(struct tlb *t, u16 vpid, u16 pcid, u64 va)
{
	struct tlb_sel s = invlpg_sel(vpid, pcid, va);

	flush_addr(t, &s);
}

/*
 * The entries tlb_invlpg() would drop stay, but as if cached with D=0: a write
 * through them walks again (SDM 4.8). Used when the translation the hardware
 * holds is narrower than the guest's (a read-only SPTE under shadow paging).
 */
void tlb_clear_dirty(struct tlb *t, u16 vpid, u16 pcid, u64 va)
{
	struct tlb_sel s = invlpg_sel(vpid, pcid, va);

	for (size_t i = 0; i < t->n; i++)
		if (sel_match(&s, &t->slots[i]))
			t->slots[i].e.dirty = false;
}

/*
 * INVPCID (SDM Vol. 2 INVPCID), always within the current VPID (SDM 29.4.3.1:
 * linear mappings are invalidated only for the current VPID):
 *  type 0: mappings for @va tagged @pcid, except global translations;
 *  type 1: all mappings tagged @pcid, except global translations;
 *  type 2: all mappings of every PCID, global translations included;
 *  type 3: all mappings of every PCID, except global translations.
 * An unknown type does nothing (the instruction #GPs; the caller checks).
 */
void tlb_invpcid(struct tlb *t, u16 vpid, enum tlb_invpcid_type type, u16 pcid, u64 va)
{
	struct tlb_sel s = {.vpid = vpid, .nonglobal = true, .pcid = pcid};

	switch (type) {
	case TLB_INVPCID_ADDR:
		s.has_va = true;
		s.va = va;
		flush_addr(t, &s);
		return;
	case TLB_INVPCID_SINGLE:
		break;
	case TLB_INVPCID_ALL_GLOBAL:
		s.any_pcid = true;
		s.global = true;
		break;
	case TLB_INVPCID_ALL:
		s.any_pcid = true;
		break;
	default:
		return;
	}
	flush_sel(t, &s);
}

/*
 * Sorted through a temporary array of pointers; if that cannot be allocated,
 * by repeated selection of the next larger entry (quadratic, still the same
 * order: a failure to allocate changes speed, never output). @fn must not
 * modify @t.
 */
void tlb_foreach(const struct tlb *t, void (*fn)(void *ctx, const struct tlb_entry *e), void *ctx)
{
	const struct tlb_entry **v;
	const struct tlb_entry *prev = NULL;

	if (!t->n)
		return;
	v = malloc(t->n * sizeof(*v));
	if (v) {
		for (size_t i = 0; i < t->n; i++)
			v[i] = &t->slots[i].e;
		qsort(v, t->n, sizeof(*v), entry_ptr_cmp);
		for (size_t i = 0; i < t->n; i++)
			fn(ctx, v[i]);
		free(v);
		return;
	}
	for (size_t k = 0; k < t->n; k++) {
		const struct tlb_entry *next = NULL;

		for (size_t i = 0; i < t->n; i++) {
			const struct tlb_entry *e = &t->slots[i].e;

			if ((!prev || entry_cmp(e, prev) > 0) && (!next || entry_cmp(e, next) < 0))
				next = e;
		}
		fn(ctx, next);
		prev = next;
	}
}

/* Append @o to @out[0, *n) unless an equal outcome is there or the array is full. */
static void add_outcome(struct tlb_outcome *out, size_t *n, const struct tlb_outcome *o)
{
	for (size_t i = 0; i < *n; i++)
		if (out[i].fault == o->fault && out[i].error_code == o->error_code &&
		    out[i].gpa == o->gpa)
			return;
	if (*n < TLB_MAX_OUTCOMES)
		out[(*n)++] = *o;
}

/* The outcome of the fresh walk: the fault's own code for each kind of fault. */
static void fresh_outcome(const struct walk_result *fresh, struct tlb_outcome *o)
{
	*o = (struct tlb_outcome){.fault = fresh->fault.kind};
	switch (fresh->fault.kind) {
	case WALK_FAULT_NONE:
		o->gpa = fresh->gpa;
		break;
	case WALK_FAULT_PF:
	case WALK_FAULT_NPF:
		o->error_code = fresh->fault.error_code; /* #PF error code / EXITINFO1 */
		break;
	case WALK_FAULT_EPT_VIOLATION:
		o->error_code = fresh->fault.exit_qual;
		break;
	case WALK_FAULT_GP:
	case WALK_FAULT_EPT_MISCONFIG:
		break;
	}
}

/*
 * Allowed outcomes (SDM 4.10.2.3: with a TLB entry for the page number the
 * processor may use it and not consult the paging structures; SDM 4.10.2.2: it
 * may also have dropped it, so the fresh walk is always allowed).
 *
 * Each cached entry's rights are checked again with today's CR0.WP, SMEP, SMAP,
 * RFLAGS.AC and PKRU: the TLB caches the rights of the entries (R/W, U/S, XD
 * and the key), not the verdict (SDM 4.10.2.2). A denied access is a #PF from
 * the entry: the "spurious" fault of SDM 4.10.4.3 after R/W, U/S or XD was
 * relaxed without a flush.
 *
 * A write through an entry whose D is clear does not complete through it: the
 * processor must set D in the paging-structure entry in memory (SDM 4.8), so it
 * walks, and that walk is the fresh outcome. A rights fault from such an entry
 * is still allowed: whether the page is writable is decided from the cached
 * rights before any D update, and a stale read-only entry is the very case SDM
 * 4.10.4.3 names (R/W changed 0 -> 1: writes "may or may not cause a page
 * fault"); its D is usually clear since it was never written.
 *
 * Cached entries are consulted only for legacy (first-stage) paging formats:
 * walk_permission() is the legacy rights check and a cached entry can only
 * give a #PF. With paging off, or a lone EPT/NPT walk, only the fresh outcome
 * is returned. A non-canonical address (#GP) is never translated, hence never
 * looked up (SDM 4.5.1, 4.10.2.3).
 */
size_t tlb_allowed_outcomes(const struct tlb *t, u16 vpid, u16 pcid, const struct walk_cfg *cfg,
			    const struct walk_req *req, const struct walk_result *fresh,
			    struct tlb_outcome *out)
{
	const struct tlb_entry *hit[2 * MSC_ARRAY_SIZE(tlb_sizes)];
	size_t n = 0, nhit;

	fresh_outcome(fresh, &out[n++]);
	if (fresh->fault.kind == WALK_FAULT_GP)
		return n;
	if (cfg->fmt == WALK_FMT_NONE || cfg->fmt == WALK_FMT_EPT || cfg->npt)
		return n;

	nhit = tlb_lookup(t, vpid, pcid, req->addr, hit, MSC_ARRAY_SIZE(hit));
	for (size_t k = 0; k < nhit; k++) {
		const struct tlb_entry *e = hit[k];
		u64 ec = walk_permission(cfg, req, e->acc, e->pkey, NULL);
		struct tlb_outcome o = {.from_tlb = true, .entry = e};

		if (!tlb_entry_nested_allows(e, req->acc))
			continue;

		if (ec) {
			o.fault = WALK_FAULT_PF;
			o.error_code = ec;
		} else if (req->acc == WALK_ACC_WRITE && !e->dirty) {
			continue; /* permitted, but D must be set in memory: a walk */
		} else {
			o.fault = WALK_FAULT_NONE;
			o.gpa = e->pa + (req->addr & (e->size - 1));
		}
		add_outcome(out, &n, &o);
	}
	return n;
}
