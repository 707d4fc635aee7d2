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
 *
 * Writing is thread-safe: an event is built in the caller's struct
 * evlog_ev and written with one write(2) on a descriptor opened with
 * O_APPEND, so lines never interleave, also across processes sharing
 * the file (on a pipe, only lines up to PIPE_BUF bytes are atomic).
 * The log holds no lock; its state is a few atomics in shared memory
 * (so that processes forked after it was opened share them).
 *
 * Nothing is lost silently, and a line is in the file whole or not at
 * all.  The first write error (a full disk, RLIMIT_FSIZE) latches the
 * log as failed: the part of a line written short is cut off again
 * (ftruncate back to the last whole line, for a regular file), and no
 * later event is written, so that no line half-written before space
 * came back is ever completed by another; evlog_failed() says why.  A
 * log has a size limit (evlog_set_limit; evlog_open sets
 * EVLOG_DEFAULT_LIMIT): the event that would cross it is replaced by one
 * final "log.truncated" event (EVENTS.md) and nothing is written after;
 * evlog_full() says so.  Both count the events they did not write.
 *
 * An event that does not fit in EVLOG_MAX_LINE bytes loses the fields
 * that did not fit (whole fields, never half a value) and gets
 * "truncated": true, so every line is valid JSON.  Strings are escaped
 * per RFC 8259; bytes that are not valid UTF-8 become U+FFFD.
 */
#ifndef DL_EVENTS_EVENTS_H
#define DL_EVENTS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVLOG_SCHEMA_VERSION 1
#define EVLOG_MAX_LINE 8192	/* longer events are truncated, marked */
/* Size limits of a log file: evlog_open's default, and the bounds. */
#define EVLOG_DEFAULT_LIMIT (256ULL * 1024 * 1024)
#define EVLOG_MIN_LIMIT 4096ULL
#define EVLOG_MAX_LIMIT (64ULL * 1024 * 1024 * 1024)

struct evlog;

/*
 * Log to fd (borrowed, not closed by evlog_free).  t0_ns: the run's
 * start in CLOCK_MONOTONIC nanoseconds (0 = now); "t" counts from it.
 * Returns 0 and *out (owned by the caller, evlog_free), DL_EINVAL for a
 * negative fd, or DL_ENOMEM.
 */
int evlog_new_fd(int fd, uint64_t t0_ns, struct evlog **out);

/*
 * Log to a file, created (mode 0644) or appended to, with the limit
 * EVLOG_DEFAULT_LIMIT (bytes already in the file count).  Returns 0 and
 * *out, or DL_EIO if the file cannot be opened (errno is kept).
 */
int evlog_open(const char *path, uint64_t t0_ns, struct evlog **out);

/*
 * The log's size limit in bytes, the final log.truncated event
 * included; 0: none (evlog_new_fd's default).  Set it before any event
 * is written.  Returns 0, or DL_ERANGE (limit unchanged) for a value
 * outside EVLOG_MIN_LIMIT..EVLOG_MAX_LIMIT.  With another process
 * appending to the same file through a log of its own, each counts the
 * bytes it saw in the file after one of its writes (every 64th, and
 * every one in the last MiB before the limit): the file may pass the
 * limit by the other's last lines.
 */
int evlog_set_limit(struct evlog *l, uint64_t limit);

/* Close what evlog_open opened and free l; NULL is accepted. */
void evlog_free(struct evlog *l);

/*
 * Number of events that could not be written (write(2) failed or wrote
 * short, or the log had failed before), counted across this process and
 * every process forked from it after the log was opened (the counter
 * is in shared memory).
 */
uint64_t evlog_errors(const struct evlog *l);

/*
 * The errno of the log's first write error (a short write: ENOSPC when
 * the file system is full, EFBIG at RLIMIT_FSIZE, else EIO), or 0 while
 * the log has none.  Once non-zero, nothing more is written.
 */
int evlog_failed(const struct evlog *l);

/* Whether the log reached its limit (its last event is log.truncated). */
bool evlog_full(const struct evlog *l);

/* Number of events not written because the log was full. */
uint64_t evlog_dropped(const struct evlog *l);

/*
 * Why the log is incomplete, one clause for a message ("could not be
 * written: No space left on device (3 events lost)", "reached its size
 * limit of 268435456 bytes (12 events not written)"), into buf.
 * Returns false (buf "") when it is complete.  NULL is complete.
 */
bool evlog_trouble(const struct evlog *l, char *buf, size_t len);

/* CLOCK_MONOTONIC now, in nanoseconds (the clock t0_ns is read on). */
uint64_t evlog_now_ns(void);

/*
 * Build and write one event.  Usage:
 *   struct evlog_ev e;
 *   evlog_begin(&e, log, "dns.query");
 *   evlog_str(&e, "qname", "example.net.");
 *   evlog_int(&e, "qtype", 15);
 *   evlog_end(&e);
 * A NULL log makes every call a no-op (cheap: nothing is formatted).
 * Keys are written as given (they are literals in the code: plain ASCII,
 * no escaping needed); values are escaped.  evlog_str with a NULL value
 * writes null.
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
/*
 * Write the event (one write(2)), unless the log failed or is full; e
 * may be reused after evlog_begin.
 */
void evlog_end(struct evlog_ev *e);

/*
 * Escape s as a JSON string literal, quotes included, into buf (size
 * len).  Returns the length written (without NUL), or 0 if it does not
 * fit (buf then holds an empty string if len > 0).  Exposed for the
 * servers' own JSON fragments (arrays given to evlog_raw) and for tests.
 */
size_t evlog_escape(char *buf, size_t len, const char *s);

#endif /* DL_EVENTS_EVENTS_H */
