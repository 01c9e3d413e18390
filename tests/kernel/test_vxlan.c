/* test_vxlan.c — the vxlan driver against the kernel: two "hosts" joined
 * by VXLAN, real packets between their nodes.
 *
 * Runs as root inside tests/sandbox.sh. Each host is a network namespace
 * (kvxa, kvxb) with its own aspen state and run dirs, joined to the other
 * by a veth "underlay" (192.168.77.1 - 192.168.77.2). On each, resources
 * made by hand as the compiler lowers a spanning network (bridge/lan,
 * vxlan/lan, netns, veth and addr of the one node placed there) go through
 * the runtime as apply does it: rt_observe, plan_compute, rt_preflight,
 * rt_execute, from a thread that entered the host's namespace. The work
 * is checked with ip(8), bridge(8) and ping, independent tools: nodes ping
 * each other across the tunnel, a second plan is empty, a forwarding
 * entry changed by hand is drift that an update repairs, the states a
 * crash can leave inside the create are finished or destroyed, and
 * destroy leaves nothing. */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/diag.h"
#include "compiler/plan.h"
#include "runtime/journal.h"
#include "runtime/mark.h"
#include "runtime/runtime.h"
#include "tests/kernel/ktest.h"

struct host {
	const char *topo;       /* the topology's name on this host (below) */
	const char *ns;         /* the host: a network namespace */
	const char *under;      /* its underlay address */
	const char *other;      /* the other host's */
	const char *node;       /* the node placed on it */
	const char *veth;       /* the node's host end */
	const char *ip;         /* the node's address */
	const char *mac;        /* the node's MAC */
	const char *other_mac;  /* the other node's */
};

/* The two parts have names of their own: the simulated hosts share this
 * sandbox's mount namespace, so one host's namespace markers under
 * /run/aspen would be discovered by the other as its own. (Real hosts, and
 * the e2e test's, have a /run each.) The driver never looks at the name. */
static const struct host A = {"kva", "kvxa", "192.168.77.1", "192.168.77.2", "n1", "kvv1",
			       "10.77.0.1", "02:77:00:00:00:01", "02:77:00:00:00:02"};
static const struct host B = {"kvb", "kvxb", "192.168.77.2", "192.168.77.1", "n2", "kvv2",
			       "10.77.0.2", "02:77:00:00:00:02", "02:77:00:00:00:01"};

/* What a test changes in the desired resources. */
struct knobs {
	const char *mtu;        /* the network's MTU: bridge, VXLAN port, veth (default 1450) */
	const char *vni;        /* default 4242 */
	int more;               /* this many more remote hosts and remote MACs */
};

static int home_fd = -1;

/* sh -c of the formatted command: its exit status. */
__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return ktest_run((const char *const[]){"sh", "-c", cmd, NULL});
}

#define SH_OK(...) do { if (sh(__VA_ARGS__) != 0) fail_msg("failed: " __VA_ARGS__); } while (0)

