/* context.c — the runtime context: lock, journal, netlink handles.
 *
 * Handles into node namespaces are opened on first use and cached for the
 * whole run, so applying 100 nodes costs 100 sockets, not one per action.
 * So are the links each handle has seen: one dump per namespace answers
 * every later lookup (a probe of 100 nodes asked the kernel ~500 times for
 * links by name), and the drivers report each link they change so the
 * cache never answers from a stale entry. Namespaces, caches and the links
 * in a cache are found through hash indexes (compiler/strmap.h), never by a
 * scan: at 3000 nodes a scan per lookup made a no-op apply quadratic. */
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
	c->drv[RES_VXLAN] = &drv_vxlan;
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
	/* A crash during a save left a temp file, a killed API server its
	 * socket (nobody serves without the lock, which is now ours); the lock
	 * holder removes both, so re-apply after a crash leaves no trace (the
	 * crash matrix checks). */
	if (lock_timeout_ms != RT_NO_LOCK) {
		journal_sweep(&c->journal);
		char sock[PATHS_MAX];
		if (snprintf(sock, sizeof(sock), "%s/%s", c->run_dir, PATHS_API_SOCKET) < (int)sizeof(sock))
			(void)unlink(sock);
	}
	if (nl_open(&c->host, -1, e) < 0)
		return -1;
	return 0;
}

void rt_close(struct rt_ctx *c)
{
	rt_link_changed(c, NULL, NULL);
	free(c->lc);
	c->lc = NULL;
	c->cap_lc = 0;
	strmap_free(&c->lc_idx);
	strmap_free(&c->ns_idx);
	free(c->del_links);
	free(c->del_ns);
	c->del_links = c->del_ns = NULL;
	c->n_del_links = c->cap_del_links = c->n_del_ns = c->cap_del_ns = 0;
	for (size_t i = 0; i < c->n_ns; i++) {
		nl_free(c->ns[i].nl);
		if (c->ns[i].fd >= 0)
			close(c->ns[i].fd);
	}
	free(c->ns);
	c->ns = NULL;
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
	size_t i;
	if (strmap_get(&c->ns_idx, name, &i)) {
		*out = c->ns[i].nl;
		if (fd_out)
			*fd_out = c->ns[i].fd;
		return 0;
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
	s->key = arena_strdup(&c->arena, name);
	strmap_put(&c->ns_idx, s->key, c->n_ns - 1, NULL);
	*out = nl;
	if (fd_out)
		*fd_out = fd;
	return 0;
}

void rt_ns_forget(struct rt_ctx *c, const char *name)
{
	size_t i;
	if (!strmap_get(&c->ns_idx, name, &i))
		return;
	rt_link_changed(c, c->ns[i].nl, NULL);
	nl_free(c->ns[i].nl);
	close(c->ns[i].fd);
	strmap_del(&c->ns_idx, c->ns[i].key);
	c->ns[i] = c->ns[--c->n_ns];
	if (i < c->n_ns) {                      /* the last one moved to i */
		strmap_del(&c->ns_idx, c->ns[i].key);
		strmap_put(&c->ns_idx, c->ns[i].key, i, NULL);
	}
}

bool rt_ns_dying(const struct rt_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_dying_ns; i++)
		if (strcmp(c->dying_ns[i], name) == 0)
			return true;
	return false;
}

bool rt_link_dying(const struct rt_ctx *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_dying_links; i++)
		if (strcmp(c->dying_links[i], name) == 0)
			return true;
	return false;
}

static int defer(struct rt_deferred **v, size_t *n, size_t *cap, const struct resource *r,
		 int ifindex, struct rt_err *e)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct rt_deferred *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return rt_errf(e, ENOMEM, "out of memory");
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct rt_deferred){r, ifindex};
	return 0;
}

int rt_defer_link_delete(struct rt_ctx *c, const struct resource *r, int ifindex,
			 struct rt_err *e)
{
	return defer(&c->del_links, &c->n_del_links, &c->cap_del_links, r, ifindex, e);
}

