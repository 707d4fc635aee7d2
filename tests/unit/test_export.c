/*
 * test_export.c -- unit tests for simulator/export: the layout written,
 * the configurations' key lines, and that a failed export leaves nothing
 * behind.  (tests/integration/ serves exports with NSD and unbound.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "simulator/export/export.h"
#include "simulator/scenario/scenario.h"
#include "simulator/zone/world.h"

static char tmpdir[] = "/tmp/danelab-test-export-XXXXXX";

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL ? v : dflt;
}

static struct scenario *
load(const char *id)
{
	char path[1024];
	struct scenario *s = NULL;
	struct dl_diags d;

	snprintf(path, sizeof(path), "%s/../scenarios/%s.yaml",
	    env("DANELAB_TESTS", "tests"), id);
	dl_diags_init(&d);
	assert_int_equal(scenario_load(path, env("DANELAB_FIXTURES",
	    "fixtures"), &s, &d), 0);
	dl_diags_clear(&d);
	return s;
}

static bool
exists(const char *dir, const char *rel)
{
	char path[2048];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

/* The contents of dir/rel, NUL-terminated; caller frees. */
static char *
slurp(const char *dir, const char *rel)
{
	char path[2048], *buf;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fp = fopen(path, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_layout(void **state)
{
	struct scenario *s = load("control/valid-dane-ee");
	struct world_opts o = { .fixtures_dir = env("DANELAB_FIXTURES",
	    "fixtures"), .now = 0, .phase = -1 };
	struct world *w = NULL;
	struct dl_diags d;
	char dir[1024], *txt;
	size_t i;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), 0);
	snprintf(dir, sizeof(dir), "%s/ee", tmpdir);
	assert_int_equal(export_world(w, o.fixtures_dir, dir, &d), 0);
	assert_int_equal(d.errors, 0);

	assert_true(exists(dir, "zones/root.zone"));
	assert_true(exists(dir, "zones/net.zone"));
	assert_true(exists(dir, "zones/example.net.zone"));
	assert_true(exists(dir, "anchor/root.key"));
	assert_true(exists(dir, "anchor/root.ds"));
	assert_true(exists(dir, "anchor/trust-anchors.conf"));
	assert_true(exists(dir, "tls/mx1.example.net/chain.pem"));
	assert_true(exists(dir, "tls/mx1.example.net/key.pem"));
	assert_true(exists(dir, "tls/mx1.example.net/tlsa.txt"));
	assert_true(exists(dir, "unbound/unbound.conf"));
	assert_true(exists(dir, "unbound/root.hints"));
	assert_true(exists(dir, "start.sh"));
	assert_true(exists(dir, "stop.sh"));
	for (i = 0; i < w->n_zones; i++) {
		char rel[512];
		const char *n = w->zones[i].name;

		snprintf(rel, sizeof(rel), "nsd/%.*s.conf",
		    strcmp(n, ".") == 0 ? 4 : (int)strlen(n) - 1,
		    strcmp(n, ".") == 0 ? "root" : n);
		assert_true(exists(dir, rel));
		txt = slurp(dir, rel);
		/* Each NSD on its zone's own address, RRL off. */
		assert_non_null(strstr(txt, w->zones[i].ns_addr));
		assert_non_null(strstr(txt, "rrl-ratelimit: 0"));
		free(txt);
	}
	txt = slurp(dir, "unbound/root.hints");
	assert_non_null(strstr(txt, "127.53.0.1"));
	free(txt);
	txt = slurp(dir, "unbound/unbound.conf");
	assert_non_null(strstr(txt, "interface: 127.53.53.53"));
	assert_non_null(strstr(txt, "do-not-query-localhost: no"));
	free(txt);
	txt = slurp(dir, "anchor/trust-anchors.conf");
	assert_non_null(strstr(txt, ". static-key 257 3 13 \""));
	free(txt);

	/* Into a non-empty directory: refused, nothing touched. */
	assert_int_not_equal(export_world(w, o.fixtures_dir, dir, &d), 0);
	assert_true(exists(dir, "zones/root.zone"));

	dl_diags_clear(&d);
	world_free(w);
	scenario_free(s);
}

static void
test_failure_leaves_nothing(void **state)
{
	struct scenario *s = load("control/valid-dane-ee");
	struct world_opts o = { .fixtures_dir = env("DANELAB_FIXTURES",
	    "fixtures"), .now = 0, .phase = -1 };
	struct world *w = NULL;
	struct dl_diags d;
	char dir[1024], cmd[1200];
	char *saved;
	int rc;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(world_build(s, &o, &w, &d), 0);
	/* Make the chain unloadable: point the export at no fixtures. */
	snprintf(dir, sizeof(dir), "%s/fail", tmpdir);
	rc = export_world(w, "/nonexistent-fixtures", dir, &d);
	assert_int_not_equal(rc, 0);
	assert_true(d.errors > 0);
	assert_false(exists(tmpdir, "fail"));
	/* No temporary sibling left behind. */
	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q tmp-", tmpdir);
	assert_int_not_equal(system(cmd), 0);

	/* An empty target directory survives a failed export. */
	assert_int_equal(mkdir(dir, 0755), 0);
	rc = export_world(w, "/nonexistent-fixtures", dir, &d);
	assert_int_not_equal(rc, 0);
	assert_true(exists(tmpdir, "fail"));

	/* A parent that does not exist. */
	saved = dir;
	snprintf(saved, sizeof(dir), "%s/no/such/parent", tmpdir);
	assert_int_not_equal(export_world(w, o.fixtures_dir, saved, &d), 0);
	assert_false(exists(tmpdir, "no"));

	dl_diags_clear(&d);
	world_free(w);
	scenario_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_failure_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
