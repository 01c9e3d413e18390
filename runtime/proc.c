/* proc.c — starting, checking and stopping supervised processes (see
 * proc.h for the model: pid + start time, one process group per process,
 * pidfd-based signalling).
 *
 * Spawning reports failures that happen in the child (setns, chdir, exec)
 * through a pipe opened O_CLOEXEC: a successful exec closes it, so EOF with
 * no message means the program is running. In daemon mode an intermediate
 * child calls setsid(), forks the real process and exits; it also reads the
 * grandchild's start time (which cannot be reaped before the intermediate
 * exits), writes the pidfile, only then lets the grandchild exec, and sends
 * {pid, starttime} up the same pipe. Code between fork and
 * exec only uses async-signal-safe calls: the caller may be threaded. */
#include "runtime/proc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define PROC_KILL_WAIT_MS 5000

extern char **environ;

/* ---------------- /proc/<pid>/stat ---------------- */

/* Read state (field 3) and starttime (field 22) of pid. Async-signal-safe:
 * used between fork and exec. 0, or -1 with errno (ESRCH when gone). */
static int proc_read_stat(pid_t pid, char *state, unsigned long long *starttime)
{
	char path[32], buf[1024];
	/* "/proc/" + decimal pid, by hand (no snprintf after fork). */
	char digits[16];
	int nd = 0;
	unsigned v = (unsigned)pid;
	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(path, "/proc/", 6);
	int n = 6;
	while (nd)
		path[n++] = digits[--nd];
	memcpy(path + n, "/stat", 6);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		return -1;
	}
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	int err = errno;
	close(fd);
	if (len <= 0) {
		errno = len < 0 ? (err == ENOENT ? ESRCH : err) : ESRCH;
		return -1;
	}
	buf[len] = '\0';
	/* comm may contain spaces and ')': the last ')' ends it. */
	char *p = NULL;
	for (char *q = buf; *q; q++)
		if (*q == ')')
			p = q;
	if (!p || p[1] != ' ' || !p[2]) {
		errno = EPROTO;
		return -1;
	}
	p += 2;
	*state = *p;
	/* Skip from field 3 to field 22. */
	for (int field = 3; field < 22; field++) {
		while (*p && *p != ' ')
			p++;
		if (!*p) {
			errno = EPROTO;
			return -1;
		}
		p++;
	}
	unsigned long long st = 0;
	if (*p < '0' || *p > '9') {
		errno = EPROTO;
		return -1;
	}
	while (*p >= '0' && *p <= '9')
		st = st * 10 + (unsigned long long)(*p++ - '0');
	*starttime = st;
	return 0;
}

int proc_starttime(pid_t pid, unsigned long long *out, struct rt_err *e)
{
	char state;
	if (pid <= 0)
		return rt_errf(e, ESRCH, "pid %d: %s", (int)pid, strerror(ESRCH));
	if (proc_read_stat(pid, &state, out) < 0)
		return rt_errf(e, errno, "read /proc/%d/stat: %s", (int)pid, strerror(errno));
	return 0;
}

/* ---------------- identity and state ---------------- */

enum proc_state proc_state(const struct proc_id *id)
{
	char state;
	unsigned long long st;
	if (id->pid <= 0 || proc_read_stat(id->pid, &state, &st) < 0 || st != id->starttime)
		return PROC_GONE;
	switch (state) {
	case 'T': case 't':
		return PROC_STOPPED;
	case 'Z':
		return PROC_ZOMBIE;
	case 'X': case 'x':
		return PROC_GONE;
	default:                /* R S D I W P K */
		return PROC_RUNNING;
	}
}

const char *proc_state_name(enum proc_state s)
{
	switch (s) {
	case PROC_RUNNING: return "running";
	case PROC_STOPPED: return "stopped";
	case PROC_ZOMBIE:  return "zombie";
	default:           return "gone";
	}
}

bool proc_alive(const struct proc_id *id)
{
	enum proc_state s = proc_state(id);
	return s == PROC_RUNNING || s == PROC_STOPPED;
}

/* ---------------- settling after a start ---------------- */

/* Is every thread of pid asleep or stopped? Reads the state letter of
 * each /proc/<pid>/task/<tid>/stat. False while any runs (R), waits for
 * the disk (D: loading the program) or cannot be read. */
