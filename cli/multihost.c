/* multihost.c — the controller of a topology placed on several hosts.
 *
 * What it owns (docs/multihost.md): the transport (a command template that
 * runs aspen on a host: OpenSSH by default, nsenter in the tests), running
 * one aspen command per host in parallel and reading what each says line by
 * line (mh_run), the parts it sends, the controller journal hosts.json, and
 * the fault schedule across hosts. It makes no change to this machine
 * itself: a `local` host is a child aspen like any other, so every host's
 * journal and lock are the one-host ones, and a controller killed at any
 * point leaves only hosts that `aspen destroy NAME` reaches through
 * hosts.json, which is written before any host is asked to change anything. */
#include "cli/multihost.h"

#include "cli/cli.h"
#include "cli/progress.h"
#include "compiler/plan.h"
#include "runtime/paths.h"
#include "runtime/schedule.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MH_HOSTS_FILE "hosts.json"
#define MH_PART_FILE "part.json"

/* ---------------- hosts and the transport ---------------- */

struct mh_host {
	char *name;
	bool local;
	char *ssh;              /* NULL when local */
	unsigned port;          /* 0: the ssh configuration's */
};

struct mh_hosts {
	char *topology;
	struct mh_host *v;
	size_t n;
	char *transport;        /* ASPEN_TRANSPORT at apply time, or NULL */
	char *remote;           /* ASPEN_REMOTE at apply time, or NULL */
};

static void mh_hosts_free(struct mh_hosts *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->v[i].name);
		free(hs->v[i].ssh);
	}
	free(hs->v);
	free(hs->topology);
	free(hs->transport);
	free(hs->remote);
	*hs = (struct mh_hosts){0};
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static int mh_hosts_from_topology(const struct topology *t, struct mh_hosts *hs)
{
	*hs = (struct mh_hosts){.topology = strdup(t->name), .n = t->n_hosts,
				.transport = dup_or_null(getenv("ASPEN_TRANSPORT")),
				.remote = dup_or_null(getenv("ASPEN_REMOTE"))};
	hs->v = calloc(t->n_hosts, sizeof(*hs->v));
	if (!hs->v || !hs->topology)
		return -1;
	for (size_t i = 0; i < t->n_hosts; i++)
		hs->v[i] = (struct mh_host){strdup(t->hosts[i].name), t->hosts[i].local,
					    dup_or_null(t->hosts[i].ssh), t->hosts[i].ssh_port};
	return 0;
}

static int hosts_path(const char *name, const char *file, char *buf, size_t len, bool make)
{
	char dir[PATHS_MAX];
	struct rt_err e;
	if ((make ? paths_make_state_dir : paths_state_dir)(name, dir, sizeof(dir), &e) < 0) {
		fprintf(stderr, "aspen: %s\n", e.msg);
		return -1;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", dir, file) >= len)
		return -1;
	return 0;
}

/* Write text to path atomically (tmp, fsync, rename). */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATHS_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* o (freed here) as path's whole content, atomically; messages printed. */
static int write_json(const char *path, cJSON *o, bool pretty)
{
	char *text = o ? (pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o)) : NULL;
	cJSON_Delete(o);
	int rc = text ? write_atomic(path, text) : -1;
	free(text);
	if (rc < 0)
		fprintf(stderr, "aspen: %s: %s\n", path, strerror(errno));
	return rc;
}

/* A host's part (docs/multihost.md, "The part"). */
static cJSON *part_json(const char *version, const char *host, const char *file, uint64_t seed,
			const char *source)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRIu64, seed);   /* a string: JSON numbers are doubles */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "aspen", version);
	cJSON_AddStringToObject(o, "host", host);
	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddStringToObject(o, "seed", s);
	cJSON_AddStringToObject(o, "source", source);
	return o;
}

/* The controller journal: which hosts hold a part of name. */
static int mh_hosts_save(const struct mh_hosts *hs, const char *file)
{
	char path[PATHS_MAX + 64];
	if (hosts_path(hs->topology, MH_HOSTS_FILE, path, sizeof(path), true) < 0)
		return -1;
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "hosts");
	cJSON_AddStringToObject(o, "topology", hs->topology);
	if (file)
		cJSON_AddStringToObject(o, "file", file);
	if (hs->transport)
		cJSON_AddStringToObject(o, "transport", hs->transport);
	if (hs->remote)
		cJSON_AddStringToObject(o, "remote", hs->remote);
	for (size_t i = 0; i < hs->n; i++) {
		cJSON *h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "name", hs->v[i].name);
		cJSON_AddBoolToObject(h, "local", hs->v[i].local);
		if (hs->v[i].ssh)
			cJSON_AddStringToObject(h, "ssh", hs->v[i].ssh);
		if (hs->v[i].port)
			cJSON_AddNumberToObject(h, "port", hs->v[i].port);
		cJSON_AddItemToArray(arr, h);
	}
	return write_json(path, o, true);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 loaded, 0 no hosts.json for name, -1 unreadable (printed). The
 * environment's transport wins over the one recorded. */
