/* SPDX-License-Identifier: MIT */
/*
 * The layout stage (viz/layout.c): draw lists of real scenarios against goldens
 * (tests/golden/viz/, MSC_REGEN_GOLDEN=1 rewrites them), UI changes on a
 * hand-built model, and exactness of stepping back through the timeline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MSC_HAVE_VIZ
#include "viz/layout.h"
#include "viz/session.h"

#define SCN(p) MSC_SOURCE_DIR "/scenarios/" p

static char *dl_text(const struct viz_dl *dl)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(viz_dl_write(dl, f), 0);
	fclose(f);
	return text;
}

static char *layout_at(struct viz_session *vs, u32 step, const struct viz_ui *ui)
{
	struct scn_error err;
	struct viz_dl dl;
	char *t;

	assert_int_equal(viz_session_seek(vs, step, &err), 0);
	assert_int_equal(viz_session_step(vs), step < vs->last ? step : vs->last);
	viz_dl_init(&dl);
	viz_layout(&vs->model, ui, &dl);
	assert_false(dl.oom);
	t = dl_text(&dl);
	viz_dl_free(&dl);
	return t;
}

static struct viz_session *open_scn(const char *path)
{
	struct viz_session *vs = NULL;
	struct scn_error err;

	if (viz_session_open(&vs, path, &err))
		fail_msg("%s: %s", path, err.msg);
	return vs;
}

static void check_golden(const char *name, const char *got)
{
	char path[512];
	FILE *f;
	char *want;
	long len;

	snprintf(path, sizeof(path), MSC_SOURCE_DIR "/tests/golden/viz/%s.txt", name);
	if (getenv("MSC_REGEN_GOLDEN") && !strcmp(getenv("MSC_REGEN_GOLDEN"), "1")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		print_message("rewrote %s\n", path);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("missing %s (MSC_REGEN_GOLDEN=1 creates it)", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)len + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	if (strcmp(want, got)) {
		/* the first differing line, want and got */
		const char *a = want, *b = got;
		int line = 1;

		while (*a && *a == *b) {
			if (*a == '\n')
				line++;
			a++;
			b++;
		}
		fail_msg("%s differs at line %d:\n want: %.120s\n  got: %.120s", path, line, a, b);
	}
	free(want);
}

static void golden_case(const char *scn, u32 step, const char *name, void (*tweak)(struct viz_ui *))
{
	struct viz_session *vs = open_scn(scn);
	struct viz_ui ui;
	char *t;

	viz_ui_init(&ui, 1280, 800);
	if (tweak)
		tweak(&ui);
	t = layout_at(vs, step, &ui);
	check_golden(name, t);
	free(t);
	viz_session_destroy(vs);
}

static void test_unsync_step16_matches_golden(void **state)
{
	(void)state;
	golden_case(SCN("mmu/06-unsync-sync.json"), 16, "06-unsync-sync-s16", NULL);
}

static void test_paging_4level_step5_matches_golden(void **state)
{
	(void)state;
	golden_case(SCN("teaching/04-paging-4level.json"), 5, "teaching-04-s5", NULL);
}

static void pick_bucket(struct viz_ui *ui)
{
	ui->sel_bucket = 0x102;
	ui->zoom = 120;
}

static void test_cr3_root_cache_end_matches_golden(void **state)
{
	(void)state;
	golden_case(SCN("mmu/01-cr3-root-cache.json"), 1000000, "01-cr3-root-cache-end", NULL);
}

static void test_tdp_mmu_roots_bucket_zoom_matches_golden(void **state)
{
	(void)state;
	golden_case(SCN("mmu/13-tdp-mmu-roots.json"), 12, "13-tdp-mmu-roots-s12-zoom", pick_bucket);
}

/* ---- UI state on a hand-built model ---- */

