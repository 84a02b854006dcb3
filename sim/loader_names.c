/* SPDX-License-Identifier: MIT */
/*
 * The words of the scenario format: enum names, flag tables (docs/scenario-format.md
 * "Value types"), page sizes and format geometry, shared by loader and writer.
 */
#include "sim/loader_names.h"

#include "cpu/regnames.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "cpu/ptbuild.h"

const char *const scn_vendor_names[2] = {
	[CPU_VENDOR_INTEL] = "intel",
	[CPU_VENDOR_AMD] = "amd",
};
const char *const scn_tdp_names[3] = {
	[SCN_TDP_NONE] = "none",
	[SCN_TDP_EPT] = "ept",
	[SCN_TDP_NPT] = "npt",
};
const char *const scn_host_pages_names[3] = {
	[SCN_HOST_PAGES_4K] = "4k",
	[SCN_HOST_PAGES_2M] = "2m",
	[SCN_HOST_PAGES_1G] = "1g",
};
const char *const scn_tlb_names[2] = {
	[SCN_TLB_RETAIN] = "retain",
	[SCN_TLB_WALK] = "walk",
};
const char *const scn_fault_names[7] = {
	[SCN_FAULT_NONE] = "none",
	[SCN_FAULT_PF] = "pf",
	[SCN_FAULT_GP] = "gp",
	[SCN_FAULT_UD] = "ud",
	[SCN_FAULT_EPT_VIOLATION] = "ept_violation",
	[SCN_FAULT_EPT_MISCONFIG] = "ept_misconfig",
	[SCN_FAULT_NPF] = "npf",
};
const char *const scn_kind_names[3] = {
	[SCN_ACC_READ] = "read",
	[SCN_ACC_WRITE] = "write",
	[SCN_ACC_FETCH] = "fetch",
};
const char *scn_fault_name(enum scn_fault_kind f)
{
	return (unsigned)f < MSC_ARRAY_SIZE(scn_fault_names) ? scn_fault_names[f] : "?";
}

const char *scn_access_name(enum scn_access_kind k)
{
	return (unsigned)k < MSC_ARRAY_SIZE(scn_kind_names) ? scn_kind_names[k] : "?";
}

const char *const scn_mode_names[2] = {
	[SCN_WRITE_SETUP] = "setup",
	[SCN_WRITE_GUEST] = "guest",
};
const char *const scn_root_cache_names[2] = {
	[SCN_RC_HIT] = "hit",
	[SCN_RC_MISS] = "miss",
};
const char *const scn_size_names[4] = {"4k", "2m", "4m", "1g"};
const u64 scn_size_bytes[4] = {4ULL << 10, 2ULL << 20, 4ULL << 20, 1ULL << 30};

const char *scn_size_name(u64 bytes)
{
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(scn_size_bytes); i++)
		if (scn_size_bytes[i] == bytes)
			return scn_size_names[i];
	return "?";
}

/* Feature names map to the bools of struct cpu_features; "vpid" lives in the EPT caps. */
#define FEAT(n, m)                                  \
	{                                           \
		n, offsetof(struct cpu_features, m) \
	}
const struct scn_feature_name scn_features[] = {
	FEAT("nx", nx),
	FEAT("pse", pse),
	FEAT("pse36", pse36),
	FEAT("pae", pae),
	FEAT("pge", pge),
	FEAT("1g", gbpages),
	FEAT("lm", lm),
	FEAT("la57", la57),
	FEAT("smep", smep),
	FEAT("smap", smap),
	FEAT("pku", pku),
	FEAT("pcid", pcid),
	FEAT("invpcid", invpcid),
	FEAT("vmx", vmx),
	FEAT("ept.walk4", ept.walk4),
	FEAT("ept.walk5", ept.walk5),
	FEAT("ept.execonly", ept.execonly),
	FEAT("ept.ad", ept.ad),
	FEAT("ept.2m", ept.huge_2m),
	FEAT("ept.1g", ept.huge_1g),
	FEAT("vpid", ept.vpid),
	FEAT("svm", svm),
	FEAT("npt", npt),
};
#undef FEAT
const unsigned scn_nfeatures = MSC_ARRAY_SIZE(scn_features);

