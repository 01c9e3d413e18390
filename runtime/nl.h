/* nl.h — rtnetlink primitives: links (VXLAN links and their forwarding
 * tables among them), IPv4 and IPv6 addresses, default routes, and dumps
 * of every address and route (the host checks of hostnet.c).
 *
 * A struct nl is one rtnetlink socket bound to one network namespace for its
 * whole life (a socket stays in the namespace it was created in). Open one
 * per namespace and reuse it: every call below is one or two netlink round
 * trips on that socket, never a new socket, never a namespace switch.
 *
 * Every call returns 0 or -1; on -1 the struct rt_err holds a message such as
 * "add veth as-c3-node1-0: File exists (kernel: <extended ack text>)" and
 * errnum the errno the kernel answered (ENODEV, EEXIST, EPERM, ...).
 *
 * Ownership: aspen marks the links it creates with IFLA_IFALIAS (mark.h) and
 * deletes only links carrying the expected mark (nl_link_del_owned). A
 * bridge or veth host end also carries a MAC derived from its mark from the
 * request that creates it (mark_mac), which identifies it in the moment
 * before its alias is set. */
#ifndef ASPEN_RT_NL_H
#define ASPEN_RT_NL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/err.h"
#include "runtime/mark.h"

struct nl;

/* What aspen needs to know about a link. */
struct nl_link_info {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[32];          /* IFLA_INFO_KIND: "bridge", "veth", "tun", ...; "" for none (lo) */
	int master;             /* ifindex of the master (bridge), 0 if none */
	unsigned mtu;
	unsigned group;         /* IFLA_GROUP, 0 for the default group */
	bool up;                /* administratively up (IFF_UP) */
	bool has_mac;
	unsigned char mac[6];
	char alias[ASPEN_MARK_MAX + 1];  /* IFLA_IFALIAS, "" if none */
	/* kind "vxlan" only (else zero): its VNI, local (source) IPv4
	 * address, destination UDP port and whether it learns remote MACs. */
	uint32_t vni;
	struct in_addr vx_local;
	unsigned vx_port;
	bool vx_learning;
};

/* Open a handle in the namespace netns_fd (an fd of /run/netns/NAME or of
 * /proc/PID/ns/net), or in the calling thread's namespace when netns_fd is
 * -1. The calling thread enters the namespace only while the socket is
 * created. The handle is not thread-safe: one thread at a time. */
int nl_open(struct nl **out, int netns_fd, struct rt_err *e);

/* Close the socket and free the handle; NULL is allowed. (libnl owns the
 * name nl_close.) */
void nl_free(struct nl *nl);

/* True when the handle lives in the calling thread's current namespace. */
bool nl_in_current_netns(const struct nl *nl);

/* ---------------- links ---------------- */

/* Look a link up by name. A missing link fails with errnum ENODEV. */
int nl_link_find(struct nl *nl, const char *name, struct nl_link_info *out, struct rt_err *e);

/* Called once per link by nl_link_dump. Return 0 to go on, > 0 to stop
 * early (the dump then returns 0), < 0 to fail (fill e; the dump returns -1). */
typedef int (*nl_link_fn)(const struct nl_link_info *link, void *arg, struct rt_err *e);

/* Call fn for every link of the handle's namespace, in ifindex order. */
int nl_link_dump(struct nl *nl, nl_link_fn fn, void *arg, struct rt_err *e);

struct nl_bridge_opts {
	const char *name;       /* required, < IFNAMSIZ */
	const unsigned char *mac;  /* 6 bytes, or NULL. Set, it stays: a bridge
				    * otherwise takes the lowest MAC of its ports
				    * and changes it when ports come and go, which
				    * leaves every neighbour's ARP entry stale. */
	const char *alias;      /* ownership mark, or NULL */
	unsigned mtu;           /* 0: kernel default */
	bool up;
};

/* Create a bridge, then set its alias. An existing link of that name fails with EEXIST (whoever
 * owns it): the caller decides whether that is drift or a collision. */
int nl_bridge_add(struct nl *nl, const struct nl_bridge_opts *o, struct rt_err *e);

/* Create an ifb device (the same fields; its MAC is where a mark_mac goes),
 * then set its alias, like nl_bridge_add. */
int nl_ifb_add(struct nl *nl, const struct nl_bridge_opts *o, struct rt_err *e);

struct nl_veth_opts {
	const char *name;               /* host end, in the handle's namespace */
	const char *alias;              /* ownership mark of the host end, or NULL */
	const unsigned char *mac;       /* host end's MAC (6 bytes), or NULL: random */
	int master;                     /* bridge ifindex for the host end, 0: none */
	unsigned mtu;                   /* both ends; 0: kernel default */
	bool up;                        /* host end up */
	const char *peer_name;          /* e.g. "eth0" */
	int peer_netns_fd;              /* namespace the peer is created in; -1: the handle's */
	const unsigned char *peer_mac;  /* 6 bytes, or NULL for a random one */
	bool peer_up;                   /* bring the peer up ... */
	struct nl *peer_nl;             /* ... through this handle in peer_netns_fd */
};

