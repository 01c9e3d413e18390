/* envsub.c — ${VAR} substitution in command arguments and its validation
 * (see envsub.h for the rules; docs/language.md "The node environment"
 * for the variables). */
#include "compiler/envsub.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool es_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool es_name_char(char c)
{
	return es_name_start(c) || (c >= '0' && c <= '9');
}

struct es_vec {
	char **v;
	size_t n, cap;
	bool oom;
};

static void es_push(struct es_vec *o, char *s)
{
	if (!s) {
		o->oom = true;
		return;
	}
	if (o->n + 2 > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		char **v = realloc(o->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			o->oom = true;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = s;
	o->v[o->n] = NULL;
}

static void es_unknown(struct envsub_err *e, size_t word, const char *name, size_t len,
		       bool braced)
{
	e->word = word;
	snprintf(e->name, sizeof(e->name), "%.*s", (int)len, name);
	snprintf(e->msg, sizeof(e->msg), "unknown variable %s%.*s%s", braced ? "${" : "$",
		 (int)len, name, braced ? "}" : "");
}

/* One word with ${NAME} and $$ replaced, into a malloc'd string; NULL with
 * e set on an unknown name or bad syntax. */
static char *es_word(const char *w, size_t word, envsub_lookup_fn fn, void *arg,
		     struct envsub_err *e)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	if (!out) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return NULL;
	}
	bool ok = true;
	for (const char *p = w; *p && ok; p++) {
		if (p[0] != '$' || (p[1] != '$' && p[1] != '{')) {
			fputc(*p, out);
			continue;
		}
		if (p[1] == '$') {
			fputc('$', out);
			p++;
			continue;
		}
		const char *name = p + 2, *end = strchr(name, '}');
		size_t len = end ? (size_t)(end - name) : 0;
		bool good = end && len > 0 && es_name_start(name[0]);
		for (size_t i = 0; good && i < len; i++)
			good = es_name_char(name[i]);
		if (!good) {
			e->word = word;
			e->name[0] = '\0';
			snprintf(e->msg, sizeof(e->msg), "%s \"%.40s\"",
				 end ? "not a variable name:" : "unterminated ${ in", end ? p : w);
			ok = false;
			break;
		}
		const char *val = fn(arg, name, len);
		if (!val) {
			es_unknown(e, word, name, len, true);
			ok = false;
			break;
		}
		fputs(val, out);
		p = end;
	}
	if (fclose(out) != 0 && ok) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		ok = false;
	}
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* "$NAME" as a whole word: the name's length, else 0. */
static size_t es_whole(const char *w)
{
	if (w[0] != '$' || !es_name_start(w[1]))
		return 0;
	size_t i = 1;
	while (es_name_char(w[i]))
		i++;
	return w[i] ? 0 : i - 1;
}

char **envsub_argv(const char *const *argv, size_t n, envsub_lookup_fn fn, void *arg,
		   struct envsub_err *e)
{
	struct es_vec o = {0};
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		size_t wl = es_whole(argv[i]);
		if (wl) {
			const char *val = fn(arg, argv[i] + 1, wl);
			if (!val) {
				es_unknown(e, i, argv[i] + 1, wl, false);
				goto fail;
			}
			/* Split at blanks, as systemd does: zero or more words. */
			for (const char *p = val; *p;) {
				p += strspn(p, " \t\n");
				size_t l = strcspn(p, " \t\n");
				if (l)
					es_push(&o, strndup(p, l));
				p += l;
			}
			continue;
		}
		char *s = es_word(argv[i], i, fn, arg, e);
		if (!s)
			goto fail;
		es_push(&o, s);
	}
	if (!o.v)
		o.v = calloc(1, sizeof(*o.v));
	if (o.oom || !o.v) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		goto fail;
	}
	return o.v;
fail:
	envsub_free(o.v);
	return NULL;
}

void envsub_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

const char *envsub_envp_lookup(void *envp, const char *name, size_t len)
{
	for (char **p = envp; p && *p; p++)
		if (strncmp(*p, name, len) == 0 && (*p)[len] == '=')
			return *p + len + 1;
	return NULL;
}

/* ---------------- validation ---------------- */

struct es_node {
	const struct topology *t;
	const struct topo_node *nd;
};

static bool es_has_ip(const struct topo_node *nd)
{
	for (size_t i = 0; i < nd->n_ifaces; i++)
		if (nd->ifaces[i].has_ip)
			return true;
	return false;
}

static bool es_has_ip6(const struct topo_node *nd)
{
	for (size_t i = 0; i < nd->n_ifaces; i++)
		if (nd->ifaces[i].has_ip6)
			return true;
	return false;
}

