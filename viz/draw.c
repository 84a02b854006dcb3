/* SPDX-License-Identifier: MIT */
/* The draw list: appends, hit testing, text serialisation and its hash. */
#include "viz/draw.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

void viz_dl_init(struct viz_dl *dl)
{
	memset(dl, 0, sizeof(*dl));
}

void viz_dl_free(struct viz_dl *dl)
{
	free(dl->items);
	free(dl->text);
	viz_dl_init(dl);
}

void viz_dl_reset(struct viz_dl *dl)
{
	dl->n = 0;
	dl->tlen = 0;
	dl->oom = false;
}

static struct viz_item *push(struct viz_dl *dl, u8 kind)
{
	struct viz_item *it;

	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 1024;
		struct viz_item *p = realloc(dl->items, cap * sizeof(*p));

		if (!p) {
			dl->oom = true;
			return NULL;
		}
		dl->items = p;
		dl->cap = cap;
	}
	it = &dl->items[dl->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	return it;
}

static void box(struct viz_dl *dl, u8 kind, s32 x, s32 y, s32 w, s32 h, u32 rgba)
{
	struct viz_item *it = push(dl, kind);

	if (!it)
		return;
	it->x = x;
	it->y = y;
	it->w = w;
	it->h = h;
	it->rgba = rgba;
}

void viz_fill(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h, u32 rgba)
{
	if (w > 0 && h > 0)
		box(dl, VIZ_FILL, x, y, w, h, rgba);
}

void viz_rect(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h, u32 rgba)
{
	if (w > 0 && h > 0)
		box(dl, VIZ_RECT, x, y, w, h, rgba);
}

void viz_line(struct viz_dl *dl, s32 x, s32 y, s32 x2, s32 y2, u32 rgba)
{
	box(dl, VIZ_LINE, x, y, x2, y2, rgba);
}

void viz_clip(struct viz_dl *dl, s32 x, s32 y, s32 w, s32 h)
{
	box(dl, VIZ_CLIP, x, y, w < 0 ? 0 : w, h < 0 ? 0 : h, 0);
}

void viz_unclip(struct viz_dl *dl)
{
	push(dl, VIZ_UNCLIP);
}

void viz_hit(struct viz_dl *dl, enum viz_hit_kind kind, s32 x, s32 y, s32 w, s32 h, u64 arg)
{
	struct viz_item *it;

	if (w <= 0 || h <= 0)
		return;
	it = push(dl, VIZ_HIT);
	if (!it)
		return;
	it->hit = (u8)kind;
	it->x = x;
	it->y = y;
	it->w = w;
	it->h = h;
	it->arg = arg;
}

s32 viz_text(struct viz_dl *dl, s32 x, s32 y, u8 size, u32 rgba, const char *s, size_t max_chars)
{
	size_t len = strlen(s);
	struct viz_item *it;

	if (max_chars && len > max_chars)
		len = max_chars;
	if (!len)
		return 0;
	if (dl->tlen + len > dl->tcap) {
		size_t cap = dl->tcap ? dl->tcap : 16384;
		char *p;

		while (cap < dl->tlen + len)
			cap *= 2;
		p = realloc(dl->text, cap);
		if (!p) {
			dl->oom = true;
			return 0;
		}
		dl->text = p;
		dl->tcap = cap;
	}
	it = push(dl, VIZ_TEXT);
	if (!it)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		dl->text[dl->tlen + i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	it->x = x;
	it->y = y;
	it->size = size;
	it->rgba = rgba;
	it->text = (u32)dl->tlen;
	it->len = (u32)len;
	it->w = (s32)len * viz_char_w(size);
	it->h = viz_line_h(size);
	dl->tlen += len;
	return it->w;
}

s32 viz_textf(struct viz_dl *dl, s32 x, s32 y, u8 size, u32 rgba, size_t max_chars, const char *fmt,
	      ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return viz_text(dl, x, y, size, rgba, buf, max_chars);
}

const struct viz_item *viz_dl_hit_at(const struct viz_dl *dl, s32 x, s32 y)
{
	for (size_t i = dl->n; i-- > 0;) {
		const struct viz_item *it = &dl->items[i];

		if (it->kind == VIZ_HIT && x >= it->x && y >= it->y && x < it->x + it->w &&
		    y < it->y + it->h)
			return it;
	}
	return NULL;
}

static const char *const hit_names[] = {"step", "gpt", "sp", "hash", "panel", "strip"};

/* One item as text; returns the length (snprintf semantics). */
static int item_format(const struct viz_dl *dl, const struct viz_item *it, char *buf, size_t n)
{
	switch ((enum viz_item_kind)it->kind) {
	case VIZ_FILL:
	case VIZ_RECT:
		return snprintf(buf, n, "%s %d %d %d %d #%08x",
				it->kind == VIZ_FILL ? "fill" : "rect", it->x, it->y, it->w, it->h,
				it->rgba);
	case VIZ_LINE:
		return snprintf(buf, n, "line %d %d %d %d #%08x", it->x, it->y, it->w, it->h,
				it->rgba);
	case VIZ_TEXT:
		return snprintf(buf, n, "text %d %d %u #%08x \"%.*s\"", it->x, it->y, it->size,
				it->rgba, (int)it->len, dl->text + it->text);
	case VIZ_CLIP:
		return snprintf(buf, n, "clip %d %d %d %d", it->x, it->y, it->w, it->h);
	case VIZ_UNCLIP:
		return snprintf(buf, n, "unclip");
	case VIZ_HIT:
		return snprintf(buf, n, "hit %s %d %d %d %d 0x%llx",
				it->hit < MSC_ARRAY_SIZE(hit_names) ? hit_names[it->hit] : "?",
				it->x, it->y, it->w, it->h, (unsigned long long)it->arg);
	}
	return snprintf(buf, n, "?");
}

int viz_dl_write(const struct viz_dl *dl, FILE *f)
{
	char buf[1024];

	for (size_t i = 0; i < dl->n; i++) {
		item_format(dl, &dl->items[i], buf, sizeof(buf));
		if (fprintf(f, "%s\n", buf) < 0)
			return MSC_EIO;
	}
	return ferror(f) ? MSC_EIO : 0;
}

u64 viz_dl_hash(const struct viz_dl *dl)
{
	u64 h = 0xcbf29ce484222325ULL;
	char buf[1024];

	for (size_t i = 0; i < dl->n; i++) {
		int len = item_format(dl, &dl->items[i], buf, sizeof(buf));

		if (len < 0)
			continue;
		if ((size_t)len >= sizeof(buf))
			len = (int)sizeof(buf) - 1;
		for (int k = 0; k < len; k++) {
			h ^= (u8)buf[k];
			h *= 0x100000001b3ULL;
		}
		h ^= '\n';
		h *= 0x100000001b3ULL;
	}
	return h;
}
