/*
 * diag.h -- diagnostics and error codes shared by every danelab module.
 *
 * A function that can fail returns an int: 0 on success or a negative
 * DL_E* code.  Detail about what went wrong, and where, is added to a
 * caller-supplied struct dl_diags, which collects every finding (errors
 * and warnings) so that a checker can report all problems, not just the
 * first.  Diagnostics are formatted as "file:line:col: error: message".
 *
 * Library code never prints; the program level prints the list once.
 */
#ifndef DL_UTIL_DIAG_H
#define DL_UTIL_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Error codes, mirroring errno where one fits (Knot style). */
enum {
	DL_OK = 0,
	DL_ENOMEM = -12,	/* out of memory */
	DL_EIO = -5,		/* read/write failure */
	DL_ENOENT = -2,		/* file or object not found */
	DL_EINVAL = -22,	/* invalid input (details in diags) */
	DL_ERANGE = -34,	/* value or count out of bounds */
	DL_ECRYPTO = -1001,	/* OpenSSL or ldns crypto failure */
	DL_EDNS = -1002,	/* ldns wire/zone failure */
	DL_ELIMIT = -1003,	/* too many diagnostics */
};

/* Return a static description of a DL_E* code. */
const char *dl_strerror(int code);

enum dl_diag_level {
	DL_DIAG_WARNING,
	DL_DIAG_ERROR,
};

/* One finding.  line and col are 1-based; 0 means "unknown". */
struct dl_diag {
	enum dl_diag_level level;
	char *file;		/* owned */
	unsigned line;
	unsigned col;
	char *msg;		/* owned */
};

/* Upper bound on findings kept per list; more are counted, not stored. */
#define DL_DIAGS_MAX 1000

struct dl_diags {
	struct dl_diag *v;	/* owned array of n entries */
	size_t n;
	size_t cap;
	size_t errors;		/* total errors, including dropped ones */
	size_t warnings;
	size_t dropped;
};

void dl_diags_init(struct dl_diags *d);
void dl_diags_clear(struct dl_diags *d);

/*
 * Add a finding.  file may be NULL.  d may be NULL (then nothing is
 * recorded).  Returns DL_EINVAL for an error, 0 for a warning, so that
 * "return dl_diag_add(...)" reads naturally at an error site.
 */
int dl_diag_add(struct dl_diags *d, enum dl_diag_level level, const char *file,
    unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int dl_diag_vadd(struct dl_diags *d, enum dl_diag_level level,
    const char *file, unsigned line, unsigned col, const char *fmt,
    va_list ap) __attribute__((format(printf, 6, 0)));

/* Shorthands. */
#define dl_error(d, file, line, col, ...) \
	dl_diag_add((d), DL_DIAG_ERROR, (file), (line), (col), __VA_ARGS__)
#define dl_warn(d, file, line, col, ...) \
	dl_diag_add((d), DL_DIAG_WARNING, (file), (line), (col), __VA_ARGS__)

/*
 * Sort findings by file, line, column (stable) and print them to fp, one
 * per line, "file:line:col: level: msg".  Missing parts are left out.
 */
void dl_diags_print(struct dl_diags *d, FILE *fp);

/* Format one finding into buf (always NUL-terminated). */
void dl_diag_format(const struct dl_diag *g, char *buf, size_t len);

#endif /* DL_UTIL_DIAG_H */
