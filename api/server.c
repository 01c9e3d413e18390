/* server.c — the control API server: libmicrohttpd in the schedule's loop.
 *
 * Owns the unix socket, the daemon, the run's event log (what GET
 * /v1/events returns and streams), the streams that follow it, and the
 * timers of faults posted with `for`. Every request is handled to the end
 * inside MHD_run, called from the poll loop of the thread that runs the
 * schedule (runtime/schedule.h, struct sched_io): there is no second
 * thread touching the journal, so no lock is needed and a request never
 * lands half way through a schedule entry.
 *
 * A POSTed fault goes: shape check (api/route.c) -> validator with the
 * recorded topology file (runtime/adhoc.c) -> validator again with the
 * active faults posted here before it (a fault valid alone but not with
 * them conflicts: 409) -> capability check -> sched_apply_rec, which
 * journals the record, with the fault's own text as "spec", before
 * applying it. */
#include "api/server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/mhd.h"       /* libmicrohttpd, loaded at first use */
#include "api/route.h"
#include "compiler/compile.h"
#include "runtime/adhoc.h"
#include "runtime/fault.h"
#include "runtime/matrix.h"
#include "runtime/nftlib.h"
#include "runtime/proc.h"

#define API_MAX_EVENTS 100000           /* the log keeps the first this many */

struct api_timed {
	char key[64];
	uint64_t applied_us, for_us;    /* CLOCK_MONOTONIC */
};

struct api_follower {
	struct api_server *s;
	struct MHD_Connection *conn;
	size_t next;                    /* the next event line to send */
	size_t off;                     /* bytes of it already sent */
	bool suspended;
	struct api_follower *prev, *nxt;
};

struct api_server {
	struct MHD_Daemon *d;
	int lfd, epfd;
	char path[PATHS_MAX + 16];
	struct rt_ctx *c;
	const struct topology *t;
	sched_event_fn next;
	void *next_ud;
	struct sched_opts o;            /* for the faults applied here */
	struct sched_io io;
	char **events;                  /* JSON lines, no newline */
	size_t n_events, cap_events;
	cJSON *capture;                 /* events of the request being handled, or NULL */
	struct api_timed *timed;
	size_t n_timed, cap_timed;
	struct api_follower *followers;
	unsigned long last_id;          /* ids are never reused while the server lives */
	bool closing;
};

struct api_req {
	char *body;
	size_t len;
	bool too_big;
};

/* ---------------- events ---------------- */

static void api_wake_followers(struct api_server *s)
{
	for (struct api_follower *f = s->followers; f; f = f->nxt)
		if (f->suspended) {
			f->suspended = false;
			MHD_resume_connection(f->conn);
		}
}

void api_server_event(const struct sched_event *ev, void *ud)
{
	struct api_server *s = ud;
	char *line = sched_event_json(ev);
	if (line && s->capture)
		cJSON_AddItemToArray(s->capture, cJSON_Parse(line));
	if (line && s->n_events < API_MAX_EVENTS) {
		if (s->n_events == s->cap_events) {
			size_t cap = s->cap_events ? 2 * s->cap_events : 64;
			char **v = realloc(s->events, cap * sizeof(*v));
			if (v) {
				s->events = v;
				s->cap_events = cap;
			}
		}
		if (s->n_events < s->cap_events) {
			s->events[s->n_events++] = line;
			line = NULL;
		}
	}
	cJSON_free(line);
	api_wake_followers(s);
	if (s->next)
		s->next(ev, s->next_ud);
}

/* ---------------- responses ---------------- */

