/* cmd_apply.c — `aspen apply FILE`: converge the live system to the file.
 *
 * Compile, lock, observe (journal + live probe), plan, execute the plan,
 * then wait for every node's health checks, then (as apply_run's `then`
 * hook, with the topology still locked) run the file's fault schedule
 * (runtime/schedule.h) unless --no-schedule. The plan that runs is the plan
 * `aspen plan` prints for the same state. A second apply of an unchanged
 * file finds nothing to do and changes nothing (and runs the schedule
 * again). Whether this machine can run every fault is checked before
 * anything changes, so a schedule never fails half way for a missing kernel
 * feature. While the schedule runs, its loop also serves the control API
 * (api/server.h) on /run/aspen/NAME/api.sock. */
#include "api/server.h"
#include "cli/apply.h"
#include "cli/artifacts.h"
#include "cli/cli.h"
#include "cli/multihost.h"
#include "cli/progress.h"
#include "cli/schedout.h"
#include "cli/wait.h"
#include "compiler/compile.h"
#include "compiler/plan.h"
#include "runtime/runtime.h"
#include "runtime/schedule.h"
#include "runtime/vm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_JSON = 1000, OPT_LOCK_TIMEOUT, OPT_NO_WAIT, OPT_STATE_DIR, OPT_NO_SCHEDULE, OPT_EVENTS,
       OPT_MATRIX, OPT_SEED, OPT_TIMINGS, OPT_ARTIFACTS, OPT_PART };

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The schedule's options. */
struct apply_sched {
	const char *events;     /* --events FILE, or NULL */
	bool matrix;
};

/* Before anything changes: every fault must be able to run here, and the
 * events file must open. Without root the check cannot probe; apply_run
 * then fails with the message that says so. */
