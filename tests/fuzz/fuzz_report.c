/*
 * fuzz_report.c -- fuzz target for the JSON report reader: any bytes go
 * through report_read_json_buffer() (jansson, then every field checked
 * against the schema); what loads is rendered in every format, and its
 * JSON must read back and render the same bytes again (the contract of
 * report.h: a report read back renders exactly the same).  A broken
 * round trip aborts: that is a finding, as a crash is.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/report.h"
#include "simulator/util/diag.h"

/* r rendered in format f; the caller frees.  NULL if writing failed. */
static char *
fuzz_render(const struct run_report *r, enum report_format f, size_t *len)
{
	struct report_opts o = { .verbose = true };
	char *text = NULL;
	FILE *fp;
	int rc;

	if ((fp = open_memstream(&text, len)) == NULL)
		abort();
	rc = report_write(r, f, &o, fp);
	if (fclose(fp) != 0 || rc != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_report r, back;
	struct dl_diags d;
	char buf[2048], *json, *json2;
	size_t i, len, len2;
	int f;

	dl_diags_init(&d);
	if (report_read_json_buffer("fuzz.json", (const char *)data, size, &r,
	    &d) == 0) {
		for (f = 0; f < REPORT_FORMAT_COUNT; f++)
			free(fuzz_render(&r, (enum report_format)f, &len));
		if ((json = fuzz_render(&r, REPORT_JSON, &len)) == NULL)
			abort();
		if (report_read_json_buffer("again.json", json, len, &back,
		    &d) != 0) {
			fprintf(stderr, "a report written does not read "
			    "back:\n%s\n", json);
			abort();
		}
		json2 = fuzz_render(&back, REPORT_JSON, &len2);
		if (json2 == NULL || len2 != len || memcmp(json, json2, len))
			abort();
		free(json);
		free(json2);
		report_clear(&back);
		report_clear(&r);
	}
	for (i = 0; i < d.n; i++)
		dl_diag_format(&d.v[i], buf, sizeof(buf));
	dl_diags_clear(&d);
	return 0;
}
