/* SPDX-License-Identifier: MIT */
/*
 * Register writes with the SDM/APM rules applied: CR0, CR3, CR4, EFER, RFLAGS,
 * CPL and PKRU, the PAE PDPTE registers they load, and the TLB flushes they cause.
 */
#include "cpu/regs.h"

#include <string.h>

#include "cpu/mem.h"
#include "cpu/tlb.h"

/*
 * Every write follows one pattern: compute the complete new state in locals,
 * check every rule against it, and only then store it and flush the TLB. A
 * refused write therefore leaves cpu->r and the TLB exactly as they were.
 * The checks are those of KVM's kvm_set_cr0()/kvm_set_cr3()/kvm_set_cr4()/
 * set_efer() (arch/x86/kvm/x86.c), which follow the SDM; where KVM silently
 * drops bits instead of faulting, so does the model (CR0[31:0] reserved bits).
 *
 * Not modelled: the CPL 0 requirement of MOV to CR / WRMSR (these functions
 * are the register load, as in KVM's kvm_set_crN(); the privilege check belongs
 * to the instruction), and 32-bit operand truncation outside 64-bit mode.
 */

static const struct cpu_wr wr_ok = {0, NULL};

static struct cpu_wr wr_refuse(u8 vector, const char *rule)
{
	struct cpu_wr w = {vector, rule};
	return w;
}

static struct cpu_wr gp(const char *rule)
{
	return wr_refuse(X86_VEC_GP, rule);
}

/* ---------------------------------------------------------------------------
 * Reset and derived state
 */

void cpu_reset(struct cpu *cpu)
{
	/*
	 * Power-up/RESET state (SDM Vol. 3 9.1.1, Table 9-1): CR0 = 60000010H
	 * (CD, NW, ET), CR2/CR3/CR4 = 0, EFER = 0, EFLAGS = 00000002H, CPL 0 in
	 * real mode. PKRU = 0 as in KVM's vCPU reset. The TLB is left alone: the
	 * flush that goes with RESET/INIT is the caller's (sim/) job.
	 */
	memset(&cpu->r, 0, sizeof(cpu->r));
	cpu->r.cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	cpu->r.rflags = X86_RFLAGS_FIXED;
}

/*
 * SDM Vol. 3 4.1.1, Table 4-1:
 *   PG=0                         no paging
 *   PG=1 PAE=0                   32-bit paging (LME=1 here is refused on PG 0->1)
 *   PG=1 PAE=1 LMA=0             PAE paging
 *   PG=1 PAE=1 LMA=1 LA57=0/1    4-level / 5-level paging
 */
enum cpu_paging_mode cpu_paging_mode(const struct cpu_regs *r)
{
	if (!(r->cr0 & X86_CR0_PG))
		return CPU_PAGING_NONE;
	if (!(r->cr4 & X86_CR4_PAE))
		return CPU_PAGING_32;
	if (!(r->efer & X86_EFER_LMA))
		return CPU_PAGING_PAE;
	return (r->cr4 & X86_CR4_LA57) ? CPU_PAGING_5LVL : CPU_PAGING_4LVL;
}

/* SDM Vol. 3 4.10.1: the current PCID is CR3[11:0] when CR4.PCIDE=1, else 000H. */
u16 cpu_pcid(const struct cpu_regs *r)
{
	if (!(r->cr4 & X86_CR4_PCIDE))
		return 0;
	return (u16)(r->cr3 & X86_CR3_PCID_MASK);
}

/* ---------------------------------------------------------------------------
 * PAE PDPTE registers (SDM Vol. 3 4.4.1)
 *
 * PAE PDPTE, as loaded into a PDPTE register (SDM Vol. 3 Table 4-8):
 *
 *   63:M   reserved (0)          M = MAXPHYADDR; includes bit 63 (no XD here)
 *   M-1:12 physical address of the page directory
 *   11:9   ignored
 *   8:5    reserved (0)
 *   4      PCD
 *   3      PWT
 *   2:1    reserved (0)          (no R/W, no U/S at this level)
 *   0      P
 *
 * A reserved bit in a present PDPTE makes the MOV that loads it #GP (SDM Vol. 2
 * MOV CR; Vol. 3 4.4.1); a non-present PDPTE is not checked.
 */

#define PAE_PDPTE_RSVD_LOW (GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))
/* The PDPT is 32-byte aligned and below 4 GiB: CR3 bits 31:5 (SDM Vol. 3 4.4.1, Table 4-7). */
#define PAE_CR3_PDPT_MASK GENMASK_ULL(31, 5)
#define PAE_PDPTE_P BIT_ULL(0)

