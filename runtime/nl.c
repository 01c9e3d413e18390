/* nl.c — rtnetlink primitives over libnl-3 / libnl-route-3 (see nl.h).
 *
 * The idea: one long-lived socket per namespace, one request per operation,
 * and errors that say what the kernel said. libnl builds and parses the
 * messages; where a request is a plain RTM_SETLINK / RTM_NEWADDR /
 * RTM_NEWROUTE it is written out here field by field so the code reads as the
 * message it sends.
 *
 * libnl 3.7 drops the kernel's extended ack. We turn NETLINK_EXT_ACK on, hook
 * the socket's error callback, and keep the raw errno and the
 * NLMSGERR_ATTR_MSG text of the last NLMSG_ERROR in the handle; nl_fail()
 * turns them into "context: strerror (kernel: text)". */
#include "runtime/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/rtnl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct nl {
	struct nl_sock *sk;
	dev_t ns_dev;           /* identity of the namespace the socket lives in */
	ino_t ns_ino;
	int kerr;               /* errno of the last failed request, 0 if none */
	char kmsg[256];         /* the kernel's NLMSGERR_ATTR_MSG for it, "" if none */
};

/* ---------------- errors ---------------- */

/* Copy the NLMSGERR_ATTR_MSG of an NLMSG_ERROR message h into buf. The TLVs
 * follow the nlmsgerr, after the echoed request unless the ack is capped. */
static void nl_extack_text(const struct nlmsghdr *h, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	const struct nlmsgerr *err = NLMSG_DATA(h);
	size_t payload = sizeof(*err);
	if (!(h->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > NLMSG_HDRLEN)
		payload += err->msg.nlmsg_len - NLMSG_HDRLEN;
	size_t off = NLMSG_ALIGN(NLMSG_HDRLEN + payload);
	if (off >= h->nlmsg_len)
		return;
	struct nlattr *a = nla_find((struct nlattr *)((char *)h + off), (int)(h->nlmsg_len - off),
				    NLMSGERR_ATTR_MSG);
	if (!a || nla_len(a) <= 0)
		return;
	size_t n = strnlen(nla_data(a), (size_t)nla_len(a));
	if (n >= len)
		n = len - 1;
	memcpy(buf, nla_data(a), n);
	buf[n] = '\0';
}

/* libnl error callback: remember what the kernel said, then let libnl fail
 * the request as usual (NL_STOP). */
static int nl_on_error(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct nl *nl = arg;
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)err - NLMSG_HDRLEN);
	nl->kerr = -err->error;
	nl_extack_text(h, nl->kmsg, sizeof(nl->kmsg));
	return NL_STOP;
}

static void nl_reset(struct nl *nl)
{
	nl->kerr = 0;
	nl->kmsg[0] = '\0';
}

/* The errno behind a failure: the kernel's if it answered, else a best
 * guess from libnl's code (local failures: memory, socket). */
static int nl_errno(const struct nl *nl, int rc)
{
	if (nl->kerr)
		return nl->kerr;
	switch (-rc) {
	case NLE_NOMEM: return ENOMEM;
	case NLE_EXIST: return EEXIST;
	case NLE_OBJ_NOTFOUND: return ENODEV;
	case NLE_NODEV: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_INVAL: return EINVAL;
	case NLE_MSGSIZE: return EMSGSIZE;
	case NLE_AGAIN: return EAGAIN;
	case NLE_BUSY: return EBUSY;
	default: return EIO;
	}
}

/* Fill e as "<context>: <why>[ (kernel: <ext ack>)]" for libnl result rc,
 * and remember the errno in nl->kerr (some libnl calls install their own
 * error callback, so ours did not see the kernel's answer). */
__attribute__((format(printf, 4, 5)))
static int nl_fail(struct nl *nl, struct rt_err *e, int rc, const char *fmt, ...)
{
	char ctx[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	int en = nl_errno(nl, rc);
	const char *why = nl->kerr ? strerror(nl->kerr) : nl_geterror(rc);
	nl->kerr = en;
	if (nl->kmsg[0])
		return rt_errf(e, en, "%s: %s (kernel: %s)", ctx, why, nl->kmsg);
	return rt_errf(e, en, "%s: %s", ctx, why);
}

/* ---------------- handle ---------------- */

static int nl_sock_create(struct nl *nl, struct rt_err *e)
{
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return rt_errf(e, ENOMEM, "netlink socket: out of memory");
	int rc = nl_connect(nl->sk, NETLINK_ROUTE);
	if (rc < 0)
		return nl_fail(nl, e, rc, "netlink socket");
	int fd = nl_socket_get_fd(nl->sk), one = 1;
	/* Ext ack: the kernel's reason in words. Cap ack: do not echo our
	 * request back in every error. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		return rt_errf(e, errno, "netlink socket: extended ack: %s", strerror(errno));
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return rt_errf(e, errno, "netlink socket: cloexec: %s", strerror(errno));
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, nl_on_error, nl);
	return 0;
}

static int nl_ns_identity(struct nl *nl, int netns_fd, struct rt_err *e)
{
	struct stat st;
	int rc = netns_fd >= 0 ? fstat(netns_fd, &st) : stat("/proc/thread-self/ns/net", &st);
	if (rc < 0)
		return rt_errf(e, errno, "netlink socket: identify namespace: %s", strerror(errno));
	nl->ns_dev = st.st_dev;
	nl->ns_ino = st.st_ino;
	return 0;
}

/* Create the socket inside netns_fd: enter, create, come back. Failing to
 * come back would leave this thread acting on the wrong namespace, so that
 * (which cannot happen with a valid saved fd) aborts. */
static int nl_sock_create_in(struct nl *nl, int netns_fd, struct rt_err *e)
{
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return rt_errf(e, errno, "netlink socket: open own namespace: %s", strerror(errno));
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		int en = errno;
		close(home);
		return rt_errf(e, en, "netlink socket: enter namespace: %s", strerror(en));
	}
	int rc = nl_sock_create(nl, e);
	if (setns(home, CLONE_NEWNET) < 0) {
		fprintf(stderr, "aspen: netlink: cannot return to own network namespace: %s\n",
			strerror(errno));
		abort();
	}
	close(home);
	return rc;
}

int nl_open(struct nl **out, int netns_fd, struct rt_err *e)
{
	*out = NULL;
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return rt_errf(e, ENOMEM, "netlink handle: out of memory");
	int rc = nl_ns_identity(nl, netns_fd, e);
	if (rc == 0)
		rc = netns_fd >= 0 ? nl_sock_create_in(nl, netns_fd, e) : nl_sock_create(nl, e);
	if (rc < 0) {
		nl_free(nl);
		return -1;
	}
	*out = nl;
	return 0;
}

void nl_free(struct nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);   /* closes the fd; accepts NULL */
	free(nl);
}

