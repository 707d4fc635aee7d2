/*
 * ytree.c -- YAML text to a small node tree with positions (ytree.h).
 *
 * Owns: driving the libyaml event parser, every bound on what the text
 * can make us allocate (nodes, nesting, string lengths, as the caller
 * sets them), refusing aliases and tags, reporting duplicate mapping keys
 * and YAML syntax errors with their position.  Does not own: what the
 * keys mean (the loaders: scenario/scen_load.c, clients/profile_load.c).
 *
 * The event API is used rather than yaml_parser_load() so that limits
 * are enforced while parsing, before anything is built, and so that an
 * alias is refused where it is written instead of being expanded
 * (billion laughs).  Positions are converted from libyaml's 0-based
 * marks to 1-based line:col.
 */
#include "simulator/util/ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "simulator/util/xmem.h"

/*
 * Past this nesting, parsing stops instead of skipping: libyaml keeps one
 * entry per flow level on a stack it rescans for every token, so a file
 * of a million '[' would cost minutes even though the subtree is dropped.
 */
#define YAML_HARD_DEPTH(y) (4 * (y)->lim->max_depth)

struct yctx {
	const char *file;
	struct dl_diags *diags;
	size_t *errors;
	const char *buf;
	size_t len;
	const struct ytree_limits *lim;
	struct ytree_node **stack;	/* lim->max_depth entries */
	size_t depth;
	size_t skip;		/* > 0: inside a subtree already reported */
	size_t nodes;
	struct ytree_node *root;
};

