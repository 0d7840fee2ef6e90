/*
 * The engine (see engine.h): one epoll loop per thread, connections as
 * small state machines, the open model's schedule computed from the plan
 * rather than stored, so nothing grows with the number of requests.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "http-parse.h"
#include "net.h"
#include "strbuf.h"
#include "template.h"
#include "xalloc.h"

const char *const err_kind_names[ERR_KINDS] = {
	"connect", "timeout", "read", "write", "status_4xx", "status_5xx",
};

#define NS 1000000000ull
#define SCAN_NS (2 * 1000000ull)        /* timeouts are looked for every 2 ms */
#define RETRY_NS (50 * 1000000ull)      /* wait after a failed connect */
#define RBUF 16384
#define LATE_NS (1000000ull)            /* a planned send this late counts as late */

enum conn_state { C_DOWN, C_CONNECTING, C_IDLE, C_WRITING, C_READING };

struct conn {
	enum conn_state state;
	struct sock sock;
	uint32_t events;            /* registered with epoll */
	uint64_t started_ns;        /* connect or send start, for timeouts */
	uint64_t intended_ns;       /* latency runs from here */
	uint64_t retry_ns;          /* C_DOWN: reconnect at */
	const char *wbuf;
	size_t wlen, woff;
	struct strbuf req;          /* a rendered request with variables */
	struct hp hp;
};

/* What the threads of one engine_run() share, besides their scenarios. */
struct shared {
	volatile sig_atomic_t halt;        /* stop every thread now: not every thread could
					    * start, or every TLS handshake fails */
	uint64_t tls_ok;                   /* TLS handshakes that succeeded (atomics) */
	const char *stopped;               /* why the engine stopped by itself (atomics) */
};

struct worker {
	pthread_t tid;
	struct scenario_run *sr;
	const struct transport *tp;
	unsigned index, global, workers;   /* within the scenario; across shards */
	double share;                      /* of the scenario's planned rate */
	double phase;                      /* of this worker's schedule, in requests */
	int epfd;
	struct conn *conns;
	unsigned nr_conns;
	struct conn **idle;
	unsigned nr_idle;
	uint64_t start_ns, end_ns, stop_ns;
	uint64_t issued, planned;          /* open: intended sends handled, in all */
	uint64_t waited_to;                /* open: sends before this one found no connection free */
	uint64_t in_flight;
	double answer_s;                   /* send to whole answer, summed (for pool.needed) */
	unsigned tls_fails;                /* TLS handshakes that failed verification alike, */
	const char *tls_why;               /* the same way as this, */
	int tls_mixed;                     /* unless one failed otherwise or succeeded */
	uint64_t last_scan;
	struct tctx tctx;
	struct strbuf body_scratch;
	struct run_stats st;
	struct hist sec;                   /* the current second's TL_SIG_BITS histogram */
	struct tl_sec cur;
	uint64_t cur_idx;
	volatile sig_atomic_t *stop;       /* the caller's: a signal arrived */
	struct shared *sh;
	uint64_t progress_requests;        /* read by the progress line (atomics) */
	uint64_t progress_errors;
	int failed;
	char rbuf[RBUF];
};

/* ---- statistics ---- */

void run_stats_init(struct run_stats *s)
{
	memset(s, 0, sizeof(*s));
	hist_init(&s->lat, LAT_SIG_BITS);
}

static void tl_sec_release(struct tl_sec *s)
{
	free(s->idx);
	free(s->cnt);
	free(s->codes);
}

void run_stats_release(struct run_stats *s)
{
	hist_release(&s->lat);
	for (int c = 0; c < STATUS_CODES; c++)
		free(s->code_first[c]);
	for (size_t i = 0; i < s->tl.nr; i++)
		tl_sec_release(&s->tl.v[i]);
	free(s->tl.v);
	memset(s, 0, sizeof(*s));
}

uint64_t run_stats_errors(const struct run_stats *s)
{
	uint64_t n = 0;

	for (int k = 0; k < ERR_KINDS; k++)
		n += s->errors[k];
	return n;
}

