/* decode.c — topology files -> struct topology (topo_load, topo_load_buffer).
 *
 * The decoder owns the shape of the language: which keys exist where
 * (fields.c), what type each value has (units.c), which node fields belong
 * to which kind, how `defaults` merge and how relative paths resolve. It
 * does not judge meaning (is that network defined? is the IP in the subnet?
 * is the name well formed?): that is validate.c, called at the end.
 *
 * The idea: walk the positioned YAML tree (yamltree.c) object by object;
 * every key is looked up in its object's field table, so an unknown key is
 * reported at that key with the closest known one as a hint, and every value
 * goes through one typed getter that reports at the value what it expected
 * and what it got. Nothing stops at an error: a bad value leaves its field
 * unset (NULL pointer, has_* false, built-in default) and decoding goes on,
 * so one run lists every problem in the file.
 *
 * Positions: unknown key and wrong-kind field -> the key; bad value -> the
 * value; missing required key -> the key that names the enclosing object
 * (`node1:`), or the list item / document start when there is no key.
 * Position fields in the topology (subnet_pos, ip_pos, ...) hold the value's
 * position, `pos` of a named object its key's, `pos` of a list item the
 * item's.
 *
 * Cost: every node of the tree is visited once per use (aliases expand, but
 * their expansion is bounded by TOPO_MAX_NODES_VISITED in yamltree.c); key
 * lookups are linear in tables of at most 20 keys. */
#include "compiler/compile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/fields.h"
#include "compiler/units.h"
#include "compiler/yamltree.h"

#define DEC_PATH_MAX 512

struct dec {
	struct topology *t;
	struct arena *a;        /* t->arena: everything the topology keeps */
	struct diag_list *d;
	char path[DEC_PATH_MAX];        /* dotted field path of the current value */
	size_t plen;
	char qbuf[2][YTREE_QUOTE_MAX];  /* q() results, used in turn */
	unsigned qnext;
};

/* ---------------- messages ---------------- */

