/*
 * Unit tests of loadtest's parts: the HTTP response parser, request
 * templates, thresholds and the open model's plan.
 */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "http-parse.h"
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
	};
	static const char *const bad[] = {
		"p(99) < 200", "p(0) < 1ms", "p(101) < 1ms", "p99 < 1ms", "latency < 1ms",
		"error_rate < 150%", "rate >= 250", "p(99) 200ms", "dropped == 1.5", "avg < 3 hours", "",
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
	test_parser_errors();
	test_template();
	test_thresholds();
	test_model();
	return tap_done();
}
