/*
 * test_events.c -- unit tests for simulator/events: the JSON-lines log.
 *
 * Lines are read back from a pipe or a file and checked byte for byte:
 * the common fields, escaping (RFC 8259, invalid UTF-8 replaced),
 * truncation that keeps the line valid JSON, a NULL log doing nothing,
 * several threads writing at once without interleaving, and no silent
 * loss: a write error latches the log (no half line left, nothing
 * after), a size limit ends the log with one log.truncated event.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"

/* Everything written to the read end of a pipe so far. */
static size_t
drain(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t k;

	while (n + 1 < len && (k = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	return n;
}

static void
test_basic(void **state)
{
	struct evlog *l = NULL;
	struct evlog_ev e;
	char buf[4096], *rest;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(evlog_new_fd(p[1], 0, &l), 0);
	evlog_begin(&e, l, "dns.query");
	evlog_str(&e, "qname", "example.net.");
	evlog_int(&e, "qtype", 15);
	evlog_int(&e, "neg", -5);
	evlog_bool(&e, "do", true);
	evlog_bool(&e, "tc", false);
	evlog_str(&e, "zone", NULL);
	evlog_raw(&e, "flags", "[\"qr\",\"aa\"]");
	evlog_end(&e);
	evlog_end(&e); /* a second end writes nothing */
	drain(p[0], buf, sizeof(buf));
	assert_true(strncmp(buf, "{\"v\":1,\"t\":0.", 13) == 0);
	rest = strstr(buf, ",\"ev\":");
	assert_non_null(rest);
	assert_string_equal(rest,
	    ",\"ev\":\"dns.query\",\"qname\":\"example.net.\",\"qtype\":15,"
	    "\"neg\":-5,\"do\":true,\"tc\":false,\"zone\":null,"
	    "\"flags\":[\"qr\",\"aa\"]}\n");
	assert_int_equal(evlog_errors(l), 0);
	evlog_free(l);
	close(p[0]);
	close(p[1]);
	assert_int_equal(evlog_new_fd(-1, 0, &l), DL_EINVAL);
}

static void
test_time(void **state)
{
	struct evlog *l = NULL;
	struct evlog_ev e;
	char buf[256];
	double t;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	/* The run started 2.5 s ago. */
	assert_int_equal(
	    evlog_new_fd(p[1], evlog_now_ns() - 2500000000ull, &l), 0);
	evlog_begin(&e, l, "x");
	evlog_end(&e);
	drain(p[0], buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "{\"v\":1,\"t\":%lf", &t), 1);
	assert_true(t >= 2.5 && t < 5.0);
	/* Six decimals. */
	assert_non_null(strchr(buf, '.'));
	assert_int_equal(
	    strchr(strchr(buf, '.'), ',') - strchr(buf, '.') - 1, 6);
	evlog_free(l);
	close(p[0]);
	close(p[1]);
}

static void
test_escape(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(evlog_escape(buf, sizeof(buf), "a\"b\\c"), 9);
	assert_string_equal(buf, "\"a\\\"b\\\\c\"");
	evlog_escape(buf, sizeof(buf), "t\tn\nr\r\x01\x1f");
	assert_string_equal(buf, "\"t\\tn\\nr\\r\\u0001\\u001f\"");
	/* Valid UTF-8 passes, invalid bytes become U+FFFD. */
	evlog_escape(buf, sizeof(buf), "caf\xc3\xa9");
	assert_string_equal(buf, "\"caf\xc3\xa9\"");
	evlog_escape(buf, sizeof(buf),
	    "a\xff"
	    "b\xc3");
	assert_string_equal(buf,
	    "\"a\xef\xbf\xbd"
	    "b\xef\xbf\xbd\"");
	/* Overlong and surrogate forms are invalid too. */
	evlog_escape(buf, sizeof(buf), "\xc0\xaf");
	assert_string_equal(buf, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	evlog_escape(buf, sizeof(buf), "\xed\xa0\x80");
	assert_string_equal(buf, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* Too small: 0 and an empty string. */
	assert_int_equal(evlog_escape(buf, 4, "abcdef"), 0);
	assert_string_equal(buf, "");
	assert_int_equal(evlog_escape(buf, 0, "x"), 0);
	assert_int_equal(evlog_escape(buf, 3, ""), 2);
	assert_string_equal(buf, "\"\"");
}

static void
test_truncated(void **state)
{
	struct evlog *l = NULL;
	struct evlog_ev e;
	char *big, *buf;
	size_t n;
	int p[2];

	(void)state;
	big = malloc(EVLOG_MAX_LINE);
	memset(big, 'x', EVLOG_MAX_LINE - 1);
	big[EVLOG_MAX_LINE - 1] = '\0';
	buf = malloc(4 * EVLOG_MAX_LINE);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(evlog_new_fd(p[1], 0, &l), 0);
	evlog_begin(&e, l, "big");
	evlog_str(&e, "a", "kept");
	evlog_str(&e, "huge", big); /* does not fit: left out */
	evlog_int(&e, "b", 7);	    /* still fits */
	big[EVLOG_MAX_LINE / 2] = '\0';
	evlog_str(&e, "half", big);  /* fits */
	evlog_str(&e, "half2", big); /* does not */
	evlog_int(&e, "c", 8);
	evlog_end(&e);
	n = drain(p[0], buf, 4 * EVLOG_MAX_LINE);
	assert_true(n <= EVLOG_MAX_LINE);
	assert_non_null(strstr(buf, "\"a\":\"kept\""));
	assert_null(strstr(buf, "\"huge\""));
	assert_non_null(strstr(buf, "\"b\":7"));
	assert_non_null(strstr(buf, "\"half\":\"xxx"));
	assert_null(strstr(buf, "\"half2\""));
	assert_true(
	    n > 20 && strcmp(buf + n - 19, ",\"truncated\":true}\n") == 0);
	evlog_free(l);
	close(p[0]);
	close(p[1]);
	free(big);
	free(buf);
}

static void
test_null_log(void **state)
{
	struct evlog_ev e;

	(void)state;
	evlog_begin(&e, NULL, "x");
	evlog_str(&e, "a", "b");
	evlog_int(&e, "i", 1);
	evlog_bool(&e, "b", true);
	evlog_raw(&e, "r", "[]");
	evlog_end(&e);
	assert_int_equal(e.len, 0);
	evlog_free(NULL);
	assert_int_equal(evlog_errors(NULL), 0);
}

#define THREADS 4
#define PER_THREAD 500

static void *
writer(void *arg)
{
	struct evlog *l = arg;
	struct evlog_ev e;
	char pad[600];
	int i;

	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (i = 0; i < PER_THREAD; i++) {
		evlog_begin(&e, l, "t");
		evlog_int(&e, "i", i);
		evlog_str(&e, "pad", pad);
		evlog_end(&e);
	}
	return NULL;
}

static void
test_threads_file(void **state)
{
	char path[] = "/tmp/danelab-test-events-XXXXXX";
	char line[EVLOG_MAX_LINE + 2];
	struct evlog *l = NULL;
	pthread_t th[THREADS];
	FILE *fp;
	int fd, i, n = 0;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(evlog_open(path, 0, &l), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, l), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(evlog_errors(l), 0);
	evlog_free(l);
	/* Appending: a second log adds to the same file. */
	assert_int_equal(evlog_open(path, 0, &l), 0);
	writer(l);
	evlog_free(l);

	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);

		/* Whole lines only: never two events mixed. */
		assert_true(strncmp(line, "{\"v\":1,", 7) == 0);
		assert_true(len > 2 && strcmp(line + len - 2, "}\n") == 0);
		assert_null(strstr(line + 1, "{"));
		n++;
	}
	fclose(fp);
	unlink(path);
	assert_int_equal(n, (THREADS + 1) * PER_THREAD);
	assert_int_equal(evlog_open("/nonexistent/dir/x", 0, &l), DL_EIO);
}

/*
 * Write errors are counted where the log was opened, also those of a
 * process forked after (the lab's supervisor writes the servers'
 * events): a full disk is seen by the scorer, never silent.
 */
static void
test_errors_shared(void **state)
{
	struct evlog *log = NULL;
	struct evlog_ev e;
	pid_t pid;
	int st;

	(void)state;
	if (access("/dev/full", W_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(evlog_open("/dev/full", 0, &log), 0);
	evlog_begin(&e, log, "test.one");
	evlog_end(&e);
	assert_int_equal(evlog_errors(log), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		evlog_begin(&e, log, "test.child");
		evlog_end(&e);
		evlog_begin(&e, log, "test.child");
		evlog_end(&e);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(evlog_errors(log), 3);
	evlog_free(log);
}


/* A fresh empty temporary file; its path in path. */
static void
tmpfile_path(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/danelab-test-events-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

/*
 * Read path back: every line must be a whole event ({"v":1,... }\n);
 * returns the number of lines, the last one in last (if not NULL).
 */
static int
whole_lines(const char *path, char *last, size_t len)
{
	char line[EVLOG_MAX_LINE + 2];
	FILE *fp;
	int n = 0;

	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t l = strlen(line);

		assert_true(strncmp(line, "{\"v\":1,", 7) == 0);
		assert_true(l > 2 && strcmp(line + l - 2, "}\n") == 0);
		if (last != NULL)
			snprintf(last, len, "%s", line);
		n++;
	}
	fclose(fp);
	return n;
}

static void
pad_event(struct evlog *l, int i, size_t pad_len)
{
	struct evlog_ev e;
	char pad[1024];

	memset(pad, 'p', pad_len);
	pad[pad_len] = '\0';
	evlog_begin(&e, l, "t");
	evlog_int(&e, "i", i);
	evlog_str(&e, "pad", pad);
	evlog_end(&e);
}

/*
 * A write error latches: /dev/full refuses the first event, and the
 * log says why (ENOSPC) and writes nothing after.
 */
static void
test_failed_latches(void **state)
{
	struct evlog *l = NULL;
	char why[256];

	(void)state;
	if (access("/dev/full", W_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(evlog_open("/dev/full", 0, &l), 0);
	assert_int_equal(evlog_failed(l), 0);
	assert_false(evlog_trouble(l, why, sizeof(why)));
	assert_string_equal(why, "");
	pad_event(l, 0, 10);
	assert_int_equal(evlog_failed(l), ENOSPC);
	pad_event(l, 1, 10);
	assert_int_equal(evlog_errors(l), 2);
	assert_false(evlog_full(l));
	assert_true(evlog_trouble(l, why, sizeof(why)));
	assert_non_null(strstr(why, strerror(ENOSPC)));
	assert_non_null(strstr(why, "2 events lost"));
	evlog_free(l);
}

/*
 * In a child with RLIMIT_FSIZE (SIGXFSZ ignored, so write(2) comes back
 * short, then fails with EFBIG): three events of 300 bytes fit in 1000,
 * the fourth is written in part.  Exit 0 when the log says EFBIG and
 * lost the fourth, and, the limit lifted ("space returned"), writes
 * nothing more.
 */
static int
fsize_child(const char *path)
{
	struct rlimit rl;
	struct evlog *l = NULL;
	int i;

	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	rl.rlim_cur = 1000;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 11;
	if (evlog_open(path, 0, &l) != 0)
		return 12;
	for (i = 0; i < 5; i++)
		pad_event(l, i, 300 - 45);
	if (evlog_failed(l) != EFBIG)
		return 13;
	if (evlog_errors(l) != 2)
		return 14;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 15;
	pad_event(l, 5, 10);
	if (evlog_errors(l) != 3)
		return 16;
	evlog_free(l);
	return 0;
}

static void
test_whole_lines_fsize(void **state)
{
	char path[64];
	struct stat st;
	pid_t pid;
	int ws;

	(void)state;
	tmpfile_path(path, sizeof(path));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fsize_child(path));
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	/* Three whole lines, no piece of the fourth, nothing after. */
	assert_int_equal(whole_lines(path, NULL, 0), 3);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size < 1000);
	unlink(path);
}

/*
 * The size limit: events until the next would not fit, then one
 * log.truncated event, then nothing; the file stays within the limit.
 */
static void
test_limit(void **state)
{
	char path[64], last[512], why[256];
	struct evlog *l = NULL;
	struct stat st;
	int i, n;

	(void)state;
	tmpfile_path(path, sizeof(path));
	assert_int_equal(evlog_open(path, 0, &l), 0);
	assert_int_equal(evlog_set_limit(l, 100), DL_ERANGE);
	assert_int_equal(evlog_set_limit(l, EVLOG_MAX_LIMIT + 1), DL_ERANGE);
	assert_int_equal(evlog_set_limit(l, EVLOG_MIN_LIMIT), 0);
	for (i = 0; i < 100; i++)
		pad_event(l, i, 60);
	assert_true(evlog_full(l));
	assert_int_equal(evlog_failed(l), 0);
	assert_int_equal(evlog_errors(l), 0);
	assert_true(evlog_dropped(l) > 0);
	assert_true(evlog_trouble(l, why, sizeof(why)));
	assert_non_null(strstr(why, "size limit of 4096 bytes"));
	evlog_free(l);
	n = whole_lines(path, last, sizeof(last));
	assert_true(n > 10 && n < 100);
	assert_non_null(strstr(last,
	    "\"ev\":\"log.truncated\",\"limit\":4096}"));
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 4096);

	/* A second log on the full file counts what is there already. */
	assert_int_equal(evlog_open(path, 0, &l), 0);
	assert_int_equal(evlog_set_limit(l, EVLOG_MIN_LIMIT), 0);
	pad_event(l, 0, 60);
	assert_true(evlog_full(l));
	evlog_free(l);
	assert_int_equal(whole_lines(path, NULL, 0), n + 1);
	unlink(path);
}

/* Threads filling a limited log together: one final event, all whole. */
static void
test_limit_threads(void **state)
{
	char path[64], line[EVLOG_MAX_LINE + 2];
	struct evlog *l = NULL;
	pthread_t th[THREADS];
	struct stat st;
	FILE *fp;
	int i, marks = 0;

	(void)state;
	tmpfile_path(path, sizeof(path));
	assert_int_equal(evlog_open(path, 0, &l), 0);
	assert_int_equal(evlog_set_limit(l, 64 * 1024), 0);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer, l), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_true(evlog_full(l));
	assert_int_equal(evlog_errors(l), 0);
	evlog_free(l);
	whole_lines(path, NULL, 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, "\"log.truncated\"") != NULL)
			marks++;
	fclose(fp);
	assert_int_equal(marks, 1);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 64 * 1024);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_null_log),
	    cmocka_unit_test(test_threads_file),
	    cmocka_unit_test(test_errors_shared),
	    cmocka_unit_test(test_failed_latches),
	    cmocka_unit_test(test_whole_lines_fsize),
	    cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_limit_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
