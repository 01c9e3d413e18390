/* ch_client.h — aspen's client for Cloud Hypervisor's REST API (v48 to v53;
 * what differs between releases is in ch_version.h).
 *
 * One struct ch per VMM: a libcurl easy handle bound to the VMM's unix
 * socket and reused for every request, so the connection is kept alive.
 * Calls are synchronous and return 0 or -1 with a message in the rt_err:
 *
 *   vm.boot failed (500): Error from API: The VM could not boot: ...
 *   vm.boot: cannot connect to /run/aspen/c3/node1.sock: No such file or directory
 *   vm.boot: no answer from /run/aspen/c3/node1.sock within 30000 ms
 *
 * v48 answers a failed action 500 with a JSON array of error strings,
 * outermost first; the client joins them with ": ". Newer releases answer
 * some of the same failures 404/405/409 and older micro_http parse errors
 * come as {"error": "..."}; all are reported the same way, and
 * ch_last_status() gives the code to callers that branch on it. */
#ifndef ASPEN_RT_CH_CLIENT_H
#define ASPEN_RT_CH_CLIENT_H

#include <cJSON.h>

#include "runtime/err.h"

struct ch;

#define CH_DEFAULT_CONNECT_MS 1000
#define CH_DEFAULT_REQUEST_MS 30000

struct ch_ping {
	char version[32];               /* "48.0.0" */
	char build_version[64];         /* "v48.0" */
	long pid;
};

/* Prepare a client for the API socket at socket_path (nothing is connected
 * yet). *out is freed with ch_close. -1 only on OOM or a libcurl failure. */
int ch_open(struct ch **out, const char *socket_path, struct rt_err *e);
/* Accepts NULL. */
void ch_close(struct ch *ch);

/* Milliseconds; 0 keeps the current value. Defaults above. */
void ch_set_timeouts(struct ch *ch, long connect_ms, long request_ms);

/* HTTP status of the last request that got an answer (0: none yet). */
int ch_last_status(const struct ch *ch);

/* GET vmm.ping. out may be NULL. */
int ch_ping(struct ch *ch, struct ch_ping *out, struct rt_err *e);

/* Poll vmm.ping until the VMM answers, at most timeout_ms. The error names
 * the socket path and the last reason ("... did not answer within 2000 ms:
 * cannot connect: No such file or directory"); errnum is ETIMEDOUT. */
int ch_wait_ready(struct ch *ch, long timeout_ms, struct rt_err *e);
/* The same, watching the VMM through pidfd (a pidfd_open descriptor, or -1):
 * when the process exits first, -1 at once with errnum ECHILD. */
int ch_wait_ready_pid(struct ch *ch, long timeout_ms, int pidfd, struct rt_err *e);

/* PUT vm.create with vmconfig as the body (see runtime/vmconfig.h). */
int ch_vm_create(struct ch *ch, const cJSON *vmconfig, struct rt_err *e);

/* PUT vm.boot, vm.shutdown, vm.reboot, vm.power-button, vm.pause,
 * vm.resume, vm.delete, vmm.shutdown: no body, success is 2xx. */
int ch_vm_boot(struct ch *ch, struct rt_err *e);
int ch_vm_shutdown(struct ch *ch, struct rt_err *e);
int ch_vm_reboot(struct ch *ch, struct rt_err *e);
int ch_vm_power_button(struct ch *ch, struct rt_err *e);
int ch_vm_pause(struct ch *ch, struct rt_err *e);
int ch_vm_resume(struct ch *ch, struct rt_err *e);
int ch_vm_delete(struct ch *ch, struct rt_err *e);
int ch_vmm_shutdown(struct ch *ch, struct rt_err *e);

/* GET vm.info: state_out gets "Created", "Running", "Paused" or "Shutdown"
 * (may be NULL); *config_out (if config_out is non-NULL) a new cJSON the
 * caller frees, the config as the VMM holds it with its defaults. */
int ch_vm_info(struct ch *ch, char state_out[16], cJSON **config_out, struct rt_err *e);

#endif
