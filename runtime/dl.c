/* dl.c — the lazy library loader of dl.h, shared by runtime/curl.c,
 * runtime/nftlib.c and api/mhd.c.
 *
 * One mutex per library rather than pthread_once: the once function takes
 * no argument, and the loader serves several libraries. Users load from
 * several threads (VM clients during parallel boot, the fault schedule,
 * the capability probe) and an init such as curl_global_init is not
 * thread-safe, so the whole load runs under the lock. */
#include "runtime/dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rtdl_fail(struct rtdl_lib *l, const char *lib, const char *why)
{
	l->rc = -1;
	snprintf(l->msg, sizeof(l->msg), "%s, and %s could not be loaded: %s "
		 "(install the Debian package %s)", l->need, lib, why, l->package);
}

static void rtdl_open(struct rtdl_lib *l)
{
	const char *lib = getenv(l->env);
	if (!lib || !*lib)
		lib = l->soname;
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		rtdl_fail(l, lib, why ? why : "dlopen failed");
		return;
	}
	for (size_t i = 0; i < l->nsyms; i++) {
		void *f = dlsym(h, l->syms[i].name);
		if (!f) {
			char why[160];
			snprintf(why, sizeof(why), "it has no %s", l->syms[i].name);
			rtdl_fail(l, lib, why);
			return;
		}
		/* POSIX guarantees a function pointer survives this round trip. */
		memcpy((char *)l->table + l->syms[i].off, &f, sizeof(f));
	}
	const char *why = l->init ? l->init() : NULL;
	if (why)
		rtdl_fail(l, lib, why);
}

int rtdl_load(struct rtdl_lib *l, struct rt_err *e)
{
	pthread_mutex_lock(&l->mu);
	if (!l->done) {
		rtdl_open(l);
		l->done = 1;
	}
	int rc = l->rc;
	pthread_mutex_unlock(&l->mu);
	if (rc < 0)
		return rt_errf(e, ELIBACC, "%s", l->msg);
	return 0;
}
