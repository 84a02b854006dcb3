/* SPDX-License-Identifier: MIT */
/*
 * Exhaustive permission matrix of the legacy walker in every paging mode and page
 * size: leaf and upper-entry flags x access x CR0.WP/SMEP/SMAP/AC/NXE/PKE, checked
 * against tests/conformance/oracle.h (outcome, error code, CR2, gpa, A/D bits).
 */
#include "tests/conformance/oracle.h"

/* Table pages, one per level (index = level), all inside the 16 MiB slot. */
static const u64 tbl_gpa[6] = {0, 0x1c3000, 0x2a7000, 0x35b000, 0x4e1000, 0x59d000};
#define PAE_CR3 0x6c0020ULL /* PDPT in memory: all zero, must never be read */
#define MEM_SIZE (16ULL << 20)

struct pm_mode {
	const char *name;
	enum walk_fmt fmt;
	u8 levels; /* levels of the format (PAE 3) */
	u8 leaf; /* leaf level */
	u8 upper; /* level of the varied upper entry (0: none) */
	u64 gva;
	u64 frame;
	u8 pkey;
};

struct pm_fix {
	const struct pm_mode *md;
	struct gmem *m;
	struct walk_gmem_ctx gctx;
	struct walk_ctx ctx;
	struct walk_cfg cfg;
	void *hva[6]; /* entry used at each level (NULL: PAE register) */
	u64 neutral[6]; /* raw value of the unvaried entries */
	unsigned esz;
};

/* Raw entry at @level from oracle flags (address: next table or the frame). */
static u64 pm_raw(const struct pm_fix *fx, const struct orc_ent *e)
{
	const struct pm_mode *md = fx->md;
	u64 raw = e->level > md->leaf ? tbl_gpa[e->level - 1] : md->frame;

	if (e->p)
		raw |= ORC_P;
	if (e->reg)
		return raw; /* PDPTE register: P and address only */
	raw |= (e->w ? ORC_W : 0) | (e->u ? ORC_U : 0) | (e->a ? ORC_A : 0) | (e->d ? ORC_D : 0);
	if (e->nx)
		raw |= ORC_NX;
	if (e->leaf && e->level > 1)
		raw |= ORC_PS;
	if (e->leaf && md->fmt != WALK_FMT_32)
		raw |= (u64)e->pkey << ORC_PKEY_SHIFT;
	return raw;
}

static void pm_setup(struct pm_fix *fx, const struct pm_mode *md)
{
	unsigned l;

	memset(fx, 0, sizeof(*fx));
	fx->md = md;
	fx->m = orc_gmem_new(MEM_SIZE);
	fx->gctx.m = fx->m;
	fx->gctx.as = 0;
	walk_mem_gmem(&fx->ctx.mem, &fx->gctx);
	fx->ctx.g = &fx->cfg;
	fx->ctx.n = NULL;
	fx->esz = md->fmt == WALK_FMT_32 ? 4 : 8;

	fx->cfg.fmt = md->fmt;
	fx->cfg.levels = md->levels;
	fx->cfg.root = md->fmt == WALK_FMT_PAE ? PAE_CR3 : tbl_gpa[md->levels];
	fx->cfg.vendor = CPU_VENDOR_INTEL;
	fx->cfg.maxphyaddr = 46;
	fx->cfg.pse = md->fmt == WALK_FMT_32 && md->leaf == 2;
	fx->cfg.gbpages = true;

	for (l = md->levels; l >= md->leaf; l--) {
		struct orc_ent e = {.level = (u8)l, .p = true, .w = true, .u = true};

		e.reg = md->fmt == WALK_FMT_PAE && l == 3;
		e.leaf = l == md->leaf;
		fx->neutral[l] = pm_raw(fx, &e);
		if (e.reg)
			continue;
		fx->hva[l] = orc_hva(fx->m, tbl_gpa[l] + orc_index(md->fmt, l, md->gva) * fx->esz,
				     fx->esz);
	}
}

static void pm_teardown(struct pm_fix *fx)
{
	gmem_destroy(fx->m);
}

static void pm_store(struct pm_fix *fx, unsigned l, u64 raw)
{
	if (!fx->hva[l])
		fx->cfg.pdpte[orc_index(WALK_FMT_PAE, 3, fx->md->gva)] = raw;
	else if (fx->esz == 4)
		orc_wr32(fx->hva[l], (u32)raw);
	else
		orc_wr64(fx->hva[l], raw);
}

