/*
 * cli.c -- helpers shared by the verbs: finding and loading scenarios.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/cli.h"
#include "simulator/events/events.h"

/* A catalogue id: [a-z0-9-]+ segments joined by '/', no "..". */
static bool
cli_id_valid(const char *id)
{
	const char *p;
	bool seg_empty = true;

	if (*id == '\0' || strlen(id) > 200)
		return false;
	for (p = id; *p != '\0'; p++) {
		if (*p == '/') {
			if (seg_empty)
				return false;
			seg_empty = true;
		} else if ((*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-') {
			seg_empty = false;
		} else {
			return false;
		}
	}
	return !seg_empty;
}

int
cli_port(const struct cli_ctx *ctx, const char *verb, const char *opt,
    const char *arg, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0 || *arg == '\0' || *end != '\0' || v < 1 ||
	    v > 65535) {
		fprintf(stderr, "%s %s: --%s wants 1 to 65535, not '%s'\n",
		    ctx->prog, verb, opt, arg);
		return CLI_EXIT_USAGE;
	}
	*out = (uint16_t)v;
	return 0;
}

int
cli_size(const struct cli_ctx *ctx, const char *verb, const char *opt,
    const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	uint64_t unit = 1;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'k')
		unit = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		unit = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		unit = 1024 * 1024 * 1024, end++;
	if (errno != 0 || *arg < '0' || *arg > '9' || *end != '\0' ||
	    v > max / unit || v * unit < min || v * unit > max) {
		fprintf(stderr, "%s %s: --%s wants a size from %llu to %llu "
		    "bytes (a number, or with K, M or G: 64M), not '%s'\n",
		    ctx->prog, verb, opt, (unsigned long long)min,
		    (unsigned long long)max, arg);
		return CLI_EXIT_USAGE;
	}
	*out = v * unit;
	return 0;
}

bool
cli_events_end(const struct cli_ctx *ctx, const char *verb,
    const char *path, const struct evlog *log)
{
	char why[256];

	if (!evlog_trouble(log, why, sizeof(why)))
		return false;
	if (evlog_failed(log) != 0) {
		fprintf(stderr, "%s %s: error: %s: the event log %s; it "
		    "stopped at the first error, every line in it is whole\n",
		    ctx->prog, verb, path, why);
		return true;
	}
	fprintf(stderr, "%s %s: warning: %s: the event log %s; its last "
	    "event is log.truncated (--events-limit)\n", ctx->prog, verb,
	    path, why);
	return false;
}

int
cli_time_scale(const struct cli_ctx *ctx, const char *verb, const char *arg,
    double *out)
{
	if (scen_time_scale_parse(arg, out) != 0) {
		fprintf(stderr, "%s %s: --time-scale wants a plain decimal "
		    "number from %g to %g (2, 0.5), not '%s'\n", ctx->prog,
		    verb, SCEN_TIME_SCALE_MIN, SCEN_TIME_SCALE_MAX, arg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int
cli_scenario_scale(struct scenario *s, double f)
{
	struct dl_diags d;
	int rc;

	if (f == 1.0)
		return 0;
	dl_diags_init(&d);
	rc = scenario_time_scale(s, f, &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc != 0 ? CLI_EXIT_USAGE : 0;
}

int
cli_writable_add(const struct cli_ctx *ctx, const char *verb,
    const char *dir, const char **v, size_t *n, size_t max)
{
	/* One verb per process: the paths live as long as it does. */
	static char store[16][PATH_MAX];
	char *real;
	struct stat st;

	if (*n >= max || *n >= sizeof(store) / sizeof(store[0])) {
		fprintf(stderr, "%s %s: --writable %s: at most %zu "
		    "directories\n", ctx->prog, verb, dir, max);
		return CLI_EXIT_USAGE;
	}
	real = store[*n];
	if (realpath(dir, real) == NULL || stat(real, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s %s: --writable %s: not a directory\n",
		    ctx->prog, verb, dir);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(real, "/") == 0) {
		fprintf(stderr, "%s %s: --writable /: that is the whole host "
		    "(shell --writable-host)\n", ctx->prog, verb);
		return CLI_EXIT_USAGE;
	}
	v[(*n)++] = real;
	return 0;
}

bool
cli_dir_writable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    access(path, W_OK | X_OK) == 0;
}

static bool
is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Whether dir is a directory; if not, print why, naming it as the what
 * directory and where its path came from.
 */
static bool
data_dir_ok(const char *prog, const char *what, const char *dir,
    const char *origin)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			fprintf(stderr, "%s: the %s directory %s does not "
			    "exist (%s)\n", prog, what, dir, origin);
		else
			fprintf(stderr, "%s: the %s directory %s: %s (%s)\n",
			    prog, what, dir, strerror(errno), origin);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: the %s directory %s is not a directory "
		    "(%s)\n", prog, what, dir, origin);
		return false;
	}
	return true;
}

