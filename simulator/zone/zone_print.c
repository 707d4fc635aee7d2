/*
 * zone_print.c -- canonical order of a zone's RRs, and zone, key and
 * trust-anchor files in presentation format.
 *
 * Owns: the order in which a world zone's RRs are kept and written (the
 * DNS server and the exporter both see it), and writing them.  Does not
 * own: choosing file names or directories (the exporter does).
 */
#include <stdlib.h>

#include "simulator/util/xmem.h"
#include "simulator/zone/zone_int.h"

/* Sort key for the type: SOA first at its name, RRSIG by covered type. */
static unsigned
zone_rr_sort_type(const ldns_rr *rr, bool *is_sig)
{
	ldns_rr_type t = ldns_rr_get_type(rr);

	*is_sig = t == LDNS_RR_TYPE_RRSIG;
	if (*is_sig && ldns_rr_rrsig_typecovered(rr) != NULL)
		t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
	return t == LDNS_RR_TYPE_SOA ? 0 : (unsigned)t;
}

static int
zone_rr_cmp(const void *a, const void *b)
{
	const ldns_rr *x = *(const ldns_rr *const *)a;
	const ldns_rr *y = *(const ldns_rr *const *)b;
	unsigned tx, ty;
	bool sx, sy;
	int c;

	if ((c = ldns_dname_compare(ldns_rr_owner(x), ldns_rr_owner(y))) != 0)
		return c;
	tx = zone_rr_sort_type(x, &sx);
	ty = zone_rr_sort_type(y, &sy);
	if (tx != ty)
		return tx < ty ? -1 : 1;
	if (sx != sy)
		return sx ? 1 : -1;
	return ldns_rr_compare(x, y);
}

void
zone_rrs_sort(ldns_rr_list *rrs)
{
	size_t i, k = 0, n = ldns_rr_list_rr_count(rrs);
	ldns_rr **v;

	if (n < 2)
		return;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = ldns_rr_list_rr(rrs, i);
	qsort(v, n, sizeof(*v), zone_rr_cmp);
	for (i = 0; i < n; i++) {
		/* Equal RRs (TTL aside) are one RR: keep the first. */
		if (k > 0 && ldns_rr_compare(v[k - 1], v[i]) == 0) {
			ldns_rr_free(v[i]);
			continue;
		}
		v[k++] = v[i];
	}
	for (i = 0; i < k; i++)
		ldns_rr_list_set_rr(rrs, v[i], i);
	ldns_rr_list_set_rr_count(rrs, k);
	free(v);
}

static int
zone_list_fprint(FILE *fp, const ldns_rr_list *rrs)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		ldns_rr_print(fp, ldns_rr_list_rr(rrs, i));
	return ferror(fp) ? DL_EIO : 0;
}

int
world_zone_fprint(FILE *fp, const struct world_zone *z)
{
	if (z->zone == NULL)
		return DL_EINVAL;
	ldns_rr_print(fp, ldns_zone_soa(z->zone));
	return zone_list_fprint(fp, ldns_zone_rrs(z->zone));
}

int
world_zone_fprint_keys(FILE *fp, const struct world_zone *z)
{
	int rc;

	if ((rc = zone_list_fprint(fp, z->ds)) != 0)
		return rc;
	return zone_list_fprint(fp, z->dnskeys);
}

int
world_anchor_fprint(FILE *fp, const struct world *w)
{
	if (w->anchor_dnskey == NULL)
		return DL_ENOENT;
	ldns_rr_print(fp, w->anchor_dnskey);
	ldns_rr_print(fp, w->anchor_ds);
	return ferror(fp) ? DL_EIO : 0;
}
