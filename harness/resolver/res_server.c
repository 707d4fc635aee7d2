/*
 * res_server.c -- the resolver's front end: UDP and TCP sockets on the
 * resolver address, one epoll loop, TCP connections with pipelined
 * queries (RFC 7766), and the hand-over of every query to libunbound
 * (ub_resolve_async; results arrive on ub_fd and are answered in the
 * order they complete).
 *
 * Owns sockets, connections and queries in flight.  Answer contents are
 * res_answer.c's, the libunbound configuration res_ctx.c's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness/resolver/res_int.h"
#include "simulator/dns/dns_server.h"
#include "simulator/util/fdlimit.h"
#include "simulator/util/xmem.h"

#define RES_MAX_EVENTS 64
#define RES_UDP_BATCH 64    /* datagrams read per wake-up */
#define RES_TCP_PIPELINE 32 /* queries in flight per connection */
#define RES_TICK_MS 250	    /* idle connection sweep */
#define RES_MSG_MAX 65535

enum res_kind {
	RES_EV_STOP,
	RES_EV_UB,
	RES_EV_UB_CD,
	RES_EV_UDP,
	RES_EV_LISTEN,
	RES_EV_CONN,
};

/* What epoll_event.data.ptr points to: the first member of each. */
struct res_watch {
	enum res_kind kind;
};

/* An answer waiting to be written on a TCP connection. */
struct res_out {
	struct res_out *next;
	size_t len; /* with the 2-byte length prefix */
	size_t off; /* written so far */
	uint8_t data[];
};

struct res_conn {
	struct res_watch w;
	struct resolver *r;
	int fd;
	struct sockaddr_in peer;
	uint8_t in[2 + RES_MSG_MAX];
	size_t in_len;
	struct res_out *out_head, *out_tail;
	unsigned pending; /* its queries being resolved */
	bool eof;	  /* the client will send no more */
	bool closed;	  /* fd closed; freed once pending is 0 */
	uint32_t events;  /* what epoll watches now */
	uint64_t start_ms; /* accepted */
	uint64_t last_ms;  /* last progress: a query read, an answer sent */
	struct res_conn *next;
};

/* A query being resolved. */
struct res_pending {
	struct resolver *r;
	struct res_conn *conn; /* NULL: came over UDP */
	struct sockaddr_in from;
	struct res_query q;
	struct ub_ctx *ub; /* the context resolving it */
	int async_id;
	uint64_t t0_ns;
	struct res_pending *prev, *next;
};

struct resolver {
	struct res_ctx ctx;
	struct res_watch w_stop, w_ub, w_ub_cd, w_udp, w_listen;
	int epfd, evfd, udp, tcp;
	struct res_conn *conns; /* open and closed-but-pending */
	unsigned n_open;
	struct res_pending *pending;
	unsigned n_pending;
	struct evlog *log;
	unsigned tcp_idle_ms, tcp_life_ms, max_tcp, max_pending;
	uint64_t paused_until; /* listener not polled before; 0: polled */
	uint8_t buf[RES_MSG_MAX]; /* UDP receive buffer */
};

static uint64_t
res_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
res_watch_add(struct resolver *r, int fd, struct res_watch *w, uint32_t ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = w;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &e);
}

