/*
 * The TCP fault proxy; see proxy.h.
 *
 * A connection is two sockets (side 0 the client's, side 1 the
 * upstream's) and two directions, each with a ring buffer. Positions in a
 * direction are counted in bytes since the connection began: `rd` is how
 * far it has read from its source, `wr` how far it has written to its
 * destination, and rd - wr bytes wait in the ring. Sockets are
 * registered once, edge-triggered, for input and output; a side's
 * `rd_ready` and `wr_ready` remember what the last events said until a
 * system call says otherwise (EAGAIN, or a short read without a FIN
 * pending), so no epoll_ctl is made on the data path.
 *
 * Faults decide how much of what waits may be written now: with latency
 * each read is a chunk with the time it is due, in a small ring per
 * direction (its dues never decrease, so order is kept whatever the
 * jitter); a bandwidth is a token bucket; a reset caps the bytes, and
 * resets both sockets (SO_LINGER 0) once they went through. What has to
 * wait is woken by a timer: a heap of (due, connection) for the whole
 * proxy, and one timerfd set to its earliest entry (or the end of the
 * run). A connection's entries are not removed when it changes its mind:
 * a stale one finds a newer generation or a different due, and is
 * dropped.
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#define DEFAULT_BUF (64u << 10)
#define DEFAULT_CONNS 1024
#define CHUNKS 256              /* chunks waiting per direction (a power of two) */
#define MAX_EVENTS 256
#define BURST_MIN 1500          /* the token bucket holds at least a packet's worth */
#define ROUNDS 32               /* reads and writes a direction makes before others' turn */

/* epoll data: the listener, the timer and the stop event, or (gen, slot, side) */
#define EV_LISTEN UINT64_MAX
#define EV_TIMER (UINT64_MAX - 1)
#define EV_STOP (UINT64_MAX - 2)

struct chunk {
	uint64_t end;           /* stream position after its last byte */
	uint64_t due;
};

struct dir {
	char *buf;
	uint64_t rd, wr;
	struct chunk *chunks;   /* NULL: no latency in this direction */
	unsigned ch_head, ch_tail;
	uint64_t last_due;
	double tokens;
	uint64_t tokens_at;
	uint64_t eof_at;        /* when its source's FIN was read; 0: not yet */
	uint64_t shut_due;      /* when the FIN may go; 0: not decided */
	unsigned eof : 1, shut : 1;
	uint64_t wake;          /* when it wants to be looked at again; 0: on events only */
};

struct conn {
	int fd[2];
	uint32_t gen;
	unsigned live : 1, connected : 1;
	unsigned rd_ready[2], wr_ready[2], rdhup[2];
	struct dir d[2];
	uint64_t armed;         /* the due of its earliest timer entry; 0: none */
};

struct timer {
	uint64_t due;
	uint32_t slot, gen;
};

struct proxy {
	struct proxy_config cfg;
	int lfd, ep, tfd, stopfd;
	struct sockaddr_storage bound;
	socklen_t bound_len;
	struct conn *conns;
	int *free_slots, nfree;
	struct timer *heap;
	size_t heap_nr, heap_alloc;
	uint64_t timer_set;     /* what the timerfd is set to */
	uint64_t now, rng;
	int accept_ready;
	struct proxy_stats st;
};

static const int side_src[2] = { 0, 1 };   /* by direction: where it reads */
static const int side_dst[2] = { 1, 0 };   /* and where it writes */

static uint64_t ev_data(uint32_t slot, uint32_t gen, int side)
{
	return (uint64_t)gen << 32 | (uint64_t)slot << 1 | (uint64_t)side;
}

static uint64_t next_rand(struct proxy *p)
{
	/* xorshift64*: jitter needs spread, not secrecy */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 0x2545f4914f6cdd1dull;
}

/* --- the timer heap ------------------------------------------------------------ */

