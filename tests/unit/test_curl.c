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

/* In a child with ASPEN_LIBCURL=lib: rtcurl_load and ch_open fail, twice,
 * with a message holding every want[] string. Exit status 0 when so. */
static int child_fails(const char *lib, const char *const *want)
{
	setenv("ASPEN_LIBCURL", lib, 1);
	for (int round = 0; round < 2; round++) {
		struct rt_err e = {0};
		if (rtcurl_load(&e) != -1 || e.errnum != ELIBACC) {
			fprintf(stderr, "rtcurl_load(%s) did not fail (round %d)\n", lib, round);
			return 1;
		}
		for (size_t i = 0; want[i]; i++)
			if (!strstr(e.msg, want[i])) {
				fprintf(stderr, "message lacks \"%s\": %s\n", want[i], e.msg);
				return 1;
			}
		struct ch *ch = NULL;
		struct rt_err ce = {0};
		if (ch_open(&ch, "/run/none.sock", &ce) != -1 || ch || strcmp(ce.msg, e.msg) != 0) {
			fprintf(stderr, "ch_open did not fail with the same message: %s\n", ce.msg);
			return 1;
		}
	}
	return 0;
}

static void expect_child_fails(const char *lib, const char *const *want)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_fails(lib, want));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_missing_library(void **state)
{
	(void)state;
	const char *want[] = { "/nonexistent/libcurl.so.4", "cannot open shared object file",
			       "install the Debian package libcurl4", NULL };
	expect_child_fails("/nonexistent/libcurl.so.4", want);
}

static void test_not_libcurl(void **state)
{
	(void)state;
	const char *want[] = { "libm.so.6", "it has no curl_global_init", "libcurl4", NULL };
	expect_child_fails("libm.so.6", want);
}

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
