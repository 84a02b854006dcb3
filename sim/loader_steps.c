/* SPDX-License-Identifier: MIT */
/*
 * The loader's steps: the common step keys, each op's keys and checks (page-table
 * references, access sizes, vmentry), in the order of docs/scenario-format.md.
 */
#include "sim/loader_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"
#include "cpu/mem.h"

/* Keys of each step, in canonical order (the writer prints this order). */
static const char *const step_keys[] = {"op", "vcpu", "note", "insn", "expect", NULL};
static const char *const map_keys[] = {"format", "root",  "as",	  "va", "pa",
				       "size",	 "flags", "mode", NULL};
static const char *const unmap_keys[] = {"format", "root", "as", "va", "mode", NULL};
static const char *const set_entry_keys[] = {"format", "root",	"as",	"va",
					     "level",  "value", "mode", NULL};
static const char *const mem_write_keys[] = {"gpa", "as", "size", "value", "host", NULL};
static const char *const mem_read_keys[] = {"gpa", "as", "size", NULL};
static const char *const access_keys[] = {"va", "kind", "size", "cpl", "implicit", "value", NULL};
static const char *const invlpg_keys[] = {"va", NULL};
static const char *const invpcid_keys[] = {"type", "pcid", "va", NULL};
static const char *const vmentry_keys[] = {"vmx", "svm", "l2", NULL};
static const char *const vmx_keys[] = {"eptp", "vpid", NULL};
static const char *const svm_keys[] = {"ncr3", "asid", "npt", NULL};
static const char *const pre_fault_keys[] = {"gpa", "size", "flags", NULL};
static const char *const slot_id_keys[] = {"as", "id", NULL};
static const char *const slot_flags_keys[] = {"as", "id", "flags", NULL};
static const char *const no_keys[] = {NULL};

/*
 * The keys each op takes besides step_keys; any other key is "unknown for op".
 * memslot_add takes a whole memslot, set the register names.
 */
static const char *const *const op_keys[SCN_NR_OPS] = {
	[SCN_OP_SET] = ld_reg_keys,
	[SCN_OP_MAP] = map_keys,
	[SCN_OP_UNMAP] = unmap_keys,
	[SCN_OP_SET_ENTRY] = set_entry_keys,
	[SCN_OP_MEM_WRITE] = mem_write_keys,
	[SCN_OP_MEM_READ] = mem_read_keys,
	[SCN_OP_ACCESS] = access_keys,
	[SCN_OP_INVLPG] = invlpg_keys,
	[SCN_OP_INVPCID] = invpcid_keys,
	[SCN_OP_FLUSH_TLB] = no_keys,
	[SCN_OP_SMI] = no_keys,
	[SCN_OP_RSM] = no_keys,
	[SCN_OP_VMENTRY] = vmentry_keys,
	[SCN_OP_VMEXIT] = no_keys,
	[SCN_OP_PRE_FAULT] = pre_fault_keys,
	[SCN_OP_MEMSLOT_ADD] = ld_slot_keys,
	[SCN_OP_MEMSLOT_DELETE] = slot_id_keys,
	[SCN_OP_MEMSLOT_FLAGS] = slot_flags_keys,
	[SCN_OP_ZAP_ALL] = no_keys,
	[SCN_OP_EXPECT] = no_keys,
};

