/*
 * test_pki.c -- unit tests for simulator/pki: fixture loading and TLSA
 * association data.  The expected digests are computed here through a
 * different OpenSSL path than the module uses (the SPKI re-encoded from
 * the EVP_PKEY with i2d_PUBKEY, X509_digest for the certificate); the
 * integration tests compare with the openssl command line as well.
 * (X509_pubkey_digest is no help: it hashes the key bits only, not the
 * SubjectPublicKeyInfo that TLSA selector 1 means.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "simulator/pki/pki.h"

static const char *
fixtures(void)
{
	const char *d = getenv("DANELAB_FIXTURES");

	return d != NULL ? d : "fixtures";
}

static void
test_id_valid(void **state)
{
	(void)state;
	assert_true(pki_id_valid("mx-cur"));
	assert_true(pki_id_valid("int-r3"));
	assert_false(pki_id_valid(""));
	assert_false(pki_id_valid("../etc/passwd"));
	assert_false(pki_id_valid("MX"));
	assert_false(pki_id_valid("a/b"));
	assert_false(pki_id_valid(NULL));
	assert_false(pki_id_valid(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void
test_load(void **state)
{
	X509 *x = NULL;
	EVP_PKEY *k = NULL;

	(void)state;
	assert_true(pki_cert_exists(fixtures(), "mx-cur"));
	assert_true(pki_key_exists(fixtures(), "mx-cur"));
	assert_false(pki_cert_exists(fixtures(), "no-such-cert"));
	assert_int_equal(pki_cert_load(fixtures(), "no-such-cert", &x),
	    DL_ENOENT);
	assert_null(x);
	assert_int_equal(pki_cert_load(fixtures(), "../pki/mx-cur", &x),
	    DL_EINVAL);
	assert_int_equal(pki_cert_load(fixtures(), "mx-cur", &x), 0);
	assert_int_equal(pki_key_load(fixtures(), "mx-cur", &k), 0);
	/* The key fixture belongs to the certificate fixture. */
	assert_int_equal(X509_check_private_key(x, k), 1);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* Digest of the SPKI, re-encoded from the certificate's EVP_PKEY. */
static void
spki_digest(X509 *x, const char *md, unsigned char *out, unsigned int *len)
{
	unsigned char *der = NULL;
	size_t dlen;
	int n;

	n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Q_digest(NULL, md, NULL, der, (size_t)n, out,
	    &dlen), 1);
	*len = (unsigned int)dlen;
	OPENSSL_free(der);
}

static void
check_digest(const char *id)
{
	unsigned char want[EVP_MAX_MD_SIZE], got[PKI_TLSA_DATA_MAX];
	unsigned int wlen;
	size_t glen;
	uint8_t *full;
	X509 *x = NULL;

	assert_int_equal(pki_cert_load(fixtures(), id, &x), 0);

	spki_digest(x, "SHA256", want, &wlen);
	assert_int_equal(pki_tlsa_data(x, 1, 1, got, sizeof(got), &glen), 0);
	assert_int_equal(glen, 32);
	assert_memory_equal(got, want, 32);

	spki_digest(x, "SHA512", want, &wlen);
	assert_int_equal(pki_tlsa_data(x, 1, 2, got, sizeof(got), &glen), 0);
	assert_int_equal(glen, 64);
	assert_memory_equal(got, want, 64);

	assert_int_equal(X509_digest(x, EVP_sha256(), want, &wlen), 1);
	assert_int_equal(pki_tlsa_data(x, 0, 1, got, sizeof(got), &glen), 0);
	assert_memory_equal(got, want, 32);

	/* Full certificate, exact match: the DER itself. */
	assert_int_equal(pki_tlsa_data_alloc(x, 0, 0, &full, &glen), 0);
	assert_int_equal((int)glen, i2d_X509(x, NULL));
	free(full);
	/* Does not fit a small buffer. */
	assert_int_equal(pki_tlsa_data(x, 0, 0, got, sizeof(got), &glen),
	    DL_ERANGE);
	/* Unknown selector / matching type. */
	assert_int_equal(pki_tlsa_data(x, 2, 1, got, sizeof(got), &glen),
	    DL_EINVAL);
	assert_int_equal(pki_tlsa_data(x, 1, 3, got, sizeof(got), &glen),
	    DL_EINVAL);
	X509_free(x);
}

static void
test_tlsa_data(void **state)
{
	(void)state;
	check_digest("mx-cur");		/* ECDSA leaf */
	check_digest("mx-rsa");		/* RSA leaf */
	check_digest("int-r3");		/* intermediate, for 2 x x */
}

static void
test_same_key_same_spki(void **state)
{
	uint8_t a[64], b[64];
	size_t la, lb;
	X509 *x3 = NULL, *r3 = NULL;

	(void)state;
	/* The X3 -> R3 change: same key, so 3 1 1 is unchanged. */
	assert_int_equal(pki_cert_load(fixtures(), "mx-cur-x3", &x3), 0);
	assert_int_equal(pki_cert_load(fixtures(), "mx-cur", &r3), 0);
	assert_int_equal(pki_tlsa_data(x3, 1, 1, a, sizeof(a), &la), 0);
	assert_int_equal(pki_tlsa_data(r3, 1, 1, b, sizeof(b), &lb), 0);
	assert_memory_equal(a, b, 32);
	/* ... but 3 0 1 (full certificate) changes. */
	assert_int_equal(pki_tlsa_data(x3, 0, 1, a, sizeof(a), &la), 0);
	assert_int_equal(pki_tlsa_data(r3, 0, 1, b, sizeof(b), &lb), 0);
	assert_memory_not_equal(a, b, 32);
	X509_free(x3);
	X509_free(r3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_tlsa_data),
		cmocka_unit_test(test_same_key_same_spki),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
