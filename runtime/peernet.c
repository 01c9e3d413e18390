/* peernet.c — a topology's networks against the other aspen topologies
 * live on this host, checked before apply changes anything.
 *
 * Two topologies whose gateways put overlapping subnets on host bridges
 * both get a connected route for the same addresses: the host then sends
 * traffic for one topology's nodes to the other's bridge, silently.
 * hostnet.c leaves links with an aspen mark out of its comparison (this
 * topology's own bridge must not block a re-apply), so this is the check
 * that names both topologies.
 *
 * "Live" is what aspen itself keeps: every topology with a journal under
 * the state root (paths_list_topologies), whose host-side network
 * addresses (the `addr/<network>` resources without a namespace) are read
 * from its journal. A journal is replaced by rename, so reading another
 * topology's without its lock sees one whole version. Only the addresses
 * this plan creates are compared (a no-op re-apply reads nothing), and
 * only networks with a gateway: without one a subnet exists only inside
 * node namespaces and VMs, where another topology's copy cannot meet it.
 *
 * A network with `allow_overlap: true` skips the check (the user means it:
 * e.g. two clusters that should not talk, neither needing the host); the
 * one being applied decides, since the other's file may be long gone. */
#include "runtime/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/topology.h"
#include "runtime/journal.h"
#include "runtime/paths.h"

/* "10.1.0.1/24" -> address and length (IPv4 only: other families are
 * not compared here). */
static bool pn_parse(const char *s, uint32_t *addr, unsigned *len)
{
	char buf[64];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	struct in_addr a;
	char *end;
	unsigned long l = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, buf, &a) != 1 || *end || l > 32)
		return false;
	*addr = ntohl(a.s_addr);
	*len = (unsigned)l;
	return true;
}

static bool pn_overlap(uint32_t a, unsigned la, uint32_t b, unsigned lb)
{
	unsigned l = la < lb ? la : lb;
	uint32_t m = l == 0 ? 0 : 0xffffffffu << (32 - l);
	return (a & m) == (b & m);
}

/* A host-side network address: "addr/<network>", no namespace. */
static const char *pn_host_net(const struct resource *r)
{
	if (r->kind != RES_ADDR || strncmp(r->id, "addr/", 5) != 0 || res_get(r, "netns"))
		return NULL;
	return r->id + 5;
}

static const struct topo_network *pn_network(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_networks; i++)
		if (t->networks[i].name && strcmp(t->networks[i].name, name) == 0)
			return &t->networks[i];
	return NULL;
}

struct pn_mine {
	const struct topo_network *w;
	const char *address;            /* "gw/len" the plan creates */
	uint32_t addr;
	unsigned len;
};

/* The host addresses the plan creates, on networks that do not opt out. */
static size_t pn_collect(const struct topology *t, const struct plan *p, struct pn_mine *out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (a->phase != PHASE_CREATE || a->op == ACT_UPDATE || !a->desired)
			continue;
		const char *net = pn_host_net(a->desired);
		const struct topo_network *w = net ? pn_network(t, net) : NULL;
		struct pn_mine m = {w, res_get(a->desired, "address"), 0, 0};
		if (!w || w->allow_overlap || !pn_parse(m.address, &m.addr, &m.len))
			continue;
		out[n++] = m;
	}
	return n;
}

int peernet_preflight(const struct topology *t, const struct plan *p, struct rt_err *e)
{
	struct pn_mine *mine = calloc(p->n_actions + 1, sizeof(*mine));
	if (!mine)
		return rt_errf(e, ENOMEM, "out of memory");
	size_t n_mine = pn_collect(t, p, mine);
	char **names = NULL;
	size_t n_names = 0, found = 0, used = 0;
	char msg[sizeof(e->msg)], first[160] = "";
	int rc = 0;
	msg[0] = '\0';
	if (n_mine == 0)
		goto out;
	if (paths_list_topologies(&names, &n_names, e) < 0) {
		/* `plan` as a user who cannot read the state root: apply (root)
		 * checks again before it changes anything. */
		rc = e->errnum == EACCES ? 0 : rt_err_prefix(e, "check the other topologies' networks");
		goto out;
	}
	for (size_t k = 0; k < n_names; k++) {
		if (strcmp(names[k], t->name) == 0)
			continue;
		struct journal j;
		struct rt_err je;
		if (journal_load(&j, names[k], &je) < 0) {
			journal_free(&j);
			continue;       /* not ours to judge: status and destroy report it */
		}
		for (size_t r = 0; r < j.resources.n; r++) {
			const struct resource *res = &j.resources.v[r];
			const char *net = pn_host_net(res);
			uint32_t addr;
			unsigned len;
			if (!net || !pn_parse(res_get(res, "address"), &addr, &len))
				continue;
			for (size_t m = 0; m < n_mine; m++) {
				if (!pn_overlap(mine[m].addr, mine[m].len, addr, len))
					continue;
				const struct topo_network *w = mine[m].w;
				if (found++ == 0)
					snprintf(first, sizeof(first), "%s", names[k]);
				int w_ = snprintf(msg + used, sizeof(msg) - used,
						  "\n  %s:%u:%u: network %s of %s (gateway %s) overlaps "
						  "network %s of live topology %s (gateway %s%s%s)",
						  t->file ? t->file : "", w->subnet_pos.line,
						  w->subnet_pos.col, w->name, t->name, mine[m].address,
						  net, names[k], res_get(res, "address"),
						  j.file ? ", " : "", j.file ? j.file : "");
				if (w_ > 0 && (size_t)w_ < sizeof(msg) - used)
					used += (size_t)w_;
			}
		}
		journal_free(&j);
	}
	if (found)
		rc = rt_errf(e, EEXIST, "%s overlaps %s on this host (%zu overlap%s); nothing was "
			     "changed:%s\n  both would route the host's traffic for those addresses "
			     "to their own bridge: choose another subnet, destroy %s first, or set "
			     "`allow_overlap: true` on the network if you mean it", t->name,
			     found == 1 ? first : "other live topologies", found,
			     found == 1 ? "" : "s", msg, first);
out:
	paths_list_free(names, n_names);
	free(mine);
	return rc;
}
