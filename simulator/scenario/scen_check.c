/*
 * scen_check.c -- semantic checks across a decoded scenario, and the
 * implicit zones of its world.
 *
 * Owns: the rules that involve more than one mapping (every host and
 * zone referred to exists, hosts and phases are unique, phases are in
 * order, a ds fault applies to a signed zone with a parent, expectations
 * cover every MX host, zones[].records neither hold what the world makes
 * nor break the CNAME and DNAME rules), deriving the zones nobody wrote, and
 * the final shape of the model (hosts by preference, overall actions).  Does
 * not own: anything about a single value or a single mapping (scen_load.c).
 *
 * The checks run even when decoding found errors, so that one run
 * reports every problem; each check skips what failed to decode (a NULL
 * name) and the reference checks are skipped when the set they look in
 * is incomplete, so that one mistake does not cascade.
 */
#include "simulator/scenario/scen_internal.h"

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "simulator/util/xmem.h"

static const struct scen_pos nopos = { 0, 0 };

static struct scen_host *
find_host(struct scenario *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].name != NULL &&
		    strcmp(s->hosts[i].name, name) == 0)
			return &s->hosts[i];
	return NULL;
}

static struct scen_zone *
find_zone(struct scenario *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_zones; i++)
		if (s->zones[i].name != NULL &&
		    strcmp(s->zones[i].name, name) == 0)
			return &s->zones[i];
	return NULL;
}

/* The zone holding name: longest apex that name is at or below. */
static struct scen_zone *
zone_for(struct scenario *s, const char *name)
{
	struct scen_zone *best = NULL;
	size_t i;

	for (i = 0; i < s->n_zones; i++) {
		struct scen_zone *z = &s->zones[i];

		if (z->name == NULL || !scen_dname_under(name, z->name))
			continue;
		if (best == NULL || strlen(z->name) > strlen(best->name))
			best = z;
	}
	return best;
}

static void
check_hosts(struct scen_ctx *ctx, struct scenario *s)
{
	size_t i, j;

	for (i = 0; i < s->n_hosts; i++) {
		struct scen_host *h = &s->hosts[i];

		if (h->name == NULL) {
			ctx->hosts_incomplete = true;
			continue;
		}
		for (j = 0; j < i; j++) {
			if (s->hosts[j].name != NULL &&
			    strcmp(s->hosts[j].name, h->name) == 0) {
				scen_err(ctx, scen_pos_of(ctx, &h->name,
				    h->pos), "duplicate MX host %s (first at "
				    "%u:%u)",
				    h->name, s->hosts[j].pos.line,
				    s->hosts[j].pos.col);
				break;
			}
		}
	}
}

/* ---- implicit zones -------------------------------------------------- */

struct zlist {
	char **v;		/* borrowed or owned, see add_zone */
	size_t n;
	size_t cap;
};

static bool
zlist_has(const struct zlist *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return true;
	return false;
}

static void
zlist_add(struct zlist *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(name);
}

/*
 * True if name is at or below a declared zone that can hold hosts: the
 * root and the TLDs are declared to tune them, not to hold MX hosts.
 */
static bool
under_declared(const struct scenario *s, size_t n_declared, const char *name)
{
	size_t i;

	for (i = 0; i < n_declared; i++) {
		const char *z = s->zones[i].name;

		if (z != NULL && scen_dname_labels(z) >= 2 &&
		    scen_dname_under(name, z))
			return true;
	}
	return false;
}

/* The zone of a host not under any declared zone: its last two labels. */
static const char *
host_zone(const char *name)
{
	const char *p = name;

	while (scen_dname_labels(p) > 2)
		p = scen_dname_parent(p);
	return p;
}

static int
labels_cmp(const void *a, const void *b)
{
	const struct scen_zone *x = a, *y = b;
	size_t lx = scen_dname_labels(x->name), ly = scen_dname_labels(y->name);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	/* Stable: pos.line holds the discovery order of implicit zones. */
	return x->pos.line < y->pos.line ? -1 : x->pos.line > y->pos.line;
}

