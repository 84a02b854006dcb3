/* SPDX-License-Identifier: MIT */
/*
 * The interactive window: SDL events become commands in one switch; the
 * session's timeline moves the machine (exactly, also backwards); every
 * change re-runs the layout and the renderer.
 */
#include "viz/gui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#include "cpu/err.h"
#include "viz/render.h"

struct gui {
	struct viz_session *vs;
	struct viz_ui ui;
	struct viz_dl dl;
	FILE *trace;
	bool quit, dirty;
	s32 mx, my; /* last mouse position */
};

static void seek(struct gui *g, s64 step)
{
	struct scn_error err;

	if (step < 0)
		step = 0;
	if (step > g->vs->last)
		step = g->vs->last;
	if (viz_session_seek(g->vs, (u32)step, &err))
		snprintf(g->ui.status, sizeof(g->ui.status), "seek failed: %.80s", err.msg);
	g->dirty = true;
}

static u32 cur(const struct gui *g)
{
	return viz_session_step(g->vs);
}

/* Scroll the panel under the mouse by @rows. */
static void scroll(struct gui *g, s32 rows)
{
	const struct viz_item *it = viz_dl_hit_at(&g->dl, g->mx, g->my);
	enum viz_panel p = VIZ_P_STEPS;

	for (size_t i = g->dl.n; i-- > 0;) {
		const struct viz_item *h = &g->dl.items[i];

		if (h->kind == VIZ_HIT && h->hit == VIZ_HIT_PANEL && g->mx >= h->x &&
		    g->my >= h->y && g->mx < h->x + h->w && g->my < h->y + h->h) {
			p = (enum viz_panel)h->arg;
			break;
		}
	}
	(void)it;
	g->ui.scroll[p] += rows;
	if (p != VIZ_P_STEPS && g->ui.scroll[p] < 0)
		g->ui.scroll[p] = 0;
	g->dirty = true;
}

static void zoom(struct gui *g, int d)
{
	int z = g->ui.zoom + d;

	g->ui.zoom = (u16)(z < 50 ? 50 : z > 300 ? 300 : z);
	g->dirty = true;
}

static s32 bucket_at(const struct viz_item *h, s32 x, s32 y)
{
	s32 cell = (s32)h->arg;

	if (cell <= 0)
		return -1;
	return (y - h->y) / cell * 64 + (x - h->x) / cell;
}

static void click(struct gui *g, s32 x, s32 y)
{
	const struct viz_item *h = viz_dl_hit_at(&g->dl, x, y);

	if (!h)
		return;
	switch ((enum viz_hit_kind)h->hit) {
	case VIZ_HIT_STEP:
		seek(g, (s64)h->arg);
		break;
	case VIZ_HIT_GPT:
		viz_ui_toggle(g->ui.gpt_toggle, &g->ui.ngpt, h->arg);
		break;
	case VIZ_HIT_SP:
		viz_ui_toggle(g->ui.sp_toggle, &g->ui.nsp, h->arg);
		break;
	case VIZ_HIT_HASH: {
		s32 b = bucket_at(h, x, y);

		g->ui.sel_bucket = g->ui.sel_bucket == b ? -1 : b;
		break;
	}
	case VIZ_HIT_STRIP:
		if (h->w > 0)
			seek(g, (s64)((u64)(x - h->x) * h->arg / (u64)h->w) + 1);
		break;
	case VIZ_HIT_PANEL:
		return;
	}
	g->dirty = true;
}

static void hover(struct gui *g, s32 x, s32 y)
{
	const struct viz_item *h = viz_dl_hit_at(&g->dl, x, y);
	s32 b = h && h->hit == VIZ_HIT_HASH ? bucket_at(h, x, y) : -1;

	g->mx = x;
	g->my = y;
	if (b != g->ui.hover_bucket) {
		g->ui.hover_bucket = b;
		g->dirty = true;
	}
}

