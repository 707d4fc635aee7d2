/*
 * export.c -- write a world as standard files (see export.h).
 *
 * Owns: the layout of an export directory, the NSD and unbound
 * configurations, the start/stop scripts.  Does not own: zone contents
 * (zone/), certificates (pki/).
 */
#define _GNU_SOURCE
#include "simulator/export/export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/pem.h>

#include "simulator/pki/pki.h"
#include "simulator/util/fmt.h"
#include "simulator/util/xmem.h"
#include "simulator/util/ytree.h"

struct export_ctx {
	const struct world *w;
	const char *fixtures_dir;
	char tmp[PATH_MAX];	/* where files are written now */
	char final[PATH_MAX];	/* absolute path of the result */
	/* final as one sh word (fmt_sh_quote), for commands in comments. */
	char final_sh[4 * PATH_MAX + 3];
	struct dl_diags *diags;
};

void
export_zone_filename(const char *zone, char *buf, size_t len)
{
	size_t n;

	if (strcmp(zone, ".") == 0) {
		snprintf(buf, len, "root.zone");
		return;
	}
	n = strlen(zone);
	if (n > 0 && zone[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s.zone", (int)n, zone);
}

/* zone or host name without its trailing dot ("root" for "."). */
static void
export_plain_name(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);

	if (strcmp(name, ".") == 0) {
		snprintf(buf, len, "root");
		return;
	}
	if (n > 0 && name[n - 1] == '.')
		n--;
	snprintf(buf, len, "%.*s", (int)n, name);
}

static int
export_err(struct export_ctx *x, const char *path, const char *what)
{
	dl_error(x->diags, path, 0, 0, "%s: %s", what, strerror(errno));
	return DL_EIO;
}

static int
export_mkdir(struct export_ctx *x, const char *rel)
{
	char path[PATH_MAX];

	if (fmt_buf(path, sizeof(path), "%s/%s", x->tmp, rel) != 0)
		return dl_error(x->diags, rel, 0, 0, "path too long");
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return export_err(x, path, "cannot create directory");
	return 0;
}

/* Open tmp/rel for writing; mode applies to new files. */
static FILE *
export_open(struct export_ctx *x, const char *rel, mode_t mode)
{
	char path[PATH_MAX];
	FILE *fp;
	int fd;

	if (fmt_buf(path, sizeof(path), "%s/%s", x->tmp, rel) != 0) {
		dl_error(x->diags, rel, 0, 0, "path too long");
		return NULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		export_err(x, path, "cannot write");
		return NULL;
	}
	return fp;
}

static int
export_close(struct export_ctx *x, FILE *fp, const char *rel)
{
	if (ferror(fp) | (fclose(fp) != 0)) {
		char path[PATH_MAX];

		fmt_buf(path, sizeof(path), "%s/%s", x->tmp, rel);
		return export_err(x, path, "write failed");
	}
	return 0;
}

/* Write a whole small text file. */
static int
export_text(struct export_ctx *x, const char *rel, mode_t mode,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
export_text(struct export_ctx *x, const char *rel, mode_t mode,
    const char *fmt, ...)
{
	va_list ap;
	FILE *fp;

	if ((fp = export_open(x, rel, mode)) == NULL)
		return DL_EIO;
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	return export_close(x, fp, rel);
}

static int
export_zones(struct export_ctx *x)
{
	char rel[PATH_MAX], fname[300];
	size_t i;
	FILE *fp;
	int rc;

	if ((rc = export_mkdir(x, "zones")) != 0)
		return rc;
	for (i = 0; i < x->w->n_zones; i++) {
		export_zone_filename(x->w->zones[i].name, fname,
		    sizeof(fname));
		fmt_buf(rel, sizeof(rel), "zones/%s", fname);
		if ((fp = export_open(x, rel, 0644)) == NULL)
			return DL_EIO;
		world_zone_fprint(fp, &x->w->zones[i]);
		if ((rc = export_close(x, fp, rel)) != 0)
			return rc;
	}
	return 0;
}

static int
export_keys(struct export_ctx *x)
{
	char rel[PATH_MAX], plain[300], base[400];
	size_t i, k;
	FILE *fp;
	int rc;

	if ((rc = export_mkdir(x, "keys")) != 0)
		return rc;
	for (i = 0; i < x->w->n_zones; i++) {
		const struct world_zone *z = &x->w->zones[i];

		if (z->keys == NULL || ldns_key_list_key_count(z->keys) == 0)
			continue;
		export_plain_name(z->name, plain, sizeof(plain));
		fmt_buf(rel, sizeof(rel), "keys/%s", plain);
		if ((rc = export_mkdir(x, rel)) != 0)
			return rc;
		for (k = 0; k < ldns_key_list_key_count(z->keys); k++) {
			ldns_key *key = ldns_key_list_key(z->keys, k);
			ldns_rr *rr = ldns_key2rr(key);
			char *priv;

			fmt_buf(base, sizeof(base), "keys/%s/K%s+%03u+%05u",
			    plain, z->name, (unsigned)ldns_key_algorithm(key),
			    (unsigned)ldns_key_keytag(key));
			fmt_buf(rel, sizeof(rel), "%s.key", base);
			if ((fp = export_open(x, rel, 0644)) == NULL) {
				ldns_rr_free(rr);
				return DL_EIO;
			}
			ldns_rr_print(fp, rr);
			ldns_rr_free(rr);
			if ((rc = export_close(x, fp, rel)) != 0)
				return rc;
			if ((priv = ldns_key2str(key)) == NULL) {
				dl_error(x->diags, rel, 0, 0,
				    "cannot encode the private key");
				return DL_ECRYPTO;
			}
			fmt_buf(rel, sizeof(rel), "%s.private", base);
			rc = export_text(x, rel, 0600, "%s", priv);
			free(priv);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/*
 * The anchor in BIND's trust-anchors syntax, which delv -a reads:
 *   trust-anchors { . static-key 257 3 13 "base64"; };
 */
static int
export_bind_anchor(struct export_ctx *x, const char *rel)
{
	const ldns_rr *k = x->w->anchor_dnskey;
	char *flags, *proto, *alg, *key;
	int rc;

	flags = ldns_rdf2str(ldns_rr_rdf(k, 0));
	proto = ldns_rdf2str(ldns_rr_rdf(k, 1));
	alg = ldns_rdf2str(ldns_rr_rdf(k, 2));
	key = ldns_rdf2str(ldns_rr_rdf(k, 3));
	if (flags == NULL || proto == NULL || alg == NULL || key == NULL) {
		rc = dl_error(x->diags, rel, 0, 0, "cannot format the anchor");
	} else {
		/* ldns prints the algorithm as a number for DNSKEY. */
		rc = export_text(x, rel, 0644,
		    "# The lab root key, for delv -a and BIND.\n"
		    "trust-anchors {\n\t. static-key %s %s %s \"%s\";\n};\n",
		    flags, proto, alg, key);
	}
	free(flags);
	free(proto);
	free(alg);
	free(key);
	return rc;
}

static int
export_anchor(struct export_ctx *x)
{
	const char *rel;
	FILE *fp;
	int rc;

	if ((rc = export_mkdir(x, "anchor")) != 0)
		return rc;
	rel = "anchor/root.key";
	if ((fp = export_open(x, rel, 0644)) == NULL)
		return DL_EIO;
	ldns_rr_print(fp, x->w->anchor_dnskey);
	if ((rc = export_close(x, fp, rel)) != 0)
		return rc;
	rel = "anchor/root.ds";
	if ((fp = export_open(x, rel, 0644)) == NULL)
		return DL_EIO;
	ldns_rr_print(fp, x->w->anchor_ds);
	if ((rc = export_close(x, fp, rel)) != 0)
		return rc;
	return export_bind_anchor(x, "anchor/trust-anchors.conf");
}

/* dir/chain.pem (leaf first) and dir/key.pem (the leaf's key) of chain. */
static int
export_chain(struct export_ctx *x, const struct scen_host *h,
    const char *dir, char **chain, size_t n)
{
	char rel[PATH_MAX];
	EVP_PKEY *key = NULL;
	size_t i;
	FILE *fp;
	int rc;

	fmt_buf(rel, sizeof(rel), "%s/chain.pem", dir);
	if ((fp = export_open(x, rel, 0644)) == NULL)
		return DL_EIO;
	for (i = 0; i < n; i++) {
		X509 *cert = NULL;

		if ((rc = pki_cert_load(x->fixtures_dir, chain[i], &cert))
		    != 0) {
			fclose(fp);
			dl_error(x->diags, x->w->scen->file, h->pos.line,
			    h->pos.col, "cannot load fixture certificate "
			    "'%s': %s", chain[i], dl_strerror(rc));
			return rc;
		}
		PEM_write_X509(fp, cert);
		X509_free(cert);
	}
	if ((rc = export_close(x, fp, rel)) != 0)
		return rc;
	if (n == 0)
		return 0;
	if ((rc = pki_key_load(x->fixtures_dir, chain[0], &key)) != 0) {
		dl_error(x->diags, x->w->scen->file, h->pos.line, h->pos.col,
		    "cannot load the key of fixture '%s': %s", chain[0],
		    dl_strerror(rc));
		return rc;
	}
	fmt_buf(rel, sizeof(rel), "%s/key.pem", dir);
	if ((fp = export_open(x, rel, 0600)) == NULL) {
		EVP_PKEY_free(key);
		return DL_EIO;
	}
	PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	EVP_PKEY_free(key);
	return export_close(x, fp, rel);
}

/* tls/HOST/sni/NAME/: the chain served to clients sending NAME. */
static int
export_sni(struct export_ctx *x, const struct scen_host *h, const char *dir)
{
	char sub[PATH_MAX], plain[300];
	size_t i;
	int rc;

	if (h->n_sni == 0)
		return 0;
	fmt_buf(sub, sizeof(sub), "%s/sni", dir);
	if ((rc = export_mkdir(x, sub)) != 0)
		return rc;
	for (i = 0; i < h->n_sni; i++) {
		export_plain_name(h->sni[i].name, plain, sizeof(plain));
		fmt_buf(sub, sizeof(sub), "%s/sni/%s", dir, plain);
		if ((rc = export_mkdir(x, sub)) != 0 ||
		    (rc = export_chain(x, h, sub, h->sni[i].chain,
		    h->sni[i].n_chain)) != 0)
			return rc;
	}
	return 0;
}

static int
export_host(struct export_ctx *x, const struct scen_host *h)
{
	char dir[PATH_MAX], rel[PATH_MAX], plain[300];
	char **chain;
	ldns_rr_list *tlsa = NULL;
	size_t n;
	FILE *fp;
	int rc;

	export_plain_name(h->name, plain, sizeof(plain));
	fmt_buf(dir, sizeof(dir), "tls/%s", plain);
	if ((rc = export_mkdir(x, dir)) != 0)
		return rc;
	if ((rc = world_host_chain(x->w, h, &chain, &n)) != 0)
		return dl_error(x->diags, x->w->scen->file, h->pos.line,
		    h->pos.col, "host %s is not in this world", h->name);
	if ((rc = export_chain(x, h, dir, chain, n)) != 0 ||
	    (rc = export_sni(x, h, dir)) != 0)
		return rc;

	if ((rc = world_host_tlsa(x->w, h, &tlsa, x->diags)) != 0)
		return rc;
	fmt_buf(rel, sizeof(rel), "%s/tlsa.txt", dir);
	if ((fp = export_open(x, rel, 0644)) == NULL) {
		ldns_rr_list_deep_free(tlsa);
		return DL_EIO;
	}
	ldns_rr_list_print(fp, tlsa);
	ldns_rr_list_deep_free(tlsa);
	return export_close(x, fp, rel);
}

static int
export_nsd(struct export_ctx *x)
{
	char rel[PATH_MAX], plain[300], fname[300];
	size_t i;
	int rc;

	if ((rc = export_mkdir(x, "nsd")) != 0)
		return rc;
	for (i = 0; i < x->w->n_zones; i++) {
		const struct world_zone *z = &x->w->zones[i];

		export_plain_name(z->name, plain, sizeof(plain));
		export_zone_filename(z->name, fname, sizeof(fname));
		fmt_buf(rel, sizeof(rel), "nsd/%s.conf", plain);
		rc = export_text(x, rel, 0644,
		    "# NSD for zone %s only, on its own address.\n"
		    "# Start: cd %s && nsd -c %s\n"
		    "server:\n"
		    "\tip-address: %s\n"
		    "\tport: 53\n"
		    "\tdo-ip6: no\n"
		    "\tserver-count: 1\n"
		    "\tusername: \"\"\n"
		    "\tchroot: \"\"\n"
		    "\tdatabase: \"\"\n"
		    "\tzonesdir: \"%s/zones\"\n"
		    "\tzonelistfile: \"%s/run/nsd-%s.zonelist\"\n"
		    "\txfrdfile: \"%s/run/nsd-%s.xfrd\"\n"
		    "\txfrdir: \"%s/run\"\n"
		    "\tpidfile: \"%s/run/nsd-%s.pid\"\n"
		    "\tlogfile: \"%s/run/nsd-%s.log\"\n"
		    "\thide-version: yes\n"
		    "\trrl-ratelimit: 0\n"
		    "\trrl-whitelist-ratelimit: 0\n"
		    "\tverbosity: 1\n"
		    "remote-control:\n"
		    "\tcontrol-enable: no\n"
		    "zone:\n"
		    "\tname: \"%s\"\n"
		    "\tzonefile: \"%s\"\n",
		    z->name, x->final_sh, rel, z->ns_addr, x->final, x->final,
		    plain, x->final, plain, x->final, x->final, plain, x->final,
		    plain, z->name, fname);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
export_unbound(struct export_ctx *x)
{
	int rc;

	if ((rc = export_mkdir(x, "unbound")) != 0)
		return rc;
	rc = export_text(x, "unbound/root.hints", 0644,
	    ".\t\t\t3600000\tIN\tNS\t%s\n%s\t3600000\tIN\tA\t%s\n",
	    x->w->zones[0].ns_name, x->w->zones[0].ns_name,
	    x->w->zones[0].ns_addr);
	if (rc != 0)
		return rc;
	return export_text(x, "unbound/unbound.conf", 0644,
	    "# Validating resolver for this world: the lab root as hints,\n"
	    "# the lab root key as the only trust anchor.\n"
	    "# Start: cd %s && unbound -c unbound/unbound.conf\n"
	    "server:\n"
	    "\tinterface: %s\n"
	    "\tport: 53\n"
	    "\tdo-ip6: no\n"
	    "\tdo-not-query-localhost: no\n"
	    "\taccess-control: 127.0.0.0/8 allow\n"
	    "\tusername: \"\"\n"
	    "\tchroot: \"\"\n"
	    "\tdirectory: \"%s/unbound\"\n"
	    "\tpidfile: \"%s/run/unbound.pid\"\n"
	    "\tlogfile: \"%s/run/unbound.log\"\n"
	    "\tuse-syslog: no\n"
	    "\tverbosity: 1\n"
	    "\tval-log-level: 2\n"
	    "\tede: yes\n"
	    "\tmodule-config: \"validator iterator\"\n"
	    "\troot-hints: \"%s/unbound/root.hints\"\n"
	    "\ttrust-anchor-file: \"%s/anchor/root.key\"\n"
	    "\tharden-dnssec-stripped: yes\n"
	    "remote-control:\n"
	    "\tcontrol-enable: no\n",
	    x->final_sh, WORLD_RESOLVER_ADDR, x->final, x->final, x->final,
	    x->final, x->final);
}

static int
export_scripts(struct export_ctx *x)
{
	int rc;

	rc = export_text(x, "start.sh", 0755,
	    "#!/bin/sh\n"
	    "# Start this world's name servers (one NSD per zone, each on\n"
	    "# its own 127.53.0.x address, port 53) and the validating\n"
	    "# resolver on %s.  Port 53 on these addresses is meant\n"
	    "# for a private network namespace, for example:\n"
	    "#   cd %s &&\n"
	    "#   unshare -n -m sh -c 'ip link set lo up && ./start.sh && "
	    "exec sh'\n"
	    "set -eu\n"
	    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
	    "ip link set lo up 2>/dev/null || true\n"
	    "mkdir -p \"$here/run\"\n"
	    "for conf in \"$here\"/nsd/*.conf; do\n"
	    "\tnsd -c \"$conf\"\n"
	    "done\n"
	    "unbound -c \"$here/unbound/unbound.conf\"\n"
	    "echo \"resolver %s; trust anchor $here/anchor/root.key\"\n",
	    WORLD_RESOLVER_ADDR, x->final_sh, WORLD_RESOLVER_ADDR);
	if (rc != 0)
		return rc;
	return export_text(x, "stop.sh", 0755,
	    "#!/bin/sh\n"
	    "# Stop what start.sh started, by the PIDs in run/.\n"
	    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
	    "for pidfile in \"$here\"/run/*.pid; do\n"
	    "\t[ -f \"$pidfile\" ] || continue\n"
	    "\tkill \"$(cat \"$pidfile\")\" 2>/dev/null || true\n"
	    "done\n");
}

/*
 * What a DNS protocol fault looks like from danelab's server, and what
 * the export's NSD serves instead.
 */
static const char *
export_dns_fault_text(enum scen_dns_fault f)
{
	switch (f) {
	case SCEN_DNS_SERVFAIL:
		return "danelab answers SERVFAIL";
	case SCEN_DNS_REFUSED:
		return "danelab answers REFUSED";
	case SCEN_DNS_TIMEOUT:
		return "danelab does not answer at all";
	case SCEN_DNS_TRUNCATE:
		return "danelab sets TC over UDP and answers over TCP";
	case SCEN_DNS_TCP_REFUSED:
		return "danelab sets TC over UDP and refuses TCP";
	case SCEN_DNS_LAME:
		return "danelab's server for the zone does not answer for it";
	case SCEN_DNS_NOTIMP:
		return "danelab answers NOTIMP";
	case SCEN_DNS_PROOF_MISSING:
		return "danelab's negative answers (NODATA, NXDOMAIN) carry "
		    "no NSEC/NSEC3 records, so validators find them bogus";
	case SCEN_DNS_PROOF_WRONG:
		return "danelab's negative answers (NODATA, NXDOMAIN) carry "
		    "NSEC/NSEC3 records that cover other names, so "
		    "validators find them bogus";
	case SCEN_DNS_SOA_CHANGED:
		return "danelab's negative answers (NODATA, NXDOMAIN) carry a "
		    "SOA whose serial no longer matches its RRSIG, so "
		    "validators find them bogus";
	}
	return "danelab plays a protocol fault";
}

/*
 * The part of the world the export leaves out: the faults NSD and
 * unbound cannot play (a user of the export would otherwise take their
 * answers for the world's), the SMTP servers, the other phases.
 */
static void
export_readme_limits(struct export_ctx *x, FILE *fp)
{
	const struct scenario *s = x->w->scen;
	size_t i, n = 0;

	fputs("\nWhat this export does not reproduce:\n", fp);
	for (i = 0; i < s->n_faults; i++) {
		const struct scen_fault *f = &s->faults[i];
		char *type;

		if (f->kind == SCEN_FAULT_DNS) {
			type = f->type != 0 ? ldns_rr_type2str(f->type) :
			    NULL;
			fprintf(fp, "  - fault '%s', line %u of %s:\n"
			    "      %s %s: %s.\n",
			    scen_dns_fault_name(f->dns), f->pos.line, s->id,
			    f->name, type ? type : "(any type)",
			    export_dns_fault_text(f->dns));
			/* NSD serves a denial's proof intact. */
			fputs(scen_dns_fault_is_denial(f->dns) ?
			    "      The export's NSD serves the zone file's "
			    "intact proof, so dig, delv\n"
			    "      and unbound see a well-formed negative "
			    "answer (secure where the\n"
			    "      zone's chain of trust is) where a client in "
			    "danelab's lab gets\n"
			    "      SERVFAIL from a validating resolver "
			    "(bogus).\n" :
			    "      The export's NSD answers normally, so dig, "
			    "delv and unbound see\n"
			    "      the records (secure, insecure or bogus as "
			    "signed) where a client\n"
			    "      in danelab's lab sees the fault.\n", fp);
			free(type);
			n++;
		} else if (f->kind == SCEN_FAULT_STARTTLS) {
			fprintf(fp, "  - fault '%s', line %u of %s:\n"
			    "      on the SMTP server of %s\n"
			    "      The export has no SMTP server (see below): "
			    "nothing plays it.\n", scen_starttls_name(f->starttls),
			    f->pos.line, s->id, f->host);
			n++;
		}
	}
	if (n == 0)
		fputs("  - no fault of this world is left out: every DNS "
		    "answer is NSD's and\n    unbound's own.\n", fp);
	fputs("  - SMTP: no STARTTLS server is started.  tls/HOST/ holds "
	    "the chain and key\n    danelab's server presents; serve "
	    "them with an MTA of your own.\n", fp);
	for (i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].n_sni > 0)
			fprintf(fp, "  - SNI: %s presents tls/HOST/sni/NAME/ "
			    "to clients that send NAME\n    in SNI, tls/HOST/ "
			    "to the others; an MTA of your own must pick\n"
			    "    the chain by SNI to play this world.\n",
			    s->hosts[i].name);
	if (s->n_phases > 1)
		fprintf(fp, "  - the timeline: this is one of its %zu "
		    "phases, served for good; export\n    another with "
		    "`danelab export --phase NAME`.\n", s->n_phases);
}

static int
export_readme(struct export_ctx *x)
{
	const struct scenario *s = x->w->scen;
	const char *phase = "baseline";
	FILE *fp;
	size_t i;
	int rc;

	if (x->w->phase >= 0 && (size_t)x->w->phase < s->n_phases)
		phase = s->phases[x->w->phase].name;
	if ((fp = export_open(x, "README.txt", 0644)) == NULL)
		return DL_EIO;
	fprintf(fp,
	    "danelab export of scenario %s (%s)\n"
	    "%s\n\n"
	    "Timeline phase: %s.  Signatures made at %lld (Unix time),\n"
	    "valid for 30 days except where the scenario breaks them.\n\n"
	    "Name servers (one per zone):\n", s->id, s->file, s->title,
	    phase, (long long)x->w->now);
	for (i = 0; i < x->w->n_zones; i++)
		fprintf(fp, "  %-28s %-24s %s%s\n", x->w->zones[i].name,
		    x->w->zones[i].ns_name, x->w->zones[i].ns_addr,
		    x->w->zones[i].is_signed ? "" : "  (unsigned)");
	fprintf(fp,
	    "Validating resolver: %s\n"
	    "MX hosts:\n", WORLD_RESOLVER_ADDR);
	for (i = 0; i < s->n_hosts; i++)
		fprintf(fp, "  %u %s %s port %u\n", s->hosts[i].preference,
		    s->hosts[i].name, s->hosts[i].addrs[0], s->hosts[i].port);
	fprintf(fp,
	    "\nFiles:\n"
	    "  zones/      signed zone files (check: ldns-verify-zone)\n"
	    "  keys/       DNSSEC keys, BIND format\n"
	    "  anchor/     the trust anchor: root.key (DNSKEY), root.ds,\n"
	    "              trust-anchors.conf (for delv -a)\n"
	    "  tls/HOST/   chain.pem, key.pem, tlsa.txt (sni/NAME/: by SNI)\n"
	    "  nsd/        one NSD configuration per zone\n"
	    "  unbound/    unbound.conf and root.hints\n"
	    "  start.sh    start everything (in a network namespace)\n"
	    "  stop.sh     stop it, by PID\n\n"
	    "Try, inside the namespace:\n"
	    "  cd %s\n"
	    "  dig +dnssec @%s %s MX\n"
	    "  delv @%s -a anchor/trust-anchors.conf +root=. %s MX\n",
	    x->final_sh, WORLD_RESOLVER_ADDR, s->domain, WORLD_RESOLVER_ADDR,
	    s->domain);
	export_readme_limits(x, fp);
	rc = export_close(x, fp, "README.txt");
	return rc;
}

/* rm -r of a directory we created (no symlinks followed). */
static void
export_rmtree(const char *path)
{
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];
	struct stat st;

	if ((d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			fmt_buf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				export_rmtree(sub);
			else
				unlink(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Absolute path of dir, which may not exist yet (its parent must). */
static int
export_abspath(const char *dir, char *out, size_t len)
{
	char a[PATH_MAX], b[PATH_MAX], parent[PATH_MAX];
	char *dn, *bn;

	snprintf(a, sizeof(a), "%s", dir);
	snprintf(b, sizeof(b), "%s", dir);
	dn = dirname(a);
	bn = basename(b);
	if (realpath(dn, parent) == NULL)
		return DL_ENOENT;
	if (strcmp(bn, "/") == 0 || strcmp(bn, ".") == 0 ||
	    strcmp(bn, "..") == 0)
		return DL_EINVAL;
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(parent, "/") == 0 ?
	    "" : parent, bn) >= len)
		return DL_ERANGE;
	return 0;
}

/*
 * The export's own path lands in the files it writes, and each target
 * gets what its syntax can carry:
 *  - nsd/ZONE.conf and unbound.conf name files as "quoted strings"; neither
 *    lexer has an escape, so a '"' or a newline cannot be carried and
 *    such a path is refused here (with nothing written);
 *  - start.sh, the configs' "# Start:" comments and README.txt show
 *    commands: the path is one sh word, single-quoted (fmt_sh_quote), so
 *    a space, '$', '\'', '\\' or '`' is copied, never run; a comment
 *    cannot hold a newline, refused above anyway;
 *  - start.sh and stop.sh themselves find their directory at run time
 *    ("$(dirname "$0")") and carry no path.
 */
static int
export_path_check(struct export_ctx *x, const char *dir)
{
	char c[16], q[YTREE_QUOTE_MAX];
	long at;

	/* The path is quoted (escaped) in the message: it is the problem. */
	if ((at = fmt_find_unsafe(x->final, "\"")) >= 0)
		return dl_error(x->diags, NULL, 0, 0,
		    "cannot export to "
		    "'%s': the path holds %s at byte %ld, which NSD and "
		    "unbound configuration strings cannot carry",
		    ytree_quote(x->final, q, sizeof(q)),
		    fmt_char_name((unsigned char)x->final[at], c, sizeof(c)),
		    at + 1);
	if (fmt_sh_quote(x->final_sh, sizeof(x->final_sh), x->final) != 0)
		return dl_error(x->diags, dir, 0, 0, "path too long");
	return 0;
}

int
export_world(const struct world *w, const char *fixtures_dir,
    const char *dir, struct dl_diags *diags)
{
	struct export_ctx x;
	bool existed = false;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	x.w = w;
	x.fixtures_dir = fixtures_dir;
	x.diags = diags;
	if ((rc = export_abspath(dir, x.final, sizeof(x.final))) != 0)
		return dl_error(diags, dir, 0, 0, "cannot use this directory "
		    "(its parent must exist): %s", dl_strerror(rc));
	if ((rc = export_path_check(&x, dir)) != 0)
		return rc;
	/*
	 * An existing empty directory is fine: it is removed now, so the
	 * finished export can be renamed in its place, and put back if the
	 * export fails.
	 */
	if (rmdir(x.final) == 0) {
		existed = true;
	} else if (errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			return dl_error(diags, dir, 0, 0, "already exists and "
			    "is not empty");
		return dl_error(diags, dir, 0, 0, "cannot be used: %s",
		    strerror(errno));
	}
	if ((size_t)snprintf(x.tmp, sizeof(x.tmp), "%s.tmp-XXXXXX",
	    x.final) >= sizeof(x.tmp) || mkdtemp(x.tmp) == NULL)
		return dl_error(diags, dir, 0, 0, "cannot create a temporary "
		    "directory next to it: %s", strerror(errno));
	chmod(x.tmp, 0755);

	/* NSD and unbound cannot play protocol faults: say so. */
	for (i = 0; i < w->scen->n_faults; i++) {
		const struct scen_fault *f = &w->scen->faults[i];

		if (f->kind == SCEN_FAULT_DNS)
			dl_warn(diags, w->scen->file, f->pos.line, f->pos.col,
			    "the export serves %s normally: NSD cannot play "
			    "the '%s' fault; danelab's own server does",
			    f->name, scen_dns_fault_name(f->dns));
	}

	rc = export_mkdir(&x, "run");
	if (rc == 0)
		rc = export_zones(&x);
	if (rc == 0)
		rc = export_keys(&x);
	if (rc == 0)
		rc = export_anchor(&x);
	if (rc == 0)
		rc = export_mkdir(&x, "tls");
	for (i = 0; rc == 0 && i < w->scen->n_hosts; i++)
		rc = export_host(&x, &w->scen->hosts[i]);
	if (rc == 0)
		rc = export_nsd(&x);
	if (rc == 0)
		rc = export_unbound(&x);
	if (rc == 0)
		rc = export_scripts(&x);
	if (rc == 0)
		rc = export_readme(&x);
	if (rc == 0 && rename(x.tmp, x.final) != 0)
		rc = export_err(&x, dir, "cannot move the export in place");
	if (rc != 0) {
		export_rmtree(x.tmp);
		if (existed)
			(void)mkdir(x.final, 0755);
	}
	return rc;
}
