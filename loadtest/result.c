/*
 * Result documents (see result.h). Statistics go to JSON through
 * part_to_json(); a merge reads them back into run_stats with
 * part_from_json() and adds them with run_stats_merge(), the same code
 * that adds up the threads of one run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "net.h"
#include "result.h"
#include "scenario.h"
#include "strbuf.h"
#include "xalloc.h"

#ifndef LOADTEST_VERSION
#define LOADTEST_VERSION "0"
#endif

static double r3(double v)
{
	return round(v * 1000) / 1000;
}

static json_t *latency_json(const struct hist *h)
{
	static const struct {
		const char *key;
		double p;
	} pcts[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 }, { "p9999", 99.99 },
	};
	json_t *o = json_object();

	json_object_set_new(o, "min", json_real(r3(h->count ? (double)h->min / 1000 : 0)));
	json_object_set_new(o, "mean", json_real(r3(hist_mean(h) / 1000)));
	json_object_set_new(o, "stdev", json_real(r3(hist_stdev(h) / 1000)));
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		json_object_set_new(o, pcts[i].key,
				    json_real(r3((double)hist_percentile(h, pcts[i].p) / 1000)));
	json_object_set_new(o, "max", json_real(r3((double)h->max / 1000)));
	return o;
}

static json_t *sec_json(const struct tl_sec *s, size_t t)
{
	json_t *o = json_object();
	struct strbuf b = STRBUF_INIT;
	struct hist h;

	tl_sec_hist(s, &h);
	json_object_set_new(o, "t", json_integer((json_int_t)t + 1));
	json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
	json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
	json_object_set_new(o, "dropped", json_integer((json_int_t)s->dropped));
	if (s->errors) {
		json_t *k = json_object();

		for (int i = 0; i < ERR_KINDS; i++)
			if (s->err_kinds[i])
				json_object_set_new(k, err_kind_names[i], json_integer((json_int_t)s->err_kinds[i]));
		json_object_set_new(o, "error_kinds", k);
	}
	if (s->nr_codes) {
		json_t *c = json_object();

		for (uint32_t i = 0; i < s->nr_codes; i++) {
			char key[16];

			snprintf(key, sizeof(key), "%u", s->codes[i].code);
			json_object_set_new(c, key, json_integer((json_int_t)s->codes[i].n));
		}
		json_object_set_new(o, "error_codes", c);
	}
	json_object_set_new(o, "p50_us", json_real(r3((double)hist_percentile(&h, 50) / 1000)));
	json_object_set_new(o, "p90_us", json_real(r3((double)hist_percentile(&h, 90) / 1000)));
	json_object_set_new(o, "p99_us", json_real(r3((double)hist_percentile(&h, 99) / 1000)));
	json_object_set_new(o, "max_us", json_real(r3((double)hist_percentile(&h, 100) / 1000)));
	/* "index:count ..." in one string: a JSON array per bucket would cost
	 * the document ~100 bytes of memory per bucket and second */
	for (uint32_t i = 0; i < s->nr; i++)
		strbuf_addf(&b, "%s%u:%llu", i ? " " : "", s->idx[i], (unsigned long long)s->cnt[i]);
	json_object_set_new(o, "buckets", json_stringn(b.buf, b.len));
	strbuf_release(&b);
	hist_release(&h);
	return o;
}

static double error_rate(const struct run_stats *s)
{
	uint64_t transport = s->errors[ERR_CONNECT] + s->errors[ERR_TIMEOUT] + s->errors[ERR_READ] +
			     s->errors[ERR_WRITE];
	double failed = (double)(run_stats_errors(s) + s->dropped);
	double intended = (double)(s->requests + transport + s->dropped);

	return intended > 0 ? failed / intended : 0;
}

/* "error_examples": the first reason per kind of error and per 4xx or 5xx status code. */
static void examples_json(json_t *o, const struct run_stats *s)
{
	json_t *ex = json_object();
	char key[32];

	for (int k = 0; k < ERR_KINDS; k++)
		if (s->first_err[k])
			json_object_set_new(ex, err_kind_names[k], json_string(s->first_err[k]));
	for (int c = 0; c < STATUS_CODES; c++)
		if (s->codes[c] && s->code_first[c]) {
			snprintf(key, sizeof(key), "status_%d", c);
			json_object_set_new(ex, key, json_string(s->code_first[c]));
		}
	if (json_object_size(ex))
		json_object_set_new(o, "error_examples", ex);
	else
		json_decref(ex);
}

