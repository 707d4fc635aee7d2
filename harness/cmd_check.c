/*
 * cmd_check.c -- `danelab check`: validate scenario files, and with
 * --client a client profile (its file, its deviations against the
 * catalogue, its expected run time against the timelines), and the
 * margins of every timeline around cache expiries.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/cli.h"
#include "harness/clients/profile.h"

/*
 * One expectation that accepts more than one action: where it is, what
 * passes, and which reading is the primary one.
 */
static void
check_explain_policy(FILE *fp, const struct scenario *s,
    const struct scen_expect_policy *e, enum scen_policy p, const char *phase)
{
	char a[128];
	bool any = scen_accept_count(e->accept) > 1;
	size_t i;

	for (i = 0; i < e->n_hosts; i++)
		any = any || scen_accept_count(e->hosts[i].accept) > 1;
	if (!e->set || !any)
		return;
	fprintf(fp, "%s:%u:%u: '%s'%s%s%s accepts a set of actions, %s: a "
	    "client passes with any of them (%s is the primary reading)\n",
	    s->file, e->pos.line, e->pos.col, scen_policy_name(p),
	    phase ? " (phase " : "", phase ? phase : "", phase ? ")" : "",
	    cli_accept_text(e->overall, e->accept, a, sizeof(a)),
	    scen_action_name(e->overall));
	for (i = 0; i < e->n_hosts; i++)
		if (scen_accept_count(e->hosts[i].accept) > 1)
			fprintf(fp, "%s:%u:%u:   MX host %s: any of %s%s\n",
			    s->file, e->hosts[i].pos.line,
			    e->hosts[i].pos.col, e->hosts[i].host,
			    cli_accept_text(e->hosts[i].action,
			    e->hosts[i].accept, a, sizeof(a)),
			    (e->hosts[i].accept &
			    SCEN_ACT_BIT(SCEN_ACT_NEXT_MX)) ? " (next-mx: "
			    "skipping it is allowed too)" : "");
}

/* "secure|bogus", the primary first. */
static const char *
check_state_text(enum scen_dnssec primary, unsigned accept, char *buf,
    size_t len)
{
	size_t o;
	int st;

	o = (size_t)snprintf(buf, len, "%s", scen_dnssec_name(primary));
	for (st = SCEN_DNSSEC_SECURE; st <= SCEN_DNSSEC_INDETERMINATE; st++)
		if (st != (int)primary && (accept & SCEN_STATE_BIT(st)) &&
		    o < len)
			o += (size_t)snprintf(buf + o, len - o, "|%s",
			    scen_dnssec_name((enum scen_dnssec)st));
	return buf;
}

/* Every host state that names a set: validators differ there. */
static void
check_explain_states(FILE *fp, const struct scenario *s)
{
	char a[96];
	size_t i;

	for (i = 0; i < s->expect.n_states; i++) {
		const struct scen_host_state *st = &s->expect.states[i];

		if (st->address_accept & ~SCEN_STATE_BIT(st->address))
			fprintf(fp, "%s:%u:%u: 'address' of MX host %s "
			    "accepts the states %s: validators differ (%s is "
			    "the lab resolver's)\n", s->file,
			    s->expect.address_pos.line,
			    s->expect.address_pos.col, st->host,
			    check_state_text(st->address, st->address_accept,
			    a, sizeof(a)),
			    scen_dnssec_name(st->address));
		if (st->tlsa_accept & ~SCEN_STATE_BIT(st->tlsa))
			fprintf(fp, "%s:%u:%u: 'tlsa' of MX host %s accepts "
			    "the states %s: validators differ (%s is the lab "
			    "resolver's)\n", s->file, s->expect.tlsa_pos.line,
			    s->expect.tlsa_pos.col, st->host,
			    check_state_text(st->tlsa, st->tlsa_accept, a,
			    sizeof(a)),
			    scen_dnssec_name(st->tlsa));
	}
}

