/* hostlimits.c — what a topology asks of the host (see hostlimits.h).
 *
 * One pass over the nodes counts members per network; everything else is
 * arithmetic on those counts, so the estimate is pinned by unit tests on
 * its numbers (tests/unit/test_hostlimits.c) and no test ever has to fill
 * the host's neighbour table to check it. */
#include "compiler/hostlimits.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

unsigned long long hostlim_neigh_network(size_t netns_members, size_t vm_members, bool gateway)
{
	unsigned long long k = netns_members, m = vm_members, g = gateway ? 1 : 0;
	if (k + m == 0)
		return 0;
	/* k namespaces each learn the k + m - 1 others and the gateway; the
	 * host learns all k + m members through the bridge. */
	return k * (k + m - 1) + k * g + g * (k + m);
}

struct members {
	size_t netns, vm;
};

static struct members *hostlim_count(const struct topology *t)
{
	struct members *c = calloc(t->n_networks + 1, sizeof(*c));
	if (!c)
		abort();        /* as the arena does: the compiler has no OOM path */
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		for (size_t j = 0; nd->name && j < nd->n_ifaces; j++) {
			size_t w = nd->ifaces[j].network_idx;
			if (w >= t->n_networks)
				continue;
			if (nd->kind == NODE_VM)
				c[w].vm++;
			else
				c[w].netns++;
		}
	}
	return c;
}

void hostlim_need(const struct topology *t, struct hostlim_need *out)
{
	*out = (struct hostlim_need){.max_ports_net = SIZE_MAX};
	struct members *c = hostlim_count(t);
	for (size_t w = 0; w < t->n_networks; w++) {
		size_t ports = c[w].netns + c[w].vm;
		if (ports > out->max_ports || (ports && out->max_ports_net == SIZE_MAX)) {
			out->max_ports = ports;
			out->max_ports_net = w;
		}
		out->neigh += hostlim_neigh_network(c[w].netns, c[w].vm, t->networks[w].has_gateway);
	}
	free(c);
	for (size_t i = 0; i < t->n_nodes; i++) {
		const struct topo_node *nd = &t->nodes[i];
		if (!nd->name)
			continue;
		if (nd->kind == NODE_VM) {
			out->vm_nodes++;
			out->processes++;
			out->vm_memory += nd->memory;
		} else {
			out->netns_nodes++;
			out->processes += nd->command.n > 0;
		}
	}
	/* A namespace costs aspen its file and a netlink socket. */
	out->fds = HOSTLIM_FDS_BASE + 2 * out->netns_nodes + out->vm_nodes;
	for (size_t i = 0; i < t->n_faults; i++) {
		switch (t->faults[i].kind) {
		case FAULT_LATENCY: case FAULT_DUPLICATE: case FAULT_CORRUPT: case FAULT_REORDER:
			out->netem = true;
			break;
		case FAULT_RATE:
			out->tbf = true;
			break;
		case FAULT_PARTITION: case FAULT_LOSS:
			out->nft = true;
			break;
		default:
			break;
		}
	}
}

void hostlim_neigh_fit(unsigned long long need, unsigned long long *thresh2,
		       unsigned long long *thresh3)
{
	unsigned long long t2 = need + need / 4;
	t2 = (t2 + 1023) / 1024 * 1024;
	if (t2 < 1024)
		t2 = 1024;
	*thresh2 = t2;
	*thresh3 = 2 * t2;
}

void hostlim_check_ports(const struct topology *t, struct diag_list *d)
{
	struct members *c = hostlim_count(t);
	for (size_t w = 0; w < t->n_networks; w++) {
		const struct topo_network *n = &t->networks[w];
		size_t ports = c[w].netns + c[w].vm;
		if (!n->name || ports <= HOSTLIM_BRIDGE_PORTS)
			continue;
		size_t parts = (ports + HOSTLIM_BRIDGE_PORTS - 1) / HOSTLIM_BRIDGE_PORTS;
		char path[160];
		snprintf(path, sizeof(path), "networks.%s", n->name);
		diag_error(d, n->pos, path, "network %s has %zu interfaces, but a Linux bridge "
			   "holds at most %u ports (BR_MAX_PORTS)", n->name, ports,
			   HOSTLIM_BRIDGE_PORTS);
		diag_hint(d, "split it into %zu or more networks of at most %u interfaces each, "
			  "each with a subnet of its own", parts, HOSTLIM_BRIDGE_PORTS);
	}
	free(c);
}
