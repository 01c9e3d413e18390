/* health.c — tcp, ping and exec probes (tcp and ping over IPv4 or IPv6),
 * and the parallel wait over them (see health.h).
 *
 * Every probe runs on a worker thread that first enters the node's network
 * namespace with setns(CLONE_NEWNET): that moves only the worker, sockets it
 * opens belong to the namespace, and children it forks start there. The
 * thread exits when its check is decided, so it never has to switch back.
 * Probes are non-blocking with explicit deadlines (poll), so a stuck peer
 * costs one attempt timeout, never more than the overall wait. */
#include "runtime/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEALTH_NET_TIMEOUT_MS 1000
#define HEALTH_EXEC_TIMEOUT_MS 10000
#define HEALTH_STACK (256 * 1024)
#define HEALTH_OUT_TAIL 200

static long long health_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void health_fmt_ms(long long ms, char *buf, size_t size)
{
	if (ms >= 1000 && ms % 1000 == 0)
		snprintf(buf, size, "%llds", ms / 1000);
	else if (ms >= 1000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(buf, size, "%lldms", ms);
}

uint16_t health_inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* "health tcp 10.0.0.3:7000", "health tcp [fd00::3]:7000" */
static void health_label(const struct health_check *c, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	struct in_addr a = {.s_addr = htonl(c->ip)};
	if (c->v6)
		inet_ntop(AF_INET6, c->ip6, ip, sizeof(ip));
	else
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
	switch (c->kind) {
	case HEALTH_TCP:
		snprintf(buf, size, c->v6 ? "health tcp [%s]:%u" : "health tcp %s:%u", ip,
			 (unsigned)c->port);
		break;
	case HEALTH_PING:
		snprintf(buf, size, "health ping %s", ip);
		break;
	default: {
		size_t n = (size_t)snprintf(buf, size, "health exec");
		for (size_t i = 0; c->argv && c->argv[i] && n < size; i++)
			n += (size_t)snprintf(buf + n, size - n, " %s", c->argv[i]);
		if (n >= size && size > 4)
			memcpy(buf + size - 4, "...", 4);
	}
	}
}

static int health_enter_netns(const char *path, struct rt_err *e)
{
	if (!path)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_errf(e, errno, "enter network namespace %s: %s", path, strerror(errno));
	int rc = setns(fd, CLONE_NEWNET);
	int err = errno;
	close(fd);
	if (rc < 0)
		return rt_errf(e, err, "enter network namespace %s: %s", path, strerror(err));
	return 0;
}

static void health_addr(uint32_t ip, uint16_t port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(ip);
}

/* c's address and port as a socket address of its family; its length. */
static socklen_t health_sockaddr(const struct health_check *c, uint16_t port,
				 struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!c->v6) {
		health_addr(c->ip, port, (struct sockaddr_in *)ss);
		return sizeof(struct sockaddr_in);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, c->ip6, 16);
	return sizeof(*s6);
}

/* poll one fd until deadline; 1 ready, 0 timed out, -1 error. */
/* The eventfd of the wait this worker thread serves: readable once the
 * wait is called off (health_wait_stop), so a probe blocked in poll ends at
 * once instead of at its attempt timeout. -1 outside a worker. */
static _Thread_local int health_stop_fd = -1;

/* poll one fd until deadline; 1 ready, 0 timed out (or the wait was called
 * off), -1 error. */
static int health_poll(int fd, short events, long long deadline)
{
	struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = health_stop_fd, .events = POLLIN}};
	for (;;) {
		long long left = deadline - health_now_ms();
		int rc = poll(p, 2, left > 0 ? (int)left : 0);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0 && !p[0].revents)
			return 0;       /* only the stop fd */
		return rc;
	}
}

/* ---------------- tcp ---------------- */

