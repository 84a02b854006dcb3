/* SPDX-License-Identifier: MIT */
/*
 * The page walker: one loop over the format tables of walk_fmt.c for every
 * paging form, nested paging as the same loop run on each first-stage table
 * address, faults reported as data, and A/D written only after every check.
 */
#include "cpu/walk.h"

#include <string.h>

#include "cpu/mem.h"
#include "cpu/walk_fmt.h"

/*
 * How a walk runs (docs/walker.md has the rules, this is the mechanism):
 *
 *   walk_translate()
 *     wfmt_build(g), wfmt_build(n)       resolve each cfg into tables, once per walk
 *     stage_walk(0, addr, acc)           the first stage; for each of its tables:
 *       [nested] stage_walk(1, entry)    translate the entry's guest-physical address
 *       read the entry, record a step    (refs/nested_refs count memory reads)
 *       present? reserved? misconfig?    per level, in this fixed order (SDM 4.7)
 *       acc &= rights(entry)             inverted NX: every level ANDs in
 *     rights check of stage 0            a guest #PF wins over the final address
 *     [nested] stage_walk(1, gpa, acc)   the final guest-physical address
 *     apply_ad(ad[])                     A/D only now, both stages (SDM 4.8)
 *
 * As in KVM's paging_tmpl.h the walker keeps every level it visits; unlike it,
 * the loop is the same for every format: the per-level differences (entry size,
 * index width, PS meaning, reserved bits, A/D positions, rights of a PAE PDPTE)
 * are table lookups in struct wfmt, so the loop has no format switch except
 * EPT's rights/misconfiguration rules. A/D bits are not written during the walk:
 * each step notes the bits it would set (ad[]), and only a walk whose every check
 * passed stores them. WALK_F_AD_UPPER_ON_FAULT instead stores upper[] (A of the
 * entries the walk descended through) after a fault, as QEMU's walker does.
 */

/*
 * Fault rules, as static text naming the rule and its SDM/APM section
 * (walk_fault.rule). The order of the checks is docs/walker.md "Order of checks".
 */
static const char R_GP_CANON[] = "non-canonical linear address: #GP(0) (SDM 4.5.1, 3.3.7.1)";
static const char R_NOT_PRESENT[] = "paging-structure entry not present: P=0 (SDM 4.7)";
static const char R_PDPTE_NOT_PRESENT[] = "PAE PDPTE register not present: P=0 (SDM 4.4.1, 4.7)";
static const char R_NOMEM[] = "paging-structure entry read found no memory: "
			      "treated as not present (docs/walker.md)";
static const char R_RSVD[] = "reserved bit set in a paging-structure entry "
			     "(SDM 4.7, Tables 4-4..4-20)";
static const char R_PDPTE_RSVD[] = "reserved bit set in a PAE PDPTE (SDM 4.4.1, Table 4-8)";
static const char R_NPT_RSVD[] = "reserved bit set in a nested page-table entry "
				 "(APM 15.25.5, 5.3)";
static const char R_EPT_NOT_PRESENT[] = "EPT violation: EPT entry not present, "
					"XWR=000 (SDM 29.3.3.2)";
static const char R_EPT_NOMEM[] = "EPT violation: EPT entry read found no memory, "
				  "treated as not present (docs/walker.md)";
static const char R_EPT_RSVD[] = "EPT misconfiguration: reserved bit set (SDM 29.3.3.1)";
static const char R_EPT_WNR[] = "EPT misconfiguration: write without read, XWR=x1x with R=0 "
				"(SDM 29.3.3.1)";
static const char R_EPT_XO[] = "EPT misconfiguration: execute-only XWR=100 not supported "
			       "(SDM 29.3.3.1)";
static const char R_EPT_MT[] = "EPT misconfiguration: leaf memory type 2, 3 or 7 "
			       "(SDM 29.3.3.1)";
static const char R_EPT_LEN[] = "EPT misconfiguration: EPTP page-walk length is not 4 or 5 "
				"(SDM 26.2.1.1)";
static const char R_EPT_READ[] = "EPT violation: read of a GPA not readable (SDM 29.3.3.2)";
static const char R_EPT_WRITE[] = "EPT violation: write to a GPA not writable (SDM 29.3.3.2)";
static const char R_EPT_AD_WRITE[] = "EPT violation: the A/D update of a guest paging-structure "
				     "entry is a data write to a GPA not writable (SDM 29.3.3.2)";
static const char R_EPT_FETCH[] = "EPT violation: fetch from a GPA not executable "
				  "(SDM 29.3.3.2)";
