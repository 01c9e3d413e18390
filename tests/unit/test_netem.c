/* test_netem.c — the netlink requests of netem and tbf faults, byte by byte.
 *
 * The kernels aspen is built on lack sch_netem, so the only proof that a
 * latency / duplicate / corrupt / reorder fault asks the kernel for the
 * right thing is its encoding: build the RTM_NEWQDISC request the runtime
 * would send (fault_qdisc_request, no socket) and read back the
 * tcmsg, TCA_KIND and TCA_OPTIONS — struct tc_netem_qopt followed by the
 * TCA_NETEM_CORR / _REORDER / _CORRUPT attributes, all inside TCA_OPTIONS
 * as sch_netem parses them. Expected tick values come from /proc/net/psched
 * (as tc computes them), probabilities from tc's scaling p * UINT32_MAX.
 * VM nodes add the ingress qdisc on the TAP and the u32 filter whose mirred
 * action redirects the guest's frames to the ifb (checked attribute by
 * attribute as cls_u32 and act_mirred parse them). */
#include "tests/testutil.h"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <arpa/inet.h>

#include "runtime/fault_int.h"

#define IFINDEX 7

/* Microseconds -> psched ticks, read independently of libnl. */
static uint32_t ticks(uint32_t us)
{
	unsigned a = 1000, b = 64;      /* the kernel's fixed ratio since 2.6.x */
	FILE *f = fopen("/proc/net/psched", "r");
	if (f) {
		if (fscanf(f, "%x %x", &a, &b) != 2 || b == 0)
			a = 1000, b = 64;
		fclose(f);
	}
	return (uint32_t)((double)us * a / b);
}

struct req {
	struct nl_msg *msg;
	struct tcmsg *tcm;
	char kind[16];
	struct nlattr *opts;            /* TCA_OPTIONS */
	int n_top;                      /* top-level attributes seen */
};

static void build(struct rtnl_qdisc *q, struct req *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(fault_qdisc_request(q, NLM_F_CREATE | NLM_F_EXCL, &r->msg, NULL), 0);
	struct nlmsghdr *h = nlmsg_hdr(r->msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWQDISC);
	assert_true(h->nlmsg_flags & NLM_F_CREATE);
	assert_true(h->nlmsg_flags & NLM_F_EXCL);
	r->tcm = nlmsg_data(h);
	struct nlattr *a;
	int rem;
	nla_for_each_attr(a, nlmsg_attrdata(h, sizeof(struct tcmsg)),
			  nlmsg_attrlen(h, sizeof(struct tcmsg)), rem) {
		r->n_top++;
		if (nla_type(a) == TCA_KIND)
			snprintf(r->kind, sizeof(r->kind), "%s", (const char *)nla_data(a));
		else if (nla_type(a) == TCA_OPTIONS)
			r->opts = a;
	}
	assert_int_equal(rem, 0);               /* nothing left over after the attributes */
	assert_non_null(r->opts);
}

/* netem: the qopt, then the attributes behind it within TCA_OPTIONS. */
static const struct tc_netem_qopt *netem_parse(const struct req *r,
					       struct nlattr *tb[TCA_NETEM_MAX + 1])
{
	assert_string_equal(r->kind, "netem");
	assert_int_equal(r->n_top, 2);          /* TCA_KIND, TCA_OPTIONS spanning the rest */
	assert_true(nla_len(r->opts) >= (int)sizeof(struct tc_netem_qopt));
	const struct tc_netem_qopt *q = nla_data(r->opts);
	int off = NLA_ALIGN(sizeof(*q));
	memset(tb, 0, sizeof(*tb) * (TCA_NETEM_MAX + 1));
	assert_int_equal(nla_parse(tb, TCA_NETEM_MAX, (struct nlattr *)((char *)nla_data(r->opts) + off),
				   nla_len(r->opts) - off, NULL), 0);
	return q;
}

static void check_tcmsg(const struct req *r, unsigned major)
{
	assert_int_equal(r->tcm->tcm_ifindex, IFINDEX);
	assert_int_equal(r->tcm->tcm_parent, TC_H_ROOT);
	assert_int_equal(r->tcm->tcm_handle, major << 16);
}

static struct topo_fault impair(enum fault_kind k)
{
	struct topo_fault f;
	memset(&f, 0, sizeof(f));
	f.kind = k;
	return f;
}

