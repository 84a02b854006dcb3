/* SPDX-License-Identifier: MIT */
/*
 * The engine: builds the machine of a scenario and runs its steps one by one,
 * deterministically, checking expectations and reporting every state change as
 * a typed event. Views read snapshots (plain structs), never engine internals.
 */
#ifndef MSC_SIM_ENGINE_H
#define MSC_SIM_ENGINE_H

#include "cpu/regs.h"
#include "sim/event.h"
#include "sim/loader.h"
#include "sim/scenario.h"

struct sim;

/*
 * Build the machine of @s (which must outlive the sim): CPUID, memslots, vCPUs
 * at reset with their initial registers applied through the architectural
 * writes. Returns 0; MSC_EINVAL with @err positioned at the offending part of
 * the scenario (refused initial register, memslot rejected, ...); MSC_EOPNOTSUPP
 * for a machine this build cannot model; MSC_ENOMEM. @err may be NULL.
 */
int sim_create(struct sim **out, const struct scenario *s, struct scn_error *err) MSC_MUST_CHECK;
void sim_destroy(struct sim *sim);

/* Add an event sink (up to 8, else MSC_ENOSPC); called in order of addition. */
int sim_add_sink(struct sim *sim, sim_sink_fn fn, void *ctx) MSC_MUST_CHECK;

/*
 * Run the next step. Returns 0 when a step ran (its expectations may have
 * failed: see sim_failures), 1 when there is no step left, or a negative error
 * with @err positioned at the step: MSC_EOPNOTSUPP for an op this build cannot
 * run yet (the message names the missing model), MSC_EINVAL for a step that is
 * invalid in the machine's state (e.g. a memslot that overlaps).
 */
int sim_step(struct sim *sim, struct scn_error *err) MSC_MUST_CHECK;

/*
 * Run steps until @until steps have run (or the end). Returns 0 when @until
 * steps have run, 1 when the scenario ended first, or sim_step's error (the
 * failing step is not counted as run; calling again retries it).
 */
int sim_run(struct sim *sim, u32 until, struct scn_error *err) MSC_MUST_CHECK;

/*
 * Audit mode (docs/audit.md): after every step of a shadow-paging machine run
 * mmu_audit() over the VM and every vCPU's roots. Each violation is a
 * SIM_EV_DIVERGENCE event whose text starts with "audit: " and counts as an
 * expectation failure (so the run fails). Off by default; survives sim_seek().
 */
void sim_set_audit(struct sim *sim, bool on);
/* Audit violations found since the machine was built. */
u32 sim_audit_violations(const struct sim *sim);

/* Steps run so far, and expectation failures so far. */
u32 sim_steps_done(const struct sim *sim);
u32 sim_failures(const struct sim *sim);

/*
 * Counters (mmuscope's own today; KVM's stat names join with mmu/), one per
 * event or outcome: accesses (access steps), walks/walk_refs (walks by the
 * simulated CPU, not the reference walk), tlb_hits, tlb_fills, tlb_flushes
 * (mmuscope_tlb_flush events that ran, INVPCID refusals excluded), faults_*
 * (#PF/#GP delivered by accesses, #GP by refused register writes and INVPCID),
 * reg_writes (attempted), reg_refused, pt_writes, mem_writes (mem_write steps
 * and write accesses), mem_reads (mem_read steps).
 */
struct sim_counters {
	u64 accesses, walks, walk_refs, tlb_hits, tlb_fills, tlb_flushes;
	u64 faults_pf, faults_gp, faults_ept, faults_npf;
	u64 reg_writes, reg_refused, pt_writes, mem_writes, mem_reads;
	u64 vmexits, divergences; /* the hardware loop (shadow paging) */
};

struct sim_vcpu_snapshot {
	struct cpu_regs r;
	size_t tlb_entries;
};

/* Everything a view needs about the current state, as plain data. */
struct sim_snapshot {
	u32 step; /* steps done */
	u32 failures;
	u16 nvcpus;
	struct sim_vcpu_snapshot vcpu[SCN_MAX_VCPUS];
	struct sim_counters counters;
};

void sim_snapshot(const struct sim *sim, struct sim_snapshot *out);
/* A KVM statistic by its name (the names `expect.stats` accepts) of @vcpu; false
 * for an unknown name or a machine without an MMU. */
bool sim_kvm_stat(const struct sim *sim, u16 vcpu, const char *name, u64 *val);

/* The machine's guest memory and a vCPU's TLB, read-only, for views and explain. */
const struct gmem *sim_gmem(const struct sim *sim);
const struct tlb *sim_tlb(const struct sim *sim, u16 vcpu);
const struct cpu_features *sim_features(const struct sim *sim);

/*
 * Bring the sim to the state after @n steps: rewinds by rebuilding from the
 * scenario and replaying (the engine is deterministic, so the state equals a
 * fresh run to @n); forwards it runs on from the current state. Sinks stay
 * attached but see no events while replaying (expectations are still checked
 * and counted). Returns as sim_run: 0, 1 when the scenario has fewer than @n
 * steps (the sim is then at its end), or an error.
 */
int sim_seek(struct sim *sim, u32 n, struct scn_error *err) MSC_MUST_CHECK;

#endif
