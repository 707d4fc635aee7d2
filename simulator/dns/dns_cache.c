/*
 * dns_cache.c -- answers in wire form, by question.
 *
 * Owns: a chained hash table from a key (EDNS and DO flags, query type,
 * lower-cased query name) to the rendered response (ID 0, question in
 * lower case), plus up to DNS_CACHE_VARIANTS truncated forms for UDP
 * size limits the full answer exceeds.  Entries made at load time stay;
 * entries made for other questions ("lazy") are bounded: past
 * DNS_CACHE_LAZY_MAX, all of them are dropped at once (cheap, and a
 * flood of random names cannot grow memory; the same past
 * DNS_CACHE_LAZY_BYTES).  One thread at a time.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "simulator/dns/dns_int.h"
#include "simulator/util/xmem.h"

#define DNS_CACHE_BUCKETS_MAX (1u << 20)

int
dns_cache_init(struct dns_cache *c, size_t expected)
{
	size_t n = 64;

	memset(c, 0, sizeof(*c));
	while (n < 2 * expected && n < DNS_CACHE_BUCKETS_MAX)
		n *= 2;
	c->buckets = xcalloc(n, sizeof(*c->buckets));
	c->nbuckets = n;
	/* A per-cache seed: chains cannot be aimed at from outside. */
	if (RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1)
		c->seed = (uint32_t)(uintptr_t)c ^ 0x9e3779b9u;
	return 0;
}

static void
dns_centry_free(struct dns_centry *ce)
{
	size_t i;

	for (i = 0; i < DNS_CACHE_VARIANTS; i++)
		free(ce->var[i].wire);
	free(ce->wire);
	free(ce);
}

void
dns_cache_clear(struct dns_cache *c)
{
	size_t i;

	if (c->buckets == NULL)
		return;
	for (i = 0; i < c->nbuckets; i++) {
		struct dns_centry *ce = c->buckets[i], *nx;

		for (; ce != NULL; ce = nx) {
			nx = ce->next;
			dns_centry_free(ce);
		}
	}
	free(c->buckets);
	memset(c, 0, sizeof(*c));
}

uint32_t
dns_cache_hash(const struct dns_cache *c, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u ^ c->seed;
	size_t i;

	/* FNV-1a, then a final mix so that low bits depend on every byte. */
	for (i = 0; i < len; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	return h;
}

struct dns_centry *
dns_cache_get(
    const struct dns_cache *c, const uint8_t *key, size_t len, uint32_t hash)
{
	struct dns_centry *ce = c->buckets[hash & (c->nbuckets - 1)];

	for (; ce != NULL; ce = ce->next)
		if (ce->hash == hash && ce->keylen == len &&
		    memcmp(ce->key, key, len) == 0)
			return ce;
	return NULL;
}

/* Drop every lazily added entry. */
static void
dns_cache_flush_lazy(struct dns_cache *c)
{
	size_t i;

	for (i = 0; i < c->nbuckets; i++) {
		struct dns_centry **pp = &c->buckets[i], *ce;

		while ((ce = *pp) != NULL) {
			if (ce->lazy) {
				*pp = ce->next;
				dns_centry_free(ce);
				c->n_entries--;
			} else {
				pp = &ce->next;
			}
		}
	}
	c->n_lazy = 0;
	c->lazy_bytes = 0;
	c->flushes++;
}

/* Double the buckets (load factor stays at most 1). */
static void
dns_cache_grow(struct dns_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct dns_centry **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < c->nbuckets; i++) {
		struct dns_centry *ce = c->buckets[i], *nx;

		for (; ce != NULL; ce = nx) {
			nx = ce->next;
			ce->next = b[ce->hash & (n - 1)];
			b[ce->hash & (n - 1)] = ce;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

struct dns_centry *
dns_cache_put(struct dns_cache *c, const uint8_t *key, size_t keylen,
    uint32_t hash, const uint8_t *wire, size_t len, bool lazy)
{
	struct dns_centry *ce, **b;

	if (lazy &&
	    (c->n_lazy >= DNS_CACHE_LAZY_MAX ||
		c->lazy_bytes + len > DNS_CACHE_LAZY_BYTES))
		dns_cache_flush_lazy(c);
	if (c->n_entries >= c->nbuckets && c->nbuckets < DNS_CACHE_BUCKETS_MAX)
		dns_cache_grow(c);
	ce = xcalloc(1, sizeof(*ce) + keylen);
	ce->hash = hash;
	ce->lazy = lazy;
	ce->keylen = (uint16_t)keylen;
	memcpy(ce->key, key, keylen);
	ce->len = (uint16_t)len;
	ce->wire = xmalloc(len);
	memcpy(ce->wire, wire, len);
	b = &c->buckets[hash & (c->nbuckets - 1)];
	ce->next = *b;
	*b = ce;
	if (lazy) {
		c->n_lazy++;
		c->lazy_bytes += len + keylen + sizeof(*ce);
	}
	c->n_entries++;
	return ce;
}

void
dns_cache_put_variant(struct dns_cache *c, struct dns_centry *ce,
    uint16_t limit, const uint8_t *wire, size_t len)
{
	unsigned i = ce->next_var;

	if (ce->lazy)
		c->lazy_bytes += len;
	ce->next_var = (uint8_t)((i + 1) % DNS_CACHE_VARIANTS);
	free(ce->var[i].wire);
	ce->var[i].wire = xmalloc(len);
	memcpy(ce->var[i].wire, wire, len);
	ce->var[i].len = (uint16_t)len;
	ce->var[i].limit = limit;
}
