/* ktest.h — helpers for kernel tests that run inside tests/sandbox.sh.
 *
 * There the test binary is PID 1 of a fresh pid namespace, so every
 * daemonized process it starts is reparented to it. ktest_main() makes PID 1
 * a real init: it forks, runs the suite in the child (so daemons are not the
 * suite's children, as in production) and reaps orphans until the suite is
 * done. When PID 1 exits the kernel kills whatever is left in the namespace. */
#ifndef ASPEN_KTEST_H
#define ASPEN_KTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run argv (no shell), output to stderr; returns the exit status or -1. */
static inline int ktest_run(const char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(2, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Inode of a namespace file, 0 on error. */
static inline unsigned long long ktest_ino(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static inline int ktest_main(int (*suite)(void))
{
	if (getuid() != 0) {
		printf("needs root (run through tests/sandbox.sh)\n");
		return 77;
	}
	if (getpid() != 1)
		return suite();
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		_exit(suite());
	int rc = 1;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == child) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
			break;
		}
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return rc;
}

#endif