/* "status_codes": every answer by its status code. */
static json_t *codes_json(const struct run_stats *s)
{
	json_t *o = json_object();
	char key[16];

	for (int c = 0; c < STATUS_CODES; c++)
		if (s->codes[c]) {
			snprintf(key, sizeof(key), "%d", c);
			json_object_set_new(o, key, json_integer((json_int_t)s->codes[c]));
		}
	return o;
}

/* The statistics keys shared by the top level and each scenario. */
static void part_to_json(json_t *o, const struct run_stats *s)
{
	json_t *errs = json_object(), *tl = json_array();

	json_object_set_new(o, "duration_s", json_real(r3(s->duration_s)));
	json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
	json_object_set_new(o, "rps", json_real(r3(s->duration_s > 0 ? (double)s->requests / s->duration_s : 0)));
	json_object_set_new(o, "bytes_read", json_integer((json_int_t)s->bytes));
	for (int k = 0; k < ERR_KINDS; k++)
		json_object_set_new(errs, err_kind_names[k], json_integer((json_int_t)s->errors[k]));
	json_object_set_new(errs, "total", json_integer((json_int_t)run_stats_errors(s)));
	json_object_set_new(o, "errors", errs);
	json_object_del(o, "error_examples");   /* a merge writes its sum over a copy */
	examples_json(o, s);
	json_object_set_new(o, "dropped", json_integer((json_int_t)s->dropped));
	json_object_set_new(o, "late", json_integer((json_int_t)s->late));
	json_object_set_new(o, "late_max_us", json_real(r3((double)s->late_max_ns / 1000)));
	json_object_del(o, "pool");
	if (s->pool.peak || s->pool.waits)
		json_object_set_new(o, "pool", json_pack("{sIsIsIsf}", "waits", (json_int_t)s->pool.waits,
			"late", (json_int_t)s->pool.late, "peak", (json_int_t)s->pool.peak,
			"needed", r3(s->pool.needed)));
	json_object_set_new(o, "error_rate", json_real(error_rate(s)));
	json_object_set_new(o, "status", json_pack("{sIsIsIsIsI}", "1xx", (json_int_t)s->status[1],
		"2xx", (json_int_t)s->status[2], "3xx", (json_int_t)s->status[3],
		"4xx", (json_int_t)s->status[4], "5xx", (json_int_t)s->status[5]));
	json_object_set_new(o, "status_codes", codes_json(s));
	json_object_set_new(o, "latency_us", latency_json(&s->lat));
	for (size_t t = 0; t < s->tl.nr; t++)
		json_array_append_new(tl, sec_json(&s->tl.v[t], t));
	json_object_set_new(o, "timeline", tl);
	json_object_set_new(o, "histogram", hist_to_json(&s->lat));
}

/*
 * What the open model planned to send in each second of the timeline
 * (the plan of this copy: a 1/shards share), so a ramp can be drawn.
 */
static void set_planned(json_t *tl, const struct load_model *m, unsigned shards)
{
	const uint64_t ns = 1000000000ull;
	json_t *e;
	size_t i;

	json_array_foreach(tl, i, e) {
		uint64_t t1 = (i + 1) * ns > m->duration_ns ? m->duration_ns : (i + 1) * ns;
		uint64_t t0 = i * ns > m->duration_ns ? m->duration_ns : i * ns;
		double n = (model_planned(m, t1) - model_planned(m, t0)) / (shards ? shards : 1);

		json_object_set_new(e, "planned", json_real(r3(n)));
	}
}

/* Add the "planned" values of timeline `src` into `dst`, second by second. */
static void add_planned(json_t *dst, const json_t *src)
{
	json_t *e;
	size_t i;

	json_array_foreach(dst, i, e) {
		double have = json_number_value(json_object_get(e, "planned"));
		json_t *p = json_object_get(json_array_get(src, i), "planned");

		json_object_set_new(e, "planned", json_real(r3(have + json_number_value(p))));
	}
}

