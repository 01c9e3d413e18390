/* paths.h — where aspen keeps a topology's state and runtime files.
 *
 *   state dir    $ASPEN_STATE_DIR/<name>, else /var/lib/aspen/<name>
 *                (journal state.json, lock) — survives reboots
 *   runtime dir  $ASPEN_RUN_DIR/<name>, else /run/aspen/<name>
 *                (API sockets, logs of this boot) — gone at reboot
 *
 * Topology names follow the language ([a-z0-9]([a-z0-9_-]*[a-z0-9])?, at
 * most 32 bytes); anything else is refused before it reaches a path, so a
 * name can never escape the root ("../x"). Directories are created 0700. */
#ifndef ASPEN_PATHS_H
#define ASPEN_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/err.h"

#define PATHS_MAX 4096

/* True when name is a valid topology name. */
bool paths_valid_name(const char *name);

/* The state root / runtime root (environment or default), into buf. */
int paths_state_root(char *buf, size_t size, struct rt_err *e);
int paths_run_root(char *buf, size_t size, struct rt_err *e);

/* <root>/<name> into buf. Fails on an invalid name or a path too long. */
int paths_state_dir(const char *name, char *buf, size_t size, struct rt_err *e);
int paths_run_dir(const char *name, char *buf, size_t size, struct rt_err *e);

/* The control API's socket in the run directory (api/server.c serves it
 * while it holds the topology's lock, so one found by a new lock holder
 * was left by a killed one). */
#define PATHS_API_SOCKET "api.sock"

/* Like the above, and create the directory (and a missing root) with mode
 * 0700. An existing directory is accepted as it is. */
int paths_make_state_dir(const char *name, char *buf, size_t size, struct rt_err *e);
int paths_make_run_dir(const char *name, char *buf, size_t size, struct rt_err *e);

/* Remove dir if it is empty; a missing or non-empty dir is not an error. */
int paths_remove_dir_if_empty(const char *dir, struct rt_err *e);

/* All of buf[0..len) to fd, through short writes and EINTR: 0, or -1 with
 * errno set. */
int paths_write_all(int fd, const char *buf, size_t len);

/* text as path's whole content, atomically: written to "<path>.tmp"
 * (mode 0600), fsync'ed, renamed over path. 0, or -1 with errno set and
 * nothing left but what path was. */
int paths_write_atomic(const char *path, const char *text);

/* The names of the topologies that have a state dir, sorted. A missing
 * state root gives an empty list. *out is malloc'ed; free it with
 * paths_list_free(). Entries that are not directories or not valid names
 * are skipped. */
int paths_list_topologies(char ***out, size_t *n, struct rt_err *e);
void paths_list_free(char **list, size_t n);

#endif
