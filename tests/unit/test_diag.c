/*
 * test_diag.c -- unit tests for simulator/util/diag.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simulator/util/diag.h"

static void
test_add_counts(void **state)
{
	struct dl_diags d;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(dl_error(&d, "a.yaml", 3, 4, "bad %s", "thing"),
	    DL_EINVAL);
	assert_int_equal(dl_warn(&d, "a.yaml", 1, 2, "meh"), 0);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.n, 2);
	dl_diags_clear(&d);
	assert_int_equal(d.n, 0);
}

static void
test_format(void **state)
{
	struct dl_diags d;
	char buf[256];

	(void)state;
	dl_diags_init(&d);
	dl_error(&d, "x/y.yaml", 12, 7, "unknown key '%s'", "foo");
	dl_diag_format(&d.v[0], buf, sizeof(buf));
	assert_string_equal(buf, "x/y.yaml:12:7: error: unknown key 'foo'");
	dl_warn(&d, "x/y.yaml", 0, 0, "no position");
	dl_diag_format(&d.v[1], buf, sizeof(buf));
	assert_string_equal(buf, "x/y.yaml: warning: no position");
	dl_diags_clear(&d);
}

static void
test_print_sorted(void **state)
{
	struct dl_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	dl_diags_init(&d);
	dl_error(&d, "f", 9, 1, "third");
	dl_error(&d, "f", 2, 5, "second");
	dl_error(&d, "f", 2, 1, "first");
	fp = open_memstream(&out, &len);
	assert_non_null(fp);
	dl_diags_print(&d, fp);
	fclose(fp);
	assert_string_equal(out, "f:2:1: error: first\n"
	    "f:2:5: error: second\n"
	    "f:9:1: error: third\n");
	free(out);
	dl_diags_clear(&d);
}

static void
test_bounded(void **state)
{
	struct dl_diags d;
	size_t i;

	(void)state;
	dl_diags_init(&d);
	for (i = 0; i < DL_DIAGS_MAX + 10; i++)
		dl_error(&d, "f", 1, 1, "e%zu", i);
	assert_int_equal(d.n, DL_DIAGS_MAX);
	assert_int_equal(d.dropped, 10);
	assert_int_equal(d.errors, DL_DIAGS_MAX + 10);
	dl_diags_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_counts),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_print_sorted),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