static void scenario_json(json_t *o, const struct plan_scenario *ps, const struct scenario_run *r)
{
	struct strbuf path = STRBUF_INIT;

	json_object_set_new(o, "name", json_string(ps->name));
	json_object_set_new(o, "model", json_string(ps->model.open ? "open" : "closed"));
	json_object_set_new(o, "connections", json_integer(ps->model.connections));
	json_object_set_new(o, "threads", json_integer(ps->model.threads));
	if (ps->model.open)
		json_object_set_new(o, "target_rps", json_real(r3(r->target_rps)));
	json_object_set_new(o, "method", json_string(ps->method ? ps->method : "GET"));
	request_path(&path, r->target ? r->target->path : "/", ps->path);
	json_object_set_new(o, "path", json_string(path.buf));
	strbuf_release(&path);
	if (r->shards > 1)
		json_object_set_new(o, "shard", json_pack("[ii]", r->shard, r->shards));
	part_to_json(o, &r->stats);
	if (ps->model.open)
		set_planned(json_object_get(o, "timeline"), &ps->model, r->shards);
}

/* The top level's plan: the sum of the scenarios', when every one is open. */
static void total_planned(json_t *doc)
{
	json_t *sc = json_object_get(doc, "scenarios"), *s;
	size_t i;

	json_array_foreach(sc, i, s)
		if (strcmp(json_string_value(json_object_get(s, "model")) ?: "", "open"))
			return;
	json_array_foreach(sc, i, s)
		add_planned(json_object_get(doc, "timeline"), json_object_get(s, "timeline"));
}

/* "run": which copy of which test this is (see result_check_copies()). */
static json_t *run_json(const struct run_info *ri)
{
	json_t *o = json_pack("{sssisi}", "scenario_sha256", ri->scenario_sha256 ? ri->scenario_sha256 : "",
			      "shard", (int)ri->shard, "shards", ri->shards ? (int)ri->shards : 1);

	if (ri->id)
		json_object_set_new(o, "id", json_string(ri->id));
	return o;
}

json_t *result_build(const struct plan *p, const struct scenario_run *runs, size_t nr,
		     const struct run_info *ri)
{
	json_t *doc = json_object(), *sc = json_array();
	struct run_stats all;
	char when[64];

	utc_stamp(when, sizeof(when), &ri->started, 1);
	run_stats_init(&all);
	for (size_t i = 0; i < nr; i++) {
		json_t *o = json_object();

		scenario_json(o, &p->v[i], &runs[i]);
		json_array_append_new(sc, o);
		run_stats_merge(&all, &runs[i].stats);
	}
	json_object_set_new(doc, "format", json_string(RESULT_FORMAT));
	json_object_set_new(doc, "tool", json_string("loadtest " LOADTEST_VERSION));
	json_object_set_new(doc, "started_at", json_string(when));
	json_object_set_new(doc, "target", json_string(ri->target));
	if (p->file)
		json_object_set_new(doc, "scenario_file", json_string(p->file));
	json_object_set_new(doc, "run", run_json(ri));
	json_object_set_new(doc, "interrupted", json_boolean(ri->interrupted));
	if (ri->stopped)
		json_object_set_new(doc, "stopped", json_string(ri->stopped));
	part_to_json(doc, &all);
	json_object_set_new(doc, "scenarios", sc);
	total_planned(doc);
	run_stats_release(&all);
	return doc;
}

/* ---- thresholds ---- */

static json_t *judge_one(const struct threshold *t, const json_t *part, const char *scenario)
{
	struct strbuf obs = STRBUF_INIT;
	int ok = threshold_check(t, part, &obs);
	json_t *o = json_pack("{sssssbss}", "scenario", scenario ? scenario : "", "expr", t->expr,
			      "ok", ok, "observed", obs.buf);

	if (!scenario)
		json_object_set_new(o, "scenario", json_null());
	strbuf_release(&obs);
	return o;
}

