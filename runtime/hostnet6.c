/* hostnet6.c — a topology's IPv6 subnets against the host's own IPv6
 * addresses and routes, checked before apply changes anything.
 *
 * The same promise as hostnet.c, for `subnet6` with a `gateway6`: the
 * gateway puts gateway6/len on a host bridge, and with it a connected route
 * for the whole subnet into the host's main table, which would take the
 * host's own traffic for any of those addresses it reaches another way (a
 * ULA VPN, a container network). So each such subnet whose gateway address
 * the plan creates (`addr6/<net>`) is compared with every IPv6 address and
 * route of aspen's own network namespace, and refused at the subnet6's
 * FILE:LINE:COL naming what it overlaps. Left out, as for IPv4: links that
 * carry an aspen mark, default routes (::/0), the local table and local,
 * multicast and anycast routes; and, IPv6's own, link-local fe80::/10
 * addresses and routes (every link has them, and validation keeps test
 * subnets out of that block). Kept apart from hostnet.c so that each reads
 * as one family's rules. */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/topology.h"
#include "runtime/mark.h"
#include "runtime/nl.h"

struct hn6_link {
	int ifindex;
	char name[IFNAMSIZ];
	bool aspen;
};

struct hn6 {
	struct hn6_link *links; size_t n_links, cap_links;
	struct nl_ipaddr *addrs; size_t n_addrs, cap_addrs;
	int *addr_if; size_t cap_addr_if;
	struct nl_iproute_info *routes; size_t n_routes, cap_routes;
	bool nomem;
};

/* Room in *v (cap elements of sz bytes) for element n. */
static bool hn6_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 32;
	void *p = realloc(*v, c * sz);
	if (!p)
		return false;
	*v = p;
	*cap = c;
	return true;
}

static int hn6_link_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct hn6 *h = arg;
	if (!hn6_grow((void **)&h->links, &h->cap_links, h->n_links, sizeof(*h->links)))
		return rt_errf(e, ENOMEM, "out of memory");
	struct hn6_link *k = &h->links[h->n_links++];
	k->ifindex = l->ifindex;
	snprintf(k->name, sizeof(k->name), "%s", l->name);
	k->aspen = mark_is_aspen(l->alias);
	return 0;
}

static bool hn6_link_local(const unsigned char a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static void hn6_addr_seen(int ifindex, const struct nl_ipaddr *a, void *arg)
{
	struct hn6 *h = arg;
	if (hn6_link_local(a->addr))
		return;
	if (!hn6_grow((void **)&h->addrs, &h->cap_addrs, h->n_addrs, sizeof(*h->addrs)) ||
	    !hn6_grow((void **)&h->addr_if, &h->cap_addr_if, h->n_addrs, sizeof(*h->addr_if))) {
		h->nomem = true;
		return;
	}
	h->addrs[h->n_addrs] = *a;
	h->addr_if[h->n_addrs++] = ifindex;
}

static void hn6_route_seen(const struct nl_iproute_info *r, void *arg)
{
	struct hn6 *h = arg;
	if (r->dst_len == 0 || r->table == RT_TABLE_LOCAL || r->type == RTN_LOCAL ||
	    r->type == RTN_MULTICAST || r->type == RTN_ANYCAST || hn6_link_local(r->dst) ||
	    r->dst[0] == 0xff)
		return;
	if (!hn6_grow((void **)&h->routes, &h->cap_routes, h->n_routes, sizeof(*h->routes))) {
		h->nomem = true;
		return;
	}
	h->routes[h->n_routes++] = *r;
}

static const struct hn6_link *hn6_link(const struct hn6 *h, int ifindex)
{
	for (size_t i = 0; i < h->n_links; i++)
		if (h->links[i].ifindex == ifindex)
			return &h->links[i];
	return NULL;
}

static bool hn6_aspen(const struct hn6 *h, int ifindex)
{
	const struct hn6_link *l = hn6_link(h, ifindex);
	return l && l->aspen;
}

static const char *hn6_dev(const struct hn6 *h, int ifindex, char buf[32])
{
	const struct hn6_link *l = hn6_link(h, ifindex);
	if (l)
		snprintf(buf, 32, "%s", l->name);
	else
		snprintf(buf, 32, "#%d", ifindex);
	return buf;
}

/* Two prefixes share an address iff they agree on the shorter one's bits. */
static bool hn6_overlap(const unsigned char *a, unsigned la, const unsigned char *b, unsigned lb)
{
	unsigned len = la < lb ? la : lb;
	for (unsigned i = 0; i < 16 && len; i++) {
		unsigned bits = len >= 8 ? 8 : len;
		unsigned char mask = (unsigned char)(0xff00u >> bits);
		if ((a[i] & mask) != (b[i] & mask))
			return false;
		len -= bits;
	}
	return true;
}

/* What network w's subnet6 clashes with, into what; "" when nothing. */
static void hn6_clash(const struct hn6 *h, const struct topo_network *w, char *what, size_t len)
{
	size_t n = 0;
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], dev[32];
	what[0] = '\0';
	for (size_t i = 0; i < h->n_addrs; i++) {
		const struct nl_ipaddr *x = &h->addrs[i];
		if (hn6_aspen(h, h->addr_if[i]) ||
		    !hn6_overlap(w->subnet6.addr, w->subnet6.len, x->addr, x->prefixlen))
			continue;
		if (n++ == 0)
			snprintf(what, len, "the host's address %s/%u on %s",
				 inet_ntop(AF_INET6, x->addr, a, sizeof(a)), x->prefixlen,
				 hn6_dev(h, h->addr_if[i], dev));
	}
	for (size_t i = 0; i < h->n_routes; i++) {
		const struct nl_iproute_info *r = &h->routes[i];
		if ((r->oif && hn6_aspen(h, r->oif)) ||
		    !hn6_overlap(w->subnet6.addr, w->subnet6.len, r->dst, r->dst_len))
			continue;
		if (n++ > 0)
			continue;
		int k = snprintf(what, len, "the host's route %s/%u",
				 inet_ntop(AF_INET6, r->dst, a, sizeof(a)), r->dst_len);
		if (r->has_gateway && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " via %s",
				      inet_ntop(AF_INET6, r->gateway, g, sizeof(g)));
		if (r->oif && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " dev %s", hn6_dev(h, r->oif, dev));
		if (k > 0 && (size_t)k < len && r->table != RT_TABLE_MAIN)
			snprintf(what + k, len - (size_t)k, " (table %u)", r->table);
	}
	if (n > 1) {
		size_t k = strlen(what);
		snprintf(what + k, len - k, " (and %zu more of the host's addresses and routes)",
			 n - 1);
	}
}

