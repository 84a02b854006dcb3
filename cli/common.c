/* SPDX-License-Identifier: MIT */
/* Presentation helpers shared by the scenario verbs: errors, register flag names,
 * the counters and a vCPU's state. */
#include "cli/cli.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/regnames.h"

void cli_print_error(const struct scn_error *e)
{
	char buf[1200];

	scn_error_format(e, buf, sizeof(buf));
	fflush(stdout);
	fprintf(stderr, "%s\n", buf);
}

int cli_load(const char *path, struct scenario *s)
{
	struct scn_error err;
	int r;

	memset(&err, 0, sizeof(err));
	r = scn_load_file(path, s, &err);
	if (!r)
		return CLI_OK;
	/* Every loader failure carries a filled error; keep a fallback for safety. */
	if (!err.msg[0]) {
		snprintf(err.file, sizeof(err.file), "%s", path);
		snprintf(err.msg, sizeof(err.msg), "%s", msc_strerror(r));
	}
	cli_print_error(&err);
	return CLI_USAGE;
}

bool cli_parse_u32(const char *str, u32 *out)
{
	unsigned long long v;
	char *end;

	if (!str || *str < '0' || *str > '9')
		return false;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (u32)v;
	return true;
}

void cli_reg_flags(enum scn_reg reg, u64 val, char *buf, size_t n)
{
	switch (reg) {
	case SCN_REG_CR0:
		cpu_flags_format(CPU_FLAGS_CR0, val, buf, n);
		return;
	case SCN_REG_CR4:
		cpu_flags_format(CPU_FLAGS_CR4, val, buf, n);
		return;
	case SCN_REG_EFER:
		cpu_flags_format(CPU_FLAGS_EFER, val, buf, n);
		return;
	case SCN_REG_RFLAGS:
		cpu_flags_format(CPU_FLAGS_RFLAGS, val, buf, n);
		return;
	case SCN_REG_CPL:
	case SCN_REG_CS_L:
		snprintf(buf, n, "%llu", (unsigned long long)val);
		return;
	case SCN_REG_CR3:
	case SCN_REG_PKRU:
		break;
	}
	snprintf(buf, n, "0x%llx", (unsigned long long)val);
}

const char *cli_paging_name(enum cpu_paging_mode mode)
{
	switch (mode) {
	case CPU_PAGING_NONE:
		return "paging off";
	case CPU_PAGING_32:
		return "32-bit paging";
	case CPU_PAGING_PAE:
		return "PAE paging";
	case CPU_PAGING_4LVL:
		return "4-level paging";
	case CPU_PAGING_5LVL:
		return "5-level paging";
	}
	return "?";
}

/* Counter names and where they live, in the order of struct sim_counters. */
static const struct {
	const char *name;
	size_t off;
} counters[] = {
#define C(f)                                         \
	{                                            \
#f, offsetof(struct sim_counters, f) \
	}
	C(accesses),  C(walks),	     C(walk_refs),  C(tlb_hits),   C(tlb_fills),   C(tlb_flushes),
	C(faults_pf), C(faults_gp),  C(faults_ept), C(faults_npf), C(reg_writes),  C(reg_refused),
	C(pt_writes), C(mem_writes), C(mem_reads),  C(vmexits),	   C(divergences),
#undef C
};

void cli_print_counters(FILE *f, const struct sim_counters *c, const char *indent)
{
	for (size_t i = 0; i < MSC_ARRAY_SIZE(counters); i++) {
		u64 v;

		memcpy(&v, (const char *)c + counters[i].off, sizeof(v));
		fprintf(f, "%s%s %llu\n", indent, counters[i].name, (unsigned long long)v);
	}
}

static void print_reg(FILE *f, const char *name, enum scn_reg reg, u64 val)
{
	char buf[256];

	cli_reg_flags(reg, val, buf, sizeof(buf));
	fprintf(f, "  %-7s0x%-18llx %s\n", name, (unsigned long long)val, buf);
}

void cli_print_vcpu(FILE *f, u16 idx, const struct sim_vcpu_snapshot *v)
{
	const struct cpu_regs *r = &v->r;

	fprintf(f, "vcpu %u: %s\n", idx, cli_paging_name(cpu_paging_mode(r)));
	print_reg(f, "CR0", SCN_REG_CR0, r->cr0);
	fprintf(f, "  %-7s0x%llx\n", "CR2", (unsigned long long)r->cr2);
	fprintf(f, "  %-7s0x%llx\n", "CR3", (unsigned long long)r->cr3);
	print_reg(f, "CR4", SCN_REG_CR4, r->cr4);
	print_reg(f, "EFER", SCN_REG_EFER, r->efer);
	print_reg(f, "RFLAGS", SCN_REG_RFLAGS, r->rflags);
	if (r->efer & X86_EFER_LMA)
		fprintf(f, "  %-7s%u (%s)\n", "CS.L", r->cs_l,
			r->cs_l ? "64-bit mode" : "compatibility mode");
	fprintf(f, "  %-7s%u\n", "CPL", r->cpl);
	fprintf(f, "  %-7s0x%x\n", "PKRU", r->pkru);
	fprintf(f, "  %-7s%s, %s\n", "mode", r->smm ? "SMM" : "not in SMM",
		r->guest_mode ? "guest mode (L2)" : "not in guest mode");
	fprintf(f, "  %-7s%zu %s\n", "TLB", v->tlb_entries,
		v->tlb_entries == 1 ? "entry" : "entries");
}
