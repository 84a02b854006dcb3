/* SPDX-License-Identifier: MIT */
/* Draw list -> SDL_Renderer, with a glyph-texture cache; headless surfaces and PNG. */
#include "viz/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>
#include <SDL2/SDL_image.h>
#include <SDL2/SDL_ttf.h>

#include "cpu/err.h"

#define MAX_FONT 41 /* sizes 0..40 px */
#define FIRST_CH 0x20
#define NCH 95

/*
 * The text-run cache: a whole text item (font size + string) as one white
 * texture, colour-modulated when drawn like the glyphs, so a run costs one
 * copy instead of one per glyph. LRU-bounded; see run_get() for why its
 * pixels are exactly those of the glyph-by-glyph path.
 */
#define RUN_MAX 1024u /* cached runs */
#define RUN_BUCKETS 2048u /* hash chains (a power of 2) */
#define RUN_MAX_LEN 256u /* longer items are drawn glyph by glyph */
#define RUN_MAX_W 4096 /* nor wider runs (texture size limits) */

struct run {
	u64 key; /* FNV-1a of size and text */
	char *s;
	u32 len;
	u8 size;
	bool per_glyph; /* inks overlap or no texture: draw glyph by glyph */
	SDL_Texture *tex;
	SDL_Rect ink; /* the texels with ink (alpha > 0): the rest change nothing */
	u64 used; /* LRU stamp */
	s32 next; /* hash chain; -1 ends it */
};

struct viz_render {
	SDL_Renderer *r;
	SDL_Surface *surf; /* headless: the target */
	bool own; /* r (and surf) are ours */
	bool reference; /* no fast paths: glyph by glyph, every fill through SDL */
	char font_path[512];
	TTF_Font *font[MAX_FONT];
	SDL_Texture *glyph[MAX_FONT][NCH];
	SDL_Surface *gsurf[MAX_FONT][NCH]; /* the glyph's white surface (runs are built from it) */
	bool glyph_tried[MAX_FONT][NCH];
	u32 nglyphs;
	struct run *runs; /* RUN_MAX */
	u32 nruns;
	s32 run_head[RUN_BUCKETS];
	u64 stamp;
	struct viz_render_stats st;
};

const char *viz_font_path(char *why, size_t n)
{
	const char *p = getenv("MMUSCOPE_FONT");
	FILE *f;

	if (!p || !*p)
		p = VIZ_FONT_DEFAULT;
	f = fopen(p, "rb");
	if (!f) {
		if (why)
			snprintf(why, n,
				 "font %s not found (install Debian's fonts-dejavu-core or set "
				 "MMUSCOPE_FONT to a monospace .ttf)",
				 p);
		return NULL;
	}
	fclose(f);
	return p;
}

static int setup(struct viz_render *vr, char *why, size_t n)
{
	const char *p = viz_font_path(why, n);

	if (!p)
		return MSC_ENOENT;
	snprintf(vr->font_path, sizeof(vr->font_path), "%s", p);
	vr->runs = calloc(RUN_MAX, sizeof(*vr->runs));
	if (!vr->runs) {
		if (why)
			snprintf(why, n, "out of memory");
		return MSC_ENOMEM;
	}
	for (u32 i = 0; i < RUN_BUCKETS; i++)
		vr->run_head[i] = -1;
	if (!TTF_WasInit() && TTF_Init() < 0) {
		if (why)
			snprintf(why, n, "TTF_Init: %s", TTF_GetError());
		return MSC_EIO;
	}
	SDL_SetRenderDrawBlendMode(vr->r, SDL_BLENDMODE_BLEND);
	return 0;
}

int viz_render_create(struct viz_render **out, s32 w, s32 h, char *why, size_t n)
{
	struct viz_render *vr;
	int ret;

	*out = NULL;
	if (w < 16 || h < 16 || w > 16384 || h > 16384) {
		if (why)
			snprintf(why, n, "size %dx%d out of range (16..16384)", w, h);
		return MSC_EINVAL;
	}
	vr = calloc(1, sizeof(*vr));
	if (!vr)
		return MSC_ENOMEM;
	vr->own = true;
	vr->surf = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGBA32);
	if (vr->surf)
		vr->r = SDL_CreateSoftwareRenderer(vr->surf);
	if (!vr->r) {
		if (why)
			snprintf(why, n, "SDL software renderer: %s", SDL_GetError());
		viz_render_destroy(vr);
		return MSC_EIO;
	}
	ret = setup(vr, why, n);
	if (ret) {
		viz_render_destroy(vr);
		return ret;
	}
	*out = vr;
	return 0;
}