static u64 pm_load(const struct pm_fix *fx, unsigned l)
{
	if (!fx->hva[l])
		return fx->cfg.pdpte[orc_index(WALK_FMT_PAE, 3, fx->md->gva)];
	return fx->esz == 4 ? orc_rd32(fx->hva[l]) : orc_rd64(fx->hva[l]);
}

/* Access dimension: read/write/fetch x user (CPL3) / supervisor (CPL0) / implicit at CPL3. */
static void pm_access(unsigned i, struct orc_acc *a)
{
	static const enum walk_access kinds[3] = {WALK_ACC_READ, WALK_ACC_WRITE, WALK_ACC_FETCH};

	a->kind = kinds[i % 3];
	switch (i / 3) {
	case 0:
		a->cpl = 3;
		a->implicit = false;
		break;
	case 1:
		a->cpl = 0;
		a->implicit = false;
		break;
	default:
		a->cpl = 3;
		a->implicit = true;
		break;
	}
}

/*
 * PKRU for the leaf's key k: AD/WD from @adwd (bit 0 AD, bit 1 WD); every other
 * key gets the opposite, so indexing the wrong key changes the outcome.
 */
static u32 pm_pkru(unsigned k, unsigned adwd)
{
	u32 pkru = 0;
	unsigned j;

	for (j = 0; j < 16; j++)
		pkru |= (u32)((j == k ? adwd : (~adwd & 3)) << (2 * j));
	return pkru;
}

static void pm_describe(struct orc_str *b, const struct pm_fix *fx, const struct orc_env *env,
			const struct orc_acc *a, const struct orc_ent *e, unsigned n)
{
	unsigned i;

	orc_cat(b, "%s gva=0x%llx ", fx->md->name, (unsigned long long)fx->md->gva);
	orc_env_str(b, env, a);
	for (i = 0; i < n; i++)
		orc_ent_str(b, &e[i]);
}

static void pm_check(struct orc_log *log, struct pm_fix *fx, const struct orc_env *env,
		     const struct orc_acc *a, const struct orc_ent *e, unsigned n, const u64 *raw)
{
	const struct pm_mode *md = fx->md;
	const bool long_mode = md->fmt == WALK_FMT_4LVL || md->fmt == WALK_FMT_5LVL;
	struct walk_req req;
	struct walk_result res;
	struct orc_want w;
	struct orc_str d;
	bool bad = false;
	unsigned i;

	memset(&req, 0, sizeof(req));
	/* outside 4/5-level paging only bits 31:0 of the address count */
	req.addr = long_mode ? md->gva : md->gva | 0xa5a5a5a500000000ULL;
	req.acc = a->kind;
	req.cpl = a->cpl;
	req.implicit = a->implicit;
	req.ac = a->ac;
	walk_translate(&fx->ctx, &req, &res);
	orc_legacy(env, a, e, n, &w);
	log->cases++;
	log->want_ok += w.ok;

	d.n = 0;
	d.s[0] = 0;
	bad |= orc_diff(&d, "ok", w.ok, res.ok);
	if (w.ok) {
		u64 ps = orc_page_size(md->fmt, md->leaf);

		bad |= orc_diff(&d, "fault.kind", WALK_FAULT_NONE, res.fault.kind);
		bad |= orc_diff(&d, "gpa", md->frame | (md->gva & (ps - 1)), res.gpa);
		bad |= orc_diff(&d, "level", md->leaf, res.level);
		bad |= orc_diff(&d, "page_size", ps, res.page_size);
		bad |= orc_diff(&d, "acc", w.acc, res.acc);
		if (long_mode)
			bad |= orc_diff(&d, "pkey", md->pkey, res.pkey);
		bad |= orc_diff(&d, "refs", n - (md->fmt == WALK_FMT_PAE && md->leaf < 3 ? 1 : 0),
				res.refs);
	} else if (res.ok == w.ok) {
		bad |= orc_diff(&d, "fault.kind", WALK_FAULT_PF, res.fault.kind);
		bad |= orc_diff(&d, "vector", X86_VEC_PF, res.fault.vector);
		bad |= orc_diff(&d, "error_code", w.err, res.fault.error_code);
		bad |= orc_diff(&d, "cr2", long_mode ? md->gva : (md->gva & 0xffffffffULL),
				res.fault.cr2);
		bad |= orc_diff(&d, "fault.level", w.level, res.fault.level);
	}
	/* A on every level and D in the leaf for writes, only when the access passed */
	for (i = 0; i < n; i++) {
		u64 want = raw[i];
		char name[32];

		if (e[i].reg)
			continue; /* PDPTE registers carry no A */
		if (w.ok)
			want |= ORC_A | (e[i].leaf && a->kind == WALK_ACC_WRITE ? ORC_D : 0);
		snprintf(name, sizeof(name), "L%u entry after", e[i].level);
		bad |= orc_diff(&d, name, want, pm_load(fx, e[i].level));
	}
	if (!bad)
		return;

	{
		struct orc_str c;

		c.n = 0;
		c.s[0] = 0;
		pm_describe(&c, fx, env, a, e, n);
		orc_mismatch(log,
			     "%s| want %s err=0x%llx (%s) got %s err=0x%llx kind=%s rule=%s |%s",
			     c.s, w.ok ? "ok" : "#PF", (unsigned long long)w.err, w.why,
			     res.ok ? "ok" : "fault", (unsigned long long)res.fault.error_code,
			     orc_kind_name(res.fault.kind),
			     res.fault.rule ? res.fault.rule : "(null)", d.s);
	}
}

