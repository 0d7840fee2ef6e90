/*
 * Unit tests of loadtest's parts: the HTTP response parser (and what it
 * keeps of an error), request templates and target paths, thresholds (by
 * status code too), the open model's plan, and the checks and sums of
 * `merge` on result documents.
 */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "http-parse.h"
#include "net.h"
#include "report.h"
#include "result.h"
#include "strbuf.h"
#include "tap.h"
#include "template.h"
#include "threshold.h"

/* Feed `s` in pieces of `step` bytes; returns the final state. */
static enum hp_state feed(struct hp *p, const char *s, size_t step, int head, size_t *used)
{
	size_t len = strlen(s), off = 0;

	hp_init(p, head);
	while (off < len && p->state != HP_DONE) {
		size_t n = len - off < step ? len - off : step;
		ssize_t u = hp_feed(p, s + off, n);

		if (u < 0)
			return HP_ERROR;
		off += (size_t)u;
	}
	if (used)
		*used = off;
	return p->state;
}

static void test_parser_ok(void)
{
	static const struct {
		const char *resp;
		unsigned status;
		uint64_t body;
		int close;
		const char *name;
	} cases[] = {
		{ "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 204, 0, 0, "204 without a body" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, 5, 0, "content-length" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\n ab\r\n0\r\nX-T: 1\r\n\r\n",
		  200, 8, 0, "chunked with an extension and a trailer" },
		{ "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 200, 2, 0, "bare LF line ends" },
		{ "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, 2, 1, "HTTP/1.0 closes" },
		{ "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", 200, 2, 0,
		  "HTTP/1.0 keep-alive" },
		{ "HTTP/1.1 503 Busy\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", 503, 0, 1,
		  "Connection: close" },
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", 201, 1, 0,
		  "an interim 100 is skipped" },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 99\r\n\r\n1\r\nx\r\n0\r\n\r\n",
		  200, 1, 0, "chunked wins over Content-Length" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static const size_t steps[] = { 1, 3, 7, 4096 };

		for (size_t k = 0; k < 4; k++) {
			struct hp p;
			enum hp_state st = feed(&p, cases[i].resp, steps[k], 0, NULL);

			tap_ok(st == HP_DONE && p.status == cases[i].status && p.body_bytes == cases[i].body &&
				       p.close == cases[i].close,
			       "parser: %s (pieces of %zu)", cases[i].name, steps[k]);
		}
	}
}

static void test_parser_edges(void)
{
	struct hp p;
	size_t used;
	static char big[HP_MAX_LINE + 100];

	tap_ok(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 4096, 0, &used) == HP_DONE &&
		       used == strlen("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	       "parser: stops at the end of a response");
	tap_ok(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 4096, 1, NULL) == HP_DONE,
	       "parser: a HEAD response has no body");
	feed(&p, "HTTP/1.1 200 OK\r\n\r\nabc", 4096, 0, NULL);
	tap_ok(p.state == HP_BODY_EOF && hp_eof(&p) == 0 && p.body_bytes == 3 && p.close,
	       "parser: a body without a length ends at close");
	feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 4096, 0, NULL);
	tap_ok(hp_eof(&p) < 0 && !strcmp(p.error, "response cut short"), "parser: a short body is an error");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	tap_ok(feed(&p, big, 4096, 0, NULL) == HP_ERROR && !strcmp(p.error, "line too long"),
	       "parser: a header line over the limit is refused");
}

