/*
 * test_smtp.c -- unit tests for simulator/smtp: the SMTP STARTTLS server.
 *
 * Each test builds a world from a small scenario (YAML in a buffer, the
 * fixtures at $DANELAB_FIXTURES), runs the server in a thread on a port
 * of 127.0.0.1 the kernel picks, talks to it with blocking sockets and an
 * OpenSSL client, and checks the replies, what the client saw of TLS (the
 * chain compared in DER with the fixtures), the stored messages, and the
 * events (the lines of the event file).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "simulator/events/events.h"
#include "simulator/pki/pki.h"
#include "simulator/scenario/scenario.h"
#include "simulator/smtp/smtp_server.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

static const char *
fixtures(void)
{
	const char *d = getenv("DANELAB_FIXTURES");

	return d != NULL ? d : "fixtures";
}

/* mx1: starttls %s, chain [%s, int-r3]; mx2: on; faults: %s. */
static const char yaml_fmt[] =
    "version: 1\n"
    "id: test/smtp\n"
    "title: SMTP server test world\n"
    "explanation: a test world\n"
    "rule: none\n"
    "observe: none\n"
    "references: [\"RFC 3207\"]\n"
    "tags: [test]\n"
    "domain: example.net\n"
    "mx:\n"
    "  - host: mx1.example.net\n"
    "    preference: 10\n"
    "    addresses: [127.25.0.1]\n"
    "    chain: [%s, int-r3]\n"
    "    starttls: %s\n"
    "    tlsa:\n"
    "      - { usage: 3, selector: 1, matching: 1, cert: mx-cur }\n"
    "  - host: mx2.example.net\n"
    "    preference: 20\n"
    "    addresses: [127.25.0.2]\n"
    "    chain: [mx-other, int-r3]\n"
    "%s"
    "expect:\n"
    "  mx: secure\n"
    "  address: { mx1.example.net: secure, mx2.example.net: secure }\n"
    "  tlsa: { mx1.example.net: secure, mx2.example.net: insecure }\n"
    "  dane: auth\n"
    "  dane-only: auth\n";

struct fx {
	struct scenario *sc, *sc2;
	struct world *w, *w2;
	struct evlog *log;
	char evpath[64];
	char maildir[64];
	struct smtp_server *srv;
	pthread_t th;
	bool joined; /* the loop was stopped and joined already */
	uint16_t port;
};

static struct fx F;

static struct scenario *
load(const char *leaf, const char *mode, const char *faults)
{
	struct scenario *sc = NULL;
	struct dl_diags d;
	char buf[4096];
	int n;

	n = snprintf(buf, sizeof(buf), yaml_fmt, leaf, mode, faults);
	dl_diags_init(&d);
	if (scenario_load_buffer(
		"test.yaml", buf, (size_t)n, fixtures(), &sc, &d) != 0)
		dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	assert_non_null(sc);
	return sc;
}

static struct world *
build(struct scenario *sc)
{
	struct world_opts wo = {fixtures(), 0, -1};
	struct world *w = NULL;
	struct dl_diags d;

	dl_diags_init(&d);
	if (world_build(sc, &wo, &w, &d) != 0)
		dl_diags_print(&d, stderr);
	dl_diags_clear(&d);
	assert_non_null(w);
	return w;
}

static void *
run_thread(void *arg)
{
	(void)smtp_server_run(arg);
	return NULL;
}

static void
start(const char *mode, const char *faults, unsigned idle_ms)
{
	struct smtp_server_opts o;
	struct dl_diags d;
	int fd;

	memset(&F, 0, sizeof(F));
	F.sc = load("mx-cur", mode, faults);
	F.w = build(F.sc);
	snprintf(F.evpath, sizeof(F.evpath), "/tmp/test_smtp_ev.XXXXXX");
	fd = mkstemp(F.evpath);
	assert_true(fd >= 0);
	close(fd);
	snprintf(F.maildir, sizeof(F.maildir), "/tmp/test_smtp_md.XXXXXX");
	assert_non_null(mkdtemp(F.maildir));
	assert_int_equal(evlog_open(F.evpath, 0, &F.log), 0);
	memset(&o, 0, sizeof(o));
	o.single_addr = "127.0.0.1";
	o.log = F.log;
	o.maildir = F.maildir;
	o.idle_ms = idle_ms;
	o.max_message = 10000;
	dl_diags_init(&d);
	assert_int_equal(smtp_server_new(F.w, &o, &F.srv, &d), 0);
	dl_diags_clear(&d);
	F.port = smtp_server_port(F.srv);
	assert_true(F.port != 0);
	assert_int_equal(pthread_create(&F.th, NULL, run_thread, F.srv), 0);
}

