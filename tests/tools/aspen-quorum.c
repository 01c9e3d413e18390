/* aspen-quorum.c — a tiny quorum system for topologies/quorum5-netns.yaml.
 *
 * Not part of aspen: a system under test with the shape of the real ones
 * (a leader elected by a majority, leases, heartbeats), small enough to read
 * in a minute, so the example needs nothing beyond Debian's base system.
 *
 *   aspen-quorum serve        a node: ASPEN_NODE, ASPEN_NODE_IP and
 *                             ASPEN_PEERS (every node; its own name is skipped)
 *   aspen-quorum probe [--alive]
 *                             the role probe: exit 0 when the node at
 *                             ASPEN_NODE_IP says it leads (--alive: answers)
 *   aspen-quorum watch SECS   the test: from the host, ask every node of
 *                             ASPEN_PEERS who leads, every 50 ms for SECS;
 *                             fail on two leaders at once (split brain) or
 *                             on no leader at the end
 *
 * The protocol (UDP port 7400, text): every 100 ms each node sends
 * "hb NAME VOTE SENT_MS" to every peer. A heartbeat counts from when it was
 * sent (the nodes share the host's CLOCK_MONOTONIC), so heartbeats queued
 * while a node was paused are known to be old when it resumes. A node votes for the lowest-named node it
 * heard within the last 300 ms (itself included); to change its vote it
 * first abstains ("-") for 400 ms, longer than the 300 ms for which a
 * candidate counts a heard vote, so no vote is ever counted by two
 * candidates at once. A node leads while the votes for it that it heard in
 * the last 300 ms (its own included) are a majority of all nodes: at most
 * one node can. "q" asks a node; it answers "leader NAME VOTES" or
 * "follower NAME VOTE". */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QP_PORT 7400
#define QP_MAX 64
#define QP_HEARTBEAT_MS 100
#define QP_HEARD_MS 300         /* a peer (and its vote) counts this long */
#define QP_ABSTAIN_MS 400       /* > QP_HEARD_MS: see above */

struct qp_peer {
	char name[64];
	struct sockaddr_in addr;
	int64_t heard;          /* ms, 0 = never */
	char vote[64];
};

static int64_t qp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int qp_addr(const char *ip, struct sockaddr_in *a)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(QP_PORT);
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

/* "n1=10.0.0.2 n2=10.0.0.3" -> peers; returns how many. */
static size_t qp_peers(struct qp_peer *p, const char *self)
{
	const char *s = getenv("ASPEN_PEERS");
	char *copy = strdup(s ? s : ""), *save = NULL;
	size_t n = 0;
	for (char *w = strtok_r(copy, " ", &save); w && n < QP_MAX; w = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(w, '=');
		if (!eq)
			continue;
		*eq = '\0';
		if (self && strcmp(w, self) == 0)
			continue;
		memset(&p[n], 0, sizeof(p[n]));
		snprintf(p[n].name, sizeof(p[n].name), "%s", w);
		if (qp_addr(eq + 1, &p[n].addr) == 0)
			n++;
	}
	free(copy);
	return n;
}

