/*
 * tl_schedule.c -- when each phase of a timeline starts: pure functions
 * of the scenario (no worlds, no clock), shared by the player and tests.
 */
#include <stddef.h>

#include "harness/timeline/timeline.h"

size_t
tl_schedule(const struct scenario *s, struct tl_step *steps)
{
	struct tl_step t;
	size_t i, j;

	for (i = 0; i < s->n_phases; i++) {
		steps[i].phase = (int)i;
		steps[i].at_ms = (uint64_t)s->phases[i].at * 1000;
	}
	/* Insertion sort, stable: equal offsets stay in scenario order. */
	for (i = 1; i < s->n_phases; i++) {
		t = steps[i];
		for (j = i; j > 0 && steps[j - 1].at_ms > t.at_ms; j--)
			steps[j] = steps[j - 1];
		steps[j] = t;
	}
	/* The first phase is the world served from the start. */
	if (s->n_phases > 0)
		steps[0].at_ms = 0;
	return s->n_phases;
}

int
tl_phase_at(const struct scenario *s, uint64_t elapsed_ms)
{
	struct tl_step steps[SCEN_MAX_PHASES];
	size_t i, n;
	int phase = -1;

	if (s->n_phases > SCEN_MAX_PHASES) /* the loader's limit */
		return -1;
	n = tl_schedule(s, steps);
	for (i = 0; i < n && steps[i].at_ms <= elapsed_ms; i++)
		phase = steps[i].phase;
	return phase;
}
