/* vmm.c — the endpoints and the VM state machine of Cloud Hypervisor v48.
 *
 * The data mirrors CH's Vmm: a stored config (vm.create only stores it and
 * opens the console files), and a VM that exists only between vm.boot and
 * vm.shutdown. So vm.info says "Created" both before the first boot and
 * after a shutdown, a second vm.create fails until vm.delete, and vm.boot on
 * a paused VM resumes it. Booting does what a client can observe of v48's
 * Vm::new and Vm::boot, in the same order: validate the config, open the
 * disks (v50.1+: detect their image type), open each net[].tap (looked up
 * in /sys/class/net first; TUNSETIFF, bring it up, vnet header size, read
 * its MAC into host_mac), open the initramfs and the kernel; then in
 * Vm::boot lock the disk images, load the kernel (ELF64 or bzImage header)
 * and go Running. A failure in Vm::boot keeps the VM, Created. The fds
 * stay open until shutdown, delete or vmm.shutdown. A TAP that does not
 * exist fails the way an unprivileged CH fails: the double never creates
 * interfaces.
 *
 * Every failure answers with CH's error chain, outermost first, built from
 * the #[error] texts of v48 (api/mod.rs, vm.rs, device_manager.rs,
 * net_util, virtio-devices, config.rs); docs/ch-api.md lists them. */
#include "tests/chdouble/chd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <arpa/inet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VNET_HDR_LEN 12         /* sizeof(struct virtio_net_hdr_v1) */
#define MAX_VCPUS 8192u

/* CH's VmState, in its declaration order */
enum vmstate { VS_CREATED, VS_RUNNING, VS_SHUTDOWN, VS_PAUSED };
static const char *const vs_name[] = {"Created", "Running", "Shutdown", "Paused"};

struct chain {                  /* an error chain, outermost first */
	char m[16][400];
	int n;
};

struct vmm {
	const struct chd_faults *f;
	cJSON *config;          /* NULL: no VM created */
	bool has_vm;            /* booted: CH's self.vm is Some */
	enum vmstate state;
	int fds[64];            /* TAP queues and disk images of the running VM */
	size_t nfds;
	bool consoles_open;     /* CH's console_info */
	int con_fd, ser_fd, dbg_fd, ser_sock;
	bool power_pending;
	struct timespec power_at;       /* when the guest powers off */
};

static struct vmm V = {.con_fd = -1, .ser_fd = -1, .dbg_fd = -1, .ser_sock = -1};

/* ---------------- error chains ---------------- */

static void chain_push(struct chain *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void chain_push(struct chain *c, const char *fmt, ...)
{
	if (c->n >= 16)
		return;
	memmove(c->m[1], c->m[0], sizeof(c->m[0]) * (size_t)c->n);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->m[0], sizeof(c->m[0]), fmt, ap);
	va_end(ap);
	c->n++;
}

/* Rust's io::Error display: "No such file or directory (os error 2)" */
static void chain_errno(struct chain *c, int err)
{
	chain_push(c, "%s (os error %d)", strerror(err), err);
}

static void chain_ioctl(struct chain *c, unsigned long req, int err)
{
	chain_errno(c, err);
	chain_push(c, "ioctl (%lu) failed: %s (os error %d)", req, strerror(err), err);
}

static char *chain_json(const struct chain *c)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < c->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->m[i]));
	char *s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return s;
}

static void resp_json(struct http_resp *r, int status, char *body)
{
	r->status = status;
	r->body = body;
}

static void resp_chain(struct http_resp *r, int status, const struct chain *c)
{
	resp_json(r, status, chain_json(c));
}

static void resp_msgs(struct http_resp *r, int status, const char *a, const char *b)
{
	struct chain c = {0};
	if (b)
		chain_push(&c, "%s", b);
	chain_push(&c, "%s", a);
	resp_chain(r, status, &c);
}

/* ---------------- state file ---------------- */

