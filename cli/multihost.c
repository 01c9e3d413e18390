/* multihost.c — the controller's commands for a topology placed on several
 * hosts (docs/multihost.md).
 *
 * What it owns: apply (version check, hosts.json, every host's part at
 * once, their events streamed with the host's name), the fault schedule
 * run from here (each fault's share sent to every host at once, the skew
 * between their kernel changes reported), destroy, status, heal and ad hoc
 * faults fanned out, and the part a host keeps (part.json) for the
 * commands it runs later. It changes nothing on this machine itself: a
 * `local` host is a child aspen like any other (cli/hostrun.c runs them),
 * so every host's journal and lock are the one-host ones, and a controller
 * killed at any point leaves only hosts that `aspen destroy NAME` reaches
 * through hosts.json, written before any host is asked to change anything. */
#include "cli/multihost.h"

#include "cli/cli.h"
#include "cli/hostrun.h"
#include "cli/progress.h"
#include "cli/schedout.h"
#include "compiler/plan.h"
#include "runtime/paths.h"
#include "runtime/schedule.h"

#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MH_PART_FILE "part.json"

/* ---------------- what hosts say ---------------- */

struct mh_out {
	const char *cmd;                /* "apply", "destroy", ... for messages */
	FILE *out;
	bool json;
};

/* The exit status after signal sig (130 / 143, as a one-host schedule
 * says it: schedout_exit_status), or otherwise when there was none. */
static int stop_status(int sig, int otherwise)
{
	struct sched_result r = {.signal = sig};
	return sig ? schedout_exit_status(&r) : otherwise;
}

static const char *hosts_word(size_t n)
{
	return n == 1 ? "host" : "hosts";
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *op_sign(const char *op)
{
	if (!op)
		return "?";
	return !strcmp(op, "create") ? "+" : !strcmp(op, "delete") ? "-" : !strcmp(op, "update") ? "~"
	       : !strcmp(op, "replace") ? "-/+" : op;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A host's JSON event: with --json, the same object with "host" added;
 * else one line in the style of a one-host run, the host first. Lines that
 * are not JSON are passed on as they are. */
static void mh_event_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	struct mh_out *mo = ud;
	const char *host = hs->v[j->host].name;
	if (err) {
		fprintf(stderr, "aspen %s: %s: %s\n", mo->cmd, host, line);
		return;
	}
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		if (!mo->json && *line)
			fprintf(mo->out, "  %-8s %s\n", host, line);
		cJSON_Delete(o);
		return;
	}
	const char *ev = mh_jstr(o, "event");
	if (mh_jstr(o, "key") && !j->key[0])
		snprintf(j->key, sizeof(j->key), "%s", mh_jstr(o, "key"));
	if (mh_jstr(o, "desc") && !j->desc[0])
		snprintf(j->desc, sizeof(j->desc), "%s", mh_jstr(o, "desc"));
	if (ev && (!strcmp(ev, "applied") || !strcmp(ev, "destroyed")))
		j->mutations = (size_t)jnum(o, !strcmp(ev, "applied") ? "mutations" : "deleted");
	/* when the host finished: its fault's kernel change, or its apply */
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "unix_us")) && (!ev || !strcmp(ev, "applied")))
		j->unix_us = (uint64_t)jnum(o, "unix_us");
	if (!mo->out) {
		/* only read */
	} else if (mo->json) {
		cJSON *copy = cJSON_CreateObject();
		cJSON_AddStringToObject(copy, "host", host);
		for (cJSON *it = o->child; it; it = it->next)
			cJSON_AddItemToObject(copy, it->string, cJSON_Duplicate(it, true));
		char *s = cJSON_PrintUnformatted(copy);
		fprintf(mo->out, "%s\n", s);
		free(s);
		cJSON_Delete(copy);
	} else if (!cli_out.quiet && ev) {
		if (!strcmp(ev, "action"))
			fprintf(mo->out, "  %-8s [%3.0f/%.0f] %s %s (%.1f ms)\n", host, jnum(o, "index"),
				jnum(o, "total"), op_sign(mh_jstr(o, "op")), mh_jstr(o, "id") ? mh_jstr(o, "id") : "?",
				jnum(o, "elapsed_us") / 1000.0);
		else if (!strcmp(ev, "healthy"))
			fprintf(mo->out, "  %-8s node %s healthy\n", host, mh_jstr(o, "node") ? mh_jstr(o, "node") : "?");
		else if (!strcmp(ev, "applied"))
			fprintf(mo->out, "  %-8s applied: %.0f change(s) in %.1f ms\n", host,
				jnum(o, "mutations"), jnum(o, "elapsed_us") / 1000.0);
		else if (!strcmp(ev, "destroyed"))
			fprintf(mo->out, "  %-8s destroyed: %.0f deleted in %.1f ms\n", host,
				jnum(o, "deleted"), jnum(o, "elapsed_ms"));
		else
			fprintf(mo->out, "  %-8s %s\n", host, line);
	}
	if (mo->out)
		fflush(mo->out);
	cJSON_Delete(o);
}


