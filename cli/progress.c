/* progress.c — how apply and destroy report actions as they complete.
 *
 * Three renderings of the same runtime events: on a TTY a status line that
 * rewrites itself while the action runs and leaves one line per completed
 * action; when piped, plain lines only; with --json, one JSON object per
 * line (the event stream a program reads). */
#include "cli/progress.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/schedule.h"

static const char *op_sign(const struct action *a)
{
	if (a->phase == PHASE_DELETE)
		return "-";
	switch (a->op) {
	case ACT_CREATE: return "+";
	case ACT_UPDATE: return "~";
	case ACT_REPLACE: return "+";
	case ACT_DELETE: return "-";
	}
	return "?";
}

static const char *op_word(const struct action *a)
{
	if (a->phase == PHASE_DELETE)
		return "delete";
	return a->op == ACT_UPDATE ? "update" : "create";
}

static const char *act_id(const struct action *a)
{
	return (a->phase == PHASE_DELETE ? a->observed : a->desired)->id;
}

void progress_clock_kv(char *buf, size_t len)
{
	uint64_t us = sched_unix_us();
	char t[40];
	sched_fmt_time(us, t, sizeof(t));
	snprintf(buf, len, "\"unix_us\":%" PRIu64 ",\"time\":\"%s\"", us, t);
}

void progress_init(struct progress *p, FILE *out, bool json, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->json = json;
	p->quiet = quiet;
	p->tty = !json && isatty(fileno(out));
	p->color = p->tty && cli_out.color;
}

void progress_event(const struct rt_event *ev, void *ud)
{
	struct progress *p = ud;
	const struct action *a = ev->action;
	if (p->json) {
		if (ev->kind == RT_EV_START)
			return;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "event", ev->kind == RT_EV_DONE ? "action" : "action_failed");
		cJSON_AddStringToObject(o, "op", op_word(a));
		cJSON_AddStringToObject(o, "id", act_id(a));
		cJSON_AddNumberToObject(o, "index", (double)ev->index);
		cJSON_AddNumberToObject(o, "total", (double)ev->total);
		cJSON_AddNumberToObject(o, "elapsed_us", (double)ev->elapsed_us);
		if (ev->err)
			cJSON_AddStringToObject(o, "error", ev->err);
		char clock[96];
		uint64_t us = sched_unix_us();
		snprintf(clock, sizeof(clock), "%" PRIu64, us);
		cJSON_AddRawToObject(o, "unix_us", clock);
		sched_fmt_time(us, clock, sizeof(clock));
		cJSON_AddStringToObject(o, "time", clock);
		char *s = cJSON_PrintUnformatted(o);
		fprintf(p->out, "%s\n", s);
		fflush(p->out);
		cJSON_free(s);
		cJSON_Delete(o);
		return;
	}
	if (p->quiet && ev->kind != RT_EV_FAIL)
		return;
	int w = ev->total >= 100 ? 3 : ev->total >= 10 ? 2 : 1;
	if (ev->kind == RT_EV_START) {
		if (p->tty) {
			fprintf(p->out, "\r\033[K  [%*zu/%zu] %s %s ...", w, ev->index, ev->total,
				op_sign(a), act_id(a));
			fflush(p->out);
		}
		return;
	}
	const char *g = "", *off = "";
	if (p->color) {
		off = "\033[0m";
		g = ev->kind == RT_EV_FAIL ? "\033[31m" : a->phase == PHASE_DELETE ? "\033[31m" :
		    a->op == ACT_UPDATE ? "\033[33m" : "\033[32m";
	}
	fprintf(p->out, "%s  [%*zu/%zu] %s%s %s%s (%.1f ms)%s%s\n", p->tty ? "\r\033[K" : "", w,
		ev->index, ev->total, g, op_sign(a), act_id(a), off, (double)ev->elapsed_us / 1000.0,
		ev->kind == RT_EV_FAIL ? " FAILED" : "", "");
	fflush(p->out);
}

void progress_json(FILE *out, const char *event, const char *fmt_kv_json)
{
	char clock[96];
	progress_clock_kv(clock, sizeof(clock));
	fprintf(out, "{\"event\":\"%s\"%s%s,%s}\n", event, fmt_kv_json && *fmt_kv_json ? "," : "",
		fmt_kv_json ? fmt_kv_json : "", clock);
	fflush(out);
}
