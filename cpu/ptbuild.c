/* SPDX-License-Identifier: MIT */
/*
 * Page-table builder over guest memory: one geometry table per format, so the
 * same map/unmap/edit code builds 32-bit, PAE, 4/5-level, EPT and NPT tables.
 * These are set-up (host) writes: they bypass read-only memslots and dirty logs.
 */
#include "cpu/ptbuild.h"

#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"

/*
 * Geometry of one level: index = (va >> shift) & ((1 << bits) - 1); the entry
 * lives at table + index * entry_size.
 */
struct geom {
	unsigned levels;
	unsigned esize; /* 4 or 8 bytes */
	unsigned bits; /* index bits per level below the top (10 or 9) */
	u64 next_mask; /* table-address bits of a non-leaf entry */
};

static struct geom geom_of(const struct pt_builder *b)
{
	struct geom g = {0, 8, 9, GENMASK_ULL(51, 12)};

	switch (b->fmt) {
	case WALK_FMT_32:
		g.levels = 2;
		g.esize = 4;
		g.bits = 10;
		g.next_mask = GENMASK_ULL(31, 12);
		break;
	case WALK_FMT_PAE:
		g.levels = 3;
		break;
	case WALK_FMT_4LVL:
		g.levels = 4;
		break;
	case WALK_FMT_5LVL:
		g.levels = 5;
		break;
	case WALK_FMT_EPT:
		g.levels = b->levels == 5 ? 5 : 4;
		break;
	case WALK_FMT_NONE:
		break;
	}
	return g;
}

static unsigned shift_of(const struct geom *g, unsigned level)
{
	return 12 + g->bits * (level - 1);
}

static u64 index_of(const struct geom *g, u64 va, unsigned level)
{
	/* PAE's top level has 4 entries indexed by bits 31:30 (SDM 4.4.1). */
	unsigned bits = g->bits;

	if (g->levels == 3 && level == 3)
		bits = 2;
	return (va >> shift_of(g, level)) & ((1ULL << bits) - 1);
}

/* The root table of a format: CR3 bits 31:12 (32-bit), 31:5 (PAE), (M-1):12. */
static u64 root_table(const struct pt_builder *b, const struct geom *g)
{
	if (g->levels == 3)
		return b->root & GENMASK_ULL(31, 5);
	if (g->esize == 4)
		return b->root & GENMASK_ULL(31, 12);
	return b->root & GENMASK_ULL(51, 12);
}

static int rd(const struct pt_builder *b, const struct geom *g, u64 pa, u64 *val)
{
	u32 v32;
	int r;

	if (g->esize == 8)
		return gmem_read64(b->m, b->as, pa, val);
	r = gmem_read32(b->m, b->as, pa, &v32);
	*val = v32;
	return r;
}

static int wr(struct pt_builder *b, const struct geom *g, unsigned level, u64 pa, u64 val)
{
	u32 v32 = (u32)val;

	if (b->write) {
		u64 old = 0;
		int r = rd(b, g, pa, &old);

		return r ? r : b->write(b->write_ctx, pa, level, old, val, g->esize);
	}
	if (g->esize == 8)
		return gmem_write_host(b->m, b->as, pa, &val, 8);
	return gmem_write_host(b->m, b->as, pa, &v32, 4);
}

static bool is_present(const struct pt_builder *b, u64 e)
{
	return b->fmt == WALK_FMT_EPT ? (e & 7) != 0 : (e & PT_P) != 0;
}

/* A present entry above level 1 is a leaf when PS (bit 7) is set, except in the
 * PAE PDPTE (no PS) and the top level of 4/5-level and EPT tables. */
static bool is_leaf(const struct geom *g, unsigned level, u64 e)
{
	if (level == 1)
		return true;
	if (g->levels == 3 && level == 3)
		return false;
	return (e & PT_PS) != 0;
}

unsigned pt_levels(const struct pt_builder *b)
{
	return geom_of(b).levels;
}

u64 pt_default_upper_flags(enum walk_fmt fmt)
{
	switch (fmt) {
	case WALK_FMT_EPT:
		return EPT_R | EPT_W | EPT_X;
	case WALK_FMT_NONE:
		return 0;
	case WALK_FMT_32:
	case WALK_FMT_PAE:
	case WALK_FMT_4LVL:
	case WALK_FMT_5LVL:
		break;
	}
	return PT_P | PT_W | PT_U;
}

