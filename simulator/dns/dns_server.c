/*
 * dns_server.c -- sockets and the event loop of the authoritative server.
 *
 * Owns: one UDP and one TCP socket per served address, an epoll loop in
 * the thread that calls dns_server_run(), UDP in batches (recvmmsg,
 * sendmmsg), non-blocking TCP connections with their buffers (RFC 7766:
 * several queries per connection, answered in order; bounded count,
 * idle timeout and lifetime, output bounded by stopping reading; what
 * to do when descriptors run out), the stop and
 * world-swap signals (handoff.h), and the dns.query / dns.fault events.
 * Does not own: answers (dns_engine.c).
 */
#define _GNU_SOURCE /* accept4, recvmmsg, sendmmsg */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "simulator/dns/dns_int.h"
#include "simulator/util/fdlimit.h"
#include "simulator/util/handoff.h"
#include "simulator/util/xmem.h"

#define DNS_BATCH 64			 /* datagrams per recvmmsg */
#define DNS_UDP_RECV 4096		 /* largest query read over UDP */
#define DNS_UDP_SLOT (DNS_UDP_MAX + 256) /* room for one response */
#define DNS_TCP_OUT_HIGH (256 * 1024)	 /* stop reading above this */
#define DNS_EVENTS 64

enum dns_sock_kind {
	DNS_SK_UDP,
	DNS_SK_LISTEN,
	DNS_SK_CONN,
	DNS_SK_STOP,
	DNS_SK_SWAP,
};

/* Every registered descriptor starts with this (epoll data.ptr). */
struct dns_sock {
	enum dns_sock_kind kind;
	int fd;
	int view;
	char addr[16]; /* address served */
};

struct dns_conn {
	struct dns_sock sk; /* first: epoll data.ptr */
	struct sockaddr_in peer;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	uint32_t events; /* registered with epoll */
	bool eof;	 /* the client sent its last query */
	uint64_t start_ms; /* accepted */
	uint64_t last_ms;  /* last progress: a query read, an answer sent */
	struct dns_conn *prev, *next;
};

struct dns_server {
	struct dns_server_opts o;
	const struct world *w;	/* the first: its zones and addresses */
	bool single;
	/* The answer engine (ho.cur, the loop's), new ones from set_world. */
	struct handoff ho;
	struct dns_sock *socks; /* UDP and listening sockets */
	size_t n_socks;
	struct dns_sock stop;	/* ho.stop_fd, ho.swap_fd in epoll */
	struct dns_sock swap;
	int epfd;

	struct dns_conn *conns;
	size_t n_conns;
	uint64_t last_scan_ms;
	uint64_t paused_until; /* listeners not polled before; 0: polled */

	/* UDP batch buffers. */
	struct mmsghdr rmsg[DNS_BATCH], smsg[DNS_BATCH];
	struct iovec riov[DNS_BATCH], siov[DNS_BATCH];
	struct sockaddr_in raddr[DNS_BATCH];
	uint8_t rbuf[DNS_BATCH][DNS_UDP_RECV];
	uint8_t sbuf[DNS_BATCH][DNS_UDP_SLOT];
	uint8_t tbuf[DNS_MSG_MAX]; /* one TCP response */
};

static uint64_t
dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- events ---- */

static const char *
dns_class_name(uint16_t c, char *buf, size_t len)
{
	switch (c) {
	case LDNS_RR_CLASS_IN:
		return "IN";
	case LDNS_RR_CLASS_CH:
		return "CH";
	case LDNS_RR_CLASS_HS:
		return "HS";
	case LDNS_RR_CLASS_ANY:
		return "ANY";
	default:
		snprintf(buf, len, "CLASS%u", c);
		return buf;
	}
}

static void
dns_flags_json(uint16_t f, char *buf, size_t len)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} bits[] = {{DNS_F_QR, "qr"}, {DNS_F_AA, "aa"}, {DNS_F_TC, "tc"},
	    {DNS_F_RD, "rd"}, {0x0080, "ra"}, {0x0020, "ad"}, {DNS_F_CD, "cd"}};
	size_t i, o = 0;

	o += (size_t)snprintf(buf + o, len - o, "[");
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (f & bits[i].bit)
			o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"",
			    o > 1 ? "," : "", bits[i].name);
	snprintf(buf + o, len - o, "]");
}

