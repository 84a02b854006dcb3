/* SPDX-License-Identifier: MIT */
/*
 * The layout stage: every panel of the GUI as draw-list items. Columns: CPU
 * state, steps and the event log; the guest page-table tree and the shadow
 * pages; the hash grid, the roots with the root-cache strip, TLB and stats.
 */
#include "viz/layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/mem.h"
#include "cpu/regnames.h"

/* Colours, 0xRRGGBBAA. */
#define C_BG 0x16181dffu
#define C_PANEL 0x1f2229ffu
#define C_BORDER 0x3a3f4bffu
#define C_TITLE 0x8ab4f8ffu
#define C_TEXT 0xd8dee9ffu
#define C_DIM 0x8a93a5ffu
#define C_SEL 0x34405cffu
#define C_PATH 0x5a4a1effu
#define C_PATH_TEXT 0xf0c674ffu
#define C_UNSYNC 0xff6b6bffu
#define C_ROOT 0x98c379ffu
#define C_HIT 0x98c379ffu
#define C_MISS 0xe06c75ffu
#define C_EVICT 0xd19a66ffu
#define C_EMPTY 0x262a33ffu
#define C_HOVER 0xffffffffu
#define C_PICK 0xf0c674ffu

static const char *const panel_names[VIZ_P_COUNT] = {
	"cpu", "steps", "guest", "shadow", "hash", "roots", "tlb", "stats", "events", "keys",
};

const char *viz_panel_name(enum viz_panel p)
{
	return (unsigned)p < VIZ_P_COUNT ? panel_names[p] : "?";
}

void viz_ui_init(struct viz_ui *ui, s32 w, s32 h)
{
	memset(ui, 0, sizeof(*ui));
	ui->w = w;
	ui->h = h;
	ui->zoom = 100;
	ui->panels = (1u << VIZ_P_COUNT) - 1;
	ui->hover_bucket = -1;
	ui->sel_bucket = -1;
}

bool viz_ui_toggled(const u64 *set, u32 n, u64 key)
{
	for (u32 i = 0; i < n; i++)
		if (set[i] == key)
			return true;
	return false;
}

bool viz_ui_toggle(u64 *set, u32 *n, u64 key)
{
	for (u32 i = 0; i < *n; i++) {
		if (set[i] == key) {
			set[i] = set[--*n];
			return true;
		}
	}
	if (*n >= VIZ_MAX_TOGGLES)
		return false;
	set[(*n)++] = key;
	return true;
}

u8 viz_ui_font(const struct viz_ui *ui)
{
	u32 fs = 12u * ui->zoom / 100u;

	return (u8)(fs < 6 ? 6 : fs > 40 ? 40 : fs);
}

struct box {
	s32 x, y, w, h;
};

/* The layout's context: fonts and a row cursor inside the current panel. */
struct lay {
	const struct viz_model *m;
	const struct viz_ui *ui;
	struct viz_dl *dl;
	u8 fs;
	s32 cw, lh;
	/* the panel being filled */
	struct box c; /* content box */
	s32 row, first; /* rows emitted so far; first row shown (scroll) */
	s32 y; /* y of the next visible row */
};

static size_t chars_in(const struct lay *L, s32 w)
{
	return w > 0 ? (size_t)(w / L->cw) : 0;
}

static bool shown(const struct lay *L, enum viz_panel p)
{
	return L->ui->panels & (1u << p);
}

/* Panel frame, title, clip; the content box is set for rows. */
static void panel_begin(struct lay *L, struct box b, enum viz_panel p, const char *title)
{
	struct viz_dl *dl = L->dl;
	s32 th = L->lh + 2;

	viz_fill(dl, b.x, b.y, b.w, b.h, C_PANEL);
	viz_rect(dl, b.x, b.y, b.w, b.h, C_BORDER);
	viz_hit(dl, VIZ_HIT_PANEL, b.x, b.y, b.w, b.h, (u64)p);
	viz_clip(dl, b.x + 1, b.y + 1, b.w - 2, b.h - 2);
	viz_text(dl, b.x + 4, b.y + 1, L->fs, C_TITLE, title, chars_in(L, b.w - 8));
	viz_line(dl, b.x + 1, b.y + th, b.x + b.w - 2, b.y + th, C_BORDER);
	viz_unclip(dl);
	L->c = (struct box){b.x + 4, b.y + th + 2, b.w - 8, b.h - th - 4};
	viz_clip(dl, L->c.x, L->c.y, L->c.w, L->c.h);
	L->row = 0;
	L->first = L->ui->scroll[p] > 0 ? L->ui->scroll[p] : 0;
	L->y = L->c.y;
}

/* Row cursor: a row is on screen when scrolled into view and it fits. */
static bool row_on(const struct lay *L)
{
	return L->row >= L->first && L->y + L->lh <= L->c.y + L->c.h;
}

static void row_done(struct lay *L)
{
	if (row_on(L))
		L->y += L->lh;
	L->row++;
}

/* A text row at @indent pixels; @bg (0: none) fills the row behind it. */
static void rowf(struct lay *L, u32 rgba, u32 bg, s32 indent, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void rowf(struct lay *L, u32 rgba, u32 bg, s32 indent, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (row_on(L)) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		if (bg)
			viz_fill(L->dl, L->c.x - 2, L->y, L->c.w + 4, L->lh, bg);
		viz_text(L->dl, L->c.x + indent, L->y, L->fs, rgba, buf,
			 chars_in(L, L->c.w - indent));
	}
	row_done(L);
}

/* Word-wrapped text rows (a step's note). */
static void wrap_rows(struct lay *L, u32 rgba, s32 indent, const char *s)
{
	size_t width = chars_in(L, L->c.w - indent);

	if (width < 8)
		width = 8;
	while (*s) {
		size_t len = strlen(s), cut = len;
		const char *nl = strchr(s, '\n');

		if (nl && (size_t)(nl - s) < cut)
			cut = (size_t)(nl - s);
		if (cut > width) {
			cut = width;
			while (cut > width / 2 && s[cut] != ' ')
				cut--;
			if (s[cut] != ' ')
				cut = width;
		}
		rowf(L, rgba, 0, indent, "%.*s", (int)cut, s);
		s += cut;
		while (*s == ' ' || *s == '\n')
			s++;
	}
}

