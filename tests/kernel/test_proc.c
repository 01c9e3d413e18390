/* test_proc.c — process supervision, as root in the sandbox: spawn into a
 * network namespace, logs, exec failures reported through the pipe, stop
 * with grace and the SIGKILL fallback for the whole group, recycled-pid
 * protection, pause/resume, zombies. Every process signalled here was
 * started here. */
#include "tests/testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "runtime/proc.h"
#include "tests/kernel/ktest.h"

#define NS "aspen-proc-t"
#define NS_PATH "/run/netns/" NS

static char logdir[] = "/tmp/aspen-proc.XXXXXX";

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
	(void)state;
	const char *add[] = {"ip", "netns", "add", NS, NULL};
	if (!mkdtemp(logdir) || ktest_run(add) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *del[] = {"ip", "netns", "del", NS, NULL};
	const char *rm[] = {"rm", "-rf", logdir, NULL};
	ktest_run(del);
	ktest_run(rm);
	return 0;
}

/* Field n (1-based, n >= 3) of /proc/<pid>/stat as a number; -1 if gone. */
static long long stat_field(pid_t pid, int n)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	for (int i = 3; i < n; i++)
		p = strchr(p, ' ') + 1;
	return strtoll(p, NULL, 10);
}

/* Processes of group pgid in state `want` ('T'), or any live one (0). */
static int group_count(pid_t pgid, char want)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 0)
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		char *p = strrchr(buf, ')');
		char st;
		int ppid, pgrp;
		if (p && sscanf(p + 2, "%c %d %d", &st, &ppid, &pgrp) == 3 && pgrp == pgid &&
		    st != 'Z' && (!want || st == want))
			n++;
	}
	closedir(d);
	return n;
}

static int group_members(pid_t pgid)
{
	return group_count(pgid, 0);
}

/* Has pid's child (the shell's `sleep`) exec'ed? dash starts commands with
 * vfork: stopping the group before the child's exec leaves the shell in
 * uninterruptible vfork wait ('D', not 'T') until SIGCONT. */
static bool has_child_named(pid_t pid, const char *comm)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	int child = 0;
	bool found = false;
	while (!found && fscanf(f, "%d", &child) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/comm", child);
		FILE *c = fopen(path, "r");
		if (c && fgets(buf, sizeof(buf), c))
			found = strncmp(buf, comm, strlen(comm)) == 0 && buf[strlen(comm)] == '\n';
		if (c)
			fclose(c);
	}
	fclose(f);
	return found;
}

static bool wait_state(const struct proc_id *id, enum proc_state want, int ms)
{
	for (long long end = now_ms() + ms; now_ms() < end; usleep(10 * 1000))
		if (proc_state(id) == want)
			return true;
	if (proc_state(id) == want)
		return true;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)id->pid);
	FILE *f = fopen(path, "r");
	char line[512] = "(gone)";
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	fprintf(stderr, "pid %d: want %s, is %s; stat: %s\n", (int)id->pid,
		proc_state_name(want), proc_state_name(proc_state(id)), line);
	return false;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_spawn_in_netns(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "100", NULL};
	struct proc_spec s = {.argv = argv, .netns_path = NS_PATH, .netns_fd = -1,
			      .daemonize = true};
	struct proc_id id;
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	assert_true(id.pid > 0);
	assert_true(id.starttime > 0);
	assert_true(id.starttime == (unsigned long long)stat_field(id.pid, 22));

	char nspath[64];
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)id.pid);
	assert_true(ktest_ino(nspath) == ktest_ino(NS_PATH));
	assert_true(ktest_ino(nspath) != ktest_ino("/proc/self/ns/net"));

	/* Daemonized: not our child, its own process group, own cwd "/". */
	assert_true(stat_field(id.pid, 4) != getpid());
	assert_int_equal(waitpid(id.pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_int_equal(stat_field(id.pid, 5), id.pid);
	assert_true(stat_field(id.pid, 6) != getsid(0));
	char cwd[64], link[64];
	snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", (int)id.pid);
	ssize_t n = readlink(cwd, link, sizeof(link) - 1);
	assert_int_equal(n, 1);
	assert_int_equal(link[0], '/');

	assert_true(proc_alive(&id));
	assert_int_equal(proc_state(&id), PROC_RUNNING);
	assert_int_equal(proc_stop(&id, 5000, &e), 0);
	assert_false(proc_alive(&id));
	assert_true(wait_state(&id, PROC_GONE, 2000));
	assert_int_equal(proc_stop(&id, 100, &e), 0);   /* idempotent */

	/* The same through an fd. */
	int fd = open(NS_PATH, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	s.netns_path = NULL;
	s.netns_fd = fd;
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	close(fd);
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)id.pid);
	assert_true(ktest_ino(nspath) == ktest_ino(NS_PATH));
	assert_int_equal(proc_stop(&id, 2000, &e), 0);
}

