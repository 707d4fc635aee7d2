/*
 * scen_names.c -- enum values <-> the names written in scenario files.
 *
 * Owns: one table per enumeration, used both to decode (scen_load.c) and
 * to print (the *_name functions of scenario.h, the reference in
 * scenarios/README.md).  Some enumerations have a narrower table for a
 * context where not every value may be written: a fault cannot be
 * "ds: present", a whole delivery cannot be "next-mx".
 */
#include "simulator/scenario/scen_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ENUM(what, tab, nocase) \
	{ what, tab, sizeof(tab) / sizeof(tab[0]), nocase }

static const struct scen_enum_name category_names[] = {
	{ "none", SCEN_CAT_NONE },
	{ "missing-ds", SCEN_CAT_MISSING_DS },
	{ "dnssec", SCEN_CAT_DNSSEC },
	{ "mismatch", SCEN_CAT_MISMATCH },
	{ "early-retirement", SCEN_CAT_EARLY_RETIREMENT },
	{ "late-introduction", SCEN_CAT_LATE_INTRODUCTION },
	{ "no-introduction", SCEN_CAT_NO_INTRODUCTION },
	{ "ca-change", SCEN_CAT_CA_CHANGE },
};
const struct scen_enum scen_enum_category =
    ENUM("category", category_names, false);

static const struct scen_enum_name denial_names[] = {
	{ "nsec", SCEN_DENIAL_NSEC },
	{ "nsec3", SCEN_DENIAL_NSEC3 },
};
const struct scen_enum scen_enum_denial = ENUM("denial", denial_names, false);

static const struct scen_enum_name starttls_names[] = {
	{ "on", SCEN_STARTTLS_ON },
	{ "off", SCEN_STARTTLS_OFF },
	{ "reject", SCEN_STARTTLS_REJECT },
	{ "handshake-failure", SCEN_STARTTLS_HANDSHAKE_FAIL },
};
const struct scen_enum scen_enum_starttls =
    ENUM("starttls", starttls_names, false);

static const struct scen_enum_name tls_version_names[] = {
	{ "1.0", SCEN_TLS_1_0 },
	{ "1.1", SCEN_TLS_1_1 },
	{ "1.2", SCEN_TLS_1_2 },
	{ "1.3", SCEN_TLS_1_3 },
};
const struct scen_enum scen_enum_tls_version =
    ENUM("TLS version", tls_version_names, false);

/* A starttls fault changes the baseline: "on" is no fault. */
static const struct scen_enum_name starttls_fault_names[] = {
	{ "off", SCEN_STARTTLS_OFF },
	{ "reject", SCEN_STARTTLS_REJECT },
	{ "handshake-failure", SCEN_STARTTLS_HANDSHAKE_FAIL },
};
const struct scen_enum scen_enum_starttls_fault =
    ENUM("starttls fault", starttls_fault_names, false);

static const struct scen_enum_name ds_names[] = {
	{ "present", SCEN_DS_PRESENT },
	{ "missing", SCEN_DS_MISSING },
	{ "mismatch", SCEN_DS_MISMATCH },
	{ "unsupported-algorithm", SCEN_DS_UNSUPPORTED_ALGORITHM },
	{ "unsupported-digest", SCEN_DS_UNSUPPORTED_DIGEST },
};
static const struct scen_enum scen_enum_ds = ENUM("ds", ds_names, false);
/* The fault table: ds_names without "present". */
const struct scen_enum scen_enum_ds_fault = { "ds fault", ds_names + 1,
	sizeof(ds_names) / sizeof(ds_names[0]) - 1, false };

static const struct scen_enum_name sig_names[] = {
	{ "valid", SCEN_SIG_VALID },
	{ "expired", SCEN_SIG_EXPIRED },
	{ "not-yet-valid", SCEN_SIG_NOT_YET_VALID },
	{ "corrupted", SCEN_SIG_CORRUPTED },
	{ "missing", SCEN_SIG_MISSING },
};
static const struct scen_enum scen_enum_sig = ENUM("sig", sig_names, false);
const struct scen_enum scen_enum_sig_fault = { "signatures fault",
	sig_names, sizeof(sig_names) / sizeof(sig_names[0]), false };