static int
yerr(struct yctx *y, struct ytree_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
yerr(struct yctx *y, struct ytree_pos pos, const char *fmt, ...)
{
	va_list ap;

	(*y->errors)++;
	va_start(ap, fmt);
	dl_diag_vadd(y->diags, DL_DIAG_ERROR, y->file, pos.line, pos.col, fmt,
	    ap);
	va_end(ap);
	return DL_EINVAL;
}

static struct ytree_pos
ypos(yaml_mark_t m)
{
	struct ytree_pos p;

	p.line = (unsigned)m.line + 1;
	p.col = (unsigned)m.column + 1;
	return p;
}

/* Position of byte offset off in the buffer (reader errors have no mark). */
static struct ytree_pos
yoffpos(const struct yctx *y, size_t off)
{
	struct ytree_pos p = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < y->len; i++) {
		if (y->buf[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)y->buf[i] & 0xc0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

void
ytree_free(struct ytree_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

const char *
ytree_kind(const struct ytree_node *n)
{
	switch (n->type) {
	case YTREE_SEQ:
		return "a list";
	case YTREE_MAP:
		return "a mapping";
	case YTREE_SCALAR:
		return n->null ? "empty" : "a string";
	default:
		return "invalid";
	}
}

static struct ytree_node *
node_new(enum ytree_type type, struct ytree_pos pos)
{
	struct ytree_node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

static void
node_append(struct ytree_node *parent, struct ytree_node *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = xreallocarray(parent->kids, parent->cap,
		    sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

/* True if the next node added to the top container is a mapping key. */
static bool
at_key(const struct yctx *y)
{
	const struct ytree_node *top;

	if (y->depth == 0)
		return false;
	top = y->stack[y->depth - 1];
	return top->type == YTREE_MAP && top->n % 2 == 0;
}

/*
 * Attach n to the open container, or make it the root.  Returns false if
 * the node limit is reached (reported; parsing stops).
 */
static bool
attach(struct yctx *y, struct ytree_node *n)
{
	if (++y->nodes > y->lim->max_nodes) {
		yerr(y, n->pos, "too many YAML nodes (at most %zu)",
		    y->lim->max_nodes);
		ytree_free(n);
		return false;
	}
	if (y->depth == 0) {
		ytree_free(y->root);
		y->root = n;
	} else {
		node_append(y->stack[y->depth - 1], n);
	}
	return true;
}

static bool
null_scalar(const char *s, size_t len)
{
	return len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

#define YAML_STR_TAG "tag:yaml.org,2002:str"

static bool
on_scalar(struct yctx *y, const yaml_event_t *ev)
{
	const char *val = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	struct ytree_pos pos = ypos(ev->start_mark);
	struct ytree_node *n;

	if (y->skip > 0)
		return true;
	if (tag != NULL && strcmp(tag, YAML_STR_TAG) != 0) {
		char q[YTREE_QUOTE_MAX];

		yerr(y, pos, "YAML tag '%s' is not supported",
		    ytree_quote(tag, q, sizeof(q)));
		return attach(y, node_new(YTREE_BAD, pos));
	}
	if (len > y->lim->max_scalar) {
		yerr(y, pos, "string too long (%zu bytes, at most %zu)", len,
		    y->lim->max_scalar);
		return attach(y, node_new(YTREE_BAD, pos));
	}
	if (memchr(val, '\0', len) != NULL) {
		yerr(y, pos, "string contains a NUL character");
		return attach(y, node_new(YTREE_BAD, pos));
	}
	n = node_new(YTREE_SCALAR, pos);
	n->str = xstrndup(val, len);
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    tag == NULL;
	n->null = n->plain && null_scalar(n->str, len);
	return attach(y, n);
}

/*
 * Open a mapping or sequence.  Containers that cannot be used (too deep,
 * a tag, a mapping used as a key) are replaced by a BAD node and their
 * content skipped.
 */
static bool
on_start(struct yctx *y, enum ytree_type type, const yaml_event_t *ev,
    const char *tag)
{
	struct ytree_pos pos = ypos(ev->start_mark);
	const char *what = type == YTREE_MAP ? "mapping" : "list";
	char q[YTREE_QUOTE_MAX];
	struct ytree_node *n;
	bool bad = true;

	if (y->skip > 0) {
		/* "nesting too deep" was reported at the top of the subtree. */
		return ++y->skip + y->depth <= YAML_HARD_DEPTH(y);
	}
	if (at_key(y))
		yerr(y, pos, "a %s cannot be a mapping key", what);
	else if (y->depth == y->lim->max_depth)
		yerr(y, pos, "nesting too deep (at most %zu levels)",
		    y->lim->max_depth);
	else if (tag != NULL && strcmp(tag, type == YTREE_MAP ?
	    "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq") != 0)
		yerr(y, pos, "YAML tag '%s' is not supported",
		    ytree_quote(tag, q, sizeof(q)));
	else
		bad = false;
	if (bad) {
		y->skip = 1;
		return attach(y, node_new(YTREE_BAD, pos));
	}
	n = node_new(type, pos);
	if (!attach(y, n))
		return false;
	y->stack[y->depth++] = n;
	return true;
}

struct keyref {
	const char *s;
	size_t i;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Report every key written twice in map m and drop the later pairs, so
 * that the first definition wins.  Sorting keeps this O(n log n) on
 * mappings with many keys.
 */
static void
check_dup_keys(struct yctx *y, struct ytree_node *m)
{
	size_t np = YTREE_MAP_NPAIRS(m), nk = 0, i, j, w;
	struct keyref *v;
	bool *drop;

	if (np < 2)
		return;
	v = xreallocarray(NULL, np, sizeof(*v));
	drop = xcalloc(np, sizeof(*drop));
	for (i = 0; i < np; i++) {
		const struct ytree_node *k = YTREE_MAP_KEY(m, i);

		if (k->type == YTREE_SCALAR) {
			v[nk].s = k->str;
			v[nk].i = i;
			nk++;
		}
	}
	qsort(v, nk, sizeof(*v), keyref_cmp);
	for (i = 0; i < nk; i = j) {
		const struct ytree_node *first = YTREE_MAP_KEY(m, v[i].i);

		for (j = i + 1; j < nk && strcmp(v[j].s, v[i].s) == 0; j++) {
			const struct ytree_node *k = YTREE_MAP_KEY(m, v[j].i);
			char q[YTREE_QUOTE_MAX];

			yerr(y, k->pos,
			    "duplicate key '%s' (first defined at %u:%u)",
			    ytree_quote(k->str, q, sizeof(q)), first->pos.line,
			    first->pos.col);
			drop[v[j].i] = true;
		}
	}
	for (i = 0, w = 0; i < np; i++) {
		if (drop[i]) {
			ytree_free(YTREE_MAP_KEY(m, i));
			ytree_free(YTREE_MAP_VAL(m, i));
			continue;
		}
		m->kids[2 * w] = YTREE_MAP_KEY(m, i);
		m->kids[2 * w + 1] = YTREE_MAP_VAL(m, i);
		w++;
	}
	m->n = 2 * w;
	free(v);
	free(drop);
}

static void
on_end(struct yctx *y)
{
	struct ytree_node *n;

	if (y->skip > 0) {
		y->skip--;
		return;
	}
	if (y->depth == 0)
		return;
	n = y->stack[--y->depth];
	if (n->type == YTREE_MAP)
		check_dup_keys(y, n);
}

static int
syntax_error(struct yctx *y, const yaml_parser_t *p)
{
	struct ytree_pos pos;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR) {
		yerr(y, (struct ytree_pos){ 0, 0 }, "out of memory");
		return DL_ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		pos = yoffpos(y, p->problem_offset);
		return yerr(y, pos, "YAML syntax error: %s", problem);
	}
	pos = ypos(p->problem_mark);
	if (p->context != NULL)
		return yerr(y, pos, "YAML syntax error: %s (%s at %u:%u)",
		    problem, p->context, (unsigned)p->context_mark.line + 1,
		    (unsigned)p->context_mark.column + 1);
	return yerr(y, pos, "YAML syntax error: %s", problem);
}

int
ytree_parse(const char *file, const char *buf, size_t len,
    const struct ytree_limits *limits, struct ytree_node **root,
    struct dl_diags *diags, size_t *errors)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct yctx y;
	bool done = false, ok = true;
	int docs = 0, rc = 0;

	memset(&y, 0, sizeof(y));
	y.file = file;
	y.diags = diags;
	y.errors = errors;
	y.buf = buf;
	y.len = len;
	y.lim = limits;
	if (len > limits->max_file)
		return yerr(&y, (struct ytree_pos){ 0, 0 },
		    "file too large (%zu bytes, at most %zu)", len,
		    limits->max_file);
	if (!yaml_parser_initialize(&p))
		return DL_ENOMEM;
	y.stack = xreallocarray(NULL, limits->max_depth, sizeof(*y.stack));
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && ok) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(&y, &p);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				/* Keep the first document, report the rest. */
				yerr(&y, ypos(ev.start_mark),
				    "only one YAML document per file");
				done = true;
			}
			break;
		case YAML_SCALAR_EVENT:
			ok = on_scalar(&y, &ev);
			break;
		case YAML_ALIAS_EVENT:
			if (y.skip > 0)
				break;
			yerr(&y, ypos(ev.start_mark),
			    "YAML aliases are not supported");
			ok = attach(&y, node_new(YTREE_BAD,
			    ypos(ev.start_mark)));
			break;
		case YAML_SEQUENCE_START_EVENT:
			ok = on_start(&y, YTREE_SEQ, &ev,
			    (const char *)ev.data.sequence_start.tag);
			break;
		case YAML_MAPPING_START_EVENT:
			ok = on_start(&y, YTREE_MAP, &ev,
			    (const char *)ev.data.mapping_start.tag);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			on_end(&y);
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	free(y.stack);
	if (!ok && rc == 0)
		rc = DL_EINVAL;
	if (rc != 0) {
		ytree_free(y.root);
		return rc;
	}
	*root = y.root;
	return 0;
}

const char *
ytree_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0, i;
	/* Room past cut for the longest escape (6) and "..." with NUL. */
	const size_t cut = len > 10 ? len - 10 : 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o >= cut) {
			/* Never half a UTF-8 sequence (escapes are ASCII). */
			while (
			    o > 0 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0 && (unsigned char)buf[o - 1] >= 0xc0)
				o--;
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (c == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			/* U+0080..U+009F: C1 controls, which some terminals
			 * obey (CSI); escaped like C0. */
			snprintf(buf + o, len - o, "\\u%04x",
			    (unsigned char)s[i + 1]);
			o += 6;
			i++;
		} else if (c == '\\' || c == '\'') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c != 0x7f) {
			buf[o++] = (char)c;
		} else {
			snprintf(buf + o, len - o, "\\x%02x", c);
			o += 4;
		}
	}
	buf[o] = '\0';
	return buf;
}
