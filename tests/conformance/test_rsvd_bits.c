/* SPDX-License-Identifier: MIT */
/*
 * Reserved bits of every legacy entry (32-bit with/without PSE-36, PAE, 4/5-level,
 * Intel and AMD, MAXPHYADDR 36/39/46/52): each bit at each level and PS form is
 * set in turn and the walk checked against oracle.h's masks, as is walk_rsvd_mask().
 */
#include "tests/conformance/oracle.h"

static const u64 tbl_gpa[6] = {0, 0x1c3000, 0x2a7000, 0x35b000, 0x4e1000, 0x59d000};
#define PAE_CR3 0x6c0020ULL
#define MEM_SIZE (16ULL << 20)
#define ALIAS_ID 1

struct rb_cfg {
	enum walk_fmt fmt;
	u8 levels;
	u8 leaf;
	struct orc_rsvd_cfg rc;
};

struct rb_fix {
	struct rb_cfg c;
	struct gmem *m;
	struct walk_gmem_ctx gctx;
	struct walk_ctx ctx;
	struct walk_cfg cfg;
	u64 gva;
	u64 frame;
	unsigned esz;
	u64 base[6]; /* unmodified entry at each level */
	u64 loc[6]; /* gpa of the table holding the level's entry in this case */
};

static const u8 rb_maxphy[] = {36, 39, 46, 52};

static void rb_name(struct orc_str *b, const struct rb_cfg *c)
{
	orc_cat(b, "%s leaf=L%u M=%u %s nxe=%d", orc_fmt_name(c->fmt), c->leaf, c->rc.maxphyaddr,
		c->rc.vendor == CPU_VENDOR_AMD ? "AMD" : "Intel", c->rc.nxe);
	if (c->fmt == WALK_FMT_32)
		orc_cat(b, " pse=%d pse36=%d", c->rc.pse, c->rc.pse36);
	if (c->fmt == WALK_FMT_4LVL || c->fmt == WALK_FMT_5LVL)
		orc_cat(b, " gbpages=%d", c->rc.gbpages);
}

static void rb_setup(struct rb_fix *fx, const struct rb_cfg *c)
{
	unsigned l;

	memset(fx, 0, sizeof(*fx));
	fx->c = *c;
	fx->m = orc_gmem_new(MEM_SIZE);
	fx->gctx.m = fx->m;
	fx->gctx.as = 0;
	walk_mem_gmem(&fx->ctx.mem, &fx->gctx);
	fx->ctx.g = &fx->cfg;
	fx->esz = c->fmt == WALK_FMT_32 ? 4 : 8;

	switch (c->fmt) {
	case WALK_FMT_32:
		fx->gva = 0x9b5a7c3dULL;
		fx->frame = c->leaf == 2 ? 0x89c00000ULL : 0x89abc000ULL;
		break;
	case WALK_FMT_PAE:
		fx->gva = 0xb5e3f7a9ULL;
		break;
	case WALK_FMT_5LVL:
		fx->gva = 0xff5ab5a5c3b2d1e9ULL;
		break;
	case WALK_FMT_4LVL:
	case WALK_FMT_NONE:
	case WALK_FMT_EPT:
		fx->gva = 0xffffa5a5c3b2d1e9ULL;
		break;
	}
	if (c->fmt != WALK_FMT_32) /* below 2^36, aligned to the page size */
		fx->frame = c->leaf == 3   ? 0x8c0000000ULL
			    : c->leaf == 2 ? 0xa5c200000ULL
					   : 0xa5c123000ULL;

	fx->cfg.fmt = c->fmt;
	fx->cfg.levels = c->levels;
	fx->cfg.root = c->fmt == WALK_FMT_PAE ? PAE_CR3 : tbl_gpa[c->levels];
	fx->cfg.vendor = c->rc.vendor;
	fx->cfg.maxphyaddr = c->rc.maxphyaddr;
	fx->cfg.nxe = c->rc.nxe;
	fx->cfg.pse = c->rc.pse;
	fx->cfg.pse36 = c->rc.pse36;
	fx->cfg.gbpages = c->rc.gbpages;
	fx->cfg.wp = true;
	fx->cfg.smep = true; /* so that fetch faults carry I/D in every format */

	for (l = c->levels; l >= c->leaf; l--) {
		bool reg = c->fmt == WALK_FMT_PAE && l == 3;
		u64 raw = (l > c->leaf ? tbl_gpa[l - 1] : fx->frame) | ORC_P;

		if (!reg)
			raw |= ORC_W | ORC_U;
		if (l == c->leaf && l > 1)
			raw |= ORC_PS;
		fx->base[l] = raw;
	}
}

