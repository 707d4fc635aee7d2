/*
 * cmd_shell.c -- `danelab shell SCENARIO [-- COMMAND ARGS...]`: a shell,
 * or one command, inside fresh namespaces holding the world (lab.h):
 * its DNS servers on 127.53.0.x:53, the resolver on 127.53.53.53:53 in
 * /etc/resolv.conf, the lab root key over /usr/share/dns/root.key and
 * root.ds.  Exits with the command's status.
 *
 * The command's environment also gets (the paths are in the lab's
 * temporary directory, visible inside and removed at the end):
 *   DANELAB_SCENARIO  the scenario id
 *   DANELAB_RESOLVER  127.53.53.53
 *   DANELAB_ANCHOR    the trust anchor in BIND syntax (delv -a)
 *   DANELAB_ROOT_KEY  the anchor as a DNSKEY record (as root.key)
 *   DANELAB_ROOT_DS   the anchor as a DS record (as root.ds)
 *   DANELAB_WORLD     the world as standard files (danelab export)
 *   MAIL_CONFIG       a directory with a main.cf for Postfix's client
 *                     programs (DNSSEC, DANE), so that posttls-finger
 *                     works as is; also as DANELAB_MAIL_CONFIG
 * The MX hosts' SMTP servers listen on their addresses, port 25.
 *
 * A scenario with a timeline plays it (timeline.h) from the moment the
 * servers are up, each phase announced on stderr (not with --quiet);
 * --phase NAME serves one phase for good, --no-timeline the first.
 *
 * With --client NAME, instead of a command: the client's profile,
 * rendered, run once in the world exactly as `danelab run` runs it (a
 * timeline: once per phase), its whole output, the evidence and the
 * verdict printed, and the cell's directory (rendered files, plan,
 * events, outputs) left for inspection.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/lab/lab.h"
#include "harness/report/report.h"
#include "harness/run/run.h"
#include "simulator/util/xmem.h"

struct shell {
	struct cli_ctx *ctx;
	const struct scenario *s;
	const struct world *w;
	struct lab_prep lp;
	struct lab_servers_opts so;
	int first_phase; /* of a timeline played, else -1 */
	bool quiet;
};

/* A phase started (in the supervisor's timeline thread). */
static void
shell_phase(void *arg, const struct world *w, int phase, uint64_t at_ms,
    uint64_t actual_ms, int rc)
{
	const struct shell *sh = arg;

	(void)w;
	if (sh->quiet || phase == sh->first_phase || phase < 0)
		return;
	if (rc != 0)
		fprintf(stderr,
		    "danelab shell: phase %s at %llu s: the DNS server "
		    "refused its world (%s)\n",
		    sh->s->phases[phase].name,
		    (unsigned long long)(at_ms / 1000), dl_strerror(rc));
	else
		fprintf(stderr,
		    "danelab shell: phase switched at %llu s: %s "
		    "(%llu.%03llu s after start)\n",
		    (unsigned long long)(at_ms / 1000),
		    sh->s->phases[phase].name,
		    (unsigned long long)(actual_ms / 1000),
		    (unsigned long long)(actual_ms % 1000));
}

static void
shell_ready(void *arg, pid_t supervisor, struct dl_diags *d)
{
	struct shell *sh = arg;
	const char *phase = "";
	size_t dn;

	dl_diags_print(d, stderr);
	dl_diags_clear(d);
	dl_diags_init(d);
	if (sh->quiet)
		return;
	if (sh->w->phase >= 0)
		phase = sh->s->phases[sh->w->phase].name;
	fprintf(stderr,
	    "danelab shell: %s%s%s; resolver %s "
	    "(/etc/resolv.conf); anchor /usr/share/dns/root.key, "
	    "DANELAB_ANCHOR=%s\n",
	    sh->s->id, *phase != '\0' ? " phase " : "", phase,
	    WORLD_RESOLVER_ADDR, sh->lp.files.anchor_conf);
	if (sh->w->n_hosts > 0 && sh->w->hosts[0].scen->n_addrs > 0) {
		dn = strlen(sh->s->domain);
		if (dn > 1 && sh->s->domain[dn - 1] == '.')
			dn--;
		fprintf(stderr,
		    "danelab shell: SMTP on %s port %u%s; try: posttls-finger "
		    "-c -l dane -P /etc/ssl/certs %.*s\n",
		    sh->w->hosts[0].scen->addrs[0], sh->w->hosts[0].scen->port,
		    sh->w->n_hosts > 1 ? " and the other MX hosts'" : "",
		    (int)dn, sh->s->domain);
	}
	if (sh->so.timeline != NULL)
		fprintf(stderr,
		    "danelab shell: playing the timeline (%zu phases, the "
		    "last at %u s; time scale %g)\n",
		    sh->s->n_phases, sh->s->phases[sh->s->n_phases - 1].at,
		    sh->s->time_scale);
	(void)supervisor;
}

