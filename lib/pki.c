/*
 * Certificates and secrets; see pki.h.
 *
 * Everything goes through OpenSSL 3's EVP and X509 interfaces. Extensions
 * given as text go through X509V3_EXT_nconf_nid(); the subjectAltName is
 * built as GENERAL_NAMEs instead, so a name holding a comma cannot smuggle
 * another entry in. Each exported function starts with an empty OpenSSL
 * error queue, so the first queued error is the one that made it fail.
 */
#include "pki.h"
#include "fsutil.h"
#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PEM_MAX (1024 * 1024)
#define SALT_LEN 8
#define SHA1_LEN 20

static const char token_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int pki_random_token(char *buf, size_t len)
{
	const size_t n_alpha = sizeof(token_alphabet) - 1;
	/* bytes at or above this would make the first letters likelier */
	const unsigned limit = 256 - 256 % n_alpha;
	unsigned char rnd[64];
	size_t n = 0;

	if (!len)
		return -1;
	while (n < len - 1) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			ERR_clear_error();
			OPENSSL_cleanse(buf, len);
			return -1;
		}
		for (size_t i = 0; i < sizeof(rnd) && n < len - 1; i++)
			if (rnd[i] < limit)
				buf[n++] = token_alphabet[rnd[i] % n_alpha];
	}
	buf[n] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

/* Append the first queued OpenSSL error, and empty the queue. */
static void add_ssl_reason(struct strbuf *err)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		strbuf_addstr(err, buf);
	} else {
		strbuf_addstr(err, "unknown OpenSSL error");
	}
	ERR_clear_error();
}

/* Our keys have no passphrase; never let OpenSSL prompt on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int read_pem(const char *path, struct strbuf *pem, BIO **bio, struct strbuf *err)
{
	if (strbuf_read_file(pem, path, PEM_MAX) < 0) {
		strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	*bio = BIO_new_mem_buf(pem->buf, (int)pem->len);
	if (!*bio) {
		strbuf_addf(err, "cannot read '%s': ", path);
		add_ssl_reason(err);
		return -1;
	}
	return 0;
}

static EVP_PKEY *load_key(const char *path, struct strbuf *err)
{
	struct strbuf pem = STRBUF_INIT;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;

	if (read_pem(path, &pem, &bio, err) < 0)
		goto out;
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (!key) {
		strbuf_addf(err, "cannot load the key in '%s': ", path);
		add_ssl_reason(err);
	}
out:
	BIO_free(bio);
	if (pem.alloc)
		OPENSSL_cleanse(pem.buf, pem.alloc);
	strbuf_release(&pem);
	return key;
}

static X509 *load_cert(const char *path, struct strbuf *err)
{
	struct strbuf pem = STRBUF_INIT;
	BIO *bio = NULL;
	X509 *cert = NULL;

	if (read_pem(path, &pem, &bio, err) < 0)
		goto out;
	cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (!cert) {
		strbuf_addf(err, "cannot load the certificate in '%s': ", path);
		add_ssl_reason(err);
	}
out:
	BIO_free(bio);
	strbuf_release(&pem);
	return cert;
}

/* Write what a memory BIO holds to path, atomically. */
static int write_bio(const char *path, BIO *bio, mode_t mode, struct strbuf *err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);

	if (len < 0 || write_file_atomic(path, data, (size_t)len, mode) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(len < 0 ? EIO : errno));
		return -1;
	}
	return 0;
}

static int write_key(const char *path, EVP_PKEY *key, struct strbuf *err)
{
	/* a secure-heap BIO is wiped when freed */
	BIO *bio = BIO_new(BIO_s_secmem());
	int ret = -1;

	if (!bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		strbuf_addf(err, "cannot encode the key for '%s': ", path);
		add_ssl_reason(err);
		goto out;
	}
	ret = write_bio(path, bio, 0600, err);
out:
	BIO_free(bio);
	return ret;
}

static int write_cert(const char *path, X509 *cert, struct strbuf *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int ret = -1;

	if (!bio || !PEM_write_bio_X509(bio, cert)) {
		strbuf_addf(err, "cannot encode the certificate for '%s': ", path);
		add_ssl_reason(err);
		goto out;
	}
	ret = write_bio(path, bio, 0644, err);
out:
	BIO_free(bio);
	return ret;
}

