/* journal.c — loading and atomically saving a topology's state journal
 * (see journal.h for the format).
 *
 * The in-memory form is the compiler's struct res_list plus a small process
 * table and the fault engine's opaque JSON, all in one arena, so a caller
 * never frees an individual record. JSON is only the on-disk encoding:
 * journal_load() checks every field it decodes and names the file in each
 * complaint, because a journal someone edited by hand is what `destroy`
 * will trust. journal_save() is the classic temp + fsync + rename + fsync
 * dir sequence; the temp file lives in the same directory so rename() is
 * atomic.
 *
 * The file a save replaces is still open in a background thread when
 * journal_save returns, and that thread closes it: the last close is when
 * the filesystem frees the old file's blocks, which costs ~1.5-4 ms of
 * waiting here (ext4 on these machines) — per save, 4 saves in a small
 * apply. The new journal is durable before journal_save returns, as before;
 * only the old one's cleanup overlaps the next actions.
 *
 * Lookups by id go through a hash index (struct journal_index) built on the
 * first lookup and kept up to date by every append; a removal shifts
 * positions, so it only marks the index stale and the next lookup rebuilds
 * it. A 3000-node journal holds ~12000 resources, and every command looks
 * each of them up at least once: a scan per lookup was a third of a no-op
 * apply's time (issue 17). */
#include "runtime/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler/strmap.h"
#include "runtime/paths.h"

#define JOURNAL_MAX_SIZE (64u * 1024u * 1024u)
#define JOURNAL_TMP_PREFIX JOURNAL_FILE ".tmp."

/* "state journal PATH: <fmt>" */
static int jerr(struct rt_err *e, int errnum, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int jerr(struct rt_err *e, int errnum, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rt_errf(e, errnum, "state journal %s: %s", path, msg);
}

struct journal_index {
	struct strmap res, procs;       /* id -> position in resources.v / procs */
	bool res_ok, procs_ok;          /* false: stale, rebuilt on next lookup */
};

static void journal_index_free(struct journal *j)
{
	if (!j->idx)
		return;
	strmap_free(&j->idx->res);
	strmap_free(&j->idx->procs);
	free(j->idx);
	j->idx = NULL;
}

/* The index of j, valid; NULL only when out of memory (callers scan). */
static struct journal_index *journal_index(const struct journal *j)
{
	struct journal_index *x = j->idx;
	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x)
			return NULL;
		((struct journal *)j)->idx = x;     /* a cache: j's value is unchanged */
	}
	if (!x->res_ok) {
		strmap_free(&x->res);
		strmap_init(&x->res, j->resources.n);
		for (size_t i = 0; i < j->resources.n; i++)
			strmap_put(&x->res, j->resources.v[i].id, i, NULL);
		x->res_ok = true;
	}
	if (!x->procs_ok) {
		strmap_free(&x->procs);
		strmap_init(&x->procs, j->n_procs);
		for (size_t i = 0; i < j->n_procs; i++)
			strmap_put(&x->procs, j->procs[i].id, i, NULL);
		x->procs_ok = true;
	}
	return x;
}

/* After appending resource (or process) i: keep a valid index valid. */
static void journal_index_added(struct journal *j, bool proc, size_t i)
{
	struct journal_index *x = j->idx;
	if (!x)
		return;
	if (proc && x->procs_ok)
		strmap_put(&x->procs, j->procs[i].id, i, NULL);
	else if (!proc && x->res_ok)
		strmap_put(&x->res, j->resources.v[i].id, i, NULL);
}

static void journal_init(struct journal *j)
{
	memset(j, 0, sizeof(*j));
	arena_init(&j->arena);
}

static void journal_join_closer(struct journal *j)
{
	if (j->closing)
		pthread_join(j->closer, NULL);
	j->closing = false;
}

void journal_free(struct journal *j)
{
	if (!j)
		return;
	journal_join_closer(j);
	cJSON_Delete(j->faults);
	journal_index_free(j);
	arena_free(&j->arena);
	memset(j, 0, sizeof(*j));
}

/* ---------------- in-memory edits ---------------- */

