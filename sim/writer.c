/* SPDX-License-Identifier: MIT */
/*
 * The canonical writer: the loader's mirror (docs/scenario-format.md "Canonical
 * form"). Fixed key order, defaults omitted, lower-case hex, two-space indent.
 */
#include "sim/loader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"
#include "sim/loader_names.h"

#define MAX_DEPTH 8 /* root > steps > step > expect > mem: 5 levels at most */
#define WIDTH 100 /* columns, as the C sources */

/*
 * A streaming JSON emitter. A block container puts each member on its own line;
 * an inline one (and everything inside it) stays on one line: {"a": 1, "b": 2}.
 */
struct jw {
	FILE *f;
	bool failed; /* a layout could not be measured (out of memory) */
	int depth;
	struct {
		bool inl, first;
	} lv[MAX_DEPTH];
};

/* Writes the members (or elements) of one container through @w. */
typedef void (*members_fn)(struct jw *w, const void *ctx);

static void w_string(struct jw *w, const char *s)
{
	fputc('"', w->f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			fputs("\\\"", w->f);
			break;
		case '\\':
			fputs("\\\\", w->f);
			break;
		case '\n':
			fputs("\\n", w->f);
			break;
		case '\t':
			fputs("\\t", w->f);
			break;
		case '\r':
			fputs("\\r", w->f);
			break;
		case '\b':
			fputs("\\b", w->f);
			break;
		case '\f':
			fputs("\\f", w->f);
			break;
		default:
			if (c < 0x20)
				fprintf(w->f, "\\u%04x", c);
			else
				fputc(c, w->f);
			break;
		}
	}
	fputc('"', w->f);
}

static bool w_inline(const struct jw *w)
{
	return w->depth && w->lv[w->depth - 1].inl;
}

/* Separator, line break and indent before a member, then its key if any. */
static void w_key(struct jw *w, const char *key)
{
	if (w->depth) {
		bool inl = w_inline(w);

		if (!w->lv[w->depth - 1].first)
			fputs(inl ? ", " : ",", w->f);
		if (!inl)
			fprintf(w->f, "\n%*s", 2 * w->depth, "");
		w->lv[w->depth - 1].first = false;
	}
	if (key) {
		w_string(w, key);
		fputs(": ", w->f);
	}
}

static void w_open(struct jw *w, const char *key, char brace, bool inl)
{
	w_key(w, key);
	fputc(brace, w->f);
	if (w_inline(w))
		inl = true;
	if (w->depth < MAX_DEPTH) {
		w->lv[w->depth].inl = inl;
		w->lv[w->depth].first = true;
	}
	w->depth++;
}

static void w_close(struct jw *w, char brace)
{
	w->depth--;
	if (w->depth < MAX_DEPTH && !w->lv[w->depth].first && !w->lv[w->depth].inl)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(brace, w->f);
}

/*
 * A container on one line when that line fits in WIDTH columns (indent, key,
 * value and a trailing comma), else a block whose members follow the same rule.
 */
static void w_fit(struct jw *w, const char *key, char open, members_fn members, const void *ctx)
{
	char close = open == '{' ? '}' : ']';
	struct jw sub = {.depth = 1};
	char *text = NULL;
	size_t len = 0;

	if (!w_inline(w)) {
		sub.f = open_memstream(&text, &len);
		if (sub.f) {
			sub.lv[0].inl = sub.lv[0].first = true;
			fputc(open, sub.f);
			members(&sub, ctx);
			fputc(close, sub.f);
			if (fclose(sub.f)) {
				free(text);
				text = NULL;
			}
		}
		/* Without the measure the layout would not be canonical: fail the write. */
		w->failed |= !text;
	}
	if (text && 2 * (size_t)w->depth + (key ? strlen(key) + 4 : 0) + len + 1 <= WIDTH) {
		w_key(w, key);
		fwrite(text, 1, len, w->f);
	} else {
		w_open(w, key, open, false);
		members(w, ctx);
		w_close(w, close);
	}
	free(text);
}

static void w_str(struct jw *w, const char *key, const char *s)
{
	w_key(w, key);
	w_string(w, s);
}

