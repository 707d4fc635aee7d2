/*
 * report_svg.c -- a timeline scenario drawn as an inline SVG for the
 * HTML report: what was planned (the scenario's plan, struct
 * run_scenario.timeline) and what happened (each client run's verdict,
 * and the TLSA records the lab resolver gave it).
 *
 * The picture, from top to bottom: a time axis in seconds with the
 * phase boundaries as vertical lines, their names on top; one lane per
 * report column (client and policy) with a mark per client run,
 * coloured by verdict (the page's verdict classes); then per MX host
 * the certificate chain in service (a bar per chain, coloured and
 * lettered per chain: A the first), what the resolver answered for the host's TLSA RRset at each
 * run (a small square: its DNSSEC state), and one row per TLSA record:
 * a bar while it is published, coloured like the certificate it is
 * computed from, light where a resolver may still hold the RRset
 * without it (after its publication) or with it (after its removal,
 * dashed), and a ring on it at each run the resolver returned it (a
 * ring is lane-shifted like the answer's square, which has the
 * records in its tooltip).
 *
 * No script, no external resource, no id (so that many pictures share a
 * page); every text goes through report_xml_put.  The size is bounded:
 * at most SVG_MAX_LANES lanes, tooltips cut to SVG_TITLE_MAX bytes.
 */
#include "harness/report/report_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simulator/util/xmem.h"

#define SVG_W 600		/* the picture's width (the cell may scale it) */
#define SVG_LABEL 150		/* label column: 24 characters */
#define SVG_RIGHT 12		/* margin right of the plot */
#define SVG_ROW 14		/* height of a row */
#define SVG_MAX_LANES 16	/* report columns drawn */
#define SVG_MAX_LEAVES 8	/* leaves told apart by colour */
#define SVG_TITLE_MAX 80 	/* bytes of a reason in a tooltip */
#define SVG_RR_HEX 16		/* hex digits of a record in a tooltip */

/* Leaf colours, A first; records of other certificates are grey. */
static const char *const leaf_fill[SVG_MAX_LEAVES] = {
	"#3a6ea5", "#2a9d8f", "#d9822b", "#7b5ea7",
	"#a23b72", "#5c8001", "#b5651d", "#4a4e69",
};
#define OTHER_FILL "#888"

/*
 * A run's mark by verdict: the colours of the page's verdict classes
 * (report_html.c), written out so that the picture keeps them alone.
 */
static const char *const verdict_fill[RUN_VERDICT_COUNT] = {
	[RUN_PASS] = "#176f2c",
	[RUN_FAIL] = "#b00020",
	[RUN_XPASS] = "#b00020",
	[RUN_ERROR] = "#b00020",
	[RUN_HANG] = "#8b008b",
	[RUN_SKIP] = "#8a6d00",
	[RUN_XFAIL] = "#8a6d00",
};

/* Fill of a resolver answer's state. */
static const char *const state_fill[RUN_TLSA_STATE_COUNT] = {
	[RUN_TLSA_NOT_ASKED] = "none",
	[RUN_TLSA_SECURE] = "#176f2c",
	[RUN_TLSA_INSECURE] = "#999",
	[RUN_TLSA_BOGUS] = "#b00020",
	[RUN_TLSA_FAILED] = "#8b008b",
	[RUN_TLSA_UNCHECKED] = "#6a8caf",
};

struct svg_lane {
	const char *client;
	enum scen_policy policy;
};

struct svg {
	FILE *fp;
	const struct run_report *r;
	const struct run_scenario *s;
	const struct tl_plan *pl;
	double span;		/* seconds the plot covers */
	const char *leaves[SVG_MAX_LEAVES];
	size_t n_leaves;
	struct svg_lane lanes[SVG_MAX_LANES];
	size_t n_lanes;
	int y;			/* the next row's top */
};

static double
svg_x(const struct svg *g, double t)
{
	if (t < 0)
		t = 0;
	if (t > g->span)
		t = g->span;
	return SVG_LABEL + t * (SVG_W - SVG_LABEL - SVG_RIGHT) / g->span;
}

/*
 * s cut to max bytes, "..." after a cut.  Cut as valid UTF-8 (as JSON
 * keeps it), so that a report read back cuts at the same place.
 */
