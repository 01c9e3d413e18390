/* test_fault_share.c — a host's share of a fault across hosts, without a kernel.
 *
 * A multi-host topology is compiled on every host for its part; the fault
 * engine then applies only what concerns the nodes placed there
 * (docs/faults.md, "Faults across hosts"). Here a three-node dual-stack
 * topology is loaded and placed by hand (n1 on h1; n2, n3 on h2, as the
 * compiler's placement would set host_idx / has_here / here), and the
 * nf_tables rules each host builds (fault_nft_rules) are read back as
 * text, rule by rule: ports where the node is here, MACs and addresses
 * where it is not, nothing where neither side is. Then the shares of the
 * other mechanisms and the no-op record of a host with no share, whose
 * apply and revert must touch nothing (they would need root and a kernel
 * here if they tried). */
#include "tests/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "runtime/fault.h"
#include "runtime/fault_int.h"

static const char topo_yaml[] =
	"apiVersion: aspen/v1\n"
	"name: mh\n"
	"defaults: {kind: netns}\n"
	"networks:\n"
	"  lan: {subnet: 10.9.0.0/24, gateway: 10.9.0.1, subnet6: 'fd00:9::/64', gateway6: 'fd00:9::1'}\n"
	"nodes:\n"
	"  n1: {interfaces: [{network: lan, ip: 10.9.0.2, ip6: 'fd00:9::2', mac: '02:aa:00:00:00:01'}]}\n"
	"  n2: {interfaces: [{network: lan, ip: 10.9.0.3, ip6: 'fd00:9::3', mac: '02:aa:00:00:00:02'}]}\n"
	"  n3: {interfaces: [{network: lan, ip: 10.9.0.4, ip6: 'fd00:9::4', mac: '02:aa:00:00:00:03'}]}\n"
	"faults:\n"
	"  - {at: 1s, for: 1s, partition: [[n1], [n2, n3]]}\n"           /* 0 */
	"  - {at: 1s, for: 1s, partition: {from: [n1], to: [n2]}}\n"      /* 1 */
	"  - {at: 1s, for: 1s, partition: {from: [n2], to: [n1]}}\n"      /* 2 */
	"  - {at: 1s, for: 1s, partition: {from: [n2], to: [n3]}}\n"      /* 3 */
	"  - {at: 1s, for: 1s, partition: {isolate: n2}}\n"               /* 4 */
	"  - {at: 1s, for: 1s, loss: {nodes: [n2], percent: 30%}}\n"      /* 5 */
	"  - {at: 1s, for: 1s, link-down: [n2]}\n"                        /* 6 */
	"  - {at: 1s, kill: n2}\n"                                        /* 7 */
	"  - {at: 1s, for: 1s, rate: {nodes: [n2], rate: 5mbit}}\n"       /* 8 */
	"  - {at: 1s, for: 1s, pause: n1}\n";                             /* 9 */

static struct topology *load(void)
{
	struct diag_list d;
	diag_init(&d, "mh.yaml");
	struct topology *t = topo_load_buffer("mh.yaml", topo_yaml, sizeof(topo_yaml) - 1, &d);
	if (!t || diag_failed(&d))
		diag_print(&d, stderr, DIAG_TEXT, false);
	assert_non_null(t);
	assert_false(diag_failed(&d));
	diag_clear(&d);
	assert_int_equal(t->n_faults, 10);
	return t;
}

/* Place n1 on h1 and n2, n3 on h2, as compiled for host `here` (-1: the
 * whole topology, a one-host compile). */
static void place(struct topology *t, int here)
{
	static struct topo_host hosts[2] = {{.name = "h1"}, {.name = "h2"}};
	t->hosts = hosts;
	t->n_hosts = 2;
	t->nodes[topo_find_node(t, "n1")].host_idx = 0;
	t->nodes[topo_find_node(t, "n2")].host_idx = 1;
	t->nodes[topo_find_node(t, "n3")].host_idx = 1;
	t->has_here = here >= 0;
	t->here = here >= 0 ? (size_t)here : 0;
}

/* ---- reading rules back as text ---- */

static void cat(char *buf, size_t len, const char *s)
{
	size_t l = strlen(buf);
	snprintf(buf + l, len - l, "%s", s);
}

static void value(char *buf, size_t len, const cJSON *v)
{
	char tmp[64];
	if (cJSON_IsString(v)) {
		cat(buf, len, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		snprintf(tmp, sizeof(tmp), "%.0f", v->valuedouble);
		cat(buf, len, tmp);
	} else if (cJSON_GetObjectItem(v, "set")) {
		const cJSON *x;
		bool first = true;
		cat(buf, len, "{");
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(v, "set")) {
			if (!first)
				cat(buf, len, ",");
			first = false;
			value(buf, len, x);
		}
		cat(buf, len, "}");
	} else {
		fail_msg("unexpected value in a rule");
	}
}