bool nl_in_current_netns(const struct nl *nl)
{
	struct stat st;
	return stat("/proc/thread-self/ns/net", &st) == 0 && st.st_dev == nl->ns_dev &&
	       st.st_ino == nl->ns_ino;
}

/* Send msg (freed here) and wait for the kernel's ack. Returns libnl's code. */
static int nl_request(struct nl *nl, struct nl_msg *msg)
{
	nl_reset(nl);
	int rc = nl_send_sync(nl->sk, msg);
	return rc < 0 ? rc : 0;
}

/* Read the replies to the dump request just sent, handing each to fn. The
 * whole dump is always read so the socket stays in step for the next
 * request. */
static int nl_dump_recv(struct nl *nl, nl_recvmsg_msg_cb_t fn, void *arg)
{
	int rc;
	struct nl_cb *own = nl_socket_get_cb(nl->sk);
	struct nl_cb *cb = nl_cb_clone(own);
	nl_cb_put(own);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	rc = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	return rc < 0 ? rc : 0;
}

/* Send an RTM_GET* dump for family and hand each reply to fn. */
static int nl_dump_request(struct nl *nl, int type, int family, nl_recvmsg_msg_cb_t fn, void *arg)
{
	nl_reset(nl);
	int rc = nl_rtgen_request(nl->sk, type, family, NLM_F_DUMP);
	return rc < 0 ? rc : nl_dump_recv(nl, fn, arg);
}

/* ---------------- batches: many requests, one sendmsg ---------------- */

/* Requests queued in one buffer go to the kernel in one sendmsg; only the
 * last asks for an ack, and the kernel answers the others only when they
 * fail (it goes on with the next request after a failure), so N requests
 * cost one round trip, not N. The sequence numbers are our own (high bit
 * set): libnl checks the replies to its requests against its counter,
 * which these must not advance. A full buffer is sent and the queue goes
 * on; 8 KiB stays below the socket's send buffer, and the error answers
 * of a whole buffer (a few dozen bytes each, the ack capped) below its
 * receive buffer. */
struct nl_batch {
	struct nl *nl;
	char buf[8192];
	size_t len;             /* bytes queued */
	size_t n;               /* requests queued since init: the next one's number */
	int ignore;             /* an errno that counts as success (0: none) */
	int err;                /* errno of the first failure, 0 if none */
	size_t err_at;          /* the number of the request that failed */
};

#define NL_BATCH_SEQ 0x80000000u

static void nl_batch_init(struct nl_batch *b, struct nl *nl, int ignore)
{
	b->nl = nl;
	b->len = b->n = b->err_at = 0;
	b->ignore = ignore;
	b->err = 0;
	nl_reset(nl);
}

/* Note the answer h to one of our requests; true when it is the ack of
 * request seq `last`. */
static bool nl_batch_answer(struct nl_batch *b, const struct nlmsghdr *h, uint32_t last)
{
	if (h->nlmsg_type != NLMSG_ERROR)
		return false;
	int err = -((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	if (err && err != b->ignore && !b->err) {
		b->err = b->nl->kerr = err;
		b->err_at = h->nlmsg_seq & ~NL_BATCH_SEQ;
		nl_extack_text(h, b->nl->kmsg, sizeof(b->nl->kmsg));
	}
	return h->nlmsg_seq == last;
}

/* Send what is queued and read the answers up to the last request's ack.
 * -1 (b->err set) when the socket failed. */
static int nl_batch_flush(struct nl_batch *b)
{
	if (!b->len)
		return 0;
	struct nlmsghdr *last = NULL;
	for (size_t at = 0; at < b->len; at += NLMSG_ALIGN(last->nlmsg_len))
		last = (struct nlmsghdr *)(b->buf + at);
	last->nlmsg_flags |= NLM_F_ACK;
	int fd = nl_socket_get_fd(b->nl->sk);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	size_t len = b->len;
	b->len = 0;
	if (sendto(fd, b->buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len)
		goto fail;
	char rbuf[8192];
	for (bool acked = false; !acked;) {
		ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			acked |= nl_batch_answer(b, h, last->nlmsg_seq);
	}
	return 0;
fail:
	if (!b->err) {
		b->err = b->nl->kerr = errno ? errno : EIO;
		b->err_at = b->n;
	}
	return -1;
}

/* A zeroed request of `payload` bytes after its nlmsghdr (header struct
 * and attributes, each aligned), queued; NULL when sending the full queue
 * first failed. */
static struct nlmsghdr *nl_batch_add(struct nl_batch *b, int type, int flags, size_t payload)
{
	size_t need = NLMSG_ALIGN(NLMSG_HDRLEN + payload);
	if (b->len + need > sizeof(b->buf) && nl_batch_flush(b) < 0)
		return NULL;
	struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + b->len);
	memset(h, 0, need);
	h->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload);
	h->nlmsg_type = (uint16_t)type;
	h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	h->nlmsg_seq = NL_BATCH_SEQ | (uint32_t)b->n++;
	h->nlmsg_pid = nl_socket_get_local_port(b->nl->sk);
	b->len += need;
	return h;
}

/* Send the rest; 0 when no request failed (but with b->ignore). */
static int nl_batch_done(struct nl_batch *b)
{
	nl_batch_flush(b);
	return b->err ? -1 : 0;
}

/* One attribute at `at` (room reserved); returns its aligned size. */
static size_t nl_attr_put(char *at, int type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)at;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	a->nla_type = (uint16_t)type;
	memcpy(at + NLA_HDRLEN, data, len);
	return NLA_ALIGN(NLA_HDRLEN + len);
}

static int nl_check_name(const char *what, const char *name, struct rt_err *e)
{
	if (!name || !*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
	    strpbrk(name, " \t\n:"))
		return rt_errf(e, EINVAL, "%s: bad interface name \"%s\"", what,
			       name ? name : "(null)");
	return 0;
}

/* ---------------- links: reading ---------------- */