u64 cpu_pae_pdpte_rsvd(const struct cpu_features *f)
{
	return PAE_PDPTE_RSVD_LOW | cpu_pa_rsvd_mask(f);
}

bool cpu_load_pdptes(const struct cpu *cpu, u64 cr3, u64 out[4])
{
	/* SMRAM and normal memory are separate address spaces (KVM as_id). */
	u8 as = cpu->r.smm ? 1 : 0;
	gpa_t pdpt = cr3 & PAE_CR3_PDPT_MASK;
	u64 rsvd = cpu_pae_pdpte_rsvd(cpu->feat);
	u64 e[4];

	if (!cpu->mem)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		if (gmem_read64(cpu->mem, as, pdpt + 8ULL * i, &e[i]) != 0)
			return false;
		if ((e[i] & PAE_PDPTE_P) && (e[i] & rsvd))
			return false;
	}
	memcpy(out, e, sizeof(e));
	return true;
}

/* PAE paging would be in use with these values (SDM Vol. 3 4.1.1). */
static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & X86_EFER_LMA);
}

/* ---------------------------------------------------------------------------
 * CR0 (SDM Vol. 3 2.5, Figure 2-7)
 *
 *   31 PG  30 CD  29 NW  18 AM  16 WP  5 NE  4 ET  3 TS  2 EM  1 MP  0 PE
 *   63:32 reserved (#GP); the other bits of 31:0 are reserved and KVM drops
 *   them silently (kvm_set_cr0(): cr0 &= ~CR0_RESERVED_BITS).
 */

#define CR0_KNOWN                                                                      \
	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | \
	 X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)

struct cpu_wr cpu_write_cr0(struct cpu *cpu, u64 val)
{
	struct cpu_regs *r = &cpu->r;
	u64 old = r->cr0;
	u64 efer = r->efer;
	u64 pdpte[4];
	bool load_pdpte = false;
	bool pg_on, pg_off;

	if (val & GENMASK_ULL(63, 32))
		return gp("CR0: bits 63:32 are reserved (SDM Vol. 2 MOV CR; Vol. 3 2.5)");
	/* ET is hardwired to 1 since the i486 (SDM Vol. 3 2.5). */
	val = (val & CR0_KNOWN) | X86_CR0_ET;

	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return gp("CR0: PG=1 requires PE=1 (SDM Vol. 2 MOV CR; Vol. 3 2.5)");
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return gp("CR0: NW=1 requires CD=1 (SDM Vol. 2 MOV CR; Vol. 3 2.5, Table 11-5)");

	pg_on = !(old & X86_CR0_PG) && (val & X86_CR0_PG);
	pg_off = (old & X86_CR0_PG) && !(val & X86_CR0_PG);

	if (pg_on && (efer & X86_EFER_LME)) {
		/* Activating IA-32e mode (SDM Vol. 3 9.8.5; APM Vol. 2 14.6.1). */
		if (!(r->cr4 & X86_CR4_PAE))
			return gp("CR0: setting PG with EFER.LME=1 requires CR4.PAE=1 "
				  "(SDM Vol. 3 9.8.5; APM Vol. 2 14.6.1)");
		if (r->cs_l)
			return gp("CR0: setting PG with EFER.LME=1 while CS.L=1 (SDM Vol. 3 9.8.5; "
				  "KVM kvm_set_cr0())");
		efer |= X86_EFER_LMA;
	}
	if (pg_off) {
		/* Leaving paging: only from compatibility mode, never from 64-bit mode. */
		if ((efer & X86_EFER_LMA) && r->cs_l)
			return gp("CR0: clearing PG in 64-bit mode (EFER.LMA=1, CS.L=1) "
				  "(SDM Vol. 3 9.8.5.4; APM Vol. 2 14.7)");
		/* SDM Vol. 3 4.10.1: PG cannot be cleared while CR4.PCIDE=1. */
		if (r->cr4 & X86_CR4_PCIDE)
			return gp("CR0: clearing PG with CR4.PCIDE=1 (SDM Vol. 2 MOV CR; Vol. 3 "
				  "4.10.1)");
		efer &= ~X86_EFER_LMA;
	}

