/* SPDX-License-Identifier: MIT */
/*
 * A bounded string appender with snprintf's contract: the buffer always holds a
 * NUL-terminated prefix, and the length reports what the whole output needs.
 */
#ifndef MSC_CPU_SBUF_H
#define MSC_CPU_SBUF_H

#include "cpu/types.h"

struct msc_sbuf {
	char *buf;
	size_t n; /* capacity of buf (0 when buf is NULL) */
	size_t len; /* length the whole output needs */
};

/* Start appending into @buf of @n bytes (@buf may be NULL to only measure). */
void msc_sb_init(struct msc_sbuf *sb, char *buf, size_t n);

/* Append printf-style; output beyond the capacity is counted but not stored. */
__attribute__((format(printf, 2, 3))) void msc_sb_add(struct msc_sbuf *sb, const char *fmt, ...);

/* The full length as snprintf returns it (clamped to INT_MAX). */
int msc_sb_len(const struct msc_sbuf *sb);

#endif
