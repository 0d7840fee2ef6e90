/*
 * The HTTP/1.x response parser (see http-parse.h). Lines (status, headers,
 * chunk sizes, trailers) are gathered into p->line and handled whole;
 * bodies are skipped in bulk without being copied.
 */
#include <string.h>
#include <strings.h>

#include "http-parse.h"

static int fail(struct hp *p, const char *why)
{
	p->state = HP_ERROR;
	p->error = why;
	return -1;
}

void hp_init(struct hp *p, int head)
{
	p->state = HP_STATUS;
	p->no_body = !!head;
	p->chunked = p->has_length = p->close = p->http10 = 0;
	p->status = 0;
	p->length = p->remaining = p->body_bytes = 0;
	p->header_bytes = 0;
	p->nr_headers = 0;
	p->error = NULL;
	p->line_len = 0;
	p->excerpt_len = 0;
}

/* Keep the start of an error's reason and body (see excerpt in http-parse.h). */
static void keep(struct hp *p, const char *s, size_t n)
{
	size_t room = HP_EXCERPT - p->excerpt_len;

	if (p->status < 400 || !n || !room)
		return;
	memcpy(p->excerpt + p->excerpt_len, s, n < room ? n : room);
	p->excerpt_len += n < room ? n : room;
}

/* Body bytes at s (n of them, of which what is left of the body or chunk). */
static void keep_body(struct hp *p, const char *s, size_t n)
{
	if (p->state != HP_BODY_EOF && n > p->remaining)
		n = (size_t)p->remaining;
	/* after the reason phrase, a separator */
	if (p->status >= 400 && n && p->body_bytes == 0 && p->excerpt_len)
		keep(p, ": ", 2);
	keep(p, s, n);
}

