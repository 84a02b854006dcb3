/* SPDX-License-Identifier: MIT */
/*
 * The scenario loader: reads a file, checks it against docs/scenario-format.md
 * key by key, and fills struct scenario. Every refusal is positioned.
 */
#include "sim/loader.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"
#include "mmu/variants.h"
#include "sim/loader_priv.h"

/* Keys of each object, in canonical order (the writer prints this order). */
static const char *const top_keys[] = {"version", "name",  "description", "machine",
				       "vcpus",	  "steps", NULL};
static const char *const machine_keys[] = {"vendor",	    "maxphyaddr", "features", "memslots",
					   "pt_pool",	    "tdp",	  "tdp_mmu",  "host_pages",
					   "max_mmu_pages", "tlb",	  "variants", NULL};
static const char *const alias_keys[] = {"as", "id", "offset", NULL};
static const char *const pool_keys[] = {"as", "gpa", "size", NULL};
const char *const ld_slot_keys[] = {"as", "id", "gpa", "size", "flags", "alias", NULL};
const char *const ld_reg_keys[] = {"cr0", "cr3",  "cr4",  "efer", "rflags",
				   "cpl", "pkru", "cs_l", NULL};

/* ---- Registers ---- */

/*
 * Register values are checked for form only (flag names, hex, the CPL range, PKRU
 * in 32 bits). Whether the architecture accepts a value depends on the state it is
 * written in, so that is the engine's business (cpu_write_cr0() and friends).
 */

/* A register value: cr0/cr4/efer/rflags flags, cr2/cr3/pkru hex terms, cpl 0..3. */
int ld_reg_value(struct ld *L, const struct jn *v, const char *name, u64 *out)
{
	static const struct {
		const char *name;
		enum scn_flagset fs;
	} fl[] = {
		{"cr0", SCN_FS_CR0},	   {"cr4", SCN_FS_CR4}, {"efer", SCN_FS_EFER},
		{"rflags", SCN_FS_RFLAGS}, {"cr2", SCN_FS_HEX}, {"cr3", SCN_FS_HEX},
		{"pkru", SCN_FS_HEX},
	};
	s64 cpl;
	int rc;

	if (!strcmp(name, "cpl") || !strcmp(name, "cs_l")) {
		rc = jv_int(&L->c, v, 0, name[1] == 's' ? 1 : 3, &cpl);
		*out = (u64)cpl;
		return rc;
	}
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(fl); i++) {
		if (strcmp(name, fl[i].name))
			continue;
		rc = jv_flags(&L->c, v, fl[i].fs, name, out);
		if (!rc && !strcmp(name, "pkru") && *out > 0xffffffffULL)
			return jerr_at(&L->c, v->line, v->col,
				       "pkru 0x%" PRIx64 " does not fit in 32 bits", *out);
		return rc;
	}
	return jerr_at(&L->c, v->line, v->col, "unknown register");
}

static bool is_reg_key(const char *key)
{
	for (unsigned k = 0; ld_reg_keys[k]; k++)
		if (!strcmp(ld_reg_keys[k], key))
			return true;
	return false;
}

static enum scn_reg reg_of(const char *name)
{
	for (unsigned r = 0; r < SCN_NR_REGS; r++)
		if (!strcmp(scn_reg_name((enum scn_reg)r), name))
			return (enum scn_reg)r;
	return SCN_REG_CR0;
}

/*
 * The register members of @o (keys already checked, other keys skipped) in file
 * order into @out; *n gets the count.
 */
int ld_load_regs(struct ld *L, const struct jn *o, struct scn_regval *out, unsigned *n)
{
	*n = 0;
	for (const struct jn *m = jn_first(o); m; m = jn_next(o, m)) {
		const char *key = m->j->string;
		size_t mark;
		int rc;

		if (!is_reg_key(key))
			continue;
		mark = jpath_key(&L->c, key);
		out[*n].reg = reg_of(key);
		out[*n].pos = ld_pos(m);
		rc = ld_reg_value(L, m, key, &out[*n].val);
		jpath_pop(&L->c, mark);
		if (rc)
			return rc;
		(*n)++;
	}
	return 0;
}

/* ---- Machine ---- */

