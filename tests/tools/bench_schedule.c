/* bench_schedule.c — how precisely and how fast the fault engine acts.
 *
 *   bench_schedule precision [N [DIR]]      no root needed
 *       N timed faults (default 100) 10 ms apart, each reverted 5 ms later,
 *       through sched_run with do-nothing mechanisms and the real journal
 *       (a temporary state dir under DIR, default /tmp): p50 / p99 / max of
 *       |actual - scheduled| over all 2N events. The target is p99 < 1 ms.
 *       The journal's fsync is the only slow step: on a busy disk a revert's
 *       save can outlast the 5 ms to the next entry, so DIR matters.
 *   bench_schedule floor [N]                no root needed
 *       The machine's own floor for the same timeline: a bare
 *       clock_nanosleep(TIMER_ABSTIME) to each of the 2N instants, no aspen,
 *       no journal: p50 / p99 / max of how late it woke. What precision
 *       reports above this is aspen's; what this reports is the kernel's
 *       wake-up latency under the load of the moment (bench/schedule.sh
 *       prints it beside each precision line).
 *   bench_schedule first-drop NAME FROM TO [RUNS]      sandbox, root
 *       On the live netns topology NAME (applied with --no-schedule), a
 *       thread in FROM's namespace sends an ICMP echo to TO every 100 us;
 *       the partition FROM / TO is applied with the real mechanisms: time
 *       from the start of fault_apply (the transaction) to the send time of
 *       the first probe of the unbroken run of lost ones. Median and max.
 *   bench_schedule first-pass NAME FROM TO [RUNS]     sandbox, root
 *       Per fault kind (partition, isolate, one-way either way, loss 100 %,
 *       link-down, all cutting FROM's pings to TO): neighbour tables
 *       flushed, probes every 100 us, the fault, 100 ms of traffic into
 *       it, fault_revert: heal -> first packet through is the kernel's
 *       receive time (SO_TIMESTAMPNS) of the first reply after the revert
 *       began, less the later of the revert's return (the instant its event
 *       carries) and that request's send (0 when it came sooner); then the
 *       revert's cost, and the time from the apply's start to
 *       the first probe of the unbroken run of lost ones. p50 / p99 / max.
 *   bench_schedule cost NAME [RUNS]                    sandbox, root
 *       A partition of the live topology's nodes in two halves: the cost of
 *       fault_prepare + fault_apply and of fault_revert. Median and max.
 *   bench_schedule api-drop api|cli NAME FROM TO [RUNS]  sandbox, root, under
 *       `aspen run --no-schedule` (ASPEN_API set; ASPEN names the binary)
 *       The partition FROM / every other node, asked of the aspen holding
 *       NAME: by POST /v1/faults on its socket (api), or by running `aspen
 *       fault NAME partition ...` (cli), which goes through that socket.
 *       Probes as first-drop; the time is from the request sent (the
 *       command started) to the first dropped probe. Healed through the
 *       API after each run. Median and max.
 *
 * Ad hoc faults are built by runtime/adhoc.h from the journal's topology
 * file, as `aspen fault` does. Prints figures; asserts nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/client.h"
#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/adhoc.h"
#include "runtime/fault.h"
#include "runtime/health.h"
#include "runtime/matrix.h"
#include "runtime/schedule.h"

static double mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, in ms: turns the kernel's receive
 * timestamps (SO_TIMESTAMPNS, realtime) into the monotonic clock. */
static double real_minus_mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6 - mono_ms();
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* ---------------- precision ---------------- */

static int noop_prepare(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
			const char *key, cJSON **undo, struct rt_err *e)
{
	(void)c; (void)t; (void)f; (void)e;
	*undo = cJSON_CreateObject();
	cJSON_AddStringToObject(*undo, "key", key);
	return 0;
}
static int noop_apply(struct rt_ctx *c, const struct topology *t, const struct topo_fault *f,
		      const cJSON *undo, struct rt_err *e)
{
	(void)c; (void)t; (void)f; (void)undo; (void)e;
	return 0;
}
static int noop_revert(struct rt_ctx *c, const cJSON *undo, struct rt_err *e)
{
	(void)c; (void)undo; (void)e;
	return 0;
}

struct late { double *v; size_t n; };