int viz_render_create_on(struct viz_render **out, struct SDL_Renderer *r, char *why, size_t n)
{
	struct viz_render *vr = calloc(1, sizeof(*vr));
	int ret;

	*out = NULL;
	if (!vr)
		return MSC_ENOMEM;
	vr->r = r;
	ret = setup(vr, why, n);
	if (ret) {
		viz_render_destroy(vr);
		return ret;
	}
	*out = vr;
	return 0;
}

void viz_render_destroy(struct viz_render *vr)
{
	if (!vr)
		return;
	for (u32 i = 0; vr->runs && i < vr->nruns; i++) {
		if (vr->runs[i].tex)
			SDL_DestroyTexture(vr->runs[i].tex);
		free(vr->runs[i].s);
	}
	free(vr->runs);
	for (int s = 0; s < MAX_FONT; s++) {
		for (int c = 0; c < NCH; c++) {
			if (vr->glyph[s][c])
				SDL_DestroyTexture(vr->glyph[s][c]);
			if (vr->gsurf[s][c])
				SDL_FreeSurface(vr->gsurf[s][c]);
		}
		if (vr->font[s])
			TTF_CloseFont(vr->font[s]);
	}
	if (vr->own) {
		if (vr->r)
			SDL_DestroyRenderer(vr->r);
		if (vr->surf)
			SDL_FreeSurface(vr->surf);
	}
	free(vr);
}

u32 viz_render_glyphs(const struct viz_render *vr)
{
	return vr->nglyphs;
}

void viz_render_get_stats(const struct viz_render *vr, struct viz_render_stats *st)
{
	*st = vr->st;
}

void viz_render_set_reference(struct viz_render *vr, bool on)
{
	vr->reference = on;
}

/* The white glyph texture of @c at @size (colour-modulated when drawn). */
static SDL_Texture *glyph(struct viz_render *vr, u8 size, char c)
{
	int ci = (u8)c - FIRST_CH;
	SDL_Surface *gs;

	if (size >= MAX_FONT || ci < 0 || ci >= NCH)
		return NULL;
	if (vr->glyph_tried[size][ci])
		return vr->glyph[size][ci];
	vr->glyph_tried[size][ci] = true;
	if (!vr->font[size]) {
		vr->font[size] = TTF_OpenFont(vr->font_path, size);
		if (!vr->font[size])
			return NULL;
	}
	gs = TTF_RenderGlyph_Blended(vr->font[size], (Uint16)c, (SDL_Color){255, 255, 255, 255});
	if (!gs)
		return NULL;
	vr->glyph[size][ci] = SDL_CreateTextureFromSurface(vr->r, gs);
	if (vr->glyph[size][ci]) {
		SDL_SetTextureBlendMode(vr->glyph[size][ci], SDL_BLENDMODE_BLEND);
		vr->gsurf[size][ci] = gs;
		vr->nglyphs++;
	} else {
		SDL_FreeSurface(gs);
	}
	return vr->glyph[size][ci];
}

static void colour(SDL_Renderer *r, u32 rgba)
{
	SDL_SetRenderDrawColor(r, (Uint8)(rgba >> 24), (Uint8)(rgba >> 16), (Uint8)(rgba >> 8),
			       (Uint8)rgba);
}

static void modulate(SDL_Texture *t, u32 rgba)
{
	SDL_SetTextureColorMod(t, (Uint8)(rgba >> 24), (Uint8)(rgba >> 16), (Uint8)(rgba >> 8));
	SDL_SetTextureAlphaMod(t, (Uint8)rgba);
}

/* The reference path: one copy per glyph, spaces skipped. */
static void text_glyphs(struct viz_render *vr, const struct viz_dl *dl, const struct viz_item *it)
{
	s32 cw = viz_char_w(it->size);

	for (u32 i = 0; i < it->len; i++) {
		char c = dl->text[it->text + i];
		SDL_Texture *t;
		SDL_Rect dst;
		int tw, th;

		if (c == ' ')
			continue;
		t = glyph(vr, it->size, c);
		if (!t)
			continue;
		SDL_QueryTexture(t, NULL, NULL, &tw, &th);
		dst = (SDL_Rect){it->x + (s32)i * cw, it->y, tw, th};
		modulate(t, it->rgba);
		SDL_RenderCopy(vr->r, t, NULL, &dst);
	}
}

static u64 run_key(u8 size, const char *s, u32 len)
{
	u64 h = 0xcbf29ce484222325ULL;

	h = (h ^ size) * 0x100000001b3ULL;
	for (u32 i = 0; i < len; i++)
		h = (h ^ (u8)s[i]) * 0x100000001b3ULL;
	return h;
}

