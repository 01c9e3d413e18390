/* tap.c — persistent TAP devices through /dev/net/tun (see tap.h).
 *
 * The idea: TUNSETIFF with IFF_TUN_EXCL creates the device or fails if the
 * name is taken (without it the ioctl would silently attach to someone
 * else's TAP); TUNSETPERSIST keeps it after our fd closes, so the VMM can
 * open it later. Everything else about the link (ownership alias, bridge,
 * MTU, state) is one RTM_SETLINK through the namespace's nl handle.
 *
 * Order, for crash safety: the device is configured and marked while our fd
 * still holds it, and made persistent last. Until TUNSETPERSIST the device
 * lives only as long as the fd, so a process killed anywhere before it
 * takes the TAP along (the kernel closes the fd); after it, the TAP already
 * carries its mark. An unmarked TAP of ours can never exist. */
#include "runtime/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Create the device, held by the returned fd only (not yet persistent). */
static int tap_open_new(const struct tap_opts *o, int *fd_out, struct rt_err *e)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return rt_errf(e, errno, "create tap %s: open /dev/net/tun: %s", o->name,
			       strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_TUN_EXCL;
	if (o->multi_queue)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* IFF_TUN_EXCL answers EBUSY for a name in use. */
		int en = errno == EBUSY ? EEXIST : errno;
		close(fd);
		return rt_errf(e, en, "create tap %s: TUNSETIFF: %s", o->name, strerror(en));
	}
	*fd_out = fd;
	return 0;
}

int tap_create(struct nl *nl, const struct tap_opts *o, struct rt_err *e)
{
	if (!o->name || !*o->name || strlen(o->name) >= IFNAMSIZ || strchr(o->name, '/'))
		return rt_errf(e, EINVAL, "create tap: bad interface name \"%s\"",
			       o->name ? o->name : "(null)");
	if (!nl_in_current_netns(nl))
		return rt_errf(e, EINVAL, "create tap %s: the netlink handle is for another "
			       "namespace than this thread's (TUNSETIFF creates it here)", o->name);
	int fd = -1;
	if (tap_open_new(o, &fd, e) < 0)
		return -1;
	struct nl_link_conf c = {
		.alias = o->alias, .mtu = o->mtu,
		.set_master = o->master != 0, .master = o->master,
		.set_up = o->up, .up = o->up,
	};
	int rc = nl_link_configure(nl, o->name, &c, e);
	if (rc < 0)
		rt_err_prefix(e, "create tap %s", o->name);
	else if (ioctl(fd, TUNSETPERSIST, 1) < 0)
		rc = rt_errf(e, errno, "create tap %s: TUNSETPERSIST: %s", o->name,
			     strerror(errno));
	/* Not persistent (a failure above): the device goes away with fd. */
	close(fd);
	return rc;
}

int tap_delete(struct nl *nl, const char *name, const char *mark, struct rt_err *e)
{
	return nl_link_del_owned(nl, name, mark, e);
}
