/*
 * scen_load.c -- node tree to struct scenario, driven by the schema
 * tables of scen_schema.c.
 *
 * Owns: decoding each value by its row's type (integers and ranges,
 * booleans, strings and their bounds, domain names, enumerations,
 * fixture ids, lists and nested mappings), unknown and missing keys, and
 * the per-mapping rules that involve several keys of one mapping (post
 * hooks: a TLSA item is `cert` or `record`, a fault has one kind, a
 * record's owner is resolved against its zone...).  Does not own: rules
 * across elements (scen_check.c).
 *
 * Decoding goes on after an error wherever the rest still makes sense,
 * so that one run reports every problem.  A value that fails leaves its
 * field at its default; the scenario is then rejected as a whole.
 */
#include "simulator/scenario/scen_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "simulator/pki/pki.h"
#include "simulator/util/xmem.h"

/* ---- context helpers ------------------------------------------------- */

int
scen_err(struct scen_ctx *ctx, struct scen_pos pos, const char *fmt, ...)
{
	va_list ap;

	ctx->errors++;
	va_start(ap, fmt);
	dl_diag_vadd(ctx->diags, DL_DIAG_ERROR, ctx->file, pos.line, pos.col,
	    fmt, ap);
	va_end(ap);
	return DL_EINVAL;
}

int
scen_warn(struct scen_ctx *ctx, struct scen_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dl_diag_vadd(ctx->diags, DL_DIAG_WARNING, ctx->file, pos.line,
	    pos.col, fmt, ap);
	va_end(ap);
	return 0;
}

void
scen_pos_add(struct scen_ctx *ctx, const void *addr, struct scen_pos pos)
{
	if (pos.line == 0)
		return;
	if (ctx->n_pos == ctx->cap_pos) {
		ctx->cap_pos = ctx->cap_pos ? ctx->cap_pos * 2 : 256;
		ctx->pos = xreallocarray(ctx->pos, ctx->cap_pos,
		    sizeof(*ctx->pos));
	}
	ctx->pos[ctx->n_pos].addr = addr;
	ctx->pos[ctx->n_pos].pos = pos;
	ctx->n_pos++;
	ctx->pos_sorted = false;
}

static int
posent_cmp(const void *a, const void *b)
{
	const struct scen_posent *x = a, *y = b;

	if ((uintptr_t)x->addr != (uintptr_t)y->addr)
		return (uintptr_t)x->addr < (uintptr_t)y->addr ? -1 : 1;
	/* Same field recorded twice: keep the later one last. */
	return x < y ? -1 : x > y;
}

struct scen_pos
scen_pos_of(struct scen_ctx *ctx, const void *addr, struct scen_pos fallback)
{
	size_t lo = 0, hi;

	if (ctx->n_pos == 0)
		return fallback;	/* ctx->pos is NULL: no qsort(NULL) */
	if (!ctx->pos_sorted) {
		qsort(ctx->pos, ctx->n_pos, sizeof(*ctx->pos), posent_cmp);
		ctx->pos_sorted = true;
	}
	hi = ctx->n_pos;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)ctx->pos[mid].addr < (uintptr_t)addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ctx->n_pos && ctx->pos[lo].addr == addr)
		return ctx->pos[lo].pos;
	return fallback;
}

/* ---- scalar helpers -------------------------------------------------- */

/* "a list", "a mapping", or the quoted value of a scalar. */
static const char *
node_desc(const struct ytree_node *n, char *buf, size_t len)
{
	char q[YTREE_QUOTE_MAX];

	if (n->type != YTREE_SCALAR || n->null)
		return ytree_kind(n);
	snprintf(buf, len, "'%s'", ytree_quote(n->str, q, sizeof(q)));
	return buf;
}

/*
 * True if n is a non-null scalar; otherwise reports "'key' must be
 * <what>, not <n>" (nothing for a BAD node, already reported).
 */
static bool
want_scalar(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, const char *what)
{
	char d[YTREE_QUOTE_MAX + 2];

	if (n->type == YTREE_BAD)
		return false;
	if (n->type == YTREE_SCALAR && n->null) {
		scen_nerr(ctx, n, "'%s' has no value", k->name);
		return false;
	}
	if (n->type != YTREE_SCALAR) {
		scen_nerr(ctx, n, "'%s' must be %s, not %s", k->name, what,
		    node_desc(n, d, sizeof(d)));
		return false;
	}
	return true;
}

/* Parse decimal s (digits only, no leading zero) up to max. */
int
scen_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return DL_EINVAL;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return DL_EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return DL_ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void
store_int(void *dst, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)dst = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)dst = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)dst = (uint32_t)v;
		break;
	default:
		*(uint64_t *)dst = v;
		break;
	}
}

/* Check a string scalar: not empty, bounded, one line if !multi. */
static bool
check_str(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, size_t max, bool multi)
{
	size_t i;

	if (!want_scalar(ctx, k, n, "a string"))
		return false;
	if (n->len == 0) {
		scen_nerr(ctx, n, "'%s' must not be empty", k->name);
		return false;
	}
	if (n->len > max) {
		scen_nerr(ctx, n, "'%s' is too long (%zu bytes, at most "
		    "%zu)", k->name, n->len, max);
		return false;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->str[i];

		if (c == '\n' && !multi) {
			scen_nerr(ctx, n, "'%s' must be a single line",
			    k->name);
			return false;
		}
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			scen_nerr(ctx, n,
			    "'%s' contains a control character (0x%02x)",
			    k->name, c);
			return false;
		}
	}
	return true;
}

/* ---- generic decoders ------------------------------------------------ */

static int
dec_uint(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX], list[256];
	uint64_t v;
	int iv, rc;

	if (!want_scalar(ctx, k, n, "an integer"))
		return DL_EINVAL;
	if (n->plain && all_digits(n->str)) {
		rc = scen_parse_uint(n->str, UINT64_MAX, &v);
		if (rc == DL_EINVAL)
			return scen_nerr(ctx, n, "'%s' must be a decimal "
			    "integer without leading zeros, not '%s'",
			    k->name, ytree_quote(n->str, q, sizeof(q)));
		if (rc != 0 || v < (uint64_t)k->min || v > (uint64_t)k->max)
			return scen_nerr(ctx, n, "'%s' must be between "
			    "%lld and %lld, not %s", k->name,
			    (long long)k->min, (long long)k->max,
			    ytree_quote(n->str, q, sizeof(q)));
	} else if (k->en != NULL && scen_enum_lookup(k->en, n->str, &iv)) {
		v = (uint64_t)iv;
	} else if (k->en != NULL) {
		return scen_nerr(ctx, n, "invalid value '%s' for '%s'; "
		    "allowed: %lld..%lld or %s",
		    ytree_quote(n->str, q, sizeof(q)), k->name,
		    (long long)k->min, (long long)k->max,
		    scen_enum_list(k->en, ", ", list, sizeof(list)));
	} else if (!n->plain && all_digits(n->str)) {
		return scen_nerr(ctx, n, "'%s' must be an integer, not "
		    "the string \"%s\" (remove the quotes)", k->name,
		    ytree_quote(n->str, q, sizeof(q)));
	} else {
		return scen_nerr(ctx, n, "'%s' must be an integer, not "
		    "'%s'", k->name, ytree_quote(n->str, q, sizeof(q)));
	}
	store_int(dst, k->size, v);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

static int
dec_bool(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char q[YTREE_QUOTE_MAX];
	size_t i;

	if (!want_scalar(ctx, k, n, "true or false"))
		return DL_EINVAL;
	for (i = 0; n->plain && i < 3; i++) {
		if (strcmp(n->str, yes[i]) == 0 || strcmp(n->str, no[i]) == 0) {
			*(bool *)dst = strcmp(n->str, yes[i]) == 0;
			scen_pos_add(ctx, dst, scen_npos(n));
			return 0;
		}
	}
	return scen_nerr(ctx, n, "'%s' must be true or false, not '%s'",
	    k->name, ytree_quote(n->str, q, sizeof(q)));
}