/* The VXLAN options libnl parsed from the link's IFLA_INFO_DATA. */
static void nl_vxlan_info_from(struct rtnl_link *l, struct nl_link_info *out)
{
	uint32_t v;
	struct nl_addr *a = NULL;
	if (rtnl_link_vxlan_get_id(l, &v) == 0)
		out->vni = v;
	if (rtnl_link_vxlan_get_port(l, &v) == 0)
		out->vx_port = v;
	if (rtnl_link_vxlan_get_local(l, &a) == 0 && a) {
		if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
			memcpy(&out->vx_local, nl_addr_get_binary_addr(a), 4);
		nl_addr_put(a);
	}
	out->vx_learning = rtnl_link_vxlan_get_learning(l) > 0;
}

static void nl_info_from(struct rtnl_link *l, struct nl_link_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	const char *s = rtnl_link_get_name(l);
	snprintf(out->name, sizeof(out->name), "%s", s ? s : "");
	s = rtnl_link_get_type(l);
	snprintf(out->kind, sizeof(out->kind), "%s", s ? s : "");
	out->master = rtnl_link_get_master(l);
	out->mtu = rtnl_link_get_mtu(l);
	out->group = rtnl_link_get_group(l);
	out->up = (rtnl_link_get_flags(l) & IFF_UP) != 0;
	struct nl_addr *a = rtnl_link_get_addr(l);
	if (a && nl_addr_get_len(a) == sizeof(out->mac)) {
		memcpy(out->mac, nl_addr_get_binary_addr(a), sizeof(out->mac));
		out->has_mac = true;
	}
	s = rtnl_link_get_ifalias(l);
	snprintf(out->alias, sizeof(out->alias), "%s", s ? s : "");
	if (strcmp(out->kind, "vxlan") == 0)
		nl_vxlan_info_from(l, out);
}

int nl_link_find(struct nl *nl, const char *name, struct nl_link_info *out, struct rt_err *e)
{
	nl_reset(nl);
	if (nl_check_name("find link", name, e) < 0)
		return -1;
	struct rtnl_link *l = NULL;
	int rc = rtnl_link_get_kernel(nl->sk, 0, name, &l);
	if (rc < 0)
		return nl_fail(nl, e, rc, "find link %s", name);
	nl_info_from(l, out);
	rtnl_link_put(l);
	return 0;
}

int nl_link_dump(struct nl *nl, nl_link_fn fn, void *arg, struct rt_err *e)
{
	struct nl_cache *cache = NULL;
	nl_reset(nl);
	int rc = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return nl_fail(nl, e, rc, "list links");
	struct nl_link_info info;
	int ret = 0;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		nl_info_from((struct rtnl_link *)o, &info);
		int r = fn(&info, arg, e);
		if (r < 0) {
			if (e && !e->msg[0])
				rt_errf(e, 0, "list links: callback failed on %s", info.name);
			ret = -1;
			break;
		}
		if (r > 0)
			break;
	}
	nl_cache_free(cache);
	return ret;
}

/* ---------------- links: creating ---------------- */

static int nl_setlink(struct nl *nl, int ifindex, const char *name, const struct nl_link_conf *c);
static int nl_dellink(struct nl *nl, int ifindex, const char *name);

/* The kernel ignores IFLA_IFALIAS on RTM_NEWLINK: mark the link we just
 * created with a second request, and remove it if that fails. A crash
 * between the two requests leaves a link without alias; the MAC the
 * creating request set (mark_mac) still says whose it is. */
static int nl_mark_new(struct nl *nl, const char *what, const char *name, const char *alias,
		       struct rt_err *e)
{
	if (!alias)
		return 0;
	struct nl_link_conf c = { .alias = alias };
	int rc = nl_setlink(nl, 0, name, &c);
	if (rc == 0)
		return 0;
	nl_fail(nl, e, rc, "%s %s: set alias", what, name);
	nl_dellink(nl, 0, name);
	return -1;
}

/* A link of a kind with no options of its own (bridge, ifb): one
 * RTM_NEWLINK with name, MAC, MTU and state, then the alias. */