static void test_latency_jitter_correlation(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_LATENCY);
	f.u.impair.delay_us = 100000;
	f.u.impair.jitter_us = 10000;
	f.u.impair.correlation = 25;
	struct rtnl_qdisc *q;
	struct req r;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, NULL), 0);
	build(q, &r);
	check_tcmsg(&r, FAULT_NETEM_MAJOR);
	const struct tc_netem_qopt *o = netem_parse(&r, tb);
	assert_int_equal(o->latency, ticks(100000));
	assert_int_equal(o->jitter, ticks(10000));
	assert_int_equal(o->limit, 1000);
	assert_int_equal(o->loss, 0);
	assert_int_equal(o->duplicate, 0);
	assert_int_equal(o->gap, 0);
	assert_non_null(tb[TCA_NETEM_CORR]);
	const struct tc_netem_corr *c = nla_data(tb[TCA_NETEM_CORR]);
	assert_int_equal(c->delay_corr, 1073741824u);   /* rint(0.25 * UINT32_MAX) */
	assert_int_equal(c->loss_corr, 0);
	assert_int_equal(c->dup_corr, 0);
	assert_null(tb[TCA_NETEM_REORDER]);
	assert_null(tb[TCA_NETEM_CORRUPT]);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

/* netem correlates delays only with a jitter: no TCA_NETEM_CORR without. */
static void test_latency_plain(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_LATENCY);
	f.u.impair.delay_us = 1500000;
	f.u.impair.correlation = 25;
	struct rtnl_qdisc *q;
	struct req r;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, NULL), 0);
	build(q, &r);
	const struct tc_netem_qopt *o = netem_parse(&r, tb);
	assert_int_equal(o->latency, ticks(1500000));
	assert_int_equal(o->jitter, 0);
	assert_int_equal(nla_len(r.opts), (int)sizeof(struct tc_netem_qopt));
	assert_null(tb[TCA_NETEM_CORR]);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

static void test_duplicate(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_DUPLICATE);
	f.u.impair.percent = 1;
	f.u.impair.correlation = 10;
	struct rtnl_qdisc *q;
	struct req r;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, NULL), 0);
	build(q, &r);
	const struct tc_netem_qopt *o = netem_parse(&r, tb);
	assert_int_equal(o->latency, 0);
	assert_int_equal(o->duplicate, 42949673u);      /* rint(0.01 * UINT32_MAX) */
	assert_non_null(tb[TCA_NETEM_CORR]);
	const struct tc_netem_corr *c = nla_data(tb[TCA_NETEM_CORR]);
	assert_int_equal(c->dup_corr, 429496730u);      /* rint(0.10 * UINT32_MAX) */
	assert_int_equal(c->delay_corr, 0);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

static void test_corrupt(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_CORRUPT);
	f.u.impair.percent = 0.5;
	struct rtnl_qdisc *q;
	struct req r;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, NULL), 0);
	build(q, &r);
	const struct tc_netem_qopt *o = netem_parse(&r, tb);
	assert_int_equal(o->duplicate, 0);
	assert_null(tb[TCA_NETEM_CORR]);
	assert_null(tb[TCA_NETEM_REORDER]);
	assert_non_null(tb[TCA_NETEM_CORRUPT]);
	const struct tc_netem_corrupt *c = nla_data(tb[TCA_NETEM_CORRUPT]);
	assert_int_equal(c->probability, 21474836u);    /* rint(0.005 * UINT32_MAX) */
	assert_int_equal(c->correlation, 0);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

/* Reorder needs a delay (the language's default is 10ms) and a gap of 1. */
static void test_reorder(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_REORDER);
	f.u.impair.percent = 25;
	f.u.impair.correlation = 50;
	struct rtnl_qdisc *q;
	struct req r;
	struct nlattr *tb[TCA_NETEM_MAX + 1];
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, NULL), 0);
	build(q, &r);
	const struct tc_netem_qopt *o = netem_parse(&r, tb);
	assert_int_equal(o->latency, ticks(10000));
	assert_int_equal(o->gap, 1);
	assert_non_null(tb[TCA_NETEM_REORDER]);
	const struct tc_netem_reorder *ro = nla_data(tb[TCA_NETEM_REORDER]);
	assert_int_equal(ro->probability, 1073741824u);
	assert_int_equal(ro->correlation, 2147483648u); /* rint(0.5 * UINT32_MAX), half to even */
	assert_null(tb[TCA_NETEM_CORRUPT]);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

