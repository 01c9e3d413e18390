/* vmconfig.h — the VmConfig body aspen sends to Cloud Hypervisor's vm.create.
 *
 * Plain C inputs in, a cJSON object out, shaped exactly as Cloud Hypervisor
 * v48's OpenAPI schema (and its serde structs) want it:
 *
 *   {"cpus":    {"boot_vcpus": N, "max_vcpus": N},
 *    "memory":  {"size": BYTES},
 *    "payload": {"kernel": ..., "cmdline": ..., "initramfs": ...} | {"firmware": ...},
 *    "disks":   [{"path": ..., "readonly": B}, ...],
 *    "net":     [{"tap": ..., "mac": ...}, ...],
 *    "serial":  {"mode": "Off|Null|Tty|Pty|File", "file": ...},
 *    "console": {"mode": ..., "file": ...}}
 *
 * Only fields aspen decides are emitted; everything else keeps CH's default.
 * The inputs are checked against what v48 would refuse later (at vm.boot),
 * so a bad node is reported before a VMM is even started. */
#ifndef ASPEN_RT_VMCONFIG_H
#define ASPEN_RT_VMCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "runtime/err.h"

#define VMCONFIG_MAX_VCPUS 8192u        /* v48 limit on x86_64 with KVM */

enum vmconfig_out_mode {
	VMCONFIG_OUT_OFF,       /* "Off": no device */
	VMCONFIG_OUT_NULL,      /* "Null": device present, output dropped */
	VMCONFIG_OUT_TTY,       /* "Tty": the VMM's stdout */
	VMCONFIG_OUT_PTY,       /* "Pty": a new pseudo terminal */
	VMCONFIG_OUT_FILE,      /* "File": written to .file ("log" in topologies) */
};

struct vmconfig_out {
	enum vmconfig_out_mode mode;
	const char *file;       /* required for VMCONFIG_OUT_FILE, else ignored */
};

struct vmconfig_disk {
	const char *path;
	bool readonly;
};

struct vmconfig_net {
	const char *tap;        /* an existing TAP; at most 15 characters */
	const char *mac;        /* guest MAC "52:54:00:12:34:56", or NULL: CH picks one */
};

struct vmconfig_in {
	unsigned cpus;          /* boot and max vCPUs, 1..VMCONFIG_MAX_VCPUS */
	uint64_t memory;        /* guest RAM in bytes, > 0, a multiple of 4 KiB */
	const char *kernel;     /* exactly one of kernel and firmware */
	const char *firmware;
	const char *initramfs;  /* optional, kernel boots only */
	const char *cmdline;    /* optional, kernel boots only */
	const struct vmconfig_disk *disks;
	size_t n_disks;
	const struct vmconfig_net *nets;
	size_t n_nets;
	struct vmconfig_out console;    /* zeroed = "Off" */
	struct vmconfig_out serial;     /* zeroed = "Off" */
	bool disk_image_type_raw;       /* every disk says "image_type": "Raw"
					 * (CH v50.1+, see ch_version.h) */
};

/* Build the VmConfig for in. On success *out is a new cJSON object the caller
 * frees with cJSON_Delete; returns 0. On bad inputs or OOM returns -1 with a
 * message naming the field ("vmconfig: net[1].tap: ...") and *out = NULL. */
int vmconfig_build(const struct vmconfig_in *in, cJSON **out, struct rt_err *e);

/* CH's name for a mode: "Off", "Null", "Tty", "Pty", "File". */
const char *vmconfig_out_mode_name(enum vmconfig_out_mode m);

#endif
