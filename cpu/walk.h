/* SPDX-License-Identifier: MIT */
/*
 * The page walker: one pure function, driven by format tables, for every x86
 * paging form -- no paging, 32-bit (PSE, PSE-36), PAE, 4-level, 5-level, EPT
 * (4/5 levels) and NPT (long-mode format, every access a user access). Nested
 * paging is composition: each first-stage table address and the final address
 * go through the second-stage walk.
 *
 * The walker *reports*: a fault is data (vector, error code, CR2, exit
 * qualification) and the caller decides what to do with it (inject a #PF, exit
 * to the hypervisor, or just answer a probe). Its only side effect is the A/D
 * writes the architecture makes, done after every check has passed.
 *
 * The same walker is the architectural reference (what the guest must see) and
 * the simulated hardware walking KVM's shadow/TDP tables.
 */
#ifndef MSC_CPU_WALK_H
#define MSC_CPU_WALK_H

#include "cpu/features.h"
#include "cpu/regs.h"
#include "cpu/types.h"

/* Page-fault error code (SDM Vol. 3 4.7, Figure 4-12; APM Vol. 2 8.4.2). */
#define PFERR_P BIT_ULL(0)
#define PFERR_W BIT_ULL(1)
#define PFERR_U BIT_ULL(2)
#define PFERR_RSVD BIT_ULL(3)
#define PFERR_FETCH BIT_ULL(4)
#define PFERR_PK BIT_ULL(5)
/* #NPF EXITINFO1 extras (APM Vol. 2 15.25.6) */
#define PFERR_GUEST_FINAL BIT_ULL(32) /* fault translating the final guest-physical address */
#define PFERR_GUEST_PAGE BIT_ULL(33) /* fault translating a guest page-table address */

/* EPT-violation exit qualification (SDM Vol. 3 28.3.3.2, Table 28-7). */
#define EPT_QUAL_READ BIT_ULL(0)
#define EPT_QUAL_WRITE BIT_ULL(1)
#define EPT_QUAL_FETCH BIT_ULL(2)
#define EPT_QUAL_READABLE BIT_ULL(3) /* AND of bit 0 over the entries walked */
#define EPT_QUAL_WRITABLE BIT_ULL(4) /* AND of bit 1 */
#define EPT_QUAL_EXECUTABLE BIT_ULL(5) /* AND of bit 2 */
#define EPT_QUAL_GLA_VALID BIT_ULL(7)
#define EPT_QUAL_GLA_XLAT \
	BIT_ULL(8) /* 1: final translation of a linear address; 0: guest paging structure */

/* Effective rights in KVM's ACC format (spte.h): positive-sense execute. For
 * EPT, ACC_USER stands for "readable" as in KVM's EPT walker. */
#define ACC_EXEC 1u
#define ACC_WRITE 2u
#define ACC_USER 4u
#define ACC_ALL 7u

enum walk_fmt {
	WALK_FMT_NONE, /* paging disabled: output address = input address */
	WALK_FMT_32, /* 32-bit paging, 4-byte entries, 2 levels (SDM 4.3) */
	WALK_FMT_PAE, /* PAE paging: PDPTE registers + 2 levels (SDM 4.4) */
	WALK_FMT_4LVL, /* 4-level paging (SDM 4.5) */
	WALK_FMT_5LVL, /* 5-level paging (SDM 4.5) */
	WALK_FMT_EPT, /* EPT, 4 or 5 levels (SDM 29.3.2) */
};

/*
 * Everything a walk depends on, computed once per mode change (QEMU computes a
 * paging-mode mask once; KVM rebuilds its permission bitmap on WP/SMEP/SMAP/NX
 * changes). Plain data: build it with the walk_cfg_* helpers or by hand.
 */
struct walk_cfg {
	enum walk_fmt fmt;
	u8 levels; /* 2, 3 (PAE), 4, 5; EPT 4 or 5; 0 when fmt is NONE */
	u64 root; /* physical base of the top table (CR3/nCR3/EPTP address bits) */
	u64 pdpte[4]; /* PAE only: the PDPTE registers */
	enum cpu_vendor vendor;
	u8 maxphyaddr;
	/* legacy formats */
	bool wp, nxe, pse, pse36, gbpages, pge, smep, smap, pke;
	u32 pkru;
	bool npt; /* nested page table (APM 15.25.5): every access is a user access,
		   * CR0.WP/SMAP/PKU do not apply, faults become #NPF */
	/* EPT */
	bool ept_ad; /* EPTP bit 6: accessed/dirty flags enabled */
	bool ept_execonly; /* execute-only entries allowed (XWR=100) */
	bool ept_2m, ept_1g;
};

