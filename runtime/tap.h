/* tap.h — persistent TAP devices for Cloud Hypervisor VMs.
 *
 * rtnetlink cannot create TAPs on the kernels aspen runs on, so a TAP is
 * made through /dev/net/tun (TUNSETIFF + TUNSETPERSIST) and then configured
 * (alias, master, MTU, up) with one RTM_SETLINK through nl. Cloud Hypervisor
 * later opens it by name (NetConfig.tap) with the same flags. */
#ifndef ASPEN_RT_TAP_H
#define ASPEN_RT_TAP_H

#include <stdbool.h>

#include "runtime/err.h"
#include "runtime/nl.h"

struct tap_opts {
	const char *name;       /* required, < IFNAMSIZ */
	const char *alias;      /* ownership mark, or NULL */
	int master;             /* bridge ifindex, 0: none */
	unsigned mtu;           /* 0: kernel default */
	bool up;
	bool multi_queue;       /* IFF_MULTI_QUEUE: for a VM with > 1 queue pair */
};

/* Create a persistent TAP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) in the calling
 * thread's namespace, which must be nl's, and configure it. An existing link
 * of that name fails with EEXIST; a failed configuration removes the TAP. */
int tap_create(struct nl *nl, const struct tap_opts *o, struct rt_err *e);

/* Delete the TAP name if its alias equals mark (see nl_link_del_owned);
 * missing is success. */
int tap_delete(struct nl *nl, const char *name, const char *mark, struct rt_err *e);

#endif
