/*
 * Content hashes (SHA-256 through OpenSSL), as lower-case hex.
 */
#ifndef LIB_HASH_H
#define LIB_HASH_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes 64 hex digits and a NUL into `hex` (65 bytes). */
void sha256_hex(char hex[SHA256_HEX_LEN + 1], const void *data, size_t len);

#endif
