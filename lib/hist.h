/*
 * A fixed-size log-linear latency histogram (the HdrHistogram layout).
 *
 * Values are unsigned 64-bit integers; loadtest records nanoseconds. With
 * `sig_bits` significant bits, values below 2^(sig_bits+1) have a bucket
 * each, and every power-of-two range above that is split into 2^sig_bits
 * equal sub-buckets, so a value's bucket is never more than 1/2^sig_bits
 * of the value wide: sig_bits 7 gives at most 0.79% relative error. Values
 * up to 2^HIST_MAX_BITS - 1 (about 73 minutes in nanoseconds) are kept;
 * larger ones are clamped to the top and counted in `clamped`.
 *
 * Recording is a few shifts and an add: no allocation, no locks. Each
 * thread records into its own histogram; hist_merge() adds them up. Two
 * histograms merge only when their sig_bits are equal.
 *
 * Percentiles come from the buckets: hist_percentile() returns the highest
 * value that is equivalent to (falls in the same bucket as) the value at
 * that rank, as HdrHistogram does, clamped to the recorded maximum, so a
 * reported p99 is never below the true one by more than the bucket width.
 *
 * The JSON form is sparse ({"sig_bits", "count", "min", "max", "sum",
 * "buckets": [[index, count], ...]}) so that histograms written by
 * separate runs or machines can be merged later (loadtest merge).
 */
#ifndef LIB_HIST_H
#define LIB_HIST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define HIST_MAX_BITS 42        /* 2^42 ns = 73.3 min */
#define HIST_MIN_SIG_BITS 3
#define HIST_MAX_SIG_BITS 10

struct hist {
	unsigned sig_bits;
	size_t nr_buckets;
	uint64_t *counts;       /* nr_buckets, owned */
	uint64_t count;         /* values recorded */
	uint64_t min, max;      /* min is UINT64_MAX while empty */
	double sum;             /* of the values, for the mean */
	double sumsq;           /* of their squares, for the standard deviation */
	uint64_t clamped;       /* values above the top, recorded as the top */
};

#define HIST_INIT { 0 }

/* Allocate the buckets; sig_bits must lie within HIST_{MIN,MAX}_SIG_BITS. */
void hist_init(struct hist *h, unsigned sig_bits);
void hist_release(struct hist *h);
void hist_reset(struct hist *h);

/* The bucket of `v`, and the lowest and highest value a bucket holds. */
size_t hist_index(const struct hist *h, uint64_t v);
uint64_t hist_bucket_low(const struct hist *h, size_t i);
uint64_t hist_bucket_high(const struct hist *h, size_t i);

static inline void hist_record_n(struct hist *h, uint64_t v, uint64_t n);
static inline void hist_record(struct hist *h, uint64_t v) { hist_record_n(h, v, 1); }

/*
 * Record `v` for an open-loop sender that meant to send every `interval`
 * but was held up: also records v - interval, v - 2*interval, ... down to
 * `interval`, the latencies the requests that could not be sent would have
 * seen (HdrHistogram's recordValueWithExpectedInterval). interval 0 is a
 * plain record.
 */
void hist_record_corrected(struct hist *h, uint64_t v, uint64_t interval);

/* dst += src. Returns -1 when the two differ in sig_bits. */
int hist_merge(struct hist *dst, const struct hist *src);

/* The value at percentile p (0 < p <= 100); 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);
double hist_mean(const struct hist *h);
double hist_stdev(const struct hist *h);

/* Sparse JSON form, and back. hist_from_json fills `h` (which it
 * initialises) or returns -1 with a reason in `err`. */
json_t *hist_to_json(const struct hist *h);
int hist_from_json(struct hist *h, const json_t *j, const char **err);

/* ---- inline recording ---- */

static inline size_t hist_index_inline_(unsigned sig_bits, uint64_t v)
{
	/* bucket "magnitude" m: v lies in [2^(m+sig_bits), 2^(m+sig_bits+1)) */
	unsigned lz = v ? (unsigned)__builtin_clzll(v) : 64;
	unsigned top = 64 - lz;                         /* bits in v */
	if (top <= sig_bits + 1)
		return (size_t)v;                       /* exact */
	unsigned shift = top - (sig_bits + 1);
	size_t sub = (size_t)(v >> shift);              /* in [2^sig_bits, 2^(sig_bits+1)) */
	return ((size_t)shift << sig_bits) + sub;
}

static inline void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (v >> HIST_MAX_BITS) {
		v = ((uint64_t)1 << HIST_MAX_BITS) - 1;
		h->clamped += n;
	}
	h->counts[hist_index_inline_(h->sig_bits, v)] += n;
	h->count += n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->sum += (double)v * (double)n;
	h->sumsq += (double)v * (double)v * (double)n;
}

#endif
