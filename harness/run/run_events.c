/*
 * run_events.c -- reading a cell's event log (EVENTS.md) into the facts
 * the scorer needs (run.h): per SMTP session, the messages accepted in
 * cleartext and inside TLS, whether the client sent STARTTLS, how its
 * handshake ended; per client run, its start, end and exit status.
 *
 * Nothing is dropped silently.  A line that is not an event (also a
 * damaged last line), an event the scorer needs that is damaged
 * (truncated, a field missing), a log that ends at its size limit
 * (log.truncated), more sessions or client runs than the bounds: each
 * makes the evidence
 * untrustworthy, and ev->problem says why; the scorer then gives ERROR
 * rather than a verdict built on part of what happened.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "harness/run/run.h"
#include "simulator/events/events.h"
#include "simulator/util/file.h"
#include "simulator/util/xmem.h"

/* The session index: open addressing over (host, id). */
struct sess_index {
	size_t *slot;	/* session index + 1; 0: empty */
	size_t cap;	/* a power of two, twice the sessions at most */
};

static void
problem(struct run_events *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct run_events *ev, const char *fmt, ...)
{
	va_list ap;

	if (ev->problem[0] != '\0')
		return; /* the first one says it */
	va_start(ap, fmt);
	vsnprintf(ev->problem, sizeof(ev->problem), fmt, ap);
	va_end(ap);
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
copy(char *dst, size_t len, const char *src)
{
	size_t n;

	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static size_t
sess_hash(const char *host, long long id)
{
	size_t h = 1469598103934665603ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)host; *p != '\0'; p++)
		h = (h ^ (*p | 0x20)) * 1099511628211ULL;
	return (h ^ (size_t)id) * 1099511628211ULL;
}

static struct run_session *
session_get(struct run_events *ev, struct sess_index *ix, const char *host,
    long long id)
{
	size_t mask = ix->cap - 1, k, i;

	for (k = sess_hash(host, id) & mask; ix->slot[k] != 0;
	    k = (k + 1) & mask) {
		struct run_session *ss = &ev->sessions[ix->slot[k] - 1];

		if (ss->id == id && strcasecmp(ss->host, host) == 0)
			return ss;
	}
	if (ev->n_sessions == RUN_MAX_SESSIONS) {
		problem(ev, "more than %d SMTP sessions in the event log: the "
		    "evidence is incomplete", RUN_MAX_SESSIONS);
		return NULL;
	}
	if (ev->n_sessions == ev->cap_sessions) {
		ev->cap_sessions = ev->cap_sessions ? ev->cap_sessions * 2 : 64;
		ev->sessions = xreallocarray(ev->sessions, ev->cap_sessions,
		    sizeof(*ev->sessions));
	}
	i = ev->n_sessions++;
	memset(&ev->sessions[i], 0, sizeof(ev->sessions[i]));
	ev->sessions[i].id = id;
	ev->sessions[i].t_connect = -1;
	copy(ev->sessions[i].host, sizeof(ev->sessions[i].host), host);
	ix->slot[k] = i + 1;
	return &ev->sessions[i];
}

static struct run_client_run *
run_get(struct run_events *ev, long long index)
{
	size_t i;

	for (i = 0; i < ev->n_runs; i++)
		if (ev->runs[i].index == index)
			return &ev->runs[i];
	if (index < 0 || index >= RUN_MAX_CLIENT_RUNS) {
		problem(ev, "client run %lld out of range (at most %d)", index,
		    RUN_MAX_CLIENT_RUNS);
		return NULL;
	}
	i = ev->n_runs++;
	memset(&ev->runs[i], 0, sizeof(ev->runs[i]));
	ev->runs[i].index = (int)index;
	ev->runs[i].status = -1;
	ev->runs[i].t_start = -1;
	ev->runs[i].t_end = -1;
	return &ev->runs[i];
}

