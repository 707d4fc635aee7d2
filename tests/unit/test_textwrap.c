/*
 * test_textwrap.c -- unit tests for simulator/util/textwrap.c: display
 * width of UTF-8, word wrapping with a hanging indentation at 40, 80
 * and 200 columns, words longer than a line, the terminal width.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "simulator/util/textwrap.h"

/* tw_put of s after a prefix already written (col = its width). */
static char *
wrap(const char *prefix, const char *s, size_t width, const char *cont)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	fputs(prefix, fp);
	tw_put(fp, s, tw_width(prefix, strlen(prefix)), width, cont);
	fclose(fp);
	return out;
}

/* Every line of text at most width columns. */
static void
assert_fits(const char *text, size_t width)
{
	const char *p = text, *nl;

	for (;;) {
		nl = strchr(p, '\n');
		if (tw_width(p, nl ? (size_t)(nl - p) : strlen(p)) > width)
			fail_msg("line over %zu columns: %.*s", width,
			    (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* text with every newline and blank run taken as one space. */
static char *
joined(const char *text, const char *cont)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *p = text;
	size_t cl = cont ? strlen(cont) : 0;

	assert_non_null(out);
	while (*p != '\0') {
		if (*p == '\n') {
			p++;
			if (cl > 0 && strncmp(p, cont, cl) == 0)
				p += cl;
			*o++ = ' ';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(tw_width("abc", 3), 3);
	/* é as one code point and as e + combining acute: one column */
	assert_int_equal(tw_width("\xc3\xa9", 2), 1);
	assert_int_equal(tw_width("e\xcc\x81", 3), 1);
	/* 日本: two wide characters */
	assert_int_equal(tw_width("\xe6\x97\xa5\xe6\x9c\xac", 6), 4);
	/* a stray continuation byte, and each byte of a truncated sequence */
	assert_int_equal(tw_width("\x80" "a\xe6\x97", 4), 4);
}

static const char *sentence =
    "RFC 7672 2.2: a host whose TLSA records are all unusable or do not "
    "match must not receive the message; try the next MX. See "
    "https://datatracker.ietf.org/doc/html/rfc7672#section-2.2 for more.";

static void
test_wrap_widths(void **state)
{
	static const size_t widths[] = { 40, 80, 200 };
	const char *cont = "               ";	/* under the field: 15 */
	char *out, *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		out = wrap("    rule:      ", sentence, widths[i], cont);
		assert_fits(out, widths[i]);
		j = joined(out, cont);
		if (widths[i] > 40) {
			/* Nothing lost, nothing cut: the words come back. */
			assert_string_equal(j + 15, sentence);
			/* The URL fits on a line of its own: not cut. */
			assert_non_null(strstr(out, "https://datatracker."
			    "ietf.org/doc/html/rfc7672#section-2.2"));
		} else {
			/* 57 columns of URL in 25: the only word cut. */
			assert_non_null(strstr(j, "See https://"));
			assert_non_null(strstr(j, " match must not receive "));
		}
		/* 15 + 191 columns: two lines at 200, the second short. */
		assert_non_null(strstr(out, "\n               "));
		if (widths[i] == 200)
			assert_string_equal(strchr(out, '\n'),
			    "\n               more.");
		free(j);
		free(out);
	}
}

static void
test_wrap_indent(void **state)
{
	char *out;

	(void)state;
	out = wrap("ab ", "one two three four", 12, "   ");
	assert_string_equal(out, "ab one two\n   three\n   four");
	free(out);
	/* A break eats the blanks there; the text's own leading ones stay. */
	out = wrap("| ", "  x     yyyyyy", 10, ": ");
	assert_string_equal(out, "|   x\n: yyyyyy");
	free(out);
	/* Trailing blanks are left out. */
	out = wrap("", "a b   ", 40, NULL);
	assert_string_equal(out, "a b");
	free(out);
	/* Tabs go to the next stop of 8. */
	out = wrap("", "a\tb", 40, NULL);
	assert_string_equal(out, "a       b");
	free(out);
}

static void
test_wrap_long_word(void **state)
{
	char word[101], *out;

	(void)state;
	memset(word, 'x', 100);
	word[100] = '\0';
	/* Longer than a whole line: cut, every piece as long as fits. */
	out = wrap("> ", word, 40, "  ");
	assert_fits(out, 40);
	assert_int_equal(strlen(out), 2 + 100 + 2 * (1 + 2));
	assert_memory_equal(out, "> xxxx", 6);
	free(out);
	/* Starts on the line it is on when there is room there. */
	out = wrap("> ", "short xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    40, "  ");
	assert_fits(out, 40);
	assert_memory_equal(out, "> short xxxx", 12);
	free(out);
}

static void
test_wrap_utf8(void **state)
{
	/* 30 wide characters (60 columns), one word: cut between them. */
	char s[128], *out, *p;
	size_t i, k = 0;

	(void)state;
	for (i = 0; i < 30; i++) {
		memcpy(s + k, "\xe6\x97\xa5", 3);
		k += 3;
	}
	s[k] = '\0';
	out = wrap("", s, 41, NULL);
	assert_fits(out, 41);
	/* 20 characters (40 columns) on the first line, not 20.5. */
	p = strchr(out, '\n');
	assert_non_null(p);
	assert_int_equal(p - out, 20 * 3);
	free(out);
	/* é and combining marks stay with their letter; columns counted. */
	out = wrap("", "caf\xc3\xa9 cafe\xcc\x81 na\xc3\xafve r\xc3\xa9sum\xc3\xa9",
	    11, NULL);
	assert_string_equal(out, "caf\xc3\xa9 cafe\xcc\x81\nna\xc3\xafve\n"
	    "r\xc3\xa9sum\xc3\xa9");
	free(out);
	/* A multi-byte character is never split by a cut. */
	out = wrap("", "aaaaaaaaa\xc3\xa9\xc3\xa9\xc3\xa9", 10, NULL);
	assert_string_equal(out, "aaaaaaaaa\xc3\xa9\n\xc3\xa9\xc3\xa9");
	free(out);
}

static void
test_columns(void **state)
{
	int fd[2];

	(void)state;
	assert_int_equal(pipe(fd), 0);
	unsetenv("COLUMNS");
	assert_int_equal(tw_columns(fd[1]), TW_DEFAULT_COLUMNS);
	setenv("COLUMNS", "132", 1);
	assert_int_equal(tw_columns(fd[1]), 132);
	setenv("COLUMNS", "5", 1);
	assert_int_equal(tw_columns(fd[1]), TW_MIN_COLUMNS);
	setenv("COLUMNS", "99999", 1);
	assert_int_equal(tw_columns(fd[1]), TW_MAX_COLUMNS);
	setenv("COLUMNS", "wide", 1);
	assert_int_equal(tw_columns(fd[1]), TW_DEFAULT_COLUMNS);
	unsetenv("COLUMNS");
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_wrap_widths),
		cmocka_unit_test(test_wrap_indent),
		cmocka_unit_test(test_wrap_long_word),
		cmocka_unit_test(test_wrap_utf8),
		cmocka_unit_test(test_columns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