static void err(struct dec *dc, struct pos p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err(struct dec *dc, struct pos p, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	diag_error(dc->d, p, dc->plen ? dc->path : NULL, "%s", msg);
	free(msg);
}

/* s quoted for a message (escaped, truncated); two results live at once. */
static const char *q(struct dec *dc, const char *s)
{
	return ytree_quote(dc->qbuf[dc->qnext++ % 2], sizeof(dc->qbuf[0]), s);
}

static size_t path_key(struct dec *dc, const char *key)
{
	size_t saved = dc->plen, room = sizeof(dc->path) - dc->plen;
	int n = snprintf(dc->path + dc->plen, room, "%s%s", dc->plen ? "." : "", key);
	dc->plen += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
	return saved;
}

static size_t path_index(struct dec *dc, size_t i)
{
	size_t saved = dc->plen, room = sizeof(dc->path) - dc->plen;
	int n = snprintf(dc->path + dc->plen, room, "[%zu]", i);
	dc->plen += n < 0 ? 0 : (size_t)n < room ? (size_t)n : room - 1;
	return saved;
}

static void path_pop(struct dec *dc, size_t saved)
{
	dc->plen = saved;
	dc->path[saved] = '\0';
}

/* "expected <what f holds>, got <what n is> (why)" at n. A reason that
 * only restates the expectation ("expected a number") is left out. */
static void bad_value(struct dec *dc, const struct ynode *n, const struct field *f,
		      const char *why)
{
	char buf[128];
	const char *exp = fields_expect(f, buf, sizeof(buf));
	if (why && strncmp(why, "expected ", 9) == 0)
		why = NULL;
	if (n->type != YN_SCALAR || ytree_is_null(n))
		err(dc, n->pos, "expected %s, got %s", exp, ytree_type_name(n));
	else if (why)
		err(dc, n->pos, "expected %s, got %s (%s)", exp, q(dc, n->u.scalar.s), why);
	else
		err(dc, n->pos, "expected %s, got %s", exp, q(dc, n->u.scalar.s));
}

/* ---------------- typed getters: 0, or -1 after reporting ---------------- */

/* The text of a non-null scalar, or NULL after reporting. */
static const char *text(struct dec *dc, const struct ynode *n, const struct field *f)
{
	if (n->type != YN_SCALAR || ytree_is_null(n)) {
		bad_value(dc, n, f, NULL);
		return NULL;
	}
	return n->u.scalar.s;
}

static int get_string(struct dec *dc, const struct ynode *n, const struct field *f,
		      const char **out)
{
	const char *s = text(dc, n, f);
	if (!s)
		return -1;
	if (!*s && f->type != FT_STRING) {
		bad_value(dc, n, f, "empty");
		return -1;
	}
	*out = arena_strdup(dc->a, s);
	return 0;
}

/* Relative paths resolve against the topology file's folder. */
static const char *resolve(struct dec *dc, const char *p)
{
	if (p[0] == '/')
		return arena_strdup(dc->a, p);
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	if (!*p || strcmp(p, ".") == 0)
		return arena_strdup(dc->a, dc->t->dir);
	const char *dir = dc->t->dir;
	return arena_printf(dc->a, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", p);
}

static int get_path(struct dec *dc, const struct ynode *n, const struct field *f,
		    const char **out)
{
	const char *s;
	if (get_string(dc, n, f, &s) < 0)
		return -1;
	*out = resolve(dc, s);
	return 0;
}

static int get_uint(struct dec *dc, const struct ynode *n, const struct field *f, uint64_t *out)
{
	const char *why = NULL, *s = text(dc, n, f);
	if (!s)
		return -1;
	if (unit_uint(s, (uint64_t)f->min, (uint64_t)f->max, out, &why) < 0) {
		bad_value(dc, n, f, why);
		return -1;
	}
	return 0;
}

static int get_bool(struct dec *dc, const struct ynode *n, const struct field *f, bool *out)
{
	const char *s = text(dc, n, f);
	if (!s)
		return -1;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else {
		bad_value(dc, n, f, NULL);
		return -1;
	}
	return 0;
}

/* Index into f->values. */
static int get_enum(struct dec *dc, const struct ynode *n, const struct field *f, size_t *out)
{
	const char *s = text(dc, n, f);
	if (!s)
		return -1;
	for (size_t i = 0; f->values[i]; i++) {
		if (strcmp(s, f->values[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	bad_value(dc, n, f, NULL);
	return -1;
}

#define UNIT_GETTER(name, type, parse)                                                   \
	static int name(struct dec *dc, const struct ynode *n, const struct field *f,      \
			type *out)                                                           \
	{                                                                                  \
		const char *why = NULL, *s = text(dc, n, f);                                 \
		if (!s)                                                                      \
			return -1;                                                           \
		if (parse(s, out, &why) < 0) {                                               \
			bad_value(dc, n, f, why);                                            \
			return -1;                                                           \
		}                                                                            \
		return 0;                                                                    \
	}

UNIT_GETTER(get_duration, uint64_t, unit_duration)
UNIT_GETTER(get_size, uint64_t, unit_size)
UNIT_GETTER(get_rate, uint64_t, unit_rate)
UNIT_GETTER(get_percent, double, unit_percent)
UNIT_GETTER(get_ipv4, uint32_t, unit_ipv4)
UNIT_GETTER(get_prefix, struct ipv4_prefix, unit_prefix)
UNIT_GETTER(get_mac, uint8_t, unit_mac)
UNIT_GETTER(get_ipv6, uint8_t, unit_ipv6)
UNIT_GETTER(get_prefix6, struct ipv6_prefix, unit_prefix6)

/* Health's ping takes either family: a ':' means IPv6. */
static int get_ip_any(struct dec *dc, const struct ynode *n, const struct field *f,
		      uint32_t *v4, bool *v6, uint8_t a6[16])
{
	const char *why = NULL, *s = text(dc, n, f);
	if (!s)
		return -1;
	*v6 = strchr(s, ':') != NULL;
	if ((*v6 ? unit_ipv6(s, a6, &why) : unit_ipv4(s, v4, &why)) < 0) {
		bad_value(dc, n, f, why);
		return -1;
	}
	return 0;
}

/* "ip:port", or "[ipv6]:port" (then *v6 and a6). */
static int get_endpoint(struct dec *dc, const struct ynode *n, const struct field *f,
			uint32_t *ip, bool *v6, uint8_t a6[16], uint16_t *port)
{
	const char *why = NULL, *s = text(dc, n, f);
	if (!s)
		return -1;
	*v6 = s[0] == '[';
	if ((*v6 ? unit_endpoint6(s, a6, port, &why) : unit_endpoint(s, ip, port, &why)) < 0) {
		bad_value(dc, n, f, why);
		return -1;
	}
	return 0;
}

/* A command: a list of strings (argv) or one string split like a shell. */
static int get_command(struct dec *dc, const struct ynode *n, const struct field *f,
		       struct strv *out)
{
	const char *why = NULL;
	if (n->type == YN_SEQ) {
		if (n->u.seq.n == 0) {
			err(dc, n->pos, "expected %s, got an empty list", fields_expect(f, NULL, 0));
			return -1;
		}
		const char **v = arena_array(dc->a, n->u.seq.n + 1, sizeof(*v));
		struct pos *at = arena_array(dc->a, n->u.seq.n, sizeof(*at));
		int rc = 0;
		for (size_t i = 0; i < n->u.seq.n; i++) {
			const struct ynode *it = n->u.seq.v[i];
			if (it->type != YN_SCALAR || ytree_is_null(it)) {
				size_t saved = path_index(dc, i);
				err(dc, it->pos, "expected a string (one argument), got %s",
				    ytree_type_name(it));
				path_pop(dc, saved);
				rc = -1;
				continue;
			}
			v[i] = arena_strdup(dc->a, it->u.scalar.s);
			at[i] = it->pos;
		}
		if (rc < 0)
			return -1;
		out->v = v;
		out->at = at;
		out->n = n->u.seq.n;
		out->pos = n->pos;
		return 0;
	}
	const char *s = text(dc, n, f);
	if (!s)
		return -1;
	if (unit_split_command(dc->a, s, out, &why) < 0) {
		bad_value(dc, n, f, why);
		return -1;
	}
	out->pos = n->pos;
	return 0;
}

/* ---------------- objects ---------------- */

typedef void (*field_fn)(struct dec *dc, void *obj, const struct field *f, const struct ypair *p);

static void key_list(const struct field_table *tab, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < tab->n && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", tab->v[i].key);
}

static void unknown_key(struct dec *dc, const struct ynode *key, const struct field_table *tab)
{
	const char *k = key->u.scalar.s;
	if (strcmp(tab->name, "defaults") == 0 && fields_find(fields_table("node"), k)) {
		err(dc, key->pos, "%s cannot be given in defaults", q(dc, k));
		diag_hint(dc->d, "each node lists its own interfaces");
		return;
	}
	if (strcmp(tab->name, "partition-isolate") == 0 &&
	    fields_find(fields_table("partition-oneway"), k)) {
		err(dc, key->pos, "%s cannot be combined with \"isolate\"", q(dc, k));
		diag_hint(dc->d, "use either {isolate: node} or {from: [...], to: [...]}");
		return;
	}
	err(dc, key->pos, "unknown key %s", q(dc, k));
	const char *s = fields_suggest(tab, k);
	if (s) {
		diag_hint(dc->d, "did you mean \"%s\"?", s);
	} else {
		char buf[512];
		key_list(tab, buf, sizeof(buf));
		diag_hint(dc->d, "known keys here: %s", buf);
	}
}

/* Feed each entry of map to fn; report unknown keys. Returns the set of
 * table indices given (bit i = tab->v[i]). */
static uint64_t walk(struct dec *dc, const struct ynode *map, const struct field_table *tab,
		     void *obj, field_fn fn)
{
	uint64_t seen = 0;
	for (size_t i = 0; i < map->u.map.n; i++) {
		const struct ypair *p = &map->u.map.v[i];
		const char *key = p->key->u.scalar.s;
		const struct field *f = fields_find(tab, key);
		size_t saved = path_key(dc, key);
		if (!f) {
			unknown_key(dc, p->key, tab);
		} else {
			seen |= 1ull << (size_t)(f - tab->v);
			fn(dc, obj, f, p);
		}
		path_pop(dc, saved);
	}
	return seen;
}

/* Report each required key of tab missing from seen, at pos. */
static void check_required(struct dec *dc, const struct field_table *tab, uint64_t seen,
			   struct pos pos)
{
	for (size_t i = 0; i < tab->n; i++)
		if ((tab->v[i].flags & FF_REQUIRED) && !(seen & (1ull << i)))
			err(dc, pos, "missing required key \"%s\"", tab->v[i].key);
}

/* n must be a mapping of the fields of table `what`; null counts as an
 * empty one when allow_null. */
static const struct ynode *as_map(struct dec *dc, const struct ynode *n, const char *what,
				  bool allow_null)
{
	static const struct ynode empty = {.type = YN_MAP};
	if (n->type == YN_MAP)
		return n;
	if (allow_null && ytree_is_null(n))
		return &empty;
	const char *got = n->type == YN_SCALAR && !ytree_is_null(n) ? q(dc, n->u.scalar.s)
								       : ytree_type_name(n);
	err(dc, n->pos, "expected a mapping of %s fields, got %s", what, got);
	return NULL;
}

static const struct field *field_by_id(const char *table, enum field_id id)
{
	const struct field_table *t = fields_table(table);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

/* ---------------- targets ---------------- */

static int get_target(struct dec *dc, const struct ynode *n, bool nodes_only,
		      const char *action, struct fault_target *out)
{
	static const struct field tf = {.key = "target", .type = FT_TARGETS};
	const char *s = text(dc, n, &tf);
	if (!s)
		return -1;
	const char *dot = strchr(s, '.');
	out->pos = n->pos;
	if (s[0] == '@') {
		/* A role: validation checks that it is declared. */
		if (!s[1] || dot) {
			err(dc, n->pos, "expected @ROLE naming a role of `roles:` (or @others), got %s",
			    q(dc, s));
			diag_hint(dc->d, "a role names whole nodes: write \"@leader\", not "
				  "\"@leader.eth0\"");
			return -1;
		}
		out->role = arena_strdup(dc->a, s + 1);
		return 0;
	}
	if (strcmp(s, "random") == 0 || strcmp(s, "random-node") == 0) {
		out->random = true;     /* replaced by a node from the seed (generate.c) */
		return 0;
	}
	if (!dot) {
		out->node = arena_strdup(dc->a, s);
		out->iface = NULL;
	} else {
		if (dot == s || !dot[1]) {
			err(dc, n->pos, "expected a node or node.interface, got %s", q(dc, s));
			return -1;
		}
		if (nodes_only) {
			err(dc, n->pos, "\"%s\" acts on whole nodes, not on interface %s", action,
			    q(dc, s));
			diag_hint(dc->d, "name the node alone");
			return -1;
		}
		out->node = arena_strndup(dc->a, s, (size_t)(dot - s));
		out->iface = arena_strdup(dc->a, dot + 1);
	}
	return 0;
}

/* A target or a list of targets. */
static int get_targets(struct dec *dc, const struct ynode *n, bool nodes_only,
		       const char *action, struct target_list *out)
{
	static const struct field tf = {.key = "targets", .type = FT_TARGETS};
	out->pos = n->pos;
	if (n->type == YN_SCALAR && !ytree_is_null(n)) {
		out->v = arena_alloc(dc->a, sizeof(*out->v));
		out->n = get_target(dc, n, nodes_only, action, out->v) == 0;
		return out->n ? 0 : -1;
	}
	if (n->type != YN_SEQ) {
		bad_value(dc, n, &tf, NULL);
		return -1;
	}
	if (n->u.seq.n == 0) {
		err(dc, n->pos, "expected %s, got an empty list", fields_expect(&tf, NULL, 0));
		return -1;
	}
	out->v = arena_array(dc->a, n->u.seq.n, sizeof(*out->v));
	out->n = 0;
	int rc = 0;
	for (size_t i = 0; i < n->u.seq.n; i++) {
		size_t saved = path_index(dc, i);
		if (get_target(dc, n->u.seq.v[i], nodes_only, action, &out->v[out->n]) == 0)
			out->n++;
		else
			rc = -1;
		path_pop(dc, saved);
	}
	return rc;
}

/* ---------------- health, interfaces, disks, env ---------------- */

static void health_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_health *h = obj;
	const struct ynode *v = p->value;
	switch (f->id) {
	case F_H_TCP:
		h->has_tcp = get_endpoint(dc, v, f, &h->tcp_ip, &h->tcp_v6, h->tcp_ip6,
					  &h->tcp_port) == 0;
		h->tcp_pos = v->pos;
		break;
	case F_H_PING:
		h->has_ping = get_ip_any(dc, v, f, &h->ping_ip, &h->ping_v6, h->ping_ip6) == 0;
		h->ping_pos = v->pos;
		break;
	case F_H_EXEC:
		get_command(dc, v, f, &h->exec);
		break;
	case F_H_TIMEOUT:
		get_duration(dc, v, f, &h->timeout_us);
		break;
	case F_H_INTERVAL:
		get_duration(dc, v, f, &h->interval_us);
		break;
	default:
		break;
	}
}

static void health_init(struct topo_health *h)
{
	memset(h, 0, sizeof(*h));
	h->timeout_us = 30ull * 1000000ull;
	h->interval_us = 200ull * 1000ull;
}

static int dec_health(struct dec *dc, const struct ypair *p, const struct field *f,
		      struct topo_health *h)
{
	const struct ynode *m = as_map(dc, p->value, "health", false);
	if (!m)
		return -1;
	health_init(h);
	h->set = true;
	h->pos = p->key->pos;
	walk(dc, m, fields_table("health"), h, health_field);
	return 0;
}

static void iface_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_iface *ifc = obj;
	const struct ynode *v = p->value;
	switch (f->id) {
	case F_IF_NETWORK:
		get_string(dc, v, f, &ifc->network);
		ifc->network_pos = v->pos;
		break;
	case F_IF_IP:
		ifc->has_ip = get_ipv4(dc, v, f, &ifc->ip) == 0;
		ifc->ip_pos = v->pos;
		break;
	case F_IF_IP6:
		ifc->has_ip6 = get_ipv6(dc, v, f, ifc->ip6) == 0;
		ifc->ip6_pos = v->pos;
		break;
	case F_IF_MAC:
		ifc->has_mac = get_mac(dc, v, f, ifc->mac) == 0;
		ifc->mac_pos = v->pos;
		break;
	default:
		break;
	}
}

static void disk_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_disk *dk = obj;
	switch (f->id) {
	case F_DISK_PATH:
		get_path(dc, p->value, f, &dk->path);
		break;
	case F_DISK_READONLY:
		get_bool(dc, p->value, f, &dk->readonly);
		break;
	default:
		break;
	}
}

/* A list of objects of table f->sub, each decoded by fn into an element of
 * size `size`. Returns the array (or NULL when empty) and its length. */
static void *dec_list(struct dec *dc, const struct ynode *n, const struct field *f, size_t size,
		      field_fn fn, size_t *count)
{
	*count = 0;
	if (n->type != YN_SEQ) {
		if (!ytree_is_null(n))
			bad_value(dc, n, f, NULL);
		return NULL;
	}
	const struct field_table *tab = fields_table(f->sub);
	unsigned char *arr = n->u.seq.n ? arena_array(dc->a, n->u.seq.n, size) : NULL;
	for (size_t i = 0; i < n->u.seq.n; i++) {
		const struct ynode *it = n->u.seq.v[i];
		size_t saved = path_index(dc, i);
		void *obj = arr + i * size;
		/* Both element types start with `struct pos pos`. */
		*(struct pos *)obj = it->pos;
		if (it->type != YN_MAP) {
			err(dc, it->pos, "expected a mapping (%s), got %s", tab->name,
			    ytree_type_name(it));
		} else {
			uint64_t seen = walk(dc, it, tab, obj, fn);
			check_required(dc, tab, seen, it->pos);
		}
		path_pop(dc, saved);
	}
	*count = n->u.seq.n;
	return arr;
}

static int dec_env(struct dec *dc, const struct ynode *n, const struct field *f,
		   struct topo_node *node)
{
	if (n->type != YN_MAP) {
		bad_value(dc, n, f, NULL);
		return -1;
	}
	node->env = arena_array(dc->a, n->u.map.n ? n->u.map.n : 1, sizeof(*node->env));
	node->n_env = 0;
	static const struct field vf = {.key = "env value", .type = FT_STRING};
	for (size_t i = 0; i < n->u.map.n; i++) {
		const struct ypair *p = &n->u.map.v[i];
		size_t saved = path_key(dc, p->key->u.scalar.s);
		const char *val;
		if (get_string(dc, p->value, &vf, &val) == 0) {
			struct kv *e = &node->env[node->n_env++];
			e->key = arena_strdup(dc->a, p->key->u.scalar.s);
			e->value = val;
			e->pos = p->key->pos;
		} else {
			diag_hint(dc->d, "write \"\" for an empty value");
		}
		path_pop(dc, saved);
	}
	return 0;
}

/* ---------------- nodes and defaults ---------------- */

struct node_dec {
	struct topo_node *n;
	uint32_t given;         /* bit (id - F_NODE_FIRST) per field decoded */
	bool is_defaults;
	bool kind_given;        /* `kind:` in the node itself */
	bool kind_from_defaults;
};

#define NODE_BIT(id) (1u << ((unsigned)(id) - F_NODE_FIRST))

static unsigned kind_bit(enum node_kind k) { return k == NODE_VM ? KIND_VM : KIND_NETNS; }
static const char *kind_name(enum node_kind k) { return k == NODE_VM ? "vm" : "netns"; }

static void wrong_kind(struct dec *dc, const struct node_dec *nd, const struct field *f,
		       const struct ypair *p)
{
	const char *other = f->kinds == KIND_VM ? "vm" : "netns";
	err(dc, p->key->pos, "\"%s\" is a %s field, but node %s is kind %s", f->key,
	    fields_kind_name(f->kinds), q(dc, nd->n->name), kind_name(nd->n->kind));
	if (nd->kind_given)
		diag_hint(dc->d, "remove \"%s\", or change the node's kind to %s", f->key, other);
	else if (nd->kind_from_defaults)
		diag_hint(dc->d, "the kind comes from defaults; add \"kind: %s\" to the node", other);
	else
		diag_hint(dc->d, "nodes are vm unless they say otherwise; add \"kind: %s\"", other);
}

/* restart_on: own | [own] | [own, peers]: what restarts the node's command
 * when it changes. `own` (the command, its environment, workdir, addresses)
 * always does; without `peers`, a change of the other nodes does not. */
static int dec_restart_on(struct dec *dc, const struct ynode *v, const struct field *f,
			  struct topo_node *n)
{
	static const char *const words[] = {"own", "peers"};
	const struct ynode *one = v;
	size_t cnt = 1;
	if (v->type == YN_SEQ) {
		cnt = v->u.seq.n;
		if (cnt == 0) {
			err(dc, v->pos, "restart_on needs `own` (a change of the node's own command "
			    "always restarts it)");
			diag_hint(dc->d, "write `restart_on: [own]`, or `[own, peers]` (the default)");
			return -1;
		}
	}
	bool own = false, peers = false;
	int rc = 0;
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *it = v->type == YN_SEQ ? v->u.seq.v[i] : one;
		size_t saved = v->type == YN_SEQ ? path_index(dc, i) : 0;
		if (it->type != YN_SCALAR || ytree_is_null(it)) {
			err(dc, it->pos, "expected own or peers, got %s", ytree_type_name(it));
			rc = -1;
		} else if (strcmp(it->u.scalar.s, "own") == 0) {
			own = true;
		} else if (strcmp(it->u.scalar.s, "peers") == 0) {
			peers = true;
		} else {
			err(dc, it->pos, "expected own or peers, got %s", q(dc, it->u.scalar.s));
			const char *s = diag_suggest(it->u.scalar.s, words, 2);
			if (s)
				diag_hint(dc->d, "did you mean \"%s\"?", s);
			rc = -1;
		}
		if (v->type == YN_SEQ)
			path_pop(dc, saved);
	}
	if (rc == 0 && !own) {
		err(dc, v->pos, "restart_on needs `own`: a change of the node's own command, "
		    "environment or addresses always restarts it");
		diag_hint(dc->d, "write `restart_on: [own]` to keep it running when only its peers "
			  "change, or `[own, peers]` (the default)");
		rc = -1;
	}
	(void)f;
	if (rc == 0) {
		n->keep_on_peers = !peers;
		n->restart_on_pos = v->pos;
	}
	return rc;
}

static void node_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct node_dec *nd = obj;
	struct topo_node *n = nd->n;
	const struct ynode *v = p->value;
	uint64_t u;
	size_t e;
	int ok = -1;

	if (!nd->is_defaults && !(f->kinds & kind_bit(n->kind))) {
		wrong_kind(dc, nd, f, p);
		return;
	}
	switch (f->id) {
	case F_NODE_KIND:
		if ((ok = get_enum(dc, v, f, &e)) == 0) {
			n->kind = e == 0 ? NODE_VM : NODE_NETNS;
			n->kind_pos = v->pos;
		}
		break;
	case F_NODE_INTERFACES:
		n->ifaces = dec_list(dc, v, f, sizeof(*n->ifaces), iface_field, &n->n_ifaces);
		ok = 0;
		break;
	case F_NODE_HEALTH:
		ok = dec_health(dc, p, f, &n->health);
		break;
	case F_NODE_BINARY:
		/* A bare program name is looked up on PATH; only paths resolve. */
		if ((ok = get_string(dc, v, f, &n->binary)) == 0 && strchr(n->binary, '/'))
			n->binary = resolve(dc, n->binary);
		break;
	case F_NODE_CPUS:
		if ((ok = get_uint(dc, v, f, &u)) == 0)
			n->cpus = (uint32_t)u;
		break;
	case F_NODE_MEMORY:
		ok = get_size(dc, v, f, &n->memory);
		break;
	case F_NODE_KERNEL:
		ok = get_path(dc, v, f, &n->kernel);
		break;
	case F_NODE_INITRAMFS:
		ok = get_path(dc, v, f, &n->initramfs);
		break;
	case F_NODE_FIRMWARE:
		ok = get_path(dc, v, f, &n->firmware);
		break;
	case F_NODE_CMDLINE:
		ok = get_string(dc, v, f, &n->cmdline);
		break;
	case F_NODE_DISKS:
		n->disks = dec_list(dc, v, f, sizeof(*n->disks), disk_field, &n->n_disks);
		ok = 0;
		break;
	case F_NODE_CONSOLE:
		if ((ok = get_enum(dc, v, f, &e)) == 0)
			n->console = f->values[e];
		break;
	case F_NODE_SERIAL:
		if ((ok = get_enum(dc, v, f, &e)) == 0)
			n->serial = f->values[e];
		break;
	case F_NODE_GUEST_IP:
		ok = get_bool(dc, v, f, &n->guest_ip);
		break;
	case F_NODE_COMMAND:
		ok = get_command(dc, v, f, &n->command);
		break;
	case F_NODE_ENV:
		ok = dec_env(dc, v, f, n);
		break;
	case F_NODE_WORKDIR:
		ok = get_path(dc, v, f, &n->workdir);
		break;
	case F_NODE_RESTART_ON:
		ok = dec_restart_on(dc, v, f, n);
		break;
	case F_NODE_HOST:
		if ((ok = get_string(dc, v, f, &n->host)) < 0)
			break;
		n->host_pos = v->pos;
		/* A placement rule places many nodes: it belongs in defaults. */
		if (!nd->is_defaults && strcmp(n->host, TOPO_HOST_ROUND_ROBIN) == 0) {
			err(dc, v->pos, "round-robin is a placement rule for `defaults: host:`, "
			    "not the host of one node");
			diag_hint(dc->d, "name one of the hosts here, or move `host: round-robin` "
				  "to defaults");
			ok = -1;        /* kept: the node is not also reported as unplaced */
		}
		break;
	default:
		break;
	}
	if (ok == 0)
		nd->given |= NODE_BIT(f->id);
}

/* Copy field id from the defaults template df into n. */
static void copy_field(struct topo_node *n, const struct topo_node *df, enum field_id id)
{
	switch (id) {
	case F_NODE_HEALTH: n->health = df->health; break;
	case F_NODE_BINARY: n->binary = df->binary; break;
	case F_NODE_CPUS: n->cpus = df->cpus; break;
	case F_NODE_MEMORY: n->memory = df->memory; break;
	case F_NODE_KERNEL: n->kernel = df->kernel; break;
	case F_NODE_INITRAMFS: n->initramfs = df->initramfs; break;
	case F_NODE_FIRMWARE: n->firmware = df->firmware; break;
	case F_NODE_CMDLINE: n->cmdline = df->cmdline; break;
	case F_NODE_DISKS: n->disks = df->disks; n->n_disks = df->n_disks; break;
	case F_NODE_CONSOLE: n->console = df->console; break;
	case F_NODE_SERIAL: n->serial = df->serial; break;
	case F_NODE_GUEST_IP: n->guest_ip = df->guest_ip; break;
	case F_NODE_COMMAND: n->command = df->command; break;
	case F_NODE_ENV: n->env = df->env; n->n_env = df->n_env; break;
	case F_NODE_WORKDIR: n->workdir = df->workdir; break;
	case F_NODE_HOST: n->host = df->host; n->host_pos = df->host_pos; break;
	case F_NODE_RESTART_ON:
		n->keep_on_peers = df->keep_on_peers;
		n->restart_on_pos = df->restart_on_pos;
		break;
	default: break;
	}
}

/* Fields given in defaults and not in the node, of the node's kind. */
static void apply_defaults(struct node_dec *nd, const struct node_dec *dd)
{
	const struct field_table *tab = fields_table("defaults");
	for (size_t i = 0; i < tab->n; i++) {
		const struct field *f = &tab->v[i];
		if (f->id == F_NODE_KIND || !(dd->given & NODE_BIT(f->id)) ||
		    (nd->given & NODE_BIT(f->id)) || !(f->kinds & kind_bit(nd->n->kind)))
			continue;
		copy_field(nd->n, dd->n, f->id);
		nd->given |= NODE_BIT(f->id);
	}
}

/* Built-in values of the fields the node did not get from anywhere. */
static void builtin_defaults(struct topo_node *n)
{
	if (n->kind != NODE_VM)
		return;
	if (!n->cpus)
		n->cpus = 1;
	if (!n->memory)
		n->memory = 512ull << 20;
	if (!n->console)
		n->console = "log";
	if (!n->serial)
		n->serial = "off";
}

/* Decide the node's kind before its other fields: its own `kind:`, else the
 * defaults', else vm. A bad kind is reported here and treated as vm. */
static void node_kind(struct dec *dc, struct node_dec *nd, const struct ynode *m,
		      const struct node_dec *dd)
{
	const struct field *f = field_by_id("node", F_NODE_KIND);
	nd->n->kind = NODE_VM;
	if (dd && (dd->given & NODE_BIT(F_NODE_KIND))) {
		nd->n->kind = dd->n->kind;
		nd->n->kind_pos = dd->n->kind_pos;
		nd->kind_from_defaults = true;
	}
	for (size_t i = 0; i < m->u.map.n; i++) {
		const struct ypair *p = &m->u.map.v[i];
		if (strcmp(p->key->u.scalar.s, "kind") != 0)
			continue;
		struct node_dec tmp = *nd;
		size_t saved = path_key(dc, "kind");
		node_field(dc, &tmp, f, p);
		path_pop(dc, saved);
		if (tmp.given & NODE_BIT(F_NODE_KIND)) {
			nd->n->kind = tmp.n->kind;
			nd->kind_given = true;
			nd->kind_from_defaults = false;
		}
	}
	nd->given |= NODE_BIT(F_NODE_KIND);
}

/* node_field for a node: `kind` was already decoded by node_kind(). */
static void node_field_skip_kind(struct dec *dc, void *obj, const struct field *f,
				 const struct ypair *p)
{
	if (f->id != F_NODE_KIND)
		node_field(dc, obj, f, p);
}

static void dec_node(struct dec *dc, const struct ypair *p, const struct field *f,
		     struct topo_node *n, const struct node_dec *dd)
{
	n->name = arena_strdup(dc->a, p->key->u.scalar.s);
	n->pos = p->key->pos;
	health_init(&n->health);
	static const struct ynode no_fields = {.type = YN_MAP};
	const struct ynode *m = as_map(dc, p->value, "node", true);
	if (!m)
		m = &no_fields;         /* reported; still a node, with defaults */
	struct node_dec nd = {.n = n};
	node_kind(dc, &nd, m, dd);
	walk(dc, m, fields_table("node"), &nd, node_field_skip_kind);
	if (dd)
		apply_defaults(&nd, dd);
	builtin_defaults(n);
}

/* ---------------- networks ---------------- */

static void network_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_network *nw = obj;
	const struct ynode *v = p->value;
	uint64_t u;
	switch (f->id) {
	case F_NET_SUBNET:
		nw->has_subnet = get_prefix(dc, v, f, &nw->subnet) == 0;
		nw->subnet_pos = v->pos;
		break;
	case F_NET_GATEWAY:
		nw->has_gateway = get_ipv4(dc, v, f, &nw->gateway) == 0;
		nw->gateway_pos = v->pos;
		break;
	case F_NET_SUBNET6:
		nw->has_subnet6 = get_prefix6(dc, v, f, &nw->subnet6) == 0;
		nw->subnet6_pos = v->pos;
		break;
	case F_NET_GATEWAY6:
		nw->has_gateway6 = get_ipv6(dc, v, f, nw->gateway6) == 0;
		nw->gateway6_pos = v->pos;
		break;
	case F_NET_BRIDGE:
		get_string(dc, v, f, &nw->bridge);
		nw->bridge_pos = v->pos;
		break;
	case F_NET_MTU:
		if (get_uint(dc, v, f, &u) == 0)
			nw->mtu = (uint32_t)u;
		nw->mtu_pos = v->pos;
		break;
	case F_NET_ALLOW_OVERLAP:
		get_bool(dc, v, f, &nw->allow_overlap);
		break;
	default:
		break;
	}
}

/* ---------------- faults ---------------- */

struct impair_dec {
	struct topo_fault *fl;
	struct target_list *targets;
	const char *targets_key;        /* "nodes" or "targets" once given */
};

static void impair_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct impair_dec *id = obj;
	struct topo_fault *fl = id->fl;
	const struct ynode *v = p->value;
	size_t e;
	switch (f->id) {
	case F_P_NODES:
	case F_P_TARGETS:
		if (id->targets_key) {
			err(dc, p->key->pos, "both \"%s\" and \"%s\" given", id->targets_key, f->key);
			diag_hint(dc->d, "they mean the same; keep one");
			return;
		}
		id->targets_key = f->key;
		get_targets(dc, v, false, fault_kind_names[fl->kind], id->targets);
		break;
	case F_P_DELAY:
		get_duration(dc, v, f, &fl->u.impair.delay_us);
		break;
	case F_P_JITTER:
		get_duration(dc, v, f, &fl->u.impair.jitter_us);
		break;
	case F_P_CORRELATION:
		get_percent(dc, v, f, &fl->u.impair.correlation);
		break;
	case F_P_PERCENT:
		get_percent(dc, v, f, &fl->u.impair.percent);
		break;
	case F_P_DIRECTION:
		if (get_enum(dc, v, f, &e) == 0)
			fl->u.impair.direction = e == 0 ? DIR_BOTH : e == 1 ? DIR_EGRESS : DIR_INGRESS;
		break;
	case F_P_RATE:
		get_rate(dc, v, f, &fl->u.impair.rate_bps);
		break;
	case F_P_BURST:
		get_size(dc, v, f, &fl->u.impair.burst_bytes);
		break;
	default:
		break;
	}
}

