/* drv_ns.c — drivers for what lives inside node namespaces: the namespace
 * itself, IPv4 and IPv6 addresses (on a node's interface or on a host
 * bridge) and the default routes. An address or route is IPv6 when its
 * text holds a ':' (ids addr6/..., route6/...: docs/resources.md).
 *
 * Addresses and routes carry no mark of their own: they are aspen's because
 * the link or namespace they sit on is. Deleting one whose link or
 * namespace is already gone is success — the kernel took it with it; so is
 * deleting one whose link or namespace this plan deletes (no kernel call).
 * Namespaces are created several at once (create_many, on all CPUs) and
 * deleted at the end of the delete phase (exec.c). A destroy reads nothing
 * inside a namespace of its topology (goes_with_our_ns): the marker proves
 * the namespace ours, and what is inside goes with it. */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

/* How long an IPv6 address may take to become usable (addr_wait_ready). */
#define ADDR6_READY_TIMEOUT_MS 120000

/* ---------------- netns ---------------- */

static void netns_collision(const char *name, struct rt_err *e)
{
	if (e->errnum == EEXIST)
		rt_errf(e, EEXIST, "network namespace %s already exists and was not made by this "
			"topology; aspen leaves it alone: delete it (ip netns delete %s) or rename "
			"the topology", name, name);
}

static int netns_create_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	if (netns_create(name, rt_mark(c, r, mark, sizeof(mark)), e) == 0)
		return 0;
	netns_collision(name, e);
	return -1;
}

static void netns_create_many(struct rt_ctx *c, const struct resource *const *rs, size_t n,
			      int *rc, struct rt_err *err, uint64_t *us)
{
	struct netns_req *v = arena_array(&c->arena, n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		char *mark = arena_alloc(&c->arena, ASPEN_MARK_MAX + 1);
		v[i] = (struct netns_req){.name = res_get(rs[i], "name"),
					  .mark = rt_mark(c, rs[i], mark, ASPEN_MARK_MAX + 1)};
	}
	struct rt_err ignore;
	netns_create_all(v, n, 0, &ignore);
	for (size_t i = 0; i < n; i++) {
		rc[i] = v[i].rc;
		err[i] = v[i].err;
		us[i] = v[i].us;
		if (rc[i] < 0)
			netns_collision(v[i].name, &err[i]);
	}
}

/* Ours or not is settled at the end of the delete phase, by
 * netns_delete_owned (exec.c). Handles into it are closed now: an open
 * socket would keep the namespace alive. */
static int netns_destroy_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	rt_ns_forget(c, res_get(r, "name"));
	return rt_defer_ns_delete(c, r, e);
}

/* Remember name as a mounted namespace of ours (destroy only; a full
 * list merely sends later lookups to the files). */
static void ns_ours_add(struct rt_ctx *c, const char *name)
{
	if (!c->ours_ns) {
		c->cap_ours_ns = c->journal.resources.n + 1;
		c->ours_ns = arena_array(&c->arena, c->cap_ours_ns, sizeof(*c->ours_ns));
	}
	if (c->n_ours_ns < c->cap_ours_ns)
		c->ours_ns[c->n_ours_ns++] = name;
}

/* Present whenever our marker is there: a namespace a crash left half made
 * (marker only, file not mounted, lo down) is reported with "state", so
 * destroy removes it and apply finishes it in place (update). */
static int netns_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		       struct resource *out, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	struct rt_err ignore;
	struct nl *nl;
	struct nl_link_info lo;
	const char *name = res_get(r, "name"), *state = NULL;
	(void)e;
	*present = false;
	if (!name)
		return 0;
	switch (netns_state(name, rt_mark(c, r, mark, sizeof(mark)))) {
	case NETNS_ABSENT:
	case NETNS_FOREIGN:
		return 0;
	case NETNS_MARKED:
		state = "no namespace file (marker only)";
		break;
	case NETNS_UNMOUNTED:
		state = "namespace file not mounted";
		break;
	case NETNS_MOUNTED:
		/* A destroy deletes it whole: its lo is of no interest. */
		if (c->destroying) {
			ns_ours_add(c, name);
			break;
		}
		if (rt_ns_nl(c, name, &nl, NULL, &ignore) == 0 &&
		    rt_link(c, nl, "lo", &lo, &ignore) == 0 && !lo.up)
			state = "lo down";
		break;
	}
	*present = true;
	if (state)
		res_set(&c->arena, out, "state", state);
	return 0;
}