static json_t *find_scenario(const json_t *doc, const char *name)
{
	size_t i;
	json_t *s;

	json_array_foreach(json_object_get(doc, "scenarios"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")) ?: "", name))
			return s;
	return NULL;
}

/* Re-judge the thresholds a document already lists (after a merge). */
static int rejudge(json_t *doc, json_t *out, struct strbuf *err)
{
	json_t *old = json_object_get(doc, "thresholds"), *t;
	size_t i;

	json_array_foreach(old, i, t) {
		const char *expr = json_string_value(json_object_get(t, "expr"));
		const char *sc = json_string_value(json_object_get(t, "scenario"));
		const json_t *part = sc ? find_scenario(doc, sc) : doc;
		struct threshold th;

		if (!expr || !part || threshold_parse(&th, expr, err) < 0) {
			if (!err->len)
				strbuf_addstr(err, "malformed threshold in the result");
			return -1;
		}
		json_array_append_new(out, judge_one(&th, part, sc));
		threshold_release(&th);
	}
	return 0;
}

int result_judge(json_t *doc, const struct plan *p, struct strbuf *err)
{
	json_t *out = json_array(), *t;
	int ok = 1;
	size_t i;

	if (!p) {
		if (rejudge(doc, out, err) < 0) {
			json_decref(out);
			return -1;
		}
	} else {
		for (i = 0; i < p->nr_th; i++)
			json_array_append_new(out, judge_one(&p->th[i], doc, NULL));
		for (size_t s = 0; s < p->nr; s++)
			for (i = 0; i < p->v[s].nr_th; i++)
				json_array_append_new(out, judge_one(&p->v[s].th[i],
						find_scenario(doc, p->v[s].name), p->v[s].name));
	}
	json_array_foreach(out, i, t)
		ok &= json_is_true(json_object_get(t, "ok"));
	json_object_set_new(doc, "thresholds", out);
	json_object_set_new(doc, "ok", json_boolean(ok));
	return ok;
}

/* ---- reading and merging ---- */

static uint64_t u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* A status code as a JSON key ("429"); 0 when it is not one. */
static unsigned code_of(const char *key)
{
	char *end;
	unsigned long c = strtoul(key, &end, 10);

	return *end || end - key != 3 || c < 100 || c >= STATUS_CODES ? 0 : (unsigned)c;
}

/* {"401": 3, ...} into the counts of a run (`rs`) or of a second (`sec`). */
static void codes_from_json(const json_t *o, struct run_stats *rs, struct tl_sec *sec)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v) {
		unsigned c = code_of(key);
		json_int_t n = json_integer_value(v);

		if (!c || n <= 0)
			continue;
		if (rs)
			rs->codes[c] += (uint64_t)n;
		else
			tl_code_add(sec, c, (uint64_t)n);
	}
}

static int sec_from_json(struct tl_sec *s, const json_t *o)
{
	const char *b = json_string_value(json_object_get(o, "buckets")), *p;
	size_t n = 1;
	struct hist probe;
	int rc = 0;

	s->requests = u64(o, "requests");
	s->errors = u64(o, "errors");
	s->dropped = u64(o, "dropped");
	for (int k = 0; k < ERR_KINDS; k++)
		s->err_kinds[k] = u64(json_object_get(o, "error_kinds"), err_kind_names[k]);
	codes_from_json(json_object_get(o, "error_codes"), NULL, s);
	if (!b)
		return -1;
	for (p = b; *p; p++)
		n += *p == ' ';
	s->idx = xcalloc(n, sizeof(*s->idx));
	s->cnt = xcalloc(n, sizeof(*s->cnt));
	hist_init(&probe, TL_SIG_BITS);
	for (p = b; *p && !rc;) {
		char *end;
		unsigned long long ix = strtoull(p, &end, 10), c;

		if (end == p || *end != ':')
			rc = -1;
		c = rc ? 0 : strtoull(end + 1, &end, 10);
		if (rc || !c || ix >= probe.nr_buckets || (s->nr && ix <= s->idx[s->nr - 1]) ||
		    (*end && *end != ' '))
			rc = -1;
		else {
			s->idx[s->nr] = (uint32_t)ix;
			s->cnt[s->nr++] = c;
			p = *end ? end + 1 : end;
		}
	}
	hist_release(&probe);
	return rc;
}

/* A part's answers by status code and class, and the first reason per code. */
static void statuses_from_json(struct run_stats *s, const json_t *o, const json_t *ex)
{
	const char *key;
	json_t *v;

	codes_from_json(json_object_get(o, "status_codes"), s, NULL);
	json_object_foreach((json_t *)ex, key, v) {
		unsigned c = !strncmp(key, "status_", 7) ? code_of(key + 7) : 0;

		if (c && json_is_string(v) && !s->code_first[c])
			s->code_first[c] = xstrdup(json_string_value(v));
	}
	for (int k = 1; k < 6; k++) {
		char cls[4] = { (char)('0' + k), 'x', 'x', 0 };

		s->status[k] = u64(json_object_get(o, "status"), cls);
	}
}

