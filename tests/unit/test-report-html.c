/*
 * Unit tests for the HTML report (loadtest/report-html.c): result
 * documents built here with jansson and lib/hist (two scenarios over 30
 * seconds, no requests at all, a hostile target, one second, an hour,
 * absurd numbers, the wrong types, a ramp with its planned rate, errors by
 * kind and by status code, a spike in the first second, an interrupted
 * run), each page checked for its plots, its
 * escaping, the absence of scripts and of nan/inf, and - when xmllint is
 * installed - for errors as HTML and for well-formedness as XML.
 */
#include "hist.h"
#include "report.h"
#include "run-command.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir;
static int have_xmllint = -1;

/* ---- fixtures ---- */

/* A fixed pseudo-random sequence, so the fixtures never change. */
static uint64_t rnd(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* n latencies around base_ns, one in a hundred twenty times slower. */
static json_t *make_hist(uint64_t seed, uint64_t base_ns, size_t n)
{
	struct hist h = HIST_INIT;
	json_t *j;

	hist_init(&h, 7);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = base_ns + rnd(&seed) % base_ns;

		hist_record(&h, i % 100 == 7 ? v * 20 : v);
	}
	j = hist_to_json(&h);
	hist_release(&h);
	return j;
}

static json_t *make_timeline(size_t n, json_int_t rps, double base_us, int errors)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		/* every tenth second is slow, 30 times slower with errors */
		double spike = i % 10 == 4 ? (errors ? 30 : 8) : 1;

		json_int_t errs = errors && i % 10 == 3 ? 5 : 0;

		json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:i, s:f, s:f, s:f, s:f}",
			"t", (json_int_t)i + 1, "requests", rps + (json_int_t)(i % 7),
			"errors", errs, "dropped", 0,
			"p50_us", base_us, "p90_us", base_us * 1.3, "p99_us", base_us * 2 * spike,
			"max_us", base_us * 6 * spike));
	}
	return a;
}

/* The keys a scenario and the whole run share, into o. */
static void fill_node(json_t *o, double duration, json_int_t requests, double base_us,
		      json_int_t timeouts, json_t *timeline, json_t *histogram)
{
	json_object_set_new(o, "duration_s", json_real(duration));
	json_object_set_new(o, "requests", json_integer(requests));
	json_object_set_new(o, "rps", json_real(duration > 0 ? (double)requests / duration : 0));
	json_object_set_new(o, "bytes_read", json_real((double)requests * 200));
	json_object_set_new(o, "errors", json_pack("{s:i, s:I, s:i, s:i, s:i, s:i, s:I}",
		"connect", 0, "timeout", timeouts, "read", 0, "write", 0, "status_4xx", 0,
		"status_5xx", 0, "total", timeouts));
	json_object_set_new(o, "dropped", json_integer(0));
	json_object_set_new(o, "error_rate",
			    json_real(requests ? (double)timeouts / (double)requests : 0));
	json_object_set_new(o, "latency_us", json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
		"min", base_us * 0.5, "mean", base_us * 1.1, "stdev", base_us * 0.2,
		"p50", base_us, "p90", base_us * 1.3, "p99", base_us * 2, "p999", base_us * 9,
		"p9999", base_us * 12, "max", base_us * 40));
	if (timeline)
		json_object_set_new(o, "timeline", timeline);
	if (histogram)
		json_object_set_new(o, "histogram", histogram);
}

static json_t *make_scenario(const char *name, const char *model, double target_rps,
			     double base_us, json_int_t timeouts, size_t seconds)
{
	json_t *s = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "name", name, "model", model,
			      "connections", 50, "threads", 1, "method", "GET",
			      "path", "/v1/x?a=1&b=2");

	if (target_rps > 0)
		json_object_set_new(s, "target_rps", json_real(target_rps));
	fill_node(s, (double)seconds + 0.003, (json_int_t)seconds * 250, base_us, timeouts,
		  make_timeline(seconds, 250, base_us, timeouts > 0),
		  make_hist(seconds + (uint64_t)base_us, (uint64_t)(base_us * 1000), 5000));
	return s;
}

