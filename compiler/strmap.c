/* strmap.c — open-addressing string map (see strmap.h).
 *
 * Linear probing, table at most half full, so a miss ends after a short run
 * of occupied slots. The full hash is kept per slot: growth rehashes without
 * touching the strings, and most probes are rejected without a strcmp. */
#include "compiler/strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t strmap_hash(const char *s)
{
	/* FNV-1a, 64-bit where size_t is. */
	size_t h = (size_t)14695981039346656037ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= (size_t)1099511628211ull;
	}
	return h;
}

static struct strmap_slot *strmap_table(size_t cap)
{
	struct strmap_slot *s = calloc(cap, sizeof(*s));
	if (!s) {
		fputs("aspen: out of memory\n", stderr);
		abort();
	}
	return s;
}

void strmap_init(struct strmap *m, size_t hint)
{
	m->n = 0;
	m->cap = 16;
	while (m->cap < hint * 2)
		m->cap *= 2;
	m->slots = strmap_table(m->cap);
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* The slot holding key, or the empty slot where it would go. */
static struct strmap_slot *strmap_probe(const struct strmap *m, const char *key, size_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

static void strmap_grow(struct strmap *m)
{
	struct strmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = strmap_table(m->cap);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*strmap_probe(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

bool strmap_put(struct strmap *m, const char *key, size_t value, size_t *old)
{
	if ((m->n + 1) * 2 > m->cap)
		strmap_grow(m);
	size_t h = strmap_hash(key);
	struct strmap_slot *s = strmap_probe(m, key, h);
	if (s->key) {
		if (old)
			*old = s->value;
		return false;
	}
	s->key = key;
	s->hash = h;
	s->value = value;
	m->n++;
	return true;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *value)
{
	if (m->cap == 0)
		return false;
	const struct strmap_slot *s = strmap_probe(m, key, strmap_hash(key));
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}

bool strmap_del(struct strmap *m, const char *key)
{
	if (m->cap == 0)
		return false;
	size_t mask = m->cap - 1;
	struct strmap_slot *s = strmap_probe(m, key, strmap_hash(key));
	if (!s->key)
		return false;
	size_t hole = (size_t)(s - m->slots);
	for (size_t j = (hole + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		/* Slot j stays when its home lies cyclically in (hole, j]. */
		bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
		if (stays)
			continue;
		m->slots[hole] = m->slots[j];
		hole = j;
	}
	m->slots[hole].key = NULL;
	m->n--;
	return true;
}
