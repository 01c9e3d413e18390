/* drv_vxlan.c — the driver of vxlan resources: a network's VXLAN port on
 * this host's bridge, joining it to the same network's bridges on the
 * other hosts (multi-host, docs/multihost.md).
 *
 * A VXLAN port is a host link like a bridge, and made the same way: one
 * RTM_NEWLINK carries its VNI, local address, UDP port, MTU, master, state
 * and the MAC derived from its mark (mark_mac), the alias follows; the
 * intent is journaled before either (exec.c), so a crash between them
 * leaves a link the journal names and its MAC proves ours
 * (docs/executor.md, "Crash safety by construction").
 *
 * Then its forwarding table. Unicast VXLAN has no multicast group to flood
 * to: the static entries are all it knows of the other hosts — one
 * all-zero entry per remote host (broadcast and ARP are sent to each) and
 * one entry per remote interface MAC (unicast goes straight to its host);
 * learning is off, so the table holds nothing else. All entries go to the
 * kernel in one batch (nl_fdb_set), whatever their number.
 *
 * The probe reads the table back (one dump of the link's entries) and
 * reports it as the `remotes` and `fdb` props in their own sorted form, so
 * an entry deleted or added by hand is drift in `plan`; update repairs it
 * by the difference (missing entries added, extra ones deleted, in one
 * batch). When the live table holds exactly the entries the resource
 * names, the probe leaves the resource's own text: no false drift from
 * ordering or letter case. VNI, local address and port are fixed when the
 * link is made: a change replaces it. */
#include "runtime/runtime.h"
#include "runtime/drv_link.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mark.h"
#include "runtime/nl.h"

#define VX_DEFAULT_PORT 4789u
#define VX_VNI_MAX 16777215u

/* What a vxlan resource asks for. The table's entries are the remotes
 * (all-zero MAC) and then the fdb entries; malloc'ed. */
struct vx_want {
	uint32_t vni;
	struct in_addr local;
	unsigned port, mtu;
	struct nl_fdb *fdb;
	size_t n;
};

/* A table read from the kernel. */
struct vx_table {
	struct nl_fdb *v;
	size_t n, cap;
	bool oom;
};

static bool vx_mac_zero(const unsigned char mac[6])
{
	static const unsigned char zero[6];
	return memcmp(mac, zero, 6) == 0;
}

/* "02:00:0a:64:00:02": six two-digit hex bytes, colons between. */
static int vx_parse_mac(const char *s, size_t len, unsigned char mac[6])
{
	if (len != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		if (!isxdigit((unsigned char)b[0]) || !isxdigit((unsigned char)b[1]) ||
		    (i < 5 && b[2] != ':'))
			return -1;
		char hex[3] = {b[0], b[1], '\0'};
		mac[i] = (unsigned char)strtoul(hex, NULL, 16);
	}
	return 0;
}

static int vx_parse_ip(const char *s, size_t len, struct in_addr *out)
{
	char buf[INET_ADDRSTRLEN];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, out) == 1 ? 0 : -1;
}

/* Append the entries of prop key ("remotes": "IP IP ..."; "fdb":
 * "MAC@IP MAC@IP ...") to w->fdb. */
static int vx_parse_list(const struct resource *r, const char *key, struct vx_want *w,
			 struct rt_err *e)
{
	const char *s = res_get(r, key);
	while (s && *s) {
		s += strspn(s, " ");
		size_t len = strcspn(s, " ");
		if (!len)
			break;
		struct nl_fdb f;
		memset(&f, 0, sizeof(f));
		const char *at = memchr(s, '@', len);
		bool ok = strcmp(key, "fdb") == 0 ?
			  at && vx_parse_mac(s, (size_t)(at - s), f.mac) == 0 &&
			  vx_parse_ip(at + 1, len - (size_t)(at - s) - 1, &f.dst) == 0 :
			  vx_parse_ip(s, len, &f.dst) == 0;
		if (!ok)
			return rt_errf(e, EINVAL, "%s: bad %s entry \"%.*s\" (want %s)", r->id, key,
				       (int)len, s, strcmp(key, "fdb") == 0 ? "MAC@a.b.c.d" : "a.b.c.d");
		struct nl_fdb *v = realloc(w->fdb, (w->n + 1) * sizeof(*v));
		if (!v)
			return rt_errf(e, ENOMEM, "out of memory");
		w->fdb = v;
		w->fdb[w->n++] = f;
		s += len;
	}
	return 0;
}