/* An impairment or link-down: a parameter mapping (or, for link-down, a
 * bare target list). */
static void dec_impair(struct dec *dc, struct topo_fault *fl, const struct field *f,
		       const struct ypair *p)
{
	const struct ynode *v = p->value;
	struct impair_dec id = {.fl = fl};
	if (fl->kind == FAULT_LINK_DOWN) {
		id.targets = &fl->u.link.targets;
		if (v->type != YN_MAP) {
			get_targets(dc, v, false, f->key, id.targets);
			return;
		}
	} else {
		id.targets = &fl->u.impair.targets;
		fl->u.impair.direction = fl->kind == FAULT_LOSS ? DIR_BOTH : DIR_EGRESS;
		if (fl->kind == FAULT_REORDER)
			fl->u.impair.delay_us = 10000;
	}
	if (v->type != YN_MAP) {
		bad_value(dc, v, f, NULL);
		return;
	}
	const struct field_table *tab = fields_table(f->sub);
	uint64_t seen = walk(dc, v, tab, &id, impair_field);
	if (!id.targets_key)
		err(dc, p->key->pos, "missing required key \"nodes\": the targets of %s", f->key);
	for (size_t i = 0; i < tab->n; i++)
		if ((tab->v[i].flags & FF_REQUIRED) && !(seen & (1ull << i)))
			err(dc, p->key->pos, "missing required key \"%s\" in %s", tab->v[i].key,
			    f->key);
}