/* format, root, as of a page-table reference. */
int ld_load_pt_ref(struct ld *L, const struct jn *o, struct scn_pt_ref *pt)
{
	const char *names[6];
	unsigned f;
	u64 align;
	s64 as;
	int rc;

	for (unsigned i = 0; i < 6; i++)
		names[i] = scn_fmt_name((enum scn_fmt)i);
	if ((rc = ld_get_enum(L, o, "format", REQ, "format", names, 6, &f)) < 0)
		return rc;
	pt->fmt = (enum scn_fmt)f;
	if ((rc = ld_get_hex(L, o, "root", REQ, &pt->root)) < 0)
		return rc;
	/* A PAE PDPT is 32-byte aligned (SDM 4.4.1); every other root is a page. */
	align = pt->fmt == SCN_FMT_PAE ? 32 : PAGE_SIZE;
	if (pt->root & (align - 1))
		return ld_key_err(L, o, "root", "root 0x%" PRIx64 " is not %s aligned", pt->root,
				  pt->fmt == SCN_FMT_PAE ? "32-byte" : "page");
	if ((rc = ld_get_int(L, o, "as", OPT, 0, GMEM_NR_AS - 1, &as)) < 0)
		return rc;
	pt->as = rc ? (u8)as : 0;
	return 0;
}

/* A linear address of a table of @pt (key "va"); 32-bit formats take 32-bit addresses. */
int ld_load_va(struct ld *L, const struct jn *o, const struct scn_pt_ref *pt, u64 *va)
{
	int rc = ld_get_hex(L, o, "va", REQ, va);

	if (rc < 0)
		return rc;
	if ((pt->fmt == SCN_FMT_32 || pt->fmt == SCN_FMT_PAE) && *va > 0xffffffffULL)
		return ld_key_err(L, o, "va", "va 0x%" PRIx64 " is beyond 32 bits (format \"%s\")",
				  *va, scn_fmt_name(pt->fmt));
	return 0;
}

/* A level 1..5 that exists in @fmt. */
int ld_load_level(struct ld *L, const struct jn *o, enum scn_fmt fmt, u8 *level)
{
	s64 v;
	int rc = ld_get_int(L, o, "level", REQ, 1, 5, &v);

	if (rc < 0)
		return rc;
	if ((unsigned)v > scn_fmt_levels(fmt))
		return ld_key_err(L, o, "level",
				  "level %" PRId64 " is beyond format \"%s\" (levels 1..%u)", v,
				  scn_fmt_name(fmt), scn_fmt_levels(fmt));
	*level = (u8)v;
	return 0;
}

/* A raw entry value of @fmt: 4 bytes in 32-bit paging. */
int ld_load_entry_value(struct ld *L, const struct jn *o, enum scn_fmt fmt, u64 *val)
{
	int rc = ld_get_hex(L, o, "value", REQ, val);

	if (rc < 0)
		return rc;
	if (!ld_fits(*val, scn_fmt_entry_bytes(fmt)))
		return ld_key_err(L, o, "value",
				  "value 0x%" PRIx64
				  " does not fit the 4-byte entries of format \"32\"",
				  *val);
	return 0;
}

/* "mode": "setup" (a host write, the default) or "guest" (trapped by write protection). */
static int load_mode(struct ld *L, const struct jn *o, enum scn_write_mode *mode)
{
	unsigned e;
	int rc = ld_get_enum(L, o, "mode", OPT, "mode", scn_mode_names, 2, &e);

	*mode = rc > 0 ? (enum scn_write_mode)e : SCN_WRITE_SETUP;
	return rc < 0 ? rc : 0;
}

/*
 * map: the page size must exist in the format and both addresses must be aligned
 * to it, as pt_map() requires; flags are read with the table of the format (EPT
 * names for ept4/ept5).
 */
