/*
 * dns_name.c -- domain names in uncompressed wire format.
 *
 * Owns: canonical ordering (RFC 4034 6.1), case-insensitive equality and
 * ancestry, lower-casing, and the presentation format used in events.
 * The names handled here come from ldns records or from a query already
 * checked by dns_query_parse(), so they are trusted to be well formed:
 * labels of at most 63 bytes, at most 255 bytes, ending with the root.
 */
#include <stdio.h>
#include <string.h>

#include "simulator/dns/dns_int.h"

static inline uint8_t
dns_lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

size_t
dns_wname_len(const uint8_t *n)
{
	size_t i = 0;

	while (n[i] != 0)
		i += (size_t)n[i] + 1;
	return i + 1;
}

size_t
dns_wname_labels(const uint8_t *n, uint8_t *offs)
{
	size_t i = 0, k = 0;

	while (n[i] != 0 && k < DNS_LABELS_MAX) {
		offs[k++] = (uint8_t)i;
		i += (size_t)n[i] + 1;
	}
	return k;
}

int
dns_wname_cmp(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNS_LABELS_MAX], ob[DNS_LABELS_MAX];
	size_t na = dns_wname_labels(a, oa), nb = dns_wname_labels(b, ob);
	size_t i, j, la, lb, m;

	/* Compare labels from the root down. */
	while (na > 0 && nb > 0) {
		const uint8_t *pa = a + oa[--na], *pb = b + ob[--nb];

		la = pa[0];
		lb = pb[0];
		m = la < lb ? la : lb;
		for (i = 1, j = 1; i <= m; i++, j++) {
			uint8_t ca = dns_lc(pa[i]), cb = dns_lc(pb[j]);

			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	if (na == nb)
		return 0;
	return na < nb ? -1 : 1;
}

bool
dns_wname_eq(const uint8_t *a, const uint8_t *b)
{
	size_t i = 0, l, k;

	for (;;) {
		if (a[i] != b[i])
			return false;
		if ((l = a[i]) == 0)
			return true;
		for (k = 1; k <= l; k++)
			if (dns_lc(a[i + k]) != dns_lc(b[i + k]))
				return false;
		i += l + 1;
	}
}

bool
dns_wname_under(const uint8_t *n, const uint8_t *parent)
{
	size_t ln = dns_wname_len(n), lp = dns_wname_len(parent), i = 0;

	if (lp > ln)
		return false;
	/* Walk label boundaries of n until the rest is as long as parent. */
	while (ln - i > lp)
		i += (size_t)n[i] + 1;
	return ln - i == lp && dns_wname_eq(n + i, parent);
}

size_t
dns_wname_lower(uint8_t *dst, const uint8_t *n)
{
	size_t len = dns_wname_len(n), i;

	for (i = 0; i < len; i++)
		dst[i] = dns_lc(n[i]);
	return len;
}

const char *
dns_name_format(const uint8_t *name, size_t n, char *buf, size_t len)
{
	size_t i = 0, o = 0, l, k;
	char tmp[8];

	if (len == 0)
		return buf;
#define OUT(c)                                                                 \
	do {                                                                   \
		if (o + 1 < len)                                               \
			buf[o++] = (c);                                        \
	} while (0)
	if (n == 0 || name[0] == 0)
		OUT('.');
	while (i < n && (l = name[i]) != 0) {
		if (l > 63 || i + 1 + l > n)
			break; /* not a plain label: stop, name is cut */
		for (k = 1; k <= l; k++) {
			uint8_t c = name[i + k];

			if (c == '.' || c == '\\' || c == '"' || c == ';' ||
			    c == '(' || c == ')' || c == '@' || c == '$') {
				OUT('\\');
				OUT((char)c);
			} else if (c <= 0x20 || c >= 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\%03u", c);
				for (size_t t = 0; tmp[t] != '\0'; t++)
					OUT(tmp[t]);
			} else {
				OUT((char)c);
			}
		}
		OUT('.');
		i += l + 1;
	}
	buf[o] = '\0';
	return buf;
#undef OUT
}