int rt_defer_ns_delete(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	return defer(&c->del_ns, &c->n_del_ns, &c->cap_del_ns, r, 0, e);
}

/* ---------------- link cache ---------------- */

/* A handle's key in c->lc_idx: its address as text. */
static void lc_key(const struct nl *nl, char buf[32])
{
	snprintf(buf, 32, "%p", (const void *)nl);
}

static struct rt_linkcache *lc_of(struct rt_ctx *c, struct nl *nl, bool add)
{
	char key[32];
	size_t i;
	lc_key(nl, key);
	if (strmap_get(&c->lc_idx, key, &i))
		return &c->lc[i];
	if (!add)
		return NULL;
	if (c->n_lc == c->cap_lc) {
		size_t cap = c->cap_lc ? c->cap_lc * 2 : 16;
		struct rt_linkcache *v = realloc(c->lc, cap * sizeof(*v));
		if (!v)
			return NULL;
		c->lc = v;
		c->cap_lc = cap;
	}
	c->lc[c->n_lc] = (struct rt_linkcache){.nl = nl, .key = arena_strdup(&c->arena, key)};
	strmap_put(&c->lc_idx, c->lc[c->n_lc].key, c->n_lc, NULL);
	return &c->lc[c->n_lc++];
}

static struct nl_link_info *lc_find(struct rt_linkcache *lc, const char *name)
{
	size_t i;
	return strmap_get(&lc->names, name, &i) ? &lc->v[i] : NULL;
}

/* Empty the cache (its index with it). */
static void lc_clear(struct rt_linkcache *lc)
{
	lc->n = 0;
	strmap_free(&lc->names);
}

/* Remove v[i], the last entry taking its place (and its index entry). */
static void lc_remove(struct rt_linkcache *lc, size_t i)
{
	strmap_del(&lc->names, lc->v[i].name);
	if (i != lc->n - 1)
		strmap_del(&lc->names, lc->v[lc->n - 1].name);
	lc->v[i] = lc->v[--lc->n];
	if (i < lc->n)
		strmap_put(&lc->names, lc->v[i].name, i, NULL);
}

static int lc_put(struct rt_linkcache *lc, const struct nl_link_info *li)
{
	struct nl_link_info *old = lc_find(lc, li->name);
	if (old) {
		*old = *li;             /* the same name: its key stays valid */
		return 0;
	}
	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 8;
		struct nl_link_info *v = realloc(lc->v, cap * sizeof(*v));
		if (!v)
			return -1;
		lc->v = v;
		lc->cap = cap;
		/* The keys pointed into the old array. */
		strmap_free(&lc->names);
		strmap_init(&lc->names, cap);
		for (size_t i = 0; i < lc->n; i++)
			strmap_put(&lc->names, lc->v[i].name, i, NULL);
	}
	lc->v[lc->n] = *li;
	strmap_put(&lc->names, lc->v[lc->n].name, lc->n, NULL);
	lc->n++;
	return 0;
}

struct lc_walk {
	struct rt_linkcache *lc;
	int (*fn)(const struct nl_link_info *l, void *arg, struct rt_err *e);
	void *arg;
	bool oom, stopped;
};

static int lc_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct lc_walk *w = arg;
	if (w->lc && lc_put(w->lc, l) < 0) {
		w->oom = true;          /* the cache stays incomplete */
		w->lc = NULL;
	}
	int rc = w->fn ? w->fn(l, w->arg, e) : 0;
	w->stopped |= rc > 0;
	return rc;
}

/* fn over a copy of a complete cache: fn may look links up meanwhile. */
static int lc_each(struct rt_linkcache *lc, int (*fn)(const struct nl_link_info *l, void *arg,
		   struct rt_err *e), void *arg, struct rt_err *e)
{
	struct nl_link_info *copy = malloc((lc->n ? lc->n : 1) * sizeof(*copy));
	if (!copy)
		return rt_errf(e, ENOMEM, "out of memory");
	size_t n = lc->n;
	memcpy(copy, lc->v, n * sizeof(*copy));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fn(&copy[i], arg, e);
	free(copy);
	return rc < 0 ? -1 : 0;
}