static void
stop(void)
{
	DIR *dir;
	struct dirent *de;
	char p[512];

	if (!F.joined) {
		smtp_server_stop(F.srv);
		pthread_join(F.th, NULL);
	}
	smtp_server_free(F.srv);
	evlog_free(F.log);
	world_free(F.w);
	world_free(F.w2);
	scenario_free(F.sc);
	scenario_free(F.sc2);
	unlink(F.evpath);
	if ((dir = opendir(F.maildir)) != NULL) {
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", F.maildir, de->d_name);
			unlink(p);
		}
		closedir(dir);
	}
	rmdir(F.maildir);
}

/* ---- a small client ---- */

struct cl {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[16384];
	size_t len;
};

static void
cl_open(struct cl *c, uint16_t port)
{
	struct sockaddr_in sa;
	struct timeval tv = {5, 0};

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static void
cl_close(struct cl *c)
{
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	close(c->fd);
}

static void
cl_send(struct cl *c, const char *s, size_t n)
{
	if (c->ssl != NULL)
		assert_int_equal(SSL_write(c->ssl, s, (int)n), (int)n);
	else
		assert_int_equal(send(c->fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Bytes in; 0 at EOF or timeout. */
static ssize_t
cl_recv(struct cl *c)
{
	ssize_t n;

	if (c->len + 1 >= sizeof(c->buf))
		return 0;
	if (c->ssl != NULL)
		n = SSL_read(c->ssl, c->buf + c->len,
		    (int)(sizeof(c->buf) - c->len - 1));
	else
		n = recv(
		    c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, 0);
	if (n <= 0)
		return 0;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n;
}

/*
 * Read one complete reply (up to the line "NNN text"); its text (all
 * lines) goes to out.  Returns the code, or -1 at EOF.
 */
static int
cl_reply(struct cl *c, char *out, size_t outlen)
{
	for (;;) {
		char *p = c->buf, *nl;

		while ((nl = memchr(p, '\n', c->len - (size_t)(p - c->buf))) !=
		    NULL) {
			if (nl - p >= 4 && p[3] == ' ') {
				size_t n = (size_t)(nl + 1 - c->buf);
				int code = atoi(p);

				if (out != NULL)
					snprintf(out, outlen, "%.*s", (int)n,
					    c->buf);
				memmove(c->buf, c->buf + n, c->len - n);
				c->len -= n;
				c->buf[c->len] = '\0';
				return code;
			}
			p = nl + 1;
		}
		if (cl_recv(c) == 0)
			return -1;
	}
}

static int
cl_cmd(struct cl *c, const char *cmd, char *out, size_t outlen)
{
	char line[2048];
	int n = snprintf(line, sizeof(line), "%s\r\n", cmd);

	cl_send(c, line, (size_t)n);
	return cl_reply(c, out, outlen);
}

/* TLS over the connection; returns SSL_connect's result. */
static int
cl_tls(struct cl *c, const char *sni, bool verify)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(c->ctx);
	if (verify)
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c->ssl, sni);
	SSL_set_fd(c->ssl, c->fd);
	return SSL_connect(c->ssl);
}

/* TLS over the connection within protocol bounds (0: the library's);
 * returns SSL_connect's result. */
static int
cl_tls_bounded(struct cl *c, int min, int max, int seclevel)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(c->ctx);
	if (seclevel >= 0)
		SSL_CTX_set_security_level(c->ctx, seclevel);
	if (min != 0)
		SSL_CTX_set_min_proto_version(c->ctx, min);
	if (max != 0)
		SSL_CTX_set_max_proto_version(c->ctx, max);
	c->ssl = SSL_new(c->ctx);
	SSL_set_fd(c->ssl, c->fd);
	return SSL_connect(c->ssl);
}

/* The chain the server presented equals the fixtures ids (DER). */
static void
check_chain(struct cl *c, const char *leaf, const char *ca)
{
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(c->ssl);
	const char *ids[2] = {leaf, ca};
	int i;

	assert_non_null(sk);
	assert_int_equal(sk_X509_num(sk), 2);
	for (i = 0; i < 2; i++) {
		X509 *want = NULL;
		unsigned char *a = NULL, *b = NULL;
		int la, lb;

		assert_int_equal(pki_cert_load(fixtures(), ids[i], &want), 0);
		la = i2d_X509(sk_X509_value(sk, i), &a);
		lb = i2d_X509(want, &b);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, (size_t)la);
		OPENSSL_free(a);
		OPENSSL_free(b);
		X509_free(want);
	}
}