static void test_log_env_workdir(void **state)
{
	(void)state;
	char log[128];
	snprintf(log, sizeof(log), "%s/node.log", logdir);
	const char *argv[] = {"sh", "-c", "echo out $FOO; pwd; echo err >&2; ls /proc/$$/fd", NULL};
	const char *envp[] = {"FOO=bar", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	/* A descriptor the caller forgot to mark close-on-exec must not leak. */
	int leak = open("/dev/null", O_RDONLY);
	assert_true(leak >= 3);
	struct proc_spec s = {.argv = argv, .envp = envp, .workdir = logdir, .netns_fd = -1,
			      .log_path = log, .daemonize = true};
	struct proc_id id;
	struct rt_err e = {0};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(proc_spawn(&s, &id, &e), 0);
		assert_int_equal(proc_wait_exit(&id, 5000, &e), 0);
	}
	close(leak);
	char want[512];
	snprintf(want, sizeof(want), "out bar\n%s\nerr\n0\n1\n2\nout bar\n%s\nerr\n0\n1\n2\n",
		 logdir, logdir);
	assert_string_equal(slurp(log), want);        /* appended, not truncated */
	struct stat st;
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* proc_settle: a command that exits at once has exited when it returns, one
 * that runs is alive and asleep (the cap is long: only its end is timed by
 * the state, never by the clock). */
static void test_settle(void **state)
{
	(void)state;
	const char *die[] = {"sh", "-c", "exit 3", NULL};
	const char *run[] = {"sleep", "100", NULL};
	const char *busy[] = {"sh", "-c", "while :; do :; done", NULL};
	struct proc_spec s = {.argv = die, .netns_fd = -1, .daemonize = true};
	struct proc_id ids[3];
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &ids[0], &e), 0);
	s.argv = run;
	assert_int_equal(proc_spawn(&s, &ids[1], &e), 0);
	proc_settle(ids, 2, 60000);
	assert_false(proc_alive(&ids[0]));
	assert_true(proc_alive(&ids[1]));
	char st = 0;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)ids[1].pid);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	st = strrchr(buf, ')')[2];
	assert_int_equal(st, 'S');
	/* A program that never sleeps is let go at the cap, alive. */
	s.argv = busy;
	assert_int_equal(proc_spawn(&s, &ids[2], &e), 0);
	proc_settle(&ids[2], 1, 50);
	assert_true(proc_alive(&ids[2]));
	assert_int_equal(proc_stop(&ids[1], 2000, &e), 0);
	assert_int_equal(proc_stop(&ids[2], 2000, &e), 0);
	proc_settle(ids, 0, 10);        /* nothing to wait for */
}

