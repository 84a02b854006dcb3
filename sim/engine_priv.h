/* SPDX-License-Identifier: MIT */
/*
 * Internal to the engine (sim/engine*.c): the machine a scenario builds, the
 * state of the step being run, and the helpers the op and expectation files share.
 */
#ifndef MSC_SIM_ENGINE_PRIV_H
#define MSC_SIM_ENGINE_PRIV_H

#include "cpu/mem.h"
#include "cpu/ptbuild.h"
#include "cpu/regs.h"
#include "cpu/tlb.h"
#include "mmu/root.h"
#include "sim/engine.h"

#define SIM_MAX_SINKS 8

struct sim_vcpu {
	struct cpu cpu; /* cpu.feat, cpu.mem and cpu.tlb point into the machine */
	struct tlb *tlb;
	struct mmu_vcpu mmu; /* KVM's MMU of this vCPU (sim/engine_mmu.c) */
	bool has_mmu;
	bool req_free_obsolete_roots; /* KVM_REQ_MMU_FREE_OBSOLETE_ROOTS pending */
	bool req_mmu_sync; /* KVM_REQ_MMU_SYNC pending */
	bool req_tlb_flush_guest; /* KVM_REQ_TLB_FLUSH_GUEST pending */
	/* vcpu->arch.smbase; until set (by RSM) it is KVM's reset value 0x30000 */
	u32 smbase;
	bool smbase_set;
	/* Nested virtualization (sim/engine_nested.c): L2 is running. */
	struct {
		bool active;
		bool tdp; /* nested EPT/NPT: L1's tables are L2's second stage */
		struct walk_cfg l1_tdp; /* L1's EPT/NPT, as the architecture walks it */
		struct cpu_regs l1; /* L1's state, restored by vmexit */
		u16 l1_vpid;
	} nested;
};

/* Everything sim_seek() rebuilds: one allocation, so cpu.feat stays valid on swap. */
struct sim_machine {
	struct cpu_features feat;
	struct gmem *mem;
	struct sim_vcpu vcpu[SCN_MAX_VCPUS];
	unsigned nvcpus;
	struct pt_bump pool; /* machine.pt_pool */
	bool has_pool;
	u32 done; /* steps run */
	u32 failures; /* expectation failures */
	struct sim_counters c;
	/* KVM's VM-wide MMU state: tables in hmem, SPTE masks of the TDP kind. */
	struct hmem *hmem;
	struct spte_masks masks;
	struct mmu_vm vm;
	bool has_vm;
	u32 audit_violations; /* mmu_audit() violations found (sim_set_audit) */
};

/* What the step being run produced, for its expectations. */
struct sim_obs {
	enum scn_fault_kind fault;
	const char *rule;
	u64 error_code, cr2, gpa, qual, value, page_size;
	bool has_error_code, has_gpa, has_qual, has_value, has_page_size;
	bool tlb_hit;
	u32 outcomes;
	bool has_root_cache, root_cache_hit; /* the step's last kvm_mmu_new_pgd() */
	bool diverged; /* the transparency check failed on this step */
	/* pre_fault: the ioctl's result and the range it copied back */
	bool has_pre_fault;
	s32 pre_fault_ret;
	u64 pre_fault_gpa, pre_fault_size;
};

struct sim {
	const struct scenario *s;
	struct sim_machine *mc;
	struct {
		sim_sink_fn fn;
		void *ctx;
	} sinks[SIM_MAX_SINKS];
	unsigned nsinks;
	bool muted; /* replaying in sim_seek(): sinks see nothing */
	bool audit; /* run mmu_audit() after every step (sim_set_audit) */
	/* the step being run */
	u32 cur;
	u16 cur_vcpu;
	bool collect; /* keep the step's trace lines for expect.trace */
	char *trace; /* this step's trace text, lines separated by '\n' */
	size_t trace_len, trace_cap;
	char *scratch; /* one formatted event */
	size_t scratch_cap;
	bool pool_missing; /* a map needed a table and the machine has no pt_pool */
	bool memslot_steps; /* the scenario has memslot_add steps (slot_desc() scans them) */
	char div_text[384]; /* the step's divergence text */
	struct sim_obs obs;
};

/* Report @ev (step and vCPU are filled in) to the trace collector and the sinks. */
void sim_emit(struct sim *sim, struct sim_event *ev);
/* Report a TLB flush (SIM_EV_TLB_FLUSH) and count it in tlb_flushes. */
void sim_emit_flush(struct sim *sim, const char *what, u64 va, u16 pcid, size_t dropped);

/* Fill @err (may be NULL) at @pos and JSON path @path with a formatted message. */
__attribute__((format(printf, 5, 6))) void sim_err(const struct sim *sim, struct scn_error *err,
						   struct scn_pos pos, const char *path,
						   const char *fmt, ...);

/* The register write of scenario register @reg, through cpu/'s architectural rules. */
struct cpu_wr sim_write_reg(struct cpu *c, enum scn_reg reg, u64 val);
/* The gmem descriptor of a scenario memslot. */
struct gmem_slot_desc sim_slot_desc(const struct scn_memslot *sl);
u64 sim_read_reg(const struct cpu_regs *r, enum scn_reg reg);