/* One key: returns its name for the trace, or NULL when it did nothing. */
static const char *key(struct gui *g, const SDL_KeyboardEvent *k)
{
	SDL_Keycode sym = k->keysym.sym;
	bool shift = k->keysym.mod & KMOD_SHIFT, ctrl = k->keysym.mod & KMOD_CTRL;
	static char name[32];

	if (g->ui.goto_active) {
		size_t len = strlen(g->ui.goto_buf);

		g->dirty = true;
		if (sym >= SDLK_0 && sym <= SDLK_9 && len + 1 < sizeof(g->ui.goto_buf)) {
			g->ui.goto_buf[len] = (char)('0' + (sym - SDLK_0));
			g->ui.goto_buf[len + 1] = 0;
			snprintf(name, sizeof(name), "digit%c", (char)('0' + (sym - SDLK_0)));
			return name;
		}
		if (sym == SDLK_BACKSPACE && len) {
			g->ui.goto_buf[len - 1] = 0;
			return "backspace";
		}
		if (sym == SDLK_RETURN || sym == SDLK_KP_ENTER) {
			g->ui.goto_active = false;
			if (len)
				seek(g, atol(g->ui.goto_buf));
			return "enter";
		}
		if (sym == SDLK_ESCAPE) {
			g->ui.goto_active = false;
			return "escape";
		}
		return NULL;
	}
	switch (sym) {
	case SDLK_RIGHT:
		if (shift) {
			scroll(g, 4);
			return "shift-right";
		}
		seek(g, (s64)cur(g) + 1);
		return "right";
	case SDLK_SPACE:
		seek(g, (s64)cur(g) + 1);
		return "space";
	case SDLK_LEFT:
		if (shift) {
			scroll(g, -4);
			return "shift-left";
		}
		seek(g, (s64)cur(g) - 1);
		return "left";
	case SDLK_UP:
	case SDLK_DOWN:
		if (!shift)
			return NULL;
		scroll(g, sym == SDLK_UP ? -1 : 1);
		return sym == SDLK_UP ? "shift-up" : "shift-down";
	case SDLK_HOME:
		seek(g, 0);
		return "home";
	case SDLK_END:
		seek(g, g->vs->last);
		return "end";
	case SDLK_r:
		g->ui.running = !g->ui.running;
		g->dirty = true;
		return "r";
	case SDLK_n:
		seek(g, viz_session_next_event(g->vs, (enum viz_evk)g->ui.next_kind));
		return "n";
	case SDLK_k:
		g->ui.next_kind = (u8)((g->ui.next_kind + 1) % VIZ_EVK_COUNT);
		g->dirty = true;
		return "k";
	case SDLK_g:
		g->ui.goto_active = true;
		g->ui.goto_buf[0] = 0;
		g->dirty = true;
		return "g";
	case SDLK_PLUS:
	case SDLK_EQUALS:
	case SDLK_KP_PLUS:
		zoom(g, 10);
		return "plus";
	case SDLK_MINUS:
	case SDLK_KP_MINUS:
		zoom(g, -10);
		return "minus";
	case SDLK_v:
		g->ui.vcpu = (u16)((g->ui.vcpu + 1) % (g->vs->scn.nvcpus ? g->vs->scn.nvcpus : 1));
		g->dirty = true;
		return "v";
	case SDLK_q:
	case SDLK_ESCAPE:
		g->quit = true;
		return "quit";
	default:
		break;
	}
	if (sym >= SDLK_1 && sym <= SDLK_9 && !ctrl) {
		g->ui.panels ^= 1u << (sym - SDLK_1);
		g->dirty = true;
		snprintf(name, sizeof(name), "panel%d", (int)(sym - SDLK_1 + 1));
		return name;
	}
	if (sym == SDLK_0) {
		g->ui.panels ^= 1u << VIZ_P_KEYS;
		g->dirty = true;
		return "panel10";
	}
	return NULL;
}

static void trace_line(struct gui *g, const char *what)
{
	if (!g->trace || !what)
		return;
	fprintf(g->trace,
		"%s step=%u vcpu=%u zoom=%u panels=0x%x sel=%d hover=%d next=%s running=%d "
		"goto=%s size=%dx%d gpt=%u sp=%u dl=%016llx\n",
		what, cur(g), g->ui.vcpu, g->ui.zoom, g->ui.panels, g->ui.sel_bucket,
		g->ui.hover_bucket, viz_evk_name((enum viz_evk)g->ui.next_kind), g->ui.running,
		g->ui.goto_active ? (g->ui.goto_buf[0] ? g->ui.goto_buf : "-") : "off", g->ui.w,
		g->ui.h, g->ui.ngpt, g->ui.nsp, (unsigned long long)viz_dl_hash(&g->dl));
	fflush(g->trace);
}

/* Where the hash grid is, for scripted clicks. */
static void trace_geometry(struct gui *g)
{
	if (!g->trace)
		return;
	for (size_t i = 0; i < g->dl.n; i++) {
		const struct viz_item *h = &g->dl.items[i];

		if (h->kind == VIZ_HIT && h->hit == VIZ_HIT_HASH)
			fprintf(g->trace, "geometry hash %d %d %llu\n", h->x, h->y,
				(unsigned long long)h->arg);
	}
	fflush(g->trace);
}

static void relayout(struct gui *g, struct viz_render *vr, SDL_Renderer *r)
{
	int w, h;

	if (!SDL_GetRendererOutputSize(r, &w, &h) && w > 0 && h > 0) {
		g->ui.w = w;
		g->ui.h = h;
	}
	viz_layout(&g->vs->model, &g->ui, &g->dl);
	if (viz_render_draw(vr, &g->dl) == 0)
		SDL_RenderPresent(r);
	g->dirty = false;
}

