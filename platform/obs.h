/*
 * Observations and batches of them: the one place where what a valid
 * observation is gets decided. The JSON and CSV readers (batch.h) find the
 * fields of each row and hand them to obs_batch_add(), which checks them
 * and either keeps the row or records why not, by row number.
 *
 * A batch owns its rows and their strings. Row numbers count data rows
 * from 1 (the CSV header is not a row).
 */
#ifndef PLATFORM_OBS_H
#define PLATFORM_OBS_H

#include <stddef.h>
#include <stdint.h>

#define OBS_MAX_ROWS 50000
#define OBS_ID_MAX 128       /* bytes */
#define OBS_LABEL_MAX 128    /* bytes, station and kind */
#define OBS_ERRORS_KEPT 100  /* errors described; more are only counted */

/* The first and last instants an observation may have: years 1 to 9999, UTC. */
#define OBS_TIME_MIN (-62135596800LL * 1000000)
#define OBS_TIME_MAX (253402300800LL * 1000000 - 1)

struct obs {
	size_t row;
	char *id, *station, *kind;
	int64_t time;        /* microseconds since 1970-01-01T00:00:00Z */
	double value;
};

struct obs_error {
	size_t row;
	const char *field;   /* static; NULL for the row as a whole */
	char *message;
	size_t seq;          /* order of recording, to sort stably */
};

struct obs_batch {
	struct obs *rows;
	size_t nr, alloc;
	struct obs_error *errors;    /* the first OBS_ERRORS_KEPT */
	size_t errors_nr, errors_alloc;
	size_t invalid;              /* rows with at least one error */
	size_t last_invalid_row;
};

#define OBS_BATCH_INIT { 0 }

void obs_batch_release(struct obs_batch *b);

/*
 * The fields of one row as a reader found them. NULL means the field is
 * missing. The value is `number` when `has_number`, else parsed from
 * `value_text` (CSV).
 */
struct obs_fields {
	const char *id, *station, *kind, *time, *value_text;
	int has_number;
	double number;
	unsigned reported;   /* OBS_F_* bits: fields the reader found wrong and reported */
	int invalid;         /* the reader found the row wrong (and reported why) */
};

#define OBS_F_ID 0x1u
#define OBS_F_STATION 0x2u
#define OBS_F_KIND 0x4u
#define OBS_F_TIME 0x8u
#define OBS_F_VALUE 0x10u

/*
 * Check the fields of one row that the reader has not reported already;
 * keep the row, or record its errors. Returns 0 or -1 (invalid).
 */
int obs_batch_add(struct obs_batch *b, size_t row, const struct obs_fields *f);

/* Record an error a reader found in row `row` (field may be NULL). */
void obs_batch_error(struct obs_batch *b, size_t row, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record an error for every row whose id an earlier row of the batch has. */
void obs_batch_check_duplicates(struct obs_batch *b);

/*
 * Parse an RFC 3339 date-time ("2026-11-22T10:59:00Z",
 * "2026-11-22t11:59:00.25+01:00") into microseconds since the epoch;
 * digits past the sixth of the fraction are dropped. Returns 0, or -1
 * with *why saying what is wrong.
 */
int obs_parse_time(const char *s, int64_t *out, const char **why);

/* Format as RFC 3339 in UTC: "2026-11-22T10:59:00Z", "2026-11-22T10:59:00.250Z". */
#define OBS_TIME_BUFSIZE 40
void obs_format_time(char buf[OBS_TIME_BUFSIZE], int64_t t);

/*
 * Check a text field: not empty, at most `max` bytes, UTF-8, no control
 * characters, no white space at either end. Returns NULL if it is fine,
 * else why not.
 */
const char *obs_check_text(const char *s, size_t max);

/* Replace each byte that is not part of valid UTF-8 with '?', in place. */
void obs_utf8_sanitize(char *s);

#endif