static void
derive_zones(struct scen_ctx *ctx, struct scenario *s)
{
	size_t nd = s->n_zones, i, j, total;
	struct zlist all = { 0 }, imp = { 0 };
	struct scen_zone *zones;

	/* Declared zones, each once. */
	for (i = 0; i < nd; i++) {
		struct scen_zone *z = &s->zones[i];

		if (z->name == NULL)
			continue;
		for (j = 0; j < i; j++) {
			if (s->zones[j].name != NULL &&
			    strcmp(s->zones[j].name, z->name) == 0) {
				scen_err(ctx, scen_pos_of(ctx, &z->name,
				    z->pos), "zone %s declared twice (first at "
				    "%u:%u)",
				    z->name, s->zones[j].pos.line,
				    s->zones[j].pos.col);
				break;
			}
		}
		if (!zlist_has(&all, z->name))
			zlist_add(&all, z->name);
	}
	/* The mail domain's zone, and the zones of hosts outside it. */
	if (s->domain != NULL && !zlist_has(&all, s->domain)) {
		zlist_add(&all, s->domain);
		zlist_add(&imp, s->domain);
	}
	for (i = 0; i < s->n_hosts; i++) {
		const char *names[2] = { s->hosts[i].name, s->hosts[i].cname };

		for (j = 0; j < 2; j++) {
			const char *zn;

			if (names[j] == NULL || (s->domain != NULL &&
			    scen_dname_under(names[j], s->domain)) ||
			    under_declared(s, nd, names[j]))
				continue;
			zn = host_zone(names[j]);
			if (!zlist_has(&all, zn)) {
				zlist_add(&all, zn);
				zlist_add(&imp, zn);
			}
		}
	}
	/* Every ancestor of every zone so far, up to the root. */
	for (i = 0; i < all.n; i++) {
		const char *p = all.v[i];

		while ((p = scen_dname_parent(p)) != NULL) {
			if (zlist_has(&all, p))
				continue;
			zlist_add(&all, p);
			zlist_add(&imp, p);
		}
	}
	if (!zlist_has(&all, ".")) {
		zlist_add(&all, ".");
		zlist_add(&imp, ".");
	}
	total = nd + imp.n;
	if (total > SCEN_MAX_WORLD_ZONES) {
		scen_err(ctx, scen_pos_of(ctx, &s->domain, nopos), "the world "
		    "needs %zu zones, at most %d", total, SCEN_MAX_WORLD_ZONES);
		total = SCEN_MAX_WORLD_ZONES;
	}
	zones = xcalloc(total, sizeof(*zones));
	if (nd > 0)
		memcpy(zones, s->zones, nd * sizeof(*zones));
	for (i = nd; i < total; i++) {
		struct scen_zone *z = &zones[i];

		z->pos.line = (unsigned)i;	/* order, reset below */
		z->name = imp.v[i - nd];
		imp.v[i - nd] = NULL;
		z->implicit = true;
		z->is_signed = true;
		z->denial = SCEN_DENIAL_NSEC;
	}
	qsort(zones + nd, total - nd, sizeof(*zones), labels_cmp);
	for (i = nd; i < total; i++)
		zones[i].pos = nopos;
	for (i = 0; i < total; i++)
		if (zones[i].ttl == 0)
			zones[i].ttl = s->ttl;
	/*
	 * Positions recorded for the old array's fields are no longer
	 * looked up: zone checks below use each zone's own pos.
	 */
	free(s->zones);
	s->zones = zones;
	s->n_zones = total;
	for (i = 0; i < all.n; i++)
		free(all.v[i]);
	for (i = 0; i < imp.n; i++)
		free(imp.v[i]);
	free(all.v);
	free(imp.v);
}

/* "., net., example.net." for a message. */
static char *
zone_names(const struct scenario *s)
{
	char *out = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < s->n_zones; i++) {
		if (s->zones[i].name == NULL)
			continue;
		t = xasprintf("%s%s%s", out, *out ? ", " : "",
		    s->zones[i].name);
		free(out);
		out = t;
	}
	return out;
}

