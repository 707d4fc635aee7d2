/*
 * profile_load.c -- client profile files (YAML, version 1) to struct
 * client_profile, and profile_find.
 *
 * Owns: reading the file (bounded), the bounds of its YAML node tree
 * (built by simulator/util/ytree.c: positions kept, aliases and duplicate
 * keys refused, depth and node count bounded), decoding each key by type
 * with a file:line:col diagnostic for every problem (decoding goes on
 * after an error so that one run reports them all), regex compilation,
 * template checks, and loading the .deviations file next to the
 * profile.  Does not own: rendering (profile_render.c), claims
 * (profile_claims.c), the deviations format (profile_dev.c).
 */
#include "harness/clients/profile_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "danelab_config.h"
#include "harness/paths.h"

#include "simulator/util/file.h"
#include "simulator/util/xmem.h"
#include "simulator/util/ytree.h"

#define PROFILE_MAX_DEPTH 8
#define PROFILE_MAX_NODES 4096
#define PROFILE_MAX_PATTERN 1024
#define PROFILE_MAX_NAME 64

/* ---- node tree (simulator/util/ytree.c) ---------------------------- */

/* What a profile may make the YAML parser allocate. */
static const struct ytree_limits profile_ytree_limits = {
	.max_file = PROFILE_MAX_FILE,
	.max_nodes = PROFILE_MAX_NODES,
	.max_depth = PROFILE_MAX_DEPTH,
	.max_scalar = PROFILE_MAX_FILE,
};

struct pctx {
	const char *file;
	struct dl_diags *diags;
	size_t errors;
};

static int
perr(struct pctx *c, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
perr(struct pctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	va_start(ap, fmt);
	dl_diag_vadd(c->diags, DL_DIAG_ERROR, c->file, line, col, fmt, ap);
	va_end(ap);
	return DL_EINVAL;
}

/* perr at the position of node n. */
#define nerr(c, n, ...) \
	perr((c), (n)->pos.line, (n)->pos.col, __VA_ARGS__)

/* ---- decoding helpers -------------------------------------------------- */

/* A non-null scalar, or an error "'key' must be WHAT, not ...". */
static bool
want_scalar(struct pctx *c, const char *key, const struct ytree_node *n,
    const char *what)
{
	if (n->type == YTREE_BAD)
		return false;
	if (n->type == YTREE_SCALAR && n->null) {
		nerr(c, n, "'%s' has no value", key);
		return false;
	}
	if (n->type != YTREE_SCALAR) {
		nerr(c, n, "'%s' must be %s, not %s", key, what,
		    ytree_kind(n));
		return false;
	}
	return true;
}

static bool
want_type(struct pctx *c, const char *key, const struct ytree_node *n,
    enum ytree_type t)
{
	if (n->type == YTREE_BAD)
		return false;
	if (n->type != t) {
		nerr(c, n, "'%s' must be %s, not %s", key,
		    t == YTREE_SEQ ? "a list" : "a mapping", ytree_kind(n));
		return false;
	}
	return true;
}

/* An item of a list of mappings ("each item of 'claims' ..."). */
static bool
want_item_map(struct pctx *c, const char *list, const struct ytree_node *n)
{
	if (n->type == YTREE_BAD)
		return false;
	if (n->type != YTREE_MAP) {
		nerr(c, n,
		    "each item of '%s' must be a mapping, not %s", list,
		    ytree_kind(n));
		return false;
	}
	return true;
}

/* A template string: a scalar whose variables all exist. */
static char *
get_template(struct pctx *c, const char *key, const struct ytree_node *n)
{
	char why[256];

	if (!want_scalar(c, key, n, "a string"))
		return NULL;
	if (profile_template_check(n->str, why, sizeof(why)) != 0) {
		nerr(c, n, "'%s': %s", key, why);
		return NULL;
	}
	return xstrdup(n->str);
}

static bool
get_uint(struct pctx *c, const char *key, const struct ytree_node *n,
    unsigned min, unsigned max, unsigned *out)
{
	const char *s;
	unsigned long v = 0;
	size_t i;

	if (!want_scalar(c, key, n, "a number"))
		return false;
	s = n->str;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || !n->plain || i > 6)
			goto bad;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v < min || v > max)
		goto bad;
	*out = (unsigned)v;
	return true;
bad:
	nerr(c, n,
	    "'%s' must be a number from %u to %u, not '%s'", key, min, max, s);
	return false;
}

static bool
get_bool(struct pctx *c, const char *key, const struct ytree_node *n, bool *out)
{
	if (!want_scalar(c, key, n, "true or false"))
		return false;
	if (n->plain && strcmp(n->str, "true") == 0)
		*out = true;
	else if (n->plain && strcmp(n->str, "false") == 0)
		*out = false;
	else {
		nerr(c, n, "'%s' must be true or false, not '%s'",
		    key, n->str);
		return false;
	}
	return true;
}

/* Look a scalar up in a NULL-terminated name table; -1 if absent. */
static int
name_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* "a, b, c" of a name table, into buf. */
static const char *
name_list(const char *const *names, char *buf, size_t len)
{
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] != NULL && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    names[i]);
	return buf;
}


/* ---- the keys ---------------------------------------------------------- */

static const char *const top_keys[] = {
	"version", "name", "kind", "description", "requires", "argv", "env",
	"files", "timeout", "delivers", "policy", "skip-reason", "claims",
	"exit", "alive", "steps", "runtime", "diagnoses", "reports", NULL
};
static const char *const kind_names[] = { "probe", "mta", "checker", NULL };

const char *
profile_kind_name(enum profile_kind k)
{
	return (unsigned)k < PROFILE_KIND_COUNT ? kind_names[k] : "?";
}
/* exit: keys, in enum profile_exit order from PROFILE_EXIT_DONE. */
static const char *const exit_names[] = { "done", "deferred", NULL };
static const char *const claim_keys[] = {
	"pattern", "claim", "action", "host", "label", NULL
};
static const char *const file_keys[] = {
	"path", "text", "raw", "mode", NULL
};
/* A step's kinds, in enum profile_step_kind order, then its options. */
static const char *const step_names[] = {
	"run", "start", "submit", "wait", "collect", "stop", NULL
};
static const char *const step_keys[] = {
	"run", "start", "submit", "wait", "collect", "stop", "timeout",
	"input", NULL
};
static const char *const outcome_names[] = {
	"", "delivered", "deferred", "bounced", NULL
};
static const char *const wait_keys[] = {
	"log", "delivered", "deferred", "bounced", NULL
};