static void expect_spawn_error(const struct proc_spec *s, const char *want, int errnum)
{
	struct proc_id id = {0};
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(s, &id, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	assert_int_equal(e.errnum, errnum);
}

static void test_exec_failure(void **state)
{
	(void)state;
	for (int daemon = 0; daemon <= 1; daemon++) {
		const char *missing[] = {"/nonexistent/prog", NULL};
		struct proc_spec s = {.argv = missing, .netns_fd = -1, .daemonize = daemon};
		expect_spawn_error(&s, "spawn /nonexistent/prog: exec failed: No such file or directory",
				   ENOENT);
		const char *nopath[] = {"aspen-no-such-program", "x", NULL};
		s.argv = nopath;
		expect_spawn_error(&s, "exec failed: No such file or directory", ENOENT);
		char plain[128];
		snprintf(plain, sizeof(plain), "%s/plain-file", logdir);
		FILE *f = fopen(plain, "w");
		assert_non_null(f);
		fclose(f);      /* mode 0644: not executable, even for root */
		const char *notexec[] = {plain, NULL};
		s.argv = notexec;
		expect_spawn_error(&s, "exec failed: Permission denied", EACCES);
		const char *ok[] = {"true", NULL};
		s.argv = ok;
		s.workdir = "/nonexistent-dir";
		expect_spawn_error(&s, "chdir /nonexistent-dir: No such file or directory", ENOENT);
		s.workdir = NULL;
		s.netns_path = "/run/netns/aspen-missing";
		expect_spawn_error(&s, "open network namespace /run/netns/aspen-missing", ENOENT);
		s.netns_path = NULL;
		s.netns_fd = 0;         /* stdin is not a namespace */
		expect_spawn_error(&s, "enter network namespace: Invalid argument", EINVAL);
		s.netns_fd = -1;
		s.log_path = "/nonexistent-dir/x.log";
		expect_spawn_error(&s, "open log /nonexistent-dir/x.log", ENOENT);
	}
	/* No failed child is left behind as a zombie of ours. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* sh ignores SIGTERM and so does its sleep (ignored signals survive exec):
 * stop waits the grace period, then SIGKILLs the whole group. */
static void test_stop_sigkill_fallback(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "trap '' TERM; sleep 100; echo unreachable", NULL};
	struct proc_spec s = {.argv = argv, .netns_fd = -1, .daemonize = true};
	struct proc_id id;
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	for (long long end = now_ms() + 2000; group_members(id.pid) < 2 && now_ms() < end;)
		usleep(10 * 1000);
	assert_int_equal(group_members(id.pid), 2);     /* sh and sleep */
	long long t0 = now_ms();
	assert_int_equal(proc_stop(&id, 400, &e), 0);
	long long dt = now_ms() - t0;
	assert_true(dt >= 390);         /* the grace period was honoured */
	assert_false(proc_alive(&id));
	for (long long end = now_ms() + 2000; group_members(id.pid) > 0 && now_ms() < end;)
		usleep(10 * 1000);
	assert_int_equal(group_members(id.pid), 0);     /* sleep died too */
}

static void test_recycled_pid(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "100", NULL};
	struct proc_spec s = {.argv = argv, .netns_fd = -1, .daemonize = true};
	struct proc_id id, fake;
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	fake = id;
	fake.starttime = id.starttime + 1;      /* "the pid now names someone else" */
	assert_false(proc_alive(&fake));
	assert_int_equal(proc_state(&fake), PROC_GONE);
	assert_int_equal(proc_signal(&fake, SIGKILL, &e), -1);
	assert_int_equal(e.errnum, ESRCH);
	assert_non_null(strstr(e.msg, "pid was reused"));
	assert_int_equal(proc_pause(&fake, &e), -1);
	assert_int_equal(proc_resume(&fake, &e), -1);
	assert_int_equal(proc_stop(&fake, 0, &e), 0);   /* ours is gone: nothing to do */
	usleep(50 * 1000);
	assert_true(proc_alive(&id));                   /* and nothing was signalled */
	assert_int_equal(proc_state(&id), PROC_RUNNING);

	struct proc_id none = {.pid = 0, .starttime = 1};
	assert_int_equal(proc_state(&none), PROC_GONE);
	assert_int_equal(proc_signal(&none, 0, &e), -1);

	assert_int_equal(proc_signal(&id, 0, &e), 0);
	assert_int_equal(proc_stop(&id, 2000, &e), 0);
}

