/* SPDX-License-Identifier: MIT */
/*
 * The architectural TLB of one vCPU: every translation the CPU may still hold
 * since the last flush that covers it, tagged by VPID/ASID and PCID. It is a
 * model of what the architecture *allows*, not of a finite hardware TLB: an
 * entry may have been evicted at any time, so an access's allowed outcomes are
 * the fresh walk plus the outcome through each entry still held (SDM 4.10).
 * Paging-structure caches are not modelled (docs/cpu-model.md).
 */
#ifndef MSC_CPU_TLB_H
#define MSC_CPU_TLB_H

#include "cpu/types.h"
#include "cpu/walk.h"

struct tlb;

struct tlb_entry {
	u16 vpid; /* 0 outside guest mode */
	u16 pcid; /* 0 when CR4.PCIDE=0 */
	bool global; /* leaf G with CR4.PGE=1: matches every PCID of its VPID */
	u64 va; /* linear base, aligned to size */
	u64 pa; /* physical base */
	u64 size; /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	u8 acc; /* effective rights, ACC_* */
	u8 pkey;
	bool dirty; /* the leaf's D was 1 when cached */
	/* Second-stage rights of a combined (guest + EPT/NPT) translation, ACC_*
	 * (ACC_USER: readable); ACC_ALL for a one-stage translation. */
	u8 nested_acc;
};

/*
 * Whether @e may serve an access of kind @acc as far as the second stage goes.
 * A combined mapping whose EPT/NPT rights deny the access is not used: the CPU
 * walks and reports the EPT violation / #NPF (SDM 28.4.3.1 lets it refill).
 */
static inline bool tlb_entry_nested_allows(const struct tlb_entry *e, enum walk_access acc)
{
	u8 need = acc == WALK_ACC_WRITE ? ACC_WRITE : acc == WALK_ACC_FETCH ? ACC_EXEC : ACC_USER;

	return (e->nested_acc & need) == need;
}

/* INVPCID types (SDM Vol. 2 INVPCID). */
enum tlb_invpcid_type {
	TLB_INVPCID_ADDR = 0, /* one address in one PCID (not globals) */
	TLB_INVPCID_SINGLE = 1, /* one PCID, not globals */
	TLB_INVPCID_ALL_GLOBAL = 2, /* every PCID, globals too */
	TLB_INVPCID_ALL = 3, /* every PCID, not globals */
};

int tlb_create(struct tlb **out) MSC_MUST_CHECK;
void tlb_destroy(struct tlb *t);

/* A deep copy of @src: the same entries in the same order (so lookups and
 * tlb_foreach() give the same results). *@bytes (may be NULL): its host bytes.
 * 0, MSC_ENOMEM. */
int tlb_clone(struct tlb **out, const struct tlb *src, u64 *bytes) MSC_MUST_CHECK;

/*
 * Cache the translation of @va from a successful walk @r (leaf level, page
 * size, rights, dirty, global). An entry with the same tag and page replaces the
 * old one. Translations are not cached for failed walks (SDM 4.10.2.1).
 */
void tlb_insert(struct tlb *t, u16 vpid, u16 pcid, u64 va, const struct walk_result *r);

/* Number of entries held. */
size_t tlb_count(const struct tlb *t);

/*
 * Entries that translate @va for (vpid, pcid): non-global ones of that PCID and
 * global ones of that VPID. Writes up to @max pointers to @out (stable until the
 * next mutation), returns how many match in total.
 */
size_t tlb_lookup(const struct tlb *t, u16 vpid, u16 pcid, u64 va, const struct tlb_entry **out,
		  size_t max);

/* Everything, globals included, of every VPID (e.g. CR4.PGE toggle with VPID 0). */
void tlb_flush_all(struct tlb *t);
/* Every entry of one VPID; @globals: include global ones. */
void tlb_flush_vpid(struct tlb *t, u16 vpid, bool globals);
/* Non-global (and with @globals also global) entries of (vpid, pcid). */
void tlb_flush_pcid(struct tlb *t, u16 vpid, u16 pcid, bool globals);
/* INVLPG: entries for @va of (vpid, pcid), and global entries for @va (SDM Vol. 2 INVLPG). */
void tlb_invlpg(struct tlb *t, u16 vpid, u16 pcid, u64 va);
/* The entries for @va that tlb_invlpg() would drop lose D (writes walk again). */
void tlb_clear_dirty(struct tlb *t, u16 vpid, u16 pcid, u64 va);
/* INVPCID of @type; @pcid/@va used as the type requires. */
void tlb_invpcid(struct tlb *t, u16 vpid, enum tlb_invpcid_type type, u16 pcid, u64 va);
/* Iterate all entries in a deterministic order (sorted by vpid, pcid, va). */
void tlb_foreach(const struct tlb *t, void (*fn)(void *ctx, const struct tlb_entry *e), void *ctx);

/* One outcome the architecture allows for an access. */
struct tlb_outcome {
	bool from_tlb; /* through a cached entry (else the fresh walk) */
	enum walk_fault_kind fault; /* WALK_FAULT_NONE when the access completes; a cached
				     * entry can only yield WALK_FAULT_PF */
	u64 error_code; /* #PF error code / #NPF EXITINFO1 / EPT qualification, per fault */
	u64 gpa; /* final physical address when the access completes */
	const struct tlb_entry *entry; /* when from_tlb */
};

#define TLB_MAX_OUTCOMES 8

/*
 * The set of outcomes allowed for @req under @cfg: @fresh (the result of a fresh
 * walk, required) and, for each cached entry for req->addr, the outcome of using
 * it with today's CR0.WP/SMEP/SMAP/PKRU (rights are rechecked with
 * walk_permission). A write through an entry whose dirty flag is clear is not
 * served from the TLB (the CPU walks to set D, SDM 4.8). Duplicate outcomes are
 * merged. Returns the count written to @out (<= TLB_MAX_OUTCOMES).
 */
size_t tlb_allowed_outcomes(const struct tlb *t, u16 vpid, u16 pcid, const struct walk_cfg *cfg,
			    const struct walk_req *req, const struct walk_result *fresh,
			    struct tlb_outcome *out);

#endif
