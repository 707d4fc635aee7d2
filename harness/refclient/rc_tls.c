/*
 * rc_tls.c -- one SMTP session of the reference client: greeting, EHLO,
 * STARTTLS, the TLS handshake with OpenSSL's DANE verification (RFC 7671,
 * RFC 7672 3), EHLO again, and a small test message (MAIL, RCPT, DATA),
 * then QUIT.  It reports what happened; whether that is good enough is
 * rc_decide.c's question.
 *
 * Verification: DANE-EE without name checks (DANE_FLAG_NO_DANE_EE_-
 * NAMECHECKS; OpenSSL also skips dates for a DANE-EE match), DANE-TA with
 * names checked against the TLSA base domain and, when given, the
 * next-hop domain, dates included.  No PKIX trust store: usages 0 and 1
 * are never added (RFC 7672 3.1.3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "harness/refclient/refclient.h"

#define LINE_MAX_SMTP 1024
#define REPLY_LINES_MAX 100

struct conn {
	int fd;
	SSL *ssl;
	char buf[4096];
	size_t have;
};

static int
io_read(struct conn *c, char *p, size_t n)
{
	ssize_t r;

	if (c->ssl != NULL) {
		int k = SSL_read(c->ssl, p, (int)n);

		return k > 0 ? k : -1;
	}
	do {
		r = read(c->fd, p, n);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? (int)r : -1;
}

static int
io_write(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t r;

		if (c->ssl != NULL) {
			int k = SSL_write(c->ssl, p, (int)n);

			r = k > 0 ? k : -1;
		} else {
			r = send(c->fd, p, n, MSG_NOSIGNAL);
			if (r < 0 && errno == EINTR)
				continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One line without CRLF; -1 on EOF, error or an overlong line. */
static int
read_line(struct conn *c, char *line, size_t len)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);
			size_t k = n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n;

			if (k >= len)
				return -1;
			memcpy(line, c->buf, k);
			line[k] = '\0';
			memmove(c->buf, nl + 1, c->have - n - 1);
			c->have -= n + 1;
			return 0;
		}
		if (c->have >= sizeof(c->buf))
			return -1;
		int r = io_read(c, c->buf + c->have, sizeof(c->buf) - c->have);

		if (r <= 0)
			return -1;
		c->have += (size_t)r;
	}
}

/*
 * A whole reply; returns its code (or -1) and, if starttls is not NULL,
 * sets it when one line is the STARTTLS keyword.
 */
static int
reply(struct conn *c, bool *starttls)
{
	char line[LINE_MAX_SMTP];
	int i, code = -1;

	for (i = 0; i < REPLY_LINES_MAX; i++) {
		if (read_line(c, line, sizeof(line)) != 0 ||
		    strlen(line) < 3 || line[0] < '1' || line[0] > '5')
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (starttls != NULL && strlen(line) >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (line[12] == '\0' || line[12] == ' '))
			*starttls = true;
		if (line[3] != '-')
			return code;
	}
	return -1;
}

static int
command(struct conn *c, const char *cmd, bool *starttls)
{
	char line[LINE_MAX_SMTP];
	int n = snprintf(line, sizeof(line), "%s\r\n", cmd);

	if (n < 0 || (size_t)n >= sizeof(line) || io_write(c, line,
	    (size_t)n) != 0)
		return -1;
	return reply(c, starttls);
}

static void __attribute__((format(printf, 3, 4)))
set_detail(struct rc_session *out, enum rc_session_result r,
    const char *fmt, ...)
{
	va_list ap;

	out->result = r;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
}

static int
tcp_connect(const struct rc_session_params *p)
{
	struct sockaddr_in sin;
	struct timeval tv = { .tv_sec = p->timeout_s };
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p->port);
	if (inet_pton(AF_INET, p->addr, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
describe_match(SSL *ssl, struct rc_session *out)
{
	uint8_t u, s, m;
	const unsigned char *data;
	size_t dlen, i, o;
	X509 *mcert = NULL;
	EVP_PKEY *mspki = NULL;
	int depth;

	depth = SSL_get0_dane_authority(ssl, &mcert, &mspki);
	out->match_depth = depth;
	if (depth < 0 || SSL_get0_dane_tlsa(ssl, &u, &s, &m, &data,
	    &dlen) < 0)
		return;
	o = (size_t)snprintf(out->matched, sizeof(out->matched),
	    "%u %u %u ", u, s, m);
	for (i = 0; i < dlen && i < 16 && o + 3 < sizeof(out->matched); i++)
		o += (size_t)snprintf(out->matched + o,
		    sizeof(out->matched) - o, "%02x", data[i]);
	if (dlen > 16 && o + 4 < sizeof(out->matched))
		snprintf(out->matched + o, sizeof(out->matched) - o, "...");
}

static void
peer_names(SSL *ssl, struct rc_session *out)
{
	X509 *leaf = SSL_get0_peer_certificate(ssl);

	snprintf(out->tls_version, sizeof(out->tls_version), "%s",
	    SSL_get_version(ssl));
	if (leaf != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(leaf),
		    NID_commonName, out->peer_cn, sizeof(out->peer_cn));
}

/* name without its final dot (SNI, RFC 6066 3: no trailing dot). */
static void
nodot(const char *name, char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "%s", name);
	n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* Set up DANE on ssl; -1 on failure. */
static int
dane_setup(SSL *ssl, const struct rc_session_params *p)
{
	char base[RC_NAME_MAX], hop[RC_NAME_MAX];

	size_t i;
	int added = 0;

	nodot(p->sni, base, sizeof(base));
	if (SSL_dane_enable(ssl, base) <= 0)
		return -1;
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	/* Names for DANE-TA: the base domain (set by SSL_dane_enable) and
	 * the next-hop domain when the MX RRset was secure (3.2.2). */
	if (p->nexthop != NULL) {
		nodot(p->nexthop, hop, sizeof(hop));
		if (strcasecmp(hop, base) != 0 && SSL_add1_host(ssl, hop) != 1)
			return -1;
	}
	for (i = 0; i < p->ntlsa; i++) {
		const struct rc_tlsa *t = &p->tlsa[i];

		if (!rc_tlsa_usable(t))
			continue;
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
		    t->data, t->len) > 0)
			added++;
	}
	return added > 0 ? 0 : -1;
}

