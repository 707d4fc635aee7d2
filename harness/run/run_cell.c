/*
 * run_cell.c -- one cell, in its worker process (run.h): the world up in
 * fresh namespaces, the client run at each moment the scenario's
 * expectations name, everything torn down, then the scoring and the
 * results written as a JSON report for the coordinator.
 *
 * Files, in the lab's directory (lab.h, inside the run's directory):
 *   events.jsonl     what the servers and the client runner did
 *   client/          the client's rendered config files ({dir})
 *   client/out.<i>.out  the client's output at moment i (in the
 *                    client's directory: the only one it may write)
 *   lab.log          this worker's own stdout and stderr
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness/lab/lab.h"
#include "harness/run/run.h"
#include "simulator/util/xmem.h"

/* Read at most REPORT_MAX_OUTPUT bytes of path. */
static char *
read_output(const char *path, size_t *len, bool *truncated)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t n = 0;
	int fd;

	*len = 0;
	*truncated = false;
	/*
	 * The client could have replaced its output file with a FIFO:
	 * O_NONBLOCK so that open() does not wait for a writer, and only
	 * a regular file is read.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	buf = xmalloc(REPORT_MAX_OUTPUT + 1);
	while (n < REPORT_MAX_OUTPUT &&
	    (r = read(fd, buf + n, REPORT_MAX_OUTPUT - n)) > 0)
		n += (size_t)r;
	if (n == REPORT_MAX_OUTPUT) {
		char c;

		*truncated = read(fd, &c, 1) == 1;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
cell_name(const struct run_cell *c, char *buf, size_t len)
{
	char *p;

	snprintf(buf, len, "%s.%s.%s", c->s->id, c->client->name,
	    scen_policy_name(c->policy));
	for (p = buf; *p != '\0'; p++)
		if (*p == '/')
			*p = '_';
}

_Static_assert(sizeof(RUN_TIMELINE_T0_ENV) == sizeof(LAB_TIMELINE_T0_ENV),
    "run.h and lab.h name the timeline's clock differently");

/*
 * When phase i started in the event log's time: its phase.start event,
 * else its offset (a hand-written log).  The timeline counts from when
 * the servers came up, a little after the log's zero.
 */
static double
phase_start(const struct scenario *s, const struct run_events *ev, size_t i)
{
	if (i < RUN_MAX_CLIENT_RUNS && ev->phase_t[i] >= 0)
		return ev->phase_t[i];
	return (double)s->phases[i].at;
}

/*
 * The run of phase i, if it ended after phase i + 1 started: what the
 * scenario cannot have assumed.  NULL when it ended in time.
 */
static const struct run_client_run *
overran(const struct scenario *s, const struct run_events *ev, size_t i)
{
	size_t j;

	if (i + 1 >= s->n_phases)
		return NULL;
	for (j = 0; j < ev->n_runs; j++)
		if (ev->runs[j].index == (int)i && ev->runs[j].t_end >= 0 &&
		    ev->runs[j].t_end > phase_start(s, ev, i + 1))
			return &ev->runs[j];
	return NULL;
}

/*
 * A timeline's client runs must each end before the next phase starts:
 * a run that overlaps the next phase may have looked records up in the
 * next phase's world, and every later phase then starts from a resolver
 * cache the scenario does not describe.  late: the phase whose run
 * overran first, or -1.  Results of the phases after it become ERROR,
 * saying which run overran, by how much, and the --time-scale that
 * gives it room: the client was slower than the timeline, which is
 * neither its verdict nor the lab's fault.  Returns the new late.
 */
