/* test_health_util.c — the pure parts of the health probes: the internet
 * checksum and duration formatting used in messages. */
#include "tests/testutil.h"

#include <arpa/inet.h>
#include <string.h>

#include "runtime/health.h"

static void test_checksum(void **state)
{
	(void)state;
	/* RFC 1071 section 3 example: sum ddf2, checksum ~ddf2 = 220d. */
	const unsigned char v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(ntohs(health_inet_checksum(v, sizeof(v))), 0x220d);
	/* A message with its checksum filled in sums to zero. */
	unsigned char echo[12] = {8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 'a', 'b', 'c'};
	unsigned short ck = health_inet_checksum(echo, 11);        /* odd length */
	memcpy(echo + 2, &ck, 2);
	assert_int_equal(health_inet_checksum(echo, 11), 0);
	const unsigned char zero[4] = {0};
	assert_int_equal(health_inet_checksum(zero, 4), 0xffff);
}

static void test_fmt(void **state)
{
	(void)state;
	char b[32];
	health_fmt_ms(30000, b, sizeof(b));
	assert_string_equal(b, "30s");
	health_fmt_ms(1500, b, sizeof(b));
	assert_string_equal(b, "1.5s");
	health_fmt_ms(200, b, sizeof(b));
	assert_string_equal(b, "200ms");
	health_fmt_ms(0, b, sizeof(b));
	assert_string_equal(b, "0ms");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_fmt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
