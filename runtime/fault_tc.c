/* fault_tc.c — rate limits (tbf) and netem impairments (latency, duplicate,
 * corrupt, reorder) as root qdiscs on a node's interfaces.
 *
 * The qdisc goes on the node's own end of its veth, inside the node's
 * namespace (eth0 there): a root qdisc shapes what a device sends, so that
 * is exactly the node's egress, which is what the language promises. On
 * the host end it would shape what the node receives instead.
 *
 * Ownership is the handle: aspen's root qdiscs are a5e0: (tbf) and a5e1:
 * (netem), a major nobody picks by accident. Revert deletes the root qdisc
 * only when it still carries the recorded handle; heal deletes any root
 * qdisc with one of those handles on any interface of the topology. A root
 * qdisc aspen did not add is never replaced: the fault fails instead.
 *
 * VM nodes have no namespace of aspen's: their interface is a TAP on the
 * host, and what the guest sends arrives as the TAP's *ingress*, which no
 * root qdisc can shape. So the node's egress is redirected (an ingress
 * qdisc on the TAP, one u32 match-all filter at FAULT_INGRESS_PRIO whose
 * mirred action redirects to an ifb device) and the tbf/netem qdisc is the
 * root of that ifb. The ifb is a link aspen creates: named from the TAP
 * (names_ifb), marked like a bridge (MAC from the mark in the creating
 * request, then the alias), named in the undo record before it exists, and
 * deleted by revert, heal and destroy (which heals). The ingress qdisc sits
 * on aspen's own TAP: revert and heal remove it when it holds aspen's filter
 * or no filter at all (a crash between the qdisc and its filter), never
 * when it holds someone else's. docs/faults.md says why not CH's own
 * rate_limiter_config.
 *
 * Messages are built with libnl-route (rtnl_qdisc + rtnl_qdisc_tbf_* /
 * rtnl_netem_*). The builders are pure so the netem encoding is unit-tested
 * without sch_netem, which this machine's kernel lacks; fault.c probes for
 * it (fault_tc_probe) in a throwaway namespace before anything is applied. */
#include "runtime/fault_int.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>

#include "compiler/names.h"
#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

#define TC_NETEM_LIMIT 1000             /* packets, netem's own default */
#define TC_MAX_DELAY_US (200ull * 1000000ull)  /* netem ticks are 32-bit */

/* ---------------- pure builders ---------------- */

static int tc_errno_of(int nlerr)
{
	switch (-nlerr) {
	case NLE_EXIST: return EEXIST;
	case NLE_OBJ_NOTFOUND: return ENOENT;
	case NLE_NODEV: return ENODEV;
	case NLE_PERM: return EPERM;
	case NLE_NOMEM: return ENOMEM;
	default: return EIO;
	}
}

unsigned fault_netem_prob(double percent)
{
	if (percent <= 0)
		return 0;
	if (percent >= 100)
		return UINT32_MAX;
	return (unsigned)(percent / 100.0 * (double)UINT32_MAX + 0.5);
}

unsigned long long fault_tbf_burst(unsigned long long rate_bps, unsigned mtu)
{
	unsigned long long frame = (mtu ? mtu : 1500) + 14ull;
	unsigned long long b = rate_bps / 8 / 100;     /* 10 ms at the rate */
	return b > 2 * frame ? b : 2 * frame;
}