/* ---------------- versions ---------------- */

static void version_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	(void)hs;
	(void)ud;
	if (!err && !strncmp(line, "aspen ", 6) && !j->in) {
		/* "aspen 0.1.0+abc (topology language aspen/v1)": the answer is
		 * kept where a job's input would be; a --version job has none */
		char *sp = strchr(line + 6, ' ');
		j->in = strndup(line + 6, sp ? (size_t)(sp - line - 6) : strlen(line + 6));
	}
}

/* Every host runs this aspen: asked before anything changes. */
static int mh_check_versions(const struct mh_hosts *hs, const char *cmd)
{
	static const char *const ver[] = {"--version", NULL};
	struct mh_job *jobs = mh_jobs(hs, ver, NULL, NULL);
	if (!jobs)
		return -1;
	mh_run(hs, jobs, hs->n, version_line, NULL, false);
	int rc = 0;
	for (size_t i = 0; i < hs->n; i++) {
		struct mh_job *j = &jobs[i];
		if (j->status != 0 || !j->in) {
			char *how = mh_argv_text(j->argv);
			fprintf(stderr, "aspen %s: host %s: cannot run aspen there with '%s' (exit %d)%s%s\n",
				cmd, hs->v[i].name, how ? how : "?", j->status, *j->last_err ? ": " : "",
				j->last_err);
			free(how);
			rc = -1;
		} else if (strcmp(j->in, cli_version())) {
			fprintf(stderr, "aspen %s: host %s runs aspen %s, this controller aspen %s: install the "
				"same aspen on every host\n", cmd, hs->v[i].name, j->in, cli_version());
			rc = -1;
		}
	}
	mh_jobs_free(jobs, hs->n);
	return rc;
}

/* ---------------- parts ---------------- */

/* A host's part (docs/multihost.md, "The part"). */
static cJSON *part_json(const char *version, const char *host, const char *file, uint64_t seed,
			const char *source)
{
	char s[32];
	snprintf(s, sizeof(s), "%" PRIu64, seed);   /* a string: JSON numbers are doubles */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "aspen", version);
	cJSON_AddStringToObject(o, "host", host);
	cJSON_AddStringToObject(o, "file", file);
	cJSON_AddStringToObject(o, "seed", s);
	cJSON_AddStringToObject(o, "source", source);
	return o;
}

struct part_src {
	const struct mh_hosts *hs;
	const char *file;               /* absolute */
	const char *source;
	uint64_t seed;
};

static char *part_for(size_t host, void *arg)
{
	const struct part_src *ps = arg;
	cJSON *o = part_json(cli_version(), ps->hs->v[host].name, ps->file, ps->seed, ps->source);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---------------- apply and the schedule ---------------- */

/* The spread of the hosts' finishing times (unix_us of their last word):
 * what a test must allow between "applied on h1" and "applied on h3". */
static uint64_t mh_skew(const struct mh_job *jobs, size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].status != 0 || !jobs[i].unix_us)
			continue;
		lo = jobs[i].unix_us < lo ? jobs[i].unix_us : lo;
		hi = jobs[i].unix_us > hi ? jobs[i].unix_us : hi;
	}
	return hi >= lo ? hi - lo : 0;
}

/* The hosts' share of faults[index]: apply or revert on every host at
 * once; the event says when each host made its change. */