/* ---- events ---- */

/*
 * Wait until the event file has a line with every needle (a NULL ends
 * the list); true if so.
 */
static bool
ev_has_v(const char *n1, ...)
{
	const char *nd[12];
	size_t nn = 0, i;
	va_list ap;
	int tries;

	nd[nn++] = n1;
	va_start(ap, n1);
	while (nn < sizeof(nd) / sizeof(nd[0]) &&
	    (nd[nn] = va_arg(ap, const char *)) != NULL)
		nn++;
	va_end(ap);
	for (tries = 0; tries < 200; tries++) {
		FILE *fp = fopen(F.evpath, "r");
		char line[EVLOG_MAX_LINE + 2];
		bool found = false;

		assert_non_null(fp);
		while (!found && fgets(line, sizeof(line), fp) != NULL) {
			assert_true(line[0] == '{');
			assert_non_null(strstr(line, "\"v\":1,"));
			found = true;
			for (i = 0; i < nn && found; i++)
				found = strstr(line, nd[i]) != NULL;
		}
		fclose(fp);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}
#define ev_has(...) ev_has_v(__VA_ARGS__, (const char *)NULL)

/* No line of the event file has every needle (read once, no waiting). */
static bool
ev_none(const char *n1, const char *n2)
{
	FILE *fp = fopen(F.evpath, "r");
	char line[EVLOG_MAX_LINE + 2];
	bool found = false;

	assert_non_null(fp);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, n1) != NULL && strstr(line, n2) != NULL;
	fclose(fp);
	return !found;
}

/* ---- tests ---- */

static void
test_plain_session(void **state)
{
	struct cl c;
	char r[4096];
	DIR *dir;
	struct dirent *de;
	char path[512], msg[4096];
	FILE *fp;
	size_t n;
	bool found = false;

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 220);
	assert_non_null(strstr(r, "mx1.example.net"));
	assert_int_equal(cl_cmd(&c, "EHLO client.example", r, sizeof(r)), 250);
	assert_non_null(strstr(r, "250-STARTTLS"));
	assert_non_null(strstr(r, "PIPELINING"));
	assert_non_null(strstr(r, "SIZE 10000"));
	assert_non_null(strstr(r, "8BITMIME"));
	assert_int_equal(cl_cmd(&c, "NOOP", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "VRFY postmaster", NULL, 0), 252);
	assert_int_equal(cl_cmd(&c, "BOGUS", r, sizeof(r)), 500);
	assert_non_null(strstr(r, "5.5.2"));
	assert_int_equal(
	    cl_cmd(&c, "RCPT TO:<a@example.net>", r, sizeof(r)), 503);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:a@b", NULL, 0), 501);
	assert_int_equal(
	    cl_cmd(&c, "MAIL FROM:<s@example.org> BODY=8BITMIME", r, sizeof(r)),
	    250);
	assert_non_null(strstr(r, "2.1.0"));
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@example.org>", NULL, 0), 503);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<b@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	cl_send(&c, "Subject: hi\r\n\r\n..dotted\r\nline\r\n.\r\n", 34);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 250);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	assert_int_equal(cl_reply(&c, NULL, 0), -1);
	cl_close(&c);

	assert_true(ev_has("\"ev\":\"smtp.connect\"", "\"port\":", NULL));
	assert_true(ev_has(
	    "\"ev\":\"smtp.command\"", "\"verb\":\"RCPT\"", "\"code\":250"));
	assert_true(ev_has("\"ev\":\"smtp.message\"",
	    "\"rcpts\":[\"a@example.net\",\"b@example.net\"]",
	    "\"tls\":false"));
	assert_true(ev_has("\"ev\":\"smtp.command\"", "\"verb\":\"EHLO\"",
	    "\"starttls_offered\":true"));
	assert_true(ev_none("\"verb\":\"NOOP\"", "starttls_offered"));
	assert_true(ev_has("\"ev\":\"smtp.message\"", "\"tls\":false",
	    "\"handshake\":\"none\"", "\"accepted\":true"));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"how\":\"quit\"",
	    "\"starttls_offered\":true", "\"starttls_used\":false",
	    "\"handshake\":\"none\"", "\"alert\":null",
	    "\"delivered\":true", "\"messages\":1,", "\"messages_plain\":1,",
	    "\"messages_tls\":0"));
	assert_true(ev_none("\"ev\":\"smtp.close\"", "\"outcome\""));

	dir = opendir(F.maildir);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", F.maildir, de->d_name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		n = fread(msg, 1, sizeof(msg) - 1, fp);
		msg[n] = '\0';
		fclose(fp);
		found = true;
	}
	closedir(dir);
	assert_true(found);
	assert_non_null(strstr(msg, "X-Danelab-Mail-From: <s@example.org>"));
	assert_non_null(strstr(msg, "X-Danelab-Rcpt-To: <b@example.net>"));
	assert_non_null(strstr(msg, "\r\n.dotted\r\nline\r\n"));
	assert_null(strstr(msg, "..dotted"));
	stop();
}

