/*
 * Unit tests for lib/pki: random tokens, a CA and a server certificate
 * (read back and checked with OpenSSL, and with the openssl command when
 * there is one), the errors, and nginx {SSHA} password lines.
 */
#include "fsutil.h"
#include "pki.h"
#include "run-command.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAYS 30

static char *tmpdir;

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static void test_tokens(void)
{
	char a[33], b[33], one[1], big[6201];
	int counts[256] = { 0 }, all_seen = 1;

	tap_ok(pki_random_token(a, sizeof(a)) == 0 && pki_random_token(b, sizeof(b)) == 0,
	       "pki_random_token makes tokens");
	tap_is_int((intmax_t)strlen(a), 32, "a 33-byte buffer holds a 32-character token");
	tap_ok(strspn(a, alphabet) == 32 && strspn(b, alphabet) == 32, "only [A-Za-z0-9]");
	tap_ok(strcmp(a, b) != 0, "two tokens differ");
	tap_ok(pki_random_token(one, 1) == 0 && one[0] == '\0', "a 1-byte buffer gets \"\"");
	tap_is_int(pki_random_token(a, 0), -1, "a 0-byte buffer is refused");
	/* 6200 characters: each of the 62 is expected 100 times */
	pki_random_token(big, sizeof(big));
	for (size_t i = 0; big[i]; i++)
		counts[(unsigned char)big[i]]++;
	for (const char *c = alphabet; *c; c++)
		if (counts[(unsigned char)*c] < 40 || counts[(unsigned char)*c] > 180)
			all_seen = 0;
	tap_ok(all_seen, "every character is about equally likely");
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

static int file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

/* The subjectAltName as "DNS:a,IP:1.2.3.4,...". */
static void san_string(X509 *x, struct strbuf *sb)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);

	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		char ip[INET6_ADDRSTRLEN] = "?";

		if (i)
			strbuf_addch(sb, ',');
		if (gn->type == GEN_DNS) {
			strbuf_addf(sb, "DNS:%s", (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
			continue;
		}
		if (gn->type == GEN_IPADD) {
			int len = ASN1_STRING_length(gn->d.iPAddress);

			inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress),
				  ip, sizeof(ip));
			strbuf_addf(sb, "IP:%s", ip);
			continue;
		}
		strbuf_addstr(sb, "other");
	}
	GENERAL_NAMES_free(names);
}

/* basicConstraints: 1 if CA:TRUE, 0 if CA:FALSE, -1 if absent or not critical. */
static int is_ca(X509 *x, long *pathlen)
{
	int at = X509_get_ext_by_NID(x, NID_basic_constraints, -1);
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	int r = -1;

	if (bc && at >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, at))) {
		r = bc->ca ? 1 : 0;
		*pathlen = bc->pathlen ? ASN1_INTEGER_get(bc->pathlen) : -1;
	}
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

static int serial_ok(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	int ok = bn && !BN_is_negative(bn) && !BN_is_zero(bn) && BN_num_bits(bn) <= 128 &&
		 BN_num_bits(bn) > 64;   /* fails once in 2^64 runs */

	BN_free(bn);
	return ok;
}

/* notBefore about five minutes ago, notAfter about `days` from now. */
static int validity_ok(X509 *x, int days)
{
	int d1 = 0, s1 = 0, d2 = 0, s2 = 0;

	if (!ASN1_TIME_diff(&d1, &s1, X509_get0_notBefore(x), NULL) ||
	    !ASN1_TIME_diff(&d2, &s2, NULL, X509_get0_notAfter(x)))
		return 0;
	return d1 == 0 && s1 >= 295 && s1 < 400 &&
	       (long)d2 * 86400 + s2 > (long)days * 86400 - 100 &&
	       (long)d2 * 86400 + s2 <= (long)days * 86400;
}

static int key_ok(EVP_PKEY *k)
{
	char group[64] = "";
	size_t len;

	return k && EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_group_name(k, group, sizeof(group), &len) && !strcmp(group, "prime256v1");
}

