/* hostrun.h — the hosts of a multi-host topology and running one aspen
 * command on each of them at once (docs/multihost.md, "The transport").
 *
 * cli/multihost.c builds the commands (apply, destroy, status, faults) on
 * this: who the hosts are (from the file, or from the controller journal
 * hosts.json in the topology's state dir), the argv that reaches a host
 * through the transport template, and mh_run, which runs one job per host
 * in parallel and hands every line each says to a callback. */
#ifndef ASPEN_HOSTRUN_H
#define ASPEN_HOSTRUN_H

#include <cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compiler/topology.h"

struct mh_host {
	char *name;
	bool local;
	char *ssh;              /* NULL when local */
	unsigned port;          /* 0: the ssh configuration's */
};

struct mh_hosts {
	char *topology;
	struct mh_host *v;
	size_t n;
	char *transport;        /* ASPEN_TRANSPORT at apply time, or NULL */
	char *remote;           /* ASPEN_REMOTE at apply time, or NULL */
};

void mh_hosts_free(struct mh_hosts *hs);
/* The file's hosts, reached through the environment's transport, else the
 * one recorded (hosts.json as mh_hosts_load read it, or NULL) — the rule
 * of mh_hosts_load, so every command reaches a host the same way. */
int mh_hosts_from_topology(const struct topology *t, const struct mh_hosts *recorded,
			   struct mh_hosts *hs);
/* The controller journal: which hosts hold a part of hs->topology (and the
 * transport in force), written before any host changes anything; file is
 * the topology file's absolute path, or NULL. 0 or -1 (printed). */
int mh_hosts_save(const struct mh_hosts *hs, const char *file);
/* 1 loaded, 0 no hosts.json for name, -1 unreadable (printed). The
 * environment's transport wins over the one recorded. */
int mh_hosts_load(const char *name, struct mh_hosts *hs);
void mh_hosts_remove(const char *name);         /* after every host's destroy */
/* Remove file from name's state dir, and the dir when it is then empty. */
void mh_state_unlink(const char *name, const char *file);

/* <state dir of name>/file (make: create the dir); -1 printed. */
int mh_state_path(const char *name, const char *file, char *buf, size_t len, bool make);
/* o (freed here) as path's whole content, atomically; -1 printed. */
int mh_write_json(const char *path, cJSON *o, bool pretty);
const char *mh_jstr(const cJSON *o, const char *key);   /* a string member, or NULL */

/* argv running `aspen <cmd...>` on host i (NULL-terminated cmd), freed by
 * mh_jobs_free with its job; mh_argv_text joins one for a message. */
char **mh_argv(const struct mh_hosts *hs, size_t i, const char *const *cmd);
char *mh_argv_text(char *const *v);

struct linebuf {
	char *s;
	size_t n, cap;
};

struct mh_job {
	size_t host;
	char **argv;
	char *in;                       /* what its stdin gets (owned), or NULL */
	size_t in_len, in_off;
	pid_t pid;
	int fd[3];                      /* stdin, stdout, stderr pipes; -1 closed */
	struct linebuf lb[3];
	int status;                     /* exit status, 128 + signal, or -1 */
	char last_err[512];             /* its last stderr line */
	char key[64], desc[256];        /* a fault job: the key and text the host gave it */
	uint64_t unix_us;               /* a fault job: when the host changed the kernel */
	size_t mutations;               /* an apply or destroy job: what the host changed */
};

typedef void (*mh_line_fn)(const struct mh_hosts *hs, struct mh_job *j, bool err, char *line,
			   void *ud);

/* One job per host running cmd, with in_for(host, arg) (malloc'ed, or NULL)
 * on its stdin; in_for may be NULL. */
struct mh_job *mh_jobs(const struct mh_hosts *hs, const char *const *cmd,
		       char *(*in_for)(size_t host, void *arg), void *arg);
void mh_jobs_free(struct mh_job *jobs, size_t n);
/* Run jobs[0..n) at once; fn gets every line each says (err: from its
 * stderr). A job that fails with stop_on_fail set, or a signal to the
 * controller (mh_stop), stops the others with SIGTERM. Returns how many
 * jobs did not exit 0; each job's status says how it ended. */
size_t mh_run(const struct mh_hosts *hs, struct mh_job *jobs, size_t n, mh_line_fn fn, void *ud,
	      bool stop_on_fail);
/* Name every failed one of jobs[0..n) by its host: "host h2 failed (exit
 * 1): <its last error line>". */
void mh_report_failed(const struct mh_hosts *hs, const struct mh_job *jobs, size_t n, const char *cmd);

/* SIGINT / SIGTERM caught into mh_stop (and SIGPIPE ignored) while on. */
extern volatile sig_atomic_t mh_stop;
void mh_signals(bool on);

#endif
