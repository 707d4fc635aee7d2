/*
 * evlog.c -- the JSON-lines event log (see events.h).
 *
 * Owns: formatting one event into a bounded buffer, JSON string
 * escaping, and the single write(2) per event.  Does not own: what the
 * events mean (EVENTS.md, and the servers that emit them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"

/* Room kept for the closing ,"truncated":true}\n in every event. */
#define EVLOG_RESERVE 24

struct evlog {
	int fd;
	bool owns_fd;
	uint64_t t0_ns;
	atomic_uint_fast64_t errors;
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
	atomic_init(&l->errors, 0);
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
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return DL_EIO;
	if ((l = evlog_alloc(fd, true, t0_ns)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return DL_ENOMEM;
	}
	*out = l;
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

void
evlog_end(struct evlog_ev *e)
{
	static const char trunc[] = ",\"truncated\":true";
	size_t off = 0;
	ssize_t w;

	if (e->log == NULL)
		return;
	/* EVLOG_RESERVE keeps room for these, whatever happened before. */
	if (e->truncated) {
		memcpy(e->buf + e->len, trunc, sizeof(trunc) - 1);
		e->len += sizeof(trunc) - 1;
	}
	e->buf[e->len++] = '}';
	e->buf[e->len++] = '\n';
	while (off < e->len) {
		w = write(e->log->fd, e->buf + off, e->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			atomic_fetch_add(&e->log->errors, 1);
			break;
		}
		off += (size_t)w;
	}
	e->log = NULL; /* a second evlog_end writes nothing */
}
