/*
 * dns_engine.c -- the answer engine: views, faults, and the hot path.
 *
 * Owns: indexing every zone of a world (dns_index.c), the views (which
 * zones each address serves), the DNS faults of the scenario resolved
 * per view, the wire cache filled at load time for every name and type
 * of the zones, and dns_engine_answer(): parse, fault check, cache
 * lookup, copy, patch of ID, RD, CD and the query name's case.  Only a
 * cache miss runs the lookup (dns_lookup.c) and renders (dns_wire.c).
 * Does not own: sockets (dns_server.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simulator/dns/dns_int.h"
#include "simulator/util/xmem.h"

/* A scenario DNS fault as one view applies it. */
struct dns_vfault {
	const struct scen_fault *f;
	uint8_t name[DNS_NAME_MAX];  /* lower case */
	uint16_t type;		     /* 0: any */
	const struct dns_zone *lame; /* lame: the zone refused */
	bool on_ds;		     /* applies to DS queries here */
	bool on_other;		     /* applies to other types here */
};

struct dns_view {
	char addr[16]; /* "" in single-view mode */
	const struct dns_zone **zones;
	size_t n_zones;
	struct dns_vfault *faults; /* scenario order */
	size_t n_faults;
	struct dns_cache cache;
};

struct dns_engine {
	const struct world *w;
	struct dns_zone *zones;
	size_t n_zones;
	struct dns_view *views;
	size_t n_views;
	bool single;
	struct dns_plan plan; /* scratch for cache misses */
	uint8_t scratch[DNS_MSG_MAX];
	uint64_t queries, hits, misses;
};

/* ---- names for events ---- */

const char *
dns_rcode_name(uint16_t rcode)
{
	static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
	    "NOTAUTH", "NOTZONE"};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	if (rcode == DNS_RCODE_BADVERS)
		return "BADVERS";
	return "RCODE?";
}

const char *
dns_kind_name(enum dns_kind k)
{
	switch (k) {
	case DNS_KIND_NONE:
		return "none";
	case DNS_KIND_ANSWER:
		return "answer";
	case DNS_KIND_REFERRAL:
		return "referral";
	case DNS_KIND_NODATA:
		return "nodata";
	case DNS_KIND_NXDOMAIN:
		return "nxdomain";
	case DNS_KIND_REFUSED:
		return "refused";
	case DNS_KIND_ERROR:
		return "error";
	case DNS_KIND_TRUNCATED:
		return "truncated";
	}
	return "none";
}

const char *
dns_type_name(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (type == LDNS_RR_TYPE_ANY)
		snprintf(buf, len, "ANY");
	else if (d != NULL && d->_name != NULL && d->_type == type)
		snprintf(buf, len, "%s", d->_name);
	else
		snprintf(buf, len, "TYPE%u", type);
	return buf;
}

/* ---- views ---- */

/*
 * The zone of view v that answers (name, qtype): the deepest one holding
 * name, or for DS at the apex of a zone, its parent when the view serves
 * that too (RFC 4035 3.1.4.1).  NULL: not served here.
 */
static const struct dns_zone *
dns_view_zone(const struct dns_view *v, const uint8_t *name, uint16_t qtype)
{
	const struct dns_zone *best = NULL, *second = NULL;
	size_t i, bl = 0, sl = 0, l;

	if (v->n_zones == 1)
		return dns_wname_under(name, v->zones[0]->apex) ? v->zones[0]
								: NULL;
	for (i = 0; i < v->n_zones; i++) {
		const struct dns_zone *z = v->zones[i];

		if (!dns_wname_under(name, z->apex))
			continue;
		l = dns_wname_len(z->apex);
		if (best == NULL || l > bl) {
			second = best;
			sl = bl;
			best = z;
			bl = l;
		} else if (second == NULL || l > sl) {
			second = z;
			sl = l;
		}
	}
	if (best != NULL && second != NULL && qtype == LDNS_RR_TYPE_DS &&
	    dns_wname_eq(name, best->apex))
		return second;
	return best;
}

static void
dns_view_faults(
    struct dns_engine *e, struct dns_view *v, struct dl_diags *diags)
{
	const struct scenario *s = e->w->scen;
	size_t i, j;

