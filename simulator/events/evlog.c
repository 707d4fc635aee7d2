/*
 * evlog.c -- the JSON-lines event log (see events.h).
 *
 * Owns: formatting one event into a bounded buffer, JSON string
 * escaping, the single write(2) per event, the failed state a write
 * error latches and the size limit.  Does not own: what the events mean
 * (EVENTS.md, and the servers that emit them), nor telling anyone that
 * the log is incomplete (evlog_trouble gives the words; the program
 * says them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"

/* Room kept for the closing ,"truncated":true}\n in every event. */
#define EVLOG_RESERVE 24

/*
 * Room kept below the limit for the final log.truncated event: its
 * fields are fixed, so it always fits (about 80 bytes).
 */
#define EVLOG_MARK_ROOM 160

/*
 * What other processes appended to the file is read (lseek) after
 * every EVLOG_RESYNC_EVERY-th line, and after every line once the log
 * is within EVLOG_RESYNC_NEAR bytes of its limit: an lseek per line
 * costs a sixth of the line's own writing.
 */
#define EVLOG_RESYNC_EVERY 64
#define EVLOG_RESYNC_NEAR (1024 * 1024)

enum evlog_state { EVLOG_OPEN, EVLOG_FULL, EVLOG_FAILED };

struct evlog {
	int fd;
	bool owns_fd;
	uint64_t t0_ns;
	uint64_t limit;			/* bytes; 0: none */
	atomic_int state;	/* enum evlog_state; leaves OPEN once */
	atomic_int err;		/* errno of the first write error */
	atomic_uint_fast64_t errors;	/* events lost to write errors */
	atomic_uint_fast64_t dropped;	/* events not written: full */
	/*
	 * Bytes in the file as far as this log knows: its size at open,
	 * plus every line written or about to be (reserved before the
	 * write, so that threads never pass the limit together), raised to
	 * the file offset after a write now and then (what others
	 * appended).
	 */
	atomic_uint_fast64_t size;
	atomic_uint_fast64_t lines;	/* written, for the resync */
};

