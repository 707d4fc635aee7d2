/*
 * report_escape.c -- text helpers the report writers share: making a
 * string valid UTF-8, escaping it for XML and HTML, and the short
 * descriptions of a result (cell name, observed hosts, output tail).
 *
 * Client output and scenario text are not trusted to be UTF-8 or free of
 * control bytes; every writer passes them through here.
 */
#include "harness/report/report_internal.h"

#include <string.h>

#include "simulator/util/xmem.h"

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes available),
 * with its code point in *cp, or 0 if the bytes there are not one.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, unsigned *cp)
{
	size_t len, i;
	unsigned c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

char *
report_utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0, o = 0, k;
	unsigned cp;
	char *out;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	/* Each bad byte becomes 3 bytes at most. */
	out = xmalloc(n * 3 + 1);
	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

void
report_xml_put(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0, k;
	unsigned cp;

	if (s == NULL)
		return;
	n = strlen(s);
	while (i < n) {
		k = utf8_seq(p + i, n - i, &cp);
		if (k == 0) {
			fputs("\xef\xbf\xbd", fp);
			i++;
			continue;
		}
		switch (cp) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			if ((cp < 0x20 && cp != '\t' && cp != '\n' &&
			    cp != '\r') || cp == 0xfffe || cp == 0xffff)
				break;	/* not allowed in XML 1.0 */
			fwrite(p + i, 1, k, fp);
		}
		i += k;
	}
}

char *
report_cell_name(const struct run_result *res, char *buf, size_t len)
{
	if (res->phase != NULL)
		snprintf(buf, len, "%s@%s", scen_policy_name(res->policy),
		    res->phase);
	else
		snprintf(buf, len, "%s", scen_policy_name(res->policy));
	return buf;
}

char *
report_observed(const struct run_result *res, bool short_names, char *buf,
    size_t len)
{
	size_t i, used = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < res->n_hosts && used < len; i++) {
		const struct run_host *h = &res->hosts[i];
		const char *name = h->host ? h->host : "?";
		int nlen = (int)strlen(name);
		const char *dot = strchr(name, '.');

		if (short_names && dot != NULL)
			nlen = (int)(dot - name);
		n = snprintf(buf + used, len - used, "%s%.*s:%s", i ? " " : "",
		    nlen, name, run_outcome_name(h->outcome));
		if (n < 0)
			break;
		used += (size_t)n;
		if (h->claim_text != NULL && used < len) {
			n = snprintf(buf + used, len - used, "(%s)",
			    h->claim_text);
			if (n < 0)
				break;
			used += (size_t)n;
		}
	}
	if (res->n_hosts == 0)
		snprintf(buf, len, "-");
	return buf;
}

char *
report_expected_str(const struct run_result *res, char *buf, size_t len)
{
	if (res->accept != 0 && (res->accept & (res->accept - 1)) != 0)
		return scen_accept_format(res->accept, buf, len);
	snprintf(buf, len, "%s", report_action_str(res->expected));
	return buf;
}

char *
report_host_expected_str(const struct run_host *h, char *buf, size_t len)
{
	if (h->expected != SCEN_ACT_UNSET && h->accept != 0 &&
	    (h->accept & (h->accept - 1)) != 0)
		return scen_accept_format(h->accept, buf, len);
	snprintf(buf, len, "%s", report_action_str(h->expected));
	return buf;
}

const char *
report_broken(const struct run_result *res, char *buf, size_t len)
{
	if (res->rule == NULL)
		return NULL;
	snprintf(buf, len, "%s%s%s%s%s%s%s", res->rule,
	    res->rule_ref ? " (" : "", res->rule_ref ? res->rule_ref : "",
	    res->rule_ref ? ")" : "",
	    res->rule_host ? " at " : "", res->rule_host ? res->rule_host : "",
	    "");
	if (res->observed != NULL) {
		size_t n = strlen(buf);

		if (n < len)
			snprintf(buf + n, len - n, ": %s", res->observed);
	}
	return buf;
}

char *
report_host_counts(const struct run_host *h, char *buf, size_t len)
{
	snprintf(buf, len, "%u session%s, %u message%s in cleartext, %u over "
	    "TLS, %u handshake%s ok, %u failed, %u without STARTTLS",
	    h->sessions, h->sessions == 1 ? "" : "s", h->msgs_plain,
	    h->msgs_plain == 1 ? "" : "s", h->msgs_tls, h->tls_ok,
	    h->tls_ok == 1 ? "" : "s", h->tls_failed, h->starttls_skipped);
	return buf;
}

const char *
report_tail(const char *s, unsigned n)
{
	const char *p;
	unsigned lines = 0;

	if (s == NULL || *s == '\0')
		return s;
	p = s + strlen(s);
	if (p > s && p[-1] == '\n')
		p--;		/* a final newline ends the last line */
	while (p > s) {
		p--;
		if (*p == '\n' && ++lines == n)
			return p + 1;
	}
	return s;
}

char *
report_rule(const struct run_report *r, const struct run_result *res)
{
	const struct run_scenario *sc;
	char *one, *p;
	size_t n;

	if (res->verdict != RUN_FAIL && res->verdict != RUN_XFAIL)
		return NULL;
	sc = report_scenario(r, res->scenario);
	if (sc == NULL || sc->rule == NULL || sc->rule[0] == '\0')
		return NULL;
	one = xstrdup(sc->rule);
	for (p = one; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = strlen(one);
	while (n > 0 && one[n - 1] == ' ')
		one[--n] = '\0';
	return one;
}
