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

#endif /* DL_UTIL_FMT_H */
