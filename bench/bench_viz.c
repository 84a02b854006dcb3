/* SPDX-License-Identifier: MIT */
/*
 * bench_viz: frame time of the GUI (layout + software render of a 1600x1000
 * frame) with a full 4096-bucket hash and 100,000 shadow pages (a synthetic
 * model: a 4-level tree, 512 children per page, every bucket occupied), and
 * of a real scenario's last step. Baseline in the same run: an empty frame.
 * Goal: median < 16 ms. Before timing, the fast paths of viz/render.c are
 * checked against its reference mode (SDL glyph by glyph, every fill
 * blended) on both frames, a small scrolled one and a list of tricky items:
 * any pixel that differs makes the program exit 1.
 * --reference times the reference mode instead (the renderer before the fast
 * paths), for a before/after in the same conditions.
 *   bench_viz [--smoke] [--frames N] [--scenario FILE] [--reference]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef MSC_HAVE_VIZ
#include "viz/layout.h"
#include "viz/render.h"
#include "viz/session.h"

#define NSPS 100000u
#define FW 1600
#define FH 1000
#define SCENARIO MSC_SOURCE_DIR "/scenarios/mmu/08-page-budget.json"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* SP 0 is the root (level 4); SP i's parent is (i - 1) / 512: levels 3, 2, 1. */
static int build(struct viz_model *m, u32 nsps)
{
	viz_model_init(m);
	m->sps = calloc(nsps, sizeof(*m->sps));
	m->child_off = calloc(nsps + 1, sizeof(u32));
	m->child = calloc(nsps, sizeof(u32));
	m->child_slot = calloc(nsps, sizeof(u16));
	if (!m->sps || !m->child_off || !m->child || !m->child_slot)
		return -1;
	m->nsps = nsps;
	for (u32 i = 0; i < nsps; i++) {
		struct sim_sp_view *sp = &m->sps[i];
		u8 level = i == 0 ? 4 : i <= 512 ? 3 : i <= 512 + 512 * 512 ? 2 : 1;

		sp->hpa = 0x100000ull + (u64)i * 4096;
		sp->gfn = (u64)i * 7 + 1;
		sp->level = level;
		sp->role = level | 0x700u;
		sp->bucket = i % SIM_VIEW_HASH_BUCKETS; /* every bucket used */
		sp->serial = i;
		sp->unsync = level == 1 && i % 97 == 0;
		sp->root_count = i == 0;
	}
	/* children of i: 512 * i + 1 .. 512 * i + 512 */
	for (u32 i = 0, k = 0; i < nsps; i++) {
		m->child_off[i] = k;
		for (u32 c = 512 * i + 1; c <= 512 * i + 512 && c < nsps && i < nsps / 512 + 1;
		     c++) {
			m->child[k] = c;
			m->child_slot[k] = (u16)(c - 512 * i - 1);
			k++;
		}
		m->child_off[i + 1] = k;
	}
	m->nchild = m->child_off[nsps];
	m->has_mmu = true;
	m->snap.nvcpus = 1;
	m->stat_ok[0] = true;
	m->mmu[0].root_mmu.present = true;
	m->mmu[0].root_mmu.current = (struct sim_root_view){
		.valid = true, .pgd = 0x1000, .hpa = 0x100000, .role = 0x704};
	return viz_model_index(m);
}

/* Medians and maxima of one series of frames, in ms. */
struct times {
	double lay_med, lay_max, ren_med, ren_max, all_med, all_max;
};

static void summarise(double *v, int n, double *med, double *max)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*max = v[n - 1];
}

/*
 * @n frames: layout (or, @empty, an emptied list) then render. The hovered
 * bucket moves every frame (a moving mouse), so no two layouts are the same.
 */
static int frames(struct viz_render *vr, const struct viz_model *m, struct viz_ui *ui,
		  struct viz_dl *dl, int n, bool empty, struct times *out)
{
	double *v = calloc((size_t)n * 3, sizeof(double));
	double *tl = v, *tr = v + n, *ta = v + 2 * n;

	if (!v)
		return -1;
	for (int f = 0; f < n; f++) {
		double t0 = now_ms(), t1;

		ui->hover_bucket = f % 4096;
		if (empty)
			viz_dl_reset(dl);
		else
			viz_layout(m, ui, dl);
		t1 = now_ms();
		if (viz_render_draw(vr, dl)) {
			free(v);
			return -1;
		}
		tr[f] = now_ms() - t1;
		tl[f] = t1 - t0;
		ta[f] = tl[f] + tr[f];
	}
	summarise(tl, n, &out->lay_med, &out->lay_max);
	summarise(tr, n, &out->ren_med, &out->ren_max);
	summarise(ta, n, &out->all_med, &out->all_max);
	free(v);
	return 0;
}

/* Render @dl in reference mode and with the fast paths; 0 when every pixel
 * is the same, else -1 (and says where). */
