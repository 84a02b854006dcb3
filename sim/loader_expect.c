/* SPDX-License-Identifier: MIT */
/*
 * The loader's "expect" objects: which keys apply to which op and fault, and the
 * values, objects and bounded lists they hold.
 */
#include "sim/loader_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"

/* Keys of "expect" and its objects, in canonical order. */
static const char *const expect_keys[] = {
	"fault",    "error_code",   "cr2",	   "exitinfo1",	 "exitinfo2",
	"qual",	    "gpa",	    "value",	   "page_size",	 "tlb_hit",
	"outcomes", "regs",	    "tlb_entries", "mem",	 "entry",
	"trace",    "ret",	    "remaining",   "root_cache", "stats",
	"role",	    "shadow_pages", "spte",	   "divergence", NULL};
static const char *const expect_regs_keys[] = {"cr0", "cr3",  "cr4",  "efer", "rflags",
					       "cpl", "pkru", "cs_l", "cr2",  NULL};
static const char *const mem_keys[] = {"gpa", "as", "size", "value", NULL};
static const char *const entry_keys[] = {"format", "root", "as", "va", "level", "value", NULL};
static const char *const range_keys[] = {"gpa", "size", NULL};
static const char *const role_keys[] = {"cpu_role", "root_role", NULL};
static const char *const spte_keys[] = {"va", "level", "value", NULL};

#define OPBIT(op) (1u << SCN_OP_##op)
/* Expect keys that only some ops can produce (docs/scenario-format.md "expect"). */
static const struct {
	const char *key;
	u32 ops;
	const char *names;
} expect_applies[] = {
	{"fault", OPBIT(SET) | OPBIT(ACCESS) | OPBIT(INVPCID) | OPBIT(RSM),
	 "set access invpcid rsm"},
	{"error_code", OPBIT(ACCESS), "access"},
	{"cr2", OPBIT(ACCESS), "access"},
	{"exitinfo1", OPBIT(ACCESS), "access"},
	{"exitinfo2", OPBIT(ACCESS), "access"},
	{"qual", OPBIT(ACCESS), "access"},
	{"gpa", OPBIT(ACCESS), "access"},
	{"value", OPBIT(ACCESS) | OPBIT(MEM_READ), "access mem_read"},
	{"page_size", OPBIT(ACCESS), "access"},
	{"tlb_hit", OPBIT(ACCESS), "access"},
	{"outcomes", OPBIT(ACCESS), "access"},
	{"ret", OPBIT(PRE_FAULT), "pre_fault"},
	{"remaining", OPBIT(PRE_FAULT), "pre_fault"},
	{"divergence", OPBIT(ACCESS), "access"},
};

/*
 * A named count list: "stats" (KVM counter name -> count) or, with @hex_names,
 * "shadow_pages" (role word -> count), whose keys are stored as canonical hex so
 * that "0x01" and "0x1" are one word (and listing both is an error). At most
 * SCN_MAX_LIST entries, counted before anything is allocated; file order is kept.
 */
static int load_counts(struct ld *L, const struct jn *e, const char *key, bool hex_names,
		       struct scn_named_u64 **out, unsigned *n)
{
	const struct jn *o;
	size_t mark = L->c.plen;
	unsigned cnt, i = 0;
	int rc = ld_member(L, e, key, OPT, &o);