static int load_map(struct ld *L, const struct jn *o, struct scn_step *st)
{
	const char *sz;
	int rc;

	if ((rc = ld_load_pt_ref(L, o, &st->u.pt.pt)) ||
	    (rc = ld_load_va(L, o, &st->u.pt.pt, &st->u.pt.va)))
		return rc;
	if ((rc = ld_get_hex(L, o, "pa", REQ, &st->u.pt.pa)) < 0)
		return rc;
	st->u.pt.size = PAGE_SIZE;
	if ((rc = ld_get_size(L, o, "size", &st->u.pt.size)) < 0)
		return rc;
	sz = scn_size_name(st->u.pt.size);
	if (!scn_fmt_page_ok(st->u.pt.pt.fmt, st->u.pt.size))
		return ld_key_err(
			L, o, "size", "page size \"%s\" is not valid for format \"%s\" (valid: %s)",
			sz, scn_fmt_name(st->u.pt.pt.fmt), scn_fmt_page_names(st->u.pt.pt.fmt));
	if (st->u.pt.va & (st->u.pt.size - 1))
		return ld_key_err(L, o, "va", "va 0x%" PRIx64 " is not aligned to its %s page",
				  st->u.pt.va, sz);
	if (st->u.pt.pa & (st->u.pt.size - 1))
		return ld_key_err(L, o, "pa", "pa 0x%" PRIx64 " is not aligned to its %s page",
				  st->u.pt.pa, sz);
	if (scn_fmt_is_ept(st->u.pt.pt.fmt))
		rc = ld_get_flags(L, o, "flags", REQ, SCN_FS_EPTE, scn_flagset_field(SCN_FS_EPTE),
				  &st->u.pt.flags);
	else
		rc = ld_get_flags(L, o, "flags", REQ, SCN_FS_PTE, scn_flagset_field(SCN_FS_PTE),
				  &st->u.pt.flags);
	if (rc < 0)
		return rc;
	return load_mode(L, o, &st->u.pt.mode);
}

/* mem_write / mem_read: gpa, as, size (8), value. */
static int load_mem(struct ld *L, const struct jn *o, struct scn_step *st, bool write)
{
	s64 as;
	int rc;

	if ((rc = ld_get_hex(L, o, "gpa", REQ, &st->u.mem.gpa)) < 0)
		return rc;
	if ((rc = ld_get_int(L, o, "as", OPT, 0, GMEM_NR_AS - 1, &as)) < 0)
		return rc;
	st->u.mem.as = rc ? (u8)as : 0;
	st->u.mem.size = 8;
	if ((rc = ld_get_access_size(L, o, &st->u.mem.size)) < 0)
		return rc;
	if (!write)
		return 0;
	if ((rc = ld_get_hex(L, o, "value", REQ, &st->u.mem.value)) < 0)
		return rc;
	if (!ld_fits(st->u.mem.value, st->u.mem.size))
		return ld_fit_err(L, o, st->u.mem.value, st->u.mem.size);
	return ld_get_bool(L, o, "host", &st->u.mem.host) < 0 ? MSC_EINVAL : 0;
}

/*
 * access: one access that stays inside its page (a crossing access is two
 * translations, which a step does not model); "value" only for writes, and it
 * must fit the access size. An omitted cpl is -1: the vCPU's own.
 */
static int load_access(struct ld *L, const struct jn *o, struct scn_step *st)
{
	unsigned e;
	s64 cpl;
	int rc;

	if ((rc = ld_get_hex(L, o, "va", REQ, &st->u.access.va)) < 0)
		return rc;
	if ((rc = ld_get_enum(L, o, "kind", REQ, "access kind", scn_kind_names, 3, &e)) < 0)
		return rc;
	st->u.access.kind = (enum scn_access_kind)e;
	st->u.access.size = 1;
	if ((rc = ld_get_access_size(L, o, &st->u.access.size)) < 0)
		return rc;
	if ((st->u.access.va & ~PAGE_MASK) + st->u.access.size > PAGE_SIZE)
		return ld_key_err(L, o, "size",
				  "an access of %u bytes at 0x%" PRIx64 " crosses a page boundary",
				  st->u.access.size, st->u.access.va);
	if ((rc = ld_get_int(L, o, "cpl", OPT, 0, 3, &cpl)) < 0)
		return rc;
	st->u.access.cpl = rc ? (s8)cpl : -1;
	if ((rc = ld_get_bool(L, o, "implicit", &st->u.access.implicit)) < 0)
		return rc;
	if ((rc = ld_get_hex(L, o, "value", OPT, &st->u.access.value)) < 0)
		return rc;
	if (rc && st->u.access.kind != SCN_ACC_WRITE)
		return ld_key_err(L, o, "value", "value is only for writes (kind \"%s\")",
				  scn_kind_names[st->u.access.kind]);
	if (!ld_fits(st->u.access.value, st->u.access.size))
		return ld_fit_err(L, o, st->u.access.value, st->u.access.size);
	return 0;
}

