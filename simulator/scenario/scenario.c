/*
 * scenario.c -- loading scenario files and directories, lookups, freeing.
 *
 * Owns: the public entry points of scenario.h: reading a file (bounded),
 * running the three stages (util/ytree.c, scen_load.c, scen_check.c)
 * on it, walking a catalogue directory, and queries on a loaded model.
 * Does not own: the format itself (scen_schema.c and friends).
 */
#include "simulator/scenario/scenario.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "simulator/scenario/scen_internal.h"
#include "simulator/util/file.h"
#include "simulator/util/xmem.h"

/* What a scenario file may make the YAML parser allocate (scenario.h). */
static const struct ytree_limits scen_ytree_limits = {
	.max_file = SCEN_MAX_FILE_SIZE,
	.max_nodes = SCEN_MAX_NODES,
	.max_depth = SCEN_MAX_DEPTH,
	.max_scalar = SCEN_MAX_TEXT,
};

/* Bounds on a catalogue walk. */
#define SCEN_DIR_MAX_DEPTH	8
#define SCEN_DIR_MAX_FILES	10000

/* ---- freeing ------------------------------------------------------------ */

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
tlsa_free(struct scen_tlsa *t, size_t n)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(t[i].cert);
		free(t[i].data);
	}
	free(t);
}

void
scen_zone_clear(struct scen_zone *z)
{
	size_t i;

	free(z->name);
	free(z->keys);
	for (i = 0; i < z->n_records; i++) {
		free(z->records[i].owner);
		free(z->records[i].type);
		free(z->records[i].rdata);
		free(z->records[i].tlsa.cert);
	}
	free(z->records);
	for (i = 0; i < z->n_dnskeys; i++)
		free(z->dnskeys[i].key);
	free(z->dnskeys);
}

void
scen_expect_clear(struct scen_expect *e)
{
	size_t i, k;

	for (k = 0; k < SCEN_POLICY_COUNT; k++) {
		struct scen_expect_policy *p = &e->policy[k];

		for (i = 0; i < p->n_hosts; i++)
			free(p->hosts[i].host);
		free(p->hosts);
	}
	for (i = 0; i < e->n_states; i++)
		free(e->states[i].host);
	free(e->states);
}

void
scenario_free(struct scenario *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	free(s->file);
	free(s->id);
	free(s->title);
	free(s->explanation);
	free(s->rule);
	free(s->observe);
	strv_free(s->refs, s->n_refs);
	strv_free(s->tags, s->n_tags);
	free(s->domain);
	for (i = 0; i < s->n_zones; i++)
		scen_zone_clear(&s->zones[i]);
	free(s->zones);
	for (i = 0; i < s->n_hosts; i++) {
		struct scen_host *h = &s->hosts[i];

		free(h->name);
		free(h->cname);
		strv_free(h->addrs, h->n_addrs);
		strv_free(h->chain, h->n_chain);
		tlsa_free(h->tlsa, h->n_tlsa);
		for (j = 0; j < h->n_sni; j++) {
			free(h->sni[j].name);
			strv_free(h->sni[j].chain, h->sni[j].n_chain);
		}
		free(h->sni);
	}
	free(s->hosts);
	for (i = 0; i < s->n_faults; i++) {
		free(s->faults[i].zone);
		free(s->faults[i].name);
		free(s->faults[i].host);
		free(s->faults[i].note);
		free(s->faults[i].key);
	}
	free(s->faults);
	for (i = 0; i < s->n_phases; i++) {
		struct scen_phase *ph = &s->phases[i];

		free(ph->name);
		for (j = 0; j < ph->n_hosts; j++) {
			free(ph->hosts[j].host);
			strv_free(ph->hosts[j].chain, ph->hosts[j].n_chain);
			tlsa_free(ph->hosts[j].tlsa, ph->hosts[j].n_tlsa);
		}
		free(ph->hosts);
		scen_expect_clear(&ph->expect);
	}
	free(s->phases);
	scen_expect_clear(&s->expect);
	free(s);
}

void
scenario_list_free(struct scenario **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		scenario_free(v[i]);
	free(v);
}

/* ---- loading ------------------------------------------------------------ */

