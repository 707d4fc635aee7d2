/*
 * scen_dname.c -- domain names as written in scenario files.
 *
 * Owns: normalising a written name to the model's form (absolute, lower
 * case, trailing dot), validating it (labels 1..63 octets, at most 253
 * characters, letters digits and hyphens, '_' where an owner name needs
 * it), and the few name relations the checker needs.  Does not own: DNS
 * wire format (ldns, in the zone builder).  Escapes (\DDD) are not
 * accepted: no scenario needs them, and they would make every later
 * comparison harder.
 */
#include "simulator/scenario/scen_internal.h"

#include <stdio.h>
#include <string.h>

#include "simulator/util/xmem.h"

static bool
ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int
scen_dname_norm(const char *s, size_t len, unsigned flags, char **out,
    char *why, size_t whylen)
{
	char buf[SCEN_DNAME_MAX + 2];
	size_t i, n, start;

	if (len == 0) {
		snprintf(why, whylen, "empty name");
		return DL_EINVAL;
	}
	if (len == 1 && s[0] == '.') {
		if (!(flags & SCEN_DN_ROOT_OK)) {
			snprintf(why, whylen, "the root cannot be used here");
			return DL_EINVAL;
		}
		*out = xstrdup(".");
		return 0;
	}
	n = s[len - 1] == '.' ? len - 1 : len;
	if (n > SCEN_DNAME_MAX) {
		snprintf(why, whylen, "name longer than %d characters",
		    SCEN_DNAME_MAX);
		return DL_EINVAL;
	}
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf[i] = c;
	}
	buf[n] = '.';
	buf[n + 1] = '\0';
	/* Walk the labels of buf[0..n]. */
	for (start = 0; start <= n; start = i + 1) {
		size_t ll;

		for (i = start; i < n && buf[i] != '.'; i++)
			;
		ll = i - start;
		if (ll == 0) {
			snprintf(why, whylen, "empty label");
			return DL_EINVAL;
		}
		if (ll > 63) {
			snprintf(why, whylen,
			    "label longer than 63 characters");
			return DL_EINVAL;
		}
		if (ll == 1 && buf[start] == '*' && start == 0 &&
		    (flags & SCEN_DN_WILDCARD))
			continue;
		for (size_t j = start; j < i; j++) {
			char c = buf[j];

			if (ldh(c) ||
			    (c == '_' && (flags & SCEN_DN_UNDERSCORE)))
				continue;
			if (c >= 0x20 && c <= 0x7e)
				snprintf(why, whylen, "invalid character '%c'",
				    c);
			else
				snprintf(why, whylen,
				    "invalid character 0x%02x",
				    (unsigned char)c);
			return DL_EINVAL;
		}
		if (buf[start] == '-' || buf[i - 1] == '-') {
			snprintf(why, whylen,
			    "label must not start or end with '-'");
			return DL_EINVAL;
		}
	}
	*out = xstrdup(buf);
	return 0;
}

bool
scen_dname_under(const char *name, const char *zone)
{
	size_t nl, zl;

	if (strcmp(zone, ".") == 0)
		return true;
	nl = strlen(name);
	zl = strlen(zone);
	if (nl < zl)
		return false;
	if (strcmp(name + nl - zl, zone) != 0)
		return false;
	return nl == zl || name[nl - zl - 1] == '.';
}

const char *
scen_dname_parent(const char *name)
{
	const char *dot;

	if (strcmp(name, ".") == 0)
		return NULL;
	dot = strchr(name, '.');
	return dot[1] == '\0' ? "." : dot + 1;
}

size_t
scen_dname_labels(const char *name)
{
	size_t n = 0;

	if (strcmp(name, ".") == 0)
		return 0;
	for (; *name != '\0'; name++)
		if (*name == '.')
			n++;
	return n;
}

/*
 * TLDs that libunbound (and so gnutls-cli --dane and the lab resolver)
 * answers from its built-in local zones, never asking the lab's root.
 */
static const struct {
	const char *tld;
	const char *why;
} special_tlds[] = {
	{ "test.", "RFC 6761" },
	{ "localhost.", "RFC 6761" },
	{ "invalid.", "RFC 6761" },
	{ "onion.", "RFC 7686" },
};

const char *
scen_dname_special_tld(const char *name, const char **why)
{
	const char *tld = name;
	const char *p;
	size_t i;

	if (strcmp(name, ".") == 0)
		return NULL;
	/* The last label: after the second-to-last dot. */
	for (p = name; *p != '\0'; p++)
		if (*p == '.' && p[1] != '\0')
			tld = p + 1;
	for (i = 0; i < sizeof(special_tlds) / sizeof(special_tlds[0]); i++) {
		if (strcmp(tld, special_tlds[i].tld) == 0) {
			*why = special_tlds[i].why;
			return special_tlds[i].tld;
		}
	}
	return NULL;
}