/* Key first, then certificate; never leave the new key beside an old certificate. */
static int write_pair(const char *key_path, EVP_PKEY *key, const char *cert_path, X509 *cert,
		      struct strbuf *err)
{
	if (write_key(key_path, key, err) < 0)
		return -1;
	if (write_cert(cert_path, cert, err) < 0) {
		unlink(key_path);
		return -1;
	}
	return 0;
}

static EVP_PKEY *new_key(const char *key_path, struct strbuf *err)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!key) {
		strbuf_addf(err, "cannot make a key for '%s': ", key_path);
		add_ssl_reason(err);
	}
	return key;
}

/* A random positive serial of up to 128 bits (never zero). */
static int set_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL;

	while (ok && (ok = BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) && BN_is_zero(bn))
		;
	ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok;
}

/*
 * X.509 allows at most 64 characters in a common name (RFC 5280's
 * ub-common-name); OpenSSL's own message for a longer one is an ASN.1
 * encoding error that names neither the field nor the limit.
 */
#define CN_MAX 64

static int check_cn(const char *common_name, struct strbuf *err)
{
	if (strlen(common_name) <= CN_MAX)
		return 0;
	strbuf_addf(err, "common name '%s' is longer than %d characters", common_name, CN_MAX);
	return -1;
}

/*
 * A version 3 certificate for key: serial, validity, subject (CN, and O
 * when given); no issuer yet.
 */
static X509 *new_cert(EVP_PKEY *key, const char *common_name, const char *org, unsigned days)
{
	X509 *cert = X509_new();
	int day_count = days > INT_MAX ? INT_MAX : (int)days;

	if (!cert || !X509_set_version(cert, X509_VERSION_3) || !set_serial(cert) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -300) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), day_count, 0, NULL) ||
	    (org && !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "O", MBSTRING_UTF8,
						(const unsigned char *)org, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
					(const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_pubkey(cert, key)) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* Add extension nid, given as OpenSSL's configuration text; 1 or 0. */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ok = ext && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int valid_dns_name(const char *name)
{
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '*' || *p == '_'))
			return 0;
	return 1;
}

static int push_name(GENERAL_NAMES *names, int type, ASN1_STRING *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();

	if (!gn) {
		ASN1_STRING_free(value);
		return 0;
	}
	GENERAL_NAME_set0_value(gn, type, value);
	if (!sk_GENERAL_NAME_push(names, gn)) {
		GENERAL_NAME_free(gn);
		return 0;
	}
	return 1;
}

static int add_dns_names(GENERAL_NAMES *names, const char *const *dns, struct strbuf *err)
{
	for (; dns && *dns; dns++) {
		ASN1_IA5STRING *s;

		if (!valid_dns_name(*dns)) {
			strbuf_addf(err, "invalid DNS name '%s'", *dns);
			return -1;
		}
		s = ASN1_IA5STRING_new();
		if (s && !ASN1_STRING_set(s, *dns, -1)) {
			ASN1_IA5STRING_free(s);
			s = NULL;
		}
		/* push_name() owns s, even when it fails */
		if (!s || !push_name(names, GEN_DNS, s)) {
			strbuf_addf(err, "cannot add DNS name '%s': ", *dns);
			add_ssl_reason(err);
			return -1;
		}
	}
	return 0;
}

static int add_ip_addrs(GENERAL_NAMES *names, const char *const *ips, struct strbuf *err)
{
	for (; ips && *ips; ips++) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(*ips);

		if (!ip) {
			ERR_clear_error();
			strbuf_addf(err, "invalid IP address '%s'", *ips);
			return -1;
		}
		if (!push_name(names, GEN_IPADD, ip)) {
			strbuf_addf(err, "cannot add IP address '%s': ", *ips);
			add_ssl_reason(err);
			return -1;
		}
	}
	return 0;
}

/* The subjectAltName, from DNS names and IP address literals. */
static int add_san(X509 *cert, const char *const *dns, const char *const *ips,
		   struct strbuf *err)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	int ret = -1;

	if (!names) {
		strbuf_addstr(err, "cannot make a subjectAltName: ");
		add_ssl_reason(err);
		return -1;
	}
	if (add_dns_names(names, dns, err) < 0 || add_ip_addrs(names, ips, err) < 0)
		goto out;
	if (sk_GENERAL_NAME_num(names) &&
	    X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1) {
		strbuf_addstr(err, "cannot add a subjectAltName: ");
		add_ssl_reason(err);
		goto out;
	}
	ret = 0;
