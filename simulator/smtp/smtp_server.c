/*
 * smtp_server.c -- sockets, TLS and the event loop of the SMTP server.
 *
 * Owns: the per-world TLS contexts (one SSL_CTX per host, with the
 * host's chain and key), the listeners (one per host address and port),
 * an epoll loop in the thread that calls smtp_server_run(), non-blocking
 * sessions with plaintext or OpenSSL I/O (SSL_accept / SSL_read /
 * SSL_write with WANT_READ / WANT_WRITE), the time bounds and the
 * session limit, what to do when descriptors run out, the stop and world-swap signals (handoff.h), and the
 * smtp.connect / smtp.tls / smtp.close events.
 * Does not own: the protocol (smtp_session.c).
 */
#define _GNU_SOURCE /* accept4 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "simulator/pki/pki.h"
#include "simulator/smtp/smtp_int.h"
#include "simulator/util/fdlimit.h"
#include "simulator/util/xmem.h"

#define SMTP_EVENTS 64

uint64_t
smtp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const struct smtp_hostctx *
smtp_sess_host(const struct smtp_sess *c)
{
	const struct smtp_wctx *wc = c->srv->ho.cur;

	return &wc->hosts[c->sk.host];
}

/* ---- TLS contexts ---- */

static int smtp_ssl_idx = -1;
static pthread_once_t smtp_ssl_once = PTHREAD_ONCE_INIT;

static void
smtp_ssl_init(void)
{
	smtp_ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct smtp_sess *
smtp_ssl_sess(const SSL *ssl)
{
	return SSL_get_ex_data(ssl, smtp_ssl_idx);
}

/* Record the SNI; never refuse a name (the client's choice is data). */
static int
smtp_sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct smtp_sess *c = smtp_ssl_sess(ssl);
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (c != NULL && name != NULL && c->sni == NULL)
		c->sni = xstrndup(name, 255);
	return SSL_TLSEXT_ERR_OK;
}

/* Record the first alert the client sent (why it aborted). */
static void
smtp_info_cb(const SSL *ssl, int where, int ret)
{
	struct smtp_sess *c;

	if (!(where & SSL_CB_READ_ALERT))
		return;
	if ((c = smtp_ssl_sess(ssl)) == NULL || c->alert[0] != '\0')
		return;
	snprintf(
	    c->alert, sizeof(c->alert), "%s", SSL_alert_desc_string_long(ret));
}

static void
smtp_wctx_free(struct smtp_wctx *wc)
{
	size_t i;

	if (wc == NULL)
		return;
	for (i = 0; i < wc->n_hosts; i++) {
		SSL_CTX_free(wc->hosts[i].ctx);
		free(wc->hosts[i].chain_json);
	}
	free(wc->hosts);
	free(wc);
}

static int
smtp_crypto_error(struct dl_diags *diags, const char *host, const char *what)
{
	char eb[256];

	ERR_error_string_n(ERR_get_error(), eb, sizeof(eb));
	ERR_clear_error();
	dl_error(diags, NULL, 0, 0, "SMTP host %s: %s: %s", host, what, eb);
	return DL_ECRYPTO;
}

/* OpenSSL's protocol version for a scenario's bound (or the default). */
static int
smtp_tls_version(enum scen_tls_version v, int def)
{
	switch (v) {
	case SCEN_TLS_1_0:
		return TLS1_VERSION;
	case SCEN_TLS_1_1:
		return TLS1_1_VERSION;
	case SCEN_TLS_1_2:
		return TLS1_2_VERSION;
	case SCEN_TLS_1_3:
		return TLS1_3_VERSION;
	case SCEN_TLS_DEFAULT:
		break;
	}
	return def;
}

