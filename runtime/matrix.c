/* matrix.c — the reachability matrix (see matrix.h).
 *
 * The probes are health.c's ping, each from inside its source namespace.
 * A pool of worker threads takes pair indices from a shared counter, so N
 * nodes cost about (N*(N-1) / threads) probe timeouts in the worst case
 * (everything cut) and one round trip when everything answers. */
#include "runtime/matrix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/health.h"

void matrix_free(struct matrix *m)
{
	free(m->nodes);
	free(m->ok);
	memset(m, 0, sizeof(*m));
}

/* "eth3" -> 3; anything else sorts last. */
static unsigned long matrix_dev_rank(const char *dev)
{
	if (!dev || strncmp(dev, "eth", 3))
		return (unsigned long)-1;
	return strtoul(dev + 3, NULL, 10);
}

/* The address of netns ns on its lowest-numbered interface, or 0. */
static uint32_t matrix_first_addr(const struct journal *j, const char *ns)
{
	uint32_t best = 0;
	unsigned long rank = (unsigned long)-1;
	bool found = false;
	for (size_t i = 0; i < j->resources.n; i++) {
		const struct resource *r = &j->resources.v[i];
		const char *rns = res_get(r, "netns"), *addr = res_get(r, "address");
		if (r->kind != RES_ADDR || !rns || !addr || strcmp(rns, ns))
			continue;
		char ip[32];
		snprintf(ip, sizeof(ip), "%s", addr);
		ip[strcspn(ip, "/")] = '\0';
		struct in_addr a;
		unsigned long rk = matrix_dev_rank(res_get(r, "dev"));
		if (inet_pton(AF_INET, ip, &a) != 1 || (found && rk >= rank))
			continue;
		best = ntohl(a.s_addr);
		rank = rk;
		found = true;
	}
	return best;
}

int matrix_from_journal(const struct journal *j, struct matrix *m, struct rt_err *e)
{
	memset(m, 0, sizeof(*m));
	m->nodes = calloc(j->resources.n + 1, sizeof(*m->nodes));
	if (!m->nodes)
		return rt_errf(e, ENOMEM, "matrix: out of memory");
	for (size_t i = 0; i < j->resources.n; i++) {
		const struct resource *r = &j->resources.v[i];
		const char *ns = res_get(r, "name");
		if (r->kind != RES_NETNS || !ns || strncmp(r->id, "netns/", 6))
			continue;
		uint32_t ip = matrix_first_addr(j, ns);
		if (!ip)
			continue;
		struct matrix_node *nd = &m->nodes[m->n++];
		snprintf(nd->name, sizeof(nd->name), "%s", r->id + 6);
		snprintf(nd->netns_path, sizeof(nd->netns_path), "/run/netns/%s", ns);
		nd->ip = ip;
	}
	m->ok = calloc(m->n * m->n + 1, sizeof(bool));
	if (!m->ok) {
		matrix_free(m);
		return rt_errf(e, ENOMEM, "matrix: out of memory");
	}
	return 0;
}

struct matrix_job {
	struct matrix *m;
	int timeout_ms;
	atomic_size_t next;
};

static void *matrix_worker(void *arg)
{
	struct matrix_job *job = arg;
	struct matrix *m = job->m;
	size_t total = m->n * m->n;
	for (;;) {
		size_t k = atomic_fetch_add(&job->next, 1);
		if (k >= total)
			return NULL;
		size_t from = k / m->n, to = k % m->n;
		if (from == to) {
			m->ok[k] = true;
			continue;
		}
		struct health_check c = {
			.node = m->nodes[from].name, .netns_path = m->nodes[from].netns_path,
			.kind = HEALTH_PING, .ip = m->nodes[to].ip, .attempt_timeout_ms = job->timeout_ms,
		};
		struct rt_err pe;
		m->ok[k] = health_check_once(&c, &pe) == 0;
	}
}

int matrix_measure(struct matrix *m, int timeout_ms, int threads, struct rt_err *e)
{
	struct matrix_job job = {m, timeout_ms > 0 ? timeout_ms : MATRIX_TIMEOUT_MS, 0};
	size_t pairs = m->n * m->n, nt = threads > 0 ? (size_t)threads : MATRIX_THREADS;
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

void matrix_print(const struct matrix *m, FILE *out, bool utf8, const char *prefix)
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
			const char *s = i == j ? self : m->ok[i * m->n + j] ? yes : no;
			int sw = i == j ? self_w : m->ok[i * m->n + j] ? yes_w : no_w;
			fprintf(out, "  %s%*s", s, w - sw, "");
		}
		fputc('\n', out);
	}
}

cJSON *matrix_json(const struct matrix *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *names = cJSON_AddArrayToObject(o, "nodes");
	cJSON *rows = cJSON_AddArrayToObject(o, "reachable");
	for (size_t i = 0; i < m->n; i++) {
		cJSON_AddItemToArray(names, cJSON_CreateString(m->nodes[i].name));
		cJSON *row = cJSON_CreateArray();
		for (size_t j = 0; j < m->n; j++)
			cJSON_AddItemToArray(row, cJSON_CreateBool(m->ok[i * m->n + j]));
		cJSON_AddItemToArray(rows, row);
	}
	return o;
}