static int vx_parse(const struct resource *r, struct vx_want *w, struct rt_err *e)
{
	const char *v;
	char *end;
	memset(w, 0, sizeof(*w));
	v = res_get(r, "vni");
	unsigned long vni = v ? strtoul(v, &end, 10) : 0;
	if (!v || end == v || *end || vni == 0 || vni > VX_VNI_MAX)
		return rt_errf(e, EINVAL, "%s: bad vni \"%s\" (want 1..%u)", r->id, v ? v : "",
			       VX_VNI_MAX);
	w->vni = (uint32_t)vni;
	v = res_get(r, "port");
	unsigned long port = v ? strtoul(v, &end, 10) : VX_DEFAULT_PORT;
	if (v && (end == v || *end || port == 0 || port > 65535))
		return rt_errf(e, EINVAL, "%s: bad port \"%s\" (want 1..65535)", r->id, v);
	w->port = (unsigned)port;
	if ((v = res_get(r, "local")) && vx_parse_ip(v, strlen(v), &w->local) < 0)
		return rt_errf(e, EINVAL, "%s: bad local address \"%s\" (want a.b.c.d)", r->id, v);
	w->mtu = drvlink_uint(r, "mtu");
	if (vx_parse_list(r, "remotes", w, e) < 0 || vx_parse_list(r, "fdb", w, e) < 0) {
		free(w->fdb);
		w->fdb = NULL;
		return -1;
	}
	return 0;
}

/* ---------------- the forwarding table ---------------- */

static void vx_table_add(const struct nl_fdb *f, void *arg)
{
	struct vx_table *t = arg;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct nl_fdb *v = realloc(t->v, cap * sizeof(*v));
		if (!v) {
			t->oom = true;
			return;
		}
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *f;
}

static int vx_table_read(struct rt_ctx *c, int ifindex, struct vx_table *t, struct rt_err *e)
{
	memset(t, 0, sizeof(*t));
	if (nl_fdb_dump(c->host, ifindex, vx_table_add, t, e) < 0 || t->oom) {
		free(t->v);
		t->v = NULL;
		return t->oom ? rt_errf(e, ENOMEM, "out of memory") : -1;
	}
	return 0;
}

static bool vx_has(const struct nl_fdb *v, size_t n, const struct nl_fdb *f)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(v[i].mac, f->mac, 6) == 0 && v[i].dst.s_addr == f->dst.s_addr)
			return true;
	return false;
}

/* Make link ifindex's table hold exactly w's entries: read it, then delete
 * what is extra and add what is missing, in one batch. n * m compares:
 * tables hold an entry per remote interface, hundreds at most. */
static int vx_table_sync(struct rt_ctx *c, const char *name, int ifindex, const struct vx_want *w,
			 struct rt_err *e)
{
	struct vx_table t;
	if (vx_table_read(c, ifindex, &t, e) < 0)
		return rt_err_prefix(e, "vxlan %s", name);
	struct nl_fdb *del = malloc((t.n + 1) * sizeof(*del)), *add = malloc((w->n + 1) * sizeof(*add));
	size_t n_del = 0, n_add = 0;
	int rc = -1;
	if (!del || !add) {
		rt_errf(e, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < t.n; i++)
		if (!vx_has(w->fdb, w->n, &t.v[i]))
			del[n_del++] = t.v[i];
	for (size_t i = 0; i < w->n; i++)
		if (!vx_has(t.v, t.n, &w->fdb[i]) && !vx_has(add, n_add, &w->fdb[i]))
			add[n_add++] = w->fdb[i];
	rc = n_del + n_add == 0 ? 0 : nl_fdb_set(c->host, ifindex, del, n_del, add, n_add, e);
	if (rc < 0)
		rt_err_prefix(e, "vxlan %s", name);
out:
	free(del);
	free(add);
	free(t.v);
	return rc;
}

static int vx_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The entries of t with (fdb) or without (remotes) a MAC, in the props'
 * text form: sorted, space separated, in the arena. */
static const char *vx_table_text(struct rt_ctx *c, const struct vx_table *t, bool fdb)
{
	const char **s = arena_array(&c->arena, t->n + 1, sizeof(*s));
	size_t n = 0, len = 1;
	for (size_t i = 0; i < t->n; i++) {
		const struct nl_fdb *f = &t->v[i];
		char ip[INET_ADDRSTRLEN], buf[64];
		if (vx_mac_zero(f->mac) == fdb)
			continue;
		inet_ntop(AF_INET, &f->dst, ip, sizeof(ip));
		if (fdb)
			snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x@%s", f->mac[0],
				 f->mac[1], f->mac[2], f->mac[3], f->mac[4], f->mac[5], ip);
		else
			snprintf(buf, sizeof(buf), "%s", ip);
		s[n] = arena_strdup(&c->arena, buf);
		len += strlen(s[n++]) + 1;
	}
	qsort(s, n, sizeof(*s), vx_cmp);
	char *out = arena_alloc(&c->arena, len), *p = out;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? " " : "", s[i]);
	return out;
}