static int mh_hosts_load(const char *name, struct mh_hosts *hs)
{
	char path[PATHS_MAX + 64];
	*hs = (struct mh_hosts){0};
	if (!paths_valid_name(name) || hosts_path(name, MH_HOSTS_FILE, path, sizeof(path), false) < 0)
		return 0;
	char *text = cli_read_file(path, NULL);
	if (!text)
		return errno == ENOENT ? 0 : (fprintf(stderr, "aspen: %s: %s\n", path, strerror(errno)), -1);
	cJSON *o = cJSON_Parse(text);
	free(text);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "hosts");
	int n = cJSON_GetArraySize(arr);
	hs->topology = strdup(name);
	hs->transport = dup_or_null(getenv("ASPEN_TRANSPORT") ? getenv("ASPEN_TRANSPORT") : jstr(o, "transport"));
	hs->remote = dup_or_null(getenv("ASPEN_REMOTE") ? getenv("ASPEN_REMOTE") : jstr(o, "remote"));
	hs->v = calloc((size_t)n + 1, sizeof(*hs->v));
	for (int i = 0; hs->v && i < n; i++) {
		const cJSON *h = cJSON_GetArrayItem(arr, i);
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(h, "port");
		if (!jstr(h, "name"))
			continue;
		hs->v[hs->n++] = (struct mh_host){strdup(jstr(h, "name")),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "local")), dup_or_null(jstr(h, "ssh")),
			cJSON_IsNumber(port) ? (unsigned)port->valuedouble : 0};
	}
	cJSON_Delete(o);
	if (!arr || !hs->v || hs->n == 0) {
		fprintf(stderr, "aspen: %s lists no hosts; remove it if nothing of %s is left\n", path, name);
		mh_hosts_free(hs);
		return -1;
	}
	return 1;
}

static void mh_hosts_remove(const char *name)
{
	char path[PATHS_MAX + 64], dir[PATHS_MAX];
	struct rt_err e;
	if (hosts_path(name, MH_HOSTS_FILE, path, sizeof(path), false) < 0)
		return;
	unlink(path);
	if (paths_state_dir(name, dir, sizeof(dir), &e) == 0)
		paths_remove_dir_if_empty(dir, &e);
}

/* argv for running `aspen <cmd...>` on host i: the transport's words
 * (template with {host} {ssh} {port}), the remote aspen, cmd. A local host
 * runs this very binary. malloc'ed, NULL terminated; free with argv_free. */
static char **mh_argv(const struct mh_hosts *hs, size_t i, const char *const *cmd)
{
	const struct mh_host *h = &hs->v[i];
	size_t ncmd = 0;
	while (cmd[ncmd])
		ncmd++;
	char *words = NULL;
	char port[16];
	snprintf(port, sizeof(port), "%u", h->port ? h->port : 22);
	if (!h->local) {
		if (hs->transport) {
			words = strdup(hs->transport);
		} else {
			char run[PATHS_MAX];
			struct rt_err e;
			if (paths_run_root(run, sizeof(run), &e) < 0)
				snprintf(run, sizeof(run), "/tmp");
			mkdir(run, 0700);       /* ssh makes no folder for its sockets */
			size_t len = strlen(run) + 256;
			words = malloc(len);
			if (words)
				snprintf(words, len, "ssh -o BatchMode=yes -o ControlMaster=auto "
					 "-o ControlPersist=60s -o ControlPath=%s/ssh-%%C%s%s {ssh} --",
					 run, h->port ? " -p " : "", h->port ? port : "");
		}
	}
	size_t cap = ncmd + 4 + (words ? strlen(words) / 2 + 1 : 0);
	char **v = calloc(cap, sizeof(*v));
	size_t n = 0;
	if (!v) {
		free(words);
		return NULL;
	}
	for (char *sv, *w = words ? strtok_r(words, " \t", &sv) : NULL; w; w = strtok_r(NULL, " \t", &sv)) {
		/* {host}, {ssh}, {port} anywhere in a word */
		char out[PATHS_MAX];
		size_t o = 0;
		for (const char *p = w; *p && o + 1 < sizeof(out);) {
			const char *sub = NULL;
			size_t skip = 0;
			if (!strncmp(p, "{host}", 6))
				sub = h->name, skip = 6;
			else if (!strncmp(p, "{ssh}", 5))
				sub = h->ssh ? h->ssh : h->name, skip = 5;
			else if (!strncmp(p, "{port}", 6))
				sub = port, skip = 6;
			if (sub) {
				o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", sub);
				if (o >= sizeof(out))
					o = sizeof(out) - 1;
				p += skip;
			} else {
				out[o++] = *p++;
			}
		}
		out[o] = '\0';
		v[n++] = strdup(out);
	}
	free(words);
	v[n++] = strdup(h->local ? "/proc/self/exe" : hs->remote ? hs->remote : "aspen");
	for (size_t k = 0; k < ncmd; k++)
		v[n++] = strdup(cmd[k]);
	v[n] = NULL;
	return v;
}

