/*
 * world.c -- build a scenario's DNS world: zone order and addressing,
 * hosts at a timeline phase, and the stages of world_build().
 *
 * Owns: struct world and its lifetime, which zone is whose parent, which
 * zone is authoritative for a name, the effective state of a host at a
 * phase.  Does not own: key loading and DS (zone_keys.c), zone contents
 * (zone_data.c), signing and signature faults (zone_sign.c), output
 * (zone_print.c).
 */
#include "simulator/zone/world.h"

#include <stdlib.h>
#include <string.h>

#include "simulator/util/xmem.h"
#include "simulator/zone/zone_int.h"

int
zone_fail(struct zone_build *b, int rc)
{
	if (b->rc == 0)
		b->rc = rc;
	return rc;
}

size_t
zone_name_labels(const char *name)
{
	size_t n = 0;

	if (strcmp(name, ".") == 0)
		return 0;
	for (; *name != '\0'; name++)
		if (*name == '.')
			n++;
	return n;
}

int
zone_auth_index(const struct world *w, const char *name)
{
	size_t i, best_len = 0;
	int best = -1;

	for (i = 0; i < w->n_zones; i++) {
		const char *z = w->zones[i].name;
		size_t len = strcmp(z, ".") == 0 ? 0 : strlen(z);

		if (scen_dname_under(name, z) && (best < 0 || len > best_len)) {
			best = (int)i;
			best_len = len;
		}
	}
	return best;
}

ldns_rdf *
zone_dname(const char *name)
{
	ldns_rdf *d;

	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK)
		abort(); /* names were checked before they got here */
	return d;
}