static void panel_end(struct lay *L)
{
	s32 shown_rows = (L->y - L->c.y) / L->lh;
	s32 below = L->row - L->first - shown_rows;

	/* The scroll markers sit over the rows' ends: on the panel's colour, so a
	 * long row does not run through them. */
	if (L->first > 0) {
		viz_fill(L->dl, L->c.x + L->c.w - 8 * L->cw, L->c.y, 8 * L->cw, L->lh, C_PANEL);
		viz_textf(L->dl, L->c.x + L->c.w - 8 * L->cw, L->c.y, L->fs, C_DIM, 0, "(^%d)",
			  L->first);
	}
	if (below > 0) {
		viz_fill(L->dl, L->c.x + L->c.w - 8 * L->cw, L->c.y + L->c.h - L->lh, 8 * L->cw,
			 L->lh, C_PANEL);
		viz_textf(L->dl, L->c.x + L->c.w - 8 * L->cw, L->c.y + L->c.h - L->lh, L->fs, C_DIM,
			  0, "(+%d)", below);
	}
	viz_unclip(L->dl);
}

/* "PE|ET|PG" -> "PE ET PG" */
static void flags_text(enum cpu_flag_field f, u64 v, char *buf, size_t n)
{
	cpu_flags_format(f, v, buf, n);
	for (char *p = buf; *p; p++)
		if (*p == '|')
			*p = ' ';
}

static const char *paging_name(enum cpu_paging_mode mode)
{
	switch (mode) {
	case CPU_PAGING_NONE:
		return "paging off";
	case CPU_PAGING_32:
		return "32-bit paging";
	case CPU_PAGING_PAE:
		return "PAE paging";
	case CPU_PAGING_4LVL:
		return "4-level paging";
	case CPU_PAGING_5LVL:
		return "5-level paging";
	}
	return "?";
}

/* ---- CPU state ---- */

static void lay_cpu(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	char f[160];

	panel_begin(L, b, VIZ_P_CPU, "CPU state");
	for (u16 v = 0; v < m->snap.nvcpus; v++) {
		const struct cpu_regs *r = &m->snap.vcpu[v].r;

		rowf(L, v == L->ui->vcpu ? C_TITLE : C_TEXT, v == L->ui->vcpu ? C_SEL : 0, 0,
		     "vCPU %u  CPL %u  SMM %s  guest mode %s  %s", v, r->cpl, r->smm ? "yes" : "no",
		     r->guest_mode ? "yes (L2)" : "no", paging_name(cpu_paging_mode(r)));
		flags_text(CPU_FLAGS_CR0, r->cr0, f, sizeof(f));
		rowf(L, C_TEXT, 0, L->cw, "CR0  0x%08llx  %s", (unsigned long long)r->cr0, f);
		rowf(L, C_TEXT, 0, L->cw, "CR3  0x%016llx  PCID 0x%x%s%s",
		     (unsigned long long)r->cr3, cpu_pcid(r), r->cr3 & X86_CR3_PWT ? " PWT" : "",
		     r->cr3 & X86_CR3_PCD ? " PCD" : "");
		flags_text(CPU_FLAGS_CR4, r->cr4, f, sizeof(f));
		rowf(L, C_TEXT, 0, L->cw, "CR4  0x%08llx  %s", (unsigned long long)r->cr4, f);
		flags_text(CPU_FLAGS_EFER, r->efer, f, sizeof(f));
		rowf(L, C_TEXT, 0, L->cw, "EFER 0x%08llx  %s", (unsigned long long)r->efer, f);
		rowf(L, C_DIM, 0, L->cw, "CR2 0x%llx  RFLAGS 0x%llx  PKRU 0x%x  CS.L %u  TLB %zu",
		     (unsigned long long)r->cr2, (unsigned long long)r->rflags, r->pkru, r->cs_l,
		     m->snap.vcpu[v].tlb_entries);
	}
	if (!m->snap.nvcpus)
		rowf(L, C_DIM, 0, 0, "(no vCPU)");
	panel_end(L);
}

/* ---- steps ---- */

static void reg_list(const struct scn_regval *rv, unsigned n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=0x%llx", i ? " " : "",
				      scn_reg_name(rv[i].reg), (unsigned long long)rv[i].val);
}

void viz_step_summary(const struct scn_step *st, char *buf, size_t n)
{
	char regs[160];
	const char *op = scn_op_name(st->op);

	switch (st->op) {
	case SCN_OP_SET:
		reg_list(st->u.set.regs, st->u.set.nregs, regs, sizeof(regs));
		snprintf(buf, n, "set %s", regs);
		break;
	case SCN_OP_MAP:
		snprintf(buf, n, "map %s va 0x%llx -> 0x%llx size 0x%llx",
			 scn_fmt_name(st->u.pt.pt.fmt), (unsigned long long)st->u.pt.va,
			 (unsigned long long)st->u.pt.pa, (unsigned long long)st->u.pt.size);
		break;
	case SCN_OP_UNMAP:
		snprintf(buf, n, "unmap va 0x%llx", (unsigned long long)st->u.pt.va);
		break;
	case SCN_OP_SET_ENTRY:
		snprintf(buf, n, "set_entry va 0x%llx L%u = 0x%llx",
			 (unsigned long long)st->u.pt.va, st->u.pt.level,
			 (unsigned long long)st->u.pt.value);
		break;
	case SCN_OP_MEM_WRITE:
	case SCN_OP_MEM_READ:
		snprintf(buf, n, "%s as%u 0x%llx size %u", op, st->u.mem.as,
			 (unsigned long long)st->u.mem.gpa, st->u.mem.size);
		break;
	case SCN_OP_ACCESS:
		snprintf(buf, n, "access %s 0x%llx size %u%s", scn_access_name(st->u.access.kind),
			 (unsigned long long)st->u.access.va, st->u.access.size,
			 st->u.access.cpl >= 0 ? (st->u.access.cpl == 3 ? " cpl 3" : " cpl 0")
					       : "");
		break;
	case SCN_OP_INVLPG:
		snprintf(buf, n, "invlpg 0x%llx", (unsigned long long)st->u.inv.va);
		break;
	case SCN_OP_INVPCID:
		snprintf(buf, n, "invpcid type %u pcid %u", st->u.inv.type, st->u.inv.pcid);
		break;
	case SCN_OP_VMENTRY:
		snprintf(buf, n, "vmentry %s 0x%llx vpid %u", st->u.vmentry.npt ? "ncr3" : "eptp",
			 (unsigned long long)(st->u.vmentry.npt ? st->u.vmentry.ncr3
								: st->u.vmentry.eptp),
			 st->u.vmentry.vpid);
		break;
	case SCN_OP_PRE_FAULT:
		snprintf(buf, n, "pre_fault 0x%llx size 0x%llx",
			 (unsigned long long)st->u.pre_fault.gpa,
			 (unsigned long long)st->u.pre_fault.size);
		break;
	case SCN_OP_MEMSLOT_ADD:
	case SCN_OP_MEMSLOT_DELETE:
	case SCN_OP_MEMSLOT_FLAGS:
		snprintf(buf, n, "%s as%u id %u", op, st->u.slot.as, st->u.slot.id);
		break;
	case SCN_OP_FLUSH_TLB:
	case SCN_OP_SMI:
	case SCN_OP_RSM:
	case SCN_OP_VMEXIT:
	case SCN_OP_ZAP_ALL:
	case SCN_OP_EXPECT:
		snprintf(buf, n, "%s", op);
		break;
	}
}