static int mh_fault_share(const struct mh_hosts *hs, struct part_src *ps, const struct timeline_entry *te,
		    bool apply, struct mh_out *mo, uint64_t t0)
{
	char idx[32];
	snprintf(idx, sizeof(idx), "%zu", te->fault->index);
	const char *const cmd[] = {"fault", "--part", "-", "--index", idx, apply ? "--apply" : "--revert",
				   NULL};
	struct mh_job *jobs = mh_jobs(hs, cmd, part_for, ps);
	if (!jobs)
		return -1;
	struct mh_out quiet = {mo->cmd, NULL, true};     /* what the hosts say is summed up below */
	size_t failed = mh_run(hs, jobs, hs->n, mh_event_line, &quiet, false);
	uint64_t skew = mh_skew(jobs, hs->n);
	double at = (double)(mono_us() - t0) / 1e6;
	if (failed)
		mh_report_failed(hs, jobs, hs->n, mo->cmd);
	if (mo->json) {
		char kv[1024];
		char *desc = cJSON_PrintUnformatted(cJSON_CreateString(te->desc));
		snprintf(kv, sizeof(kv), "\"op\":\"%s\",\"fault\":%zu,\"desc\":%s,\"hosts\":%zu,"
			 "\"failed\":%zu,\"skew_us\":%" PRIu64, apply ? "apply" : "revert", te->fault->index,
			 desc ? desc : "\"\"", hs->n - failed, failed, skew);
		free(desc);
		progress_json(mo->out, "fault", kv);
	} else if (!cli_out.quiet) {
		fprintf(mo->out, "  %+9.3fs  %-6s %s  (%zu host%s, skew %.3f ms)\n", at,
			apply ? "apply" : "revert", te->desc, hs->n - failed, hs->n - failed == 1 ? "" : "s",
			(double)skew / 1000.0);
	}
	fflush(mo->out);
	mh_jobs_free(jobs, hs->n);
	return failed ? -1 : 0;
}

/* Sleep until mono time `until`; false when a signal came first. */
static bool mh_sleep_until(uint64_t until)
{
	while (!mh_stop) {
		uint64_t now = mono_us();
		if (now >= until)
			return true;
		uint64_t d = until - now;
		struct timespec ts = {(time_t)(d / 1000000u), (long)(d % 1000000u) * 1000};
		nanosleep(&ts, NULL);
	}
	return false;
}

static int mh_schedule(const struct topology *t, const struct mh_hosts *hs, struct part_src *ps,
		       struct mh_out *mo)
{
	struct plan p = {0};
	arena_init(&p.arena);
	plan_timeline(&p, t);
	bool *active = calloc(t->n_faults + 1, sizeof(bool));
	int rc = 0;
	uint64_t t0 = mono_us();
	if (!mo->json && !cli_out.quiet)
		fprintf(mo->out, "Schedule: %zu event%s on %zu %s\n", p.n_timeline,
			p.n_timeline == 1 ? "" : "s", hs->n, hosts_word(hs->n));
	for (size_t i = 0; active && i < p.n_timeline && rc == 0; i++) {
		const struct timeline_entry *te = &p.timeline[i];
		if (!mh_sleep_until(t0 + te->at_us))
			break;
		bool apply = te->ev == TL_APPLY;
		rc = mh_fault_share(hs, ps, te, apply, mo, t0);
		active[te->fault->index] = apply;
	}
	/* Stopped by a signal or a host's failure: what is active is
	 * reverted on every host; a plain end leaves the faults without
	 * `for` active, as a one-host schedule does. */
	size_t left = 0;
	for (size_t i = 0; active && i < p.n_timeline; i++) {
		const struct timeline_entry *te = &p.timeline[i];
		if (!active[te->fault->index] || te->ev != TL_APPLY)
			continue;
		if (mh_stop || rc < 0) {
			int sig = mh_stop;
			mh_stop = 0;                    /* the revert must run to its end */
			mh_fault_share(hs, ps, te, false, mo, t0);
			mh_stop = sig;
		} else {
			left++;
		}
		active[te->fault->index] = false;
	}
	if (!mo->json && !cli_out.quiet && !mh_stop && rc == 0)
		fprintf(mo->out, "Schedule complete on %zu %s.%s%s%s\n", hs->n, hosts_word(hs->n),
			left ? " Faults without `for` stay active: 'aspen heal " : "", left ? t->name : "",
			left ? "' reverts them." : "");
	free(active);
	plan_free(&p);
	return stop_status(mh_stop, rc < 0 ? EXIT_ERR : EXIT_OK);
}

