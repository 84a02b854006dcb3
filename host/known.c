/* SPDX-License-Identifier: MIT */
/*
 * The known-divergence table (docs/host.md, "Comparing and the divergence
 * table"): ways a runner is known to differ from the architecture, each with
 * its evidence. An entry explains a record only when the record differs from
 * an allowed outcome exactly as the entry says; nothing else is forgiven.
 */
#include <string.h>

#include "cpu/regs.h"
#include "cpu/walk.h"
#include "host/compare.h"

/*
 * tcg-rsvd-p: QEMU TCG reports a reserved-bit #PF with RSVD but without P
 * (0x8 for a read, where the SDM's Figure 4-12 and section 4.7 set P: 0x9).
 * Everything else (vector, CR2, the other error-code bits) must be equal.
 */
static bool tcg_rsvd_p(const struct lower_pred *p, const struct lower_outcome *o,
		       const struct hb_record *r)
{
	if (p->op != HB_OP_ACCESS || o->vector != X86_VEC_PF)
		return false;
	if (!(o->error_code & PFERR_RSVD) || !(o->error_code & PFERR_P))
		return false;
	return r->status == HB_ST_OK && r->vector == X86_VEC_PF && r->cr2 == o->cr2 &&
	       r->error_code == (o->error_code & ~(u32)PFERR_P);
}

/*
 * tcg-pae-pdpte-memory: QEMU TCG has no PAE PDPTE registers: its walk reads
 * the PDPTEs from memory at CR3 on every TLB fill, so after a PDPT edit
 * without a MOV to CR3 it translates through the new PDPTE where the SDM
 * (4.4.1) says the register loaded at the last MOV to CR3 is used. The record
 * must equal the walk through the memory PDPTEs exactly.
 */
static bool tcg_pae_pdpte_memory(const struct lower_pred *p, const struct lower_outcome *o,
				 const struct hb_record *r)
{
	struct lower_outcome m;

	(void)o;
	if (p->op != HB_OP_ACCESS || !p->has_pdpte_mem)
		return false;
	if (host_outcome_equal(&p->pdpte_mem, r, p->size))
		return true;
	/* ... and through a reserved bit of that PDPTE, with tcg-rsvd-p's error code. */
	m = p->pdpte_mem;
	if (m.vector != X86_VEC_PF || !(m.error_code & PFERR_RSVD))
		return false;
	m.error_code &= ~(u32)PFERR_P;
	return host_outcome_equal(&m, r, p->size);
}

/* A reserved-bit #PF predicted where the runner completed the access. */
static bool rsvd_fault_completed(const struct lower_pred *p, const struct lower_outcome *o,
				 const struct hb_record *r)
{
	return p->op == HB_OP_ACCESS && o->vector == X86_VEC_PF && (o->error_code & PFERR_RSVD) &&
	       r->status == HB_ST_OK && r->vector == HB_NO_VECTOR;
}

/*
 * tcg-1g-without-pdpe1gb: with "-cpu max,pdpe1gb=off" QEMU TCG still maps a
 * PDPTE with PS as a 1 GiB page, where a CPU without 1 GiB pages (CPUID
 * 80000001H:EDX[26] clear) treats PS there as reserved (SDM Table 4-15).
 */
static bool tcg_1g_without_pdpe1gb(const struct lower_pred *p, const struct lower_outcome *o,
				   const struct hb_record *r)
{
	return rsvd_fault_completed(p, o, r) && p->fault_level == 3 && (p->fault_pte & 0x80);
}

/*
 * tcg-amd-pml4e-bit8: AMD CPUs treat bit 8 of a PML4E (and PML5E) as reserved
 * (APM Vol. 2 5.3.3, "MBZ"); QEMU TCG does not check it and walks on.
 */
static bool tcg_amd_pml4e_bit8(const struct lower_pred *p, const struct lower_outcome *o,
			       const struct hb_record *r)
{
	return rsvd_fault_completed(p, o, r) && p->fault_level >= 4 && (p->fault_pte & 0x100) &&
	       !(p->fault_pte & 0x80);
}

/*
 * tcg-smm-save-partial: QEMU's do_smm_enter() stores CR0, CR4, DR6, DR7 and
 * RFLAGS into the low halves of their 8-byte fields of the 64-bit state save
 * area and does not store the reserved bytes at all; KVM's enter_smm() (the
 * simulator) writes all 512 bytes, zero where it has nothing. A READ of such
 * bytes must give exactly what they held before the SMI (lower.c's
 * smm_old_value) in them, and the predicted value everywhere else.
 */
