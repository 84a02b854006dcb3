/* SPDX-License-Identifier: MIT */
/*
 * The probe protocol: the wire format between mmuscope and the freestanding
 * probe image (host/probe/), shared by every runner (docs/host.md).
 *
 * The runner puts the image in a 64 KiB ROM at 0xFFFF0000 (the CPU starts at
 * its reset vector), the batch at HB_BATCH_PA and zeroes HB_RESULT_PA; the
 * image runs the commands in order, writes one record per command that
 * observes something into the result area, and reports the end by writing
 * HB_DONE_VALUE (or HB_FAIL_VALUE) to I/O port HB_EXIT_PORT (QEMU's
 * isa-debug-exit; a KVM_EXIT_IO for the /dev/kvm runner). Everything is
 * little-endian; every structure has a fixed size so the NASM side
 * (host/probe/batch.inc) can use offsets, checked against this header by a test.
 *
 * Guest-physical layout (guest RAM is HB_RAM_BYTES):
 *   [0, HB_SCN_LIMIT)               the scenario's memory, except the legacy hole
 *                                   [HB_HOLE_LO, HB_HOLE_HI)
 *   [HB_HARNESS_PA, +HB_HARNESS_BYTES) the image's own data (tables, GDT/IDT/TSS, stacks)
 *   [HB_BATCH_PA, +HB_BATCH_MAX)     the batch
 *   [HB_RESULT_PA, +HB_RESULT_MAX)   the records
 *   [0xFFFF0000, 4 GiB)              the image (ROM)
 *
 * Linear layout while a scenario's paging mode is active: the harness owns the
 * top 4 MiB of the 32-bit space, [HB_WINDOW_VA, 4 GiB) (in 64-bit modes its
 * sign extension, 0xFFFFFFFF_FFC00000), installed by the image into the
 * scenario's top-level table slot (32-bit: PDE 1023; PAE: PDPTE 3 -> PDEs 510
 * and 511; 4-level: PML4E 511; 5-level: PML5E 511). A scenario whose own
 * mapping uses that slot gets HB_ST_CONFLICT records, never a guess.
 */
#ifndef MSC_HOST_BATCH_H
#define MSC_HOST_BATCH_H

#include "cpu/types.h"

#define HB_MAGIC 0x4243534dU /* "MSCB" */
#define HB_VERSION 1U

#define HB_RAM_BYTES (256ULL << 20)
#define HB_SCN_LIMIT 0x0C000000ULL /* scenario memory below 192 MiB */
#define HB_HOLE_LO 0xA0000ULL /* VGA / option ROM / BIOS alias: not RAM */
#define HB_HOLE_HI 0x100000ULL
#define HB_HARNESS_PA 0x0C000000ULL
#define HB_HARNESS_BYTES (4ULL << 20)
#define HB_BATCH_PA 0x0D000000ULL
#define HB_BATCH_MAX (16ULL << 20)
#define HB_RESULT_PA 0x0E000000ULL
#define HB_RESULT_MAX (16ULL << 20)
#define HB_ROM_PA 0xFFFF0000ULL
#define HB_ROM_BYTES 0x10000U
#define HB_WINDOW_VA 0xFFC00000ULL /* 32-bit linear; sign-extended in 64-bit modes */

#define HB_EXIT_PORT 0xf4
#define HB_DONE_VALUE 0x31 /* QEMU exits with (0x31 << 1) | 1 = 99 */
#define HB_FAIL_VALUE 0x32 /* the image found the batch malformed: exit status 101 */

/* The batch starts with this header (64 bytes), then ncmds commands. */
struct hb_header {
	u32 magic; /* HB_MAGIC */
	u32 version; /* HB_VERSION */
	u32 ncmds;
	u32 flags; /* 0 */
	u64 result_pa; /* HB_RESULT_PA */
	u64 result_cap; /* records that fit */
	/* The CPU the batch was lowered for, for runners that can shape theirs
	 * (QEMU's -cpu max,<feature>=off,phys-bits=N; KVM_SET_CPUID2): the
	 * paging features it lacks (HB_CPU_NO_*) and its MAXPHYADDR (0: any).
	 * The image itself ignores them. */
	u32 cpu_off;
	u8 maxphyaddr;
	u8 reserved[27];
};

#define HB_CPU_NO_1G 0x01 /* 1 GiB pages (CPUID.80000001H:EDX[26]) */
#define HB_CPU_NO_LA57 0x02
#define HB_CPU_NO_PKU 0x04
#define HB_CPU_NO_SMEP 0x08
#define HB_CPU_NO_SMAP 0x10
#define HB_CPU_NO_NX 0x20
#define HB_CPU_NO_PGE 0x40
#define HB_CPU_NO_PSE36 0x80

