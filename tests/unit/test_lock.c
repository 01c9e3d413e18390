/* test_lock.c — the per-topology lock: two lockers, the contention message
 * naming the holder's pid and command, waiting with a timeout, a crashed
 * holder, and mutual exclusion under racing processes (the lock file is
 * unlinked on every release). */
#include "tests/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/journal.h"
#include "runtime/lock.h"
#include "runtime/paths.h"

static char base[] = "/tmp/aspen-lock.XXXXXX";

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(base))
		return -1;
	setenv("ASPEN_STATE_DIR", base, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(base, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const apply_argv[] = {"aspen", "apply", "c3.yaml", NULL};

static void test_two_lockers(void **state)
{
	(void)state;
	struct lock a, b;
	struct rt_err e = {0};
	char want[128], who[512];
	assert_int_equal(lock_holder("cluster3", who, sizeof(who), &e), 0);
	assert_int_equal(lock_acquire(&a, "cluster3", apply_argv, 0, &e), 0);

	assert_int_equal(lock_acquire(&b, "cluster3", NULL, 0, &e), -1);
	assert_int_equal(e.errnum, EWOULDBLOCK);
	snprintf(want, sizeof(want), "topology \"cluster3\" is locked by pid %d (aspen apply c3.yaml since ",
		 (int)getpid());
	if (strncmp(e.msg, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", e.msg, want);
	assert_int_equal(b.fd, -1);

	assert_int_equal(lock_holder("cluster3", who, sizeof(who), &e), 1);
	assert_non_null(strstr(who, "(aspen apply c3.yaml since "));
	/* lock_holder must not disturb the holder or a new locker. */
	assert_int_equal(lock_acquire(&b, "other", NULL, 0, &e), 0);
	lock_release(&b);

	char dir[PATHS_MAX], path[PATHS_MAX + 8];
	assert_int_equal(paths_state_dir("cluster3", dir, sizeof(dir), &e), 0);
	snprintf(path, sizeof(path), "%s/lock", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lock_release(&a);
	lock_release(&a);       /* harmless twice */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(dir, F_OK), -1);        /* empty state dir removed */
	assert_int_equal(lock_holder("cluster3", who, sizeof(who), &e), 0);

	assert_int_equal(lock_acquire(&b, "cluster3", NULL, 0, &e), 0);
	lock_release(&b);
}

static void test_timeout(void **state)
{
	(void)state;
	struct lock a, b;
	struct rt_err e = {0};
	assert_int_equal(lock_acquire(&a, "slow", apply_argv, 0, &e), 0);
	long long t0 = now_ms();
	assert_int_equal(lock_acquire(&b, "slow", NULL, 300, &e), -1);
	long long dt = now_ms() - t0;
	assert_true(dt >= 290);         /* waited: the deadline starts inside the call */
	assert_int_equal(e.errnum, ETIMEDOUT);
	assert_non_null(strstr(e.msg, "topology \"slow\" is still locked by pid "));
	assert_non_null(strstr(e.msg, "after 0.3s"));
	lock_release(&a);
}

/* A child holds the lock for ~300 ms; the parent waits for it. */
static void test_wait_for_other_process(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lock l;
		struct rt_err e;
		const char *const argv[] = {"aspen", "destroy", "w.yaml", NULL};
		if (lock_acquire(&l, "waited", argv, 0, &e) < 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		usleep(300 * 1000);
		(void)!write(p[1], "y", 1);     /* "releasing now" */
		lock_release(&l);
		_exit(0);
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	struct lock l;
	struct rt_err e = {0};
	char want[64];
	assert_int_equal(lock_acquire(&l, "waited", NULL, 0, &e), -1);
	snprintf(want, sizeof(want), "locked by pid %d (aspen destroy w.yaml since", (int)pid);
	assert_non_null(strstr(e.msg, want));
	assert_int_equal(lock_acquire(&l, "waited", NULL, 5000, &e), 0);
	/* We got it only after the child let go: its "y" is already there. */
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(p[0]);
	lock_release(&l);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* A holder that dies without releasing leaves no lock behind. */
static void test_crashed_holder(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lock l;
		struct rt_err e;
		_exit(lock_acquire(&l, "crash", NULL, 0, &e) < 0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	struct lock l;
	struct rt_err e = {0};
	char who[256];
	assert_int_equal(lock_holder("crash", who, sizeof(who), &e), 0);
	assert_int_equal(lock_acquire(&l, "crash", NULL, 0, &e), 0);
	lock_release(&l);
}

/* The journal keeps the state dir alive across a lock release. */
static void test_release_keeps_journal(void **state)
{
	(void)state;
	struct lock l;
	struct journal j;
	struct rt_err e = {0};
	assert_int_equal(lock_acquire(&l, "kept", NULL, 0, &e), 0);
	assert_int_equal(journal_load(&j, "kept", &e), 0);
	assert_int_equal(journal_save(&j, &e), 0);
	lock_release(&l);
	assert_int_equal(access(j.path, F_OK), 0);
	assert_int_equal(journal_remove("kept", &e), 0);
	assert_int_equal(access(j.dir, F_OK), -1);
	journal_free(&j);
}

/* Four processes increment a counter file under the lock; a lost update
 * would show a broken exclusion (e.g. two holders of different inodes). */
static void test_exclusion_race(void **state)
{
	(void)state;
	char counter[300];
	snprintf(counter, sizeof(counter), "%s/counter", base);
	FILE *f = fopen(counter, "w");
	assert_non_null(f);
	fputs("0\n", f);
	fclose(f);
	enum { WORKERS = 4, ROUNDS = 50 };
	pid_t pids[WORKERS];
	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			for (int i = 0; i < ROUNDS; i++) {
				struct lock l;
				struct rt_err e;
				if (lock_acquire(&l, "race", NULL, -1, &e) < 0) {
					fprintf(stderr, "worker: %s\n", e.msg);
					_exit(2);
				}
				FILE *c = fopen(counter, "r+");
				int v = 0;
				if (!c || fscanf(c, "%d", &v) != 1)
					_exit(3);
				rewind(c);
				fprintf(c, "%d\n", v + 1);
				fclose(c);
				lock_release(&l);
			}
			_exit(0);
		}
	}
	/* Reap every worker before judging, so none outlives the test. */
	int bad = 0;
	for (int w = 0; w < WORKERS; w++) {
		int st;
		if (waitpid(pids[w], &st, 0) != pids[w] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	assert_int_equal(bad, 0);
	f = fopen(counter, "r");
	int v = 0;
	assert_int_equal(fscanf(f, "%d", &v), 1);
	fclose(f);
	assert_int_equal(v, WORKERS * ROUNDS);
	unlink(counter);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_lockers),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_wait_for_other_process),
		cmocka_unit_test(test_crashed_holder),
		cmocka_unit_test(test_release_keeps_journal),
		cmocka_unit_test(test_exclusion_race),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