enum walk_access {
	WALK_ACC_READ,
	WALK_ACC_WRITE,
	WALK_ACC_FETCH,
};

/* walk_req.flags */
#define WALK_F_PROBE \
	0x1u /* no A/D writes, no permission checks: report the translation and its rights */
#define WALK_F_AD_UPPER_ON_FAULT \
	0x2u /* also set A in the upper-level entries walked before a
				      * leaf permission fault (what QEMU TCG does; KVM does not) */

struct walk_req {
	u64 addr; /* linear address (guest-physical for a lone EPT/NPT walk) */
	enum walk_access acc;
	u8 cpl; /* 0..3; CPL 3 is a user-mode access unless implicit */
	bool implicit; /* implicit supervisor-mode access (SDM 4.6: GDT/IDT/TSS loads) */
	bool ac; /* RFLAGS.AC */
	u32 flags; /* WALK_F_* */
};

/* walk_step.flags */
#define WALK_STEP_PDPTR 0x1u /* PAE PDPTE taken from the PDPTE register, not memory */
#define WALK_STEP_AD_SET 0x2u /* the walk set A and/or D in this entry */

struct walk_step {
	u8 stage; /* 0 = first-stage table, 1 = second-stage (EPT/NPT) table */
	u8 level; /* 5..1 */
	u8 flags; /* WALK_STEP_* */
	u64 table; /* base of the table (in the stage's input space for stage 0: L2 GPA) */
	u64 pte_addr; /* address of the entry in the same space as table */
	u64 pte_pa; /* where the entry was actually read (after second-stage translation) */
	u64 pte; /* raw entry as read, before any A/D write */
};

#define WALK_MAX_STEPS 48 /* 5+5 levels: 5 x (5 nested + 1) + 5 final = 35 */

enum walk_fault_kind {
	WALK_FAULT_NONE,
	WALK_FAULT_PF, /* #PF (vector 14): error_code, cr2 */
	WALK_FAULT_GP, /* non-canonical linear address: #GP(0) (SDM 4.5.1) */
	WALK_FAULT_EPT_VIOLATION, /* VM exit reason 48: exit_qual, gpa, gla */
	WALK_FAULT_EPT_MISCONFIG, /* VM exit reason 49: gpa */
	WALK_FAULT_NPF, /* #VMEXIT(NPF) 0x400: error_code = EXITINFO1, gpa = EXITINFO2 */
};

struct walk_fault {
	enum walk_fault_kind kind;
	u8 vector; /* 14 (#PF), 13 (#GP), 0 for VM exits */
	u8 stage; /* stage whose walk decided it */
	u8 level; /* level of the deciding entry; 0 for a permission fault on the final rights */
	bool nomem; /* a table read hit an address with no memory behind it */
	u64 error_code; /* #PF error code, or #NPF EXITINFO1 */
	u64 cr2; /* #PF: faulting linear address */
	u64 exit_qual; /* EPT violation qualification */
	u64 gpa; /* EPT exits: guest-physical address; #NPF: EXITINFO2 */
	u64 gla; /* EPT violation: guest linear address when EPT_QUAL_GLA_VALID */
	const char *rule; /* static text: the rule that decided, with its SDM/APM section */
};

struct walk_result {
	bool ok; /* translation found and (unless PROBE) the access is permitted */
	u64 gpa; /* final physical address (after the second stage when nested) */
	u64 gpa1; /* first-stage output (e.g. L2 GPA); == gpa when not nested */
	u8 level; /* first-stage leaf level: 1 = 4 KiB, 2 = 2/4 MiB, 3 = 1 GiB */
	u64 page_size; /* first-stage page size in bytes */
	u8 acc; /* first-stage effective rights, ACC_* */
	u8 pkey; /* protection key of the leaf (4/5-level, bits 62:59) */
	bool global; /* leaf G bit with CR4.PGE=1 */
	bool dirty; /* leaf D bit after the walk */
	u64 leaf; /* first-stage leaf entry after A/D writes */
	u8 nested_acc; /* second-stage rights of the final address (ACC_*), when nested */
	u64 nested_page_size;
	u32 refs; /* paging-structure memory references, both stages */
	u32 nested_refs; /* of which second-stage */
	u32 nsteps;
	struct walk_step steps[WALK_MAX_STEPS];
	struct walk_fault fault;
};