/* True when t holds exactly the entries w names (each at least once). */
static bool vx_table_is(const struct vx_table *t, const struct vx_want *w)
{
	for (size_t i = 0; i < t->n; i++)
		if (!vx_has(w->fdb, w->n, &t->v[i]))
			return false;
	for (size_t i = 0; i < w->n; i++)
		if (!vx_has(t->v, t->n, &w->fdb[i]))
			return false;
	return true;
}

/* ---------------- the driver ---------------- */

/* Set again what create set that can change in place: the alias (a
 * half-made link has none), MTU and state; then the table. */
static int vx_finish(struct rt_ctx *c, const struct resource *r, const struct vx_want *w,
		     struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	const char *name = res_get(r, "name");
	struct nl_link_conf conf = {.alias = rt_mark(c, r, mark, sizeof(mark)), .mtu = w->mtu,
				    .set_up = true, .up = true};
	rt_link_changed(c, c->host, name);
	if (nl_link_configure(c->host, name, &conf, e) < 0)
		return -1;
	struct nl_link_info li;
	if (rt_link(c, c->host, name, &li, e) < 0)
		return -1;
	return vx_table_sync(c, name, li.ifindex, w, e);
}

static int vx_create(struct rt_ctx *c, const struct resource *r, struct rt_err *e)
{
	char mark[ASPEN_MARK_MAX + 1];
	unsigned char mac[6];
	struct vx_want w;
	int master, rc = -1;
	const char *name = res_get(r, "name");
	if (vx_parse(r, &w, e) < 0)
		return -1;
	if (drvlink_master(c, r, &master, e) < 0)
		goto out;
	mark_mac(rt_mark(c, r, mark, sizeof(mark)), mac);
	struct nl_vxlan_opts o = {.name = name, .mac = mac, .alias = mark, .vni = w.vni,
				  .local = w.local, .port = w.port, .mtu = w.mtu,
				  .master = master, .up = true};
	rt_link_changed(c, c->host, name);
	if (nl_vxlan_add(c->host, &o, e) == 0) {
		/* A new link's table is empty: everything is an add. */
		struct nl_link_info li;
		rc = rt_link(c, c->host, name, &li, e);
		if (rc == 0 && w.n && (rc = nl_fdb_set(c->host, li.ifindex, NULL, 0, w.fdb, w.n, e)) < 0)
			rt_err_prefix(e, "vxlan %s", name);
		goto out;
	}
	if (e->errnum != EEXIST)
		goto out;
	struct nl_link_info li;
	struct rt_err ignore;
	if (nl_link_find(c->host, name, &li, &ignore) < 0) {
		/* The name is free: the kernel refused the VNI and port. */
		char why[sizeof(e->msg)];
		snprintf(why, sizeof(why), "%s", e->msg);
		rt_errf(e, EEXIST, "%s: another VXLAN link on this host uses VNI %u on UDP port %u; "
			"aspen leaves it alone: delete it, or rename the network or the topology "
			"(the VNI is derived from both)", why, w.vni, w.port);
		goto out;
	}
	char fix[160];
	snprintf(fix, sizeof(fix), "delete it, or rename network %s or the topology",
		 rt_id_name(r->id));
	if (drvlink_adopt_or_collide(c, r, name, "link", fix, e) < 0)
		goto out;
	struct nl_link_conf conf = {.set_master = true, .master = master};
	rc = nl_link_configure(c->host, name, &conf, e);
	if (rc == 0)
		rc = vx_finish(c, r, &w, e);
out:
	free(w.fdb);
	return rc;
}

