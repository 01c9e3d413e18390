/* client.c — requests to the control API of the aspen holding a topology
 * (see client.h). */
#include "api/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/route.h"
#include "runtime/curl.h"   /* libcurl, loaded at first use */
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

static size_t api_client_write(char *p, size_t size, size_t n, void *ud)
{
	struct api_buf *b = ud;
	size_t len = size * n;
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

static int api_client_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	struct api_buf *buf = ud;
	return buf->stop && *buf->stop;
}

static int api_client_do(const char *sock, const char *method, const char *path, const char *body,
			 struct api_buf *b, long *status, struct rt_err *e)
{
	if (rtcurl_load(e) < 0)
		return -1;
	CURL *h = curl_easy_init();
	if (!h)
		return rt_errf(e, ENOMEM, "control API: cannot start libcurl");
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof(url), "http://aspen%s", path);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, api_client_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (b->stop) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, api_client_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, b);
	}
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && b->stopped) ||
	    (rc == CURLE_ABORTED_BY_CALLBACK && b->stop && *b->stop))
		return 0;
	return rt_errf(e, ECONNREFUSED, "control API %s %s on %s: %s", method, path, sock,
		       errbuf[0] ? errbuf : curl_easy_strerror(rc));
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
