/* SPDX-License-Identifier: MIT */
/*
 * Lowering: run a scenario in the simulator with an event sink and turn the
 * architectural event stream into a probe batch (host/batch.h) plus the
 * simulator's prediction for every record the batch will produce
 * (docs/host.md, "Lowering a scenario"). What cannot be probed is reported
 * per step ("skipped: <reason>"), never dropped silently.
 */
#ifndef MSC_HOST_LOWER_H
#define MSC_HOST_LOWER_H

#include "host/batch.h"
#include "sim/loader.h"
#include "sim/scenario.h"

#define LOWER_MAX_OUTCOMES 4u
#define LOWER_STEP_NONE 0xffffffffu /* a command not made by a step (case set-up) */

/* One outcome the architecture allows for an ACCESS (or OK for MODE/CR3). */
struct lower_outcome {
	u8 vector; /* HB_NO_VECTOR or the exception vector (14, 13) */
	u32 error_code;
	u64 cr2; /* vector 14 */
	u64 value; /* a read that completes: the value read (size bytes) */
	bool has_value;
	/* An ACCESS in L2 (nested paging) that ends in a #NPF exit: vector
	 * HB_NO_VECTOR, the record's HB_RF_NPF, EXITINFO1 and EXITINFO2. */
	bool npf;
	u64 exitinfo1, exitinfo2;
	const char *why; /* "sim", "fresh walk", "tlb entry" */
};

/* The prediction for one record, in record order. */
struct lower_pred {
	u8 op; /* HB_OP_MODE, HB_OP_CR3, HB_OP_ACCESS, HB_OP_READ, HB_OP_SMI, HB_OP_RSM */
	u32 cmd; /* index of the command in the batch */
	u32 step; /* scenario step, or LOWER_STEP_NONE */
	/* ACCESS, SMI, RSM: the allowed outcomes (the simulator's first) */
	u8 noutcomes;
	struct lower_outcome outcomes[LOWER_MAX_OUTCOMES];
	/* READ of a page-table entry: its address, level, value after the step and
	 * the bits the observer may differ in (with the reason) */
	u64 gpa;
	u8 level, size; /* size: also an ACCESS's */
	u64 value, mask;
	const char *mask_why;
	/* ACCESS in PAE paging while the PDPTE registers differ from the PDPT in
	 * memory (a PDPT edit without a CR3 load): the outcome of a walk that reads
	 * the PDPTEs from memory instead -- not one the architecture allows, but
	 * what a runner that has no PDPTE registers gives (host/known.c). */
	bool has_pdpte_mem;
	struct lower_outcome pdpte_mem;
	/* ACCESS whose reference walk faulted on an entry: its level and value
	 * (what host/known.c predicates look at). In L2: an #NPF on a reserved
	 * bit whose NPT walk has no reserved bit but bit 8 of the nPML4E (level 4
	 * and that entry). */
	u8 fault_level;
	u64 fault_pte;
	/* ACCESS in L2: L1 (whose CR4/EFER govern the NPT walk) has CR4.SMEP set
	 * and EFER.NXE clear (host/known.c, tcg-npf-fetch-smep). */
	bool l1_smep_no_nx;
	/* READ of SMM state-save-area bytes that the simulator's enter_smm()
	 * (KVM: the whole 512 bytes) wrote and QEMU's do_smm_enter() does not
	 * (4-byte stores of 8-byte fields, reserved bytes): the value with those
	 * bytes as they were before the SMI (host/known.c, tcg-smm-save-partial). */
	bool has_smm_old;
	u64 smm_old_value;
};

/* A step that was not (or not wholly) lowered: "skipped: ..." or "note: ...". */
struct lower_note {
	u32 step;
	u32 before_cmd; /* commands emitted before the note (for ordered listings) */
	bool skip; /* a skip (else an informational note) */
	char text[160];
};

struct lower_result {
	struct hb_batch batch;
	struct lower_pred *preds;
	u32 npreds;
	size_t cap_preds;
	struct lower_note *notes;
	u32 nnotes;
	size_t cap_notes;
	u32 accesses; /* ACCESS commands */
	u32 steps_lowered; /* steps that produced at least one command */
	/* Nothing lowerable (no ACCESS and no READ): the scenario is skipped whole. */
	bool skipped;
	char why[200];
};

/*
 * Lower @s (loaded, e.g. by scn_load_file) with case id @case_id. Runs the
 * simulator to the end. Returns 0 with @out filled (free with
 * host_lower_free(), also on error); MSC_EINVAL with @err positioned when the
 * simulator cannot build or run the scenario; MSC_ENOSPC when the batch would
 * exceed HB_BATCH_MAX; MSC_ENOMEM. Deterministic: the same scenario gives the
 * same commands and predictions.
 */
int host_lower(const struct scenario *s, u32 case_id, struct lower_result *out,
	       struct scn_error *err) MSC_MUST_CHECK;
void host_lower_free(struct lower_result *r);

/* One command as text ("access read va 0x1000 size 8 cpl 3"), snprintf semantics. */
int host_lower_format_cmd(const struct hb_cmd *c, char *buf, size_t n);
/* One outcome as text ("#PF ec 0x5 cr2 0x1000", "ok value 0x2a"). */
int host_lower_format_outcome(const struct lower_outcome *o, char *buf, size_t n);

#endif
