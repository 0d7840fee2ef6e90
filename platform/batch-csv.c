/*
 * The CSV batch reader; see batch.h.
 *
 *   id,station,kind,time,value
 *   a1,oslo,temp,2026-11-22T10:59:00Z,-3.5
 *   "a,2","Oslo ""Blindern""",temp,2026-11-22T11:00:00Z,-3.25
 *
 * RFC 4180: fields are separated by commas and records by CRLF (a bare LF
 * too); a field in double quotes may hold commas, line breaks and quotes
 * written twice. The header names the five columns in any order, each
 * once, and nothing else. Empty lines are skipped and are not rows. A
 * record that cannot be split (an unclosed quote, text after a closing
 * quote) is an error of that row; reading goes on at the next line.
 */
#include "batch.h"
#include "strbuf.h"
#include "xalloc.h"

#include <string.h>

#define MAX_FIELDS 16

enum column { COL_ID, COL_STATION, COL_KIND, COL_TIME, COL_VALUE, COL_NR };

static const char *const column_names[COL_NR] = { "id", "station", "kind", "time", "value" };

struct csv {
	const char *p, *end;
	struct strbuf fields[MAX_FIELDS];
	size_t nr;          /* fields in the current record */
	int blank;          /* the record is an empty line */
	const char *why;    /* why the current record could not be split */
};

static int at_eol(const struct csv *c)
{
	return *c->p == '\n' || (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n');
}

static void skip_line(struct csv *c)
{
	while (c->p < c->end && *c->p != '\n')
		c->p++;
}

static int quoted_field(struct csv *c, struct strbuf *f)
{
	for (c->p++;; c->p++) {
		if (c->p >= c->end) {
			c->why = "a quoted field is not closed";
			return -1;
		}
		if (*c->p != '"') {
			strbuf_addch(f, *c->p);
			continue;
		}
		if (c->p + 1 < c->end && c->p[1] == '"') {
			strbuf_addch(f, '"');
			c->p++;
			continue;
		}
		c->p++;
		break;
	}
	if (c->p < c->end && *c->p != ',' && !at_eol(c)) {
		c->why = "text after a closing quote";
		return -1;
	}
	return 0;
}

static int plain_field(struct csv *c, struct strbuf *f)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ',' && !at_eol(c)) {
		if (*c->p == '"') {
			c->why = "a quote inside a field that does not start with one";
			return -1;
		}
		c->p++;
	}
	strbuf_add(f, start, (size_t)(c->p - start));
	return 0;
}

/* Split the next record into c->fields. Returns 1, 0 at the end, -1 (c->why). */
static int next_record(struct csv *c)
{
	const char *start = c->p;

	c->nr = 0;
	c->why = NULL;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		struct strbuf *f;

		if (c->nr == MAX_FIELDS) {
			c->why = "too many fields";
			skip_line(c);
			break;
		}
		f = &c->fields[c->nr++];
		strbuf_reset(f);
		/* a ',' at the very end leaves an empty last field: nothing to read */
		if ((c->p < c->end && *c->p == '"' ? quoted_field(c, f) : plain_field(c, f)) < 0) {
			skip_line(c);
			break;
		}
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		break;
	}
	c->blank = !c->why && c->nr == 1 && c->p == start;
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end)
		c->p++;   /* the '\n' */
	return c->why ? -1 : 1;
}

static int next_nonblank(struct csv *c)
{
	int r;

	while ((r = next_record(c)) == 1 && c->blank)
		;
	return r;
}

/* Map each field of the header to its column. */
static int read_header(struct csv *c, int *col_of, struct strbuf *err)
{
	size_t seen[COL_NR] = { 0 };

	if (next_nonblank(c) != 1) {
		strbuf_addstr(err, c->why ? c->why : "the CSV header is missing");
		return -1;
	}
	for (size_t i = 0; i < c->nr; i++) {
		int k;

		for (k = 0; k < COL_NR && strcmp(c->fields[i].buf, column_names[k]); k++)
			;
		if (k == COL_NR || seen[k]++) {
			strbuf_addf(err, "%s column '%.40s' in the CSV header",
				    k == COL_NR ? "unknown" : "repeated", c->fields[i].buf);
			return -1;
		}
		col_of[i] = k;
	}
	for (int k = 0; k < COL_NR; k++)
		if (!seen[k]) {
			strbuf_addf(err, "the CSV header has no column '%s'", column_names[k]);
			return -1;
		}
	return 0;
}

static void read_row(struct obs_batch *b, size_t row, struct csv *c, const int *col_of)
{
	const char *v[COL_NR] = { NULL };
	struct obs_fields f = { 0 };

	if (c->nr != COL_NR) {
		obs_batch_error(b, row, NULL, "%zu fields where the header has %d", c->nr, COL_NR);
		return;
	}
	for (size_t i = 0; i < c->nr; i++)
		v[col_of[i]] = c->fields[i].buf;
	f.id = v[COL_ID];
	f.station = v[COL_STATION];
	f.kind = v[COL_KIND];
	f.time = v[COL_TIME];
	f.value_text = v[COL_VALUE];
	obs_batch_add(b, row, &f);
}

static enum batch_result read_rows(struct obs_batch *b, struct csv *c, const int *col_of)
{
	size_t row = 0;
	int r;

	while ((r = next_nonblank(c)) != 0) {
		if (++row > OBS_MAX_ROWS)
			return BATCH_TOO_LARGE;
		if (r < 0)
			obs_batch_error(b, row, NULL, "%s", c->why);
		else
			read_row(b, row, c, col_of);
	}
	return BATCH_OK;
}

enum batch_result batch_read_csv(struct obs_batch *b, const char *body, size_t len,
				 struct strbuf *err)
{
	struct csv c = { .p = body, .end = body + len };
	int col_of[MAX_FIELDS];
	enum batch_result res = BATCH_MALFORMED;

	for (size_t i = 0; i < MAX_FIELDS; i++)
		strbuf_init(&c.fields[i], 0);
	if (memchr(body, '\0', len)) {
		strbuf_addstr(err, "the CSV holds a NUL byte");
		goto out;
	}
	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3))
		c.p += 3;   /* a UTF-8 byte order mark */
	if (read_header(&c, col_of, err) < 0)
		goto out;
	res = read_rows(b, &c, col_of);
	if (res == BATCH_OK)
		obs_batch_check_duplicates(b);
out:
	for (size_t i = 0; i < MAX_FIELDS; i++)
		strbuf_release(&c.fields[i]);
	return res;
}
