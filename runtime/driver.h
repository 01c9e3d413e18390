/* driver.h — one driver per resource kind, behind one small interface.
 *
 * The executor knows nothing about bridges or VMs: it walks the plan and
 * calls the driver of each resource's kind. A driver is four functions:
 *
 *   create   make the object; if an object with that name already exists and
 *            carries this resource's ownership mark, adopt it (a crash between
 *            the kernel call and the journal write leaves exactly that);
 *            if it exists without the mark, fail and say how to resolve it.
 *   update   change the updatable properties in place (resource.h).
 *   destroy  delete the object if it exists and is ours; absent is success.
 *   probe    observe the live object behind a journaled resource: absent, or
 *            present with its live property values (drift shows in the diff).
 *
 * All return 0 / -1 with the message in struct rt_err. A recording driver
 * in the tests replaces the real ones to test the executor alone. */
#ifndef ASPEN_DRIVER_H
#define ASPEN_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/resource.h"
#include "runtime/err.h"

struct rt_ctx;

struct res_driver {
	int (*create)(struct rt_ctx *c, const struct resource *r, struct rt_err *e);
	int (*update)(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		      struct rt_err *e);
	int (*destroy)(struct rt_ctx *c, const struct resource *r, struct rt_err *e);
	/* *present = false when gone; when present, live props are set into
	 * *out (allocated in the context's arena), starting from a copy of r. */
	int (*probe)(struct rt_ctx *c, const struct resource *r, bool *present,
		     struct resource *out, struct rt_err *e);
	/* Optional: create rs[0..n), independent of each other, at once (as
	 * create would, one by one). rc[i] and err[i] get each one's outcome,
	 * us[i] the microseconds it took. */
	void (*create_many)(struct rt_ctx *c, const struct resource *const *rs, size_t n, int *rc,
			    struct rt_err *err, uint64_t *us);
};

#endif
