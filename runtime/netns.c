/* netns.c — named network namespaces the iproute2 way (see netns.h).
 *
 * The idea: a namespace lives as long as something refers to it; a bind
 * mount of /proc/thread-self/ns/net onto /run/netns/NAME is that reference,
 * and the file name is what `ip netns` looks for. unshare(CLONE_NEWNET)
 * moves only the calling thread, so a short-lived thread makes the new
 * namespace, pins it with the bind mount, brings lo up from inside, and
 * exits; the caller's own namespace is never touched.
 *
 * /run/netns is made a shared mount point (bind-mounted onto itself if need
 * be) as iproute2 does, so namespaces created here show up in mount
 * namespaces that were cloned from this one, and vanish from them on delete.
 *
 * Order on create: write the owner marker (the intent: O_TMPFILE + linkat,
 * so it appears complete or not at all), claim the name (O_EXCL), then make
 * the namespace. A crash leaves at worst our marker alone or our marker with
 * an unmounted file; discovery finds both by the marker, destroy removes
 * them and apply finishes them. An unmarked file is never ours (refused,
 * never deleted by aspen). The marker is written only after the name was
 * seen free, so it never claims a namespace someone else made before; one
 * made in the microseconds between that check and our O_EXCL makes the
 * create fail and our marker go. */
#include "runtime/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "runtime/nl.h"

#define NETNS_NAME_MAX 64

static int netns_check_name(const char *what, const char *name, struct rt_err *e)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n > 0 && n <= NETNS_NAME_MAX && strcmp(name, ".") && strcmp(name, "..");
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (!ok)
		return rt_errf(e, EINVAL, "%s: bad namespace name \"%s\"", what,
			       name ? name : "(null)");
	return 0;
}

static void netns_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, NETNS_RUN_DIR "/%s", name);
}

static void netns_owner_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, NETNS_OWNER_DIR "/%s.owner", name);
}

/* ---------------- /run/netns ---------------- */