static bool proc_all_asleep(pid_t pid)
{
	char dir[48], path[320], buf[512];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool asleep = true, any = false;
	struct dirent *de;
	while (asleep && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", dir, de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (len <= 0)
			continue;               /* a thread that just ended */
		buf[len] = '\0';
		const char *p = strrchr(buf, ')');
		char st = p && p[1] == ' ' ? p[2] : '?';
		asleep = st == 'S' || st == 'T' || st == 't';
		any = true;
	}
	closedir(d);
	return asleep && any;
}

void proc_settle(const struct proc_id *ids, size_t n, int cap_ms)
{
	if (n == 0)
		return;
	struct pollfd *pf = calloc(n, sizeof(*pf));
	bool *done = calloc(n, sizeof(*done));
	if (!pf || !done) {
		free(pf);
		free(done);
		return;
	}
	for (size_t i = 0; i < n; i++)
		pf[i] = (struct pollfd){.fd = (int)syscall(SYS_pidfd_open, ids[i].pid, 0),
					.events = POLLIN};
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < n; i++) {
			if (!done[i]) {
				enum proc_state s = proc_state(&ids[i]);
				done[i] = s != PROC_RUNNING || proc_all_asleep(ids[i].pid);
			}
			if (done[i] && pf[i].fd >= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;          /* poll ignores it from now on */
			}
			left += !done[i];
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (left == 0 || ms >= cap_ms)
			break;
		/* An exit wakes this at once; a process going to sleep is seen
		 * at the next look, a millisecond on. */
		poll(pf, (nfds_t)n, 1);
	}
	for (size_t i = 0; i < n; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	free(pf);
	free(done);
}

/* A handle on a verified process: a pidfd opened before the start time is
 * checked, so once open it names that process for good, even if the number
 * is recycled later. Kernels (or valgrind) without pidfd_open get pidfd -1
 * and the old way: re-verify the start time right before each kill(), and
 * poll /proc to wait. */
struct proc_handle {
	struct proc_id id;
	int pidfd;
};