static void on_late(const struct sched_event *ev, void *ud)
{
	struct late *l = ud;
	if (ev->ev != SCHED_EV_APPLIED && !(ev->ev == SCHED_EV_REVERTED && ev->scheduled))
		return;
	uint64_t d = ev->t_us > ev->at_us ? ev->t_us - ev->at_us : ev->at_us - ev->t_us;
	l->v[l->n++] = (double)d / 1000.0;
}

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st; (void)type; (void)f;
	return remove(p);
}

static int precision(size_t n, const char *under)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/aspen-bench-sched.XXXXXX", under);
	if (!mkdtemp(dir))
		return perror(dir), 1;
	setenv("ASPEN_STATE_DIR", dir, 1);
	/* A topology with n partitions, 10 ms apart, 5 ms each. */
	size_t cap = 512 + n * 80;
	char *y = malloc(cap);
	size_t len = (size_t)snprintf(y, cap,
		"apiVersion: aspen/v1\nname: benchsched\ndefaults: {kind: netns}\n"
		"networks: {lan: {subnet: 10.9.0.0/24}}\nnodes:\n"
		"  a: {interfaces: [{network: lan, ip: 10.9.0.2}]}\n"
		"  b: {interfaces: [{network: lan, ip: 10.9.0.3}]}\nfaults:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(y + len, cap - len,
					"  - {at: %zums, for: 5ms, partition: [[a], [b]]}\n", 10 + 10 * i);
	struct diag_list d;
	diag_init(&d, "bench");
	struct topology *t = topo_load_buffer("bench.yaml", y, len, &d);
	free(y);
	if (!t || diag_failed(&d)) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		return 1;
	}
	diag_clear(&d);
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	struct rt_ctx c;
	memset(&c, 0, sizeof(c));
	c.topology = "benchsched";
	arena_init(&c.arena);
	struct rt_err e = {0};
	if (journal_load(&c.journal, c.topology, &e) < 0)
		return fprintf(stderr, "%s\n", e.msg), 1;
	c.journal_loaded = true;
	struct fault_ops ops = {NULL, noop_prepare, noop_apply, noop_revert, NULL};
	struct late l = {calloc(2 * n + 1, sizeof(double)), 0};
	struct sched_opts o = {.ops = &ops, .on_event = on_late, .ud = &l};
	struct sched_result res;
	int rc = sched_run(&c, t, p.timeline, p.n_timeline, &o, &res, &e);
	if (rc < 0)
		fprintf(stderr, "schedule: %s\n", e.msg);
	else
		printf("  schedule precision, %zu faults (%zu events), journal in %s: "
		       "p50 %.3f ms, p99 %.3f ms, max %.3f ms (target p99 < 1 ms)\n", n, l.n, under,
		       pct(l.v, l.n, 0.5), pct(l.v, l.n, 0.99), pct(l.v, l.n, 1.0));
	free(l.v);
	journal_free(&c.journal);
	arena_free(&c.arena);
	plan_free(&p);
	topo_free(t);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return rc < 0;
}

/* The instants of precision's timeline (apply at 10 + 10 i ms, revert 5 ms
 * later), slept to with nothing else in the way. */
static int floor_sleep(size_t n)
{
	double *v = calloc(2 * n + 1, sizeof(double));
	if (!v)
		return 1;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < 2 * n; i++) {
		uint64_t at_ns = (uint64_t)(10 + 10 * (i / 2) + 5 * (i % 2)) * 1000000u;
		struct timespec t = t0;
		t.tv_sec += (time_t)(at_ns / 1000000000u);
		t.tv_nsec += (long)(at_ns % 1000000000u);
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		struct timespec u;
		clock_gettime(CLOCK_MONOTONIC, &u);
		v[i] = (double)(u.tv_sec - t.tv_sec) * 1e3 + (double)(u.tv_nsec - t.tv_nsec) / 1e6;
	}
	printf("  the machine's floor, a bare timed sleep to the same %zu instants: "
	       "p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", 2 * n, pct(v, 2 * n, 0.5),
	       pct(v, 2 * n, 0.99), pct(v, 2 * n, 1.0));
	free(v);
	return 0;
}

/* ---------------- live helpers ---------------- */