	if (rc <= 0)
		return rc;
	jpath_key(&L->c, key);
	if ((rc = jv_is(&L->c, o, cJSON_Object, "object")))
		return rc;
	cnt = jn_count(o);
	if (cnt > SCN_MAX_LIST)
		return jerr_at(&L->c, o->line, o->col, "too many entries: %u (at most %u)", cnt,
			       SCN_MAX_LIST);
	if ((rc = jn_check_keys(&L->c, o, NULL, NULL, "")))
		return rc;
	*out = scn_alloc(L->s, (cnt ? cnt : 1) * sizeof(**out));
	if (!*out)
		return ld_nomem(L);
	for (const struct jn *m = jn_first(o); m; m = jn_next(o, m), i++) {
		const char *name = m->j->string;
		size_t m2 = jpath_key(&L->c, name), len = strlen(name);
		char q[64], hex[24];
		s64 v;
		u64 word;

		if (!len || len > 64)
			return jerr_at(&L->c, m->kline, m->kcol, "names are 1..64 bytes long");
		if (hex_names) {
			/* Role words are keyed by their canonical hex text. */
			if (!scn_hex_parse(name, len, &word))
				return jerr_at(&L->c, m->kline, m->kcol,
					       "expected a role word in hex as the key, got %s",
					       scn_quote(q, sizeof(q), name, len));
			len = (size_t)snprintf(hex, sizeof(hex), "0x%" PRIx64, word);
			name = hex;
			for (unsigned k = 0; k < i; k++)
				if (!strcmp((*out)[k].name, hex))
					return jerr_at(&L->c, m->kline, m->kcol,
						       "role word %s is listed twice", hex);
		}
		if ((rc = jv_int(&L->c, m, 0, MAX_COUNT, &v)))
			return rc;
		(*out)[i].name = scn_strndup(L->s, name, len);
		if (!(*out)[i].name)
			return ld_nomem(L);
		(*out)[i].val = (u64)v;
		(*out)[i].pos = ld_pos(m);
		jpath_pop(&L->c, m2);
	}
	*n = cnt;
	jpath_pop(&L->c, mark);
	return 1;
}

/* "trace": substrings of this step's trace lines, in the arena. */
static int load_trace(struct ld *L, const struct jn *e, struct scn_expect *x)
{
	const struct jn *a;
	size_t mark = L->c.plen, i = 0;
	unsigned cnt;
	int rc = ld_get_arr(L, e, "trace", OPT, &a);

	if (rc <= 0)
		return rc;
	cnt = jn_count(a);
	if (cnt > SCN_MAX_LIST)
		return jerr_at(&L->c, a->line, a->col, "too many entries: %u (at most %u)", cnt,
			       SCN_MAX_LIST);
	x->trace = scn_alloc(L->s, (cnt ? cnt : 1) * sizeof(*x->trace));
	if (!x->trace)
		return ld_nomem(L);
	for (const struct jn *t = jn_first(a); t; t = jn_next(a, t), i++) {
		size_t m2 = jpath_index(&L->c, i), len;
		const char *s;

		if ((rc = jv_string(&L->c, t, SCN_MAX_STRING, &s, &len)))
			return rc;
		x->trace[i] = scn_strndup(L->s, s, len);
		if (!x->trace[i])
			return ld_nomem(L);
		jpath_pop(&L->c, m2);
	}
	x->ntrace = cnt;
	jpath_pop(&L->c, mark);
	return 1;
}

/* "ret": 0 or an errno name. */
static int load_ret(struct ld *L, const struct jn *e, struct scn_expect *x)
{
	const struct jn *v;
	const char *names[MSC_ARRAY_SIZE(scn_errnos)];
	size_t mark;
	unsigned k;
	int rc = ld_member(L, e, "ret", OPT, &v);

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, "ret");
	for (k = 0; k < MSC_ARRAY_SIZE(scn_errnos); k++)
		names[k] = scn_errnos[k].name;
	if (cJSON_IsString(v->j)) {
		if ((rc = jv_enum(&L->c, v, "errno name", names, MSC_ARRAY_SIZE(names), &k)))
			return rc;
		x->ret = scn_errnos[k].val;
	} else if (!cJSON_IsNumber(v->j) || v->j->valuedouble != 0) {
		return jerr_at(&L->c, v->line, v->col,
			       "expected 0 or an errno name (EINVAL ENOENT EOPNOTSUPP EINTR EFAULT "
			       "EIO)");
	} else {
		x->ret = 0;
	}
	jpath_pop(&L->c, mark);
	return 1;
}

