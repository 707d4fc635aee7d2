/*
 * dns_wire.c -- DNS messages on the wire: queries in, responses out.
 *
 * Owns: parsing and checking a query (header, question, OPT; RFC 1035
 * 4.1, RFC 6891 6.1), response plans (which RRsets go in which
 * section), and rendering a plan within a size limit: name compression
 * (RFC 1035 4.1.4, only where RFC 3597 4 allows it), leaving out
 * optional groups that do not fit and setting TC when required ones do
 * not (RFC 2181 9, RFC 9471), the OPT record with the DO bit and an
 * extended error (RFC 8914).  Does not own: what goes into a plan
 * (dns_lookup.c).
 */
#include <stdlib.h>
#include <string.h>

#include "simulator/dns/dns_int.h"
#include "simulator/util/xmem.h"

#define DNS_CPTR_MAX 256 /* names remembered for compression */

static inline uint16_t
dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- queries ---- */

/* Skip a possibly compressed name in a record; false if malformed. */
static bool
dns_skip_name(const uint8_t *q, size_t len, size_t *off, bool *root)
{
	size_t o = *off, n = 0;

	*root = o < len && q[o] == 0;
	for (;;) {
		uint8_t l;

		if (o >= len)
			return false;
		l = q[o];
		if ((l & 0xc0) == 0xc0) {
			/* A pointer ends the name; where it points is not
			 * needed to skip it. */
			if (o + 2 > len)
				return false;
			*off = o + 2;
			return true;
		}
		if ((l & 0xc0) != 0)
			return false;
		if ((n += (size_t)l + 1) > DNS_NAME_MAX || o + 1 + l > len)
			return false;
		o += (size_t)l + 1;
		if (l == 0) {
			*off = o;
			return true;
		}
	}
}

/* OPT RDATA: a sequence of (code, length, data), nothing left over. */
static bool
dns_opt_valid(const uint8_t *d, size_t n)
{
	size_t o = 0;

	while (o < n) {
		if (o + 4 > n)
			return false;
		o += 4u + dns_get16(d + o + 2);
	}
	return o == n;
}

