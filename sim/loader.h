/* SPDX-License-Identifier: MIT */
/*
 * Scenario loading (the only user of cJSON) and the canonical writer. Errors are
 * positioned: "file:line:col: /json/path: message"; nothing is half-built on error.
 */
#ifndef MSC_SIM_LOADER_H
#define MSC_SIM_LOADER_H

#include <stdio.h>

#include "sim/scenario.h"

struct scn_error {
	char file[256];
	u32 line, col; /* 1-based; 0 when the error has no position (e.g. unreadable file) */
	char path[256]; /* JSON pointer of the offending value ("" for the document) */
	char msg[512];
};

/* Format @e as "file:line:col: /json/path: message" (parts without value omitted). */
void scn_error_format(const struct scn_error *e, char *buf, size_t n);

/*
 * Parse a scenario file. On success fills @out (free with scn_free) and returns 0.
 * On invalid input returns MSC_EINVAL with @err filled and @out zeroed; on an
 * unreadable file MSC_EIO; too large MSC_E2BIG; out of memory MSC_ENOMEM.
 * @err may be NULL; on success it is zeroed.
 */
int scn_load_file(const char *path, struct scenario *out, struct scn_error *err) MSC_MUST_CHECK;

/* The same from memory; @name is used as the file name in errors and out->file. */
int scn_load_buffer(const char *name, const char *buf, size_t len, struct scenario *out,
		    struct scn_error *err) MSC_MUST_CHECK;

/*
 * Write @s in canonical form (docs/scenario-format.md "Canonical form"): fixed key
 * order, defaults omitted, 64-bit values as lower-case hex strings, two-space
 * indent, each step starting on its own line (on one line when it fits in 100
 * columns). load(write(load(x))) == load(x), and write is a fixed point:
 * write(load(write(s))) is byte-identical to write(s). Returns 0 or MSC_EIO.
 */
int scn_write(const struct scenario *s, FILE *f) MSC_MUST_CHECK;

#endif