/* A field the scorer cannot do without. */
static bool
need(struct run_events *ev, unsigned long line, json_t *o, const char *key,
    json_type type)
{
	json_t *v = json_object_get(o, key);

	if (v != NULL && json_typeof(v) == type)
		return true;
	if (type == JSON_TRUE && json_is_boolean(v))
		return true;	/* JSON_TRUE stands for "a boolean" */
	if (type == JSON_REAL && json_is_number(v))
		return true;	/* JSON_REAL stands for "a number" */
	problem(ev, "event log line %lu: %s event without a valid \"%s\"%s",
	    line, jstr(o, "ev"), key,
	    json_is_true(json_object_get(o, "truncated")) ? " (truncated)"
							   : "");
	return false;
}

static void
smtp_event(struct run_events *ev, struct sess_index *ix, unsigned long line,
    const char *type, json_t *o)
{
	struct run_session *ss;
	const char *s;
	json_t *v;

	if (!need(ev, line, o, "host", JSON_STRING) ||
	    !need(ev, line, o, "session", JSON_INTEGER))
		return;
	ss = session_get(ev, ix, jstr(o, "host"),
	    json_integer_value(json_object_get(o, "session")));
	if (ss == NULL)
		return;
	if (strcmp(type, "smtp.connect") == 0) {
		if (need(ev, line, o, "t", JSON_REAL))
			ss->t_connect = json_number_value(json_object_get(o, "t"));
	} else if (strcmp(type, "smtp.starttls") == 0) {
		ss->starttls_sent = true;
		/* Bytes pipelined after STARTTLS went in cleartext. */
		v = json_object_get(o, "discarded");
		if (json_is_integer(v) && json_integer_value(v) > 0)
			ss->plain_tx++;
	} else if (strcmp(type, "smtp.tls") == 0) {
		if (!need(ev, line, o, "result", JSON_STRING))
			return;
		s = jstr(o, "result");
		ss->handshake = strcmp(s, "ok") == 0 ? 1 : -1;
		copy(ss->sni, sizeof(ss->sni), jstr(o, "sni"));
		if (ss->handshake < 0) {
			s = jstr(o, "client_alert");
			if (s == NULL)
				s = jstr(o, "error");
			copy(ss->tls_error, sizeof(ss->tls_error), s);
		}
	} else if (strcmp(type, "smtp.command") == 0) {
		s = jstr(o, "verb");
		if (s == NULL)
			return;
		if ((strcasecmp(s, "EHLO") == 0 || strcasecmp(s, "HELO") == 0) &&
		    json_is_boolean(json_object_get(o, "starttls_offered"))) {
			ss->ehlo_seen = true;
			ss->ehlo_offered = ss->ehlo_offered || json_is_true(
			    json_object_get(o, "starttls_offered"));
		}
		/* A transaction's envelope or text outside TLS. */
		if (strcasecmp(s, "MAIL") != 0 && strcasecmp(s, "RCPT") != 0 &&
		    strcasecmp(s, "DATA") != 0 && strcasecmp(s, "BDAT") != 0)
			return;
		if (!need(ev, line, o, "tls", JSON_TRUE))
			return;
		if (!json_is_true(json_object_get(o, "tls")))
			ss->plain_tx++;
	} else if (strcmp(type, "smtp.message") == 0) {
		if (!need(ev, line, o, "accepted", JSON_TRUE) ||
		    !need(ev, line, o, "tls", JSON_TRUE))
			return;
		v = json_object_get(o, "accepted");
		if (!json_is_true(json_object_get(o, "tls")))
			ss->plain_tx++;	/* its text went in cleartext */
		if (!json_is_true(v))
			return;
		if (json_is_true(json_object_get(o, "tls")))
			ss->msgs_tls++;
		else
			ss->msgs_plain++;
	} else if (strcmp(type, "smtp.close") == 0) {
		ss->closed = true;
		v = json_object_get(o, "starttls_offered");
		if (json_is_boolean(v)) {
			ss->ehlo_seen = ss->ehlo_seen || json_is_true(v);
			ss->ehlo_offered = ss->ehlo_offered || json_is_true(v);
		}
	}
}

