/* hostnet.c — a topology's networks against the host's own addresses and
 * routes, checked before apply changes anything.
 *
 * A network with a `gateway` puts gateway/len on a host bridge, and with it
 * a connected route for the whole subnet into the host's main table. If the
 * host already reaches some of those addresses another way (its LAN, a VPN,
 * docker0), the new route takes that traffic to the bridge, or competes with
 * the host's own route: the test cluster cuts the host off from a real
 * network. So apply (and plan) compare each such subnet whose gateway
 * address the plan creates with every IPv4 address and route of aspen's
 * own network namespace, read over rtnetlink, and refuse with the address
 * or route it would clash with. A plan that puts no gateway on the host
 * (a no-op re-apply) reads nothing.
 *
 * What is left out, and why:
 * - Links that carry an aspen mark. This topology's own bridge after an
 *   earlier apply holds exactly this subnet, and re-apply must converge.
 *   Another live topology's bridge is another matter (two topologies on
 *   one subnet): that check names both topologies (peernet.c).
 * - Default routes (/0): every subnet lies inside them, and a more specific
 *   route for a test network is what a gateway is for.
 * - The local table and local/broadcast/multicast/anycast routes: they
 *   mirror the host's addresses, which are checked themselves.
 * - Networks without a gateway: they put nothing on the host; their
 *   subnet exists only inside node namespaces and VMs, so it may repeat a
 *   network the host is on.
 * Subnets that are never acceptable (the default route, loopback, ...) are
 * refused earlier, by validation (compiler/validate.c). */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/topology.h"
#include "runtime/nl.h"

struct hn_link {
	int ifindex;
	char name[IFNAMSIZ];
	bool aspen;
};

struct hn_addr {
	int ifindex;
	uint32_t addr;          /* host byte order */
	unsigned len;
};

struct hostnet {
	struct hn_link *links; size_t n_links, cap_links;
	struct hn_addr *addrs; size_t n_addrs, cap_addrs;
	struct nl_route4_info *routes; size_t n_routes, cap_routes;
	bool nomem;
};

/* Grow *v (of *cap elements of size sz) to hold n + 1. */
static bool hn_grow(void **v, size_t *cap, size_t n, size_t sz)
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

static int hn_link_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct hostnet *h = arg;
	if (!hn_grow((void **)&h->links, &h->cap_links, h->n_links, sizeof(*h->links)))
		return rt_errf(e, ENOMEM, "out of memory");
	struct hn_link *k = &h->links[h->n_links++];
	k->ifindex = l->ifindex;
	snprintf(k->name, sizeof(k->name), "%s", l->name);
	k->aspen = mark_is_aspen(l->alias);
	return 0;
}

static void hn_addr_seen(int ifindex, const struct nl_addr4 *a, void *arg)
{
	struct hostnet *h = arg;
	if (!hn_grow((void **)&h->addrs, &h->cap_addrs, h->n_addrs, sizeof(*h->addrs))) {
		h->nomem = true;
		return;
	}
	h->addrs[h->n_addrs++] = (struct hn_addr){ ifindex, ntohl(a->addr.s_addr), a->prefixlen };
}

static void hn_route_seen(const struct nl_route4_info *r, void *arg)
{
	struct hostnet *h = arg;
	if (r->dst_len == 0 || r->table == RT_TABLE_LOCAL || r->type == RTN_LOCAL ||
	    r->type == RTN_BROADCAST || r->type == RTN_MULTICAST || r->type == RTN_ANYCAST)
		return;
	if (!hn_grow((void **)&h->routes, &h->cap_routes, h->n_routes, sizeof(*h->routes))) {
		h->nomem = true;
		return;
	}
	h->routes[h->n_routes++] = *r;
}

static const struct hn_link *hn_link(const struct hostnet *h, int ifindex)
{
	for (size_t i = 0; i < h->n_links; i++)
		if (h->links[i].ifindex == ifindex)
			return &h->links[i];
	return NULL;
}

static bool hn_aspen(const struct hostnet *h, int ifindex)
{
	const struct hn_link *l = hn_link(h, ifindex);
	return l && l->aspen;
}

static const char *hn_dev(const struct hostnet *h, int ifindex, char buf[32])
{
	const struct hn_link *l = hn_link(h, ifindex);
	if (l)
		snprintf(buf, 32, "%s", l->name);
	else
		snprintf(buf, 32, "#%d", ifindex);
	return buf;
}

static uint32_t hn_mask(unsigned len)
{
	return len == 0 ? 0 : len >= 32 ? 0xffffffffu : 0xffffffffu << (32 - len);
}

/* Two prefixes share an address iff they agree on the shorter one's bits. */
static bool hn_overlap(uint32_t a, unsigned la, uint32_t b, unsigned lb)
{
	uint32_t m = hn_mask(la < lb ? la : lb);
	return (a & m) == (b & m);
}