static u32 alpha_of(const SDL_PixelFormat *f, Uint32 px)
{
	return (px & f->Amask) >> f->Ashift;
}

/*
 * Build run @e's texture from the glyph surfaces: glyph i's pixels copied
 * raw (no blending) to (i * advance, 0) of a transparent surface of the
 * glyphs' own format, so the texture holds exactly the texels the glyph
 * textures hold, at the places the glyph path copies them to. Drawn with
 * the same colour/alpha mod and blend mode, every pixel then blends the
 * same texel over the same destination: where no glyph has ink the texel is
 * transparent (alpha 0 leaves the destination as it was, as a skipped space
 * or a glyph's transparent margin does). The one case this cannot express
 * is two glyphs with ink on the same pixel (the glyph path blends twice):
 * then, or when anything fails, the run is marked per_glyph.
 */
static void run_build(struct viz_render *vr, struct run *e)
{
	s32 cw = viz_char_w(e->size), w = 0, h = 0, x0 = INT32_MAX, y0 = INT32_MAX, x1 = -1,
	    y1 = -1;
	SDL_PixelFormat *fmt = NULL;
	SDL_Surface *rs;

	e->per_glyph = true;
	for (u32 i = 0; i < e->len; i++) {
		int ci = (u8)e->s[i] - FIRST_CH;
		SDL_Surface *gs;

		if (e->s[i] == ' ' || !glyph(vr, e->size, e->s[i]))
			continue;
		gs = vr->gsurf[e->size][ci];
		if (fmt && gs->format->format != fmt->format)
			return;
		fmt = gs->format;
		if ((s32)i * cw + gs->w > w)
			w = (s32)i * cw + gs->w;
		if (gs->h > h)
			h = gs->h;
	}
	if (!fmt || fmt->BytesPerPixel != 4 || !fmt->Amask || w > RUN_MAX_W)
		return;
	rs = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, fmt->format);
	if (!rs)
		return;
	SDL_memset(rs->pixels, 0, (size_t)rs->pitch * (size_t)h); /* alpha 0 everywhere */
	for (u32 i = 0; i < e->len; i++) {
		int ci = (u8)e->s[i] - FIRST_CH;
		SDL_Surface *gs;

		if (e->s[i] == ' ' || !vr->glyph[e->size][ci])
			continue;
		gs = vr->gsurf[e->size][ci];
		for (s32 y = 0; y < gs->h; y++) {
			const Uint32 *src = (const Uint32 *)((const u8 *)gs->pixels +
							     (size_t)y * (size_t)gs->pitch);
			Uint32 *dst = (Uint32 *)((u8 *)rs->pixels + (size_t)y * (size_t)rs->pitch) +
				      (size_t)i * (size_t)cw;

			for (s32 x = 0; x < gs->w; x++) {
				if (!alpha_of(fmt, src[x]))
					continue;
				if (alpha_of(fmt, dst[x])) {
					SDL_FreeSurface(rs); /* inks overlap */
					return;
				}
				dst[x] = src[x];
				x0 = SDL_min(x0, (s32)i * cw + x);
				x1 = SDL_max(x1, (s32)i * cw + x);
				y0 = SDL_min(y0, y);
				y1 = SDL_max(y1, y);
			}
		}
	}
	if (x1 < 0) { /* no ink at all: nothing to draw */
		SDL_FreeSurface(rs);
		e->ink = (SDL_Rect){0, 0, 0, 0};
		e->per_glyph = false;
		return;
	}
	e->tex = SDL_CreateTextureFromSurface(vr->r, rs);
	SDL_FreeSurface(rs);
	if (!e->tex)
		return;
	SDL_SetTextureBlendMode(e->tex, SDL_BLENDMODE_BLEND);
	e->ink = (SDL_Rect){x0, y0, x1 - x0 + 1, y1 - y0 + 1};
	e->per_glyph = false;
	vr->st.run_builds++;
}

static void run_unlink(struct viz_render *vr, u32 idx)
{
	s32 *pp = &vr->run_head[vr->runs[idx].key & (RUN_BUCKETS - 1)];

	while (*pp >= 0 && (u32)*pp != idx)
		pp = &vr->runs[*pp].next;
	if (*pp >= 0)
		*pp = vr->runs[idx].next;
}

/* The cached run of @it (built on a miss, evicting the least recently used
 * one when full); NULL when it cannot be cached. */