static int
dec_str(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst, size_t max, bool multi)
{
	if (!check_str(ctx, k, n, max, multi))
		return DL_EINVAL;
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

/* Normalise and validate a domain name; *out owned by the caller. */
static int
name_parse(struct scen_ctx *ctx, const struct ytree_node *n, unsigned flags,
    char **out)
{
	char why[128], q[YTREE_QUOTE_MAX];
	const char *tld, *rfc;
	char *name;

	if (scen_dname_norm(n->str, n->len, flags, &name, why,
	    sizeof(why)) != 0)
		return scen_nerr(ctx, n, "invalid domain name '%s': %s",
		    ytree_quote(n->str, q, sizeof(q)), why);
	if ((tld = scen_dname_special_tld(name, &rfc)) != NULL) {
		scen_nerr(ctx, n, "special-use TLD '%.*s' cannot be used: "
		    "libunbound answers it locally (%s)",
		    (int)strlen(tld) - 1, tld, rfc);
		free(name);
		return DL_EINVAL;
	}
	*out = name;
	return 0;
}

static int
dec_name(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char *name;

	if (!want_scalar(ctx, k, n, "a domain name"))
		return DL_EINVAL;
	if (name_parse(ctx, n, k->dn_flags, &name) != 0)
		return DL_EINVAL;
	*(char **)dst = name;
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

static int
dec_enum(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX], list[256], what[300];
	int v;

	scen_enum_list(k->en, ", ", list, sizeof(list));
	snprintf(what, sizeof(what), "one of %s", list);
	if (!want_scalar(ctx, k, n, what))
		return DL_EINVAL;
	if (!scen_enum_lookup(k->en, n->str, &v))
		return scen_nerr(ctx, n, "invalid value '%s' for '%s'; "
		    "allowed: %s", ytree_quote(n->str, q, sizeof(q)), k->name,
		    list);
	store_int(dst, k->size, (uint64_t)(unsigned)v);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

static int
dec_fixture(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];

	if (!want_scalar(ctx, k, n, "a fixture id"))
		return DL_EINVAL;
	if (!pki_id_valid(n->str))
		return scen_nerr(ctx, n, "invalid fixture id '%s' "
		    "(1 to %d characters of [a-z0-9-])",
		    ytree_quote(n->str, q, sizeof(q)), PKI_ID_MAX);
	if (ctx->fixtures_dir != NULL &&
	    !pki_cert_exists(ctx->fixtures_dir, n->str))
		return scen_nerr(ctx, n, "unknown fixture certificate "
		    "'%s' (no fixtures/pki/%s.pem)", n->str, n->str);
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

static int
dec_list(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	size_t *count = (size_t *)((char *)dst - k->off + k->n_off);
	const struct scen_key *it = k->item;
	char d[YTREE_QUOTE_MAX + 2], subject[64];
	size_t i, nitems;
	char *arr;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && n->null) {
		nitems = 0;
	} else if (n->type != YTREE_SEQ) {
		return scen_nerr(ctx, n, "'%s' must be a list, not %s",
		    k->name, node_desc(n, d, sizeof(d)));
	} else {
		nitems = n->n;
	}
	scen_pos_add(ctx, dst, scen_npos(n));
	if (nitems > (size_t)k->max) {
		rc = scen_nerr(ctx, n, "'%s' has %zu items, at most %lld "
		    "allowed", k->name, nitems, (long long)k->max);
		nitems = (size_t)k->max;
	}
	if (nitems < (size_t)k->min)
		rc = scen_nerr(ctx, n, "'%s' needs at least %lld item%s",
		    k->name, (long long)k->min, k->min == 1 ? "" : "s");
	if (nitems == 0)
		return rc;
	arr = xcalloc(nitems, k->item_size);
	*(void **)dst = arr;
	*count = nitems;
	snprintf(subject, sizeof(subject), "an item of '%s'", k->name);
	for (i = 0; i < nitems; i++) {
		void *elem = arr + i * k->item_size;
		int r;

		if (it->type == SCEN_K_MAP) {
			scen_apply_defaults(ctx, it->sub, elem);
			r = scen_decode_map(ctx, it->sub, n->kids[i], elem,
			    subject);
		} else {
			r = scen_decode_value(ctx, it, n->kids[i], elem);
		}
		if (r != 0)
			rc = r;
	}
	return rc;
}

int
scen_decode_value(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char subject[64];

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	switch (k->type) {
	case SCEN_K_UINT:
		return dec_uint(ctx, k, n, dst);
	case SCEN_K_BOOL:
		return dec_bool(ctx, k, n, dst);
	case SCEN_K_STR:
		return dec_str(ctx, k, n, dst, SCEN_MAX_STRING, false);
	case SCEN_K_TEXT:
		return dec_str(ctx, k, n, dst, SCEN_MAX_TEXT, true);
	case SCEN_K_NAME:
		return dec_name(ctx, k, n, dst);
	case SCEN_K_ENUM:
		return dec_enum(ctx, k, n, dst);
	case SCEN_K_FIXTURE:
		return dec_fixture(ctx, k, n, dst);
	case SCEN_K_LIST:
		return dec_list(ctx, k, n, dst);
	case SCEN_K_MAP:
		snprintf(subject, sizeof(subject), "'%s'", k->name);
		return scen_decode_map(ctx, k->sub, n, dst, subject);
	case SCEN_K_CUSTOM:
		return k->fn(ctx, k, n, dst);
	}
	return DL_EINVAL;
}

void
scen_apply_defaults(struct scen_ctx *ctx, const struct scen_schema *sc,
    void *obj)
{
	struct ytree_node fake;
	size_t i;

	for (i = 0; i < sc->n_keys; i++) {
		const struct scen_key *k = &sc->keys[i];

		if (k->def == NULL || (k->flags & SCEN_F_DEFDOC))
			continue;
		/* Decode the default as if it had been written. */
		memset(&fake, 0, sizeof(fake));
		fake.type = YTREE_SCALAR;
		fake.str = (char *)k->def;
		fake.len = strlen(k->def);
		fake.plain = true;
		scen_decode_value(ctx, k, &fake, (char *)obj + k->off);
	}
}

static const struct scen_seen *
seen_get(const struct scen_schema *sc, const struct scen_seen *seen,
    const char *name)
{
	size_t i;

	for (i = 0; i < sc->n_keys; i++)
		if (strcmp(sc->keys[i].name, name) == 0)
			return &seen[i];
	abort();	/* a typo in this file, not an input error */
}

int
scen_decode_map(struct scen_ctx *ctx, const struct scen_schema *sc,
    const struct ytree_node *n, void *obj, const char *subject)
{
	struct scen_seen seen[SCEN_SCHEMA_MAX_KEYS];
	char d[YTREE_QUOTE_MAX + 2], q[YTREE_QUOTE_MAX];
	size_t i, j;
	bool merge = false;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && n->null)
		return scen_nerr(ctx, n, "%s has no value", subject);
	if (n->type != YTREE_MAP)
		return scen_nerr(ctx, n, "%s must be a mapping, not %s",
		    subject, node_desc(n, d, sizeof(d)));
	if (sc->n_keys > SCEN_SCHEMA_MAX_KEYS)
		abort();	/* a table in scen_schema.c outgrew seen[] */
	memset(seen, 0, sizeof(seen));
	if (sc->has_pos)
		*(struct scen_pos *)obj = scen_npos(n);
	for (i = 0; i < YTREE_MAP_NPAIRS(n); i++) {
		const struct ytree_node *key = YTREE_MAP_KEY(n, i);
		const struct ytree_node *val = YTREE_MAP_VAL(n, i);
		const struct scen_key *k = NULL;

		if (key->type != YTREE_SCALAR) {
			rc = DL_EINVAL;	/* reported by ytree.c */
			continue;
		}
		if (key->plain && strcmp(key->str, "<<") == 0) {
			/*
			 * The keys the author meant to merge in are not
			 * reported missing: one mistake, one message.
			 */
			rc = scen_nerr(ctx, key, "YAML merge keys ('<<') "
			    "are not supported; write the keys out");
			merge = true;
			continue;
		}
		for (j = 0; j < sc->n_keys; j++) {
			if (strcmp(key->str, sc->keys[j].name) == 0) {
				k = &sc->keys[j];
				break;
			}
		}
		if (k == NULL) {
			char allowed[512];
			size_t off = 0;

			allowed[0] = '\0';
			for (j = 0; j < sc->n_keys && off < sizeof(allowed);
			    j++)
				off += (size_t)snprintf(allowed + off,
				    sizeof(allowed) - off, "%s%s",
				    j ? ", " : "", sc->keys[j].name);
			rc = scen_nerr(ctx, key, "unknown key '%s' in %s; "
			    "allowed: %s", ytree_quote(key->str, q, sizeof(q)),
			    sc->name, allowed);
			continue;
		}
		seen[j].key = key;
		seen[j].val = val;
		seen[j].ok = scen_decode_value(ctx, k, val,
		    (char *)obj + k->off) == 0;
		if (!seen[j].ok)
			rc = DL_EINVAL;
	}
	for (j = 0; j < sc->n_keys; j++) {
		if ((sc->keys[j].flags & SCEN_F_REQUIRED) && !seen[j].key &&
		    !merge)
			rc = scen_nerr(ctx, n, "missing required key '%s' "
			    "in %s", sc->keys[j].name, sc->name);
	}
	if (sc->post != NULL)
		sc->post(ctx, n, obj, seen);
	return rc;
}

/*
 * Whether a file is a scenario at all: a mapping with at least one
 * scenario key.  Anything else (a private key, /etc/shadow behind a
 * symlink, under sudo) gets one message that quotes none of its text;
 * the per-key messages, which do quote, are for files that are
 * scenarios, where the quote (bounded, escaped by ytree_quote) helps.
 */
static bool
looks_like_scenario(const struct ytree_node *root)
{
	const struct scen_schema *sc = &scen_schema_top;
	size_t i, j;

	for (i = 0; i < YTREE_MAP_NPAIRS(root); i++) {
		const struct ytree_node *key = YTREE_MAP_KEY(root, i);

		if (key->type != YTREE_SCALAR)
			continue;
		for (j = 0; j < sc->n_keys; j++)
			if (strcmp(key->str, sc->keys[j].name) == 0)
				return true;
	}
	return false;
}

