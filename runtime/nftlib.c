/* nftlib.c — the libnftables function table of nftlib.h, filled at first use.
 *
 * dlopen(RTNFT_SONAME) and dlsym of every function in RTNFT_FUNCS under
 * one pthread_once (faults run on the schedule's thread, the capability
 * probe on one of its own), the way runtime/curl.c loads libcurl. The
 * library is never closed. A failure is remembered and reported to every
 * caller. */
#define RTNFT_IMPL
#include "runtime/nftlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rtnft rtnft;

static struct {
	pthread_once_t once;
	int rc;
	char msg[sizeof(((struct rt_err *)0)->msg)];
} rtnft_state = { PTHREAD_ONCE_INIT, 0, "" };

#define RTNFT_SYM(ret, name, args) { #name, offsetof(struct rtnft, name) },
static const struct { const char *name; size_t off; } rtnft_syms[] = {
	RTNFT_FUNCS(RTNFT_SYM)
};
#undef RTNFT_SYM

static void rtnft_fail(const char *lib, const char *why)
{
	rtnft_state.rc = -1;
	snprintf(rtnft_state.msg, sizeof(rtnft_state.msg),
		 "libnftables is needed for partitions and loss, and %s could not be loaded: %s "
		 "(install the Debian package %s)", lib, why, RTNFT_PACKAGE);
}

static void rtnft_open(void)
{
	const char *lib = getenv("ASPEN_LIBNFTABLES");
	if (!lib || !*lib)
		lib = RTNFT_SONAME;
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		rtnft_fail(lib, why ? why : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < sizeof(rtnft_syms) / sizeof(rtnft_syms[0]); i++) {
		void *f = dlsym(h, rtnft_syms[i].name);
		if (!f) {
			char why[160];
			snprintf(why, sizeof(why), "it has no %s", rtnft_syms[i].name);
			rtnft_fail(lib, why);
			return;
		}
		/* POSIX guarantees a function pointer survives this round trip. */
		memcpy((char *)&rtnft + rtnft_syms[i].off, &f, sizeof(f));
	}
}

int rtnft_load(struct rt_err *e)
{
	pthread_once(&rtnft_state.once, rtnft_open);
	if (rtnft_state.rc < 0)
		return rt_errf(e, ELIBACC, "%s", rtnft_state.msg);
	return 0;
}
