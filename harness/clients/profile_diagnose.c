/*
 * profile_diagnose.c -- what a DANE checker diagnosed, read from its
 * output through the `diagnoses` rules of its profile.
 *
 * Owns: splitting output into lines (bounded, as profile_claims.c),
 * matching each line against the rules in order (the first that
 * matches applies), the current host, and the codes per host (a later
 * code for a key replaces an earlier one, except that match=yes
 * stands).  Does not own: the verdict
 * (harness/run/run_score.c compares the codes with the world's facts,
 * harness/run/facts.h).
 */
#include "harness/clients/profile_internal.h"

#include <stdio.h>
#include <string.h>

/* The slot of host in out, added if new; NULL when out is full. */
static size_t
dhost_slot(struct profile_diagnosed *out, const char *host)
{
	size_t i;

	for (i = 0; i < out->n; i++)
		if (strcmp(out->host[i].host, host) == 0)
			return i;
	if (out->n == REPORT_MAX_HOSTS) {
		out->dropped++;	/* the scorer will not trust it */
		return REPORT_MAX_HOSTS;
	}
	memset(&out->host[i], 0, sizeof(out->host[i]));
	snprintf(out->host[i].host, sizeof(out->host[i].host), "%s", host);
	out->n++;
	return i;
}

static void
diagnose_line(const struct client_profile *p, const char *line,
    struct profile_diagnosed *out, char *cur, size_t curlen)
{
	regmatch_t m[10];
	size_t i, j, h;

	for (i = 0; i < p->n_diagnoses; i++) {
		const struct profile_diagnosis *d = &p->diagnoses[i];

		if (regexec(&d->re, line, 10, m, 0) != 0)
			continue;
		if (d->host_group > 0 && m[d->host_group].rm_so >= 0)
			profile_host_copy(cur, curlen, line + m[d->host_group].rm_so,
			    (size_t)(m[d->host_group].rm_eo -
			    m[d->host_group].rm_so));
		if (d->n_codes == 0 || cur[0] == '\0')
			return;
		if ((h = dhost_slot(out, cur)) == REPORT_MAX_HOSTS)
			return;
		for (j = 0; j < d->n_codes; j++) {
			const char *was = out->host[h].value[d->key[j]];
			char *dst = out->host[h].line[d->key[j]];
			size_t n = strlen(line);

			/*
			 * One matching usable record is enough (RFC 6698 4.1,
			 * RFC 7671 8): a checker that reports record by
			 * record has found a match once it said so once.
			 */
			bool any_one = d->key[j] == FACT_MATCH ||
			    d->key[j] == FACT_AUTH;

			if (any_one && was != NULL && strcmp(was, "yes") == 0)
				continue;
			/*
			 * A "no" for one record, then a "yes" for another:
			 * the yes is the checker's word (one record that
			 * matches authenticates), not a contradiction.
			 */
			if (was != NULL && strcmp(was, d->value[j]) != 0 &&
			    !(any_one && strcmp(d->value[j], "yes") == 0) &&
			    out->host[h].other[d->key[j]] == NULL) {
				out->host[h].other[d->key[j]] = was;
				memcpy(out->host[h].other_line[d->key[j]], dst,
				    sizeof(out->host[h].other_line[0]));
			}
			out->host[h].value[d->key[j]] = d->value[j];
			/* Cut: the line is evidence shown, not parsed. */
			if (n >= sizeof(out->host[h].line[0]))
				n = sizeof(out->host[h].line[0]) - 1;
			memcpy(dst, line, n);
			dst[n] = '\0';
		}
		return;
	}
}

/* profile_read_diagnoses's state from one line to the next. */
struct diag_walk {
	const struct client_profile *p;
	struct profile_diagnosed *out;
	char cur[256];
};

static void
diag_walk_line(const char *line, void *arg)
{
	struct diag_walk *w = arg;

	diagnose_line(w->p, line, w->out, w->cur, sizeof(w->cur));
}

void
profile_read_diagnoses(const struct client_profile *p, const char *output,
    size_t len, const char *first_mx, struct profile_diagnosed *out)
{
	struct diag_walk w = { .p = p, .out = out };

	memset(out, 0, sizeof(*out));
	profile_host_copy(w.cur, sizeof(w.cur), first_mx ? first_mx : "",
	    first_mx ? strlen(first_mx) : 0);
	if (w.cur[0] != '\0')
		(void)dhost_slot(out, w.cur);
	profile_each_line(output, len, diag_walk_line, &w);
}