void vmm_write_state(const char *state)
{
	if (!V.f || !V.f->state_file)
		return;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", V.f->state_file);
	FILE *fp = fopen(tmp, "w");
	if (!fp) {
		chd_log(CHD_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(fp, "%s\n", state);
	if (fclose(fp) != 0 || rename(tmp, V.f->state_file) != 0)
		chd_log(CHD_ERROR, "cannot write %s: %s", V.f->state_file, strerror(errno));
}

static void vmm_state_changed(void)
{
	vmm_write_state(!V.config ? "NotCreated" : vs_name[V.has_vm ? V.state : VS_CREATED]);
}

/* ---------------- config helpers ---------------- */

static const char *cfg_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double cfg_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool cfg_bool(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *cfg(const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(V.config, k);
}

static void cfg_set_str(cJSON *o, const char *k, const char *v)
{
	cJSON_ReplaceItemInObjectCaseSensitive(o, k, cJSON_CreateString(v));
}

/* ---------------- consoles (CH's pre_create_console_devices) ---------------- */

static void consoles_close(void)
{
	int *fds[] = {&V.con_fd, &V.ser_fd, &V.dbg_fd, &V.ser_sock};
	for (size_t i = 0; i < 4; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	V.consoles_open = false;
}

static int console_open_one(cJSON *cc, bool is_serial, int *fd, struct chain *c)
{
	const char *mode = cfg_str(cc, "mode"), *file = cfg_str(cc, "file");
	if (strcmp(mode, "File") == 0) {
		if (!file) {            /* CH unwraps None here and its VMM thread panics */
			chd_log(CHD_ERROR, "console mode File without a file: CH v48 panics here");
			return -2;
		}
		*fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (*fd < 0) {
			chain_errno(c, errno);
			chain_push(c, "Error creating console device");
			return -1;
		}
	} else if (strcmp(mode, "Pty") == 0) {
		*fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (*fd < 0 || grantpt(*fd) || unlockpt(*fd)) {
			chain_errno(c, errno);
			chain_push(c, "Error creating console device");
			return -1;
		}
		cfg_set_str(cc, "file", ptsname(*fd));
	} else if (strcmp(mode, "Tty") == 0) {
		*fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
	} else if (strcmp(mode, "Socket") == 0) {
		const char *sock = cfg_str(cc, "socket");
		if (!is_serial || !sock) {
			if (!is_serial) {
				chain_push(c, "No socket option support for console device");
				return -1;
			}
			chd_log(CHD_ERROR, "serial mode Socket without a socket: CH v48 panics here");
			return -2;
		}
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
		*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) || listen(*fd, 1)) {
			chain_errno(c, errno);
			chain_push(c, "Error creating console device");
			return -1;
		}
	}
	return 0;
}

/* 0, -1 with c filled, -2 where CH would panic */
static int consoles_open(struct chain *c)
{
	int r = console_open_one((cJSON *)cfg("console"), false, &V.con_fd, c);
	if (!r)
		r = console_open_one((cJSON *)cfg("serial"), true, &V.ser_fd, c);
	if (!r) {
		cJSON *dc = (cJSON *)cfg("debug_console");
		if (strcmp(cfg_str(dc, "mode"), "Socket") == 0) {
			chain_push(c, "No socket option support for console device");
			r = -1;
		} else {
			r = console_open_one(dc, false, &V.dbg_fd, c);
		}
	}
	if (r) {
		consoles_close();
		if (r == -1)
			chain_push(c, "Error creating console devices");
		return r;
	}
	V.consoles_open = true;
	return 0;
}

/* ---------------- VmConfig::validate (the parts a client meets) ---------------- */

static int validate_payload(struct chain *c)
{
	const cJSON *p = cfg("payload");
	bool fw = cJSON_IsObject(p) && cfg_str(p, "firmware");
	bool k = cJSON_IsObject(p) && cfg_str(p, "kernel");
	if (fw && k)
		chain_push(c, "Specifying a kernel is not supported when a firmware is provided");
	else if (!fw && !k)
		chain_push(c, "No bootitem provided: neither firmware nor kernel");
	else
		return 0;
	chain_push(c, "Payload configuration is not bootable");
	return -1;
}

static int validate_devices(double boot, struct chain *c)
{
	const cJSON *d;
	cJSON_ArrayForEach(d, cfg("disks")) {
		if (cfg_str(d, "vhost_socket") && cfg_str(d, "path"))
			return chain_push(c, "Disk path and vhost socket both provided"), -1;
		if (cfg_num(d, "num_queues") > boot)
			return chain_push(c, "Number of vCPUs is insufficient for number of queues"), -1;
		if (cfg_num(d, "queue_size") <= 2)
			return chain_push(c, "Queue size is smaller than 2: %.0f", cfg_num(d, "queue_size")), -1;
	}
	cJSON_ArrayForEach(d, cfg("net")) {
		double q = cfg_num(d, "num_queues");
		if (q < 2)
			return chain_push(c, "Number of queues to virtio_net less than 2"), -1;
		if ((double)((unsigned long long)q / 2) > boot)
			return chain_push(c, "Number of vCPUs is insufficient for number of queues"), -1;
		const cJSON *mtu = cJSON_GetObjectItem(d, "mtu");
		if (cJSON_IsNumber(mtu) && mtu->valuedouble < 1280)
			return chain_push(c, "Provided MTU %.0f is lower than 1280 (expected by VIRTIO "
					  "specification)", mtu->valuedouble), -1;
		if (!cfg_bool(d, "offload_csum") && (cfg_bool(d, "offload_tso") || cfg_bool(d, "offload_ufo")))
			return chain_push(c, "\"offload_tso\" and \"offload_ufo\" depend on \"offload_csum\""), -1;
	}
	return 0;
}

static int vm_validate(struct chain *c)
{
	int r = validate_payload(c);
	const cJSON *cpus = cfg("cpus");
	double boot = cfg_num(cpus, "boot_vcpus"), max = cfg_num(cpus, "max_vcpus");
	if (!r && ((strcmp(cfg_str(cfg("console"), "mode"), "File") == 0 && !cfg_str(cfg("console"), "file")) ||
		   (strcmp(cfg_str(cfg("serial"), "mode"), "File") == 0 && !cfg_str(cfg("serial"), "file"))))
		r = (chain_push(c, "Path missing when using file console mode"), -1);
	if (!r && max < boot)
		r = (chain_push(c, "Max CPUs lower than boot CPUs"), -1);
	if (!r && max > MAX_VCPUS)
		r = (chain_push(c, "Too many CPUs: specified %.0f but %u is the limit", max, MAX_VCPUS), -1);
	if (!r)
		r = validate_devices(boot, c);
	if (r)
		chain_push(c, "Failed to validate config");
	return r;
}

/* ---------------- devices ---------------- */

static void vm_fds_close(void)
{
	for (size_t i = 0; i < V.nfds; i++)
		close(V.fds[i]);
	V.nfds = 0;
}

static void vm_fd_keep(int fd)
{
	if (V.nfds < sizeof(V.fds) / sizeof(V.fds[0]))
		V.fds[V.nfds++] = fd;
	else
		close(fd);
}

/* block::detect_image_type by magic; ImageType's Display in messages. */
static const char *image_type_of(int fd)
{
	char head[8] = {0}, foot[8] = {0};
	off_t end = lseek(fd, 0, SEEK_END);
	if (pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head)) {
		if (memcmp(head, "QFI\xfb", 4) == 0)
			return "Qcow2";
		if (memcmp(head, "vhdxfile", 8) == 0)
			return "Vhdx";
	}
	if (end >= 512 && pread(fd, foot, sizeof(foot), end - 512) == (ssize_t)sizeof(foot) &&
	    memcmp(foot, "conectix", 8) == 0)
		return "FixedVhd";
	return "Raw";
}

static const char *image_type_display(const char *t)
{
	return !strcmp(t, "FixedVhd") ? "vhd" : !strcmp(t, "Qcow2") ? "qcow2" : !strcmp(t, "Raw") ? "raw" :
	       !strcmp(t, "Vhdx") ? "vhdx" : "unknown";
}

/* v50.1+ (vmm/src/device_manager.rs, make_virtio_block_device): a disk
 * without image_type is detected, the config updated, and a raw one gets
 * sector 0 writes refused: a whole-disk filesystem cannot write its
 * superblock. A given type must match what is detected. */
static int disk_image_type(cJSON *d, int fd, struct chain *c)
{
	const char *want = cfg_str(d, "image_type"), *got = image_type_of(fd);
	if (!want || !strcmp(want, "Unknown")) {
		chd_log(CHD_WARN, "No image_type specified - detected as %s. Configuration updated to persist "
			"type across reboots and migrations.", image_type_display(got));
		if (!strcmp(got, "Raw"))
			chd_log(CHD_WARN, "Autodetected raw image type. Disabling sector 0 writes.");
		cfg_set_str(d, "image_type", got);
		return 0;
	}
	if (strcmp(want, got) == 0)
		return 0;
	chain_push(c, "Disk image type does not match expected type: specified = %s, detected = %s",
		   image_type_display(want), image_type_display(got));
	return -1;
}

static int disks_open(unsigned *devcnt, struct chain *c)
{
	cJSON *d;
	cJSON_ArrayForEach(d, (cJSON *)cfg("disks")) {
		if (!cfg_str(d, "id")) {
			char id[32];
			snprintf(id, sizeof(id), "_disk%u", (*devcnt)++);
			cfg_set_str(d, "id", id);
		}
		if (cfg_bool(d, "vhost_user"))
			continue;
		const char *path = cfg_str(d, "path");
		if (!path)
			return chain_push(c, "No disk path was specified when one was expected"), -1;
		int fd = open(path, (cfg_bool(d, "readonly") ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0) {
			chain_errno(c, errno);
			chain_push(c, "Cannot open disk path");
			return -1;
		}
		vm_fd_keep(fd);
		if (V.f->version >= CHD_V_IMAGE_TYPE && disk_image_type(d, fd, c))
			return -1;
	}
	return 0;
}

/* Lock every disk image (CH's try_lock_disks at Vm::boot). */
static int disks_lock(struct chain *c)
{
	const cJSON *d;
	size_t k = 0;
	cJSON_ArrayForEach(d, cfg("disks")) {
		if (cfg_bool(d, "vhost_user") || k >= V.nfds)
			continue;
		int fd = V.fds[k++];
		bool ro = cfg_bool(d, "readonly");
		struct flock fl = {.l_type = ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			continue;
		if (errno == EAGAIN || errno == EACCES)
			chain_push(c, "The file is already locked");
		else
			chain_errno(c, errno), chain_push(c, "The lock state could not be checked or set");
		chain_push(c, "Failed to get %s lock for disk image: %s", ro ? "Read" : "Write", cfg_str(d, "path"));
		chain_push(c, "Cannot lock images of all block devices");
		chain_push(c, "Error locking disk images: Another instance likely holds a lock");
		return -1;
	}
	return 0;
}

static int tap_sock_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	int r = ioctl(s, req, ifr);
	int err = errno;
	close(s);
	errno = err;
	return r;
}

/* Does the interface exist in our network namespace? */
static bool tap_exists(const char *name)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return tap_sock_ioctl(SIOCGIFINDEX, &ifr) == 0;
}

/* What CH asks (net_util/src/open_tap.rs): is /sys/class/net/NAME there?
 * sysfs shows the network namespace it was mounted in, which need not be
 * the VMM's: then CH takes an existing TAP for one it creates. */
static bool tap_in_sysfs(const char *name)
{
	char path[300];
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	return access(path, F_OK) == 0;
}

/* Tap::set_ip_addr: what v48-v52 do to a TAP they did not find in sysfs
 * (NetConfig.ip defaults to 192.168.249.1/24 there). */
static int tap_set_ip(const cJSON *net, const char *name, struct chain *c)
{
	const char *ip = cfg_str(net, "ip"), *mask = cfg_str(net, "mask");
	if (!ip)
		return 0;
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
		return 0;               /* IPv6: not modelled */
	chd_log(CHD_INFO, "TAP %s is not in /sys/class/net: setting its address %s", name, ip);
	if (tap_sock_ioctl(SIOCSIFADDR, &ifr) < 0)
		return chain_ioctl(c, SIOCSIFADDR, errno), chain_push(c, "Setting IP address failed"), -1;
	if (mask && inet_pton(AF_INET, mask, &sin->sin_addr) == 1 && tap_sock_ioctl(SIOCSIFNETMASK, &ifr) < 0)
		return chain_ioctl(c, SIOCSIFNETMASK, errno), chain_push(c, "Setting IP address failed"), -1;
	return 0;
}

/* Tap::open_named: the TAP must exist (see the file comment). */
static int tap_open_named(const char *name, bool mq, struct chain *c)
{
	if (strlen(name) > 15)
		return chain_push(c, "Interface name too long (max length is 15): %s", name), -1;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		chain_errno(c, errno);
		chain_push(c, "Couldn't open /dev/net/tun");
		return -1;
	}
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (mq ? IFF_MULTI_QUEUE : 0);
	bool exists = tap_exists(name);
	int err = !exists ? EPERM : (ioctl(fd, TUNSETIFF, &ifr) < 0 ? errno : 0);
	if (err) {
		if (!exists)
			chd_log(CHD_WARN, "TAP %s does not exist: failing as an unprivileged CH would", name);
		close(fd);
		chain_errno(c, err);
		chain_push(c, "Unable to configure tap interface");
		return -1;
	}
	return fd;
}

