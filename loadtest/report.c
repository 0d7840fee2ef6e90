/*
 * Text reports made from the result document (see report.h): the summary
 * for people, TAP and JUnit for CI systems. The HTML report is in
 * report-html.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "color.h"
#include "report.h"
#include "strbuf.h"
#include "threshold.h"
#include "xalloc.h"

#define LATE_WARN_SHARE 0.01   /* late sends worth a line, of all sends; of those, */
#define LATE_WARN_MIN 10       /* at least this many waiting for a connection blame the pool */

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The requests a part meant to make: answers, transport errors, dropped sends. */
static double intended(const json_t *o)
{
	const json_t *e = json_object_get(o, "errors");

	return num(o, "requests") + num(o, "dropped") + num(e, "connect") + num(e, "timeout") +
	       num(e, "read") + num(e, "write");
}

/* "ok  " or "FAIL" (four columns), in colour when asked. */
static void add_verdict(struct strbuf *out, int ok, int colour)
{
	color_add(out, colour, ok ? COLOR_GREEN : COLOR_BOLD_RED, ok ? "ok" : "FAIL", 0);
	if (ok)
		strbuf_addstr(out, "  ");
}

static void lat(struct strbuf *out, const json_t *l, const char *key, const char *label)
{
	strbuf_addf(out, "  %s ", label);
	format_latency_us(out, num(l, key));
}

/*
 * Each kind of transport error of a part (with `kinds`), then each 4xx
 * and 5xx status code, with its count and first reason (NULL if none was
 * kept); `key` is "timeout" or "status_429".
 */
typedef void error_fn(void *ctx, const char *key, double n, const char *first);

static void each_error(const json_t *o, int kinds, error_fn *fn, void *ctx)
{
	static const char *const transport[] = { "connect", "timeout", "read", "write" };
	const json_t *ex = json_object_get(o, "error_examples"), *e = json_object_get(o, "errors");
	const char *code;
	json_t *v;

	for (size_t i = 0; kinds && i < ARRAY_SIZE(transport); i++)
		if (num(e, transport[i]) > 0)
			fn(ctx, transport[i], num(e, transport[i]), str(ex, transport[i]));
	json_object_foreach(json_object_get(o, "status_codes"), code, v) {
		char key[32];

		if (code[0] != '4' && code[0] != '5')
			continue;
		snprintf(key, sizeof(key), "status_%s", code);
		fn(ctx, key, json_number_value(v), str(ex, key));
	}
}

/* Errors as lines of text, each between `before` and `after`. */
struct lines {
	struct strbuf *out;
	const char *before, *after;
};

static void error_line(void *ctx, const char *key, double n, const char *first)
{
	const struct lines *l = ctx;

	strbuf_addf(l->out, "%s%-10s %.0f", l->before, key, n);
	if (first)
		strbuf_addf(l->out, ", first: %s", first);
	strbuf_addstr(l->out, l->after);
}

static void errors_summary(struct strbuf *out, const json_t *o)
{
	const char *kinds[] = { "connect", "timeout", "read", "write", "status_4xx", "status_5xx" };
	const json_t *e = json_object_get(o, "errors");

	strbuf_addf(out, "\n    errors    %.0f (%.2f%% of intended requests)", num(e, "total"),
		    num(o, "error_rate") * 100);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (num(e, kinds[i]) > 0)
			strbuf_addf(out, ", %s %.0f", kinds[i], num(e, kinds[i]));
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const char *ex = str(json_object_get(o, "error_examples"), kinds[i]);

		if (ex)
			strbuf_addf(out, "\n              first %s error: %s", kinds[i], ex);
	}
	each_error(o, 0, error_line, &(struct lines){ out, "\n              ", "" });
}

/*
 * Late sends, when they are a real share of the sends: how many and how
 * late; and only when a real share waited for a connection (measured:
 * every one of the pool busy or connecting when they fell due), that the
 * pool was too small, and by how much. A few late sends (the loop woke a
 * little late, the first connections were being made) are no news.
 * `conns` is the pool's size, 0 when unknown.
 */
static void late_summary(struct strbuf *out, const json_t *o, double conns)
{
	const json_t *pool = json_object_get(o, "pool");
	double late = num(o, "late"), sends = intended(o), waited = num(pool, "late");
	double needed = ceil(num(pool, "needed"));

	if (late < sends * LATE_WARN_SHARE || late <= 0)
		return;
	strbuf_addf(out, "\n    late      %.0f of %.0f sends (%.2g%%) went out over 1 ms after their "
		    "planned time, at worst ", late, sends, sends > 0 ? late / sends * 100 : 0);
	format_latency_us(out, num(o, "late_max_us"));
	if (waited < LATE_WARN_MIN || waited < sends * LATE_WARN_SHARE) {
		if (waited > 0)
			strbuf_addf(out, ";\n              only %.0f of them for want of a connection", waited);
		else if (json_is_object(pool))
			strbuf_addstr(out, ";\n              none for want of a connection: loadtest itself ran "
				      "behind (a busy machine?)");
		return;
	}
	strbuf_addf(out, "\n              %.0f of them waited for a connection: all ", waited);
	if (conns > 0)
		strbuf_addf(out, "%.0f ", conns);
	strbuf_addf(out, "were busy or connecting (at most %.0f requests in flight);\n              ",
		    num(pool, "peak"));
	if (needed > conns && conns > 0)
		strbuf_addf(out, "the planned rate at the answer times seen keeps about %.0f busy: ", needed);
	else
		strbuf_addstr(out, "their latency includes the wait: ");
	strbuf_addstr(out, "raise 'connections' unless the server is the limit");
}

