/*
 * The JSON batch reader; see batch.h.
 *
 *   [{"id": "a1", "station": "oslo", "kind": "temp", "time": "2026-11-22T10:59:00Z",
 *     "value": -3.5}, ...]
 *
 * A streaming reader of RFC 8259 made for this one shape: it walks the
 * text once and hands each object's fields to obs_batch_add(), never
 * building a tree. That is twenty times faster than a general parser on a
 * 50,000-row batch, holds memory to the rows kept, and lets a row's
 * problems (a field of the wrong type, an unknown or repeated one) be
 * reported as that row's, while text that is not JSON at all stops the
 * reading with the line and column.
 */
#include "batch.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32   /* of values skipped inside a row */

enum key { K_ID, K_STATION, K_KIND, K_TIME, K_VALUE, K__NR };

static const char *const key_names[K__NR] = { "id", "station", "kind", "time", "value" };
static const unsigned key_bits[K__NR] = {
	OBS_F_ID, OBS_F_STATION, OBS_F_KIND, OBS_F_TIME, OBS_F_VALUE,
};

struct json {
	const char *start, *p, *end;
	const char *why;            /* set once the text is found not to be JSON */
	struct strbuf key, scratch;
	struct strbuf text[K_VALUE]; /* the current row's string fields */
};