void tl_sec_hist(const struct tl_sec *s, struct hist *h)
{
	hist_init(h, TL_SIG_BITS);
	for (uint32_t i = 0; i < s->nr; i++) {
		h->counts[s->idx[i]] += s->cnt[i];
		h->count += s->cnt[i];
	}
	if (s->nr) {
		h->min = hist_bucket_low(h, s->idx[0]);
		h->max = hist_bucket_high(h, s->idx[s->nr - 1]);
	}
}

/* Store histogram `h` sparsely in `s`. */
static void tl_sec_set(struct tl_sec *s, const struct hist *h)
{
	uint32_t n = 0;

	for (size_t i = 0; i < h->nr_buckets; i++)
		n += h->counts[i] != 0;
	free(s->idx);
	free(s->cnt);
	s->idx = n ? xcalloc(n, sizeof(*s->idx)) : NULL;
	s->cnt = n ? xcalloc(n, sizeof(*s->cnt)) : NULL;
	s->nr = 0;
	for (size_t i = 0; i < h->nr_buckets; i++)
		if (h->counts[i]) {
			s->idx[s->nr] = (uint32_t)i;
			s->cnt[s->nr++] = h->counts[i];
		}
}

static struct tl_sec *tl_at(struct timeline *tl, size_t t)
{
	while (tl->nr <= t) {
		ALLOC_GROW(tl->v, tl->nr + 1, tl->alloc);
		memset(&tl->v[tl->nr++], 0, sizeof(*tl->v));
	}
	return &tl->v[t];
}

void tl_code_add(struct tl_sec *s, unsigned code, uint64_t n)
{
	uint32_t i = 0;

	while (i < s->nr_codes && s->codes[i].code < code)
		i++;
	if (i < s->nr_codes && s->codes[i].code == code) {
		s->codes[i].n += n;
		return;
	}
	s->codes = xreallocarray(s->codes, s->nr_codes + 1, sizeof(*s->codes));
	memmove(&s->codes[i + 1], &s->codes[i], (s->nr_codes - i) * sizeof(*s->codes));
	s->codes[i] = (struct tl_code){ .code = (uint16_t)code, .n = n };
	s->nr_codes++;
}

static void tl_merge_sec(struct tl_sec *dst, const struct tl_sec *src)
{
	struct hist a, b;

	dst->requests += src->requests;
	dst->errors += src->errors;
	dst->dropped += src->dropped;
	for (int k = 0; k < ERR_KINDS; k++)
		dst->err_kinds[k] += src->err_kinds[k];
	for (uint32_t i = 0; i < src->nr_codes; i++)
		tl_code_add(dst, src->codes[i].code, src->codes[i].n);
	if (!src->nr)
		return;
	tl_sec_hist(dst, &a);
	tl_sec_hist(src, &b);
	hist_merge(&a, &b);
	tl_sec_set(dst, &a);
	hist_release(&a);
	hist_release(&b);
}

void run_stats_merge(struct run_stats *dst, const struct run_stats *src)
{
	hist_merge(&dst->lat, &src->lat);
	dst->requests += src->requests;
	dst->bytes += src->bytes;
	dst->dropped += src->dropped;
	dst->late += src->late;
	if (src->late_max_ns > dst->late_max_ns)
		dst->late_max_ns = src->late_max_ns;
	dst->pool.waits += src->pool.waits;
	dst->pool.late += src->pool.late;
	dst->pool.peak += src->pool.peak;     /* the threads, copies and scenarios run at once */
	dst->pool.needed += src->pool.needed;
	for (int c = 0; c < STATUS_CODES; c++) {
		dst->codes[c] += src->codes[c];
		if (!dst->code_first[c] && src->code_first[c])
			dst->code_first[c] = xstrdup(src->code_first[c]);
	}
	for (int k = 0; k < ERR_KINDS; k++) {
		dst->errors[k] += src->errors[k];
		if (!dst->first_err[k])
			dst->first_err[k] = src->first_err[k];
	}
	for (int k = 0; k < 6; k++)
		dst->status[k] += src->status[k];
	for (size_t t = 0; t < src->tl.nr; t++)
		tl_merge_sec(tl_at(&dst->tl, t), &src->tl.v[t]);
	if (src->duration_s > dst->duration_s)
		dst->duration_s = src->duration_s;
}