/* The output of a shell command, trailing newline cut, in buf. */
__attribute__((format(printf, 3, 4)))
static const char *capture(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	pclose(f);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

/* The resources the compiler lowers for host h of a network spanning both
 * hosts (docs/resources.md, RES_VXLAN in compiler/resource.h). */
static void lower(const struct host *h, const struct knobs *k, struct arena *a, struct res_list *l)
{
	char ns[64], id[64], fdb[64];
	const char *mtu = k && k->mtu ? k->mtu : "1450";
	snprintf(ns, sizeof(ns), "aspen-%s-%s", h->topo, h->node);
	struct resource *r = res_list_add(l, a, RES_BRIDGE, "bridge/lan");
	res_set(a, r, "name", "kvbr");
	res_set(a, r, "mtu", mtu);
	r = res_list_add(l, a, RES_VXLAN, "vxlan/lan");
	res_set(a, r, "name", "kvx0");
	res_set(a, r, "bridge", "kvbr");
	res_set(a, r, "vni", k && k->vni ? k->vni : "4242");
	res_set(a, r, "local", h->under);
	res_set(a, r, "port", "4789");
	res_set(a, r, "mtu", mtu);
	snprintf(fdb, sizeof(fdb), "%s@%s", h->other_mac, h->other);
	if (k && k->more) {
		/* Hosts 10.99.x.y that do not exist: entries only. */
		char *rem = arena_alloc(a, 32 * (size_t)(k->more + 1));
		char *f = arena_alloc(a, 48 * (size_t)(k->more + 1));
		int ur = sprintf(rem, "%s", h->other), uf = sprintf(f, "%s", fdb);
		for (int i = 0; i < k->more; i++) {
			ur += sprintf(rem + ur, " 10.99.%d.%d", i / 200, i % 200 + 1);
			uf += sprintf(f + uf, " 02:99:00:00:%02x:%02x@10.99.%d.%d", i / 256, i % 256,
				      i / 200, i % 200 + 1);
		}
		res_set(a, r, "remotes", rem);
		res_set(a, r, "fdb", f);
	} else {
		res_set(a, r, "remotes", h->other);
		res_set(a, r, "fdb", fdb);
	}
	res_add_dep(a, r, "bridge/lan");
	snprintf(id, sizeof(id), "netns/%s", h->node);
	r = res_list_add(l, a, RES_NETNS, id);
	res_set(a, r, "name", ns);
	res_set(a, r, "topology", h->topo);
	snprintf(id, sizeof(id), "veth/%s.eth0", h->node);
	r = res_list_add(l, a, RES_VETH, id);
	res_set(a, r, "name", h->veth);
	res_set(a, r, "peer", "eth0");
	res_set(a, r, "netns", ns);
	res_set(a, r, "bridge", "kvbr");
	res_set(a, r, "mac", h->mac);
	res_set(a, r, "mtu", mtu);
	snprintf(id, sizeof(id), "netns/%s", h->node);
	res_add_dep(a, r, id);
	res_add_dep(a, r, "bridge/lan");
	snprintf(id, sizeof(id), "addr/%s.eth0", h->node);
	r = res_list_add(l, a, RES_ADDR, id);
	res_set(a, r, "netns", ns);
	res_set(a, r, "dev", "eth0");
	res_setf(a, r, "address", "%s/24", h->ip);
	snprintf(id, sizeof(id), "veth/%s.eth0", h->node);
	res_add_dep(a, r, id);
}

/* Make this thread act as host h: its namespace, its state. */
static void enter(const struct host *h)
{
	char path[128];
	snprintf(path, sizeof(path), "/run/netns/%s", h->ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(setns(fd, CLONE_NEWNET), 0);
	close(fd);
	snprintf(path, sizeof(path), "/run/aspen-state/%s", h->ns);
	setenv("ASPEN_STATE_DIR", path, 1);
	snprintf(path, sizeof(path), "/run/aspen-run/%s", h->ns);
	setenv("ASPEN_RUN_DIR", path, 1);
}

static void leave(void)
{
	assert_int_equal(setns(home_fd, CLONE_NEWNET), 0);
}

/* What one run on a host did. */
struct run {
	int rc;
	size_t n;               /* actions of the plan */
	char plan[1024];        /* "~vxlan/lan[mtu] +bridge/lan ...": shown actions, changed keys */
	char err[1024];
};

static void describe(const struct plan *p, struct run *out)
{
	static const char op[] = {'+', '~', 'R', '-'};
	size_t used = 0;
	out->n = p->n_actions;
	out->plan[0] = '\0';
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct action *a = &p->actions[i];
		if (!action_shown(a))
			continue;
		const struct resource *r = a->desired ? a->desired : a->observed;
		used += (size_t)snprintf(out->plan + used, sizeof(out->plan) - used, "%s%c%s",
					 used ? " " : "", op[a->op], r->id);
		if (a->op == ACT_UPDATE) {
			for (size_t k = 0; k < a->n_changes; k++)
				used += (size_t)snprintf(out->plan + used, sizeof(out->plan) - used, "%c%s",
							 k ? ',' : '[', a->changes[k].key);
			used += (size_t)snprintf(out->plan + used, sizeof(out->plan) - used, "]");
		}
	}
}

/* Observe host h and plan toward its resources (destroy: everything
 * away); run the plan when run (after rt_preflight, as apply does). */
static struct run host_run(const struct host *h, const struct knobs *k, bool destroy, bool run)
{
	struct run out = {0};
	struct arena a;
	struct res_list desired = {0}, observed = {0};
	struct rt_ctx c;
	struct rt_err e = {0};
	struct plan p = {0};
	struct diag_list d;
	bool planned = false;
	arena_init(&a);
	diag_init(&d, "test_vxlan");
	enter(h);
	if (!destroy)
		lower(h, k, &a, &desired);
	out.rc = rt_open(&c, h->topo, NULL, 5000, &e);
	if (out.rc == 0) {
		c.destroying = destroy;
		out.rc = rt_observe(&c, destroy ? NULL : &desired, &observed, &e);
	}
	if (out.rc == 0) {
		planned = true;
		out.rc = destroy ? plan_destroy(&p, &observed, &d) :
			 plan_compute(&p, NULL, &desired, &observed, &d);
		if (out.rc < 0)
			snprintf(e.msg, sizeof(e.msg), "plan failed");
	}
	if (out.rc == 0) {
		describe(&p, &out);
		if (run && !destroy)
			out.rc = rt_preflight(&c, &p, &e);
		if (run && out.rc == 0)
			out.rc = rt_execute(&c, &p, &e);
		if (run && out.rc == 0 && destroy)
			out.rc = rt_forget(&c, &e);
	}
	snprintf(out.err, sizeof(out.err), "%s", out.rc < 0 ? e.msg : "");
	if (planned)
		plan_free(&p);
	rt_close(&c);
	leave();
	diag_clear(&d);
	arena_free(&a);
	return out;
}

static void apply_ok(const struct host *h, const struct knobs *k)
{
	struct run r = host_run(h, k, false, true);
	if (r.rc < 0)
		fail_msg("apply on %s: %s", h->ns, r.err);
}

static void destroy_ok(const struct host *h)
{
	struct run r = host_run(h, NULL, true, true);
	if (r.rc < 0)
		fail_msg("destroy on %s: %s", h->ns, r.err);
}

/* The plan a new apply would run on h, as describe() writes it. */
static void expect_plan(const struct host *h, const struct knobs *k, const char *want)
{
	struct run r = host_run(h, k, false, false);
	if (r.rc < 0)
		fail_msg("plan on %s: %s", h->ns, r.err);
	assert_string_equal(r.plan, want);
}

/* The VXLAN port's own forwarding entries on h, sorted, one per line. */
static const char *fdb_of(const struct host *h, char *buf, size_t len)
{
	return capture(buf, len, "bridge -n %s fdb show dev kvx0 | grep ' self' | sort", h->ns);
}

/* Exactly the two entries aspen writes on h: the other host for
 * broadcast, the other node's MAC. */
static void fdb_exact(const struct host *h)
{
	char got[1024], want[256];
	snprintf(want, sizeof(want), "00:00:00:00:00:00 dst %s self permanent\n"
		 "%s dst %s self permanent", h->other, h->other_mac, h->other);
	assert_string_equal(fdb_of(h, got, sizeof(got)), want);
}

/* At least one of three pings from h's node to the other node is answered. */
static int ping_from(const struct host *h, const struct host *to)
{
	return sh("ip netns exec aspen-%s-%s ping -c 3 -i 0.2 -W 5 -q %s >/dev/null", h->topo,
		  h->node, to->ip);
}

/* Nothing of the topology is left on h. */
static void nothing_left(const struct host *h)
{
	assert_int_not_equal(sh("ip -n %s link show kvx0 2>/dev/null", h->ns), 0);
	assert_int_not_equal(sh("ip -n %s link show kvbr 2>/dev/null", h->ns), 0);
	assert_int_not_equal(sh("ip -n %s link show %s 2>/dev/null", h->ns, h->veth), 0);
	assert_int_not_equal(sh("test -e /run/netns/aspen-%s-%s", h->topo, h->node), 0);
	assert_int_not_equal(sh("test -e /run/aspen-state/%s/%s/" JOURNAL_FILE, h->ns, h->topo),
			     0);
}

static int suite_setup(void **state)
{
	(void)state;
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home_fd < 0)
		return -1;
	return sh("ip netns add kvxa && ip netns add kvxb && "
		  "ip -n kvxa link set lo up && ip -n kvxb link set lo up && "
		  "ip -n kvxa link add ua type veth peer name ub netns kvxb && "
		  "ip -n kvxa addr add 192.168.77.1/24 dev ua && ip -n kvxa link set ua up && "
		  "ip -n kvxb addr add 192.168.77.2/24 dev ub && ip -n kvxb link set ub up");
}

