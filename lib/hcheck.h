/*
 * One HTTP(S) GET, non-blocking, for a poll loop: the supervisor's health
 * and readiness checks. A tcp://ADDRESS:PORT URL only connects: the check
 * of a process that has no HTTP to ask. The URL's host must be an address (checks go to
 * the processes an environment runs, never through a resolver), and the
 * answer is read with the bounded parser of http-parse.h, so a check costs
 * a few kilobytes and no threads.
 *
 *   hcheck_start()  connect; then, whenever poll() reports hcheck_events()
 *   on h->fd or hcheck_deadline() has passed, hcheck_step() until it
 *   returns 1 (an answer: h->status) or -1 (failed: h->error).
 */
#ifndef LIB_HCHECK_H
#define LIB_HCHECK_H

#include <openssl/ssl.h>

#include "http-parse.h"
#include "strbuf.h"

struct hcheck {
	int fd;
	SSL *ssl;
	int state;
	int want_write;
	long long deadline_ms;
	struct strbuf req;
	size_t woff;
	char host[64];
	struct hp hp;
	int tcp;                /* tcp://: done once connected */
	int status;             /* the answer's status code, when done (0 for tcp://) */
	const char *error;      /* why it failed (a static string) */
};

/* Start a GET of `url` (http:// or https://; `tls` verifies https), or a
 * connect (tcp://). Returns 0, or -1 with h->error (then nothing needs
 * releasing). */
int hcheck_start(struct hcheck *h, const char *url, SSL_CTX *tls, int timeout_ms, long long now_ms);
/* POLLIN or POLLOUT: what h->fd waits for. */
short hcheck_events(const struct hcheck *h);
long long hcheck_deadline(const struct hcheck *h);
/* Make progress: 0 not yet, 1 answered, -1 failed or timed out. */
int hcheck_step(struct hcheck *h, long long now_ms);
void hcheck_release(struct hcheck *h);

/* A client context trusting `ca_file` (NULL: the system's store). */
SSL_CTX *hcheck_tls_context(const char *ca_file);

#endif
