/*
 * test_json.c -- unit tests for simulator/util/json.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simulator/util/json.h"

static char *
render(void (*fn)(struct json_writer *), bool pretty)
{
	struct json_writer j;
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_non_null(fp);
	json_init(&j, fp, pretty);
	fn(&j);
	fclose(fp);
	return out;
}

static void
doc_nested(struct json_writer *j)
{
	json_obj_begin(j);
	json_kv_str(j, "id", "dnssec/missing-ds");
	json_key(j, "tags");
	json_arr_begin(j);
	json_str(j, "a");
	json_str(j, "b");
	json_arr_end(j);
	json_key(j, "empty");
	json_arr_begin(j);
	json_arr_end(j);
	json_kv_int(j, "n", -3);
	json_kv_bool(j, "ok", true);
	json_key(j, "none");
	json_null(j);
	json_obj_end(j);
}

static void
test_compact(void **state)
{
	char *s = render(doc_nested, false);

	(void)state;
	assert_string_equal(s, "{\"id\":\"dnssec/missing-ds\",\"tags\":"
	    "[\"a\",\"b\"],\"empty\":[],\"n\":-3,\"ok\":true,\"none\":null}");
	free(s);
}

static void
doc_escapes(struct json_writer *j)
{
	json_str(j, "q\"b\\n\n\t\x01 \xc3\xa9");
}

static void
test_escapes(void **state)
{
	char *s = render(doc_escapes, false);

	(void)state;
	assert_string_equal(s, "\"q\\\"b\\\\n\\n\\t\\u0001 \xc3\xa9\"");
	free(s);
}

static void
test_pretty(void **state)
{
	char *s = render(doc_nested, true);

	(void)state;
	assert_non_null(strstr(s, "\n  \"id\": \"dnssec/missing-ds\""));
	assert_non_null(strstr(s, "\"empty\": []"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_pretty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
