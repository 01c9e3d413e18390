/* neigh.h — after a link comes back: wait for carrier, announce the node.
 *
 * Used by link-down's revert and heal (fault_link.c); runtime/neigh.c says
 * why each step is needed. Both calls work on one interface in one
 * namespace, from any thread (the calling thread enters the namespace
 * only to create its sockets). */
#ifndef ASPEN_RT_NEIGH_H
#define ASPEN_RT_NEIGH_H

#include <stdint.h>

#include "runtime/err.h"

/* Wait until link dev of namespace netns (NULL: the caller's) reports
 * operstate UP, on netlink notifications. A link that is administratively
 * down or has no carrier cannot come up by itself: success at once. */
int neigh_wait_carrier(const char *netns, const char *dev, unsigned timeout_ms,
		       struct rt_err *e);

/* For the node interface dev in namespace netns: neigh_wait_carrier, then
 * delete its INCOMPLETE / FAILED IPv4 neighbour entries, then send one
 * gratuitous ARP request for ip (host order; 0: none) from its MAC. With
 * ip6 (16 bytes, network order; NULL: none) its IPv6 entries likewise,
 * and one unsolicited neighbour advertisement for ip6. A dev that is down
 * inside the node is left alone (success). */
int neigh_announce(const char *netns, const char *dev, uint32_t ip, const uint8_t *ip6,
		   unsigned timeout_ms, struct rt_err *e);

#endif
