/* neigh.c — a link that comes back says so: carrier, neighbours, GARP.
 *
 * When link-down ends, setting the host end up is not the end of it. The
 * kernel finishes the job asynchronously: linkwatch sets each end's
 * operstate, activates its qdisc (until then the node's eth0 drops what it
 * sends) and tells the bridge to forward on the port again. And the
 * neighbour tables still remember the outage: peers that tried to reach
 * the node hold INCOMPLETE or FAILED entries for it, the node holds the
 * same for the peers it tried (its cache was flushed when carrier went,
 * neigh_carrier_down), and an INCOMPLETE entry waits for its retransmit
 * timer (retrans_time_ms, 1 s by default) before it asks again. A real
 * link flap behaves exactly so: arp_notify sends a gratuitous ARP on
 * NETDEV_UP and address changes, not on carrier changes (devinet.c,
 * inetdev_event), so the first packets after a flap wait up to a second.
 *
 * aspen's link-down promises a link that works again when the revert
 * returns, so neigh_announce, for the node's interface:
 *   1. waits, on netlink notifications (no sleep), until the host end and
 *      the node's interface both report operstate UP: linkwatch has run,
 *      the qdisc is active and the bridge port forwards;
 *   2. deletes the node's INCOMPLETE and FAILED entries on that interface,
 *      so its next packet to a peer resolves at once;
 *   3. sends one gratuitous ARP request (sender = target = the node's
 *      address, broadcast) from inside the node's namespace through an
 *      AF_PACKET socket: every peer with an entry for the node, pending or
 *      failed, takes the address at once (arp_process updates an existing
 *      entry from a gratuitous ARP even with arp_accept off) and sends what
 *      it had queued.
 * IPv6 is the same story with neighbour discovery (ndisc_notify sends an
 * unsolicited advertisement on NETDEV_UP, not on carrier): for a node with
 * an IPv6 address, step 2 covers its IPv6 entries too, and step 3 adds one
 * unsolicited neighbour advertisement (RFC 4861 7.2.6: to all-nodes
 * ff02::1, hop limit 255, Override set, the node's MAC as target link-layer
 * address) from a raw ICMPv6 socket bound to the address: ndisc_recv_na
 * updates an existing entry, pending or failed, and the peer sends what it
 * had queued.
 * The sockets are created inside the node's namespace by the calling
 * thread, which enters it only for that (setns moves one thread). */
#include "runtime/neigh.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "runtime/netns.h"

/* One netlink read: a page-sized dump part, or a few notifications. */
#define NEIGH_BUF 16384

/* Sockets in one namespace: route (subscribed to link changes) and,
 * when asked for, a packet socket for the ARP and a raw ICMPv6 socket for
 * the neighbour advertisement. */
struct neigh_socks {
	struct mnl_socket *nl;
	int pkt, icmp6;
	unsigned seq;
};