static struct scen_zone *
fault_zone(struct scen_ctx *ctx, struct scenario *s, struct scen_fault *f)
{
	struct scen_zone *z;
	char *names;

	if (f->zone == NULL)
		return NULL;
	if ((z = find_zone(s, f->zone)) != NULL || ctx->zones_incomplete)
		return z;
	names = zone_names(s);
	scen_err(ctx, scen_pos_of(ctx, &f->zone, f->pos), "fault names unknown "
	    "zone %s (the zones are: %s)", f->zone, names);
	free(names);
	return NULL;
}

static void
check_fault(struct scen_ctx *ctx, struct scenario *s, struct scen_fault *f)
{
	struct scen_pos zpos = scen_pos_of(ctx, &f->zone, f->pos);
	struct scen_pos npos = scen_pos_of(ctx, &f->name, f->pos);
	struct scen_zone *z, *p, *holder;

	switch (f->kind) {
	case SCEN_FAULT_DS:
		if ((z = fault_zone(ctx, s, f)) == NULL)
			break;
		if (strcmp(z->name, ".") == 0) {
			scen_err(ctx, zpos, "a ds fault cannot apply to the "
			    "root zone (it has no parent)");
			break;
		}
		if (!z->is_signed) {
			scen_err(ctx, zpos, "ds fault on unsigned zone %s: an "
			    "unsigned zone has no DS to break", z->name);
			break;
		}
		p = zone_for(s, scen_dname_parent(z->name));
		if (p != NULL && !p->is_signed)
			scen_warn(ctx, zpos, "the parent zone %s is unsigned: "
			    "validators never use the DS of %s, so this fault "
			    "changes nothing", p->name, z->name);
		break;
	case SCEN_FAULT_SIGNATURES:
		if ((z = fault_zone(ctx, s, f)) == NULL)
			break;
		if (!z->is_signed) {
			scen_err(ctx, zpos, "signatures fault on unsigned zone "
			    "%s: it has no signatures", z->name);
			break;
		}
		if (f->name == NULL)
			break;
		if (!scen_dname_under(f->name, z->name)) {
			scen_err(ctx, npos, "name %s is not in zone %s",
			    f->name, z->name);
			break;
		}
		/* A child's DS RRset lives in the parent, at the cut. */
		holder = zone_for(s, f->name);
		if (holder != z && !(f->type == 43 &&
		    strcmp(holder->name, f->name) == 0 &&
		    zone_for(s, scen_dname_parent(f->name)) == z))
			scen_err(ctx, npos, "name %s is in zone %s, not %s",
			    f->name, holder->name, z->name);
		break;
	case SCEN_FAULT_DNS:
		/* A negative answer from an unsigned zone has no proof. */
		if (f->name != NULL && scen_dns_fault_is_denial(f->dns) &&
		    !ctx->zones_incomplete &&
		    (holder = zone_for(s, f->name)) != NULL &&
		    !holder->is_signed)
			scen_err(ctx, npos, "%s fault on %s in unsigned zone "
			    "%s: its negative answers carry no proof and no "
			    "signature to break", scen_dns_fault_name(f->dns),
			    f->name, holder->name);
		if (f->name != NULL && f->dns == SCEN_DNS_LAME &&
		    find_zone(s, f->name) == NULL && !ctx->zones_incomplete) {
			char *names = zone_names(s);

			scen_err(ctx, npos, "a lame fault names a zone; %s is "
			    "not a zone of this world (the zones are: %s)",
			    f->name, names);
			free(names);
		}
		break;
	case SCEN_FAULT_STARTTLS:
		if (f->host != NULL && find_host(s, f->host) == NULL &&
		    !ctx->hosts_incomplete)
			scen_err(ctx, scen_pos_of(ctx, &f->host, f->pos),
			    "fault names unknown MX host %s", f->host);
		break;
	}
}

/* ---- digest agility -------------------------------------------------- */

bool
scen_tlsa_usable(const struct scen_tlsa *t)
{
	if (t->unusable || t->usage < 2 || t->usage > 3 || t->selector > 1 ||
	    t->mtype > 2)
		return false;
	if (t->data != NULL && ((t->mtype == 1 && t->data_len != 32) ||
	    (t->mtype == 2 && t->data_len != 64)))
		return false;
	if (t->length != 0 && ((t->mtype == 1 && t->length != 32) ||
	    (t->mtype == 2 && t->length != 64)))
		return false;
	return true;
}

