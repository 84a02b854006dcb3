/* SPDX-License-Identifier: MIT */
/*
 * The loader's getters: look up a member, push its key on the JSON path, read it
 * with a typed reader; and positioned errors about members.
 */
#include "sim/loader_priv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/err.h"

int ld_nomem(struct ld *L)
{
	L->c.err->line = L->c.err->col = 0;
	L->c.err->path[0] = 0;
	snprintf(L->c.err->msg, sizeof(L->c.err->msg), "out of memory");
	return MSC_ENOMEM;
}

/* Member @key of @o: 1 and *v when present, 0 when absent (an error when @req). */
int ld_member(struct ld *L, const struct jn *o, const char *key, bool req, const struct jn **v)
{
	*v = jn_member(o, key);
	if (*v)
		return 1;
	if (req)
		return jerr_at(&L->c, o->line, o->col, "missing required key \"%s\"", key);
	return 0;
}

/*
 * An error about member @key of @o (at its value, or at @o when it is absent,
 * i.e. when a default is at fault). Returns MSC_EINVAL.
 */
int ld_key_err(struct ld *L, const struct jn *o, const char *key, const char *fmt, ...)
{
	const struct jn *v = key ? jn_member(o, key) : NULL;
	size_t mark = L->c.plen;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v)
		mark = jpath_key(&L->c, key);
	jerr_at(&L->c, v ? v->line : o->line, v ? v->col : o->col, "%s", msg);
	jpath_pop(&L->c, mark);
	return MSC_EINVAL;
}

/* The same at the key of member @key (unknown or misplaced keys). */
int ld_at_key(struct ld *L, const struct jn *o, const char *key, const char *fmt, ...)
{
	const struct jn *v = jn_member(o, key);
	size_t mark = jpath_key(&L->c, key);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jerr_at(&L->c, v->kline, v->kcol, "%s", msg);
	jpath_pop(&L->c, mark);
	return MSC_EINVAL;
}

int ld_get_int(struct ld *L, const struct jn *o, const char *key, bool req, s64 min, s64 max,
	       s64 *out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, req, &v);
	size_t mark;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_int(&L->c, v, min, max, out);
	jpath_pop(&L->c, mark);
	return rc ? rc : 1;
}

int ld_get_hex(struct ld *L, const struct jn *o, const char *key, bool req, u64 *out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, req, &v);
	size_t mark;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_hex(&L->c, v, out);
	jpath_pop(&L->c, mark);
	return rc ? rc : 1;
}

int ld_get_bool(struct ld *L, const struct jn *o, const char *key, bool *out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, OPT, &v);
	size_t mark;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_bool(&L->c, v, out);
	jpath_pop(&L->c, mark);
	return rc ? rc : 1;
}

int ld_get_enum(struct ld *L, const struct jn *o, const char *key, bool req, const char *what,
		const char *const *names, unsigned n, unsigned *out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, req, &v);
	size_t mark;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_enum(&L->c, v, what, names, n, out);
	jpath_pop(&L->c, mark);
	return rc ? rc : 1;
}

int ld_get_flags(struct ld *L, const struct jn *o, const char *key, bool req, enum scn_flagset fs,
		 const char *field, u64 *out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, req, &v);
	size_t mark;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_flags(&L->c, v, fs, field, out);
	jpath_pop(&L->c, mark);
	return rc ? rc : 1;
}

/* A string member copied into the scenario's arena. */
int ld_get_str(struct ld *L, const struct jn *o, const char *key, bool req, const char **out)
{
	const struct jn *v;
	int rc = ld_member(L, o, key, req, &v);
	const char *s;
	size_t mark, len;

	if (rc <= 0)
		return rc;
	mark = jpath_key(&L->c, key);
	rc = jv_string(&L->c, v, SCN_MAX_STRING, &s, &len);
	jpath_pop(&L->c, mark);
	if (rc)
		return rc;
	*out = scn_strndup(L->s, s, len);
	return *out ? 1 : ld_nomem(L);
}

/* A page size ("4k" ...) in bytes. */
int ld_get_size(struct ld *L, const struct jn *o, const char *key, u64 *out)
{
	unsigned i;
	int rc = ld_get_enum(L, o, key, OPT, "page size", scn_size_names, 4, &i);

	if (rc > 0)
		*out = scn_size_bytes[i];
	return rc;
}

/* An access size: 1, 2, 4 or 8 bytes. */
int ld_get_access_size(struct ld *L, const struct jn *o, u8 *out)
{
	s64 v;
	int rc = ld_get_int(L, o, "size", OPT, 0, 64, &v);

	if (rc <= 0)
		return rc;
	if (v != 1 && v != 2 && v != 4 && v != 8)
		return ld_key_err(L, o, "size", "size %" PRId64 " is not 1, 2, 4 or 8", v);
	*out = (u8)v;
	return 1;
}

/* Member @key must be an object with only @keys; 1 and *v when present. */
int ld_get_obj(struct ld *L, const struct jn *o, const char *key, bool req, const char *const *keys,
	       const struct jn **v)
{
	int rc = ld_member(L, o, key, req, v);

	if (rc <= 0)
		return rc;
	jpath_key(&L->c, key); /* the caller reads inside the object and pops */
	rc = jv_is(&L->c, *v, cJSON_Object, "object");
	if (!rc)
		rc = jn_check_keys(&L->c, *v, keys, NULL, "");
	return rc ? rc : 1;
}

/* Member @key must be an array; 1 and *v when present (path pushed as for get_obj). */
int ld_get_arr(struct ld *L, const struct jn *o, const char *key, bool req, const struct jn **v)
{
	int rc = ld_member(L, o, key, req, v);

	if (rc <= 0)
		return rc;
	jpath_key(&L->c, key);
	rc = jv_is(&L->c, *v, cJSON_Array, "array");
	return rc ? rc : 1;
}

struct scn_pos ld_pos(const struct jn *v)
{
	return (struct scn_pos){v->line, v->col};
}

/* The value of @v fits in @bytes bytes (1..8)? */
bool ld_fits(u64 v, unsigned bytes)
{
	return bytes >= 8 || !(v >> (8 * bytes));
}

/* "value 0x1ff does not fit in 1 byte" at member "value" of @o. */
int ld_fit_err(struct ld *L, const struct jn *o, u64 v, unsigned bytes)
{
	return ld_key_err(L, o, "value", "value 0x%" PRIx64 " does not fit in %u byte%s", v, bytes,
			  bytes == 1 ? "" : "s");
}
