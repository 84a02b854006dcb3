/* SPDX-License-Identifier: MIT */
/*
 * EPT and NPT against oracle.h: lone second-stage walks (violation qualification,
 * misconfigurations, reserved bits, A/D) and nested 2D walks (exit information,
 * fault ordering, memory-reference counts, table accesses as writes).
 */
#include "tests/conformance/oracle.h"

static const u64 tbl_gpa[6] = {0, 0x1c3000, 0x2a7000, 0x35b000, 0x4e1000, 0x59d000};
#define MEM_SIZE (16ULL << 20)
#define ALIAS_ID 1
#define MT_WB 6u

static const enum walk_access accs[3] = {WALK_ACC_READ, WALK_ACC_WRITE, WALK_ACC_FETCH};

/* ===========================================================================
 * Lone walks: one chain of tables at tbl_gpa[], translating one address.
 */
struct lone {
	struct gmem *m;
	struct walk_gmem_ctx gctx;
	struct walk_ctx ctx;
	struct walk_cfg cfg;
	u8 levels, leaf;
	u64 addr, frame;
	u64 loc[6]; /* table holding the entry of each level */
};

static void lone_setup(struct lone *x, u8 levels, u8 leaf, u64 addr, u64 frame)
{
	unsigned l;

	memset(x, 0, sizeof(*x));
	x->m = orc_gmem_new(MEM_SIZE);
	x->gctx.m = x->m;
	walk_mem_gmem(&x->ctx.mem, &x->gctx);
	x->ctx.g = &x->cfg;
	x->ctx.n = NULL;
	x->levels = levels;
	x->leaf = leaf;
	x->addr = addr;
	x->frame = frame;
	x->cfg.levels = levels;
	x->cfg.root = tbl_gpa[levels];
	for (l = 1; l <= 5; l++)
		x->loc[l] = tbl_gpa[l];
}

static void *lone_hva(struct lone *x, unsigned l)
{
	return orc_hva(x->m, x->loc[l] + orc_index(WALK_FMT_EPT, l, x->addr) * 8, 8);
}

static u64 lone_next(const struct lone *x, unsigned l)
{
	return l > x->leaf ? tbl_gpa[l - 1] : x->frame;
}

static void lone_walk(struct lone *x, enum walk_access acc, struct walk_result *res)
{
	struct walk_req req;

	memset(&req, 0, sizeof(req));
	req.addr = x->addr;
	req.acc = acc;
	walk_translate(&x->ctx, &req, res);
}

static void ept_cfg_set(struct walk_cfg *c, u8 levels, u8 m, bool ad, bool execonly, bool huge)
{
	c->fmt = WALK_FMT_EPT;
	c->levels = levels;
	c->vendor = CPU_VENDOR_INTEL;
	c->maxphyaddr = m;
	c->ept_ad = ad;
	c->ept_execonly = execonly;
	c->ept_2m = huge;
	c->ept_1g = huge;
}

/* Raw EPT entry (SDM Tables 29-1..29-6). */
static u64 ept_raw(u64 addr, u8 rwx, bool leaf, unsigned level, u8 mt, bool a, bool d)
{
	u64 raw = addr | rwx;

	if (leaf) {
		raw |= (u64)mt << ORC_EPT_MT_SHIFT;
		if (level > 1)
			raw |= ORC_EPT_PS;
	}
	if (a)
		raw |= ORC_EPT_A;
	if (d)
		raw |= ORC_EPT_D;
	return raw;
}

/* Compare a lone EPT walk with the oracle (outcome only; callers check A/D). */
static bool ept_compare(struct orc_str *d, const struct lone *x, const struct orc_ewant *w,
			const struct walk_result *res)
{
	bool bad = false;

	bad |= orc_diff(d, "ok", w->kind == ORC_EPT_OK, res->ok);
	switch (w->kind) {
	case ORC_EPT_OK: {
		u64 ps = orc_page_size(WALK_FMT_EPT, x->leaf);

		bad |= orc_diff(d, "fault.kind", WALK_FAULT_NONE, res->fault.kind);
		bad |= orc_diff(d, "gpa", x->frame | (x->addr & (ps - 1)), res->gpa);
		bad |= orc_diff(d, "level", x->leaf, res->level);
		bad |= orc_diff(d, "page_size", ps, res->page_size);
		bad |= orc_diff(d, "acc", w->acc, res->acc);
		bad |= orc_diff(d, "refs", x->levels - x->leaf + 1u, res->refs);
		break;
	}
	case ORC_EPT_VIOLATION:
		bad |= orc_diff(d, "fault.kind", WALK_FAULT_EPT_VIOLATION, res->fault.kind);
		bad |= orc_diff(d, "exit_qual", w->qual, res->fault.exit_qual);
		bad |= orc_diff(d, "fault.gpa", x->addr, res->fault.gpa);
		bad |= orc_diff(d, "fault.level", w->level, res->fault.level);
		bad |= orc_diff(d, "vector", 0, res->fault.vector);
		break;
	case ORC_EPT_MISCONFIG:
		bad |= orc_diff(d, "fault.kind", WALK_FAULT_EPT_MISCONFIG, res->fault.kind);
		bad |= orc_diff(d, "fault.gpa", x->addr, res->fault.gpa);
		bad |= orc_diff(d, "fault.level", w->level, res->fault.level);
		bad |= orc_diff(d, "vector", 0, res->fault.vector);
		break;
	}
	return bad;
}

static const char *ekind_name(enum orc_ekind k)
{
	return k == ORC_EPT_OK ? "ok" : k == ORC_EPT_VIOLATION ? "violation" : "misconfig";
}

/* One case of the EPT rights matrix. */
struct em_case {
	u8 upper; /* the varied non-leaf level */
	u8 ur, lr; /* XWR of the upper entry and of the leaf */
	bool eo, ad; /* execute-only support, EPTP.AD */
	u8 init; /* initial A/D: bit 0 leaf A, bit 1 leaf D, bit 2 upper A */
	enum walk_access acc;
};

static void em_check(struct orc_log *log, struct lone *x, const struct em_case *c)
{
	struct orc_eent e[5];
	u64 raw[6];
	struct orc_ewant w;
	struct walk_result res;
	struct orc_str d;
	bool bad = false;
	unsigned n = 0, l, i;

	ept_cfg_set(&x->cfg, x->levels, 52, c->ad, c->eo, true);
	for (l = x->levels; l >= x->leaf; l--) {
		bool lf = l == x->leaf;
		u8 rwx = lf ? c->lr : l == c->upper ? c->ur : 7;
		bool a = lf ? (c->init & 1) : (l == c->upper && (c->init & 4));

		raw[l] = ept_raw(lone_next(x, l), rwx, lf, l, MT_WB, a, lf && (c->init & 2));
		orc_wr64(lone_hva(x, l), raw[l]);
		memset(&e[n], 0, sizeof(e[n]));
		e[n].level = (u8)l;
		e[n].leaf = lf;
		e[n].rwx = rwx;
		e[n].mt = lf ? MT_WB : 0;
		n++;
	}
	lone_walk(x, c->acc, &res);
	orc_ept(c->eo, e, n, orc_ept_need(c->acc), orc_ept_qacc(c->acc), &w);
	log->cases++;
	log->want_ok += w.kind == ORC_EPT_OK;

	d.n = 0;
	d.s[0] = 0;
	bad |= ept_compare(&d, x, &w, &res);
	for (l = x->levels; l >= x->leaf; l--) {
		u64 want = raw[l];
		char nm[24];

		if (w.kind == ORC_EPT_OK && c->ad)
			want |= ORC_EPT_A |
				(l == x->leaf && c->acc == WALK_ACC_WRITE ? ORC_EPT_D : 0);
		snprintf(nm, sizeof(nm), "E%u after", l);
		bad |= orc_diff(&d, nm, want, orc_rd64(lone_hva(x, l)));
	}
	if (!bad)
		return;

	{
		struct orc_str s;

		s.n = 0;
		s.s[0] = 0;
		orc_cat(&s, "EPT %u-level gpa=0x%llx acc=%s execonly=%d ad=%d ", x->levels,
			(unsigned long long)x->addr, orc_acc_name(c->acc), c->eo, c->ad);
		for (i = 0; i < n; i++)
			orc_eent_str(&s, &e[i]);
		orc_mismatch(log, "%s| want %s qual=0x%llx (%s) got %s qual=0x%llx |%s", s.s,
			     ekind_name(w.kind), (unsigned long long)w.qual, w.why,
			     orc_kind_name(res.fault.kind), (unsigned long long)res.fault.exit_qual,
			     d.s);
	}
}

