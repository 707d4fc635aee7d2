/*
 * cmd_serve.c -- `danelab serve SCENARIO`: bring one world up and keep it
 * up until SIGINT or SIGTERM.
 *
 * Two ways:
 *   default  on the host's loopback, no privileges: the DNS servers on
 *            127.53.0.x and the resolver on 127.53.53.53, all on an
 *            unprivileged port (SERVE_PORT); the resolver reaches the
 *            servers through stub zones (resolver.h); the SMTP servers
 *            on their MX hosts' addresses, port SERVE_SMTP_PORT;
 *   --netns  in fresh namespaces (lab.h), everything on port 53, the
 *            resolver following referrals from root hints, SMTP on each
 *            host's own port (25); entered with nsenter.
 *
 * A scenario with a timeline plays it (timeline.h): every phase's world
 * is built at start, and each phase is swapped into the servers at its
 * offset from the moment they are up, printed as it starts with where
 * it is on the timeline (cli_tl_where).  --phase
 * NAME serves one phase for good instead, --no-timeline the first.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/lab/lab.h"

#define SERVE_PORT 5300	     /* default on the host: unprivileged */
#define SERVE_SMTP_PORT 2525 /* SMTP on the host */

struct serve {
	struct cli_ctx *ctx;
	const struct scenario *s;
	const struct world *w;
	const char *phase;
	int first_phase; /* of a timeline played, else -1 */
	struct lab_prep lp;
	struct lab_servers_opts so;
	bool netns;
	bool userns; /* not root: lab_run adds a user namespace */
};