static int nl_plain_add(struct nl *nl, const char *kind, const struct nl_bridge_opts *o,
			struct rt_err *e)
{
	char what[32];
	snprintf(what, sizeof(what), "add %s", kind);
	if (nl_check_name(what, o->name, e) < 0)
		return -1;
	struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return rt_errf(e, ENOMEM, "%s %s: out of memory", what, o->name);
	int rc = rtnl_link_set_type(l, kind);
	if (rc == 0) {
		rtnl_link_set_name(l, o->name);
		if (o->mtu)
			rtnl_link_set_mtu(l, o->mtu);
		if (o->up)
			rtnl_link_set_flags(l, IFF_UP);
		if (o->mac) {
			struct nl_addr *mac = nl_addr_build(AF_LLC, o->mac, 6);
			if (!mac)
				rc = -NLE_NOMEM;
			else
				rtnl_link_set_addr(l, mac);
			nl_addr_put(mac);
		}
		nl_reset(nl);
		if (rc == 0)
			rc = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	rtnl_link_put(l);
	if (rc < 0)
		return nl_fail(nl, e, rc, "%s %s", what, o->name);
	return nl_mark_new(nl, what, o->name, o->alias, e);
}

int nl_bridge_add(struct nl *nl, const struct nl_bridge_opts *o, struct rt_err *e)
{
	return nl_plain_add(nl, "bridge", o, e);
}

int nl_ifb_add(struct nl *nl, const struct nl_bridge_opts *o, struct rt_err *e)
{
	return nl_plain_add(nl, "ifb", o, e);
}

int nl_vxlan_add(struct nl *nl, const struct nl_vxlan_opts *o, struct rt_err *e)
{
	if (nl_check_name("add vxlan", o->name, e) < 0)
		return -1;
	struct rtnl_link *l = rtnl_link_vxlan_alloc();
	if (!l)
		return rt_errf(e, ENOMEM, "add vxlan %s: out of memory", o->name);
	rtnl_link_set_name(l, o->name);
	struct nl_addr *local = nl_addr_build(AF_INET, &o->local, 4);
	struct nl_addr *mac = o->mac ? nl_addr_build(AF_LLC, o->mac, 6) : NULL;
	int rc = !local || (o->mac && !mac) ? -NLE_NOMEM : 0;
	if (rc == 0)
		rc = rtnl_link_vxlan_set_id(l, o->vni);
	if (rc == 0)
		rc = rtnl_link_vxlan_set_local(l, local);
	if (rc == 0)
		rc = rtnl_link_vxlan_set_port(l, o->port);
	if (rc == 0)
		rc = rtnl_link_vxlan_disable_learning(l);
	if (rc == 0) {
		if (mac)
			rtnl_link_set_addr(l, mac);
		if (o->mtu)
			rtnl_link_set_mtu(l, o->mtu);
		if (o->master)
			rtnl_link_set_master(l, o->master);
		if (o->up)
			rtnl_link_set_flags(l, IFF_UP);
		nl_reset(nl);
		rc = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	nl_addr_put(local);
	nl_addr_put(mac);
	rtnl_link_put(l);
	if (rc < 0)
		return nl_fail(nl, e, rc, "add vxlan %s (VNI %u, port %u)", o->name, o->vni, o->port);
	return nl_mark_new(nl, "add vxlan", o->name, o->alias, e);
}

/* Fill the peer half of a veth: name, namespace, MAC, MTU. Not its state:
 * the kernel opens the peer before the pair is joined and answers ENOTCONN. */
static int nl_veth_peer(struct rtnl_link *peer, const struct nl_veth_opts *o)
{
	rtnl_link_set_name(peer, o->peer_name);
	if (o->peer_netns_fd >= 0)
		rtnl_link_set_ns_fd(peer, o->peer_netns_fd);
	if (o->mtu)
		rtnl_link_set_mtu(peer, o->mtu);
	if (o->peer_mac) {
		struct nl_addr *mac = nl_addr_build(AF_LLC, o->peer_mac, 6);
		if (!mac)
			return -NLE_NOMEM;
		rtnl_link_set_addr(peer, mac);
		nl_addr_put(mac);
	}
	return 0;
}

int nl_veth_add(struct nl *nl, const struct nl_veth_opts *o, struct rt_err *e)
{
	if (nl_check_name("add veth", o->name, e) < 0 ||
	    nl_check_name("add veth peer", o->peer_name, e) < 0)
		return -1;
	struct nl *pnl = o->peer_netns_fd >= 0 ? o->peer_nl : nl;
	if (o->peer_up && !pnl)
		return rt_errf(e, EINVAL, "add veth %s: bringing peer %s up needs a handle in its "
			       "namespace (peer_nl)", o->name, o->peer_name);
	struct rtnl_link *l = rtnl_link_veth_alloc();
	if (!l)
		return rt_errf(e, ENOMEM, "add veth %s: out of memory", o->name);
	rtnl_link_set_name(l, o->name);
	if (o->alias)
		rtnl_link_set_ifalias(l, o->alias);
	if (o->mac) {
		struct nl_addr *mac = nl_addr_build(AF_LLC, o->mac, 6);
		if (!mac) {
			rtnl_link_veth_release(l);
			return rt_errf(e, ENOMEM, "add veth %s: out of memory", o->name);
		}
		rtnl_link_set_addr(l, mac);
		nl_addr_put(mac);
	}
	if (o->master)
		rtnl_link_set_master(l, o->master);
	if (o->mtu)
		rtnl_link_set_mtu(l, o->mtu);
	if (o->up)
		rtnl_link_set_flags(l, IFF_UP);
	struct rtnl_link *peer = rtnl_link_veth_get_peer(l);
	int rc = nl_veth_peer(peer, o);
	rtnl_link_put(peer);
	if (rc == 0) {
		nl_reset(nl);
		rc = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	}
	rtnl_link_veth_release(l);
	if (rc < 0)
		return nl_fail(nl, e, rc, "add veth %s (peer %s)", o->name, o->peer_name);
	if (nl_mark_new(nl, "add veth", o->name, o->alias, e) < 0)
		return -1;
	if (!o->peer_up)
		return 0;
	struct nl_link_conf up = { .set_up = true, .up = true };
	rc = nl_setlink(pnl, 0, o->peer_name, &up);
	if (rc == 0)
		return 0;
	nl_fail(pnl, e, rc, "add veth %s: set peer %s up", o->name, o->peer_name);
	nl_dellink(nl, 0, o->name);
	return -1;
}

/* ---------------- links: changing ---------------- */

/* RTM_SETLINK on ifindex, or on name when ifindex is 0 (the kernel resolves
 * IFLA_IFNAME itself: no lookup round trip). */
static int nl_setlink(struct nl *nl, int ifindex, const char *name, const struct nl_link_conf *c)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	if (c->set_up) {
		ifi.ifi_change = IFF_UP;
		ifi.ifi_flags = c->up ? IFF_UP : 0;
	}
	struct nl_msg *m = nlmsg_alloc_simple(RTM_SETLINK, 0);
	if (!m)
		return -NLE_NOMEM;
	int rc = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rc == 0 && !ifindex)
		rc = nla_put_string(m, IFLA_IFNAME, name);
	if (rc == 0 && c->mtu)
		rc = nla_put_u32(m, IFLA_MTU, c->mtu);
	if (rc == 0 && c->mac)
		rc = nla_put(m, IFLA_ADDRESS, 6, c->mac);
	if (rc == 0 && c->set_master)
		rc = nla_put_u32(m, IFLA_MASTER, (uint32_t)c->master);
	/* The alias goes without its NUL, as the kernel stores len bytes. */
	if (rc == 0 && c->alias)
		rc = nla_put(m, IFLA_IFALIAS, (int)strlen(c->alias), c->alias);
	if (rc < 0) {
		nlmsg_free(m);
		return rc;
	}
	return nl_request(nl, m);
}

static int nl_configure_as(struct nl *nl, const char *what, const char *name,
			   const struct nl_link_conf *c, struct rt_err *e)
{
	nl_reset(nl);
	if (nl_check_name(what, name, e) < 0)
		return -1;
	if (c->alias && strlen(c->alias) > ASPEN_MARK_MAX)
		return rt_errf(e, EINVAL, "%s %s: alias longer than %d bytes", what, name,
			       ASPEN_MARK_MAX);
	if (c->set_master && c->master < 0)
		return rt_errf(e, EINVAL, "%s %s: bad master ifindex %d", what, name, c->master);
	int rc = nl_setlink(nl, 0, name, c);
	if (rc < 0)
		return nl_fail(nl, e, rc, "%s %s", what, name);
	return 0;
}

int nl_link_configure(struct nl *nl, const char *name, const struct nl_link_conf *c,
		      struct rt_err *e)
{
	return nl_configure_as(nl, "configure link", name, c, e);
}

int nl_link_set_up(struct nl *nl, const char *name, bool up, struct rt_err *e)
{
	struct nl_link_conf c = { .set_up = true, .up = up };
	return nl_configure_as(nl, up ? "set up" : "set down", name, &c, e);
}

