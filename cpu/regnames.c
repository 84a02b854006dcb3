/* SPDX-License-Identifier: MIT */
/* Bit names of the control registers, EFER and RFLAGS (SDM Vol. 3 2.5, 2.2.1). */
#include "cpu/regnames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/sbuf.h"

static const struct cpu_flag_name cr0_names[] = {
	{"PE", 0},  {"MP", 1},	{"EM", 2},  {"TS", 3},	{"ET", 4},  {"NE", 5},
	{"WP", 16}, {"AM", 18}, {"NW", 29}, {"CD", 30}, {"PG", 31},
};
static const struct cpu_flag_name cr4_names[] = {
	{"VME", 0},	    {"PVI", 1},	   {"TSD", 2},	    {"DE", 3},	  {"PSE", 4},
	{"PAE", 5},	    {"MCE", 6},	   {"PGE", 7},	    {"PCE", 8},	  {"OSFXSR", 9},
	{"OSXMMEXCPT", 10}, {"UMIP", 11},  {"LA57", 12},    {"VMXE", 13}, {"SMXE", 14},
	{"FSGSBASE", 16},   {"PCIDE", 17}, {"OSXSAVE", 18}, {"SMEP", 20}, {"SMAP", 21},
	{"PKE", 22},
};
static const struct cpu_flag_name efer_names[] = {
	{"SCE", 0}, {"LME", 8}, {"LMA", 10}, {"NXE", 11}, {"SVME", 12},
};
static const struct cpu_flag_name rflags_names[] = {
	{"CF", 0},
	{"FIXED", 1},
	{"IF", 9},
	{"AC", 18},
};

const struct cpu_flag_name *cpu_flags_table(enum cpu_flag_field f, size_t *n)
{
	switch (f) {
	case CPU_FLAGS_CR0:
		*n = MSC_ARRAY_SIZE(cr0_names);
		return cr0_names;
	case CPU_FLAGS_CR4:
		*n = MSC_ARRAY_SIZE(cr4_names);
		return cr4_names;
	case CPU_FLAGS_EFER:
		*n = MSC_ARRAY_SIZE(efer_names);
		return efer_names;
	case CPU_FLAGS_RFLAGS:
		break;
	}
	*n = MSC_ARRAY_SIZE(rflags_names);
	return rflags_names;
}

bool cpu_hex_parse(const char *s, size_t len, u64 *out)
{
	u64 v = 0;

	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < len; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = (v << 4) | d;
	}
	*out = v;
	return true;
}

int cpu_flags_parse(enum cpu_flag_field field, const char *s, u64 *out, const char **bad)
{
	size_t n;
	const struct cpu_flag_name *t = cpu_flags_table(field, &n);
	u64 v = 0;

	if (!*s)
		goto fail;
	for (;;) {
		size_t len = strcspn(s, "|");
		u64 h;
		size_t i;

		for (i = 0; i < n; i++)
			if (strlen(t[i].name) == len && !strncmp(t[i].name, s, len))
				break;
		if (i < n)
			v |= BIT_ULL(t[i].bit);
		else if (cpu_hex_parse(s, len, &h))
			v |= h;
		else
			goto fail;
		if (!s[len])
			break;
		s += len + 1;
	}
	*out = v;
	return 0;
fail:
	if (bad)
		*bad = s;
	return MSC_EINVAL;
}

int cpu_flags_format(enum cpu_flag_field field, u64 val, char *buf, size_t n)
{
	size_t cnt;
	const struct cpu_flag_name *t = cpu_flags_table(field, &cnt);
	struct msc_sbuf sb;
	u64 rest = val;

	msc_sb_init(&sb, buf, n);
	if (!val)
		msc_sb_add(&sb, "0x0");
	for (size_t i = 0; i < cnt; i++) {
		if (!(val & BIT_ULL(t[i].bit)))
			continue;
		msc_sb_add(&sb, "%s%s", sb.len ? "|" : "", t[i].name);
		rest &= ~BIT_ULL(t[i].bit);
	}
	if (rest)
		msc_sb_add(&sb, "%s0x%llx", sb.len ? "|" : "", (unsigned long long)rest);
	return msc_sb_len(&sb);
}

const char *cpu_flags_names(enum cpu_flag_field field)
{
	switch (field) {
	case CPU_FLAGS_CR0:
		return "PE MP EM TS ET NE WP AM NW CD PG";
	case CPU_FLAGS_CR4:
		return "VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP LA57 VMXE SMXE "
		       "FSGSBASE PCIDE OSXSAVE SMEP SMAP PKE";
	case CPU_FLAGS_EFER:
		return "SCE LME LMA NXE SVME";
	case CPU_FLAGS_RFLAGS:
		break;
	}
	return "CF FIXED IF AC";
}
