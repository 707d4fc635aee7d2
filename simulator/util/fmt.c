/*
 * fmt.c -- bounded formatting (see fmt.h).
 */
#include "simulator/util/fmt.h"

#include <stdarg.h>
#include <stdio.h>

#include "simulator/util/diag.h"

int
fmt_buf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? DL_ERANGE : 0;
}