/*
 * Build the cfg the way a vCPU does: registers and CPUID through
 * walk_cfg_from_regs() (the PDPTE registers come from the fixture).
 */
static void pm_cfg_from_regs(struct pm_fix *fx, const struct orc_env *env, const struct orc_acc *a)
{
	const struct pm_mode *md = fx->md;
	struct cpu_features f;
	struct cpu_regs r;

	cpu_features_default(&f, CPU_VENDOR_INTEL);
	f.maxphyaddr = 46;
	memset(&r, 0, sizeof(r));
	r.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG | (env->wp ? X86_CR0_WP : 0);
	r.cr3 = fx->cfg.root;
	r.cr4 = (md->fmt != WALK_FMT_32 ? X86_CR4_PAE : 0) |
		(md->fmt == WALK_FMT_5LVL ? X86_CR4_LA57 : 0) | (fx->cfg.pse ? X86_CR4_PSE : 0) |
		(env->smep ? X86_CR4_SMEP : 0) | (env->smap ? X86_CR4_SMAP : 0) |
		(env->pke ? X86_CR4_PKE : 0);
	if (md->fmt == WALK_FMT_4LVL || md->fmt == WALK_FMT_5LVL) {
		r.efer = X86_EFER_LME | X86_EFER_LMA;
		r.cs_l = true;
	}
	if (env->nxe)
		r.efer |= X86_EFER_NXE;
	r.rflags = X86_RFLAGS_FIXED | (a->ac ? X86_RFLAGS_AC : 0);
	r.pkru = env->pkru;
	r.cpl = a->cpl;
	memcpy(r.pdpte, fx->cfg.pdpte, sizeof(r.pdpte));
	walk_cfg_from_regs(&fx->cfg, &r, &f);
}

/*
 * One mode: every combination of leaf flags (P W U A D [XD]), upper flags (P W U A
 * [XD]; a PAE PDPTE register: P), 9 accesses, WP x SMEP x NXE x {SMAP off, SMAP
 * with AC=0, SMAP with AC=1} and PKE (4/5-level: off, on with AD/WD 00 01 10 11;
 * 32-bit/PAE: off, on with AD=WD=1 which must have no effect). With @from_regs the
 * cfg comes from walk_cfg_from_regs() and the upper entry stays neutral.
 */