static json_t *make_result(const char *target, json_t *scenarios, json_t *thresholds)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:b}", "format", "loadtest-result/1",
			      "tool", "loadtest 0.1.0", "started_at", "2026-11-29T13:00:00Z",
			      "target", target, "ok", 0);

	if (scenarios)
		json_object_set_new(r, "scenarios", scenarios);
	if (thresholds)
		json_object_set_new(r, "thresholds", thresholds);
	return r;
}

static json_t *two_scenarios(void)
{
	json_t *scenarios = json_pack("[o, o]",
		make_scenario("ingest", "open", 250, 800, 15, 30),
		make_scenario("query <all>", "closed", 0, 90, 0, 30));
	json_t *thresholds = json_pack("[{s:n, s:s, s:b, s:s}, {s:s, s:s, s:b, s:s},"
				       " {s:n, s:s, s:b, s:s}]",
		"scenario", "expr", "p(99) < 200ms", "ok", 1, "observed", "12.3ms",
		"scenario", "ingest", "expr", "rate > 260 && errors == 0", "ok", 0,
		"observed", "250/s",
		"scenario", "expr", "error_rate < 1%", "ok", 1, "observed", "0.2%");
	json_t *r = make_result("http://127.0.0.1:8080/", scenarios, thresholds);

	fill_node(r, 30.003, 15000, 400, 15, make_timeline(30, 500, 400, 1),
		  make_hist(7, 400000, 10000));
	return r;
}

/* The open model's plan in each second: 0 to 250 over 10 s, then flat. */
static void add_ramp(json_t *timeline)
{
	for (size_t i = 0; i < json_array_size(timeline); i++) {
		double t = (double)i + 1;

		json_object_set_new(json_array_get(timeline, i), "planned",
				    json_real(t <= 10 ? 25 * t - 12.5 : 250));
	}
}

/* Each second's errors as connect and 5xx (two and the rest). */
static void add_kinds(json_t *timeline)
{
	for (size_t i = 0; i < json_array_size(timeline); i++) {
		json_t *e = json_array_get(timeline, i);
		json_int_t errs = json_integer_value(json_object_get(e, "errors"));

		if (errs > 0)
			json_object_set_new(e, "error_kinds", json_pack("{s:I, s:I}",
				"connect", (json_int_t)2, "status_5xx", errs - 2));
	}
}

/* Each second's errors by status code: 401 and 429, and in one second a 503 too. */
static void add_codes(json_t *timeline)
{
	for (size_t i = 0; i < json_array_size(timeline); i++) {
		json_t *e = json_array_get(timeline, i);
		json_int_t errs = json_integer_value(json_object_get(e, "errors"));

		if (errs <= 0)
			continue;
		json_object_set_new(e, "error_kinds", json_pack("{s:I, s:I}", "status_4xx", errs - 1,
								"status_5xx", (json_int_t)1));
		json_object_set_new(e, "error_codes", json_pack("{s:I, s:I, s:I}", "401", (json_int_t)2,
								"429", errs - 3, "503", (json_int_t)1));
	}
}

/* The first second 100 times slower than usual: a spike. */
static void add_spike(json_t *timeline)
{
	json_t *e = json_array_get(timeline, 0);

	for (size_t j = 0; j < 4; j++) {
		static const char *const keys[] = { "p50_us", "p90_us", "p99_us", "max_us" };

		json_object_set_new(e, keys[j], json_real(json_number_value(json_object_get(e, keys[j])) * 100));
	}
}

/* ---- checks ---- */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* word (lower case) anywhere in s, case-insensitively, not inside a word */
static int has_word(const char *s, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = s; (p = strcasestr(p, word)); p++) {
		int before = p > s && isalpha((unsigned char)p[-1]);
		int after = isalpha((unsigned char)p[len]);

		if (!before && !after)
			return 1;
	}
	return 0;
}

static char *write_temp(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, len, f) != len) {
		if (f)
			fclose(f);
		free(path);
		return NULL;
	}
	fclose(f);
	return path;
}

/*
 * Errors xmllint --html reports, less "Tag svg invalid" and the like:
 * libxml2's HTML parser knows HTML 4 only, so every HTML5 and SVG element
 * is "invalid" to it. The count, and the first one in first.
 */