enum dns_qstatus
dns_query_parse(const uint8_t *q, size_t len, struct dns_query *o)
{
	size_t off = DNS_HDR, n = 0, i, count, an, ns, ar;
	bool formerr = false;

	o->has_question = false;
	o->qname = NULL;
	o->qname_len = 0;
	o->qtype = o->qclass = 0;
	o->edns = o->do_bit = false;
	o->payload = 0;
	o->version = 0;
	o->opcode = 0;
	o->id = o->flags = 0;
	if (len < DNS_HDR)
		return DNS_Q_IGNORE;
	o->id = dns_get16(q);
	o->flags = dns_get16(q + 2);
	o->opcode = (uint8_t)((q[2] >> 3) & 0x0f);
	if (o->flags & DNS_F_QR)
		return DNS_Q_IGNORE;
	if (dns_get16(q + 4) != 1)
		return o->opcode != 0 ? DNS_Q_NOTIMP : DNS_Q_FORMERR;
	an = dns_get16(q + 6);
	ns = dns_get16(q + 8);
	ar = dns_get16(q + 10);

	/* The question: an uncompressed name (nothing precedes it). */
	for (;;) {
		uint8_t l;

		if (off >= len)
			return o->opcode != 0 ? DNS_Q_NOTIMP : DNS_Q_FORMERR;
		l = q[off];
		if ((l & 0xc0) != 0 || n + l + 1 > DNS_NAME_MAX ||
		    off + 1 + l > len)
			return o->opcode != 0 ? DNS_Q_NOTIMP : DNS_Q_FORMERR;
		o->lname[n] = l;
		for (i = 1; i <= l; i++) {
			uint8_t c = q[off + i];

			o->lname[n + i] =
			    c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
		}
		n += (size_t)l + 1;
		off += (size_t)l + 1;
		if (l == 0)
			break;
	}
	if (off + 4 > len)
		return o->opcode != 0 ? DNS_Q_NOTIMP : DNS_Q_FORMERR;
	o->qname = q + DNS_HDR;
	o->qname_len = n;
	o->qtype = dns_get16(q + off);
	o->qclass = dns_get16(q + off + 2);
	o->has_question = true;
	off += 4;

	/* Every other record must be well formed; only one OPT, in the
	 * additional section, owned by the root. */
	count = an + ns + ar;
	for (i = 0; i < count; i++) {
		size_t rdlen;
		uint16_t type;
		uint32_t ttl;
		bool root;

		if (!dns_skip_name(q, len, &off, &root) || off + 10 > len) {
			formerr = true;
			break;
		}
		type = dns_get16(q + off);
		ttl = (uint32_t)dns_get16(q + off + 4) << 16 |
		    dns_get16(q + off + 6);
		rdlen = dns_get16(q + off + 8);
		if (off + 10 + rdlen > len) {
			formerr = true;
			break;
		}
		if (type == LDNS_RR_TYPE_OPT) {
			if (i < an + ns || o->edns || !root ||
			    !dns_opt_valid(q + off + 10, rdlen)) {
				formerr = true;
				break;
			}
			o->edns = true;
			o->payload = dns_get16(q + off + 2);
			o->version = (uint8_t)(ttl >> 16);
			o->do_bit = (ttl & 0x8000) != 0;
		}
		off += 10 + rdlen;
	}
	if (formerr) {
		/* A broken OPT is not echoed (RFC 6891 7). */
		o->edns = o->do_bit = false;
		return o->opcode != 0 ? DNS_Q_NOTIMP : DNS_Q_FORMERR;
	}
	if (o->opcode != 0)
		return DNS_Q_NOTIMP;
	if (an != 0 || ns != 0)
		return DNS_Q_FORMERR;
	if (o->edns && o->version != 0)
		return DNS_Q_BADVERS;
	return DNS_Q_OK;
}

size_t
dns_query_limit(const struct dns_query *q, enum dns_transport tr)
{
	if (tr == DNS_TCP)
		return DNS_MSG_MAX;
	if (!q->edns || q->payload <= DNS_UDP_MIN)
		return DNS_UDP_MIN;
	return q->payload < DNS_UDP_MAX ? q->payload : DNS_UDP_MAX;
}

/* ---- plans ---- */

void
dns_plan_init(struct dns_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->ede = DNS_EDE_NONE;
}

void
dns_plan_reset(struct dns_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_names; i++)
		free(p->names[i]);
	p->n_names = 0;
	p->n_rr = 0;
	p->n_g = 0;
	p->n_seen = 0;
	p->rcode = 0;
	p->aa = false;
	p->ede = DNS_EDE_NONE;
	p->kind = DNS_KIND_NONE;
	p->zone = NULL;
}

void
dns_plan_clear(struct dns_plan *p)
{
	dns_plan_reset(p);
	free(p->rr);
	free(p->g);
	free(p->seen);
	free(p->names);
	dns_plan_init(p);
}

#define DNS_GROW(arr, n, cap, extra)                                           \
	do {                                                                   \
		if ((n) + (extra) > (cap)) {                                   \
			size_t nc_ = (cap) ? (cap)*2 : 16;                     \
			while (nc_ < (n) + (extra))                            \
				nc_ *= 2;                                      \
			(arr) = xreallocarray((arr), nc_, sizeof(*(arr)));     \
			(cap) = nc_;                                           \
		}                                                              \
	} while (0)

static bool
dns_plan_seen(struct dns_plan *p, const void *key)
{
	size_t i;

	for (i = 0; i < p->n_seen; i++)
		if (p->seen[i] == key)
			return true;
	DNS_GROW(p->seen, p->n_seen, p->cap_seen, 1);
	p->seen[p->n_seen++] = key;
	return false;
}

