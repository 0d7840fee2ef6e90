/*
 * Connections for the load generator: a target URL resolved once, and a
 * transport as a table of functions (plain TCP, TLS through OpenSSL), so
 * the event loop does not care which one it drives.
 *
 * Every call is non-blocking. read/write return bytes moved, 0 for "try
 * again when the socket is ready" (with `want_write` telling which way),
 * or -1 on failure; read returns -2 at an orderly end of stream.
 */
#ifndef LOADTEST_NET_H
#define LOADTEST_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct strbuf;

struct target {
	int tls;
	char *host;              /* as written (for Host and SNI) */
	char *port;              /* as a string */
	char *path;              /* base path, "/" when none */
	char *hostport;          /* Host header value */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	SSL_CTX *ssl_ctx;        /* tls only, shared by all threads */
};

struct tls_opts {
	const char *ca_file;     /* NULL: the system's trust store */
	int insecure;            /* no verification at all */
};

/* Parse http[s]://host[:port][/path] and resolve host. */
int target_init(struct target *t, const char *url, const struct tls_opts *o,
		struct strbuf *err);
void target_release(struct target *t);

struct sock {
	int fd;
	SSL *ssl;
	SSL_SESSION *session;     /* kept to resume TLS on reconnects */
	int want_write;           /* the transport waits for POLLOUT */
	int handshaken;
	int verify_failed;        /* the last TLS handshake failed verifying the peer */
};

struct transport {
	const char *name;
	/* start connecting: 0 in progress or done, -1 failed (errno set) */
	int (*connect)(struct sock *s, const struct target *t);
	/*
	 * after the socket connected: 1 done, 0 in progress, -1 failed, with
	 * `why` a string that lives as long as the program, or NULL (errno)
	 */
	int (*handshake)(struct sock *s, const struct target *t, const char **why);
	ssize_t (*read)(struct sock *s, void *buf, size_t n);
	ssize_t (*write)(struct sock *s, const void *buf, size_t n);
	void (*close)(struct sock *s);
};

extern const struct transport transport_plain;
extern const struct transport transport_tls;

#endif
