/*
 * cmd_explain.c -- `danelab explain`: a scenario as teaching text.
 *
 * Renders what is broken, the RFC rule, what a correct client does under
 * each policy (and phase), the declared DNSSEC states, the world itself,
 * and how to observe the fault.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/run/facts.h"
#include "harness/timeline/tl_plan.h"
#include "simulator/zone/world.h"

#define WRAP 72

/*
 * Print text as paragraphs wrapped at WRAP columns with an indent.  A
 * line that starts with white space, "$ " or "- " is kept as written
 * (commands, lists); blank lines separate paragraphs.
 */
static void
explain_wrap(FILE *fp, const char *text, int indent)
{
	const char *p = text, *eol;
	int col = 0;

	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (eol == p) {			/* blank line */
			if (col > 0)
				fputc('\n', fp);
			fputc('\n', fp);
			col = 0;
		} else if (isspace((unsigned char)*p) ||
		    strncmp(p, "$ ", 2) == 0 || strncmp(p, "- ", 2) == 0) {
			if (col > 0)
				fputc('\n', fp);
			fprintf(fp, "%*s%.*s\n", indent, "", (int)(eol - p), p);
			col = 0;
		} else {
			const char *w = p;

			while (w < eol) {
				const char *we;

				while (w < eol && *w == ' ')
					w++;
				if (w >= eol)
					break;
				we = w;
				while (we < eol && *we != ' ')
					we++;
				if (col > indent &&
				    col + 1 + (we - w) > WRAP) {
					fputc('\n', fp);
					col = 0;
				}
				if (col == 0) {
					fprintf(fp, "%*s", indent, "");
					col = indent;
				} else {
					fputc(' ', fp);
					col++;
				}
				fwrite(w, 1, (size_t)(we - w), fp);
				col += (int)(we - w);
				w = we;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	if (col > 0)
		fputc('\n', fp);
}

static void
explain_policy(FILE *fp, const struct scenario *s, int phase)
{
	char a[128];
	int p;
	size_t i;

	for (p = 0; p < SCEN_POLICY_COUNT; p++) {
		const struct scen_expect_policy *e = scenario_expect(s, p,
		    phase);

		if (e == NULL || !e->set)
			continue;
		fprintf(fp, "    %-10s %s", scen_policy_name(p),
		    cli_accept_text(e->overall, e->accept, a, sizeof(a)));
		if (e->n_hosts > 0) {
			fputs(" (", fp);
			for (i = 0; i < e->n_hosts; i++)
				fprintf(fp, "%s%s %s", i ? ", " : "",
				    e->hosts[i].host, cli_accept_text(
				    e->hosts[i].action, e->hosts[i].accept, a,
				    sizeof(a)));
			fputc(')', fp);
		}
		fputc('\n', fp);
		if (scen_accept_count(e->accept) > 1)
			fprintf(fp, "    %-10s (a set: the RFC allows a choice, "
			    "any of these passes; %s is the primary reading)\n",
			    "", scen_action_name(e->overall));
	}
}

static const char *
explain_action_text(enum scen_action a)
{
	switch (a) {
	case SCEN_ACT_AUTH:
		return "deliver over TLS authenticated by DANE";
	case SCEN_ACT_ENCRYPT:
		return "deliver over TLS; authentication not required";
	case SCEN_ACT_OPPORTUNISTIC:
		return "pre-DANE behaviour: TLS if offered, cleartext allowed";
	case SCEN_ACT_NEXT_MX:
		return "never deliver through this host; try the next MX";
	case SCEN_ACT_DEFER:
		return "do not deliver: keep the message queued";
	default:
		return "";
	}
}

/* One line per distinct action used anywhere in the expectations. */
static void
explain_legend(FILE *fp, const struct scenario *s)
{
	bool seen[SCEN_ACT_DEFER + 1] = { false };
	size_t i, k, n = s->n_phases > 0 ? s->n_phases : 1;
	int p, a;

	for (i = 0; i < n; i++) {
		for (p = 0; p < SCEN_POLICY_COUNT; p++) {
			const struct scen_expect_policy *e = scenario_expect(s,
			    p, s->n_phases > 0 ? (int)i : -1);

			if (e == NULL || !e->set)
				continue;
			for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++)
				if (e->accept & SCEN_ACT_BIT(a))
					seen[a] = true;
			seen[e->overall] = true;
			for (k = 0; k < e->n_hosts; k++)
				for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER;
				    a++)
					if (e->hosts[k].accept &
					    SCEN_ACT_BIT(a))
						seen[a] = true;
		}
	}
	for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++)
		if (seen[a])
			fprintf(fp, "    (%s: %s)\n", scen_action_name(a),
			    explain_action_text(a));
}