	if (s == NULL)
		return;
	v->faults = xcalloc(s->n_faults + 1, sizeof(*v->faults));
	for (i = 0; i < s->n_faults; i++) {
		const struct scen_fault *f = &s->faults[i];
		struct dns_vfault *vf = &v->faults[v->n_faults];
		const struct dns_zone *z;
		ldns_rdf *d = NULL;

		if (f->kind != SCEN_FAULT_DNS || f->name == NULL)
			continue;
		if (ldns_str2rdf_dname(&d, f->name) != LDNS_STATUS_OK) {
			dl_warn(diags, s->file, f->pos.line, f->pos.col,
			    "DNS fault: bad name %s, ignored", f->name);
			continue;
		}
		memset(vf, 0, sizeof(*vf));
		vf->f = f;
		vf->type = f->type;
		(void)dns_wname_lower(vf->name, ldns_rdf_data(d));
		ldns_rdf_deep_free(d);
		if (f->dns == SCEN_DNS_LAME) {
			for (j = 0; j < v->n_zones; j++)
				if (dns_wname_eq(v->zones[j]->apex, vf->name))
					vf->lame = v->zones[j];
			if (vf->lame != NULL)
				v->n_faults++;
			continue;
		}
		/* DS is the parent's: not faulted on the child's side. */
		z = dns_view_zone(v, vf->name, LDNS_RR_TYPE_DS);
		vf->on_ds = z != NULL &&
		    dns_zone_auth(z, vf->name, LDNS_RR_TYPE_DS) &&
		    (z->wz->parent < 0 || !dns_wname_eq(vf->name, z->apex));
		z = dns_view_zone(v, vf->name, LDNS_RR_TYPE_A);
		vf->on_other =
		    z != NULL && dns_zone_auth(z, vf->name, LDNS_RR_TYPE_A);
		if (vf->on_ds || vf->on_other)
			v->n_faults++;
	}
}

/* The fault applying to q on v (the last matching one), or NULL. */
static const struct dns_vfault *
dns_view_fault(const struct dns_view *v, const struct dns_query *q)
{
	size_t i = v->n_faults;

	while (i-- > 0) {
		const struct dns_vfault *vf = &v->faults[i];

		if (vf->lame != NULL) {
			if (dns_view_zone(v, q->lname, q->qtype) == vf->lame)
				return vf;
			continue;
		}
		if ((vf->type != 0 && vf->type != q->qtype) ||
		    !dns_wname_eq(vf->name, q->lname))
			continue;
		if (q->qtype == LDNS_RR_TYPE_DS ? vf->on_ds : vf->on_other)
			return vf;
	}
	return NULL;
}

/* ---- the cache ---- */

static size_t
dns_key(const struct dns_query *q, uint8_t *key)
{
	key[0] = (uint8_t)((q->edns ? 1 : 0) | (q->do_bit ? 2 : 0));
	key[1] = (uint8_t)(q->qtype >> 8);
	key[2] = (uint8_t)q->qtype;
	memcpy(key + 3, q->lname, q->qname_len);
	return 3 + q->qname_len;
}

/* Build the answer of v to q into the engine's plan; its zone or NULL. */
static const struct dns_zone *
dns_engine_plan(
    struct dns_engine *e, const struct dns_view *v, const struct dns_query *q)
{
	const struct dns_zone *z = dns_view_zone(v, q->lname, q->qtype);

	dns_plan_reset(&e->plan);
	if (z == NULL) {
		e->plan.rcode = DNS_RCODE_REFUSED;
		e->plan.ede = DNS_EDE_NOT_AUTH;
		e->plan.kind = DNS_KIND_REFUSED;
		return NULL;
	}
	dns_lookup(z, q->lname, q->qtype, q->do_bit, &e->plan);
	return z;
}

static struct dns_centry *
dns_engine_fill(struct dns_engine *e, struct dns_view *v,
    const struct dns_query *q, const uint8_t *key, size_t keylen, uint32_t hash,
    bool lazy)
{
	const struct dns_zone *z = dns_engine_plan(e, v, q);
	struct dns_centry *ce;
	size_t len;

	len = dns_render(
	    q, &e->plan, DNS_MSG_MAX, e->scratch, sizeof(e->scratch));
	ce = dns_cache_put(&v->cache, key, keylen, hash, e->scratch, len, lazy);
	ce->kind = (uint8_t)e->plan.kind;
	ce->rcode = e->plan.rcode;
	ce->zone = z != NULL ? z->wz->name : NULL;
	return ce;
}