/*
 * RFC 7671 9, RFC 7672 5: of the records with one usage and selector, a
 * client uses only those of the strongest matching type it supports
 * (SHA2-512 over SHA2-256 over Full, as OpenSSL orders them).  A weaker
 * record is then ignored, whatever it matches: warn at it, unless a
 * strongest record is computed from the same certificate (a harmless
 * pair, the usual way of publishing two digests).
 */
static void
check_digest_agility(struct scen_ctx *ctx, const struct scen_tlsa *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct scen_tlsa *t = &v[i], *best = NULL;
		bool same = false;

		if (!scen_tlsa_usable(t))
			continue;
		for (j = 0; j < n; j++) {
			const struct scen_tlsa *o = &v[j];

			if (!scen_tlsa_usable(o) || o->usage != t->usage ||
			    o->selector != t->selector || o->mtype <= t->mtype)
				continue;
			if (best == NULL || o->mtype > best->mtype)
				best = o;
		}
		if (best == NULL)
			continue;
		for (j = 0; j < n; j++) {
			const struct scen_tlsa *o = &v[j];

			if (scen_tlsa_usable(o) && o->usage == t->usage &&
			    o->selector == t->selector &&
			    o->mtype == best->mtype && o->cert != NULL &&
			    t->cert != NULL && strcmp(o->cert, t->cert) == 0)
				same = true;
		}
		if (same)
			continue;
		scen_warn(ctx, t->pos, "TLSA record %u %u %u is shadowed by "
		    "digest agility: the RRset has %u %u %u records, and a "
		    "client uses only the strongest matching type per usage "
		    "and selector (RFC 7671 9, RFC 7672 5), so this record is "
		    "ignored whatever it matches; add 'unusable: true' if "
		    "that is intended", t->usage, t->selector, t->mtype,
		    best->usage, best->selector, best->mtype);
	}
}

static void
check_tlsa_sets(struct scen_ctx *ctx, const struct scenario *s)
{
	size_t i, j;

	for (i = 0; i < s->n_hosts; i++)
		check_digest_agility(ctx, s->hosts[i].tlsa,
		    s->hosts[i].n_tlsa);
	for (i = 0; i < s->n_phases; i++)
		for (j = 0; j < s->phases[i].n_hosts; j++)
			if (s->phases[i].hosts[j].set_tlsa)
				check_digest_agility(ctx,
				    s->phases[i].hosts[j].tlsa,
				    s->phases[i].hosts[j].n_tlsa);
}

/* ---- records: types the world makes, CNAME and DNAME ----------------- */

bool
scen_rrtype_made(uint16_t type, bool is_signed, bool apex)
{
	switch (type) {
	case LDNS_RR_TYPE_SOA:
		return true;
	case LDNS_RR_TYPE_RRSIG:
	case LDNS_RR_TYPE_NSEC:
	case LDNS_RR_TYPE_NSEC3:
	case LDNS_RR_TYPE_NSEC3PARAM:
		return is_signed;
	case LDNS_RR_TYPE_DNSKEY:
		return is_signed && apex;
	default:
		return false;
	}
}

char *
scen_zone_ns_name(const char *zone)
{
	if (strcmp(zone, ".") == 0)
		return xstrdup(SCEN_ROOT_NS);
	return xasprintf("ns1.%s", zone);
}

/* A name the world puts data at, and what, for a message. */
struct made_name {
	char *name; /* owned */
	const char *what;
	bool cname; /* the world's data there is a CNAME */
};

struct made_list {
	struct made_name *v;
	size_t n;
	size_t cap;
};

static void
made_add(struct made_list *l, char *name, const char *what, bool cname)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = (struct made_name){name, what, cname};
}

