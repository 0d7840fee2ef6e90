/*
 * Unit tests for lib/hist: the bucket layout against the inline index,
 * the relative error bound, percentiles against exact ones, merging,
 * clamping, coordinated-omission correction, and the JSON form.
 */
#include "hist.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP ((((uint64_t)1) << HIST_MAX_BITS) - 1)

/* splitmix64: a fixed seed gives the same values on every machine */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}

/* Log-uniform in [1, 2^42 - 1]: a uniform bit length, then uniform bits. */
static uint64_t rng_log_uniform(void)
{
	unsigned bits = 1 + (unsigned)(rng() % HIST_MAX_BITS);
	uint64_t top = (uint64_t)1 << (bits - 1);

	return top | (rng() & (top - 1));
}

/* Log-normal around 1ms with a long tail, in nanoseconds. */
static uint64_t rng_latency(void)
{
	double u1 = 1 - rng_unit(), u2 = rng_unit();
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

	return (uint64_t)exp(log(1e6) + 1.2 * z) + 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int same_buckets(const struct hist *a, const struct hist *b)
{
	return a->sig_bits == b->sig_bits && a->nr_buckets == b->nr_buckets &&
	       !memcmp(a->counts, b->counts, a->nr_buckets * sizeof(*a->counts));
}

static int close_to(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want);
}

/* Every bucket holds a contiguous range that maps back to it. */
static void test_layout(unsigned sig_bits)
{
	struct hist h = HIST_INIT;
	size_t bad = 0, i;

	hist_init(&h, sig_bits);
	tap_is_int((intmax_t)h.nr_buckets, (intmax_t)((HIST_MAX_BITS + 1 - sig_bits) << sig_bits),
		   "sig_bits %u: bucket count", sig_bits);
	for (i = 0; i < h.nr_buckets; i++) {
		uint64_t lo = hist_bucket_low(&h, i), hi = hist_bucket_high(&h, i);

		if (lo > hi || hist_index(&h, lo) != i || hist_index(&h, hi) != i)
			bad++;
		else if (i + 1 < h.nr_buckets && hist_bucket_low(&h, i + 1) != hi + 1)
			bad++;
		else if (i < ((size_t)2 << sig_bits) && (lo != i || hi != i))
			bad++;
	}
	tap_ok(!bad, "sig_bits %u: every bucket is a contiguous range indexing to itself (%zu bad)",
	       sig_bits, bad);
	tap_ok(hist_bucket_low(&h, 0) == 0 && hist_bucket_high(&h, h.nr_buckets - 1) == TOP,
	       "sig_bits %u: the buckets cover 0 .. 2^%d-1", sig_bits, HIST_MAX_BITS);
	tap_ok(hist_index(&h, TOP + 1) == h.nr_buckets - 1 &&
	       hist_index(&h, UINT64_MAX) == h.nr_buckets - 1,
	       "sig_bits %u: values above the top index the top bucket", sig_bits);
	hist_release(&h);
	tap_ok(!h.counts && !h.nr_buckets, "hist_release leaves the histogram empty");
}

static void test_relative_error(unsigned sig_bits)
{
	struct hist h = HIST_INIT;
	double bound = 1.0 / (double)(1u << sig_bits), worst = 0;
	size_t bad = 0, inexact = 0;

	hist_init(&h, sig_bits);
	for (int k = 0; k < 1000000; k++) {
		uint64_t v = rng_log_uniform();
		size_t i = hist_index(&h, v);
		uint64_t lo = hist_bucket_low(&h, i), hi = hist_bucket_high(&h, i);
		double rel = (double)(hi - v) / (double)v;

		if (lo > v || hi < v || rel > bound)
			bad++;
		if (v < ((uint64_t)2 << sig_bits) && (lo != v || hi != v))
			inexact++;
		if (rel > worst)
			worst = rel;
	}
	tap_ok(!bad, "sig_bits %u: (high - v)/v <= 1/2^%u for 1M log-uniform values (worst %g)",
	       sig_bits, sig_bits, worst);
	tap_ok(!inexact, "sig_bits %u: values below 2^%u have a bucket each", sig_bits, sig_bits + 1);
	hist_release(&h);
}