enum hb_op {
	HB_OP_NOP = 0,
	/* A new case begins (a = the case id, echoed in its records): leave any
	 * paging mode, CPL0, PKRU 0, RFLAGS.AC 0. No record. */
	HB_OP_CASE = 1,
	/* Zero [a, a + b) guest-physical (page-aligned, inside the scenario
	 * memory). No record. */
	HB_OP_ZERO = 2,
	/* Store size (1/2/4/8) bytes of b at guest-physical a. No record. Runs
	 * without disturbing the active paging mode or its TLB (the image writes
	 * through its own window mapping), so a scenario's edit without INVLPG
	 * stays an edit without INVLPG. */
	HB_OP_WRITE = 3,
	/* Load size (1/2/4/8) bytes at guest-physical a: a record with value. */
	HB_OP_READ = 4,
	/* Enter the paging mode a = CR0, b = CR3, c = CR4, d = EFER, e = PKRU,
	 * flags & HB_F_CS64: 64-bit code segment (else compatibility mode when
	 * EFER.LMA). CR0 must have PE; PG=0 means no paging. The image loads
	 * CR4/EFER/CR3/CR0 architecturally (paging off first when the mode change
	 * needs it) and installs its window. A record: status HB_ST_OK, or
	 * HB_ST_REFUSED with the vector when a register load faulted, or
	 * HB_ST_CONFLICT when the window slot is in use by the scenario. */
	HB_OP_MODE = 5,
	/* A guest access at linear a in the active mode: kind (enum hb_kind),
	 * size 1/2/4/8, at CPL cpl (0 or 3), RFLAGS.AC = flags & HB_F_AC, PKRU = e
	 * (loaded with WRPKRU when CR4.PKE, 0 again after); a write stores b. A
	 * fetch of size 1 CALLs a, where the lowering has put RET (0xC3); a fetch
	 * of size 2 JMPs to a, where it has put INT 0x80 (CD 80): no stack access
	 * at the fetch's CPL (a CPL3 fetch under a PKRU denying the user stack's
	 * key). A record: vector (HB_NO_VECTOR when none), error code, CR2 (when
	 * vector 14), and the value read. */
	HB_OP_ACCESS = 6,
	/* INVLPG a in the active mode (CPL0). No record. */
	HB_OP_INVLPG = 7,
	/* Flush the whole TLB, global entries too (CR4.PGE toggled, or CR3
	 * reloaded when PGE is clear). No record. */
	HB_OP_FLUSH = 8,
	/* Reload CR3 with b (a MOV to CR3 in the active mode: non-global
	 * entries flushed unless bit 63 with PCIDE). A record as HB_OP_MODE. */
	HB_OP_CR3 = 9,
	/* An SMI (docs/host.md "SMM"): a = the SMBASE the CPU is expected to
	 * have. The image copies its SMI handler (HB_SMM_STUB_BYTES bytes) to
	 * a + HB_SMM_HANDLER_OFF, keeping the bytes it replaces (inside the
	 * scenario memory, outside the hole, else HB_ST_BAD), sets RFLAGS to
	 * 2 | (flags & HB_F_AC ? AC : 0) and sends itself an SMI through the
	 * local APIC (a 32-bit store of HB_APIC_ICR_SMI to HB_APIC_ICR_PA). The
	 * handler puts the bytes back, enters home state (32-bit protected mode,
	 * paging off) inside SMM and records OK; the commands that follow run in
	 * SMM, at home, until RSM. The CPU's state save area is left where it
	 * wrote it (a + HB_SMM_SAVE_OFF) for READ. No SMI within about a million
	 * loop iterations: HB_ST_REFUSED with HB_NO_VECTOR. In SMM: HB_ST_BAD. */
	HB_OP_SMI = 10,
	/* RSM. In SMM: the CPU resumes in the mode the SMI interrupted, from the
	 * state save area as it is now (a relocated SMBASE field included), and
	 * the record is OK. Outside SMM: RSM at CPL0 in the active mode, a record
	 * with the vector it raised (#UD). A CASE in SMM runs RSM first. */
	HB_OP_RSM = 11,
	/* Enter L2 under SVM nested paging (docs/host.md "Nested paging") from
	 * the active 4-level mode (L1): a = L2's CR0, b = L2's CR3, c = L2's CR4,
	 * d = L2's EFER, e = nCR3, f = the L1-physical address of L2's top-level
	 * table, asid = the ASID. The image installs its L2 window (PML4E 511 of
	 * f -> harness tables at HB_L2_GPA_BASE + their address) and its NPT slot
	 * (nPML4E 1 of e: HB_L2_GPA_BASE + x -> x for the harness and the ROM),
	 * fills its VMCB and sets EFER.SVME; nothing runs in L2 yet. Every ACCESS
	 * that follows is one VMRUN into L2, which makes the access and returns
	 * by VMMCALL (exceptions intercepted, #NPF an exit). A record: HB_ST_OK,
	 * HB_ST_CONFLICT when either slot holds a scenario entry, HB_ST_BAD when
	 * the active mode is not 4-level long mode. */
	HB_OP_VMRUN_MODE = 12,
	/* Leave L2: accesses run in L1 (the active mode) again. No record. */
	HB_OP_VMEXIT = 13,
	HB_NR_OPS
};