static const struct made_name *
made_find(const struct made_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

/*
 * The names below zone apexes where the world writes data (zone_data.c):
 * name server addresses, the mail domain's MX, each host's CNAME or
 * addresses, and TLSA records (only where the host has some: a TLSA
 * owner left empty may be a CNAME the author writes, RFC 7672 2.2.3).
 */
static void
made_collect(const struct scenario *s, struct made_list *l)
{
	size_t i;

	for (i = 0; i < s->n_zones; i++)
		if (s->zones[i].name != NULL)
			made_add(l, scen_zone_ns_name(s->zones[i].name),
			    "the name server's address", false);
	if (s->domain != NULL)
		made_add(l, xstrdup(s->domain), "the mail domain's MX", false);
	for (i = 0; i < s->n_hosts; i++) {
		const struct scen_host *h = &s->hosts[i];
		const char *target = h->cname != NULL ? h->cname : h->name;

		if (h->name == NULL)
			continue;
		if (h->cname != NULL)
			made_add(
			    l, xstrdup(h->name), "the MX host's CNAME", true);
		made_add(l, xstrdup(target), "the MX host's address", false);
		if (h->n_tlsa > 0)
			made_add(l,
			    xasprintf(
				"_%u._tcp.%s", h->port ? h->port : 25, target),
			    "the MX host's TLSA", false);
	}
}

/* One record of a zone, with its type as a number. */
struct rec_ref {
	const struct scen_zone *z;
	const struct scen_record *r;
	uint16_t type;
};

/* Owner of a zone apex a name is at, or NULL. */
static const struct scen_zone *
apex_of(const struct scenario *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_zones; i++)
		if (s->zones[i].name != NULL &&
		    strcmp(s->zones[i].name, name) == 0)
			return &s->zones[i];
	return NULL;
}

/*
 * RFC 1034 3.6.2, RFC 2181 10.1: a CNAME is the only data at its owner
 * (DNSSEC's RRSIG and NSEC aside, which the world makes), so none at a
 * zone apex (SOA, NS) or a delegation (NS), none beside the world's own
 * data, and one per name.
 */
static void
check_cname(struct scen_ctx *ctx, const struct scenario *s,
    const struct made_list *made, const struct rec_ref *v, size_t n, size_t i)
{
	const struct scen_record *r = v[i].r;
	const struct scen_zone *apex;
	const struct made_name *m;
	size_t j;

	if ((apex = apex_of(s, r->owner)) != NULL) {
		scen_err(ctx, r->pos,
		    "CNAME at %s, the apex of zone %s, "
		    "which holds SOA and NS: a CNAME cannot share its name "
		    "(RFC 1034 3.6.2, RFC 2181 10.1)",
		    r->owner, apex->name);
		return;
	}
	if ((m = made_find(made, r->owner)) != NULL) {
		scen_err(ctx, r->pos,
		    "CNAME at %s, where the world puts %s: "
		    "a CNAME cannot share its name (RFC 2181 10.1)",
		    r->owner, m->what);
		return;
	}
	for (j = 0; j < n; j++) {
		if (j == i || strcmp(v[j].r->owner, r->owner) != 0)
			continue;
		if (v[j].type == LDNS_RR_TYPE_CNAME && j < i) {
			scen_err(ctx, r->pos,
			    "a second CNAME at %s (the "
			    "first at line %u): one CNAME per name (RFC 2181 "
			    "10.1)",
			    r->owner, v[j].r->pos.line);
			return;
		}
		if (v[j].type != LDNS_RR_TYPE_CNAME) {
			scen_err(ctx, r->pos,
			    "CNAME at %s beside its %s "
			    "record (line %u): a CNAME cannot share its name "
			    "(RFC 1034 3.6.2, RFC 2181 10.1)",
			    r->owner, v[j].r->type, v[j].r->pos.line);
			return;
		}
	}
}

/*
 * RFC 6672 2.4: one DNAME per name, and nothing below it (it would be
 * occluded): neither a record the author writes nor data the world
 * makes.  A DNAME beside a CNAME is reported by check_cname.
 */