static bool rb_is_reg(const struct rb_fix *fx, unsigned l)
{
	return fx->c.fmt == WALK_FMT_PAE && l == 3;
}

static void *rb_entry_hva(struct rb_fix *fx, unsigned l)
{
	return orc_hva(fx->m, fx->loc[l] + orc_index(fx->c.fmt, l, fx->gva) * fx->esz, fx->esz);
}

static void rb_store(struct rb_fix *fx, unsigned l, u64 raw)
{
	if (rb_is_reg(fx, l))
		fx->cfg.pdpte[orc_index(WALK_FMT_PAE, 3, fx->gva)] = raw;
	else if (fx->esz == 4)
		orc_wr32(rb_entry_hva(fx, l), (u32)raw);
	else
		orc_wr64(rb_entry_hva(fx, l), raw);
}

static u64 rb_load(struct rb_fix *fx, unsigned l)
{
	if (rb_is_reg(fx, l))
		return fx->cfg.pdpte[orc_index(WALK_FMT_PAE, 3, fx->gva)];
	return fx->esz == 4 ? orc_rd32(rb_entry_hva(fx, l)) : orc_rd64(rb_entry_hva(fx, l));
}

/* The oracle's view of the entry: flags read back from the value the test wrote. */
static void rb_ent(const struct rb_fix *fx, unsigned l, u64 raw, struct orc_ent *e)
{
	const struct rb_cfg *c = &fx->c;
	bool ps = (raw & ORC_PS) != 0;

	memset(e, 0, sizeof(*e));
	e->level = (u8)l;
	e->reg = rb_is_reg(fx, l);
	e->leaf = l == c->leaf;
	e->p = raw & ORC_P;
	e->w = raw & ORC_W;
	e->u = raw & ORC_U;
	e->a = raw & ORC_A;
	e->d = raw & ORC_D;
	e->nx = c->fmt != WALK_FMT_32 && (raw & ORC_NX);
	e->rsvd = (raw & orc_rsvd_mask(&c->rc, l, ps)) != 0;
	if (e->leaf && (c->fmt == WALK_FMT_4LVL || c->fmt == WALK_FMT_5LVL))
		e->pkey = (u8)((raw >> ORC_PKEY_SHIFT) & 15);
}

/* Physical address a valid leaf maps @gva to (SDM 4.3-4.5; Table 4-4 for PSE-36). */
static u64 rb_leaf_gpa(const struct rb_fix *fx, u64 raw)
{
	const struct rb_cfg *c = &fx->c;
	u64 ps = orc_page_size(c->fmt, c->leaf);

	if (c->fmt == WALK_FMT_32 && c->leaf == 2) {
		unsigned m32 = orc_m32(&c->rc);
		u64 hi = (raw >> 13) & orc_bits(m32 - 33, 0);

		if (m32 <= 32)
			hi = 0;
		return (raw & 0xffc00000ULL) | (hi << 32) | (fx->gva & (ps - 1));
	}
	if (c->fmt == WALK_FMT_32)
		return (raw & 0xfffff000ULL) | (fx->gva & (ps - 1));
	return (raw & orc_bits(c->rc.maxphyaddr - 1, 0) & ~(ps - 1)) | (fx->gva & (ps - 1));
}

static const struct orc_acc rb_accs[3] = {
	{WALK_ACC_READ, 3, false, false},
	{WALK_ACC_WRITE, 0, false, false},
	{WALK_ACC_FETCH, 3, false, false},
};