static void test_pause_resume(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "sleep 100; echo done", NULL};
	struct proc_spec s = {.argv = argv, .netns_fd = -1, .daemonize = true};
	struct proc_id id;
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	for (long long end = now_ms() + 2000; !has_child_named(id.pid, "sleep") && now_ms() < end;)
		usleep(10 * 1000);
	assert_true(has_child_named(id.pid, "sleep"));
	assert_int_equal(proc_pause(&id, &e), 0);
	assert_true(wait_state(&id, PROC_STOPPED, 2000));
	assert_true(proc_alive(&id));
	assert_string_equal(proc_state_name(proc_state(&id)), "stopped");
	for (long long end = now_ms() + 2000; group_count(id.pid, 'T') < 2 && now_ms() < end;)
		usleep(10 * 1000);
	assert_int_equal(group_count(id.pid, 'T'), 2);  /* sh and its sleep */
	assert_int_equal(proc_resume(&id, &e), 0);
	assert_true(wait_state(&id, PROC_RUNNING, 2000));
	for (long long end = now_ms() + 2000; group_count(id.pid, 'T') > 0 && now_ms() < end;)
		usleep(10 * 1000);
	assert_int_equal(group_count(id.pid, 'T'), 0);
	/* Stopping a paused process must not wait for the grace period: with a
	 * grace longer than run-tests.sh's timeout, waiting for it would be
	 * reported as a hang (no clock is asserted here). */
	assert_int_equal(proc_pause(&id, &e), 0);
	assert_true(wait_state(&id, PROC_STOPPED, 2000));
	assert_int_equal(proc_stop(&id, 3600 * 1000, &e), 0);
	assert_false(proc_alive(&id));
}

/* Without daemonize the process is our child: a zombie until we reap it. */
static void test_child_zombie(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "100", NULL};
	struct proc_spec s = {.argv = argv, .netns_fd = -1};
	struct proc_id id;
	struct rt_err e = {0};
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	assert_int_equal(stat_field(id.pid, 4), getpid());
	assert_int_equal(stat_field(id.pid, 5), id.pid);
	assert_int_equal(proc_signal(&id, SIGKILL, &e), 0);
	assert_int_equal(proc_wait_exit(&id, 2000, &e), 0);
	assert_int_equal(proc_state(&id), PROC_ZOMBIE);
	assert_string_equal(proc_state_name(PROC_ZOMBIE), "zombie");
	assert_false(proc_alive(&id));
	int st;
	assert_int_equal(waitpid(id.pid, &st, 0), id.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(proc_state(&id), PROC_GONE);

	/* proc_stop reaps a child of ours. */
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	assert_int_equal(proc_stop(&id, 1000, &e), 0);
	assert_int_equal(proc_state(&id), PROC_GONE);
	assert_int_equal(waitpid(id.pid, NULL, WNOHANG), -1);

	/* proc_wait_exit times out on a live process. */
	assert_int_equal(proc_spawn(&s, &id, &e), 0);
	assert_int_equal(proc_wait_exit(&id, 100, &e), -1);
	assert_int_equal(e.errnum, ETIMEDOUT);
	assert_int_equal(proc_stop(&id, 1000, &e), 0);
}

static int suite(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn_in_netns),
		cmocka_unit_test(test_log_env_workdir),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_stop_sigkill_fallback),
		cmocka_unit_test(test_recycled_pid),
		cmocka_unit_test(test_pause_resume),
		cmocka_unit_test(test_child_zombie),
		cmocka_unit_test(test_settle),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

int main(void)
{
	return ktest_main(suite);
}