static const char *
dns_result_name(const struct dns_result *r)
{
	switch (r->action) {
	case DNS_ACT_SEND:
		return "answered";
	case DNS_ACT_CLOSE:
		return "closed";
	case DNS_ACT_DROP:
		break;
	}
	return r->fault != NULL ? "dropped" : "ignored";
}

/* The fields dns.query and dns.fault share. */
static void
dns_ev_common(struct evlog_ev *e, const struct dns_server *s,
    const struct dns_sock *sk, const struct sockaddr_in *peer, bool tcp,
    const struct dns_result *r)
{
	char ip[INET_ADDRSTRLEN], client[INET_ADDRSTRLEN + 8], name[1024];
	char tb[16], cb[16];

	if (inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip)) == NULL)
		snprintf(ip, sizeof(ip), "?");
	snprintf(client, sizeof(client), "%s:%u", ip, ntohs(peer->sin_port));
	evlog_str(e, "server", sk->addr);
	evlog_int(e, "port", s->o.port);
	evlog_str(e, "client", client);
	evlog_str(e, "transport", tcp ? "tcp" : "udp");
	if (r->has_id)
		evlog_int(e, "id", r->id);
	if (r->has_question) {
		evlog_str(e, "qname",
		    dns_name_format(
			r->qname, r->qname_len, name, sizeof(name)));
		evlog_str(e, "qtype", dns_type_name(r->qtype, tb, sizeof(tb)));
		evlog_str(
		    e, "qclass", dns_class_name(r->qclass, cb, sizeof(cb)));
	}
}

static void
dns_log(const struct dns_server *s, const struct dns_sock *sk,
    const struct sockaddr_in *peer, bool tcp, const struct dns_result *r)
{
	struct evlog_ev e;
	char flags[64];
	char tb[16];

	if (s->o.log == NULL)
		return;
	evlog_begin(&e, s->o.log, "dns.query");
	dns_ev_common(&e, s, sk, peer, tcp, r);
	if (r->has_id)
		evlog_int(&e, "opcode", r->opcode);
	evlog_bool(&e, "edns", r->edns);
	if (r->edns) {
		evlog_bool(&e, "do", r->do_bit);
		evlog_int(&e, "bufsize", r->edns_size);
		evlog_int(&e, "edns_version", r->edns_version);
	}
	evlog_str(&e, "result", dns_result_name(r));
	if (r->action == DNS_ACT_SEND) {
		evlog_str(&e, "rcode", dns_rcode_name(r->rcode));
		dns_flags_json(r->flags, flags, sizeof(flags));
		evlog_raw(&e, "flags", flags);
		evlog_int(&e, "size", (long long)r->len);
	}
	evlog_str(&e, "kind", dns_kind_name(r->kind));
	evlog_str(&e, "zone", r->zone);
	evlog_str(&e, "fault",
	    r->fault != NULL ? scen_dns_fault_name(r->fault->dns) : NULL);
	evlog_end(&e);
	if (r->fault == NULL)
		return;

	evlog_begin(&e, s->o.log, "dns.fault");
	dns_ev_common(&e, s, sk, peer, tcp, r);
	evlog_str(&e, "fault", scen_dns_fault_name(r->fault->dns));
	evlog_str(&e, "fault_name", r->fault->name);
	evlog_str(&e, "fault_type",
	    r->fault->type != 0 ? dns_type_name(r->fault->type, tb, sizeof(tb))
				: "ANY");
	evlog_int(&e, "line", r->fault->pos.line);
	evlog_str(&e, "result", dns_result_name(r));
	if (r->action == DNS_ACT_SEND) {
		evlog_str(&e, "rcode", dns_rcode_name(r->rcode));
		dns_flags_json(r->flags, flags, sizeof(flags));
		evlog_raw(&e, "flags", flags);
	}
	evlog_end(&e);
}

/* ---- sockets ---- */

