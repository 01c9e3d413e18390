/* test_mark.c — ownership marks: building and recognising them. */
#include "tests/testutil.h"

#include <errno.h>
#include <string.h>

#include "runtime/mark.h"

static void test_build(void **state)
{
	char buf[ASPEN_MARK_MAX + 1];
	struct rt_err e = { 0 };
	assert_int_equal(mark_build(buf, sizeof(buf), "cluster3", "veth/node1.eth0", &e), 0);
	assert_string_equal(buf, "aspen:cluster3:veth/node1.eth0");
	assert_true(mark_is_aspen(buf));
	assert_true(mark_in_topology(buf, "cluster3"));
	assert_false(mark_in_topology(buf, "cluster"));
	assert_false(mark_in_topology(buf, "cluster33"));
	assert_false(mark_in_topology(buf, ""));
}

static void test_build_refuses(void **state)
{
	char buf[ASPEN_MARK_MAX + 1], small[16], id[300];
	struct rt_err e = { 0 };
	assert_int_equal(mark_build(buf, sizeof(buf), "a:b", "x", &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_int_equal(mark_build(buf, sizeof(buf), "", "x", &e), -1);
	assert_int_equal(mark_build(buf, sizeof(buf), NULL, "x", &e), -1);
	assert_int_equal(mark_build(buf, sizeof(buf), "t", "", &e), -1);
	assert_int_equal(mark_build(buf, sizeof(buf), "t", "a\nb", &e), -1);
	assert_int_equal(e.errnum, EINVAL);
	assert_int_equal(mark_build(small, sizeof(small), "cluster3", "veth/node1.eth0", &e), -1);
	assert_int_equal(e.errnum, ENAMETOOLONG);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(mark_build(buf, sizeof(buf), "t", id, &e), -1);
	assert_int_equal(e.errnum, ENAMETOOLONG);
	/* Exactly the kernel's limit fits. */
	id[ASPEN_MARK_MAX - strlen("aspen:t:")] = '\0';
	assert_int_equal(mark_build(buf, sizeof(buf), "t", id, &e), 0);
	assert_int_equal(strlen(buf), ASPEN_MARK_MAX);
}

static void test_recognise(void **state)
{
	assert_false(mark_is_aspen(NULL));
	assert_false(mark_is_aspen(""));
	assert_false(mark_is_aspen("aspen"));
	assert_false(mark_is_aspen("docker:x"));
	assert_true(mark_is_aspen("aspen:t:x"));
	assert_false(mark_in_topology("aspen:t", "t"));
	assert_true(mark_in_topology("aspen:t:", "t"));
	assert_false(mark_in_topology(NULL, "t"));
	assert_false(mark_in_topology("aspen:t:x", NULL));
}

/* The creation-time mark: a stable, locally administered unicast MAC per
 * mark, recognised only on a link without alias. */
static void test_link_owned(void **state)
{
	unsigned char m1[6], m2[6], again[6];
	mark_mac("aspen:t:bridge/lan", m1);
	mark_mac("aspen:t:veth/n1.eth0", m2);
	mark_mac("aspen:t:bridge/lan", again);
	assert_memory_equal(m1, again, 6);
	assert_memory_not_equal(m1, m2, 6);
	assert_int_equal(m1[0], 0x02);          /* local, unicast */
	assert_true(mark_link_owned("aspen:t:bridge/lan", "aspen:t:bridge/lan", NULL));
	assert_true(mark_link_owned("aspen:t:bridge/lan", "", m1));
	assert_true(mark_link_owned("aspen:t:bridge/lan", NULL, m1));
	/* An alias decides alone: someone else's alias over our MAC is theirs. */
	assert_false(mark_link_owned("aspen:t:bridge/lan", "theirs", m1));
	assert_false(mark_link_owned("aspen:t:bridge/lan", "", m2));
	assert_false(mark_link_owned("aspen:t:bridge/lan", "", NULL));
	assert_false(mark_link_owned("", "", m1));
	assert_false(mark_link_owned(NULL, "aspen:t:bridge/lan", m1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_recognise),
		cmocka_unit_test(test_link_owned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
