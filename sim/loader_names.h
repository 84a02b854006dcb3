/* SPDX-License-Identifier: MIT */
/*
 * The words of the scenario format shared by the loader and the writer: enum
 * names, flag-expression tables, page sizes and format geometry. No cJSON here.
 */
#ifndef MSC_SIM_LOADER_NAMES_H
#define MSC_SIM_LOADER_NAMES_H

#include <stddef.h>

#include "sim/scenario.h"

/* The flag-name table a flags expression is read with (docs/scenario-format.md). */
enum scn_flagset {
	SCN_FS_CR0,
	SCN_FS_CR4,
	SCN_FS_EFER,
	SCN_FS_RFLAGS,
	SCN_FS_HEX, /* cr2, cr3, pkru: hex terms only */
	SCN_FS_PTE, /* legacy entry: P W U ... NX and PKEY=n */
	SCN_FS_EPTE, /* EPT entry: R W X ... SVE and MT=n / MT=WB */
};

/* Name tables: index = enum value; *_n = number of names. */
extern const char *const scn_vendor_names[2]; /* enum cpu_vendor */
extern const char *const scn_tdp_names[3]; /* enum scn_tdp */
extern const char *const scn_tlb_names[2]; /* enum scn_tlb_policy */
extern const char *const scn_host_pages_names[3]; /* enum scn_host_pages */
extern const char *const scn_fault_names[7]; /* enum scn_fault_kind */
extern const char *const scn_kind_names[3]; /* enum scn_access_kind */
extern const char *const scn_mode_names[2]; /* enum scn_write_mode */
extern const char *const scn_root_cache_names[2]; /* enum scn_root_cache */
extern const char *const scn_size_names[4]; /* page sizes, see scn_size_bytes */
extern const u64 scn_size_bytes[4];
/* The name of page size @bytes ("4k" ...), "?" when it is none of them. */
const char *scn_size_name(u64 bytes);

/* Features of "machine.features", in the spec's (and the writer's) order. */
struct scn_feature_name {
	const char *name;
	size_t off; /* offsetof(struct cpu_features, <bool>) */
};
extern const struct scn_feature_name scn_features[];
extern const unsigned scn_nfeatures;

/* Memslot flag names, in canonical order. */
struct scn_slot_flag_name {
	const char *name;
	u32 flag; /* GMEM_SLOT_* */
};
extern const struct scn_slot_flag_name scn_slot_flags[2];

/* expect.ret: the errno names KVM_PRE_FAULT_MEMORY can return, and their values. */
struct scn_errno_name {
	const char *name;
	s32 val;
};
extern const struct scn_errno_name scn_errnos[6];
/* The name expect.ret gives a result: "0", an errno name of scn_errnos, or "E?". */
const char *scn_errno_str(s32 ret);

/* Levels of a page-table format (32: 2, pae: 3, 4level/ept4: 4, 5level/ept5: 5). */
unsigned scn_fmt_levels(enum scn_fmt fmt);
bool scn_fmt_is_ept(enum scn_fmt fmt);
/* Bytes of one entry: 4 for "32", else 8. */
unsigned scn_fmt_entry_bytes(enum scn_fmt fmt);
/* Whether @size (bytes) is a leaf page size of @fmt (4k always; 4m only "32"...). */
bool scn_fmt_page_ok(enum scn_fmt fmt, u64 size);
/* Space-separated page-size names valid for @fmt, for messages. */
const char *scn_fmt_page_names(enum scn_fmt fmt);

/* The name a flags set is called by in messages ("cr0", "legacy entry", ...). */
const char *scn_flagset_field(enum scn_flagset fs);
/* Space-separated names of @fs, for messages ("" for SCN_FS_HEX). */
const char *scn_flagset_names(enum scn_flagset fs);

/* A hex value: "0x" + 1..16 hex digits of either case, exactly @len bytes. */
bool scn_hex_parse(const char *s, size_t len, u64 *out);

/*
 * Parse a flags expression of @fs ("PE|PG|0x20") into *@out; @field names the
 * value in messages ("cr0", "cr3"). Returns 0, or MSC_EINVAL with a description
 * of the first bad term in @why (@n bytes); *@out is then unchanged.
 */
int scn_flags_parse(enum scn_flagset fs, const char *field, const char *s, u64 *out, char *why,
		    size_t n) MSC_MUST_CHECK;

/*
 * Canonical text of @val in @fs: names in bit order for every named bit, then
 * the rest as one hex term; "0x0" for zero. snprintf semantics (returns length).
 */
int scn_flags_format(enum scn_flagset fs, u64 val, char *buf, size_t n);

/*
 * @s (@len bytes) as a quoted string for messages: '"' and '\\' escaped, bytes
 * outside printable ASCII as \xNN, cut with "..." after 40 bytes. Returns @buf.
 */
char *scn_quote(char *buf, size_t n, const char *s, size_t len);

#endif
