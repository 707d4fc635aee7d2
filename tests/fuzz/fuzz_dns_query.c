/*
 * fuzz_dns_query.c -- fuzz target for the DNS answer engine: any bytes
 * are a query, answered on every view of a world (one per zone, and the
 * single-address view) over UDP and TCP by dns_engine_answer().
 *
 * The world is built once from the scenario below (NSEC and NSEC3 zones,
 * a wildcard, CNAMEs, a delegation with glue, a missing DS, every DNS
 * fault kind), with fixtures from $DANELAB_FIXTURES or the source tree;
 * a world that does not build aborts.
 * Besides not crashing, leaking or hanging, every response must parse
 * with ldns, carry the query's ID, and fit its transport.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "danelab_config.h"
#include "simulator/dns/dns_server.h"
#include "simulator/scenario/scenario.h"
#include "simulator/util/diag.h"
#include "simulator/zone/world.h"

static const char fuzz_world[] =
    "version: 1\n"
    "id: fuzz/dns\n"
    "title: DNS fuzzing world\n"
    "explanation: every kind of answer and fault\n"
    "rule: none\n"
    "observe: none\n"
    "references: [\"RFC 1034\"]\n"
    "tags: [fuzz]\n"
    "domain: example.net\n"
    "zones:\n"
    "  - name: example.net\n"
    "    denial: nsec3\n"
    "    records:\n"
    "      - { name: \"*.wild\", type: TXT, data: \"\\\"wild\\\"\" }\n"
    "      - { name: www, type: CNAME, data: mx1.example.net. }\n"
    "      - { name: loop1, type: CNAME, data: loop2.example.net. }\n"
    "      - { name: loop2, type: CNAME, data: loop1.example.net. }\n"
    "      - { name: a.b.c, type: A, data: 127.0.0.10 }\n"
    "      - { name: sub, type: NS, data: ns.sub.example.net. }\n"
    "      - { name: ns.sub, type: A, data: 127.0.0.11 }\n"
    "  - name: org\n"
    "    records:\n"
    "      - { name: \"*\", type: MX, data: 10 mx1.example.net. }\n"
    "  - name: nods.net\n"
    "mx:\n"
    "  - host: mx1.example.net\n"
    "    preference: 10\n"
    "    addresses: [127.25.0.1]\n"
    "    chain: [mx-cur, int-r3]\n"
    "    tlsa:\n"
    "      - { usage: 3, selector: 1, matching: 1, cert: mx-cur }\n"
    "faults:\n"
    "  - { ds: missing, zone: nods.net }\n"
    "  - { dns: servfail, name: _25._tcp.mx1.example.net, type: TLSA }\n"
    "  - { dns: refused, name: mx1.example.net, type: AAAA }\n"
    "  - { dns: timeout, name: www.example.net }\n"
    "  - { dns: truncate, name: example.net, type: MX }\n"
    "  - { dns: tcp-refused, name: example.net, type: DNSKEY }\n"
    "  - { dns: lame, name: nods.net }\n"
    "expect:\n"
    "  mx: secure\n"
    "  address: { mx1.example.net: secure }\n"
    "  tlsa: { mx1.example.net: secure }\n"
    "  dane: auth\n"
    "  dane-only: auth\n";

static struct world *fuzz_w;
static struct dns_engine *fuzz_views, *fuzz_single;

/* Build the world once (aborts if it cannot be built). */
static bool
fuzz_init(void)
{
	static bool done, ok;
	const char *fixtures = getenv("DANELAB_FIXTURES");
	struct world_opts wo;
	struct scenario *s = NULL;
	struct dl_diags d;

	if (done)
		return ok;
	done = true;
	if (fixtures == NULL)
		fixtures = DANELAB_FIXTURES_DIR;
	dl_diags_init(&d);
	memset(&wo, 0, sizeof(wo));
	wo.fixtures_dir = fixtures;
	wo.now = 1750000000;
	wo.phase = -1;
	if (scenario_load_buffer("fuzz-dns.yaml", fuzz_world,
		sizeof(fuzz_world) - 1, fixtures, &s, &d) != 0 ||
	    world_build(s, &wo, &fuzz_w, &d) != 0 ||
	    dns_engine_new(fuzz_w, false, &fuzz_views, &d) != 0 ||
	    dns_engine_new(fuzz_w, true, &fuzz_single, &d) != 0) {
		/* The world is part of the target: failing to build it is
		 * a bug, not an uninteresting input. */
		dl_diags_print(&d, stderr);
		abort();
	}
	/* s, the world and the engines live as long as the process. */
	dl_diags_clear(&d);
	ok = true;
	return true;
}

static void
fuzz_one(struct dns_engine *e, int view, enum dns_transport tr,
    const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX];
	size_t cap = tr == DNS_TCP ? DNS_MSG_MAX : DNS_UDP_MAX;
	struct dns_result r;
	ldns_pkt *p = NULL;

	if (dns_engine_answer(e, view, tr, data, size, out, cap, &r) != 0)
		abort();
	if (r.action != DNS_ACT_SEND)
		return;
	if (r.len < 12 || r.len > cap || (tr == DNS_UDP && r.len > DNS_UDP_MAX))
		abort();
	if (out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
		abort();
	if (ldns_wire2pkt(&p, out, r.len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int v, n;

	if (!fuzz_init())
		return 0;
	n = dns_engine_views(fuzz_views);
	for (v = 0; v < n; v++) {
		fuzz_one(fuzz_views, v, DNS_UDP, data, size);
		fuzz_one(fuzz_views, v, DNS_TCP, data, size);
	}
	fuzz_one(fuzz_single, 0, DNS_UDP, data, size);
	fuzz_one(fuzz_single, 0, DNS_TCP, data, size);
	return 0;
}