static void
check_dname(struct scen_ctx *ctx, const struct made_list *made,
    const struct rec_ref *v, size_t n, size_t i)
{
	const struct scen_record *r = v[i].r;
	size_t j;

	for (j = 0; j < n; j++) {
		const char *o = v[j].r->owner;

		if (j < i && v[j].type == LDNS_RR_TYPE_DNAME &&
		    strcmp(o, r->owner) == 0) {
			scen_err(ctx, r->pos,
			    "a second DNAME at %s (the "
			    "first at line %u): one DNAME per name (RFC 6672 "
			    "2.4)",
			    r->owner, v[j].r->pos.line);
			return;
		}
		if (strcmp(o, r->owner) != 0 && scen_dname_under(o, r->owner)) {
			scen_err(ctx, r->pos,
			    "DNAME at %s has a %s record "
			    "below it (%s, line %u), which it would hide "
			    "(RFC 6672 2.4)",
			    r->owner, v[j].r->type, o, v[j].r->pos.line);
			return;
		}
	}
	for (j = 0; j < made->n; j++) {
		if (scen_dname_under(made->v[j].name, r->owner) &&
		    strcmp(made->v[j].name, r->owner) != 0) {
			scen_err(ctx, r->pos,
			    "DNAME at %s would hide %s, where "
			    "the world puts %s (RFC 6672 2.4)",
			    r->owner, made->v[j].name, made->v[j].what);
			return;
		}
	}
}

/*
 * The rules about zones[].records that involve the world or other
 * records, so that check refuses what export and run would: types the
 * world makes itself, CNAME and DNAME placement.  Records that failed to
 * decode (NULL owner or type) are skipped.
 */
static void
check_records(struct scen_ctx *ctx, const struct scenario *s)
{
	struct made_list made = {NULL, 0, 0};
	struct rec_ref *v = NULL;
	size_t n = 0, cap = 0, i, j;

	for (i = 0; i < s->n_zones; i++) {
		const struct scen_zone *z = &s->zones[i];

		for (j = 0; j < z->n_records; j++) {
			const struct scen_record *r = &z->records[j];
			ldns_rr_type t;

			if (r->owner == NULL || r->type == NULL ||
			    z->name == NULL ||
			    (t = ldns_get_rr_type_by_name(r->type)) == 0)
				continue;
			if (scen_rrtype_made(t, z->is_signed,
				strcmp(r->owner, z->name) == 0)) {
				scen_err(ctx,
				    scen_pos_of(ctx, &r->type, r->pos),
				    "%s records %sare made by the "
				    "world, not written in zone %s",
				    r->type,
				    t == LDNS_RR_TYPE_DNSKEY ? "at a signed "
							       "apex "
					: t == LDNS_RR_TYPE_SOA
					? ""
					: "of a signed zone ",
				    z->name);
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n++] = (struct rec_ref){z, r, (uint16_t)t};
		}
	}
	if (!ctx->hosts_incomplete && !ctx->zones_incomplete)
		made_collect(s, &made);
	for (i = 0; i < n; i++) {
		const struct made_name *m;

		if (v[i].type == LDNS_RR_TYPE_CNAME)
			check_cname(ctx, s, &made, v, n, i);
		else if ((m = made_find(&made, v[i].r->owner)) != NULL &&
		    m->cname)
			scen_err(ctx, v[i].r->pos,
			    "%s record at %s, which "
			    "the world makes %s: a CNAME cannot share its "
			    "name (RFC 2181 10.1)",
			    v[i].r->type, v[i].r->owner, m->what);
		if (v[i].type == LDNS_RR_TYPE_DNAME)
			check_dname(ctx, &made, v, n, i);
	}
	for (i = 0; i < made.n; i++)
		free(made.v[i].name);
	free(made.v);
	free(v);
}

/* ---- expectations ---------------------------------------------------- */

static bool
was_written(struct scen_ctx *ctx, const void *field)
{
	return scen_pos_of(ctx, field, nopos).line != 0;
}