static void lay_steps(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	s32 vis, total = (s32)m->nsteps + 1, cur = (s32)m->step;
	char sum[256], title[64];

	snprintf(title, sizeof(title), "steps (%u/%u)", m->step, m->nsteps);
	panel_begin(L, b, VIZ_P_STEPS, title);
	vis = L->c.h / L->lh;
	/* keep the current step in view: a third from the top, then the scroll */
	L->first = cur - vis / 3 + L->ui->scroll[VIZ_P_STEPS];
	if (L->first > total - vis / 2)
		L->first = total - vis / 2;
	if (L->first < 0)
		L->first = 0;
	for (s32 k = 0; k < total; k++) {
		bool on = k == cur;
		u32 col = on ? C_TITLE : k > cur ? C_DIM : C_TEXT;
		const struct scn_step *st = k ? &m->scn->steps[k - 1] : NULL;
		char mark = ' ';

		if (k && m->rec && (u32)(k - 1) < m->rec->nsteps) {
			u32 kinds = m->rec->steps[k - 1].kinds;

			mark = kinds & (1u << VIZ_EVK_EXPECT_FAIL)  ? '!'
			       : kinds & (1u << VIZ_EVK_DIVERGENCE) ? 'D'
			       : kinds & (1u << VIZ_EVK_FAULT)	    ? 'F'
			       : kinds & (1u << VIZ_EVK_VMEXIT)	    ? 'X'
								    : ' ';
		}
		if (row_on(L))
			viz_hit(L->dl, VIZ_HIT_STEP, L->c.x, L->y, L->c.w, L->lh, (u64)k);
		if (!st) {
			rowf(L, col, on ? C_SEL : 0, 0, "%c%4d  (initial state)", on ? '>' : ' ',
			     k);
			continue;
		}
		viz_step_summary(st, sum, sizeof(sum));
		rowf(L, col, on ? C_SEL : 0, 0, "%c%4d %c v%u %s", on ? '>' : ' ', k, mark,
		     st->vcpu, sum);
		if (on && st->note)
			wrap_rows(L, C_PATH_TEXT, 8 * L->cw, st->note);
	}
	panel_end(L);
}

/* ---- event log ---- */

static void lay_events(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	char title[64];

	snprintf(title, sizeof(title), "events of step %u", m->step);
	panel_begin(L, b, VIZ_P_EVENTS, title);
	if (!m->step || !m->rec || m->step > m->rec->nsteps) {
		rowf(L, C_DIM, 0, 0, m->step ? "(no recording)" : "(initial state: no events)");
	} else {
		const struct viz_step_rec *sr = &m->rec->steps[m->step - 1];
		const struct scn_step *st = m->scn ? &m->scn->steps[m->step - 1] : NULL;

		if (st && st->insn_len) {
			char hex[3 * SCN_MAX_INSN + 1];
			size_t o = 0;

			for (u8 i = 0; i < st->insn_len; i++)
				o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%s%02x",
						      i ? " " : "", st->insn[i]);
			rowf(L, C_PATH_TEXT, C_SEL, 0, "insn  %s   [%s]", sr->insn, hex);
		}
		for (u32 i = 0; i < sr->nlines; i++) {
			const char *line = viz_rec_line(m->rec, m->step - 1, i);
			u32 col = strstr(line, "expect_fail") || strstr(line, "divergence") ? C_MISS
				  : strstr(line, "kvm")					    ? C_TEXT
											    : C_DIM;

			rowf(L, col, 0, 0, "%s", line);
		}
		if (sr->dropped)
			rowf(L, C_DIM, 0, 0, "... %u more lines", sr->dropped);
	}
	panel_end(L);
}

/* ---- the guest page-table tree ---- */

static bool gpt_present(const struct walk_cfg *cfg, u64 e)
{
	return cfg->fmt == WALK_FMT_EPT ? (e & 7) != 0 : (e & 1) != 0;
}

static bool gpt_leaf(const struct walk_cfg *cfg, u8 level, u64 e)
{
	if (level == 1)
		return true;
	if (cfg->fmt == WALK_FMT_PAE && level == 3)
		return false;
	return (level == 2 || level == 3) && (e & BIT_ULL(7));
}

static u64 gpt_child(const struct walk_cfg *cfg, u64 e)
{
	if (cfg->fmt == WALK_FMT_32)
		return e & 0xfffff000ull;
	return e & GENMASK_ULL(51, 12);
}

struct gpt_ctx {
	const struct walk_cfg *cfg;
	const struct viz_step_rec *walk; /* lit path, or NULL */
	u8 as;
	/* L2 under nested EPT/NPT: table addresses are L2-physical, translated
	 * through L1's tables; NULL otherwise */
	const struct walk_cfg *l1_tdp;
	const struct gmem *gmem;
};