static const struct scen_enum_name dns_fault_names[] = {
	{ "servfail", SCEN_DNS_SERVFAIL },
	{ "refused", SCEN_DNS_REFUSED },
	{ "timeout", SCEN_DNS_TIMEOUT },
	{ "truncate", SCEN_DNS_TRUNCATE },
	{ "tcp-refused", SCEN_DNS_TCP_REFUSED },
	{ "lame", SCEN_DNS_LAME },
	{ "notimp", SCEN_DNS_NOTIMP },
	{ "proof-missing", SCEN_DNS_PROOF_MISSING },
	{ "proof-wrong", SCEN_DNS_PROOF_WRONG },
	{ "soa-changed", SCEN_DNS_SOA_CHANGED },
};
const struct scen_enum scen_enum_dns_fault =
    ENUM("dns fault", dns_fault_names, false);

static const struct scen_enum_name dnssec_names[] = {
	{ "unset", SCEN_DNSSEC_UNSET },
	{ "secure", SCEN_DNSSEC_SECURE },
	{ "insecure", SCEN_DNSSEC_INSECURE },
	{ "bogus", SCEN_DNSSEC_BOGUS },
	{ "indeterminate", SCEN_DNSSEC_INDETERMINATE },
};
static const struct scen_enum scen_enum_dnssec_all =
    ENUM("dnssec", dnssec_names, false);
const struct scen_enum scen_enum_dnssec = { "DNSSEC state", dnssec_names + 1,
	sizeof(dnssec_names) / sizeof(dnssec_names[0]) - 1, false };

static const struct scen_enum_name action_names[] = {
	{ "unset", SCEN_ACT_UNSET },
	{ "auth", SCEN_ACT_AUTH },
	{ "encrypt", SCEN_ACT_ENCRYPT },
	{ "opportunistic", SCEN_ACT_OPPORTUNISTIC },
	{ "next-mx", SCEN_ACT_NEXT_MX },
	{ "defer", SCEN_ACT_DEFER },
};
static const struct scen_enum scen_enum_action =
    ENUM("action", action_names, false);

static const struct scen_enum_name action_overall_names[] = {
	{ "auth", SCEN_ACT_AUTH },
	{ "encrypt", SCEN_ACT_ENCRYPT },
	{ "opportunistic", SCEN_ACT_OPPORTUNISTIC },
	{ "defer", SCEN_ACT_DEFER },
};
const struct scen_enum scen_enum_action_overall =
    ENUM("action", action_overall_names, false);

static const struct scen_enum_name action_host_names[] = {
	{ "auth", SCEN_ACT_AUTH },
	{ "encrypt", SCEN_ACT_ENCRYPT },
	{ "opportunistic", SCEN_ACT_OPPORTUNISTIC },
	{ "next-mx", SCEN_ACT_NEXT_MX },
};
const struct scen_enum scen_enum_action_host =
    ENUM("host action", action_host_names, false);

static const struct scen_enum_name policy_names[] = {
	{ "dane", SCEN_POLICY_DANE },
	{ "dane-only", SCEN_POLICY_DANE_ONLY },
};
static const struct scen_enum scen_enum_policy =
    ENUM("policy", policy_names, false);

static const struct scen_enum_name fault_kind_names[] = {
	{ "ds", SCEN_FAULT_DS },
	{ "signatures", SCEN_FAULT_SIGNATURES },
	{ "dns", SCEN_FAULT_DNS },
	{ "starttls", SCEN_FAULT_STARTTLS },
};
static const struct scen_enum scen_enum_fault_kind =
    ENUM("fault kind", fault_kind_names, false);