static void
client_event(struct run_events *ev, unsigned long line, const char *type,
    json_t *o)
{
	struct run_client_run *r;
	const char *v;
	int k = 0;

	if (!need(ev, line, o, "run", JSON_INTEGER) ||
	    !need(ev, line, o, "t", JSON_REAL))
		return;
	r = run_get(ev, json_integer_value(json_object_get(o, "run")));
	if (r == NULL)
		return;
	if (strcmp(type, "client.start") == 0) {
		r->t_start = json_number_value(json_object_get(o, "t"));
		return;
	}
	if (!need(ev, line, o, "status", JSON_INTEGER) ||
	    !need(ev, line, o, "timed_out", JSON_TRUE))
		return;
	r->t_end = json_number_value(json_object_get(o, "t"));
	r->status = (int)json_integer_value(json_object_get(o, "status"));
	r->timed_out = json_is_true(json_object_get(o, "timed_out"));
	r->ms = (uint64_t)json_integer_value(json_object_get(o, "ms"));
	v = json_string_value(json_object_get(o, "step"));
	if (v != NULL)
		snprintf(r->step, sizeof(r->step), "%s", v);
	r->interrupted = json_is_true(json_object_get(o, "interrupted"));
	r->out_kept = (uint64_t)json_integer_value(json_object_get(o,
	    "output_bytes"));
	r->out_dropped = (uint64_t)json_integer_value(json_object_get(o,
	    "output_dropped"));
	copy(r->out_error, sizeof(r->out_error), jstr(o, "output_error"));
	if (json_object_get(o, "outcome") != NULL &&
	    !json_is_string(json_object_get(o, "outcome"))) {
		problem(ev, "line %lu: client.end has an outcome that is not "
		    "a string", line);
		return;
	}
	v = json_string_value(json_object_get(o, "outcome"));
	if (v != NULL && (k = profile_outcome_parse(v)) < 0) {
		problem(ev, "line %lu: client.end has an unknown outcome '%.32s'",
		    line, v);
		return;
	}
	if (v != NULL)
		r->outcome = k;
}

/*
 * A timeline phase took effect: when (the scorer places sessions by
 * it), and whether the servers really switched -- a phase the servers
 * did not switch to leaves every later verdict without its world.
 */
static void
phase_event(struct run_events *ev, unsigned long line, json_t *o)
{
	json_int_t i;

	if (!need(ev, line, o, "index", JSON_INTEGER) ||
	    !need(ev, line, o, "t", JSON_REAL))
		return;
	i = json_integer_value(json_object_get(o, "index"));
	if (i == -1)
		return;	/* a world served without its timeline */
	if (i < 0 || i >= RUN_MAX_CLIENT_RUNS) {
		problem(ev, "event log line %lu: phase %lld out of range", line,
		    (long long)i);
		return;
	}
	ev->phase_t[i] = json_number_value(json_object_get(o, "t"));
	if (json_is_false(json_object_get(o, "swapped")))
		problem(ev, "the servers did not switch to phase %lld (event "
		    "log line %lu): the world the client met is not the "
		    "scenario's", (long long)i, line);
}

/* A TLSA answer of the lab resolver (the report's timeline shows it). */
static void
resolver_event(struct run_events *ev, json_t *o)
{
	struct run_tlsa_answer *a;
	const char *qtype = jstr(o, "qtype"), *rcode = jstr(o, "rcode");
	json_t *t = json_object_get(o, "t"), *rrs = json_object_get(o, "tlsa");
	size_t i;

	if (qtype == NULL || strcasecmp(qtype, "TLSA") != 0 ||
	    jstr(o, "qname") == NULL || !json_is_number(t) ||
	    ev->n_tlsa == RUN_MAX_TLSA_ANSWERS)
		return;
	if (ev->n_tlsa % 64 == 0)
		ev->tlsa = xreallocarray(ev->tlsa, ev->n_tlsa + 64,
		    sizeof(*ev->tlsa));
	a = &ev->tlsa[ev->n_tlsa++];
	memset(a, 0, sizeof(*a));
	a->t = json_number_value(t);
	copy(a->qname, sizeof(a->qname), jstr(o, "qname"));
	a->cd = json_is_true(json_object_get(o, "cd"));
	if (json_is_true(json_object_get(o, "bogus")))
		a->state = RUN_TLSA_BOGUS;
	else if (rcode != NULL && strcmp(rcode, "SERVFAIL") == 0)
		a->state = RUN_TLSA_FAILED;
	else if (a->cd)
		a->state = RUN_TLSA_UNCHECKED;
	else if (json_is_true(json_object_get(o, "secure")))
		a->state = RUN_TLSA_SECURE;
	else
		a->state = RUN_TLSA_INSECURE;
	for (i = 0; json_is_array(rrs) && i < json_array_size(rrs) &&
	    a->n < REPORT_MAX_TLSA_RR; i++)
		if (json_is_string(json_array_get(rrs, i)))
			copy(a->rr[a->n++], sizeof(a->rr[0]),
			    json_string_value(json_array_get(rrs, i)));
}

