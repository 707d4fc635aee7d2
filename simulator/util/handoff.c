/*
 * handoff.c -- handing new state to an event-loop thread (handoff.h).
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "simulator/util/handoff.h"

int
handoff_init(struct handoff *h, void *cur, void (*free_fn)(void *))
{
	int e;

	h->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->swap_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->stop_fd < 0 || h->swap_fd < 0) {
		e = errno;
		if (h->stop_fd >= 0)
			close(h->stop_fd);
		if (h->swap_fd >= 0)
			close(h->swap_fd);
		h->stop_fd = h->swap_fd = -1;
		return -e;
	}
	h->cur = cur;
	h->free_fn = free_fn;
	h->running = false;
	h->pending = NULL;
	h->req = h->done = 0;
	pthread_mutex_init(&h->lk, NULL);
	pthread_cond_init(&h->cv, NULL);
	return 0;
}

void
handoff_clear(struct handoff *h)
{
	if (h->stop_fd < 0)
		return;
	close(h->stop_fd);
	close(h->swap_fd);
	h->stop_fd = h->swap_fd = -1;
	if (h->pending != NULL)
		h->free_fn(h->pending);
	if (h->cur != NULL)
		h->free_fn(h->cur);
	h->pending = h->cur = NULL;
	pthread_mutex_destroy(&h->lk);
	pthread_cond_destroy(&h->cv);
}

bool
handoff_begin(struct handoff *h)
{
	bool ok;

	pthread_mutex_lock(&h->lk);
	ok = !h->running;
	h->running = true;
	pthread_mutex_unlock(&h->lk);
	return ok;
}

void
handoff_take(struct handoff *h)
{
	uint64_t v;
	void *old = NULL;
	ssize_t n;

	n = read(h->swap_fd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&h->lk);
	if (h->pending != NULL) {
		old = h->cur;
		h->cur = h->pending;
		h->pending = NULL;
	}
	h->done = h->req;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->lk);
	if (old != NULL)
		h->free_fn(old);
}

void
handoff_end(struct handoff *h)
{
	/* A value given while the loop was stopping is installed now. */
	pthread_mutex_lock(&h->lk);
	h->running = false;
	pthread_mutex_unlock(&h->lk);
	handoff_take(h);
}

void
handoff_put(struct handoff *h, void *v)
{
	uint64_t one = 1, my;
	void *old;
	ssize_t n;

	pthread_mutex_lock(&h->lk);
	while (h->pending != NULL) /* another handoff in flight */
		pthread_cond_wait(&h->cv, &h->lk);
	if (!h->running) {
		old = h->cur;
		h->cur = v;
		pthread_mutex_unlock(&h->lk);
		if (old != NULL)
			h->free_fn(old);
		return;
	}
	h->pending = v;
	my = ++h->req;
	/* The counter cannot overflow in practice; the wait holds anyway. */
	n = write(h->swap_fd, &one, sizeof(one));
	(void)n;
	while (h->done < my)
		pthread_cond_wait(&h->cv, &h->lk);
	pthread_mutex_unlock(&h->lk);
}

void
handoff_stop(struct handoff *h)
{
	uint64_t one = 1;
	ssize_t n;

	/* write(2) is async-signal-safe; a full counter is a stop too. */
	n = write(h->stop_fd, &one, sizeof(one));
	(void)n;
}

void
handoff_stop_read(struct handoff *h)
{
	uint64_t v;
	ssize_t n;

	n = read(h->stop_fd, &v, sizeof(v));
	(void)n;
}
