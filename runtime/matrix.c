/* matrix.c — the reachability matrix (see matrix.h).
 *
 * A probe measures one direction: a raw ICMP socket listens inside the
 * destination's namespace, another sends echo requests from inside the
 * source's, and the pair is reachable when a request arrives (raw sockets
 * get a copy of every ICMP packet the namespace receives). Round trips
 * would show a one-way partition as a cut both ways; this shows it as it
 * is. A pool of worker threads (each entering namespaces with setns, which
 * moves only that thread) takes pair indices from a shared counter, so N
 * nodes cost about N*(N-1) / threads probe timeouts in the worst case
 * (everything cut) and one packet's travel when everything gets through.
 * A dual-stack topology is probed over each family: IPv4 to each node's
 * first IPv4 address, ICMPv6 to its first IPv6 one; the pairs of both
 * families share the pool. */
#include "runtime/matrix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime/health.h"

void matrix_free(struct matrix *m)
{
	free(m->nodes);
	free(m->ok);
	free(m->ok6);
	memset(m, 0, sizeof(*m));
}

/* "eth3" -> 3; anything else sorts last. */
static unsigned long matrix_dev_rank(const char *dev)
{
	if (!dev || strncmp(dev, "eth", 3))
		return (unsigned long)-1;
	return strtoul(dev + 3, NULL, 10);
}

/* The address of family af of netns ns on its lowest-numbered interface,
 * into out (4 or 16 bytes, network order); false when it has none. */
static bool matrix_first_addr(const struct journal *j, const char *ns, int af, void *out)
{
	unsigned long rank = (unsigned long)-1;
	bool found = false;
	for (size_t i = 0; i < j->resources.n; i++) {
		const struct resource *r = &j->resources.v[i];
		const char *rns = res_get(r, "netns"), *addr = res_get(r, "address");
		if (r->kind != RES_ADDR || !rns || !addr || strcmp(rns, ns))
			continue;
		char ip[64];
		unsigned char a[16];
		snprintf(ip, sizeof(ip), "%s", addr);
		ip[strcspn(ip, "/")] = '\0';
		unsigned long rk = matrix_dev_rank(res_get(r, "dev"));
		if (inet_pton(af, ip, a) != 1 || (found && rk >= rank))
			continue;
		memcpy(out, a, af == AF_INET6 ? 16 : 4);
		rank = rk;
		found = true;
	}
	return found;
}

int matrix_from_journal(const struct journal *j, struct matrix *m, struct rt_err *e)
{
	memset(m, 0, sizeof(*m));
	m->nodes = calloc(j->resources.n + 1, sizeof(*m->nodes));
	if (!m->nodes)
		return rt_errf(e, ENOMEM, "matrix: out of memory");
	bool any6 = false;
	for (size_t i = 0; i < j->resources.n; i++) {
		const struct resource *r = &j->resources.v[i];
		const char *ns = res_get(r, "name");
		if (r->kind != RES_NETNS || !ns || strncmp(r->id, "netns/", 6))
			continue;
		struct matrix_node *nd = &m->nodes[m->n];
		struct in_addr a4;
		bool has4 = matrix_first_addr(j, ns, AF_INET, &a4);
		nd->has_ip6 = matrix_first_addr(j, ns, AF_INET6, nd->ip6);
		if (!has4 && !nd->has_ip6)
			continue;
		m->n++;
		any6 |= nd->has_ip6;
		snprintf(nd->name, sizeof(nd->name), "%s", r->id + 6);
		snprintf(nd->netns_path, sizeof(nd->netns_path), "/run/netns/%s", ns);
		nd->has_ip4 = has4;
		nd->ip = has4 ? ntohl(a4.s_addr) : 0;
	}
	m->ok = calloc(m->n * m->n + 1, sizeof(bool));
	if (any6)
		m->ok6 = calloc(m->n * m->n + 1, sizeof(bool));
	if (!m->ok || (any6 && !m->ok6)) {
		matrix_free(m);
		return rt_errf(e, ENOMEM, "matrix: out of memory");
	}
	return 0;
}

struct matrix_job {
	struct matrix *m;
	int timeout_ms;
	atomic_size_t next;
	atomic_uint serial;
};

static long long matrix_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A raw ICMP (v6: ICMPv6) socket inside the namespace at path (this
 * thread enters it; the socket stays in that namespace whatever the thread
 * does next). */
static int matrix_socket_in(const char *path, bool v6)
{
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -1;
	int rc = setns(ns, CLONE_NEWNET);
	close(ns);
	if (rc < 0)
		return -1;
	return v6 ? socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6)
		  : socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
}

