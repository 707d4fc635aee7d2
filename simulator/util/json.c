/*
 * json.c -- streaming JSON writer (see json.h).
 */
#include "simulator/util/json.h"

#include <math.h>
#include <string.h>

void
json_init(struct json_writer *j, FILE *fp, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->fp = fp;
	j->pretty = pretty;
	j->first[0] = true;
}

static void
json_indent(struct json_writer *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->fp);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->fp);
}

/* Emit the separator before a value or key at the current depth. */
static void
json_sep(struct json_writer *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->fp);
	j->first[j->depth] = false;
	if (j->depth > 0)
		json_indent(j);
}

static void
json_open(struct json_writer *j, char c)
{
	json_sep(j);
	fputc(c, j->fp);
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct json_writer *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		json_indent(j);
	fputc(c, j->fp);
}

void
json_obj_begin(struct json_writer *j)
{
	json_open(j, '{');
}

void
json_obj_end(struct json_writer *j)
{
	json_close(j, '}');
}

void
json_arr_begin(struct json_writer *j)
{
	json_open(j, '[');
}

void
json_arr_end(struct json_writer *j)
{
	json_close(j, ']');
}

void
json_fput_string(FILE *fp, const char *s)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

void
json_key(struct json_writer *j, const char *key)
{
	json_sep(j);
	json_fput_string(j->fp, key);
	fputs(j->pretty ? ": " : ":", j->fp);
	j->after_key = true;
}

void
json_str(struct json_writer *j, const char *s)
{
	json_sep(j);
	if (s == NULL)
		fputs("null", j->fp);
	else
		json_fput_string(j->fp, s);
}

void
json_int(struct json_writer *j, long long v)
{
	json_sep(j);
	fprintf(j->fp, "%lld", v);
}

void
json_real(struct json_writer *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	json_sep(j);
	fprintf(j->fp, "%.6g", v);
}

void
json_bool(struct json_writer *j, bool v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->fp);
}

void
json_null(struct json_writer *j)
{
	json_sep(j);
	fputs("null", j->fp);
}

void
json_kv_str(struct json_writer *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void
json_kv_int(struct json_writer *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_real(struct json_writer *j, const char *key, double v)
{
	json_key(j, key);
	json_real(j, v);
}

void
json_kv_bool(struct json_writer *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
