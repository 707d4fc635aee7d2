/*
 * profile_render.c -- templates of a client profile to the argv,
 * environment and configuration files of one client run, and whether
 * the client is installed at all.
 *
 * Owns: the template language ("{var}", "{{", "}}"), its variable
 * names, bounded rendering, writing config files into the cell
 * directory without following links or replacing files, and the PATH
 * search of profile_available (no shell, no exec).  Does not own:
 * starting the client (harness/run/).
 */
#include "harness/clients/profile_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simulator/util/xmem.h"

const char *const profile_var_names[] = {
	"domain", "policy", "danelab", "resolver", "anchor", "anchor_ds",
	"anchor_conf", "mail_config", "dir", "mx1", "from", "rcpt", "message",
	"phase", "scenario", NULL
};

#define PROFILE_MAX_VAR 32	/* length of a variable name */

/*
 * The value of variable name (len bytes); NULL if there is none.
 * "env:NAME" is danelab's own environment variable NAME (empty when
 * unset): how a profile finds a client installed off PATH
 * ({env:DANELAB_EXIM}).
 */
static const char *
var_value(const struct profile_vars *v, const char *name, size_t len,
    bool *known)
{
	const char *const vals[] = {
		v->domain, v->policy, v->danelab, v->resolver, v->anchor,
		v->anchor_ds, v->anchor_conf, v->mail_config, v->dir, v->mx1,
		v->from, v->rcpt, v->message, v->phase, v->scenario
	};
	char env[PROFILE_MAX_VAR + 1];
	const char *e;
	size_t i;

	if (len > 4 && memcmp(name, "env:", 4) == 0) {
		if (len - 4 > PROFILE_MAX_VAR)
			goto unknown;
		for (i = 4; i < len; i++)
			if (!((name[i] >= 'A' && name[i] <= 'Z') ||
			    (name[i] >= 'a' && name[i] <= 'z') ||
			    (name[i] >= '0' && name[i] <= '9') ||
			    name[i] == '_') || (i == 4 && name[i] >= '0' &&
			    name[i] <= '9'))
				goto unknown;
		memcpy(env, name + 4, len - 4);
		env[len - 4] = '\0';
		*known = true;
		/* Checking only (no variables): the environment is not read. */
		if (v->dir == NULL && v->domain == NULL)
			return "";
		e = getenv(env);
		return e != NULL ? e : "";
	}
	for (i = 0; profile_var_names[i] != NULL; i++)
		if (strlen(profile_var_names[i]) == len &&
		    memcmp(profile_var_names[i], name, len) == 0) {
			*known = true;
			return vals[i] ? vals[i] : "";
		}
unknown:
	*known = false;
	return NULL;
}

/*
 * Walk template t, calling out for each literal run and each variable.
 * vars NULL: checking only.  Returns 0, DL_EINVAL (why filled), or
 * DL_ERANGE when the output would pass max bytes.
 */