int
cli_data_check(const struct cli_ctx *ctx, enum danelab_data which)
{
	bool scen = which == DANELAB_DATA_SCENARIOS;

	return data_dir_ok(ctx->prog, danelab_data_name(which),
	    scen ? ctx->scenarios_dir : ctx->fixtures_dir,
	    scen ? ctx->scenarios_origin : ctx->fixtures_origin) ? 0 :
	    CLI_EXIT_USAGE;
}

int
cli_profile_find(const char *name, struct client_profile **out,
    struct dl_diags *diags)
{
	const char *env = getenv("DANELAB_CLIENTS"), *s;
	char dir[PATH_MAX];
	int rc;

	rc = profile_find(NULL, name, out, diags);
	if (rc != DL_ENOENT)
		return rc;
	/* As profile_find searches: $DANELAB_CLIENTS, then the built-in. */
	for (s = env != NULL ? env : ""; *s != '\0';) {
		size_t len = strcspn(s, ":");

		if (len > 0 && len < sizeof(dir)) {
			memcpy(dir, s, len);
			dir[len] = '\0';
			(void)data_dir_ok("danelab", "client profile", dir,
			    "set by DANELAB_CLIENTS");
		}
		s += len + (s[len] == ':');
	}
	(void)data_dir_ok("danelab", "client profile",
	    danelab_data_dir(DANELAB_DATA_CLIENTS), danelab_data_origin());
	return rc;
}

int
cli_scenario(struct cli_ctx *ctx, const char *arg, struct scenario **out)
{
	char path[PATH_MAX];
	struct dl_diags d;
	int rc;

	/* Every scenario names fixture certificates. */
	if (cli_data_check(ctx, DANELAB_DATA_FIXTURES) != 0)
		return CLI_EXIT_USAGE;
	if (is_regular_file(arg)) {
		snprintf(path, sizeof(path), "%s", arg);
	} else if (cli_id_valid(arg)) {
		if (cli_data_check(ctx, DANELAB_DATA_SCENARIOS) != 0)
			return CLI_EXIT_USAGE;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.yaml",
		    ctx->scenarios_dir, arg) >= sizeof(path) ||
		    !is_regular_file(path)) {
			fprintf(stderr, "%s: no scenario '%s' (not a file, and "
			    "no %s/%s.yaml); see '%s list'\n", ctx->prog, arg,
			    ctx->scenarios_dir, arg, ctx->prog);
			return CLI_EXIT_USAGE;
		}
	} else {
		fprintf(stderr, "%s: '%s' is neither a scenario file nor a "
		    "catalogue id\n", ctx->prog, arg);
		return CLI_EXIT_USAGE;
	}
	dl_diags_init(&d);
	rc = scenario_load(path, ctx->fixtures_dir, out, &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc == 0 ? 0 : CLI_EXIT_USAGE;
}

int
cli_catalogue(struct cli_ctx *ctx, struct scenario ***out, size_t *n)
{
	struct dl_diags d;
	int rc;

	*out = NULL;
	*n = 0;
	if (cli_data_check(ctx, DANELAB_DATA_SCENARIOS) != 0 ||
	    cli_data_check(ctx, DANELAB_DATA_FIXTURES) != 0)
		return CLI_EXIT_USAGE;
	dl_diags_init(&d);
	rc = scenario_load_dir(ctx->scenarios_dir, ctx->fixtures_dir, out, n,
	    &d);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	if (rc != 0) {
		scenario_list_free(*out, *n);
		*out = NULL;
		*n = 0;
		fprintf(stderr, "%s: the catalogue in %s has errors; run "
		    "'%s check'\n", ctx->prog, ctx->scenarios_dir, ctx->prog);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

const char *
cli_accept_text(enum scen_action primary, unsigned accept, char *buf,
    size_t len)
{
	char rest[128];
	unsigned others = accept & ~SCEN_ACT_BIT(primary);

	if (others == 0)
		snprintf(buf, len, "%s", scen_action_name(primary));
	else
		snprintf(buf, len, "%s|%s", scen_action_name(primary),
		    scen_accept_format(others, rest, sizeof(rest)));
	return buf;
}

int
cli_self_exe(const struct cli_ctx *ctx, const char *verb, char *buf,
    size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0) {
		fprintf(stderr, "%s %s: cannot find this executable: %s\n",
		    ctx->prog, verb, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	buf[n] = '\0';
	return 0;
}
