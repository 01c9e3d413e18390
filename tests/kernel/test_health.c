/* test_health.c — health probes as root in the sandbox, each from inside a
 * namespace the test made: tcp to a listener (pass), to a closed port
 * (Connection refused), to a silent address (timeout); ping to the
 * namespace's own address, to a silent one and to an unroutable one; exec
 * true/false/missing/slow; the same tcp and ping checks over IPv6;
 * health_wait's final message, progress callback,
 * late success and parallelism. */
#include "tests/testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include "runtime/health.h"
#include "tests/kernel/ktest.h"

#define NS1 "aspen-h1"
#define NS1_PATH "/run/netns/" NS1
#define NS2 "aspen-h2"
#define NS2_PATH "/run/netns/" NS2
#define IP1 0x0a4d0001u         /* 10.77.0.1, on veth d0 in NS1 */
#define IP_SILENT 0x0a4d0009u   /* 10.77.0.9: routed to d0, whose peer d1
				 * has no address: ARP goes unanswered */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ip -n ns WORDS... (words split on spaces; no shell involved) */
static int ns_cmd(const char *ns, const char *words)
{
	char buf[256];
	const char *argv[16] = {"ip", "-n", ns};
	int n = 3;
	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok(buf, " "); w && n < 15; w = strtok(NULL, " "))
		argv[n++] = w;
	argv[n] = NULL;
	return ktest_run(argv);
}

static int setup(void **state)
{
	(void)state;
	const char *add1[] = {"ip", "netns", "add", NS1, NULL};
	const char *add2[] = {"ip", "netns", "add", NS2, NULL};
	if (ktest_run(add1) || ktest_run(add2))
		return -1;
	if (ns_cmd(NS1, "link set lo up") || ns_cmd(NS2, "link set lo up") ||
	    ns_cmd(NS1, "link add d0 type veth peer name d1") ||
	    ns_cmd(NS1, "addr add 10.77.0.1/24 dev d0") ||
	    ns_cmd(NS1, "addr add fd00:77::1/64 dev d0 nodad") ||
	    ns_cmd(NS1, "link set d0 up") || ns_cmd(NS1, "link set d1 up"))
		return -1;
	/* The IPv6 address is usable once the kernel's address work has
	 * installed its local route (nl_addr6_ready): late on a busy host. */
	const char *ready6[] = {"sh", "-c", "for i in $(seq 1200); do ip -n " NS1 " -6 route show "
				"table local | grep -q 'fd00:77::1 ' && exit 0; sleep 0.1; done; exit 1",
				NULL};
	if (ktest_run(ready6))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *del1[] = {"ip", "netns", "del", NS1, NULL};
	const char *del2[] = {"ip", "netns", "del", NS2, NULL};
	ktest_run(del1);
	ktest_run(del2);
	return 0;
}

/* A listening socket inside NS1, made on a throwaway thread. */
struct listen_req {
	uint16_t port;
	int delay_ms;
	int fd;
};

static void *listen_thread(void *arg)
{
	struct listen_req *r = arg;
	usleep((useconds_t)r->delay_ms * 1000);
	int ns = open(NS1_PATH, O_RDONLY | O_CLOEXEC);
	r->fd = -1;
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		return NULL;
	close(ns);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->port),
				 .sin_addr.s_addr = htonl(IP1)};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return NULL;
	}
	r->fd = fd;
	return NULL;
}

static int listen_in_ns(uint16_t port)
{
	struct listen_req r = {.port = port};
	pthread_t t;
	pthread_create(&t, NULL, listen_thread, &r);
	pthread_join(t, NULL);
	return r.fd;
}

static struct health_check tcp(uint32_t ip, uint16_t port, const char *ns)
{
	return (struct health_check){.node = "node2", .netns_path = ns, .kind = HEALTH_TCP,
				     .ip = ip, .port = port, .attempt_timeout_ms = 300};
}

