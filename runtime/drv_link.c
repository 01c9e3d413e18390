/* drv_link.c — drivers for the host's links: bridges, veth pairs, TAPs.
 *
 * Every link aspen makes carries its mark in the alias. The kernel sets no
 * alias in the request that creates a link, so bridges and veth host ends
 * are also born with a MAC derived from the mark (mark_mac): a link a crash
 * left between RTM_NEWLINK and the alias is still recognisably ours, and
 * its probe reports it present but unfinished. A TAP is marked before it is
 * made persistent (tap.c), so it never exists unmarked. Creating a link
 * whose name is taken is adoption when it carries our mark (a crash came
 * between the kernel call and the journal) and a collision otherwise: aspen
 * then stops, names the object and says how to resolve it, and touches
 * nothing.
 *
 * Probes report live values only for the properties the resource sets, so
 * kernel defaults never show as drift; what create sets that no property
 * names (the alias, a bridge's MAC and state, the peer's state and MTU) is
 * checked too and reported as the probe-only property "state" (updatable),
 * so a half-made or drifted link is planned as an update that finishes it.
 * The host end's up/down state is not compared: link-down faults own it.
 *
 * Lookups go through the run's link cache (rt_link); every call that
 * changes a link tells it (rt_link_changed). Deleting a bridge or a veth
 * checks ownership at once but leaves the kernel call to the end of the
 * delete phase, where all of them go in one batch: each link deleted alone
 * costs the kernel ~20-50 ms of RCU waiting. */
#include "runtime/runtime.h"
#include "runtime/drv_link.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/nl.h"
#include "runtime/tap.h"

unsigned drvlink_uint(const struct resource *r, const char *key)
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
int drvlink_adopt_or_collide(struct rt_ctx *c, const struct resource *r, const char *name,
			     const char *what, const char *fix, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	struct nl_link_info li;
	rt_mark(c, r, mark, sizeof(mark));
	if (nl_link_find(c->host, name, &li, e) < 0)
		return -1;
	if (mark_link_owned(mark, li.alias, li.has_mac ? li.mac : NULL))
		return 1;
	if (li.alias[0])
		return rt_errf(e, EEXIST, "%s %s already exists and belongs to someone else "
			       "(alias \"%s\"); aspen leaves it alone: %s", what, name, li.alias, fix);
	return rt_errf(e, EEXIST, "%s %s already exists and was not made by aspen; "
		       "aspen leaves it alone: %s", what, name, fix);
}

int drvlink_master(struct rt_ctx *c, const struct resource *r, int *out, struct rt_err *e)
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

/* Append one finding to a probe's "state" text. */
void drvlink_state_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used && used + 2 < len) {
		memcpy(buf + used, ", ", 3);
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void drvlink_state_set(struct rt_ctx *c, struct resource *out, const char *state)
{
	if (state[0])
		res_set(&c->arena, out, "state", arena_strdup(&c->arena, state));
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

/* Shared probe: present only when the link exists AND carries r's mark
 * (alias, or creation MAC without alias: then state says so); a foreign link
 * of that name is "absent" for aspen, so create reports it. */
int drvlink_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		  struct resource *out, struct nl_link_info *li, char *state, size_t slen,
		  struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	*present = false;
	state[0] = '\0';
	if (!name)
		return 0;
	if (rt_link(c, c->host, name, li, e) < 0)
		return e->errnum == ENODEV ? 0 : -1;
	if (!mark_link_owned(rt_mark(c, r, mark, sizeof(mark)), li->alias,
			     li->has_mac ? li->mac : NULL))
		return 0;
	*present = true;
	if (!li->alias[0])
		drvlink_state_add(state, slen, "no ownership alias");
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
int drvlink_destroy_later(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
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

/* Update: set again what create set that can change in place — the alias
 * (a half-made link has none) and the MTU. */
static int link_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	struct nl_link_conf conf = {.alias = rt_mark(c, r, mark, sizeof(mark)),
				    .mtu = drvlink_uint(r, "mtu")};
	(void)old;
	rt_link_changed(c, c->host, res_get(r, "name"));
	return nl_link_configure(c->host, res_get(r, "name"), &conf, e);
}

/* ---------------- bridge ---------------- */

/* A bridge's MAC is fixed and derived from its mark (mark_mac): stable
 * across ports coming and going, and across destroy and apply; it is also
 * the bridge's creation-time ownership mark. */

static int bridge_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	const char *name = res_get(r, "name");
	mark_mac(rt_mark(c, r, mark, sizeof(mark)), mac);
	struct nl_bridge_opts o = {.name = name, .mac = mac, .alias = mark,
				   .mtu = drvlink_uint(r, "mtu"), .up = true};
	rt_link_changed(c, c->host, name);
	if (nl_bridge_add(c->host, &o, e) == 0)
		return 0;
	if (e->errnum != EEXIST)
		return -1;
	char fix[160];
	snprintf(fix, sizeof(fix), "delete it, or give network %s another `bridge:` name",
		 rt_id_name(r->id));
	if (drvlink_adopt_or_collide(c, r, name, "bridge", fix, e) < 0)
		return -1;
	struct nl_link_conf conf = {.alias = mark, .mac = mac, .mtu = o.mtu, .set_up = true,
				    .up = true};
	return nl_link_configure(c->host, name, &conf, e);
}

static int bridge_probe(struct rt_ctx *c, const struct resource *r, bool *present,
			struct resource *out, struct rt_err *e)
{
	struct nl_link_info li;
	char state[160], mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	if (drvlink_probe(c, r, present, out, &li, state, sizeof(state), e) < 0)
		return -1;
	if (!*present)
		return 0;
	if (strcmp(li.kind, "bridge") != 0)
		res_set(&c->arena, out, "kind", li.kind);  /* forces a replacement */
	mark_mac(rt_mark(c, r, mark, sizeof(mark)), mac);
	if (!li.has_mac || memcmp(li.mac, mac, sizeof(mac)) != 0)
		drvlink_state_add(state, sizeof(state), "MAC changed");
	if (!li.up)
		drvlink_state_add(state, sizeof(state), "down");
	drvlink_state_set(c, out, state);
	return 0;
}

/* Everything create sets but the name and kind: alias, MAC, MTU, up. */
static int bridge_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
			 struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	(void)old;
	mark_mac(rt_mark(c, r, mark, sizeof(mark)), mac);
	struct nl_link_conf conf = {.alias = mark, .mac = mac, .mtu = drvlink_uint(r, "mtu"),
				    .set_up = true, .up = true};
	rt_link_changed(c, c->host, res_get(r, "name"));
	return nl_link_configure(c->host, res_get(r, "name"), &conf, e);
}