	/*
	 * SDM Vol. 3 4.4.1: MOV to CR0 that leaves PAE paging in use and changes
	 * PG, CD or NW loads the PDPTEs from CR3 (KVM: X86_CR0_PDPTR_BITS; the
	 * test is !EFER.LME as in kvm_set_cr0()).
	 */
	if ((val & X86_CR0_PG) && (r->cr4 & X86_CR4_PAE) && !(efer & X86_EFER_LME) &&
	    ((val ^ old) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW))) {
		if (!cpu_load_pdptes(cpu, r->cr3, pdpte))
			return gp("CR0: PAE paging with an invalid PDPTE: reserved bit set or PDPT "
				  "not in memory (SDM Vol. 3 4.4.1)");
		load_pdpte = true;
	}

	r->cr0 = val;
	r->efer = efer;
	if (load_pdpte)
		memcpy(r->pdpte, pdpte, sizeof(pdpte));

	/*
	 * SDM Vol. 3 4.10.4.1: a MOV to CR0 that clears PG invalidates every TLB
	 * entry, globals included, for all PCIDs. WP/CD/NW changes flush nothing:
	 * rights are applied when an entry is used.
	 */
	if (pg_off && cpu->tlb)
		tlb_flush_vpid(cpu->tlb, cpu->vpid, true);
	return wr_ok;
}

/* ---------------------------------------------------------------------------
 * CR3 (SDM Vol. 3 4.5, Table 4-12; 4.10.4.1)
 *
 *   63     with CR4.PCIDE=1: no-flush hint, never stored; else reserved
 *   62:M   reserved (#GP)            M = MAXPHYADDR
 *   M-1:12 physical base of the top table (PAE: 31:5 is the PDPT)
 *   11:0   PCID with CR4.PCIDE=1; else PCD (4), PWT (3), rest ignored
 */

struct cpu_wr cpu_write_cr3(struct cpu *cpu, u64 val)
{
	struct cpu_regs *r = &cpu->r;
	bool pcide = r->cr4 & X86_CR4_PCIDE;
	bool noflush = false;
	u64 pdpte[4];
	bool load_pdpte = false;

	if (pcide) {
		noflush = val & X86_CR3_NOFLUSH;
		val &= ~X86_CR3_NOFLUSH;
	}
	if (val & cpu_pa_rsvd_mask(cpu->feat) & ~X86_CR3_NOFLUSH)
		return gp("CR3: bits 62:MAXPHYADDR are reserved (SDM Vol. 3 4.5, Table 4-12)");
	if (val & X86_CR3_NOFLUSH)
		return gp("CR3: bit 63 is reserved unless CR4.PCIDE=1 (SDM Vol. 3 4.5, 4.10.4.1)");

	/* SDM Vol. 3 4.4.1: MOV to CR3 in PAE paging loads the PDPTEs. */
	if (pae_paging(r->cr0, r->cr4, r->efer)) {
		if (!cpu_load_pdptes(cpu, val, pdpte))
			return gp("CR3: PAE paging with an invalid PDPTE: reserved bit set or PDPT "
				  "not in memory (SDM Vol. 3 4.4.1)");
		load_pdpte = true;
	}

	r->cr3 = val;
	if (load_pdpte)
		memcpy(r->pdpte, pdpte, sizeof(pdpte));

	/*
	 * SDM Vol. 3 4.10.4.1: MOV to CR3 invalidates the non-global entries of
	 * the PCID it installs (PCID 000H when PCIDE=0), unless PCIDE=1 and bit
	 * 63 of the source was set. Writing the current value again still flushes.
	 */
	if (cpu->tlb && !noflush)
		tlb_flush_pcid(cpu->tlb, cpu->vpid, cpu_pcid(r), false);
	return wr_ok;
}

/* ---------------------------------------------------------------------------
 * CR4 (SDM Vol. 3 2.5, Figure 2-7)
 *
 * Bits the model knows; every bit not listed here (SMXE 14, 15, 19, 23..63:
 * CET, PKS, LAM and the like are not modelled) is reserved and sets #GP.
 */

#define CR4_ALWAYS                                                                          \
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_MCE | X86_CR4_PCE | \
	 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_OSXSAVE)

/* CR4 bits that exist only when CPUID reports their feature (KVM __cr4_reserved_bits()). */
#define CR4_FEATURE_BITS                                                                         \
	(X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_LA57 | X86_CR4_VMXE | X86_CR4_PCIDE | \
	 X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE)
#define CR4_KNOWN (CR4_ALWAYS | CR4_FEATURE_BITS)

