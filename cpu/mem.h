/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory as KVM memslots in two address spaces (0 normal, 1 SMM),
 * and the simulated host-physical page space that holds shadow/TDP tables.
 *
 * Each memslot is backed by one lazily committed host mapping (mmap with
 * MAP_NORESERVE): a 64 GiB guest costs only the pages it touches, and
 * gpa -> host pointer is a slot lookup plus an add, so a walk step is one load.
 * A slot may alias another slot's backing (QEMU's SMRAM overlay makes AS 1 see
 * the same host pages as AS 0).
 */
#ifndef MSC_CPU_MEM_H
#define MSC_CPU_MEM_H

#include "cpu/types.h"

#define GMEM_NR_AS 2 /* KVM_MAX_NR_ADDRESS_SPACES on x86 */
#define GMEM_MAX_SLOTS 64 /* per address space */

/* Memslot flags (KVM_MEM_LOG_DIRTY_PAGES = 1, KVM_MEM_READONLY = 2 in KVM's uapi). */
#define GMEM_SLOT_DIRTY_LOG 0x1u
#define GMEM_SLOT_READONLY 0x2u

struct gmem;

struct gmem_slot_desc {
	u8 as; /* address space: 0 normal, 1 SMM */
	u16 id; /* slot id, unique within the address space */
	gpa_t base; /* page aligned */
	u64 size; /* page aligned, > 0 */
	u32 flags; /* GMEM_SLOT_* */
	/* Aliasing: when alias is true, share the backing of slot (alias_as, alias_id)
	 * starting alias_offset bytes into it; the aliased range must lie inside it. */
	bool alias;
	u8 alias_as;
	u16 alias_id;
	u64 alias_offset;
};

struct gmem_slot_info {
	u8 as;
	u16 id;
	gpa_t base;
	u64 size;
	u32 flags;
	u64 generation; /* bumped on each change to this address space's slots */
};

/*
 * Create an empty guest memory. @max_bytes bounds the total size of non-aliased
 * slots (untrusted scenarios); 0 means the default of 1 TiB.
 */
int gmem_create(struct gmem **out, u64 max_bytes) MSC_MUST_CHECK;
void gmem_destroy(struct gmem *m);

/*
 * Add a memslot. Errors: MSC_EINVAL (bad as, alignment, zero size, wrapping
 * range, bad flags, bad alias), MSC_EEXIST (id in use), MSC_EOVERLAP (overlaps
 * another slot of the same AS), MSC_ENOSPC (too many slots), MSC_E2BIG (over
 * the size bound), MSC_ENOMEM (mmap failed).
 */
int gmem_slot_add(struct gmem *m, const struct gmem_slot_desc *d) MSC_MUST_CHECK;

/* Delete a slot; its backing is unmapped once no alias refers to it.
 * MSC_ENOENT if missing, MSC_EINVAL if other slots still alias it. */
int gmem_slot_delete(struct gmem *m, u8 as, u16 id) MSC_MUST_CHECK;

/* Change a slot's flags (dirty logging on/off, read-only on/off). */
int gmem_slot_set_flags(struct gmem *m, u8 as, u16 id, u32 flags) MSC_MUST_CHECK;

/* Look up the slot holding @gpa in @as; false if none. @out may be NULL. */
bool gmem_slot_find(const struct gmem *m, u8 as, gpa_t gpa, struct gmem_slot_info *out);

/* Number of slots in @as and the i-th (sorted by base) into @out. */
unsigned gmem_slot_count(const struct gmem *m, u8 as);
void gmem_slot_get(const struct gmem *m, u8 as, unsigned i, struct gmem_slot_info *out);

/*
 * Generation of @as's memslot set (KVM's kvm_memslots.generation): @as at
 * creation, then + GMEM_NR_AS on every swap of the active set
 * (kvm_swap_active_memslots()): one swap for an add or a flags change, two for
 * a delete (the INVALID slot first). Bit 63 is KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS,
 * set only during a swap (never visible between gmem calls).
 */
#define GMEM_GEN_UPDATE_IN_PROGRESS (1ULL << 63)
u64 gmem_generation(const struct gmem *m, u8 as);

/* kvm_arch_memslots_updated(): called on every swap with the new generation of
 * @as (update-in-progress bit clear), before it becomes the current one. */
typedef void (*gmem_memslots_updated_fn)(void *ctx, u8 as, u64 gen);
void gmem_set_memslots_updated(struct gmem *m, gmem_memslots_updated_fn fn, void *ctx);

/*
 * Host pointer for [gpa, gpa+len) in @as, or NULL when the range is not wholly
 * inside one slot. The pointer stays valid until the slot is deleted. Touching
 * it commits host memory lazily. Does not mark dirty: use gmem_write or
 * gmem_mark_dirty for guest-visible writes.
 */
