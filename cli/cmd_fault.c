/* cmd_fault.c — `aspen fault NAME KIND ARGS...`: one fault, now, by hand.
 *
 *   aspen fault c3 partition node1 / node2,node3 [--for 10s]
 *   aspen fault c3 partition node1 '->' node2          (one-way)
 *   aspen fault c3 isolate node1
 *   aspen fault c3 loss node2 20% [--direction egress]
 *   aspen fault c3 latency node2 100ms [10ms]
 *   aspen fault c3 rate node1 10mbit
 *   aspen fault c3 link-down node1.eth0
 *   aspen fault c3 kill|pause|resume|start|restart|reboot node1[,node2]
 *
 * The words become one YAML fault checked by the real decoder and validator
 * against the topology file the journal records (runtime/adhoc.h), so ad hoc
 * faults get exactly the checks of faults in the file. Without --for the
 * fault stays active (journaled as "adhoc-<n>") until `aspen heal NAME
 * [adhoc-<n>]`; with --for the command waits and reverts it, and Ctrl-C or
 * SIGTERM reverts it early (exit 130 / 143). Options may come anywhere:
 * getopt would take "->" for one.
 *
 * While another aspen holds the topology (`aspen run`, or `aspen apply`
 * running its schedule) and serves the control API, the same fault goes to
 * it as JSON (POST /v1/faults, api/server.h): its validator, its journal,
 * its loop. The output is the same events, rendered here.
 *
 *   aspen fault --part FILE|- --index N --apply|--revert
 *
 * A host's share of faults[N] of a multi-host topology (docs/multihost.md):
 * the controller runs the schedule and sends each host this request. The
 * part's source is compiled for its host (cli_part_read, cli_load), so the
 * fault engine acts only on the nodes placed here (docs/faults.md, "Faults
 * across hosts"). The record is journaled under the key the schedule uses
 * (sched_fault_key) before the fault is applied, through the schedule's
 * own path (sched_apply_one); --revert reverts the record of that key and
 * removes it. Both are idempotent: an apply again replaces the record and
 * applies again (opts.replace_key), a revert of a key not journaled does
 * nothing. One JSON line on stdout says what this host did and when. */
#include "api/client.h"
#include "api/route.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "cli/schedout.h"
#include "cli/multihost.h"
#include "compiler/compile.h"
#include "runtime/adhoc.h"
#include "runtime/fault.h"
#include "runtime/runtime.h"
#include "runtime/schedule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FAULT_MAX_WORDS 64

struct args {
	const char *name;                       /* topology */
	const char *kind;
	const char *words[FAULT_MAX_WORDS];
	size_t n_words;
	const char *for_s, *direction;
	bool json, matrix;
	bool this_host;                         /* --this-host: not through hosts.json */
	int lock_ms;
	/* --part FILE --index N --apply|--revert */
	const char *part, *index;
	bool apply, revert;
};

#define fault_usage(...) cli_usage_error("fault", __VA_ARGS__)

