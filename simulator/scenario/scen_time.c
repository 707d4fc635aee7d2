/*
 * scen_time.c -- stretching a scenario's timeline by one factor
 * (scenario_time_scale, `--time-scale`), so that a slow client fits
 * between the phases of a rollover.
 *
 * Owns: which numbers of the model are time (phase offsets, TTLs) and
 * the bounds they must keep once scaled.  Every later stage reads the
 * scaled model, so nothing else multiplies.  Not scaled, on purpose:
 * signature lifetimes (days, far beyond any timeline), the SOA's
 * refresh/retry/expire (no secondary ever reads them), the client's
 * timeout (the client's own time, not the world's), and the runner's
 * margin after a phase switch (the servers' swap time; it is added to
 * every run alike, so it cancels out of every cache relation).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/xmem.h"

/* RFC 2181 8: a TTL is an unsigned number from 0 to 2^31 - 1. */
#define TIME_MAX_TTL 2147483647ULL
/* The loader's default world TTL (scen_schema.c "ttl"). */
#define TIME_DEFAULT_TTL 3600

/* One number of the model that is time, before it is changed. */
struct time_slot {
	uint32_t *v;
	uint32_t from;		/* the value as loaded (or its default) */
	struct scen_pos pos;
	bool offset;		/* a phase offset (else a TTL) */
	char what[320];		/* "TLSA TTL of mx1.example.net." */
};

struct time_slots {
	struct time_slot *v;
	size_t n, cap;
};

static struct time_slot *
slot_add(struct time_slots *t, uint32_t *v, uint32_t from,
    struct scen_pos pos, bool offset)
{
	struct time_slot *sl;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	sl = &t->v[t->n++];
	memset(sl, 0, sizeof(*sl));
	sl->v = v;
	sl->from = from;
	sl->pos = pos;
	sl->offset = offset;
	return sl;
}

/* Every time value of s; a 0 TTL means "inherited" and stays 0. */
static void
collect(struct scenario *s, struct time_slots *t)
{
	struct time_slot *sl;
	size_t i, j;

	/* Unset, the world's default is the schema's; written out here. */
	sl = slot_add(t, &s->ttl, s->ttl ? s->ttl : TIME_DEFAULT_TTL,
	    (struct scen_pos){ 0, 0 }, false);
	snprintf(sl->what, sizeof(sl->what), "the world's default TTL");
	for (i = 0; i < s->n_zones; i++) {
		struct scen_zone *z = &s->zones[i];

		if (z->ttl != 0) {
			sl = slot_add(t, &z->ttl, z->ttl, z->pos, false);
			snprintf(sl->what, sizeof(sl->what), "the TTL (and SOA "
			    "minimum) of zone %s", z->name);
		}
		for (j = 0; j < z->n_records; j++) {
			if (z->records[j].ttl == 0)
				continue;
			sl = slot_add(t, &z->records[j].ttl, z->records[j].ttl,
			    z->records[j].pos, false);
			snprintf(sl->what, sizeof(sl->what), "the TTL of %s %s",
			    z->records[j].owner, z->records[j].type);
		}
	}
	for (i = 0; i < s->n_hosts; i++) {
		if (s->hosts[i].tlsa_ttl == 0)
			continue;
		sl = slot_add(t, &s->hosts[i].tlsa_ttl, s->hosts[i].tlsa_ttl,
		    s->hosts[i].pos, false);
		snprintf(sl->what, sizeof(sl->what), "the TLSA TTL of %s",
		    s->hosts[i].name);
	}
	for (i = 0; i < s->n_phases; i++) {
		struct scen_phase *ph = &s->phases[i];

		sl = slot_add(t, &ph->at, ph->at, ph->pos, true);
		snprintf(sl->what, sizeof(sl->what), "the offset of phase %s",
		    ph->name);
		for (j = 0; j < ph->n_hosts; j++) {
			if (ph->hosts[j].tlsa_ttl == 0)
				continue;
			sl = slot_add(t, &ph->hosts[j].tlsa_ttl,
			    ph->hosts[j].tlsa_ttl, ph->hosts[j].pos, false);
			snprintf(sl->what, sizeof(sl->what), "the TLSA TTL of "
			    "%s in phase %s", ph->hosts[j].host, ph->name);
		}
	}
}

int
scen_time_scale_parse(const char *arg, double *out)
{
	const char *p;
	char *end;
	double f;

	if (arg == NULL || *arg == '\0')
		return -1;
	/* Digits and one '.': strtod alone takes "inf", "0x1p1", " 2". */
	for (p = arg; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
	errno = 0;
	f = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(f) ||
	    f < SCEN_TIME_SCALE_MIN || f > SCEN_TIME_SCALE_MAX)
		return -1;
	*out = f;
	return 0;
}