static int vx_update(struct rt_ctx *c, const struct resource *old, const struct resource *r,
		     struct rt_err *e)
{
	struct vx_want w;
	(void)old;
	if (vx_parse(r, &w, e) < 0)
		return -1;
	int rc = vx_finish(c, r, &w, e);
	free(w.fdb);
	return rc;
}

static int vx_probe(struct rt_ctx *c, const struct resource *r, bool *present, struct resource *out,
		    struct rt_err *e)
{
	struct nl_link_info li;
	char state[160], ip[INET_ADDRSTRLEN];
	if (drvlink_probe(c, r, present, out, &li, state, sizeof(state), e) < 0)
		return -1;
	if (!*present)
		return 0;
	if (strcmp(li.kind, "vxlan") != 0) {
		res_set(&c->arena, out, "kind", li.kind);       /* forces a replacement */
		return 0;
	}
	if (!li.up)
		drvlink_state_add(state, sizeof(state), "down");
	drvlink_state_set(c, out, state);
	if (c->destroying)              /* presence and ownership: all a delete needs */
		return 0;
	if (res_get(r, "vni"))
		res_setf(&c->arena, out, "vni", "%u", li.vni);
	if (res_get(r, "port"))
		res_setf(&c->arena, out, "port", "%u", li.vx_port);
	if (res_get(r, "local"))
		res_set(&c->arena, out, "local", inet_ntop(AF_INET, &li.vx_local, ip, sizeof(ip)));
	struct vx_table t;
	struct vx_want w;
	struct rt_err bad;
	if (vx_table_read(c, li.ifindex, &t, e) < 0)
		return rt_err_prefix(e, "vxlan %s", li.name);
	/* Unparsable props (a hand-edited journal) never equal the table. */
	bool same = vx_parse(r, &w, &bad) == 0 && vx_table_is(&t, &w);
	if (!same) {
		res_set_ref(out, &c->arena, "remotes", vx_table_text(c, &t, false));
		res_set_ref(out, &c->arena, "fdb", vx_table_text(c, &t, true));
	}
	free(w.fdb);
	free(t.v);
	return 0;
}

const struct res_driver drv_vxlan = {vx_create, vx_update, drvlink_destroy_later, vx_probe, NULL};

/* ---------------- preflight ---------------- */

struct vx_taken {
	const struct rt_ctx *c;
	const char *name;
	uint32_t vni;
	unsigned port;
	char *what;
	size_t len;
	bool taken;
};

static int vx_taken_seen(const struct nl_link_info *l, void *arg, struct rt_err *e)
{
	struct vx_taken *t = arg;
	(void)e;
	if (strcmp(l->kind, "vxlan") != 0 || l->vni != t->vni || l->vx_port != t->port ||
	    strcmp(l->name, t->name) == 0 || mark_in_topology(l->alias, t->c->topology))
		return 0;
	snprintf(t->what, t->len, "VXLAN link %s already uses VNI %u on UDP port %u (delete it, "
		 "or rename the network or the topology: the VNI is derived from both)", l->name,
		 t->vni, t->port);
	t->taken = true;
	return 1;
}

bool drvvx_vni_taken(struct rt_ctx *c, const struct resource *r, char *what, size_t len)
{
	struct vx_want w;
	struct rt_err ignore;
	const char *name = res_get(r, "name");
	if (!name || vx_parse(r, &w, &ignore) < 0)
		return false;           /* create says what is wrong with it */
	free(w.fdb);
	struct vx_taken t = {c, name, w.vni, w.port, what, len, false};
	if (rt_link_each(c, c->host, vx_taken_seen, &t, &ignore) < 0)
		return false;
	return t.taken;
}