static void argv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char *argv_text(char *const *v)
{
	size_t len = 1;
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + 1;
	char *s = calloc(1, len);
	for (size_t i = 0; s && v[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	return s;
}

/* ---------------- running one command on every host ---------------- */

static volatile sig_atomic_t mh_stop;     /* SIGINT / SIGTERM seen */

static void mh_on_signal(int sig)
{
	mh_stop = sig;
}

struct linebuf {
	char *s;
	size_t n, cap;
};

struct mh_job {
	size_t host;
	char **argv;
	char *in;                       /* what its stdin gets (owned), or NULL */
	size_t in_len, in_off;
	pid_t pid;
	int fd[3];                      /* stdin, stdout, stderr pipes; -1 closed */
	struct linebuf lb[3];
	int status;                     /* exit status, 128 + signal, or -1 */
	char last_err[512];             /* its last stderr line */
	char key[64], desc[256];        /* a fault job: the key and text the host gave it */
	uint64_t unix_us;               /* a fault job: when the host changed the kernel */
	size_t mutations;               /* an apply or destroy job: what the host changed */
};

typedef void (*mh_line_fn)(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line,
			   void *ud);

static int mh_spawn(struct mh_job *j)
{
	int in[2], out[2], er[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return -1;
	}
	if (pipe2(er, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* Its own process group: a ^C reaches the controller, which
		 * stops the hosts in order rather than all at once. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0), dup2(out[1], 1), dup2(er[1], 2);
		execvp(j->argv[0], j->argv);
		fprintf(stderr, "cannot run %s: %s\n", j->argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]), close(out[1]), close(er[1]);
	if (pid < 0) {
		close(in[1]), close(out[0]), close(er[0]);
		return -1;
	}
	j->pid = pid;
	j->fd[0] = in[1], j->fd[1] = out[0], j->fd[2] = er[0];
	fcntl(j->fd[0], F_SETFL, O_NONBLOCK);
	if (!j->in || j->in_len == 0) {
		close(j->fd[0]);
		j->fd[0] = -1;
	}
	return 0;
}

static void lb_feed(const struct mh_hosts *hs, struct mh_job *j, int k, const char *buf, size_t n,
		    mh_line_fn fn, void *ud, bool eof)
{
	struct linebuf *b = &j->lb[k];
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s)
			return;
		b->s = s, b->cap = cap;
	}
	memcpy(b->s + b->n, buf, n);
	b->n += n;
	size_t start = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->s[i] != '\n')
			continue;
		b->s[i] = '\0';
		if (k == 2)
			snprintf(j->last_err, sizeof(j->last_err), "%s", b->s + start);
		fn(hs, j, k == 2, b->s + start, ud);
		start = i + 1;
	}
	memmove(b->s, b->s + start, b->n - start);
	b->n -= start;
	if (eof && b->n) {
		b->s[b->n] = '\0';
		if (k == 2)
			snprintf(j->last_err, sizeof(j->last_err), "%s", b->s);
		fn(hs, j, k == 2, b->s, ud);
		b->n = 0;
	}
}

/* Run jobs[0..n) at once; fn gets every line each says. A job that fails
 * with stop_on_fail set (or a signal to the controller) stops the others
 * (SIGTERM). Returns the number of jobs that did not exit 0. */
