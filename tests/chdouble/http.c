/* http.c — HTTP/1.1 on the API socket, shaped like CH's micro_http.
 *
 * What a client can observe of micro_http (the version v48 pins) is kept:
 * only GET, PUT and PATCH parse; a request line or header line may not
 * exceed 1024 bytes; bodies come only with Content-Length (at most 51200
 * bytes); "Transfer-Encoding: chunked" is accepted as a header but never
 * decoded, so a chunked body reaches the parser as the next request line and
 * is refused there; "Expect: 100-continue" is answered with a 100; every
 * response says "Connection: keep-alive"; a 204 carries no Content-Length;
 * the 11th simultaneous connection gets a 503 and is closed. Parse errors
 * are answered 400 with micro_http's own (not quite JSON) body. After a
 * parse error this server closes the connection, where micro_http would
 * keep reading a stream it can no longer frame. */
#include "tests/chdouble/chd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_LINE_MAX 1024
#define HTTP_BODY_MAX 51200

enum http_state { ST_LINE, ST_HEADERS, ST_BODY };

struct http_conn {
	int fd;
	char *buf;
	size_t len, cap;
	enum http_state st;
	struct http_req cur;
	uint32_t clen;
};

const char *http_method_name(enum http_method m)
{
	return m == HM_GET ? "GET" : m == HM_PUT ? "PUT" : "PATCH";
}

struct http_conn *http_conn_new(int fd)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->fd = fd;
	return c;
}

void http_req_clear(struct http_req *req)
{
	free(req->path);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

void http_conn_free(struct http_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	http_req_clear(&c->cur);
	free(c->buf);
	free(c);
}

int http_conn_fd(const struct http_conn *c)
{
	return c->fd;
}

static int http_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int http_send_raw(int fd, int status, const char *server, const char *body)
{
	char head[256];
	int n;
	if (status == 204 || status == 100)
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d \r\nServer: %s\r\nConnection: keep-alive\r\n\r\n",
			     status, server);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d \r\nServer: %s\r\nConnection: keep-alive\r\n"
			     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			     status, server, body ? strlen(body) : 0);
	if (http_write_all(fd, head, (size_t)n))
		return -1;
	return body && status != 204 ? http_write_all(fd, body, strlen(body)) : 0;
}

int http_send(int fd, const struct http_resp *r)
{
	return http_send_raw(fd, r->status, "Cloud Hypervisor API", r->body);
}

void http_server_full(int fd)
{
	static const char msg[] = "HTTP/1.1 503\r\nServer: Firecracker API\r\nConnection: close\r\n"
				  "Content-Length: 40\r\n\r\n{ \"error\": \"Too many open connections\" }";
	http_write_all(fd, msg, sizeof(msg) - 1);
}

static int http_parse_error(struct http_conn *c, const char *msg)
{
	char body[2400];
	snprintf(body, sizeof(body), "{ \"error\": \"%s\nAll previous unanswered requests will be dropped.\" }",
		 msg);
	chd_log(CHD_WARN, "request refused by the HTTP parser: %s", msg);
	http_send_raw(c->fd, 400, "Firecracker API", body);
	return -1;
}

static void http_consume(struct http_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static char *http_find_crlf(struct http_conn *c)
{
	for (size_t i = 0; i + 1 < c->len; i++)
		if (c->buf[i] == '\r' && c->buf[i + 1] == '\n')
			return c->buf + i;
	return NULL;
}

/* micro_http's Uri::get_abs_path */
static char *http_abs_path(const char *uri)
{
	if (strncmp(uri, "http://", 7) == 0) {
		const char *slash = strchr(uri + 7, '/');
		return strdup(slash ? slash : "");
	}
	return strdup(uri[0] == '/' ? uri : "");
}

static int http_request_line(struct http_conn *c, char *line)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2)
		return http_parse_error(c, "Invalid request.");
	*sp1 = *sp2 = '\0';
	const char *m = line, *uri = sp1 + 1, *ver = sp2 + 1;
	if (strcmp(m, "GET") == 0)
		c->cur.method = HM_GET;
	else if (strcmp(m, "PUT") == 0)
		c->cur.method = HM_PUT;
	else if (strcmp(m, "PATCH") == 0)
		c->cur.method = HM_PATCH;
	else
		return http_parse_error(c, "Invalid HTTP Method: Unsupported HTTP method.");
	if (!*uri)
		return http_parse_error(c, "Invalid URI: Empty URI not allowed.");
	if (strcmp(ver, "HTTP/1.0") != 0 && strcmp(ver, "HTTP/1.1") != 0)
		return http_parse_error(c, "Invalid HTTP Version: Unsupported HTTP version.");
	c->cur.path = http_abs_path(uri);
	c->clen = 0;
	c->st = ST_HEADERS;
	return 0;
}

