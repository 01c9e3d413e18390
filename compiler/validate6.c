/* validate6.c — the IPv6 half of a dual-stack address plan.
 *
 * Owns topo_validate6(): a network's `subnet6`/`gateway6`, an interface's
 * `ip6` and the IPv6 addresses of health checks. The rules are IPv4's
 * (validate.c) with IPv6's numbers: a subnet is /32 to /128 with no host
 * bits and touches no block a link cannot carry (::/8 — unspecified,
 * loopback, IPv4-mapped —, link-local fe80::/10, multicast ff00::/8); a
 * gateway and every address lie inside it and are not its subnet-router
 * anycast address (all host bits zero: every router on the link answers
 * it; /127 and /128 have none, RFC 6164); addresses are unique per network
 * and subnets of different networks do not overlap. IPv6 has no broadcast
 * address. Kept apart from validate.c so the two families read side by
 * side without one growing a branch per family in every check.
 *
 * Addresses are 16 bytes in network order, so memcmp orders them. */
#include "compiler/compile.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V6_MIN_LEN 32

struct v6ctx {
	struct topology *t;
	struct diag_list *d;
	char path[512];
};

static const char *v6_path(struct v6ctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *v6_path(struct v6ctx *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->path, sizeof v->path, fmt, ap);
	va_end(ap);
	return v->path;
}

static const char *v6_str(char buf[INET6_ADDRSTRLEN], const uint8_t a[16])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* a with the bits after len cleared (base) or set (last). */
static void v6_base(const uint8_t a[16], unsigned len, uint8_t out[16])
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		out[i] = a[i] & mask;
	}
}

static void v6_last(const uint8_t a[16], unsigned len, uint8_t out[16])
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		out[i] = (uint8_t)(a[i] | (uint8_t)~mask);
	}
}

bool topo_v6_in(const struct ipv6_prefix *p, const uint8_t a[16])
{
	uint8_t x[16], y[16];
	v6_base(a, p->len, x);
	v6_base(p->addr, p->len, y);
	return memcmp(x, y, 16) == 0;
}

/* The subnet-router anycast address: the subnet's base, /126 and shorter. */
static bool v6_is_anycast(const struct ipv6_prefix *p, const uint8_t a[16])
{
	return p->len < 127 && memcmp(a, p->addr, 16) == 0;
}

/* ------------------------------------------------------------ networks */

static const struct {
	uint8_t base[16]; uint8_t len;
	const char *what, *why;
} v6_blocks[] = {
	{ {0}, 8, "::/8 (unspecified, loopback and IPv4-mapped addresses)",
	  "the kernel never sends these on a link" },
	{ {0xfe, 0x80}, 10, "link-local (fe80::/10)",
	  "every interface already has its own link-local address there" },
	{ {0xff}, 8, "multicast (ff00::/8)", "multicast groups are not a subnet" },
};

#define V6_HINT "use a unique local prefix (RFC 4193, fd00::/8) with room for the nodes, " \
	"such as fd00:100::/64"

static void v6_hint_range(struct v6ctx *v, const struct topo_network *w)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	uint8_t first[16];
	memcpy(first, w->subnet6.addr, 16);
	if (w->subnet6.len < 127)
		first[15] |= 1;
	if (w->has_gateway6 && memcmp(first, w->gateway6, 16) == 0 && w->subnet6.len < 128)
		first[15]++;            /* ...::1 -> ...::2, or /127's ...::0 -> ...::1 */
	diag_hint(v->d, "use an address of %s/%u such as %s%s", v6_str(a, w->subnet6.addr),
		  w->subnet6.len, v6_str(b, first),
		  w->subnet6.len < 127 ? " (not the subnet's own address)" : "");
}

static void v6_check_subnet(struct v6ctx *v, const struct topo_network *w)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const char *path = v6_path(v, "networks.%s.subnet6", w->name);
	uint8_t base[16];
	unsigned len = w->subnet6.len;
	v6_base(w->subnet6.addr, len, base);
	if (memcmp(base, w->subnet6.addr, 16) != 0) {
		diag_error(v->d, w->subnet6_pos, path, "subnet6 %s/%u has host bits set",
			   v6_str(a, w->subnet6.addr), len);
		diag_hint(v->d, "did you mean %s/%u?", v6_str(b, base), len);
		return;
	}
	if (len < V6_MIN_LEN) {
		diag_error(v->d, w->subnet6_pos, path, "subnet6 %s/%u of network %s is shorter "
			   "than /%d: it would take over large parts of the host's IPv6 routing",
			   v6_str(a, base), len, w->name, V6_MIN_LEN);
		diag_hint(v->d, V6_HINT);
		return;
	}
	for (size_t k = 0; k < sizeof v6_blocks / sizeof v6_blocks[0]; k++) {
		unsigned l = v6_blocks[k].len < len ? v6_blocks[k].len : len;
		uint8_t x[16], y[16];
		v6_base(base, l, x);
		v6_base(v6_blocks[k].base, l, y);
		if (memcmp(x, y, 16) != 0)
			continue;
		diag_error(v->d, w->subnet6_pos, path, "subnet6 %s/%u of network %s is %s: %s",
			   v6_str(a, base), len, w->name, v6_blocks[k].what, v6_blocks[k].why);
		diag_hint(v->d, V6_HINT);
		return;
	}
}