const char *
profile_step_name(enum profile_step_kind k)
{
	return (unsigned)k < PROFILE_STEP_COUNT ? step_names[k] : "?";
}

bool
profile_has_wait(const struct client_profile *p)
{
	size_t i;

	for (i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind == PROFILE_STEP_WAIT)
			return true;
	return false;
}

const char *
profile_outcome_name(enum profile_outcome o)
{
	return (unsigned)o < PROFILE_OUTCOME_COUNT ? outcome_names[o] : "?";
}

int
profile_outcome_parse(const char *s)
{
	int i = name_index(outcome_names, s);

	return i > 0 ? i : -1;
}
/* claim: values, in enum run_claim order. */
static const char *const claim_names[] = {
	"none", "auth", "encrypt", "plain", "refuse", NULL
};
static const char *const action_names[] = {
	"auth", "encrypt", "opportunistic", "defer", NULL
};
static const enum scen_action action_values[] = {
	SCEN_ACT_AUTH, SCEN_ACT_ENCRYPT, SCEN_ACT_OPPORTUNISTIC, SCEN_ACT_DEFER
};

/* Unknown keys of mapping m, against table. */
static void
check_keys(struct pctx *c, const struct ytree_node *m, const char *const *table,
    const char *where)
{
	char list[256], q[YTREE_QUOTE_MAX];
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2) {
		const struct ytree_node *k = m->kids[i];

		if (k->type == YTREE_SCALAR && name_index(table, k->str) < 0)
			nerr(c, k, "unknown key '%s' in %s (known: %s)",
			    ytree_quote(k->str, q, sizeof(q)), where,
			    name_list(table, list, sizeof(list)));
	}
}

/* Whether mapping m has at least one key of table. */
static bool
has_known_key(const struct ytree_node *m, const char *const *table)
{
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == YTREE_SCALAR &&
		    name_index(table, m->kids[i]->str) >= 0)
			return true;
	return false;
}

/* The value of key in mapping m (last one if duplicated), or NULL. */
static const struct ytree_node *
map_get(const struct ytree_node *m, const char *key)
{
	const struct ytree_node *v = NULL;
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i]->type == YTREE_SCALAR &&
		    strcmp(m->kids[i]->str, key) == 0 && v == NULL)
			v = m->kids[i + 1];
	return v;
}

static char **
get_strlist(struct pctx *c, const char *key, const struct ytree_node *n,
    size_t max, bool tmpl, size_t *count)
{
	char **v;
	size_t i;

	*count = 0;
	if (!want_type(c, key, n, YTREE_SEQ))
		return NULL;
	if (n->n > max) {
		nerr(c, n, "'%s' has %zu items, at most %zu",
		    key, n->n, max);
		return NULL;
	}
	v = xcalloc(n->n + 1, sizeof(*v));
	for (i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->kids[i];

		if (tmpl)
			v[i] = get_template(c, key, it);
		else if (want_scalar(c, key, it, "a string"))
			v[i] = xstrdup(it->str);
		if (v[i] == NULL)
			v[i] = xstrdup("");
	}
	*count = n->n;
	return v;
}

static bool
env_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return i <= PROFILE_MAX_NAME;
}

static void
load_env(struct pctx *c, struct client_profile *p, const struct ytree_node *n)
{
	size_t i;

	if (!want_type(c, "env", n, YTREE_MAP))
		return;
	if (n->n / 2 > PROFILE_MAX_ENV) {
		nerr(c, n, "'env' has %zu variables, at most %d",
		    n->n / 2, PROFILE_MAX_ENV);
		return;
	}
	p->env = xcalloc(n->n / 2 + 1, sizeof(*p->env));
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *k = n->kids[i];
		char *t;

		if (k->type != YTREE_SCALAR)
			continue;	/* reported by map_check_keys */
		if (!env_name_ok(k->str)) {
			nerr(c, k,
			    "'%s' is not a valid environment variable name",
			    k->str);
			continue;
		}
		t = get_template(c, k->str, n->kids[i + 1]);
		if (t == NULL)
			continue;
		p->env[p->n_env++] = xasprintf("%s=%s", k->str, t);
		free(t);
	}
}

/* A file path: a plain file name inside the cell directory. */
static bool
file_path_ok(struct pctx *c, const struct ytree_node *n)
{
	const char *s = n->str;

	if (s[0] == '/')
		return !nerr(c, n,
		    "'path' must be relative to the cell directory, not "
		    "absolute ('%s')", s);
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
	    strncmp(s, "../", 3) == 0 || strstr(s, "/..") != NULL)
		return !nerr(c, n,
		    "'path' must not contain '..' ('%s')", s);
	if (strstr(s, "//") != NULL || s[strlen(s) - 1] == '/' ||
	    strncmp(s, "./", 2) == 0 || strstr(s, "/./") != NULL)
		return !nerr(c, n,
		    "'path' must be a plain relative file name ('%s')", s);
	{
		size_t depth = 0;
		const char *q;

		for (q = s; (q = strchr(q, '/')) != NULL; q++)
			depth++;
		if (depth > PROFILE_MAX_DIR_DEPTH)
			return !nerr(c, n, "'path' has more than %d "
			    "subdirectories ('%s')", PROFILE_MAX_DIR_DEPTH, s);
	}
	if (strlen(s) > 255)
		return !nerr(c, n, "'path' is too long");
	return true;
}

