/* SPDX-License-Identifier: MIT */
/*
 * The CPUID feature model: default Intel/AMD CPUs and the consistency check that
 * rejects feature sets no real CPU reports.
 */
#include "cpu/features.h"

#include <string.h>

#include "cpu/err.h"

/*
 * MAXPHYADDR bounds: CPUID.80000008H:EAX[7:0] is at least 36 on any CPU with PAE
 * and at most 52 (SDM Vol. 3 4.1.4; APM Vol. 2 5.2.1). The model accepts 32 for
 * a PAE-less 32-bit CPU; 52 is the architectural ceiling of the address fields.
 */
#define MAXPHYADDR_MIN 32
#define MAXPHYADDR_MAX 52

void cpu_features_default(struct cpu_features *f, enum cpu_vendor vendor)
{
	memset(f, 0, sizeof(*f));
	f->vendor = vendor;

	/* Paging features every current x86-64 CPU of either vendor reports. */
	f->pse = true;
	f->pae = true;
	f->pge = true;
	f->pse36 = true;
	f->nx = true;
	f->gbpages = true;
	f->lm = true;
	f->la57 = true;
	f->smep = true;
	f->smap = true;
	f->pku = true;
	f->pcid = true;
	f->invpcid = true;

	switch (vendor) {
	case CPU_VENDOR_INTEL:
		/* A server part: 46 physical address bits, VMX with every EPT/VPID cap. */
		f->maxphyaddr = 46;
		f->vmx = true;
		f->ept.walk4 = true;
		f->ept.walk5 = true;
		f->ept.execonly = true;
		f->ept.ad = true;
		f->ept.huge_2m = true;
		f->ept.huge_1g = true;
		f->ept.vpid = true;
		break;
	case CPU_VENDOR_AMD:
		/* Zen: 48 physical address bits, SVM with nested paging. */
		f->maxphyaddr = 48;
		f->svm = true;
		f->npt = true;
		break;
	}
}

static bool any_ept_cap(const struct cpu_ept_caps *e)
{
	return e->walk4 || e->walk5 || e->execonly || e->ad || e->huge_2m || e->huge_1g || e->vpid;
}

/*
 * The rules are checked in a fixed order; the first that fails names itself.
 * Each is a combination the SDM/APM says cannot be reported by a real CPU, or
 * one the rest of the model relies on never seeing.
 */
int cpu_features_check(const struct cpu_features *f, const char **why)
{
	const char *fail = NULL;

	if (f->vendor != CPU_VENDOR_INTEL && f->vendor != CPU_VENDOR_AMD)
		fail = "vendor must be Intel or AMD";
	else if (f->maxphyaddr < MAXPHYADDR_MIN || f->maxphyaddr > MAXPHYADDR_MAX)
		fail = "MAXPHYADDR must be in 32..52 (CPUID.80000008H:EAX[7:0]; SDM Vol. 3 4.1.4)";
	else if (f->pse36 && !f->pse)
		/* PSE-36 extends 4 MiB PDEs, which exist only with PSE (SDM Vol. 3 4.3). */
		fail = "PSE-36 requires PSE: it widens the 4 MiB pages PSE enables (SDM Vol. 3 "
		       "4.3)";
	else if (f->la57 && !f->lm)
		/* 5-level paging is an IA-32e paging mode (SDM Vol. 3 4.1.1). */
		fail = "LA57 requires long mode: 5-level paging is an IA-32e mode (SDM Vol. 3 "
		       "4.1.1)";
	else if (f->gbpages && !f->lm)
		/* 1 GiB pages are PDPTE leaves of 4/5-level paging only (SDM Vol. 3 4.5). */
		fail = "1 GiB pages require long mode: only 4/5-level PDPTEs map them "
		       "(SDM Vol. 3 4.5)";
	else if (f->vmx && f->vendor != CPU_VENDOR_INTEL)
		fail = "VMX is an Intel feature (CPUID.01H:ECX[5]); AMD CPUs report SVM";
	else if (f->svm && f->vendor != CPU_VENDOR_AMD)
		fail = "SVM is an AMD feature (CPUID.80000001H:ECX[2]); Intel CPUs report VMX";
	else if (!f->vmx && any_ept_cap(&f->ept))
		/* IA32_VMX_EPT_VPID_CAP exists only with VMX (SDM Vol. 3 A.10). */
		fail = "EPT/VPID capabilities require VMX (IA32_VMX_EPT_VPID_CAP, SDM Vol. 3 A.10)";
	else if (f->npt && !f->svm)
		fail = "nested paging requires SVM (CPUID.8000000AH:EDX[0], APM Vol. 2 15.25)";
	else if (f->vmx && !f->ept.walk4 && !f->ept.walk5)
		fail = "VMX needs an EPT page-walk length of 4 or 5 (IA32_VMX_EPT_VPID_CAP bits "
		       "6/7, "
		       "SDM Vol. 3 A.10)";

	if (why)
		*why = fail;
	return fail ? MSC_EINVAL : 0;
}