static struct run *run_get(struct viz_render *vr, const struct viz_dl *dl,
			   const struct viz_item *it)
{
	const char *s = dl->text + it->text;
	u64 key = run_key(it->size, s, it->len);
	struct run *e;
	char *copy;
	u32 idx;

	for (s32 i = vr->run_head[key & (RUN_BUCKETS - 1)]; i >= 0; i = vr->runs[i].next) {
		e = &vr->runs[i];
		if (e->key == key && e->size == it->size && e->len == it->len &&
		    !memcmp(e->s, s, it->len)) {
			e->used = ++vr->stamp;
			return e;
		}
	}
	copy = malloc(it->len);
	if (!copy)
		return NULL;
	memcpy(copy, s, it->len);
	if (vr->nruns < RUN_MAX) {
		idx = vr->nruns++;
	} else {
		idx = 0;
		for (u32 i = 1; i < RUN_MAX; i++)
			if (vr->runs[i].used < vr->runs[idx].used)
				idx = i;
		run_unlink(vr, idx);
		if (vr->runs[idx].tex)
			SDL_DestroyTexture(vr->runs[idx].tex);
		free(vr->runs[idx].s);
		vr->st.run_evictions++;
	}
	e = &vr->runs[idx];
	memset(e, 0, sizeof(*e));
	e->s = copy;
	e->key = key;
	e->len = it->len;
	e->size = it->size;
	e->used = ++vr->stamp;
	e->next = vr->run_head[key & (RUN_BUCKETS - 1)];
	vr->run_head[key & (RUN_BUCKETS - 1)] = (s32)idx;
	run_build(vr, e);
	return e;
}

static void text(struct viz_render *vr, const struct viz_dl *dl, const struct viz_item *it)
{
	struct run *e = NULL;

	if (!vr->reference && it->len <= RUN_MAX_LEN && it->size < MAX_FONT)
		e = run_get(vr, dl, it);
	if (!e || e->per_glyph) {
		vr->st.glyph_items++;
		text_glyphs(vr, dl, it);
		return;
	}
	vr->st.run_hits++;
	if (!e->tex)
		return; /* only spaces */
	/* only the texels with ink: the transparent rest would leave the
	 * destination as it is */
	modulate(e->tex, it->rgba);
	SDL_RenderCopy(vr->r, e->tex, &e->ink,
		       &(SDL_Rect){it->x + e->ink.x, it->y + e->ink.y, e->ink.w, e->ink.h});
}

/* Does @a (w, h >= 0) meet @b? */
static bool meets(const SDL_Rect *a, const SDL_Rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/*
 * A filled rect. SDL blends every fill while the draw blend mode is BLEND,
 * pixel by pixel; for an opaque colour the blend is the colour itself
 * (SDL_BlendFillRect: src * 255 / 255 + dst * 0 / 255), so opaque fills are
 * written as plain fills: headless straight into the surface (what the
 * software renderer's SDL_FillRects does, minus its command queue), else
 * with the blend mode NONE. Translucent fills still blend through SDL.
 */
static void fill(struct viz_render *vr, const struct viz_item *it, const SDL_Rect *clip)
{
	SDL_Renderer *r = vr->r;
	SDL_Rect rc = {it->x, it->y, it->w, it->h}, out;

	if ((it->rgba & 0xff) != 0xff || vr->reference) {
		colour(r, it->rgba);
		SDL_RenderFillRect(r, &rc);
		return;
	}
	if (vr->surf) {
		SDL_Rect whole = {0, 0, vr->surf->w, vr->surf->h}, saved;

		SDL_Rect in = rc;

		if (clip && !SDL_IntersectRect(&rc, clip, &in))
			return;
		if (!SDL_IntersectRect(&in, &whole, &out))
			return;
		/* SDL_FillRect clips to the surface's clip rect, which the
		 * software renderer leaves at its last clip: ours is in @out */
		SDL_GetClipRect(vr->surf, &saved);
		SDL_SetClipRect(vr->surf, NULL);
		SDL_FillRect(vr->surf, &out,
			     SDL_MapRGBA(vr->surf->format, (Uint8)(it->rgba >> 24),
					 (Uint8)(it->rgba >> 16), (Uint8)(it->rgba >> 8), 0xff));
		SDL_SetClipRect(vr->surf, &saved);
		vr->st.direct_fills++;
		return;
	}
	colour(r, it->rgba);
	SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_NONE);
	SDL_RenderFillRect(r, &rc);
	SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
}

/* Could @it touch a pixel inside @clip? Text is bounded generously (a glyph
 * surface is never 4 ems wide or tall). */