static void pm_run_cfg(const struct pm_mode *md, bool from_regs, struct orc_log *log)
{
	const bool long_mode = md->fmt == WALK_FMT_4LVL || md->fmt == WALK_FMT_5LVL;
	const bool has_nx = md->fmt != WALK_FMT_32;
	const bool up_reg = md->fmt == WALK_FMT_PAE && md->upper == 3;
	const unsigned nleaf = has_nx ? 64 : 32;
	const unsigned nup = md->upper == 0 || from_regs ? 1 : up_reg ? 2 : has_nx ? 32 : 16;
	const unsigned npk = long_mode ? 5 : 2;
	struct pm_fix fx;
	unsigned lb, ub, ai, cr, pk, l, n;

	pm_setup(&fx, md);
	for (lb = 0; lb < nleaf; lb++) {
		for (ub = 0; ub < nup; ub++) {
			struct orc_ent e[5];
			u64 raw[5];

			/* entries top first; the varied ones from the loop bits */
			n = 0;
			for (l = md->levels; l >= md->leaf; l--) {
				struct orc_ent *x = &e[n];

				memset(x, 0, sizeof(*x));
				x->level = (u8)l;
				x->reg = md->fmt == WALK_FMT_PAE && l == 3;
				x->leaf = l == md->leaf;
				x->p = x->w = x->u = true;
				if (x->leaf) {
					x->p = lb & 1;
					x->w = lb & 2;
					x->u = lb & 4;
					x->a = lb & 8;
					x->d = lb & 16;
					x->nx = lb & 32;
					x->pkey = long_mode ? md->pkey : 0;
				} else if (l == md->upper && !from_regs) {
					x->p = ub & 1;
					if (!x->reg) {
						x->w = ub & 2;
						x->u = ub & 4;
						x->a = ub & 8;
						x->nx = ub & 16;
					}
				}
				raw[n] = pm_raw(&fx, x);
				n++;
			}
			for (ai = 0; ai < 9; ai++) {
				struct orc_acc a;

				pm_access(ai, &a);
				for (cr = 0; cr < 24; cr++) {
					struct orc_env env;
					unsigned smapac = cr / 8;

					memset(&env, 0, sizeof(env));
					env.fmt = md->fmt;
					env.wp = cr & 1;
					env.smep = cr & 2;
					env.nxe = cr & 4;
					env.smap = smapac != 0;
					a.ac = smapac == 2;
					for (pk = 0; pk < npk; pk++) {
						env.pke = pk != 0;
						env.pkru = !env.pke    ? 0
							   : long_mode ? pm_pkru(md->pkey, pk - 1)
								       : 0xffffffffu;
						fx.cfg.wp = env.wp;
						fx.cfg.smep = env.smep;
						fx.cfg.smap = env.smap;
						fx.cfg.nxe = env.nxe;
						fx.cfg.pke = env.pke;
						fx.cfg.pkru = env.pkru;
						for (l = 0; l < n; l++)
							pm_store(&fx, e[l].level, raw[l]);
						if (from_regs)
							pm_cfg_from_regs(&fx, &env, &a);
						pm_check(log, &fx, &env, &a, e, n, raw);
					}
				}
			}
		}
	}
	/* the PDPT in memory is never read or written in PAE mode */
	if (md->fmt == WALK_FMT_PAE) {
		unsigned i;

		for (i = 0; i < 4; i++)
			if (orc_rd64(orc_hva(fx.m, PAE_CR3 + 8 * i, 8)) != 0)
				orc_mismatch(log, "%s: the in-memory PDPT was written", md->name);
	}
	pm_teardown(&fx);
}

static void pm_run(const struct pm_mode *md)
{
	struct orc_log log;

	orc_log_init(&log, md->name);
	pm_run_cfg(md, false, &log);
	orc_log_done(&log);
}

/* clang-format off */
static const struct pm_mode mode_32_4k = {"32-bit 4K, upper=PDE", WALK_FMT_32, 2, 1, 2,
					  0x9b5a7c3dULL, 0x89abc000ULL, 0};
static const struct pm_mode mode_32_4m = {"32-bit 4M (CR4.PSE)", WALK_FMT_32, 2, 2, 0,
					  0x9b5a7c3dULL, 0x89c00000ULL, 0};
static const struct pm_mode mode_pae_4k = {"PAE 4K, upper=PDE", WALK_FMT_PAE, 3, 1, 2,
					   0xb5e3f7a9ULL, 0x1234567000ULL, 0};
static const struct pm_mode mode_pae_4k_pdpte = {"PAE 4K, upper=PDPTE register", WALK_FMT_PAE,
						 3, 1, 3, 0xb5e3f7a9ULL, 0x1234567000ULL, 0};
static const struct pm_mode mode_pae_2m = {"PAE 2M, upper=PDPTE register", WALK_FMT_PAE, 3, 2, 3,
					   0xb5e3f7a9ULL, 0x1234600000ULL, 0};
static const struct pm_mode mode_4l_4k = {"4-level 4K, upper=PML4E", WALK_FMT_4LVL, 4, 1, 4,
					  0xffffa5a5c3b2d1e9ULL, 0x2a5ac1234000ULL, 5};
static const struct pm_mode mode_4l_4k_pde = {"4-level 4K, upper=PDE", WALK_FMT_4LVL, 4, 1, 2,
					      0xffffa5a5c3b2d1e9ULL, 0x2a5ac1234000ULL, 9};
