/* SPDX-License-Identifier: MIT */
/*
 * The software renderer (viz/render.c): pixels of fixed draw lists and of a
 * real scenario frame, hashed (FNV-1a 64 of the RGBA bytes) against
 * tests/golden/viz/render-hashes.txt (MSC_REGEN_GOLDEN=1 rewrites it); the PNG
 * written and read back equals the surface.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MSC_HAVE_VIZ
#include "cpu/err.h"
#include "viz/render.h"
#include "viz/session.h"

#define GOLDEN MSC_SOURCE_DIR "/tests/golden/viz/render-hashes.txt"

static bool regen(void)
{
	const char *r = getenv("MSC_REGEN_GOLDEN");

	return r && !strcmp(r, "1");
}

/* Compare @got with the golden hash named @name (or record it). */
static void check_hash(const char *name, u64 got)
{
	char line[128], want_name[64];
	unsigned long long want;
	FILE *f;

	if (regen()) {
		f = fopen(GOLDEN, "a");
		assert_non_null(f);
		fprintf(f, "%s %016llx\n", name, (unsigned long long)got);
		fclose(f);
		return;
	}
	f = fopen(GOLDEN, "r");
	if (!f)
		fail_msg("missing %s (MSC_REGEN_GOLDEN=1 creates it)", GOLDEN);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llx", want_name, &want) == 2 && !strcmp(want_name, name)) {
			fclose(f);
			if (want != got)
				fail_msg("%s: pixel hash want %016llx got %016llx", name, want,
					 (unsigned long long)got);
			return;
		}
	}
	fclose(f);
	fail_msg("%s: no golden hash in %s", name, GOLDEN);
}

static struct viz_render *mk(s32 w, s32 h)
{
	struct viz_render *vr = NULL;
	char why[256];

	if (viz_render_create(&vr, w, h, why, sizeof(why)))
		fail_msg("%s", why);
	return vr;
}

static int setup_regen(void **state)
{
	(void)state;
	if (regen())
		unlink(GOLDEN);
	return 0;
}

static void test_shapes_pixels_match_golden_hash(void **state)
{
	struct viz_render *vr = mk(64, 48);
	struct viz_dl dl;
	const u8 *px;
	s32 w, h, pitch;

	(void)state;
	viz_dl_init(&dl);
	viz_fill(&dl, 0, 0, 64, 48, 0x102030ffu);
	viz_fill(&dl, 4, 4, 10, 10, 0xff0000ffu);
	viz_rect(&dl, 20, 4, 10, 10, 0x00ff00ffu);
	viz_line(&dl, 0, 47, 63, 20, 0xffffffffu);
	viz_clip(&dl, 40, 0, 8, 8);
	viz_fill(&dl, 36, 0, 20, 20, 0x0000ffffu); /* clipped to 8x8 */
	viz_unclip(&dl);
	assert_int_equal(viz_render_draw(vr, &dl), 0);
	assert_true(viz_render_pixels(vr, &px, &w, &h, &pitch));
	/* exact pixels where the shapes are unambiguous */
	assert_memory_equal(px + 5 * pitch + 5 * 4, ((u8[]){0xff, 0, 0, 0xff}), 4);
	assert_memory_equal(px + 4 * pitch + 25 * 4, ((u8[]){0, 0xff, 0, 0xff}), 4);
	assert_memory_equal(px + 8 * pitch + 25 * 4, ((u8[]){0x10, 0x20, 0x30, 0xff}), 4);
	assert_memory_equal(px + 7 * pitch + 47 * 4, ((u8[]){0, 0, 0xff, 0xff}), 4);
	assert_memory_equal(px + 8 * pitch + 47 * 4, ((u8[]){0x10, 0x20, 0x30, 0xff}), 4);
	assert_memory_equal(px + 0 * pitch + 39 * 4, ((u8[]){0x10, 0x20, 0x30, 0xff}), 4);
	check_hash("shapes", viz_render_hash(vr));
	viz_dl_free(&dl);
	viz_render_destroy(vr);
}

