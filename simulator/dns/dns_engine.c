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

#define DNS_PROOF_MAX	8	/* proof RRsets remembered per fault */

/* A scenario DNS fault as one view applies it. */
struct dns_vfault {
	const struct scen_fault *f;
	uint8_t name[DNS_NAME_MAX];  /* lower case */
	uint16_t type;		     /* 0: any */
	const struct dns_zone *lame; /* lame: the zone refused */
	bool on_ds;		     /* applies to DS queries here */
	bool on_other;		     /* applies to other types here */
	ldns_rr *soa;		     /* soa-changed: the altered SOA, owned */
	/* Denial faults: the NSEC/NSEC3 RRsets that prove name's absence
	 * (or its type's), wherever they appear; borrowed from the index. */
	const struct dns_rrset *proof[DNS_PROOF_MAX];
	size_t n_proof;
};

struct dns_view {
	char addr[16]; /* "" in single-view mode */
	const struct dns_zone **zones;
	size_t n_zones;
	struct dns_vfault *faults; /* scenario order */
	size_t n_faults;
	bool has_denial;	   /* a denial fault applies here */
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

/*
 * The zone's SOA with its serial one higher: what a zone edited after
 * signing serves beside the old RRSIG.  Owned by the caller; NULL for
 * a zone without a SOA.
 */
static ldns_rr *
dns_soa_changed(const struct dns_zone *z)
{
	const struct dns_rrset *set =
	    dns_node_rrset(z->apex_node, LDNS_RR_TYPE_SOA);
	ldns_rdf *serial;
	ldns_rr *soa;

	if (set == NULL || set->n == 0)
		return NULL;
	soa = ldns_rr_clone(set->rr[0]);
	/* Not ldns_rr_soa_increment(): it leaks the old serial's data. */
	serial = ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
	    ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) + 1);
	ldns_rdf_deep_free(ldns_rr_set_rdf(soa, serial, 2));
	return soa;
}

/*
 * The NSEC/NSEC3 RRsets that prove what does not exist at vf's name:
 * the record matching the name (NODATA), else the one covering it, and
 * the same for each ancestor that does not exist either, up to the
 * first that does (whose record proves the closest encloser only).  A
 * resolver that got one of them validated elsewhere could prove the
 * denial from its cache (RFC 8198), so the fault follows them.
 */