static int suite_teardown(void **state)
{
	(void)state;
	sh("ip netns del kvxa; ip netns del kvxb");
	close(home_fd);
	return 0;
}

/* Whatever a failed test left on either host goes. */
static int scrub(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		const struct host *h = i ? &B : &A;
		host_run(h, NULL, true, true);
		sh("{ ip -n %s link del kvx0; ip -n %s link del other0; ip -n %s link del kvbr; "
		   "rm -rf /run/aspen-state/%s; } 2>/dev/null; true", h->ns, h->ns, h->ns, h->ns);
	}
	return 0;
}

/* Apply on both hosts: the link is what was asked, its table holds
 * exactly the two static entries, nodes ping across, a second plan is
 * empty, destroy leaves nothing. */
static void test_apply_ping_destroy(void **state)
{
	(void)state;
	char buf[2048];
	apply_ok(&A, NULL);
	apply_ok(&B, NULL);
	capture(buf, sizeof(buf), "ip -n kvxa -d link show kvx0");
	if (!strstr(buf, "vxlan id 4242 local 192.168.77.1") || !strstr(buf, "dstport 4789") ||
	    !strstr(buf, "nolearning") || !strstr(buf, "master kvbr") || !strstr(buf, "mtu 1450") ||
	    !strstr(buf, "alias aspen:kva:vxlan/lan") || !strstr(buf, ",UP,"))
		fail_msg("kvx0 on kvxa is not as asked:\n%s", buf);
	fdb_exact(&A);
	fdb_exact(&B);
	assert_int_equal(ping_from(&A, &B), 0);
	assert_int_equal(ping_from(&B, &A), 0);
	expect_plan(&A, NULL, "");
	expect_plan(&B, NULL, "");
	destroy_ok(&A);
	destroy_ok(&B);
	nothing_left(&A);
	nothing_left(&B);
}