/* Print out (a client's whole output) with a margin. */
static void
print_output(const char *out)
{
	const char *p = out, *nl;

	if (out == NULL || *out == '\0') {
		printf("  (no output)\n");
		return;
	}
	while (*p != '\0') {
		nl = strchr(p, '\n');
		printf("  | %.*s\n", (int)(nl ? (size_t)(nl - p) : strlen(p)),
		    p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * --client: the profile run once in the world as `danelab run` does
 * (the same cell code), every directory kept.
 */
static int
shell_client(struct cli_ctx *ctx, struct scenario *s, const char *name,
    int policy, const char *keep_dir, double time_scale,
    const struct lab_sandbox *sb)
{
	struct client_profile *p = NULL;
	struct run_cell cell;
	struct run_report rep;
	struct report_opts ro;
	struct run_opts o;
	struct dl_diags d;
	char exe[PATH_MAX], root[PATH_MAX];
	size_t i;
	int rc = CLI_EXIT_USAGE;

	memset(&rep, 0, sizeof(rep));
	dl_diags_init(&d);
	if (cli_profile_find(name, &p, &d) != 0)
		goto out;
	if (cli_self_exe(ctx, "shell", exe, sizeof(exe)) != 0)
		goto out;
	if (keep_dir != NULL) {
		if (!cli_dir_writable(keep_dir)) {
			fprintf(stderr, "%s shell: --keep-dir %s is not a "
			    "writable directory\n", ctx->prog, keep_dir);
			goto out;
		}
		snprintf(root, sizeof(root), "%s", keep_dir);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(root, sizeof(root), "%s/danelab-shell-XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(root) == NULL) {
			fprintf(stderr, "%s shell: %s: %s\n", ctx->prog, root,
			    strerror(errno));
			goto out;
		}
	}
	memset(&o, 0, sizeof(o));
	o.fixtures_dir = ctx->fixtures_dir;
	o.danelab = exe;
	o.jobs = 1;
	o.shard_k = o.shard_n = 1;
	o.policies[policy] = true;
	o.keep = o.keep_all = true;
	o.keep_root = root;
	o.time_scale = time_scale;
	o.color = ctx->color;
	for (i = 0; i < sb->n_rw && i < RUN_MAX_WRITABLE; i++)
		o.writable[o.n_writable++] = sb->rw[i];
	o.host_writable = sb->host_writable;
	memset(&cell, 0, sizeof(cell));
	cell.s = s;
	cell.client = p;
	cell.policy = (enum scen_policy)policy;
	cell.report = true;
	fprintf(stderr, "danelab shell: running %s (%s) in %s, policy %s%s\n",
	    p->name, profile_kind_name(p->kind), s->id,
	    scen_policy_name(cell.policy), s->n_phases > 0 ?
	    ", once per phase of the timeline" : "");
	if (run_execute(&cell, 1, &o, &rep, &d) != 0)
		goto out;
	for (i = 0; i < rep.n_results; i++) {
		const struct run_result *r = &rep.results[i];

		printf("== %s%s%s: output of the client\n", s->id,
		    r->phase ? " phase " : "", r->phase ? r->phase : "");
		print_output(r->output);
	}
	printf("\n");
	memset(&ro, 0, sizeof(ro));
	ro.verbose = true;
	ro.color = ctx->color;
	report_write(&rep, REPORT_TEXT, &ro, stdout);
	fflush(stdout);
	fprintf(stderr, "danelab shell: the cell (rendered files in "
	    "client/<run>/, plan.json, events.jsonl, outputs) is kept in "
	    "%s\n", rep.n_results > 0 && rep.results[0].kept_dir ?
	    rep.results[0].kept_dir : root);
	rc = report_exit_code(&rep);
out:
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	report_clear(&rep);
	profile_free(p);
	return rc;
}

int
cmd_shell(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"phase", required_argument, NULL, 'p'},
	    {"events", required_argument, NULL, 'e'},
	    {"no-timeline", no_argument, NULL, 'T'},
	    {"time-scale", required_argument, NULL, 'F'},
	    {"maildir", required_argument, NULL, 'M'},
	    {"client", required_argument, NULL, 'c'},
	    {"policy", required_argument, NULL, 'P'},
	    {"keep-dir", required_argument, NULL, 'K'},
	    {"events-limit", required_argument, NULL, 'E'},
	    {"writable", required_argument, NULL, 'W'},
	    {"writable-host", no_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0},
	};
	const char *client = NULL, *keep_dir = NULL;
	int policy = SCEN_POLICY_DANE;
	const struct cli_verb *v = cli_verb_find("shell");
	const char *phase = NULL, *events = NULL, *shell_path;
	char *shell_argv[2], **env = NULL;
	struct scenario *s = NULL;
	bool no_timeline = false;
	double time_scale = 1.0;
	struct lab_spec spec;
	struct lab_sandbox sb;
	struct shell sh;
	struct dl_diags d;
	uint64_t limit = 0;
	int c, rc, status = CLI_EXIT_USAGE;

	memset(&sh, 0, sizeof(sh));
	memset(&sb, 0, sizeof(sb));
	sh.ctx = ctx;
	/* Options end at "--": what follows is the command's. */
	while ((c = getopt_long(argc, argv, "qp:e:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			sh.quiet = true;
			break;
		case 'p':
			phase = optarg;
			break;
		case 'e':
			events = optarg;
			break;
		case 'T':
			no_timeline = true;
			break;
		case 'c':
			client = optarg;
			break;
		case 'P':
			if ((policy = scen_policy_parse(optarg)) < 0) {
				fprintf(stderr, "%s %s: unknown policy '%s' "
				    "(dane or dane-only)\n", ctx->prog,
				    v->name, optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'K':
			keep_dir = optarg;
			break;
		case 'E':
			if (cli_size(ctx, v->name, "events-limit", optarg,
			    EVLOG_MIN_LIMIT, EVLOG_MAX_LIMIT, &limit) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'W':
			if (cli_writable_add(ctx, v->name, optarg, sb.rw,
			    &sb.n_rw, LAB_SANDBOX_MAX - 1) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'H':
			sb.host_writable = true;
			break;
		case 'F':
			if (cli_time_scale(ctx, v->name, optarg,
			    &time_scale) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'M':
			if (!cli_dir_writable(optarg)) {
				fprintf(stderr, "%s %s: --maildir %s is not a "
				    "writable directory\n", ctx->prog, v->name,
				    optarg);
				return CLI_EXIT_USAGE;
			}
			sh.so.maildir = optarg;
			break;
		default:
			cli_verb_usage(ctx, v, false);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind < 1) {
		cli_verb_usage(ctx, v, false);
		return CLI_EXIT_USAGE;
	}
	if (limit != 0 && events == NULL) {
		fprintf(stderr, "%s %s: --events-limit goes with --events\n",
		    ctx->prog, v->name);
		return CLI_EXIT_USAGE;
	}
	if (client == NULL && (keep_dir != NULL || policy !=
	    SCEN_POLICY_DANE)) {
		fprintf(stderr, "%s %s: --policy and --keep-dir go with "
		    "--client\n", ctx->prog, v->name);
		return CLI_EXIT_USAGE;
	}
	if (client != NULL && (argc - optind > 1 || phase != NULL ||
	    no_timeline || events != NULL || sh.so.maildir != NULL)) {
		fprintf(stderr, "%s %s: --client runs the profile as 'danelab "
		    "run' does: no COMMAND, --phase, --no-timeline, --events "
		    "or --maildir with it (the cell's directory keeps its "
		    "events)\n", ctx->prog, v->name);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_scenario(ctx, argv[optind], &s)) != 0)
		return rc;
	/* As `run --time-scale` plays it: a cell reproduced by hand. */
	if (cli_scenario_scale(s, time_scale) != 0) {
		scenario_free(s);
		return CLI_EXIT_USAGE;
	}
	if (client != NULL) {
		rc = shell_client(ctx, s, client, policy, keep_dir,
		    time_scale, &sb);
		scenario_free(s);
		return rc;
	}

	dl_diags_init(&d);
	memset(&spec, 0, sizeof(spec));
	if (argc - optind > 1) {
		spec.argv = argv + optind + 1;
	} else {
		shell_path = getenv("SHELL");
		shell_argv[0] =
		    (char *)(shell_path != NULL && *shell_path != '\0'
			    ? shell_path
			    : "/bin/sh");
		shell_argv[1] = NULL;
		spec.argv = shell_argv;
	}
	sh.s = s;
	sh.so.port = 53;
	sh.so.upstream = RESOLVER_HINTS;
	rc = lab_prep_open(s, ctx->fixtures_dir, phase, !no_timeline, events,
	    &sh.so, &sh.lp, &d);
	if (rc == 0 && limit != 0)
		(void)evlog_set_limit(sh.lp.log, limit);
	sh.w = sh.lp.w;
	sh.first_phase = sh.lp.first_phase;
	if (sh.lp.tw != NULL) {
		sh.so.on_phase = shell_phase;
		sh.so.phase_arg = &sh;
	}
	if (rc == 0) {
		env = lab_env_new(&sh.lp.files, s->id, NULL);
		spec.files = &sh.lp.files;
		spec.world = sh.w;
		spec.servers = &sh.so;
		spec.env = env;
		/* An interactive shell keeps the terminal's variables. */
		sb.shell = argc - optind == 1;
		/* What the servers write, seen as it grows. */
		if (events != NULL)
			sb.ro[sb.n_ro++] = events;
		if (sh.so.maildir != NULL)
			sb.ro[sb.n_ro++] = sh.so.maildir;
		spec.sandbox = &sb;
		spec.ready = shell_ready;
		spec.arg = &sh;
		rc = lab_run(&spec, &status, &d);
	}
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	/* Events lost: an error even when the command succeeded. */
	if (rc == 0 && events != NULL &&
	    cli_events_end(ctx, v->name, events, sh.lp.log) && status == 0)
		status = CLI_EXIT_FAIL;
	lab_prep_clear(&sh.lp);
	lab_env_free(env);
	scenario_free(s);
	/* A command that cannot be run: 127 or 126, as a shell says. */
	if (rc == DL_ENOENT && (status == 127 || status == 126))
		return status;
	if (rc != 0)
		return CLI_EXIT_USAGE;
	return status;
}