static void
dns_plan_group(struct dns_plan *p, enum dns_section sec, bool optional,
    ldns_rr *const *rrs, size_t n, const uint8_t *owner)
{
	struct dns_pgroup *g;
	size_t i;

	DNS_GROW(p->g, p->n_g, p->cap_g, 1);
	DNS_GROW(p->rr, p->n_rr, p->cap_rr, n);
	g = &p->g[p->n_g++];
	g->section = (uint8_t)sec;
	g->optional = optional;
	g->first = p->n_rr;
	g->n = n;
	for (i = 0; i < n; i++) {
		p->rr[p->n_rr].rr = rrs[i];
		p->rr[p->n_rr].owner = owner;
		p->n_rr++;
	}
}

bool
dns_plan_add(struct dns_plan *p, enum dns_section sec, bool optional,
    const struct dns_rrset *set, bool sigs, const uint8_t *owner)
{
	if (set == NULL || set->n == 0 || dns_plan_seen(p, set))
		return false;
	/* rr and sig are adjacent in the index: one run of pointers. */
	dns_plan_group(
	    p, sec, optional, set->rr, set->n + (sigs ? set->nsig : 0), owner);
	return true;
}

bool
dns_plan_add_sigs(struct dns_plan *p, enum dns_section sec,
    const struct dns_rrset *set, const uint8_t *owner)
{
	if (set == NULL || set->nsig == 0 || dns_plan_seen(p, &set->sig))
		return false;
	dns_plan_group(p, sec, false, set->sig, set->nsig, owner);
	return true;
}

const uint8_t *
dns_plan_name(struct dns_plan *p, const uint8_t *name)
{
	size_t n = dns_wname_len(name);
	uint8_t *copy = xmalloc(n);

	memcpy(copy, name, n);
	DNS_GROW(p->names, p->n_names, p->cap_names, 1);
	p->names[p->n_names++] = copy;
	return copy;
}

bool
dns_plan_has(const struct dns_plan *p, enum dns_section sec)
{
	size_t i;

	for (i = 0; i < p->n_g; i++)
		if (p->g[i].section == sec)
			return true;
	return false;
}

/* ---- rendering ---- */

struct dns_w {
	uint8_t *p;
	size_t len;
	size_t cap;
	uint16_t ptr[DNS_CPTR_MAX]; /* offsets of names written */
	size_t nptr;
	bool err; /* something did not fit */
};

static void
dns_w_bytes(struct dns_w *w, const void *b, size_t n)
{
	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void
dns_w_u16(struct dns_w *w, uint16_t v)
{
	uint8_t b[2];

	dns_put16(b, v);
	dns_w_bytes(w, b, 2);
}

static void
dns_w_u32(struct dns_w *w, uint32_t v)
{
	dns_w_u16(w, (uint16_t)(v >> 16));
	dns_w_u16(w, (uint16_t)v);
}

/* The (possibly compressed) name at off in the message equals name. */
static bool
dns_w_name_at(const struct dns_w *w, size_t off, const uint8_t *name)
{
	size_t hops = 0, k;

	for (;;) {
		uint8_t l;

		if (off >= w->len)
			return false;
		l = w->p[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= w->len || ++hops > DNS_LABELS_MAX)
				return false;
			off = (size_t)(l & 0x3f) << 8 | w->p[off + 1];
			continue;
		}
		if (l != name[0])
			return false;
		if (l == 0)
			return true;
		if (off + 1 + l > w->len)
			return false;
		for (k = 1; k <= l; k++) {
			uint8_t a = w->p[off + k], b = name[k];

			if (a >= 'A' && a <= 'Z')
				a = (uint8_t)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (uint8_t)(b + 32);
			if (a != b)
				return false;
		}
		off += (size_t)l + 1;
		name += (size_t)l + 1;
	}
}

/*
 * Write name, compressed against the names written before when compress
 * is set (and then remembered for later names); otherwise as it is.
 */
