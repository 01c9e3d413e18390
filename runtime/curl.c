/* curl.c — the libcurl function table of curl.h, filled at first use by
 * runtime/dl.c, which then runs curl_global_init under its lock: VM
 * clients are opened from worker threads (parallel VM boot) and
 * curl_global_init is not thread-safe. libcurl keeps global state until
 * exit, so the library is never closed. */
#define RTCURL_IMPL
#include "runtime/curl.h"

#include "runtime/dl.h"

struct rtcurl rtcurl;

#define RTCURL_SYM(ret, name, args) RTDL_SYM(struct rtcurl, name)
static const struct rtdl_sym rtcurl_syms[] = { RTCURL_FUNCS(RTCURL_SYM) };
#undef RTCURL_SYM

static const char *rtcurl_init(void)
{
	CURLcode rc = rtcurl.curl_global_init(CURL_GLOBAL_DEFAULT);
	return rc == CURLE_OK ? NULL : rtcurl.curl_easy_strerror(rc);
}

static struct rtdl_lib rtcurl_lib = {
	.env = "ASPEN_LIBCURL", .soname = RTCURL_SONAME, .package = RTCURL_PACKAGE,
	.need = "libcurl is needed to talk to Cloud Hypervisor",
	.table = &rtcurl, .syms = rtcurl_syms,
	.nsyms = sizeof(rtcurl_syms) / sizeof(rtcurl_syms[0]),
	.init = rtcurl_init, RTDL_LIB_STATE,
};

int rtcurl_load(struct rt_err *e)
{
	return rtdl_load(&rtcurl_lib, e);
}
