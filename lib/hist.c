/*
 * The log-linear latency histogram; see hist.h for the layout.
 *
 * Bucket i below 2^(sig_bits+1) holds exactly the value i. Above that,
 * i = (shift << sig_bits) + sub with sub in [2^sig_bits, 2^(sig_bits+1)),
 * and the bucket holds the 2^shift values starting at sub << shift; this
 * is the inverse of hist_index_inline_() in hist.h.
 */
#include "hist.h"
#include "usage.h"
#include "xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_TOP ((((uint64_t)1) << HIST_MAX_BITS) - 1)

void hist_init(struct hist *h, unsigned sig_bits)
{
	if (sig_bits < HIST_MIN_SIG_BITS || sig_bits > HIST_MAX_SIG_BITS)
		BUG("histogram sig_bits %u out of range", sig_bits);
	memset(h, 0, sizeof(*h));
	h->sig_bits = sig_bits;
	/* the top bucket is the one HIST_TOP falls in: agree with the inline */
	h->nr_buckets = hist_index_inline_(sig_bits, HIST_TOP) + 1;
	h->counts = xcalloc(h->nr_buckets, sizeof(*h->counts));
	h->min = UINT64_MAX;
}

void hist_release(struct hist *h)
{
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

void hist_reset(struct hist *h)
{
	memset(h->counts, 0, h->nr_buckets * sizeof(*h->counts));
	h->count = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum = h->sumsq = 0;
	h->clamped = 0;
}

/* Values above the top are recorded in the top bucket, so they index it. */
size_t hist_index(const struct hist *h, uint64_t v)
{
	return hist_index_inline_(h->sig_bits, v > HIST_TOP ? HIST_TOP : v);
}

/* The width of bucket i is 1 << shift; its lowest value is low. */
static void bucket_range(const struct hist *h, size_t i, uint64_t *low, unsigned *shift)
{
	size_t exact = (size_t)2 << h->sig_bits;

	if (i >= h->nr_buckets)
		BUG("histogram bucket %zu out of range (%zu buckets)", i, h->nr_buckets);
	if (i < exact) {
		*low = i;
		*shift = 0;
		return;
	}
	*shift = (unsigned)(i >> h->sig_bits) - 1;
	*low = (uint64_t)(i - ((size_t)*shift << h->sig_bits)) << *shift;
}

uint64_t hist_bucket_low(const struct hist *h, size_t i)
{
	uint64_t low;
	unsigned shift;

	bucket_range(h, i, &low, &shift);
	return low;
}

uint64_t hist_bucket_high(const struct hist *h, size_t i)
{
	uint64_t low;
	unsigned shift;

	bucket_range(h, i, &low, &shift);
	return low + (((uint64_t)1 << shift) - 1);
}

/*
 * Add the cnt values x, x + d, ..., all in bucket i (or all clamped into
 * it), with the sums of the arithmetic series instead of one at a time.
 */
static void add_series(struct hist *h, size_t i, uint64_t x, uint64_t d, uint64_t cnt)
{
	double n = (double)cnt, s1 = n * (n - 1) / 2, s2 = s1 * (2 * n - 1) / 3;
	double fx = (double)x, fd = (double)d;
	uint64_t last = x + d * (cnt - 1);

	h->counts[i] += cnt;
	h->count += cnt;
	h->sum += n * fx + fd * s1;
	h->sumsq += n * fx * fx + 2 * fx * fd * s1 + fd * fd * s2;
	if (x < h->min)
		h->min = x;
	if (last > h->max)
		h->max = last;
}

/*
 * The extra values are r + m*interval for m = 1 .. q-1 (q = v / interval,
 * r = v % interval). A latency of hours at a microsecond interval would
 * mean billions of them, so each bucket's run of the series is added in
 * one step: the cost is at most one step per bucket, never per value,
 * and the counts are exact (sum and sumsq to double rounding).
 */
void hist_record_corrected(struct hist *h, uint64_t v, uint64_t interval)
{
	uint64_t q, r, m;

	hist_record(h, v);
	if (!interval || v / interval < 2)
		return;
	q = v / interval;
	r = v % interval;
	for (m = 1; m < q; ) {
		uint64_t x = r + m * interval, cnt;
		size_t i = hist_index(h, x);

		if (x > HIST_TOP) {
			cnt = q - m;
			add_series(h, i, HIST_TOP, 0, cnt);
			h->clamped += cnt;
			break;
		}
		cnt = (hist_bucket_high(h, i) - x) / interval + 1;
		if (cnt > q - m)
			cnt = q - m;
		add_series(h, i, x, interval, cnt);
		m += cnt;
	}
}

int hist_merge(struct hist *dst, const struct hist *src)
{
	if (dst->sig_bits != src->sig_bits)
		return -1;
	for (size_t i = 0; i < dst->nr_buckets; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

/*
 * The rank of percentile p: ceil(p/100 * count), at least 1, at most
 * count. p/100 is inexact in binary (99.9% of 100000 comes out a hair
 * above 99900), so a fraction within rounding error of an integer does
 * not round up.
 */
static uint64_t percentile_rank(uint64_t count, double p)
{
	double x = p / 100 * (double)count;
	uint64_t rank;

	if (x >= (double)count)
		return count;
	rank = (uint64_t)x;
	if (x - (double)rank > x * 1e-12)
		rank++;
	return rank ? rank : 1;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	size_t i;

	if (!h->count)
		return 0;
	if (!(p > 0))
		return h->min;
	rank = percentile_rank(h->count, p);
	for (i = 0; i < h->nr_buckets - 1; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	v = hist_bucket_high(h, i);
	return v > h->max ? h->max : v < h->min ? h->min : v;
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

/* The population standard deviation. */
double hist_stdev(const struct hist *h)
{
	double n = (double)h->count, mean, var;

	if (h->count < 2)
		return 0;
	mean = h->sum / n;
	var = h->sumsq / n - mean * mean;
	/* sumsq/n and mean^2 nearly cancel for a narrow spread */
	return var > 0 ? sqrt(var) : 0;
}

/* ---- JSON ---- */

static json_t *buckets_to_json(const struct hist *h)
{
	json_t *a = json_array();

	for (size_t i = 0; i < h->nr_buckets; i++) {
		if (!h->counts[i])
			continue;
		json_array_append_new(a, json_pack("[I, I]", (json_int_t)i,
						   (json_int_t)h->counts[i]));
	}
	return a;
}

/*
 * Counts are written as json_int_t (long long): a histogram holding more
 * than 2^63 values cannot be written, which no run comes near.
 */
json_t *hist_to_json(const struct hist *h)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:o}",
			 "sig_bits", (json_int_t)h->sig_bits,
			 "count", (json_int_t)h->count,
			 "min", (json_int_t)(h->count ? h->min : 0),
			 "max", (json_int_t)h->max,
			 "sum", h->sum,
			 "sumsq", h->sumsq,
			 "clamped", (json_int_t)h->clamped,
			 "buckets", buckets_to_json(h));
}

static const char *const hist_keys[] = {
	"sig_bits", "count", "min", "max", "sum", "sumsq", "clamped", "buckets",
};

static int check_keys(const json_t *j, const char **err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)j, key, v) {
		size_t k = 0;

		while (k < ARRAY_SIZE(hist_keys) && strcmp(key, hist_keys[k]))
			k++;
		if (k == ARRAY_SIZE(hist_keys)) {
			*err = "histogram: unknown key";
			return -1;
		}
	}
	return 0;
}

