/*
 * testutil.h -- what the cmocka unit tests share: reading and writing
 * whole text files, diagnostics as the text `danelab` would print.
 * Include after <cmocka.h>.  Test code only: the functions are static.
 */
#ifndef DL_TESTS_UNIT_TESTUTIL_H
#define DL_TESTS_UNIT_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "simulator/util/diag.h"

/*
 * The whole file at path (malloc'd, NUL-terminated; *len its length if
 * len is not NULL), or NULL if it cannot be opened.
 */
static __attribute__((unused)) char *
tu_read_text(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	assert_true(n >= 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static __attribute__((unused)) void
tu_write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* The diagnostics as dl_diags_print() writes them (malloc'd). */
static __attribute__((unused)) char *
tu_diags_text(struct dl_diags *d)
{
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	/* dl_diags_print() passes a NULL array to qsort() when empty. */
	if (d->n > 0 || d->dropped > 0)
		dl_diags_print(d, fp);
	fclose(fp);
	return out;
}

#endif /* DL_TESTS_UNIT_TESTUTIL_H */