/* rt_open NAME and build the ad hoc fault KIND "words" on it. */
static struct topology *live_fault(struct rt_ctx *c, const char *name, const char *kind,
				   const char *const *words, size_t n)
{
	struct rt_err e = {0};
	memset(c, 0, sizeof(*c));
	c->lock.fd = -1;
	if (rt_open(c, name, NULL, 5000, &e) < 0 || !c->journal.file) {
		fprintf(stderr, "bench_schedule: %s\n", e.msg[0] ? e.msg : "no topology file recorded");
		return NULL;
	}
	struct adhoc a;
	if (adhoc_build(&a, kind, words, n, NULL, &e) < 0)
		return fprintf(stderr, "bench_schedule: %s\n", e.msg), NULL;
	FILE *f = fopen(c->journal.file, "re");
	if (!f)
		return perror(c->journal.file), NULL;
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	struct diag_list d;
	diag_init(&d, c->journal.file);
	struct topology *t = adhoc_load(c->journal.file, buf, len, &a, "adhoc-bench", NULL, &d, NULL, &e);
	if (!t)
		diag_print(&d, stderr, DIAG_TEXT, false);
	diag_clear(&d);
	return t;
}

/* ---------------- first dropped probe ---------------- */

#define PROBE_MAX 200000

struct prober {
	const char *netns;
	uint32_t dst;                   /* host order */
	double sent[PROBE_MAX];
	double rcvd[PROBE_MAX];         /* when the kernel received the reply (mono ms) */
	atomic_bool got[PROBE_MAX];
	atomic_size_t n;
	atomic_bool stop;
	int err;
};

/* The first probe of the unbroken run of losses that ends the run, or n
 * (none): probes sent more than 15 ms after t1 (the fault committed) are
 * left out, their replies may be in flight when the prober stops. */
static size_t prober_first_drop(struct prober *p, double t1)
{
	size_t k = atomic_load(&p->n);
	while (k > 0 && (atomic_load(&p->got[k - 1]) || p->sent[k - 1] > t1 + 15.0))
		k--;
	while (k > 0 && !atomic_load(&p->got[k - 1]))
		k--;
	return k;
}

static void *probe_thread(void *arg)
{
	struct prober *p = arg;
	int nsfd = open(p->netns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
		p->err = errno;
		return NULL;
	}
	close(nsfd);
	int s = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (s < 0) {
		p->err = errno;
		return NULL;
	}
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	double off = real_minus_mono_ms();
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(p->dst)};
	uint16_t id = (uint16_t)(getpid() ^ 0x5a5a);
	double next = mono_ms();
	while (!atomic_load(&p->stop) && atomic_load(&p->n) < PROBE_MAX) {
		if (mono_ms() >= next) {
			size_t k = atomic_load(&p->n);
			struct icmphdr h = {.type = ICMP_ECHO};
			h.un.echo.id = htons(id);
			h.un.echo.sequence = htons((uint16_t)k);
			h.checksum = health_inet_checksum(&h, sizeof(h));
			p->sent[k] = mono_ms();
			sendto(s, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to));
			atomic_store(&p->n, k + 1);
			next += 0.1;
		}
		struct pollfd pf = {s, POLLIN, 0};
		poll(&pf, 1, 0);
		uint8_t buf[256];
		ssize_t r;
		union {
			char b[CMSG_SPACE(sizeof(struct timespec))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b)};
		while ((r = recvmsg(s, &mh, 0)) > 0) {
			/* the kernel's receive time: what the prober's own
			 * scheduling cannot delay */
			double rx = mono_ms();
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				rx = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6 - off;
			}
			mh.msg_controllen = sizeof(ctl.b);
			const struct iphdr *ip = (const void *)buf;
			size_t hl = (size_t)ip->ihl * 4;
			if ((size_t)r < hl + sizeof(struct icmphdr))
				continue;
			const struct icmphdr *ic = (const void *)(buf + hl);
			if (ic->type != ICMP_ECHOREPLY || ntohs(ic->un.echo.id) != id)
				continue;
			/* seq is 16 bits: map it to the newest probe with that seq. */
			size_t n = atomic_load(&p->n), q = ntohs(ic->un.echo.sequence);
			size_t k = n ? (n - 1) - (((n - 1) - q) & 0xffff) : 0;
			if (k < n && !atomic_load(&p->got[k])) {
				p->rcvd[k] = rx;
				atomic_store(&p->got[k], true);
			}
		}
	}
	close(s);
	return NULL;
}