static void partition_field(struct dec *dc, void *obj, const struct field *f,
			    const struct ypair *p)
{
	struct topo_fault *fl = obj;
	size_t g = f->id == F_P_TO ? 1 : 0;
	get_targets(dc, p->value, false, "partition", &fl->u.partition.groups[g]);
}

/* partition: random-halves | random-majority-ring | random-node */
static void dec_partition_pick(struct dec *dc, struct topo_fault *fl, const struct field *f,
			       const struct ynode *v)
{
	static const struct { const char *word; enum partition_pick pick; } picks[] = {
		{"random-halves", PICK_HALVES},
		{"random-majority-ring", PICK_RING},
		{"random-node", PICK_NODE},
		{"random", PICK_NODE},
	};
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		if (strcmp(v->u.scalar.s, picks[i].word) == 0) {
			fl->pick = picks[i].pick;
			fl->u.partition.mode = picks[i].pick == PICK_NODE ? PART_ISOLATE : PART_GROUPS;
			return;
		}
	}
	bad_value(dc, v, f, NULL);
	fl->u.partition.mode = PART_GRUDGE;     /* reported: no group checks on top */
	const char *words[] = {"random-halves", "random-majority-ring", "random-node"};
	const char *sug = diag_suggest(v->u.scalar.s, words, 3);
	if (sug)
		diag_hint(dc->d, "did you mean \"%s\"?", sug);
}