const struct scn_slot_flag_name scn_slot_flags[2] = {
	{"readonly", GMEM_SLOT_READONLY},
	{"dirty_log", GMEM_SLOT_DIRTY_LOG},
};

/* Linux's errno values, as KVM_PRE_FAULT_MEMORY returns them negated. */
const struct scn_errno_name scn_errnos[6] = {
	{"EINVAL", -22}, {"ENOENT", -2},  {"EOPNOTSUPP", -95},
	{"EINTR", -4},	 {"EFAULT", -14}, {"EIO", -5},
};

const char *scn_errno_str(s32 ret)
{
	if (!ret)
		return "0";
	for (size_t i = 0; i < MSC_ARRAY_SIZE(scn_errnos); i++)
		if (scn_errnos[i].val == ret)
			return scn_errnos[i].name;
	return "E?";
}

unsigned scn_fmt_levels(enum scn_fmt fmt)
{
	switch (fmt) {
	case SCN_FMT_32:
		return 2;
	case SCN_FMT_PAE:
		return 3;
	case SCN_FMT_4LVL:
	case SCN_FMT_EPT4:
		return 4;
	case SCN_FMT_5LVL:
	case SCN_FMT_EPT5:
		return 5;
	}
	return 0;
}

enum walk_fmt scn_fmt_walk(enum scn_fmt fmt, u8 *levels)
{
	static const enum walk_fmt legacy[] = {WALK_FMT_NONE, WALK_FMT_NONE, WALK_FMT_32,
					       WALK_FMT_PAE,  WALK_FMT_4LVL, WALK_FMT_5LVL};
	unsigned n = scn_fmt_levels(fmt);

	*levels = (u8)n;
	return scn_fmt_is_ept(fmt) ? WALK_FMT_EPT : legacy[n];
}

bool scn_fmt_is_ept(enum scn_fmt fmt)
{
	return fmt == SCN_FMT_EPT4 || fmt == SCN_FMT_EPT5;
}

unsigned scn_fmt_entry_bytes(enum scn_fmt fmt)
{
	return fmt == SCN_FMT_32 ? 4 : 8;
}

/*
 * Leaf sizes by format: 32-bit paging has 4 KiB and 4 MiB (PSE) pages; PAE has
 * 4 KiB and 2 MiB; 4/5-level and EPT add 1 GiB PDPTE leaves (SDM 4.3-4.5, 29.3.2).
 */
bool scn_fmt_page_ok(enum scn_fmt fmt, u64 size)
{
	if (size == scn_size_bytes[0])
		return true;
	if (fmt == SCN_FMT_32)
		return size == scn_size_bytes[2];
	if (size == scn_size_bytes[1])
		return true;
	return fmt != SCN_FMT_PAE && size == scn_size_bytes[3];
}

const char *scn_fmt_page_names(enum scn_fmt fmt)
{
	switch (fmt) {
	case SCN_FMT_32:
		return "4k 4m";
	case SCN_FMT_PAE:
		return "4k 2m";
	case SCN_FMT_4LVL:
	case SCN_FMT_5LVL:
	case SCN_FMT_EPT4:
	case SCN_FMT_EPT5:
		break;
	}
	return "4k 2m 1g";
}

/* Legacy entry bits below the protection key; NX (63) is printed after PKEY=. */
static const struct cpu_flag_name pte_flags[] = {
	{"P", 0}, {"W", 1}, {"U", 2},  {"PWT", 3}, {"PCD", 4},
	{"A", 5}, {"D", 6}, {"PS", 7}, {"G", 8},   {"NX", 63},
};
/* EPT entry bits; MT= (5:3) is printed after X, in bit order. */
static const struct cpu_flag_name epte_flags[] = {
	{"R", 0}, {"W", 1}, {"X", 2},	{"IPAT", 6}, {"PS", 7},
	{"A", 8}, {"D", 9}, {"UX", 10}, {"SVE", 63},
};

#define PKEY_MASK GENMASK_ULL(62, PT_PKEY_SHIFT)
#define MT_MASK GENMASK_ULL(5, EPT_MT_SHIFT)

/* EPT memory types by value (SDM 11.3, Table 11-2); NULL = reserved encoding. */
static const char *const mt_names[8] = {"UC", "WC", NULL, NULL, "WT", "WP", "WB", NULL};