static void
test_pipelining(void **state)
{
	struct cl c;
	char r[4096];
	static const char batch[] = "EHLO c\r\nMAIL FROM:<s@x.org>\r\n"
				    "RCPT TO:<a@example.net>\r\nDATA\r\n";
	static const char body[] = "hello\r\n.\r\nNOOP\r\nQUIT\r\n";

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	cl_send(&c, batch, sizeof(batch) - 1);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 250);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	assert_int_equal(cl_reply(&c, NULL, 0), 354);
	cl_send(&c, body, sizeof(body) - 1);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	assert_int_equal(cl_reply(&c, NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"messages_plain\":1,",
	    "\"messages_tls\":0"));
	stop();
}

static void
test_starttls(void **state)
{
	struct cl c;
	char r[4096];

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", r, sizeof(r)), 220);
	assert_non_null(strstr(r, "2.0.0"));
	assert_int_equal(cl_tls(&c, "mx1.example.net", false), 1);
	check_chain(&c, "mx-cur", "int-r3");
	/* RFC 3207 4.2: everything before TLS is forgotten. */
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", r, sizeof(r)), 503);
	assert_int_equal(cl_cmd(&c, "EHLO c", r, sizeof(r)), 250);
	assert_null(strstr(r, "STARTTLS"));
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 554);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	cl_send(&c, "x\r\n.\r\n", 6);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"result\":\"ok\"",
	    "\"sni\":\"mx1.example.net\""));
	assert_true(ev_has("\"ev\":\"smtp.tls\"",
	    "\"chain\":[\"mx-cur\",\"int-r3\"]", "\"version\":\"TLSv1.3\""));
	assert_true(ev_has("\"ev\":\"smtp.message\"", "\"tls\":true",
	    "\"handshake\":\"ok\""));
	/* The EHLO inside TLS offers no STARTTLS; the session's first did. */
	assert_true(ev_has("\"ev\":\"smtp.command\"", "\"verb\":\"EHLO\"",
	    "\"tls\":true", "\"starttls_offered\":false"));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"session\":1,",
	    "\"starttls_offered\":true", "\"starttls_used\":true",
	    "\"handshake\":\"ok\"", "\"alert\":null", "\"messages\":1,",
	    "\"messages_plain\":0,", "\"messages_tls\":1"));

	/* TLS 1.2, no SNI, no mail. */
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_int_equal(cl_tls_bounded(&c, 0, TLS1_2_VERSION, -1), 1);
	check_chain(&c, "mx-cur", "int-r3");
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has(
	    "\"ev\":\"smtp.tls\"", "\"version\":\"TLSv1.2\"", "\"sni\":null"));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"session\":2,",
	    "\"starttls_used\":true", "\"handshake\":\"ok\"",
	    "\"delivered\":false", "\"messages_plain\":0,",
	    "\"messages_tls\":0"));
	stop();
}

