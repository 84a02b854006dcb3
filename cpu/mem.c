/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory (memslots in two address spaces, each backed by a lazily
 * committed anonymous mapping) and the simulated host-physical page allocator.
 */
#include "cpu/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/err.h"

/* 1 TiB: the default bound on the sum of non-alias slot sizes. */
#define GMEM_DEFAULT_MAX_BYTES (1ULL << 40)
#define GMEM_VALID_FLAGS (GMEM_SLOT_DIRTY_LOG | GMEM_SLOT_READONLY)

/* 1<<20 pages = 4 GiB of simulated host-physical memory by default. */
#define HMEM_DEFAULT_MAX_PAGES (1ULL << 20)
/* hpa must fit in 52 bits (the architectural MAXPHYADDR limit): 2^40 pages. */
#define HMEM_LIMIT_MAX_PAGES (1ULL << 40)

/*
 * One host mapping. The non-alias slot that creates it holds one reference and
 * each alias slot that shares it holds another; it is unmapped when refs drops
 * to 0. gmem_slot_delete() refuses to delete a slot that is still aliased, so in
 * practice the creating slot is always the last user; the count makes the
 * lifetime rule local to this struct rather than an argument about call order.
 */
struct gmem_backing {
	u8 *base; /* start of the mmap() */
	u64 map_len; /* bytes mapped */
	unsigned refs; /* slots (creator + aliases) using this mapping */
};

/*
 * A memslot. The slot array of an address space is kept sorted by base and the
 * structs are moved on insert/delete, so nothing outside this file may hold a
 * pointer to one; aliases name their target by (as, id).
 *
 * The first three fields are all that the gpa -> hva hot path reads.
 */
struct gslot {
	gpa_t base;
	u64 size; /* > 0, page aligned; base + size - 1 does not wrap */
	u8 *hva; /* host address of base: backing->base + offset into it */

	u32 flags; /* GMEM_SLOT_* */
	u16 id;
	bool is_alias;
	u8 target_as; /* when is_alias: the slot whose backing this one shares */
	u16 target_id;
	unsigned nr_aliases; /* alias slots naming this one as their target */
	struct gmem_backing *backing;

	/* Dirty log (GMEM_SLOT_DIRTY_LOG): 1 bit per 4 KiB page, LSB first. */
	u8 *dirty;
	u64 dirty_map_len; /* bytes mapped for dirty; 0 when not logging */
};

struct gmem_as {
	struct gslot slots[GMEM_MAX_SLOTS]; /* [0, nr) sorted by base */
	unsigned nr;
	u64 generation; /* KVM's memslots generation, one per address space */
};

struct gmem {
	struct gmem_as as[GMEM_NR_AS];
	gmem_memslots_updated_fn updated; /* kvm_arch_memslots_updated(), may be NULL */
	void *updated_ctx;
	u64 max_bytes; /* bound on total_bytes */
	u64 total_bytes; /* sum of sizes of non-alias slots, both address spaces */
};

/* --- mapping helpers ---------------------------------------------------- */

/*
 * Reserve @len bytes of zero-filled, lazily committed memory. MAP_NORESERVE
 * keeps a 64 GiB slot from being charged against overcommit; pages are
 * allocated by the kernel on first touch. Returns NULL on failure.
 */
static u8 *map_lazy(u64 len)
{
	void *p;

	if (len == 0 || len > SIZE_MAX)
		return NULL;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	return p;
}

static void unmap_lazy(u8 *p, u64 len)
{
	if (p)
		(void)munmap(p, (size_t)len);
}

static u64 host_page_size(void)
{
	long sz = sysconf(_SC_PAGESIZE);

	return sz > 0 ? (u64)sz : PAGE_SIZE;
}

static bool page_aligned(u64 v)
{
	return (v & (PAGE_SIZE - 1)) == 0;
}

/* --- slot lookup -------------------------------------------------------- */

static const struct gmem_as *as_get(const struct gmem *m, u8 as)
{
	return as < GMEM_NR_AS ? &m->as[as] : NULL;
}

/*
 * The slot whose range holds @gpa, or NULL. Binary search for the last slot
 * with base <= gpa (slots never overlap, so that is the only candidate), then
 * one range check; gpa - base < size also holds for a slot that ends at 2^64.
 * The loop is branchless (the compiler emits a conditional move), so a walk
 * that hops between slots pays no mispredictions: 6 steps for 64 slots.
 */
static const struct gslot *slot_by_gpa(const struct gmem_as *a, gpa_t gpa)
{
	const struct gslot *s = a->slots;
	unsigned n = a->nr;

	if (n == 0)
		return NULL;
	while (n > 1) {
		unsigned half = n / 2;

		s = s[half].base <= gpa ? s + half : s;
		n -= half;
	}
	/* s is the last slot with base <= gpa, or slots[0] when there is none. */
	return gpa >= s->base && gpa - s->base < s->size ? s : NULL;
}