static void
load_files(struct pctx *c, struct client_profile *p, const struct ytree_node *n)
{
	size_t i, j;

	if (!want_type(c, "files", n, YTREE_SEQ))
		return;
	if (n->n > PROFILE_MAX_FILES) {
		nerr(c, n, "'files' has %zu items, at most %d",
		    n->n, PROFILE_MAX_FILES);
		return;
	}
	p->files = xcalloc(n->n + 1, sizeof(*p->files));
	for (i = 0; i < n->n; i++) {
		const struct ytree_node *m = n->kids[i], *path, *text, *v;
		struct profile_file *f;

		if (!want_item_map(c, "files", m))
			continue;
		check_keys(c, m, file_keys, "a file");
		path = map_get(m, "path");
		text = map_get(m, "text");
		if (path == NULL || text == NULL) {
			nerr(c, m,
			    "a file needs 'path' and 'text'");
			continue;
		}
		if (!want_scalar(c, "path", path, "a string") ||
		    !file_path_ok(c, path))
			continue;
		for (j = 0; j < p->n_files; j++)
			if (strcmp(p->files[j].path, path->str) == 0)
				break;
		if (j < p->n_files) {
			nerr(c, path,
			    "file '%s' listed twice", path->str);
			continue;
		}
		f = &p->files[p->n_files];
		f->mode = 0600;
		if ((v = map_get(m, "raw")) != NULL)
			get_bool(c, "raw", v, &f->raw);
		if ((v = map_get(m, "mode")) != NULL &&
		    want_scalar(c, "mode", v, "a mode")) {
			if (strcmp(v->str, "0600") == 0)
				f->mode = 0600;
			else if (strcmp(v->str, "0644") == 0)
				f->mode = 0644;
			else if (strcmp(v->str, "0700") == 0)
				f->mode = 0700;
			else if (strcmp(v->str, "0755") == 0)
				f->mode = 0755;
			else
				nerr(c, v, "'mode' must be \"0600\", "
				    "\"0644\", \"0700\" or \"0755\", not "
				    "'%s'", v->str);
		}
		if (p->version < 2 &&
		    (map_get(m, "raw") != NULL || map_get(m, "mode") != NULL)) {
			nerr(c, m, "'raw' and 'mode' need 'version: 2'");
			continue;
		}
		if (f->raw) {
			if (!want_scalar(c, "text", text, "a string"))
				continue;
			f->text = xstrdup(text->str);
		} else
			f->text = get_template(c, "text", text);
		if (f->text == NULL)
			continue;
		f->path = xstrdup(path->str);
		p->n_files++;
	}
}

/* The policy a key of 'policy' or 'skip-reason' names, or -1 (reported). */
static int
policy_key(struct pctx *c, const struct ytree_node *k)
{
	int pol;

	if (k->type != YTREE_SCALAR)
		return -1;
	if ((pol = scen_policy_parse(k->str)) < 0)
		nerr(c, k, "unknown policy '%s' (known: dane, dane-only)",
		    k->str);
	return pol;
}

static void
load_policy(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n, const struct ytree_node *skip)
{
	size_t i;

	if (!want_type(c, "policy", n, YTREE_MAP))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *k = n->kids[i], *v = n->kids[i + 1];
		int pol;

		if ((pol = policy_key(c, k)) < 0)
			continue;
		free(p->policy_value[pol]);
		p->policy_value[pol] = NULL;
		if (v->type == YTREE_SCALAR && v->null) {
			/* The client cannot do it: say why. */
			if (skip == NULL || skip->type != YTREE_MAP ||
			    map_get(skip, k->str) == NULL)
				nerr(c, v,
				    "policy '%s' is null but has no "
				    "skip-reason", k->str);
			continue;
		}
		if (!want_scalar(c, k->str, v, "a string or null"))
			continue;
		if (strlen(v->str) > PROFILE_MAX_NAME) {
			nerr(c, v, "'%s' is longer than %d",
			    k->str, PROFILE_MAX_NAME);
			continue;
		}
		p->policy_value[pol] = xstrdup(v->str);
	}
}

static void
load_skip(struct pctx *c, struct client_profile *p, const struct ytree_node *n)
{
	size_t i;

	if (!want_type(c, "skip-reason", n, YTREE_MAP))
		return;
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *k = n->kids[i], *v = n->kids[i + 1];
		int pol;

		if ((pol = policy_key(c, k)) < 0)
			continue;
		if (p->policy_value[pol] != NULL) {
			nerr(c, k,
			    "skip-reason for '%s', but its policy value is not "
			    "null", k->str);
			continue;
		}
		if (!want_scalar(c, k->str, v, "a string"))
			continue;
		p->skip_reason[pol] = xstrdup(v->str);
	}
}

/*
 * Compile the pattern of scalar n (the value of key) into *re with
 * flags: at most PROFILE_MAX_PATTERN bytes, within the bounds that keep
 * regcomp small (profile_pattern_check: a hostile pattern would
 * otherwise take gigabytes), then regcomp.  True: *re is the caller's to
 * free.  False with the error reported (at the offending character when
 * the scalar is plain and on one line, else at the scalar).
 */
static bool
compile_pattern(struct pctx *c, const char *key, const struct ytree_node *n,
    regex_t *re, int flags)
{
	char why[256];
	size_t at;
	unsigned col;
	int rc;

	if (strlen(n->str) > PROFILE_MAX_PATTERN) {
		nerr(c, n, "'%s' is longer than %d", key, PROFILE_MAX_PATTERN);
		return false;
	}
	if (profile_pattern_check(n->str, &at, why, sizeof(why)) != 0) {
		col = n->pos.col;
		if (n->plain && strchr(n->str, '\n') == NULL)
			col += (unsigned)at;
		perr(c, n->pos.line, col,
		    "'%s' refused at character %zu: %s", key, at + 1, why);
		return false;
	}
	rc = regcomp(re, n->str, flags);
	if (rc != 0) {
		regerror(rc, re, why, sizeof(why));
		nerr(c, n, "bad pattern: %s", why);
		return false;
	}
	return true;
}

/*
 * A line pattern (REG_EXTENDED | REG_NEWLINE) compiled into *re.
 * Returns a copy of it (the caller then owns *re too), or NULL with the
 * error reported.
 */
static char *
get_pattern(struct pctx *c, const struct ytree_node *pat, regex_t *re)
{
	if (!want_scalar(c, "pattern", pat, "a string"))
		return NULL;
	if (!compile_pattern(c, "pattern", pat, re, REG_EXTENDED | REG_NEWLINE))
		return NULL;
	return xstrdup(pat->str);
}

