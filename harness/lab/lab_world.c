/*
 * lab_world.c -- the world a lab serves: a scenario built at one
 * timeline phase, signed relative to now.
 */
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