static void heap_push(struct proxy *p, uint64_t due, uint32_t slot, uint32_t gen)
{
	size_t i;

	ALLOC_GROW(p->heap, p->heap_nr + 1, p->heap_alloc);
	i = p->heap_nr++;
	while (i && p->heap[(i - 1) / 2].due > due) {
		p->heap[i] = p->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	p->heap[i] = (struct timer){ .due = due, .slot = slot, .gen = gen };
}

static struct timer heap_pop(struct proxy *p)
{
	struct timer top = p->heap[0], last = p->heap[--p->heap_nr];
	size_t i = 0, n = p->heap_nr;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && p->heap[c + 1].due < p->heap[c].due)
			c++;
		if (p->heap[c].due >= last.due)
			break;
		p->heap[i] = p->heap[c];
		i = c;
	}
	if (n)
		p->heap[i] = last;
	return top;
}

static void conn_arm(struct proxy *p, struct conn *c, uint64_t due)
{
	if (!due || (c->armed && c->armed <= due))
		return;
	heap_push(p, due, (uint32_t)(c - p->conns), c->gen);
	c->armed = due;
}

/* --- connections ---------------------------------------------------------------- */

static void close_fd(int fd, int reset)
{
	if (fd < 0)
		return;
	if (reset) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(fd);
}

/* Close both sockets (with a reset: RST, not FIN) and free the slot. */
static void conn_close(struct proxy *p, struct conn *c, int reset)
{
	close_fd(c->fd[0], reset);
	close_fd(c->fd[1], reset);
	c->fd[0] = c->fd[1] = -1;
	c->live = 0;
	c->armed = 0;
	p->free_slots[p->nfree++] = (int)(c - p->conns);
	p->st.active--;
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* chunks go out when they are due, not when Nagle says */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int watch(struct proxy *p, struct conn *c, int side)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = ev_data((uint32_t)(c - p->conns), c->gen, side),
	};

	return epoll_ctl(p->ep, EPOLL_CTL_ADD, c->fd[side], &ev);
}

static void dir_init(struct proxy *p, struct dir *d, const struct proxy_fault *f)
{
	char *buf = d->buf;
	struct chunk *chunks = d->chunks;

	memset(d, 0, sizeof(*d));
	d->buf = buf;
	if (f->latency_ns || f->jitter_ns) {
		if (!chunks)
			chunks = xcalloc(CHUNKS, sizeof(*chunks));
		d->chunks = chunks;
	}
	if (f->rate) {
		d->tokens = BURST_MIN;
		d->tokens_at = p->now;
	}
}

static int upstream_connect(struct proxy *p, struct conn *c)
{
	int fd = socket(p->cfg.upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	c->fd[1] = fd;
	if (fd < 0)
		return -1;
	set_nodelay(fd);
	if (connect(fd, (struct sockaddr *)&p->cfg.upstream, p->cfg.upstream_len) == 0)
		c->connected = 1;
	else if (errno != EINPROGRESS)
		return -1;
	return watch(p, c, 1);
}

static void conn_open(struct proxy *p, int fd)
{
	struct conn *c = &p->conns[p->free_slots[--p->nfree]];
	int holes = p->cfg.fault[PROXY_UP].blackhole && p->cfg.fault[PROXY_DOWN].blackhole;

	c->gen++;
	c->live = 1;
	c->connected = 0;
	c->armed = 0;
	c->fd[0] = fd;
	c->fd[1] = -1;
	memset(c->rd_ready, 0, sizeof(c->rd_ready));
	memset(c->wr_ready, 0, sizeof(c->wr_ready));
	memset(c->rdhup, 0, sizeof(c->rdhup));
	for (int di = 0; di < 2; di++) {
		if (!c->d[di].buf)
			c->d[di].buf = xmalloc(p->cfg.buf_size);
		dir_init(p, &c->d[di], &p->cfg.fault[di]);
	}
	p->st.active++;
	set_nodelay(fd);
	if (holes) {
		/* nothing is forwarded either way: no upstream at all, and the
		   client's FIN (dropped with the rest) is the end */
		c->d[PROXY_DOWN].eof = 1;
		c->d[PROXY_DOWN].shut = 1;
		c->connected = 1;
		c->wr_ready[1] = 1;
	} else if (upstream_connect(p, c) < 0) {
		p->st.upstream_failed++;
		conn_close(p, c, 1);
		return;
	}
	if (watch(p, c, 0) < 0)
		conn_close(p, c, 1);
}

static void do_accept(struct proxy *p)
{
	const struct proxy_fault *f = p->cfg.fault;
	int at_once = !f[0].reset_after || !f[1].reset_after;

	while (p->accept_ready && p->nfree) {
		int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EAGAIN, or out of descriptors: wait for the next event */
			p->accept_ready = 0;
			return;
		}
		p->st.accepted++;
		if (at_once) {
			p->st.resets++;
			close_fd(fd, 1);
			continue;
		}
		conn_open(p, fd);
	}
}

