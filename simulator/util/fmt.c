/*
 * fmt.c -- bounded formatting (see fmt.h).
 */
#include "simulator/util/fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

long
fmt_find_unsafe(const char *s, const char *also_bad)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f ||
		    (also_bad != NULL && strchr(also_bad, c) != NULL))
			return (long)i;
	}
	return -1;
}

long
fmt_find_not_plain(const char *s, const char *also_ok)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || strchr(also_ok, c) != NULL))
			return (long)i;
	}
	return -1;
}

const char *
fmt_char_name(unsigned char c, char *buf, size_t len)
{
	if (c == '\n')
		snprintf(buf, len, "a newline");
	else if (c == '\t')
		snprintf(buf, len, "a tab");
	else if (c < 0x20 || c >= 0x7f)
		snprintf(buf, len, "byte 0x%02x", c);
	else
		snprintf(buf, len, "'%c'", c);
	return buf;
}

int
fmt_sh_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3)
		goto toolong;
	buf[o++] = '\'';
	for (; *s != '\0'; s++) {
		/* Room for this byte (4 for '\'') and the closing quote
		 * with its NUL. */
		if (o + (*s == '\'' ? 4 : 1) + 2 > len)
			goto toolong;
		if (*s == '\'') {
			memcpy(buf + o, "'\\''", 4);
			o += 4;
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return 0;
toolong:
	if (len > 0)
		buf[0] = '\0';
	return DL_ERANGE;
}