static int health_tcp(const struct health_check *c, int timeout_ms, struct rt_err *e)
{
	struct sockaddr_storage sa;
	socklen_t salen = health_sockaddr(c, c->port, &sa);
	int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return rt_errf(e, errno, "socket: %s", strerror(errno));
	int err = 0;
	if (connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		err = errno;
		if (err == EINPROGRESS) {
			int rc = health_poll(fd, POLLOUT, health_now_ms() + timeout_ms);
			socklen_t len = sizeof(err);
			if (rc == 0)
				err = ETIMEDOUT;
			else if (rc < 0)
				err = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
		}
	}
	close(fd);
	if (err == ETIMEDOUT) {
		char t[32];
		health_fmt_ms(timeout_ms, t, sizeof(t));
		return rt_errf(e, err, "%s (no answer within %s)", strerror(err), t);
	}
	if (err)
		return rt_errf(e, err, "%s", strerror(err));
	return 0;
}

/* ---------------- ping (IPv4 and IPv6) ---------------- */

/* An echo request or reply of either family: ICMP and ICMPv6 put type,
 * code, checksum, id and sequence at the same offsets of an 8-byte header.
 * The token tells our reply from another's. */
struct echo {
	uint8_t type, code;
	uint16_t checksum, id, seq;
	uint8_t token[16];
};

/* What differs between ping and ping6. ICMPv6: the kernel fills in the
 * checksum (it covers a pseudo-header with both addresses) and hands raw
 * sockets the message without its IPv6 header. */
struct ping_family {
	int af, proto;
	const char *what;               /* "ICMP" */
	uint8_t echo, reply, unreach;   /* message types */
	const char *(*unreach_text)(int code);
};

static const char *health_unreach_text(int code)
{
	switch (code) {
	case ICMP_NET_UNREACH:  return "destination network unreachable";
	case ICMP_HOST_UNREACH: return "destination host unreachable";
	case ICMP_PROT_UNREACH: return "destination protocol unreachable";
	case ICMP_PKT_FILTERED: return "administratively prohibited";
	default:                return "destination unreachable";
	}
}

static const char *health_unreach6_text(int code)
{
	switch (code) {
	case ICMP6_DST_UNREACH_NOROUTE: return "no route to destination";
	case ICMP6_DST_UNREACH_ADMIN:   return "administratively prohibited";
	case ICMP6_DST_UNREACH_ADDR:    return "destination address unreachable";
	default:                        return "destination unreachable";
	}
}

static const struct ping_family health_ping4 = {
	AF_INET, IPPROTO_ICMP, "ICMP", ICMP_ECHO, ICMP_ECHOREPLY, ICMP_DEST_UNREACH,
	health_unreach_text,
};
static const struct ping_family health_ping6 = {
	AF_INET6, IPPROTO_ICMPV6, "ICMPv6", ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, ICMP6_DST_UNREACH,
	health_unreach6_text,
};

/* A raw socket, or without the privilege a datagram one ("ping socket",
 * net.ipv4.ping_group_range): *raw says which. */
static int health_ping_socket(const struct ping_family *f, bool *raw)
{
	int fd = socket(f->af, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, f->proto);
	*raw = fd >= 0;
	if (fd < 0 && (errno == EPERM || errno == EACCES))
		fd = socket(f->af, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, f->proto);
	return fd;
}

/* Does the ICMP message at p (len bytes) answer req? 1 reply, 0 not ours,
 * -1 an error about our request (*code = unreachable code). */
static int health_ping_match(const struct ping_family *f, const uint8_t *p, size_t len,
			     const struct echo *req, bool raw, int *code)
{
	if (len < 8)
		return 0;
	const struct echo *r = (const struct echo *)p;
	if (r->type == f->reply && len >= sizeof(*req)) {
		/* A datagram socket's id is rewritten by the kernel. */
		if ((raw && r->id != req->id) || r->seq != req->seq ||
		    memcmp(r->token, req->token, sizeof(r->token)) != 0)
			return 0;
		return 1;
	}
	if (!raw || r->type != f->unreach)
		return 0;
	/* The error quotes our request's IP header, then its first 8 bytes. */
	size_t hl = sizeof(struct ip6_hdr);
	if (f->af == AF_INET) {
		if (len < 8 + sizeof(struct iphdr))
			return 0;
		hl = (size_t)((const struct iphdr *)(p + 8))->ihl * 4;
		if (hl < sizeof(struct iphdr))
			return 0;
	}
	if (len < 8 + hl + 8)
		return 0;
	const struct echo *orig = (const struct echo *)(p + 8 + hl);
	if (orig->type == f->echo && orig->id == req->id && orig->seq == req->seq) {
		*code = r->code;
		return -1;
	}
	return 0;
}