/* ASPEN_IP_<NAME>: NAME is the node name uppercased, '-' -> '_'. */
static bool es_ip_key_is(const char *key, size_t len, const char *node)
{
	size_t nl = strlen(node);
	if (nl != len)
		return false;
	for (size_t i = 0; i < nl; i++) {
		char c = node[i] == '-' ? '_' : (node[i] >= 'a' && node[i] <= 'z') ?
			 (char)(node[i] - 32) : node[i];
		if (c != key[i])
			return false;
	}
	return true;
}

static const char *const es_fixed[] = {"ASPEN_TOPOLOGY", "ASPEN_NODE", "ASPEN_NODES",
				       "ASPEN_PEERS", "ASPEN_OTHERS"};

static const char *es_known(void *arg, const char *name, size_t len)
{
	const struct es_node *c = arg;
	for (size_t i = 0; i < c->nd->n_env; i++)
		if (strlen(c->nd->env[i].key) == len && !strncmp(c->nd->env[i].key, name, len))
			return "";
	for (size_t i = 0; i < sizeof(es_fixed) / sizeof(es_fixed[0]); i++)
		if (strlen(es_fixed[i]) == len && !strncmp(es_fixed[i], name, len))
			return "";
	if (len == 13 && !strncmp(name, "ASPEN_NODE_IP", 13))
		return es_has_ip(c->nd) ? "" : NULL;
	if (len == 14 && !strncmp(name, "ASPEN_NODE_IP6", 14))
		return es_has_ip6(c->nd) ? "" : NULL;
	if (len > 9 && !strncmp(name, "ASPEN_IP_", 9))
		for (size_t i = 0; i < c->t->n_nodes; i++)
			if (es_has_ip(&c->t->nodes[i]) && c->t->nodes[i].name &&
			    es_ip_key_is(name + 9, len - 9, c->t->nodes[i].name))
				return "";
	return NULL;
}

/* "ASPEN_TOPOLOGY, ..., ASPEN_IP_NODE1 ... and env: A, B" for the hint. */
static void es_known_list(const struct es_node *c, char *buf, size_t size)
{
	size_t o = 0;
#define ES_PUT(...) do { if (o < size) o += (size_t)snprintf(buf + o, size - o, __VA_ARGS__); } while (0)
	for (size_t i = 0; i < sizeof(es_fixed) / sizeof(es_fixed[0]); i++)
		ES_PUT("%s%s", i ? ", " : "", es_fixed[i]);
	if (es_has_ip(c->nd))
		ES_PUT(", ASPEN_NODE_IP");
	if (es_has_ip6(c->nd))
		ES_PUT(", ASPEN_NODE_IP6");
	size_t shown = 0, more = 0;
	for (size_t i = 0; i < c->t->n_nodes; i++) {
		const struct topo_node *nd = &c->t->nodes[i];
		if (!nd->name || !es_has_ip(nd))
			continue;
		if (shown++ >= 4) {
			more++;
			continue;
		}
		ES_PUT(", ASPEN_IP_");
		for (const char *p = nd->name; *p; p++)
			ES_PUT("%c", *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
	}
	if (more)
		ES_PUT(" (and %zu more ASPEN_IP_<NODE>)", more);
	for (size_t i = 0; i < c->nd->n_env; i++)
		ES_PUT("%s%s", i ? ", " : "; from env: ", c->nd->env[i].key);
#undef ES_PUT
}

static void es_check(const struct topology *t, const struct topo_node *nd, const struct strv *v,
		     const char *path, struct diag_list *d)
{
	struct es_node c = {t, nd};
	/* Each argument alone, so every bad one is reported. */
	for (size_t i = 0; i < v->n; i++) {
		if (!v->v[i] || !strchr(v->v[i], '$'))
			continue;
		struct envsub_err e;
		char **out = envsub_argv(&v->v[i], 1, es_known, &c, &e);
		if (out) {
			envsub_free(out);
			continue;
		}
		struct pos p = v->at ? v->at[i] : v->pos;
		char where[160];
		snprintf(where, sizeof(where), "nodes.%s.%s[%zu]", nd->name, path, i);
		diag_error(d, p, where, "%s in %s of node %s", e.msg, path, nd->name);
		if (e.name[0]) {
			char known[1024];
			es_known_list(&c, known, sizeof(known));
			diag_hint(d, "known here: %s; write $$ for a literal $", known);
		} else {
			diag_hint(d, "write ${NAME} with NAME made of letters, digits and _, or $$ "
				  "for a literal $");
		}
	}
}

void envsub_check(const struct topology *t, struct diag_list *d)
{
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		if (!nd->name)
			continue;
		if (nd->kind == NODE_NETNS)
			es_check(t, nd, &nd->command, "command", d);
		es_check(t, nd, &nd->health.exec, "health.exec", d);
	}
}