/* The feature-dependent CR4 bits this CPU supports. */
static u64 cr4_supported(const struct cpu_features *f)
{
	u64 m = 0;

	m |= f->pse ? X86_CR4_PSE : 0; /* CPUID.01H:EDX[3] */
	m |= f->pae ? X86_CR4_PAE : 0; /* CPUID.01H:EDX[6] */
	m |= f->pge ? X86_CR4_PGE : 0; /* CPUID.01H:EDX[13] */
	m |= f->la57 ? X86_CR4_LA57 : 0; /* CPUID.07H:ECX[16] */
	m |= f->vmx ? X86_CR4_VMXE : 0; /* CPUID.01H:ECX[5] */
	m |= f->pcid ? X86_CR4_PCIDE : 0; /* CPUID.01H:ECX[17] */
	m |= f->smep ? X86_CR4_SMEP : 0; /* CPUID.07H:EBX[7] */
	m |= f->smap ? X86_CR4_SMAP : 0; /* CPUID.07H:EBX[20] */
	m |= f->pku ? X86_CR4_PKE : 0; /* CPUID.07H:ECX[3] */
	return m;
}

#define CR4_UNSUP(name) "CR4." name ": set without CPUID support (SDM Vol. 2 MOV CR; Vol. 3 2.5)"

static const struct {
	u64 bit;
	const char *rule;
} cr4_unsupported_rules[] = {
	{X86_CR4_PSE, CR4_UNSUP("PSE")},   {X86_CR4_PAE, CR4_UNSUP("PAE")},
	{X86_CR4_PGE, CR4_UNSUP("PGE")},   {X86_CR4_LA57, CR4_UNSUP("LA57")},
	{X86_CR4_VMXE, CR4_UNSUP("VMXE")}, {X86_CR4_PCIDE, CR4_UNSUP("PCIDE")},
	{X86_CR4_SMEP, CR4_UNSUP("SMEP")}, {X86_CR4_SMAP, CR4_UNSUP("SMAP")},
	{X86_CR4_PKE, CR4_UNSUP("PKE")},
};

struct cpu_wr cpu_write_cr4(struct cpu *cpu, u64 val)
{
	struct cpu_regs *r = &cpu->r;
	u64 old = r->cr4;
	u64 chg = old ^ val;
	bool lma = r->efer & X86_EFER_LMA;
	u64 unsup;
	u64 pdpte[4];
	bool load_pdpte = false;

	if (val & ~CR4_KNOWN)
		return gp("CR4: reserved bit set (SMXE, 15, 19, 23..63 are reserved in the model) "
			  "(SDM Vol. 2 MOV CR; Vol. 3 2.5)");
	unsup = val & CR4_FEATURE_BITS & ~cr4_supported(cpu->feat);
	for (size_t i = 0; unsup && i < MSC_ARRAY_SIZE(cr4_unsupported_rules); i++) {
		if (unsup & cr4_unsupported_rules[i].bit)
			return gp(cr4_unsupported_rules[i].rule);
	}

	if (lma && !(val & X86_CR4_PAE))
		return gp("CR4: clearing PAE with EFER.LMA=1 (SDM Vol. 2 MOV CR; Vol. 3 9.8.5)");
	if (lma && (chg & X86_CR4_LA57))
		return gp("CR4: changing LA57 with EFER.LMA=1 (SDM Vol. 2 MOV CR; Vol. 3 2.5)");
	if (!(old & X86_CR4_PCIDE) && (val & X86_CR4_PCIDE)) {
		/* SDM Vol. 3 4.10.1: PCIDE can be set only in IA-32e mode with PCID 000H. */
		if (!lma)
			return gp("CR4: setting PCIDE with EFER.LMA=0 (SDM Vol. 2 MOV CR; "
				  "Vol. 3 4.10.1)");
		if (r->cr3 & X86_CR3_PCID_MASK)
			return gp("CR4: setting PCIDE with CR3[11:0] != 0 (SDM Vol. 2 MOV CR; "
				  "Vol. 3 4.10.1)");
	}

