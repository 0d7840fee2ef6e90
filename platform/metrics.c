/*
 * Counters, the latency histogram and their exposition; see metrics.h.
 */
#include "metrics.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdatomic.h>
#include <time.h>

#define STATUS_MIN 100
#define STATUS_MAX 599

/* Upper bounds of the latency buckets, in seconds; the last bucket is +Inf. */
static const double bucket_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define BUCKETS (ARRAY_SIZE(bucket_le) + 1)

static const char *const route_names[ROUTE__NR] = {
	[ROUTE_HEALTHZ] = "healthz",
	[ROUTE_READYZ] = "readyz",
	[ROUTE_METRICS] = "metrics",
	[ROUTE_INGEST] = "ingest",
	[ROUTE_LIST] = "list",
	[ROUTE_GET] = "get",
	[ROUTE_STATS] = "stats",
	[ROUTE_UNMATCHED] = "unmatched",
};

static const struct {
	const char *name, *help;
	const char *label;   /* a label and its value, or NULL */
} counters[C__NR] = {
	[C_ROWS_NEW] = { "obsd_ingested_rows_total",
		"Observations received, by whether they were new.", "result=\"new\"" },
	[C_ROWS_PRESENT] = { "obsd_ingested_rows_total", NULL, "result=\"present\"" },
	[C_ROWS_REJECTED] = { "obsd_rejected_rows_total",
		"Invalid rows of refused batches.", NULL },
	[C_DB_CONNECTS] = { "obsd_db_connects_total",
		"Database connections made, first or again.", NULL },
	[C_DB_CONNECT_FAILURES] = { "obsd_db_connect_failures_total",
		"Database connections that failed.", NULL },
	[C_DB_ERRORS] = { "obsd_db_errors_total",
		"Database statements that failed.", NULL },
	[C_DB_RETRIES] = { "obsd_db_retries_total",
		"Database statements tried again on a new connection.", NULL },
};

static _Atomic uint64_t requests[ROUTE__NR][STATUS_MAX - STATUS_MIN + 1];
static _Atomic uint64_t buckets[ROUTE__NR][BUCKETS];
static _Atomic uint64_t latency_ns[ROUTE__NR];
static _Atomic uint64_t counts[C__NR];
static double start_time;

const char *route_name(enum route r)
{
	return r < ROUTE__NR ? route_names[r] : "unmatched";
}

void metrics_init(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	start_time = (double)now.tv_sec + now.tv_nsec / 1e9;
}

void metrics_count(enum counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&counts[c], n, memory_order_relaxed);
}

void metrics_request(enum route r, unsigned status, double seconds)
{
	size_t b = 0;

	if (r >= ROUTE__NR)
		r = ROUTE_UNMATCHED;
	if (status < STATUS_MIN || status > STATUS_MAX)
		status = 500;
	while (b < ARRAY_SIZE(bucket_le) && seconds > bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&requests[r][status - STATUS_MIN], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_ns[r], (uint64_t)(seconds * 1e9), memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void render_requests(struct strbuf *out)
{
	uint64_t errors[ROUTE__NR] = { 0 };

	strbuf_addstr(out, "# HELP obsd_http_requests_total HTTP requests by route and status code.\n"
			   "# TYPE obsd_http_requests_total counter\n");
	for (int r = 0; r < ROUTE__NR; r++)
		for (unsigned s = STATUS_MIN; s <= STATUS_MAX; s++) {
			uint64_t n = load(&requests[r][s - STATUS_MIN]);

			if (!n)
				continue;
			strbuf_addf(out, "obsd_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
				    route_names[r], s, (unsigned long long)n);
			if (s >= 500)
				errors[r] += n;
		}
	strbuf_addstr(out, "# HELP obsd_http_errors_total HTTP requests answered with a server "
			   "error (5xx).\n# TYPE obsd_http_errors_total counter\n");
	for (int r = 0; r < ROUTE__NR; r++)
		strbuf_addf(out, "obsd_http_errors_total{route=\"%s\"} %llu\n", route_names[r],
			    (unsigned long long)errors[r]);
}

#define DURATION "obsd_http_request_duration_seconds"

static void render_histogram(struct strbuf *out)
{
	strbuf_addstr(out, "# HELP " DURATION " Time from a request's headers to its response.\n"
			   "# TYPE " DURATION " histogram\n");
	for (int r = 0; r < ROUTE__NR; r++) {
		const char *name = route_names[r];
		uint64_t cum = 0;

		for (size_t b = 0; b < ARRAY_SIZE(bucket_le); b++) {
			cum += load(&buckets[r][b]);
			strbuf_addf(out, DURATION "_bucket{route=\"%s\",le=\"%g\"} %llu\n", name,
				    bucket_le[b], (unsigned long long)cum);
		}
		cum += load(&buckets[r][BUCKETS - 1]);
		strbuf_addf(out, DURATION "_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name,
			    (unsigned long long)cum);
		strbuf_addf(out, DURATION "_sum{route=\"%s\"} %.9f\n", name,
			    load(&latency_ns[r]) / 1e9);
		strbuf_addf(out, DURATION "_count{route=\"%s\"} %llu\n", name,
			    (unsigned long long)cum);
	}
}

static void render_counters(struct strbuf *out)
{
	for (int c = 0; c < C__NR; c++) {
		if (counters[c].help)
			strbuf_addf(out, "# HELP %s %s\n# TYPE %s counter\n", counters[c].name,
				    counters[c].help, counters[c].name);
		if (counters[c].label)
			strbuf_addf(out, "%s{%s} %llu\n", counters[c].name, counters[c].label,
				    (unsigned long long)load(&counts[c]));
		else
			strbuf_addf(out, "%s %llu\n", counters[c].name,
				    (unsigned long long)load(&counts[c]));
	}
}

void metrics_render(struct strbuf *out)
{
	render_requests(out);
	render_histogram(out);
	render_counters(out);
	strbuf_addf(out, "# HELP process_start_time_seconds Start time of the process since the "
			 "Unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
			 "process_start_time_seconds %.3f\n", start_time);
}
