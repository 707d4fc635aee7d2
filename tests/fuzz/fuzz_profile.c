/*
 * fuzz_profile.c -- fuzz target for the client-profile loader: any bytes
 * go through profile_load_buffer() (YAML, decoding, templates, the
 * pattern bound and regcomp), and, when they load, through what a run
 * does with a profile's patterns (claims, diagnoses, liveness) over a
 * fixed client output and over the input itself.  The same bytes are
 * also read as a deviations file of a fixed small profile.
 *
 * The input must never crash, leak, hang or take more than a few MB
 * (run libFuzzer with -rss_limit_mb: a regcomp blow-up is a finding);
 * what the loader reports does not matter.
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "harness/clients/profile.h"
#include "harness/clients/profile_internal.h"
#include "simulator/util/diag.h"

/* Lines of the kind the shipped profiles match. */
static const char fuzz_output[] =
    "Verified TLS connection established to mx1.example.net[127.25.0.1]:25\n"
    "Untrusted TLS connection established to mx2.example.net[127.25.0.2]\n"
    "posttls-finger: mx1.example.net: TLSA lookup error\n"
    "=== Trying mx1.example.net:25...\n"
    "decision: deliver-authenticated mx1.example.net\n"
    "_25._tcp.mx1.example.net. TLSA 3 1 1 deadbeef: match, secure\n";

static const char fuzz_small[] =
    "version: 1\nname: fuzz\nargv: [true]\n";

static void
fuzz_use(const struct client_profile *p, const char *text, size_t len)
{
	struct profile_claims *cl = malloc(sizeof(*cl));
	struct profile_diagnosed *dg = malloc(sizeof(*dg));

	if (cl == NULL || dg == NULL)
		abort();
	profile_read_claims(p, text, len, "mx1.example.net", cl);
	profile_read_diagnoses(p, text, len, "mx1.example.net", dg);
	(void)profile_alive(p, text, len);
	free(cl);
	free(dg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client_profile *p = NULL;
	struct dl_diags d;
	char buf[2048];
	size_t i;

	dl_diags_init(&d);
	if (profile_load_buffer("fuzz.yaml", (const char *)data, size, &p,
	    &d) == 0) {
		fuzz_use(p, fuzz_output, sizeof(fuzz_output) - 1);
		fuzz_use(p, (const char *)data, size);
		profile_free(p);
		p = NULL;
	}
	for (i = 0; i < d.n; i++)
		dl_diag_format(&d.v[i], buf, sizeof(buf));
	dl_diags_clear(&d);

	/* The same bytes as the deviations file of a small profile. */
	dl_diags_init(&d);
	if (profile_load_buffer("fuzz.yaml", fuzz_small,
	    sizeof(fuzz_small) - 1, &p, &d) != 0)
		abort();
	(void)profile_dev_parse(p, "fuzz.deviations", (const char *)data,
	    size, &d);
	for (i = 0; i < d.n; i++)
		dl_diag_format(&d.v[i], buf, sizeof(buf));
	profile_free(p);
	dl_diags_clear(&d);
	return 0;
}
