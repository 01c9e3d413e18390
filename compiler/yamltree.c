/* yamltree.c — libyaml events -> a positioned tree (see yamltree.h).
 *
 * Why events and not libyaml's document loader (yaml_parser_load): the
 * loader offers no hook to bound alias expansion, depth or scalar size, and
 * its node marks are the same event marks anyway. Building the tree here
 * lets us stop at the first event that breaks a limit, so hostile input
 * costs at most one pass over its bytes:
 *
 *  - depth:  a fixed stack of TOPO_MAX_DEPTH frames; one more is an error.
 *  - aliases: an alias node is the anchored node itself (a DAG, not a copy);
 *    every node records its expanded size, summed as collections close, and
 *    a document whose expansion passes the limit is refused there
 *    ("billion laughs" is refused after a few hundred bytes).
 *  - scalars: a scalar longer than the limit is refused.
 *  - bytes: NUL bytes (binary files) are refused before libyaml sees them;
 *    libyaml itself refuses invalid UTF-8 and control characters.
 *
 * Children of all open collections share one scratch vector; a collection
 * copies its slice into the arena when it closes. Duplicate keys are found by
 * sorting, so a mapping of n keys costs O(n log n). */
#include "compiler/yamltree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define ANCHOR_BUCKETS 4096u

struct anchor {
	const char *name;
	struct ynode *node;
	struct anchor *next;
};

struct frame {
	struct ynode *node;
	size_t start;           /* first child in the scratch vector */
	const char *anchor;     /* registered when the collection closes */
	uint64_t weight;
};

struct builder {
	struct arena *a;
	struct diag_list *d;
	const struct ytree_limits *lim;
	const char *buf;
	size_t len;
	struct frame *stack;
	unsigned depth;
	struct ynode **kids;    /* scratch: children of open collections */
	size_t n_kids, cap_kids;
	struct anchor **anchors;
	struct ynode *root;
	int n_docs;
};

static struct pos mark_pos(yaml_mark_t m)
{
	struct pos p = {(unsigned)m.line + 1, (unsigned)m.column + 1};
	return p;
}

/* Line:column (in characters) of byte offset off. */
static struct pos offset_pos(const char *buf, size_t len, size_t off)
{
	struct pos p = {1, 1};
	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			p.line++;
			p.col = 1;
		} else if ((c & 0xC0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static unsigned anchor_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % ANCHOR_BUCKETS;
}

static void anchor_put(struct builder *b, const char *name, struct ynode *n)
{
	if (!b->anchors)
		b->anchors = arena_array(b->a, ANCHOR_BUCKETS, sizeof(*b->anchors));
	struct anchor *an = arena_alloc(b->a, sizeof(*an));
	unsigned h = anchor_hash(name);
	an->name = name;
	an->node = n;
	an->next = b->anchors[h];   /* newest first: a redefined anchor wins */
	b->anchors[h] = an;
}

static struct ynode *anchor_get(struct builder *b, const char *name)
{
	if (!b->anchors)
		return NULL;
	for (struct anchor *an = b->anchors[anchor_hash(name)]; an; an = an->next)
		if (strcmp(an->name, name) == 0)
			return an->node;
	return NULL;
}

static int too_big(struct builder *b, struct pos p)
{
	diag_error(b->d, p, NULL,
		   "the document expands to more than %llu nodes through aliases",
		   (unsigned long long)b->lim->max_weight);
	diag_hint(b->d, "this looks like an alias bomb; a topology never needs that many");
	return -1;
}

/* Hand a finished node to the open collection, or make it the root. at is
 * where it appears (for an alias: the alias, not the anchored node). */
static int add_child(struct builder *b, struct ynode *n, struct pos at)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	f->weight = sat_add(f->weight, n->weight);
	if (f->weight > b->lim->max_weight)
		return too_big(b, at);
	if (b->n_kids == b->cap_kids) {
		size_t cap = b->cap_kids ? b->cap_kids * 2 : 256;
		struct ynode **v = realloc(b->kids, cap * sizeof(*v));
		if (!v) {
			diag_error(b->d, at, NULL, "out of memory");
			return -1;
		}
		b->kids = v;
		b->cap_kids = cap;
	}
	b->kids[b->n_kids++] = n;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct pos p = mark_pos(ev->start_mark);
	size_t len = ev->data.scalar.length;
	if (len > b->lim->max_scalar) {
		diag_error(b->d, p, NULL, "a value of %zu bytes; at most %zu are allowed", len,
			   b->lim->max_scalar);
		return -1;
	}
	const char *s = (const char *)ev->data.scalar.value;
	struct ynode *n = arena_alloc(b->a, sizeof(*n));
	n->type = YN_SCALAR;
	n->pos = p;
	n->weight = 1;
	n->u.scalar.s = arena_strndup(b->a, s, len);
	n->u.scalar.len = len;
	n->u.scalar.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    ev->data.scalar.tag == NULL;
	if (memchr(s, 0, len)) {
		diag_error(b->d, p, NULL, "a string contains a NUL character");
		n->u.scalar.len = strlen(n->u.scalar.s);
	}
	if (ev->data.scalar.anchor)
		anchor_put(b, arena_strdup(b->a, (const char *)ev->data.scalar.anchor), n);
	return add_child(b, n, p);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum ynode_type type)
{
	struct pos p = mark_pos(ev->start_mark);
	if (b->depth >= b->lim->max_depth) {
		diag_error(b->d, p, NULL, "nesting deeper than %u levels", b->lim->max_depth);
		return -1;
	}
	const yaml_char_t *anchor = type == YN_SEQ ? ev->data.sequence_start.anchor
						   : ev->data.mapping_start.anchor;
	struct ynode *n = arena_alloc(b->a, sizeof(*n));
	n->type = type;
	n->pos = p;
	struct frame *f = &b->stack[b->depth++];
	f->node = n;
	f->start = b->n_kids;
	f->anchor = anchor ? arena_strdup(b->a, (const char *)anchor) : NULL;
	f->weight = 1;
	return 0;
}

