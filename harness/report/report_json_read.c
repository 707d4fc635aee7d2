/*
 * report_json_read.c -- reading the JSON form of a run report
 * (REPORT.md) with jansson: report_read_json.
 *
 * Reading is bounded: the file size, the number of results, hosts and
 * references, and the length of every string.  A file that is not a
 * report is reported as file:line:col: from jansson's position for a
 * syntax error, and for a wrong value by walking the text to it (see
 * json_locate).  Fields this schema does not know are ignored, so that
 * fields added within schema 1 do not break older readers.
 */
#include "harness/report/report_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "simulator/util/file.h"
#include "simulator/util/xmem.h"

#define REPORT_MAX_NAME 1024		/* ids, names, hosts, words */
#define REPORT_MAX_TEXT (4 * REPORT_MAX_OUTPUT)	/* output, prose */
#define REPORT_MAX_REFS 64

#define RD_MAX_PATH 10	/* scenarios[i].timeline.hosts[k].tlsa[m].from */

/* Where the reader is: the file and the path of keys and indexes. */
struct rd {
	const char *file;
	const char *text;
	size_t len;
	struct dl_diags *diags;
	int depth;
	struct {
		const char *key;	/* NULL: an array index */
		size_t index;
	} path[RD_MAX_PATH];
};

static void
rd_push_key(struct rd *rd, const char *key)
{
	if (rd->depth < RD_MAX_PATH) {
		rd->path[rd->depth].key = key;
		rd->path[rd->depth].index = 0;
	}
	rd->depth++;
}

static void
rd_push_index(struct rd *rd, size_t index)
{
	if (rd->depth < RD_MAX_PATH) {
		rd->path[rd->depth].key = NULL;
		rd->path[rd->depth].index = index;
	}
	rd->depth++;
}

static void
rd_pop(struct rd *rd)
{
	rd->depth--;
}

/* Skip blanks in text from *o. */
static void
js_blank(const char *t, size_t len, size_t *o)
{
	while (*o < len && (t[*o] == ' ' || t[*o] == '\t' || t[*o] == '\n' ||
	    t[*o] == '\r'))
		(*o)++;
}

/* Skip the string literal at *o (at its opening quote). */
static void
js_skip_string(const char *t, size_t len, size_t *o)
{
	for ((*o)++; *o < len && t[*o] != '"'; (*o)++)
		if (t[*o] == '\\')
			(*o)++;
	if (*o < len)
		(*o)++;
}

/* Skip the value at *o (text already known to be valid JSON). */
static void
js_skip_value(const char *t, size_t len, size_t *o)
{
	int depth = 0;

	js_blank(t, len, o);
	do {
		if (*o >= len)
			return;
		switch (t[*o]) {
		case '"':
			js_skip_string(t, len, o);
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		default:
			if (depth == 0) {
				while (*o < len && strchr(",}] \t\r\n",
				    t[*o]) == NULL)
					(*o)++;
				return;
			}
		}
		(*o)++;
	} while (depth > 0);
}

/*
 * The offset of the value rd->path names, walking the text (which
 * jansson has accepted, so it is well-formed).  Keys are compared as
 * written, which is enough for the plain keys of a report.  Stops at the
 * deepest container found.
 */
static size_t
json_locate(const struct rd *rd)
{
	const char *t = rd->text;
	size_t len = rd->len, o = 0, i, k, klen, start;
	int d, depth = rd->depth < RD_MAX_PATH ? rd->depth : RD_MAX_PATH;

	js_blank(t, len, &o);
	for (d = 0; d < depth; d++) {
		start = o;
		if (o >= len)
			return start;
		if (rd->path[d].key != NULL) {
			if (t[o] != '{')
				return start;
			klen = strlen(rd->path[d].key);
			for (o++;;) {
				js_blank(t, len, &o);
				if (o >= len || t[o] != '"')
					return start;
				k = o + 1;
				js_skip_string(t, len, &o);
				bool hit = o - k - 1 == klen &&
				    memcmp(t + k, rd->path[d].key, klen) == 0;
				js_blank(t, len, &o);
				o++;	/* ':' */
				js_blank(t, len, &o);
				if (hit)
					break;
				js_skip_value(t, len, &o);
				js_blank(t, len, &o);
				if (o >= len || t[o] != ',')
					return start;
				o++;
			}
		} else {
			if (t[o] != '[')
				return start;
			o++;
			for (i = 0; i < rd->path[d].index; i++) {
				js_skip_value(t, len, &o);
				js_blank(t, len, &o);
				if (o >= len || t[o] != ',')
					return start;
				o++;
			}
			js_blank(t, len, &o);
		}
	}
	return o;
}