/*
 * EPT rights matrix: for 4/5 levels and 4K/2M/1G leaves, each non-leaf level in
 * turn gets every XWR while the leaf gets every XWR, for read/write/fetch, with
 * and without execute-only, with and without EPTP.AD, every initial A/D.
 */
static void ept_matrix(u8 levels, u8 leaf, u8 upper, struct orc_log *log)
{
	const u64 addr = 0x000e5a5ac3b2d1e9ULL;
	const u64 frame = leaf == 3   ? 0x123440000000ULL
			  : leaf == 2 ? 0x123456600000ULL
				      : 0x123456789000ULL;
	struct lone x;
	unsigned i;

	lone_setup(&x, levels, leaf, levels == 5 ? addr : addr & orc_bits(45, 0), frame);
	for (i = 0; i < 8 * 8 * 2 * 2 * 8 * 3; i++) {
		struct em_case c;
		unsigned v = i;

		c.upper = upper;
		c.acc = accs[v % 3];
		v /= 3;
		c.init = (u8)(v % 8);
		v /= 8;
		c.ad = v & 1;
		c.eo = v & 2;
		v /= 4;
		c.lr = (u8)(v % 8);
		c.ur = (u8)(v / 8);
		em_check(log, &x, &c);
	}
	gmem_destroy(x.m);
}

static void test_ept_xwr_at_each_level_gives_violation_qual_or_misconfig(void **state)
{
	struct orc_log log;
	u8 levels, leaf, up;

	(void)state;
	orc_log_init(&log, "EPT XWR matrix");
	for (levels = 4; levels <= 5; levels++)
		for (leaf = 1; leaf <= 3; leaf++)
			for (up = levels; up > leaf; up--)
				ept_matrix(levels, leaf, up, &log);
	orc_log_done(&log);
}

static void mt_check(struct orc_log *log, struct lone *x, u8 mt, bool ipat, enum walk_access acc)
{
	struct orc_eent e[5];
	struct orc_ewant w;
	struct walk_result res;
	struct orc_str d;
	unsigned n = 0, l;

	for (l = x->levels; l >= x->leaf; l--) {
		bool lf = l == x->leaf;
		u64 raw = ept_raw(lone_next(x, l), 7, lf, l, mt, false, false);

		if (lf && ipat)
			raw |= BIT_ULL(6);
		orc_wr64(lone_hva(x, l), raw);
		memset(&e[n], 0, sizeof(e[n]));
		e[n].level = (u8)l;
		e[n].leaf = lf;
		e[n].rwx = 7;
		e[n].mt = lf ? mt : 0;
		n++;
	}
	lone_walk(x, acc, &res);
	orc_ept(true, e, n, orc_ept_need(acc), orc_ept_qacc(acc), &w);
	log->cases++;
	log->want_ok += w.kind == ORC_EPT_OK;
	d.n = 0;
	d.s[0] = 0;
	if (ept_compare(&d, x, &w, &res))
		orc_mismatch(log, "EPT %u-level leaf L%u mt=%u ipat=%d acc=%s want %s got %s |%s",
			     x->levels, x->leaf, mt, ipat, orc_acc_name(acc), ekind_name(w.kind),
			     orc_kind_name(res.fault.kind), d.s);
}

/* Leaf memory type 2, 3, 7 is a misconfiguration; IPAT never matters. */
static void test_ept_leaf_memtype_2_3_7_is_misconfig(void **state)
{
	struct orc_log log;
	u8 levels, leaf;
	unsigned i;

	(void)state;
	orc_log_init(&log, "EPT memory type");
	for (levels = 4; levels <= 5; levels++)
		for (leaf = 1; leaf <= 3; leaf++) {
			struct lone x;

			lone_setup(&x, levels, leaf,
				   0x0003002ac3b2d1e9ULL & orc_bits(levels * 9 + 11, 0),
				   leaf == 3 ? 0x40000000ULL : 0x40200000ULL);
			ept_cfg_set(&x.cfg, levels, 52, false, true, true);
			for (i = 0; i < 8 * 2 * 3; i++)
				mt_check(&log, &x, (u8)(i / 6), (i / 3) & 1, accs[i % 3]);
			gmem_destroy(x.m);
		}
	orc_log_done(&log);
}

/* Is bit 7 of a non-leaf EPT entry at @l a PS flag this cfg supports? */
static bool ept_ps_supported(const struct walk_cfg *c, unsigned l)
{
	return (l == 2 && c->ept_2m) || (l == 3 && c->ept_1g);
}

static bool page_busy(u64 gpa)
{
	unsigned l;

	for (l = 1; l <= 5; l++)
		if (tbl_gpa[l] == (gpa & PAGE_MASK))
			return true;
	return false;
}

/*
 * Each bit 3..63 set in turn in each EPT entry, for MAXPHYADDR 36/39/46/52, every
 * leaf size with and without large-page support, EPTP.AD on and off. Also:
 * reserved bits of a not-present entry are ignored, and walk_rsvd_mask agrees.
 */