static const char R_USER_SUP[] = "user access to a supervisor-mode address (SDM 4.6.1)";
static const char R_USER_WRITE[] = "user write to a read-only address (SDM 4.6.1)";
static const char R_USER_NX[] = "user fetch from a non-executable address (SDM 4.6.1)";
static const char R_SMEP[] = "supervisor fetch from a user-mode address with CR4.SMEP=1 "
			     "(SDM 4.6.1)";
static const char R_SUP_NX[] = "supervisor fetch from a non-executable address (SDM 4.6.1)";
static const char R_SMAP[] = "explicit supervisor data access to a user-mode address with "
			     "CR4.SMAP=1 and RFLAGS.AC=0 (SDM 4.6.1)";
static const char R_SMAP_IMPLICIT[] = "implicit supervisor data access to a user-mode "
				      "address with CR4.SMAP=1 (SDM 4.6.1)";
static const char R_WP[] = "supervisor write to a read-only address with CR0.WP=1 (SDM 4.6.1)";
static const char R_PK_AD[] = "protection key access-disable: PKRU.AD=1 (SDM 4.6.2)";
static const char R_PK_WD[] = "protection key write-disable: PKRU.WD=1 (SDM 4.6.2)";
static const char R_NPT_US[] = "nested page not user-accessible: every NPT access is a user "
			       "access (APM 15.25.5)";
static const char R_NPT_WRITE[] = "write to a read-only nested page (APM 15.25.5)";
static const char R_NPT_NX[] = "fetch from a non-executable nested page (APM 15.25.5)";

/* Where the first stage's leaf ended up: a stage's output. */
struct leafinfo {
	u64 pa; /* output address */
	u64 size; /* page size */
	u64 pte; /* raw leaf entry (0 for no paging) */
	u8 level; /* leaf level (0 for no paging) */
	u8 acc; /* effective rights, ACC_* */
	int step; /* index of the leaf in res->steps, -1 if none */
};

/* The state of one walk_translate() call. */
struct walker {
	const struct walk_ctx *ctx;
	const struct walk_req *req;
	struct walk_result *res;
	struct wfmt f[2]; /* [stage]: ctx->g, ctx->n */
	enum walk_access tkind; /* stage-1 access kind of a stage-0 table read */
	u64 ad[WALK_MAX_STEPS]; /* [step]: A/D bits to set once the access passed */
	u64 upper[WALK_MAX_STEPS]; /* [step]: A bit of a non-leaf (WALK_F_AD_UPPER_ON_FAULT) */
	u8 tacc[WALK_MAX_STEPS]; /* [step]: second-stage rights of a first-stage table page */
};

/* Why a stage stopped. */
enum cause {
	CAUSE_NOT_PRESENT,
	CAUSE_RSVD,
	CAUSE_MISCONFIG, /* EPT only: XWR or memory type */
	CAUSE_RIGHTS,
};

/*
 * Effective rights an entry grants, in ACC_* (KVM's inverted-NX convention, so
 * levels combine with AND). Legacy: R/W is bit 1 = ACC_WRITE and U/S is bit 2 =
 * ACC_USER already; XD (bit 63) inverted is ACC_EXEC. When EFER.NXE=0 bit 63 is
 * reserved and 4-byte entries have no bit 63, so "XD=0" needs no NXE test.
 * EPT: R -> ACC_USER (KVM's EPT convention), W -> ACC_WRITE, X -> ACC_EXEC.
 */
static inline u8 entry_acc(const struct wfmt *f, unsigned level, u64 pte)
{
	if (f->kind == WF_KIND_EPT)
		return (u8)(((pte & WF_EPT_R) << 2) | (pte & WF_EPT_W) | ((pte >> 2) & 1u));
	return (u8)((pte & (WF_RW | WF_US)) | (~pte >> 63) | f->acc_or[level]);
}

/* Read a 4- or 8-byte entry at @pa; false when no memory backs it. */
static inline bool read_entry(const struct walk_mem *m, u64 pa, unsigned esize, u64 *pte)
{
	bool writable;
	const void *p = m->map(m->ctx, pa, esize, &writable);

	if (!p)
		return false;
	if (esize == 4) {
		u32 v;

		memcpy(&v, p, sizeof(v));
		*pte = v;
	} else {
		memcpy(pte, p, sizeof(*pte));
	}
	return true;
}

/*
 * SDM 4.7 error-code bits every #PF/#NPF of this access carries: W for a write,
 * U for a user access (always for NPT), I/D for a fetch when the format defines it.
 */
static u64 access_ec(const struct wfmt *f, enum walk_access kind, bool user)
{
	u64 ec = 0;

	if (kind == WALK_ACC_WRITE)
		ec |= PFERR_W;
	if (user || f->kind == WF_KIND_NPT)
		ec |= PFERR_U;
	if (kind == WALK_ACC_FETCH && f->fetch_ec)
		ec |= PFERR_FETCH;
	return ec;
}