static struct rtnl_qdisc *tc_root(int ifindex, unsigned major, const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return NULL;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(major, 0));
	if (rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

/* netem takes probabilities as raw u32 through an int parameter. */
static int tc_p(double percent)
{
	return (int)fault_netem_prob(percent);
}

int fault_netem_qdisc(const struct topo_fault *f, int ifindex, struct rtnl_qdisc **out,
		      struct rt_err *e)
{
	const double pct = f->u.impair.percent, corr = f->u.impair.correlation;
	uint64_t delay = f->u.impair.delay_us, jitter = f->u.impair.jitter_us;
	*out = NULL;
	if (f->kind == FAULT_REORDER && delay == 0)
		delay = 10000;          /* netem reorders against a delay; the language's default */
	if (delay + jitter > TC_MAX_DELAY_US)
		return rt_errf(e, ERANGE, "netem delay + jitter above 200 s do not fit its 32-bit "
			       "tick fields");
	struct rtnl_qdisc *q = tc_root(ifindex, FAULT_NETEM_MAJOR, "netem");
	if (!q)
		return rt_errf(e, ENOMEM, "out of memory");
	rtnl_netem_set_limit(q, TC_NETEM_LIMIT);
	switch (f->kind) {
	case FAULT_LATENCY:
		rtnl_netem_set_delay(q, (int)delay);
		if (jitter) {
			rtnl_netem_set_jitter(q, (int)jitter);
			if (corr > 0)   /* netem correlates delays only with a jitter */
				rtnl_netem_set_delay_correlation(q, tc_p(corr));
		}
		break;
	case FAULT_DUPLICATE:
		rtnl_netem_set_duplicate(q, tc_p(pct));
		if (corr > 0 && pct > 0)
			rtnl_netem_set_duplicate_correlation(q, tc_p(corr));
		break;
	case FAULT_CORRUPT:
		rtnl_netem_set_corruption_probability(q, tc_p(pct));
		if (corr > 0 && pct > 0)
			rtnl_netem_set_corruption_correlation(q, tc_p(corr));
		break;
	case FAULT_REORDER:
		rtnl_netem_set_delay(q, (int)delay);
		rtnl_netem_set_reorder_probability(q, tc_p(pct));
		if (corr > 0 && pct > 0)
			rtnl_netem_set_reorder_correlation(q, tc_p(corr));
		break;
	default:
		rtnl_qdisc_put(q);
		return rt_errf(e, EINVAL, "%s is not a netem fault", fault_kind_names[f->kind]);
	}
	*out = q;
	return 0;
}

int fault_tbf_qdisc(const struct topo_fault *f, unsigned mtu, int ifindex,
		    struct rtnl_qdisc **out, struct rt_err *e)
{
	unsigned long long rate = f->u.impair.rate_bps / 8;
	unsigned long long burst = f->u.impair.burst_bytes ? f->u.impair.burst_bytes
				  : fault_tbf_burst(f->u.impair.rate_bps, mtu);
	unsigned long long limit = burst + rate / 20;   /* 50 ms of queue at the rate */
	*out = NULL;
	if (rate == 0)
		return rt_errf(e, EINVAL, "rate below 8 bit/s");
	if (rate > INT_MAX || limit > INT_MAX)
		return rt_errf(e, ERANGE, "rate %llu bit/s or burst %llu bytes too large for tbf "
			       "(at most about 17 Gbit/s and 2 GB)", (unsigned long long)f->u.impair.rate_bps, burst);
	struct rtnl_qdisc *q = tc_root(ifindex, FAULT_TBF_MAJOR, "tbf");
	if (!q)
		return rt_errf(e, ENOMEM, "out of memory");
	rtnl_qdisc_tbf_set_rate(q, (int)rate, (int)burst, 0);
	rtnl_qdisc_tbf_set_limit(q, (int)limit);
	*out = q;
	return 0;
}

int fault_ingress_qdisc(int ifindex, struct rtnl_qdisc **out, struct rt_err *e)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	*out = NULL;
	if (!q)
		return rt_errf(e, ENOMEM, "out of memory");
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffffu, 0));
	if (rtnl_tc_set_kind(TC_CAST(q), "ingress") < 0) {
		rtnl_qdisc_put(q);
		return rt_errf(e, ENOMEM, "out of memory");
	}
	*out = q;
	return 0;
}

int fault_redirect_filter(int ifindex, int ifb_ifindex, struct rtnl_cls **out, struct rt_err *e)
{
	struct rtnl_cls *f = rtnl_cls_alloc();
	struct rtnl_act *a = rtnl_act_alloc();
	*out = NULL;
	int rc = f && a ? 0 : -NLE_NOMEM;
	if (rc == 0) {
		rtnl_tc_set_ifindex(TC_CAST(f), ifindex);
		rtnl_tc_set_parent(TC_CAST(f), TC_HANDLE(0xffffu, 0));
		rtnl_cls_set_prio(f, FAULT_INGRESS_PRIO);
		rtnl_cls_set_protocol(f, ETH_P_ALL);
		rc = rtnl_tc_set_kind(TC_CAST(f), "u32");
	}
	/* Match every frame (a zero mask at offset 0); terminal, so u32 runs
	 * the action instead of moving on to the next key. */
	if (rc == 0)
		rc = rtnl_u32_add_key_uint32(f, 0, 0, 0, 0);
	if (rc == 0)
		rc = rtnl_u32_set_cls_terminal(f);
	if (rc == 0)
		rc = rtnl_tc_set_kind(TC_CAST(a), "mirred");
	if (rc == 0) {
		rtnl_mirred_set_action(a, TCA_EGRESS_REDIR);
		rtnl_mirred_set_policy(a, TC_ACT_STOLEN);
		rtnl_mirred_set_ifindex(a, (uint32_t)ifb_ifindex);
		rc = rtnl_u32_add_action(f, a);   /* takes its own reference */
	}
	if (a)
		rtnl_act_put(a);
	if (rc < 0) {
		if (f)
			rtnl_cls_put(f);
		return rt_errf(e, tc_errno_of(rc), "build redirect filter: %s", nl_geterror(rc));
	}
	*out = f;
	return 0;
}