static void
svg_put_cut(FILE *fp, const char *s, size_t max)
{
	char *c = report_utf8_clean(s);

	if (strlen(c) > max) {
		while (max > 0 && ((unsigned char)c[max] & 0xc0) == 0x80)
			max--;
		c[max] = '\0';
		report_xml_put(fp, c);
		fputs("...", fp);
	} else {
		report_xml_put(fp, c);
	}
	free(c);
}

static void
svg_text(struct svg *g, double x, double y, const char *anchor,
    const char *text)
{
	fprintf(g->fp, "<text x=\"%.0f\" y=\"%.0f\"%s%s%s>", x, y,
	    anchor ? " text-anchor=\"" : "", anchor ? anchor : "",
	    anchor ? "\"" : "");
	report_xml_put(g->fp, text);
	fputs("</text>\n", g->fp);
}

/* The leaf's index (its letter), added when new; -1 past the colours. */
static int
svg_leaf(struct svg *g, const char *leaf)
{
	size_t i;

	if (leaf == NULL)
		return -1;
	for (i = 0; i < g->n_leaves; i++)
		if (strcmp(g->leaves[i], leaf) == 0)
			return (int)i;
	if (g->n_leaves == SVG_MAX_LEAVES)
		return -1;
	g->leaves[g->n_leaves] = leaf;
	return (int)g->n_leaves++;
}

/* The results of the picture's scenario, lane by lane. */
static bool
svg_result_of(const struct svg *g, const struct run_result *res)
{
	return res->scenario != NULL && strcmp(res->scenario, g->s->id) == 0;
}

static int
svg_lane_of(const struct svg *g, const struct run_result *res)
{
	size_t i;

	for (i = 0; i < g->n_lanes; i++)
		if (strcmp(g->lanes[i].client, res->client ? res->client : "?")
		    == 0 && g->lanes[i].policy == res->policy)
			return (int)i;
	return -1;
}

static void
svg_collect(struct svg *g)
{
	const struct run_result *res;
	size_t i;

	for (i = 0; i < g->r->n_results; i++) {
		res = &g->r->results[i];
		if (!svg_result_of(g, res) || svg_lane_of(g, res) >= 0 ||
		    g->n_lanes == SVG_MAX_LANES)
			continue;
		g->lanes[g->n_lanes].client = res->client ? res->client : "?";
		g->lanes[g->n_lanes].policy = res->policy;
		g->n_lanes++;
		if (res->at > g->span)
			g->span = res->at;
	}
	for (i = 0; i < g->pl->n_hosts; i++) {
		size_t k;

		for (k = 0; k < g->pl->hosts[i].n_certs; k++)
			svg_leaf(g, g->pl->hosts[i].certs[k].chain);
	}
}

/* A tick every "nice" number of seconds, about eight of them. */
static unsigned
svg_tick(double span)
{
	static const unsigned steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300,
		600, 900, 1800, 3600, 7200, 21600, 43200, 86400 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++)
		if (span / steps[i] <= 8)
			break;
	return steps[i];
}

static void
svg_axis(struct svg *g, int bottom)
{
	const struct tl_plan *pl = g->pl;
	unsigned step = svg_tick(g->span), t;
	char buf[32];
	size_t p;
	double x;

	fputs("<g class=\"axis\" fill=\"#555\">\n", g->fp);
	for (t = 0; t <= g->span; t += step) {
		x = svg_x(g, t);
		fprintf(g->fp, "<line x1=\"%.0f\" y1=\"24\" x2=\"%.0f\" "
		    "y2=\"%d\" stroke=\"#eee\"/>\n", x, x, bottom);
		snprintf(buf, sizeof(buf), "%us", t);
		svg_text(g, x, 34, "middle", buf);
	}
	fputs("</g>\n<g class=\"phases\">\n", g->fp);
	for (p = 0; p < pl->n_phases; p++) {
		x = svg_x(g, pl->phases[p].at);
		fprintf(g->fp, "<line x1=\"%.0f\" y1=\"2\" x2=\"%.0f\" y2=\"%d\" "
		    "stroke=\"#444\" stroke-dasharray=\"3 2\"/>\n", x, x, bottom);
		fprintf(g->fp, "<text x=\"%.0f\" y=\"%d\">", x + 2,
		    p % 2 == 0 ? 11 : 21);
		report_xml_put(g->fp, pl->phases[p].name);
		fputs("</text>\n", g->fp);
	}
	fputs("</g>\n", g->fp);
}