/* TLSA mnemonics, RFC 7218. */
static const struct scen_enum_name usage_names[] = {
	{ "PKIX-TA", 0 },
	{ "PKIX-EE", 1 },
	{ "DANE-TA", 2 },
	{ "DANE-EE", 3 },
};
const struct scen_enum scen_enum_tlsa_usage =
    ENUM("usage", usage_names, true);

static const struct scen_enum_name selector_names[] = {
	{ "CERT", 0 },
	{ "SPKI", 1 },
};
const struct scen_enum scen_enum_tlsa_selector =
    ENUM("selector", selector_names, true);

static const struct scen_enum_name mtype_names[] = {
	{ "FULL", 0 },
	{ "SHA2-256", 1 },
	{ "SHA2-512", 2 },
};
const struct scen_enum scen_enum_tlsa_mtype =
    ENUM("matching type", mtype_names, true);

bool
scen_enum_lookup(const struct scen_enum *e, const char *name, int *value)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		if ((e->nocase ? strcasecmp(e->v[i].name, name) :
		    strcmp(e->v[i].name, name)) == 0) {
			*value = e->v[i].value;
			return true;
		}
	}
	return false;
}

const char *
scen_enum_list(const struct scen_enum *e, const char *sep, char *buf,
    size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < e->n && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s",
		    i ? sep : "", e->v[i].name);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

static const char *
enum_name(const struct scen_enum *e, int value)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].value == value)
			return e->v[i].name;
	return "invalid";
}

const char *
scen_action_name(enum scen_action a)
{
	return enum_name(&scen_enum_action, (int)a);
}

char *
scen_accept_format(unsigned accept, char *buf, size_t len)
{
	size_t used = 0;
	int a, n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++) {
		if (!(accept & SCEN_ACT_BIT(a)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "",
		    scen_action_name((enum scen_action)a));
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';	/* whole names only */
			return buf;
		}
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "-");
	return buf;
}

size_t
scen_accept_count(unsigned accept)
{
	size_t n = 0;
	int a;

	for (a = SCEN_ACT_AUTH; a <= SCEN_ACT_DEFER; a++)
		if (accept & SCEN_ACT_BIT(a))
			n++;
	return n;
}

const char *
scen_policy_name(enum scen_policy p)
{
	return enum_name(&scen_enum_policy, (int)p);
}

int
scen_policy_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SCEN_POLICY_COUNT; i++)
		if (strcmp(s, scen_policy_name((enum scen_policy)i)) == 0)
			return i;
	return -1;
}

const char *
scen_dnssec_name(enum scen_dnssec st)
{
	return enum_name(&scen_enum_dnssec_all, (int)st);
}

const char *
scen_ds_name(enum scen_ds ds)
{
	return enum_name(&scen_enum_ds, (int)ds);
}

const char *
scen_sig_name(enum scen_sig sig)
{
	return enum_name(&scen_enum_sig, (int)sig);
}

const char *
scen_dns_fault_name(enum scen_dns_fault f)
{
	return enum_name(&scen_enum_dns_fault, (int)f);
}

bool
scen_dns_fault_is_denial(enum scen_dns_fault f)
{
	return f == SCEN_DNS_PROOF_MISSING || f == SCEN_DNS_PROOF_WRONG ||
	    f == SCEN_DNS_SOA_CHANGED;
}

const char *
scen_starttls_name(enum scen_starttls st)
{
	return enum_name(&scen_enum_starttls, (int)st);
}

const char *
scen_category_name(enum scen_category c)
{
	return enum_name(&scen_enum_category, (int)c);
}

const char *
scen_fault_kind_name(enum scen_fault_kind k)
{
	return enum_name(&scen_enum_fault_kind, (int)k);
}

const char *
scen_denial_name(enum scen_denial d)
{
	return enum_name(&scen_enum_denial, (int)d);
}

const char *
scen_tlsa_usage_name(uint8_t usage)
{
	return enum_name(&scen_enum_tlsa_usage, usage);
}
