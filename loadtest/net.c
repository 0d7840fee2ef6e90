/*
 * Targets and transports (see net.h). TLS is OpenSSL in non-blocking mode:
 * peer verification against a CA file or the system store, host name (or
 * IP address) checked, SNI sent for names, and sessions resumed on
 * reconnects so a server that closes connections does not cost a full
 * handshake each time.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "net.h"
#include "tls-io.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * The host (without brackets) and the port (NULL: none) of the authority
 * [p, end). 0, or -1 with err.
 */
static int split_authority(const char *url, const char *p, const char *end, const char **host,
			   const char **host_end, const char **port, struct strbuf *err)
{
	*port = NULL;
	if (*p == '[') {
		*host = p + 1;
		*host_end = memchr(*host, ']', (size_t)(end - *host));
		if (!*host_end) {
			strbuf_addf(err, "'%s': unclosed '[' in the host", url);
			return -1;
		}
		if ((*host_end)[1] == ':')
			*port = *host_end + 2;
		else if (*host_end + 1 != end)
			*host_end = *host;   /* junk after ']': malformed */
	} else {
		*host = p;
		*host_end = memchr(p, ':', (size_t)(end - p));
		if (*host_end)
			*port = *host_end + 1;
		else
			*host_end = end;
	}
	if (*host_end == *host) {
		strbuf_addf(err, "'%s': malformed host", url);
		return -1;
	}
	return 0;
}

static int split_url(struct target *t, const char *url, struct strbuf *err)
{
	const char *p, *host, *host_end, *port, *path;

	if (!strncmp(url, "http://", 7)) {
		p = url + 7;
	} else if (!strncmp(url, "https://", 8)) {
		t->tls = 1;
		p = url + 8;
	} else {
		strbuf_addf(err, "'%s' is not an http:// or https:// URL", url);
		return -1;
	}
	path = p + strcspn(p, "/?#");
	if (split_authority(url, p, path, &host, &host_end, &port, err) < 0)
		return -1;
	t->host = xstrndup(host, (size_t)(host_end - host));
	t->port = port ? xstrndup(port, (size_t)(path - port)) : xstrdup(t->tls ? "443" : "80");
	if (!*t->port || strspn(t->port, "0123456789") != strlen(t->port) || atoi(t->port) < 1 ||
	    atoi(t->port) > 65535) {
		strbuf_addf(err, "'%s': bad port", url);
		return -1;
	}
	if (*path == '?')   /* http://host?x=1 asks for /?x=1 */
		t->path = xasprintf("/%.*s", (int)strcspn(path, "#"), path);
	else
		t->path = *path == '/' ? xstrndup(path, strcspn(path, "#")) : xstrdup("/");
	t->hostport = xstrndup(p, (size_t)(path - p));
	return 0;
}

static int resolve(struct target *t, struct strbuf *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int rc = getaddrinfo(t->host, t->port, &hints, &res);

	if (rc) {
		strbuf_addf(err, "cannot resolve '%s': %s", t->host, gai_strerror(rc));
		return -1;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void add_ssl_errors(struct strbuf *err)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error())) {
		ERR_error_string_n(e, buf, sizeof(buf));
		strbuf_addf(err, ": %s", buf);
	}
}

static int tls_init(struct target *t, const struct tls_opts *o, struct strbuf *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		strbuf_addstr(err, "cannot create a TLS context");
		add_ssl_errors(err);
		return -1;
	}
	t->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	if (o && o->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (o && o->ca_file ? SSL_CTX_load_verify_locations(ctx, o->ca_file, NULL) != 1
			    : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		strbuf_addf(err, "cannot load CA file '%s'", o && o->ca_file ? o->ca_file : "(default)");
		add_ssl_errors(err);
		return -1;
	}
	return 0;
}

int target_init(struct target *t, const char *url, const struct tls_opts *o, struct strbuf *err)
{
	memset(t, 0, sizeof(*t));
	if (split_url(t, url, err) < 0 || resolve(t, err) < 0)
		return -1;
	return t->tls ? tls_init(t, o, err) : 0;
}

void target_release(struct target *t)
{
	free(t->host);
	free(t->port);
	free(t->path);
	free(t->hostport);
	if (t->ssl_ctx)
		SSL_CTX_free(t->ssl_ctx);
	memset(t, 0, sizeof(*t));
}

/* ---- plain TCP ---- */

static int plain_connect(struct sock *s, const struct target *t)
{
	int one = 1;

	s->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (const struct sockaddr *)&t->addr, t->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(s->fd);
		s->fd = -1;
		errno = e;
		return -1;
	}
	s->want_write = 1;
	return 0;
}