static int
smtp_ctx_new(const struct world *w, const struct scen_host *h, char **chain,
    size_t n, SSL_CTX **out, struct dl_diags *diags)
{
	const char *host = h->name;
	int min = smtp_tls_version(h->tls_min, TLS1_2_VERSION);
	SSL_CTX *ctx;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	size_t i;
	int rc;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return smtp_crypto_error(diags, host, "SSL_CTX_new");
	(void)SSL_CTX_set_min_proto_version(ctx, min);
	(void)SSL_CTX_set_max_proto_version(ctx,
	    smtp_tls_version(h->tls_max, TLS1_3_VERSION));
	/*
	 * OpenSSL 3 refuses TLS 1.0 and 1.1 (SHA-1 and MD5 signatures)
	 * above security level 0: an old server is played at level 0.
	 */
	if (min < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
		SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_tlsext_servername_callback(ctx, smtp_sni_cb);
	SSL_CTX_set_info_callback(ctx, smtp_info_cb);
	for (i = 0; i < n; i++) {
		if ((rc = pki_cert_load(w->fixtures_dir, chain[i], &x)) != 0) {
			dl_error(diags, NULL, 0, 0,
			    "SMTP host %s: cannot load certificate %s: %s",
			    host, chain[i], dl_strerror(rc));
			goto fail;
		}
		if (i == 0 ? SSL_CTX_use_certificate(ctx, x) != 1
			   : SSL_CTX_add1_chain_cert(ctx, x) != 1) {
			rc = smtp_crypto_error(diags, host, chain[i]);
			goto fail;
		}
		X509_free(x);
		x = NULL;
	}
	if ((rc = pki_key_load(w->fixtures_dir, chain[0], &k)) != 0) {
		dl_error(diags, NULL, 0, 0,
		    "SMTP host %s: cannot load the key of %s: %s", host,
		    chain[0], dl_strerror(rc));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		rc = smtp_crypto_error(diags, host, "private key");
		goto fail;
	}
	EVP_PKEY_free(k);
	*out = ctx;
	return 0;
fail:
	X509_free(x);
	EVP_PKEY_free(k);
	SSL_CTX_free(ctx);
	return rc;
}

/* The STARTTLS mode of host h: its own, overridden by faults (last wins). */
static enum scen_starttls
smtp_host_mode(const struct scenario *sc, const struct scen_host *h)
{
	enum scen_starttls m = h->starttls;
	size_t i;

	for (i = 0; i < sc->n_faults; i++)
		if (sc->faults[i].kind == SCEN_FAULT_STARTTLS &&
		    sc->faults[i].host != NULL &&
		    strcasecmp(sc->faults[i].host, h->name) == 0)
			m = sc->faults[i].starttls;
	return m;
}

static int
smtp_wctx_new(
    const struct world *w, struct smtp_wctx **out, struct dl_diags *diags)
{
	struct smtp_wctx *wc;
	size_t i, j;
	int rc = 0, r;

	pthread_once(&smtp_ssl_once, smtp_ssl_init);
	wc = xcalloc(1, sizeof(*wc));
	wc->n_hosts = w->n_hosts;
	wc->hosts =
	    xcalloc(w->n_hosts > 0 ? w->n_hosts : 1, sizeof(*wc->hosts));
	for (i = 0; i < w->n_hosts; i++) {
		struct smtp_hostctx *hc = &wc->hosts[i];
		char **chain = NULL;
		size_t n = 0, o = 0, cap;

		hc->scen = w->hosts[i].scen;
		hc->mode = smtp_host_mode(w->scen, hc->scen);
		if ((r = world_host_chain(w, hc->scen, &chain, &n)) != 0) {
			rc = r;
			continue;
		}
		cap = 3 + n * (2 * PKI_ID_MAX + 4);
		hc->chain_json = xmalloc(cap);
		hc->chain_json[o++] = '[';
		for (j = 0; j < n; j++) {
			if (j > 0)
				hc->chain_json[o++] = ',';
			o += evlog_escape(
			    hc->chain_json + o, cap - o - 2, chain[j]);
		}
		hc->chain_json[o++] = ']';
		hc->chain_json[o] = '\0';
		if (n > 0 &&
		    (r = smtp_ctx_new(
			 w, hc->scen, chain, n, &hc->ctx, diags)) != 0)
			rc = r;
	}
	if (rc != 0) {
		smtp_wctx_free(wc);
		return rc;
	}
	*out = wc;
	return 0;
}

/* ---- events ---- */

static void
smtp_ev_begin(struct evlog_ev *e, struct smtp_sess *c, const char *type)
{
	const char *h = smtp_sess_host(c)->scen->name;
	char hb[256];
	size_t n;

	snprintf(hb, sizeof(hb), "%s", h);
	n = strlen(hb);
	if (n > 1 && hb[n - 1] == '.')
		hb[n - 1] = '\0';
	evlog_begin(e, c->srv->o.log, type);
	evlog_int(e, "session", (long long)c->id);
	evlog_str(e, "host", hb);
	evlog_str(e, "client", c->peer);
}

static void
smtp_ev_tls(struct smtp_sess *c, bool ok, const char *error, const char *fault)
{
	struct evlog_ev e;

	if (c->srv->o.log == NULL)
		return;
	smtp_ev_begin(&e, c, "smtp.tls");
	evlog_str(&e, "result", ok ? "ok" : "failed");
	evlog_str(&e, "version", ok ? SSL_get_version(c->ssl) : NULL);
	evlog_str(&e, "cipher", ok ? SSL_get_cipher_name(c->ssl) : NULL);
	evlog_str(&e, "sni", c->sni);
	evlog_raw(&e, "chain", c->chain_json != NULL ? c->chain_json : "[]");
	evlog_str(&e, "client_alert", c->alert[0] != '\0' ? c->alert : NULL);
	evlog_str(&e, "error", error);
	evlog_str(&e, "fault", fault);
	evlog_end(&e);
}

/* ---- sessions ---- */

void
smtp_reply(struct smtp_sess *c, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	int n;
	size_t need;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	/* Events show a reply's code and first line. */
	if (!c->reply_cont) {
		c->last_code = atoi(buf);
		memcpy(c->last_reply, buf,
		    (size_t)n < sizeof(c->last_reply) - 1
			? (size_t)n + 1
			: sizeof(c->last_reply) - 1);
		c->last_reply[sizeof(c->last_reply) - 1] = '\0';
	}
	c->reply_cont = n > 3 && buf[3] == '-';
	buf[n++] = '\r';
	buf[n++] = '\n';
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + (size_t)n;
	if (need > c->out_cap) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off,
			    c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
			need = c->out_len + (size_t)n;
		}
		if (need > c->out_cap) {
			c->out_cap = need < 1024 ? 1024 : need * 2;
			c->out = xreallocarray(c->out, c->out_cap, 1);
		}
	}
	memcpy(c->out + c->out_len, buf, (size_t)n);
	c->out_len += (size_t)n;
}

