/* SPDX-License-Identifier: MIT */
/*
 * What the GUI shows, as plain data: the machine's state at the current step
 * (captured from a sim through sim/view.h and sim/engine.h) and the recording
 * of a whole run (per-step event lines, the last walk, root-cache strip, event
 * kinds). Built from a real sim or by hand (tests, bench).
 */
#ifndef MSC_VIZ_MODEL_H
#define MSC_VIZ_MODEL_H

#include "sim/engine.h"
#include "sim/view.h"

/* Event kinds "run to the next event" stops at (N; K cycles them). */
enum viz_evk {
	VIZ_EVK_FAULT, /* an access faulted (#PF/#GP/EPT/NPF delivered) */
	VIZ_EVK_VMEXIT,
	VIZ_EVK_RC_MISS, /* mmuscope_root_cache: miss */
	VIZ_EVK_ZAP, /* a shadow page zapped (kvm_mmu_prepare_zap_page, zap_all) */
	VIZ_EVK_UNSYNC, /* kvm_mmu_unsync_page */
	VIZ_EVK_DIVERGENCE,
	VIZ_EVK_EXPECT_FAIL,
	VIZ_EVK_FLUSH, /* a TLB flush */
	VIZ_EVK_SMM,
	VIZ_EVK_NESTED,
	VIZ_EVK_COUNT,
};
const char *viz_evk_name(enum viz_evk k);

#define VIZ_REC_MAX_LINES 400u /* event lines kept per step */

/* One step of the recording. */
struct viz_step_rec {
	u64 line_off; /* into viz_rec.text: NUL-separated lines */
	u32 nlines, dropped; /* lines kept, lines beyond VIZ_REC_MAX_LINES */
	u32 kinds; /* BIT(enum viz_evk) */
	u16 rc_hits, rc_misses, rc_evicts;
	/* the last SIM_EV_WALK of the step (first stage entries only) */
	bool walk;
	bool walk_ok;
	u16 walk_vcpu;
	u64 walk_addr;
	u8 walk_n;
	u64 walk_pte[5]; /* pte_addr of the entries read, top level first */
	char insn[64]; /* the step's disassembly (SIM_EV_INSN), "" without bytes */
};

/* A recording run of a whole scenario (a fresh sim with a sink). */
struct viz_rec {
	u32 nsteps; /* steps that ran */
	struct viz_step_rec *steps;
	char *text;
	u64 tlen, tcap;
	int err; /* 0, or the sim_step error that ended the run early */
};

/* Record @s from a fresh machine to its end (or its first error: rec->err).
 * 0, MSC_ENOMEM, or sim_create's error with @err positioned. */
int viz_rec_build(struct viz_rec *rec, const struct scenario *s,
		  struct scn_error *err) MSC_MUST_CHECK;
void viz_rec_free(struct viz_rec *rec);
/* Line @i of step @step's events ("" when out of range). */
const char *viz_rec_line(const struct viz_rec *rec, u32 step, u32 i);

#define VIZ_NSTATS 28u
extern const char *const viz_stat_names[VIZ_NSTATS];

/* The state at one step. Arrays are owned (freed by viz_model_free). */
struct viz_model {
	const struct scenario *scn; /* may be NULL (hand-built) */
	const struct viz_rec *rec; /* may be NULL */
	const struct sim *sim; /* for on-demand reads (SPTEs, guest tables); may be NULL */
	const struct gmem *gmem; /* guest tables; may be NULL */
	u32 step; /* steps done */
	u32 nsteps; /* steps of the scenario */
	struct sim_snapshot snap;
	struct walk_cfg cfg[SCN_MAX_VCPUS]; /* each vCPU's guest paging */
	/* L2 under nested EPT/NPT: L1's tables, which L2's table addresses go through */
	struct walk_cfg l2_tdp[SCN_MAX_VCPUS];
	bool has_l2_tdp[SCN_MAX_VCPUS];
	bool has_mmu;
	struct sim_vcpu_mmu_view mmu[SCN_MAX_VCPUS];
	bool stat_ok[SCN_MAX_VCPUS];
	u64 stats[SCN_MAX_VCPUS][VIZ_NSTATS];
	/* shadow pages, by serial; the tree's edges: SP i's children are
	 * child[child_off[i] .. child_off[i + 1]) (SP indices), at SPTE index
	 * child_slot[...] */
	struct sim_sp_view *sps;
	size_t nsps, sps_cap;
	u32 *child_off, *child;
	u16 *child_slot;
	u8 *parented; /* per SP: some SP points at it */
	size_t nchild, child_cap;
	u32 hash[SIM_VIEW_HASH_BUCKETS];
	u32 bucket_off[SIM_VIEW_HASH_BUCKETS + 1]; /* SPs per bucket, serial order */
	u32 *bucket_sp;
	u32 *by_hpa; /* SP indices sorted by hpa */
	/* summaries the layout needs every frame, computed once per step by
	 * viz_model_index() (and the edges' capture): */
	bool indexed;
	u32 nroots, nunsync; /* SPs with root_count > 0; unsync SPs */
	u32 hash_used, hash_total, hash_longest; /* buckets in use, pages on chains, longest */
	bool bucket_unsync[SIM_VIEW_HASH_BUCKETS]; /* a page on the chain is unsync */
	/* the shadow tree's top rows: roots, then pages no page points at, in
	 * index order (SP indices) */
	u32 *top;
	size_t ntop;
	/* TLB entries of every vCPU: tlb[tlb_off[v] .. tlb_off[v + 1]) */
	struct tlb_entry *tlb;
	size_t ntlb, tlb_cap;
	size_t tlb_off[SCN_MAX_VCPUS + 1];
};

void viz_model_init(struct viz_model *m);
void viz_model_free(struct viz_model *m);
/*
 * Capture the state of @sim (at sim_steps_done) into @m. @s and @rec (may be
 * NULL) must outlive @m's use; @sim is kept for on-demand reads until the
 * next capture. 0 or MSC_ENOMEM.
 */
int viz_model_capture(struct viz_model *m, const struct sim *sim, const struct scenario *s,
		      const struct viz_rec *rec) MSC_MUST_CHECK;
/*
 * Rebuild the derived indices (bucket lists, hpa index, hash occupancy) after
 * sps[] and the edges were filled by hand: child_off must have nsps + 1
 * entries (or be NULL: no edges). 0 or MSC_ENOMEM.
 */
int viz_model_index(struct viz_model *m) MSC_MUST_CHECK;
/* Index of the SP whose table is at @hpa, or -1. */
long viz_model_sp_by_hpa(const struct viz_model *m, u64 hpa);

#endif