/* The L1 address of L2-physical @gpa through L1's EPT/NPT, or false. */
static bool gpt_l1_address(const struct gpt_ctx *g, u64 gpa, u64 *out)
{
	struct walk_gmem_ro_ctx rc = {.m = g->gmem, .as = g->as};
	struct walk_ctx wctx;
	struct walk_req req;
	struct walk_result res;

	memset(&wctx, 0, sizeof(wctx));
	memset(&req, 0, sizeof(req));
	wctx.g = g->l1_tdp;
	walk_mem_gmem_ro(&wctx.mem, &rc);
	req.addr = gpa;
	req.acc = WALK_ACC_READ;
	req.cpl = 3; /* nested walks are user accesses (APM 15.25.5) */
	req.flags = WALK_F_PROBE;
	walk_translate(&wctx, &req, &res);
	if (!res.ok)
		return false;
	*out = res.gpa;
	return true;
}

static bool on_path(const struct gpt_ctx *g, u64 addr)
{
	if (!g->walk)
		return false;
	for (u8 i = 0; i < g->walk->walk_n; i++)
		if (g->walk->walk_pte[i] == addr)
			return true;
	return false;
}

static void gpt_table(struct lay *L, const struct gpt_ctx *g, u64 table, u8 level, s32 depth);

static void gpt_entry(struct lay *L, const struct gpt_ctx *g, u64 addr, u32 idx, u8 level, u64 e,
		      s32 depth)
{
	char dec[160];
	bool path = on_path(g, addr), leaf = gpt_leaf(g->cfg, level, e);
	bool open = !leaf && (path != viz_ui_toggled(L->ui->gpt_toggle, L->ui->ngpt, addr));
	u32 w = g->cfg->fmt == WALK_FMT_32 ? 8 : 16;

	walk_decode_entry(g->cfg, level, e, dec, sizeof(dec));
	if (row_on(L) && !leaf)
		viz_hit(L->dl, VIZ_HIT_GPT, L->c.x, L->y, L->c.w, L->lh, addr);
	rowf(L,
	     path   ? C_PATH_TEXT
	     : leaf ? C_TEXT
		    : C_TITLE,
	     path ? C_PATH : 0, depth * 2 * L->cw, "%s L%u[%3u] 0x%0*llx %s",
	     leaf   ? " "
	     : open ? "-"
		    : "+",
	     level, idx, (int)w, (unsigned long long)e, dec);
	if (open && depth < 5)
		gpt_table(L, g, gpt_child(g->cfg, e), (u8)(level - 1), depth + 1);
}

static void gpt_table(struct lay *L, const struct gpt_ctx *g, u64 table, u8 level, s32 depth)
{
	u8 raw[4096];
	u32 esz = g->cfg->fmt == WALK_FMT_32 ? 4 : 8, n = 4096 / esz, shown_n = 0;

	if (level < 1 || L->y >= L->c.y + L->c.h + 1)
		goto count_only;
	if (g->l1_tdp) {
		u64 l1;

		if (!gpt_l1_address(g, table, &l1)) {
			rowf(L, C_MISS, 0, depth * 2 * L->cw,
			     "table 0x%llx: not mapped by L1's EPT/NPT", (unsigned long long)table);
			return;
		}
		table = l1;
	}
	if (!L->m->gmem || gmem_read(L->m->gmem, g->as, table, raw, sizeof(raw))) {
		rowf(L, C_MISS, 0, depth * 2 * L->cw, "table 0x%llx: no memory behind it",
		     (unsigned long long)table);
		return;
	}
	for (u32 i = 0; i < n; i++) {
		u64 e = 0;

		memcpy(&e, raw + (size_t)i * esz, esz);
		if (!gpt_present(g->cfg, e))
			continue;
		shown_n++;
		gpt_entry(L, g, table + (u64)i * esz, i, level, e, depth);
	}
	if (!shown_n)
		rowf(L, C_DIM, 0, depth * 2 * L->cw, "(table 0x%llx: no present entry)",
		     (unsigned long long)table);
	return;
count_only:
	/* below the panel: nothing more is visible, stop reading tables */
	return;
}

static void lay_gpt(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	u16 v = L->ui->vcpu;
	const struct walk_cfg *cfg = &m->cfg[v];
	const struct cpu_regs *r = &m->snap.vcpu[v].r;
	struct gpt_ctx g = {.cfg = cfg, .as = r->smm ? 1 : 0, .gmem = m->gmem};
	char title[128];

	if (r->guest_mode && m->has_l2_tdp[v])
		g.l1_tdp = &m->l2_tdp[v];

	snprintf(title, sizeof(title), "guest page tables, vCPU %u: %s, CR3 0x%llx%s%s", v,
		 walk_fmt_name(cfg->fmt), (unsigned long long)r->cr3, r->smm ? " (SMM)" : "",
		 g.l1_tdp	 ? " (L2, through L1's EPT/NPT)"
		 : r->guest_mode ? " (L2)"
				 : "");
	panel_begin(L, b, VIZ_P_GPT, title);
	if (m->step && m->rec && m->step <= m->rec->nsteps) {
		const struct viz_step_rec *sr = &m->rec->steps[m->step - 1];

		if (sr->walk && sr->walk_vcpu == v) {
			g.walk = sr;
			rowf(L, C_PATH_TEXT, 0, 0, "last walk: 0x%llx %s (lit)",
			     (unsigned long long)sr->walk_addr, sr->walk_ok ? "ok" : "faulted");
		}
	}
	if (m->snap.nvcpus == 0 || cfg->fmt == WALK_FMT_NONE) {
		rowf(L, C_DIM, 0, 0, "(paging off: linear = physical)");
	} else if (r->guest_mode && m->has_l2_tdp[v] && cfg->fmt == WALK_FMT_PAE) {
		rowf(L, C_DIM, 0, 0, "(L2 PAE paging under nested EPT/NPT: not shown)");
	} else if (cfg->fmt == WALK_FMT_PAE) {
		u64 base = r->cr3 & 0xffffffe0ull;

		for (u32 i = 0; i < 4; i++)
			if (cfg->pdpte[i] & 1)
				gpt_entry(L, &g, base + i * 8, i, 3, cfg->pdpte[i], 0);
	} else {
		gpt_table(L, &g, cfg->root, cfg->levels, 0);
	}
	panel_end(L);
}

/* ---- shadow pages ---- */

static const char *const acc_names[8] = {"---", "--x", "-w-", "-wx", "u--", "u-x", "uw-", "uwx"};