/* Run step @st (its op only: events and sim->obs; no expectations). 0 or an error. */
int sim_run_op(struct sim *sim, const struct scn_step *st, struct scn_error *err) MSC_MUST_CHECK;

/* The smi and rsm ops (sim/engine_smm.c): enter_smm(), emulator_leave_smm(). */
int sim_run_smm(struct sim *sim, const struct scn_step *st, struct scn_error *err) MSC_MUST_CHECK;

/* The vmentry and vmexit ops (sim/engine_nested.c): nested VM-entry/exit. */
int sim_run_nested(struct sim *sim, const struct scn_step *st,
		   struct scn_error *err) MSC_MUST_CHECK;
/* L2's architectural second stage (L1's EPT/NPT) while L2 runs with nested TDP. */
const struct walk_cfg *sim_nested_stage2(const struct sim_vcpu *v);

/* Check @st's expectations against sim->obs and the state; failures are events. */
void sim_check_expect(struct sim *sim, const struct scn_step *st);

/* Little-endian @size-byte values in guest memory (x86 is little-endian). */

/* Scenario page-table format -> builder: fmt, levels, root, as (no alloc or write hook). */
void sim_pt_builder(struct sim *sim, const struct scn_pt_ref *ref, struct pt_builder *b);

/* ---- the KVM MMU glue (sim/engine_mmu.c) ---- */

/* The VM's and the vCPUs' MMUs, after the vCPUs' initial registers. */
int sim_mmu_create(struct sim *sim, struct sim_machine *mc, struct scn_error *err) MSC_MUST_CHECK;
void sim_mmu_destroy(struct sim_machine *mc);
/* After an accepted write of @reg (@old: before, @val: the value written). */
void sim_mmu_post_write(struct sim *sim, struct sim_vcpu *v, enum scn_reg reg, u64 old, u64 val);
/* Hand VM-wide requests to every vCPU. */
void sim_mmu_requests(struct sim_machine *mc);
/* vcpu_enter_guest() up to the entry: service the vCPU's MMU requests
 * (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, KVM_REQ_MMU_SYNC, KVM_REQ_TLB_FLUSH_GUEST),
 * then kvm_mmu_reload(). Returns 0 or kvm_mmu_load()'s error (*@pgd: its pgd). */
int sim_mmu_enter(struct sim *sim, struct sim_vcpu *v, u64 *pgd);
/* vcpu_enter_guest() before @st's access: requests, then kvm_mmu_reload(). */
int sim_mmu_reload(struct sim *sim, const struct scn_step *st,
		   struct scn_error *err) MSC_MUST_CHECK;
/* The pre_fault op (sim/engine_prefault.c): KVM_PRE_FAULT_MEMORY on @st's vCPU. */
int sim_pre_fault(struct sim *sim, const struct scn_step *st, struct scn_error *err) MSC_MUST_CHECK;
/* The zap_all op: kvm_mmu_zap_all_fast(). */
void sim_mmu_zap_all_fast(struct sim *sim);
/* After a memslot op ran. */
void sim_mmu_memslot_changed(struct sim *sim, enum scn_op op);
/* A stat by name (docs/scenario-format.md "stats"); false when unknown. */
bool sim_mmu_stat(const struct sim *sim, u16 vcpu, const char *name, u64 *val);
/* Valid (not role.invalid) shadow pages on the active list with role @role_word. */
u64 sim_mmu_count_sps(const struct sim *sim, u32 role_word);
/* The gfn host frame @pfn of guest memory stands for (preferring one of @hints). */
bool sim_pfn_to_gfn(struct sim *sim, u8 as, hfn_t pfn, const gfn_t *hints, unsigned nhints,
		    gfn_t *gfn);
/* Host frames of guest memory start here, far above hmem's table pages
 * (sim_gfn_to_pfn() in sim/engine_mmu.c). */
#define SIM_GUEST_PFN_BASE (1ULL << 28)

/* The MMU side of INVLPG (@va, @canonical), INVPCID (@type, @pcid, @va) and the
 * model's flush_tlb on a shadow-paging vCPU: kvm_mmu_invlpg(), kvm_handle_invpcid(),
 * KVM_REQ_TLB_FLUSH_GUEST. */
void sim_mmu_invalidate(struct sim_vcpu *v, enum scn_op op, unsigned type, u64 va, u16 pcid,
			bool canonical);
/* Does a guest store at @gpa (no linear address) trap on KVM's write protection?
 * Call before the write; false may have unsynced the gfn's shadow pages. */
bool sim_mmu_store_trapped(struct sim *sim, u8 as, u64 gpa);
/* An emulated write of @size bytes at @gpa reached memory: kvm_mmu_track_write(). */
void sim_mmu_emulated_write(struct sim *sim, u16 vcpu, u8 as, u64 gpa, unsigned size);
/* After a step with sim->audit: mmu_audit(); each violation is an "audit: "
 * divergence event and an expectation failure. */
void sim_mmu_audit_step(struct sim *sim);
/* Internal accessors (unit tests): the VM's host memory, a vCPU's MMU (or NULL). */
struct hmem *sim_hmem(struct sim *sim);
struct mmu_vcpu *sim_mmu_vcpu(struct sim *sim, u16 vcpu);

#endif
