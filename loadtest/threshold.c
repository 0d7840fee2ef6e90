/*
 * Thresholds (see threshold.h): a tiny grammar, parsed from tables.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "strbuf.h"
#include "threshold.h"
#include "xalloc.h"

static const struct {
	const char *name;
	enum th_metric metric;
} metrics[] = {
	{ "avg", TM_AVG }, { "min", TM_MIN }, { "max", TM_MAX }, { "med", TM_PCT },
	{ "error_rate", TM_ERROR_RATE }, { "rate", TM_RATE }, { "dropped", TM_DROPPED },
	{ "requests", TM_REQUESTS },
};

static const struct {
	const char *text;
	enum th_op op;
} ops[] = {   /* two-character operators first */
	{ "<=", OP_LE }, { ">=", OP_GE }, { "==", OP_EQ }, { "<", OP_LT }, { ">", OP_GT },
};

static const struct {
	const char *unit;
	double us;
} lat_units[] = {
	{ "ns", 0.001 }, { "us", 1 }, { "\xc2\xb5s", 1 }, { "ms", 1000 }, { "s", 1e6 }, { "m", 60e6 },
};

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A non-negative decimal number; returns the end, or NULL. */
static const char *number(const char *s, double *v)
{
	char *end;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return NULL;
	*v = strtod(s, &end);
	if (end == s || !isfinite(*v) || *v < 0)
		return NULL;
	return end;
}

int parse_latency_us(const char *s, double *us, const char **why)
{
	double v;
	const char *u = number(s, &v);

	if (!u) {
		*why = "expected a latency such as 200ms, 1.5s or 250us";
		return -1;
	}
	for (size_t i = 0; i < sizeof(lat_units) / sizeof(lat_units[0]); i++)
		if (!strcmp(u, lat_units[i].unit)) {
			*us = v * lat_units[i].us;
			return 0;
		}
	*why = *u ? "unknown latency unit (use ns, us, ms, s or m)"
		  : "a latency needs a unit: ns, us, ms, s or m";
	return -1;
}

static int parse_rate(const char *s, double *per_s, const char **why)
{
	double v;
	const char *u = number(s, &v);

	if (u && (!strcmp(u, "/s") || !strcmp(u, "r/s"))) {
		*per_s = v;
		return 0;
	}
	if (u && (!strcmp(u, "/m") || !strcmp(u, "r/m"))) {
		*per_s = v / 60;
		return 0;
	}
	*why = "expected a rate such as 250/s or 250r/s";
	return -1;
}

static int parse_fraction(const char *s, double *f, const char **why)
{
	double v;
	const char *u = number(s, &v);

	if (u && !strcmp(u, "%") && v <= 100) {
		*f = v / 100;
		return 0;
	}
	if (u && !*u && v <= 1) {
		*f = v;
		return 0;
	}
	*why = "expected a percentage such as 1% or a fraction between 0 and 1";
	return -1;
}

static int parse_count(const char *s, double *n, const char **why)
{
	const char *u = number(s, n);

	if (u && !*u && *n == floor(*n))
		return 0;
	*why = "expected a whole number";
	return -1;
}

/* status_429 (a code) or status_4xx (a class); returns the end, or NULL. */
static const char *parse_status(struct threshold *t, const char *s, struct strbuf *why)
{
	const char *d = s + 7;
	size_t n = strspn(d, "0123456789x");

	t->metric = TM_STATUS;
	if (n == 3 && d[0] >= '1' && d[0] <= '5' && d[1] == 'x' && d[2] == 'x') {
		t->status = (unsigned)(d[0] - '0');
		return d + 3;
	}
	if (n == 3 && d[0] >= '1' && d[0] <= '5' && isdigit((unsigned char)d[1]) &&
	    isdigit((unsigned char)d[2])) {
		t->status = (unsigned)atoi(d);
		return d + 3;
	}
	strbuf_addf(why, "'%.*s' is not a status code from status_100 to status_599, or a class "
		    "such as status_4xx", (int)(7 + n), s);
	return NULL;
}

/* "5" or "0.1%": a count of answers, or a share of the intended requests. */
static int parse_status_value(struct threshold *t, const char *s, const char **why)
{
	const char *u = number(s, &t->value);

	if (u && !strcmp(u, "%") && t->value <= 100) {
		t->value /= 100;
		t->share = 1;
		return 0;
	}
	if (u && !*u && t->value == floor(t->value))
		return 0;
	*why = "expected a count such as 0, or a share of the requests such as 1%";
	return -1;
}

static const char *parse_metric(struct threshold *t, const char *s, struct strbuf *why)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	if (!strncmp(s, "status_", 7))
		return parse_status(t, s, why);
	if (n == 1 && *s == 'p' && s[1] == '(') {
		const char *e;
		double p;

		e = number(skip_ws(s + 2), &p);
		e = e ? skip_ws(e) : NULL;
		if (!e || *e != ')' || p <= 0 || p > 100) {
			strbuf_addstr(why, "p(N) needs a percentile N with 0 < N <= 100, e.g. p(99)");
			return NULL;
		}
		t->metric = TM_PCT;
		t->pct = p;
		return e + 1;
	}
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		if (strlen(metrics[i].name) == n && !strncmp(s, metrics[i].name, n)) {
			t->metric = metrics[i].metric;
			t->pct = 50;
			return s + n;
		}
	strbuf_addf(why, "unknown metric '%.*s' (use p(N), avg, min, max, med, error_rate, rate, "
			 "dropped, requests or status_NNN)", (int)(n ? n : strcspn(s, " <>=")), s);
	return NULL;
}