static double neigh_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int neigh_socks_make(struct neigh_socks *s, bool packet, struct rt_err *e)
{
	s->pkt = s->icmp6 = -1;
	s->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->nl)
		return rt_errf(e, errno, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(s->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		return rt_errf(e, errno, "netlink bind: %s", strerror(errno));
	if (packet) {
		s->pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
		if (s->pkt < 0)
			return rt_errf(e, errno, "packet socket: %s", strerror(errno));
		s->icmp6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
		if (s->icmp6 < 0)
			return rt_errf(e, errno, "ICMPv6 socket: %s", strerror(errno));
	}
	return 0;
}

static void neigh_socks_close(struct neigh_socks *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	if (s->pkt >= 0)
		close(s->pkt);
	if (s->icmp6 >= 0)
		close(s->icmp6);
	s->nl = NULL;
	s->pkt = s->icmp6 = -1;
}

struct neigh_socks_req {
	struct neigh_socks *s;
	bool packet;
};

static int neigh_socks_make_in(void *arg, struct rt_err *e)
{
	struct neigh_socks_req *q = arg;
	return neigh_socks_make(q->s, q->packet, e);
}

/* The sockets, created inside namespace netns (NULL: the caller's). */
static int neigh_socks_open(const char *netns, bool packet, struct neigh_socks *s,
			    struct rt_err *e)
{
	memset(s, 0, sizeof(*s));
	s->pkt = s->icmp6 = -1;
	struct neigh_socks_req q = {s, packet};
	int rc = netns_call(netns, neigh_socks_make_in, &q, e);
	if (rc < 0)
		neigh_socks_close(s);
	return rc;
}

/* ---------------- operstate ---------------- */

struct neigh_link {
	const char *name;
	int ifindex;
	unsigned char oper;
	unsigned flags;         /* ifi_flags: IFF_UP, IFF_LOWER_UP (carrier) */
	bool has_mac;
	unsigned char mac[ETH_ALEN];
	bool seen;
};

static int neigh_link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (mnl_attr_type_valid(a, IFLA_MAX) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

/* An RTM_NEWLINK (answer or notification): ours when it names our link. */
static int neigh_link_cb(const struct nlmsghdr *h, void *data)
{
	struct neigh_link *l = data;
	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	mnl_attr_parse(h, sizeof(*ifi), neigh_link_attr, tb);
	const char *name = tb[IFLA_IFNAME] ? mnl_attr_get_str(tb[IFLA_IFNAME]) : "";
	if (l->ifindex ? ifi->ifi_index != l->ifindex : strcmp(name, l->name) != 0)
		return MNL_CB_OK;
	l->ifindex = ifi->ifi_index;
	l->seen = true;
	l->flags = ifi->ifi_flags;
	l->oper = tb[IFLA_OPERSTATE] ? mnl_attr_get_u8(tb[IFLA_OPERSTATE]) : IF_OPER_UNKNOWN;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == ETH_ALEN) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), ETH_ALEN);
		l->has_mac = true;
	}
	return MNL_CB_OK;
}

/* Read what the socket holds (notifications and answers) into l. */
static int neigh_read(struct neigh_socks *s, mnl_cb_t cb, void *data, struct rt_err *e)
{
	char buf[NEIGH_BUF];
	ssize_t n = mnl_socket_recvfrom(s->nl, buf, sizeof(buf));
	if (n < 0)
		return errno == ENOBUFS ? 0 : rt_errf(e, errno, "netlink: %s", strerror(errno));
	int rc = mnl_cb_run(buf, (size_t)n, 0, 0, cb, data);
	if (rc < 0 && errno != ESRCH)
		return rt_errf(e, errno, "netlink: %s", strerror(errno));
	return rc;          /* MNL_CB_STOP (0) at the end of a dump/ack, else 1 */
}

/* Ask for link l->name once; the answer arrives on the same socket as the
 * notifications, so none is missed between the question and the wait. */
static int neigh_link_get(struct neigh_socks *s, struct neigh_link *l, struct rt_err *e)
{
	char buf[NEIGH_BUF];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	h->nlmsg_type = RTM_GETLINK;
	h->nlmsg_flags = NLM_F_REQUEST;
	h->nlmsg_seq = ++s->seq;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, l->name);
	if (mnl_socket_sendto(s->nl, h, h->nlmsg_len) < 0)
		return rt_errf(e, errno, "look up %s: %s", l->name, strerror(errno));
	return 0;
}

/* Wait until link l->name reports operstate UP, on s's notifications:
 * 0 then. 1 (no wait) when the link is administratively down or has no
 * carrier: it cannot come up by itself (a veth whose other end is down, a
 * TAP no VMM holds), so there is nothing to wait for. Carrier (IFF_LOWER_UP)
 * is set synchronously when a link goes up; operstate follows when
 * linkwatch has run, which is the instant the link really forwards. */