/* "results[3].hosts[0].outcome" into buf. */
static void
rd_path(const struct rd *rd, char *buf, size_t len)
{
	size_t used = 0;
	int d, n;

	buf[0] = '\0';
	for (d = 0; d < rd->depth && d < RD_MAX_PATH && used < len; d++) {
		if (rd->path[d].key != NULL)
			n = snprintf(buf + used, len - used, "%s%s",
			    d > 0 ? "." : "", rd->path[d].key);
		else
			n = snprintf(buf + used, len - used, "[%zu]",
			    rd->path[d].index);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* An error at the value the path names. */
static int __attribute__((format(printf, 2, 3)))
rd_error(struct rd *rd, const char *fmt, ...)
{
	size_t off = json_locate(rd), i;
	unsigned line = 1, col = 1;
	char path[256], msg[512];
	va_list ap;

	for (i = 0; i < off && i < rd->len; i++) {
		if (rd->text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)rd->text[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rd_path(rd, path, sizeof(path));
	return dl_error(rd->diags, rd->file, line, col, "%s%s%s",
	    path, path[0] ? ": " : "", msg);
}

static const char *
json_type_word(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* Member key of obj, which must be present unless optional. */
static int
rd_member(struct rd *rd, const json_t *obj, const char *key, bool optional,
    json_t **out)
{
	*out = json_object_get(obj, key);
	if (*out == NULL && !optional)
		return rd_error(rd, "missing \"%s\"", key);
	return 0;
}

/*
 * String member: NULL allowed (null or absent) when nullable; at most max
 * bytes.  *out is a copy (caller frees) or NULL.
 */
static int
rd_str(struct rd *rd, const json_t *obj, const char *key, bool nullable,
    size_t max, char **out)
{
	json_t *v;
	int rc;

	*out = NULL;
	if ((rc = rd_member(rd, obj, key, nullable, &v)) != 0)
		return rc;
	if (v == NULL || (nullable && json_is_null(v)))
		return 0;
	rd_push_key(rd, key);
	if (!json_is_string(v))
		rc = rd_error(rd, "expected a string%s, found %s",
		    nullable ? " or null" : "", json_type_word(v));
	else if (json_string_length(v) > max)
		rc = rd_error(rd, "string longer than %zu bytes", max);
	else if (strlen(json_string_value(v)) != json_string_length(v))
		rc = rd_error(rd, "string holds a NUL character");
	else
		*out = xstrdup(json_string_value(v));
	rd_pop(rd);
	return rc;
}

static int
rd_int(struct rd *rd, const json_t *obj, const char *key, long long min,
    long long max, long long *out)
{
	json_t *v;
	int rc;

	if ((rc = rd_member(rd, obj, key, false, &v)) != 0)
		return rc;
	rd_push_key(rd, key);
	if (!json_is_integer(v))
		rc = rd_error(rd, "expected an integer, found %s",
		    json_type_word(v));
	else if (json_integer_value(v) < min || json_integer_value(v) > max)
		rc = rd_error(rd, "%lld is out of range %lld..%lld",
		    (long long)json_integer_value(v), min, max);
	else
		*out = json_integer_value(v);
	rd_pop(rd);
	return rc;
}

static int
rd_bool(struct rd *rd, const json_t *obj, const char *key, bool *out)
{
	json_t *v;
	int rc;

	if ((rc = rd_member(rd, obj, key, false, &v)) != 0)
		return rc;
	rd_push_key(rd, key);
	if (!json_is_boolean(v))
		rc = rd_error(rd, "expected true or false, found %s",
		    json_type_word(v));
	else
		*out = json_is_true(v);
	rd_pop(rd);
	return rc;
}

/*
 * "time_scale": a number in the range --time-scale accepts; absent (a
 * report from before the field), 1.
 */
static int
rd_time_scale(struct rd *rd, const json_t *obj, double *out)
{
	json_t *v;
	int rc;

	*out = 1.0;
	if ((rc = rd_member(rd, obj, "time_scale", true, &v)) != 0 ||
	    v == NULL)
		return rc;
	rd_push_key(rd, "time_scale");
	if (!json_is_number(v))
		rc = rd_error(rd, "expected a number, found %s",
		    json_type_word(v));
	else if (json_number_value(v) < SCEN_TIME_SCALE_MIN ||
	    json_number_value(v) > SCEN_TIME_SCALE_MAX)
		rc = rd_error(rd, "%g is out of range %g..%g",
		    json_number_value(v), SCEN_TIME_SCALE_MIN,
		    SCEN_TIME_SCALE_MAX);
	else
		*out = json_number_value(v);
	rd_pop(rd);
	return rc;
}

/*
 * An enumeration word read through parse (nullable: null gives
 * null_value).  what names the enumeration in the message.
 */
static int
rd_enum(struct rd *rd, const json_t *obj, const char *key, const char *what,
    int (*parse)(const char *), bool nullable, int null_value, int *out)
{
	char *s;
	int rc, v;

	if ((rc = rd_str(rd, obj, key, nullable, REPORT_MAX_NAME, &s)) != 0)
		return rc;
	if (s == NULL) {
		*out = null_value;
		return 0;
	}
	v = parse(s);
	if (v < 0) {
		rd_push_key(rd, key);
		rc = rd_error(rd, "unknown %s \"%s\"", what, s);
		rd_pop(rd);
	} else {
		*out = v;
	}
	free(s);
	return rc;
}

/* Array member key of obj, at most max elements. */
static int
rd_array(struct rd *rd, const json_t *obj, const char *key, size_t max,
    json_t **out)
{
	int rc;

	if ((rc = rd_member(rd, obj, key, false, out)) != 0)
		return rc;
	rd_push_key(rd, key);
	if (!json_is_array(*out))
		rc = rd_error(rd, "expected an array, found %s",
		    json_type_word(*out));
	else if (json_array_size(*out) > max)
		rc = rd_error(rd, "more than %zu elements", max);
	rd_pop(rd);
	return rc;
}

/* The object at index i of arr (rd's path at the array). */
static int
rd_element(struct rd *rd, const json_t *arr, size_t i, json_t **out)
{
	*out = json_array_get(arr, i);
	if (!json_is_object(*out))
		return rd_error(rd, "expected an object, found %s",
		    json_type_word(*out));
	return 0;
}

static int
rd_uint(struct rd *rd, const json_t *obj, const char *key, unsigned *out)
{
	long long n = 0;
	int rc;

	if ((rc = rd_int(rd, obj, key, 0, UINT_MAX, &n)) != 0)
		return rc;
	*out = (unsigned)n;
	return 0;
}

/* An accepted set, "opportunistic|auth", or null (0). */
static int
rd_accept(struct rd *rd, const json_t *obj, const char *key,
    unsigned *out)
{
	char *s = NULL;
	int rc;

	if ((rc = rd_str(rd, obj, key, true, REPORT_MAX_NAME, &s)) != 0)
		return rc;
	rc = report_accept_parse(s, out);
	free(s);
	if (rc != 0) {
		rd_push_key(rd, key);
		rc = rd_error(rd, "expected actions separated by '|'");
		rd_pop(rd);
	}
	return rc;
}

/* Object member key of obj, absent or null allowed (*out NULL then). */
static int
rd_object_opt(struct rd *rd, const json_t *obj, const char *key,
    json_t **out)
{
	int rc = 0;

	*out = json_object_get(obj, key);
	if (*out == NULL || json_is_null(*out)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_object(*out)) {
		rd_push_key(rd, key);
		rc = rd_error(rd, "expected an object or null, found %s",
		    json_type_word(*out));
		rd_pop(rd);
	}
	return rc;
}

static int
rd_u32(struct rd *rd, const json_t *obj, const char *key, uint32_t *out)
{
	long long n = 0;
	int rc;

	if ((rc = rd_int(rd, obj, key, 0, UINT32_MAX, &n)) == 0)
		*out = (uint32_t)n;
	return rc;
}

static int
rd_u8(struct rd *rd, const json_t *obj, const char *key, uint8_t *out)
{
	long long n = 0;
	int rc;

	if ((rc = rd_int(rd, obj, key, 0, 255, &n)) == 0)
		*out = (uint8_t)n;
	return rc;
}

/*
 * An array of strings, key of obj: at most max of at most len bytes
 * each, into *v (xcalloc, *n of them).
 */
static int
rd_strings(struct rd *rd, const json_t *obj, const char *key, size_t max,
    size_t len, char ***v, size_t *n)
{
	json_t *arr, *el;
	size_t i;
	int rc;

	if ((rc = rd_array(rd, obj, key, max, &arr)) != 0)
		return rc;
	*v = xcalloc(json_array_size(arr) + 1, sizeof(**v));
	rd_push_key(rd, key);
	for (i = 0; i < json_array_size(arr) && rc == 0; i++) {
		el = json_array_get(arr, i);
		rd_push_index(rd, i);
		if (!json_is_string(el) || json_string_length(el) > len ||
		    strlen(json_string_value(el)) != json_string_length(el))
			rc = rd_error(rd, "expected a string of at most %zu "
			    "bytes", len);
		else
			(*v)[(*n)++] = xstrdup(json_string_value(el));
		rd_pop(rd);
	}
	rd_pop(rd);
	return rc;
}

/* "tlsa_answer": null (not asked) or {"state", "records"}. */
static int
read_tlsa_answer(struct rd *rd, const json_t *o, struct run_host *h)
{
	json_t *a;
	int v = 0, rc;

	if ((rc = rd_object_opt(rd, o, "tlsa_answer", &a)) != 0 || a == NULL)
		return rc;
	rd_push_key(rd, "tlsa_answer");
	if ((rc = rd_enum(rd, a, "state", "TLSA state", run_tlsa_state_parse,
	    false, 0, &v)) == 0) {
		h->tlsa_state = (enum run_tlsa_state)v;
		rc = rd_strings(rd, a, "records", REPORT_MAX_TLSA_RR,
		    REPORT_MAX_TLSA_TEXT, &h->tlsa, &h->n_tlsa);
	}
	rd_pop(rd);
	return rc;
}

/* The objects of array key of obj (at most max), each read by fn. */
static int
rd_objects(struct rd *rd, const json_t *obj, const char *key, size_t max,
    void *base, size_t size, size_t *n,
    int (*fn)(struct rd *, const json_t *, void *))
{
	json_t *arr, *el;
	size_t i;
	int rc;

	if ((rc = rd_array(rd, obj, key, max, &arr)) != 0)
		return rc;
	rd_push_key(rd, key);
	for (i = 0; i < json_array_size(arr) && rc == 0; i++) {
		rd_push_index(rd, i);
		if ((rc = rd_element(rd, arr, i, &el)) == 0) {
			rc = fn(rd, el, (char *)base + i * size);
			(*n)++;	/* counted also half read: freed alike */
		}
		rd_pop(rd);
	}
	rd_pop(rd);
	return rc;
}

static int
read_tl_phase(struct rd *rd, const json_t *o, void *p)
{
	struct tl_plan_phase *ph = p;
	int rc;

	if ((rc = rd_str(rd, o, "name", false, REPORT_MAX_NAME,
	    &ph->name)) != 0)
		return rc;
	return rd_u32(rd, o, "at", &ph->at);
}

static int
read_tl_cert(struct rd *rd, const json_t *o, void *p)
{
	struct tl_plan_cert *c = p;
	int rc;

	if ((rc = rd_str(rd, o, "chain", false, REPORT_MAX_NAME,
	    &c->chain)) != 0 ||
	    (rc = rd_u32(rd, o, "from", &c->from)) != 0)
		return rc;
	return rd_u32(rd, o, "to", &c->to);
}

static int
read_tl_tlsa(struct rd *rd, const json_t *o, void *p)
{
	struct tl_plan_tlsa *g = p;
	int rc;

	if ((rc = rd_u8(rd, o, "usage", &g->usage)) != 0 ||
	    (rc = rd_u8(rd, o, "selector", &g->selector)) != 0 ||
	    (rc = rd_u8(rd, o, "mtype", &g->mtype)) != 0 ||
	    (rc = rd_str(rd, o, "cert", true, REPORT_MAX_NAME,
	    &g->cert)) != 0 ||
	    (rc = rd_str(rd, o, "data", false, 2 * TL_PLAN_DATA_MAX,
	    &g->data)) != 0 ||
	    (rc = rd_bool(rd, o, "unusable", &g->unusable)) != 0 ||
	    (rc = rd_u32(rd, o, "from", &g->from)) != 0 ||
	    (rc = rd_u32(rd, o, "to", &g->to)) != 0 ||
	    (rc = rd_bool(rd, o, "removed", &g->removed)) != 0 ||
	    (rc = rd_u32(rd, o, "ttl_before", &g->ttl_before)) != 0 ||
	    (rc = rd_u32(rd, o, "ttl_after", &g->ttl_after)) != 0)
		return rc;
	if (g->from > g->to)
		return rd_error(rd, "\"from\" %u is after \"to\" %u",
		    g->from, g->to);
	return 0;
}

static int
read_tl_host(struct rd *rd, const json_t *o, void *p)
{
	struct tl_plan_host *h = p;
	json_t *arr;
	int rc;

	if ((rc = rd_str(rd, o, "host", false, REPORT_MAX_NAME,
	    &h->host)) != 0)
		return rc;
	if ((rc = rd_array(rd, o, "certs", SCEN_MAX_PHASES, &arr)) != 0)
		return rc;
	h->certs = xcalloc(json_array_size(arr) + 1, sizeof(*h->certs));
	if ((rc = rd_objects(rd, o, "certs", SCEN_MAX_PHASES, h->certs,
	    sizeof(*h->certs), &h->n_certs, read_tl_cert)) != 0)
		return rc;
	if ((rc = rd_array(rd, o, "tlsa", TL_PLAN_MAX_TLSA, &arr)) != 0)
		return rc;
	h->tlsa = xcalloc(json_array_size(arr) + 1, sizeof(*h->tlsa));
	return rd_objects(rd, o, "tlsa", TL_PLAN_MAX_TLSA, h->tlsa,
	    sizeof(*h->tlsa), &h->n_tlsa, read_tl_tlsa);
}

/* "timeline": null, or a plan (tl_plan.h). */
static int
read_timeline(struct rd *rd, const json_t *o, struct tl_plan **out)
{
	struct tl_plan *p;
	json_t *t, *arr;
	int rc;

	if ((rc = rd_object_opt(rd, o, "timeline", &t)) != 0 || t == NULL)
		return rc;
	p = *out = xcalloc(1, sizeof(*p));
	rd_push_key(rd, "timeline");
	if ((rc = rd_u32(rd, t, "end", &p->end)) != 0 ||
	    (rc = rd_u32(rd, t, "max_ttl", &p->max_ttl)) != 0 ||
	    (rc = rd_array(rd, t, "phases", SCEN_MAX_PHASES, &arr)) != 0)
		goto out;
	p->phases = xcalloc(json_array_size(arr) + 1, sizeof(*p->phases));
	if ((rc = rd_objects(rd, t, "phases", SCEN_MAX_PHASES, p->phases,
	    sizeof(*p->phases), &p->n_phases, read_tl_phase)) != 0 ||
	    (rc = rd_array(rd, t, "hosts", REPORT_MAX_HOSTS, &arr)) != 0)
		goto out;
	p->hosts = xcalloc(json_array_size(arr) + 1, sizeof(*p->hosts));
	rc = rd_objects(rd, t, "hosts", REPORT_MAX_HOSTS, p->hosts,
	    sizeof(*p->hosts), &p->n_hosts, read_tl_host);
out:
	rd_pop(rd);
	return rc;
}

static int
read_host(struct rd *rd, const json_t *o, struct run_host *h)
{
	int v = 0, rc;

	if ((rc = rd_str(rd, o, "host", false, REPORT_MAX_NAME,
	    &h->host)) != 0 ||
	    (rc = rd_enum(rd, o, "expected", "action", report_action_parse,
	    true, SCEN_ACT_UNSET, &v)) != 0)
		return rc;
	h->expected = (enum scen_action)v;
	if ((rc = rd_accept(rd, o, "accepted", &h->accept)) != 0)
		return rc;
	if ((rc = rd_enum(rd, o, "outcome", "outcome", run_outcome_parse,
	    false, 0, &v)) != 0)
		return rc;
	h->outcome = (enum run_outcome)v;
	if ((rc = rd_uint(rd, o, "sessions", &h->sessions)) != 0 ||
	    (rc = rd_uint(rd, o, "messages_plain", &h->msgs_plain)) != 0 ||
	    (rc = rd_uint(rd, o, "messages_tls", &h->msgs_tls)) != 0 ||
	    (rc = rd_uint(rd, o, "tls_ok", &h->tls_ok)) != 0 ||
	    (rc = rd_uint(rd, o, "tls_failed", &h->tls_failed)) != 0 ||
	    (rc = rd_uint(rd, o, "starttls_skipped",
	    &h->starttls_skipped)) != 0)
		return rc;
	if ((rc = rd_enum(rd, o, "claim", "claim", run_claim_parse, false, 0,
	    &v)) != 0)
		return rc;
	h->claim = (enum run_claim)v;
	if ((rc = rd_str(rd, o, "claim_text", true, REPORT_MAX_NAME,
	    &h->claim_text)) != 0 ||
	    (rc = rd_str(rd, o, "sni", true, REPORT_MAX_NAME, &h->sni)) != 0 ||
	    (rc = rd_str(rd, o, "tls_error", true, REPORT_MAX_TEXT,
	    &h->tls_error)) != 0)
		return rc;
	return read_tlsa_answer(rd, o, h);
}

/*
 * "output_lines": line numbers from 1, ascending, at most
 * REPORT_MAX_OUTPUT_LINES; absent (reports before it): none.
 */
static int
read_output_lines(struct rd *rd, const json_t *o, struct run_result *res)
{
	json_t *arr, *v;
	json_int_t n, prev = 0;
	size_t i;
	int rc = 0;

	if ((arr = json_object_get(o, "output_lines")) == NULL)
		return 0;
	rd_push_key(rd, "output_lines");
	if (!json_is_array(arr))
		rc = rd_error(rd, "expected an array, found %s",
		    json_type_word(arr));
	else if (json_array_size(arr) > REPORT_MAX_OUTPUT_LINES)
		rc = rd_error(rd, "more than %d elements",
		    REPORT_MAX_OUTPUT_LINES);
	else if (json_array_size(arr) > 0)
		res->output_lines = xcalloc(json_array_size(arr),
		    sizeof(*res->output_lines));
	for (i = 0; rc == 0 && i < json_array_size(arr); i++) {
		v = json_array_get(arr, i);
		n = json_is_integer(v) ? json_integer_value(v) : 0;
		rd_push_index(rd, i);
		if (n <= prev || n > UINT_MAX)
			rc = rd_error(rd, "expected a line number above %lld "
			    "(ascending, from 1)", (long long)prev);
		else
			res->output_lines[res->n_output_lines++] = (unsigned)n;
		rd_pop(rd);
		prev = n;
	}
	rd_pop(rd);
	return rc;
}

static int
read_result(struct rd *rd, const json_t *o, struct run_result *res)
{
	json_t *hosts, *ho;
	long long n = 0;
	int v = 0, rc;
	size_t i;

	if ((rc = rd_str(rd, o, "scenario", false, REPORT_MAX_NAME,
	    &res->scenario)) != 0 ||
	    (rc = rd_str(rd, o, "client", false, REPORT_MAX_NAME,
	    &res->client)) != 0 ||
	    (rc = rd_enum(rd, o, "policy", "policy", report_policy_parse,
	    false, 0, &v)) != 0)
		return rc;
	res->policy = (enum scen_policy)v;
	if ((rc = rd_str(rd, o, "phase", true, REPORT_MAX_NAME,
	    &res->phase)) != 0 ||
	    (rc = rd_int(rd, o, "phase_index", -1, INT_MAX, &n)) != 0)
		return rc;
	res->phase_index = (int)n;
	if ((rc = rd_int(rd, o, "at", 0, UINT_MAX, &n)) != 0)
		return rc;
	res->at = (unsigned)n;
	if ((rc = rd_enum(rd, o, "verdict", "verdict", run_verdict_parse,
	    false, 0, &v)) != 0)
		return rc;
	res->verdict = (enum run_verdict)v;
	if ((rc = rd_enum(rd, o, "expected", "action", report_action_parse,
	    true, SCEN_ACT_UNSET, &v)) != 0)
		return rc;
	res->expected = (enum scen_action)v;
	if ((rc = rd_accept(rd, o, "accepted", &res->accept)) != 0)
		return rc;
	if ((rc = rd_enum(rd, o, "claimed", "action", report_action_parse,
	    true, SCEN_ACT_UNSET, &v)) != 0)
		return rc;
	res->claimed = (enum scen_action)v;

	if ((rc = rd_array(rd, o, "hosts", REPORT_MAX_HOSTS, &hosts)) != 0)
		return rc;
	if (json_array_size(hosts) > 0)
		res->hosts = xcalloc(json_array_size(hosts),
		    sizeof(*res->hosts));
	rd_push_key(rd, "hosts");
	for (i = 0; i < json_array_size(hosts) && rc == 0; i++) {
		rd_push_index(rd, i);
		res->n_hosts = i + 1;
		if ((rc = rd_element(rd, hosts, i, &ho)) == 0)
			rc = read_host(rd, ho, &res->hosts[i]);
		rd_pop(rd);
	}
	rd_pop(rd);
	if (rc != 0)
		return rc;

	if ((rc = rd_int(rd, o, "exit_status", -1, INT_MAX, &n)) != 0)
		return rc;
	res->exit_status = (int)n;
	if ((rc = rd_bool(rd, o, "timed_out", &res->timed_out)) != 0 ||
	    (rc = rd_int(rd, o, "ms", 0, LLONG_MAX, &n)) != 0)
		return rc;
	res->ms = (uint64_t)n;
	if ((rc = rd_int(rd, o, "cell_ms", 0, LLONG_MAX, &n)) != 0)
		return rc;
	res->cell_ms = (uint64_t)n;
	if ((rc = rd_str(rd, o, "reason", true, REPORT_MAX_TEXT,
	    &res->reason)) != 0 ||
	    (rc = rd_str(rd, o, "rule", true, REPORT_MAX_NAME,
	    &res->rule)) != 0 ||
	    (rc = rd_str(rd, o, "rule_ref", true, REPORT_MAX_NAME,
	    &res->rule_ref)) != 0 ||
	    (rc = rd_str(rd, o, "rule_host", true, REPORT_MAX_NAME,
	    &res->rule_host)) != 0 ||
	    (rc = rd_str(rd, o, "observed", true, REPORT_MAX_TEXT,
	    &res->observed)) != 0 ||
	    (rc = rd_str(rd, o, "deviation", true, REPORT_MAX_TEXT,
	    &res->deviation)) != 0 ||
	    (rc = rd_str(rd, o, "output", true, REPORT_MAX_TEXT,
	    &res->output)) != 0 ||
	    (rc = rd_bool(rd, o, "output_truncated",
	    &res->output_truncated)) != 0 ||
	    (rc = read_output_lines(rd, o, res)) != 0 ||
	    (rc = rd_str(rd, o, "kept_dir", true, PATH_MAX,
	    &res->kept_dir)) != 0)
		return rc;
	return 0;
}

static int
read_scenario(struct rd *rd, const json_t *o, struct run_scenario *s)
{
	json_t *refs, *ref;
	size_t i;
	int rc;

	if ((rc = rd_str(rd, o, "id", false, REPORT_MAX_NAME, &s->id)) != 0 ||
	    (rc = rd_str(rd, o, "title", true, REPORT_MAX_TEXT,
	    &s->title)) != 0 ||
	    (rc = rd_str(rd, o, "category", true, REPORT_MAX_NAME,
	    &s->category)) != 0 ||
	    (rc = rd_str(rd, o, "explanation", true, REPORT_MAX_TEXT,
	    &s->explanation)) != 0 ||
	    (rc = rd_str(rd, o, "rule", true, REPORT_MAX_TEXT,
	    &s->rule)) != 0 ||
	    (rc = rd_array(rd, o, "refs", REPORT_MAX_REFS, &refs)) != 0)
		return rc;
	if (json_array_size(refs) > 0)
		s->refs = xcalloc(json_array_size(refs), sizeof(*s->refs));
	rd_push_key(rd, "refs");
	for (i = 0; i < json_array_size(refs); i++) {
		ref = json_array_get(refs, i);
		rd_push_index(rd, i);
		if (!json_is_string(ref) ||
		    json_string_length(ref) > REPORT_MAX_TEXT ||
		    strlen(json_string_value(ref)) != json_string_length(ref))
			rc = rd_error(rd, "expected a string of at most %d "
			    "bytes", REPORT_MAX_TEXT);
		rd_pop(rd);
		if (rc != 0)
			break;
		s->refs[i] = xstrdup(json_string_value(ref));
		s->n_refs = i + 1;
	}
	rd_pop(rd);
	if (rc != 0)
		return rc;
	return read_timeline(rd, o, &s->timeline);
}

static int
read_report(struct rd *rd, const json_t *root, struct run_report *r)
{
	json_t *shard, *env, *arr, *el;
	long long n = 0;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return rd_error(rd, "a report is a JSON object, found %s",
		    json_type_word(root));
	if ((rc = rd_int(rd, root, "schema", 0, INT_MAX, &n)) != 0)
		return rc;
	if (n != REPORT_SCHEMA_VERSION) {
		rd_push_key(rd, "schema");
		rc = rd_error(rd, "schema version %lld is not one this "
		    "danelab reads (%d)", n, REPORT_SCHEMA_VERSION);
		rd_pop(rd);
		return rc;
	}
	r->schema = (unsigned)n;
	if ((rc = rd_str(rd, root, "danelab", true, REPORT_MAX_NAME,
	    &r->version)) != 0 ||
	    (rc = rd_int(rd, root, "started", LLONG_MIN, LLONG_MAX, &n)) != 0)
		return rc;
	r->started = n;
	if ((rc = rd_int(rd, root, "duration_ms", 0, LLONG_MAX, &n)) != 0)
		return rc;
	r->duration_ms = (uint64_t)n;
	if ((rc = rd_str(rd, root, "isolation", true, REPORT_MAX_NAME,
	    &r->isolation)) != 0 ||
	    (rc = rd_int(rd, root, "jobs", 0, UINT_MAX, &n)) != 0)
		return rc;
	r->jobs = (unsigned)n;

	if ((rc = rd_member(rd, root, "shard", false, &shard)) != 0)
		return rc;
	rd_push_key(rd, "shard");
	if (!json_is_object(shard))
		rc = rd_error(rd, "expected an object, found %s",
		    json_type_word(shard));
	if (rc == 0 && (rc = rd_int(rd, shard, "k", 0, UINT_MAX, &n)) == 0)
		r->shard_k = (unsigned)n;
	if (rc == 0 && (rc = rd_int(rd, shard, "n", 0, UINT_MAX, &n)) == 0)
		r->shard_n = (unsigned)n;
	rd_pop(rd);
	if (rc != 0)
		return rc;

	if ((rc = rd_member(rd, root, "env", false, &env)) != 0)
		return rc;
	rd_push_key(rd, "env");
	if (!json_is_object(env))
		rc = rd_error(rd, "expected an object, found %s",
		    json_type_word(env));
	if (rc == 0)
		rc = rd_bool(rd, env, "ok", &r->env_ok);
	if (rc == 0)
		rc = rd_str(rd, env, "message", true, REPORT_MAX_TEXT,
		    &r->env_message);
	rd_pop(rd);
	if (rc != 0)
		return rc;
	if ((rc = rd_bool(rd, root, "interrupted", &r->interrupted)) != 0 ||
	    (rc = rd_time_scale(rd, root, &r->time_scale)) != 0)
		return rc;

	if ((rc = rd_array(rd, root, "scenarios", REPORT_MAX_RESULTS,
	    &arr)) != 0)
		return rc;
	if (json_array_size(arr) > 0)
		r->scenarios = xcalloc(json_array_size(arr),
		    sizeof(*r->scenarios));
	rd_push_key(rd, "scenarios");
	for (i = 0; i < json_array_size(arr) && rc == 0; i++) {
		rd_push_index(rd, i);
		r->n_scenarios = i + 1;
		if ((rc = rd_element(rd, arr, i, &el)) == 0)
			rc = read_scenario(rd, el, &r->scenarios[i]);
		if (rc == 0 && report_scenario(r, r->scenarios[i].id) !=
		    &r->scenarios[i])
			rc = rd_error(rd, "scenario \"%s\" is listed twice",
			    r->scenarios[i].id);
		rd_pop(rd);
	}
	rd_pop(rd);
	if (rc != 0)
		return rc;

	if ((rc = rd_array(rd, root, "results", REPORT_MAX_RESULTS,
	    &arr)) != 0)
		return rc;
	if (json_array_size(arr) > 0)
		r->results = xcalloc(json_array_size(arr),
		    sizeof(*r->results));
	rd_push_key(rd, "results");
	for (i = 0; i < json_array_size(arr) && rc == 0; i++) {
		rd_push_index(rd, i);
		r->n_results = i + 1;
		if ((rc = rd_element(rd, arr, i, &el)) == 0)
			rc = read_result(rd, el, &r->results[i]);
		rd_pop(rd);
	}
	rd_pop(rd);
	return rc;
}

int
report_read_json_buffer(const char *name, const char *text, size_t len,
    struct run_report *out, struct dl_diags *diags)
{
	struct run_report r;
	struct rd rd;
	json_error_t jerr;
	json_t *root;
	size_t i = 0;
	int rc;

	if (len > REPORT_MAX_FILE)
		return dl_error(diags, name, 0, 0,
		    "file too large (%zu bytes, at most %d)", len,
		    REPORT_MAX_FILE);
	/*
	 * A report is a JSON object.  A file that does not even start like
	 * one (a symlink to /etc/shadow, under sudo) is refused without
	 * jansson's message, which quotes the text "near" the error.
	 */
	while (i < len && strchr(" \t\r\n", text[i]) != NULL &&
	    text[i] != '\0')
		i++;
	if (i == len || text[i] != '{')
		return dl_error(diags, name, 1, 1,
		    "not a danelab report: a report is a JSON object");
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		/* jansson says column 0 at the start of a line. */
		return dl_error(diags, name, jerr.line > 0 ? (unsigned)jerr.line :
		    1, jerr.column > 0 ? (unsigned)jerr.column : 1,
		    "not valid JSON: %s", jerr.text);
	}
	memset(&rd, 0, sizeof(rd));
	rd.file = name;
	rd.text = text;
	rd.len = len;
	rd.diags = diags;
	memset(&r, 0, sizeof(r));
	rc = read_report(&rd, root, &r);
	json_decref(root);
	if (rc != 0) {
		report_clear(&r);
		return DL_EINVAL;
	}
	*out = r;
	return 0;
}

int
report_read_json(const char *path, struct run_report *out,
    struct dl_diags *diags)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = dl_read_file(path, REPORT_MAX_FILE, &text, &len,
	    diags)) != 0)
		return rc;
	rc = report_read_json_buffer(path, text, len, out, diags);
	free(text);
	return rc;
}
