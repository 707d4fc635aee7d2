/*
 * test_timeline.c -- unit tests for harness/timeline: the schedule (phase
 * order, offsets, which phase is in force when), the worlds of every
 * phase (cumulative changes, one signing time), and the player swapping
 * them into a running DNS server at their offsets, with its events.
 * tests/integration/test_timeline.py plays a timeline in front of a
 * caching resolver.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/timeline/timeline.h"
#include "simulator/dns/dns_server.h"

static struct scenario *fast;  /* worlds/timeline/late-introduction-fast */
static struct scenario *plain; /* control/valid-dane-ee: no timeline */

static const char *
env(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL ? v : dflt;
}

static int
load(const char *rel, struct scenario **out)
{
	char path[1024];
	struct dl_diags d;
	int rc;

	snprintf(
	    path, sizeof(path), "%s/%s", env("DANELAB_TESTS", "tests"), rel);
	dl_diags_init(&d);
	rc = scenario_load(path, env("DANELAB_FIXTURES", "fixtures"), out, &d);
	if (d.n > 0)
		dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	return rc;
}

static int
setup(void **state)
{
	(void)state;
	if (load("integration/worlds/timeline/late-introduction-fast.yaml",
		&fast) != 0)
		return -1;
	return load("../scenarios/control/valid-dane-ee.yaml", &plain);
}

static int
teardown(void **state)
{
	(void)state;
	scenario_free(fast);
	scenario_free(plain);
	return 0;
}

/* ---- schedule ---- */

static void
test_schedule(void **state)
{
	struct tl_step steps[SCEN_MAX_PHASES];
	static const uint64_t at[] = {0, 1000, 2000, 9000};
	size_t i;

	(void)state;
	assert_int_equal(tl_schedule(fast, steps), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(steps[i].phase, (int)i);
		assert_int_equal(steps[i].at_ms, at[i]);
	}
	assert_int_equal(tl_schedule(plain, steps), 0);
}

static void
test_phase_at(void **state)
{
	(void)state;
	assert_int_equal(tl_phase_at(fast, 0), 0);
	assert_int_equal(tl_phase_at(fast, 999), 0);
	assert_int_equal(tl_phase_at(fast, 1000), 1);
	assert_int_equal(tl_phase_at(fast, 1999), 1);
	assert_int_equal(tl_phase_at(fast, 2000), 2);
	assert_int_equal(tl_phase_at(fast, 8999), 2);
	assert_int_equal(tl_phase_at(fast, 9000), 3);
	assert_int_equal(tl_phase_at(fast, 86400000), 3);
	assert_int_equal(tl_phase_at(plain, 0), -1);
	assert_int_equal(tl_phase_at(plain, 5000), -1);
}

/* Phases out of order (the loader refuses that; the schedule copes). */
static void
test_schedule_unsorted(void **state)
{
	struct scen_phase ph[4];
	struct tl_step steps[4];
	struct scenario s;

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(ph, 0, sizeof(ph));
	ph[0].at = 5;
	ph[1].at = 3;
	ph[2].at = 5;
	ph[3].at = 1;
	s.phases = ph;
	s.n_phases = 4;
	assert_int_equal(tl_schedule(&s, steps), 4);
	/* By time, ties in scenario order; the first from the start. */
	assert_int_equal(steps[0].phase, 3);
	assert_int_equal(steps[0].at_ms, 0);
	assert_int_equal(steps[1].phase, 1);
	assert_int_equal(steps[1].at_ms, 3000);
	assert_int_equal(steps[2].phase, 0);
	assert_int_equal(steps[3].phase, 2);
	assert_int_equal(steps[3].at_ms, 5000);
	assert_int_equal(tl_phase_at(&s, 0), 3);
	assert_int_equal(tl_phase_at(&s, 4999), 1);
	assert_int_equal(tl_phase_at(&s, 5000), 2);
}

/* ---- worlds ---- */