/* The form of ce that fits limit (made and kept if needed). */
static void
dns_engine_fit(struct dns_engine *e, struct dns_view *v,
    const struct dns_query *q, struct dns_centry *ce, size_t limit,
    const uint8_t **wire, size_t *len)
{
	size_t i, n;

	if (ce->len <= limit) {
		*wire = ce->wire;
		*len = ce->len;
		return;
	}
	for (i = 0; i < DNS_CACHE_VARIANTS; i++) {
		if (ce->var[i].wire != NULL && ce->var[i].limit == limit) {
			*wire = ce->var[i].wire;
			*len = ce->var[i].len;
			return;
		}
	}
	(void)dns_engine_plan(e, v, q);
	n = dns_render(q, &e->plan, limit, e->scratch, sizeof(e->scratch));
	dns_cache_put_variant(&v->cache, ce, (uint16_t)limit, e->scratch, n);
	i = (ce->next_var + DNS_CACHE_VARIANTS - 1) % DNS_CACHE_VARIANTS;
	*wire = ce->var[i].wire;
	*len = ce->var[i].len;
}

/* Cache the answers to every name and type of the view's zones. */
static void
dns_engine_prefill(struct dns_engine *e, struct dns_view *v)
{
	static const struct {
		bool edns, do_bit;
		size_t limit;
	} modes[] = {
	    {false, false, DNS_UDP_MIN},
	    {true, false, DNS_UDP_MAX},
	    {true, true, DNS_UDP_MAX},
	};
	uint8_t key[DNS_CACHE_KEY_MAX];
	struct dns_query q;
	size_t zi, ni, si, mi, keylen;

	memset(&q, 0, sizeof(q));
	q.qclass = LDNS_RR_CLASS_IN;
	q.has_question = true;
	q.payload = DNS_UDP_MAX;
	for (zi = 0; zi < v->n_zones; zi++) {
		const struct dns_zone *z = v->zones[zi];

		for (ni = 0; ni < z->n_nodes; ni++) {
			const struct dns_node *nd = &z->nodes[ni];

			q.qname_len = dns_wname_lower(q.lname, nd->name);
			q.qname = q.lname;
			for (si = 0; si <= nd->nsets; si++) {
				struct dns_centry *ce;
				const uint8_t *wire;
				size_t len;
				uint32_t h;

				if (si < nd->nsets && nd->sets[si].n == 0)
					continue;
				/* One more: DS at a cut (the parent's). */
				if (si == nd->nsets &&
				    !(nd->flags & DNS_NODE_CUT))
					continue;
				q.qtype = si < nd->nsets ? nd->sets[si].type
							 : LDNS_RR_TYPE_DS;
				for (mi = 0; mi < 3; mi++) {
					q.edns = modes[mi].edns;
					q.do_bit = modes[mi].do_bit;
					keylen = dns_key(&q, key);
					h = dns_cache_hash(
					    &v->cache, key, keylen);
					if (dns_cache_get(&v->cache, key,
						keylen, h) != NULL)
						continue;
					ce = dns_engine_fill(
					    e, v, &q, key, keylen, h, false);
					dns_engine_fit(e, v, &q, ce,
					    modes[mi].limit, &wire, &len);
				}
			}
		}
	}
}

/* ---- engine ---- */

int
dns_engine_new(const struct world *w, bool single_view, struct dns_engine **out,
    struct dl_diags *diags)
{
	struct dns_engine *e;
	size_t i, j, expected;
	int rc;

