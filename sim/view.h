/* SPDX-License-Identifier: MIT */
/*
 * Read-only views of a machine for viz/ (the GUI and the PNG renderer) and
 * tests: KVM's MMU state as plain data, so that views never include mmu/
 * headers (docs/architecture.md). Everything is deterministic: no host
 * pointers, lists sorted by a stable key. And the timeline: exact, fast
 * seeking backwards and forwards through a scenario by checkpoints.
 */
#ifndef MSC_SIM_VIEW_H
#define MSC_SIM_VIEW_H

#include "cpu/walk.h"
#include "sim/engine.h"

#define SIM_VIEW_HASH_BUCKETS 4096u /* KVM_NUM_MMU_PAGES */

/* One shadow (or TDP) page: struct kvm_mmu_page as a view sees it. */
struct sim_sp_view {
	u64 hpa; /* its table page (simulated host-physical) */
	u64 gfn;
	u32 role; /* union kvm_mmu_page_role word */
	u8 level;
	bool direct, unsync, invalid, tdp_mmu, obsolete;
	u32 root_count; /* > 0: some root (current or prev_roots) holds it */
	u32 bucket; /* kvm_page_table_hashfn(gfn): its bucket in the 4096-bucket hash
		     * (TDP MMU pages are on no chain: the bucket they would hash to) */
	u32 serial; /* creation order */
	u16 unsync_children;
	u16 present; /* shadow-present entries of its table (MMIO SPTEs not counted) */
	u16 children; /* present non-leaf entries (pointing at other SPs) */
	u8 gen; /* mmu_valid_gen */
	/* KVM_MMU_PAGE_PRINTK text (mmu_sp_format(): the kvm_mmu_get_page line without
	 * its name): "sp gen 0 gfn 1 l4 8-byte q0 wux nxe ad root 1 sync" */
	char trace[112];
};

/*
 * The VM's shadow pages (hashed SPs and TDP MMU pages), sorted by (serial):
 * writes at most @max into @out and returns how many there are (call with
 * max 0 to size the array). 0 for a machine without an MMU.
 */
size_t sim_view_sps(const struct sim *sim, struct sim_sp_view *out, size_t max);

/* One entry of a shadow page's table. */
struct sim_spte_view {
	u16 index;
	u64 spte;
	u64 child_hpa; /* the SP it points at (non-leaf), else 0 */
	bool leaf, mmio;
	/* walk_decode_entry() in KVM's SPTE format (64-bit legacy/NPT with the host's
	 * MAXPHYADDR, or EPT): "P U A addr=0x10000010000", "R W X mt=6 IPAT A D
	 * addr=0x..."; an MMIO SPTE: "mmio gfn 0x1000 access wux gen 0x2" */
	char decoded[96];
};

/* The shadow-present and MMIO entries of the SP whose table is at @sp_hpa (its
 * base), by index; as sim_view_sps for @max and the return value; 0 for an hpa
 * that is not an SP's table. */
size_t sim_view_sptes(const struct sim *sim, u64 sp_hpa, struct sim_spte_view *out, size_t max);

/* Occupancy of each of the 4096 hash buckets (SPs on each chain). */
void sim_view_hash(const struct sim *sim, u32 counts[SIM_VIEW_HASH_BUCKETS]);

/* A root: kvm_mmu_root_info plus the role of the SP behind it. */
struct sim_root_view {
	bool valid;
	bool special; /* a PAE/pml4/pml5 special root or the dummy root: no SP */
	u64 pgd, hpa;
	u32 role; /* 0 when special */
};

/* The roots of one MMU of a vCPU: current and prev_roots[0..2] (MRU order). */
struct sim_mmu_view {
	bool present; /* the context was initialised (it has a root role) */
	u32 cpu_role_base, cpu_role_ext, root_role;
	struct sim_root_view current, prev[3];
};

/* A vCPU's MMUs: root_mmu and guest_mmu; which one is vcpu->arch.mmu. */
struct sim_vcpu_mmu_view {
	struct sim_mmu_view root_mmu, guest_mmu;
	bool on_guest_mmu; /* mmu == &guest_mmu (L2 under nested EPT/NPT) */
	bool tdp, tdp_mmu;
	u64 root_cache_hits, root_cache_misses, root_cache_evictions;
};

/* false for a vCPU index out of range or a machine without an MMU. */
bool sim_view_vcpu_mmu(const struct sim *sim, u16 vcpu, struct sim_vcpu_mmu_view *out);

/*
 * Whether vCPU @vcpu runs L2 under nested EPT/NPT; then *@l1_tdp is L1's
 * EPT/NPT as the architecture walks it (L2's guest-physical addresses, its
 * page tables' included, go through it). False otherwise (L1, or L2 without
 * nested paging: L2's guest-physical addresses are L1's).
 */
bool sim_view_nested_tdp(const struct sim *sim, u16 vcpu, struct walk_cfg *l1_tdp);

/* ---- The timeline: exact seeking with checkpoints ---- */

/*
 * A deep, independent copy of @src (machine, MMU, guest memory, host pages,
 * TLBs, step position, counters, audit mode); sinks are not copied, the
 * scenario is shared. Running the copy and the original on gives the same
 * events byte for byte. Guest memory costs what is resident (docs/timeline.md).
 * 0, MSC_ENOMEM; MSC_EINVAL only for a sim caught mid-step (from a sink).
 */
int sim_clone(const struct sim *src, struct sim **out) MSC_MUST_CHECK;

struct sim_timeline;

/*
 * A sim for @s (which must outlive the timeline) that can move to any step
 * exactly: the state after N steps equals a fresh run's. Checkpoints (clones)
 * are taken every @interval steps as the run passes them (0: a default chosen
 * for the scenario's length: nsteps / 64, between 1 and 1000), at most
 * @max_bytes of them (0: a default of 512 MiB); beyond that the interval
 * doubles and every other checkpoint is dropped (step 0 is always kept). With
 * an interval of 64 or more, a seek also keeps up to 32 recent clones every
 * interval / 16 steps over the last interval it runs, so stepping back from
 * there is short (they count in @max_bytes and go first). Seeking back
 * restores the nearest clone at or before the target and replays the rest
 * (sinks see nothing while replaying, as sim_seek). Errors as sim_create.
 */
int sim_timeline_create(struct sim_timeline **out, const struct scenario *s, u32 interval,
			u64 max_bytes, struct scn_error *err) MSC_MUST_CHECK;
void sim_timeline_destroy(struct sim_timeline *tl);
/* Move to the state after @step steps; as sim_seek (1 when the scenario is
 * shorter: the timeline is then at its end). */
int sim_timeline_seek(struct sim_timeline *tl, u32 step, struct scn_error *err) MSC_MUST_CHECK;
/* The current sim: read it with the functions above and sim/engine.h; do not
 * step it directly (use sim_timeline_seek). Valid until the next seek, which
 * may replace it (a seek back restores a checkpoint's clone): sinks are not
 * carried over, so a view that wants a scenario's events records them in a run
 * of its own. */
struct sim *sim_timeline_sim(struct sim_timeline *tl);
/* Checkpoints held, the interval now, and the bytes of every clone held
 * (checkpoints and recent clones), for the GUI's status line and bench/. */
void sim_timeline_stats(const struct sim_timeline *tl, u32 *checkpoints, u32 *interval, u64 *bytes);

#endif