/* A user access in the SDM 4.6 sense: CPL 3 and not an implicit supervisor access. */
static inline bool req_user(const struct walk_req *req)
{
	return req->cpl == 3 && !req->implicit;
}

/*
 * Record the fault that stopped stage @st's walk of @in and return false.
 * @table: stage 1 translating a stage-0 table entry (EPT qualification bit 8
 * clear, #NPF EXITINFO1 bit 33). @acc: EPT rights ANDed over the entries walked,
 * the deciding one included. @ec: #PF bits from the rights check (CAUSE_RIGHTS).
 */
static bool stage_fault(struct walker *w, unsigned st, u64 in, enum walk_access kind, bool table,
			unsigned level, enum cause c, u8 acc, u64 ec, bool nomem, const char *rule)
{
	const struct wfmt *f = &w->f[st];
	struct walk_fault *ft = &w->res->fault;

	ft->stage = (u8)st;
	ft->level = (u8)level;
	ft->nomem = nomem;
	ft->rule = rule;
	if (f->kind == WF_KIND_EPT) {
		u64 q = 0;

		ft->gpa = in;
		if (c == CAUSE_RSVD || c == CAUSE_MISCONFIG) {
			/* SDM 29.3.3.1: exit reason 49, no qualification. */
			ft->kind = WALK_FAULT_EPT_MISCONFIG;
			return false;
		}
		/* SDM 28.3.3.2, Table 28-7. With EPT A/D a guest-table access is a
		 * write, and the SDM sets both bits 0 and 1 for it. */
		if (kind == WALK_ACC_READ || (table && kind == WALK_ACC_WRITE))
			q |= EPT_QUAL_READ;
		if (kind == WALK_ACC_WRITE)
			q |= EPT_QUAL_WRITE;
		if (kind == WALK_ACC_FETCH)
			q |= EPT_QUAL_FETCH;
		if (acc & ACC_USER)
			q |= EPT_QUAL_READABLE;
		if (acc & ACC_WRITE)
			q |= EPT_QUAL_WRITABLE;
		if (acc & ACC_EXEC)
			q |= EPT_QUAL_EXECUTABLE;
		/* Bit 7: a linear address was being translated (a nested walk). */
		if (st == 1) {
			q |= EPT_QUAL_GLA_VALID;
			ft->gla = w->req->addr & w->f[0].in_mask;
			if (!table)
				q |= EPT_QUAL_GLA_XLAT;
		}
		ft->kind = WALK_FAULT_EPT_VIOLATION;
		ft->exit_qual = q;
		return false;
	}
	if (c != CAUSE_RIGHTS) {
		ec = access_ec(f, kind, st == 0 && req_user(w->req));
		if (c == CAUSE_RSVD)
			ec |= PFERR_P | PFERR_RSVD;
	}
	ft->error_code = ec;
	if (f->kind == WF_KIND_NPT) {
		/* APM 15.25.6: EXITINFO1 = #PF-style bits + bit 32/33; EXITINFO2 = GPA. */
		ft->kind = WALK_FAULT_NPF;
		ft->error_code |= table ? PFERR_GUEST_PAGE : PFERR_GUEST_FINAL;
		ft->gpa = in;
		return false;
	}
	ft->kind = WALK_FAULT_PF;
	ft->vector = X86_VEC_PF;
	ft->cr2 = in & f->in_mask;
	return false;
}

/*
 * The legacy rights check (SDM 4.6.1, 4.6.2), in docs/walker.md's order. @user:
 * a user access. Returns 0 or the #PF error code (P|W|U|I/D|PK).
 */