/* Run the walk over entries @raw (index = level) for every access and compare. */
static void rb_check(struct orc_log *log, struct rb_fix *fx, const u64 *raw, const char *what)
{
	const struct rb_cfg *c = &fx->c;
	const bool long_mode = c->fmt == WALK_FMT_4LVL || c->fmt == WALK_FMT_5LVL;
	struct orc_env env;
	struct orc_ent e[5];
	unsigned n = 0, l, ai;

	memset(&env, 0, sizeof(env));
	env.fmt = c->fmt;
	env.wp = true;
	env.smep = true;
	env.nxe = c->rc.nxe;
	for (l = c->levels; l >= c->leaf; l--)
		rb_ent(fx, l, raw[l], &e[n++]);

	for (ai = 0; ai < MSC_ARRAY_SIZE(rb_accs); ai++) {
		const struct orc_acc *a = &rb_accs[ai];
		struct walk_req req;
		struct walk_result res;
		struct orc_want w;
		struct orc_str d;
		bool bad = false;
		unsigned i;

		for (l = c->levels; l >= c->leaf; l--)
			rb_store(fx, l, raw[l]);
		memset(&req, 0, sizeof(req));
		req.addr = fx->gva;
		req.acc = a->kind;
		req.cpl = a->cpl;
		walk_translate(&fx->ctx, &req, &res);
		orc_legacy(&env, a, e, n, &w);
		log->cases++;
		log->want_ok += w.ok;

		d.n = 0;
		d.s[0] = 0;
		bad |= orc_diff(&d, "ok", w.ok, res.ok);
		if (w.ok) {
			bad |= orc_diff(&d, "gpa", rb_leaf_gpa(fx, raw[c->leaf]), res.gpa);
			bad |= orc_diff(&d, "acc", w.acc, res.acc);
		} else if (!res.ok) {
			bad |= orc_diff(&d, "fault.kind", WALK_FAULT_PF, res.fault.kind);
			bad |= orc_diff(&d, "error_code", w.err, res.fault.error_code);
			bad |= orc_diff(&d, "fault.level", w.level, res.fault.level);
			bad |= orc_diff(&d, "cr2", long_mode ? fx->gva : fx->gva & 0xffffffffULL,
					res.fault.cr2);
		}
		for (i = 0; i < n; i++) {
			u64 want = raw[e[i].level];
			char name[32];

			if (e[i].reg)
				continue;
			if (w.ok)
				want |= ORC_A |
					(e[i].leaf && a->kind == WALK_ACC_WRITE ? ORC_D : 0);
			snprintf(name, sizeof(name), "L%u after", e[i].level);
			bad |= orc_diff(&d, name, want, rb_load(fx, e[i].level));
		}
		if (bad) {
			struct orc_str s;

			s.n = 0;
			s.s[0] = 0;
			rb_name(&s, c);
			orc_cat(&s, " %s acc=%s cpl=%u entries:", what, orc_acc_name(a->kind),
				a->cpl);
			for (l = c->levels; l >= c->leaf; l--)
				orc_cat(&s, " L%u=0x%llx", l, (unsigned long long)raw[l]);
			orc_mismatch(log,
				     "%s | want %s err=0x%llx level=%u (%s) got %s err=0x%llx "
				     "level=%u kind=%s |%s",
				     s.s, w.ok ? "ok" : "#PF", (unsigned long long)w.err, w.level,
				     w.why, res.ok ? "ok" : "fault",
				     (unsigned long long)res.fault.error_code, res.fault.level,
				     orc_kind_name(res.fault.kind), d.s);
		}
	}
}

/* Is bit 7 of a non-leaf entry at @l a PS flag that would turn it into a leaf? */
static bool rb_ps_meaningful(const struct rb_cfg *c, unsigned l)
{
	if (c->fmt == WALK_FMT_32)
		return l == 2 && c->rc.pse;
	if (l == 2)
		return true;
	return l == 3 && c->fmt != WALK_FMT_PAE && c->rc.gbpages;
}

/* Does [gpa, gpa+4K) hit a page this fixture already uses? */
static bool rb_page_busy(u64 gpa)
{
	unsigned l;

	for (l = 1; l <= 5; l++)
		if ((tbl_gpa[l] & PAGE_MASK) == (gpa & PAGE_MASK))
			return true;
	return (PAE_CR3 & PAGE_MASK) == (gpa & PAGE_MASK);
}