static void ept_rsvd_cfg(struct orc_log *log, u8 m, u8 levels, u8 leaf, bool huge, bool ad,
			 unsigned long *skipped)
{
	const u64 frame = leaf == 3 ? 0x8c0000000ULL : leaf == 2 ? 0xa5c200000ULL : 0xa5c123000ULL;
	struct orc_rsvd_cfg rc;
	struct lone x;
	unsigned lf, b, l, ps;

	lone_setup(&x, levels, leaf, 0x000e5a5ac3b2d1e9ULL & orc_bits(m - 1u, 0), frame);
	ept_cfg_set(&x.cfg, levels, m, ad, true, huge);
	memset(&rc, 0, sizeof(rc));
	rc.fmt = WALK_FMT_EPT;
	rc.vendor = CPU_VENDOR_INTEL;
	rc.maxphyaddr = m;
	rc.ept_2m = huge;
	rc.ept_1g = huge;

	for (l = 1; l <= levels; l++)
		for (ps = 0; ps < 2; ps++) {
			u64 want = orc_rsvd_mask(&rc, l, ps),
			    got = walk_rsvd_mask(&x.cfg, (u8)l, ps);

			log->cases++;
			log->want_ok++;
			if (want != got)
				orc_mismatch(
					log,
					"EPT M=%u huge=%d walk_rsvd_mask(level %u, ps %u) want "
					"0x%llx got 0x%llx (diff 0x%llx)",
					m, huge, l, ps, (unsigned long long)want,
					(unsigned long long)got, (unsigned long long)(want ^ got));
		}

	for (lf = levels; lf >= leaf; lf--) {
		for (b = 2; b < 64; b++) {
			u64 raw[6], moved = 0, bit = BIT_ULL(b);
			bool redirect = false, in_slot = false, np = b == 2;
			struct orc_eent e[5];
			unsigned n = 0, ai;

			for (l = 1; l <= 5; l++)
				x.loc[l] = tbl_gpa[l];
			for (l = levels; l >= leaf; l--)
				raw[l] =
					ept_raw(lone_next(&x, l), 7, l == leaf, l, 0, false, false);
			if (np) {
				/* b == 2 stands for: not present, every reserved bit set */
				raw[lf] = (raw[lf] & ~7ULL) |
					  orc_rsvd_mask(&rc, lf, (raw[lf] & ORC_EPT_PS) != 0);
			} else {
				if (raw[lf] & bit)
					continue;
				if (b == 7 && lf > leaf && ept_ps_supported(&x.cfg, lf)) {
					(*skipped)++;
					continue;
				}
				raw[lf] |= bit;
			}
			if (!np && lf > leaf && b >= 12 && b < m) {
				redirect = true;
				moved = tbl_gpa[lf - 1] | bit;
				in_slot = moved < MEM_SIZE;
				if (in_slot && page_busy(moved)) {
					(*skipped)++;
					continue;
				}
				if (!in_slot) {
					struct gmem_slot_desc sd;

					memset(&sd, 0, sizeof(sd));
					sd.id = ALIAS_ID;
					sd.base = moved;
					sd.size = PAGE_SIZE;
					sd.alias = true;
					sd.alias_offset = tbl_gpa[lf - 1];
					assert_int_equal(gmem_slot_add(x.m, &sd), 0);
				}
				orc_wr64(lone_hva(&x, lf - 1), 0);
				x.loc[lf - 1] = moved;
			}
			for (l = levels; l >= leaf; l--) {
				bool lps = (raw[l] & ORC_EPT_PS) && l > 1;

				memset(&e[n], 0, sizeof(e[n]));
				e[n].level = (u8)l;
				e[n].leaf = l == leaf;
				e[n].rwx = (u8)(raw[l] & 7);
				e[n].mt = l == leaf ? (u8)((raw[l] >> 3) & 7) : 0;
				e[n].rsvd = (raw[l] & orc_rsvd_mask(&rc, l, lps)) != 0;
				n++;
			}
			for (ai = 0; ai < 2; ai++) {
				struct orc_ewant w;
				struct walk_result res;
				struct orc_str d;
				bool bad = false;
				u64 ps_sz = orc_page_size(WALK_FMT_EPT, leaf);

				for (l = levels; l >= leaf; l--)
					orc_wr64(lone_hva(&x, l), raw[l]);
				lone_walk(&x, accs[ai], &res);
				orc_ept(true, e, n, orc_ept_need(accs[ai]), orc_ept_qacc(accs[ai]),
					&w);
				log->cases++;
				log->want_ok += w.kind == ORC_EPT_OK;
				d.n = 0;
				d.s[0] = 0;
				bad |= orc_diff(&d, "ok", w.kind == ORC_EPT_OK, res.ok);
				if (w.kind == ORC_EPT_OK) {
					u64 gpa = (raw[leaf] & orc_bits(m - 1u, 0) & ~(ps_sz - 1)) |
						  (x.addr & (ps_sz - 1));

					bad |= orc_diff(&d, "gpa", gpa, res.gpa);
				} else {
					bad |= orc_diff(&d, "fault.kind",
							w.kind == ORC_EPT_VIOLATION
								? WALK_FAULT_EPT_VIOLATION
								: WALK_FAULT_EPT_MISCONFIG,
							res.fault.kind);
					bad |= orc_diff(&d, "fault.level", w.level,
							res.fault.level);
					bad |= orc_diff(&d, "fault.gpa", x.addr, res.fault.gpa);
					if (w.kind == ORC_EPT_VIOLATION)
						bad |= orc_diff(&d, "exit_qual", w.qual,
								res.fault.exit_qual);
				}
				for (l = levels; l >= leaf; l--) {
					u64 want = raw[l];
					char nm[24];

					if (w.kind == ORC_EPT_OK && ad)
						want |= ORC_EPT_A |
							(l == leaf && ai == 1 ? ORC_EPT_D : 0);
					snprintf(nm, sizeof(nm), "E%u after", l);
					bad |= orc_diff(&d, nm, want, orc_rd64(lone_hva(&x, l)));
				}
				if (bad) {
					struct orc_str c;

					c.n = 0;
					c.s[0] = 0;
					orc_cat(&c,
						"EPT %u-level leaf=L%u M=%u huge=%d ad=%d "
						"gpa=0x%llx "
						"acc=%s %s E%u entries:",
						levels, leaf, m, huge, ad,
						(unsigned long long)x.addr, orc_acc_name(accs[ai]),
						np ? "not-present+all-reserved" : "bit set", lf);
					if (!np)
						orc_cat(&c, " (bit %u)", b);
					for (l = levels; l >= leaf; l--)
						orc_cat(&c, " E%u=0x%llx", l,
							(unsigned long long)raw[l]);
					orc_mismatch(log, "%s | want %s (%s) got %s |%s", c.s,
						     ekind_name(w.kind), w.why,
						     orc_kind_name(res.fault.kind), d.s);
				}
			}
			if (redirect) {
				orc_wr64(lone_hva(&x, lf - 1), 0);
				if (!in_slot)
					assert_int_equal(gmem_slot_delete(x.m, 0, ALIAS_ID), 0);
			}
		}
	}
	gmem_destroy(x.m);
}

static void test_ept_reserved_bits_are_misconfig_per_level_and_maxphyaddr(void **state)
{
	static const u8 ms[] = {36, 39, 46, 52};
	struct orc_log log;
	unsigned long skipped = 0;
	unsigned mi, levels, leaf, huge, ad;

	(void)state;
	orc_log_init(&log, "EPT reserved bits");
	for (mi = 0; mi < MSC_ARRAY_SIZE(ms); mi++)
		for (levels = 4; levels <= 5; levels++)
			for (leaf = 1; leaf <= 3; leaf++)
				for (huge = 0; huge < 2; huge++)
					for (ad = 0; ad < 2; ad++)
						ept_rsvd_cfg(&log, ms[mi], (u8)levels, (u8)leaf,
							     huge, ad, &skipped);
	printf("[ CASES    ] EPT reserved bits: %lu positions not applicable (supported PS, "
	       "moved table on a used page)\n",
	       skipped);
	orc_log_done(&log);
}

/* ===========================================================================
 * Lone NPT walk (APM 15.25.5): a guest-physical address through legacy-format
 * tables, every access a user access, #NPF with EXITINFO1 bit 32.
 */
