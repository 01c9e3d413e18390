/* hostrun.c — who the hosts of a multi-host topology are and how the
 * controller runs aspen on each (docs/multihost.md).
 *
 * What it owns: the hosts list (from the file, or hosts.json, the
 * controller journal, so destroy and status need no file), the transport
 * (a command template: OpenSSH in batch mode with a control master by
 * default, nsenter wrappers in the tests; a `local` host runs this very
 * binary), and mh_run: one process per host at once, their stdin written
 * and their stdout/stderr read line by line through one poll loop, a
 * failure or a signal stopping the others. */
#include "cli/hostrun.h"

#include "cli/cli.h"
#include "runtime/paths.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MH_HOSTS_FILE "hosts.json"

/* ---------------- hosts and the transport ---------------- */

void mh_hosts_free(struct mh_hosts *hs)
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

/* The environment's transport and remote aspen, else what rec says. */
static void transport_from(struct mh_hosts *hs, const char *rec_transport, const char *rec_remote)
{
	const char *tr = getenv("ASPEN_TRANSPORT"), *re = getenv("ASPEN_REMOTE");
	hs->transport = dup_or_null(tr && *tr ? tr : rec_transport);
	hs->remote = dup_or_null(re && *re ? re : rec_remote);
}

int mh_hosts_from_topology(const struct topology *t, const struct mh_hosts *recorded,
			   struct mh_hosts *hs)
{
	*hs = (struct mh_hosts){.topology = strdup(t->name), .n = t->n_hosts};
	transport_from(hs, recorded ? recorded->transport : NULL, recorded ? recorded->remote : NULL);
	hs->v = calloc(t->n_hosts, sizeof(*hs->v));
	if (!hs->v || !hs->topology)
		return -1;
	for (size_t i = 0; i < t->n_hosts; i++)
		hs->v[i] = (struct mh_host){strdup(t->hosts[i].name), t->hosts[i].local,
					    dup_or_null(t->hosts[i].ssh), t->hosts[i].ssh_port};
	return 0;
}

int mh_state_path(const char *name, const char *file, char *buf, size_t len, bool make)
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

/* o (freed here) as path's whole content, atomically; messages printed. */
int mh_write_json(const char *path, cJSON *o, bool pretty)
{
	char *text = o ? (pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o)) : NULL;
	cJSON_Delete(o);
	int rc = text ? paths_write_atomic(path, text) : -1;
	free(text);
	if (rc < 0)
		fprintf(stderr, "aspen: %s: %s\n", path, strerror(errno));
	return rc;
}

/* The controller journal: which hosts hold a part of name. */
int mh_hosts_save(const struct mh_hosts *hs, const char *file)
{
	char path[PATHS_MAX + 64];
	if (mh_state_path(hs->topology, MH_HOSTS_FILE, path, sizeof(path), true) < 0)
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
	return mh_write_json(path, o, true);
}

const char *mh_jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 loaded, 0 no hosts.json for name, -1 unreadable (printed). The
 * environment's transport wins over the one recorded. */
int mh_hosts_load(const char *name, struct mh_hosts *hs)
{
	char path[PATHS_MAX + 64];
	*hs = (struct mh_hosts){0};
	if (!paths_valid_name(name) || mh_state_path(name, MH_HOSTS_FILE, path, sizeof(path), false) < 0)
		return 0;
	char *text = cli_read_file(path, NULL);
	if (!text)
		return errno == ENOENT ? 0 : (fprintf(stderr, "aspen: %s: %s\n", path, strerror(errno)), -1);
	cJSON *o = cJSON_Parse(text);
	free(text);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "hosts");
	int n = cJSON_GetArraySize(arr);
	hs->topology = strdup(name);
	transport_from(hs, mh_jstr(o, "transport"), mh_jstr(o, "remote"));
	hs->v = calloc((size_t)n + 1, sizeof(*hs->v));
	for (int i = 0; hs->v && i < n; i++) {
		const cJSON *h = cJSON_GetArrayItem(arr, i);
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(h, "port");
		if (!mh_jstr(h, "name"))
			continue;
		hs->v[hs->n++] = (struct mh_host){strdup(mh_jstr(h, "name")),
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "local")), dup_or_null(mh_jstr(h, "ssh")),
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

void mh_state_unlink(const char *name, const char *file)
{
	char path[PATHS_MAX + 64], dir[PATHS_MAX];
	struct rt_err e;
	if (mh_state_path(name, file, path, sizeof(path), false) < 0)
		return;
	unlink(path);
	char tmp[sizeof(path) + 8];     /* what a crash in paths_write_atomic left */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	if (paths_state_dir(name, dir, sizeof(dir), &e) == 0)
		paths_remove_dir_if_empty(dir, &e);
}

void mh_hosts_remove(const char *name)
{
	mh_state_unlink(name, MH_HOSTS_FILE);
}

/* argv for running `aspen <cmd...>` on host i: the transport's words
 * (template with {host} {ssh} {port}), the remote aspen, cmd. A local host
 * runs this very binary. malloc'ed, NULL terminated; a job's is freed by
 * mh_jobs_free. */
char **mh_argv(const struct mh_hosts *hs, size_t i, const char *const *cmd)
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

char *mh_argv_text(char *const *v)
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

volatile sig_atomic_t mh_stop;

static void mh_on_signal(int sig)
{
	mh_stop = sig;
}

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

/* Wait for pid: its exit status, or 128 + the signal that ended it. */
static int reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run jobs[0..n) at once; fn gets every line each says. A job that fails
 * with stop_on_fail set (or a signal to the controller) stops the others
 * (SIGTERM). Returns the number of jobs that did not exit 0. */
size_t mh_run(const struct mh_hosts *hs, struct mh_job *jobs, size_t n, mh_line_fn fn, void *ud,
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
			j->status = reap(j->pid);
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
		if (j->pid > 0)
			j->status = reap(j->pid);
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
struct mh_job *mh_jobs(const struct mh_hosts *hs, const char *const *cmd,
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

void mh_jobs_free(struct mh_job *jobs, size_t n)
{
	for (size_t i = 0; jobs && i < n; i++) {
		argv_free(jobs[i].argv);
		free(jobs[i].in);
	}
	free(jobs);
}

/* Catch SIGINT/SIGTERM for the length of a controller command. */
void mh_signals(bool on)
{
	struct sigaction sa = {0};
	sa.sa_handler = on ? mh_on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, on ? SIG_IGN : SIG_DFL);
	mh_stop = 0;
}

/* Name every failed job: "host h2 (exit 1): <its last error line>". */
void mh_report_failed(const struct mh_hosts *hs, const struct mh_job *jobs, size_t n, const char *cmd)
{
	for (size_t i = 0; i < n; i++) {
		const struct mh_job *j = &jobs[i];
		const char *host = hs->v[j->host].name;
		if (j->status == 0)
			continue;
		char *how = mh_argv_text(j->argv);
		if (j->status == 127 || j->status == 255)
			fprintf(stderr, "aspen %s: host %s: could not run aspen there (exit %d) with '%s'%s%s\n",
				cmd, host, j->status, how ? how : "?", *j->last_err ? ": " : "", j->last_err);
		else
			fprintf(stderr, "aspen %s: host %s failed (exit %d)%s%s\n", cmd, host, j->status,
				*j->last_err ? ": " : "", j->last_err);
		free(how);
	}
}
