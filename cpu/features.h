/* SPDX-License-Identifier: MIT */
/*
 * The CPUID feature model: which paging features the simulated CPU reports.
 * Register writes (#GP on unsupported bits), reserved-bit masks and the walker
 * all read this one struct.
 */
#ifndef MSC_CPU_FEATURES_H
#define MSC_CPU_FEATURES_H

#include "cpu/types.h"

enum cpu_vendor {
	CPU_VENDOR_INTEL,
	CPU_VENDOR_AMD,
};

/*
 * EPT capabilities (SDM Vol. 3 Appendix A.10, IA32_VMX_EPT_VPID_CAP):
 * bit 0 execute-only, bit 6 4-level walk, bit 7 5-level walk, bit 16 2 MiB
 * pages, bit 17 1 GiB pages, bit 21 accessed/dirty flags.
 */
struct cpu_ept_caps {
	bool walk4; /* page-walk length 4 supported */
	bool walk5; /* page-walk length 5 supported */
	bool execonly; /* execute-only translations (XWR=100) */
	bool ad; /* EPT accessed and dirty flags */
	bool huge_2m; /* 2 MiB EPT leaves (PS in EPT PDE) */
	bool huge_1g; /* 1 GiB EPT leaves (PS in EPT PDPTE) */
	bool vpid; /* VPID tagging of TLB entries */
};

struct cpu_features {
	enum cpu_vendor vendor;
	u8 maxphyaddr; /* CPUID.80000008H:EAX[7:0], 32..52 */
	/* CPUID.01H:EDX */
	bool pse; /* bit 3: CR4.PSE, 4 MiB pages in 32-bit paging */
	bool pae; /* bit 6: CR4.PAE */
	bool pge; /* bit 13: CR4.PGE, global pages */
	bool pse36; /* bit 17: PDE bits 20:13 hold PA bits 39:32 */
	/* CPUID.80000001H:EDX */
	bool nx; /* bit 20: EFER.NXE */
	bool gbpages; /* bit 26: 1 GiB pages */
	bool lm; /* bit 29: long mode, EFER.LME */
	/* CPUID.07H:ECX/EBX, CPUID.01H:ECX */
	bool la57; /* 07H:ECX bit 16: CR4.LA57, 5-level paging */
	bool smep; /* 07H:EBX bit 7: CR4.SMEP */
	bool smap; /* 07H:EBX bit 20: CR4.SMAP */
	bool pku; /* 07H:ECX bit 3: CR4.PKE, PKRU */
	bool pcid; /* 01H:ECX bit 17: CR4.PCIDE */
	bool invpcid; /* 07H:EBX bit 10: INVPCID */
	/* nested virtualization */
	bool vmx; /* 01H:ECX bit 5 (Intel only) */
	struct cpu_ept_caps ept;
	bool svm; /* 80000001H:ECX bit 2 (AMD only) */
	bool npt; /* 8000000AH:EDX bit 0: nested paging */
};

/*
 * Fill @f with a modern CPU of @vendor: every paging feature on, MAXPHYADDR 46
 * (Intel) or 48 (AMD), VMX with full EPT caps on Intel, SVM+NPT on AMD.
 */
void cpu_features_default(struct cpu_features *f, enum cpu_vendor vendor);

/*
 * Check that @f describes a CPU that can exist: MAXPHYADDR in 32..52, PSE-36
 * only with PSE, LA57/gbpages only with long mode, VMX only on Intel and SVM
 * only on AMD, EPT caps only with VMX, NPT only with SVM, at least one EPT walk
 * length when VMX is on. Returns 0 or MSC_EINVAL; *why (may be NULL) gets a
 * static description of the first violated rule.
 */
int cpu_features_check(const struct cpu_features *f, const char **why) MSC_MUST_CHECK;

/* Mask of guest-physical address bits MAXPHYADDR..63 (reserved in entries). */
static inline u64 cpu_pa_rsvd_mask(const struct cpu_features *f)
{
	return f->maxphyaddr >= 64 ? 0 : ~0ULL << f->maxphyaddr;
}

#endif