static size_t mh_run(const struct mh_hosts *hs, struct mh_job *jobs, size_t n, mh_line_fn fn, void *ud,
		     bool stop_on_fail)
{
	size_t failed = 0;
	bool stopping = false;
	for (size_t i = 0; i < n; i++) {
		jobs[i].fd[0] = jobs[i].fd[1] = jobs[i].fd[2] = -1;
		jobs[i].status = -1;
		if (mh_spawn(&jobs[i]) < 0) {
			snprintf(jobs[i].last_err, sizeof(jobs[i].last_err), "cannot start %s: %s",
				 jobs[i].argv[0], strerror(errno));
			jobs[i].pid = -1;
		}
	}
	struct pollfd *pf = calloc(3 * n + 1, sizeof(*pf));
	size_t *who = calloc(3 * n + 1, sizeof(*who));
	for (;;) {
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < 3; k++)
				if (jobs[i].fd[k] >= 0) {
					pf[np] = (struct pollfd){jobs[i].fd[k], k ? POLLIN : POLLOUT, 0};
					who[np++] = i * 3 + (size_t)k;
				}
		if (np == 0)
			break;
		if (mh_stop && !stopping) {
			stopping = true;
			for (size_t i = 0; i < n; i++)
				if (jobs[i].pid > 0)
					kill(jobs[i].pid, SIGTERM);
		}
		if (poll(pf, np, 1000) < 0 && errno != EINTR)
			break;
		for (size_t p = 0; p < np; p++) {
			if (!pf[p].revents)
				continue;
			struct mh_job *j = &jobs[who[p] / 3];
			int k = (int)(who[p] % 3);
			if (k == 0) {
				ssize_t w = write(j->fd[0], j->in + j->in_off, j->in_len - j->in_off);
				if (w > 0)
					j->in_off += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || j->in_off == j->in_len) {
					close(j->fd[0]);
					j->fd[0] = -1;
				}
				continue;
			}
			char buf[16384];
			ssize_t r = read(j->fd[k], buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			lb_feed(hs, j, k, buf, r > 0 ? (size_t)r : 0, fn, ud, r <= 0);
			if (r <= 0) {
				close(j->fd[k]);
				j->fd[k] = -1;
			}
		}
		/* A job whose output ended is reaped; its failure may stop the rest. */
		for (size_t i = 0; i < n; i++) {
			struct mh_job *j = &jobs[i];
			if (j->pid <= 0 || j->fd[1] >= 0 || j->fd[2] >= 0)
				continue;
			if (j->fd[0] >= 0) {
				close(j->fd[0]);
				j->fd[0] = -1;
			}
			int st;
			while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
				;
			j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			j->pid = 0;
			if (j->status != 0 && stop_on_fail && !stopping) {
				stopping = true;
				for (size_t o = 0; o < n; o++)
					if (jobs[o].pid > 0)
						kill(jobs[o].pid, SIGTERM);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct mh_job *j = &jobs[i];
		if (j->pid > 0) {
			int st;
			while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
				;
			j->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (j->status != 0)
			failed++;
		for (int k = 0; k < 3; k++)
			free(j->lb[k].s);
	}
	free(pf);
	free(who);
	return failed;
}

/* One job per host running cmd, with in_for(host) on its stdin. */
static struct mh_job *mh_jobs(const struct mh_hosts *hs, const char *const *cmd,
			      char *(*in_for)(size_t host, void *arg), void *arg)
{
	struct mh_job *jobs = calloc(hs->n, sizeof(*jobs));
	for (size_t i = 0; jobs && i < hs->n; i++) {
		jobs[i].host = i;
		jobs[i].argv = mh_argv(hs, i, cmd);
		if (in_for) {
			jobs[i].in = in_for(i, arg);
			jobs[i].in_len = jobs[i].in ? strlen(jobs[i].in) : 0;
		}
	}
	return jobs;
}

static void mh_jobs_free(struct mh_job *jobs, size_t n)
{
	for (size_t i = 0; jobs && i < n; i++) {
		argv_free(jobs[i].argv);
		free(jobs[i].in);
	}
	free(jobs);
}

/* Catch SIGINT/SIGTERM for the length of a controller command. */
static void mh_signals(bool on)
{
	struct sigaction sa = {0};
	sa.sa_handler = on ? mh_on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, on ? SIG_IGN : SIG_DFL);
	mh_stop = 0;
}

/* ---------------- what hosts say ---------------- */

struct mh_out {
	const char *cmd;                /* "apply", "destroy", ... for messages */
	FILE *out;
	bool json;
};

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *op_sign(const char *op)
{
	if (!op)
		return "?";
	return !strcmp(op, "create") ? "+" : !strcmp(op, "delete") ? "-" : !strcmp(op, "update") ? "~"
	       : !strcmp(op, "replace") ? "-/+" : op;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A host's JSON event: with --json, the same object with "host" added;
 * else one line in the style of a one-host run, the host first. Lines that
 * are not JSON are passed on as they are. */
static void mh_event_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	struct mh_out *mo = ud;
	const char *host = hs->v[j->host].name;
	if (err) {
		fprintf(stderr, "aspen %s: %s: %s\n", mo->cmd, host, line);
		return;
	}
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		if (!mo->json && *line)
			fprintf(mo->out, "  %-8s %s\n", host, line);
		cJSON_Delete(o);
		return;
	}
	const char *ev = jstr(o, "event");
	if (jstr(o, "key") && !j->key[0])
		snprintf(j->key, sizeof(j->key), "%s", jstr(o, "key"));
	if (jstr(o, "desc") && !j->desc[0])
		snprintf(j->desc, sizeof(j->desc), "%s", jstr(o, "desc"));
	if (ev && (!strcmp(ev, "applied") || !strcmp(ev, "destroyed")))
		j->mutations = (size_t)jnum(o, !strcmp(ev, "applied") ? "mutations" : "deleted");
	/* when the host finished: its fault's kernel change, or its apply */
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "unix_us")) && (!ev || !strcmp(ev, "applied")))
		j->unix_us = (uint64_t)jnum(o, "unix_us");
	if (!mo->out) {
		/* only read */
	} else if (mo->json) {
		cJSON *copy = cJSON_CreateObject();
		cJSON_AddStringToObject(copy, "host", host);
		for (cJSON *it = o->child; it; it = it->next)
			cJSON_AddItemToObject(copy, it->string, cJSON_Duplicate(it, true));
		char *s = cJSON_PrintUnformatted(copy);
		fprintf(mo->out, "%s\n", s);
		free(s);
		cJSON_Delete(copy);
	} else if (!cli_out.quiet && ev) {
		if (!strcmp(ev, "action"))
			fprintf(mo->out, "  %-8s [%3.0f/%.0f] %s %s (%.1f ms)\n", host, jnum(o, "index"),
				jnum(o, "total"), op_sign(jstr(o, "op")), jstr(o, "id") ? jstr(o, "id") : "?",
				jnum(o, "elapsed_us") / 1000.0);
		else if (!strcmp(ev, "healthy"))
			fprintf(mo->out, "  %-8s node %s healthy\n", host, jstr(o, "node") ? jstr(o, "node") : "?");
		else if (!strcmp(ev, "applied"))
			fprintf(mo->out, "  %-8s applied: %.0f change(s) in %.1f ms\n", host,
				jnum(o, "mutations"), jnum(o, "elapsed_us") / 1000.0);
		else if (!strcmp(ev, "destroyed"))
			fprintf(mo->out, "  %-8s destroyed: %.0f deleted in %.1f ms\n", host,
				jnum(o, "deleted"), jnum(o, "elapsed_ms"));
		else
			fprintf(mo->out, "  %-8s %s\n", host, line);
	}
	if (mo->out)
		fflush(mo->out);
	cJSON_Delete(o);
}

/* Name every failed job: "host h2 (exit 1): <its last error line>". */
static void mh_report_failed(const struct mh_hosts *hs, const struct mh_job *jobs, const char *cmd)
{
	for (size_t i = 0; i < hs->n; i++) {
		const struct mh_job *j = &jobs[i];
		if (j->status == 0)
			continue;
		char *how = argv_text(j->argv);
		if (j->status == 127 || j->status == 255)
			fprintf(stderr, "aspen %s: host %s: could not run aspen there (exit %d) with '%s'%s%s\n",
				cmd, hs->v[i].name, j->status, how ? how : "?", *j->last_err ? ": " : "",
				j->last_err);
		else
			fprintf(stderr, "aspen %s: host %s failed (exit %d)%s%s\n", cmd, hs->v[i].name,
				j->status, *j->last_err ? ": " : "", j->last_err);
		free(how);
	}
}

