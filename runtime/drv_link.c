/* drv_link.c — drivers for the host's links: bridges, veth pairs, TAPs.
 *
 * Every link aspen makes carries its mark in the alias. Creating a link whose
 * name is taken is adoption when the alias is our mark (a crash came between
 * the kernel call and the journal) and a collision otherwise: aspen then
 * stops, names the object and says how to resolve it, and touches nothing.
 * Probes report live values only for the properties the resource sets, so
 * kernel defaults never show as drift.
 *
 * Lookups go through the run's link cache (rt_link); every call that
 * changes a link tells it (rt_link_changed). Deleting a bridge or a veth
 * checks ownership at once but leaves the kernel call to the end of the
 * delete phase, where all of them go in one batch: each link deleted alone
 * costs the kernel ~20-50 ms of RCU waiting. */
#include "runtime/runtime.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/nl.h"
#include "runtime/tap.h"

static unsigned prop_uint(const struct resource *r, const char *key)
{
	const char *v = res_get(r, key);
	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned b[6];
	if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
	return 0;
}

/* The link exists: ours (adopt, return 1) or someone else's (error). */
static int adopt_or_collide(struct rt_ctx *c, const struct resource *r, const char *name,
			    const char *what, const char *fix, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	struct nl_link_info li;
	rt_mark(c, r, mark, sizeof(mark));
	if (nl_link_find(c->host, name, &li, e) < 0)
		return -1;
	if (strcmp(li.alias, mark) == 0)
		return 1;
	if (li.alias[0])
		return rt_errf(e, EEXIST, "%s %s already exists and belongs to someone else "
			       "(alias \"%s\"); aspen leaves it alone: %s", what, name, li.alias, fix);
	return rt_errf(e, EEXIST, "%s %s already exists and was not made by aspen; "
		       "aspen leaves it alone: %s", what, name, fix);
}

static int bridge_ifindex(struct rt_ctx *c, const struct resource *r, int *out, struct rt_err *e)
{
	const char *br = res_get(r, "bridge");
	*out = 0;
	if (!br)
		return 0;
	struct nl_link_info li;
	if (rt_link(c, c->host, br, &li, e) < 0)
		return rt_err_prefix(e, "bridge %s", br);
	*out = li.ifindex;
	return 0;
}

/* Fill the live props a probe can see: mtu (when set), bridge (the master's
 * name when it is still r's bridge). */
static int probe_common(struct rt_ctx *c, const struct resource *r, const struct nl_link_info *li,
			struct resource *out, struct rt_err *e)
{
	if (res_get(r, "mtu"))
		res_setf(&c->arena, out, "mtu", "%u", li->mtu);
	const char *br = res_get(r, "bridge");
	if (br) {
		struct nl_link_info bi;
		struct rt_err ignore;
		if (li->master == 0)
			res_set(&c->arena, out, "bridge", "");
		else if (rt_link(c, c->host, br, &bi, &ignore) < 0 || bi.ifindex != li->master)
			res_setf(&c->arena, out, "bridge", "ifindex %d", li->master);
	}
	(void)e;
	return 0;
}

/* Shared probe: present only when the link exists AND carries r's mark; a
 * foreign link of that name is "absent" for aspen, so create reports it. */
static int link_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		      struct resource *out, struct nl_link_info *li, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	*present = false;
	if (!name)
		return 0;
	if (rt_link(c, c->host, name, li, e) < 0)
		return e->errnum == ENODEV ? 0 : -1;
	if (strcmp(li->alias, rt_mark(c, r, mark, sizeof(mark))) != 0)
		return 0;
	*present = true;
	return probe_common(c, r, li, out, e);
}

static int link_destroy(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	if (!name)
		return 0;
	rt_link_changed(c, c->host, name);
	return nl_link_del_owned(c->host, name, rt_mark(c, r, mark, sizeof(mark)), e);
}

/* Check now that the link is ours, delete it with the phase's batch. */
static int link_destroy_later(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	struct nl_link_info li;
	if (!name)
		return 0;
	if (rt_link(c, c->host, name, &li, e) < 0)
		return e->errnum == ENODEV ? 0 : -1;
	if (nl_link_check_mark(&li, rt_mark(c, r, mark, sizeof(mark)), e) < 0)
		return -1;
	return rt_defer_link_delete(c, r, li.ifindex, e);
}

static int link_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	struct nl_link_conf conf = {.mtu = prop_uint(r, "mtu")};
	(void)old;
	rt_link_changed(c, c->host, res_get(r, "name"));
	return nl_link_configure(c->host, res_get(r, "name"), &conf, e);
}

/* ---------------- bridge ---------------- */

/* A fixed, locally administered MAC derived from the mark: stable across
 * ports coming and going, and across destroy and apply. */
static void bridge_mac(const char *mark, unsigned char mac[6])
{
	uint64_t h = 1469598103934665603ull;            /* FNV-1a 64 */
	for (const unsigned char *p = (const unsigned char *)mark; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (unsigned char)(h >> (8 * i));
}

static int bridge_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	const char *name = res_get(r, "name");
	bridge_mac(rt_mark(c, r, mark, sizeof(mark)), mac);
	struct nl_bridge_opts o = {.name = name, .mac = mac, .alias = mark,
				   .mtu = prop_uint(r, "mtu"), .up = true};
	rt_link_changed(c, c->host, name);
	if (nl_bridge_add(c->host, &o, e) == 0)
		return 0;
	if (e->errnum != EEXIST)
		return -1;
	char fix[160];
	snprintf(fix, sizeof(fix), "delete it, or give network %s another `bridge:` name",
		 rt_id_name(r->id));
	if (adopt_or_collide(c, r, name, "bridge", fix, e) < 0)
		return -1;
	struct nl_link_conf conf = {.mtu = o.mtu, .set_up = true, .up = true};
	return nl_link_configure(c->host, name, &conf, e);
}

