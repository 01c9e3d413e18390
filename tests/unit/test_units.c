/* test_units.c — the value syntaxes: every accepted form, garbage, overflow,
 * and formatting that round-trips through the parsers. */
#include "tests/testutil.h"

#include <stdio.h>
#include <string.h>

#include "compiler/units.h"

#define US 1ull
#define MS 1000ull
#define SEC 1000000ull

static void duration_ok(const char *s, uint64_t want)
{
	uint64_t v = 12345;
	const char *why = NULL;
	if (unit_duration(s, &v, &why) != 0)
		fail_msg("duration \"%s\" refused: %s", s, why);
	if (v != want)
		fail_msg("duration \"%s\" = %llu, want %llu", s, (unsigned long long)v,
			 (unsigned long long)want);
}

static void duration_bad(const char *s, const char *why_part)
{
	uint64_t v = 777;
	const char *why = NULL;
	if (unit_duration(s, &v, &why) == 0)
		fail_msg("duration \"%s\" accepted as %llu", s, (unsigned long long)v);
	assert_non_null(why);
	if (why_part && !strstr(why, why_part))
		fail_msg("duration \"%s\": reason \"%s\" lacks \"%s\"", s, why, why_part);
	assert_int_equal(v, 777);       /* untouched on error */
}

static void test_duration(void **state)
{
	(void)state;
	duration_ok("0", 0);
	duration_ok("250ms", 250 * MS);
	duration_ok("5s", 5 * SEC);
	duration_ok("1m30s", 90 * SEC);
	duration_ok("1h", 3600 * SEC);
	duration_ok("500us", 500 * US);
	duration_ok("1.5s", 1500 * MS);
	duration_ok("0.5ms", 500 * US);
	duration_ok("1.25ms", 1250 * US);
	duration_ok("1h2m3s4ms5us", 3723 * SEC + 4 * MS + 5);
	duration_ok("0s", 0);
	duration_ok("0.000001s", 1);
	duration_ok("1.5m", 90 * SEC);
	duration_ok("5124095576h", 5124095576ull * 3600 * SEC);  /* fits */

	duration_bad("", "empty");
	duration_bad("5", "missing unit");
	duration_bad("5 seconds", "unexpected");
	duration_bad("5sec", "unknown unit");
	duration_bad("5S", "unknown unit");
	duration_bad("-5s", "negative");
	duration_bad("30s1m", "largest first");
	duration_bad("1s1s", "largest first");
	duration_bad("1.s", "digits after");
	duration_bad(".5s", "number");
	duration_bad("0.5us", "microsecond");
	duration_bad("1.0000000001s", "decimal places");
	duration_bad("5124095577h", "too large");
	duration_bad("99999999999999999999s", "too large");
	duration_bad("18446744073709551615us1us", NULL);
	duration_bad("5124095576h1h", "largest first");
	duration_bad("5124095576h59m", "too large");
	duration_bad("1h ", NULL);
	duration_bad(" 1h", NULL);
	duration_bad("1e3s", NULL);
	duration_bad("0x10s", NULL);
	duration_bad("\xff", NULL);
}

static void test_size(void **state)
{
	(void)state;
	struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{"512M", 512ull << 20}, {"2G", 2ull << 30}, {"1024K", 1ull << 20},
		{"1T", 1ull << 40}, {"4096", 4096}, {"0", 0}, {"100B", 100},
		{"512MiB", 512ull << 20}, {"2GiB", 2ull << 30}, {"8Ki", 8192},
		{"1.5G", 3ull << 29}, {"0.5K", 512},
		{"16777215T", 16777215ull << 40},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;
		const char *why = NULL;
		if (unit_size(ok[i].s, &v, &why) != 0)
			fail_msg("size \"%s\" refused: %s", ok[i].s, why);
		assert_int_equal(v, ok[i].v);
	}
	const char *bad[] = {"", "M", "512MB", "2GB", "1kB", "5X", "-1M", "1.1B",
			     "16777216T", "18446744073709551616", "1 M", "0.1K", "512m"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		if (unit_size(bad[i], &v, &why) == 0)
			fail_msg("size \"%s\" accepted", bad[i]);
		assert_non_null(why);
	}
	uint64_t v;
	const char *why;
	assert_int_equal(unit_size("512MB", &v, &why), -1);
	assert_non_null(strstr(why, "ambiguous"));
}

static void test_rate(void **state)
{
	(void)state;
	struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{"10mbit", 10000000}, {"1gbit", 1000000000}, {"500kbit", 500000},
		{"100bit", 100}, {"1mbps", 8000000}, {"1Mbit", 1000000}, {"2.5gbit", 2500000000ull},
		{"1kbps", 8000}, {"0bit", 0}, {"18446744073709551615bit", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;
		const char *why = NULL;
		if (unit_rate(ok[i].s, &v, &why) != 0)
			fail_msg("rate \"%s\" refused: %s", ok[i].s, why);
		assert_int_equal(v, ok[i].v);
	}
	const char *bad[] = {"", "10", "10mb", "mbit", "10 mbit", "-1mbit", "0.5bit",
			     "18446744073709551615kbit", "3000000000tbps"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		if (unit_rate(bad[i], &v, &why) == 0)
			fail_msg("rate \"%s\" accepted as %llu", bad[i], (unsigned long long)v);
		assert_non_null(why);
	}
}

