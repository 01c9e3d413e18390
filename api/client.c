/* client.c — requests to the control API of the aspen holding a topology
 * (see client.h). */
#include "api/client.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/route.h"
#include "runtime/paths.h"

int api_client_find(const char *name, char *sock, size_t len, struct rt_err *e)
{
	char dir[PATHS_MAX];
	if (paths_run_dir(name, dir, sizeof(dir), e) < 0)
		return 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int w = snprintf(sock, len, "%s/%s", dir, API_SOCKET_NAME);
	if (w < 0 || (size_t)w >= len || (size_t)w >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, sock, (size_t)w + 1);
	/* Only a live holder listens there: the socket a killed holder left
	 * refuses (nothing listens), and the holder closes it before it lets
	 * the lock go. Cheaper than asking the kernel's lock table
	 * (lock_holder reads /proc/locks), which the local path meets anyway. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

struct api_buf {
	char *s;
	size_t n;
	int (*fn)(const char *line, void *ud);
	void *ud;
	bool stopped;                   /* fn asked to stop */
	volatile sig_atomic_t *stop;
};

/* Body bytes in; 0 when the caller's fn asked to stop, else len. */
static size_t api_client_write(const char *p, size_t len, struct api_buf *b)
{
	char *s = realloc(b->s, b->n + len + 1);
	if (!s)
		return 0;
	memcpy(s + b->n, p, len);
	b->s = s;
	b->n += len;
	b->s[b->n] = '\0';
	if (!b->fn)
		return len;
	/* Streams: hand over every complete line. */
	char *nl;
	while ((nl = memchr(b->s, '\n', b->n))) {
		*nl = '\0';
		int stop = b->fn(b->s, b->ud);
		size_t rest = b->n - (size_t)(nl + 1 - b->s);
		memmove(b->s, nl + 1, rest);
		b->n = rest;
		b->s[b->n] = '\0';
		if (stop) {
			b->stopped = true;
			return 0;       /* ends the transfer */
		}
	}
	return len;
}

/* ---------------- HTTP/1.1 on the unix socket ----------------
 *
 * The client speaks just enough HTTP for the one server it talks to (ours,
 * libmicrohttpd): one request per connection ("Connection: close"), a body
 * framed by Content-Length, by chunks, or by the end of the connection.
 * It used libcurl, whose loading (~14 ms of the ~40 libraries of Debian's
 * build) was a third of `aspen fault` from start to the first dropped
 * packet; a request on a local socket needs none of it. */

struct api_conn {
	int fd;
	char buf[16384];
	size_t off, len;                /* unread bytes: buf[off..len) */
	volatile sig_atomic_t *stop;
	bool eof;
};

/* More bytes into c->buf. 1, 0 at the end of the stream, -1 with errno
 * (EINTR when *stop became nonzero). */
static int api_conn_fill(struct api_conn *c)
{
	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return errno = E2BIG, -1;
	for (;;) {
		if (c->stop && *c->stop)
			return errno = EINTR, -1;
		/* A stream that can be stopped wakes up now and then to look at
		 * *stop: a signal may land just before the call blocks. */
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, c->stop ? 100 : -1);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		c->len += (size_t)n;
		return 1;
	}
}

/* One line ending in CRLF (or LF), without it, into line. 0, or -1. */
static int api_conn_line(struct api_conn *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl) {
			size_t n = (size_t)(nl - (c->buf + c->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= cap)
				return errno = EPROTO, -1;
			memcpy(line, c->buf + c->off, n);
			line[n] = '\0';
			c->off = (size_t)(nl + 1 - c->buf);
			return 0;
		}
		int r = api_conn_fill(c);
		if (r <= 0)
			return r == 0 ? (errno = EPROTO, -1) : -1;
	}
}

/* Up to want bytes of body (SIZE_MAX: to the end) to b. 0, 1 when b's fn
 * stopped it, -1 with errno. */
static int api_conn_body(struct api_conn *c, size_t want, struct api_buf *b)
{
	while (want > 0) {
		if (c->off == c->len) {
			int r = api_conn_fill(c);
			if (r < 0)
				return -1;
			if (r == 0)
				return want == SIZE_MAX ? 0 : (errno = EPROTO, -1);
		}
		size_t n = c->len - c->off;
		if (n > want)
			n = want;
		if (api_client_write(c->buf + c->off, n, b) != n)
			return b->stopped ? 1 : (errno = ENOMEM, -1);
		c->off += n;
		if (want != SIZE_MAX)
			want -= n;
	}
	return 0;
}

/* The whole request out; MSG_NOSIGNAL: a server gone is an error, not a
 * SIGPIPE. */