/* 0, 'h' or -1 (usage message printed). */
static int parse_args(struct args *a, int argc, char **argv)
{
	const char *lock = NULL;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "-h") || !strcmp(s, "--help"))
			return 'h';
		if (!strcmp(s, "--json") || !strcmp(s, "--matrix")) {
			*(s[2] == 'j' ? &a->json : &a->matrix) = true;
			continue;
		}
		if (!strcmp(s, "--this-host")) {
			a->this_host = true;
			continue;
		}
		if (!strcmp(s, "--apply") || !strcmp(s, "--revert")) {
			*(s[2] == 'a' ? &a->apply : &a->revert) = true;
			continue;
		}
		static const char *const valued[] = {"--for", "--direction", "--lock-timeout", "--state-dir",
						     "--part", "--index"};
		const char *eq = strchr(s, '=');
		size_t kl = eq ? (size_t)(eq - s) : strlen(s);
		int k = -1;
		for (int j = 0; j < 6; j++)
			if (strlen(valued[j]) == kl && !strncmp(s, valued[j], kl))
				k = j;
		if (k >= 0) {
			if (!eq && i + 1 >= argc) {
				fault_usage("option %s needs a value", valued[k]);
				return -1;
			}
			const char *v = eq ? eq + 1 : argv[++i];
			if (k == 0)
				a->for_s = v;
			else if (k == 1)
				a->direction = v;
			else if (k == 2)
				lock = v;
			else if (k == 3)
				setenv("ASPEN_STATE_DIR", v, 1);
			else if (k == 4)
				a->part = v;
			else
				a->index = v;
			continue;
		}
		if (s[0] == '-' && s[1] != '>') {
			fault_usage("unknown option %s", s);
			return -1;
		}
		if (!a->name)
			a->name = s;
		else if (!a->kind)
			a->kind = s;
		else if (a->n_words < FAULT_MAX_WORDS)
			a->words[a->n_words++] = s;
		else {
			fault_usage("too many arguments");
			return -1;
		}
	}
	if (lock && cli_parse_ms(lock, &a->lock_ms) < 0) {
		fault_usage("--lock-timeout takes a duration like 30s, not '%s'", lock);
		return -1;
	}
	if (a->part || a->index || a->apply || a->revert) {
		if (!a->part || !a->index || a->apply == a->revert) {
			fault_usage("a host's share of a fault takes --part FILE|-, --index N and one of "
				    "--apply or --revert");
			return -1;
		}
		if (a->name || a->for_s || a->direction || a->matrix) {
			fault_usage("--part takes the fault from the part's faults[N]: no NAME, KIND, "
				    "--for, --direction or --matrix");
			return -1;
		}
		return 0;
	}
	if (!a->name || !a->kind) {
		fault_usage("give a topology name and a fault");
		return -1;
	}
	return 0;
}

static char *read_all(const char *path, size_t *len, struct rt_err *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return rt_errf(e, errno, "%s", strerror(errno)), NULL;
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || st.st_size < 0 || (size_t)st.st_size > TOPO_MAX_FILE_BYTES) {
		fclose(f);
		return rt_errf(e, EFBIG, "not a topology file (size)"), NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf)
		return rt_errf(e, ENOMEM, "out of memory"), NULL;
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* The validator's verdict: problems in the file as FILE:LINE:COL, problems
 * of the ad hoc fault as "aspen fault: error: ...". Through the JSON the
 * control API answers with, so both paths print the same lines. */
static void print_diags(const struct diag_list *d, const char *path, unsigned file_lines)
{
	cJSON *arr = api_diags_json(d, path, file_lines);
	api_diags_print(arr, stderr, "aspen fault");
	cJSON_Delete(arr);
}

/* The recorded topology file with the fault as its schedule. */
static struct topology *load_with_fault(const struct args *a, const struct adhoc *ah,
					const char *file, const char *key, struct rt_err *e)
{
	size_t len;
	/* A host's part (multi-host): its own text, compiled for this host. */
	const struct cli_part *part = cli_part();
	struct topo_load_opts po = {.has_seed = true};
	if (part) {
		file = part->file;
		po.seed = part->seed;
		po.host = part->host;
	}
	char *buf = part ? strdup(part->source) : read_all(file, &len, e);
	if (part)
		len = part->len;
	if (!buf) {
		rt_err_prefix(e, "%s was applied from %s, which cannot be read (ad hoc faults are "
			      "checked against the topology file)", a->name, file);
		return NULL;
	}
	struct diag_list d;
	diag_init(&d, file);
	unsigned lines = 0;
	struct topology *t = adhoc_load_with(file, buf, len, ah, key, a->for_s, part ? &po : NULL, &d,
					     &lines, e);
	diag_sort(&d);
	print_diags(&d, file, lines ? lines : (unsigned)-1);
	diag_clear(&d);
	free(buf);
	if (t && strcmp(t->name, a->name)) {
		rt_errf(e, EINVAL, "%s now names topology '%s', not '%s': apply it first", file,
			t->name, a->name);
		topo_free(t);
		t = NULL;
	}
	return t;
}

/* ---------------- running it ---------------- */