const struct res_driver drv_bridge = {bridge_create, bridge_update, drvlink_destroy_later,
				      bridge_probe, NULL};

/* ---------------- veth ---------------- */

/* Set again what create set on the pair that can change in place: the host
 * end's alias and MTU, the peer's MTU and state. Used by update, and by
 * create when it adopts a pair of ours that a crash left unfinished. */
static int veth_finish(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	if (link_update(c, NULL, r, e) < 0)
		return -1;
	struct nl *nsnl;
	if (rt_ns_nl(c, res_get(r, "netns"), &nsnl, NULL, e) < 0)
		return -1;
	struct nl_link_conf conf = {.mtu = drvlink_uint(r, "mtu"), .set_up = true, .up = true};
	rt_link_changed(c, nsnl, res_get(r, "peer"));
	return nl_link_configure(nsnl, res_get(r, "peer"), &conf, e);
}

static int veth_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6], host_mac[6];
	int master, nsfd;
	struct nl *nsnl;
	const char *name = res_get(r, "name"), *ns = res_get(r, "netns");
	if (rt_ns_nl(c, ns, &nsnl, &nsfd, e) < 0)
		return -1;
	if (drvlink_master(c, r, &master, e) < 0)
		return -1;
	bool has_mac = parse_mac(res_get(r, "mac"), mac) == 0;
	mark_mac(rt_mark(c, r, mark, sizeof(mark)), host_mac);
	struct nl_veth_opts o = {
		.name = name, .alias = mark, .mac = host_mac, .master = master,
		.mtu = drvlink_uint(r, "mtu"), .up = true, .peer_name = res_get(r, "peer"),
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
	if (drvlink_adopt_or_collide(c, r, name, "link", "delete it, or rename the node", e) < 0)
		return -1;
	struct nl_link_conf conf = {.set_master = true, .master = master, .set_up = true, .up = true};
	if (nl_link_configure(c->host, name, &conf, e) < 0)
		return -1;
	return veth_finish(c, r, e);
}

static int veth_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		      struct resource *out, struct rt_err *e)
{
	struct nl_link_info li, peer;
	char state[160];
	if (drvlink_probe(c, r, present, out, &li, state, sizeof(state), e) < 0 || !*present)
		return *present ? -1 : 0;
	if (c->destroying) {            /* its host end is all a delete needs */
		drvlink_state_set(c, out, state);
		return 0;
	}
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
	if (!peer.up)
		drvlink_state_add(state, sizeof(state), "peer %s down", pname);
	if (res_get(r, "mtu") && peer.mtu != drvlink_uint(r, "mtu"))
		drvlink_state_add(state, sizeof(state), "peer MTU %u", peer.mtu);
	drvlink_state_set(c, out, state);
	return 0;
}

static int veth_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		       struct rt_err *e)
{
	(void)old;
	return veth_finish(c, r, e);
}

/* Deleting the host end deletes the pair: deferred to the delete phase's
 * batch, which runs before the namespaces go (exec.c), so the kernel does
 * not have to find the veth in a dead namespace's slower cleanup. */
const struct res_driver drv_veth = {veth_create, veth_update, drvlink_destroy_later, veth_probe, NULL};

/* ---------------- tap ---------------- */

static int tap_create_drv(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	int master;
	const char *name = res_get(r, "name");
	if (drvlink_master(c, r, &master, e) < 0)
		return -1;
	struct tap_opts o = {name, rt_mark(c, r, mark, sizeof(mark)), master, drvlink_uint(r, "mtu"),
			     true, false};
	rt_link_changed(c, c->host, name);
	if (tap_create(c->host, &o, e) == 0)
		return 0;
	if (e->errnum != EEXIST)
		return -1;
	if (drvlink_adopt_or_collide(c, r, name, "link", "delete it, or rename the node", e) < 0)
		return -1;
	struct nl_link_conf conf = {.alias = mark, .mtu = o.mtu, .set_master = true,
				    .master = master, .set_up = true, .up = true};
	return nl_link_configure(c->host, name, &conf, e);
}

static int tap_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		     struct resource *out, struct rt_err *e)
{
	struct nl_link_info li;
	char state[160];
	if (drvlink_probe(c, r, present, out, &li, state, sizeof(state), e) < 0)
		return -1;
	if (*present)
		drvlink_state_set(c, out, state);
	return 0;
}

const struct res_driver drv_tap = {tap_create_drv, link_update, link_destroy, tap_probe, NULL};