static enum MHD_Result api_send(struct MHD_Connection *conn, unsigned status, char *text)
{
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	char *body = realloc(text, len + 2);    /* one object a line, for shells */
	if (!body) {
		free(text);
		return MHD_NO;
	}
	body[len] = '\n';
	body[len + 1] = '\0';
	struct MHD_Response *r = MHD_create_response_from_buffer(len + 1, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result api_send_json(struct MHD_Connection *conn, unsigned status, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return api_send(conn, status, text);
}

static enum MHD_Result api_fail(struct MHD_Connection *conn, unsigned status, const char *msg,
				cJSON *diags)
{
	return api_send(conn, status, api_error_body(msg, diags));
}

/* The status an rt_err means. */
static unsigned api_errno_status(int err)
{
	switch (err) {
	case ENOENT: return MHD_HTTP_NOT_FOUND;
	case ENOTSUP: return MHD_HTTP_UNPROCESSABLE_CONTENT;
	case EEXIST: case EBUSY: return MHD_HTTP_CONFLICT;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* ---------------- faults ---------------- */

static char *api_read_file(const char *path, size_t *len, struct rt_err *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return rt_errf(e, errno, "%s: %s", path, strerror(errno)), NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			char *b = cap <= TOPO_MAX_FILE_BYTES + 65536 ? realloc(buf, cap + 1) : NULL;
			if (!b) {
				free(buf);
				fclose(f);
				return rt_errf(e, EFBIG, "%s: too large", path), NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The active faults posted here (records with a "spec"), as schedule lines
 * for the conflict check; keys[i] names line i. */
static void api_active_specs(struct api_server *s, char *buf, size_t len, const char **keys,
			     size_t *n_keys, size_t max_keys)
{
	size_t used = 0;
	*n_keys = 0;
	buf[0] = '\0';
	const cJSON *rec;
	cJSON_ArrayForEach(rec, s->c->journal.faults) {
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(rec, "spec");
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(rec, "key");
		char flow[sizeof(((struct adhoc *)0)->body)];
		if (!cJSON_IsObject(spec) || !cJSON_IsString(key) || *n_keys >= max_keys ||
		    api_json_to_flow(spec, flow, sizeof(flow)) < 0)
			continue;
		int w = snprintf(buf + used, len - used, "  - {at: 0s, %.*s}\n",
				 (int)strlen(flow) - 2, flow + 1);
		if (w < 0 || (size_t)w >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += (size_t)w;
		keys[(*n_keys)++] = key->valuestring;
	}
}

/* Which active faults a conflict diagnostic names ("faults[K]"). */
static void api_conflict_msg(const struct diag_list *d, const char **keys, size_t n_keys,
			     struct api_server *s, char *msg, size_t len)
{
	size_t used = (size_t)snprintf(msg, len, "the fault conflicts with active fault");
	bool seen[64] = {0};
	size_t named = 0;
	for (size_t i = 0; i < 2 * d->n; i++)
		for (const char *p = i % 2 ? d->v[i / 2].hint : d->v[i / 2].msg; p && (p = strstr(p, "faults["));
		     p += 7) {
			size_t k = strtoul(p + 7, NULL, 10);
			if (k >= n_keys || k >= 64 || seen[k])
				continue;
			seen[k] = true;
			const char *desc = NULL;
			const cJSON *rec;
			cJSON_ArrayForEach(rec, s->c->journal.faults) {
				const cJSON *kk = cJSON_GetObjectItemCaseSensitive(rec, "key");
				const cJSON *dd = cJSON_GetObjectItemCaseSensitive(rec, "desc");
				if (cJSON_IsString(kk) && !strcmp(kk->valuestring, keys[k]) && cJSON_IsString(dd))
					desc = dd->valuestring;
			}
			if (used < len)
				used += (size_t)snprintf(msg + used, len - used, "%s %s%s%s%s", named ? "," : "",
							 keys[k], desc ? " (" : "", desc ? desc : "",
							 desc ? ")" : "");
			named++;
		}
	if (!named && used < len)
		snprintf(msg + used, len - used, "s posted before it");
	else if (used < len)
		snprintf(msg + used, len - used, ": heal it first ('DELETE /v1/faults/ID')");
}

/* Check f against the recorded file (and, unless it assumes a node state,
 * against the active faults), then apply it. Answers the request. */
static enum MHD_Result api_post_fault(struct api_server *s, struct MHD_Connection *conn,
				      struct api_fault *f)
{
	struct rt_ctx *c = s->c;
	if (!c->journal.file)
		return api_fail(conn, MHD_HTTP_CONFLICT, "the topology has no recorded file to check "
				"faults against", NULL);
	struct rt_err e = {0};
	size_t len;
	char *buf = api_read_file(c->journal.file, &len, &e);
	if (!buf) {
		rt_err_prefix(&e, "%s was applied from a file that cannot be read now (faults are "
			      "checked against it)", c->topology);
		return api_fail(conn, MHD_HTTP_CONFLICT, e.msg, NULL);
	}
	/* The journal's next ad hoc key, but never one this server gave before
	 * (kill, start... are not journaled, so their keys would come back). */
	char key[32];
	sched_adhoc_key(c, key, sizeof(key));
	unsigned long id = strtoul(key + 6, NULL, 10);
	if (id <= s->last_id)
		id = s->last_id + 1;
	snprintf(key, sizeof(key), "adhoc-%lu", id);
	const char *for_s = f->for_s[0] ? f->for_s : NULL;
	struct diag_list d;
	diag_init(&d, c->journal.file);
	unsigned lines = 0;
	struct topology *t = adhoc_load(c->journal.file, buf, len, &f->ah, key, for_s, &d, &lines, &e);
	diag_sort(&d);
	enum MHD_Result rc;
	if (!t) {
		rc = api_fail(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, e.msg,
			      api_diags_json(&d, c->journal.file, lines ? lines : (unsigned)-1));
		goto out;
	}
	if (strcmp(t->name, c->topology)) {
		rt_errf(&e, EINVAL, "%s now names topology '%s', not '%s': apply it first",
			c->journal.file, t->name, c->topology);
		rc = api_fail(conn, MHD_HTTP_CONFLICT, e.msg, NULL);
		goto out;
	}
	if (!f->ah.prefix[0]) {
		/* Valid alone; valid together with what is active? */
		static struct adhoc both;       /* large: one request at a time */
		const char *keys[64];
		size_t n_keys;
		api_active_specs(s, both.prefix, sizeof(both.prefix), keys, &n_keys, 64);
		if (n_keys) {
			memcpy(both.body, f->ah.body, sizeof(both.body));
			struct diag_list d2;
			diag_init(&d2, c->journal.file);
			struct rt_err e2 = {0};
			struct topology *t2 = adhoc_load(c->journal.file, buf, len, &both, key, for_s, &d2,
							 NULL, &e2);
			topo_free(t2);
			if (!t2) {
				char msg[1024];
				api_conflict_msg(&d2, keys, n_keys, s, msg, sizeof(msg));
				cJSON *diags = api_diags_json(&d2, c->journal.file, lines);
				diag_clear(&d2);
				rc = api_fail(conn, MHD_HTTP_CONFLICT, msg, diags);
				goto out;
			}
			diag_clear(&d2);
		}
	}
	const struct topo_fault *tf = &t->faults[t->n_faults - 1];
	if (sched_check(t, NULL, &e) < 0) {
		rc = api_fail(conn, api_errno_status(e.errnum), e.msg, NULL);
		goto out;
	}
	cJSON *extra = cJSON_CreateObject();
	cJSON_AddItemToObject(extra, "spec", api_flow_to_json(f->ah.body, &e));
	uint64_t deadline_ms = tf->has_for ? sched_unix_us() / 1000u + tf->for_us / 1000u : 0;
	s->capture = cJSON_CreateArray();
	int ar = sched_apply_rec(c, t, tf, key, deadline_ms, extra, &s->o, &e);
	uint64_t applied_us = sched_unix_us(), applied_mono = sched_mono_us();
	cJSON_Delete(extra);
	cJSON *events = s->capture;
	s->capture = NULL;
	if (ar < 0) {
		cJSON_Delete(events);
		rc = api_fail(conn, api_errno_status(e.errnum), e.msg, NULL);
		goto out;
	}
	if (tf->has_for && sched_revertible(tf->kind)) {
		if (s->n_timed == s->cap_timed) {
			size_t cap = s->cap_timed ? 2 * s->cap_timed : 8;
			struct api_timed *v = realloc(s->timed, cap * sizeof(*v));
			if (v) {
				s->timed = v;
				s->cap_timed = cap;
			}
		}
		if (s->n_timed < s->cap_timed) {
			struct api_timed *tm = &s->timed[s->n_timed++];
			snprintf(tm->key, sizeof(tm->key), "%s", key);
			tm->applied_us = applied_mono;
			tm->for_us = tf->for_us;
		}
	}
	s->last_id = id;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", key);
	cJSON_AddNumberToObject(o, "applied_us", (double)applied_us);
	cJSON_AddNumberToObject(o, "next_event", (double)s->n_events);
	cJSON_AddBoolToObject(o, "active", sched_revertible(tf->kind));
	cJSON_AddItemToObject(o, "events", events);
	rc = api_send_json(conn, MHD_HTTP_CREATED, o);
out:
	topo_free(t);
	diag_clear(&d);
	free(buf);
	return rc;
}

static enum MHD_Result api_list_faults(struct api_server *s, struct MHD_Connection *conn)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "faults");
	const cJSON *rec;
	cJSON_ArrayForEach(rec, s->c->journal.faults) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "key"));
		if (!k || sched_is_armed(s->c, k))
			continue;       /* journaled ahead of its time, not applied */
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", k);
		static const char *const fields[] = {"kind", "desc", "deadline", "spec"};
		for (size_t i = 0; i < 4; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fields[i]);
			if (v)
				cJSON_AddItemToObject(x, fields[i], cJSON_Duplicate(v, true));
		}
		cJSON_AddItemToArray(arr, x);
	}
	return api_send_json(conn, MHD_HTTP_OK, o);
}

static void api_untime(struct api_server *s, const char *key)
{
	for (size_t i = 0; i < s->n_timed; i++)
		if (!key || !strcmp(s->timed[i].key, key)) {
			s->timed[i--] = s->timed[--s->n_timed];
		}
}

/* DELETE /v1/faults[/{id}]: revert from the journal's records, as
 * `aspen heal` does. No sweep of the whole table (fault_heal_all) while a
 * schedule runs: the holder's journal is the truth, and a sweep would take
 * the schedule's faults too. */
static enum MHD_Result api_heal(struct api_server *s, struct MHD_Connection *conn, const char *key)
{
	struct rt_err e = {0};
	size_t n = 0;
	s->capture = cJSON_CreateArray();
	int r = sched_heal(s->c, key, &s->o, &n, &e);
	cJSON *events = s->capture;
	s->capture = NULL;
	if (n)
		api_untime(s, key);
	if (r < 0) {
		cJSON_Delete(events);
		return api_fail(conn, api_errno_status(e.errnum), e.msg, NULL);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "reverted", (double)n);
	cJSON_AddItemToObject(o, "events", events);
	return api_send_json(conn, MHD_HTTP_OK, o);
}

static enum MHD_Result api_node_action(struct api_server *s, struct MHD_Connection *conn,
				       const struct api_match *m)
{
	bool known = false;
	for (size_t i = 0; i < s->t->n_nodes; i++)
		known |= !strcmp(s->t->nodes[i].name, m->arg);
	if (!known) {
		char msg[256];
		snprintf(msg, sizeof(msg), "node \"%s\" is not defined in %s", m->arg, s->t->name);
		return api_fail(conn, MHD_HTTP_NOT_FOUND, msg, NULL);
	}
	static struct api_fault f;      /* large: one request at a time */
	memset(&f, 0, sizeof(f));
	struct rt_err e = {0};
	const char *words[1] = {m->arg};
	if (adhoc_build(&f.ah, m->action, words, 1, NULL, &e) < 0)
		return api_fail(conn, MHD_HTTP_NOT_FOUND, e.msg, NULL);
	return api_post_fault(s, conn, &f);
}

/* ---------------- status, matrix, events ---------------- */

static enum MHD_Result api_status(struct api_server *s, struct MHD_Connection *conn)
{
	struct rt_ctx *c = s->c;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "topology", c->topology);
	if (c->journal.file)
		cJSON_AddStringToObject(o, "file", c->journal.file);
	cJSON_AddNumberToObject(o, "pid", getpid());
	cJSON *nodes = cJSON_AddArrayToObject(o, "nodes");
	size_t healthy = 0;
	for (size_t i = 0; i < s->t->n_nodes; i++) {
		const struct topo_node *nd = &s->t->nodes[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", nd->name);
		cJSON_AddStringToObject(x, "kind", nd->kind == NODE_VM ? "vm" : "netns");
		char id[128];
		snprintf(id, sizeof(id), "%s/%s", nd->kind == NODE_VM ? "vmm" : "process", nd->name);
		const struct proc_id *p = journal_find_process(&c->journal, id);
		const char *state = "none";
		if (p) {
			state = proc_state_name(proc_state(p));
			cJSON_AddNumberToObject(x, "pid", p->pid);
		}
		cJSON_AddStringToObject(x, "state", state);
		bool up = !p || !strcmp(state, "running");
		healthy += up;
		cJSON_AddBoolToObject(x, "up", up);
		cJSON_AddItemToArray(nodes, x);
	}
	cJSON_AddStringToObject(o, "health", healthy == s->t->n_nodes ? "up" : "degraded");
	cJSON *arr = cJSON_AddArrayToObject(o, "faults");
	const cJSON *rec;
	cJSON_ArrayForEach(rec, c->journal.faults) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "key"));
		if (!k || sched_is_armed(c, k))
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "key", k);
		static const char *const fields[] = {"kind", "desc", "deadline"};
		for (size_t i = 0; i < 3; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, fields[i]);
			if (v)
				cJSON_AddItemToObject(x, fields[i], cJSON_Duplicate(v, true));
		}
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddNumberToObject(o, "events", (double)s->n_events);
	return api_send_json(conn, MHD_HTTP_OK, o);
}

