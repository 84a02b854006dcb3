/* SPDX-License-Identifier: MIT */
/*
 * The vCPU's architectural state that paging depends on, and register writes that
 * apply the SDM/APM rules: a refused write is an architectural #GP (or #UD), an
 * outcome returned as data, never a library error.
 */
#ifndef MSC_CPU_REGS_H
#define MSC_CPU_REGS_H

#include "cpu/features.h"
#include "cpu/types.h"

struct gmem;
struct tlb;

/* CR0 (SDM Vol. 3 2.5, Figure 2-7) */
#define X86_CR0_PE BIT_ULL(0)
#define X86_CR0_MP BIT_ULL(1)
#define X86_CR0_EM BIT_ULL(2)
#define X86_CR0_TS BIT_ULL(3)
#define X86_CR0_ET BIT_ULL(4)
#define X86_CR0_NE BIT_ULL(5)
#define X86_CR0_WP BIT_ULL(16)
#define X86_CR0_AM BIT_ULL(18)
#define X86_CR0_NW BIT_ULL(29)
#define X86_CR0_CD BIT_ULL(30)
#define X86_CR0_PG BIT_ULL(31)

/* CR3 */
#define X86_CR3_PCID_MASK 0xfffULL
#define X86_CR3_PWT BIT_ULL(3)
#define X86_CR3_PCD BIT_ULL(4)
#define X86_CR3_NOFLUSH BIT_ULL(63) /* MOV to CR3 with CR4.PCIDE=1 only */

/* CR4 (SDM Vol. 3 2.5, Figure 2-7) */
#define X86_CR4_VME BIT_ULL(0)
#define X86_CR4_PVI BIT_ULL(1)
#define X86_CR4_TSD BIT_ULL(2)
#define X86_CR4_DE BIT_ULL(3)
#define X86_CR4_PSE BIT_ULL(4)
#define X86_CR4_PAE BIT_ULL(5)
#define X86_CR4_MCE BIT_ULL(6)
#define X86_CR4_PGE BIT_ULL(7)
#define X86_CR4_PCE BIT_ULL(8)
#define X86_CR4_OSFXSR BIT_ULL(9)
#define X86_CR4_OSXMMEXCPT BIT_ULL(10)
#define X86_CR4_UMIP BIT_ULL(11)
#define X86_CR4_LA57 BIT_ULL(12)
#define X86_CR4_VMXE BIT_ULL(13)
#define X86_CR4_SMXE BIT_ULL(14)
#define X86_CR4_FSGSBASE BIT_ULL(16)
#define X86_CR4_PCIDE BIT_ULL(17)
#define X86_CR4_OSXSAVE BIT_ULL(18)
#define X86_CR4_SMEP BIT_ULL(20)
#define X86_CR4_SMAP BIT_ULL(21)
#define X86_CR4_PKE BIT_ULL(22)

/* IA32_EFER, MSR 0xC0000080 (SDM Vol. 3 2.2.1; APM Vol. 2 3.1.7) */
#define X86_EFER_SCE BIT_ULL(0)
#define X86_EFER_LME BIT_ULL(8)
#define X86_EFER_LMA BIT_ULL(10)
#define X86_EFER_NXE BIT_ULL(11)
#define X86_EFER_SVME BIT_ULL(12)

/* RFLAGS */
#define X86_RFLAGS_FIXED BIT_ULL(1)
#define X86_RFLAGS_AC BIT_ULL(18)

/* Exception vectors */
#define X86_VEC_UD 6
#define X86_VEC_GP 13
#define X86_VEC_PF 14

/* Paging mode (SDM Vol. 3 4.1.1, Table 4-1). */
enum cpu_paging_mode {
	CPU_PAGING_NONE, /* CR0.PG=0 */
	CPU_PAGING_32, /* PG=1, PAE=0 */
	CPU_PAGING_PAE, /* PG=1, PAE=1, LMA=0 */
	CPU_PAGING_4LVL, /* PG=1, PAE=1, LMA=1, LA57=0 */
	CPU_PAGING_5LVL, /* PG=1, PAE=1, LMA=1, LA57=1 */
};

struct cpu_regs {
	u64 cr0, cr2, cr3, cr4, efer, rflags;
	u32 pkru;
	u8 cpl; /* 0..3 */
	bool cs_l; /* CS.L: 64-bit code segment (only meaningful with LMA) */
	bool smm; /* in system-management mode */
	bool guest_mode; /* running L2 (HF_GUEST_MASK in KVM) */
	/* PAE PDPTE registers, loaded from CR3 when PAE paging is (re)entered (SDM 4.4.1). */
	u64 pdpte[4];
};

