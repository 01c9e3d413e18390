/* test_curl.c — libcurl loaded at first use (runtime/curl.h).
 *
 * The test binary, like aspen, is not linked against libcurl: the calls
 * below go through the dlsym table. A missing library, or one without
 * libcurl's symbols, is an error naming the file, the loader's reason and
 * the Debian package, and stays the answer for every later call. Loading
 * happens once per process, so each failure case runs in a child. */
#include "tests/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/ch_client.h"
#include "runtime/curl.h"
#include "tests/unit/lazylib.h"

static void test_loads_and_calls(void **state)
{
	(void)state;
	struct rt_err e = {0};
	unsetenv("ASPEN_LIBCURL");
	assert_int_equal(rtcurl_load(&e), 0);
	assert_int_equal(rtcurl_load(&e), 0);           /* once is enough */
	assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
	CURL *c = curl_easy_init();
	assert_non_null(c);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
	long code = -1;
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), CURLE_OK);
	assert_int_equal(code, 0);
	curl_easy_cleanup(c);
	struct curl_slist *l = curl_slist_append(NULL, "Expect:");
	assert_non_null(l);
	assert_string_equal(l->data, "Expect:");
	curl_slist_free_all(l);
}

/* ch_open, the library's user, fails with the loader's message. */
static int ch_open_fails_too(const struct rt_err *e)
{
	struct ch *ch = NULL;
	struct rt_err ce = {0};
	if (ch_open(&ch, "/run/none.sock", &ce) != -1 || ch || strcmp(ce.msg, e->msg) != 0) {
		fprintf(stderr, "ch_open did not fail with the same message: %s\n", ce.msg);
		return 1;
	}
	return 0;
}

static const struct lazylib curl_lib = {
	"ASPEN_LIBCURL", RTCURL_SONAME, RTCURL_PACKAGE, "curl_global_init", rtcurl_load, ch_open_fails_too,
};

static void test_missing_library(void **state) { (void)state; lazylib_expect_missing(&curl_lib); }
static void test_not_libcurl(void **state) { (void)state; lazylib_expect_not_it(&curl_lib); }

int main(void)
{
	/* The failures first: each child must be the first to load. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_not_libcurl),
		cmocka_unit_test(test_loads_and_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
