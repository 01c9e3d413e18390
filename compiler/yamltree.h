/* yamltree.h — a YAML document as a small tree with positions.
 *
 * Built from libyaml's event stream: scalars, sequences and mappings, each
 * with the 1-based line:column where libyaml saw it start. Mapping entries
 * keep the key node (for its position and text) and the value node. An
 * alias points at the anchored node itself, so shared subtrees are shared,
 * never copied; each node carries its expanded size ("weight") so a caller
 * walking the tree knows the cost up front and an alias bomb is refused
 * while building.
 *
 * Everything lives in the caller's arena. */
#ifndef ASPEN_YAMLTREE_H
#define ASPEN_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/arena.h"
#include "compiler/diag.h"

enum ynode_type { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode;

struct ypair {
	struct ynode *key;      /* always a scalar */
	struct ynode *value;
};

struct ynode {
	enum ynode_type type;
	struct pos pos;
	uint64_t weight;        /* nodes in the subtree after alias expansion */
	union {
		struct {
			const char *s;  /* NUL-terminated, no NUL inside */
			size_t len;
			bool plain;     /* unquoted, untagged: may be null/bool/number */
		} scalar;
		struct {
			struct ynode **v;
			size_t n;
		} seq;
		struct {
			struct ypair *v;
			size_t n;
		} map;
	} u;
};

/* Limits (bytes of input, nesting, scalar bytes, expanded nodes). */
struct ytree_limits {
	size_t max_bytes;
	unsigned max_depth;
	size_t max_scalar;
	uint64_t max_weight;
};

/* Parse buf[0..len) (one YAML document). On success *root is the document's
 * root node, or NULL for a stream without a document (empty file, only
 * comments). Returns 0 when the tree is usable, -1 after a fatal problem
 * (syntax error, a limit, binary data, a second document), in which case
 * *root is NULL. Non-fatal problems (duplicate keys, merge keys, non-scalar
 * keys) are reported to d, the offending entry dropped, and parsing goes on;
 * the caller checks diag_failed(). */
int ytree_parse(struct arena *a, const char *buf, size_t len, const struct ytree_limits *lim,
		struct diag_list *d, struct ynode **root);

/* Scalar helpers. ytree_is_null: a plain "", "~", "null", "Null", "NULL". */
bool ytree_is_null(const struct ynode *n);
/* Name of the node's type for messages: "a string", "a list", "a mapping". */
const char *ytree_type_name(const struct ynode *n);

/* s as a double-quoted literal for messages: control characters escaped
 * (a key may hold "\x1b"), cut with "..." to fit buf. n >= YTREE_QUOTE_MAX
 * gives about 48 characters of s. Returns buf. */
#define YTREE_QUOTE_MAX 64
char *ytree_quote(char *buf, size_t n, const char *s);

#endif