static int
timeline_overrun(const struct scenario *s, const struct run_events *ev,
    size_t i, struct run_result *r, int late)
{
	const struct run_client_run *run;
	double gap, took, need;
	char hint[160];

	if (s->n_phases == 0)
		return late;
	if (late < 0)
		return overran(s, ev, i) != NULL ? (int)i : late;
	run = overran(s, ev, (size_t)late);
	gap = (double)s->phases[late + 1].at - s->phases[late].at;
	took = run->t_end - phase_start(s, ev, (size_t)late);
	/* The factor that fits the run in its gap, with a second to spare. */
	need = s->time_scale * (took + 1.0) / (gap > 0 ? gap : 1.0);
	need = ceil(need * 10 - 1e-9) / 10;	/* 1.9 stays 1.9 */
	if (need <= SCEN_TIME_SCALE_MAX)
		snprintf(hint, sizeof(hint), "; try --time-scale %g", need);
	else
		snprintf(hint, sizeof(hint), "; even --time-scale %g does not "
		    "fit the client in this timeline", SCEN_TIME_SCALE_MAX);
	free(r->reason);
	r->reason = xasprintf("not scored: the client run of phase %s ended "
	    "%.1f s after phase '%s' started at %u s (the run took %.1f s, "
	    "the phases are %.0f s apart), so the resolver's cache is not "
	    "what this phase assumes%s", s->phases[late].name,
	    run->t_end - phase_start(s, ev, (size_t)late + 1),
	    s->phases[late + 1].name, s->phases[late + 1].at,
	    run->t_start >= 0 ? run->t_end - run->t_start : took, gap, hint);
	r->verdict = RUN_ERROR;
	free(r->deviation);
	free(r->rule);
	free(r->rule_ref);
	free(r->rule_host);
	free(r->observed);
	r->deviation = r->rule = r->rule_ref = r->rule_host = NULL;
	r->observed = NULL;
	return late;
}

/*
 * What makes the whole event log untrustworthy besides its content: the
 * lab's event writers could not write it or stopped at its size limit
 * (trouble: evlog_trouble of the servers' log, shared with this
 * process; the client runner exits RUN_CLIENT_EVLOG_ERRORS for its
 * own), or the runner failed.  A write error comes first: the damage it
 * may have left in the content is its consequence.
 */
static void
evidence_check(struct run_events *ev, const char *trouble, int status)
{
	if (trouble[0] != '\0') {
		snprintf(ev->problem, sizeof(ev->problem), "the cell's event "
		    "log %s", trouble);
		return;
	}
	if (ev->problem[0] != '\0')
		return;
	if (status == RUN_CLIENT_EVLOG_ERRORS)
		snprintf(ev->problem, sizeof(ev->problem), "the client "
		    "runner could not write its events to the cell's event log "
		    "(write errors)");
	else if (status != 0)
		snprintf(ev->problem, sizeof(ev->problem), "the client "
		    "runner failed (exit %d)", status);
}

bool
run_score_moments(const struct run_cell *c, const struct run_events *ev,
    const char *prefix, struct run_report *rep)
{
	const struct scenario *s = c->s;
	size_t n_moments = s->n_phases > 0 ? s->n_phases : 1, i, j;
	bool keep = false;
	int late = -1;

	rep->n_results = n_moments;
	rep->results = xcalloc(n_moments, sizeof(*rep->results));
	for (i = 0; i < n_moments; i++) {
		struct run_result *r = &rep->results[i];
		struct run_score_in in;
		char opath[PATH_MAX + 64];
		size_t olen = 0;

		r->scenario = xstrdup(s->id);
		r->client = xstrdup(c->client->name);
		r->policy = c->policy;
		r->phase_index = s->n_phases > 0 ? (int)i : -1;
		r->phase = s->n_phases > 0 ? xstrdup(s->phases[i].name) : NULL;
		r->at = s->n_phases > 0 ? s->phases[i].at : 0;
		snprintf(opath, sizeof(opath), "%s.%zu.out", prefix, i);
		r->output = read_output(opath, &olen, &r->output_truncated);
		memset(&in, 0, sizeof(in));
		in.s = s;
		in.phase = r->phase_index;
		in.policy = c->policy;
		in.client = c->client;
		in.ev = ev;
		for (j = 0; j < ev->n_runs; j++)
			if (ev->runs[j].index == (int)i)
				in.run = &ev->runs[j];
		in.output = r->output;
		in.output_len = olen;
		run_score(&in, r);
		late = timeline_overrun(s, ev, i, r, late);
		if (r->verdict != RUN_PASS && r->verdict != RUN_XFAIL &&
		    r->verdict != RUN_SKIP)
			keep = true;
	}
	return keep;
}