struct nl_case {
	u8 upper;
	u8 lb; /* leaf: P W U A D NX */
	u8 ub; /* upper: P W U A NX */
	enum walk_access acc;
	u8 cpl;
	bool nxe, smep;
	bool hostile; /* CR0.WP, SMAP, PKE with PKRU all-deny: none may apply */
};

static void nl_check(struct orc_log *log, struct lone *x, const struct nl_case *c)
{
	struct orc_env env;
	struct orc_acc a;
	struct orc_ent e[4];
	struct orc_want w;
	struct walk_result res;
	struct walk_req req;
	struct orc_str d;
	u64 raw[6];
	bool bad = false;
	unsigned n = 0, i, l;

	memset(&env, 0, sizeof(env));
	env.fmt = WALK_FMT_4LVL;
	env.npt = true;
	env.nxe = c->nxe;
	env.smep = c->smep;
	env.wp = env.smap = env.pke = c->hostile;
	env.pkru = c->hostile ? 0xffffffffu : 0;
	x->cfg.nxe = env.nxe;
	x->cfg.smep = env.smep;
	x->cfg.wp = env.wp;
	x->cfg.smap = env.smap;
	x->cfg.pke = env.pke;
	x->cfg.pkru = env.pkru;
	memset(&a, 0, sizeof(a));
	a.kind = c->acc;
	a.cpl = c->cpl;

	for (l = 4; l >= x->leaf; l--) {
		struct orc_ent *p = &e[n];

		memset(p, 0, sizeof(*p));
		p->level = (u8)l;
		p->leaf = l == x->leaf;
		p->p = p->w = p->u = true;
		if (p->leaf) {
			p->p = c->lb & 1;
			p->w = c->lb & 2;
			p->u = c->lb & 4;
			p->a = c->lb & 8;
			p->d = c->lb & 16;
			p->nx = c->lb & 32;
		} else if (l == c->upper) {
			p->p = c->ub & 1;
			p->w = c->ub & 2;
			p->u = c->ub & 4;
			p->a = c->ub & 8;
			p->nx = c->ub & 16;
		}
		raw[l] = lone_next(x, l) | (p->p ? ORC_P : 0) | (p->w ? ORC_W : 0) |
			 (p->u ? ORC_U : 0) | (p->a ? ORC_A : 0) | (p->d ? ORC_D : 0) |
			 (p->nx ? ORC_NX : 0) | (p->leaf && l > 1 ? ORC_PS : 0);
		orc_wr64(lone_hva(x, l), raw[l]);
		n++;
	}
	memset(&req, 0, sizeof(req));
	req.addr = x->addr;
	req.acc = a.kind;
	req.cpl = a.cpl;
	walk_translate(&x->ctx, &req, &res);
	orc_legacy(&env, &a, e, n, &w);
	log->cases++;
	log->want_ok += w.ok;

	d.n = 0;
	d.s[0] = 0;
	bad |= orc_diff(&d, "ok", w.ok, res.ok);
	if (w.ok) {
		u64 ps = orc_page_size(WALK_FMT_4LVL, x->leaf);

		bad |= orc_diff(&d, "gpa", x->frame | (x->addr & (ps - 1)), res.gpa);
		bad |= orc_diff(&d, "acc", w.acc, res.acc);
	} else {
		bad |= orc_diff(&d, "fault.kind", WALK_FAULT_NPF, res.fault.kind);
		bad |= orc_diff(&d, "EXITINFO1", w.err | PFERR_GUEST_FINAL, res.fault.error_code);
		bad |= orc_diff(&d, "EXITINFO2", x->addr, res.fault.gpa);
		bad |= orc_diff(&d, "fault.level", w.level, res.fault.level);
		bad |= orc_diff(&d, "vector", 0, res.fault.vector);
	}
	for (i = 0; i < n; i++) {
		u64 want = raw[e[i].level];
		char nm[24];

		if (w.ok)
			want |= ORC_A | (e[i].leaf && a.kind == WALK_ACC_WRITE ? ORC_D : 0);
		snprintf(nm, sizeof(nm), "L%u after", e[i].level);
		bad |= orc_diff(&d, nm, want, orc_rd64(lone_hva(x, e[i].level)));
	}
	if (!bad)
		return;

	{
		struct orc_str s;

		s.n = 0;
		s.s[0] = 0;
		orc_cat(&s, "gpa=0x%llx ", (unsigned long long)x->addr);
		orc_env_str(&s, &env, &a);
		for (i = 0; i < n; i++)
			orc_ent_str(&s, &e[i]);
		orc_mismatch(log, "%s| want %s err=0x%llx (%s) got %s info1=0x%llx |%s", s.s,
			     w.ok ? "ok" : "#NPF", (unsigned long long)w.err, w.why,
			     orc_kind_name(res.fault.kind),
			     (unsigned long long)res.fault.error_code, d.s);
	}
}

/* Every leaf flag set x every flag set of one upper level x access x CPL x host NXE/SMEP. */
static void npt_lone(struct orc_log *log, u8 leaf, u8 upper)
{
	const u64 frame = leaf == 3   ? 0x5a40000000ULL
			  : leaf == 2 ? 0x5a5a600000ULL
				      : 0x5a5a6b7000ULL;
	struct lone x;
	unsigned i;

	lone_setup(&x, 4, leaf, 0x00007e5bd3c4b2a1ULL, frame);
	x.cfg.fmt = WALK_FMT_4LVL;
	x.cfg.npt = true;
	x.cfg.vendor = CPU_VENDOR_AMD;
	x.cfg.maxphyaddr = 48;
	x.cfg.gbpages = true;
	for (i = 0; i < 64 * 32 * 3 * 2 * 8; i++) {
		struct nl_case c;
		unsigned v = i;

		c.upper = upper;
		c.acc = accs[v % 3];
		v /= 3;
		c.cpl = (v & 1) ? 3 : 0;
		c.nxe = v & 2;
		c.smep = v & 4;
		c.hostile = v & 8;
		v /= 16;
		c.ub = (u8)(v % 32);
		c.lb = (u8)(v / 32);
		nl_check(log, &x, &c);
	}
	gmem_destroy(x.m);
}

static void test_npt_lone_walk_is_user_access_with_exitinfo1_final_bit(void **state)
{
	struct orc_log log;

	(void)state;
	orc_log_init(&log, "NPT lone walk");
	npt_lone(&log, 1, 4);
	npt_lone(&log, 1, 2);
	npt_lone(&log, 2, 3);
	npt_lone(&log, 3, 4);
	orc_log_done(&log);
}