static void role_text(u32 role, char *buf, size_t n)
{
	snprintf(buf, n, "L%u %s q%u %s acc %s%s%s%s%s", role & 0xf,
		 role & BIT_ULL(4) ? "4-byte" : "8-byte", (role >> 5) & 3,
		 role & BIT_ULL(7) ? "direct" : "shadow", acc_names[(role >> 8) & 7],
		 role & BIT_ULL(11) ? " invalid" : "", role & BIT_ULL(17) ? " guest_mode" : "",
		 (role >> 24) & 0xff ? " smm" : "", role & BIT_ULL(18) ? " passthrough" : "");
}

/* Which root of the selected vCPU @hpa is: "root", "prev0".. or NULL. */
static const char *root_tag(const struct viz_model *m, u16 v, u64 hpa, char *buf, size_t n)
{
	const struct sim_vcpu_mmu_view *mv = &m->mmu[v];
	const struct sim_mmu_view *mm[2] = {&mv->root_mmu, &mv->guest_mmu};
	const char *names[2] = {"root_mmu", "guest_mmu"};

	for (int i = 0; i < 2; i++) {
		if (!mm[i]->present)
			continue;
		if (mm[i]->current.valid && mm[i]->current.hpa == hpa) {
			snprintf(buf, n, " <- %s current", names[i]);
			return buf;
		}
		for (int k = 0; k < 3; k++)
			if (mm[i]->prev[k].valid && mm[i]->prev[k].hpa == hpa) {
				snprintf(buf, n, " <- %s prev[%d]", names[i], k);
				return buf;
			}
	}
	return NULL;
}

static void sp_node(struct lay *L, u32 i, s32 depth, u16 slot, bool has_slot);

static void sp_children(struct lay *L, u32 i, s32 depth)
{
	const struct viz_model *m = L->m;
	const struct sim_sp_view *sp = &m->sps[i];

	if (m->sim) {
		struct sim_spte_view sv[512];
		size_t n = sim_view_sptes(m->sim, sp->hpa, sv, 512);

		if (n > 512)
			n = 512;
		for (size_t k = 0; k < n; k++) {
			long c = sv[k].leaf || !sv[k].child_hpa
					 ? -1
					 : viz_model_sp_by_hpa(m, sv[k].child_hpa);

			if (c >= 0) {
				sp_node(L, (u32)c, depth, sv[k].index, true);
				continue;
			}
			rowf(L, sv[k].mmio ? C_EVICT : C_DIM, 0, depth * 2 * L->cw,
			     "  [%3u] 0x%016llx %s", sv[k].index, (unsigned long long)sv[k].spte,
			     sv[k].decoded);
			if (!row_on(L) && L->row > L->first + 4096)
				return;
		}
		return;
	}
	if (!m->child_off)
		return;
	for (u32 k = m->child_off[i]; k < m->child_off[i + 1]; k++)
		sp_node(L, m->child[k], depth, m->child_slot[k], true);
}

static void sp_node(struct lay *L, u32 i, s32 depth, u16 slot, bool has_slot)
{
	const struct viz_model *m = L->m;
	const struct sim_sp_view *sp = &m->sps[i];
	bool open = (depth == 0) != viz_ui_toggled(L->ui->sp_toggle, L->ui->nsp, sp->hpa);
	char role[128], tag[48], sl[16] = "";

	if (depth > 6)
		return;
	if (!row_on(L)) {
		/* scrolled away or below the panel: counted, not formatted */
		row_done(L);
	} else {
		const char *rt = root_tag(m, L->ui->vcpu, sp->hpa, tag, sizeof(tag));
		u32 col = sp->unsync			? C_UNSYNC
			  : sp->invalid || sp->obsolete ? C_DIM
			  : rt				? C_ROOT
							: C_TEXT;

		role_text(sp->role, role, sizeof(role));
		if (has_slot)
			snprintf(sl, sizeof(sl), "[%3u] ", slot);
		viz_hit(L->dl, VIZ_HIT_SP, L->c.x, L->y, L->c.w, L->lh, sp->hpa);
		rowf(L, col, rt ? C_SEL : 0, depth * 2 * L->cw,
		     "%s %sgfn 0x%llx hpa 0x%llx %s%s%s%s%s",
		     sp->level > 1 ? (open ? "-" : "+") : " ", sl, (unsigned long long)sp->gfn,
		     (unsigned long long)sp->hpa, role, sp->unsync ? " UNSYNC" : "",
		     sp->unsync_children ? " unsync-children" : "", sp->tdp_mmu ? " tdp_mmu" : "",
		     rt ? rt : "");
	}
	if (open)
		sp_children(L, i, depth + 1);
}

static void lay_spt(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	u32 unsync = m->nunsync, roots = m->nroots;
	char title[160];

	if (!m->indexed) {
		unsync = roots = 0;
		for (size_t i = 0; i < m->nsps; i++) {
			unsync += m->sps[i].unsync;
			roots += m->sps[i].root_count > 0;
		}
	}
	snprintf(title, sizeof(title), "shadow/TDP pages: %zu (roots %u, unsync %u)", m->nsps,
		 roots, unsync);
	panel_begin(L, b, VIZ_P_SPT, title);
	if (!m->has_mmu) {
		rowf(L, C_DIM, 0, 0, "(no KVM MMU in this machine)");
		panel_end(L);
		return;
	}
	/* special roots (PAE/pml4/pml5, dummy) have no SP: list them first */
	for (u16 v = 0; v < m->snap.nvcpus; v++) {
		const struct sim_root_view *rv = &m->mmu[v].root_mmu.current;

		if (m->mmu[v].root_mmu.present && rv->valid && rv->special)
			rowf(L, C_ROOT, 0, 0, "  vCPU %u special root hpa 0x%llx pgd 0x%llx", v,
			     (unsigned long long)rv->hpa, (unsigned long long)rv->pgd);
	}
	/* the top of the tree: roots first, then pages no page points at
	 * (listed once per step by the model) */
	if (m->top) {
		for (size_t k = 0; k < m->ntop; k++) {
			sp_node(L, m->top[k], 0, 0, false);
			if (L->y + L->lh > L->c.y + L->c.h && L->row > L->first + 2000)
				goto out;
		}
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < m->nsps; i++) {
			bool is_root = m->sps[i].root_count > 0, parent = false;

			if (pass == 0 ? !is_root : is_root)
				continue;
			/* a page with a parent is reached through it */
			parent = m->parented && m->parented[i];
			if (!is_root && parent)
				continue;
			sp_node(L, (u32)i, 0, 0, false);
			if (L->y + L->lh > L->c.y + L->c.h && L->row > L->first + 2000)
				goto out;
		}
	}
