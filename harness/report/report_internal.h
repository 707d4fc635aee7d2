/*
 * report_internal.h -- helpers shared by the report writers only.
 *
 * Not a public interface: harness/report/ files include it, nothing else
 * does.  Owns the text cleaning every output format needs (valid UTF-8
 * for JSON, XML/HTML escaping) and the short descriptions of a result
 * the formats have in common.
 */
#ifndef DL_HARNESS_REPORT_INTERNAL_H
#define DL_HARNESS_REPORT_INTERNAL_H

#include <stdio.h>

#include "harness/report/report.h"

/* Action name for reports: "-" for SCEN_ACT_UNSET. */
const char *report_action_str(enum scen_action a);
/* "auth" ... "defer" (not "unset"); -1 if unknown. */
int report_action_parse(const char *s);
/* "dane", "dane-only"; -1 if unknown. */
int report_policy_parse(const char *s);

/* True for a control scenario (id "control/..."). */
bool report_is_control(const char *id);

/*
 * s with every byte sequence that is not valid UTF-8 (overlong forms,
 * surrogates, above U+10FFFF, truncated) replaced by U+FFFD.  Caller
 * frees.  s NULL: NULL.
 */
char *report_utf8_clean(const char *s);

/*
 * Write s to fp escaped for XML 1.0 / HTML text and attribute values
 * (& < > " '), as valid UTF-8, leaving out the characters XML 1.0 does
 * not allow (C0 controls but tab, newline, CR; U+FFFE, U+FFFF).
 */
void report_xml_put(FILE *fp, const char *s);

/* "dane" or "dane-only@phase" into buf.  Returns buf. */
char *report_cell_name(const struct run_result *res, char *buf, size_t len);

/*
 * The observed line of a result: "mx1:delivered-tls(Verified)
 * mx2:not-contacted" (hosts by their first label when short is set).
 * Returns buf.
 */
char *report_observed(const struct run_result *res, bool short_names,
    char *buf, size_t len);

/*
 * The RFC rule a FAIL or XFAIL broke: the scenario's rule, as one line
 * (newlines become spaces; malloc'd), or NULL for other verdicts and
 * scenarios without one.
 */
char *report_rule(const struct run_report *r, const struct run_result *res);

/*
 * The expected overall action, or the accepted set when it holds more
 * than one ("opportunistic|auth"), into buf.  Returns buf.
 */
char *report_expected_str(const struct run_result *res, char *buf,
    size_t len);
/* The same for one host ("-" without a per-host expectation). */
char *report_host_expected_str(const struct run_host *h, char *buf,
    size_t len);

/*
 * The structured reason of res in one line, "rule-id (RFC 7672 2.2) at
 * mx1.example.net: observed ..." into buf, or NULL when res has no rule.
 */
const char *report_broken(const struct run_result *res, char *buf,
    size_t len);

/* A host's counts, "2 sessions, 1 plain + 1 TLS message(s), ...". */
char *report_host_counts(const struct run_host *h, char *buf, size_t len);

/* The last n lines of s (a pointer into s). */
const char *report_tail(const char *s, unsigned n);

/*
 * The order of report_sort: control scenarios first, then scenario id,
 * client, policy, phase index.  0: the same cell.
 */
int report_result_cmp(const struct run_result *a, const struct run_result *b);

/* The writers behind report_write; each returns 0 or DL_EIO. */
int report_write_text(const struct run_report *r,
    const struct report_opts *o, FILE *fp);
int report_write_json(const struct run_report *r, FILE *fp);
int report_write_junit(const struct run_report *r, FILE *fp);
int report_write_tap(const struct run_report *r, FILE *fp);
int report_write_html(const struct run_report *r, FILE *fp);

/*
 * The timeline of scenario s (s->timeline; nothing without one) as an
 * inline <svg class="timeline">, with the runs of s among r's results:
 * report_svg.c.
 */
void report_svg_timeline(FILE *fp, const struct run_report *r,
    const struct run_scenario *s);

/*
 * Clients a report gives a summary each (text lines, an HTML row);
 * with more, none: such a report is not read client by client.
 */
#define REPORT_MAX_CLIENT_COLS 64

#endif /* DL_HARNESS_REPORT_INTERNAL_H */