/* Every expectation of s that names a set of acceptable actions. */
static void
check_explain_sets(FILE *fp, const struct scenario *s)
{
	size_t i;
	int p;

	check_explain_states(fp, s);
	for (p = 0; p < SCEN_POLICY_COUNT; p++) {
		check_explain_policy(fp, s, &s->expect.policy[p], p, NULL);
		for (i = 0; i < s->n_phases; i++)
			check_explain_policy(fp, s,
			    &s->phases[i].expect.policy[p], p,
			    s->phases[i].name);
	}
}

/*
 * What check says about a scenario that loaded: its sets of accepted
 * actions (unless quiet), and, as warnings, the phases that start too
 * close to a cache expiry (scenario_timeline_check).
 */
static void
check_one(const struct scenario *s, bool quiet, struct dl_diags *d)
{
	if (!quiet)
		check_explain_sets(stdout, s);
	scenario_timeline_check(s, d);
}

int
cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "warnings-as-errors", no_argument, NULL, 'W' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "schema", no_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_profile *prof = NULL;
	const char *client = NULL;
	const struct cli_verb *v = cli_verb_find("check");
	struct dl_diags d;
	struct scenario **list, *s;
	size_t files = 0, n, i;
	bool werror = false, quiet = false;
	int c, a;

	while ((c = getopt_long(argc, argv, "Wqc:", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			werror = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 's':
			scenario_schema_markdown(stdout);
			return CLI_EXIT_OK;
		case 'c':
			client = optarg;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	/* Every scenario names fixtures; no file given: the catalogue. */
	if (cli_data_check(ctx, DANELAB_DATA_FIXTURES) != 0 ||
	    ((optind >= argc || client != NULL) &&
	    cli_data_check(ctx, DANELAB_DATA_SCENARIOS) != 0))
		return CLI_EXIT_USAGE;
	dl_diags_init(&d);
	if (client != NULL && cli_profile_find(client, &prof, &d) != 0) {
		dl_diags_print(&d, stderr);
		dl_diags_clear(&d);
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc || prof != NULL) {
		/* The whole catalogue (a profile is checked against it). */
		list = NULL;
		n = 0;
		scenario_load_dir(ctx->scenarios_dir, ctx->fixtures_dir,
		    &list, &n, &d);
		if (optind >= argc) {
			files += n;
			for (i = 0; i < n; i++)
				check_one(list[i], quiet, &d);
		}
		if (prof != NULL) {
			profile_deviations_check(prof, list, n, &d);
			profile_runtime_check(prof, list, n, 1.0, &d);
			if (!quiet)
				printf("%s: profile %s (%s), %zu deviation%s\n",
				    prof->file, prof->name,
				    profile_kind_name(prof->kind), prof->n_devs,
				    prof->n_devs == 1 ? "" : "s");
		}
		scenario_list_free(list, n);
	}
	for (a = optind; a < argc; a++) {
		struct stat st;

		if (stat(argv[a], &st) != 0) {
			dl_error(&d, argv[a], 0, 0, "no such file or directory");
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			list = NULL;
			n = 0;
			scenario_load_dir(argv[a], ctx->fixtures_dir, &list,
			    &n, &d);
			files += n;
			for (i = 0; i < n; i++)
				check_one(list[i], quiet, &d);
			scenario_list_free(list, n);
		} else {
			s = NULL;
			if (scenario_load(argv[a], ctx->fixtures_dir, &s,
			    &d) == 0) {
				files++;
				check_one(s, quiet, &d);
			}
			scenario_free(s);
		}
	}
	dl_diags_print(&d, stderr);
	if (!quiet)
		printf("%zu scenario%s loaded, %zu error%s, %zu warning%s\n",
		    files, files == 1 ? "" : "s", d.errors,
		    d.errors == 1 ? "" : "s", d.warnings,
		    d.warnings == 1 ? "" : "s");
	i = d.errors + (werror ? d.warnings : 0);
	dl_diags_clear(&d);
	profile_free(prof);
	return i > 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