/* One NPT reserved-bit case: @bit set in the entry at level @lf. */
static void nr_check(struct orc_log *log, struct lone *x, const struct orc_rsvd_cfg *rc,
		     unsigned lf, unsigned bit, enum walk_access acc)
{
	struct orc_env env;
	struct orc_acc a;
	struct orc_ent e[4];
	struct orc_want w;
	struct walk_result res;
	struct walk_req req;
	struct orc_str d;
	unsigned n = 0, l;
	bool bad = false;

	memset(&env, 0, sizeof(env));
	env.fmt = WALK_FMT_4LVL;
	env.npt = true;
	env.nxe = rc->nxe;
	memset(&a, 0, sizeof(a));
	a.kind = acc;
	for (l = 4; l >= x->leaf; l--) {
		u64 raw = lone_next(x, l) | ORC_P | ORC_W | ORC_U |
			  (l == x->leaf && l > 1 ? ORC_PS : 0);

		if (l == lf)
			raw |= BIT_ULL(bit);
		orc_wr64(lone_hva(x, l), raw);
		memset(&e[n], 0, sizeof(e[n]));
		e[n].level = (u8)l;
		e[n].leaf = l == x->leaf;
		e[n].p = e[n].w = e[n].u = true;
		e[n].nx = raw & ORC_NX;
		e[n].rsvd = (raw & orc_rsvd_mask(rc, l, raw & ORC_PS)) != 0;
		n++;
	}
	memset(&req, 0, sizeof(req));
	req.addr = x->addr;
	req.acc = acc;
	walk_translate(&x->ctx, &req, &res);
	orc_legacy(&env, &a, e, n, &w);
	log->cases++;
	log->want_ok += w.ok;
	d.n = 0;
	d.s[0] = 0;
	bad |= orc_diff(&d, "ok", w.ok, res.ok);
	if (!w.ok) {
		bad |= orc_diff(&d, "fault.kind", WALK_FAULT_NPF, res.fault.kind);
		bad |= orc_diff(&d, "EXITINFO1", w.err | PFERR_GUEST_FINAL, res.fault.error_code);
		bad |= orc_diff(&d, "EXITINFO2", x->addr, res.fault.gpa);
		bad |= orc_diff(&d, "fault.level", w.level, res.fault.level);
	}
	if (bad)
		orc_mismatch(log, "NPT leaf=L%u nxe=%d bit %u in L%u acc=%s want %s (%s) |%s",
			     x->leaf, rc->nxe, bit, lf, orc_acc_name(acc), w.ok ? "ok" : "#NPF",
			     w.why, d.s);
}

/*
 * NPT reserved bits (AMD format: bits 8:7 of a PML4E, M..51, XD without host NXE)
 * give EXITINFO1 P|RSVD|U (+W) with bit 32; ignored bits 58:52 do not fault.
 */
static void test_npt_reserved_bits_set_rsvd_in_exitinfo1(void **state)
{
	static const u8 bits[] = {7, 8, 9, 48, 49, 50, 51, 52, 55, 58, 62, 63};
	struct orc_log log;
	unsigned leaf, nxe, lf, bi, ai;

	(void)state;
	orc_log_init(&log, "NPT reserved bits");
	for (leaf = 1; leaf <= 3; leaf++)
		for (nxe = 0; nxe < 2; nxe++) {
			struct orc_rsvd_cfg rc;
			struct lone x;

			lone_setup(&x, 4, (u8)leaf, 0x00007e5bd3c4b2a1ULL,
				   leaf == 3 ? 0x5a40000000ULL : 0x5a5a600000ULL);
			x.cfg.fmt = WALK_FMT_4LVL;
			x.cfg.npt = true;
			x.cfg.vendor = CPU_VENDOR_AMD;
			x.cfg.maxphyaddr = 48;
			x.cfg.gbpages = true;
			x.cfg.nxe = nxe;
			memset(&rc, 0, sizeof(rc));
			rc.fmt = WALK_FMT_4LVL;
			rc.vendor = CPU_VENDOR_AMD;
			rc.maxphyaddr = 48;
			rc.nxe = nxe;
			rc.gbpages = true;
			for (lf = 4; lf >= leaf; lf--)
				for (bi = 0; bi < MSC_ARRAY_SIZE(bits); bi++) {
					if (bits[bi] == 7 && lf > leaf && lf < 4)
						continue; /* PS: would make a leaf */
					for (ai = 0; ai < 2; ai++)
						nr_check(&log, &x, &rc, lf, bits[bi], accs[ai]);
				}
			gmem_destroy(x.m);
		}
	orc_log_done(&log);
}

/* ===========================================================================
 * Nested walks. Page k (0 = the data page, k = the guest table of level k) has
 * its own L2 GPA, its own L1 backing page and its own second-stage chain (its own
 * root entry), so every second-stage entry of every access can be varied alone.
 */
#define NPAGES 6

struct nest {
	struct gmem *m;
	struct walk_gmem_ctx gctx;
	struct walk_ctx ctx;
	struct walk_cfg g, s;
	bool ept;
	u8 glevels, slevels;
	enum walk_fmt gfmt;
	u64 gva;
	u64 l2[NPAGES];
	u64 l1[NPAGES];
	u64 stbl[NPAGES][6]; /* second-stage table of page k at level j */
};

static u64 nest_l2(u8 slevels, unsigned k)
{
	u64 v = (u64)(k + 1) << 12;
	unsigned j;

	for (j = 2; j <= slevels; j++)
		v |= (u64)(k + j) << (12 + 9 * (j - 1));
	return v;
}

static void nest_setup(struct nest *x, bool ept, enum walk_fmt gfmt, u8 slevels)
{
	unsigned k, j;

	memset(x, 0, sizeof(*x));
	x->m = orc_gmem_new(MEM_SIZE);
	x->gctx.m = x->m;
	walk_mem_gmem(&x->ctx.mem, &x->gctx);
	x->ctx.g = &x->g;
	x->ctx.n = &x->s;
	x->ept = ept;
	x->gfmt = gfmt;
	x->glevels = gfmt == WALK_FMT_5LVL ? 5 : gfmt == WALK_FMT_4LVL ? 4 : 3;
	x->slevels = slevels;
	x->gva = gfmt == WALK_FMT_5LVL	 ? 0xff5ab5a5c3b2d1e9ULL
		 : gfmt == WALK_FMT_4LVL ? 0xffffa5a5c3b2d1e9ULL
					 : 0xb5e3f7a9ULL;
	for (k = 0; k < NPAGES; k++) {
		x->l2[k] = nest_l2(slevels, k);
		x->l1[k] = 0x100000 + 0x1000 * k;
		for (j = 1; j <= 5; j++)
			x->stbl[k][j] =
				j == slevels ? 0x3ff000 : 0x400000 + 0x10000 * k + 0x1000 * j;
	}

	x->g.fmt = gfmt;
	x->g.levels = x->glevels;
	x->g.vendor = ept ? CPU_VENDOR_INTEL : CPU_VENDOR_AMD;
	x->g.maxphyaddr = 52;
	x->g.nxe = true;
	x->g.wp = true;
	x->g.gbpages = true;
	/* PAE: the PDPT in "memory" is an unmapped L2 page; only the registers count */
	x->g.root = gfmt == WALK_FMT_PAE ? x->l2[5] : x->l2[x->glevels];

	if (ept) {
		ept_cfg_set(&x->s, slevels, 52, false, false, true);
	} else {
		x->s.fmt = slevels == 5 ? WALK_FMT_5LVL : WALK_FMT_4LVL;
		x->s.levels = slevels;
		x->s.npt = true;
		x->s.vendor = CPU_VENDOR_AMD;
		x->s.maxphyaddr = 52;
		x->s.gbpages = true;
		x->s.nxe = true;
	}
	x->s.root = x->stbl[0][slevels];
}

/*
 * The usual layout instead: every page in one 2 MiB region of L2 GPA space, so all
 * pages share the second stage's upper entries and differ only in the leaf.
 */