static void
dns_w_name(struct dns_w *w, const uint8_t *name, bool compress)
{
	uint8_t offs[DNS_LABELS_MAX];
	size_t n = dns_wname_labels(name, offs), upto = n, i, j, at;
	size_t ptr = 0;
	bool found = false;

	if (!compress) {
		dns_w_bytes(w, name, dns_wname_len(name));
		return;
	}
	for (i = 0; i < n && !found; i++) {
		for (j = 0; j < w->nptr; j++) {
			if (dns_w_name_at(w, w->ptr[j], name + offs[i])) {
				ptr = w->ptr[j];
				upto = i;
				found = true;
				break;
			}
		}
	}
	for (i = 0; i < upto; i++) {
		at = w->len;
		dns_w_bytes(w, name + offs[i], (size_t)name[offs[i]] + 1);
		if (!w->err && at < 0x4000 && w->nptr < DNS_CPTR_MAX)
			w->ptr[w->nptr++] = (uint16_t)at;
	}
	if (found)
		dns_w_u16(w, (uint16_t)(0xc000 | ptr));
	else
		dns_w_bytes(w, "", 1);
}

/* RFC 3597 4: names in these RDATA may be compressed. */
static bool
dns_type_compressible(ldns_rr_type t)
{
	switch (t) {
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_MD:
	case LDNS_RR_TYPE_MF:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_SOA:
	case LDNS_RR_TYPE_MB:
	case LDNS_RR_TYPE_MG:
	case LDNS_RR_TYPE_MR:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_MINFO:
	case LDNS_RR_TYPE_MX:
		return true;
	default:
		return false;
	}
}

static void
dns_w_rr(struct dns_w *w, const struct dns_prr *x)
{
	const ldns_rr *rr = x->rr;
	ldns_rr_type t = ldns_rr_get_type(rr);
	bool comp = dns_type_compressible(t);
	size_t i, at;

	dns_w_name(w,
	    x->owner != NULL ? x->owner : dns_rdf_name(ldns_rr_owner(rr)),
	    true);
	dns_w_u16(w, (uint16_t)t);
	dns_w_u16(w, (uint16_t)ldns_rr_get_class(rr));
	dns_w_u32(w, ldns_rr_ttl(rr));
	at = w->len;
	dns_w_u16(w, 0);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *d = ldns_rr_rdf(rr, i);

		if (comp && ldns_rdf_get_type(d) == LDNS_RDF_TYPE_DNAME)
			dns_w_name(w, ldns_rdf_data(d), true);
		else
			dns_w_bytes(w, ldns_rdf_data(d), ldns_rdf_size(d));
	}
	if (!w->err)
		dns_put16(w->p + at, (uint16_t)(w->len - at - 2));
}

static size_t
dns_opt_size(const struct dns_query *q, int ede)
{
	if (!q->edns)
		return 0;
	return 11u + (ede != DNS_EDE_NONE ? 6u : 0u);
}

static void
dns_w_opt(struct dns_w *w, const struct dns_query *q, uint16_t rcode, int ede)
{
	uint32_t ttl = (uint32_t)(rcode >> 4) << 24 | (q->do_bit ? 0x8000 : 0);

	dns_w_bytes(w, "", 1);
	dns_w_u16(w, LDNS_RR_TYPE_OPT);
	dns_w_u16(w, DNS_UDP_MAX);
	dns_w_u32(w, ttl);
	if (ede == DNS_EDE_NONE) {
		dns_w_u16(w, 0);
		return;
	}
	dns_w_u16(w, 6);
	dns_w_u16(w, 15); /* EDE, RFC 8914 */
	dns_w_u16(w, 2);
	dns_w_u16(w, (uint16_t)ede);
}