static void
load_claim(struct pctx *c, struct profile_claim *cl, const struct ytree_node *m,
    bool *ok)
{
	const struct ytree_node *pat = map_get(m, "pattern");
	const struct ytree_node *cn = map_get(m, "claim");
	const struct ytree_node *an = map_get(m, "action");
	const struct ytree_node *hn = map_get(m, "host");
	const struct ytree_node *ln = map_get(m, "label");
	char list[128];
	int i;

	*ok = false;
	check_keys(c, m, claim_keys, "a claim");
	if (pat == NULL) {
		nerr(c, m, "a claim needs 'pattern'");
		return;
	}
	if ((cn == NULL) == (an == NULL)) {
		nerr(c, m,
		    "a claim needs one of 'claim' (per host) or 'action' "
		    "(overall)");
		return;
	}
	if ((cl->pattern = get_pattern(c, pat, &cl->re)) == NULL)
		return;
	*ok = true;		/* regex compiled: the caller frees it */
	if (cn != NULL) {
		if (!want_scalar(c, "claim", cn, "a claim name"))
			return;
		i = name_index(claim_names, cn->str);
		if (i < 0) {
			nerr(c, cn,
			    "unknown claim '%s' (known: %s)", cn->str,
			    name_list(claim_names, list, sizeof(list)));
			return;
		}
		cl->claim = (enum run_claim)i;
	} else {
		if (!want_scalar(c, "action", an, "an action name"))
			return;
		i = name_index(action_names, an->str);
		if (i < 0) {
			nerr(c, an,
			    "unknown action '%s' (known: %s)", an->str,
			    name_list(action_names, list, sizeof(list)));
			return;
		}
		cl->overall = true;
		cl->action = action_values[i];
	}
	if (hn != NULL && get_uint(c, "host", hn, 1, 9, &cl->host_group) &&
	    cl->host_group > cl->re.re_nsub)
		nerr(c, hn,
		    "'host' is group %u, but the pattern has %zu group%s",
		    cl->host_group, cl->re.re_nsub,
		    cl->re.re_nsub == 1 ? "" : "s");
	if (cn != NULL && cl->claim == RUN_CLAIM_NONE && hn == NULL &&
	    ln == NULL)
		nerr(c, cn,
		    "'claim: none' needs 'host' (the line names a host) or "
		    "'label' (the client's word, recorded without a claim)");
	if (ln != NULL && want_scalar(c, "label", ln, "a string")) {
		if (strlen(ln->str) >= 64)
			nerr(c, ln,
			    "'label' is longer than 63 characters");
		else
			cl->label = xstrdup(ln->str);
	}
}

static void
load_claims(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	size_t i;

	if (!want_type(c, "claims", n, YTREE_SEQ))
		return;
	if (n->n > PROFILE_MAX_CLAIMS) {
		nerr(c, n, "'claims' has %zu items, at most %d",
		    n->n, PROFILE_MAX_CLAIMS);
		return;
	}
	p->claims = xcalloc(n->n + 1, sizeof(*p->claims));
	for (i = 0; i < n->n; i++) {
		bool ok;

		if (!want_item_map(c, "claims", n->kids[i]))
			continue;
		memset(&p->claims[p->n_claims], 0, sizeof(p->claims[0]));
		load_claim(c, &p->claims[p->n_claims], n->kids[i], &ok);
		if (ok)
			p->n_claims++;
	}
}

/* exit: { done: [0], deferred: [1, 75] } */
static void
load_exit(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	char list[64];
	size_t i, j, k;
	unsigned st;
	int e;

	if (!want_type(c, "exit", n, YTREE_MAP))
		return;
	check_keys(c, n, exit_names, "'exit'");
	for (i = 0; i + 1 < n->n; i += 2) {
		const struct ytree_node *key = n->kids[i];
		const struct ytree_node *v = n->kids[i + 1];

		if (key->type != YTREE_SCALAR ||
		    (e = name_index(exit_names, key->str)) < 0)
			continue;
		if (!want_type(c, key->str, v, YTREE_SEQ))
			continue;
		if (v->n == 0)
			nerr(c, v, "'%s' is empty (known: %s)", key->str,
			    name_list(exit_names, list, sizeof(list)));
		for (j = 0; j < v->n; j++) {
			if (!get_uint(c, key->str, v->kids[j], 0, 255, &st))
				continue;
			for (k = 0; k < p->n_exits; k++)
				if (p->exit_status[k] == (int)st)
					break;
			if (k < p->n_exits) {
				nerr(c, v->kids[j], "exit status %u is "
				    "declared twice", st);
				continue;
			}
			if (p->n_exits == PROFILE_MAX_EXITS) {
				nerr(c, v->kids[j], "more than %d exit "
				    "statuses", PROFILE_MAX_EXITS);
				return;
			}
			p->exit_status[p->n_exits] = (int)st;
			p->exit_meaning[p->n_exits++] =
			    (enum profile_exit)(PROFILE_EXIT_DONE + e);
		}
	}
}

/* ---- steps (version 2) -------------------------------------------------- */

static void
load_wait(struct pctx *c, struct profile_step *st, const struct ytree_node *n)
{
	const struct ytree_node *v;
	int o;
	bool any = false;

	if (!want_type(c, "wait", n, YTREE_MAP))
		return;
	check_keys(c, n, wait_keys, "a wait step");
	if ((v = map_get(n, "log")) == NULL)
		nerr(c, n, "a wait step needs 'log' (the file to read)");
	else
		st->log = get_template(c, "log", v);
	for (o = PROFILE_OUTCOME_DELIVERED; o < PROFILE_OUTCOME_COUNT; o++) {
		if ((v = map_get(n, outcome_names[o])) == NULL)
			continue;
		if (!want_scalar(c, outcome_names[o], v, "a pattern"))
			continue;
		if (!compile_pattern(c, outcome_names[o], v, &st->re[o],
		    REG_EXTENDED | REG_NEWLINE | REG_NOSUB))
			continue;
		st->pattern[o] = xstrdup(v->str);
		any = true;
	}
	if (map_get(n, "delivered") == NULL)
		nerr(c, n, "a wait step needs a pattern for 'delivered' "
		    "(and usually 'deferred' and 'bounced')");
	(void)any;
}