/* Create a veth pair: one RTM_NEWLINK makes both ends, the peer born inside
 * its namespace with its name, MAC and MTU (never moved afterwards), the host
 * end with its master, MTU and state. Then the host end gets its alias and
 * the peer is brought up through peer_nl (the kernel cannot do either in the
 * creating request). If a later step fails the pair is deleted again. An
 * existing host name, or peer name in the target namespace, fails with
 * EEXIST. */
int nl_veth_add(struct nl *nl, const struct nl_veth_opts *o, struct rt_err *e);

struct nl_vxlan_opts {
	const char *name;
	const unsigned char *mac;  /* 6 bytes, or NULL: random (the creation mark goes here) */
	const char *alias;      /* ownership mark, or NULL */
	uint32_t vni;           /* 1 .. 2^24-1 */
	struct in_addr local;   /* the source address of the encapsulated packets */
	unsigned port;          /* destination UDP port, e.g. 4789 */
	unsigned mtu;           /* 0: kernel default */
	int master;             /* bridge ifindex, 0: none */
	bool up;
};

/* Create a unicast VXLAN link: no multicast group, no default remote,
 * learning off (destinations come only from static FDB entries,
 * nl_fdb_set). One RTM_NEWLINK with the VXLAN options, name, MAC, MTU,
 * master and state; then the alias (removed again if that fails), like
 * nl_bridge_add. An existing link of that name fails with EEXIST; so does
 * another VXLAN link with the same VNI, local address and port (the
 * kernel's text says which). */
int nl_vxlan_add(struct nl *nl, const struct nl_vxlan_opts *o, struct rt_err *e);

/* One entry of a VXLAN link's forwarding table: frames to mac go to the
 * host dst. An all-zero mac is the default entry (broadcast, multicast
 * and unknown unicast); a link may hold several, one per destination,
 * and the kernel sends such frames to each. */
struct nl_fdb {
	unsigned char mac[6];
	struct in_addr dst;
};

/* Called by nl_fdb_dump once per entry. */
typedef void (*nl_fdb_fn)(const struct nl_fdb *f, void *arg);

/* The IPv4 entries of link ifindex's own forwarding table (NTF_SELF: a
 * VXLAN link's, not those of the bridge it is a port of), one dump. */
int nl_fdb_dump(struct nl *nl, int ifindex, nl_fdb_fn fn, void *arg, struct rt_err *e);

/* Delete del[0..n_del), then add add[0..n_add), as static entries
 * (NUD_PERMANENT, NTF_SELF) of link ifindex, all in one sendmsg (the
 * kernel answers only failures and the last request). What `bridge fdb
 * append MAC dev VX dst IP` (an all-zero mac: one more destination) and
 * `bridge fdb replace` (a unicast mac: its destination set) do. An entry
 * to delete that is gone, or to add that is there, is success. On failure
 * the message names the first entry that failed; the others were still
 * tried. */
int nl_fdb_set(struct nl *nl, int ifindex, const struct nl_fdb *del, size_t n_del,
	       const struct nl_fdb *add, size_t n_add, struct rt_err *e);

/* Several changes to one link in a single RTM_SETLINK. A zeroed struct
 * changes nothing. */
struct nl_link_conf {
	const char *alias;      /* NULL: leave; "": clear */
	const unsigned char *mac;  /* 6 bytes, or NULL: leave */
	unsigned mtu;           /* 0: leave */
	bool set_master;
	int master;             /* with set_master: bridge ifindex, 0 detaches */
	bool set_up;
	bool up;                /* with set_up */
};

/* Apply c to the link called name. A missing link fails with ENODEV. */
int nl_link_configure(struct nl *nl, const char *name, const struct nl_link_conf *c,
		      struct rt_err *e);

/* Administrative state, MTU, master (0 detaches), alias ("" clears) of the
 * link called name. Missing links fail with ENODEV. */
int nl_link_set_up(struct nl *nl, const char *name, bool up, struct rt_err *e);
int nl_link_set_mtu(struct nl *nl, const char *name, unsigned mtu, struct rt_err *e);
int nl_link_set_master(struct nl *nl, const char *name, int master_ifindex, struct rt_err *e);
int nl_link_set_alias(struct nl *nl, const char *name, const char *alias, struct rt_err *e);

/* Delete the link called name (for a veth, both ends). A missing link is
 * success. No ownership check: prefer nl_link_del_owned. */
int nl_link_del(struct nl *nl, const char *name, struct rt_err *e);

/* Delete the link called name only if it carries mark (mark_link_owned: its
 * alias, or no alias and the MAC derived from the mark); otherwise fail with
 * EPERM and say whose it is. A missing link is success. */
int nl_link_del_owned(struct nl *nl, const char *name, const char *mark, struct rt_err *e);

/* The ownership check of nl_link_del_owned on a link already looked up: 0
 * when l carries mark, else EPERM with the same message. */
int nl_link_check_mark(const struct nl_link_info *l, const char *mark, struct rt_err *e);

