/*
 * test_handoff.c -- unit tests for simulator/util/handoff.c: values
 * handed to a loop thread, installed between events, old ones freed;
 * stopping the loop.  (The DNS and SMTP servers' own tests swap worlds
 * under load.)
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "simulator/util/handoff.h"

static int freed[8];

/* Values are small integers in disguise; freeing one counts it. */
static void
count_free(void *v)
{
	freed[(intptr_t)v]++;
}

static void *
loop(void *arg)
{
	struct handoff *h = arg;
	struct pollfd p[2];
	bool stop = false;

	assert_true(handoff_begin(h));
	assert_false(handoff_begin(h)); /* one loop only */
	while (!stop) {
		p[0].fd = h->stop_fd;
		p[1].fd = h->swap_fd;
		p[0].events = p[1].events = POLLIN;
		if (poll(p, 2, -1) <= 0)
			continue;
		if (p[1].revents & POLLIN)
			handoff_take(h);
		if (p[0].revents & POLLIN) {
			handoff_stop_read(h);
			stop = true;
		}
	}
	handoff_end(h);
	return NULL;
}

static void
test_put_without_loop(void **state)
{
	struct handoff h;

	(void)state;
	memset(freed, 0, sizeof(freed));
	assert_int_equal(handoff_init(&h, (void *)1, count_free), 0);
	handoff_put(&h, (void *)2);	/* installed at once */
	assert_ptr_equal(h.cur, (void *)2);
	assert_int_equal(freed[1], 1);
	handoff_clear(&h);
	assert_int_equal(freed[2], 1);
	handoff_clear(&h);		/* idempotent */
	assert_int_equal(freed[2], 1);
}

static void
test_put_to_running_loop(void **state)
{
	struct handoff h;
	pthread_t t;

	(void)state;
	memset(freed, 0, sizeof(freed));
	assert_int_equal(handoff_init(&h, (void *)1, count_free), 0);
	assert_int_equal(pthread_create(&t, NULL, loop, &h), 0);
	handoff_put(&h, (void *)2);	/* returns once the loop took it */
	assert_ptr_equal(h.cur, (void *)2);
	handoff_put(&h, (void *)3);
	assert_ptr_equal(h.cur, (void *)3);
	handoff_stop(&h);
	assert_int_equal(pthread_join(t, NULL), 0);
	/*
	 * The loop frees the value it replaced after it let handoff_put
	 * return (outside the lock): counted only once it has ended.
	 */
	assert_int_equal(freed[1], 1);
	assert_int_equal(freed[2], 1);
	/* Not running any more: a value is installed directly. */
	handoff_put(&h, (void *)4);
	assert_int_equal(freed[3], 1);
	handoff_clear(&h);
	assert_int_equal(freed[4], 1);
	assert_int_equal(freed[1] + freed[2] + freed[3] + freed[4], 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_without_loop),
	    cmocka_unit_test(test_put_to_running_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