/* ---------------- versions ---------------- */

static void version_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	(void)hs;
	(void)ud;
	if (!err && !strncmp(line, "aspen ", 6) && !j->in) {
		/* "aspen 0.1.0+abc (topology language aspen/v1)": the answer is
		 * kept where a job's input would be; a --version job has none */
		char *sp = strchr(line + 6, ' ');
		j->in = strndup(line + 6, sp ? (size_t)(sp - line - 6) : strlen(line + 6));
	}
	if (err)
		snprintf(j->last_err, sizeof(j->last_err), "%s", line);
}

/* Every host runs this aspen: asked before anything changes. */
static int mh_check_versions(const struct mh_hosts *hs, const char *cmd)
{
	static const char *const ver[] = {"--version", NULL};
	struct mh_job *jobs = mh_jobs(hs, ver, NULL, NULL);
	if (!jobs)
		return -1;
	mh_run(hs, jobs, hs->n, version_line, NULL, false);
	int rc = 0;
	for (size_t i = 0; i < hs->n; i++) {
		struct mh_job *j = &jobs[i];
		if (j->status != 0 || !j->in) {
			char *how = argv_text(j->argv);
			fprintf(stderr, "aspen %s: host %s: cannot run aspen there with '%s' (exit %d)%s%s\n",
				cmd, hs->v[i].name, how ? how : "?", j->status, *j->last_err ? ": " : "",
				j->last_err);
			free(how);
			rc = -1;
		} else if (strcmp(j->in, cli_version())) {
			fprintf(stderr, "aspen %s: host %s runs aspen %s, this controller aspen %s: install the "
				"same aspen on every host\n", cmd, hs->v[i].name, j->in, cli_version());
			rc = -1;
		}
	}
	mh_jobs_free(jobs, hs->n);
	return rc;
}

/* ---------------- parts ---------------- */

struct part_src {
	const struct mh_hosts *hs;
	const char *file;               /* absolute */
	const char *source;
	uint64_t seed;
};

static char *part_for(size_t host, void *arg)
{
	const struct part_src *ps = arg;
	cJSON *o = part_json(cli_version(), ps->hs->v[host].name, ps->file, ps->seed, ps->source);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---------------- apply and the schedule ---------------- */

/* The spread of the hosts' finishing times (unix_us of their last word):
 * what a test must allow between "applied on h1" and "applied on h3". */
static uint64_t mh_skew(const struct mh_job *jobs, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].status != 0 || !jobs[i].unix_us)
			continue;
		lo = jobs[i].unix_us < lo ? jobs[i].unix_us : lo;
		hi = jobs[i].unix_us > hi ? jobs[i].unix_us : hi;
	}
	return hi >= lo ? hi - lo : 0;
}

/* The hosts' share of faults[index]: apply or revert on every host at
 * once; the event says when each host made its change. */
static int mh_fault_share(const struct mh_hosts *hs, struct part_src *ps, const struct timeline_entry *te,
		    bool apply, struct mh_out *mo, uint64_t t0)
{
	char idx[32];
	snprintf(idx, sizeof(idx), "%zu", te->fault->index);
	const char *const cmd[] = {"fault", "--part", "-", "--index", idx, apply ? "--apply" : "--revert",
				   NULL};
	struct mh_job *jobs = mh_jobs(hs, cmd, part_for, ps);
	if (!jobs)
		return -1;
	struct mh_out quiet = {mo->cmd, NULL, true};     /* what the hosts say is summed up below */
	size_t failed = mh_run(hs, jobs, hs->n, mh_event_line, &quiet, false);
	uint64_t skew = mh_skew(jobs, hs->n);
	double at = (double)(mono_us() - t0) / 1e6;
	if (failed)
		mh_report_failed(hs, jobs, mo->cmd);
	if (mo->json) {
		char kv[1024];
		char *desc = cJSON_PrintUnformatted(cJSON_CreateString(te->desc));
		snprintf(kv, sizeof(kv), "\"op\":\"%s\",\"fault\":%zu,\"desc\":%s,\"hosts\":%zu,"
			 "\"failed\":%zu,\"skew_us\":%" PRIu64, apply ? "apply" : "revert", te->fault->index,
			 desc ? desc : "\"\"", hs->n - failed, failed, skew);
		free(desc);
		progress_json(mo->out, "fault", kv);
	} else if (!cli_out.quiet) {
		fprintf(mo->out, "  %+9.3fs  %-6s %s  (%zu host%s, skew %.3f ms)\n", at,
			apply ? "apply" : "revert", te->desc, hs->n - failed, hs->n - failed == 1 ? "" : "s",
			(double)skew / 1000.0);
	}
	fflush(mo->out);
	mh_jobs_free(jobs, hs->n);
	return failed ? -1 : 0;
}

