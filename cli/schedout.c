/* schedout.c — how the fault schedule reads as it runs.
 *
 * Text: one line per event, the offset being the actual time since t0,
 *   +5.000s partition [node1] | [node2 node3] applied (0.4 ms)
 *   +9.000s partition [node1] | [node2 node3] reverted (0.3 ms)
 * with --verbose adding the fault's key and its lateness |actual - scheduled|.
 * JSON (--json, and always for --events FILE): sched_event_json() lines,
 * so a program reading the stream and one reading the file see the same
 * objects. The matrix, when asked for, follows each fault event. */
#include "cli/schedout.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/server.h"
#include "runtime/matrix.h"

bool cli_utf8(void)
{
	const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

int schedout_open_events(struct schedout *so, const char *path, struct rt_err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return rt_errf(e, errno, "--events %s: %s", path, strerror(errno));
	so->events = fdopen(fd, "a");
	if (!so->events) {
		close(fd);
		return rt_errf(e, errno, "--events %s: %s", path, strerror(errno));
	}
	return 0;
}

void schedout_close(struct schedout *so)
{
	if (so->events)
		fclose(so->events);
	so->events = NULL;
}

int schedout_exit_status(const struct sched_result *res)
{
	if (res->signal == SIGINT)
		return SCHED_EXIT_SIGINT;
	if (res->signal == SIGTERM)
		return SCHED_EXIT_SIGTERM;
	return 1;
}

static void schedout_line(struct schedout *so, const char *json)
{
	if (so->pr->json) {
		fprintf(so->pr->out, "%s\n", json);
		fflush(so->pr->out);
	}
	if (so->events) {
		fprintf(so->events, "%s\n", json);
		fflush(so->events);
	}
}

static void schedout_text(struct schedout *so, const struct sched_event *ev)
{
	FILE *out = so->pr->out;
	char off[32] = "", extra[160] = "";
	snprintf(off, sizeof(off), "+%llu.%03llus", (unsigned long long)(ev->t_us / 1000000u),
		 (unsigned long long)(ev->t_us / 1000u % 1000u));
	if (so->verbose && ev->key) {
		uint64_t late = ev->t_us > ev->at_us ? ev->t_us - ev->at_us : ev->at_us - ev->t_us;
		bool timed = ev->ev == SCHED_EV_APPLIED || (ev->ev == SCHED_EV_REVERTED && ev->scheduled);
		if (timed)
			snprintf(extra, sizeof(extra), " [%s, late %.3f ms]", ev->key, (double)late / 1000.0);
		else
			snprintf(extra, sizeof(extra), " [%s]", ev->key);
	}
	const char *g = "", *r = "", *off_c = "";
	if (so->pr->color) {
		g = "\033[32m";
		r = "\033[31m";
		off_c = "\033[0m";
	}
	double ms = (double)ev->cost_us / 1000.0;
	switch (ev->ev) {
	case SCHED_EV_START:
		fprintf(out, "Fault schedule: %zu event%s (Ctrl-C reverts the active faults)\n", ev->n,
			ev->n == 1 ? "" : "s");
		break;
	case SCHED_EV_APPLIED:
		fprintf(out, "  %s %s%s%s applied (%.1f ms)%s\n", off, r, ev->desc, off_c, ms, extra);
		break;
	case SCHED_EV_REVERTED:
		if (ev->scheduled)
			fprintf(out, "  %s %s%s%s reverted (%.1f ms)%s\n", off, g, ev->desc, off_c, ms, extra);
		else
			fprintf(out, "  reverted %s%s%s (%.1f ms)%s\n", g, ev->desc ? ev->desc : "?", off_c,
				ms, extra);
		break;
	case SCHED_EV_LEFTOVER:
		fprintf(out, "  reverted %s, left active by an earlier run (%s)\n",
			ev->desc ? ev->desc : "?", ev->key ? ev->key : "?");
		break;
	case SCHED_EV_FAILED:
		fprintf(out, "  %s %s%s FAILED%s: %s\n", ev->revert ? "" : off,
			ev->desc ? ev->desc : "?", r, off_c, ev->err ? ev->err : "?");
		break;
	case SCHED_EV_SKIPPED:
		fprintf(out, "  %s %s skipped: %s\n", off, ev->desc ? ev->desc : "?",
			ev->err ? ev->err : "?");
		break;
	case SCHED_EV_SIGNAL:
		fprintf(out, "  %s %s: reverting %zu active fault%s\n", off,
			ev->signal == SIGINT ? "SIGINT" : "SIGTERM", ev->n, ev->n == 1 ? "" : "s");
		break;
	case SCHED_EV_DONE:
		break;
	}
	fflush(out);
}

void schedout_event(const struct sched_event *ev, void *ud)
{
	struct schedout *so = ud;
	if (so->pr->json || so->events) {
		char *s = sched_event_json(ev);
		schedout_line(so, s);
		cJSON_free(s);
	}
	if (!so->pr->json && (!so->pr->quiet || ev->ev == SCHED_EV_FAILED))
		schedout_text(so, ev);
	bool fault_ev = ev->ev == SCHED_EV_APPLIED || ev->ev == SCHED_EV_REVERTED;
	if (so->matrix && fault_ev) {
		struct rt_err e;
		if (schedout_matrix(so, &e) < 0)
			fprintf(stderr, "aspen: matrix: %s\n", e.msg);
	}
}

int schedout_matrix(struct schedout *so, struct rt_err *e)
{
	struct matrix m;
	if (matrix_from_journal(&so->c->journal, &m, e) < 0)
		return -1;
	if (matrix_measure(&m, 0, 0, e) < 0) {
		matrix_free(&m);
		return -1;
	}
	if (so->pr->json || so->events) {
		cJSON *o = matrix_json(&m);
		cJSON *ev = cJSON_CreateString("matrix");
		cJSON_AddItemToObject(o, "event", ev);
		char clock[40];
		uint64_t us = sched_unix_us();
		snprintf(clock, sizeof(clock), "%llu", (unsigned long long)us);
		cJSON_AddRawToObject(o, "unix_us", clock);
		sched_fmt_time(us, clock, sizeof(clock));
		cJSON_AddStringToObject(o, "time", clock);
		char *s = cJSON_PrintUnformatted(o);
		schedout_line(so, s);
		cJSON_free(s);
		cJSON_Delete(o);
	}
	if (!so->pr->json) {
		matrix_print(&m, so->pr->out, cli_utf8(), "      ");
		fflush(so->pr->out);
	}
	matrix_free(&m);
	return 0;
}

uint64_t schedout_span_us(const struct topology *t)
{
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	uint64_t end = 0;
	for (size_t i = 0; i < p.n_timeline; i++)
		if (p.timeline[i].at_us > end)
			end = p.timeline[i].at_us;
	plan_free(&p);
	return end;
}

int schedout_run_until(struct rt_ctx *c, const struct topology *t, volatile sig_atomic_t *stop,
		       struct api_server *srv, const struct schedout_run *run, struct rt_err *e)
{
	if (sched_check(t, NULL, e) < 0)
		return -1;
	struct progress pr;
	progress_init(&pr, stderr, false, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, false, c};
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	struct sched_opts o = {.on_event = schedout_event, .ud = &so, .stop = stop};
	if (run && run->on_event) {
		o.on_event = run->on_event;
		o.ud = run->ud;
	}
	if (srv) {
		o.on_event = api_server_event;
		o.ud = srv;
		o.io = api_server_io(srv);
	}
	o.t0_us = run ? run->t0_us : 0;
	o.t0_unix_us = run ? run->t0_unix_us : 0;
	struct sched_result res, *rp = run && run->res ? run->res : &res;
	int rc = sched_run(c, t, p.timeline, p.n_timeline, &o, rp, e);
	plan_free(&p);
	return rc;
}