/* RUN_CELL_FILE in dir: what `danelab score --cell` needs. */
static void
write_cell_file(const struct run_cell *c, const char *dir)
{
	char path[PATH_MAX + 32], sabs[PATH_MAX], pabs[PATH_MAX];
	json_t *o;
	int fd;

	if (realpath(c->s->file, sabs) == NULL ||
	    realpath(c->client->file, pabs) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, RUN_CELL_FILE);
	/* The time scale too: the file alone has the unscaled timeline. */
	o = json_pack("{s:s, s:s, s:s, s:s, s:f}", "scenario", sabs,
	    "scenario_id", c->s->id, "client", pabs, "policy",
	    scen_policy_name(c->policy), "time_scale", c->s->time_scale);
	/*
	 * Never through whatever is at path now: a new file (the client
	 * cannot write the lab directory, but the cell is not trusted).
	 */
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (o != NULL && fd >= 0)
		(void)json_dumpfd(o, fd, JSON_INDENT(2));
	if (fd >= 0)
		close(fd);
	json_decref(o);
}

static int
write_results(const struct run_report *rep, const char *path)
{
	char tmp[4096];
	FILE *fp;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fp = fopen(tmp, "we");
	if (fp == NULL)
		return -1;
	rc = report_write(rep, REPORT_JSON, NULL, fp);
	if (fclose(fp) != 0 || rc != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* What the client runner is started with, rendered for one cell. */
struct cell_client {
	char cdir[PATH_MAX + 32];	/* the client's directory */
	char plan[PATH_MAX + 48];	/* the runner's plan (JSON) */
	char t0s[32];
	char limit[32];
	char **cenv;	/* the lab's variables */
	char *argv[11];	/* danelab __client ... NULL */
};

static void
cell_client_clear(struct cell_client *cc)
{
	lab_env_free(cc->cenv);
	memset(cc, 0, sizeof(*cc));
}

/*
 * When run i starts, in ms after t0: a timeline's phase offset plus a
 * margin (the servers swap the phase's world in first), or 0.
 */
static uint64_t
moment_ms(const struct scenario *s, size_t i)
{
	uint64_t ms;

	if (s->n_phases == 0)
		return 0;
	ms = (uint64_t)s->phases[i].at * 1000;
	if (i > 0 || ms > 0)
		ms += RUN_PHASE_MARGIN_MS;
	return ms;
}

/* The test message of a run, RFC 5322, written to path. */
static int
write_message(const char *path, const struct run_cell *c, const char *from,
    const char *rcpt, const char *phase, size_t i)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	FILE *fp;
	int rc;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	fp = fopen(path, "wxe");
	if (fp == NULL)
		return -1;
	fprintf(fp, "From: danelab <%s>\r\nTo: <%s>\r\n"
	    "Subject: danelab test: %s (%s%s%s)\r\nDate: %s\r\n"
	    "Message-ID: <danelab.%ld.%zu@client.lab>\r\n\r\n"
	    "A test message of danelab, scenario %s, policy %s, run %zu.\r\n",
	    from, rcpt, c->s->id, scen_policy_name(c->policy),
	    phase[0] ? ", phase " : "", phase, date, (long)now, i, c->s->id,
	    scen_policy_name(c->policy), i);
	rc = ferror(fp);
	if (fclose(fp) != 0 || rc != 0)
		return -1;
	chmod(path, 0644);
	return 0;
}

static json_t *
strv_json(char **v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* One step of the plan, its templates rendered. */
static int
plan_step(const struct client_profile *p, const struct profile_step *st,
    size_t k, const struct profile_vars *v, json_t **out, struct dl_diags *d)
{
	json_t *o = json_object();
	char **strv = NULL, what[48];
	int rc = 0, i;

	json_object_set_new(o, "kind", json_string(profile_step_name(
	    st->kind)));
	json_object_set_new(o, "timeout_ms", json_integer(
	    (json_int_t)st->timeout_s * 1000));
	snprintf(what, sizeof(what), "step %zu argument", k + 1);
	if (st->argv != NULL && (rc = profile_render_strv(p, st->argv,
	    st->argc, v, what, &strv, d)) == 0) {
		json_object_set_new(o, "argv", strv_json(strv));
		profile_strv_free(strv);
	}
	snprintf(what, sizeof(what), "step %zu file", k + 1);
	if (rc == 0 && st->collect != NULL && (rc = profile_render_strv(p,
	    st->collect, st->n_collect, v, what, &strv, d)) == 0) {
		json_object_set_new(o, "collect", strv_json(strv));
		profile_strv_free(strv);
	}
	if (rc == 0 && (st->input != NULL || st->log != NULL)) {
		char *t[1] = { st->input != NULL ? st->input : st->log };

		if ((rc = profile_render_strv(p, t, 1, v, what, &strv,
		    d)) == 0) {
			json_object_set_new(o, st->input ? "input" : "log",
			    json_string(strv[0]));
			profile_strv_free(strv);
		}
	}
	for (i = PROFILE_OUTCOME_DELIVERED; i < PROFILE_OUTCOME_COUNT; i++)
		if (st->pattern[i] != NULL)
			json_object_set_new(o, profile_outcome_name(
			    (enum profile_outcome)i),
			    json_string(st->pattern[i]));
	if (rc != 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/*
 * Run i of the plan: a fresh directory client/<i> (a real MTA starts
 * every phase from a fresh instance), the profile's files rendered
 * into it, the message, the environment (the profile's, then the
 * cell's values as DANELAB_* variables), the steps.
 */
static int
plan_run(const struct run_cell *c, const struct run_opts *o,
    const struct lab_files *files, const char *cdir, const char *prefix,
    size_t i, json_t **out, struct dl_diags *d)
{
	const struct scenario *s = c->s;
	const struct client_profile *p = c->client;
	struct profile_vars vars;
	char rdir[PATH_MAX + 96], msg[PATH_MAX + 96], outp[PATH_MAX + 96];
	char *domain, *mx1, *rcpt, **penv = NULL, **argv = NULL;
	const char *phase = s->n_phases > 0 ? s->phases[i].name : "";
	json_t *run = NULL, *steps, *env, *st;
	size_t k;
	int rc;

	snprintf(rdir, sizeof(rdir), "%s/%zu", cdir, i);
	snprintf(msg, sizeof(msg), "%s/message.%zu.eml", cdir, i);
	snprintf(outp, sizeof(outp), "%s.%zu.out", prefix, i);
	if (mkdir(rdir, 0755) != 0) {
		dl_error(d, rdir, 0, 0, "mkdir: %s", strerror(errno));
		return DL_EIO;
	}
	domain = run_nodot(s->domain);
	mx1 = run_nodot(s->n_hosts > 0 ? s->hosts[0].name : s->domain);
	rcpt = xasprintf("postmaster@%s", domain);
	memset(&vars, 0, sizeof(vars));
	vars.domain = domain;
	vars.policy = p->policy_value[c->policy];
	vars.danelab = o->danelab;
	vars.resolver = WORLD_RESOLVER_ADDR;
	vars.anchor = files->root_key;
	vars.anchor_ds = files->root_ds;
	vars.anchor_conf = files->anchor_conf;
	vars.mail_config = files->mail_config;
	vars.dir = rdir;
	vars.mx1 = mx1;
	vars.from = "danelab@client.lab";
	vars.rcpt = rcpt;
	vars.message = msg;
	vars.phase = phase;
	vars.scenario = s->id;
	if (write_message(msg, c, vars.from, rcpt, phase, i) != 0) {
		dl_error(d, msg, 0, 0, "cannot write: %s", strerror(errno));
		rc = DL_EIO;
		goto out;
	}
	if ((rc = profile_render_files(p, &vars, d)) != 0 ||
	    (rc = profile_render_env(p, &vars, &penv, d)) != 0)
		goto out;
	run = json_object();
	json_object_set_new(run, "at_ms", json_integer(
	    (json_int_t)moment_ms(s, i)));
	json_object_set_new(run, "out", json_string(outp));
	json_object_set_new(run, "dir", json_string(rdir));
	json_object_set_new(run, "headers", json_boolean(p->n_steps > 0));
	env = strv_json(penv);
	json_array_append_new(env, json_sprintf("DANELAB_DOMAIN=%s", domain));
	json_array_append_new(env, json_sprintf("DANELAB_POLICY=%s",
	    scen_policy_name(c->policy)));
	json_array_append_new(env, json_sprintf("DANELAB_CLIENT_POLICY=%s",
	    vars.policy));
	json_array_append_new(env, json_sprintf("DANELAB_DIR=%s", rdir));
	json_array_append_new(env, json_sprintf("DANELAB_PHASE=%s", phase));
	json_array_append_new(env, json_sprintf("DANELAB_RUN=%zu", i));
	json_array_append_new(env, json_sprintf("DANELAB_MX1=%s", mx1));
	json_array_append_new(env, json_sprintf("DANELAB_FROM=%s",
	    vars.from));
	json_array_append_new(env, json_sprintf("DANELAB_RCPT=%s", rcpt));
	json_array_append_new(env, json_sprintf("DANELAB_MESSAGE=%s", msg));
	json_array_append_new(env, json_sprintf("DANELAB_CLIENT=%s",
	    p->name));
	json_object_set_new(run, "env", env);
	steps = json_array();
	json_object_set_new(run, "steps", steps);
	if (p->n_steps == 0) {
		/* Version 1: one command, its timeout the profile's. */
		if ((rc = profile_render_argv(p, &vars, &argv, d)) != 0)
			goto out;
		st = json_object();
		json_object_set_new(st, "kind", json_string("run"));
		json_object_set_new(st, "argv", strv_json(argv));
		json_object_set_new(st, "timeout_ms", json_integer(
		    (json_int_t)p->timeout_s * 1000));
		json_array_append_new(steps, st);
	}
	for (k = 0; k < p->n_steps; k++) {
		if ((rc = plan_step(p, &p->steps[k], k, &vars, &st, d)) != 0)
			goto out;
		json_array_append_new(steps, st);
	}
	*out = run;
	run = NULL;
out:
	json_decref(run);
	profile_strv_free(penv);
	profile_strv_free(argv);
	free(domain);
	free(mx1);
	free(rcpt);
	return rc;
}

/*
 * The size limit of a cell's event log: --events-limit, or the most
 * read.  The environment check keeps the most: it tells whether the lab
 * works, and a small limit would break it for every cell.
 */
static uint64_t
cell_events_limit(const struct run_cell *c, const struct run_opts *o)
{
	if (o->events_limit == 0 || c->env_check)
		return RUN_MAX_EVENTS_FILE;
	return o->events_limit;
}

/*
 * Render the client of c, one fresh directory and plan entry per
 * moment, into the plan file the runner reads, and the runner's command
 * line.  Returns 0 or DL_E* with diagnostics; cell_client_clear after
 * either.
 */
static int
client_prepare(const struct run_cell *c, const struct run_opts *o,
    const struct lab_files *files, char *events, char *prefix, uint64_t t0,
    struct cell_client *cc, struct dl_diags *d)
{
	const struct scenario *s = c->s;
	size_t n = s->n_phases > 0 ? s->n_phases : 1, i, k = 0;
	json_t *plan, *runs, *run = NULL;
	int rc = 0;

	snprintf(cc->cdir, sizeof(cc->cdir), "%s/client", files->dir);
	snprintf(cc->plan, sizeof(cc->plan), "%s/plan.json", cc->cdir);
	if (mkdir(cc->cdir, 0755) != 0) {
		dl_error(d, cc->cdir, 0, 0, "mkdir: %s", strerror(errno));
		return DL_EIO;
	}
	plan = json_object();
	runs = json_array();
	json_object_set_new(plan, "runs", runs);
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = plan_run(c, o, files, cc->cdir, prefix, i, &run,
		    d)) == 0)
			json_array_append_new(runs, run);
	if (rc == 0 && json_dump_file(plan, cc->plan, JSON_INDENT(1)) != 0) {
		dl_error(d, cc->plan, 0, 0, "cannot write");
		rc = DL_EIO;
	}
	json_decref(plan);
	if (rc != 0)
		return rc;
	cc->cenv = lab_env_new(files, s->id, NULL);
	snprintf(cc->t0s, sizeof(cc->t0s), "%llu", (unsigned long long)t0);
	cc->argv[k++] = (char *)o->danelab;
	cc->argv[k++] = (char *)"__client";
	cc->argv[k++] = (char *)"--events";
	cc->argv[k++] = events;
	snprintf(cc->limit, sizeof(cc->limit), "%llu",
	    (unsigned long long)cell_events_limit(c, o));
	cc->argv[k++] = (char *)"--events-limit";
	cc->argv[k++] = cc->limit;
	cc->argv[k++] = (char *)"--t0";
	cc->argv[k++] = cc->t0s;
	cc->argv[k++] = (char *)"--plan";
	cc->argv[k++] = cc->plan;
	cc->argv[k] = NULL;
	return 0;
}

/*
 * The world up in fresh namespaces, the runner as the lab's command;
 * returns lab_run's code, the runner's status and why the servers'
 * event log is incomplete (evlog_trouble), or "".
 */
static int
lab_go(const struct run_cell *c, const struct run_opts *o, struct tl_worlds *tw,
    struct lab_files *files, struct evlog *log,
    const struct cell_client *cc, const char *events, int *status,
    char *trouble, size_t trouble_len, struct dl_diags *d)
{
	struct lab_servers_opts so;
	struct lab_sandbox sb;
	struct lab_spec spec;
	size_t i;
	int rc;

	memset(&so, 0, sizeof(so));
	so.port = 53;
	so.upstream = RESOLVER_HINTS;
	so.root_hints = files->root_hints;
	so.log = log;
	/*
	 * The timeline counts from when the servers are up (t0_ns 0): the
	 * lab's set-up, slow on a loaded machine, must not eat into the
	 * first phase.  The client runner learns that moment from
	 * LAB_TIMELINE_T0_ENV; the event log still counts from t0.
	 */
	if (c->s->n_phases > 0)
		so.timeline = tw;
	memset(&sb, 0, sizeof(sb));
	for (i = 0; i < o->n_writable && i < RUN_MAX_WRITABLE; i++)
		sb.rw[sb.n_rw++] = o->writable[i];
	sb.host_writable = o->host_writable;
	sb.cell = cc->cdir;
	sb.append = events;
	memset(&spec, 0, sizeof(spec));
	spec.files = files;
	spec.world = tl_worlds_get(tw, 0);
	spec.servers = &so;
	spec.argv = cc->argv;
	spec.env = cc->cenv;
	spec.sandbox = &sb;
	rc = lab_run(&spec, status, d);
	(void)evlog_trouble(log, trouble, trouble_len);
	return rc;
}

/* Every moment of c ERROR, with the diagnostics (or rc) as reason. */
static void
lab_error_results(const struct run_cell *c, struct run_report *rep,
    const struct dl_diags *d, int rc)
{
	char msg[1024];
	size_t m = 0, w;

	msg[0] = '\0';
	for (w = 0; w < d->n && m < sizeof(msg) - 2; w++)
		m += (size_t)snprintf(msg + m, sizeof(msg) - m, "%s%s",
		    w > 0 ? "; " : "", d->v[w].msg);
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "%s", dl_strerror(rc));
	run_results_fill(c, rep, RUN_ERROR, msg);
}

/* --keep: the cell's directory (with cell.json) into the keep root. */
static void
keep_cell(const struct run_cell *c, const struct run_opts *o,
    struct lab_files *files, struct run_report *rep)
{
	char kept[PATH_MAX], name[512];
	size_t i;

	cell_name(c, name, sizeof(name));
	snprintf(kept, sizeof(kept), "%s/%s", o->keep_root, name);
	write_cell_file(c, files->dir);
	if (rename(files->dir, kept) == 0) {
		lab_tmp_release(files->dir, kept);
		for (i = 0; i < rep->n_results; i++)
			rep->results[i].kept_dir = xstrdup(kept);
		files->dir[0] = '\0';
	}
}

/* Cells the client cannot do at all: SKIP with the reason. */
static bool
cell_skipped(const struct run_cell *c, struct run_report *rep)
{
	const struct client_profile *p = c->client;
	char why[512];

	if (p->policy_value[c->policy] == NULL) {
		snprintf(why, sizeof(why), "%s: %s", p->name,
		    p->skip_reason[c->policy] ? p->skip_reason[c->policy]
					      : "no such policy");
		run_results_fill(c, rep, RUN_SKIP, why);
		return true;
	}
	if (!profile_available(p, why, sizeof(why))) {
		run_results_fill(c, rep, RUN_SKIP, why);
		return true;
	}
	return false;
}

int
run_cell(const struct run_cell *c, const struct run_opts *o,
    const char *dir, const char *results_path)
{
	struct run_report rep;
	struct tl_worlds *tw = NULL;
	struct lab_files files;
	struct cell_client cc;
	struct evlog *log = NULL;
	struct run_events ev;
	struct dl_diags d;
	char events[PATH_MAX + 32], prefix[PATH_MAX + 32], trouble[160] = "";
	uint64_t t0, cell_t0;
	bool keep = false;
	int rc = 0, status = 0;
	size_t i;

	(void)dir;
	cell_t0 = evlog_now_ns();
	memset(&files, 0, sizeof(files));
	memset(&cc, 0, sizeof(cc));
	memset(&ev, 0, sizeof(ev));
	dl_diags_init(&d);
	run_report_start(c->s, o->fixtures_dir, "namespaces", &rep);
	if (cell_skipped(c, &rep))
		goto out;

	rc = tl_worlds_build(c->s, o->fixtures_dir, 0, &tw, &d);
	if (rc == 0)
		rc = lab_files_create(tl_worlds_get(tw, 0), o->fixtures_dir,
		    &files, &d);
	if (rc != 0)
		goto lab_error;
	snprintf(events, sizeof(events), "%s/events.jsonl", files.dir);
	/* Outputs in the client's directory, the one it may write. */
	snprintf(prefix, sizeof(prefix), "%s/client/out", files.dir);
	t0 = evlog_now_ns();
	if ((rc = evlog_open(events, t0, &log)) != 0) {
		dl_error(&d, events, 0, 0, "cannot open: %s", strerror(errno));
		goto lab_error;
	}
	(void)evlog_set_limit(log, cell_events_limit(c, o));
	if ((rc = client_prepare(c, o, &files, events, prefix, t0, &cc,
	    &d)) != 0 ||
	    (rc = lab_go(c, o, tw, &files, log, &cc, events, &status,
	    trouble, sizeof(trouble), &d)) != 0)
		goto lab_error;
	evlog_free(log);
	log = NULL;
	if ((rc = run_events_read(events, &ev, &d)) != 0)
		goto lab_error;
	evidence_check(&ev, trouble, status);
	keep = run_score_moments(c, &ev, prefix, &rep);
	goto out;

lab_error:
	lab_error_results(c, &rep, &d, rc);
	keep = true;
out:
	if ((keep || o->keep_all) && o->keep && files.dir[0] != '\0' &&
	    o->keep_root != NULL)
		keep_cell(c, o, &files, &rep);
	if (files.dir[0] != '\0')
		lab_files_remove(&files);
	cell_t0 = (evlog_now_ns() - cell_t0) / 1000000ULL;
	for (i = 0; i < rep.n_results; i++)
		rep.results[i].cell_ms = cell_t0;
	rc = write_results(&rep, results_path);
	dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	run_events_clear(&ev);
	evlog_free(log);
	cell_client_clear(&cc);
	tl_worlds_free(tw);
	report_clear(&rep);
	return rc;
}
