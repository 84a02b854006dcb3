/* SPDX-License-Identifier: MIT */
/*
 * JSON with positions: cJSON parses, a strict scanner walks the same text in step
 * with cJSON's tree to give every value its line:col, and typed getters turn
 * wrong values into "file:line:col: /path: message" errors.
 */
#include "sim/loader_json.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

#define MAX_DEPTH 1000 /* as cJSON's CJSON_NESTING_LIMIT */
#define TWO_53 9007199254740992.0

/* Line and column (1-based, in bytes) of byte @off of @t. */
static void line_col(const char *t, size_t off, u32 *line, u32 *col)
{
	u32 l = 1;
	size_t ls = 0;

	for (size_t i = 0; i < off; i++)
		if (t[i] == '\n') {
			l++;
			ls = i + 1;
		}
	*line = l;
	*col = (u32)(off - ls + 1);
}

/*
 * The scanner. With @tree it records one struct jn per value and checks that the
 * text and cJSON's tree agree value by value; without it only diagnoses.
 */
struct scan {
	const char *t;
	size_t len, i;
	u32 line;
	size_t lstart; /* offset of the current line's first byte */
	bool tree;
	struct jn *nodes;
	size_t n, cap;
	const char *err; /* static message of the first error, at err_off */
	size_t err_off;
};

static bool fail(struct scan *S, size_t off, const char *msg)
{
	S->err = msg;
	S->err_off = off;
	return false;
}

static u32 col_of(const struct scan *S, size_t off)
{
	return (u32)(off - S->lstart + 1);
}