/*
 * Physical memory the tables live in. map() returns a host pointer to @len bytes
 * at @pa (len 4 or 8), or NULL when nothing backs it; *writable tells whether A/D
 * writes may land there (a read-only memslot drops them). wrote() (may be NULL)
 * is told after each A/D write, for dirty logging.
 */
struct walk_mem {
	void *(*map)(void *ctx, u64 pa, unsigned len, bool *writable);
	void (*wrote)(void *ctx, u64 pa);
	void *ctx;
};

struct gmem;
/* walk_mem over guest memory address space @as. */
struct walk_gmem_ctx {
	struct gmem *m;
	u8 as;
};
void walk_mem_gmem(struct walk_mem *wm, struct walk_gmem_ctx *ctx);
/* The same, read-only: A/D writes never land (reference and probe walks). */
struct walk_gmem_ro_ctx {
	const struct gmem *m;
	u8 as;
};
void walk_mem_gmem_ro(struct walk_mem *wm, struct walk_gmem_ro_ctx *ctx);

struct walk_ctx {
	const struct walk_cfg *g; /* first stage; fmt NONE for a non-paging guest */
	const struct walk_cfg *n; /* second stage (EPT/NPT) or NULL */
	struct walk_mem mem;
};

/*
 * Translate req->addr. Fills @res completely (res->fault.kind == NONE when ok).
 * Returns res->ok. Writes A/D bits through ctx->mem only when the access is
 * permitted and WALK_F_PROBE is clear; the leaf's D only for writes.
 * A lone EPT/NPT walk (ctx->g is the EPT/NPT cfg, ctx->n NULL) translates a
 * guest-physical address as a guest-final access.
 */
bool walk_translate(const struct walk_ctx *ctx, const struct walk_req *req,
		    struct walk_result *res);

/*
 * The access-rights check of SDM 4.6 / APM 5.6 for legacy formats: given
 * effective rights @acc (ACC_*, ACC_USER meaning user-mode address) and the
 * leaf's protection key, return 0 or the #PF error-code bits it yields
 * (P|W|U|FETCH|PK). *rule (may be NULL) names the deciding rule. Used by the
 * walker and by the TLB when a cached translation is reused.
 */
u64 walk_permission(const struct walk_cfg *cfg, const struct walk_req *req, u8 acc, u8 pkey,
		    const char **rule);

/* Build the cfg of the current guest paging mode from registers and CPUID. */
void walk_cfg_from_regs(struct walk_cfg *cfg, const struct cpu_regs *r,
			const struct cpu_features *f);
/* EPT cfg from an EPTP (bits 5:3 walk length - 1, bit 6 A/D, 51:12 address). */
void walk_cfg_ept(struct walk_cfg *cfg, u64 eptp, const struct cpu_features *f);
/* NPT cfg: nCR3 with the paging mode given by @host (the one that built the NPT). */
void walk_cfg_npt(struct walk_cfg *cfg, u64 ncr3, const struct cpu_regs *host,
		  const struct cpu_features *f);

/*
 * Reserved-bit mask of an entry at @level (ps: the entry's bit 7 is set) in
 * @cfg's format (SDM Tables 4-4..4-20, 29-1..29-6). For PAE level 3 this is the
 * PDPTE-register mask. EPT misconfigurations from XWR/memtype are separate.
 */
u64 walk_rsvd_mask(const struct walk_cfg *cfg, u8 level, bool ps);

/* Print @pte at @level as field names ("P W U A PS addr=0x...") into @buf;
 * returns the length written (snprintf semantics). */
int walk_decode_entry(const struct walk_cfg *cfg, u8 level, u64 pte, char *buf, size_t n);

/* Short names for the formats ("32-bit", "PAE", "4-level", "5-level", "EPT", "none"). */
const char *walk_fmt_name(enum walk_fmt fmt);
/* "read", "write", "fetch". */
const char *walk_acc_name(enum walk_access acc);
/* "none", "pf", "gp", "ept_violation", "ept_misconfig", "npf" (the scenario names). */
const char *walk_fault_name(enum walk_fault_kind kind);

#endif
