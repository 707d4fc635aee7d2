/*
 * dns_server.h -- danelab's authoritative DNS server.
 *
 * Serves every zone of a world, each on its own address (the zone's
 * ns_addr, 127.53.0.x) and a common port, over UDP and TCP (RFC 1035,
 * RFC 7766), with EDNS0 (RFC 6891) and DNSSEC (RFC 4035) semantics.  The
 * scenario's DNS faults (servfail, refused, timeout, truncate,
 * tcp-refused, lame) are applied here.  Every query served and every
 * fault applied is written to the event log.
 *
 * Threading: dns_server_run() runs the event loop in the calling thread
 * until dns_server_stop() is called (from any thread or a signal
 * handler).  dns_server_set_world() may be called from any thread while
 * the loop runs: queries already being answered finish with the old
 * world, later ones see the new one (the timeline uses this).
 */
#ifndef DL_DNS_DNS_SERVER_H
#define DL_DNS_DNS_SERVER_H

#include <stdint.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

struct dns_server;

struct dns_server_opts {
	uint16_t port;		/* 53 inside a namespace; default 53 */
	/*
	 * Bind address override for tests: if set, every zone is served on
	 * this one address and the zone is chosen by the query name (no
	 * referrals between zones on one address are possible then, so
	 * this is for answer-logic tests only).
	 */
	const char *single_addr;
	struct evlog *log;	/* borrowed; NULL: no events */
	unsigned tcp_idle_ms;	/* TCP idle timeout, default 10000 */
	unsigned max_tcp;	/* concurrent TCP connections, default 256 */
};

/*
 * Create a server for world w (borrowed: it must outlive the server or
 * be replaced with dns_server_set_world first) and bind its sockets.
 * Prepares what can be prepared before the first query.  Returns 0 and
 * *out (owned by the caller, dns_server_free), or a negative DL_E* code
 * with a diagnostic (for example an address already in use).
 */
int dns_server_new(const struct world *w, const struct dns_server_opts *o,
    struct dns_server **out, struct dl_diags *diags);

/* Run the event loop until dns_server_stop().  Returns 0 or DL_E*. */
int dns_server_run(struct dns_server *s);

/* Ask the loop to return.  Async-signal-safe and thread-safe. */
void dns_server_stop(struct dns_server *s);

/*
 * Serve world w from now on (a timeline phase change).  w must have the
 * same zones at the same addresses.  The previous world is no longer
 * used once this returns (the caller may free it).
 */
int dns_server_set_world(struct dns_server *s, const struct world *w);

void dns_server_free(struct dns_server *s);

#endif /* DL_DNS_DNS_SERVER_H */
