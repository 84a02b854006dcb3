/* SPDX-License-Identifier: MIT */
/*
 * Page-table builder: map, unmap and edit entries of guest (or EPT/NPT) tables
 * held in guest memory. One builder serves every format through the format's
 * geometry and a pair of flag words, as KVM selftests' builders do.
 */
#ifndef MSC_CPU_PTBUILD_H
#define MSC_CPU_PTBUILD_H

#include "cpu/types.h"
#include "cpu/walk.h"

struct gmem;

/* Legacy entry bits (SDM Tables 4-4..4-20). */
#define PT_P BIT_ULL(0)
#define PT_W BIT_ULL(1)
#define PT_U BIT_ULL(2)
#define PT_PWT BIT_ULL(3)
#define PT_PCD BIT_ULL(4)
#define PT_A BIT_ULL(5)
#define PT_D BIT_ULL(6)
#define PT_PS BIT_ULL(7)
#define PT_G BIT_ULL(8)
#define PT_NX BIT_ULL(63)
#define PT_PKEY_SHIFT 59

/* EPT entry bits (SDM Tables 29-1..29-6). */
#define EPT_R BIT_ULL(0)
#define EPT_W BIT_ULL(1)
#define EPT_X BIT_ULL(2)
#define EPT_MT_SHIFT 3 /* leaf memory type, bits 5:3 */
#define EPT_MT_WB (6ULL << EPT_MT_SHIFT)
#define EPT_IPAT BIT_ULL(6)
#define EPT_PS BIT_ULL(7)
#define EPT_A BIT_ULL(8)
#define EPT_D BIT_ULL(9)

/*
 * Allocates one zeroed 4 KiB table page in the builder's address space and
 * returns its physical address; 0 = success, negative MSC_* error otherwise.
 */
typedef int (*pt_alloc_fn)(void *ctx, u64 *pa);

struct pt_builder {
	struct gmem *m;
	u8 as; /* address space the tables live in */
	enum walk_fmt fmt; /* WALK_FMT_32, _PAE, _4LVL, _5LVL or _EPT */
	u8 levels; /* EPT: 4 or 5; otherwise implied by fmt */
	u64 root; /* CR3 / EPTP / nCR3 table address (PAE: the PDPT) */
	u64 upper_flags; /* bits of entries the builder creates above a leaf */
	pt_alloc_fn alloc;
	void *alloc_ctx;
	/* Optional: performs every entry write (@size 4 or 8 bytes at @pa, the entry
	 * of @level (1 = PTE), @old the value it replaces) instead of the default host
	 * write -- e.g. a guest write that reports an event. Returns 0 or a negative
	 * MSC_* error. */
	int (*write)(void *ctx, u64 pa, unsigned level, u64 old, u64 val, unsigned size);
	void *write_ctx;
};

/*
 * A simple table allocator: hands out consecutive pages from [next, end).
 * Pages are zeroed in guest memory before use.
 */
struct pt_bump {
	struct gmem *m;
	u8 as;
	u64 next, end;
};
int pt_bump_alloc(void *ctx, u64 *pa) MSC_MUST_CHECK;

/* Number of levels of @b's format (2, 3, 4, 5). */
unsigned pt_levels(const struct pt_builder *b);

/* Default upper-level flags for a format: P|W|U (legacy), R|W|X (EPT), P (PAE PDPTE is separate). */
u64 pt_default_upper_flags(enum walk_fmt fmt);

/*
 * Map @va to @pa with a page of @size (4 KiB, 2 MiB, 4 MiB for 32-bit PSE,
 * 1 GiB), creating missing tables with b->upper_flags (PAE PDPTEs get only P,
 * the architecture reserves their other flag bits). @leaf_flags are OR-ed into
 * the leaf (PS is added for large pages). An existing leaf on the path is
 * replaced by a table. Errors: MSC_EINVAL (misaligned, size not valid for the
 * format), MSC_EFAULT (table memory not backed), allocator errors.
 */
int pt_map(struct pt_builder *b, u64 va, u64 pa, u64 size, u64 leaf_flags) MSC_MUST_CHECK;

/*
 * Physical address of the entry for @va at @level (1 = PTE), following present
 * non-leaf entries from the root. Returns 0 and sets *entry_pa, or MSC_ENOENT if
 * the path stops above @level, MSC_EFAULT if a table is not backed.
 */
int pt_entry_addr(const struct pt_builder *b, u64 va, unsigned level, u64 *entry_pa) MSC_MUST_CHECK;

/* Read / write the raw entry for @va at @level (4 or 8 bytes by format). */
int pt_get_entry(const struct pt_builder *b, u64 va, unsigned level, u64 *val) MSC_MUST_CHECK;
int pt_set_entry(struct pt_builder *b, u64 va, unsigned level, u64 val) MSC_MUST_CHECK;

/* Clear the leaf entry mapping @va (at whatever level it is); MSC_ENOENT if none. */
int pt_unmap(struct pt_builder *b, u64 va) MSC_MUST_CHECK;

#endif