static u64 legacy_permission(const struct walk_cfg *cfg, enum walk_access kind, bool user,
			     bool implicit, bool ac, u8 acc, u8 pkey, const char **rule)
{
	bool write = kind == WALK_ACC_WRITE;
	bool fetch = kind == WALK_ACC_FETCH;
	bool uaddr = acc & ACC_USER;
	bool writable = acc & ACC_WRITE;
	/* SDM 4.6.1: executable when EFER.NXE=0 (32-bit paging has no XD at all). */
	bool exec = (acc & ACC_EXEC) || !cfg->nxe || cfg->fmt == WALK_FMT_32;
	bool pk = false;
	const char *why = NULL;
	u64 ec;

	if (cfg->npt) {
		/* APM 15.25.5: a user access; CR0.WP, SMEP, SMAP and PKU do not apply. */
		user = true;
		if (!uaddr)
			why = R_NPT_US;
		else if (write && !writable)
			why = R_NPT_WRITE;
		else if (fetch && !exec)
			why = R_NPT_NX;
	} else if (user) {
		if (!uaddr)
			why = R_USER_SUP;
		else if (write && !writable)
			why = R_USER_WRITE; /* CR0.WP does not matter at CPL 3 */
		else if (fetch && !exec)
			why = R_USER_NX;
	} else if (fetch) {
		if (cfg->smep && uaddr)
			why = R_SMEP;
		else if (!exec)
			why = R_SUP_NX;
	} else {
		if (uaddr && cfg->smap && (implicit || !ac))
			why = implicit ? R_SMAP_IMPLICIT : R_SMAP;
		else if (write && cfg->wp && !writable)
			why = R_WP;
	}

	/* SDM 4.6.2: PKRU applies to data accesses to user-mode addresses in
	 * 4/5-level paging, at any CPL; it decides the PK bit on its own. */
	if (!cfg->npt && cfg->pke && !fetch && uaddr &&
	    (cfg->fmt == WALK_FMT_4LVL || cfg->fmt == WALK_FMT_5LVL)) {
		unsigned k = pkey & 0xfu;
		bool ad = (cfg->pkru >> (2 * k)) & 1u;
		bool wd = (cfg->pkru >> (2 * k + 1)) & 1u;

		if (ad) {
			pk = true;
			if (!why)
				why = R_PK_AD;
		} else if (wd && write && (user || cfg->wp)) {
			pk = true;
			if (!why)
				why = R_PK_WD;
		}
	}
	if (!why)
		return 0;

	ec = PFERR_P;
	if (write)
		ec |= PFERR_W;
	if (user)
		ec |= PFERR_U;
	/* SDM 4.7: I/D for a fetch when CR4.SMEP=1, or EFER.NXE=1 with PAE-or-wider paging. */
	if (fetch && (cfg->smep || (cfg->nxe && cfg->fmt != WALK_FMT_32)))
		ec |= PFERR_FETCH;
	if (pk)
		ec |= PFERR_PK;
	if (rule)
		*rule = why;
	return ec;
}

/* EPT rights (SDM 29.3.3.2): the access kind's bit must be set in every entry. */
static const char *ept_permission(enum walk_access kind, u8 acc)
{
	switch (kind) {
	case WALK_ACC_READ:
		return acc & ACC_USER ? NULL : R_EPT_READ;
	case WALK_ACC_WRITE:
		return acc & ACC_WRITE ? NULL : R_EPT_WRITE;
	case WALK_ACC_FETCH:
		return acc & ACC_EXEC ? NULL : R_EPT_FETCH;
	}
	return R_EPT_READ;
}

u64 walk_permission(const struct walk_cfg *cfg, const struct walk_req *req, u8 acc, u8 pkey,
		    const char **rule)
{
	const char *why;

	if (rule)
		*rule = NULL;
	switch (cfg->fmt) {
	case WALK_FMT_NONE:
		return 0;
	case WALK_FMT_EPT:
		/* Not a #PF: report a denial as P plus the access's W/I-D bits. */
		why = ept_permission(req->acc, acc);
		if (!why)
			return 0;
		if (rule)
			*rule = why;
		return PFERR_P | (req->acc == WALK_ACC_WRITE ? PFERR_W : 0) |
		       (req->acc == WALK_ACC_FETCH ? PFERR_FETCH : 0);
	case WALK_FMT_32:
	case WALK_FMT_PAE:
	case WALK_FMT_4LVL:
	case WALK_FMT_5LVL:
		break;
	}
	return legacy_permission(cfg, req->acc, req_user(req), req->implicit, req->ac, acc, pkey,
				 rule);
}

/* EPT misconfiguration by XWR or memory type (SDM 29.3.3.1); NULL when none. */
static const char *ept_misconfig(const struct wfmt *f, u64 pte, bool leaf)
{
	u64 xwr = pte & WF_EPT_XWR;

	if ((xwr & (WF_EPT_R | WF_EPT_W)) == WF_EPT_W)
		return R_EPT_WNR;
	if (xwr == WF_EPT_X && !f->execonly)
		return R_EPT_XO;
	if (leaf) {
		unsigned mt = (unsigned)(pte >> WF_EPT_MT_SHIFT) & 7u;

		if (mt == 2 || mt == 3 || mt == 7)
			return R_EPT_MT;
	}
	return NULL;
}

/*
 * Walk stage @st (0: ctx->g, 1: ctx->n) for input address @in and an access of
 * @kind. @table: stage 1 translating a stage-0 table entry. Appends every entry
 * read to res->steps (stage-0 entries after the stage-1 walk of their address),
 * notes the A/D bits to set, and checks rights unless WALK_F_PROBE. Returns
 * true with @out filled, or false with res->fault filled.
 */