static int run_fault(const struct args *a, const struct adhoc *ah, struct rt_ctx *rc,
		     struct schedout *so, struct rt_err *e)
{
	char key[32];
	sched_adhoc_key(rc, key, sizeof(key));
	if (!rc->journal.file && !cli_part())
		return rt_errf(e, ENOENT, "%s has no recorded topology file: 'aspen apply FILE' first",
			       a->name);
	struct topology *t = load_with_fault(a, ah, rc->journal.file, key, e);
	if (!t)
		return -1;
	const struct topo_fault *f = &t->faults[t->n_faults - 1];
	int r = -1;
	if (sched_check(t, NULL, e) < 0)
		goto out;
	if (!a->for_s) {
		struct sched_opts o = {.on_event = schedout_event, .ud = so, .keep_journaled = true};
		if (sched_apply_one(rc, t, f, key, &o, e) < 0)      /* --matrix: printed by the event */
			goto out;
		if (!a->json && !cli_out.quiet && sched_revertible(f->kind))
			printf("%s is active until 'aspen heal %s %s' (or 'aspen heal %s').\n", key, a->name,
			       key, a->name);
		r = 0;
		goto out;
	}
	const char *desc = fault_describe(&t->arena, t, f);
	struct timeline_entry tl[2] = {{0, TL_APPLY, f, desc}, {f->for_us, TL_REVERT, f, desc}};
	struct sched_opts o = {.on_event = schedout_event, .ud = so, .keep_journaled = true};
	struct sched_result res;
	if (sched_run(rc, t, tl, 2, &o, &res, e) < 0) {
		r = res.signal ? -res.signal : -1;
		goto out;
	}
	r = 0;
out:
	topo_free(t);
	return r;
}

/* ---------------- through the holder's control API ---------------- */

static volatile sig_atomic_t fault_api_signal;

static void fault_api_on_signal(int sig)
{
	fault_api_signal = sig;
}

static void fault_api_events(const cJSON *events, struct schedout *so)
{
	const cJSON *x;
	cJSON_ArrayForEach(x, events) {
		struct sched_event ev;
		if (api_event_from_json(x, &ev) == 0)
			schedout_event(&ev, so);
	}
}

struct fault_wait {
	const char *key;
	struct schedout *so;
	bool done;
};

/* A line of the event stream: ours reverted (or failed to be) ends it. */
static int fault_api_line(const char *line, void *ud)
{
	struct fault_wait *w = ud;
	cJSON *o = cJSON_Parse(line);
	struct sched_event ev;
	if (o && api_event_from_json(o, &ev) == 0 && ev.key && !strcmp(ev.key, w->key) &&
	    (ev.ev == SCHED_EV_REVERTED || (ev.ev == SCHED_EV_FAILED && ev.revert))) {
		schedout_event(&ev, w->so);
		w->done = true;
	}
	cJSON_Delete(o);
	return w->done;
}

/* --for through the API: the holder reverts the fault at its time; wait
 * for that event. A signal here (or since the POST: fault_via_api catches
 * them from before it) reverts it at once (DELETE), as the local path
 * does; exit 130 / 143 then. */
static int fault_api_wait(const char *sock, const char *key, size_t from, struct schedout *so)
{
	struct fault_wait w = {key, so, false};
	struct rt_err e = {0};
	int status = EXIT_OK;
	char path[128];
	snprintf(path, sizeof(path), "/v1/events?follow=1&from=%zu", from);
	if (api_client_follow(sock, path, fault_api_line, &w, &fault_api_signal, &e) < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		status = EXIT_ERR;
	}
	if (!w.done && fault_api_signal) {
		snprintf(path, sizeof(path), "/v1/faults/%s", key);
		long st;
		cJSON *ans = NULL;
		if (api_client_call(sock, "DELETE", path, NULL, &st, &ans, &e) == 0 && st == 200)
			fault_api_events(cJSON_GetObjectItemCaseSensitive(ans, "events"), so);
		cJSON_Delete(ans);
		status = fault_api_signal == SIGINT ? SCHED_EXIT_SIGINT : SCHED_EXIT_SIGTERM;
	} else if (!w.done && status == EXIT_OK) {
		fprintf(stderr, "aspen fault: the run holding the topology ended before %s was "
			"reverted: 'aspen heal' reverts what is left\n", key);
		status = EXIT_ERR;
	}
	return status;
}