static int first_drop(const char *name, const char *from, const char *to, int runs)
{
	struct rt_ctx c;
	const char *words[] = {from, "/", to};
	struct topology *t = live_fault(&c, name, "partition", words, 3);
	if (!t) {
		rt_close(&c);
		return 0;
	}
	size_t fi = topo_find_node(t, from), ti = topo_find_node(t, to);
	const struct topo_fault *f = &t->faults[t->n_faults - 1];
	double *delay = calloc((size_t)runs, sizeof(double)), *txn = calloc((size_t)runs, sizeof(double));
	int done = 0;
	for (int r = 0; r < runs; r++) {
		struct prober *p = calloc(1, sizeof(*p));
		char ns[96];
		snprintf(ns, sizeof(ns), "/run/netns/%s", t->nodes[fi].netns_name);
		p->netns = ns;
		p->dst = t->nodes[ti].ifaces[0].ip;
		pthread_t th;
		pthread_create(&th, NULL, probe_thread, p);
		struct timespec warm = {0, 20 * 1000 * 1000};
		nanosleep(&warm, NULL);
		struct rt_err e = {0};
		cJSON *undo = NULL;
		if (fault_prepare(&c, t, f, "adhoc-bench", &undo, &e) < 0) {
			fprintf(stderr, "prepare: %s\n", e.msg);
			break;
		}
		double t0 = mono_ms();
		int rc = fault_apply(&c, t, f, undo, &e);
		double t1 = mono_ms();
		nanosleep(&warm, NULL);
		atomic_store(&p->stop, true);
		pthread_join(th, NULL);
		fault_revert(&c, undo, &e);
		cJSON_Delete(undo);
		if (rc < 0 || p->err) {
			fprintf(stderr, "apply: %s%s\n", e.msg, p->err ? strerror(p->err) : "");
			free(p);
			break;
		}
		size_t n = atomic_load(&p->n), k = prober_first_drop(p, t1);
		if (k < n) {
			delay[done] = p->sent[k] - t0;
			txn[done++] = t1 - t0;
		}
		free(p);
		struct timespec gap = {0, 50 * 1000 * 1000};
		nanosleep(&gap, NULL);
	}
	if (done)
		printf("  partition %s / %s: first dropped probe %.3f ms after the transaction start "
		       "(median of %d; max %.3f ms), fault_apply %.3f ms (median); probes every 0.1 ms\n",
		       from, to, pct(delay, (size_t)done, 0.5), done, pct(delay, (size_t)done, 1.0),
		       pct(txn, (size_t)done, 0.5));
	free(delay);
	free(txn);
	topo_free(t);
	rt_close(&c);
	return done ? 0 : 1;
}

/* ---------------- heal -> first packet through ---------------- */

/* Empty the neighbour table of namespace ns, as on a cluster just applied
 * (a test tool may use iproute2; aspen itself never does). */
static void flush_neigh(const char *ns)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "ip -n %s neigh flush all >/dev/null 2>&1", ns);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_schedule: %s failed\n", cmd);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

struct pass_kind {
	const char *label, *kind;
	const char *w[3];
	size_t n;
};

/* One kind, runs times: fresh neighbour tables, probes FROM -> TO every
 * 0.1 ms, the fault, 100 ms of traffic into it, fault_revert. Fills
 * heal[] (fault_revert returned -> first reply read), drop[] (apply start -> first
 * probe of the unbroken run of lost ones), cost[] (fault_revert). */