static void
test_starttls_injection(void **state)
{
	struct cl c;
	static const char inj[] = "STARTTLS\r\nMAIL FROM:<evil@x.org>\r\n";

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	cl_send(&c, inj, sizeof(inj) - 1);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_tls(&c, "mx1.example.net", false), 1);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	/* The injected MAIL was not taken: no transaction. */
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 503);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(
	    ev_has("\"ev\":\"smtp.starttls\"", "\"discarded\":24", NULL));
	stop();
}

static void
test_fault_off(void **state)
{
	struct cl c;
	char r[4096];

	start("off", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", r, sizeof(r)), 250);
	assert_null(strstr(r, "STARTTLS"));
	assert_int_equal(cl_cmd(&c, "STARTTLS", r, sizeof(r)), 502);
	assert_non_null(strstr(r, "5.5.1"));
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.starttls\"", "\"offered\":false",
	    "\"result\":\"not-offered\""));
	assert_true(ev_has("\"ev\":\"smtp.command\"", "\"verb\":\"EHLO\"",
	    "\"starttls_offered\":false"));
	/* Sent although not offered: used, no handshake. */
	assert_true(ev_has("\"ev\":\"smtp.close\"",
	    "\"starttls_offered\":false", "\"starttls_used\":true",
	    "\"handshake\":\"none\"", "\"delivered\":false"));
	stop();
}

static void
test_fault_reject(void **state)
{
	struct cl c;
	char r[4096];

	/* A STARTTLS fault overrides the host's own "on". */
	start("on",
	    "faults:\n  - starttls: reject\n    host: mx1.example.net\n", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", r, sizeof(r)), 250);
	assert_non_null(strstr(r, "STARTTLS"));
	assert_int_equal(cl_cmd(&c, "STARTTLS", r, sizeof(r)), 454);
	assert_non_null(strstr(r, "4.7.0"));
	/* Still usable in plaintext. */
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.starttls\"", "\"fault\":\"reject\"",
	    "\"code\":454"));
	assert_true(ev_has("\"ev\":\"smtp.close\"",
	    "\"starttls_offered\":true", "\"starttls_used\":true",
	    "\"handshake\":\"none\""));
	stop();
}

static void
test_fault_handshake(void **state)
{
	struct cl c;

	start("handshake-failure", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_true(cl_tls(&c, "mx1.example.net", false) != 1);
	ERR_clear_error();
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"result\":\"failed\"",
	    "\"fault\":\"handshake-failure\""));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"starttls_used\":true",
	    "\"handshake\":\"failed\"", "\"how\":\"server-abort\""));
	stop();
}

/* tls-min/tls-max: an old server that speaks only TLS 1.0 and 1.1. */
static void
test_tls_versions(void **state)
{
	struct cl c;

	(void)state;
	start("on\n    tls-min: \"1.0\"\n    tls-max: \"1.1\"", "", 0);
	/* A current client (TLS 1.2 and up) gets no handshake. */
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_true(cl_tls_bounded(&c, TLS1_2_VERSION, 0, -1) != 1);
	ERR_clear_error();
	cl_close(&c);
	/* One that still speaks TLS 1.1 (security level 0) gets it. */
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_int_equal(cl_tls_bounded(&c, TLS1_VERSION, 0, 0), 1);
	assert_int_equal(SSL_version(c.ssl), TLS1_1_VERSION);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"result\":\"failed\"",
	    NULL));
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"result\":\"ok\"",
	    "\"version\":\"TLSv1.1\""));
	stop();
}

static void
test_client_alert(void **state)
{
	struct cl c;

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	/* Verification against an empty store: the client aborts. */
	assert_true(cl_tls(&c, "mx1.example.net", true) != 1);
	ERR_clear_error();
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"result\":\"failed\"",
	    "\"client_alert\":\"unknown CA\""));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"handshake\":\"failed\"",
	    "\"alert\":\"unknown CA\"", "\"tls\":false"));
	stop();
}