/* A name as the world needs it: absolute and lower case. */
static bool
world_name_ok(const char *name)
{
	ldns_rdf *d;
	size_t n;
	const char *p;

	if (name == NULL || (n = strlen(name)) == 0 || name[n - 1] != '.')
		return false;
	if (n == 1)
		return true;
	if (name[0] == '.')
		return false;
	for (p = name; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			return false;
	if (ldns_str2rdf_dname(&d, name) != LDNS_STATUS_OK)
		return false;
	ldns_rdf_deep_free(d);
	return true;
}

int
world_host_state_at(const struct scenario *s, const struct scen_host *h,
    int phase, struct world_host_state *out)
{
	struct world_host_state st;
	size_t i;
	int p;

	if (phase < -1 || (phase >= 0 && (size_t)phase >= s->n_phases))
		return DL_ERANGE;
	st.tlsa = h->tlsa;
	st.n_tlsa = h->n_tlsa;
	st.tlsa_ttl = h->tlsa_ttl;
	st.chain = h->chain;
	st.n_chain = h->n_chain;
	for (p = 0; p <= phase; p++) {
		const struct scen_phase *ph = &s->phases[p];

		for (i = 0; i < ph->n_hosts; i++) {
			const struct scen_phase_host *c = &ph->hosts[i];

			if (c->host == NULL || strcmp(c->host, h->name) != 0)
				continue;
			if (c->chain != NULL) {
				st.chain = c->chain;
				st.n_chain = c->n_chain;
			}
			if (c->set_tlsa) {
				st.tlsa = c->tlsa;
				st.n_tlsa = c->n_tlsa;
			}
			if (c->tlsa_ttl != 0)
				st.tlsa_ttl = c->tlsa_ttl;
		}
	}
	*out = st;
	return 0;
}

/* Root first, then by depth, then scenario order: a stable sort. */
static int
world_order_zones(struct zone_build *b)
{
	const struct scenario *s = b->s;
	struct world *w = b->w;
	size_t i, j, n = s->n_zones, k = 0, depth, max_depth = 0;
	bool have_root = false, bad = false;
	int mail;

	for (i = 0; i < n; i++) {
		const struct scen_zone *z = &s->zones[i];

		if (!world_name_ok(z->name)) {
			dl_error(b->diags, b->file, z->pos.line, z->pos.col,
			    "zone name '%s' is not an absolute lower-case "
			    "domain name",
			    z->name ? z->name : "");
			bad = true;
			continue;
		}
		if (strcmp(z->name, ".") == 0)
			have_root = true;
		for (j = 0; j < i; j++) {
			if (s->zones[j].name != NULL &&
			    strcmp(s->zones[j].name, z->name) == 0) {
				dl_error(b->diags, b->file, z->pos.line,
				    z->pos.col, "zone %s declared twice",
				    z->name);
				bad = true;
			}
		}
		depth = zone_name_labels(z->name);
		if (depth > max_depth)
			max_depth = depth;
	}
	if (!have_root && !bad) {
		dl_error(b->diags, b->file, s->id_pos.line, s->id_pos.col,
		    "the world has no root zone");
		bad = true;
	}
	if (n > WORLD_MAX_ZONES) {
		dl_error(b->diags, b->file, s->id_pos.line, s->id_pos.col,
		    "too many zones (%zu, at most %d)", n, WORLD_MAX_ZONES);
		bad = true;
	}
	if (bad)
		return zone_fail(b, DL_EINVAL);

	w->zones = xcalloc(n, sizeof(*w->zones));
	for (depth = 0; depth <= max_depth; depth++) {
		for (i = 0; i < n; i++) {
			const struct scen_zone *sz = &s->zones[i];
			struct world_zone *z;

			if (zone_name_labels(sz->name) != depth)
				continue;
			z = &w->zones[k];
			z->index = (int)k;
			z->name = xstrdup(sz->name);
			z->scen = sz;
			z->ttl = sz->ttl ? sz->ttl : s->ttl ? s->ttl : 3600;
			z->is_signed = sz->is_signed;
			/* The scenario checks know this name too. */
			z->ns_name = scen_zone_ns_name(sz->name);
			snprintf(z->ns_addr, sizeof(z->ns_addr), "%s%zu",
			    WORLD_NS_NET, k + 1);
			k++;
		}
	}
	w->n_zones = k;

	/* Parents: the nearest enclosing zone, always earlier in order. */
	for (i = 0; i < w->n_zones; i++) {
		struct world_zone *z = &w->zones[i];
		size_t best_len = 0;

		z->parent = -1;
		for (j = 0; j < i; j++) {
			const char *p = w->zones[j].name;
			size_t len = strcmp(p, ".") == 0 ? 0 : strlen(p);

			if (scen_dname_under(z->name, p) &&
			    (z->parent < 0 || len > best_len)) {
				z->parent = (int)j;
				best_len = len;
			}
		}
	}

	/* Key roles. */
	mail = s->domain != NULL ? zone_auth_index(w, s->domain) : -1;
	for (i = 0; i < w->n_zones; i++) {
		struct world_zone *z = &w->zones[i];
		const char *role;

		if (!z->is_signed)
			continue;
		if (z->scen->keys != NULL)
			role = z->scen->keys;
		else if (i == 0)
			role = "root";
		else if ((int)i == mail)
			role = "domain";
		else if (zone_name_labels(z->name) == 1)
			role = "tld";
		else
			role = "host";
		z->key_role = xstrdup(role);
	}
	return 0;
}

static int
world_hosts_build(struct zone_build *b)
{
	const struct scenario *s = b->s;
	struct world *w = b->w;
	size_t i;
	int rc = 0;

	w->hosts = xcalloc(s->n_hosts ? s->n_hosts : 1, sizeof(*w->hosts));
	w->n_hosts = s->n_hosts;
	for (i = 0; i < s->n_hosts; i++) {
		const struct scen_host *sh = &s->hosts[i];
		struct world_host *h = &w->hosts[i];

		h->scen = sh;
		h->target = sh->cname != NULL ? sh->cname : sh->name;
		h->zone = h->tlsa_zone = -1;
		if (!world_name_ok(sh->name) ||
		    (sh->cname != NULL && !world_name_ok(sh->cname))) {
			rc = zone_fail(b,
			    dl_error(b->diags, b->file, sh->pos.line,
				sh->pos.col,
				"host name '%s' is not "
				"an absolute lower-case domain name",
				sh->cname != NULL && world_name_ok(sh->name)
				    ? sh->cname
				    : sh->name ? sh->name
					       : ""));
			continue;
		}
		(void)world_host_state_at(s, sh, w->phase, &h->st);
		h->tlsa_owner = xasprintf(
		    "_%u._tcp.%s", sh->port ? sh->port : 25, h->target);
		h->zone = zone_auth_index(w, h->target);
		h->tlsa_zone = zone_auth_index(w, h->tlsa_owner);
		h->tlsa_ttl = h->st.tlsa_ttl ? h->st.tlsa_ttl
					     : w->zones[h->tlsa_zone].ttl;
		if (zone_host_tlsa_build(b, h) != 0)
			rc = DL_EINVAL;
	}
	return rc;
}

/* Root trust anchor: the root KSK and its SHA-256 DS. */
static int
world_anchor_build(struct zone_build *b)
{
	struct world *w = b->w;
	struct world_zone *root = &w->zones[0];
	size_t i;

	if (!root->is_signed)
		return 0;
	for (i = 0; i < ldns_rr_list_rr_count(root->dnskeys); i++) {
		ldns_rr *k = ldns_rr_list_rr(root->dnskeys, i);

		if (ldns_rdf2native_int16(ldns_rr_dnskey_flags(k)) & 1) {
			w->anchor_dnskey = ldns_rr_clone(k);
			w->anchor_ds = ldns_key_rr2ds(k, LDNS_SHA256);
			if (w->anchor_ds == NULL)
				return zone_fail(b, DL_ECRYPTO);
			return 0;
		}
	}
	return zone_fail(b, DL_ECRYPTO);
}

/* Gather, sign and sort one zone into z->zone. */
static int
world_zone_make(struct zone_build *b, struct world_zone *z)
{
	ldns_rr *soa = NULL;
	ldns_rr_list *rrs = NULL, *out = NULL;
	int rc;

	if ((rc = zone_data_build(b, z, &soa, &rrs)) != 0)
		goto done;
	rc = zone_sign_build(b, z, soa, rrs, &out);
	rrs = NULL; /* consumed */
	if (rc != 0)
		goto done;
	zone_rrs_sort(out);
	z->zone = ldns_zone_new();
	ldns_zone_set_soa(z->zone, soa);
	soa = NULL;
	if (!ldns_zone_push_rr_list(z->zone, out))
		abort();
	ldns_rr_list_free(out); /* the RRs now belong to the zone */
done:
	ldns_rr_free(soa);
	if (rrs != NULL)
		ldns_rr_list_deep_free(rrs);
	return rc;
}

int
world_build(const struct scenario *s, const struct world_opts *opts,
    struct world **out, struct dl_diags *diags)
{
	struct zone_build b;
	struct world *w;
	time_t now;
	size_t i;

	if (s == NULL || opts == NULL || out == NULL)
		return DL_EINVAL;
	if (opts->phase < -1 ||
	    (opts->phase >= 0 && (size_t)opts->phase >= s->n_phases)) {
		dl_error(diags, s->file, s->id_pos.line, s->id_pos.col,
		    "phase %d out of range (the scenario has %zu phases)",
		    opts->phase, s->n_phases);
		return DL_ERANGE;
	}
	if (opts->fixtures_dir == NULL) {
		dl_error(diags, s->file, 0, 0, "no fixtures directory");
		return DL_EINVAL;
	}
	now = opts->now != 0 ? opts->now : time(NULL);

	w = xcalloc(1, sizeof(*w));
	w->scen = s;
	w->fixtures_dir = xstrdup(opts->fixtures_dir);
	w->now = now;
	w->phase = opts->phase;

	memset(&b, 0, sizeof(b));
	b.s = s;
	b.w = w;
	b.diags = diags;
	b.file = s->file;
	b.inception = (uint32_t)(now - WORLD_SIG_INCEPTION_AGO);
	b.expiration = (uint32_t)(now + WORLD_SIG_LIFETIME);
	b.serial = (uint32_t)now;
	if (opts->phase >= 0)
		b.serial += s->phases[opts->phase].at;

	if (world_order_zones(&b) != 0)
		goto done;
	for (i = 0; i < w->n_zones; i++)
		(void)zone_keys_build(&b, &w->zones[i]);
	if (b.rc != 0)
		goto done;
	for (i = 0; i < w->n_zones; i++)
		(void)zone_ds_build(&b, &w->zones[i]);
	(void)world_anchor_build(&b);
	(void)world_hosts_build(&b);
	if (b.rc != 0)
		goto done;
	for (i = 0; i < w->n_zones; i++)
		(void)world_zone_make(&b, &w->zones[i]);
done:
	zone_keys_clear(&b);
	if (b.rc != 0) {
		world_free(w);
		return b.rc;
	}
	*out = w;
	return 0;
}

static void
world_zone_clear(struct world_zone *z)
{
	free(z->name);
	free(z->ns_name);
	free(z->key_role);
	if (z->zone != NULL)
		ldns_zone_deep_free(z->zone);
	if (z->dnskeys != NULL)
		ldns_rr_list_deep_free(z->dnskeys);
	if (z->ds != NULL)
		ldns_rr_list_deep_free(z->ds);
	if (z->keys != NULL)
		ldns_key_list_free(z->keys);
}

void
world_free(struct world *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n_zones; i++)
		world_zone_clear(&w->zones[i]);
	free(w->zones);
	for (i = 0; i < w->n_hosts; i++) {
		free(w->hosts[i].tlsa_owner);
		if (w->hosts[i].tlsa_rrs != NULL)
			ldns_rr_list_deep_free(w->hosts[i].tlsa_rrs);
	}
	free(w->hosts);
	ldns_rr_free(w->anchor_dnskey);
	ldns_rr_free(w->anchor_ds);
	free(w->fixtures_dir);
	free(w);
}

