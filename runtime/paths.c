/* paths.c — state and runtime directories of a topology (see paths.h).
 *
 * The one place that turns a topology name into a path. Names are checked
 * against the language's name rule first, so nothing that reaches the file
 * system can contain '/' or "..". The roots come from the environment so
 * tests (and packagers) can move them; they are created on demand with the
 * narrowest mode, since journals name every object aspen owns. */
#include "runtime/paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATHS_NAME_MAX 32

bool paths_valid_name(const char *name)
{
	if (!name)
		return false;
	size_t n = strlen(name);
	if (n == 0 || n > PATHS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		bool inner = c == '_' || c == '-';
		if (!alnum && !(inner && i > 0 && i < n - 1))
			return false;
	}
	return true;
}

static int paths_root(const char *env, const char *def, char *buf, size_t size,
		      struct rt_err *e)
{
	const char *v = getenv(env);
	if (!v || !*v)
		v = def;
	if (v[0] != '/')
		return rt_errf(e, EINVAL, "%s=%s: not an absolute path", env, v);
	int n = snprintf(buf, size, "%s", v);
	if (n < 0 || (size_t)n >= size)
		return rt_errf(e, ENAMETOOLONG, "%s: path too long", v);
	/* "/x/" and "/x" name the same root; keep one spelling. */
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return 0;
}

int paths_state_root(char *buf, size_t size, struct rt_err *e)
{
	return paths_root("ASPEN_STATE_DIR", "/var/lib/aspen", buf, size, e);
}

int paths_run_root(char *buf, size_t size, struct rt_err *e)
{
	return paths_root("ASPEN_RUN_DIR", "/run/aspen", buf, size, e);
}

static int paths_join(const char *root, const char *name, char *buf, size_t size,
		      struct rt_err *e)
{
	if (!paths_valid_name(name))
		return rt_errf(e, EINVAL, "invalid topology name \"%s\"", name ? name : "");
	int n = snprintf(buf, size, "%s/%s", strcmp(root, "/") ? root : "", name);
	if (n < 0 || (size_t)n >= size)
		return rt_errf(e, ENAMETOOLONG, "%s/%s: path too long", root, name);
	return 0;
}

int paths_state_dir(const char *name, char *buf, size_t size, struct rt_err *e)
{
	char root[PATHS_MAX];
	if (paths_state_root(root, sizeof(root), e) < 0)
		return -1;
	return paths_join(root, name, buf, size, e);
}

int paths_run_dir(const char *name, char *buf, size_t size, struct rt_err *e)
{
	char root[PATHS_MAX];
	if (paths_run_root(root, sizeof(root), e) < 0)
		return -1;
	return paths_join(root, name, buf, size, e);
}

/* mkdir -p with mode 0700 for every component we create. */
static int paths_mkdirs(const char *path, struct rt_err *e)
{
	char tmp[PATHS_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return rt_errf(e, errno, "create directory %s: %s", tmp, strerror(errno));
		*p = saved;
		if (saved == '\0')
			break;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return rt_errf(e, errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return rt_errf(e, ENOTDIR, "%s: %s", path, strerror(ENOTDIR));
	return 0;
}

int paths_make_state_dir(const char *name, char *buf, size_t size, struct rt_err *e)
{
	if (paths_state_dir(name, buf, size, e) < 0)
		return -1;
	return paths_mkdirs(buf, e);
}

int paths_make_run_dir(const char *name, char *buf, size_t size, struct rt_err *e)
{
	if (paths_run_dir(name, buf, size, e) < 0)
		return -1;
	return paths_mkdirs(buf, e);
}

int paths_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int paths_write_atomic(const char *path, const char *text)
{
	char tmp[PATHS_MAX + 16];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = paths_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 ? -1 : 0;
	int err = errno;
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -1;
		err = errno;
	}
	if (rc < 0) {
		unlink(tmp);
		errno = err;
	}
	return rc;
}

int paths_remove_dir_if_empty(const char *dir, struct rt_err *e)
{
	if (rmdir(dir) == 0 || errno == ENOENT || errno == ENOTEMPTY || errno == EEXIST)
		return 0;
	return rt_errf(e, errno, "remove directory %s: %s", dir, strerror(errno));
}

static int paths_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void paths_list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int paths_list_topologies(char ***out, size_t *n, struct rt_err *e)
{
	char root[PATHS_MAX];
	*out = NULL;
	*n = 0;
	if (paths_state_root(root, sizeof(root), e) < 0)
		return -1;
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return rt_errf(e, errno, "list %s: %s", root, strerror(errno));
	}
	char **v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!paths_valid_name(de->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			char **nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		if (!(v[len] = strdup(de->d_name)))
			goto oom;
		len++;
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(*v), paths_cmp);
	*out = v;
	*n = len;
	return 0;
oom:
	closedir(d);
	paths_list_free(v, len);
	return rt_errf(e, ENOMEM, "list %s: %s", root, strerror(ENOMEM));
}
