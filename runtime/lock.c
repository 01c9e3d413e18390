/* lock.c — the per-topology exclusive lock (see lock.h).
 *
 * flock() rather than fcntl() locks: they belong to the open file, not the
 * process, so two lockers in one process (tests, or a future daemon)
 * exclude each other too, and they vanish with the holder. Waiting is a
 * poll with short, growing sleeps: simple, signal-safe, and the wait is
 * measured in seconds anyway. */
#include "runtime/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "runtime/paths.h"

static long long lock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void lock_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* "pid N cmd A B C since T" -> "pid N (A B C since T)" */
static void lock_describe(const char *text, char *buf, size_t size)
{
	int pid;
	int off = 0;
	if (sscanf(text, "pid %d cmd %n", &pid, &off) == 1 && off > 0) {
		size_t n = strcspn(text + off, "\n");
		snprintf(buf, size, "pid %d (%.*s)", pid, (int)n, text + off);
	} else {
		snprintf(buf, size, "another aspen (no holder recorded yet)");
	}
}

/* Read the holder's line from fd (best effort). */
static void lock_read_holder(int fd, char *buf, size_t size)
{
	char text[1024];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	lock_describe(text, buf, size);
}

/* Write our holder line into the locked file. */
static void lock_write_holder(int fd, const char *const *argv)
{
	char line[1024];
	size_t n = (size_t)snprintf(line, sizeof(line), "pid %d cmd", (int)getpid());
	for (size_t i = 0; argv && argv[i] && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", argv[i]);
	if (!argv || !argv[0])
		n += (size_t)snprintf(line + n, sizeof(line) - n, " ?");
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " since %s\n", stamp);
	if (n > sizeof(line) - 1)
		n = sizeof(line) - 1;
	/* Best effort: without its description the lock still holds; only
	 * the contention message suffers. Write, then cut what a longer old
	 * line left: truncating to 0 first would make ext4 allocate and flush
	 * the block when the file is closed (its "replace by truncate"
	 * heuristic, auto_da_alloc), 1-20 ms at every command's exit for a
	 * file that lock_release unlinks anyway. */
	if (pwrite(fd, line, n, 0) == (ssize_t)n)
		(void)!ftruncate(fd, (off_t)n);
}

/* One attempt. 1 = got it (fd in *out), 0 = held by someone (holder text
 * in who), -1 = error. */
static int lock_try(struct lock *l, int *out, char *who, size_t who_size, struct rt_err *e)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == ENOENT) {
			/* A releaser removed the dir under us: make it again. */
			if (mkdir(l->dir, 0700) < 0 && errno != EEXIST && errno != ENOENT)
				return rt_errf(e, errno, "create %s: %s", l->dir, strerror(errno));
			continue;
		}
		if (fd < 0)
			return rt_errf(e, errno, "open %s: %s", l->path, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;
			if (err == EWOULDBLOCK) {
				lock_read_holder(fd, who, who_size);
				close(fd);
				return 0;
			}
			close(fd);
			return rt_errf(e, err, "lock %s: %s", l->path, strerror(err));
		}
		/* Still the file at the path? A releaser may have unlinked it
		 * between our open and our flock. */
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*out = fd;
			return 1;
		}
		close(fd);
	}
	return rt_errf(e, EAGAIN, "lock %s: the lock file keeps being replaced", l->path);
}

int lock_acquire(struct lock *l, const char *name, const char *const *argv, int timeout_ms,
		 struct rt_err *e)
{
	l->fd = -1;
	/* A releaser may remove the state dir while we create it: retry. */
	struct rt_err mk = {0};
	int made, tries = 0;
	do
		made = paths_make_state_dir(name, l->dir, sizeof(l->dir), &mk);
	while (made < 0 && mk.errnum == ENOENT && ++tries < 100);
	if (made < 0) {
		if (e)
			*e = mk;
		return -1;
	}
	snprintf(l->path, sizeof(l->path), "%s/%s", l->dir, LOCK_FILE);
	long long deadline = lock_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int sleep_ms = 10;
	char who[1200];
	for (;;) {
		int fd = -1;
		int got = lock_try(l, &fd, who, sizeof(who), e);
		if (got < 0)
			return -1;
		if (got == 1) {
			lock_write_holder(fd, argv);
			l->fd = fd;
			return 0;
		}
		long long left = deadline - lock_now_ms();
		if (timeout_ms == 0)
			return rt_errf(e, EWOULDBLOCK, "topology \"%s\" is locked by %s", name, who);
		if (timeout_ms > 0 && left <= 0)
			return rt_errf(e, ETIMEDOUT, "topology \"%s\" is still locked by %s after %.3gs",
				       name, who, timeout_ms / 1000.0);
		int nap = sleep_ms;
		if (timeout_ms > 0 && nap > left)
			nap = (int)left;
		lock_sleep_ms(nap);
		if (sleep_ms < 200)
			sleep_ms *= 2;
	}
}

void lock_release(struct lock *l)
{
	if (!l || l->fd < 0)
		return;
	/* Unlink while still holding the lock: a waiter that opened the old
	 * file sees, after its flock, that the path is gone and starts over. */
	unlink(l->path);
	close(l->fd);
	l->fd = -1;
	paths_remove_dir_if_empty(l->dir, NULL);
}

/* Is there a flock on (dev, ino)? /proc/locks lines read
 * "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (major:minor in hex). */
static int lock_is_held(const struct stat *st)
{
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return -1;
	char line[256];
	int held = 0;
	while (!held && fgets(line, sizeof(line), f)) {
		char type[16];
		unsigned maj, min;
		unsigned long long ino;
		int n = sscanf(line, "%*d: %15s %*s %*s %*d %x:%x:%llu", type, &maj, &min, &ino);
		held = n == 4 && strcmp(type, "FLOCK") == 0 && ino == (unsigned long long)st->st_ino &&
		       makedev(maj, min) == st->st_dev;
	}
	fclose(f);
	return held;
}

int lock_holder(const char *name, char *buf, size_t size, struct rt_err *e)
{
	char dir[PATHS_MAX], path[PATHS_MAX + 16];
	if (paths_state_dir(name, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, LOCK_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : rt_errf(e, errno, "open %s: %s", path, strerror(errno));
	/* Taking even a shared lock to test would make a concurrent
	 * lock_acquire fail for nothing, so ask the kernel's lock table. */
	struct stat st;
	int held = fstat(fd, &st) == 0 ? lock_is_held(&st) : -1;
	if (held < 0) {
		int err = errno;
		close(fd);
		return rt_errf(e, err, "lock %s: cannot read /proc/locks: %s", path, strerror(err));
	}
	if (held)
		lock_read_holder(fd, buf, size);
	close(fd);
	return held;
}
