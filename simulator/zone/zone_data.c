/*
 * zone_data.c -- the unsigned contents of each zone of the world.
 *
 * Owns: which RRs a zone holds before signing (SOA, apex NS, name server
 * addresses and glue, delegations with DS, the mail domain's MX, MX host
 * addresses and CNAMEs, TLSA RRsets, extra records), and the TLSA records
 * of a host computed from fixture certificates or literal data.  Does not
 * own: DNSKEY, RRSIG, NSEC/NSEC3 (zone_sign.c).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simulator/pki/pki.h"
#include "simulator/util/xmem.h"
#include "simulator/zone/zone_int.h"

/*
 * One RR from presentation format built with printf-style arguments.
 * Only for data the world generates from checked names, so a parse
 * failure is a bug; NULL is returned then.
 */
static ldns_rr *zone_rr_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static ldns_rr *
zone_rr_fmt(const char *fmt, ...)
{
	ldns_rr *rr = NULL;
	va_list ap;
	char *str;

	va_start(ap, fmt);
	str = xvasprintf(fmt, ap);
	va_end(ap);
	if (ldns_rr_new_frm_str(&rr, str, 0, NULL, NULL) != LDNS_STATUS_OK)
		rr = NULL;
	free(str);
	return rr;
}

/*
 * Push rr (owned) onto rrs; a NULL rr is a generation bug, reported.
 * Returns 1 on failure, 0 on success, so that failures can be counted.
 */
static int
zone_push(
    struct zone_build *b, ldns_rr_list *rrs, ldns_rr *rr, const char *what)
{
	if (rr == NULL) {
		dl_error(b->diags, b->file, 0, 0,
		    "internal error: cannot build %s", what);
		zone_fail(b, DL_EDNS);
		return 1;
	}
	ldns_rr_list_push_rr(rrs, rr);
	return 0;
}

/* One TLSA record for host h. */
static ldns_rr *
zone_tlsa_rr(const char *owner, uint32_t ttl, const struct scen_tlsa *t,
    const uint8_t *data, size_t len)
{
	ldns_rr *rr = ldns_rr_new();

	if (rr == NULL)
		abort();
	ldns_rr_set_owner(rr, zone_dname(owner));
	ldns_rr_set_ttl(rr, ttl);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int8(LDNS_RDF_TYPE_CERTIFICATE_USAGE, t->usage));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_SELECTOR, t->selector));
	ldns_rr_push_rdf(
	    rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_MATCHING_TYPE, t->mtype));
	ldns_rr_push_rdf(
	    rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX, len, data));
	return rr;
}

/*
 * A damaged record (`length`): the digest cut to, or padded with zero
 * bytes to, n bytes, as a copy-and-paste or a tool would damage it.
 */
static void
zone_tlsa_resize(uint16_t n, uint8_t **data, size_t *len)
{
	if (n > *len) {
		*data = xreallocarray(*data, n, 1);
		memset(*data + *len, 0, n - *len);
	}
	*len = n;
}

/*
 * Association data of TLSA record t: computed from its certificate or
 * copied from its literal data.  *data is owned by the caller (free).
 */
static int
zone_tlsa_data(struct zone_build *b, const struct scen_tlsa *t, uint8_t **data,
    size_t *len)
{
	const struct scen_pos *pos = &t->pos;
	X509 *x;
	int rc;

	if (t->cert == NULL) {
		if (t->data == NULL || t->data_len == 0)
			return dl_error(b->diags, b->file, pos->line, pos->col,
			    "TLSA record without association data");
		*data = xmalloc(t->data_len);
		memcpy(*data, t->data, t->data_len);
		*len = t->data_len;
		return 0;
	}
	if ((x = zone_cert(b, t->cert, b->file, pos)) == NULL)
		return DL_ENOENT;
	rc = pki_tlsa_data_alloc(x, t->selector, t->mtype, data, len);
	if (rc == 0 && t->length != 0)
		zone_tlsa_resize(t->length, data, len);
	if (rc == DL_EINVAL)
		return dl_error(b->diags, b->file, pos->line, pos->col,
		    "cannot compute TLSA data for selector %u matching type "
		    "%u from a certificate (only selectors 0-1 and matching "
		    "types 0-2): write the record literally",
		    t->selector, t->mtype);
	if (rc != 0)
		dl_error(b->diags, b->file, pos->line, pos->col,
		    "cannot compute TLSA data from certificate '%s': %s",
		    t->cert, dl_strerror(rc));
	return rc;
}

