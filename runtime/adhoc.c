/* adhoc.c — ad hoc faults through the real decoder and validator
 * (see adhoc.h for why this shape). */
#include "runtime/adhoc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "compiler/yamltree.h"
#include "runtime/sbuf.h"

/* ---------------- words ---------------- */

struct words {
	const char *v[ADHOC_MAX_WORDS];
	char store[16384];
	size_t n, used;
};

static bool adhoc_word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '%' || *s == '-' || *s == ',' || *s == '@'))
			return false;
	return true;
}

static int words_add(struct words *w, const char *s, size_t len, struct rt_err *e)
{
	if (w->n >= ADHOC_MAX_WORDS || w->used + len + 1 > sizeof(w->store))
		return rt_errf(e, E2BIG, "too many targets");
	memcpy(w->store + w->used, s, len);
	w->store[w->used + len] = '\0';
	w->v[w->n++] = w->store + w->used;
	w->used += len + 1;
	return 0;
}

/* Split "a->b" and "a/b" into a, "->", b; check every other word. */
static int words_split(struct words *w, const char *const *in, size_t n, struct rt_err *e)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = in[i];
		while (*s) {
			const char *arrow = strstr(s, "->"), *slash = strchr(s, '/');
			const char *sep = arrow && (!slash || arrow < slash) ? arrow : slash;
			size_t len = sep ? (size_t)(sep - s) : strlen(s);
			if (len && words_add(w, s, len, e) < 0)
				return -1;
			if (len && !adhoc_word_ok(w->v[w->n - 1]))
				return rt_errf(e, EINVAL, "'%s' is not a node, interface or value",
					       w->v[w->n - 1]);
			if (!sep)
				break;
			if (words_add(w, sep, sep == arrow ? 2 : 1, e) < 0)
				return -1;
			s = sep + (sep == arrow ? 2 : 1);
		}
	}
	return 0;
}

static size_t words_find(const struct words *w, const char *sep, size_t from)
{
	for (size_t i = from; i < w->n; i++)
		if (!strcmp(w->v[i], sep))
			return i;
	return w->n;
}

/* ---------------- YAML text ---------------- */

/* w[from..to) as a flow list "[a, b, c]" (commas inside words split). */
static void sb_list(struct sbuf *b, const struct words *w, size_t from, size_t to)
{
	sb_printf(b, "[");
	bool first = true;
	for (size_t i = from; i < to; i++) {
		const char *s = w->v[i];
		while (*s) {
			size_t l = strcspn(s, ",");
			if (l) {
				/* "@leader" is quoted: '@' cannot start a plain YAML scalar */
				const char *qt = s[0] == '@' ? "\"" : "";
				sb_printf(b, "%s%s%.*s%s", first ? "" : ", ", qt, (int)l, s, qt);
				first = false;
			}
			s += l + (s[l] == ',');
		}
	}
	sb_printf(b, "]");
}

static int build_partition(struct sbuf *b, const struct words *w, struct rt_err *e)
{
	size_t arrow = words_find(w, "->", 0);
	if (arrow < w->n) {
		if (words_find(w, "->", arrow + 1) < w->n || words_find(w, "/", 0) < w->n ||
		    arrow == 0 || arrow + 1 == w->n)
			return rt_errf(e, EINVAL, "a one-way partition is FROM -> TO: "
				       "'partition node1 -> node2,node3'");
		sb_printf(b, "partition: {from: ");
		sb_list(b, w, 0, arrow);
		sb_printf(b, ", to: ");
		sb_list(b, w, arrow + 1, w->n);
		sb_printf(b, "}");
		return 0;
	}
	if (words_find(w, "/", 0) == w->n) {
		/* One group is no partition; the validator's hint would be in
		 * YAML, so say it in the command's own words. */
		char cut[256];
		size_t used = 0;
		for (size_t i = 0; i < w->n && used < sizeof(cut); i++)
			used += (size_t)snprintf(cut + used, sizeof(cut) - used, "%s%s",
						 i == 1 ? " / " : i ? "," : "", w->v[i]);
		return rt_errf(e, EINVAL, "a partition needs its sides separated by '/': "
			       "'partition %s' (or '->' for a one-way cut), or 'isolate %s' to "
			       "cut %s from every other node", w->n > 1 ? cut : "NODE / NODE,NODE",
			       w->v[0], w->v[0]);
	}
	for (size_t from = 0; from <= w->n;) {
		size_t to = words_find(w, "/", from);
		if (to == from)
			return rt_errf(e, EINVAL, "each side of '/' needs a node: 'partition "
				       "node1 / node2,node3'");
		from = to + 1;
	}
	sb_printf(b, "partition: [");
	for (size_t from = 0, g = 0; from <= w->n; g++) {
		size_t to = words_find(w, "/", from);
		sb_printf(b, "%s", g ? ", " : "");
		sb_list(b, w, from, to);
		from = to + 1;
	}
	sb_printf(b, "]");
	return 0;
}

