/*
 * Non-blocking HTTP(S) health checks (see hcheck.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "hcheck.h"
#include "tls-io.h"

enum { HC_CONNECTING, HC_HANDSHAKE, HC_WRITING, HC_READING };

static int fail(struct hcheck *h, const char *why)
{
	h->error = why;
	hcheck_release(h);
	return -1;
}

/* http[s]://ADDRESS[:PORT][/path] or tcp://ADDRESS:PORT into host, port and path. */
static int split(const char *url, int *tls, char *host, size_t hsz, char *port, const char **path)
{
	const char *p, *end, *colon;

	*tls = !strncmp(url, "https://", 8);
	if (!strncmp(url, "tcp://", 6))
		p = url + 6;
	else if (*tls || !strncmp(url, "http://", 7))
		p = url + (*tls ? 8 : 7);
	else
		return -1;
	*path = p + strcspn(p, "/");
	if (*p == '[') {
		end = memchr(p, ']', (size_t)(*path - p));
		if (!end)
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		p++;
	} else {
		colon = memchr(p, ':', (size_t)(*path - p));
		end = colon ? colon : *path;
	}
	if (end == p || (size_t)(end - p) >= hsz)
		return -1;
	memcpy(host, p, (size_t)(end - p));
	host[end - p] = '\0';
	if (colon && *path - colon - 1 > 0 && *path - colon - 1 < 6) {
		memcpy(port, colon + 1, (size_t)(*path - colon - 1));
		port[*path - colon - 1] = '\0';
	} else {
		strcpy(port, *tls ? "443" : "80");
	}
	if (!**path)
		*path = "/";
	return 0;
}

static int tls_setup(struct hcheck *h, SSL_CTX *tls)
{
	h->ssl = SSL_new(tls);
	if (!h->ssl)
		return -1;
	SSL_set_fd(h->ssl, h->fd);
	SSL_set_connect_state(h->ssl);
	if (SSL_get_verify_mode(h->ssl) != SSL_VERIFY_NONE &&
	    !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h->ssl), h->host))
		return -1;
	return 0;
}

int hcheck_start(struct hcheck *h, const char *url, SSL_CTX *tls, int timeout_ms, long long now_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	const char *path;
	int is_tls;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	strbuf_init(&h->req, 0);
	if (split(url, &is_tls, h->host, sizeof(h->host), port, &path) < 0)
		return fail(h, "malformed check URL");
	h->tcp = !strncmp(url, "tcp://", 6);
	if (is_tls && !tls)
		return fail(h, "an https check without a TLS context");
	if (getaddrinfo(h->host, port, &hints, &ai))
		return fail(h, "the check URL's host is not an address");
	h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || (connect(h->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		return fail(h, "connection refused");
	}
	freeaddrinfo(ai);
	if (is_tls && tls_setup(h, tls) < 0)
		return fail(h, "cannot set up TLS");
	strbuf_addf(&h->req, "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: provisioner-supervisor\r\n"
			     "Connection: close\r\n\r\n", path, h->host, port);
	hp_init(&h->hp, 0);
	h->deadline_ms = now_ms + timeout_ms;
	h->state = HC_CONNECTING;
	h->want_write = 1;
	return 0;
}

short hcheck_events(const struct hcheck *h)
{
	return h->want_write ? POLLOUT : POLLIN;
}

long long hcheck_deadline(const struct hcheck *h)
{
	return h->deadline_ms;
}

/* SSL's wants, as 0 (wait) or -1 (failed, or closed before the answer). */
static int ssl_wait(struct hcheck *h, int rc)
{
	return tls_io_status(h->ssl, rc, &h->want_write) == TLS_IO_WAIT ? 0 : -1;
}

static int connected(struct hcheck *h)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e)
		return fail(h, e == ECONNREFUSED ? "connection refused" : "cannot connect");
	h->state = h->ssl ? HC_HANDSHAKE : HC_WRITING;
	return 0;
}

static int handshake(struct hcheck *h)
{
	int rc = SSL_do_handshake(h->ssl);

	if (rc == 1) {
		h->state = HC_WRITING;
		return 0;
	}
	if (ssl_wait(h, rc) < 0)
		return fail(h, SSL_get_verify_result(h->ssl) != X509_V_OK ? "certificate not trusted"
									     : "TLS handshake failed");
	return 1;   /* wait */
}

static int send_request(struct hcheck *h)
{
	while (h->woff < h->req.len) {
		const char *b = h->req.buf + h->woff;
		size_t n = h->req.len - h->woff;
		ssize_t w;

		if (h->ssl) {
			int rc = SSL_write(h->ssl, b, (int)n);

			if (rc <= 0)
				return ssl_wait(h, rc) < 0 ? fail(h, "cannot send the request") : 1;
			w = rc;
		} else {
			w = send(h->fd, b, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN) {
				h->want_write = 1;
				return 1;
			}
			if (w < 0)
				return fail(h, "cannot send the request");
		}
		h->woff += (size_t)w;
	}
	h->state = HC_READING;
	h->want_write = 0;
	return 0;
}

/* 1 answered, 0 wait, -1 failed */
static int read_answer(struct hcheck *h)
{
	char buf[4096];

	for (;;) {
		ssize_t n;

		if (h->ssl) {
			int rc = SSL_read(h->ssl, buf, sizeof(buf));

			int st = rc > 0 ? 0 : tls_io_status(h->ssl, rc, &h->want_write);

			if (st == TLS_IO_WAIT && rc <= 0)
				return 0;
			if (st == TLS_IO_FAILED)
				return fail(h, "no answer");
			n = st == TLS_IO_EOF ? 0 : rc;
		} else {
			n = read(h->fd, buf, sizeof(buf));
			if (n < 0 && errno == EAGAIN)
				return 0;
			if (n < 0)
				return fail(h, "no answer");
		}
		if (n == 0)
			return hp_eof(&h->hp) == 0 ? 1 : fail(h, "no answer");
		if (hp_feed(&h->hp, buf, (size_t)n) < 0)
			return fail(h, "a malformed answer");
		if (h->hp.state == HP_DONE)
			return 1;
	}
}

int hcheck_step(struct hcheck *h, long long now_ms)
{
	int rc;

	if (h->fd < 0)
		return -1;
	if (now_ms >= h->deadline_ms)
		return fail(h, "timed out");
	if (h->state == HC_CONNECTING && connected(h) < 0)
		return -1;
	if (h->tcp) {
		hcheck_release(h);
		return 1;
	}
	if (h->state == HC_HANDSHAKE && (rc = handshake(h)) != 0)
		return rc < 0 ? -1 : 0;
	if (h->state == HC_WRITING && (rc = send_request(h)) != 0)
		return rc < 0 ? -1 : 0;
	rc = read_answer(h);
	if (rc == 1) {
		h->status = (int)h->hp.status;
		hcheck_release(h);
	}
	return rc;
}

void hcheck_release(struct hcheck *h)
{
	if (h->ssl) {
		SSL_free(h->ssl);
		h->ssl = NULL;
	}
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	strbuf_release(&h->req);
}

SSL_CTX *hcheck_tls_context(const char *ca_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
		    : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
