/* mhd.c — the libmicrohttpd function table of mhd.h, filled at first use.
 *
 * dlopen(APIMHD_SONAME) and dlsym of every function in APIMHD_FUNCS under
 * one pthread_once, the way runtime/curl.c loads libcurl. The library is
 * never closed (a daemon may still be stopping at exit). A failure is
 * remembered and reported to every caller. */
#define APIMHD_IMPL
#include "api/mhd.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct apimhd apimhd;

static struct {
	pthread_once_t once;
	int rc;
	char msg[sizeof(((struct rt_err *)0)->msg)];
} apimhd_state = { PTHREAD_ONCE_INIT, 0, "" };

#define APIMHD_SYM(ret, name, args) { #name, offsetof(struct apimhd, name) },
static const struct { const char *name; size_t off; } apimhd_syms[] = {
	APIMHD_FUNCS(APIMHD_SYM)
};
#undef APIMHD_SYM

static void apimhd_fail(const char *lib, const char *why)
{
	apimhd_state.rc = -1;
	snprintf(apimhd_state.msg, sizeof(apimhd_state.msg),
		 "libmicrohttpd is needed to serve the control API, and %s could not be loaded: %s "
		 "(install the Debian package %s)", lib, why, APIMHD_PACKAGE);
}

static void apimhd_open(void)
{
	const char *lib = getenv("ASPEN_LIBMICROHTTPD");
	if (!lib || !*lib)
		lib = APIMHD_SONAME;
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		apimhd_fail(lib, why ? why : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < sizeof(apimhd_syms) / sizeof(apimhd_syms[0]); i++) {
		void *f = dlsym(h, apimhd_syms[i].name);
		if (!f) {
			char why[160];
			snprintf(why, sizeof(why), "it has no %s", apimhd_syms[i].name);
			apimhd_fail(lib, why);
			return;
		}
		/* POSIX guarantees a function pointer survives this round trip. */
		memcpy((char *)&apimhd + apimhd_syms[i].off, &f, sizeof(f));
	}
}

int apimhd_load(struct rt_err *e)
{
	pthread_once(&apimhd_state.once, apimhd_open);
	if (apimhd_state.rc < 0)
		return rt_errf(e, ELIBACC, "%s", apimhd_state.msg);
	return 0;
}
