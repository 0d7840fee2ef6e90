/*
 * The per-environment certificate authority, the gateway's server
 * certificate, and generated secrets (OpenSSL 3, EVP interfaces only).
 *
 * Keys are EC P-256 and written in PEM (PKCS#8) with mode 0600, atomically
 * (a reader never sees half a key); certificates are PEM with mode 0644.
 * Validity starts five minutes in the past, to allow for clock skew
 * between the host and whatever checks the certificate. The key is written
 * first, then the certificate; if the certificate cannot be written the
 * new key is removed again, so a caller that checks for both files never
 * finds a key beside a certificate that is not its own.
 *
 * Errors name the file and the reason, the OpenSSL reason for OpenSSL
 * failures: "cannot write 'x/ca.key': Permission denied". Nothing prints.
 */
#ifndef LIB_PKI_H
#define LIB_PKI_H

#include <stddef.h>

struct strbuf;

/*
 * Fill buf with a random secret of len-1 characters from [A-Za-z0-9]
 * (rejection sampling over RAND_bytes, so every character is equally
 * likely) and a final NUL. Returns 0, or -1 (len 0, or no randomness).
 */
int pki_random_token(char *buf, size_t len);

/*
 * A self-signed CA: random 128-bit positive serial, SHA-256, valid for
 * `days`; basicConstraints critical CA:TRUE pathlen:0, keyUsage critical
 * keyCertSign,cRLSign, subjectKeyIdentifier; subject O=provisioner CA and
 * CN=common_name (at most 64 characters, X.509's limit: a longer one is an
 * error naming it). Returns 0 or -1 with err.
 */
int pki_make_ca(const char *key_path, const char *cert_path, const char *common_name,
		unsigned days, struct strbuf *err);

/*
 * A server certificate signed by the CA at ca_key/ca_cert: basicConstraints
 * critical CA:FALSE, keyUsage critical digitalSignature, extendedKeyUsage
 * serverAuth, authority and subject key identifiers, and a subjectAltName
 * with every name of the NULL-terminated dns_names and every address of the
 * NULL-terminated ip_addrs (IPv4 or IPv6 literals; either list may be
 * NULL). Returns 0 or -1 with err (an address that does not parse, a CA
 * key that does not match its certificate, a file that cannot be written).
 */
int pki_make_server_cert(const char *ca_key, const char *ca_cert, const char *key_path,
			 const char *cert_path, const char *common_name,
			 const char *const *dns_names, const char *const *ip_addrs, unsigned days,
			 struct strbuf *err);

/*
 * Append one nginx auth_basic_user_file line to out:
 *   user:{SSHA}base64(SHA1(password || salt) || salt)\n
 * with an 8-byte random salt. A single salted SHA-1 is deliberate: the
 * passwords are generated 32-character tokens (about 190 bits), which no
 * amount of hashing speed makes guessable, while a slow crypt(3) hash
 * would cost nginx milliseconds of CPU on every request under load.
 * Returns 0, or -1 with errno EINVAL (an empty user, or one holding ':'
 * or a line break) or EIO (no randomness, or no SHA-1).
 */
int pki_htpasswd_line(struct strbuf *out, const char *user, const char *password);

#endif