/* "client policy @phase", the run a mark stands for. */
static void
svg_put_run(FILE *fp, const struct run_result *res)
{
	report_xml_put(fp, res->client ? res->client : "?");
	fprintf(fp, " %s", scen_policy_name(res->policy));
	if (res->phase != NULL) {
		fputs(" @", fp);
		report_xml_put(fp, res->phase);
	}
}

/* "client policy phase: VERDICT: reason" of a run's mark. */
static void
svg_run_title(FILE *fp, const struct run_result *res)
{
	fputs("<title>", fp);
	svg_put_run(fp, res);
	fprintf(fp, " at %us: %s", res->at, run_verdict_name(res->verdict));
	if (res->reason != NULL) {
		fputs(": ", fp);
		svg_put_cut(fp, res->reason, SVG_TITLE_MAX);
	}
	fputs("</title>", fp);
}

static void
svg_lanes(struct svg *g)
{
	const struct run_result *res;
	char label[160];
	size_t i;
	int lane;

	fputs("<g class=\"runs\">\n", g->fp);
	for (i = 0; i < g->n_lanes; i++) {
		snprintf(label, sizeof(label), "%s %s", g->lanes[i].client,
		    scen_policy_name(g->lanes[i].policy));
		svg_text(g, 4, g->y + (int)i * SVG_ROW + 10, NULL, label);
	}
	for (i = 0; i < g->r->n_results; i++) {
		res = &g->r->results[i];
		if (!svg_result_of(g, res) || (lane = svg_lane_of(g, res)) < 0)
			continue;
		fprintf(g->fp, "<circle class=\"run %s\" fill=\"%s\" "
		    "cx=\"%.0f\" cy=\"%d\" r=\"5\">",
		    run_verdict_name(res->verdict),
		    (unsigned)res->verdict < RUN_VERDICT_COUNT ?
		    verdict_fill[res->verdict] : "#000", svg_x(g, res->at),
		    g->y + lane * SVG_ROW + 7);
		svg_run_title(g->fp, res);
		fputs("</circle>\n", g->fp);
	}
	fputs("</g>\n", g->fp);
	g->y += (int)g->n_lanes * SVG_ROW + 4;
}

static void
svg_rect(struct svg *g, double t0, double t1, int y, int h, const char *fill,
    const char *extra)
{
	double x0 = svg_x(g, t0), x1 = svg_x(g, t1);

	if (x1 - x0 < 0.5)
		return;
	fprintf(g->fp, "<rect x=\"%.0f\" y=\"%d\" width=\"%.0f\" "
	    "height=\"%d\" fill=\"%s\"%s/>\n", x0, y, x1 - x0, h, fill,
	    extra ? extra : "");
}

static void
svg_certs(struct svg *g, const struct tl_plan_host *h)
{
	const struct tl_plan_cert *c;
	char label[TL_PLAN_CHAIN_MAX + 4];
	size_t k;
	int li, fit;

	svg_text(g, 14, g->y + 10, NULL, "certificate");
	fputs("<g class=\"cert\">\n", g->fp);
	for (k = 0; k < h->n_certs; k++) {
		c = &h->certs[k];
		li = svg_leaf(g, c->chain);
		svg_rect(g, c->from, c->to, g->y + 2, SVG_ROW - 4,
		    li >= 0 ? leaf_fill[li] : OTHER_FILL, NULL);
		/* The letter and as much of the chain as fits the bar. */
		fit = (int)((svg_x(g, c->to) - svg_x(g, c->from) - 4) / 6);
		if (fit < 1)
			continue;
		snprintf(label, sizeof(label), "%c %s",
		    li >= 0 ? 'A' + li : '*', c->chain);
		if ((size_t)fit < strlen(label))
			label[fit] = '\0';
		fprintf(g->fp, "<text x=\"%.0f\" y=\"%d\" fill=\"#fff\">",
		    svg_x(g, c->from) + 3, g->y + 10);
		report_xml_put(g->fp, label);
		fputs("</text>\n", g->fp);
	}
	fputs("</g>\n", g->fp);
	g->y += SVG_ROW;
}