int
zone_host_tlsa_build(struct zone_build *b, struct world_host *h)
{
	const struct world_host_state *st = &h->st;
	ldns_rr *rr;
	uint8_t *data;
	size_t i, len;
	int rc = 0, r;

	h->tlsa_rrs = ldns_rr_list_new();
	for (i = 0; i < st->n_tlsa; i++) {
		r = zone_tlsa_data(b, &st->tlsa[i], &data, &len);
		if (r != 0) {
			rc = zone_fail(b, r);
			continue;
		}
		rr = zone_tlsa_rr(
		    h->tlsa_owner, h->tlsa_ttl, &st->tlsa[i], data, len);
		ldns_rr_list_push_rr(h->tlsa_rrs, rr);
		free(data);
	}
	return rc;
}

/*
 * An extra TLSA record computed from a fixture (`cert`), at any owner:
 * the same data a host's `tlsa:` item gives.  The loader checked that
 * the owner lies in z; the type is TLSA, which the world never makes.
 */
static int
zone_record_tlsa(struct zone_build *b, const struct world_zone *z,
    const struct scen_record *r, ldns_rr **out)
{
	uint8_t *data;
	size_t len;
	int rc;

	if ((rc = zone_tlsa_data(b, &r->tlsa, &data, &len)) != 0)
		return rc;
	*out = zone_tlsa_rr(r->owner, r->ttl ? r->ttl : z->ttl, &r->tlsa,
	    data, len);
	free(data);
	return 0;
}

/* One extra record of zone z; *out owned by the caller. */
static int
zone_record_parse(struct zone_build *b, const struct world_zone *z,
    const ldns_rdf *origin, const struct scen_record *r, ldns_rr **out)
{
	const struct scen_pos *pos = &r->pos;
	ldns_rr *rr = NULL;
	ldns_status st;
	char *str, *owner;
	int rc = 0;

	if (r->owner != NULL && r->tlsa.cert != NULL)
		return zone_record_tlsa(b, z, r, out);
	if (r->owner == NULL || r->type == NULL || r->rdata == NULL)
		return dl_error(b->diags, b->file, pos->line, pos->col,
		    "incomplete record");
	str = xasprintf("%s %u IN %s %s", r->owner, r->ttl ? r->ttl : z->ttl,
	    r->type, r->rdata);
	st = ldns_rr_new_frm_str(&rr, str, z->ttl, origin, NULL);
	free(str);
	if (st != LDNS_STATUS_OK)
		return dl_error(b->diags, b->file, pos->line, pos->col,
		    "record %s %s %s: %s", r->owner, r->type, r->rdata,
		    ldns_get_errorstr_by_id(st));
	if ((owner = ldns_rdf2str(ldns_rr_owner(rr))) == NULL)
		abort();
	for (char *p = owner; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!scen_dname_under(owner, z->name))
		rc = dl_error(b->diags, b->file, pos->line, pos->col,
		    "record owner %s is not in zone %s", owner, z->name);
	else if (scen_rrtype_made(ldns_rr_get_type(rr), z->is_signed,
		     ldns_dname_compare(ldns_rr_owner(rr), origin) == 0))
		rc = dl_error(b->diags, b->file, pos->line, pos->col,
		    "%s records of %s are made by the world, not written",
		    r->type, z->name);
	free(owner);
	if (rc != 0) {
		ldns_rr_free(rr);
		return rc;
	}
	*out = rr;
	return 0;
}

static int
zone_records_add(struct zone_build *b, struct world_zone *z, ldns_rr_list *rrs)
{
	ldns_rdf *origin = zone_dname(z->name);
	ldns_rr *rr = NULL;
	size_t i, bad = 0;

	for (i = 0; i < z->scen->n_records; i++) {
		if (zone_record_parse(
			b, z, origin, &z->scen->records[i], &rr) != 0)
			bad++;
		else
			ldns_rr_list_push_rr(rrs, rr);
	}
	ldns_rdf_deep_free(origin);
	return bad > 0 ? zone_fail(b, DL_EINVAL) : 0;
}

/* True if zone z names server ns in an NS RRset (apex or delegation). */
static bool
zone_refers_ns(const struct world_zone *z, const struct world_zone *server)
{
	return server == z || server->parent == z->index;
}

