/* test_batch.c — deleting links in one kernel batch, and the run's link
 * cache, against the kernel.
 *
 * Runs as root inside tests/sandbox.sh (private net, mount and pid
 * namespaces; /run a tmpfs). Objects are made and checked with ip(8), an
 * independent tool; nl_link_del_many must delete exactly the links it is
 * given (veth peers with them) and leave every other link, and no link
 * group, behind. */
#include "tests/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/netns.h"
#include "runtime/nl.h"
#include "runtime/runtime.h"
#include "tests/kernel/ktest.h"

static struct nl *host;

#define IP(...) assert_int_equal(ktest_run((const char *const[]){"ip", __VA_ARGS__, NULL}), 0)

static bool link_exists(const char *ns, const char *name)
{
	if (ns)
		return ktest_run((const char *const[]){"ip", "-n", ns, "link", "show", "dev", name,
						       NULL}) == 0;
	return ktest_run((const char *const[]){"ip", "link", "show", "dev", name, NULL}) == 0;
}

static int ifindex_of(const char *name)
{
	struct nl_link_info li;
	struct rt_err e = {0};
	if (nl_link_find(host, name, &li, &e) < 0)
		fail_msg("find %s: %s", name, e.msg);
	return li.ifindex;
}

/* Every link of the sandbox is in the default group (no group left over). */
static void no_group_left(void)
{
	assert_int_equal(ktest_run((const char *const[]){"sh", "-c",
		"! ip -d link show | grep -q ' group [0-9]'", NULL}), 0);
}

