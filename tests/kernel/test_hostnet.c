/* test_hostnet.c — hostnet_preflight against a live namespace.
 *
 * Runs as root inside tests/sandbox.sh, which stands in for the host: each
 * test gives the namespace an address or route with ip(8), plans a one-
 * network topology against an empty system, and checks what the preflight
 * says. Covered beyond tests/e2e/host_routes.sh: routes without a device
 * (blackhole), host /32 addresses, links carrying another topology's mark
 * (left to the check between topologies), default routes, and plans that
 * put no gateway on the host. Every test removes what it made. */
#include "tests/testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "compiler/compile.h"
#include "runtime/nl.h"
#include "runtime/runtime.h"

__attribute__((format(printf, 1, 2)))
static void sh(const char *fmt, ...)
{
	char cmd[512], full[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	int st = system(full);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("failed: %s", cmd);
}

/* Plan the topology yaml (n bytes) against an empty system and run the
 * preflight of one family (through its own socket: host NULL); the other
 * family's passes on it, and a plan that creates nothing puts nothing on
 * the host. Returns the result; the message, if any, in e. */
static int check_yaml(const char *yaml, int n, bool v6, struct rt_err *e)
{
	int (*pre)(struct nl *, const struct topology *, const struct plan *, struct rt_err *) =
		v6 ? hostnet6_preflight : hostnet_preflight;
	int (*other)(struct nl *, const struct topology *, const struct plan *, struct rt_err *) =
		v6 ? hostnet_preflight : hostnet6_preflight;
	struct diag_list d;
	diag_init(&d, "hn.yaml");
	struct topology *t = topo_load_buffer("hn.yaml", yaml, (size_t)n, &d);
	assert_non_null(t);
	if (diag_failed(&d)) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		fail_msg("topology does not validate");
	}
	struct res_list desired = {0}, observed = {0};
	topo_lower(t, &desired);
	struct plan p;
	assert_int_equal(plan_compute(&p, t, &desired, &observed, &d), 0);
	*e = (struct rt_err){0};
	int rc = pre(NULL, t, &p, e);
	struct rt_err eo = {0};
	assert_int_equal(other(NULL, t, &p, &eo), 0);
	struct plan none = {0};
	struct rt_err e2 = {0};
	assert_int_equal(pre(NULL, t, &none, &e2), 0);
	plan_free(&p);
	topo_free(t);
	diag_clear(&d);
	return rc;
}

/* Plan "lan: {subnet: SUBNET[, gateway: GW]}" and run the preflight. */
static int check(const char *subnet, const char *gw, struct rt_err *e)
{
	char yaml[512];
	int n = snprintf(yaml, sizeof(yaml),
			 "apiVersion: aspen/v1\nname: hn\nnetworks:\n  lan: {subnet: %s%s%s}\n"
			 "nodes:\n  a: {kind: netns, interfaces: [{network: lan}]}\n",
			 subnet, gw ? ", gateway: " : "", gw ? gw : "");
	return check_yaml(yaml, n, false, e);
}

static void expect_refused(const char *subnet, const char *gw, const char *what)
{
	struct rt_err e;
	assert_int_equal(check(subnet, gw, &e), -1);
	char want[200];
	snprintf(want, sizeof(want), "hn.yaml:4:17: network lan (%s, gateway %s on the host) "
		 "overlaps %s", subnet, gw, what);
	if (!strstr(e.msg, want))
		fail_msg("message lacks \"%s\":\n%s", want, e.msg);
	assert_non_null(strstr(e.msg, "1 network overlaps the host's own addresses or routes; "
			       "nothing was changed"));
}

static void expect_ok(const char *subnet, const char *gw)
{
	struct rt_err e;
	if (check(subnet, gw, &e) != 0)
		fail_msg("%s refused: %s", subnet, e.msg);
}

static void test_clean_host(void **state)
{
	(void)state;
	expect_ok("10.40.0.0/24", "10.40.0.1");
}

static void test_blackhole_route(void **state)
{
	(void)state;
	sh("ip route add blackhole 10.50.0.0/16");
	expect_refused("10.50.1.0/24", "10.50.1.1", "the host's route 10.50.0.0/16 (table main)");
	expect_ok("10.51.0.0/24", "10.51.0.1");         /* next to it */
	expect_ok("10.50.1.0/24", NULL);                /* no gateway: nothing on the host */
	sh("ip route del blackhole 10.50.0.0/16");
	expect_ok("10.50.1.0/24", "10.50.1.1");
}

static void test_host_address(void **state)
{
	(void)state;
	sh("ip addr add 10.55.0.9/32 dev lo");
	expect_refused("10.55.0.0/24", "10.55.0.1", "the host's address 10.55.0.9/32 on lo");
	sh("ip addr del 10.55.0.9/32 dev lo");
}

/* Addresses and routes on links with an aspen mark are not the host's:
 * this topology's on re-apply, another's for the check between topologies. */