static void
load_step(struct pctx *c, struct client_profile *p, struct profile_step *st,
    const struct ytree_node *m)
{
	const struct ytree_node *v = NULL, *k = NULL;
	char list[128];
	size_t i;
	int kind = -1, j;

	check_keys(c, m, step_keys, "a step");
	st->line = m->pos.line;
	for (i = 0; i + 1 < m->n; i += 2) {
		if (m->kids[i]->type != YTREE_SCALAR ||
		    (j = name_index(step_names, m->kids[i]->str)) < 0)
			continue;
		if (kind >= 0) {
			nerr(c, m->kids[i], "a step has one of %s, not both "
			    "'%s' and '%s'", name_list(step_names, list,
			    sizeof(list)), step_names[kind], m->kids[i]->str);
			return;
		}
		kind = j;
		k = m->kids[i];
		v = m->kids[i + 1];
	}
	if (kind < 0) {
		nerr(c, m, "a step needs one of %s", name_list(step_names,
		    list, sizeof(list)));
		return;
	}
	st->kind = (enum profile_step_kind)kind;
	st->timeout_s = st->kind == PROFILE_STEP_WAIT ? 60 : 30;
	switch (st->kind) {
	case PROFILE_STEP_WAIT:
		load_wait(c, st, v);
		break;
	case PROFILE_STEP_COLLECT:
		st->collect = get_strlist(c, "collect", v, PROFILE_MAX_COLLECT,
		    true, &st->n_collect);
		if (st->collect != NULL && st->n_collect == 0)
			nerr(c, v, "'collect' is empty");
		break;
	default:
		st->argv = get_strlist(c, k->str, v, PROFILE_MAX_ARGS, true,
		    &st->argc);
		if (st->argv != NULL && st->argc == 0)
			nerr(c, v, "'%s' is empty", k->str);
		break;
	}
	if ((v = map_get(m, "timeout")) != NULL)
		get_uint(c, "timeout", v, 1, PROFILE_MAX_TIMEOUT,
		    &st->timeout_s);
	if ((v = map_get(m, "input")) != NULL) {
		if (st->kind != PROFILE_STEP_SUBMIT &&
		    st->kind != PROFILE_STEP_RUN)
			nerr(c, v, "'input' belongs to a submit or run step");
		else
			st->input = get_template(c, "input", v);
	}
	(void)p;
}

static void
load_steps(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	size_t i, n_wait = 0, n_cmd = 0;
	unsigned total = 0;

	if (!want_type(c, "steps", n, YTREE_SEQ))
		return;
	if (n->n == 0 || n->n > PROFILE_MAX_STEPS) {
		nerr(c, n, "'steps' has %zu items, 1 to %d", n->n,
		    PROFILE_MAX_STEPS);
		return;
	}
	p->steps = xcalloc(n->n, sizeof(*p->steps));
	for (i = 0; i < n->n; i++) {
		struct profile_step *st = &p->steps[p->n_steps];

		if (!want_item_map(c, "steps", n->kids[i]))
			continue;
		p->n_steps++;
		load_step(c, p, st, n->kids[i]);
		if (st->kind == PROFILE_STEP_WAIT)
			n_wait++;
		if (st->kind == PROFILE_STEP_RUN ||
		    st->kind == PROFILE_STEP_SUBMIT)
			n_cmd++;
		total += st->timeout_s;
	}
	if (n_wait > 1)
		nerr(c, n, "'steps' has %zu wait steps, at most one", n_wait);
	if (n_wait == 1 && p->kind != PROFILE_KIND_MTA)
		nerr(c, n, "a wait step (delivered, deferred, bounced) "
		    "belongs to 'kind: mta'");
	/*
	 * An MTA's lifecycle without a wait step would stop the instance
	 * before it tried to deliver: nothing to score.
	 */
	if (n_wait == 0 && p->kind == PROFILE_KIND_MTA && c->errors == 0)
		nerr(c, n, "an MTA's 'steps' need a wait step: what its log "
		    "says became of the message");
	if (n_cmd == 0 && c->errors == 0)
		nerr(c, n, "'steps' has no run or submit step: nothing "
		    "would reach the world");
	p->timeout_s = total < 1 ? 1 : total;
}

static void
load_alive(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	if (!want_scalar(c, "alive", n, "a string"))
		return;
	if (!compile_pattern(c, "alive", n, &p->alive_re,
	    REG_EXTENDED | REG_NEWLINE | REG_NOSUB))
		return;
	p->alive = xstrdup(n->str);
}

/* ---- checkers: diagnoses, reports ------------------------------------ */

static const char *const diagnosis_keys[] = {
	"pattern", "set", "host", NULL
};

/* The key of a diagnosis code or of `reports`, or -1 (reported). */
static int
fact_key_of(struct pctx *c, const struct ytree_node *n, const char *s,
    size_t len)
{
	char list[128] = "";
	size_t o = 0;
	int k;

	if ((k = fact_key_parse(s, len)) >= 0)
		return k;
	for (k = 0; k < FACT_COUNT && o < sizeof(list); k++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
		    k ? ", " : "", fact_key_name((enum fact_key)k));
	nerr(c, n, "unknown diagnosis key '%.*s' (known: %s)", (int)len, s,
	    list);
	return -1;
}

/* One code "key=value" into d's next slot. */
static void
load_code(struct pctx *c, struct profile_diagnosis *d,
    const struct ytree_node *n)
{
	const char *eq, *v;
	size_t j;
	int k;

	if (!want_scalar(c, "set", n, "a code key=value"))
		return;
	if ((eq = strchr(n->str, '=')) == NULL) {
		nerr(c, n, "'%s' is not a code key=value (tlsa=bogus)",
		    n->str);
		return;
	}
	if ((k = fact_key_of(c, n, n->str, (size_t)(eq - n->str))) < 0)
		return;
	if ((v = fact_value_parse((enum fact_key)k, eq + 1)) == NULL) {
		nerr(c, n, "unknown value '%s' for '%s' (known: %s)", eq + 1,
		    fact_key_name((enum fact_key)k),
		    fact_values((enum fact_key)k));
		return;
	}
	for (j = 0; j < d->n_codes; j++)
		if (d->key[j] == k) {
			nerr(c, n, "'%s' is set twice in one rule",
			    fact_key_name((enum fact_key)k));
			return;
		}
	d->key[d->n_codes] = k;
	d->value[d->n_codes++] = v;
}

