/*
 * lab_servers.c -- what a lab serves: the world's authoritative DNS
 * server and the lab resolver, one thread each, and the timeline player
 * that changes the world under them, and the SMTP servers of the MX
 * hosts (one more thread).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab.h"
#include "simulator/dns/dns_server.h"
#include "simulator/smtp/smtp_server.h"
#include "simulator/util/xmem.h"

struct lab_servers {
	struct dns_server *dns;
	struct resolver *res;
	struct smtp_server *smtp;
	struct tl_player *player;
	pthread_t dns_thread, res_thread, smtp_thread;
	bool dns_running, res_running, smtp_running;
};

static void *
lab_dns_main(void *arg)
{
	dns_server_run(arg);
	return NULL;
}

/*
 * A server thread, with SIGPIPE blocked in it: a TLS write to a client
 * that has gone (OpenSSL's socket BIO uses write(2)) then fails with
 * EPIPE instead of killing the process.  Returns pthread_create's code.
 */
static int
lab_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static void *
lab_smtp_main(void *arg)
{
	smtp_server_run(arg);
	return NULL;
}

static void *
lab_res_main(void *arg)
{
	resolver_run(arg);
	return NULL;
}

int
lab_servers_start(const struct world *w, const struct lab_servers_opts *o,
    struct lab_servers **out, struct dl_diags *d)
{
	struct dns_server_opts dopts;
	struct resolver_opts ropts;
	struct tl_player_opts topts;
	struct smtp_server_opts sopts;
	struct lab_servers *s;
	int rc, err;

	s = xcalloc(1, sizeof(*s));
	memset(&dopts, 0, sizeof(dopts));
	dopts.port = o->port != 0 ? o->port : 53;
	dopts.log = o->log;
	if ((rc = dns_server_new(w, &dopts, &s->dns, d)) != 0) {
		free(s);
		return rc;
	}
	memset(&ropts, 0, sizeof(ropts));
	ropts.port = dopts.port;
	ropts.upstream = o->upstream;
	ropts.ns_port = dopts.port;
	ropts.root_hints = o->root_hints;
	ropts.log = o->log;
	ropts.ub_log = o->resolver_log;
	if ((rc = resolver_new(w, &ropts, &s->res, d)) != 0) {
		lab_servers_stop(s);
		return rc;
	}
	if ((err = lab_thread(&s->dns_thread, lab_dns_main, s->dns)) != 0) {
		lab_servers_stop(s);
		return dl_error(
		    d, NULL, 0, 0, "cannot start a thread: %s", strerror(err));
	}
	s->dns_running = true;
	if ((err = lab_thread(&s->res_thread, lab_res_main, s->res)) != 0) {
		lab_servers_stop(s);
		return dl_error(
		    d, NULL, 0, 0, "cannot start a thread: %s", strerror(err));
	}
	s->res_running = true;
	if (!o->no_smtp && w->n_hosts > 0) {
		memset(&sopts, 0, sizeof(sopts));
		sopts.port = o->smtp_port;
		sopts.log = o->log;
		sopts.maildir = o->maildir;
		if ((rc = smtp_server_new(w, &sopts, &s->smtp, d)) != 0) {
			lab_servers_stop(s);
			return rc;
		}
		if ((err = lab_thread(
			 &s->smtp_thread, lab_smtp_main, s->smtp)) != 0) {
			lab_servers_stop(s);
			return dl_error(d, NULL, 0, 0,
			    "cannot start a thread: %s", strerror(err));
		}
		s->smtp_running = true;
	}
	if (o->timeline != NULL) {
		memset(&topts, 0, sizeof(topts));
		topts.worlds = o->timeline;
		topts.dns = s->dns;
		topts.smtp = s->smtp;
		topts.log = o->log;
		topts.t0_ns = o->t0_ns;
		topts.on_phase = o->on_phase;
		topts.arg = o->phase_arg;
		if ((rc = tl_player_start(&topts, &s->player, d)) != 0) {
			lab_servers_stop(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

uint64_t
lab_servers_t0(const struct lab_servers *s)
{
	return s != NULL && s->player != NULL ? tl_player_t0(s->player) : 0;
}

void
lab_servers_stop(struct lab_servers *s)
{
	if (s == NULL)
		return;
	/* First: no swap may start while the servers stop. */
	tl_player_stop(s->player);
	if (s->smtp_running) {
		smtp_server_stop(s->smtp);
		pthread_join(s->smtp_thread, NULL);
	}
	smtp_server_free(s->smtp);
	if (s->res_running) {
		resolver_stop(s->res);
		pthread_join(s->res_thread, NULL);
	}
	if (s->dns_running) {
		dns_server_stop(s->dns);
		pthread_join(s->dns_thread, NULL);
	}
	resolver_free(s->res);
	if (s->dns != NULL)
		dns_server_free(s->dns);
	free(s);
}