static int same_pixels(struct viz_render *vr, const struct viz_dl *dl, const char *what)
{
	const u8 *px;
	s32 w, h, pitch;
	u64 ref, fast;
	u8 *copy;
	int ret = 0;

	viz_render_set_reference(vr, true);
	if (viz_render_draw(vr, dl) || !viz_render_pixels(vr, &px, &w, &h, &pitch))
		return -1;
	ref = viz_render_hash(vr);
	copy = malloc((size_t)pitch * (size_t)h);
	if (!copy)
		return -1;
	memcpy(copy, px, (size_t)pitch * (size_t)h);
	viz_render_set_reference(vr, false);
	/* twice: built (cache miss), then drawn from the run cache */
	for (int pass = 0; pass < 2 && !ret; pass++) {
		if (viz_render_draw(vr, dl))
			ret = -1;
		fast = viz_render_hash(vr);
		if (!ret && fast != ref) {
			for (s32 y = 0; y < h; y++)
				for (s32 x = 0; x < w; x++)
					if (memcmp(px + (size_t)y * (size_t)pitch + (size_t)x * 4,
						   copy + (size_t)y * (size_t)pitch + (size_t)x * 4,
						   4)) {
						fprintf(stderr,
							"bench_viz: %s: pass %d: fast path differs "
							"from the reference at (%d,%d) (hash "
							"%016llx, "
							"want %016llx)\n",
							what, pass, x, y, (unsigned long long)fast,
							(unsigned long long)ref);
						y = h;
						break;
					}
			ret = -1;
		}
	}
	free(copy);
	return ret;
}

/*
 * Items the real frames rarely have: translucent fills and text, text in
 * clips that cut it (wholly and partly), overlapping runs, every printable
 * character at several sizes, text over translucent fills.
 */
static void tricky_list(struct viz_dl *dl)
{
	char all[96];
	u8 sizes[] = {6, 9, 12, 17, 24, 36};

	for (int c = 0; c < 95; c++)
		all[c] = (char)(0x20 + c);
	all[95] = 0;
	viz_dl_reset(dl);
	viz_fill(dl, 0, 0, 640, 400, 0x202428ffu);
	viz_fill(dl, 10, 10, 300, 100, 0xff000080u);
	viz_fill(dl, 100, 50, 300, 100, 0x00ff0040u);
	for (u32 i = 0; i < MSC_ARRAY_SIZE(sizes); i++)
		viz_text(dl, 2, 2 + 40 * (s32)i, sizes[i], i % 2 ? 0xf0c67480u : 0xd8dee9ffu, all,
			 0);
	viz_text(dl, 5, 20, 12, 0xffffffc0u, "WWWWmmmm@@@@####", 0);
	viz_text(dl, 8, 22, 12, 0x8ab4f8ffu, "overlapping run", 0); /* over the last */
	viz_clip(dl, 50, 300, 80, 9); /* cuts the runs below */
	viz_text(dl, 20, 296, 14, 0xffffffffu, "clipped text, partly", 0);
	viz_fill(dl, 40, 290, 200, 30, 0x3a3f4bffu);
	viz_text(dl, 400, 350, 14, 0xffffffffu, "wholly outside the clip", 0);
	viz_unclip(dl);
	viz_clip(dl, 300, 200, 0, 0); /* empty clip: nothing shows */
	viz_fill(dl, 0, 0, 640, 400, 0xffffffffu);
	viz_text(dl, 300, 200, 12, 0xffffffffu, "hidden", 0);
	viz_unclip(dl);
	viz_text(dl, 600, 380, 24, 0xffffffffu, "off the edge", 0);
	viz_fill(dl, -20, -20, 40, 40, 0x98c379ffu);
	viz_text(dl, 200, 380, 12, 0xffffffffu, "   ", 0);
}

static void print(const char *what, const struct times *t)
{
	printf("  %-28s median %6.2f ms  max %6.2f ms\n", what, t->all_med, t->all_max);
	printf("    of which layout            median %6.2f ms  max %6.2f ms\n", t->lay_med,
	       t->lay_max);
	printf("    of which render            median %6.2f ms  max %6.2f ms\n", t->ren_med,
	       t->ren_max);
}

