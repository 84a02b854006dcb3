/* SPDX-License-Identifier: MIT */
/*
 * Typed events: every state change the engine, cpu/ and mmu/ make is
 * reported to sinks as one of these. Consumers: the text trace
 * (docs/trace-format.md), JSON lines, counters, explain, and the GUI timeline.
 * Pointers inside an event are valid only during the sink call.
 */
#ifndef MSC_SIM_EVENT_H
#define MSC_SIM_EVENT_H

#include "cpu/tlb.h"
#include "cpu/walk.h"
#include "mmu/event.h"
#include "sim/scenario.h"

enum sim_ev_kind {
	SIM_EV_STEP, /* a step begins */
	SIM_EV_REG_WRITE, /* a register write: accepted or refused (#GP/#UD) */
	SIM_EV_PT_WRITE, /* a page-table entry written by map/unmap/set_entry */
	SIM_EV_MEM_WRITE, /* guest or host memory write */
	SIM_EV_MEM_READ,
	SIM_EV_INSN, /* the step's instruction bytes, decoded */
	SIM_EV_WALK, /* a page walk by the simulated CPU (with every step) */
	SIM_EV_TLB_HIT, /* an access served by a cached translation */
	SIM_EV_TLB_FILL, /* a translation cached */
	SIM_EV_TLB_FLUSH, /* a flush: what and how many entries were dropped */
	SIM_EV_ACCESS, /* the outcome of a guest access */
	SIM_EV_MEMSLOT, /* memslot added, deleted or changed */
	SIM_EV_EXPECT_FAIL, /* an expectation did not hold */
	SIM_EV_DIVERGENCE, /* the MMU's outcome is not one the architecture allows */
	SIM_EV_MMU, /* an event of the KVM MMU model (mmu/event.h): kvmmmu tracepoints */
	SIM_EV_PRE_FAULT, /* KVM_PRE_FAULT_MEMORY: the range asked, the result, the range left */
	SIM_EV_VMEXIT, /* a #PF VM exit of the hardware loop into kvm_mmu_page_fault() */
	SIM_EV_SMM, /* SMM entry/exit (kvm_smm_transition), the state save area, RSM #UD */
	SIM_EV_NESTED, /* nested VM-entry (L1 -> L2) or VM-exit (L2 -> L1) */
};

/* What a SIM_EV_SMM reports (sim/engine_smm.c). */
enum sim_smm_what {
	SIM_SMM_TRANSITION, /* kvm_smm_changed(): HF_SMM set or cleared */
	SIM_SMM_SAVE, /* enter_smm(): the state save area written */
	SIM_SMM_LOAD, /* emulator_leave_smm(): the state save area read */
	SIM_SMM_UD, /* RSM outside SMM: #UD */
};