static void nest_share_upper(struct nest *x)
{
	unsigned k, j;

	for (k = 0; k < NPAGES; k++) {
		x->l2[k] = (nest_l2(x->slevels, 0) & ~orc_bits(20, 12)) | ((u64)(k + 1) << 12);
		for (j = 1; j < x->slevels; j++)
			x->stbl[k][j] = 0x400000 + 0x1000 * j;
	}
	x->g.root = x->gfmt == WALK_FMT_PAE ? x->l2[5] : x->l2[x->glevels];
}

static void *nest_shva(struct nest *x, unsigned k, unsigned j)
{
	return orc_hva(x->m, x->stbl[k][j] + orc_index(WALK_FMT_EPT, j, x->l2[k]) * 8, 8);
}

/* Guest entry of level l: in page l, at the gva's index. */
static void *nest_ghva(struct nest *x, unsigned l)
{
	return orc_hva(x->m, x->l1[l] + orc_index(x->gfmt, l, x->gva) * 8, 8);
}

static u64 nest_gpte_l2(const struct nest *x, unsigned l)
{
	return x->l2[l] + orc_index(x->gfmt, l, x->gva) * 8;
}

/* Second-stage entry flags: EPT bits 2:0 as rwx; NPT P=1 W=2 U=4 NX=8. */
static u64 nest_sraw(const struct nest *x, unsigned k, unsigned j, u8 fl)
{
	u64 addr = j > 1 ? x->stbl[k][j - 1] : x->l1[k];

	if (x->ept)
		return ept_raw(addr, fl, j == 1, j, MT_WB, false, false);
	return addr | ((fl & 1) ? ORC_P : 0) | ((fl & 2) ? ORC_W : 0) | ((fl & 4) ? ORC_U : 0) |
	       ((fl & 8) ? ORC_NX : 0);
}

struct nest_want {
	enum walk_fault_kind kind;
	u8 stage;
	u64 code; /* #PF error code / EXITINFO1 / exit qualification */
	u64 gpa; /* fault gpa (EPT exits, #NPF) */
	const char *why;
};

/*
 * Second-stage outcome for page k with entry flags sfl[j] (index = level),
 * translating as @kind; @table: a guest-table access. Returns true when it passes.
 */
static bool nest_stage2(const struct nest *x, const u8 *sfl, enum walk_access kind, bool table,
			u64 l2gpa, struct nest_want *w)
{
	unsigned j, n = 0;

	if (x->ept) {
		struct orc_eent e[5];
		struct orc_ewant ew;
		bool as_write = table && x->s.ept_ad;

		for (j = x->slevels; j >= 1; j--) {
			memset(&e[n], 0, sizeof(e[n]));
			e[n].level = (u8)j;
			e[n].leaf = j == 1;
			e[n].rwx = sfl[j];
			e[n].mt = j == 1 ? MT_WB : 0;
			n++;
		}
		if (table)
			orc_ept(x->s.ept_execonly, e, n, as_write ? 2 : 1,
				as_write ? EPT_QUAL_READ | EPT_QUAL_WRITE : EPT_QUAL_READ, &ew);
		else
			orc_ept(x->s.ept_execonly, e, n, orc_ept_need(kind), orc_ept_qacc(kind),
				&ew);
		if (ew.kind == ORC_EPT_OK)
			return true;
		w->kind = ew.kind == ORC_EPT_VIOLATION ? WALK_FAULT_EPT_VIOLATION
						       : WALK_FAULT_EPT_MISCONFIG;
		w->stage = 1;
		w->code = ew.kind == ORC_EPT_VIOLATION
				  ? ew.qual | EPT_QUAL_GLA_VALID | (table ? 0 : EPT_QUAL_GLA_XLAT)
				  : 0;
		w->gpa = l2gpa;
		w->why = ew.why;
		return false;
	} else {
		struct orc_ent e[5];
		struct orc_env env;
		struct orc_acc a;
		struct orc_want ow;

		memset(&env, 0, sizeof(env));
		env.fmt = x->s.fmt;
		env.npt = true;
		env.nxe = x->s.nxe;
		env.smep = x->s.smep;
		memset(&a, 0, sizeof(a));
		a.kind = table ? WALK_ACC_WRITE : kind; /* NPT has A/D: table accesses write */
		for (j = x->slevels; j >= 1; j--) {
			memset(&e[n], 0, sizeof(e[n]));
			e[n].level = (u8)j;
			e[n].leaf = j == 1;
			e[n].p = sfl[j] & 1;
			e[n].w = sfl[j] & 2;
			e[n].u = sfl[j] & 4;
			e[n].nx = sfl[j] & 8;
			n++;
		}
		orc_legacy(&env, &a, e, n, &ow);
		if (ow.ok)
			return true;
		w->kind = WALK_FAULT_NPF;
		w->stage = 1;
		w->code = ow.err | (table ? PFERR_GUEST_PAGE : PFERR_GUEST_FINAL);
		w->gpa = l2gpa;
		w->why = ow.why;
		return false;
	}
}

struct nest_case {
	u8 sfl[NPAGES][6]; /* second-stage flags of page k, level j */
	bool gleaf_u, gleaf_nx, gleaf_w;
	bool g_ad_preset; /* guest entries start with A (and leaf D) set */
	enum walk_access kind;
	u8 cpl;
};

/* Guest entries of the walk as oracle flags, top first; also writes them. */
static unsigned nest_guest(struct nest *x, const struct nest_case *c, struct orc_ent *e, u64 *graw)
{
	unsigned l, n = 0;
	unsigned top = x->glevels;

	for (l = top; l >= 1; l--) {
		struct orc_ent *p = &e[n];
		bool leaf = l == 1;

		memset(p, 0, sizeof(*p));
		p->level = (u8)l;
		p->leaf = leaf;
		p->reg = x->gfmt == WALK_FMT_PAE && l == 3;
		p->p = true;
		p->w = leaf ? c->gleaf_w : true;
		p->u = leaf ? c->gleaf_u : true;
		p->nx = leaf && c->gleaf_nx;
		p->a = c->g_ad_preset && !p->reg;
		p->d = leaf && c->g_ad_preset;
		graw[l] = x->l2[l - 1] | ORC_P;
		if (!p->reg)
			graw[l] |= (p->w ? ORC_W : 0) | (p->u ? ORC_U : 0) | (p->a ? ORC_A : 0) |
				   (p->d ? ORC_D : 0) | (p->nx ? ORC_NX : 0);
		if (p->reg)
			x->g.pdpte[orc_index(WALK_FMT_PAE, 3, x->gva)] = graw[l];
		else
			orc_wr64(nest_ghva(x, l), graw[l]);
		n++;
	}
	return n;
}

/* Pages the walk touches: guest tables (not the PAE PDPT) and the data page. */
static bool nest_page_used(const struct nest *x, unsigned k)
{
	if (k == 0)
		return true;
	if (k > x->glevels)
		return false;
	return !(x->gfmt == WALK_FMT_PAE && k == 3);
}