static bool tcg_smm_save_partial(const struct lower_pred *p, const struct lower_outcome *o,
				 const struct hb_record *r)
{
	u64 m = p->size >= 8 ? ~0ULL : (1ULL << (8 * p->size)) - 1;

	(void)o;
	return p->op == HB_OP_READ && p->has_smm_old && r->status == HB_ST_OK &&
	       ((r->value ^ p->smm_old_value) & m) == 0;
}

/*
 * tcg-npf-rsvd-p: in an #NPF on a reserved bit of a nested entry, QEMU TCG's
 * EXITINFO1 has RSVD without P, where AMD's (and KVM's nested walker, the
 * simulator) has P set; EXITINFO2 and every other bit must be equal.
 */
static bool tcg_npf_rsvd_p(const struct lower_pred *p, const struct lower_outcome *o,
			   const struct hb_record *r)
{
	if (p->op != HB_OP_ACCESS || !o->npf)
		return false;
	if (!(o->exitinfo1 & PFERR_RSVD) || !(o->exitinfo1 & PFERR_P))
		return false;
	return r->status == HB_ST_OK && r->vector == HB_NO_VECTOR && r->rflags == HB_RF_NPF &&
	       r->cr2 == o->exitinfo2 && r->value == (o->exitinfo1 & ~PFERR_P);
}

/*
 * tcg-amd-npt-bit8: bit 8 of an nPML4E is reserved on AMD (APM Vol. 2 5.3.3;
 * KVM's nested walker, the simulator, faults on it); QEMU TCG walks on and the
 * L2 access completes. The lowering marks the #NPF whose NPT walk has no other
 * reserved bit (lower.h fault_level/fault_pte).
 */
static bool tcg_amd_npt_bit8(const struct lower_pred *p, const struct lower_outcome *o,
			     const struct hb_record *r)
{
	return p->op == HB_OP_ACCESS && o->npf && (o->exitinfo1 & PFERR_RSVD) &&
	       p->fault_level == 4 && (p->fault_pte & 0x100) && !(p->fault_pte & 0x80) &&
	       r->status == HB_ST_OK && r->vector == HB_NO_VECTOR && !r->rflags;
}

/*
 * tcg-npf-fetch-smep: the fetch bit of an #NPF's EXITINFO1 is set, as of a
 * #PF, when the walk's paging has NX or SMEP; the NPT walk's are L1's (host
 * CR4/EFER). KVM's nested walker (the simulator) sets it with L1's CR4.SMEP
 * alone; QEMU TCG looks at EFER.NXE only. Everything else must be equal.
 */
static bool tcg_npf_fetch_smep(const struct lower_pred *p, const struct lower_outcome *o,
			       const struct hb_record *r)
{
	if (p->op != HB_OP_ACCESS || !o->npf || !p->l1_smep_no_nx || !(o->exitinfo1 & PFERR_FETCH))
		return false;
	return r->status == HB_ST_OK && r->vector == HB_NO_VECTOR && r->rflags == HB_RF_NPF &&
	       r->cr2 == o->exitinfo2 && r->value == (o->exitinfo1 & ~PFERR_FETCH);
}

