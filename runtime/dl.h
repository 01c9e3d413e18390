/* dl.h — a shared library loaded with dlopen at first use.
 *
 * aspen links none of libcurl, libnftables or libmicrohttpd: each costs
 * milliseconds of loading at every start though few commands use it (see
 * runtime/curl.h, runtime/nftlib.h, api/mhd.h). Each of those headers keeps
 * its own table of function pointers and macros over it; this is the one
 * loader behind them: dlopen the soname (or the file $env names), dlsym
 * every name of the table, run an optional init, once per process and
 * thread-safe. A failure is remembered and given to every caller, so each
 * user names the same cause. The library is never closed. */
#ifndef ASPEN_RT_DL_H
#define ASPEN_RT_DL_H

#include <pthread.h>
#include <stddef.h>

#include "runtime/err.h"

/* One function of a table: its name and where its pointer goes. */
struct rtdl_sym {
	const char *name;
	size_t off;
};
#define RTDL_SYM(type, name) { #name, offsetof(type, name) },

struct rtdl_lib {
	/* Filled by the library's module. */
	const char *env;                /* names another file to load, e.g. "ASPEN_LIBCURL" */
	const char *soname;
	const char *package;            /* the Debian package that ships soname */
	const char *need;               /* the message's start: "libcurl is needed to ..." */
	void *table;
	const struct rtdl_sym *syms;
	size_t nsyms;
	/* Run once the table is full; NULL, or why the library is unusable. */
	const char *(*init)(void);
	/* The loader's. */
	pthread_mutex_t mu;
	int done, rc;
	char msg[sizeof(((struct rt_err *)0)->msg)];
};
#define RTDL_LIB_STATE .mu = PTHREAD_MUTEX_INITIALIZER

/* Load l once per process; later calls return the first call's outcome.
 * -1 (errno ELIBACC) with "<need>, and <file> could not be loaded: <why>
 * (install the Debian package <package>)". */
int rtdl_load(struct rtdl_lib *l, struct rt_err *e);

#endif