/* Index of slot @id in @a, or -1. At most GMEM_MAX_SLOTS entries: linear. */
static int slot_index_by_id(const struct gmem_as *a, u16 id)
{
	for (unsigned i = 0; i < a->nr; i++) {
		if (a->slots[i].id == id)
			return (int)i;
	}
	return -1;
}

static struct gslot *slot_by_id(struct gmem *m, u8 as, u16 id)
{
	int i;

	if (as >= GMEM_NR_AS)
		return NULL;
	i = slot_index_by_id(&m->as[as], id);
	return i < 0 ? NULL : &m->as[as].slots[i];
}

static void slot_fill_info(const struct gslot *s, u8 as, u64 generation, struct gmem_slot_info *out)
{
	out->as = as;
	out->id = s->id;
	out->base = s->base;
	out->size = s->size;
	out->flags = s->flags;
	out->generation = generation;
}

/* --- dirty bitmap ------------------------------------------------------- */

static u64 dirty_bytes(const struct gslot *s)
{
	u64 npages = s->size >> PAGE_SHIFT;

	return (npages + 7) / 8;
}

/* Allocate a zeroed bitmap (kvm_alloc_dirty_bitmap()); MAP_NORESERVE again, so
 * a 64 GiB slot's 2 MiB bitmap commits only the words that get set. */
static int dirty_alloc(struct gslot *s)
{
	u64 len = dirty_bytes(s);

	s->dirty = map_lazy(len);
	if (!s->dirty)
		return MSC_ENOMEM;
	s->dirty_map_len = len;
	return 0;
}

static void dirty_free(struct gslot *s)
{
	unmap_lazy(s->dirty, s->dirty_map_len);
	s->dirty = NULL;
	s->dirty_map_len = 0;
}

/* Set the bits of pages [off, off + len) of @s, offsets relative to s->base. */
static void dirty_mark_range(const struct gslot *s, u64 off, u64 len)
{
	u64 first = off >> PAGE_SHIFT;
	u64 last = (off + len - 1) >> PAGE_SHIFT;

	for (u64 pfn = first; pfn <= last; pfn++)
		s->dirty[pfn >> 3] |= (u8)(1u << (pfn & 7));
}

/* --- gmem: lifetime ----------------------------------------------------- */

int gmem_create(struct gmem **out, u64 max_bytes)
{
	struct gmem *m;

	if (!out)
		return MSC_EINVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return MSC_ENOMEM;
	m->max_bytes = max_bytes ? max_bytes : GMEM_DEFAULT_MAX_BYTES;
	/* kvm_create_vm(): "Generations must be different for each address space". */
	for (u8 i = 0; i < GMEM_NR_AS; i++)
		m->as[i].generation = i;
	*out = m;
	return 0;
}

void gmem_set_memslots_updated(struct gmem *m, gmem_memslots_updated_fn fn, void *ctx)
{
	if (!m)
		return;
	m->updated = fn;
	m->updated_ctx = ctx;
}

/*
 * kvm_swap_active_memslots(): the generation goes through a value with
 * GMEM_GEN_UPDATE_IN_PROGRESS set while the sets swap (nothing runs in between
 * in the simulator), then drops it and advances by the number of address spaces
 * (AS 0 uses 0, 2, 4, ..., AS 1 uses 1, 3, 5, ...); kvm_arch_memslots_updated()
 * sees the new generation before it is stored.
 */
static void swap_active_memslots(struct gmem *m, u8 as)
{
	u64 gen = m->as[as].generation;

	m->as[as].generation = gen | GMEM_GEN_UPDATE_IN_PROGRESS;
	gen += GMEM_NR_AS;
	if (m->updated)
		m->updated(m->updated_ctx, as, gen);
	m->as[as].generation = gen;
}

/* Drop one reference on the slot's backing and free its bitmap. */
static void slot_release(struct gslot *s)
{
	struct gmem_backing *b = s->backing;

	dirty_free(s);
	if (b && --b->refs == 0) {
		unmap_lazy(b->base, b->map_len);
		free(b);
	}
	s->backing = NULL;
	s->hva = NULL;
}

void gmem_destroy(struct gmem *m)
{
	if (!m)
		return;
	for (unsigned as = 0; as < GMEM_NR_AS; as++) {
		for (unsigned i = 0; i < m->as[as].nr; i++)
			slot_release(&m->as[as].slots[i]);
	}
	free(m);
}

