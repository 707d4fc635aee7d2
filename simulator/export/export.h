/*
 * export.h -- write a built world as standard files, so that any lab can
 * serve it with other software (NSD, Knot, unbound, BIND's delv...).
 *
 * Layout of the directory written (see `danelab export --help`):
 *   README.txt               what is where and how to start it
 *   zones/<zone>.zone        signed zone files (root.zone for the root)
 *   keys/<zone>/K*.key|.private   DNSSEC keys (BIND format)
 *   anchor/root.key|root.ds  the lab trust anchor (DNSKEY and DS)
 *   tls/<host>/chain.pem, key.pem, tlsa.txt   per MX host
 *   nsd/<zone>.conf          one NSD per zone, on the zone's own address
 *   unbound/unbound.conf, root.hints   the validating resolver
 *   start.sh, stop.sh        start/stop it all (inside a namespace)
 *   run/                     pid files and NSD state (empty at export)
 *
 * Atomicity: everything is written into a temporary sibling directory
 * which is renamed to dir at the end; on failure it is removed, so either
 * dir is complete or it does not exist.  dir must not exist, or be an
 * empty directory.
 */
#ifndef DL_EXPORT_EXPORT_H
#define DL_EXPORT_EXPORT_H

#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

/*
 * Export world w into dir.  fixtures_dir is where the certificates and
 * keys named by the scenario are read from.  Errors are added to diags
 * (with the path concerned) and returned as negative DL_E* codes.
 */
int export_world(const struct world *w, const char *fixtures_dir,
    const char *dir, struct dl_diags *diags);

/* File name of a zone's zone file: "root.zone", "example.net.zone". */
void export_zone_filename(const char *zone, char *buf, size_t len);

#endif /* DL_EXPORT_EXPORT_H */
