/*
 * What a non-blocking OpenSSL call that did not move data means, for
 * event loops (loadtest's TLS transport, the supervisor's health checks).
 */
#ifndef LIB_TLS_IO_H
#define LIB_TLS_IO_H

#include <openssl/ssl.h>

#define TLS_IO_WAIT 0       /* try again when the socket is ready: *want_write says which way */
#define TLS_IO_FAILED (-1)  /* errno set: EPROTO for a TLS protocol failure */
#define TLS_IO_EOF (-2)     /* the peer closed (with or without close_notify) */

/* Classify `rc`, the return of SSL_read/SSL_write/SSL_do_handshake on `ssl`. */
int tls_io_status(SSL *ssl, int rc, int *want_write);

#endif