/*
 * Set each bit in turn in the entry at each level. A non-leaf address bit moves
 * the next table: the test puts it there (a copy inside the slot, or an alias
 * slot above it), so the walk must follow it and still succeed.
 */
static void rb_run_cfg(struct orc_log *log, const struct rb_cfg *c, unsigned long *skipped)
{
	struct rb_fix fx;
	unsigned lf, b, l;

	rb_setup(&fx, c);

	/* walk_rsvd_mask agrees with the oracle for every level and PS */
	for (l = 1; l <= c->levels; l++) {
		unsigned ps;

		for (ps = 0; ps < 2; ps++) {
			u64 want = orc_rsvd_mask(&c->rc, l, ps);
			u64 got = walk_rsvd_mask(&fx.cfg, (u8)l, ps);

			log->cases++;
			log->want_ok++;
			if (want != got) {
				struct orc_str s;

				s.n = 0;
				s.s[0] = 0;
				rb_name(&s, c);
				orc_mismatch(log,
					     "%s walk_rsvd_mask(level %u, ps %u) want 0x%llx got "
					     "0x%llx (diff 0x%llx)",
					     s.s, l, ps, (unsigned long long)want,
					     (unsigned long long)got,
					     (unsigned long long)(want ^ got));
			}
		}
	}

	for (lf = c->levels; lf >= c->leaf; lf--) {
		u64 raw[6];
		char what[64];

		/* a not-present entry's reserved bits are not looked at */
		for (l = 1; l <= 5; l++) {
			raw[l] = fx.base[l];
			fx.loc[l] = tbl_gpa[l];
		}
		raw[lf] = (raw[lf] | orc_rsvd_mask(&c->rc, lf, (raw[lf] & ORC_PS) != 0)) & ~ORC_P;
		if (fx.esz == 4)
			raw[lf] &= 0xffffffffULL;
		snprintf(what, sizeof(what), "L%u not present with all reserved bits", lf);
		rb_check(log, &fx, raw, what);
		rb_store(&fx, lf, 0);

		for (b = 0; b < fx.esz * 8; b++) {
			u64 bit = BIT_ULL(b);
			bool redirect = false, in_slot = false;
			u64 moved = 0;

			for (l = 1; l <= 5; l++) {
				raw[l] = fx.base[l];
				fx.loc[l] = tbl_gpa[l];
			}
			if (raw[lf] & bit)
				continue;
			if (b == 7 && lf > c->leaf && rb_ps_meaningful(c, lf)) {
				(*skipped)++;
				continue;
			}
			raw[lf] |= bit;
			if (lf > c->leaf && b >= 12 &&
			    b < (c->fmt == WALK_FMT_32 ? 32u : c->rc.maxphyaddr) &&
			    !(orc_rsvd_mask(&c->rc, lf, false) & bit)) {
				redirect = true;
				moved = tbl_gpa[lf - 1] | bit;
				in_slot = moved < MEM_SIZE;
				if (in_slot && rb_page_busy(moved)) {
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
					sd.alias_id = 0;
					sd.alias_offset = tbl_gpa[lf - 1];
					assert_int_equal(gmem_slot_add(fx.m, &sd), 0);
				}
				rb_store(&fx, lf - 1, 0); /* the old place must not be used */
				fx.loc[lf - 1] = moved;
			}
			snprintf(what, sizeof(what), "L%u bit %u set%s", lf, b,
				 redirect ? " (next table moved)" : "");
			rb_check(log, &fx, raw, what);
			if (redirect) {
				rb_store(&fx, lf - 1, 0);
				if (!in_slot)
					assert_int_equal(gmem_slot_delete(fx.m, 0, ALIAS_ID), 0);
			}
		}
	}
	gmem_destroy(fx.m);
}

static void rb_log_skipped(const struct orc_log *log, unsigned long skipped)
{
	printf("[ CASES    ] %s: %lu bit positions not applicable (PS that makes a leaf, or a "
	       "moved table landing on a used page)\n",
	       log->what, skipped);
}

