/* compile.h — the compiler's entry points: file -> topology -> resources.
 *
 *   topo_load()     parse + decode + validate one file; every error into d
 *   topo_lower()    a valid topology -> desired resources
 *
 * Both are pure: topo_load reads the file and nothing else. */
#ifndef ASPEN_COMPILE_H
#define ASPEN_COMPILE_H

#include "compiler/diag.h"
#include "compiler/resource.h"
#include "compiler/topology.h"

/* Limits that keep hostile input an error rather than a crash or a hang. */
#define TOPO_MAX_FILE_BYTES   (16u * 1024u * 1024u)   /* a topology is never this large */
#define TOPO_MAX_DEPTH        64u                     /* nesting of mappings/sequences */
#define TOPO_MAX_NODES_VISITED 4000000u               /* after alias expansion */
#define TOPO_MAX_SCALAR       65536u                  /* bytes in one scalar */

/* Load and check a topology. Returns the topology (possibly partial) or NULL
 * when the file could not be read or parsed at all; d says why. The caller
 * checks diag_failed(d) and frees with topo_free(). */
struct topology *topo_load(const char *path, struct diag_list *d);
/* The same from a buffer (tests, fuzzing). `path` names it in messages and
 * its folder resolves relative paths. */
struct topology *topo_load_buffer(const char *path, const char *buf, size_t len,
				  struct diag_list *d);

/* The same with the caller's say on the seed of generators (see struct
 * topo_load_opts); topo_load() is topo_load_with(path, NULL, d): the file's
 * `seed:`, else 0. */
struct topology *topo_load_with(const char *path, const struct topo_load_opts *o,
				struct diag_list *d);
struct topology *topo_load_buffer_with(const char *path, const char *buf, size_t len,
				       const struct topo_load_opts *o, struct diag_list *d);

/* Decoding alone, without topo_validate: what the decoder's own tests use,
 * so they see the decoder's diagnostics and nothing else. */
struct topology *topo_decode_buffer(const char *path, const char *buf, size_t len,
				    struct diag_list *d);

/* Semantic checks and derived fields (generated names, resolved indices,
 * absolute paths). Called by topo_load*() after decoding; appends every
 * problem to d. Implemented in validate.c and names.c. */
void topo_validate(struct topology *t, struct diag_list *d);

/* The IPv6 checks (subnet6, gateway6, ip6, IPv6 health addresses), called
 * by topo_validate once interfaces know their networks (validate6.c). */
void topo_validate6(struct topology *t, struct diag_list *d);
/* Is a inside prefix p? */
bool topo_v6_in(const struct ipv6_prefix *p, const uint8_t a[16]);

/* What node i's command gets in its environment (lower.c): the `cluster`
 * string every node shares and the node's own env as a JSON object
 * (runtime/nodeenv.c turns both into "KEY=value"). Allocated in a. */
void topo_node_env(const struct topology *t, size_t i, struct arena *a, const char **cluster,
		   const char **env);

/* Expand generators (`every`, random picks) into t->faults from t->seed
 * (generate.c). Called by topo_validate before the schedule checks, so
 * they see every instance. The same seed gives the same faults on every
 * machine: the PRNG is aspen's own (splitmix64), never rand(). */
void topo_generate(struct topology *t, struct diag_list *d);

/* The PRNG of the generators, exposed for tests: splitmix64. */
uint64_t gen_next(uint64_t *state);

/* Desired resources of a valid topology, allocated in t->arena. */
void topo_lower(struct topology *t, struct res_list *out);

#endif