static void w_int(struct jw *w, const char *key, s64 v)
{
	w_key(w, key);
	fprintf(w->f, "%" PRId64, v);
}

static void w_bool(struct jw *w, const char *key, bool v)
{
	w_key(w, key);
	fputs(v ? "true" : "false", w->f);
}

static void w_hex(struct jw *w, const char *key, u64 v)
{
	w_key(w, key);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

static void w_flags(struct jw *w, const char *key, enum scn_flagset fs, u64 v)
{
	char buf[256];

	scn_flags_format(fs, v, buf, sizeof(buf));
	w_str(w, key, buf);
}

/*
 * A register value by its name: flags for cr0/cr4/efer/rflags, plain hex for the
 * address-like cr2/cr3 and for pkru, an int for the CPL (as the loader reads them).
 */
static void w_reg(struct jw *w, const char *name, u64 v)
{
	if (!strcmp(name, "cr0"))
		w_flags(w, name, SCN_FS_CR0, v);
	else if (!strcmp(name, "cr4"))
		w_flags(w, name, SCN_FS_CR4, v);
	else if (!strcmp(name, "efer"))
		w_flags(w, name, SCN_FS_EFER, v);
	else if (!strcmp(name, "rflags"))
		w_flags(w, name, SCN_FS_RFLAGS, v);
	else if (!strcmp(name, "cpl") || !strcmp(name, "cs_l"))
		w_int(w, name, (s64)v);
	else
		w_hex(w, name, v);
}

/* Register writes keep their order: it is the order they are applied in. */
static void w_regvals(struct jw *w, const struct scn_regval *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w_reg(w, scn_reg_name(r[i].reg), r[i].val);
}

static void slot_flag_elems(struct jw *w, const void *ctx)
{
	u32 flags = *(const u32 *)ctx;

	for (unsigned i = 0; i < MSC_ARRAY_SIZE(scn_slot_flags); i++)
		if (flags & scn_slot_flags[i].flag)
			w_str(w, NULL, scn_slot_flags[i].name);
}

static void alias_members(struct jw *w, const void *ctx)
{
	const struct scn_memslot *ms = ctx;

	if (ms->alias_as)
		w_int(w, "as", ms->alias_as);
	w_int(w, "id", ms->alias_id);
	if (ms->alias_offset)
		w_hex(w, "offset", ms->alias_offset);
}

/* Memslot keys as members of the current object; "id" unless it is the default. */
static void w_slot_members(struct jw *w, const struct scn_memslot *ms, bool id)
{
	if (ms->as)
		w_int(w, "as", ms->as);
	if (id)
		w_int(w, "id", ms->id);
	w_hex(w, "gpa", ms->gpa);
	w_hex(w, "size", ms->size);
	if (ms->flags)
		w_fit(w, "flags", '[', slot_flag_elems, &ms->flags);
	if (ms->alias)
		w_fit(w, "alias", '{', alias_members, ms);
}

/* A machine memslot and whether its id differs from the default. */
struct slot_ctx {
	const struct scn_memslot *ms;
	bool id;
};

static void slot_members(struct jw *w, const void *ctx)
{
	const struct slot_ctx *c = ctx;

	w_slot_members(w, c->ms, c->id);
}

static bool feature_on(const struct cpu_features *f, unsigned i)
{
	return *(const bool *)((const char *)f + scn_features[i].off);
}

static void feature_elems(struct jw *w, const void *ctx)
{
	for (unsigned i = 0; i < scn_nfeatures; i++)
		if (feature_on(ctx, i))
			w_str(w, NULL, scn_features[i].name);
}

static void variant_elems(struct jw *w, const void *ctx)
{
	const struct scn_machine *m = ctx;

	for (unsigned i = 0; i < m->nvariants && i < SCN_MAX_VARIANTS; i++)
		w_str(w, NULL, m->variants[i] ? m->variants[i] : "");
}

static void pool_members(struct jw *w, const void *ctx)
{
	const struct scn_pt_pool *p = ctx;

	if (p->as)
		w_int(w, "as", p->as);
	w_hex(w, "gpa", p->gpa);
	w_hex(w, "size", p->size);
}

/*
 * "machine": defaults left out. The feature list is printed when it was given or
 * when the set differs from the vendor's, so an in-memory scenario keeps its CPU.
 */
static void w_machine(struct jw *w, const struct scn_machine *m)
{
	struct cpu_features def;
	unsigned in_as[2] = {0, 0};
	bool same = true;

	cpu_features_default(&def, m->feat.vendor);
	for (unsigned i = 0; i < scn_nfeatures; i++)
		same = same && feature_on(&m->feat, i) == feature_on(&def, i);
	w_open(w, "machine", '{', false);
	if (m->feat.vendor != CPU_VENDOR_INTEL)
		w_str(w, "vendor", scn_vendor_names[m->feat.vendor == CPU_VENDOR_AMD]);
	if (m->feat.maxphyaddr != def.maxphyaddr)
		w_int(w, "maxphyaddr", m->feat.maxphyaddr);
	if (m->features_given || !same)
		w_fit(w, "features", '[', feature_elems, &m->feat);
	w_open(w, "memslots", '[', false);
	for (unsigned i = 0; i < m->nslots && i < MSC_ARRAY_SIZE(m->slots); i++) {
		struct slot_ctx c = {&m->slots[i], m->slots[i].id != in_as[m->slots[i].as & 1]++};

		w_fit(w, NULL, '{', slot_members, &c);
	}
	w_close(w, ']');
	if (m->pt_pool.present)
		w_fit(w, "pt_pool", '{', pool_members, &m->pt_pool);
	if (m->tdp != SCN_TDP_NONE && (unsigned)m->tdp < MSC_ARRAY_SIZE(scn_tdp_names))
		w_str(w, "tdp", scn_tdp_names[m->tdp]);
	if (!m->tdp_mmu)
		w_bool(w, "tdp_mmu", false);
	if (m->host_pages != SCN_HOST_PAGES_4K &&
	    (unsigned)m->host_pages < MSC_ARRAY_SIZE(scn_host_pages_names))
		w_str(w, "host_pages", scn_host_pages_names[m->host_pages]);
	if (m->max_mmu_pages)
		w_int(w, "max_mmu_pages", (s64)m->max_mmu_pages);
	if (m->tlb == SCN_TLB_WALK)
		w_str(w, "tlb", "walk");
	if (m->nvariants)
		w_fit(w, "variants", '[', variant_elems, m);
	w_close(w, '}');
}

static void vcpu_members(struct jw *w, const void *ctx)
{
	const struct scn_vcpu *v = ctx;

	w_regvals(w, v->init, v->ninit);
}

static void w_vcpus(struct jw *w, const struct scenario *s)
{
	if (s->nvcpus <= 1 && (!s->nvcpus || !s->vcpus[0].ninit))
		return;
	w_open(w, "vcpus", '[', false);
	for (unsigned i = 0; i < s->nvcpus && i < SCN_MAX_VCPUS; i++)
		w_fit(w, NULL, '{', vcpu_members, &s->vcpus[i]);
	w_close(w, ']');
}

static void w_pt_ref(struct jw *w, const struct scn_pt_ref *pt)
{
	w_str(w, "format", scn_fmt_name(pt->fmt));
	w_hex(w, "root", pt->root);
	if (pt->as)
		w_int(w, "as", pt->as);
}

static void w_mode(struct jw *w, enum scn_write_mode mode)
{
	if (mode == SCN_WRITE_GUEST)
		w_str(w, "mode", "guest");
}

static void vmx_members(struct jw *w, const void *ctx)
{
	const struct scn_step *st = ctx;

	if (st->u.vmentry.eptp)
		w_hex(w, "eptp", st->u.vmentry.eptp);
	if (st->u.vmentry.vpid)
		w_int(w, "vpid", st->u.vmentry.vpid);
}

static void svm_members(struct jw *w, const void *ctx)
{
	const struct scn_step *st = ctx;

	if (st->u.vmentry.ncr3)
		w_hex(w, "ncr3", st->u.vmentry.ncr3);
	if (st->u.vmentry.vpid)
		w_int(w, "asid", st->u.vmentry.vpid);
	if (st->u.vmentry.npt)
		w_bool(w, "npt", true);
}

static void l2_members(struct jw *w, const void *ctx)
{
	const struct scn_step *st = ctx;

	w_regvals(w, st->u.vmentry.l2, st->u.vmentry.nl2);
}

static void w_vmentry(struct jw *w, const struct scenario *s, const struct scn_step *st)
{
	/* VMX on Intel, SVM on AMD: the machine says which the fields belong to. */
	if (s->machine.feat.vmx) {
		if (st->u.vmentry.eptp || st->u.vmentry.vpid)
			w_fit(w, "vmx", '{', vmx_members, st);
	} else if (st->u.vmentry.ncr3 || st->u.vmentry.vpid || st->u.vmentry.npt) {
		w_fit(w, "svm", '{', svm_members, st);
	}
	if (st->u.vmentry.nl2)
		w_fit(w, "l2", '{', l2_members, st);
}

/* The op's keys in the order of the spec's op table, defaults left out. */
static void w_op(struct jw *w, const struct scenario *s, const struct scn_step *st)
{
	switch (st->op) {
	case SCN_OP_SET:
		w_regvals(w, st->u.set.regs, st->u.set.nregs);
		break;
	case SCN_OP_MAP:
		w_pt_ref(w, &st->u.pt.pt);
		w_hex(w, "va", st->u.pt.va);
		w_hex(w, "pa", st->u.pt.pa);
		if (st->u.pt.size != PAGE_SIZE)
			w_str(w, "size", scn_size_name(st->u.pt.size));
		w_flags(w, "flags", scn_fmt_is_ept(st->u.pt.pt.fmt) ? SCN_FS_EPTE : SCN_FS_PTE,
			st->u.pt.flags);
		w_mode(w, st->u.pt.mode);
		break;
	case SCN_OP_UNMAP:
		w_pt_ref(w, &st->u.pt.pt);
		w_hex(w, "va", st->u.pt.va);
		w_mode(w, st->u.pt.mode);
		break;
	case SCN_OP_SET_ENTRY:
		w_pt_ref(w, &st->u.pt.pt);
		w_hex(w, "va", st->u.pt.va);
		w_int(w, "level", st->u.pt.level);
		w_hex(w, "value", st->u.pt.value);
		w_mode(w, st->u.pt.mode);
		break;
	case SCN_OP_MEM_WRITE:
	case SCN_OP_MEM_READ:
		w_hex(w, "gpa", st->u.mem.gpa);
		if (st->u.mem.as)
			w_int(w, "as", st->u.mem.as);
		if (st->u.mem.size != 8)
			w_int(w, "size", st->u.mem.size);
		if (st->op == SCN_OP_MEM_READ)
			break;
		w_hex(w, "value", st->u.mem.value);
		if (st->u.mem.host)
			w_bool(w, "host", true);
		break;
	case SCN_OP_ACCESS:
		w_hex(w, "va", st->u.access.va);
		w_str(w, "kind", scn_kind_names[st->u.access.kind % 3]);
		if (st->u.access.size != 1)
			w_int(w, "size", st->u.access.size);
		if (st->u.access.cpl >= 0)
			w_int(w, "cpl", st->u.access.cpl);
		if (st->u.access.implicit)
			w_bool(w, "implicit", true);
		if (st->u.access.kind == SCN_ACC_WRITE && st->u.access.value)
			w_hex(w, "value", st->u.access.value);
		break;
	case SCN_OP_INVLPG:
		w_hex(w, "va", st->u.inv.va);
		break;
	case SCN_OP_INVPCID:
		w_int(w, "type", st->u.inv.type);
		if (st->u.inv.pcid)
			w_int(w, "pcid", st->u.inv.pcid);
		if (st->u.inv.va)
			w_hex(w, "va", st->u.inv.va);
		break;
	case SCN_OP_VMENTRY:
		w_vmentry(w, s, st);
		break;
	case SCN_OP_PRE_FAULT:
		w_hex(w, "gpa", st->u.pre_fault.gpa);
		w_hex(w, "size", st->u.pre_fault.size);
		if (st->u.pre_fault.flags)
			w_hex(w, "flags", st->u.pre_fault.flags);
		break;
	case SCN_OP_MEMSLOT_ADD:
		w_slot_members(w, &st->u.slot, true);
		break;
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
		if (st->u.slot.as)
			w_int(w, "as", st->u.slot.as);
		w_int(w, "id", st->u.slot.id);
		if (st->op == SCN_OP_MEMSLOT_FLAGS)
			w_fit(w, "flags", '[', slot_flag_elems, &st->u.slot.flags);
		break;
	case SCN_OP_FLUSH_TLB:
	case SCN_OP_SMI:
	case SCN_OP_RSM:
	case SCN_OP_VMEXIT:
	case SCN_OP_ZAP_ALL:
	case SCN_OP_EXPECT:
		break;
	}
}

/* Entries of a named list whose names are in @names, in that order (first match). */
static void w_named_sorted(struct jw *w, const struct scn_named_u64 *l, unsigned n,
			   const char *const *names, unsigned nnames, bool regs)
{
	for (unsigned k = 0; k < nnames; k++)
		for (unsigned i = 0; i < n; i++) {
			if (!l[i].name || strcmp(l[i].name, names[k]))
				continue;
			if (regs)
				w_reg(w, names[k], l[i].val);
			else
				w_hex(w, names[k], l[i].val);
			break;
		}
}

static void regs_members(struct jw *w, const void *ctx)
{
	static const char *const regs[] = {"cr0", "cr3",  "cr4",  "efer", "rflags",
					   "cpl", "pkru", "cs_l", "cr2"};
	const struct scn_expect *x = ctx;

	w_named_sorted(w, x->regs, x->nregs, regs, MSC_ARRAY_SIZE(regs), true);
}

static void role_members(struct jw *w, const void *ctx)
{
	static const char *const roles[] = {"cpu_role", "root_role"};
	const struct scn_expect *x = ctx;

	w_named_sorted(w, x->roles, x->nroles, roles, MSC_ARRAY_SIZE(roles), false);
}

static void mem_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	w_hex(w, "gpa", x->mem.gpa);
	if (x->mem.as)
		w_int(w, "as", x->mem.as);
	if (x->mem.size != 8)
		w_int(w, "size", x->mem.size);
	w_hex(w, "value", x->mem.value);
}