/* KIND TARGETS V1 [V2] */
static int build_impair(struct sbuf *b, const char *kind, const struct words *w, const char *k1,
			const char *k2, const char *direction, struct rt_err *e)
{
	size_t max = k2 ? 3 : 2;
	if (w->n < 2 || w->n > max)
		return rt_errf(e, EINVAL, "%s takes TARGETS %s%s%s", kind, k1, k2 ? " [" : "",
			       k2 ? k2 : "");
	if (words_find(w, "/", 0) < w->n || words_find(w, "->", 0) < w->n)
		return rt_errf(e, EINVAL, "'/' and '->' are for partitions");
	sb_printf(b, "%s: {nodes: ", kind);
	sb_list(b, w, 0, 1);
	sb_printf(b, ", %s: %s", k1, w->v[1]);
	if (w->n > 2)
		sb_printf(b, ", %s: %s", k2, w->v[2]);
	if (direction)
		sb_printf(b, ", direction: %s", direction);
	sb_printf(b, "}");
	return 0;
}

static bool adhoc_node_action(const char *k)
{
	static const char *const kinds[] = {"kill", "pause", "resume", "start", "restart", "reboot"};
	for (size_t i = 0; i < 6; i++)
		if (!strcmp(k, kinds[i]))
			return true;
	return false;
}

int adhoc_build(struct adhoc *a, const char *kind, const char *const *words, size_t n,
		const char *direction, struct rt_err *e)
{
	memset(a, 0, sizeof(*a));
	struct words w = {0};
	if (words_split(&w, words, n, e) < 0)
		return -1;
	if (direction && strcmp(kind, "loss"))
		return rt_errf(e, EINVAL, "--direction is for loss only, not %s", kind);
	if (direction && strcmp(direction, "both") && strcmp(direction, "egress") &&
	    strcmp(direction, "ingress"))
		return rt_errf(e, EINVAL, "--direction is both, egress or ingress, not '%s'", direction);
	if (w.n == 0)
		return rt_errf(e, EINVAL, "%s needs targets", kind);
	struct sbuf b = {a->body, 0, sizeof(a->body), false};
	int rc = 0;
	bool seps = words_find(&w, "/", 0) < w.n || words_find(&w, "->", 0) < w.n;
	if (!strcmp(kind, "partition")) {
		rc = build_partition(&b, &w, e);
	} else if (seps) {
		rc = rt_errf(e, EINVAL, "'/' and '->' are for partitions");
	} else if (!strcmp(kind, "isolate")) {
		sb_printf(&b, "partition: {isolate: ");
		sb_list(&b, &w, 0, w.n);
		sb_printf(&b, "}");
	} else if (!strcmp(kind, "loss") || !strcmp(kind, "duplicate") || !strcmp(kind, "corrupt")) {
		rc = build_impair(&b, kind, &w, "percent", NULL, direction, e);
	} else if (!strcmp(kind, "latency")) {
		rc = build_impair(&b, kind, &w, "delay", "jitter", NULL, e);
	} else if (!strcmp(kind, "reorder")) {
		rc = build_impair(&b, kind, &w, "percent", "delay", NULL, e);
	} else if (!strcmp(kind, "rate")) {
		rc = build_impair(&b, kind, &w, "rate", "burst", NULL, e);
	} else if (!strcmp(kind, "link-down") || adhoc_node_action(kind)) {
		sb_printf(&b, "%s: ", kind);
		sb_list(&b, &w, 0, w.n);
		if (!strcmp(kind, "start") || !strcmp(kind, "resume")) {
			struct sbuf p = {a->prefix, 0, sizeof(a->prefix), false};
			sb_printf(&p, "  - {at: 0s, %s: ", !strcmp(kind, "start") ? "kill" : "pause");
			sb_list(&p, &w, 0, w.n);
			sb_printf(&p, "}\n");
			b.overflow |= p.overflow;
		}
	} else {
		rc = rt_errf(e, EINVAL, "unknown fault '%s' (partition, isolate, loss, latency, "
			     "duplicate, corrupt, reorder, rate, link-down, kill, pause, resume, start, "
			     "restart, reboot)", kind);
	}
	if (rc == 0 && b.overflow)
		rc = rt_errf(e, E2BIG, "too many targets");
	return rc;
}

