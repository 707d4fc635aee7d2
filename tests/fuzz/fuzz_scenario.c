/*
 * fuzz_scenario.c -- fuzz target for the scenario loader: any bytes go
 * through scenario_load_buffer(), YAML parsing, decoding and every check.
 *
 * Fixture existence checks run against $DANELAB_FIXTURES when it is set
 * (so that inputs naming real fixtures reach the deeper checks), else
 * they are skipped.  The input must never crash, leak or hang the
 * loader; what it reports does not matter.
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>

#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *fixtures = getenv("DANELAB_FIXTURES");
	struct scenario *s = NULL;
	struct dl_diags d;
	char buf[2048];
	size_t i;

	dl_diags_init(&d);
	if (scenario_load_buffer("fuzz.yaml", (const char *)data, size,
	    fixtures, &s, &d) == 0) {
		/* Exercise the queries on whatever loaded. */
		for (i = 0; i < s->n_hosts; i++)
			(void)scenario_zone_for(s, s->hosts[i].name);
		(void)scenario_expect(s, SCEN_POLICY_DANE,
		    (int)s->n_phases - 1);
	}
	/* Formatting is part of reporting: run it on every finding. */
	for (i = 0; i < d.n; i++)
		dl_diag_format(&d.v[i], buf, sizeof(buf));
	scenario_free(s);
	dl_diags_clear(&d);
	return 0;
}
