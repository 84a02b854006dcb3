/* SPDX-License-Identifier: MIT */
/* The bounded appender shared by the entry decoder, flag printers and trace lines. */
#include "cpu/sbuf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

void msc_sb_init(struct msc_sbuf *sb, char *buf, size_t n)
{
	sb->buf = buf;
	sb->n = buf ? n : 0;
	sb->len = 0;
	if (sb->n)
		buf[0] = '\0';
}

void msc_sb_add(struct msc_sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->n ? sb->n - sb->len : 0;
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (w > 0)
		sb->len += (size_t)w;
}

int msc_sb_len(const struct msc_sbuf *sb)
{
	return sb->len > INT_MAX ? INT_MAX : (int)sb->len;
}