/* Keys that only some ops produce: an error at the key naming the ops it applies to. */
static int check_expect_keys(struct ld *L, const struct jn *e, const struct scn_step *st)
{
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(expect_applies); i++)
		if (jn_member(e, expect_applies[i].key) &&
		    !(expect_applies[i].ops & (1u << st->op)))
			return ld_at_key(L, e, expect_applies[i].key,
					 "\"%s\" does not apply to op \"%s\" (only to: %s)",
					 expect_applies[i].key, scn_op_name(st->op),
					 expect_applies[i].names);
	return 0;
}

/*
 * Fault-specific keys need their fault kind. This is also what keeps the form
 * unambiguous: #NPF's EXITINFO1/2 are stored in error_code/gpa, so "gpa" cannot
 * appear with "npf" and "error_code" only with "pf".
 */
static int check_fault_keys(struct ld *L, const struct jn *e, const struct scn_expect *x)
{
	static const struct {
		const char *key;
		enum scn_fault_kind fault;
	} need[] = {
		{"error_code", SCN_FAULT_PF},	   {"cr2", SCN_FAULT_PF},
		{"exitinfo1", SCN_FAULT_NPF},	   {"exitinfo2", SCN_FAULT_NPF},
		{"qual", SCN_FAULT_EPT_VIOLATION},
	};
	bool has_fault = x->has & SCN_EX_FAULT;

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(need); i++)
		if (jn_member(e, need[i].key) && (!has_fault || x->fault != need[i].fault))
			return ld_at_key(L, e, need[i].key, "\"%s\" needs \"fault\": \"%s\"",
					 need[i].key, scn_fault_names[need[i].fault]);
	if (jn_member(e, "gpa") && has_fault && x->fault != SCN_FAULT_NONE &&
	    x->fault != SCN_FAULT_EPT_VIOLATION && x->fault != SCN_FAULT_EPT_MISCONFIG)
		return ld_at_key(L, e, "gpa", "\"gpa\" does not apply to fault \"%s\"%s",
				 scn_fault_names[x->fault],
				 x->fault == SCN_FAULT_NPF ? " (use \"exitinfo2\")" : "");
	return 0;
}

/* The step's access/read size that expect.value must fit. */
static unsigned read_size(const struct scn_step *st)
{
	return st->op == SCN_OP_ACCESS ? st->u.access.size : st->u.mem.size;
}

