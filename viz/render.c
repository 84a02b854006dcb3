/* SPDX-License-Identifier: MIT */
/*
 * Draw list -> SDL_Renderer, with a glyph-texture cache; headless surfaces
 * (text blended and opaque fills stored straight into them) and PNG.
 */
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

/*
 * Direct text (headless only): a glyph's ink as a plain alpha map, blended
 * straight into the surface with per-colour tables that reproduce SDL's
 * blit of a white glyph texture (see blend_verify(): each colour is checked
 * against SDL itself for every source alpha and destination value before it
 * is used; a colour that differs is drawn through SDL).
 */
struct ink {
	u8 *a; /* w * h alpha values; NULL: no ink */
	s32 ox, oy, w, h; /* its place in the glyph surface */
};

#define BLEND_MAX 64u /* colours with tables; more go through SDL */

struct blend {
	u32 rgba;
	bool ok; /* equal to SDL's blit for every source alpha and destination */
	u8 sa[256]; /* source alpha after the alpha mod */
	u8 sc[3][256]; /* source R, G, B after the colour mod, premultiplied */
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
	struct ink ink[MAX_FONT][NCH];
	bool ink_ok[MAX_FONT][NCH]; /* white texels of the one glyph format: direct text */
	Uint32 glyph_fmt; /* the format of the first glyph surface (0: none yet) */
	struct blend *blends; /* BLEND_MAX */
	u32 nblends;
	/* blend_verify()'s SDL side: a 256x256 target, a white texture with
	 * alpha = x (NULL until the first colour; vbroken when it failed) */
	SDL_Surface *vsurf;
	SDL_Renderer *vren;
	SDL_Texture *vtex;
	bool vbroken;
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
	vr->blends = calloc(BLEND_MAX, sizeof(*vr->blends));
	if (!vr->runs || !vr->blends) {
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
	free(vr->blends);
	if (vr->vtex)
		SDL_DestroyTexture(vr->vtex);
	if (vr->vren)
		SDL_DestroyRenderer(vr->vren);
	if (vr->vsurf)
		SDL_FreeSurface(vr->vsurf);
	for (int s = 0; s < MAX_FONT; s++) {
		for (int c = 0; c < NCH; c++) {
			free(vr->ink[s][c].a);
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

/*
 * @gs's ink as an alpha map cropped to the texels with alpha > 0 (the rest
 * of a glyph changes no pixel when blended). False when the direct path
 * cannot draw it: not the first glyph's format, not 32 bits with alpha, a
 * texel with ink that is not white, no memory.
 */
static bool ink_build(struct viz_render *vr, SDL_Surface *gs, struct ink *k)
{
	const SDL_PixelFormat *f = gs->format;
	s32 x0 = gs->w, y0 = gs->h, x1 = -1, y1 = -1;

	if (!vr->glyph_fmt)
		vr->glyph_fmt = f->format;
	if (f->format != vr->glyph_fmt || f->BytesPerPixel != 4 || !f->Amask)
		return false;
	for (s32 y = 0; y < gs->h; y++) {
		const Uint32 *row =
			(const Uint32 *)((const u8 *)gs->pixels + (size_t)y * (size_t)gs->pitch);

		for (s32 x = 0; x < gs->w; x++) {
			Uint8 r, g, b, a;

			SDL_GetRGBA(row[x], f, &r, &g, &b, &a);
			if (!a)
				continue;
			if ((r & g & b) != 0xff)
				return false;
			x0 = SDL_min(x0, x);
			x1 = SDL_max(x1, x);
			y0 = SDL_min(y0, y);
			y1 = SDL_max(y1, y);
		}
	}
	if (x1 < 0)
		return true; /* no ink: nothing to draw */
	k->ox = x0;
	k->oy = y0;
	k->w = x1 - x0 + 1;
	k->h = y1 - y0 + 1;
	k->a = malloc((size_t)k->w * (size_t)k->h);
	if (!k->a)
		return false;
	for (s32 y = 0; y < k->h; y++) {
		const Uint32 *row = (const Uint32 *)((const u8 *)gs->pixels +
						     (size_t)(y0 + y) * (size_t)gs->pitch);

		for (s32 x = 0; x < k->w; x++) {
			Uint8 r, g, b, a;

			SDL_GetRGBA(row[x0 + x], f, &r, &g, &b, &a);
			k->a[(size_t)y * (size_t)k->w + (size_t)x] = a;
		}
	}
	return true;
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
		if (vr->surf)
			vr->ink_ok[size][ci] = ink_build(vr, gs, &vr->ink[size][ci]);
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

/*
 * One destination pixel (R, G, B, A bytes) under a white source texel of
 * alpha @a drawn with @b's colour: SDL 2's blit with colour mod and BLEND
 * (SDL_blit_auto.c): source channel * mod / 255, alpha * alpha mod / 255,
 * the source premultiplied by its alpha unless that is 255, then
 * dst = src + (255 - srcA) * dst / 255 per channel, alpha included.
 */
static inline void blend_px(const struct blend *b, u8 a, u8 *d)
{
	u32 sa = b->sa[a], inv = 255 - sa;

	if (!sa)
		return; /* dst + 0 ... = dst */
	if (!inv) {
		d[0] = b->sc[0][a];
		d[1] = b->sc[1][a];
		d[2] = b->sc[2][a];
		d[3] = 0xff;
		return;
	}
	d[0] = (u8)(b->sc[0][a] + inv * d[0] / 255);
	d[1] = (u8)(b->sc[1][a] + inv * d[1] / 255);
	d[2] = (u8)(b->sc[2][a] + inv * d[2] / 255);
	d[3] = (u8)(sa + inv * d[3] / 255);
}

static void blend_tables(struct blend *b)
{
	u32 mod[3] = {(b->rgba >> 24) & 0xff, (b->rgba >> 16) & 0xff, (b->rgba >> 8) & 0xff};
	u32 ma = b->rgba & 0xff;

	for (u32 a = 0; a < 256; a++) {
		u32 sa = a * ma / 255;

		b->sa[a] = (u8)sa;
		for (int c = 0; c < 3; c++) {
			u32 sc = 255 * mod[c] / 255; /* the glyph texel is white */

			b->sc[c][a] = (u8)(sa < 255 ? sc * sa / 255 : sc);
		}
	}
}

/*
 * Is @b's table exactly what SDL draws? SDL copies a white texture of the
 * glyphs' format with alpha = x over a 256x256 RGBA32 surface whose every
 * channel is y, with @b's colour and alpha mod: every source alpha against
 * every destination value. Done once per colour and renderer.
 */
static bool blend_verify(struct viz_render *vr, const struct blend *b)
{
	SDL_Surface *s = vr->vsurf;
	bool same = true;

	if (vr->vbroken || !vr->glyph_fmt)
		return false;
	if (!s) {
		SDL_Surface *src;

		vr->vbroken = true;
		s = SDL_CreateRGBSurfaceWithFormat(0, 256, 256, 32, SDL_PIXELFORMAT_RGBA32);
		if (!s)
			return false;
		vr->vsurf = s;
		vr->vren = SDL_CreateSoftwareRenderer(s);
		src = SDL_CreateRGBSurfaceWithFormat(0, 256, 256, 32, vr->glyph_fmt);
		if (!vr->vren || !src) {
			SDL_FreeSurface(src);
			return false;
		}
		for (s32 y = 0; y < 256; y++)
			for (s32 x = 0; x < 256; x++)
				((Uint32 *)((u8 *)src->pixels +
					    (size_t)y * (size_t)src->pitch))[x] =
					SDL_MapRGBA(src->format, 255, 255, 255, (Uint8)x);
		vr->vtex = SDL_CreateTextureFromSurface(vr->vren, src);
		SDL_FreeSurface(src);
		if (!vr->vtex)
			return false;
		SDL_SetTextureBlendMode(vr->vtex, SDL_BLENDMODE_BLEND);
		SDL_SetRenderDrawBlendMode(vr->vren, SDL_BLENDMODE_BLEND);
		vr->vbroken = false;
	}
	for (s32 y = 0; y < 256; y++)
		memset((u8 *)s->pixels + (size_t)y * (size_t)s->pitch, y, 256 * 4);
	modulate(vr->vtex, b->rgba);
	if (SDL_RenderCopy(vr->vren, vr->vtex, NULL, NULL) < 0)
		return false;
	SDL_RenderFlush(vr->vren);
	for (s32 y = 0; y < 256 && same; y++) {
		const u8 *row = (const u8 *)s->pixels + (size_t)y * (size_t)s->pitch;

		for (s32 x = 0; x < 256; x++) {
			u8 want[4] = {(u8)y, (u8)y, (u8)y, (u8)y};

			blend_px(b, (u8)x, want);
			if (memcmp(want, row + 4 * x, 4)) {
				same = false;
				break;
			}
		}
	}
	return same;
}

/* @rgba's table, verified on first use; NULL when SDL must draw it. */
static const struct blend *blend_get(struct viz_render *vr, u32 rgba)
{
	struct blend *b;

	for (u32 i = 0; i < vr->nblends; i++)
		if (vr->blends[i].rgba == rgba)
			return vr->blends[i].ok ? &vr->blends[i] : NULL;
	if (vr->nblends >= BLEND_MAX)
		return NULL;
	b = &vr->blends[vr->nblends++];
	b->rgba = rgba;
	blend_tables(b);
	b->ok = blend_verify(vr, b);
	if (!b->ok)
		vr->st.blend_fallbacks++;
	return b->ok ? b : NULL;
}

/* Blend @k at (@x, @y) into the RGBA32 surface @s, inside @lim. */
static void ink_draw(SDL_Surface *s, const struct ink *k, s32 x, s32 y, const SDL_Rect *lim,
		     const struct blend *b)
{
	s32 x0 = SDL_max(x, lim->x), y0 = SDL_max(y, lim->y);
	s32 x1 = SDL_min(x + k->w, lim->x + lim->w), y1 = SDL_min(y + k->h, lim->y + lim->h);

	for (s32 py = y0; py < y1; py++) {
		const u8 *src = k->a + (size_t)(py - y) * (size_t)k->w + (size_t)(x0 - x);
		u8 *d = (u8 *)s->pixels + (size_t)py * (size_t)s->pitch + (size_t)x0 * 4;

		for (s32 px = x0; px < x1; px++, src++, d += 4)
			if (*src)
				blend_px(b, *src, d);
	}
}

/*
 * The direct path for text (headless, colour verified, every glyph's ink
 * known): each glyph's ink blended in order into the surface, clipped to
 * @clip and the surface as SDL clips a blit. The same pixels as one
 * SDL_RenderCopy per glyph. False (nothing drawn) when it cannot be used.
 */
static bool text_direct(struct viz_render *vr, const struct viz_dl *dl, const struct viz_item *it,
			const SDL_Rect *clip)
{
	const char *s = dl->text + it->text;
	s32 cw = viz_char_w(it->size);
	SDL_Rect lim = {0, 0, 0, 0};
	const struct blend *b;

	if (!vr->surf || vr->reference || it->size >= MAX_FONT)
		return false;
	for (u32 i = 0; i < it->len; i++) {
		int ci = (u8)s[i] - FIRST_CH;

		if (s[i] == ' ' || !glyph(vr, it->size, s[i]))
			continue; /* the glyph path skips these too */
		if (!vr->ink_ok[it->size][ci])
			return false;
	}
	b = blend_get(vr, it->rgba);
	if (!b)
		return false;
	lim.w = vr->surf->w;
	lim.h = vr->surf->h;
	if (clip && !SDL_IntersectRect(clip, &lim, &lim))
		return true; /* an empty clip: SDL draws nothing either */
	for (u32 i = 0; i < it->len; i++) {
		const struct ink *k;

		if (s[i] == ' ' || !vr->glyph[it->size][(u8)s[i] - FIRST_CH])
			continue;
		k = &vr->ink[it->size][(u8)s[i] - FIRST_CH];
		if (k->a)
			ink_draw(vr->surf, k, it->x + (s32)i * cw + k->ox, it->y + k->oy, &lim, b);
	}
	return true;
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

static void text(struct viz_render *vr, const struct viz_dl *dl, const struct viz_item *it,
		 const SDL_Rect *clip)
{
	struct run *e = NULL;

	if (text_direct(vr, dl, it, clip)) {
		vr->st.direct_text++;
		return;
	}
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
		SDL_Rect whole = {0, 0, vr->surf->w, vr->surf->h};
		Uint32 px;

		SDL_Rect in = rc;

		if (clip && !SDL_IntersectRect(&rc, clip, &in))
			return;
		if (!SDL_IntersectRect(&in, &whole, &out))
			return;
		/* plain stores, row by row (SDL_FillRect's non-temporal
		 * stores send the frame to memory, and the text blended
		 * next reads it back from there) */
		px = SDL_MapRGBA(vr->surf->format, (Uint8)(it->rgba >> 24), (Uint8)(it->rgba >> 16),
				 (Uint8)(it->rgba >> 8), 0xff);
		for (s32 y = out.y; y < out.y + out.h; y++) {
			Uint32 *row = (Uint32 *)((u8 *)vr->surf->pixels +
						 (size_t)y * (size_t)vr->surf->pitch) +
				      out.x;

			for (s32 x = 0; x < out.w; x++)
				row[x] = px;
		}
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
			text(vr, dl, it, clip);
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
