/*
 * dns_server.h -- danelab's authoritative DNS server.
 *
 * Serves every zone of a world, each on its own address (the zone's
 * ns_addr, 127.53.0.x) and a common port, over UDP and TCP (RFC 1035,
 * RFC 7766), with EDNS0 (RFC 6891) and DNSSEC (RFC 4035, RFC 5155)
 * semantics.  The scenario's DNS faults (servfail, refused, timeout,
 * truncate, tcp-refused, lame) are applied here.  Every query served and
 * every fault applied is written to the event log (EVENTS.md).
 *
 * Two layers:
 *   - the answer engine (struct dns_engine): a world indexed for
 *     answering, with a cache of answers in wire form; pure, no sockets,
 *     one query in, one response (or "drop", or "close") out.  Tests,
 *     fuzzers and tools can use it directly;
 *   - the server (struct dns_server): sockets, an epoll loop, UDP with
 *     recvmmsg/sendmmsg, non-blocking TCP with pipelining, events.
 *
 * What is answered (per zone, RFC 1034 4.3.2, RFC 4035 3.1, RFC 5155
 * 7.2): authoritative answers (AA) with RRSIGs when DO is set, the apex
 * NS RRset in the authority section and the addresses of name servers
 * and MX/SRV targets in the additional section when they fit (as NSD
 * does); ANY answered with one RRset, the SOA at the apex (RFC 8482);
 * referrals (no AA) with NS, glue, and DS or the NSEC/NSEC3 proof that
 * there is none (DO); DS at a zone cut answered from the parent
 * side; NODATA and NXDOMAIN with SOA and the NSEC/NSEC3 proofs; wildcard
 * answers with the proof that the name itself does not exist; CNAMEs
 * followed inside the zone (not across zones); REFUSED (with EDE 20,
 * Not Authoritative) for names outside the zones served on an address,
 * REFUSED (EDE 21) for classes other than IN and for zone transfers;
 * FORMERR for malformed queries, NOTIMP for opcodes other than QUERY,
 * BADVERS for EDNS versions other than 0.  EDNS: the OPT is echoed with
 * the DO bit, a payload size of DNS_UDP_MAX, and the query's payload
 * size is honoured (at least 512, at most DNS_UDP_MAX); TC is set over
 * UDP when the answer does not fit (optional additional and authority
 * data is left out first; required glue is not, RFC 9471).  The query
 * name's case is preserved in the answer.  Queries for an NSEC3 owner
 * name are answered as for any name that does not exist.
 *
 * An unsigned zone is served without DNSSEC records (RRSIG, NSEC, NSEC3,
 * NSEC3PARAM, DS), even if its data holds some (the DS a signed child
 * has in an unsigned parent is of no use to a validator).  DO=0 queries
 * never get RRSIG, NSEC or NSEC3 records unless they ask for that type.
 * A signed zone left without any RRSIG (the signatures: missing fault)
 * gets no denial proofs either, as NSD does with such a zone file.
 * Like NSD, answers to DNSKEY, DS and ANY queries, and CNAME chains that
 * leave the zone, carry no optional authority or additional data.
 *
 * Faults (scenario faults of kind SCEN_FAULT_DNS) match the query name
 * exactly (case-insensitively) and the type (0 = any), and apply on the
 * server that answers the name authoritatively: the server of the zone
 * holding the name, or the parent's server for DS at a zone cut; a
 * referral toward the name is not faulted.
 *   servfail     SERVFAIL
 *   refused      REFUSED
 *   timeout      no answer at all (UDP and TCP)
 *   truncate     over UDP: TC=1 and no records; over TCP: the answer
 *   tcp-refused  over UDP: TC=1 and no records; over TCP: the connection
 *                is reset (RST) when the matching query arrives, without
 *                an answer (TCP is per connection, not per name, so the
 *                other names of that server still work over TCP)
 *   lame         name is a zone: that zone's server answers REFUSED (EDE
 *                20) for everything in the zone
 *   proof-missing, proof-wrong, soa-changed (denial faults): only a
 *                negative answer (NODATA, NXDOMAIN) to a DO=1 query in a
 *                signed zone changes; its NSEC/NSEC3 records (and their
 *                RRSIGs) are left out, or replaced by one NSEC/NSEC3
 *                RRset of the zone that neither matches nor covers the
 *                name or any of its ancestors in the zone, or its SOA
 *                is served with the serial incremented beside the
 *                original RRSIG.  Other answers are not faulted (no
 *                dns.fault event).  Any other negative answer of the
 *                zone that carries a proof record of name (the NSEC or
 *                NSEC3 matching or covering it, or a missing ancestor)
 *                is faulted the same way: otherwise a resolver could
 *                prove the denial from its cache (RFC 8198) or from a
 *                minimised query's answer (RFC 9156, RFC 8020).
 * The last matching fault in scenario order wins.
 *
 * Speed: every answer to a name and type of the zones, with and without
 * EDNS and DO, is rendered when the engine is made; other questions are
 * rendered on first use and kept (bounded).  Answering is then a hash
 * lookup, a copy, and a patch of the ID, RD, CD and the query name's
 * case.  TC forms for small UDP payloads are kept beside the full ones.
 *
 * Threading: dns_server_run() runs the event loop in the calling thread
 * until dns_server_stop() is called (from any thread or a signal
 * handler).  dns_server_set_world() may be called from any thread while
 * the loop runs: queries already being answered finish with the old
 * world, later ones see the new one (the timeline uses this).
 */