static int pass_runs(struct rt_ctx *c, const struct topology *t, const char *from, const char *to,
		     int runs, double *heal, double *drop, double *cost)
{
	size_t fi = topo_find_node(t, from), ti = topo_find_node(t, to);
	const struct topo_fault *f = &t->faults[t->n_faults - 1];
	int done = 0;
	for (int r = 0; r < runs; r++) {
		struct prober *p = calloc(1, sizeof(*p));
		char ns[96];
		flush_neigh(t->nodes[fi].netns_name);
		flush_neigh(t->nodes[ti].netns_name);
		snprintf(ns, sizeof(ns), "/run/netns/%s", t->nodes[fi].netns_name);
		p->netns = ns;
		p->dst = t->nodes[ti].ifaces[0].ip;
		pthread_t th;
		pthread_create(&th, NULL, probe_thread, p);
		sleep_ms(20);
		struct rt_err e = {0};
		cJSON *undo = NULL;
		if (fault_prepare(c, t, f, "adhoc-bench", &undo, &e) < 0) {
			atomic_store(&p->stop, true);
			pthread_join(th, NULL);
			free(p);
			fprintf(stderr, "prepare: %s\n", e.msg);
			break;
		}
		double ta = mono_ms();
		int rc = fault_apply(c, t, f, undo, &e);
		sleep_ms(100);
		double t0 = mono_ms();
		int rv = rc < 0 ? 0 : fault_revert(c, undo, &e);
		double t1 = mono_ms();
		sleep_ms(30);
		atomic_store(&p->stop, true);
		pthread_join(th, NULL);
		if (rc < 0)
			fault_revert(c, undo, &e);
		cJSON_Delete(undo);
		if (rc < 0 || rv < 0 || p->err) {
			fprintf(stderr, "%s: %s%s\n", rc < 0 ? "apply" : "revert", e.msg,
				p->err ? strerror(p->err) : "");
			free(p);
			break;
		}
		size_t n = atomic_load(&p->n), k, first = n;
		for (k = 0; k < n; k++)
			if (atomic_load(&p->got[k]) && p->rcvd[k] >= t0 && (first == n ||
									    p->rcvd[k] < p->rcvd[first]))
				first = k;
		/* the last probe sent before the revert, back to the first of
		 * the unbroken run of lost ones */
		for (k = n; k > 0 && p->sent[k - 1] >= t0; k--)
			;
		while (k > 0 && !atomic_load(&p->got[k - 1]))
			k--;
		if (first < n && k < n) {
			/* from the instant the revert was committed (it returned),
			 * or from the request's send when the prober sent it
			 * later (its own scheduling is not aspen's doing); 0 when
			 * the reply came before the revert returned */
			double from_ms = p->sent[first] > t1 ? p->sent[first] : t1;
			heal[done] = p->rcvd[first] > from_ms ? p->rcvd[first] - from_ms : 0;
			drop[done] = p->sent[k] - ta;
			cost[done++] = t1 - t0;
		}
		free(p);
		sleep_ms(20);
	}
	return done;
}

static int first_pass(const char *name, const char *from, const char *to, int runs)
{
	const struct pass_kind kinds[] = {
		{"partition", "partition", {to, "/", from}, 3},
		{"isolate", "isolate", {to}, 1},
		{"one-way (request cut)", "partition", {from, "->", to}, 3},
		{"one-way (reply cut)", "partition", {to, "->", from}, 3},
		{"loss 100%", "loss", {to, "100%"}, 2},
		{"link-down", "link-down", {to}, 1},
	};
	double *heal = calloc((size_t)runs, sizeof(double)), *drop = calloc((size_t)runs, sizeof(double));
	double *cost = calloc((size_t)runs, sizeof(double));
	int bad = 0;
	printf("  heal -> first packet through, %s pings %s every 0.1 ms, neighbour tables flushed "
	       "before each run, 100 ms of traffic into the fault (target p99 < 5 ms):\n", from, to);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct rt_ctx c;
		struct topology *t = live_fault(&c, name, kinds[i].kind, kinds[i].w, kinds[i].n);
		int done = t ? pass_runs(&c, t, from, to, runs, heal, drop, cost) : 0;
		if (done)
			printf("    %-22s heal -> first reply p50 %6.3f  p99 %6.3f  max %6.3f ms;  "
			       "fault -> first drop p50 %6.3f  p99 %6.3f ms;  revert %6.3f ms (p50, %d runs)\n",
			       kinds[i].label, pct(heal, (size_t)done, 0.5), pct(heal, (size_t)done, 0.99),
			       pct(heal, (size_t)done, 1.0), pct(drop, (size_t)done, 0.5),
			       pct(drop, (size_t)done, 0.99), pct(cost, (size_t)done, 0.5), done);
		else
			bad = 1;
		topo_free(t);
		rt_close(&c);
	}
	free(heal);
	free(drop);
	free(cost);
	return bad;
}

/* ---------------- through the control API ---------------- */