static void
test_long_line_nul(void **state)
{
	struct cl c;
	char big[3000];
	char r[4096];

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	memset(big, 'A', sizeof(big));
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	cl_send(&c, big, sizeof(big));
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 500);
	assert_non_null(strstr(r, "5.5.2"));
	/* Exactly 512 with CRLF is fine; 513 is not. */
	memcpy(big, "NOOP ", 5);
	memcpy(big + 510, "\r\n", 2);
	cl_send(&c, big, 512);
	assert_int_equal(cl_reply(&c, NULL, 0), 250);
	memcpy(big + 511, "\r\n", 2);
	big[510] = 'A';
	cl_send(&c, big, 513);
	assert_int_equal(cl_reply(&c, NULL, 0), 500);
	cl_send(&c, "NO\0OP\r\n", 7);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 500);
	assert_non_null(strstr(r, "NUL"));
	assert_int_equal(cl_cmd(&c, "NOOP", NULL, 0), 250);
	/* Long text lines and NUL in DATA reject the message. */
	assert_int_equal(cl_cmd(&c, "HELO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	memset(big, 'b', 1500);
	memcpy(big + 1500, "\r\n.\r\n", 5);
	cl_send(&c, big, 1505);
	assert_int_equal(cl_reply(&c, NULL, 0), 500);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	cl_send(&c, "a\0b\r\n.\r\n", 8);
	assert_int_equal(cl_reply(&c, NULL, 0), 500);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(
	    ev_has("\"ev\":\"smtp.message\"", "\"accepted\":false", NULL));
	assert_true(ev_has("\"ev\":\"smtp.command\"", "\"verb\":\"HELO\"",
	    "\"starttls_offered\":false"));
	/* HELO only: nothing offered; rejected messages are not counted. */
	assert_true(ev_has("\"ev\":\"smtp.close\"",
	    "\"starttls_offered\":false", "\"starttls_used\":false",
	    "\"handshake\":\"none\"", "\"delivered\":false",
	    "\"messages\":0,", "\"messages_plain\":0,"));
	stop();
}

/* Files in the maildir (messages stored, or half-written ones left). */
static int
maildir_files(void)
{
	struct dirent *de;
	DIR *dir;
	int n = 0;

	assert_non_null(dir = opendir(F.maildir));
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static void
test_size_limit(void **state)
{
	struct cl c;
	char r[4096], line[100];
	int i;

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "EHLO c", NULL, 0), 250);
	assert_int_equal(
	    cl_cmd(&c, "MAIL FROM:<s@x.org> SIZE=20000", r, sizeof(r)), 552);
	assert_non_null(strstr(r, "5.3.4"));
	assert_int_equal(
	    cl_cmd(&c, "MAIL FROM:<s@x.org> SIZE=x", NULL, 0), 501);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org> FOO=1", NULL, 0), 555);
	assert_int_equal(
	    cl_cmd(&c, "MAIL FROM:<s@x.org> BODY=7BIT", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RSET", NULL, 0), 250);
	assert_int_equal(
	    cl_cmd(&c, "MAIL FROM:<s@x.org> SIZE=100", NULL, 0), 250);
	for (i = 0; i < 101; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<r%d@example.net>", i);
		assert_int_equal(
		    cl_cmd(&c, line, NULL, 0), i < 100 ? 250 : 452);
	}
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	memset(line, 'x', 98);
	memcpy(line + 98, "\r\n", 2);
	for (i = 0; i < 120; i++)
		cl_send(&c, line, 100);
	cl_send(&c, ".\r\n", 3);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 552);
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has(
	    "\"ev\":\"smtp.message\"", "\"size\":12000", "\"code\":552"));
	/* Written as it came, removed when refused. */
	assert_int_equal(maildir_files(), 0);
	stop();
}

static void
test_idle_timeout(void **state)
{
	struct cl c;
	char r[4096];

	start("on", "", 200);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	usleep(500000);
	assert_int_equal(cl_reply(&c, r, sizeof(r)), 421);
	assert_non_null(strstr(r, "4.4.2"));
	assert_int_equal(cl_reply(&c, NULL, 0), -1);
	cl_close(&c);
	assert_true(
	    ev_has("\"ev\":\"smtp.close\"", "\"how\":\"timeout\"", NULL));
	/* Stalled inside the handshake: no 421 possible, just closed. */
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	usleep(500000);
	assert_int_equal(cl_reply(&c, NULL, 0), -1);
	cl_close(&c);
	assert_true(
	    ev_has("\"ev\":\"smtp.tls\"", "\"error\":\"timeout\"", NULL));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"how\":\"timeout\"",
	    "\"handshake\":\"failed\""));
	stop();
}

