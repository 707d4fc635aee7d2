/*
 * handoff.h -- handing new state to an event-loop thread, and stopping
 * the loop: what the DNS and SMTP servers share.
 *
 * A server's loop thread owns a current value (the DNS server's answer
 * engine, the SMTP server's TLS contexts: whatever it prepared from a
 * world).  Another thread prepares a new value outside the loop and
 * gives it with handoff_put(): when the loop is not running, it is
 * installed at once; when it is, it is queued, the loop is woken through
 * the swap eventfd, installs it between two events (handoff_take) and
 * handoff_put() returns once it did.  Old values are freed with the
 * free function given at init, never under the lock.
 *
 * The stop eventfd ends the loop; writing it (handoff_stop) is
 * async-signal-safe.  Both descriptors are the loop's to register in its
 * epoll set (EPOLLIN).
 */
#ifndef DL_UTIL_HANDOFF_H
#define DL_UTIL_HANDOFF_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct handoff {
	int stop_fd;		/* eventfd: end the loop */
	int swap_fd;		/* eventfd: a value is pending */
	void *cur;		/* the loop's value (read it in the loop only) */
	/* Private. */
	void (*free_fn)(void *);
	pthread_mutex_t lk;
	pthread_cond_t cv;
	bool running;
	void *pending;
	uint64_t req, done;
};

/*
 * Create the eventfds (non-blocking, close-on-exec) and take cur (may be
 * NULL).  Returns 0, or -errno (nothing left open; cur not taken).
 */
int handoff_init(struct handoff *h, void *cur, void (*free_fn)(void *));

/* Close the descriptors, free the current and a pending value. */
void handoff_clear(struct handoff *h);

/*
 * In the loop thread, before its loop: mark it running.  False if it
 * already is (a second loop on one server).
 */
bool handoff_begin(struct handoff *h);

/*
 * In the loop thread, after its loop: not running any more; a value
 * given meanwhile is installed.
 */
void handoff_end(struct handoff *h);

/*
 * In the loop thread, when swap_fd is readable: install the pending
 * value (if any), free the old one, wake handoff_put().
 */
void handoff_take(struct handoff *h);

/* From any other thread: install v (see the top).  Takes v. */
void handoff_put(struct handoff *h, void *v);

/* From anywhere, also a signal handler: end the loop. */
void handoff_stop(struct handoff *h);

/* In the loop thread, when stop_fd is readable: consume the signal. */
void handoff_stop_read(struct handoff *h);

#endif /* DL_UTIL_HANDOFF_H */