/* A name without its trailing dot, for commands to paste. */
static const char *
serve_plain(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (n > 1 && name[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

/* What a person needs to use the world, on stdout. */
static void
serve_print(const struct serve *sv, pid_t supervisor)
{
	const struct world *w = sv->w;
	const struct world_zone *z;
	char name[300], owner[300], at[64], nsenter[128];
	uint16_t port = sv->so.port, sport;
	size_t i, j;

	printf("danelab serve: %s -- %s\n", sv->s->id, sv->s->title);
	if (sv->so.timeline != NULL) {
		printf("timeline (played from the moment the servers are "
		       "up; phases are cumulative):\n");
		if (sv->s->time_scale != 1.0)
			printf("  time scale %g: offsets and TTLs as played, "
			    "not as the file says\n", sv->s->time_scale);
		for (i = 0; i < sv->s->n_phases; i++)
			printf("  at %5u s  %s\n", sv->s->phases[i].at,
			    sv->s->phases[i].name);
		printf("now in phase %s\n", sv->s->phases[w->phase].name);
		cli_tl_where(stdout, "  ", sv->s, w->phase);
	} else if (w->phase >= 0) {
		printf("timeline phase: %s (fixed: --phase or --no-timeline)\n",
		    sv->s->phases[w->phase].name);
	}
	printf("\nname servers (UDP and TCP port %u):\n", port);
	for (i = 0; i < w->n_zones; i++) {
		z = &w->zones[i];
		printf("  %-24s %-26s %s%s\n", z->name, z->ns_name, z->ns_addr,
		    z->is_signed ? "" : "  (unsigned)");
	}
	printf("validating resolver: %s port %u (%s)\n", WORLD_RESOLVER_ADDR,
	    port,
	    sv->so.upstream == RESOLVER_HINTS
		? "root hints, follows referrals"
		: "stub zones toward the servers above");
	if (!sv->so.no_smtp && w->n_hosts > 0) {
		printf("SMTP servers (STARTTLS; events as smtp.*):\n");
		for (i = 0; i < w->n_hosts; i++) {
			sport = sv->so.smtp_port != 0 ? sv->so.smtp_port
						      : w->hosts[i].scen->port;
			for (j = 0; j < w->hosts[i].scen->n_addrs; j++)
				printf("  %-24s %s port %u\n",
				    w->hosts[i].scen->name,
				    w->hosts[i].scen->addrs[j], sport);
		}
	}
	printf("\ntrust anchor (the lab root key):\n");
	if (w->anchor_ds != NULL && w->anchor_dnskey != NULL) {
		fputs("  ", stdout);
		ldns_rr_print(stdout, w->anchor_ds);
		fputs("  ", stdout);
		ldns_rr_print(stdout, w->anchor_dnskey);
	} else {
		printf("  none: the root is unsigned\n");
	}
	printf("  BIND syntax (delv -a): %s\n", sv->lp.files.anchor_conf);
	printf("  DNSKEY and DS files:   %s, %s\n", sv->lp.files.root_key,
	    sv->lp.files.root_ds);
	printf("world files (zones, keys, certificates, TLSA): %s\n",
	    sv->lp.files.world);

	serve_plain(sv->s->domain, name, sizeof(name));
	printf("\ntry:\n");
	if (!sv->netns) {
		snprintf(
		    at, sizeof(at), "@%s -p %u ", WORLD_RESOLVER_ADDR, port);
		nsenter[0] = '\0';
	} else {
		/* Inside, /etc/resolv.conf names the lab resolver. */
		at[0] = '\0';
		snprintf(nsenter, sizeof(nsenter), "nsenter -t %ld -n -m %s",
		    (long)supervisor,
		    sv->userns ? "-U --preserve-credentials " : "");
	}
	printf("  %sdig +dnssec %s%s MX\n", nsenter, at, name);
	for (i = 0; i < w->n_hosts; i++) {
		printf("  %sdig +dnssec %s%s A\n", nsenter, at,
		    serve_plain(w->hosts[i].target, owner, sizeof(owner)));
		printf("  %sdig +dnssec %s%s TLSA\n", nsenter, at,
		    serve_plain(w->hosts[i].tlsa_owner, owner, sizeof(owner)));
	}
	if (w->n_hosts > 0)
		printf("  %sdelv %s-a %s +root=. %s TLSA\n", nsenter, at,
		    sv->lp.files.anchor_conf,
		    serve_plain(w->hosts[0].tlsa_owner, owner, sizeof(owner)));
	for (i = 0; i < w->n_hosts && !sv->so.no_smtp; i++) {
		sport = sv->so.smtp_port != 0 ? sv->so.smtp_port
					      : w->hosts[i].scen->port;
		for (j = 0; j < w->hosts[i].scen->n_addrs; j++)
			printf("  %sopenssl s_client -connect %s:%u -starttls "
			       "smtp -servername %s </dev/null\n",
			    nsenter, w->hosts[i].scen->addrs[j], sport,
			    serve_plain(
				w->hosts[i].scen->name, owner, sizeof(owner)));
	}
	if (sv->netns && !sv->so.no_smtp && w->n_hosts > 0)
		printf("  %senv MAIL_CONFIG=%s posttls-finger -t30 -c -l dane "
		       "-P /etc/ssl/certs %s\n",
		    nsenter, sv->lp.files.mail_config, name);
	if (sv->netns)
		printf("  %s-p sh    # a shell in the world\n", nsenter);
	printf("\nready: serving %s until SIGINT or SIGTERM (pid %ld)\n",
	    sv->s->id, (long)getpid());
	fflush(stdout);
}

/*
 * A phase started (the timeline player's thread; with --netns, in the
 * supervisor, whose stdout is ours).  The first is in serve_print.
 */
static void
serve_phase(void *arg, const struct world *w, int phase, uint64_t at_ms,
    uint64_t actual_ms, int rc)
{
	const struct serve *sv = arg;
	const struct world_host_state *st;
	size_t i, j;

	if (phase == sv->first_phase || phase < 0)
		return;
	if (rc != 0) {
		printf("phase %s at %llu s: the DNS server refused its world "
		       "(%s); the previous phase stays\n",
		    sv->s->phases[phase].name,
		    (unsigned long long)(at_ms / 1000), dl_strerror(rc));
		fflush(stdout);
		return;
	}
	printf("phase switched at %llu s: %s (%llu.%03llu s after start)\n",
	    (unsigned long long)(at_ms / 1000), sv->s->phases[phase].name,
	    (unsigned long long)(actual_ms / 1000),
	    (unsigned long long)(actual_ms % 1000));
	cli_tl_where(stdout, "  ", sv->s, phase);
	for (i = 0; i < w->n_hosts; i++) {
		st = &w->hosts[i].st;
		printf("  %s: %zu TLSA record%s (TTL %u), chain",
		    w->hosts[i].target, st->n_tlsa, st->n_tlsa == 1 ? "" : "s",
		    w->hosts[i].tlsa_ttl);
		for (j = 0; j < st->n_chain; j++)
			printf(" %s", st->chain[j]);
		printf("\n");
	}
	fflush(stdout);
}

/* With --netns, once the lab is up. */
static void
serve_ready(void *arg, pid_t supervisor, struct dl_diags *d)
{
	struct serve *sv = arg;

	dl_diags_print(d, stderr);
	dl_diags_clear(d);
	dl_diags_init(d);
	serve_print(sv, supervisor);
}

/* On the host: start, print, wait for a signal, stop. */
static int
serve_host(struct serve *sv, struct dl_diags *d)
{
	struct lab_servers *servers;
	sigset_t set, old;
	int sig, rc;

	/* Blocked before the server threads start, so they inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((rc = lab_servers_start(sv->w, &sv->so, &servers, d)) == 0) {
		serve_print(sv, 0);
		while (sigwait(&set, &sig) != 0)
			;
		fprintf(stderr, "%s serve: %s, stopping\n", sv->ctx->prog,
		    strsignal(sig));
		lab_servers_stop(servers);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int
cmd_serve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"netns", no_argument, NULL, 'n'},
	    {"port", required_argument, NULL, 'P'},
	    {"events", required_argument, NULL, 'e'},
	    {"phase", required_argument, NULL, 'p'},
	    {"no-timeline", no_argument, NULL, 'T'},
	    {"time-scale", required_argument, NULL, 'F'},
	    {"smtp-port", required_argument, NULL, 'S'},
	    {"no-smtp", no_argument, NULL, 'N'},
	    {"resolver-log", required_argument, NULL, 'L'},
	    {"maildir", required_argument, NULL, 'M'},
	    {"events-limit", required_argument, NULL, 'E'},
	    {NULL, 0, NULL, 0},
	};
	const struct cli_verb *v = cli_verb_find("serve");
	const char *events = NULL;
	struct scenario *s = NULL;
	struct lab_spec spec;
	struct serve sv;
	bool no_timeline = false;
	double time_scale = 1.0;
	struct dl_diags d;
	uint16_t port = 0, smtp_port = 0;
	uint64_t limit = 0;
	bool lost = false;
	int c, rc, status = 0;

	memset(&sv, 0, sizeof(sv));
	sv.ctx = ctx;
	/* Asked now: in lab_run's user namespace we are uid 0. */
	sv.userns = geteuid() != 0;
	while ((c = getopt_long(argc, argv, "ne:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			sv.netns = true;
			break;
		case 'P':
			if (cli_port(ctx, v->name, "port", optarg, &port) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'e':
			events = optarg;
			break;
		case 'p':
			sv.phase = optarg;
			break;
		case 'T':
			no_timeline = true;
			break;
		case 'F':
			if (cli_time_scale(ctx, v->name, optarg,
			    &time_scale) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'S':
			if (cli_port(ctx, v->name, "smtp-port", optarg,
			    &smtp_port) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'N':
			sv.so.no_smtp = true;
			break;
		case 'L':
			sv.so.resolver_log = optarg;
			break;
		case 'E':
			if (cli_size(ctx, v->name, "events-limit", optarg,
			    EVLOG_MIN_LIMIT, EVLOG_MAX_LIMIT, &limit) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'M':
			if (!cli_dir_writable(optarg)) {
				fprintf(stderr, "%s %s: --maildir %s is not a "
				    "writable directory\n", ctx->prog, v->name,
				    optarg);
				return CLI_EXIT_USAGE;
			}
			sv.so.maildir = optarg;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if (limit != 0 && events == NULL) {
		fprintf(stderr, "%s %s: --events-limit goes with --events\n",
		    ctx->prog, v->name);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_scenario(ctx, argv[optind], &s)) != 0)
		return rc;
	/* As `run --time-scale` plays it: a cell reproduced by hand. */
	if (cli_scenario_scale(s, time_scale) != 0) {
		scenario_free(s);
		return CLI_EXIT_USAGE;
	}

	dl_diags_init(&d);
	sv.s = s;
	sv.so.port = port > 0 ? port : sv.netns ? 53 : SERVE_PORT;
	/* On the host, SMTP on an unprivileged port; inside, each host's. */
	if (smtp_port > 0)
		sv.so.smtp_port = smtp_port;
	else if (!sv.netns)
		sv.so.smtp_port = SERVE_SMTP_PORT;
	/* Referrals name servers on port 53: stubs for any other port. */
	sv.so.upstream = sv.so.port == 53 ? RESOLVER_HINTS : RESOLVER_STUBS;
	rc = lab_prep_open(s, ctx->fixtures_dir, sv.phase, !no_timeline,
	    events, &sv.so, &sv.lp, &d);
	if (rc == 0 && limit != 0)
		(void)evlog_set_limit(sv.lp.log, limit);
	sv.w = sv.lp.w;
	sv.first_phase = sv.lp.first_phase;
	if (sv.lp.tw != NULL) {
		sv.so.on_phase = serve_phase;
		sv.so.phase_arg = &sv;
	}
	if (rc == 0 && !sv.netns) {
		rc = serve_host(&sv, &d);
	} else if (rc == 0) {
		memset(&spec, 0, sizeof(spec));
		spec.files = &sv.lp.files;
		spec.world = sv.w;
		spec.servers = &sv.so;
		spec.ready = serve_ready;
		spec.arg = &sv;
		rc = lab_run(&spec, &status, &d);
	}
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	if (rc == 0 && events != NULL)
		lost = cli_events_end(ctx, v->name, events, sv.lp.log);
	lab_prep_clear(&sv.lp);
	scenario_free(s);
	if (rc != 0)
		return CLI_EXIT_USAGE;
	return status == 0 && !lost ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