static void
test_set_world(void **state)
{
	struct cl c, old;
	struct dl_diags d;

	start("on", "", 0);
	/* A session that connected before the swap, TLS not started. */
	cl_open(&old, F.port);
	assert_int_equal(cl_reply(&old, NULL, 0), 220);

	F.sc2 = load("mx-next", "reject", "");
	F.w2 = build(F.sc2);
	dl_diags_init(&d);
	assert_int_equal(smtp_server_set_world(F.srv, F.w2, &d), 0);
	dl_diags_clear(&d);
	/* The old world is no longer used: free it now (ASan checks). */
	world_free(F.w);
	F.w = NULL;
	/* mx1 rejects now, mx2 (port + 1) is unchanged. */
	assert_int_equal(cl_cmd(&old, "STARTTLS", NULL, 0), 454);
	cl_close(&old);
	cl_open(&c, smtp_server_host_port(F.srv, 1));
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_int_equal(cl_tls(&c, "mx2.example.net", false), 1);
	check_chain(&c, "mx-other", "int-r3");
	cl_close(&c);
	stop();

	/* The new chain for new sessions. */
	start("on", "", 0);
	F.sc2 = load("mx-next", "on", "");
	F.w2 = build(F.sc2);
	dl_diags_init(&d);
	assert_int_equal(smtp_server_set_world(F.srv, F.w2, &d), 0);
	dl_diags_clear(&d);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	assert_int_equal(cl_tls(&c, "mx1.example.net", false), 1);
	check_chain(&c, "mx-next", "int-r3");
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has(
	    "\"ev\":\"smtp.tls\"", "\"chain\":[\"mx-next\",\"int-r3\"]", NULL));
	stop();
}

/* STARTTLS on mx2 with SNI sni (NULL: none), TLS 1.2 if tls12. */
static void
sni_session(struct cl *c, const char *sni, bool tls12)
{
	cl_open(c, smtp_server_host_port(F.srv, 1));
	assert_int_equal(cl_reply(c, NULL, 0), 220);
	assert_int_equal(cl_cmd(c, "STARTTLS", NULL, 0), 220);
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(c->ctx);
	if (tls12)
		SSL_CTX_set_max_proto_version(c->ctx, TLS1_2_VERSION);
	c->ssl = SSL_new(c->ctx);
	if (sni != NULL)
		SSL_set_tlsext_host_name(c->ssl, sni);
	SSL_set_fd(c->ssl, c->fd);
	assert_int_equal(SSL_connect(c->ssl), 1);
}

/*
 * `sni:` chains: a client sending a listed name (any case) gets that
 * name's chain, TLS 1.2 or 1.3; no SNI or another name gets the default
 * chain; the smtp.tls event names the chain served.
 */
static void
test_sni_chains(void **state)
{
	struct cl c;

	(void)state;
	start("on", "    sni: { mx2.example.net: [mx-next, int-r3], "
	    "mail.example.com: [mx-cur-e1, int-e1] }\n", 0);
	sni_session(&c, "MX2.Example.NET", false);
	check_chain(&c, "mx-next", "int-r3");
	assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"sni\":\"MX2.Example.NET\"",
	    "\"chain\":[\"mx-next\",\"int-r3\"]"));

	sni_session(&c, "mail.example.com", true);
	check_chain(&c, "mx-cur-e1", "int-e1");
	cl_close(&c);

	sni_session(&c, NULL, false);
	check_chain(&c, "mx-other", "int-r3");
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"sni\":null",
	    "\"chain\":[\"mx-other\",\"int-r3\"]"));

	sni_session(&c, "mx1.example.net", true);
	check_chain(&c, "mx-other", "int-r3");
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"sni\":\"mx1.example.net\"",
	    "\"chain\":[\"mx-other\",\"int-r3\"]"));
	stop();
}