	if (w == NULL || w->n_zones == 0)
		return dl_error(diags, NULL, 0, 0, "no zones to serve");
	e = xcalloc(1, sizeof(*e));
	e->w = w;
	e->single = single_view;
	dns_plan_init(&e->plan);
	e->zones = xcalloc(w->n_zones, sizeof(*e->zones));
	for (i = 0; i < w->n_zones; i++) {
		if ((rc = dns_zone_init(&e->zones[i], &w->zones[i], diags)) !=
		    0) {
			e->n_zones = i;
			dns_engine_free(e);
			return rc;
		}
		e->n_zones = i + 1;
	}
	e->n_views = single_view ? 1 : w->n_zones;
	e->views = xcalloc(e->n_views, sizeof(*e->views));
	for (i = 0; i < e->n_views; i++) {
		struct dns_view *v = &e->views[i];

		if (single_view) {
			v->n_zones = e->n_zones;
			v->zones = xcalloc(e->n_zones, sizeof(*v->zones));
			for (j = 0; j < e->n_zones; j++)
				v->zones[j] = &e->zones[j];
		} else {
			snprintf(v->addr, sizeof(v->addr), "%s",
			    w->zones[i].ns_addr);
			v->n_zones = 1;
			v->zones = xcalloc(1, sizeof(*v->zones));
			v->zones[0] = &e->zones[i];
		}
		expected = 0;
		for (j = 0; j < v->n_zones; j++)
			expected += 3 * (v->zones[j]->n_nodes + 1) * 4;
		dns_cache_init(&v->cache, expected);
		dns_view_faults(e, v, diags);
		dns_engine_prefill(e, v);
	}
	*out = e;
	return 0;
}

void
dns_engine_free(struct dns_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n_views; i++) {
		dns_cache_clear(&e->views[i].cache);
		free(e->views[i].zones);
		free(e->views[i].faults);
	}
	free(e->views);
	for (i = 0; i < e->n_zones; i++)
		dns_zone_clear(&e->zones[i]);
	free(e->zones);
	dns_plan_clear(&e->plan);
	free(e);
}

int
dns_engine_views(const struct dns_engine *e)
{
	return (int)e->n_views;
}

int
dns_engine_view(const struct dns_engine *e, const char *addr)
{
	size_t i;

	if (e->single)
		return 0;
	for (i = 0; i < e->n_views; i++)
		if (strcmp(e->views[i].addr, addr) == 0)
			return (int)i;
	return -1;
}

void
dns_engine_stats(const struct dns_engine *e, struct dns_engine_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	st->queries = e->queries;
	st->hits = e->hits;
	st->misses = e->misses;
	for (i = 0; i < e->n_views; i++) {
		st->entries += e->views[i].cache.n_entries;
		st->flushes += e->views[i].cache.flushes;
	}
}

/* Finish res for a response of len bytes in out. */
static void
dns_result_send(struct dns_result *res, const uint8_t *out, size_t len,
    uint16_t rcode, enum dns_kind kind)
{
	res->action = len > 0 ? DNS_ACT_SEND : DNS_ACT_DROP;
	res->len = len;
	res->rcode = rcode;
	res->kind = len > 0 ? kind : DNS_KIND_NONE;
	res->flags = len >= DNS_HDR ? (uint16_t)(out[2] << 8 | out[3]) : 0;
}

/* A response without records, patched for q. */
static void
dns_send_empty(const struct dns_query *q, uint16_t rcode, bool question,
    bool aa, bool tc, int ede, enum dns_kind kind, uint8_t *out, size_t cap,
    struct dns_result *res)
{
	size_t len =
	    dns_render_empty(q, rcode, question, aa, tc, ede, out, cap);

	dns_wire_patch(out, len, q);
	dns_result_send(res, out, len, rcode, kind);
}

/* Apply fault vf; false if it does not change this answer. */
static bool
dns_apply_fault(const struct dns_vfault *vf, const struct dns_query *q,
    enum dns_transport tr, uint8_t *out, size_t cap, struct dns_result *res)
{
	switch (vf->f->dns) {
	case SCEN_DNS_SERVFAIL:
		dns_send_empty(q, DNS_RCODE_SERVFAIL, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_ERROR, out, cap, res);
		break;
	case SCEN_DNS_REFUSED:
		dns_send_empty(q, DNS_RCODE_REFUSED, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_REFUSED, out, cap, res);
		break;
	case SCEN_DNS_LAME:
		dns_send_empty(q, DNS_RCODE_REFUSED, true, false, false,
		    DNS_EDE_NOT_AUTH, DNS_KIND_REFUSED, out, cap, res);
		break;
	case SCEN_DNS_NOTIMP:
		dns_send_empty(q, DNS_RCODE_NOTIMP, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_ERROR, out, cap, res);
		break;
	case SCEN_DNS_TIMEOUT:
		res->action = DNS_ACT_DROP;
		break;
	case SCEN_DNS_TCP_REFUSED:
		if (tr == DNS_TCP) {
			res->action = DNS_ACT_CLOSE;
			break;
		}
		/* FALLTHROUGH */
	case SCEN_DNS_TRUNCATE:
		if (tr == DNS_TCP)
			return false;
		dns_send_empty(q, DNS_RCODE_NOERROR, true, true, true,
		    DNS_EDE_NONE, DNS_KIND_TRUNCATED, out, cap, res);
		break;
	default:
		return false;
	}
	res->fault = vf->f;
	return true;
}

