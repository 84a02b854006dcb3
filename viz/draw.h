/* SPDX-License-Identifier: MIT */
/*
 * The draw list: what the layout stage produces and the renderer drains, as
 * plain data (filled rects, outlines, lines, text runs, clip rects, hit
 * regions). SDL-free; serialised one line per item for goldens.
 */
#ifndef MSC_VIZ_DRAW_H
#define MSC_VIZ_DRAW_H

#include <stdio.h>

#include "cpu/types.h"

enum viz_item_kind {
	VIZ_FILL, /* filled rect x,y,w,h */
	VIZ_RECT, /* 1-pixel outline */
	VIZ_LINE, /* x,y -> x2,y2 (w,h hold x2,y2) */
	VIZ_TEXT, /* text run at x,y (top-left), font size in px */
	VIZ_CLIP, /* clip later items to x,y,w,h */
	VIZ_UNCLIP, /* drop the clip */
	VIZ_HIT, /* a hit region: no pixels */
};

/* What a click or hover on a hit region means. */
enum viz_hit_kind {
	VIZ_HIT_STEP, /* arg: a step index (0-based): jump to the state after it */
	VIZ_HIT_GPT, /* arg: guest address of a page-table entry: expand/collapse */
	VIZ_HIT_SP, /* arg: hpa of a shadow page: expand/collapse */
	VIZ_HIT_HASH, /* the 64x64 grid: arg = cell size; bucket from the position */
	VIZ_HIT_PANEL, /* arg: enum viz_panel: the wheel scrolls it */
	VIZ_HIT_STRIP, /* the root-cache strip: arg = number of steps; x maps to a step */
};

struct viz_item {
	u8 kind; /* enum viz_item_kind */
	u8 size; /* text: font size in px */
	u8 hit; /* VIZ_HIT: enum viz_hit_kind */
	s32 x, y, w, h;
	u32 rgba; /* 0xRRGGBBAA */
	u32 text, len; /* text: offset and length in the list's text arena */
	u64 arg; /* VIZ_HIT */
};

struct viz_dl {
	struct viz_item *items;
	size_t n, cap;
	char *text;
	size_t tlen, tcap;
	bool oom; /* an append failed: the list is incomplete */
};

/* Monospace metrics shared by layout and renderer: the advance and line
 * height of the font at @size px (DejaVu Sans Mono: 1233/2048 em). */
static inline s32 viz_char_w(u8 size)
{
	return (s32)((size * 1233u + 1024u) / 2048u);
}
static inline s32 viz_line_h(u8 size)
{
	return (s32)size + (s32)size / 4 + 1;
}

void viz_dl_init(struct viz_dl *dl);
void viz_dl_free(struct viz_dl *dl);
/* Empty the list, keeping its memory. */
void viz_dl_reset(struct viz_dl *dl);

/* Appends (a failed allocation sets dl->oom and drops the item). */
void viz_fill(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h, u32 rgba);
void viz_rect(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h, u32 rgba);
void viz_line(struct viz_dl *dl, s32 x, s32 y, s32 x2, s32 y2, u32 rgba);
void viz_clip(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h);
void viz_unclip(struct viz_dl *dl);
void viz_hit(struct viz_dl *dl, enum viz_hit_kind kind, s32 x, s32 y, s32 w, s32 h, u64 arg);
/* Text (printable ASCII; others become '?'), cut to @max_chars (0: no limit).
 * Returns the width in pixels. */
s32 viz_text(struct viz_dl *dl, s32 x, s32 y, u8 size, u32 rgba, const char *s, size_t max_chars);
s32 viz_textf(struct viz_dl *dl, s32 x, s32 y, u8 size, u32 rgba, size_t max_chars, const char *fmt,
	      ...) __attribute__((format(printf, 7, 8)));

/* The topmost hit region containing (x, y), or NULL. */
const struct viz_item *viz_dl_hit_at(const struct viz_dl *dl, s32 x, s32 y);

/* One line per item, deterministic: "fill 0 0 10 10 #102030ff" ...
 * Returns 0 or MSC_EIO. */
int viz_dl_write(const struct viz_dl *dl, FILE *f) MSC_MUST_CHECK;
/* FNV-1a 64 over the serialised list (the GUI trace's draw-list hash). */
u64 viz_dl_hash(const struct viz_dl *dl);

#endif