/* --- gmem: slot set ----------------------------------------------------- */

/*
 * Checks that need only the descriptor (kvm_set_memory_region()'s argument
 * checks): address space, flags, alignment, size, wrap-around.
 */
static int desc_check(const struct gmem_slot_desc *d)
{
	if (d->as >= GMEM_NR_AS)
		return MSC_EINVAL;
	if (d->flags & ~GMEM_VALID_FLAGS)
		return MSC_EINVAL;
	if (d->size == 0 || !page_aligned(d->base) || !page_aligned(d->size))
		return MSC_EINVAL;
	/* last byte: base + size - 1 must not wrap past 2^64 - 1 */
	if (d->base + (d->size - 1) < d->base)
		return MSC_EINVAL;
	return 0;
}

/* Does [base, base + size) intersect a slot of @a? Ranges are inclusive-last. */
static bool range_overlaps(const struct gmem_as *a, gpa_t base, u64 size)
{
	gpa_t last = base + (size - 1);

	for (unsigned i = 0; i < a->nr; i++) {
		const struct gslot *s = &a->slots[i];
		gpa_t s_last = s->base + (s->size - 1);

		if (base <= s_last && s->base <= last)
			return true;
	}
	return false;
}

/*
 * Resolve an alias descriptor to its target. The aliased range
 * [alias_offset, alias_offset + size) must be page aligned and lie inside the
 * target. The target may itself be an alias: the new slot then shares the
 * same backing at the composed offset.
 */
static int alias_resolve(struct gmem *m, const struct gmem_slot_desc *d, struct gslot **target)
{
	struct gslot *t = slot_by_id(m, d->alias_as, d->alias_id);

	if (!t)
		return MSC_EINVAL;
	if (!page_aligned(d->alias_offset))
		return MSC_EINVAL;
	if (d->alias_offset >= t->size || d->size > t->size - d->alias_offset)
		return MSC_EINVAL;
	*target = t;
	return 0;
}

int gmem_slot_add(struct gmem *m, const struct gmem_slot_desc *d)
{
	struct gmem_as *a;
	struct gslot *target = NULL;
	struct gslot s = {0};
	unsigned pos;
	int r;

	if (!m || !d)
		return MSC_EINVAL;
	r = desc_check(d);
	if (r)
		return r;
	a = &m->as[d->as];
	if (slot_index_by_id(a, d->id) >= 0)
		return MSC_EEXIST;
	if (d->alias) {
		r = alias_resolve(m, d, &target);
		if (r)
			return r;
	}
	if (range_overlaps(a, d->base, d->size))
		return MSC_EOVERLAP;
	if (a->nr >= GMEM_MAX_SLOTS)
		return MSC_ENOSPC;
	/* Aliases add no memory, so only non-alias slots count toward the bound. */
	if (!d->alias && d->size > m->max_bytes - m->total_bytes)
		return MSC_E2BIG;

	s.base = d->base;
	s.size = d->size;
	s.flags = d->flags;
	s.id = d->id;
	if (d->alias) {
		s.is_alias = true;
		s.target_as = d->alias_as;
		s.target_id = d->alias_id;
		s.backing = target->backing;
		s.hva = target->hva + d->alias_offset;
	} else {
		r = MSC_ENOMEM;
		s.backing = calloc(1, sizeof(*s.backing));
		if (!s.backing)
			goto out;
		s.backing->base = map_lazy(d->size);
		if (!s.backing->base)
			goto out_free_backing;
		s.backing->map_len = d->size;
		/*
		 * Keep THP off: a guest that touches one page per 2 MiB (page
		 * tables scattered over a large slot) would otherwise commit up
		 * to 512x what it uses. Advisory; failure (no THP) is harmless.
		 */
		(void)madvise(s.backing->base, (size_t)d->size, MADV_NOHUGEPAGE);
		s.hva = s.backing->base;
	}
	if (d->flags & GMEM_SLOT_DIRTY_LOG) {
		r = dirty_alloc(&s);
		if (r)
			goto out_unmap;
	}

	/* Commit: nothing below can fail. */
	s.backing->refs++;
	if (target)
		target->nr_aliases++;
	else
		m->total_bytes += d->size;
	for (pos = 0; pos < a->nr && a->slots[pos].base < d->base; pos++)
		;
	memmove(&a->slots[pos + 1], &a->slots[pos], (a->nr - pos) * sizeof(a->slots[0]));
	a->slots[pos] = s;
	a->nr++;
	swap_active_memslots(m, d->as); /* kvm_create_memslot() */
	return 0;

out_unmap:
	if (d->alias)
		goto out; /* the backing is the target's */
	unmap_lazy(s.backing->base, s.backing->map_len);
out_free_backing:
	free(s.backing);
out:
	return r;
}