#ifndef DL_DNS_DNS_SERVER_H
#define DL_DNS_DNS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/events/events.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

#define DNS_MSG_MAX	65535	/* largest DNS message (TCP) */
#define DNS_UDP_MAX	1232	/* our EDNS payload size (DNS flag day 2020) */
#define DNS_UDP_MIN	512	/* without EDNS, and the floor with it */

/* ---- the answer engine (no sockets) ---- */

struct dns_engine;

enum dns_transport {
	DNS_UDP,
	DNS_TCP,
};

/* What to do with a query. */
enum dns_action {
	DNS_ACT_SEND,	/* send the response in out */
	DNS_ACT_DROP,	/* send nothing (not a query, or a timeout fault) */
	DNS_ACT_CLOSE,	/* TCP: reset the connection (tcp-refused fault) */
};

/* The shape of a response, for events and tests. */
enum dns_kind {
	DNS_KIND_NONE,		/* nothing sent */
	DNS_KIND_ANSWER,	/* authoritative data (possibly via CNAME) */
	DNS_KIND_REFERRAL,	/* delegation to a child zone */
	DNS_KIND_NODATA,	/* the name exists, not the type */
	DNS_KIND_NXDOMAIN,	/* the name does not exist */
	DNS_KIND_REFUSED,	/* not served here (or a fault) */
	DNS_KIND_ERROR,		/* FORMERR, NOTIMP, BADVERS, SERVFAIL */
	DNS_KIND_TRUNCATED,	/* TC=1 and no records, forced by a fault */
};

/*
 * The outcome of one query.  Pointers are borrowed: qname points into
 * the query buffer, fault into the world's scenario, zone into the
 * world; they are valid while those are.
 */
struct dns_result {
	enum dns_action action;
	enum dns_kind kind;
	size_t len;		/* response bytes in out (DNS_ACT_SEND) */
	uint16_t rcode;		/* extended RCODE (16 = BADVERS) */
	uint16_t flags;		/* response header flags (QR, AA, TC...) */
	/* Set when the header could be read. */
	bool has_id;
	uint16_t id;
	uint8_t opcode;
	/* Set when the question could be read (has_question). */
	bool has_question;
	const uint8_t *qname;	/* wire format, as received */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool edns;		/* the query had an OPT record */
	bool do_bit;
	uint16_t edns_size;	/* payload size the query advertised */
	uint8_t edns_version;
	const char *zone;	/* zone that answered, or NULL */
	const struct scen_fault *fault;	/* fault applied, or NULL */
};

/*
 * Index world w for answering.  single_view false: one view per zone
 * (view i serves w->zones[i], as the server binds one address per
 * zone); true: one view serving every zone, choosing by query name (the
 * single_addr mode of the server).  Prepares the cached answers of every
 * name and type in the zones.  w is borrowed and must outlive the
 * engine.  Returns 0 and *out (dns_engine_free), or DL_EINVAL (with a
 * diagnostic) for a world that cannot be served, DL_ENOMEM.
 */
int dns_engine_new(const struct world *w, bool single_view,
    struct dns_engine **out, struct dl_diags *diags);

void dns_engine_free(struct dns_engine *e);

/* Number of views; the view for address addr (dotted quad), or -1. */
int dns_engine_views(const struct dns_engine *e);
int dns_engine_view(const struct dns_engine *e, const char *addr);

