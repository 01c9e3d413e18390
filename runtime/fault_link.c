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
 * and heal set them up again; a link that is gone is not an error. */
#include "runtime/fault_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/nl.h"

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
	if (fault_ports(t, &f->u.link.targets, &p, &n, e) < 0)
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
		cJSON_AddItemToArray(arr, l);
	}
	free(p);
	return rc;
}

/* Set link name (owned by mark) up or down. missing_ok: a missing link is
 * success (revert); otherwise it is an error (apply). */
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
	return nl_link_set_up(c->host, name, up, e);
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
	const cJSON *l;
	int rc = 0;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(rec, "links")) {
		const char *name = fault_rec_str(l, "name"), *mark = fault_rec_str(l, "mark");
		struct rt_err err = {0};
		if (!name || !mark)
			return rt_errf(e, EINVAL, "malformed link in fault record");
		if (link_set(c, name, mark, true, true, &err) < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* Every veth host end and TAP of the journal, up again. */
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
		if (link_set(c, name, rt_mark(c, r, mark, sizeof(mark)), true, true, &err) < 0 &&
		    rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

const struct fault_mech fault_mech_link = {link_prepare, link_apply, link_revert, link_heal};
