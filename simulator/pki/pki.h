/*
 * pki.h -- the test PKI: fixture certificates and keys, TLSA data.
 *
 * Fixtures live in <fixtures_dir>/pki/<id>.pem (one certificate) and
 * <id>.key (its private key, PKCS#8 PEM).  This module loads them by id
 * and computes TLSA association data (RFC 6698 2.1) from a certificate.
 * It knows nothing about scenarios or DNS.
 */
#ifndef DL_PKI_PKI_H
#define DL_PKI_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "simulator/util/diag.h"

/* Longest fixture id accepted (also bounds the path built from it). */
#define PKI_ID_MAX 64
/* Longest TLSA association data we compute (SHA-512). */
#define PKI_TLSA_DATA_MAX 64

/*
 * True if id is a syntactically valid fixture id: 1..PKI_ID_MAX chars of
 * [a-z0-9-], so it cannot name a path outside the fixture folder.
 */
bool pki_id_valid(const char *id);

/* True if <fixtures_dir>/pki/<id>.pem exists and is readable. */
bool pki_cert_exists(const char *fixtures_dir, const char *id);
/* True if <fixtures_dir>/pki/<id>.key exists and is readable. */
bool pki_key_exists(const char *fixtures_dir, const char *id);

/*
 * Load fixture certificate id.  On success *out is a new X509 owned by
 * the caller (X509_free).  Returns DL_ENOENT if missing, DL_EINVAL for a
 * bad id, DL_ECRYPTO if it does not parse.  *out untouched on failure.
 */
int pki_cert_load(const char *fixtures_dir, const char *id, X509 **out);

/* Load the private key of fixture id; *out owned by the caller. */
int pki_key_load(const char *fixtures_dir, const char *id, EVP_PKEY **out);

/*
 * Compute TLSA association data for cert: selector 0 (full certificate,
 * DER) or 1 (SubjectPublicKeyInfo, DER); matching type 0 (exact), 1
 * (SHA-256) or 2 (SHA-512).  out must hold cap bytes; for matching type 0
 * the DER may be long, so cap must be large enough (DL_ERANGE otherwise).
 * On success *len is the data length.
 */
int pki_tlsa_data(X509 *cert, uint8_t selector, uint8_t mtype, uint8_t *out,
    size_t cap, size_t *len);

/* Same, allocating: *out owned by the caller (free). */
int pki_tlsa_data_alloc(X509 *cert, uint8_t selector, uint8_t mtype,
    uint8_t **out, size_t *len);

#endif /* DL_PKI_PKI_H */
