/*
 * Result documents (see result.h). Statistics go to JSON through
 * part_to_json(); a merge reads them back into run_stats with
 * part_from_json() and adds them with run_stats_merge(), the same code
 * that adds up the threads of one run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
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
	for (int k = 0; k < ERR_KINDS; k++)
		if (s->first_err[k]) {
			json_t *ex = json_object_get(o, "error_examples");

			if (!ex)
				json_object_set_new(o, "error_examples", ex = json_object());
			json_object_set_new(ex, err_kind_names[k], json_string(s->first_err[k]));
		}
	json_object_set_new(o, "dropped", json_integer((json_int_t)s->dropped));
	json_object_set_new(o, "late", json_integer((json_int_t)s->late));
	json_object_set_new(o, "error_rate", json_real(error_rate(s)));
	json_object_set_new(o, "status", json_pack("{sIsIsIsIsI}", "1xx", (json_int_t)s->status[1],
		"2xx", (json_int_t)s->status[2], "3xx", (json_int_t)s->status[3],
		"4xx", (json_int_t)s->status[4], "5xx", (json_int_t)s->status[5]));
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
	json_object_set_new(o, "name", json_string(ps->name));
	json_object_set_new(o, "model", json_string(ps->model.open ? "open" : "closed"));
	json_object_set_new(o, "connections", json_integer(ps->model.connections));
	json_object_set_new(o, "threads", json_integer(ps->model.threads));
	if (ps->model.open)
		json_object_set_new(o, "target_rps", json_real(r3(r->target_rps)));
	json_object_set_new(o, "method", json_string(ps->method ? ps->method : "GET"));
	json_object_set_new(o, "path", json_string(ps->path ? ps->path : "/"));
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

json_t *result_build(const struct plan *p, const struct scenario_run *runs, size_t nr,
		     const char *target, const struct timespec *started)
{
	json_t *doc = json_object(), *sc = json_array();
	struct run_stats all;
	char when[64];

	utc_stamp(when, sizeof(when), started, 1);
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
	json_object_set_new(doc, "target", json_string(target));
	if (p->file)
		json_object_set_new(doc, "scenario_file", json_string(p->file));
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

static int part_from_json(struct run_stats *s, const json_t *o, struct strbuf *err)
{
	const json_t *errs = json_object_get(o, "errors"), *tl = json_object_get(o, "timeline"), *e;
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
	s->duration_s = json_number_value(json_object_get(o, "duration_s"));
	for (int k = 0; k < ERR_KINDS; k++) {
		s->errors[k] = u64(errs, err_kind_names[k]);
		/* points into the document, which outlives the merge */
		s->first_err[k] = json_string_value(json_object_get(json_object_get(o, "error_examples"),
								   err_kind_names[k]));
	}
	for (int k = 1; k < 6; k++) {
		char key[4] = { (char)('0' + k), 'x', 'x', 0 };

		s->status[k] = u64(json_object_get(o, "status"), key);
	}
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
	json_object_set_new(out, "merged_from", json_integer((json_int_t)nr));
	run_stats_release(&all);
	return out;
}