/* libnl 3.7's netem encoder stretches TCA_OPTIONS over the attributes
 * behind the qopt (as sch_netem wants) but also adds their length to
 * nlmsg_len a second time, leaving that many zero bytes at the end, which
 * the kernel reports as "bytes leftover after parsing attributes". Cut the
 * message after its last well-formed attribute. */
static void tc_trim(struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *a = nlmsg_attrdata(h, sizeof(struct tcmsg));
	int rem = nlmsg_attrlen(h, sizeof(struct tcmsg));
	while (nla_ok(a, rem))
		a = nla_next(a, &rem);
	h->nlmsg_len = (uint32_t)((char *)a - (char *)h);
}

int fault_qdisc_request(struct rtnl_qdisc *q, int flags, struct nl_msg **out,
			struct rt_err *e)
{
	int rc = rtnl_qdisc_build_add_request(q, flags, out);
	if (rc < 0)
		return rt_errf(e, tc_errno_of(rc), "build qdisc request: %s", nl_geterror(rc));
	tc_trim(*out);
	return 0;
}

/* ---------------- sockets and links ---------------- */

static int tc_fail(struct rt_err *e, int nlerr, const char *what, const char *dev,
		   const char *netns)
{
	return rt_errf(e, tc_errno_of(nlerr), "%s on %s%s%s: %s", what, dev, netns ? " in " : "",
		       netns ? netns : "", nl_geterror(nlerr));
}

static int tc_connect(struct nl_sock **out, struct rt_err *e)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return rt_errf(e, ENOMEM, "out of memory");
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		nl_socket_free(sk);
		return rt_errf(e, tc_errno_of(rc), "netlink: %s", nl_geterror(rc));
	}
	*out = sk;
	return 0;
}

/* A route socket inside namespace netns (NULL: the caller's). A missing
 * namespace fails with ENOENT. The thread enters the namespace only while
 * the socket is created. */
static int tc_connect_in(void *out, struct rt_err *e)
{
	return tc_connect(out, e);
}

static int tc_sock(const char *netns, struct nl_sock **out, struct rt_err *e)
{
	return netns_call(netns, tc_connect_in, out, e);
}

/* ifindex of dev; 0 (not an error) when it does not exist. */
static int tc_ifindex(struct nl_sock *sk, const char *dev, int *out, struct rt_err *e)
{
	struct rtnl_link *l = NULL;
	int rc = rtnl_link_get_kernel(sk, 0, dev, &l);
	*out = 0;
	if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
		return 0;
	if (rc < 0)
		return rt_errf(e, tc_errno_of(rc), "look up %s: %s", dev, nl_geterror(rc));
	*out = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}

/* The root qdisc of ifindex (a reference the caller puts), or NULL. */
static struct rtnl_qdisc *tc_root_of(struct nl_sock *sk, int ifindex)
{
	struct nl_cache *cache = NULL;
	if (rtnl_qdisc_alloc_cache(sk, &cache) < 0)
		return NULL;
	struct rtnl_qdisc *q = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_ROOT);
	nl_cache_free(cache);
	return q;
}

static bool tc_major_ours(uint32_t handle)
{
	unsigned major = TC_H_MAJ(handle) >> 16;
	return major == FAULT_TBF_MAJOR || major == FAULT_NETEM_MAJOR;
}

/* Delete the root qdisc of dev in netns when its major is `major` (0: any
 * of aspen's). Gone namespace, link or qdisc: success. */
static int tc_remove(const char *netns, const char *dev, unsigned major, struct rt_err *e)
{
	struct nl_sock *sk;
	int ifindex, rc = 0;
	if (tc_sock(netns, &sk, e) < 0)
		return e && e->errnum == ENOENT ? 0 : -1;
	if (tc_ifindex(sk, dev, &ifindex, e) < 0 || !ifindex) {
		nl_socket_free(sk);
		return ifindex ? -1 : 0;
	}
	struct rtnl_qdisc *q = tc_root_of(sk, ifindex);
	uint32_t h = q ? rtnl_tc_get_handle(TC_CAST(q)) : 0;
	if (q && (major ? TC_H_MAJ(h) >> 16 == major : tc_major_ours(h))) {
		int r = rtnl_qdisc_delete(sk, q);
		if (r < 0 && r != -NLE_OBJ_NOTFOUND)
			rc = tc_fail(e, r, "delete qdisc", dev, netns);
	}
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return rc;
}