static void check_ca(X509 *ca, EVP_PKEY *ca_key)
{
	long pathlen = -2;

	tap_ok(ca && key_ok(ca_key), "the CA and its P-256 key read back");
	if (!ca)
		return;
	tap_is_int(X509_verify(ca, X509_get0_pubkey(ca)), 1, "the CA is self-signed");
	tap_ok(X509_check_private_key(ca, ca_key) == 1, "with its key");
	tap_is_int(is_ca(ca, &pathlen), 1, "the CA has critical CA:TRUE");
	tap_is_int(pathlen, 0, "and pathlen:0");
	tap_ok(X509_get_key_usage(ca) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN) &&
	       X509_EXTENSION_get_critical(X509_get_ext(ca, X509_get_ext_by_NID(ca, NID_key_usage, -1))),
	       "keyUsage is critical keyCertSign,cRLSign");
	tap_ok(X509_get0_subject_key_id(ca) != NULL, "it has a subjectKeyIdentifier");
	tap_is_int(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256, "signed with ECDSA SHA-256");
	tap_ok(serial_ok(ca), "a positive random serial of up to 128 bits");
	tap_ok(validity_ok(ca, DAYS), "valid from five minutes ago for %d days", DAYS);
	tap_is_int(X509_get_version(ca), X509_VERSION_3, "a version 3 certificate");
}

static void check_leaf(X509 *leaf, EVP_PKEY *leaf_key, X509 *ca)
{
	struct strbuf san = STRBUF_INIT;
	long pathlen;
	const ASN1_OCTET_STRING *akid = leaf ? X509_get0_authority_key_id(leaf) : NULL;

	tap_ok(leaf && key_ok(leaf_key), "the server certificate and its P-256 key read back");
	if (!leaf || !ca)
		return;
	tap_is_int(X509_verify(leaf, X509_get0_pubkey(ca)), 1, "the CA's key verifies it");
	tap_ok(X509_check_private_key(leaf, leaf_key) == 1, "with its own key");
	tap_ok(X509_check_issued(ca, leaf) == X509_V_OK, "the CA issued it");
	tap_is_int(is_ca(leaf, &pathlen), 0, "it has critical CA:FALSE");
	tap_ok(X509_get_key_usage(leaf) == KU_DIGITAL_SIGNATURE, "keyUsage digitalSignature");
	tap_ok(X509_get_extended_key_usage(leaf) == XKU_SSL_SERVER, "extendedKeyUsage serverAuth");
	tap_ok(akid && X509_get0_subject_key_id(ca) &&
	       !ASN1_OCTET_STRING_cmp(akid, X509_get0_subject_key_id(ca)) &&
	       X509_get0_subject_key_id(leaf), "authority and subject key identifiers");
	san_string(leaf, &san);
	tap_is_str(san.buf, "DNS:gateway,DNS:localhost,IP:127.0.0.1,IP:10.213.7.2",
		   "the subjectAltName has every name and address");
	tap_ok(validity_ok(leaf, DAYS), "valid from five minutes ago for %d days", DAYS);
	strbuf_release(&san);
}

/* `openssl verify -CAfile ca [extra...] leaf`: its exit code, its output in out. */
static int openssl_verify(const char **extra, const char *ca, const char *leaf,
			  struct strbuf *out)
{
	const char *argv[12] = { "openssl", "verify", "-CAfile", ca };
	struct strbuf err = STRBUF_INIT;
	size_t n = 4;
	int r;

	for (; extra && *extra && n < 10; extra++)
		argv[n++] = *extra;
	argv[n++] = leaf;
	argv[n] = NULL;
	strbuf_reset(out);
	r = run_command_capture(argv, out, 10000, &err);
	strbuf_addstr(out, err.buf);
	strbuf_release(&err);
	return r;
}

static void diag_lines(const struct strbuf *sb)
{
	for (const char *s = sb->buf, *e; *s; s = *e ? e + 1 : e) {
		e = strchrnul(s, '\n');
		tap_diag("  %.*s", (int)(e - s), s);
	}
}

