/* SPDX-License-Identifier: MIT */
/*
 * mmuscope role: compute KVM's CPU role and root role from register values, or
 * decode a role word taken from a real KVM trace (docs/roles.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cpu/regnames.h"
#include "mmu/role.h"

static void role_usage(FILE *f)
{
	fprintf(f, "usage: mmuscope role compute [--mmu tdp|shadow|shadow-npt|shadow-ept]\n"
		   "                             [--cr0 FLAGS] [--cr4 FLAGS] [--efer FLAGS]\n"
		   "                             [--smm] [--guest-mode] [--tdp-level 4|5]\n"
		   "                             [--ept-level 4|5] [--no-ad] [--execonly]\n"
		   "       mmuscope role decode WORD\n"
		   "FLAGS are names joined by '|' (PE|PG|WP) or hex (0x80010011).\n");
}

static void print_base(const char *label, union kvm_mmu_page_role r)
{
	char buf[320], tr[96];

	mmu_role_format(r, buf, sizeof(buf));
	mmu_role_trace_format(r, tr, sizeof(tr));
	printf("%s 0x%08x\n  %s\n  trace: %s\n", label, r.word, buf, tr);
}

static void print_cpu_role(union kvm_cpu_role c)
{
	char buf[320];

	printf("cpu_role  0x%016llx\n", (unsigned long long)c.as_u64);
	mmu_role_format(c.base, buf, sizeof(buf));
	printf("  base 0x%08x  %s\n", c.base.word, buf);
	mmu_ext_role_format(c.ext, buf, sizeof(buf));
	printf("  ext  0x%08x  %s\n", c.ext.word, buf);
}

static int parse_reg(enum cpu_flag_field f, const char *opt, const char *s, u64 *out)
{
	const char *bad = NULL;

	if (cpu_flags_parse(f, s, out, &bad)) {
		fprintf(stderr, "mmuscope role: %s: bad term at '%s' (names: %s, or 0xHEX)\n", opt,
			bad ? bad : s, cpu_flags_names(f));
		return -1;
	}
	return 0;
}

static int parse_level(const char *opt, const char *s, u8 *out)
{
	if (strcmp(s, "4") && strcmp(s, "5")) {
		fprintf(stderr, "mmuscope role: %s must be 4 or 5\n", opt);
		return -1;
	}
	*out = (u8)(s[0] - '0');
	return 0;
}

static int role_compute(int argc, char **argv)
{
	const char *mmu = "tdp";
	struct mmu_role_regs regs = {0};
	u8 tdp_level = 4, ept_level = 4;
	bool ad = true, execonly = false;
	union kvm_cpu_role cpu;
	union kvm_mmu_page_role root;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r = 0;

		if (!strcmp(a, "--smm")) {
			regs.smm = true;
			continue;
		} else if (!strcmp(a, "--guest-mode")) {
			regs.guest_mode = true;
			continue;
		} else if (!strcmp(a, "--no-ad")) {
			ad = false;
			continue;
		} else if (!strcmp(a, "--execonly")) {
			execonly = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "mmuscope role: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--mmu"))
			mmu = v;
		else if (!strcmp(a, "--cr0"))
			r = parse_reg(CPU_FLAGS_CR0, a, v, &regs.cr0);
		else if (!strcmp(a, "--cr4"))
			r = parse_reg(CPU_FLAGS_CR4, a, v, &regs.cr4);
		else if (!strcmp(a, "--efer"))
			r = parse_reg(CPU_FLAGS_EFER, a, v, &regs.efer);
		else if (!strcmp(a, "--tdp-level"))
			r = parse_level(a, v, &tdp_level);
		else if (!strcmp(a, "--ept-level"))
			r = parse_level(a, v, &ept_level);
		else {
			fprintf(stderr, "mmuscope role: unknown option '%s'\n", a);
			role_usage(stderr);
			return 2;
		}
		if (r)
			return 2;
	}

	if (!strcmp(mmu, "tdp")) {
		/* KVM computes the CPU role from the (role-masked) registers. */
		regs.cr0 &= X86_CR0_PG | X86_CR0_WP;
		cpu = mmu_calc_cpu_role(&regs);
		root = mmu_calc_tdp_root_role(cpu, tdp_level, ad);
	} else if (!strcmp(mmu, "shadow")) {
		regs.cr0 &= X86_CR0_PG | X86_CR0_WP;
		cpu = mmu_calc_cpu_role(&regs);
		root = mmu_calc_shadow_root_role(cpu);
	} else if (!strcmp(mmu, "shadow-npt")) {
		/* CR0 is not an input: SVM passes CR0 = PG (kvm_init_shadow_npt_mmu). */
		root = mmu_calc_shadow_npt_root_role(regs.cr4, regs.efer, regs.smm, regs.guest_mode,
						     tdp_level, &cpu);
	} else if (!strcmp(mmu, "shadow-ept")) {
		cpu = mmu_calc_shadow_ept_cpu_role(ad, execonly, ept_level);
		root = cpu.base;
	} else {
		fprintf(stderr,
			"mmuscope role: --mmu must be tdp, shadow, shadow-npt or shadow-ept\n");
		return 2;
	}
	printf("mmu       %s\n", mmu);
	print_cpu_role(cpu);
	print_base("root_role", root);
	return 0;
}

static int role_decode(int argc, char **argv)
{
	char *end = NULL;
	unsigned long long w;

	if (argc != 2) {
		role_usage(stderr);
		return 2;
	}
	w = strtoull(argv[1], &end, 0);
	if (!argv[1][0] || *end || argv[1][0] == '-') {
		fprintf(stderr, "mmuscope role decode: '%s' is not a number\n", argv[1]);
		return 2;
	}
	if (w >> 32) {
		union kvm_cpu_role c = {.as_u64 = w};

		print_cpu_role(c);
	} else {
		union kvm_mmu_page_role r = {.word = (u32)w};

		print_base("role", r);
	}
	return 0;
}

int cli_role(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "compute"))
		return role_compute(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "decode"))
		return role_decode(argc - 1, argv + 1);
	role_usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
	return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
}