static int html_errors(const char *out, struct strbuf *first)
{
	int n = 0;

	for (const char *s = out, *e; *s; s = *e ? e + 1 : e) {
		const char *m;

		e = strchrnul(s, '\n');
		m = strstr(s, "parser error : ");
		if (!m || m > e)
			continue;
		m += strlen("parser error : ");
		if (!strncmp(m, "Tag ", 4) && e - m > 8 && !strncmp(e - 8, " invalid", 8))
			continue;
		if (!n++)
			strbuf_add(first, s, (size_t)(e - s));
	}
	return n;
}

static void check_xmllint(const char *what, const char *page)
{
	const char *version[] = { "xmllint", "--version", NULL };
	const char *argv[] = { "xmllint", "--html", "--noout", NULL, NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, first = STRBUF_INIT;
	const char *body = strchr(page, '\n');
	char *html = NULL, *xml = NULL;
	int ok;

	if (have_xmllint < 0)
		have_xmllint = run_command_capture(version, &out, 10000, &err) == 0;
	if (!have_xmllint) {
		tap_skip("xmllint is not installed (package libxml2-utils)", "%s: xmllint", what);
		goto out;
	}
	html = write_temp("page.html", page, strlen(page));
	xml = write_temp("page.xml", body ? body + 1 : "", body ? strlen(body + 1) : 0);
	if (!tap_ok(html && xml, "%s: page written to %s", what, tmpdir))
		goto out_free;
	argv[3] = html;
	strbuf_reset(&out);
	ok = run_command_capture(argv, &out, 30000, &err) == 0 && !html_errors(out.buf, &first);
	tap_ok(ok, "%s: xmllint --html reports no errors%s%s", what,
	       first.len ? ": " : "", first.buf);
	/* without the HTML doctype, the page must parse as XML: every tag closed */
	argv[1] = "--noout";
	argv[2] = xml;
	argv[3] = NULL;
	strbuf_reset(&out);
	if (!tap_ok(run_command_capture(argv, &out, 30000, &err) == 0 && !out.len,
		    "%s: well-formed as XML (xmllint --noout)", what))
		tap_diag("%.400s", out.buf);
out_free:
	if (html)
		unlink(html);
	if (xml)
		unlink(xml);
	free(html);
	free(xml);
out:
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&first);
}

/* The SVG whose title ends with what, as a string the caller frees; "" if none. */
static char *plot_of(const char *page, const char *what)
{
	const char *p = strstr(page, what), *start, *end;

	if (!p)
		return xstrdup("");
	for (start = p; start > page && strncmp(start, "<svg ", 5); start--)
		;
	end = strstr(p, "</svg>");
	return end ? xstrndup(start, (size_t)(end - start)) : xstrdup("");
}

/* The number of points on the path of the series whose tooltip starts with tip. */
static size_t path_points(const char *svg, const char *tip)
{
	const char *p = strstr(svg, tip), *end;
	size_t n = 0;

	if (!p || !(p = strstr(p, " d=\"")) || !(end = strchr(p + 4, '"')))
		return 0;
	for (; p < end; p++)
		n += *p == 'M' || *p == 'L';
	return n;
}

/* What every page must be; returns the page, which the caller frees. */
static char *check_page(const char *what, const json_t *result, size_t svgs)
{
	struct strbuf sb = STRBUF_INIT;

	report_html(&sb, result);
	tap_ok(!strncmp(sb.buf, "<!doctype html>\n", 16), "%s: starts with <!doctype html>", what);
	tap_is_int((intmax_t)count(sb.buf, "<svg "), (intmax_t)svgs, "%s: %zu plots", what, svgs);
	tap_ok(!strcasestr(sb.buf, "<script"), "%s: no <script", what);
	tap_ok(!has_word(sb.buf, "nan") && !has_word(sb.buf, "inf"), "%s: no nan, no inf", what);
	tap_ok(!strstr(sb.buf, " src=") && !strstr(sb.buf, "href=\"http") && !strstr(sb.buf, "url(")
	       && !strstr(sb.buf, "@import"), "%s: nothing loaded from outside", what);
	tap_ok(sb.len > 0 && sb.buf[sb.len - 1] == '\n' && strstr(sb.buf, "</html>"),
	       "%s: the page is complete", what);
	check_xmllint(what, sb.buf);
	return strbuf_detach(&sb, NULL);
}