/* Close the current second of the timeline when `now` is past it. */
static void tick_second(struct worker *w, uint64_t now)
{
	uint64_t idx = now > w->start_ns ? (now - w->start_ns) / NS : 0;

	if (idx == w->cur_idx)
		return;
	tl_sec_set(&w->cur, &w->sec);
	*tl_at(&w->st.tl, w->cur_idx) = w->cur;
	memset(&w->cur, 0, sizeof(w->cur));
	hist_reset(&w->sec);
	w->cur_idx = idx;
}

static void record_latency(struct worker *w, uint64_t now, uint64_t lat)
{
	tick_second(w, now);
	hist_record(&w->st.lat, lat);
	hist_record(&w->sec, lat);
}

static void count_error(struct worker *w, uint64_t now, enum err_kind k, const char *why)
{
	tick_second(w, now);
	w->st.errors[k]++;
	if (!w->st.first_err[k])
		w->st.first_err[k] = why;
	w->cur.errors++;
	w->cur.err_kinds[k]++;
	__atomic_store_n(&w->progress_errors, run_stats_errors(&w->st), __ATOMIC_RELAXED);
}

/* A 4xx or 5xx answer: an error of its class, counted by code with its first reason. */
static void count_status(struct worker *w, uint64_t now, const struct hp *hp)
{
	unsigned code = hp->status;

	count_error(w, now, code >= 500 ? ERR_5XX : ERR_4XX, NULL);
	tl_code_add(&w->cur, code, 1);
	if (!w->st.code_first[code]) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_add_line(&sb, hp->excerpt, hp->excerpt_len);
		strbuf_rtrim(&sb);
		if (hp->excerpt_len == HP_EXCERPT)
			strbuf_addstr(&sb, "...");
		w->st.code_first[code] = strbuf_detach(&sb, NULL);
	}
}

/* ---- the open model's plan ---- */

double model_planned(const struct load_model *m, uint64_t t_ns)
{
	double n = 0;

	for (size_t i = 0; i < m->nr_stages && t_ns; i++) {
		const struct stage *s = &m->stages[i];
		uint64_t d = t_ns < s->duration_ns ? t_ns : s->duration_ns;
		double x = (double)d / NS, D = (double)s->duration_ns / NS;

		n += s->r0 * x + (s->r1 - s->r0) * x * x / (2 * D);
		t_ns -= d;
	}
	return n;
}

uint64_t model_when(const struct load_model *m, double k)
{
	uint64_t t0 = 0;

	for (size_t i = 0; i < m->nr_stages; i++) {
		const struct stage *s = &m->stages[i];
		double D = (double)s->duration_ns / NS;
		double in = (s->r0 + s->r1) / 2 * D;      /* requests in this stage */
		double x, a;

		if (k > in && i + 1 < m->nr_stages) {
			k -= in;
			t0 += s->duration_ns;
			continue;
		}
		/* solve r0 x + a x^2 / 2 = k with a = (r1 - r0) / D */
		a = (s->r1 - s->r0) / D;
		if (fabs(a) < 1e-12)
			x = s->r0 > 0 ? k / s->r0 : D;
		else
			x = (-s->r0 + sqrt(fmax(0, s->r0 * s->r0 + 2 * a * k))) / a;
		return t0 + (uint64_t)(fmax(0, x) * NS);
	}
	return t0;
}

static uint64_t due_count(struct worker *w, uint64_t now)
{
	double p = model_planned(&w->sr->model, now - w->start_ns) * w->share - w->phase;
	uint64_t due = p < 0 ? 0 : (uint64_t)p + 1;

	return due < w->planned ? due : w->planned;
}

static uint64_t intended_at(struct worker *w, uint64_t k)
{
	return w->start_ns + model_when(&w->sr->model, ((double)k + w->phase) / w->share);
}

/* ---- connections ---- */

static void set_events(struct worker *w, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (ev == c->events)
		return;
	epoll_ctl(w->epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->sock.fd, &e);
	c->events = ev;
}