/* "flags" of a memslot: names of GMEM_SLOT_* bits, each at most once. */
int ld_load_slot_flags(struct ld *L, const struct jn *o, bool req, u32 *flags)
{
	const struct jn *a;
	size_t mark = L->c.plen, i = 0;
	int rc = ld_get_arr(L, o, "flags", req, &a);

	if (rc <= 0)
		return rc;
	for (const struct jn *e = jn_first(a); e; e = jn_next(a, e), i++) {
		const char *names[2] = {scn_slot_flags[0].name, scn_slot_flags[1].name};
		size_t m2 = jpath_index(&L->c, i);
		unsigned f;

		rc = jv_enum(&L->c, e, "memslot flag", names, 2, &f);
		if (!rc && (*flags & scn_slot_flags[f].flag))
			rc = jerr_at(&L->c, e->line, e->col, "flag \"%s\" is listed twice",
				     names[f]);
		jpath_pop(&L->c, m2);
		if (rc)
			return rc;
		*flags |= scn_slot_flags[f].flag;
	}
	jpath_pop(&L->c, mark);
	return 1;
}

/*
 * Memslot keys of @o into @ms (keys already checked); *id_given if "id" is there.
 * The rules of one slot alone, as gmem_slot_add() would refuse them: page-aligned
 * base and size, size within SCN_MAX_SLOT_BYTES, no wrap past 2^64.
 */
int ld_load_slot(struct ld *L, const struct jn *o, struct scn_memslot *ms, bool id_req,
		 bool *id_given)
{
	const struct jn *al;
	size_t mark = L->c.plen;
	s64 v;
	int rc;

	ms->pos = ld_pos(o);
	rc = ld_get_int(L, o, "as", OPT, 0, GMEM_NR_AS - 1, &v);
	if (rc < 0)
		return rc;
	ms->as = rc ? (u8)v : 0;
	rc = ld_get_int(L, o, "id", id_req, 0, 65535, &v);
	if (rc < 0)
		return rc;
	*id_given = rc;
	ms->id = rc ? (u16)v : 0;
	if ((rc = ld_get_hex(L, o, "gpa", REQ, &ms->gpa)) < 0)
		return rc;
	if (ms->gpa & ~PAGE_MASK)
		return ld_key_err(L, o, "gpa", "gpa 0x%" PRIx64 " is not page aligned", ms->gpa);
	if ((rc = ld_get_hex(L, o, "size", REQ, &ms->size)) < 0)
		return rc;
	if (!ms->size || (ms->size & ~PAGE_MASK))
		return ld_key_err(L, o, "size",
				  "size 0x%" PRIx64 " is not a positive multiple of 4 KiB",
				  ms->size);
	if (ms->size > SCN_MAX_SLOT_BYTES)
		return ld_key_err(L, o, "size",
				  "size 0x%" PRIx64 " is above the bound of one memslot (1 TiB)",
				  ms->size);
	if (ms->gpa > UINT64_MAX - ms->size)
		return ld_key_err(L, o, "size",
				  "the memslot wraps past the top of the address space");
	if ((rc = ld_load_slot_flags(L, o, OPT, &ms->flags)) < 0)
		return rc;
	rc = ld_get_obj(L, o, "alias", OPT, alias_keys, &al);
	if (rc <= 0)
		return rc;
	ms->alias = true;
	if ((rc = ld_get_int(L, al, "as", OPT, 0, GMEM_NR_AS - 1, &v)) < 0)
		return rc;
	ms->alias_as = rc ? (u8)v : 0;
	if ((rc = ld_get_int(L, al, "id", REQ, 0, 65535, &v)) < 0)
		return rc;
	ms->alias_id = (u16)v;
	if ((rc = ld_get_hex(L, al, "offset", OPT, &ms->alias_offset)) < 0)
		return rc;
	if (ms->alias_offset & ~PAGE_MASK)
		return ld_key_err(L, al, "offset", "offset 0x%" PRIx64 " is not page aligned",
				  ms->alias_offset);
	jpath_pop(&L->c, mark);
	return 0;
}

