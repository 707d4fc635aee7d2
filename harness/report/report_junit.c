/*
 * report_junit.c -- a run report as JUnit XML, for CI systems.
 *
 * One <testsuite name="danelab.CLIENT"> per client (in the order clients
 * first appear), one <testcase> per result: classname the scenario id,
 * name the policy and phase.  FAIL and XPASS are <failure>, HANG and
 * ERROR <error>, SKIP <skipped>, and XFAIL <skipped message="xfail: ...">
 * so that a known deviation does not fail the CI job.  Every text goes
 * through report_xml_put: escaped, valid UTF-8, XML 1.0 characters only.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/xmem.h"

static void
attr(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, " %s=\"", name);
	report_xml_put(fp, value ? value : "");
	fputc('"', fp);
}

/* The evidence of a result, as the text of <failure> or <error>. */
static void
write_evidence(FILE *fp, const struct run_report *r,
    const struct run_result *res)
{
	char obs[2048], exp[96], *rule = report_rule(r, res);

	fprintf(fp, "%s: ", run_verdict_name(res->verdict));
	report_xml_put(fp, res->reason);
	if (report_broken(res, obs, sizeof(obs)) != NULL) {
		fputs("\nbroken: ", fp);
		report_xml_put(fp, obs);
	}
	if (rule != NULL) {
		fputs("\nrule: ", fp);
		report_xml_put(fp, rule);
		free(rule);
	}
	fprintf(fp, "\nexpected: %s\n", report_expected_str(res, exp,
	    sizeof(exp)));
	fputs("observed: ", fp);
	report_xml_put(fp, report_observed(res, false, obs, sizeof(obs)));
	fprintf(fp, "\nclaimed: %s\n", report_action_str(res->claimed));
	if (res->deviation != NULL) {
		fputs("deviation: ", fp);
		report_xml_put(fp, res->deviation);
		fputc('\n', fp);
	}
	fprintf(fp, "exit status: %d%s\n", res->exit_status,
	    res->timed_out ? " (timed out)" : "");
	if (res->kept_dir != NULL) {
		fputs("kept: ", fp);
		report_xml_put(fp, res->kept_dir);
		fputc('\n', fp);
	}
}

static void
write_case(FILE *fp, const struct run_report *r, const struct run_result *res)
{
	char cell[256], msg[1024];

	fputs("    <testcase", fp);
	attr(fp, "classname", res->scenario);
	attr(fp, "name", report_cell_name(res, cell, sizeof(cell)));
	fprintf(fp, " time=\"%llu.%03llu\">\n",
	    (unsigned long long)(res->ms / 1000),
	    (unsigned long long)(res->ms % 1000));
	switch (res->verdict) {
	case RUN_FAIL:
	case RUN_XPASS:
	case RUN_HANG:
	case RUN_ERROR: {
		const char *tag = res->verdict == RUN_HANG ||
		    res->verdict == RUN_ERROR ? "error" : "failure";

		fprintf(fp, "      <%s", tag);
		attr(fp, "message", res->reason);
		attr(fp, "type", run_verdict_name(res->verdict));
		fputs(">", fp);
		write_evidence(fp, r, res);
		fprintf(fp, "</%s>\n", tag);
		break;
	}
	case RUN_SKIP:
		fputs("      <skipped", fp);
		attr(fp, "message", res->reason);
		fputs("/>\n", fp);
		break;
	case RUN_XFAIL:
		snprintf(msg, sizeof(msg), "xfail: %s", res->deviation ?
		    res->deviation : res->reason ? res->reason : "");
		fputs("      <skipped", fp);
		attr(fp, "message", msg);
		fputs("/>\n", fp);
		break;
	default:
		break;
	}
	if (res->output != NULL && res->output[0] != '\0') {
		fputs("      <system-out>", fp);
		report_xml_put(fp, res->output);
		fputs("</system-out>\n", fp);
	}
	fputs("    </testcase>\n", fp);
}

int
report_write_junit(const struct run_report *r, FILE *fp)
{
	const char **clients = NULL;
	size_t n_clients = 0, i, k, c[RUN_VERDICT_COUNT], tests;
	uint64_t ms;
	char name[1100];

	/* Clients in order of first appearance. */
	for (i = 0; i < r->n_results; i++) {
		const char *cl = r->results[i].client ? r->results[i].client :
		    "?";

		for (k = 0; k < n_clients; k++)
			if (strcmp(clients[k], cl) == 0)
				break;
		if (k == n_clients) {
			clients = xreallocarray(clients, n_clients + 1,
			    sizeof(*clients));
			clients[n_clients++] = cl;
		}
	}

	report_count(r, c);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
	fprintf(fp, "<testsuites name=\"danelab\" tests=\"%zu\" "
	    "failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
	    "time=\"%llu.%03llu\">\n", r->n_results, c[RUN_FAIL] +
	    c[RUN_XPASS], c[RUN_HANG] + c[RUN_ERROR], c[RUN_SKIP] +
	    c[RUN_XFAIL], (unsigned long long)(r->duration_ms / 1000),
	    (unsigned long long)(r->duration_ms % 1000));
	for (k = 0; k < n_clients; k++) {
		memset(c, 0, sizeof(c));
		tests = 0;
		ms = 0;
		for (i = 0; i < r->n_results; i++) {
			const struct run_result *res = &r->results[i];

			if (strcmp(res->client ? res->client : "?",
			    clients[k]) != 0)
				continue;
			tests++;
			ms += res->ms;
			if ((unsigned)res->verdict < RUN_VERDICT_COUNT)
				c[res->verdict]++;
		}
		snprintf(name, sizeof(name), "danelab.%s", clients[k]);
		fputs("  <testsuite", fp);
		attr(fp, "name", name);
		fprintf(fp, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		    "skipped=\"%zu\" time=\"%llu.%03llu\">\n", tests,
		    c[RUN_FAIL] + c[RUN_XPASS], c[RUN_HANG] + c[RUN_ERROR],
		    c[RUN_SKIP] + c[RUN_XFAIL],
		    (unsigned long long)(ms / 1000),
		    (unsigned long long)(ms % 1000));
		if (!r->env_ok || r->interrupted) {
			fputs("    <properties>\n", fp);
			if (!r->env_ok) {
				fputs("      <property name=\"environment\"",
				    fp);
				attr(fp, "value", r->env_message ?
				    r->env_message : "broken");
				fputs("/>\n", fp);
			}
			if (r->interrupted)
				fputs("      <property name=\"interrupted\" "
				    "value=\"true\"/>\n", fp);
			fputs("    </properties>\n", fp);
		}
		for (i = 0; i < r->n_results; i++)
			if (strcmp(r->results[i].client ?
			    r->results[i].client : "?", clients[k]) == 0)
				write_case(fp, r, &r->results[i]);
		fputs("  </testsuite>\n", fp);
	}
	fputs("</testsuites>\n", fp);
	free(clients);
	return ferror(fp) ? DL_EIO : 0;
}