/* JSON whitespace only: cJSON also skips other control characters. */
static void skip_ws(struct scan *S)
{
	while (S->i < S->len) {
		char c = S->t[S->i];

		if (c == '\n') {
			S->line++;
			S->lstart = S->i + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		S->i++;
	}
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the well-formed UTF-8 sequence at @p (at most @left bytes), 0 if bad. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n > left || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return n;
}

/*
 * A string at S->i (on its opening quote). cJSON decodes it; this checks what
 * cJSON lets through: raw control characters, \u0000 (which would cut the C
 * string short) and malformed UTF-8. Surrogate pairs are left to cJSON.
 */
static bool scan_string(struct scan *S)
{
	size_t start = S->i++;

	for (;;) {
		unsigned char c;

		if (S->i >= S->len)
			return fail(S, start, "unterminated string");
		c = (unsigned char)S->t[S->i];
		if (c == '"') {
			S->i++;
			return true;
		}
		if (c == '\\') {
			char e = S->i + 1 < S->len ? S->t[S->i + 1] : 0;

			if (e == 'u') {
				if (S->i + 6 > S->len || !is_hex(S->t[S->i + 2]) ||
				    !is_hex(S->t[S->i + 3]) || !is_hex(S->t[S->i + 4]) ||
				    !is_hex(S->t[S->i + 5]))
					return fail(S, S->i,
						    "bad \\u escape: four hex digits expected");
				if (!memcmp(S->t + S->i + 2, "0000", 4))
					return fail(S, S->i, "\\u0000 is not allowed in strings");
				S->i += 6;
			} else if (e && strchr("\"\\/bfnrt", e)) {
				S->i += 2;
			} else {
				return fail(S, S->i, "bad escape in string");
			}
		} else if (c < 0x20) {
			return fail(S, S->i, "control character in string (escape it)");
		} else if (c < 0x80) {
			S->i++;
		} else {
			size_t n = utf8_len((const unsigned char *)S->t + S->i, S->len - S->i);

			if (!n)
				return fail(S, S->i, "invalid UTF-8 in string");
			S->i += n;
		}
	}
}

static bool digits(struct scan *S)
{
	size_t s = S->i;

	while (S->i < S->len && S->t[S->i] >= '0' && S->t[S->i] <= '9')
		S->i++;
	return S->i > s;
}

/* RFC 8259 numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct scan *S)
{
	size_t start = S->i;

	if (S->t[S->i] == '-')
		S->i++;
	if (S->i < S->len && S->t[S->i] == '0')
		S->i++;
	else if (!digits(S))
		return fail(S, start, "invalid number");
	if (S->i < S->len && S->t[S->i] == '.') {
		S->i++;
		if (!digits(S))
			return fail(S, start, "invalid number");
	}
	if (S->i < S->len && (S->t[S->i] == 'e' || S->t[S->i] == 'E')) {
		S->i++;
		if (S->i < S->len && (S->t[S->i] == '+' || S->t[S->i] == '-'))
			S->i++;
		if (!digits(S))
			return fail(S, start, "invalid number");
	}
	if (S->i < S->len && (is_hex(S->t[S->i]) || S->t[S->i] == '.' || S->t[S->i] == 'x'))
		return fail(S, start, "invalid number");
	return true;
}

/* cJSON's node must be of @type for the text's value (tree mode). */
static bool agree(struct scan *S, const cJSON *j, int type, size_t at)
{
	if (S->tree && (!j || (j->type & 0xff) != type))
		return fail(S, at, "invalid JSON");
	return true;
}

static bool scan_value(struct scan *S, const cJSON *j, u32 kline, u32 kcol, unsigned depth);

/* An object or array at S->i; members of objects have keys. */
static bool scan_container(struct scan *S, const cJSON *j, bool obj, unsigned depth)
{
	const cJSON *child = j ? j->child : NULL;
	char close = obj ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return fail(S, S->i, "nesting deeper than 1000");
	S->i++;
	skip_ws(S);
	if (S->i < S->len && S->t[S->i] == close) {
		S->i++;
		return !(S->tree && child) || fail(S, S->i - 1, "invalid JSON");
	}
	for (;;) {
		u32 kl = 0, kc = 0;

		skip_ws(S);
		if (obj) {
			if (S->i >= S->len)
				return fail(S, S->i, "unexpected end of input");
			if (S->t[S->i] != '"')
				return fail(S, S->i, "expected a string key");
			kl = S->line;
			kc = col_of(S, S->i);
			if (!scan_string(S))
				return false;
			skip_ws(S);
			if (S->i >= S->len || S->t[S->i] != ':')
				return fail(S, S->i,
					    S->i >= S->len ? "unexpected end of input"
							   : "expected ':' after a key");
			S->i++;
		}
		if (S->tree && !child)
			return fail(S, S->i, "invalid JSON");
		if (!scan_value(S, child, kl, kc, depth + 1))
			return false;
		if (child)
			child = child->next;
		skip_ws(S);
		if (S->i < S->len && S->t[S->i] == ',') {
			S->i++;
			continue;
		}
		if (S->i < S->len && S->t[S->i] == close) {
			S->i++;
			break;
		}
		if (S->i >= S->len)
			return fail(S, S->i, "unexpected end of input");
		return fail(S, S->i, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	return !(S->tree && child) || fail(S, S->i - 1, "invalid JSON");
}

static bool literal(struct scan *S, const char *word)
{
	size_t n = strlen(word);

	if (S->len - S->i < n || memcmp(S->t + S->i, word, n))
		return fail(S, S->i,
			    S->i >= S->len ? "unexpected end of input" : "invalid literal");
	S->i += n;
	return true;
}

/*
 * One value at S->i. In tree mode the value gets the next struct jn (pre-order,
 * the order cJSON links children in) with its position and, once its subtree is
 * scanned, its size.
 */
static bool scan_value(struct scan *S, const cJSON *j, u32 kline, u32 kcol, unsigned depth)
{
	size_t at, idx = 0;
	bool ok;

	skip_ws(S);
	at = S->i;
	if (at >= S->len)
		return fail(S, at, "unexpected end of input");
	if (S->tree) {
		if (S->n >= S->cap)
			return fail(S, at, "invalid JSON");
		idx = S->n++;
		S->nodes[idx] = (struct jn){j, S->line, col_of(S, at), kline, kcol, 1};
	}
	switch (S->t[at]) {
	case '{':
		ok = agree(S, j, cJSON_Object, at) && scan_container(S, j, true, depth);
		break;
	case '[':
		ok = agree(S, j, cJSON_Array, at) && scan_container(S, j, false, depth);
		break;
	case '"':
		ok = agree(S, j, cJSON_String, at) && scan_string(S);
		break;
	case 't':
		ok = agree(S, j, cJSON_True, at) && literal(S, "true");
		break;
	case 'f':
		ok = agree(S, j, cJSON_False, at) && literal(S, "false");
		break;
	case 'n':
		ok = agree(S, j, cJSON_NULL, at) && literal(S, "null");
		break;
	default:
		if (S->t[at] == '-' || (S->t[at] >= '0' && S->t[at] <= '9'))
			ok = agree(S, j, cJSON_Number, at) && scan_number(S);
		else
			ok = fail(S, at, "expected a value");
		break;
	}
	if (ok && S->tree)
		S->nodes[idx].size = (u32)(S->n - idx);
	return ok;
}

/* Scan the whole text: an optional UTF-8 BOM, one value, whitespace. */
static bool scan_doc(struct scan *S, const cJSON *root)
{
	if (S->len >= 3 && !memcmp(S->t, "\xef\xbb\xbf", 3))
		S->i = 3;
	if (!scan_value(S, root, 0, 0, 0))
		return false;
	skip_ws(S);
	return S->i >= S->len || fail(S, S->i, "unexpected text after the document");
}

/* Values in cJSON's tree (bounded by its nesting limit, so the recursion is too). */
static size_t count_nodes(const cJSON *j)
{
	size_t n = 1;

	for (const cJSON *c = j->child; c; c = c->next)
		n += count_nodes(c);
	return n;
}

static int parse_error(struct scn_error *err, const char *t, size_t off, const char *msg)
{
	line_col(t, off, &err->line, &err->col);
	err->path[0] = 0;
	snprintf(err->msg, sizeof(err->msg), "invalid JSON: %s", msg);
	return MSC_EINVAL;
}

/*
 * Three passes over the text: a NUL check (cJSON would stop at a NUL and take it
 * for the end), cJSON's parse, then the scan that pairs every cJSON node with its
 * place. The scan never sees text cJSON refused, except to find words for the
 * error at cJSON's end pointer.
 */
int jdoc_parse(struct jdoc *d, const char *buf, size_t len, struct scn_error *err)
{
	struct scan S = {.t = buf, .len = len, .line = 1};
	const char *nul = memchr(buf, 0, len);
	const char *end = NULL;

	memset(d, 0, sizeof(*d));
	if (nul)
		return parse_error(err, buf, (size_t)(nul - buf), "NUL byte in the file");
	d->text = malloc(len + 1);
	if (!d->text)
		return MSC_ENOMEM;
	memcpy(d->text, buf, len);
	d->text[len] = 0;
	d->len = len;
	S.t = d->text;

	/* The length includes the NUL: require_null_terminated looks for it. */
	d->root = cJSON_ParseWithLengthOpts(d->text, len + 1, &end, 1);
	if (!d->root) {
		size_t off = end && end >= d->text ? (size_t)(end - d->text) : 0;

		/* The place is cJSON's; the words are the strict scanner's, when it has any. */
		if (scan_doc(&S, NULL))
			S.err = off >= len ? "unexpected end of input" : "syntax error";
		parse_error(err, d->text, off > len ? len : off, S.err);
		jdoc_free(d);
		return MSC_EINVAL;
	}
	S.cap = count_nodes(d->root);
	S.nodes = calloc(S.cap, sizeof(*S.nodes));
	if (!S.nodes) {
		jdoc_free(d);
		return MSC_ENOMEM;
	}
	S.tree = true;
	d->nodes = S.nodes;
	d->nnodes = S.cap;
	if (!scan_doc(&S, d->root) || S.n != S.cap) {
		parse_error(err, d->text, S.err ? S.err_off : 0, S.err ? S.err : "invalid JSON");
		jdoc_free(d);
		return MSC_EINVAL;
	}
	return 0;
}

void jdoc_free(struct jdoc *d)
{
	cJSON_Delete(d->root);
	free(d->nodes);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

int jerr_at(struct jctx *c, u32 line, u32 col, const char *fmt, ...)
{
	va_list ap;

	c->err->line = line;
	c->err->col = col;
	snprintf(c->err->path, sizeof(c->err->path), "%.*s", (int)sizeof(c->err->path) - 1,
		 c->path);
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return MSC_EINVAL;
}

/* Append to the path, keeping it NUL-terminated; components never exceed ~260 bytes. */
static void path_putc(struct jctx *c, char ch)
{
	if (c->plen + 1 < sizeof(c->path)) {
		c->path[c->plen++] = ch;
		c->path[c->plen] = 0;
	}
}

size_t jpath_key(struct jctx *c, const char *key)
{
	size_t mark = c->plen;

	path_putc(c, '/');
	/* RFC 6901 escapes; bytes outside printable ASCII shown as \xNN; long keys cut. */
	for (size_t i = 0; key[i] && i < 64; i++) {
		unsigned char ch = (unsigned char)key[i];
		char hex[8];

		if (ch == '~' || ch == '/') {
			path_putc(c, '~');
			path_putc(c, ch == '~' ? '0' : '1');
		} else if (ch < 0x20 || ch > 0x7e) {
			snprintf(hex, sizeof(hex), "\\x%02x", ch);
			for (char *h = hex; *h; h++)
				path_putc(c, *h);
		} else {
			path_putc(c, (char)ch);
		}
	}
	return mark;
}

size_t jpath_index(struct jctx *c, size_t i)
{
	size_t mark = c->plen;
	char num[24];

	snprintf(num, sizeof(num), "/%zu", i);
	for (char *p = num; *p; p++)
		path_putc(c, *p);
	return mark;
}

void jpath_pop(struct jctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = 0;
}

const struct jn *jn_first(const struct jn *parent)
{
	return parent->size > 1 ? parent + 1 : NULL;
}

const struct jn *jn_next(const struct jn *parent, const struct jn *child)
{
	const struct jn *n = child + child->size;

	return n < parent + parent->size ? n : NULL;
}

const struct jn *jn_member(const struct jn *obj, const char *key)
{
	for (const struct jn *m = jn_first(obj); m; m = jn_next(obj, m))
		if (m->j->string && !strcmp(m->j->string, key))
			return m;
	return NULL;
}

unsigned jn_count(const struct jn *parent)
{
	unsigned n = 0;

	for (const struct jn *m = jn_first(parent); m; m = jn_next(parent, m))
		n++;
	return n;
}

const char *jn_type(const struct jn *v)
{
	switch (v->j->type & 0xff) {
	case cJSON_False:
	case cJSON_True:
		return "bool";
	case cJSON_NULL:
		return "null";
	case cJSON_Number:
		return "number";
	case cJSON_String:
		return "string";
	case cJSON_Array:
		return "array";
	case cJSON_Object:
		return "object";
	default:
		return "value";
	}
}

static bool in_list(const char *const *list, const char *key)
{
	for (; list && *list; list++)
		if (!strcmp(*list, key))
			return true;
	return false;
}

/* "a b c" of both lists into @buf. */
static void list_keys(char *buf, size_t n, const char *const *a, const char *const *b)
{
	size_t o = 0;

	buf[0] = 0;
	for (int k = 0; k < 2; k++)
		for (const char *const *p = k ? b : a; p && *p; p++)
			if (o < n)
				o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? " " : "", *p);
}

/*
 * One pass in document order, so the first offending key is the one reported. The
 * duplicate search looks only at earlier members, which are all distinct known
 * keys (or, for free-form objects, at most SCN_MAX_LIST: callers bound them first).
 */
int jn_check_keys(struct jctx *c, const struct jn *obj, const char *const *keys,
		  const char *const *more, const char *ctx)
{
	for (const struct jn *m = jn_first(obj); m; m = jn_next(obj, m)) {
		const char *key = m->j->string;
		char q[64], known[320];
		size_t mark;
		int rc = 0;

		if (keys && !in_list(keys, key) && !in_list(more, key)) {
			list_keys(known, sizeof(known), keys, more);
			mark = jpath_key(c, key);
			rc = jerr_at(c, m->kline, m->kcol, "unknown key %s%s; known keys: %s",
				     scn_quote(q, sizeof(q), key, strlen(key)), ctx, known);
			jpath_pop(c, mark);
			return rc;
		}
		for (const struct jn *p = jn_first(obj); p != m; p = jn_next(obj, p)) {
			if (strcmp(p->j->string, key))
				continue;
			mark = jpath_key(c, key);
			rc = jerr_at(c, m->kline, m->kcol, "duplicate key %s",
				     scn_quote(q, sizeof(q), key, strlen(key)));
			jpath_pop(c, mark);
			return rc;
		}
	}
	return 0;
}

int jv_is(struct jctx *c, const struct jn *v, int cjson_type, const char *want)
{
	if ((v->j->type & 0xff) == cjson_type)
		return 0;
	return jerr_at(c, v->line, v->col, "expected %s, got %s", want, jn_type(v));
}

int jv_int(struct jctx *c, const struct jn *v, s64 min, s64 max, s64 *out)
{
	double d = v->j->valuedouble;
	s64 i;

	if (!cJSON_IsNumber(v->j))
		return jerr_at(c, v->line, v->col, "expected integer, got %s", jn_type(v));
	/* The value went through a double: beyond 2^53 it is no longer exact. */
	if (!(d >= -TWO_53 && d <= TWO_53))
		return jerr_at(c, v->line, v->col, "integer out of range (beyond 2^53)");
	i = (s64)d;
	if ((double)i != d)
		return jerr_at(c, v->line, v->col, "expected integer, got %g", d);
	if (i < min || i > max)
		return jerr_at(c, v->line, v->col,
			       "%" PRId64 " is out of range %" PRId64 "..%" PRId64, i, min, max);
	*out = i;
	return 0;
}

int jv_bool(struct jctx *c, const struct jn *v, bool *out)
{
	if (!cJSON_IsBool(v->j))
		return jerr_at(c, v->line, v->col, "expected bool, got %s", jn_type(v));
	*out = cJSON_IsTrue(v->j);
	return 0;
}

int jv_string(struct jctx *c, const struct jn *v, size_t max, const char **out, size_t *len)
{
	size_t n;

	if (!cJSON_IsString(v->j))
		return jerr_at(c, v->line, v->col, "expected string, got %s", jn_type(v));
	n = strlen(v->j->valuestring);
	if (n > max)
		return jerr_at(c, v->line, v->col, "string of %zu bytes is too long (at most %zu)",
			       n, max);
	*out = v->j->valuestring;
	*len = n;
	return 0;
}

int jv_hex(struct jctx *c, const struct jn *v, u64 *out)
{
	const char *s = v->j->valuestring;
	char q[64];

	if (!cJSON_IsString(v->j))
		return jerr_at(c, v->line, v->col, "expected hex string, got %s", jn_type(v));
	if (!scn_hex_parse(s, strlen(s), out))
		return jerr_at(c, v->line, v->col,
			       "expected hex string (\"0x\" and 1..16 hex digits), got %s",
			       scn_quote(q, sizeof(q), s, strlen(s)));
	return 0;
}

/* A name from @names (index into *out); the message lists them all. */
int jv_enum(struct jctx *c, const struct jn *v, const char *what, const char *const *names,
	    unsigned n, unsigned *out)
{
	const char *s = v->j->valuestring;
	char q[64], list[320];
	size_t o = 0;

	if (!cJSON_IsString(v->j))
		return jerr_at(c, v->line, v->col, "expected string, got %s", jn_type(v));
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], s)) {
			*out = i;
			return 0;
		}
	list[0] = 0;
	for (unsigned i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? " " : "", names[i]);
	return jerr_at(c, v->line, v->col, "unknown %s %s; expected one of: %s", what,
		       scn_quote(q, sizeof(q), s, strlen(s)), list);
}

int jv_flags(struct jctx *c, const struct jn *v, enum scn_flagset fs, const char *field, u64 *out)
{
	char why[400];

	if (!cJSON_IsString(v->j))
		return jerr_at(c, v->line, v->col, "expected %s string, got %s",
			       fs == SCN_FS_HEX ? "hex" : "flags", jn_type(v));
	if (scn_flags_parse(fs, field, v->j->valuestring, out, why, sizeof(why)))
		return jerr_at(c, v->line, v->col, "%s", why);
	return 0;
}