static int api_drop(const char *mode, const char *name, const char *from, const char *to,
		    int runs)
{
	const char *sock = getenv("ASPEN_API"), *aspen = getenv("ASPEN");
	bool cli = !strcmp(mode, "cli");
	if (!sock || (cli && !aspen)) {
		fprintf(stderr, "bench_schedule: api-drop runs under `aspen run` (ASPEN_API%s)\n",
			cli ? " and ASPEN" : "");
		return 1;
	}
	struct rt_ctx c;
	struct rt_err e = {0};
	if (rt_open(&c, name, NULL, RT_NO_LOCK, &e) < 0 || !c.journal.file) {
		fprintf(stderr, "bench_schedule: %s\n", e.msg);
		rt_close(&c);
		return 1;
	}
	struct diag_list d;
	diag_init(&d, c.journal.file);
	struct topology *t = topo_load(c.journal.file, &d);
	diag_clear(&d);
	rt_close(&c);
	if (!t)
		return 1;
	size_t fi = topo_find_node(t, from), ti = topo_find_node(t, to);
	/* FROM against everyone else: the JSON body and the CLI's words. */
	size_t cap = 64 + t->n_nodes * 40;
	char *rest = calloc(1, cap), *body = calloc(1, 2 * cap);
	for (size_t i = 0; i < t->n_nodes; i++) {
		if (i == fi)
			continue;
		size_t l = strlen(rest);
		snprintf(rest + l, cap - l, "%s%s", l ? "," : "", t->nodes[i].name);
	}
	size_t l = (size_t)snprintf(body, 2 * cap, "{\"partition\": [[\"%s\"], [", from);
	for (size_t i = 0; i < t->n_nodes; i++)
		if (i != fi)
			l += (size_t)snprintf(body + l, 2 * cap - l, "%s\"%s\"", body[l - 1] != '[' ? ", " : "", t->nodes[i].name);
	snprintf(body + l, 2 * cap - l, "]]}");
	double *delay = calloc((size_t)runs, sizeof(double)), *req = calloc((size_t)runs, sizeof(double));
	int done = 0;
	for (int r = 0; r < runs; r++) {
		struct prober *p = calloc(1, sizeof(*p));
		char ns[96];
		snprintf(ns, sizeof(ns), "/run/netns/%s", t->nodes[fi].netns_name);
		p->netns = ns;
		p->dst = t->nodes[ti].ifaces[0].ip;
		pthread_t th;
		pthread_create(&th, NULL, probe_thread, p);
		struct timespec warm = {0, 20 * 1000 * 1000};
		nanosleep(&warm, NULL);
		long st = 0;
		cJSON *ans = NULL;
		double t0 = mono_ms();
		int rc;
		if (cli) {
			pid_t pid = fork();
			if (pid == 0) {
				int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
				if (dn >= 0)
					dup2(dn, 1);
				execl(aspen, aspen, "fault", name, "partition", from, "/", rest, (char *)NULL);
				_exit(127);
			}
			int ws = 0;
			rc = pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
		} else {
			rc = api_client_call(sock, "POST", "/v1/faults", body, &st, &ans, &e);
			rc = rc == 0 && st == 201 ? 0 : -1;
		}
		double t1 = mono_ms();
		cJSON_Delete(ans);
		nanosleep(&warm, NULL);
		atomic_store(&p->stop, true);
		pthread_join(th, NULL);
		ans = NULL;
		api_client_call(sock, "DELETE", "/v1/faults", NULL, &st, &ans, &e);
		cJSON_Delete(ans);
		if (rc < 0 || p->err) {
			fprintf(stderr, "api-drop: the request failed (%s) %s\n", e.msg,
				p->err ? strerror(p->err) : "");
			free(p);
			break;
		}
		size_t n = atomic_load(&p->n), k = prober_first_drop(p, t1);
		if (k < n) {
			delay[done] = p->sent[k] - t0;
			req[done++] = t1 - t0;
		}
		free(p);
		struct timespec gap = {0, 50 * 1000 * 1000};
		nanosleep(&gap, NULL);
	}
	if (done)
		printf("%.3f %.3f %.3f %d\n", pct(delay, (size_t)done, 0.5), pct(delay, (size_t)done, 1.0),
		       pct(req, (size_t)done, 0.5), done);
	free(delay);
	free(req);
	free(rest);
	free(body);
	topo_free(t);
	return done ? 0 : 1;
}

/* ---------------- apply / revert cost ---------------- */

