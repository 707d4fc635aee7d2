/*
 * json.h -- a small streaming JSON writer.
 *
 * Writes compact JSON (or one value per line for JSON lines) to a FILE,
 * escaping strings per RFC 8259.  It tracks nesting so that commas are
 * placed automatically; it does not validate that keys and values
 * alternate.  Nesting is bounded by JSON_MAX_DEPTH.
 */
#ifndef DL_UTIL_JSON_H
#define DL_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *fp;
	int depth;
	bool pretty;
	bool first[JSON_MAX_DEPTH + 1];	/* no element yet at this depth */
	bool after_key;			/* next value follows a key */
};

void json_init(struct json_writer *j, FILE *fp, bool pretty);
void json_obj_begin(struct json_writer *j);
void json_obj_end(struct json_writer *j);
void json_arr_begin(struct json_writer *j);
void json_arr_end(struct json_writer *j);
void json_key(struct json_writer *j, const char *key);
void json_str(struct json_writer *j, const char *s);	/* NULL -> null */
void json_int(struct json_writer *j, long long v);
void json_bool(struct json_writer *j, bool v);
void json_null(struct json_writer *j);
/*
 * A finite number, shortest of "%.6g" (6 significant digits: a value
 * read back from it writes the same bytes); non-finite: null.
 */
void json_real(struct json_writer *j, double v);

/* Shorthands for "key": value. */
void json_kv_str(struct json_writer *j, const char *key, const char *s);
void json_kv_int(struct json_writer *j, const char *key, long long v);
void json_kv_bool(struct json_writer *j, const char *key, bool v);
void json_kv_real(struct json_writer *j, const char *key, double v);

/* Write s as a JSON string literal (with quotes) to fp. */
void json_fput_string(FILE *fp, const char *s);

#endif /* DL_UTIL_JSON_H */