static void dec_partition(struct dec *dc, struct topo_fault *fl, const struct field *f,
			  const struct ypair *p)
{
	const struct ynode *v = p->value;
	if (v->type == YN_SCALAR && !ytree_is_null(v)) {
		dec_partition_pick(dc, fl, f, v);
		return;
	}
	if (v->type == YN_SEQ) {
		fl->u.partition.mode = PART_GROUPS;
		fl->u.partition.groups = arena_array(dc->a, v->u.seq.n ? v->u.seq.n : 1,
						     sizeof(struct target_list));
		size_t ng = 0;
		fl->u.partition.flat = v->u.seq.n > 0;
		for (size_t i = 0; i < v->u.seq.n; i++) {
			if (v->u.seq.v[i]->type != YN_SCALAR)
				fl->u.partition.flat = false;
			size_t saved = path_index(dc, i);
			if (get_targets(dc, v->u.seq.v[i], false, "partition",
					&fl->u.partition.groups[ng]) == 0)
				ng++;
			path_pop(dc, saved);
		}
		fl->u.partition.n_groups = ng;
		return;
	}
	if (v->type != YN_MAP) {
		bad_value(dc, v, f, NULL);
		return;
	}
	bool isolate = false;
	for (size_t i = 0; i < v->u.map.n; i++)
		if (strcmp(v->u.map.v[i].key->u.scalar.s, "isolate") == 0)
			isolate = true;
	const struct field_table *tab =
		fields_table(isolate ? "partition-isolate" : "partition-oneway");
	fl->u.partition.mode = isolate ? PART_ISOLATE : PART_ONEWAY;
	fl->u.partition.n_groups = isolate ? 1 : 2;
	fl->u.partition.groups = arena_array(dc->a, 2, sizeof(struct target_list));
	uint64_t seen = walk(dc, v, tab, fl, partition_field);
	check_required(dc, tab, seen, p->key->pos);
}