/* Entries deleted or added by hand are drift; the update puts back
 * exactly the table asked for, and the tunnel works again. */
static void test_fdb_drift_repaired(void **state)
{
	(void)state;
	apply_ok(&A, NULL);
	apply_ok(&B, NULL);
	SH_OK("bridge -n kvxa fdb del 00:00:00:00:00:00 dev kvx0 dst 192.168.77.2");
	SH_OK("bridge -n kvxa fdb append 00:00:00:00:00:00 dev kvx0 dst 192.168.77.9");
	expect_plan(&A, NULL, "~vxlan/lan[remotes]");
	SH_OK("bridge -n kvxb fdb del 02:77:00:00:00:01 dev kvx0 dst 192.168.77.1");
	SH_OK("bridge -n kvxb fdb append 02:77:00:00:00:99 dev kvx0 dst 192.168.77.1");
	expect_plan(&B, NULL, "~vxlan/lan[fdb]");
	struct run r = host_run(&A, NULL, false, false);
	assert_int_equal(r.n, 1);
	apply_ok(&A, NULL);
	apply_ok(&B, NULL);
	fdb_exact(&A);
	fdb_exact(&B);
	expect_plan(&A, NULL, "");
	expect_plan(&B, NULL, "");
	assert_int_equal(ping_from(&A, &B), 0);
	assert_int_equal(ping_from(&B, &A), 0);
	destroy_ok(&A);
	destroy_ok(&B);
	nothing_left(&A);
}

/* MTU changes in place (the same link); a new VNI replaces the link. The
 * network's MTU changes everywhere at once: a bridge whose MTU was never
 * set through RTM_SETLINK follows its smallest port. */
static void test_mtu_in_place_vni_replaces(void **state)
{
	(void)state;
	char before[32], after[32];
	apply_ok(&A, NULL);
	capture(before, sizeof(before), "ip -n kvxa -o link show kvx0 | cut -d: -f1");
	struct knobs k = {.mtu = "1400"};
	expect_plan(&A, &k, "~bridge/lan[mtu] ~vxlan/lan[mtu] ~veth/n1.eth0[mtu]");
	apply_ok(&A, &k);
	capture(after, sizeof(after), "ip -n kvxa -o link show kvx0 | cut -d: -f1");
	assert_string_equal(before, after);
	SH_OK("ip -n kvxa link show kvx0 | grep -q 'mtu 1400 '");
	expect_plan(&A, &k, "");
	k.vni = "4243";
	expect_plan(&A, &k, "Rvxlan/lan");
	apply_ok(&A, &k);
	SH_OK("ip -n kvxa -d link show kvx0 | grep -q 'vxlan id 4243 '");
	fdb_exact(&A);
	expect_plan(&A, &k, "");
	destroy_ok(&A);
	nothing_left(&A);
}