int
scen_decode(struct scen_ctx *ctx, const struct ytree_node *root,
    struct scenario *s)
{
	scen_apply_defaults(ctx, &scen_schema_top, s);
	if (root->type == YTREE_SCALAR && root->null)
		return scen_nerr(ctx, root, "the file has no content: a "
		    "scenario is a YAML mapping");
	if (root->type == YTREE_MAP && !looks_like_scenario(root))
		return scen_nerr(ctx, root,
		    "not a scenario: a mapping without "
		    "any scenario key (version, id, title, ...)");
	if (root->type != YTREE_MAP)
		return scen_nerr(ctx, root,
		    "not a scenario: the top level is "
		    "%s, not a mapping of scenario keys (version, id, ...)",
		    ytree_kind(root));
	return scen_decode_map(ctx, &scen_schema_top, root, s,
	    "the top level");
}

/* ---- custom decoders ------------------------------------------------- */

int
scen_dec_version(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];
	uint64_t v;

	if (!want_scalar(ctx, k, n, "an integer"))
		return DL_EINVAL;
	if (!n->plain || scen_parse_uint(n->str, UINT32_MAX, &v) != 0)
		return scen_nerr(ctx, n, "'version' must be an integer, "
		    "not '%s'", ytree_quote(n->str, q, sizeof(q)));
	if (v != SCEN_FORMAT_VERSION)
		return scen_nerr(ctx, n, "unsupported format version %s "
		    "(this danelab reads version %d)", n->str,
		    SCEN_FORMAT_VERSION);
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

int
scen_dec_id(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];
	size_t i;
	bool ok = true;

	if (!check_str(ctx, k, n, SCEN_MAX_STRING, false))
		return DL_EINVAL;
	for (i = 0; i < n->len && ok; i++) {
		char c = n->str[i];

		if (c == '/')
			ok = i > 0 && i + 1 < n->len && n->str[i - 1] != '/';
		else
			ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-';
	}
	if (!ok)
		return scen_nerr(ctx, n, "invalid id '%s': expected words "
		    "of [a-z0-9-] separated by '/'",
		    ytree_quote(n->str, q, sizeof(q)));
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

int
scen_dec_address(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX], buf[INET_ADDRSTRLEN];
	struct in_addr a;
	uint32_t h;

	if (!want_scalar(ctx, k, n, "an IPv4 address"))
		return DL_EINVAL;
	if (inet_pton(AF_INET, n->str, &a) != 1)
		return scen_nerr(ctx, n, "invalid IPv4 address '%s'",
		    ytree_quote(n->str, q, sizeof(q)));
	h = ntohl(a.s_addr);
	inet_ntop(AF_INET, &a, buf, sizeof(buf));
	if ((h >> 24) != 127)
		return scen_nerr(ctx, n, "address %s is outside "
		    "127.0.0.0/8 (the lab lives on the loopback network)", buf);
	if ((h >> 16) == (127u << 8 | 53u))
		return scen_nerr(ctx, n, "address %s is in 127.53.0.0/16, "
		    "reserved for the lab's name servers and resolver", buf);
	*(char **)dst = xstrdup(buf);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

/* True if <fixtures_dir>/dnssec/<role>-<kind>.key is readable. */
static bool
dnssec_key_exists(const char *dir, const char *role, const char *kind)
{
	char *path = xasprintf("%s/dnssec/%s-%s.key", dir, role, kind);
	bool ok = access(path, R_OK) == 0;

	free(path);
	return ok;
}

int
scen_dec_keys(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];

	if (!want_scalar(ctx, k, n, "a key role"))
		return DL_EINVAL;
	if (!pki_id_valid(n->str))
		return scen_nerr(ctx, n, "invalid key role '%s' (1 to %d "
		    "characters of [a-z0-9-])",
		    ytree_quote(n->str, q, sizeof(q)), PKI_ID_MAX);
	if (ctx->fixtures_dir != NULL &&
	    (!dnssec_key_exists(ctx->fixtures_dir, n->str, "ksk") ||
	    !dnssec_key_exists(ctx->fixtures_dir, n->str, "zsk")))
		return scen_nerr(ctx, n, "unknown DNSSEC key role '%s' "
		    "(needs fixtures/dnssec/%s-ksk.key and %s-zsk.key)",
		    n->str, n->str, n->str);
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

int
scen_dec_dnskey_id(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX], role[PKI_ID_MAX + 1];
	size_t len;

	if (!want_scalar(ctx, k, n, "a key fixture id"))
		return DL_EINVAL;
	len = strlen(n->str);
	if (!pki_id_valid(n->str) || len < 5 ||
	    (strcmp(n->str + len - 4, "-ksk") != 0 &&
	    strcmp(n->str + len - 4, "-zsk") != 0))
		return scen_nerr(ctx, n, "invalid key fixture id '%s' "
		    "(<role>-ksk or <role>-zsk, [a-z0-9-])",
		    ytree_quote(n->str, q, sizeof(q)));
	memcpy(role, n->str, len - 4);
	role[len - 4] = '\0';
	if (ctx->fixtures_dir != NULL &&
	    !dnssec_key_exists(ctx->fixtures_dir, role, n->str + len - 3))
		return scen_nerr(ctx, n, "unknown DNSSEC key '%s' (needs "
		    "fixtures/dnssec/%s.key)", n->str, n->str);
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

int
scen_dec_slug(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];

	if (!want_scalar(ctx, k, n, "a name"))
		return DL_EINVAL;
	/* Same alphabet and length as fixture ids. */
	if (!pki_id_valid(n->str))
		return scen_nerr(ctx, n, "invalid %s name '%s' (1 to %d "
		    "characters of [a-z0-9-])", k->name,
		    ytree_quote(n->str, q, sizeof(q)), PKI_ID_MAX);
	*(char **)dst = xstrdup(n->str);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

/*
 * RR type from a mnemonic or TYPEnnn.  ldns_get_rr_type_by_name() parses
 * TYPEnnn with atoi() (no range check), so that form is handled here.
 */
static uint16_t
parse_rrtype(const char *s)
{
	uint64_t v;
	size_t i;

	if (strncasecmp(s, "TYPE", 4) == 0) {
		if (scen_parse_uint(s + 4, 65535, &v) != 0)
			return 0;
		return (uint16_t)v;
	}
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (i >= 16 || !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return 0;
	}
	return (uint16_t)ldns_get_rr_type_by_name(s);
}