void *gmem_hva(const struct gmem *m, u8 as, gpa_t gpa, u64 len);

/* gmem_hva that also reports the slot's GMEM_SLOT_* flags (@flags may be NULL):
 * one slot lookup for the walker, which must know whether A/D writes may land. */
void *gmem_hva_flags(const struct gmem *m, u8 as, gpa_t gpa, u64 len, u32 *flags);

/* Copy guest memory out. MSC_EFAULT when any byte is not backed. */
int gmem_read(const struct gmem *m, u8 as, gpa_t gpa, void *buf, u64 len) MSC_MUST_CHECK;

/*
 * Guest write: copy in and mark dirty pages in dirty-logged slots. MSC_EFAULT
 * when not backed, MSC_EOPNOTSUPP (nothing written) when a read-only slot is hit.
 * A host (set-up) write that may target a read-only slot uses gmem_write_host.
 */
int gmem_write(struct gmem *m, u8 as, gpa_t gpa, const void *buf, u64 len) MSC_MUST_CHECK;
int gmem_write_host(struct gmem *m, u8 as, gpa_t gpa, const void *buf, u64 len) MSC_MUST_CHECK;

/* 8/4-byte helpers; a miss returns MSC_EFAULT. */
int gmem_read64(const struct gmem *m, u8 as, gpa_t gpa, u64 *val) MSC_MUST_CHECK;
int gmem_write64(struct gmem *m, u8 as, gpa_t gpa, u64 val) MSC_MUST_CHECK;
int gmem_read32(const struct gmem *m, u8 as, gpa_t gpa, u32 *val) MSC_MUST_CHECK;
int gmem_write32(struct gmem *m, u8 as, gpa_t gpa, u32 val) MSC_MUST_CHECK;

/* Dirty log (KVM_GET_DIRTY_LOG): mark, test, and fetch-and-clear. */
void gmem_mark_dirty(struct gmem *m, u8 as, gpa_t gpa);
bool gmem_test_dirty(const struct gmem *m, u8 as, gpa_t gpa);
/* Copy the slot's dirty bitmap (1 bit per page, LSB first) into @bitmap of
 * @nbytes and clear it. MSC_ENOENT for a missing slot, MSC_EINVAL if not logging
 * or @nbytes too small. */
int gmem_get_dirty_log(struct gmem *m, u8 as, u16 id, u8 *bitmap, u64 nbytes) MSC_MUST_CHECK;

/*
 * A deep, independent copy of @src: the same slots, generations and dirty logs,
 * each backing a new lazily committed mapping holding a copy of the original's
 * resident non-zero pages (mincore(): a sparse 64 GiB guest costs what it
 * touched), aliases sharing the copy of their target's backing. The
 * memslots-updated hook is kept with @updated_ctx as its context. *@bytes (may
 * be NULL) receives the host bytes the copy holds. 0, MSC_ENOMEM, MSC_EINVAL.
 */
int gmem_clone(struct gmem **out, const struct gmem *src, void *updated_ctx,
	       u64 *bytes) MSC_MUST_CHECK;

/* Bytes of host memory committed (resident) by all backings: for tests and benches. */
u64 gmem_resident_bytes(const struct gmem *m);

/*
 * Simulated host-physical memory: 4 KiB pages, allocated deterministically
 * (lowest free hpa first) so traces print the same addresses on every run.
 * hpa 0 is never handed out.
 */
struct hmem;

/* @max_pages bounds the space (0 = default 1<<20 pages = 4 GiB). */
int hmem_create(struct hmem **out, u64 max_pages) MSC_MUST_CHECK;
void hmem_destroy(struct hmem *h);
/* Allocate one zeroed page; MSC_ENOSPC when exhausted. */
int hmem_alloc_page(struct hmem *h, hpa_t *out) MSC_MUST_CHECK;
/* Free a page previously allocated (no-op for 0). */
void hmem_free_page(struct hmem *h, hpa_t hpa);
/* Pointer to the bytes at @hpa, or NULL when @hpa is not in an allocated page. */
void *hmem_ptr(const struct hmem *h, hpa_t hpa);
/* A copy of @src: the same pages allocated with the same contents, the same
 * allocation state (so the copy hands out the same hpas next). *@bytes (may be
 * NULL): the host bytes it holds. 0, MSC_ENOMEM. */
int hmem_clone(struct hmem **out, const struct hmem *src, u64 *bytes) MSC_MUST_CHECK;
/* Pages currently allocated. */
u64 hmem_used_pages(const struct hmem *h);

#endif
