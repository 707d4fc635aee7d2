/*
 * tl_player.c -- the thread that plays a timeline: at each phase's offset
 * it swaps that phase's world into the servers and says so (an event and
 * the caller's hook).  Its own poll loop over a timerfd (the next phase,
 * absolute CLOCK_MONOTONIC time) and an eventfd (stop).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "harness/timeline/timeline.h"
#include "simulator/dns/dns_server.h"
#include "simulator/smtp/smtp_server.h"
#include "simulator/util/xmem.h"

struct tl_player {
	struct tl_player_opts o;
	struct tl_step steps[SCEN_MAX_PHASES];
	size_t n_steps;
	int tfd, efd;
	pthread_t thread;
	atomic_int phase;
};

static uint64_t
tl_elapsed_ms(const struct tl_player *p)
{
	uint64_t now = evlog_now_ns();

	return now > p->o.t0_ns ? (now - p->o.t0_ns) / 1000000 : 0;
}

/* Put step k in force: swap (except the first), event, hook. */
static void
tl_apply(struct tl_player *p, size_t k)
{
	const struct scenario *s = p->o.worlds->scen;
	const struct world *w;
	struct evlog_ev e;
	struct dl_diags d;
	const char *why = NULL;
	char num[32];
	uint64_t now_ns, actual_ns;
	int phase = p->steps[k].phase, rc = 0, src;

	w = tl_worlds_get(p->o.worlds, phase);
	dl_diags_init(&d);
	/* Each returns once its loop let go of the previous world. */
	if (k > 0 && p->o.dns != NULL &&
	    (rc = dns_server_set_world(p->o.dns, w)) != 0)
		why = "the DNS server refused the world";
	if (k > 0 && p->o.smtp != NULL &&
	    (src = smtp_server_set_world(p->o.smtp, w, &d)) != 0) {
		rc = rc != 0 ? rc : src;
		why =
		    d.n > 0 ? d.v[0].msg : "the SMTP server refused the world";
	}
	now_ns = evlog_now_ns();
	atomic_store(&p->phase, phase);
	actual_ns = now_ns > p->o.t0_ns ? now_ns - p->o.t0_ns : 0;
	evlog_begin(&e, p->o.log, "phase.start");
	evlog_str(&e, "scenario", s->id);
	evlog_str(&e, "phase", s->n_phases > 0 ? s->phases[phase].name : NULL);
	evlog_int(&e, "index", phase);
	evlog_int(&e, "at", (long long)(p->steps[k].at_ms / 1000));
	snprintf(num, sizeof(num), "%llu.%06llu",
	    (unsigned long long)(actual_ns / 1000000000),
	    (unsigned long long)(actual_ns % 1000000000 / 1000));
	evlog_raw(&e, "offset", num);
	evlog_bool(&e, "swapped", rc == 0);
	if (rc != 0)
		evlog_str(&e, "error", why);
	evlog_end(&e);
	dl_diags_clear(&d);
	if (p->o.on_phase != NULL)
		p->o.on_phase(p->o.arg, w, phase, p->steps[k].at_ms,
		    actual_ns / 1000000, rc);
}

static void *
tl_main(void *arg)
{
	struct tl_player *p = arg;
	struct itimerspec its;
	struct pollfd pf[2];
	uint64_t at_ns, v;
	size_t k = 0;
	ssize_t n;

	pf[0].fd = p->efd;
	pf[0].events = POLLIN;
	pf[1].fd = p->tfd;
	pf[1].events = POLLIN;
	while (k < p->n_steps) {
		if (p->steps[k].at_ms <= tl_elapsed_ms(p)) {
			tl_apply(p, k++);
			continue;
		}
		at_ns = p->o.t0_ns + p->steps[k].at_ms * 1000000;
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = (time_t)(at_ns / 1000000000);
		its.it_value.tv_nsec = (long)(at_ns % 1000000000);
		if (timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
			break;
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents != 0)
			break; /* stop */
		if (pf[1].revents != 0) {
			n = read(p->tfd, &v, sizeof(v));
			(void)n;
		}
	}
	return NULL;
}

int
tl_player_start(
    const struct tl_player_opts *o, struct tl_player **out, struct dl_diags *d)
{
	struct tl_player *p;
	int err;

	p = xcalloc(1, sizeof(*p));
	p->o = *o;
	if (p->o.t0_ns == 0)
		p->o.t0_ns = evlog_now_ns();
	atomic_init(&p->phase, -1);
	p->n_steps = tl_schedule(o->worlds->scen, p->steps);
	if (p->n_steps == 0) {
		/* No timeline: the baseline is the one "phase". */
		p->steps[0].phase = -1;
		p->steps[0].at_ms = 0;
		p->n_steps = 1;
	}
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->efd < 0 || p->tfd < 0) {
		err = errno;
		goto fail;
	}
	if ((err = pthread_create(&p->thread, NULL, tl_main, p)) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	if (p->efd >= 0)
		close(p->efd);
	if (p->tfd >= 0)
		close(p->tfd);
	free(p);
	dl_error(d, NULL, 0, 0, "cannot start the timeline: %s", strerror(err));
	return DL_EIO;
}

uint64_t
tl_player_t0(const struct tl_player *p)
{
	return p->o.t0_ns;
}

int
tl_player_phase(const struct tl_player *p)
{
	return atomic_load(&((struct tl_player *)p)->phase);
}

void
tl_player_stop(struct tl_player *p)
{
	uint64_t one = 1;
	ssize_t n;

	if (p == NULL)
		return;
	n = write(p->efd, &one, sizeof(one));
	(void)n;
	pthread_join(p->thread, NULL);
	close(p->efd);
	close(p->tfd);
	free(p);
}