/* The hosts of the last apply (old, hosts.json; its entries move to out)
 * that hs no longer names. */
static int mh_orphans(const struct mh_hosts *hs, struct mh_hosts *old, struct mh_hosts *out)
{
	*out = (struct mh_hosts){0};
	if (!old->n)
		return 0;
	out->topology = strdup(hs->topology);
	out->transport = old->transport ? strdup(old->transport) : NULL;
	out->remote = old->remote ? strdup(old->remote) : NULL;
	out->v = calloc(old->n + 1, sizeof(*out->v));
	if (!out->v || !out->topology)
		return -1;
	for (size_t i = 0; i < old->n; i++) {
		bool named = false;
		for (size_t k = 0; k < hs->n && !named; k++)
			named = !strcmp(hs->v[k].name, old->v[i].name);
		if (named)
			continue;
		out->v[out->n++] = old->v[i];
		old->v[i] = (struct mh_host){0};        /* moved */
	}
	return 0;
}

/* Destroy what hosts the file dropped still hold (reached as before). */
static int mh_destroy_orphans(const struct mh_hosts *orphans, const char *name, struct mh_out *mo)
{
	if (!mo->json && !cli_out.quiet)
		fprintf(mo->out, "aspen apply: %zu host%s no longer in the file: destroying %s part\n",
			orphans->n, orphans->n == 1 ? "" : "s", orphans->n == 1 ? "its" : "their");
	const char *const cmd[] = {"destroy", "--this-host", "--json", name, NULL};
	struct mh_job *jobs = mh_jobs(orphans, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(orphans, jobs, orphans->n, mh_event_line, mo, false) : orphans->n;
	if (failed && jobs)
		mh_report_failed(orphans, jobs, orphans->n, "apply");
	if (failed)
		fprintf(stderr, "aspen apply: the hosts the file dropped still hold their part; "
			"'aspen apply' again retries, hosts.json still lists them\n");
	mh_jobs_free(jobs, orphans->n);
	return failed ? -1 : 0;
}

int mh_apply(const struct topology *t, const struct apply_opts *o, bool schedule)
{
	/* the last apply's hosts: how they were reached, and who left the file */
	struct mh_hosts old, hs, orphans = {0};
	if (mh_hosts_load(t->name, &old) < 0)
		return EXIT_ERR;
	if (mh_hosts_from_topology(t, &old, &hs) < 0) {
		mh_hosts_free(&old);
		return EXIT_ERR;
	}
	struct mh_out mo = {"apply", o->out, o->json};
	int status = EXIT_ERR;
	char *abs = realpath(o->file, NULL);
	char *source = cli_read_file(o->file, NULL);
	struct mh_job *jobs = NULL;
	mh_signals(true);
	uint64_t t0 = mono_us();
	if (!abs || !source) {
		fprintf(stderr, "aspen apply: %s: %s\n", o->file, strerror(errno));
		goto out;
	}
	if (mh_check_versions(&hs, "apply") < 0) {
		fprintf(stderr, "aspen apply: nothing was changed on any host\n");
		goto out;
	}
	/* Hosts an earlier apply used that the file no longer names keep
	 * their part until the new ones are up: recorded with them first. */
	if (mh_orphans(&hs, &old, &orphans) < 0)
		goto out;
	if (orphans.n) {
		struct mh_hosts all = hs;
		all.v = calloc(hs.n + orphans.n, sizeof(*all.v));
		if (!all.v)
			goto out;
		memcpy(all.v, hs.v, hs.n * sizeof(*all.v));
		memcpy(all.v + hs.n, orphans.v, orphans.n * sizeof(*all.v));
		all.n = hs.n + orphans.n;
		int sr = mh_hosts_save(&all, abs);
		free(all.v);            /* the strings are hs's and orphans' */
		if (sr < 0)
			goto out;
	} else if (mh_hosts_save(&hs, abs) < 0) {
		goto out;
	}
	struct part_src ps = {&hs, abs, source, t->seed};
	char lock[32];
	snprintf(lock, sizeof(lock), "%dms", o->lock_ms);
	const char *cmd[12] = {"apply", "--part", "-", "--json"};
	size_t nc = 4;
	if (!o->wait)
		cmd[nc++] = "--no-wait";
	if (o->lock_ms) {
		cmd[nc++] = "--lock-timeout";
		cmd[nc++] = lock;
	}
	cmd[nc] = NULL;
	if (!o->json && !cli_out.quiet)
		fprintf(o->out, "aspen apply: %s on %zu %s\n", t->name, hs.n, hosts_word(hs.n));
	jobs = mh_jobs(&hs, cmd, part_for, &ps);
	if (!jobs)
		goto out;
	size_t failed = mh_run(&hs, jobs, hs.n, mh_event_line, &mo, true);
	if (failed || mh_stop) {
		mh_report_failed(&hs, jobs, hs.n, "apply");
		fprintf(stderr, "aspen apply: what every host made is in its journal: 'aspen destroy %s' "
			"removes it from every host, 'aspen apply %s' converges\n", t->name, o->file);
		status = stop_status(mh_stop, EXIT_ERR);
		goto out;
	}
	size_t mutations = 0;
	for (size_t i = 0; i < hs.n; i++)
		mutations += jobs[i].mutations;
	uint64_t dt = mono_us() - t0;
	if (o->json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"hosts\":%zu,\"mutations\":%zu,"
			 "\"elapsed_us\":%" PRIu64 ",\"skew_us\":%" PRIu64, t->name, hs.n, mutations, dt,
			 mh_skew(jobs, hs.n));
		progress_json(o->out, "applied", kv);
	} else if (!cli_out.quiet) {
		fprintf(o->out, "Apply complete on %zu %s: %zu change%s in %.1f ms (hosts done within "
			"%.1f ms of each other).\n", hs.n, hosts_word(hs.n), mutations, mutations == 1 ? "" : "s",
			(double)dt / 1000.0, (double)mh_skew(jobs, hs.n) / 1000.0);
	}
	fflush(o->out);
	if (orphans.n && mh_destroy_orphans(&orphans, t->name, &mo) < 0)
		goto out;
	if (orphans.n && mh_hosts_save(&hs, abs) < 0)
		goto out;
	status = EXIT_OK;
	if (schedule && t->n_faults)
		status = mh_schedule(t, &hs, &ps, &mo);
out:
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	mh_hosts_free(&old);
	mh_hosts_free(&orphans);
	free(abs);
	free(source);
	return status;
}