/* --- moving bytes --------------------------------------------------------------- */

/* Up to `len` bytes of the ring from stream position `pos`, as one or two pieces. */
static int ring_iov(struct iovec *iov, char *buf, size_t cap, uint64_t pos, size_t len)
{
	size_t at = (size_t)(pos & (cap - 1)), first = cap - at < len ? cap - at : len;

	iov[0] = (struct iovec){ .iov_base = buf + at, .iov_len = first };
	iov[1] = (struct iovec){ .iov_base = buf, .iov_len = len - first };
	return len > first ? 2 : 1;
}

static uint64_t chunk_due(struct proxy *p, struct dir *d, const struct proxy_fault *f)
{
	uint64_t due = p->now + f->latency_ns;

	if (f->jitter_ns) {
		uint64_t span = 2 * f->jitter_ns + 1, r = next_rand(p) % span;

		due = due + r >= f->jitter_ns ? due + r - f->jitter_ns : p->now;
	}
	if (due < d->last_due)
		due = d->last_due;   /* never before an earlier chunk: order is kept */
	d->last_due = due;
	return due;
}

/* Read what the source has into the ring: 1 progress, 0 none, -1 the connection is gone. */
static int dir_read(struct proxy *p, struct conn *c, int di)
{
	struct dir *d = &c->d[di];
	const struct proxy_fault *f = &p->cfg.fault[di];
	int s = side_src[di];
	size_t cap = p->cfg.buf_size, space = cap - (size_t)(d->rd - d->wr);
	struct iovec iov[2];
	ssize_t n;

	if (d->eof || !c->rd_ready[s] || !space ||
	    (d->chunks && d->ch_tail - d->ch_head == CHUNKS))
		return 0;
	n = readv(c->fd[s], iov, ring_iov(iov, d->buf, cap, d->rd, space));
	if (n < 0) {
		if (errno == EINTR)
			return 1;
		if (errno == EAGAIN) {
			c->rd_ready[s] = 0;
			return 0;
		}
		conn_close(p, c, 1);   /* a reset, or worse: the other side gets one too */
		return -1;
	}
	if (!n) {
		d->eof = 1;
		d->eof_at = p->now;
		return 1;
	}
	if ((size_t)n < space && !c->rdhup[s])
		c->rd_ready[s] = 0;   /* drained; edge-triggered, the next arrival says so */
	if (f->blackhole) {
		p->st.dropped[di] += (uint64_t)n;
		return 1;             /* read and forgotten: rd and wr stay equal */
	}
	d->rd += (uint64_t)n;
	if (d->chunks) {
		d->chunks[d->ch_tail & (CHUNKS - 1)] = (struct chunk){ .end = d->rd,
								       .due = chunk_due(p, d, f) };
		d->ch_tail++;
	}
	return 1;
}

/* How many of `avail` bytes the latency lets out now (setting d->wake if some wait). */
static uint64_t due_bytes(struct proxy *p, struct dir *d, uint64_t avail)
{
	uint64_t end = d->wr;

	if (!d->chunks)
		return avail;
	for (unsigned i = d->ch_head; i != d->ch_tail; i++) {
		struct chunk *ch = &d->chunks[i & (CHUNKS - 1)];

		if (ch->due > p->now) {
			d->wake = ch->due;
			break;
		}
		end = ch->end;
	}
	return end - d->wr;
}