static bool sysfs_read(const char *name, const char *attr, char *buf, size_t n)
{
	char path[300];
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return false;
	bool ok = fgets(buf, (int)n, fp) != NULL;
	fclose(fp);
	return ok;
}

/* CH's check_mq_support: tun_flags from sysfs, skipped when not there. */
static int tap_mq_check(const char *name, bool mq, struct chain *c)
{
	char buf[64] = "";
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	(void)ifr;
	if (!sysfs_read(name, "tun_flags", buf, sizeof(buf)))  /* "not there: no check needed" */
		return 0;
	unsigned long flags = strtoul(buf, NULL, 16);
	if ((flags & IFF_MULTI_QUEUE) && !mq)
		return chain_push(c, "Error related to the multiqueue support (no support device side)"), -1;
	if (!(flags & IFF_MULTI_QUEUE) && mq)
		return chain_push(c, "Error related to the multiqueue support (no support TAP side)"), -1;
	return 0;
}

static int tap_configure(cJSON *net, const char *name, struct chain *c)
{
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	const char *hm = cfg_str(net, "host_mac");
	if (hm) {
		unsigned b[6];
		sscanf(hm, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		for (int i = 0; i < 6; i++)
			ifr.ifr_hwaddr.sa_data[i] = (char)b[i];
		if (tap_sock_ioctl(SIOCSIFHWADDR, &ifr) < 0)
			return chain_ioctl(c, SIOCSIFHWADDR, errno), chain_push(c, "Setting MAC address failed"), -1;
	} else {
		if (tap_sock_ioctl(SIOCGIFHWADDR, &ifr) < 0)
			return chain_ioctl(c, SIOCGIFHWADDR, errno), chain_push(c, "Getting MAC address failed"), -1;
		unsigned char *m = (unsigned char *)ifr.ifr_hwaddr.sa_data;
		char s[18];
		snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		cfg_set_str(net, "host_mac", s);
	}
	const cJSON *mtu = cJSON_GetObjectItem(net, "mtu");
	if (cJSON_IsNumber(mtu)) {
		ifr.ifr_mtu = mtu->valueint;
		if (tap_sock_ioctl(SIOCSIFMTU, &ifr) < 0)
			return chain_ioctl(c, SIOCSIFMTU, errno), chain_push(c, "Setting MTU failed"), -1;
	}
	ifr.ifr_flags = IFF_UP | IFF_RUNNING;
	if (tap_sock_ioctl(SIOCSIFFLAGS, &ifr) < 0)
		return chain_ioctl(c, SIOCSIFFLAGS, errno), chain_push(c, "Enabling tap interface failed"), -1;
	return 0;
}

static int tap_vnet_hdr(int fd, struct chain *c)
{
	int len = VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
		return chain_ioctl(c, TUNSETVNETHDRSZ, errno), chain_push(c, "Setting vnet header size failed"), -1;
	return 0;
}

/* net_util::open_tap for one NetConfig; the queue fds are kept on success. */
static int net_open(cJSON *net, struct chain *c)
{
	const char *name = cfg_str(net, "tap");
	size_t pairs = (size_t)cfg_num(net, "num_queues") / 2;
	if (!name) {
		chain_push(c, "ch-double: net without \"tap\": real CH would create a TAP, the double never does");
		chain_push(c, "Open tap device failed");
		return -1;
	}
	if (tap_mq_check(name, pairs > 1, c))
		return -1;
	bool known = tap_in_sysfs(name);        /* asked before opening, as CH does */
	if (known)
		chd_log(CHD_WARN, "Tap %s already exists. IP configuration will not be overwritten.", name);
	for (size_t q = 0; q < pairs; q++) {
		int fd = tap_open_named(name, pairs > 1, c);
		if (fd < 0)
			return chain_push(c, "Open tap device failed"), -1;
		vm_fd_keep(fd);
		if (q == 0 && !known && tap_set_ip(net, name, c))
			return -1;
		if (q == 0 && tap_configure(net, name, c))
			return -1;
		if (tap_vnet_hdr(fd, c))
			return -1;
	}
	return 0;
}

static int nets_open(unsigned *devcnt, struct chain *c)
{
	cJSON *n;
	cJSON_ArrayForEach(n, (cJSON *)cfg("net")) {
		if (!cfg_str(n, "id")) {
			char id[32];
			snprintf(id, sizeof(id), "_net%u", (*devcnt)++);
			cfg_set_str(n, "id", id);
		}
		if (cfg_bool(n, "vhost_user"))
			continue;
		if (net_open(n, c)) {
			chain_push(c, "Failed to open taps");
			chain_push(c, "Cannot create virtio-net device");
			return -1;
		}
	}
	return 0;
}

static int payload_check(struct chain *c)
{
	const cJSON *p = cfg("payload");
	const char *initrd = cfg_str(p, "initramfs"), *k = cfg_str(p, "kernel"), *fw = cfg_str(p, "firmware");
	if (initrd && access(initrd, R_OK) != 0)
		return chain_errno(c, errno), chain_push(c, "Cannot open initramfs file"), -1;
	if (k && access(k, R_OK) != 0)
		return chain_errno(c, errno), chain_push(c, "Cannot open kernel file"), -1;
	if (!k && fw && access(fw, R_OK) != 0)
		return chain_errno(c, errno), chain_push(c, "Error manipulating firmware file"), -1;
	return 0;
}

/* linux_loader's x86_64 path as Vm::load_kernel takes it: an ELF (PVH)
 * kernel, else a bzImage ("HdrS" at 0x202, boot protocol 2.00 or later).
 * The loader's texts are linux-loader's Display strings. */
static int kernel_load(struct chain *c)
{
	const char *k = cfg_str(cfg("payload"), "kernel");
	if (!k)
		return 0;               /* firmware: loaded as is */
	unsigned char h[0x210] = {0};
	int fd = open(k, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? pread(fd, h, sizeof(h), 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n >= 5 && memcmp(h, "\x7f" "ELF", 4) == 0 && h[4] == 2)  /* ELFCLASS64 */
		return 0;
	if (n >= 0x208 && memcmp(h + 0x202, "HdrS", 4) == 0 && (h[0x206] | h[0x207] << 8) >= 0x200)
		return 0;
	if (n < 0x208)
		chain_push(c, "Kernel Loader: Unable to read bzImage header");
	else
		chain_push(c, "Kernel Loader: Invalid bzImage binary");
	chain_push(c, "Kernel Loader: failed to load bzImage kernel image");
	chain_push(c, "Cannot load the kernel into memory");
	chd_log(CHD_ERROR, "%s is neither an ELF (PVH) kernel nor a bzImage", k);
	return -1;
}

/* The guest's first words on its console: no guest runs, so the double
 * writes one line per boot where the guest would (File and Tty modes).
 * Tests read it to see a boot or reboot happen. */
static void guest_banner(void)
{
	static unsigned boots;
	char line[96];
	int len = snprintf(line, sizeof(line), "ch-double guest: boot %u (pid %ld)\n", ++boots, (long)getpid());
	const char *modes[] = {cfg_str(cfg("console"), "mode"), cfg_str(cfg("serial"), "mode")};
	int fds[] = {V.con_fd, V.ser_fd};
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0 && modes[i] && (!strcmp(modes[i], "File") || !strcmp(modes[i], "Tty")))
			if (write(fds[i], line, (size_t)len) < 0)
				chd_log(CHD_WARN, "console write: %s", strerror(errno));
}

/* Vm::new (validate, devices, open the payload files), then Vm::boot
 * (lock the disks, load the kernel, run). A failure in Vm::new drops the
 * half-built VM; a failure in Vm::boot keeps it, in state Created, with
 * its devices open, as CH's Vmm keeps self.vm (vmm/src/lib.rs, vm_boot). */
static int vm_new_and_boot(struct chain *c)
{
	unsigned devcnt = 0;
	if (!V.has_vm) {
		if (vm_validate(c))
			goto fail;
		if (disks_open(&devcnt, c) || nets_open(&devcnt, c)) {
			chain_push(c, "Error from device manager");
			goto fail;
		}
		if (payload_check(c))
			goto fail;
		V.has_vm = true;
		V.state = VS_CREATED;
	}
	if (disks_lock(c) || kernel_load(c))
		return -1;
	V.state = VS_RUNNING;
	guest_banner();
	return 0;
fail:
	vm_fds_close();
	return -1;
}

/* ---------------- the RequestHandler ---------------- */

static int vm_boot(struct chain *c)
{
	if (!V.config)
		return chain_push(c, "VM config is missing"), -1;
	if (!V.consoles_open) {
		int r = consoles_open(c);
		if (r)
			return r;
	}
	if (V.f->boot_delay_ms)
		chd_sleep_ms(V.f->boot_delay_ms);
	if (!V.has_vm || V.state == VS_CREATED)
		return vm_new_and_boot(c);
	if (V.state == VS_PAUSED) {
		V.state = VS_RUNNING;
		return 0;
	}
	chain_push(c, "invalid VM state transition: %s to Running", vs_name[V.state]);
	return -1;
}

static void vm_drop(void)
{
	vm_fds_close();
	V.has_vm = false;
	V.power_pending = false;
}

static int vm_shutdown(struct chain *c)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not running"), -1;
	consoles_close();
	vm_drop();
	return 0;
}