static void
test_worlds(void **state)
{
	static const size_t n_tlsa[] = {1, 2, 2, 2};
	static const char *leaf[] = {"mx-cur", "mx-cur", "mx-next", "mx-next"};
	struct tl_worlds *tw = NULL;
	const struct world *w;
	struct dl_diags d;
	size_t i;

	(void)state;
	dl_diags_init(&d);
	assert_int_equal(
	    tl_worlds_build(
		fast, env("DANELAB_FIXTURES", "fixtures"), 1700000000, &tw, &d),
	    0);
	dl_diags_clear(&d);
	assert_int_equal(tw->n, 4);
	assert_ptr_equal(tl_worlds_get(tw, -1), tw->w[0]);
	assert_null(tl_worlds_get(tw, 4));
	for (i = 0; i < 4; i++) {
		w = tl_worlds_get(tw, (int)i);
		assert_non_null(w);
		assert_int_equal(w->phase, (int)i);
		/* One signing time: signatures agree across phases. */
		assert_int_equal(w->now, 1700000000);
		assert_int_equal(w->n_hosts, 1);
		assert_int_equal(w->hosts[0].st.n_tlsa, n_tlsa[i]);
		assert_int_equal(
		    ldns_rr_list_rr_count(w->hosts[0].tlsa_rrs), n_tlsa[i]);
		assert_int_equal(w->hosts[0].tlsa_ttl, 3);
		assert_string_equal(w->hosts[0].st.chain[0], leaf[i]);
		/* The same zones at the same addresses: swappable. */
		assert_int_equal(w->n_zones, tw->w[0]->n_zones);
	}
	tl_worlds_free(tw);

	/* No timeline: the baseline alone. */
	dl_diags_init(&d);
	assert_int_equal(tl_worlds_build(plain,
			     env("DANELAB_FIXTURES", "fixtures"), 0, &tw, &d),
	    0);
	dl_diags_clear(&d);
	assert_int_equal(tw->n, 1);
	assert_int_equal(tl_worlds_get(tw, 0)->phase, -1);
	assert_true(tw->now > 0);
	tl_worlds_free(tw);
	tl_worlds_free(NULL);
}

/* ---- player ---- */

struct seen {
	pthread_mutex_t mu;
	int phase[8];
	uint64_t at[8], actual[8];
	int rc[8];
	size_t n;
};