out:
	panel_end(L);
}

/* ---- the hash ---- */

static const u32 level_col[6] = {0x808080ffu, 0x4f8fe0ffu, 0x56b870ffu,
				 0xd8b24affu, 0xe07b3cffu, 0xb07be0ffu};

static u32 mix_white(u32 c, u32 pct)
{
	u32 out = 0;

	for (int sh = 24; sh >= 8; sh -= 8) {
		u32 ch = (c >> sh) & 0xff;

		ch += (255 - ch) * pct / 100;
		out |= ch << sh;
	}
	return out | 0xff;
}

/* The colour of a bucket: its first page's level (direct pages darker),
 * brighter with more pages; red when one is unsync. */
static u32 bucket_col(const struct viz_model *m, u32 b)
{
	u32 n = m->hash[b], first, c;
	bool unsync = false;

	if (!n)
		return C_EMPTY;
	if (!m->bucket_sp || m->bucket_off[b] == m->bucket_off[b + 1])
		return mix_white(level_col[0], n > 1 ? 30 : 0);
	first = m->bucket_sp[m->bucket_off[b]];
	if (m->indexed)
		unsync = m->bucket_unsync[b];
	else
		for (u32 k = m->bucket_off[b]; k < m->bucket_off[b + 1]; k++)
			unsync |= m->sps[m->bucket_sp[k]].unsync;
	if (unsync)
		return C_UNSYNC;
	c = level_col[m->sps[first].level <= 5 ? m->sps[first].level : 0];
	if (m->sps[first].direct)
		c = ((c >> 1) & 0x7f7f7f00u) | 0xff;
	return mix_white(c, n >= 4 ? 60 : (n - 1) * 20);
}

static void lay_hash(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	u32 used = 0, maxc = 0, total = 0;
	s32 cell, gx, gy, side, legend_y;
	bool beside;
	s32 pick = L->ui->hover_bucket >= 0 ? L->ui->hover_bucket : L->ui->sel_bucket;
	char title[128];

	if (m->indexed) {
		used = m->hash_used;
		total = m->hash_total;
		maxc = m->hash_longest;
	} else {
		for (u32 i = 0; i < SIM_VIEW_HASH_BUCKETS; i++) {
			used += m->hash[i] > 0;
			total += m->hash[i];
			if (m->hash[i] > maxc)
				maxc = m->hash[i];
		}
	}
	snprintf(title, sizeof(title), "shadow-page hash: %u pages in %u/4096 buckets, longest %u",
		 total, used, maxc);
	panel_begin(L, b, VIZ_P_HASH, title);
	{
		/* the legend and the picked bucket's pages: beside the grid (36
		 * columns) or below it (6 rows), whichever leaves the bigger cells */
		s32 cs = (L->c.w - 36 * L->cw) / 64, cb = L->c.w / 64;

		if (L->c.h / 64 < cs)
			cs = L->c.h / 64;
		if ((L->c.h - 6 * L->lh) / 64 < cb)
			cb = (L->c.h - 6 * L->lh) / 64;
		beside = cs >= cb;
		cell = beside ? cs : cb;
		if (cell < 1)
			cell = 1;
	}
	side = cell * 64;
	gx = L->c.x;
	gy = L->c.y;
	viz_fill(L->dl, gx, gy, side, side, C_EMPTY);
	for (u32 i = 0; i < SIM_VIEW_HASH_BUCKETS; i++) {
		if (!m->hash[i])
			continue;
		viz_fill(L->dl, gx + (s32)(i % 64) * cell, gy + (s32)(i / 64) * cell,
			 cell > 2 ? cell - 1 : cell, cell > 2 ? cell - 1 : cell, bucket_col(m, i));
	}
	if (L->ui->sel_bucket >= 0 && L->ui->sel_bucket < 4096)
		viz_rect(L->dl, gx + L->ui->sel_bucket % 64 * cell - 1,
			 gy + L->ui->sel_bucket / 64 * cell - 1, cell + 2, cell + 2, C_PICK);
	if (L->ui->hover_bucket >= 0 && L->ui->hover_bucket < 4096)
		viz_rect(L->dl, gx + L->ui->hover_bucket % 64 * cell - 1,
			 gy + L->ui->hover_bucket / 64 * cell - 1, cell + 2, cell + 2, C_HOVER);
	viz_hit(L->dl, VIZ_HIT_HASH, gx, gy, side, side, (u64)cell);
	/* legend and the picked bucket's pages, right of the grid or below it */
	if (beside) {
		L->c.x = gx + side + L->cw;
		L->c.w -= side + L->cw;
		legend_y = gy;
	} else {
		legend_y = gy + side + 2;
		L->c.h -= legend_y - L->c.y;
		L->c.y = legend_y;
	}
	L->y = legend_y;
	L->row = 0;
	L->first = 0;
	if (row_on(L)) {
		/* a narrow panel cuts the legend: what starts right of the
		 * content box would draw nothing, so it is not emitted */
		s32 x = L->c.x, right = L->c.x + L->c.w;

		for (u8 lv = 1; lv <= 5 && x < right; lv++) {
			viz_fill(L->dl, x, L->y + 2, L->lh - 4, L->lh - 4, level_col[lv]);
			x += L->lh;
			if (x < right)
				viz_textf(L->dl, x, L->y, L->fs, C_DIM, 0, "L%u ", lv);
			x += 3 * L->cw;
		}
		if (x < right)
			viz_fill(L->dl, x, L->y + 2, L->lh - 4, L->lh - 4, C_UNSYNC);
		if (x + L->lh < right)
			viz_text(L->dl, x + L->lh, L->y, L->fs, C_DIM, "unsync", 0);
	}
	row_done(L);
	rowf(L, C_DIM, 0, 0, "brighter: more pages; dark: direct");
	if (pick >= 0 && pick < 4096) {
		u32 pb = (u32)pick;

		rowf(L, C_PICK, 0, 0, "bucket %u (0x%03x): %u page%s", pb, pb, m->hash[pb],
		     m->hash[pb] == 1 ? "" : "s");
		if (m->bucket_sp)
			for (u32 k = m->bucket_off[pb]; k < m->bucket_off[pb + 1]; k++) {
				const struct sim_sp_view *sp = &m->sps[m->bucket_sp[k]];

				rowf(L, sp->unsync ? C_UNSYNC : C_TEXT, 0, L->cw,
				     "L%u gfn 0x%llx role 0x%05x%s%s", sp->level,
				     (unsigned long long)sp->gfn, sp->role,
				     sp->direct ? " direct" : "", sp->unsync ? " UNSYNC" : "");
			}
	} else {
		rowf(L, C_DIM, 0, 0, "hover or click a bucket");
	}
	panel_end(L);
}