/* ---------------- destroy, status, heal ---------------- */

int mh_destroy(const char *name, bool json, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	struct mh_out mo = {"destroy", stdout, json};
	const char *const cmd[] = {"destroy", "--this-host", "--json", name, NULL};
	mh_signals(true);
	uint64_t t0 = mono_us();
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	int status = EXIT_OK;
	if (failed) {
		if (jobs)
			mh_report_failed(&hs, jobs, hs.n, "destroy");
		fprintf(stderr, "aspen destroy: %zu of %zu hosts still hold part of %s; 'aspen destroy %s' "
			"again finishes it\n", failed, hs.n, name, name);
		status = EXIT_ERR;
	} else {
		mh_hosts_remove(name);
		size_t deleted = 0;
		for (size_t i = 0; i < hs.n; i++)
			deleted += jobs[i].mutations;
		if (json) {
			char kv[256];
			snprintf(kv, sizeof(kv), "\"topology\":\"%s\",\"hosts\":%zu,\"deleted\":%zu,"
				 "\"elapsed_ms\":%.1f", name, hs.n, deleted, (double)(mono_us() - t0) / 1000.0);
			progress_json(stdout, "destroyed", kv);
		} else if (!cli_out.quiet) {
			printf("Destroyed %s on %zu %s: %zu deleted in %.1f ms.\n", name, hs.n, hosts_word(hs.n), deleted,
			       (double)(mono_us() - t0) / 1000.0);
		}
	}
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return status;
}

/* What each host printed on its stdout, whole. */
struct status_acc {
	char **text;            /* per host */
	size_t *len;
	size_t n;
	const char *cmd;        /* for its stderr lines: "aspen CMD: host: ..." */
};