int
scenario_time_scale(struct scenario *s, double f, struct dl_diags *d)
{
	struct time_slots t;
	const struct time_slot *first_rounded = NULL;
	unsigned long long *to;
	size_t i, prev, rounded = 0;
	double x;
	int errors = 0;

	if (!isfinite(f) || f < SCEN_TIME_SCALE_MIN ||
	    f > SCEN_TIME_SCALE_MAX)
		return dl_error(d, s->file, 0, 0, "time scale %g: not from "
		    "%g to %g", f, SCEN_TIME_SCALE_MIN, SCEN_TIME_SCALE_MAX);
	if (s->n_phases == 0 || f == 1.0) {
		s->time_scale *= f;
		return 0;
	}
	memset(&t, 0, sizeof(t));
	collect(s, &t);
	to = xcalloc(t.n, sizeof(*to));
	/* Check everything first: on any error, s stays as loaded. */
	for (i = 0; i < t.n; i++) {
		const struct time_slot *sl = &t.v[i];

		x = (double)sl->from * f;
		to[i] = (unsigned long long)llround(x);
		if (fabs(x - (double)to[i]) > 1e-6 && rounded++ == 0)
			first_rounded = sl;
		if (!sl->offset && to[i] < 1)
			errors += dl_error(d, s->file, sl->pos.line,
			    sl->pos.col, "time scale %g: %s, %u s, becomes "
			    "%.2f s, below 1 s (scale by at least %.2g)", f,
			    sl->what, sl->from, x, 0.5 / sl->from) != 0;
		else if (!sl->offset && to[i] > TIME_MAX_TTL)
			errors += dl_error(d, s->file, sl->pos.line,
			    sl->pos.col, "time scale %g: %s, %u s, becomes "
			    "%llu s, more than a TTL holds (2^31-1, RFC 2181 "
			    "8)", f, sl->what, sl->from, to[i]) != 0;
		else if (sl->offset && to[i] > SCEN_MAX_OFFSET)
			errors += dl_error(d, s->file, sl->pos.line,
			    sl->pos.col, "time scale %g: %s, %u s, becomes "
			    "%llu s, past the %d s a timeline may last", f,
			    sl->what, sl->from, to[i], SCEN_MAX_OFFSET) != 0;
	}
	/* Phases must stay apart: the player orders them by offset. */
	for (i = 0, prev = t.n; i < t.n; i++) {
		if (!t.v[i].offset)
			continue;
		if (prev < t.n && to[prev] >= to[i])
			errors += dl_error(d, s->file, t.v[i].pos.line,
			    t.v[i].pos.col, "time scale %g: %s, %u s, becomes "
			    "%llu s, not after the previous phase's %llu s",
			    f, t.v[i].what, t.v[i].from, to[i], to[prev]) != 0;
		prev = i;
	}
	if (errors == 0) {
		for (i = 0; i < t.n; i++)
			*t.v[i].v = (uint32_t)to[i];
		s->time_scale *= f;
		if (rounded > 0)
			dl_warn(d, s->file, first_rounded->pos.line,
			    first_rounded->pos.col, "time scale %g: %zu "
			    "value%s rounded to whole seconds (first: %s, "
			    "%u s, is %.2f s, now %llu s)", f, rounded,
			    rounded == 1 ? "" : "s", first_rounded->what,
			    first_rounded->from, first_rounded->from * f,
			    (unsigned long long)*first_rounded->v);
	}
	free(to);
	free(t.v);
	return errors > 0 ? DL_EINVAL : 0;
}

/*
 * The TLSA TTL of h in phase p (-1: the baseline) as the world serves
 * it: the last one a phase up to p sets, else the host's, else that of
 * the zone holding its TLSA RRset (world.c resolves it the same way).
 */
static uint32_t
tlsa_ttl_at(const struct scenario *s, const struct scen_host *h, int p)
{
	const struct scen_zone *z;
	char owner[300];
	uint32_t ttl = h->tlsa_ttl;
	size_t i;
	int q;

	for (q = 0; q <= p; q++)
		for (i = 0; i < s->phases[q].n_hosts; i++)
			if (s->phases[q].hosts[i].host != NULL &&
			    strcmp(s->phases[q].hosts[i].host, h->name) == 0 &&
			    s->phases[q].hosts[i].tlsa_ttl != 0)
				ttl = s->phases[q].hosts[i].tlsa_ttl;
	if (ttl != 0)
		return ttl;
	snprintf(owner, sizeof(owner), "_%u._tcp.%s", h->port ? h->port : 25,
	    h->cname != NULL ? h->cname : h->name);
	if ((z = scenario_zone_for(s, owner)) != NULL && z->ttl != 0)
		return z->ttl;
	return s->ttl != 0 ? s->ttl : TIME_DEFAULT_TTL;
}

size_t
scenario_timeline_check(const struct scenario *s, struct dl_diags *d)
{
	size_t i, q, warned = 0;

	for (i = 0; s->n_phases > 1 && i < s->n_hosts; i++) {
		const struct scen_host *h = &s->hosts[i];
		const struct scen_phase *ph;
		long long fetched = 0, expires, dist;
		size_t from = 0;

		/* The first phase's run fetches the RRset into a cold cache. */
		expires = tlsa_ttl_at(s, h, 0);
		for (q = 1; q < s->n_phases; q++) {
			ph = &s->phases[q];
			dist = (long long)ph->at - expires;
			if (dist <= -SCEN_CACHE_BEFORE)
				continue;	/* still cached, surely */
			if (dist < SCEN_CACHE_AFTER) {
				dl_warn(d, s->file, ph->pos.line, ph->pos.col,
				    "phase %s starts at %u s, %lld s %s the "
				    "TLSA RRset of %s cached at phase %s (%lld "
				    "s) expires (%lld s): less than %d s, so "
				    "whether a resolver still holds it is left "
				    "to chance (TTLs count whole seconds, the "
				    "client takes its time); move the phase or "
				    "change the TTL", ph->name, ph->at,
				    dist < 0 ? -dist : dist, dist < 0 ?
				    "before" : "after", h->name,
				    s->phases[from].name, fetched, expires,
				    dist < 0 ? SCEN_CACHE_BEFORE :
				    SCEN_CACHE_AFTER);
				warned++;
				break;	/* the rest depends on this one */
			}
			/* Expired: this phase's run fetches it again. */
			from = q;
			fetched = ph->at;
			expires = fetched + tlsa_ttl_at(s, h, (int)q);
		}
	}
	return warned;
}