static void
explain_tlsa(FILE *fp, const struct scen_tlsa *t, size_t n)
{
	size_t i, k;

	if (n == 0) {
		fputs("      TLSA: none\n", fp);
		return;
	}
	for (i = 0; i < n; i++) {
		fprintf(fp, "      TLSA %u %u %u ", t[i].usage, t[i].selector,
		    t[i].mtype);
		if (t[i].cert != NULL) {
			fprintf(fp, "<computed from fixture %s>", t[i].cert);
		} else {
			for (k = 0; k < t[i].data_len && k < 16; k++)
				fprintf(fp, "%02x", t[i].data[k]);
			if (t[i].data_len > 16)
				fputs("...", fp);
		}
		fputs(t[i].unusable ? "  (deliberately unusable)\n" : "\n",
		    fp);
	}
}

static void
explain_chain(FILE *fp, char **chain, size_t n)
{
	size_t i;

	fputs("      chain:", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%s", i ? " <- " : " ", chain[i]);
	fputc('\n', fp);
}

/* One declared state: "secure", or "secure|bogus" for a set. */
static void
explain_state(FILE *fp, const char *what, const char *host,
    enum scen_dnssec primary, unsigned accept)
{
	int st;

	fprintf(fp, "    %s %-28s %s", what, host, scen_dnssec_name(primary));
	for (st = SCEN_DNSSEC_SECURE; st <= SCEN_DNSSEC_INDETERMINATE; st++)
		if (st != (int)primary && (accept & SCEN_STATE_BIT(st)))
			fprintf(fp, "|%s", scen_dnssec_name(st));
	fputs(accept & ~SCEN_STATE_BIT(primary) ?
	    "  (validators differ; the lab resolver's first)\n" : "\n", fp);
}

static void
explain_fault(FILE *fp, const struct scen_fault *f)
{
	fprintf(fp, "    - ");
	switch (f->kind) {
	case SCEN_FAULT_DS:
		fprintf(fp, "DS %s for zone %s", scen_ds_name(f->ds), f->zone);
		break;
	case SCEN_FAULT_SIGNATURES:
		fprintf(fp, "signatures %s in zone %s", scen_sig_name(f->sig),
		    f->zone);
		if (f->name != NULL)
			fprintf(fp, " for %s", f->name);
		if (f->key != NULL)
			fprintf(fp, ", signed by key %s", f->key);
		if (f->timed)
			fprintf(fp, ", valid from now%+ld s to now%+ld s",
			    (long)f->sig_inception, (long)f->sig_expiration);
		break;
	case SCEN_FAULT_DNS:
		fprintf(fp, "DNS %s for %s", scen_dns_fault_name(f->dns),
		    f->name);
		break;
	case SCEN_FAULT_STARTTLS:
		fprintf(fp, "STARTTLS %s on %s",
		    scen_starttls_name(f->starttls), f->host);
		break;
	}
	fputc('\n', fp);
	if (f->note != NULL)
		explain_wrap(fp, f->note, 8);
}

/* What a DANE checker must diagnose (facts.h), per host. */
static void
explain_diagnosis(FILE *fp, const struct scenario *s, int phase,
    const char *fixtures)
{
	struct world_facts wf;
	char buf[512];
	size_t i;
	int k;

	facts_derive(s, phase, fixtures, &wf);
	for (i = 0; i < wf.n; i++) {
		fprintf(fp, "    %s: %s\n", wf.host[i].host,
		    facts_format(&wf.host[i], buf, sizeof(buf)));
		for (k = 0; k < FACT_COUNT; k++)
			if (wf.host[i].why[k][0] != '\0')
				fprintf(fp, "      %s: %s\n", fact_key_name(k),
				    wf.host[i].why[k]);
	}
}

/* ------------------------------------------------------- the timeline */

#define TL_LABEL 25	/* label column */
#define TL_COLS CLI_TL_COLS	/* 25 + 52 + margins fit in 80 */

/* Which column a second falls in: phases' offsets are whole seconds. */
static size_t
tl_col(uint32_t at, double step)
{
	return (size_t)(at / step);
}

static void
tl_label(FILE *fp, const char *a, const char *b)
{
	size_t n = strlen(a), m = b != NULL ? strlen(b) : 0;
	int w = TL_LABEL - 3;

	/* Cut to the label column, one space before the plot. */
	if (n > (size_t)w)
		n = (size_t)w;
	if (m > (size_t)w - n)
		m = (size_t)w - n;
	fprintf(fp, "  %.*s%.*s%*s", (int)n, a, (int)m, b != NULL ? b : "",
	    w + 1 - (int)(n + m), "");
}

/*
 * One row per TLSA record a host has in some phase: '#' published; '?'
 * published, but a resolver that fetched the RRset before may still
 * serve it without the record (one TTL after it appeared); '~' removed,
 * but a resolver may still serve it (one TTL after it went).
 */
static void
tl_tlsa_row(FILE *fp, const struct tl_plan *pl, const struct tl_plan_tlsa *g,
    size_t n, double step)
{
	static const char mark[] = { [TL_AT_OFF] = ' ', [TL_AT_ON] = '#',
		[TL_AT_NEW] = '?', [TL_AT_STALE] = '~' };
	char label[64];
	size_t col;

	snprintf(label, sizeof(label), "%u %u %u %s", g->usage, g->selector,
	    g->mtype, g->cert != NULL ? g->cert : "(hex)");
	tl_label(fp, "  ", label);
	for (col = 0; col < TL_COLS; col++)
		fputc(mark[tl_plan_tlsa_at(pl, g, n, (double)col * step)], fp);
	fputc('\n', fp);
}

/*
 * The timeline drawn in text (80 columns) from its plan (tl_plan.h, the
 * same the HTML report draws): the phases, each host's certificate in
 * service and TLSA records, the windows in which a resolver may still
 * hold an earlier RRset, and the client's runs.
 */
static void
explain_timeline(FILE *fp, const struct scenario *s)
{
	struct tl_plan *pl = tl_plan_build(s, NULL);
	const char *leaves[16], *leaf;	/* chains, A first */
	size_t n_leaves = 0, i, j, k, col, p, first, n;
	double step;
	char row[TL_COLS + 1];

	if (pl == NULL)
		return;
	step = (double)pl->end / TL_COLS;
	/*
	 * A column is a second, or half of one when the timeline fits (the
	 * catalogue's timelines last some 20 s): the 2 s margins around a
	 * cache expiry stay visible, ticks still fall on whole seconds.
	 */
	if (step < 1)
		step = pl->end <= TL_COLS / 2 ? 0.5 : 1;
	fprintf(fp, "\nThe timeline (one column = %.1f s; TLSA TTL up to "
	    "%u s)\n", step, pl->max_ttl);
	/* The axis: a tick every 10 columns. */
	tl_label(fp, "seconds", NULL);
	for (col = 0; col < TL_COLS; col += 10)
		fprintf(fp, "%-*.0f", TL_COLS - col < 10 ? (int)(TL_COLS - col) :
		    10, (double)col * step);
	fputc('\n', fp);
	/* Phases: '|' where one starts, its name after it if it fits. */
	memset(row, ' ', TL_COLS);
	row[TL_COLS] = '\0';
	for (p = 0; p < pl->n_phases; p++) {
		col = tl_col(pl->phases[p].at, step);
		if (col >= TL_COLS)
			continue;
		row[col] = '|';
		for (k = 0; pl->phases[p].name[k] != '\0' && col + 1 + k <
		    TL_COLS && (p + 1 >= pl->n_phases || col + 1 + k <
		    tl_col(pl->phases[p + 1].at, step)); k++)
			row[col + 1 + k] = pl->phases[p].name[k];
	}
	tl_label(fp, "phases", NULL);
	fprintf(fp, "%s\n", row);
	memset(row, ' ', TL_COLS);
	for (p = 0; p < pl->n_phases; p++)
		if ((col = tl_col(pl->phases[p].at, step)) < TL_COLS)
			row[col] = 'v';
	tl_label(fp, "client runs", NULL);
	fprintf(fp, "%s\n", row);
	for (i = 0; i < pl->n_hosts; i++) {
		const struct tl_plan_host *h = &pl->hosts[i];

		tl_label(fp, s->hosts[i].name, NULL);
		fputc('\n', fp);
		/*
		 * Certificate: a letter per chain presented, A for the
		 * first (a DANE-TA world changes the chain, not the leaf).
		 */
		memset(row, ' ', TL_COLS);
		for (col = 0; col < TL_COLS; col++) {
			if ((leaf = tl_plan_cert_at(pl, h,
			    (double)col * step)) == NULL)
				continue;
			for (j = 0; j < n_leaves && strcmp(leaves[j], leaf) != 0;
			    j++)
				;
			if (j == n_leaves && n_leaves < 16)
				leaves[n_leaves++] = leaf;
			row[col] = j < 16 ? (char)('A' + j) : '*';
		}
		tl_label(fp, "  certificate", NULL);
		fprintf(fp, "%s\n", row);
		first = n = 0;
		while (tl_plan_next_record(h, &first, &n))
			tl_tlsa_row(fp, pl, &h->tlsa[first], n, step);
	}
	/* One chain per line when they do not fit on one. */
	for (j = 0, k = 16; j < n_leaves; j++)
		k += strlen(leaves[j]) + 3;
	fputs("  certificates:", fp);
	for (j = 0; j < n_leaves; j++)
		fprintf(fp, "%s%c=%s", k > TL_COLS + 24 && j > 0 ?
		    "\n                " : " ", (char)('A' + j), leaves[j]);
	fputs("\n  TLSA: # published; ? published, a resolver may still "
	    "hold the RRset\n    without it; ~ removed, a resolver may still "
	    "hold it; v: a client run\n", fp);
	tl_plan_free(pl);
}

static void
explain(FILE *fp, const struct scenario *s, const char *fixtures)
{
	size_t i, j, k;

	fprintf(fp, "%s\n  %s\n\n", s->id, s->title);
	fprintf(fp, "  file: %s\n", s->file);
	if (s->category != SCEN_CAT_NONE)
		fprintf(fp, "  study category: %s\n",
		    scen_category_name(s->category));
	if (s->n_tags > 0) {
		fputs("  tags:", fp);
		for (i = 0; i < s->n_tags; i++)
			fprintf(fp, " %s", s->tags[i]);
		fputc('\n', fp);
	}
	fputs("  references:", fp);
	for (i = 0; i < s->n_refs; i++)
		fprintf(fp, "%s %s", i ? ";" : "", s->refs[i]);
	fputs("\n\nWhat is broken\n", fp);
	explain_wrap(fp, s->explanation, 2);
	if (s->rule != NULL) {
		fputs("\nThe rule\n", fp);
		explain_wrap(fp, s->rule, 2);
	}

	if (s->n_phases > 0)
		explain_timeline(fp, s);

	fputs("\nWhat a correct client does\n", fp);
	if (s->n_phases == 0) {
		explain_policy(fp, s, -1);
	} else {
		for (i = 0; i < s->n_phases; i++) {
			fprintf(fp, "  phase %s (from %us):\n",
			    s->phases[i].name, s->phases[i].at);
			explain_policy(fp, s, (int)i);
		}
	}
	explain_legend(fp, s);
	fputs("  DNSSEC states a validator must find:\n", fp);
	if (s->expect.mx != SCEN_DNSSEC_UNSET)
		fprintf(fp, "    MX   %-28s %s\n", s->domain,
		    scen_dnssec_name(s->expect.mx));
	for (i = 0; i < s->expect.n_states; i++) {
		const struct scen_host_state *st = &s->expect.states[i];

		if (st->address != SCEN_DNSSEC_UNSET)
			explain_state(fp, "A   ", st->host, st->address,
			    st->address_accept);
		if (st->tlsa != SCEN_DNSSEC_UNSET)
			explain_state(fp, "TLSA", st->host, st->tlsa,
			    st->tlsa_accept);
	}
	fputs("  What a DANE checker must diagnose (codes: "
	    "harness/clients/DIAGNOSIS.md):\n", fp);
	if (s->n_phases == 0)
		explain_diagnosis(fp, s, -1, fixtures);
	for (i = 0; i < s->n_phases; i++) {
		fprintf(fp, "   phase %s:\n", s->phases[i].name);
		explain_diagnosis(fp, s, (int)i, fixtures);
	}

	fprintf(fp, "\nThe world\n  mail domain %s\n", s->domain);
	for (i = 0; i < s->n_hosts; i++) {
		const struct scen_host *h = &s->hosts[i];

		fprintf(fp, "    MX %u %s", h->preference, h->name);
		for (k = 0; k < h->n_addrs; k++)
			fprintf(fp, "%s%s", k ? ", " : " at ", h->addrs[k]);
		if (h->cname != NULL)
			fprintf(fp, " (CNAME to %s)", h->cname);
		fprintf(fp, ", STARTTLS %s\n", scen_starttls_name(h->starttls));
		explain_chain(fp, h->chain, h->n_chain);
		for (j = 0; j < h->n_sni; j++) {
			fprintf(fp, "      chain with SNI %s:", h->sni[j].name);
			for (k = 0; k < h->sni[j].n_chain; k++)
				fprintf(fp, "%s%s", k ? " <- " : " ",
				    h->sni[j].chain[k]);
			fputc('\n', fp);
		}
		explain_tlsa(fp, h->tlsa, h->n_tlsa);
	}
	fputs("  zones:", fp);
	for (i = 0; i < s->n_zones; i++)
		fprintf(fp, " %s%s", s->zones[i].name,
		    s->zones[i].is_signed ? "" : "(unsigned)");
	fputc('\n', fp);
	if (s->n_faults > 0) {
		fputs("  faults:\n", fp);
		for (i = 0; i < s->n_faults; i++)
			explain_fault(fp, &s->faults[i]);
	}
	for (i = 0; i < s->n_phases; i++) {
		const struct scen_phase *ph = &s->phases[i];

		fprintf(fp, "  phase %s at %us:\n", ph->name, ph->at);
		for (k = 0; k < ph->n_hosts; k++) {
			const struct scen_phase_host *h = &ph->hosts[k];

			fprintf(fp, "    %s\n", h->host);
			if (h->chain != NULL)
				explain_chain(fp, h->chain, h->n_chain);
			if (h->set_tlsa)
				explain_tlsa(fp, h->tlsa, h->n_tlsa);
			if (h->tlsa_ttl != 0)
				fprintf(fp, "      TLSA TTL %u\n", h->tlsa_ttl);
		}
	}
	if (s->observe != NULL) {
		fputs("\nHow to observe it\n", fp);
		explain_wrap(fp, s->observe, 2);
		fprintf(fp, "\n  These commands run inside the world:\n"
		    "    danelab shell %s\n"
		    "  where the resolver (127.53.53.53) is in /etc/resolv.conf and\n"
		    "  delv takes the lab anchor with -a \"$DANELAB_ANCHOR\" +root=.\n",
		    s->id);
	}
}

int
cmd_explain(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_verb *v = cli_verb_find("explain");
	struct scenario *s = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_scenario(ctx, argv[1], &s)) != 0)
		return rc;
	explain(stdout, s, ctx->fixtures_dir);
	scenario_free(s);
	return CLI_EXIT_OK;
}