static int plain_handshake(struct sock *s, const struct target *t, const char **why)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
		errno = e ? e : errno;
		*why = NULL;
		return -1;
	}
	s->want_write = 0;
	s->handshaken = 1;
	return 1;
}

static ssize_t plain_read(struct sock *s, void *buf, size_t n)
{
	ssize_t r = read(s->fd, buf, n);

	if (r > 0)
		return r;
	if (!r)
		return -2;
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

static ssize_t plain_write(struct sock *s, const void *buf, size_t n)
{
	/* write, not send: one layer less in the kernel; SIGPIPE is ignored */
	ssize_t w = write(s->fd, buf, n);

	if (w >= 0)
		return w;
	if (errno == EAGAIN || errno == EINTR) {
		s->want_write = 1;
		return 0;
	}
	return -1;
}

static void plain_close(struct sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->handshaken = 0;
	s->want_write = 0;
}

const struct transport transport_plain = {
	.name = "http",
	.connect = plain_connect,
	.handshake = plain_handshake,
	.read = plain_read,
	.write = plain_write,
	.close = plain_close,
};

/* ---- TLS ---- */

static int tls_start(struct sock *s, const struct target *t)
{
	unsigned char ipbuf[sizeof(struct in6_addr)];
	int is_ip = inet_pton(AF_INET, t->host, ipbuf) == 1 || inet_pton(AF_INET6, t->host, ipbuf) == 1;

	s->ssl = SSL_new(t->ssl_ctx);
	if (!s->ssl)
		return -1;
	SSL_set_fd(s->ssl, s->fd);
	SSL_set_connect_state(s->ssl);
	if (!is_ip)
		SSL_set_tlsext_host_name(s->ssl, t->host);
	if (SSL_get_verify_mode(s->ssl) != SSL_VERIFY_NONE) {
		X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);

		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(vp, t->host);
		else
			SSL_set1_host(s->ssl, t->host);
	}
	if (s->session)
		SSL_set_session(s->ssl, s->session);
	return 0;
}

/*
 * "certificate verify failed (unable to get local issuer certificate)":
 * the transport's reasons are strings that live as long as the program
 * (results and the engine keep the pointers), so each verification error
 * is formatted once, under a lock, as threads may meet it at once.
 */
static const char *verify_reason(long code)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char *reasons[128];
	const char *r = "certificate verify failed";

	if (code < 0 || code >= (long)ARRAY_SIZE(reasons))
		return r;
	pthread_mutex_lock(&lock);
	if (!reasons[code])
		reasons[code] = xasprintf("certificate verify failed (%s)", X509_verify_cert_error_string(code));
	r = reasons[code];
	pthread_mutex_unlock(&lock);
	return r;
}

static int tls_handshake(struct sock *s, const struct target *t, const char **why)
{
	int rc;

	if (!s->ssl) {
		if (plain_handshake(s, t, why) < 0)
			return -1;
		s->handshaken = 0;
		if (tls_start(s, t) < 0) {
			*why = "cannot create a TLS connection";
			return -1;
		}
	}
	s->verify_failed = 0;
	rc = SSL_do_handshake(s->ssl);
	if (rc == 1) {
		s->want_write = 0;
		s->handshaken = 1;
		return 1;
	}
	switch (SSL_get_error(s->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		s->want_write = 0;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		s->want_write = 1;
		return 0;
	default:
		if (SSL_get_verify_result(s->ssl) != X509_V_OK) {
			*why = verify_reason(SSL_get_verify_result(s->ssl));
			s->verify_failed = 1;
		} else {
			*why = "TLS handshake failed";
		}
		ERR_clear_error();
		return -1;
	}
}

/* 0 wait, -2 closed, -1 failed: the transport's convention is tls-io.h's */
static ssize_t tls_io_result(struct sock *s, int rc)
{
	return tls_io_status(s->ssl, rc, &s->want_write);
}

static ssize_t tls_read(struct sock *s, void *buf, size_t n)
{
	int rc = SSL_read(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);

	return rc > 0 ? rc : tls_io_result(s, rc);
}

static ssize_t tls_write(struct sock *s, const void *buf, size_t n)
{
	int rc = SSL_write(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);

	return rc > 0 ? rc : tls_io_result(s, rc);
}

static void tls_close(struct sock *s)
{
	if (s->ssl) {
		SSL_SESSION *sess = SSL_get1_session(s->ssl);

		if (sess && SSL_SESSION_is_resumable(sess)) {
			if (s->session)
				SSL_SESSION_free(s->session);
			s->session = sess;
		} else if (sess) {
			SSL_SESSION_free(sess);
		}
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	plain_close(s);
}

const struct transport transport_tls = {
	.name = "https",
	.connect = plain_connect,
	.handshake = tls_handshake,
	.read = tls_read,
	.write = tls_write,
	.close = tls_close,
};