/*
 * vmentry: "vmx" (EPTP, VPID) on a CPU with VMX, or "svm" (nCR3, ASID, NPT) on one
 * with SVM, never both; the ASID shares the VPID field. Since VMX is Intel-only and
 * SVM AMD-only (cpu_features_check), the machine's vendor tells the writer which
 * of the two a step's fields belong to.
 */
static int load_vmentry(struct ld *L, const struct jn *o, struct scn_step *st)
{
	const struct cpu_features *f = &L->s->machine.feat;
	const struct jn *x, *l2;
	size_t mark = L->c.plen;
	s64 v;
	int rc;

	if (jn_member(o, "vmx") && jn_member(o, "svm"))
		return ld_at_key(L, o, "svm", "vmx and svm exclude each other");
	if (!f->vmx && !f->svm)
		return ld_key_err(L, o, NULL, "vmentry needs the vmx or svm feature");
	if ((rc = ld_get_obj(L, o, "vmx", OPT, vmx_keys, &x)) < 0)
		return rc;
	if (rc) {
		if (!f->vmx)
			return jerr_at(&L->c, x->line, x->col, "vmx needs the vmx feature");
		if ((rc = ld_get_hex(L, x, "eptp", OPT, &st->u.vmentry.eptp)) < 0 ||
		    (rc = ld_get_int(L, x, "vpid", OPT, 0, 65535, &v)) < 0)
			return rc;
		st->u.vmentry.vpid = rc ? (u16)v : 0;
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, o, "svm", OPT, svm_keys, &x)) < 0)
		return rc;
	if (rc) {
		if (!f->svm)
			return jerr_at(&L->c, x->line, x->col, "svm needs the svm feature");
		if ((rc = ld_get_hex(L, x, "ncr3", OPT, &st->u.vmentry.ncr3)) < 0 ||
		    (rc = ld_get_int(L, x, "asid", OPT, 0, 65535, &v)) < 0)
			return rc;
		st->u.vmentry.vpid = rc ? (u16)v : 0;
		if ((rc = ld_get_bool(L, x, "npt", &st->u.vmentry.npt)) < 0)
			return rc;
		if (st->u.vmentry.npt && !f->npt)
			return ld_key_err(L, x, "npt", "npt needs the npt feature");
		jpath_pop(&L->c, mark);
	}
	if ((rc = ld_get_obj(L, o, "l2", OPT, ld_reg_keys, &l2)) < 0)
		return rc;
	if (rc) {
		if ((rc = ld_load_regs(L, l2, st->u.vmentry.l2, &st->u.vmentry.nl2)))
			return rc;
		jpath_pop(&L->c, mark);
	}
	return 0;
}

/*
 * memslot_add takes a whole memslot with its id (no default: the slots present at
 * run time are not known here); delete and flags name a slot by (as, id). Whether
 * the slot exists, overlaps or fits the size bound is checked when the step runs.
 */
static int load_slot_op(struct ld *L, const struct jn *o, struct scn_step *st)
{
	struct scn_memslot *ms = &st->u.slot;
	bool id_given;
	s64 v;
	int rc;

	if (st->op == SCN_OP_MEMSLOT_ADD)
		return ld_load_slot(L, o, ms, REQ, &id_given);
	ms->pos = ld_pos(o);
	if ((rc = ld_get_int(L, o, "as", OPT, 0, GMEM_NR_AS - 1, &v)) < 0)
		return rc;
	ms->as = rc ? (u8)v : 0;
	if ((rc = ld_get_int(L, o, "id", REQ, 0, 65535, &v)) < 0)
		return rc;
	ms->id = (u16)v;
	if (st->op == SCN_OP_MEMSLOT_FLAGS && (rc = ld_load_slot_flags(L, o, REQ, &ms->flags)) < 0)
		return rc;
	return 0;
}