/* A big table (more entries than one batch buffer holds: it is sent in
 * several) is written whole, reads back without drift (its text is not in
 * the probe's sorted order), and an entry lost is put back alone. */
static void test_many_entries(void **state)
{
	(void)state;
	char buf[64];
	struct knobs k = {.more = 300};
	apply_ok(&A, &k);
	capture(buf, sizeof(buf), "bridge -n kvxa fdb show dev kvx0 | grep -c ' self permanent'");
	assert_string_equal(buf, "602");
	expect_plan(&A, &k, "");
	SH_OK("bridge -n kvxa fdb del 02:99:00:00:01:2b dev kvx0 dst 10.99.1.100");
	SH_OK("bridge -n kvxa fdb del 00:00:00:00:00:00 dev kvx0 dst 10.99.0.7");
	expect_plan(&A, &k, "~vxlan/lan[fdb,remotes]");
	apply_ok(&A, &k);
	capture(buf, sizeof(buf), "bridge -n kvxa fdb show dev kvx0 | grep -c ' self permanent'");
	assert_string_equal(buf, "602");
	expect_plan(&A, &k, "");
	/* Fewer hosts: the extra entries go. */
	apply_ok(&A, NULL);
	fdb_exact(&A);
	destroy_ok(&A);
	nothing_left(&A);
}

/* The states a crash inside the create leaves. The intent is journaled
 * and the link not made: the probe finds it absent, apply creates it. The
 * link made (with its creation MAC) but not aliased and its table empty:
 * the probe reports it ours and unfinished, apply finishes it, destroy
 * deletes it. */
static void test_half_made(void **state)
{
	(void)state;
	char mark[ASPEN_MARK_MAX + 1], mac[18];
	unsigned char m[6];
	apply_ok(&A, NULL);
	apply_ok(&B, NULL);
	SH_OK("ip -n kvxa link del kvx0");
	expect_plan(&A, NULL, "+vxlan/lan");
	snprintf(mark, sizeof(mark), "aspen:kva:vxlan/lan");
	mark_mac(mark, m);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	/* What the RTM_NEWLINK of create makes, before the alias. */
	SH_OK("ip -n kvxa link add kvx0 address %s mtu 1450 type vxlan id 4242 local 192.168.77.1 "
	      "dstport 4789 nolearning && ip -n kvxa link set kvx0 master kvbr up", mac);
	expect_plan(&A, NULL, "~vxlan/lan[fdb,remotes,state]");
	apply_ok(&A, NULL);
	SH_OK("ip -n kvxa link show kvx0 | grep -q 'alias aspen:kva:vxlan/lan'");
	fdb_exact(&A);
	assert_int_equal(ping_from(&A, &B), 0);
	expect_plan(&A, NULL, "");
	/* Destroy from the unaliased state. */
	SH_OK("ip -n kvxa link del kvx0");
	SH_OK("ip -n kvxa link add kvx0 address %s type vxlan id 4242 local 192.168.77.1 "
	      "dstport 4789 nolearning", mac);
	destroy_ok(&A);
	nothing_left(&A);
	destroy_ok(&B);
}

/* A crash before the journal save that follows the creates: the journal
 * is lost, discovery finds the VXLAN port by its alias as vxlan/lan,
 * adopts it against the desired resource (no change planned), and destroy
 * finds it as well. */
static void test_discovery(void **state)
{
	(void)state;
	apply_ok(&A, NULL);
	SH_OK("rm /run/aspen-state/kvxa/kva/" JOURNAL_FILE);
	/* Addresses carry no mark: only they are created again (which finds
	 * them there). */
	expect_plan(&A, NULL, "+addr/n1.eth0");
	SH_OK("rm -f /run/aspen-state/kvxa/kva/" JOURNAL_FILE);
	struct run r = host_run(&A, NULL, true, false);
	assert_int_equal(r.rc, 0);
	if (!strstr(r.plan, "-vxlan/lan"))
		fail_msg("destroy without a journal does not find vxlan/lan: %s", r.plan);
	destroy_ok(&A);
	nothing_left(&A);
}

/* A link of that name that is not aspen's, or a VXLAN link that already
 * holds the VNI on the port: apply refuses before it changes anything. */