static void
load_diagnosis(struct pctx *c, struct profile_diagnosis *d,
    const struct ytree_node *m, bool *ok)
{
	const struct ytree_node *pat = map_get(m, "pattern");
	const struct ytree_node *set = map_get(m, "set");
	const struct ytree_node *hn = map_get(m, "host");
	size_t i;

	*ok = false;
	check_keys(c, m, diagnosis_keys, "a diagnosis");
	if (pat == NULL || set == NULL) {
		nerr(c, m, "a diagnosis needs 'pattern' and 'set'");
		return;
	}
	if ((d->pattern = get_pattern(c, pat, &d->re)) == NULL)
		return;
	*ok = true;		/* regex compiled: the caller frees it */
	if (want_type(c, "set", set, YTREE_SEQ)) {
		if (set->n > PROFILE_MAX_CODES)
			nerr(c, set, "'set' has %zu codes, at most %d",
			    set->n, PROFILE_MAX_CODES);
		else
			for (i = 0; i < set->n; i++)
				load_code(c, d, set->kids[i]);
	}
	if (hn != NULL && get_uint(c, "host", hn, 1, 9, &d->host_group) &&
	    d->host_group > d->re.re_nsub)
		nerr(c, hn,
		    "'host' is group %u, but the pattern has %zu group%s",
		    d->host_group, d->re.re_nsub,
		    d->re.re_nsub == 1 ? "" : "s");
	if (set->type == YTREE_SEQ && set->n == 0 && hn == NULL)
		nerr(c, set, "an empty 'set' needs 'host' (the line names the "
		    "host the next lines are about)");
}

/* diagnoses: [{pattern, set: [codes], host}]; only for a checker. */
static void
load_diagnoses(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	size_t i;

	if (p->kind != PROFILE_KIND_CHECKER) {
		nerr(c, n, "'diagnoses' needs 'kind: checker'");
		return;
	}
	if (!want_type(c, "diagnoses", n, YTREE_SEQ))
		return;
	if (n->n > PROFILE_MAX_DIAGNOSES) {
		nerr(c, n, "'diagnoses' has %zu items, at most %d",
		    n->n, PROFILE_MAX_DIAGNOSES);
		return;
	}
	p->diagnoses = xcalloc(n->n + 1, sizeof(*p->diagnoses));
	for (i = 0; i < n->n; i++) {
		bool ok;

		if (!want_item_map(c, "diagnoses", n->kids[i]))
			continue;
		memset(&p->diagnoses[p->n_diagnoses], 0,
		    sizeof(p->diagnoses[0]));
		load_diagnosis(c, &p->diagnoses[p->n_diagnoses], n->kids[i],
		    &ok);
		if (ok)
			p->n_diagnoses++;
	}
}

/* reports: [tlsa, match]: the keys a checker always diagnoses. */
static void
load_reports(struct pctx *c, struct client_profile *p,
    const struct ytree_node *n)
{
	size_t i;
	int k;

	if (p->kind != PROFILE_KIND_CHECKER) {
		nerr(c, n, "'reports' needs 'kind: checker'");
		return;
	}
	if (!want_type(c, "reports", n, YTREE_SEQ))
		return;
	for (i = 0; i < n->n; i++) {
		const struct ytree_node *it = n->kids[i];

		if (!want_scalar(c, "reports", it, "a diagnosis key"))
			continue;
		if ((k = fact_key_of(c, it, it->str, strlen(it->str))) < 0)
			continue;
		if (p->reports & (1u << k))
			nerr(c, it, "'%s' is listed twice", it->str);
		p->reports |= 1u << k;
	}
}

/* A checker says what it diagnoses; every key it reports, some rule sets. */
static void
check_checker(struct pctx *c, const struct client_profile *p,
    const struct ytree_node *root)
{
	const struct ytree_node *r = map_get(root, "reports");
	size_t i, j;
	int k;

	if (p->kind != PROFILE_KIND_CHECKER)
		return;
	if (map_get(root, "diagnoses") == NULL)
		nerr(c, root, "a checker needs 'diagnoses' (output lines to "
		    "diagnosis codes)");
	if (map_get(root, "claims") != NULL)
		nerr(c, map_get(root, "claims"), "a checker is scored on "
		    "'diagnoses', not 'claims'");
	for (k = 0; r != NULL && k < FACT_COUNT; k++) {
		bool found = false;

		if (!(p->reports & (1u << k)))
			continue;
		for (i = 0; i < p->n_diagnoses && !found; i++)
			for (j = 0; j < p->diagnoses[i].n_codes; j++)
				if (p->diagnoses[i].key[j] == k)
					found = true;
		if (!found)
			nerr(c, r, "'reports' lists '%s', but no diagnosis "
			    "sets it", fact_key_name((enum fact_key)k));
	}
}

/* The file name of path without directory and without ".yaml". */
static char *
profile_stem(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len <= 5 || strcmp(b + len - 5, ".yaml") != 0)
		return NULL;
	return xstrndup(b, len - 5);
}