/* Is from the address c pings? */
static bool health_ping_from(const struct health_check *c, const struct sockaddr_storage *from)
{
	if (c->v6)
		return memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, c->ip6, 16) == 0;
	return ((const struct sockaddr_in *)from)->sin_addr.s_addr == htonl(c->ip);
}

static int health_ping(const struct health_check *c, int timeout_ms, struct rt_err *e)
{
	static _Atomic unsigned short seq_counter;
	const struct ping_family *f = c->v6 ? &health_ping6 : &health_ping4;
	bool raw;
	int fd = health_ping_socket(f, &raw);
	if (fd < 0)
		return rt_errf(e, errno, "%s socket: %s (needs root or net.ipv4.ping_group_range)",
			       f->what, strerror(errno));
	struct echo req;
	memset(&req, 0, sizeof(req));
	req.type = f->echo;
	req.id = htons((uint16_t)(getpid() ^ (pid_t)syscall(SYS_gettid)));
	req.seq = htons(++seq_counter);
	if (getrandom(req.token, sizeof(req.token), GRND_NONBLOCK) != (ssize_t)sizeof(req.token)) {
		long long t = health_now_ms();
		memcpy(req.token, &t, sizeof(t));
	}
	if (f->af == AF_INET)
		req.checksum = health_inet_checksum(&req, sizeof(req));
	struct sockaddr_storage sa;
	socklen_t salen = health_sockaddr(c, 0, &sa);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, salen) < 0) {
		int err = errno;
		close(fd);
		return rt_errf(e, err, "%s", strerror(err));
	}
	long long deadline = health_now_ms() + timeout_ms;
	uint8_t buf[1500];
	while (health_poll(fd, POLLIN, deadline) > 0) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		const uint8_t *p = buf;
		size_t len = (size_t)n;
		if (raw && f->af == AF_INET) {          /* IPv4 raw sockets get the IP header */
			size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
			if (len < ihl)
				continue;
			p += ihl;
			len -= ihl;
		}
		int code = 0;
		int m = health_ping_match(f, p, len, &req, raw, &code);
		if (m == 1 && health_ping_from(c, &from)) {
			close(fd);
			return 0;
		}
		if (m == -1) {
			char ip[INET6_ADDRSTRLEN];
			const void *src = f->af == AF_INET ?
				(const void *)&((struct sockaddr_in *)&from)->sin_addr :
				(const void *)&((struct sockaddr_in6 *)&from)->sin6_addr;
			inet_ntop(f->af, src, ip, sizeof(ip));
			close(fd);
			return rt_errf(e, EHOSTUNREACH, "%s (from %s)", f->unreach_text(code), ip);
		}
	}
	close(fd);
	char t[32];
	health_fmt_ms(timeout_ms, t, sizeof(t));
	return rt_errf(e, ETIMEDOUT, "no reply within %s", t);
}

/* ---------------- exec ---------------- */