int
scen_dec_rrtype(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	char q[YTREE_QUOTE_MAX];
	uint16_t t;

	if (!want_scalar(ctx, k, n, "an RR type"))
		return DL_EINVAL;
	if ((t = parse_rrtype(n->str)) == 0)
		return scen_nerr(ctx, n, "unknown RR type '%s'",
		    ytree_quote(n->str, q, sizeof(q)));
	*(uint16_t *)dst = t;
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

/*
 * A signature time or period: an optional sign, a decimal number without
 * a leading zero, and a unit (m, h, d), at most SCEN_MAX_SIG_OFFSET.
 */
int
scen_dec_duration(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	static const struct { char unit; int32_t secs; } units[] = {
		{ 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char q[YTREE_QUOTE_MAX], num[16];
	const char *p;
	uint64_t v;
	size_t len, i;
	bool neg = false;

	if (!want_scalar(ctx, k, n, "a duration"))
		return DL_EINVAL;
	p = n->str;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	len = strlen(p);
	for (i = 0; len > 1 && i < sizeof(units) / sizeof(units[0]); i++)
		if (p[len - 1] == units[i].unit)
			break;
	if (!n->plain)
		return scen_nerr(ctx, n, "'%s' must be an unquoted duration "
		    "such as 23h, -1d or 90m, not '%s'", k->name,
		    ytree_quote(n->str, q, sizeof(q)));
	if (len < 2 || len - 1 >= sizeof(num) ||
	    i == sizeof(units) / sizeof(units[0]))
		return scen_nerr(ctx, n, "'%s' must be a duration such as "
		    "23h, -1d or 90m (m, h or d), not '%s'", k->name,
		    ytree_quote(n->str, q, sizeof(q)));
	memcpy(num, p, len - 1);
	num[len - 1] = '\0';
	if (scen_parse_uint(num, SCEN_MAX_SIG_OFFSET, &v) != 0 ||
	    v * (uint64_t)units[i].secs > SCEN_MAX_SIG_OFFSET)
		return scen_nerr(ctx, n, "'%s' must be a duration of at most "
		    "365d (m, h or d, no leading zero), not '%s'", k->name,
		    ytree_quote(n->str, q, sizeof(q)));
	v *= (uint64_t)units[i].secs;
	*(int32_t *)dst = neg ? -(int32_t)v : (int32_t)v;
	return 0;
}

int
scen_dec_rrtype_name(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	const ldns_rr_descriptor *desc;
	char q[YTREE_QUOTE_MAX];
	uint16_t t;

	if (!want_scalar(ctx, k, n, "an RR type"))
		return DL_EINVAL;
	if ((t = parse_rrtype(n->str)) == 0)
		return scen_nerr(ctx, n, "unknown RR type '%s'",
		    ytree_quote(n->str, q, sizeof(q)));
	/* Meta and query types never appear in a zone. */
	if (t == LDNS_RR_TYPE_OPT || (t >= 128 && t <= 255))
		return scen_nerr(ctx, n, "RR type '%s' cannot be written "
		    "in a zone", ytree_quote(n->str, q, sizeof(q)));
	desc = ldns_rr_descript(t);
	if (desc != NULL && desc->_type == t && desc->_name != NULL)
		*(char **)dst = xstrdup(desc->_name);
	else
		*(char **)dst = xasprintf("TYPE%u", t);
	scen_pos_add(ctx, dst, scen_npos(n));
	return 0;
}

int
scen_dec_owner(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	/* Resolved against the zone's name in scen_post_zone(). */
	return dec_str(ctx, k, n, dst, SCEN_DNAME_MAX + 1, false);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One TLSA field of a literal record: number or mnemonic. */
static bool
tlsa_field(const char **p, const struct scen_enum *en, uint8_t *out,
    char *tok, size_t toklen)
{
	const char *s = *p;
	size_t n = 0;
	uint64_t v;
	int iv;

	while (is_space(*s))
		s++;
	while (*s != '\0' && !is_space(*s)) {
		if (n + 1 < toklen)
			tok[n++] = *s;
		s++;
	}
	tok[n] = '\0';
	*p = s;
	if (scen_parse_uint(tok, 255, &v) == 0) {
		*out = (uint8_t)v;
		return true;
	}
	if (scen_enum_lookup(en, tok, &iv)) {
		*out = (uint8_t)iv;
		return true;
	}
	return false;
}

int
scen_dec_tlsa_record(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	static const struct {
		const char *what;
		const struct scen_enum *en;
	} fields[3] = {
		{ "usage", &scen_enum_tlsa_usage },
		{ "selector", &scen_enum_tlsa_selector },
		{ "matching type", &scen_enum_tlsa_mtype },
	};
	struct scen_tlsa *t = dst;
	uint8_t v[3], *data;
	char q[YTREE_QUOTE_MAX], tok[32], list[128];
	const char *p;
	size_t i, nd = 0, len = 0;

	if (!check_str(ctx, k, n, SCEN_MAX_STRING, false))
		return DL_EINVAL;
	p = n->str;
	for (i = 0; i < 3; i++) {
		if (!tlsa_field(&p, fields[i].en, &v[i], tok, sizeof(tok))) {
			if (tok[0] == '\0')
				return scen_nerr(ctx, n, "invalid TLSA "
				    "record '%s': expected 'usage selector "
				    "matching-type hex-data'",
				    ytree_quote(n->str, q, sizeof(q)));
			return scen_nerr(ctx, n, "invalid TLSA %s '%s' "
			    "in record; allowed: 0..255 or %s",
			    fields[i].what, ytree_quote(tok, q, sizeof(q)),
			    scen_enum_list(fields[i].en, ", ", list,
			    sizeof(list)));
		}
	}
	for (i = 0; p[i] != '\0'; i++) {
		if (is_space(p[i]))
			continue;
		if (hexval(p[i]) < 0)
			return scen_nerr(ctx, n, "invalid hex digit '%c' "
			    "in TLSA data", p[i]);
		nd++;
	}
	if (nd == 0)
		return scen_nerr(ctx, n, "TLSA record '%s' has no "
		    "association data", ytree_quote(n->str, q, sizeof(q)));
	if (nd % 2 != 0)
		return scen_nerr(ctx, n, "TLSA data has an odd number of "
		    "hex digits (%zu)", nd);
	if (nd / 2 > SCEN_MAX_TLSA_DATA)
		return scen_nerr(ctx, n, "TLSA data too long (%zu bytes, "
		    "at most %d)", nd / 2, SCEN_MAX_TLSA_DATA);
	data = xmalloc(nd / 2);
	for (i = 0; p[i] != '\0';) {
		int hi, lo;

		if (is_space(p[i])) {
			i++;
			continue;
		}
		hi = hexval(p[i++]);
		while (is_space(p[i]))
			i++;
		lo = hexval(p[i++]);
		data[len++] = (uint8_t)(hi << 4 | lo);
	}
	free(t->data);
	t->usage = v[0];
	t->selector = v[1];
	t->mtype = v[2];
	t->data = data;
	t->data_len = len;
	scen_pos_add(ctx, &t->data, scen_npos(n));
	return 0;
}

/* ---- expectations ---------------------------------------------------- */

/* At most this many actions in one list: there are no more distinct ones. */
#define SCEN_MAX_ACTIONS 4

/*
 * One action of an expectation, at n (a scalar).  host: the MX host it is
 * for (next-mx allowed, defer not), or NULL for the whole delivery.
 */
static int
dec_action(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, const char *host, enum scen_action *out)
{
	const struct scen_enum *e = host != NULL ? &scen_enum_action_host
						 : &scen_enum_action_overall;
	char q[YTREE_QUOTE_MAX], list[128];
	int v;

	if (host == NULL && strcmp(n->str, "next-mx") == 0)
		return scen_nerr(ctx, n, "'%s': next-mx applies to one MX "
		    "host; use defer for the whole delivery, or map each MX "
		    "host to an action", k->name);
	if (host != NULL && strcmp(n->str, "defer") == 0)
		return scen_nerr(ctx, n, "'%s': defer applies to the whole "
		    "delivery; for one MX host use next-mx", k->name);
	if (!scen_enum_lookup(e, n->str, &v)) {
		if (host != NULL)
			return scen_nerr(ctx, n, "invalid action '%s' for MX "
			    "host %s; allowed: %s",
			    ytree_quote(n->str, q, sizeof(q)), host,
			    scen_enum_list(e, ", ", list, sizeof(list)));
		return scen_nerr(ctx, n, "invalid value '%s' for '%s'; "
		    "allowed: %s, a list of them, or a mapping of MX host to "
		    "action", ytree_quote(n->str, q, sizeof(q)), k->name,
		    scen_enum_list(e, ", ", list, sizeof(list)));
	}
	*out = (enum scen_action)v;
	return 0;
}

/*
 * An action or a list of acceptable actions (the first the primary), at
 * n.  On success *primary and *accept are set; on error neither is.
 */
static int
dec_action_set(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, const char *host, enum scen_action *primary,
    unsigned *accept)
{
	char d[YTREE_QUOTE_MAX + 2];
	struct scen_pos first[SCEN_ACT_DEFER + 1];
	enum scen_action a, p = SCEN_ACT_UNSET;
	unsigned set = 0;
	size_t i;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && n->null)
		return host != NULL ? scen_nerr(ctx, n, "'%s': MX host %s has "
		    "no action", k->name, host)
				    : scen_nerr(ctx, n, "'%s' has no value",
		    k->name);
	if (n->type == YTREE_SCALAR) {
		if (dec_action(ctx, k, n, host, &a) != 0)
			return DL_EINVAL;
		*primary = a;
		*accept = SCEN_ACT_BIT(a);
		return 0;
	}
	if (n->type != YTREE_SEQ)
		return scen_nerr(ctx, n, "'%s' must be an action or a list of "
		    "actions%s, not %s", k->name, host != NULL ? "" :
		    ", or a mapping of MX host to action",
		    node_desc(n, d, sizeof(d)));
	if (n->n == 0)
		return scen_nerr(ctx, n, "'%s': an empty list names no "
		    "action; list every acceptable action, the primary first",
		    k->name);
	if (n->n > SCEN_MAX_ACTIONS)
		return scen_nerr(ctx, n, "'%s': a list of %zu actions, at "
		    "most %d", k->name, n->n, SCEN_MAX_ACTIONS);
	for (i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->kids[i];

		if (it->type == YTREE_BAD) {
			rc = DL_EINVAL;
			continue;
		}
		if (it->type != YTREE_SCALAR || it->null) {
			rc = scen_nerr(ctx, it, "'%s': a list item must be an "
			    "action, not %s", k->name,
			    node_desc(it, d, sizeof(d)));
			continue;
		}
		if (dec_action(ctx, k, it, host, &a) != 0) {
			rc = DL_EINVAL;
			continue;
		}
		if (set & SCEN_ACT_BIT(a)) {
			rc = scen_nerr(ctx, it, "'%s': action %s listed twice "
			    "(first at %u:%u)", k->name, scen_action_name(a),
			    first[a].line, first[a].col);
			continue;
		}
		first[a] = scen_npos(it);
		set |= SCEN_ACT_BIT(a);
		if (p == SCEN_ACT_UNSET)
			p = a;
	}
	if (rc != 0)
		return rc;
	*primary = p;
	*accept = set;
	return 0;
}

int
scen_dec_policy(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	struct scen_expect_policy *p = dst;
	size_t i, j;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && n->null)
		return scen_nerr(ctx, n, "'%s' has no value", k->name);
	if (n->type == YTREE_SCALAR || n->type == YTREE_SEQ) {
		enum scen_action a;
		unsigned acc;

		if (dec_action_set(ctx, k, n, NULL, &a, &acc) != 0)
			return DL_EINVAL;
		p->pos = scen_npos(n);
		p->set = true;
		p->overall = a;
		p->accept = acc;
		return 0;
	}
	p->pos = scen_npos(n);
	p->set = true;
	p->hosts = xcalloc(SCEN_MAX_HOSTS, sizeof(*p->hosts));
	for (i = 0; i < YTREE_MAP_NPAIRS(n); i++) {
		const struct ytree_node *key = YTREE_MAP_KEY(n, i);
		const struct ytree_node *val = YTREE_MAP_VAL(n, i);
		struct scen_host_expect *he;
		char *name;

		if (i == SCEN_MAX_HOSTS) {
			ctx->policy_incomplete = true;
			return scen_nerr(ctx, n, "'%s' lists %zu hosts, at "
			    "most %d", k->name, YTREE_MAP_NPAIRS(n),
			    SCEN_MAX_HOSTS);
		}
		if (key->type != YTREE_SCALAR || name_parse(ctx, key, 0,
		    &name) != 0) {
			ctx->policy_incomplete = true;
			rc = DL_EINVAL;
			continue;
		}
		for (j = 0; j < p->n_hosts; j++)
			if (strcmp(p->hosts[j].host, name) == 0)
				break;
		if (j < p->n_hosts) {
			rc = scen_nerr(ctx, key, "MX host %s listed twice "
			    "in '%s' (first at %u:%u)", name, k->name,
			    p->hosts[j].pos.line, p->hosts[j].pos.col);
			free(name);
			continue;
		}
		he = &p->hosts[p->n_hosts++];
		he->pos = scen_npos(key);
		he->host = name;
		if (dec_action_set(ctx, k, val, name, &he->action,
		    &he->accept) != 0)
			rc = DL_EINVAL;
	}
	return rc;
}

/* One DNSSEC state of an MX host (a scalar); reports its own errors. */
static int
dec_state(struct scen_ctx *ctx, const struct ytree_node *n, const char *host,
    enum scen_dnssec *out)
{
	char q[YTREE_QUOTE_MAX], list[128];
	int v;

	if (!scen_enum_lookup(&scen_enum_dnssec, n->str, &v))
		return scen_nerr(ctx, n, "invalid DNSSEC state '%s' for MX "
		    "host %s; allowed: %s", ytree_quote(n->str, q, sizeof(q)),
		    host, scen_enum_list(&scen_enum_dnssec, ", ", list,
		    sizeof(list)));
	*out = (enum scen_dnssec)v;
	return 0;
}

/*
 * A DNSSEC state, or a list of the states validators may find where
 * they differ (`[secure, bogus]`, the lab resolver's first): *primary
 * gets the first, *accept the SCEN_STATE_BIT set of all.
 */
static int
dec_state_set(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, const char *host, enum scen_dnssec *primary,
    unsigned *accept)
{
	char d[YTREE_QUOTE_MAX + 2];
	enum scen_dnssec v = SCEN_DNSSEC_UNSET, p = SCEN_DNSSEC_UNSET;
	unsigned set = 0;
	size_t i;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && !n->null) {
		if (dec_state(ctx, n, host, &v) != 0)
			return DL_EINVAL;
		*primary = v;
		*accept = SCEN_STATE_BIT(v);
		return 0;
	}
	if (n->type != YTREE_SEQ || n->n == 0 || n->n > SCEN_MAX_STATES)
		return scen_nerr(ctx, n, "'%s': MX host %s needs a DNSSEC "
		    "state or a list of 1 to %d states, not %s", k->name, host,
		    SCEN_MAX_STATES, node_desc(n, d, sizeof(d)));
	for (i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->kids[i];

		if (it->type != YTREE_SCALAR || it->null) {
			if (it->type != YTREE_BAD)
				scen_nerr(ctx, it, "'%s': a list item must be a "
				    "DNSSEC state, not %s", k->name,
				    node_desc(it, d, sizeof(d)));
			rc = DL_EINVAL;
			continue;
		}
		if (dec_state(ctx, it, host, &v) != 0) {
			rc = DL_EINVAL;
			continue;
		}
		if (set & SCEN_STATE_BIT(v)) {
			rc = scen_nerr(ctx, it, "'%s': state %s listed twice "
			    "for MX host %s", k->name, scen_dnssec_name(v),
			    host);
			continue;
		}
		set |= SCEN_STATE_BIT(v);
		if (p == SCEN_DNSSEC_UNSET)
			p = v;
	}
	if (rc != 0)
		return rc;
	*primary = p;
	*accept = set;
	return 0;
}

int
scen_dec_states(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	struct scen_expect *e = dst;
	bool is_addr = strcmp(k->name, "address") == 0;
	char d[YTREE_QUOTE_MAX + 2];
	size_t i, j;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type == YTREE_SCALAR && n->null)
		return scen_nerr(ctx, n, "'%s' has no value", k->name);
	if (n->type != YTREE_MAP)
		return scen_nerr(ctx, n, "'%s' must be a mapping of MX "
		    "host to DNSSEC state, not %s", k->name,
		    node_desc(n, d, sizeof(d)));
	if (is_addr)
		e->address_pos = scen_npos(n);
	else
		e->tlsa_pos = scen_npos(n);
	/* Both maps share the array: never reallocated (positions). */
	if (e->states == NULL)
		e->states = xcalloc(2 * SCEN_MAX_HOSTS, sizeof(*e->states));
	for (i = 0; i < YTREE_MAP_NPAIRS(n); i++) {
		const struct ytree_node *key = YTREE_MAP_KEY(n, i);
		const struct ytree_node *val = YTREE_MAP_VAL(n, i);
		struct scen_host_state *st;
		enum scen_dnssec *field;
		char *name;

		if (i == SCEN_MAX_HOSTS) {
			ctx->states_incomplete = true;
			return scen_nerr(ctx, n, "'%s' lists %zu hosts, at "
			    "most %d", k->name, YTREE_MAP_NPAIRS(n),
			    SCEN_MAX_HOSTS);
		}
		if (key->type != YTREE_SCALAR || name_parse(ctx, key, 0,
		    &name) != 0) {
			ctx->states_incomplete = true;
			rc = DL_EINVAL;
			continue;
		}
		for (j = 0; j < e->n_states; j++)
			if (strcmp(e->states[j].host, name) == 0)
				break;
		if (j == e->n_states) {
			st = &e->states[e->n_states++];
			st->pos = scen_npos(key);
			st->host = name;
		} else {
			st = &e->states[j];
			free(name);
		}
		field = is_addr ? &st->address : &st->tlsa;
		if (scen_pos_of(ctx, field, (struct scen_pos){ 0, 0 }).line) {
			rc = scen_nerr(ctx, key, "MX host %s listed twice "
			    "in '%s'", st->host, k->name);
			continue;
		}
		scen_pos_add(ctx, field, scen_npos(key));
		if (dec_state_set(ctx, k, val, st->host, field,
		    is_addr ? &st->address_accept : &st->tlsa_accept) != 0)
			rc = DL_EINVAL;
	}
	return rc;
}