/* The only update is finishing a half-made namespace ("state"): netns_create
 * completes one that carries our marker. */
static int netns_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
			struct rt_err *e)
{
	(void)old;
	rt_ns_forget(c, res_get(r, "name"));
	return netns_create_drv(c, r, e);
}

const struct res_driver drv_netns = {netns_create_drv, netns_update, netns_destroy_drv,
				     netns_probe, netns_create_many};

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

/* For a destroy, what sits inside a namespace (addresses, routes) is
 * present exactly when the namespace is a mounted one of this topology:
 * the namespace's delete takes it along, so nothing inside needs reading;
 * inside a namespace that is not ours aspen touches nothing. Returns false
 * (probe as usual) for what does not sit in a namespace. */
static bool goes_with_our_ns(struct rt_ctx *c, const struct resource *r, bool *present)
{
	char owner[ASPEN_MARK_MAX + 1];
	struct rt_err ignore;
	const char *ns = res_get(r, "netns");
	if (!c->destroying || !ns || !*ns)
		return false;
	for (size_t i = 0; i < c->n_ours_ns; i++)
		if (strcmp(c->ours_ns[i], ns) == 0)
			return *present = true;
	*present = netns_owner(ns, owner, sizeof(owner), &ignore) == 0 &&
		   mark_in_topology(owner, c->topology) && netns_exists(ns);
	return true;
}

/* True when the plan deletes what r sits on: its namespace, or (on the
 * host) its link. */
static bool goes_with_its_home(const struct rt_ctx *c, const struct resource *r)
{
	const char *ns = res_get(r, "netns");
	return ns && *ns ? rt_ns_dying(c, ns) : rt_link_dying(c, res_get(r, "dev"));
}

/* ifindex of the link r's "dev" names; *gone when it does not exist. */
static int dev_index(struct rt_ctx *c, struct nl *nl, const struct resource *r, int *ifindex,
		     bool *gone, struct rt_err *e)
{
	struct nl_link_info li;
	*gone = false;
	if (rt_link(c, nl, res_get(r, "dev"), &li, e) < 0) {
		if (e->errnum != ENODEV)
			return -1;
		*gone = true;
		return 0;
	}
	*ifindex = li.ifindex;
	return 0;
}

/* The handle and ifindex of r's "dev", which must exist (create paths). */
static int live_dev(struct rt_ctx *c, const struct resource *r, struct nl **nl, int *ifindex,
		    struct rt_err *e)
{
	bool gone;
	if (rt_nl_for(c, r, nl, e) < 0 || dev_index(c, *nl, r, ifindex, &gone, e) < 0)
		return -1;
	return gone ? rt_errf(e, ENODEV, "link %s does not exist", res_get(r, "dev")) : 0;
}

/* ---------------- addr ---------------- */

static int addr_add(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	if (live_dev(c, r, &nl, &ifindex, e) < 0)
		return -1;
	return nl_addr_add(nl, ifindex, res_get(r, "address"), e);
}

static double addr_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* An IPv6 address is created when the kernel can use it: it is added
 * without DAD (IFA_F_NODAD: aspen assigns every address and validation
 * keeps them unique, so DAD's second of probing would only delay it), but
 * the kernel still installs its local route later, from its global
 * address-configuration work (nl_addr6_ready). Until then a node cannot
 * receive on it, so apply waits for it here rather than let health checks
 * and node commands fail. Polls every 5 ms until deadline (ms). */
static int addr_wait_ready(struct rt_ctx *c, const struct resource *r, double deadline,
			   struct rt_err *e)
{
	const char *cidr = res_get(r, "address");
	if (!cidr || !strchr(cidr, ':'))
		return 0;
	struct nl *nl;
	if (rt_nl_for(c, r, &nl, e) < 0)
		return -1;
	for (;;) {
		bool ready;
		if (nl_addr6_ready(nl, cidr, &ready, e) < 0)
			return -1;
		if (ready)
			return 0;
		if (addr_now_ms() >= deadline)
			return rt_errf(e, ETIMEDOUT, "IPv6 address %s is still not usable after %d s: "
				       "the kernel has not installed its local route (its address "
				       "configuration work is late; is the host busy with netlink?)",
				       cidr, ADDR6_READY_TIMEOUT_MS / 1000);
		usleep(5000);
	}
}

static int addr_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	if (addr_add(c, r, e) < 0)
		return -1;
	return addr_wait_ready(c, r, addr_now_ms() + ADDR6_READY_TIMEOUT_MS, e);
}