/* The op's own keys (already checked to be the op's) into st->u. */
static int load_op(struct ld *L, const struct jn *o, struct scn_step *st)
{
	s64 v;
	int rc;

	switch (st->op) {
	case SCN_OP_SET:
		if ((rc = ld_load_regs(L, o, st->u.set.regs, &st->u.set.nregs)))
			return rc;
		if (!st->u.set.nregs)
			return ld_key_err(
				L, o, NULL,
				"set needs at least one register (cr0 cr3 cr4 efer rflags "
				"cpl pkru cs_l)");
		return 0;
	case SCN_OP_MAP:
		return load_map(L, o, st);
	case SCN_OP_UNMAP:
		if ((rc = ld_load_pt_ref(L, o, &st->u.pt.pt)) ||
		    (rc = ld_load_va(L, o, &st->u.pt.pt, &st->u.pt.va)))
			return rc;
		return load_mode(L, o, &st->u.pt.mode);
	case SCN_OP_SET_ENTRY:
		if ((rc = ld_load_pt_ref(L, o, &st->u.pt.pt)) ||
		    (rc = ld_load_va(L, o, &st->u.pt.pt, &st->u.pt.va)) ||
		    (rc = ld_load_level(L, o, st->u.pt.pt.fmt, &st->u.pt.level)) ||
		    (rc = ld_load_entry_value(L, o, st->u.pt.pt.fmt, &st->u.pt.value)))
			return rc;
		return load_mode(L, o, &st->u.pt.mode);
	case SCN_OP_MEM_WRITE:
		return load_mem(L, o, st, true);
	case SCN_OP_MEM_READ:
		return load_mem(L, o, st, false);
	case SCN_OP_ACCESS:
		return load_access(L, o, st);
	case SCN_OP_INVLPG:
		return ld_get_hex(L, o, "va", REQ, &st->u.inv.va) < 0 ? MSC_EINVAL : 0;
	case SCN_OP_INVPCID:
		if ((rc = ld_get_int(L, o, "type", REQ, 0, 3, &v)) < 0)
			return rc;
		st->u.inv.type = (u8)v;
		if ((rc = ld_get_int(L, o, "pcid", OPT, 0, 4095, &v)) < 0)
			return rc;
		st->u.inv.pcid = rc ? (u16)v : 0;
		return ld_get_hex(L, o, "va", OPT, &st->u.inv.va) < 0 ? MSC_EINVAL : 0;
	case SCN_OP_VMENTRY:
		return load_vmentry(L, o, st);
	case SCN_OP_PRE_FAULT:
		if ((rc = ld_get_hex(L, o, "gpa", REQ, &st->u.pre_fault.gpa)) < 0 ||
		    (rc = ld_get_hex(L, o, "size", REQ, &st->u.pre_fault.size)) < 0 ||
		    (rc = ld_get_hex(L, o, "flags", OPT, &st->u.pre_fault.flags)) < 0)
			return rc;
		return 0;
	case SCN_OP_MEMSLOT_ADD:
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
		return load_slot_op(L, o, st);
	case SCN_OP_FLUSH_TLB:
	case SCN_OP_SMI:
	case SCN_OP_RSM:
	case SCN_OP_VMEXIT:
	case SCN_OP_ZAP_ALL:
	case SCN_OP_EXPECT:
		break;
	}
	return 0;
}