static void expect_fail(const struct health_check *c, const char *want, int errnum)
{
	struct rt_err e = {0};
	assert_int_equal(health_check_once(c, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	if (errnum >= 0)
		assert_int_equal(e.errnum, errnum);
}

static void test_tcp(void **state)
{
	(void)state;
	unsigned long long self = ktest_ino("/proc/thread-self/ns/net");
	int lfd = listen_in_ns(7000);
	assert_true(lfd >= 0);
	struct rt_err e = {0};
	struct health_check c = tcp(IP1, 7000, NS1_PATH);
	assert_int_equal(health_check_once(&c, &e), 0);

	c = tcp(IP1, 7001, NS1_PATH);
	expect_fail(&c, "health tcp 10.77.0.1:7001: Connection refused", ECONNREFUSED);

	/* From the caller's namespace the node's address is not even routed:
	 * the probe really ran inside NS1 above. */
	c = tcp(IP1, 7000, NULL);
	expect_fail(&c, "health tcp 10.77.0.1:7000: Network is unreachable", ENETUNREACH);

	long long t0 = now_ms();
	c = tcp(IP_SILENT, 80, NS1_PATH);
	expect_fail(&c, "health tcp 10.77.0.9:80: Connection timed out (no answer within 300ms)",
		    ETIMEDOUT);
	long long dt = now_ms() - t0;
	assert_true(dt >= 290);         /* the attempt timeout was honoured */

	c = tcp(IP1, 7000, "/run/netns/aspen-nope");
	expect_fail(&c, "health tcp 10.77.0.1:7000: enter network namespace /run/netns/aspen-nope: "
		    "No such file or directory", ENOENT);
	close(lfd);
	assert_true(ktest_ino("/proc/thread-self/ns/net") == self);
}

static void test_ping(void **state)
{
	(void)state;
	struct rt_err e = {0};
	struct health_check c = {.node = "node1", .netns_path = NS1_PATH, .kind = HEALTH_PING,
				 .ip = IP1, .attempt_timeout_ms = 300};
	assert_int_equal(health_check_once(&c, &e), 0);
	c.ip = 0x7f000001u;
	assert_int_equal(health_check_once(&c, &e), 0);
	c.ip = IP_SILENT;
	expect_fail(&c, "health ping 10.77.0.9: no reply within 300ms", ETIMEDOUT);
	c.netns_path = NS2_PATH;
	c.ip = 0x0ac80001u;     /* 10.200.0.1: no route in NS2 */
	expect_fail(&c, "health ping 10.200.0.1: Network is unreachable", ENETUNREACH);
	/* Two pings at once from the same namespace must not take each
	 * other's replies (id/seq/token matching). */
	struct health_check two[2] = {
		{.node = "a", .netns_path = NS1_PATH, .kind = HEALTH_PING, .ip = IP1},
		{.node = "b", .netns_path = NS1_PATH, .kind = HEALTH_PING, .ip = IP_SILENT,
		 .attempt_timeout_ms = 300},
	};
	assert_int_equal(health_wait(two, 2, 500, 100, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "b: health ping 10.77.0.9: no reply within"));
	assert_null(strstr(e.msg, "a: "));
}

/* A listening IPv6 socket inside NS1 (made on a throwaway thread). */
static void *listen6_thread(void *arg)
{
	int *out = arg;
	int ns = open(NS1_PATH, O_RDONLY | O_CLOEXEC);
	*out = -1;
	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		return NULL;
	close(ns);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(7006)};
	inet_pton(AF_INET6, "fd00:77::1", &sa.sin6_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return NULL;
	}
	*out = fd;
	return NULL;
}

static struct health_check check6(enum health_kind kind, const char *ip, uint16_t port,
				  const char *ns)
{
	struct health_check c = {.node = "n6", .netns_path = ns, .kind = kind, .port = port,
				 .attempt_timeout_ms = 300, .v6 = true};
	inet_pton(AF_INET6, ip, c.ip6);
	return c;
}

/* An ICMP error about our echo request names its cause and its sender,
 * for both families: NS1 routes 10.88.0.0/24 and fd00:88::/64 through a
 * router namespace whose prohibit routes answer "administratively
 * prohibited". (Raw sockets only: root in the sandbox.) */
static void test_ping_icmp_error(void **state)
{
	(void)state;
	const char *add[] = {"ip", "netns", "add", "aspen-h3", NULL};
	assert_int_equal(ktest_run(add), 0);
	const char *sysctl[] = {"ip", "netns", "exec", "aspen-h3", "sh", "-c",
				"echo 1 >/proc/sys/net/ipv4/ip_forward && "
				"echo 1 >/proc/sys/net/ipv6/conf/all/forwarding", NULL};
	int ok = !ns_cmd(NS1, "link add e0 type veth peer name e1 netns aspen-h3") &&
		 !ns_cmd(NS1, "addr add 10.78.0.1/24 dev e0") &&
		 !ns_cmd(NS1, "addr add fd00:78::1/64 dev e0 nodad") &&
		 !ns_cmd("aspen-h3", "addr add 10.78.0.2/24 dev e1") &&
		 !ns_cmd("aspen-h3", "addr add fd00:78::2/64 dev e1 nodad") &&
		 !ns_cmd(NS1, "link set e0 up") && !ns_cmd("aspen-h3", "link set e1 up") &&
		 !ktest_run(sysctl) &&
		 !ns_cmd("aspen-h3", "route add prohibit 10.88.0.0/24") &&
		 !ns_cmd("aspen-h3", "-6 route add prohibit fd00:88::/64") &&
		 !ns_cmd(NS1, "route add 10.88.0.0/24 via 10.78.0.2") &&
		 !ns_cmd(NS1, "-6 route add fd00:88::/64 via fd00:78::2");
	/* Both IPv6 addresses usable (their local routes in place) first. */
	const char *ready6[] = {"sh", "-c", "for i in $(seq 1200); do ip -n " NS1 " -6 route show "
				"table local | grep -q 'fd00:78::1 ' && ip -n aspen-h3 -6 route show "
				"table local | grep -q 'fd00:78::2 ' && exit 0; sleep 0.1; done; exit 1",
				NULL};
	ok = ok && !ktest_run(ready6);
	if (ok) {
		struct health_check c = {.node = "node1", .netns_path = NS1_PATH,
					 .kind = HEALTH_PING, .ip = 0x0a580001u,  /* 10.88.0.1 */
					 .attempt_timeout_ms = 5000};
		expect_fail(&c, "health ping 10.88.0.1: administratively prohibited (from 10.78.0.2)",
			    EHOSTUNREACH);
		c = check6(HEALTH_PING, "fd00:88::1", 0, NS1_PATH);
		c.attempt_timeout_ms = 5000;
		expect_fail(&c, "health ping fd00:88::1: administratively prohibited (from fd00:78::2)",
			    EHOSTUNREACH);
	}
	const char *del[] = {"ip", "netns", "del", "aspen-h3", NULL};
	ktest_run(del);                 /* takes e1, and with it e0 and the routes */
	assert_true(ok);
}

static void test_ipv6(void **state)
{
	(void)state;
	struct rt_err e = {0};
	struct health_check c = check6(HEALTH_PING, "fd00:77::1", 0, NS1_PATH);
	assert_int_equal(health_check_once(&c, &e), 0);
	c = check6(HEALTH_PING, "::1", 0, NS1_PATH);
	assert_int_equal(health_check_once(&c, &e), 0);
	c = check6(HEALTH_PING, "fd00:77::9", 0, NS1_PATH);   /* on-link, nobody answers ND */
	expect_fail(&c, "health ping fd00:77::9: no reply within 300ms", ETIMEDOUT);
	c = check6(HEALTH_PING, "fd00:200::1", 0, NS2_PATH);
	expect_fail(&c, "health ping fd00:200::1: Network is unreachable", ENETUNREACH);

	int lfd = -1;
	pthread_t t;
	pthread_create(&t, NULL, listen6_thread, &lfd);
	pthread_join(t, NULL);
	assert_true(lfd >= 0);
	c = check6(HEALTH_TCP, "fd00:77::1", 7006, NS1_PATH);
	assert_int_equal(health_check_once(&c, &e), 0);
	c = check6(HEALTH_TCP, "fd00:77::1", 7007, NS1_PATH);
	expect_fail(&c, "health tcp [fd00:77::1]:7007: Connection refused", ECONNREFUSED);
	close(lfd);
}

/* Without CAP_NET_RAW the probe falls back to an ICMP datagram socket,
 * which NS1 allows once ping_group_range covers gid 0. Capabilities are
 * per thread and inherited by threads it creates: drop it on a helper. */
struct unpriv {
	int raw_errno;
	int rc;
	char msg[1024];
};

static void *unpriv_thread(void *arg)
{
	struct unpriv *u = arg;
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return NULL;
	d[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		return NULL;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	u->raw_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	struct health_check c = {.node = "n", .netns_path = NS1_PATH, .kind = HEALTH_PING,
				 .ip = IP1, .attempt_timeout_ms = 300};
	struct rt_err e = {0};
	u->rc = health_check_once(&c, &e);
	snprintf(u->msg, sizeof(u->msg), "%s", e.msg);
	return NULL;
}

static void test_ping_unprivileged(void **state)
{
	(void)state;
	const char *allow[] = {"ip", "netns", "exec", NS1, "sysctl", "-qw",
			       "net.ipv4.ping_group_range=0 0", NULL};
	assert_int_equal(ktest_run(allow), 0);
	struct unpriv u = {.rc = -2};
	pthread_t t;
	pthread_create(&t, NULL, unpriv_thread, &u);
	pthread_join(t, NULL);
	assert_int_equal(u.raw_errno, EPERM);   /* the raw path really is closed */
	if (u.rc != 0)
		fail_msg("datagram ping failed: %s", u.msg);
}

static void test_exec(void **state)
{
	(void)state;
	struct rt_err e = {0};
	const char *t[] = {"true", NULL};
	const char *f[] = {"false", NULL};
	const char *boom[] = {"sh", "-c", "echo first; echo boom >&2; exit 3", NULL};
	const char *missing[] = {"aspen-no-such-check", NULL};
	const char *slow[] = {"sleep", "10", NULL};
	char want[64];
	snprintf(want, sizeof(want), "net:[%llu]", ktest_ino(NS1_PATH));
	const char *inns[] = {"sh", "-c", "test \"$(readlink /proc/self/ns/net)\" = \"$0\"", want, NULL};

	struct health_check c = {.node = "n", .netns_path = NS1_PATH, .kind = HEALTH_EXEC, .argv = t};
	assert_int_equal(health_check_once(&c, &e), 0);
	c.argv = inns;
	assert_int_equal(health_check_once(&c, &e), 0);
	c.netns_path = NULL;
	expect_fail(&c, "exited with status 1", -1);    /* not in NS1 from here */
	c.netns_path = NS1_PATH;
	c.argv = f;
	expect_fail(&c, "health exec false: exited with status 1", -1);
	c.argv = boom;
	expect_fail(&c, "exited with status 3: boom", -1);
	c.argv = missing;
	expect_fail(&c, "health exec aspen-no-such-check: exec failed: No such file or directory",
		    ENOENT);
	c.argv = slow;
	c.attempt_timeout_ms = 300;
	expect_fail(&c, "health exec sleep 10: still running after 300ms, killed", ETIMEDOUT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);       /* nothing left unreaped */
}

struct progress {
	int failures, passes;
	size_t last_index;
	char last_msg[1024];
};

static void on_progress(const struct health_check *c, size_t index, bool passed,
			const struct rt_err *last, long long elapsed_ms, void *arg)
{
	struct progress *p = arg;
	(void)c;
	(void)elapsed_ms;
	p->last_index = index;
	if (passed) {
		p->passes++;
	} else {
		p->failures++;
		snprintf(p->last_msg, sizeof(p->last_msg), "%s", last->msg);
	}
}

static void test_wait_timeout_message(void **state)
{
	(void)state;
	int lfd = listen_in_ns(7000);
	struct health_check c[2] = {tcp(IP1, 7000, NS1_PATH), tcp(IP1, 7001, NS1_PATH)};
	c[0].node = "node1";
	struct progress p = {0};
	struct rt_err e = {0};
	long long t0 = now_ms();
	assert_int_equal(health_wait(c, 2, 1000, 100, on_progress, &p, &e), -1);
	long long dt = now_ms() - t0;
	assert_true(dt >= 800);         /* waited out the timeout */
	/* The last finished attempt's result and how many finished. */
	unsigned attempts = 0;
	char tail[32] = "";
	assert_int_equal(sscanf(e.msg, "node2: health tcp 10.77.0.1:7001: Connection refused (%u attempts in %31[^)])",
				&attempts, tail), 2);
	assert_string_equal(tail, "1s");
	assert_true(attempts >= 5);
	assert_int_equal(e.errnum, ECONNREFUSED);
	assert_int_equal(p.passes, 1);
	assert_true(p.failures >= 5);
	assert_string_equal(p.last_msg, "health tcp 10.77.0.1:7001: Connection refused");
	close(lfd);
}

/* The listener appears after 400 ms; the wait passes soon after. */
static void test_wait_late_success(void **state)
{
	(void)state;
	struct listen_req r = {.port = 7002, .delay_ms = 400};
	pthread_t t;
	pthread_create(&t, NULL, listen_thread, &r);
	struct health_check c = tcp(IP1, 7002, NS1_PATH);
	struct progress p = {0};
	struct rt_err e = {0};
	assert_int_equal(health_wait(&c, 1, 5000, 50, on_progress, &p, &e), 0);
	pthread_join(t, NULL);
	assert_int_equal(p.passes, 1);
	assert_true(p.failures >= 1);
	close(r.fd);
	assert_int_equal(health_wait(NULL, 0, 1000, 100, NULL, NULL, &e), 0);
}

/* Four checks run at once, not one after another: each marks its arrival in
 * a directory and passes only once all four are there (a barrier). It gives
 * up after a while and withdraws its mark, so checks run in turn can never
 * meet, however often they are retried. No clock is asserted. */
static void test_wait_parallel(void **state)
{
	(void)state;
	char dir[] = "/tmp/aspen-health-barrier.XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char barrier[] =
		"touch \"$0/$1\"; n=0; "
		"while [ \"$(ls \"$0\" | wc -l)\" -lt 4 ]; do "
		"n=$((n + 1)); if [ $n -gt 500 ]; then rm -f \"$0/$1\"; exit 1; fi; sleep 0.02; "
		"done";
	const char *argv[4][6];
	static const char *const idx[4] = {"0", "1", "2", "3"};
	struct health_check c[4];
	for (int i = 0; i < 4; i++) {
		const char *a[6] = {"sh", "-c", barrier, dir, idx[i], NULL};
		memcpy(argv[i], a, sizeof(a));
		c[i] = (struct health_check){.node = "n", .netns_path = i % 2 ? NS1_PATH : NS2_PATH,
					     .kind = HEALTH_EXEC, .argv = argv[i],
					     .attempt_timeout_ms = 60000};
	}
	struct rt_err e = {0};
	int rc = health_wait(c, 4, 60000, 100, NULL, NULL, &e);
	if (rc != 0)
		fprintf(stderr, "health_wait: %s\n", e.msg);
	assert_int_equal(rc, 0);
	for (int i = 0; i < 4; i++) {
		char f[64];
		snprintf(f, sizeof(f), "%s/%d", dir, i);
		unlink(f);
	}
	assert_int_equal(rmdir(dir), 0);
}

/* Called off: an exec probe in flight (it would run 60 s) is killed, a
 * tcp check that keeps failing stops retrying, and the wait answers
 * ECANCELED. The stop function says yes once the probe has started. */
static bool stop_when_file(void *arg)
{
	return access(arg, F_OK) == 0;
}

static void test_wait_called_off(void **state)
{
	(void)state;
	char dir[] = "/tmp/aspen-health-stop.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pidf[64];
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	const char *argv[] = {"sh", "-c", "echo $$ >\"$0.tmp\"; mv \"$0.tmp\" \"$0\"; exec sleep 60", pidf, NULL};
	struct health_check c[2] = {
		{.node = "n1", .netns_path = NS1_PATH, .kind = HEALTH_EXEC, .argv = argv,
		 .attempt_timeout_ms = 60000},
		tcp(IP1, 7003, NS1_PATH),
	};
	struct rt_err e = {0};
	assert_int_equal(health_wait_stop(c, 2, 60000, 50, NULL, NULL, stop_when_file, pidf, &e), -1);
	assert_int_equal(e.errnum, ECANCELED);
	FILE *f = fopen(pidf, "r");
	assert_non_null(f);
	int pid = 0;
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	/* The probe's child was killed and reaped before the wait returned. */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	unlink(pidf);
	assert_int_equal(rmdir(dir), 0);
	/* Without a reason to stop, the same wait keeps its own verdict. */
	assert_int_equal(health_wait_stop(&c[1], 1, 300, 50, NULL, NULL, stop_when_file, pidf, &e), -1);
	assert_int_equal(e.errnum, ECONNREFUSED);
}

static int suite(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_ping_unprivileged),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_ping_icmp_error),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_wait_timeout_message),
		cmocka_unit_test(test_wait_late_success),
		cmocka_unit_test(test_wait_parallel),
		cmocka_unit_test(test_wait_called_off),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

int main(void)
{
	return ktest_main(suite);
}