/* Whether returned record text ("3 1 1 ab..") is the record of seg. */
static bool
svg_same_rr(const struct tl_plan_tlsa *seg, const char *rr)
{
	unsigned u, s, m;
	int off = 0;
	size_t n;

	if (seg->data[0] == '\0' ||
	    sscanf(rr, "%u %u %u %n", &u, &s, &m, &off) != 3 || off == 0 ||
	    u != seg->usage || s != seg->selector || m != seg->mtype)
		return false;
	rr += off;
	n = strcspn(rr, ".");	/* "..." after data cut to 32 bytes */
	return n == strlen(seg->data) && strncasecmp(rr, seg->data, n) == 0;
}

/* The host's answers at each run: a square coloured by DNSSEC state. */
static void
svg_answers(struct svg *g, size_t hi)
{
	const struct run_result *res;
	const struct run_host *rh;
	size_t i, k;
	int lane;

	svg_text(g, 14, g->y + 10, NULL, "resolver answered");
	fputs("<g class=\"answers\">\n", g->fp);
	for (i = 0; i < g->r->n_results; i++) {
		res = &g->r->results[i];
		if (!svg_result_of(g, res) || (lane = svg_lane_of(g, res)) < 0 ||
		    hi >= res->n_hosts)
			continue;
		rh = &res->hosts[hi];
		if (rh->tlsa_state == RUN_TLSA_NOT_ASKED)
			continue;
		fprintf(g->fp, "<rect class=\"answer %s\" x=\"%.0f\" y=\"%d\" "
		    "width=\"6\" height=\"%d\" fill=\"%s\" stroke=\"%s\">",
		    run_tlsa_state_name(rh->tlsa_state),
		    svg_x(g, res->at) - 3 + 3 * lane, g->y + 2, SVG_ROW - 4,
		    rh->n_tlsa == 0 ? "#fff" : state_fill[rh->tlsa_state],
		    state_fill[rh->tlsa_state]);
		fputs("<title>", g->fp);
		svg_put_run(g->fp, res);
		fprintf(g->fp, ": TLSA %s, ",
		    run_tlsa_state_name(rh->tlsa_state));
		if (rh->n_tlsa == 0)
			fputs("no records", g->fp);
		for (k = 0; k < rh->n_tlsa; k++) {
			fputs(k > 0 ? ", " : "", g->fp);
			svg_put_cut(g->fp, rh->tlsa[k], SVG_RR_HEX + 6);
		}
		fputs("</title></rect>\n", g->fp);
	}
	fputs("</g>\n", g->fp);
	g->y += SVG_ROW;
}

/* Rings where the resolver returned the record of seg[0..n). */
static void
svg_returned(struct svg *g, size_t hi, const struct tl_plan_tlsa *seg)
{
	const struct run_result *res;
	const struct run_host *rh;
	size_t i, k;
	int lane;

	for (i = 0; i < g->r->n_results; i++) {
		res = &g->r->results[i];
		if (!svg_result_of(g, res) || (lane = svg_lane_of(g, res)) < 0 ||
		    hi >= res->n_hosts)
			continue;
		rh = &res->hosts[hi];
		for (k = 0; k < rh->n_tlsa; k++)
			if (svg_same_rr(seg, rh->tlsa[k]))
				break;
		if (k == rh->n_tlsa)
			continue;
		/* No tooltip: the answer's square has the records. */
		fprintf(g->fp, "<circle class=\"returned\" cx=\"%.0f\" "
		    "cy=\"%d\" r=\"3\"/>\n", svg_x(g, res->at) + 3 * lane,
		    g->y + SVG_ROW / 2);
	}
}

