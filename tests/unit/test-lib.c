/*
 * Unit tests for lib/: strbuf, units, suggestions, the YAML node tree and
 * its limits, the YAML emitter (checked by reading its output back), and
 * the decoder's slot types and encoding flags that the model does not use
 * (the model's tests cover the rest of ydecode), and hcheck's tcp:// check.
 */
#include "clock.h"
#include "diag.h"
#include "hcheck.h"
#include "strbuf.h"
#include "suggest.h"
#include "tap.h"
#include "units.h"
#include "xalloc.h"
#include "ydecode.h"
#include "yamlemit.h"
#include "ynode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;

	tap_is_str(sb.buf, "", "an empty strbuf's buf is an empty string, not NULL");
	strbuf_addf(&sb, "%s-%d", "x", 42);
	strbuf_addchars(&sb, '.', 3);
	tap_is_str(sb.buf, "x-42...", "strbuf_addf and strbuf_addchars append");
	strbuf_reset(&sb);
	for (int i = 0; i < 10000; i++)
		strbuf_addch(&sb, 'a' + i % 26);
	tap_is_int((intmax_t)sb.len, 10000, "strbuf grows past many reallocations");
	strbuf_reset(&sb);
	strbuf_add_quoted(&sb, "a\"b\\c\n\x01");
	tap_is_str(sb.buf, "\"a\\\"b\\\\c\\n\\u0001\"", "strbuf_add_quoted escapes as JSON");
	s = strbuf_detach(&sb, &len);
	tap_ok(sb.buf == strbuf_slopbuf && sb.len == 0, "detach leaves the strbuf empty and valid");
	free(s);
	/* what a server sent, as one line of valid UTF-8 */
	{
		static const char text[] = "  <h1>\r\n\t401 \x01 caf\xc3\xa9 \xe2\x82 \xc0\xaf \xed\xa0\x80\x7f end\n";

		strbuf_add_line(&sb, text, sizeof(text) - 1);
	}
	tap_is_str(sb.buf, "<h1> 401 ? caf\xc3\xa9 ?? ?? ???? end ",
		   "strbuf_add_line: white space runs become one space, controls and bad UTF-8 '?'");
	strbuf_reset(&sb);
	strbuf_add_line(&sb, "\xf0\x9f\x98\x80\xf4\x90\x80\x80", 8);
	tap_is_str(sb.buf, "\xf0\x9f\x98\x80????", "strbuf_add_line: 4 bytes up to U+10FFFF, no further");
	strbuf_release(&sb);
}

static uint64_t dur(const char *s)
{
	const char *why;
	uint64_t v = 0;

	return parse_duration_ms(s, &v, &why) < 0 ? UINT64_MAX : v;
}

