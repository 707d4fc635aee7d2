/*
 * res_int.h -- what the resolver's files share (not a public interface;
 * the unit tests include it to test answer building on its own).
 *
 *   res_answer.c  a client's query parsed; the answer built from a
 *                 ub_result (pure functions, no I/O)
 *   res_ctx.c     the libunbound contexts (hints, stubs, anchor)
 *   res_server.c  sockets, the event loop, TCP connections
 */
#ifndef DL_RESOLVER_RES_INT_H
#define DL_RESOLVER_RES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>
#include <unbound.h>

#include "harness/resolver/resolver.h"

#define RES_EDE_CODE 15	     /* EDNS option code, RFC 8914 */
#define RES_RCODE_BADVERS 16 /* extended rcode, RFC 6891 */

/* A client's query, as far as it could be parsed. */
struct res_query {
	uint16_t id;
	uint8_t opcode;
	bool rd, cd, ad;
	bool edns; /* one OPT record present */
	uint8_t edns_version;
	bool dnssec_ok;	   /* the DO bit */
	uint16_t udp_size; /* the client's EDNS buffer size, >= 512 */
	ldns_rdf *qname;   /* owned, as sent (case kept); NULL if none */
	ldns_rr_type qtype;
	ldns_rr_class qclass;
};

/*
 * Parse a client's query.  Returns:
 *   0           resolve it (*q filled; res_query_clear after);
 *   DL_EINVAL   answer it at once with *rcode (FORMERR, NOTIMP, BADVERS,
 *               REFUSED); *q holds what could be parsed (ID and flags
 *               at least);
 *   DL_ERANGE   drop it (shorter than a header, or a response).
 */
int res_query_parse(
    const uint8_t *wire, size_t len, struct res_query *q, int *rcode);

void res_query_clear(struct res_query *q);

/* The query as text, for libunbound: "example.net." (malloc'd) */
char *res_query_name(const struct res_query *q);

/*
 * Largest answer the client takes: over TCP 65535, over UDP its EDNS
 * buffer size capped at RESOLVER_UDP_MAX, 512 without EDNS.
 */
size_t res_answer_limit(const struct res_query *q, bool tcp);

/*
 * The answer to q with only a header, the question (if parsed) and, for
 * an EDNS client, an OPT record: rcode may be an extended one (BADVERS).
 * On success *out is malloc'd (the caller frees) and *len set.  Returns 0
 * or DL_EDNS.
 */
int res_answer_error(
    const struct res_query *q, int rcode, uint8_t **out, size_t *len);

/*
 * The answer to q from libunbound's result r (see resolver.h for the
 * rules).  limit: res_answer_limit(); a larger answer is replaced by a
 * truncated one (TC set, question and OPT only).  On success *out is
 * malloc'd (the caller frees) and *len set.  Returns 0 or DL_EDNS (the
 * answer packet does not parse; the caller answers SERVFAIL).
 */
int res_answer_build(const struct res_query *q, const struct ub_result *r,
    size_t limit, uint8_t **out, size_t *len);

/*
 * The TLSA records of the answer to q (a TLSA query) from r, for the
 * resolver.query event's "tlsa" field (EVENTS.md): a JSON array of at
 * most RES_EV_TLSA_MAX strings "usage selector type hex", the data cut
 * to RES_EV_TLSA_DATA bytes and then followed by "...".  NULL when q
 * is not a TLSA query, r is bogus or its packet does not parse (no
 * field then).  The caller frees the string.
 */
#define RES_EV_TLSA_MAX 8
#define RES_EV_TLSA_DATA 32
char *res_answer_tlsa_json(const struct res_query *q,
    const struct ub_result *r);

/* The EDE info-code that best matches libunbound's why_bogus text. */
uint16_t res_ede_code(const char *why_bogus);

/* The libunbound contexts of a resolver (res_ctx.c). */
struct res_ctx {
	struct ub_ctx *ub;    /* validating */
	struct ub_ctx *ub_cd; /* iterator only, for CD=1 queries */
	FILE *log;	      /* libunbound's log, or NULL */
};

/* Create both contexts for w.  Returns 0 or DL_EINVAL with diagnostics. */
int res_ctx_init(struct res_ctx *c, const struct world *w,
    const struct resolver_opts *o, struct dl_diags *diags);

/* Delete both contexts (cancels what is pending, joins their threads). */
void res_ctx_clear(struct res_ctx *c);

#endif /* DL_RESOLVER_RES_INT_H */
