/* context.c — the runtime context: lock, journal, netlink handles.
 *
 * Handles into node namespaces are opened on first use and cached for the
 * whole run, so applying 100 nodes costs 100 sockets, not one per action. */
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/mark.h"
#include "runtime/netns.h"
#include "runtime/nl.h"

int rt_open(struct rt_ctx *c, const char *topology, const char *const *argv,
	    int lock_timeout_ms, struct rt_err *e)
{
	memset(c, 0, sizeof(*c));
	c->lock.fd = -1;
	c->topology = topology;
	c->stop_grace_ms = 3000;
	arena_init(&c->arena);
	c->drv[RES_NETNS] = &drv_netns;
	c->drv[RES_BRIDGE] = &drv_bridge;
	c->drv[RES_ADDR] = &drv_addr;
	c->drv[RES_VETH] = &drv_veth;
	c->drv[RES_TAP] = &drv_tap;
	c->drv[RES_ROUTE] = &drv_route;
	c->drv[RES_PROCESS] = &drv_process;
	c->drv[RES_VMM] = &drv_vmm;
	c->drv[RES_VM] = &drv_vm;
	c->parallel[RES_VMM] = c->parallel[RES_VM] = true;
	if (geteuid() != 0)
		return rt_errf(e, EPERM, "aspen needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to "
			       "change links and namespaces; run it with sudo");
	if (paths_run_dir(topology, c->run_dir, sizeof(c->run_dir), e) < 0)
		return -1;
	if (lock_timeout_ms != RT_NO_LOCK &&
	    lock_acquire(&c->lock, topology, argv, lock_timeout_ms, e) < 0)
		return -1;
	if (journal_load(&c->journal, topology, e) < 0) {
		journal_free(&c->journal);
		return -1;
	}
	c->journal_loaded = true;
	if (nl_open(&c->host, -1, e) < 0)
		return -1;
	return 0;
}

void rt_close(struct rt_ctx *c)
{
	for (size_t i = 0; i < c->n_ns; i++) {
		nl_free(c->ns[i].nl);
		if (c->ns[i].fd >= 0)
			close(c->ns[i].fd);
	}
	free(c->ns);
	c->ns = NULL;
	free(c->deferred);
	c->deferred = NULL;
	c->n_ns = 0;
	nl_free(c->host);
	c->host = NULL;
	if (c->journal_loaded)
		journal_free(&c->journal);
	c->journal_loaded = false;
	lock_release(&c->lock);
	arena_free(&c->arena);
}

const char *rt_mark(struct rt_ctx *c, const struct resource *r, char *buf, size_t len)
{
	if (mark_build(buf, len, c->topology, r->id, NULL) < 0)
		buf[0] = '\0';
	return buf;
}

const char *rt_id_name(const char *id)
{
	const char *s = strchr(id, '/');
	return s ? s + 1 : id;
}

int rt_ns_nl(struct rt_ctx *c, const char *name, struct nl **out, int *fd_out, struct rt_err *e)
{
	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, name) == 0) {
			*out = c->ns[i].nl;
			if (fd_out)
				*fd_out = c->ns[i].fd;
			return 0;
		}
	}
	if (strlen(name) >= sizeof(c->ns[0].name))
		return rt_errf(e, ENAMETOOLONG, "namespace name %s too long", name);
	int fd;
	if (netns_open(name, &fd, e) < 0)
		return -1;
	struct nl *nl;
	if (nl_open(&nl, fd, e) < 0) {
		close(fd);
		return rt_err_prefix(e, "namespace %s", name);
	}
	if (c->n_ns == c->cap_ns) {
		size_t cap = c->cap_ns ? c->cap_ns * 2 : 16;
		struct rt_nscache *v = realloc(c->ns, cap * sizeof(*v));
		if (!v) {
			nl_free(nl);
			close(fd);
			return rt_errf(e, ENOMEM, "out of memory");
		}
		c->ns = v;
		c->cap_ns = cap;
	}
	struct rt_nscache *s = &c->ns[c->n_ns++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->fd = fd;
	s->nl = nl;
	*out = nl;
	if (fd_out)
		*fd_out = fd;
	return 0;
}

void rt_ns_forget(struct rt_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_ns; i++) {
		if (strcmp(c->ns[i].name, name) == 0) {
			nl_free(c->ns[i].nl);
			close(c->ns[i].fd);
			c->ns[i] = c->ns[--c->n_ns];
			return;
		}
	}
}

bool rt_ns_dying(const struct rt_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_dying_ns; i++)
		if (strcmp(c->dying_ns[i], name) == 0)
			return true;
	return false;
}

int rt_defer_link_gone(struct rt_ctx *c, const char *name, struct rt_err *e)
{
	if (c->n_deferred == c->cap_deferred) {
		size_t cap = c->cap_deferred ? c->cap_deferred * 2 : 32;
		const char **v = realloc(c->deferred, cap * sizeof(*v));
		if (!v)
			return rt_errf(e, ENOMEM, "out of memory");
		c->deferred = v;
		c->cap_deferred = cap;
	}
	c->deferred[c->n_deferred++] = arena_strdup(&c->arena, name);
	return 0;
}

int rt_nl_for(struct rt_ctx *c, const struct resource *r, struct nl **out, struct rt_err *e)
{
	const char *ns = res_get(r, "netns");
	if (!ns || !*ns) {
		*out = c->host;
		return 0;
	}
	return rt_ns_nl(c, ns, out, NULL, e);
}

/* The runtime dir is flat: logs, pidfiles and sockets of this boot. */
static int remove_run_dir(const char *dir, struct rt_err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : rt_errf(e, errno, "open %s: %s", dir, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			int err = errno;
			closedir(d);
			return rt_errf(e, err, "remove %s/%s: %s", dir, de->d_name, strerror(err));
		}
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return rt_errf(e, errno, "remove %s: %s", dir, strerror(errno));
	return 0;
}

int rt_forget(struct rt_ctx *c, struct rt_err *e)
{
	if (journal_remove(c->topology, e) < 0)
		return -1;
	return remove_run_dir(c->run_dir, e);
}