/* "insn": 1..15 bytes as hex pairs, optionally separated by spaces. */
static int load_insn(struct ld *L, const struct jn *o, struct scn_step *st)
{
	const struct jn *v;
	const char *s;
	size_t len, mark, i = 0;
	char q[64];
	int rc = ld_member(L, o, "insn", OPT, &v);

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, "insn");
	if ((rc = jv_string(&L->c, v, SCN_MAX_STRING, &s, &len)))
		return rc;
	while (i < len) {
		u64 byte;
		char pair[4] = {'0', 'x', 0, 0};

		/* Spaces only between pairs: not leading, not trailing. */
		if (s[i] == ' ' && st->insn_len && i + 1 < len) {
			i++;
			continue;
		}
		pair[2] = s[i];
		pair[3] = i + 1 < len ? s[i + 1] : 0;
		if (st->insn_len >= SCN_MAX_INSN || !pair[3] || !scn_hex_parse(pair, 4, &byte))
			break;
		st->insn[st->insn_len++] = (u8)byte;
		i += 2;
	}
	if (i < len || !st->insn_len)
		return jerr_at(
			&L->c, v->line, v->col,
			"expected 1..15 instruction bytes as hex pairs such as \"48 89 18\", "
			"got %s",
			scn_quote(q, sizeof(q), s, len));
	jpath_pop(&L->c, mark);
	return 1;
}

/*
 * One step: "op" first (it decides which keys are allowed), then the common keys,
 * the op's keys, and "expect". A vCPU index must name one of the scenario's vCPUs.
 */
static int load_step(struct ld *L, const struct jn *o, struct scn_step *st)
{
	const char *names[SCN_NR_OPS];
	char ctx[48];
	unsigned op;
	s64 v;
	int rc;

	if ((rc = jv_is(&L->c, o, cJSON_Object, "object")))
		return rc;
	for (unsigned i = 0; i < SCN_NR_OPS; i++)
		names[i] = scn_op_name((enum scn_op)i);
	if ((rc = ld_get_enum(L, o, "op", REQ, "op", names, SCN_NR_OPS, &op)) < 0)
		return rc;
	st->op = (enum scn_op)op;
	st->pos = ld_pos(o);
	snprintf(ctx, sizeof(ctx), " for op \"%s\"", names[op]);
	if ((rc = jn_check_keys(&L->c, o, step_keys, op_keys[op], ctx)))
		return rc;
	if ((rc = ld_get_int(L, o, "vcpu", OPT, 0, 65535, &v)) < 0)
		return rc;
	if (rc && (u64)v >= L->s->nvcpus)
		return ld_key_err(L, o, "vcpu",
				  "vcpu %" PRId64 " does not exist (the scenario has %u vCPU%s)", v,
				  L->s->nvcpus, L->s->nvcpus == 1 ? "" : "s");
	st->vcpu = rc ? (u16)v : 0;
	if ((rc = load_op(L, o, st)) < 0)
		return rc;
	if ((rc = ld_get_str(L, o, "note", OPT, &st->note)) < 0)
		return rc;
	if ((rc = load_insn(L, o, st)) < 0)
		return rc;
	return ld_load_expect(L, o, st);
}

/*
 * The bound is checked on the count before anything is allocated, so a file of a
 * million small steps costs one array; the error names the first step too many.
 */
int ld_load_steps(struct ld *L, const struct jn *root)
{
	struct scenario *s = L->s;
	const struct jn *a, *e;
	size_t mark = L->c.plen;
	unsigned n = 0;
	int rc = ld_get_arr(L, root, "steps", REQ, &a);

	if (rc < 0)
		return rc;
	for (e = jn_first(a); e; e = jn_next(a, e), n++)
		if (n >= SCN_MAX_STEPS) {
			jpath_index(&L->c, n);
			return jerr_at(&L->c, e->line, e->col, "too many steps (at most %u)",
				       SCN_MAX_STEPS);
		}
	if (scn_alloc_steps(s, n))
		return ld_nomem(L);
	n = 0;
	for (e = jn_first(a); e; e = jn_next(a, e), n++) {
		size_t m2 = jpath_index(&L->c, n);

		if ((rc = load_step(L, e, &s->steps[n])))
			return rc;
		s->nsteps = n + 1;
		jpath_pop(&L->c, m2);
	}
	jpath_pop(&L->c, mark);
	return 0;
}