/* ---- tests ---- */

static void test_two_scenarios(void)
{
	json_t *r = two_scenarios();
	struct strbuf again = STRBUF_INIT;
	/* overall 4, ingest 4, query 3: it has no errors, so a note instead */
	char *page = check_page("two scenarios", r, 11), *errs;

	tap_ok(strstr(page, "Load test of http://127.0.0.1:8080/</h1>") != NULL,
	       "the target is the title");
	tap_ok(strstr(page, "2026-11-29T13:00:00Z") && strstr(page, "30 s"), "start and duration");
	tap_ok(strstr(page, "<code>p(99) &lt; 200ms</code>")
	       && strstr(page, "<code>error_rate &lt; 1%</code>")
	       && strstr(page, "<code>rate &gt; 260 &amp;&amp; errors == 0</code>"),
	       "every threshold expression, escaped");
	tap_is_int((intmax_t)count(page, "class=\"l fail\">\xe2\x9c\x97 FAIL<"), 1,
		   "the failed threshold says FAIL in words");
	tap_is_int((intmax_t)count(page, "class=\"l pass\">\xe2\x9c\x93 pass<"), 2, "two say pass");
	tap_ok(strstr(page, "1 of 3 thresholds failed") != NULL, "the verdict counts failures");
	tap_ok(strstr(page, "query &lt;all&gt;") && !strstr(page, "query <all>"),
	       "scenario names are escaped");
	tap_ok(strstr(page, "/v1/x?a=1&amp;b=2") != NULL, "paths are escaped");
	tap_ok(strstr(page, "timeout 15") != NULL, "errors by kind");
	tap_is_int((intmax_t)count(page, "<strong>No errors and no dropped requests</strong>"), 1,
		   "the scenario without errors says so");
	tap_is_int((intmax_t)count(page, "class=\"c6 dash\""), 2,
		   "a target line (and its legend) for the open scenario only");
	tap_ok(strstr(page, "latency (log scale)") && strstr(page, "latency (linear scale)"),
	       "log and linear latency axes, labelled");
	tap_ok(strstr(page, ">99.9%</text>") && strstr(page, ">90%</text>"),
	       "the spectrum's axis in nines");
	tap_ok(strstr(page, ">all scenarios</text>") != NULL,
	       "the overall spectrum compares scenarios");
	tap_is_int((intmax_t)count(page, "class=\"hov\""), 8 * 30,
		   "a tooltip per second in 8 plots");
	tap_ok(strstr(page, " ms</text>") && strstr(page, " \xc2\xb5s</text>"),
	       "tick labels have units");
	errs = plot_of(page, "all scenarios: Errors and dropped requests over time");
	tap_ok(strstr(errs, ">errors</text>") && strstr(errs, ">dropped</text>")
	       && !strstr(errs, ">timeout</text>"),
	       "without error_kinds, errors are one series");
	free(errs);
	tap_ok(strstr(page, "(coordinated omission corrected)")
	       && strstr(page, "at the time they had waited"),
	       "the notes say how the open model measures");
	report_html(&again, r);
	tap_ok(!strcmp(page, again.buf), "the same input gives the same page");
	strbuf_release(&again);
	free(page);
	json_decref(r);
}

static void test_no_requests(void)
{
	struct hist h = HIST_INIT;
	json_t *r = make_result("http://x/", NULL, NULL);
	char *page;

	hist_init(&h, 7);
	fill_node(r, 0.4, 0, 0, 0, json_array(), hist_to_json(&h));
	json_object_set_new(json_object_get(r, "latency_us"), "p50", json_real(0));
	page = check_page("no requests", r, 0);
	tap_ok(strstr(page, "No thresholds were set.") != NULL, "no thresholds: said so");
	tap_ok(strstr(page, "no per-second timeline") != NULL, "no timeline: said so");
	tap_ok(strstr(page, "No latencies were recorded") != NULL, "an empty histogram: said so");
	tap_ok(strstr(page, "No responses were received") != NULL, "no latencies in the summary");
	tap_ok(!strstr(page, "<h2>Scenarios</h2>"), "no scenario table without scenarios");
	free(page);
	json_object_del(r, "histogram");
	json_object_del(r, "timeline");
	page = check_page("no timeline, no histogram", r, 0);
	tap_ok(strstr(page, "No latency histogram in the result") != NULL, "no histogram: said so");
	free(page);
	hist_release(&h);
	json_decref(r);
}

