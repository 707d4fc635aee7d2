/*
 * res_ctx.c -- the resolver's two libunbound contexts: a validating one
 * (the lab root key as its only trust anchor) and a non-validating one
 * for CD=1 queries; both find the world's servers through root hints or
 * stub zones (resolver.h says when which).
 *
 * Owns the libunbound configuration; does not own sockets or answers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/resolver/res_int.h"

static int
res_ub_err(struct dl_diags *d, const char *what, const char *arg, int err)
{
	return dl_error(d, NULL, 0, 0, "libunbound: %s %s: %s", what,
	    arg != NULL ? arg : "", ub_strerror(err));
}

static int
res_ub_opt(
    struct ub_ctx *ub, const char *opt, const char *val, struct dl_diags *d)
{
	int err = ub_ctx_set_option(ub, opt, val);

	return err != 0 ? res_ub_err(d, opt, val, err) : 0;
}

/* Where the context finds the world's servers. */
static int
res_ub_upstream(struct ub_ctx *ub, const struct world *w,
    const struct resolver_opts *o, struct dl_diags *d)
{
	char addr[64];
	size_t i;
	int err;

	if (o->upstream == RESOLVER_HINTS)
		return res_ub_opt(ub, "root-hints:", o->root_hints, d);
	for (i = 0; i < w->n_zones; i++) {
		snprintf(addr, sizeof(addr), "%s@%u", w->zones[i].ns_addr,
		    o->ns_port != 0 ? o->ns_port : 53);
		err = ub_ctx_set_stub(ub, w->zones[i].name, addr, 0);
		if (err != 0)
			return res_ub_err(
			    d, "stub zone", w->zones[i].name, err);
	}
	return 0;
}

static int
res_ub_new(struct res_ctx *c, bool validate, const struct world *w,
    const struct resolver_opts *o, struct ub_ctx **out, struct dl_diags *d)
{
	/* Realistic caching: nothing refreshed or served past its TTL. */
	static const char *const common[][2] = {
	    {"do-ip6:", "no"},
	    {"do-not-query-localhost:", "no"},
	    {"prefetch:", "no"},
	    {"prefetch-key:", "no"},
	    {"serve-expired:", "no"},
	    {"trust-anchor-signaling:", "no"},
	    {"verbosity:", "0"},
	};
	struct ub_ctx *ub;
	char *ta;
	size_t i;
	int rc = 0, err;

	if ((ub = ub_ctx_create()) == NULL)
		return dl_error(
		    d, NULL, 0, 0, "libunbound: cannot create a context");
	for (i = 0; rc == 0 && i < sizeof(common) / sizeof(common[0]); i++)
		rc = res_ub_opt(ub, common[i][0], common[i][1], d);
	if (rc == 0)
		rc = res_ub_opt(ub, "module-config:",
		    validate ? "validator iterator" : "iterator", d);
	/* Level 2 makes libunbound say why an answer is bogus. */
	if (rc == 0 && validate)
		rc = res_ub_opt(ub, "val-log-level:", "2", d);
	if (rc == 0)
		rc = res_ub_upstream(ub, w, o, d);
	if (rc == 0 && validate && w->anchor_dnskey != NULL) {
		if ((ta = ldns_rr2str(w->anchor_dnskey)) == NULL) {
			rc = dl_error(
			    d, NULL, 0, 0, "cannot format the trust anchor");
		} else {
			ta[strcspn(ta, "\n")] = '\0';
			if ((err = ub_ctx_add_ta(ub, ta)) != 0)
				rc = res_ub_err(d, "trust anchor", ta, err);
			free(ta);
		}
	}
	if (rc == 0 && (err = ub_ctx_debugout(ub, c->log)) != 0)
		rc = res_ub_err(d, "log", NULL, err);
	/* A thread, not a forked process, works in the background. */
	if (rc == 0 && (err = ub_ctx_async(ub, 1)) != 0)
		rc = res_ub_err(d, "async", NULL, err);
	if (rc != 0) {
		ub_ctx_delete(ub);
		return rc;
	}
	*out = ub;
	return 0;
}

int
res_ctx_init(struct res_ctx *c, const struct world *w,
    const struct resolver_opts *o, struct dl_diags *d)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (w->n_zones == 0)
		return dl_error(d, NULL, 0, 0, "the world has no zones");
	if (o->upstream == RESOLVER_HINTS && o->root_hints == NULL)
		return dl_error(d, NULL, 0, 0, "resolver: root hints needed");
	if (o->ub_log != NULL && (c->log = fopen(o->ub_log, "ae")) == NULL)
		return dl_error(
		    d, o->ub_log, 0, 0, "cannot open: %s", strerror(errno));
	if ((rc = res_ub_new(c, true, w, o, &c->ub, d)) == 0 &&
	    (rc = res_ub_new(c, false, w, o, &c->ub_cd, d)) == 0)
		return 0;
	res_ctx_clear(c);
	return DL_EINVAL;
}

void
res_ctx_clear(struct res_ctx *c)
{
	if (c->ub != NULL)
		ub_ctx_delete(c->ub);
	if (c->ub_cd != NULL)
		ub_ctx_delete(c->ub_cd);
	if (c->log != NULL)
		fclose(c->log);
	memset(c, 0, sizeof(*c));
}