int viz_gui_run(struct viz_session *vs, s32 w, s32 h, char *why, size_t n)
{
	struct gui g = {.vs = vs};
	SDL_Window *win = NULL;
	SDL_Renderer *r = NULL;
	struct viz_render *vr = NULL;
	const char *tp = getenv("MMUSCOPE_GUI_TRACE");
	char title[256];
	int ret = 0;

	viz_ui_init(&g.ui, w, h);
	viz_dl_init(&g.dl);
	if (!viz_font_path(why, n))
		return MSC_ENOENT;
	if (SDL_Init(SDL_INIT_VIDEO) < 0) {
		snprintf(why, n, "no display (SDL: %s); `mmuscope render` draws without one",
			 SDL_GetError());
		return MSC_EIO;
	}
	{
		/* SDL falls back to drivers with no screen (offscreen, dummy, ...):
		 * without a display that is an error, unless asked for by name */
		const char *drv = SDL_GetCurrentVideoDriver(), *want = getenv("SDL_VIDEODRIVER");

		if (!(want && *want) &&
		    (!drv || (strcmp(drv, "x11") && strcmp(drv, "wayland") &&
			      strcmp(drv, "cocoa") && strcmp(drv, "windows")))) {
			snprintf(why, n,
				 "no display (SDL video driver '%s'; set DISPLAY); `mmuscope "
				 "render` draws without one",
				 drv ? drv : "none");
			SDL_Quit();
			return MSC_EIO;
		}
	}
	snprintf(title, sizeof(title), "mmuscope - %s", vs->scn.name ? vs->scn.name : vs->scn.file);
	win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
			       SDL_WINDOW_RESIZABLE);
	if (win)
		r = SDL_CreateRenderer(win, -1, 0);
	if (!r) {
		snprintf(why, n, "window: %s", SDL_GetError());
		ret = MSC_EIO;
		goto out;
	}
	ret = viz_render_create_on(&vr, r, why, n);
	if (ret)
		goto out;
	if (tp && *tp) {
		g.trace = fopen(tp, "a");
		if (!g.trace) {
			snprintf(why, n, "MMUSCOPE_GUI_TRACE=%s: cannot open", tp);
			ret = MSC_EIO;
			goto out;
		}
	}
	relayout(&g, vr, r);
	trace_geometry(&g);
	trace_line(&g, "ready");
	while (!g.quit) {
		SDL_Event ev;
		const char *what = NULL;
		char wbuf[48];

		if (!SDL_WaitEventTimeout(&ev, g.ui.running ? 1 : 200)) {
			if (g.ui.running) {
				if (cur(&g) >= vs->last) {
					g.ui.running = false;
					what = "run-end";
				} else {
					seek(&g, (s64)cur(&g) + 1);
				}
			}
			if (g.dirty)
				relayout(&g, vr, r);
			trace_line(&g, what);
			continue;
		}
		switch (ev.type) {
		case SDL_QUIT:
			g.quit = true;
			what = "quit";
			break;
		case SDL_KEYDOWN:
			what = key(&g, &ev.key);
			break;
		case SDL_MOUSEBUTTONDOWN:
			if (ev.button.button == SDL_BUTTON_LEFT) {
				g.mx = ev.button.x;
				g.my = ev.button.y;
				click(&g, ev.button.x, ev.button.y);
				snprintf(wbuf, sizeof(wbuf), "click@%d,%d", ev.button.x,
					 ev.button.y);
				what = wbuf;
			}
			break;
		case SDL_MOUSEMOTION:
			hover(&g, ev.motion.x, ev.motion.y);
			break;
		case SDL_MOUSEWHEEL:
			if (SDL_GetModState() & KMOD_CTRL) {
				zoom(&g, ev.wheel.y > 0 ? 10 : -10);
				what = "ctrl-wheel";
			} else {
				scroll(&g, ev.wheel.y > 0 ? -3 : 3);
				what = "wheel";
			}
			break;
		case SDL_WINDOWEVENT:
			if (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
			    ev.window.event == SDL_WINDOWEVENT_EXPOSED) {
				g.dirty = true;
				if (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
					what = "resize";
			}
			break;
		default:
			break;
		}
		if (g.dirty)
			relayout(&g, vr, r);
		trace_line(&g, what);
	}
out:
	if (g.trace)
		fclose(g.trace);
	viz_render_destroy(vr);
	if (r)
		SDL_DestroyRenderer(r);
	if (win)
		SDL_DestroyWindow(win);
	viz_dl_free(&g.dl);
	SDL_Quit();
	return ret;
}
