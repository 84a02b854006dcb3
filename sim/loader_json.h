/* SPDX-License-Identifier: MIT */
/*
 * The JSON layer of the scenario loader, private to sim/loader*.c: cJSON's tree
 * paired with the line:col of every value, a JSON-pointer path, and typed getters
 * whose errors name both (house-style rule 10).
 */
#ifndef MSC_SIM_LOADER_JSON_H
#define MSC_SIM_LOADER_JSON_H

#include <cjson/cJSON.h>

#include "sim/loader.h"
#include "sim/loader_names.h"

/*
 * One JSON value in document order (pre-order): its cJSON node, where it starts,
 * where its key starts when it is an object member, and how many nodes its
 * subtree holds (itself included), so the next sibling is at this + size.
 */
struct jn {
	const cJSON *j;
	u32 line, col;
	u32 kline, kcol;
	u32 size;
};

/* A parsed document; nodes[0] is the root. */
struct jdoc {
	char *text; /* NUL-terminated copy of the input */
	size_t len;
	cJSON *root;
	struct jn *nodes;
	size_t nnodes;
};

/* Error sink and the JSON pointer of the value being read. */
struct jctx {
	struct scn_error *err;
	char path[1024];
	size_t plen;
};

/*
 * Parse @len bytes of @buf: cJSON_ParseWithLengthOpts, then a strict scan that
 * records positions and rejects what cJSON tolerates but JSON does not (leading
 * zeros, control characters, bad UTF-8, \u0000). Returns 0, MSC_EINVAL with @err
 * positioned, or MSC_ENOMEM. @d is empty on error.
 */
int jdoc_parse(struct jdoc *d, const char *buf, size_t len, struct scn_error *err) MSC_MUST_CHECK;
void jdoc_free(struct jdoc *d);

/* Record an error at @line:@col with the current path; returns MSC_EINVAL. */
int jerr_at(struct jctx *c, u32 line, u32 col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Append "/key" or "/index" to the path; returns the length to restore with jpath_pop. */
size_t jpath_key(struct jctx *c, const char *key);
size_t jpath_index(struct jctx *c, size_t i);
void jpath_pop(struct jctx *c, size_t mark);

/* Navigation: first child, next sibling within @parent, member by key, child count. */
const struct jn *jn_first(const struct jn *parent);
const struct jn *jn_next(const struct jn *parent, const struct jn *child);
const struct jn *jn_member(const struct jn *obj, const char *key);
unsigned jn_count(const struct jn *parent);
/* "null", "bool", "number", "string", "array" or "object". */
const char *jn_type(const struct jn *v);

/*
 * Keys of @obj must be in @keys or @more (NULL-terminated; @more may be NULL;
 * @keys NULL = any key) and appear once. @ctx ends the "unknown key" message,
 * e.g. " for op \"map\"". Errors point at the key.
 */
int jn_check_keys(struct jctx *c, const struct jn *obj, const char *const *keys,
		  const char *const *more, const char *ctx) MSC_MUST_CHECK;

/*
 * Typed reads of value @v (the path already names it). Each checks the JSON type
 * ("expected hex string, got number"), then the format and range.
 */
int jv_is(struct jctx *c, const struct jn *v, int cjson_type, const char *want) MSC_MUST_CHECK;
int jv_int(struct jctx *c, const struct jn *v, s64 min, s64 max, s64 *out) MSC_MUST_CHECK;
int jv_bool(struct jctx *c, const struct jn *v, bool *out) MSC_MUST_CHECK;
int jv_string(struct jctx *c, const struct jn *v, size_t max, const char **out,
	      size_t *len) MSC_MUST_CHECK;
int jv_hex(struct jctx *c, const struct jn *v, u64 *out) MSC_MUST_CHECK;
int jv_enum(struct jctx *c, const struct jn *v, const char *what, const char *const *names,
	    unsigned n, unsigned *out) MSC_MUST_CHECK;
/* @field names the value in messages; SCN_FS_HEX values are "hex terms only". */
int jv_flags(struct jctx *c, const struct jn *v, enum scn_flagset fs, const char *field,
	     u64 *out) MSC_MUST_CHECK;

#endif
