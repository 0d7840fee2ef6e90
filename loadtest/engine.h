/*
 * The engine: event-loop threads that drive HTTP/1.1 connections.
 *
 * Each scenario runs on its own threads; each thread owns an epoll set, its
 * share of the connections and, in the open model, its share of the
 * arrival rate. Nothing is shared between threads while the test runs:
 * every thread counts into its own `struct run_stats`, and the caller gets
 * them merged per scenario once the threads have finished.
 *
 * Closed model: every connection sends its next request as soon as the
 * previous answer arrived; latency runs from the actual send.
 *
 * Open model: requests are due at planned times (a constant rate or
 * piecewise-linear stages), whether or not the server keeps up. A due
 * request goes out on an idle connection; while none is idle it waits, and
 * its latency still runs from the planned time, so a stalled server shows
 * in the percentiles (the coordinated-omission correction of wrk2 and k6's
 * arrival-rate executors). A request that could not be sent within the
 * timeout of its planned time, or was still waiting when the run ended, is
 * dropped: counted in `dropped` and recorded in the histogram at the time
 * it had waited. Timed-out requests are recorded at the time they were
 * given up on, too; both are lower bounds of what a user would have seen,
 * never left out.
 */
#ifndef LOADTEST_ENGINE_H
#define LOADTEST_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

struct target;
struct req_template;
struct strbuf;

enum err_kind { ERR_CONNECT, ERR_TIMEOUT, ERR_READ, ERR_WRITE, ERR_4XX, ERR_5XX, ERR_KINDS };
extern const char *const err_kind_names[ERR_KINDS];

#define STATUS_CODES 600        /* status codes are 100..599, the parser's range */
#define LAT_SIG_BITS 7          /* the run's histogram: <= 0.79% error */
#define TL_SIG_BITS 5           /* per-second histograms: <= 3.2% error */

/* One open-model stage: the rate goes linearly from r0 to r1 (per second). */
struct stage {
	uint64_t duration_ns;
	double r0, r1;
};

struct load_model {
	int open;
	struct stage *stages;     /* open model */
	size_t nr_stages;
	uint64_t duration_ns;     /* the whole run (the stages' sum when open) */
	unsigned connections;
	unsigned threads;
};

/* A status code's count in one second (4xx and 5xx only). */
struct tl_code {
	uint16_t code;
	uint64_t n;
};

/* One second of the run, from one thread or merged. */
struct tl_sec {
	uint64_t requests, errors, dropped;
	uint64_t err_kinds[ERR_KINDS];
	struct tl_code *codes;    /* sorted by code */
	uint32_t nr_codes;
	uint32_t nr;              /* non-zero buckets of the TL_SIG_BITS histogram */
	uint32_t *idx;
	uint64_t *cnt;
};

struct timeline {
	struct tl_sec *v;
	size_t nr, alloc;
};

/*
 * The open model's pool of connections, as measured: whether the sends
 * that went out late waited for a connection, not guessed from lateness.
 */
struct pool_stats {
	uint64_t waits;           /* sends that fell due while every connection was busy or connecting */
	uint64_t late;            /* of those, sent over 1 ms after their planned time */
	uint64_t peak;            /* the most requests in flight at once (summed over threads) */
	double needed;            /* connections the planned peak rate keeps busy at the answer
				   * times measured (Little's law: rate x mean time per answer) */
};

struct run_stats {
	struct hist lat;          /* nanoseconds */
	uint64_t requests;        /* complete responses */
	uint64_t bytes;           /* read from the socket, headers included */
	uint64_t dropped;
	uint64_t late;            /* open model: sent over 1 ms after the planned time */
	uint64_t late_max_ns;     /* the latest such a send went out */
	struct pool_stats pool;
	uint64_t errors[ERR_KINDS];
	uint64_t status[6];       /* responses by class: [1] 1xx ... [5] 5xx */
	uint64_t codes[STATUS_CODES];       /* responses by status code */
	char *code_first[STATUS_CODES];     /* 4xx, 5xx: the first answer's reason phrase and
					     * body (owned, printable UTF-8) */
	struct timeline tl;
	double duration_s;        /* the sending window actually run */
	const char *first_err[ERR_KINDS];   /* the first reason seen per kind (static
					     * strings, or owned by a merged document) */
};

void run_stats_init(struct run_stats *s);
void run_stats_release(struct run_stats *s);
void run_stats_merge(struct run_stats *dst, const struct run_stats *src);
uint64_t run_stats_errors(const struct run_stats *s);   /* all kinds */
/* the timeline second `t`'s histogram (initialised here) */
void tl_sec_hist(const struct tl_sec *s, struct hist *h);
/* add `n` answers with status `code` to a second */
void tl_code_add(struct tl_sec *s, unsigned code, uint64_t n);

struct scenario_run {
	const char *name;
	struct load_model model;
	const struct target *target;
	const struct req_template *tmpl;
	uint64_t timeout_ns;
	unsigned shard, shards;   /* copy `shard` of `shards` (0 of 1 alone) */
	struct run_stats stats;   /* out: all threads merged */
	double target_rps;        /* out: the mean planned rate of this copy (open) */
};

/* How the run is going, all scenarios together. */
struct engine_progress {
	uint64_t requests, errors;        /* so far */
	double elapsed_s, total_s;        /* since the start; the longest scenario's duration */
	int done;                         /* the last report: every thread has finished */
};

struct engine_opts {
	/*
	 * Called about twice a second from the thread that called engine_run(),
	 * then once with `done` set; NULL: not called. What to show, if anything,
	 * is the caller's to decide.
	 */
	void (*progress)(const struct engine_progress *p, void *data);
	void *progress_data;
	volatile sig_atomic_t *stop;      /* set by a signal handler: end early */
	/*
	 * NULL, or where to say why the engine ended the run early by itself:
	 * every TLS handshake so far failed to verify the server, the same
	 * way (ENGINE_TLS_GIVE_UP of them in a thread, and none succeeded).
	 */
	struct strbuf *stopped;
};

#define ENGINE_TLS_GIVE_UP 8

/*
 * Run every scenario at once and wait for all of them. Returns 0, or -1
 * with a message when the engine could not start (no threads, no epoll).
 */
int engine_run(struct scenario_run *runs, size_t nr, const struct engine_opts *o,
	       struct strbuf *err);

/* Planned requests of an open model by `t_ns` after the start (rate share 1). */
double model_planned(const struct load_model *m, uint64_t t_ns);
/* When the planned count reaches `k` (inverse of model_planned). */
uint64_t model_when(const struct load_model *m, double k);

#endif