static ssize_t journal_res_index(const struct journal *j, const char *id)
{
	struct journal_index *x = journal_index(j);
	size_t v;
	if (x)
		return strmap_get(&x->res, id, &v) ? (ssize_t)v : -1;
	for (size_t i = 0; i < j->resources.n; i++)
		if (strcmp(j->resources.v[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

const struct resource *journal_find_resource(const struct journal *j, const char *id)
{
	ssize_t i = journal_res_index(j, id);
	return i < 0 ? NULL : &j->resources.v[i];
}

bool journal_remove_resource(struct journal *j, const char *id)
{
	ssize_t i = journal_res_index(j, id);
	if (i < 0)
		return false;
	struct res_list *l = &j->resources;
	memmove(&l->v[i], &l->v[i + 1], (l->n - (size_t)i - 1) * sizeof(*l->v));
	l->n--;
	if (j->idx)
		j->idx->res_ok = false;
	return true;
}

int journal_set_resource(struct journal *j, const struct resource *r, struct rt_err *e)
{
	if (!r->id || !*r->id || (unsigned)r->kind >= RES__COUNT)
		return rt_errf(e, EINVAL, "journal %s: resource without id or with a bad kind",
			       j->name ? j->name : "?");
	ssize_t old = journal_res_index(j, r->id);
	struct resource *c = res_list_add(&j->resources, &j->arena, r->kind, r->id);
	for (size_t i = 0; i < r->n_props; i++)
		res_set(&j->arena, c, r->props[i].key, r->props[i].value);
	for (size_t i = 0; i < r->n_deps; i++)
		res_add_dep(&j->arena, c, r->deps[i]);
	struct res_list *l = &j->resources;
	if (old >= 0) {
		/* The new copy (last) takes the replaced one's slot; the index
		 * keeps the position (its key, the old id, lives on in the arena). */
		l->v[old] = l->v[--l->n];
		return 0;
	}
	journal_index_added(j, false, l->n - 1);
	return 0;
}

static ssize_t journal_proc_index(const struct journal *j, const char *id)
{
	struct journal_index *x = journal_index(j);
	size_t v;
	if (x)
		return strmap_get(&x->procs, id, &v) ? (ssize_t)v : -1;
	for (size_t i = 0; i < j->n_procs; i++)
		if (strcmp(j->procs[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

void journal_set_process(struct journal *j, const char *id, const struct proc_id *p)
{
	ssize_t i = journal_proc_index(j, id);
	if (i >= 0) {
		j->procs[i].proc = *p;
		return;
	}
	if (j->n_procs == j->cap_procs) {
		size_t cap = j->cap_procs ? j->cap_procs * 2 : 8;
		struct journal_proc *v = arena_array(&j->arena, cap, sizeof(*v));
		if (j->n_procs)
			memcpy(v, j->procs, j->n_procs * sizeof(*v));
		j->procs = v;
		j->cap_procs = cap;
	}
	j->procs[j->n_procs].id = arena_strdup(&j->arena, id);
	j->procs[j->n_procs].proc = *p;
	j->n_procs++;
	journal_index_added(j, true, j->n_procs - 1);
}

bool journal_remove_process(struct journal *j, const char *id)
{
	ssize_t i = journal_proc_index(j, id);
	if (i < 0)
		return false;
	memmove(&j->procs[i], &j->procs[i + 1], (j->n_procs - (size_t)i - 1) * sizeof(*j->procs));
	j->n_procs--;
	if (j->idx)
		j->idx->procs_ok = false;
	return true;
}

const struct proc_id *journal_find_process(const struct journal *j, const char *id)
{
	ssize_t i = journal_proc_index(j, id);
	return i < 0 ? NULL : &j->procs[i].proc;
}

void journal_set_faults(struct journal *j, cJSON *arr)
{
	cJSON_Delete(j->faults);
	j->faults = arr;
}

int journal_set_file(struct journal *j, const char *abs_path, struct rt_err *e)
{
	if (abs_path && abs_path[0] != '/')
		return rt_errf(e, EINVAL, "journal: topology file %s is not an absolute path",
			       abs_path);
	j->file = arena_strdup(&j->arena, abs_path);
	return 0;
}

bool journal_empty(const struct journal *j)
{
	return j->resources.n == 0 && j->n_procs == 0 && cJSON_GetArraySize(j->faults) == 0;
}

/* ---------------- decoding ---------------- */

static int journal_decode_resource(struct journal *j, const cJSON *it, size_t idx,
				   struct rt_err *e)
{
	const char *p = j->path;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(it, "props");
	const cJSON *deps = cJSON_GetObjectItemCaseSensitive(it, "deps");
	if (!cJSON_IsObject(it))
		return jerr(e, EINVAL, p, "resources[%zu] is not an object", idx);
	if (!cJSON_IsString(kind) || !cJSON_IsString(id) || !*id->valuestring)
		return jerr(e, EINVAL, p, "resources[%zu] needs string \"kind\" and \"id\"", idx);
	int k = res_kind_from_name(kind->valuestring);
	if (k < 0)
		return jerr(e, EINVAL, p, "resources[%zu] (%s): unknown kind \"%s\"", idx,
			    id->valuestring, kind->valuestring);
	if (journal_find_resource(j, id->valuestring))
		return jerr(e, EINVAL, p, "resources[%zu]: duplicate id \"%s\"", idx,
			    id->valuestring);
	if ((props && !cJSON_IsObject(props)) || (deps && !cJSON_IsArray(deps)))
		return jerr(e, EINVAL, p, "resources[%zu] (%s): \"props\" must be an object "
			    "and \"deps\" an array", idx, id->valuestring);
	struct resource *r = res_list_add(&j->resources, &j->arena, k, id->valuestring);
	journal_index_added(j, false, j->resources.n - 1);
	const cJSON *c;
	cJSON_ArrayForEach(c, props) {
		if (!cJSON_IsString(c))
			return jerr(e, EINVAL, p, "resources[%zu] (%s): prop \"%s\" is not a string",
				    idx, id->valuestring, c->string);
		res_set(&j->arena, r, c->string, c->valuestring);
	}
	cJSON_ArrayForEach(c, deps) {
		if (!cJSON_IsString(c))
			return jerr(e, EINVAL, p, "resources[%zu] (%s): a dep is not a string",
				    idx, id->valuestring);
		res_add_dep(&j->arena, r, c->valuestring);
	}
	return 0;
}

/* A JSON number that is a non-negative integer below 2^53. */
static bool journal_uint(const cJSON *n, unsigned long long *out)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9007199254740992.0)
		return false;
	unsigned long long v = (unsigned long long)n->valuedouble;
	if ((double)v != n->valuedouble)
		return false;
	*out = v;
	return true;
}

static int journal_decode_procs(struct journal *j, const cJSON *procs, struct rt_err *e)
{
	if (!procs || cJSON_IsNull(procs))
		return 0;
	if (!cJSON_IsObject(procs))
		return jerr(e, EINVAL, j->path, "\"processes\" is not an object");
	const cJSON *c;
	cJSON_ArrayForEach(c, procs) {
		unsigned long long pid, st;
		if (!journal_uint(cJSON_GetObjectItemCaseSensitive(c, "pid"), &pid) ||
		    pid == 0 || pid > 0x7fffffff ||
		    !journal_uint(cJSON_GetObjectItemCaseSensitive(c, "starttime"), &st))
			return jerr(e, EINVAL, j->path, "processes.%s needs integer \"pid\" "
				    "and \"starttime\"", c->string);
		struct proc_id id = {.pid = (pid_t)pid, .starttime = st};
		journal_set_process(j, c->string, &id);
	}
	return 0;
}

static int journal_decode(struct journal *j, cJSON *root, struct rt_err *e)
{
	const char *p = j->path;
	if (!cJSON_IsObject(root))
		return jerr(e, EINVAL, p, "not a JSON object");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "format_version");
	if (!cJSON_IsNumber(v))
		return jerr(e, EINVAL, p, "no \"format_version\"");
	if (v->valuedouble != JOURNAL_FORMAT_VERSION)
		return jerr(e, EINVAL, p, "unknown format_version %g (this aspen reads %d; "
			    "written by a newer aspen?)", v->valuedouble, JOURNAL_FORMAT_VERSION);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "topology");
	if (!cJSON_IsString(t) || strcmp(t->valuestring, j->name) != 0)
		return jerr(e, EINVAL, p, "\"topology\" is %s%s%s, expected \"%s\"",
			    cJSON_IsString(t) ? "\"" : "",
			    cJSON_IsString(t) ? t->valuestring : "missing",
			    cJSON_IsString(t) ? "\"" : "", j->name);
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "file");
	if (f && !cJSON_IsNull(f) && !(cJSON_IsString(f) && f->valuestring[0] == '/'))
		return jerr(e, EINVAL, p, "\"file\" must be an absolute path or null");
	if (cJSON_IsString(f))
		j->file = arena_strdup(&j->arena, f->valuestring);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "updated");
	if (cJSON_IsString(u))
		j->updated = arena_strdup(&j->arena, u->valuestring);
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "resources");
	if (res && !cJSON_IsArray(res))
		return jerr(e, EINVAL, p, "\"resources\" is not an array");
	size_t i = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, res) {
		if (journal_decode_resource(j, it, i++, e) < 0)
			return -1;
	}
	if (journal_decode_procs(j, cJSON_GetObjectItemCaseSensitive(root, "processes"), e) < 0)
		return -1;
	cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
	if (faults && !cJSON_IsNull(faults)) {
		if (!cJSON_IsArray(faults))
			return jerr(e, EINVAL, p, "\"faults\" is not an array");
		j->faults = cJSON_DetachItemViaPointer(root, faults);
	}
	return 0;
}