/* 0, or -1 with errno ESRCH when the process is gone or recycled. */
static int proc_open(const struct proc_id *id, struct proc_handle *h)
{
	h->id = *id;
	h->pidfd = -1;
	if (id->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	h->pidfd = (int)syscall(SYS_pidfd_open, id->pid, 0);
	if (h->pidfd < 0 && errno != ENOSYS)
		return -1;
	if (proc_state(id) == PROC_GONE) {
		if (h->pidfd >= 0)
			close(h->pidfd);
		h->pidfd = -1;
		errno = ESRCH;
		return -1;
	}
	return 0;
}

static void proc_close(struct proc_handle *h)
{
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
}

static int proc_pidfd_signal(int pidfd, int sig, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

/* Signal the process alone. */
static int proc_kill_one(const struct proc_handle *h, int sig)
{
	if (h->pidfd >= 0)
		return proc_pidfd_signal(h->pidfd, sig, 0);
	if (proc_state(&h->id) == PROC_GONE) {
		errno = ESRCH;
		return -1;
	}
	return kill(h->id.pid, sig);
}

/* Signal the process and its process group (pgid == pid). The group
 * signal is bound to the pidfd where the kernel allows it; otherwise
 * kill(-pid) is used only while the leader is verified to be ours. */
static int proc_kill_group(const struct proc_handle *h, int sig)
{
	int rc = proc_kill_one(h, sig);
	int err = errno;
	if (h->pidfd >= 0 && proc_pidfd_signal(h->pidfd, sig, PIDFD_SIGNAL_PROCESS_GROUP) == 0)
		return 0;
	/* Only a verified leader of its own group: kill(-1) or kill(-0) would
	 * reach far more than the node. */
	if (h->id.pid > 1 && getpgid(h->id.pid) == h->id.pid && proc_state(&h->id) != PROC_GONE)
		kill(-h->id.pid, sig);
	errno = err;
	return rc;
}

static bool proc_exited(const struct proc_id *id)
{
	enum proc_state s = proc_state(id);
	return s == PROC_GONE || s == PROC_ZOMBIE;
}

/* 1 when the process exited within timeout_ms, 0 if not. */
static int proc_poll_exit(const struct proc_handle *h, int timeout_ms)
{
	if (h->pidfd < 0) {
		for (int waited = 0; !proc_exited(&h->id); waited += 10) {
			if (waited >= timeout_ms)
				return 0;
			usleep(10 * 1000);
		}
		return 1;
	}
	struct pollfd p = {.fd = h->pidfd, .events = POLLIN};
	for (;;) {
		int rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		return rc > 0;
	}
}

/* Reap the exited process if it is our child (or became ours as its
 * reaper); ECHILD otherwise, which is fine. */
static void proc_reap(const struct proc_handle *h)
{
	siginfo_t si;
	if (h->pidfd >= 0) {
		while (waitid(P_PIDFD, (id_t)h->pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	} else if (proc_state(&h->id) == PROC_ZOMBIE) {
		waitid(P_PID, (id_t)h->id.pid, &si, WEXITED | WNOHANG);
	}
}

int proc_signal(const struct proc_id *id, int sig, struct rt_err *e)
{
	struct proc_handle h;
	if (proc_open(id, &h) < 0)
		return rt_errf(e, ESRCH, "signal pid %d: not the process aspen started "
			       "(gone, or its pid was reused)", (int)id->pid);
	int rc = proc_kill_one(&h, sig);
	int err = errno;
	proc_close(&h);
	if (rc < 0)
		return rt_errf(e, err, "signal pid %d: %s", (int)id->pid, strerror(err));
	return 0;
}

static int proc_group_op(const struct proc_id *id, int sig, const char *what, struct rt_err *e)
{
	struct proc_handle h;
	if (proc_open(id, &h) < 0)
		return rt_errf(e, ESRCH, "%s pid %d: not the process aspen started "
			       "(gone, or its pid was reused)", what, (int)id->pid);
	int rc = proc_kill_group(&h, sig);
	int err = errno;
	proc_close(&h);
	if (rc < 0)
		return rt_errf(e, err, "%s pid %d: %s", what, (int)id->pid, strerror(err));
	return 0;
}

int proc_pause(const struct proc_id *id, struct rt_err *e)
{
	return proc_group_op(id, SIGSTOP, "pause", e);
}

int proc_resume(const struct proc_id *id, struct rt_err *e)
{
	return proc_group_op(id, SIGCONT, "resume", e);
}

int proc_signal_group(const struct proc_id *id, int sig, struct rt_err *e)
{
	return proc_group_op(id, sig, "signal", e);
}

int proc_wait_exit(const struct proc_id *id, int timeout_ms, struct rt_err *e)
{
	struct proc_handle h;
	if (proc_open(id, &h) < 0)
		return 0;
	int done = proc_poll_exit(&h, timeout_ms);
	proc_close(&h);
	if (!done)
		return rt_errf(e, ETIMEDOUT, "pid %d still running after %d ms", (int)id->pid,
			       timeout_ms);
	return 0;
}

int proc_stop(const struct proc_id *id, int grace_ms, struct rt_err *e)
{
	struct proc_handle h;
	if (proc_open(id, &h) < 0)
		return 0;       /* gone or recycled: nothing of ours to stop */
	if (!proc_poll_exit(&h, 0)) {
		proc_kill_group(&h, SIGTERM);
		proc_kill_group(&h, SIGCONT);   /* a paused process must see it */
		if (!proc_poll_exit(&h, grace_ms > 0 ? grace_ms : 0)) {
			proc_kill_group(&h, SIGKILL);
			if (!proc_poll_exit(&h, PROC_KILL_WAIT_MS)) {
				proc_close(&h);
				return rt_errf(e, ETIMEDOUT, "stop pid %d: still there %d ms after "
					       "SIGKILL (uninterruptible sleep?)", (int)id->pid,
					       PROC_KILL_WAIT_MS);
			}
		}
	}
	/* Group members that outlived the leader (they ignored SIGTERM). Only
	 * with the pidfd-bound group signal: by now the number may be free. */
	if (h.pidfd >= 0)
		proc_pidfd_signal(h.pidfd, SIGKILL, PIDFD_SIGNAL_PROCESS_GROUP);
	proc_reap(&h);
	proc_close(&h);
	return 0;
}

/* ---------------- spawning ---------------- */

enum { MSG_PID = 1, MSG_ERR = 2 };
enum { STAGE_FORK, STAGE_SETSID, STAGE_SETPGID, STAGE_SETNS, STAGE_CHDIR, STAGE_DUP, STAGE_EXEC };

struct spawn_msg {
	int kind;
	int stage;
	int err;
	pid_t pid;
	unsigned long long starttime;
};

static void spawn_send(int fd, const struct spawn_msg *m)
{
	while (write(fd, m, sizeof(*m)) < 0 && errno == EINTR)
		;
}

static _Noreturn void spawn_fail(int fd, int stage)
{
	struct spawn_msg m = {.kind = MSG_ERR, .stage = stage, .err = errno};
	spawn_send(fd, &m);
	_exit(127);
}

/* The process that becomes the program. Never returns. */
static _Noreturn void spawn_exec(const struct proc_spec *s, int nsfd, int nullfd, int logfd,
				 int wfd, const char *workdir)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);     /* EINVAL on reserved ones: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setpgid(0, 0) < 0)
		spawn_fail(wfd, STAGE_SETPGID);
	if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
		spawn_fail(wfd, STAGE_SETNS);
	int outfd = logfd;
	if (s->stdout_path && (outfd = open(s->stdout_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
					    O_NOCTTY, 0600)) < 0)
		spawn_fail(wfd, STAGE_DUP);
	if (workdir && chdir(workdir) < 0)
		spawn_fail(wfd, STAGE_CHDIR);
	if (dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(logfd, 2) < 0)
		spawn_fail(wfd, STAGE_DUP);
	/* Whatever else the caller left open must not leak into the program. */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	char *const *envp = s->envp ? (char *const *)s->envp : environ;
	execvpe(s->argv[0], (char *const *)s->argv, envp);
	spawn_fail(wfd, STAGE_EXEC);
}

/* Decimal digits of v at the end of buf; returns the start. */
static char *fmt_ull(char *end, unsigned long long v)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

static size_t cat(char *dst, size_t at, size_t cap, const char *s)
{
	while (*s && at + 1 < cap)
		dst[at++] = *s++;
	dst[at] = '\0';
	return at;
}

int proc_write_pidfile(const char *path, const struct proc_id *id)
{
	char tmp[4200], line[64], num[24];
	size_t n = cat(tmp, 0, sizeof(tmp), path);
	if (cat(tmp, n, sizeof(tmp), ".tmp") != n + 4)
		return -1;
	size_t l = cat(line, 0, sizeof(line), fmt_ull(num + sizeof(num), (unsigned long long)id->pid));
	l = cat(line, l, sizeof(line), " ");
	l = cat(line, l, sizeof(line), fmt_ull(num + sizeof(num), id->starttime));
	l = cat(line, l, sizeof(line), "\n");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	bool ok = write(fd, line, l) == (ssize_t)l;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Daemon mode: the intermediate child. */
static _Noreturn void spawn_detach(const struct proc_spec *s, int nsfd, int nullfd, int logfd,
				   int wfd, const char *workdir)
{
	if (setsid() < 0)
		spawn_fail(wfd, STAGE_SETSID);
	/* The grandchild waits for a byte on go[] before it does anything: if
	 * we die before its pidfile is in place (a crash of aspen's process
	 * tree), it reads EOF and exits, so no program ever runs unmarked. */
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		spawn_fail(wfd, STAGE_FORK);
	pid_t pid = fork();
	if (pid < 0)
		spawn_fail(wfd, STAGE_FORK);
	if (pid == 0) {
		char b;
		ssize_t r;
		close(go[1]);
		while ((r = read(go[0], &b, 1)) < 0 && errno == EINTR)
			;
		if (r != 1)
			_exit(127);
		close(go[0]);
		spawn_exec(s, nsfd, nullfd, logfd, wfd, workdir);
	}
	close(go[0]);
	/* The grandchild cannot be reaped before we exit: its stat is there. */
	struct spawn_msg m = {.kind = MSG_PID, .pid = pid};
	char state;
	if (proc_read_stat(pid, &state, &m.starttime) < 0)
		m.starttime = 0;
	if (s->pidfile && m.starttime)
		proc_write_pidfile(s->pidfile, &(struct proc_id){pid, m.starttime});
	if (write(go[1], "g", 1) != 1)
		_exit(127);   /* the grandchild is gone; the pid message says so later */
	spawn_send(wfd, &m);
	_exit(0);
}

static const char *spawn_stage_text(int stage)
{
	switch (stage) {
	case STAGE_FORK:    return "fork";
	case STAGE_SETSID:  return "setsid";
	case STAGE_SETPGID: return "setpgid";
	case STAGE_SETNS:   return "enter network namespace";
	case STAGE_CHDIR:   return "chdir";
	case STAGE_DUP:     return "redirect output";
	default:            return "exec failed";
	}
}

/* Are we the reaper of orphans (PID 1 of a namespace, or a subreaper)? */
static bool proc_we_reap_orphans(void)
{
	int sub = 0;
	return getpid() == 1 || (prctl(PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub);
}

/* Open what the child needs, in the parent, so errors name their files. */
static int spawn_open_fds(const struct proc_spec *s, int *nsfd, int *nullfd, int *logfd,
			  struct rt_err *e)
{
	*nsfd = -1;
	*logfd = -1;
	*nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (*nullfd < 0)
		return rt_errf(e, errno, "open /dev/null: %s", strerror(errno));
	if (s->netns_path) {
		*nsfd = open(s->netns_path, O_RDONLY | O_CLOEXEC);
		if (*nsfd < 0)
			return rt_errf(e, errno, "open network namespace %s: %s", s->netns_path,
				       strerror(errno));
	} else if (s->netns_fd >= 0) {
		*nsfd = fcntl(s->netns_fd, F_DUPFD_CLOEXEC, 3);
		if (*nsfd < 0)
			return rt_errf(e, errno, "network namespace fd %d: %s", s->netns_fd,
				       strerror(errno));
	}
	if (s->log_path) {
		*logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
			      0600);
		if (*logfd < 0)
			return rt_errf(e, errno, "open log %s: %s", s->log_path, strerror(errno));
	} else {
		*logfd = fcntl(*nullfd, F_DUPFD_CLOEXEC, 3);
		if (*logfd < 0)
			return rt_errf(e, errno, "dup: %s", strerror(errno));
	}
	return 0;
}

static void spawn_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read messages until every writer is gone (exec or exit). */
static void spawn_read(int rfd, struct spawn_msg *pidmsg, struct spawn_msg *errmsg)
{
	struct spawn_msg m;
	for (;;) {
		ssize_t n = read(rfd, &m, sizeof(m));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			return;
		if (m.kind == MSG_PID)
			*pidmsg = m;
		else if (m.kind == MSG_ERR && errmsg->kind == 0)
			*errmsg = m;
	}
}

static int spawn_error(const struct proc_spec *s, const struct spawn_msg *m, struct rt_err *e)
{
	const char *prog = s->argv[0];
	if (m->stage == STAGE_CHDIR)
		return rt_errf(e, m->err, "spawn %s: chdir %s: %s", prog,
			       s->workdir ? s->workdir : "/", strerror(m->err));
	return rt_errf(e, m->err, "spawn %s: %s: %s", prog, spawn_stage_text(m->stage),
		       strerror(m->err));
}

int proc_spawn(const struct proc_spec *s, struct proc_id *out, struct rt_err *e)
{
	if (!s->argv || !s->argv[0] || !s->argv[0][0])
		return rt_errf(e, EINVAL, "spawn: empty command");
	int nsfd, nullfd, logfd, p[2] = {-1, -1};
	int rc = -1;
	if (spawn_open_fds(s, &nsfd, &nullfd, &logfd, e) < 0)
		goto out;
	if (pipe2(p, O_CLOEXEC) < 0) {
		rt_errf(e, errno, "spawn %s: pipe: %s", s->argv[0], strerror(errno));
		goto out;
	}
	const char *workdir = s->workdir ? s->workdir : (s->daemonize ? "/" : NULL);
	pid_t child = fork();
	if (child < 0) {
		rt_errf(e, errno, "spawn %s: fork: %s", s->argv[0], strerror(errno));
		goto out;
	}
	if (child == 0) {
		close(p[0]);
		if (s->daemonize)
			spawn_detach(s, nsfd, nullfd, logfd, p[1], workdir);
		spawn_exec(s, nsfd, nullfd, logfd, p[1], workdir);
	}
	spawn_close(&p[1]);
	struct spawn_msg pidmsg = {0}, errmsg = {0};
	spawn_read(p[0], &pidmsg, &errmsg);
	pid_t pid = child;
	if (s->daemonize) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		pid = pidmsg.kind == MSG_PID ? pidmsg.pid : -1;
	}
	if (errmsg.kind == MSG_ERR) {
		spawn_error(s, &errmsg, e);
		/* The failed process exits at once; reap it if it is ours. */
		if (!s->daemonize)
			waitpid(child, NULL, 0);
		else if (pid > 0 && proc_we_reap_orphans())
			waitpid(pid, NULL, 0);
		goto out;
	}
	out->pid = pid;
	if (s->daemonize) {
		out->starttime = pidmsg.starttime;
		if (pid <= 0 || pidmsg.starttime == 0) {
			rt_errf(e, EPROTO, "spawn %s: the intermediate process did not report "
				"the daemon's pid", s->argv[0]);
			goto out;
		}
	} else if (proc_starttime(pid, &out->starttime, e) < 0) {
		rt_err_prefix(e, "spawn %s", s->argv[0]);
		goto out;
	}
	rc = 0;
out:
	spawn_close(&p[0]);
	spawn_close(&p[1]);
	spawn_close(&nsfd);
	spawn_close(&nullfd);
	spawn_close(&logfd);
	return rc;
}
