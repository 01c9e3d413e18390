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

/* Multi-host placement (validate_hosts.c, docs/multihost.md): checks
 * hosts: and the nodes' host:, and fills node host_idx and the networks'
 * home_host, spans, vni and eff_mtu. Called by topo_validate once
 * interfaces know their networks, before names_assign. */
void topo_validate_hosts(struct topology *t, struct diag_list *d);
/* Compile for one host's part: t->has_here/here from a host name of
 * hosts: (NULL: the whole topology); an unknown name is an error in d.
 * topo_load_*_with() call it with topo_load_opts.host. */
void topo_set_here(struct topology *t, const char *host, struct diag_list *d);
/* The VNI of a network spanning hosts: FNV-1a 32 of
 * "<topology>\0<network>" xor-folded to 24 bits, never 0. */
uint32_t topo_vni(const char *topology, const char *network);
/* Names of topology items: [a-z0-9]([a-z0-9_-]*[a-z0-9])?, at most 32
 * bytes; topo_report_name says what is wrong with one that is not. */
bool topo_name_ok(const char *name);
void topo_report_name(struct diag_list *d, const char *what, const char *name, struct pos p,
		      const char *path);

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

/* Desired resources of a valid topology, allocated in t->arena. With
 * t->has_here, only what hosts[here] holds: its nodes, the bridges they
 * use, the gateway addresses of the networks whose home it is, and a
 * vxlan/<network> port per spanning network it is on. */
void topo_lower(struct topology *t, struct res_list *out);
/* topo_lower for hosts[host] of a multi-host topology, whatever t->has_here
 * says (restored on return): what `aspen plan` shows per host. */
void topo_lower_host(struct topology *t, size_t host, struct res_list *out);

#endif