static int
dns_bind(
    const char *addr, uint16_t port, int type, int *out, struct dl_diags *diags)
{
	struct sockaddr_in sa;
	int fd, one = 1, rcvbuf = 4 << 20, saved;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return dl_error(diags, NULL, 0, 0, "bad address %s", addr);
	if ((fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM)
		(void)setsockopt(
		    fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	dl_error(diags, NULL, 0, 0,
	    "cannot serve DNS over %s on %s port %u: %s",
	    type == SOCK_DGRAM ? "UDP" : "TCP", addr, port, strerror(errno));
	return DL_EIO;
}

static int
dns_epoll_add(struct dns_server *s, struct dns_sock *sk, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = sk;
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, sk->fd, &ev);
}

/* The engine the loop answers with. */
static inline struct dns_engine *
dns_eng(const struct dns_server *s)
{
	return s->ho.cur;
}

static void
dns_engine_free_v(void *eng)
{
	dns_engine_free(eng);
}

int
dns_server_new(const struct world *w, const struct dns_server_opts *o,
    struct dns_server **out, struct dl_diags *diags)
{
	struct dns_server *s;
	struct dns_engine *eng;
	size_t i, n;
	int rc, e;

	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	if (s->o.port == 0)
		s->o.port = 53;
	if (s->o.tcp_idle_ms == 0)
		s->o.tcp_idle_ms = 10000;
	if (s->o.tcp_life_ms == 0)
		s->o.tcp_life_ms = 30000;
	if (s->o.max_tcp == 0)
		s->o.max_tcp = 256;
	s->o.max_tcp = fdlimit_bound(s->o.max_tcp, 4);
	s->w = w;
	s->single = o->single_addr != NULL;
	s->epfd = s->stop.fd = s->swap.fd = -1;
	s->ho.stop_fd = s->ho.swap_fd = -1;
	if ((rc = dns_engine_new(w, s->single, &eng, diags)) != 0)
		goto fail;
	if ((e = handoff_init(&s->ho, eng, dns_engine_free_v)) != 0) {
		dns_engine_free(eng);
		dl_error(diags, NULL, 0, 0, "eventfd: %s", strerror(-e));
		rc = DL_EIO;
		goto fail;
	}
	s->stop.fd = s->ho.stop_fd;
	s->swap.fd = s->ho.swap_fd;

	n = s->single ? 1 : w->n_zones;
	s->socks = xcalloc(2 * n, sizeof(*s->socks));
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		dl_error(diags, NULL, 0, 0, "epoll: %s", strerror(errno));
		rc = DL_EIO;
		goto fail;
	}
	s->stop.kind = DNS_SK_STOP;
	s->swap.kind = DNS_SK_SWAP;
	for (i = 0; i < n; i++) {
		const char *addr =
		    s->single ? o->single_addr : w->zones[i].ns_addr;
		int k;

		for (k = 0; k < 2; k++) {
			struct dns_sock *sk = &s->socks[s->n_socks];

			sk->kind = k == 0 ? DNS_SK_UDP : DNS_SK_LISTEN;
			sk->view = (int)i;
			snprintf(sk->addr, sizeof(sk->addr), "%s", addr);
			if ((rc = dns_bind(addr, s->o.port,
				 k == 0 ? SOCK_DGRAM : SOCK_STREAM, &sk->fd,
				 diags)) != 0)
				goto fail;
			s->n_socks++;
			if (dns_epoll_add(s, sk, EPOLLIN) != 0) {
				rc = DL_EIO;
				goto fail;
			}
		}
	}
	if (dns_epoll_add(s, &s->stop, EPOLLIN) != 0 ||
	    dns_epoll_add(s, &s->swap, EPOLLIN) != 0) {
		rc = DL_EIO;
		goto fail;
	}
	for (i = 0; i < DNS_BATCH; i++) {
		s->riov[i].iov_base = s->rbuf[i];
		s->riov[i].iov_len = sizeof(s->rbuf[i]);
		s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
		s->rmsg[i].msg_hdr.msg_iovlen = 1;
		s->rmsg[i].msg_hdr.msg_name = &s->raddr[i];
	}
	*out = s;
	return 0;
fail:
	dns_server_free(s);
	return rc;
}