/* Does the plan create network w's IPv6 gateway address on the host? */
static bool hn6_wanted(const struct plan *p, const struct topo_network *w)
{
	if (!w->name || !w->has_subnet6 || !w->has_gateway6)
		return false;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && a->op != ACT_UPDATE && a->desired->kind == RES_ADDR &&
		    strncmp(a->desired->id, "addr6/", 6) == 0 && !strcmp(a->desired->id + 6, w->name))
			return true;
	}
	return false;
}

int hostnet6_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		       struct rt_err *e)
{
	bool any = false;
	for (size_t i = 0; i < t->n_networks && !any; i++)
		any = hn6_wanted(p, &t->networks[i]);
	if (!any)
		return 0;
	struct nl *own = NULL;
	if (!host && nl_open(&own, -1, e) < 0)
		return rt_err_prefix(e, "check the host's IPv6 routes");
	struct nl *nl = host ? host : own;
	struct hn6 h = {0};
	int rc = -1;
	if (nl_link_dump(nl, hn6_link_seen, &h, e) < 0 ||
	    nl_ipaddr_dump(nl, AF_INET6, hn6_addr_seen, &h, e) < 0 ||
	    nl_iproute_dump(nl, AF_INET6, hn6_route_seen, &h, e) < 0) {
		rt_err_prefix(e, "check the host's IPv6 routes");
		goto out;
	}
	if (h.nomem) {
		rt_errf(e, ENOMEM, "check the host's IPv6 routes: out of memory");
		goto out;
	}
	char msg[sizeof(e->msg)];
	size_t used = 0, n = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		char what[300], net[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
		if (!hn6_wanted(p, w))
			continue;
		hn6_clash(&h, w, what, sizeof(what));
		if (!what[0])
			continue;
		n++;
		int k = snprintf(msg + used, sizeof(msg) - used,
				 "\n  %s:%u:%u: network %s (%s/%u, gateway6 %s on the host) overlaps %s",
				 t->file ? t->file : "", w->subnet6_pos.line, w->subnet6_pos.col, w->name,
				 inet_ntop(AF_INET6, w->subnet6.addr, net, sizeof(net)), w->subnet6.len,
				 inet_ntop(AF_INET6, w->gateway6, gw, sizeof(gw)), what);
		if (k > 0 && (size_t)k < sizeof(msg) - used)
			used += (size_t)k;
	}
	rc = 0;
	if (n)
		rc = rt_errf(e, EEXIST, "%zu IPv6 subnet%s overlap%s the host's own addresses or "
			     "routes; nothing was changed:%s\n  a gateway6 puts its subnet6 on a host "
			     "bridge, whose route would take the host's own traffic for those "
			     "addresses: choose a subnet6 outside them (another fd00::/8 prefix), or "
			     "drop `gateway6:` if the nodes need not reach the host", n,
			     n == 1 ? "" : "s", n == 1 ? "s" : "", msg);
out:
	free(h.links);
	free(h.addrs);
	free(h.addr_if);
	free(h.routes);
	nl_free(own);
	return rc;
}