static void part_summary(struct strbuf *out, const json_t *o, double conns)
{
	const json_t *l = json_object_get(o, "latency_us");

	strbuf_addf(out, "    requests  %.0f in %.2fs, %.1f/s", num(o, "requests"), num(o, "duration_s"),
		    num(o, "rps"));
	if (json_object_get(o, "target_rps"))
		strbuf_addf(out, " (planned %.1f/s)", num(o, "target_rps"));
	errors_summary(out, o);
	strbuf_addf(out, "\n    dropped   %.0f", num(o, "dropped"));
	late_summary(out, o, conns);
	strbuf_addstr(out, "\n    latency ");
	lat(out, l, "p50", "p50");
	lat(out, l, "p90", "p90");
	lat(out, l, "p99", "p99");
	lat(out, l, "p999", "p99.9");
	lat(out, l, "p9999", "p99.99");
	lat(out, l, "max", "max");
	strbuf_addch(out, '\n');
}

/* A run that did not run its course says so first: its figures are partial. */
static void partial_summary(struct strbuf *out, const json_t *r, int colour)
{
	struct strbuf line = STRBUF_INIT;

	if (json_is_true(json_object_get(r, "interrupted"))) {
		strbuf_addf(&line, "  interrupted after %.2fs: the figures are of the part that ran",
			    num(r, "duration_s"));
		color_add(out, colour, COLOR_BOLD_YELLOW, line.buf, 0);
		strbuf_addch(out, '\n');
	}
	if (str(r, "stopped")) {
		strbuf_reset(&line);
		strbuf_addf(&line, "  stopped early: %s", str(r, "stopped"));
		color_add(out, colour, COLOR_BOLD_RED, line.buf, 0);
		strbuf_addch(out, '\n');
	}
	strbuf_release(&line);
}

/* The connections of the open-model scenarios (the pools the top level's "pool" is about). */
static double open_connections(const json_t *sc)
{
	const json_t *s;
	double n = 0;
	size_t i;

	json_array_foreach(sc, i, s)
		if (!strcmp(str(s, "model") ?: "", "open"))
			n += num(s, "connections");
	return n;
}

void report_summary(struct strbuf *out, const json_t *r, int colour)
{
	const json_t *sc = json_object_get(r, "scenarios"), *s, *t;
	size_t i;

	strbuf_addf(out, "%s: %s, started %s\n", str(r, "tool") ?: "loadtest", str(r, "target") ?: "?",
		    str(r, "started_at") ?: "?");
	partial_summary(out, r, colour);
	json_array_foreach(sc, i, s) {
		strbuf_addf(out, "  scenario %s (%s model, %.0f connections)\n", str(s, "name") ?: "?",
			    str(s, "model") ?: "?", num(s, "connections"));
		part_summary(out, s, num(s, "connections"));
	}
	if (json_array_size(sc) != 1) {
		strbuf_addstr(out, "  all scenarios\n");
		part_summary(out, r, open_connections(sc));
	}
	if (!json_array_size(json_object_get(r, "thresholds")))
		return;
	strbuf_addstr(out, "  thresholds\n");
	json_array_foreach(json_object_get(r, "thresholds"), i, t) {
		const char *sn = str(t, "scenario");

		strbuf_addstr(out, "    ");
		add_verdict(out, json_is_true(json_object_get(t, "ok")), colour);
		strbuf_addf(out, " %s%s%s  (observed %s)\n", sn ? sn : "", sn ? ": " : "",
			    str(t, "expr"), str(t, "observed"));
	}
}

/* The part of the result a threshold judged: a scenario, or the whole. */
static const json_t *judged_part(const json_t *r, const json_t *t)
{
	const char *sn = str(t, "scenario");
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(r, "scenarios"), i, s)
		if (sn && !strcmp(str(s, "name") ?: "", sn))
			return s;
	return r;
}

static void tap_error(void *ctx, const char *key, double n, const char *first)
{
	struct strbuf *out = ctx;

	strbuf_addf(out, "    %s: {count: %.0f", key, n);
	if (first) {
		strbuf_addstr(out, ", first: ");
		strbuf_add_quoted(out, first);
	}
	strbuf_addstr(out, "}\n");
}

/* A failed test's errors, by kind and by status code, as YAML. */
static void tap_errors(struct strbuf *out, const json_t *part)
{
	if (num(json_object_get(part, "errors"), "total") <= 0)
		return;
	strbuf_addstr(out, "\n  errors:\n");
	each_error(part, 1, tap_error, out);
	strbuf_setlen(out, out->len - 1);
}

