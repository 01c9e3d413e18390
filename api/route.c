/* route.c — the control API's endpoints, fault bodies and error shapes
 * (pure; see route.h). */
#include "api/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/arena.h"
#include "compiler/compile.h"
#include "compiler/topology.h"
#include "compiler/yamltree.h"
#include "runtime/sbuf.h"

/* ---------------- routes ---------------- */

static const char *const api_node_actions[] = {"kill", "pause", "resume", "start", "restart",
					       "reboot"};

/* The next path segment of *p (after its '/'), into buf; false when none. */
static bool api_segment(const char **p, char *buf, size_t len)
{
	if (**p != '/')
		return false;
	const char *s = *p + 1;
	size_t n = strcspn(s, "/");
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = s + n;
	return true;
}

int api_route_match(const char *method, const char *path, struct api_match *m, char *msg,
		    size_t msg_len)
{
	memset(m, 0, sizeof(*m));
	char seg[4][128];
	size_t n = 0;
	const char *p = path;
	while (n < 4 && api_segment(&p, seg[n], sizeof(seg[n])))
		n++;
	bool ok = *p == '\0' || (*p == '/' && p[1] == '\0');    /* a trailing slash is fine */
	if (!ok || n < 2 || strcmp(seg[0], "v1")) {
		snprintf(msg, msg_len, "no such endpoint: %s (the API is under /v1: faults, nodes, "
			 "status, matrix, events)", path);
		return 404;
	}
	const char *what = seg[1];
	if (!strcmp(what, "faults") && n == 2) {
		m->route = API_R_FAULTS;
		m->allow = "GET, POST, DELETE";
	} else if (!strcmp(what, "faults") && n == 3) {
		m->route = API_R_FAULT;
		m->allow = "DELETE";
		snprintf(m->arg, sizeof(m->arg), "%s", seg[2]);
	} else if (!strcmp(what, "nodes") && n == 4) {
		bool known = false;
		for (size_t i = 0; i < sizeof(api_node_actions) / sizeof(*api_node_actions); i++)
			known |= !strcmp(seg[3], api_node_actions[i]);
		if (!known) {
			snprintf(msg, msg_len, "no node action '%s' (kill, pause, resume, start, restart, "
				 "reboot)", seg[3]);
			return 404;
		}
		m->route = API_R_NODE;
		m->allow = "POST";
		snprintf(m->arg, sizeof(m->arg), "%s", seg[2]);
		snprintf(m->action, sizeof(m->action), "%s", seg[3]);
	} else if (n == 2 && (!strcmp(what, "status") || !strcmp(what, "matrix") ||
			      !strcmp(what, "events"))) {
		m->route = what[0] == 's' ? API_R_STATUS : what[0] == 'm' ? API_R_MATRIX : API_R_EVENTS;
		m->allow = "GET";
	} else {
		snprintf(msg, msg_len, "no such endpoint: %s (the API is under /v1: faults, nodes, "
			 "status, matrix, events)", path);
		return 404;
	}
	/* HEAD is GET without the body: MHD drops the body itself. */
	const char *meth = !strcmp(method, "HEAD") ? "GET" : method;
	size_t ml = strlen(meth);
	for (const char *a = m->allow; *a; a += strspn(a, ", ")) {
		size_t l = strcspn(a, ", ");
		if (l == ml && !strncmp(a, meth, l))
			return 0;
		a += l;
	}
	snprintf(msg, msg_len, "%s %s is not allowed (allowed: %s)", method, path, m->allow);
	return 405;
}

/* ---------------- JSON <-> YAML flow ---------------- */


/* A JSON string literal: cJSON's escaping (\", \\, \n, \uXXXX for controls)
 * is also YAML's in a double-quoted scalar. */
static void flow_string(struct sbuf *b, const char *s)
{
	cJSON *v = cJSON_CreateString(s);
	char *q = v ? cJSON_PrintUnformatted(v) : NULL;
	if (q)
		sb_printf(b, "%s", q);
	else
		b->overflow = true;
	cJSON_free(q);
	cJSON_Delete(v);
}

