/*
 * An incremental, bounded parser of HTTP/1.x responses.
 *
 * Bytes are fed as they arrive; the parser keeps at most one header line
 * (HP_MAX_LINE bytes) and a few counters, never the body, so a response of
 * any size costs the same memory. It understands status lines, the
 * headers that decide framing (Content-Length, Transfer-Encoding,
 * Connection), chunked bodies with extensions and trailers, bodies that
 * end when the connection closes, and interim 1xx responses, which it
 * skips. Limits: a line of HP_MAX_LINE bytes, HP_MAX_HEADER_BYTES of
 * headers in all, HP_MAX_HEADERS headers.
 *
 * Bare LF line endings are accepted (RFC 9112 section 2.2 allows it);
 * anything else malformed is an error, and the connection must be closed.
 */
#ifndef LIB_HTTP_PARSE_H
#define LIB_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HP_MAX_LINE 8192
#define HP_MAX_HEADER_BYTES 65536
#define HP_MAX_HEADERS 256
#define HP_EXCERPT 80               /* bytes of an error's reason phrase and body kept */

enum hp_state {
	HP_STATUS, HP_HEADER, HP_BODY, HP_BODY_EOF, HP_CHUNK_SIZE, HP_CHUNK_DATA,
	HP_CHUNK_END, HP_TRAILER, HP_DONE, HP_ERROR,
};

struct hp {
	enum hp_state state;
	unsigned no_body : 1;        /* the request was HEAD */
	unsigned chunked : 1;
	unsigned has_length : 1;
	unsigned close : 1;          /* the server closes after this response */
	unsigned http10 : 1;
	unsigned status;             /* of the final response */
	uint64_t length;             /* Content-Length */
	uint64_t remaining;          /* of the body, or of the current chunk */
	uint64_t body_bytes;         /* body bytes seen (decoded) */
	size_t header_bytes;
	unsigned nr_headers;
	const char *error;           /* static reason, in HP_ERROR */
	/*
	 * For a final status of 400 or more, what says why: the reason
	 * phrase, then ": " and the first bytes of the body, at most
	 * HP_EXCERPT bytes in all, raw (not NUL-terminated, maybe cut in the
	 * middle of a character). Empty for other statuses.
	 */
	size_t excerpt_len;
	char excerpt[HP_EXCERPT];
	size_t line_len;
	char line[HP_MAX_LINE];
};

/* Ready the parser for the next response; `head` when it answers a HEAD. */
void hp_init(struct hp *p, int head);

/*
 * Feed `len` bytes. Returns how many were consumed: it stops right after
 * the end of a response (HP_DONE), so bytes after it belong to the next
 * one. Returns -1 on malformed input (state HP_ERROR, reason in `error`).
 */
ssize_t hp_feed(struct hp *p, const char *buf, size_t len);

/* The peer closed: returns 0 when that ends the response, -1 when the
 * response is cut short. */
int hp_eof(struct hp *p);

#endif
