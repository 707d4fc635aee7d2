/*
 * profile_claims.c -- what a client says it did, read from its output
 * through the patterns of its profile.
 *
 * Owns: splitting output into lines (bounded), matching each line
 * against the profile's patterns in order, host names from a pattern's
 * group (lower-cased, final dot removed), the "current host" that
 * claims without a group refer to, and the rule that a refusal sticks
 * over a later unauthenticated or cleartext claim.  Does not own: the
 * verdict (harness/run/), which weighs these claims against danelab's
 * own SMTP events.
 */
#include "harness/clients/profile_internal.h"

#include <ctype.h>
#include <string.h>

void
profile_host_copy(char *dst, size_t len, const char *src, size_t n)
{
	size_t i;

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	while (i > 0 && dst[i - 1] == '.')
		i--;
	dst[i] = '\0';
}

static void
label_copy(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
record(struct profile_claims *out, const char *host, enum run_claim claim,
    const char *label, size_t label_len)
{
	size_t i;

	if (host[0] == '\0' || (claim == RUN_CLAIM_NONE && label == NULL))
		return;
	for (i = 0; i < out->n; i++)
		if (strcmp(out->host[i].host, host) == 0)
			break;
	if (i == out->n) {
		if (out->n == REPORT_MAX_HOSTS) {
			out->dropped++;	/* the scorer will not trust it */
			return;
		}
		out->n++;
		memset(&out->host[i], 0, sizeof(out->host[i]));
		profile_host_copy(out->host[i].host, sizeof(out->host[i].host), host,
		    strlen(host));
	}
	/* Every claim counts, whatever the last one says. */
	if (claim == RUN_CLAIM_AUTH)
		out->host[i].n_auth++;
	else if (claim != RUN_CLAIM_NONE)
		out->host[i].n_unauth++;
	if (out->host[i].claim == RUN_CLAIM_REFUSE &&
	    (claim == RUN_CLAIM_ENCRYPT || claim == RUN_CLAIM_PLAIN))
		return;		/* refused, then talked anyway: refused */
	if (claim == RUN_CLAIM_NONE) {
		/* A note: the client's word, where it claimed nothing yet. */
		if (out->host[i].claim == RUN_CLAIM_NONE)
			label_copy(out->host[i].label,
			    sizeof(out->host[i].label), label, label_len);
		return;
	}
	out->host[i].claim = claim;
	label_copy(out->host[i].label, sizeof(out->host[i].label), label,
	    label_len);
}

/* Apply the first pattern matching line to out; cur is the current host. */
static void
claim_line(const struct client_profile *p, const char *line,
    struct profile_claims *out, char *cur, size_t curlen)
{
	regmatch_t m[10];
	size_t i;

	for (i = 0; i < p->n_claims; i++) {
		const struct profile_claim *c = &p->claims[i];
		const char *label;
		size_t llen;

		if (regexec(&c->re, line, 10, m, 0) != 0)
			continue;
		if (c->host_group > 0 && m[c->host_group].rm_so >= 0) {
			profile_host_copy(cur, curlen, line + m[c->host_group].rm_so,
			    (size_t)(m[c->host_group].rm_eo -
			    m[c->host_group].rm_so));
		}
		if (c->label != NULL) {
			label = c->label;
			llen = strlen(label);
		} else {
			label = line + m[0].rm_so;
			llen = (size_t)(m[0].rm_eo - m[0].rm_so);
		}
		if (c->overall) {
			out->overall = c->action;
			label_copy(out->overall_label,
			    sizeof(out->overall_label), label, llen);
		} else if (c->claim == RUN_CLAIM_NONE && c->host_group > 0) {
			/* the line only names the host */
		} else {
			record(out, cur, c->claim,
			    c->claim == RUN_CLAIM_NONE && c->label == NULL
				? NULL : label, llen);
		}
		return;
	}
}

/* profile_read_claims's state from one line to the next. */
struct claim_walk {
	const struct client_profile *p;
	struct profile_claims *out;
	char cur[256];
};

static void
claim_walk_line(const char *line, void *arg)
{
	struct claim_walk *w = arg;

	claim_line(w->p, line, w->out, w->cur, sizeof(w->cur));
}

void
profile_read_claims(const struct client_profile *p, const char *output,
    size_t len, const char *first_mx, struct profile_claims *out)
{
	struct claim_walk w = { .p = p, .out = out };

	memset(out, 0, sizeof(*out));
	out->overall = SCEN_ACT_UNSET;
	profile_host_copy(w.cur, sizeof(w.cur), first_mx ? first_mx : "",
	    first_mx ? strlen(first_mx) : 0);
	profile_each_line(output, len, claim_walk_line, &w);
}

void
profile_each_line(const char *output, size_t len,
    void (*fn)(const char *line, void *arg), void *arg)
{
	char line[PROFILE_MAX_LINE + 1];
	size_t i = 0;

	while (output != NULL && i < len) {
		const char *nl = memchr(output + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - output) : len;
		size_t n = end - i, k, o = 0;

		if (n > PROFILE_MAX_LINE)
			n = PROFILE_MAX_LINE;
		for (k = 0; k < n; k++)
			if (output[i + k] != '\0')
				line[o++] = output[i + k];
		if (o > 0 && line[o - 1] == '\r')
			o--;
		line[o] = '\0';
		fn(line, arg);
		i = end + 1;
	}
}