static void test_probability_scale(void **state)
{
	(void)state;
	assert_int_equal(fault_netem_prob(0), 0);
	assert_int_equal(fault_netem_prob(-1), 0);
	assert_int_equal(fault_netem_prob(100), 4294967295u);
	assert_int_equal(fault_netem_prob(150), 4294967295u);
	assert_int_equal(fault_netem_prob(50), 2147483648u);
	assert_int_equal(fault_netem_prob(0.0001), 4295u);
}

static void test_netem_refusals(void **state)
{
	(void)state;
	struct rt_err e = {0};
	struct rtnl_qdisc *q = (struct rtnl_qdisc *)&e;
	struct topo_fault f = impair(FAULT_RATE);
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, &e), -1);
	assert_null(q);
	assert_non_null(strstr(e.msg, "not a netem fault"));
	f = impair(FAULT_LATENCY);
	f.u.impair.delay_us = 300ull * 1000000;
	assert_int_equal(fault_netem_qdisc(&f, IFINDEX, &q, &e), -1);
	assert_non_null(strstr(e.msg, "32-bit"));
}

static void test_tbf(void **state)
{
	(void)state;
	struct topo_fault f = impair(FAULT_RATE);
	f.u.impair.rate_bps = 10000000;
	struct rtnl_qdisc *q;
	struct req r;
	assert_int_equal(fault_tbf_qdisc(&f, 0, IFINDEX, &q, NULL), 0);
	build(q, &r);
	check_tcmsg(&r, FAULT_TBF_MAJOR);
	assert_string_equal(r.kind, "tbf");
	struct nlattr *tb[TCA_TBF_MAX + 1];
	assert_int_equal(nla_parse_nested(tb, TCA_TBF_MAX, r.opts, NULL), 0);
	assert_non_null(tb[TCA_TBF_PARMS]);
	const struct tc_tbf_qopt *o = nla_data(tb[TCA_TBF_PARMS]);
	assert_int_equal(o->rate.rate, 1250000);        /* bytes per second */
	/* burst: 10 ms at the rate = 12500 bytes; limit: burst + 50 ms of rate */
	assert_int_equal(o->limit, 12500 + 62500);
	assert_true(o->buffer > 0);
	nlmsg_free(r.msg);
	rtnl_qdisc_put(q);
}

static void test_tbf_burst(void **state)
{
	(void)state;
	assert_int_equal(fault_tbf_burst(1000000, 0), 2 * 1514);     /* two frames at least */
	assert_int_equal(fault_tbf_burst(10000000, 1500), 12500);
	assert_int_equal(fault_tbf_burst(10000000, 9000), 2 * 9014);
	assert_int_equal(fault_tbf_burst(1000000000, 0), 1250000);
	struct topo_fault f = impair(FAULT_RATE);
	struct rtnl_qdisc *q;
	struct rt_err e = {0};
	f.u.impair.rate_bps = 4;
	assert_int_equal(fault_tbf_qdisc(&f, 0, IFINDEX, &q, &e), -1);
	f.u.impair.rate_bps = 100ull * 1000 * 1000 * 1000;
	assert_int_equal(fault_tbf_qdisc(&f, 0, IFINDEX, &q, &e), -1);
	assert_non_null(strstr(e.msg, "too large"));
}

/* Top-level attributes of a tc request: TCA_KIND into kind, TCA_OPTIONS. */
static struct nlattr *tc_attrs(struct nl_msg *msg, char *kind, size_t len)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *a, *opts = NULL;
	int rem;
	kind[0] = '\0';
	nla_for_each_attr(a, nlmsg_attrdata(h, sizeof(struct tcmsg)),
			  nlmsg_attrlen(h, sizeof(struct tcmsg)), rem) {
		if (nla_type(a) == TCA_KIND)
			snprintf(kind, len, "%s", (const char *)nla_data(a));
		else if (nla_type(a) == TCA_OPTIONS)
			opts = a;
	}
	assert_int_equal(rem, 0);
	return opts;
}