/* Read the whole file at path into a malloc'ed NUL-terminated buffer.
 * 1 with *out NULL when the file does not exist. */
static int journal_read_file(const char *path, char **out, size_t *len, struct rt_err *e)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return jerr(e, errno, path, "%s", strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		return jerr(e, err, path, "%s", strerror(err));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > JOURNAL_MAX_SIZE) {
		close(fd);
		return jerr(e, EINVAL, path, "not a regular file, or larger than %u bytes",
			    JOURNAL_MAX_SIZE);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	if (!buf) {
		close(fd);
		return jerr(e, ENOMEM, path, "%s", strerror(ENOMEM));
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return jerr(e, err, path, "read: %s", strerror(err));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int journal_load(struct journal *j, const char *name, struct rt_err *e)
{
	char dir[PATHS_MAX];
	journal_init(j);
	if (paths_state_dir(name, dir, sizeof(dir), e) < 0)
		return -1;
	j->name = arena_strdup(&j->arena, name);
	j->dir = arena_strdup(&j->arena, dir);
	j->path = arena_printf(&j->arena, "%s/%s", dir, JOURNAL_FILE);
	char *buf;
	size_t len = 0;
	int rc = journal_read_file(j->path, &buf, &len, e);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!root) {
		size_t off = end ? (size_t)(end - buf) : 0;
		free(buf);
		return jerr(e, EINVAL, j->path, "not valid JSON (at byte %zu)%s", off,
			    len == 0 ? "; the file is empty" : "");
	}
	free(buf);
	rc = journal_decode(j, root, e);
	cJSON_Delete(root);
	if (rc < 0) {
		/* Leave j empty but named, so the caller can still report. */
		const char *n = j->name, *d = j->dir, *p = j->path;
		cJSON_Delete(j->faults);
		j->faults = NULL;
		j->resources = (struct res_list){0};
		j->procs = NULL;
		j->n_procs = j->cap_procs = 0;
		journal_index_free(j);
		j->file = j->updated = NULL;
		j->name = n, j->dir = d, j->path = p;
	}
	return rc;
}

/* ---------------- encoding and saving ---------------- */

static cJSON *journal_encode(const struct journal *j)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "format_version", JOURNAL_FORMAT_VERSION);
	cJSON_AddStringToObject(root, "topology", j->name);
	if (j->file)
		cJSON_AddStringToObject(root, "file", j->file);
	else
		cJSON_AddNullToObject(root, "file");
	cJSON_AddStringToObject(root, "updated", j->updated ? j->updated : "");
	cJSON *res = cJSON_AddArrayToObject(root, "resources");
	for (size_t i = 0; i < j->resources.n; i++) {
		const struct resource *r = &j->resources.v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", res_kinds[r->kind].name);
		cJSON_AddStringToObject(o, "id", r->id);
		cJSON *props = cJSON_AddObjectToObject(o, "props");
		for (size_t k = 0; k < r->n_props; k++)
			cJSON_AddStringToObject(props, r->props[k].key, r->props[k].value);
		cJSON *deps = cJSON_AddArrayToObject(o, "deps");
		for (size_t k = 0; k < r->n_deps; k++)
			cJSON_AddItemToArray(deps, cJSON_CreateString(r->deps[k]));
		cJSON_AddItemToArray(res, o);
	}
	cJSON *procs = cJSON_AddObjectToObject(root, "processes");
	for (size_t i = 0; i < j->n_procs; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "pid", j->procs[i].proc.pid);
		cJSON_AddNumberToObject(o, "starttime", (double)j->procs[i].proc.starttime);
		cJSON_AddItemToObject(procs, j->procs[i].id, o);
	}
	cJSON_AddItemToObject(root, "faults", j->faults ? cJSON_Duplicate(j->faults, 1)
							 : cJSON_CreateArray());
	return root;
}