static bool stage_walk(struct walker *w, unsigned st, u64 in, enum walk_access kind, bool table,
		       struct leafinfo *out)
{
	const struct walk_cfg *cfg = st ? w->ctx->n : w->ctx->g;
	const struct wfmt *f = &w->f[st];
	struct walk_result *res = w->res;
	u64 a = in & f->in_mask;
	u64 base = f->root;
	u64 pte = 0;
	u8 acc = ACC_ALL;
	unsigned level;
	unsigned si = 0;

	out->step = -1;
	if (f->kind == WF_KIND_NONE) {
		/* Paging disabled: the 32-bit linear address is the physical address
		 * (SDM 4.1.1); as a second stage, "none" is the identity. */
		out->pa = st ? in : a;
		out->size = PAGE_SIZE;
		out->pte = 0;
		out->level = 0;
		out->acc = ACC_ALL;
		return true;
	}
	if (f->canon) {
		/* SDM 4.5.1: bits 63:47 (63:56) must all equal bit 47 (56). */
		u64 top = a >> (f->canon - 1u);

		if (top != 0 && top != (~0ULL >> (f->canon - 1u))) {
			res->fault.kind = WALK_FAULT_GP;
			res->fault.vector = X86_VEC_GP;
			res->fault.stage = (u8)st;
			res->fault.rule = R_GP_CANON;
			return false;
		}
	}
	if (f->bad_levels)
		return stage_fault(w, st, in, kind, table, 0, CAUSE_MISCONFIG, 0, 0, false,
				   R_EPT_LEN);

	/*
	 * One iteration per level, top down. The index is the input's bits
	 * (shift + bits - 1):shift: 31:22/21:12 for 32-bit paging, 9-bit fields
	 * from 12 up otherwise; PAE's 2-bit PDPTE index (31:30) falls out of the
	 * 9-bit field because the input was cut to 32 bits (SDM 4.4.2).
	 */
	for (level = f->levels;; level--) {
		unsigned shift = wfmt_shift(f, level);
		u64 idx = (a >> shift) & ((1u << f->bits) - 1u);
		u64 pte_addr = base + idx * f->esize;
		u64 pte_pa = pte_addr;
		u8 tacc = ACC_ALL;
		bool mem = true;
		u8 sflags = 0;
		unsigned ps;
		bool leaf;
		struct walk_step *s;

		if (level == 3 && f->pdptr) {
			/* SDM 4.4.1: PAE PDPTEs come from the PDPTE registers loaded
			 * at MOV CR3/VM entry: no memory read, no second stage. (An
			 * NPT in PAE form has no registers: pdptr is false for it.) */
			pte = cfg->pdpte[idx & 3u];
			sflags = WALK_STEP_PDPTR;
		} else {
			if (st == 0 && w->ctx->n) {
				/* SDM 29.3.2 / APM 15.25.5: a guest table address is a
				 * guest-physical address: translate it first. */
				struct leafinfo t;

				if (!stage_walk(w, 1, pte_addr, w->tkind, true, &t))
					return false;
				pte_pa = t.pa;
				tacc = t.acc;
			}
			pte = 0;
			mem = read_entry(&w->ctx->mem, pte_pa, f->esize, &pte);
			res->refs++;
			res->nested_refs += st;
		}

		/* Record the entry (the bound cannot be reached: 5 x 6 + 5 < 48). */
		si = res->nsteps;
		if (si < WALK_MAX_STEPS) {
			s = &res->steps[si];
			s->stage = (u8)st;
			s->level = (u8)level;
			s->flags = sflags;
			s->table = base;
			s->pte_addr = pte_addr;
			s->pte_pa = pte_pa;
			s->pte = pte;
			w->ad[si] = 0;
			w->upper[si] = 0;
			w->tacc[si] = tacc;
			res->nsteps = si + 1;
		}

		/* 1. Present (legacy P; EPT any of R/W/X). No memory = not present. */
		if (!mem || !(pte & f->present)) {
			const char *why = f->kind == WF_KIND_EPT
						  ? (mem ? R_EPT_NOT_PRESENT : R_EPT_NOMEM)
					  : !mem   ? R_NOMEM
					  : sflags ? R_PDPTE_NOT_PRESENT
						   : R_NOT_PRESENT;

			return stage_fault(w, st, in, kind, table, level, CAUSE_NOT_PRESENT, 0, 0,
					   !mem, why);
		}
		/* 2. Reserved bits of the entry kind ([ps][level]). */
		ps = (pte & f->ps[level]) != 0;
		if (pte & f->rsvd[ps][level]) {
			const char *why = f->kind == WF_KIND_EPT       ? R_EPT_RSVD
					  : f->kind == WF_KIND_NPT     ? R_NPT_RSVD
					  : level == 3 && f->acc_or[3] ? R_PDPTE_RSVD
								       : R_RSVD;

			return stage_fault(w, st, in, kind, table, level, CAUSE_RSVD, 0, 0, false,
					   why);
		}
		leaf = level == 1 || ps;
		/* 3. EPT misconfiguration by XWR / memory type. */
		if (f->kind == WF_KIND_EPT) {
			const char *why = ept_misconfig(f, pte, leaf);

			if (why)
				return stage_fault(w, st, in, kind, table, level, CAUSE_MISCONFIG,
						   0, 0, false, why);
		}
		acc &= entry_acc(f, level, pte);
		/* 4. Leaf: stop; else descend. */
		if (leaf)
			break;
		/* A non-leaf used by the walk gets A (0 where the format has none:
		 * PAE PDPTEs, EPT without EPTP bit 6). Its address field, bits
		 * (M-1):12, is the next table (bits 51:M were checked above). */
		if (si < WALK_MAX_STEPS)
			w->ad[si] = w->upper[si] = f->a_bit[level];
		base = pte & WF_ADDR_MASK;
	}