static void
check_policy(struct scen_ctx *ctx, struct scenario *s,
    const struct scen_expect_policy *p, const char *key)
{
	size_t i, j;

	if (!p->set || p->hosts == NULL)
		return;
	for (i = 0; i < p->n_hosts; i++) {
		if (!ctx->hosts_incomplete &&
		    find_host(s, p->hosts[i].host) == NULL)
			scen_err(ctx, p->hosts[i].pos, "unknown MX host %s in "
			    "'%s'", p->hosts[i].host, key);
	}
	if (ctx->policy_incomplete)
		return;
	for (i = 0; i < s->n_hosts; i++) {
		const char *h = s->hosts[i].name;

		if (h == NULL)
			continue;
		for (j = 0; j < p->n_hosts; j++)
			if (strcmp(p->hosts[j].host, h) == 0)
				break;
		if (j == p->n_hosts)
			scen_err(ctx, p->pos, "'%s' has no entry for MX host "
			    "%s", key, h);
	}
}

static void
check_states(struct scen_ctx *ctx, struct scenario *s, struct scen_expect *e)
{
	size_t i, j;

	for (i = 0; i < e->n_states; i++) {
		struct scen_host_state *st = &e->states[i];

		if (ctx->hosts_incomplete || find_host(s, st->host) != NULL)
			continue;
		if (was_written(ctx, &st->address))
			scen_err(ctx, scen_pos_of(ctx, &st->address, st->pos),
			    "unknown MX host %s in 'address'", st->host);
		if (was_written(ctx, &st->tlsa))
			scen_err(ctx, scen_pos_of(ctx, &st->tlsa, st->pos),
			    "unknown MX host %s in 'tlsa'", st->host);
	}
	if (ctx->states_incomplete)
		return;
	for (i = 0; i < s->n_hosts; i++) {
		const char *h = s->hosts[i].name;
		struct scen_host_state *st = NULL;

		if (h == NULL)
			continue;
		for (j = 0; j < e->n_states; j++)
			if (strcmp(e->states[j].host, h) == 0)
				st = &e->states[j];
		if (e->address_pos.line != 0 &&
		    (st == NULL || !was_written(ctx, &st->address)))
			scen_err(ctx, e->address_pos, "'address' has no entry "
			    "for MX host %s", h);
		if (e->tlsa_pos.line != 0 &&
		    (st == NULL || !was_written(ctx, &st->tlsa)))
			scen_err(ctx, e->tlsa_pos, "'tlsa' has no entry for MX "
			    "host %s", h);
	}
}

/* ---- timeline -------------------------------------------------------- */

static void
check_timeline(struct scen_ctx *ctx, struct scenario *s)
{
	const struct scen_phase *prev = NULL;
	size_t i, j, k;

	for (i = 0; i < s->n_phases; i++) {
		struct scen_phase *ph = &s->phases[i];
		struct scen_pos apos = scen_pos_of(ctx, &ph->at, ph->pos);

		for (j = 0; ph->name != NULL && j < i; j++) {
			const struct scen_phase *o = &s->phases[j];

			if (o->name != NULL && strcmp(o->name, ph->name) == 0) {
				scen_err(ctx, scen_pos_of(ctx, &ph->name,
				    ph->pos), "phase name %s used twice (first "
				    "at %u:%u)", ph->name, o->pos.line,
				    o->pos.col);
				break;
			}
		}
		/* Only phases whose `at` was decoded take part. */
		if (was_written(ctx, &ph->at)) {
			if (i == 0 && ph->at != 0)
				scen_err(ctx, apos, "the first phase must be "
				    "at 0, not %u", ph->at);
			else if (prev != NULL && ph->at <= prev->at)
				scen_err(ctx, apos, "phase %s at %u is not "
				    "after phase %s at %u: phases must be in "
				    "increasing order of 'at'",
				    ph->name ? ph->name : "?", ph->at,
				    prev->name ? prev->name : "?", prev->at);
			prev = ph;
		}
		for (j = 0; j < ph->n_hosts; j++) {
			struct scen_phase_host *h = &ph->hosts[j];
			struct scen_pos hpos = scen_pos_of(ctx, &h->host,
			    h->pos);

			if (h->host == NULL)
				continue;
			if (!ctx->hosts_incomplete &&
			    find_host(s, h->host) == NULL)
				scen_err(ctx, hpos, "phase changes unknown MX "
				    "host %s", h->host);
			for (k = 0; k < j; k++) {
				if (ph->hosts[k].host != NULL &&
				    strcmp(ph->hosts[k].host, h->host) == 0) {
					scen_err(ctx, hpos, "MX host %s "
					    "changed twice in one phase",
					    h->host);
					break;
				}
			}
		}
		check_policy(ctx, s, &ph->expect.policy[SCEN_POLICY_DANE],
		    "dane");
		check_policy(ctx, s, &ph->expect.policy[SCEN_POLICY_DANE_ONLY],
		    "dane-only");
	}
}