int nl_link_set_mtu(struct nl *nl, const char *name, unsigned mtu, struct rt_err *e)
{
	if (!mtu)
		return rt_errf(e, EINVAL, "set mtu of %s: mtu 0", name);
	struct nl_link_conf c = { .mtu = mtu };
	char what[40];
	snprintf(what, sizeof(what), "set mtu %u on", mtu);
	return nl_configure_as(nl, what, name, &c, e);
}

int nl_link_set_master(struct nl *nl, const char *name, int master_ifindex, struct rt_err *e)
{
	struct nl_link_conf c = { .set_master = true, .master = master_ifindex };
	return nl_configure_as(nl, master_ifindex ? "set master of" : "detach", name, &c, e);
}

int nl_link_set_alias(struct nl *nl, const char *name, const char *alias, struct rt_err *e)
{
	if (!alias)
		return rt_errf(e, EINVAL, "set alias of %s: no alias", name);
	struct nl_link_conf c = { .alias = alias };
	return nl_configure_as(nl, "set alias of", name, &c, e);
}

/* ---------------- links: deleting ---------------- */

static int nl_dellink(struct nl *nl, int ifindex, const char *name)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *m = nlmsg_alloc_simple(RTM_DELLINK, 0);
	if (!m)
		return -NLE_NOMEM;
	int rc = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rc == 0 && !ifindex)
		rc = nla_put_string(m, IFLA_IFNAME, name);
	if (rc < 0) {
		nlmsg_free(m);
		return rc;
	}
	return nl_request(nl, m);
}

int nl_link_del(struct nl *nl, const char *name, struct rt_err *e)
{
	if (nl_check_name("delete link", name, e) < 0)
		return -1;
	int rc = nl_dellink(nl, 0, name);
	if (rc < 0 && nl->kerr != ENODEV)
		return nl_fail(nl, e, rc, "delete link %s", name);
	return 0;
}

int nl_link_check_mark(const struct nl_link_info *l, const char *mark, struct rt_err *e)
{
	if (!mark || !*mark)
		return rt_errf(e, EINVAL, "delete link %s: no ownership mark given", l->name);
	if (mark_link_owned(mark, l->alias, l->has_mac ? l->mac : NULL))
		return 0;
	if (!l->alias[0])
		return rt_errf(e, EPERM, "delete link %s: not created by aspen (no alias; "
			       "expected \"%s\"): leaving it alone", l->name, mark);
	return rt_errf(e, EPERM, "delete link %s: owned by \"%s\", not \"%s\": leaving it "
		       "alone", l->name, l->alias, mark);
}

int nl_link_del_owned(struct nl *nl, const char *name, const char *mark, struct rt_err *e)
{
	if (!mark || !*mark)
		return rt_errf(e, EINVAL, "delete link %s: no ownership mark given", name);
	struct nl_link_info l;
	if (nl_link_find(nl, name, &l, e) < 0)
		return nl->kerr == ENODEV ? 0 : -1;
	if (nl_link_check_mark(&l, mark, e) < 0)
		return -1;
	/* By ifindex: the object we checked, not whatever holds the name now. */
	int rc = nl_dellink(nl, l.ifindex, NULL);
	if (rc < 0 && nl->kerr != ENODEV)
		return nl_fail(nl, e, rc, "delete link %s", name);
	return 0;
}

/* RTM_SETLINK IFLA_GROUP on ifindex, or RTM_DELLINK of every link in group
 * (ifindex 0). Returns libnl's code. */
static int nl_group_msg(struct nl *nl, int type, int ifindex, uint32_t group)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct nl_msg *m = nlmsg_alloc_simple(type, 0);
	if (!m)
		return -NLE_NOMEM;
	int rc = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nla_put_u32(m, IFLA_GROUP, group);
	if (rc < 0) {
		nlmsg_free(m);
		return rc;
	}
	return nl_request(nl, m);
}

struct nl_group_walk {
	uint32_t group;
	const int *ifindex;
	size_t n;
	bool foreign;           /* a link not in ifindex[] is in the group */
};

static int nl_group_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct nl_group_walk *w = arg;
	(void)e;
	if (l->group != w->group)
		return 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->ifindex[i] == l->ifindex)
			return 0;
	w->foreign = true;
	return 1;
}

/* RTM_SETLINK IFLA_GROUP of every ifindex, in one batch (nl_batch):
 * tagging 100 links is one round trip, not 100 (2-7 ms of system calls at
 * N = 100 on a loaded machine). 0 when every link carries the group or is
 * gone (ENODEV); -1 otherwise. */
static int nl_group_tag(struct nl *nl, const int *ifindex, size_t n, uint32_t group)
{
	enum { PAY = NLMSG_ALIGN(sizeof(struct ifinfomsg)) + NLA_ALIGN(NLA_HDRLEN + sizeof(uint32_t)) };
	struct nl_batch b;
	nl_batch_init(&b, nl, ENODEV);
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *h = nl_batch_add(&b, RTM_SETLINK, 0, PAY);
		if (!h)
			break;
		struct ifinfomsg *ifi = NLMSG_DATA(h);
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex[i];
		nl_attr_put((char *)ifi + NLMSG_ALIGN(sizeof(*ifi)), IFLA_GROUP, &group, sizeof(group));
	}
	return nl_batch_done(&b);
}

/* Tag every link of the batch with one fresh group, check that the group
 * holds nothing else, delete it. 0 when the batch is gone; -1 when the group
 * could not be used (the caller deletes one by one). */
static int nl_del_by_group(struct nl *nl, const int *ifindex, size_t n)
{
	uint32_t group;
	if (getrandom(&group, sizeof(group), GRND_NONBLOCK) != sizeof(group))
		group = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	group = (group & 0x3fffffffu) | 0x40000000u;    /* far from 0 and small numbers */
	if (nl_group_tag(nl, ifindex, n, group) < 0)
		return -1;
	struct nl_group_walk w = { .group = group, .ifindex = ifindex, .n = n };
	struct rt_err ignore;
	if (nl_link_dump(nl, nl_group_seen, &w, &ignore) < 0 || w.foreign)
		return -1;
	/* ENODEV: nothing left in the group, every link of the batch went
	 * already (a veth with its namespace, say). */
	if (nl_group_msg(nl, RTM_DELLINK, 0, group) < 0 && nl->kerr != ENODEV)
		return -1;
	return 0;
}

int nl_link_del_many(struct nl *nl, const int *ifindex, size_t n, struct rt_err *e)
{
	if (n > 1 && nl_del_by_group(nl, ifindex, n) == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int rc = nl_dellink(nl, ifindex[i], NULL);
		if (rc < 0 && nl->kerr != ENODEV)
			return nl_fail(nl, e, rc, "delete link ifindex %d", ifindex[i]);
	}
	return 0;
}