static int qp_socket(const char *bind_ip)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind_ip) {
		struct sockaddr_in a;
		if (qp_addr(bind_ip, &a) < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int qp_serve(void)
{
	const char *self = getenv("ASPEN_NODE"), *ip = getenv("ASPEN_NODE_IP");
	if (!self || !ip) {
		fprintf(stderr, "aspen-quorum: ASPEN_NODE and ASPEN_NODE_IP must be set\n");
		return 2;
	}
	struct qp_peer peers[QP_MAX];
	size_t n = qp_peers(peers, self);
	int fd = qp_socket(ip);
	if (fd < 0) {
		fprintf(stderr, "aspen-quorum: bind %s:%d: %s\n", ip, QP_PORT, strerror(errno));
		return 1;
	}
	char vote[64] = "-";
	int64_t abstain_since = qp_now(), next_hb = 0;
	for (;;) {
		int64_t now = qp_now();
		/* Whom to vote for: the lowest name heard lately, myself included. */
		const char *want = self;
		for (size_t i = 0; i < n; i++)
			if (peers[i].heard && now - peers[i].heard < QP_HEARD_MS &&
			    strcmp(peers[i].name, want) < 0)
				want = peers[i].name;
		if (strcmp(vote, want) != 0) {
			if (strcmp(vote, "-") != 0) {
				snprintf(vote, sizeof(vote), "-");
				abstain_since = now;
			} else if (now - abstain_since >= QP_ABSTAIN_MS) {
				snprintf(vote, sizeof(vote), "%.63s", want);
			}
		}
		if (now >= next_hb) {
			char msg[160];
			int len = snprintf(msg, sizeof(msg), "hb %s %s %lld", self, vote, (long long)now);
			for (size_t i = 0; i < n; i++)
				sendto(fd, msg, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&peers[i].addr,
				       sizeof(peers[i].addr));
			next_hb = now + QP_HEARTBEAT_MS;
		}
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 20) <= 0)
			continue;
		char buf[256];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		now = qp_now();
		char who[64], v[64];
		long long sent;
		if (sscanf(buf, "hb %63s %63s %lld", who, v, &sent) == 3) {
			for (size_t i = 0; i < n; i++)
				if (strcmp(peers[i].name, who) == 0 && sent > peers[i].heard) {
					peers[i].heard = sent < now ? sent : now;
					snprintf(peers[i].vote, sizeof(peers[i].vote), "%s", v);
				}
		} else if (buf[0] == 'q') {
			size_t votes = strcmp(vote, self) == 0;
			for (size_t i = 0; i < n; i++)
				votes += peers[i].heard && now - peers[i].heard < QP_HEARD_MS &&
					 strcmp(peers[i].vote, self) == 0;
			char msg[160];
			int len = votes > (n + 1) / 2
				? snprintf(msg, sizeof(msg), "leader %s %zu", self, votes)
				: snprintf(msg, sizeof(msg), "follower %s %s", self, vote);
			sendto(fd, msg, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
		}
	}
}

/* Ask every peer "q"; answers[i] gets the reply ("" when none in wait_ms). */
static void qp_ask(int fd, struct qp_peer *p, size_t n, char answers[][64], int wait_ms)
{
	for (size_t i = 0; i < n; i++) {
		answers[i][0] = '\0';
		sendto(fd, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&p[i].addr, sizeof(p[i].addr));
	}
	int64_t end = qp_now() + wait_ms;
	for (int64_t now = qp_now(); now < end; now = qp_now()) {
		struct pollfd pf = {fd, POLLIN, 0};
		if (poll(&pf, 1, (int)(end - now)) <= 0)
			break;
		char buf[128];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		for (size_t i = 0; i < n; i++)
			if (from.sin_addr.s_addr == p[i].addr.sin_addr.s_addr)
				snprintf(answers[i], sizeof(answers[i]), "%.63s", buf);
	}
}

static int qp_probe(bool alive)
{
	const char *ip = getenv("ASPEN_NODE_IP");
	struct qp_peer p;
	memset(&p, 0, sizeof(p));
	if (!ip || qp_addr(ip, &p.addr) < 0)
		return 2;
	int fd = qp_socket(NULL);
	char ans[1][64];
	qp_ask(fd, &p, 1, ans, 200);
	close(fd);
	return alive ? ans[0][0] == '\0' : strncmp(ans[0], "leader ", 7) != 0;
}

static int qp_watch(int secs)
{
	struct qp_peer peers[QP_MAX];
	size_t n = qp_peers(peers, NULL);
	int fd = qp_socket(NULL);
	if (n == 0 || fd < 0) {
		fprintf(stderr, "aspen-quorum watch: no nodes in ASPEN_PEERS\n");
		return 2;
	}
	char ans[QP_MAX][64], last[64] = "";
	unsigned samples = 0, led = 0, changes = 0, split = 0;
	int64_t start = qp_now(), end = start + (int64_t)secs * 1000;
	while (qp_now() < end || !last[0]) {
		if (qp_now() > end + 5000)
			break;          /* no leader 5 s after the end: fail below */
		qp_ask(fd, peers, n, ans, 40);
		char leaders[256] = "";
		unsigned k = 0;
		for (size_t i = 0; i < n; i++) {
			if (strncmp(ans[i], "leader ", 7) != 0)
				continue;
			k++;
			strncat(leaders, " ", sizeof(leaders) - strlen(leaders) - 1);
			strncat(leaders, peers[i].name, sizeof(leaders) - strlen(leaders) - 1);
		}
		samples++;
		if (k >= 2) {
			split++;
			printf("+%.2fs SPLIT BRAIN: leaders%s\n", (double)(qp_now() - start) / 1000, leaders);
		}
		const char *now_leader = k == 1 ? leaders + 1 : "";
		if (k == 1)
			led++;
		if (strcmp(now_leader, last) != 0) {
			if (k <= 1)
				printf("+%.2fs leader: %s\n", (double)(qp_now() - start) / 1000,
				       k ? now_leader : "(none)");
			changes++;
			snprintf(last, sizeof(last), "%.63s", now_leader);
		}
		usleep(10000);
	}
	close(fd);
	printf("%u samples, %u with one leader, %u leader changes, %u with two or more leaders\n",
	       samples, led, changes, split);
	if (split)
		return 1;
	if (!last[0]) {
		printf("no leader at the end\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return qp_serve();
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return qp_probe(argc >= 3 && strcmp(argv[2], "--alive") == 0);
	if (argc == 3 && strcmp(argv[1], "watch") == 0)
		return qp_watch(atoi(argv[2]));
	fprintf(stderr, "usage: aspen-quorum serve | probe [--alive] | watch SECONDS\n");
	return 2;
}
