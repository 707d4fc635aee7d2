/*
 * tlsa_probe.c -- ask a resolver for one name and type until it gives a
 * validated answer; print when.  Used by run_bench.py (compiled there
 * with cc), for danelab and for NSD + unbound alike.
 *
 *   tlsa_probe ADDR PORT QNAME [QTYPE [INTERVAL_MS [TIMEOUT_MS]]]
 *
 * One connected UDP socket.  A query (RD, AD, EDNS0 with DO, 1232
 * bytes) is sent; while no good answer has come, another (new ID) is
 * sent INTERVAL_MS (default 1) after the previous one, and a reply to
 * any of the queries sent counts.  A port that is not listening yet
 * (ECONNREFUSED) or a send error only means "not yet".  Success: a reply
 * with RCODE NOERROR, the AD bit, and at least one record of QTYPE
 * (default 52, TLSA) in the answer section.  Then it prints
 *
 *   ok START_NS DONE_NS QUERIES
 *
 * (CLOCK_MONOTONIC at its own start and at the good reply, the queries
 * sent) and exits 0.  After TIMEOUT_MS (default 20000): "timeout ..."
 * with the last RCODE seen, exit 1.  Usage errors exit 2.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The query with id 0; returns its length or 0 if qname is too long. */
static size_t
build_query(uint8_t *q, size_t cap, const char *qname, unsigned qtype)
{
	size_t n = 12, len;
	const char *p = qname, *dot;

	memset(q, 0, 12);
	q[2] = 0x01; /* RD */
	q[3] = 0x20; /* AD: we want to know what the resolver validated */
	q[5] = 1;    /* QDCOUNT */
	q[11] = 1;   /* ARCOUNT: OPT */
	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || n + len + 1 + 16 + 11 > cap)
			return 0;
		q[n++] = (uint8_t)len;
		memcpy(q + n, p, len);
		n += len;
		p += len;
		if (*p == '.')
			p++;
	}
	q[n++] = 0;
	q[n++] = (uint8_t)(qtype >> 8);
	q[n++] = (uint8_t)qtype;
	q[n++] = 0;
	q[n++] = 1; /* IN */
	/* OPT: root name, type 41, class = 1232, ttl 0 0 DO, rdlen 0 */
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 41;
	q[n++] = 1232 >> 8;
	q[n++] = 1232 & 0xff;
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 0x80;
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 0;
	return n;
}

/* Skip a (possibly compressed) name at off; returns the offset after it
 * or 0 on a malformed message. */
static size_t
skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		if (m[off] == 0)
			return off + 1;
		if ((m[off] & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if ((m[off] & 0xc0) != 0)
			return 0;
		off += 1 + m[off];
	}
	return 0;
}

/*
 * 1: a good answer; 0: an answer, not good (rcode set); -1: not ours
 * or malformed.
 */
static int
check_reply(const uint8_t *m, size_t len, uint16_t id_lo, uint16_t id_hi,
    const uint8_t *q, size_t qlen, unsigned qtype, int *rcode)
{
	uint16_t id, an, i, type, rdlen;
	size_t off, qsec = qlen - 12 - 11;

	if (len < 12 || (m[2] & 0x80) == 0)
		return -1;
	id = (uint16_t)(m[0] << 8 | m[1]);
	if ((uint16_t)(id - id_lo) > (uint16_t)(id_hi - id_lo))
		return -1;
	/* The question must be ours (case-sensitively: we sent it so). */
	if (m[4] != 0 || m[5] != 1 || len < 12 + qsec ||
	    memcmp(m + 12, q + 12, qsec) != 0)
		return -1;
	*rcode = m[3] & 0x0f;
	if (*rcode != 0 || (m[3] & 0x20) == 0)
		return 0;
	an = (uint16_t)(m[6] << 8 | m[7]);
	off = 12 + qsec;
	for (i = 0; i < an; i++) {
		off = skip_name(m, len, off);
		if (off == 0 || off + 10 > len)
			return 0;
		type = (uint16_t)(m[off] << 8 | m[off + 1]);
		rdlen = (uint16_t)(m[off + 8] << 8 | m[off + 9]);
		off += 10 + rdlen;
		if (off > len)
			return 0;
		if (type == qtype)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t t0 = now_ns(), interval, deadline, next, t;
	struct sockaddr_in sa;
	uint8_t q[512], r[4096];
	unsigned qtype = 52;
	uint16_t id0, id;
	unsigned long sent = 0;
	int fd, rcode = -1, timeout_ms, rc;
	size_t qlen;
	ssize_t n;
	struct pollfd pfd;

	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: tlsa_probe ADDR PORT QNAME [QTYPE "
		    "[INTERVAL_MS [TIMEOUT_MS]]]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "tlsa_probe: bad address %s\n", argv[1]);
		return 2;
	}
	if (argc > 4)
		qtype = (unsigned)atoi(argv[4]);
	interval = (argc > 5 ? strtoull(argv[5], NULL, 10) : 1) * 1000000ull;
	timeout_ms = argc > 6 ? atoi(argv[6]) : 20000;
	qlen = build_query(q, sizeof(q), argv[3], qtype);
	if (qlen == 0) {
		fprintf(stderr, "tlsa_probe: bad name %s\n", argv[3]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("tlsa_probe: socket");
		return 2;
	}
	/* Connected: a port nobody listens on yet shows as ECONNREFUSED. */
	(void)connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	id0 = (uint16_t)(t0 ^ (uint64_t)getpid() << 3);
	id = id0;
	deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
	next = t0;
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		t = now_ns();
		if (t >= deadline)
			break;
		if (t >= next) {
			q[0] = (uint8_t)(id >> 8);
			q[1] = (uint8_t)id;
			if (send(fd, q, qlen, 0) < 0 && errno == EBADF)
				break;
			sent++;
			id++;
			next = t + interval;
			continue;
		}
		rc = poll(&pfd, 1, (int)((next - t + 999999) / 1000000));
		if (rc <= 0)
			continue;
		n = recv(fd, r, sizeof(r), 0);
		if (n < 0)
			continue; /* ECONNREFUSED: not listening yet */
		rc = check_reply(r, (size_t)n, id0, (uint16_t)(id - 1), q,
		    qlen, qtype, &rcode);
		if (rc == 1) {
			printf("ok %llu %llu %lu\n", (unsigned long long)t0,
			    (unsigned long long)now_ns(), sent);
			fflush(stdout);
			return 0;
		}
	}
	printf("timeout %llu %llu %lu rcode %d\n", (unsigned long long)t0,
	    (unsigned long long)now_ns(), sent, rcode);
	return 1;
}
