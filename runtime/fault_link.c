/* fault_link.c — link-down: the node's port goes dark, then comes back.
 *
 * aspen sets the HOST end of the node's veth (or its TAP) down, never the
 * interface inside the node. Inside, eth0 keeps its administrative state,
 * its addresses and its routes and only loses carrier (NO-CARRIER /
 * LOWERLAYERDOWN), like a pulled cable or a dead switch port. Downing eth0
 * itself would make the kernel flush the routes through it — the default
 * route would not come back on "up", so the revert would not restore the
 * node — and the node's software would see "network unreachable" at once
 * instead of the silence a real link failure gives. For a VM the TAP is
 * the only end aspen holds; the guest's NIC stays up the same way.
 *
 * Only links carrying this topology's ownership mark are touched. Revert
 * and heal set them up again; a link that is gone is not an error.
 *
 * Coming back, a link says so (runtime/neigh.c): revert returns only once
 * each host end carries again (operstate UP: the bridge port forwards),
 * and for a netns node once its interface does too, its pending neighbour
 * entries are gone and it has sent a gratuitous ARP, so the very next
 * packet either way goes through (for an IPv6 address too: its entries,
 * and an unsolicited neighbour advertisement). The record names the
 * node's namespace, interface and addresses for that ("netns", "dev",
 * "ip", "ip6"). A VM's interface
 * is inside the guest: aspen waits for the TAP and can announce nothing. */
#include "runtime/fault_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "runtime/journal.h"
#include "runtime/mark.h"
#include "runtime/neigh.h"
#include "runtime/nl.h"

/* How long a link that has carrier may take to report it (linkwatch runs
 * within a few ms; this bounds a stuck kernel, not a normal wait). */
#define LINK_CARRIER_TIMEOUT_MS 5000

/* The id of the resource that made port p: veth/<node>.<if> or tap/... */
static void link_res_id(const struct fault_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", p->node->kind == NODE_VM ? "tap" : "veth", p->node->name,
		 p->iface->name);
}

static int link_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
			cJSON *rec, struct rt_err *e)
{
	struct fault_port *p;
	size_t n;
	if (fault_ports_here(t, &f->u.link.targets, &p, &n, e) < 0)
		return -1;
	cJSON *arr = cJSON_AddArrayToObject(rec, "links");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char id[128], mark[ASPEN_MARK_MAX + 1];
		link_res_id(&p[i], id, sizeof(id));
		rc = mark_build(mark, sizeof(mark), c->topology, id, e);
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "name", p[i].iface->host_name);
		cJSON_AddStringToObject(l, "mark", mark);
		if (p[i].node->kind != NODE_VM) {
			cJSON_AddStringToObject(l, "netns", p[i].node->netns_name);
			cJSON_AddStringToObject(l, "dev", p[i].iface->name);
		}
		if (p[i].node->kind != NODE_VM && p[i].iface->has_ip) {
			char ip[INET_ADDRSTRLEN];
			struct in_addr a = {.s_addr = htonl(p[i].iface->ip)};
			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			cJSON_AddStringToObject(l, "ip", ip);
		}
		if (p[i].node->kind != NODE_VM && p[i].iface->has_ip6) {
			char ip6[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, p[i].iface->ip6, ip6, sizeof(ip6));
			cJSON_AddStringToObject(l, "ip6", ip6);
		}
		cJSON_AddItemToArray(arr, l);
	}
	free(p);
	return rc;
}

/* Set link name (owned by mark) up or down. missing_ok: a missing link is
 * success (revert); otherwise it is an error (apply). 1 when the link
 * changed state, 0 when it was already so (or is gone). */
static int link_set(struct rt_ctx *c, const char *name, const char *mark, bool up,
		    bool missing_ok, struct rt_err *e)
{
	struct nl_link_info li;
	if (nl_link_find(c->host, name, &li, e) < 0)
		return missing_ok && e && e->errnum == ENODEV ? 0 : -1;
	if (strcmp(li.alias, mark) != 0)
		return rt_errf(e, EPERM, "link %s is not aspen's (alias \"%s\", expected \"%s\"): "
			       "left alone", name, li.alias, mark);
	if (li.up == up)
		return 0;
	return nl_link_set_up(c->host, name, up, e) < 0 ? -1 : 1;
}

/* The link host_name is up again: wait until it carries, then announce
 * the node behind it (netns / dev / ip, all NULL for a VM's TAP). */
