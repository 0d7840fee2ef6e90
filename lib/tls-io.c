/*
 * Non-blocking OpenSSL results (see tls-io.h).
 */
#include <errno.h>

#include <openssl/err.h>

#include "tls-io.h"

int tls_io_status(SSL *ssl, int rc, int *want_write)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want_write = 0;
		return TLS_IO_WAIT;
	case SSL_ERROR_WANT_WRITE:
		*want_write = 1;
		return TLS_IO_WAIT;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		/* EOF without close_notify is a close; anything else is errno's */
		return errno == 0 ? TLS_IO_EOF : TLS_IO_FAILED;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return TLS_IO_FAILED;
	}
}