static void http_trim(char **s)
{
	while (isspace((unsigned char)**s))
		(*s)++;
	size_t n = strlen(*s);
	while (n > 0 && isspace((unsigned char)(*s)[n - 1]))
		(*s)[--n] = '\0';
}

static int http_header(struct http_conn *c, char *line)
{
	char *colon = strchr(line, ':'), msg[2200];
	if (!colon) {
		snprintf(msg, sizeof(msg), "Invalid header. Reason: Header is incorrectly formatted. Key: %s", line);
		return http_parse_error(c, msg);
	}
	*colon = '\0';
	char *name = line, *raw = colon + 1, *val = raw;
	char rawcopy[HTTP_LINE_MAX + 1];
	snprintf(rawcopy, sizeof(rawcopy), "%s", raw);
	http_trim(&name);
	http_trim(&val);
	if (strcasecmp(name, "content-length") == 0) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(val, &end, 10);
		if (!*val || *end || errno || v > UINT32_MAX || val[0] == '-' || val[0] == '+') {
			snprintf(msg, sizeof(msg), "Invalid header. Reason: Invalid value. Key:%s; Value:%s",
				 line, rawcopy);
			return http_parse_error(c, msg);
		}
		c->clen = (uint32_t)v;
	} else if (strcasecmp(name, "expect") == 0 && strcmp(val, "100-continue") == 0) {
		/* answered once the headers are complete */
		c->cur.has_body = true;         /* marker, reset below */
	} else if (strcasecmp(name, "accept-encoding") == 0 && strstr(val, "identity;q=0")) {
		snprintf(msg, sizeof(msg), "Invalid header. Reason: Invalid value. Key:Accept-Encoding; Value:%s",
			 val);
		return http_parse_error(c, msg);
	}
	/* chunked, Content-Type, Accept, unknown headers: accepted and ignored */
	return 0;
}

static int http_headers_done(struct http_conn *c)
{
	bool expect = c->cur.has_body;
	c->cur.has_body = false;
	if (c->clen == 0) {
		c->st = ST_LINE;
		return 1;
	}
	if (c->clen > HTTP_BODY_MAX) {
		char msg[200];
		snprintf(msg, sizeof(msg), "Request payload with size %u is larger than the limit of %d "
			 "allowed by server.", c->clen, HTTP_BODY_MAX);
		return http_parse_error(c, msg);
	}
	if (expect)
		http_send_raw(c->fd, 100, "Firecracker API", NULL);
	c->st = ST_BODY;
	return 0;
}

/* One parsing step: 1 request ready, 0 need more bytes, 2 progressed, -1 error. */
static int http_step(struct http_conn *c)
{
	if (c->st == ST_BODY) {
		if (c->len < c->clen)
			return 0;
		c->cur.body = malloc(c->clen + 1);
		if (!c->cur.body)
			abort();
		memcpy(c->cur.body, c->buf, c->clen);
		c->cur.body[c->clen] = '\0';
		c->cur.body_len = c->clen;
		c->cur.has_body = true;
		http_consume(c, c->clen);
		c->st = ST_LINE;
		return 1;
	}
	char *crlf = http_find_crlf(c);
	if (!crlf) {
		if (c->len >= HTTP_LINE_MAX)
			return http_parse_error(c, c->st == ST_LINE ? "Invalid request." :
						"Invalid header. Reason: Invalid content length. Header: (too long)");
		return 0;
	}
	size_t n = (size_t)(crlf - c->buf);
	char line[HTTP_LINE_MAX + 1];
	if (n > HTTP_LINE_MAX)
		return http_parse_error(c, "Invalid request.");
	memcpy(line, c->buf, n);
	line[n] = '\0';
	http_consume(c, n + 2);
	if (c->st == ST_LINE)
		return http_request_line(c, line) ? -1 : 2;
	if (n == 0)
		return http_headers_done(c) < 0 ? -1 : (c->st == ST_LINE ? 1 : 2);
	return http_header(c, line) ? -1 : 2;
}

static int http_parse(struct http_conn *c, struct http_req *req)
{
	for (;;) {
		int r = http_step(c);
		if (r == 1) {
			*req = c->cur;
			memset(&c->cur, 0, sizeof(c->cur));
			return 1;
		}
		if (r <= 0)
			return r;
	}
}

int http_conn_read(struct http_conn *c, struct http_req *req)
{
	int r = http_parse(c, req);     /* pipelined bytes first */
	if (r != 0)
		return r;
	if (c->cap - c->len < 4096) {
		c->cap = c->cap ? c->cap * 2 : 8192;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf)
			abort();
	}
	ssize_t got = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0)
		return -1;
	c->len += (size_t)got;
	return http_parse(c, req);
}