static void v6_check_gateway(struct v6ctx *v, const struct topo_network *w)
{
	char a[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];
	const char *path = v6_path(v, "networks.%s.gateway6", w->name);
	v6_str(a, w->gateway6);
	v6_str(n, w->subnet6.addr);
	if (!w->has_subnet6) {
		diag_error(v->d, w->gateway6_pos, path, "gateway6 %s needs an IPv6 subnet: network "
			   "%s has no subnet6", a, w->name);
		diag_hint(v->d, "add `subnet6:` (such as fd00:100::/64) to network %s", w->name);
	} else if (!topo_v6_in(&w->subnet6, w->gateway6)) {
		diag_error(v->d, w->gateway6_pos, path, "gateway6 %s is outside the subnet6 %s/%u", a,
			   n, w->subnet6.len);
		v6_hint_range(v, w);
	} else if (v6_is_anycast(&w->subnet6, w->gateway6)) {
		diag_error(v->d, w->gateway6_pos, path, "gateway6 %s is the subnet-router anycast "
			   "address of %s/%u", a, n, w->subnet6.len);
		v6_hint_range(v, w);
	}
}

static int v6_net_cmp(const void *x, const void *y, void *arg)
{
	const struct topo_network *nets = arg;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = memcmp(nets[i].subnet6.addr, nets[j].subnet6.addr, 16);
	return c ? c : (i > j) - (i < j);
}

/* Prefixes are nested or disjoint: sorted by first address, a subnet
 * overlaps an earlier one iff it starts at or before the furthest end. */
static void v6_check_overlaps(struct v6ctx *v, size_t *o, size_t n)
{
	struct topology *t = v->t;
	qsort_r(o, n, sizeof *o, v6_net_cmp, t->networks);
	uint8_t far_end[16];
	size_t far = SIZE_MAX;
	for (size_t k = 0; k < n; k++) {
		const struct topo_network *w = &t->networks[o[k]];
		uint8_t end[16];
		v6_last(w->subnet6.addr, w->subnet6.len, end);
		if (far != SIZE_MAX && memcmp(w->subnet6.addr, far_end, 16) <= 0) {
			size_t i = o[k] > far ? o[k] : far, j = o[k] > far ? far : o[k];
			const struct topo_network *x = &t->networks[i], *y = &t->networks[j];
			char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
			diag_error(v->d, x->subnet6_pos, v6_path(v, "networks.%s.subnet6", x->name),
				   "subnet6 %s/%u of network %s overlaps %s/%u of network %s "
				   "(at %u:%u)", v6_str(a, x->subnet6.addr), x->subnet6.len, x->name,
				   v6_str(b, y->subnet6.addr), y->subnet6.len, y->name,
				   y->subnet6_pos.line, y->subnet6_pos.col);
		}
		if (far == SIZE_MAX || memcmp(end, far_end, 16) > 0) {
			far = o[k];
			memcpy(far_end, end, 16);
		}
	}
}

static void v6_check_networks(struct v6ctx *v)
{
	struct topology *t = v->t;
	size_t *o = calloc(t->n_networks + 1, sizeof *o), n = 0;
	if (!o)
		abort();
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		if (!w->name)
			continue;
		if (w->has_subnet6) {
			size_t before = v->d->n_errors;
			v6_check_subnet(v, w);
			if (v->d->n_errors == before)
				o[n++] = i;     /* overlaps only between sound subnets */
		}
		if (w->has_gateway6)
			v6_check_gateway(v, w);
	}
	v6_check_overlaps(v, o, n);
	free(o);
}

/* ----------------------------------------------------------- interfaces */

struct v6_use {
	size_t net, node, iface;
	const uint8_t *ip;
};

static int v6_use_cmp(const void *x, const void *y)
{
	const struct v6_use *a = x, *b = y;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	int c = memcmp(a->ip, b->ip, 16);
	if (c)
		return c;
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	return (a->iface > b->iface) - (a->iface < b->iface);
}