/* One TLSA record's row: its segments seg[0..n). */
static void
svg_record(struct svg *g, size_t hi, const struct tl_plan_tlsa *seg,
    size_t n)
{
	char label[128];
	const char *fill = OTHER_FILL;
	size_t i, li;
	int y = g->y + 2, h = SVG_ROW - 4;
	double light;

	/* The colour of the first chain the record's certificate is in. */
	for (li = 0; seg->cert != NULL && li < g->n_leaves; li++)
		if (tl_plan_chain_has(g->leaves[li], seg->cert)) {
			fill = leaf_fill[li];
			break;
		}
	if (seg->cert != NULL && li < g->n_leaves)
		snprintf(label, sizeof(label), "TLSA %u %u %u %c %s",
		    seg->usage, seg->selector, seg->mtype, (int)('A' + li),
		    seg->cert);
	else
		snprintf(label, sizeof(label), "TLSA %u %u %u %s%.8s%s",
		    seg->usage, seg->selector, seg->mtype,
		    seg->cert != NULL ? seg->cert : "",
		    seg->cert != NULL ? "" : seg->data,
		    seg->unusable ? " (unusable)" : "");
	svg_text(g, 14, g->y + 10, NULL, label);
	fputs("<g class=\"tlsa\">", g->fp);
	fputs("<title>", g->fp);
	report_xml_put(g->fp, label);
	fputs("</title>\n", g->fp);
	for (i = 0; i < n; i++) {
		/* Published, but a resolver may still hold the RRset
		 * without it: light. */
		light = seg[i].from + (double)seg[i].ttl_before;
		if (light > seg[i].to)
			light = seg[i].to;
		svg_rect(g, seg[i].from, light, y, h, fill,
		    " fill-opacity=\"0.3\" class=\"new\"");
		svg_rect(g, light, seg[i].to, y, h, fill, " class=\"on\"");
		/* Removed, but a resolver may still hold it: dashed. */
		if (seg[i].removed)
			svg_rect(g, seg[i].to, (double)seg[i].to +
			    seg[i].ttl_after, y, h, fill,
			    " fill-opacity=\"0.25\" class=\"stale\" "
			    "stroke=\"#555\" stroke-dasharray=\"2 2\"");
	}
	fputs("<g fill=\"#fff\" stroke=\"#000\">\n", g->fp);
	svg_returned(g, hi, seg);
	fputs("</g></g>\n", g->fp);
	g->y += SVG_ROW;
}

static void
svg_host(struct svg *g, size_t hi)
{
	const struct tl_plan_host *h = &g->pl->hosts[hi];
	size_t first = 0, n = 0;

	fprintf(g->fp, "<text x=\"4\" y=\"%d\" font-weight=\"bold\">",
	    g->y + 11);
	report_xml_put(g->fp, h->host);
	fputs("</text>\n", g->fp);
	g->y += SVG_ROW;
	svg_certs(g, h);
	svg_answers(g, hi);
	while (tl_plan_next_record(h, &first, &n))
		svg_record(g, hi, &h->tlsa[first], n);
}

/* Rows below the axis: lanes, then per host its label, certificate,
 * answers and records. */
static int
svg_height(const struct svg *g)
{
	size_t i, first, n;
	int y = 40 + (int)g->n_lanes * SVG_ROW + 4;

	for (i = 0; i < g->pl->n_hosts; i++) {
		y += 3 * SVG_ROW;
		first = n = 0;
		while (tl_plan_next_record(&g->pl->hosts[i], &first, &n))
			y += SVG_ROW;
	}
	return y + 2 * SVG_ROW;
}

void
report_svg_timeline(FILE *fp, const struct run_report *r,
    const struct run_scenario *s)
{
	struct svg g;
	size_t i;
	int height;

	if (s == NULL || s->timeline == NULL || s->timeline->n_phases == 0)
		return;
	memset(&g, 0, sizeof(g));
	g.fp = fp;
	g.r = r;
	g.s = s;
	g.pl = s->timeline;
	g.span = g.pl->end;
	svg_collect(&g);
	if (g.span < 1)
		g.span = 1;
	height = svg_height(&g);
	fprintf(fp, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/"
	    "svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"monospace\" font-size=\"10\" role=\"img\" "
	    "style=\"display:block;margin-top:4px\">"
	    "<title>", SVG_W, height, SVG_W, height);
	fputs("timeline of ", fp);
	report_xml_put(fp, s->id);
	fputs("</title>\n", fp);
	svg_axis(&g, height - 2 * SVG_ROW);
	g.y = 40;
	svg_lanes(&g);
	for (i = 0; i < g.pl->n_hosts; i++)
		svg_host(&g, i);
	/* The key. */
	svg_text(&g, 4, g.y + 12, NULL, "bars: certificate, TLSA published "
	    "(light: a resolver may still hold the RRset without it;");
	svg_text(&g, 4, g.y + 24, NULL, "dashed: removed, may still be "
	    "held); dots: client runs by verdict; rings: records returned");
	fputs("</svg>\n", fp);
}