static int peek(const struct json *j)
{
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int fail(struct json *j, const char *why)
{
	if (!j->why)
		j->why = why;
	return -1;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	*out = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = p[i], v = is_digit(c) ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
			(c | 0x20) - 'a' + 10 : -1;

		if (v < 0)
			return -1;
		*out = *out << 4 | (unsigned)v;
	}
	return 0;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (int)(0xc0 | cp >> 6));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (int)(0xe0 | cp >> 12));
		strbuf_addch(sb, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(sb, (int)(0xf0 | cp >> 18));
		strbuf_addch(sb, (int)(0x80 | (cp >> 12 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	}
}

/* "\u...", a surrogate pair as one code point. */
static int unicode_escape(struct json *j, struct strbuf *out)
{
	unsigned cp, lo;

	if (hex4(j->p, j->end, &cp) < 0)
		return fail(j, "an invalid \\u escape");
	j->p += 4;
	if (cp >= 0xdc00 && cp < 0xe000)
		return fail(j, "a lone surrogate in a \\u escape");
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    hex4(j->p + 2, j->end, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
			return fail(j, "a lone surrogate in a \\u escape");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		j->p += 6;
	}
	/*
	 * U+0000 cannot live in a C string, nor in PostgreSQL's text; it
	 * becomes U+0001, which validation refuses as the control
	 * character it is.
	 */
	add_utf8(out, cp ? cp : 1);
	return 0;
}

static int escape(struct json *j, struct strbuf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	j->p++;   /* the backslash */
	if (j->p >= j->end)
		return fail(j, "a string is not closed");
	if (*j->p == 'u') {
		j->p++;
		return unicode_escape(j, out);
	}
	if (!*j->p || !(hit = strchr(from, *j->p)))
		return fail(j, "an invalid escape in a string");
	strbuf_addch(out, to[hit - from]);
	j->p++;
	return 0;
}

/* A string at j->p (its opening quote), decoded into `out`. */
static int read_string(struct json *j, struct strbuf *out)
{
	strbuf_reset(out);
	j->p++;
	for (;;) {
		const char *run = j->p;

		while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
			j->p++;
		strbuf_add(out, run, (size_t)(j->p - run));
		if (j->p >= j->end)
			return fail(j, "a string is not closed");
		if (*j->p == '"') {
			j->p++;
			return 0;
		}
		if (*j->p != '\\')
			return fail(j, "a control character in a string");
		if (escape(j, out) < 0)
			return -1;
	}
}

static void skip_digits(struct json *j)
{
	while (is_digit(peek(j)))
		j->p++;
}

/* A number, by RFC 8259's grammar, then converted by strtod(). */
static int read_number(struct json *j, double *out)
{
	const char *start = j->p;

	if (peek(j) == '-')
		j->p++;
	if (!is_digit(peek(j)))
		return fail(j, "an invalid number");
	if (peek(j) == '0')
		j->p++;
	else
		skip_digits(j);
	if (peek(j) == '.') {
		j->p++;
		if (!is_digit(peek(j)))
			return fail(j, "an invalid number");
		skip_digits(j);
	}
	if (peek(j) == 'e' || peek(j) == 'E') {
		j->p++;
		if (peek(j) == '+' || peek(j) == '-')
			j->p++;
		if (!is_digit(peek(j)))
			return fail(j, "an invalid number");
		skip_digits(j);
	}
	strbuf_reset(&j->scratch);
	strbuf_add(&j->scratch, start, (size_t)(j->p - start));
	*out = strtod(j->scratch.buf, NULL);   /* 1e999 is inf: validation refuses it */
	return 0;
}

static int literal(struct json *j, const char *word)
{
	size_t len = strlen(word);

	if ((size_t)(j->end - j->p) < len || memcmp(j->p, word, len))
		return fail(j, "expected a value");
	j->p += len;
	return 0;
}

static int skip_value(struct json *j, int depth);

/* The rest of an array or object whose opening bracket is at j->p. */
static int skip_container(struct json *j, int depth)
{
	int object = *j->p == '{', close = object ? '}' : ']';

	if (depth >= MAX_DEPTH)
		return fail(j, "nesting too deep");
	j->p++;
	skip_ws(j);
	if (peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		skip_ws(j);
		if (object && peek(j) != '"')
			return fail(j, "expected a string as the key");
		if (object && read_string(j, &j->scratch) < 0)
			return -1;
		skip_ws(j);
		if (object && peek(j) != ':')
			return fail(j, "expected ':'");
		j->p += object;
		if (skip_value(j, depth + 1) < 0)
			return -1;
		skip_ws(j);
		if (peek(j) == close) {
			j->p++;
			return 0;
		}
		if (peek(j) != ',')
			return fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
		j->p++;
	}
}

static int skip_value(struct json *j, int depth)
{
	double ignored;

	skip_ws(j);
	switch (peek(j)) {
	case '"': return read_string(j, &j->scratch);
	case '{': case '[': return skip_container(j, depth);
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	}
	if (peek(j) == '-' || is_digit(peek(j)))
		return read_number(j, &ignored);
	return fail(j, "expected a value");
}

static int key_index(const char *key)
{
	for (int k = 0; k < K__NR; k++)
		if (!strcmp(key, key_names[k]))
			return k;
	return -1;
}

/* One "key": value of a row's object. */
static int read_member(struct json *j, struct obs_batch *b, size_t row, struct obs_fields *f,
		       unsigned *seen)
{
	int k;

	skip_ws(j);
	if (peek(j) != '"')
		return fail(j, "expected a string as the key");
	if (read_string(j, &j->key) < 0)
		return -1;
	skip_ws(j);
	if (peek(j) != ':')
		return fail(j, "expected ':'");
	j->p++;
	skip_ws(j);
	if ((k = key_index(j->key.buf)) < 0 || (*seen & key_bits[k])) {
		if (k < 0)
			obs_batch_error(b, row, NULL, "unknown field '%.40s'", j->key.buf);
		else
			obs_batch_error(b, row, key_names[k], "repeated");
		f->invalid = 1;
		return skip_value(j, 1);
	}
	*seen |= key_bits[k];
	if (k == K_VALUE && (peek(j) == '-' || is_digit(peek(j)))) {
		f->has_number = 1;
		return read_number(j, &f->number);
	}
	if (k != K_VALUE && peek(j) == '"')
		return read_string(j, &j->text[k]);
	obs_batch_error(b, row, key_names[k], k == K_VALUE ? "must be a number" : "must be a string");
	f->reported |= key_bits[k];
	return skip_value(j, 1);
}

static void add_row(struct json *j, struct obs_batch *b, size_t row, struct obs_fields *f,
		    unsigned seen)
{
	const char **text[K_VALUE] = { &f->id, &f->station, &f->kind, &f->time };

	for (int k = 0; k < K_VALUE; k++)
		if ((seen & key_bits[k]) && !(f->reported & key_bits[k]))
			*text[k] = j->text[k].buf;
	obs_batch_add(b, row, f);
}

static int read_row(struct json *j, struct obs_batch *b, size_t row)
{
	struct obs_fields f = { 0 };
	unsigned seen = 0;

	skip_ws(j);
	if (peek(j) != '{') {
		obs_batch_error(b, row, NULL, "must be an object");
		return skip_value(j, 1);
	}
	j->p++;
	skip_ws(j);
	if (peek(j) == '}') {
		j->p++;
		add_row(j, b, row, &f, seen);
		return 0;
	}
	for (;;) {
		if (read_member(j, b, row, &f, &seen) < 0)
			return -1;
		skip_ws(j);
		if (peek(j) == '}')
			break;
		if (peek(j) != ',')
			return fail(j, "expected ',' or '}'");
		j->p++;
	}
	j->p++;
	add_row(j, b, row, &f, seen);
	return 0;
}

/* The rows of the top-level array; BATCH_OK also when j->why says the text is broken. */
static enum batch_result read_rows(struct json *j, struct obs_batch *b)
{
	skip_ws(j);
	if (peek(j) != '[') {
		fail(j, "expected a JSON array of observations");
		return BATCH_OK;
	}
	j->p++;
	skip_ws(j);
	for (size_t row = 1; peek(j) != ']'; row++) {
		if (row > OBS_MAX_ROWS)
			return BATCH_TOO_LARGE;
		if (read_row(j, b, row) < 0)
			return BATCH_OK;
		skip_ws(j);
		if (peek(j) == ']')
			break;
		if (peek(j) != ',') {
			fail(j, "expected ',' or ']'");
			return BATCH_OK;
		}
		j->p++;
		skip_ws(j);
		if (peek(j) == ']') {
			fail(j, "expected a value");
			return BATCH_OK;
		}
	}
	j->p++;
	skip_ws(j);
	if (j->p < j->end)
		fail(j, "text after the array");
	return BATCH_OK;
}

static void describe_failure(const struct json *j, struct strbuf *err)
{
	const char *line_start = j->start;
	size_t line = 1;

	for (const char *p = j->start; p < j->p && p < j->end; p++)
		if (*p == '\n') {
			line++;
			line_start = p + 1;
		}
	strbuf_addf(err, "malformed JSON at line %zu, column %zu: %s", line,
		    (size_t)(j->p - line_start) + 1, j->why);
}

enum batch_result batch_read_json(struct obs_batch *b, const char *body, size_t len,
				  struct strbuf *err)
{
	struct json j = { .start = body, .p = body, .end = body + len };
	enum batch_result res;

	strbuf_init(&j.key, 0);
	strbuf_init(&j.scratch, 0);
	for (int k = 0; k < K_VALUE; k++)
		strbuf_init(&j.text[k], 0);
	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
		j.p += 3;   /* a UTF-8 byte order mark */
	res = read_rows(&j, b);
	if (res == BATCH_OK && j.why) {
		describe_failure(&j, err);
		res = BATCH_MALFORMED;
	}
	if (res == BATCH_OK)
		obs_batch_check_duplicates(b);
	strbuf_release(&j.key);
	strbuf_release(&j.scratch);
	for (int k = 0; k < K_VALUE; k++)
		strbuf_release(&j.text[k]);
	return res;
}
