/* ch_client.c — Cloud Hypervisor REST API over a unix socket (see ch_client.h).
 *
 * Every call goes through ch_request(): set method, URL and body on the one
 * easy handle, perform, then turn the outcome into either the response body
 * or an rt_err. Transport failures are named with the socket path (libcurl's
 * own "Couldn't connect to server" does not say which), API failures with
 * the endpoint, the status and CH's error chain joined outermost first. */
#include "runtime/ch_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/curl.h"

struct ch {
	CURL *curl;
	struct curl_slist *hdr_json, *hdr_empty;
	char *path;
	long connect_ms, request_ms;
	int last_status;
	char errbuf[CURL_ERROR_SIZE];
};

struct ch_buf {
	char *p;
	size_t n;
};

static size_t ch_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ch_buf *b = arg;
	size_t n = size * nmemb;
	char *p = realloc(b->p, b->n + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, n);
	b->p = p;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

int ch_open(struct ch **out, const char *socket_path, struct rt_err *e)
{
	*out = NULL;
	/* libcurl is loaded here, at the first VM: see curl.h. */
	if (rtcurl_load(e) < 0)
		return -1;
	struct ch *ch = calloc(1, sizeof(*ch));
	if (!ch || !(ch->path = strdup(socket_path)) || !(ch->curl = curl_easy_init())) {
		ch_close(ch);
		return rt_errf(e, ENOMEM, "ch: %s: cannot set up a client", socket_path);
	}
	ch->connect_ms = CH_DEFAULT_CONNECT_MS;
	ch->request_ms = CH_DEFAULT_REQUEST_MS;
	/* "Expect:" off: bodies go in one write; "Content-Type:" drops curl's form type */
	ch->hdr_json = curl_slist_append(NULL, "Content-Type: application/json");
	ch->hdr_json = curl_slist_append(ch->hdr_json, "Expect:");
	ch->hdr_empty = curl_slist_append(NULL, "Content-Type:");
	ch->hdr_empty = curl_slist_append(ch->hdr_empty, "Expect:");
	if (!ch->hdr_json || !ch->hdr_empty) {
		ch_close(ch);
		return rt_errf(e, ENOMEM, "ch: %s: out of memory", socket_path);
	}
	curl_easy_setopt(ch->curl, CURLOPT_UNIX_SOCKET_PATH, ch->path);
	curl_easy_setopt(ch->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ch->curl, CURLOPT_ERRORBUFFER, ch->errbuf);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEFUNCTION, ch_write_cb);
	*out = ch;
	return 0;
}

void ch_close(struct ch *ch)
{
	if (!ch)
		return;
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	curl_slist_free_all(ch->hdr_json);
	curl_slist_free_all(ch->hdr_empty);
	free(ch->path);
	free(ch);
}

void ch_set_timeouts(struct ch *ch, long connect_ms, long request_ms)
{
	if (connect_ms > 0)
		ch->connect_ms = connect_ms;
	if (request_ms > 0)
		ch->request_ms = request_ms;
}

int ch_last_status(const struct ch *ch)
{
	return ch->last_status;
}

/* micro_http's parse-error body is {"error": "...\n..."} with a raw newline:
 * not JSON, so it is cut out by hand. */
static void ch_error_object(const char *body, char *out, size_t n)
{
	const char *k = strstr(body, "\"error\"");
	const char *q = k ? strchr(k + 7, '"') : NULL;
	const char *end = q ? strrchr(q + 1, '"') : NULL;
	if (!q || !end || end <= q) {
		snprintf(out, n, "%s", body);
		return;
	}
	snprintf(out, n, "%.*s", (int)(end - q - 1), q + 1);
}

/* CH's error body as one line: the array joined with ": ". */
static void ch_error_text(const char *body, char *out, size_t n)
{
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	size_t k = 0;
	out[0] = '\0';
	if (cJSON_IsArray(j)) {
		const cJSON *s;
		cJSON_ArrayForEach(s, j) {
			if (cJSON_IsString(s) && k < n)
				k += (size_t)snprintf(out + k, n - k, "%s%s", k ? ": " : "", s->valuestring);
		}
	} else if (cJSON_IsString(cJSON_GetObjectItem(j, "error"))) {
		snprintf(out, n, "%s", cJSON_GetObjectItem(j, "error")->valuestring);
	} else if (body && *body) {
		ch_error_object(body, out, n);
	} else {
		snprintf(out, n, "(no error text)");
	}
	cJSON_Delete(j);
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static int ch_transport_error(struct ch *ch, const char *ep, CURLcode rc, long timeout_ms, struct rt_err *e)
{
	long oserr = 0;
	curl_easy_getinfo(ch->curl, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return rt_errf(e, oserr ? (int)oserr : ECONNREFUSED, "%s: cannot connect to %s: %s", ep, ch->path,
			       strerror(oserr ? (int)oserr : ECONNREFUSED));
	case CURLE_OPERATION_TIMEDOUT:
		return rt_errf(e, ETIMEDOUT, "%s: no answer from %s within %ld ms", ep, ch->path, timeout_ms);
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return rt_errf(e, ECONNRESET, "%s: %s closed the connection without an answer "
			       "(did the VMM exit?)", ep, ch->path);
	default:
		return rt_errf(e, EPROTO, "%s: %s: %s", ep, ch->path,
			       ch->errbuf[0] ? ch->errbuf : curl_easy_strerror(rc));
	}
}

/* One request. body may be NULL (then PUT sends Content-Length: 0). On
 * success *resp (if resp) gets the response body or NULL. */
static int ch_request(struct ch *ch, const char *method, const char *ep, const char *body,
		      long timeout_ms, char **resp, struct rt_err *e)
{
	char url[128];
	struct ch_buf b = {0};
	snprintf(url, sizeof(url), "http://localhost/api/v1/%s", ep);
	CURL *c = ch->curl;
	ch->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ch->connect_ms < timeout_ms ? ch->connect_ms : timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, body ? ch->hdr_json : ch->hdr_empty);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		free(b.p);
		return ch_transport_error(ch, ep, rc, timeout_ms, e);
	}
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	ch->last_status = (int)status;
	if (status == 200 || status == 204) {
		if (resp)
			*resp = b.p;
		else
			free(b.p);
		return 0;
	}
	char text[900];
	ch_error_text(b.p, text, sizeof(text));
	free(b.p);
	return rt_errf(e, 0, "%s failed (%ld): %s", ep, status, text);
}

