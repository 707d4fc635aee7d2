/*
 * events.h -- the event log: one JSON object per line (JSON lines).
 *
 * Every server (DNS now, SMTP later) writes what it did here; the
 * harness scores from this stream, never from free-text logs.  Each
 * event has at least:
 *   "v": schema version (EVLOG_SCHEMA_VERSION),
 *   "t": time, seconds since the run started, as a decimal with
 *        microseconds,
 *   "ev": event type ("dns.query", "dns.fault", ...),
 * and type-specific fields documented in simulator/events/EVENTS.md.
 * Writing is thread-safe; each event is written with one write(2), so
 * lines never interleave, also across processes sharing the file.
 */
#ifndef DL_EVENTS_EVENTS_H
#define DL_EVENTS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVLOG_SCHEMA_VERSION 1
#define EVLOG_MAX_LINE 8192	/* longer events are truncated, marked */

struct evlog;

/* Log to fd (borrowed, not closed).  t0: the run's start (CLOCK_MONOTONIC
 * nanoseconds; 0 = now). */
int evlog_new_fd(int fd, uint64_t t0_ns, struct evlog **out);
/* Log to a file, created or appended to. */
int evlog_open(const char *path, uint64_t t0_ns, struct evlog **out);
void evlog_free(struct evlog *l);

/*
 * Build and write one event.  Usage:
 *   struct evlog_ev e;
 *   evlog_begin(&e, log, "dns.query");
 *   evlog_str(&e, "qname", "example.net.");
 *   evlog_int(&e, "qtype", 15);
 *   evlog_end(&e);
 * A NULL log makes every call a no-op.
 */
struct evlog_ev {
	struct evlog *log;
	char buf[EVLOG_MAX_LINE];
	size_t len;
	bool truncated;
};

void evlog_begin(struct evlog_ev *e, struct evlog *log, const char *type);
void evlog_str(struct evlog_ev *e, const char *key, const char *val);
void evlog_int(struct evlog_ev *e, const char *key, long long val);
void evlog_bool(struct evlog_ev *e, const char *key, bool val);
/* Raw JSON value (caller guarantees it is valid JSON). */
void evlog_raw(struct evlog_ev *e, const char *key, const char *json);
void evlog_end(struct evlog_ev *e);

#endif /* DL_EVENTS_EVENTS_H */