static int fault_via_api(const struct args *a, const struct adhoc *ah, const char *sock,
			 struct schedout *so)
{
	struct rt_err e = {0};
	cJSON *body = api_flow_to_json(ah->body, &e);
	if (!body) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		return EXIT_ERR;
	}
	if (a->for_s)
		cJSON_AddStringToObject(body, "for", a->for_s);
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	/* With --for, a signal from the moment the fault may exist reverts it
	 * (fault_api_wait): caught from before the POST, not after its answer
	 * is printed. */
	struct sigaction sa = {.sa_handler = fault_api_on_signal}, old[2];
	sigemptyset(&sa.sa_mask);
	if (a->for_s) {
		sigaction(SIGINT, &sa, &old[0]);
		sigaction(SIGTERM, &sa, &old[1]);
	}
	long st = 0;
	cJSON *ans = NULL;
	int rc = text ? api_client_call(sock, "POST", "/v1/faults", text, &st, &ans, &e) : -1;
	cJSON_free(text);
	int status = EXIT_ERR;
	if (rc < 0) {
		fprintf(stderr, "aspen fault: %s\n", text ? e.msg : "out of memory");
	} else if (st != 201) {
		char buf[64];
		api_diags_print(cJSON_GetObjectItemCaseSensitive(ans, "diagnostics"), stderr,
				"aspen fault");
		fprintf(stderr, "aspen fault: %s\n", api_client_error(ans, st, buf, sizeof(buf)));
	} else {
		fault_api_events(cJSON_GetObjectItemCaseSensitive(ans, "events"), so);
		const char *key = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ans, "id"));
		bool active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ans, "active"));
		status = EXIT_OK;
		const cJSON *nx = cJSON_GetObjectItemCaseSensitive(ans, "next_event");
		if (key && active && a->for_s)
			status = fault_api_wait(sock, key, cJSON_IsNumber(nx) ? (size_t)nx->valuedouble : 0,
						so);
		else if (key && active && !a->json && !cli_out.quiet)
			printf("%s is active until 'aspen heal %s %s' (or 'aspen heal %s').\n", key, a->name,
			       key, a->name);
	}
	cJSON_Delete(ans);
	if (a->for_s) {
		sigaction(SIGINT, &old[0], NULL);
		sigaction(SIGTERM, &old[1], NULL);
		if (fault_api_signal && status == EXIT_OK)
			status = fault_api_signal == SIGINT ? SCHED_EXIT_SIGINT : SCHED_EXIT_SIGTERM;
	}
	return status;
}

/* ---------------- a host's share of a multi-host fault ---------------- */

struct part_seen {
	uint64_t unix_us;       /* of the APPLIED / REVERTED event: the kernel change */
	bool done;
};

static void part_on_event(const struct sched_event *ev, void *ud)
{
	struct part_seen *p = ud;
	if (ev->ev == SCHED_EV_APPLIED || ev->ev == SCHED_EV_REVERTED) {
		p->unix_us = ev->unix_us;
		p->done = true;
	}
}

static bool part_journaled(const struct rt_ctx *rc, const char *key)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, rc->journal.faults) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "key"));
		if (k && !strcmp(k, key))
			return true;
	}
	return false;
}