	out->level = (u8)level;
	out->size = 1ULL << wfmt_shift(f, level);
	out->pa = wfmt_leaf_base(f, level, pte) | (a & (out->size - 1u));
	out->pte = pte;
	out->acc = acc;
	out->step = (int)si;

	/* The access-rights check of the stage (SDM 4.6, 29.3.3.2; APM 15.25.5). */
	if (!(w->req->flags & WALK_F_PROBE)) {
		if (f->kind == WF_KIND_EPT) {
			const char *why = ept_permission(kind, acc);

			if (why)
				return stage_fault(w, st, in, kind, table, 0, CAUSE_RIGHTS, acc, 0,
						   false, why);
		} else {
			const struct walk_req *r = w->req;
			const char *why = NULL;
			u64 ec = legacy_permission(cfg, kind, st == 0 && req_user(r), r->implicit,
						   r->ac, acc, (u8)((pte >> WF_PKEY_SHIFT) & 0xfu),
						   &why);

			if (ec)
				return stage_fault(w, st, in, kind, table, 0, CAUSE_RIGHTS, acc, ec,
						   false, why);
		}
	}
	/* SDM 4.8 / 29.3.5: A in every entry used, D in the leaf of a write. */
	if (si < WALK_MAX_STEPS)
		w->ad[si] = f->a_bit[level] | (kind == WALK_ACC_WRITE ? f->d_bit : 0);
	return true;
}

/*
 * Set @bits[i] in each recorded entry i through ctx->mem (only bits still 0;
 * re-reading the entry first, since one entry may be recorded more than once --
 * an EPT PML4E serves every second-stage walk of a nested walk -- and must then
 * be written once; SDM 4.8 and 29.3.5 only ever set these bits, never clear them;
 * dropped where map() gives no writable memory, as a read-only memslot drops
 * guest writes), calling wrote() after each write (dirty logging: the A/D
 * update is a guest-visible write). Returns the value the entry of step @want
 * holds afterwards (the first-stage leaf, for res->leaf).
 */
static u64 apply_ad(struct walker *w, const u64 *bits, int want)
{
	const struct walk_mem *m = &w->ctx->mem;
	struct walk_result *res = w->res;
	u64 after = want >= 0 ? res->steps[want].pte : 0;
	unsigned i;

	for (i = 0; i < res->nsteps; i++) {
		struct walk_step *s = &res->steps[i];
		unsigned esize = w->f[s->stage].esize;
		bool writable = false;
		void *p;
		u64 cur = 0, nv;

		if (!bits[i] || (s->pte & bits[i]) == bits[i])
			continue;
		p = m->map(m->ctx, s->pte_pa, esize, &writable);
		if (!p || !writable)
			continue;
		if (esize == 4) {
			u32 v;

			memcpy(&v, p, sizeof(v));
			cur = v;
			nv = cur | bits[i];
			v = (u32)nv;
			if (nv != cur)
				memcpy(p, &v, sizeof(v));
		} else {
			memcpy(&cur, p, sizeof(cur));
			nv = cur | bits[i];
			if (nv != cur)
				memcpy(p, &nv, sizeof(nv));
		}
		if (nv == cur)
			continue;
		s->flags |= WALK_STEP_AD_SET;
		if ((int)i == want)
			after = nv;
		if (m->wrote)
			m->wrote(m->ctx, s->pte_pa);
	}
	return after;
}