/* ---------------- the mechanism ---------------- */

static int tc_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		      cJSON *rec, struct rt_err *e)
{
	struct fault_port *p;
	size_t n;
	if (fault_ports_here(t, &f->u.impair.targets, &p, &n, e) < 0)
		return -1;
	bool tbf = f->kind == FAULT_RATE;
	cJSON *arr = cJSON_AddArrayToObject(rec, "qdiscs");
	for (size_t i = 0; i < n; i++) {
		cJSON *q = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, q);
		if (p[i].node->kind == NODE_VM) {
			/* The ifb and its mark go into the record, which is
			 * journaled before apply creates anything. */
			char ifb[IFNAMSIZ_ASPEN], id[160], mark[ASPEN_MARK_MAX + 1];
			names_ifb(ifb, p[i].iface->host_name);
			snprintf(id, sizeof(id), "ifb/%s.%s", p[i].node->name, p[i].iface->name);
			if (mark_build(mark, sizeof(mark), c->topology, id, e) < 0) {
				free(p);
				return -1;
			}
			cJSON_AddStringToObject(q, "dev", ifb);
			cJSON_AddStringToObject(q, "tap", p[i].iface->host_name);
			cJSON_AddStringToObject(q, "mark", mark);
		} else {
			cJSON_AddStringToObject(q, "netns", p[i].node->netns_name);
			cJSON_AddStringToObject(q, "dev", p[i].iface->name);
		}
		cJSON_AddStringToObject(q, "kind", tbf ? "tbf" : "netem");
		cJSON_AddNumberToObject(q, "major", tbf ? FAULT_TBF_MAJOR : FAULT_NETEM_MAJOR);
	}
	free(p);
	return 0;
}

/* Send the add request for q and wait for the kernel's answer: 0, a
 * negative libnl error, or 1 when the request could not be built (e set). */
static int tc_send(struct nl_sock *sk, struct rtnl_qdisc *q, int flags, struct rt_err *e)
{
	struct nl_msg *msg;
	if (fault_qdisc_request(q, flags, &msg, e) < 0)
		return 1;
	int rc = nl_send_auto_complete(sk, msg);
	nlmsg_free(msg);
	return rc < 0 ? rc : nl_wait_for_ack(sk);
}

/* Install q as dev's root; again on a root of the same handle replaces it
 * (idempotent), any other root qdisc is left alone and reported. */
static int tc_install(struct nl_sock *sk, struct rtnl_qdisc *q, const char *dev,
		      const char *netns, struct rt_err *e)
{
	int rc = tc_send(sk, q, NLM_F_CREATE | NLM_F_EXCL, e);
	if (rc == 1)
		return -1;
	if (rc != -NLE_EXIST)
		return rc < 0 ? tc_fail(e, rc, "add qdisc", dev, netns) : 0;
	struct rtnl_qdisc *old = tc_root_of(sk, rtnl_tc_get_ifindex(TC_CAST(q)));
	uint32_t h = old ? rtnl_tc_get_handle(TC_CAST(old)) : 0;
	char kind[32];
	snprintf(kind, sizeof(kind), "%s", old && rtnl_tc_get_kind(TC_CAST(old)) ?
		 rtnl_tc_get_kind(TC_CAST(old)) : "?");
	if (old)
		rtnl_qdisc_put(old);
	if (h != rtnl_tc_get_handle(TC_CAST(q)))
		return rt_errf(e, EEXIST, "%s%s%s already has a root qdisc (%s %x:) that this "
			       "fault cannot share: %s", dev, netns ? " in " : "", netns ? netns : "",
			       kind, TC_H_MAJ(h) >> 16, tc_major_ours(h) ?
			       "rate and netem faults on one interface do not compose yet" :
			       "aspen did not add it and leaves it alone");
	rc = tc_send(sk, q, NLM_F_CREATE | NLM_F_REPLACE, e);
	if (rc == 1)
		return -1;
	return rc < 0 ? tc_fail(e, rc, "replace qdisc", dev, netns) : 0;
}

/* ---------------- VM nodes: TAP ingress -> ifb ---------------- */