static void
on_phase(void *arg, const struct world *w, int phase, uint64_t at_ms,
    uint64_t actual_ms, int rc)
{
	struct seen *s = arg;

	assert_int_equal(w->phase, phase);
	pthread_mutex_lock(&s->mu);
	if (s->n < 8) {
		s->phase[s->n] = phase;
		s->at[s->n] = at_ms;
		s->actual[s->n] = actual_ms;
		s->rc[s->n] = rc;
		s->n++;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *
dns_main(void *arg)
{
	dns_server_run(arg);
	return NULL;
}

static int
count_lines(FILE *fp, const char *needle)
{
	char line[8192];
	int n = 0;

	rewind(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	return n;
}

static void
test_player(void **state)
{
	struct dns_server_opts dopts;
	struct tl_player_opts o;
	struct dns_server *dns = NULL;
	struct tl_worlds *tw = NULL;
	struct tl_player *p = NULL;
	struct evlog *log = NULL;
	struct seen seen;
	struct dl_diags d;
	pthread_t th;
	FILE *fp;
	size_t i;
	int tries;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_init(&seen.mu, NULL);
	dl_diags_init(&d);
	assert_int_equal(tl_worlds_build(fast,
			     env("DANELAB_FIXTURES", "fixtures"), 0, &tw, &d),
	    0);
	memset(&dopts, 0, sizeof(dopts));
	dopts.single_addr = "127.0.0.1";
	dopts.port = (uint16_t)(20000 + getpid() % 20000);
	assert_int_equal(
	    dns_server_new(tl_worlds_get(tw, 0), &dopts, &dns, &d), 0);
	dl_diags_clear(&d);
	assert_int_equal(pthread_create(&th, NULL, dns_main, dns), 0);
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(evlog_new_fd(fileno(fp), 0, &log), 0);

	/* A run that started 8.7 s ago: 0, 1, 2 at once, 3 at ~300 ms. */
	memset(&o, 0, sizeof(o));
	o.worlds = tw;
	o.dns = dns;
	o.log = log;
	o.t0_ns = evlog_now_ns() - 8700000000ULL;
	o.on_phase = on_phase;
	o.arg = &seen;
	dl_diags_init(&d);
	assert_int_equal(tl_player_start(&o, &p, &d), 0);
	for (tries = 0; tries < 300 && tl_player_phase(p) != 3; tries++)
		usleep(10000);
	assert_int_equal(tl_player_phase(p), 3);
	tl_player_stop(p);
	pthread_mutex_lock(&seen.mu);
	assert_int_equal(seen.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(seen.phase[i], (int)i);
		assert_int_equal(seen.rc[i], 0);
		assert_true(seen.actual[i] >= seen.at[i]);
	}
	assert_int_equal(seen.at[3], 9000);
	assert_true(seen.actual[3] < 9500);
	assert_true(seen.actual[2] < 9000);
	pthread_mutex_unlock(&seen.mu);
	assert_int_equal(count_lines(fp, "\"ev\":\"phase.start\""), 4);
	assert_int_equal(count_lines(fp,
			     "\"phase\":\"switched\",\"index\":2,"
			     "\"at\":2,"),
	    1);
	assert_int_equal(count_lines(fp, "\"swapped\":true"), 4);

	/* Stopped before the next phase: nothing more happens. */
	memset(&seen, 0, sizeof(seen));
	pthread_mutex_init(&seen.mu, NULL);
	o.t0_ns = 0;
	assert_int_equal(tl_player_start(&o, &p, &d), 0);
	for (tries = 0; tries < 100 && tl_player_phase(p) != 0; tries++)
		usleep(1000);
	tl_player_stop(p);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.phase[0], 0);
	assert_int_equal(count_lines(fp, "\"ev\":\"phase.start\""), 5);
	dl_diags_clear(&d);

	dns_server_stop(dns);
	pthread_join(th, NULL);
	dns_server_free(dns);
	evlog_free(log);
	fclose(fp);
	tl_worlds_free(tw);
}

/*
 * --time-scale 2: the schedule, the TLSA TTL and the SOA minimum
 * (negative caching) of the worlds built all follow the one scaling.
 */
static void
test_time_scaled(void **state)
{
	static const uint64_t at[] = {0, 2000, 4000, 18000};
	struct tl_step steps[SCEN_MAX_PHASES];
	struct scenario *s = NULL;
	struct tl_worlds *tw = NULL;
	const struct world *w;
	struct dl_diags d;
	ldns_rr *soa;
	size_t i;

	(void)state;
	assert_int_equal(load("integration/worlds/timeline/"
	    "late-introduction-fast.yaml", &s), 0);
	dl_diags_init(&d);
	assert_int_equal(scenario_time_scale(s, 2, &d), 0);
	assert_int_equal(tl_schedule(s, steps), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(steps[i].at_ms, at[i]);
	assert_int_equal(tl_phase_at(s, 17999), 2);
	assert_int_equal(tl_phase_at(s, 18000), 3);
	assert_int_equal(tl_worlds_build(s, env("DANELAB_FIXTURES",
	    "fixtures"), 1700000000, &tw, &d), 0);
	dl_diags_clear(&d);
	for (i = 0; i < tw->n; i++) {
		w = tl_worlds_get(tw, (int)i);
		assert_int_equal(w->hosts[0].tlsa_ttl, 6);
		assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(
		    w->hosts[0].tlsa_rrs, 0)), 6);
	}
	w = tl_worlds_get(tw, 0);
	for (i = 0; i < w->n_zones; i++) {
		soa = ldns_zone_soa(w->zones[i].zone);
		assert_int_equal(ldns_rr_ttl(soa), 7200);
		/* The SOA minimum: how long a "no such record" is cached. */
		assert_int_equal(ldns_rdf2native_int32(ldns_rr_rdf(soa, 6)),
		    7200);
	}
	tl_worlds_free(tw);
	scenario_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schedule),
	    cmocka_unit_test(test_phase_at),
	    cmocka_unit_test(test_schedule_unsorted),
	    cmocka_unit_test(test_worlds),
	    cmocka_unit_test(test_player),
	    cmocka_unit_test(test_time_scaled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
