/* strmap.h — a small open-addressing map from C strings to size_t.
 *
 * The planner looks resources up by id thousands of times per plan; a linear
 * scan would make planning quadratic. Keys are NOT copied: they must outlive
 * the map (ids live in the arena of their resource list). Linear probing over
 * a power-of-two table kept at most half full; FNV-1a hashing. */
#ifndef ASPEN_STRMAP_H
#define ASPEN_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
	const char *key;        /* NULL: empty */
	size_t hash;
	size_t value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap;             /* power of two, or 0 before the first put */
	size_t n;
};

/* An empty map sized for about `hint` keys (0 is fine). Aborts on OOM. */
void strmap_init(struct strmap *m, size_t hint);
void strmap_free(struct strmap *m);     /* accepts a zeroed map */

/* Insert key -> value. If key is already present, leaves the map unchanged,
 * stores the existing value in *old (when non-NULL) and returns false;
 * otherwise returns true. */
bool strmap_put(struct strmap *m, const char *key, size_t value, size_t *old);

/* Remove key: true when it was there. Later keys of its probe run move
 * back (backward-shift deletion), so no tombstone slows later lookups. */
bool strmap_del(struct strmap *m, const char *key);

/* Look key up: true and *value set when present. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);

#endif
