/* vm.h — Cloud Hypervisor nodes beyond the driver interface: what the
 * fault engine, `aspen status`, the health wait and the preflight need.
 *
 * A VM node is two resources (docs/resources.md): vmm/<node>, the
 * cloud-hypervisor process serving its API on <node>.sock, and vm/<node>,
 * the VM created and booted through that API. Their drivers (drv_vmm,
 * drv_vm) live in drv_vm.c with the functions below; the VMM of a node is
 * found through the journal (pid + start time, socket) or, after a crash,
 * its pidfile <run dir>/<node>.vmm.pid.
 *
 * Timeouts: each API request waits at most $ASPEN_CH_TIMEOUT_MS (default
 * 30 s), a new VMM's socket at most $ASPEN_CH_READY_MS (default 10 s, and
 * a VMM that exits first ends that wait at once); probes
 * wait at most 2 s per request and destroys 2 s plus 1 s per GiB of guest
 * memory (vm_shutdown_ms), so a hung VMM costs a destroy seconds, not
 * minutes. */
#ifndef ASPEN_RT_VM_H
#define ASPEN_RT_VM_H

#include <cJSON.h>
#include <stddef.h>

#include "compiler/plan.h"
#include "compiler/resource.h"
#include "runtime/err.h"
#include "runtime/runtime.h"

#define VM_BINARY_DEFAULT "cloud-hypervisor"

/* ---- lifecycle of a running node (for the fault engine) ---- */

/* vm.pause / vm.resume / vm.reboot of node's VM. Errors name the node and
 * carry CH's message: "node2: vm.pause failed (500): Error from API: ...". */
int rt_vm_pause(struct rt_ctx *c, const char *node, struct rt_err *e);
int rt_vm_resume(struct rt_ctx *c, const char *node, struct rt_err *e);
int rt_vm_reboot(struct rt_ctx *c, const char *node, struct rt_err *e);

/* Pull the plug: SIGKILL node's VMM (no shutdown), wait until it is gone,
 * remove its stale socket. The journal keeps the resources, so `plan`
 * shows the node as drift and `apply` (or a `start` fault) recreates it.
 * A VMM that is already gone is success. */
int rt_vm_kill(struct rt_ctx *c, const char *node, struct rt_err *e);

/* The VM's state as vm.info reports it ("Running", "Paused", "Created",
 * "Shutdown") into state; -1 with the reason when the VMM is not running
 * or does not answer ("node1: VMM not running"). */
int rt_vm_state(struct rt_ctx *c, const char *node, char state[16], struct rt_err *e);

/* 0 when node's VMM process is alive and its VM Running or Paused; -1 with
 * the reason and the tail of the VMM's log otherwise. For the health wait. */
int rt_vm_check(struct rt_ctx *c, const char *node, struct rt_err *e);

/* ---- shared with the preflight ---- */

/* The cloud-hypervisor binary of a vmm resource's `binary` prop: the prop
 * when not empty, else $ASPEN_CH_BINARY, else cloud-hypervisor; a name
 * without '/' is searched in PATH. out gets the path; -1 with a message
 * saying where it looked when there is no such executable. */
int vm_binary(const char *prop, char *out, size_t len, struct rt_err *e);

/* The VmConfig (runtime/vmconfig.h) of a vm/<node> resource, in the form
 * Cloud Hypervisor version ch_version (ch_version.h; 0: unknown, v48's
 * form) needs. Console and serial in `log` mode write
 * <run_dir>/<node>.console.log and <node>.serial.log. *out is freed by the
 * caller with cJSON_Delete. */
int vm_config(const char *run_dir, const struct resource *r, unsigned ch_version, cJSON **out,
	      struct rt_err *e);

/* The version of node's running VMM as vmm.ping reports its build
 * ("v48.0"), into out; -1 with the reason when it does not answer. */
int rt_vm_version(struct rt_ctx *c, const char *node, char *out, size_t len, struct rt_err *e);

/* ---- preflight (preflight.c) ---- */

/* Before anything is created: for every VMM and VM the plan creates, the
 * binary exists and is executable, /dev/kvm opens read-write (skipped when
 * ASPEN_SKIP_KVM_CHECK=1, for tests with the API double, which needs no
 * KVM), the kernel, initramfs, firmware and disk images exist and are
 * readable (disks writable unless readonly) and the VmConfig is one CH
 * accepts. 0 when all is well; -1 with one line per problem, naming the
 * node(s) and the fix:
 *   2 problems with VM nodes; nothing was changed:
 *     node1, node2: kernel /src/images/vmlinux: No such file or directory (...)
 *     node3: cloud-hypervisor binary: not found in PATH (...) */
int vm_preflight(const struct plan *p, struct rt_err *e);

/* The per-request timeout for VMM API calls: $ASPEN_CH_TIMEOUT_MS or the
 * default. Every caller of a VMM API uses it. */
long vm_request_ms(void);

/* How long destroy waits for vm.shutdown, vm.delete, vmm.shutdown and the
 * VMM's exit before it signals: 2 s plus 1 s per GiB of guest memory
 * (tearing down a large guest's memory and devices takes longer), at most
 * vm_request_ms(). 512 MiB: 2.5 s; 16 GiB: 18 s (docs/vms.md). */
long vm_shutdown_ms(unsigned long long guest_bytes);

#endif