uint16_t
dns_server_port(const struct dns_server *s)
{
	return s->o.port;
}

/* ---- TCP connections ---- */

static void
dns_conn_close(struct dns_server *s, struct dns_conn *c, bool reset)
{
	if (reset) {
		struct linger l = {1, 0};

		(void)setsockopt(
		    c->sk.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	(void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->sk.fd, NULL);
	close(c->sk.fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_conns--;
	free(c->in);
	free(c->out);
	free(c);
}

/*
 * Read while the output is below the high mark and the client has not
 * finished; write while output is pending; after the client's EOF, close
 * once everything is sent (RFC 7766 6.2.1: answers to queries already
 * received are still sent).
 */
static void
dns_conn_events(struct dns_server *s, struct dns_conn *c)
{
	size_t pending = c->out_len - c->out_off;
	uint32_t ev = 0;
	struct epoll_event e;

	if (c->eof && pending == 0) {
		dns_conn_close(s, c, false);
		return;
	}
	if (pending < DNS_TCP_OUT_HIGH && !c->eof)
		ev |= EPOLLIN | EPOLLRDHUP;
	if (pending > 0)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->sk.fd, &e);
	c->events = ev;
}

static void
dns_conn_queue(struct dns_conn *c, const uint8_t *msg, size_t len)
{
	size_t need;

	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + 2 + len;
	if (need > c->out_cap) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off,
			    c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
			need = c->out_len + 2 + len;
		}
		if (need > c->out_cap) {
			c->out_cap = need < 4096 ? 4096 : need * 2;
			c->out = xreallocarray(c->out, c->out_cap, 1);
		}
	}
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += 2 + len;
}

/* Write what can be written; false if the connection was closed. */
static bool
dns_conn_flush(struct dns_server *s, struct dns_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->sk.fd, c->out + c->out_off,
		    c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			dns_conn_close(s, c, false);
			return false;
		}
		c->out_off += (size_t)n;
		c->last_ms = dns_now_ms();
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return true;
}

/*
 * Answer the complete messages in the input buffer, in order, while the
 * output stays below the high mark.  False if the connection was closed.
 */
static bool
dns_conn_process(struct dns_server *s, struct dns_conn *c)
{
	size_t off = 0;

	while (c->in_len - off >= 2 &&
	    c->out_len - c->out_off < DNS_TCP_OUT_HIGH) {
		size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
		struct dns_result r;

		if (mlen < DNS_HDR) {
			/* Not a DNS message: nothing sensible to answer. */
			dns_conn_close(s, c, false);
			return false;
		}
		if (c->in_len - off < 2 + mlen)
			break;
		(void)dns_engine_answer(dns_eng(s), c->sk.view, DNS_TCP,
		    c->in + off + 2, mlen, s->tbuf, sizeof(s->tbuf), &r);
		dns_log(s, &c->sk, &c->peer, true, &r);
		off += 2 + mlen;
		if (r.action == DNS_ACT_CLOSE) {
			dns_conn_close(s, c, true);
			return false;
		}
		if (r.action == DNS_ACT_SEND)
			dns_conn_queue(c, s->tbuf, r.len);
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
		c->last_ms = dns_now_ms();
	}
	return true;
}

static void
dns_conn_read(struct dns_server *s, struct dns_conn *c)
{
	for (;;) {
		size_t want, mlen;
		ssize_t n;

		if (c->out_len - c->out_off >= DNS_TCP_OUT_HIGH)
			break;
		/* Room for the message being read (2 + length), bounded. */
		mlen = c->in_len >= 2 ? ((size_t)c->in[0] << 8 | c->in[1]) : 0;
		want = c->in_len + 4096;
		if (want < 2 + mlen)
			want = 2 + mlen;
		if (want > 2 + DNS_MSG_MAX + 4096)
			want = 2 + DNS_MSG_MAX + 4096;
		if (want > c->in_cap) {
			c->in = xreallocarray(c->in, want, 1);
			c->in_cap = want;
		}
		if (c->in_len == c->in_cap) {
			/* Full of partial data: cannot happen (a message
			 * always fits); be safe. */
			dns_conn_close(s, c, false);
			return;
		}
		n = recv(c->sk.fd, c->in + c->in_len, c->in_cap - c->in_len,
		    MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == 0) {
			c->eof = true;
			break;
		}
		if (n < 0) {
			dns_conn_close(s, c, false);
			return;
		}
		c->in_len += (size_t)n;
		if (!dns_conn_process(s, c))
			return;
	}
	if (!dns_conn_flush(s, c))
		return;
	dns_conn_events(s, c);
}