static void entry_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	w_pt_ref(w, &x->entry.pt);
	w_hex(w, "va", x->entry.va);
	w_int(w, "level", x->entry.level);
	w_hex(w, "value", x->entry.value);
}

static void trace_elems(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	for (unsigned i = 0; i < x->ntrace; i++)
		w_str(w, NULL, x->trace[i] ? x->trace[i] : "");
}

static void remaining_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	w_hex(w, "gpa", x->range_gpa);
	w_hex(w, "size", x->range_size);
}

static void stats_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	for (unsigned i = 0; i < x->nstats; i++)
		w_int(w, x->stats[i].name ? x->stats[i].name : "", (s64)x->stats[i].val);
}

static void shadow_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	for (unsigned i = 0; i < x->nshadow_pages; i++)
		w_int(w, x->shadow_pages[i].name ? x->shadow_pages[i].name : "",
		      (s64)x->shadow_pages[i].val);
}

static void spte_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;

	w_hex(w, "va", x->spte.gpa_or_va);
	w_int(w, "level", x->spte.level);
	w_hex(w, "value", x->spte.value);
}

static void w_ret(struct jw *w, s32 ret)
{
	for (unsigned i = 0; i < MSC_ARRAY_SIZE(scn_errnos); i++)
		if (scn_errnos[i].val == ret) {
			w_str(w, "ret", scn_errnos[i].name);
			return;
		}
	w_int(w, "ret", ret);
}

