/*
 * report_tap.c -- a run report as TAP version 13: one test point per
 * result, a YAML block with the evidence of every result that is not ok.
 *
 * TAP's directives carry what TAP can say: SKIP for a skipped cell,
 * TODO for a known deviation (XFAIL "not ok # TODO", XPASS "ok #
 * TODO").  A TAP consumer therefore passes an XPASS; danelab's exit code
 * (report_exit_code) still does not.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

/*
 * One line of text for a TAP line: valid UTF-8, no newline or control
 * byte, no '#' (that would start a directive).
 */
static void
put_line(FILE *fp, const char *s)
{
	char *clean = report_utf8_clean(s);
	const unsigned char *p;

	for (p = (const unsigned char *)clean; *p != '\0'; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p == '#' ? '_' : *p,
		    fp);
	free(clean);
}

/* A YAML double-quoted scalar (escapes per YAML 1.2). */
static void
put_yaml(FILE *fp, const char *s)
{
	char *clean = report_utf8_clean(s ? s : "");
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)clean; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
	free(clean);
}

/* An action as a YAML scalar: null when there is none. */
static const char *
yaml_action(enum scen_action a)
{
	return a == SCEN_ACT_UNSET ? "null" : scen_action_name(a);
}

static void
write_yaml(FILE *fp, const struct run_report *r, const struct run_result *res)
{
	char *rule = report_rule(r, res);
	char buf[2048];
	size_t i;

	fputs("  ---\n", fp);
	fprintf(fp, "  verdict: %s\n", run_verdict_name(res->verdict));
	fprintf(fp, "  expected: %s\n", yaml_action(res->expected));
	if (res->accept != 0)
		fprintf(fp, "  accepted: \"%s\"\n", scen_accept_format(
		    res->accept, buf, sizeof(buf)));
	fprintf(fp, "  claimed: %s\n", yaml_action(res->claimed));
	fputs("  observed:\n", fp);
	for (i = 0; i < res->n_hosts; i++) {
		const struct run_host *h = &res->hosts[i];

		fputs("    - host: ", fp);
		put_yaml(fp, h->host);
		fprintf(fp, "\n      expected: %s\n      outcome: %s\n",
		    yaml_action(h->expected), run_outcome_name(h->outcome));
		fprintf(fp, "      sessions: %u\n      messages_plain: %u\n"
		    "      messages_tls: %u\n      tls_ok: %u\n"
		    "      tls_failed: %u\n", h->sessions, h->msgs_plain,
		    h->msgs_tls, h->tls_ok, h->tls_failed);
		if (h->claim_text != NULL) {
			fputs("      claim: ", fp);
			put_yaml(fp, h->claim_text);
			fputc('\n', fp);
		}
	}
	fputs("  reason: ", fp);
	put_yaml(fp, res->reason);
	fputc('\n', fp);
	if (report_broken(res, buf, sizeof(buf)) != NULL) {
		fputs("  broken: ", fp);
		put_yaml(fp, buf);
		fputc('\n', fp);
	}
	if (rule != NULL) {
		fputs("  rule: ", fp);
		put_yaml(fp, rule);
		fputc('\n', fp);
		free(rule);
	}
	if (res->deviation != NULL) {
		fputs("  deviation: ", fp);
		put_yaml(fp, res->deviation);
		fputc('\n', fp);
	}
	fprintf(fp, "  exit_status: %d\n  timed_out: %s\n", res->exit_status,
	    res->timed_out ? "true" : "false");
	fputs("  ...\n", fp);
}

int
report_write_tap(const struct run_report *r, FILE *fp)
{
	char cell[256];
	size_t i;

	fputs("TAP version 13\n", fp);
	fprintf(fp, "1..%zu\n", r->n_results);
	if (!r->env_ok) {
		fputs("# ENVIRONMENT BROKEN: ", fp);
		put_line(fp, r->env_message ? r->env_message : "");
		fputc('\n', fp);
	}
	for (i = 0; i < r->n_results; i++) {
		const struct run_result *res = &r->results[i];
		bool ok = res->verdict == RUN_PASS || res->verdict ==
		    RUN_SKIP || res->verdict == RUN_XPASS;
		const char *why = res->verdict == RUN_XFAIL ||
		    res->verdict == RUN_XPASS ? (res->deviation ?
		    res->deviation : res->reason) : res->reason;

		fprintf(fp, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
		put_line(fp, res->scenario ? res->scenario : "?");
		fputs(" [", fp);
		put_line(fp, res->client ? res->client : "?");
		fputs(", ", fp);
		put_line(fp, report_cell_name(res, cell, sizeof(cell)));
		fputc(']', fp);
		if (res->verdict == RUN_SKIP)
			fputs(" # SKIP ", fp);
		else if (res->verdict == RUN_XFAIL || res->verdict ==
		    RUN_XPASS)
			fputs(" # TODO ", fp);
		else
			why = NULL;
		if (why != NULL)
			put_line(fp, why);
		fputc('\n', fp);
		if (res->verdict != RUN_PASS && res->verdict != RUN_SKIP)
			write_yaml(fp, r, res);
	}
	if (r->interrupted)
		fputs("# interrupted: not every cell ran\n", fp);
	return ferror(fp) ? DL_EIO : 0;
}