static void
dns_conn_write(struct dns_server *s, struct dns_conn *c)
{
	if (!dns_conn_flush(s, c))
		return;
	/* Below the mark again: answer what was read meanwhile. */
	if (!dns_conn_process(s, c) || !dns_conn_flush(s, c))
		return;
	dns_conn_events(s, c);
}

/*
 * Out of descriptors: stop polling the TCP listeners for
 * FDLIMIT_PAUSE_MS (a readable listener that cannot be accepted from
 * would be reported again at once: a busy loop).  UDP goes on.
 */
static void
dns_listen_pause(struct dns_server *s)
{
	struct epoll_event ev;
	size_t i;

	if (s->paused_until != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < s->n_socks; i++) {
		if (s->socks[i].kind != DNS_SK_LISTEN)
			continue;
		ev.data.ptr = &s->socks[i];
		(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->socks[i].fd, &ev);
	}
	s->paused_until = dns_now_ms() + FDLIMIT_PAUSE_MS;
}

static void
dns_listen_resume(struct dns_server *s)
{
	struct epoll_event ev;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	for (i = 0; i < s->n_socks; i++) {
		if (s->socks[i].kind != DNS_SK_LISTEN)
			continue;
		ev.data.ptr = &s->socks[i];
		(void)epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->socks[i].fd, &ev);
	}
	s->paused_until = 0;
}

static void
dns_accept(struct dns_server *s, struct dns_sock *lsk)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		struct dns_conn *c;
		int fd, one = 1;

		fd = accept4(lsk->fd, (struct sockaddr *)&peer, &plen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && fdlimit_exhausted(errno)) {
			dns_listen_pause(s);
			return;
		}
		if (fd < 0)
			return; /* EAGAIN, or the client went away */
		if (s->n_conns >= s->o.max_tcp) {
			close(fd);
			continue;
		}
		(void)setsockopt(
		    fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xcalloc(1, sizeof(*c));
		c->sk.kind = DNS_SK_CONN;
		c->sk.fd = fd;
		c->sk.view = lsk->view;
		memcpy(c->sk.addr, lsk->addr, sizeof(c->sk.addr));
		c->peer = peer;
		c->start_ms = c->last_ms = dns_now_ms();
		c->events = EPOLLIN | EPOLLRDHUP;
		if (dns_epoll_add(s, &c->sk, c->events) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
	}
}

static void
dns_idle_scan(struct dns_server *s, uint64_t now)
{
	struct dns_conn *c, *nx;

	s->last_scan_ms = now;
	for (c = s->conns; c != NULL; c = nx) {
		nx = c->next;
		if (now - c->last_ms >= s->o.tcp_idle_ms ||
		    now - c->start_ms >= s->o.tcp_life_ms)
			dns_conn_close(s, c, false);
	}
}

/* ---- UDP ---- */