void
scen_check(struct scen_ctx *ctx, struct scenario *s)
{
	size_t i;

	check_hosts(ctx, s);
	check_tlsa_sets(ctx, s);
	derive_zones(ctx, s);
	for (i = 0; i < s->n_zones; i++) {
		/*
		 * The root's key is the lab's only trust anchor, handed to
		 * resolvers and clients; a world without one is no DANE
		 * world.  An insecure world is made below the root.
		 */
		if (s->zones[i].name != NULL &&
		    strcmp(s->zones[i].name, ".") == 0 &&
		    !s->zones[i].is_signed)
			scen_err(ctx, scen_pos_of(ctx, &s->zones[i].is_signed,
			    s->zones[i].pos), "the root zone must be signed: "
			    "its key is the lab's trust anchor (leave a zone "
			    "below it unsigned instead)");
	}
	check_records(ctx, s);
	for (i = 0; i < s->n_faults; i++)
		check_fault(ctx, s, &s->faults[i]);
	check_timeline(ctx, s);
	check_states(ctx, s, &s->expect);
	check_policy(ctx, s, &s->expect.policy[SCEN_POLICY_DANE], "dane");
	check_policy(ctx, s, &s->expect.policy[SCEN_POLICY_DANE_ONLY],
	    "dane-only");
}

/* ---- final shape ----------------------------------------------------- */

/*
 * The actions for a whole delivery from per-host actions (scenario.h):
 * overall, that of the first host by preference whose primary action is
 * not next-mx, none: defer; accept, walking the hosts by preference,
 * every action of a host's set but next-mx, going on to the next host
 * only while the set contains next-mx, and defer past the last host.
 */
static void
derive_overall(const struct scenario *s, struct scen_expect_policy *p)
{
	const unsigned nmx = SCEN_ACT_BIT(SCEN_ACT_NEXT_MX);
	bool walking = true;
	size_t i, j;

	if (!p->set)
		return;
	if (p->hosts == NULL) {
		p->accept |= SCEN_ACT_BIT(p->overall);
		return;
	}
	p->overall = SCEN_ACT_UNSET;
	p->accept = 0;
	for (i = 0; i < s->n_hosts; i++) {
		for (j = 0; j < p->n_hosts; j++) {
			const struct scen_host_expect *he = &p->hosts[j];

			if (strcmp(he->host, s->hosts[i].name) != 0)
				continue;
			if (p->overall == SCEN_ACT_UNSET &&
			    he->action != SCEN_ACT_NEXT_MX)
				p->overall = he->action;
			if (walking) {
				p->accept |= he->accept & ~nmx;
				walking = (he->accept & nmx) != 0;
			}
		}
	}
	if (p->overall == SCEN_ACT_UNSET)
		p->overall = SCEN_ACT_DEFER;
	if (walking)
		p->accept |= SCEN_ACT_BIT(SCEN_ACT_DEFER);
	/* The primary path is one of the walks: already in, but be sure. */
	p->accept |= SCEN_ACT_BIT(p->overall);
}

void
scen_finish(struct scenario *s)
{
	size_t i, j, k;

	/* Insertion sort: stable, and there are at most 16 hosts. */
	for (i = 1; i < s->n_hosts; i++) {
		struct scen_host h = s->hosts[i];

		for (j = i; j > 0 && s->hosts[j - 1].preference >
		    h.preference; j--)
			s->hosts[j] = s->hosts[j - 1];
		s->hosts[j] = h;
	}
	for (k = 0; k < SCEN_POLICY_COUNT; k++) {
		derive_overall(s, &s->expect.policy[k]);
		for (i = 0; i < s->n_phases; i++)
			derive_overall(s, &s->phases[i].expect.policy[k]);
	}
}