static _Noreturn void health_exec_child(const struct health_check *c, int out, int errfd)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(out, 2);
	if (c->envp)
		execvpe(c->argv[0], (char *const *)c->argv, (char *const *)c->envp);
	else
		execvp(c->argv[0], (char *const *)c->argv);
	int err = errno;
	while (write(errfd, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Keep the last HEALTH_OUT_TAIL bytes the command printed. */
static void health_tail_read(int fd, char *tail, size_t *n)
{
	char buf[512];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		size_t k = (size_t)r;
		if (k >= HEALTH_OUT_TAIL) {
			memcpy(tail, buf + k - HEALTH_OUT_TAIL, HEALTH_OUT_TAIL);
			*n = HEALTH_OUT_TAIL;
			continue;
		}
		if (*n + k > HEALTH_OUT_TAIL) {
			size_t drop = *n + k - HEALTH_OUT_TAIL;
			memmove(tail, tail + drop, *n - drop);
			*n -= drop;
		}
		memcpy(tail + *n, buf, k);
		*n += k;
	}
}

/* The last non-empty line of the output, for the message. */
static void health_last_line(char *tail, size_t n, char *line, size_t size)
{
	while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r' || tail[n - 1] == ' '))
		n--;
	size_t start = n;
	while (start && tail[start - 1] != '\n')
		start--;
	snprintf(line, size, "%.*s", (int)(n - start), tail + start);
}

/* Has our child exited? Leaves it unreaped (WNOWAIT). */
static bool health_child_exited(pid_t child)
{
	siginfo_t si;
	si.si_pid = 0;
	return waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid;
}

/* Wait for child until deadline, collecting output; 1 exited, 0 timeout.
 * Without a pidfd (old kernel) poll in 10 ms steps. */
static int health_exec_wait(pid_t child, int outfd, char *tail, size_t *tn, long long deadline)
{
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN}, {.fd = outfd, .events = POLLIN},
			      {.fd = health_stop_fd, .events = POLLIN}};
	int exited = 0;
	for (;;) {
		long long left = deadline - health_now_ms();
		if (left <= 0)
			break;
		int rc = poll(p, 3, pidfd >= 0 ? (int)left : (left < 10 ? (int)left : 10));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0 || p[2].revents)
			break;          /* the wait was called off: kill it */
		if (p[1].revents)
			health_tail_read(outfd, tail, tn);
		if (p[1].revents & (POLLHUP | POLLERR))
			p[1].fd = -1;
		if (p[0].revents || (pidfd < 0 && health_child_exited(child))) {
			health_tail_read(outfd, tail, tn);
			exited = 1;
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return exited;
}

