/*
 * refclient.h -- danelab's reference RFC 7672 SMTP client, as a library.
 *
 * Three layers, one file each:
 *   rc_dns.c     lookups through libunbound, each RRset with its DNSSEC
 *                state (secure / insecure / bogus / indeterminate) and its
 *                answer kind (data / NODATA / NXDOMAIN);
 *   rc_decide.c  the pure decision logic of RFC 7672 on those results (no
 *                I/O: unit-tested on hand-made lookups);
 *   rc_tls.c     one SMTP session: EHLO, STARTTLS, OpenSSL's DANE
 *                verification, delivery of a small test message.
 * rc_probe.c ties them together: MX hosts in order, next MX on failure,
 * and a decision trace.  The library never prints; the trace is returned.
 */
#ifndef DL_HARNESS_REFCLIENT_H
#define DL_HARNESS_REFCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_NAME_MAX	256	/* text, with the final dot */
#define RC_MAX_HOSTS	16	/* MX hosts considered, at most */
#define RC_MAX_ADDRS	8	/* addresses per host */
#define RC_MAX_TLSA	32	/* TLSA records per RRset */
#define RC_TLSA_DATA_MAX 1024	/* longer association data is unusable */

/* DNSSEC state of one answer (RFC 7672 2.1.1). */
enum rc_state {
	RC_SECURE,
	RC_INSECURE,
	RC_BOGUS,
	RC_INDETERMINATE,	/* SERVFAIL, timeout, other error rcodes */
};

/* What the answer holds; meaningful for secure and insecure answers. */
enum rc_answer {
	RC_DATA,
	RC_NODATA,
	RC_NXDOMAIN,
};

struct rc_lookup {
	bool done;		/* false: not looked up */
	enum rc_state state;
	enum rc_answer answer;
	char why[256];		/* why bogus / why indeterminate, or "" */
};

struct rc_tlsa {
	uint8_t usage, selector, mtype;
	size_t len;
	unsigned char data[RC_TLSA_DATA_MAX];
};

struct rc_host {
	char name[RC_NAME_MAX];		/* the MX exchange */
	char expanded[RC_NAME_MAX];	/* after CNAMEs; = name if none */
	uint16_t pref;
	struct rc_lookup addr;		/* A, at name */
	size_t naddr;
	char addrs[RC_MAX_ADDRS][48];
	struct rc_lookup tlsa_cname;	/* TLSA at the expanded name, when
					 * made and it found no records */
	struct rc_lookup tlsa;		/* the TLSA lookup that decided */
	char tlsa_base[RC_NAME_MAX];	/* base domain of that lookup */
	size_t ntlsa;
	struct rc_tlsa tlsa_rrs[RC_MAX_TLSA];
};

struct rc_lookups {
	char domain[RC_NAME_MAX];	/* the next-hop domain */
	struct rc_lookup mx;
	bool implicit_mx;		/* NODATA MX: the domain itself */
	size_t nhosts;			/* in preference order */
	struct rc_host hosts[RC_MAX_HOSTS];
};

enum rc_policy {
	RC_POLICY_DANE,		/* DANE, else opportunistic */
	RC_POLICY_DANE_ONLY,	/* no usable secure TLSA, or an insecure
				 * MX RRset: do not deliver */
};

/* What to do with one host before contacting it. */
enum rc_action {
	RC_ACT_AUTH,		/* TLS, DANE authentication required */
	RC_ACT_ENCRYPT,		/* TLS required, no authentication */
	RC_ACT_OPPORTUNISTIC,	/* STARTTLS if offered, else plain */
	RC_ACT_SKIP,		/* never deliver through this host */
};

/* Outcome of one SMTP session (rc_tls.c). */
enum rc_session_result {
	RC_SESS_TLS_AUTH,	/* TLS, DANE verification succeeded */
	RC_SESS_TLS,		/* TLS, not authenticated */
	RC_SESS_PLAIN,		/* STARTTLS not offered, cleartext */
	RC_SESS_NO_STARTTLS,	/* STARTTLS not offered, TLS was required */
	RC_SESS_TLS_FAILED,	/* STARTTLS refused or handshake failed */
	RC_SESS_AUTH_FAILED,	/* TLS up, DANE verification failed */
	RC_SESS_CONNECT_FAILED,	/* TCP, greeting or EHLO failed */
	RC_SESS_REJECTED,	/* MAIL / RCPT / DATA refused */
};

/* Names for the trace and for JSON; never NULL. */
const char *rc_state_name(enum rc_state s);
const char *rc_answer_name(enum rc_answer a);
const char *rc_action_name(enum rc_action a);
const char *rc_session_name(enum rc_session_result r);

/* ---------------------------------------------------------- rc_decide.c */

/*
 * True if the record is usable for SMTP (RFC 7672 3.1.3, RFC 6698 4.1):
 * usage 2 or 3, selector 0 or 1, matching type 0, 1 or 2, and for types
 * 1 and 2 data of exactly 32 or 64 octets (type 0: not empty).
 */
bool rc_tlsa_usable(const struct rc_tlsa *r);

/*
 * True if the MX lookup allows going on (secure or insecure answer with
 * data or NODATA, the latter meaning the implicit MX).  False: defer.
 * *why (static string) says why not; may be NULL.
 */
bool rc_decide_mx(const struct rc_lookup *mx, const char **why);

/*
 * The action for host h under policy, from its lookups only (RFC 7672
 * 2.1.2, 2.2, 2.2.2; under dane-only, only a secure TLSA RRset with a
 * usable record allows a delivery: auth or skip).  *why (static string)
 * says why; may be NULL.
 */