static void test_text_pixels_match_golden_hash_and_use_the_glyph_cache(void **state)
{
	struct viz_render *vr = mk(200, 40);
	struct viz_dl dl;
	u64 h1;

	(void)state;
	viz_dl_init(&dl);
	viz_fill(&dl, 0, 0, 200, 40, 0x000000ffu);
	viz_text(&dl, 2, 2, 12, 0xd8dee9ffu, "CR0 PE|PG 0x80000011", 0);
	viz_text(&dl, 2, 20, 16, 0xf0c674ffu, "aaaa", 0);
	assert_int_equal(viz_render_draw(vr, &dl), 0);
	h1 = viz_render_hash(vr);
	/* distinct glyphs: C R 0 P E | G x 8 1 at 12 px (space is skipped), a at 16 */
	assert_int_equal(viz_render_glyphs(vr), 11);
	assert_int_equal(viz_render_draw(vr, &dl), 0);
	assert_int_equal(viz_render_hash(vr), h1);
	assert_int_equal(viz_render_glyphs(vr), 11);
	check_hash("text", h1);
	viz_dl_free(&dl);
	viz_render_destroy(vr);
}

static void test_scenario_frame_matches_golden_hash_and_png_round_trips(void **state)
{
	struct viz_session *vs = NULL;
	struct scn_error err;
	struct viz_render *vr = mk(1280, 800);
	struct viz_ui ui;
	struct viz_dl dl;
	char path[] = "/tmp/test_viz_render.XXXXXX";
	const u8 *px;
	u8 *back = NULL;
	s32 w, h, pitch, bw = 0, bh = 0;
	int fd;

	(void)state;
	if (viz_session_open(&vs, MSC_SOURCE_DIR "/scenarios/mmu/06-unsync-sync.json", &err))
		fail_msg("%s", err.msg);
	assert_int_equal(viz_session_seek(vs, 16, &err), 0);
	viz_ui_init(&ui, 1280, 800);
	viz_dl_init(&dl);
	viz_layout(&vs->model, &ui, &dl);
	assert_int_equal(viz_render_draw(vr, &dl), 0);
	check_hash("06-unsync-sync-s16", viz_render_hash(vr));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(viz_render_save_png(vr, path, NULL, 0), 0);
	assert_int_equal(viz_png_read(path, &back, &bw, &bh), 0);
	unlink(path);
	assert_true(viz_render_pixels(vr, &px, &w, &h, &pitch));
	assert_int_equal(bw, w);
	assert_int_equal(bh, h);
	for (s32 y = 0; y < h; y++)
		if (memcmp(back + (size_t)y * (size_t)w * 4, px + (size_t)y * (size_t)pitch,
			   (size_t)w * 4))
			fail_msg("PNG row %d differs from the surface", y);
	free(back);
	viz_dl_free(&dl);
	viz_render_destroy(vr);
	viz_session_destroy(vs);
}

static void test_missing_font_is_a_clear_error(void **state)
{
	struct viz_render *vr = NULL;
	char why[256] = "";
	char *old = getenv("MMUSCOPE_FONT") ? strdup(getenv("MMUSCOPE_FONT")) : NULL;

	(void)state;
	setenv("MMUSCOPE_FONT", "/nonexistent/font.ttf", 1);
	assert_int_equal(viz_render_create(&vr, 100, 100, why, sizeof(why)), MSC_ENOENT);
	assert_null(vr);
	assert_non_null(strstr(why, "/nonexistent/font.ttf not found"));
	if (old)
		setenv("MMUSCOPE_FONT", old, 1);
	else
		unsetenv("MMUSCOPE_FONT");
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes_pixels_match_golden_hash),
		cmocka_unit_test(test_text_pixels_match_golden_hash_and_use_the_glyph_cache),
		cmocka_unit_test(test_scenario_frame_matches_golden_hash_and_png_round_trips),
		cmocka_unit_test(test_missing_font_is_a_clear_error),
	};
	char why[256];

	if (!viz_font_path(why, sizeof(why))) {
		printf("test_viz_render: %s: skipped\n", why);
		return 77;
	}
	return cmocka_run_group_tests(tests, setup_regen, NULL);
}
#else
int main(void)
{
	puts("test_viz_render: built without viz/ (viz/viz.cmake not included): skipped");
	return 77;
}
#endif
