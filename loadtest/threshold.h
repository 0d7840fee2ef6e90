/*
 * Thresholds: pass/fail criteria over a result, written as in k6:
 *
 *   p(99) < 200ms      avg <= 50ms      max < 2s      med < 10ms
 *   error_rate < 1%    rate >= 250/s    dropped == 0  requests >= 1000
 *   status_429 < 1%    status_5xx < 0.1%               status_401 == 0
 *
 * Latencies take a unit (ns, us, µs, ms, s, m); rates are N/s, Nr/s or
 * N/m; error_rate is a percentage or a fraction; counts are integers.
 * status_NNN (a code) and status_Nxx (a class) count answers: as a share
 * of the intended requests (like error_rate) with '%', else as a count.
 * They are checked against the result document (see result.h), so a
 * merged result is judged exactly like a single run.
 */
#ifndef LOADTEST_THRESHOLD_H
#define LOADTEST_THRESHOLD_H

#include <jansson.h>

struct strbuf;

enum th_metric {
	TM_PCT, TM_AVG, TM_MIN, TM_MAX, TM_ERROR_RATE, TM_RATE, TM_DROPPED, TM_REQUESTS, TM_STATUS,
};
enum th_op { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ };

struct threshold {
	char *expr;              /* as written */
	enum th_metric metric;
	double pct;              /* TM_PCT */
	unsigned status;         /* TM_STATUS: a code (100..599), or a class (1..5: 1xx..5xx) */
	int share;               /* TM_STATUS: value is a fraction of the intended requests */
	enum th_op op;
	double value;            /* µs for latencies, a fraction, per second, or a count */
};

/* Parse `expr`; -1 with a reason (static or in `why_buf`) when malformed. */
int threshold_parse(struct threshold *t, const char *expr, struct strbuf *why);
void threshold_release(struct threshold *t);

/*
 * Judge `part` (the whole result or one scenario of it). Returns 1 when
 * the threshold holds, 0 when not; the value seen goes into `observed`
 * in the threshold's own unit ("12.3ms", "0.52%", "248.1/s").
 */
int threshold_check(const struct threshold *t, const json_t *part, struct strbuf *observed);

/* Parse a latency ("200ms", "1.5s", "250us") into microseconds. */
int parse_latency_us(const char *s, double *us, const char **why);
/* Format microseconds with a unit chosen by size: "850us", "12.3ms", "1.20s". */
void format_latency_us(struct strbuf *sb, double us);

#endif