static int group_setup(void **state)
{
	(void)state;
	struct rt_err e = {0};
	if (nl_open(&host, -1, &e) < 0) {
		fprintf(stderr, "nl_open: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	nl_free(host);
	return 0;
}

/* Remove whatever a failed test left. */
static int scrub(void **state)
{
	(void)state;
	ktest_run((const char *const[]){"sh", "-c",
		"for l in kb0 kb1 kbv1 kbv2 kbv3 kother; do ip link del $l; done 2>/dev/null; "
		"for n in kbn1 kbn2 kbn3; do ip netns del $n; done 2>/dev/null; true", NULL});
	return 0;
}

/* A bridge and three veths (peers in namespaces) go in one call; a link not
 * in the list stays, and so does its group. */
static void test_del_many(void **state)
{
	(void)state;
	IP("link", "add", "kb0", "type", "bridge");
	IP("link", "add", "kother", "type", "veth", "peer", "name", "kotherp");
	for (int i = 1; i <= 3; i++) {
		char ns[16], v[16];
		snprintf(ns, sizeof(ns), "kbn%d", i);
		snprintf(v, sizeof(v), "kbv%d", i);
		IP("netns", "add", ns);
		IP("link", "add", v, "master", "kb0", "up", "type", "veth", "peer", "name", "eth0",
		   "netns", ns);
	}
	int idx[4] = {ifindex_of("kb0"), ifindex_of("kbv1"), ifindex_of("kbv2"), ifindex_of("kbv3")};
	struct rt_err e = {0};
	assert_int_equal(nl_link_del_many(host, idx, 4, &e), 0);
	assert_false(link_exists(NULL, "kb0"));
	assert_false(link_exists(NULL, "kbv1"));
	assert_false(link_exists(NULL, "kbv3"));
	assert_false(link_exists("kbn2", "eth0"));      /* the peer went with its veth */
	assert_true(link_exists("kbn2", "lo"));
	assert_true(link_exists(NULL, "kother"));
	assert_true(link_exists(NULL, "kotherp"));
	no_group_left();
	/* Deleting them again: all gone already, which is success. */
	assert_int_equal(nl_link_del_many(host, idx, 4, &e), 0);
	assert_int_equal(nl_link_del_many(host, idx, 1, &e), 0);
	IP("link", "del", "kother");
	for (int i = 1; i <= 3; i++) {
		char ns[16];
		snprintf(ns, sizeof(ns), "kbn%d", i);
		IP("netns", "del", ns);
	}
}

/* One link alone, and a batch with a link that vanished meanwhile. */
static void test_del_many_partly_gone(void **state)
{
	(void)state;
	IP("link", "add", "kb0", "type", "bridge");
	IP("link", "add", "kb1", "type", "bridge");
	IP("link", "add", "kbv1", "type", "veth", "peer", "name", "kbv2");
	int idx[3] = {ifindex_of("kb0"), ifindex_of("kb1"), ifindex_of("kbv1")};
	IP("link", "del", "kb1");
	struct rt_err e = {0};
	assert_int_equal(nl_link_del_many(host, idx, 3, &e), 0);
	assert_false(link_exists(NULL, "kb0"));
	assert_false(link_exists(NULL, "kbv1"));
	assert_false(link_exists(NULL, "kbv2"));
	IP("link", "add", "kb0", "type", "bridge");
	idx[0] = ifindex_of("kb0");
	assert_int_equal(nl_link_del_many(host, idx, 1, &e), 0);
	assert_false(link_exists(NULL, "kb0"));
	no_group_left();
}

static void test_check_mark(void **state)
{
	(void)state;
	IP("link", "add", "kb0", "type", "bridge");
	struct nl_link_info li;
	struct rt_err e = {0};
	assert_int_equal(nl_link_find(host, "kb0", &li, &e), 0);
	assert_int_equal(nl_link_check_mark(&li, "aspen:t:bridge/x", &e), -1);
	assert_int_equal(e.errnum, EPERM);
	assert_string_equal(e.msg, "delete link kb0: not created by aspen (no alias; expected "
			    "\"aspen:t:bridge/x\"): leaving it alone");
	IP("link", "set", "kb0", "alias", "someone");
	assert_int_equal(nl_link_find(host, "kb0", &li, &e), 0);
	assert_int_equal(nl_link_check_mark(&li, "aspen:t:bridge/x", &e), -1);
	assert_string_equal(e.msg, "delete link kb0: owned by \"someone\", not \"aspen:t:bridge/x\": "
			    "leaving it alone");
	assert_int_equal(nl_link_check_mark(&li, "someone", &e), 0);
	IP("link", "del", "kb0");
}

struct seen {
	int n;
	bool kb0;
};

static int count_link(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct seen *s = arg;
	(void)e;
	s->n++;
	s->kb0 |= strcmp(l->name, "kb0") == 0;
	return 0;
}

/* The cache answers from one dump, says ENODEV for what the dump did not
 * hold, and asks the kernel again for a link reported changed. */
static void test_link_cache(void **state)
{
	(void)state;
	struct rt_ctx c;
	struct rt_err e = {0};
	assert_int_equal(rt_open(&c, "kbatch", NULL, 0, &e), 0);
	IP("link", "add", "kb0", "type", "bridge");
	struct nl_link_info li;
	assert_int_equal(rt_link(&c, c.host, "kb0", &li, &e), 0);
	assert_string_equal(li.kind, "bridge");
	assert_int_equal(li.ifindex, ifindex_of("kb0"));
	assert_int_equal(rt_link(&c, c.host, "kb1", &li, &e), -1);
	assert_int_equal(e.errnum, ENODEV);

	/* Made behind the cache's back: unknown until reported. */
	IP("link", "add", "kb1", "type", "bridge");
	assert_int_equal(rt_link(&c, c.host, "kb1", &li, &e), -1);
	rt_link_changed(&c, c.host, "kb1");
	assert_int_equal(rt_link(&c, c.host, "kb1", &li, &e), 0);
	assert_int_equal(li.ifindex, ifindex_of("kb1"));

	/* A changed link is looked up afresh; a deleted one is then gone. */
	IP("link", "set", "kb0", "mtu", "1400");
	rt_link_changed(&c, c.host, "kb0");
	assert_int_equal(rt_link(&c, c.host, "kb0", &li, &e), 0);
	assert_int_equal(li.mtu, 1400);
	IP("link", "del", "kb0");
	rt_link_changed(&c, c.host, "kb0");
	assert_int_equal(rt_link(&c, c.host, "kb0", &li, &e), -1);
	assert_int_equal(e.errnum, ENODEV);

	/* rt_link_each: a dump when the cache is not complete, and then the
	 * cache itself; the same links either way. */
	struct seen a = {0}, b = {0};
	assert_int_equal(rt_link_each(&c, c.host, count_link, &a, &e), 0);
	assert_int_equal(rt_link_each(&c, c.host, count_link, &b, &e), 0);
	assert_int_equal(a.n, b.n);
	assert_true(a.n >= 2);          /* lo, kb1 */
	assert_false(a.kb0 || b.kb0);
	rt_link_changed(&c, NULL, NULL);
	IP("link", "del", "kb1");
	rt_close(&c);
}

int main(void)
{
	if (!getenv("ASPEN_SANDBOX")) {
		printf("test_batch: needs tests/sandbox.sh (ASPEN_SANDBOX unset)\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_del_many, scrub),
		cmocka_unit_test_teardown(test_del_many_partly_gone, scrub),
		cmocka_unit_test_teardown(test_check_mark, scrub),
		cmocka_unit_test_teardown(test_link_cache, scrub),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