/* The value at rank ceil(p/100 n) of a sorted array, as hist_percentile defines it. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100 * (double)n - 1e-9);

	return sorted[(rank ? rank : 1) - 1];
}

#define NR_VALUES 100000

static void test_percentiles(void)
{
	static const double ps[] = { 50, 90, 99, 99.9, 99.99 };
	uint64_t *v = calloc(NR_VALUES, sizeof(*v));
	struct hist h = HIST_INIT;

	hist_init(&h, 7);
	tap_is_int((intmax_t)hist_percentile(&h, 50), 0, "an empty histogram's p50 is 0");
	for (size_t k = 0; k < NR_VALUES; k++) {
		v[k] = rng_latency();
		hist_record(&h, v[k]);
	}
	qsort(v, NR_VALUES, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t want = exact_percentile(v, NR_VALUES, ps[k]);
		uint64_t got = hist_percentile(&h, ps[k]);

		tap_ok(got >= want && (double)(got - want) / (double)want <= 1.0 / 128,
		       "p%g: %llu within 1/128 above the exact %llu", ps[k],
		       (unsigned long long)got, (unsigned long long)want);
	}
	tap_ok(hist_percentile(&h, 100) == v[NR_VALUES - 1] && h.max == v[NR_VALUES - 1],
	       "p100 is the exact maximum");
	tap_ok(hist_percentile(&h, 0) == v[0] && h.min == v[0], "p0 is the exact minimum");
	tap_ok(hist_percentile(&h, 1e-9) >= v[0] && hist_percentile(&h, 1e-9) <= v[0] + v[0] / 128,
	       "a tiny percentile is rank 1, in the minimum's bucket");
	hist_release(&h);
	free(v);
}

static void test_percentile_ranks(void)
{
	struct hist h = HIST_INIT;

	hist_init(&h, 7);
	for (uint64_t k = 1; k <= 100; k++)
		hist_record(&h, k);
	tap_is_int((intmax_t)hist_percentile(&h, 50), 50, "p50 of 1..100 is 50 (exact buckets)");
	tap_is_int((intmax_t)hist_percentile(&h, 99), 99, "p99 of 1..100 is 99");
	tap_is_int((intmax_t)hist_percentile(&h, 99.5), 100, "p99.5 of 1..100 rounds the rank up");
	tap_is_int((intmax_t)hist_percentile(&h, 150), 100, "a percentile above 100 is the maximum");
	hist_reset(&h);
	hist_record(&h, 1000);
	tap_is_int((intmax_t)hist_percentile(&h, 50), 1000,
		   "a single value is every percentile, not its bucket's top");
	hist_reset(&h);
	tap_ok(h.count == 0 && h.min == UINT64_MAX && h.max == 0 && h.sum == 0 &&
	       hist_percentile(&h, 99) == 0, "hist_reset empties the histogram");
	hist_release(&h);
}

static void test_merge(void)
{
	static const double ps[] = { 1, 50, 90, 99, 99.9, 99.99, 100 };
	struct hist all = HIST_INIT, a = HIST_INIT, b = HIST_INIT, other = HIST_INIT;
	int same = 1;

	hist_init(&all, 7);
	hist_init(&a, 7);
	hist_init(&b, 7);
	for (int k = 0; k < NR_VALUES; k++) {
		uint64_t v = rng_latency();

		hist_record(&all, v);
		hist_record(k < NR_VALUES / 2 ? &a : &b, v);
	}
	tap_is_int(hist_merge(&a, &b), 0, "merging equal sig_bits succeeds");
	tap_ok(same_buckets(&a, &all), "merged halves have the same buckets as one histogram");
	tap_ok(a.count == all.count && a.min == all.min && a.max == all.max &&
	       a.clamped == all.clamped, "merged count, min, max and clamped match");
	tap_ok(close_to(a.sum, all.sum, 1e-12) && close_to(a.sumsq, all.sumsq, 1e-12),
	       "merged sum and sumsq match");
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		same &= hist_percentile(&a, ps[k]) == hist_percentile(&all, ps[k]);
	tap_ok(same, "merged percentiles match");

	hist_init(&other, 5);
	hist_record(&other, 3);
	tap_is_int(hist_merge(&a, &other), -1, "merging different sig_bits fails");
	tap_ok(a.count == all.count && same_buckets(&a, &all), "a failed merge changes nothing");
	hist_reset(&b);
	tap_ok(hist_merge(&a, &b) == 0 && a.min == all.min && a.max == all.max,
	       "merging an empty histogram keeps min and max");
	hist_release(&all);
	hist_release(&a);
	hist_release(&b);
	hist_release(&other);
}

static void test_clamp(void)
{
	struct hist h = HIST_INIT;

	hist_init(&h, 7);
	hist_record(&h, TOP);
	hist_record(&h, TOP + 1);
	hist_record(&h, UINT64_MAX);
	hist_record(&h, 5);
	tap_ok(h.clamped == 2 && h.count == 4, "values above 2^42-1 are counted as clamped");
	tap_ok(h.max == TOP && h.counts[h.nr_buckets - 1] == 3,
	       "clamped values are recorded as the top");
	tap_ok(hist_percentile(&h, 100) == TOP && hist_percentile(&h, 25) == 5,
	       "percentiles see clamped values at the top");
	hist_release(&h);
}

/* How many of r + m*d, m in [1, q-1], lie in [lo, hi]. */
static uint64_t series_in(uint64_t r, uint64_t d, uint64_t q, uint64_t lo, uint64_t hi)
{
	uint64_t m_lo = lo <= r + d ? 1 : (lo - r + d - 1) / d;
	uint64_t m_hi = hi < r + d ? 0 : (hi - r) / d;

	if (m_hi > q - 1)
		m_hi = q - 1;
	return m_hi >= m_lo ? m_hi - m_lo + 1 : 0;
}