int adhoc_fault_yaml(const struct adhoc *a, const char *key, const char *for_s, char *buf,
		     size_t len)
{
	if (for_s && !adhoc_word_ok(for_s))
		return -1;
	int w = snprintf(buf, len, "  - {name: %s, at: %s%s%s, %s}\n", key,
			 a->prefix[0] ? "1s" : "0s", for_s ? ", for: " : "", for_s ? for_s : "", a->body);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

/* ---------------- the topology with the fault ---------------- */

/* Blank the lines of the top-level `faults:` entry of buf (spaces; newlines
 * kept, so every other position is unchanged). */
static int blank_faults(char *buf, size_t len, const char *path, struct diag_list *d,
			struct rt_err *e)
{
	struct arena ar;
	arena_init(&ar);
	struct ytree_limits lim = {TOPO_MAX_FILE_BYTES, TOPO_MAX_DEPTH, TOPO_MAX_SCALAR,
				   TOPO_MAX_NODES_VISITED};
	struct ynode *root = NULL;
	int rc = 0;
	if (ytree_parse(&ar, buf, len, &lim, d, &root) < 0 || !root || root->type != YN_MAP) {
		rc = rt_errf(e, EINVAL, "%s does not parse as a topology: run 'aspen validate %s'",
			     path, path);
		goto out;
	}
	unsigned from = 0, to = 0;
	for (size_t i = 0; i < root->u.map.n; i++) {
		const struct ynode *k = root->u.map.v[i].key;
		if (strcmp(k->u.scalar.s, "faults"))
			continue;
		if (k->pos.col != 1) {
			rc = rt_errf(e, EINVAL, "%s: ad hoc faults need `faults:` as a block key at the "
				     "start of a line", path);
			goto out;
		}
		from = k->pos.line;
	}
	for (size_t i = 0; from && i < root->u.map.n; i++) {
		unsigned l = root->u.map.v[i].key->pos.line;
		if (l > from && (!to || l < to))
			to = l;
	}
	unsigned line = 1;
	for (size_t i = 0; from && i < len; i++) {
		if (buf[i] == '\n')
			line++;
		else if (line >= from && (!to || line < to))
			buf[i] = ' ';
	}
out:
	arena_free(&ar);
	return rc;
}

struct topology *adhoc_load(const char *path, const char *buf, size_t len, const struct adhoc *a,
			    const char *key, const char *for_s, struct diag_list *d,
			    unsigned *file_lines, struct rt_err *e)
{
	return adhoc_load_with(path, buf, len, a, key, for_s, NULL, d, file_lines, e);
}

struct topology *adhoc_load_with(const char *path, const char *buf, size_t len,
				 const struct adhoc *a, const char *key, const char *for_s,
				 const struct topo_load_opts *o, struct diag_list *d,
				 unsigned *file_lines, struct rt_err *e)
{
	char fault[sizeof(a->body) + 256];
	if (adhoc_fault_yaml(a, key, for_s, fault, sizeof(fault)) < 0) {
		rt_errf(e, EINVAL, "--for takes a duration like 10s, not '%s'", for_s ? for_s : "");
		return NULL;
	}
	size_t cap = len + strlen(a->prefix) + strlen(fault) + 32;
	char *text = malloc(cap);
	if (!text) {
		rt_errf(e, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(text, buf, len);
	text[len] = '\0';
	struct topology *t = NULL;
	if (blank_faults(text, len, path, d, e) < 0)
		goto out;
	unsigned lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (file_lines)
		*file_lines = lines;
	int n = snprintf(text + len, cap - len, "\nfaults:\n%s%s", a->prefix, fault);
	t = topo_load_buffer_with(path, text, len + (size_t)n, o, d);
	if (t && (diag_failed(d) || t->n_faults == 0)) {
		topo_free(t);
		t = NULL;
	}
	if (!t)
		rt_errf(e, EINVAL, "the fault is not valid for this topology");
out:
	free(text);
	return t;
}