/* Sleep until mono time `until`; false when a signal came first. */
static bool mh_sleep_until(uint64_t until)
{
	while (!mh_stop) {
		uint64_t now = mono_us();
		if (now >= until)
			return true;
		uint64_t d = until - now;
		struct timespec ts = {(time_t)(d / 1000000u), (long)(d % 1000000u) * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static int mh_schedule(const struct topology *t, const struct mh_hosts *hs, struct part_src *ps,
		       struct mh_out *mo)
{
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	bool *active = calloc(t->n_faults + 1, sizeof(bool));
	int rc = 0;
	uint64_t t0 = mono_us();
	if (!mo->json && !cli_out.quiet)
		fprintf(mo->out, "Schedule: %zu event%s on %zu hosts\n", p.n_timeline,
			p.n_timeline == 1 ? "" : "s", hs->n);
	for (size_t i = 0; active && i < p.n_timeline && rc == 0; i++) {
		const struct timeline_entry *te = &p.timeline[i];
		if (!mh_sleep_until(t0 + te->at_us))
			break;
		bool apply = te->ev == TL_APPLY;
		rc = mh_fault_share(hs, ps, te, apply, mo, t0);
		active[te->fault->index] = apply;
	}
	/* Stopped by a signal or a host's failure: what is active is
	 * reverted on every host; a plain end leaves the faults without
	 * `for` active, as a one-host schedule does. */
	size_t left = 0;
	for (size_t i = 0; active && i < p.n_timeline; i++) {
		const struct timeline_entry *te = &p.timeline[i];
		if (!active[te->fault->index] || te->ev != TL_APPLY)
			continue;
		if (mh_stop || rc < 0) {
			int sig = mh_stop;
			mh_stop = 0;                    /* the revert must run to its end */
			mh_fault_share(hs, ps, te, false, mo, t0);
			mh_stop = sig;
		} else {
			left++;
		}
		active[te->fault->index] = false;
	}
	if (!mo->json && !cli_out.quiet && !mh_stop && rc == 0)
		fprintf(mo->out, "Schedule complete on %zu hosts.%s%s%s\n", hs->n,
			left ? " Faults without `for` stay active: 'aspen heal " : "", left ? t->name : "",
			left ? "' reverts them." : "");
	free(active);
	plan_free(&p);
	if (mh_stop)
		return mh_stop == SIGINT ? SCHED_EXIT_SIGINT : SCHED_EXIT_SIGTERM;
	return rc < 0 ? EXIT_ERR : EXIT_OK;
}

int mh_apply(const struct topology *t, const struct apply_opts *o, bool schedule)
{
	struct mh_hosts hs;
	if (mh_hosts_from_topology(t, &hs) < 0)
		return EXIT_ERR;
	struct mh_out mo = {"apply", o->out, o->json};
	int status = EXIT_ERR;
	char *abs = realpath(o->file, NULL);
	char *source = cli_read_file(o->file, NULL);
	struct mh_job *jobs = NULL;
	mh_signals(true);
	uint64_t t0 = mono_us();
	if (!abs || !source) {
		fprintf(stderr, "aspen apply: %s: %s\n", o->file, strerror(errno));
		goto out;
	}
	if (mh_check_versions(&hs, "apply") < 0) {
		fprintf(stderr, "aspen apply: nothing was changed on any host\n");
		goto out;
	}
	if (mh_hosts_save(&hs, abs) < 0)
		goto out;
	struct part_src ps = {&hs, abs, source, t->seed};
	char lock[32];
	snprintf(lock, sizeof(lock), "%dms", o->lock_ms);
	const char *cmd[12] = {"apply", "--part", "-", "--json"};
	size_t nc = 4;
	if (!o->wait)
		cmd[nc++] = "--no-wait";
	if (o->lock_ms) {
		cmd[nc++] = "--lock-timeout";
		cmd[nc++] = lock;
	}
	cmd[nc] = NULL;
	if (!o->json && !cli_out.quiet)
		fprintf(o->out, "aspen apply: %s on %zu hosts\n", t->name, hs.n);
	jobs = mh_jobs(&hs, cmd, part_for, &ps);
	if (!jobs)
		goto out;
	size_t failed = mh_run(&hs, jobs, hs.n, mh_event_line, &mo, true);
	if (failed || mh_stop) {
		mh_report_failed(&hs, jobs, "apply");
		fprintf(stderr, "aspen apply: what every host made is in its journal: 'aspen destroy %s' "
			"removes it from every host, 'aspen apply %s' converges\n", t->name, o->file);
		status = mh_stop == SIGINT ? SCHED_EXIT_SIGINT : mh_stop ? SCHED_EXIT_SIGTERM : EXIT_ERR;
		goto out;
	}
	size_t mutations = 0;
	for (size_t i = 0; i < hs.n; i++)
		mutations += jobs[i].mutations;
	uint64_t dt = mono_us() - t0;
	if (o->json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"hosts\":%zu,\"mutations\":%zu,"
			 "\"elapsed_us\":%" PRIu64 ",\"skew_us\":%" PRIu64, t->name, hs.n, mutations, dt,
			 mh_skew(jobs, hs.n));
		progress_json(o->out, "applied", kv);
	} else if (!cli_out.quiet) {
		fprintf(o->out, "Apply complete on %zu hosts: %zu change%s in %.1f ms (hosts done within "
			"%.1f ms of each other).\n", hs.n, mutations, mutations == 1 ? "" : "s",
			(double)dt / 1000.0, (double)mh_skew(jobs, hs.n) / 1000.0);
	}
	fflush(o->out);
	status = EXIT_OK;
	if (schedule && t->n_faults)
		status = mh_schedule(t, &hs, &ps, &mo);
out:
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	free(abs);
	free(source);
	return status;
}

/* ---------------- destroy, status, heal ---------------- */

int mh_destroy(const char *name, bool json, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	struct mh_out mo = {"destroy", stdout, json};
	const char *const cmd[] = {"destroy", "--this-host", "--json", name, NULL};
	mh_signals(true);
	uint64_t t0 = mono_us();
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	int status = EXIT_OK;
	if (failed) {
		if (jobs)
			mh_report_failed(&hs, jobs, "destroy");
		fprintf(stderr, "aspen destroy: %zu of %zu hosts still hold part of %s; 'aspen destroy %s' "
			"again finishes it\n", failed, hs.n, name, name);
		status = EXIT_ERR;
	} else {
		mh_hosts_remove(name);
		size_t deleted = 0;
		for (size_t i = 0; i < hs.n; i++)
			deleted += jobs[i].mutations;
		if (json) {
			char kv[256];
			snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"hosts\":%zu,\"deleted\":%zu,"
				 "\"elapsed_ms\":%.1f", name, hs.n, deleted, (double)(mono_us() - t0) / 1000.0);
			progress_json(stdout, "destroyed", kv);
		} else if (!cli_out.quiet) {
			printf("Destroyed %s on %zu hosts: %zu deleted in %.1f ms.\n", name, hs.n, deleted,
			       (double)(mono_us() - t0) / 1000.0);
		}
	}
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return status;
}

struct status_acc {
	cJSON *hosts;           /* --json: one object per host */
	char **text;            /* per host: what it printed */
	size_t *len;
};

static void status_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	struct status_acc *sa = ud;
	if (err) {
		fprintf(stderr, "aspen status: %s: %s\n", hs->v[j->host].name, line);
		return;
	}
	size_t n = strlen(line);
	char *s = realloc(sa->text[j->host], sa->len[j->host] + n + 2);
	if (!s)
		return;
	memcpy(s + sa->len[j->host], line, n);
	sa->len[j->host] += n;
	s[sa->len[j->host]++] = '\n';
	s[sa->len[j->host]] = '\0';
	sa->text[j->host] = s;
}