static void test_collisions(void **state)
{
	(void)state;
	SH_OK("ip -n kvxa link add kvx0 type bridge");
	struct run r = host_run(&A, NULL, false, true);
	assert_int_equal(r.rc, -1);
	if (!strstr(r.err, "link kvx0 exists and is not aspen's") ||
	    !strstr(r.err, "rename the network or the topology"))
		fail_msg("unexpected message: %s", r.err);
	assert_int_not_equal(sh("ip -n kvxa link show kvbr 2>/dev/null"), 0);
	SH_OK("ip -n kvxa link del kvx0");
	SH_OK("ip -n kvxa link add other0 type vxlan id 4242 dstport 4789 local 192.168.77.1");
	r = host_run(&A, NULL, false, true);
	assert_int_equal(r.rc, -1);
	if (!strstr(r.err, "VXLAN link other0 already uses VNI 4242 on UDP port 4789"))
		fail_msg("unexpected message: %s", r.err);
	assert_int_not_equal(sh("ip -n kvxa link show kvbr 2>/dev/null"), 0);
	assert_int_not_equal(sh("ip -n kvxa link show kvx0 2>/dev/null"), 0);
	SH_OK("ip -n kvxa link del other0");
	nothing_left(&A);
}

/* SIGKILL an apply on host A at each of its mutating system calls in turn
 * (tests/tools/crashat, the crash matrix's tracer, running this binary
 * as `test_vxlan apply-a`): from each state, destroy leaves nothing; from
 * the same state, apply converges and a second plan is empty. */
static void test_crash_points(void **state)
{
	(void)state;
	char crashat[512], self[512], list[1024];
	const char *build = getenv("BUILD");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	snprintf(crashat, sizeof(crashat), "%s/tools/crashat", build ? build : "build");
	if (access(crashat, X_OK) != 0) {
		printf("skipped: crash points: %s not built (make %s)\n", crashat, crashat);
		return;
	}
	/* LeakSanitizer cannot run under ptrace (make test SAN=1). */
	setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
	/* The points include the VXLAN port's own calls. (An apply and
	 * destroy first: the list is then taken from the state each run of
	 * the loop starts from, state root made.) */
	apply_ok(&A, NULL);
	destroy_ok(&A);
	SH_OK("%s -l /run/kvx-points -- %s apply-a >/dev/null", crashat, self);
	destroy_ok(&A);
	capture(list, sizeof(list), "grep -c 'RTM_NEWLINK,kvx0\\|RTM_SETLINK,kvx0\\|RTM_NEWNEIGH' "
		"/run/kvx-points");
	assert_string_equal(list, "3");
	int k;
	for (k = 1;; k++) {
		int st = sh("%s -k %d -- %s apply-a >/dev/null 2>&1", crashat, k, self);
		if (st == 125)          /* fewer calls than k: the apply ran to its end */
			break;
		if (st != 137)
			fail_msg("crashat -k %d: exit %d", k, st);
		destroy_ok(&A);
		nothing_left(&A);
		assert_int_equal(sh("%s -k %d -- %s apply-a >/dev/null 2>&1", crashat, k, self), 137);
		apply_ok(&A, NULL);
		expect_plan(&A, NULL, "");
		fdb_exact(&A);
		destroy_ok(&A);
		nothing_left(&A);
	}
	capture(list, sizeof(list), "wc -l < /run/kvx-points");
	assert_int_equal(k - 1, atoi(list));
}

int main(int argc, char **argv)
{
	if (!getenv("ASPEN_SANDBOX")) {
		printf("test_vxlan: needs tests/sandbox.sh (ASPEN_SANDBOX unset)\n");
		return 77;
	}
	if (argc == 2 && strcmp(argv[1], "apply-a") == 0) {     /* test_crash_points */
		home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		struct run r = host_run(&A, NULL, false, true);
		if (r.rc < 0)
			fprintf(stderr, "apply on %s: %s\n", A.ns, r.err);
		return r.rc < 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_apply_ping_destroy, scrub),
		cmocka_unit_test_teardown(test_fdb_drift_repaired, scrub),
		cmocka_unit_test_teardown(test_mtu_in_place_vni_replaces, scrub),
		cmocka_unit_test_teardown(test_many_entries, scrub),
		cmocka_unit_test_teardown(test_half_made, scrub),
		cmocka_unit_test_teardown(test_discovery, scrub),
		cmocka_unit_test_teardown(test_collisions, scrub),
		cmocka_unit_test_teardown(test_crash_points, scrub),
	};
	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