static void test_percent_uint(void **state)
{
	(void)state;
	double p = -1;
	const char *why = NULL;
	assert_int_equal(unit_percent("5%", &p, &why), 0);
	assert_true(p == 5.0);
	assert_int_equal(unit_percent("0.5%", &p, &why), 0);
	assert_true(p == 0.5);
	assert_int_equal(unit_percent("100", &p, &why), 0);
	assert_true(p == 100.0);
	assert_int_equal(unit_percent("0", &p, &why), 0);
	assert_true(p == 0.0);
	assert_int_equal(unit_percent("12.25", &p, &why), 0);
	assert_true(p == 12.25);
	const char *bad[] = {"", "%", "101%", "100.5", "-1%", "5%%", "5 %", "five", "1e2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (unit_percent(bad[i], &p, &why) == 0)
			fail_msg("percent \"%s\" accepted", bad[i]);
		assert_non_null(why);
	}

	uint64_t u;
	assert_int_equal(unit_uint("255", 1, 255, &u, &why), 0);
	assert_int_equal(u, 255);
	assert_int_equal(unit_uint("256", 1, 255, &u, &why), -1);
	assert_int_equal(unit_uint("0", 1, 255, &u, &why), -1);
	assert_int_equal(unit_uint("1.0", 1, 255, &u, &why), -1);
	assert_int_equal(unit_uint("+1", 1, 255, &u, &why), -1);
	assert_int_equal(unit_uint("0x1", 0, 255, &u, &why), -1);
	assert_int_equal(unit_uint("99999999999999999999", 0, UINT64_MAX, &u, &why), -1);
}

static void test_addresses(void **state)
{
	(void)state;
	uint32_t a = 0;
	const char *why = NULL;
	assert_int_equal(unit_ipv4("10.100.0.2", &a, &why), 0);
	assert_int_equal(a, 0x0a640002u);
	assert_int_equal(unit_ipv4("0.0.0.0", &a, &why), 0);
	assert_int_equal(a, 0);
	assert_int_equal(unit_ipv4("255.255.255.255", &a, &why), 0);
	assert_int_equal(a, 0xffffffffu);
	const char *bad[] = {"", "10", "10.0.0", "10.0.0.0.1", "256.0.0.1", "10.0.0.1/24",
			     "010.0.0.1", "10.0.0.01", "1000.0.0.1", "a.b.c.d", "10..0.1",
			     "10.0.0.1 ", "-1.0.0.0", "10.0.0.1:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (unit_ipv4(bad[i], &a, &why) == 0)
			fail_msg("ipv4 \"%s\" accepted", bad[i]);
		assert_non_null(why);
	}

	struct ipv4_prefix p;
	assert_int_equal(unit_prefix("10.100.0.0/24", &p, &why), 0);
	assert_int_equal(p.addr, 0x0a640000u);
	assert_int_equal(p.len, 24);
	assert_int_equal(unit_prefix("0.0.0.0/0", &p, &why), 0);
	assert_int_equal(p.len, 0);
	/* Host bits are accepted here (validation judges them). */
	assert_int_equal(unit_prefix("10.0.0.1/24", &p, &why), 0);
	assert_int_equal(p.addr, 0x0a000001u);
	const char *badp[] = {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
			      "10.0.0.0/24/1", "10.0.0.0/2x", "/24"};
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++) {
		why = NULL;
		if (unit_prefix(badp[i], &p, &why) == 0)
			fail_msg("prefix \"%s\" accepted", badp[i]);
		assert_non_null(why);
	}

	uint8_t mac[6] = {0};
	assert_int_equal(unit_mac("02:00:00:00:00:01", mac, &why), 0);
	uint8_t want[6] = {2, 0, 0, 0, 0, 1};
	assert_memory_equal(mac, want, 6);
	assert_int_equal(unit_mac("AA:bb:Cc:dD:ee:FF", mac, &why), 0);
	assert_int_equal(mac[0], 0xaa);
	assert_int_equal(mac[5], 0xff);
	const char *badm[] = {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02-00-00-00-00-01",
			      "2:0:0:0:0:1", "02:00:00:00:00:0g", "0200.0000.0001", "02:00:00:00:00:01 "};
	for (size_t i = 0; i < sizeof(badm) / sizeof(badm[0]); i++) {
		why = NULL;
		if (unit_mac(badm[i], mac, &why) == 0)
			fail_msg("mac \"%s\" accepted", badm[i]);
		assert_non_null(why);
	}

	uint16_t port = 0;
	assert_int_equal(unit_endpoint("10.100.0.2:7000", &a, &port, &why), 0);
	assert_int_equal(a, 0x0a640002u);
	assert_int_equal(port, 7000);
	assert_int_equal(unit_endpoint("1.2.3.4:65535", &a, &port, &why), 0);
	assert_int_equal(port, 65535);
	const char *bade[] = {"10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
			      ":80", "host:80", "10.0.0.1:80x", "10.0.0.1::80"};
	for (size_t i = 0; i < sizeof(bade) / sizeof(bade[0]); i++) {
		why = NULL;
		if (unit_endpoint(bade[i], &a, &port, &why) == 0)
			fail_msg("endpoint \"%s\" accepted", bade[i]);
		assert_non_null(why);
	}
}

