/*
 * profile_pattern.c -- the bound on a profile's regular expressions,
 * checked before regcomp(3) sees them.
 *
 * glibc's regcomp expands a repetition by copying its operand (x+ is
 * x x*, x{2,5} five copies of x) and then computes closures over the
 * whole expanded automaton, in memory that grows faster than its size:
 * twenty '+' in a row make about 2^20 nodes and take a gigabyte.  A
 * pattern is therefore measured first by the number of nodes its
 * expansion would have, as a tree walk over the POSIX extended syntax,
 * and refused when it exceeds PROFILE_PATTERN_MAX_COST (about 4 MB of
 * regcomp at most), when a count exceeds RE_DUP_MAX as POSIX sets it
 * (255), when groups nest deeper than PROFILE_PATTERN_MAX_DEPTH, or when
 * it has a back-reference (\1 .. \9: regexec backtracks on those, in
 * time exponential in the line; every other pattern matches in time
 * linear in it).
 *
 * Chosen over compiling in a child with RLIMIT_AS: it is deterministic,
 * says where the pattern went wrong, needs no fork in a process that may
 * have threads, and works under the sanitizers (which reserve terabytes
 * of address space, so an address-space limit cannot be set there).
 * Syntax errors are not this file's business: what it cannot parse it
 * leaves to regcomp, which reports them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness/clients/profile_internal.h"
#include "simulator/util/diag.h"

/* Where a group started, and what it holds so far. */
struct pat_frame {
	uint64_t sum;  /* the group's finished atoms and branches */
	uint64_t last; /* the last atom, with its repetitions: 0 none */
};

/* x * y, saturating above the bound (no overflow). */
static uint64_t
pat_mul(uint64_t x, uint64_t y)
{
	if (x != 0 && y > (PROFILE_PATTERN_MAX_COST + 1) / x)
		return PROFILE_PATTERN_MAX_COST + 1;
	return x * y;
}

/* Past the closing ']' of the bracket expression opening at p + i. */
static size_t
pat_bracket(const char *p, size_t i)
{
	i++; /* '[' */
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++; /* a literal ']' first */
	while (p[i] != '\0' && p[i] != ']') {
		if (p[i] == '[' &&
		    (p[i + 1] == ':' || p[i + 1] == '.' || p[i + 1] == '=')) {
			char end = p[i + 1];

			i += 2;
			while (p[i] != '\0' && !(p[i] == end && p[i + 1] == ']'))
				i++;
			if (p[i] == '\0')
				return i;
			i += 2;
			continue;
		}
		i++;
	}
	return p[i] == ']' ? i + 1 : i;
}

/*
 * An interval "{n}", "{n,}" or "{n,m}" at p + i: its counts (m = -1:
 * open) and the index past '}'.  False if it is not one (regcomp
 * decides what that means).
 */
static bool
pat_interval(const char *p, size_t i, long *n, long *m, size_t *end)
{
	long v = 0, w = -1;

	if (p[i] != '{' || p[i + 1] < '0' || p[i + 1] > '9')
		return false;
	for (i++; p[i] >= '0' && p[i] <= '9'; i++)
		if ((v = v * 10 + (p[i] - '0')) > 100000)
			v = 100000;
	if (p[i] == ',') {
		i++;
		if (p[i] >= '0' && p[i] <= '9') {
			for (w = 0; p[i] >= '0' && p[i] <= '9'; i++)
				if ((w = w * 10 + (p[i] - '0')) > 100000)
					w = 100000;
		}
	} else
		w = v;
	if (p[i] != '}')
		return false;
	*n = v;
	*m = w;
	*end = i + 1;
	return true;
}

int
profile_pattern_check(const char *pat, size_t *where, char *why, size_t len)
{
	struct pat_frame st[PROFILE_PATTERN_MAX_DEPTH + 1];
	struct pat_frame *f = st;
	size_t i = 0, end;
	long n, m;

	memset(st, 0, sizeof(st));
	while (pat[i] != '\0') {
		size_t at = i;
		char ch = pat[i];
		uint64_t atom = 0; /* a new atom's cost, 0: not an atom */

		if (ch == '*' || ch == '?' || ch == '+') {
			i++;
			if (f->last == 0) {
				atom = 1; /* nothing to repeat: literal */
			} else if (ch == '+') {
				f->last = pat_mul(f->last, 2) + 1;
			} else
				f->last = f->last + 1;
		} else if (pat_interval(pat, i, &n, &m, &end)) {
			i = end;
			if (n > 255 || m > 255) {
				*where = at;
				snprintf(why, len,
				    "a repetition count above 255");
				return DL_EINVAL;
			}
			if (m >= 0 && m < n)
				m = n; /* backwards: regcomp's error */
			if (f->last == 0)
				atom = 1;
			else
				f->last = pat_mul(f->last,
				    (uint64_t)(m < 0 ? n + 1 : m > 0 ? m : 1)) + 1;
		} else if (ch == '(') {
			i++;
			if (f == st + PROFILE_PATTERN_MAX_DEPTH) {
				*where = at;
				snprintf(why, len, "groups nested deeper than %d",
				    PROFILE_PATTERN_MAX_DEPTH);
				return DL_EINVAL;
			}
			f->sum += f->last;
			f->last = 0;
			f++;
			f->sum = f->last = 0;
		} else if (ch == ')' && f > st) {
			uint64_t g = f->sum + f->last + 1;

			i++;
			f--;
			f->sum += f->last;
			f->last = g;
		} else if (ch == '|') {
			i++;
			f->sum += f->last + 1;
			f->last = 0;
		} else if (ch == '[') {
			i = pat_bracket(pat, i);
			atom = 1;
		} else if (ch == '\\' && pat[i + 1] >= '1' && pat[i + 1] <= '9') {
			*where = at;
			snprintf(why, len, "a back-reference (matching one "
			    "can take exponential time)");
			return DL_EINVAL;
		} else if (ch == '\\' && pat[i + 1] != '\0') {
			i += 2;
			atom = 1;
		} else {
			i++;
			atom = 1;
		}
		if (atom != 0) {
			f->sum += f->last;
			f->last = atom;
		}
		if (f->sum + f->last > PROFILE_PATTERN_MAX_COST) {
			*where = at;
			snprintf(why, len,
			    "too complex: its repetitions expand to more than "
			    "%d nodes",
			    PROFILE_PATTERN_MAX_COST);
			return DL_EINVAL;
		}
	}
	return 0;
}