/* All the addresses of a wave first, then the wait for the IPv6 ones:
 * the kernel's work for all of them is queued together, so the wave waits
 * about as long as for one. */
static void addr_create_many(struct rt_ctx *c, const struct resource *const *rs, size_t n,
			     int *rc, struct rt_err *err, uint64_t *us)
{
	for (size_t i = 0; i < n; i++) {
		double t0 = addr_now_ms();
		rc[i] = addr_add(c, rs[i], &err[i]);
		us[i] = (uint64_t)((addr_now_ms() - t0) * 1e3);
	}
	double deadline = addr_now_ms() + ADDR6_READY_TIMEOUT_MS;
	for (size_t i = 0; i < n; i++) {
		double t0 = addr_now_ms();
		if (rc[i] == 0)
			rc[i] = addr_wait_ready(c, rs[i], deadline, &err[i]);
		us[i] += (uint64_t)((addr_now_ms() - t0) * 1e3);
	}
}

static int addr_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	bool gone;
	if (goes_with_its_home(c, r))
		return 0;
	if (nl_or_gone(c, r, &nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(c, nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	return nl_addr_del(nl, ifindex, res_get(r, "address"), e);
}

static int addr_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		      struct resource *out, struct rt_err *e)
{
	struct nl *nl;
	struct nl_ipaddr want, have[16];
	size_t n;
	int ifindex;
	bool gone;
	(void)out;
	*present = false;
	if (goes_with_our_ns(c, r, present))
		return 0;
	if (nl_or_gone(c, r, &nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(c, nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	if (nl_ipaddr_parse(res_get(r, "address"), &want, e) < 0 ||
	    nl_addr_list(nl, ifindex, want.family, have, 16, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n && i < 16; i++)
		if (memcmp(have[i].addr, want.addr, sizeof(want.addr)) == 0 &&
		    have[i].prefixlen == want.prefixlen)
			*present = true;
	return 0;
}

static int addr_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	return addr_destroy(c, old, e) < 0 ? -1 : addr_create(c, r, e);
}

const struct res_driver drv_addr = {addr_create, addr_update, addr_destroy, addr_probe,
				    addr_create_many};

/* ---------------- route ---------------- */

static int route_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	int ifindex;
	if (live_dev(c, r, &nl, &ifindex, e) < 0)
		return -1;
	return nl_route_default_add(nl, res_get(r, "gateway"), ifindex, e);
}

/* Is the namespace's default route the one r describes? */
static int route_matches(struct rt_ctx *c, const struct resource *r, struct nl **nl, bool *match,
			 struct rt_err *e)
{
	struct nl_route_def rt;
	unsigned char gw[16] = {0};
	const char *gateway = res_get(r, "gateway");
	int family = gateway && strchr(gateway, ':') ? AF_INET6 : AF_INET;
	int ifindex;
	bool gone;
	*match = false;
	if (nl_or_gone(c, r, nl, &gone, e) < 0)
		return -1;
	if (gone || dev_index(c, *nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	if (nl_route_default_get(*nl, family, &rt, e) < 0)
		return e->errnum == ENOENT ? 0 : -1;
	*match = gateway && inet_pton(family, gateway, gw) == 1 &&
		 memcmp(rt.gateway, gw, sizeof(gw)) == 0 && rt.ifindex == ifindex;
	return 0;
}

static int route_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	struct nl *nl;
	bool match;
	if (goes_with_its_home(c, r))
		return 0;
	if (route_matches(c, r, &nl, &match, e) < 0)
		return -1;
	if (!match)
		return 0;
	int ifindex;
	bool gone;
	if (dev_index(c, nl, r, &ifindex, &gone, e) < 0 || gone)
		return gone ? 0 : -1;
	return nl_route_default_del(nl, res_get(r, "gateway"), ifindex, e);
}

static int route_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		       struct resource *out, struct rt_err *e)
{
	struct nl *nl;
	(void)out;
	*present = false;
	if (goes_with_our_ns(c, r, present))
		return 0;
	return route_matches(c, r, &nl, present, e);
}

static int route_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
			struct rt_err *e)
{
	return route_destroy(c, old, e) < 0 ? -1 : route_create(c, r, e);
}

const struct res_driver drv_route = {route_create, route_update, route_destroy, route_probe, NULL};