int rt_link_each(struct rt_ctx *c, struct nl *nl, int (*fn)(const struct nl_link_info *l,
		 void *arg, struct rt_err *e), void *arg, struct rt_err *e)
{
	struct rt_linkcache *lc = lc_of(c, nl, true);
	if (lc && lc->complete && fn)
		return lc_each(lc, fn, arg, e);
	if (lc)
		lc_clear(lc);
	struct lc_walk w = {lc, fn, arg, false, false};
	int rc = nl_link_dump(nl, lc_seen, &w, e);
	if (lc) {
		/* A callback that stopped early leaves a partial list. */
		lc->filled = true;
		lc->complete = rc == 0 && !w.oom && !w.stopped;
		if (rc < 0)
			lc_clear(lc);
	}
	return rc;
}

int rt_link(struct rt_ctx *c, struct nl *nl, const char *name, struct nl_link_info *out,
	    struct rt_err *e)
{
	struct rt_linkcache *lc = lc_of(c, nl, true);
	struct nl_link_info *hit = lc && name ? lc_find(lc, name) : NULL;
	if (hit) {
		*out = *hit;
		return 0;
	}
	if (lc && !lc->filled && name) {
		if (rt_link_each(c, nl, NULL, NULL, e) < 0)
			return -1;
		if ((hit = lc_find(lc, name))) {
			*out = *hit;
			return 0;
		}
	}
	if (lc && lc->complete && name)
		return rt_errf(e, ENODEV, "find link %s: %s", name, strerror(ENODEV));
	if (nl_link_find(nl, name, out, e) < 0)
		return -1;
	if (lc)
		lc_put(lc, out);        /* out of memory: merely not cached */
	return 0;
}

/* Drop cache i entirely; the last cache takes its place. */
static void lc_drop(struct rt_ctx *c, size_t i)
{
	struct rt_linkcache *lc = &c->lc[i];
	free(lc->v);
	strmap_free(&lc->names);
	strmap_del(&c->lc_idx, lc->key);
	if (i != c->n_lc - 1)
		strmap_del(&c->lc_idx, c->lc[c->n_lc - 1].key);
	c->lc[i] = c->lc[--c->n_lc];
	if (i < c->n_lc)
		strmap_put(&c->lc_idx, c->lc[i].key, i, NULL);
}

void rt_link_changed(struct rt_ctx *c, struct nl *nl, const char *name)
{
	if (nl) {               /* one handle's cache, found without a scan */
		struct rt_linkcache *lc = lc_of(c, nl, false);
		if (!lc)
			return;
		if (!name) {
			lc_drop(c, (size_t)(lc - c->lc));
			return;
		}
		struct nl_link_info *hit = lc_find(lc, name);
		if (hit)
			lc_remove(lc, (size_t)(hit - lc->v));
		lc->complete = false;
		return;
	}
	while (!name && c->n_lc)
		lc_drop(c, c->n_lc - 1);
	for (size_t i = 0; name && i < c->n_lc; i++) {
		struct rt_linkcache *lc = &c->lc[i];
		struct nl_link_info *hit = lc_find(lc, name);
		if (hit)
			lc_remove(lc, (size_t)(hit - lc->v));
		lc->complete = false;
	}
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

void rt_log_tail(const char *path, size_t lines, char *buf, size_t len)
{
	enum { MAXL = 3 };
	char last[MAXL][256];
	size_t n = 0, used = 0;
	if (lines > MAXL)
		lines = MAXL;
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		memcpy(last[n % MAXL], line, sizeof(line));
		n++;
	}
	fclose(f);
	for (size_t i = n > lines ? n - lines : 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " / " : "",
					 last[i % MAXL] + strspn(last[i % MAXL], " \t"));
}