uint64_t
evlog_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The log lives in a shared anonymous mapping, so that processes forked
 * after it was opened (the lab's supervisor, which runs the servers)
 * count their write errors where the opener reads them.
 */
static struct evlog *
evlog_alloc(int fd, bool owns, uint64_t t0_ns)
{
	struct evlog *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (l == MAP_FAILED)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->owns_fd = owns;
	l->t0_ns = t0_ns != 0 ? t0_ns : evlog_now_ns();
	atomic_init(&l->state, EVLOG_OPEN);
	atomic_init(&l->err, 0);
	atomic_init(&l->errors, 0);
	atomic_init(&l->dropped, 0);
	atomic_init(&l->size, 0);
	atomic_init(&l->lines, 0);
	return l;
}

int
evlog_new_fd(int fd, uint64_t t0_ns, struct evlog **out)
{
	struct evlog *l;

	if (fd < 0)
		return DL_EINVAL;
	if ((l = evlog_alloc(fd, false, t0_ns)) == NULL)
		return DL_ENOMEM;
	*out = l;
	return 0;
}

int
evlog_open(const char *path, uint64_t t0_ns, struct evlog **out)
{
	struct evlog *l;
	struct stat st;
	int fd, saved;

	/* Read too: a line written short is cut off again (evlog_cut). */
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return DL_EIO;
	if ((l = evlog_alloc(fd, true, t0_ns)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return DL_ENOMEM;
	}
	l->limit = EVLOG_DEFAULT_LIMIT;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		atomic_store(&l->size, (uint64_t)st.st_size);
	*out = l;
	return 0;
}

int
evlog_set_limit(struct evlog *l, uint64_t limit)
{
	if (limit != 0 && (limit < EVLOG_MIN_LIMIT || limit > EVLOG_MAX_LIMIT))
		return DL_ERANGE;
	l->limit = limit;
	return 0;
}

void
evlog_free(struct evlog *l)
{
	if (l == NULL)
		return;
	if (l->owns_fd)
		close(l->fd);
	munmap(l, sizeof(*l));
}

uint64_t
evlog_errors(const struct evlog *l)
{
	return l != NULL ? atomic_load(&l->errors) : 0;
}

int
evlog_failed(const struct evlog *l)
{
	if (l == NULL || atomic_load(&l->state) != EVLOG_FAILED)
		return 0;
	return atomic_load(&l->err);
}

bool
evlog_full(const struct evlog *l)
{
	return l != NULL && atomic_load(&l->state) == EVLOG_FULL;
}

uint64_t
evlog_dropped(const struct evlog *l)
{
	return l != NULL ? atomic_load(&l->dropped) : 0;
}

bool
evlog_trouble(const struct evlog *l, char *buf, size_t len)
{
	unsigned long long n;

	if (len > 0)
		buf[0] = '\0';
	if (l == NULL)
		return false;
	if (evlog_failed(l) != 0) {
		n = (unsigned long long)evlog_errors(l);
		snprintf(buf, len, "could not be written: %s (%llu event%s "
		    "lost)", strerror(evlog_failed(l)), n, n == 1 ? "" : "s");
		return true;
	}
	if (evlog_full(l)) {
		n = (unsigned long long)evlog_dropped(l);
		snprintf(buf, len, "reached its size limit of %llu bytes "
		    "(%llu event%s not written)", (unsigned long long)l->limit,
		    n, n == 1 ? "" : "s");
		return true;
	}
	if ((n = (unsigned long long)evlog_errors(l)) > 0) {
		/* Cannot happen without a failed state; said all the same. */
		snprintf(buf, len, "could not be written (%llu event%s lost)",
		    n, n == 1 ? "" : "s");
		return true;
	}
	return false;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * are invalid too).
 */
static size_t
evlog_utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

size_t
evlog_escape(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

#define PUT(c)                                                                 \
	do {                                                                   \
		if (o + 1 >= len)                                              \
			goto full;                                             \
		buf[o++] = (char)(c);                                          \
	} while (0)

	if (len == 0)
		return 0;
	PUT('"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT(*p++);
		} else if (*p < 0x20) {
			switch (*p) {
			case '\n':
				PUT('\\');
				PUT('n');
				break;
			case '\t':
				PUT('\\');
				PUT('t');
				break;
			case '\r':
				PUT('\\');
				PUT('r');
				break;
			default:
				PUT('\\');
				PUT('u');
				PUT('0');
				PUT('0');
				PUT(hex[*p >> 4]);
				PUT(hex[*p & 15]);
			}
			p++;
		} else if ((n = evlog_utf8_len(p)) == 0) {
			/* U+FFFD REPLACEMENT CHARACTER, in UTF-8. */
			PUT(0xef);
			PUT(0xbf);
			PUT(0xbd);
			p++;
		} else {
			while (n-- > 0)
				PUT(*p++);
		}
	}
	PUT('"');
	buf[o] = '\0';
	return o;
full:
	buf[0] = '\0';
	return 0;
#undef PUT
}

/* Append text; false (and nothing appended) if it does not fit. */
static bool
evlog_put(struct evlog_ev *e, const char *s, size_t n)
{
	if (e->len + n > EVLOG_MAX_LINE - EVLOG_RESERVE)
		return false;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	return true;
}

/* Start a field: ,"key": -- rolled back by the caller on failure. */
static bool
evlog_key(struct evlog_ev *e, const char *key)
{
	size_t kl = strlen(key);

	if (e->log == NULL)
		return false;
	if (e->len + kl + 4 > EVLOG_MAX_LINE - EVLOG_RESERVE) {
		e->truncated = true;
		return false;
	}
	e->buf[e->len++] = ',';
	e->buf[e->len++] = '"';
	memcpy(e->buf + e->len, key, kl);
	e->len += kl;
	e->buf[e->len++] = '"';
	e->buf[e->len++] = ':';
	return true;
}

void
evlog_begin(struct evlog_ev *e, struct evlog *log, const char *type)
{
	uint64_t t;
	int n;

	e->log = log;
	e->len = 0;
	e->truncated = false;
	if (log == NULL)
		return;
	t = evlog_now_ns();
	t = t >= log->t0_ns ? t - log->t0_ns : 0;
	n = snprintf(e->buf, sizeof(e->buf), "{\"v\":%d,\"t\":%llu.%06llu",
	    EVLOG_SCHEMA_VERSION, (unsigned long long)(t / 1000000000u),
	    (unsigned long long)(t % 1000000000u / 1000u));
	e->len = (size_t)n;
	evlog_str(e, "ev", type);
}

void
evlog_str(struct evlog_ev *e, const char *key, const char *val)
{
	size_t mark = e->len, room, n;

	if (!evlog_key(e, key))
		return;
	if (val == NULL) {
		if (!evlog_put(e, "null", 4))
			goto fail;
		return;
	}
	room = EVLOG_MAX_LINE - EVLOG_RESERVE - e->len;
	if ((n = evlog_escape(e->buf + e->len, room, val)) == 0)
		goto fail;
	e->len += n;
	return;
fail:
	e->len = mark;
	e->truncated = true;
}

void
evlog_int(struct evlog_ev *e, const char *key, long long val)
{
	char num[24];
	size_t mark = e->len;
	int n;

	if (!evlog_key(e, key))
		return;
	n = snprintf(num, sizeof(num), "%lld", val);
	if (!evlog_put(e, num, (size_t)n)) {
		e->len = mark;
		e->truncated = true;
	}
}

void
evlog_bool(struct evlog_ev *e, const char *key, bool val)
{
	evlog_raw(e, key, val ? "true" : "false");
}

void
evlog_raw(struct evlog_ev *e, const char *key, const char *json)
{
	size_t mark = e->len;

	if (!evlog_key(e, key))
		return;
	if (!evlog_put(e, json, strlen(json))) {
		e->len = mark;
		e->truncated = true;
	}
}

/*
 * Why a write came back short, which write(2) does not say (the next
 * write would): the file system is full, the file reached
 * RLIMIT_FSIZE, or something else.
 */
static int
evlog_short_errno(int fd)
{
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;

	if (fstatvfs(fd, &vfs) == 0 && vfs.f_bavail == 0)
		return ENOSPC;
	if (fstat(fd, &st) == 0 && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (rlim_t)st.st_size >= rl.rlim_cur)
		return EFBIG;
	return EIO;
}

/*
 * Cut what follows the file's last newline: the part of a line that
 * was written short.  Every line is one write(2) on an O_APPEND
 * descriptor, which the kernel never interleaves, so whole lines of
 * other writers end with their newline and stay.  A piece of a line is
 * shorter than EVLOG_MAX_LINE, so the newline before it is within that
 * much of the end; a file without one there is not an event log and is
 * left alone, as is anything that is not a regular file.
 */
static void
evlog_cut(int fd)
{
	char buf[EVLOG_MAX_LINE];
	struct stat st;
	off_t from, n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return;
	from = st.st_size > (off_t)sizeof(buf) ? st.st_size -
	    (off_t)sizeof(buf) : 0;
	n = st.st_size - from;
	if (pread(fd, buf, (size_t)n, from) != (ssize_t)n)
		return;
	while (n > 0 && buf[n - 1] != '\n')
		n--;
	if (n == 0 && from > 0)
		return;
	if (from + n < st.st_size && ftruncate(fd, from + n) != 0)
		return;	/* nothing better to do: the log has failed */
}

/* The log failed with err: the first failure latches, with its errno. */
static void
evlog_fail(struct evlog *l, int err)
{
	int expect = EVLOG_OPEN;

	if (atomic_compare_exchange_strong(&l->state, &expect, EVLOG_FAILED))
		atomic_store(&l->err, err);
	else if (expect == EVLOG_FULL) {
		/* The final event could not be written: failed after all. */
		atomic_store(&l->err, err);
		atomic_store(&l->state, EVLOG_FAILED);
	}
}

/*
 * What other processes appended counts toward the limit: after a write
 * on an O_APPEND descriptor, its offset is the end of the file.
 */
static void
evlog_resync(struct evlog *l)
{
	uint64_t n = atomic_fetch_add(&l->lines, 1), seen, cur;
	off_t end;

	cur = atomic_load(&l->size);
	if (n % EVLOG_RESYNC_EVERY != 0 && cur + EVLOG_RESYNC_NEAR < l->limit)
		return;
	if ((end = lseek(l->fd, 0, SEEK_CUR)) <= 0)
		return;
	seen = (uint64_t)end;
	while (cur < seen && !atomic_compare_exchange_weak(&l->size, &cur,
	    seen))
		;
}

/*
 * One line, whole or not at all: one write(2); a write that fails or
 * comes back short fails the log, and what it wrote of the line is cut
 * off again.  Returns true if the line was written.
 */
static bool
evlog_write_line(struct evlog *l, const char *line, size_t len)
{
	ssize_t w;

	do
		w = write(l->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w == (ssize_t)len) {
		if (l->limit != 0)
			evlog_resync(l);
		return true;
	}
	if (w < 0) {
		evlog_fail(l, errno != 0 ? errno : EIO);
		return false;
	}
	evlog_fail(l, evlog_short_errno(l->fd));
	if (w > 0)
		evlog_cut(l->fd);
	return false;
}

/*
 * The log is full: the one final event that says so, written by the
 * writer that filled it (into the room kept for it).
 */
static void
evlog_mark_full(struct evlog *l)
{
	char line[EVLOG_MARK_ROOM];
	uint64_t t = evlog_now_ns();
	int n;

	t = t >= l->t0_ns ? t - l->t0_ns : 0;
	n = snprintf(line, sizeof(line), "{\"v\":%d,\"t\":%llu.%06llu,"
	    "\"ev\":\"log.truncated\",\"limit\":%llu}\n",
	    EVLOG_SCHEMA_VERSION, (unsigned long long)(t / 1000000000u),
	    (unsigned long long)(t % 1000000000u / 1000u),
	    (unsigned long long)l->limit);
	if (n > 0 && (size_t)n < sizeof(line)) {
		atomic_fetch_add(&l->size, (uint64_t)n);
		(void)evlog_write_line(l, line, (size_t)n);
	}
}

/*
 * Whether a line of len bytes may be written: the log has not failed,
 * and it fits under the limit with room for the final event (reserved
 * now).  The line that does not fit makes the log full.
 */
static bool
evlog_admit(struct evlog *l, size_t len)
{
	int expect = EVLOG_OPEN;
	uint64_t pos;

	switch (atomic_load(&l->state)) {
	case EVLOG_FAILED:
		atomic_fetch_add(&l->errors, 1);
		return false;
	case EVLOG_FULL:
		atomic_fetch_add(&l->dropped, 1);
		return false;
	default:
		break;
	}
	if (l->limit == 0)
		return true;
	pos = atomic_fetch_add(&l->size, (uint64_t)len);
	if (pos + len + EVLOG_MARK_ROOM <= l->limit)
		return true;
	atomic_fetch_sub(&l->size, (uint64_t)len);
	atomic_fetch_add(&l->dropped, 1);
	if (atomic_compare_exchange_strong(&l->state, &expect, EVLOG_FULL))
		evlog_mark_full(l);
	return false;
}

void
evlog_end(struct evlog_ev *e)
{
	static const char trunc[] = ",\"truncated\":true";
	struct evlog *l = e->log;

	if (l == NULL)
		return;
	/* EVLOG_RESERVE keeps room for these, whatever happened before. */
	if (e->truncated) {
		memcpy(e->buf + e->len, trunc, sizeof(trunc) - 1);
		e->len += sizeof(trunc) - 1;
	}
	e->buf[e->len++] = '}';
	e->buf[e->len++] = '\n';
	e->log = NULL; /* a second evlog_end writes nothing */
	if (!evlog_admit(l, e->len))
		return;
	if (!evlog_write_line(l, e->buf, e->len))
		atomic_fetch_add(&l->errors, 1);
}