static int bridge_probe(struct rt_ctx *c, const struct resource *r, bool *present,
			struct resource *out, struct rt_err *e)
{
	struct nl_link_info li;
	if (link_probe(c, r, present, out, &li, e) < 0)
		return -1;
	if (*present && strcmp(li.kind, "bridge") != 0)
		res_set(&c->arena, out, "kind", li.kind);  /* forces a replacement */
	return 0;
}

const struct res_driver drv_bridge = {bridge_create, link_update, link_destroy_later, bridge_probe,
				      NULL};

/* ---------------- veth ---------------- */

static int veth_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	int master, nsfd;
	struct nl *nsnl;
	const char *name = res_get(r, "name"), *ns = res_get(r, "netns");
	if (rt_ns_nl(c, ns, &nsnl, &nsfd, e) < 0)
		return -1;
	if (bridge_ifindex(c, r, &master, e) < 0)
		return -1;
	bool has_mac = parse_mac(res_get(r, "mac"), mac) == 0;
	struct nl_veth_opts o = {
		.name = name, .alias = rt_mark(c, r, mark, sizeof(mark)), .master = master,
		.mtu = prop_uint(r, "mtu"), .up = true, .peer_name = res_get(r, "peer"),
		.peer_netns_fd = nsfd, .peer_mac = has_mac ? mac : NULL, .peer_up = true,
		.peer_nl = nsnl,
	};
	rt_link_changed(c, c->host, name);
	rt_link_changed(c, nsnl, o.peer_name);
	if (nl_veth_add(c->host, &o, e) == 0)
		return 0;
	if (e->errnum != EEXIST)
		return -1;
	struct nl_link_info li;
	struct rt_err ignore;
	if (nl_link_find(c->host, name, &li, &ignore) < 0)
		return rt_errf(e, EEXIST, "add veth %s: interface %s already exists inside namespace %s; "
			       "aspen leaves it alone: remove it from the namespace", name,
			       o.peer_name, ns);
	if (adopt_or_collide(c, r, name, "link", "delete it, or rename the node", e) < 0)
		return -1;
	struct nl_link_conf conf = {.mtu = o.mtu, .set_master = true, .master = master,
				    .set_up = true, .up = true};
	return nl_link_configure(c->host, name, &conf, e);
}

static int veth_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		      struct resource *out, struct rt_err *e)
{
	struct nl_link_info li, peer;
	if (link_probe(c, r, present, out, &li, e) < 0 || !*present)
		return *present ? -1 : 0;
	struct nl *nsnl;
	struct rt_err ignore;
	const char *ns = res_get(r, "netns"), *pname = res_get(r, "peer");
	if (!ns || rt_ns_nl(c, ns, &nsnl, NULL, &ignore) < 0 ||
	    rt_link(c, nsnl, pname, &peer, &ignore) < 0) {
		res_set(&c->arena, out, "peer", "");     /* the peer is gone: replace */
		return 0;
	}
	if (res_get(r, "mac") && peer.has_mac)
		res_setf(&c->arena, out, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", peer.mac[0],
			 peer.mac[1], peer.mac[2], peer.mac[3], peer.mac[4], peer.mac[5]);
	return 0;
}

static int veth_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	if (link_update(c, old, r, e) < 0)
		return -1;
	struct nl *nsnl;
	if (rt_ns_nl(c, res_get(r, "netns"), &nsnl, NULL, e) < 0)
		return -1;
	struct nl_link_conf conf = {.mtu = prop_uint(r, "mtu")};
	rt_link_changed(c, nsnl, res_get(r, "peer"));
	return nl_link_configure(nsnl, res_get(r, "peer"), &conf, e);
}

/* Deleting the host end deletes the pair: deferred to the delete phase's
 * batch, which runs before the namespaces go (exec.c), so the kernel does
 * not have to find the veth in a dead namespace's slower cleanup. */
const struct res_driver drv_veth = {veth_create, veth_update, link_destroy_later, veth_probe, NULL};

/* ---------------- tap ---------------- */

static int tap_create_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	int master;
	const char *name = res_get(r, "name");
	if (bridge_ifindex(c, r, &master, e) < 0)
		return -1;
	struct tap_opts o = {name, rt_mark(c, r, mark, sizeof(mark)), master, prop_uint(r, "mtu"),
			     true, false};
	rt_link_changed(c, c->host, name);
	if (tap_create(c->host, &o, e) == 0)
		return 0;
	if (e->errnum != EEXIST)
		return -1;
	if (adopt_or_collide(c, r, name, "link", "delete it, or rename the node", e) < 0)
		return -1;
	struct nl_link_conf conf = {.mtu = o.mtu, .set_master = true, .master = master,
				    .set_up = true, .up = true};
	return nl_link_configure(c->host, name, &conf, e);
}

static int tap_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		     struct resource *out, struct rt_err *e)
{
	struct nl_link_info li;
	return link_probe(c, r, present, out, &li, e);
}

const struct res_driver drv_tap = {tap_create_drv, link_update, link_destroy, tap_probe, NULL};
