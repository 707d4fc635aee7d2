/*
 * test_events.c -- unit tests for simulator/events: the JSON-lines log.
 *
 * Lines are read back from a pipe or a file and checked byte for byte:
 * the common fields, escaping (RFC 8259, invalid UTF-8 replaced),
 * truncation that keeps the line valid JSON, a NULL log doing nothing,
 * and several threads writing at once without interleaving.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