static void test_escaping(void)
{
	json_t *r = make_result("<script>&\"", NULL, NULL);
	char *page = check_page("hostile target", r, 0);

	tap_ok(strstr(page, "<title>Load test report: &lt;script&gt;&amp;&quot;</title>") != NULL,
	       "the target is escaped in the title");
	tap_ok(strstr(page, "<h1>Load test of &lt;script&gt;&amp;&quot;</h1>") != NULL,
	       "and in the heading");
	free(page);
	json_decref(r);
}

static void test_one_second(void)
{
	json_t *r = make_result("http://x/", NULL, NULL);
	char *page;

	fill_node(r, 1.2, 250, 100, 0, make_timeline(1, 250, 100, 0), make_hist(3, 100000, 1));
	page = check_page("one second", r, 3);
	tap_ok(count(page, "<circle cx=") >= 4, "a lone point is drawn as a dot");
	free(page);
	json_decref(r);
}

static void test_one_hour(void)
{
	json_t *s = make_scenario("soak", "open", 250, 2000, 30, 3600);
	json_t *r = make_result("http://x/", json_pack("[O]", s), NULL);
	char *page;

	fill_node(r, 3600.003, 900000, 2000, 30, json_incref(json_object_get(s, "timeline")),
		  json_incref(json_object_get(s, "histogram")));
	page = check_page("one hour", r, 4);
	tap_ok(strlen(page) < 300 * 1024, "an hour is under 300 KiB (%zu bytes)", strlen(page));
	tap_ok(strstr(page, "highest of each 6 s (600 points)") && strstr(page, "mean of each 6 s"),
	       "the grouping is said on the plots");
	tap_is_int((intmax_t)count(page, "class=\"hov\""), 0,
		   "no tooltip per point for 600 points");
	tap_ok(strstr(page, ">1h</text>") && strstr(page, ">30m</text>"),
	       "time ticks in minutes and hours");
	free(page);
	json_decref(s);
	json_decref(r);
}

static void test_absurd(void)
{
	json_t *r = make_result("http://x/", NULL, NULL);
	json_t *tl = json_array(), *lat;
	char *page;

	fill_node(r, 1e300, 1000000000000000000, 1e12, 0, tl, make_hist(9, 1ULL << 41, 100));
	json_object_set_new(r, "rps", json_real(1e300));
	json_object_set_new(r, "error_rate", json_real(-5));
	lat = json_object_get(r, "latency_us");
	json_object_set_new(lat, "max", json_real(1.7e308));
	json_array_append_new(tl, json_pack("{s:i, s:f, s:f, s:f, s:f, s:f}", "t", 1,
		"requests", 1e300, "p50_us", 1e-300, "p90_us", 0.0, "p99_us", 1e300,
		"max_us", 1.7e308));
	json_array_append_new(tl, json_pack("{s:i, s:i, s:f}", "t", 2, "requests", 0,
					    "p50_us", 5.0));
	json_array_append_new(tl, json_pack("{s:i, s:f, s:f}", "t", 3, "errors", 1e300,
					    "dropped", 1e308));
	json_array_append_new(tl, json_string("not a second"));
	page = check_page("absurd numbers", r, 4);
	free(page);
	json_decref(r);
}

static void test_wrong_types(void)
{
	json_t *r = json_pack("{s:i, s:[s, i, {s:s}], s:[i, {}], s:{s:s}, s:s, s:[i]}",
		"target", 5, "scenarios", "x", 3, "name", "\x01odd\x7f", "thresholds", 1,
		"errors", "total", "many", "histogram", "no", "timeline", 4);
	json_t *arr = json_array();
	/* the timeline's one second is a number: zero requests, so a flat throughput */
	char *page = check_page("wrong types", r, 1);

	tap_ok(strstr(page, "?odd?") != NULL, "control characters are replaced");
	tap_ok(strstr(page, "could not be read (histogram: not an object)") != NULL,
	       "an unreadable histogram: said why");
	free(page);
	page = check_page("not an object", arr, 0);
	free(page);
	json_decref(arr);
	json_decref(r);
}