static int parse_status(struct hp *p, const char *s, size_t n)
{
	unsigned code;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return fail(p, "malformed status line");
	if (s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9')
		return fail(p, "malformed status code");
	if (n > 12 && s[12] != ' ')
		return fail(p, "malformed status line");
	code = (unsigned)(s[9] - '0') * 100 + (unsigned)(s[10] - '0') * 10 + (unsigned)(s[11] - '0');
	p->status = code;
	p->excerpt_len = 0;
	if (n > 13)
		keep(p, s + 13, n - 13);
	p->http10 = s[7] == '0';
	p->close = p->http10;
	p->state = HP_HEADER;
	return 0;
}

static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* Does the comma-separated list `v` hold token `tok` (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *tok, int last_only)
{
	size_t tl = strlen(tok), i = 0;
	int found = 0;

	while (i < n) {
		size_t j = i, k;
		const char *item;

		while (j < n && v[j] != ',')
			j++;
		k = j - i;
		item = trim(v + i, &k);
		found = k == tl && !strncasecmp(item, tok, tl);
		if (found && !last_only)
			return 1;
		i = j + 1;
	}
	return found;
}

static int parse_length(struct hp *p, const char *v, size_t n)
{
	uint64_t len = 0;

	if (!n)
		return fail(p, "empty Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return fail(p, "malformed Content-Length");
		if (len > (UINT64_MAX - 9) / 10)
			return fail(p, "Content-Length out of range");
		len = len * 10 + (uint64_t)(v[i] - '0');
	}
	if (p->has_length && p->length != len)
		return fail(p, "conflicting Content-Length headers");
	p->has_length = 1;
	p->length = len;
	return 0;
}

static int parse_header(struct hp *p, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t name_len, vlen;
	const char *v;

	if (++p->nr_headers > HP_MAX_HEADERS)
		return fail(p, "too many headers");
	if (*s == ' ' || *s == '\t')
		return fail(p, "obsolete header line folding");
	if (!colon || colon == s)
		return fail(p, "malformed header line");
	name_len = (size_t)(colon - s);
	for (size_t i = 0; i < name_len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f)
			return fail(p, "malformed header name");
	/* only Content-Length, Transfer-Encoding and Connection matter */
	if ((s[0] | 0x20) != 'c' && (s[0] | 0x20) != 't')
		return 0;
	vlen = n - name_len - 1;
	v = trim(colon + 1, &vlen);
	if (name_len == 14 && !strncasecmp(s, "content-length", 14))
		return parse_length(p, v, vlen);
	if (name_len == 17 && !strncasecmp(s, "transfer-encoding", 17)) {
		/* chunked must be the final coding; anything else reads to close */
		p->chunked = has_token(v, vlen, "chunked", 1);
		if (!p->chunked)
			p->close = 1;
	} else if (name_len == 10 && !strncasecmp(s, "connection", 10)) {
		if (has_token(v, vlen, "close", 0))
			p->close = 1;
		else if (p->http10 && has_token(v, vlen, "keep-alive", 0))
			p->close = 0;
	}
	return 0;
}

/* The blank line after the headers: decide how the body is framed. */
static int end_headers(struct hp *p)
{
	if (p->status < 200 && p->status != 101) {
		/* an interim response: the real one follows */
		hp_init(p, p->no_body);
		return 0;
	}
	if (p->chunked && p->has_length)
		p->has_length = 0;      /* RFC 9112 6.3: Transfer-Encoding wins */
	if (p->no_body || p->status == 204 || p->status == 304 || p->status == 101) {
		p->state = HP_DONE;
	} else if (p->chunked) {
		p->state = HP_CHUNK_SIZE;
	} else if (p->has_length) {
		p->remaining = p->length;
		p->state = p->length ? HP_BODY : HP_DONE;
	} else {
		p->close = 1;
		p->state = HP_BODY_EOF;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_chunk_size(struct hp *p, const char *s, size_t n)
{
	uint64_t size = 0;
	size_t i = 0;
	int d;

	for (; i < n && (d = hexval((unsigned char)s[i])) >= 0; i++) {
		if (size >> 60)
			return fail(p, "chunk size out of range");
		size = size << 4 | (uint64_t)d;
	}
	if (!i)
		return fail(p, "malformed chunk size");
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] != ';')
		return fail(p, "malformed chunk size");
	p->remaining = size;
	p->state = size ? HP_CHUNK_DATA : HP_TRAILER;
	return 0;
}

static int handle_line(struct hp *p, const char *s, size_t n)
{
	switch (p->state) {
	case HP_STATUS:
		return parse_status(p, s, n);
	case HP_HEADER:
		return n ? parse_header(p, s, n) : end_headers(p);
	case HP_CHUNK_SIZE:
		return parse_chunk_size(p, s, n);
	case HP_CHUNK_END:
		if (n)
			return fail(p, "missing CRLF after chunk data");
		p->state = HP_CHUNK_SIZE;
		return 0;
	case HP_TRAILER:
		if (!n)
			p->state = HP_DONE;
		else if (++p->nr_headers > HP_MAX_HEADERS)
			return fail(p, "too many trailer fields");
		return 0;
	default:
		return fail(p, "internal: line in a body state");
	}
}

/* Gather a line; returns bytes consumed, with *complete set at its LF. */
static ssize_t take_line(struct hp *p, const char *buf, size_t len, int *complete)
{
	const char *nl = memchr(buf, '\n', len);
	size_t take = nl ? (size_t)(nl - buf) + 1 : len;
	size_t add = nl ? take - 1 : take;
	int counted = p->state == HP_STATUS || p->state == HP_HEADER || p->state == HP_TRAILER;

	if (p->line_len + add > HP_MAX_LINE)
		return fail(p, "line too long");
	if (counted && (p->header_bytes += take) > HP_MAX_HEADER_BYTES)
		return fail(p, "headers too large");
	memcpy(p->line + p->line_len, buf, add);
	p->line_len += add;
	*complete = nl != NULL;
	return (ssize_t)take;
}

static size_t skip_body(struct hp *p, size_t len)
{
	size_t n = p->remaining < len ? (size_t)p->remaining : len;

	p->remaining -= n;
	p->body_bytes += n;
	return n;
}

ssize_t hp_feed(struct hp *p, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len && p->state != HP_DONE) {
		int complete = 0;
		ssize_t n;

		switch (p->state) {
		case HP_ERROR:
			return -1;
		case HP_BODY:
			keep_body(p, buf + off, len - off);
			off += skip_body(p, len - off);
			if (!p->remaining)
				p->state = HP_DONE;
			continue;
		case HP_CHUNK_DATA:
			keep_body(p, buf + off, len - off);
			off += skip_body(p, len - off);
			if (!p->remaining)
				p->state = HP_CHUNK_END;
			continue;
		case HP_BODY_EOF:
			keep_body(p, buf + off, len - off);
			p->body_bytes += len - off;
			return (ssize_t)len;
		default:
			break;
		}
		n = take_line(p, buf + off, len - off, &complete);
		if (n < 0)
			return -1;
		off += (size_t)n;
		if (!complete)
			continue;
		if (p->line_len && p->line[p->line_len - 1] == '\r')
			p->line_len--;
		n = handle_line(p, p->line, p->line_len);
		p->line_len = 0;
		if (n < 0)
			return -1;
	}
	return p->state == HP_ERROR ? -1 : (ssize_t)off;
}

int hp_eof(struct hp *p)
{
	if (p->state == HP_BODY_EOF) {
		p->state = HP_DONE;
		return 0;
	}
	if (p->state == HP_DONE)
		return 0;
	return fail(p, p->state == HP_STATUS && !p->line_len ? "connection closed before a response"
							      : "response cut short");
}