static int neigh_wait_oper_up(struct neigh_socks *s, struct neigh_link *l, unsigned timeout_ms,
			      struct rt_err *e)
{
	double deadline = neigh_now_ms() + timeout_ms;
	if (neigh_link_get(s, l, e) < 0)
		return -1;
	for (;;) {
		double left = deadline - neigh_now_ms();
		struct pollfd p = {mnl_socket_get_fd(s->nl), POLLIN, 0};
		int n = poll(&p, 1, left > 0 ? (int)left + 1 : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rt_errf(e, errno, "poll: %s", strerror(errno));
		if (n == 0)
			return rt_errf(e, ETIMEDOUT, "%s did not report carrier (operstate %u) within "
				       "%u ms", l->name, l->oper, timeout_ms);
		if (neigh_read(s, neigh_link_cb, l, e) < 0) {
			if (e->errnum == ENODEV)
				return rt_errf(e, ENODEV, "%s: no such link", l->name);
			return -1;
		}
		if (l->seen && l->oper == IF_OPER_UP)
			return 0;
		if (l->seen && (l->flags & (IFF_UP | IFF_LOWER_UP)) != (IFF_UP | IFF_LOWER_UP))
			return 1;
	}
}

int neigh_wait_carrier(const char *netns, const char *dev, unsigned timeout_ms, struct rt_err *e)
{
	struct neigh_socks s;
	struct neigh_link l = {.name = dev};
	if (neigh_socks_open(netns, false, &s, e) < 0)
		return -1;
	int rc = neigh_wait_oper_up(&s, &l, timeout_ms, e);
	neigh_socks_close(&s);
	return rc < 0 ? rt_err_prefix(e, "wait for %s to carry", dev) : 0;
}

/* ---------------- the node's own pending entries ---------------- */

struct neigh_dump {
	int ifindex, family;
	unsigned char dead[256][16];    /* addresses of family (network order) to delete */
	size_t n;
};

static int neigh_entry_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	if (mnl_attr_type_valid(a, NDA_MAX) >= 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int neigh_entry_cb(const struct nlmsghdr *h, void *data)
{
	struct neigh_dump *d = data;
	if (h->nlmsg_type != RTM_NEWNEIGH)
		return MNL_CB_OK;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(h);
	const struct nlattr *tb[NDA_MAX + 1] = {0};
	mnl_attr_parse(h, sizeof(*nd), neigh_entry_attr, tb);
	size_t alen = d->family == AF_INET6 ? 16 : 4;
	if (nd->ndm_family != d->family || nd->ndm_ifindex != d->ifindex || !tb[NDA_DST] ||
	    mnl_attr_get_payload_len(tb[NDA_DST]) != alen ||
	    !(nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)) || d->n >= 256)
		return MNL_CB_OK;
	memcpy(d->dead[d->n++], mnl_attr_get_payload(tb[NDA_DST]), alen);
	return MNL_CB_OK;
}

/* Send an RTM_*NEIGH request and read to its end (ack or NLMSG_DONE). */
static int neigh_request(struct neigh_socks *s, struct nlmsghdr *h, mnl_cb_t cb, void *data,
			 struct rt_err *e)
{
	unsigned seq = h->nlmsg_seq = ++s->seq;
	unsigned portid = mnl_socket_get_portid(s->nl);
	if (mnl_socket_sendto(s->nl, h, h->nlmsg_len) < 0)
		return rt_errf(e, errno, "netlink: %s", strerror(errno));
	char buf[NEIGH_BUF];
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->nl, buf, sizeof(buf));
		if (n < 0)
			return rt_errf(e, errno, "netlink: %s", strerror(errno));
		int rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		/* Another request's answer (the link lookup's, when a
		 * notification already told what it asked): each answer is its
		 * own datagram, so skipping it skips nothing of ours. */
		if (rc < 0 && (errno == ESRCH || errno == EPROTO))
			continue;
		if (rc < 0)
			return errno == ENOENT ? 0 : rt_errf(e, errno, "netlink: %s", strerror(errno));
	}
}

static int neigh_flush_pending(struct neigh_socks *s, int ifindex, int family,
			       size_t *n_deleted, struct rt_err *e)
{
	char buf[NEIGH_BUF];
	struct neigh_dump d = {.ifindex = ifindex, .family = family};
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	h->nlmsg_type = RTM_GETNEIGH;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(h, sizeof(*nd));
	nd->ndm_family = (unsigned char)family;
	if (neigh_request(s, h, neigh_entry_cb, &d, e) < 0)
		return rt_err_prefix(e, "list neighbours");
	for (size_t i = 0; i < d.n; i++) {
		h = mnl_nlmsg_put_header(buf);
		h->nlmsg_type = RTM_DELNEIGH;
		h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nd = mnl_nlmsg_put_extra_header(h, sizeof(*nd));
		nd->ndm_family = (unsigned char)family;
		nd->ndm_ifindex = ifindex;
		mnl_attr_put(h, NDA_DST, family == AF_INET6 ? 16 : 4, d.dead[i]);
		if (neigh_request(s, h, NULL, NULL, e) < 0)   /* gone meanwhile: fine */
			return rt_err_prefix(e, "delete a pending neighbour entry");
	}
	*n_deleted = d.n;
	return 0;
}