static void hand_model(struct viz_model *m)
{
	static const struct {
		u64 hpa, gfn;
		u8 level;
		u32 bucket;
		bool unsync;
	} sp[] = {
		{0x1000, 0x1, 4, 1, false},
		{0x2000, 0x100, 3, 0x100, false},
		{0x3000, 0x101, 2, 0x101, false},
		{0x4000, 0x102, 1, 0x102, true},
	};

	viz_model_init(m);
	m->nsps = MSC_ARRAY_SIZE(sp);
	m->sps = calloc(m->nsps, sizeof(*m->sps));
	m->child_off = calloc(m->nsps + 1, sizeof(u32));
	m->child = calloc(3, sizeof(u32));
	m->child_slot = calloc(3, sizeof(u16));
	assert_non_null(m->sps);
	for (size_t i = 0; i < m->nsps; i++) {
		m->sps[i].hpa = sp[i].hpa;
		m->sps[i].gfn = sp[i].gfn;
		m->sps[i].level = sp[i].level;
		m->sps[i].role = sp[i].level | 0x700;
		m->sps[i].bucket = sp[i].bucket;
		m->sps[i].unsync = sp[i].unsync;
		m->sps[i].serial = (u32)i;
		/* a chain: 0 -> 1 -> 2 -> 3 */
		m->child_off[i] = i ? (u32)i - 1 : 0;
		if (i)
			m->child[i - 1] = (u32)i;
	}
	m->child_off[1] = 1;
	m->child_off[2] = 2;
	m->child_off[3] = 3;
	m->child_off[4] = 3;
	m->child_off[0] = 0;
	m->nchild = 3;
	m->sps[0].root_count = 1;
	m->has_mmu = true;
	m->stat_ok[0] = true;
	m->snap.nvcpus = 1;
	m->mmu[0].root_mmu.present = true;
	m->mmu[0].root_mmu.current =
		(struct sim_root_view){.valid = true, .pgd = 0x1000, .hpa = 0x1000, .role = 0x704};
	assert_int_equal(viz_model_index(m), 0);
}

static size_t count_text(const struct viz_dl *dl, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < dl->n; i++) {
		const struct viz_item *it = &dl->items[i];

		if (it->kind == VIZ_TEXT &&
		    memmem(dl->text + it->text, it->len, needle, strlen(needle)))
			n++;
	}
	return n;
}

static void test_expanding_sp_shows_its_children(void **state)
{
	struct viz_model m;
	struct viz_ui ui;
	struct viz_dl dl;

	(void)state;
	hand_model(&m);
	viz_ui_init(&ui, 1280, 800);
	viz_dl_init(&dl);
	viz_layout(&m, &ui, &dl);
	/* the root is open by default: its child (gfn 0x100) shows, the grandchild not */
	assert_int_equal(count_text(&dl, "gfn 0x1 hpa 0x1000"), 1);
	assert_int_equal(count_text(&dl, "gfn 0x100 hpa"), 1);
	assert_int_equal(count_text(&dl, "gfn 0x101 hpa"), 0);
	assert_true(viz_ui_toggle(ui.sp_toggle, &ui.nsp, 0x2000));
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "gfn 0x101 hpa"), 1);
	assert_int_equal(count_text(&dl, "gfn 0x102 hpa"), 0);
	/* collapsing the root hides everything below it */
	assert_true(viz_ui_toggle(ui.sp_toggle, &ui.nsp, 0x1000));
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "gfn 0x100 hpa"), 0);
	viz_dl_free(&dl);
	viz_model_free(&m);
}

static void test_hover_bucket_lists_its_pages_and_outlines_it(void **state)
{
	struct viz_model m;
	struct viz_ui ui;
	struct viz_dl dl;
	const struct viz_item *grid = NULL;
	bool outline = false;

	(void)state;
	hand_model(&m);
	viz_ui_init(&ui, 1280, 800);
	viz_dl_init(&dl);
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "bucket 258"), 0);
	assert_int_equal(count_text(&dl, "4/4096 buckets"), 1);
	ui.hover_bucket = 0x102;
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "bucket 258 (0x102): 1 page"), 1);
	assert_int_equal(count_text(&dl, "L1 gfn 0x102 role 0x00701 UNSYNC"), 1);
	for (size_t i = 0; i < dl.n; i++)
		if (dl.items[i].kind == VIZ_HIT && dl.items[i].hit == VIZ_HIT_HASH)
			grid = &dl.items[i];
	assert_non_null(grid);
	/* the hover outline sits on the bucket's cell: row 4, column 2 */
	for (size_t i = 0; i < dl.n; i++) {
		const struct viz_item *it = &dl.items[i];
		s32 cell = (s32)grid->arg;

		if (it->kind == VIZ_RECT && it->rgba == 0xffffffffu &&
		    it->x == grid->x + 2 * cell - 1 && it->y == grid->y + 4 * cell - 1)
			outline = true;
	}
	assert_true(outline);
	/* and the hit test maps that cell back to a hash hit */
	assert_ptr_equal(
		viz_dl_hit_at(&dl, grid->x + 2 * (s32)grid->arg, grid->y + 4 * (s32)grid->arg),
		grid);
	viz_dl_free(&dl);
	viz_model_free(&m);
}