static void test_marked_link_left_out(void **state)
{
	(void)state;
	sh("ip link add tb-hn type bridge");
	sh("ip link set tb-hn alias aspen:other:bridge/lan up");
	sh("ip addr add 10.60.0.1/24 dev tb-hn");
	sh("ip route add 10.61.0.0/16 dev tb-hn");
	expect_ok("10.60.0.0/24", "10.60.0.1");
	expect_ok("10.61.5.0/24", "10.61.5.1");
	sh("ip link set tb-hn alias someone-elses");
	expect_refused("10.60.0.0/24", "10.60.0.1",
		       "the host's address 10.60.0.1/24 on tb-hn (and 1 more of the host's "
		       "addresses and routes)");
	expect_refused("10.61.5.0/24", "10.61.5.1", "the host's route 10.61.0.0/16 dev tb-hn "
		       "(table main)");
	sh("ip link del tb-hn");
}

static void test_default_route_left_out(void **state)
{
	(void)state;
	sh("ip link add tb-up type veth peer name tb-upp");
	sh("ip link set tb-up up");
	sh("ip link set tb-upp up");
	sh("ip addr add 192.0.2.5/24 dev tb-up");
	sh("ip route add default via 192.0.2.1");
	sh("ip route add default via 192.0.2.1 table 7");
	expect_ok("10.90.0.0/24", "10.90.0.1");
	expect_refused("192.0.2.0/28", "192.0.2.1", "the host's address 192.0.2.5/24 on tb-up "
		       "(and 1 more of the host's addresses and routes)");
	sh("ip link del tb-up");
}

/* ---------------- IPv6: hostnet6_preflight ---------------- */

/* Plan "lan: {subnet: 10.30.0.0/24, subnet6: SUBNET6[, gateway6: GW6]}"
 * and run the IPv6 preflight. */
static int check6(const char *subnet6, const char *gw6, struct rt_err *e)
{
	char yaml[512];
	int n = snprintf(yaml, sizeof(yaml),
			 "apiVersion: aspen/v1\nname: hn\nnetworks:\n"
			 "  lan: {subnet: 10.30.0.0/24, subnet6: \"%s\"%s%s%s}\n"
			 "nodes:\n  a: {kind: netns, interfaces: [{network: lan}]}\n",
			 subnet6, gw6 ? ", gateway6: \"" : "", gw6 ? gw6 : "", gw6 ? "\"" : "");
	return check_yaml(yaml, n, true, e);
}

static void expect6(const char *subnet6, const char *gw6, const char *what)
{
	struct rt_err e;
	int rc = check6(subnet6, gw6, &e);
	if (!what) {
		if (rc != 0)
			fail_msg("%s refused: %s", subnet6, e.msg);
		return;
	}
	assert_int_equal(rc, -1);
	char want[300];
	snprintf(want, sizeof(want), "hn.yaml:4:40: network lan (%s, gateway6 %s on the host) "
		 "overlaps %s", subnet6, gw6, what);
	if (!strstr(e.msg, want))
		fail_msg("message lacks \"%s\":\n%s", want, e.msg);
	assert_non_null(strstr(e.msg, "1 IPv6 subnet overlaps the host's own addresses or "
			       "routes; nothing was changed"));
}

static void test_ipv6(void **state)
{
	(void)state;
	expect6("fd00:40::/64", "fd00:40::1", NULL);
	sh("ip -6 route add blackhole fd00:50::/32");
	expect6("fd00:50:1::/64", "fd00:50:1::1", "the host's route fd00:50::/32 dev lo");
	expect6("fd00:51::/64", "fd00:51::1", NULL);            /* next to it */
	expect6("fd00:50:1::/64", NULL, NULL);                  /* no gateway6: nothing on the host */
	sh("ip -6 route del blackhole fd00:50::/32");
	sh("ip -6 addr add fd00:55::9/128 dev lo");
	expect6("fd00:55::/64", "fd00:55::1", "the host's address fd00:55::9/128 on lo");
	sh("ip -6 addr del fd00:55::9/128 dev lo");
	/* a link aspen marked, and the link-local routes every link has */
	sh("ip link add tb-hn6 type bridge");
	sh("ip link set tb-hn6 alias aspen:other:bridge/lan up");
	sh("ip -6 addr add fd00:60::1/64 dev tb-hn6 nodad");
	expect6("fd00:60::/64", "fd00:60::1", NULL);
	sh("ip link set tb-hn6 alias someone-elses");
	expect6("fd00:60::/64", "fd00:60::1", "the host's address fd00:60::1/64 on tb-hn6 (and 1 "
		"more of the host's addresses and routes)");
	sh("ip link del tb-hn6");
}

int main(void)
{
	if (!getenv("ASPEN_SANDBOX")) {
		printf("test_hostnet: needs tests/sandbox.sh (ASPEN_SANDBOX unset)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_host),
		cmocka_unit_test(test_blackhole_route),
		cmocka_unit_test(test_host_address),
		cmocka_unit_test(test_marked_link_left_out),
		cmocka_unit_test(test_default_route_left_out),
		cmocka_unit_test(test_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