/* The TAP's ingress qdisc: 0 none, 1 aspen's (it holds only aspen's filter,
 * or no filter: a crash between the qdisc and its filter), 2 someone
 * else's (another kind, or another filter). *q (when not NULL) gets a
 * reference to it. */
static int tc_ingress_state(struct nl_sock *sk, int ifindex, struct rtnl_qdisc **q)
{
	struct rtnl_qdisc *in = NULL;
	struct nl_cache *cache = NULL;
	if (rtnl_qdisc_alloc_cache(sk, &cache) == 0) {
		in = rtnl_qdisc_get_by_parent(cache, ifindex, TC_H_INGRESS);
		nl_cache_free(cache);
	}
	if (q)
		*q = NULL;
	if (!in)
		return 0;
	const char *kind = rtnl_tc_get_kind(TC_CAST(in));
	int state = kind && strcmp(kind, "ingress") == 0 ? 1 : 2;
	if (state == 1 && rtnl_cls_alloc_cache(sk, ifindex, TC_HANDLE(0xffffu, 0), &cache) == 0) {
		for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
			if (rtnl_cls_get_prio((struct rtnl_cls *)o) != FAULT_INGRESS_PRIO)
				state = 2;
		nl_cache_free(cache);
	}
	if (q && state != 2)
		*q = in;
	else
		rtnl_qdisc_put(in);
	return state;
}

/* Remove aspen's ingress qdisc (and so its filter) from the TAP dev; a
 * missing TAP or qdisc, or one that is not aspen's, is left as it is. */
static int tc_ingress_remove(struct nl_sock *sk, const char *dev, struct rt_err *e)
{
	int ifindex;
	struct rtnl_qdisc *q;
	if (tc_ifindex(sk, dev, &ifindex, e) < 0)
		return -1;
	if (!ifindex || tc_ingress_state(sk, ifindex, &q) != 1)
		return 0;
	int rc = rtnl_qdisc_delete(sk, q);
	rtnl_qdisc_put(q);
	if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
		return tc_fail(e, rc, "delete ingress qdisc", dev, NULL);
	return 0;
}

/* The ifb of a VM port, made or found (then it must carry mark), up and
 * at the network's MTU (a frame longer than the ifb's MTU would be
 * dropped on the way through it). */
static int tc_ifb_ensure(const char *ifb, const char *mark, unsigned mtu, struct rt_err *e)
{
	struct nl *nl;
	struct rt_err err = {0};
	unsigned char mac[6];
	if (nl_open(&nl, -1, e) < 0)
		return -1;
	mark_mac(mark, mac);
	struct nl_bridge_opts o = {.name = ifb, .mac = mac, .alias = mark, .mtu = mtu, .up = true};
	int rc = nl_ifb_add(nl, &o, &err);
	if (rc < 0 && err.errnum != EEXIST && e)
		*e = err;
	if (rc < 0 && err.errnum == EEXIST) {
		struct nl_link_info li;
		rc = nl_link_find(nl, ifb, &li, e);
		if (rc == 0 && !mark_link_owned(mark, li.alias, li.has_mac ? li.mac : NULL))
			rc = rt_errf(e, EEXIST, "link %s exists and is not this fault's ifb (alias "
				     "\"%s\"): aspen leaves it alone; rename or delete it", ifb, li.alias);
		struct nl_link_conf up = {.alias = mark, .mtu = mtu, .set_up = true, .up = true};
		if (rc == 0)
			rc = nl_link_configure(nl, ifb, &up, e);
	}
	nl_free(nl);
	return rc;
}

/* Guest egress through the ifb: the ifb with the fault's qdisc as root,
 * then the TAP's ingress qdisc and filter, made afresh so the redirect
 * names the ifb of now (mirred holds an ifindex). */