static int journal_fsync_dir(const char *dir, struct rt_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rt_errf(e, errno, "open %s: %s", dir, strerror(errno));
	int rc = fsync(fd);
	int err = errno;
	close(fd);
	if (rc < 0)
		return rt_errf(e, err, "fsync %s: %s", dir, strerror(err));
	return 0;
}

static void *journal_closer(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/* Close fd (the replaced journal) on a thread of its own; see the top. */
static void journal_close_later(struct journal *j, int fd)
{
	if (fd < 0)
		return;
	journal_join_closer(j);
	if (pthread_create(&j->closer, NULL, journal_closer, (void *)(intptr_t)fd) == 0)
		j->closing = true;
	else
		close(fd);
}

/* Write text to a new temp file in j->dir and rename it over j->path. */
static int journal_replace(struct journal *j, const char *text, struct rt_err *e)
{
	char tmp[PATHS_MAX];
	snprintf(tmp, sizeof(tmp), "%s/" JOURNAL_TMP_PREFIX "XXXXXX", j->dir);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return jerr(e, errno, j->path, "create temporary file: %s", strerror(errno));
	const char *step = "write";
	if (fchmod(fd, 0600) < 0)
		step = "chmod";
	else if (paths_write_all(fd, text, strlen(text)) < 0)
		step = "write";
	else if (fsync(fd) < 0)
		step = "fsync";
	else
		step = NULL;
	int err = errno;
	if (close(fd) < 0 && !step) {
		step = "close";
		err = errno;
	}
	/* Hold the file about to be replaced: see journal_close_later. */
	int old = step ? -1 : open(j->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (!step && rename(tmp, j->path) < 0) {
		step = "rename";
		err = errno;
	}
	if (step) {
		if (old >= 0)
			close(old);
		unlink(tmp);
		return jerr(e, err, j->path, "%s %s: %s (the previous journal is unchanged)",
			    step, tmp, strerror(err));
	}
	journal_close_later(j, old);
	if (journal_fsync_dir(j->dir, e) < 0)
		return rt_err_prefix(e, "state journal %s", j->path);
	return 0;
}

static void journal_sweep_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, JOURNAL_TMP_PREFIX, strlen(JOURNAL_TMP_PREFIX)) == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

void journal_sweep(const struct journal *j)
{
	if (j->dir)
		journal_sweep_dir(j->dir);
}

int journal_save(struct journal *j, struct rt_err *e)
{
	char dir[PATHS_MAX];
	if (!j->name || !j->path)
		return rt_errf(e, EINVAL, "journal_save: journal was never loaded");
	if (paths_make_state_dir(j->name, dir, sizeof(dir), e) < 0)
		return rt_err_prefix(e, "state journal %s", j->path);
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	const char *prev = j->updated;
	j->updated = arena_strdup(&j->arena, stamp);
	cJSON *root = journal_encode(j);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		j->updated = prev;
		return jerr(e, ENOMEM, j->path, "encode: %s", strerror(ENOMEM));
	}
	/* A file that ends in a newline is friendlier to cat and diff. */
	size_t n = strlen(text);
	char *withnl = malloc(n + 2);
	if (withnl) {
		memcpy(withnl, text, n);
		memcpy(withnl + n, "\n", 2);
	}
	int rc = journal_replace(j, withnl ? withnl : text, e);
	free(withnl);
	cJSON_free(text);
	if (rc < 0)
		j->updated = prev;
	return rc;
}

int journal_remove(const char *name, struct rt_err *e)
{
	char dir[PATHS_MAX], path[PATHS_MAX + 64];
	if (paths_state_dir(name, dir, sizeof(dir), e) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_FILE);
	if (unlink(path) < 0 && errno != ENOENT)
		return jerr(e, errno, path, "remove: %s", strerror(errno));
	struct stat st;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : rt_errf(e, errno, "%s: %s", dir, strerror(errno));
	journal_sweep_dir(dir);
	/* No fsync of dir: a removal that a power cut undoes brings back a
	 * journal of objects that are gone, which is safe (their probes find
	 * them absent; the next destroy removes it again), and a destroy
	 * saved the directory fsync, 2-15 ms on disk. */
	return paths_remove_dir_if_empty(dir, e);
}
