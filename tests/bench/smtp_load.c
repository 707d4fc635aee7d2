/*
 * smtp_load.c -- load generator for tests/bench/smtp_bench.py: full
 * STARTTLS sessions (connect, EHLO, STARTTLS, TLS handshake, EHLO, MAIL,
 * RCPT, DATA, QUIT) against one SMTP server, from N threads in parallel,
 * each doing sessions back to back with blocking sockets for D seconds.
 * Every handshake is a full one (no session resumption).
 *
 *   smtp_load HOST PORT THREADS SECONDS
 *
 * Prints "sessions N failed F seconds S rate R" (R = completed sessions
 * per second).  Built by smtp_bench.py with cc (-lssl -lcrypto -lpthread).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static struct sockaddr_in target;
static SSL_CTX *ctx;
static double deadline;
static const char *sni = "mx1.example.net";

struct worker {
	pthread_t th;
	long ok, failed;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conn {
	int fd;
	SSL *ssl;
	char buf[8192];
	size_t len;
};

static int
c_read(struct conn *c)
{
	ssize_t n;

	if (c->len >= sizeof(c->buf))
		return -1;
	if (c->ssl != NULL)
		n = SSL_read(
		    c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - c->len));
	else
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	return 0;
}

/* One complete reply; its code, or -1. */
static int
c_reply(struct conn *c)
{
	for (;;) {
		size_t i, start = 0;

		for (i = 0; i < c->len; i++) {
			if (c->buf[i] != '\n')
				continue;
			if (i - start >= 3 && c->buf[start + 3] == ' ') {
				int code = atoi(c->buf + start);

				memmove(c->buf, c->buf + i + 1, c->len - i - 1);
				c->len -= i + 1;
				return code;
			}
			start = i + 1;
		}
		if (c_read(c) != 0)
			return -1;
	}
}

static int
c_send(struct conn *c, const char *s)
{
	size_t n = strlen(s);

	if (c->ssl != NULL)
		return SSL_write(c->ssl, s, (int)n) == (int)n ? 0 : -1;
	return send(c->fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int
c_cmd(struct conn *c, const char *s)
{
	if (c_send(c, s) != 0)
		return -1;
	return c_reply(c);
}

static bool
session(void)
{
	struct conn c;
	struct timeval tv = {10, 0};
	bool ok = false;
	int one = 1;

	memset(&c, 0, sizeof(c));
	if ((c.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return false;
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c.fd, (struct sockaddr *)&target, sizeof(target)) != 0)
		goto out;
	if (c_reply(&c) != 220 || c_cmd(&c, "EHLO load.example\r\n") != 250 ||
	    c_cmd(&c, "STARTTLS\r\n") != 220)
		goto out;
	c.len = 0;
	if ((c.ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_tlsext_host_name(c.ssl, sni);
	SSL_set_fd(c.ssl, c.fd);
	if (SSL_connect(c.ssl) != 1)
		goto out;
	if (c_cmd(&c, "EHLO load.example\r\n") != 250 ||
	    c_cmd(&c, "MAIL FROM:<load@example.org>\r\n") != 250 ||
	    c_cmd(&c, "RCPT TO:<postmaster@example.net>\r\n") != 250 ||
	    c_cmd(&c, "DATA\r\n") != 354 ||
	    c_cmd(&c,
		"From: load@example.org\r\nTo: postmaster@example.net\r\n"
		"Subject: load\r\n\r\nA benchmark message.\r\n.\r\n") != 250 ||
	    c_cmd(&c, "QUIT\r\n") != 221)
		goto out;
	ok = true;
out:
	if (c.ssl != NULL) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	ERR_clear_error();
	close(c.fd);
	return ok;
}

static void *
run(void *arg)
{
	struct worker *w = arg;

	while (now() < deadline) {
		if (session())
			w->ok++;
		else
			w->failed++;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct worker *ws;
	long ok = 0, failed = 0;
	double t0, secs;
	int i, n;

	if (argc != 5) {
		fprintf(stderr, "usage: smtp_load host port threads seconds\n");
		return 2;
	}
	memset(&target, 0, sizeof(target));
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1)
		return 2;
	n = atoi(argv[3]);
	secs = atof(argv[4]);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	ws = calloc((size_t)n, sizeof(*ws));
	t0 = now();
	deadline = t0 + secs;
	for (i = 0; i < n; i++)
		pthread_create(&ws[i].th, NULL, run, &ws[i]);
	for (i = 0; i < n; i++) {
		pthread_join(ws[i].th, NULL);
		ok += ws[i].ok;
		failed += ws[i].failed;
	}
	secs = now() - t0;
	printf("sessions %ld failed %ld seconds %.3f rate %.1f\n", ok, failed,
	    secs, (double)ok / secs);
	SSL_CTX_free(ctx);
	free(ws);
	return 0;
}