static int part_fault(const struct args *a, char **argv)
{
	char *end;
	errno = 0;
	unsigned long long idx = strtoull(a->index, &end, 10);
	if (!*a->index || *end || errno || a->index[0] == '-')
		return fault_usage("--index takes a fault's position in the part's faults, not '%s'",
				   a->index);
	if (cli_part_read("fault", a->part) < 0)
		return EXIT_ERR;
	const struct cli_part *part = cli_part();
	struct topology *t = cli_load(part->file);
	if (!t)
		return EXIT_ERR;
	if (idx >= t->n_faults) {
		fprintf(stderr, "aspen fault: %s has %zu faults: no faults[%llu]\n", part->file,
			t->n_faults, idx);
		topo_free(t);
		return EXIT_ERR;
	}
	const struct topo_fault *f = &t->faults[idx];
	char key[64];
	sched_fault_key(f, key, sizeof(key));
	struct rt_err e = {0};
	size_t ports = 0;
	struct rt_ctx rc;
	struct part_seen seen = {0};
	struct sched_opts o = {.on_event = part_on_event, .ud = &seen, .keep_journaled = true,
			       .replace_key = true};
	int status = EXIT_ERR;
	if (fault_share(t, f, &ports, &e) < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		topo_free(t);
		return EXIT_ERR;
	}
	if (rt_open(&rc, t->name, (const char *const *)argv, a->lock_ms, &e) < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		rt_close(&rc);
		topo_free(t);
		return EXIT_ERR;
	}
	int r;
	if (a->apply)
		r = sched_apply_one(&rc, t, f, key, &o, &e);   /* fault_apply checks support */
	else
		r = part_journaled(&rc, key) ? sched_heal(&rc, key, &o, NULL, &e) : 0;
	if (r < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
	} else {
		/* Nothing reverted (not journaled: reverted before, or never
		 * applied here): nothing changed, the instant is now. */
		cJSON *out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "host", part->host);
		cJSON_AddStringToObject(out, "key", key);
		cJSON_AddStringToObject(out, "op", a->apply ? "apply" : "revert");
		cJSON_AddNumberToObject(out, "local_ports", (double)ports);
		cJSON_AddNumberToObject(out, "unix_us", (double)(seen.done ? seen.unix_us
									    : sched_unix_us()));
		char *line = cJSON_PrintUnformatted(out);
		cJSON_Delete(out);
		if (line && printf("%s\n", line) > 0 && fflush(stdout) == 0)
			status = EXIT_OK;
		cJSON_free(line);
	}
	rt_close(&rc);
	topo_free(t);
	return status;
}

int cmd_fault(int argc, char **argv)
{
	struct args a = {0};
	int pr_rc = parse_args(&a, argc, argv);
	if (pr_rc == 'h')
		return cli_help("fault");
	if (pr_rc)
		return EXIT_USAGE;
	if (a.part)
		return part_fault(&a, argv);
	struct adhoc ah;
	struct rt_err e = {0};
	if (adhoc_build(&ah, a.kind, a.words, a.n_words, a.direction, &e) < 0)
		return fault_usage("%s", e.msg);
	char *name = cli_topology_name(a.name);
	if (!name)
		return EXIT_ERR;
	a.name = name;
	bool handled = false;
	if (!a.this_host) {
		/* placed on hosts: every host applies its share */
		int st = mh_fault(name, argc, argv, a.for_s, a.json, &handled);
		if (handled) {
			free(name);
			return st;
		}
	}
	if (mh_load_saved_part("fault", name) < 0) {
		free(name);
		return EXIT_ERR;
	}

	struct rt_ctx rc;
	struct progress pr;
	progress_init(&pr, stdout, a.json, cli_out.quiet);
	struct schedout so = {&pr, NULL, cli_out.verbose, a.matrix, &rc};
	int status = EXIT_ERR;
	char sock[PATHS_MAX + 16];
	if (api_client_find(name, sock, sizeof(sock), &e) == 1) {
		/* The matrix (--matrix) reads the nodes from the journal. */
		if (!a.matrix || rt_open(&rc, name, NULL, RT_NO_LOCK, &e) == 0)
			status = fault_via_api(&a, &ah, sock, &so);
		else
			fprintf(stderr, "aspen fault: %s\n", e.msg);
		if (a.matrix)
			rt_close(&rc);
		free(name);
		return status;
	}
	if (rt_open(&rc, name, (const char *const *)argv, a.lock_ms, &e) < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		goto out;
	}
	int r = run_fault(&a, &ah, &rc, &so, &e);
	if (r < 0) {
		fprintf(stderr, "aspen fault: %s\n", e.msg);
		struct sched_result res = {.signal = r < -1 ? -r : 0};
		status = schedout_exit_status(&res);
		goto out;
	}
	status = EXIT_OK;
out:
	rt_close(&rc);
	free(name);
	return status;
}