/* Did an echo request with this id from src arrive on rx? */
static bool matrix_arrived(int rx, uint32_t src, uint16_t id)
{
	uint8_t buf[512];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	while ((n = recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
		const struct iphdr *ip = (const void *)buf;
		size_t hl = (size_t)ip->ihl * 4;
		if ((size_t)n < hl + sizeof(struct icmphdr) || ntohl(ip->saddr) != src)
			continue;
		const struct icmphdr *ic = (const void *)(buf + hl);
		if (ic->type == ICMP_ECHO && ntohs(ic->un.echo.id) == id)
			return true;
		fl = sizeof(from);
	}
	return false;
}

/* The same over ICMPv6: a raw ICMPv6 socket gets the message without its
 * IPv6 header, the sender in the source address. */
static bool matrix_arrived6(int rx, const uint8_t src[16], uint16_t id)
{
	uint8_t buf[512];
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	while ((n = recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) > 0) {
		const struct icmp6_hdr *ic = (const void *)buf;
		fl = sizeof(from);
		if ((size_t)n < sizeof(*ic) || memcmp(&from.sin6_addr, src, 16) != 0)
			continue;
		if (ic->icmp6_type == ICMP6_ECHO_REQUEST && ntohs(ic->icmp6_id) == id)
			return true;
	}
	return false;
}

/* One direction from -> to over one family: listen in to's namespace, send
 * echo requests from from's (up to three, spread over the timeout), true
 * as soon as one arrives. The reply is not needed, so a one-way cut shows
 * one way only. */
static bool matrix_probe(struct matrix_job *job, size_t from, size_t to, bool v6)
{
	const struct matrix_node *a = &job->m->nodes[from], *b = &job->m->nodes[to];
	if (v6 ? !a->has_ip6 || !b->has_ip6 : !a->has_ip4 || !b->has_ip4)
		return false;
	int rx = matrix_socket_in(b->netns_path, v6);
	int tx = rx < 0 ? -1 : matrix_socket_in(a->netns_path, v6);
	bool ok = false;
	if (tx < 0)
		goto out;
	uint16_t id = (uint16_t)(0xa500u + atomic_fetch_add(&job->serial, 1));
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(b->ip)};
	struct sockaddr_in6 dst6 = {.sin6_family = AF_INET6};
	memcpy(&dst6.sin6_addr, b->ip6, 16);
	long long start = matrix_now_ms(), end = start + job->timeout_ms;
	for (int k = 0; k < 3 && !ok; k++) {
		if (v6) {
			/* the kernel fills in an ICMPv6 checksum */
			struct icmp6_hdr h = {.icmp6_type = ICMP6_ECHO_REQUEST};
			h.icmp6_id = htons(id);
			h.icmp6_seq = htons((uint16_t)k);
			sendto(tx, &h, sizeof(h), 0, (struct sockaddr *)&dst6, sizeof(dst6));
		} else {
			struct icmphdr h = {.type = ICMP_ECHO};
			h.un.echo.id = htons(id);
			h.un.echo.sequence = htons((uint16_t)k);
			h.checksum = health_inet_checksum(&h, sizeof(h));
			sendto(tx, &h, sizeof(h), 0, (struct sockaddr *)&dst, sizeof(dst));
		}
		long long until = start + (long long)job->timeout_ms * (k + 1) / 3;
		for (long long now = matrix_now_ms(); !ok && now < until; now = matrix_now_ms()) {
			struct pollfd p = {rx, POLLIN, 0};
			if (poll(&p, 1, (int)(until - now)) > 0)
				ok = v6 ? matrix_arrived6(rx, a->ip6, id) : matrix_arrived(rx, a->ip, id);
		}
		if (matrix_now_ms() >= end)
			break;
	}
out:
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return ok;
}

static void *matrix_worker(void *arg)
{
	struct matrix_job *job = arg;
	struct matrix *m = job->m;
	size_t pairs = m->n * m->n, total = m->ok6 ? 2 * pairs : pairs;
	for (;;) {
		size_t k = atomic_fetch_add(&job->next, 1);
		if (k >= total)
			return NULL;
		bool v6 = k >= pairs;
		size_t cell = k % pairs, from = cell / m->n, to = cell % m->n;
		(v6 ? m->ok6 : m->ok)[cell] = from == to || matrix_probe(job, from, to, v6);
	}
}

