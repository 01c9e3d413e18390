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

/* Names are built with a tiny appender instead of snprintf: a 1000-node
 * file generates thousands of names, and printf was most of the cost.
 * `len` counts what the full text would take; the text itself is cut to
 * fit `cap` and always terminated. */
struct nbuf {
	char *p;
	size_t cap, len;
};

static void nb_chr(struct nbuf *b, char c)
{
	if (b->len + 1 < b->cap)
		b->p[b->len] = c;
	b->len++;
	b->p[b->len < b->cap ? b->len : b->cap - 1] = '\0';
}

static void nb_str(struct nbuf *b, const char *s)
{
	for (; *s; s++)
		nb_chr(b, *s);
}

static void nb_uint(struct nbuf *b, size_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		nb_chr(b, tmp[--n]);
}

static struct nbuf nb_start(char *out, size_t cap)
{
	out[0] = '\0';
	return (struct nbuf){ out, cap, 0 };
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

void names_b32(char *out, uint64_t h, unsigned digits)
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	if (digits > 12)
		digits = 12;
	for (unsigned i = 0; i < digits; i++)
		out[i] = b32[(h >> (59 - 5 * i)) & 0x1f];
	out[digits] = '\0';
}

static void topo_tag(char tag[TAG_DIGITS + 1], const char *topo)
{
	names_hex(tag, names_digest(topo), TAG_DIGITS);
}

void names_netns(char out[NAMES_NETNS_MAX], const char *topo, const char *node)
{
	struct nbuf b = nb_start(out, NAMES_NETNS_MAX);
	nb_str(&b, "aspen-");
	nb_str(&b, topo);
	nb_chr(&b, '-');
	size_t prefix = b.len;
	nb_str(&b, node);
	if (b.len < NAMES_NETNS_MAX)
		return;
	char h[17];
	names_hex(h, names_digest(node), 16);
	/* Keep the hash whole: cut the topology part if it is over-long. */
	if (prefix + 16 <= NAMES_NETNS_MAX - 1) {
		b.len = prefix;
	} else {
		b.len = NAMES_NETNS_MAX - 18;
		out[b.len++] = '-';
	}
	out[b.len] = '\0';
	nb_str(&b, h);
}

/* "<prefix><t>-<net>", or "<prefix><t>-<6 hex of digest(net)>" past 15 bytes. */
static void net_link(char out[IFNAMSIZ_ASPEN], const char *kind, const char *topo,
		     const char *net)
{
	struct nbuf b = nb_start(out, IFNAMSIZ_ASPEN);
	char tag[TAG_DIGITS + 1], h[7];
	topo_tag(tag, topo);
	nb_str(&b, kind);
	nb_str(&b, tag);
	nb_chr(&b, '-');
	size_t prefix = b.len;
	nb_str(&b, net);
	if (b.len <= LINK_MAX)
		return;
	names_hex(h, names_digest(net), 6);
	b.len = prefix;
	out[prefix] = '\0';
	nb_str(&b, h);
}

void names_bridge(char out[IFNAMSIZ_ASPEN], const char *topo, const char *net,
		  const char *user)
{
	if (user) {
		struct nbuf b = nb_start(out, IFNAMSIZ_ASPEN);
		nb_str(&b, user);
		return;
	}
	net_link(out, "as-", topo, net);
}

void names_vxlan(char out[IFNAMSIZ_ASPEN], const char *topo, const char *net)
{
	net_link(out, "vx-", topo, net);
}

void names_host_iface(char out[IFNAMSIZ_ASPEN], const char *topo, const char *node, size_t idx)
{
	char tag[TAG_DIGITS + 1], key[128], h[8];
	struct nbuf b = nb_start(out, IFNAMSIZ_ASPEN);
	topo_tag(tag, topo);
	nb_str(&b, "as-");
	nb_str(&b, tag);
	nb_chr(&b, '-');
	size_t prefix = b.len;
	nb_str(&b, node);
	nb_chr(&b, '-');
	nb_uint(&b, idx);
	if (b.len <= LINK_MAX)
		return;
	/* Names are at most 32 bytes; the key of an over-long (invalid) one
	 * is cut, which only matters for files validation rejects. */
	struct nbuf k = nb_start(key, sizeof key);
	nb_str(&k, node);
	nb_chr(&k, '/');
	nb_uint(&k, idx);
	names_b32(h, names_digest(key), 7);
	b.len = prefix;
	out[prefix] = '\0';
	nb_str(&b, h);
}

void names_ifb(char out[IFNAMSIZ_ASPEN], const char *host)
{
	char h[16];
	struct nbuf b = nb_start(out, IFNAMSIZ_ASPEN);
	nb_str(&b, "ai-");
	if (strncmp(host, "as-", 3) == 0) {
		nb_str(&b, host + 3);
		return;
	}
	names_b32(h, names_digest(host), 12);
	nb_str(&b, h);
}

void names_node_iface(char out[IFNAMSIZ_ASPEN], size_t idx)
{
	struct nbuf b = nb_start(out, IFNAMSIZ_ASPEN);
	nb_str(&b, "eth");
	nb_uint(&b, idx);
}