struct fault_dec {
	struct topo_fault *fl;
	const struct ynode *action_key;
	const struct ynode *at_key;
};

/* The second action key of one fault: an error naming both. */
static bool second_action(struct dec *dc, struct fault_dec *fd, const struct field *f,
			  const struct ypair *p)
{
	if (!fd->action_key) {
		fd->action_key = p->key;
		return false;
	}
	err(dc, p->key->pos, "a fault has exactly one action, but this one has \"%s\" and \"%s\"",
	    fd->action_key->u.scalar.s, f->key);
	diag_hint(dc->d, "split it into two faults (they may share the same `at`)");
	return true;
}

static void fault_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct fault_dec *fd = obj;
	struct topo_fault *fl = fd->fl;
	const struct ynode *v = p->value;
	switch (f->id) {
	case F_FAULT_AT:
		fd->at_key = p->key;
		fl->has_at = true;
		get_duration(dc, v, f, &fl->at_us);
		fl->at_pos = v->pos;
		break;
	case F_FAULT_EVERY:
		fl->has_every = get_duration(dc, v, f, &fl->every_us) == 0;
		fl->every_pos = v->pos;
		break;
	case F_FAULT_FROM:
		fl->has_from = get_duration(dc, v, f, &fl->from_us) == 0;
		fl->from_pos = v->pos;
		break;
	case F_FAULT_UNTIL:
		fl->has_until = get_duration(dc, v, f, &fl->until_us) == 0;
		fl->until_pos = v->pos;
		break;
	case F_FAULT_ISOLATE:
		if (second_action(dc, fd, f, p))
			return;
		fl->kind = FAULT_PARTITION;
		fl->kind_pos = p->key->pos;
		fl->u.partition.mode = PART_ISOLATE;
		fl->u.partition.n_groups = 1;
		fl->u.partition.groups = arena_array(dc->a, 1, sizeof(struct target_list));
		get_targets(dc, v, false, "isolate", &fl->u.partition.groups[0]);
		break;
	case F_FAULT_FOR:
		fl->has_for = get_duration(dc, v, f, &fl->for_us) == 0;
		fl->for_pos = v->pos;
		break;
	case F_FAULT_NAME:
		get_string(dc, v, f, &fl->label);
		break;
	case F_FAULT_ACTION:
		if (second_action(dc, fd, f, p))
			return;
		fl->kind = (enum fault_kind)f->action;
		fl->kind_pos = p->key->pos;
		if (f->type == FT_TARGETS)
			get_targets(dc, v, true, f->key, &fl->u.node.targets);
		else if (f->type == FT_PARTITION)
			dec_partition(dc, fl, f, p);
		else
			dec_impair(dc, fl, f, p);
		break;
	default:
		break;
	}
}

static void action_list(char *buf, size_t n)
{
	size_t o = 0;
	for (int k = 0; k < FAULT__COUNT && o < n; k++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", k ? ", " : "", fault_kind_names[k]);
}

/* `at` for one fault; `every` (with `from`, `until`) for a generator. */
static void dec_fault_when(struct dec *dc, struct topo_fault *fl, const struct fault_dec *fd,
			   const struct ynode *it)
{
	if (fl->has_every && fd->at_key) {
		err(dc, fd->at_key->pos, "a repeating fault (`every`) starts at `from`, not `at`");
		diag_hint(dc->d, "rename `at` to `from` (the first repetition; default 0)");
	} else if (!fl->has_every && !fd->at_key &&
		   !(fl->has_from || fl->has_until)) {
		err(dc, it->pos, "missing required key \"at\"");
		diag_hint(dc->d, "say when the fault starts (`at: 5s`), or repeat it with "
			  "`every: 10s, until: 60s`");
	} else if (!fl->has_every && (fl->has_from || fl->has_until)) {
		struct pos p = fl->has_from ? fl->from_pos : fl->until_pos;
		err(dc, p, "`from` and `until` bound a repeating fault, but this one has no `every`");
		diag_hint(dc->d, "add `every: 10s`, or use `at` for a single fault");
	} else if (fl->has_every && !fl->has_until) {
		err(dc, fl->every_pos, "a repeating fault needs `until` (when the repetitions stop)");
		diag_hint(dc->d, "add `until: 60s`");
	}
}

static void dec_faults(struct dec *dc, const struct ynode *n, const struct field *f)
{
	struct topology *t = dc->t;
	if (n->type != YN_SEQ) {
		if (!ytree_is_null(n))
			bad_value(dc, n, f, NULL);
		return;
	}
	const struct field_table *tab = fields_table("fault");
	t->faults = arena_array(dc->a, n->u.seq.n ? n->u.seq.n : 1, sizeof(*t->faults));
	for (size_t i = 0; i < n->u.seq.n; i++) {
		const struct ynode *it = n->u.seq.v[i];
		struct topo_fault *fl = &t->faults[t->n_faults];
		size_t saved = path_index(dc, i);
		memset(fl, 0, sizeof(*fl));     /* the slot of a skipped fault is reused */
		fl->pos = it->pos;
		fl->index = i;                  /* as in the file: faults[i] */
		if (it->type != YN_MAP) {
			err(dc, it->pos, "expected a fault like {at: 5s, kill: node1}, got %s",
			    ytree_type_name(it));
			path_pop(dc, saved);
			continue;
		}
		struct fault_dec fd = {.fl = fl};
		uint64_t seen = walk(dc, it, tab, &fd, fault_field);
		check_required(dc, tab, seen, it->pos);
		dec_fault_when(dc, fl, &fd, it);
		if (!fd.action_key) {
			char buf[256];
			action_list(buf, sizeof(buf));
			err(dc, it->pos, "the fault has no action");
			diag_hint(dc->d, "add one of: %s", buf);
		} else {
			t->n_faults++;
		}
		path_pop(dc, saved);
	}
	t->n_entries = t->n_faults;
}

/* ---------------- roles ---------------- */

static void role_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_role *r = obj;
	switch (f->id) {
	case F_ROLE_COMMAND:
		get_command(dc, p->value, f, &r->command);
		break;
	case F_ROLE_TIMEOUT:
		get_duration(dc, p->value, f, &r->timeout_us);
		break;
	default:
		break;
	}
}