static enum MHD_Result api_matrix(struct api_server *s, struct MHD_Connection *conn)
{
	struct matrix m;
	struct rt_err e = {0};
	if (matrix_from_journal(&s->c->journal, &m, &e) < 0)
		return api_fail(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, e.msg, NULL);
	if (matrix_measure(&m, 0, 0, &e) < 0) {
		matrix_free(&m);
		return api_fail(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, e.msg, NULL);
	}
	cJSON *o = matrix_json(&m);
	matrix_free(&m);
	return api_send_json(conn, MHD_HTTP_OK, o);
}

/* The follow stream: every event line from the first, then each new one as
 * it comes; the stream ends when the server stops. With nothing to send
 * the connection is suspended (a content reader returning 0 would make
 * MHD spin) and api_server_event resumes it. */
static ssize_t api_follow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct api_follower *f = cls;
	struct api_server *s = f->s;
	size_t w = 0;
	while (w < max && f->next < s->n_events) {
		const char *line = s->events[f->next];
		size_t l = strlen(line) + 1;            /* with its newline */
		size_t take = l - f->off < max - w ? l - f->off : max - w;
		for (size_t i = 0; i < take; i++) {
			size_t at = f->off + i;
			buf[w + i] = at < l - 1 ? line[at] : '\n';
		}
		w += take;
		f->off += take;
		if (f->off == l) {
			f->next++;
			f->off = 0;
		}
	}
	if (w)
		return (ssize_t)w;
	if (s->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	f->suspended = true;
	MHD_suspend_connection(f->conn);
	return 0;
}