/* ---- roots and the root-cache strip ---- */

static void root_row(struct lay *L, const char *what, const struct sim_root_view *r)
{
	if (!r->valid) {
		rowf(L, C_DIM, 0, L->cw, "%-8s (invalid)", what);
		return;
	}
	rowf(L, r->special ? C_EVICT : C_ROOT, 0, L->cw, "%-8s pgd 0x%llx hpa 0x%llx %s0x%05x",
	     what, (unsigned long long)r->pgd, (unsigned long long)r->hpa,
	     r->special ? "special " : "role ", r->role);
}

static void mmu_rows(struct lay *L, const char *name, const struct sim_mmu_view *mv, bool active)
{
	if (!mv->present)
		return;
	rowf(L, active ? C_TITLE : C_TEXT, active ? C_SEL : 0, 0,
	     "%s%s  cpu_role 0x%08x%08x root_role 0x%05x", name, active ? " (active)" : "",
	     mv->cpu_role_ext, mv->cpu_role_base, mv->root_role);
	root_row(L, "current", &mv->current);
	for (int k = 0; k < 3; k++) {
		char w[12];

		snprintf(w, sizeof(w), "prev[%d]", k);
		root_row(L, w, &mv->prev[k]);
	}
}

static void lay_roots(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	const struct sim_vcpu_mmu_view *mv = &m->mmu[L->ui->vcpu];
	s32 strip_h = 3 * 6 + L->lh + 4;
	char title[96];

	snprintf(title, sizeof(title), "roots of vCPU %u (%s)", L->ui->vcpu,
		 mv->tdp ? (mv->tdp_mmu ? "TDP MMU" : "TDP") : "shadow paging");
	panel_begin(L, b, VIZ_P_ROOTS, title);
	L->c.h -= strip_h;
	if (!m->has_mmu) {
		rowf(L, C_DIM, 0, 0, "(no KVM MMU)");
	} else {
		rowf(L, C_TEXT, 0, 0, "root cache: hits %llu  misses %llu  evictions %llu",
		     (unsigned long long)mv->root_cache_hits,
		     (unsigned long long)mv->root_cache_misses,
		     (unsigned long long)mv->root_cache_evictions);
		mmu_rows(L, "root_mmu", &mv->root_mmu, !mv->on_guest_mmu);
		mmu_rows(L, "guest_mmu", &mv->guest_mmu, mv->on_guest_mmu);
	}
	viz_unclip(L->dl);
	/* the strip: one column per step, rows hits / misses / evictions */
	{
		s32 x0 = L->c.x, y0 = L->c.y + L->c.h + 2, w = L->c.w;
		u32 n = m->rec ? m->rec->nsteps : 0;

		viz_text(L->dl, x0, y0, L->fs, C_DIM, "hit/miss/evict per step:", 0);
		y0 += L->lh;
		viz_fill(L->dl, x0, y0, w, 18, C_EMPTY);
		if (n && w > 0) {
			for (s32 px = 0; px < w; px++) {
				u32 s0 = (u32)((u64)px * n / (u64)w);
				u32 s1 = (u32)((u64)(px + 1) * n / (u64)w);
				u32 h = 0, mi = 0, ev = 0;

				if (s1 <= s0)
					s1 = s0 + 1;
				for (u32 s = s0; s < s1 && s < n; s++) {
					h += m->rec->steps[s].rc_hits;
					mi += m->rec->steps[s].rc_misses;
					ev += m->rec->steps[s].rc_evicts;
				}
				if (h)
					viz_fill(L->dl, x0 + px, y0, 1, 6, C_HIT);
				if (mi)
					viz_fill(L->dl, x0 + px, y0 + 6, 1, 6, C_MISS);
				if (ev)
					viz_fill(L->dl, x0 + px, y0 + 12, 1, 6, C_EVICT);
			}
			if (m->step) {
				s32 cx = (s32)((u64)(m->step - 1) * (u64)w / n);

				viz_line(L->dl, x0 + cx, y0 - 2, x0 + cx, y0 + 19, C_HOVER);
			}
			viz_hit(L->dl, VIZ_HIT_STRIP, x0, y0, w, 18, n);
		}
	}
	viz_clip(L->dl, L->c.x, L->c.y, L->c.w, L->c.h);
	panel_end(L);
}

/* ---- TLB and KVM stats ---- */

static void lay_tlb(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	u16 v = L->ui->vcpu;
	size_t lo = m->tlb_off[v], hi = v < m->snap.nvcpus ? m->tlb_off[v + 1] : lo;
	char title[64];

	snprintf(title, sizeof(title), "TLB of vCPU %u: %zu entries", v, hi - lo);
	panel_begin(L, b, VIZ_P_TLB, title);
	for (size_t i = lo; i < hi; i++) {
		const struct tlb_entry *e = &m->tlb[i];

		rowf(L, C_TEXT, 0, 0, "vpid %u pcid %u 0x%llx -> 0x%llx %s %s%s%s", e->vpid,
		     e->pcid, (unsigned long long)e->va, (unsigned long long)e->pa,
		     e->size >= (1ull << 30)   ? "1G"
		     : e->size >= (1ull << 22) ? "4M"
		     : e->size >= (1ull << 21) ? "2M"
					       : "4K",
		     acc_names[e->acc & 7], e->global ? " G" : "", e->dirty ? " D" : "");
	}
	if (hi == lo)
		rowf(L, C_DIM, 0, 0, "(empty)");
	panel_end(L);
}