static void check_chain_leaf(struct scen_ctx *ctx, char **chain, size_t n);

/*
 * `sni:` of an MX host: a mapping of SNI name to chain (RFC 6066 3), each
 * chain decoded like `chain`, each name once.
 */
int
scen_dec_sni(struct scen_ctx *ctx, const struct scen_key *k,
    const struct ytree_node *n, void *dst)
{
	struct scen_host *h = dst;
	char d[YTREE_QUOTE_MAX + 2];
	size_t i, j, npairs;
	int rc = 0;

	if (n->type == YTREE_BAD)
		return DL_EINVAL;
	if (n->type != YTREE_MAP)
		return scen_nerr(ctx, n, "'%s' must be a mapping of SNI name "
		    "to chain, not %s", k->name, node_desc(n, d, sizeof(d)));
	npairs = YTREE_MAP_NPAIRS(n);
	if (npairs == 0)
		return scen_nerr(ctx, n, "'%s' needs at least one SNI name "
		    "(leave it out for one chain)", k->name);
	if (npairs > SCEN_MAX_SNI) {
		rc = scen_nerr(ctx, n, "'%s' has %zu SNI names, at most %d",
		    k->name, npairs, SCEN_MAX_SNI);
		npairs = SCEN_MAX_SNI;
	}
	h->sni = xcalloc(npairs, sizeof(*h->sni));
	for (i = 0; i < npairs; i++) {
		const struct ytree_node *key = YTREE_MAP_KEY(n, i);
		struct scen_sni *e = &h->sni[h->n_sni];
		char *name;

		if (key->type != YTREE_SCALAR || name_parse(ctx, key, 0,
		    &name) != 0) {
			rc = DL_EINVAL;
			continue;
		}
		for (j = 0; j < h->n_sni; j++)
			if (strcmp(h->sni[j].name, name) == 0)
				break;
		if (j < h->n_sni) {
			rc = scen_nerr(ctx, key, "SNI name %s listed twice "
			    "in '%s'", name, k->name);
			free(name);
			continue;
		}
		e->pos = scen_npos(key);
		e->name = name;
		h->n_sni++;
		if (scen_decode_value(ctx, &scen_key_sni_chain,
		    YTREE_MAP_VAL(n, i), &e->chain) != 0)
			rc = DL_EINVAL;
		else
			check_chain_leaf(ctx, e->chain, e->n_chain);
	}
	return rc;
}

