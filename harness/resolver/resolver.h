/*
 * resolver.h -- the lab's validating resolver: libunbound behind a small
 * DNS front end that answers clients over UDP and TCP on the lab resolver
 * address (WORLD_RESOLVER_ADDR).
 *
 * What it knows of the world: the root's name server (root hints) and
 * the root KSK (the only trust anchor).  Everything else it learns the
 * way a real resolver does, by walking the world's authoritative servers,
 * and it caches what it learns for the TTLs the world gives (libunbound's
 * own cache; prefetch and serve-expired are off, so that a timeline
 * rollover meets the cache timing a real resolver would have).
 *
 * How it finds the authoritative servers (enum resolver_upstream):
 *   RESOLVER_HINTS  root hints only; referrals are followed to the
 *                   addresses the parents publish, on port 53.  This is
 *                   the real thing, for a network namespace where every
 *                   server listens on 127.53.0.x:53.
 *   RESOLVER_STUBS  every zone of the world is configured as a stub zone
 *                   at "<its server>@<ns_port>" (the root included), for
 *                   servers on an unprivileged port on the host's
 *                   loopback.  Queries go straight to the server of the
 *                   closest enclosing zone instead of following
 *                   referrals (DS queries still go to the parent's
 *                   server), so the chain of trust and every answer are
 *                   the same, but delegation faults seen only while
 *                   following referrals (NS/glue, lame delegations)
 *                   show less or differently.
 *
 * Answers to clients (RFC 1035, RFC 4035 3.2, RFC 6891, RFC 8914):
 *   - the data of libunbound's answer packet, with the client's ID, the
 *     client's question (the qname's case restored, also on answer
 *     owner names equal to it), RA set, RD and CD copied, AA clear;
 *   - AD set when libunbound says secure and the client set DO or AD;
 *   - SERVFAIL when libunbound says bogus, with an Extended DNS Error
 *     option (info-code 6 DNSSEC Bogus, or 7/8/9/10/12 when why_bogus
 *     says more precisely; extra text = why_bogus) if the client sent EDNS;
 *   - without DO, RRSIG/NSEC/NSEC3 records are left out unless asked for;
 *   - over UDP, an answer larger than the client's EDNS buffer (512
 *     without EDNS; at most RESOLVER_UDP_MAX) is sent truncated (TC, no
 *     records);
 *   - FORMERR for a malformed query or more than one OPT, NOTIMP for an
 *     opcode other than QUERY, BADVERS for EDNS version > 0, REFUSED for
 *     zone transfers; responses (QR set) are dropped;
 *   - CD=1 (checking disabled): libunbound cannot turn validation off per
 *     query, so such queries go to a second, non-validating context
 *     (module-config "iterator", its own cache): the client gets the data
 *     as the servers serve it, bogus or not, and never AD (RFC 4035 3.2.2
 *     allows a resolver to set AD only for data it validated).  delv
 *     and other validating stubs query this way.
 *   - RD=0: libunbound has no cache-only mode; the query is resolved as
 *     if RD were set (the response keeps RD clear).
 *
 * Threading: resolver_run() runs the event loop in the calling thread
 * until resolver_stop() (any thread, or a signal handler).  Each query is
 * resolved asynchronously (ub_resolve_async; libunbound works in its own
 * thread), so clients are never serialised.
 *
 * Events: when opts->log is set, every answered query is written as a
 * "resolver.query" event (simulator/events/EVENTS.md): client
 * ("addr:port"), transport ("udp"|"tcp"), qname (as sent), qtype, cd,
 * do, rcode, secure, bogus, why_bogus (when bogus), tlsa (a TLSA
 * query's answer records, res_answer_tlsa_json), ms (resolution time).
 */
#ifndef DL_RESOLVER_RESOLVER_H
#define DL_RESOLVER_RESOLVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

#define RESOLVER_UDP_MAX 1232	    /* our EDNS buffer size (flag day) */
#define RESOLVER_EXTRA_TEXT_MAX 400 /* bytes of why_bogus in an EDE */

enum resolver_upstream {
	RESOLVER_HINTS, /* root hints, referrals, port 53 */
	RESOLVER_STUBS, /* a stub zone per zone, at addr@ns_port */
};

struct resolver_opts {
	const char *addr; /* listen address; NULL: WORLD_RESOLVER_ADDR */
	uint16_t port;	  /* listen port; 0: 53 */
	enum resolver_upstream upstream;
	uint16_t ns_port; /* the world's servers' port (STUBS); 0: 53 */
	/*
	 * Root hints file (HINTS; required then), in the format of unbound's
	 * root-hints (the unbound/root.hints of an export).
	 * Read when the first query is resolved; it must exist until then.
	 */
	const char *root_hints;
	struct evlog *log; /* borrowed; NULL: no events */
	/*
	 * libunbound's own log (it logs validation failures); NULL: none.
	 * The file is opened in append mode and closed by resolver_free.
	 */
	const char *ub_log;
	/* A TCP connection is closed after tcp_idle_ms without a whole
	 * query read or an answer sent, and tcp_life_ms after it was
	 * accepted (as the DNS server's: dns_server.h). */
	unsigned tcp_idle_ms; /* 0: 10000 */
	unsigned tcp_life_ms; /* 0: 30000 */
	/* Concurrent TCP connections; 0: 256; at most an eighth of what the
	 * process can open (fdlimit.h). */
	unsigned max_tcp;
	unsigned max_pending; /* queries being resolved; 0: 4096 */
};

struct resolver;

/*
 * Create a resolver for world w (borrowed, only during the call: the
 * anchor, the root's server and, for STUBS, every zone's server are
 * copied into libunbound's configuration) and bind its UDP and TCP
 * sockets.  Returns 0 and *out (the caller's, resolver_free), or a
 * negative DL_E* code with a diagnostic: DL_EIO when a socket cannot be
 * bound (address in use, address not local), DL_EINVAL for bad options
 * or a libunbound configuration error.
 */
int resolver_new(const struct world *w, const struct resolver_opts *o,
    struct resolver **out, struct dl_diags *diags);

/* Run the event loop until resolver_stop().  Returns 0 or DL_EIO. */
int resolver_run(struct resolver *r);

/* Ask the loop to return.  Async-signal-safe and thread-safe. */
void resolver_stop(struct resolver *r);

/*
 * Free r: queries still being resolved are cancelled, sockets closed,
 * libunbound's threads joined.  Must not be called while resolver_run()
 * runs.  NULL is accepted.
 */
void resolver_free(struct resolver *r);

#endif /* DL_RESOLVER_RESOLVER_H */