/* TAP comments on a partial run, after the plan. */
static void tap_partial(struct strbuf *out, const json_t *r)
{
	if (json_is_true(json_object_get(r, "interrupted")))
		strbuf_addf(out, "# interrupted after %.2fs: the figures are of the part that ran\n",
			    num(r, "duration_s"));
	if (str(r, "stopped"))
		strbuf_addf(out, "# stopped early: %s\n", str(r, "stopped"));
}

void report_tap(struct strbuf *out, const json_t *r)
{
	const json_t *th = json_object_get(r, "thresholds"), *t;
	int interrupted = json_is_true(json_object_get(r, "interrupted"));
	size_t i;

	strbuf_addstr(out, "TAP version 13\n");
	if (!json_array_size(th)) {
		strbuf_addstr(out, "1..0 # SKIP no thresholds defined\n");
		tap_partial(out, r);
		return;
	}
	strbuf_addf(out, "1..%zu\n", json_array_size(th));
	tap_partial(out, r);
	json_array_foreach(th, i, t) {
		const char *sn = str(t, "scenario");
		int ok = json_is_true(json_object_get(t, "ok"));

		strbuf_addf(out, "%s %zu - %s%s%s\n", ok ? "ok" : "not ok", i + 1, sn ? sn : "",
			    sn ? ": " : "", str(t, "expr"));
		strbuf_addstr(out, "  ---\n  scenario: ");
		strbuf_add_quoted(out, sn ? sn : "(all)");
		strbuf_addstr(out, "\n  threshold: ");
		strbuf_add_quoted(out, str(t, "expr"));
		strbuf_addstr(out, "\n  observed: ");
		strbuf_add_quoted(out, str(t, "observed"));
		if (interrupted)
			strbuf_addstr(out, "\n  interrupted: true");
		if (!ok)
			tap_errors(out, judged_part(r, t));
		strbuf_addstr(out, "\n  ...\n");
	}
}

static void xml_escape(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&apos;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				strbuf_addch(out, '?');
			else
				strbuf_addch(out, *s);
		}
	}
}

/* A failure's text: the errors of what the threshold judged, by kind and status code. */
static void junit_errors(struct strbuf *out, const json_t *part)
{
	struct strbuf text = STRBUF_INIT;

	each_error(part, 1, error_line, &(struct lines){ &text, "", "\n" });
	xml_escape(out, text.buf);
	strbuf_release(&text);
}

/* A partial run says so where CI systems show a suite's properties. */
static void junit_properties(struct strbuf *out, const json_t *r)
{
	int interrupted = json_is_true(json_object_get(r, "interrupted"));

	if (!interrupted && !str(r, "stopped"))
		return;
	strbuf_addstr(out, "    <properties>\n");
	if (interrupted)
		strbuf_addstr(out, "      <property name=\"interrupted\" value=\"true\"/>\n");
	if (str(r, "stopped")) {
		strbuf_addstr(out, "      <property name=\"stopped\" value=\"");
		xml_escape(out, str(r, "stopped"));
		strbuf_addstr(out, "\"/>\n");
	}
	strbuf_addstr(out, "    </properties>\n");
}

void report_junit(struct strbuf *out, const json_t *r)
{
	const json_t *th = json_object_get(r, "thresholds"), *t;
	struct strbuf summary = STRBUF_INIT;
	size_t i, failures = 0;

	json_array_foreach(th, i, t)
		failures += !json_is_true(json_object_get(t, "ok"));
	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_addf(out, "<testsuites name=\"loadtest\" tests=\"%zu\" failures=\"%zu\">\n",
		    json_array_size(th), failures);
	strbuf_addf(out, "  <testsuite name=\"loadtest\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			 "time=\"%.3f\" timestamp=\"", json_array_size(th), failures, num(r, "duration_s"));
	xml_escape(out, json_string_value(json_object_get(r, "started_at")));
	strbuf_addstr(out, "\">\n");
	junit_properties(out, r);
	json_array_foreach(th, i, t) {
		const char *sn = json_string_value(json_object_get(t, "scenario"));

		strbuf_addstr(out, "    <testcase classname=\"loadtest.");
		xml_escape(out, sn ? sn : "all");
		strbuf_addstr(out, "\" name=\"");
		xml_escape(out, json_string_value(json_object_get(t, "expr")));
		strbuf_addstr(out, "\"");
		if (json_is_true(json_object_get(t, "ok"))) {
			strbuf_addstr(out, "/>\n");
			continue;
		}
		strbuf_addstr(out, ">\n      <failure message=\"observed ");
		xml_escape(out, json_string_value(json_object_get(t, "observed")));
		strbuf_addstr(out, "\" type=\"threshold\">");
		junit_errors(out, judged_part(r, t));
		strbuf_addstr(out, "</failure>\n    </testcase>\n");
	}
	report_summary(&summary, r, 0);
	strbuf_addstr(out, "    <system-out>");
	xml_escape(out, summary.buf);
	strbuf_addstr(out, "</system-out>\n  </testsuite>\n</testsuites>\n");
	strbuf_release(&summary);
}