static void
dns_w_header(uint8_t *p, const struct dns_query *q, uint16_t rcode, bool aa,
    bool tc, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	uint16_t flags =
	    DNS_F_QR | (uint16_t)(q->opcode << 11) | (rcode & 0x0f);

	if (aa)
		flags |= DNS_F_AA;
	if (tc)
		flags |= DNS_F_TC;
	dns_put16(p, 0);
	dns_put16(p + 2, flags);
	dns_put16(p + 4, qd);
	dns_put16(p + 6, an);
	dns_put16(p + 8, ns);
	dns_put16(p + 10, ar);
}

static void
dns_w_question(struct dns_w *w, const struct dns_query *q)
{
	dns_w_name(w, q->lname, true);
	dns_w_u16(w, q->qtype);
	dns_w_u16(w, q->qclass);
}

size_t
dns_render(const struct dns_query *q, const struct dns_plan *p, size_t limit,
    uint8_t *out, size_t cap)
{
	struct dns_w w;
	size_t optsz = dns_opt_size(q, p->ede), qend, qptr, i, sec;
	uint16_t count[3] = {0, 0, 0};
	bool tc = false;

	if (limit > cap)
		limit = cap;
	if (limit < DNS_HDR + optsz)
		return 0;
	w.p = out;
	w.len = DNS_HDR;
	w.cap = limit - optsz;
	w.nptr = 0;
	w.err = false;
	dns_w_question(&w, q);
	if (w.err)
		return 0;
	qend = w.len;
	qptr = w.nptr;

	for (sec = DNS_SEC_ANSWER; sec <= DNS_SEC_ADDITIONAL && !tc; sec++) {
		for (i = 0; i < p->n_g; i++) {
			const struct dns_pgroup *g = &p->g[i];
			size_t mark = w.len, mptr = w.nptr, k;

			if (g->section != sec)
				continue;
			for (k = 0; k < g->n && !w.err; k++)
				dns_w_rr(&w, &p->rr[g->first + k]);
			if (!w.err && count[sec] + g->n <= 0xffff) {
				count[sec] = (uint16_t)(count[sec] + g->n);
				continue;
			}
			/* It did not fit: forget it; required means TC. */
			w.err = false;
			w.len = mark;
			w.nptr = mptr;
			if (!g->optional) {
				tc = true;
				break;
			}
		}
	}
	if (tc) {
		w.len = qend;
		w.nptr = qptr;
		count[0] = count[1] = count[2] = 0;
	}
	w.cap = limit;
	if (q->edns) {
		dns_w_opt(&w, q, p->rcode, p->ede);
		count[2]++;
	}
	dns_w_header(
	    out, q, p->rcode, p->aa, tc, 1, count[0], count[1], count[2]);
	return w.len;
}

size_t
dns_render_empty(const struct dns_query *q, uint16_t rcode, bool with_question,
    bool aa, bool tc, int ede, uint8_t *out, size_t cap)
{
	struct dns_w w;
	bool question = with_question && q->has_question, opt = q->edns;

	if (cap < DNS_HDR)
		return 0;
	w.p = out;
	w.len = DNS_HDR;
	w.cap = cap;
	w.nptr = 0;
	w.err = false;

	if (question)
		dns_w_question(&w, q);
	if (opt)
		dns_w_opt(&w, q, rcode, ede);
	if (w.err) {
		/* Only a header fits. */
		w.len = DNS_HDR;
		question = opt = false;
	}
	dns_w_header(
	    out, q, rcode, aa, tc, question ? 1 : 0, 0, 0, opt ? 1 : 0);
	return w.len;
}

void
dns_wire_patch(uint8_t *r, size_t rlen, const struct dns_query *q)
{
	if (rlen < DNS_HDR)
		return;
	dns_put16(r, q->id);
	r[2] = (uint8_t)((r[2] & ~0x01) | ((q->flags >> 8) & 0x01));
	r[3] = (uint8_t)((r[3] & ~0x10) | (q->flags & 0x10));
	if (q->has_question && dns_get16(r + 4) == 1 &&
	    rlen >= DNS_HDR + q->qname_len)
		memcpy(r + DNS_HDR, q->qname, q->qname_len);
}
