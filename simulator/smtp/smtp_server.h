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
 */
#ifndef DL_SMTP_SMTP_SERVER_H
#define DL_SMTP_SMTP_SERVER_H

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
	unsigned idle_ms;	/* idle timeout per session; 0: 60000 */
	unsigned max_sessions;	/* concurrent sessions; 0: 1024 */
	size_t max_message;	/* SIZE limit in bytes; 0: 10 MiB */
	/* Bind every host on this one address (tests); NULL: hosts' own. */
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

int smtp_server_run(struct smtp_server *s);
void smtp_server_stop(struct smtp_server *s);

/*
 * Serve world w from now on (a timeline phase change): chains, keys and
 * STARTTLS modes per host.  w must have the same hosts at the same
 * addresses.  Returns once the loop no longer uses the previous world.
 */
int smtp_server_set_world(struct smtp_server *s, const struct world *w,
    struct dl_diags *diags);

void smtp_server_free(struct smtp_server *s);

#endif /* DL_SMTP_SMTP_SERVER_H */