static bool collect_init(struct status_acc *sa, size_t n, const char *cmd)
{
	*sa = (struct status_acc){calloc(n + 1, sizeof(char *)), calloc(n + 1, sizeof(size_t)), n, cmd};
	return sa->text && sa->len;
}

static void collect_free(struct status_acc *sa)
{
	for (size_t i = 0; sa->text && i < sa->n; i++)
		free(sa->text[i]);
	free(sa->text);
	free(sa->len);
}

static void collect_line(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line, void *ud)
{
	struct status_acc *sa = ud;
	if (err) {
		fprintf(stderr, "aspen %s: %s: %s\n", sa->cmd, hs->v[j->host].name, line);
		return;
	}
	size_t n = strlen(line);
	char *s = realloc(sa->text[j->host], sa->len[j->host] + n + 2);
	if (!s)
		return;
	memcpy(s + sa->len[j->host], line, n);
	sa->len[j->host] += n;
	s[sa->len[j->host]++] = '\n';
	s[sa->len[j->host]] = '\0';
	sa->text[j->host] = s;
}

/* What every host printed (sa->text), merged: --json, one object with a
 * "hosts" array of {name, exit, <member>: the host's JSON} under root
 * (freed here); else each host's lines under a header naming it. */
static void per_host_print(const struct mh_hosts *hs, const struct mh_job *jobs,
			   const struct status_acc *sa, bool json, cJSON *root, const char *member)
{
	if (json) {
		cJSON *arr = cJSON_AddArrayToObject(root, "hosts");
		for (size_t i = 0; i < hs->n; i++) {
			cJSON *h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "name", hs->v[i].name);
			cJSON_AddNumberToObject(h, "exit", jobs ? jobs[i].status : -1);
			cJSON *doc = sa->text && sa->text[i] ? cJSON_Parse(sa->text[i]) : NULL;
			if (doc)
				cJSON_AddItemToObject(h, member, doc);
			cJSON_AddItemToArray(arr, h);
		}
		char *text = cJSON_Print(root);
		printf("%s\n", text ? text : "{}");
		free(text);
		cJSON_Delete(root);
		return;
	}
	cJSON_Delete(root);
	for (size_t i = 0; i < hs->n; i++) {
		printf("\nhost %s (%s%s%s):\n", hs->v[i].name, hs->v[i].local ? "local" : "ssh ",
		       hs->v[i].ssh ? hs->v[i].ssh : "", jobs && jobs[i].status ? ", failed" : "");
		for (char *sv, *ln = sa->text && sa->text[i] ? strtok_r(sa->text[i], "\n", &sv) : NULL; ln;
		     ln = strtok_r(NULL, "\n", &sv))
			printf("  %s\n", ln);
	}
}

int mh_status(const char *name, bool json, bool matrix, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	if (matrix) {
		fprintf(stderr, "aspen status: --matrix probes every pair of nodes from one place: not "
			"available across hosts yet (docs/multihost.md); 'aspen status %s' shows each "
			"host\n", name);
		mh_hosts_free(&hs);
		return EXIT_ERR;
	}
	const char *const cmd[] = {"status", "--this-host", json ? "--json" : name, json ? name : NULL, NULL};
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	struct status_acc sa;
	bool ok = collect_init(&sa, hs.n, "status");
	size_t failed = jobs && ok ? mh_run(&hs, jobs, hs.n, collect_line, &sa, false) : hs.n;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "topology", name);
	if (!json)
		printf("%s: %zu %s\n", name, hs.n, hosts_word(hs.n));
	per_host_print(&hs, jobs, &sa, json, root, "status");
	if (failed && jobs)
		mh_report_failed(&hs, jobs, hs.n, "status");
	collect_free(&sa);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return failed ? EXIT_ERR : EXIT_OK;
}