static int
smtp_epoll_add(struct smtp_server *s, struct smtp_sock *sk, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = sk;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, sk->fd, &ev);
}

static void
smtp_sess_close(struct smtp_server *s, struct smtp_sess *c)
{
	struct evlog_ev e;

	if (s->o.log != NULL) {
		smtp_ev_begin(&e, c, "smtp.close");
		evlog_str(&e, "how", smtp_close_name(c->how));
		evlog_bool(&e, "tls", c->tls == SMTP_TLS_ON);
		evlog_bool(&e, "starttls_offered", c->starttls_ever);
		evlog_bool(&e, "starttls_used", c->starttls_used);
		evlog_str(&e, "handshake", smtp_handshake_name(c));
		evlog_str(&e, "alert", c->alert[0] != '\0' ? c->alert : NULL);
		evlog_bool(
		    &e, "delivered", c->delivered_tls + c->delivered_plain > 0);
		evlog_int(&e, "messages",
		    (long long)(c->delivered_tls + c->delivered_plain));
		evlog_int(&e, "messages_plain", (long long)c->delivered_plain);
		evlog_int(&e, "messages_tls", (long long)c->delivered_tls);
		evlog_end(&e);
	}
	if (c->ssl != NULL) {
		if (c->tls == SMTP_TLS_ON && c->how == SMTP_CLOSE_QUIT)
			(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->sk.fd, NULL);
	close(c->sk.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->sessions = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_sessions--;
	smtp_sess_reset_tx(c);
	free(c->out);
	free(c->sni);
	free(c->chain_json);
	free(c);
}

static void
smtp_sess_events(struct smtp_server *s, struct smtp_sess *c)
{
	size_t pending = c->out_len - c->out_off;
	uint32_t ev = 0;
	struct epoll_event e;

	if (!c->closing && pending < SMTP_OUT_HIGH &&
	    c->tls != SMTP_TLS_PENDING)
		ev |= EPOLLIN;
	if (pending > 0 || c->want_write)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->sk.fd, &e);
	c->events = ev;
}

/* The TLS handshake: false if the session was closed. */
static bool
smtp_handshake(struct smtp_server *s, struct smtp_sess *c)
{
	char eb[256];
	unsigned long err;
	int r, e;

	ERR_clear_error();
	r = SSL_accept(c->ssl);
	if (r == 1) {
		c->tls = SMTP_TLS_ON;
		c->tls_done = true;
		c->want_write = false;
		c->last_ms = smtp_now_ms();
		smtp_ev_tls(c, true, NULL, NULL);
		return true;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ) {
		c->want_write = false;
		return true;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		c->want_write = true;
		return true;
	}
	err = ERR_peek_error();
	if (err != 0)
		ERR_error_string_n(err, eb, sizeof(eb));
	else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		snprintf(eb, sizeof(eb), "connection closed by the client");
	else
		snprintf(eb, sizeof(eb), "SSL error %d", e);
	smtp_ev_tls(c, false, eb, NULL);
	c->how = err == 0 ? SMTP_CLOSE_EOF : SMTP_CLOSE_ERROR;
	smtp_sess_close(s, c);
	return false;
}

/*
 * The handshake-failure fault: take the ClientHello, answer with a fatal
 * handshake_failure alert (as a server with nothing in common with the
 * client would), close.
 */
static void
smtp_fault_hello(struct smtp_server *s, struct smtp_sess *c)
{
	static const uint8_t alert[] = {
	    0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	char buf[4096];
	ssize_t n, w;

	n = recv(c->sk.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		w = send(c->sk.fd, alert, sizeof(alert),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
		smtp_ev_tls(c, false, "handshake refused (scenario fault)",
		    "handshake-failure");
		c->how = SMTP_CLOSE_ABORT;
	} else {
		smtp_ev_tls(c, false, "connection closed by the client",
		    "handshake-failure");
		c->how = SMTP_CLOSE_EOF;
	}
	smtp_sess_close(s, c);
}

void
smtp_sess_starttls(struct smtp_sess *c)
{
	const struct smtp_hostctx *h = smtp_sess_host(c);

	smtp_sess_tls_reset(c);
	c->tls_tried = true;
	c->in_len = 0; /* RFC 3207 / CVE-2011-0411: nothing from before */
	free(c->chain_json);
	c->chain_json = xstrdup(h->chain_json != NULL ? h->chain_json : "[]");
	if (h->mode == SCEN_STARTTLS_HANDSHAKE_FAIL || h->ctx == NULL) {
		c->tls = SMTP_TLS_FAULT;
		return;
	}
	c->ssl = SSL_new(h->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->sk.fd) != 1) {
		c->tls = SMTP_TLS_FAULT;
		return;
	}
	SSL_set_ex_data(c->ssl, smtp_ssl_idx, c);
	SSL_set_accept_state(c->ssl);
	c->tls = SMTP_TLS_HANDSHAKE;
}

/* Write what can be written; false if the session was closed. */
static bool
smtp_flush(struct smtp_server *s, struct smtp_sess *c)
{
	while (c->out_off < c->out_len) {
		size_t len = c->out_len - c->out_off;
		ssize_t n;

		if (c->tls == SMTP_TLS_ON) {
			int r, e;

			ERR_clear_error();
			r = SSL_write(c->ssl, c->out + c->out_off,
			    len > INT32_MAX ? INT32_MAX : (int)len);
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					return true;
				c->how = SMTP_CLOSE_ERROR;
				smtp_sess_close(s, c);
				return false;
			}
			n = r;
		} else {
			n = send(c->sk.fd, c->out + c->out_off, len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return true;
			if (n <= 0) {
				if (!c->closing)
					c->how = SMTP_CLOSE_EOF;
				smtp_sess_close(s, c);
				return false;
			}
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->closing) {
		smtp_sess_close(s, c);
		return false;
	}
	if (c->tls == SMTP_TLS_PENDING) {
		smtp_sess_starttls(c);
		if (c->tls == SMTP_TLS_HANDSHAKE)
			return smtp_handshake(s, c);
	}
	return true;
}

/*
 * Handle the input; a line handled is progress (the idle bound), bytes
 * are not: a client dripping one byte at a time does not keep its
 * session.
 */
static void
smtp_sess_progress(struct smtp_sess *c)
{
	uint64_t before = c->lines;

	smtp_sess_input(c);
	if (c->lines != before)
		c->last_ms = smtp_now_ms();
}

/*
 * Read and handle input until the socket (or TLS) has no more, the
 * output is above the high mark, or the session switches to TLS or
 * ends.  False if the session was closed.
 */
static bool
smtp_read(struct smtp_server *s, struct smtp_sess *c)
{
	for (;;) {
		ssize_t n;

		if (c->closing || c->tls == SMTP_TLS_PENDING ||
		    c->out_len - c->out_off >= SMTP_OUT_HIGH)
			break;
		if (c->in_len == sizeof(c->in))
			break; /* cannot happen: long lines are dropped */
		if (c->tls == SMTP_TLS_ON) {
			int r, e;

			ERR_clear_error();
			r = SSL_read(c->ssl, c->in + c->in_len,
			    (int)(sizeof(c->in) - c->in_len));
			if (r <= 0) {
				e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ) {
					c->want_write = false;
					break;
				}
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want_write = true;
					break;
				}
				c->how = e == SSL_ERROR_ZERO_RETURN ||
					(e == SSL_ERROR_SYSCALL &&
					    ERR_peek_error() == 0)
				    ? SMTP_CLOSE_EOF
				    : SMTP_CLOSE_ERROR;
				smtp_sess_close(s, c);
				return false;
			}
			n = r;
		} else {
			n = recv(c->sk.fd, c->in + c->in_len,
			    sizeof(c->in) - c->in_len, MSG_DONTWAIT);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (n <= 0) {
				c->how =
				    n == 0 ? SMTP_CLOSE_EOF : SMTP_CLOSE_ERROR;
				smtp_sess_close(s, c);
				return false;
			}
		}
		c->in_len += (size_t)n;
		smtp_sess_progress(c);
	}
	return true;
}

/* One readiness report for session c. */
static void
smtp_sess_io(struct smtp_server *s, struct smtp_sess *c, uint32_t ev)
{
	if (c->tls == SMTP_TLS_FAULT) {
		smtp_fault_hello(s, c);
		return;
	}
	if (c->tls == SMTP_TLS_HANDSHAKE) {
		if (!smtp_handshake(s, c))
			return;
		if (c->tls != SMTP_TLS_ON) {
			smtp_sess_events(s, c);
			return;
		}
	}
	/* Output first: it may unblock input held back by the mark. */
	if (!smtp_flush(s, c))
		return;
	if (c->tls == SMTP_TLS_HANDSHAKE || c->tls == SMTP_TLS_FAULT) {
		smtp_sess_events(s, c);
		return;
	}
	if (c->in_len > 0)
		smtp_sess_progress(c); /* held back earlier */
	if (!smtp_read(s, c) || !smtp_flush(s, c))
		return;
	smtp_sess_events(s, c);
}

/* ---- descriptors running out ---- */

/*
 * Stop polling the listeners for FDLIMIT_PAUSE_MS: with no descriptor
 * to accept into, a level-triggered listener would be reported again at
 * once, for ever (a busy loop).  Connections wait in the backlog.
 */
static void
smtp_listen_pause(struct smtp_server *s)
{
	struct epoll_event ev;
	size_t i;

	if (s->paused_until != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < s->n_socks; i++) {
		ev.data.ptr = &s->socks[i];
		(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->socks[i].fd, &ev);
	}
	s->paused_until = smtp_now_ms() + FDLIMIT_PAUSE_MS;
}

static void
smtp_listen_resume(struct smtp_server *s)
{
	struct epoll_event ev;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	for (i = 0; i < s->n_socks; i++) {
		ev.data.ptr = &s->socks[i];
		(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->socks[i].fd, &ev);
	}
	s->paused_until = 0;
}

/*
 * accept(2) failed for want of a descriptor: give up the spare one to
 * take the client anyway, so that it can be told 421 instead of waiting
 * in the backlog.  Returns the client's descriptor, or -1 (no spare, or
 * another thread took the slot first).
 */
static int
smtp_accept_spare(struct smtp_server *s, struct smtp_sock *lsk,
    struct sockaddr_in *peer, socklen_t *plen)
{
	int fd;

	if (s->spare_fd < 0)
		return -1;
	close(s->spare_fd);
	s->spare_fd = -1;
	fd = accept4(lsk->fd, (struct sockaddr *)peer, plen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd;
}

/* A new session for the client on fd, linked, not yet in epoll. */
static struct smtp_sess *
smtp_sess_new(struct smtp_server *s, struct smtp_sock *lsk, int fd,
    const struct sockaddr_in *peer)
{
	struct smtp_sess *c;
	char ab[INET_ADDRSTRLEN];
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->id = ++s->next_id;
	c->sk.kind = SMTP_SK_SESS;
	c->sk.fd = fd;
	c->sk.host = lsk->host;
	c->sk.port = lsk->port;
	memcpy(c->sk.addr, lsk->addr, sizeof(c->sk.addr));
	inet_ntop(AF_INET, &peer->sin_addr, ab, sizeof(ab));
	snprintf(c->peer, sizeof(c->peer), "%s:%u", ab, ntohs(peer->sin_port));
	c->start_ms = c->last_ms = smtp_now_ms();
	/* Link first: smtp_sess_close unlinks. */
	c->next = s->sessions;
	if (s->sessions != NULL)
		s->sessions->prev = c;
	s->sessions = c;
	s->n_sessions++;
	return c;
}

/*
 * Accept every waiting client.  Over max_sessions, or taken with the
 * spare descriptor, a client gets 421 4.3.2 and is closed; with no
 * descriptor at all the listeners rest (smtp_listen_pause).
 */
static void
smtp_accept(struct smtp_server *s, struct smtp_sock *lsk)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		struct smtp_sess *c;
		struct evlog_ev e;
		bool spare = false, over;
		int fd;

		fd = accept4(lsk->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && fdlimit_exhausted(errno)) {
			plen = sizeof(peer);
			if ((fd = smtp_accept_spare(s, lsk, &peer, &plen)) < 0) {
				smtp_listen_pause(s);
				return;
			}
			spare = true;
		}
		if (fd < 0)
			return; /* EAGAIN, or the client went away */
		c = smtp_sess_new(s, lsk, fd, &peer);
		over = spare || s->n_sessions > s->o.max_sessions;
		if (s->o.log != NULL) {
			smtp_ev_begin(&e, c, "smtp.connect");
			evlog_str(&e, "server", c->sk.addr);
			evlog_int(&e, "port", c->sk.port);
			evlog_bool(&e, "accepted", !over);
			evlog_end(&e);
		}
		if (over) {
			smtp_reply(c,
			    "421 4.3.2 Error: too many sessions, "
			    "try again later");
			(void)send(fd, c->out, c->out_len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			c->how = SMTP_CLOSE_ABORT;
			smtp_sess_close(s, c);
			if (spare && (s->spare_fd = open("/dev/null",
					  O_RDONLY | O_CLOEXEC)) < 0) {
				smtp_listen_pause(s);
				return;
			}
			continue;
		}
		c->events = 0;
		if (smtp_epoll_add(s, &c->sk, 0) != 0) {
			c->how = SMTP_CLOSE_ERROR;
			smtp_sess_close(s, c);
			continue;
		}
		smtp_sess_greet(c);
		if (smtp_flush(s, c))
			smtp_sess_events(s, c);
	}
}

/* Whether session c is past one of its time bounds. */
static bool
smtp_sess_expired(
    const struct smtp_server *s, const struct smtp_sess *c, uint64_t now)
{
	if (now - c->last_ms >= s->o.idle_ms)
		return true;
	if (now - c->start_ms >= s->o.session_ms)
		return true;
	return c->in_data && now - c->data_ms >= s->o.data_ms;
}

static void
smtp_idle_scan(struct smtp_server *s, uint64_t now)
{
	struct smtp_sess *c, *nx;

	s->last_scan_ms = now;
	for (c = s->sessions; c != NULL; c = nx) {
		nx = c->next;
		if (!smtp_sess_expired(s, c, now))
			continue;
		c->how = SMTP_CLOSE_TIMEOUT;
		if (c->tls == SMTP_TLS_HANDSHAKE || c->tls == SMTP_TLS_FAULT)
			smtp_ev_tls(c, false, "timeout",
			    c->tls == SMTP_TLS_FAULT ? "handshake-failure"
						     : NULL);
		if (c->tls == SMTP_TLS_NONE || c->tls == SMTP_TLS_ON) {
			char hb[256];

			snprintf(hb, sizeof(hb), "%s",
			    smtp_sess_host(c)->scen->name);
			if (hb[0] != '\0' && hb[strlen(hb) - 1] == '.')
				hb[strlen(hb) - 1] = '\0';
			/* Best effort: a stalled client may not read. */
			c->out_off = c->out_len = 0;
			smtp_reply(
			    c, "421 4.4.2 %s Error: timeout exceeded", hb);
			c->closing = true;
			if (!smtp_flush(s, c))
				continue;
		}
		smtp_sess_close(s, c);
	}
}

/* End every open session: smtp.close with how server-abort. */
static void
smtp_abort_all(struct smtp_server *s)
{
	while (s->sessions != NULL) {
		struct smtp_sess *c = s->sessions;

		if (c->tls == SMTP_TLS_HANDSHAKE || c->tls == SMTP_TLS_FAULT)
			smtp_ev_tls(c, false, "server shutdown",
			    c->tls == SMTP_TLS_FAULT ? "handshake-failure"
						     : NULL);
		c->how = SMTP_CLOSE_ABORT;
		smtp_sess_close(s, c);
	}
}

/* ---- listeners ---- */

static int
smtp_bind(const char *addr, uint16_t port, int *out, uint16_t *bound,
    struct dl_diags *diags)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1, saved;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return dl_error(diags, NULL, 0, 0, "bad address %s", addr);
	if ((fd = socket(
		 AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	*out = fd;
	*bound = ntohs(sa.sin_port);
	return 0;
fail:
	dl_error(diags, NULL, 0, 0, "cannot serve SMTP on %s port %u: %s", addr,
	    port, strerror(errno));
	return DL_EIO;
}

static void
smtp_wctx_free_v(void *wc)
{
	smtp_wctx_free(wc);
}

int
smtp_server_new(const struct world *w, const struct smtp_server_opts *o,
    struct smtp_server **out, struct dl_diags *diags)
{
	struct smtp_server *s;
	struct smtp_wctx *wc;
	size_t i, j, k, n_addr = 0;
	int rc, e;

	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	if (s->o.idle_ms == 0)
		s->o.idle_ms = 60000;
	if (s->o.data_ms == 0)
		s->o.data_ms = 300000;
	if (s->o.session_ms == 0)
		s->o.session_ms = 600000;
	if (s->o.max_sessions == 0)
		s->o.max_sessions = 1024;
	/* A session in DATA holds two descriptors (socket, message file):
	 * half of the process's budget at most. */
	s->o.max_sessions = fdlimit_bound(s->o.max_sessions, 4);
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->o.max_message == 0)
		s->o.max_message = 10u << 20;
	s->w = w;
	s->epfd = s->stop.fd = s->swap.fd = -1;
	s->ho.stop_fd = s->ho.swap_fd = -1;
	if ((rc = smtp_wctx_new(w, &wc, diags)) != 0)
		goto fail;
	if ((e = handoff_init(&s->ho, wc, smtp_wctx_free_v)) != 0) {
		smtp_wctx_free(wc);
		dl_error(diags, NULL, 0, 0, "eventfd: %s", strerror(-e));
		rc = DL_EIO;
		goto fail;
	}
	s->stop.fd = s->ho.stop_fd;
	s->swap.fd = s->ho.swap_fd;
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		dl_error(diags, NULL, 0, 0, "epoll: %s", strerror(errno));
		rc = DL_EIO;
		goto fail;
	}
	s->stop.kind = SMTP_SK_STOP;
	s->swap.kind = SMTP_SK_SWAP;
	for (i = 0; i < w->n_hosts; i++)
		n_addr +=
		    o->single_addr != NULL ? 1 : w->hosts[i].scen->n_addrs;
	s->socks = xcalloc(n_addr > 0 ? n_addr : 1, sizeof(*s->socks));
	for (i = 0; i < w->n_hosts; i++) {
		const struct scen_host *h = w->hosts[i].scen;
		size_t na = o->single_addr != NULL ? 1 : h->n_addrs;

		for (j = 0; j < na; j++) {
			const char *addr = o->single_addr != NULL
			    ? o->single_addr
			    : h->addrs[j];
			uint16_t port;
			struct smtp_sock *sk;
			bool dup = false;

			if (o->single_addr != NULL)
				port =
				    o->port != 0 ? (uint16_t)(o->port + i) : 0;
			else
				port = o->port != 0 ? o->port : h->port;
			/* Two hosts on one address and port: the first. */
			for (k = 0; k < s->n_socks && port != 0; k++)
				if (s->socks[k].port == port &&
				    strcmp(s->socks[k].addr, addr) == 0)
					dup = true;
			if (dup)
				continue;
			sk = &s->socks[s->n_socks];
			sk->kind = SMTP_SK_LISTEN;
			sk->host = (int)i;
			snprintf(sk->addr, sizeof(sk->addr), "%s", addr);
			if ((rc = smtp_bind(
				 addr, port, &sk->fd, &sk->port, diags)) != 0)
				goto fail;
			s->n_socks++;
			if (smtp_epoll_add(s, sk, EPOLLIN) != 0) {
				rc = DL_EIO;
				goto fail;
			}
		}
	}
	if (smtp_epoll_add(s, &s->stop, EPOLLIN) != 0 ||
	    smtp_epoll_add(s, &s->swap, EPOLLIN) != 0) {
		rc = DL_EIO;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	smtp_server_free(s);
	return rc;
}

uint16_t
smtp_server_port(const struct smtp_server *s)
{
	return s->n_socks > 0 ? s->socks[0].port : 0;
}

uint16_t
smtp_server_host_port(const struct smtp_server *s, size_t host)
{
	size_t i;

	for (i = 0; i < s->n_socks; i++)
		if (s->socks[i].host == (int)host)
			return s->socks[i].port;
	return 0;
}

/* ---- the loop ---- */

int
smtp_server_run(struct smtp_server *s)
{
	struct epoll_event evs[SMTP_EVENTS];
	uint64_t now, scan;
	sigset_t pipe;
	bool stop = false;
	int n, i, rc = 0;

	if (!handoff_begin(&s->ho))
		return DL_EINVAL;

	/*
	 * OpenSSL writes TLS records with write(2), which raises SIGPIPE
	 * when a client has gone.  Block it in the loop's thread: the write
	 * then fails with EPIPE, which the session handles, and a pending
	 * thread-directed SIGPIPE is harmless.
	 */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);

	scan = s->o.idle_ms / 4;
	if (scan < 10)
		scan = 10;
	if (scan > 250)
		scan = 250;
	s->last_scan_ms = smtp_now_ms();
	while (!stop) {
		int timeout = s->n_sessions > 0 ? (int)scan : -1;

		if (s->paused_until != 0)
			timeout = FDLIMIT_PAUSE_MS / 4;
		n = epoll_wait(s->epfd, evs, SMTP_EVENTS, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = DL_EIO;
			break;
		}
		for (i = 0; i < n && !stop; i++) {
			struct smtp_sock *sk = evs[i].data.ptr;

			switch (sk->kind) {
			case SMTP_SK_STOP:
				handoff_stop_read(&s->ho);
				stop = true;
				break;
			case SMTP_SK_SWAP:
				/* Handshakes in flight keep their SSL_CTX
				 * (SSL_new took a reference). */
				handoff_take(&s->ho);
				break;
			case SMTP_SK_LISTEN:
				smtp_accept(s, sk);
				break;
			case SMTP_SK_SESS:
				/* Closed sessions are never reported later
				 * in the batch: each fd appears once. */
				smtp_sess_io(
				    s, (struct smtp_sess *)sk, evs[i].events);
				break;
			}
		}
		now = smtp_now_ms();
		if (s->paused_until != 0 && now >= s->paused_until)
			smtp_listen_resume(s);
		if (s->n_sessions > 0 && now - s->last_scan_ms >= scan)
			smtp_idle_scan(s, now);
	}

	/*
	 * Shutdown: every session still open ends here, with its smtp.close
	 * (how: server-abort), while the loop still owns it and the log is
	 * surely open.  A handshake in flight gets its smtp.tls first.
	 */
	smtp_abort_all(s);
	handoff_end(&s->ho);
	return rc;
}

void
smtp_server_stop(struct smtp_server *s)
{
	handoff_stop(&s->ho);
}

int
smtp_server_set_world(
    struct smtp_server *s, const struct world *w, struct dl_diags *diags)
{
	struct smtp_wctx *nw = NULL;
	size_t i;
	int rc;

	/* The same MX hosts as the first world, in the same order. */
	if (w == NULL || w->n_hosts != s->w->n_hosts)
		return dl_error(diags, NULL, 0, 0,
		    "SMTP: the new world has other MX hosts");
	for (i = 0; i < w->n_hosts; i++)
		if (strcasecmp(w->hosts[i].scen->name,
			s->w->hosts[i].scen->name) != 0)
			return dl_error(diags, NULL, 0, 0,
			    "SMTP: the new world has other MX hosts");
	if ((rc = smtp_wctx_new(w, &nw, diags)) != 0)
		return rc;
	handoff_put(&s->ho, nw);
	return 0;
}

void
smtp_server_free(struct smtp_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	smtp_abort_all(s); /* none left if the loop ran and ended */
	for (i = 0; i < s->n_socks; i++)
		close(s->socks[i].fd);
	free(s->socks);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	if (s->epfd >= 0)
		close(s->epfd);
	handoff_clear(&s->ho);
	free(s);
}