int gmem_slot_delete(struct gmem *m, u8 as, u16 id)
{
	struct gmem_as *a;
	struct gslot *s;
	int i;

	if (!m || as >= GMEM_NR_AS)
		return MSC_ENOENT;
	a = &m->as[as];
	i = slot_index_by_id(a, id);
	if (i < 0)
		return MSC_ENOENT;
	s = &a->slots[i];
	if (s->nr_aliases)
		return MSC_EINVAL;

	if (s->is_alias) {
		/* The target cannot be gone: it refuses deletion while aliased. */
		struct gslot *t = slot_by_id(m, s->target_as, s->target_id);

		if (t)
			t->nr_aliases--;
	} else {
		m->total_bytes -= s->size;
	}
	slot_release(s);
	memmove(&a->slots[i], &a->slots[i + 1], (a->nr - (unsigned)i - 1) * sizeof(a->slots[0]));
	a->nr--;
	/* kvm_invalidate_memslot() swaps in the INVALID slot, kvm_delete_memslot()
	 * swaps again without it: two generations. */
	swap_active_memslots(m, as);
	swap_active_memslots(m, as);
	return 0;
}

/*
 * Like KVM_SET_USER_MEMORY_REGION with only the flags changed
 * (KVM_MR_FLAGS_ONLY): turning dirty logging on allocates a fresh, zeroed
 * bitmap, turning it off frees it. Setting the flags a slot already has is a
 * no-op that leaves the generation alone, as kvm_set_memory_region() returns
 * early when nothing changes.
 */
int gmem_slot_set_flags(struct gmem *m, u8 as, u16 id, u32 flags)
{
	struct gslot *s;
	u32 changed;
	int r;

	if (!m || as >= GMEM_NR_AS || (flags & ~GMEM_VALID_FLAGS))
		return MSC_EINVAL;
	s = slot_by_id(m, as, id);
	if (!s)
		return MSC_ENOENT;
	changed = s->flags ^ flags;
	if (!changed)
		return 0;
	if (changed & GMEM_SLOT_DIRTY_LOG) {
		if (flags & GMEM_SLOT_DIRTY_LOG) {
			r = dirty_alloc(s);
			if (r)
				return r;
		} else {
			dirty_free(s);
		}
	}
	s->flags = flags;
	swap_active_memslots(m, as); /* kvm_update_flags_memslot() */
	return 0;
}

bool gmem_slot_find(const struct gmem *m, u8 as, gpa_t gpa, struct gmem_slot_info *out)
{
	const struct gmem_as *a = m ? as_get(m, as) : NULL;
	const struct gslot *s;

	if (!a)
		return false;
	s = slot_by_gpa(a, gpa);
	if (!s)
		return false;
	if (out)
		slot_fill_info(s, as, a->generation, out);
	return true;
}

unsigned gmem_slot_count(const struct gmem *m, u8 as)
{
	const struct gmem_as *a = m ? as_get(m, as) : NULL;

	return a ? a->nr : 0;
}

/* Out of range (bad @as or @i >= count) gives a zeroed @out. */
void gmem_slot_get(const struct gmem *m, u8 as, unsigned i, struct gmem_slot_info *out)
{
	const struct gmem_as *a = m ? as_get(m, as) : NULL;

	if (!out)
		return;
	if (!a || i >= a->nr) {
		memset(out, 0, sizeof(*out));
		return;
	}
	slot_fill_info(&a->slots[i], as, a->generation, out);
}

u64 gmem_generation(const struct gmem *m, u8 as)
{
	const struct gmem_as *a = m ? as_get(m, as) : NULL;

	return a ? a->generation : 0;
}

/* --- gmem: access ------------------------------------------------------- */

/*
 * The walker's hot path: one binary search over at most 64 bases, one range
 * check, one add. A zero @len asks only whether @gpa is inside a slot.
 */
void *gmem_hva(const struct gmem *m, u8 as, gpa_t gpa, u64 len)
{
	return gmem_hva_flags(m, as, gpa, len, NULL);
}

void *gmem_hva_flags(const struct gmem *m, u8 as, gpa_t gpa, u64 len, u32 *flags)
{
	const struct gslot *s;
	u64 off;

	if (as >= GMEM_NR_AS)
		return NULL;
	s = slot_by_gpa(&m->as[as], gpa);
	if (!s)
		return NULL;
	off = gpa - s->base;
	if (len > s->size - off)
		return NULL;
	if (flags)
		*flags = s->flags;
	return s->hva + off;
}

/*
 * Accesses that may span slots are cut into spans, one per slot. span_next()
 * gives the slot holding @gpa and the length of the span starting there (at
 * most @rem bytes), or NULL when @gpa is not backed.
 */