int
scenario_load_buffer(const char *name, const char *buf, size_t len,
    const char *fixtures_dir, struct scenario **out, struct dl_diags *diags)
{
	struct ytree_node *root = NULL;
	struct scen_ctx ctx;
	struct scenario *s;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.file = name;
	ctx.fixtures_dir = fixtures_dir;
	ctx.diags = diags;
	rc = ytree_parse(name, buf, len, &scen_ytree_limits, &root, diags,
	    &ctx.errors);
	if (rc == 0 && root == NULL)
		rc = scen_err(&ctx, (struct scen_pos){ 1, 1 },
		    "empty file: a scenario is a YAML mapping");
	if (rc != 0)
		return rc == DL_ENOMEM ? rc : DL_EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->file = xstrdup(name);
	s->time_scale = 1.0;
	scen_decode(&ctx, root, s);
	ytree_free(root);
	scen_check(&ctx, s);
	free(ctx.pos);
	if (ctx.errors > 0) {
		scenario_free(s);
		return DL_EINVAL;
	}
	scen_finish(s);
	*out = s;
	return 0;
}

int
scenario_load(const char *path, const char *fixtures_dir,
    struct scenario **out, struct dl_diags *diags)
{
	size_t len = 0;
	char *buf;
	int rc;

	if ((rc = dl_read_file(path, SCEN_MAX_FILE_SIZE, &buf, &len,
	    diags)) != 0)
		return rc;
	rc = scenario_load_buffer(path, buf, len, fixtures_dir, out, diags);
	free(buf);
	return rc;
}

/* ---- directories --------------------------------------------------------- */

struct pathlist {
	char **v;		/* paths relative to the root, owned */
	size_t n;
	size_t cap;
};

static bool
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int
walk(const char *root, const char *rel, int depth, struct pathlist *pl,
    struct dl_diags *diags)
{
	char *dpath = rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dpath)) == NULL) {
		rc = errno == ENOENT ? DL_ENOENT : DL_EIO;
		dl_error(diags, dpath, 0, 0, "cannot open directory: %s",
		    strerror(errno));
		free(dpath);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		char *crel, *cpath;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;	/* ., .., hidden files */
		crel = rel ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		cpath = xasprintf("%s/%s", root, crel);
		/* lstat: a symlinked directory is not followed (loops). */
		if (lstat(cpath, &st) != 0) {
			free(crel);
			free(cpath);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth >= SCEN_DIR_MAX_DEPTH) {
				rc = dl_error(diags, cpath, 0, 0, "directory "
				    "nested too deep (at most %d levels)",
				    SCEN_DIR_MAX_DEPTH);
			} else {
				int r = walk(root, crel, depth + 1, pl, diags);

				if (r != 0)
					rc = r;
			}
		} else if (has_suffix(de->d_name, ".yaml")) {
			if (pl->n >= SCEN_DIR_MAX_FILES) {
				rc = dl_error(diags, cpath, 0, 0, "too many "
				    "scenario files (at most %d)",
				    SCEN_DIR_MAX_FILES);
			} else {
				if (pl->n == pl->cap) {
					pl->cap = pl->cap ? pl->cap * 2 : 64;
					pl->v = xreallocarray(pl->v, pl->cap,
					    sizeof(*pl->v));
				}
				pl->v[pl->n++] = crel;
				crel = NULL;
			}
		}
		free(crel);
		free(cpath);
	}
	closedir(d);
	free(dpath);
	return rc;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
scenario_load_dir(const char *dir, const char *fixtures_dir,
    struct scenario ***out, size_t *n, struct dl_diags *diags)
{
	struct pathlist pl = { 0 };
	struct scenario **v = NULL;
	size_t i, nv = 0, dl;
	char *root;
	int rc;