enum rc_action rc_decide_host(const struct rc_host *h, enum rc_policy policy,
    const char **why);

/*
 * The action for host h of lk under policy: the MX RRset's rule first
 * (RFC 7672 2.2.1), then rc_decide_host.  An insecure MX RRset (implicit
 * MX included): under dane-only, skip (Postfix: "non DNSSEC destination");
 * under dane, the RFC's MAY allows DANE with the MX host name or none:
 * this client takes the primary reading, opportunistic (an address
 * lookup failure still skips the host).  Secure: rc_decide_host.
 */
enum rc_action rc_decide(const struct rc_lookups *lk, const struct rc_host *h,
    enum rc_policy policy, const char **why);

/*
 * Digest agility (RFC 7671 9, RFC 7672 5; OpenSSL's DANE orders SHA2-512
 * over SHA2-256 over Full): if usable record i of rrs is ignored because
 * a usable record of the same usage and selector has a stronger matching
 * type, that strongest matching type; else (or i unusable) -1.
 */
int rc_tlsa_shadowed(const struct rc_tlsa *rrs, size_t n, size_t i);

/*
 * What the trace says of record i of rrs: "usable", "unusable", or
 * "shadowed by digest agility: 3 1 2 present".  Returns buf.
 */
const char *rc_tlsa_label(const struct rc_tlsa *rrs, size_t n, size_t i,
    char *buf, size_t len);

/*
 * Whether the session result delivers under action act (true), or sends
 * the client to the next MX (false).  RC_SESS_TLS_AUTH, RC_SESS_TLS and
 * RC_SESS_PLAIN mean the message went (or, with --no-deliver, would go).
 */
bool rc_decide_session(enum rc_action act, enum rc_session_result r);

/* True if the DANE-TA names must include the next-hop domain (3.2.2):
 * only when the MX RRset was secure. */
bool rc_decide_nexthop_name(const struct rc_lookups *lk);

/* ------------------------------------------------------------- rc_dns.c */

struct rc_dns;

/*
 * A resolver: forwarding to resolver ("ADDR" or "ADDR@PORT"; NULL: the
 * nameservers of /etc/resolv.conf), validating with the trust anchor file
 * anchor (a DNSKEY or DS record in zone-file format; NULL: no anchor,
 * every answer insecure).  Returns NULL and fills err (size errlen) on
 * failure.  Free with rc_dns_free.
 */
struct rc_dns *rc_dns_new(const char *resolver, const char *anchor,
    char *err, size_t errlen);
void rc_dns_free(struct rc_dns *d);

/*
 * All lookups for domain: MX, then per host (at most RC_MAX_HOSTS, in
 * preference order) A, then TLSA when the addresses are secure: at the
 * CNAME-expanded name first, then the original (RFC 7672 2.2.2).
 * Fills *out (caller-owned, no heap memory).  Returns 0, or -EINVAL for
 * an unusable domain name.
 */
int rc_dns_lookups(struct rc_dns *d, const char *domain, uint16_t port,
    struct rc_lookups *out);

/* ------------------------------------------------------------- rc_tls.c */

struct rc_session_params {
	const char *addr;		/* IPv4 address, text */
	uint16_t port;
	enum rc_action act;		/* AUTH, ENCRYPT or OPPORTUNISTIC */
	const char *sni;		/* the TLSA base domain */
	const char *nexthop;		/* DANE-TA name, or NULL */
	const struct rc_tlsa *tlsa;	/* the RRset (unusable: skipped) */
	size_t ntlsa;
	const char *helo;		/* EHLO name */
	const char *rcpt_domain;	/* message to postmaster@ this */
	bool deliver;			/* false: QUIT after TLS */
	int timeout_s;			/* per read/write */
};

struct rc_session {
	enum rc_session_result result;
	char detail[256];	/* protocol step / verify error, or "" */
	char matched[160];	/* "u s m hex..." of the match */
	int match_depth;	/* chain depth it matched at, -1 if none */
	char peer_cn[128];	/* leaf subject CN, or "" */
	char tls_version[32];
};

/*
 * One SMTP session with p (see above).  Fills *out.  Returns 0, or a
 * negative errno for local failures (out of memory, no TLS context).
 */
int rc_session_run(const struct rc_session_params *p, struct rc_session *out);

/* ----------------------------------------------------------- rc_probe.c */

enum rc_final {
	RC_FINAL_AUTH,
	RC_FINAL_ENCRYPT,
	RC_FINAL_OPPORTUNISTIC,
	RC_FINAL_DEFER,
};

struct rc_probe_opts {
	const char *domain;
	enum rc_policy policy;
	const char *resolver;	/* NULL: /etc/resolv.conf */
	const char *anchor;	/* NULL: no anchor */
	uint16_t port;		/* SMTP port, 25 */
	bool deliver;
	int timeout_s;
};

/* The trace: lines, in order, owned by the probe result. */
struct rc_probe_result {
	enum rc_final final;
	char via[RC_NAME_MAX];	/* host delivered through (no final
				 * dot), or "" */
	char **lines;
	size_t nlines;
	struct rc_lookups lk;
};

const char *rc_final_name(enum rc_final f);

/*
 * Run the whole probe.  Fills *out (free with rc_probe_result_clear).
 * Returns 0, or a negative errno when the probe could not run at all
 * (resolver setup: the reason is the last trace line).
 */
int rc_probe_run(const struct rc_probe_opts *o, struct rc_probe_result *out);
void rc_probe_result_clear(struct rc_probe_result *r);

#endif /* DL_HARNESS_REFCLIENT_H */
