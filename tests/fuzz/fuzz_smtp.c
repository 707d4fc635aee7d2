/*
 * fuzz_smtp.c -- fuzz target for the SMTP protocol of a session
 * (simulator/smtp/smtp_session.c): line framing and its limits, the
 * command table, MAIL/RCPT parameters, DATA with dot-unstuffing and the
 * size limit, the STARTTLS state reset, and the events written.
 *
 * No sockets: a session is made by hand (as the server's accept does)
 * for one host, whose STARTTLS mode is chosen by the first input byte
 * (on, off, reject, handshake-failure); the rest is the client's bytes,
 * given to smtp_sess_input() in chunks whose size the second byte picks,
 * the replies thrown away after each chunk.  A STARTTLS answered with 220
 * is followed by what the server does once TLS is up (the RFC 3207 reset
 * and discarding of buffered input), without a real handshake.  Events
 * go to /dev/null through the real writer.
 * Besides not crashing, leaking or hanging: replies are CRLF-terminated
 * lines starting with a three-digit code.
 */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simulator/smtp/smtp_int.h"

static struct smtp_server *fz_srv;
static struct smtp_wctx *fz_wc;
static struct scen_host fz_host;
static SSL_CTX *fz_ctx;

static void
fz_init(void)
{
	struct evlog *log = NULL;
	int fd;

	if (fz_srv != NULL)
		return;
	fz_ctx = SSL_CTX_new(TLS_server_method()); /* only tested != NULL */
	fz_host.name = (char *)"mx1.example.net.";
	if ((fz_srv = calloc(1, sizeof(*fz_srv))) == NULL ||
	    (fz_wc = calloc(1, sizeof(*fz_wc))) == NULL ||
	    (fz_wc->hosts = calloc(1, sizeof(*fz_wc->hosts))) == NULL ||
	    fz_ctx == NULL)
		abort();
	fz_srv->ho.cur = fz_wc; /* the loop's value (handoff.h) */
	fz_wc->n_hosts = 1;
	fz_wc->hosts[0].scen = &fz_host;
	fz_wc->hosts[0].ctx = fz_ctx;
	fz_srv->o.max_message = 4096;
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0 &&
	    evlog_new_fd(fd, 0, &log) == 0)
		fz_srv->o.log = log;
}

/* Every reply line: "NNN" then ' ' or '-', ending in CRLF. */
static void
fz_check_out(const struct smtp_sess *c)
{
	size_t i = c->out_off, start = i;

	for (; i < c->out_len; i++) {
		if (c->out[i] != '\n')
			continue;
		if (i - start < 5 || c->out[i - 1] != '\r' ||
		    c->out[start] < '2' || c->out[start] > '5' ||
		    (c->out[start + 3] != ' ' && c->out[start + 3] != '-'))
			abort();
		start = i + 1;
	}
	if (start != c->out_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum scen_starttls modes[] = {SCEN_STARTTLS_ON,
	    SCEN_STARTTLS_OFF, SCEN_STARTTLS_REJECT,
	    SCEN_STARTTLS_HANDSHAKE_FAIL};
	struct smtp_sess *c;
	size_t chunk, left;

	if (size < 2)
		return 0;
	fz_init();
	fz_wc->hosts[0].mode = modes[data[0] % 4];
	chunk = 1 + (size_t)data[1] * 17;
	data += 2;
	left = size - 2;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	c->srv = fz_srv;
	c->id = 1;
	c->sk.kind = SMTP_SK_SESS;
	c->sk.fd = -1;
	snprintf(c->peer, sizeof(c->peer), "127.0.0.1:2525");
	smtp_sess_greet(c);
	while (!c->closing) {
		size_t room = sizeof(c->in) - c->in_len;
		size_t n = left < chunk ? left : chunk;

		if (n > room)
			n = room;
		memcpy(c->in + c->in_len, data, n);
		c->in_len += n;
		data += n;
		left -= n;
		smtp_sess_input(c);
		fz_check_out(c);
		c->out_off = c->out_len = 0;
		if (c->tls == SMTP_TLS_PENDING) {
			/* What smtp_sess_starttls and a handshake do. */
			smtp_sess_tls_reset(c);
			c->in_len = 0;
			c->tls_tried = c->tls_done = true;
			c->tls = SMTP_TLS_ON;
		}
		if (n == 0)
			break;
	}
	(void)smtp_handshake_name(c);
	smtp_sess_reset_tx(c);
	free(c->out);
	free(c->sni);
	free(c->chain_json);
	free(c);
	return 0;
}