/* Delete the links ifindex[0..n) of the handle's namespace, whose ownership
 * the caller has checked, in one kernel batch: each gets a link group that
 * no other link carries (a random one, verified with a dump), then one
 * RTM_DELLINK deletes the group. The kernel unregisters the batch together
 * and pays its RCU waits (~20-50 ms here) once, where deleting links one by
 * one pays them per link. A veth takes its peer with it, a bridge releases
 * its ports. Links already gone are skipped; if the group cannot be used
 * (another link joined it, a link type without group delete), the links are
 * deleted one by one instead. 0 when all of them are gone. */
int nl_link_del_many(struct nl *nl, const int *ifindex, size_t n, struct rt_err *e);

/* Wait until none of the links names[0..n) exists in the handle's namespace
 * (polling a link dump every few ms); fail with ETIMEDOUT naming one that is
 * left after timeout_ms. Use after netns_delete: the kernel destroys the
 * links inside a deleted namespace, and with them their veth host ends,
 * asynchronously but in one batch, which is far faster than deleting veths
 * one by one (each RTM_DELLINK waits for an RCU barrier: ~18 ms here). */
int nl_link_wait_gone(struct nl *nl, const char *const *names, size_t n, unsigned timeout_ms,
		      struct rt_err *e);

/* ---------------- addresses (IPv4 and IPv6) ---------------- */

struct nl_addr4 {
	struct in_addr addr;
	unsigned prefixlen;
};

/* Either family; addr in network order, 4 or 16 bytes used. */
struct nl_ipaddr {
	int family;                     /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefixlen;
};

/* Parse "a.b.c.d/len" (len 0..32). */
int nl_addr4_parse(const char *cidr, struct nl_addr4 *out, struct rt_err *e);

/* Parse "a.b.c.d/len" or "x:x::x/len" (len 0..128): a ':' means IPv6. */
int nl_ipaddr_parse(const char *cidr, struct nl_ipaddr *out, struct rt_err *e);

/* Add cidr ("10.100.0.2/24", "fd00:100::2/64") to link ifindex, an IPv4
 * one with the subnet's broadcast, an IPv6 one without duplicate address
 * detection (usable at once). The same address already on that link is
 * success. */
int nl_addr_add(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e);

/* The same, but an address already on the link fails with EEXIST. */
int nl_addr_add_excl(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e);

/* Remove cidr from link ifindex. An address not there is success. */
int nl_addr_del(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e);

/* The addresses of family (AF_UNSPEC: both) on link ifindex: up to cap go
 * to out, *n gets how many the link has (may exceed cap). */
int nl_addr_list(struct nl *nl, int ifindex, int family, struct nl_ipaddr *out, size_t cap,
		 size_t *n, struct rt_err *e);

/* Called by nl_ipaddr_dump once per address. */
typedef void (*nl_ipaddr_fn)(int ifindex, const struct nl_ipaddr *a, void *arg);

/* Every address of family (AF_UNSPEC: both) of the handle's namespace. */
int nl_ipaddr_dump(struct nl *nl, int family, nl_ipaddr_fn fn, void *arg, struct rt_err *e);

/* ---------------- default routes (IPv4 and IPv6) ---------------- */

struct nl_route_def {
	int family;
	unsigned char gateway[16];      /* network order, 4 or 16 bytes used */
	int ifindex;
};

/* Add "default via gateway dev ifindex" to the main table of the
 * gateway's family (a ':' means IPv6). The same route already there is
 * success; another default route of that family fails with EEXIST. */
int nl_route_default_add(struct nl *nl, const char *gateway, int ifindex, struct rt_err *e);

/* Remove "default via gateway dev ifindex" from the main table: only that
 * route, never another default route. Not there is success. */
int nl_route_default_del(struct nl *nl, const char *gateway, int ifindex, struct rt_err *e);

/* Read the main table's default route of family; none fails with ENOENT. */
int nl_route_default_get(struct nl *nl, int family, struct nl_route_def *out, struct rt_err *e);

/* ---------------- routes: all of them ---------------- */

/* A route of either family (hostnet.c): addresses in network order. */
struct nl_iproute_info {
	int family;
	unsigned char dst[16];
	unsigned dst_len;
	unsigned char gateway[16];
	bool has_gateway;
	int oif;                        /* 0: none, or several next hops */
	unsigned table;
	unsigned type;
};

typedef void (*nl_iproute_fn)(const struct nl_iproute_info *r, void *arg);

/* Every route of family (AF_INET or AF_INET6) in every table. */
int nl_iproute_dump(struct nl *nl, int family, nl_iproute_fn fn, void *arg, struct rt_err *e);

/* Is the address of cidr usable, i.e. does the local table route it to
 * this host? An IPv4 address always is once added. An IPv6 one, even
 * added without DAD, is not until the kernel's address-configuration
 * work (a global workqueue that takes the RTNL lock) has run and
 * installed its local route: packets to it are routed away meanwhile. On
 * a host busy with netlink that takes seconds (up to 31 s measured while
 * other test suites ran). */
int nl_addr6_ready(struct nl *nl, const char *cidr, bool *ready, struct rt_err *e);

#endif