static int link_announce(const char *host_name, const char *netns, const char *dev,
			 const char *ip, const char *ip6, struct rt_err *e)
{
	struct in_addr a = {0};
	uint8_t a6[16];
	if (ip && inet_pton(AF_INET, ip, &a) != 1)
		return rt_errf(e, EINVAL, "bad address \"%s\" in fault record", ip);
	if (ip6 && inet_pton(AF_INET6, ip6, a6) != 1)
		return rt_errf(e, EINVAL, "bad address \"%s\" in fault record", ip6);
	if (neigh_wait_carrier(NULL, host_name, LINK_CARRIER_TIMEOUT_MS, e) < 0)
		return -1;
	if (!netns || !dev)
		return 0;
	return neigh_announce(netns, dev, ntohl(a.s_addr), ip6 ? a6 : NULL,
			      LINK_CARRIER_TIMEOUT_MS, e);
}

static int link_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		      const cJSON *rec, struct rt_err *e)
{
	const cJSON *l;
	(void)t;
	(void)f;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(rec, "links")) {
		const char *name = fault_rec_str(l, "name"), *mark = fault_rec_str(l, "mark");
		if (!name || !mark)
			return rt_errf(e, EINVAL, "malformed link in fault record");
		if (link_set(c, name, mark, false, false, e) < 0)
			return -1;
	}
	return 0;
}

static int link_revert(struct rt_ctx *c, const cJSON *rec, struct rt_err *e)
{
	const cJSON *links = cJSON_GetObjectItemCaseSensitive(rec, "links"), *l;
	int rc = 0, n = cJSON_GetArraySize(links), i = 0;
	bool *ours = calloc(n > 0 ? (size_t)n : 1, sizeof(*ours));
	if (!ours)
		return rt_errf(e, ENOMEM, "out of memory");
	cJSON_ArrayForEach(l, links) {
		const char *name = fault_rec_str(l, "name"), *mark = fault_rec_str(l, "mark");
		struct rt_err err = {0};
		if (!name || !mark) {
			free(ours);
			return rt_errf(e, EINVAL, "malformed link in fault record");
		}
		if (link_set(c, name, mark, true, true, &err) < 0) {
			if (rc++ == 0 && e)
				*e = err;
		} else {
			ours[i] = true;         /* up (or gone): announce it */
		}
		i++;
	}
	/* All up first, then announce: nodes cut together come back together.
	 * A link that is gone, or a namespace, has nothing to announce. */
	i = 0;
	cJSON_ArrayForEach(l, links) {
		struct rt_err err = {0};
		if (ours[i++] && link_announce(fault_rec_str(l, "name"), fault_rec_str(l, "netns"),
					       fault_rec_str(l, "dev"), fault_rec_str(l, "ip"),
					       fault_rec_str(l, "ip6"), &err) < 0 &&
		    err.errnum != ENODEV && err.errnum != ENOENT && rc++ == 0 && e)
			*e = err;
	}
	free(ours);
	return rc ? -1 : 0;
}

/* The address of the node interface behind veth r ("addr/<node>.<if>",
 * or with kind "addr6" "addr6/...", whose "address" is "ip/len"), into
 * buf; NULL when it has none. */
static const char *link_veth_ip(const struct rt_ctx *c, const struct resource *r,
				const char *kind, char *buf, size_t len)
{
	char id[160];
	if (strncmp(r->id, "veth/", 5) != 0)
		return NULL;
	snprintf(id, sizeof(id), "%s/%s", kind, r->id + 5);
	const struct resource *ar = journal_find_resource(&c->journal, id);
	const char *cidr = ar ? res_get(ar, "address") : NULL;
	if (!cidr)
		return NULL;
	snprintf(buf, len, "%.*s", (int)strcspn(cidr, "/"), cidr);
	return buf;
}

/* Every veth host end and TAP of the journal, up again; the ones that
 * were down announce their node. */
static int link_heal(struct rt_ctx *c, struct rt_err *e)
{
	const struct res_list *l = &c->journal.resources;
	int rc = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct resource *r = &l->v[i];
		const char *name = res_get(r, "name");
		char mark[ASPEN_MARK_MAX + 1];
		struct rt_err err = {0};
		if ((r->kind != RES_VETH && r->kind != RES_TAP) || !name)
			continue;
		int changed = link_set(c, name, rt_mark(c, r, mark, sizeof(mark)), true, true, &err);
		char ip[64], ip6[64];
		bool veth = r->kind == RES_VETH;
		if (changed > 0)
			changed = link_announce(name, veth ? res_get(r, "netns") : NULL,
						veth ? res_get(r, "peer") : NULL,
						veth ? link_veth_ip(c, r, "addr", ip, sizeof(ip)) : NULL,
						veth ? link_veth_ip(c, r, "addr6", ip6, sizeof(ip6)) : NULL,
						&err);
		if (changed < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* A node's link is set down on its own host only. */
static int link_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		      struct rt_err *e)
{
	return fault_share_ports(t, &f->u.link.targets, ports, e);
}

const struct fault_mech fault_mech_link = {link_prepare, link_apply, link_revert, link_heal,
					   link_share};