struct nl_gone_walk {
	const char *const *names;
	size_t n;
	const char *left;       /* one of names still present, or NULL */
};

static int nl_gone_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct nl_gone_walk *w = arg;
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(l->name, w->names[i]) == 0) {
			w->left = w->names[i];
			return 1;
		}
	return 0;
}

static double nl_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int nl_link_wait_gone(struct nl *nl, const char *const *names, size_t n, unsigned timeout_ms,
		      struct rt_err *e)
{
	double deadline = nl_now_ms() + timeout_ms;
	for (;;) {
		struct nl_gone_walk w = { .names = names, .n = n };
		if (nl_link_dump(nl, nl_gone_seen, &w, e) < 0)
			return rt_err_prefix(e, "wait for links to go");
		if (!w.left)
			return 0;
		if (nl_now_ms() >= deadline)
			return rt_errf(e, ETIMEDOUT, "wait for links to go: %s still there after "
				       "%u ms", w.left, timeout_ms);
		usleep(2000);
	}
}

/* ---------------- VXLAN forwarding table ---------------- */

struct nl_fdb_walk {
	int ifindex;
	nl_fdb_fn fn;
	void *arg;
};

static int nl_fdb_seen(struct nl_msg *msg, void *arg)
{
	struct nl_fdb_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[NDA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(struct ndmsg), tb, NDA_MAX,
							  NULL) < 0)
		return NL_OK;
	const struct ndmsg *nd = nlmsg_data(h);
	/* The kernel filters by port already; a kernel that did not, and the
	 * bridge's own entries for the port (NTF_MASTER), are left out here. */
	if (nd->ndm_family != AF_BRIDGE || nd->ndm_ifindex != w->ifindex ||
	    !(nd->ndm_flags & NTF_SELF) || !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6 ||
	    !tb[NDA_DST] || nla_len(tb[NDA_DST]) != 4)
		return NL_OK;
	struct nl_fdb f;
	memcpy(f.mac, nla_data(tb[NDA_LLADDR]), 6);
	memcpy(&f.dst, nla_data(tb[NDA_DST]), 4);
	w->fn(&f, w->arg);
	return NL_OK;
}

int nl_fdb_dump(struct nl *nl, int ifindex, nl_fdb_fn fn, void *arg, struct rt_err *e)
{
	/* An ifinfomsg header, as `bridge fdb show dev X` sends: the kernel
	 * (without strict checking) then dumps only port ifi_index. */
	struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = ifindex};
	struct nl_fdb_walk w = {ifindex, fn, arg};
	nl_reset(nl);
	struct nl_msg *m = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP);
	if (!m)
		return rt_errf(e, ENOMEM, "list fdb of ifindex %d: out of memory", ifindex);
	int rc = nlmsg_append(m, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nl_send_auto(nl->sk, m);
	nlmsg_free(m);
	if (rc >= 0)
		rc = nl_dump_recv(nl, nl_fdb_seen, &w);
	if (rc < 0)
		return nl_fail(nl, e, rc, "list fdb of ifindex %d", ifindex);
	return 0;
}

static bool nl_mac_zero(const unsigned char mac[6])
{
	static const unsigned char zero[6];
	return memcmp(mac, zero, 6) == 0;
}

int nl_fdb_set(struct nl *nl, int ifindex, const struct nl_fdb *del, size_t n_del,
	       const struct nl_fdb *add, size_t n_add, struct rt_err *e)
{
	enum {
		PAY = NLMSG_ALIGN(sizeof(struct ndmsg)) + NLA_ALIGN(NLA_HDRLEN + 6) +
		      NLA_ALIGN(NLA_HDRLEN + 4),
	};
	struct nl_batch b;
	/* Deleting an entry that is not there answers ENOENT; adding never
	 * does. */
	nl_batch_init(&b, nl, ENOENT);
	for (size_t i = 0; i < n_del + n_add; i++) {
		bool adding = i >= n_del;
		const struct nl_fdb *f = adding ? &add[i - n_del] : &del[i];
		int flags = !adding ? 0 : NLM_F_CREATE |
			    (nl_mac_zero(f->mac) ? NLM_F_APPEND : NLM_F_REPLACE);
		struct nlmsghdr *h = nl_batch_add(&b, adding ? RTM_NEWNEIGH : RTM_DELNEIGH, flags, PAY);
		if (!h)
			break;
		struct ndmsg *nd = NLMSG_DATA(h);
		nd->ndm_family = AF_BRIDGE;
		nd->ndm_ifindex = ifindex;
		nd->ndm_flags = NTF_SELF;
		nd->ndm_state = NUD_NOARP | NUD_PERMANENT;
		char *at = (char *)nd + NLMSG_ALIGN(sizeof(*nd));
		at += nl_attr_put(at, NDA_LLADDR, f->mac, 6);
		nl_attr_put(at, NDA_DST, &f->dst, 4);
	}
	if (nl_batch_done(&b) == 0)
		return 0;
	char mac[18] = "?", dst[INET_ADDRSTRLEN] = "?";
	bool adding = b.err_at >= n_del;
	if (b.err_at < n_del + n_add) {
		const struct nl_fdb *f = adding ? &add[b.err_at - n_del] : &del[b.err_at];
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", f->mac[0], f->mac[1],
			 f->mac[2], f->mac[3], f->mac[4], f->mac[5]);
		inet_ntop(AF_INET, &f->dst, dst, sizeof(dst));
	}
	return nl_fail(nl, e, -NLE_FAILURE, "%s fdb entry %s dst %s on ifindex %d",
		       adding ? "add" : "delete", mac, dst, ifindex);
}

/* ---------------- addresses (IPv4 and IPv6) ---------------- */

int nl_addr4_parse(const char *cidr, struct nl_addr4 *out, struct rt_err *e)
{
	struct nl_ipaddr a;
	if (nl_ipaddr_parse(cidr, &a, e) < 0 || a.family != AF_INET)
		return a.family == AF_INET6 ? rt_errf(e, EINVAL, "bad IPv4 prefix \"%s\" (want "
						      "a.b.c.d/len)", cidr) : -1;
	memcpy(&out->addr, a.addr, 4);
	out->prefixlen = a.prefixlen;
	return 0;
}