/* How many of `want` bytes the bandwidth lets out now (setting d->wake if none). */
static uint64_t rate_bytes(struct proxy *p, struct dir *d, const struct proxy_fault *f,
			   uint64_t want)
{
	/* 50 ms worth: a wake-up that much late (a loaded machine) loses no tokens */
	double burst = (double)f->rate / 20 > BURST_MIN ? (double)f->rate / 20 : BURST_MIN;
	double need;

	if (!f->rate)
		return want;
	d->tokens += (double)(p->now - d->tokens_at) * (double)f->rate / 1e9;
	d->tokens_at = p->now;
	if (d->tokens > burst)
		d->tokens = burst;
	if (d->tokens >= 1)
		return (uint64_t)d->tokens < want ? (uint64_t)d->tokens : want;
	need = (double)want < burst ? (double)want : burst;
	d->wake = p->now + (uint64_t)((need - d->tokens) * 1e9 / (double)f->rate) + 1;
	return 0;
}

/* The source has ended and everything went out: send the FIN, when it is due. */
static int dir_shut(struct proxy *p, struct conn *c, int di)
{
	struct dir *d = &c->d[di];
	const struct proxy_fault *f = &p->cfg.fault[di];

	if (!d->eof || d->shut || d->rd != d->wr)
		return 0;
	if (!d->shut_due) {
		/* a FIN is late by the latency too, and then by the slow close */
		uint64_t at = d->eof_at + f->latency_ns;

		d->shut_due = (at > p->now ? at : p->now) + f->slow_close_ns;
	}
	if (d->shut_due > p->now) {
		d->wake = d->shut_due;
		return 0;
	}
	d->shut = 1;
	/* even a black hole passes the FIN on, so that the connection can end */
	if (c->fd[side_dst[di]] >= 0)
		shutdown(c->fd[side_dst[di]], SHUT_WR);
	return 1;
}

/* Write what may go now: 1 progress, 0 none, -1 the connection is gone. */
static int dir_write(struct proxy *p, struct conn *c, int di)
{
	struct dir *d = &c->d[di];
	const struct proxy_fault *f = &p->cfg.fault[di];
	int s = side_dst[di];
	uint64_t want = d->rd - d->wr;
	struct iovec iov[2];
	ssize_t n;

	if (!c->connected || !c->wr_ready[s])
		return 0;
	if (!want)
		return dir_shut(p, c, di);
	want = due_bytes(p, d, want);
	if (f->reset_after != PROXY_NO_RESET && want > f->reset_after - d->wr)
		want = f->reset_after - d->wr;
	want = want ? rate_bytes(p, d, f, want) : 0;
	if (!want)
		return 0;
	n = writev(c->fd[s], iov, ring_iov(iov, d->buf, p->cfg.buf_size, d->wr, (size_t)want));
	if (n < 0) {
		if (errno == EINTR)
			return 1;
		if (errno == EAGAIN) {
			c->wr_ready[s] = 0;
			return 0;
		}
		conn_close(p, c, 1);
		return -1;
	}
	if ((uint64_t)n < want)
		c->wr_ready[s] = 0;
	d->wr += (uint64_t)n;
	d->tokens -= (double)n;
	p->st.bytes[di] += (uint64_t)n;
	while (d->chunks && d->ch_head != d->ch_tail && d->chunks[d->ch_head & (CHUNKS - 1)].end <= d->wr)
		d->ch_head++;
	if (d->wr == f->reset_after) {
		p->st.resets++;
		conn_close(p, c, 1);
		return -1;
	}
	return 1;
}

static int dir_done(const struct dir *d)
{
	return d->shut;
}