static void v6_check_ip(struct v6ctx *v, const struct topo_node *nd, size_t j)
{
	const struct topo_iface *f = &nd->ifaces[j];
	const struct topo_network *w = &v->t->networks[f->network_idx];
	char a[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];
	const char *path = v6_path(v, "nodes.%s.interfaces[%zu].ip6", nd->name, j);
	v6_str(a, f->ip6);
	if (!w->has_subnet6) {
		diag_error(v->d, f->ip6_pos, path, "address %s needs an IPv6 subnet: network %s has "
			   "no subnet6", a, w->name);
		diag_hint(v->d, "add `subnet6:` (such as fd00:100::/64) to network %s", w->name);
		return;
	}
	v6_str(n, w->subnet6.addr);
	if (!topo_v6_in(&w->subnet6, f->ip6))
		diag_error(v->d, f->ip6_pos, path, "address %s is outside network %s (%s/%u)", a,
			   w->name, n, w->subnet6.len);
	else if (v6_is_anycast(&w->subnet6, f->ip6))
		diag_error(v->d, f->ip6_pos, path, "address %s is the subnet-router anycast address "
			   "of %s (%s/%u)", a, w->name, n, w->subnet6.len);
	else if (w->has_gateway6 && memcmp(f->ip6, w->gateway6, 16) == 0)
		diag_error(v->d, f->ip6_pos, path, "address %s is the gateway6 of %s", a, w->name);
	else
		return;
	v6_hint_range(v, w);
}

static void v6_check_ifaces(struct v6ctx *v)
{
	struct topology *t = v->t;
	size_t n_if = 0, n = 0;
	for (size_t i = 0; i < t->n_nodes; i++)
		n_if += t->nodes[i].n_ifaces;
	struct v6_use *u = calloc(n_if + 1, sizeof *u);
	if (!u)
		abort();
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		for (size_t j = 0; nd->name && j < nd->n_ifaces; j++) {
			const struct topo_iface *f = &nd->ifaces[j];
			if (!f->has_ip6 || f->network_idx == SIZE_MAX)
				continue;
			v6_check_ip(v, nd, j);
			u[n++] = (struct v6_use){f->network_idx, i, j, f->ip6};
		}
	}
	qsort(u, n, sizeof *u, v6_use_cmp);
	for (size_t k = 1, first = 0; k < n; k++) {
		if (u[k].net != u[first].net || memcmp(u[k].ip, u[first].ip, 16) != 0) {
			first = k;
			continue;
		}
		const struct topo_node *nd = &t->nodes[u[k].node], *fn = &t->nodes[u[first].node];
		const struct topo_iface *f = &nd->ifaces[u[k].iface];
		const struct topo_iface *ff = &fn->ifaces[u[first].iface];
		char a[INET6_ADDRSTRLEN];
		diag_error(v->d, f->ip6_pos, v6_path(v, "nodes.%s.interfaces[%zu].ip6", nd->name,
						     u[k].iface),
			   "address %s is already used by %s.eth%zu (at %u:%u)", v6_str(a, f->ip6),
			   fn->name, u[first].iface, ff->ip6_pos.line, ff->ip6_pos.col);
	}
	free(u);
}

/* --------------------------------------------------------------- health */

static bool v6_of_topology(const struct topology *t, const uint8_t a[16])
{
	static const uint8_t loopback[16] = {[15] = 1};
	if (memcmp(a, loopback, 16) == 0)
		return true;
	for (size_t i = 0; i < t->n_networks; i++)
		if (t->networks[i].has_gateway6 && memcmp(t->networks[i].gateway6, a, 16) == 0)
			return true;
	for (size_t i = 0; i < t->n_nodes; i++)
		for (size_t j = 0; j < t->nodes[i].n_ifaces; j++)
			if (t->nodes[i].ifaces[j].has_ip6 &&
			    memcmp(t->nodes[i].ifaces[j].ip6, a, 16) == 0)
				return true;
	return false;
}

static void v6_check_reach(struct v6ctx *v, const struct topo_node *nd, const uint8_t a[16],
			   struct pos p, const char *key)
{
	char s[INET6_ADDRSTRLEN];
	if (v6_of_topology(v->t, a))
		return;
	diag_warn(v->d, p, v6_path(v, "nodes.%s.health.%s", nd->name, key),
		  "health check address %s is not an address of this topology; "
		  "netns node %s may not reach it", v6_str(s, a), nd->name);
	diag_hint(v->d, "use ::1, an ip6 of a node, or a network's gateway6");
}

static void v6_check_health(struct v6ctx *v)
{
	for (size_t i = 0; i < v->t->n_nodes; i++) {
		const struct topo_node *nd = &v->t->nodes[i];
		const struct topo_health *h = &nd->health;
		if (!nd->name || nd->kind != NODE_NETNS)
			continue;
		if (h->has_tcp && h->tcp_v6)
			v6_check_reach(v, nd, h->tcp_ip6, h->tcp_pos, "tcp");
		if (h->has_ping && h->ping_v6)
			v6_check_reach(v, nd, h->ping_ip6, h->ping_pos, "ping");
	}
}

/* ------------------------------------------------------------ the entry */

void topo_validate6(struct topology *t, struct diag_list *d)
{
	struct v6ctx v = {.t = t, .d = d};
	v6_check_networks(&v);
	v6_check_ifaces(&v);
	v6_check_health(&v);
}