int
dns_engine_answer(struct dns_engine *e, int view, enum dns_transport tr,
    const uint8_t *q, size_t qlen, uint8_t *out, size_t cap,
    struct dns_result *res)
{
	struct dns_view *v;
	struct dns_query pq;
	const struct dns_vfault *vf;
	struct dns_centry *ce;
	uint8_t key[DNS_CACHE_KEY_MAX];
	const uint8_t *wire;
	size_t keylen, len, limit;
	enum dns_qstatus st;
	uint32_t h;

	memset(res, 0, sizeof(*res));
	res->action = DNS_ACT_DROP;
	if (view < 0 || (size_t)view >= e->n_views)
		return DL_ERANGE;
	v = &e->views[view];
	e->queries++;

	st = dns_query_parse(q, qlen, &pq);
	res->has_id = qlen >= DNS_HDR;
	res->id = pq.id;
	res->opcode = pq.opcode;
	if ((res->has_question = pq.has_question)) {
		res->qname = pq.qname;
		res->qname_len = pq.qname_len;
		res->qtype = pq.qtype;
		res->qclass = pq.qclass;
	}
	res->edns = pq.edns;
	res->do_bit = pq.do_bit;
	res->edns_size = pq.payload;
	res->edns_version = pq.version;
	switch (st) {
	case DNS_Q_IGNORE:
		return 0;
	case DNS_Q_FORMERR:
		dns_send_empty(&pq, DNS_RCODE_FORMERR, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_ERROR, out, cap, res);
		return 0;
	case DNS_Q_NOTIMP:
		dns_send_empty(&pq, DNS_RCODE_NOTIMP, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_ERROR, out, cap, res);
		return 0;
	case DNS_Q_BADVERS:
		dns_send_empty(&pq, DNS_RCODE_BADVERS, true, false, false,
		    DNS_EDE_NONE, DNS_KIND_ERROR, out, cap, res);
		return 0;
	case DNS_Q_OK:
		break;
	}
	if (pq.qclass != LDNS_RR_CLASS_IN || pq.qtype == LDNS_RR_TYPE_AXFR ||
	    pq.qtype == LDNS_RR_TYPE_IXFR) {
		dns_send_empty(&pq, DNS_RCODE_REFUSED, true, false, false,
		    DNS_EDE_NOT_SUPPORTED, DNS_KIND_REFUSED, out, cap, res);
		return 0;
	}
	if (v->n_faults > 0 && (vf = dns_view_fault(v, &pq)) != NULL &&
	    dns_apply_fault(vf, &pq, tr, out, cap, res)) {
		res->zone = vf->lame != NULL ? vf->lame->wz->name : NULL;
		return 0;
	}

	/* The hot path: one hash lookup, one copy, a patch. */
	limit = dns_query_limit(&pq, tr);
	keylen = dns_key(&pq, key);
	h = dns_cache_hash(&v->cache, key, keylen);
	if ((ce = dns_cache_get(&v->cache, key, keylen, h)) != NULL) {
		e->hits++;
	} else {
		e->misses++;
		ce = dns_engine_fill(e, v, &pq, key, keylen, h, true);
	}
	dns_engine_fit(e, v, &pq, ce, limit, &wire, &len);
	res->zone = ce->zone;
	if (len > cap) {
		dns_send_empty(&pq, ce->rcode, true,
		    ce->kind != DNS_KIND_REFERRAL, true, DNS_EDE_NONE,
		    (enum dns_kind)ce->kind, out, cap, res);
		return 0;
	}
	memcpy(out, wire, len);
	dns_wire_patch(out, len, &pq);
	dns_result_send(res, out, len, ce->rcode, (enum dns_kind)ce->kind);
	return 0;
}