static void
load_top(struct pctx *c, struct client_profile *p,
    const struct ytree_node *root)
{
	const struct ytree_node *v, *s;
	char *stem = profile_stem(c->file);
	unsigned version;
	int i;

	check_keys(c, root, top_keys, "a profile");
	for (i = 0; i < SCEN_POLICY_COUNT; i++)
		p->policy_value[i] =
		    xstrdup(scen_policy_name((enum scen_policy)i));
	p->timeout_s = 30;

	v = map_get(root, "version");
	if (v == NULL)
		nerr(c, root, "missing key 'version'");
	else if (get_uint(c, "version", v, 0, 999999, &version)) {
		if (version != 1 && version != 2)
			nerr(c, v, "unsupported version %u (this danelab "
			    "reads versions 1 and 2)", version);
		else
			p->version = version;
	}

	v = map_get(root, "name");
	if (v == NULL)
		nerr(c, root, "missing key 'name'");
	else if (want_scalar(c, "name", v, "a string")) {
		if (stem == NULL || strcmp(stem, v->str) != 0)
			nerr(c, v,
			    "'name' is '%s' but the file is called '%s'",
			    v->str, stem ? stem : c->file);
		else
			p->name = xstrdup(v->str);
	}
	free(stem);

	if ((v = map_get(root, "delivers")) != NULL) {
		if (p->version >= 2)
			nerr(c, v, "'delivers' is version 1; version 2 says "
			    "'kind: mta' (delivers) or 'kind: probe'");
		else if (get_bool(c, "delivers", v, &p->delivers))
			p->kind = p->delivers ? PROFILE_KIND_MTA
					      : PROFILE_KIND_PROBE;
	}
	if ((v = map_get(root, "kind")) != NULL) {
		char list[64];
		int k;

		if (p->version < 2)
			nerr(c, v, "'kind' needs 'version: 2'");
		else if (want_scalar(c, "kind", v, "a string")) {
			if ((k = name_index(kind_names, v->str)) < 0)
				nerr(c, v, "unknown kind '%s' (known: %s)",
				    v->str, name_list(kind_names, list,
				    sizeof(list)));
			else {
				p->kind = (enum profile_kind)k;
				p->delivers = p->kind == PROFILE_KIND_MTA;
			}
		}
	} else if (p->version >= 2)
		nerr(c, root, "missing key 'kind' (mta, probe or checker)");
	if ((v = map_get(root, "description")) != NULL &&
	    want_scalar(c, "description", v, "a string"))
		p->description = xstrdup(v->str);
	if ((v = map_get(root, "requires")) != NULL)
		p->requires = get_strlist(c, "requires", v,
		    PROFILE_MAX_REQUIRES, true, &p->n_requires);
	v = map_get(root, "argv");
	if ((s = map_get(root, "steps")) != NULL) {
		if (p->version < 2)
			nerr(c, s, "'steps' needs 'version: 2'");
		else if (v != NULL)
			nerr(c, v, "a profile has 'argv' or 'steps', not "
			    "both");
		else
			load_steps(c, p, s);
	} else if (v == NULL)
		nerr(c, root, "missing key 'argv' (or, version 2, 'steps')");
	else {
		p->argv = get_strlist(c, "argv", v, PROFILE_MAX_ARGS, true,
		    &p->argc);
		if (p->argv != NULL && p->argc == 0)
			nerr(c, v, "'argv' is empty");
	}
	if ((v = map_get(root, "env")) != NULL)
		load_env(c, p, v);
	if ((v = map_get(root, "files")) != NULL)
		load_files(c, p, v);
	if ((v = map_get(root, "timeout")) != NULL) {
		if (p->n_steps > 0)
			nerr(c, v, "with 'steps', each step has its own "
			    "'timeout'");
		else
			get_uint(c, "timeout", v, 1, PROFILE_MAX_TIMEOUT,
			    &p->timeout_s);
	}
	if ((v = map_get(root, "runtime")) != NULL)
		get_uint(c, "runtime", v, 1, PROFILE_MAX_TIMEOUT,
		    &p->runtime_s);
	if ((v = map_get(root, "policy")) != NULL)
		load_policy(c, p, v, map_get(root, "skip-reason"));
	if ((v = map_get(root, "skip-reason")) != NULL)
		load_skip(c, p, v);
	if ((v = map_get(root, "claims")) != NULL)
		load_claims(c, p, v);
	if ((v = map_get(root, "exit")) != NULL)
		load_exit(c, p, v);
	else {
		p->exit_status[0] = 0;
		p->exit_meaning[0] = PROFILE_EXIT_DONE;
		p->n_exits = 1;
	}
	if ((v = map_get(root, "alive")) != NULL)
		load_alive(c, p, v);
	if ((v = map_get(root, "diagnoses")) != NULL)
		load_diagnoses(c, p, v);
	if ((v = map_get(root, "reports")) != NULL)
		load_reports(c, p, v);
	check_checker(c, p, root);
}

/* ---- files ------------------------------------------------------------- */

static int
load_deviations(struct client_profile *p, const char *path,
    struct dl_diags *diags)
{
	size_t plen = strlen(path), len;
	char *dpath, *text;
	int rc;

	dpath = xasprintf("%.*s.deviations", (int)(plen - 5), path);
	if (access(dpath, F_OK) != 0 && errno == ENOENT) {
		free(dpath);
		return 0;
	}
	rc = dl_read_file(dpath, PROFILE_MAX_FILE, &text, &len, diags);
	if (rc == 0) {
		rc = profile_dev_parse(p, dpath, text, len, diags);
		free(text);
	}
	free(dpath);
	return rc;
}

/*
 * Parse and decode the profile text (len bytes, named path in
 * diagnostics) into *out, deviations aside.  Returns 0, or DL_EINVAL
 * with every problem reported.
 */
static int
profile_decode(struct pctx *c, const char *buf, size_t len,
    struct client_profile **out)
{
	struct client_profile *p;
	struct ytree_node *root = NULL;
	int rc;

	rc = ytree_parse(c->file, buf, len, &profile_ytree_limits, &root,
	    c->diags, &c->errors);
	if (rc != 0)
		return rc;
	/*
	 * A file without a single profile key is not a profile (a symlink
	 * to /etc/shadow, say): one message, none of its text quoted.
	 */
	if (root == NULL || root->type != YTREE_MAP ||
	    !has_known_key(root, top_keys)) {
		perr(c, root ? root->pos.line : 1, root ? root->pos.col : 1,
		    "not a client profile: a profile is a mapping of keys "
		    "(version, name, ...)");
		ytree_free(root);
		return DL_EINVAL;
	}
	p = xcalloc(1, sizeof(*p));
	p->file = xstrdup(c->file);
	load_top(c, p, root);
	ytree_free(root);
	if (c->errors != 0) {
		profile_free(p);
		return DL_EINVAL;
	}
	if (p->description == NULL)
		p->description = xstrdup("");
	*out = p;
	return 0;
}

int
profile_load(const char *path, struct client_profile **out,
    struct dl_diags *diags)
{
	struct pctx c = { .file = path, .diags = diags };
	struct client_profile *p = NULL;
	char *buf;
	size_t len;
	int rc;