/* ---- post hooks: rules across the keys of one mapping ------------------ */

extern const struct scen_schema scen_schema_zone, scen_schema_host,
    scen_schema_tlsa, scen_schema_record, scen_schema_fault, scen_schema_phase_host,
    scen_schema_expect;

void
scen_post_top(struct scen_ctx *ctx, const struct ytree_node *map, void *obj,
    const struct scen_seen *seen)
{
	const struct scen_schema *sc = &scen_schema_top;
	const struct scen_seen *x;
	struct scenario *s = obj;

	if ((x = seen_get(sc, seen, "id"))->val != NULL)
		s->id_pos = scen_npos(x->val);
	/* mx is required: absent or broken, references cannot be checked. */
	x = seen_get(sc, seen, "mx");
	if (x->val == NULL || x->val->type != YTREE_SEQ ||
	    x->val->n > SCEN_MAX_HOSTS)
		ctx->hosts_incomplete = true;
	x = seen_get(sc, seen, "zones");
	if (x->val != NULL && (x->val->type != YTREE_SEQ ||
	    x->val->n > SCEN_MAX_ZONES))
		ctx->zones_incomplete = true;
	x = seen_get(sc, seen, "domain");
	if (x->key != NULL && s->domain == NULL)
		ctx->domain_bad = true;
}

/*
 * Resolve a record's owner against its zone: "@" is the apex, a name at
 * or below the zone (or ending with a dot) is absolute, anything else is
 * relative to the zone.  Then make sure ldns can parse the record.
 */
static void
post_record(struct scen_ctx *ctx, const struct scen_zone *z,
    struct scen_record *r)
{
	struct scen_pos opos = scen_pos_of(ctx, &r->owner, r->pos);
	char why[128], q[YTREE_QUOTE_MAX], q2[YTREE_QUOTE_MAX], *raw, *abs,
	    *text;
	const unsigned fl = SCEN_DN_UNDERSCORE | SCEN_DN_WILDCARD |
	    SCEN_DN_ROOT_OK;
	ldns_status st;
	ldns_rr *rr;

	raw = r->owner;
	r->owner = NULL;
	if (raw == NULL || z->name == NULL) {
		free(raw);
		return;
	}
	if (strcmp(raw, "@") == 0) {
		abs = xstrdup(z->name);
	} else if (scen_dname_norm(raw, strlen(raw), fl, &abs, why,
	    sizeof(why)) != 0) {
		scen_err(ctx, opos, "invalid owner name '%s': %s",
		    ytree_quote(raw, q, sizeof(q)), why);
		free(raw);
		return;
	} else if (raw[strlen(raw) - 1] != '.' &&
	    !scen_dname_under(abs, z->name)) {
		char *joined = xasprintf("%s.%s", raw,
		    strcmp(z->name, ".") == 0 ? "" : z->name);

		free(abs);
		if (scen_dname_norm(joined, strlen(joined), fl, &abs, why,
		    sizeof(why)) != 0) {
			scen_err(ctx, opos, "invalid owner name '%s' in zone "
			    "%s: %s", ytree_quote(raw, q, sizeof(q)), z->name,
			    why);
			free(joined);
			free(raw);
			return;
		}
		free(joined);
	}
	free(raw);
	if (!scen_dname_under(abs, z->name)) {
		scen_err(ctx, opos, "record owner %s is not in zone %s", abs,
		    z->name);
		free(abs);
		return;
	}
	r->owner = abs;
	if (r->type == NULL || r->rdata == NULL)
		return;
	text = xasprintf("%s %u IN %s %s", abs, r->ttl ? r->ttl : 3600,
	    r->type, r->rdata);
	rr = NULL;
	st = ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	if (st != LDNS_STATUS_OK)
		scen_err(ctx, scen_pos_of(ctx, &r->rdata, r->pos),
		    "record data '%s' does not parse as %s: %s",
		    ytree_quote(r->rdata, q, sizeof(q)),
		    ytree_quote(r->type, q2, sizeof(q2)),
		    ldns_get_errorstr_by_id(st));
	ldns_rr_free(rr);
	free(text);
}

/*
 * zones[].dnskeys: instead of keys, in a signed zone, each key once,
 * and at least one key that signs (a zone whose RRSIGs all come from
 * nowhere is written with a signatures fault).
 */
static void
post_zone_dnskeys(struct scen_ctx *ctx, const struct scen_zone *z,
    const struct scen_seen *seen)
{
	const struct scen_seen *x = seen_get(&scen_schema_zone, seen, "dnskeys");
	size_t i, j, signers = 0;

	if (x->key == NULL)
		return;
	if (seen_get(&scen_schema_zone, seen, "keys")->key != NULL) {
		scen_nerr(ctx, x->key, "'dnskeys' and 'keys' exclude each "
		    "other: list the keys' fixture ids in 'dnskeys'");
		return;
	}
	if (!z->is_signed) {
		scen_nerr(ctx, x->key, "'dnskeys' needs a signed zone");
		return;
	}
	for (i = 0; i < z->n_dnskeys; i++) {
		const struct scen_dnskey *d = &z->dnskeys[i];

		if (d->key == NULL)
			continue;
		if (d->signs)
			signers++;
		for (j = 0; j < i; j++) {
			if (z->dnskeys[j].key != NULL &&
			    strcmp(z->dnskeys[j].key, d->key) == 0) {
				scen_err(ctx, d->pos,
				    "key '%s' is listed twice in 'dnskeys'",
				    d->key);
				break;
			}
		}
	}
	if (z->n_dnskeys > 0 && signers == 0)
		scen_nerr(ctx, x->key, "no key in 'dnskeys' signs: give one "
		    "'signs: true' (unsigned RRsets are a signatures fault)");
}

void
scen_post_zone(struct scen_ctx *ctx, const struct ytree_node *map, void *obj,
    const struct scen_seen *seen)
{
	struct scen_zone *z = obj;
	size_t i;

	if (z->name == NULL)
		ctx->zones_incomplete = true;
	for (i = 0; i < z->n_records; i++)
		post_record(ctx, z, &z->records[i]);
	/* NSEC3 parameters need NSEC3 (in a signed zone). */
	for (i = 0; i < 2; i++) {
		static const char *const keys[] = {
			"nsec3-iterations", "nsec3-opt-out"
		};
		const struct scen_seen *x =
		    seen_get(&scen_schema_zone, seen, keys[i]);

		if (x->key != NULL && (z->denial != SCEN_DENIAL_NSEC3 ||
		    !z->is_signed))
			scen_nerr(ctx, x->key, "'%s' needs a signed zone with "
			    "'denial: nsec3'", keys[i]);
	}
	post_zone_dnskeys(ctx, z, seen);
}

/* The leaf of a chain is presented by the server: its key must exist. */
static void
check_chain_leaf(struct scen_ctx *ctx, char **chain, size_t n)
{
	if (n == 0 || chain[0] == NULL || ctx->fixtures_dir == NULL)
		return;
	if (!pki_key_exists(ctx->fixtures_dir, chain[0]))
		scen_err(ctx, scen_pos_of(ctx, &chain[0], (struct scen_pos){
		    0, 0 }), "chain leaf '%s' has no private key (no "
		    "fixtures/pki/%s.key)", chain[0], chain[0]);
}

void
scen_post_host(struct scen_ctx *ctx, const struct ytree_node *map, void *obj,
    const struct scen_seen *seen)
{
	struct scen_host *h = obj;
	size_t i, j;

	if (h->name == NULL)
		ctx->hosts_incomplete = true;
	check_chain_leaf(ctx, h->chain, h->n_chain);
	for (i = 1; i < h->n_addrs; i++) {
		for (j = 0; j < i; j++) {
			if (h->addrs[i] != NULL && h->addrs[j] != NULL &&
			    strcmp(h->addrs[i], h->addrs[j]) == 0) {
				scen_err(ctx, scen_pos_of(ctx, &h->addrs[i],
				    h->pos), "address %s listed twice",
				    h->addrs[i]);
				break;
			}
		}
	}
	if (h->cname != NULL && h->name != NULL &&
	    strcmp(h->cname, h->name) == 0)
		scen_err(ctx, scen_pos_of(ctx, &h->cname, h->pos),
		    "host %s cannot be a CNAME to itself", h->name);
	if ((h->tls_min != SCEN_TLS_DEFAULT ? h->tls_min : SCEN_TLS_1_2) >
	    (h->tls_max != SCEN_TLS_DEFAULT ? h->tls_max : SCEN_TLS_1_3)) {
		const struct ytree_node *k = seen_get(&scen_schema_host, seen,
		    h->tls_max != SCEN_TLS_DEFAULT ? "tls-max" :
		    "tls-min")->key;

		scen_err(ctx, k != NULL ? scen_npos(k) : h->pos,
		    "host %s: tls-min is above tls-max (the default "
		    "tls-min is 1.2, tls-max 1.3)", h->name ? h->name : "?");
	}
}