static int
res_bind(int type, const char *addr, uint16_t port, struct dl_diags *d)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	const char *proto = type == SOCK_STREAM ? "TCP" : "UDP";

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		dl_error(d, NULL, 0, 0, "resolver: '%s' is not an IPv4 address",
		    addr);
		return -1;
	}
	if ((fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) <
	    0) {
		dl_error(
		    d, NULL, 0, 0, "resolver: socket: %s", strerror(errno));
		return -1;
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) != 0)) {
		dl_error(d, NULL, 0, 0,
		    "resolver: cannot listen on %s %s port %u: %s", proto, addr,
		    port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
resolver_new(const struct world *w, const struct resolver_opts *o,
    struct resolver **out, struct dl_diags *d)
{
	const char *addr = o->addr != NULL ? o->addr : WORLD_RESOLVER_ADDR;
	uint16_t port = o->port != 0 ? o->port : 53;
	struct resolver *r;

	r = xcalloc(1, sizeof(*r));
	r->epfd = r->evfd = r->udp = r->tcp = -1;
	r->log = o->log;
	r->tcp_idle_ms = o->tcp_idle_ms != 0 ? o->tcp_idle_ms : 10000;
	r->tcp_life_ms = o->tcp_life_ms != 0 ? o->tcp_life_ms : 30000;
	r->max_tcp = fdlimit_bound(o->max_tcp != 0 ? o->max_tcp : 256, 8);
	r->max_pending = o->max_pending != 0 ? o->max_pending : 4096;
	r->w_stop.kind = RES_EV_STOP;
	r->w_ub.kind = RES_EV_UB;
	r->w_ub_cd.kind = RES_EV_UB_CD;
	r->w_udp.kind = RES_EV_UDP;
	r->w_listen.kind = RES_EV_LISTEN;

	if (res_ctx_init(&r->ctx, w, o, d) != 0) {
		free(r);
		return DL_EINVAL;
	}
	if ((r->udp = res_bind(SOCK_DGRAM, addr, port, d)) < 0 ||
	    (r->tcp = res_bind(SOCK_STREAM, addr, port, d)) < 0) {
		resolver_free(r);
		return DL_EIO;
	}
	if ((r->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    res_watch_add(r, r->evfd, &r->w_stop, EPOLLIN) != 0 ||
	    res_watch_add(r, ub_fd(r->ctx.ub), &r->w_ub, EPOLLIN) != 0 ||
	    res_watch_add(r, ub_fd(r->ctx.ub_cd), &r->w_ub_cd, EPOLLIN) != 0 ||
	    res_watch_add(r, r->udp, &r->w_udp, EPOLLIN) != 0 ||
	    res_watch_add(r, r->tcp, &r->w_listen, EPOLLIN) != 0) {
		dl_error(
		    d, NULL, 0, 0, "resolver: event loop: %s", strerror(errno));
		resolver_free(r);
		return DL_EIO;
	}
	*out = r;
	return 0;
}

void
resolver_stop(struct resolver *r)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(r->evfd, &one, sizeof(one));
	(void)n;
}

/* ------------------------------------------------------------------ TCP */

static void
res_conn_close(struct res_conn *c)
{
	struct res_out *o, *next;

	if (c->closed)
		return;
	close(c->fd); /* also removes it from the epoll set */
	c->fd = -1;
	c->closed = true;
	c->r->n_open--;
	for (o = c->out_head; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	c->out_head = c->out_tail = NULL;
}

/* Watch what the connection can do now. */
static void
res_conn_update(struct res_conn *c)
{
	struct epoll_event e;
	uint32_t want = 0;

	if (c->closed)
		return;
	if (c->eof && c->pending == 0 && c->out_head == NULL) {
		res_conn_close(c);
		return;
	}
	if (!c->eof && c->pending < RES_TCP_PIPELINE)
		want |= EPOLLIN;
	if (c->out_head != NULL)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = want;
	e.data.ptr = &c->w;
	if (epoll_ctl(c->r->epfd, EPOLL_CTL_MOD, c->fd, &e) != 0)
		res_conn_close(c);
	else
		c->events = want;
}

static void
res_conn_flush(struct res_conn *c)
{
	struct res_out *o;
	ssize_t n;

	while (!c->closed && (o = c->out_head) != NULL) {
		n = send(
		    c->fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			res_conn_close(c);
			return;
		}
		o->off += (size_t)n;
		if (o->off < o->len)
			break;
		c->out_head = o->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		free(o);
	}
	res_conn_update(c);
}

static void
res_conn_send(struct res_conn *c, const uint8_t *msg, size_t len)
{
	struct res_out *o;

	if (c->closed || len > RES_MSG_MAX)
		return;
	o = xmalloc(sizeof(*o) + 2 + len);
	o->next = NULL;
	o->len = 2 + len;
	o->off = 0;
	o->data[0] = (uint8_t)(len >> 8);
	o->data[1] = (uint8_t)len;
	memcpy(o->data + 2, msg, len);
	if (c->out_tail != NULL)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->last_ms = res_now_ns() / 1000000;
	res_conn_flush(c);
}

/* ------------------------------------------------------------- queries */

static void
res_event(struct resolver *r, const struct res_pending *p,
    const struct ub_result *res, int rcode)
{
	struct evlog_ev e;
	char addr[INET_ADDRSTRLEN], client[INET_ADDRSTRLEN + 8];
	char tbuf[24];
	char *qname, *tlsa = NULL;

	if (r->log == NULL)
		return;
	inet_ntop(AF_INET, &p->from.sin_addr, addr, sizeof(addr));
	snprintf(
	    client, sizeof(client), "%s:%u", addr, ntohs(p->from.sin_port));
	qname = p->q.qname != NULL ? ldns_rdf2str(p->q.qname) : NULL;
	evlog_begin(&e, r->log, "resolver.query");
	evlog_str(&e, "client", client);
	evlog_str(&e, "transport", p->conn != NULL ? "tcp" : "udp");
	if (qname != NULL)
		evlog_str(&e, "qname", qname);
	evlog_str(&e, "qtype", dns_type_name(p->q.qtype, tbuf, sizeof(tbuf)));
	evlog_bool(&e, "cd", p->q.cd);
	evlog_bool(&e, "do", p->q.dnssec_ok);
	evlog_str(&e, "rcode", dns_rcode_name((uint16_t)rcode));
	evlog_bool(&e, "secure", res != NULL && res->secure);
	evlog_bool(&e, "bogus", res != NULL && res->bogus);
	if (res != NULL && res->bogus && res->why_bogus != NULL)
		evlog_str(&e, "why_bogus", res->why_bogus);
	if ((tlsa = res_answer_tlsa_json(&p->q, res)) != NULL)
		evlog_raw(&e, "tlsa", tlsa);
	evlog_int(&e, "ms", (long long)((res_now_ns() - p->t0_ns) / 1000000));
	evlog_end(&e);
	free(qname);
	free(tlsa);
}

static void
res_deliver(struct resolver *r, struct res_conn *c,
    const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
	ssize_t n;

	if (c != NULL) {
		res_conn_send(c, msg, len);
		return;
	}
	n = sendto(
	    r->udp, msg, len, 0, (const struct sockaddr *)to, sizeof(*to));
	(void)n; /* a lost datagram is the client's to retry */
}

/* Answer p (result: libunbound's, or NULL for SERVFAIL) and free it. */
static void
res_finish(struct res_pending *p, const struct ub_result *res)
{
	struct resolver *r = p->r;
	uint8_t *msg = NULL;
	size_t len = 0;
	int rc = DL_EDNS, rcode = LDNS_RCODE_SERVFAIL;

	if (res != NULL)
		rc = res_answer_build(&p->q, res,
		    res_answer_limit(&p->q, p->conn != NULL), &msg, &len);
	if (rc != 0)
		rc = res_answer_error(&p->q, LDNS_RCODE_SERVFAIL, &msg, &len);
	else
		rcode = LDNS_RCODE_WIRE(msg);
	if (rc == 0)
		res_deliver(r, p->conn, &p->from, msg, len);
	res_event(r, p, res, rcode);
	free(msg);
	if (p->conn != NULL) {
		p->conn->pending--;
		res_conn_update(p->conn);
	}
	res_query_clear(&p->q);
	free(p);
}

static void
res_unlink(struct res_pending *p)
{
	struct resolver *r = p->r;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		r->pending = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	r->n_pending--;
}

static void
res_done(void *arg, int err, struct ub_result *res)
{
	struct res_pending *p = arg;

	res_unlink(p);
	res_finish(p, err == 0 ? res : NULL);
	if (res != NULL)
		ub_resolve_free(res);
}

/* One message from a client (UDP datagram or TCP frame). */
static void
res_handle(struct resolver *r, struct res_conn *c,
    const struct sockaddr_in *from, const uint8_t *wire, size_t len)
{
	struct res_pending *p;
	uint8_t *msg = NULL;
	size_t mlen;
	char *name;
	int rc, rcode;

	p = xcalloc(1, sizeof(*p));
	p->r = r;
	p->conn = c;
	p->from = *from;
	p->t0_ns = res_now_ns();
	if (c != NULL)
		c->pending++;
	rc = res_query_parse(wire, len, &p->q, &rcode);
	if (rc == DL_ERANGE) {
		if (c != NULL)
			c->pending--;
		res_query_clear(&p->q);
		free(p);
		return;
	}
	if (rc == 0 && r->n_pending >= r->max_pending) {
		rc = DL_ERANGE;
		rcode = LDNS_RCODE_SERVFAIL;
	}
	if (rc != 0) {
		if (res_answer_error(&p->q, rcode, &msg, &mlen) == 0)
			res_deliver(r, c, from, msg, mlen);
		free(msg);
		res_event(r, p, NULL, rcode);
		if (c != NULL)
			c->pending--;
		res_query_clear(&p->q);
		free(p);
		return;
	}
	p->ub = p->q.cd ? r->ctx.ub_cd : r->ctx.ub;
	if ((name = res_query_name(&p->q)) == NULL) {
		res_finish(p, NULL);
		return;
	}
	p->next = r->pending;
	if (p->next != NULL)
		p->next->prev = p;
	r->pending = p;
	r->n_pending++;
	rc = ub_resolve_async(
	    p->ub, name, p->q.qtype, p->q.qclass, p, res_done, &p->async_id);
	free(name);
	if (rc != 0) {
		res_unlink(p);
		res_finish(p, NULL);
	}
}

static void
res_udp_read(struct resolver *r)
{
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int i;

	for (i = 0; i < RES_UDP_BATCH; i++) {
		fl = sizeof(from);
		n = recvfrom(r->udp, r->buf, sizeof(r->buf), 0,
		    (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		res_handle(r, NULL, &from, r->buf, (size_t)n);
	}
}

/*
 * Out of descriptors: stop polling the listener for FDLIMIT_PAUSE_MS
 * (on = false) rather than being told at once, again and again, that it
 * is readable; start again (on = true).
 */
static void
res_listen_set(struct resolver *r, bool on)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = on ? EPOLLIN : 0;
	e.data.ptr = &r->w_listen;
	(void)epoll_ctl(r->epfd, EPOLL_CTL_MOD, r->tcp, &e);
	r->paused_until = on ? 0 : res_now_ns() / 1000000 + FDLIMIT_PAUSE_MS;
}

static void
res_accept(struct resolver *r)
{
	struct res_conn *c;
	struct sockaddr_in peer;
	socklen_t pl;
	int fd;

	for (;;) {
		pl = sizeof(peer);
		fd = accept4(r->tcp, (struct sockaddr *)&peer, &pl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && fdlimit_exhausted(errno)) {
			res_listen_set(r, false);
			return;
		}
		if (fd < 0)
			return;
		if (r->n_open >= r->max_tcp) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->w.kind = RES_EV_CONN;
		c->r = r;
		c->fd = fd;
		c->peer = peer;
		c->events = EPOLLIN;
		c->start_ms = c->last_ms = res_now_ns() / 1000000;
		if (res_watch_add(r, fd, &c->w, EPOLLIN) != 0) {
			close(fd);
			free(c);
			continue;
		}
		r->n_open++;
		c->next = r->conns;
		r->conns = c;
	}
}

static void
res_conn_read(struct res_conn *c)
{
	size_t off, mlen;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			res_conn_close(c);
		return;
	}
	if (n == 0) {
		c->eof = true;
		res_conn_update(c);
		return;
	}
	c->in_len += (size_t)n;
	off = 0;
	while (!c->closed && c->in_len - off >= 2) {
		mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
		if (c->in_len - off < 2 + mlen)
			break;
		res_handle(c->r, c, &c->peer, c->in + off + 2, mlen);
		off += 2 + mlen;
	}
	if (c->closed)
		return;
	if (off > 0)
		c->last_ms = res_now_ns() / 1000000;
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	res_conn_update(c);
}

/* Close idle connections; free closed ones nobody refers to any more. */
static void
res_sweep(struct resolver *r)
{
	struct res_conn **pp = &r->conns, *c;
	uint64_t now = res_now_ns() / 1000000;

	while ((c = *pp) != NULL) {
		if (!c->closed && (now - c->start_ms > r->tcp_life_ms ||
				      (c->pending == 0 &&
					  now - c->last_ms > r->tcp_idle_ms)))
			res_conn_close(c);
		if (c->closed && c->pending == 0) {
			*pp = c->next;
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

int
resolver_run(struct resolver *r)
{
	struct epoll_event ev[RES_MAX_EVENTS];
	struct res_watch *w;
	struct res_conn *c;
	uint64_t v, last_sweep = 0, now;
	bool stop = false;
	ssize_t rd;
	int n, i;

	while (!stop) {
		n = epoll_wait(r->epfd, ev, RES_MAX_EVENTS,
		    r->paused_until != 0 ? FDLIMIT_PAUSE_MS / 4 : RES_TICK_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return DL_EIO;
		}
		for (i = 0; i < n; i++) {
			w = ev[i].data.ptr;
			switch (w->kind) {
			case RES_EV_STOP:
				rd = read(r->evfd, &v, sizeof(v));
				(void)rd;
				stop = true;
				break;
			case RES_EV_UB:
				ub_process(r->ctx.ub);
				break;
			case RES_EV_UB_CD:
				ub_process(r->ctx.ub_cd);
				break;
			case RES_EV_UDP:
				res_udp_read(r);
				break;
			case RES_EV_LISTEN:
				res_accept(r);
				break;
			case RES_EV_CONN:
				/* Closed ones stay allocated until the sweep
				 * below, so later events in this batch are
				 * safe to look at. */
				c = (struct res_conn *)w;
				if (!c->closed &&
				    (ev[i].events & (EPOLLERR | EPOLLHUP)) !=
					0 &&
				    (ev[i].events & EPOLLIN) == 0)
					res_conn_close(c);
				if (!c->closed && (ev[i].events & EPOLLOUT))
					res_conn_flush(c);
				if (!c->closed && (ev[i].events & EPOLLIN))
					res_conn_read(c);
				break;
			}
		}
		now = res_now_ns() / 1000000;
		if (r->paused_until != 0 && now >= r->paused_until)
			res_listen_set(r, true);
		if (n == 0 || now - last_sweep >= RES_TICK_MS) {
			res_sweep(r);
			last_sweep = now;
		}
	}
	return 0;
}

void
resolver_free(struct resolver *r)
{
	struct res_pending *p, *pnext;
	struct res_conn *c, *cnext;

	if (r == NULL)
		return;
	/* Cancelled queries get no callback; nobody gets an answer. */
	for (p = r->pending; p != NULL; p = pnext) {
		pnext = p->next;
		ub_cancel(p->ub, p->async_id);
		res_query_clear(&p->q);
		free(p);
	}
	for (c = r->conns; c != NULL; c = cnext) {
		cnext = c->next;
		res_conn_close(c);
		free(c);
	}
	res_ctx_clear(&r->ctx);
	if (r->udp >= 0)
		close(r->udp);
	if (r->tcp >= 0)
		close(r->tcp);
	if (r->evfd >= 0)
		close(r->evfd);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r);
}