static void test_units(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *why;
	uint64_t v;

	tap_is_int((intmax_t)dur("250ms"), 250, "250ms");
	tap_is_int((intmax_t)dur("1m30s"), 90000, "compound duration 1m30s");
	tap_is_int((intmax_t)dur("4h"), 4 * 3600000, "4h");
	tap_ok(dur("10") == UINT64_MAX, "a duration without a unit is refused");
	tap_ok(dur("5x") == UINT64_MAX, "an unknown duration unit is refused");
	tap_ok(dur("99999999999999999999h") == UINT64_MAX, "an overflowing duration is refused");
	tap_ok(parse_bytes("512Mi", &v, &why) == 0 && v == 512ull << 20, "512Mi");
	tap_ok(parse_bytes("512MB", &v, &why) < 0, "512MB is not a Kubernetes quantity");
	tap_ok(parse_millicpu("0.5", &v, &why) == 0 && v == 500, "CPU 0.5 is 500m");
	tap_ok(parse_millicpu("250m", &v, &why) == 0 && v == 250, "CPU 250m");
	tap_ok(parse_millicpu("0.0001", &v, &why) < 0, "CPU finer than 1m is refused");
	tap_ok(parse_rate_per_min("250r/s", &v, &why) == 0 && v == 15000, "250r/s is 15000 per minute");
	tap_ok(parse_rate_per_min("250/s", &v, &why) < 0, "a rate needs r/s or r/m");
	tap_is_str(why, "unknown rate unit (use r/s or r/m)", "250/s: the unit is unknown, not missing");
	tap_ok(parse_rate_per_min("250", &v, &why) < 0 && !strcmp(why, "a rate needs a unit: r/s or r/m"),
	       "250: the unit is missing");
	tap_ok(parse_duration_ms("5x", &v, &why) < 0 &&
	       !strcmp(why, "unknown duration unit (use ms, s, m, h or d)"), "5x: the unit is unknown");
	tap_ok(parse_duration_ms("5", &v, &why) < 0 && !strcmp(why, "a duration needs a unit: ms, s, m, h or d"),
	       "5: the unit is missing");
	format_duration_ms(&sb, 90000);
	tap_is_str(sb.buf, "90s", "durations format in the largest exact unit");
	strbuf_reset(&sb);
	format_bytes(&sb, 3u << 30);
	tap_is_str(sb.buf, "3Gi", "bytes format in binary units");
	strbuf_reset(&sb);
	format_millicpu(&sb, 2000);
	tap_is_str(sb.buf, "2", "whole CPUs format without a unit");
	strbuf_reset(&sb);
	format_nginx_size(&sb, (uint64_t)32 << 20);
	format_nginx_size(&sb, 3 * 1024);
	format_nginx_size(&sb, 1000);
	tap_is_str(sb.buf, "32m3k1000", "sizes for nginx: m, k or bytes, exact");
	strbuf_release(&sb);
}

static void test_suggest(void)
{
	static const char *const keys[] = { "replicas", "resources", "ready", "run" };

	tap_is_str(suggest_nearest("replica", keys, 4), "replicas", "'replica' suggests 'replicas'");
	tap_is_str(suggest_nearest("rsources", keys, 4), "resources", "a dropped letter is found");
	tap_ok(suggest_nearest("zzzzzz", keys, 4) == NULL, "no suggestion for a far word");
	tap_is_int((intmax_t)edit_distance("ab", "ba"), 1, "a transposition is one edit");
}

static struct ynode *parse(const char *text, struct diag *d)
{
	return ynode_parse(text, strlen(text), "t.yaml", NULL, d);
}

static void test_ynode(void)
{
	struct diag d = DIAG_INIT;
	struct ynode *n;
	struct ynode_limits lim = YNODE_LIMITS_INIT;

	n = parse("a: 1\nb: [x, 'y']\nc: {d: ~}\n", &d);
	tap_ok(n && n->kind == YN_MAP && n->nr == 3, "a mapping parses with its keys");
	tap_ok(n && ynode_map_get(n, "b")->kids[1]->quoted, "quoted scalars are marked");
	tap_ok(n && ynode_map_get(ynode_map_get(n, "c"), "d")->kind == YN_NULL, "~ is null");
	tap_is_int(n ? ynode_map_get(n, "b")->pos.line : 0, 2, "nodes know their line");
	ynode_free(n);

	n = parse("a: 1\nb: 2\na: 3\n", &d);
	tap_ok(!n && d.nr == 1 && strstr(d.v[0].msg, "duplicate key 'a'") && d.v[0].line == 3,
	       "a duplicate key is an error at its second position");
	diag_release(&d);

	n = parse("a: &x [1, 2]\nb: *x\n", &d);
	tap_ok(n && ynode_map_get(n, "b")->nr == 2, "aliases are expanded");
	ynode_free(n);

	lim.max_nodes = 1000;
	{
		const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
				   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";

		n = ynode_parse(bomb, strlen(bomb), "bomb.yaml", &lim, &d);
		tap_ok(!n && d.nr == 1 && strstr(d.v[0].msg, "document too large"),
		       "an alias bomb is refused before it is expanded");
		diag_release(&d);
	}
	n = parse("- a\n- b\n---\n- c\n", &d);
	tap_ok(!n && d.nr == 1 && strstr(d.v[0].msg, "more than one YAML document"),
	       "a second document is an error");
	diag_release(&d);
	n = parse("a: [1, 2\n", &d);
	tap_ok(!n && d.nr == 1 && strstr(d.v[0].msg, "invalid YAML") && d.v[0].line > 0,
	       "a syntax error names its position");
	diag_release(&d);
	{
		struct strbuf deep = STRBUF_INIT;

		for (int i = 0; i < 200; i++)
			strbuf_addch(&deep, '[');
		n = parse(deep.buf, &d);
		tap_ok(!n && d.nr == 1 && strstr(d.v[0].msg, "nesting is too deep"),
		       "deep nesting is refused, not a stack overflow");
		diag_release(&d);
		strbuf_release(&deep);
	}
}