int threshold_parse(struct threshold *t, const char *expr, struct strbuf *why)
{
	const char *s = skip_ws(expr), *reason = NULL;
	size_t i, vlen;
	char *val;
	int rc;

	memset(t, 0, sizeof(*t));
	s = parse_metric(t, s, why);
	if (!s)
		return -1;
	s = skip_ws(s);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(s, ops[i].text, strlen(ops[i].text)))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		strbuf_addstr(why, "expected an operator (<, <=, >, >=, ==) after the metric");
		return -1;
	}
	t->op = ops[i].op;
	s = skip_ws(s + strlen(ops[i].text));
	vlen = strlen(s);
	while (vlen && (s[vlen - 1] == ' ' || s[vlen - 1] == '\t'))
		vlen--;
	val = xstrndup(s, vlen);
	switch (t->metric) {
	case TM_ERROR_RATE:
		rc = parse_fraction(val, &t->value, &reason);
		break;
	case TM_RATE:
		rc = parse_rate(val, &t->value, &reason);
		break;
	case TM_DROPPED:
	case TM_REQUESTS:
		rc = parse_count(val, &t->value, &reason);
		break;
	case TM_STATUS:
		rc = parse_status_value(t, val, &reason);
		break;
	default:
		rc = parse_latency_us(val, &t->value, &reason);
		break;
	}
	if (rc < 0)
		strbuf_addf(why, "'%s': %s", val, reason);
	free(val);
	if (rc == 0)
		t->expr = xstrdup(expr);
	return rc;
}

void threshold_release(struct threshold *t)
{
	free(t->expr);
	t->expr = NULL;
}

void format_latency_us(struct strbuf *sb, double us)
{
	if (us < 1000)
		strbuf_addf(sb, "%.3gus", us);
	else if (us < 1e6)
		strbuf_addf(sb, "%.3gms", us / 1000);
	else
		strbuf_addf(sb, "%.3gs", us / 1e6);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* p(N) from the stored histogram (any N), else from latency_us. */
static double percentile_us(const json_t *part, double pct)
{
	struct hist h;
	const char *err;
	double v;

	if (hist_from_json(&h, json_object_get(part, "histogram"), &err) < 0)
		return NAN;         /* no histogram: the threshold cannot hold */
	v = (double)hist_percentile(&h, pct) / 1000;
	hist_release(&h);
	return v;
}

/* Answers with the threshold's status code or class, as a count or a share. */
static double observe_status(const struct threshold *t, const json_t *part, struct strbuf *out)
{
	const json_t *errs = json_object_get(part, "errors");
	char key[16];
	double n, intended;

	if (t->status < 10) {
		snprintf(key, sizeof(key), "%uxx", t->status);
		n = num(json_object_get(part, "status"), key);
	} else {
		snprintf(key, sizeof(key), "%u", t->status);
		n = num(json_object_get(part, "status_codes"), key);
	}
	if (!t->share) {
		strbuf_addf(out, "%.0f", n);
		return n;
	}
	/* as error_rate counts them: answers, transport errors and dropped sends */
	intended = num(part, "requests") + num(part, "dropped") + num(errs, "connect") +
		   num(errs, "timeout") + num(errs, "read") + num(errs, "write");
	strbuf_addf(out, "%.3g%% (%.0f)", intended > 0 ? n / intended * 100 : 0, n);
	return intended > 0 ? n / intended : 0;
}

static double observe(const struct threshold *t, const json_t *part, struct strbuf *out)
{
	const json_t *lat = json_object_get(part, "latency_us");
	double v = 0;

	switch (t->metric) {
	case TM_PCT: v = percentile_us(part, t->pct); break;
	case TM_AVG: v = num(lat, "mean"); break;
	case TM_MIN: v = num(lat, "min"); break;
	case TM_MAX: v = num(lat, "max"); break;
	case TM_ERROR_RATE:
		v = num(part, "error_rate");
		strbuf_addf(out, "%.3g%%", v * 100);
		return v;
	case TM_RATE:
		v = num(part, "rps");
		strbuf_addf(out, "%.1f/s", v);
		return v;
	case TM_DROPPED: v = num(part, "dropped"); strbuf_addf(out, "%.0f", v); return v;
	case TM_REQUESTS: v = num(part, "requests"); strbuf_addf(out, "%.0f", v); return v;
	case TM_STATUS: return observe_status(t, part, out);
	}
	if (isnan(v))
		strbuf_addstr(out, "n/a");
	else
		format_latency_us(out, v);
	return v;
}

int threshold_check(const struct threshold *t, const json_t *part, struct strbuf *observed)
{
	double v = observe(t, part, observed);

	switch (t->op) {
	case OP_LT: return v < t->value;
	case OP_LE: return v <= t->value;
	case OP_GT: return v > t->value;
	case OP_GE: return v >= t->value;
	case OP_EQ: return v == t->value;
	}
	return 0;
}