static int vm_reboot(struct chain *c)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not created"), -1;
	vm_drop();
	consoles_close();
	int r = consoles_open(c);
	if (r)
		return r;
	if (V.f->boot_delay_ms)
		chd_sleep_ms(V.f->boot_delay_ms);
	return vm_new_and_boot(c);
}

static int vm_pause(struct chain *c)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not running"), -1;
	if (V.state != VS_RUNNING) {
		chain_push(c, "Invalid transition: InvalidStateTransition(%s, Paused)", vs_name[V.state]);
		chain_push(c, "Failed to pause migratable component");
		chain_push(c, "Cannot pause VM");
		return -1;
	}
	V.state = VS_PAUSED;
	return 0;
}

static int vm_resume(struct chain *c)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not running"), -1;
	if (V.state != VS_PAUSED) {
		chain_push(c, "Invalid transition: InvalidStateTransition(%s, Running)", vs_name[V.state]);
		chain_push(c, "Failed to resume migratable component");
		chain_push(c, "Cannot resume VM");
		return -1;
	}
	V.state = VS_RUNNING;
	return 0;
}

static int vm_delete(struct chain *c)
{
	if (!V.config)
		return 0;
	if (V.has_vm && vm_shutdown(c))
		return -1;
	consoles_close();
	cJSON_Delete(V.config);
	V.config = NULL;
	return 0;
}

