/* SPDX-License-Identifier: MIT */
/*
 * bench_viz: frame time of the GUI (layout + software render of a 1600x1000
 * frame) with a full 4096-bucket hash and 100,000 shadow pages (a synthetic
 * model: a 4-level tree, 512 children per page, every bucket occupied).
 * Baseline in the same run: an empty frame. Goal: median < 16 ms.
 *   bench_viz [--smoke] [--frames N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef MSC_HAVE_VIZ
#include "viz/layout.h"
#include "viz/render.h"

#define NSPS 100000u

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

static double lay_med; /* median layout share of the last full run */

static int frames(struct viz_render *vr, const struct viz_model *m, struct viz_ui *ui,
		  struct viz_dl *dl, int n, double *t, bool empty)
{
	double *tl = calloc((size_t)n, sizeof(double));

	if (!tl)
		return -1;
	for (int f = 0; f < n; f++) {
		double t0 = now_ms();

		ui->hover_bucket = f % 4096; /* a moving mouse: every frame differs */
		if (empty)
			viz_dl_reset(dl);
		else
			viz_layout(m, ui, dl);
		tl[f] = now_ms() - t0;
		if (viz_render_draw(vr, dl)) {
			free(tl);
			return -1;
		}
		t[f] = now_ms() - t0;
	}
	qsort(t, (size_t)n, sizeof(double), cmp_d);
	qsort(tl, (size_t)n, sizeof(double), cmp_d);
	lay_med = tl[n / 2];
	free(tl);
	return 0;
}

int main(int argc, char **argv)
{
	bool smoke = argc > 1 && !strcmp(argv[1], "--smoke");
	int n = smoke ? 5 : 60;
	struct viz_model m;
	struct viz_render *vr = NULL;
	struct viz_ui ui;
	struct viz_dl dl;
	double *t, *tb, t0, build_ms;
	char why[256];

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--frames"))
			n = atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : n;
	if (!viz_font_path(why, sizeof(why))) {
		printf("bench_viz: %s: skipped\n", why);
		return 77;
	}
	t = calloc((size_t)n, sizeof(double));
	tb = calloc((size_t)n, sizeof(double));
	t0 = now_ms();
	if (!t || !tb || build(&m, NSPS)) {
		fprintf(stderr, "bench_viz: out of memory\n");
		return 1;
	}
	build_ms = now_ms() - t0;
	if (viz_render_create(&vr, 1600, 1000, why, sizeof(why))) {
		fprintf(stderr, "bench_viz: %s\n", why);
		return 1;
	}
	viz_ui_init(&ui, 1600, 1000);
	viz_dl_init(&dl);
	/* warm the glyph cache, then measure */
	viz_layout(&m, &ui, &dl);
	if (viz_render_draw(vr, &dl) || frames(vr, &m, &ui, &dl, n, tb, true) ||
	    frames(vr, &m, &ui, &dl, n, t, false)) {
		fprintf(stderr, "bench_viz: drawing failed\n");
		return 1;
	}
	printf("bench_viz: %u shadow pages, %u/4096 buckets used, 1600x1000, %d frames, %zu "
	       "items\n",
	       NSPS, 4096u, n, dl.n);
	printf("  model index build       %8.2f ms (once per step)\n", build_ms);
	printf("  baseline (empty frame)  median %6.2f ms  max %6.2f ms\n", tb[n / 2], tb[n - 1]);
	printf("  full frame              median %6.2f ms  max %6.2f ms  (%.1fx the baseline)\n",
	       t[n / 2], t[n - 1], t[n / 2] / (tb[n / 2] > 0 ? tb[n / 2] : 1e-9));
	printf("  of which layout         median %6.2f ms\n", lay_med);
	printf("  goal: median < 16 ms: %s\n", t[n / 2] < 16.0 ? "met" : "NOT met");
	viz_dl_free(&dl);
	viz_render_destroy(vr);
	viz_model_free(&m);
	free(t);
	free(tb);
	return 0;
}
#else
int main(void)
{
	puts("bench_viz: built without viz/ (viz/viz.cmake not included)");
	return 77;
}
#endif