/* Bucket i's count after hist_record_corrected(v, d) into an empty h. */
static uint64_t corrected_count(const struct hist *h, size_t i, uint64_t v, uint64_t d)
{
	uint64_t lo = hist_bucket_low(h, i), hi = hist_bucket_high(h, i);
	uint64_t n = series_in(v % d, d, v / d, lo, hi);

	if (i == h->nr_buckets - 1)
		n += series_in(v % d, d, v / d, TOP + 1, UINT64_MAX);
	return n + (hist_index(h, v) == i);
}

static int check_corrected(uint64_t v, uint64_t d)
{
	struct hist h = HIST_INIT;
	size_t bad = 0;

	hist_init(&h, 7);
	hist_record_corrected(&h, v, d);
	for (size_t i = 0; i < h.nr_buckets; i++)
		bad += h.counts[i] != corrected_count(&h, i, v, d);
	bad += h.count != v / d;
	bad += h.min != (v % d + d > TOP ? TOP : v % d + d);
	bad += h.max != (v > TOP ? TOP : v);
	hist_release(&h);
	return !bad;
}

static void test_corrected(void)
{
	struct hist h = HIST_INIT, want = HIST_INIT;

	hist_init(&h, 7);
	hist_init(&want, 7);
	hist_record_corrected(&h, 1000, 100);
	for (uint64_t v = 100; v <= 1000; v += 100)
		hist_record(&want, v);
	tap_ok(h.count == 10 && h.min == 100 && h.max == 1000,
	       "v=1000 interval=100 records 10 values 100..1000");
	tap_ok(same_buckets(&h, &want) && h.sum == want.sum && h.sumsq == want.sumsq,
	       "the corrected values are 100, 200, ... 1000");

	hist_reset(&h);
	hist_record_corrected(&h, 1000, 0);
	hist_record_corrected(&h, 99, 100);
	hist_record_corrected(&h, 100, 100);
	tap_ok(h.count == 3 && h.sum == 1199, "interval 0 and v <= interval record v alone");
	hist_reset(&h);
	hist_record_corrected(&h, 250, 100);
	tap_ok(h.count == 2 && h.min == 150 && h.max == 250, "v=250 interval=100 adds 150");

	hist_reset(&h);
	hist_reset(&want);
	hist_record_corrected(&h, 3000017, 3);
	for (uint64_t v = 3000017; v >= 3; v -= 3)
		hist_record(&want, v);
	tap_ok(same_buckets(&h, &want) && h.count == want.count && h.min == want.min &&
	       h.max == want.max, "a million corrected values match recording them one by one");
	tap_ok(close_to(h.sum, want.sum, 1e-12) && close_to(h.sumsq, want.sumsq, 1e-9),
	       "their sum and sum of squares match too");
	hist_release(&h);
	hist_release(&want);

	tap_ok(check_corrected(12345678, 7), "corrected counts per bucket, 1.7M values");
	tap_ok(check_corrected(((uint64_t)1 << 50) + 5, (uint64_t)1 << 20),
	       "corrected counts per bucket, 2^30 values mostly above the top");
	tap_ok(check_corrected(UINT64_MAX, 1), "corrected UINT64_MAX at interval 1 ends quickly");
	hist_init(&h, 7);
	hist_record_corrected(&h, ((uint64_t)1 << 50) + 5, (uint64_t)1 << 20);
	tap_ok(h.clamped == ((uint64_t)1 << 30) - ((uint64_t)1 << 22) + 1,
	       "corrected values above the top are counted as clamped");
	hist_release(&h);
}

static int hist_equal(const struct hist *a, const struct hist *b)
{
	return same_buckets(a, b) && a->count == b->count && a->min == b->min &&
	       a->max == b->max && a->sum == b->sum && a->sumsq == b->sumsq &&
	       a->clamped == b->clamped;
}

