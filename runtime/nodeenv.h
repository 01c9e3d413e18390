/* nodeenv.h — the environment a netns node's command starts with.
 *
 * Three layers, later ones winning on the same key:
 *   1. what aspen passes through from its own environment (PATH, LANG, ...);
 *   2. what every node shares, derived from the resource's `cluster` string
 *      ("n1=10.0.0.2 n2=10.0.0.3 n3"): ASPEN_NODES (every name),
 *      ASPEN_PEERS (name=ip of every node with an address, self included),
 *      ASPEN_OTHERS (the same without self; all of them when self is NULL)
 *      and ASPEN_IP_<NAME> per node with an address (NAME uppercased,
 *      '-' -> '_'; when two names map to one key, the first in file order
 *      keeps it);
 *   3. the resource's `env` JSON object: the node's own ASPEN_TOPOLOGY,
 *      ASPEN_NODE, ASPEN_NODE_IP and the user's `env:` entries.
 * Pure: no system calls, so it is unit-tested directly. */
#ifndef ASPEN_NODEENV_H
#define ASPEN_NODEENV_H

#include <stddef.h>

#include "runtime/err.h"

/* Returns a malloc'd NULL-terminated "KEY=value" vector (free with
 * nodeenv_free), or NULL with e set when env_json is not a JSON object of
 * strings. inherit is a NULL-terminated list of "KEY=value" (may be NULL);
 * self is the node's own name (left out of ASPEN_OTHERS). */
char **nodeenv_build(const char *const *inherit, const char *cluster, const char *self,
		     const char *env_json, struct rt_err *e);
void nodeenv_free(char **envp);

/* argv[0..n) with ${VAR} (and $VAR as a whole word, $$) replaced from envp
 * (compiler/envsub.h), as a malloc'd NULL-terminated vector (free with
 * nodeenv_free); NULL with e set ("unknown variable ${X}": validation
 * refuses those, so only a journal from another version gets here). */
char **nodeenv_argv(const char *const *argv, size_t n, char **envp, struct rt_err *e);

struct topology;
/* Node i's environment over inherit (NULL-terminated "KEY=value", e.g.
 * environ): what a health exec and a role probe for node i run with. The
 * same layers as a node command; free with nodeenv_free. */
char **nodeenv_node(const struct topology *t, size_t i, const char *const *inherit,
		    struct rt_err *e);

#endif