/* Move what can move in both directions; then close, or wait for events and timers. */
static void conn_service(struct proxy *p, struct conn *c)
{
	uint64_t wake = 0;

	for (int di = 0; di < 2; di++) {
		int r, w, rounds = 0;

		c->d[di].wake = 0;
		do {
			if ((r = dir_read(p, c, di)) < 0 || (w = dir_write(p, c, di)) < 0)
				return;
		} while ((r || w) && ++rounds < ROUNDS);
		if (rounds == ROUNDS)
			c->d[di].wake = p->now + 1;   /* more to move: after the others' turn */
		if (c->d[di].wake && (!wake || c->d[di].wake < wake))
			wake = c->d[di].wake;
	}
	if (dir_done(&c->d[0]) && dir_done(&c->d[1])) {
		conn_close(p, c, 0);
		return;
	}
	conn_arm(p, c, wake);
}

/* The upstream connection finished connecting: 0, or -1 (the client reset). */
static int conn_connected(struct proxy *p, struct conn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
		p->st.upstream_failed++;
		conn_close(p, c, 1);
		return -1;
	}
	c->connected = 1;
	return 0;
}

static void conn_event(struct proxy *p, uint64_t data, uint32_t events)
{
	uint32_t gen = (uint32_t)(data >> 32), slot = (uint32_t)(data & 0xffffffffu) >> 1;
	int side = (int)(data & 1);
	struct conn *c = &p->conns[slot];

	if (!c->live || c->gen != gen)
		return;   /* closed earlier in this batch */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->rd_ready[side] = 1;
	if (events & EPOLLRDHUP)
		c->rdhup[side] = 1;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		c->wr_ready[side] = 1;
		if (side == 1 && !c->connected && conn_connected(p, c) < 0)
			return;
	}
	conn_service(p, c);
}

static void run_timers(struct proxy *p)
{
	while (p->heap_nr && p->heap[0].due <= p->now) {
		struct timer t = heap_pop(p);
		struct conn *c = &p->conns[t.slot];

		if (!c->live || c->gen != t.gen || c->armed != t.due)
			continue;
		c->armed = 0;
		conn_service(p, c);
	}
}

/* --- the proxy -------------------------------------------------------------------- */

static void raise_nofile(int conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conns * 2 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int add_fd(struct proxy *p, int fd, uint64_t data, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev);
}

static int listen_on(struct proxy *p, struct strbuf *err)
{
	int one = 1;

	p->lfd = socket(p->cfg.listen.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->lfd < 0 ||
	    setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(p->lfd, (struct sockaddr *)&p->cfg.listen, p->cfg.listen_len) < 0 ||
	    listen(p->lfd, 1024) < 0) {
		strbuf_addstr(err, "cannot listen on ");
		proxy_format_addr(err, &p->cfg.listen);
		strbuf_addf(err, ": %s", strerror(errno));
		return -1;
	}
	p->bound_len = sizeof(p->bound);
	getsockname(p->lfd, (struct sockaddr *)&p->bound, &p->bound_len);
	return 0;
}

struct proxy *proxy_new(const struct proxy_config *cfg, struct strbuf *err)
{
	struct proxy *p = xcalloc(1, sizeof(*p));

	p->cfg = *cfg;
	p->lfd = p->ep = p->tfd = p->stopfd = -1;
	if (!p->cfg.buf_size)
		p->cfg.buf_size = DEFAULT_BUF;
	if (p->cfg.buf_size & (p->cfg.buf_size - 1))
		BUG("proxy buffer size %zu is not a power of two", p->cfg.buf_size);
	if (!p->cfg.max_conns)
		p->cfg.max_conns = DEFAULT_CONNS;
	p->rng = cfg->seed ? cfg->seed : clock_ns() | 1;
	raise_nofile(p->cfg.max_conns);
	p->conns = xcalloc((size_t)p->cfg.max_conns, sizeof(*p->conns));
	p->free_slots = xcalloc((size_t)p->cfg.max_conns, sizeof(*p->free_slots));
	for (int i = p->cfg.max_conns; i > 0; i--)
		p->free_slots[p->nfree++] = i - 1;
	if (listen_on(p, err) < 0)
		goto fail;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	p->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->ep < 0 || p->tfd < 0 || p->stopfd < 0 ||
	    add_fd(p, p->lfd, EV_LISTEN, EPOLLIN | EPOLLET) < 0 ||
	    add_fd(p, p->tfd, EV_TIMER, EPOLLIN) < 0 || add_fd(p, p->stopfd, EV_STOP, EPOLLIN) < 0) {
		strbuf_addf(err, "cannot set up the event loop: %s", strerror(errno));
		goto fail;
	}
	return p;
