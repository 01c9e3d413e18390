/* drv_link.h — what the drivers of host links share (drv_link.c: bridge,
 * veth, TAP; drv_vxlan.c: VXLAN ports): one way to adopt or refuse a link
 * whose name is taken, to probe presence and ownership, to report a
 * half-made link's "state", and to defer a delete to the phase's batch. */
#ifndef ASPEN_DRV_LINK_H
#define ASPEN_DRV_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/runtime.h"

struct nl_link_info;

/* The unsigned number in r's prop key, 0 when unset. */
unsigned drvlink_uint(const struct resource *r, const char *key);

/* The link name exists: ours (its alias, or its creation MAC: adopt,
 * return 1) or someone else's (EEXIST, naming what and how to fix it). */
int drvlink_adopt_or_collide(struct rt_ctx *c, const struct resource *r, const char *name,
			     const char *what, const char *fix, struct rt_err *e);

/* The ifindex of r's "bridge" prop into *out (0 when r has none). */
int drvlink_master(struct rt_ctx *c, const struct resource *r, int *out, struct rt_err *e);

/* Append a finding to a probe's state text; set it on out when not empty. */
void drvlink_state_add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void drvlink_state_set(struct rt_ctx *c, struct resource *out, const char *state);

/* The probe every link kind starts with: present only when the link called
 * r's "name" exists and carries r's mark; then li is the link, out gets
 * the live mtu (when r sets one) and bridge (when it is no longer r's),
 * state notes a missing alias. */
int drvlink_probe(struct rt_ctx *c, const struct resource *r, bool *present,
		  struct resource *out, struct nl_link_info *li, char *state, size_t slen,
		  struct rt_err *e);

/* Destroy: check now that the link is ours, delete it with the delete
 * phase's batch (rt_defer_link_delete). Absent is success. */
int drvlink_destroy_later(struct rt_ctx *c, const struct resource *r, struct rt_err *e);

/* Preflight of a vxlan resource (drv_vxlan.c): true, with the collision
 * and its fix in what, when a VXLAN link of this host that is neither r's
 * name nor this topology's uses r's VNI and port (the kernel refuses a
 * second one: apply would fail half way). */
bool drvvx_vni_taken(struct rt_ctx *c, const struct resource *r, char *what, size_t len);

#endif
