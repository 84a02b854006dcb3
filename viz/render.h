/* SPDX-License-Identifier: MIT */
/*
 * The renderer: drains a draw list into an SDL_Renderer. Headless, SDL's
 * software renderer draws on an RGBA surface (no window, no video driver);
 * text is DejaVu Sans Mono through SDL2_ttf with a glyph cache; headless,
 * glyphs are blended straight into the surface (tables checked against SDL
 * per colour) and opaque fills are plain stores; for a window, an LRU cache
 * of whole text runs. PNG through SDL2_image. SDL types stay out of this
 * header (cli/ includes it).
 */
#ifndef MSC_VIZ_RENDER_H
#define MSC_VIZ_RENDER_H

#include "viz/draw.h"

struct viz_render;
struct SDL_Renderer;

#define VIZ_FONT_DEFAULT "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

/*
 * The font file: $MMUSCOPE_FONT when set, else VIZ_FONT_DEFAULT (Debian's
 * fonts-dejavu-core). NULL when the file cannot be opened; @why then says so.
 */
const char *viz_font_path(char *why, size_t n);

/*
 * A headless renderer drawing on a @w x @h RGBA surface. 0; MSC_EINVAL for a
 * bad size; MSC_ENOENT when the font is missing; MSC_EIO when SDL fails;
 * @why (may be NULL) gets a sentence.
 */
int viz_render_create(struct viz_render **out, s32 w, s32 h, char *why, size_t n) MSC_MUST_CHECK;
/* A renderer drawing through @r (a window's); it does not own @r. */
int viz_render_create_on(struct viz_render **out, struct SDL_Renderer *r, char *why,
			 size_t n) MSC_MUST_CHECK;
void viz_render_destroy(struct viz_render *vr);

/* Clear and draw @dl. 0 or MSC_EIO. */
int viz_render_draw(struct viz_render *vr, const struct viz_dl *dl) MSC_MUST_CHECK;

/* Headless only: the RGBA32 pixels (R, G, B, A bytes), rows @pitch apart. */
bool viz_render_pixels(const struct viz_render *vr, const u8 **px, s32 *w, s32 *h, s32 *pitch);
/* FNV-1a 64 of the RGBA bytes row by row (w * 4 bytes per row); 0 when not headless. */
u64 viz_render_hash(const struct viz_render *vr);
/* Headless only: write the surface as PNG. 0 or MSC_EIO (@why says why). */
int viz_render_save_png(const struct viz_render *vr, const char *path, char *why,
			size_t n) MSC_MUST_CHECK;
/* Read a PNG back as tightly packed RGBA32 bytes (*@rgba: free() it).
 * 0, MSC_EIO (unreadable), MSC_ENOMEM. */
int viz_png_read(const char *path, u8 **rgba, s32 *w, s32 *h) MSC_MUST_CHECK;
/* Glyph textures held in the cache (for tests and the bench). */
u32 viz_render_glyphs(const struct viz_render *vr);

/* What the fast paths did since the renderer was created (for the bench). */
struct viz_render_stats {
	u64 run_hits; /* text items drawn from a cached run texture */
	u64 run_builds; /* run textures built */
	u64 run_evictions; /* least recently used runs dropped (the cache is bounded) */
	u64 glyph_items; /* text items drawn glyph by glyph (inks overlap, too long) */
	u64 direct_fills; /* opaque fills written straight into the headless surface */
	u64 culled; /* items skipped: wholly outside their clip rect */
	u64 direct_text; /* text items blended straight into the headless surface */
	u64 blend_fallbacks; /* colours whose direct blend differed from SDL's (drawn by SDL) */
};
void viz_render_get_stats(const struct viz_render *vr, struct viz_render_stats *st);
/* Reference mode (@on): every glyph and fill goes through SDL one by one, as
 * before the fast paths; the bench checks both give the same pixels. */
void viz_render_set_reference(struct viz_render *vr, bool on);

#endif