static int part_from_json(struct run_stats *s, const json_t *o, struct strbuf *err)
{
	const json_t *errs = json_object_get(o, "errors"), *tl = json_object_get(o, "timeline"), *e;
	const json_t *ex = json_object_get(o, "error_examples"), *pool = json_object_get(o, "pool");
	const char *why;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (hist_from_json(&s->lat, json_object_get(o, "histogram"), &why) < 0) {
		strbuf_addstr(err, why);
		hist_init(&s->lat, LAT_SIG_BITS);
		return -1;
	}
	s->requests = u64(o, "requests");
	s->bytes = u64(o, "bytes_read");
	s->dropped = u64(o, "dropped");
	s->late = u64(o, "late");
	s->late_max_ns = (uint64_t)(fmax(0, json_number_value(json_object_get(o, "late_max_us"))) * 1000);
	s->pool.waits = u64(pool, "waits");
	s->pool.late = u64(pool, "late");
	s->pool.peak = u64(pool, "peak");
	s->pool.needed = fmax(0, json_number_value(json_object_get(pool, "needed")));
	s->duration_s = json_number_value(json_object_get(o, "duration_s"));
	for (int k = 0; k < ERR_KINDS; k++) {
		s->errors[k] = u64(errs, err_kind_names[k]);
		/* points into the document, which outlives the merge */
		s->first_err[k] = json_string_value(json_object_get(ex, err_kind_names[k]));
	}
	statuses_from_json(s, o, ex);
	json_array_foreach(tl, i, e) {
		ALLOC_GROW(s->tl.v, s->tl.nr + 1, s->tl.alloc);
		memset(&s->tl.v[s->tl.nr], 0, sizeof(*s->tl.v));
		if (sec_from_json(&s->tl.v[s->tl.nr++], e) < 0) {
			strbuf_addstr(err, "malformed timeline");
			return -1;
		}
	}
	return 0;
}

json_t *result_load(const char *path, struct strbuf *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);

	if (!doc) {
		strbuf_addf(err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(doc) ||
	    strcmp(json_string_value(json_object_get(doc, "format")) ?: "", RESULT_FORMAT)) {
		strbuf_addf(err, "%s: not a loadtest result (format '%s')", path, RESULT_FORMAT);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Merge scenario `name` of every document into `o`. */
static int merge_scenario(json_t *o, json_t *const *docs, size_t nr, const char *name,
			  struct run_stats *all, struct strbuf *err)
{
	struct run_stats sum;
	double target = 0;
	int rc = 0;

	run_stats_init(&sum);
	for (size_t d = 0; d < nr && !rc; d++) {
		const json_t *s = find_scenario(docs[d], name);
		struct run_stats one;

		if (!s) {
			strbuf_addf(err, "document %zu has no scenario '%s'", d + 1, name);
			rc = -1;
			break;
		}
		if (part_from_json(&one, s, err) < 0)
			rc = -1;
		else
			run_stats_merge(&sum, &one);
		target += json_number_value(json_object_get(s, "target_rps"));
		run_stats_release(&one);
	}
	if (!rc) {
		if (target > 0)
			json_object_set_new(o, "target_rps", json_real(r3(target)));
		json_object_del(o, "shard");
		part_to_json(o, &sum);
		if (!strcmp(json_string_value(json_object_get(o, "model")) ?: "", "open"))
			for (size_t d = 0; d < nr; d++)
				add_planned(json_object_get(o, "timeline"),
					    json_object_get(find_scenario(docs[d], name), "timeline"));
		run_stats_merge(all, &sum);
	}
	run_stats_release(&sum);
	return rc;
}

/* The sum is interrupted or stopped when a copy was; it is no one copy. */
static void merge_flags(json_t *out, json_t *const *docs, size_t nr)
{
	int interrupted = 0;

	for (size_t d = 0; d < nr; d++) {
		const json_t *stopped = json_object_get(docs[d], "stopped");

		interrupted |= json_is_true(json_object_get(docs[d], "interrupted"));
		if (stopped && !json_object_get(out, "stopped"))
			json_object_set(out, "stopped", (json_t *)stopped);
	}
	json_object_set_new(out, "interrupted", json_boolean(interrupted));
	json_object_del(json_object_get(out, "run"), "shard");
}

/* ---- checking that the documents are the copies of one run ---- */

static const char *run_str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(doc, "run"), key));
}