/*
 * A result of one open scenario at 250/s over 20 s whose timeline
 * `decorate` (if any) adds to (the plan, error kinds); the top level
 * repeats the scenario's figures.
 */
static json_t *one_open_scenario(const char *name, int errors,
				 void (*decorate)(json_t *timeline), json_t **scenario)
{
	json_t *s = make_scenario(name, "open", 250, 800, errors, 20);
	json_t *r = make_result("http://x/", json_pack("[O]", s), NULL);

	if (decorate)
		decorate(json_object_get(s, "timeline"));
	fill_node(r, 20.003, 5000, 800, errors, json_incref(json_object_get(s, "timeline")),
		  json_incref(json_object_get(s, "histogram")));
	*scenario = s;
	return r;
}

/* The page of one open scenario (one_open_scenario()), checked as every page is, and one of its plots. */
struct one_page {
	json_t *r, *s;
	char *page, *plot;
};

/* `adjust`, when not NULL, changes the result first; `plot` is the plot's title after "NAME: ". */
static void one_page(struct one_page *p, const char *name, int errors, void (*decorate)(json_t *),
		     void (*adjust)(json_t *r, json_t *s), size_t svgs, const char *plot)
{
	struct strbuf title = STRBUF_INIT;

	p->r = one_open_scenario(name, errors, decorate, &p->s);
	if (adjust)
		adjust(p->r, p->s);
	p->page = check_page(name, p->r, svgs);
	strbuf_addf(&title, "%s: %s", name, plot);
	p->plot = plot_of(p->page, title.buf);
	strbuf_release(&title);
}

static void one_page_release(struct one_page *p)
{
	free(p->plot);
	free(p->page);
	json_decref(p->s);
	json_decref(p->r);
}

static void test_ramp(void)
{
	struct one_page p;

	/* the scenario's latency, throughput and spectrum; no errors */
	one_page(&p, "ramp", 0, add_ramp, NULL, 3, "Throughput over time");
	tap_ok(strstr(p.plot, "<g class=\"c6 dash\"><title>planned") && strstr(p.plot, ">planned</text>"),
	       "the planned rate is drawn, with a legend");
	tap_is_int((intmax_t)path_points(p.plot, "<title>planned"), 20,
		   "the planned line has a point per second");
	tap_ok(!strstr(p.plot, "target (mean)"), "and no flat target line instead");
	tap_ok(strstr(p.plot, "second 1: 250 requests/s (planned 12.5)")
	       && strstr(p.plot, "(planned 250)"), "the tooltips say the plan of the second");
	tap_ok(strstr(p.plot, "lowest 12.5/s, highest 250/s") != NULL, "the line's range is said");
	one_page_release(&p);
}

static void test_error_kinds(void)
{
	struct one_page p;

	one_page(&p, "kinds", 10, add_kinds, NULL, 4, "Errors and dropped requests over time");
	tap_ok(strstr(p.plot, ">connect</text>") && strstr(p.plot, ">5xx</text>"),
	       "both kinds are named in the legend");
	tap_ok(strstr(p.plot, ">dropped</text>") != NULL, "dropped as before");
	tap_ok(!strstr(p.plot, ">errors</text>") && !strstr(p.plot, ">timeout</text>")
	       && !strstr(p.plot, ">other</text>"), "no total, and no kind that did not occur");
	tap_ok(strstr(p.plot, "second 4: 5 errors/s (connect 2, 5xx 3), 0 dropped/s") != NULL,
	       "the tooltip splits the second's errors");
	tap_ok(strstr(p.plot, "errors by kind") != NULL, "the note says so");
	tap_ok(strstr(p.page, "target (mean)") != NULL, "no planned: the flat target line");
	one_page_release(&p);
}

/* The run's answers by status code, and the first reason of two of them. */
static void add_code_totals(json_t *r, json_t *s)
{
	json_object_set_new(r, "status_codes", json_pack("{s:i, s:i, s:i, s:i}", "200", 4990,
							 "401", 4, "429", 4, "503", 2));
	json_object_set_new(r, "error_examples", json_pack("{s:s, s:s}", "status_401",
		"Unauthorized: {\"error\":\"bad <token>\"}", "status_429", "Too Many Requests"));
	json_object_set_new(s, "status_codes", json_deep_copy(json_object_get(r, "status_codes")));
}