static void
test_abrupt(void **state)
{
	struct cl c;
	int i;

	start("on", "", 0);
	/* Disconnect mid-DATA, mid-handshake, then a normal session. */
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "HELO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "RCPT TO:<a@example.net>", NULL, 0), 250);
	assert_int_equal(cl_cmd(&c, "DATA", NULL, 0), 354);
	cl_send(&c, "partial", 7);
	cl_close(&c);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	assert_int_equal(cl_cmd(&c, "STARTTLS", NULL, 0), 220);
	cl_send(&c, "\x16\x03\x01\x00\x05garbage", 12);
	cl_close(&c);
	for (i = 0; i < 3; i++) {
		cl_open(&c, F.port);
		assert_int_equal(cl_reply(&c, NULL, 0), 220);
		assert_int_equal(cl_cmd(&c, "QUIT", NULL, 0), 221);
		cl_close(&c);
	}
	assert_true(
	    ev_has("\"ev\":\"smtp.close\"", "\"how\":\"client-eof\"", NULL));
	/* The message cut off mid-DATA left no file behind. */
	assert_int_equal(maildir_files(), 0);
	stop();
}

/*
 * A client that ends the message and goes at once, without reading the
 * 250: the message and its session are in the events all the same.
 */
static void
test_message_then_gone(void **state)
{
	struct cl c;
	static const char all[] = "EHLO c\r\nMAIL FROM:<s@x.org>\r\n"
				  "RCPT TO:<a@example.net>\r\nDATA\r\n"
				  "Subject: bye\r\n\r\nx\r\n.\r\n";

	start("on", "", 0);
	cl_open(&c, F.port);
	assert_int_equal(cl_reply(&c, NULL, 0), 220);
	cl_send(&c, all, sizeof(all) - 1);
	cl_close(&c);
	assert_true(ev_has("\"ev\":\"smtp.message\"", "\"accepted\":true",
	    "\"code\":250", "\"handshake\":\"none\""));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"messages_plain\":1,",
	    "\"delivered\":true"));
	stop();
}

/*
 * The server stops with sessions open: each gets its smtp.close (how
 * server-abort), written by the loop as it ends; a handshake in flight
 * gets its smtp.tls (failed) first.
 */
static void
test_shutdown_close(void **state)
{
	struct cl a, b;

	start("on", "", 0);
	cl_open(&a, F.port);
	assert_int_equal(cl_reply(&a, NULL, 0), 220);
	assert_int_equal(cl_cmd(&a, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&a, "MAIL FROM:<s@x.org>", NULL, 0), 250);
	cl_open(&b, F.port);
	assert_int_equal(cl_reply(&b, NULL, 0), 220);
	assert_int_equal(cl_cmd(&b, "EHLO c", NULL, 0), 250);
	assert_int_equal(cl_cmd(&b, "STARTTLS", NULL, 0), 220);
	/* Both sessions are open; stop the loop, keep the server. */
	smtp_server_stop(F.srv);
	pthread_join(F.th, NULL);
	F.joined = true;
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"session\":1,",
	    "\"how\":\"server-abort\"", "\"starttls_offered\":true",
	    "\"starttls_used\":false", "\"handshake\":\"none\""));
	assert_true(ev_has("\"ev\":\"smtp.tls\"", "\"session\":2,",
	    "\"result\":\"failed\"", "\"error\":\"server shutdown\""));
	assert_true(ev_has("\"ev\":\"smtp.close\"", "\"session\":2,",
	    "\"how\":\"server-abort\"", "\"starttls_used\":true",
	    "\"handshake\":\"failed\""));
	/* The clients see the connection closed. */
	assert_int_equal(cl_reply(&a, NULL, 0), -1);
	cl_close(&a);
	cl_close(&b);
	stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_session),
	    cmocka_unit_test(test_pipelining),
	    cmocka_unit_test(test_starttls),
	    cmocka_unit_test(test_starttls_injection),
	    cmocka_unit_test(test_fault_off),
	    cmocka_unit_test(test_fault_reject),
	    cmocka_unit_test(test_fault_handshake),
	    cmocka_unit_test(test_tls_versions),
	    cmocka_unit_test(test_client_alert),
	    cmocka_unit_test(test_long_line_nul),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_set_world),
	    cmocka_unit_test(test_sni_chains),
	    cmocka_unit_test(test_abrupt),
	    cmocka_unit_test(test_message_then_gone),
	    cmocka_unit_test(test_shutdown_close),
	};

	/* The test's own TLS clients write to sockets the server may close. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
