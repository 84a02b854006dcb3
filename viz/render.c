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

struct viz_render {
	SDL_Renderer *r;
	SDL_Surface *surf; /* headless: the target */
	bool own; /* r (and surf) are ours */
	char font_path[512];
	TTF_Font *font[MAX_FONT];
	SDL_Texture *glyph[MAX_FONT][NCH];
	bool glyph_tried[MAX_FONT][NCH];
	u32 nglyphs;
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
	for (int s = 0; s < MAX_FONT; s++) {
		for (int c = 0; c < NCH; c++)
			if (vr->glyph[s][c])
				SDL_DestroyTexture(vr->glyph[s][c]);
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
	SDL_FreeSurface(gs);
	if (vr->glyph[size][ci]) {
		SDL_SetTextureBlendMode(vr->glyph[size][ci], SDL_BLENDMODE_BLEND);
		vr->nglyphs++;
	}
	return vr->glyph[size][ci];
}

static void colour(SDL_Renderer *r, u32 rgba)
{
	SDL_SetRenderDrawColor(r, (Uint8)(rgba >> 24), (Uint8)(rgba >> 16), (Uint8)(rgba >> 8),
			       (Uint8)rgba);
}

static void text(struct viz_render *vr, const struct viz_dl *dl, const struct viz_item *it)
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
		SDL_SetTextureColorMod(t, (Uint8)(it->rgba >> 24), (Uint8)(it->rgba >> 16),
				       (Uint8)(it->rgba >> 8));
		SDL_SetTextureAlphaMod(t, (Uint8)it->rgba);
		SDL_RenderCopy(vr->r, t, NULL, &dst);
	}
}

int viz_render_draw(struct viz_render *vr, const struct viz_dl *dl)
{
	SDL_Renderer *r = vr->r;

	SDL_RenderSetClipRect(r, NULL);
	SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
	if (SDL_RenderClear(r) < 0)
		return MSC_EIO;
	for (size_t i = 0; i < dl->n; i++) {
		const struct viz_item *it = &dl->items[i];
		SDL_Rect rc = {it->x, it->y, it->w, it->h};

		switch ((enum viz_item_kind)it->kind) {
		case VIZ_FILL:
			colour(r, it->rgba);
			SDL_RenderFillRect(r, &rc);
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
			break;
		case VIZ_UNCLIP:
			SDL_RenderSetClipRect(r, NULL);
			break;
		case VIZ_HIT:
			break;
		}
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