int matrix_measure(struct matrix *m, int timeout_ms, int threads, struct rt_err *e)
{
	struct matrix_job job = {m, timeout_ms > 0 ? timeout_ms : MATRIX_TIMEOUT_MS, 0, 0};
	size_t pairs = m->n * m->n * (m->ok6 ? 2 : 1);
	size_t nt = threads > 0 ? (size_t)threads : MATRIX_THREADS;
	if (nt > pairs)
		nt = pairs;
	if (nt == 0)
		return 0;
	pthread_t *th = calloc(nt, sizeof(*th));
	if (!th)
		return rt_errf(e, ENOMEM, "matrix: out of memory");
	size_t started = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (; started < nt; started++)
		if (pthread_create(&th[started], &attr, matrix_worker, &job) != 0)
			break;
	pthread_attr_destroy(&attr);
	if (started == 0) {
		free(th);
		return rt_errf(e, EAGAIN, "matrix: cannot start a probe thread");
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
	return 0;
}

/* One table: ok (n * n); a node without an address of the table's family
 * gets blank cells. */
static void matrix_table(const struct matrix *m, const bool *ok, bool v6, FILE *out, bool utf8,
			 const char *prefix)
{
	int w = 4;
	for (size_t i = 0; i < m->n; i++) {
		int l = (int)strlen(m->nodes[i].name);
		w = l > w ? l : w;
	}
	const char *yes = utf8 ? "\u2713" : "ok", *no = utf8 ? "\u2717" : "--",
		   *self = utf8 ? "\u00b7" : ".";
	/* Glyphs are one column wide but several bytes: pad by columns. */
	int yes_w = utf8 ? 1 : 2, no_w = utf8 ? 1 : 2, self_w = 1;
	fprintf(out, "%s%-*s", prefix, w, "");
	for (size_t j = 0; j < m->n; j++)
		fprintf(out, "  %-*s", w, m->nodes[j].name);
	fputc('\n', out);
	for (size_t i = 0; i < m->n; i++) {
		fprintf(out, "%s%-*s", prefix, w, m->nodes[i].name);
		for (size_t j = 0; j < m->n; j++) {
			bool none = v6 ? !m->nodes[i].has_ip6 || !m->nodes[j].has_ip6
				       : !m->nodes[i].has_ip4 || !m->nodes[j].has_ip4;
			const char *s = none ? "" : i == j ? self : ok[i * m->n + j] ? yes : no;
			int sw = none ? 0 : i == j ? self_w : ok[i * m->n + j] ? yes_w : no_w;
			fprintf(out, "  %s%*s", s, w - sw, "");
		}
		fputc('\n', out);
	}
}

void matrix_print(const struct matrix *m, FILE *out, bool utf8, const char *prefix)
{
	if (!m->ok6) {
		matrix_table(m, m->ok, false, out, utf8, prefix);
		return;
	}
	fprintf(out, "%sIPv4:\n", prefix);
	matrix_table(m, m->ok, false, out, utf8, prefix);
	fprintf(out, "%sIPv6:\n", prefix);
	matrix_table(m, m->ok6, true, out, utf8, prefix);
}

static cJSON *matrix_rows(const struct matrix *m, const bool *ok)
{
	cJSON *rows = cJSON_CreateArray();
	for (size_t i = 0; i < m->n; i++) {
		cJSON *row = cJSON_CreateArray();
		for (size_t j = 0; j < m->n; j++)
			cJSON_AddItemToArray(row, cJSON_CreateBool(ok[i * m->n + j]));
		cJSON_AddItemToArray(rows, row);
	}
	return rows;
}

cJSON *matrix_json(const struct matrix *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *names = cJSON_AddArrayToObject(o, "nodes");
	for (size_t i = 0; i < m->n; i++)
		cJSON_AddItemToArray(names, cJSON_CreateString(m->nodes[i].name));
	cJSON_AddItemToObject(o, "reachable", matrix_rows(m, m->ok));
	if (m->ok6)
		cJSON_AddItemToObject(o, "reachable6", matrix_rows(m, m->ok6));
	return o;
}

/* rows (n arrays of n booleans) into ok; false when malformed. */
static bool matrix_rows_from(const cJSON *rows, size_t n, bool *ok)
{
	if (!cJSON_IsArray(rows) || (size_t)cJSON_GetArraySize(rows) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const cJSON *row = cJSON_GetArrayItem(rows, (int)i);
		if ((size_t)cJSON_GetArraySize(row) != n)
			return false;
		for (size_t j = 0; j < n; j++)
			ok[i * n + j] = cJSON_IsTrue(cJSON_GetArrayItem(row, (int)j));
	}
	return true;
}

int matrix_from_json(const cJSON *o, struct matrix *m, struct rt_err *e)
{
	memset(m, 0, sizeof(*m));
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "nodes");
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, "reachable");
	const cJSON *rows6 = cJSON_GetObjectItemCaseSensitive(o, "reachable6");
	size_t n = (size_t)cJSON_GetArraySize(names);
	if (!cJSON_IsArray(names))
		return rt_errf(e, EINVAL, "not a reachability matrix");
	m->nodes = calloc(n ? n : 1, sizeof(*m->nodes));
	m->ok = calloc(n ? n * n : 1, sizeof(*m->ok));
	if (rows6)
		m->ok6 = calloc(n ? n * n : 1, sizeof(*m->ok6));
	if (!m->nodes || !m->ok || (rows6 && !m->ok6)) {
		matrix_free(m);
		return rt_errf(e, ENOMEM, "out of memory");
	}
	m->n = n;
	if (!matrix_rows_from(rows, n, m->ok) || (rows6 && !matrix_rows_from(rows6, n, m->ok6))) {
		matrix_free(m);
		return rt_errf(e, EINVAL, "not a reachability matrix");
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(names, (int)i));
		if (!s) {
			matrix_free(m);
			return rt_errf(e, EINVAL, "not a reachability matrix");
		}
		snprintf(m->nodes[i].name, sizeof(m->nodes[i].name), "%s", s);
		m->nodes[i].has_ip4 = true;
		m->nodes[i].has_ip6 = rows6 != NULL;
	}
	return 0;
}
