/* vmconfig.c — building Cloud Hypervisor v48 VmConfig bodies (see vmconfig.h).
 *
 * Two passes: check every input against what v48 refuses (payload without a
 * boot item, firmware plus kernel, File mode without a path, TAP names over
 * IFNAMSIZ, malformed MACs), then emit JSON. Emitting never fails on valid
 * input except for OOM, so the checks are the contract. Field names and
 * nesting follow docs/ch-api.md ("VmConfig"). */
#include "runtime/vmconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define TAP_NAME_MAX 15         /* IFNAMSIZ - 1 */

const char *vmconfig_out_mode_name(enum vmconfig_out_mode m)
{
	switch (m) {
	case VMCONFIG_OUT_OFF:  return "Off";
	case VMCONFIG_OUT_NULL: return "Null";
	case VMCONFIG_OUT_TTY:  return "Tty";
	case VMCONFIG_OUT_PTY:  return "Pty";
	case VMCONFIG_OUT_FILE: return "File";
	}
	return NULL;
}

static bool vmconfig_mac_ok(const char *s)
{
	/* six two-digit hex groups separated by ':' — what CH's MacAddr parses */
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return false;
		s += 2;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

static bool vmconfig_empty(const char *s)
{
	return !s || !*s;
}

static int vmconfig_check_out(const struct vmconfig_out *o, const char *what, struct rt_err *e)
{
	if (!vmconfig_out_mode_name(o->mode))
		return rt_errf(e, EINVAL, "vmconfig: %s.mode: unknown mode %d", what, (int)o->mode);
	if (o->mode == VMCONFIG_OUT_FILE && vmconfig_empty(o->file))
		return rt_errf(e, EINVAL, "vmconfig: %s: mode File needs a file path", what);
	return 0;
}

static int vmconfig_check(const struct vmconfig_in *in, struct rt_err *e)
{
	if (in->cpus < 1 || in->cpus > VMCONFIG_MAX_VCPUS)
		return rt_errf(e, EINVAL, "vmconfig: cpus: %u is not in 1..%u", in->cpus,
			       VMCONFIG_MAX_VCPUS);
	if (in->memory == 0 || in->memory % 4096 != 0)
		return rt_errf(e, EINVAL, "vmconfig: memory: %llu bytes is not a positive multiple of 4096",
			       (unsigned long long)in->memory);
	bool k = !vmconfig_empty(in->kernel), f = !vmconfig_empty(in->firmware);
	if (k == f)
		return rt_errf(e, EINVAL, "vmconfig: payload: give exactly one of kernel and firmware%s",
			       k ? "" : " (neither is set)");
	if (f && (!vmconfig_empty(in->cmdline) || !vmconfig_empty(in->initramfs)))
		return rt_errf(e, EINVAL, "vmconfig: payload: cmdline and initramfs need a kernel, "
			       "Cloud Hypervisor ignores them with a firmware");
	for (size_t i = 0; i < in->n_disks; i++)
		if (vmconfig_empty(in->disks[i].path))
			return rt_errf(e, EINVAL, "vmconfig: disks[%zu].path: missing", i);
	for (size_t i = 0; i < in->n_nets; i++) {
		const struct vmconfig_net *n = &in->nets[i];
		if (vmconfig_empty(n->tap))
			return rt_errf(e, EINVAL, "vmconfig: net[%zu].tap: missing", i);
		if (strlen(n->tap) > TAP_NAME_MAX)
			return rt_errf(e, EINVAL, "vmconfig: net[%zu].tap: \"%s\" is longer than %d characters",
				       i, n->tap, TAP_NAME_MAX);
		if (n->mac && !vmconfig_mac_ok(n->mac))
			return rt_errf(e, EINVAL, "vmconfig: net[%zu].mac: \"%s\" is not xx:xx:xx:xx:xx:xx",
				       i, n->mac);
	}
	if (vmconfig_check_out(&in->console, "console", e) ||
	    vmconfig_check_out(&in->serial, "serial", e))
		return -1;
	return 0;
}

/* Each add returns the item or NULL on OOM; callers test once at the end. */
static cJSON *vmconfig_obj(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddItemToObject(parent, key, o)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool vmconfig_str(cJSON *o, const char *key, const char *v)
{
	return !o || vmconfig_empty(v) || cJSON_AddStringToObject(o, key, v);
}

static bool vmconfig_payload(cJSON *root, const struct vmconfig_in *in)
{
	cJSON *p = vmconfig_obj(root, "payload");
	return p && vmconfig_str(p, "firmware", in->firmware) &&
	       vmconfig_str(p, "kernel", in->kernel) &&
	       vmconfig_str(p, "cmdline", in->cmdline) &&
	       vmconfig_str(p, "initramfs", in->initramfs);
}

static bool vmconfig_resources(cJSON *root, const struct vmconfig_in *in)
{
	cJSON *c = vmconfig_obj(root, "cpus");
	cJSON *m = vmconfig_obj(root, "memory");
	return c && m && cJSON_AddNumberToObject(c, "boot_vcpus", in->cpus) &&
	       cJSON_AddNumberToObject(c, "max_vcpus", in->cpus) &&
	       cJSON_AddNumberToObject(m, "size", (double)in->memory);
}

static bool vmconfig_disks(cJSON *root, const struct vmconfig_in *in)
{
	if (in->n_disks == 0)
		return true;
	cJSON *a = cJSON_AddArrayToObject(root, "disks");
	for (size_t i = 0; a && i < in->n_disks; i++) {
		cJSON *d = cJSON_CreateObject();
		if (!d || !cJSON_AddItemToArray(a, d)) {
			cJSON_Delete(d);
			return false;
		}
		if (!vmconfig_str(d, "path", in->disks[i].path) ||
		    !cJSON_AddBoolToObject(d, "readonly", in->disks[i].readonly) ||
		    (in->disk_image_type_raw && !cJSON_AddStringToObject(d, "image_type", "Raw")))
			return false;
	}
	return a != NULL;
}

static bool vmconfig_nets(cJSON *root, const struct vmconfig_in *in)
{
	if (in->n_nets == 0)
		return true;
	cJSON *a = cJSON_AddArrayToObject(root, "net");
	for (size_t i = 0; a && i < in->n_nets; i++) {
		cJSON *n = cJSON_CreateObject();
		if (!n || !cJSON_AddItemToArray(a, n)) {
			cJSON_Delete(n);
			return false;
		}
		if (!vmconfig_str(n, "tap", in->nets[i].tap) ||
		    !vmconfig_str(n, "mac", in->nets[i].mac))
			return false;
	}
	return a != NULL;
}

static bool vmconfig_out(cJSON *root, const char *key, const struct vmconfig_out *o)
{
	cJSON *c = vmconfig_obj(root, key);
	if (!c || !cJSON_AddStringToObject(c, "mode", vmconfig_out_mode_name(o->mode)))
		return false;
	return o->mode != VMCONFIG_OUT_FILE || vmconfig_str(c, "file", o->file);
}

int vmconfig_build(const struct vmconfig_in *in, cJSON **out, struct rt_err *e)
{
	*out = NULL;
	if (vmconfig_check(in, e))
		return -1;
	cJSON *root = cJSON_CreateObject();
	if (!root || !vmconfig_resources(root, in) || !vmconfig_payload(root, in) ||
	    !vmconfig_disks(root, in) || !vmconfig_nets(root, in) ||
	    !vmconfig_out(root, "serial", &in->serial) ||
	    !vmconfig_out(root, "console", &in->console)) {
		cJSON_Delete(root);
		return rt_errf(e, ENOMEM, "vmconfig: out of memory");
	}
	*out = root;
	return 0;
}