/* "iifname as-..-n1-0 ether daddr {02:..,02:..} drop" for one "add rule". */
static void rule_text(const cJSON *cmd, char *buf, size_t len)
{
	const cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(cmd, "add"), "rule");
	assert_non_null(r);
	assert_string_equal(cJSON_GetObjectItem(r, "family")->valuestring, "bridge");
	assert_string_equal(cJSON_GetObjectItem(r, "chain")->valuestring, "fault-x");
	buf[0] = '\0';
	const cJSON *x;
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "expr")) {
		const cJSON *m = cJSON_GetObjectItem(x, "match");
		if (cJSON_HasObjectItem(x, "counter"))
			continue;
		if (buf[0])
			cat(buf, len, " ");
		if (cJSON_HasObjectItem(x, "drop")) {
			cat(buf, len, "drop");
			continue;
		}
		assert_non_null(m);
		const cJSON *l = cJSON_GetObjectItem(m, "left");
		if (cJSON_GetObjectItem(l, "meta")) {
			cat(buf, len, cJSON_GetObjectItem(cJSON_GetObjectItem(l, "meta"), "key")->valuestring);
		} else if (cJSON_GetObjectItem(l, "payload")) {
			const cJSON *p = cJSON_GetObjectItem(l, "payload");
			cat(buf, len, cJSON_GetObjectItem(p, "protocol")->valuestring);
			cat(buf, len, " ");
			cat(buf, len, cJSON_GetObjectItem(p, "field")->valuestring);
		} else if (cJSON_GetObjectItem(l, "numgen")) {
			cat(buf, len, "numgen");
		}
		cat(buf, len, " ");
		cat(buf, len, cJSON_GetObjectItem(m, "op")->valuestring);
		cat(buf, len, " ");
		value(buf, len, cJSON_GetObjectItem(m, "right"));
	}
}

/* The rules host `here` builds for faults[i], compared with want[0..n)
 * (port names P1, P2, P3 stand for the nodes' host ends). */
static void expect_rules(struct topology *t, int here, size_t i, const char *const *want,
			 size_t n)
{
	char p[3][IFNAMSIZ_ASPEN + 4];
	for (int k = 0; k < 3; k++)
		snprintf(p[k], sizeof(p[k]), "%s", t->nodes[k].ifaces[0].host_name);
	place(t, here);
	cJSON *cmds = cJSON_CreateArray();
	struct rt_err e = {0};
	int got = fault_nft_rules(cmds, "aspen-mh", "fault-x", t, &t->faults[i], &e);
	assert_int_equal(got, (int)n);
	assert_int_equal(cJSON_GetArraySize(cmds), (int)n);
	for (size_t k = 0; k < n; k++) {
		char text[512], exp[512] = "";
		rule_text(cJSON_GetArrayItem(cmds, (int)k), text, sizeof(text));
		/* expand P1..P3 in want[k] */
		for (const char *s = want[k]; *s; s++) {
			if (s[0] == 'P' && s[1] >= '1' && s[1] <= '3') {
				cat(exp, sizeof(exp), p[s[1] - '1']);
				s++;
			} else {
				char c[2] = {*s, 0};
				cat(exp, sizeof(exp), c);
			}
		}
		if (strcmp(text, exp) != 0)
			fail_msg("faults[%zu] on host %d, rule %zu:\n  got  %s\n  want %s", i, here, k,
				 text, exp);
	}
	cJSON_Delete(cmds);
}

#define M1 "02:aa:00:00:00:01"
#define M2 "02:aa:00:00:00:02"
#define M3 "02:aa:00:00:00:03"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One host: today's rules, by port, and by destination address. */
static void test_groups_one_host(void **state)
{
	(void)state;
	struct topology *t = load();
	static const char *const want[] = {
		"iifname == P1 oifname == {P2,P3} drop",
		"iifname == P1 ip daddr == {10.9.0.3,10.9.0.4} drop",
		"iifname == P1 ip6 daddr == {fd00:9::3,fd00:9::4} drop",
		"iifname == {P2,P3} oifname == P1 drop",
		"iifname == {P2,P3} ip daddr == 10.9.0.2 drop",
		"iifname == {P2,P3} ip6 daddr == fd00:9::2 drop",
	};
	expect_rules(t, -1, 0, want, N(want));
	topo_free(t);
}

/* [[n1], [n2, n3]]: each host cuts, on its own ports, both directions:
 * to the other side by destination MAC / address, from it by source. */
