/* SPDX-License-Identifier: MIT */
/*
 * A scenario as plain data: the machine, the vCPUs and the steps, exactly as the
 * JSON file says (docs/scenario-format.md). The loader (sim/loader.c, the only
 * user of cJSON) fills it, the writer prints its canonical form, the engine runs it.
 * Every node remembers where it came from in the file, for positioned errors.
 */
#ifndef MSC_SIM_SCENARIO_H
#define MSC_SIM_SCENARIO_H

#include "cpu/features.h"
#include "cpu/walk.h"
#include "cpu/types.h"

#define SCN_VERSION 1 /* the format version this build reads and writes */
#define SCN_MAX_STEPS 1000000u /* bounds for untrusted files */
#define SCN_MAX_VCPUS 16u
#define SCN_MAX_SLOTS 64u /* per address space, as GMEM_MAX_SLOTS */
#define SCN_MAX_SLOT_BYTES (1ULL << 40) /* one memslot: 1 TiB */
#define SCN_MAX_TOTAL_BYTES (1ULL << 40) /* all non-alias memslots together */
#define SCN_MAX_FILE_BYTES (64u << 20) /* a scenario file */
#define SCN_MAX_STRING 4096u /* name, description, note */
#define SCN_MAX_INSN 15u /* bytes of one x86 instruction */
#define SCN_MAX_LIST 64u /* entries of an expect list (trace events, stats, ...) */

/* Position of a JSON value in its file, 1-based; 0/0 when built in memory. */
struct scn_pos {
	u32 line, col;
};

enum scn_tdp {
	SCN_TDP_NONE, /* shadow paging */
	SCN_TDP_EPT,
	SCN_TDP_NPT,
};

/* "host_pages": the host page size backing every memslot (hugetlbfs-like). */
enum scn_host_pages {
	SCN_HOST_PAGES_4K, /* default */
	SCN_HOST_PAGES_2M,
	SCN_HOST_PAGES_1G,
};

enum scn_tlb_policy {
	SCN_TLB_RETAIN, /* the simulated CPU uses a cached translation whenever it holds one */
	SCN_TLB_WALK, /* the simulated CPU walks on every access (fills the TLB all the same) */
};

struct scn_memslot {
	struct scn_pos pos;
	u8 as; /* 0 normal, 1 SMM */
	u16 id;
	u64 gpa, size;
	u32 flags; /* GMEM_SLOT_* */
	bool alias;
	u8 alias_as;
	u16 alias_id;
	u64 alias_offset;
};

/* Region the page-table builder takes table pages from (lowest first). */
struct scn_pt_pool {
	bool present;
	u8 as;
	u64 gpa, size;
};

#define SCN_MAX_VARIANTS 16u

struct scn_machine {
	struct scn_pos pos;
	struct cpu_features feat; /* vendor default, then "features" replaces the set */
	bool features_given; /* "features" was present (the writer prints it then) */
	struct scn_memslot slots[2 * SCN_MAX_SLOTS];
	unsigned nslots;
	struct scn_pt_pool pt_pool;
	enum scn_tdp tdp;
	bool tdp_mmu; /* default true */
	enum scn_host_pages host_pages; /* default 4k */
	u64 max_mmu_pages; /* 0 = KVM's default (memslot pages / 50, at least 64) */
	enum scn_tlb_policy tlb;
	const char *variants[SCN_MAX_VARIANTS]; /* names from sim/variants.c's registry */
	unsigned nvariants;
};

/* Registers a scenario names: the order is the order of "set" keys in the file. */
enum scn_reg {
	SCN_REG_CR0,
	SCN_REG_CR3,
	SCN_REG_CR4,
	SCN_REG_EFER,
	SCN_REG_RFLAGS,
	SCN_REG_CPL,
	SCN_REG_PKRU,
	SCN_REG_CS_L, /* CS.L: 1 = a 64-bit code segment is loaded (a far jump's effect) */
};
#define SCN_NR_REGS 8

struct scn_regval {
	enum scn_reg reg;
	u64 val;
	struct scn_pos pos;
};

struct scn_vcpu {
	struct scn_pos pos;
	struct scn_regval init[SCN_NR_REGS]; /* applied in file order at reset */
	unsigned ninit;
};

enum scn_op {
	SCN_OP_SET, /* register writes, in file order */
	SCN_OP_MAP, /* page-table construction */
	SCN_OP_UNMAP,
	SCN_OP_SET_ENTRY, /* raw entry at a level */
	SCN_OP_MEM_WRITE, /* guest-physical write */
	SCN_OP_MEM_READ,
	SCN_OP_ACCESS, /* a guest access through the simulated CPU */
	SCN_OP_INVLPG,
	SCN_OP_INVPCID,
	SCN_OP_FLUSH_TLB, /* the whole TLB of the vCPU */
	SCN_OP_SMI,
	SCN_OP_RSM,
	SCN_OP_VMENTRY,
	SCN_OP_VMEXIT,
	SCN_OP_PRE_FAULT, /* KVM_PRE_FAULT_MEMORY */
	SCN_OP_MEMSLOT_ADD,
	SCN_OP_MEMSLOT_DELETE,
	SCN_OP_MEMSLOT_FLAGS,
	SCN_OP_ZAP_ALL,
	SCN_OP_EXPECT, /* expectations only */
};
#define SCN_NR_OPS 20