static json_int_t run_int(const json_t *doc, const char *key)
{
	const json_t *v = json_object_get(json_object_get(doc, "run"), key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Can `doc` be checked at all: a copy, with its identity? */
static int check_one(const json_t *doc, const char *file, struct strbuf *err)
{
	json_int_t shard = run_int(doc, "shard"), shards = run_int(doc, "shards");

	if (json_object_get(doc, "merged_from")) {
		strbuf_addf(err, "'%s' is a merged result, not the result of one copy", file);
		return -1;
	}
	if (!run_str(doc, "scenario_sha256") || shards < 1 || shard < 0 || shard >= shards) {
		strbuf_addf(err, "'%s' does not say which copy of which test it is (no \"run\"; "
			    "written by an older loadtest?)", file);
		return -1;
	}
	return 0;
}

/* Do `a` (of file fa) and `b` come from the same test, run the same way? */
static int check_pair(const json_t *a, const char *fa, const json_t *b, const char *fb,
		      struct strbuf *err)
{
	const char *ta = json_string_value(json_object_get(a, "target"));
	const char *tb = json_string_value(json_object_get(b, "target"));

	if (!same(run_str(a, "scenario_sha256"), run_str(b, "scenario_sha256")))
		strbuf_addf(err, "'%s' and '%s' are results of different tests (their scenarios "
			    "differ: '%s' and '%s')", fa, fb,
			    json_string_value(json_object_get(a, "scenario_file")) ?: "ad hoc",
			    json_string_value(json_object_get(b, "scenario_file")) ?: "ad hoc");
	else if (!same(ta, tb))
		strbuf_addf(err, "'%s' and '%s' ran against different targets ('%s' and '%s')",
			    fa, fb, ta ? ta : "", tb ? tb : "");
	else if (run_int(a, "shards") != run_int(b, "shards"))
		strbuf_addf(err, "'%s' is one of %lld copies, '%s' one of %lld", fa,
			    (long long)run_int(a, "shards"), fb, (long long)run_int(b, "shards"));
	else if (!same(run_str(a, "id"), run_str(b, "id")))
		strbuf_addf(err, "'%s' and '%s' are copies of different runs (run id '%s' and '%s')",
			    fa, fb, run_str(a, "id") ?: "", run_str(b, "id") ?: "");
	else if (run_int(a, "shard") == run_int(b, "shard"))
		strbuf_addf(err, "'%s' and '%s' are the same copy (--shard %lld/%lld)%s", fa, fb,
			    (long long)run_int(a, "shard"), (long long)run_int(a, "shards"),
			    run_int(a, "shards") == 1 ? ": to split a test, run each copy with "
						    "--shard I/N" : "");
	return err->len ? -1 : 0;
}

/* Every copy 0..N-1 is there (the documents are known to be distinct copies of one run). */
static int check_complete(json_t *const *docs, size_t nr, struct strbuf *err)
{
	json_int_t n = run_int(docs[0], "shards"), listed = 0;
	char *seen = xcalloc((size_t)n, 1);

	for (size_t d = 0; d < nr; d++)
		seen[run_int(docs[d], "shard")] = 1;
	for (json_int_t i = 0; i < n; i++) {
		if (seen[i])
			continue;
		if (!listed)
			strbuf_addf(err, "copies missing from a run of %lld (--shard I/%lld, I from 0): ",
				    (long long)n, (long long)n);
		if (listed++ < 10)
			strbuf_addf(err, "%s%lld", listed > 1 ? ", " : "", (long long)i);
	}
	if (listed > 10)
		strbuf_addf(err, " and %lld more", (long long)(listed - 10));
	free(seen);
	return listed ? -1 : 0;
}

int result_check_copies(json_t *const *docs, const char *const *files, size_t nr,
			struct strbuf *err)
{
	for (size_t d = 0; d < nr; d++)
		if (check_one(docs[d], files[d], err) < 0)
			return -1;
	for (size_t a = 0; a < nr; a++)
		for (size_t b = a + 1; b < nr; b++)
			if (check_pair(docs[a], files[a], docs[b], files[b], err) < 0)
				return -1;
	return nr ? check_complete(docs, nr, err) : 0;
}

json_t *result_merge(json_t *const *docs, size_t nr, struct strbuf *err)
{
	json_t *out, *sc, *s;
	struct run_stats all;
	size_t i;

	if (!nr) {
		strbuf_addstr(err, "nothing to merge");
		return NULL;
	}
	out = json_deep_copy(docs[0]);
	sc = json_object_get(out, "scenarios");
	run_stats_init(&all);
	json_array_foreach(sc, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));

		if (!name || merge_scenario(s, docs, nr, name, &all, err) < 0) {
			json_decref(out);
			run_stats_release(&all);
			return NULL;
		}
	}
	part_to_json(out, &all);
	total_planned(out);
	merge_flags(out, docs, nr);
	json_object_set_new(out, "merged_from", json_integer((json_int_t)nr));
	run_stats_release(&all);
	return out;
}