static void dec_roles(struct dec *dc, const struct ynode *v, const struct field *f)
{
	struct topology *t = dc->t;
	if (v->type != YN_MAP) {
		if (!ytree_is_null(v))
			bad_value(dc, v, f, NULL);
		return;
	}
	const struct field_table *tab = fields_table("role");
	t->roles = arena_array(dc->a, v->u.map.n ? v->u.map.n : 1, sizeof(*t->roles));
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct ypair *p = &v->u.map.v[i];
		struct topo_role *r = &t->roles[t->n_roles++];
		size_t saved = path_key(dc, p->key->u.scalar.s);
		r->name = arena_strdup(dc->a, p->key->u.scalar.s);
		r->pos = p->key->pos;
		r->timeout_us = 2000000;
		const struct ynode *m = as_map(dc, p->value, "role", false);
		if (m)
			check_required(dc, tab, walk(dc, m, tab, r, role_field), p->key->pos);
		path_pop(dc, saved);
	}
}

/* ---------------- hosts ---------------- */

static void host_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct topo_host *h = obj;
	const struct ynode *v = p->value;
	switch (f->id) {
	case F_HOST_SSH:
		/* user@host[:port]: validate_hosts.c splits and checks it */
		if (get_string(dc, v, f, &h->ssh) == 0 && !*h->ssh) {
			bad_value(dc, v, f, "empty");
			h->ssh = NULL;
		}
		h->ssh_pos = v->pos;
		break;
	case F_HOST_ADDRESS:
		h->has_address = get_ipv4(dc, v, f, &h->address) == 0;
		h->address_pos = v->pos;
		break;
	case F_HOST_LOCAL:
		get_bool(dc, v, f, &h->local);
		break;
	default:
		break;
	}
}

/* hosts: name -> `local` | {ssh, address, local}. */
static void dec_hosts(struct dec *dc, const struct ynode *v, const struct field *f)
{
	struct topology *t = dc->t;
	if (v->type != YN_MAP) {
		if (!ytree_is_null(v))
			bad_value(dc, v, f, NULL);
		return;
	}
	const struct field_table *tab = fields_table("host");
	t->hosts = arena_array(dc->a, v->u.map.n ? v->u.map.n : 1, sizeof(*t->hosts));
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct ypair *p = &v->u.map.v[i];
		struct topo_host *h = &t->hosts[t->n_hosts++];
		size_t saved = path_key(dc, p->key->u.scalar.s);
		h->name = arena_strdup(dc->a, p->key->u.scalar.s);
		h->pos = p->key->pos;
		const struct ynode *m = p->value;
		if (m->type == YN_SCALAR && !ytree_is_null(m) && strcmp(m->u.scalar.s, "local") == 0) {
			h->local = true;
		} else if (m->type == YN_MAP) {
			walk(dc, m, tab, h, host_field);
			if (!h->ssh && !h->local) {
				err(dc, p->key->pos, "host %s says neither how to reach it (ssh:) nor "
				    "that it is this machine (local: true)", q(dc, h->name));
				diag_hint(dc->d, "write `%s: {ssh: root@10.0.0.2}` or `%s: local`",
					  h->name, h->name);
			}
		} else {
			const char *got = m->type == YN_SCALAR && !ytree_is_null(m)
						  ? q(dc, m->u.scalar.s) : ytree_type_name(m);
			err(dc, m->pos, "expected `local` or a mapping with ssh, address and local, "
			    "got %s", got);
			diag_hint(dc->d, "write `%s: local`, or `%s: {ssh: root@10.0.0.2}`", h->name,
				  h->name);
		}
		path_pop(dc, saved);
	}
}

/* ---------------- the document ---------------- */

struct top_dec {
	const struct ypair *by[16];     /* pair per topology table index */
};

static void top_field(struct dec *dc, void *obj, const struct field *f, const struct ypair *p)
{
	struct top_dec *td = obj;
	const struct field_table *tab = fields_table("topology");
	td->by[f - tab->v] = p;
}

static void dec_api_version(struct dec *dc, const struct ynode *v, const struct field *f)
{
	if (get_string(dc, v, f, &dc->t->api_version) < 0)
		return;
	if (strcmp(dc->t->api_version, TOPO_API_VERSION) != 0) {
		err(dc, v->pos, "unsupported apiVersion %s", q(dc, dc->t->api_version));
		diag_hint(dc->d, "this aspen reads: %s", TOPO_API_VERSION);
	}
}

static void dec_networks(struct dec *dc, const struct ynode *v, const struct field *f)
{
	struct topology *t = dc->t;
	if (v->type != YN_MAP) {
		if (!ytree_is_null(v))
			bad_value(dc, v, f, NULL);
		return;
	}
	const struct field_table *tab = fields_table("network");
	t->networks = arena_array(dc->a, v->u.map.n ? v->u.map.n : 1, sizeof(*t->networks));
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct ypair *p = &v->u.map.v[i];
		struct topo_network *nw = &t->networks[t->n_networks++];
		size_t saved = path_key(dc, p->key->u.scalar.s);
		nw->name = arena_strdup(dc->a, p->key->u.scalar.s);
		nw->pos = p->key->pos;
		const struct ynode *m = as_map(dc, p->value, "network", true);
		if (m)
			check_required(dc, tab, walk(dc, m, tab, nw, network_field), p->key->pos);
		path_pop(dc, saved);
	}
}

static void dec_nodes(struct dec *dc, const struct ynode *v, const struct field *f,
		      const struct node_dec *dd)
{
	struct topology *t = dc->t;
	if (v->type != YN_MAP) {
		bad_value(dc, v, f, NULL);
		return;
	}
	if (v->u.map.n == 0) {
		err(dc, v->pos, "a topology needs at least one node");
		return;
	}
	t->nodes = arena_array(dc->a, v->u.map.n, sizeof(*t->nodes));
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct ypair *p = &v->u.map.v[i];
		size_t saved = path_key(dc, p->key->u.scalar.s);
		dec_node(dc, p, f, &t->nodes[t->n_nodes++], dd);
		path_pop(dc, saved);
	}
}

static void dec_defaults(struct dec *dc, const struct ynode *v, const struct field *f,
			 struct node_dec *dd)
{
	const struct ynode *m = as_map(dc, v, "node", true);
	if (!m)
		return;
	health_init(&dd->n->health);
	dd->n->name = "defaults";
	walk(dc, m, fields_table("defaults"), dd, node_field);
}