void names_mac(uint8_t mac[6], const char *topo, const char *node, size_t idx)
{
	char key[128];
	struct nbuf k = nb_start(key, sizeof key);
	nb_str(&k, topo);
	nb_chr(&k, '/');
	nb_str(&k, node);
	nb_chr(&k, '/');
	nb_uint(&k, idx);
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
 * or a node's namespace. Sorting by (name, seq) puts equal names next to
 * each other in file order. Descriptions are only formatted on a clash. */
enum owner_kind { OWN_BRIDGE, OWN_IFACE, OWN_NETNS, OWN_VXLAN };

struct owner {
	const char *name;
	size_t seq;
	enum owner_kind kind;
	size_t a, b;            /* network, or node and interface */
};

static int owner_cmp(const void *x_, const void *y_)
{
	const struct owner *x = x_, *y = y_;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct pos owner_pos(const struct topology *t, const struct owner *o)
{
	const struct topo_network *w = &t->networks[o->a];
	switch (o->kind) {
	case OWN_BRIDGE: return w->bridge ? w->bridge_pos : w->pos;
	case OWN_VXLAN: return w->pos;
	case OWN_IFACE: return t->nodes[o->a].ifaces[o->b].pos;
	default: return t->nodes[o->a].pos;
	}
}

/* "the bridge of network lan", "node1.eth0", "node node1"; and the path. */
static void owner_text(const struct topology *t, const struct owner *o, char *what,
		       char *path, size_t size)
{
	bool net = o->kind == OWN_BRIDGE || o->kind == OWN_VXLAN;
	const char *n = net ? t->networks[o->a].name : t->nodes[o->a].name;
	switch (o->kind) {
	case OWN_VXLAN:
		snprintf(what, size, "the VXLAN port of network %s", n);
		snprintf(path, size, "networks.%s", n);
		break;
	case OWN_BRIDGE:
		snprintf(what, size, "the bridge of network %s", n);
		snprintf(path, size, t->networks[o->a].bridge ? "networks.%s.bridge" : "networks.%s", n);
		break;
	case OWN_IFACE:
		snprintf(what, size, "%s.%s", n, t->nodes[o->a].ifaces[o->b].name);
		snprintf(path, size, "nodes.%s.interfaces[%zu]", n, o->b);
		break;
	default:
		snprintf(what, size, "node %s", n);
		snprintf(path, size, "nodes.%s", n);
		break;
	}
}

static bool user_chosen(const struct topology *t, const struct owner *o)
{
	return o->kind == OWN_BRIDGE && t->networks[o->a].bridge;
}

static void report_clash(const struct topology *t, struct diag_list *d, const char *kind,
			 const struct owner *later, const struct owner *first)
{
	char what[128], path[128], what0[128], path0[128];
	owner_text(t, later, what, path, sizeof what);
	owner_text(t, first, what0, path0, sizeof what0);
	struct pos p = owner_pos(t, later), q = owner_pos(t, first);
	diag_error(d, p, path, "%s name \"%s\" of %s is also used by %s (at %u:%u)",
		   kind, later->name, what, what0, q.line, q.col);
	if (user_chosen(t, later) || user_chosen(t, first))
		diag_hint(d, "choose another `bridge:` name");
	else
		diag_hint(d, "rename one of them; docs/names.md describes the generated names");
}

/* Sort and report every later member of a run of equal names against the
 * run's first member. */
static void report_dups(const struct topology *t, struct owner *o, size_t n,
			struct diag_list *d, const char *kind)
{
	qsort(o, n, sizeof *o, owner_cmp);
	size_t first = 0;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(o[first].name, o[i].name) != 0)
			first = i;
		else
			report_clash(t, d, kind, &o[i], &o[first]);
	}
}

void names_assign(struct topology *t, struct diag_list *d)
{
	const char *topo = t->name ? t->name : "";
	size_t n_links = 2 * t->n_networks, n_ns = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		n_links += t->nodes[i].n_ifaces;
	struct owner *links = calloc(n_links + 1, sizeof *links);
	struct owner *ns = calloc(t->n_nodes + 1, sizeof *ns);
	if (!links || !ns) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	n_links = 0;
	for (size_t i = 0; i < t->n_networks; i++) {
		struct topo_network *w = &t->networks[i];
		if (!w->name)
			continue;
		names_bridge(w->bridge_name, topo, w->name, w->bridge);
		links[n_links] = (struct owner){ w->bridge_name, n_links, OWN_BRIDGE, i, 0 };
		n_links++;
		if (!w->spans)
			continue;
		names_vxlan(w->vxlan_name, topo, w->name);
		links[n_links] = (struct owner){ w->vxlan_name, n_links, OWN_VXLAN, i, 0 };
		n_links++;
	}
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct topo_node *nd = &t->nodes[i];
		if (!nd->name)
			continue;
		names_netns(nd->netns_name, topo, nd->name);
		ns[n_ns] = (struct owner){ nd->netns_name, n_ns, OWN_NETNS, i, 0 };
		n_ns++;
		for (size_t j = 0; j < nd->n_ifaces; j++) {
			struct topo_iface *f = &nd->ifaces[j];
			names_node_iface(f->name, j);
			names_host_iface(f->host_name, topo, nd->name, j);
			if (f->has_mac)
				memcpy(f->eff_mac, f->mac, 6);
			else
				names_mac(f->eff_mac, topo, nd->name, j);
			links[n_links] = (struct owner){ f->host_name, n_links, OWN_IFACE, i, j };
			n_links++;
		}
	}
	report_dups(t, links, n_links, d, "link");
	report_dups(t, ns, n_ns, d, "namespace");
	free(links);
	free(ns);
}