/*
 * Answer query q (qlen bytes, as received) on view with transport tr.
 * The response (at most cap bytes; cap should be DNS_MSG_MAX for TCP and
 * at least DNS_UDP_MAX for UDP) is written to out.  Always fills *res;
 * returns 0, or DL_ERANGE for a view out of range.  Not thread-safe on
 * one engine (the cache is filled as queries come): one thread at a
 * time.
 */
int dns_engine_answer(struct dns_engine *e, int view, enum dns_transport tr,
    const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
    struct dns_result *res);

/* Cache statistics of an engine, for tests and benchmarks. */
struct dns_engine_stats {
	uint64_t queries;
	uint64_t hits;		/* answered from the wire cache */
	uint64_t misses;	/* answers built (then cached) */
	uint64_t entries;	/* cached answers now */
	uint64_t flushes;	/* times the lazily filled part was emptied */
};
void dns_engine_stats(const struct dns_engine *e, struct dns_engine_stats *st);

/* Presentation names, for events: "NOERROR", "A", "answer"... */
const char *dns_rcode_name(uint16_t rcode);
const char *dns_kind_name(enum dns_kind k);
/* "A", "TLSA", or "TYPE65280" written into buf (size >= 16). */
const char *dns_type_name(uint16_t type, char *buf, size_t len);
/*
 * Wire name (n bytes) in presentation format, absolute, with \. and
 * \DDD escapes, into buf (size >= 1024 holds any name).  Returns buf.
 */
const char *dns_name_format(const uint8_t *name, size_t n, char *buf,
    size_t len);

/* ---- the server ---- */

struct dns_server;

struct dns_server_opts {
	uint16_t port;		/* 0 means 53 (inside a namespace) */
	/*
	 * Bind address override for tests: if set, every zone is served on
	 * this one address and the zone is chosen by the query name (no
	 * referrals between zones on one address are possible then, so
	 * this is for answer-logic tests only).
	 */
	const char *single_addr;
	struct evlog *log;	/* borrowed; NULL: no events */
	/*
	 * A TCP connection is closed after tcp_idle_ms without progress (a
	 * whole query read or an answer sent; a byte dripped is not), and
	 * tcp_life_ms after it was accepted whatever it does (RFC 7766 6.2.3:
	 * the server may close; clients reconnect), so that slow clients
	 * cannot hold every slot.
	 */
	unsigned tcp_idle_ms;	/* 0 means 10000 */
	unsigned tcp_life_ms;	/* 0 means 30000 */
	/*
	 * Concurrent TCP connections, 0 means 256; bounded by a quarter of
	 * what the process can open (fdlimit.h).  When descriptors run out
	 * anyway the listeners rest for 100 ms instead of spinning.
	 */
	unsigned max_tcp;
};

/*
 * Create a server for world w (borrowed: it must outlive the server or
 * be replaced with dns_server_set_world first) and bind its sockets: UDP
 * and TCP on every zone's address (or single_addr), opts->port,
 * SO_REUSEADDR.  Indexes the world (dns_engine_new).  Returns 0 and *out
 * (owned by the caller, dns_server_free), or a negative DL_E* code with
 * a diagnostic (DL_EIO for a socket that cannot be bound, for example an
 * address already in use; errno is in the message).
 */
int dns_server_new(const struct world *w, const struct dns_server_opts *o,
    struct dns_server **out, struct dl_diags *diags);

/*
 * Run the event loop until dns_server_stop().  Returns 0, or DL_EIO if
 * the loop cannot go on (epoll failed).  May be called again after it
 * returned.  A stop requested before run makes it return at once.
 */
int dns_server_run(struct dns_server *s);

/* Ask the loop to return.  Async-signal-safe and thread-safe. */
void dns_server_stop(struct dns_server *s);

/*
 * Serve world w from now on (a timeline phase change).  w must have the
 * same zones at the same addresses (DL_EINVAL otherwise).  The new world
 * is indexed in the calling thread, then swapped in by the loop between
 * two batches of queries; when this returns, the previous world is no
 * longer used (the caller may free it).  Returns 0, DL_EINVAL or
 * DL_ENOMEM; on failure the previous world stays in use.
 */
int dns_server_set_world(struct dns_server *s, const struct world *w);

/* The port the server listens on. */
uint16_t dns_server_port(const struct dns_server *s);

/* Close every socket and free s; NULL is accepted.  Not while running. */
void dns_server_free(struct dns_server *s);

#endif /* DL_DNS_DNS_SERVER_H */
