/* hostnet.c — a topology's networks against the host's own addresses and
 * routes, IPv4 and IPv6, checked before apply changes anything.
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
 * refused earlier, by validation (compiler/validate.c).
 *
 * IPv6 is the same promise for `subnet6` with a `gateway6` (the plan's
 * `addr6/<net>`), refused at the subnet6's FILE:LINE:COL, with one rule of
 * its own: link-local fe80::/10 addresses and routes are left out too
 * (every link has them, and validation keeps test subnets out of that
 * block), as are multicast ff00::/8 routes. One core serves both families;
 * struct hn_family holds what differs (the topology's fields, the plan's
 * id, the words of the message). */
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

/* A network's subnet and gateway in one family, addresses in network
 * order. */
struct hn_net {
	unsigned char addr[16];
	unsigned len;
	unsigned char gw[16];
	struct pos pos;
};

/* What differs between IPv4 and IPv6. */
struct hn_family {
	int af;
	const char *id;                 /* the plan's gateway address: "addr/" + network */
	const char *gwkey;              /* "gateway" */
	const char *context;            /* prefix of a failure to read the host */
	bool main_named;                /* name the main table in a route too */
	/* network w in this family; false when it has no subnet or gateway */
	bool (*net)(const struct topo_network *w, struct hn_net *out);
	const char *noun;               /* what the refusal counts: "network" */
	const char *hint;               /* the refusal's way out */
};

struct hn_link {
	int ifindex;
	char name[IFNAMSIZ];
	bool aspen;
};

struct hostnet {
	const struct hn_family *f;
	struct hn_link *links; size_t n_links, cap_links;
	struct nl_ipaddr *addrs; size_t n_addrs, cap_addrs;
	int *addr_if; size_t cap_addr_if;
	struct nl_iproute_info *routes; size_t n_routes, cap_routes;
	bool nomem;
};

static bool hn_net4(const struct topo_network *w, struct hn_net *out)
{
	if (!w->has_subnet || !w->has_gateway)
		return false;
	uint32_t mask = w->subnet.len == 0 ? 0 : 0xffffffffu << (32 - w->subnet.len);
	uint32_t base = htonl(w->subnet.addr & mask), gw = htonl(w->gateway);
	memcpy(out->addr, &base, 4);
	memcpy(out->gw, &gw, 4);
	out->len = w->subnet.len;
	out->pos = w->subnet_pos;
	return true;
}

static bool hn_net6(const struct topo_network *w, struct hn_net *out)
{
	if (!w->has_subnet6 || !w->has_gateway6)
		return false;
	memcpy(out->addr, w->subnet6.addr, 16);
	memcpy(out->gw, w->gateway6, 16);
	out->len = w->subnet6.len;
	out->pos = w->subnet6_pos;
	return true;
}

static const struct hn_family hn_v4 = {
	.af = AF_INET, .id = "addr/", .gwkey = "gateway", .context = "check the host's routes",
	.main_named = true, .net = hn_net4, .noun = "network",
	.hint = "a gateway puts its subnet on a host bridge, whose route would take the "
		"host's own traffic for those addresses: choose a subnet outside them, or "
		"drop `gateway:` if the nodes need not reach the host",
};

static const struct hn_family hn_v6 = {
	.af = AF_INET6, .id = "addr6/", .gwkey = "gateway6",
	.context = "check the host's IPv6 routes", .net = hn_net6, .noun = "IPv6 subnet",
	.hint = "a gateway6 puts its subnet6 on a host bridge, whose route would take the "
		"host's own traffic for those addresses: choose a subnet6 outside them "
		"(another fd00::/8 prefix), or drop `gateway6:` if the nodes need not reach "
		"the host",
};

/* Room in *v (cap elements of sz bytes) for element n. */
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