static void
event_apply(struct run_events *ev, struct sess_index *ix, unsigned long line,
    json_t *o)
{
	const char *type = jstr(o, "ev");
	json_t *v;

	if (type == NULL) {
		problem(ev, "event log line %lu: an object without \"ev\"",
		    line);
		return;
	}
	v = json_object_get(o, "v");
	if (!json_is_integer(v) ||
	    json_integer_value(v) != EVLOG_SCHEMA_VERSION) {
		problem(ev, "event log line %lu: not an event of schema version "
		    "%d (\"v\")", line, EVLOG_SCHEMA_VERSION);
		return;
	}
	if (strncmp(type, "smtp.", 5) == 0)
		smtp_event(ev, ix, line, type, o);
	else if (strcmp(type, "client.start") == 0 ||
	    strcmp(type, "client.end") == 0)
		client_event(ev, line, type, o);
	else if (strcmp(type, "phase.start") == 0)
		phase_event(ev, line, o);
	else if (strcmp(type, "resolver.query") == 0)
		resolver_event(ev, o);
	else if (strcmp(type, "log.truncated") == 0) {
		v = json_object_get(o, "limit");
		problem(ev, "the event log reached its size limit (%lld bytes) "
		    "at line %lu: what happened after it was not recorded",
		    json_is_integer(v) ? (long long)json_integer_value(v)
				       : -1LL, line);
	}
}

int
run_events_read(const char *path, struct run_events *ev,
    struct dl_diags *diags)
{
	char line[EVLOG_MAX_LINE + 2];
	struct sess_index ix;
	unsigned long ln = 0;
	json_error_t jerr;
	json_t *o;
	FILE *fp;
	long size;

	memset(ev, 0, sizeof(*ev));
	for (ln = 0; ln < RUN_MAX_CLIENT_RUNS; ln++)
		ev->phase_t[ln] = -1;
	ln = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0; /* nothing happened */
	/* Not fopen(): a FIFO named as the log must not block us. */
	if (dl_fopen_input(path, &fp, diags) != 0)
		return DL_EIO;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0 &&
	    size > RUN_MAX_EVENTS_FILE + RUN_EVENTS_SLACK) {
		fclose(fp);
		dl_error(diags, path, 0, 0,
		    "event log larger than %d bytes", RUN_MAX_EVENTS_FILE);
		return DL_ERANGE;
	}
	rewind(fp);
	ev->runs = xcalloc(RUN_MAX_CLIENT_RUNS, sizeof(*ev->runs));
	ix.cap = 2 * (size_t)RUN_MAX_SESSIONS;
	ix.slot = xcalloc(ix.cap, sizeof(*ix.slot));
	while (fgets(line, sizeof(line), fp) != NULL) {
		ln++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int ch;

			/* Over-long: not an event; skip the rest. */
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			ev->bad_lines++;
			problem(ev, "event log line %lu is longer than an event "
			    "can be", ln);
			continue;
		}
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue; /* a blank line (hand-written logs) */
		o = json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
		if (!json_is_object(o)) {
			ev->bad_lines++;
			problem(ev, "event log line %lu is not an event (%s)",
			    ln, jerr.text);
			json_decref(o);
			continue;
		}
		event_apply(ev, &ix, ln, o);
		json_decref(o);
	}
	if (ferror(fp))
		problem(ev, "reading the event log failed");
	free(ix.slot);
	fclose(fp);
	return 0;
}

void
run_events_clear(struct run_events *ev)
{
	free(ev->sessions);
	free(ev->runs);
	free(ev->tlsa);
	memset(ev, 0, sizeof(*ev));
}
