/* lazylib.h — the failure cases every lazily loaded library shares
 * (runtime/dl.h behind curl.h, nftlib.h, api/mhd.h).
 *
 * A missing library, or one without the library's symbols, is an error
 * naming the file, the loader's reason and the Debian package, and stays
 * the answer for every later call. Loading happens once per process, so
 * each case runs in a child, and a test binary must run these before it
 * loads the library itself. */
#ifndef ASPEN_TESTS_LAZYLIB_H
#define ASPEN_TESTS_LAZYLIB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/err.h"

struct lazylib {
	const char *env;                /* "ASPEN_LIBCURL" */
	const char *soname;
	const char *package;
	const char *first_sym;          /* the table's first function */
	int (*load)(struct rt_err *e);
	/* Optional: 0 when a user of the library fails with e's message too. */
	int (*also)(const struct rt_err *e);
};

/* In a child with env=lib: load fails, twice, with a message holding every
 * want[] string. Exit status 0 when so. */
static int lazylib_child_fails(const struct lazylib *L, const char *lib, const char *const *want)
{
	setenv(L->env, lib, 1);
	for (int round = 0; round < 2; round++) {
		struct rt_err e = {0};
		if (L->load(&e) != -1 || e.errnum != ELIBACC) {
			fprintf(stderr, "loading %s did not fail (round %d)\n", lib, round);
			return 1;
		}
		for (size_t i = 0; want[i]; i++)
			if (!strstr(e.msg, want[i])) {
				fprintf(stderr, "message lacks \"%s\": %s\n", want[i], e.msg);
				return 1;
			}
		if (L->also && L->also(&e) != 0)
			return 1;
	}
	return 0;
}

static void lazylib_expect_fails(const struct lazylib *L, const char *lib, const char *const *want)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(lazylib_child_fails(L, lib, want));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* $env names a file that does not exist. */
static void lazylib_expect_missing(const struct lazylib *L)
{
	char lib[128], pkg[128];
	snprintf(lib, sizeof(lib), "/nonexistent/%s", L->soname);
	snprintf(pkg, sizeof(pkg), "install the Debian package %s", L->package);
	const char *want[] = { lib, "cannot open shared object file", pkg, NULL };
	lazylib_expect_fails(L, lib, want);
}

/* $env names a real library that is not this one. */
static void lazylib_expect_not_it(const struct lazylib *L)
{
	char sym[128];
	snprintf(sym, sizeof(sym), "it has no %s", L->first_sym);
	const char *want[] = { "libm.so.6", sym, L->package, NULL };
	lazylib_expect_fails(L, "libm.so.6", want);
}

#endif
