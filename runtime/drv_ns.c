/* drv_ns.c — drivers for what lives inside node namespaces: the namespace
 * itself, IPv4 addresses (on a node's interface or on a host bridge) and the
 * default route.
 *
 * Addresses and routes carry no mark of their own: they are aspen's because
 * the link or namespace they sit on is. Deleting one whose link or
 * namespace is already gone is success — the kernel took it with it. */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

/* ---------------- netns ---------------- */

static int netns_create_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	if (netns_create(name, rt_mark(c, r, mark, sizeof(mark)), e) == 0)
		return 0;
	if (e->errnum == EEXIST)
		rt_errf(e, EEXIST, "network namespace %s already exists and was not made by this "
			"topology; aspen leaves it alone: delete it (ip netns delete %s) or rename "
			"the topology", name, name);
	return -1;
}

static int netns_destroy_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	rt_ns_forget(c, name);
	return netns_delete_owned(name, rt_mark(c, r, mark, sizeof(mark)), e);
}

static int netns_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		       struct resource *out, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1], owner[ASPEN_MARK_MAX + 1];
	struct rt_err ignore;
	const char *name = res_get(r, "name");
	(void)out;
	(void)e;
	*present = name && netns_exists(name) &&
		   netns_owner(name, owner, sizeof(owner), &ignore) == 0 &&
		   strcmp(owner, rt_mark(c, r, mark, sizeof(mark))) == 0;
	return 0;
}

static int no_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		     struct rt_err *e)
{
	(void)c;
	(void)old;
	return rt_errf(e, ENOTSUP, "%s cannot be changed in place", r->id);
}

const struct res_driver drv_netns = {netns_create_drv, no_update, netns_destroy_drv, netns_probe};

/* The handle for r's namespace; *gone when the namespace no longer exists. */
static int nl_or_gone(struct rt_ctx *c, const struct resource *r, struct nl **nl, bool *gone,
		      struct rt_err *e)
{
	const char *ns = res_get(r, "netns");
	*gone = false;
	if (ns && *ns && !netns_exists(ns)) {
		*gone = true;
		return 0;
	}
	return rt_nl_for(c, r, nl, e);
}

/* ifindex of the link r's "dev" names; *gone when it does not exist. */
static int dev_index(struct nl *nl, const struct resource *r, int *ifindex, bool *gone,
		     struct rt_err *e)
{
	struct nl_link_info li;
	*gone = false;
	if (nl_link_find(nl, res_get(r, "dev"), &li, e) < 0) {
		if (e->errnum != ENODEV)
			return -1;
		*gone = true;
		return 0;
	}
	*ifindex = li.ifindex;
	return 0;
}

/* ---------------- addr ---------------- */

static int addr_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	bool gone;
	if (rt_nl_for(c, r, &nl, e) < 0 || dev_index(nl, r, &ifindex, &gone, e) < 0)
		return -1;
	if (gone)
		return rt_errf(e, ENODEV, "link %s does not exist", res_get(r, "dev"));
	return nl_addr_add(nl, ifindex, res_get(r, "address"), e);
}

static int addr_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	bool gone;
	if (nl_or_gone(c, r, &nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	return nl_addr_del(nl, ifindex, res_get(r, "address"), e);
}

static int addr_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		      struct resource *out, struct rt_err *e)
{
	struct nl *nl;
	struct nl_addr4 want, have[16];
	size_t n;
	int ifindex;
	bool gone;
	(void)out;
	*present = false;
	if (nl_or_gone(c, r, &nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	if (nl_addr4_parse(res_get(r, "address"), &want, e) < 0 ||
	    nl_addr_list(nl, ifindex, have, 16, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && i < 16; i++)
		if (have[i].addr.s_addr == want.addr.s_addr && have[i].prefixlen == want.prefixlen)
			*present = true;
	return 0;
}

static int addr_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	return addr_destroy(c, old, e) < 0 ? -1 : addr_create(c, r, e);
}

const struct res_driver drv_addr = {addr_create, addr_update, addr_destroy, addr_probe};

/* ---------------- route ---------------- */

static int route_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	bool gone;
	if (rt_nl_for(c, r, &nl, e) < 0 || dev_index(nl, r, &ifindex, &gone, e) < 0)
		return -1;
	if (gone)
		return rt_errf(e, ENODEV, "link %s does not exist", res_get(r, "dev"));
	return nl_route_default_add(nl, res_get(r, "gateway"), ifindex, e);
}

/* Is the namespace's default route the one r describes? */
static int route_matches(struct rt_ctx *c, const struct resource *r, struct nl **nl, bool *match,
			 struct rt_err *e)
{
	struct nl_route4 rt;
	struct in_addr gw;
	int ifindex;
	bool gone;
	*match = false;
	if (nl_or_gone(c, r, nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(*nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	if (nl_route_default_get(*nl, &rt, e) < 0)
		return e->errnum == ENOENT ? 0 : -1;
	*match = inet_pton(AF_INET, res_get(r, "gateway"), &gw) == 1 &&
		 rt.gateway.s_addr == gw.s_addr && rt.ifindex == ifindex;
	return 0;
}

static int route_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	bool match;
	if (route_matches(c, r, &nl, &match, e) < 0)
		return -1;
	if (!match)
		return 0;
	int ifindex;
	bool gone;
	if (dev_index(nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	return nl_route_default_del(nl, res_get(r, "gateway"), ifindex, e);
}

static int route_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		       struct resource *out, struct rt_err *e)
{
	struct nl *nl;
	(void)out;
	return route_matches(c, r, &nl, present, e);
}

static int route_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
			struct rt_err *e)
{
	return route_destroy(c, old, e) < 0 ? -1 : route_create(c, r, e);
}

const struct res_driver drv_route = {route_create, route_update, route_destroy, route_probe};