static void api_follow_free(void *cls)
{
	struct api_follower *f = cls;
	if (f->prev)
		f->prev->nxt = f->nxt;
	else
		f->s->followers = f->nxt;
	if (f->nxt)
		f->nxt->prev = f->prev;
	free(f);
}

static enum MHD_Result api_events(struct api_server *s, struct MHD_Connection *conn)
{
	const char *fw = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "follow");
	const char *fr = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "from");
	size_t from = fr ? strtoul(fr, NULL, 10) : 0;
	if (from > s->n_events)
		from = s->n_events;
	if (fw && strcmp(fw, "0") && strcmp(fw, "false")) {
		struct api_follower *f = calloc(1, sizeof(*f));
		if (!f)
			return MHD_NO;
		f->s = s;
		f->conn = conn;
		f->next = from;
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
									    api_follow_read, f,
									    api_follow_free);
		if (!r) {
			free(f);
			return MHD_NO;
		}
		f->nxt = s->followers;
		if (f->nxt)
			f->nxt->prev = f;
		s->followers = f;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
		enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return rc;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "events");
	for (size_t i = from; i < s->n_events; i++)
		cJSON_AddItemToArray(arr, cJSON_Parse(s->events[i]));
	return api_send_json(conn, MHD_HTTP_OK, o);
}