static void nest_run_case(struct orc_log *log, struct nest *x, const struct nest_case *c,
			  const char *what)
{
	struct orc_ent ge[5];
	u64 graw[6], sraw[NPAGES][6];
	struct nest_want w;
	struct orc_env genv;
	struct orc_acc ga;
	struct orc_want gw;
	struct walk_req req;
	struct walk_result res;
	struct orc_str d;
	bool ok = false, bad = false;
	unsigned k, j, l, gn;
	const u64 off = x->gva & 0xfff;

	for (k = 0; k < NPAGES; k++)
		for (j = 1; j <= x->slevels; j++) {
			sraw[k][j] = nest_sraw(x, k, j, c->sfl[k][j]);
			if (nest_page_used(x, k)) /* other pages stay unmapped */
				orc_wr64(nest_shva(x, k, j), sraw[k][j]);
		}
	gn = nest_guest(x, c, ge, graw);

	memset(&genv, 0, sizeof(genv));
	genv.fmt = x->gfmt;
	genv.wp = x->g.wp;
	genv.nxe = x->g.nxe;
	memset(&ga, 0, sizeof(ga));
	ga.kind = c->kind;
	ga.cpl = c->cpl;

	/* order: each guest table through stage 2, guest rights, then the final gpa */
	memset(&w, 0, sizeof(w));
	for (l = x->glevels; l >= 1; l--) {
		if (!nest_page_used(x, l))
			continue;
		if (!nest_stage2(x, c->sfl[l], WALK_ACC_READ, true, nest_gpte_l2(x, l), &w))
			goto decided;
	}
	orc_legacy(&genv, &ga, ge, gn, &gw);
	if (!gw.ok) {
		w.kind = WALK_FAULT_PF;
		w.stage = 0;
		w.code = gw.err;
		w.why = gw.why;
		goto decided;
	}
	if (!nest_stage2(x, c->sfl[0], c->kind, false, x->l2[0] | off, &w))
		goto decided;
	ok = true;
	w.kind = WALK_FAULT_NONE;
	w.why = "allowed";
decided:
	memset(&req, 0, sizeof(req));
	req.addr = x->gva;
	req.acc = c->kind;
	req.cpl = c->cpl;
	walk_translate(&x->ctx, &req, &res);
	log->cases++;
	log->want_ok += ok;

	d.n = 0;
	d.s[0] = 0;
	bad |= orc_diff(&d, "ok", ok, res.ok);
	bad |= orc_diff(&d, "fault.kind", w.kind, res.fault.kind);
	if (ok) {
		unsigned used = 0;

		for (k = 0; k < NPAGES; k++)
			used += nest_page_used(x, k);
		bad |= orc_diff(&d, "gpa", x->l1[0] | off, res.gpa);
		bad |= orc_diff(&d, "gpa1", x->l2[0] | off, res.gpa1);
		bad |= orc_diff(&d, "refs", (used - 1) * (x->slevels + 1u) + x->slevels, res.refs);
		bad |= orc_diff(&d, "nested_refs", used * x->slevels, res.nested_refs);
	} else if (res.fault.kind == w.kind) {
		bad |= orc_diff(&d, "fault.stage", w.stage, res.fault.stage);
		switch (w.kind) {
		case WALK_FAULT_PF:
			bad |= orc_diff(&d, "error_code", w.code, res.fault.error_code);
			bad |= orc_diff(&d, "cr2", x->gva, res.fault.cr2);
			bad |= orc_diff(&d, "vector", X86_VEC_PF, res.fault.vector);
			break;
		case WALK_FAULT_EPT_VIOLATION:
			bad |= orc_diff(&d, "exit_qual", w.code, res.fault.exit_qual);
			bad |= orc_diff(&d, "fault.gpa", w.gpa, res.fault.gpa);
			bad |= orc_diff(&d, "fault.gla", x->gva, res.fault.gla);
			break;
		case WALK_FAULT_EPT_MISCONFIG:
			bad |= orc_diff(&d, "fault.gpa", w.gpa, res.fault.gpa);
			break;
		case WALK_FAULT_NPF:
			bad |= orc_diff(&d, "EXITINFO1", w.code, res.fault.error_code);
			bad |= orc_diff(&d, "EXITINFO2", w.gpa, res.fault.gpa);
			break;
		case WALK_FAULT_NONE:
		case WALK_FAULT_GP:
			break;
		}
	}

	/* A/D: nothing on a fault; else guest A everywhere (+D leaf on writes), stage 2 A
	 * on every entry used and D on the leaf of tables (writes) and of written data */
	for (l = 1; l <= x->glevels; l++) {
		u64 want = graw[l];
		char nm[24];

		if (ge[x->glevels - l].reg)
			continue;
		if (ok)
			want |= ORC_A | (l == 1 && c->kind == WALK_ACC_WRITE ? ORC_D : 0);
		snprintf(nm, sizeof(nm), "guest L%u after", l);
		bad |= orc_diff(&d, nm, want, orc_rd64(nest_ghva(x, l)));
	}
	for (k = 0; k < NPAGES; k++)
		for (j = 1; j <= x->slevels && nest_page_used(x, k); j++) {
			u64 want = sraw[k][j];
			bool s_ad = x->ept ? x->s.ept_ad : true;
			char nm[32];

			if (ok && s_ad) {
				want |= x->ept ? ORC_EPT_A : ORC_A;
				if (j == 1 && (k != 0 || c->kind == WALK_ACC_WRITE))
					want |= x->ept ? ORC_EPT_D : ORC_D;
			}
			snprintf(nm, sizeof(nm), "S2 page%u E%u after", k, j);
			bad |= orc_diff(&d, nm, want, orc_rd64(nest_shva(x, k, j)));
		}

	if (bad) {
		struct orc_str s;

		s.n = 0;
		s.s[0] = 0;
		orc_cat(&s, "%s: %s guest over %u-level %s%s%s gva=0x%llx acc=%s cpl=%u ", what,
			orc_fmt_name(x->gfmt), x->slevels, x->ept ? "EPT" : "NPT",
			x->ept && x->s.ept_ad ? " (A/D)" : "",
			x->ept && x->s.ept_execonly ? " (execonly)" : "",
			(unsigned long long)x->gva, orc_acc_name(c->kind), c->cpl);
		orc_cat(&s, "guest leaf %s%s%s; stage-2 flags per page (k:levels top..1):",
			c->gleaf_w ? "W" : "-", c->gleaf_u ? "U" : "-", c->gleaf_nx ? "X" : "-");
		for (k = 0; k < NPAGES; k++) {
			if (!nest_page_used(x, k))
				continue;
			orc_cat(&s, " %u:", k);
			for (j = x->slevels; j >= 1; j--)
				orc_cat(&s, "%x", c->sfl[k][j]);
		}
		orc_mismatch(log,
			     "%s | want %s code=0x%llx gpa=0x%llx (%s) got %s code=0x%llx/0x%llx "
			     "gpa=0x%llx |%s",
			     s.s, orc_kind_name(w.kind), (unsigned long long)w.code,
			     (unsigned long long)w.gpa, w.why, orc_kind_name(res.fault.kind),
			     (unsigned long long)res.fault.error_code,
			     (unsigned long long)res.fault.exit_qual,
			     (unsigned long long)res.fault.gpa, d.s);
	}
}

/* Every second-stage entry full (EPT RWX, NPT P|W|U), guest leaf W U, guest A/D preset. */
static void nest_case_init(struct nest_case *c)
{
	unsigned k, j;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < NPAGES; k++)
		for (j = 1; j <= 5; j++)
			c->sfl[k][j] = 7;
	c->gleaf_u = c->gleaf_w = true;
	c->g_ad_preset = true;
}

/*
 * Each second-stage entry (page k, level j) gets every flag value while the rest
 * are full; for every access at CPL 3 and 0, guest leaf fine or U=0/XD=1 (a guest
 * rights fault for user accesses and supervisor fetches); EPT with and without
 * A/D and execute-only; NPT with host NXE on and off.
 */