/* Cross-slot rules of machine.memslots: ids, overlaps, aliases, the total bound. */
static int check_slot(struct ld *L, const struct jn *o, unsigned i, bool id_given, u64 *total)
{
	struct scn_machine *m = &L->s->machine;
	struct scn_memslot *ms = &m->slots[i];
	unsigned in_as = 0;

	for (unsigned k = 0; k < i; k++) {
		const struct scn_memslot *p = &m->slots[k];

		if (p->as != ms->as)
			continue;
		in_as++;
		if (id_given && p->id == ms->id)
			return ld_key_err(L, o, "id",
					  "address space %u already has a slot with id %u", ms->as,
					  ms->id);
		if (ms->gpa < p->gpa + p->size && p->gpa < ms->gpa + ms->size)
			return ld_key_err(L, o, "gpa",
					  "memslot [0x%" PRIx64 ", 0x%" PRIx64
					  ") overlaps /machine/memslots/%u [0x%" PRIx64
					  ", 0x%" PRIx64 ")",
					  ms->gpa, ms->gpa + ms->size, k, p->gpa, p->gpa + p->size);
	}
	if (in_as >= SCN_MAX_SLOTS)
		return ld_key_err(L, o, NULL, "more than %u memslots in address space %u",
				  SCN_MAX_SLOTS, ms->as);
	if (!id_given) {
		ms->id = (u16)in_as; /* default: its index among its address space's slots */
		for (unsigned k = 0; k < i; k++)
			if (m->slots[k].as == ms->as && m->slots[k].id == ms->id)
				return ld_key_err(
					L, o, NULL,
					"the default id %u (index in address space %u) is "
					"already used: give \"id\"",
					ms->id, ms->as);
	}
	if (ms->alias) {
		unsigned k;

		for (k = 0; k < i; k++)
			if (m->slots[k].as == ms->alias_as && m->slots[k].id == ms->alias_id)
				break;
		if (k == i)
			return ld_key_err(
				L, o, "alias",
				"alias names slot (as %u, id %u), which is not listed before "
				"this one",
				ms->alias_as, ms->alias_id);
		if (ms->alias_offset > m->slots[k].size ||
		    ms->size > m->slots[k].size - ms->alias_offset)
			return ld_key_err(L, o, "alias",
					  "the alias range (offset 0x%" PRIx64 ", size 0x%" PRIx64
					  ") runs past slot (as %u, id %u) of size 0x%" PRIx64,
					  ms->alias_offset, ms->size, ms->alias_as, ms->alias_id,
					  m->slots[k].size);
		return 0;
	}
	*total += ms->size;
	if (*total > SCN_MAX_TOTAL_BYTES)
		return ld_key_err(L, o, "size",
				  "memslots add up to 0x%" PRIx64 " bytes, above the 1 TiB bound",
				  *total);
	return 0;
}

/* "machine.memslots": 1..2*SCN_MAX_SLOTS slots, each checked against those before it. */
static int load_memslots(struct ld *L, const struct jn *mo)
{
	struct scn_machine *m = &L->s->machine;
	const struct jn *a;
	size_t mark = L->c.plen;
	u64 total = 0;
	unsigned i = 0;
	int rc = ld_get_arr(L, mo, "memslots", REQ, &a);

	if (rc < 0)
		return rc;
	if (!jn_first(a))
		return jerr_at(&L->c, a->line, a->col, "at least one memslot is required");
	for (const struct jn *e = jn_first(a); e; e = jn_next(a, e), i++) {
		size_t m2 = jpath_index(&L->c, i);
		bool id_given = false;

		if (i >= MSC_ARRAY_SIZE(m->slots))
			return jerr_at(&L->c, e->line, e->col, "too many memslots (at most %zu)",
				       MSC_ARRAY_SIZE(m->slots));
		rc = jv_is(&L->c, e, cJSON_Object, "object");
		if (!rc)
			rc = jn_check_keys(&L->c, e, ld_slot_keys, NULL, "");
		if (!rc)
			rc = ld_load_slot(L, e, &m->slots[i], false, &id_given);
		if (!rc)
			rc = check_slot(L, e, i, id_given, &total);
		if (rc)
			return rc;
		m->nslots = i + 1;
		jpath_pop(&L->c, m2);
	}
	jpath_pop(&L->c, mark);
	return 0;
}