static void dec_top(struct dec *dc, const struct ynode *root)
{
	const struct field_table *tab = fields_table("topology");
	struct top_dec td = {{0}};
	uint64_t seen = walk(dc, root, tab, &td, top_field);
	for (size_t i = 0; i < tab->n; i++) {
		if (!(tab->v[i].flags & FF_REQUIRED) || (seen & (1ull << i)))
			continue;
		err(dc, root->pos, "missing required key \"%s\"", tab->v[i].key);
		if (tab->v[i].id == F_API_VERSION)
			diag_hint(dc->d, "a topology file starts with `apiVersion: %s`",
				  TOPO_API_VERSION);
	}
	const struct ypair *defaults = td.by[field_by_id("topology", F_DEFAULTS) - tab->v];

	struct topo_node dnode = {0};
	struct node_dec dd = {.n = &dnode, .is_defaults = true};
	for (size_t i = 0; i < tab->n; i++) {
		const struct ypair *p = td.by[i];
		if (!p)
			continue;
		const struct field *f = &tab->v[i];
		size_t saved = path_key(dc, f->key);
		switch (f->id) {
		case F_API_VERSION:
			dec_api_version(dc, p->value, f);
			break;
		case F_TOPO_NAME:
			get_string(dc, p->value, f, &dc->t->name);
			dc->t->name_pos = p->value->pos;
			break;
		case F_DEFAULTS:
			dec_defaults(dc, p->value, f, &dd);
			break;
		case F_NETWORKS:
			dec_networks(dc, p->value, f);
			break;
		case F_NODES:
			dec_nodes(dc, p->value, f, defaults ? &dd : NULL);
			break;
		case F_FAULTS:
			dec_faults(dc, p->value, f);
			break;
		case F_ROLES:
			dec_roles(dc, p->value, f);
			break;
		case F_HOSTS:
			dec_hosts(dc, p->value, f);
			break;
		case F_SEED: {
			uint64_t u = 0;
			dc->t->has_seed = get_uint(dc, p->value, f, &u) == 0;
			dc->t->file_seed = u;
			dc->t->seed_pos = p->value->pos;
			break;
		}
		default:
			break;
		}
		path_pop(dc, saved);
	}
}

/* ---------------- entry points ---------------- */

/* The absolute folder of path, lexically cleaned of "." and "//". */
static const char *abs_dir(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? arena_strndup(a, path, slash == path ? 1 : (size_t)(slash - path))
			  : arena_strdup(a, ".");
	char *full = dir;
	if (dir[0] != '/') {
		char *cwd = getcwd(NULL, 0);
		if (cwd) {
			full = arena_printf(a, "%s/%s", cwd, dir);
			free(cwd);
		}
	}
	/* Rebuild component by component. */
	char *out = arena_alloc(a, strlen(full) + 2);
	size_t o = 0;
	bool abs = full[0] == '/';
	for (char *s = full; *s;) {
		while (*s == '/')
			s++;
		char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - s);
		if (len && !(len == 1 && s[0] == '.')) {
			if (o || abs)
				out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = abs ? '/' : '.';
	out[o] = '\0';
	return out;
}

/* size 0: unknown (a stream cut at the limit). */
static void too_large(struct diag_list *d, unsigned long long size)
{
	if (size)
		diag_error(d, (struct pos){0, 0}, NULL,
			   "the file is %llu bytes; a topology file is at most %u MiB", size,
			   TOPO_MAX_FILE_BYTES >> 20);
	else
		diag_error(d, (struct pos){0, 0}, NULL,
			   "the file is larger than %u MiB, the most a topology file may be",
			   TOPO_MAX_FILE_BYTES >> 20);
}

struct topology *topo_decode_buffer(const char *path, const char *buf, size_t len,
				    struct diag_list *d)
{
	if (!d->file)
		d->file = path;
	if (len > TOPO_MAX_FILE_BYTES) {
		too_large(d, len);
		return NULL;
	}
	struct topology *t = calloc(1, sizeof(*t));
	if (!t) {
		diag_error(d, (struct pos){0, 0}, NULL, "out of memory");
		return NULL;
	}
	arena_init(&t->arena);
	t->file = arena_strdup(&t->arena, path);
	t->dir = abs_dir(&t->arena, path);

	struct arena tree;
	arena_init(&tree);
	const struct ytree_limits lim = {
		.max_bytes = TOPO_MAX_FILE_BYTES,
		.max_depth = TOPO_MAX_DEPTH,
		.max_scalar = TOPO_MAX_SCALAR,
		.max_weight = TOPO_MAX_NODES_VISITED,
	};
	struct ynode *root = NULL;
	if (ytree_parse(&tree, buf, len, &lim, d, &root) < 0 || !root || root->type != YN_MAP) {
		if (root)
			diag_error(d, root->pos, NULL,
				   "expected a mapping with apiVersion, name and nodes, got %s",
				   ytree_type_name(root));
		else if (!diag_failed(d))
			diag_error(d, (struct pos){0, 0}, NULL,
				   "the file holds no YAML document (empty, or only comments)");
		arena_free(&tree);
		topo_free(t);
		return NULL;
	}
	struct dec dc = {.t = t, .a = &t->arena, .d = d};
	dec_top(&dc, root);
	arena_free(&tree);
	return t;
}

/* The seed the expansion uses: --seed, else the file's, else the fallback. */
static void pick_seed(struct topology *t, const struct topo_load_opts *o)
{
	if (o && o->has_seed) {
		t->seed = o->seed;
		t->seed_source = SEED_OPTION;
	} else if (t->has_seed) {
		t->seed = t->file_seed;
		t->seed_source = SEED_FILE;
	} else if (o) {
		t->seed = o->fallback;
		t->seed_source = o->fallback_random ? SEED_RANDOM : SEED_DEFAULT;
	}
}

struct topology *topo_load_buffer_with(const char *path, const char *buf, size_t len,
				       const struct topo_load_opts *o, struct diag_list *d)
{
	struct topology *t = topo_decode_buffer(path, buf, len, d);
	if (t) {
		pick_seed(t, o);
		topo_validate(t, d);
		topo_set_here(t, o ? o->host : NULL, d);
	}
	return t;
}

struct topology *topo_load_buffer(const char *path, const char *buf, size_t len,
				  struct diag_list *d)
{
	return topo_load_buffer_with(path, buf, len, NULL, d);
}

struct topology *topo_load(const char *path, struct diag_list *d)
{
	return topo_load_with(path, NULL, d);
}

struct topology *topo_load_with(const char *path, const struct topo_load_opts *o,
				struct diag_list *d)
{
	if (!d->file)
		d->file = path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		diag_error(d, (struct pos){0, 0}, NULL, "cannot open the file: %s", strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (unsigned long long)st.st_size > TOPO_MAX_FILE_BYTES) {
		too_large(d, (unsigned long long)st.st_size);
		close(fd);
		return NULL;
	}
	/* Read at most one byte past the limit: pipes and /proc have no size. */
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (len == cap) {
			size_t ncap = cap * 2 > TOPO_MAX_FILE_BYTES + 1u ? TOPO_MAX_FILE_BYTES + 1u
									 : cap * 2;
			if (ncap == cap)
				break;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_error(d, (struct pos){0, 0}, NULL, "cannot read the file: %s",
				   strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		diag_error(d, (struct pos){0, 0}, NULL, "out of memory reading the file");
		return NULL;
	}
	if (len > TOPO_MAX_FILE_BYTES) {
		too_large(d, 0);
		free(buf);
		return NULL;
	}
	struct topology *t = topo_load_buffer_with(path, buf, len, o, d);
	free(buf);
	return t;
}