/* How a page-table edit reaches memory. */
enum scn_write_mode {
	SCN_WRITE_SETUP, /* host write: not trapped, bypasses read-only slots */
	SCN_WRITE_GUEST, /* guest write: goes through write-protection of shadowed tables */
};

/* Page-table formats a scenario can build ("32", "pae", "4level", "5level", "ept4", "ept5"). */
enum scn_fmt {
	SCN_FMT_32,
	SCN_FMT_PAE,
	SCN_FMT_4LVL,
	SCN_FMT_5LVL,
	SCN_FMT_EPT4,
	SCN_FMT_EPT5,
};

/* Which page tables a map/unmap/set_entry edits. */
struct scn_pt_ref {
	enum scn_fmt fmt;
	u64 root; /* table address: CR3 / EPTP / nCR3 base (PAE: the PDPT) */
	u8 as;
};

enum scn_access_kind {
	SCN_ACC_READ,
	SCN_ACC_WRITE,
	SCN_ACC_FETCH,
};

/* An expected fault or its absence; which fields count depends on kind. */
enum scn_fault_kind {
	SCN_FAULT_NONE, /* the access completes */
	SCN_FAULT_PF, /* error_code, cr2 */
	SCN_FAULT_GP,
	SCN_FAULT_UD,
	SCN_FAULT_EPT_VIOLATION, /* qual, gpa */
	SCN_FAULT_EPT_MISCONFIG, /* gpa */
	SCN_FAULT_NPF, /* exitinfo1 (error_code), exitinfo2 (gpa) */
};

/* Expectation presence bits: only given fields are checked. */
#define SCN_EX_FAULT BIT_ULL(0)
#define SCN_EX_ERROR_CODE BIT_ULL(1)
#define SCN_EX_CR2 BIT_ULL(2)
#define SCN_EX_GPA BIT_ULL(3)
#define SCN_EX_VALUE BIT_ULL(4)
#define SCN_EX_QUAL BIT_ULL(5)
#define SCN_EX_PAGE_SIZE BIT_ULL(6)
#define SCN_EX_TLB_HIT BIT_ULL(7) /* the access was served by a cached translation */
#define SCN_EX_OUTCOMES BIT_ULL(8) /* number of outcomes the architecture allows */
#define SCN_EX_REGS BIT_ULL(9)
#define SCN_EX_TLB_COUNT BIT_ULL(10)
#define SCN_EX_MEM BIT_ULL(11)
#define SCN_EX_ENTRY BIT_ULL(12) /* raw page-table entry after the step */
#define SCN_EX_RET BIT_ULL(13) /* pre_fault return: 0 or -errno name */
#define SCN_EX_RANGE BIT_ULL(14) /* pre_fault remaining gpa/size */
#define SCN_EX_ROOT_CACHE BIT_ULL(15) /* the MMU's root-cache result of this step */
#define SCN_EX_STATS BIT_ULL(16)
#define SCN_EX_ROLE BIT_ULL(17)
#define SCN_EX_TRACE BIT_ULL(18)
#define SCN_EX_SHADOW_PAGES BIT_ULL(19)
#define SCN_EX_SPTE BIT_ULL(20)
#define SCN_EX_DIVERGENCE BIT_ULL(21) /* the step is expected to diverge (historic bugs) */

struct scn_named_u64 {
	const char *name; /* stat name, register name, role field, ... */
	u64 val;
	struct scn_pos pos;
};