/* Keys in the order of the spec's expect table; #NPF exit info shares two fields. */
static void expect_members(struct jw *w, const void *ctx)
{
	const struct scn_expect *x = ctx;
	bool npf = (x->has & SCN_EX_FAULT) && x->fault == SCN_FAULT_NPF;

	if (x->has & SCN_EX_FAULT)
		w_str(w, "fault", scn_fault_names[(unsigned)x->fault % 7]);
	if ((x->has & SCN_EX_ERROR_CODE) && !npf)
		w_hex(w, "error_code", x->error_code);
	if (x->has & SCN_EX_CR2)
		w_hex(w, "cr2", x->cr2);
	if ((x->has & SCN_EX_ERROR_CODE) && npf)
		w_hex(w, "exitinfo1", x->error_code);
	if ((x->has & SCN_EX_GPA) && npf)
		w_hex(w, "exitinfo2", x->gpa);
	if (x->has & SCN_EX_QUAL)
		w_hex(w, "qual", x->qual);
	if ((x->has & SCN_EX_GPA) && !npf)
		w_hex(w, "gpa", x->gpa);
	if (x->has & SCN_EX_VALUE)
		w_hex(w, "value", x->value);
	if (x->has & SCN_EX_PAGE_SIZE)
		w_str(w, "page_size", scn_size_name(x->page_size));
	if (x->has & SCN_EX_TLB_HIT)
		w_bool(w, "tlb_hit", x->tlb_hit);
	if (x->has & SCN_EX_OUTCOMES)
		w_int(w, "outcomes", x->outcomes);
	if (x->has & SCN_EX_REGS)
		w_fit(w, "regs", '{', regs_members, x);
	if (x->has & SCN_EX_TLB_COUNT)
		w_int(w, "tlb_entries", (s64)x->tlb_count);
	if (x->has & SCN_EX_MEM)
		w_fit(w, "mem", '{', mem_members, x);
	if (x->has & SCN_EX_ENTRY)
		w_fit(w, "entry", '{', entry_members, x);
	if (x->has & SCN_EX_TRACE)
		w_fit(w, "trace", '[', trace_elems, x);
	if (x->has & SCN_EX_RET)
		w_ret(w, x->ret);
	if (x->has & SCN_EX_RANGE)
		w_fit(w, "remaining", '{', remaining_members, x);
	if (x->has & SCN_EX_ROOT_CACHE)
		w_str(w, "root_cache", x->root_cache == SCN_RC_HIT ? "hit" : "miss");
	if (x->has & SCN_EX_STATS)
		w_fit(w, "stats", '{', stats_members, x);
	if (x->has & SCN_EX_ROLE)
		w_fit(w, "role", '{', role_members, x);
	if (x->has & SCN_EX_SHADOW_PAGES)
		w_fit(w, "shadow_pages", '{', shadow_members, x);
	if (x->has & SCN_EX_SPTE)
		w_fit(w, "spte", '{', spte_members, x);
	if (x->has & SCN_EX_DIVERGENCE)
		w_bool(w, "divergence", x->divergence);
}