static int health_exec(const struct health_check *c, int timeout_ms, struct rt_err *e)
{
	if (!c->argv || !c->argv[0])
		return rt_errf(e, EINVAL, "empty command");
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return rt_errf(e, errno, "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return rt_errf(e, errno, "pipe: %s", strerror(errno));
	}
	pid_t child = fork();
	if (child == 0)
		health_exec_child(c, out[1], errp[1]);
	int ferr = errno;
	close(out[1]);
	close(errp[1]);
	if (child < 0) {
		close(out[0]);
		close(errp[0]);
		return rt_errf(e, ferr, "fork: %s", strerror(ferr));
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	char tail[HEALTH_OUT_TAIL];
	size_t tn = 0;
	int exited = health_exec_wait(child, out[0], tail, &tn, health_now_ms() + timeout_ms);
	if (!exited) {
		kill(-child, SIGKILL);  /* our unreaped child: the pid cannot be reused */
		kill(child, SIGKILL);
	}
	int st = 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	int exec_err = 0;
	ssize_t r = read(errp[0], &exec_err, sizeof(exec_err));
	close(errp[0]);
	close(out[0]);
	char line[HEALTH_OUT_TAIL + 1], t[32];
	health_last_line(tail, tn, line, sizeof(line));
	const char *sep = line[0] ? ": " : "";
	if (r == (ssize_t)sizeof(exec_err))
		return rt_errf(e, exec_err, "exec failed: %s", strerror(exec_err));
	if (!exited) {
		health_fmt_ms(timeout_ms, t, sizeof(t));
		return rt_errf(e, ETIMEDOUT, "still running after %s, killed%s%s", t, sep, line);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		return rt_errf(e, 0, "exited with status %d%s%s", WEXITSTATUS(st), sep, line);
	return rt_errf(e, 0, "killed by signal %d (%s)%s%s", WTERMSIG(st),
		       strsignal(WTERMSIG(st)), sep, line);
}

/* ---------------- one attempt, on the current thread ---------------- */

static int health_attempt_timeout(const struct health_check *c)
{
	if (c->attempt_timeout_ms > 0)
		return c->attempt_timeout_ms;
	return c->kind == HEALTH_EXEC ? HEALTH_EXEC_TIMEOUT_MS : HEALTH_NET_TIMEOUT_MS;
}

/* Runs on a worker thread that has entered the namespace. */
static int health_probe(const struct health_check *c, int timeout_ms, struct rt_err *e)
{
	char label[256];
	health_label(c, label, sizeof(label));
	int rc;
	switch (c->kind) {
	case HEALTH_TCP:  rc = health_tcp(c, timeout_ms, e); break;
	case HEALTH_PING: rc = health_ping(c, timeout_ms, e); break;
	case HEALTH_EXEC: rc = health_exec(c, timeout_ms, e); break;
	default:          rc = rt_errf(e, EINVAL, "unknown check kind %d", (int)c->kind);
	}
	return rc < 0 ? rt_err_prefix(e, "%s", label) : 0;
}

/* ---------------- the parallel wait ---------------- */

struct health_shared {
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* on CLOCK_MONOTONIC: workers sleep on it too */
	long long start, deadline;
	int interval_ms;
	bool once;              /* a single attempt (health_check_once) */
	int stopfd;             /* eventfd, written once when the wait is called off */
	bool stopping;          /* under mu */
};

struct health_slot {
	const struct health_check *c;
	struct health_shared *sh;
	pthread_t th;
	bool started;
	/* under sh->mu */
	bool done, passed;
	unsigned failures, reported;    /* posts that failed, and those reported */
	unsigned completed;             /* attempts that ran to their own end */
	bool only_cut;                  /* last is an attempt the deadline cut short */
	bool pass_reported;
	long long elapsed;
	struct rt_err last;
};

/* Post an attempt's result. An attempt the overall deadline cut short
 * (cut) says only that time ran out: the result of the last attempt that
 * finished is what explains the failure, so it is kept when there is one. */
static void health_post(struct health_slot *s, int rc, const struct rt_err *err, bool done,
			bool cut)
{
	pthread_mutex_lock(&s->sh->mu);
	s->elapsed = health_now_ms() - s->sh->start;
	if (rc == 0) {
		s->passed = true;
		s->completed++;
	} else {
		if (!cut || s->completed == 0) {
			s->last = *err;
			s->only_cut = cut;
		}
		if (!cut)
			s->completed++;
		s->failures++;
	}
	s->done = done || rc == 0;
	pthread_cond_broadcast(&s->sh->cv);
	pthread_mutex_unlock(&s->sh->mu);
}

/* The worker is done without a result: the wait was called off. */
static void health_post_stopped(struct health_slot *s)
{
	pthread_mutex_lock(&s->sh->mu);
	s->done = true;
	pthread_cond_broadcast(&s->sh->cv);
	pthread_mutex_unlock(&s->sh->mu);
}

static bool health_stopping(struct health_shared *sh)
{
	pthread_mutex_lock(&sh->mu);
	bool st = sh->stopping;
	pthread_mutex_unlock(&sh->mu);
	return st;
}

static struct timespec health_abs(long long t_ms)
{
	return (struct timespec){t_ms / 1000, (long)(t_ms % 1000) * 1000000L};
}

/* Sleep until t (monotonic ms) or until the wait is called off. */
static void health_sleep_until(struct health_shared *sh, long long t)
{
	struct timespec ts = health_abs(t);
	pthread_mutex_lock(&sh->mu);
	while (!sh->stopping && health_now_ms() < t)
		if (pthread_cond_timedwait(&sh->cv, &sh->mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&sh->mu);
}

static void *health_worker(void *arg)
{
	struct health_slot *s = arg;
	struct health_shared *sh = s->sh;
	struct rt_err err = {0};
	health_stop_fd = sh->stopfd;
	if (health_enter_netns(s->c->netns_path, &err) < 0) {
		char label[256];
		health_label(s->c, label, sizeof(label));
		rt_err_prefix(&err, "%s", label);
		health_post(s, -1, &err, true, false);
		return NULL;
	}
	for (;;) {
		if (health_stopping(sh)) {
			health_post_stopped(s);
			return NULL;
		}
		long long now = health_now_ms();
		int t = health_attempt_timeout(s->c);
		bool cut = false;
		if (!sh->once && sh->deadline - now < t) {
			t = (int)(sh->deadline - now > 1 ? sh->deadline - now : 1);
			cut = true;
		}
		int rc = health_probe(s->c, t, &err);
		if (health_stopping(sh)) {      /* whatever it says, no one asks any more */
			health_post_stopped(s);
			return NULL;
		}
		long long next = health_now_ms() + sh->interval_ms;
		bool last = sh->once || rc == 0 || next >= sh->deadline;
		health_post(s, rc, &err, last, cut && rc < 0 && err.errnum == ETIMEDOUT);
		if (last)
			return NULL;
		health_sleep_until(sh, next);
	}
}

/* Start one worker per check; a check whose thread cannot start fails. */
static void health_start(struct health_slot *slots, size_t n)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, HEALTH_STACK);
	for (size_t i = 0; i < n; i++) {
		int rc = pthread_create(&slots[i].th, &attr, health_worker, &slots[i]);
		slots[i].started = rc == 0;
		if (rc) {
			struct rt_err err;
			rt_errf(&err, rc, "start health thread: %s", strerror(rc));
			health_post(&slots[i], -1, &err, true, false);
		}
	}
	pthread_attr_destroy(&attr);
}

/* Deliver pending progress to cb, on this thread; returns true when all
 * checks are decided. Called with sh->mu held (dropped around cb, so a
 * worker may post meanwhile: *called tells the caller to look again before
 * it waits, or that post's wakeup would be lost). */
static bool health_report(struct health_slot *slots, size_t n, health_progress_fn cb, void *arg,
			  bool *called)
{
	bool all = true;
	*called = false;
	for (size_t i = 0; i < n; i++) {
		struct health_slot *s = &slots[i];
		while (cb && (s->reported < s->failures || (s->passed && !s->pass_reported))) {
			bool pass = s->reported >= s->failures;
			struct rt_err last = s->last;
			long long el = s->elapsed;
			if (pass)
				s->pass_reported = true;
			else
				s->reported = s->failures;
			pthread_mutex_unlock(&s->sh->mu);
			cb(s->c, i, pass, pass ? NULL : &last, el, arg);
			pthread_mutex_lock(&s->sh->mu);
			*called = true;
		}
		all = all && s->done;
	}
	return all;
}

/* How often the caller's thread asks its stop function. */
#define HEALTH_STOP_POLL_MS 25

/* Call the wait off: workers see stopping, blocked probes the eventfd.
 * With sh->mu held. */
static void health_call_off(struct health_shared *sh)
{
	uint64_t one = 1;
	sh->stopping = true;
	if (sh->stopfd >= 0)
		(void)!write(sh->stopfd, &one, sizeof(one));
	pthread_cond_broadcast(&sh->cv);
}

static int health_run(const struct health_check *checks, size_t n, int timeout_ms,
		      int interval_ms, bool once, health_progress_fn cb, void *arg,
		      health_stop_fn stop, void *stop_arg, struct health_slot **out,
		      bool *stopped)
{
	struct health_shared *sh = calloc(1, sizeof(*sh));
	struct health_slot *slots = calloc(n, sizeof(*slots));
	if (!sh || !slots) {
		free(sh);
		free(slots);
		return -1;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->cv, &ca);
	pthread_condattr_destroy(&ca);
	sh->start = health_now_ms();
	sh->deadline = sh->start + (timeout_ms > 0 ? timeout_ms : 0);
	sh->interval_ms = interval_ms > 0 ? interval_ms : 200;
	sh->once = once;
	sh->stopfd = stop ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	for (size_t i = 0; i < n; i++) {
		slots[i].c = &checks[i];
		slots[i].sh = sh;
	}
	health_start(slots, n);
	pthread_mutex_lock(&sh->mu);
	bool called;
	long long next_ask = health_now_ms() + HEALTH_STOP_POLL_MS;
	while (!health_report(slots, n, cb, arg, &called)) {
		if (called)
			continue;
		if (!stop || sh->stopping) {
			pthread_cond_wait(&sh->cv, &sh->mu);
			continue;
		}
		struct timespec ts = health_abs(next_ask);
		if (pthread_cond_timedwait(&sh->cv, &sh->mu, &ts) != ETIMEDOUT &&
		    health_now_ms() < next_ask)
			continue;
		next_ask = health_now_ms() + HEALTH_STOP_POLL_MS;
		pthread_mutex_unlock(&sh->mu);
		bool off = stop(stop_arg);
		pthread_mutex_lock(&sh->mu);
		if (off)
			health_call_off(sh);
	}
	*stopped = sh->stopping;
	pthread_mutex_unlock(&sh->mu);
	for (size_t i = 0; i < n; i++)
		if (slots[i].started)
			pthread_join(slots[i].th, NULL);
	pthread_mutex_destroy(&sh->mu);
	pthread_cond_destroy(&sh->cv);
	if (sh->stopfd >= 0)
		close(sh->stopfd);
	free(sh);
	*out = slots;
	return 0;
}

int health_check_once(const struct health_check *c, struct rt_err *e)
{
	struct health_slot *slots;
	bool stopped;
	if (health_run(c, 1, 0, 0, true, NULL, NULL, NULL, NULL, &slots, &stopped) < 0)
		return rt_errf(e, ENOMEM, "health: %s", strerror(ENOMEM));
	int rc = slots[0].passed ? 0 : -1;
	if (rc < 0 && e)
		*e = slots[0].last;
	free(slots);
	return rc;
}

int health_check_each(const struct health_check *c, size_t n, struct rt_err *res)
{
	if (n == 0)
		return 0;
	struct health_slot *slots;
	bool stopped;
	if (health_run(c, n, 0, 0, true, NULL, NULL, NULL, NULL, &slots, &stopped) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (slots[i].passed)
			res[i] = (struct rt_err){0};
		else
			res[i] = slots[i].last;
		if (!slots[i].passed && res[i].errnum == 0)
			res[i].errnum = EIO;    /* "exited with status 1" has no errno */
	}
	free(slots);
	return 0;
}

void health_describe(const struct health_check *c, char *buf, size_t size)
{
	health_label(c, buf, size);
}

int health_wait(const struct health_check *checks, size_t n, int timeout_ms, int interval_ms,
		health_progress_fn cb, void *arg, struct rt_err *e)
{
	return health_wait_stop(checks, n, timeout_ms, interval_ms, cb, arg, NULL, NULL, e);
}

int health_wait_stop(const struct health_check *checks, size_t n, int timeout_ms, int interval_ms,
		     health_progress_fn cb, void *arg, health_stop_fn stop, void *stop_arg,
		     struct rt_err *e)
{
	if (n == 0)
		return 0;
	struct health_slot *slots;
	bool stopped = false;
	if (health_run(checks, n, timeout_ms, interval_ms, false, cb, arg, stop, stop_arg, &slots,
		       &stopped) < 0)
		return rt_errf(e, ENOMEM, "health: %s", strerror(ENOMEM));
	if (stopped) {
		free(slots);
		return rt_errf(e, ECANCELED, "health wait called off");
	}
	char after[32];
	health_fmt_ms(timeout_ms, after, sizeof(after));
	int rc = 0;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct health_slot *s = &slots[i];
		if (s->passed)
			continue;
		if (rc == 0 && e) {
			e->errnum = s->last.errnum;
			e->msg[0] = '\0';
		}
		rc = -1;
		char how[96];
		if (s->only_cut)
			snprintf(how, sizeof(how), "no attempt finished within %s", after);
		else
			snprintf(how, sizeof(how), "%u attempt%s in %s", s->completed,
				 s->completed == 1 ? "" : "s", after);
		if (e && len < sizeof(e->msg) - 1)
			len += (size_t)snprintf(e->msg + len, sizeof(e->msg) - len, "%s%s: %s (%s)",
						len ? "; " : "", checks[i].node ? checks[i].node : "?",
						s->last.msg, how);
	}
	free(slots);
	return rc;
}
