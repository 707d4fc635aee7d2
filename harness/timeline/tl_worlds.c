/*
 * tl_worlds.c -- the world of every phase of a timeline, built ahead of
 * time with one signing time, so that a phase change is only a swap.
 */
#include <stdlib.h>
#include <string.h>

#include "harness/timeline/timeline.h"
#include "simulator/util/xmem.h"

int
tl_worlds_build(const struct scenario *s, const char *fixtures_dir, time_t now,
    struct tl_worlds **out, struct dl_diags *d)
{
	struct world_opts wo;
	struct tl_worlds *tw;
	size_t i;
	int rc = 0;

	tw = xcalloc(1, sizeof(*tw));
	tw->scen = s;
	tw->now = now != 0 ? now : time(NULL);
	tw->n = s->n_phases > 0 ? s->n_phases : 1;
	tw->w = xcalloc(tw->n, sizeof(*tw->w));
	memset(&wo, 0, sizeof(wo));
	wo.fixtures_dir = fixtures_dir;
	/* One "now" for all: every phase's signatures and serials agree. */
	wo.now = tw->now;
	for (i = 0; i < tw->n && rc == 0; i++) {
		wo.phase = s->n_phases > 0 ? (int)i : -1;
		rc = world_build(s, &wo, &tw->w[i], d);
	}
	if (rc != 0) {
		tl_worlds_free(tw);
		return rc;
	}
	*out = tw;
	return 0;
}

const struct world *
tl_worlds_get(const struct tl_worlds *tw, int phase)
{
	if (phase < 0)
		phase = 0;
	if ((size_t)phase >= tw->n)
		return NULL;
	return tw->w[phase];
}

void
tl_worlds_free(struct tl_worlds *tw)
{
	size_t i;

	if (tw == NULL)
		return;
	for (i = 0; i < tw->n; i++)
		world_free(tw->w[i]);
	free(tw->w);
	free(tw);
}
