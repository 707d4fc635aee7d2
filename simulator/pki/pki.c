/*
 * pki.c -- fixture certificates and keys, TLSA association data.
 *
 * Owns: reading fixtures/pki/<id>.{pem,key}; hashing a certificate or its
 * SubjectPublicKeyInfo for TLSA (RFC 6698 2.1.2, 2.1.3).  Does not own:
 * which certificate a scenario uses, or TLSA records as DNS data.
 */
#include "simulator/pki/pki.h"
#include "simulator/util/file.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

bool
pki_id_valid(const char *id)
{
	size_t i, n;

	if (id == NULL)
		return false;
	n = strlen(id);
	if (n == 0 || n > PKI_ID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return false;
	}
	return true;
}

/* Build <dir>/pki/<id><ext> into buf; false if it does not fit. */
static bool
pki_path(char *buf, size_t len, const char *dir, const char *id,
    const char *ext)
{
	int n;

	if (!pki_id_valid(id))
		return false;
	n = snprintf(buf, len, "%s/pki/%s%s", dir, id, ext);
	return n > 0 && (size_t)n < len;
}

bool
pki_cert_exists(const char *fixtures_dir, const char *id)
{
	char path[PATH_MAX];

	return pki_path(path, sizeof(path), fixtures_dir, id, ".pem") &&
	    access(path, R_OK) == 0;
}

bool
pki_key_exists(const char *fixtures_dir, const char *id)
{
	char path[PATH_MAX];

	return pki_path(path, sizeof(path), fixtures_dir, id, ".key") &&
	    access(path, R_OK) == 0;
}

int
pki_cert_load(const char *fixtures_dir, const char *id, X509 **out)
{
	char path[PATH_MAX];
	X509 *x;
	FILE *fp;
	int rc;

	if (!pki_path(path, sizeof(path), fixtures_dir, id, ".pem"))
		return DL_EINVAL;
	if ((rc = dl_fopen_input(path, &fp, NULL)) != 0)
		return rc; /* never blocks on a FIFO in the fixtures */
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		return DL_ECRYPTO;
	*out = x;
	return 0;
}

int
pki_key_load(const char *fixtures_dir, const char *id, EVP_PKEY **out)
{
	char path[PATH_MAX];
	EVP_PKEY *k;
	FILE *fp;
	int rc;

	if (!pki_path(path, sizeof(path), fixtures_dir, id, ".key"))
		return DL_EINVAL;
	if ((rc = dl_fopen_input(path, &fp, NULL)) != 0)
		return rc; /* never blocks on a FIFO in the fixtures */
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k == NULL)
		return DL_ECRYPTO;
	*out = k;
	return 0;
}

/* DER of the selected part of cert; *der owned by the caller. */
static int
pki_selected_der(X509 *cert, uint8_t selector, unsigned char **der,
    size_t *len)
{
	int n;

	*der = NULL;
	switch (selector) {
	case 0:
		n = i2d_X509(cert, der);
		break;
	case 1:
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), der);
		break;
	default:
		return DL_EINVAL;
	}
	if (n <= 0)
		return DL_ECRYPTO;
	*len = (size_t)n;
	return 0;
}

int
pki_tlsa_data(X509 *cert, uint8_t selector, uint8_t mtype, uint8_t *out,
    size_t cap, size_t *len)
{
	unsigned char *der;
	const EVP_MD *md = NULL;
	unsigned int mdlen;
	size_t dlen;
	int rc;

	if (mtype > 2)
		return DL_EINVAL;
	if ((rc = pki_selected_der(cert, selector, &der, &dlen)) != 0)
		return rc;
	if (mtype == 0) {
		if (dlen > cap) {
			rc = DL_ERANGE;
		} else {
			memcpy(out, der, dlen);
			*len = dlen;
		}
	} else {
		md = mtype == 1 ? EVP_sha256() : EVP_sha512();
		if ((size_t)EVP_MD_get_size(md) > cap)
			rc = DL_ERANGE;
		else if (!EVP_Digest(der, dlen, out, &mdlen, md, NULL))
			rc = DL_ECRYPTO;
		else
			*len = mdlen;
	}
	OPENSSL_free(der);
	return rc;
}

int
pki_tlsa_data_alloc(X509 *cert, uint8_t selector, uint8_t mtype,
    uint8_t **out, size_t *len)
{
	unsigned char *der;
	uint8_t *buf;
	size_t dlen, cap;
	int rc;

	if (mtype == 0) {
		if ((rc = pki_selected_der(cert, selector, &der, &dlen)) != 0)
			return rc;
		buf = malloc(dlen);
		if (buf == NULL) {
			OPENSSL_free(der);
			return DL_ENOMEM;
		}
		memcpy(buf, der, dlen);
		OPENSSL_free(der);
		*out = buf;
		*len = dlen;
		return 0;
	}
	cap = PKI_TLSA_DATA_MAX;
	if ((buf = malloc(cap)) == NULL)
		return DL_ENOMEM;
	if ((rc = pki_tlsa_data(cert, selector, mtype, buf, cap, len)) != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}