static const struct gslot *span_next(const struct gmem_as *a, gpa_t gpa, u64 rem, u64 *len)
{
	const struct gslot *s = slot_by_gpa(a, gpa);
	u64 room;

	if (!s)
		return NULL;
	room = s->size - (gpa - s->base);
	*len = rem < room ? rem : room;
	return s;
}

/* [gpa, gpa + len) with len > 0 must not wrap past 2^64 - 1. */
static bool range_wraps(gpa_t gpa, u64 len)
{
	return gpa + (len - 1) < gpa;
}

/*
 * First pass of every copy: is each byte of [gpa, gpa + len) backed, and (for a
 * guest write) is any of it read-only? A hole wins over read-only, as a hole
 * makes the access meaningless regardless of permissions. Nothing is copied
 * unless this returns 0, which gives all-or-nothing semantics.
 */
static int range_check(const struct gmem_as *a, gpa_t gpa, u64 len, bool guest_write)
{
	bool ro = false;

	if (range_wraps(gpa, len))
		return MSC_EFAULT;
	while (len) {
		u64 n;
		const struct gslot *s = span_next(a, gpa, len, &n);

		if (!s)
			return MSC_EFAULT;
		if (s->flags & GMEM_SLOT_READONLY)
			ro = true;
		len -= n;
		gpa += n; /* cannot wrap: checked above, and len > 0 only if more follows */
	}
	return guest_write && ro ? MSC_EOPNOTSUPP : 0;
}