int main(int argc, char **argv)
{
	bool smoke = false, reference = false;
	int n = 60;
	const char *scn_path = SCENARIO;
	struct viz_model m;
	struct viz_render *vr = NULL, *vr_small = NULL;
	struct viz_session *vs = NULL;
	struct scn_error err;
	struct viz_render_stats st;
	struct viz_ui ui;
	struct viz_dl dl;
	struct times base, full, scn;
	double t0, build_ms;
	char why[256];
	size_t full_items;
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			smoke = true;
			n = 5;
		} else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			n = atoi(argv[++i]) > 0 ? atoi(argv[i]) : n;
		} else if (!strcmp(argv[i], "--reference")) {
			reference = true;
		} else if (!strcmp(argv[i], "--scenario") && i + 1 < argc) {
			scn_path = argv[++i];
		} else {
			fprintf(stderr, "usage: bench_viz [--smoke] [--frames N] [--scenario FILE] "
					"[--reference]\n");
			return 2;
		}
	}
	if (!viz_font_path(why, sizeof(why))) {
		printf("bench_viz: %s: skipped\n", why);
		return 77;
	}
	viz_dl_init(&dl);
	t0 = now_ms();
	if (build(&m, NSPS)) {
		fprintf(stderr, "bench_viz: out of memory\n");
		return 1;
	}
	build_ms = now_ms() - t0;
	if (viz_session_open(&vs, scn_path, &err) || viz_session_seek(vs, vs->last, &err)) {
		fprintf(stderr, "bench_viz: %s\n", err.msg);
		goto out;
	}
	if (viz_render_create(&vr, FW, FH, why, sizeof(why)) ||
	    viz_render_create(&vr_small, 640, 400, why, sizeof(why))) {
		fprintf(stderr, "bench_viz: %s\n", why);
		goto out;
	}
	viz_ui_init(&ui, FW, FH);

	/* the fast paths must not change a pixel */
	tricky_list(&dl);
	if (same_pixels(vr_small, &dl, "translucent/clipped items"))
		goto out;
	viz_layout(&m, &ui, &dl);
	if (same_pixels(vr, &dl, "100,000 shadow pages"))
		goto out;
	viz_layout(&vs->model, &ui, &dl);
	if (same_pixels(vr, &dl, scn_path))
		goto out;
	{
		/* small and scrolled: clipped rows, the hash legend cut */
		struct viz_ui su;

		viz_ui_init(&su, 640, 400);
		for (int p = 0; p < VIZ_P_COUNT; p++)
			su.scroll[p] = 3;
		su.hover_bucket = 77;
		viz_layout(&m, &su, &dl);
		if (same_pixels(vr_small, &dl, "100,000 shadow pages at 640x400, scrolled"))
			goto out;
	}

	/* warm the caches, then measure */
	viz_render_set_reference(vr, reference);
	viz_layout(&m, &ui, &dl);
	if (viz_render_draw(vr, &dl) || frames(vr, &m, &ui, &dl, n, true, &base) ||
	    frames(vr, &m, &ui, &dl, n, false, &full))
		goto fail;
	full_items = dl.n;
	ui.hover_bucket = -1;
	if (frames(vr, &vs->model, &ui, &dl, n, false, &scn))
		goto fail;
	viz_render_get_stats(vr, &st);

	printf("bench_viz: 1600x1000 frames, %d of each, %s; pixels of the fast paths "
	       "checked against the reference renderer: identical\n",
	       n, reference ? "REFERENCE renderer (no fast paths)" : "fast paths");
	printf("  synthetic model: %u shadow pages, 4096/4096 buckets used, %zu draw items "
	       "(index build %.2f ms, once per step)\n",
	       NSPS, full_items, build_ms);
	printf("  %-28s median %6.2f ms  max %6.2f ms\n", "baseline (empty frame)", base.all_med,
	       base.all_max);
	print("full frame", &full);
	printf("    ratio to the baseline      %.1fx (median)\n",
	       full.all_med / (base.all_med > 0 ? base.all_med : 1e-9));
	printf("  goal: median < 16 ms: %s\n", full.all_med < 16.0 ? "met" : "NOT met");
	printf("  scenario %s at step %u (%zu draw items):\n", scn_path, vs->last, dl.n);
	print("scenario frame", &scn);
	printf("    ratio to the baseline      %.1fx (median)\n",
	       scn.all_med / (base.all_med > 0 ? base.all_med : 1e-9));
	printf("  renderer: %u glyphs; %llu text items blended directly (%llu colours left to "
	       "SDL); text runs: %llu drawn from the cache, %llu built, %llu "
	       "evicted, %llu glyph by glyph; %llu fills written directly; %llu items culled\n",
	       viz_render_glyphs(vr), (unsigned long long)st.direct_text,
	       (unsigned long long)st.blend_fallbacks, (unsigned long long)st.run_hits,
	       (unsigned long long)st.run_builds, (unsigned long long)st.run_evictions,
	       (unsigned long long)st.glyph_items, (unsigned long long)st.direct_fills,
	       (unsigned long long)st.culled);
	if (smoke)
		printf("  (--smoke: %d frames only; timings are not meaningful)\n", n);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "bench_viz: drawing failed\n");
out:
	viz_dl_free(&dl);
	viz_render_destroy(vr);
	viz_render_destroy(vr_small);
	viz_session_destroy(vs);
	viz_model_free(&m);
	return ret;
}
#else
int main(void)
{
	puts("bench_viz: built without viz/ (viz/viz.cmake not included)");
	return 77;
}
#endif