static void test_zoom_scales_text(void **state)
{
	struct viz_model m;
	struct viz_ui ui;
	struct viz_dl dl;
	u8 sizes[2] = {0, 0};

	(void)state;
	hand_model(&m);
	viz_ui_init(&ui, 1280, 800);
	viz_dl_init(&dl);
	for (int k = 0; k < 2; k++) {
		ui.zoom = k ? 150 : 100;
		viz_layout(&m, &ui, &dl);
		for (size_t i = 0; i < dl.n; i++)
			if (dl.items[i].kind == VIZ_TEXT)
				sizes[k] = dl.items[i].size;
	}
	assert_int_equal(sizes[0], 12);
	assert_int_equal(sizes[1], 18);
	viz_dl_free(&dl);
	viz_model_free(&m);
}

static void test_hidden_panel_draws_nothing_of_it(void **state)
{
	struct viz_model m;
	struct viz_ui ui;
	struct viz_dl dl;

	(void)state;
	hand_model(&m);
	viz_ui_init(&ui, 1280, 800);
	viz_dl_init(&dl);
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "KVM stats"), 1);
	ui.panels &= ~(1u << VIZ_P_STATS);
	viz_layout(&m, &ui, &dl);
	assert_int_equal(count_text(&dl, "KVM stats"), 0);
	viz_dl_free(&dl);
	viz_model_free(&m);
}

/* ---- exactness: forward, back from the end, fresh ---- */

static void exact_case(const char *scn, u32 n)
{
	struct viz_session *a = open_scn(scn), *b = open_scn(scn);
	struct viz_ui ui;
	char *fwd = NULL, *back, *fresh;

	viz_ui_init(&ui, 1280, 800);
	for (u32 s = 0; s <= n; s++) {
		free(fwd);
		fwd = layout_at(a, s, &ui);
	}
	free(layout_at(a, a->last, &ui));
	back = layout_at(a, n, &ui);
	fresh = layout_at(b, n, &ui);
	assert_string_equal(fwd, fresh);
	assert_string_equal(back, fresh);
	free(fwd);
	free(back);
	free(fresh);
	viz_session_destroy(a);
	viz_session_destroy(b);
}

static void test_step_back_equals_forward_and_fresh_unsync(void **state)
{
	(void)state;
	exact_case(SCN("mmu/06-unsync-sync.json"), 13);
}

static void test_step_back_equals_forward_and_fresh_nested(void **state)
{
	(void)state;
	exact_case(SCN("mmu/16-nested-ept.json"), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unsync_step16_matches_golden),
		cmocka_unit_test(test_paging_4level_step5_matches_golden),
		cmocka_unit_test(test_cr3_root_cache_end_matches_golden),
		cmocka_unit_test(test_tdp_mmu_roots_bucket_zoom_matches_golden),
		cmocka_unit_test(test_expanding_sp_shows_its_children),
		cmocka_unit_test(test_hover_bucket_lists_its_pages_and_outlines_it),
		cmocka_unit_test(test_zoom_scales_text),
		cmocka_unit_test(test_hidden_panel_draws_nothing_of_it),
		cmocka_unit_test(test_step_back_equals_forward_and_fresh_unsync),
		cmocka_unit_test(test_step_back_equals_forward_and_fresh_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void)
{
	puts("test_viz_layout: built without viz/ (viz/viz.cmake not included): skipped");
	return 77;
}
#endif