/* "features": clear every feature, then set exactly the listed ones. */
static int load_features(struct ld *L, const struct jn *mo)
{
	struct cpu_features *f = &L->s->machine.feat;
	const char *names[32];
	bool seen[32] = {false};
	const struct jn *a;
	size_t mark = L->c.plen, i = 0;
	int rc = ld_get_arr(L, mo, "features", OPT, &a);

	if (rc <= 0)
		return rc;
	for (unsigned k = 0; k < scn_nfeatures; k++) {
		names[k] = scn_features[k].name;
		*(bool *)((char *)f + scn_features[k].off) = false;
	}
	for (const struct jn *e = jn_first(a); e; e = jn_next(a, e), i++) {
		size_t m2 = jpath_index(&L->c, i);
		unsigned k;

		rc = jv_enum(&L->c, e, "feature", names, scn_nfeatures, &k);
		if (!rc && seen[k])
			rc = jerr_at(&L->c, e->line, e->col, "feature \"%s\" is listed twice",
				     names[k]);
		if (rc)
			return rc;
		seen[k] = true;
		*(bool *)((char *)f + scn_features[k].off) = true;
		jpath_pop(&L->c, m2);
	}
	jpath_pop(&L->c, mark);
	L->s->machine.features_given = true;
	return 1;
}

/*
 * "machine". The feature set is the vendor's default, then maxphyaddr, then the
 * "features" list; cpu_features_check() must accept the result, so every later
 * check (tdp, vmentry) can rely on a CPU that exists.
 */
static int load_machine(struct ld *L, const struct jn *root)
{
	struct scn_machine *m = &L->s->machine;
	const struct jn *mo, *pool, *va;
	const char *why = NULL;
	size_t mark, top = L->c.plen;
	unsigned e;
	s64 v;
	int rc = ld_get_obj(L, root, "machine", REQ, machine_keys, &mo);

	if (rc < 0)
		return rc;
	m->pos = ld_pos(mo);
	if ((rc = ld_get_enum(L, mo, "vendor", OPT, "vendor", scn_vendor_names, 2, &e)) < 0)
		return rc;
	cpu_features_default(&m->feat, rc ? (enum cpu_vendor)e : CPU_VENDOR_INTEL);
	if ((rc = ld_get_int(L, mo, "maxphyaddr", OPT, 32, 52, &v)) < 0)
		return rc;
	if (rc)
		m->feat.maxphyaddr = (u8)v;
	if ((rc = load_features(L, mo)) < 0)
		return rc;
	if (cpu_features_check(&m->feat, &why))
		return ld_key_err(L, mo, m->features_given ? "features" : NULL, "%s", why);
	if ((rc = load_memslots(L, mo)) < 0)
		return rc;

	mark = L->c.plen;
	rc = ld_get_obj(L, mo, "pt_pool", OPT, pool_keys, &pool);
	if (rc < 0)
		return rc;
	if (rc) {
		m->pt_pool.present = true;
		if ((rc = ld_get_int(L, pool, "as", OPT, 0, GMEM_NR_AS - 1, &v)) < 0)
			return rc;
		m->pt_pool.as = rc ? (u8)v : 0;
		if ((rc = ld_get_hex(L, pool, "gpa", REQ, &m->pt_pool.gpa)) < 0 ||
		    (rc = ld_get_hex(L, pool, "size", REQ, &m->pt_pool.size)) < 0)
			return rc;
		if (m->pt_pool.gpa & ~PAGE_MASK)
			return ld_key_err(L, pool, "gpa", "gpa 0x%" PRIx64 " is not page aligned",
					  m->pt_pool.gpa);
		if (!m->pt_pool.size || (m->pt_pool.size & ~PAGE_MASK) ||
		    m->pt_pool.gpa > UINT64_MAX - m->pt_pool.size)
			return ld_key_err(L, pool, "size",
					  "size 0x%" PRIx64 " is not a positive multiple of 4 KiB "
					  "inside the address space",
					  m->pt_pool.size);
		jpath_pop(&L->c, mark);
	}

	if ((rc = ld_get_enum(L, mo, "tdp", OPT, "tdp", scn_tdp_names, 3, &e)) < 0)
		return rc;
	m->tdp = rc ? (enum scn_tdp)e : SCN_TDP_NONE;
	if (m->tdp == SCN_TDP_EPT && !m->feat.vmx)
		return ld_key_err(L, mo, "tdp", "tdp \"ept\" needs the vmx feature");
	if (m->tdp == SCN_TDP_NPT && !m->feat.npt)
		return ld_key_err(L, mo, "tdp", "tdp \"npt\" needs the npt feature");
	m->tdp_mmu = true;
	if ((rc = ld_get_bool(L, mo, "tdp_mmu", &m->tdp_mmu)) < 0)
		return rc;
	if ((rc = ld_get_enum(L, mo, "host_pages", OPT, "host page size", scn_host_pages_names, 3,
			      &e)) < 0)
		return rc;
	m->host_pages = rc ? (enum scn_host_pages)e : SCN_HOST_PAGES_4K;
	if ((rc = ld_get_int(L, mo, "max_mmu_pages", OPT, 0, 0xffffffffLL, &v)) < 0)
		return rc;
	m->max_mmu_pages = rc ? (u64)v : 0;
	if ((rc = ld_get_enum(L, mo, "tlb", OPT, "tlb policy", scn_tlb_names, 2, &e)) < 0)
		return rc;
	m->tlb = rc ? (enum scn_tlb_policy)e : SCN_TLB_RETAIN;

	rc = ld_get_arr(L, mo, "variants", OPT, &va);
	if (rc < 0)
		return rc;
	if (rc) {
		/* Names of the registry (mmu/variants.h, docs/variants.md), each once. */
		unsigned i = 0;
		u32 seen = 0;

		for (const struct jn *x = jn_first(va); x; x = jn_next(va, x), i++) {
			size_t m2 = jpath_index(&L->c, i);
			const char *name;
			size_t len;
			char q[64];
			int id;

			if (i >= SCN_MAX_VARIANTS)
				return jerr_at(&L->c, x->line, x->col, "at most %u variants",
					       (unsigned)SCN_MAX_VARIANTS);
			if ((rc = jv_string(&L->c, x, SCN_MAX_STRING, &name, &len)) < 0)
				return rc;
			id = mmu_variant_lookup(name, len);
			if (id < 0)
				return jerr_at(&L->c, x->line, x->col,
					       "unknown variant %s (see docs/variants.md)",
					       scn_quote(q, sizeof(q), name, len));
			if (seen & (1u << id))
				return jerr_at(&L->c, x->line, x->col, "variant %s given twice",
					       scn_quote(q, sizeof(q), name, len));
			seen |= 1u << id;
			m->variants[m->nvariants++] = mmu_variant_table[id].name;
			jpath_pop(&L->c, m2);
		}
	}
	jpath_pop(&L->c, top);
	return 0;
}