static int api_conn_send(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int api_client_do(const char *sock, const char *method, const char *path, const char *body,
			 struct api_buf *b, long *status, struct rt_err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(sock) >= sizeof(sa.sun_path))
		return rt_errf(e, ENAMETOOLONG, "control API: socket path too long: %s", sock);
	strcpy(sa.sun_path, sock);
	struct api_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return rt_errf(e, ENOMEM, "control API: out of memory");
	c->stop = b->stop;
	size_t blen = body ? strlen(body) : 0;
	char head[1024];
	int hl = snprintf(head, sizeof(head),
			  "%s %s HTTP/1.1\r\nHost: aspen\r\nConnection: close\r\n"
			  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			  method, path, blen);
	int rc = -1;
	const char *what = "connect";
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (hl < 0 || (size_t)hl >= sizeof(head)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	what = "send";
	if (api_conn_send(c->fd, head, (size_t)hl) < 0 || (blen && api_conn_send(c->fd, body, blen) < 0))
		goto out;
	/* Status line and headers. */
	what = "answer";
	char line[1024];
	int major, minor;
	if (api_conn_line(c, line, sizeof(line)) < 0)
		goto out;
	if (sscanf(line, "HTTP/%d.%d %ld", &major, &minor, status) != 3) {
		errno = EPROTO;
		goto out;
	}
	size_t clen = SIZE_MAX;
	bool chunked = false;
	for (;;) {
		if (api_conn_line(c, line, sizeof(line)) < 0)
			goto out;
		if (!line[0])
			break;
		char *v = strchr(line, ':');
		if (!v)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (!strcasecmp(line, "Content-Length"))
			clen = (size_t)strtoull(v, NULL, 10);
		else if (!strcasecmp(line, "Transfer-Encoding") && strstr(v, "chunked"))
			chunked = true;
	}
	if (!strcmp(method, "HEAD") || *status == 204 || *status == 304) {
		rc = 0;
		goto out;
	}
	int r;
	if (!chunked) {
		r = api_conn_body(c, clen, b);
	} else {
		for (;;) {
			if (api_conn_line(c, line, sizeof(line)) < 0) {
				r = -1;
				break;
			}
			char *end;
			size_t n = (size_t)strtoull(line, &end, 16);
			if (end == line) {
				errno = EPROTO;
				r = -1;
				break;
			}
			if (n == 0) {
				r = 0;          /* trailers and the final CRLF: the connection closes */
				break;
			}
			r = api_conn_body(c, n, b);
			if (r != 0)
				break;
			if (api_conn_line(c, line, sizeof(line)) < 0) {   /* the chunk's CRLF */
				r = -1;
				break;
			}
		}
	}
	if (r >= 0)
		rc = 0;
out:
	if (rc < 0 && errno == EINTR && b->stop && *b->stop)
		rc = 0;                 /* stopped by the caller's signal */
	if (rc < 0)
		rt_errf(e, errno ? errno : EIO, "control API %s %s on %s: %s: %s", method, path, sock,
			what, strerror(errno ? errno : EIO));
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}

int api_client_call(const char *sock, const char *method, const char *path, const char *body,
		    long *status, cJSON **out, struct rt_err *e)
{
	struct api_buf b = {0};
	*out = NULL;
	*status = 0;
	int rc = api_client_do(sock, method, path, body, &b, status, e);
	if (rc == 0 && b.s)
		*out = cJSON_Parse(b.s);
	free(b.s);
	return rc;
}

int api_client_follow(const char *sock, const char *path, int (*fn)(const char *line, void *ud),
		      void *ud, volatile sig_atomic_t *stop, struct rt_err *e)
{
	struct api_buf b = {.fn = fn, .ud = ud, .stop = stop};
	long status = 0;
	int rc = api_client_do(sock, "GET", path, NULL, &b, &status, e);
	free(b.s);
	if (rc == 0 && status && status != 200)
		return rt_errf(e, EIO, "control API GET %s: status %ld", path, status);
	return rc;
}

const char *api_client_error(const cJSON *o, long status, char *buf, size_t len)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "error"));
	if (m)
		return m;
	snprintf(buf, len, "the control API answered status %ld", status);
	return buf;
}


static uint64_t api_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

int api_event_from_json(const cJSON *o, struct sched_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "event"));
	int k = -1;
	for (size_t i = 0; name && i < SCHED_EV__COUNT; i++)
		if (!strcmp(name, sched_ev_names[i]))
			k = (int)i;
	if (k < 0)
		return -1;
	ev->ev = (enum sched_ev)k;
	ev->key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "key"));
	ev->kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "kind"));
	ev->desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "desc"));
	ev->err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k == SCHED_EV_SKIPPED ? "reason" : "error"));
	ev->scheduled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "scheduled"));
	const char *during = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "during"));
	ev->revert = during && !strcmp(during, "revert");
	ev->at_us = api_num(o, "at_us");
	ev->t_us = api_num(o, "t_us");
	ev->cost_us = api_num(o, "cost_us");
	ev->unix_us = api_num(o, "unix_us");
	ev->n = (size_t)(ev->ev == SCHED_EV_START ? api_num(o, "entries") :
			 ev->ev == SCHED_EV_SIGNAL ? api_num(o, "active") : api_num(o, "applied"));
	const char *sig = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "signal"));
	ev->signal = sig && !strcmp(sig, "SIGINT") ? SIGINT : sig && !strcmp(sig, "SIGTERM") ? SIGTERM : 0;
	return 0;
}