static void test_groups_across(void **state)
{
	(void)state;
	struct topology *t = load();
	static const char *const h1[] = {
		"iifname == P1 ether daddr == {" M2 "," M3 "} drop",
		"iifname == P1 ip daddr == {10.9.0.3,10.9.0.4} drop",
		"iifname == P1 ip6 daddr == {fd00:9::3,fd00:9::4} drop",
		"oifname == P1 ether saddr == {" M2 "," M3 "} drop",
		"oifname == P1 ip saddr == {10.9.0.3,10.9.0.4} drop",
		"oifname == P1 ip6 saddr == {fd00:9::3,fd00:9::4} drop",
	};
	expect_rules(t, 0, 0, h1, N(h1));
	static const char *const h2[] = {
		"oifname == {P2,P3} ether saddr == " M1 " drop",
		"oifname == {P2,P3} ip saddr == 10.9.0.2 drop",
		"oifname == {P2,P3} ip6 saddr == fd00:9::2 drop",
		"iifname == {P2,P3} ether daddr == " M1 " drop",
		"iifname == {P2,P3} ip daddr == 10.9.0.2 drop",
		"iifname == {P2,P3} ip6 daddr == fd00:9::2 drop",
	};
	expect_rules(t, 1, 0, h2, N(h2));
	topo_free(t);
}

/* One-way n1 -> n2: only that direction, on both hosts; n2 -> n1 the
 * mirror; n2 -> n3 both on h2: nothing on h1, today's rules on h2. */
static void test_oneway_across(void **state)
{
	(void)state;
	struct topology *t = load();
	static const char *const a_h1[] = {
		"iifname == P1 ether daddr == " M2 " drop",
		"iifname == P1 ip daddr == 10.9.0.3 drop",
		"iifname == P1 ip6 daddr == fd00:9::3 drop",
	};
	static const char *const a_h2[] = {
		"oifname == P2 ether saddr == " M1 " drop",
		"oifname == P2 ip saddr == 10.9.0.2 drop",
		"oifname == P2 ip6 saddr == fd00:9::2 drop",
	};
	expect_rules(t, 0, 1, a_h1, N(a_h1));
	expect_rules(t, 1, 1, a_h2, N(a_h2));
	static const char *const b_h1[] = {
		"oifname == P1 ether saddr == " M2 " drop",
		"oifname == P1 ip saddr == 10.9.0.3 drop",
		"oifname == P1 ip6 saddr == fd00:9::3 drop",
	};
	static const char *const b_h2[] = {
		"iifname == P2 ether daddr == " M1 " drop",
		"iifname == P2 ip daddr == 10.9.0.2 drop",
		"iifname == P2 ip6 daddr == fd00:9::2 drop",
	};
	expect_rules(t, 0, 2, b_h1, N(b_h1));
	expect_rules(t, 1, 2, b_h2, N(b_h2));
	static const char *const c_h2[] = {
		"iifname == P2 oifname == P3 drop",
		"iifname == P2 ip daddr == 10.9.0.4 drop",
		"iifname == P2 ip6 daddr == fd00:9::4 drop",
	};
	expect_rules(t, 0, 3, NULL, 0);
	expect_rules(t, 1, 3, c_h2, N(c_h2));
	topo_free(t);
}

/* A grudge is a set of one-way cuts: the same share as the one-way. */
static void test_grudge_across(void **state)
{
	(void)state;
	struct topology *t = load();
	t->faults[1].u.partition.mode = PART_GRUDGE;
	static const char *const h1[] = {
		"iifname == P1 ether daddr == " M2 " drop",
		"iifname == P1 ip daddr == 10.9.0.3 drop",
		"iifname == P1 ip6 daddr == fd00:9::3 drop",
	};
	expect_rules(t, 0, 1, h1, N(h1));
	topo_free(t);
}

/* Isolate n2: by its ports on its own host; elsewhere every frame with
 * its MAC or addresses, either way. */
static void test_isolate_across(void **state)
{
	(void)state;
	struct topology *t = load();
	static const char *const h1[] = {
		"ether saddr == " M2 " drop",
		"ether daddr == " M2 " drop",
		"ip saddr == 10.9.0.3 drop",
		"ip daddr == 10.9.0.3 drop",
		"ip6 saddr == fd00:9::3 drop",
		"ip6 daddr == fd00:9::3 drop",
	};
	static const char *const h2[] = {
		"iifname == P2 drop",
		"oifname == P2 drop",
	};
	expect_rules(t, 0, 4, h1, N(h1));
	expect_rules(t, 1, 4, h2, N(h2));
	expect_rules(t, -1, 4, h2, N(h2));
	topo_free(t);
}

