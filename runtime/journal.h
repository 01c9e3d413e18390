/* journal.h — the state journal of one topology.
 *
 * The journal is what aspen knows it created: every resource (kind, id,
 * props, deps — the same struct resource the planner diffs), the processes
 * it started (pid + start time), and the fault engine's records. It lives
 * at <state dir>/state.json:
 *
 *   {"format_version": 1, "topology": "cluster3",
 *    "file": "/abs/cluster3.yaml" | null, "updated": "2025-01-02T03:04:05Z",
 *    "resources": [{"kind": "veth", "id": "veth/node1.eth0",
 *                   "props": {"k": "v"}, "deps": ["netns/node1"]}],
 *    "processes": {"process/node1": {"pid": 1234, "starttime": 56789}},
 *    "faults": [ ...opaque to the journal, owned by the fault engine... ]}
 *
 * After every action that succeeds the runtime updates the in-memory journal
 * and calls journal_save(), which replaces the file atomically (temp file in
 * the same directory, fsync, rename, fsync of the directory): a crash leaves
 * either the old or the new journal, never a torn one, so `destroy` can
 * always finish. The caller holds the topology's lock (lock.h) while it
 * loads, changes and saves. Everything a journal holds lives in its arena;
 * a replaced or removed resource stays there until journal_free(). */
#ifndef ASPEN_JOURNAL_H
#define ASPEN_JOURNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

#include "compiler/arena.h"
#include "compiler/resource.h"
#include "runtime/err.h"
#include "runtime/proc.h"

#define JOURNAL_FORMAT_VERSION 1
#define JOURNAL_FILE "state.json"

struct journal_proc {
	const char *id;                 /* resource id, e.g. "process/node1" */
	struct proc_id proc;
};

struct journal_index;

struct journal {
	struct arena arena;             /* owns every string and array below */
	const char *name;               /* topology name */
	const char *dir;                /* state dir */
	const char *path;               /* <dir>/state.json */
	const char *file;               /* absolute topology file, or NULL */
	const char *updated;            /* ISO 8601 UTC of the last save, or NULL */
	struct res_list resources;      /* in the order they were first set */
	struct journal_proc *procs;
	size_t n_procs, cap_procs;
	cJSON *faults;                  /* a JSON array kept as is, or NULL; owned */
	struct journal_index *idx;      /* ids -> positions, built on first lookup */
	pthread_t closer;               /* closing the file the last save replaced */
	bool closing;
};

/* Load the journal of topology name into j (which need not be initialized).
 * A missing journal is an empty state, not an error. A file that is not
 * valid JSON, has an unknown format_version, names another topology or has
 * a malformed entry fails with a message naming the file:
 *   state journal /var/lib/aspen/c3/state.json: unknown format_version 2 ...
 * On failure j is left empty and still needs journal_free(). */
int journal_load(struct journal *j, const char *name, struct rt_err *e);

/* Remove the temp files of saves a crash cut short (state.json.tmp.*,
 * between mkostemp and rename). Only while holding the topology's lock:
 * no other process is then saving into that directory. */
void journal_sweep(const struct journal *j);

/* Free everything j holds (after waiting for a save's background close);
 * j may be reloaded after. */
void journal_free(struct journal *j);

/* Record the topology file the state came from: an absolute path, or NULL. */
int journal_set_file(struct journal *j, const char *abs_path, struct rt_err *e);

/* Upsert r by id (deep copy). A replaced resource keeps its position. */
int journal_set_resource(struct journal *j, const struct resource *r, struct rt_err *e);
/* Remove the resource with this id; false when there was none. */
bool journal_remove_resource(struct journal *j, const char *id);
const struct resource *journal_find_resource(const struct journal *j, const char *id);

/* Upsert / remove / find a process record by id. */
void journal_set_process(struct journal *j, const char *id, const struct proc_id *p);
bool journal_remove_process(struct journal *j, const char *id);
const struct proc_id *journal_find_process(const struct journal *j, const char *id);

/* Replace the fault records with arr (a cJSON array, ownership taken; NULL
 * clears them). */
void journal_set_faults(struct journal *j, cJSON *arr);

/* True when the journal records nothing (no resources, processes or faults). */
bool journal_empty(const struct journal *j);

/* Write the journal atomically (mode 0600; the state dir is created 0700
 * when missing) and set j->updated. On failure (full disk, I/O error) the
 * previous file is untouched and no temporary file is left behind. */
int journal_save(struct journal *j, struct rt_err *e);

/* Delete the journal of topology name (and stray temporary files from an
 * interrupted save), then the state dir when nothing else is left in it (a
 * held lock keeps it; lock_release removes it then). A missing journal is
 * not an error. */
int journal_remove(const char *name, struct rt_err *e);

#endif