static void test_openssl_cli(const char *ca, const char *leaf)
{
	const char *server[] = { "-purpose", "sslserver", "-verify_hostname", "gateway", NULL };
	const char *ip[] = { "-verify_ip", "10.213.7.2", NULL };
	const char *wrong[] = { "-verify_hostname", "not-in-the-san", NULL };
	const char *version[] = { "openssl", "version", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (run_command_capture(version, &out, 10000, &err) != 0) {
		tap_skip("no openssl command", "openssl verify -CAfile ca.crt server.crt");
		goto out;
	}
	if (!tap_is_int(openssl_verify(NULL, ca, leaf, &out), 0,
			"openssl verify -CAfile ca.crt server.crt"))
		diag_lines(&out);
	if (!tap_is_int(openssl_verify(server, ca, leaf, &out), 0,
			"openssl verify: a TLS server named 'gateway'"))
		diag_lines(&out);
	if (!tap_is_int(openssl_verify(ip, ca, leaf, &out), 0, "openssl verify: IP 10.213.7.2"))
		diag_lines(&out);
	tap_ok(openssl_verify(wrong, ca, leaf, &out) != 0 && strstr(out.buf, "hostname mismatch"),
	       "openssl verify: not for a name outside the subjectAltName");
out:
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_certs(void)
{
	static const char *const dns[] = { "gateway", "localhost", NULL };
	static const char *const ips[] = { "127.0.0.1", "10.213.7.2", NULL };
	char *ca_key = path_join(tmpdir, "ca.key"), *ca_crt = path_join(tmpdir, "ca.crt");
	char *key = path_join(tmpdir, "server.key"), *crt = path_join(tmpdir, "server.crt");
	struct strbuf err = STRBUF_INIT;
	X509 *ca = NULL, *leaf = NULL;
	EVP_PKEY *ca_pkey = NULL, *leaf_key = NULL;

	if (!tap_ok(pki_make_ca(ca_key, ca_crt, "provisioner CA for test", DAYS, &err) == 0,
		    "pki_make_ca"))
		tap_diag("%s", err.buf);
	if (!tap_ok(pki_make_server_cert(ca_key, ca_crt, key, crt, "gateway", dns, ips, DAYS,
					 &err) == 0, "pki_make_server_cert"))
		tap_diag("%s", err.buf);
	tap_is_int(file_mode(ca_key), 0600, "the CA key has mode 0600");
	tap_is_int(file_mode(key), 0600, "the server key has mode 0600");
	tap_is_int(file_mode(ca_crt), 0644, "the CA certificate has mode 0644");
	tap_is_int(file_mode(crt), 0644, "the server certificate has mode 0644");
	ca = read_cert(ca_crt);
	ca_pkey = read_key(ca_key);
	leaf = read_cert(crt);
	leaf_key = read_key(key);
	check_ca(ca, ca_pkey);
	check_leaf(leaf, leaf_key, ca);
	test_openssl_cli(ca_crt, crt);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(ca_pkey);
	EVP_PKEY_free(leaf_key);
	strbuf_release(&err);
	free(ca_key);
	free(ca_crt);
	free(key);
	free(crt);
}

static void expect_error(int r, struct strbuf *err, const char *want, const char *what)
{
	tap_ok(r == -1 && strstr(err->buf, want), "%s: %s", what, err->buf);
	strbuf_reset(err);
}

static void test_errors(void)
{
	static const char *const bad_ip[] = { "300.1.1.1", NULL };
	static const char *const v6[] = { "fd00::7", NULL };
	static const char *const bad_dns[] = { "a,b", NULL };
	char *ca_key = path_join(tmpdir, "ca.key"), *ca_crt = path_join(tmpdir, "ca.crt");
	char *other_key = path_join(tmpdir, "other.key"), *other_crt = path_join(tmpdir, "other.crt");
	char *key = path_join(tmpdir, "e.key"), *crt = path_join(tmpdir, "e.crt");
	char *missing = path_join(tmpdir, "missing.key");
	char *nodir = path_join(tmpdir, "nodir/ca.key"), *want;
	char *nodir_crt = path_join(tmpdir, "nodir/e.crt");
	struct strbuf err = STRBUF_INIT, san = STRBUF_INIT;
	X509 *x;

	expect_error(pki_make_server_cert(ca_key, ca_crt, key, crt, "x", NULL, bad_ip, DAYS, &err),
		     &err, "invalid IP address '300.1.1.1'", "an address that does not parse");
	expect_error(pki_make_server_cert(ca_key, ca_crt, key, crt, "x", bad_dns, NULL, DAYS, &err),
		     &err, "invalid DNS name 'a,b'", "a DNS name with a comma");
	tap_ok(access(key, F_OK) && access(crt, F_OK), "a failed certificate leaves no files");
	want = xasprintf("cannot write '%s': No such file or directory", nodir_crt);
	expect_error(pki_make_server_cert(ca_key, ca_crt, key, nodir_crt, "x", NULL, NULL, DAYS,
					  &err), &err, want, "a certificate that cannot be written");
	free(want);
	tap_ok(access(key, F_OK) && errno == ENOENT, "and its new key is removed again");
	want = xasprintf("cannot read '%s': No such file or directory", missing);
	expect_error(pki_make_server_cert(missing, ca_crt, key, crt, "x", NULL, NULL, DAYS, &err),
		     &err, want, "a missing CA key");
	free(want);
	want = xasprintf("cannot write '%s': No such file or directory", nodir);
	expect_error(pki_make_ca(nodir, ca_crt, "x", DAYS, &err), &err, want,
		     "a key in a directory that does not exist");
	free(want);
	expect_error(pki_make_ca(other_key, other_crt,
				 "a-name-of-sixty-five-characters-which-is-one-more-than-x509-allow",
				 DAYS, &err), &err, "is longer than 64 characters",
		     "a common name over X.509's 64 characters is refused by name");
	expect_error(pki_make_server_cert(ca_key, ca_crt, key, crt,
					  "a-name-of-sixty-five-characters-which-is-one-more-than-x509-allow",
					  NULL, NULL, DAYS, &err), &err, "is longer than 64 characters",
		     "and for a server certificate too");
	tap_ok(pki_make_ca(other_key, other_crt,
			   "observatory-feature-jira-1234-login-page-with-sso-and-m-abcdef12",
			   DAYS, &err) == 0, "a CA named by a 64-character name");
	strbuf_reset(&err);
	pki_make_ca(other_key, other_crt, "other CA", DAYS, &err);
	expect_error(pki_make_server_cert(other_key, ca_crt, key, crt, "x", NULL, NULL, DAYS, &err),
		     &err, "is not the key of", "a CA key that is not the CA's");
	expect_error(pki_make_server_cert(ca_crt, ca_crt, key, crt, "x", NULL, NULL, DAYS, &err),
		     &err, "cannot load the key in", "a certificate given as the key");

	tap_ok(pki_make_server_cert(ca_key, ca_crt, key, crt, "v6", NULL, v6, DAYS, &err) == 0,
	       "an IPv6 address is accepted");
	x = read_cert(crt);
	if (x)
		san_string(x, &san);
	tap_is_str(san.buf, "IP:fd00::7", "and is in the subjectAltName");
	X509_free(x);
	strbuf_release(&san);
	strbuf_release(&err);
	free(ca_key);
	free(ca_crt);
	free(other_key);
	free(other_crt);
	free(key);
	free(crt);
	free(missing);
	free(nodir);
	free(nodir_crt);
}

/* Does line hold {SSHA} of password? */
static int ssha_matches(const char *line, const char *user, const char *password)
{
	unsigned char raw[64], digest[20];
	unsigned int len = 0;
	const char *b64 = line + strlen(user) + strlen(":{SSHA}");
	size_t b64len = strcspn(b64, "\n");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (strncmp(line, user, strlen(user)) || strncmp(line + strlen(user), ":{SSHA}", 7) ||
	    b64len != 40 || EVP_DecodeBlock(raw, (const unsigned char *)b64, 40) != 30) {
		EVP_MD_CTX_free(md);
		return 0;
	}
	/* 28 bytes (a SHA-1 digest and an 8-byte salt), padded to 30 */
	ok = EVP_DigestInit_ex(md, EVP_sha1(), NULL) &&
	     EVP_DigestUpdate(md, password, strlen(password)) &&
	     EVP_DigestUpdate(md, raw + 20, 8) && EVP_DigestFinal_ex(md, digest, &len) &&
	     len == 20 && !memcmp(digest, raw, 20);
	EVP_MD_CTX_free(md);
	return ok;
}

static void test_htpasswd(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const char *pw = "Zq3kT9mW2xLr8vB1nC5pY7aD4fG6hJ0s";

	tap_ok(pki_htpasswd_line(&a, "shop", pw) == 0, "pki_htpasswd_line");
	tap_ok(a.len && a.buf[a.len - 1] == '\n' && strchr(a.buf, '\n') == a.buf + a.len - 1,
	       "one line: %.*s", (int)(a.len ? a.len - 1 : 0), a.buf);
	tap_ok(ssha_matches(a.buf, "shop", pw), "it verifies: SHA1(password || salt) || salt");
	tap_ok(!ssha_matches(a.buf, "shop", "Zq3kT9mW2xLr8vB1nC5pY7aD4fG6hJ0t"),
	       "a wrong password does not match");
	pki_htpasswd_line(&b, "shop", pw);
	tap_ok(strcmp(a.buf, b.buf) != 0 && ssha_matches(b.buf, "shop", pw),
	       "a second line has another salt and verifies too");
	strbuf_reset(&b);
	errno = 0;
	tap_ok(pki_htpasswd_line(&b, "a:b", pw) == -1 && errno == EINVAL && !b.len,
	       "a user name with ':' is refused");
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	char tmpl[] = "/tmp/test-pki-XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_tokens();
	test_certs();
	test_errors();
	test_htpasswd();
	tap_ok(rm_rf(tmpdir) == 0 && access(tmpdir, F_OK), "the temporary directory is removed");
	return tap_done();
}