struct scn_expect {
	struct scn_pos pos;
	u64 has; /* SCN_EX_* */
	enum scn_fault_kind fault;
	u64 error_code; /* #PF error code or NPF EXITINFO1 */
	u64 cr2;
	u64 gpa; /* success gpa, EPT gpa, NPF EXITINFO2 */
	u64 value;
	u64 qual;
	u64 page_size;
	bool tlb_hit;
	u32 outcomes;
	struct scn_named_u64 regs[SCN_NR_REGS + 1]; /* cr0.. pkru and "cr2" */
	unsigned nregs;
	u64 tlb_count;
	/* memory: gpa/as/size/value */
	struct {
		u8 as;
		u64 gpa;
		u8 size;
		u64 value;
	} mem;
	/* entry: the raw page-table entry for va at level in a given table */
	struct {
		struct scn_pt_ref pt;
		u64 va;
		u8 level;
		u64 value;
	} entry;
	s32 ret; /* pre_fault: 0 or a negative errno (-22 EINVAL, ...) */
	u64 range_gpa, range_size;
	/* MMU expectations (meaningful once mmu/ exists) */
	enum scn_root_cache { SCN_RC_HIT, SCN_RC_MISS } root_cache;
	/* Lists live in the scenario's arena (at most SCN_MAX_LIST entries each). */
	struct scn_named_u64 *stats;
	unsigned nstats;
	struct scn_named_u64 *roles; /* "cpu_role"/"root_role" -> word */
	unsigned nroles;
	const char **trace; /* substrings that must appear in this step's trace */
	unsigned ntrace;
	struct scn_named_u64 *shadow_pages; /* role word (as hex text) -> count */
	unsigned nshadow_pages;
	struct {
		u64 gpa_or_va;
		u8 level;
		u64 value;
	} spte;
	bool divergence; /* SCN_EX_DIVERGENCE: whether the step is expected to diverge */
};

struct scn_step {
	struct scn_pos pos;
	enum scn_op op;
	u16 vcpu; /* default 0 */
	const char *note; /* teaching text shown by explain/GUI; may be NULL */
	u8 insn[SCN_MAX_INSN]; /* instruction bytes (decoded with Capstone) */
	u8 insn_len;
	union {
		struct { /* SET */
			struct scn_regval regs[SCN_NR_REGS];
			unsigned nregs;
		} set;
		struct { /* MAP, UNMAP, SET_ENTRY */
			struct scn_pt_ref pt;
			u64 va, pa, size; /* map: size 4K/2M/4M/1G */
			u64 flags; /* map: leaf flags (legacy or EPT bits) */
			u8 level; /* set_entry */
			u64 value; /* set_entry */
			enum scn_write_mode mode;
		} pt;
		struct { /* MEM_WRITE, MEM_READ */
			u8 as;
			u64 gpa;
			u8 size; /* 1, 2, 4, 8 */
			u64 value;
			bool host; /* write as the host (bypasses read-only slots, no dirty log) */
		} mem;
		struct { /* ACCESS */
			u64 va;
			enum scn_access_kind kind;
			u8 size; /* 1, 2, 4, 8 */
			s8 cpl; /* -1 = the vCPU's CPL */
			bool implicit; /* implicit supervisor access */
			u64 value; /* write */
		} access;
		struct { /* INVLPG, INVPCID */
			u64 va;
			u8 type; /* INVPCID type 0..3 */
			u16 pcid;
		} inv;
		struct { /* VMENTRY: L1 enters L2 */
			u64 eptp; /* VMX: EPTP (0 = no nested EPT) */
			u64 ncr3; /* SVM: nested CR3 (npt set) */
			bool npt;
			u16 vpid; /* VMX VPID / SVM ASID */
			struct scn_regval l2[SCN_NR_REGS]; /* L2 register state */
			unsigned nl2;
		} vmentry;
		struct { /* PRE_FAULT */
			u64 gpa, size, flags;
		} pre_fault;
		struct scn_memslot
			slot; /* MEMSLOT_ADD; DELETE uses as/id; FLAGS uses as/id/flags */
	} u;
	struct scn_expect expect;
};

struct scenario {
	const char *file; /* path as given to the loader */
	u32 version;
	const char *name;
	const char *description;
	struct scn_machine machine;
	struct scn_vcpu vcpus[SCN_MAX_VCPUS];
	unsigned nvcpus;
	struct scn_step *steps;
	unsigned nsteps;
	/* Every string above points into this arena, freed by scn_free(). */
	void *arena;
};

/* Names: "set", "map", ... for ops; "cr0", ... for registers; "4level", ... for formats. */
const char *scn_op_name(enum scn_op op);
const char *scn_reg_name(enum scn_reg reg);
const char *scn_fmt_name(enum scn_fmt fmt);
/* The walker's format of a scenario table format, and its number of levels. */
enum walk_fmt scn_fmt_walk(enum scn_fmt fmt, u8 *levels);
/* The values of expect.fault ("none", "pf", "gp", ...) and of access.kind ("read", ...). */
const char *scn_fault_name(enum scn_fault_kind f);
const char *scn_access_name(enum scn_access_kind k);

/* @size zeroed bytes from @s's arena, freed by scn_free(); NULL when out of memory. */
void *scn_alloc(struct scenario *s, size_t size);

/* Copy @len bytes of @str (NUL-terminated) into @s's arena; NULL when out of memory. */
const char *scn_strndup(struct scenario *s, const char *str, size_t len);

/* Allocate the step array for @n steps (zeroed); MSC_ENOMEM / MSC_E2BIG. */
int scn_alloc_steps(struct scenario *s, unsigned n) MSC_MUST_CHECK;

/* Free everything a loader produced and zero @s (NULL is fine). */
void scn_free(struct scenario *s);

#endif