fail:
	proxy_free(p);
	return NULL;
}

void proxy_addr(const struct proxy *p, struct sockaddr_storage *addr, socklen_t *len)
{
	*addr = p->bound;
	*len = p->bound_len;
}

void proxy_stop(struct proxy *p)
{
	uint64_t one = 1;
	ssize_t n = write(p->stopfd, &one, sizeof(one));

	(void)n;   /* EAGAIN: it is stopping already */
}

static void set_timer(struct proxy *p, uint64_t end)
{
	uint64_t next = p->heap_nr && p->heap[0].due < end ? p->heap[0].due : end;
	struct itimerspec its = { 0 };

	if (next == p->timer_set)
		return;
	its.it_value.tv_sec = (time_t)(next / NS_PER_SEC);
	its.it_value.tv_nsec = (long)(next % NS_PER_SEC);
	timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	p->timer_set = next;
}

/* One batch of events: 1 when stopped, else 0. */
static int dispatch(struct proxy *p, struct epoll_event *ev, int n)
{
	int stopped = 0;
	uint64_t v;

	for (int i = 0; i < n; i++) {
		switch (ev[i].data.u64) {
		case EV_LISTEN:
			p->accept_ready = 1;
			break;
		case EV_TIMER:
			if (read(p->tfd, &v, sizeof(v)) < 0)
				v = 0;   /* EAGAIN: already read */
			p->timer_set = 0;
			break;
		case EV_STOP:
			stopped = 1;
			break;
		default:
			conn_event(p, ev[i].data.u64, ev[i].events);
		}
	}
	return stopped;
}

static void close_all(struct proxy *p)
{
	for (int i = 0; i < p->cfg.max_conns; i++)
		if (p->conns[i].live)
			conn_close(p, &p->conns[i], 0);
	p->heap_nr = 0;
}

int proxy_run(struct proxy *p, struct strbuf *err)
{
	struct epoll_event ev[MAX_EVENTS];
	uint64_t end = clock_ns() + p->cfg.duration_ns;
	int rc;

	for (;;) {
		int n;

		p->now = clock_ns();
		if (p->now >= end) {
			rc = 0;
			break;
		}
		run_timers(p);
		if (p->accept_ready)
			do_accept(p);
		set_timer(p, end);
		n = epoll_wait(p->ep, ev, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "epoll_wait: %s", strerror(errno));
			rc = -1;
			break;
		}
		p->now = clock_ns();
		if (dispatch(p, ev, n)) {
			rc = 1;
			break;
		}
	}
	close_all(p);
	return rc;
}

void proxy_get_stats(const struct proxy *p, struct proxy_stats *st)
{
	*st = p->st;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	close_all(p);
	for (int i = 0; i < p->cfg.max_conns; i++)
		for (int di = 0; di < 2; di++) {
			free(p->conns[i].d[di].buf);
			free(p->conns[i].d[di].chunks);
		}
	if (p->lfd >= 0)
		close(p->lfd);
	if (p->ep >= 0)
		close(p->ep);
	if (p->tfd >= 0)
		close(p->tfd);
	if (p->stopfd >= 0)
		close(p->stopfd);
	free(p->conns);
	free(p->free_slots);
	free(p->heap);
	free(p);
}

void proxy_format_addr(struct strbuf *sb, const struct sockaddr_storage *addr)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		strbuf_addf(sb, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)addr;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		strbuf_addf(sb, "%s:%u", host, ntohs(a->sin_port));
	}
}