int pt_bump_alloc(void *ctx, u64 *pa)
{
	struct pt_bump *bp = ctx;
	static const u8 zero[4096];
	int r;

	if (bp->next + PAGE_SIZE > bp->end)
		return MSC_ENOSPC;
	r = gmem_write_host(bp->m, bp->as, bp->next, zero, sizeof(zero));
	if (r)
		return r;
	*pa = bp->next;
	bp->next += PAGE_SIZE;
	return 0;
}

/* Level whose leaf maps @size, or 0 if the format has no such page. */
static unsigned leaf_level(const struct geom *g, u64 size)
{
	if (size == PAGE_SIZE)
		return 1;
	if (size == (4ULL << 20))
		return g->esize == 4 ? 2 : 0;
	if (size == (2ULL << 20))
		return g->esize == 8 ? 2 : 0;
	if (size == (1ULL << 30))
		return g->levels >= 4 ? 3 : 0;
	return 0;
}

/* The leaf entry for @pa: 32-bit 4 MiB pages put PA bits 39:32 in bits 20:13 (PSE-36). */
static u64 leaf_entry(const struct pt_builder *b, const struct geom *g, unsigned level, u64 pa,
		      u64 size, u64 flags)
{
	u64 e = flags;

	if (level > 1)
		e |= PT_PS; /* bit 7 is PS in legacy and EPT entries alike */
	if (g->esize == 4 && level == 2)
		return e | (pa & GENMASK_ULL(31, 22)) | (((pa >> 32) & 0xff) << 13);
	(void)b;
	return e | (pa & GENMASK_ULL(51, 12) & ~(size - 1));
}

int pt_map(struct pt_builder *b, u64 va, u64 pa, u64 size, u64 leaf_flags)
{
	struct geom g = geom_of(b);
	unsigned target = leaf_level(&g, size);
	u64 table = root_table(b, &g);
	unsigned level;
	int r;

	if (!g.levels || !target || (va & (size - 1)) || (pa & (size - 1)))
		return MSC_EINVAL;
	for (level = g.levels; level > target; level--) {
		u64 ea = table + index_of(&g, va, level) * g.esize, e;

		r = rd(b, &g, ea, &e);
		if (r)
			return r;
		if (!is_present(b, e) || is_leaf(&g, level, e)) {
			u64 flags = (g.levels == 3 && level == 3) ? PT_P : b->upper_flags;
			u64 npa;

			r = b->alloc(b->alloc_ctx, &npa);
			if (r)
				return r;
			e = npa | flags;
			r = wr(b, &g, level, ea, e);
			if (r)
				return r;
		}
		table = e & g.next_mask;
	}
	return wr(b, &g, target, table + index_of(&g, va, target) * g.esize,
		  leaf_entry(b, &g, target, pa, size, leaf_flags));
}

int pt_entry_addr(const struct pt_builder *b, u64 va, unsigned level, u64 *entry_pa)
{
	struct geom g = geom_of(b);
	u64 table = root_table(b, &g);
	unsigned l;
	int r;

	if (!g.levels || level < 1 || level > g.levels)
		return MSC_EINVAL;
	for (l = g.levels; l > level; l--) {
		u64 e;

		r = rd(b, &g, table + index_of(&g, va, l) * g.esize, &e);
		if (r)
			return r;
		if (!is_present(b, e) || is_leaf(&g, l, e))
			return MSC_ENOENT;
		table = e & g.next_mask;
	}
	*entry_pa = table + index_of(&g, va, level) * g.esize;
	return 0;
}

int pt_get_entry(const struct pt_builder *b, u64 va, unsigned level, u64 *val)
{
	struct geom g = geom_of(b);
	u64 ea;
	int r = pt_entry_addr(b, va, level, &ea);

	return r ? r : rd(b, &g, ea, val);
}

int pt_set_entry(struct pt_builder *b, u64 va, unsigned level, u64 val)
{
	struct geom g = geom_of(b);
	u64 ea;
	int r = pt_entry_addr(b, va, level, &ea);

	return r ? r : wr(b, &g, level, ea, val);
}

int pt_unmap(struct pt_builder *b, u64 va)
{
	struct geom g = geom_of(b);
	u64 table = root_table(b, &g);
	unsigned level;
	int r;

	if (!g.levels)
		return MSC_EINVAL;
	for (level = g.levels; level >= 1; level--) {
		u64 ea = table + index_of(&g, va, level) * g.esize, e;

		r = rd(b, &g, ea, &e);
		if (r)
			return r;
		if (!is_present(b, e))
			return MSC_ENOENT;
		if (is_leaf(&g, level, e))
			return wr(b, &g, level, ea, 0);
		table = e & g.next_mask;
	}
	return MSC_ENOENT;
}