static void
dns_udp(struct dns_server *s, struct dns_sock *sk)
{
	int round, n, i, ns, sent;

	for (round = 0; round < 16; round++) {
		for (i = 0; i < DNS_BATCH; i++)
			s->rmsg[i].msg_hdr.msg_namelen = sizeof(s->raddr[i]);
		n = recvmmsg(sk->fd, s->rmsg, DNS_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = 0, ns = 0; i < n; i++) {
			struct dns_result r;

			(void)dns_engine_answer(dns_eng(s), sk->view, DNS_UDP,
			    s->rbuf[i], s->rmsg[i].msg_len, s->sbuf[ns],
			    sizeof(s->sbuf[ns]), &r);
			dns_log(s, sk, &s->raddr[i], false, &r);
			if (r.action != DNS_ACT_SEND)
				continue;
			s->siov[ns].iov_base = s->sbuf[ns];
			s->siov[ns].iov_len = r.len;
			memset(&s->smsg[ns], 0, sizeof(s->smsg[ns]));
			s->smsg[ns].msg_hdr.msg_iov = &s->siov[ns];
			s->smsg[ns].msg_hdr.msg_iovlen = 1;
			s->smsg[ns].msg_hdr.msg_name = &s->raddr[i];
			s->smsg[ns].msg_hdr.msg_namelen =
			    s->rmsg[i].msg_hdr.msg_namelen;
			ns++;
		}
		for (sent = 0; sent < ns;) {
			int k = sendmmsg(sk->fd, s->smsg + sent,
			    (unsigned)(ns - sent), MSG_DONTWAIT);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				/* A datagram the kernel refuses (a bad
				 * address, a full buffer): skip it. */
				sent++;
				continue;
			}
			sent += k;
		}
		if (n < DNS_BATCH)
			return;
	}
}

/* ---- the loop ---- */

int
dns_server_run(struct dns_server *s)
{
	struct epoll_event evs[DNS_EVENTS];
	uint64_t now;
	bool stop = false;
	int n, i, timeout, rc = 0;

	if (!handoff_begin(&s->ho))
		return DL_EINVAL;

	s->last_scan_ms = dns_now_ms();
	while (!stop) {
		timeout = s->n_conns > 0 ? 250 : -1;
		if (s->paused_until != 0)
			timeout = FDLIMIT_PAUSE_MS / 4;
		n = epoll_wait(s->epfd, evs, DNS_EVENTS, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = DL_EIO;
			break;
		}
		for (i = 0; i < n; i++) {
			struct dns_sock *sk = evs[i].data.ptr;

			switch (sk->kind) {
			case DNS_SK_STOP:
				handoff_stop_read(&s->ho);
				stop = true;
				break;
			case DNS_SK_SWAP:
				handoff_take(&s->ho);
				break;
			case DNS_SK_UDP:
				dns_udp(s, sk);
				break;
			case DNS_SK_LISTEN:
				dns_accept(s, sk);
				break;
			case DNS_SK_CONN:
				/* A connection closed earlier in this batch
				 * is not in a later event: epoll_wait never
				 * reports one descriptor twice. */
				if (evs[i].events & EPOLLOUT)
					dns_conn_write(
					    s, (struct dns_conn *)sk);
				else
					dns_conn_read(s, (struct dns_conn *)sk);
				break;
			}
			if (stop)
				break;
		}
		now = dns_now_ms();
		if (s->paused_until != 0 && now >= s->paused_until)
			dns_listen_resume(s);
		if (s->n_conns > 0 && now - s->last_scan_ms >= 250)
			dns_idle_scan(s, now);
	}

	handoff_end(&s->ho);
	return rc;
}

void
dns_server_stop(struct dns_server *s)
{
	handoff_stop(&s->ho);
}

int
dns_server_set_world(struct dns_server *s, const struct world *w)
{
	struct dns_engine *ne = NULL;
	size_t i;
	int rc;

	/* Same zones on the same addresses as the first world. */
	if (w == NULL || w->n_zones != s->w->n_zones)
		return DL_EINVAL;
	for (i = 0; i < w->n_zones; i++)
		if (strcmp(w->zones[i].ns_addr, s->w->zones[i].ns_addr) != 0 ||
		    strcmp(w->zones[i].name, s->w->zones[i].name) != 0)
			return DL_EINVAL;
	/* Index the new world here, outside the loop. */
	if ((rc = dns_engine_new(w, s->single, &ne, NULL)) != 0)
		return rc;
	handoff_put(&s->ho, ne);
	return 0;
}

void
dns_server_free(struct dns_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	while (s->conns != NULL)
		dns_conn_close(s, s->conns, false);
	for (i = 0; i < s->n_socks; i++)
		close(s->socks[i].fd);
	free(s->socks);
	if (s->epfd >= 0)
		close(s->epfd);
	handoff_clear(&s->ho);
	free(s);
}