/* "vcpus": absent means one vCPU at reset; otherwise 1..SCN_MAX_VCPUS objects. */
static int load_vcpus(struct ld *L, const struct jn *root)
{
	struct scenario *s = L->s;
	const struct jn *a;
	size_t mark = L->c.plen;
	unsigned i = 0;
	int rc = ld_get_arr(L, root, "vcpus", OPT, &a);

	if (rc < 0)
		return rc;
	if (!rc) {
		s->nvcpus = 1;
		s->vcpus[0].pos = s->machine.pos;
		return 0;
	}
	if (!jn_first(a))
		return jerr_at(&L->c, a->line, a->col, "at least one vCPU is required");
	for (const struct jn *e = jn_first(a); e; e = jn_next(a, e), i++) {
		size_t m2 = jpath_index(&L->c, i);

		if (i >= SCN_MAX_VCPUS)
			return jerr_at(&L->c, e->line, e->col, "too many vCPUs (at most %u)",
				       SCN_MAX_VCPUS);
		rc = jv_is(&L->c, e, cJSON_Object, "object");
		if (!rc)
			rc = jn_check_keys(&L->c, e, ld_reg_keys, NULL, "");
		if (!rc)
			rc = ld_load_regs(L, e, s->vcpus[i].init, &s->vcpus[i].ninit);
		if (rc)
			return rc;
		s->vcpus[i].pos = ld_pos(e);
		s->nvcpus = i + 1;
		jpath_pop(&L->c, m2);
	}
	jpath_pop(&L->c, mark);
	return 0;
}

