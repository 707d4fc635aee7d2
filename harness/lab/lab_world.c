/*
 * lab_world.c -- the world a lab serves: a scenario built at one
 * timeline phase, signed relative to now; and a lab prepared to run
 * (its world or timeline, event log and files).
 */
#include <errno.h>
#include <string.h>

#include "harness/lab/lab.h"

int
lab_world_build(const struct scenario *s, const char *fixtures_dir,
    const char *phase, struct world **out, struct dl_diags *d)
{
	struct world_opts wo;

	memset(&wo, 0, sizeof(wo));
	wo.fixtures_dir = fixtures_dir;
	wo.phase = s->n_phases > 0 ? 0 : -1;
	if (phase != NULL && (wo.phase = scenario_phase_index(s, phase)) < 0)
		return dl_error(d, s->file, 0, 0,
		    "scenario %s has no phase '%s'", s->id, phase);
	return world_build(s, &wo, out, d);
}

int
lab_prep_open(const struct scenario *s, const char *fixtures_dir,
    const char *phase, bool play, const char *events,
    struct lab_servers_opts *so, struct lab_prep *p, struct dl_diags *d)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->first_phase = -1;
	if (phase == NULL && play && s->n_phases > 0) {
		if ((rc = tl_worlds_build(s, fixtures_dir, 0, &p->tw, d)) != 0)
			return rc;
		p->w = tl_worlds_get(p->tw, 0);
		p->first_phase = tl_phase_at(s, 0);
		so->timeline = p->tw;
	} else {
		if ((rc = lab_world_build(s, fixtures_dir, phase, &p->own,
		    d)) != 0)
			return rc;
		p->w = p->own;
	}
	if (events != NULL && (rc = evlog_open(events, 0, &p->log)) != 0) {
		dl_error(d, events, 0, 0, "cannot open the event log: %s",
		    strerror(errno));
		return rc;
	}
	so->log = p->log;
	if ((rc = lab_files_create(p->w, fixtures_dir, &p->files, d)) != 0)
		return rc;
	so->root_hints = p->files.root_hints;
	return 0;
}

void
lab_prep_clear(struct lab_prep *p)
{
	lab_files_remove(&p->files);
	evlog_free(p->log);
	world_free(p->own);
	tl_worlds_free(p->tw);
	p->log = NULL;
	p->own = NULL;
	p->tw = NULL;
	p->w = NULL;
}
