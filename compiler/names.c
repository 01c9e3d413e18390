/* names.c — deterministic names of the kernel objects of a topology.
 *
 * Owns: the stable hash, the netns / bridge / host-interface / MAC schemes,
 * and the check that generated link names do not collide. The idea: a name
 * is a pure function of the names in the file, readable when it fits the
 * kernel's 15-byte limit and hashed where it does not, so re-applying a file
 * finds its own objects without consulting any state (docs/names.md). */
#include "compiler/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL
#define TAG_DIGITS 4            /* hex digits of hash(topology) in link names */
#define LINK_MAX (IFNAMSIZ_ASPEN - 1)

/* snprintf that truncates silently: every caller has checked the length
 * first, or is formatting a name validation rejects anyway. Returns the
 * length the full output would have. */
static int fit(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fit(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n;
}

uint64_t names_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t names_hash_str(const char *s)
{
	return names_hash(s, strlen(s));
}

uint64_t names_digest(const char *s)
{
	uint64_t k = names_hash_str(s);
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

void names_hex(char *out, uint64_t h, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";
	if (digits > 16)
		digits = 16;
	for (unsigned i = 0; i < digits; i++)
		out[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out[digits] = '\0';
}

static void topo_tag(char tag[TAG_DIGITS + 1], const char *topo)
{
	names_hex(tag, names_digest(topo), TAG_DIGITS);
}

void names_netns(char out[NAMES_NETNS_MAX], const char *topo, const char *node)
{
	int n = fit(out, NAMES_NETNS_MAX, "aspen-%s-%s", topo, node);
	if (n >= 0 && n < NAMES_NETNS_MAX)
		return;
	char h[17];
	names_hex(h, names_digest(node), 16);
	fit(out, NAMES_NETNS_MAX, "aspen-%.*s-%s", NAMES_NETNS_MAX - 24, topo, h);
}

void names_bridge(char out[IFNAMSIZ_ASPEN], const char *topo, const char *net,
		  const char *user)
{
	if (user) {
		fit(out, IFNAMSIZ_ASPEN, "%s", user);
		return;
	}
	char tag[TAG_DIGITS + 1], h[7];
	topo_tag(tag, topo);
	if (3 + TAG_DIGITS + 1 + strlen(net) <= LINK_MAX) {
		fit(out, IFNAMSIZ_ASPEN, "as-%s-%s", tag, net);
		return;
	}
	names_hex(h, names_digest(net), 6);
	fit(out, IFNAMSIZ_ASPEN, "as-%s-%s", tag, h);
}

static unsigned decimal_digits(size_t v)
{
	unsigned n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

int names_host_iface(char out[IFNAMSIZ_ASPEN], const char *topo, const char *node, size_t idx)
{
	char tag[TAG_DIGITS + 1], h[17];
	topo_tag(tag, topo);
	unsigned id = decimal_digits(idx);
	/* "as-" tag "-" node "-" idx */
	if (3 + TAG_DIGITS + 1 + strlen(node) + 1 + id <= LINK_MAX) {
		fit(out, IFNAMSIZ_ASPEN, "as-%s-%s-%zu", tag, node, idx);
		return 0;
	}
	/* The hash gets what is left: 15 - 8 ("as-tttt-") - 1 ("-") - id. */
	int room = LINK_MAX - (3 + TAG_DIGITS + 1) - 1 - (int)id;
	names_hex(h, names_digest(node), room > 0 ? (unsigned)room : 1);
	fit(out, IFNAMSIZ_ASPEN, "as-%s-%s-%zu", tag, h, idx);
	return room > 0 ? 0 : -1;
}

void names_node_iface(char out[IFNAMSIZ_ASPEN], size_t idx)
{
	fit(out, IFNAMSIZ_ASPEN, "eth%zu", idx);
}

void names_mac(uint8_t mac[6], const char *topo, const char *node, size_t idx)
{
	/* Names are at most 32 bytes; longer (invalid) ones are cut, which
	 * only weakens the MAC of a file validation rejects anyway. */
	char key[128];
	fit(key, sizeof key, "%s/%s/%zu", topo, node, idx);
	uint64_t h = names_digest(key);
	mac[0] = 0x02;
	for (int i = 0; i < 5; i++)
		mac[1 + i] = (uint8_t)(h >> (56 - 8 * i));
}

void names_fmt_ipv4(char out[16], uint32_t ip)
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

void names_fmt_mac(char out[18], const uint8_t mac[6])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* ---- uniqueness ---- */

/* One owner of a name: a network's bridge, the host end of an interface,
 * or a node's namespace. `seq` is file order within its class. */
struct owner {
	const char *name;
	size_t seq;
	struct pos pos;
	const char *what;       /* "the bridge of network lan", "node1.eth0" */
	const char *path;       /* dotted path of the owner */
	bool user_chosen;
};

static int owner_cmp(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort and report every run of equal names at its later members. */
static void report_dups(struct owner *o, size_t n, struct diag_list *d, const char *kind)
{
	qsort(o, n, sizeof *o, owner_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		while (first > 0 && strcmp(o[first - 1].name, o[i].name) == 0)
			first--;
		if (strcmp(o[first].name, o[i].name) != 0)
			continue;
		diag_error(d, o[i].pos, o[i].path, "%s name \"%s\" of %s is also used by %s (at %u:%u)",
			   kind, o[i].name, o[i].what, o[first].what,
			   o[first].pos.line, o[first].pos.col);
		if (o[i].user_chosen || o[first].user_chosen)
			diag_hint(d, "choose another `bridge:` name");
		else
			diag_hint(d, "rename one of them; docs/names.md describes the generated names");
	}
}

static void assign_networks(struct topology *t, const char *topo, struct owner *links,
			    size_t *n_links, struct arena *a)
{
	for (size_t i = 0; i < t->n_networks; i++) {
		struct topo_network *w = &t->networks[i];
		if (!w->name)
			continue;
		names_bridge(w->bridge_name, topo, w->name, w->bridge);
		links[(*n_links)++] = (struct owner){
			.name = w->bridge_name, .seq = *n_links,
			.pos = w->bridge ? w->bridge_pos : w->pos,
			.what = arena_printf(a, "the bridge of network %s", w->name),
			.path = arena_printf(a, w->bridge ? "networks.%s.bridge" : "networks.%s", w->name),
			.user_chosen = w->bridge != NULL,
		};
	}
}

static void assign_node(const char *topo, struct topo_node *nd,
			struct owner *links, size_t *n_links, struct arena *a)
{
	names_netns(nd->netns_name, topo, nd->name);
	for (size_t j = 0; j < nd->n_ifaces; j++) {
		struct topo_iface *f = &nd->ifaces[j];
		names_node_iface(f->name, j);
		names_host_iface(f->host_name, topo, nd->name, j);
		if (f->has_mac)
			memcpy(f->eff_mac, f->mac, 6);
		else
			names_mac(f->eff_mac, topo, nd->name, j);
		links[(*n_links)++] = (struct owner){
			.name = f->host_name, .seq = *n_links, .pos = f->pos,
			.what = arena_printf(a, "%s.%s", nd->name, f->name),
			.path = arena_printf(a, "nodes.%s.interfaces[%zu]", nd->name, j),
		};
	}
}

void names_assign(struct topology *t, struct diag_list *d)
{
	const char *topo = t->name ? t->name : "";
	size_t n_links = t->n_networks, n_ns = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		n_links += t->nodes[i].n_ifaces;

	/* Owner descriptions are scratch: a private arena, freed below. */
	struct arena a;
	arena_init(&a);
	struct owner *links = arena_array(&a, n_links + 1, sizeof *links);
	struct owner *ns = arena_array(&a, t->n_nodes + 1, sizeof *ns);
	n_links = 0;
	assign_networks(t, topo, links, &n_links, &a);
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct topo_node *nd = &t->nodes[i];
		if (!nd->name)
			continue;
		assign_node(topo, nd, links, &n_links, &a);
		ns[n_ns] = (struct owner){
			.name = nd->netns_name, .seq = n_ns, .pos = nd->pos,
			.what = arena_printf(&a, "node %s", nd->name),
			.path = arena_printf(&a, "nodes.%s", nd->name),
		};
		n_ns++;
	}
	report_dups(links, n_links, d, "link");
	report_dups(ns, n_ns, d, "namespace");
	arena_free(&a);
}