/* The document: version first, then the keys in the order the later parts need. */
static int load_doc(struct ld *L, const struct jn *root)
{
	struct scenario *s = L->s;
	s64 ver;
	int rc;

	if ((rc = jv_is(&L->c, root, cJSON_Object, "object")))
		return rc;
	/* The version first: a newer file is "too new", not a list of unknown keys. */
	if ((rc = ld_get_int(L, root, "version", REQ, -(MAX_COUNT), MAX_COUNT, &ver)) < 0)
		return rc;
	if (ver < SCN_VERSION)
		return ld_key_err(L, root, "version",
				  "version %" PRId64 " is too old: this build reads version %d",
				  ver, SCN_VERSION);
	if (ver > SCN_VERSION)
		return ld_key_err(L, root, "version",
				  "version %" PRId64 " is too new: this build reads version %d",
				  ver, SCN_VERSION);
	s->version = SCN_VERSION;
	if ((rc = jn_check_keys(&L->c, root, top_keys, NULL, "")))
		return rc;
	if ((rc = ld_get_str(L, root, "name", REQ, &s->name)) < 0)
		return rc;
	if (!*s->name)
		return ld_key_err(L, root, "name", "name must not be empty");
	if ((rc = ld_get_str(L, root, "description", OPT, &s->description)) < 0)
		return rc;
	if (!rc && !(s->description = scn_strndup(s, "", 0)))
		return ld_nomem(L);
	if ((rc = load_machine(L, root)) || (rc = load_vcpus(L, root)))
		return rc;
	return ld_load_steps(L, root);
}

/* ---- Public API ---- */

int scn_load_buffer(const char *name, const char *buf, size_t len, struct scenario *out,
		    struct scn_error *err)
{
	struct scn_error scratch;
	struct ld L = {.s = out};
	struct jdoc d;
	int rc;

	if (!err)
		err = &scratch;
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name ? name : "");
	L.c.err = err;
	if (len > SCN_MAX_FILE_BYTES) {
		snprintf(err->msg, sizeof(err->msg),
			 "file of %zu bytes is larger than the %u MiB bound", len,
			 SCN_MAX_FILE_BYTES >> 20);
		return MSC_E2BIG;
	}
	rc = jdoc_parse(&d, buf, len, err);
	if (rc == MSC_ENOMEM)
		return ld_nomem(&L);
	if (rc)
		return rc;
	out->file = scn_strndup(out, name ? name : "", name ? strlen(name) : 0);
	rc = out->file ? load_doc(&L, d.nodes) : ld_nomem(&L);
	jdoc_free(&d);
	if (rc) {
		scn_free(out);
		return rc;
	}
	memset(err, 0, sizeof(*err));
	return 0;
}

int scn_load_file(const char *path, struct scenario *out, struct scn_error *err)
{
	struct scn_error scratch;
	size_t len = 0, cap = 1 << 16;
	char *buf = NULL;
	FILE *f;
	int rc;

	if (!err)
		err = &scratch;
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "cannot open: %s", strerror(errno));
		return MSC_EIO;
	}
	/* Grow the buffer until EOF; stop as soon as more than the bound has been read. */
	for (;;) {
		size_t got;

		if (len == cap || !buf) {
			char *nb;

			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = MSC_ENOMEM;
				snprintf(err->msg, sizeof(err->msg), "out of memory");
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > SCN_MAX_FILE_BYTES) {
			rc = MSC_E2BIG;
			snprintf(err->msg, sizeof(err->msg), "file is larger than the %u MiB bound",
				 SCN_MAX_FILE_BYTES >> 20);
			goto out;
		}
		if (!got)
			break;
	}
	if (ferror(f)) {
		rc = MSC_EIO;
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		goto out;
	}
	rc = scn_load_buffer(path, buf, len, out, err);
out:
	free(buf);
	fclose(f);
	return rc;
}

void scn_error_format(const struct scn_error *e, char *buf, size_t n)
{
	char where[300] = "";
	size_t o = 0;

	if (!n)
		return;
	if (e->file[0])
		o += (size_t)snprintf(where + o, sizeof(where) - o, "%s", e->file);
	if (e->line && o < sizeof(where))
		o += (size_t)snprintf(where + o, sizeof(where) - o, "%s%u:%u", o ? ":" : "",
				      e->line, e->col);
	snprintf(buf, n, "%s%s%s%s%s", where, o ? ": " : "", e->path, e->path[0] ? ": " : "",
		 e->msg);
}