static void split_ok(const char *s, const char *const *want, size_t n)
{
	struct arena a;
	arena_init(&a);
	struct strv v = {0};
	const char *why = NULL;
	if (unit_split_command(&a, s, &v, &why) != 0)
		fail_msg("command <%s> refused: %s", s, why);
	if (v.n != n)
		fail_msg("command <%s>: %zu words, want %zu", s, v.n, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v.v[i], want[i]) != 0)
			fail_msg("command <%s>: word %zu is <%s>, want <%s>", s, i, v.v[i], want[i]);
	assert_null(v.v[n]);
	arena_free(&a);
}

static void test_command(void **state)
{
	(void)state;
	split_ok("sleep 1000", (const char *[]){"sleep", "1000"}, 2);
	split_ok("  a \t b\n c  ", (const char *[]){"a", "b", "c"}, 3);
	split_ok("sh -c 'echo hi; exit 3'", (const char *[]){"sh", "-c", "echo hi; exit 3"}, 3);
	split_ok("echo \"a \\\"b\\\" \\$x \\n\"", (const char *[]){"echo", "a \"b\" $x \\n"}, 2);
	split_ok("a\\ b c", (const char *[]){"a b", "c"}, 2);
	split_ok("x'y'\"z\"", (const char *[]){"xyz"}, 1);
	split_ok("'' \"\"", (const char *[]){"", ""}, 2);
	split_ok("'a\\b'", (const char *[]){"a\\b"}, 1);

	const char *bad[] = {"", "   ", "'unterminated", "\"unterminated", "trailing\\",
			     "a 'b", "a \"b\\\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct arena a;
		arena_init(&a);
		struct strv v = {0};
		const char *why = NULL;
		if (unit_split_command(&a, bad[i], &v, &why) == 0)
			fail_msg("command <%s> accepted", bad[i]);
		assert_non_null(why);
		arena_free(&a);
	}
}

static void test_format(void **state)
{
	(void)state;
	char b[64];
	struct {
		uint64_t us;
		const char *s;
	} d[] = {
		{0, "0"}, {500, "500us"}, {250 * MS, "250ms"}, {5 * SEC, "5s"},
		{90 * SEC, "1m30s"}, {3600 * SEC, "1h"}, {1500 * MS, "1.5s"},
		{3600 * SEC + 500 * MS, "1h0.5s"}, {1001, "1001us"}, {61 * SEC + 1, "1m1.000001s"},
		{UINT64_MAX, "5124095576h1m49.551615s"},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		assert_string_equal(fmt_duration(b, sizeof(b), d[i].us), d[i].s);
		uint64_t back;
		const char *why;
		if (unit_duration(b, &back, &why) != 0)
			fail_msg("fmt_duration output \"%s\" does not parse: %s", b, why);
		assert_int_equal(back, d[i].us);
	}
	assert_string_equal(fmt_size(b, sizeof(b), 512ull << 20), "512M");
	assert_string_equal(fmt_size(b, sizeof(b), 1536ull << 10), "1536K");
	assert_string_equal(fmt_size(b, sizeof(b), 100), "100");
	assert_string_equal(fmt_size(b, sizeof(b), 0), "0");
	assert_string_equal(fmt_size(b, sizeof(b), 3ull << 40), "3T");
	assert_string_equal(fmt_size(b, sizeof(b), 1ull << 50), "1024T");
	assert_string_equal(fmt_rate(b, sizeof(b), 10000000), "10mbit");
	assert_string_equal(fmt_rate(b, sizeof(b), 1500000), "1500kbit");
	assert_string_equal(fmt_rate(b, sizeof(b), 100), "100bit");
	assert_string_equal(fmt_rate(b, sizeof(b), 0), "0bit");
	assert_string_equal(fmt_ipv4(b, sizeof(b), 0x0a640002u), "10.100.0.2");
	assert_string_equal(fmt_ipv4(b, FMT_IPV4_LEN, 0xffffffffu), "255.255.255.255");
	uint8_t m[6] = {2, 0, 0, 0xab, 0, 1};
	assert_string_equal(fmt_mac(b, FMT_MAC_LEN, m), "02:00:00:ab:00:01");
	/* Truncation is safe. */
	char small[4];
	fmt_duration(small, sizeof(small), 90 * SEC);
	assert_string_equal(small, "1m3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_percent_uint),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
