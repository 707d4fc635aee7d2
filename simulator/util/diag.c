/*
 * diag.c -- collecting and printing diagnostics (see diag.h).
 */
#include "simulator/util/diag.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/xmem.h"

const char *
dl_strerror(int code)
{
	switch (code) {
	case DL_OK:
		return "success";
	case DL_ENOMEM:
		return "out of memory";
	case DL_EIO:
		return "input/output error";
	case DL_ENOENT:
		return "not found";
	case DL_EINVAL:
		return "invalid input";
	case DL_ERANGE:
		return "value out of range";
	case DL_ECRYPTO:
		return "cryptographic operation failed";
	case DL_EDNS:
		return "DNS data error";
	case DL_ELIMIT:
		return "too many diagnostics";
	default:
		return "unknown error";
	}
}

void
dl_diags_init(struct dl_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
dl_diags_clear(struct dl_diags *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	dl_diags_init(d);
}

int
dl_diag_vadd(struct dl_diags *d, enum dl_diag_level level, const char *file,
    unsigned line, unsigned col, const char *fmt, va_list ap)
{
	int rc = level == DL_DIAG_ERROR ? DL_EINVAL : 0;
	struct dl_diag *g;

	if (d == NULL)
		return rc;
	if (level == DL_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= DL_DIAGS_MAX) {
		d->dropped++;
		return rc;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;

		d->v = xreallocarray(d->v, ncap, sizeof(*d->v));
		d->cap = ncap;
	}
	g = &d->v[d->n++];
	g->level = level;
	g->file = file ? xstrdup(file) : NULL;
	g->line = line;
	g->col = col;
	g->msg = xvasprintf(fmt, ap);
	return rc;
}

int
dl_diag_add(struct dl_diags *d, enum dl_diag_level level, const char *file,
    unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = dl_diag_vadd(d, level, file, line, col, fmt, ap);
	va_end(ap);
	return rc;
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct dl_diag *x = a, *y = b;
	int c;

	c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
	if (c != 0)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	/* Keep insertion order for equal positions (address order). */
	return x < y ? -1 : x > y;
}

void
dl_diag_format(const struct dl_diag *g, char *buf, size_t len)
{
	const char *lvl = g->level == DL_DIAG_ERROR ? "error" : "warning";

	if (g->file != NULL && g->line > 0)
		snprintf(buf, len, "%s:%u:%u: %s: %s", g->file, g->line,
		    g->col ? g->col : 1, lvl, g->msg);
	else if (g->file != NULL)
		snprintf(buf, len, "%s: %s: %s", g->file, lvl, g->msg);
	else
		snprintf(buf, len, "%s: %s", lvl, g->msg);
}

void
dl_diags_print(struct dl_diags *d, FILE *fp)
{
	char buf[2048];
	size_t i;

	/*
	 * qsort is not stable, but diag_cmp falls back to the array
	 * position, which is the insertion order.
	 */
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
	for (i = 0; i < d->n; i++) {
		dl_diag_format(&d->v[i], buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
	if (d->dropped > 0)
		fprintf(fp, "note: %zu further diagnostics not shown\n",
		    d->dropped);
}
