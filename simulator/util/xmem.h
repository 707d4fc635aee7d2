/*
 * xmem.h -- allocation helpers that abort on out-of-memory.
 *
 * danelab is a test tool working on small inputs; running out of memory
 * is not a condition it tries to survive, so these helpers print a
 * message and abort() instead of threading DL_ENOMEM through every
 * caller.  Sizes are overflow-checked.
 */
#ifndef DL_UTIL_XMEM_H
#define DL_UTIL_XMEM_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

#endif /* DL_UTIL_XMEM_H */