/* A non-negative integer member; *err names what is wrong with it. */
static int get_uint(const json_t *j, const char *key, uint64_t *out, const char **err)
{
	json_t *v = json_object_get(j, key);

	if (!v) {
		*err = "histogram: missing key";
		return -1;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*err = "histogram: expected a non-negative integer";
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_real(const json_t *j, const char *key, double *out, const char **err)
{
	json_t *v = json_object_get(j, key);

	if (!v) {
		*err = "histogram: missing key";
		return -1;
	}
	/* a writer may print a whole-number sum without a fraction */
	if (!json_is_number(v) || !(json_number_value(v) >= 0) || isinf(json_number_value(v))) {
		*err = "histogram: expected a non-negative number";
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

/* One [index, count] pair, after the pair at *next - 1. */
static int read_bucket(struct hist *h, const json_t *b, size_t *next, const char **err)
{
	json_t *ji = json_array_get(b, 0), *jc = json_array_get(b, 1);
	json_int_t i, c;

	if (!json_is_array(b) || json_array_size(b) != 2 ||
	    !json_is_integer(ji) || !json_is_integer(jc)) {
		*err = "histogram: a bucket is not an [index, count] pair";
		return -1;
	}
	i = json_integer_value(ji);
	c = json_integer_value(jc);
	if (i < 0 || (uint64_t)i >= h->nr_buckets) {
		*err = "histogram: bucket index out of range";
		return -1;
	}
	if ((size_t)i < *next) {
		*err = "histogram: bucket indexes not increasing";
		return -1;
	}
	if (c <= 0) {
		*err = "histogram: bucket count not positive";
		return -1;
	}
	h->counts[i] = (uint64_t)c;
	*next = (size_t)i + 1;
	return 0;
}

static int read_buckets(struct hist *h, const json_t *j, uint64_t count, const char **err)
{
	json_t *a = json_object_get(j, "buckets"), *b;
	uint64_t total = 0;
	size_t k, next = 0;

	if (!json_is_array(a)) {
		*err = a ? "histogram: buckets is not an array" : "histogram: missing key";
		return -1;
	}
	json_array_foreach(a, k, b) {
		if (read_bucket(h, b, &next, err) < 0)
			return -1;
		/* each count is below 2^63 and total <= count, so no wrap */
		total += h->counts[next - 1];
		if (total > count)
			break;
	}
	if (total != count) {
		*err = "histogram: bucket counts do not add up to count";
		return -1;
	}
	return 0;
}

/* min and max must lie in the lowest and highest non-empty buckets. */
static int check_extremes(const struct hist *h, const char **err)
{
	size_t lo = 0, hi = h->nr_buckets - 1;

	if (!h->count) {
		if (h->min || h->max || h->clamped || h->sum || h->sumsq) {
			*err = "histogram: an empty histogram with values";
			return -1;
		}
		return 0;
	}
	while (!h->counts[lo])
		lo++;
	while (!h->counts[hi])
		hi--;
	if (h->min > h->max || h->max > HIST_TOP ||
	    hist_index(h, h->min) != lo || hist_index(h, h->max) != hi) {
		*err = "histogram: min or max does not match the buckets";
		return -1;
	}
	if (h->clamped > h->counts[h->nr_buckets - 1]) {
		*err = "histogram: more clamped values than the top bucket holds";
		return -1;
	}
	return 0;
}

static int read_fields(struct hist *h, const json_t *j, const char **err)
{
	uint64_t count, min, max, clamped;
	double sum, sumsq;

	if (get_uint(j, "count", &count, err) < 0 ||
	    get_uint(j, "min", &min, err) < 0 ||
	    get_uint(j, "max", &max, err) < 0 ||
	    get_uint(j, "clamped", &clamped, err) < 0 ||
	    get_real(j, "sum", &sum, err) < 0 ||
	    get_real(j, "sumsq", &sumsq, err) < 0 ||
	    read_buckets(h, j, count, err) < 0)
		return -1;
	h->count = count;
	h->min = min;
	h->max = max;
	h->clamped = clamped;
	h->sum = sum;
	h->sumsq = sumsq;
	if (check_extremes(h, err) < 0)
		return -1;
	if (!count)
		h->min = UINT64_MAX;	/* written as 0 */
	return 0;
}

int hist_from_json(struct hist *h, const json_t *j, const char **err)
{
	uint64_t sig_bits;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(j)) {
		*err = "histogram: not an object";
		return -1;
	}
	if (check_keys(j, err) < 0 || get_uint(j, "sig_bits", &sig_bits, err) < 0)
		return -1;
	if (sig_bits < HIST_MIN_SIG_BITS || sig_bits > HIST_MAX_SIG_BITS) {
		*err = "histogram: sig_bits out of range";
		return -1;
	}
	hist_init(h, (unsigned)sig_bits);
	if (read_fields(h, j, err) < 0) {
		hist_release(h);
		return -1;
	}
	return 0;
}