static void
dns_denial_proofs(const struct dns_zone *z, struct dns_vfault *vf)
{
	const uint8_t *n = vf->name;

	if (!z->is_signed)
		return;
	while (vf->n_proof < DNS_PROOF_MAX && dns_wname_under(n, z->apex)) {
		const struct dns_rrset *set = NULL;
		const struct dns_node *node = dns_zone_find(z, n);
		const struct dns_n3 *n3;
		bool exists = dns_zone_exists(z, n);

		if (z->nsec3) {
			n3 = exists ? dns_zone_n3_match(z, n)
				    : dns_zone_n3_cover(z, n);
			set = n3 != NULL ? &n3->set : NULL;
		} else if (node != NULL &&
		    (set = dns_node_rrset(node, LDNS_RR_TYPE_NSEC)) != NULL &&
		    set->n > 0) {
			/* matching NSEC */
		} else {
			set = dns_zone_nsec_cover(z, n);
		}
		if (set != NULL)
			vf->proof[vf->n_proof++] = set;
		if (exists || *n == 0)
			break;
		n += *n + 1;
	}
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
		if (scen_dns_fault_is_denial(f->dns) && vf->on_other) {
			if (f->dns == SCEN_DNS_SOA_CHANGED)
				vf->soa = dns_soa_changed(z);
			dns_denial_proofs(z, vf);
			v->has_denial = true;
		}
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
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->n_views; i++) {
		dns_cache_clear(&e->views[i].cache);
		free(e->views[i].zones);
		for (j = 0; j < e->views[i].n_faults; j++)
			ldns_rr_free(e->views[i].faults[j].soa);
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

/* ---- denial faults ---- */

/* Type of the RRset a plan group carries (RRSIGs: the covered type). */
static uint16_t
dns_group_type(const struct dns_plan *p, const struct dns_pgroup *g)
{
	const ldns_rr *rr;

	if (g->n == 0)
		return 0;
	rr = p->rr[g->first].rr;
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
		return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
	return ldns_rr_get_type(rr);
}

/* p's authority section holds one of vf's proof RRsets. */
static bool
dns_plan_carries(const struct dns_plan *p, const struct dns_vfault *vf)
{
	size_t i, j;

	for (i = 0; i < p->n_g; i++) {
		const struct dns_pgroup *g = &p->g[i];

		if (g->section != DNS_SEC_AUTHORITY || g->n == 0)
			continue;
		for (j = 0; j < vf->n_proof; j++)
			if (vf->proof[j]->n > 0 &&
			    p->rr[g->first].rr == vf->proof[j]->rr[0])
				return true;
	}
	return false;
}

/* Leave the NSEC and NSEC3 groups of the authority section out. */
static void
dns_plan_drop_proofs(struct dns_plan *p)
{
	size_t i, k = 0;

	for (i = 0; i < p->n_g; i++) {
		uint16_t t = dns_group_type(p, &p->g[i]);

		if (p->g[i].section == DNS_SEC_AUTHORITY &&
		    (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3))
			continue;
		p->g[k++] = p->g[i];
	}
	p->n_g = k;
}

/*
 * Whether an NSEC (next name next) or NSEC3 span, from owner to next,
 * matches or covers key; a span whose next is not after its owner wraps
 * around the end of the zone.
 */
static bool
dns_span_hits(int c_owner, int c_next, bool wraps)
{
	if (c_owner == 0)
		return true;			/* matches */
	if (wraps)
		return c_owner > 0 || c_next < 0;
	return c_owner > 0 && c_next < 0;	/* owner < key < next */
}

/* The suffixes of name at or below the apex of z (name included). */
static size_t
dns_zone_suffixes(const struct dns_zone *z, const uint8_t *name,
    const uint8_t **out, size_t cap)
{
	size_t n = 0;

	while (n < cap && dns_wname_under(name, z->apex)) {
		out[n++] = name;
		if (*name == 0)
			break;
		name += *name + 1;
	}
	return n;
}

/* An NSEC RRset of z that matches and covers none of names[]. */
static const struct dns_rrset *
dns_nsec_elsewhere(const struct dns_zone *z, const uint8_t *const *names,
    size_t n)
{
	size_t i, j;

	for (i = 0; i < z->n_nodes; i++) {
		const struct dns_rrset *set =
		    dns_node_rrset(&z->nodes[i], LDNS_RR_TYPE_NSEC);
		const uint8_t *owner, *next;
		bool hit = false;

		if (set == NULL || set->n == 0)
			continue;
		owner = z->nodes[i].name;
		next = ldns_rdf_data(ldns_rr_rdf(set->rr[0], 0));
		for (j = 0; j < n && !hit; j++)
			hit = dns_span_hits(dns_wname_cmp(names[j], owner),
			    dns_wname_cmp(names[j], next),
			    dns_wname_cmp(next, owner) <= 0);
		if (!hit)
			return set;
	}
	return NULL;
}

/* An NSEC3 RRset of z whose span matches and covers none of names[]. */
static const struct dns_rrset *
dns_n3_elsewhere(const struct dns_zone *z, const uint8_t *const *names,
    size_t n)
{
	uint8_t h[DNS_LABELS_MAX][20];
	size_t i, j;

	for (j = 0; j < n; j++)
		dns_zone_n3_hash(z, names[j], h[j]);
	for (i = 0; i < z->n_n3; i++) {
		/* The chain is sorted by hash: the next is the next entry. */
		const uint8_t *owner = z->n3[i].hash;
		const uint8_t *next = z->n3[(i + 1) % z->n_n3].hash;
		bool hit = false;

		for (j = 0; j < n && !hit; j++)
			hit = dns_span_hits(memcmp(h[j], owner, 20),
			    memcmp(h[j], next, 20), i + 1 == z->n_n3);
		if (!hit)
			return &z->n3[i].set;
	}
	return NULL;
}

/*
 * Break the proof of the negative answer in p to q, as vf says.  A
 * wrong proof with no record to spare (a zone of one or two names)
 * degrades to a missing one.
 */
static void
dns_break_denial(struct dns_plan *p, const struct dns_zone *z,
    const struct dns_vfault *vf, const struct dns_query *q)
{
	const uint8_t *names[DNS_LABELS_MAX];
	const struct dns_rrset *other;
	size_t i, n;

	switch (vf->f->dns) {
	case SCEN_DNS_PROOF_MISSING:
		dns_plan_drop_proofs(p);
		break;
	case SCEN_DNS_PROOF_WRONG:
		dns_plan_drop_proofs(p);
		n = dns_zone_suffixes(z, q->lname, names, DNS_LABELS_MAX);
		other = z->nsec3 ? dns_n3_elsewhere(z, names, n)
				 : dns_nsec_elsewhere(z, names, n);
		/* Its pointer may be in the seen list already: add it raw. */
		if (other != NULL) {
			p->n_seen = 0;
			(void)dns_plan_add(
			    p, DNS_SEC_AUTHORITY, false, other, true, NULL);
		}
		break;
	case SCEN_DNS_SOA_CHANGED:
		for (i = 0; i < p->n_rr && vf->soa != NULL; i++)
			if (ldns_rr_get_type(p->rr[i].rr) == LDNS_RR_TYPE_SOA)
				p->rr[i].rr = vf->soa;
		break;
	default:
		break;
	}
}

/*
 * A denial fault: the normal answer, its proof broken if it is a
 * negative answer of a signed zone to a DO query; false (not faulted)
 * otherwise.  Never cached: the fault is per name and type.
 */
static bool
dns_apply_denial(struct dns_engine *e, const struct dns_view *v,
    const struct dns_vfault *vf, const struct dns_query *q,
    enum dns_transport tr, uint8_t *out, size_t cap, struct dns_result *res)
{
	const struct dns_zone *z;
	size_t len, i;

	if (!q->do_bit)
		return false;
	z = dns_engine_plan(e, v, q);
	if (z == NULL || !z->is_signed || !z->has_rrsig ||
	    (e->plan.kind != DNS_KIND_NXDOMAIN &&
		e->plan.kind != DNS_KIND_NODATA))
		return false;
	/* Another name's negative answer: faulted if it carries a proof
	 * record of a faulted name (the last such fault). */
	for (i = v->n_faults; vf == NULL && i-- > 0;)
		if (v->faults[i].n_proof > 0 &&
		    dns_plan_carries(&e->plan, &v->faults[i]))
			vf = &v->faults[i];
	if (vf == NULL)
		return false;
	dns_break_denial(&e->plan, z, vf, q);
	len = dns_render(q, &e->plan, dns_query_limit(q, tr), out, cap);
	dns_wire_patch(out, len, q);
	dns_result_send(res, out, len, e->plan.rcode, e->plan.kind);
	res->zone = z->wz->name;
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
	vf = v->n_faults > 0 ? dns_view_fault(v, &pq) : NULL;
	if (vf != NULL && scen_dns_fault_is_denial(vf->f->dns)) {
		if (dns_apply_denial(e, v, vf, &pq, tr, out, cap, res))
			return 0;
	} else if (vf != NULL && dns_apply_fault(vf, &pq, tr, out, cap, res)) {
		res->zone = vf->lame != NULL ? vf->lame->wz->name : NULL;
		return 0;
	}

	if (v->has_denial && pq.do_bit &&
	    dns_apply_denial(e, v, NULL, &pq, tr, out, cap, res))
		return 0;

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