struct keyref {
	const char *s;
	size_t idx;
};

static int keyref_cmp(const void *x, const void *y)
{
	const struct keyref *a = x, *b = y;
	int c = strcmp(a->s, b->s);
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void dup_key(struct builder *b, const struct ynode *k, const struct ynode *first)
{
	char q[YTREE_QUOTE_MAX];
	diag_error(b->d, k->pos, NULL, "duplicate key %s (first given at line %u)",
		   ytree_quote(q, sizeof(q), k->u.scalar.s), first->pos.line);
}

/* Mark pairs whose key repeats an earlier key (drop[i] = true) and report
 * each at the repeated key. */
static void find_duplicates(struct builder *b, struct ypair *v, size_t n, bool *drop)
{
	if (n < 2)
		return;
	if (n <= 8) {           /* the common case: pairwise beats sorting */
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i && !drop[i]; j++)
				if (!drop[j] &&
				    strcmp(v[i].key->u.scalar.s, v[j].key->u.scalar.s) == 0) {
					dup_key(b, v[i].key, v[j].key);
					drop[i] = true;
				}
		return;
	}
	struct keyref *r = malloc(n * sizeof(*r));
	if (!r)
		return;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!drop[i])
			r[m++] = (struct keyref){v[i].key->u.scalar.s, i};
	qsort(r, m, sizeof(*r), keyref_cmp);
	for (size_t i = 1; i < m; i++) {
		size_t first = i - 1;
		while (i < m && strcmp(r[i].s, r[first].s) == 0) {
			struct ynode *k = v[r[i].idx].key, *k0 = v[r[first].idx].key;
			dup_key(b, k, k0);
			drop[r[i].idx] = true;
			i++;
		}
	}
	free(r);
}

/* Build the mapping's pairs from kids[start..], dropping bad keys. */
static void close_map(struct builder *b, struct ynode *n, size_t start)
{
	size_t nk = (b->n_kids - start) / 2;
	struct ypair *v = arena_array(b->a, nk ? nk : 1, sizeof(*v));
	bool *drop = arena_array(b->a, nk ? nk : 1, sizeof(*drop));
	for (size_t i = 0; i < nk; i++) {
		struct ynode *k = b->kids[start + 2 * i], *val = b->kids[start + 2 * i + 1];
		v[i].key = k;
		v[i].value = val;
		if (k->type != YN_SCALAR) {
			diag_error(b->d, k->pos, NULL, "a key must be a plain string, not %s",
				   ytree_type_name(k));
			drop[i] = true;
		} else if (k->u.scalar.plain && strcmp(k->u.scalar.s, "<<") == 0) {
			diag_error(b->d, k->pos, NULL, "YAML merge keys (<<) are not supported");
			diag_hint(b->d, "put fields shared by nodes under `defaults:`");
			drop[i] = true;
		}
	}
	find_duplicates(b, v, nk, drop);
	size_t m = 0;
	for (size_t i = 0; i < nk; i++)
		if (!drop[i])
			v[m++] = v[i];
	n->u.map.v = v;
	n->u.map.n = m;
}