/* Emit JSON as YAML, read it back typed, and compare: the emitter's contract. */
static void roundtrip(const char *json_text, const char *what)
{
	json_t *in = json_loads(json_text, 0, NULL), *out = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct ynode *n;

	yaml_emit(&sb, in);
	n = ynode_parse(sb.buf, sb.len, "emitted.yaml", NULL, &d);
	if (n)
		out = ynode_to_json(n);
	if (!tap_ok(out && json_equal(in, out), "emitter round trip: %s", what))
		tap_diag("emitted:\n%s", sb.buf);
	json_decref(in);
	json_decref(out);
	ynode_free(n);
	diag_release(&d);
	strbuf_release(&sb);
}

static void test_yamlemit(void)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v = json_pack("{s:s, s:s, s:s}", "a", "8080", "b", "yes", "c", "250m");

	yaml_emit(&sb, v);
	tap_is_str(sb.buf, "a: \"8080\"\nb: \"yes\"\nc: 250m\n",
		   "strings a reader would take for numbers or booleans are quoted");
	json_decref(v);
	strbuf_release(&sb);
	roundtrip("{\"s\": [\"on\", \"null\", \"1.31\", \"0x1f\", \"1e3\", \"-\", \"a: b\", \"#c\", "
		  "\" lead\", \"trail \", \"multi\\nline\", \"\", \"~\", \"2001-12-14\", \".inf\"]}",
		  "tricky strings stay strings");
	roundtrip("{\"i\": 42, \"f\": 1.5, \"t\": true, \"n\": null, \"e\": {}, \"l\": [], "
		  "\"nested\": [{\"a\": [1, {\"b\": [[]]}]}, [1, 2]]}", "types and nesting");
	roundtrip("{\"weird key: x\": 1, \"8080\": \"port\", \"true\": false}", "keys are quoted too");
}

struct yt_sub {
	int n;
};

struct yt {
	int small;
	char **argv;
	struct yt_sub *opt;
	char *maybe;
	int sig;
};

static void yt_init(void *obj)
{
	((struct yt *)obj)->sig = 15;
}

static const struct yd_field yt_sub_fields[] = {
	{ .key = "n", .type = YD_INT32, .off = offsetof(struct yt_sub, n), .flags = YD_REQUIRED },
};
static const struct yd_schema yt_sub_schema = {
	.what = "sub", .size = sizeof(struct yt_sub), YD_FIELDS(yt_sub_fields),
};
static const struct yd_field yt_fields[] = {
	{ .key = "small", .type = YD_INT32, .off = offsetof(struct yt, small) },
	{ .key = "argv", .type = YD_STRV, .off = offsetof(struct yt, argv) },
	{ .key = "opt", .type = YD_OPTIONAL, .off = offsetof(struct yt, opt), .sub = &yt_sub_schema },
	{ .key = "maybe", .type = YD_STRING, .off = offsetof(struct yt, maybe), .flags = YD_NULLABLE },
	{ .key = "sig", .type = YD_INT32, .off = offsetof(struct yt, sig), .flags = YD_OMITDEFAULT },
};
static const struct yd_schema yt_schema = {
	.what = "test", .size = sizeof(struct yt), YD_FIELDS(yt_fields), .init = yt_init,
};

/* Decode `text` into *t (initialised here); the diagnostics' first message, or "". */
static char *yt_decode(struct yt *t, const char *text)
{
	struct diag d = DIAG_INIT;
	struct ynode *n = parse(text, &d);
	char *msg;

	memset(t, 0, sizeof(*t));
	yt_init(t);
	if (n)
		yd_decode(&yt_schema, n, t, &d);
	msg = xstrdup(d.nr ? d.v[0].msg : "");
	ynode_free(n);
	diag_release(&d);
	return msg;
}