/* ---------------- the gratuitous ARP ---------------- */

struct neigh_arp {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[ETH_ALEN], spa[4], tha[ETH_ALEN], tpa[4];
} __attribute__((packed));

static int neigh_garp(struct neigh_socks *s, const struct neigh_link *l, uint32_t ip,
		      struct rt_err *e)
{
	struct neigh_arp a = {.htype = htons(ARPHRD_ETHER), .ptype = htons(ETH_P_IP),
			      .hlen = ETH_ALEN, .plen = 4, .op = htons(ARPOP_REQUEST)};
	uint32_t nip = htonl(ip);
	memcpy(a.sha, l->mac, ETH_ALEN);
	memcpy(a.spa, &nip, 4);
	memcpy(a.tpa, &nip, 4);
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = l->ifindex, .sll_halen = ETH_ALEN};
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (sendto(s->pkt, &a, sizeof(a), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return rt_errf(e, errno, "gratuitous ARP on %s: %s", l->name, strerror(errno));
	return 0;
}

/* ---------------- the unsolicited neighbour advertisement ---------------- */

struct neigh_na {
	struct nd_neighbor_advert na;
	struct nd_opt_hdr opt;          /* target link-layer address */
	uint8_t mac[ETH_ALEN];
} __attribute__((packed));

static int neigh_unsolicited_na(struct neigh_socks *s, const struct neigh_link *l,
				const uint8_t ip6[16], struct rt_err *e)
{
	struct neigh_na m = {0};
	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	memcpy(&m.na.nd_na_target, ip6, 16);
	m.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	m.opt.nd_opt_len = 1;           /* in units of 8 bytes */
	memcpy(m.mac, l->mac, ETH_ALEN);
	/* ND is only believed from the link itself: hop limit 255 (the
	 * kernel computes the ICMPv6 checksum of a raw ICMPv6 socket). */
	int hops = 255;
	struct sockaddr_in6 src = {.sin6_family = AF_INET6};
	memcpy(&src.sin6_addr, ip6, 16);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)l->ifindex};
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	if (setsockopt(s->icmp6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(s->icmp6, IPPROTO_IPV6, IPV6_MULTICAST_IF, &l->ifindex, sizeof(l->ifindex)) < 0 ||
	    bind(s->icmp6, (struct sockaddr *)&src, sizeof(src)) < 0 ||
	    sendto(s->icmp6, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return rt_errf(e, errno, "neighbour advertisement on %s: %s", l->name, strerror(errno));
	return 0;
}

int neigh_announce(const char *netns, const char *dev, uint32_t ip, const uint8_t *ip6,
		   unsigned timeout_ms, struct rt_err *e)
{
	struct neigh_socks s;
	struct neigh_link l = {.name = dev};
	size_t flushed = 0;
	if (neigh_socks_open(netns, true, &s, e) < 0)
		return rt_err_prefix(e, "announce %s in %s", dev, netns);
	int rc = neigh_wait_oper_up(&s, &l, timeout_ms, e);
	if (rc > 0) {           /* down inside the node: nothing to announce */
		neigh_socks_close(&s);
		return 0;
	}
	if (rc == 0)
		rc = neigh_flush_pending(&s, l.ifindex, AF_INET, &flushed, e);
	if (rc == 0 && ip6)
		rc = neigh_flush_pending(&s, l.ifindex, AF_INET6, &flushed, e);
	if (rc == 0 && ip && l.has_mac)
		rc = neigh_garp(&s, &l, ip, e);
	if (rc == 0 && ip6 && l.has_mac)
		rc = neigh_unsolicited_na(&s, &l, ip6, e);
	neigh_socks_close(&s);
	return rc < 0 ? rt_err_prefix(e, "announce %s in %s", dev, netns) : 0;
}