/* fe80::/10: an IPv6 address every link has. */
static bool hn_link_local(int af, const unsigned char *a)
{
	return af == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static void hn_addr_seen(int ifindex, const struct nl_ipaddr *a, void *arg)
{
	struct hostnet *h = arg;
	if (hn_link_local(a->family, a->addr))
		return;
	if (!hn_grow((void **)&h->addrs, &h->cap_addrs, h->n_addrs, sizeof(*h->addrs)) ||
	    !hn_grow((void **)&h->addr_if, &h->cap_addr_if, h->n_addrs, sizeof(*h->addr_if))) {
		h->nomem = true;
		return;
	}
	h->addrs[h->n_addrs] = *a;
	h->addr_if[h->n_addrs++] = ifindex;
}

static void hn_route_seen(const struct nl_iproute_info *r, void *arg)
{
	struct hostnet *h = arg;
	if (r->dst_len == 0 || r->table == RT_TABLE_LOCAL || r->type == RTN_LOCAL ||
	    r->type == RTN_BROADCAST || r->type == RTN_MULTICAST || r->type == RTN_ANYCAST ||
	    hn_link_local(r->family, r->dst) || (r->family == AF_INET6 && r->dst[0] == 0xff))
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

/* Two prefixes share an address iff they agree on the shorter one's bits. */
static bool hn_overlap(const unsigned char *a, unsigned la, const unsigned char *b, unsigned lb)
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

static const char *hn_ip(const struct hostnet *h, const unsigned char *a, char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(h->f->af, a, buf, INET6_ADDRSTRLEN);
}

/* " (table ...)" for a route's table; "" for main where the family does
 * not name it. */
static const char *hn_table(const struct hostnet *h, unsigned table, char buf[32])
{
	if (table == RT_TABLE_MAIN)
		return h->f->main_named ? " (table main)" : "";
	if (table == RT_TABLE_DEFAULT && h->f->main_named)
		return " (table default)";
	snprintf(buf, 32, " (table %u)", table);
	return buf;
}

/* What network n clashes with, in what (size len); "" when nothing. The
 * first host address found is named (the more telling), else the first
 * route, with the count of the others. */
static void hn_clash(const struct hostnet *h, const struct hn_net *w, char *what, size_t len)
{
	size_t n = 0;
	char a[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN], dev[32], tb[32];
	what[0] = '\0';
	for (size_t i = 0; i < h->n_addrs; i++) {
		const struct nl_ipaddr *x = &h->addrs[i];
		if (hn_aspen(h, h->addr_if[i]) || !hn_overlap(w->addr, w->len, x->addr, x->prefixlen))
			continue;
		if (n++ == 0)
			snprintf(what, len, "the host's address %s/%u on %s", hn_ip(h, x->addr, a),
				 x->prefixlen, hn_dev(h, h->addr_if[i], dev));
	}
	for (size_t i = 0; i < h->n_routes; i++) {
		const struct nl_iproute_info *r = &h->routes[i];
		if ((r->oif && hn_aspen(h, r->oif)) || !hn_overlap(w->addr, w->len, r->dst, r->dst_len))
			continue;
		if (n++ > 0)
			continue;
		int k = snprintf(what, len, "the host's route %s/%u", hn_ip(h, r->dst, a), r->dst_len);
		if (r->has_gateway && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " via %s", hn_ip(h, r->gateway, g));
		if (r->oif && k > 0 && (size_t)k < len)
			k += snprintf(what + k, len - (size_t)k, " dev %s", hn_dev(h, r->oif, dev));
		if (k > 0 && (size_t)k < len)
			snprintf(what + k, len - (size_t)k, "%s", hn_table(h, r->table, tb));
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
	free(h->addr_if);
	free(h->routes);
}

/* Does the plan create (or re-create) network w's gateway address of
 * family f? Only then does something new go on the host: a no-op re-apply
 * pays no dumps. */
static bool hn_wanted(const struct hn_family *f, const struct plan *p,
		      const struct topo_network *w, struct hn_net *n)
{
	if (!w->name || !f->net(w, n))
		return false;
	size_t k = strlen(f->id);
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase == PHASE_CREATE && a->op != ACT_UPDATE && a->desired->kind == RES_ADDR &&
		    strncmp(a->desired->id, f->id, k) == 0 && !strcmp(a->desired->id + k, w->name))
			return true;
	}
	return false;
}

static int hn_preflight(const struct hn_family *f, struct nl *host, const struct topology *t,
			const struct plan *p, struct rt_err *e)
{
	struct hn_net net;
	bool any = false;
	for (size_t i = 0; i < t->n_networks && !any; i++)
		any = hn_wanted(f, p, &t->networks[i], &net);
	if (!any)
		return 0;
	struct nl *own = NULL;
	if (!host && nl_open(&own, -1, e) < 0)
		return rt_err_prefix(e, "%s", f->context);
	struct nl *nl = host ? host : own;
	struct hostnet h = { .f = f };
	int rc = -1;
	if (nl_link_dump(nl, hn_link_seen, &h, e) < 0 ||
	    nl_ipaddr_dump(nl, f->af, hn_addr_seen, &h, e) < 0 ||
	    nl_iproute_dump(nl, f->af, hn_route_seen, &h, e) < 0) {
		rt_err_prefix(e, "%s", f->context);
		goto out;
	}
	if (h.nomem) {
		rt_errf(e, ENOMEM, "%s: out of memory", f->context);
		goto out;
	}
	char msg[sizeof(e->msg)];
	size_t used = 0, n = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < t->n_networks; i++) {
		const struct topo_network *w = &t->networks[i];
		char what[300], a[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
		if (!hn_wanted(f, p, w, &net))
			continue;
		hn_clash(&h, &net, what, sizeof(what));
		if (!what[0])
			continue;
		n++;
		int k = snprintf(msg + used, sizeof(msg) - used,
				 "\n  %s:%u:%u: network %s (%s/%u, %s %s on the host) overlaps %s",
				 t->file ? t->file : "", net.pos.line, net.pos.col, w->name,
				 hn_ip(&h, net.addr, a), net.len, f->gwkey, hn_ip(&h, net.gw, gw), what);
		if (k > 0 && (size_t)k < sizeof(msg) - used)
			used += (size_t)k;
	}
	rc = 0;
	if (n)
		rc = rt_errf(e, EEXIST, "%zu %s%s overlap%s the host's own addresses or routes; "
			     "nothing was changed:%s\n  %s", n, f->noun, n == 1 ? "" : "s",
			     n == 1 ? "s" : "", msg, f->hint);
out:
	hn_free(&h);
	nl_free(own);
	return rc;
}

int hostnet_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		      struct rt_err *e)
{
	return hn_preflight(&hn_v4, host, t, p, e);
}

int hostnet6_preflight(struct nl *host, const struct topology *t, const struct plan *p,
		       struct rt_err *e)
{
	return hn_preflight(&hn_v6, host, t, p, e);
}