static void nest_matrix(struct orc_log *log, bool ept, enum walk_fmt gfmt, u8 slevels)
{
	const unsigned nfl = ept ? 8 : 16;
	struct nest x;
	unsigned v1, k, j, i;

	nest_setup(&x, ept, gfmt, slevels);
	for (v1 = 0; v1 < 4; v1++) {
		if (ept) {
			x.s.ept_ad = v1 & 1;
			x.s.ept_execonly = v1 & 2;
		} else {
			x.s.nxe = v1 & 1;
			x.s.smep = v1 & 2;
		}
		for (k = 0; k < NPAGES; k++) {
			if (!nest_page_used(&x, k))
				continue;
			for (j = 1; j <= slevels; j++)
				for (i = 0; i < nfl * 3 * 2 * 2; i++) {
					struct nest_case c;
					unsigned v = i;

					nest_case_init(&c);
					c.kind = accs[v % 3];
					v /= 3;
					c.cpl = (v & 1) ? 3 : 0;
					c.gleaf_u = !(v & 2);
					c.gleaf_nx = v & 2;
					c.sfl[k][j] = (u8)(v / 4);
					nest_run_case(log, &x, &c, "matrix");
				}
		}
	}
	gmem_destroy(x.m);
}

static void test_nested_4level_over_ept4_second_stage_faults_per_entry(void **state)
{
	struct orc_log log;

	(void)state;
	orc_log_init(&log, "4-level over 4-level EPT");
	nest_matrix(&log, true, WALK_FMT_4LVL, 4);
	orc_log_done(&log);
}

static void test_nested_5level_over_ept5_second_stage_faults_per_entry(void **state)
{
	struct orc_log log;

	(void)state;
	orc_log_init(&log, "5-level over 5-level EPT");
	nest_matrix(&log, true, WALK_FMT_5LVL, 5);
	orc_log_done(&log);
}

static void test_nested_4level_over_npt4_npf_exitinfo_per_entry(void **state)
{
	struct orc_log log;

	(void)state;
	orc_log_init(&log, "4-level over 4-level NPT");
	nest_matrix(&log, false, WALK_FMT_4LVL, 4);
	orc_log_done(&log);
}

static void test_nested_pae_over_ept4_uses_pdpte_registers(void **state)
{
	struct orc_log log;

	(void)state;
	orc_log_init(&log, "PAE over 4-level EPT");
	nest_matrix(&log, true, WALK_FMT_PAE, 4);
	orc_log_done(&log);
}

/*
 * A clean walk (guest A/D clear, every second-stage entry full) counts 24 / 35
 * references and sets A/D in both stages; table accesses are writes for stage 2.
 * Once with a second-stage chain per page, once with shared upper entries.
 */
static void test_nested_clean_walk_counts_refs_and_sets_ad_in_both_stages(void **state)
{
	static const struct {
		bool ept;
		enum walk_fmt g;
		u8 s;
	} combos[] = {
		{true, WALK_FMT_4LVL, 4},  {true, WALK_FMT_5LVL, 5}, {false, WALK_FMT_4LVL, 4},
		{false, WALK_FMT_5LVL, 5}, {true, WALK_FMT_PAE, 4},
	};
	struct orc_log log;
	unsigned i, ad, ai, cpl;

	(void)state;
	orc_log_init(&log, "nested clean walks");
	for (i = 0; i < 2 * MSC_ARRAY_SIZE(combos); i++) {
		const unsigned ci = i % MSC_ARRAY_SIZE(combos);
		struct nest x;

		nest_setup(&x, combos[ci].ept, combos[ci].g, combos[ci].s);
		if (i >= MSC_ARRAY_SIZE(combos))
			nest_share_upper(&x);
		for (ad = 0; ad < 2; ad++)
			for (ai = 0; ai < 3; ai++)
				for (cpl = 0; cpl < 2; cpl++) {
					struct nest_case c;

					x.s.ept_ad = combos[ci].ept && ad;
					nest_case_init(&c);
					c.g_ad_preset = false;
					c.kind = accs[ai];
					c.cpl = cpl ? 3 : 0;
					nest_run_case(&log, &x, &c, "clean");
				}
		gmem_destroy(x.m);
	}
	orc_log_done(&log);
}

/* Guest rights and the final EPT mapping both deny: the guest #PF is reported. */
static void test_nested_guest_pf_wins_over_final_ept_violation(void **state)
{
	struct orc_log log;
	struct nest x;
	struct nest_case c;
	unsigned fl;

	(void)state;
	orc_log_init(&log, "guest #PF before final EPT");
	nest_setup(&x, true, WALK_FMT_4LVL, 4);
	for (fl = 0; fl < 8; fl++) {
		nest_case_init(&c);
		c.sfl[0][1] = (u8)fl; /* final page's EPT PTE: not present / any rights */
		c.gleaf_u = false; /* user access to a supervisor page */
		c.kind = WALK_ACC_WRITE;
		c.cpl = 3;
		nest_run_case(&log, &x, &c, "guest-first");
	}
	gmem_destroy(x.m);
	orc_log_done(&log);
}

/*
 * With EPT A/D, a guest table mapped read-only is written by the walk: EPT
 * violation with qualification bits 0 and 1, bit 7 set, bit 8 clear. Without
 * EPT A/D (and guest A/D already set) the same mapping is only read.
 */
static void test_nested_guest_table_access_is_ept_write_with_ad(void **state)
{
	struct orc_log log;
	struct nest x;
	unsigned ad, l;

	(void)state;
	orc_log_init(&log, "table access as write");
	nest_setup(&x, true, WALK_FMT_4LVL, 4);
	for (ad = 0; ad < 2; ad++)
		for (l = 1; l <= 4; l++) {
			struct nest_case c;

			x.s.ept_ad = ad;
			nest_case_init(&c);
			c.sfl[l][1] = 1; /* read-only EPT mapping of guest table l */
			c.kind = WALK_ACC_READ;
			c.cpl = 3;
			nest_run_case(&log, &x, &c, "table-write");
		}
	gmem_destroy(x.m);
	orc_log_done(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ept_xwr_at_each_level_gives_violation_qual_or_misconfig),
		cmocka_unit_test(test_ept_leaf_memtype_2_3_7_is_misconfig),
		cmocka_unit_test(test_ept_reserved_bits_are_misconfig_per_level_and_maxphyaddr),
		cmocka_unit_test(test_npt_lone_walk_is_user_access_with_exitinfo1_final_bit),
		cmocka_unit_test(test_npt_reserved_bits_set_rsvd_in_exitinfo1),
		cmocka_unit_test(test_nested_4level_over_ept4_second_stage_faults_per_entry),
		cmocka_unit_test(test_nested_5level_over_ept5_second_stage_faults_per_entry),
		cmocka_unit_test(test_nested_4level_over_npt4_npf_exitinfo_per_entry),
		cmocka_unit_test(test_nested_pae_over_ept4_uses_pdpte_registers),
		cmocka_unit_test(test_nested_clean_walk_counts_refs_and_sets_ad_in_both_stages),
		cmocka_unit_test(test_nested_guest_pf_wins_over_final_ept_violation),
		cmocka_unit_test(test_nested_guest_table_access_is_ept_write_with_ad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