/* ---------------- the handler ---------------- */

static enum MHD_Result api_handler(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **req_cls)
{
	(void)version;
	struct api_server *s = cls;
	struct api_req *q = *req_cls;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*req_cls = q;
		return MHD_YES;
	}
	if (*upload_size) {
		if (q->len + *upload_size > API_MAX_BODY) {
			q->too_big = true;
		} else {
			char *b = realloc(q->body, q->len + *upload_size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + q->len, upload, *upload_size);
			q->body = b;
			q->len += *upload_size;
			q->body[q->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (s->closing)
		return api_fail(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the run is ending: no more "
				"requests", NULL);
	if (q->too_big)
		return api_fail(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger than 64 KiB", NULL);
	struct api_match m;
	char msg[512];
	int st = api_route_match(method, url, &m, msg, sizeof(msg));
	if (st == 405) {
		char *text = api_error_body(msg, NULL);
		struct MHD_Response *r = text ? MHD_create_response_from_buffer(strlen(text), text,
									     MHD_RESPMEM_MUST_FREE) : NULL;
		if (!r) {
			free(text);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, m.allow);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return rc;
	}
	if (st)
		return api_fail(conn, (unsigned)st, msg, NULL);
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	switch (m.route) {
	case API_R_FAULTS:
		if (get)
			return api_list_faults(s, conn);
		if (!strcmp(method, "DELETE"))
			return api_heal(s, conn, NULL);
		{
			static struct api_fault f;      /* large: one request at a time */
			struct rt_err e = {0};
			int ps = api_fault_parse(q->body ? q->body : "", q->len, &f, &e);
			if (ps)
				return api_fail(conn, (unsigned)ps, e.msg, NULL);
			return api_post_fault(s, conn, &f);
		}
	case API_R_FAULT:
		return api_heal(s, conn, m.arg);
	case API_R_NODE:
		return api_node_action(s, conn, &m);
	case API_R_STATUS:
		return api_status(s, conn);
	case API_R_MATRIX:
		return api_matrix(s, conn);
	case API_R_EVENTS:
		return api_events(s, conn);
	}
	return api_fail(conn, MHD_HTTP_NOT_FOUND, "no such endpoint", NULL);
}

static void api_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			  enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct api_req *q = *req_cls;
	if (q) {
		free(q->body);
		free(q);
	}
	*req_cls = NULL;
}

/* ---------------- the loop ---------------- */

/* Faults posted with `for` whose time has come (all of them when all) are
 * reverted, with the event a scheduled revert has. A fault healed meanwhile
 * is simply gone (ENOENT); a failed revert stays journaled and is an event. */
static void api_due(struct api_server *s, bool all)
{
	uint64_t now = sched_mono_us();
	for (size_t i = 0; i < s->n_timed; i++) {
		struct api_timed tm = s->timed[i];
		if (!all && tm.applied_us + tm.for_us > now)
			continue;
		s->timed[i--] = s->timed[--s->n_timed];
		struct rt_err e = {0};
		(void)sched_revert_due(s->c, tm.key, tm.for_us, sched_mono_us() - tm.applied_us, &s->o, &e);
	}
}

static void api_serve(void *ud)
{
	struct api_server *s = ud;
	MHD_run(s->d);
	api_due(s, false);
}

static int api_timeout_ms(void *ud)
{
	struct api_server *s = ud;
	long long ms = -1;
	MHD_UNSIGNED_LONG_LONG t;
	if (MHD_get_timeout(s->d, &t) == MHD_YES)
		ms = (long long)t;
	uint64_t now = sched_mono_us();
	for (size_t i = 0; i < s->n_timed; i++) {
		uint64_t due = s->timed[i].applied_us + s->timed[i].for_us;
		long long left = due > now ? (long long)((due - now + 999) / 1000) : 0;
		if (ms < 0 || left < ms)
			ms = left;
	}
	return ms > 60000 ? 60000 : (int)ms;
}

const struct sched_io *api_server_io(struct api_server *s)
{
	return &s->io;
}

const char *api_server_path(const struct api_server *s)
{
	return s->path;
}

void api_server_serve_until(struct api_server *s, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int ms = api_timeout_ms(s);
		struct pollfd p = {s->epfd, POLLIN, 0};
		poll(&p, 1, ms < 0 || ms > 50 ? 50 : ms);       /* *stop is seen within 50 ms */
		api_serve(s);
	}
}

int api_server_start(struct api_server **out, const struct api_server_opts *o, struct rt_err *e)
{
	*out = NULL;
	if (apimhd_load(e) < 0)
		return -1;
	/* Load libnftables now, not inside the first POSTed partition's
	 * request (a failure is its to report). */
	struct rt_err ignored;
	rtnft_load(&ignored);
	struct api_server *s = calloc(1, sizeof(*s));
	if (!s)
		return rt_errf(e, ENOMEM, "out of memory");
	s->lfd = -1;
	s->c = o->c;
	s->t = o->t;
	s->next = o->next;
	s->next_ud = o->next_ud;
	s->o = (struct sched_opts){.on_event = api_server_event, .ud = s, .keep_journaled = true};
	s->io = (struct sched_io){.timeout_ms = api_timeout_ms, .serve = api_serve, .ud = s};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int w = snprintf(s->path, sizeof(s->path), "%s/%s", o->c->run_dir, API_SOCKET_NAME);
	if (w < 0 || (size_t)w >= sizeof(sa.sun_path)) {
		free(s);
		return rt_errf(e, ENAMETOOLONG, "control API: socket path %s/%s is too long",
			       o->c->run_dir, API_SOCKET_NAME);
	}
	memcpy(sa.sun_path, s->path, (size_t)w + 1);
	if (mkdir(o->c->run_dir, 0700) < 0 && errno != EEXIST) {
		rt_errf(e, errno, "control API: create %s: %s", o->c->run_dir, strerror(errno));
		goto fail;
	}
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0) {
		rt_errf(e, errno, "control API: socket: %s", strerror(errno));
		goto fail;
	}
	/* A socket left by a killed holder: ours now (we hold the lock). */
	if (unlink(s->path) < 0 && errno != ENOENT) {
		rt_errf(e, errno, "control API: remove stale %s: %s", s->path, strerror(errno));
		goto fail;
	}
	/* 0600 from the start: no instant where another user could connect. */
	mode_t old = umask(0177);
	int br = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	int berr = errno;
	umask(old);
	if (br < 0 || listen(s->lfd, 64) < 0) {
		rt_errf(e, br < 0 ? berr : errno, "control API: bind %s: %s", s->path,
			strerror(br < 0 ? berr : errno));
		goto fail;
	}
	s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
				api_handler, s, MHD_OPTION_LISTEN_SOCKET, s->lfd,
				MHD_OPTION_NOTIFY_COMPLETED, api_completed, s, MHD_OPTION_END);
	if (!s->d) {
		rt_errf(e, EIO, "control API: libmicrohttpd would not start on %s", s->path);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	s->epfd = di ? di->epoll_fd : -1;
	if (s->epfd < 0) {
		rt_errf(e, EIO, "control API: libmicrohttpd has no epoll descriptor");
		goto fail;
	}
	s->io.fd = s->epfd;
	*out = s;
	return 0;
fail:
	if (s->d)
		MHD_stop_daemon(s->d);
	else if (s->lfd >= 0)
		close(s->lfd);
	if (s->lfd >= 0)
		unlink(s->path);
	free(s);
	return -1;
}

void api_server_stop(struct api_server *s)
{
	if (!s)
		return;
	/* Faults posted with `for` were promised an end. */
	api_due(s, true);
	/* Let the streams send what is left and end; answer late requests 503. */
	s->closing = true;
	api_wake_followers(s);
	for (int i = 0; i < 40 && s->followers; i++) {
		struct pollfd p = {s->epfd, POLLIN, 0};
		poll(&p, 1, 25);
		MHD_run(s->d);
	}
	MHD_run(s->d);
	MHD_stop_daemon(s->d);          /* closes the listening socket it was given */
	unlink(s->path);
	for (size_t i = 0; i < s->n_events; i++)
		cJSON_free(s->events[i]);
	free(s->events);
	free(s->timed);
	free(s);
}