static const struct pm_mode mode_4l_2m = {"4-level 2M, upper=PDPTE", WALK_FMT_4LVL, 4, 2, 3,
					  0x00007e5bd3c4b2a1ULL, 0x2a5ac1a00000ULL, 10};
static const struct pm_mode mode_4l_1g = {"4-level 1G, upper=PML4E", WALK_FMT_4LVL, 4, 3, 4,
					  0xffffa5a5c3b2d1e9ULL, 0x2a5ac0000000ULL, 15};
static const struct pm_mode mode_5l_4k = {"5-level 4K, upper=PDE", WALK_FMT_5LVL, 5, 1, 2,
					  0xff5ab5a5c3b2d1e9ULL, 0x2a5ac1234000ULL, 3};
static const struct pm_mode mode_5l_4k_pdpte = {"5-level 4K, upper=PDPTE", WALK_FMT_5LVL, 5, 1,
						3, 0xff5ab5a5c3b2d1e9ULL, 0x2a5ac1234000ULL, 12};
static const struct pm_mode mode_5l_2m = {"5-level 2M, upper=PML5E", WALK_FMT_5LVL, 5, 2, 5,
					  0x00e3a5a5c3b2d1e9ULL, 0x2a5ac1a00000ULL, 1};
static const struct pm_mode mode_5l_1g = {"5-level 1G, upper=PML4E", WALK_FMT_5LVL, 5, 3, 4,
					  0xff5ab5a5c3b2d1e9ULL, 0x2a5ac0000000ULL, 14};
/* clang-format on */

static void test_32bit_4k_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_32_4k);
}

static void test_32bit_4m_pse_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_32_4m);
}

static void test_pae_4k_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_pae_4k);
}

static void test_pae_4k_pdpte_register_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_pae_4k_pdpte);
}

static void test_pae_2m_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_pae_2m);
}

static void test_4level_4k_pml4e_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_4l_4k);
}

static void test_4level_4k_pde_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_4l_4k_pde);
}

static void test_4level_2m_pdpte_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_4l_2m);
}

static void test_4level_1g_pml4e_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_4l_1g);
}

static void test_5level_4k_pde_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_5l_4k);
}

static void test_5level_4k_pdpte_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_5l_4k_pdpte);
}

static void test_5level_2m_pml5e_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_5l_2m);
}

static void test_5level_1g_pml4e_rights_match_sdm_matrix(void **state)
{
	(void)state;
	pm_run(&mode_5l_1g);
}

/* The same matrix (leaf flags x access x control bits) with the cfg built from registers. */
static void test_cfg_from_regs_gives_same_rights_in_every_mode(void **state)
{
	const struct pm_mode *modes[] = {&mode_32_4k, &mode_32_4m, &mode_pae_4k, &mode_pae_2m,
					 &mode_4l_4k, &mode_4l_2m, &mode_4l_1g,	 &mode_5l_4k,
					 &mode_5l_2m, &mode_5l_1g};
	struct orc_log log;
	unsigned i;

	(void)state;
	orc_log_init(&log, "every mode via walk_cfg_from_regs");
	for (i = 0; i < MSC_ARRAY_SIZE(modes); i++)
		pm_run_cfg(modes[i], true, &log);
	orc_log_done(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_32bit_4k_rights_match_sdm_matrix),
		cmocka_unit_test(test_32bit_4m_pse_rights_match_sdm_matrix),
		cmocka_unit_test(test_pae_4k_rights_match_sdm_matrix),
		cmocka_unit_test(test_pae_4k_pdpte_register_rights_match_sdm_matrix),
		cmocka_unit_test(test_pae_2m_rights_match_sdm_matrix),
		cmocka_unit_test(test_4level_4k_pml4e_rights_match_sdm_matrix),
		cmocka_unit_test(test_4level_4k_pde_rights_match_sdm_matrix),
		cmocka_unit_test(test_4level_2m_pdpte_rights_match_sdm_matrix),
		cmocka_unit_test(test_4level_1g_pml4e_rights_match_sdm_matrix),
		cmocka_unit_test(test_5level_4k_pde_rights_match_sdm_matrix),
		cmocka_unit_test(test_5level_4k_pdpte_rights_match_sdm_matrix),
		cmocka_unit_test(test_5level_2m_pml5e_rights_match_sdm_matrix),
		cmocka_unit_test(test_5level_1g_pml4e_rights_match_sdm_matrix),
		cmocka_unit_test(test_cfg_from_regs_gives_same_rights_in_every_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