	/* "scenarios/" and "scenarios" name the same files. */
	root = xstrdup(dir);
	for (dl = strlen(root); dl > 1 && root[dl - 1] == '/'; dl--)
		root[dl - 1] = '\0';
	rc = walk(root, NULL, 0, &pl, diags);
	if (rc == DL_ENOENT && pl.n == 0) {
		free(root);
		return rc;
	}
	if (pl.n > 0) {
		qsort(pl.v, pl.n, sizeof(*pl.v), str_cmp);
		v = xcalloc(pl.n, sizeof(*v));
	}
	for (i = 0; i < pl.n; i++) {
		char *path = xasprintf("%s/%s", root, pl.v[i]);
		char *want = xstrndup(pl.v[i], strlen(pl.v[i]) - 5);
		struct scenario *s = NULL;
		int r;

		r = scenario_load(path, fixtures_dir, &s, diags);
		if (r == 0 && strcmp(s->id, want) != 0) {
			r = dl_error(diags, path, s->id_pos.line,
			    s->id_pos.col, "id '%s' does not match the "
			    "file's path (expected '%s')", s->id, want);
			scenario_free(s);
		}
		if (r == 0)
			v[nv++] = s;
		else if (rc == 0 || r == DL_EINVAL)
			rc = DL_EINVAL;
		free(want);
		free(path);
	}
	strv_free(pl.v, pl.n);
	free(root);
	*out = v;
	*n = nv;
	return rc;
}

/* ---- queries ----------------------------------------------------------- */

/* Normalise a name given by a caller into buf; false if it cannot be. */
static bool
norm_query(const char *name, char *buf, size_t len)
{
	size_t i, n = strlen(name);

	if (n == 0 || n + 2 > len)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	if (n > 1 || buf[0] != '.') {
		if (buf[n - 1] != '.')
			buf[n++] = '.';
	}
	buf[n] = '\0';
	return true;
}

const struct scen_host *
scenario_host(const struct scenario *s, const char *name)
{
	char buf[SCEN_DNAME_MAX + 2];
	size_t i;

	if (s == NULL || name == NULL || !norm_query(name, buf, sizeof(buf)))
		return NULL;
	for (i = 0; i < s->n_hosts; i++)
		if (strcmp(s->hosts[i].name, buf) == 0)
			return &s->hosts[i];
	return NULL;
}

const char *
scen_host_base_domain(const struct scen_host *h)
{
	return h->cname != NULL && h->n_tlsa > 0 ? h->cname : h->name;
}

void
scen_host_sni_chain(const struct scen_host *h, const char *name,
    char ***chain, size_t *n)
{
	char buf[SCEN_DNAME_MAX + 2];
	size_t i;

	if (name == NULL || !norm_query(name, buf, sizeof(buf)))
		return;
	for (i = 0; i < h->n_sni; i++)
		if (strcmp(h->sni[i].name, buf) == 0) {
			*chain = h->sni[i].chain;
			*n = h->sni[i].n_chain;
			return;
		}
}

const struct scen_zone *
scenario_zone(const struct scenario *s, const char *name)
{
	char buf[SCEN_DNAME_MAX + 2];
	size_t i;

	if (s == NULL || name == NULL || !norm_query(name, buf, sizeof(buf)))
		return NULL;
	for (i = 0; i < s->n_zones; i++)
		if (strcmp(s->zones[i].name, buf) == 0)
			return &s->zones[i];
	return NULL;
}

const struct scen_zone *
scenario_zone_for(const struct scenario *s, const char *name)
{
	char buf[SCEN_DNAME_MAX + 2];
	const struct scen_zone *best = NULL;
	size_t i;

	if (s == NULL || name == NULL || !norm_query(name, buf, sizeof(buf)))
		return NULL;
	for (i = 0; i < s->n_zones; i++) {
		const struct scen_zone *z = &s->zones[i];

		if (!scen_dname_under(buf, z->name))
			continue;
		if (best == NULL || strlen(z->name) > strlen(best->name))
			best = z;
	}
	return best;
}

const struct scen_expect_policy *
scenario_expect(const struct scenario *s, enum scen_policy policy, int phase)
{
	int i;

	if (s == NULL || (unsigned)policy >= SCEN_POLICY_COUNT ||
	    phase < -1 || (phase >= 0 && (size_t)phase >= s->n_phases))
		return NULL;
	for (i = phase; i >= 0; i--)
		if (s->phases[i].expect.policy[policy].set)
			return &s->phases[i].expect.policy[policy];
	return &s->expect.policy[policy];
}

int
scenario_phase_index(const struct scenario *s, const char *name)
{
	size_t i;

	if (s == NULL || name == NULL)
		return -1;
	for (i = 0; i < s->n_phases; i++)
		if (strcmp(s->phases[i].name, name) == 0)
			return (int)i;
	return -1;
}