/* `t` encoded on one line, keys sorted. */
static char *yt_encode(const struct yt *t)
{
	json_t *j = yd_encode(&yt_schema, t);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(j);
	return text;
}

static void test_ydecode(void)
{
	struct yt t;
	char *msg, *text;

	msg = yt_decode(&t, "{\"small\": 7, \"argv\": [\"a\", \"b c\"], \"opt\": {\"n\": 2}}");
	tap_is_str(msg, "", "JSON decodes: an int, a string list, an optional struct");
	tap_ok(t.small == 7 && t.argv && !strcmp(t.argv[1], "b c") && !t.argv[2] && t.opt &&
	       t.opt->n == 2 && !t.maybe && t.sig == 15, "with the values given and the defaults");
	text = yt_encode(&t);
	tap_is_str(text, "{\"argv\":[\"a\",\"b c\"],\"maybe\":null,\"opt\":{\"n\":2},\"small\":7}",
		   "encoded: an unset nullable string is null, a default left out");
	free(text);
	yd_release(&yt_schema, &t);
	free(msg);

	msg = yt_decode(&t, "{\"sig\": 9, \"argv\": []}");
	text = yt_encode(&t);
	tap_is_str(text, "{\"argv\":[],\"maybe\":null,\"sig\":9,\"small\":0}",
		   "a value other than the default is written; no optional struct, none written");
	free(text);
	yd_release(&yt_schema, &t);
	tap_ok(!t.argv && !t.opt, "released: the slots are empty again");
	free(msg);

	msg = yt_decode(&t, "{\"small\": 3000000000}");
	tap_ok(strstr(msg, "out of range") != NULL, "a YD_INT32 beyond an int is an error: %s", msg);
	yd_release(&yt_schema, &t);
	free(msg);
	msg = yt_decode(&t, "{\"argv\": [[\"x\"]]}");
	tap_ok(strstr(msg, "expected a string") != NULL, "a list in a string list is an error: %s",
	       msg);
	yd_release(&yt_schema, &t);
	free(msg);
	msg = yt_decode(&t, "{\"opt\": 5}");
	tap_ok(strstr(msg, "expected a mapping") != NULL, "an optional struct must be a mapping: %s",
	       msg);
	yd_release(&yt_schema, &t);
	free(msg);
	msg = yt_decode(&t, "{\"opt\": {}}");
	tap_ok(strstr(msg, "missing required key 'n'") != NULL && t.opt,
	       "an optional struct is checked like any other: %s", msg);
	yd_release(&yt_schema, &t);
	free(msg);
}

/* Drive a check to its end as the supervisor does: 1 answered, -1 failed. */
static int run_check(const char *url, struct hcheck *h)
{
	int rc;

	if (hcheck_start(h, url, NULL, 2000, clock_ms()) < 0)
		return -1;
	do {
		struct pollfd p = { .fd = h->fd, .events = hcheck_events(h) };

		poll(&p, 1, 100);
		rc = hcheck_step(h, clock_ms());
	} while (!rc);
	return rc;
}

static void test_hcheck_tcp(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct hcheck h;
	char url[64];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		tap_skip("cannot listen on loopback", "hcheck tcp://");
		return;
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	tap_is_int(run_check(url, &h), 1, "a tcp:// check passes once it connects");
	tap_ok(h.tcp && h.fd < 0, "and leaves nothing open");
	close(fd);
	tap_is_int(run_check(url, &h), -1, "with nothing listening it fails");
	tap_ok(h.error && !strcmp(h.error, "connection refused"), "because the connection is refused");
	tap_is_int(run_check("tcp//nonsense", &h), -1, "a malformed URL fails");
}

int main(void)
{
	test_strbuf();
	test_units();
	test_suggest();
	test_ynode();
	test_yamlemit();
	test_ydecode();
	test_hcheck_tcp();
	return tap_done();
}