static void flow_value(struct sbuf *b, const cJSON *v, unsigned depth)
{
	if (depth > 32) {
		b->overflow = true;
		return;
	}
	if (cJSON_IsString(v)) {
		flow_string(b, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		char *q = cJSON_PrintUnformatted(v);
		sb_printf(b, "%s", q ? q : "0");
		cJSON_free(q);
	} else if (cJSON_IsBool(v)) {
		sb_printf(b, "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNull(v)) {
		sb_printf(b, "null");
	} else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
		bool obj = cJSON_IsObject(v);
		sb_printf(b, "%s", obj ? "{" : "[");
		for (const cJSON *x = v->child; x; x = x->next) {
			if (x != v->child)
				sb_printf(b, ", ");
			if (obj) {
				flow_string(b, x->string);
				sb_printf(b, ": ");
			}
			flow_value(b, x, depth + 1);
		}
		sb_printf(b, "%s", obj ? "}" : "]");
	} else {
		b->overflow = true;
	}
}

int api_json_to_flow(const cJSON *v, char *buf, size_t len)
{
	struct sbuf b = {buf, 0, len, false};
	if (len)
		buf[0] = '\0';
	flow_value(&b, v, 0);
	return b.overflow ? -1 : 0;
}

/* A plain YAML scalar as JSON: a number when all of it is one, else a string. */
static cJSON *flow_scalar(const struct ynode *n)
{
	const char *s = n->u.scalar.s;
	if (n->u.scalar.plain && *s) {
		char *end;
		double d = strtod(s, &end);
		if (*end == '\0' && strspn(s, "0123456789.-+eE") == strlen(s))
			return cJSON_CreateNumber(d);
		if (!strcmp(s, "true") || !strcmp(s, "false"))
			return cJSON_CreateBool(s[0] == 't');
	}
	return cJSON_CreateString(s);
}

static cJSON *flow_node(const struct ynode *n)
{
	if (n->type == YN_SCALAR)
		return flow_scalar(n);
	cJSON *o = n->type == YN_MAP ? cJSON_CreateObject() : cJSON_CreateArray();
	if (n->type == YN_MAP)
		for (size_t i = 0; i < n->u.map.n; i++)
			cJSON_AddItemToObject(o, n->u.map.v[i].key->u.scalar.s,
					      flow_node(n->u.map.v[i].value));
	else
		for (size_t i = 0; i < n->u.seq.n; i++)
			cJSON_AddItemToArray(o, flow_node(n->u.seq.v[i]));
	return o;
}

cJSON *api_flow_to_json(const char *flow, struct rt_err *e)
{
	size_t len = strlen(flow) + 3;
	char *text = malloc(len);
	if (!text)
		return rt_errf(e, ENOMEM, "out of memory"), NULL;
	snprintf(text, len, "{%s}", flow);
	struct arena ar;
	arena_init(&ar);
	struct diag_list d;
	diag_init(&d, "fault");
	struct ytree_limits lim = {TOPO_MAX_FILE_BYTES, TOPO_MAX_DEPTH, TOPO_MAX_SCALAR,
				   TOPO_MAX_NODES_VISITED};
	struct ynode *root = NULL;
	cJSON *out = NULL;
	if (ytree_parse(&ar, text, strlen(text), &lim, &d, &root) < 0 || diag_failed(&d) || !root ||
	    root->type != YN_MAP)
		rt_errf(e, EINVAL, "not a fault: %s", flow);
	else
		out = flow_node(root);
	diag_clear(&d);
	arena_free(&ar);
	free(text);
	return out;
}

/* ---------------- a POSTed fault ---------------- */

int api_fault_parse(const char *body, size_t len, struct api_fault *f, struct rt_err *e)
{
	memset(f, 0, sizeof(*f));
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		rt_errf(e, EINVAL, "the body must be one fault as a JSON object, e.g. "
			"{\"partition\": [[\"node1\"], [\"node2\", \"node3\"]], \"for\": \"10s\"}");
		return 400;
	}
	int status = 0;
	cJSON *rest = cJSON_CreateObject();
	for (cJSON *x = j->child; x && !status; x = x->next) {
		if (!strcmp(x->string, "at")) {
			rt_errf(e, EINVAL, "`at` is not allowed: a fault posted to the API fires when it "
				"is posted (give `for` to revert it after a while)");
			status = 422;
		} else if (!strcmp(x->string, "every") || !strcmp(x->string, "from") ||
			   !strcmp(x->string, "until")) {
			rt_errf(e, EINVAL, "`%s` is not allowed: a fault posted to the API fires once, "
				"when it is posted (the test repeats it by posting again)", x->string);
			status = 422;
		} else if (!strcmp(x->string, "name")) {
			rt_errf(e, EINVAL, "`name` is not allowed: the API names each fault itself "
				"(the \"id\" of its answer)");
			status = 422;
		} else if (!strcmp(x->string, "for")) {
			const char *s = cJSON_IsString(x) ? x->valuestring : NULL;
			bool word = s && *s && strlen(s) < sizeof(f->for_s) &&
				    strspn(s, "0123456789.abcdefghijklmnopqrstuvwxyz") == strlen(s);
			if (!word) {
				rt_errf(e, EINVAL, "`for` takes a duration like \"10s\" or \"500ms\"");
				status = 422;
			} else {
				snprintf(f->for_s, sizeof(f->for_s), "%s", s);
			}
		} else {
			if (!f->kind[0])
				snprintf(f->kind, sizeof(f->kind), "%s", x->string);
			cJSON_AddItemToObject(rest, x->string, cJSON_Duplicate(x, true));
		}
	}
	if (!status && !f->kind[0]) {
		rt_errf(e, EINVAL, "the body names no fault (partition, loss, latency, duplicate, "
			"corrupt, reorder, rate, link-down, kill, pause, resume, start, restart, reboot)");
		status = 422;
	}
	/* The entry's keys, without the braces: adhoc.h puts them after its own. */
	char flow[sizeof(f->ah.body) + 2];
	if (!status && api_json_to_flow(rest, flow, sizeof(flow)) < 0) {
		rt_errf(e, E2BIG, "the fault is too large");
		status = 422;
	}
	if (!status) {
		size_t fl = strlen(flow);
		snprintf(f->ah.body, sizeof(f->ah.body), "%.*s", (int)(fl - 2), flow + 1);
		/* The validator simulates node states from "all running": start and
		 * resume first state what they need (as adhoc.c does for words). */
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rest, "start");
		const char *pre = "kill";
		if (!v) {
			v = cJSON_GetObjectItemCaseSensitive(rest, "resume");
			pre = "pause";
		}
		char val[sizeof(f->ah.prefix) - 64];    /* room for the rest of the line */
		if (v && api_json_to_flow(v, val, sizeof(val)) == 0)
			snprintf(f->ah.prefix, sizeof(f->ah.prefix), "  - {at: 0s, %s: %s}\n", pre, val);
	}
	cJSON_Delete(rest);
	cJSON_Delete(j);
	return status;
}

