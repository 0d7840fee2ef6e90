/*
 * Request templates (see template.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "template.h"
#include "xalloc.h"

#ifndef LOADTEST_VERSION
#define LOADTEST_VERSION "0"
#endif

static const struct {
	const char *name;
	enum tvar var;
} vars[] = {
	{ "seq", TV_SEQ },
	{ "uuid", TV_UUID },
	{ "time", TV_TIME },
};

static void add_seg(struct tstring *ts, enum tvar var, const char *text, size_t len)
{
	struct tseg *s;

	if (var == TV_TEXT && !len)
		return;
	if (var == TV_TEXT && ts->nr && ts->v[ts->nr - 1].var == TV_TEXT) {
		s = &ts->v[ts->nr - 1];
		s->text = xrealloc(s->text, s->len + len + 1);
		memcpy(s->text + s->len, text, len);
		s->len += len;
		s->text[s->len] = '\0';
		return;
	}
	ts->v = xreallocarray(ts->v, ts->nr + 1, sizeof(*ts->v));
	s = &ts->v[ts->nr++];
	s->var = var;
	s->text = var == TV_TEXT ? xstrndup(text, len) : NULL;
	s->len = len;
	if (var != TV_TEXT)
		ts->has_vars = 1;
}

/* Append `s` (len bytes) to `ts`, splitting out variables. */
static int tstring_add(struct tstring *ts, const char *s, size_t len, const char **why)
{
	size_t i = 0, lit = 0;

	while (i < len) {
		size_t j, k;

		if (s[i] != '$' || i + 1 >= len || (s[i + 1] != '{' && s[i + 1] != '$')) {
			i++;
			continue;
		}
		if (s[i + 1] == '$') {
			/* "$${" is a literal "${"; any other "$$" stays as written */
			if (i + 2 < len && s[i + 2] == '{') {
				add_seg(ts, TV_TEXT, s + lit, i - lit);
				add_seg(ts, TV_TEXT, "${", 2);
				lit = i + 3;
			}
			i += i + 2 < len && s[i + 2] == '{' ? 3 : 2;
			continue;
		}
		for (j = i + 2; j < len && s[j] != '}'; j++)
			;
		if (j >= len) {
			*why = "unclosed '${'";
			return -1;
		}
		for (k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
			if (strlen(vars[k].name) == j - i - 2 && !memcmp(vars[k].name, s + i + 2, j - i - 2))
				break;
		if (k == sizeof(vars) / sizeof(vars[0])) {
			*why = "unknown variable (known: ${seq}, ${uuid}, ${time})";
			return -1;
		}
		add_seg(ts, TV_TEXT, s + lit, i - lit);
		add_seg(ts, vars[k].var, NULL, 0);
		i = lit = j + 1;
	}
	add_seg(ts, TV_TEXT, s + lit, len - lit);
	return 0;
}

static void tstring_release(struct tstring *ts)
{
	for (size_t i = 0; i < ts->nr; i++)
		free(ts->v[i].text);
	free(ts->v);
	memset(ts, 0, sizeof(*ts));
}

int template_check(const char *s, const char **why)
{
	struct tstring ts = { 0 };
	int rc = tstring_add(&ts, s, strlen(s), why);

	tstring_release(&ts);
	return rc;
}

static int bad_field(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int has_header(const struct request_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nr_headers; i++)
		if (!strcasecmp(spec->headers[i].name, name))
			return 1;
	return 0;
}

void request_path(struct strbuf *sb, const char *base, const char *path)
{
	size_t bl = strlen(base);

	if (!path || !*path) {
		strbuf_addstr(sb, base);
		return;
	}
	if (bl && base[bl - 1] == '/')
		bl--;
	strbuf_add(sb, base, bl);
	if (*path != '/' && *path != '?')
		strbuf_addch(sb, '/');
	strbuf_addstr(sb, path);
}

static int check_spec(const struct request_spec *spec, struct strbuf *err)
{
	const char *m = spec->method ? spec->method : "GET";

	if (!*m || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m)) {
		strbuf_addf(err, "method '%s' is not an upper-case HTTP method", m);
		return -1;
	}
	if (spec->path && (bad_field(spec->path) || strchr(spec->path, ' '))) {
		strbuf_addf(err, "path '%s' holds a space or a line break", spec->path);
		return -1;
	}
	for (size_t i = 0; i < spec->nr_headers; i++) {
		const char *n = spec->headers[i].name;

		if (!*n || bad_field(n) || strpbrk(n, ": \t") || bad_field(spec->headers[i].value)) {
			strbuf_addf(err, "header '%s' has a bad name or a line break in its value", n);
			return -1;
		}
		if (!strcasecmp(n, "content-length") || !strcasecmp(n, "transfer-encoding")) {
			strbuf_addf(err, "header '%s' is set by loadtest from the body", n);
			return -1;
		}
	}
	return 0;
}