static int cost(const char *name, int runs)
{
	/* The nodes come from the journal's file: halves node1.. / ..nodeN. */
	struct rt_ctx c0;
	struct rt_err e = {0};
	if (rt_open(&c0, name, NULL, RT_NO_LOCK, &e) < 0 || !c0.journal.file) {
		fprintf(stderr, "bench_schedule: %s\n", e.msg);
		rt_close(&c0);
		return 1;
	}
	struct diag_list d;
	diag_init(&d, c0.journal.file);
	struct topology *full = topo_load(c0.journal.file, &d);
	diag_clear(&d);
	rt_close(&c0);
	if (!full)
		return 1;
	size_t n = full->n_nodes, half = n / 2;
	/* Two comma-joined words: "node1,node2,..." / "...,nodeN". */
	size_t cap = 16 + n * 40;
	char *left = calloc(1, cap), *right = calloc(1, cap);
	for (size_t i = 0; i < n; i++) {
		char *side = i < half ? left : right;
		size_t l = strlen(side);
		snprintf(side + l, cap - l, "%s%s", l ? "," : "", full->nodes[i].name);
	}
	const char *words[3] = {left, "/", right};
	size_t w = 3;
	struct rt_ctx c;
	struct topology *t = live_fault(&c, name, "partition", words, w);
	free(left);
	free(right);
	if (!t) {
		topo_free(full);
		rt_close(&c);
		return 0;
	}
	const struct topo_fault *f = &t->faults[t->n_faults - 1];
	double *ap = calloc((size_t)runs, sizeof(double)), *rv = calloc((size_t)runs, sizeof(double));
	int done = 0;
	for (int r = 0; r < runs; r++) {
		cJSON *undo = NULL;
		double t0 = mono_ms();
		if (fault_prepare(&c, t, f, "adhoc-bench", &undo, &e) < 0 ||
		    fault_apply(&c, t, f, undo, &e) < 0) {
			fprintf(stderr, "apply: %s\n", e.msg);
			if (undo)
				fault_revert(&c, undo, &e);
			cJSON_Delete(undo);
			break;
		}
		double t1 = mono_ms();
		int rc = fault_revert(&c, undo, &e);
		double t2 = mono_ms();
		cJSON_Delete(undo);
		if (rc < 0) {
			fprintf(stderr, "revert: %s\n", e.msg);
			break;
		}
		ap[done] = t1 - t0;
		rv[done++] = t2 - t1;
	}
	if (done)
		printf("  partition of %zu nodes (%zu | %zu): apply %.2f ms (prepare + transaction, "
		       "median of %d; max %.2f), revert %.2f ms (max %.2f)\n", n, half, n - half,
		       pct(ap, (size_t)done, 0.5), done, pct(ap, (size_t)done, 1.0),
		       pct(rv, (size_t)done, 0.5), pct(rv, (size_t)done, 1.0));
	free(ap);
	free(rv);
	topo_free(t);
	topo_free(full);
	rt_close(&c);
	return done ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "precision"))
		return precision(argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100,
				 argc > 3 ? argv[3] : "/tmp");
	if (argc >= 2 && !strcmp(argv[1], "floor"))
		return floor_sleep(argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100);
	bool live = argc >= 2 && (!strcmp(argv[1], "first-drop") || !strcmp(argv[1], "cost") ||
				  !strcmp(argv[1], "first-pass") || !strcmp(argv[1], "api-drop"));
	if (live && !getenv("ASPEN_SANDBOX")) {
		fprintf(stderr, "bench_schedule: %s changes the kernel: run it inside tests/sandbox.sh\n",
			argv[1]);
		return 2;
	}
	if (argc >= 5 && !strcmp(argv[1], "first-drop"))
		return first_drop(argv[2], argv[3], argv[4], argc > 5 ? atoi(argv[5]) : 20);
	if (argc >= 5 && !strcmp(argv[1], "first-pass"))
		return first_pass(argv[2], argv[3], argv[4], argc > 5 ? atoi(argv[5]) : 20);
	if (argc >= 6 && !strcmp(argv[1], "api-drop"))
		return api_drop(argv[2], argv[3], argv[4], argv[5], argc > 6 ? atoi(argv[6]) : 20);
	if (argc >= 3 && !strcmp(argv[1], "cost"))
		return cost(argv[2], argc > 3 ? atoi(argv[3]) : 10);
	fprintf(stderr, "usage: bench_schedule precision [N [DIR]] | floor [N] | first-drop NAME FROM TO [RUNS] | "
		"cost NAME [RUNS] | first-pass NAME FROM TO [RUNS] | api-drop api|cli NAME FROM TO [RUNS]\n");
	return 2;
}