static void test_ingress(void **state)
{
	(void)state;
	struct rtnl_qdisc *q;
	struct nl_msg *msg;
	char kind[16];
	assert_int_equal(fault_ingress_qdisc(IFINDEX, &q, NULL), 0);
	assert_int_equal(fault_qdisc_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg, NULL), 0);
	struct tcmsg *t = nlmsg_data(nlmsg_hdr(msg));
	assert_int_equal(t->tcm_ifindex, IFINDEX);
	assert_int_equal(t->tcm_parent, TC_H_INGRESS);
	assert_int_equal(t->tcm_handle, 0xffff0000u);
	tc_attrs(msg, kind, sizeof(kind));
	assert_string_equal(kind, "ingress");
	nlmsg_free(msg);
	rtnl_qdisc_put(q);
}

static void test_redirect_filter(void **state)
{
	(void)state;
	struct rtnl_cls *f;
	struct nl_msg *msg;
	char kind[16];
	assert_int_equal(fault_redirect_filter(IFINDEX, 42, &f, NULL), 0);
	assert_int_equal(rtnl_cls_build_add_request(f, NLM_F_CREATE | NLM_F_EXCL, &msg), 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_NEWTFILTER);
	struct tcmsg *t = nlmsg_data(h);
	assert_int_equal(t->tcm_ifindex, IFINDEX);
	assert_int_equal(t->tcm_parent, 0xffff0000u);
	/* tcm_info: priority (aspen's mark on the filter) and protocol (all). */
	assert_int_equal(TC_H_MAJ(t->tcm_info) >> 16, FAULT_INGRESS_PRIO);
	assert_int_equal(TC_H_MIN(t->tcm_info), htons(ETH_P_ALL));
	struct nlattr *opts = tc_attrs(msg, kind, sizeof(kind));
	assert_string_equal(kind, "u32");
	assert_non_null(opts);
	struct nlattr *u[TCA_U32_MAX + 1];
	assert_int_equal(nla_parse_nested(u, TCA_U32_MAX, opts, NULL), 0);
	/* One key, mask 0 at offset 0: every frame; terminal, so the action runs. */
	assert_non_null(u[TCA_U32_SEL]);
	const struct tc_u32_sel *sel = nla_data(u[TCA_U32_SEL]);
	assert_true(sel->flags & TC_U32_TERMINAL);
	assert_int_equal(sel->nkeys, 1);
	assert_true(nla_len(u[TCA_U32_SEL]) >= (int)(sizeof(*sel) + sizeof(sel->keys[0])));
	assert_int_equal(sel->keys[0].mask, 0);
	assert_int_equal(sel->keys[0].off, 0);
	/* The action list: action 1 is mirred, egress redirect to the ifb, stolen. */
	assert_non_null(u[TCA_U32_ACT]);
	struct nlattr *acts[TCA_ACT_MAX_PRIO + 1], *act[TCA_ACT_MAX + 1], *mir[TCA_MIRRED_MAX + 1];
	assert_int_equal(nla_parse_nested(acts, TCA_ACT_MAX_PRIO, u[TCA_U32_ACT], NULL), 0);
	assert_non_null(acts[1]);
	assert_null(acts[2]);
	assert_int_equal(nla_parse_nested(act, TCA_ACT_MAX, acts[1], NULL), 0);
	assert_non_null(act[TCA_ACT_KIND]);
	assert_string_equal((const char *)nla_data(act[TCA_ACT_KIND]), "mirred");
	assert_non_null(act[TCA_ACT_OPTIONS]);
	assert_int_equal(nla_parse_nested(mir, TCA_MIRRED_MAX, act[TCA_ACT_OPTIONS], NULL), 0);
	assert_non_null(mir[TCA_MIRRED_PARMS]);
	const struct tc_mirred *m = nla_data(mir[TCA_MIRRED_PARMS]);
	assert_int_equal(m->eaction, TCA_EGRESS_REDIR);
	assert_int_equal(m->ifindex, 42);
	assert_int_equal(m->action, TC_ACT_STOLEN);
	nlmsg_free(msg);
	rtnl_cls_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_jitter_correlation),
		cmocka_unit_test(test_latency_plain),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_probability_scale),
		cmocka_unit_test(test_netem_refusals),
		cmocka_unit_test(test_tbf),
		cmocka_unit_test(test_tbf_burst),
		cmocka_unit_test(test_ingress),
		cmocka_unit_test(test_redirect_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