static uint32_t wanted_events(const struct conn *c)
{
	return c->sock.want_write ? EPOLLOUT : EPOLLIN;
}

static int sending(const struct worker *w, uint64_t now);
static void conn_connect(struct worker *w, struct conn *c, uint64_t now);

static void conn_close(struct worker *w, struct conn *c, uint64_t now, int retry_later)
{
	if (c->sock.fd >= 0 && c->events)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->sock.fd, NULL);
	c->events = 0;
	w->tp->close(&c->sock);
	if (c->state == C_WRITING || c->state == C_READING)
		w->in_flight--;
	c->state = C_DOWN;
	c->retry_ns = retry_later ? now + RETRY_NS : now;
	if (!retry_later && sending(w, now))
		conn_connect(w, c, now);
}

static void conn_connect(struct worker *w, struct conn *c, uint64_t now)
{
	c->started_ns = now;
	if (w->tp->connect(&c->sock, w->sr->target) < 0) {
		count_error(w, now, ERR_CONNECT, strerrordesc_np(errno));
		c->state = C_DOWN;
		c->retry_ns = now + RETRY_NS;
		return;
	}
	c->state = C_CONNECTING;
	set_events(w, c, EPOLLOUT);
}

/*
 * Whether requests are still to be sent: the closed model sends until the
 * end; the open model until every planned request has been sent or
 * dropped (the last are due just before the end and may go out late).
 */
static int sending(const struct worker *w, uint64_t now)
{
	if (now >= w->stop_ns)
		return 0;
	if (w->sr->model.open)
		return w->issued < w->planned && now < w->end_ns + w->sr->timeout_ns;
	return now < w->end_ns;
}

static void conn_write(struct worker *w, struct conn *c, uint64_t now);

static void start_request(struct worker *w, struct conn *c, uint64_t now, uint64_t intended)
{
	const struct strbuf *r = req_render(w->sr->tmpl, &w->tctx, &c->req, &w->body_scratch);

	c->wbuf = r->buf;
	c->wlen = r->len;
	c->woff = 0;
	c->intended_ns = intended;
	c->started_ns = now;
	hp_init(&c->hp, w->sr->tmpl->head_request);
	c->state = C_WRITING;
	w->in_flight++;
	conn_write(w, c, now);
}

/* A connection is free: the closed model sends on it, the open one parks it. */
static void conn_idle(struct worker *w, struct conn *c, uint64_t now)
{
	c->state = C_IDLE;
	set_events(w, c, EPOLLIN);    /* a close by the server shows as readable */
	if (!w->sr->model.open) {
		if (sending(w, now))
			start_request(w, c, now, now);
		return;
	}
	w->idle[w->nr_idle++] = c;
}

static void unpark(struct worker *w, struct conn *c)
{
	for (unsigned i = 0; i < w->nr_idle; i++)
		if (w->idle[i] == c) {
			w->idle[i] = w->idle[--w->nr_idle];
			return;
		}
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t now, enum err_kind k,
		      const char *why)
{
	if (k == ERR_TIMEOUT && c->state >= C_WRITING)
		record_latency(w, now, now - c->intended_ns);
	count_error(w, now, k, why);
	conn_close(w, c, now, k == ERR_CONNECT);
}

/*
 * A wrong CA fails every handshake the same way, for as long as the run
 * lasts: after ENGINE_TLS_GIVE_UP such failures in this thread, and not
 * one handshake that succeeded or failed otherwise in any, stop the run.
 */
