/* curl.c — the libcurl function table of curl.h, filled at first use.
 *
 * dlopen(RTCURL_SONAME) and dlsym of every function in RTCURL_FUNCS, then
 * curl_global_init, all under one pthread_once: VM clients are opened from
 * worker threads (parallel VM boot) and curl_global_init is not
 * thread-safe. The library is never closed: libcurl keeps global state
 * until exit. A failure is remembered and reported to every caller, so
 * each VM names the same cause. */
#define RTCURL_IMPL
#include "runtime/curl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rtcurl rtcurl;

static struct {
	pthread_once_t once;
	int rc;
	char msg[sizeof(((struct rt_err *)0)->msg)];
} rtcurl_state = { PTHREAD_ONCE_INIT, 0, "" };

#define RTCURL_SYM(ret, name, args) { #name, offsetof(struct rtcurl, name) },
static const struct { const char *name; size_t off; } rtcurl_syms[] = {
	RTCURL_FUNCS(RTCURL_SYM)
};
#undef RTCURL_SYM

static void rtcurl_fail(const char *lib, const char *why)
{
	rtcurl_state.rc = -1;
	snprintf(rtcurl_state.msg, sizeof(rtcurl_state.msg),
		 "libcurl is needed to talk to Cloud Hypervisor, and %s could not be loaded: %s "
		 "(install the Debian package %s)", lib, why, RTCURL_PACKAGE);
}

static void rtcurl_open(void)
{
	const char *lib = getenv("ASPEN_LIBCURL");
	if (!lib || !*lib)
		lib = RTCURL_SONAME;
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		rtcurl_fail(lib, why ? why : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < sizeof(rtcurl_syms) / sizeof(rtcurl_syms[0]); i++) {
		void *f = dlsym(h, rtcurl_syms[i].name);
		if (!f) {
			char why[160];
			snprintf(why, sizeof(why), "it has no %s", rtcurl_syms[i].name);
			rtcurl_fail(lib, why);
			return;
		}
		/* POSIX guarantees a function pointer survives this round trip. */
		memcpy((char *)&rtcurl + rtcurl_syms[i].off, &f, sizeof(f));
	}
	CURLcode rc = rtcurl.curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		rtcurl_fail(lib, rtcurl.curl_easy_strerror(rc));
}

int rtcurl_load(struct rt_err *e)
{
	pthread_once(&rtcurl_state.once, rtcurl_open);
	if (rtcurl_state.rc < 0)
		return rt_errf(e, ELIBACC, "%s", rtcurl_state.msg);
	return 0;
}