static int vm_power_button(struct chain *c)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not running"), -1;
	if (!V.f->power_button_ignored) {
		V.power_pending = true;
		clock_gettime(CLOCK_MONOTONIC, &V.power_at);
		V.power_at.tv_sec += (time_t)(V.f->poweroff_ms / 1000);
		V.power_at.tv_nsec += (long)(V.f->poweroff_ms % 1000) * 1000000L;
		if (V.power_at.tv_nsec >= 1000000000L) {
			V.power_at.tv_sec++;
			V.power_at.tv_nsec -= 1000000000L;
		}
	}
	return 0;
}

static int vm_nmi(struct chain *c)
{
	return V.has_vm ? 0 : (chain_push(c, "VM is not running"), -1);
}

void vmm_shutdown_all(void)
{
	struct chain c = {0};
	vm_delete(&c);
	consoles_close();
}

bool vmm_power_pending(void)
{
	return V.power_pending;
}

bool vmm_guest_powered_off(void)
{
	if (!V.power_pending || V.state != VS_RUNNING)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < V.power_at.tv_sec ||
	    (now.tv_sec == V.power_at.tv_sec && now.tv_nsec < V.power_at.tv_nsec))
		return false;
	chd_log(CHD_INFO, "guest powered off after the power button: the VMM exits, as CH does");
	return true;
}

