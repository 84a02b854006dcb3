/* SPDX-License-Identifier: MIT */
/*
 * Names of the bits of CR0, CR4, EFER and RFLAGS, for parsing and printing flag
 * expressions such as "PE|PG|WP" or "PAE|0x20000" (docs/scenario-format.md).
 */
#ifndef MSC_CPU_REGNAMES_H
#define MSC_CPU_REGNAMES_H

#include "cpu/types.h"

enum cpu_flag_field {
	CPU_FLAGS_CR0,
	CPU_FLAGS_CR4,
	CPU_FLAGS_EFER,
	CPU_FLAGS_RFLAGS,
};

/* One named bit of a register. */
struct cpu_flag_name {
	const char *name;
	u8 bit;
};

/* A hex term: "0x" (lower-case x) and 1..16 hex digits of either case, exactly
 * @len bytes of @s. Returns false (and leaves *@out) otherwise. */
bool cpu_hex_parse(const char *s, size_t len, u64 *out);

/* The named bits of @field, in bit order; *@n gets their count. */
const struct cpu_flag_name *cpu_flags_table(enum cpu_flag_field field, size_t *n);

/*
 * Parse "NAME|NAME|0xHEX" (names of @field, or hex terms) into *@out.
 * Returns 0, or MSC_EINVAL with *@bad (may be NULL) pointing at the bad term.
 */
int cpu_flags_parse(enum cpu_flag_field field, const char *s, u64 *out,
		    const char **bad) MSC_MUST_CHECK;

/* Print @val as names where bits have names plus a hex remainder ("PE|PG|0x20"),
 * "0x0" for zero; snprintf semantics. */
int cpu_flags_format(enum cpu_flag_field field, u64 val, char *buf, size_t n);

/* The names of @field, space-separated, for error messages. */
const char *cpu_flags_names(enum cpu_flag_field field);

#endif