static bool visible(const struct viz_item *it, const SDL_Rect *clip)
{
	SDL_Rect b = {it->x, it->y, it->w, it->h};

	if (!clip)
		return true;
	switch ((enum viz_item_kind)it->kind) {
	case VIZ_FILL:
	case VIZ_RECT:
		return meets(&b, clip);
	case VIZ_TEXT:
		b.w = it->w + 4 * it->size;
		b.h = 4 * it->size;
		return meets(&b, clip);
	case VIZ_LINE:
	case VIZ_CLIP:
	case VIZ_UNCLIP:
	case VIZ_HIT:
		break;
	}
	return true;
}

int viz_render_draw(struct viz_render *vr, const struct viz_dl *dl)
{
	SDL_Renderer *r = vr->r;
	SDL_Rect clip_rc = {0, 0, 0, 0};
	const SDL_Rect *clip = NULL;

	SDL_RenderSetClipRect(r, NULL);
	SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
	if (SDL_RenderClear(r) < 0)
		return MSC_EIO;
	/* fills below write the surface directly: nothing may stay queued */
	SDL_RenderFlush(r);
	for (size_t i = 0; i < dl->n; i++) {
		const struct viz_item *it = &dl->items[i];
		SDL_Rect rc = {it->x, it->y, it->w, it->h};

		if (!vr->reference && !visible(it, clip)) {
			vr->st.culled++;
			continue;
		}
		switch ((enum viz_item_kind)it->kind) {
		case VIZ_FILL:
			fill(vr, it, clip);
			break;
		case VIZ_RECT:
			colour(r, it->rgba);
			SDL_RenderDrawRect(r, &rc);
			break;
		case VIZ_LINE:
			colour(r, it->rgba);
			SDL_RenderDrawLine(r, it->x, it->y, it->w, it->h);
			break;
		case VIZ_TEXT:
			text(vr, dl, it);
			break;
		case VIZ_CLIP:
			SDL_RenderSetClipRect(r, &rc);
			clip_rc = rc;
			clip = &clip_rc;
			break;
		case VIZ_UNCLIP:
			SDL_RenderSetClipRect(r, NULL);
			clip = NULL;
			break;
		case VIZ_HIT:
			break;
		}
		if (vr->surf && it->kind != VIZ_FILL && it->kind != VIZ_HIT)
			SDL_RenderFlush(r);
	}
	SDL_RenderSetClipRect(r, NULL);
	if (vr->surf)
		SDL_RenderFlush(r);
	return 0;
}

bool viz_render_pixels(const struct viz_render *vr, const u8 **px, s32 *w, s32 *h, s32 *pitch)
{
	if (!vr->surf)
		return false;
	*px = vr->surf->pixels;
	*w = vr->surf->w;
	*h = vr->surf->h;
	*pitch = vr->surf->pitch;
	return true;
}

u64 viz_render_hash(const struct viz_render *vr)
{
	u64 hash = 0xcbf29ce484222325ULL;
	const u8 *px;
	s32 w, h, pitch;

	if (!viz_render_pixels(vr, &px, &w, &h, &pitch))
		return 0;
	for (s32 y = 0; y < h; y++) {
		const u8 *row = px + (size_t)y * (size_t)pitch;

		for (s32 x = 0; x < w * 4; x++) {
			hash ^= row[x];
			hash *= 0x100000001b3ULL;
		}
	}
	return hash;
}

int viz_render_save_png(const struct viz_render *vr, const char *path, char *why, size_t n)
{
	if (!vr->surf) {
		if (why)
			snprintf(why, n, "not a headless renderer");
		return MSC_EINVAL;
	}
	if (IMG_SavePNG(vr->surf, path) < 0) {
		if (why)
			snprintf(why, n, "%s: %s", path, IMG_GetError());
		return MSC_EIO;
	}
	return 0;
}

int viz_png_read(const char *path, u8 **rgba, s32 *w, s32 *h)
{
	SDL_Surface *in = IMG_Load(path), *conv;
	int ret = 0;

	*rgba = NULL;
	if (!in)
		return MSC_EIO;
	conv = SDL_ConvertSurfaceFormat(in, SDL_PIXELFORMAT_RGBA32, 0);
	SDL_FreeSurface(in);
	if (!conv)
		return MSC_EIO;
	*w = conv->w;
	*h = conv->h;
	*rgba = malloc((size_t)conv->w * (size_t)conv->h * 4);
	if (!*rgba) {
		ret = MSC_ENOMEM;
	} else {
		for (s32 y = 0; y < conv->h; y++)
			memcpy(*rgba + (size_t)y * (size_t)conv->w * 4,
			       (const u8 *)conv->pixels + (size_t)y * (size_t)conv->pitch,
			       (size_t)conv->w * 4);
	}
	SDL_FreeSurface(conv);
	return ret;
}
