/* json.c — a JSON reader that reports errors the way serde_json does.
 *
 * CH answers a bad vm.create body with serde_json's message, position
 * included ("expected `,` or `}` at line 1 column 17"). serde_json counts a
 * position as (line, bytes consumed on that line) after the offending byte,
 * and checks syntax and types in one pass. This reader does the syntax half
 * and keeps enough positions (each scalar's last byte, each container's
 * brackets, each key's closing quote) for schema.c to do the type half and
 * then pick whichever error serde_json would have met first. On a syntax
 * error the tree built so far is kept, with open containers marked
 * incomplete. */
#include "tests/chdouble/chd.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 128      /* serde_json's recursion limit */

struct jparser {
	const char *b;
	size_t len, i;
	unsigned line;
	size_t lstart;          /* index of the first byte of the current line */
	unsigned depth;
	struct jerr *err;
};

bool jpos_before(struct jpos a, struct jpos b)
{
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

static struct jpos jp_cur(const struct jparser *p)
{
	return (struct jpos){p->line, (unsigned)(p->i - p->lstart)};
}

static struct jpos jp_peek(const struct jparser *p)
{
	if (p->i >= p->len)
		return jp_cur(p);
	if (p->b[p->i] == '\n')
		return (struct jpos){p->line + 1, 0};
	return (struct jpos){p->line, (unsigned)(p->i + 1 - p->lstart)};
}

static void jp_eat(struct jparser *p)
{
	if (p->b[p->i] == '\n') {
		p->line++;
		p->lstart = p->i + 1;
	}
	p->i++;
}

static int jp_peekc(const struct jparser *p)
{
	return p->i < p->len ? (unsigned char)p->b[p->i] : -1;
}

static void *jp_fail(struct jparser *p, struct jpos at, const char *msg)
{
	if (!p->err->set) {
		p->err->set = true;
		p->err->pos = at;
		snprintf(p->err->msg, sizeof(p->err->msg), "%s", msg);
	}
	return NULL;
}

static void jp_ws(struct jparser *p)
{
	int c;
	while ((c = jp_peekc(p)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		jp_eat(p);
}

static struct jv *jv_new(enum jtype t)
{
	struct jv *v = calloc(1, sizeof(*v));
	if (!v)
		abort();
	v->t = t;
	return v;
}

void json_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t k = 0; k < v->n; k++) {
		json_free(v->items[k]);
		if (v->keys)
			free(v->keys[k]);
	}
	free(v->items);
	free(v->keys);
	free(v->keyend);
	free(v->str);
	free(v);
}

static struct jv *jp_value(struct jparser *p);

static struct jv *jp_ident(struct jparser *p, const char *word, struct jv *v)
{
	for (const char *w = word; *w; w++) {
		if (p->i >= p->len) {
			json_free(v);
			return jp_fail(p, jp_cur(p), "EOF while parsing a value");
		}
		bool ok = p->b[p->i] == *w;
		jp_eat(p);
		if (!ok) {
			json_free(v);
			return jp_fail(p, jp_cur(p), "expected ident");
		}
	}
	v->at = jp_cur(p);
	return v;
}

static int jp_hex4(struct jparser *p, unsigned *out)
{
	*out = 0;
	for (int k = 0; k < 4; k++) {
		if (p->i >= p->len)
			return jp_fail(p, jp_cur(p), "EOF while parsing a string"), -1;
		int c = p->b[p->i];
		jp_eat(p);
		if (!isxdigit(c))
			return jp_fail(p, jp_cur(p), "invalid escape"), -1;
		*out = *out * 16 + (unsigned)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
	}
	return 0;
}

static void jp_utf8(char *buf, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		buf[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		buf[(*n)++] = (char)(0xc0 | (cp >> 6));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[(*n)++] = (char)(0xe0 | (cp >> 12));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[(*n)++] = (char)(0xf0 | (cp >> 18));
		buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int jp_escape(struct jparser *p, char *out, size_t *n)
{
	if (p->i >= p->len)
		return jp_fail(p, jp_cur(p), "EOF while parsing a string"), -1;
	char c = p->b[p->i];
	jp_eat(p);
	const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
	const char *hit = c ? strchr(from, c) : NULL;
	if (hit) {
		out[(*n)++] = to[hit - from];
		return 0;
	}
	if (c != 'u')
		return jp_fail(p, jp_cur(p), "invalid escape"), -1;
	unsigned cp, lo;
	if (jp_hex4(p, &cp))
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return jp_fail(p, jp_cur(p), "lone leading surrogate in hex escape"), -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->i + 2 > p->len || p->b[p->i] != '\\' || p->b[p->i + 1] != 'u')
			return jp_fail(p, jp_cur(p), "unexpected end of hex escape"), -1;
		jp_eat(p), jp_eat(p);
		if (jp_hex4(p, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(p, jp_cur(p), "lone leading surrogate in hex escape"), -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	jp_utf8(out, n, cp);
	return 0;
}

/* After the opening quote; returns a malloc'd string or NULL on error. */
static char *jp_string(struct jparser *p)
{
	char *out = malloc(p->len - p->i + 4);
	size_t n = 0;
	if (!out)
		abort();
	for (;;) {
		if (p->i >= p->len) {
			free(out);
			return jp_fail(p, jp_cur(p), "EOF while parsing a string");
		}
		unsigned char c = (unsigned char)p->b[p->i];
		jp_eat(p);
		if (c == '"')
			break;
		if (c == '\\') {
			if (jp_escape(p, out, &n)) {
				free(out);
				return NULL;
			}
			continue;
		}
		if (c < 0x20) {
			free(out);
			return jp_fail(p, jp_cur(p),
				       "control character (\\u0000-\\u001F) found while parsing a string");
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

static bool jp_digits(struct jparser *p)
{
	if (!isdigit(jp_peekc(p))) {
		if (p->i >= p->len)
			jp_fail(p, jp_cur(p), "EOF while parsing a value");
		else
			jp_fail(p, jp_peek(p), "invalid number");
		return false;
	}
	while (isdigit(jp_peekc(p)))
		jp_eat(p);
	return true;
}

static struct jv *jp_number(struct jparser *p)
{
	size_t start = p->i;
	bool neg = jp_peekc(p) == '-', fl = false;
	if (neg)
		jp_eat(p);
	if (jp_peekc(p) == '0') {
		jp_eat(p);
		if (isdigit(jp_peekc(p)))
			return jp_fail(p, jp_peek(p), "invalid number");
	} else if (!jp_digits(p)) {
		return NULL;
	}
	if (jp_peekc(p) == '.') {
		fl = true;
		jp_eat(p);
		if (!jp_digits(p))
			return NULL;
	}
	if (jp_peekc(p) == 'e' || jp_peekc(p) == 'E') {
		fl = true;
		jp_eat(p);
		if (jp_peekc(p) == '+' || jp_peekc(p) == '-')
			jp_eat(p);
		if (!jp_digits(p))
			return NULL;
	}
	char tmp[512];
	size_t n = p->i - start < sizeof(tmp) - 1 ? p->i - start : sizeof(tmp) - 1;
	memcpy(tmp, p->b + start, n);
	tmp[n] = '\0';
	struct jv *v = jv_new(J_NUM);
	v->at = jp_cur(p);
	v->d = strtod(tmp, NULL);
	errno = 0;
	if (!fl && !neg) {
		v->u = strtoull(tmp, NULL, 10);
		v->nk = errno == ERANGE ? N_FLOAT : N_UINT;
	} else if (!fl) {
		v->i = strtoll(tmp, NULL, 10);
		v->nk = errno == ERANGE ? N_FLOAT : (v->i < 0 ? N_NEG : N_UINT);
		v->u = (uint64_t)(v->i < 0 ? 0 : v->i);
	} else {
		v->nk = N_FLOAT;
	}
	if (v->nk == N_FLOAT && !isfinite(v->d)) {
		json_free(v);
		return jp_fail(p, jp_cur(p), "number out of range");
	}
	return v;
}

static void jv_push(struct jv *c, struct jv *item, char *key, struct jpos keyend)
{
	c->items = realloc(c->items, (c->n + 1) * sizeof(*c->items));
	if (!c->items)
		abort();
	if (c->t == J_OBJ) {
		c->keys = realloc(c->keys, (c->n + 1) * sizeof(*c->keys));
		c->keyend = realloc(c->keyend, (c->n + 1) * sizeof(*c->keyend));
		if (!c->keys || !c->keyend)
			abort();
		c->keys[c->n] = key;
		c->keyend[c->n] = keyend;
	}
	c->items[c->n++] = item;
}

/* The separator loop shared by objects and arrays (serde_json's
 * next_key_seed / next_element_seed): returns 1 for another member, 0 at
 * the closing bracket, -1 on error. */
static int jp_next(struct jparser *p, bool first, char close, const char *eofmsg, const char *commamsg)
{
	jp_ws(p);
	int c = jp_peekc(p);
	if (c == close)
		return 0;
	if (c < 0)
		return jp_fail(p, jp_peek(p), eofmsg), -1;
	if (!first) {
		if (c != ',')
			return jp_fail(p, jp_peek(p), commamsg), -1;
		jp_eat(p);
		jp_ws(p);
		c = jp_peekc(p);
		if (c == close)
			return jp_fail(p, jp_peek(p), "trailing comma"), -1;
		if (c < 0)
			return jp_fail(p, jp_peek(p), "EOF while parsing a value"), -1;
	}
	return 1;
}

static struct jv *jp_object(struct jparser *p, struct jv *v)
{
	for (bool first = true;; first = false) {
		int r = jp_next(p, first, '}', "EOF while parsing an object", "expected `,` or `}`");
		if (r <= 0)
			break;
		if (jp_peekc(p) != '"') {
			jp_fail(p, jp_peek(p), "key must be a string");
			break;
		}
		jp_eat(p);
		char *key = jp_string(p);
		if (!key)
			break;
		struct jpos kend = jp_cur(p);
		jp_ws(p);
		if (jp_peekc(p) != ':') {
			jp_fail(p, jp_peek(p), p->i >= p->len ? "EOF while parsing an object" : "expected `:`");
			jv_push(v, NULL, key, kend);
			break;
		}
		jp_eat(p);
		struct jv *item = jp_value(p);
		jv_push(v, item, key, kend);
		if (!item || p->err->set)
			break;
	}
	return v;
}

static struct jv *jp_array(struct jparser *p, struct jv *v)
{
	for (bool first = true;; first = false) {
		int r = jp_next(p, first, ']', "EOF while parsing a list", "expected `,` or `]`");
		if (r <= 0)
			break;
		struct jv *item = jp_value(p);
		if (item)
			jv_push(v, item, NULL, (struct jpos){0, 0});
		if (!item || p->err->set)
			break;
	}
	return v;
}

static struct jv *jp_container(struct jparser *p, enum jtype t)
{
	struct jv *v = jv_new(t);
	v->at = jp_cur(p);
	jp_eat(p);
	if (++p->depth > JSON_MAX_DEPTH) {
		jp_fail(p, jp_cur(p), "recursion limit exceeded");
		return v;
	}
	(t == J_OBJ ? jp_object : jp_array)(p, v);
	p->depth--;
	if (!p->err->set) {
		jp_eat(p);              /* the closing bracket */
		v->end = jp_cur(p);
		v->complete = true;
	}
	return v;
}

static struct jv *jp_value1(struct jparser *p, int c);

static struct jv *jp_value(struct jparser *p)
{
	jp_ws(p);
	int c = jp_peekc(p);
	if (c < 0)
		return jp_fail(p, jp_peek(p), "EOF while parsing a value");
	struct jpos start = jp_peek(p);
	struct jv *v = jp_value1(p, c);
	if (v)
		v->start = start;
	return v;
}

static struct jv *jp_value1(struct jparser *p, int c)
{
	switch (c) {
	case 'n': jp_eat(p); return jp_ident(p, "ull", jv_new(J_NULL));
	case 't': {
		struct jv *v = jv_new(J_BOOL);
		v->b = true;
		jp_eat(p);
		return jp_ident(p, "rue", v);
	}
	case 'f': jp_eat(p); return jp_ident(p, "alse", jv_new(J_BOOL));
	case '"': {
		jp_eat(p);
		char *s = jp_string(p);
		if (!s)
			return NULL;
		struct jv *v = jv_new(J_STR);
		v->str = s;
		v->at = jp_cur(p);
		return v;
	}
	case '{': return jp_container(p, J_OBJ);
	case '[': return jp_container(p, J_ARR);
	default:
		if (c == '-' || isdigit(c))
			return jp_number(p);
		return jp_fail(p, jp_peek(p), "expected value");
	}
}

struct jv *json_parse(const char *buf, size_t len, struct jerr *syn)
{
	struct jparser p = {.b = buf, .len = len, .line = 1, .err = syn};
	memset(syn, 0, sizeof(*syn));
	struct jv *v = jp_value(&p);
	if (v && !syn->set) {
		jp_ws(&p);
		if (p.i < p.len)
			jp_fail(&p, jp_peek(&p), "trailing characters");
	}
	return v;
}
