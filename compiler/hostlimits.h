/* hostlimits.h — what a topology asks of the host, computed from the file.
 *
 * Pure functions of a validated topology (no system call): how many ports
 * the busiest bridge gets, how many neighbour (ARP) entries the nodes may
 * hold, how many namespaces, processes, descriptors and how much guest
 * memory. validate refuses what no host can give (a bridge holds at most
 * HOSTLIM_BRIDGE_PORTS ports); `plan` and `aspen doctor` compare the rest
 * with the host's own limits (runtime/hostinfo.c reads those). */
#ifndef ASPEN_HOSTLIMITS_H
#define ASPEN_HOSTLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/diag.h"
#include "compiler/topology.h"

/* The kernel's BR_MAX_PORTS is 1024 port numbers, and number 0 is never
 * given to a port (net/bridge/br_if.c find_portno): the 1024th port fails
 * with EXFULL ("Exchange full"). */
#define HOSTLIM_BRIDGE_PORTS 1023u

/* Descriptors one aspen command holds beside its per-namespace ones
 * (journal, lock, host netlink, nftables, libraries). */
#define HOSTLIM_FDS_BASE 64u

/* What one cloud-hypervisor process costs beside its guest's RAM: page
 * tables, device queues and buffers, its own heap and binary; the figure
 * measured on the original harness (about 110 MB per VM). */
#define HOSTLIM_VMM_OVERHEAD (110ull << 20)

struct hostlim_need {
	size_t netns_nodes, vm_nodes, processes;   /* processes: node commands + VMMs */
	size_t max_ports;               /* ports of the busiest network's bridge */
	size_t max_ports_net;           /* its index in t->networks, SIZE_MAX when none */
	unsigned long long neigh;       /* IPv4 neighbour entries the nodes may hold */
	size_t fds;                     /* descriptors one aspen command may hold */
	unsigned long long vm_memory;   /* guest memory of every VM, bytes */
	bool netem, tbf, nft;           /* fault mechanisms the schedule uses */
};

/* Neighbour entries of one L2 network in the host's (global) table:
 * each of the netns members may learn every other member and the gateway;
 * the host, which owns the gateway address on the bridge, may learn every
 * member. VM members learn in their guest's kernel, so they count only as
 * entries of others. */
unsigned long long hostlim_neigh_network(size_t netns_members, size_t vm_members,
					 bool gateway);

/* Everything above for t (validated: network_idx resolved). */
void hostlim_need(const struct topology *t, struct hostlim_need *out);

/* gc_thresh2 and gc_thresh3 that fit `need` entries: thresh2 (the soft
 * bound the garbage collector enforces after 5 s) at least need, rounded up
 * to a multiple of 1024 with a quarter more for other users of the host;
 * thresh3 (the hard bound: "neighbour table overflow") twice that. */
void hostlim_neigh_fit(unsigned long long need, unsigned long long *thresh2,
		       unsigned long long *thresh3);

/* An error at each network whose bridge would get more ports than the
 * kernel gives (called by topo_validate). */
void hostlim_check_ports(const struct topology *t, struct diag_list *d);

#endif