/* The family is the text's: a ':' means IPv6. */
int nl_ipaddr_parse(const char *cidr, struct nl_ipaddr *out, struct rt_err *e)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = cidr ? strchr(cidr, '/') : NULL;
	memset(out, 0, sizeof(*out));
	out->family = cidr && strchr(cidr, ':') ? AF_INET6 : AF_INET;
	unsigned max = out->family == AF_INET6 ? 128 : 32;
	const char *want = out->family == AF_INET6 ? "x:x::x/len" : "a.b.c.d/len";
	if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
		return rt_errf(e, EINVAL, "bad IP prefix \"%s\" (want %s)", cidr ? cidr : "(null)",
			       want);
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	char *end;
	errno = 0;
	unsigned long len = strtoul(slash + 1, &end, 10);
	if (inet_pton(out->family, ip, out->addr) != 1 || errno || end == slash + 1 || *end ||
	    len > max)
		return rt_errf(e, EINVAL, "bad IP prefix \"%s\" (want %s)", cidr, want);
	out->prefixlen = (unsigned)len;
	return 0;
}

static size_t nl_af_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* RTM_NEWADDR / RTM_DELADDR for a on ifindex. An IPv6 address is added
 * with IFA_F_NODAD: aspen assigns every address itself and validation
 * makes them unique per network, so duplicate address detection could
 * only delay it — a tentative address cannot be bound or answer for
 * ~1 s (dad_transmits × retrans_time) after apply returns. */
static int nl_addr_msg(struct nl *nl, int type, int flags, int ifindex, const struct nl_ipaddr *a)
{
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char)a->family, .ifa_prefixlen = (unsigned char)a->prefixlen,
		.ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)ifindex,
		.ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0,
	};
	int alen = (int)nl_af_len(a->family);
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);
	if (!m)
		return -NLE_NOMEM;
	int rc = nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO);
	if (rc == 0 && a->family == AF_INET)
		rc = nla_put(m, IFA_LOCAL, alen, a->addr);
	if (rc == 0)
		rc = nla_put(m, IFA_ADDRESS, alen, a->addr);
	if (rc == 0 && a->family == AF_INET && type == RTM_NEWADDR && a->prefixlen < 31) {
		uint32_t addr, mask = a->prefixlen ? htonl(~0u << (32 - a->prefixlen)) : 0;
		memcpy(&addr, a->addr, 4);
		uint32_t brd = addr | ~mask;
		rc = nla_put(m, IFA_BROADCAST, 4, &brd);
	}
	if (rc < 0) {
		nlmsg_free(m);
		return rc;
	}
	return nl_request(nl, m);
}

int nl_addr_add_excl(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e)
{
	struct nl_ipaddr a;
	nl_reset(nl);
	if (nl_ipaddr_parse(cidr, &a, e) < 0)
		return rt_err_prefix(e, "add address");
	int rc = nl_addr_msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, &a);
	if (rc < 0)
		return nl_fail(nl, e, rc, "add address %s to ifindex %d", cidr, ifindex);
	return 0;
}

int nl_addr_add(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e)
{
	/* EEXIST comes only for the same local address on the same link
	 * (IPv4: with the same prefix length): exactly what is wanted. */
	if (nl_addr_add_excl(nl, ifindex, cidr, e) < 0)
		return nl->kerr == EEXIST ? 0 : -1;
	return 0;
}

int nl_addr_del(struct nl *nl, int ifindex, const char *cidr, struct rt_err *e)
{
	struct nl_ipaddr a;
	if (nl_ipaddr_parse(cidr, &a, e) < 0)
		return rt_err_prefix(e, "delete address");
	int rc = nl_addr_msg(nl, RTM_DELADDR, 0, ifindex, &a);
	if (rc < 0 && nl->kerr != EADDRNOTAVAIL && nl->kerr != ENODEV)
		return nl_fail(nl, e, rc, "delete address %s from ifindex %d", cidr, ifindex);
	return 0;
}

struct nl_addr_walk {
	int family;
	nl_ipaddr_fn fn;
	void *arg;
};

static int nl_addr_seen(struct nl_msg *msg, void *arg)
{
	struct nl_addr_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWADDR || nlmsg_parse(h, sizeof(struct ifaddrmsg), tb, IFA_MAX,
							 NULL) < 0)
		return NL_OK;
	const struct ifaddrmsg *ifa = nlmsg_data(h);
	struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    (w->family != AF_UNSPEC && ifa->ifa_family != w->family) || !a ||
	    nla_len(a) != (int)nl_af_len(ifa->ifa_family))
		return NL_OK;
	struct nl_ipaddr v = { .family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen };
	memcpy(v.addr, nla_data(a), nl_af_len(v.family));
	w->fn((int)ifa->ifa_index, &v, w->arg);
	return NL_OK;
}

int nl_ipaddr_dump(struct nl *nl, int family, nl_ipaddr_fn fn, void *arg, struct rt_err *e)
{
	struct nl_addr_walk w = { family, fn, arg };
	int rc = nl_dump_request(nl, RTM_GETADDR, family, nl_addr_seen, &w);
	if (rc < 0)
		return nl_fail(nl, e, rc, "list addresses");
	return 0;
}

struct nl_addr_list {
	int ifindex;
	struct nl_ipaddr *out;
	size_t cap, n;
};

static void nl_addr_listed(int ifindex, const struct nl_ipaddr *a, void *arg)
{
	struct nl_addr_list *l = arg;
	if (ifindex != l->ifindex)
		return;
	if (l->n < l->cap)
		l->out[l->n] = *a;
	l->n++;
}

int nl_addr_list(struct nl *nl, int ifindex, int family, struct nl_ipaddr *out, size_t cap,
		 size_t *n, struct rt_err *e)
{
	struct nl_addr_list l = { .ifindex = ifindex, .out = out, .cap = cap };
	if (nl_ipaddr_dump(nl, family, nl_addr_listed, &l, e) < 0)
		return rt_err_prefix(e, "ifindex %d", ifindex);
	*n = l.n;
	return 0;
}

/* ---------------- default routes (IPv4 and IPv6) ---------------- */

