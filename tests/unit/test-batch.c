/*
 * Unit tests for obsd's ingest body readers (platform/batch.h), on bodies
 * copied into buffers of exactly their length, as the server hands them
 * over, so that AddressSanitizer sees a read past the end. obsd.sh tests
 * the same readers through HTTP against PostgreSQL.
 */
#include "batch.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

typedef enum batch_result (*reader)(struct obs_batch *, const char *, size_t, struct strbuf *);

/* Read `text` (without its NUL) with `read` into `b`; the error into `err`. */
static enum batch_result read_exact(reader read, const char *text, struct obs_batch *b,
				    struct strbuf *err)
{
	size_t len = strlen(text);
	char *body = xmalloc(len ? len : 1);
	enum batch_result r;

	memcpy(body, text, len);
	r = read(b, body, len, err);
	free(body);
	return r;
}

static const char *first_error(const struct obs_batch *b)
{
	return b->errors_nr ? b->errors[0].message : "";
}

static void test_csv(void)
{
	struct obs_batch b = OBS_BATCH_INIT;
	struct strbuf err = STRBUF_INIT;

	tap_ok(read_exact(batch_read_csv, "value,time,id,kind,station\r\n"
			  "7.5,2026-03-01T11:00:00Z,c1,temp,oslo\r\n"
			  "8,2026-03-01T11:05:00Z,\"c,2\",temp,\"Oslo \"\"Blindern\"\"\"\r\n", &b, &err) == BATCH_OK &&
	       b.nr == 2 && !b.invalid && !strcmp(b.rows[1].id, "c,2") &&
	       !strcmp(b.rows[1].station, "Oslo \"Blindern\""),
	       "CSV: columns in any order, CRLF, quoted fields with commas and quotes");
	obs_batch_release(&b);

	/* found by fuzz-batch-csv: the reader looked one byte past the body for a quote */
	if (!tap_ok(read_exact(batch_read_csv, "id,station,kind,time,value\nx,s,k,2026-03-01T11:00:00Z,",
			       &b, &err) == BATCH_OK && b.nr == 0 && b.invalid == 1 && b.errors_nr == 1 &&
		    b.errors[0].row == 1 && b.errors[0].field && !strcmp(b.errors[0].field, "value"),
		    "CSV: a body that ends in ',' has an empty last field, an error of its row"))
		tap_diag("%zu rows, %zu invalid: %s", b.nr, b.invalid, first_error(&b));
	obs_batch_release(&b);

	tap_ok(read_exact(batch_read_csv, "id,station,kind,time,value\n\"x,", &b, &err) == BATCH_OK &&
	       b.invalid == 1 && strstr(first_error(&b), "not closed"),
	       "CSV: a quoted field cut off at the end of the body is an error of its row");
	obs_batch_release(&b);

	strbuf_reset(&err);
	tap_ok(read_exact(batch_read_csv, "id,station,kind,time\n", &b, &err) == BATCH_MALFORMED &&
	       !strcmp(err.buf, "the CSV header has no column 'value'"),
	       "CSV: a header without a column is malformed, and says which");
	obs_batch_release(&b);
	strbuf_release(&err);
}

static void test_json(void)
{
	struct obs_batch b = OBS_BATCH_INIT;
	struct strbuf err = STRBUF_INIT;

	tap_ok(read_exact(batch_read_json, "[{\"id\": \"j1\", \"station\": \"oslo\", \"kind\": \"temp\", "
			  "\"time\": \"2026-03-01T10:00:00Z\", \"value\": -3.5}]", &b, &err) == BATCH_OK &&
	       b.nr == 1 && b.rows[0].value == -3.5, "JSON: a batch of one");
	obs_batch_release(&b);

	strbuf_reset(&err);
	tap_ok(read_exact(batch_read_json, "[{\"id\": \"x\",", &b, &err) == BATCH_MALFORMED &&
	       strstr(err.buf, "malformed JSON at line 1"),
	       "JSON: a body cut short is malformed, at its position");
	obs_batch_release(&b);

	strbuf_reset(&err);
	tap_ok(read_exact(batch_read_json, "", &b, &err) == BATCH_MALFORMED && err.len,
	       "JSON: an empty body is malformed");
	obs_batch_release(&b);
	strbuf_release(&err);
}

int main(void)
{
	test_csv();
	test_json();
	return tap_done();
}