static const char *hn_ip(uint32_t host_order, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { htonl(host_order) };
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *hn_table(unsigned table, char buf[16])
{
	if (table == RT_TABLE_MAIN)
		return "main";
	if (table == RT_TABLE_DEFAULT)
		return "default";
	snprintf(buf, 16, "%u", table);
	return buf;
}

/* What network w clashes with, in what (size len); "" when nothing. The
 * first host address found is named (the more telling), else the first
 * route, with the count of the others. */
static void hn_clash(const struct hostnet *h, const struct topo_network *w, char *what,
		     size_t len)
{
	uint32_t base = w->subnet.addr & hn_mask(w->subnet.len);
	size_t n = 0;
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], dev[32], tb[16];
	what[0] = '\0';
	for (size_t i = 0; i < h->n_addrs; i++) {
		const struct hn_addr *x = &h->addrs[i];
		if (hn_aspen(h, x->ifindex) || !hn_overlap(base, w->subnet.len, x->addr, x->len))
			continue;
		if (n++ == 0)
			snprintf(what, len, "the host's address %s/%u on %s", hn_ip(x->addr, a), x->len,
				 hn_dev(h, x->ifindex, dev));
	}
	for (size_t i = 0; i < h->n_routes; i++) {
		const struct nl_route4_info *r = &h->routes[i];
		uint32_t dst = ntohl(r->dst.s_addr);
		if ((r->oif && hn_aspen(h, r->oif)) || !hn_overlap(base, w->subnet.len, dst, r->dst_len))
			continue;
		if (n++ > 0)
			continue;
		int k = snprintf(what, len, "the host's route %s/%u", hn_ip(dst, a), r->dst_len);
		if (r->gateway.s_addr && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " via %s",
				      inet_ntop(AF_INET, &r->gateway, g, sizeof(g)));
		if (r->oif && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " dev %s", hn_dev(h, r->oif, dev));
		if (k > 0 && (size_t)k < len)
			snprintf(what + k, len - (size_t)k, " (table %s)", hn_table(r->table, tb));
	}
	if (n > 1) {
		size_t k = strlen(what);
		snprintf(what + k, len - k, " (and %zu more of the host's addresses and routes)",
			 n - 1);
	}
}

static void hn_free(struct hostnet *h)
{
	free(h->links);
	free(h->addrs);
	free(h->routes);
}

/* Does the plan create (or re-create) network w's gateway address? Only
 * then does something new go on the host: a no-op re-apply pays no dumps. */
static bool hn_creates_gateway(const struct plan *p, const struct topo_network *w)
{
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && a->op != ACT_UPDATE && a->desired->kind == RES_ADDR &&
		    strncmp(a->desired->id, "addr/", 5) == 0 && !strcmp(a->desired->id + 5, w->name))
			return true;
	}
	return false;
}

static bool hn_wanted(const struct plan *p, const struct topo_network *w)
{
	return w->name && w->has_subnet && w->has_gateway && hn_creates_gateway(p, w);
}

int hostnet_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		      struct rt_err *e)
{
	bool any = false;
	for (size_t i = 0; i < t->n_networks && !any; i++)
		any = hn_wanted(p, &t->networks[i]);
	if (!any)
		return 0;
	struct nl *own = NULL;
	if (!host && nl_open(&own, -1, e) < 0)
		return rt_err_prefix(e, "check the host's routes");
	struct nl *nl = host ? host : own;
	struct hostnet h = {0};
	int rc = -1;
	if (nl_link_dump(nl, hn_link_seen, &h, e) < 0 || nl_addr_dump(nl, hn_addr_seen, &h, e) < 0 ||
	    nl_route_dump(nl, hn_route_seen, &h, e) < 0) {
		rt_err_prefix(e, "check the host's routes");
		goto out;
	}
	if (h.nomem) {
		rt_errf(e, ENOMEM, "check the host's routes: out of memory");
		goto out;
	}
	char msg[sizeof(e->msg)];
	size_t used = 0, n = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		char what[300], net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
		if (!hn_wanted(p, w))
			continue;
		hn_clash(&h, w, what, sizeof(what));
		if (!what[0])
			continue;
		n++;
		int k = snprintf(msg + used, sizeof(msg) - used,
				 "\n  %s:%u:%u: network %s (%s/%u, gateway %s on the host) overlaps %s",
				 t->file ? t->file : "", w->subnet_pos.line, w->subnet_pos.col, w->name,
				 hn_ip(w->subnet.addr & hn_mask(w->subnet.len), net), w->subnet.len,
				 hn_ip(w->gateway, gw), what);
		if (k > 0 && (size_t)k < sizeof(msg) - used)
			used += (size_t)k;
	}
	rc = 0;
	if (n)
		rc = rt_errf(e, EEXIST, "%zu network%s overlap%s the host's own addresses or routes; "
			     "nothing was changed:%s\n  a gateway puts its subnet on a host bridge, "
			     "whose route would take the host's own traffic for those addresses: "
			     "choose a subnet outside them, or drop `gateway:` if the nodes need not "
			     "reach the host", n, n == 1 ? "" : "s", n == 1 ? "s" : "", msg);
out:
	hn_free(&h);
	nl_free(own);
	return rc;
}