static void lay_stats(struct lay *L, struct box b)
{
	const struct viz_model *m = L->m;
	u16 v = L->ui->vcpu;

	panel_begin(L, b, VIZ_P_STATS, "KVM stats");
	if (!m->stat_ok[v]) {
		rowf(L, C_DIM, 0, 0, "(no KVM MMU)");
	} else {
		for (u32 i = 0; i < VIZ_NSTATS; i++)
			rowf(L, m->stats[v][i] ? C_TEXT : C_DIM, 0, 0, "%6llu %s",
			     (unsigned long long)m->stats[v][i], viz_stat_names[i]);
	}
	panel_end(L);
}

/* ---- header and key map ---- */

static const char *const keymap[] = {
	"Right/Space step  Left back  R run/pause  N next event  K event kind  G+digits+Enter go "
	"to  "
	"Home/End",
	"+/- zoom  wheel/Shift+arrows scroll  click: expand tree node, pick bucket, jump to step  "
	"V vCPU  1-9 panels  Q quit",
};

static void lay_header(struct lay *L, s32 h)
{
	const struct viz_model *m = L->m;
	const struct viz_ui *ui = L->ui;
	char buf[512];

	viz_fill(L->dl, 0, 0, ui->w, h, C_PANEL);
	snprintf(buf, sizeof(buf), "mmuscope  %s  step %u/%u  vCPU %u  zoom %u%%  next: %s%s%s%s%s",
		 m->scn && m->scn->name ? m->scn->name : "(no scenario)", m->step, m->nsteps,
		 ui->vcpu, ui->zoom, viz_evk_name((enum viz_evk)ui->next_kind),
		 ui->running ? "  RUNNING" : "", ui->goto_active ? "  go to step: " : "",
		 ui->goto_active ? ui->goto_buf : "", ui->goto_active ? "_" : "");
	viz_text(L->dl, 6, 2, L->fs, C_TITLE, buf, chars_in(L, ui->w - 12));
	if (ui->status[0])
		viz_text(L->dl, ui->w - 6 - (s32)strlen(ui->status) * L->cw, 2, L->fs, C_DIM,
			 ui->status, 0);
}

void viz_layout(const struct viz_model *m, const struct viz_ui *ui, struct viz_dl *dl)
{
	struct lay L = {.m = m, .ui = ui, .dl = dl};
	s32 hdr, foot, body_y, body_h, ax, aw, bx, bw, cx, cw, y;

	viz_dl_reset(dl);
	L.fs = viz_ui_font(ui);
	L.cw = viz_char_w(L.fs);
	L.lh = viz_line_h(L.fs);
	viz_fill(dl, 0, 0, ui->w, ui->h, C_BG);
	hdr = L.lh + 4;
	foot = shown(&L, VIZ_P_KEYS) ? 2 * L.lh + 4 : 0;
	lay_header(&L, hdr);
	if (foot) {
		viz_fill(dl, 0, ui->h - foot, ui->w, foot, C_PANEL);
		for (int i = 0; i < 2; i++)
			viz_text(dl, 6, ui->h - foot + 2 + i * L.lh, L.fs, C_DIM, keymap[i],
				 chars_in(&L, ui->w - 12));
	}
	body_y = hdr + 2;
	body_h = ui->h - hdr - foot - 4;
	if (body_h < 4 * L.lh || ui->w < 40 * L.cw)
		return;
	aw = ui->w * 28 / 100;
	bw = ui->w * 36 / 100;
	ax = 2;
	bx = ax + aw + 2;
	cx = bx + bw + 2;
	cw = ui->w - cx - 2;
	aw -= 2;
	bw -= 2;

	/* column A: CPU, steps, events */
	y = body_y;
	{
		s32 rows = 6 * (m->snap.nvcpus ? m->snap.nvcpus : 1) + 1;
		s32 hc = (rows + 1) * L.lh + 6, hs;

		if (hc > body_h * 40 / 100)
			hc = body_h * 40 / 100;
		if (!shown(&L, VIZ_P_CPU))
			hc = 0;
		hs = (body_h - hc) * 55 / 100;
		if (!shown(&L, VIZ_P_EVENTS))
			hs = body_h - hc;
		if (!shown(&L, VIZ_P_STEPS))
			hs = 0;
		if (hc)
			lay_cpu(&L, (struct box){ax, y, aw, hc - 2});
		y += hc;
		if (hs)
			lay_steps(&L, (struct box){ax, y, aw, hs - 2});
		y += hs;
		if (shown(&L, VIZ_P_EVENTS) && body_y + body_h - y > L.lh * 3)
			lay_events(&L, (struct box){ax, y, aw, body_y + body_h - y});
	}
	/* column B: guest tree, shadow tree */
	{
		bool g = shown(&L, VIZ_P_GPT), sp = shown(&L, VIZ_P_SPT);
		s32 hg = g && sp ? body_h * 45 / 100 : g ? body_h : 0;

		if (g)
			lay_gpt(&L, (struct box){bx, body_y, bw, hg - (sp ? 2 : 0)});
		if (sp)
			lay_spt(&L, (struct box){bx, body_y + hg, bw, body_h - hg});
	}
	/* column C: hash, roots, TLB | stats */
	y = body_y;
	if (shown(&L, VIZ_P_HASH)) {
		s32 hh = body_h * 46 / 100;

		lay_hash(&L, (struct box){cx, y, cw, hh - 2});
		y += hh;
	}
	if (shown(&L, VIZ_P_ROOTS)) {
		s32 hr = 11 * L.lh + 3 * 6 + 12;

		if (hr > (body_y + body_h - y) / 2)
			hr = (body_y + body_h - y) / 2;
		lay_roots(&L, (struct box){cx, y, cw, hr - 2});
		y += hr;
	}
	if (body_y + body_h - y > 3 * L.lh) {
		bool t = shown(&L, VIZ_P_TLB), st = shown(&L, VIZ_P_STATS);
		s32 tw = t && st ? cw * 50 / 100 : t ? cw : 0, hrest = body_y + body_h - y;

		if (t)
			lay_tlb(&L, (struct box){cx, y, tw - (st ? 2 : 0), hrest});
		if (st)
			lay_stats(&L, (struct box){cx + tw, y, cw - tw, hrest});
	}
}