/* ---------------- responses with bodies ---------------- */

static double vm_memory_total(void)
{
	const cJSON *m = cfg("memory"), *z;
	double total = cfg_num(m, "size") + cfg_num(m, "hotplugged_size");
	cJSON_ArrayForEach(z, cJSON_GetObjectItem(m, "zones"))
		total += cfg_num(z, "size") + cfg_num(z, "hotplugged_size");
	return total;
}

/* A reduced device tree: one node per disk and net, no resources. */
static cJSON *vm_device_tree(void)
{
	cJSON *t = cJSON_CreateObject();
	const char *lists[] = {"disks", "net"};
	for (size_t l = 0; l < 2; l++) {
		const cJSON *d;
		cJSON_ArrayForEach(d, cfg(lists[l])) {
			const char *id = cfg_str(d, "id");
			if (!id)
				continue;
			cJSON *n = cJSON_AddObjectToObject(t, id);
			cJSON_AddStringToObject(n, "id", id);
			cJSON_AddArrayToObject(n, "resources");
			cJSON_AddArrayToObject(n, "children");
			cJSON_AddNullToObject(n, "pci_bdf");
		}
	}
	return t;
}

static int vm_info(struct chain *c, char **body)
{
	if (!V.config)
		return chain_push(c, "VM is not created"), -1;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "config", cJSON_Duplicate(V.config, true));
	cJSON_AddStringToObject(o, "state", vs_name[V.has_vm ? V.state : VS_CREATED]);
	cJSON_AddNumberToObject(o, "memory_actual_size", vm_memory_total());
	cJSON_AddItemToObject(o, "device_tree", V.has_vm ? vm_device_tree() : cJSON_CreateNull());
	*body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return 0;
}

