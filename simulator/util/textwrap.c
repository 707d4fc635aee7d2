/*
 * textwrap.c -- terminal width, display width of UTF-8, word wrapping
 * with a hanging indentation (textwrap.h).
 *
 * Display width without the C library's wcwidth: that one depends on
 * the locale (danelab never calls setlocale, so it would see "C" and
 * count every byte), while report text is always UTF-8.  The table
 * below is the East Asian wide ranges and the combining marks that
 * occur in practice, not all of Unicode: a rare character counted
 * wrong makes one line a column too long or short, nothing worse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "simulator/util/textwrap.h"

struct tw_range {
	uint32_t lo, hi;
};

static const struct tw_range tw_zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x0610, 0x061a }, { 0x064b, 0x065f }, { 0x1ab0, 0x1aff },
	{ 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x2060, 0x2064 },
	{ 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff },
};

static const struct tw_range tw_wide[] = {
	{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
	{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
	{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static bool
tw_in(const struct tw_range *r, size_t n, uint32_t cp)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}

/*
 * The code point at s (n > 0 bytes left) into *cp; returns its length.
 * A byte that does not start a valid sequence is one character alone.
 */
static size_t
tw_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n) {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
}

static size_t
tw_cp_width(uint32_t cp)
{
	if (tw_in(tw_zero, sizeof(tw_zero) / sizeof(tw_zero[0]), cp))
		return 0;
	if (tw_in(tw_wide, sizeof(tw_wide) / sizeof(tw_wide[0]), cp))
		return 2;
	return 1;
}

size_t
tw_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, k;
	uint32_t cp;

	while (n > 0) {
		k = tw_decode(p, n, &cp);
		w += tw_cp_width(cp);
		p += k;
		n -= k;
	}
	return w;
}

size_t
tw_columns(int fd)
{
	struct winsize ws;
	const char *env;
	char *end;
	unsigned long v = 0;

	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		v = ws.ws_col;
	else if ((env = getenv("COLUMNS")) != NULL && *env >= '0' &&
	    *env <= '9') {
		v = strtoul(env, &end, 10);
		if (*end != '\0')
			v = 0;
	}
	if (v == 0)
		return TW_DEFAULT_COLUMNS;
	if (v < TW_MIN_COLUMNS)
		return TW_MIN_COLUMNS;
	return v > TW_MAX_COLUMNS ? TW_MAX_COLUMNS : v;
}

/* Where the blanks b[0..n) take the cursor from col (tabs to stops). */
static size_t
tw_blanks_end(const char *b, size_t n, size_t col)
{
	size_t i;

	for (i = 0; i < n; i++)
		col = b[i] == '\t' ? (col / TW_TAB + 1) * TW_TAB : col + 1;
	return col;
}

struct tw_out {
	FILE *fp;
	const char *cont;
	size_t contw;
	size_t col;
	bool empty;	/* nothing of ours on this line yet */
	bool broken;	/* a line we started (not the caller's) */
};

static void
tw_newline(struct tw_out *o)
{
	fputc('\n', o->fp);
	if (o->cont != NULL)
		fputs(o->cont, o->fp);
	o->col = o->contw;
	o->empty = true;
	o->broken = true;
}

static void
tw_spaces(struct tw_out *o, size_t to)
{
	for (; o->col < to; o->col++)
		fputc(' ', o->fp);
}

/* A word too long for any line: character by character, cut to fit. */
static void
tw_cut(struct tw_out *o, const char *w, size_t n, size_t width)
{
	const unsigned char *p = (const unsigned char *)w;
	size_t k, cw;
	uint32_t cp;

	while (n > 0) {
		k = tw_decode(p, n, &cp);
		cw = tw_cp_width(cp);
		if (o->col + cw > width && !o->empty)
			tw_newline(o);
		fwrite(p, 1, k, o->fp);
		o->col += cw;
		o->empty = false;
		p += k;
		n -= k;
	}
}

void
tw_put(FILE *fp, const char *s, size_t col, size_t width, const char *cont)
{
	struct tw_out o;
	const char *b, *w;
	size_t nb, nw, ww, after;

	o.fp = fp;
	o.cont = cont;
	o.contw = cont != NULL ? tw_width(cont, strlen(cont)) : 0;
	if (o.contw >= width) {
		o.cont = NULL;
		o.contw = 0;
	}
	o.col = col;
	o.empty = true;
	o.broken = false;
	while (*s != '\0') {
		b = s;
		s += strspn(s, " \t");
		nb = (size_t)(s - b);
		if (*s == '\0')
			break;		/* trailing blanks: left out */
		w = s;
		s += strcspn(s, " \t");
		nw = (size_t)(s - w);
		ww = tw_width(w, nw);
		/* Blanks at a break vanish; the text's own indent stays. */
		after = o.empty && o.broken ? o.col :
		    tw_blanks_end(b, nb, o.col);
		if (after + ww <= width) {
			tw_spaces(&o, after);
		} else if (!o.empty && o.contw + ww <= width) {
			tw_newline(&o);
		} else {
			/* Longer than a line: start here, cut where it ends. */
			if (after < width)
				tw_spaces(&o, after);
			else if (!o.empty)
				tw_newline(&o);
			tw_cut(&o, w, nw, width);
			continue;
		}
		fwrite(w, 1, nw, fp);
		o.col += ww;
		o.empty = false;
	}
}