/* The scalar outcome keys of an access (or set/invpcid/mem_read). */
static int load_expect_values(struct ld *L, const struct jn *e, struct scn_step *st)
{
	struct scn_expect *x = &st->expect;
	unsigned k;
	s64 v;
	int rc;

	/* exitinfo1/2 of #NPF share error_code/gpa; the fault kind tells them apart. */
	static const struct {
		const char *key;
		u64 bit;
		size_t off;
	} hex[] = {
		{"error_code", SCN_EX_ERROR_CODE, offsetof(struct scn_expect, error_code)},
		{"cr2", SCN_EX_CR2, offsetof(struct scn_expect, cr2)},
		{"exitinfo1", SCN_EX_ERROR_CODE, offsetof(struct scn_expect, error_code)},
		{"exitinfo2", SCN_EX_GPA, offsetof(struct scn_expect, gpa)},
		{"qual", SCN_EX_QUAL, offsetof(struct scn_expect, qual)},
		{"gpa", SCN_EX_GPA, offsetof(struct scn_expect, gpa)},
		{"value", SCN_EX_VALUE, offsetof(struct scn_expect, value)},
	};

	if ((rc = ld_get_enum(L, e, "fault", OPT, "fault", scn_fault_names, 7, &k)) < 0)
		return rc;
	if (rc) {
		x->has |= SCN_EX_FAULT;
		x->fault = (enum scn_fault_kind)k;
	}
	if ((rc = check_fault_keys(L, e, x)))
		return rc;
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(hex); i++) {
		if ((rc = ld_get_hex(L, e, hex[i].key, OPT, (u64 *)((char *)x + hex[i].off))) < 0)
			return rc;
		if (rc)
			x->has |= hex[i].bit;
	}
	if (x->has & SCN_EX_VALUE) {
		if (st->op == SCN_OP_ACCESS && st->u.access.kind == SCN_ACC_WRITE)
			return ld_key_err(L, e, "value",
					  "\"value\" is the value read; this access writes");
		if (!ld_fits(x->value, read_size(st)))
			return ld_fit_err(L, e, x->value, read_size(st));
	}
	if ((rc = ld_get_size(L, e, "page_size", &x->page_size)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_PAGE_SIZE;
	if ((rc = ld_get_bool(L, e, "tlb_hit", &x->tlb_hit)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_TLB_HIT;
	if ((rc = ld_get_int(L, e, "outcomes", OPT, 1, 0xffffffffLL, &v)) < 0)
		return rc;
	if (rc) {
		x->has |= SCN_EX_OUTCOMES;
		x->outcomes = (u32)v;
	}
	return 0;
}

/* "regs": register values after the step, including cr2; each register once. */
static int load_expect_regs(struct ld *L, const struct jn *e, struct scn_expect *x)
{
	const struct jn *o;
	size_t mark = L->c.plen;
	int rc = ld_get_obj(L, e, "regs", OPT, expect_regs_keys, &o);

	if (rc <= 0)
		return rc;
	for (const struct jn *m = jn_first(o); m; m = jn_next(o, m)) {
		const char *key = m->j->string;
		size_t m2 = jpath_key(&L->c, key);
		struct scn_named_u64 *r = &x->regs[x->nregs];

		/* Names point at the static key table. */
		for (unsigned k = 0; expect_regs_keys[k]; k++)
			if (!strcmp(expect_regs_keys[k], key))
				r->name = expect_regs_keys[k];
		r->pos = ld_pos(m);
		if ((rc = ld_reg_value(L, m, key, &r->val)))
			return rc;
		x->nregs++;
		jpath_pop(&L->c, m2);
	}
	x->has |= SCN_EX_REGS;
	jpath_pop(&L->c, mark);
	return 1;
}

/* The object-valued keys: mem, entry, remaining, role, spte. */
static int load_expect_objects(struct ld *L, const struct jn *e, struct scn_expect *x)
{
	const struct jn *o;
	size_t mark = L->c.plen;
	s64 v;
	int rc;

	if ((rc = ld_get_obj(L, e, "mem", OPT, mem_keys, &o)) < 0)
		return rc;
	if (rc) {
		u8 size = 8;

		if ((rc = ld_get_hex(L, o, "gpa", REQ, &x->mem.gpa)) < 0 ||
		    (rc = ld_get_int(L, o, "as", OPT, 0, GMEM_NR_AS - 1, &v)) < 0)
			return rc;
		x->mem.as = rc ? (u8)v : 0;
		if ((rc = ld_get_access_size(L, o, &size)) < 0 ||
		    (rc = ld_get_hex(L, o, "value", REQ, &x->mem.value)) < 0)
			return rc;
		x->mem.size = size;
		if (!ld_fits(x->mem.value, size))
			return ld_fit_err(L, o, x->mem.value, size);
		x->has |= SCN_EX_MEM;
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, e, "entry", OPT, entry_keys, &o)) < 0)
		return rc;
	if (rc) {
		if ((rc = ld_load_pt_ref(L, o, &x->entry.pt)) ||
		    (rc = ld_load_va(L, o, &x->entry.pt, &x->entry.va)) ||
		    (rc = ld_load_level(L, o, x->entry.pt.fmt, &x->entry.level)) ||
		    (rc = ld_load_entry_value(L, o, x->entry.pt.fmt, &x->entry.value)))
			return rc;
		x->has |= SCN_EX_ENTRY;
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, e, "remaining", OPT, range_keys, &o)) < 0)
		return rc;
	if (rc) {
		if ((rc = ld_get_hex(L, o, "gpa", REQ, &x->range_gpa)) < 0 ||
		    (rc = ld_get_hex(L, o, "size", REQ, &x->range_size)) < 0)
			return rc;
		x->has |= SCN_EX_RANGE;
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, e, "role", OPT, role_keys, &o)) < 0)
		return rc;
	if (rc) {
		if (!jn_first(o))
			return jerr_at(&L->c, o->line, o->col, "role needs cpu_role or root_role");
		x->roles = scn_alloc(L->s, 2 * sizeof(*x->roles));
		if (!x->roles)
			return ld_nomem(L);
		for (unsigned k = 0; role_keys[k]; k++) {
			struct scn_named_u64 *r = &x->roles[x->nroles];

			if ((rc = ld_get_hex(L, o, role_keys[k], OPT, &r->val)) < 0)
				return rc;
			if (!rc)
				continue;
			r->name = role_keys[k];
			r->pos = ld_pos(jn_member(o, role_keys[k]));
			x->nroles++;
		}
		x->has |= SCN_EX_ROLE;
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, e, "spte", OPT, spte_keys, &o)) < 0)
		return rc;
	if (rc) {
		if ((rc = ld_get_hex(L, o, "va", REQ, &x->spte.gpa_or_va)) < 0 ||
		    (rc = ld_get_int(L, o, "level", REQ, 1, 5, &v)) < 0)
			return rc;
		x->spte.level = (u8)v;
		if ((rc = ld_get_hex(L, o, "value", REQ, &x->spte.value)) < 0)
			return rc;
		x->has |= SCN_EX_SPTE;
		jpath_pop(&L->c, mark);
	}
	return 0;
}