static void tlsa_check_values(struct scen_ctx *ctx,
    const struct scen_tlsa *t, bool from_cert);

void
scen_post_tlsa(struct scen_ctx *ctx, const struct ytree_node *map, void *obj,
    const struct scen_seen *seen)
{
	static const char *const fields[] = { "usage", "selector",
		"matching" };
	const struct scen_schema *sc = &scen_schema_tlsa;
	const struct scen_seen *cert = seen_get(sc, seen, "cert");
	const struct scen_seen *rec = seen_get(sc, seen, "record");
	const struct scen_seen *un = seen_get(sc, seen, "unusable");
	const struct scen_seen *len = seen_get(sc, seen, "length");
	struct scen_tlsa *t = obj;
	bool fields_ok = true;
	size_t i;

	if (cert->key != NULL && rec->key != NULL) {
		scen_nerr(ctx, rec->key, "'record' and 'cert' cannot be "
		    "combined");
		return;
	}
	if (cert->key == NULL && rec->key == NULL) {
		scen_nerr(ctx, map, "a TLSA item needs 'cert' (with "
		    "usage, selector, matching) or a literal 'record'");
		return;
	}
	for (i = 0; i < 3; i++) {
		const struct scen_seen *f = seen_get(sc, seen, fields[i]);

		if (rec->key != NULL && f->key != NULL) {
			scen_nerr(ctx, f->key, "'%s' cannot be combined "
			    "with 'record' (the record has its own)",
			    fields[i]);
			fields_ok = false;
		} else if (cert->key != NULL && f->key == NULL) {
			scen_nerr(ctx, map, "a TLSA item with 'cert' "
			    "needs '%s'", fields[i]);
			fields_ok = false;
		} else if (f->key != NULL && !f->ok) {
			fields_ok = false;
		}
	}
	if (!fields_ok || (rec->key != NULL && !rec->ok))
		return;
	/* "unusable: yes" was reported: do not warn as if it were false. */
	if (un->key != NULL && !un->ok)
		return;
	if (len->key != NULL && cert->key == NULL) {
		scen_nerr(ctx, len->key, "'length' needs 'cert' (it damages "
		    "a computed digest)");
		return;
	}
	tlsa_check_values(ctx, t, cert->key != NULL);
}

/*
 * The checks of a TLSA record's values shared by `mx[].tlsa[]` and a
 * zone's TLSA records computed from `cert`: what can be computed is an
 * error, what a client cannot use is a warning unless marked unusable.
 */
static void
tlsa_check_values(struct scen_ctx *ctx, const struct scen_tlsa *t,
    bool from_cert)
{
	const char *why = "; add 'unusable: true' if that is intended";
	size_t want;

	if (from_cert && t->selector > 1)
		scen_err(ctx, scen_pos_of(ctx, &t->selector, t->pos),
		    "selector %u cannot be computed from a certificate "
		    "(0 CERT or 1 SPKI)", t->selector);
	if (from_cert && t->mtype > 2)
		scen_err(ctx, scen_pos_of(ctx, &t->mtype, t->pos),
		    "matching type %u cannot be computed from a certificate "
		    "(0 FULL, 1 SHA2-256, 2 SHA2-512)", t->mtype);
	if (t->length != 0 && (t->mtype < 1 || t->mtype > 2)) {
		scen_err(ctx, scen_pos_of(ctx, &t->length, t->pos),
		    "'length' applies to a digest (matching 1 or 2), not to "
		    "matching type %u", t->mtype);
		return;
	}
	if (t->unusable || (from_cert && (t->selector > 1 || t->mtype > 2)))
		return;
	/* Records a client must ignore (RFC 7672 3.1.3, RFC 6698 2.1). */
	if (t->usage <= 1)
		scen_warn(ctx, t->pos, "TLSA usage %u (%s) is not usable for "
		    "SMTP: clients treat the record as unusable (RFC 7672 "
		    "3.1.3)%s", t->usage, scen_tlsa_usage_name(t->usage), why);
	else if (t->usage > 3)
		scen_warn(ctx, t->pos, "unknown TLSA usage %u: clients treat "
		    "the record as unusable%s", t->usage, why);
	if (t->selector > 1)
		scen_warn(ctx, t->pos, "unknown TLSA selector %u: clients "
		    "treat the record as unusable%s", t->selector, why);
	if (t->mtype > 2)
		scen_warn(ctx, t->pos, "unknown TLSA matching type %u: "
		    "clients treat the record as unusable%s", t->mtype, why);
	want = t->mtype == 1 ? 32 : 64;
	if ((t->mtype == 1 || t->mtype == 2) && ((t->data != NULL &&
	    t->data_len != want) || (t->length != 0 && t->length != want)))
		scen_warn(ctx, t->pos, "TLSA data is %zu bytes, a %s digest "
		    "is %zu: the record can never match%s",
		    t->data != NULL ? t->data_len : (size_t)t->length,
		    t->mtype == 1 ? "SHA2-256" : "SHA2-512", want, why);
}

/*
 * A zone's extra record: `data`, or for type TLSA `cert` with usage,
 * selector and matching (and optionally length, unusable), never both.
 */
void
scen_post_record(struct scen_ctx *ctx, const struct ytree_node *map,
    void *obj, const struct scen_seen *seen)
{
	static const char *const fields[] = { "usage", "selector",
		"matching", "length", "unusable" };
	const struct scen_schema *sc = &scen_schema_record;
	const struct scen_seen *cert = seen_get(sc, seen, "cert");
	const struct scen_seen *data = seen_get(sc, seen, "data");
	const struct scen_seen *type = seen_get(sc, seen, "type");
	struct scen_record *r = obj;
	bool ok = true;
	size_t i;

	r->tlsa.pos = r->pos;
	if (cert->key != NULL && data->key != NULL) {
		scen_nerr(ctx, cert->key, "'data' and 'cert' cannot be "
		    "combined: 'cert' computes the TLSA data");
		return;
	}
	if (cert->key == NULL) {
		if (data->key == NULL)
			scen_nerr(ctx, map, "a record needs 'data' (or, for "
			    "type TLSA, 'cert' with usage, selector, "
			    "matching)");
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			const struct scen_seen *f = seen_get(sc, seen,
			    fields[i]);

			if (f->key != NULL)
				scen_nerr(ctx, f->key, "'%s' needs 'cert' (a "
				    "TLSA record computed from a fixture); "
				    "with 'data' the record has its own",
				    fields[i]);
		}
		return;
	}
	if (r->type != NULL && strcasecmp(r->type, "TLSA") != 0) {
		scen_nerr(ctx, type->val, "'cert' computes TLSA data: the "
		    "record's type must be TLSA, not %s", r->type);
		return;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct scen_seen *f = seen_get(sc, seen, fields[i]);

		if (i < 3 && f->key == NULL) {
			scen_nerr(ctx, map, "a TLSA record with 'cert' needs "
			    "'%s'", fields[i]);
			ok = false;
		} else if (f->key != NULL && !f->ok) {
			ok = false;
		}
	}
	if (ok && cert->ok)
		tlsa_check_values(ctx, &r->tlsa, true);
}

static const char *const timing_keys[] = {
	"inception", "expiration", "lifetime"
};

/* "+3h", "-14d": an offset for messages. */
static const char *
fmt_offset(int32_t v, char *buf, size_t len)
{
	int32_t a = v < 0 ? -v : v;

	if (a % 86400 == 0)
		snprintf(buf, len, "%s%dd", v < 0 ? "-" : "+", (int)(a / 86400));
	else if (a % 3600 == 0)
		snprintf(buf, len, "%s%dh", v < 0 ? "-" : "+", (int)(a / 3600));
	else
		snprintf(buf, len, "%s%dm", v < 0 ? "-" : "+", (int)(a / 60));
	return buf;
}

/*
 * Resolve the validity period of a signatures fault from what was
 * written: any two of inception, expiration and lifetime, the rest from
 * the state's defaults; then check that the period says what the state
 * does (an expired signature's expiration lies in the past...).
 */
static void
fault_timing(struct scen_ctx *ctx, const struct ytree_node *map,
    struct scen_fault *f, const struct scen_seen *seen)
{
	const struct scen_schema *sc = &scen_schema_fault;
	const struct scen_seen *xi = seen_get(sc, seen, "inception");
	const struct scen_seen *xe = seen_get(sc, seen, "expiration");
	const struct scen_seen *xl = seen_get(sc, seen, "lifetime");
	const struct ytree_node *at;
	int64_t inc, exp, life;
	char b1[24], b2[24];
	bool timable = f->sig == SCEN_SIG_VALID ||
	    f->sig == SCEN_SIG_EXPIRED || f->sig == SCEN_SIG_NOT_YET_VALID;
	size_t i;

