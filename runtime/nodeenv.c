/* nodeenv.c — the one environment of a node: what its command, its exec
 * health check, a role probe on its behalf and `aspen run`'s command see
 * (see nodeenv.h; the list is docs/language.md, "The node environment"). */
#include "runtime/nodeenv.h"

#include "compiler/compile.h"
#include "compiler/envsub.h"

#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct envv {
	char **v;
	size_t n, cap;
	int oom;
};

static size_t key_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Set KEY=value (value of length vlen): replace an existing KEY when
 * override, else keep the existing one. */
static void env_put(struct envv *e, const char *key, size_t klen, const char *val, size_t vlen,
		    int override)
{
	for (size_t i = 0; i < e->n; i++) {
		if (key_len(e->v[i]) == klen && strncmp(e->v[i], key, klen) == 0) {
			if (!override)
				return;
			free(e->v[i]);
			e->v[i] = NULL;
			if (asprintf(&e->v[i], "%.*s=%.*s", (int)klen, key, (int)vlen, val) < 0)
				e->oom = 1;
			return;
		}
	}
	if (e->n + 2 > e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 32;
		char **v = realloc(e->v, cap * sizeof(*v));
		if (!v) {
			e->oom = 1;
			return;
		}
		e->v = v;
		e->cap = cap;
	}
	if (asprintf(&e->v[e->n], "%.*s=%.*s", (int)klen, key, (int)vlen, val) < 0) {
		e->oom = 1;
		return;
	}
	e->v[++e->n] = NULL;
}

/* ASPEN_NODES, ASPEN_PEERS, ASPEN_OTHERS and ASPEN_IP_<NAME> from the
 * cluster string. */
static void cluster_vars(struct envv *e, const char *cluster, const char *self)
{
	size_t len = strlen(cluster);
	char *nodes = malloc(len + 1), *peers = malloc(len + 1), *others = malloc(len + 1);
	size_t nn = 0, np = 0, no = 0;
	if (!nodes || !peers || !others) {
		e->oom = 1;
		goto out;
	}
	for (const char *p = cluster; *p;) {
		const char *end = strchr(p, ' ');
		size_t wl = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', wl);
		size_t namel = eq ? (size_t)(eq - p) : wl;
		if (nn)
			nodes[nn++] = ' ';
		memcpy(nodes + nn, p, namel);
		nn += namel;
		if (eq) {
			bool me = self && strlen(self) == namel && strncmp(self, p, namel) == 0;
			if (np)
				peers[np++] = ' ';
			memcpy(peers + np, p, wl);
			np += wl;
			if (!me) {
				if (no)
					others[no++] = ' ';
				memcpy(others + no, p, wl);
				no += wl;
			}
			char key[64 + 10];
			if (namel <= 64) {
				memcpy(key, "ASPEN_IP_", 9);
				for (size_t i = 0; i < namel; i++) {
					char c = p[i];
					key[9 + i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
				}
				env_put(e, key, 9 + namel, eq + 1, wl - namel - 1, 0);
			}
		}
		p += wl;
		while (*p == ' ')
			p++;
	}
	env_put(e, "ASPEN_NODES", 11, nodes, nn, 1);
	env_put(e, "ASPEN_PEERS", 11, peers, np, 1);
	env_put(e, "ASPEN_OTHERS", 12, others, no, 1);
out:
	free(nodes);
	free(peers);
	free(others);
}

char **nodeenv_build(const char *const *inherit, const char *cluster, const char *self,
		     const char *env_json, struct rt_err *err)
{
	struct envv e = {0};
	cJSON *o = cJSON_Parse(env_json ? env_json : "{}");
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		rt_errf(err, EINVAL, "the env property is not a JSON object");
		return NULL;
	}
	for (size_t i = 0; inherit && inherit[i]; i++) {
		size_t kl = key_len(inherit[i]);
		const char *v = inherit[i][kl] ? inherit[i] + kl + 1 : "";
		env_put(&e, inherit[i], kl, v, strlen(v), 1);
	}
	if (cluster)
		cluster_vars(&e, cluster, self);
	for (cJSON *it = o->child; it; it = it->next) {
		if (!cJSON_IsString(it)) {
			rt_errf(err, EINVAL, "env %s: not a string", it->string);
			cJSON_Delete(o);
			nodeenv_free(e.v);
			return NULL;
		}
		env_put(&e, it->string, strlen(it->string), it->valuestring,
			strlen(it->valuestring), 1);
	}
	cJSON_Delete(o);
	if (!e.v)
		env_put(&e, "ASPEN_NODES", 11, "", 0, 1);   /* never return an empty NULL */
	if (e.oom) {
		nodeenv_free(e.v);
		rt_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	return e.v;
}

void nodeenv_free(char **envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		free(envp[i]);
	free(envp);
}

char **nodeenv_argv(const char *const *argv, size_t n, char **envp, struct rt_err *err)
{
	struct envsub_err e;
	char **v = envsub_argv(argv, n, envsub_envp_lookup, envp, &e);
	if (!v)
		rt_errf(err, e.name[0] ? EINVAL : ENOMEM, "argument %zu: %s", e.word, e.msg);
	return v;
}

char **nodeenv_node(const struct topology *t, size_t i, const char *const *inherit,
		    struct rt_err *e)
{
	struct arena a;
	const char *cluster, *env;
	arena_init(&a);
	topo_node_env(t, i, &a, &cluster, &env);
	char **envp = nodeenv_build(inherit, cluster, t->nodes[i].name, env, e);
	arena_free(&a);
	return envp;
}
