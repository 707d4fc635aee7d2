/*
 * fmt.h -- bounded formatting into fixed buffers.
 */
#ifndef DL_UTIL_FMT_H
#define DL_UTIL_FMT_H

#include <stddef.h>

/*
 * snprintf that reports truncation: returns 0, or DL_ERANGE when the
 * result did not fit (buf then holds a truncated, terminated string).
 */
int fmt_buf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Text that lands in a generated file (a script, a server configuration)
 * is either refused or quoted for the syntax it lands in; these are the
 * two halves.  Which one a target uses is decided, and said, where the
 * file is written (export.c).
 */

/*
 * Offset of the first byte of s that a target cannot carry, or -1 if
 * there is none: a control character (0x00-0x1f, 0x7f: a newline ends a
 * configuration line or a shell comment) always, and any byte of
 * also_bad (may be NULL).
 */
long fmt_find_unsafe(const char *s, const char *also_bad);

/*
 * Offset of the first byte of s that is neither an ASCII letter or digit
 * nor one of also_ok, or -1: for text refused unless it is plainly safe.
 */
long fmt_find_not_plain(const char *s, const char *also_ok);

/*
 * A name for byte c in a diagnostic ("a newline", "'\"'", "byte 0x07")
 * into buf (at least 16 bytes).  Returns buf.
 */
const char *fmt_char_name(unsigned char c, char *buf, size_t len);

/*
 * s as one word of POSIX sh: between single quotes, each ' written as
 * '\'' (the only character a single-quoted string cannot hold), into
 * buf.  Any byte, a newline included, survives.  Returns 0, or
 * DL_ERANGE when the result did not fit (buf then holds "").
 */
int fmt_sh_quote(char *buf, size_t len, const char *s);

#endif /* DL_UTIL_FMT_H */