/*
 * "expect" of step @so: which keys apply is checked first, then the keys in the
 * order of the spec table. Without "expect" the position is the step's, so that
 * the engine always has one to report.
 */
int ld_load_expect(struct ld *L, const struct jn *so, struct scn_step *st)
{
	struct scn_expect *x = &st->expect;
	const struct jn *e;
	size_t mark = L->c.plen;
	unsigned k;
	s64 v;
	int rc = ld_get_obj(L, so, "expect", OPT, expect_keys, &e);

	x->pos = st->pos;
	if (rc <= 0)
		return rc;
	x->pos = ld_pos(e);
	if ((rc = check_expect_keys(L, e, st)) || (rc = load_expect_values(L, e, st)) ||
	    (rc = load_expect_regs(L, e, x)) < 0)
		return rc;
	if ((rc = ld_get_int(L, e, "tlb_entries", OPT, 0, MAX_COUNT, &v)) < 0)
		return rc;
	if (rc) {
		x->has |= SCN_EX_TLB_COUNT;
		x->tlb_count = (u64)v;
	}
	if ((rc = load_expect_objects(L, e, x)))
		return rc;
	if ((rc = load_trace(L, e, x)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_TRACE;
	if ((rc = load_ret(L, e, x)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_RET;
	if ((rc = ld_get_enum(L, e, "root_cache", OPT, "root_cache", scn_root_cache_names, 2, &k)) <
	    0)
		return rc;
	if (rc) {
		x->has |= SCN_EX_ROOT_CACHE;
		x->root_cache = (enum scn_root_cache)k;
	}
	if ((rc = load_counts(L, e, "stats", false, &x->stats, &x->nstats)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_STATS;
	if ((rc = load_counts(L, e, "shadow_pages", true, &x->shadow_pages, &x->nshadow_pages)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_SHADOW_PAGES;
	if ((rc = ld_get_bool(L, e, "divergence", &x->divergence)) < 0)
		return rc;
	if (rc)
		x->has |= SCN_EX_DIVERGENCE;
	jpath_pop(&L->c, mark);
	return 0;
}
