/* test_mhd.c — libmicrohttpd loaded at first use (api/mhd.h), and the
 * control API's own HTTP client (api/client.c) against it.
 *
 * Like aspen, the test binary does not link libmicrohttpd: a missing
 * library, or one without its symbols, is an error naming the file, the
 * loader's reason and the Debian package, and stays the answer for every
 * later call (each failure case runs in a child: loading happens once per
 * process). Then a real daemon on a unix socket answers the client with a
 * Content-Length body, a POST body echoed back, a chunked stream read line
 * by line and stopped by the reader, and an error status. */
#include "tests/testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/client.h"
#include "api/mhd.h"
#include "tests/unit/lazylib.h"

static const struct lazylib mhd_lib = {
	"ASPEN_LIBMICROHTTPD", APIMHD_SONAME, APIMHD_PACKAGE, "MHD_start_daemon", apimhd_load, NULL,
};

static void test_missing_library(void **state) { (void)state; lazylib_expect_missing(&mhd_lib); }
static void test_not_libmicrohttpd(void **state) { (void)state; lazylib_expect_not_it(&mhd_lib); }

/* ---------------- a daemon for the client ---------------- */

struct upload {
	char buf[4096];
	size_t n;
};

/* /stream: "line 0\n" ... "line 199\n" in chunks of unknown total size. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	int *i = cls;
	if (*i >= 200)
		return MHD_CONTENT_READER_END_OF_STREAM;
	int w = snprintf(buf, max, "line %d\n", (*i)++);
	return w < 0 || (size_t)w >= max ? -1 : w;
}

static void stream_free(void *cls) { free(cls); }

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *data_size, void **con_cls)
{
	(void)cls, (void)version;
	if (!*con_cls) {
		*con_cls = calloc(1, sizeof(struct upload));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	struct upload *u = *con_cls;
	if (*data_size) {
		size_t n = *data_size < sizeof(u->buf) - 1 - u->n ? *data_size : sizeof(u->buf) - 1 - u->n;
		memcpy(u->buf + u->n, data, n);
		u->n += n;
		*data_size = 0;
		return MHD_YES;
	}
	struct MHD_Response *r;
	unsigned status = 200;
	if (!strcmp(url, "/stream")) {
		int *i = calloc(1, sizeof(*i));
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stream_reader, i, stream_free);
	} else {
		char *body = malloc(4200);
		if (!strcmp(url, "/echo"))
			snprintf(body, 4200, "{\"method\":\"%s\",\"body\":%s}", method, u->n ? u->buf : "null");
		else
			snprintf(body, 4200, "{\"error\":\"no %s\"}", url);
		status = !strcmp(url, "/echo") ? 201 : 404;
		r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static int lines_seen;
static int stop_at_100(const char *line, void *ud)
{
	(void)ud;
	char want[32];
	snprintf(want, sizeof(want), "line %d", lines_seen);
	assert_string_equal(line, want);
	return ++lines_seen == 100;
}

static void test_client_against_daemon(void **state)
{
	(void)state;
	unsetenv("ASPEN_LIBMICROHTTPD");
	struct rt_err e = {0};
	assert_int_equal(apimhd_load(&e), 0);
	assert_int_equal(apimhd_load(&e), 0);           /* once is enough */
	char dir[] = "/tmp/aspen-test-mhd.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/api.sock", dir);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
						handler, NULL, MHD_OPTION_LISTEN_SOCKET, lfd,
						MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
						MHD_OPTION_END);
	assert_non_null(d);

	long st = 0;
	cJSON *ans = NULL;
	assert_int_equal(api_client_call(sa.sun_path, "POST", "/echo", "{\"x\": [1, 2]}", &st, &ans, &e), 0);
	assert_int_equal(st, 201);
	assert_non_null(ans);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(ans, "method")), "POST");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(ans, "body"), "x")), 2);
	cJSON_Delete(ans);

	assert_int_equal(api_client_call(sa.sun_path, "DELETE", "/echo", NULL, &st, &ans, &e), 0);
	assert_int_equal(st, 201);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(ans, "body")));
	cJSON_Delete(ans);

	assert_int_equal(api_client_call(sa.sun_path, "GET", "/nothing", NULL, &st, &ans, &e), 0);
	assert_int_equal(st, 404);
	char buf[64];
	assert_string_equal(api_client_error(ans, st, buf, sizeof(buf)), "no /nothing");
	cJSON_Delete(ans);

	/* A chunked stream, line by line; the reader stops it half way. */
	lines_seen = 0;
	assert_int_equal(api_client_follow(sa.sun_path, "/stream", stop_at_100, NULL, NULL, &e), 0);
	assert_int_equal(lines_seen, 100);

	MHD_stop_daemon(d);             /* closes lfd too */

	/* Nobody listening: an error naming the socket. */
	assert_int_equal(api_client_call(sa.sun_path, "GET", "/echo", NULL, &st, &ans, &e), -1);
	assert_non_null(strstr(e.msg, sa.sun_path));
	assert_null(ans);
	unlink(sa.sun_path);
	rmdir(dir);
}

int main(void)
{
	/* The failures first: each child must be the first to load. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_not_libmicrohttpd),
		cmocka_unit_test(test_client_against_daemon),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
