/* artifacts.c — copying a topology's runtime files and journal out before
 * destroy removes them (see artifacts.h).
 *
 * The runtime dir is flat (runtime/context.c removes it file by file), so a
 * copy is one readdir. Files are copied, not moved: the copy happens while
 * the cluster still runs, and a node still writing its log must not lose
 * it; what is written between the copy and the node's stop is lost, which
 * is the moment destroy begins anyway. */
#include "cli/artifacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int artifacts_prepare(const char *dir, struct rt_err *e)
{
	char tmp[PATHS_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", dir) >= sizeof(tmp))
		return rt_errf(e, ENAMETOOLONG, "--artifacts %s: path too long", dir);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return rt_errf(e, errno, "--artifacts %s: create %s: %s", dir, tmp, strerror(errno));
		*p = saved;
		if (!saved)
			break;
	}
	struct stat st;
	if (stat(dir, &st) < 0)
		return rt_errf(e, errno, "--artifacts %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rt_errf(e, ENOTDIR, "--artifacts %s: not a directory", dir);
	if (access(dir, W_OK | X_OK) < 0)
		return rt_errf(e, errno, "--artifacts %s: %s", dir, strerror(errno));
	return 0;
}

/* Copy src (opened at dfd/name) to dir/name, mode 0644. */
static int artifacts_copy(int sfd, const char *dir, const char *name, struct rt_err *e)
{
	char dst[PATHS_MAX + 256];
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0)
		return rt_errf(e, errno, "--artifacts: create %s: %s", dst, strerror(errno));
	char buf[65536];
	ssize_t r;
	int rc = 0;
	while ((r = read(sfd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = rt_errf(e, errno, "--artifacts: read %s: %s", name, strerror(errno));
			break;
		}
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = rt_errf(e, errno, "--artifacts: write %s: %s", dst, strerror(errno));
				goto done;
			}
			off += w;
		}
	}
done:
	if (close(out) < 0 && rc == 0)
		rc = rt_errf(e, errno, "--artifacts: write %s: %s", dst, strerror(errno));
	return rc;
}

int artifacts_save(struct rt_ctx *c, const char *dir, struct rt_err *e)
{
	DIR *d = opendir(c->run_dir);
	if (!d && errno != ENOENT)
		return rt_errf(e, errno, "--artifacts: open %s: %s", c->run_dir, strerror(errno));
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;       /* a socket, a link, or gone meanwhile */
		struct stat st;
		int rc = 0;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			rc = artifacts_copy(fd, dir, de->d_name, e);
		close(fd);
		if (rc < 0) {
			closedir(d);
			return -1;
		}
	}
	if (d)
		closedir(d);
	if (c->journal.path) {
		int fd = open(c->journal.path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			int rc = artifacts_copy(fd, dir, "journal.json", e);
			close(fd);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

void artifacts_note(const char *dir, const char *fmt, ...)
{
	char path[PATHS_MAX + 32];
	snprintf(path, sizeof(path), "%s/summary.txt", dir);
	FILE *f = fopen(path, "ae");
	if (!f) {
		fprintf(stderr, "aspen: --artifacts: %s: %s\n", path, strerror(errno));
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	if (fclose(f) != 0)
		fprintf(stderr, "aspen: --artifacts: %s: %s\n", path, strerror(errno));
}

char *artifacts_mkdtemp(const char *name, struct rt_err *e)
{
	const char *tmp = getenv("TMPDIR");
	char stamp[32], path[PATHS_MAX];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(path, sizeof(path), "%s/aspen-%s-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name, stamp);
	if (!mkdtemp(path)) {
		rt_errf(e, errno, "create %s: %s", path, strerror(errno));
		return NULL;
	}
	return strdup(path);
}
