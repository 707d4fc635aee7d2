/*
 * smtp_server.h -- danelab's SMTP server with STARTTLS: one listener per
 * MX host address of a world, presenting exactly the chain the scenario
 * gives that host (at the world's phase), recording everything a client
 * does as events, and storing accepted messages.
 *
 * ESMTP per RFC 5321 (EHLO with STARTTLS, PIPELINING, 8BITMIME, SIZE;
 * HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), STARTTLS per RFC 3207
 * (state reset after the handshake), TLS 1.2 and 1.3 (OpenSSL), with
 * the scenario's STARTTLS faults (off, reject with 454, handshake
 * failure).  Event-driven and non-blocking: one slow or hostile client
 * never delays the others.
 *
 * Threading: as dns_server.h.  smtp_server_run() runs the loop in the
 * calling thread until smtp_server_stop() (async-signal-safe).
 * smtp_server_set_world() may be called from any thread: sessions that
 * have not started their TLS handshake yet, and all new sessions, use
 * the new world's chains and STARTTLS modes; handshakes in flight finish
 * with the old ones.
 *
 * Per host: the STARTTLS mode is scen_host.starttls, overridden by the
 * scenario's STARTTLS faults naming the host (the last one wins):
 *   on                 STARTTLS advertised; 220, then the TLS handshake
 *   off                not advertised; STARTTLS answered 502 5.5.1
 *   reject             advertised; STARTTLS answered 454 4.7.0
 *   handshake-failure  advertised; 220, then the ClientHello is answered
 *                      with a fatal handshake_failure alert and the
 *                      connection closed
 * A host without a chain answers STARTTLS with 454 4.7.0.  Input the
 * client pipelined after STARTTLS is discarded (plaintext injection).
 * Limits: command lines 512 bytes, text lines 1000 (CRLF included; longer
 * is 500 5.5.2), 100 recipients (452 4.5.3), max_message (552 5.3.4),
 * 20 protocol errors (421 4.7.0 and close), idle_ms, data_ms and
 * session_ms (421 4.4.2 and close), max_sessions (421 4.3.2 at connect;
 * also when the process is out of descriptors, and if even that cannot
 * be sent the listeners rest 100 ms instead of spinning).  Messages are
 * written to <maildir>/<time>.<pid>.<session>.<n>.eml.tmp as they arrive
 * (never held in memory) and renamed to .eml when accepted: X-Danelab-*
 * envelope header lines (host, client, session, TLS, Mail-From, one
 * Rcpt-To each), then the message as received, dot-unstuffed, CRLF line
 * ends; with the fsync option, on stable storage before the 250.
 * Events: smtp.connect, smtp.command, smtp.starttls, smtp.tls,
 * smtp.message, smtp.close (simulator/events/EVENTS.md).
 */
#ifndef DL_SMTP_SMTP_SERVER_H
#define DL_SMTP_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simulator/events/events.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

struct smtp_server;

struct smtp_server_opts {
	uint16_t port;		/* 0: each host's scen_host.port (25) */
	struct evlog *log;	/* borrowed; NULL: no events */
	const char *maildir;	/* store accepted messages here; NULL: no */
	/*
	 * Time bounds of a session, each answered 421 4.4.2 and close:
	 * idle_ms without progress (a line handled, a TLS handshake done:
	 * bytes dripped one at a time are no progress); data_ms for one
	 * DATA, from the 354 to the final dot; session_ms in all.  RFC 5321
	 * 4.5.3.2 gives minutes per step; a lab is faster.
	 */
	unsigned idle_ms;	/* 0: 60000 */
	unsigned data_ms;	/* 0: 300000 */
	unsigned session_ms;	/* 0: 600000 */
	/*
	 * Concurrent sessions; 0: 1024.  Bounded by a quarter of what the
	 * process can open (fdlimit.h; a session in DATA holds two), so
	 * that the 421 is reached before accept runs out of descriptors.
	 */
	unsigned max_sessions;
	size_t max_message;	/* SIZE limit in bytes; 0: 10 MiB */
	bool fsync;		/* fsync each stored message before 250 */
	/*
	 * Bind every host on this one address (tests, benchmarks); NULL:
	 * each host on each of its own addresses.  With single_addr, host i
	 * (world order) listens on port + i, or on a port the kernel picks
	 * when port is 0 (smtp_server_host_port tells which).
	 */
	const char *single_addr;
};

/*
 * Create a server for world w (borrowed) and bind one listener per MX
 * host address.  Loads every chain and key the hosts present (from
 * w->fixtures_dir).  Returns 0 and *out (owned, smtp_server_free), or a
 * negative DL_E* code with a diagnostic.
 */
int smtp_server_new(const struct world *w, const struct smtp_server_opts *o,
    struct smtp_server **out, struct dl_diags *diags);

/* The port actually bound (useful with single_addr and port 0 tests). */
uint16_t smtp_server_port(const struct smtp_server *s);

/* The port host (index in world.hosts) listens on; 0 if none. */
uint16_t smtp_server_host_port(const struct smtp_server *s, size_t host);

/*
 * Run the event loop in the calling thread until smtp_server_stop().
 * Returns 0, DL_EINVAL if it is already running, or DL_EIO if epoll
 * failed.  May be called again after it returned.
 */
int smtp_server_run(struct smtp_server *s);

/* Ask the loop to return.  Async-signal-safe and thread-safe. */
void smtp_server_stop(struct smtp_server *s);

/*
 * Serve world w from now on (a timeline phase change): chains, keys and
 * STARTTLS modes per host.  w must have the same hosts at the same
 * addresses (DL_EINVAL otherwise).  The TLS contexts are built in the
 * calling thread, then swapped in by the loop; when this returns the
 * previous world is no longer used (the caller may free it).  Returns 0,
 * DL_EINVAL, DL_ENOENT or DL_ECRYPTO (a chain that cannot be loaded, with
 * a diagnostic); on failure the previous world stays in use.
 */
int smtp_server_set_world(struct smtp_server *s, const struct world *w,
    struct dl_diags *diags);

/* Close every session and socket and free s; NULL accepted.  Not while
 * running. */
void smtp_server_free(struct smtp_server *s);

#endif /* DL_SMTP_SMTP_SERVER_H */