	/*
	 * SDM Vol. 3 4.4.1: MOV to CR4 that leaves PAE paging in use and changes
	 * PAE, PSE, PGE or SMEP loads the PDPTEs from CR3 (KVM: X86_CR4_PDPTR_BITS).
	 */
	if (pae_paging(r->cr0, val, r->efer) &&
	    (chg & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE | X86_CR4_SMEP))) {
		if (!cpu_load_pdptes(cpu, r->cr3, pdpte))
			return gp("CR4: PAE paging with an invalid PDPTE: reserved bit set or PDPT "
				  "not in memory (SDM Vol. 3 4.4.1)");
		load_pdpte = true;
	}

	r->cr4 = val;
	if (load_pdpte)
		memcpy(r->pdpte, pdpte, sizeof(pdpte));

	/*
	 * SDM Vol. 3 4.10.4.1, MOV to CR4:
	 * - PGE changed, or PCIDE 1->0: every entry of every PCID, globals too;
	 * - else PAE changed, or SMEP 0->1: every entry of the current PCID,
	 *   globals too.
	 * Other bits (SMAP, PKE, ...) flush nothing: rights apply at use.
	 */
	if (cpu->tlb) {
		if ((chg & X86_CR4_PGE) || ((old & X86_CR4_PCIDE) && !(val & X86_CR4_PCIDE)))
			tlb_flush_vpid(cpu->tlb, cpu->vpid, true);
		else if ((chg & X86_CR4_PAE) || (!(old & X86_CR4_SMEP) && (val & X86_CR4_SMEP)))
			tlb_flush_pcid(cpu->tlb, cpu->vpid, cpu_pcid(r), true);
	}
	return wr_ok;
}

/* ---------------------------------------------------------------------------
 * IA32_EFER, MSR C0000080H (SDM Vol. 3 2.2.1, Table 2-1; APM Vol. 2 3.1.7)
 *
 *   0 SCE   8 LME (needs LM)   10 LMA (read-only; needs LM)   11 NXE (needs NX)
 *   12 SVME (needs SVM)        every other bit reserved (#GP)
 *
 * KVM's __kvm_valid_efer() also refuses LMA without LM: on a CPU without long
 * mode bit 10 is a reserved bit like any other.
 */

struct cpu_wr cpu_write_efer(struct cpu *cpu, u64 val)
{
	struct cpu_regs *r = &cpu->r;
	const struct cpu_features *f = cpu->feat;

	if (val & ~(X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE | X86_EFER_SVME))
		return gp("EFER: reserved bit set (SDM Vol. 3 2.2.1; APM Vol. 2 3.1.7)");
	if ((val & (X86_EFER_LME | X86_EFER_LMA)) && !f->lm)
		return gp("EFER: LME/LMA set without CPUID long mode (80000001H:EDX[29]) "
			  "(SDM Vol. 3 2.2.1)");
	if ((val & X86_EFER_NXE) && !f->nx)
		return gp("EFER: NXE set without CPUID NX (80000001H:EDX[20]) (SDM Vol. 3 2.2.1)");
	if ((val & X86_EFER_SVME) && !f->svm)
		return gp("EFER: SVME set without CPUID SVM (80000001H:ECX[2]) (APM Vol. 2 3.1.7)");
	if ((r->cr0 & X86_CR0_PG) && ((val ^ r->efer) & X86_EFER_LME))
		return gp("EFER: changing LME with CR0.PG=1 (SDM Vol. 3 9.8.5; APM Vol. 2 3.1.7)");

	/* LMA is set and cleared only by the CR0.PG transition (SDM Vol. 3 9.8.5). */
	r->efer = (val & ~X86_EFER_LMA) | (r->efer & X86_EFER_LMA);
	/* No TLB effect: NXE is applied when an entry is used (KVM resets the MMU context). */
	return wr_ok;
}

/* ---------------------------------------------------------------------------
 * RFLAGS, CPL, PKRU
 */

struct cpu_wr cpu_write_rflags(struct cpu *cpu, u64 val)
{
	/* Bit 1 reads as 1 (SDM Vol. 1 3.4.3, Figure 3-8). */
	cpu->r.rflags = val | X86_RFLAGS_FIXED;
	return wr_ok;
}

struct cpu_wr cpu_write_cpl(struct cpu *cpu, u8 cpl)
{
	if (cpl > 3)
		return gp("CPL: must be 0..3 (guard on scenario input, not an architectural write; "
			  "SDM Vol. 3 5.5)");
	cpu->r.cpl = cpl;
	return wr_ok;
}

struct cpu_wr cpu_write_pkru(struct cpu *cpu, u32 val)
{
	if (!(cpu->r.cr4 & X86_CR4_PKE))
		return wr_refuse(X86_VEC_UD, "WRPKRU: #UD with CR4.PKE=0 (SDM Vol. 2 WRPKRU)");
	cpu->r.pkru = val;
	return wr_ok;
}
