/*
 * ytree.h -- YAML text to a small, bounded node tree with positions.
 *
 * Shared by every danelab file format written in YAML (scenarios, client
 * profiles).  The libyaml event API is driven directly so that every
 * bound (file size, node count, nesting, scalar length) is enforced while
 * parsing, before anything is built, and so that an alias is refused
 * where it is written instead of being expanded (billion laughs).
 *
 * What the tree guarantees to its reader:
 *   - no aliases, anchors are harmless (never expanded), no tags other
 *     than the standard str/map/seq ones;
 *   - within one mapping, no scalar key is written twice: every later
 *     duplicate is reported and dropped, the first definition wins;
 *   - mapping keys are scalars or YTREE_BAD (a mapping or list used as
 *     a key is reported and replaced by a BAD node);
 *   - scalars are NUL-terminated, contain no NUL, and are at most
 *     limits->max_scalar bytes long.
 * Every problem is added to a struct dl_diags as "file:line:col: error:"
 * and counted; what the keys mean is up to the caller.
 */
#ifndef DL_UTIL_YTREE_H
#define DL_UTIL_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "simulator/util/diag.h"

enum ytree_type {
	/*
	 * A node already reported as an error while parsing (too long, too
	 * deep, an alias, a tag).  Readers skip it silently, so that one
	 * mistake yields one message.
	 */
	YTREE_BAD,
	YTREE_SCALAR,
	YTREE_SEQ,
	YTREE_MAP,
};

/* Where a node starts; 1-based, 0 = unknown. */
struct ytree_pos {
	unsigned line;
	unsigned col;
};

struct ytree_node {
	enum ytree_type type;
	struct ytree_pos pos;
	/* Scalars: the value, NUL-terminated, no embedded NUL. */
	char *str;
	size_t len;
	bool plain;		/* plain style, no tag (number, bool, null) */
	bool null;		/* plain "", "~", "null", "Null" or "NULL" */
	/* Sequences: n items.  Mappings: n / 2 pairs, key then value. */
	struct ytree_node **kids;
	size_t n;
	size_t cap;
};

#define YTREE_MAP_NPAIRS(m)	((m)->n / 2)
#define YTREE_MAP_KEY(m, i)	((m)->kids[2 * (i)])
#define YTREE_MAP_VAL(m, i)	((m)->kids[2 * (i) + 1])

/* Bounds on what the text can make the parser allocate. */
struct ytree_limits {
	size_t max_file;	/* bytes of text */
	size_t max_nodes;	/* nodes in the whole tree */
	size_t max_depth;	/* nested mappings and lists, >= 1 */
	size_t max_scalar;	/* bytes of one scalar */
};

/*
 * Parse buf (len bytes) as one YAML document; file names it in the
 * diagnostics.  Every problem is added to diags (may be NULL) and counted
 * in *errors.
 *
 * Returns 0 with *root the top node (owned by the caller, ytree_free), or
 * NULL for a document with no content.  The tree may then contain
 * YTREE_BAD nodes whose error was reported, so check *errors.  Returns
 * DL_EINVAL when the text could not be parsed as a whole (syntax error,
 * file or node limit) and DL_ENOMEM if libyaml ran out of memory: then
 * *root is untouched.  Only the first document of a stream is kept; the
 * others are reported.
 */
int ytree_parse(const char *file, const char *buf, size_t len,
    const struct ytree_limits *limits, struct ytree_node **root,
    struct dl_diags *diags, size_t *errors);

/* Free n and everything under it.  n may be NULL. */
void ytree_free(struct ytree_node *n);

/*
 * What n is, for a "must be X, not Y" message: "a list", "a mapping",
 * "empty" (a null scalar), "a string" (any other scalar) or "invalid"
 * (YTREE_BAD).  A static string.
 */
const char *ytree_kind(const struct ytree_node *n);

/*
 * Quote s for a diagnostic: non-printable bytes escaped, quotes and
 * backslashes escaped, cut to a readable length with "...".  buf holds
 * len bytes (YTREE_QUOTE_MAX is a good size).  Returns buf.
 */
const char *ytree_quote(const char *s, char *buf, size_t len);
#define YTREE_QUOTE_MAX 80

#endif /* DL_UTIL_YTREE_H */
