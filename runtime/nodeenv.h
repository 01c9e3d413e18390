/* nodeenv.h — the environment a netns node's command starts with.
 *
 * Three layers, later ones winning on the same key:
 *   1. what aspen passes through from its own environment (PATH, LANG, ...);
 *   2. what every node shares, derived from the resource's `cluster` string
 *      ("n1=10.0.0.2 n2=10.0.0.3 n3"): ASPEN_NODES (every name),
 *      ASPEN_PEERS (name=ip of every other node with an address) and
 *      ASPEN_IP_<NAME> per node with an address (NAME uppercased, '-' -> '_';
 *      when two names map to one key, the first in file order keeps it);
 *   3. the resource's `env` JSON object: the node's own ASPEN_TOPOLOGY,
 *      ASPEN_NODE, ASPEN_NODE_IP and the user's `env:` entries.
 * Pure: no system calls, so it is unit-tested directly. */
#ifndef ASPEN_NODEENV_H
#define ASPEN_NODEENV_H

#include "runtime/err.h"

/* Returns a malloc'd NULL-terminated "KEY=value" vector (free with
 * nodeenv_free), or NULL with e set when env_json is not a JSON object of
 * strings. inherit is a NULL-terminated list of "KEY=value" (may be NULL);
 * self is the node's own name (left out of ASPEN_PEERS). */
char **nodeenv_build(const char *const *inherit, const char *cluster, const char *self,
		     const char *env_json, struct rt_err *e);
void nodeenv_free(char **envp);

#endif