/* What the parser keeps of an answer: its reason phrase and the start of its body, for errors. */
static void test_parser_excerpt(void)
{
	static const struct {
		const char *resp;
		const char *want;
		const char *name;
	} cases[] = {
		{ "HTTP/1.1 401 Unauthorized\r\nContent-Length: 28\r\n\r\n{\"error\":\"bad credentials\"}",
		  "Unauthorized: {\"error\":\"bad credentials\"}", "a reason and a body" },
		{ "HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nslow\r\n"
		  "5\r\n down\r\n0\r\n\r\n", "Too Many Requests: slow down", "a chunked body" },
		{ "HTTP/1.1 503 \r\nContent-Length: 4\r\n\r\nbusy", "busy", "a body without a reason" },
		{ "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", "Oops", "a reason without a body" },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "", "nothing of a success" },
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx",
		  "Not Found: x", "the final answer's, after an interim one" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hp p;

		feed(&p, cases[i].resp, 3, 0, NULL);
		tap_ok(p.excerpt_len == strlen(cases[i].want) &&
		       !memcmp(p.excerpt, cases[i].want, p.excerpt_len),
		       "parser keeps %s: '%.*s'", cases[i].name, (int)p.excerpt_len, p.excerpt);
	}
	{
		struct strbuf big = STRBUF_INIT;
		struct hp p;

		strbuf_addstr(&big, "HTTP/1.1 400 Bad Request\r\nContent-Length: 500\r\n\r\n");
		for (int i = 0; i < 500; i++)
			strbuf_addch(&big, 'b');
		strbuf_addstr(&big, "HTTP/1.1 200 OK\r\n");
		feed(&p, big.buf, 4096, 0, NULL);
		tap_ok(p.state == HP_DONE && p.excerpt_len == HP_EXCERPT && p.body_bytes == 500,
		       "parser keeps at most %d bytes, and not the next answer's", HP_EXCERPT);
		strbuf_release(&big);
	}
}

static void test_parser_errors(void)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hp p;
		enum hp_state st = feed(&p, bad[i], 4096, 0, NULL);

		tap_ok(st == HP_ERROR && p.error, "parser refuses case %zu (%s)", i + 1,
		       p.error ? p.error : "accepted");
	}
}