/* hist -> JSON text -> hist */
static int round_trip(const struct hist *h, struct hist *out, const char **err)
{
	json_t *j = hist_to_json(h), *back;
	char *text = json_dumps(j, JSON_COMPACT);
	int ret;

	back = json_loads(text, 0, NULL);
	ret = back ? hist_from_json(out, back, err) : -1;
	json_decref(j);
	json_decref(back);
	free(text);
	return ret;
}

static void test_json(void)
{
	struct hist h = HIST_INIT, back = HIST_INIT;
	const char *err = NULL;
	json_t *j;
	char *text;

	hist_init(&h, 3);
	hist_record(&h, 1);
	hist_record(&h, 1);
	hist_record(&h, 5);
	j = hist_to_json(&h);
	text = json_dumps(j, JSON_COMPACT);
	tap_is_str(text, "{\"sig_bits\":3,\"count\":3,\"min\":1,\"max\":5,\"sum\":7.0,"
		   "\"sumsq\":27.0,\"clamped\":0,\"buckets\":[[1,2],[5,1]]}",
		   "hist_to_json writes the sparse form");
	free(text);
	json_decref(j);
	hist_release(&h);

	hist_init(&h, 7);
	for (int k = 0; k < 10000; k++)
		hist_record(&h, rng_latency());
	hist_record(&h, UINT64_MAX);
	tap_ok(round_trip(&h, &back, &err) == 0 && hist_equal(&h, &back),
	       "a histogram survives a JSON round trip");
	hist_release(&back);
	hist_reset(&h);
	tap_ok(round_trip(&h, &back, &err) == 0 && hist_equal(&h, &back) && back.min == UINT64_MAX,
	       "an empty histogram survives a JSON round trip");
	j = hist_to_json(&h);
	tap_is_int(json_integer_value(json_object_get(j, "min")), 0,
		   "an empty histogram's min is written as 0");
	json_decref(j);
	hist_release(&back);
	hist_release(&h);
}

static const struct bad_json {
	const char *json, *err, *what;
} bad_json[] = {
#define OK_HEAD "\"sig_bits\":3,\"min\":1,\"max\":5,\"sum\":7,\"sumsq\":27,\"clamped\":0"
	{ "[]", "histogram: not an object", "not an object" },
	{ "{" OK_HEAD ",\"count\":3}", "histogram: missing key", "no buckets" },
	{ "{\"sig_bits\":3,\"min\":1,\"max\":5,\"sum\":7,\"clamped\":0,\"count\":3,"
	  "\"buckets\":[[1,2],[5,1]]}", "histogram: missing key", "no sumsq" },
	{ "{" OK_HEAD ",\"count\":\"3\",\"buckets\":[[1,2],[5,1]]}",
	  "histogram: expected a non-negative integer", "count as a string" },
	{ "{" OK_HEAD ",\"count\":3.0,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: expected a non-negative integer", "count as a real" },
	{ "{" OK_HEAD ",\"count\":-3,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: expected a non-negative integer", "negative count" },
	{ "{\"sig_bits\":3,\"min\":1,\"max\":5,\"sum\":\"7\",\"sumsq\":27,\"clamped\":0,"
	  "\"count\":3,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: expected a non-negative number", "sum as a string" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":{}}", "histogram: buckets is not an array",
	  "buckets as an object" },
	{ "{\"sig_bits\":2,\"min\":1,\"max\":5,\"sum\":7,\"sumsq\":27,\"clamped\":0,"
	  "\"count\":3,\"buckets\":[[1,2],[5,1]]}", "histogram: sig_bits out of range", "sig_bits 2" },
	{ "{\"sig_bits\":11,\"min\":1,\"max\":5,\"sum\":7,\"sumsq\":27,\"clamped\":0,"
	  "\"count\":3,\"buckets\":[[1,2],[5,1]]}", "histogram: sig_bits out of range", "sig_bits 11" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,2],[320,1]]}",
	  "histogram: bucket index out of range", "index = nr_buckets" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[-1,2],[5,1]]}",
	  "histogram: bucket index out of range", "negative index" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[5,1],[1,2]]}",
	  "histogram: bucket indexes not increasing", "decreasing indexes" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,2],[1,1]]}",
	  "histogram: bucket indexes not increasing", "a repeated index" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,3],[5,0]]}",
	  "histogram: bucket count not positive", "a zero count" },
	{ "{" OK_HEAD ",\"count\":4,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: bucket counts do not add up to count", "counts short of count" },
	{ "{" OK_HEAD ",\"count\":2,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: bucket counts do not add up to count", "counts over count" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,2],[5]]}",
	  "histogram: a bucket is not an [index, count] pair", "a bucket of one number" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,2],5]}",
	  "histogram: a bucket is not an [index, count] pair", "a bucket that is not an array" },
	{ "{" OK_HEAD ",\"count\":3,\"buckets\":[[1,2],[5,1]],\"p99\":5}",
	  "histogram: unknown key", "an unknown key" },
	{ "{\"sig_bits\":3,\"min\":2,\"max\":5,\"sum\":7,\"sumsq\":27,\"clamped\":0,"
	  "\"count\":3,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: min or max does not match the buckets", "min outside the lowest bucket" },
	{ "{\"sig_bits\":3,\"min\":1,\"max\":5,\"sum\":7,\"sumsq\":27,\"clamped\":2,"
	  "\"count\":3,\"buckets\":[[1,2],[5,1]]}",
	  "histogram: more clamped values than the top bucket holds", "clamped values not at the top" },
	{ "{\"sig_bits\":3,\"min\":0,\"max\":5,\"sum\":0,\"sumsq\":0,\"clamped\":0,"
	  "\"count\":0,\"buckets\":[]}",
	  "histogram: an empty histogram with values", "an empty histogram with a max" },