static int vm_counters(struct chain *c, char **body)
{
	if (!V.has_vm)
		return chain_push(c, "VM is not running"), -1;
	cJSON *o = cJSON_CreateObject();
	const cJSON *d;
	cJSON_ArrayForEach(d, cfg("disks")) {
		cJSON *n = cJSON_AddObjectToObject(o, cfg_str(d, "id"));
		const char *k[] = {"read_bytes", "read_ops", "write_bytes", "write_ops"};
		for (size_t i = 0; i < 4; i++)
			cJSON_AddNumberToObject(n, k[i], 0);
	}
	cJSON_ArrayForEach(d, cfg("net")) {
		cJSON *n = cJSON_AddObjectToObject(o, cfg_str(d, "id"));
		const char *k[] = {"rx_bytes", "rx_frames", "tx_bytes", "tx_frames"};
		for (size_t i = 0; i < 4; i++)
			cJSON_AddNumberToObject(n, k[i], 0);
	}
	*body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return 0;
}

static char *vmm_ping(void)
{
	char buf[256];
	unsigned v = V.f->version;
	snprintf(buf, sizeof(buf), "{\"build_version\":\"v%u.%u\",\"version\":\"%u.%u.0\",\"pid\":%ld,"
		 "\"features\":[\"io_uring\",\"kvm\"]}", v / 100, v % 100, v / 100, v % 100, (long)getpid());
	return strdup(buf);
}

/* ---------------- routing ---------------- */

enum ep_kind { EK_CREATE, EK_INFO, EK_PING, EK_VMM_SHUTDOWN, EK_PUT, EK_GET, EK_PUT_BODY };

struct endpoint {
	const char *name;
	enum ep_kind kind;
	const char *api_error;          /* the ApiError's #[error] text */
	int (*act)(struct chain *c);
};

static const struct endpoint endpoints[] = {
	{"vm.add-device", EK_PUT_BODY, "The device could not be added to the VM", NULL},
	{"vm.add-user-device", EK_PUT_BODY, "The user device could not be added to the VM", NULL},
	{"vm.add-disk", EK_PUT_BODY, "The disk could not be added to the VM", NULL},
	{"vm.add-fs", EK_PUT_BODY, "The fs could not be added to the VM", NULL},
	{"vm.add-net", EK_PUT_BODY, "The network device could not be added to the VM", NULL},
	{"vm.add-pmem", EK_PUT_BODY, "The pmem device could not be added to the VM", NULL},
	{"vm.add-vdpa", EK_PUT_BODY, "The vDPA device could not be added to the VM", NULL},
	{"vm.add-vsock", EK_PUT_BODY, "The vsock device could not be added to the VM", NULL},
	{"vm.boot", EK_PUT, "The VM could not boot", vm_boot},
	{"vm.counters", EK_GET, "The VM info is not available", NULL},
	{"vm.create", EK_CREATE, "The VM could not be created", NULL},
	{"vm.delete", EK_PUT, "The VM could not be deleted", vm_delete},
	{"vm.info", EK_INFO, "The VM info is not available", NULL},
	{"vm.pause", EK_PUT, "The VM could not be paused", vm_pause},
	{"vm.power-button", EK_PUT, "Error triggering power button", vm_power_button},
	{"vm.reboot", EK_PUT, "The VM could not reboot", vm_reboot},
	{"vm.receive-migration", EK_PUT_BODY, "Error starting migration receiver", NULL},
	{"vm.remove-device", EK_PUT_BODY, "The device could not be removed from the VM", NULL},
	{"vm.resize", EK_PUT_BODY, "The VM could not be resized", NULL},
	{"vm.resize-zone", EK_PUT_BODY, "The memory zone could not be resized", NULL},
	{"vm.restore", EK_PUT_BODY, "The VM could not restored", NULL},
	{"vm.resume", EK_PUT, "The VM could not resume", vm_resume},
	{"vm.send-migration", EK_PUT_BODY, "Error starting migration sender", NULL},
	{"vm.shutdown", EK_PUT, "The VM could not shutdown", vm_shutdown},
	{"vm.snapshot", EK_PUT_BODY, "The VM could not be snapshotted", NULL},
	{"vmm.ping", EK_PING, NULL, NULL},
	{"vmm.shutdown", EK_VMM_SHUTDOWN, "The VMM could not shutdown", NULL},
	{"vm.nmi", EK_PUT, "Error triggering NMI", vm_nmi},
};

static const struct endpoint *endpoint_find(const char *path)
{
	if (strncmp(path, "/api/v1/", 8) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(path + 8, endpoints[i].name) == 0)
			return &endpoints[i];
	return NULL;
}