static int
template_walk(const char *t, const struct profile_vars *vars, char *buf,
    size_t max, size_t *outlen, char *why, size_t wlen)
{
	static const struct profile_vars none;
	size_t o = 0, i = 0;

	if (vars == NULL)
		vars = &none;
	while (t[i] != '\0') {
		const char *piece;
		size_t plen;

		if (t[i] == '{' && t[i + 1] == '{') {
			piece = "{";
			plen = 1;
			i += 2;
		} else if (t[i] == '}' && t[i + 1] == '}') {
			piece = "}";
			plen = 1;
			i += 2;
		} else if (t[i] == '}') {
			snprintf(why, wlen,
			    "single '}' at offset %zu (write '}}' for a "
			    "literal brace)", i);
			return DL_EINVAL;
		} else if (t[i] == '{') {
			const char *end = strchr(t + i + 1, '}');
			size_t nlen;
			bool known;

			if (end == NULL) {
				snprintf(why, wlen,
				    "unclosed '{' at offset %zu (write '{{' "
				    "for a literal brace)", i);
				return DL_EINVAL;
			}
			nlen = (size_t)(end - (t + i + 1));
			piece = var_value(vars, t + i + 1, nlen, &known);
			if (!known) {
				snprintf(why, wlen,
				    "unknown template variable '{%.*s}'",
				    (int)(nlen > PROFILE_MAX_VAR ?
				    PROFILE_MAX_VAR : nlen), t + i + 1);
				return DL_EINVAL;
			}
			plen = strlen(piece);
			i += nlen + 2;
		} else {
			piece = t + i;
			plen = strcspn(t + i, "{}");
			i += plen;
		}
		if (buf != NULL) {
			if (plen > max - o)
				return DL_ERANGE;
			memcpy(buf + o, piece, plen);
		}
		o += plen;
	}
	if (buf != NULL)
		buf[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

int
profile_template_check(const char *t, char *why, size_t len)
{
	return template_walk(t, NULL, NULL, 0, NULL, why, len);
}

/* Render t into a new string of at most max bytes. */
static int
render_one(const char *t, const struct profile_vars *v, size_t max,
    char **out)
{
	char why[128];
	char *buf = xmalloc(max + 1);
	int rc;

	rc = template_walk(t, v, buf, max, NULL, why, sizeof(why));
	if (rc != 0) {
		free(buf);
		return rc == DL_ERANGE ? DL_ERANGE : DL_EINVAL;
	}
	*out = buf;
	return 0;
}

int
profile_render_strv(const struct client_profile *p, char *const *tmpl,
    size_t n, const struct profile_vars *v, const char *what, char ***out,
    struct dl_diags *diags)
{
	char **r = xcalloc(n + 1, sizeof(*r));
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = render_one(tmpl[i], v, PROFILE_MAX_RENDERED, &r[i]);
		if (rc != 0) {
			if (rc == DL_ERANGE)
				dl_error(diags, p->file, 0, 0,
				    "%s %zu ('%.40s') is longer than %d bytes "
				    "once rendered", what, i, tmpl[i],
				    PROFILE_MAX_RENDERED);
			else
				dl_error(diags, p->file, 0, 0,
				    "%s %zu ('%.40s') is not a valid template",
				    what, i, tmpl[i]);
			profile_strv_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

int
profile_render_argv(const struct client_profile *p,
    const struct profile_vars *v, char ***argv_out, struct dl_diags *diags)
{
	return profile_render_strv(p, p->argv, p->argc, v, "argument",
	    argv_out, diags);
}

int
profile_render_env(const struct client_profile *p,
    const struct profile_vars *v, char ***env_out, struct dl_diags *diags)
{
	return profile_render_strv(p, p->env, p->n_env, v,
	    "environment entry", env_out, diags);
}

void
profile_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, s, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Open dir/rel for writing (O_EXCL), making its missing subdirectories
 * (0700) on the way, never through a symbolic link: every component is
 * opened relative to its parent with O_NOFOLLOW.  The loader refused
 * "..", "." and empty components.
 */
static int
open_below(const char *dir, const char *rel, unsigned mode)
{
	char comp[256];
	const char *s = rel, *slash;
	int dfd, nfd, fd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (dfd >= 0 && (slash = strchr(s, '/')) != NULL) {
		size_t len = (size_t)(slash - s);

		if (len == 0 || len >= sizeof(comp)) {
			close(dfd);
			errno = EINVAL;
			return -1;
		}
		memcpy(comp, s, len);
		comp[len] = '\0';
		if (mkdirat(dfd, comp, 0700) != 0 && errno != EEXIST) {
			close(dfd);
			return -1;
		}
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(dfd);
		dfd = nfd;
		s = slash + 1;
	}
	if (dfd < 0)
		return -1;
	fd = openat(dfd, s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, (mode_t)mode);
	close(dfd);
	/* The umask must not take the mode the profile asked for. */
	if (fd >= 0 && fchmod(fd, (mode_t)mode) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
profile_render_files(const struct client_profile *p,
    const struct profile_vars *v, struct dl_diags *diags)
{
	size_t i;

	for (i = 0; i < p->n_files; i++) {
		const struct profile_file *f = &p->files[i];
		char *text, *path;
		int fd, rc;

		if (f->raw)
			text = xstrdup(f->text);
		else if ((rc = render_one(f->text, v, PROFILE_MAX_FILE,
		    &text)) != 0) {
			dl_error(diags, p->file, 0, 0,
			    "file '%s' is longer than %d bytes once rendered",
			    f->path, PROFILE_MAX_FILE);
			return rc;
		}
		path = xasprintf("%s/%s", v->dir ? v->dir : ".", f->path);
		fd = open_below(v->dir ? v->dir : ".", f->path,
		    f->mode ? f->mode : 0600);
		if (fd < 0 || write_all(fd, text, strlen(text)) != 0 ||
		    close(fd) != 0) {
			dl_error(diags, path, 0, 0, "cannot write: %s",
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			free(text);
			free(path);
			return DL_EIO;
		}
		free(text);
		free(path);
	}
	return 0;
}

/* Whether prog is an executable regular file (found through PATH). */
static bool
find_program(const char *prog)
{
	const char *path, *s;
	struct stat st;
	char buf[4096];

	if (prog[0] == '\0')
		return false;
	if (strchr(prog, '/') != NULL)
		return stat(prog, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(prog, X_OK) == 0;
	path = getenv("PATH");
	if (path == NULL || path[0] == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (s = path;; ) {
		size_t dl = strcspn(s, ":");
		int n;

		/* An empty PATH element is the current directory. */
		n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)(dl ? dl : 1),
		    dl ? s : ".", prog);
		if (n > 0 && (size_t)n < sizeof(buf) && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return true;
		if (s[dl] == '\0')
			break;
		s += dl + 1;
	}
	return false;
}

/* The first "{env:NAME}" of t whose NAME is not set: NAME...; or NULL. */
static const char *
unset_env(const char *t)
{
	const char *q;
	char name[PROFILE_MAX_VAR + 1];
	size_t n;

	for (q = t; (q = strstr(q, "{env:")) != NULL; q += 5) {
		n = strcspn(q + 5, "}");
		if (n == 0 || n > PROFILE_MAX_VAR)
			continue;
		memcpy(name, q + 5, n);
		name[n] = '\0';
		if (getenv(name) == NULL)
			return q + 5;
	}
	return NULL;
}

bool
profile_available(const struct client_profile *p, char *why, size_t len)
{
	static const struct profile_vars envonly = { .domain = "" };
	size_t i;

	for (i = 0; i < p->n_requires; i++) {
		char *prog = NULL;
		bool ok;

		/* Only {env:NAME} means anything here. */
		if (render_one(p->requires[i], &envonly, PROFILE_MAX_RENDERED,
		    &prog) != 0)
			prog = xstrdup(p->requires[i]);
		ok = find_program(prog);
		if (!ok && why != NULL && len > 0) {
			const char *unset = unset_env(p->requires[i]);

			if (unset != NULL)
				snprintf(why, len, "%s not installed (%s; "
				    "$%.*s is not set: see the profile's "
				    "description)", prog, strchr(prog, '/') ?
				    "not an executable file" : "not in PATH",
				    (int)strcspn(unset, "}"), unset);
			else
				snprintf(why, len, "%s not installed (%s)",
				    prog, strchr(prog, '/') ?
				    "not an executable file" : "not in PATH");
		}
		free(prog);
		if (!ok)
			return false;
	}
	if (why != NULL && len > 0)
		why[0] = '\0';
	return true;
}