bool walk_translate(const struct walk_ctx *ctx, const struct walk_req *req, struct walk_result *res)
{
	struct walker w;
	struct leafinfo o, o2;
	bool probe = req->flags & WALK_F_PROBE;

	/* Everything but the step array, whose first nsteps entries get written. */
	memset(res, 0, offsetof(struct walk_result, steps));
	memset(&res->fault, 0, sizeof(res->fault));
	w.ctx = ctx;
	w.req = req;
	w.res = res;
	wfmt_build(&w.f[0], ctx->g);
	w.tkind = WALK_ACC_READ;
	if (ctx->n) {
		wfmt_build(&w.f[1], ctx->n);
		/* docs/walker.md "Nested": a guest-table read is a write to a second
		 * stage with A/D (NPT always, EPT with EPTP bit 6), else a read. */
		if (w.f[1].a_bit[1])
			w.tkind = WALK_ACC_WRITE;
	}

	if (!stage_walk(&w, 0, req->addr, req->acc, false, &o))
		goto fault;
	res->gpa1 = o.pa;
	res->level = o.level;
	res->page_size = o.size;
	res->acc = o.acc;
	res->leaf = o.pte;
	if (w.f[0].kind != WF_KIND_EPT && w.f[0].levels >= 4)
		res->pkey = (u8)((o.pte >> WF_PKEY_SHIFT) & 0xfu);
	res->global = w.f[0].kind == WF_KIND_LEGACY && ctx->g->pge && o.level && (o.pte & WF_G);

	/* The first-stage rights passed: now the final address (a guest #PF wins). */
	if (ctx->n) {
		if (!stage_walk(&w, 1, o.pa, req->acc, false, &o2))
			goto fault;
		res->gpa = o2.pa;
		res->nested_acc = o2.acc;
		res->nested_page_size = o2.size;
	} else {
		res->gpa = o.pa;
	}

	if (!probe && ctx->n && w.tkind == WALK_ACC_READ) {
		/*
		 * EPT without A/D read the guest tables as reads; setting a guest
		 * A/D bit is a data write to that table's GPA and needs EPT write
		 * permission (SDM 29.3.3.2: "Writes by the logical processor to guest
		 * paging structures to update accessed and dirty flags are considered
		 * to be data writes"). It is a read-modify-write: bits 0 and 1 of the
		 * qualification (bit 0 is implementation-specific, SDM Table 28-7).
		 */
		for (u32 i = 0; i < res->nsteps; i++) {
			const struct walk_step *st = &res->steps[i];

			if (st->stage || (st->flags & WALK_STEP_PDPTR) || !(w.ad[i] & ~st->pte))
				continue;
			if (!(w.tacc[i] & ACC_WRITE)) {
				stage_fault(&w, 1, st->pte_addr, WALK_ACC_WRITE, true, 0,
					    CAUSE_RIGHTS, w.tacc[i], 0, false, R_EPT_AD_WRITE);
				goto fault;
			}
		}
	}
	if (!probe)
		res->leaf = apply_ad(&w, w.ad, o.step);
	res->dirty = w.f[0].d_bit && (res->leaf & w.f[0].d_bit) && o.level;
	res->ok = true;
	return true;

fault:
	if (!probe && (req->flags & WALK_F_AD_UPPER_ON_FAULT))
		apply_ad(&w, w.upper, -1);
	return false;
}

/*
 * 32-bit linear addresses (paging off, 32-bit, PAE) and the CR3 fields of each
 * mode (SDM 4.3-4.5, Table 4-3, 4-7, 4-12).
 */
static u64 pa_bits(u8 maxphyaddr)
{
	unsigned m = maxphyaddr < 32 ? 32 : maxphyaddr > 52 ? 52 : maxphyaddr;

	return GENMASK_ULL(m - 1u, 12);
}

void walk_cfg_from_regs(struct walk_cfg *cfg, const struct cpu_regs *r,
			const struct cpu_features *f)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vendor = f->vendor;
	cfg->maxphyaddr = f->maxphyaddr;
	cfg->wp = r->cr0 & X86_CR0_WP;
	cfg->nxe = r->efer & X86_EFER_NXE;
	cfg->pse = r->cr4 & X86_CR4_PSE;
	cfg->pse36 = f->pse36;
	cfg->gbpages = f->gbpages;
	cfg->pge = r->cr4 & X86_CR4_PGE;
	cfg->smep = r->cr4 & X86_CR4_SMEP;
	cfg->smap = r->cr4 & X86_CR4_SMAP;
	cfg->pke = r->cr4 & X86_CR4_PKE;
	cfg->pkru = r->pkru;

	switch (cpu_paging_mode(r)) {
	case CPU_PAGING_NONE:
		cfg->fmt = WALK_FMT_NONE;
		break;
	case CPU_PAGING_32:
		cfg->fmt = WALK_FMT_32;
		cfg->levels = 2;
		cfg->root = r->cr3 & WF_ADDR_MASK32; /* SDM Table 4-3 */
		break;
	case CPU_PAGING_PAE:
		cfg->fmt = WALK_FMT_PAE;
		cfg->levels = 3;
		cfg->root = r->cr3 & GENMASK_ULL(31, 5); /* SDM Table 4-7 */
		memcpy(cfg->pdpte, r->pdpte, sizeof(cfg->pdpte));
		break;
	case CPU_PAGING_4LVL:
		cfg->fmt = WALK_FMT_4LVL;
		cfg->levels = 4;
		cfg->root = r->cr3 & pa_bits(f->maxphyaddr); /* SDM Table 4-12 */
		break;
	case CPU_PAGING_5LVL:
		cfg->fmt = WALK_FMT_5LVL;
		cfg->levels = 5;
		cfg->root = r->cr3 & pa_bits(f->maxphyaddr);
		break;
	}
}

