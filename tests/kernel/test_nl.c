/* test_nl.c — the netlink, TAP and namespace primitives against the kernel.
 *
 * Runs as root inside tests/sandbox.sh (private net, mount and pid
 * namespaces, /run a tmpfs), so nothing here can reach the host's links.
 * What the runtime does is checked with an independent tool: `ip -j` output
 * parsed with cJSON, and `ip netns exec ... ping` for traffic. Every test
 * removes what it made; the last one checks that nothing is left. */
#include "tests/testutil.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"
#include "runtime/tap.h"

static struct nl *host;         /* handle in the sandbox's namespace */

/* ---------------- independent checks through ip(8) ---------------- */

__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[600];
	snprintf(full, sizeof(full), "%s >/dev/null 2>&1", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run an `ip -j` command line and parse its output; NULL on failure. */
__attribute__((format(printf, 1, 2)))
static cJSON *ipj(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[600];
	snprintf(full, sizeof(full), "%s 2>/dev/null", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	int st = pclose(p);
	buf[n] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return NULL;
	return cJSON_Parse(buf);
}

/* `ip [-n ns] -j -d link show name` as one object (caller deletes the
 * returned array through *root), NULL if the link does not exist. */
static cJSON *ip_link(const char *ns, const char *name, cJSON **root)
{
	if (ns)
		*root = ipj("ip -n %s -j -d link show dev %s", ns, name);
	else
		*root = ipj("ip -j -d link show dev %s", name);
	if (!*root)
		return NULL;
	return cJSON_GetArrayItem(*root, 0);
}

static bool ip_link_exists(const char *ns, const char *name)
{
	cJSON *root;
	bool ok = ip_link(ns, name, &root) != NULL;
	cJSON_Delete(root);
	return ok;
}

static const char *jstr(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valueint : -1;
}

static bool jflag(cJSON *link, const char *flag)
{
	cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(link, "flags"))
		if (cJSON_IsString(f) && strcmp(f->valuestring, flag) == 0)
			return true;
	return false;
}

/* True when `ip [-n ns] -j addr show dev` lists cidr on the link. */
static bool ip_has_addr(const char *ns, const char *dev, const char *cidr)
{
	cJSON *root = ns ? ipj("ip -n %s -j addr show dev %s", ns, dev)
			 : ipj("ip -j addr show dev %s", dev);
	bool found = false;
	cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(root, 0),
							       "addr_info")) {
		char s[64];
		snprintf(s, sizeof(s), "%s/%d", jstr(a, "local") ? jstr(a, "local") : "",
			 jint(a, "prefixlen"));
		found |= strcmp(s, cidr) == 0;
	}
	cJSON_Delete(root);
	return found;
}

/* ---------------- helpers ---------------- */

/* OK(call) asserts call returns 0 and shows the error message if not; the
 * call passes E as its struct rt_err *. */
