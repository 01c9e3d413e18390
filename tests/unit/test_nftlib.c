/* test_nftlib.c — libnftables loaded at first use (runtime/nftlib.h).
 *
 * The test binary, like aspen, is not linked against libnftables: the
 * calls below go through the dlsym table. A missing library, or one
 * without libnftables' symbols, is an error naming the file, the loader's
 * reason and the Debian package, and stays the answer for every later
 * call. Loading happens once per process, so each failure case runs in a
 * child. No rule is sent to the kernel: the context only parses. */
#include "tests/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/nftlib.h"
#include "tests/unit/lazylib.h"

static void test_loads_and_calls(void **state)
{
	(void)state;
	struct rt_err e = {0};
	unsetenv("ASPEN_LIBNFTABLES");
	assert_int_equal(rtnft_load(&e), 0);
	assert_int_equal(rtnft_load(&e), 0);            /* once is enough */
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	assert_non_null(ctx);
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	assert_int_equal(nft_ctx_buffer_output(ctx), 0);
	assert_int_equal(nft_ctx_buffer_error(ctx), 0);
	/* A syntax error is found before anything reaches the kernel. */
	assert_int_not_equal(nft_run_cmd_from_buffer(ctx, "this is not nft"), 0);
	const char *err = nft_ctx_get_error_buffer(ctx);
	assert_non_null(err);
	assert_non_null(strstr(err, "Error"));
	assert_non_null(nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
}

static const struct lazylib nft_lib = {
	"ASPEN_LIBNFTABLES", RTNFT_SONAME, RTNFT_PACKAGE, "nft_ctx_new", rtnft_load, NULL,
};

static void test_missing_library(void **state) { (void)state; lazylib_expect_missing(&nft_lib); }
static void test_not_libnftables(void **state) { (void)state; lazylib_expect_not_it(&nft_lib); }

int main(void)
{
	/* The failures first: each child must be the first to load. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_not_libnftables),
		cmocka_unit_test(test_loads_and_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
