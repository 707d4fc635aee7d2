/*
 * profile_lines.c -- which lines of a client's output explain its run
 * (profile_output_lines), so that a report shows them rather than the
 * tail of a message body or of a long transcript.
 *
 * Owns: the default choice (claim and diagnosis lines, the runner's own
 * "[danelab]" step lines, lines with an error word) and the bound on
 * how many are kept.  Does not own: how a report shows them
 * (harness/report/).
 */
#include "harness/clients/profile_internal.h"

#include <regex.h>
#include <stdbool.h>
#include <string.h>

/*
 * What an error looks like in the output of the clients danelab knows
 * (Postfix "warning:"/"fatal:", swaks "***", OpenSSL "error:", GnuTLS,
 * ldns "Error:"), lower and upper case alike.
 */
#define LINES_ERROR_RE \
	"error|fail|fatal|warning|refus|denied|reject|unable|cannot|can't|" \
	"timed out|timeout|abort|bogus|mismatch|untrusted|invalid|expired|" \
	"defer|bounce|^\\*\\*\\* |^\\[danelab\\] "

struct lines_walk {
	const struct client_profile *p;
	regex_t err;
	bool have_err;
	unsigned n;		/* lines seen */
	unsigned *v;		/* the first `head` picked, then a ring */
	size_t max, head, got;	/* got: picked in all */
};

static bool
lines_wanted(const struct lines_walk *w, const char *line)
{
	const struct client_profile *p = w->p;
	size_t i;

	if (p->n_out > 0) {
		for (i = 0; i < p->n_out; i++)
			if (regexec(&p->out_re[i], line, 0, NULL, 0) == 0)
				return true;
		return false;
	}
	for (i = 0; i < p->n_claims; i++)
		if (regexec(&p->claims[i].re, line, 0, NULL, 0) == 0)
			return true;
	for (i = 0; i < p->n_diagnoses; i++)
		if (regexec(&p->diagnoses[i].re, line, 0, NULL, 0) == 0)
			return true;
	return w->have_err && regexec(&w->err, line, 0, NULL, 0) == 0;
}

static void
lines_line(const char *line, void *arg)
{
	struct lines_walk *w = arg;
	size_t tail = w->max - w->head;

	w->n++;
	if (!lines_wanted(w, line))
		return;
	if (w->got < w->head)
		w->v[w->got] = w->n;
	else if (tail > 0)
		w->v[w->head + (w->got - w->head) % tail] = w->n;
	w->got++;
}

size_t
profile_output_lines(const struct client_profile *p, const char *output,
    size_t len, unsigned *lines, size_t max)
{
	struct lines_walk w;
	unsigned ring[64];
	size_t tail, k, first, n;

	if (max == 0 || output == NULL)
		return 0;
	if (max > sizeof(ring) / sizeof(ring[0]))
		max = sizeof(ring) / sizeof(ring[0]);
	memset(&w, 0, sizeof(w));
	w.p = p;
	w.v = ring;
	w.max = max;
	w.head = max / 2;
	w.have_err = p->n_out == 0 && regcomp(&w.err, LINES_ERROR_RE,
	    REG_EXTENDED | REG_ICASE | REG_NOSUB | REG_NEWLINE) == 0;
	profile_each_line(output, len, lines_line, &w);
	if (w.have_err)
		regfree(&w.err);
	if (w.got <= max) {
		memcpy(lines, ring, w.got * sizeof(*lines));
		return w.got;
	}
	/* The head as it is, then the ring from its oldest entry. */
	memcpy(lines, ring, w.head * sizeof(*lines));
	tail = max - w.head;
	first = (w.got - w.head) % tail;
	for (k = 0, n = w.head; k < tail; k++)
		lines[n++] = ring[w.head + (first + k) % tail];
	return max;
}