static int
smtp_deliver(struct conn *c, const struct rc_session_params *p,
    struct rc_session *out)
{
	char cmd[LINE_MAX_SMTP];
	static const char body[] =
	    "From: danelab probe <probe@danelab.invalid>\r\n"
	    "Subject: danelab reference client test message\r\n"
	    "\r\n"
	    "A test message from 'danelab probe'.\r\n"
	    ".\r\n";

	if (command(c, "MAIL FROM:<probe@danelab.invalid>", NULL) / 100 != 2) {
		set_detail(out, RC_SESS_REJECTED, "%s refused", "MAIL");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "RCPT TO:<postmaster@%s>",
	    p->rcpt_domain);
	if (command(c, cmd, NULL) / 100 != 2) {
		set_detail(out, RC_SESS_REJECTED, "%s refused", "RCPT");
		return -1;
	}
	if (command(c, "DATA", NULL) != 354 ||
	    io_write(c, body, sizeof(body) - 1) != 0 ||
	    reply(c, NULL) / 100 != 2) {
		set_detail(out, RC_SESS_REJECTED, "%s refused", "DATA");
		return -1;
	}
	return 0;
}

int
rc_session_run(const struct rc_session_params *p, struct rc_session *out)
{
	struct conn c = { .fd = -1 };
	SSL_CTX *sctx = NULL;
	char ehlo[LINE_MAX_SMTP];
	bool starttls = false;
	bool authenticated = false;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->match_depth = -1;
	snprintf(ehlo, sizeof(ehlo), "EHLO %s", p->helo);
	if ((c.fd = tcp_connect(p)) < 0) {
		set_detail(out, RC_SESS_CONNECT_FAILED, "connect: %s",
		    strerror(errno));
		goto done;
	}
	if (reply(&c, NULL) != 220 || command(&c, ehlo, &starttls) != 250) {
		set_detail(out, RC_SESS_CONNECT_FAILED, "%s failed",
		    "greeting or EHLO");
		goto done;
	}
	if (!starttls) {
		if (p->act != RC_ACT_OPPORTUNISTIC) {
			set_detail(out, RC_SESS_NO_STARTTLS, "%s",
			    "STARTTLS not offered");
			goto quit;
		}
		out->result = RC_SESS_PLAIN;
		goto deliver;
	}
	if (command(&c, "STARTTLS", NULL) != 220) {
		set_detail(out, RC_SESS_TLS_FAILED, "%s", "STARTTLS refused");
		goto quit;
	}
	if ((sctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    (p->act == RC_ACT_AUTH && SSL_CTX_dane_enable(sctx) <= 0) ||
	    (c.ssl = SSL_new(sctx)) == NULL) {
		ret = -ENOMEM;
		set_detail(out, RC_SESS_TLS_FAILED, "%s", "no TLS context");
		goto done;
	}
	SSL_set_verify(c.ssl, SSL_VERIFY_NONE, NULL);
	if (p->sni != NULL) {
		char sni[RC_NAME_MAX];

		nodot(p->sni, sni, sizeof(sni));
		SSL_set_tlsext_host_name(c.ssl, sni);
	}
	if (p->act == RC_ACT_AUTH && dane_setup(c.ssl, p) != 0) {
		set_detail(out, RC_SESS_TLS_FAILED, "%s", "DANE setup failed");
		goto done;
	}
	SSL_set_fd(c.ssl, c.fd);
	if (SSL_connect(c.ssl) != 1) {
		unsigned long e = ERR_get_error();

		set_detail(out, RC_SESS_TLS_FAILED, "handshake: %s",
		    e != 0 ? ERR_reason_error_string(e) : "failed");
		SSL_free(c.ssl);
		c.ssl = NULL;
		goto done;
	}
	peer_names(c.ssl, out);
	if (p->act == RC_ACT_AUTH) {
		long v = SSL_get_verify_result(c.ssl);

		describe_match(c.ssl, out);
		if (v != X509_V_OK || out->match_depth < 0) {
			set_detail(out, RC_SESS_AUTH_FAILED, "verify: %s",
			    X509_verify_cert_error_string(v));
			goto quit;
		}
		authenticated = true;
	}
	out->result = authenticated ? RC_SESS_TLS_AUTH : RC_SESS_TLS;
	if (command(&c, ehlo, NULL) != 250) {
		set_detail(out, RC_SESS_CONNECT_FAILED, "%s failed",
		    "EHLO after STARTTLS");
		goto done;
	}
deliver:
	if (p->deliver && smtp_deliver(&c, p, out) != 0)
		goto quit;
quit:
	(void)command(&c, "QUIT", NULL);
done:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	SSL_CTX_free(sctx);
	if (c.fd >= 0)
		close(c.fd);
	ERR_clear_error();
	return ret;
}