static int apply_preflight(const char *file, const struct apply_sched *as, struct schedout *so)
{
	if (geteuid() != 0)
		return 0;
	struct topology *t = cli_load(file);
	if (!t)
		return -1;
	struct rt_err e = {0};
	int rc = 0;
	/* The controller of a multi-host topology runs no fault itself:
	 * each host checks its own kernel when it gets its part. */
	bool here = !t->n_hosts || cli_part();
	if (here && t->n_faults && sched_check(t, NULL, &e) < 0) {
		for (char *line = strtok(e.msg, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(stderr, "aspen apply: %s\n", line);
		fprintf(stderr, "aspen apply: nothing was changed; 'aspen apply --no-schedule %s' "
			"converges without running the fault schedule\n", file);
		rc = -1;
	} else if (t->n_faults && as->events && schedout_open_events(so, as->events, &e) < 0) {
		fprintf(stderr, "aspen apply: %s\n", e.msg);
		rc = -1;
	}
	topo_free(t);
	return rc;
}

/* apply_run's `then`: the converged, healthy cluster runs its timeline. */
static int apply_schedule(struct rt_ctx *rc, const struct topology *t,
			  const struct res_list *desired, void *ud)
{
	(void)desired;
	struct schedout *so = ud;
	if (t->n_faults == 0)
		return EXIT_OK;
	so->c = rc;
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	struct sched_opts o = {.on_event = schedout_event, .ud = so};
	struct sched_result res;
	struct rt_err e = {0};
	int status = EXIT_OK;
	struct api_server_opts ao = {rc, t, schedout_event, so};
	struct api_server *srv = NULL;
	if (api_server_start(&srv, &ao, &e) < 0) {
		fprintf(stderr, "aspen apply: %s; running the schedule without it\n", e.msg);
	} else {
		o.on_event = api_server_event;
		o.ud = srv;
		o.io = api_server_io(srv);
	}
	FILE *out = so->pr->out;
	if (so->matrix && !so->pr->json) {
		fprintf(out, "Reachability before the schedule:\n");
		if (schedout_matrix(so, &e) < 0)
			fprintf(stderr, "aspen apply: matrix: %s\n", e.msg);
	}
	int sr = sched_run(rc, t, p.timeline, p.n_timeline, &o, &res, &e);
	api_server_stop(srv);
	if (sr < 0) {
		fprintf(stderr, "aspen apply: %s\n", e.msg);
		if (!res.signal)
			fprintf(stderr, "aspen apply: faults that could not be reverted stay in the "
				"journal: 'aspen heal %s' retries them\n", t->name);
		status = schedout_exit_status(&res);
	} else if (!so->pr->json && !cli_out.quiet) {
		size_t apply_only = res.applied - res.reverted - res.left_active;
		if (res.applied == res.reverted)
			fprintf(out, "Schedule complete: %zu fault%s applied and reverted.\n", res.applied,
				res.applied == 1 ? "" : "s");
		else
			fprintf(out, "Schedule complete: %zu fault%s applied, %zu reverted, %zu without an "
				"inverse (kill, start, ...).\n", res.applied, res.applied == 1 ? "" : "s",
				res.reverted, apply_only);
		if (res.left_active)
			fprintf(out, "%zu fault%s without `for` stay%s active: 'aspen heal %s' reverts %s.\n",
				res.left_active, res.left_active == 1 ? "" : "s",
				res.left_active == 1 ? "s" : "", t->name, res.left_active == 1 ? "it" : "them");
	}
	plan_free(&p);
	return status;
}

/* `aspen apply --part FILE|-`: one host's part of a multi-host topology
 * (docs/multihost.md), sent by its controller. apply_run keeps the part in
 * the state dir for status and heal here; the controller runs the schedule. */
static int apply_part(struct apply_opts *o, const char *part, const struct apply_sched *as,
		      int operands)
{
	if (operands)
		return cli_usage_error("apply", "--part carries the topology: give no file beside it");
	if (cli_part_read("apply", part) < 0)
		return EXIT_ERR;
	o->file = cli_part()->file;
	struct progress pr;
	progress_init(&pr, o->out, o->json, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, false, NULL};
	if (apply_preflight(o->file, as, &so) < 0)
		return EXIT_ERR;
	schedout_close(&so);
	return apply_run(o);
}

int cmd_apply(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{"json", 0, false, OPT_JSON},
		{"lock-timeout", 0, true, OPT_LOCK_TIMEOUT},
		{"no-wait", 0, false, OPT_NO_WAIT},
		{"state-dir", 0, true, OPT_STATE_DIR},
		{"no-schedule", 0, false, OPT_NO_SCHEDULE},
		{"events", 0, true, OPT_EVENTS},
		{"matrix", 0, false, OPT_MATRIX},
		{"seed", 0, true, OPT_SEED},
		{"timings", 0, false, OPT_TIMINGS},
		{"artifacts", 0, true, OPT_ARTIFACTS},
		{"part", 0, true, OPT_PART},
		{NULL, 0, false, 0},
	};
	struct apply_opts o = {.argv = argv, .out = stdout, .wait = true};
	const char *part = NULL;
	struct apply_sched as = {NULL, false};
	bool schedule = true;
	const char *arg;
	int c, first;
	while ((c = cli_getopt("apply", argc, argv, opts, &arg, &first)) > 0) {
		if (c == 'h')
			return cli_help("apply");
		if (c == OPT_JSON)
			o.json = true;
		if (c == OPT_NO_WAIT)
			o.wait = false;
		if (c == OPT_NO_SCHEDULE)
			schedule = false;
		if (c == OPT_EVENTS)
			as.events = arg;
		if (c == OPT_ARTIFACTS)
			o.artifacts = arg;
		if (c == OPT_SEED && cli_seed_set(arg) < 0)
			return cli_usage_error("apply", "--seed takes a whole number from 0 to 2^63-1, not '%s'", arg);
		if (c == OPT_MATRIX)
			as.matrix = true;
		if (c == OPT_TIMINGS)
			o.timings = true;
		if (c == OPT_PART)
			part = arg;
		if (c == OPT_STATE_DIR)
			setenv("ASPEN_STATE_DIR", arg, 1);
		if (c == OPT_LOCK_TIMEOUT && cli_parse_ms(arg, &o.lock_ms) < 0)
			return cli_usage_error("apply", "--lock-timeout takes a duration like 30s, not '%s'", arg);
	}
	if (c < 0)
		return EXIT_USAGE;
	if (part)
		return apply_part(&o, part, &as, argc - first);
	if (argc - first != 1)
		return cli_usage_error("apply", "give exactly one topology file");
	o.file = argv[first];
	struct rt_err ae;
	if (o.artifacts && artifacts_prepare(o.artifacts, &ae) < 0) {
		fprintf(stderr, "aspen apply: %s\n", ae.msg);
		return EXIT_ERR;
	}
	cli_seed_random();
	if (!schedule)
		return apply_run(&o);
	struct progress pr;
	progress_init(&pr, o.out, o.json, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, as.matrix, NULL};
	if (apply_preflight(o.file, &as, &so) < 0)
		return EXIT_ERR;
	o.then = apply_schedule;
	o.ud = &so;
	int status = apply_run(&o);
	schedout_close(&so);
	return status;
}

/* --timings: the stages of apply, and the actions' own time per kind, so
 * a user sees whether aspen or the kernel holds a long apply's time. The
 * action times are each action's own (kernel calls included); actions of
 * parallel kinds (VMs) overlap, so their sum may exceed the stage. */
enum { TM_LOAD, TM_OBSERVE, TM_PLAN, TM_PREFLIGHT, TM_EXECUTE, TM_WAIT, TM__COUNT };
static const char *const tm_names[TM__COUNT] = {
	"compile", "observe (journal + probe)", "plan", "preflight", "execute", "health wait",
};

struct timings {
	uint64_t stage_us[TM__COUNT];
	uint64_t kind_us[RES__COUNT];
	size_t kind_n[RES__COUNT];
	rt_event_fn next;
	void *next_ud;
};

static void timings_event(const struct rt_event *ev, void *ud)
{
	struct timings *tm = ud;
	if (ev->kind == RT_EV_DONE || ev->kind == RT_EV_FAIL) {
		const struct action *a = ev->action;
		const struct resource *r = a->phase == PHASE_DELETE ? a->observed : a->desired;
		if (r && (unsigned)r->kind < RES__COUNT) {
			tm->kind_us[r->kind] += ev->elapsed_us;
			tm->kind_n[r->kind]++;
		}
	}
	tm->next(ev, tm->next_ud);
}

static void timings_print(const struct timings *tm, FILE *out, bool json)
{
	if (json) {
		char kv[1024];
		size_t n = 0;
		for (int i = 0; i < TM__COUNT; i++)
			n += (size_t)snprintf(kv + n, sizeof(kv) - n, "%s\"%s_us\":%llu", i ? "," : "",
					      (const char *[]){"compile", "observe", "plan", "preflight",
							       "execute", "wait"}[i],
					      (unsigned long long)tm->stage_us[i]);
		for (int k = 0; k < RES__COUNT && n < sizeof(kv); k++)
			if (tm->kind_n[k])
				n += (size_t)snprintf(kv + n, sizeof(kv) - n, ",\"%s\":{\"actions\":%zu,"
						      "\"us\":%llu}", res_kinds[k].name, tm->kind_n[k],
						      (unsigned long long)tm->kind_us[k]);
		if (n < sizeof(kv))
			progress_json(out, "timings", kv);
		return;
	}
	fprintf(out, "Timings:\n");
	for (int i = 0; i < TM__COUNT; i++)
		fprintf(out, "  %-26s %10.1f ms\n", tm_names[i], (double)tm->stage_us[i] / 1000.0);
	fprintf(out, "  actions by kind (their own time, kernel calls included):\n");
	for (int k = 0; k < RES__COUNT; k++)
		if (tm->kind_n[k])
			fprintf(out, "    %-10s %6zu x %8.3f ms = %10.1f ms\n", res_kinds[k].name,
				tm->kind_n[k], (double)tm->kind_us[k] / 1000.0 / (double)tm->kind_n[k],
				(double)tm->kind_us[k] / 1000.0);
}

int apply_run(const struct apply_opts *o)
{
	const char *file = o->file;
	bool json = o->json;
	FILE *out = o->out;
	uint64_t t0 = mono_us(), ts = t0;
	struct timings tm = {.next = progress_event};
	struct topology *t = cli_load(file);
	if (!t)
		return EXIT_ERR;
	if (t->n_hosts && !cli_part()) {
		/* placed on hosts: this machine is the controller */
		int st = mh_apply(t, o, o->then != NULL);
		topo_free(t);
		return st;
	}
	/* A host's part is kept before anything changes: status and heal
	 * here compile it, destroy derives this host's MACs from it. */
	if (cli_part() && mh_save_part(t->name) < 0) {
		topo_free(t);
		return EXIT_ERR;
	}
	tm.stage_us[TM_LOAD] = mono_us() - ts;

	struct rt_ctx rc;
	struct rt_err e = {0};
	struct progress pr;
	progress_init(&pr, out, json, cli_out.quiet || o->brief);
	int status = EXIT_ERR;
	struct res_list desired = {0}, observed = {0};
	struct plan p = {0};
	bool planned = false;
	char *abs = realpath(file, NULL);
	bool opened = false;

	if (rt_open(&rc, t->name, (const char *const *)o->argv, o->lock_ms, &e) < 0)
		goto out;
	opened = true;
	rc.on_event = progress_event;
	rc.ud = &pr;
	if (o->timings) {
		tm.next_ud = &pr;
		rc.on_event = timings_event;
		rc.ud = &tm;
	}
	if (abs && journal_set_file(&rc.journal, abs, &e) < 0)
		goto out;
	topo_lower(t, &desired);
	ts = mono_us();
	if (rt_observe(&rc, &desired, &observed, &e) < 0)
		goto out;
	tm.stage_us[TM_OBSERVE] = mono_us() - ts;
	ts = mono_us();
	struct diag_list d;
	diag_init(&d, file);
	planned = true;
	if (plan_compute(&p, t, &desired, &observed, &d) < 0) {
		diag_print(&d, stderr, DIAG_TEXT, false);
		diag_clear(&d);
		goto out_quiet;
	}
	diag_clear(&d);
	tm.stage_us[TM_PLAN] = mono_us() - ts;
	ts = mono_us();
	if (vm_preflight(&p, &e) < 0 || hostnet_preflight(rc.host, t, &p, &e) < 0 ||
	    hostnet6_preflight(rc.host, t, &p, &e) < 0 || peernet_preflight(t, &p, &e) < 0 ||
	    rt_preflight(&rc, &p, &e) < 0 ||
	    rt_adopt(&rc, &observed, &e) < 0)
		goto out;
	if (cli_out.verbose && !json && p.n_actions)
		plan_print_text(&p, out, cli_color_for(out), true);
	if (!json && !cli_out.quiet && p.n_actions)
		fprintf(out, "aspen apply: %s: %zu to create, %zu to update, %zu to replace, %zu to delete\n",
		       t->name, p.n_create, p.n_update, p.n_replace, p.n_delete);
	if (o->wait)
		wait_prepare();
	tm.stage_us[TM_PREFLIGHT] = mono_us() - ts;
	ts = mono_us();
	if (rt_execute(&rc, &p, &e) < 0)
		goto out;
	tm.stage_us[TM_EXECUTE] = mono_us() - ts;
	ts = mono_us();
	/* Convergence is done; now the nodes must come up. */
	char *detail = NULL;
	if (o->wait && wait_healthy(&rc, t, &pr, &e, &detail) < 0) {
		fprintf(stderr, "aspen apply: %s\n%s", e.msg, detail ? detail : "");
		free(detail);
		fprintf(stderr, "aspen apply: the cluster is up but not healthy; look at the logs in %s, "
			"then 'aspen apply' again or 'aspen destroy %s'\n", rc.run_dir, t->name);
		goto out_quiet;
	}
	tm.stage_us[TM_WAIT] = mono_us() - ts;
	uint64_t dt = mono_us() - t0;
	if (o->timings)
		timings_print(&tm, out, json);
	if (json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"mutations\":%zu,\"elapsed_us\":%llu",
			 t->name, rc.mutations, (unsigned long long)dt);
		progress_json(out, "applied", kv);
	} else if (!cli_out.quiet) {
		if (p.n_actions == 0)
			fprintf(out, "No changes: %s already matches %s (0 mutations, %.1f ms).\n", t->name,
			       file, (double)dt / 1000.0);
		else
			fprintf(out, "Apply complete: %zu created, %zu updated, %zu replaced, %zu deleted "
			       "in %.1f ms.\n", p.n_create, p.n_update, p.n_replace, p.n_delete,
			       (double)dt / 1000.0);
	}
	status = o->then ? o->then(&rc, t, &desired, o->ud) : EXIT_OK;
	goto out_quiet;
out:
	fprintf(stderr, "aspen apply: %s\n", e.msg);
	if (rc.journal_loaded && rc.mutations)
		fprintf(stderr, "aspen apply: what was created is recorded; run 'aspen apply %s' "
			"again to converge, or 'aspen destroy %s' to remove it\n", file, t->name);
out_quiet:
	if (o->artifacts && opened) {
		struct rt_err ae;
		if (artifacts_save(&rc, o->artifacts, &ae) < 0)
			fprintf(stderr, "aspen apply: %s\n", ae.msg);
		artifacts_note(o->artifacts, "apply %s: %s (exit status %d)", file,
			       status == EXIT_OK ? "ok" : "failed", status);
	}
	if (planned)
		plan_free(&p);
	rt_close(&rc);
	free(abs);
	topo_free(t);
	return status;
}