	if (xi->key == NULL && xe->key == NULL && xl->key == NULL) {
		if (f->sig == SCEN_SIG_VALID &&
		    seen_get(sc, seen, "key")->key == NULL)
			scen_nerr(ctx, map, "a 'signatures: valid' fault needs "
			    "'inception', 'expiration', 'lifetime' or 'key' "
			    "(valid signatures with the default timing by the "
			    "zone's keys are no fault)");
		return;
	}
	if (!timable) {
		for (i = 0; i < 3; i++) {
			const struct scen_seen *x =
			    seen_get(sc, seen, timing_keys[i]);

			if (x->key != NULL)
				scen_nerr(ctx, x->key, "'%s' does not apply to "
				    "'signatures: %s' (only valid, expired, "
				    "not-yet-valid)", timing_keys[i],
				    scen_sig_name(f->sig));
		}
		return;
	}
	if (!(xi->key == NULL || xi->ok) || !(xe->key == NULL || xe->ok) ||
	    !(xl->key == NULL || xl->ok))
		return;		/* already reported */
	if (xi->key != NULL && xe->key != NULL && xl->key != NULL) {
		scen_nerr(ctx, xl->key, "give at most two of 'inception', "
		    "'expiration' and 'lifetime' (the third follows)");
		return;
	}
	if (xl->key != NULL && f->t_lifetime <= 0) {
		scen_nerr(ctx, xl->val, "'lifetime' must be positive");
		return;
	}
	life = xl->key != NULL ? f->t_lifetime : SCEN_SIG_LIFETIME;
	if (xi->key != NULL && xe->key != NULL) {
		inc = f->t_inception;
		exp = f->t_expiration;
	} else if (xi->key != NULL) {
		inc = f->t_inception;
		exp = inc + life;
	} else if (xe->key != NULL) {
		exp = f->t_expiration;
		inc = exp - life;
	} else if (f->sig == SCEN_SIG_EXPIRED) {
		exp = -SCEN_SIG_BAD_OFFSET;
		inc = exp - life;
	} else if (f->sig == SCEN_SIG_NOT_YET_VALID) {
		inc = SCEN_SIG_BAD_OFFSET;
		exp = inc + life;
	} else {
		inc = -SCEN_SIG_INCEPTION_AGO;
		exp = inc + life;
	}
	at = xe->key != NULL ? xe->val : xi->key != NULL ? xi->val : xl->val;
	if (exp <= inc) {
		scen_nerr(ctx, at, "the signature's expiration (%s) must come "
		    "after its inception (%s)",
		    fmt_offset((int32_t)exp, b1, sizeof(b1)),
		    fmt_offset((int32_t)inc, b2, sizeof(b2)));
		return;
	}
	if (inc < -2 * (int64_t)SCEN_MAX_SIG_OFFSET ||
	    exp > 2 * (int64_t)SCEN_MAX_SIG_OFFSET) {
		scen_nerr(ctx, at, "the validity period must lie within 730 "
		    "days of now");
		return;
	}
	if (f->sig == SCEN_SIG_EXPIRED && exp >= 0)
		scen_nerr(ctx, at, "an expired signature's expiration must lie "
		    "in the past, not at now%s",
		    fmt_offset((int32_t)exp, b1, sizeof(b1)));
	else if (f->sig == SCEN_SIG_NOT_YET_VALID && inc <= 0)
		scen_nerr(ctx, at, "a not-yet-valid signature's inception must "
		    "lie in the future, not at now%s",
		    fmt_offset((int32_t)inc, b1, sizeof(b1)));
	else if (f->sig == SCEN_SIG_VALID && (inc > 0 || exp <= 0))
		scen_nerr(ctx, at, "a valid signature's period must contain "
		    "now, not run from now%s to now%s",
		    fmt_offset((int32_t)inc, b1, sizeof(b1)),
		    fmt_offset((int32_t)exp, b2, sizeof(b2)));
	f->timed = true;
	f->sig_inception = (int32_t)inc;
	f->sig_expiration = (int32_t)exp;
}

/*
 * A fault's key: one RRset of a signatures fault re-signed by another
 * key; only while the signatures stay well formed (not missing or
 * corrupted, which have no signer).
 */
static void
fault_key(struct scen_ctx *ctx, const struct scen_fault *f,
    const struct scen_seen *seen)
{
	const struct scen_seen *x = seen_get(&scen_schema_fault, seen, "key");

	if (x->key == NULL)
		return;
	if (f->kind != SCEN_FAULT_SIGNATURES)
		scen_nerr(ctx, x->key, "'key' applies only to a signatures "
		    "fault");
	else if (seen_get(&scen_schema_fault, seen, "name")->key == NULL)
		scen_nerr(ctx, x->key, "'key' needs 'name' and 'type' (one "
		    "RRset; a whole zone's keys are its 'dnskeys')");
	else if (f->sig == SCEN_SIG_MISSING || f->sig == SCEN_SIG_CORRUPTED)
		scen_nerr(ctx, x->key, "'key' does not apply to "
		    "'signatures: %s' (only valid, expired, not-yet-valid)",
		    scen_sig_name(f->sig));
}

void
scen_post_fault(struct scen_ctx *ctx, const struct ytree_node *map, void *obj,
    const struct scen_seen *seen)
{
	/* Per kind: the keys that apply, the first one required. */
	static const struct {
		const char *kind;
		enum scen_fault_kind k;
		const char *keys[3];
	} kinds[] = {
		{ "ds", SCEN_FAULT_DS, { "zone" } },
		{ "signatures", SCEN_FAULT_SIGNATURES,
		  { "zone", "name", "type" } },
		{ "dns", SCEN_FAULT_DNS, { "name", "type" } },
		{ "starttls", SCEN_FAULT_STARTTLS, { "host" } },
	};
	static const char *const args[] = { "zone", "name", "type", "host" };
	const struct scen_schema *sc = &scen_schema_fault;
	struct scen_fault *f = obj;
	const struct scen_seen *x, *first = NULL;
	size_t i, j, kind = 0;

	for (i = 0; i < 4; i++) {
		x = seen_get(sc, seen, kinds[i].kind);
		if (x->key == NULL)
			continue;
		if (first != NULL) {
			scen_nerr(ctx, x->key, "a fault has one kind: "
			    "'%s' cannot be combined with '%s'", kinds[i].kind,
			    first->key->str);
			continue;
		}
		first = x;
		kind = i;
	}
	if (first == NULL) {
		scen_nerr(ctx, map, "a fault needs one of 'ds', "
		    "'signatures', 'dns' or 'starttls'");
		return;
	}
	f->kind = kinds[kind].k;
	for (i = 0; i < 4; i++) {
		bool applies = false;

		x = seen_get(sc, seen, args[i]);
		for (j = 0; j < 3 && kinds[kind].keys[j] != NULL; j++)
			if (strcmp(kinds[kind].keys[j], args[i]) == 0)
				applies = true;
		if (x->key != NULL && !applies)
			scen_nerr(ctx, x->key, "'%s' does not apply to a "
			    "%s fault", args[i], kinds[kind].kind);
	}
	x = seen_get(sc, seen, kinds[kind].keys[0]);
	if (x->key == NULL)
		scen_nerr(ctx, map, "a %s fault needs '%s'",
		    kinds[kind].kind, kinds[kind].keys[0]);
	if (f->kind == SCEN_FAULT_SIGNATURES) {
		const struct scen_seen *nm = seen_get(sc, seen, "name");
		const struct scen_seen *ty = seen_get(sc, seen, "type");

		if (nm->key != NULL && ty->key == NULL)
			scen_nerr(ctx, nm->key, "'name' needs 'type' (a "
			    "signatures fault on one RRset names both)");
		else if (ty->key != NULL && nm->key == NULL)
			scen_nerr(ctx, ty->key, "'type' needs 'name' (a "
			    "signatures fault on one RRset names both)");
	}
	fault_key(ctx, f, seen);
	if (f->kind == SCEN_FAULT_SIGNATURES)
		fault_timing(ctx, map, f, seen);
	else
		for (i = 0; i < 3; i++)
			if ((x = seen_get(sc, seen, timing_keys[i]))->key)
				scen_nerr(ctx, x->key, "'%s' does not apply to "
				    "a %s fault", timing_keys[i],
				    kinds[kind].kind);
	if (f->kind == SCEN_FAULT_DNS && f->dns == SCEN_DNS_LAME &&
	    (x = seen_get(sc, seen, "type"))->key != NULL)
		scen_nerr(ctx, x->key, "'type' does not apply to a lame "
		    "fault (the server does not answer for the zone at all)");
}

void
scen_post_phase_host(struct scen_ctx *ctx, const struct ytree_node *map,
    void *obj, const struct scen_seen *seen)
{
	struct scen_phase_host *ph = obj;

	ph->set_tlsa = seen_get(&scen_schema_phase_host, seen,
	    "tlsa")->key != NULL;
	check_chain_leaf(ctx, ph->chain, ph->n_chain);
}

void
scen_post_expect(struct scen_ctx *ctx, const struct ytree_node *map,
    void *obj, const struct scen_seen *seen)
{
	struct scen_expect *e = obj;
	const struct scen_seen *x = seen_get(&scen_schema_expect, seen, "mx");

	if (x->val != NULL && x->ok)
		e->mx_pos = scen_npos(x->val);
}