static void tls_verdict(struct worker *w, const struct conn *c, int rc, const char *why)
{
	const char *none = NULL;

	if (w->tp != &transport_tls || w->tls_mixed)
		return;
	if (rc > 0 || !c->sock.verify_failed || (w->tls_why && strcmp(w->tls_why, why))) {
		w->tls_mixed = 1;
		if (rc > 0)
			__atomic_add_fetch(&w->sh->tls_ok, 1, __ATOMIC_RELAXED);
		return;
	}
	w->tls_why = why;
	if (++w->tls_fails < ENGINE_TLS_GIVE_UP || __atomic_load_n(&w->sh->tls_ok, __ATOMIC_RELAXED))
		return;
	if (__atomic_compare_exchange_n(&w->sh->stopped, &none, why, 0, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		w->sh->halt = 1;
}

static void conn_handshake(struct worker *w, struct conn *c, uint64_t now)
{
	const char *why = NULL;
	int rc = w->tp->handshake(&c->sock, w->sr->target, &why);

	if (rc != 0)
		tls_verdict(w, c, rc, why);
	if (rc < 0) {
		conn_fail(w, c, now, ERR_CONNECT, why ? why : strerrordesc_np(errno));
		return;
	}
	if (rc == 0) {
		set_events(w, c, wanted_events(c));
		return;
	}
	conn_idle(w, c, now);
}

static void response_done(struct worker *w, struct conn *c, uint64_t now)
{
	unsigned cls = c->hp.status / 100;

	w->in_flight--;
	record_latency(w, now, now - c->intended_ns);
	w->answer_s += (double)(now - c->started_ns) / NS;
	w->st.requests++;
	w->cur.requests++;
	w->st.status[cls < 6 ? cls : 0]++;
	if (c->hp.status < STATUS_CODES)
		w->st.codes[c->hp.status]++;
	__atomic_store_n(&w->progress_requests, w->st.requests, __ATOMIC_RELAXED);
	if ((cls == 4 || cls == 5) && c->hp.status < STATUS_CODES)
		count_status(w, now, &c->hp);
	if (c->hp.close) {
		c->state = C_IDLE;      /* not in flight any more */
		conn_close(w, c, now, 0);
		return;
	}
	conn_idle(w, c, now);
}

static void conn_write(struct worker *w, struct conn *c, uint64_t now)
{
	while (c->woff < c->wlen) {
		ssize_t n = w->tp->write(&c->sock, c->wbuf + c->woff, c->wlen - c->woff);

		if (n < 0) {
			conn_fail(w, c, now, ERR_WRITE, strerrordesc_np(errno));
			return;
		}
		if (n == 0) {
			set_events(w, c, wanted_events(c));
			return;
		}
		c->woff += (size_t)n;
	}
	c->state = C_READING;
	c->sock.want_write = 0;
	set_events(w, c, EPOLLIN);
}

static void conn_read(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = w->tp->read(&c->sock, w->rbuf, sizeof(w->rbuf)), used;
		uint64_t now;

		if (n == 0) {
			set_events(w, c, wanted_events(c));
			return;
		}
		now = clock_ns();
		if (n == -2 && c->state == C_READING && hp_eof(&c->hp) == 0) {
			response_done(w, c, now);     /* hp.close is set: it reconnects */
			return;
		}
		if (n < 0 || c->state != C_READING) {
			/* a closed idle keep-alive connection is not an error */
			if (c->state == C_IDLE) {
				unpark(w, c);
				conn_close(w, c, now, 0);
			} else {
				conn_fail(w, c, now, ERR_READ,
					  n == -2 ? c->hp.error ? c->hp.error : "closed by the server"
					  : n < 0 ? strerrordesc_np(errno)
						  : "data arrived with no request outstanding");
			}
			return;
		}
		w->st.bytes += (uint64_t)n;
		used = hp_feed(&c->hp, w->rbuf, (size_t)n);
		if (used < 0 || (c->hp.state == HP_DONE && used != n)) {
			/* malformed, or more than one answer */
			conn_fail(w, c, now, ERR_READ, used < 0 ? c->hp.error : "more than one answer to a request");
			return;
		}
		if (c->hp.state == HP_DONE) {
			response_done(w, c, now);
			return;
		}
	}
}

static void conn_event(struct worker *w, struct conn *c, uint32_t ev)
{
	switch (c->state) {
	case C_CONNECTING:
		conn_handshake(w, c, clock_ns());
		break;
	case C_WRITING:
		if (ev & (EPOLLERR | EPOLLHUP) && !(ev & EPOLLOUT))
			conn_fail(w, c, clock_ns(), ERR_WRITE, "the connection failed while sending");
		else
			conn_write(w, c, clock_ns());
		break;
	case C_READING:
	case C_IDLE:
		conn_read(w, c);
		break;
	case C_DOWN:
		break;
	}
}

/* Timeouts, and reconnects that are due. */
static void scan(struct worker *w, uint64_t now)
{
	uint64_t timeout = w->sr->timeout_ns;

	for (unsigned i = 0; i < w->nr_conns; i++) {
		struct conn *c = &w->conns[i];

		if (c->state == C_DOWN && c->retry_ns <= now && sending(w, now))
			conn_connect(w, c, now);
		else if (c->state == C_CONNECTING && now - c->started_ns >= timeout)
			conn_fail(w, c, now, ERR_CONNECT, "not connected within the timeout");
		else if (c->state >= C_WRITING && now - c->started_ns >= timeout)
			conn_fail(w, c, now, ERR_TIMEOUT, "no whole answer within the timeout");
	}
	w->last_scan = now;
}

static void drop(struct worker *w, uint64_t now, uint64_t intended)
{
	record_latency(w, now, now > intended ? now - intended : 0);
	w->st.dropped++;
	w->cur.dropped++;
}

/* A due send goes out `now`, planned for `t`: was it late, and for want of a connection? */
static void count_late(struct worker *w, uint64_t now, uint64_t t)
{
	if (now <= t + LATE_NS)
		return;
	w->st.late++;
	w->st.pool.late += w->issued < w->waited_to;
	if (now - t > w->st.late_max_ns)
		w->st.late_max_ns = now - t;
}

/* The open model: send what is due on idle connections, drop what is too late. */
static void dispatch(struct worker *w, uint64_t now)
{
	uint64_t due = due_count(w, now);

	while (w->issued < due) {
		uint64_t t = intended_at(w, w->issued);

		if (now > t && now - t >= w->sr->timeout_ns) {
			drop(w, now, t);
		} else if (w->nr_idle) {
			/* late: no connection was free in time (or the loop woke late) */
			count_late(w, now, t);
			start_request(w, w->idle[--w->nr_idle], now, t);
			if (w->in_flight > w->st.pool.peak)
				w->st.pool.peak = w->in_flight;
		} else {
			/* due, and every connection busy or connecting: each such send once */
			if (due > w->waited_to) {
				w->st.pool.waits += due - (w->waited_to > w->issued ? w->waited_to : w->issued);
				w->waited_to = due;
			}
			break;
		}
		w->issued++;
	}
}

/* How long epoll may sleep: until the next planned send, scan or the end. */
static uint64_t sleep_ns(struct worker *w, uint64_t now)
{
	uint64_t until = w->last_scan + SCAN_NS;

	if (w->sr->model.open && w->nr_idle && w->issued < w->planned && sending(w, now)) {
		uint64_t t = intended_at(w, w->issued);

		if (t < until)
			until = t;
	}
	if (!w->sr->model.open && sending(w, now) && w->end_ns < until)
		until = w->end_ns;
	return until > now ? until - now : 0;
}

static int finished(struct worker *w, uint64_t now)
{
	if (sending(w, now))
		return 0;
	/* stopped early: what was due and not sent is dropped; the rest was
	 * never due */
	while (w->sr->model.open && w->issued < w->planned && intended_at(w, w->issued) <= now)
		drop(w, now, intended_at(w, w->issued++));
	return w->in_flight == 0 || now >= w->end_ns + w->sr->timeout_ns || *w->stop || w->sh->halt;
}

/* The drain ran out: what is still in flight timed out (unless stopped). */
static void give_up_in_flight(struct worker *w, uint64_t now)
{
	for (unsigned i = 0; i < w->nr_conns; i++) {
		struct conn *c = &w->conns[i];

		if (c->state < C_WRITING)
			continue;
		if (*w->stop || w->sh->halt)
			conn_close(w, c, now, 1);
		else
			conn_fail(w, c, now, ERR_TIMEOUT, "no whole answer by the end of the run");
	}
}

static void loop(struct worker *w)
{
	struct epoll_event ev[256];
	uint64_t now = clock_ns();

	for (unsigned i = 0; i < w->nr_conns; i++)
		conn_connect(w, &w->conns[i], now);
	while (!finished(w, now = clock_ns())) {
		uint64_t s = sleep_ns(w, now);
		struct timespec ts = { .tv_sec = (time_t)(s / NS), .tv_nsec = (long)(s % NS) };
		int n = epoll_pwait2(w->epfd, ev, 256, &ts, NULL);

		if ((*w->stop || w->sh->halt) && w->stop_ns > now)
			w->stop_ns = now;
		for (int i = 0; i < n; i++)
			conn_event(w, ev[i].data.ptr, ev[i].events);
		now = clock_ns();
		if (now - w->last_scan >= SCAN_NS)
			scan(w, now);
		if (w->sr->model.open && sending(w, now))
			dispatch(w, now);
	}
	give_up_in_flight(w, now);
	tick_second(w, now + NS);     /* close the last second */
}

/* Little's law: this thread's share of the peak planned rate times the mean answer time. */
static double pool_needed(const struct worker *w)
{
	const struct load_model *m = &w->sr->model;
	double peak = 0;

	if (!m->open || !w->st.requests)
		return 0;
	for (size_t i = 0; i < m->nr_stages; i++)
		peak = fmax(peak, fmax(m->stages[i].r0, m->stages[i].r1));
	return peak * w->share * w->answer_s / (double)w->st.requests;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	/* planned sends go out within 1 us of their time, not 50 us */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	loop(w);
	w->st.duration_s = (double)((w->stop_ns < w->end_ns ? w->stop_ns : w->end_ns) - w->start_ns) / NS;
	w->st.pool.needed = pool_needed(w);
	return NULL;
}

/* ---- set-up ---- */

static unsigned share_of(unsigned total, unsigned parts, unsigned i)
{
	return total / parts + (i < total % parts);
}

static int worker_init(struct worker *w, struct scenario_run *sr, unsigned i, struct strbuf *err)
{
	unsigned threads = sr->model.threads ? sr->model.threads : 1;
	unsigned shards = sr->shards ? sr->shards : 1;
	unsigned copy_conns = share_of(sr->model.connections, shards, sr->shard);

	w->sr = sr;
	w->tp = sr->target->tls ? &transport_tls : &transport_plain;
	w->index = i;
	w->workers = threads * shards;
	w->global = sr->shard * threads + i;
	w->share = 1.0 / w->workers;
	w->phase = (double)w->global / w->workers;
	w->nr_conns = share_of(copy_conns, threads, i);
	if (sr->model.open && !w->nr_conns)
		w->nr_conns = 1;        /* a share of the rate needs a connection to go out on */
	w->conns = xcalloc(w->nr_conns ? w->nr_conns : 1, sizeof(*w->conns));
	w->idle = xcalloc(w->nr_conns ? w->nr_conns : 1, sizeof(*w->idle));
	for (unsigned k = 0; k < w->nr_conns; k++) {
		w->conns[k].sock.fd = -1;
		strbuf_init(&w->conns[k].req, 0);
	}
	strbuf_init(&w->body_scratch, 0);
	tctx_init(&w->tctx, w->global, w->workers);
	run_stats_init(&w->st);
	hist_init(&w->sec, TL_SIG_BITS);
	if (sr->model.open) {
		double p = model_planned(&sr->model, sr->model.duration_ns) * w->share - w->phase;

		w->planned = p > 0 ? (uint64_t)ceil(p) : 0;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0) {
		strbuf_addf(err, "epoll_create1: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void worker_release(struct worker *w)
{
	for (unsigned k = 0; k < w->nr_conns; k++) {
		if (w->conns[k].sock.fd >= 0)
			w->tp->close(&w->conns[k].sock);
		if (w->conns[k].sock.session)
			SSL_SESSION_free(w->conns[k].sock.session);
		strbuf_release(&w->conns[k].req);
	}
	free(w->conns);
	free(w->idle);
	strbuf_release(&w->body_scratch);
	hist_release(&w->sec);
	tl_sec_release(&w->cur);
	run_stats_release(&w->st);
	if (w->epfd >= 0)
		close(w->epfd);
}

static void report_progress(struct worker *ws, size_t nw, const struct engine_opts *o,
			    uint64_t start, uint64_t total_ns, int done)
{
	struct engine_progress p = {
		.elapsed_s = (double)(clock_ns() - start) / NS, .total_s = (double)total_ns / NS,
		.done = done,
	};

	for (size_t i = 0; i < nw; i++) {
		p.requests += __atomic_load_n(&ws[i].progress_requests, __ATOMIC_RELAXED);
		p.errors += __atomic_load_n(&ws[i].progress_errors, __ATOMIC_RELAXED);
	}
	o->progress(&p, o->progress_data);
}

static void wait_all(struct worker *ws, size_t nw, const struct engine_opts *o, uint64_t start,
		     uint64_t total_ns)
{
	if (o->progress) {
		for (;;) {
			size_t alive = 0;

			for (size_t i = 0; i < nw; i++)
				alive += pthread_tryjoin_np(ws[i].tid, NULL) == EBUSY;
			if (!alive)
				break;
			report_progress(ws, nw, o, start, total_ns, 0);
			usleep(500 * 1000);
		}
		report_progress(ws, nw, o, start, total_ns, 1);
		return;
	}
	for (size_t i = 0; i < nw; i++)
		pthread_join(ws[i].tid, NULL);
}

int engine_run(struct scenario_run *runs, size_t nr, const struct engine_opts *o,
	       struct strbuf *err)
{
	size_t nw = 0, k = 0, started = 0;
	struct worker *ws;
	uint64_t start, total_ns = 0;
	static volatile sig_atomic_t never;
	struct shared sh = { 0 };
	int rc = 0;

	for (size_t i = 0; i < nr; i++)
		nw += runs[i].model.threads ? runs[i].model.threads : 1;
	ws = xcalloc(nw, sizeof(*ws));
	for (size_t i = 0; i < nr; i++) {
		unsigned threads = runs[i].model.threads ? runs[i].model.threads : 1;

		run_stats_init(&runs[i].stats);
		for (unsigned t = 0; t < threads; t++, k++) {
			ws[k].epfd = -1;
			if (worker_init(&ws[k], &runs[i], t, err) < 0) {
				rc = -1;
				goto out;
			}
		}
		if (runs[i].model.duration_ns > total_ns)
			total_ns = runs[i].model.duration_ns;
	}
	start = clock_ns();
	for (k = 0; k < nw; k++) {
		ws[k].start_ns = start;
		ws[k].end_ns = start + ws[k].sr->model.duration_ns;
		ws[k].stop_ns = UINT64_MAX;
		ws[k].last_scan = start;
		ws[k].stop = o->stop ? o->stop : &never;
		ws[k].sh = &sh;
	}
	for (k = 0; k < nw; k++, started++)
		if ((errno = pthread_create(&ws[k].tid, NULL, worker_main, &ws[k]))) {
			strbuf_addf(err, "cannot start a thread: %s", strerror(errno));
			rc = -1;
			break;
		}
	if (rc < 0) {
		/* the ones that started finish at once */
		sh.halt = 1;
		for (k = 0; k < started; k++)
			pthread_join(ws[k].tid, NULL);
		goto out;
	}
	wait_all(ws, nw, o, start, total_ns);
	if (sh.stopped && o->stopped)
		strbuf_addf(o->stopped, "every TLS handshake failed: %s", sh.stopped);
	for (k = 0; k < nw; k++)
		run_stats_merge(&ws[k].sr->stats, &ws[k].st);
	for (size_t i = 0; i < nr; i++)
		if (runs[i].model.open && runs[i].model.duration_ns)
			runs[i].target_rps = model_planned(&runs[i].model, runs[i].model.duration_ns) /
					     (runs[i].shards ? runs[i].shards : 1) /
					     ((double)runs[i].model.duration_ns / NS);
out:
	for (k = 0; k < nw; k++)
		if (ws[k].sr)
			worker_release(&ws[k]);
	free(ws);
	return rc;
}