static const struct cpu_flag_name *flag_table(enum scn_flagset fs, size_t *n)
{
	switch (fs) {
	/* Register bits are named once, in cpu/regnames.c. */
	case SCN_FS_CR0:
		return cpu_flags_table(CPU_FLAGS_CR0, n);
	case SCN_FS_CR4:
		return cpu_flags_table(CPU_FLAGS_CR4, n);
	case SCN_FS_EFER:
		return cpu_flags_table(CPU_FLAGS_EFER, n);
	case SCN_FS_RFLAGS:
		return cpu_flags_table(CPU_FLAGS_RFLAGS, n);
	case SCN_FS_PTE:
		*n = MSC_ARRAY_SIZE(pte_flags);
		return pte_flags;
	case SCN_FS_EPTE:
		*n = MSC_ARRAY_SIZE(epte_flags);
		return epte_flags;
	case SCN_FS_HEX:
		break;
	}
	*n = 0;
	return NULL;
}

const char *scn_flagset_field(enum scn_flagset fs)
{
	switch (fs) {
	case SCN_FS_CR0:
		return "cr0";
	case SCN_FS_CR4:
		return "cr4";
	case SCN_FS_EFER:
		return "efer";
	case SCN_FS_RFLAGS:
		return "rflags";
	case SCN_FS_PTE:
		return "legacy entry";
	case SCN_FS_EPTE:
		return "EPT entry";
	case SCN_FS_HEX:
		break;
	}
	return "hex";
}

const char *scn_flagset_names(enum scn_flagset fs)
{
	switch (fs) {
	case SCN_FS_CR0:
		return "PE MP EM TS ET NE WP AM NW CD PG";
	case SCN_FS_CR4:
		return "VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT UMIP LA57 VMXE SMXE "
		       "FSGSBASE PCIDE OSXSAVE SMEP SMAP PKE";
	case SCN_FS_EFER:
		return "SCE LME LMA NXE SVME";
	case SCN_FS_RFLAGS:
		return "CF FIXED IF AC";
	case SCN_FS_PTE:
		return "P W U PWT PCD A D PS G NX PKEY=0..15";
	case SCN_FS_EPTE:
		return "R W X IPAT PS A D UX SVE MT=0..7 MT=UC MT=WC MT=WT MT=WP MT=WB";
	case SCN_FS_HEX:
		break;
	}
	return "";
}

bool scn_hex_parse(const char *s, size_t len, u64 *out)
{
	return cpu_hex_parse(s, len, out);
}