#define OK(call) do { struct rt_err e_ = { 0 }; \
	if ((call) != 0) fail_msg("%s: %s", #call, e_.msg); } while (0)
#define E (&e_)

static struct nl *open_in(const char *ns, int *fd)
{
	struct nl *nl;
	OK(netns_open(ns, fd, E));
	OK(nl_open(&nl, *fd, E));
	return nl;
}

static int link_index(struct nl *nl, const char *name)
{
	struct nl_link_info l;
	OK(nl_link_find(nl, name, &l, E));
	return l.ifindex;
}

static void bridge(const char *name, const char *mark, unsigned mtu)
{
	struct nl_bridge_opts o = { .name = name, .alias = mark, .mtu = mtu, .up = true };
	OK(nl_bridge_add(host, &o, E));
}

/* A veth name-mark whose peer is eth0 in ns, on bridge br, up on both ends. */
static void veth(const char *name, const char *mark, int br, const char *ns, struct nl *ns_nl,
		 int ns_fd, const unsigned char *mac, unsigned mtu)
{
	struct nl_veth_opts o = {
		.name = name, .alias = mark, .master = br, .mtu = mtu, .up = true,
		.peer_name = "eth0", .peer_netns_fd = ns_fd, .peer_mac = mac, .peer_up = true,
		.peer_nl = ns_nl,
	};
	OK(nl_veth_add(host, &o, E));
}

/* ---------------- links ---------------- */

static void test_bridge_create_find_alias(void **state)
{
	bridge("tb-br0", "aspen:t1:bridge/lan", 1400);

	struct nl_link_info l;
	OK(nl_link_find(host, "tb-br0", &l, E));
	assert_string_equal(l.name, "tb-br0");
	assert_string_equal(l.kind, "bridge");
	assert_string_equal(l.alias, "aspen:t1:bridge/lan");
	assert_int_equal(l.mtu, 1400);
	assert_true(l.up);
	assert_true(l.has_mac);
	assert_int_equal(l.master, 0);

	cJSON *root, *j = ip_link(NULL, "tb-br0", &root);
	assert_non_null(j);
	assert_string_equal(jstr(j, "ifalias"), "aspen:t1:bridge/lan");
	assert_int_equal(jint(j, "mtu"), 1400);
	assert_int_equal(jint(j, "ifindex"), l.ifindex);
	assert_true(jflag(j, "UP"));
	assert_string_equal(jstr(cJSON_GetObjectItem(j, "linkinfo"), "info_kind"), "bridge");
	cJSON_Delete(root);

	/* A second add is a plain EEXIST: the kernel gives no ext ack here. */
	struct rt_err e = { 0 };
	struct nl_bridge_opts o = { .name = "tb-br0" };
	assert_int_equal(nl_bridge_add(host, &o, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_string_equal(e.msg, "add bridge tb-br0: File exists");

	OK(nl_link_del_owned(host, "tb-br0", "aspen:t1:bridge/lan", E));
	assert_false(ip_link_exists(NULL, "tb-br0"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_link_find(host, "tb-br0", &l, &e), -1);
	assert_int_equal(e.errnum, ENODEV);
	/* Deleting what is gone is success. */
	OK(nl_link_del_owned(host, "tb-br0", "aspen:t1:bridge/lan", E));
	OK(nl_link_del(host, "tb-br0", E));
}

static void test_link_mtu_state_master_alias(void **state)
{
	bridge("tb-br1", "aspen:t2:bridge/a", 0);
	bridge("tb-br2", "aspen:t2:bridge/b", 0);
	int br1 = link_index(host, "tb-br1");

	OK(nl_link_set_mtu(host, "tb-br2", 1280, E));
	OK(nl_link_set_master(host, "tb-br2", 0, E));   /* detaching a free link is fine */
	OK(nl_link_set_up(host, "tb-br2", false, E));
	struct nl_link_info l;
	OK(nl_link_find(host, "tb-br2", &l, E));
	assert_int_equal(l.mtu, 1280);
	assert_false(l.up);
	cJSON *root, *j = ip_link(NULL, "tb-br2", &root);
	assert_int_equal(jint(j, "mtu"), 1280);
	assert_false(jflag(j, "UP"));
	cJSON_Delete(root);

	/* A tap as a port: master, then detach; alias replaced and cleared. */
	struct tap_opts t = { .name = "tb-tap1", .alias = "aspen:t2:tap/x" };
	OK(tap_create(host, &t, E));
	OK(nl_link_set_master(host, "tb-tap1", br1, E));
	j = ip_link(NULL, "tb-tap1", &root);
	assert_string_equal(jstr(j, "master"), "tb-br1");
	cJSON_Delete(root);
	OK(nl_link_set_master(host, "tb-tap1", 0, E));
	OK(nl_link_set_up(host, "tb-tap1", true, E));
	OK(nl_link_find(host, "tb-tap1", &l, E));
	assert_int_equal(l.master, 0);
	assert_true(l.up);
	OK(nl_link_set_alias(host, "tb-tap1", "aspen:t2:tap/y", E));
	OK(nl_link_find(host, "tb-tap1", &l, E));
	assert_string_equal(l.alias, "aspen:t2:tap/y");
	OK(nl_link_set_alias(host, "tb-tap1", "", E));
	OK(nl_link_find(host, "tb-tap1", &l, E));
	assert_string_equal(l.alias, "");

	/* Several changes in one request. */
	struct nl_link_conf c = { .alias = "aspen:t2:tap/x", .mtu = 1300, .set_master = true,
				  .master = br1, .set_up = true, .up = false };
	OK(nl_link_configure(host, "tb-tap1", &c, E));
	OK(nl_link_find(host, "tb-tap1", &l, E));
	assert_string_equal(l.alias, "aspen:t2:tap/x");
	assert_int_equal(l.mtu, 1300);
	assert_int_equal(l.master, br1);
	assert_false(l.up);

	struct rt_err e = { 0 };
	assert_int_equal(nl_link_set_mtu(host, "tb-nosuch", 1400, &e), -1);
	assert_int_equal(e.errnum, ENODEV);
	assert_non_null(strstr(e.msg, "tb-nosuch"));

	OK(tap_delete(host, "tb-tap1", "aspen:t2:tap/x", E));
	OK(nl_link_del_owned(host, "tb-br1", "aspen:t2:bridge/a", E));
	OK(nl_link_del_owned(host, "tb-br2", "aspen:t2:bridge/b", E));
}

static void test_unowned_link_refused(void **state)
{
	assert_int_equal(sh("ip link add tb-foreign type bridge"), 0);
	struct rt_err e = { 0 };
	assert_int_equal(nl_link_del_owned(host, "tb-foreign", "aspen:t3:bridge/lan", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_non_null(strstr(e.msg, "not created by aspen"));
	assert_true(ip_link_exists(NULL, "tb-foreign"));

	/* Another topology's mark is not ours either. */
	assert_int_equal(sh("ip link set tb-foreign alias aspen:other:bridge/lan"), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(tap_delete(host, "tb-foreign", "aspen:t3:bridge/lan", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_non_null(strstr(e.msg, "owned by \"aspen:other:bridge/lan\""));
	assert_true(ip_link_exists(NULL, "tb-foreign"));

	assert_int_equal(sh("ip link del tb-foreign"), 0);
}

static void test_ext_ack_text(void **state)
{
	bridge("tb-br3", "aspen:t4:bridge/lan", 0);
	int br = link_index(host, "tb-br3");
	OK(nl_addr_add(host, br, "10.66.0.1/24", E));

	/* EEXIST with the kernel's words. */
	struct rt_err e = { 0 };
	assert_int_equal(nl_addr_add_excl(host, br, "10.66.0.1/24", &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "File exists (kernel: "));
	assert_non_null(strstr(e.msg, "Address already assigned"));
	/* ... which the idempotent add turns into success. */
	OK(nl_addr_add(host, br, "10.66.0.1/24", E));

	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_link_set_mtu(host, "tb-br3", 70000, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_non_null(strstr(e.msg, "set mtu 70000 on tb-br3: Invalid argument (kernel: "));
	assert_non_null(strstr(e.msg, "mtu greater than device maximum"));

	/* Unreachable gateway: ENETUNREACH with its reason. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_route_default_add(host, "10.99.0.1", br, &e), -1);
	assert_int_equal(e.errnum, ENETUNREACH);
	assert_non_null(strstr(e.msg, "(kernel: Nexthop has invalid gateway)"));

	OK(nl_link_del_owned(host, "tb-br3", "aspen:t4:bridge/lan", E));
}

struct mark_count {
	const char *topology;
	int ours, links;
};

static int count_marked(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct mark_count *c = arg;
	c->links++;
	c->ours += mark_in_topology(l->alias, c->topology);
	return 0;
}

static void test_link_dump_by_mark(void **state)
{
	bridge("tb-d1", "aspen:t5:bridge/a", 0);
	bridge("tb-d2", "aspen:t5:bridge/b", 0);
	bridge("tb-d3", "aspen:t5x:bridge/c", 0);  /* another topology, same prefix text */
	bridge("tb-d4", NULL, 0);

	struct mark_count c = { .topology = "t5" };
	OK(nl_link_dump(host, count_marked, &c, E));
	assert_int_equal(c.ours, 2);
	assert_int_equal(c.links, 5);   /* lo + four bridges */

	OK(nl_link_del_owned(host, "tb-d1", "aspen:t5:bridge/a", E));
	OK(nl_link_del_owned(host, "tb-d2", "aspen:t5:bridge/b", E));
	OK(nl_link_del_owned(host, "tb-d3", "aspen:t5x:bridge/c", E));
	OK(nl_link_del(host, "tb-d4", E));
}

static int stop_at_second(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	return ++*(int *)arg == 2 ? 1 : 0;
}

static int fail_on_lo(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	if (strcmp(l->name, "lo") == 0)
		return rt_errf(e, EINTR, "stopped at %s", l->name);
	return 0;
}

static void test_link_dump_stop_and_fail(void **state)
{
	bridge("tb-d5", NULL, 0);
	int seen = 0;
	OK(nl_link_dump(host, stop_at_second, &seen, E));
	assert_int_equal(seen, 2);
	struct rt_err e = { 0 };
	assert_int_equal(nl_link_dump(host, fail_on_lo, NULL, &e), -1);
	assert_string_equal(e.msg, "stopped at lo");
	/* The handle still works after a dump was cut short. */
	struct nl_link_info l;
	OK(nl_link_find(host, "tb-d5", &l, E));
	OK(nl_link_del(host, "tb-d5", E));
}

/* ---------------- veth, addresses, routes, traffic ---------------- */

static void test_veth_peer_in_netns(void **state)
{
	OK(netns_create("tb-ns1", "aspen:t6:netns/n1", E));
	int fd;
	struct nl *in = open_in("tb-ns1", &fd);
	assert_false(nl_in_current_netns(in));
	assert_true(nl_in_current_netns(host));
	bridge("tb-br6", "aspen:t6:bridge/lan", 1400);
	int br = link_index(host, "tb-br6");
	const unsigned char mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x06, 0x01 };
	veth("tb-v6", "aspen:t6:veth/n1.eth0", br, "tb-ns1", in, fd, mac, 1400);

	/* Host end: on the bridge, up, marked; peer not in this namespace. */
	struct nl_link_info l;
	OK(nl_link_find(host, "tb-v6", &l, E));
	assert_string_equal(l.kind, "veth");
	assert_int_equal(l.master, br);
	assert_true(l.up);
	assert_int_equal(l.mtu, 1400);
	assert_string_equal(l.alias, "aspen:t6:veth/n1.eth0");
	assert_false(ip_link_exists(NULL, "eth0"));
	cJSON *root, *j = ip_link(NULL, "tb-v6", &root);
	assert_string_equal(jstr(j, "master"), "tb-br6");
	cJSON_Delete(root);

	/* Peer: eth0 inside the namespace with our MAC and MTU, up. */
	OK(nl_link_find(in, "eth0", &l, E));
	assert_string_equal(l.kind, "veth");
	assert_memory_equal(l.mac, mac, 6);
	assert_true(l.up);
	j = ip_link("tb-ns1", "eth0", &root);
	assert_non_null(j);
	assert_string_equal(jstr(j, "address"), "02:00:00:00:06:01");
	assert_int_equal(jint(j, "mtu"), 1400);
	assert_true(jflag(j, "UP"));
	cJSON_Delete(root);
	/* lo is up in a namespace we made. */
	j = ip_link("tb-ns1", "lo", &root);
	assert_true(jflag(j, "UP"));
	cJSON_Delete(root);

	/* The peer name is taken in the namespace: EEXIST, nothing left over. */
	struct rt_err e = { 0 };
	struct nl_veth_opts o = { .name = "tb-v6b", .peer_name = "eth0", .peer_netns_fd = fd };
	assert_int_equal(nl_veth_add(host, &o, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_false(ip_link_exists(NULL, "tb-v6b"));
	/* Bringing a peer up elsewhere needs a handle there. */
	memset(&e, 0, sizeof(e));
	o.peer_up = true;
	assert_int_equal(nl_veth_add(host, &o, &e), -1);
	assert_int_equal(e.errnum, EINVAL);

	OK(nl_link_del_owned(host, "tb-v6", "aspen:t6:veth/n1.eth0", E));
	assert_false(ip_link_exists("tb-ns1", "eth0"));  /* the pair goes together */
	nl_free(in);
	close(fd);
	OK(netns_delete_owned("tb-ns1", "aspen:t6:netns/n1", E));
	OK(nl_link_del_owned(host, "tb-br6", "aspen:t6:bridge/lan", E));
}

static void test_addresses_routes_ping(void **state)
{
	OK(netns_create("tb-a", "aspen:t7:netns/a", E));
	OK(netns_create("tb-b", "aspen:t7:netns/b", E));
	int fa, fb;
	struct nl *na = open_in("tb-a", &fa), *nb = open_in("tb-b", &fb);
	bridge("tb-br7", "aspen:t7:bridge/lan", 0);
	int br = link_index(host, "tb-br7");
	OK(nl_addr_add(host, br, "10.77.0.1/24", E));
	veth("tb-va", "aspen:t7:veth/a.eth0", br, "tb-a", na, fa, NULL, 0);
	veth("tb-vb", "aspen:t7:veth/b.eth0", br, "tb-b", nb, fb, NULL, 0);
	int ea = link_index(na, "eth0"), eb = link_index(nb, "eth0");
	OK(nl_addr_add(na, ea, "10.77.0.2/24", E));
	OK(nl_addr_add(nb, eb, "10.77.0.3/24", E));
	OK(nl_addr_add(na, ea, "10.77.0.2/24", E));   /* idempotent */
	OK(nl_route_default_add(na, "10.77.0.1", ea, E));
	OK(nl_route_default_add(nb, "10.77.0.1", eb, E));

	/* What we read back... */
	struct nl_ipaddr list[4];
	size_t n = 0;
	uint32_t a4;
	OK(nl_addr_list(na, ea, AF_INET, list, 4, &n, E));
	assert_int_equal(n, 1);
	assert_int_equal(list[0].prefixlen, 24);
	memcpy(&a4, list[0].addr, 4);
	assert_int_equal(a4, htonl(0x0a4d0002));
	OK(nl_addr_list(host, br, AF_INET, list, 0, &n, E));
	assert_int_equal(n, 1);
	struct nl_route_def r;
	OK(nl_route_default_get(na, AF_INET, &r, E));
	memcpy(&a4, r.gateway, 4);
	assert_int_equal(a4, htonl(0x0a4d0001));
	assert_int_equal(r.ifindex, ea);
	/* ... is what ip sees ... */
	assert_true(ip_has_addr(NULL, "tb-br7", "10.77.0.1/24"));
	assert_true(ip_has_addr("tb-a", "eth0", "10.77.0.2/24"));
	assert_true(ip_has_addr("tb-b", "eth0", "10.77.0.3/24"));
	cJSON *routes = ipj("ip -n tb-a -j route show default");
	assert_non_null(routes);
	assert_string_equal(jstr(cJSON_GetArrayItem(routes, 0), "gateway"), "10.77.0.1");
	assert_string_equal(jstr(cJSON_GetArrayItem(routes, 0), "dev"), "eth0");
	cJSON_Delete(routes);
	/* ... and packets flow: namespace to namespace, to the bridge, and
	 * off-subnet through the default route (to the bridge's address). */
	assert_int_equal(sh("ip netns exec tb-a ping -c1 -W1 10.77.0.3"), 0);
	assert_int_equal(sh("ip netns exec tb-b ping -c1 -W1 10.77.0.2"), 0);
	assert_int_equal(sh("ping -c1 -W1 10.77.0.2"), 0);
	OK(nl_addr_add(host, br, "10.78.0.1/32", E));
	assert_int_equal(sh("ip netns exec tb-a ping -c1 -W1 10.78.0.1"), 0);

	/* Route: same again is fine, another gateway is a conflict. */
	OK(nl_route_default_add(na, "10.77.0.1", ea, E));
	struct rt_err e = { 0 };
	assert_int_equal(nl_route_default_add(na, "10.77.0.9", ea, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "via 10.77.0.1"));
	/* Deleting checks the next hop: another one's route stays. */
	OK(nl_route_default_del(na, "10.77.0.9", ea, E));
	OK(nl_route_default_get(na, AF_INET, &r, E));
	memcpy(&a4, r.gateway, 4);
	assert_int_equal(a4, htonl(0x0a4d0001));
	OK(nl_route_default_del(na, "10.77.0.1", ea, E));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_route_default_get(na, AF_INET, &r, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	OK(nl_route_default_del(na, "10.77.0.1", ea, E));   /* idempotent */
	assert_int_not_equal(sh("ip netns exec tb-a ping -c1 -W1 10.78.0.1"), 0);

	OK(nl_addr_del(nb, eb, "10.77.0.3/24", E));
	OK(nl_addr_del(nb, eb, "10.77.0.3/24", E));   /* idempotent */
	assert_false(ip_has_addr("tb-b", "eth0", "10.77.0.3/24"));
	assert_int_not_equal(sh("ip netns exec tb-a ping -c1 -W1 10.77.0.3"), 0);

	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_addr_add(na, ea, "10.77.0.300/24", &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_addr_add(na, ea, "10.77.0.3/33", &e), -1);
	assert_int_equal(e.errnum, EINVAL);

	OK(nl_link_del_owned(host, "tb-va", "aspen:t7:veth/a.eth0", E));
	OK(nl_link_del_owned(host, "tb-vb", "aspen:t7:veth/b.eth0", E));
	nl_free(na);
	nl_free(nb);
	close(fa);
	close(fb);
	OK(netns_delete_owned("tb-a", "aspen:t7:netns/a", E));
	OK(netns_delete_owned("tb-b", "aspen:t7:netns/b", E));
	OK(nl_link_del_owned(host, "tb-br7", "aspen:t7:bridge/lan", E));
}

/* ---------------- TAP ---------------- */

/* IPv6: addresses without DAD are usable at once (no "tentative"), the
 * IPv6 default route is its own (the IPv4 one is untouched), and packets
 * flow both ways and through the route. */
static void test_addresses_routes_ping6(void **state)
{
	OK(netns_create("tb-c", "aspen:t8:netns/c", E));
	OK(netns_create("tb-d", "aspen:t8:netns/d", E));
	int fc, fd;
	struct nl *nc = open_in("tb-c", &fc), *nd = open_in("tb-d", &fd);
	bridge("tb-br8", "aspen:t8:bridge/lan", 0);
	int br = link_index(host, "tb-br8");
	OK(nl_addr_add(host, br, "fd00:88::1/64", E));
	OK(nl_addr_add(host, br, "10.88.0.1/24", E));
	veth("tb-vc", "aspen:t8:veth/c.eth0", br, "tb-c", nc, fc, NULL, 0);
	veth("tb-vd", "aspen:t8:veth/d.eth0", br, "tb-d", nd, fd, NULL, 0);
	int ec = link_index(nc, "eth0"), ed = link_index(nd, "eth0");
	OK(nl_addr_add(nc, ec, "fd00:88::2/64", E));
	OK(nl_addr_add(nd, ed, "fd00:88::3/64", E));
	OK(nl_addr_add(nc, ec, "fd00:88::2/64", E));   /* idempotent */
	OK(nl_addr_add(nc, ec, "10.88.0.2/24", E));
	OK(nl_route_default_add(nc, "10.88.0.1", ec, E));
	OK(nl_route_default_add(nc, "fd00:88::1", ec, E));
	OK(nl_route_default_add(nc, "fd00:88::1", ec, E));   /* idempotent */
	/* Usable once the kernel has installed the local routes (its address
	 * work runs late on a busy host: wait, bounded). */
	bool ready = false;
	for (int i = 0; i < 12000 && !ready; i++) {
		bool r1, r2, r3;
		OK(nl_addr6_ready(nc, "fd00:88::2/64", &r1, E));
		OK(nl_addr6_ready(nd, "fd00:88::3/64", &r2, E));
		OK(nl_addr6_ready(host, "fd00:88::1/64", &r3, E));
		ready = r1 && r2 && r3;
		if (!ready)
			usleep(10000);
	}
	assert_true(ready);
	bool r4;
	OK(nl_addr6_ready(nc, "10.88.0.2/24", &r4, E));     /* IPv4: always */
	assert_true(r4);

	struct nl_ipaddr list[4];
	size_t n = 0;
	OK(nl_addr_list(nc, ec, AF_INET6, list, 4, &n, E));
	bool seen = false;
	unsigned char want[16];
	inet_pton(AF_INET6, "fd00:88::2", want);
	for (size_t i = 0; i < n && i < 4; i++)
		seen |= list[i].family == AF_INET6 && list[i].prefixlen == 64 &&
			memcmp(list[i].addr, want, 16) == 0;
	assert_true(seen);
	assert_true(ip_has_addr("tb-c", "eth0", "fd00:88::2/64"));
	assert_true(ip_has_addr(NULL, "tb-br8", "fd00:88::1/64"));
	assert_int_equal(sh("ip -n tb-c -6 addr show dev eth0 scope global | grep -q tentative"), 1);
	struct nl_route_def r;
	OK(nl_route_default_get(nc, AF_INET6, &r, E));
	inet_pton(AF_INET6, "fd00:88::1", want);
	assert_memory_equal(r.gateway, want, 16);
	assert_int_equal(r.ifindex, ec);
	OK(nl_route_default_get(nc, AF_INET, &r, E));   /* the IPv4 one is still there */

	assert_int_equal(sh("ip netns exec tb-c ping -6 -c1 -W2 fd00:88::3"), 0);
	assert_int_equal(sh("ip netns exec tb-d ping -6 -c1 -W2 fd00:88::2"), 0);
	assert_int_equal(sh("ping -6 -c1 -W2 fd00:88::2"), 0);
	OK(nl_addr_add(host, br, "fd00:89::1/128", E));
	ready = false;
	for (int i = 0; i < 12000 && !ready; i++) {
		OK(nl_addr6_ready(host, "fd00:89::1/128", &ready, E));
		if (!ready)
			usleep(10000);
	}
	assert_int_equal(sh("ip netns exec tb-c ping -6 -c1 -W2 fd00:89::1"), 0);

	struct rt_err e = { 0 };
	assert_int_equal(nl_route_default_add(nc, "fd00:88::9", ec, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	OK(nl_route_default_del(nc, "fd00:88::9", ec, E));    /* another's: stays */
	OK(nl_route_default_get(nc, AF_INET6, &r, E));
	OK(nl_route_default_del(nc, "fd00:88::1", ec, E));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_route_default_get(nc, AF_INET6, &r, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	OK(nl_route_default_get(nc, AF_INET, &r, E));
	OK(nl_route_default_del(nc, "fd00:88::1", ec, E));   /* idempotent */

	OK(nl_addr_del(nd, ed, "fd00:88::3/64", E));
	OK(nl_addr_del(nd, ed, "fd00:88::3/64", E));   /* idempotent */
	assert_false(ip_has_addr("tb-d", "eth0", "fd00:88::3/64"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_addr_add(nc, ec, "fd00:88::3/129", &e), -1);
	assert_int_equal(e.errnum, EINVAL);

	OK(nl_link_del_owned(host, "tb-vc", "aspen:t8:veth/c.eth0", E));
	OK(nl_link_del_owned(host, "tb-vd", "aspen:t8:veth/d.eth0", E));
	nl_free(nc);
	nl_free(nd);
	close(fc);
	close(fd);
	OK(netns_delete_owned("tb-c", "aspen:t8:netns/c", E));
	OK(netns_delete_owned("tb-d", "aspen:t8:netns/d", E));
	OK(nl_link_del_owned(host, "tb-br8", "aspen:t8:bridge/lan", E));
}

static void test_tap_on_bridge_persists(void **state)
{
	bridge("tb-br8", "aspen:t8:bridge/lan", 0);
	int br = link_index(host, "tb-br8");
	struct tap_opts t = { .name = "tb-tap8", .alias = "aspen:t8:tap/vm1.eth0", .master = br,
			      .mtu = 1450, .up = true };
	OK(tap_create(host, &t, E));

	/* Our fd is closed: the TAP lives on because it is persistent. */
	cJSON *root, *j = ip_link(NULL, "tb-tap8", &root);
	assert_non_null(j);
	cJSON *info = cJSON_GetObjectItem(j, "linkinfo");
	assert_string_equal(jstr(info, "info_kind"), "tun");
	cJSON *data = cJSON_GetObjectItem(info, "info_data");
	assert_string_equal(jstr(data, "type"), "tap");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(data, "persist")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(data, "vnet_hdr")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(data, "pi")));
	assert_string_equal(jstr(j, "master"), "tb-br8");
	assert_string_equal(jstr(j, "ifalias"), "aspen:t8:tap/vm1.eth0");
	assert_int_equal(jint(j, "mtu"), 1450);
	assert_true(jflag(j, "UP"));
	cJSON_Delete(root);

	/* The name is taken: EEXIST, and the existing TAP is untouched. */
	struct rt_err e = { 0 };
	struct tap_opts t2 = { .name = "tb-tap8", .alias = "aspen:t8:tap/other" };
	assert_int_equal(tap_create(host, &t2, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	struct nl_link_info l;
	OK(nl_link_find(host, "tb-tap8", &l, E));
	assert_string_equal(l.alias, "aspen:t8:tap/vm1.eth0");

	/* A failed configuration takes the new TAP away again. */
	memset(&e, 0, sizeof(e));
	struct tap_opts t3 = { .name = "tb-tap9", .mtu = 70000 };
	assert_int_equal(tap_create(host, &t3, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_false(ip_link_exists(NULL, "tb-tap9"));

	/* Multi-queue flavour. */
	struct tap_opts t4 = { .name = "tb-tapq", .alias = "aspen:t8:tap/q", .multi_queue = true };
	OK(tap_create(host, &t4, E));
	j = ip_link(NULL, "tb-tapq", &root);
	data = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "linkinfo"), "info_data");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(data, "multi_queue")));
	cJSON_Delete(root);

	memset(&e, 0, sizeof(e));
	assert_int_equal(tap_delete(host, "tb-tap8", "aspen:t8:tap/wrong", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	OK(tap_delete(host, "tb-tap8", "aspen:t8:tap/vm1.eth0", E));
	OK(tap_delete(host, "tb-tapq", "aspen:t8:tap/q", E));
	assert_false(ip_link_exists(NULL, "tb-tap8"));
	OK(tap_delete(host, "tb-tap8", "aspen:t8:tap/vm1.eth0", E));   /* idempotent */
	OK(nl_link_del_owned(host, "tb-br8", "aspen:t8:bridge/lan", E));
}

static void test_tap_refuses_foreign_handle(void **state)
{
	OK(netns_create("tb-ns9", "aspen:t9:netns/n", E));
	int fd;
	struct nl *in = open_in("tb-ns9", &fd);
	struct rt_err e = { 0 };
	struct tap_opts t = { .name = "tb-tapx" };
	assert_int_equal(tap_create(in, &t, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_false(ip_link_exists(NULL, "tb-tapx"));
	assert_false(ip_link_exists("tb-ns9", "tb-tapx"));
	nl_free(in);
	close(fd);
	OK(netns_delete_owned("tb-ns9", "aspen:t9:netns/n", E));
}

/* ---------------- namespaces ---------------- */

static void test_netns_lifecycle_and_owner(void **state)
{
	OK(netns_create("tb-life", "aspen:t10:netns/x", E));
	assert_true(netns_exists("tb-life"));
	cJSON *list = ipj("ip -j netns list");
	assert_non_null(list);
	assert_string_equal(jstr(cJSON_GetArrayItem(list, 0), "name"), "tb-life");
	cJSON_Delete(list);

	/* Idempotent for its owner, refused for anyone else. */
	OK(netns_create("tb-life", "aspen:t10:netns/x", E));
	struct rt_err e = { 0 };
	assert_int_equal(netns_create("tb-life", "aspen:t11:netns/x", &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "owned by \"aspen:t10:netns/x\""));

	char owner[128];
	OK(netns_owner("tb-life", owner, sizeof(owner), E));
	assert_string_equal(owner, "aspen:t10:netns/x");
	struct stat st;
	assert_int_equal(stat(NETNS_OWNER_DIR "/tb-life.owner", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(NETNS_OWNER_DIR, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	memset(&e, 0, sizeof(e));
	assert_int_equal(netns_owner("tb-life", owner, 4, &e), -1);
	assert_int_equal(e.errnum, ERANGE);

	memset(&e, 0, sizeof(e));
	assert_int_equal(netns_delete_owned("tb-life", "aspen:t11:netns/x", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_true(netns_exists("tb-life"));

	OK(netns_delete_owned("tb-life", "aspen:t10:netns/x", E));
	assert_false(netns_exists("tb-life"));
	assert_int_not_equal(access(NETNS_RUN_DIR "/tb-life", F_OK), 0);
	assert_int_not_equal(access(NETNS_OWNER_DIR "/tb-life.owner", F_OK), 0);
	list = ipj("ip -j netns list");
	assert_int_equal(cJSON_GetArraySize(list), 0);
	cJSON_Delete(list);
	OK(netns_delete_owned("tb-life", "aspen:t10:netns/x", E));  /* idempotent */
	OK(netns_delete("tb-life", E));

	int fd;
	memset(&e, 0, sizeof(e));
	assert_int_equal(netns_open("tb-life", &fd, &e), -1);
	assert_int_equal(e.errnum, ENOENT);
	assert_int_equal(fd, -1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(netns_owner("tb-life", owner, sizeof(owner), &e), -1);
	assert_int_equal(e.errnum, ENOENT);

	/* Names that are not plain file names are refused. */
	const char *bad[] = { "", ".", "..", "a/b", "../x", "a b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(netns_create(bad[i], "aspen:t10:x", &e), -1);
		assert_int_equal(e.errnum, EINVAL);
	}
}

static void test_netns_foreign_refused(void **state)
{
	assert_int_equal(sh("ip netns add tb-iproute"), 0);
	assert_true(netns_exists("tb-iproute"));   /* iproute2's are ours to see */
	int fd;
	OK(netns_open("tb-iproute", &fd, E));
	close(fd);
	struct rt_err e = { 0 };
	assert_int_equal(netns_delete_owned("tb-iproute", "aspen:t12:netns/x", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_non_null(strstr(e.msg, "not created by aspen"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(netns_create("tb-iproute", "aspen:t12:netns/x", &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_true(netns_exists("tb-iproute"));
	assert_int_equal(sh("ip netns del tb-iproute"), 0);

	/* And ours are iproute2's: `ip netns exec` works, `ip netns del` too. */
	OK(netns_create("tb-ours", "aspen:t12:netns/y", E));
	assert_int_equal(sh("ip netns exec tb-ours ping -c1 -W1 127.0.0.1"), 0);
	OK(netns_delete_owned("tb-ours", "aspen:t12:netns/y", E));
}

static void test_netns_stale_file_completed(void **state)
{
	/* A crash after the marker but before the mount leaves a plain file. */
	OK(netns_create("tb-stale", "aspen:t13:netns/s", E));
	assert_int_equal(umount2(NETNS_RUN_DIR "/tb-stale", MNT_DETACH), 0);
	assert_false(netns_exists("tb-stale"));
	OK(netns_create("tb-stale", "aspen:t13:netns/s", E));
	assert_true(netns_exists("tb-stale"));
	cJSON *root, *j = ip_link("tb-stale", "lo", &root);
	assert_true(jflag(j, "UP"));
	cJSON_Delete(root);
	OK(netns_delete_owned("tb-stale", "aspen:t13:netns/s", E));

	/* Without our marker it is refused, never adopted. */
	int fd = open(NETNS_RUN_DIR "/tb-stale2", O_CREAT | O_WRONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	struct rt_err e = { 0 };
	assert_int_equal(netns_create("tb-stale2", "aspen:t13:netns/s", &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "no owner marker"));
	assert_int_equal(unlink(NETNS_RUN_DIR "/tb-stale2"), 0);
}

/* Every state a crash can leave a namespace in is told apart, finished by
 * netns_create and removed by netns_delete_owned; the marker comes first
 * and never leaves a temporary file. */
static void test_netns_half_made(void **state)
{
	const char *mark = "aspen:t16:netns/h", *marker = NETNS_OWNER_DIR "/tb-half.owner";
	assert_int_equal(netns_state("tb-half", mark), NETNS_ABSENT);
	OK(netns_create("tb-half", mark, E));
	assert_int_equal(netns_state("tb-half", mark), NETNS_MOUNTED);
	assert_int_equal(netns_state("tb-half", "aspen:t16:netns/other"), NETNS_FOREIGN);
	assert_int_equal(sh("ls -A " NETNS_OWNER_DIR " | grep -v '^tb-half.owner$' | grep tb-"), 1);

	/* Marker only: the crash came before the file. */
	assert_int_equal(umount2(NETNS_RUN_DIR "/tb-half", MNT_DETACH), 0);
	assert_int_equal(netns_state("tb-half", mark), NETNS_UNMOUNTED);
	assert_int_equal(unlink(NETNS_RUN_DIR "/tb-half"), 0);
	assert_int_equal(netns_state("tb-half", mark), NETNS_MARKED);
	assert_int_equal(netns_state("tb-half", "aspen:t16:netns/other"), NETNS_ABSENT);
	/* Another owner's marker is not taken over. */
	struct rt_err e = { 0 };
	assert_int_equal(netns_create("tb-half", "aspen:t16:netns/other", &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "owner marker"));
	assert_int_equal(access(NETNS_RUN_DIR "/tb-half", F_OK), -1);
	OK(netns_create("tb-half", mark, E));
	assert_int_equal(netns_state("tb-half", mark), NETNS_MOUNTED);

	/* Mounted, lo still down: the crash came before lo up. */
	assert_int_equal(sh("ip -n tb-half link set lo down"), 0);
	OK(netns_create("tb-half", mark, E));
	cJSON *root, *j = ip_link("tb-half", "lo", &root);
	assert_true(jflag(j, "UP"));
	cJSON_Delete(root);

	/* destroy of a marker alone, and of a marker with an unmounted file. */
	assert_int_equal(umount2(NETNS_RUN_DIR "/tb-half", MNT_DETACH), 0);
	OK(netns_delete_owned("tb-half", mark, E));
	assert_int_equal(access(NETNS_RUN_DIR "/tb-half", F_OK), -1);
	assert_int_equal(access(marker, F_OK), -1);
	OK(netns_create("tb-half", mark, E));
	assert_int_equal(umount2(NETNS_RUN_DIR "/tb-half", MNT_DETACH), 0);
	assert_int_equal(unlink(NETNS_RUN_DIR "/tb-half"), 0);
	OK(netns_delete_owned("tb-half", mark, E));
	assert_int_equal(access(marker, F_OK), -1);
}

/* A bridge or veth host end is born with the MAC of its mark: without its
 * alias (a crash before RTM_SETLINK) it is still ours, and only ours. */
static void test_link_creation_mark(void **state)
{
	const char *bm = "aspen:t17:bridge/lan", *vm = "aspen:t17:veth/n.eth0";
	unsigned char bmac[6], vmac[6];
	mark_mac(bm, bmac);
	mark_mac(vm, vmac);
	struct nl_bridge_opts bo = { .name = "tb-br17", .mac = bmac, .alias = bm, .up = true };
	OK(nl_bridge_add(host, &bo, E));
	OK(netns_create("tb-ns17", "aspen:t17:netns/n", E));
	int fd;
	struct nl *in = open_in("tb-ns17", &fd);
	struct nl_veth_opts o = {
		.name = "tb-v17", .alias = vm, .mac = vmac, .master = link_index(host, "tb-br17"),
		.up = true, .peer_name = "eth0", .peer_netns_fd = fd, .peer_up = true, .peer_nl = in,
	};
	OK(nl_veth_add(host, &o, E));
	struct nl_link_info l;
	OK(nl_link_find(host, "tb-v17", &l, E));
	assert_true(l.has_mac);
	assert_memory_equal(l.mac, vmac, 6);

	OK(nl_link_set_alias(host, "tb-br17", "", E));
	OK(nl_link_set_alias(host, "tb-v17", "", E));
	OK(nl_link_find(host, "tb-v17", &l, E));
	assert_string_equal(l.alias, "");
	struct rt_err e = { 0 };
	assert_int_equal(nl_link_check_mark(&l, bm, &e), -1);     /* not the bridge's */
	assert_int_equal(e.errnum, EPERM);
	OK(nl_link_check_mark(&l, vm, E));
	OK(nl_link_del_owned(host, "tb-v17", vm, E));
	OK(nl_link_del_owned(host, "tb-br17", bm, E));
	assert_int_not_equal(sh("ip link show tb-br17"), 0);
	nl_free(in);
	close(fd);
	OK(netns_delete_owned("tb-ns17", "aspen:t17:netns/n", E));

	/* An unaliased link with any other MAC is not ours. */
	struct nl_bridge_opts fo = { .name = "tb-br17f", .up = true };
	OK(nl_bridge_add(host, &fo, E));
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_link_del_owned(host, "tb-br17f", bm, &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_non_null(strstr(e.msg, "not created by aspen"));
}

static void test_netns_create_all(void **state)
{
	assert_int_equal(sh("ip netns add tb-m3"), 0);   /* one of the batch is taken */
	struct netns_req v[6];
	char names[6][24], marks[6][40];
	for (int i = 0; i < 6; i++) {
		snprintf(names[i], sizeof(names[i]), "tb-m%d", i);
		snprintf(marks[i], sizeof(marks[i]), "aspen:t14:netns/m%d", i);
		v[i] = (struct netns_req){ .name = names[i], .mark = marks[i] };
	}
	struct rt_err e = { 0 };
	assert_int_equal(netns_create_all(v, 6, 3, &e), -1);
	assert_int_equal(e.errnum, EEXIST);
	assert_non_null(strstr(e.msg, "1 of 6 failed"));
	for (int i = 0; i < 6; i++) {
		assert_int_equal(v[i].rc, i == 3 ? -1 : 0);
		assert_int_equal(netns_exists(names[i]), true);
	}
	assert_non_null(strstr(v[3].err.msg, "tb-m3"));
	for (int i = 0; i < 6; i++)
		if (i != 3)
			OK(netns_delete_owned(names[i], marks[i], E));
	assert_int_equal(sh("ip netns del tb-m3"), 0);
	OK(netns_create_all(v, 0, 0, E));
}

/* ---------------- deleting and re-creating ---------------- */

static void test_recreate_after_delete(void **state)
{
	for (int round = 0; round < 2; round++) {
		OK(netns_create("tb-re", "aspen:t15:netns/r", E));
		bridge("tb-br15", "aspen:t15:bridge/lan", 0);
		int br = link_index(host, "tb-br15");
		int fd;
		struct nl *in = open_in("tb-re", &fd);
		veth("tb-v15", "aspen:t15:veth/r.eth0", br, "tb-re", in, fd, NULL, 0);
		struct tap_opts t = { .name = "tb-t15", .alias = "aspen:t15:tap/r", .master = br };
		OK(tap_create(host, &t, E));
		OK(nl_link_del_owned(host, "tb-v15", "aspen:t15:veth/r.eth0", E));
		OK(tap_delete(host, "tb-t15", "aspen:t15:tap/r", E));
		nl_free(in);
		close(fd);
		OK(netns_delete_owned("tb-re", "aspen:t15:netns/r", E));
		OK(nl_link_del_owned(host, "tb-br15", "aspen:t15:bridge/lan", E));
	}
}

static void test_netns_delete_then_wait_gone(void **state)
{
	/* Deleting the namespace takes its veth pairs with it, in the
	 * background; nl_link_wait_gone says when. */
	const char *names[3] = { "tb-w0", "tb-w1", "tb-w2" };
	char ns[3][24];
	for (int i = 0; i < 3; i++) {
		snprintf(ns[i], sizeof(ns[i]), "tb-wn%d", i);
		OK(netns_create(ns[i], "aspen:t16:netns/w", E));
		int fd;
		struct nl *in = open_in(ns[i], &fd);
		veth(names[i], "aspen:t16:veth/w", 0, ns[i], in, fd, NULL, 0);
		nl_free(in);
		close(fd);
	}
	struct rt_err e = { 0 };
	assert_int_equal(nl_link_wait_gone(host, names, 3, 20, &e), -1);
	assert_int_equal(e.errnum, ETIMEDOUT);
	for (int i = 0; i < 3; i++)
		OK(netns_delete_owned(ns[i], "aspen:t16:netns/w", E));
	OK(nl_link_wait_gone(host, names, 3, 5000, E));
	for (int i = 0; i < 3; i++)
		assert_false(ip_link_exists(NULL, names[i]));
}

static void test_nl_open_errors(void **state)
{
	struct nl *nl = (struct nl *)1;
	struct rt_err e = { 0 };
	int fd = open("/dev/null", O_RDONLY);
	assert_int_equal(nl_open(&nl, fd, &e), -1);
	assert_null(nl);
	assert_int_equal(e.errnum, EINVAL);
	close(fd);
	nl_free(NULL);
	memset(&e, 0, sizeof(e));
	struct nl_link_info l;
	assert_int_equal(nl_link_find(host, "a/b", &l, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	memset(&e, 0, sizeof(e));
	assert_int_equal(nl_link_find(host, "0123456789abcdef", &l, &e), -1);
	assert_int_equal(e.errnum, EINVAL);
}

/* Last: every test cleaned up after itself. */
static void test_nothing_left_behind(void **state)
{
	cJSON *links = ipj("ip -j link show");
	assert_non_null(links);
	cJSON *l;
	cJSON_ArrayForEach(l, links)
		if (strcmp(jstr(l, "ifname"), "lo") != 0)
			fail_msg("left behind: link %s", jstr(l, "ifname"));
	cJSON_Delete(links);
	cJSON *ns = ipj("ip -j netns list");
	assert_int_equal(cJSON_GetArraySize(ns), 0);
	cJSON_Delete(ns);
}

/* After each test: remove whatever a failed test left (links and
 * namespaces named tb-*), so one failure does not cascade. */
static int scrub(void **state)
{
	sh("for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^tb-'); "
	   "do ip link del \"$l\"; done");
	sh("for n in $(ip netns list | awk '{print $1}' | grep '^tb-'); do ip netns del \"$n\"; "
	   "done; rm -f " NETNS_RUN_DIR "/tb-* " NETNS_OWNER_DIR "/tb-*");
	return 0;
}

static int group_setup(void **state)
{
	struct rt_err e = { 0 };
	if (nl_open(&host, -1, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	nl_free(host);
	return 0;
}

int main(void)
{
	if (!getenv("ASPEN_SANDBOX")) {
		printf("test_nl: needs tests/sandbox.sh (ASPEN_SANDBOX unset)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bridge_create_find_alias, scrub),
		cmocka_unit_test_teardown(test_link_mtu_state_master_alias, scrub),
		cmocka_unit_test_teardown(test_unowned_link_refused, scrub),
		cmocka_unit_test_teardown(test_ext_ack_text, scrub),
		cmocka_unit_test_teardown(test_link_dump_by_mark, scrub),
		cmocka_unit_test_teardown(test_link_dump_stop_and_fail, scrub),
		cmocka_unit_test_teardown(test_veth_peer_in_netns, scrub),
		cmocka_unit_test_teardown(test_addresses_routes_ping, scrub),
		cmocka_unit_test_teardown(test_addresses_routes_ping6, scrub),
		cmocka_unit_test_teardown(test_tap_on_bridge_persists, scrub),
		cmocka_unit_test_teardown(test_tap_refuses_foreign_handle, scrub),
		cmocka_unit_test_teardown(test_netns_lifecycle_and_owner, scrub),
		cmocka_unit_test_teardown(test_netns_foreign_refused, scrub),
		cmocka_unit_test_teardown(test_netns_stale_file_completed, scrub),
		cmocka_unit_test_teardown(test_netns_half_made, scrub),
		cmocka_unit_test_teardown(test_link_creation_mark, scrub),
		cmocka_unit_test_teardown(test_netns_create_all, scrub),
		cmocka_unit_test_teardown(test_recreate_after_delete, scrub),
		cmocka_unit_test_teardown(test_netns_delete_then_wait_gone, scrub),
		cmocka_unit_test_teardown(test_nl_open_errors, scrub),
		cmocka_unit_test(test_nothing_left_behind),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
