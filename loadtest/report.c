/*
 * Text reports made from the result document (see report.h): the summary
 * for people, TAP and JUnit for CI systems. The HTML report is in
 * report-html.c.
 */
#include <string.h>

#include "report.h"
#include "strbuf.h"
#include "threshold.h"

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void lat(struct strbuf *out, const json_t *l, const char *key, const char *label)
{
	strbuf_addf(out, "  %s ", label);
	format_latency_us(out, num(l, key));
}

static void part_summary(struct strbuf *out, const json_t *o)
{
	const json_t *l = json_object_get(o, "latency_us"), *e = json_object_get(o, "errors");
	const char *kinds[] = { "connect", "timeout", "read", "write", "status_4xx", "status_5xx" };

	strbuf_addf(out, "    requests  %.0f in %.2fs, %.1f/s", num(o, "requests"), num(o, "duration_s"),
		    num(o, "rps"));
	if (json_object_get(o, "target_rps"))
		strbuf_addf(out, " (planned %.1f/s)", num(o, "target_rps"));
	strbuf_addf(out, "\n    errors    %.0f (%.2f%% of intended requests)", num(e, "total"),
		    num(o, "error_rate") * 100);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (num(e, kinds[i]) > 0)
			strbuf_addf(out, ", %s %.0f", kinds[i], num(e, kinds[i]));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *ex = json_string_value(json_object_get(json_object_get(o, "error_examples"), kinds[i]));

		if (ex)
			strbuf_addf(out, "\n              first %s error: %s", kinds[i], ex);
	}
	strbuf_addf(out, "\n    dropped   %.0f", num(o, "dropped"));
	if (num(o, "late") > 0)
		strbuf_addf(out, "\n    late      %.0f sent over 1 ms after their planned time, no connection "
				 "being free (connecting, or all busy);\n              their latency "
				 "includes the wait: raise 'connections' unless the server is the limit",
			    num(o, "late"));
	strbuf_addstr(out, "\n    latency ");
	lat(out, l, "p50", "p50");
	lat(out, l, "p90", "p90");
	lat(out, l, "p99", "p99");
	lat(out, l, "p999", "p99.9");
	lat(out, l, "p9999", "p99.99");
	lat(out, l, "max", "max");
	strbuf_addch(out, '\n');
}

void report_summary(struct strbuf *out, const json_t *r)
{
	const json_t *sc = json_object_get(r, "scenarios"), *s, *t;
	size_t i;

	strbuf_addf(out, "%s: %s, started %s\n", json_string_value(json_object_get(r, "tool")) ?: "loadtest",
		    json_string_value(json_object_get(r, "target")) ?: "?",
		    json_string_value(json_object_get(r, "started_at")) ?: "?");
	json_array_foreach(sc, i, s) {
		strbuf_addf(out, "  scenario %s (%s model, %.0f connections)\n",
			    json_string_value(json_object_get(s, "name")) ?: "?",
			    json_string_value(json_object_get(s, "model")) ?: "?", num(s, "connections"));
		part_summary(out, s);
	}
	if (json_array_size(sc) != 1) {
		strbuf_addstr(out, "  all scenarios\n");
		part_summary(out, r);
	}
	if (!json_array_size(json_object_get(r, "thresholds")))
		return;
	strbuf_addstr(out, "  thresholds\n");
	json_array_foreach(json_object_get(r, "thresholds"), i, t) {
		const char *sn = json_string_value(json_object_get(t, "scenario"));

		strbuf_addf(out, "    %-4s %s%s%s  (observed %s)\n",
			    json_is_true(json_object_get(t, "ok")) ? "ok" : "FAIL", sn ? sn : "",
			    sn ? ": " : "", json_string_value(json_object_get(t, "expr")),
			    json_string_value(json_object_get(t, "observed")));
	}
}

void report_tap(struct strbuf *out, const json_t *r)
{
	const json_t *th = json_object_get(r, "thresholds"), *t;
	size_t i;

	strbuf_addstr(out, "TAP version 13\n");
	if (!json_array_size(th)) {
		strbuf_addstr(out, "1..0 # SKIP no thresholds defined\n");
		return;
	}
	strbuf_addf(out, "1..%zu\n", json_array_size(th));
	json_array_foreach(th, i, t) {
		const char *sn = json_string_value(json_object_get(t, "scenario"));
		int ok = json_is_true(json_object_get(t, "ok"));

		strbuf_addf(out, "%s %zu - %s%s%s\n", ok ? "ok" : "not ok", i + 1, sn ? sn : "",
			    sn ? ": " : "", json_string_value(json_object_get(t, "expr")));
		strbuf_addstr(out, "  ---\n  scenario: ");
		strbuf_add_quoted(out, sn ? sn : "(all)");
		strbuf_addstr(out, "\n  threshold: ");
		strbuf_add_quoted(out, json_string_value(json_object_get(t, "expr")));
		strbuf_addstr(out, "\n  observed: ");
		strbuf_add_quoted(out, json_string_value(json_object_get(t, "observed")));
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
		strbuf_addstr(out, "\" type=\"threshold\"/>\n    </testcase>\n");
	}
	report_summary(&summary, r);
	strbuf_addstr(out, "    <system-out>");
	xml_escape(out, summary.buf);
	strbuf_addstr(out, "</system-out>\n  </testsuite>\n</testsuites>\n");
	strbuf_release(&summary);
}