static void test_32bit_reserved_bits_follow_pse36_and_m32(void **state)
{
	struct orc_log log;
	unsigned long skipped = 0;
	unsigned mi, pse36, pse, leaf;

	(void)state;
	orc_log_init(&log, "32-bit reserved bits");
	for (mi = 0; mi < MSC_ARRAY_SIZE(rb_maxphy); mi++)
		for (pse36 = 0; pse36 < 2; pse36++)
			for (pse = 0; pse < 2; pse++)
				for (leaf = 1; leaf <= 1u + pse; leaf++) {
					struct rb_cfg c;

					memset(&c, 0, sizeof(c));
					c.fmt = c.rc.fmt = WALK_FMT_32;
					c.levels = 2;
					c.leaf = (u8)leaf;
					c.rc.vendor = CPU_VENDOR_INTEL;
					c.rc.maxphyaddr = rb_maxphy[mi];
					c.rc.pse = pse;
					c.rc.pse36 = pse36;
					c.rc.nxe = true;
					rb_run_cfg(&log, &c, &skipped);
				}
	rb_log_skipped(&log, skipped);
	orc_log_done(&log);
}

static void test_pae_reserved_bits_fault_with_rsvd_error_code(void **state)
{
	struct orc_log log;
	unsigned long skipped = 0;
	unsigned mi, nxe, leaf;

	(void)state;
	orc_log_init(&log, "PAE reserved bits");
	for (mi = 0; mi < MSC_ARRAY_SIZE(rb_maxphy); mi++)
		for (nxe = 0; nxe < 2; nxe++)
			for (leaf = 1; leaf <= 2; leaf++) {
				struct rb_cfg c;

				memset(&c, 0, sizeof(c));
				c.fmt = c.rc.fmt = WALK_FMT_PAE;
				c.levels = 3;
				c.leaf = (u8)leaf;
				c.rc.vendor = CPU_VENDOR_INTEL;
				c.rc.maxphyaddr = rb_maxphy[mi];
				c.rc.nxe = nxe;
				rb_run_cfg(&log, &c, &skipped);
			}
	rb_log_skipped(&log, skipped);
	orc_log_done(&log);
}

static void rb_run_long(enum walk_fmt fmt, const char *what)
{
	struct orc_log log;
	unsigned long skipped = 0;
	unsigned mi, vendor, nxe, gb, leaf;

	orc_log_init(&log, what);
	for (mi = 0; mi < MSC_ARRAY_SIZE(rb_maxphy); mi++)
		for (vendor = 0; vendor < 2; vendor++)
			for (nxe = 0; nxe < 2; nxe++)
				for (gb = 0; gb < 2; gb++)
					for (leaf = 1; leaf <= 3; leaf++) {
						struct rb_cfg c;

						memset(&c, 0, sizeof(c));
						c.fmt = c.rc.fmt = fmt;
						c.levels = fmt == WALK_FMT_5LVL ? 5 : 4;
						c.leaf = (u8)leaf;
						c.rc.vendor =
							vendor ? CPU_VENDOR_AMD : CPU_VENDOR_INTEL;
						c.rc.maxphyaddr = rb_maxphy[mi];
						c.rc.nxe = nxe;
						c.rc.gbpages = gb;
						rb_run_cfg(&log, &c, &skipped);
					}
	rb_log_skipped(&log, skipped);
	orc_log_done(&log);
}

static void test_4level_reserved_bits_per_level_vendor_and_maxphyaddr(void **state)
{
	(void)state;
	rb_run_long(WALK_FMT_4LVL, "4-level reserved bits");
}

static void test_5level_reserved_bits_per_level_vendor_and_maxphyaddr(void **state)
{
	(void)state;
	rb_run_long(WALK_FMT_5LVL, "5-level reserved bits");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_32bit_reserved_bits_follow_pse36_and_m32),
		cmocka_unit_test(test_pae_reserved_bits_fault_with_rsvd_error_code),
		cmocka_unit_test(test_4level_reserved_bits_per_level_vendor_and_maxphyaddr),
		cmocka_unit_test(test_5level_reserved_bits_per_level_vendor_and_maxphyaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