struct step_ctx {
	const struct scenario *s;
	const struct scn_step *st;
};

/* op, vcpu, the op's keys, note, insn, expect. */
static void step_members(struct jw *w, const void *ctx)
{
	const struct step_ctx *c = ctx;
	const struct scn_step *st = c->st;

	w_str(w, "op", scn_op_name(st->op));
	if (st->vcpu)
		w_int(w, "vcpu", st->vcpu);
	w_op(w, c->s, st);
	if (st->note)
		w_str(w, "note", st->note);
	if (st->insn_len) {
		char buf[3 * SCN_MAX_INSN + 1];
		size_t o = 0;

		for (unsigned i = 0; i < st->insn_len && i < SCN_MAX_INSN; i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%02x", i ? " " : "",
					      st->insn[i]);
		w_str(w, "insn", buf);
	}
	if (st->expect.has)
		w_fit(w, "expect", '{', expect_members, &st->expect);
}

/* The document: the root, "machine" and "steps" are always blocks. */
int scn_write(const struct scenario *s, FILE *f)
{
	struct jw w = {.f = f};

	w_open(&w, NULL, '{', false);
	w_int(&w, "version", SCN_VERSION);
	w_str(&w, "name", s->name ? s->name : "");
	if (s->description && *s->description)
		w_str(&w, "description", s->description);
	w_machine(&w, &s->machine);
	w_vcpus(&w, s);
	w_open(&w, "steps", '[', false);
	for (unsigned i = 0; i < s->nsteps; i++) {
		struct step_ctx c = {s, &s->steps[i]};

		w_fit(&w, NULL, '{', step_members, &c);
	}
	w_close(&w, ']');
	w_close(&w, '}');
	fputc('\n', f);
	return ferror(f) || w.failed ? MSC_EIO : 0;
}