static int ch_put(struct ch *ch, const char *ep, struct rt_err *e)
{
	return ch_request(ch, "PUT", ep, NULL, ch->request_ms, NULL, e);
}

static int ch_ping_within(struct ch *ch, struct ch_ping *out, long timeout_ms, struct rt_err *e)
{
	char *body = NULL;
	if (ch_request(ch, "GET", "vmm.ping", NULL, timeout_ms, &body, e))
		return -1;
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	free(body);
	const cJSON *v = cJSON_GetObjectItem(j, "version");
	if (!cJSON_IsString(v)) {   /* "version" is the one required field */
		cJSON_Delete(j);
		return rt_errf(e, EPROTO, "vmm.ping: %s answered without a version", ch->path);
	}
	if (out) {
		const cJSON *bv = cJSON_GetObjectItem(j, "build_version"), *pid = cJSON_GetObjectItem(j, "pid");
		memset(out, 0, sizeof(*out));
		snprintf(out->version, sizeof(out->version), "%s", v->valuestring);
		snprintf(out->build_version, sizeof(out->build_version), "%s",
			 cJSON_IsString(bv) ? bv->valuestring : "");
		out->pid = cJSON_IsNumber(pid) ? (long)pid->valuedouble : 0;
	}
	cJSON_Delete(j);
	return 0;
}

int ch_ping(struct ch *ch, struct ch_ping *out, struct rt_err *e)
{
	return ch_ping_within(ch, out, ch->request_ms, e);
}

static long ch_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Sleep ms, or less when the process behind pidfd exits (it becomes
 * readable). True when it exited. */
static bool ch_pause_or_exit(int pidfd, long ms)
{
	if (pidfd < 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		return false;
	}
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;
	while ((r = poll(&p, 1, (int)ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

int ch_wait_ready_pid(struct ch *ch, long timeout_ms, int pidfd, struct rt_err *e)
{
	long deadline = ch_now_ms() + timeout_ms, pause_ms = 5;
	struct rt_err last = {0};
	for (;;) {
		long left = deadline - ch_now_ms();
		if (left <= 0)
			break;
		if (ch_ping_within(ch, NULL, left < ch->request_ms ? left : ch->request_ms, &last) == 0)
			return 0;
		left = deadline - ch_now_ms();
		if (left <= 0)
			break;
		/* A VMM that failed at start (no KVM, a bad flag) exits before it
		 * binds its socket: waiting out the deadline would tell nothing. */
		if (ch_pause_or_exit(pidfd, pause_ms < left ? pause_ms : left))
			return rt_errf(e, ECHILD, "vmm.ping: the VMM exited before %s answered", ch->path);
		if (pause_ms < 100)
			pause_ms *= 2;
	}
	return rt_errf(e, ETIMEDOUT, "vmm.ping: %s did not answer within %ld ms%s%s", ch->path, timeout_ms,
		       last.msg[0] ? "; last try: " : "", last.msg);
}

int ch_wait_ready(struct ch *ch, long timeout_ms, struct rt_err *e)
{
	return ch_wait_ready_pid(ch, timeout_ms, -1, e);
}

int ch_vm_create(struct ch *ch, const cJSON *vmconfig, struct rt_err *e)
{
	char *body = cJSON_PrintUnformatted(vmconfig);
	if (!body)
		return rt_errf(e, ENOMEM, "vm.create: cannot encode the VmConfig");
	int r = ch_request(ch, "PUT", "vm.create", body, ch->request_ms, NULL, e);
	free(body);
	return r;
}

int ch_vm_boot(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.boot", e); }
int ch_vm_shutdown(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.shutdown", e); }
int ch_vm_reboot(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.reboot", e); }
int ch_vm_power_button(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.power-button", e); }
int ch_vm_pause(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.pause", e); }
int ch_vm_resume(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.resume", e); }
int ch_vm_delete(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vm.delete", e); }
/* v48 answers 200, its spec says 204: both are success. */
int ch_vmm_shutdown(struct ch *ch, struct rt_err *e) { return ch_put(ch, "vmm.shutdown", e); }

int ch_vm_info(struct ch *ch, char state_out[16], cJSON **config_out, struct rt_err *e)
{
	char *body = NULL;
	if (config_out)
		*config_out = NULL;
	if (ch_request(ch, "GET", "vm.info", NULL, ch->request_ms, &body, e))
		return -1;
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	free(body);
	const cJSON *st = cJSON_GetObjectItem(j, "state");
	if (!cJSON_IsString(st) || !cJSON_IsObject(cJSON_GetObjectItem(j, "config"))) {
		cJSON_Delete(j);
		return rt_errf(e, EPROTO, "vm.info: %s answered without config and state", ch->path);
	}
	if (state_out)
		snprintf(state_out, 16, "%s", st->valuestring);
	if (config_out)
		*config_out = cJSON_DetachItemFromObject(j, "config");
	cJSON_Delete(j);
	return 0;
}