static int build_head(struct req_template *t, const struct request_spec *spec,
		      const char *hostport, const char *base_path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *why = NULL;
	int rc;

	strbuf_addf(&sb, "%s ", spec->method ? spec->method : "GET");
	request_path(&sb, base_path, spec->path);
	strbuf_addstr(&sb, " HTTP/1.1\r\n");
	if (!has_header(spec, "host"))
		strbuf_addf(&sb, "Host: %s\r\n", hostport);
	if (!has_header(spec, "user-agent"))
		strbuf_addstr(&sb, "User-Agent: loadtest/" LOADTEST_VERSION "\r\n");
	for (size_t i = 0; i < spec->nr_headers; i++)
		strbuf_addf(&sb, "%s: %s\r\n", spec->headers[i].name, spec->headers[i].value);
	rc = tstring_add(&t->head, sb.buf, sb.len, &why);
	if (rc < 0)
		strbuf_addf(err, "request: %s", why);
	strbuf_release(&sb);
	return rc;
}

int req_template_init(struct req_template *t, const struct request_spec *spec,
		      const char *hostport, const char *base_path, struct strbuf *err)
{
	const char *m = spec->method ? spec->method : "GET";
	const char *why = NULL;

	memset(t, 0, sizeof(*t));
	strbuf_init(&t->fixed, 0);
	if (check_spec(spec, err) < 0 || build_head(t, spec, hostport, base_path, err) < 0)
		goto fail;
	t->head_request = !strcmp(m, "HEAD");
	t->has_body = spec->body || !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
	if (spec->body && tstring_add(&t->body, spec->body, spec->body_len, &why) < 0) {
		strbuf_addf(err, "body: %s", why);
		goto fail;
	}
	if (!t->head.has_vars && !t->body.has_vars) {
		struct strbuf body = STRBUF_INIT;

		req_render(t, NULL, &t->fixed, &body);
		strbuf_release(&body);
	}
	return 0;
fail:
	req_template_release(t);
	return -1;
}

void req_template_release(struct req_template *t)
{
	tstring_release(&t->head);
	tstring_release(&t->body);
	strbuf_release(&t->fixed);
}

static uint64_t xorshift(uint64_t s[2])
{
	uint64_t a = s[0], b = s[1];

	s[0] = b;
	a ^= a << 23;
	s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
	return s[1] + b;
}

void tctx_init(struct tctx *c, uint64_t first_seq, uint64_t step)
{
	struct timespec ts;

	memset(c, 0, sizeof(*c));
	c->seq = first_seq;
	c->seq_step = step ? step : 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->rng[0] = 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_nsec ^ (first_seq << 32);
	c->rng[1] = 0xbf58476d1ce4e5b9ull ^ (uint64_t)ts.tv_sec ^ ((uint64_t)(uintptr_t)c);
	c->time_ms = -1;
}

static void add_uuid(struct strbuf *sb, struct tctx *c)
{
	uint64_t hi = xorshift(c->rng), lo = xorshift(c->rng);

	hi = (hi & ~0xf000ull) | 0x4000ull;                      /* version 4 */
	lo = (lo & ~(3ull << 62)) | (2ull << 62);                /* variant 10 */
	strbuf_addf(sb, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
		    hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, (uint64_t)(lo & 0xffffffffffffull));
}

static void add_time(struct strbuf *sb, struct tctx *c)
{
	struct timespec ts;
	int64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (ms != c->time_ms) {
		utc_stamp(c->time_buf, sizeof(c->time_buf), &ts, 1);
		c->time_ms = ms;
	}
	strbuf_addstr(sb, c->time_buf);
}

static void render(struct strbuf *sb, const struct tstring *ts, struct tctx *c, uint64_t seq)
{
	for (size_t i = 0; i < ts->nr; i++) {
		switch (ts->v[i].var) {
		case TV_TEXT:
			strbuf_add(sb, ts->v[i].text, ts->v[i].len);
			break;
		case TV_SEQ:
			strbuf_addf(sb, "%" PRIu64, seq);
			break;
		case TV_UUID:
			add_uuid(sb, c);
			break;
		case TV_TIME:
			add_time(sb, c);
			break;
		}
	}
}

const struct strbuf *req_render(const struct req_template *t, struct tctx *c,
				struct strbuf *scratch, struct strbuf *body_scratch)
{
	uint64_t seq = 0;

	if (c && !t->head.has_vars && !t->body.has_vars)
		return &t->fixed;
	if (c) {
		seq = c->seq;
		c->seq += c->seq_step;
	}
	strbuf_reset(scratch);
	strbuf_reset(body_scratch);
	render(body_scratch, &t->body, c, seq);
	render(scratch, &t->head, c, seq);
	if (t->has_body)
		strbuf_addf(scratch, "Content-Length: %zu\r\n", body_scratch->len);
	strbuf_addstr(scratch, "\r\n");
	strbuf_add(scratch, body_scratch->buf, body_scratch->len);
	return scratch;
}