/* Loss draws on the node's own host only (once per frame, not twice). */
static void test_loss_across(void **state)
{
	(void)state;
	struct topology *t = load();
	static const char *const h2[] = {"iifname == P2 numgen < 300000 drop",
					 "oifname == P2 numgen < 300000 drop"};   /* direction: both */
	expect_rules(t, 0, 5, NULL, 0);
	expect_rules(t, 1, 5, h2, N(h2));
	topo_free(t);
}

/* The share of each kind on each host: ports placed here, 0 for none. */
static void test_shares(void **state)
{
	(void)state;
	struct topology *t = load();
	static const struct {
		size_t fault;
		int h1, h1_ports, h2, h2_ports;
	} cases[] = {
		{0, 1, 1, 1, 2},        /* groups: both sides hold ports */
		{1, 1, 1, 1, 1},        /* one-way n1 -> n2 */
		{3, 0, 0, 1, 2},        /* one-way n2 -> n3: none on h1 */
		{4, 1, 0, 1, 1},        /* isolate n2: MAC rules on h1, no port */
		{5, 0, 0, 1, 1},        /* loss */
		{6, 0, 0, 1, 1},        /* link-down */
		{7, 0, 0, 1, 1},        /* kill */
		{8, 0, 0, 1, 1},        /* rate */
		{9, 1, 1, 0, 0},        /* pause n1 */
	};
	for (size_t i = 0; i < N(cases); i++) {
		size_t ports = 99;
		const struct topo_fault *f = &t->faults[cases[i].fault];
		place(t, 0);
		assert_int_equal(fault_share(t, f, &ports, NULL), cases[i].h1);
		assert_int_equal(ports, cases[i].h1_ports);
		place(t, 1);
		assert_int_equal(fault_share(t, f, &ports, NULL), cases[i].h2);
		assert_int_equal(ports, cases[i].h2_ports);
		place(t, -1);
		assert_int_equal(fault_share(t, f, &ports, NULL), 1);
	}
	topo_free(t);
}

/* No share here: the record says so, apply and revert succeed and touch
 * nothing (the capability probe, libnftables, netlink and signals all
 * need root: reaching any of them would fail here or change the system);
 * the netem check does not refuse a fault that does not run here. */
static void test_no_local_share_record(void **state)
{
	(void)state;
	struct topology *t = load();
	struct rt_ctx c;
	memset(&c, 0, sizeof(c));
	c.topology = "mh";
	place(t, 0);
	static const size_t none_here[] = {3, 5, 6, 7, 8};
	for (size_t i = 0; i < N(none_here); i++) {
		const struct topo_fault *f = &t->faults[none_here[i]];
		cJSON *rec = NULL;
		struct rt_err e = {0};
		assert_int_equal(fault_prepare(&c, t, f, "f3", &rec, &e), 0);
		assert_non_null(rec);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "no_local_share")));
		assert_string_equal(cJSON_GetObjectItem(rec, "host")->valuestring, "h1");
		assert_int_equal(cJSON_GetObjectItem(rec, "local_ports")->valueint, 0);
		assert_null(cJSON_GetObjectItem(rec, "nft"));       /* no mechanism field */
		assert_null(cJSON_GetObjectItem(rec, "qdiscs"));
		assert_null(cJSON_GetObjectItem(rec, "links"));
		assert_null(cJSON_GetObjectItem(rec, "nodes"));
		assert_int_equal(fault_check_supported(t, f, &e), 0);
		assert_int_equal(fault_apply(&c, t, f, rec, &e), 0);
		assert_int_equal(fault_revert(&c, rec, &e), 0);
		assert_int_equal(fault_revert(&c, rec, &e), 0);
		cJSON_Delete(rec);
	}
	/* A share here: the record names it and carries the mechanism's part. */
	cJSON *rec = NULL;
	struct rt_err e = {0};
	assert_int_equal(fault_prepare(&c, t, &t->faults[0], "f0", &rec, &e), 0);
	assert_null(cJSON_GetObjectItem(rec, "no_local_share"));
	assert_int_equal(cJSON_GetObjectItem(rec, "local_ports")->valueint, 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "nft"),
								     "chain")), "fault-f0");
	cJSON_Delete(rec);
	/* One-host compile: the record is today's, without host fields. */
	place(t, -1);
	assert_int_equal(fault_prepare(&c, t, &t->faults[0], "f0", &rec, &e), 0);
	assert_null(cJSON_GetObjectItem(rec, "host"));
	assert_null(cJSON_GetObjectItem(rec, "local_ports"));
	cJSON_Delete(rec);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_one_host),
		cmocka_unit_test(test_groups_across),
		cmocka_unit_test(test_oneway_across),
		cmocka_unit_test(test_grudge_across),
		cmocka_unit_test(test_isolate_across),
		cmocka_unit_test(test_loss_across),
		cmocka_unit_test(test_shares),
		cmocka_unit_test(test_no_local_share_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