/* A small decimal "0".."max" of exactly @len bytes (no sign, no leading zeros). */
static bool small_dec(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 2 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* The "PKEY=n" / "MT=x" terms: 1 parsed, 0 not such a term, -1 bad value (why set). */
static int keyed_term(enum scn_flagset fs, const char *t, size_t len, u64 *bits, char *why,
		      size_t n)
{
	char q[64];
	unsigned v;

	if (fs == SCN_FS_PTE && len >= 5 && !memcmp(t, "PKEY=", 5)) {
		if (!small_dec(t + 5, len - 5, 15, &v)) {
			snprintf(why, n, "bad protection key %s: PKEY=n takes n = 0..15",
				 scn_quote(q, sizeof(q), t, len));
			return -1;
		}
		*bits = (u64)v << PT_PKEY_SHIFT;
		return 1;
	}
	if (fs == SCN_FS_EPTE && len >= 3 && !memcmp(t, "MT=", 3)) {
		for (v = 0; v < MSC_ARRAY_SIZE(mt_names); v++)
			if (mt_names[v] && strlen(mt_names[v]) == len - 3 &&
			    !memcmp(mt_names[v], t + 3, len - 3))
				break;
		if (v == MSC_ARRAY_SIZE(mt_names) && !small_dec(t + 3, len - 3, 7, &v)) {
			snprintf(why, n, "bad memory type %s: MT= takes 0..7, UC, WC, WT, WP or WB",
				 scn_quote(q, sizeof(q), t, len));
			return -1;
		}
		*bits = (u64)v << EPT_MT_SHIFT;
		return 1;
	}
	return 0;
}

int scn_flags_parse(enum scn_flagset fs, const char *field, const char *s, u64 *out, char *why,
		    size_t n)
{
	size_t cnt, slen = strlen(s);
	const struct cpu_flag_name *t = flag_table(fs, &cnt);
	const char *p = s, *end = s + slen;
	char q[64];
	u64 v = 0;

	if (!slen) {
		snprintf(why, n, "empty flags expression (write \"0x0\" for none)");
		return MSC_EINVAL;
	}
	for (;;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t len = bar ? (size_t)(bar - p) : (size_t)(end - p), i;
		u64 bits;
		int k;

		if (!len) {
			snprintf(why, n, "empty term in flags expression %s",
				 scn_quote(q, sizeof(q), s, slen));
			return MSC_EINVAL;
		}
		for (i = 0; i < cnt; i++)
			if (strlen(t[i].name) == len && !memcmp(t[i].name, p, len))
				break;
		k = keyed_term(fs, p, len, &bits, why, n);
		if (k < 0)
			return MSC_EINVAL;
		if (i < cnt) {
			v |= BIT_ULL(t[i].bit);
		} else if (k > 0 || scn_hex_parse(p, len, &bits)) {
			v |= bits;
		} else if (fs == SCN_FS_HEX) {
			snprintf(why, n, "%s is not a hex term (%s takes hex terms such as 0x1000)",
				 scn_quote(q, sizeof(q), p, len), field);
			return MSC_EINVAL;
		} else {
			snprintf(why, n, "unknown %s flag %s; names: %s, or hex terms such as 0x20",
				 field, scn_quote(q, sizeof(q), p, len), scn_flagset_names(fs));
			return MSC_EINVAL;
		}
		if (!bar)
			break;
		p = bar + 1;
	}
	*out = v;
	return 0;
}

/* Append "|" (unless first) and @term to buf; snprintf-style running length. */
static size_t put(char *buf, size_t n, size_t len, const char *term)
{
	int w = snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "%s%s", len ? "|" : "",
			 term);

	return len + (w > 0 ? (size_t)w : 0);
}

int scn_flags_format(enum scn_flagset fs, u64 val, char *buf, size_t n)
{
	size_t cnt, len = 0;
	const struct cpu_flag_name *t = flag_table(fs, &cnt);
	u64 rest = val;
	char term[32];

	if (n)
		buf[0] = 0;
	if (!val)
		return snprintf(buf, n, "0x0");
	/* Every table is in bit order; the keyed fields slot in where their bits are. */
	for (size_t i = 0; i < cnt; i++) {
		if (fs == SCN_FS_PTE && t[i].bit == 63 && (val & PKEY_MASK)) {
			snprintf(term, sizeof(term), "PKEY=%u",
				 (unsigned)((val & PKEY_MASK) >> PT_PKEY_SHIFT));
			len = put(buf, n, len, term);
			rest &= ~PKEY_MASK;
		}
		if (fs == SCN_FS_EPTE && t[i].bit == 6 && (val & MT_MASK)) {
			unsigned mt = (unsigned)((val & MT_MASK) >> EPT_MT_SHIFT);

			if (mt_names[mt])
				snprintf(term, sizeof(term), "MT=%s", mt_names[mt]);
			else
				snprintf(term, sizeof(term), "MT=%u", mt);
			len = put(buf, n, len, term);
			rest &= ~MT_MASK;
		}
		if (!(val & BIT_ULL(t[i].bit)))
			continue;
		len = put(buf, n, len, t[i].name);
		rest &= ~BIT_ULL(t[i].bit);
	}
	if (rest) {
		snprintf(term, sizeof(term), "0x%" PRIx64, rest);
		len = put(buf, n, len, term);
	}
	return (int)len;
}

char *scn_quote(char *buf, size_t n, const char *s, size_t len)
{
	size_t o = 0, i;

	if (!n)
		return buf;
	/* Worst case per byte is 4 output bytes; keep room for "...\"" and the NUL. */
	buf[o++] = '"';
	for (i = 0; i < len && i < 40 && o + 9 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (i < len && o + 4 < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	if (o + 1 < n)
		buf[o++] = '"';
	buf[o] = 0;
	return buf;
}