out:
	GENERAL_NAMES_free(names);
	return ret;
}

int pki_make_ca(const char *key_path, const char *cert_path, const char *common_name,
		unsigned days, struct strbuf *err)
{
	EVP_PKEY *key;
	X509 *cert = NULL;
	int ret = -1;

	ERR_clear_error();
	if (check_cn(common_name, err) < 0)
		return -1;
	key = new_key(key_path, err);
	if (!key)
		goto out;
	cert = new_cert(key, common_name, "provisioner CA", days);
	if (!cert || !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    !add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
	    !add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    !add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
	    !X509_sign(cert, key, EVP_sha256())) {
		strbuf_addf(err, "cannot make the certificate '%s': ", cert_path);
		add_ssl_reason(err);
		goto out;
	}
	ret = write_pair(key_path, key, cert_path, cert, err);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return ret;
}

/* The CA's key and certificate, checked to belong together. */
static int load_ca(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert,
		   struct strbuf *err)
{
	*key = load_key(key_path, err);
	if (!*key)
		return -1;
	*cert = load_cert(cert_path, err);
	if (!*cert)
		return -1;
	if (X509_check_private_key(*cert, *key) != 1) {
		ERR_clear_error();
		strbuf_addf(err, "'%s' is not the key of '%s'", key_path, cert_path);
		return -1;
	}
	return 0;
}

int pki_make_server_cert(const char *ca_key, const char *ca_cert, const char *key_path,
			 const char *cert_path, const char *common_name,
			 const char *const *dns_names, const char *const *ip_addrs, unsigned days,
			 struct strbuf *err)
{
	EVP_PKEY *ca_pkey = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	int ret = -1;

	ERR_clear_error();
	if (check_cn(common_name, err) < 0 || load_ca(ca_key, ca_cert, &ca_pkey, &ca, err) < 0)
		goto out;
	key = new_key(key_path, err);
	if (!key)
		goto out;
	cert = new_cert(key, common_name, "provisioner", days);
	if (!cert || !X509_set_issuer_name(cert, X509_get_subject_name(ca)) ||
	    !add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, ca, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always")) {
		strbuf_addf(err, "cannot make the certificate '%s': ", cert_path);
		add_ssl_reason(err);
		goto out;
	}
	if (add_san(cert, dns_names, ip_addrs, err) < 0)
		goto out;
	if (!X509_sign(cert, ca_pkey, EVP_sha256())) {
		strbuf_addf(err, "cannot sign '%s' with '%s': ", cert_path, ca_key);
		add_ssl_reason(err);
		goto out;
	}
	ret = write_pair(key_path, key, cert_path, cert, err);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_pkey);
	return ret;
}

static int ssha(const char *password, unsigned char *digest_salt)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
		 EVP_DigestUpdate(md, password, strlen(password)) &&
		 EVP_DigestUpdate(md, digest_salt + SHA1_LEN, SALT_LEN) &&
		 EVP_DigestFinal_ex(md, digest_salt, &len) && len == SHA1_LEN;

	EVP_MD_CTX_free(md);
	return ok;
}

int pki_htpasswd_line(struct strbuf *out, const char *user, const char *password)
{
	unsigned char hash[SHA1_LEN + SALT_LEN];   /* digest || salt */
	unsigned char b64[4 * ((sizeof(hash) + 2) / 3) + 1];

	if (!*user || strpbrk(user, ":\r\n")) {
		errno = EINVAL;
		return -1;
	}
	ERR_clear_error();
	if (RAND_bytes(hash + SHA1_LEN, SALT_LEN) != 1 || !ssha(password, hash)) {
		ERR_clear_error();
		errno = EIO;
		return -1;
	}
	EVP_EncodeBlock(b64, hash, (int)sizeof(hash));
	strbuf_addf(out, "%s:{SSHA}%s\n", user, (const char *)b64);
	OPENSSL_cleanse(hash, sizeof(hash));
	return 0;
}