int mh_status(const char *name, bool json, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	const char *const cmd[] = {"status", "--this-host", json ? "--json" : name, json ? name : NULL, NULL};
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	struct status_acc sa = {NULL, calloc(hs.n + 1, sizeof(char *)), calloc(hs.n + 1, sizeof(size_t))};
	size_t failed = jobs && sa.text && sa.len ? mh_run(&hs, jobs, hs.n, status_line, &sa, false) : hs.n;
	if (json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "hosts");
		cJSON_AddStringToObject(o, "topology", name);
		for (size_t i = 0; i < hs.n; i++) {
			cJSON *h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "name", hs.v[i].name);
			cJSON_AddNumberToObject(h, "exit", jobs ? jobs[i].status : -1);
			cJSON *st = sa.text && sa.text[i] ? cJSON_Parse(sa.text[i]) : NULL;
			if (st)
				cJSON_AddItemToObject(h, "status", st);
			cJSON_AddItemToArray(arr, h);
		}
		char *s = cJSON_Print(o);
		printf("%s\n", s ? s : "{}");
		free(s);
		cJSON_Delete(o);
	} else {
		printf("%s: %zu hosts\n", name, hs.n);
		for (size_t i = 0; i < hs.n; i++) {
			printf("\nhost %s (%s%s%s):\n", hs.v[i].name, hs.v[i].local ? "local" : "ssh ",
			       hs.v[i].ssh ? hs.v[i].ssh : "", jobs && jobs[i].status ? ", status failed" : "");
			for (char *sv, *ln = sa.text && sa.text[i] ? strtok_r(sa.text[i], "\n", &sv) : NULL; ln;
			     ln = strtok_r(NULL, "\n", &sv))
				printf("  %s\n", ln);
		}
	}
	if (failed && jobs)
		mh_report_failed(&hs, jobs, "status");
	for (size_t i = 0; sa.text && i < hs.n; i++)
		free(sa.text[i]);
	free(sa.text);
	free(sa.len);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return failed ? EXIT_ERR : EXIT_OK;
}

int mh_heal(const char *name, const char *key, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	struct mh_out mo = {"heal", stdout, false};
	const char *const cmd[] = {"heal", "--this-host", name, key, NULL};
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	if (failed && jobs)
		mh_report_failed(&hs, jobs, "heal");
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return failed ? EXIT_ERR : EXIT_OK;
}

/* Heal key on every host whose job applied it (its own key). */
static void mh_fault_heal(const struct mh_hosts *hs, struct mh_job *applied, const char *name)
{
	struct mh_job *jobs = calloc(hs->n, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; jobs && i < hs->n; i++) {
		if (applied[i].status != 0 || !applied[i].key[0])
			continue;
		const char *const cmd[] = {"heal", "--this-host", "--json", name, applied[i].key, NULL};
		jobs[n].host = i;
		jobs[n++].argv = mh_argv(hs, i, cmd);
	}
	struct mh_out quiet = {"fault", NULL, true};
	if (jobs && mh_run(hs, jobs, n, mh_event_line, &quiet, false))
		mh_report_failed(hs, jobs, "fault");
	mh_jobs_free(jobs, n);
}