int
zone_data_build(struct zone_build *b, struct world_zone *z, ldns_rr **soap,
    ldns_rr_list **rrsp)
{
	const struct scenario *s = b->s;
	struct world *w = b->w;
	ldns_rr_list *rrs = ldns_rr_list_new();
	ldns_rr *soa;
	char *rname;
	size_t i, j, bad = 0;

	rname = strcmp(z->name, ".") == 0 ? xstrdup("hostmaster.")
					  : xasprintf("hostmaster.%s", z->name);
	soa = zone_rr_fmt("%s %u IN SOA %s %s %u %u %u %u %u", z->name, z->ttl,
	    z->ns_name, rname, b->serial, WORLD_SOA_REFRESH, WORLD_SOA_RETRY,
	    WORLD_SOA_EXPIRE, z->ttl);
	free(rname);
	if (soa == NULL) {
		ldns_rr_list_free(rrs);
		(void)zone_push(b, NULL, NULL, "SOA"); /* reports it */
		return DL_EDNS;
	}

	/* Apex NS, and delegations to the children with their DS. */
	bad += zone_push(b, rrs,
	    zone_rr_fmt("%s %u IN NS %s", z->name, z->ttl, z->ns_name), "NS");
	for (i = 0; i < w->n_zones; i++) {
		const struct world_zone *c = &w->zones[i];

		if (c->parent != z->index)
			continue;
		bad += zone_push(b, rrs,
		    zone_rr_fmt("%s %u IN NS %s", c->name, z->ttl, c->ns_name),
		    "delegation NS");
		for (j = 0; j < ldns_rr_list_rr_count(c->ds); j++) {
			ldns_rr *ds = ldns_rr_clone(ldns_rr_list_rr(c->ds, j));

			ldns_rr_set_ttl(ds, z->ttl);
			ldns_rr_list_push_rr(rrs, ds);
		}
	}

	/*
	 * Name server addresses: authoritative where the name lives, glue
	 * where this zone names a server that lies below one of its cuts.
	 */
	for (i = 0; i < w->n_zones; i++) {
		const struct world_zone *y = &w->zones[i];
		int auth = zone_auth_index(w, y->ns_name);

		if (auth == z->index ||
		    (zone_refers_ns(z, y) && scen_dname_under(y->ns_name, z->name)))
			bad += zone_push(b, rrs,
			    zone_rr_fmt("%s %u IN A %s", y->ns_name, z->ttl,
				y->ns_addr),
			    "NS address");
	}

	/* The mail domain's MX RRset. */
	if (s->domain != NULL && zone_auth_index(w, s->domain) == z->index) {
		for (i = 0; i < w->n_hosts; i++) {
			const struct scen_host *h = w->hosts[i].scen;

			bad += zone_push(b, rrs,
			    zone_rr_fmt("%s %u IN MX %u %s", s->domain, z->ttl,
				h->preference, h->name),
			    "MX");
		}
	}

	/* MX hosts: CNAME, addresses, TLSA. */
	for (i = 0; i < w->n_hosts; i++) {
		const struct world_host *h = &w->hosts[i];
		const struct scen_host *sh = h->scen;

		if (sh->cname != NULL &&
		    zone_auth_index(w, sh->name) == z->index)
			bad += zone_push(b, rrs,
			    zone_rr_fmt("%s %u IN CNAME %s", sh->name, z->ttl,
				sh->cname),
			    "CNAME");
		if (h->zone == z->index) {
			for (j = 0; j < sh->n_addrs; j++) {
				ldns_rr *a = zone_rr_fmt("%s %u IN A %s",
				    h->target, z->ttl, sh->addrs[j]);

				if (a == NULL) {
					dl_error(b->diags, b->file,
					    sh->pos.line, sh->pos.col,
					    "host %s: bad address '%s'",
					    sh->name, sh->addrs[j]);
					bad++;
					continue;
				}
				ldns_rr_list_push_rr(rrs, a);
			}
		}
		if (h->tlsa_zone == z->index) {
			for (j = 0; j < ldns_rr_list_rr_count(h->tlsa_rrs); j++)
				ldns_rr_list_push_rr(rrs,
				    ldns_rr_clone(
					ldns_rr_list_rr(h->tlsa_rrs, j)));
		}
	}

	if (z->scen->n_records > 0 && zone_records_add(b, z, rrs) != 0)
		bad++;

	if (bad > 0) {
		ldns_rr_free(soa);
		ldns_rr_list_deep_free(rrs);
		return zone_fail(b, DL_EINVAL);
	}
	zone_rrs_sort(rrs);
	*soap = soa;
	*rrsp = rrs;
	return 0;
}
