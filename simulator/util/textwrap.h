/*
 * textwrap.h -- lines for a terminal: how wide the terminal is, how
 * wide a piece of UTF-8 text is on it, and one long line written as
 * several with a hanging indentation.
 *
 * Owns no state.  Does not clean text: callers hand it text without
 * control characters other than tab (the report writers replace them
 * first) and without escape sequences (colour goes around it).
 */
#ifndef DL_UTIL_TEXTWRAP_H
#define DL_UTIL_TEXTWRAP_H

#include <stddef.h>
#include <stdio.h>

#define TW_DEFAULT_COLUMNS 80	/* not a terminal, no $COLUMNS */
#define TW_MIN_COLUMNS 20	/* narrower terminals: taken as this */
#define TW_MAX_COLUMNS 1000	/* wider ones (and $COLUMNS): this */
#define TW_TAB 8		/* tab stops */

/*
 * The width to write for on fd: the terminal's (TIOCGWINSZ) when fd is
 * one; else $COLUMNS when it is a plain number (a CI log made wider on
 * purpose; a terminal's own size wins over a stale exported COLUMNS);
 * else TW_DEFAULT_COLUMNS.  Kept within TW_MIN_COLUMNS..TW_MAX_COLUMNS.
 */
size_t tw_columns(int fd);

/*
 * Display columns of the n bytes of UTF-8 at s: 2 for East Asian wide
 * and fullwidth characters, 0 for combining marks and zero-width
 * characters, 1 for everything else (an invalid byte included); a tab
 * counts as one (tw_put expands it).
 */
size_t tw_width(const char *s, size_t n);

/*
 * Write the one-line text s to fp as lines of at most width columns,
 * the cursor being at column col already (what is left of it was
 * written by the caller).  Breaks go between words (runs of spaces and
 * tabs separate words, and disappear at a break); each continuation
 * line starts with cont (NULL: nothing), whose width is the hanging
 * indentation.  A word is cut, between characters, only when it is
 * longer than a whole continuation line.  Trailing blanks are left
 * out; no final newline is written.  A cont as wide as the line is
 * not used (continuations then start at column 0).
 */
void tw_put(FILE *fp, const char *s, size_t col, size_t width,
    const char *cont);

#endif /* DL_UTIL_TEXTWRAP_H */