static void test_error_codes(void)
{
	struct one_page p;

	one_page(&p, "codes", 10, add_codes, add_code_totals, 4, "Errors and dropped requests over time");
	tap_ok(strstr(p.plot, ">401</text>") && strstr(p.plot, ">429</text>") && strstr(p.plot, ">503</text>"),
	       "each status code has a line and a legend");
	tap_ok(!strstr(p.plot, ">4xx</text>") && !strstr(p.plot, ">5xx</text>") && !strstr(p.plot, ">other</text>"),
	       "not the classes too, and nothing left over");
	tap_ok(strstr(p.plot, "<g class=\"c5\"><title>401") && strstr(p.plot, "<g class=\"c5 dash\"><title>429") &&
	       strstr(p.plot, "<g class=\"c3\"><title>503"), "4xx in one colour, 5xx in another, told apart by dashes");
	tap_ok(strstr(p.plot, "second 4: 5 errors/s (401 2, 429 2, 503 1)") != NULL,
	       "the tooltip splits the second by code");
	tap_ok(strstr(p.plot, "errors by kind and status code") != NULL, "the note says so");
	tap_ok(strstr(p.page, "<code>status_401</code></td><td>4</td><td class=\"l\">"
			      "Unauthorized: {&quot;error&quot;:&quot;bad &lt;token&gt;&quot;}</td>") &&
	       strstr(p.page, "<code>status_503</code></td><td>2</td><td class=\"l\">\xe2\x80\x93</td>"),
	       "a table of the errors by code, with the first answer of each (escaped)");
	tap_ok(strstr(p.page, "status_401 4, status_429 4, status_503 2") != NULL,
	       "the scenario table counts errors by code");
	one_page_release(&p);
}

static void test_spike(void)
{
	struct one_page p;

	one_page(&p, "spike", 0, add_spike, NULL, 3, "Latency percentiles over time");
	tap_ok(strstr(p.plot, "latency (linear scale, cut)") && !strstr(p.plot, "log scale"),
	       "a linear axis cut above the spike, not a log one");
	/* the rest reach 38.4 ms (max, every tenth second): cut at twice that, 100 ms once rounded */
	tap_ok(strstr(p.plot, ">100 ms</text>") && !strstr(p.plot, ">120 ms</text>"),
	       "the axis ends at twice what the rest reach");
	tap_is_int((intmax_t)count(p.plot, ", off the scale</title></path>"), 3,
		   "the three points of the spike above it are marked (its p50, 80 ms, is within)");
	tap_ok(strstr(p.plot, "second 1: max 480 ms, off the scale") != NULL, "saying their value");
	tap_ok(strstr(p.plot, "3 above the axis (\xe2\x96\xb2), up to 480 ms") != NULL, "and the note says so");
	one_page_release(&p);
}

static void interrupt(json_t *r, json_t *s)
{
	(void)s;
	json_object_set_new(r, "interrupted", json_true());
	json_object_set_new(r, "stopped", json_string("every TLS handshake failed: <reason>"));
}

static void test_partial(void)
{
	struct one_page p;

	one_page(&p, "partial", 0, NULL, interrupt, 3, "Latency percentiles over time");
	tap_ok(strstr(p.page, "<p class=\"partial\"><strong>Interrupted</strong> after 20 s: the figures "
			      "are of the part that ran.</p>") != NULL, "an interrupted run says so");
	tap_ok(strstr(p.page, "<strong>Stopped early</strong>: every TLS handshake failed: &lt;reason&gt;.")
	       != NULL, "and a run the engine stopped says why");
	tap_ok(strstr(p.page, "class=\"partial\"") < strstr(p.page, "<h2>Summary</h2>"),
	       "before any figure");
	one_page_release(&p);
}

int main(void)
{
	char tmpl[] = "/tmp/test-report-html.XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_two_scenarios();
	test_no_requests();
	test_escaping();
	test_one_second();
	test_one_hour();
	test_absurd();
	test_wrong_types();
	test_ramp();
	test_error_kinds();
	test_error_codes();
	test_spike();
	test_partial();
	rmdir(tmpdir);
	return tap_done();
}