int gmem_read(const struct gmem *m, u8 as, gpa_t gpa, void *buf, u64 len)
{
	const struct gmem_as *a;
	u8 *dst = buf;
	int r;

	if (!m || as >= GMEM_NR_AS || (len && !buf))
		return MSC_EINVAL;
	if (len == 0)
		return 0;
	a = &m->as[as];
	r = range_check(a, gpa, len, false);
	if (r)
		return r;
	while (len) {
		u64 n;
		const struct gslot *s = span_next(a, gpa, len, &n);

		memcpy(dst, s->hva + (gpa - s->base), (size_t)n);
		dst += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

static int write_common(struct gmem *m, u8 as, gpa_t gpa, const void *buf, u64 len, bool guest)
{
	const struct gmem_as *a;
	const u8 *src = buf;
	int r;

	if (!m || as >= GMEM_NR_AS || (len && !buf))
		return MSC_EINVAL;
	if (len == 0)
		return 0;
	a = &m->as[as];
	r = range_check(a, gpa, len, guest);
	if (r)
		return r;
	while (len) {
		u64 n;
		const struct gslot *s = span_next(a, gpa, len, &n);
		u64 off = gpa - s->base;

		memcpy(s->hva + off, src, (size_t)n);
		/*
		 * Only guest writes are logged, as KVM's mark_page_dirty_in_slot()
		 * is called for writes KVM makes on the guest's behalf; a host
		 * write models userspace storing through its own mapping, which
		 * the dirty log never sees.
		 */
		if (guest && s->dirty)
			dirty_mark_range(s, off, n);
		src += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int gmem_write(struct gmem *m, u8 as, gpa_t gpa, const void *buf, u64 len)
{
	return write_common(m, as, gpa, buf, len, true);
}

int gmem_write_host(struct gmem *m, u8 as, gpa_t gpa, const void *buf, u64 len)
{
	return write_common(m, as, gpa, buf, len, false);
}

/* Guest memory is little-endian (x86): values are assembled byte by byte
 * (msc_le_get/put) so the result does not depend on the host's byte order. */
int gmem_read64(const struct gmem *m, u8 as, gpa_t gpa, u64 *val)
{
	u8 b[8];
	int r = gmem_read(m, as, gpa, b, sizeof(b));

	if (!r)
		*val = msc_le_get(b, sizeof(b));
	return r;
}

int gmem_write64(struct gmem *m, u8 as, gpa_t gpa, u64 val)
{
	u8 b[8];

	msc_le_put(b, val, sizeof(b));
	return gmem_write(m, as, gpa, b, sizeof(b));
}

int gmem_read32(const struct gmem *m, u8 as, gpa_t gpa, u32 *val)
{
	u8 b[4];
	int r = gmem_read(m, as, gpa, b, sizeof(b));

	if (!r)
		*val = (u32)msc_le_get(b, sizeof(b));
	return r;
}

int gmem_write32(struct gmem *m, u8 as, gpa_t gpa, u32 val)
{
	u8 b[4];

	msc_le_put(b, val, sizeof(b));
	return gmem_write(m, as, gpa, b, sizeof(b));
}

/* --- gmem: dirty log ---------------------------------------------------- */

/* mark_page_dirty(): a no-op outside a slot or in a slot that is not logging. */
void gmem_mark_dirty(struct gmem *m, u8 as, gpa_t gpa)
{
	const struct gslot *s;

	if (!m || as >= GMEM_NR_AS)
		return;
	s = slot_by_gpa(&m->as[as], gpa);
	if (s && s->dirty)
		dirty_mark_range(s, gpa - s->base, 1);
}

bool gmem_test_dirty(const struct gmem *m, u8 as, gpa_t gpa)
{
	const struct gslot *s;
	u64 pfn;

	if (!m || as >= GMEM_NR_AS)
		return false;
	s = slot_by_gpa(&m->as[as], gpa);
	if (!s || !s->dirty)
		return false;
	pfn = (gpa - s->base) >> PAGE_SHIFT;
	return (s->dirty[pfn >> 3] >> (pfn & 7)) & 1;
}

/*
 * KVM_GET_DIRTY_LOG without manual protect (kvm_get_dirty_log_protect()):
 * copy the bitmap out and clear it. Exactly ceil(pages / 8) bytes of @bitmap
 * are written; bytes after that are left alone. Clearing drops the bitmap's
 * pages (MADV_DONTNEED refills a private anonymous mapping with zeros), so a
 * cleared 2 MiB bitmap costs no memory; memset is the fallback.
 */
int gmem_get_dirty_log(struct gmem *m, u8 as, u16 id, u8 *bitmap, u64 nbytes)
{
	struct gslot *s;
	u64 need;

	if (!m || as >= GMEM_NR_AS)
		return MSC_EINVAL;
	s = slot_by_id(m, as, id);
	if (!s)
		return MSC_ENOENT;
	if (!s->dirty)
		return MSC_EINVAL;
	need = dirty_bytes(s);
	if (!bitmap || nbytes < need)
		return MSC_EINVAL;
	memcpy(bitmap, s->dirty, (size_t)need);
	if (madvise(s->dirty, (size_t)s->dirty_map_len, MADV_DONTNEED) != 0)
		memset(s->dirty, 0, (size_t)need);
	return 0;
}

/* --- gmem: accounting --------------------------------------------------- */

/*
 * Sum mincore() over every backing. Each backing is owned by exactly one
 * non-alias slot, so visiting those slots counts each mapping once. The
 * residency vector is filled in chunks to keep it on the stack.
 */
u64 gmem_resident_bytes(const struct gmem *m)
{
	unsigned char vec[4096];
	u64 hps = host_page_size();
	u64 total = 0;

	if (!m)
		return 0;
	for (unsigned as = 0; as < GMEM_NR_AS; as++) {
		for (unsigned i = 0; i < m->as[as].nr; i++) {
			const struct gslot *s = &m->as[as].slots[i];
			u64 npages, done = 0;

			if (s->is_alias)
				continue;
			npages = (s->backing->map_len + hps - 1) / hps;
			while (done < npages) {
				u64 n = npages - done;

				if (n > sizeof(vec))
					n = sizeof(vec);
				if (mincore(s->backing->base + done * hps, (size_t)(n * hps),
					    vec) != 0)
					break;
				for (u64 k = 0; k < n; k++)
					total += (vec[k] & 1) ? hps : 0;
				done += n;
			}
		}
	}
	return total;
}

/* --- gmem: cloning ------------------------------------------------------ */

static bool page_is_zero(const u8 *p, u64 len)
{
	const u64 *w = (const u64 *)(const void *)p;

	for (u64 i = 0; i < len / sizeof(u64); i++) {
		if (w[i])
			return false;
	}
	return true;
}

/*
 * Copy the resident, non-zero host pages of the mapping @src (@len bytes) into
 * the fresh zero-filled mapping @dst. A page that was never touched is not
 * resident and reads as zero, so skipping it (and zero pages, such as the shared
 * zero page a read maps) loses nothing and keeps the copy as sparse as the
 * original. Returns the bytes copied.
 */
static u64 copy_resident(u8 *dst, const u8 *src, u64 len)
{
	unsigned char vec[4096];
	u64 hps = host_page_size();
	u64 npages = (len + hps - 1) / hps, done = 0, copied = 0;

	while (done < npages) {
		u64 n = npages - done;

		if (n > sizeof(vec))
			n = sizeof(vec);
		if (mincore((void *)(src + done * hps), (size_t)(n * hps), vec) != 0)
			memset(vec, 1, (size_t)n); /* cannot tell: look at every page */
		for (u64 k = 0; k < n; k++) {
			u64 off = (done + k) * hps, sz = off + hps > len ? len - off : hps;

			if (!(vec[k] & 1) || page_is_zero(src + off, sz))
				continue;
			memcpy(dst + off, src + off, (size_t)sz);
			copied += sz;
		}
		done += n;
	}
	return copied;
}

/* A new mapping holding a copy of @o's resident pages, with @o's reference count. */
static struct gmem_backing *backing_copy(const struct gmem_backing *o, u64 *copied)
{
	struct gmem_backing *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->map_len = o->map_len;
	b->refs = o->refs;
	b->base = map_lazy(b->map_len);
	if (!b->base) {
		free(b);
		return NULL;
	}
	*copied += copy_resident(b->base, o->base, b->map_len);
	return b;
}

/* The copy in @m of the backing @ob of @src: the backing of the copy of the
 * non-alias slot that owns @ob, or NULL. */
static struct gmem_backing *backing_of_copy(const struct gmem *src, const struct gmem *m,
					    const struct gmem_backing *ob)
{
	for (unsigned as = 0; as < GMEM_NR_AS; as++) {
		for (unsigned k = 0; k < src->as[as].nr; k++) {
			const struct gslot *t = &src->as[as].slots[k];

			if (!t->is_alias && t->backing == ob)
				return m->as[as].slots[k].backing;
		}
	}
	return NULL;
}

/* Slot @o's copy @s: its backing (made for a non-alias slot, shared for an
 * alias), its host address and its dirty log. */
static int slot_copy(const struct gmem *src, const struct gmem *m, const struct gslot *o,
		     struct gslot *s, u64 *copied)
{
	struct gmem_backing *b;

	b = o->is_alias ? backing_of_copy(src, m, o->backing) : backing_copy(o->backing, copied);
	if (!b)
		return o->is_alias ? MSC_EINVAL : MSC_ENOMEM;
	s->backing = b;
	s->hva = b->base + (o->hva - o->backing->base);
	if (o->dirty) {
		if (dirty_alloc(s))
			return MSC_ENOMEM;
		*copied += copy_resident(s->dirty, o->dirty, s->dirty_map_len);
	}
	return 0;
}

int gmem_clone(struct gmem **out, const struct gmem *src, void *updated_ctx, u64 *bytes)
{
	struct gmem *m;
	u64 copied = 0;
	int r = 0;

	if (!out || !src)
		return MSC_EINVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return MSC_ENOMEM;
	*m = *src;
	m->updated_ctx = updated_ctx;
	for (unsigned as = 0; as < GMEM_NR_AS; as++) {
		for (unsigned i = 0; i < m->as[as].nr; i++) {
			struct gslot *s = &m->as[as].slots[i];

			s->backing = NULL;
			s->hva = NULL;
			s->dirty = NULL;
			s->dirty_map_len = 0;
		}
	}
	/* Backings first (each owned by one non-alias slot), then the aliases, which
	 * share the copy of the backing their original shares. */
	for (unsigned pass = 0; pass < 2 && !r; pass++) {
		for (unsigned as = 0; as < GMEM_NR_AS && !r; as++) {
			for (unsigned i = 0; i < m->as[as].nr && !r; i++) {
				const struct gslot *o = &src->as[as].slots[i];

				if (o->is_alias == (pass == 1))
					r = slot_copy(src, m, o, &m->as[as].slots[i], &copied);
			}
		}
	}
	if (r) {
		/* Each backing is unmapped once: drop the shared references first. */
		for (unsigned as = 0; as < GMEM_NR_AS; as++) {
			for (unsigned i = 0; i < m->as[as].nr; i++) {
				struct gslot *s = &m->as[as].slots[i];

				if (s->is_alias)
					s->backing = NULL;
				else if (s->backing)
					s->backing->refs = 1;
			}
		}
		gmem_destroy(m);
		return r;
	}
	if (bytes)
		*bytes = copied + sizeof(*m);
	*out = m;
	return 0;
}

/* --- hmem --------------------------------------------------------------- */

/*
 * One reservation of max_pages 4 KiB pages; page i lives at base + i * 4096 and
 * has hpa i << 12. The bitmap has one bit per page (1 = in use). Bit 0 and the
 * bits past max_pages in the last word are set at creation, so the allocator
 * never returns hpa 0 or a page outside the reservation and needs no special
 * cases. first_word is a lower bound on the first word with a clear bit: the
 * search for the lowest free page starts there instead of at 0.
 */
struct hmem {
	u8 *base;
	u64 max_pages;
	u64 *bits;
	u64 nwords;
	u64 first_word;
	u64 used; /* pages handed out and not freed (page 0 not counted) */
};

int hmem_create(struct hmem **out, u64 max_pages)
{
	struct hmem *h;

	if (!out)
		return MSC_EINVAL;
	*out = NULL;
	if (max_pages == 0)
		max_pages = HMEM_DEFAULT_MAX_PAGES;
	if (max_pages > HMEM_LIMIT_MAX_PAGES)
		return MSC_EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return MSC_ENOMEM;
	h->max_pages = max_pages;
	h->nwords = (max_pages + 63) / 64;
	h->bits = calloc(h->nwords, sizeof(*h->bits));
	h->base = map_lazy(max_pages << PAGE_SHIFT);
	if (!h->bits || !h->base) {
		hmem_destroy(h);
		return MSC_ENOMEM;
	}
	h->bits[0] |= 1; /* hpa 0 is never handed out */
	for (u64 i = max_pages; i < h->nwords * 64; i++)
		h->bits[i >> 6] |= 1ULL << (i & 63);
	*out = h;
	return 0;
}

void hmem_destroy(struct hmem *h)
{
	if (!h)
		return;
	unmap_lazy(h->base, h->max_pages << PAGE_SHIFT);
	free(h->bits);
	free(h);
}

/* Lowest clear bit at or after first_word. Pages come out of the reservation
 * already zeroed: fresh ones by mmap, reused ones by hmem_free_page(). */
int hmem_alloc_page(struct hmem *h, hpa_t *out)
{
	if (!h || !out)
		return MSC_EINVAL;
	for (u64 w = h->first_word; w < h->nwords; w++) {
		u64 idx;

		if (h->bits[w] == ~0ULL)
			continue;
		idx = w * 64 + (u64)__builtin_ctzll(~h->bits[w]);
		h->bits[w] |= 1ULL << (idx & 63);
		h->first_word = w;
		h->used++;
		*out = idx << PAGE_SHIFT;
		return 0;
	}
	h->first_word = h->nwords;
	return MSC_ENOSPC;
}

/* True when @idx is a page index inside the reservation that is in use. */
static bool hmem_page_in_use(const struct hmem *h, u64 idx)
{
	return idx != 0 && idx < h->max_pages && ((h->bits[idx >> 6] >> (idx & 63)) & 1);
}

/*
 * Zero the page and give it back. Only the exact base hpa of an allocated page
 * frees it; anything else (0, unaligned, out of range, already free) is
 * ignored, so a double free cannot corrupt the count. memset rather than
 * MADV_DONTNEED: shadow pages churn, and 4 KiB of stores is cheaper than a
 * syscall plus a later page fault; peak residency stays the peak of use.
 */
void hmem_free_page(struct hmem *h, hpa_t hpa)
{
	u64 idx;

	if (!h || !page_aligned(hpa))
		return;
	idx = hpa >> PAGE_SHIFT;
	if (!hmem_page_in_use(h, idx))
		return;
	memset(h->base + hpa, 0, PAGE_SIZE);
	h->bits[idx >> 6] &= ~(1ULL << (idx & 63));
	if ((idx >> 6) < h->first_word)
		h->first_word = idx >> 6;
	h->used--;
}

int hmem_clone(struct hmem **out, const struct hmem *src, u64 *bytes)
{
	struct hmem *h;

	if (!out || !src)
		return MSC_EINVAL;
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return MSC_ENOMEM;
	*h = *src;
	h->bits = malloc(h->nwords * sizeof(*h->bits));
	h->base = map_lazy(h->max_pages << PAGE_SHIFT);
	if (!h->bits || !h->base) {
		free(h->bits);
		unmap_lazy(h->base, h->max_pages << PAGE_SHIFT);
		free(h);
		return MSC_ENOMEM;
	}
	memcpy(h->bits, src->bits, h->nwords * sizeof(*h->bits));
	/* Free pages are zero in both (hmem_free_page() clears them): copy the rest. */
	for (u64 idx = 1; idx < h->max_pages; idx++) {
		if (!(idx & 63) && !h->bits[idx >> 6]) {
			idx += 63;
			continue;
		}
		if (hmem_page_in_use(h, idx))
			memcpy(h->base + (idx << PAGE_SHIFT), src->base + (idx << PAGE_SHIFT),
			       PAGE_SIZE);
	}
	if (bytes)
		*bytes = sizeof(*h) + h->nwords * sizeof(*h->bits) + (h->used << PAGE_SHIFT);
	*out = h;
	return 0;
}

void *hmem_ptr(const struct hmem *h, hpa_t hpa)
{
	if (!h || !hmem_page_in_use(h, hpa >> PAGE_SHIFT))
		return NULL;
	return h->base + hpa;
}

u64 hmem_used_pages(const struct hmem *h)
{
	return h ? h->used : 0;
}
