/*
 * fuzz_resolver_query.c -- fuzz target for the lab resolver's front end
 * (harness/resolver/res_answer.c): any bytes are a client's query, parsed
 * by res_query_parse; what it accepts is turned into the name given to
 * libunbound and the size limits of both transports, and what it refuses
 * with an rcode gets the error answer res_answer_error builds.
 * Besides not crashing, leaking or hanging: an error answer must parse
 * with ldns, carry the query's ID and the rcode, and be a response.
 * (The answers built from libunbound's results need a resolution; the
 * integration tests cover them.)
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "harness/resolver/res_int.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct res_query q;
	uint8_t *out = NULL;
	size_t len = 0;
	ldns_pkt *pkt = NULL;
	char *name;
	int rcode = 0, rc;

	memset(&q, 0, sizeof(q));
	rc = res_query_parse(data, size, &q, &rcode);
	if (rc == 0) {
		name = res_query_name(&q);
		/* 255 octets on the wire; "\\DDD" escapes make text longer. */
		if (name == NULL || strlen(name) == 0 ||
		    strlen(name) > 4 * 255)
			abort();
		free(name);
		if (res_answer_limit(&q, true) != 65535 ||
		    res_answer_limit(&q, false) < 512)
			abort();
	} else if (rc == DL_EINVAL) {
		if (res_answer_error(&q, rcode, &out, &len) == 0) {
			if (ldns_wire2pkt(&pkt, out, len) != LDNS_STATUS_OK)
				abort();
			if (ldns_pkt_id(pkt) != q.id || !ldns_pkt_qr(pkt) ||
			    (ldns_pkt_get_rcode(pkt) & 0xf) != (rcode & 0xf))
				abort();
			ldns_pkt_free(pkt);
			free(out);
		}
	}
	res_query_clear(&q);
	return 0;
}