int mh_plan(const struct topology *t, bool json, bool detailed, bool *handled)
{
	struct mh_hosts old, hs;
	int l = mh_hosts_load(t->name, &old);
	*handled = l > 0;
	if (l <= 0)
		return EXIT_ERR;
	/* the hosts as the file now places them, reached as apply reached them */
	int fr = mh_hosts_from_topology(t, &old, &hs);
	mh_hosts_free(&old);
	if (fr < 0)
		return EXIT_ERR;
	char *abs = realpath(t->file, NULL), *source = cli_read_file(t->file, NULL);
	struct part_src ps = {&hs, abs, source, t->seed};
	const char *cmd[6] = {"plan", "--part", "-"};
	size_t nc = 3;
	if (json)
		cmd[nc++] = "--json";
	if (detailed)
		cmd[nc++] = "--detailed-exitcode";
	cmd[nc] = NULL;
	struct status_acc sa;
	bool ok = collect_init(&sa, hs.n, "plan");
	struct mh_job *jobs = abs && source && ok ? mh_jobs(&hs, cmd, part_for, &ps) : NULL;
	if (jobs)
		mh_run(&hs, jobs, hs.n, collect_line, &sa, false);
	int rc = jobs ? EXIT_OK : EXIT_ERR;
	for (size_t i = 0; jobs && i < hs.n; i++)
		if (jobs[i].status == EXIT_CHANGES && detailed)
			rc = rc == EXIT_ERR ? rc : EXIT_CHANGES;
		else if (jobs[i].status != 0)
			rc = EXIT_ERR;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "format_version", 1);
	cJSON_AddStringToObject(root, "topology", t->name);
	cJSON_AddBoolToObject(root, "live", true);
	if (!json)
		printf("Topology %s on %zu %s, applied from here: each host's plan against its live "
		       "state.\n", t->name, hs.n, hosts_word(hs.n));
	per_host_print(&hs, jobs, &sa, json, root, "plan");
	if (rc == EXIT_ERR && jobs)
		mh_report_failed(&hs, jobs, hs.n, "plan");
	collect_free(&sa);
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	free(abs);
	free(source);
	return rc;
}

int mh_heal(const char *name, const char *key, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	struct mh_out mo = {"heal", stdout, false};
	const char *const cmd[] = {"heal", "--this-host", name, key, NULL};
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	if (failed && jobs)
		mh_report_failed(&hs, jobs, hs.n, "heal");
	mh_jobs_free(jobs, hs.n);
	mh_hosts_free(&hs);
	return failed ? EXIT_ERR : EXIT_OK;
}

/* Heal key on every host whose job applied it (its own key). */
static void mh_fault_heal(const struct mh_hosts *hs, struct mh_job *applied, const char *name)
{
	struct mh_job *jobs = calloc(hs->n, sizeof(*jobs));
	size_t n = 0;
	for (size_t i = 0; jobs && i < hs->n; i++) {
		if (applied[i].status != 0 || !applied[i].key[0])
			continue;
		const char *const cmd[] = {"heal", "--this-host", "--json", name, applied[i].key, NULL};
		jobs[n].host = i;
		jobs[n++].argv = mh_argv(hs, i, cmd);
	}
	struct mh_out quiet = {"fault", NULL, true};
	if (jobs && mh_run(hs, jobs, n, mh_event_line, &quiet, false))
		mh_report_failed(hs, jobs, n, "fault");
	mh_jobs_free(jobs, n);
}

