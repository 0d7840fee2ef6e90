/*
 * Request templates. A request is written once as text with variables,
 * split into literal and variable segments when loaded, and rendered per
 * request only when it has variables; a request without them is built
 * once and its bytes are shared by every connection.
 *
 * Variables: ${seq} (a number unique to the request across threads and
 * shards), ${uuid} (a random version 4 UUID), ${time} (the send time, RFC
 * 3339 UTC with milliseconds). `$${` writes a literal `${`.
 */
#ifndef LOADTEST_TEMPLATE_H
#define LOADTEST_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum tvar { TV_TEXT, TV_SEQ, TV_UUID, TV_TIME };

struct tseg {
	enum tvar var;
	char *text;     /* TV_TEXT */
	size_t len;
};

struct tstring {
	struct tseg *v;
	size_t nr;
	int has_vars;
};

struct header {
	char *name, *value;
};

struct request_spec {
	const char *method;           /* "GET" when NULL */
	const char *path;             /* relative to the target's base path, or absolute */
	const struct header *headers;
	size_t nr_headers;
	const char *body;             /* may be NULL */
	size_t body_len;
};

struct req_template {
	struct tstring head;          /* request line and headers, up to Content-Length */
	struct tstring body;
	int head_request;             /* HEAD: the response has no body */
	int has_body;
	struct strbuf fixed;          /* the whole request when there are no variables */
};

/* per-thread state for rendering */
struct tctx {
	uint64_t seq;                 /* the next ${seq} */
	uint64_t seq_step;            /* ${seq} advances by this (threads x shards) */
	uint64_t rng[2];              /* xorshift128+ for ${uuid} */
	int64_t time_ms;              /* cached ${time} */
	char time_buf[64];
};

/*
 * Build the template for `spec` against a target whose Host header is
 * `hostport` and base path `base_path`. Returns 0, or -1 with a message.
 */
int req_template_init(struct req_template *t, const struct request_spec *spec,
		      const char *hostport, const char *base_path, struct strbuf *err);
void req_template_release(struct req_template *t);

void tctx_init(struct tctx *c, uint64_t first_seq, uint64_t step);

/* The bytes of the next request: t->fixed, or rendered into `scratch`. */
const struct strbuf *req_render(const struct req_template *t, struct tctx *c,
				struct strbuf *scratch, struct strbuf *body_scratch);

/* The path a request goes to: the target's base path, then the scenario's `path` (or none). */
void request_path(struct strbuf *sb, const char *base, const char *path);

/* Check a string for unknown variables (for scenario validation). */
int template_check(const char *s, const char **why);

#endif
