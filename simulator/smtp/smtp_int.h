/*
 * smtp_int.h -- what the files of the smtp module share: the server, the
 * per-world TLS contexts, the session.
 *
 * smtp_server.c owns sockets, the loop, TLS and I/O; smtp_session.c owns
 * the protocol (line framing, the command table, DATA, message storage).
 * Not a public interface: only simulator/smtp/ includes it.
 */
#ifndef DL_SMTP_SMTP_INT_H
#define DL_SMTP_SMTP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/ssl.h>

#include "simulator/util/handoff.h"
#include "simulator/smtp/smtp_server.h"

#define SMTP_CMD_MAX 512   /* command line incl. CRLF (RFC 5321 4.5.3.1.4) */
#define SMTP_TEXT_MAX 1000 /* text line incl. CRLF (4.5.3.1.6) */
#define SMTP_IN_CAP 4096   /* input buffer of a session */
#define SMTP_OUT_HIGH (64 * 1024) /* stop processing input above this */
#define SMTP_MAX_RCPT 100	  /* recipients per message (4.5.3.1.8) */
#define SMTP_MAX_ERRORS 20	  /* protocol errors before 421 and close */
#define SMTP_ARG_LOG 200	  /* command arguments logged, at most */
#define SMTP_ADDR_MAX 256	  /* path length kept (RFC 5321 4.5.3.1.3) */

/* A chain served to clients that send one SNI value (`sni:`). */
struct smtp_snictx {
	const char *name;	/* absolute, lower case; borrowed (scenario) */
	SSL_CTX *ctx;		/* owned */
	char *chain_json;	/* fixture ids as a JSON array, owned */
};

/* One MX host as one world serves it. */
struct smtp_hostctx {
	const struct scen_host *scen; /* borrowed from the world's scenario */
	enum scen_starttls mode;      /* the host's, faults applied */
	SSL_CTX *ctx;		      /* NULL: no chain (STARTTLS -> 454) */
	char *chain_json;	      /* fixture ids as a JSON array, owned */
	struct smtp_snictx *sni;      /* owned, n_sni of them */
	size_t n_sni;
};

/* The TLS side of one world (swapped as a whole by set_world). */
struct smtp_wctx {
	struct smtp_hostctx *hosts; /* parallel to world.hosts */
	size_t n_hosts;
};

enum smtp_sock_kind {
	SMTP_SK_LISTEN,
	SMTP_SK_SESS,
	SMTP_SK_STOP,
	SMTP_SK_SWAP,
};

/* Every registered descriptor starts with this (epoll data.ptr). */
struct smtp_sock {
	enum smtp_sock_kind kind;
	int fd;
	int host; /* index in world.hosts */
	uint16_t port;
	char addr[16]; /* address served */
};

enum smtp_tls_state {
	SMTP_TLS_NONE,	    /* plaintext */
	SMTP_TLS_PENDING,   /* 220 to STARTTLS queued, not yet sent */
	SMTP_TLS_HANDSHAKE, /* SSL_accept in progress */
	SMTP_TLS_FAULT,	    /* handshake-failure fault: await hello */
	SMTP_TLS_ON,	    /* handshake done */
};

enum smtp_close_how {
	SMTP_CLOSE_QUIT,
	SMTP_CLOSE_EOF,
	SMTP_CLOSE_TIMEOUT,
	SMTP_CLOSE_ERROR,
	SMTP_CLOSE_ABORT,
};

struct smtp_sess {
	struct smtp_sock sk; /* first: epoll data.ptr */
	struct smtp_server *srv;
	uint64_t id;
	char peer[32]; /* "address:port" */
	uint64_t start_ms;  /* accepted: the session deadline counts from here */
	uint64_t last_ms;   /* last progress: a line handled, a handshake done */
	uint64_t data_ms;   /* DATA started (in_data): its deadline */
	uint64_t lines;	    /* lines handled, to see progress */
	uint32_t events; /* registered with epoll */

	/* I/O */
	SSL *ssl;
	enum smtp_tls_state tls;
	bool want_write; /* SSL_read/SSL_accept wants to write */
	bool closing;	 /* close once output is sent */
	enum smtp_close_how how;
	char in[SMTP_IN_CAP];
	size_t in_len;
	size_t in_off; /* next byte to handle (smtp_sess_input) */
	char *out;
	size_t out_off, out_len, out_cap;

	/* Protocol state. */
	bool helo; /* HELO or EHLO seen (since the TLS reset) */
	bool esmtp;
	bool in_data;
	bool discard_line; /* skipping the rest of an over-long line */
	unsigned errors;
	char *mail_from; /* NULL: no transaction */
	char **rcpts;
	size_t n_rcpts;
	FILE *data_fp;	  /* message being stored (DATA with a maildir) */
	char *data_tmp;	  /* its temporary name, owned */
	bool data_werr;	  /* writing it failed */
	size_t data_size; /* bytes received, also past the limit */
	bool data_long;	  /* a text line was too long */
	bool data_nul;	  /* a NUL byte was received */
	unsigned delivered_plain, delivered_tls;
	bool tls_tried;	       /* a TLS handshake was started */
	bool tls_done;	       /* a TLS handshake completed */
	int last_code;	       /* of the last reply queued */
	char last_reply[128];  /* its first line, bounded */
	bool reply_cont;       /* the last line queued was "NNN-" */
	bool starttls_offered; /* advertised in the last EHLO */
	bool starttls_ever;    /* advertised in any EHLO of the session */
	bool starttls_used;    /* the client sent STARTTLS */

	/* TLS facts for events. */
	char *sni;
	char alert[64];
	char *chain_json; /* copy of the host's, at STARTTLS */

	struct smtp_sess *prev, *next;
};

struct smtp_server {
	struct smtp_server_opts o;
	const struct world *w;	 /* the first: its MX hosts */
	/* The hosts' TLS contexts (ho.cur, the loop's; smtp_wctx). */
	struct handoff ho;
	struct smtp_sock *socks; /* listeners */
	size_t n_socks;
	struct smtp_sock stop, swap; /* ho.stop_fd, ho.swap_fd in epoll */
	int epfd;
	uint64_t next_id;
	unsigned msg_seq;

	struct smtp_sess *sessions;
	size_t n_sessions;
	uint64_t last_scan_ms;

	/* Out of descriptors (fdlimit.h). */
	int spare_fd;	      /* given up to accept and refuse one client */
	uint64_t paused_until; /* listeners not polled before; 0: polled */
};

/* smtp_server.c */
uint64_t smtp_now_ms(void);
void smtp_reply(struct smtp_sess *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const struct smtp_hostctx *smtp_sess_host(const struct smtp_sess *c);
/* Start the TLS switch once the queued 220 is sent. */
void smtp_sess_starttls(struct smtp_sess *c);

/* smtp_session.c */
void smtp_sess_greet(struct smtp_sess *c);
/*
 * Handle the complete lines in c->in (consumed ones are removed).  Sets
 * c->closing when the session must end (output still to be flushed), and
 * c->tls = SMTP_TLS_PENDING after a STARTTLS answered with 220.
 */
void smtp_sess_input(struct smtp_sess *c);
void smtp_sess_reset_tx(struct smtp_sess *c);
void smtp_sess_tls_reset(struct smtp_sess *c);
const char *smtp_close_name(enum smtp_close_how how);
/* "none", "ok" or "failed": the session's TLS handshake (smtp.close). */
const char *smtp_handshake_name(const struct smtp_sess *c);

#endif /* DL_SMTP_SMTP_INT_H */