int mh_fault(const char *name, int argc, char **argv, const char *for_s, bool json, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	int for_ms = 0;
	if (for_s && cli_parse_ms(for_s, &for_ms) < 0) {
		mh_hosts_free(&hs);
		return cli_usage_error("fault", "--for takes a duration like 10s, not '%s'", for_s);
	}
	/* The host's command: the same words, the name for the file, without
	 * what only the controller does (--for, --json, --matrix, its state dir). */
	const char **cmd = calloc((size_t)argc + 4, sizeof(*cmd));
	size_t n = 0;
	bool named = false;
	if (!cmd) {
		mh_hosts_free(&hs);
		return EXIT_ERR;
	}
	cmd[n++] = "fault";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool dropped = !strcmp(s, "--for") || !strcmp(s, "--state-dir");
		if (dropped || !strcmp(s, "--direction") || !strcmp(s, "--lock-timeout")) {
			if (!dropped && i + 1 < argc) {
				cmd[n++] = s;
				cmd[n++] = argv[i + 1];
			}
			i++;
			continue;
		}
		if (!strncmp(s, "--for=", 6) || !strncmp(s, "--state-dir=", 12) || !strcmp(s, "--json"))
			continue;
		if (!strcmp(s, "--matrix")) {
			fprintf(stderr, "aspen fault: --matrix is not available across hosts yet\n");
			continue;
		}
		cmd[n++] = s[0] == '-' || named ? s : name;
		named = named || s[0] != '-';
	}
	cmd[n++] = "--this-host";
	cmd[n++] = "--json";
	cmd[n] = NULL;
	struct mh_out mo = {"fault", json ? stdout : NULL, json};
	mh_signals(true);
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	int status = EXIT_OK;
	const char *key = "", *desc = "";
	for (size_t i = 0; jobs && i < hs.n; i++) {
		if (jobs[i].key[0] && !key[0])
			key = jobs[i].key;
		if (jobs[i].desc[0] && !desc[0])
			desc = jobs[i].desc;
		if (jobs[i].key[0] && strcmp(jobs[i].key, key))
			fprintf(stderr, "aspen fault: host %s named it %s, not %s ('aspen heal %s' heals "
				"every key)\n", hs.v[i].name, jobs[i].key, key, name);
	}
	if (failed || mh_stop) {
		if (jobs)
			mh_report_failed(&hs, jobs, "fault");
		if (jobs)
			mh_fault_heal(&hs, jobs, name);
		fprintf(stderr, "aspen fault: not applied on every host: reverted where it was\n");
		status = mh_stop == SIGINT ? SCHED_EXIT_SIGINT : mh_stop ? SCHED_EXIT_SIGTERM : EXIT_ERR;
		goto out;
	}
	uint64_t skew = mh_skew(jobs, hs.n);
	if (json) {
		char kv[512];
		snprintf(kv, sizeof(kv), "\"op\":\"apply\",\"key\":\"%s\",\"hosts\":%zu,\"skew_us\":%" PRIu64,
			 key, hs.n, skew);
		progress_json(stdout, "fault", kv);
	} else if (!cli_out.quiet) {
		printf("%s applied on %zu hosts (skew %.3f ms): %s\n", key, hs.n, (double)skew / 1000.0, desc);
	}
	fflush(stdout);
	if (!for_s) {
		if (!json && !cli_out.quiet)
			printf("%s is active until 'aspen heal %s %s' (or 'aspen heal %s').\n", key, name, key,
			       name);
		goto out;
	}
	mh_sleep_until(mono_us() + (uint64_t)for_ms * 1000u);
	int sig = mh_stop;
	mh_stop = 0;                    /* the revert runs to its end */
	mh_fault_heal(&hs, jobs, name);
	if (json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"op\":\"revert\",\"key\":\"%s\",\"hosts\":%zu", key, hs.n);
		progress_json(stdout, "fault", kv);
	} else if (!cli_out.quiet) {
		printf("%s reverted on %zu hosts.\n", key, hs.n);
	}
	status = sig == SIGINT ? SCHED_EXIT_SIGINT : sig ? SCHED_EXIT_SIGTERM : EXIT_OK;
out:
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	free(cmd);
	mh_hosts_free(&hs);
	return status;
}

/* ---------------- the host's side ---------------- */

int mh_save_part(const char *name)
{
	const struct cli_part *p = cli_part();
	char path[PATHS_MAX + 64];
	if (!p || hosts_path(name, MH_PART_FILE, path, sizeof(path), true) < 0)
		return -1;
	return write_json(path, part_json(p->version, p->host, p->file, p->seed, p->source), false);
}

int mh_load_saved_part(const char *cmd, const char *name)
{
	char path[PATHS_MAX + 64];
	struct stat st;
	if (cli_part() || !paths_valid_name(name) ||
	    hosts_path(name, MH_PART_FILE, path, sizeof(path), false) < 0 || stat(path, &st) < 0)
		return 0;
	return cli_part_read_saved(cmd, path);
}

void mh_forget_part(const char *name)
{
	char path[PATHS_MAX + 64], dir[PATHS_MAX];
	struct rt_err e;
	if (!paths_valid_name(name) || hosts_path(name, MH_PART_FILE, path, sizeof(path), false) < 0)
		return;
	unlink(path);
	if (paths_state_dir(name, dir, sizeof(dir), &e) == 0)
		paths_remove_dir_if_empty(dir, &e);
}