static int netns_make_shared(struct rt_err *e)
{
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	/* EINVAL: not a mount point yet. Make it one, then share it. */
	if (errno != EINVAL ||
	    mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return rt_errf(e, errno, "make " NETNS_RUN_DIR " a shared mount: %s",
			       strerror(errno));
	return 0;
}

/* Ensure /run/netns exists and is a shared mount point: once per process,
 * again if someone removed the directory meanwhile. */
static int netns_run_dir(struct rt_err *e)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static bool shared;
	int rc = 0;
	pthread_mutex_lock(&mu);
	if (mkdir(NETNS_RUN_DIR, 0755) == 0)
		shared = false;
	else if (errno != EEXIST)
		rc = rt_errf(e, errno, "create " NETNS_RUN_DIR ": %s", strerror(errno));
	if (rc == 0 && !shared) {
		rc = netns_make_shared(e);
		shared = rc == 0;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

/* ---------------- owner marker ---------------- */

static int netns_mkdir(const char *dir, struct rt_err *e)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return rt_errf(e, errno, "create %s: %s", dir, strerror(errno));
	return 0;
}

/* Create NAME.owner holding mark, mode 0600: written into an unnamed file
 * (O_TMPFILE) and linked into place, so no crash can leave a partial or
 * temporary marker. An existing marker with the same mark is kept (*made
 * false); one with another mark fails with EEXIST. */
static int netns_claim_owner(const char *name, const char *mark, bool *made, struct rt_err *e)
{
	char path[256], fdpath[64];
	*made = false;
	if (netns_mkdir("/run/aspen", e) < 0 || netns_mkdir(NETNS_OWNER_DIR, e) < 0)
		return -1;
	netns_owner_path(path, sizeof(path), name);
	int fd = open(NETNS_OWNER_DIR, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return rt_errf(e, errno, "write %s: %s", path, strerror(errno));
	size_t n = strlen(mark);
	bool ok = write(fd, mark, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
	int en = errno;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (ok && linkat(AT_FDCWD, fdpath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		ok = false;
		en = errno;
	}
	close(fd);
	if (ok) {
		*made = true;
		return 0;
	}
	if (en != EEXIST)
		return rt_errf(e, en, "write %s: %s", path, strerror(en));
	char owner[512];
	struct rt_err oe;
	if (netns_owner(name, owner, sizeof(owner), &oe) == 0 && strcmp(owner, mark) == 0)
		return 0;
	return rt_errf(e, EEXIST, "its owner marker %s exists and is not \"%s\"", path, mark);
}

int netns_owner(const char *name, char *buf, size_t len, struct rt_err *e)
{
	if (netns_check_name("read namespace owner", name, e) < 0)
		return -1;
	char path[256];
	netns_owner_path(path, sizeof(path), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rt_errf(e, errno, "read owner of namespace %s: %s: %s", name, path,
			       strerror(errno));
	char tmp[512];
	ssize_t n = read(fd, tmp, sizeof(tmp) - 1);
	int en = errno;
	close(fd);
	if (n < 0)
		return rt_errf(e, en, "read %s: %s", path, strerror(en));
	tmp[n] = '\0';
	tmp[strcspn(tmp, "\n")] = '\0';
	if (strlen(tmp) >= len)
		return rt_errf(e, ERANGE, "read %s: mark longer than %zu bytes", path, len - 1);
	memcpy(buf, tmp, strlen(tmp) + 1);
	return 0;
}

/* ---------------- creating ---------------- */

struct netns_job {
	const char *path;       /* /run/netns/NAME, an existing empty file */
	int rc;
	struct rt_err err;
};

/* Runs on its own thread: new namespace, pinned onto path, lo up. */
static void *netns_worker(void *arg)
{
	struct netns_job *j = arg;
	j->rc = -1;
	if (unshare(CLONE_NEWNET) < 0) {
		rt_errf(&j->err, errno, "unshare(CLONE_NEWNET): %s", strerror(errno));
		return NULL;
	}
	if (mount("/proc/thread-self/ns/net", j->path, "none", MS_BIND, NULL) < 0) {
		rt_errf(&j->err, errno, "bind-mount onto %s: %s", j->path, strerror(errno));
		return NULL;
	}
	struct nl *nl;
	if (nl_open(&nl, -1, &j->err) < 0)
		return NULL;
	j->rc = nl_link_set_up(nl, "lo", true, &j->err);
	nl_free(nl);
	return NULL;
}

static int netns_populate(const char *path, struct rt_err *e)
{
	struct netns_job j = { .path = path, .rc = -1 };
	pthread_t t;
	int en = pthread_create(&t, NULL, netns_worker, &j);
	if (en)
		return rt_errf(e, en, "start namespace thread: %s", strerror(en));
	pthread_join(t, NULL);
	if (j.rc < 0) {
		if (e)
			*e = j.err;
		return -1;
	}
	return 0;
}

static bool netns_is_mounted(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == NSFS_MAGIC;
}

/* Bring lo up inside the mounted namespace at path (a crash may have come
 * between the mount and this). */
static int netns_lo_up(const char *path, struct rt_err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_errf(e, errno, "open %s: %s", path, strerror(errno));
	struct nl *nl;
	int rc = nl_open(&nl, fd, e);
	close(fd);
	if (rc == 0)
		rc = nl_link_set_up(nl, "lo", true, e);
	nl_free(nl);
	return rc;
}

enum netns_state netns_state(const char *name, const char *mark)
{
	char path[256], owner[512];
	struct rt_err ignore;
	struct stat st;
	if (netns_check_name("", name, NULL) < 0)
		return NETNS_ABSENT;
	netns_path(path, sizeof(path), name);
	bool ours = mark && netns_owner(name, owner, sizeof(owner), &ignore) == 0 &&
		    strcmp(owner, mark) == 0;
	if (lstat(path, &st) < 0)
		return ours ? NETNS_MARKED : NETNS_ABSENT;
	if (!ours)
		return NETNS_FOREIGN;
	return netns_is_mounted(path) ? NETNS_MOUNTED : NETNS_UNMOUNTED;
}

/* name's file already exists: ours (finish what a crash left) or someone
 * else's (refuse). */
static int netns_adopt(const char *name, const char *mark, const char *path, struct rt_err *e)
{
	char owner[512];
	struct rt_err oe;
	if (netns_owner(name, owner, sizeof(owner), &oe) < 0)
		return rt_errf(e, EEXIST, "it exists and was not created by aspen (no owner "
			       "marker)");
	if (strcmp(owner, mark) != 0)
		return rt_errf(e, EEXIST, "it exists, owned by \"%s\", not \"%s\"", owner, mark);
	if (netns_is_mounted(path))
		return netns_lo_up(path, e);
	return netns_populate(path, e);
}

int netns_create(const char *name, const char *mark, struct rt_err *e)
{
	if (netns_check_name("create namespace", name, e) < 0)
		return -1;
	if (!mark || !*mark || strchr(mark, '\n'))
		return rt_errf(e, EINVAL, "create namespace %s: bad ownership mark", name);
	if (netns_run_dir(e) < 0)
		return rt_err_prefix(e, "create namespace %s", name);
	char path[256], owner[256];
	struct stat st;
	netns_path(path, sizeof(path), name);
	if (lstat(path, &st) == 0)
		return netns_adopt(name, mark, path, e) < 0 ?
		       rt_err_prefix(e, "create namespace %s", name) : 0;
	bool made;
	if (netns_claim_owner(name, mark, &made, e) < 0)
		return rt_err_prefix(e, "create namespace %s", name);
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		int en = errno;
		/* Drop the marker if we wrote it now, or if the name went to
		 * someone else meanwhile (EEXIST): a marker beside a foreign
		 * file would claim that file. */
		netns_owner_path(owner, sizeof(owner), name);
		if (made || en == EEXIST)
			unlink(owner);
		if (en == EEXIST)
			return rt_errf(e, EEXIST, "create namespace %s: it appeared meanwhile and was "
				       "not created by aspen", name);
		return rt_errf(e, en, "create namespace %s: %s: %s", name, path, strerror(en));
	}
	close(fd);
	if (netns_populate(path, e) < 0) {
		struct rt_err ignore;
		netns_delete(name, &ignore);
		return rt_err_prefix(e, "create namespace %s", name);
	}
	return 0;
}

struct netns_batch {
	struct netns_req *v;
	size_t n;
	size_t next;            /* next index to take; atomically incremented */
};

static void *netns_batch_worker(void *arg)
{
	struct netns_batch *b = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
		if (i >= b->n)
			return NULL;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		b->v[i].rc = netns_create(b->v[i].name, b->v[i].mark, &b->v[i].err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		b->v[i].us = (unsigned long long)((t1.tv_sec - t0.tv_sec) * 1000000 +
						  (t1.tv_nsec - t0.tv_nsec) / 1000);
	}
}

int netns_create_all(struct netns_req *v, size_t n, unsigned threads, struct rt_err *e)
{
	struct netns_batch b = { .v = v, .n = n };
	if (threads == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if (threads > 64)
		threads = 64;
	if (threads > n)
		threads = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		v[i].rc = -1, v[i].err = (struct rt_err){ .errnum = ECANCELED, .msg = "not attempted" };
	pthread_t t[64];
	unsigned started = 0;
	/* This thread works too; extra threads only when they can start. */
	while (started + 1 < threads && pthread_create(&t[started], NULL, netns_batch_worker, &b) == 0)
		started++;
	netns_batch_worker(&b);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	size_t failed = 0, first = n;
	for (size_t i = 0; i < n; i++)
		if (v[i].rc < 0 && failed++ == 0)
			first = i;
	if (!failed)
		return 0;
	return rt_errf(e, v[first].err.errnum, "create namespaces: %zu of %zu failed, first: %s",
		       failed, n, v[first].err.msg);
}

/* ---------------- using and deleting ---------------- */

bool netns_exists(const char *name)
{
	char path[256];
	if (netns_check_name("", name, NULL) < 0)
		return false;
	netns_path(path, sizeof(path), name);
	return netns_is_mounted(path);
}

int netns_open(const char *name, int *fd, struct rt_err *e)
{
	*fd = -1;
	if (netns_check_name("open namespace", name, e) < 0)
		return -1;
	char path[256];
	netns_path(path, sizeof(path), name);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return rt_errf(e, errno, "open namespace %s: %s", name, strerror(errno));
	struct statfs st;
	if (fstatfs(f, &st) < 0 || st.f_type != NSFS_MAGIC) {
		close(f);
		return rt_errf(e, ENOENT, "open namespace %s: %s is not a mounted namespace",
			       name, path);
	}
	*fd = f;
	return 0;
}

int netns_call(const char *name, int (*fn)(void *arg, struct rt_err *e), void *arg,
	       struct rt_err *e)
{
	if (!name || !*name)
		return fn(arg, e);
	int fd, home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return rt_errf(e, errno, "open own namespace: %s", strerror(errno));
	if (netns_open(name, &fd, e) < 0) {
		close(home);
		return -1;
	}
	int rc = setns(fd, CLONE_NEWNET) < 0 ? rt_errf(e, errno, "enter %s: %s", name, strerror(errno))
					     : fn(arg, e);
	if (setns(home, CLONE_NEWNET) < 0) {
		fprintf(stderr, "aspen: cannot return from namespace %s: %s\n", name, strerror(errno));
		abort();
	}
	close(fd);
	close(home);
	return rc;
}

int netns_delete(const char *name, struct rt_err *e)
{
	if (netns_check_name("delete namespace", name, e) < 0)
		return -1;
	char path[256], owner[256];
	netns_path(path, sizeof(path), name);
	/* EINVAL: a file left without its mount; ENOENT: nothing there. */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return rt_errf(e, errno, "delete namespace %s: unmount %s: %s", name, path,
			       strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return rt_errf(e, errno, "delete namespace %s: remove %s: %s", name, path,
			       strerror(errno));
	netns_owner_path(owner, sizeof(owner), name);
	if (unlink(owner) < 0 && errno != ENOENT)
		return rt_errf(e, errno, "delete namespace %s: remove %s: %s", name, owner,
			       strerror(errno));
	return 0;
}

int netns_delete_owned(const char *name, const char *mark, struct rt_err *e)
{
	if (netns_check_name("delete namespace", name, e) < 0)
		return -1;
	if (!mark || !*mark)
		return rt_errf(e, EINVAL, "delete namespace %s: no ownership mark given", name);
	char path[256], owner[512];
	netns_path(path, sizeof(path), name);
	struct stat st;
	struct rt_err oe;
	bool have_owner = netns_owner(name, owner, sizeof(owner), &oe) == 0;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		/* Gone already; drop our stale marker, never someone else's. */
		if (have_owner && strcmp(owner, mark) == 0)
			return netns_delete(name, e);
		return 0;
	}
	if (!have_owner)
		return rt_errf(e, EPERM, "delete namespace %s: not created by aspen (no owner "
			       "marker, expected \"%s\"): leaving it alone", name, mark);
	if (strcmp(owner, mark) != 0)
		return rt_errf(e, EPERM, "delete namespace %s: owned by \"%s\", not \"%s\": "
			       "leaving it alone", name, owner, mark);
	return netns_delete(name, e);
}