static const struct known_divergence table[] = {
	{
		.id = "tcg-rsvd-p",
		.runners = "qemu-tcg",
		.applies = tcg_rsvd_p,
		.desc = "TCG's reserved-bit #PF error code lacks P (e.g. 0x8 where the SDM gives "
			"0x9)",
		.evidence = "../shared/docs/host-backend-notes.md (\"Known TCG divergence\", QEMU "
			    "7.2 and newer; QEMU target/i386/tcg/sysemu/excp_helper.c raises "
			    "reserved-bit faults with PG_ERROR_RSVD_MASK alone); SDM Vol. 3 4.7; "
			    "measured here by tests/host/run-host-tests.sh on "
			    "scenarios/teaching/03-paging-pae.json and 11-reserved-bits.json",
	},
	{
		.id = "tcg-pae-pdpte-memory",
		.runners = "qemu-tcg",
		.applies = tcg_pae_pdpte_memory,
		.desc = "TCG has no PAE PDPTE registers: after a PDPT edit without a CR3 load it "
			"walks through the PDPTE in memory (SDM 4.4.1: the register is used)",
		.evidence =
			"QEMU target/i386/tcg/sysemu/excp_helper.c (mmu_translate reads the "
			"PDPTE at CR3 + 8 * index on each walk); measured here by "
			"tests/host/known/tcg-pae-pdpte-memory.json (tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-1g-without-pdpe1gb",
		.runners = "qemu-tcg",
		.applies = tcg_1g_without_pdpe1gb,
		.desc = "TCG maps a 1 GiB PDPTE although its CPU model has pdpe1gb=off (SDM "
			"Table 4-15: PS is then reserved)",
		.evidence = "measured here: scenarios/teaching/11-reserved-bits.json step 19 under "
			    "\"-cpu max,pdpe1gb=off\" (tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-amd-pml4e-bit8",
		.runners = "qemu-tcg",
		.applies = tcg_amd_pml4e_bit8,
		.desc = "TCG ignores bit 8 of a PML4E, reserved (MBZ) on AMD CPUs",
		.evidence =
			"APM Vol. 2 5.3.3 (PML4E bit 8 MBZ); ../shared/docs/host-backend-notes.md "
			"(the same unchecked bit in NPT entries); measured here: "
			"scenarios/teaching/11-reserved-bits.json step 18 "
			"(tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-npf-rsvd-p",
		.runners = "qemu-tcg",
		.applies = tcg_npf_rsvd_p,
		.desc = "TCG's #NPF on a reserved bit of a nested entry has EXITINFO1 with RSVD "
			"and without P (0x10000000c where KVM's nested walker gives 0x10000000d)",
		.evidence = "../shared/docs/host-backend-notes.md (\"in NPT, the #NPF error code "
			    "also lacks P on reserved-bit faults\"); measured here by "
			    "tests/host/known/tcg-npt-reserved.json step 12 "
			    "(tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-amd-npt-bit8",
		.runners = "qemu-tcg",
		.applies = tcg_amd_npt_bit8,
		.desc = "TCG ignores bit 8 of an nPML4E, reserved (MBZ) on AMD CPUs: the L2 "
			"access completes where the simulator reflects a reserved-bit #NPF",
		.evidence = "APM Vol. 2 5.3.3; ../shared/docs/host-backend-notes.md (\"AMD's "
			    "reserved bit 8 in upper-level NPT entries is not enforced\"); "
			    "measured here by tests/host/known/tcg-npt-reserved.json step 13 "
			    "(tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-npf-fetch-smep",
		.runners = "qemu-tcg",
		.applies = tcg_npf_fetch_smep,
		.desc = "TCG's #NPF of an L2 fetch lacks the fetch bit when L1 has CR4.SMEP and no "
			"EFER.NXE (0x100000004 where KVM's nested walker gives 0x100000014)",
		.evidence = "../shared/docs/host-backend-notes.md (\"the fetch bit ignores the "
			    "host's CR4.SMEP\"); measured here by "
			    "tests/host/known/tcg-npf-fetch-smep.json step 10 "
			    "(tests/host/run-host-tests.sh)",
	},
	{
		.id = "tcg-smm-save-partial",
		.runners = "qemu-tcg",
		.applies = tcg_smm_save_partial,
		.desc = "TCG's SMI leaves state save area bytes it does not store (the high "
			"halves of CR0/CR4/DR6/DR7/RFLAGS, reserved bytes) as they were, where "
			"KVM's enter_smm() writes all 512 bytes",
		.evidence =
			"QEMU target/i386/tcg/sysemu/smm_helper.c do_smm_enter() (4-byte "
			"x86_stl_phys of those fields); KVM arch/x86/kvm/smm.c enter_smm() "
			"(memset of the buffer, 8-byte fields); measured here by "
			"tests/host/known/tcg-smm-save-partial.json (tests/host/run-host-tests.sh)",
	},
};

const struct known_divergence *host_known_table(size_t *n)
{
	*n = MSC_ARRAY_SIZE(table);
	return table;
}

static bool runner_listed(const char *list, const char *runner)
{
	size_t len = strlen(runner);

	for (const char *s = list; s && *s;) {
		const char *end = strchr(s, ' ');
		size_t l = end ? (size_t)(end - s) : strlen(s);

		if (l == len && !strncmp(s, runner, len))
			return true;
		s = end ? end + 1 : NULL;
	}
	return false;
}

const struct known_divergence *host_known_explain(const char *runner, const struct lower_pred *p,
						  const struct hb_record *r)
{
	if (!runner)
		return NULL;
	for (size_t i = 0; i < MSC_ARRAY_SIZE(table); i++) {
		if (!runner_listed(table[i].runners, runner))
			continue;
		for (unsigned k = 0; k < p->noutcomes; k++)
			if (table[i].applies(p, &p->outcomes[k], r))
				return &table[i];
		/* A READ (or MODE) has no outcomes: the entry judges the value alone. */
		if (!p->noutcomes) {
			const struct lower_outcome none = {.vector = HB_NO_VECTOR};

			if (table[i].applies(p, &none, r))
				return &table[i];
		}
	}
	return NULL;
}