static int nl_route_msg(struct nl *nl, int type, int flags, const struct nl_route_def *r)
{
	struct rtmsg rtm = {
		.rtm_family = (unsigned char)r->family, .rtm_dst_len = 0, .rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE,
		.rtm_type = RTN_UNICAST,
	};
	struct nl_msg *m = nlmsg_alloc_simple(type, flags);
	if (!m)
		return -NLE_NOMEM;
	int rc = nlmsg_append(m, &rtm, sizeof(rtm), NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nla_put(m, RTA_GATEWAY, (int)nl_af_len(r->family), r->gateway);
	if (rc == 0)
		rc = nla_put_u32(m, RTA_OIF, (uint32_t)r->ifindex);
	if (rc < 0) {
		nlmsg_free(m);
		return rc;
	}
	return nl_request(nl, m);
}

struct nl_route_walk {
	struct nl_route_def r;
	bool found;
};

static int nl_route_seen(struct nl_msg *msg, void *arg)
{
	struct nl_route_walk *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	if (w->found || h->nlmsg_type != RTM_NEWROUTE ||
	    nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX, NULL) < 0)
		return NL_OK;
	const struct rtmsg *rtm = nlmsg_data(h);
	uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != w->r.family || rtm->rtm_dst_len != 0 || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST)
		return NL_OK;
	size_t alen = nl_af_len(w->r.family);
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == (int)alen)
		memcpy(w->r.gateway, nla_data(tb[RTA_GATEWAY]), alen);
	if (tb[RTA_OIF])
		w->r.ifindex = (int)nla_get_u32(tb[RTA_OIF]);
	w->found = true;
	return NL_OK;
}

int nl_route_default_get(struct nl *nl, int family, struct nl_route_def *out, struct rt_err *e)
{
	struct nl_route_walk w = { .r = { .family = family }, .found = false };
	int rc = nl_dump_request(nl, RTM_GETROUTE, family, nl_route_seen, &w);
	if (rc < 0)
		return nl_fail(nl, e, rc, "read default route");
	if (!w.found)
		return rt_errf(e, ENOENT, "read default route: none");
	*out = w.r;
	return 0;
}

/* r from a gateway's text: a ':' means IPv6. */
static int nl_route_def_parse(const char *gateway, int ifindex, struct nl_route_def *r)
{
	memset(r, 0, sizeof(*r));
	r->ifindex = ifindex;
	r->family = gateway && strchr(gateway, ':') ? AF_INET6 : AF_INET;
	return gateway && inet_pton(r->family, gateway, r->gateway) == 1 ? 0 : -1;
}

int nl_route_default_add(struct nl *nl, const char *gateway, int ifindex, struct rt_err *e)
{
	struct nl_route_def r;
	if (nl_route_def_parse(gateway, ifindex, &r) < 0)
		return rt_errf(e, EINVAL, "add default route: bad gateway \"%s\"",
			       gateway ? gateway : "(null)");
	nl_reset(nl);
	int rc = nl_route_msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r);
	if (rc == 0)
		return 0;
	if (nl->kerr != EEXIST)
		return nl_fail(nl, e, rc, "add default route via %s dev %d", gateway, ifindex);
	struct nl_route_def cur;
	if (nl_route_default_get(nl, r.family, &cur, e) < 0)
		return rt_err_prefix(e, "add default route via %s dev %d", gateway, ifindex);
	if (memcmp(cur.gateway, r.gateway, sizeof(r.gateway)) == 0 && cur.ifindex == ifindex)
		return 0;
	char have[INET6_ADDRSTRLEN];
	inet_ntop(r.family, cur.gateway, have, sizeof(have));
	return rt_errf(e, EEXIST, "add default route via %s dev %d: another default route "
		       "exists (via %s dev %d)", gateway, ifindex, have, cur.ifindex);
}

int nl_route_default_del(struct nl *nl, const char *gateway, int ifindex, struct rt_err *e)
{
	struct nl_route_def r;
	if (nl_route_def_parse(gateway, ifindex, &r) < 0)
		return rt_errf(e, EINVAL, "delete default route: bad gateway \"%s\"",
			       gateway ? gateway : "(null)");
	/* With RTA_GATEWAY and RTA_OIF the kernel deletes only a route with
	 * that next hop, and answers ESRCH otherwise. */
	int rc = nl_route_msg(nl, RTM_DELROUTE, 0, &r);
	if (rc < 0 && nl->kerr != ESRCH)
		return nl_fail(nl, e, rc, "delete default route via %s dev %d", gateway, ifindex);
	return 0;
}

/* ---------------- routes: all of them ---------------- */

struct nl_route_all {
	int family;
	nl_iproute_fn fn;
	void *arg;
};

static int nl_route_any(struct nl_msg *msg, void *arg)
{
	struct nl_route_all *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWROUTE || nlmsg_parse(h, sizeof(struct rtmsg), tb, RTA_MAX,
							  NULL) < 0)
		return NL_OK;
	const struct rtmsg *rtm = nlmsg_data(h);
	if (rtm->rtm_family != w->family)
		return NL_OK;
	int alen = (int)nl_af_len(w->family);
	struct nl_iproute_info r = {
		.family = w->family,
		.dst_len = rtm->rtm_dst_len,
		.table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table,
		.type = rtm->rtm_type,
	};
	if (tb[RTA_DST] && nla_len(tb[RTA_DST]) == alen)
		memcpy(r.dst, nla_data(tb[RTA_DST]), (size_t)alen);
	if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == alen) {
		memcpy(r.gateway, nla_data(tb[RTA_GATEWAY]), (size_t)alen);
		r.has_gateway = true;
	}
	/* A multipath route has its devices in RTA_MULTIPATH: oif stays 0. */
	if (tb[RTA_OIF])
		r.oif = (int)nla_get_u32(tb[RTA_OIF]);
	w->fn(&r, w->arg);
	return NL_OK;
}

int nl_iproute_dump(struct nl *nl, int family, nl_iproute_fn fn, void *arg, struct rt_err *e)
{
	struct nl_route_all w = { family, fn, arg };
	int rc = nl_dump_request(nl, RTM_GETROUTE, family, nl_route_any, &w);
	if (rc < 0)
		return nl_fail(nl, e, rc, "list routes");
	return 0;
}

struct nl_local6_walk {
	const unsigned char *addr;
	bool found;
};

static void nl_local6_seen(const struct nl_iproute_info *r, void *arg)
{
	struct nl_local6_walk *w = arg;
	if (r->table == RT_TABLE_LOCAL && r->type == RTN_LOCAL && r->dst_len == 128 &&
	    memcmp(r->dst, w->addr, 16) == 0)
		w->found = true;
}

int nl_addr6_ready(struct nl *nl, const char *cidr, bool *ready, struct rt_err *e)
{
	struct nl_ipaddr a;
	*ready = true;
	if (nl_ipaddr_parse(cidr, &a, e) < 0)
		return -1;
	if (a.family != AF_INET6)
		return 0;
	struct nl_local6_walk w = { a.addr, false };
	if (nl_iproute_dump(nl, AF_INET6, nl_local6_seen, &w, e) < 0)
		return -1;
	*ready = w.found;
	return 0;
}

