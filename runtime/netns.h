/* netns.h — named network namespaces, compatible with iproute2.
 *
 * A namespace NAME is a bind mount of a namespace file onto /run/netns/NAME,
 * exactly what `ip netns add` makes, so `ip netns exec NAME ...` works on
 * ours and ours on its. Namespaces have no alias to carry an ownership mark,
 * so aspen writes the mark into /run/aspen/netns/NAME.owner (directory 0700,
 * file 0600) and deletes only namespaces whose marker matches.
 *
 * The marker comes first: it is the intent, written (complete, atomically)
 * before the namespace file is claimed, so an unmarked file under
 * /run/netns is never aspen's, and a crash leaves at worst a marker alone
 * or a marker with an unmounted file — both found by the marker and
 * finished or removed (netns_state, netns_create, netns_delete_owned).
 *
 * Deleting a namespace is asynchronous in the kernel: the links inside it
 * (veth peers) go away some time after the last reference. Delete a veth by
 * its host end first when its name is to be reused at once. */
#ifndef ASPEN_RT_NETNS_H
#define ASPEN_RT_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/err.h"

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_OWNER_DIR "/run/aspen/netns"

/* Create namespace name with lo up, owned by mark. If it already exists
 * with the same mark this is success (it is completed if a crash left it
 * half made: marker only, file not mounted, lo down); if it exists otherwise
 * it fails with EEXIST. Names are [A-Za-z0-9._-], not "." or "..", at most
 * 64 bytes. */
int netns_create(const char *name, const char *mark, struct rt_err *e);

/* One namespace of a batch for netns_create_all. */
struct netns_req {
	const char *name, *mark;        /* in */
	int rc;                         /* out: 0 created (or already ours), -1 failed */
	struct rt_err err;              /* out: why, when rc is -1 */
	unsigned long long us;          /* out: how long it took, microseconds */
};

/* netns_create for each of v[0..n), on up to `threads` threads at once (0:
 * one per online CPU). Creating a namespace is mostly kernel work that runs
 * in parallel, so this is ~1.6x faster than a loop on two CPUs. Every v[i]
 * gets its own outcome (a journal can record exactly what exists); returns
 * 0 when all succeeded, else -1 with e naming the first failure. */
int netns_create_all(struct netns_req *v, size_t n, unsigned threads, struct rt_err *e);

/* Open the namespace for setns()/nl_open(): *fd gets an O_RDONLY|O_CLOEXEC
 * fd the caller closes. A missing namespace fails with ENOENT. */
int netns_open(const char *name, int *fd, struct rt_err *e);

/* fn(arg, e) on this thread inside namespace name (NULL or "": where the
 * thread is), then back: what fn creates there (sockets) stays there. A
 * namespace that is not there fails as netns_open does. Failing to come
 * back would leave the thread acting on the wrong namespace: that aborts. */
int netns_call(const char *name, int (*fn)(void *arg, struct rt_err *e), void *arg,
	       struct rt_err *e);

/* True when /run/netns/name is a mounted namespace. */
bool netns_exists(const char *name);

/* What is on disk of namespace name, seen by the owner of mark. */
enum netns_state {
	NETNS_ABSENT,           /* no file, and no marker of mark */
	NETNS_FOREIGN,          /* a file without mark's marker: not ours */
	NETNS_MARKED,           /* mark's marker, no file yet (crash before it) */
	NETNS_UNMOUNTED,        /* mark's marker and an unmounted file */
	NETNS_MOUNTED,          /* mark's marker and a mounted namespace */
};
enum netns_state netns_state(const char *name, const char *mark);

/* Copy the ownership mark of name into buf. No marker fails with ENOENT. */
int netns_owner(const char *name, char *buf, size_t len, struct rt_err *e);

/* Unmount (lazily) and remove /run/netns/name and its marker. A missing
 * namespace is success. No ownership check: prefer netns_delete_owned. */
int netns_delete(const char *name, struct rt_err *e);

/* netns_delete, only if the marker equals mark; otherwise fail with EPERM
 * and leave the namespace alone. A missing namespace is success. */
int netns_delete_owned(const char *name, const char *mark, struct rt_err *e);

#endif