/*
 * One vCPU's CPU model: registers plus the machine pieces register writes touch.
 * @mem is needed to load PAE PDPTEs (may be NULL: loads then see no memory and
 * #GP); @tlb (may be NULL) receives the flushes the SDM attaches to each write.
 */
struct cpu {
	struct cpu_regs r;
	const struct cpu_features *feat;
	struct gmem *mem;
	struct tlb *tlb;
	u16 vpid; /* TLB tag of this vCPU's current context (0 = host/L1) */
};

/* Outcome of an architectural register write. */
struct cpu_wr {
	u8 vector; /* 0 = accepted, X86_VEC_GP or X86_VEC_UD = refused, state unchanged */
	const char
		*rule; /* static text naming the rule and its SDM/APM section; NULL if accepted */
};

/* Reset @cpu->r to the power-on state (SDM Vol. 3 Table 9-1): CR0=0x60000010, rest 0. */
void cpu_reset(struct cpu *cpu);

/* Current paging mode derived from CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57. */
enum cpu_paging_mode cpu_paging_mode(const struct cpu_regs *r);

/* Current PCID (CR3[11:0] when CR4.PCIDE=1, else 0). */
u16 cpu_pcid(const struct cpu_regs *r);

/*
 * MOV to CR0 (SDM Vol. 2 MOV-Move to/from Control Registers; Vol. 3 2.5, 4.1.2,
 * 9.8.5). #GP: bits 63:32 set; PG without PE; NW without CD; PG 0->1 with
 * EFER.LME=1 and CR4.PAE=0; clearing PG while in 64-bit mode (LMA and CS.L) or
 * with CR4.PCIDE=1; PG 0->1 with EFER.LME=1 while CS.L=1 (as KVM's kvm_set_cr0());
 * entering PAE paging with an invalid PDPTE. ET is forced to 1.
 * Side effects on acceptance: EFER.LMA follows PG when LME=1; PDPTEs reload when
 * PAE paging results and PG/CD/NW changed; PG 1->0 flushes the whole TLB.
 */
struct cpu_wr cpu_write_cr0(struct cpu *cpu, u64 val);

/*
 * MOV to CR3. #GP on bits MAXPHYADDR..62 (and 63 unless CR4.PCIDE=1, where it is
 * the no-flush hint and is not stored), and in PAE paging on an invalid PDPTE.
 * TLB: PCIDE=0 flushes non-global entries of PCID 0; PCIDE=1 flushes non-global
 * entries of the new PCID unless bit 63 was set (SDM 4.10.4.1).
 */
struct cpu_wr cpu_write_cr3(struct cpu *cpu, u64 val);

/*
 * MOV to CR4. #GP on reserved or unsupported bits (per cpu_features), clearing
 * PAE with EFER.LMA=1, changing LA57 with EFER.LMA=1, setting PCIDE outside
 * IA-32e mode or with CR3[11:0]!=0, and in PAE paging on an invalid PDPTE when
 * PAE/PSE/PGE/SMEP change. TLB: PGE change or PCIDE 1->0 flush everything;
 * PAE change or SMEP 0->1 flush the current PCID (SDM 4.10.4.1).
 */
struct cpu_wr cpu_write_cr4(struct cpu *cpu, u64 val);

/*
 * WRMSR IA32_EFER. #GP on reserved bits (unknown bits, NXE without NX, LME or
 * LMA without LM, SVME without SVM) and on toggling LME while CR0.PG=1. LMA is
 * read-only: the written value's LMA bit is ignored.
 */
struct cpu_wr cpu_write_efer(struct cpu *cpu, u64 val);

/* Load RFLAGS (bit 1 forced set); never refused. */
struct cpu_wr cpu_write_rflags(struct cpu *cpu, u64 val);

/* Set the CPL (0..3; other values are refused with #GP as a guard). */
struct cpu_wr cpu_write_cpl(struct cpu *cpu, u8 cpl);

/* WRPKRU: #UD when CR4.PKE=0 (SDM Vol. 2 WRPKRU). */
struct cpu_wr cpu_write_pkru(struct cpu *cpu, u32 val);

/*
 * Load the four PAE PDPTE registers from CR3[31:5] (SDM 4.4.1). Returns true and
 * fills @out when every present PDPTE has no reserved bit set (bits 2:1, 8:5 and
 * MAXPHYADDR..63); false if one does or the PDPT is not backed by memory.
 * Reads the address space of the current mode (SMM -> 1).
 */
bool cpu_load_pdptes(const struct cpu *cpu, u64 cr3, u64 out[4]);

/* Reserved-bit mask of a PAE PDPTE for @f (SDM Table 4-8). */
u64 cpu_pae_pdpte_rsvd(const struct cpu_features *f);

#endif
