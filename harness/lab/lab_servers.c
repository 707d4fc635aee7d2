/*
 * lab_servers.c -- what a lab serves: the world's authoritative DNS
 * server and the lab resolver, one thread each.  (SMTP joins later.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness/lab/lab.h"
#include "simulator/dns/dns_server.h"
#include "simulator/util/xmem.h"

struct lab_servers {
	struct dns_server *dns;
	struct resolver *res;
	pthread_t dns_thread, res_thread;
	bool dns_running, res_running;
};

static void *
lab_dns_main(void *arg)
{
	dns_server_run(arg);
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
	if ((err = pthread_create(
		 &s->dns_thread, NULL, lab_dns_main, s->dns)) != 0) {
		lab_servers_stop(s);
		return dl_error(
		    d, NULL, 0, 0, "cannot start a thread: %s", strerror(err));
	}
	s->dns_running = true;
	if ((err = pthread_create(
		 &s->res_thread, NULL, lab_res_main, s->res)) != 0) {
		lab_servers_stop(s);
		return dl_error(
		    d, NULL, 0, 0, "cannot start a thread: %s", strerror(err));
	}
	s->res_running = true;
	*out = s;
	return 0;
}

void
lab_servers_stop(struct lab_servers *s)
{
	if (s == NULL)
		return;
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