static int tc_apply_vm(const struct topology *t, const struct topo_fault *f,
		       const struct fault_port *p, const cJSON *q, struct rt_err *e)
{
	const char *ifb = fault_rec_str(q, "dev"), *mark = fault_rec_str(q, "mark");
	const char *tap = p->iface->host_name;
	unsigned mtu = t->networks[p->iface->network_idx].mtu;
	struct nl_sock *sk;
	struct rtnl_qdisc *root = NULL, *in = NULL;
	struct rtnl_cls *cls = NULL;
	int ifb_ix = 0, tap_ix = 0;
	if (!ifb || !mark)
		return rt_errf(e, EINVAL, "malformed qdisc in fault record (no ifb or mark)");
	if (tc_connect(&sk, e) < 0)
		return -1;
	int rc = tc_ifindex(sk, tap, &tap_ix, e);
	if (rc == 0 && !tap_ix)
		rc = rt_errf(e, ENODEV, "%s: no TAP %s", p->node->name, tap);
	if (rc == 0 && tc_ingress_state(sk, tap_ix, NULL) == 2)
		rc = rt_errf(e, EEXIST, "%s already has an ingress qdisc with filters aspen did "
			     "not add: aspen leaves it alone", tap);
	if (rc == 0)
		rc = tc_ifb_ensure(ifb, mark, mtu, e);
	if (rc == 0)
		rc = tc_ifindex(sk, ifb, &ifb_ix, e);
	if (rc == 0 && !ifb_ix)
		rc = rt_errf(e, ENODEV, "%s: the new ifb %s is gone", p->node->name, ifb);
	if (rc == 0)
		rc = f->kind == FAULT_RATE ? fault_tbf_qdisc(f, mtu, ifb_ix, &root, e)
					   : fault_netem_qdisc(f, ifb_ix, &root, e);
	if (rc == 0)
		rc = tc_install(sk, root, ifb, NULL, e);
	if (rc == 0)
		rc = tc_ingress_remove(sk, tap, e);
	if (rc == 0)
		rc = fault_ingress_qdisc(tap_ix, &in, e);
	if (rc == 0 && (rc = rtnl_qdisc_add(sk, in, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		rc = tc_fail(e, rc, "add ingress qdisc", tap, NULL);
	if (rc == 0)
		rc = fault_redirect_filter(tap_ix, ifb_ix, &cls, e);
	if (rc == 0 && (rc = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		rc = tc_fail(e, rc, "add redirect filter", tap, NULL);
	if (cls)
		rtnl_cls_put(cls);
	if (in)
		rtnl_qdisc_put(in);
	if (root)
		rtnl_qdisc_put(root);
	nl_socket_free(sk);
	return rc;
}

/* Undo tc_apply_vm for one record entry: this fault's qdisc on the ifb;
 * then, unless another fault's qdisc is still the ifb's root, the TAP's
 * ingress qdisc (the redirect goes first: mirred to a deleted device
 * drops) and the ifb. A link of the ifb's name without the mark is not a
 * trace of aspen's: it is left alone, and that is no error. Each step is
 * safe to repeat after a crash. */
static int tc_revert_vm(const char *ifb, const char *tap, const char *mark, unsigned major,
			struct rt_err *e)
{
	struct nl *nl;
	struct nl_link_info li;
	if (nl_open(&nl, -1, e) < 0)
		return -1;
	struct rt_err err = {0};
	int rc = nl_link_find(nl, ifb, &li, &err);
	bool ours = rc == 0 && mark_link_owned(mark, li.alias, li.has_mac ? li.mac : NULL);
	if (rc < 0 && err.errnum == ENODEV)
		rc = 0;
	else if (rc < 0 && e)
		*e = err;
	if (rc == 0 && ours)
		rc = tc_remove(NULL, ifb, major, e);
	struct nl_sock *sk = NULL;
	if (rc == 0)
		rc = tc_connect(&sk, e);
	bool shared = false;
	if (rc == 0 && ours) {
		struct rtnl_qdisc *root = tc_root_of(sk, li.ifindex);
		shared = root && tc_major_ours(rtnl_tc_get_handle(TC_CAST(root)));
		if (root)
			rtnl_qdisc_put(root);
	}
	if (rc == 0 && !shared)
		rc = tc_ingress_remove(sk, tap, e);
	if (sk)
		nl_socket_free(sk);
	if (rc == 0 && ours && !shared)
		rc = nl_link_del_owned(nl, ifb, mark, e);
	nl_free(nl);
	return rc;
}

static int tc_apply_port(const struct topology *t, const struct topo_fault *f,
			 const struct fault_port *p, const cJSON *entry, struct rt_err *e)
{
	if (p->node->kind == NODE_VM)
		return tc_apply_vm(t, f, p, entry, e);
	const char *ns = p->node->netns_name, *dev = p->iface->name;
	struct nl_sock *sk;
	struct rtnl_qdisc *q = NULL;
	int ifindex;
	if (tc_sock(ns, &sk, e) < 0)
		return -1;
	int rc = tc_ifindex(sk, dev, &ifindex, e);
	if (rc == 0 && !ifindex)
		rc = rt_errf(e, ENODEV, "%s: no interface %s in %s", p->node->name, dev, ns);
	if (rc == 0)
		rc = f->kind == FAULT_RATE
		     ? fault_tbf_qdisc(f, t->networks[p->iface->network_idx].mtu, ifindex, &q, e)
		     : fault_netem_qdisc(f, ifindex, &q, e);
	if (rc == 0)
		rc = tc_install(sk, q, dev, ns, e);
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return rc;
}

static int tc_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		    const cJSON *rec, struct rt_err *e)
{
	struct fault_port *p;
	size_t n;
	(void)c;
	if (fault_ports_here(t, &f->u.impair.targets, &p, &n, e) < 0)
		return -1;
	/* prepare wrote one record entry per port, in this order */
	const cJSON *qs = cJSON_GetObjectItemCaseSensitive(rec, "qdiscs");
	if ((size_t)cJSON_GetArraySize(qs) != n) {
		free(p);
		return rt_errf(e, EINVAL, "the fault record names %d interfaces, the fault %zu",
			       cJSON_GetArraySize(qs), n);
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = tc_apply_port(t, f, &p[i], cJSON_GetArrayItem(qs, (int)i), e);
	free(p);
	return rc;
}

static int tc_revert(struct rt_ctx *c, const cJSON *rec, struct rt_err *e)
{
	const cJSON *q;
	int rc = 0;
	(void)c;
	cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(rec, "qdiscs")) {
		const char *ns = fault_rec_str(q, "netns"), *dev = fault_rec_str(q, "dev");
		const cJSON *major = cJSON_GetObjectItemCaseSensitive(q, "major");
		if (!dev || !cJSON_IsNumber(major))
			return rt_errf(e, EINVAL, "malformed qdisc in fault record");
		struct rt_err err = {0};
		const char *tap = fault_rec_str(q, "tap"), *mark = fault_rec_str(q, "mark");
		int one = tap && mark ? tc_revert_vm(dev, tap, mark, (unsigned)major->valuedouble, &err)
				      : tc_remove(ns, dev, (unsigned)major->valuedouble, &err);
		if (one < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* Every interface of the topology: node ends of veths (in their
 * namespaces); for each TAP, its ingress redirect and its ifb. */
static int tc_heal(struct rt_ctx *c, struct rt_err *e)
{
	const struct res_list *l = &c->journal.resources;
	int rc = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct resource *r = &l->v[i];
		struct rt_err err = {0};
		int one = 0;
		if (r->kind == RES_VETH && res_get(r, "netns") && res_get(r, "peer"))
			one = tc_remove(res_get(r, "netns"), res_get(r, "peer"), 0, &err);
		else if (r->kind == RES_TAP && res_get(r, "name")) {
			char ifb[IFNAMSIZ_ASPEN], id[160], mark[ASPEN_MARK_MAX + 1];
			names_ifb(ifb, res_get(r, "name"));
			snprintf(id, sizeof(id), "ifb/%s", rt_id_name(r->id));
			one = mark_build(mark, sizeof(mark), c->topology, id, &err);
			if (one == 0)
				one = tc_revert_vm(ifb, res_get(r, "name"), mark, 0, &err);
		}
		if (one < 0 && rc++ == 0 && e)
			*e = err;
	}
	return rc ? -1 : 0;
}

/* In the throwaway namespace: the VM path's pieces, each as the runtime
 * builds it (an ifb, an ingress qdisc on dev, the redirect filter). The
 * namespace dies with the probe thread, and everything in it. */
static int tc_probe_ifb(struct nl_sock *sk, int ifindex, char *why, size_t len)
{
	struct rt_err e = {0};
	struct nl *nl = NULL;
	struct rtnl_qdisc *in = NULL;
	struct rtnl_cls *cls = NULL;
	struct nl_bridge_opts o = {.name = "aspen-probe2", .up = true};
	int ifb_ix = 0, rc = nl_open(&nl, -1, &e);
	if (rc == 0)
		rc = nl_ifb_add(nl, &o, &e);
	nl_free(nl);
	if (rc == 0 && tc_ifindex(sk, o.name, &ifb_ix, &e) == 0 && !ifb_ix)
		rc = rt_errf(&e, ENODEV, "the new ifb is not there");
	if (rc == 0)
		rc = fault_ingress_qdisc(ifindex, &in, &e);
	if (rc == 0 && (rc = rtnl_qdisc_add(sk, in, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		rc = rt_errf(&e, tc_errno_of(rc), "add ingress qdisc: %s", nl_geterror(rc));
	if (rc == 0)
		rc = fault_redirect_filter(ifindex, ifb_ix, &cls, &e);
	if (rc == 0 && (rc = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		rc = rt_errf(&e, tc_errno_of(rc), "add u32 filter with a mirred redirect: %s",
			     nl_geterror(rc));
	if (rc < 0)
		snprintf(why, len, "%s", e.msg);
	if (cls)
		rtnl_cls_put(cls);
	if (in)
		rtnl_qdisc_put(in);
	return rc < 0 ? -1 : 0;
}

/* What `aspen doctor` reports beside the mechanisms faults use today: a
 * flower filter on an ingress qdisc. The kernel loads a module on demand,
 * so a refusal means the module is missing. */
static int tc_probe_flower(struct nl_sock *sk, int ifindex, char *why, size_t len)
{
	int rc;
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct rtnl_cls *c = rtnl_cls_alloc();
	if (!q || !c) {
		rtnl_qdisc_put(q);
		rtnl_cls_put(c);
		return snprintf(why, len, "out of memory"), -1;
	}
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(0xffffu, 0));
	rc = rtnl_tc_set_kind(TC_CAST(q), "ingress");
	if (rc == 0)
		rc = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_EXCL);
	if (rc == -NLE_EXIST)
		rc = 0;         /* the ifb probe (tc_probe_ifb) left dev's ingress qdisc */
	if (rc < 0) {
		snprintf(why, len, "add ingress qdisc: %s", nl_geterror(rc));
	} else {
		rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
		rtnl_tc_set_parent(TC_CAST(c), TC_HANDLE(0xffffu, 0));
		rtnl_cls_set_protocol(c, 0x0003);       /* ETH_P_ALL */
		rtnl_cls_set_prio(c, 1);
		rc = rtnl_tc_set_kind(TC_CAST(c), "flower");
		if (rc == 0)
			rc = rtnl_cls_add(sk, c, NLM_F_CREATE | NLM_F_EXCL);
		if (rc < 0)
			snprintf(why, len, "add flower filter: %s", nl_geterror(rc));
	}
	rtnl_cls_put(c);
	rtnl_qdisc_put(q);
	return rc < 0 ? -1 : 0;
}

/* In the throwaway namespace: add a root qdisc of kind to dev, delete it;
 * kind "ifb": the VM redirect (tc_probe_ifb), "flower": tc_probe_flower. */
int fault_tc_probe(const char *kind, const char *dev, char *why, size_t len)
{
	struct nl_sock *sk;
	struct rt_err e = {0};
	struct rtnl_qdisc *q = NULL;
	int ifindex = 0;
	if (tc_sock(NULL, &sk, &e) < 0) {
		snprintf(why, len, "%s", e.msg);
		return -1;
	}
	if (tc_ifindex(sk, dev, &ifindex, &e) < 0 || !ifindex) {
		snprintf(why, len, "%s", e.msg[0] ? e.msg : "probe link missing");
		nl_socket_free(sk);
		return -1;
	}
	if (strcmp(kind, "ifb") == 0 || strcmp(kind, "flower") == 0) {
		int rc = kind[0] == 'i' ? tc_probe_ifb(sk, ifindex, why, len) :
					  tc_probe_flower(sk, ifindex, why, len);
		nl_socket_free(sk);
		return rc;
	}
	struct topo_fault f = {.kind = strcmp(kind, "tbf") == 0 ? FAULT_RATE : FAULT_LATENCY};
	f.u.impair.rate_bps = 1000000;
	f.u.impair.delay_us = 1000;
	int rc = f.kind == FAULT_RATE ? fault_tbf_qdisc(&f, 0, ifindex, &q, &e)
				      : fault_netem_qdisc(&f, ifindex, &q, &e);
	if (rc == 0) {
		rc = tc_send(sk, q, NLM_F_CREATE | NLM_F_EXCL, &e);
		if (rc == 1)
			snprintf(why, len, "%s", e.msg);
		else if (rc < 0)
			snprintf(why, len, "add %s qdisc: %s", kind, nl_geterror(rc));
		else
			rtnl_qdisc_delete(sk, q);
	} else {
		snprintf(why, len, "%s", e.msg);
	}
	if (q)
		rtnl_qdisc_put(q);
	nl_socket_free(sk);
	return rc != 0 ? -1 : 0;
}

/* Only the interfaces of nodes placed on this host are shaped here. */
static int tc_share(const struct topology *t, const struct topo_fault *f, size_t *ports,
		    struct rt_err *e)
{
	return fault_share_ports(t, &f->u.impair.targets, ports, e);
}

const struct fault_mech fault_mech_tc = {tc_prepare, tc_apply, tc_revert, tc_heal, tc_share};