static bool name_in_list(const char *list, const char *name)
{
	if (!list || !name)
		return false;
	size_t n = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* The action's result: 204, or 500 with "Error from API", the ApiError, its causes. */
static void api_result(const struct endpoint *ep, int r, struct chain *c, struct http_resp *resp,
		       enum chd_after *after)
{
	if (r == 0) {
		resp->status = 204;
		vmm_state_changed();
		return;
	}
	if (r == -2) {          /* CH's VMM thread panicked: the HTTP thread sees a closed channel */
		struct chain p = {0};
		chain_push(&p, "receiving on a closed channel");
		chain_push(&p, "API response receive error");
		chain_push(&p, "Error from API");
		resp_chain(resp, 500, &p);
		*after = CHD_CRASH;
		return;
	}
	/* v53 (api/http/mod.rs, api_error_status_code): these two are 404 */
	bool missing = c->n == 1 && (!strcmp(c->m[0], "VM is not created") || !strcmp(c->m[0], "VM config is missing"));
	chain_push(c, "%s", ep->api_error);
	chain_push(c, "Error from API");
	resp_chain(resp, missing && V.f->version >= CHD_V_404 ? 404 : 500, c);
	vmm_state_changed();
}

static void handle_create(const struct http_req *req, struct http_resp *r, enum chd_after *after)
{
	if (req->method != HM_PUT)
		return resp_msgs(r, 400, "Bad Request", NULL);
	if (!req->has_body) {
		r->status = 400;
		return;
	}
	char msg[700];
	cJSON *conf;
	if (schema_vmconfig(req->body, req->body_len, &conf, msg, sizeof(msg)))
		return resp_msgs(r, 400, "Failed to deserialize JSON", msg);
	if (schema_version_fields(req->body, conf, V.f->version, msg, sizeof(msg))) {
		cJSON_Delete(conf);
		return resp_msgs(r, 400, "Failed to deserialize JSON", msg);
	}
	struct chain c = {0};
	int rc = 0;
	if (V.config) {
		cJSON_Delete(conf);
		chain_push(&c, "VM is already created");
		rc = -1;
	} else {
		V.config = conf;
		rc = consoles_open(&c);
	}
	api_result(&endpoints[10], rc, &c, r, after);
}

static void handle_action(const struct endpoint *ep, const struct http_req *req, struct http_resp *r,
			  enum chd_after *after)
{
	if (req->method == HM_PATCH) {          /* EndpointHandler: neither PUT nor GET */
		r->status = 400;
		return;
	}
	bool want_get = ep->kind == EK_GET;
	if ((req->method == HM_GET) != want_get)
		return resp_msgs(r, 400, "Bad Request", NULL);
	if (ep->kind == EK_PUT && req->has_body)
		return resp_msgs(r, 400, "Bad Request", NULL);
	struct chain c = {0};
	if (ep->kind == EK_PUT_BODY) {
		if (!req->has_body)
			return resp_msgs(r, 400, "Bad Request", NULL);
		struct jerr syn;
		struct jv *v = json_parse(req->body, req->body_len, &syn);
		json_free(v);
		if (syn.set) {
			char m[700];
			snprintf(m, sizeof(m), "%s at line %u column %u", syn.msg, syn.pos.line, syn.pos.col);
			return resp_msgs(r, 400, "Failed to deserialize JSON", m);
		}
		chain_push(&c, "ch-double: %s is not implemented by the double", ep->name);
		return api_result(ep, -1, &c, r, after);
	}
	if (ep->kind == EK_GET) {
		char *body = NULL;
		if (vm_counters(&c, &body) == 0)
			return resp_json(r, 200, body);
		return api_result(ep, -1, &c, r, after);
	}
	api_result(ep, ep->act(&c), &c, r, after);
}

static void handle(const struct endpoint *ep, const struct http_req *req, struct http_resp *r,
		   enum chd_after *after)
{
	struct chain c = {0};
	char *body = NULL;
	switch (ep->kind) {
	case EK_CREATE:
		return handle_create(req, r, after);
	case EK_INFO:
		if (req->method != HM_GET)
			return resp_msgs(r, 400, "Bad Request", NULL);
		if (vm_info(&c, &body) == 0)
			return resp_json(r, 200, body);
		return api_result(ep, -1, &c, r, after);
	case EK_PING:
		if (req->method != HM_GET)
			return resp_msgs(r, 400, "Bad Request", NULL);
		return resp_json(r, 200, vmm_ping());
	case EK_VMM_SHUTDOWN:
		if (req->method != HM_PUT)
			return resp_msgs(r, 400, "Bad Request", NULL);
		vm_delete(&c);
		r->status = 200;
		*after = CHD_EXIT;
		return;
	default:
		return handle_action(ep, req, r, after);
	}
}

void vmm_handle(const struct http_req *req, unsigned long nth, struct http_resp *r, enum chd_after *after)
{
	memset(r, 0, sizeof(*r));
	*after = CHD_CONTINUE;
	const struct endpoint *ep = endpoint_find(req->path);
	const char *name = ep ? ep->name : NULL;
	if (name_in_list(V.f->crash_on, name)) {
		chd_log(CHD_WARN, "CHD_CRASH_ON=%s: crashing while handling request #%lu", name, nth);
		_exit(1);
	}
	if (name_in_list(V.f->hang_on, name)) {
		chd_log(CHD_WARN, "CHD_HANG_ON=%s: request #%lu will never be answered", name, nth);
		*after = CHD_HANG;
		return;
	}
	if (nth == V.f->fail_nth || name_in_list(V.f->fail_endpoints, name)) {
		char why[200];
		snprintf(why, sizeof(why), "ch-double: injected failure of request #%lu (%s)", nth,
			 nth == V.f->fail_nth ? "CHD_FAIL_NTH" : "CHD_FAIL_ENDPOINT");
		struct chain c = {0};
		chain_push(&c, "%s", why);
		chain_push(&c, "%s", ep && ep->api_error ? ep->api_error : "Internal Server Error");
		chain_push(&c, "Error from API");
		return resp_chain(r, 500, &c);
	}
	if (!ep)
		return resp_msgs(r, 404, "Not Found", NULL);
	handle(ep, req, r, after);
}

void vmm_init(const struct chd_faults *f)
{
	V.f = f;
	vmm_state_changed();
}