const struct world_zone *
world_zone(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_zones; i++)
		if (strcmp(w->zones[i].name, name) == 0)
			return &w->zones[i];
	return NULL;
}

const struct world_zone *
world_zone_for(const struct world *w, const char *name)
{
	int i = zone_auth_index(w, name);

	return i < 0 ? NULL : &w->zones[i];
}

const struct world_host *
world_host(const struct world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->n_hosts; i++)
		if (strcmp(w->hosts[i].scen->name, name) == 0)
			return &w->hosts[i];
	return NULL;
}

/* h by identity, or else by name (a host of a copy of the scenario). */
static const struct world_host *
world_host_of(const struct world *w, const struct scen_host *h)
{
	size_t i;

	for (i = 0; i < w->n_hosts; i++)
		if (w->hosts[i].scen == h)
			return &w->hosts[i];
	return h->name != NULL ? world_host(w, h->name) : NULL;
}

int
world_host_chain(
    const struct world *w, const struct scen_host *h, char ***chain, size_t *n)
{
	const struct world_host *wh = world_host_of(w, h);

	if (wh == NULL)
		return DL_ENOENT;
	*chain = wh->st.chain;
	*n = wh->st.n_chain;
	return 0;
}

int
world_host_tlsa(const struct world *w, const struct scen_host *h,
    ldns_rr_list **out, struct dl_diags *diags)
{
	const struct world_host *wh = world_host_of(w, h);
	ldns_rr_list *l;

	if (wh == NULL) {
		dl_error(diags, w->scen->file, h->pos.line, h->pos.col,
		    "%s is not an MX host of this world",
		    h->name ? h->name : "(unnamed host)");
		return DL_ENOENT;
	}
	if ((l = ldns_rr_list_clone(wh->tlsa_rrs)) == NULL)
		return DL_ENOMEM;
	*out = l;
	return 0;
}