	rc = dl_read_file(path, PROFILE_MAX_FILE, &buf, &len, diags);
	if (rc != 0)
		return rc;
	rc = profile_decode(&c, buf, len, &p);
	free(buf);
	if (rc != 0)
		return rc;
	if ((rc = load_deviations(p, path, diags)) != 0) {
		profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int
profile_load_buffer(const char *name, const char *text, size_t len,
    struct client_profile **out, struct dl_diags *diags)
{
	struct pctx c = { .file = name, .diags = diags };

	if (len > PROFILE_MAX_FILE)
		return dl_error(diags, name, 0, 0,
		    "file too large (%zu bytes, at most %d)", len,
		    PROFILE_MAX_FILE);
	return profile_decode(&c, text, len, out);
}

void
profile_free(struct client_profile *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->file);
	free(p->name);
	free(p->description);
	profile_strv_free(p->requires);
	profile_strv_free(p->argv);
	profile_strv_free(p->env);
	for (i = 0; i < p->n_files; i++) {
		free(p->files[i].path);
		free(p->files[i].text);
	}
	free(p->files);
	for (i = 0; i < p->n_steps; i++) {
		struct profile_step *st = &p->steps[i];
		int o;

		profile_strv_free(st->argv);
		free(st->input);
		free(st->log);
		for (o = 0; o < PROFILE_OUTCOME_COUNT; o++)
			if (st->pattern[o] != NULL) {
				free(st->pattern[o]);
				regfree(&st->re[o]);
			}
		profile_strv_free(st->collect);
	}
	free(p->steps);
	for (i = 0; i < SCEN_POLICY_COUNT; i++) {
		free(p->policy_value[i]);
		free(p->skip_reason[i]);
	}
	for (i = 0; i < p->n_claims; i++) {
		free(p->claims[i].pattern);
		regfree(&p->claims[i].re);
		free(p->claims[i].label);
	}
	free(p->claims);
	if (p->alive != NULL) {
		free(p->alive);
		regfree(&p->alive_re);
	}
	for (i = 0; i < p->n_devs; i++) {
		free(p->devs[i].scenario);
		free(p->devs[i].phase);
		free(p->devs[i].reason);
	}
	free(p->devs);
	for (i = 0; i < p->n_diagnoses; i++) {
		free(p->diagnoses[i].pattern);
		regfree(&p->diagnoses[i].re);
	}
	free(p->diagnoses);
	free(p);
}

/* ---- profile_find ------------------------------------------------------ */

/* Sorting names with their files. */
struct known {
	char *name;
	char *file;
};

static int
known_cmp(const void *a, const void *b)
{
	return strcmp(((const struct known *)a)->name,
	    ((const struct known *)b)->name);
}

/*
 * The profiles of the directories of path (':'), at most max, each name
 * once (the first directory that has it wins, as in profile_find),
 * sorted by name.  Returns how many; the strings are the caller's.
 */
static size_t
scan_profiles(const char *path, struct known *k, size_t max)
{
	char dir[4096];
	size_t n = 0, j;
	const char *s = path;
	struct dirent *e;
	DIR *d;

	for (;;) {
		size_t dl = strcspn(s, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)dl, s);
		d = dl > 0 ? opendir(dir) : NULL;
		while (d != NULL && (e = readdir(d)) != NULL && n < max) {
			size_t len = strlen(e->d_name);

			if (len <= 5 || e->d_name[0] == '.' ||
			    strcmp(e->d_name + len - 5, ".yaml") != 0)
				continue;
			for (j = 0; j < n; j++)
				if (strlen(k[j].name) == len - 5 &&
				    strncmp(k[j].name, e->d_name, len - 5) == 0)
					break;
			if (j < n)
				continue;
			k[n].name = xstrndup(e->d_name, len - 5);
			k[n].file = xasprintf("%s/%s", dir, e->d_name);
			n++;
		}
		if (d != NULL)
			closedir(d);
		if (s[dl] == '\0')
			break;
		s += dl + 1;
	}
	if (n > 1)
		qsort(k, n, sizeof(*k), known_cmp);
	return n;
}

/* "a, b, c": the profiles of the directories of path (':'), sorted. */
static char *
known_profiles(const char *path)
{
	struct known k[128];
	char *list;
	size_t n, i, total = 1;

	n = scan_profiles(path, k, 128);
	if (n == 0)
		return xstrdup("none");
	for (i = 0; i < n; i++)
		total += strlen(k[i].name) + 2;
	list = xcalloc(1, total);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(list, ", ");
		strcat(list, k[i].name);
		free(k[i].name);
		free(k[i].file);
	}
	return list;
}

/*
 * profile_find's search path: dir, else $DANELAB_CLIENTS and the
 * built-in profiles (a string the caller frees).
 */
static char *
search_path(const char *dir)
{
	const char *env;

	if (dir != NULL)
		return xstrdup(dir);
	if ((env = getenv("DANELAB_CLIENTS")) != NULL && env[0] != '\0')
		return xasprintf("%s:%s", env,
		    danelab_data_dir(DANELAB_DATA_CLIENTS));
	return xstrdup(danelab_data_dir(DANELAB_DATA_CLIENTS));
}

size_t
profile_known(char **names, char **files, size_t max)
{
	struct known k[PROFILE_MAX_KNOWN];
	char *search = search_path(NULL);
	size_t n, i;

	n = scan_profiles(search, k, max < PROFILE_MAX_KNOWN ? max :
	    PROFILE_MAX_KNOWN);
	free(search);
	for (i = 0; i < n; i++) {
		names[i] = k[i].name;
		files[i] = k[i].file;
	}
	return n;
}

int
profile_find(const char *dir, const char *name, struct client_profile **out,
    struct dl_diags *diags)
{
	size_t len = strlen(name), i;
	char *path = NULL, *search, *list;
	const char *s;
	int rc;

	if (strchr(name, '/') != NULL ||
	    (len > 5 && strcmp(name + len - 5, ".yaml") == 0))
		return profile_load(name, out, diags);
	/*
	 * $DANELAB_CLIENTS is a search path in front of the built-in
	 * profiles: a user's own profiles add to them (and may shadow one).
	 */
	search = search_path(dir);
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		    name[i] == '_' || name[i] == '.'))
			break;
	if (len > 0 && len <= PROFILE_MAX_NAME && i == len && name[0] != '.')
		for (s = search;;) {
			size_t dl = strcspn(s, ":");

			if (dl > 0) {
				path = xasprintf("%.*s/%s.yaml", (int)dl, s,
				    name);
				if (access(path, F_OK) == 0)
					break;
				free(path);
				path = NULL;
			}
			if (s[dl] == '\0')
				break;
			s += dl + 1;
		}
	if (path == NULL) {
		list = known_profiles(search);
		dl_error(diags, search, 0, 0,
		    "unknown client '%s' (known clients: %s)", name, list);
		free(list);
		free(search);
		return DL_ENOENT;
	}
	free(search);
	rc = profile_load(path, out, diags);
	free(path);
	return rc;
}
