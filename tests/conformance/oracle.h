/* SPDX-License-Identifier: MIT */
/*
 * Conformance oracle: the outcome a page walk must have, derived from the list of
 * flags a test put into its tables (docs/walker.md; SDM Vol. 3 4.6-4.8, 29.3; APM
 * Vol. 2 5.6, 15.25) -- never by walking memory. Shared by tests/conformance/.
 */
#ifndef MSC_TESTS_CONFORMANCE_ORACLE_H
#define MSC_TESTS_CONFORMANCE_ORACLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/mem.h"
#include "cpu/walk.h"

/* ---------------------------------------------------------------------------
 * Entry bits the tests write (SDM Tables 4-4..4-20, 29-1..29-6). Spelled out here
 * rather than taken from the walker so that a wrong constant there shows up.
 *
 *   legacy:  0 P  1 R/W  2 U/S  3 PWT  4 PCD  5 A  6 D  7 PS/PAT  8 G
 *            9..11 ignored  12..M-1 address  62:59 protection key  63 XD
 *   EPT:     0 R  1 W  2 X  5:3 memory type  6 IPAT  7 PS  8 A  9 D
 *            12..M-1 address
 */
#define ORC_P BIT_ULL(0)
#define ORC_W BIT_ULL(1)
#define ORC_U BIT_ULL(2)
#define ORC_A BIT_ULL(5)
#define ORC_D BIT_ULL(6)
#define ORC_PS BIT_ULL(7)
#define ORC_G BIT_ULL(8)
#define ORC_NX BIT_ULL(63)
#define ORC_PKEY_SHIFT 59
#define ORC_EPT_R BIT_ULL(0)
#define ORC_EPT_W BIT_ULL(1)
#define ORC_EPT_X BIT_ULL(2)
#define ORC_EPT_MT_SHIFT 3
#define ORC_EPT_PS BIT_ULL(7)
#define ORC_EPT_A BIT_ULL(8)
#define ORC_EPT_D BIT_ULL(9)

/* Bits h..l of a 64-bit value (empty when h < l). */
static inline u64 orc_bits(unsigned h, unsigned l)
{
	if (h < l || l > 63)
		return 0;
	if (h > 63)
		h = 63;
	return GENMASK_ULL(h, l);
}

/* ---------------------------------------------------------------------------
 * Mismatch log: every case is counted, the first ORC_MAX_PRINT mismatches are
 * printed in full, and the test fails once at the end with the count.
 */
#define ORC_MAX_PRINT 20

struct orc_log {
	const char *what;
	unsigned long cases;
	unsigned long want_ok; /* cases the oracle expects to succeed */
	unsigned long bad;
	struct timespec t0;
};

static inline void orc_log_init(struct orc_log *log, const char *what)
{
	memset(log, 0, sizeof(*log));
	log->what = what;
	clock_gettime(CLOCK_MONOTONIC, &log->t0);
}