static int on_end(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	struct ynode *n = f->node;
	size_t cnt = b->n_kids - f->start;
	if (n->type == YN_SEQ) {
		n->u.seq.v = arena_array(b->a, cnt ? cnt : 1, sizeof(*n->u.seq.v));
		if (cnt)
			memcpy(n->u.seq.v, b->kids + f->start, cnt * sizeof(*n->u.seq.v));
		n->u.seq.n = cnt;
	} else {
		close_map(b, n, f->start);
	}
	b->n_kids = f->start;
	n->weight = f->weight;
	if (f->anchor)
		anchor_put(b, f->anchor, n);
	return add_child(b, n, n->pos);
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n = anchor_get(b, name);
	struct pos at = mark_pos(ev->start_mark);
	if (!n) {
		/* Also the case for an alias inside its own anchored collection:
		 * anchors register when their node is complete, so no cycles. */
		diag_error(b->d, at, NULL, "unknown anchor \"*%.48s\"", name);
		return -1;
	}
	return add_child(b, n, at);
}

static void syntax_error(struct builder *b, const yaml_parser_t *p)
{
	struct pos pos;
	size_t off;
	if (p->error == YAML_READER_ERROR) {
		off = p->problem_offset;
		pos = offset_pos(b->buf, b->len, off);
	} else {
		off = p->problem_mark.index;
		pos = mark_pos(p->problem_mark);
	}
	const char *problem = p->problem ? p->problem : "cannot parse";
	if (p->error == YAML_READER_ERROR)
		diag_error(b->d, pos, NULL, "not a text file: %s", problem);
	else if (p->context)
		diag_error(b->d, pos, NULL, "invalid YAML: %s (%s at line %u)", problem, p->context,
			   (unsigned)p->context_mark.line + 1);
	else
		diag_error(b->d, pos, NULL, "invalid YAML: %s", problem);
	if (p->error == YAML_MEMORY_ERROR)
		return;
	if (off < b->len && b->buf[off] == '\t')
		diag_hint(b->d, "YAML does not allow tabs for indentation; use spaces");
	else if (p->error == YAML_READER_ERROR)
		diag_hint(b->d, "a topology file is UTF-8 text");
}

/* Returns 1 when the stream ended, 0 to go on, -1 on a fatal problem. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->n_docs > 1) {
			diag_error(b->d, mark_pos(ev->start_mark), NULL,
				   "a second YAML document; a topology file holds exactly one");
			diag_hint(b->d, "remove the `---` line, or split the file");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, YN_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, YN_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_STREAM_END_EVENT:
		return 1;
	default:
		return 0;
	}
}

static int run_parser(struct builder *b)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		diag_error(b->d, (struct pos){0, 0}, NULL, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)b->buf, b->len);
	int rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(b, &p);
			rc = -1;
			break;
		}
		rc = on_event(b, &ev);
		yaml_event_delete(&ev);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&p);
	return rc < 0 ? -1 : 0;
}

int ytree_parse(struct arena *a, const char *buf, size_t len, const struct ytree_limits *lim,
		struct diag_list *d, struct ynode **root)
{
	*root = NULL;
	if (len > lim->max_bytes) {
		diag_error(d, (struct pos){0, 0}, NULL,
			   "the file is %zu bytes; a topology file is at most %zu", len,
			   lim->max_bytes);
		return -1;
	}
	const char *nul = memchr(buf, 0, len);
	if (nul) {
		diag_error(d, offset_pos(buf, len, (size_t)(nul - buf)), NULL,
			   "the file contains a NUL byte");
		diag_hint(d, "a topology file is UTF-8 text; is this a binary file?");
		return -1;
	}
	struct builder b = {.a = a, .d = d, .lim = lim, .buf = buf, .len = len};
	b.stack = calloc(lim->max_depth + 1u, sizeof(*b.stack));
	if (!b.stack) {
		diag_error(d, (struct pos){0, 0}, NULL, "out of memory");
		return -1;
	}
	int rc = run_parser(&b);
	free(b.stack);
	free(b.kids);
	if (rc == 0)
		*root = b.root;
	return rc;
}

bool ytree_is_null(const struct ynode *n)
{
	if (n->type != YN_SCALAR || !n->u.scalar.plain)
		return false;
	const char *s = n->u.scalar.s;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

const char *ytree_type_name(const struct ynode *n)
{
	switch (n->type) {
	case YN_SEQ:
		return "a list";
	case YN_MAP:
		return "a mapping";
	case YN_SCALAR:
		break;
	}
	return ytree_is_null(n) ? "nothing (null)" : "a string";
}

char *ytree_quote(char *buf, size_t n, const char *s)
{
	/* Worst case per input byte is 4 output bytes (\xHH). */
	size_t o = 0, i = 0, room = n - 6;      /* quotes, "..." and NUL */
	if (n < YTREE_QUOTE_MAX) {
		snprintf(buf, n, "\"\"");
		return buf;
	}
	buf[o++] = '"';
	for (; s[i] && o + 4 < room; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (s[i]) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