static void test_template(void)
{
	struct header h[] = { { "Content-Type", "application/json" }, { "X-Id", "${uuid}" } };
	struct request_spec spec = {
		.method = "POST", .path = "/v1/obs?b=${seq}", .headers = h, .nr_headers = 2,
		.body = "{\"id\":\"${uuid}\",\"n\":${seq},\"lit\":\"$${seq}\"}", .body_len = 0,
	};
	struct req_template t;
	struct strbuf err = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	struct tctx c;
	const struct strbuf *r;
	const char *why;

	spec.body_len = strlen(spec.body);
	tap_ok(req_template_init(&t, &spec, "127.0.0.1:8080", "/api/", &err) == 0, "template: builds");
	tctx_init(&c, 3, 4);
	r = req_render(&t, &c, &a, &b);
	tap_ok(!strncmp(r->buf, "POST /api/v1/obs?b=3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 52),
	       "template: request line joins the base path, ${seq} starts at the first value");
	tap_ok(strstr(r->buf, "\"n\":3,\"lit\":\"${seq}\"}") != NULL, "template: $${ is a literal ${");
	tap_ok(strstr(r->buf, "Content-Length: ") != NULL && strstr(r->buf, "-4") != NULL,
	       "template: Content-Length and a version 4 UUID");
	{
		const char *cl = strstr(r->buf, "Content-Length: ");
		const char *body = strstr(r->buf, "\r\n\r\n") + 4;

		tap_is_int((intmax_t)strtoul(cl + 16, NULL, 10), (intmax_t)strlen(body),
			   "template: Content-Length is the rendered body's length");
	}
	r = req_render(&t, &c, &a, &b);
	tap_ok(strstr(r->buf, "?b=7 ") != NULL, "template: ${seq} advances by the step");
	req_template_release(&t);
	tap_ok(template_check("${nope}", &why) < 0 && strstr(why, "unknown variable"),
	       "template: unknown variables are refused");
	tap_ok(template_check("${seq", &why) < 0, "template: an unclosed ${ is refused");
	spec.headers = (struct header[]){ { "Bad\r\nName", "x" } };
	spec.nr_headers = 1;
	strbuf_reset(&err);
	tap_ok(req_template_init(&t, &spec, "h", "/", &err) < 0 && strstr(err.buf, "header"),
	       "template: a line break in a header is refused");
	spec.headers = (struct header[]){ { "Content-Length", "3" } };
	strbuf_reset(&err);
	tap_ok(req_template_init(&t, &spec, "h", "/", &err) < 0, "template: Content-Length is not settable");
	spec = (struct request_spec){ .method = "GET" };
	strbuf_reset(&err);
	tap_ok(req_template_init(&t, &spec, "h:1", "/x?y=1", &err) == 0 &&
		       !strcmp(t.fixed.buf, "GET /x?y=1 HTTP/1.1\r\nHost: h:1\r\nUser-Agent: loadtest/" LOADTEST_VERSION
					    "\r\n\r\n"),
	       "template: a request without variables is built once");
	req_template_release(&t);
	strbuf_release(&err);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void test_thresholds(void)
{
	static const struct {
		const char *expr;
		enum th_metric m;
		double v;
	} good[] = {
		{ "p(99) < 200ms", TM_PCT, 200000 }, { "p(99.9)<=1.5s", TM_PCT, 1.5e6 },
		{ "avg < 250us", TM_AVG, 250 }, { "med < 10ms", TM_PCT, 10000 },
		{ "error_rate < 1%", TM_ERROR_RATE, 0.01 }, { "error_rate <= 0.05", TM_ERROR_RATE, 0.05 },
		{ "rate >= 250/s", TM_RATE, 250 }, { "rate >= 250r/s", TM_RATE, 250 },
		{ "rate > 600/m", TM_RATE, 10 }, { "dropped == 0", TM_DROPPED, 0 },
		{ "max < 2m", TM_MAX, 120e6 }, { "requests >= 1000", TM_REQUESTS, 1000 },
		{ "status_429 < 1%", TM_STATUS, 0.01 }, { "status_5xx < 0.1%", TM_STATUS, 0.001 },
		{ "status_401 == 0", TM_STATUS, 0 }, { "status_2xx >= 99.5%", TM_STATUS, 0.995 },
	};
	static const char *const bad[] = {
		"p(99) < 200", "p(0) < 1ms", "p(101) < 1ms", "p99 < 1ms", "latency < 1ms",
		"error_rate < 150%", "rate >= 250", "p(99) 200ms", "dropped == 1.5", "avg < 3 hours", "",
		"status_42 < 1%", "status_600 == 0", "status_4xy < 1%", "status_429 < 1.5",
		"status_429 < 1ms", "status_ < 1",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct threshold t;
		struct strbuf why = STRBUF_INIT;
		int rc = threshold_parse(&t, good[i].expr, &why);

		tap_ok(rc == 0 && t.metric == good[i].m && fabs(t.value - good[i].v) < 1e-9,
		       "threshold '%s' parses%s%s", good[i].expr, why.len ? ": " : "", why.buf);
		threshold_release(&t);
		strbuf_release(&why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct threshold t;
		struct strbuf why = STRBUF_INIT;

		tap_ok(threshold_parse(&t, bad[i], &why) < 0 && why.len, "threshold '%s' is refused: %s",
		       bad[i], why.buf);
		strbuf_release(&why);
	}
}

/* status_NNN and status_Nxx judged on a part: as a count, or a share of the intended requests. */
static void test_status_thresholds(void)
{
	static const struct {
		const char *expr;
		int ok;
		const char *observed;
	} cases[] = {
		{ "status_429 < 1%", 0, "2% (2)" }, { "status_429 <= 2%", 1, "2% (2)" },
		{ "status_401 == 0", 1, "0" }, { "status_503 == 1", 1, "1" },
		{ "status_4xx < 3", 1, "2" }, { "status_5xx < 0.1%", 0, "1% (1)" },
		{ "status_2xx >= 90%", 1, "90% (90)" },
	};
	/* 93 answers, 5 timeouts, 2 dropped: 100 intended */
	json_t *part = json_pack("{sisis{sisisisi}s{sisisisisi}s{sisisi}}", "requests", 93, "dropped", 2,
		"errors", "connect", 0, "timeout", 5, "read", 0, "write", 0,
		"status", "1xx", 0, "2xx", 90, "3xx", 0, "4xx", 2, "5xx", 1,
		"status_codes", "200", 90, "429", 2, "503", 1);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct threshold t;
		struct strbuf why = STRBUF_INIT, obs = STRBUF_INIT;
		int ok = threshold_parse(&t, cases[i].expr, &why) == 0 &&
			 threshold_check(&t, part, &obs) == cases[i].ok;

		tap_ok(ok && !strcmp(obs.buf, cases[i].observed), "threshold '%s' %s (observed %s)",
		       cases[i].expr, cases[i].ok ? "holds" : "fails", obs.buf);
		threshold_release(&t);
		strbuf_release(&why);
		strbuf_release(&obs);
	}
	json_decref(part);
}

/* A target's path, and the path a scenario's requests go to (what reports are labelled with). */
static void test_paths(void)
{
	static const struct {
		const char *url, *path, *want;
	} cases[] = {
		{ "http://127.0.0.1:8080/v1/stats?x=1", NULL, "/v1/stats?x=1" },
		{ "http://127.0.0.1:8080", NULL, "/" },
		{ "http://127.0.0.1:8080?x=1", NULL, "/?x=1" },
		{ "http://127.0.0.1:8080/api/", "/v1/obs", "/api/v1/obs" },
		{ "http://127.0.0.1:8080/api", "?q=1", "/api?q=1" },
		{ "http://127.0.0.1:8080/x#frag", NULL, "/x" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target t;
		struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;

		if (target_init(&t, cases[i].url, NULL, &err) == 0) {
			request_path(&path, t.path, cases[i].path);
			target_release(&t);
		}
		tap_is_str(path.buf, cases[i].want, "path of %s + %s", cases[i].url,
			   cases[i].path ? cases[i].path : "(none)");
		strbuf_release(&err);
		strbuf_release(&path);
	}
}

/* A copy's result, as `run` writes it (what the checks and the sum read). */
static json_t *copy_doc(const char *digest, const char *target, int shard, int shards, const char *id,
			int n401)
{
	json_t *run = json_pack("{sssisi}", "scenario_sha256", digest, "shard", shard, "shards", shards);
	json_t *sc = json_pack("{sssssisi}", "name", "q", "model", "open", "connections", 4, "threads", 1);
	json_t *doc = json_pack("{sssssos[]sb}", "format", "loadtest-result/1", "target", target,
				"run", run, "thresholds", "interrupted", shard == 1);
	json_t *part[2] = { doc, sc };

	if (id)
		json_object_set_new(run, "id", json_string(id));
	for (int i = 0; i < 2; i++) {
		json_t *o = part[i];

		json_object_set_new(o, "requests", json_integer(10 + n401));
		json_object_set_new(o, "late", json_integer(3));
		json_object_set_new(o, "late_max_us", json_real(1500.0 * (shard + 1)));
		json_object_set_new(o, "pool", json_pack("{sisisisf}", "waits", 4, "late", 3, "peak", 4,
							 "needed", 2.5));
		json_object_set_new(o, "errors", json_pack("{sisi}", "status_4xx", n401, "total", n401));
		json_object_set_new(o, "status", json_pack("{sisi}", "2xx", 10, "4xx", n401));
		json_object_set_new(o, "status_codes", json_pack("{sisi}", "200", 10, "401", n401));
		json_object_set_new(o, "error_examples", json_pack("{ss}", "status_401",
			shard ? "Unauthorized: later" : "Unauthorized: first"));
		json_object_set_new(o, "timeline", json_pack("[{sisisis{si}s{si}ss}]", "t", 1,
			"requests", 10 + n401, "errors", n401, "error_kinds", "status_4xx", n401,
			"error_codes", "401", n401, "buckets", ""));
		json_object_set_new(o, "histogram", json_pack("{sisisisisisisis[]}", "sig_bits", 7,
			"count", 0, "min", 0, "max", 0, "sum", 0, "sumsq", 0, "clamped", 0, "buckets"));
	}
	json_object_set_new(doc, "scenarios", json_pack("[o]", sc));
	return doc;
}

static void test_merge_checks(void)
{
	static const char *const files[] = { "a.json", "b.json", "c.json" };
	static const struct {
		int nr;
		const char *d[3], *t[3], *id[3];
		int shard[3], shards[3];
		const char *want;
	} cases[] = {
		{ 3, { "aa", "aa", "aa" }, { "u", "u", "u" }, { 0 }, { 0, 1, 2 }, { 3, 3, 3 }, NULL },
		{ 1, { "aa" }, { "u" }, { 0 }, { 0 }, { 1 }, NULL },
		{ 2, { "aa", "aa" }, { "u", "u" }, { 0 }, { 1, 1 }, { 3, 3 },
		  "'a.json' and 'b.json' are the same copy (--shard 1/3)" },
		{ 2, { "aa", "aa" }, { "u", "u" }, { 0 }, { 0, 0 }, { 1, 1 },
		  "are the same copy (--shard 0/1): to split a test, run each copy with --shard I/N" },
		{ 2, { "aa", "aa" }, { "u", "u" }, { 0 }, { 0, 2 }, { 4, 4 },
		  "copies missing from a run of 4 (--shard I/4, I from 0): 1, 3" },
		{ 2, { "aa", "bb" }, { "u", "u" }, { 0 }, { 0, 1 }, { 2, 2 },
		  "'a.json' and 'b.json' are results of different tests" },
		{ 2, { "aa", "aa" }, { "u", "v" }, { 0 }, { 0, 1 }, { 2, 2 },
		  "'a.json' and 'b.json' ran against different targets ('u' and 'v')" },
		{ 2, { "aa", "aa" }, { "u", "u" }, { 0 }, { 0, 1 }, { 2, 3 },
		  "'a.json' is one of 2 copies, 'b.json' one of 3" },
		{ 2, { "aa", "aa" }, { "u", "u" }, { "r1", "r2" }, { 0, 1 }, { 2, 2 },
		  "'a.json' and 'b.json' are copies of different runs (run id 'r1' and 'r2')" },
		{ 2, { "aa", "aa" }, { "u", "u" }, { "r1", NULL }, { 0, 1 }, { 2, 2 },
		  "are copies of different runs (run id 'r1' and '')" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *docs[3] = { NULL };
		struct strbuf err = STRBUF_INIT;
		int rc;

		for (int d = 0; d < cases[i].nr; d++)
			docs[d] = copy_doc(cases[i].d[d], cases[i].t[d], cases[i].shard[d],
					   cases[i].shards[d], cases[i].id[d], 1);
		rc = result_check_copies(docs, files, (size_t)cases[i].nr, &err);
		if (cases[i].want)
			tap_ok(rc < 0 && strstr(err.buf, cases[i].want), "merge refuses: %s", err.buf);
		else
			tap_ok(rc == 0, "merge accepts %d copies of one run%s%s", cases[i].nr,
			       err.len ? ": " : "", err.buf);
		for (int d = 0; d < cases[i].nr; d++)
			json_decref(docs[d]);
		strbuf_release(&err);
	}
	{
		json_t *docs[2] = { copy_doc("aa", "u", 0, 1, NULL, 1), NULL };
		struct strbuf err = STRBUF_INIT;

		int rc;

		json_object_set_new(docs[0], "merged_from", json_integer(2));
		rc = result_check_copies(docs, files, 1, &err);
		tap_ok(rc < 0 && strstr(err.buf, "is a merged result"), "merge refuses a merged result: %s",
		       err.buf);
		json_object_del(docs[0], "merged_from");
		json_object_del(docs[0], "run");
		strbuf_reset(&err);
		rc = result_check_copies(docs, files, 1, &err);
		tap_ok(rc < 0 && strstr(err.buf, "which copy"), "and a result without a run identity: %s",
		       err.buf);
		json_decref(docs[0]);
		strbuf_release(&err);
	}
}

/* What merge adds up beyond the statistics of old: codes, their first reasons, lateness, the pool. */
static void test_merge_sums(void)
{
	json_t *docs[2] = { copy_doc("aa", "u", 0, 2, "r", 2), copy_doc("aa", "u", 1, 2, "r", 3) };
	struct strbuf err = STRBUF_INIT, summary = STRBUF_INIT;
	json_t *m = result_merge(docs, 2, &err), *sc;
	char *codes, *pool, *tl;

	if (!tap_ok(m != NULL, "merge: two copies add up%s%s", err.len ? ": " : "", err.buf))
		goto out;
	sc = json_array_get(json_object_get(m, "scenarios"), 0);
	codes = json_dumps(json_object_get(sc, "status_codes"), JSON_COMPACT);
	pool = json_dumps(json_object_get(m, "pool"), JSON_COMPACT);
	tl = json_dumps(json_object_get(json_array_get(json_object_get(m, "timeline"), 0), "error_codes"),
			JSON_COMPACT);
	tap_is_str(codes, "{\"200\":20,\"401\":5}", "merge: answers by status code add up");
	tap_is_str(json_string_value(json_object_get(json_object_get(sc, "error_examples"), "status_401")),
		   "Unauthorized: first", "merge: the first reason per code is the first copy's");
	tap_is_str(pool, "{\"waits\":8,\"late\":6,\"peak\":8,\"needed\":5.0}", "merge: the pools add up");
	tap_ok(json_integer_value(json_object_get(m, "late")) == 6 &&
	       json_real_value(json_object_get(m, "late_max_us")) == 3000.0,
	       "merge: late sends add up, the worst is the worst of all");
	tap_is_str(tl, "{\"401\":5}", "merge: the timeline's seconds by status code add up");
	tap_ok(json_is_true(json_object_get(m, "interrupted")) &&
	       !json_object_get(json_object_get(m, "run"), "shard") &&
	       json_integer_value(json_object_get(json_object_get(m, "run"), "shards")) == 2,
	       "merge: interrupted when a copy was; the run is all of its copies");
	report_summary(&summary, m, 0);
	tap_ok(strstr(summary.buf, "  interrupted after ") &&
	       strstr(summary.buf, "\n              status_401 5, first: Unauthorized: first"),
	       "summary: interrupted, and errors by status code with the first reason");
	free(codes);
	free(pool);
	free(tl);
out:
	json_decref(m);
	json_decref(docs[0]);
	json_decref(docs[1]);
	strbuf_release(&err);
	strbuf_release(&summary);
}

static void test_model(void)
{
	struct stage st[2] = { { 10ull * 1000000000, 0, 100 }, { 10ull * 1000000000, 100, 100 } };
	struct load_model m = { .open = 1, .stages = st, .nr_stages = 2 };

	tap_ok(fabs(model_planned(&m, 10ull * 1000000000) - 500) < 1e-6, "model: a ramp 0..100/s over 10s plans 500");
	tap_ok(fabs(model_planned(&m, 20ull * 1000000000) - 1500) < 1e-6, "model: then 100/s for 10s plans 1000 more");
	tap_ok(llabs((long long)model_when(&m, 500) - 10000000000LL) < 1000, "model: the 500th request is due at 10s");
	tap_ok(llabs((long long)model_when(&m, 125) - 5000000000LL) < 1000, "model: the 125th at 5s (quadratic)");
	tap_ok(llabs((long long)model_when(&m, 1000) - 15000000000LL) < 1000, "model: the 1000th at 15s");
}

int main(void)
{
	test_parser_ok();
	test_parser_edges();
	test_parser_excerpt();
	test_parser_errors();
	test_template();
	test_thresholds();
	test_status_thresholds();
	test_paths();
	test_model();
	test_merge_checks();
	test_merge_sums();
	return tap_done();
}