__attribute__((format(printf, 2, 3))) static inline void orc_mismatch(struct orc_log *log,
								      const char *fmt, ...)
{
	va_list ap;

	log->bad++;
	if (log->bad > ORC_MAX_PRINT)
		return;
	fprintf(stderr, "MISMATCH %lu [%s]: ", log->bad, log->what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print the case count and time; fail with the mismatch count if any. */
static inline void orc_log_done(const struct orc_log *log)
{
	struct timespec t1;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - log->t0.tv_sec) + (double)(t1.tv_nsec - log->t0.tv_nsec) / 1e9;
	printf("[ CASES    ] %s: %lu cases (%lu expected to pass, %lu to fault), %lu mismatches, "
	       "%.2f s\n",
	       log->what, log->cases, log->want_ok, log->cases - log->want_ok, log->bad, s);
	fflush(stdout);
	if (log->bad)
		fail_msg("%s: %lu of %lu cases disagree with the oracle (first %d printed above)",
			 log->what, log->bad, log->cases, ORC_MAX_PRINT);
}

/* A small string builder for case descriptions and want/got lists. */
struct orc_str {
	char s[1536];
	size_t n;
};

__attribute__((format(printf, 2, 3))) static inline void orc_cat(struct orc_str *b, const char *fmt,
								 ...)
{
	va_list ap;
	int r;

	if (b->n >= sizeof(b->s) - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		b->n += (size_t)r;
	if (b->n > sizeof(b->s) - 1)
		b->n = sizeof(b->s) - 1;
}

/* Append "name want 0x.. got 0x..;" when they differ; returns true on a difference. */
static inline bool orc_diff(struct orc_str *b, const char *name, u64 want, u64 got)
{
	if (want == got)
		return false;
	orc_cat(b, " %s want 0x%llx got 0x%llx;", name, (unsigned long long)want,
		(unsigned long long)got);
	return true;
}

static inline const char *orc_acc_name(enum walk_access acc)
{
	switch (acc) {
	case WALK_ACC_READ:
		return "read";
	case WALK_ACC_WRITE:
		return "write";
	case WALK_ACC_FETCH:
		return "fetch";
	}
	return "?";
}

static inline const char *orc_fmt_name(enum walk_fmt fmt)
{
	switch (fmt) {
	case WALK_FMT_NONE:
		return "none";
	case WALK_FMT_32:
		return "32-bit";
	case WALK_FMT_PAE:
		return "PAE";
	case WALK_FMT_4LVL:
		return "4-level";
	case WALK_FMT_5LVL:
		return "5-level";
	case WALK_FMT_EPT:
		return "EPT";
	}
	return "?";
}

static inline const char *orc_kind_name(enum walk_fault_kind k)
{
	switch (k) {
	case WALK_FAULT_NONE:
		return "none";
	case WALK_FAULT_PF:
		return "#PF";
	case WALK_FAULT_GP:
		return "#GP";
	case WALK_FAULT_EPT_VIOLATION:
		return "EPT-violation";
	case WALK_FAULT_EPT_MISCONFIG:
		return "EPT-misconfig";
	case WALK_FAULT_NPF:
		return "#NPF";
	}
	return "?";
}

/* ---------------------------------------------------------------------------
 * Reserved bits (docs/walker.md "Reserved bits"; SDM Tables 4-4..4-20, 29-1..29-6).
 * Written as a lookup by (format, level, PS), one row per line of the spec's table.
 */
struct orc_rsvd_cfg {
	enum walk_fmt fmt;
	enum cpu_vendor vendor;
	u8 maxphyaddr;
	bool nxe, pse, pse36, gbpages; /* legacy */
	bool ept_2m, ept_1g; /* EPT */
};

/* 32-bit paging: the M of SDM Table 4-4 (PSE-36: min(MAXPHYADDR, 40); else 32). */
static inline unsigned orc_m32(const struct orc_rsvd_cfg *c)
{
	if (!c->pse36)
		return 32;
	return c->maxphyaddr < 40 ? c->maxphyaddr : 40;
}

/*
 * Reserved-bit mask of a present entry at @level with bit 7 = @ps. PAE level 3
 * is the PDPTE register. Follows the spec table row by row.
 */
static inline u64 orc_rsvd_mask(const struct orc_rsvd_cfg *c, unsigned level, bool ps)
{
	unsigned m = c->maxphyaddr;
	u64 nx = c->nxe ? 0 : BIT_ULL(63);
	u64 r;

	switch (c->fmt) {
	case WALK_FMT_NONE:
		return 0;
	case WALK_FMT_32:
		/* 32-bit PDE, PS=1, CR4.PSE=1: bits 21:(M32-19); everything else: none */
		if (level == 2 && ps && c->pse)
			return orc_bits(21, orc_m32(c) - 19);
		return 0;
	case WALK_FMT_PAE:
		if (level == 3) /* PDPTE register: 2:1, 8:5, 63:M */
			return orc_bits(2, 1) | orc_bits(8, 5) | orc_bits(63, m);
		r = orc_bits(62, m) | nx;
		if (level == 2 && ps)
			r |= orc_bits(20, 13);
		return r;
	case WALK_FMT_4LVL:
	case WALK_FMT_5LVL:
		r = orc_bits(51, m) | nx;
		if (level >= 4) {
			r |= BIT_ULL(7);
			if (c->vendor == CPU_VENDOR_AMD)
				r |= BIT_ULL(8);
		} else if (level == 3 && ps) {
			r |= c->gbpages ? orc_bits(29, 13) : BIT_ULL(7);
		} else if (level == 2 && ps) {
			r |= orc_bits(20, 13);
		}
		return r;
	case WALK_FMT_EPT:
		r = orc_bits(51, m);
		if (level >= 4)
			r |= orc_bits(7, 3);
		else if (level == 3)
			r |= ps ? orc_bits(29, 12) | (c->ept_1g ? 0 : BIT_ULL(7)) : orc_bits(6, 3);
		else if (level == 2)
			r |= ps ? orc_bits(20, 12) | (c->ept_2m ? 0 : BIT_ULL(7)) : orc_bits(6, 3);
		return r;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Legacy formats (32-bit, PAE, 4/5-level, NPT): expected #PF / #NPF outcome.
 */

/* One paging-structure entry of the walk as the test built it, top level first. */
struct orc_ent {
	u8 level; /* 5..1 */
	bool reg; /* PAE PDPTE register: no rights of its own, not in memory */
	bool leaf; /* the entry that maps the page */
	bool p, w, u, nx, a, d;
	bool rsvd; /* the test set a bit that orc_rsvd_mask() calls reserved */
	u8 pkey; /* bits 62:59 (leaf, 4/5-level) */
};

/* The control bits the walk depends on (walk_cfg fields, named as in the SDM). */
struct orc_env {
	enum walk_fmt fmt;
	bool wp, smep, smap, nxe, pke;
	u32 pkru;
	bool npt; /* APM 15.25.5: all user accesses; WP, SMAP, PKU off */
};

struct orc_acc {
	enum walk_access kind;
	u8 cpl;
	bool implicit, ac;
};

struct orc_want {
	bool ok;
	u64 err; /* #PF error code (bits 0-5; #NPF adds 32/33 itself) */
	u8 level; /* deciding entry's level; 0 for a rights fault */
	u8 acc; /* effective rights ACC_*, when the walk reached the leaf */
	const char *why;
};

static inline bool orc_user_access(const struct orc_env *env, const struct orc_acc *a)
{
	return env->npt || (a->cpl == 3 && !a->implicit);
}

/* Error-code bits that describe the access (SDM 4.7): W, U/S, I/D. */
static inline u64 orc_access_bits(const struct orc_env *env, const struct orc_acc *a)
{
	u64 e = 0;

	if (a->kind == WALK_ACC_WRITE)
		e |= PFERR_W;
	if (orc_user_access(env, a))
		e |= PFERR_U;
	if (a->kind == WALK_ACC_FETCH && (env->smep || (env->nxe && env->fmt != WALK_FMT_32)))
		e |= PFERR_FETCH;
	return e;
}

/*
 * Expected outcome for entries @e[0..n-1] (top first, e[n-1] the leaf). Rules:
 * 1) the first entry that is not present or has a reserved bit decides (XD with
 *    NXE=0 is reserved outside 32-bit paging; XD in a PDPTE register always is);
 * 2) the rights are the AND over the entries (XD: the OR), then SDM 4.6.1 / 4.6.2.
 */
static inline void orc_legacy(const struct orc_env *env, const struct orc_acc *a,
			      const struct orc_ent *e, unsigned n, struct orc_want *w)
{
	const bool user = orc_user_access(env, a);
	const bool write = a->kind == WALK_ACC_WRITE;
	const bool fetch = a->kind == WALK_ACC_FETCH;
	const u64 base = orc_access_bits(env, a);
	bool all_w = true, all_u = true, any_nx = false, exec, deny = false, pk = false;
	unsigned i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < n; i++) {
		bool nx_rsvd = env->fmt != WALK_FMT_32 && e[i].nx && (e[i].reg || !env->nxe);

		if (!e[i].p) {
			w->err = base;
			w->level = e[i].level;
			w->why = "not present";
			return;
		}
		if (e[i].rsvd || nx_rsvd) {
			w->err = base | PFERR_P | PFERR_RSVD;
			w->level = e[i].level;
			w->why = nx_rsvd ? "XD set with NXE=0 / in PDPTE" : "reserved bit";
			return;
		}
	}
	for (i = 0; i < n; i++) {
		if (e[i].reg)
			continue;
		all_w = all_w && e[i].w;
		all_u = all_u && e[i].u;
		any_nx = any_nx || e[i].nx;
	}
	exec = env->fmt == WALK_FMT_32 || !env->nxe || !any_nx;
	w->acc = (u8)((all_w ? ACC_WRITE : 0) | (all_u ? ACC_USER : 0) | (exec ? ACC_EXEC : 0));

	if (user) {
		if (!all_u) {
			deny = true;
			w->why = "user access to supervisor address";
		} else if (write && !all_w) {
			deny = true;
			w->why = "user write to read-only";
		} else if (fetch && !exec) {
			deny = true;
			w->why = "user fetch from XD";
		}
	} else if (fetch) {
		if (env->smep && all_u) {
			deny = true;
			w->why = "SMEP";
		} else if (!exec) {
			deny = true;
			w->why = "supervisor fetch from XD";
		}
	} else {
		/* data access: SMAP for user-mode addresses, then WP for writes */
		if (env->smap && all_u && (a->implicit || !a->ac)) {
			deny = true;
			w->why = "SMAP";
		} else if (write && env->wp && !all_w) {
			deny = true;
			w->why = "supervisor write to read-only with CR0.WP=1";
		}
	}

	/* SDM 4.6.2: protection keys, data accesses to user-mode addresses only */
	if (!env->npt && env->pke && (env->fmt == WALK_FMT_4LVL || env->fmt == WALK_FMT_5LVL) &&
	    !fetch && all_u) {
		unsigned k = e[n - 1].pkey;
		bool ad = (env->pkru >> (2 * k)) & 1;
		bool wd = (env->pkru >> (2 * k + 1)) & 1;

		pk = ad || (wd && write && (user || env->wp));
		if (pk && !deny)
			w->why = ad ? "PKRU.AD" : "PKRU.WD";
	}

	if (!deny && !pk) {
		w->ok = true;
		w->why = "allowed";
		return;
	}
	w->err = base | PFERR_P | (pk ? PFERR_PK : 0);
	w->level = 0;
}

static inline void orc_ent_str(struct orc_str *b, const struct orc_ent *e)
{
	orc_cat(b, "L%u%s[%s%s%s%s%s%s%s", e->level, e->reg ? "(reg)" : "", e->p ? "P" : "-",
		e->w ? "W" : "-", e->u ? "U" : "-", e->nx ? "X" : "-", e->a ? "A" : "-",
		e->d ? "D" : "-", e->rsvd ? " RSVD" : "");
	if (e->leaf)
		orc_cat(b, " leaf pk=%u", e->pkey);
	orc_cat(b, "] ");
}

static inline void orc_env_str(struct orc_str *b, const struct orc_env *env,
			       const struct orc_acc *a)
{
	orc_cat(b,
		"%s%s acc=%s cpl=%u implicit=%d ac=%d cr0.wp=%d cr4.smep=%d cr4.smap=%d "
		"efer.nxe=%d cr4.pke=%d pkru=0x%x ",
		orc_fmt_name(env->fmt), env->npt ? "(NPT)" : "", orc_acc_name(a->kind), a->cpl,
		a->implicit, a->ac, env->wp, env->smep, env->smap, env->nxe, env->pke, env->pkru);
}

/* ---------------------------------------------------------------------------
 * EPT (SDM 29.3.3): expected violation / misconfiguration.
 */
struct orc_eent {
	u8 level;
	bool leaf;
	u8 rwx; /* bits 2:0: R=1 W=2 X=4 */
	u8 mt; /* bits 5:3 of a leaf */
	bool rsvd;
};

enum orc_ekind {
	ORC_EPT_OK,
	ORC_EPT_VIOLATION,
	ORC_EPT_MISCONFIG,
};

struct orc_ewant {
	enum orc_ekind kind;
	u8 level; /* deciding entry; 0 for a rights violation */
	u64 qual; /* bits 0-5 (the caller adds 7 and 8) */
	u8 acc; /* ACC_* (ACC_USER = readable) */
	u8 and_rwx; /* AND of bits 2:0 over the entries walked */
	const char *why;
};

/*
 * @need: the right the access needs (R=1, W=2, X=4); @qacc: qualification bits
 * 2:0 for the access (a guest-table access with EPT A/D is R|W, needing W).
 */
static inline void orc_ept(bool execonly, const struct orc_eent *e, unsigned n, u8 need, u64 qacc,
			   struct orc_ewant *w)
{
	u8 and = 7;
	unsigned i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < n; i++) {
		u8 x = e[i].rwx;

		and &= x;
		if (x == 0) {
			w->kind = ORC_EPT_VIOLATION;
			w->level = e[i].level;
			w->qual = qacc | ((u64) and << 3);
			w->and_rwx = and;
			w->why = "EPT entry not present";
			return;
		}
		if (e[i].rsvd || (x & 3) == 2 || (x == 4 && !execonly) ||
		    (e[i].leaf && (e[i].mt == 2 || e[i].mt == 3 || e[i].mt == 7))) {
			w->kind = ORC_EPT_MISCONFIG;
			w->level = e[i].level;
			w->why = e[i].rsvd	? "EPT reserved bit"
				 : (x & 3) == 2 ? "EPT write without read"
				 : x == 4	? "EPT execute-only unsupported"
						: "EPT memory type 2/3/7";
			return;
		}
	}
	w->and_rwx = and;
	w->acc = (u8)(((and&1) ? ACC_USER : 0) | ((and&2) ? ACC_WRITE : 0) |
		      ((and&4) ? ACC_EXEC : 0));
	if ((and&need) != need) {
		w->kind = ORC_EPT_VIOLATION;
		w->level = 0;
		w->qual = qacc | ((u64) and << 3);
		w->why = "EPT rights";
		return;
	}
	w->kind = ORC_EPT_OK;
	w->why = "allowed";
}

/* Needed right and qualification bits 2:0 of an access kind (SDM Table 28-7). */
static inline u8 orc_ept_need(enum walk_access k)
{
	return k == WALK_ACC_WRITE ? 2 : k == WALK_ACC_FETCH ? 4 : 1;
}

static inline u64 orc_ept_qacc(enum walk_access k)
{
	return k == WALK_ACC_WRITE   ? EPT_QUAL_WRITE
	       : k == WALK_ACC_FETCH ? EPT_QUAL_FETCH
				     : EPT_QUAL_READ;
}

static inline void orc_eent_str(struct orc_str *b, const struct orc_eent *e)
{
	orc_cat(b, "E%u[%s%s%s%s mt=%u%s] ", e->level, (e->rwx & 4) ? "X" : "-",
		(e->rwx & 2) ? "W" : "-", (e->rwx & 1) ? "R" : "-", e->leaf ? " leaf" : "", e->mt,
		e->rsvd ? " RSVD" : "");
}

/* ---------------------------------------------------------------------------
 * Guest memory for the tables: one slot (id 0) at gpa 0.
 */
static inline struct gmem *orc_gmem_new(u64 size)
{
	struct gmem *m = NULL;
	struct gmem_slot_desc d;

	assert_int_equal(gmem_create(&m, 0), 0);
	memset(&d, 0, sizeof(d));
	d.as = 0;
	d.id = 0;
	d.base = 0;
	d.size = size;
	assert_int_equal(gmem_slot_add(m, &d), 0);
	return m;
}

static inline void *orc_hva(struct gmem *m, u64 gpa, unsigned len)
{
	void *p = gmem_hva(m, 0, gpa, len);

	if (!p)
		fail_msg("no guest memory at 0x%llx", (unsigned long long)gpa);
	return p;
}

static inline u64 orc_rd64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void orc_wr64(void *p, u64 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline u32 orc_rd32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void orc_wr32(void *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

/* Table index of @addr at @level (9 bits per level above 12; 32-bit: 10 bits). */
static inline unsigned orc_index(enum walk_fmt fmt, unsigned level, u64 addr)
{
	if (fmt == WALK_FMT_32)
		return (unsigned)((addr >> (12 + 10 * (level - 1))) & 0x3ff);
	if (fmt == WALK_FMT_PAE && level == 3)
		return (unsigned)((addr >> 30) & 3);
	return (unsigned)((addr >> (12 + 9 * (level - 1))) & 0x1ff);
}

/* Bytes mapped by a leaf at @level. */
static inline u64 orc_page_size(enum walk_fmt fmt, unsigned level)
{
	if (fmt == WALK_FMT_32)
		return level == 2 ? 4ULL << 20 : 4096;
	return 1ULL << (12 + 9 * (level - 1));
}

#endif