/* ---------------- diagnostics and errors ---------------- */

cJSON *api_diags_json(const struct diag_list *d, const char *file, unsigned file_lines)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		bool mine = g->pos.line > file_lines;
		if (!mine && g->sev != DIAG_ERROR)
			continue;       /* the file's own warnings were shown by apply */
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "severity", g->sev == DIAG_ERROR ? "error" : "warning");
		cJSON_AddStringToObject(o, "message", g->msg);
		if (g->path)
			cJSON_AddStringToObject(o, "path", g->path);
		if (g->hint)
			cJSON_AddStringToObject(o, "hint", g->hint);
		if (!mine) {
			cJSON_AddStringToObject(o, "file", file);
			cJSON_AddNumberToObject(o, "line", g->pos.line);
			cJSON_AddNumberToObject(o, "col", g->pos.col);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void api_diags_print(const cJSON *diags, FILE *out, const char *prog)
{
	const cJSON *g;
	cJSON_ArrayForEach(g, diags) {
		const char *sev = jstr(g, "severity"), *msg = jstr(g, "message"), *path = jstr(g, "path");
		const char *file = jstr(g, "file"), *hint = jstr(g, "hint");
		sev = sev ? sev : "error";
		if (!file) {
			fprintf(out, "%s: %s: %s\n", prog, sev, msg ? msg : "?");
		} else {
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(g, "line");
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(g, "col");
			fprintf(out, "%s:%d:%d: %s: %s%s%s%s\n", file, cJSON_IsNumber(l) ? l->valueint : 0,
				cJSON_IsNumber(c) ? c->valueint : 0, sev, msg ? msg : "?", path ? " (" : "",
				path ? path : "", path ? ")" : "");
		}
		if (hint)
			fprintf(out, "    hint: %s\n", hint);
	}
}

char *api_error_body(const char *msg, cJSON *diags)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	cJSON_AddItemToObject(o, "diagnostics", diags ? diags : cJSON_CreateArray());
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}