enum hb_kind {
	HB_KIND_READ = 0,
	HB_KIND_WRITE = 1,
	HB_KIND_FETCH = 2,
};

#define HB_F_AC 0x01 /* ACCESS, SMI: RFLAGS.AC set */
#define HB_F_CS64 0x02 /* MODE: a 64-bit code segment (long mode) */

/* Nested paging: L2's guest-physical addresses of the harness (its tables, the
 * stacks, the ROM) are HB_L2_GPA_BASE + their physical address, in nPML4E
 * HB_L2_NPT_SLOT (512 GiB .. 1 TiB: needs MAXPHYADDR 40), which no scenario
 * NPT entry shares. */
#define HB_L2_GPA_BASE 0x8000000000ULL
#define HB_L2_NPT_SLOT 1U

/* SMM (SDM Vol. 3 34.4, APM Vol. 2 10.2): the handler entry and the state
 * save area relative to SMBASE; the local APIC's ICR (low half) and the value
 * the image stores there: delivery mode SMI (010b), shorthand all including
 * self (the only CPU). */
#define HB_SMM_HANDLER_OFF 0x8000U
#define HB_SMM_SAVE_OFF 0xFE00U
#define HB_SMM_STUB_BYTES 32U
#define HB_APIC_ICR_PA 0xFEE00300U
#define HB_APIC_ICR_SMI 0x00080200U

/* One command: 64 bytes. */
struct hb_cmd {
	u8 op; /* enum hb_op */
	u8 kind; /* ACCESS: enum hb_kind */
	u8 size; /* WRITE/READ/ACCESS: 1, 2, 4 or 8 */
	u8 cpl; /* ACCESS: 0 or 3 */
	u8 flags; /* HB_F_* */
	u8 reserved[3];
	u32 id; /* the lowering's tag (step index), echoed in the record */
	u32 asid; /* VMRUN_MODE: the ASID (else 0) */
	u64 a, b, c, d, e;
	u64 f; /* VMRUN_MODE: L2's top-level table, L1-physical (else 0) */
};

enum hb_status {
	HB_ST_OK = 1, /* the command ran; vector says whether it faulted */
	HB_ST_REFUSED = 2, /* MODE/CR3: a register load raised vector */
	HB_ST_CONFLICT = 3, /* the window slot is in use by the scenario */
	HB_ST_NOMODE = 4, /* ACCESS/INVLPG without paging where the op needs it */
	HB_ST_BAD = 5, /* a malformed command (unknown op, size, cpl) */
};

#define HB_NO_VECTOR 0xff

/* hb_record.rflags of an ACCESS in L2 (vector HB_NO_VECTOR): the VMRUN ended
 * in a #NPF exit (value = EXITINFO1, error_code its low half, cr2 = EXITINFO2),
 * or in another exit than VMMCALL or an exception (value = the exit code,
 * cr2 = EXITINFO1). An exception in L2 is a vector, error code (EXITINFO1) and
 * CR2 (EXITINFO2 of a #PF) as in L1. */
#define HB_RF_NPF 0x01
#define HB_RF_EXIT 0x02
#define HB_SVM_EXIT_NPF 0x400U
#define HB_SVM_EXIT_VMMCALL 0x81U

/* One record: 32 bytes, in command order. */
struct hb_record {
	u32 cmd; /* index of the command in the batch */
	u32 id; /* the command's id */
	u8 op;
	u8 status; /* enum hb_status */
	u8 vector; /* HB_NO_VECTOR or the exception vector */
	u8 rflags; /* HB_RF_*: what else the record is (an ACCESS in L2) */
	u32 error_code;
	u64 cr2;
	u64 value;
};

_Static_assert(sizeof(struct hb_header) == 64, "hb_header is 64 bytes");
_Static_assert(sizeof(struct hb_cmd) == 64, "hb_cmd is 64 bytes");
_Static_assert(sizeof(struct hb_record) == 32, "hb_record is 32 bytes");

/* A batch being built in memory (host/batch.c). */
struct hb_batch {
	struct hb_cmd *cmds;
	u32 ncmds, cap;
	u32 cpu_off; /* hb_header.cpu_off */
	u8 maxphyaddr; /* hb_header.maxphyaddr */
};

void hb_init(struct hb_batch *b);
void hb_free(struct hb_batch *b);
/* Append @c; MSC_ENOSPC when the batch would exceed HB_BATCH_MAX, MSC_ENOMEM. */
int hb_push(struct hb_batch *b, const struct hb_cmd *c) MSC_MUST_CHECK;
/* The bytes to place at HB_BATCH_PA (header + commands) into @buf of @n bytes;
 * returns the size, or 0 when @n is too small. */
size_t hb_serialize(const struct hb_batch *b, void *buf, size_t n);
/* How many records a batch produces at most (its commands that observe). */
u32 hb_records_max(const struct hb_batch *b);
/* Readable op and status names ("access", "ok", ...). */
const char *hb_op_name(u8 op);
const char *hb_status_name(u8 st);

#endif
