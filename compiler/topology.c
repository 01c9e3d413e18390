/* topology.c — small helpers over the topology model (see topology.h). */
#include "compiler/topology.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const fault_kind_names[FAULT__COUNT] = {
	[FAULT_PARTITION] = "partition",
	[FAULT_LATENCY] = "latency",
	[FAULT_LOSS] = "loss",
	[FAULT_DUPLICATE] = "duplicate",
	[FAULT_CORRUPT] = "corrupt",
	[FAULT_REORDER] = "reorder",
	[FAULT_RATE] = "rate",
	[FAULT_LINK_DOWN] = "link-down",
	[FAULT_KILL] = "kill",
	[FAULT_PAUSE] = "pause",
	[FAULT_RESUME] = "resume",
	[FAULT_START] = "start",
	[FAULT_RESTART] = "restart",
	[FAULT_REBOOT] = "reboot",
};

void topo_free(struct topology *t)
{
	if (!t)
		return;
	arena_free(&t->arena);
	free(t);
}

size_t topo_find_node(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].name && strcmp(t->nodes[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

size_t topo_find_network(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_networks; i++)
		if (t->networks[i].name && strcmp(t->networks[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

size_t topo_find_role(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_roles; i++)
		if (t->roles[i].name && strcmp(t->roles[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}