int mh_fault(const char *name, int argc, char **argv, const char *for_s, bool json, bool *handled)
{
	struct mh_hosts hs;
	int l = mh_hosts_load(name, &hs);
	*handled = l != 0;
	if (l <= 0)
		return EXIT_ERR;
	int for_ms = 0;
	if (for_s && cli_parse_ms(for_s, &for_ms) < 0) {
		mh_hosts_free(&hs);
		return cli_usage_error("fault", "--for takes a duration like 10s, not '%s'", for_s);
	}
	/* The host's command: the same words, the name for the file, without
	 * what only the controller does (--for, --json, --matrix, its state dir). */
	const char **cmd = calloc((size_t)argc + 4, sizeof(*cmd));
	size_t n = 0;
	bool named = false;
	if (!cmd) {
		mh_hosts_free(&hs);
		return EXIT_ERR;
	}
	cmd[n++] = "fault";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool dropped = !strcmp(s, "--for") || !strcmp(s, "--state-dir");
		if (dropped || !strcmp(s, "--direction") || !strcmp(s, "--lock-timeout")) {
			if (!dropped && i + 1 < argc) {
				cmd[n++] = s;
				cmd[n++] = argv[i + 1];
			}
			i++;
			continue;
		}
		if (!strncmp(s, "--for=", 6) || !strncmp(s, "--state-dir=", 12) || !strcmp(s, "--json"))
			continue;
		if (!strcmp(s, "--matrix")) {
			fprintf(stderr, "aspen fault: --matrix is not available across hosts yet\n");
			continue;
		}
		cmd[n++] = s[0] == '-' || named ? s : name;
		named = named || s[0] != '-';
	}
	cmd[n++] = "--this-host";
	cmd[n++] = "--json";
	cmd[n] = NULL;
	struct mh_out mo = {"fault", json ? stdout : NULL, json};
	mh_signals(true);
	struct mh_job *jobs = mh_jobs(&hs, cmd, NULL, NULL);
	size_t failed = jobs ? mh_run(&hs, jobs, hs.n, mh_event_line, &mo, false) : hs.n;
	int status = EXIT_OK;
	const char *key = "", *desc = "";
	for (size_t i = 0; jobs && i < hs.n; i++) {
		if (jobs[i].key[0] && !key[0])
			key = jobs[i].key;
		if (jobs[i].desc[0] && !desc[0])
			desc = jobs[i].desc;
		if (jobs[i].key[0] && strcmp(jobs[i].key, key))
			fprintf(stderr, "aspen fault: host %s named it %s, not %s ('aspen heal %s' heals "
				"every key)\n", hs.v[i].name, jobs[i].key, key, name);
	}
	if (failed || mh_stop) {
		if (jobs) {
			mh_report_failed(&hs, jobs, hs.n, "fault");
			mh_fault_heal(&hs, jobs, name);
		}
		fprintf(stderr, "aspen fault: not applied on every host: reverted where it was\n");
		status = stop_status(mh_stop, EXIT_ERR);
		goto out;
	}
	uint64_t skew = mh_skew(jobs, hs.n);
	if (json) {
		char kv[512];
		snprintf(kv, sizeof(kv), "\"op\":\"apply\",\"key\":\"%s\",\"hosts\":%zu,\"skew_us\":%" PRIu64,
			 key, hs.n, skew);
		progress_json(stdout, "fault", kv);
	} else if (!cli_out.quiet) {
		printf("%s applied on %zu %s (skew %.3f ms): %s\n", key, hs.n, hosts_word(hs.n),
		       (double)skew / 1000.0, desc);
	}
	fflush(stdout);
	if (!for_s) {
		if (!json && !cli_out.quiet)
			printf("%s is active until 'aspen heal %s %s' (or 'aspen heal %s').\n", key, name, key,
			       name);
		goto out;
	}
	mh_sleep_until(mono_us() + (uint64_t)for_ms * 1000u);
	int sig = mh_stop;
	mh_stop = 0;                    /* the revert runs to its end */
	mh_fault_heal(&hs, jobs, name);
	if (json) {
		char kv[256];
		snprintf(kv, sizeof(kv), "\"op\":\"revert\",\"key\":\"%s\",\"hosts\":%zu", key, hs.n);
		progress_json(stdout, "fault", kv);
	} else if (!cli_out.quiet) {
		printf("%s reverted on %zu %s.\n", key, hs.n, hosts_word(hs.n));
	}
	status = stop_status(sig, EXIT_OK);
out:
	mh_signals(false);
	mh_jobs_free(jobs, hs.n);
	free(cmd);
	mh_hosts_free(&hs);
	return status;
}

/* ---------------- the host's side ---------------- */

int mh_save_part(const char *name)
{
	const struct cli_part *p = cli_part();
	char path[PATHS_MAX + 64];
	if (!p || mh_state_path(name, MH_PART_FILE, path, sizeof(path), true) < 0)
		return -1;
	return mh_write_json(path, part_json(p->version, p->host, p->file, p->seed, p->source), false);
}

int mh_load_saved_part(const char *cmd, const char *name)
{
	char path[PATHS_MAX + 64];
	struct stat st;
	if (cli_part() || !paths_valid_name(name) ||
	    mh_state_path(name, MH_PART_FILE, path, sizeof(path), false) < 0 || stat(path, &st) < 0)
		return 0;
	return cli_part_read_saved(cmd, path);
}

void mh_forget_part(const char *name)
{
	if (paths_valid_name(name))
		mh_state_unlink(name, MH_PART_FILE);
}
