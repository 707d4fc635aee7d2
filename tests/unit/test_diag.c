/*
 * test_diag.c -- unit tests for simulator/util/diag.c, and fmt.c's
 * checking and quoting of text for generated files, and ytree_quote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simulator/util/diag.h"
#include "simulator/util/fmt.h"
#include "simulator/util/ytree.h"

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

/* What sh makes of a quoted word is checked by export-errors; here the
 * exact text. */
static void
test_sh_quote(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", "''"},
	    {"/tmp/x", "'/tmp/x'"},
	    {"it's", "'it'\\''s'"},
	    {"'", "''\\'''"},
	    {"a b$HOME\\`id`\"", "'a b$HOME\\`id`\"'"},
	    {"ok\ntouch INJ\n#", "'ok\ntouch INJ\n#'"},
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    fmt_sh_quote(buf, sizeof(buf), cases[i].in), 0);
		assert_string_equal(buf, cases[i].out);
	}
	/* Exactly fits: 'abc' is 6 bytes with the NUL; one less fails. */
	assert_int_equal(fmt_sh_quote(buf, 6, "abc"), 0);
	assert_int_equal(fmt_sh_quote(buf, 5, "abc"), DL_ERANGE);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_sh_quote(buf, 2, ""), DL_ERANGE);
	/* A quote takes four bytes: never half of '\''. */
	assert_int_equal(fmt_sh_quote(buf, 7, "''"), DL_ERANGE);
	assert_int_equal(fmt_sh_quote(buf, 11, "''"), 0);
	assert_string_equal(buf, "''\\'''\\'''");
}

static void
test_find_unsafe(void **state)
{
	char c[16];

	(void)state;
	assert_int_equal(fmt_find_unsafe("/tmp/a b'$\\`", "\""), -1);
	assert_int_equal(fmt_find_unsafe("/tmp/a\"b", "\""), 6);
	assert_int_equal(fmt_find_unsafe("/tmp/a\"b", NULL), -1);
	assert_int_equal(fmt_find_unsafe("ok\ntouch", NULL), 2);
	assert_int_equal(fmt_find_unsafe("a\x7f", NULL), 1);
	assert_int_equal(fmt_find_unsafe("\x01", ""), 0);
	/* UTF-8 is carried: only ASCII controls are refused. */
	assert_int_equal(fmt_find_unsafe("/tmp/caf\xc3\xa9", "\""), -1);
	assert_int_equal(fmt_find_not_plain("/tmp/a_b-1.2+x", "/_.+-"), -1);
	assert_int_equal(fmt_find_not_plain("/tmp/a b", "/_.+-"), 6);
	assert_int_equal(fmt_find_not_plain("/tmp/$x", "/_.+-"), 5);
	assert_int_equal(fmt_find_not_plain("/tmp/caf\xc3\xa9", "/"), 8);
	assert_string_equal(fmt_char_name('\n', c, sizeof(c)), "a newline");
	assert_string_equal(fmt_char_name('"', c, sizeof(c)), "'\"'");
	assert_string_equal(fmt_char_name(0x7f, c, sizeof(c)), "byte 0x7f");
}

/* Text quoted back from an input file: escaped, bounded, whole UTF-8. */
static void
test_ytree_quote(void **state)
{
	char buf[YTREE_QUOTE_MAX], big[400];
	size_t i;

	(void)state;
	assert_string_equal(
	    ytree_quote("a\nb'\\", buf, sizeof(buf)), "a\\x0ab\\'\\\\");
	/* U+009B (CSI) is a C1 control: escaped, not passed on. */
	assert_string_equal(ytree_quote("x\xc2\x9b"
					"31m",
				buf, sizeof(buf)),
	    "x\\u009b31m");
	assert_string_equal(
	    ytree_quote("caf\xc3\xa9", buf, sizeof(buf)), "caf\xc3\xa9");
	/* Long text: cut, never mid-sequence, within the buffer. */
	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	ytree_quote(big, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
	assert_true(
	    strlen(buf) > 3 && strcmp(buf + strlen(buf) - 3, "...") == 0);
	assert_int_equal((strlen(buf) - 3) % 2, 0);
	for (i = 0; i + 2 < sizeof(big); i++)
		big[i] = '\x01';
	big[i] = '\0';
	ytree_quote(big, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
	memset(big, 0, sizeof(big));
	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc2\x85", 2);
	ytree_quote(big, buf, sizeof(buf));
	assert_true(strlen(buf) < sizeof(buf));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_counts),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_print_sorted),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_sh_quote),
	    cmocka_unit_test(test_find_unsafe),
	    cmocka_unit_test(test_ytree_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
