/* proc.h — supervising the processes aspen starts (netns node commands,
 * cloud-hypervisor VMMs).
 *
 * A process is named by its pid AND its start time (field 22 of
 * /proc/<pid>/stat, clock ticks since boot): the pair is what the journal
 * records, and every call that signals checks it, so a pid the kernel has
 * recycled for someone else is never signalled. Signals go through a pidfd
 * opened before the start time is checked, which closes the window between
 * check and kill.
 *
 * Each spawned process leads its own process group (pgid == pid), and
 * stop/pause/resume signal the whole group, so a node command's children
 * (`sh -c 'a | b'`) stop with it. This is the middle ground between signalling
 * one pid (children escape) and the cgroup freezer (which would also stop
 * children that left the group, but needs a cgroup per node). Group signals
 * use pidfd_send_signal(PIDFD_SIGNAL_PROCESS_GROUP) (Linux 6.9+), which is
 * bound to the group's struct pid and therefore race-free; on older kernels
 * they fall back to kill(-pgid) only while the leader is verified alive.
 * Without pidfd_open at all (Linux < 5.3, or under valgrind) the start time
 * is re-checked right before each kill() and exits are polled in /proc: a
 * window of microseconds instead of none.
 *
 * Daemonized processes are not aspen's children (double fork): when aspen
 * exits they keep running and are reaped by init or the nearest subreaper.
 * When aspen itself is that reaper (PID 1 of a test's pid namespace, or a
 * subreaper), proc_stop reaps the process it stopped; anything else is left
 * to the caller's reaper. */
#ifndef ASPEN_PROC_H
#define ASPEN_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/err.h"

struct proc_id {
	pid_t pid;
	unsigned long long starttime;   /* /proc/<pid>/stat field 22 */
};

struct proc_spec {
	const char *const *argv;        /* NULL-terminated; argv[0] searched in PATH
					 * (aspen's PATH) when it has no '/' */
	const char *const *envp;        /* NULL-terminated, or NULL = inherit */
	const char *workdir;            /* NULL = "/" when daemonized, else inherit */
	const char *netns_path;         /* enter this network namespace; NULL = none */
	int netns_fd;                   /* used when netns_path is NULL; -1 = none */
	const char *log_path;           /* stdout+stderr appended here (created 0600);
					 * NULL = /dev/null */
	const char *stdout_path;        /* stdout alone appended here instead (created
					 * 0600 in the child); NULL = log_path */
	bool daemonize;                 /* double fork: not aspen's child */
	const char *pidfile;            /* daemonize only: "<pid> <starttime>\n" is
					 * written here (temp + rename) by the
					 * intermediate child, which outlives a
					 * crash of aspen: the process can never
					 * exist without its pidfile. NULL = none */
};

enum proc_state {
	PROC_GONE,      /* no such pid, or the pid now names another process */
	PROC_RUNNING,   /* running or sleeping */
	PROC_STOPPED,   /* stopped by a signal (T) */
	PROC_ZOMBIE,    /* exited, not yet reaped */
};

/* Start s->argv. On success *out names the new process and exec has
 * already succeeded (a pipe closed on exec reports any failure before it:
 * `exec failed: No such file or directory`, `chdir /x: ...`, `setns: ...`).
 * stdin is /dev/null. Without daemonize the process is the caller's child,
 * which must reap it (waitpid). Signal dispositions and the signal mask are
 * reset to defaults in the child. */
int proc_spawn(const struct proc_spec *s, struct proc_id *out, struct rt_err *e);

/* After proc_spawn: wait until each of ids[0..n) has settled — exited, or
 * every thread of it asleep (state S: waiting for input, a connection, a
 * timer or a child; or stopped) — for at most cap_ms. A command that dies
 * at once has then died, and one that runs has reached its first wait, so
 * a liveness check right after means something without a fixed sleep
 * (a program still busy at cap_ms counts as running). Exits wake the wait
 * at once through pidfds. */
void proc_settle(const struct proc_id *ids, size_t n, int cap_ms);

/* Write "<pid> <starttime>\n" to path atomically (temp file + rename),
 * mode 0600. Async-signal-safe: usable between fork and exec. */
int proc_write_pidfile(const char *path, const struct proc_id *id);

/* Read the start time of pid from /proc. -1 (ESRCH) when there is no such
 * pid. */
int proc_starttime(pid_t pid, unsigned long long *out, struct rt_err *e);

/* The state of the process named by id; PROC_GONE when the pid is free or
 * its start time differs (recycled). */
enum proc_state proc_state(const struct proc_id *id);
const char *proc_state_name(enum proc_state s);

/* True only when the pid exists with the same start time and has not
 * exited (running or stopped; a zombie is not alive). */
bool proc_alive(const struct proc_id *id);

/* Send sig to the process (not its group). Refuses with ESRCH when the pid
 * is gone or recycled, without signalling anything. */
int proc_signal(const struct proc_id *id, int sig, struct rt_err *e);

/* Stop the process group: SIGTERM (+SIGCONT, so a paused process can act
 * on it), wait up to grace_ms for the leader to exit, then SIGKILL the
 * group and wait up to 5 s more. Leftover group members are SIGKILLed once
 * the leader is gone (kernels with PIDFD_SIGNAL_PROCESS_GROUP). A process
 * that is already gone (or recycled) counts as stopped: returns 0. Reaps the
 * process when it is the caller's child. */
int proc_stop(const struct proc_id *id, int grace_ms, struct rt_err *e);

/* SIGSTOP / SIGCONT the process group. Refuses (ESRCH) when gone.
 * proc_state() shows PROC_STOPPED once the leader has stopped; a leader
 * caught in vfork() (dash starting a command) waits in 'D' for its stopped
 * child instead, which is just as paused but reads as running. */
int proc_pause(const struct proc_id *id, struct rt_err *e);
int proc_resume(const struct proc_id *id, struct rt_err *e);

/* Send sig to the process and its group at once (the fault engine's kill:
 * SIGKILL with no SIGTERM first, so nothing gets to clean up). Refuses
 * (ESRCH) when gone. */
int proc_signal_group(const struct proc_id *id, int sig, struct rt_err *e);

/* Wait up to timeout_ms for the process to exit (become a zombie or
 * vanish). 0 when it exited, -1 with ETIMEDOUT otherwise. Works for
 * processes that are not the caller's children (pidfd + poll). */
int proc_wait_exit(const struct proc_id *id, int timeout_ms, struct rt_err *e);

#endif