#undef OK_HEAD
};

static void test_json_errors(void)
{
	const char *good = "{\"sig_bits\":3,\"min\":1,\"max\":5,\"sum\":7,\"sumsq\":27,"
			   "\"clamped\":0,\"count\":3,\"buckets\":[[1,2],[5,1]]}";
	struct hist h = HIST_INIT;
	const char *err = NULL;
	json_t *j = json_loads(good, 0, NULL);

	tap_ok(hist_from_json(&h, j, &err) == 0 && h.count == 3 && h.min == 1 && h.max == 5 &&
	       h.sum == 7 && hist_percentile(&h, 50) == 1, "a hand-written histogram is read");
	hist_release(&h);
	json_decref(j);
	for (size_t k = 0; k < sizeof(bad_json) / sizeof(bad_json[0]); k++) {
		int ret;

		j = json_loads(bad_json[k].json, 0, NULL);
		if (!j)
			tap_diag("test input %zu is not JSON", k);
		err = NULL;
		ret = hist_from_json(&h, j, &err);
		tap_ok(ret == -1 && err && !strcmp(err, bad_json[k].err) && !h.counts,
		       "hist_from_json refuses %s: %s", bad_json[k].what, err ? err : "(no reason)");
		json_decref(j);
	}
}

static void test_mean_stdev(void)
{
	static const uint64_t set[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct hist h = HIST_INIT;

	hist_init(&h, 7);
	tap_ok(hist_mean(&h) == 0 && hist_stdev(&h) == 0, "an empty histogram has mean and stdev 0");
	hist_record(&h, 42);
	tap_ok(hist_mean(&h) == 42 && hist_stdev(&h) == 0, "one value: mean is it, stdev 0");
	hist_reset(&h);
	for (size_t k = 0; k < sizeof(set) / sizeof(set[0]); k++)
		hist_record(&h, set[k]);
	tap_ok(hist_mean(&h) == 5 && hist_stdev(&h) == 2,
	       "mean 5 and population stdev 2 of 2 4 4 4 5 5 7 9");
	/*
	 * sum and sumsq are doubles, so sumsq/n - mean^2 cancels badly when
	 * the spread is tiny beside the mean: 1000 x 123456789 leaves -340.
	 */
	hist_reset(&h);
	for (int k = 0; k < 1000; k++)
		hist_record(&h, 123456789);
	tap_ok(hist_stdev(&h) == 0, "a rounding error's negative variance gives stdev 0, not NaN");
	hist_reset(&h);
	for (int k = 0; k < 1000; k++)
		hist_record(&h, 3000000007ull + (uint64_t)(k & 1));
	tap_ok(hist_stdev(&h) < 1e-6 * hist_mean(&h) && close_to(hist_mean(&h), 3000000007.5, 1e-15),
	       "a narrow spread far from 0 gives a stdev within rounding (%g)", hist_stdev(&h));
	hist_release(&h);
}

int main(void)
{
	for (unsigned s = HIST_MIN_SIG_BITS; s <= HIST_MAX_SIG_BITS; s++)
		test_layout(s);
	test_relative_error(5);
	test_relative_error(7);
	test_percentiles();
	test_percentile_ranks();
	test_merge();
	test_clamp();
	test_corrected();
	test_json();
	test_json_errors();
	test_mean_stdev();
	return tap_done();
}