void walk_cfg_ept(struct walk_cfg *cfg, u64 eptp, const struct cpu_features *f)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fmt = WALK_FMT_EPT;
	cfg->vendor = f->vendor;
	cfg->maxphyaddr = f->maxphyaddr;
	/* SDM 25.6.11 (EPTP): bits 5:3 walk length - 1, bit 6 A/D, (M-1):12 PML4/PML5. */
	cfg->levels = (u8)(((eptp >> 3) & 7u) + 1u);
	cfg->root = eptp & pa_bits(f->maxphyaddr);
	cfg->ept_ad = (eptp & BIT_ULL(6)) && f->ept.ad;
	cfg->ept_execonly = f->ept.execonly;
	cfg->ept_2m = f->ept.huge_2m;
	cfg->ept_1g = f->ept.huge_1g;
}

void walk_cfg_npt(struct walk_cfg *cfg, u64 ncr3, const struct cpu_regs *host,
		  const struct cpu_features *f)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->npt = true;
	cfg->vendor = f->vendor;
	cfg->maxphyaddr = f->maxphyaddr;
	/* APM 15.25.5: the NPT format and its NX/PSE/SMEP come from the host's
	 * paging state at VMRUN; WP, SMAP and PKU do not apply. */
	cfg->nxe = host->efer & X86_EFER_NXE;
	cfg->smep = host->cr4 & X86_CR4_SMEP;
	cfg->pse = host->cr4 & X86_CR4_PSE;
	cfg->pse36 = f->pse36;
	cfg->gbpages = f->gbpages;
	if (host->efer & X86_EFER_LMA) {
		bool la57 = host->cr4 & X86_CR4_LA57;

		cfg->fmt = la57 ? WALK_FMT_5LVL : WALK_FMT_4LVL;
		cfg->levels = la57 ? 5 : 4;
		cfg->root = ncr3 & pa_bits(f->maxphyaddr);
	} else if (host->cr4 & X86_CR4_PAE) {
		/* No PDPTE registers: the walk reads them at nCR3 bits 31:5. */
		cfg->fmt = WALK_FMT_PAE;
		cfg->levels = 3;
		cfg->root = ncr3 & GENMASK_ULL(31, 5);
	} else {
		cfg->fmt = WALK_FMT_32;
		cfg->levels = 2;
		cfg->root = ncr3 & WF_ADDR_MASK32;
	}
}

/* walk_mem over gmem: one slot lookup per entry, writability from the slot flags. */
static void *gmem_map(void *ctx, u64 pa, unsigned len, bool *writable)
{
	const struct walk_gmem_ctx *g = ctx;
	u32 flags = 0;
	void *p = gmem_hva_flags(g->m, g->as, pa, len, &flags);

	if (!p)
		return NULL;
	*writable = !(flags & GMEM_SLOT_READONLY);
	return p;
}

static void gmem_wrote(void *ctx, u64 pa)
{
	const struct walk_gmem_ctx *g = ctx;

	gmem_mark_dirty(g->m, g->as, pa);
}

void walk_mem_gmem(struct walk_mem *wm, struct walk_gmem_ctx *ctx)
{
	wm->map = gmem_map;
	wm->wrote = gmem_wrote;
	wm->ctx = ctx;
}

static void *gmem_map_ro(void *ctx, u64 pa, unsigned len, bool *writable)
{
	const struct walk_gmem_ro_ctx *g = ctx;

	*writable = false;
	return gmem_hva(g->m, g->as, pa, len);
}

void walk_mem_gmem_ro(struct walk_mem *wm, struct walk_gmem_ro_ctx *ctx)
{
	wm->map = gmem_map_ro;
	wm->wrote = NULL;
	wm->ctx = ctx;
}