struct sim_event {
	enum sim_ev_kind kind;
	u32 step; /* index of the step (0-based) */
	u16 vcpu;
	union {
		struct {
			enum scn_op op;
			const struct scn_step *st;
		} step;
		struct {
			enum scn_reg reg;
			u64 old, val; /* val: the value written; old: before */
			u64 now; /* the register after the write (== old when refused) */
			u8 vector; /* 0 accepted, 13 #GP, 6 #UD */
			const char *rule;
		} reg;
		struct {
			u8 as;
			u64 gpa; /* entry address */
			u8 level; /* the entry's level, 1 = PTE */
			u64 old, val;
			u8 size; /* 4 or 8 */
			bool guest; /* a guest (trapped) write, not a set-up write */
			bool dropped; /* guest write to a read-only memslot: memory unchanged */
			/* a guest write to a gfn KVM write-protects: it faulted and was
			 * emulated (kvm_mmu_track_write() saw it) */
			bool trapped;
		} pt;
		struct {
			u8 as;
			u64 gpa;
			u64 val;
			u8 size;
			bool host;
			bool dropped; /* guest write to a read-only memslot */
			bool unbacked; /* no memslot behind gpa: nothing written (dropped too) */
			bool trapped; /* write-protected gfn: emulated, as for pt.trapped */
		} mem;
		struct {
			const u8 *bytes;
			u8 len;
			const char *text; /* Capstone's "mnemonic operands", or "(bad)" */
			u8 write_size; /* bytes the instruction writes to memory, 0 if none */
			u8 bits; /* decoded as 16-, 32- or 64-bit code */
		} insn;
		struct {
			const struct walk_req *req;
			const struct walk_result *res;
			const struct walk_cfg *g, *n;
		} walk;
		struct {
			const struct tlb_entry *e;
			u64 va;
		} tlb;
		struct {
			const char *
				what; /* "cr3", "invlpg", "invpcid", "cr4.pge", "flush", "pf" ... */
			u64 va;
			u16 pcid;
			size_t dropped;
			u8 vector; /* INVPCID refused: 13 #GP or 6 #UD, nothing dropped; else 0 */
			const char *rule; /* why it was refused; NULL otherwise */
		} flush;
		struct sim_ev_access {
			u64 va;
			enum scn_access_kind kind;
			u8 cpl;
			bool implicit;
			enum scn_fault_kind fault;
			u64 error_code, cr2, gpa, qual, value;
			u64 page_size; /* of the translation used, when the access completed */
			u8 size;
			bool from_tlb;
			u32 outcomes; /* how many outcomes the architecture allowed */
			const char *rule;
		} access;
		struct {
			const char *what; /* "add", "delete", "flags" */
			const struct scn_memslot *slot;
		} memslot;
		struct {
			const char *what; /* the expectation, e.g. "fault", "error_code" */
			char expected[96];
			char observed[96];
			struct scn_pos pos; /* where the expectation is in the file */
		} fail;
		struct {
			const char *text;
		} divergence;
		struct {
			const struct mmu_event *ev;
		} mmu;
		struct {
			/* #PF (shadow paging: gva is CR2), or with TDP an EPT violation,
			 * EPT misconfiguration or #NPF (gva is then the faulting gpa) */
			u8 exit_kind; /* enum walk_fault_kind */
			u64 gva, error_code; /* the address and the error code KVM uses */
			int ret; /* RET_PF_* */
			bool inject, emulate;
			u64 inject_error_code, inject_cr2;
			/* A write-protection fault (RET_PF_WRITE_PROTECTED in v6.12+):
			 * unprotect: kvm_mmu_unprotect_gfn_and_retry() zapped the shadow
			 * pages of wp_gfn and the guest re-executes; otherwise emulate
			 * (an instruction writing wp_size bytes, pt_writing when KVM's
			 * emulator marks it PageTable). */
			bool wp, unprotect, pt_writing;
			u64 wp_gfn;
			u8 wp_size;
			/* Shadow EPT/NPT: L1's tables refuse the L2 access; the exit
			 * (reflect_kind: EPT violation / misconfiguration / #NPF with
			 * reflect_qual or reflect_error_code, at reflect_gpa) goes to L1. */
			bool reflect;
			u8 reflect_kind;
			u64 reflect_qual, reflect_error_code, reflect_gpa;
		} vmexit;
		struct {
			u64 gpa, size, flags; /* the ioctl's range */
			s32 ret; /* 0 or a negated Linux errno */
			u64 rem_gpa, rem_size; /* the range copied back: not done */
			u32 calls; /* kvm_arch_vcpu_pre_fault_memory() calls */
		} pre_fault;
		struct {
			enum sim_smm_what what;
			bool entering; /* SIM_SMM_TRANSITION */
			u64 smbase;
			u64 gpa; /* the state save area (SMBASE + 0xfe00), address space 1 */
			u8 bits; /* its layout: 64 (long-mode-capable guest) or 32 */
			const char *rule; /* SIM_SMM_UD */
		} smm;
		struct { /* SIM_EV_NESTED (sim/engine_nested.c) */
			bool entry; /* vmentry (else vmexit) */
			bool svm; /* SVM (nCR3, ASID) rather than VMX (EPTP, VPID) */
			bool tdp; /* nested EPT/NPT: mmu = guest_mmu, walk_mmu = nested_mmu */
			u64 pgd; /* entry: EPTP / nCR3 (0 without nested TDP); exit: L1's CR3 */
			u16 vpid; /* VPID / ASID of the context entered */
		} nested;
	} u;
};

typedef void (*sim_sink_fn)(void *ctx, const struct sim_event *ev);

/*
 * Text trace line for @ev (no newline): "[sN vM] name: payload", where name and
 * payload follow KVM's kvmmmu tracepoint formats for KVM events and
 * docs/trace-format.md for mmuscope's own. A walk is several lines (the walk,
 * then one mmuscope_walk_step line per entry read) separated by '\n', with no
 * newline after the last. Returns snprintf-style length (the length the whole
 * text needs; @buf holds a NUL-terminated prefix when @n is too small); events
 * with no trace line (none today) return 0. SIM_EV_MMU is "[sN vM] " and
 * mmu_event_format()'s line (its name is part of it).
 */
int sim_event_format(const struct sim_event *ev, char *buf, size_t n);

/*
 * The same event as one JSON object (no newline): "event" (the trace name),
 * "step", "vcpu" and the payload's fields; 64-bit values as "0x..." strings.
 * Returns snprintf-style length.
 */
int sim_event_json(const struct sim_event *ev, char *buf, size_t n);

#endif
