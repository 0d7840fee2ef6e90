/*
 * test-httpd: a small HTTP/1.1 server for loadtest's tests.
 *
 *   test-httpd [--port N] [--port-file FILE] [--delay DUR]
 *              [--stall-every DUR --stall-for DUR] [--status CODE]
 *              [--body-size N] [--chunked] [--close-every N]
 *              [--max-conns N] [--duration DUR] [--addr 127.0.0.1]
 *
 * One thread, one epoll loop, non-blocking sockets, 127.0.0.1 only; libc
 * and nothing else. Durations take us, ms, s or m ("10ms", "1.5s").
 *
 * Every response is the same (status, body size, chunked or not, set on
 * the command line) and is built once at start-up, in two forms: with and
 * without "Connection: close". A connection's output is then only a count
 * of responses due and an offset into the first of them, so a connection
 * costs its 16 KB input buffer and no more, whatever the body size. One
 * exception, for tests of errors by status code: a request for the path
 * /status/NNN (NNN from 200 to 599, a query allowed) is answered NNN with
 * the body "status NNN as asked", and the connection is closed after it.
 *
 * Delays: a request fully read (head and body) puts its response in one
 * FIFO, due --delay later. With a single delay the order requests are read
 * in is the order their responses fall due, so the FIFO is sorted by due
 * time and its head is the next deadline; a timerfd armed at that time
 * (absolute, CLOCK_MONOTONIC) wakes the loop. During a stall (for
 * --stall-for, every --stall-every from start-up) nothing leaves the FIFO;
 * what fell due is sent when the stall ends. Reading goes on.
 *
 * Requests: keep-alive, pipelined or back to back; a Content-Length body is
 * read and thrown away (with "100 Continue" when asked and nothing else is
 * owed on the connection). A malformed request (HTTP/1.1 without exactly
 * one Host is malformed too) gets 400, and the connection is closed once
 * the responses owed before it are sent; a head over 16 KB gets 431, a
 * Transfer-Encoding request body 501, and so does HEAD (the responses are
 * built with their body). HTTP/1.0 and "Connection: close" get their
 * response, then the connection closes.
 * Closing is lingering: writing is shut down and what the peer still sends
 * is read and dropped until it closes too (2 s at most), because closing
 * a socket with unread input sends a reset, and a reset can destroy the
 * last response before the peer has read it.
 *
 * It exits 0 on SIGTERM or SIGINT, or by itself after --duration (10
 * minutes unless told: a test server must never outlive its test),
 * printing one line to standard error:
 *   test-httpd: N requests served, M connections accepted
 * where "served" counts responses written whole. Usage errors exit 2,
 * other failures 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD	16384		/* request line and headers, and the input buffer */
#define MAX_OWED	1024		/* responses owed on a connection before it is read no more */
#define MAX_BODY_SIZE	(256ull << 20)	/* --body-size */
#define MAX_REQ_BODY	(1ull << 40)	/* a request's Content-Length */
#define MAX_IOV		64
#define MAX_EVENTS	256
#define NS_PER_SEC	1000000000ull
#define LINGER_NS	(2 * NS_PER_SEC)	/* reading after the last response, at most */

/* The responses, built once; a connection sends any number of RESP_OK and
 * at most one other, last, after which it closes. */
enum resp { RESP_OK, RESP_OK_CLOSE, RESP_400, RESP_413, RESP_431, RESP_501, RESP__N,
	    RESP_CODE = RESP__N /* the code the path asked for: S.code[conn's code] */ };

struct blob {
	char *p;
	size_t len, alloc;
};

struct conn {
	int fd;			/* -1 once closed: the struct outlives the socket while responses are queued */
	uint32_t events;	/* the epoll mask registered now */
	int closing;		/* read no more; close once everything owed is written */
	int eof;		/* the peer will send no more */
	int lingering;		/* all written, writing shut down: reading until EOF */
	uint64_t linger_until;
	int dirty;		/* on the list of connections to flush */
	enum resp last;		/* the final response when closing (RESP_OK after the peer's EOF) */
	enum resp kind;		/* the response of the request whose body is being read */
	unsigned code;		/* RESP_CODE: the status code */
	char *buf;		/* input not yet parsed: buf[start, end) */
	size_t start, end;
	uint64_t body_left;	/* request body still to read and discard */
	unsigned long reqs;	/* requests read on this connection, for --close-every */
	unsigned queued;	/* responses in the FIFO, not due yet */
	unsigned ready;		/* responses due, not written whole yet */
	size_t off;		/* bytes of the first ready response written already */
	size_t cont_left;	/* bytes of "100 Continue" still to write, before any response */
	struct conn *next_dirty, *prev, *next, *lprev, *lnext;
};

struct pending {
	struct conn *c;
	uint64_t due;		/* CLOCK_MONOTONIC, ns */
};

struct opts {
	const char *addr, *port_file;
	unsigned long port, status, close_every, max_conns;
	uint64_t body_size;
	uint64_t delay, stall_every, stall_for, duration;	/* ns */
	int chunked;
};

struct server {
	struct opts o;
	int ep, lfd, tfd, sfd;
	int accepting;
	uint64_t start, end, armed;
	struct blob resp[RESP__N];
	struct blob code[600];	/* RESP_CODE answers, built when first asked for */
	struct pending *q;	/* a ring: q[(head + i) % cap], i < len, sorted by due */
	size_t qcap, qhead, qlen;
	struct conn *dirty;	/* connections with something new to write */
	struct conn *all;	/* every connection not freed, for the exit */
	struct conn *linger, *linger_tail;	/* lingering, oldest first */
	unsigned long nconns;	/* open sockets */
	unsigned long long served, accepted;
};

static struct server S;
/* epoll tags of the descriptors that are not connections */
static char tag_listen, tag_timer, tag_signal;

static const char CONTINUE[] = "HTTP/1.1 100 Continue\r\n\r\n";
static const char USAGE[] =
	"usage: test-httpd [--port N] [--port-file FILE] [--delay DUR]\n"
	"                  [--stall-every DUR --stall-for DUR] [--status CODE]\n"
	"                  [--body-size N] [--chunked] [--close-every N]\n"
	"                  [--max-conns N] [--duration DUR] [--addr 127.0.0.1]\n"
	"an HTTP/1.1 server for tests, on 127.0.0.1; DUR is 250us, 10ms, 2s, 1m\n";

/* --- small things --------------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("test-httpd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("test-httpd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(USAGE, stderr);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void blob_add(struct blob *b, const void *data, size_t n)
{
	if (b->len + n > b->alloc) {
		size_t want = b->alloc ? b->alloc : 256;

		while (want < b->len + n)
			want *= 2;
		b->p = realloc(b->p, want);
		if (!b->p)
			die("out of memory (%zu bytes)", want);
		b->alloc = want;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void blob_addf(struct blob *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void blob_addf(struct blob *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("internal error: formatted text too long");
	blob_add(b, tmp, (size_t)n);
}

/* --- options -------------------------------------------------------------- */

/* "250us", "10ms", "1.5s", "2m". A bare number other than 0 is refused:
 * nobody reading "--delay 10" knows the unit. */
static int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = { { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 } };
	size_t digits = strspn(s, "0123456789.");
	char *end;
	double v;

	if (!digits || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != s + digits || v > 1e9)
		return -1;
	if (!*end) {
		*ns = 0;
		return v == 0 ? 0 : -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix) && v * units[i].mult < 1e18) {
			*ns = (uint64_t)(v * units[i].mult + 0.5);
			return 0;
		}
	}
	return -1;
}

static uint64_t opt_duration(const char *name, const char *arg)
{
	uint64_t ns;

	if (parse_duration(arg, &ns))
		usage_error("--%s: not a duration: '%s' (say 10ms, 2s, 1m)", name, arg);
	return ns;
}

static unsigned long long opt_number(const char *name, const char *arg,
				     unsigned long long min, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (!isdigit((unsigned char)arg[0]) || *end || errno || v < min || v > max)
		usage_error("--%s: '%s' is not a whole number from %llu to %llu", name, arg, min, max);
	return v;
}

static void check_opts(const struct opts *o)
{
	if (strcmp(o->addr, "127.0.0.1") && strcmp(o->addr, "localhost"))
		usage_error("refusing to listen on '%s': only 127.0.0.1", o->addr);
	if (!o->stall_every != !o->stall_for)
		usage_error("--stall-every and --stall-for go together");
	if (o->stall_every && o->stall_for >= o->stall_every)
		usage_error("--stall-for must be shorter than --stall-every");
	if (!o->duration)
		usage_error("--duration must be more than 0");
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "delay", required_argument, NULL, 'd' },
		{ "stall-every", required_argument, NULL, 'E' },
		{ "stall-for", required_argument, NULL, 'F' },
		{ "status", required_argument, NULL, 's' },
		{ "body-size", required_argument, NULL, 'b' },
		{ "chunked", no_argument, NULL, 'c' },
		{ "close-every", required_argument, NULL, 'C' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .addr = "127.0.0.1", .status = 200, .body_size = 2,
			    .max_conns = 10000, .duration = 600 * NS_PER_SEC };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->addr = optarg; break;
		case 'p': o->port = opt_number("port", optarg, 0, 65535); break;
		case 'f': o->port_file = optarg; break;
		case 'd': o->delay = opt_duration("delay", optarg); break;
		case 'E': o->stall_every = opt_duration("stall-every", optarg); break;
		case 'F': o->stall_for = opt_duration("stall-for", optarg); break;
		case 's': o->status = opt_number("status", optarg, 200, 599); break;
		case 'b': o->body_size = opt_number("body-size", optarg, 0, MAX_BODY_SIZE); break;
		case 'c': o->chunked = 1; break;
		case 'C': o->close_every = opt_number("close-every", optarg, 1, ~0ul); break;
		case 'm': o->max_conns = opt_number("max-conns", optarg, 1, 1000000); break;
		case 'D': o->duration = opt_duration("duration", optarg); break;
		case 'h': fputs(USAGE, stdout); exit(0);
		default: usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	check_opts(o);
}

/* --- the responses -------------------------------------------------------- */

static const char *reason(unsigned long status)
{
	static const struct {
		unsigned long status;
		const char *text;
	} table[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 408, "Request Timeout" }, { 413, "Content Too Large" },
		{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].status == status)
			return table[i].text;
	return "Status";
}

/* The body is "okokok..." cut to --body-size: the default 2 bytes read "ok". */
static char *make_body(size_t n)
{
	char *body = xmalloc(n);

	for (size_t i = 0; i < n; i++)
		body[i] = "ok"[i % 2];
	return body;
}

/* The body in three chunks (fewer when it is shorter than three bytes). */
static void add_chunked(struct blob *b, const char *body, size_t n)
{
	size_t piece = (n + 2) / 3;

	for (size_t at = 0; at < n; at += piece) {
		size_t len = n - at < piece ? n - at : piece;

		blob_addf(b, "%zx\r\n", len);
		blob_add(b, body + at, len);
		blob_add(b, "\r\n", 2);
	}
	blob_add(b, "0\r\n\r\n", 5);
}

static void build_ok(struct blob *b, int close)
{
	unsigned long st = S.o.status;
	int bodyless = st == 204 || st == 304;
	size_t n = (size_t)S.o.body_size;
	char *body;

	blob_addf(b, "HTTP/1.1 %lu %s\r\nServer: test-httpd\r\n", st, reason(st));
	if (close)
		blob_addf(b, "Connection: close\r\n");
	if (bodyless) {
		blob_add(b, "\r\n", 2);
		return;
	}
	blob_addf(b, "Content-Type: text/plain\r\n");
	if (S.o.chunked)
		blob_addf(b, "Transfer-Encoding: chunked\r\n\r\n");
	else
		blob_addf(b, "Content-Length: %zu\r\n\r\n", n);
	body = make_body(n);
	if (S.o.chunked)
		add_chunked(b, body, n);
	else
		blob_add(b, body, n);
	free(body);
}

static void build_error(struct blob *b, unsigned long status)
{
	const char *text = reason(status);

	blob_addf(b, "HTTP/1.1 %lu %s\r\nServer: test-httpd\r\nConnection: close\r\n"
		  "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s\n",
		  status, text, strlen(text) + 1, text);
}

/* The answer to /status/NNN, built once per code. */
static void build_code(unsigned long status)
{
	struct blob *b = &S.code[status];
	char body[64];

	if (b->len)
		return;
	snprintf(body, sizeof(body), "status %lu as asked\n", status);
	blob_addf(b, "HTTP/1.1 %lu %s\r\nServer: test-httpd\r\nConnection: close\r\n"
		  "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		  status, reason(status), strlen(body), body);
}

static void build_responses(void)
{
	build_ok(&S.resp[RESP_OK], 0);
	build_ok(&S.resp[RESP_OK_CLOSE], 1);
	build_error(&S.resp[RESP_400], 400);
	build_error(&S.resp[RESP_413], 413);
	build_error(&S.resp[RESP_431], 431);
	build_error(&S.resp[RESP_501], 501);
}

/* --- the FIFO of responses not due yet ------------------------------------ */

static void fifo_grow(void)
{
	size_t cap = S.qcap ? 2 * S.qcap : 1024;
	struct pending *q = xcalloc(cap, sizeof(*q));

	for (size_t i = 0; i < S.qlen; i++)
		q[i] = S.q[(S.qhead + i) % S.qcap];
	free(S.q);
	S.q = q;
	S.qcap = cap;
	S.qhead = 0;
}

static void fifo_push(struct conn *c, uint64_t due)
{
	if (S.qlen == S.qcap)
		fifo_grow();
	S.q[(S.qhead + S.qlen) % S.qcap] = (struct pending){ .c = c, .due = due };
	S.qlen++;
}

static struct pending fifo_pop(void)
{
	struct pending p = S.q[S.qhead];

	S.qhead = (S.qhead + 1) % S.qcap;
	S.qlen--;
	return p;
}

/* The end of the stall that time t falls in, or 0 when t is outside one.
 * Stalls are [k * every, k * every + for) from start-up, k = 1, 2, ... */
static uint64_t stall_end(uint64_t t)
{
	uint64_t since, phase;

	if (!S.o.stall_every || t < S.start + S.o.stall_every)
		return 0;
	since = t - S.start;
	phase = since % S.o.stall_every;
	return phase < S.o.stall_for ? t - phase + S.o.stall_for : 0;
}

/* --- connections ---------------------------------------------------------- */

static void listen_events(int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = &tag_listen };

	if (S.accepting != on && epoll_ctl(S.ep, EPOLL_CTL_MOD, S.lfd, &ev))
		die("epoll_ctl: %s", strerror(errno));
	S.accepting = on;
}

static void conn_free(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		S.all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->buf);
	free(c);
}

static void conn_maybe_free(struct conn *c)
{
	if (c->fd < 0 && !c->queued && !c->dirty)
		conn_free(c);
}

static void mark_dirty(struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	c->next_dirty = S.dirty;
	S.dirty = c;
}

static void linger_unlink(struct conn *c)
{
	if (c->lprev)
		c->lprev->lnext = c->lnext;
	else
		S.linger = c->lnext;
	if (c->lnext)
		c->lnext->lprev = c->lprev;
	else
		S.linger_tail = c->lprev;
	c->lingering = 0;
}

/* Closes the socket at once; the struct goes when nothing names it. */
static void conn_drop(struct conn *c)
{
	if (c->lingering)
		linger_unlink(c);
	close(c->fd);
	c->fd = -1;
	c->ready = 0;
	c->cont_left = 0;
	free(c->buf);
	c->buf = NULL;
	S.nconns--;
	if (!S.accepting)
		listen_events(1);
	mark_dirty(c);	/* freed by flush_dirty(), after the events that may name it */
}

/* Everything is written: shut down writing and read until the peer's EOF
 * (see the top of the file). Lingering connections are a FIFO, as they all
 * linger as long. */
static void conn_linger(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (c->eof || shutdown(c->fd, SHUT_WR) ||
	    (c->events != EPOLLIN && epoll_ctl(S.ep, EPOLL_CTL_MOD, c->fd, &ev))) {
		conn_drop(c);
		return;
	}
	c->events = EPOLLIN;
	c->lingering = 1;
	c->linger_until = now_ns() + LINGER_NS;
	c->lprev = S.linger_tail;
	c->lnext = NULL;
	if (S.linger_tail)
		S.linger_tail->lnext = c;
	else
		S.linger = c;
	S.linger_tail = c;
	free(c->buf);
	c->buf = NULL;
}

static void conn_discard(struct conn *c)
{
	char sink[4096];
	ssize_t n = read(c->fd, sink, sizeof(sink));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_drop(c);
}

static void expire_lingering(uint64_t now)
{
	while (S.linger && S.linger->linger_until <= now)
		conn_drop(S.linger);
}

static int conn_wants_input(const struct conn *c)
{
	return !c->closing && c->queued + c->ready < MAX_OWED;
}

/* After any change: close a connection that owes nothing more, else
 * register the events it waits for. */
static void conn_settle(struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	if (c->fd < 0 || c->lingering)
		return;
	if (c->closing && !c->queued && !c->ready && !c->cont_left) {
		conn_linger(c);
		return;
	}
	ev.events = (conn_wants_input(c) ? EPOLLIN : 0) | (c->ready || c->cont_left ? EPOLLOUT : 0);
	if (ev.events != c->events && epoll_ctl(S.ep, EPOLL_CTL_MOD, c->fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
	c->events = ev.events;
}

static void conn_new(int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->buf = xmalloc(MAX_HEAD);
	c->events = EPOLLIN;
	c->next = S.all;
	if (S.all)
		S.all->prev = c;
	S.all = c;
	if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
	S.nconns++;
	S.accepted++;
}

/* --- reading requests ----------------------------------------------------- */

struct request {
	unsigned code;		/* /status/NNN asked for NNN */
	int http10;
	int close;		/* Connection: close, or HTTP/1.0 */
	int expect_continue;
	int hosts;
	int have_length;
	uint64_t length;
};

static int is_tchar(int ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_token(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)p[i]))
			return 0;
	return n > 0;
}

/* "close" among the comma-separated options of a Connection header */
static int has_close(const char *v, size_t n)
{
	while (n) {
		size_t len = 0, skip;

		while (len < n && v[len] != ',')
			len++;
		skip = len;
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		while (len && (*v == ' ' || *v == '\t'))
			v++, len--, skip--;
		if (len == 5 && !strncasecmp(v, "close", 5))
			return 1;
		v += skip < n ? skip + 1 : skip;
		n -= skip < n ? skip + 1 : skip;
	}
	return 0;
}

static enum resp parse_length(struct request *rq, const char *v, size_t n)
{
	uint64_t len = 0;

	if (!n || n > 19)
		return n ? RESP_413 : RESP_400;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return RESP_400;
		len = len * 10 + (uint64_t)(v[i] - '0');
	}
	if (rq->have_length && rq->length != len)
		return RESP_400;
	if (len > MAX_REQ_BODY)
		return RESP_413;
	rq->have_length = 1;
	rq->length = len;
	return RESP_OK;
}

static enum resp parse_header(struct request *rq, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	const char *v;
	size_t name, vn;

	if (!colon || !is_token(p, (size_t)(colon - p)))
		return RESP_400;
	name = (size_t)(colon - p);
	v = colon + 1;
	vn = n - name - 1;
	for (size_t i = 0; i < vn; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return RESP_400;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (name == 14 && !strncasecmp(p, "content-length", 14))
		return parse_length(rq, v, vn);
	if (name == 17 && !strncasecmp(p, "transfer-encoding", 17))
		return RESP_501;
	if (name == 10 && !strncasecmp(p, "connection", 10))
		rq->close |= has_close(v, vn);
	else if (name == 6 && !strncasecmp(p, "expect", 6))
		rq->expect_continue = vn == 12 && !strncasecmp(v, "100-continue", 12);
	else if (name == 4 && !strncasecmp(p, "host", 4))
		rq->hosts++;
	return RESP_OK;
}

/* The code a target /status/NNN[?...] asks for, 0 if it does not. */
static unsigned status_path(const char *t, size_t n)
{
	unsigned code;

	if (n < 11 || memcmp(t, "/status/", 8) || !isdigit((unsigned char)t[8]) ||
	    !isdigit((unsigned char)t[9]) || !isdigit((unsigned char)t[10]) || (n > 11 && t[11] != '?'))
		return 0;
	code = (unsigned)(t[8] - '0') * 100 + (unsigned)(t[9] - '0') * 10 + (unsigned)(t[10] - '0');
	return code >= 200 && code <= 599 ? code : 0;
}

/* METHOD SP TARGET SP HTTP/1.x */
static enum resp parse_request_line(struct request *rq, const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *version;
	size_t rest;

	if (!sp1 || !is_token(p, (size_t)(sp1 - p)))
		return RESP_400;
	if (sp1 - p == 4 && !memcmp(p, "HEAD", 4))
		return RESP_501;	/* every response here has the body */
	rest = n - (size_t)(sp1 + 1 - p);
	sp2 = memchr(sp1 + 1, ' ', rest);
	if (!sp2 || sp2 == sp1 + 1)
		return RESP_400;
	for (const char *t = sp1 + 1; t < sp2; t++)
		if ((unsigned char)*t <= 0x20 || *t == 0x7f)
			return RESP_400;
	rq->code = status_path(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	version = sp2 + 1;
	if ((size_t)(p + n - version) != 8 || strncmp(version, "HTTP/1.", 7) ||
	    (version[7] != '0' && version[7] != '1'))
		return RESP_400;
	rq->http10 = version[7] == '0';
	return RESP_OK;
}

/* Parses head[0, n), which is the request line and the headers, each ending
 * in CRLF (the blank line is not included). */
static enum resp parse_head(struct request *rq, const char *head, size_t n)
{
	const char *p = head, *end = head + n;
	enum resp r;

	*rq = (struct request){ 0 };
	for (int first = 1; p < end; first = 0) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t len = (size_t)(eol - p);

		if (first)
			r = parse_request_line(rq, p, len);
		else if (*p == ' ' || *p == '\t')
			r = RESP_400;	/* obsolete line folding */
		else
			r = parse_header(rq, p, len);
		if (r != RESP_OK)
			return r;
		p = eol + 2;
	}
	if (!rq->http10 && rq->hosts != 1)
		return RESP_400;
	rq->close |= rq->http10;
	return RESP_OK;
}

/* A request has been read whole: its response falls due --delay from now. */
static void conn_answer(struct conn *c, enum resp kind)
{
	if (kind != RESP_OK) {
		c->closing = 1;
		c->last = kind;
	}
	c->queued++;
	fifo_push(c, now_ns() + S.o.delay);
}

static void conn_reject(struct conn *c, enum resp kind)
{
	c->start = c->end = 0;
	c->body_left = 0;
	conn_answer(c, kind);
}

/* Starts "100 Continue" if the client waits for it and nothing is owed
 * before it; otherwise the client sends the body after its own timeout. */
static void conn_continue(struct conn *c, const struct request *rq)
{
	if (!rq->expect_continue || rq->http10 || c->end > c->start)
		return;
	if (c->queued || c->ready || c->cont_left)
		return;
	c->cont_left = sizeof(CONTINUE) - 1;
	mark_dirty(c);
}

/* One request head at buf[start] ending at eoh (the blank line's CRLF). */
static void conn_head(struct conn *c, const char *eoh)
{
	const char *head = c->buf + c->start;
	struct request rq;
	enum resp r = parse_head(&rq, head, (size_t)(eoh - head) + 2);

	if (r != RESP_OK) {
		conn_reject(c, r);
		return;
	}
	c->start = (size_t)(eoh + 4 - c->buf);
	c->reqs++;
	c->kind = rq.close || (S.o.close_every && c->reqs % S.o.close_every == 0) ?
		RESP_OK_CLOSE : RESP_OK;
	if (rq.code) {
		build_code(rq.code);
		c->kind = RESP_CODE;
		c->code = rq.code;
	}
	c->body_left = rq.length;
	if (!c->body_left)
		conn_answer(c, c->kind);
	else
		conn_continue(c, &rq);
}

/* Throws away what is buffered of the body being read; answers once whole. */
static void conn_skip_body(struct conn *c)
{
	size_t avail = c->end - c->start;
	size_t n = avail < c->body_left ? avail : (size_t)c->body_left;

	c->start += n;
	c->body_left -= n;
	if (!c->body_left)
		conn_answer(c, c->kind);
}

/* Handles every whole request in the buffer, as far as allowed. */
static void conn_consume(struct conn *c)
{
	while (c->fd >= 0 && conn_wants_input(c) && c->end > c->start) {
		const char *p = c->buf + c->start, *eoh;
		size_t avail = c->end - c->start;

		if (c->body_left) {
			conn_skip_body(c);
			continue;
		}
		if (avail >= 2 && p[0] == '\r' && p[1] == '\n') {
			c->start += 2;	/* an empty line before a request is allowed */
			continue;
		}
		eoh = memmem(p, avail, "\r\n\r\n", 4);
		if (eoh)
			conn_head(c, eoh);
		else if (avail >= MAX_HEAD)
			conn_reject(c, RESP_431);
		else
			break;
	}
	if (c->start == c->end)
		c->start = c->end = 0;
}

static void conn_read(struct conn *c)
{
	ssize_t n;

	if (c->start) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	n = read(c->fd, c->buf + c->end, MAX_HEAD - c->end);
	if (n > 0) {
		c->end += (size_t)n;
		conn_consume(c);
	} else if (n == 0) {
		c->closing = 1;	/* the peer sent all it will; answer what it asked */
		c->eof = 1;
	} else if (errno != EAGAIN && errno != EINTR) {
		conn_drop(c);
		return;
	}
	conn_settle(c);
}

/* --- writing responses ---------------------------------------------------- */

/* The kind of the i-th ready response: the last one owed by a closing
 * connection is its final response, all others are RESP_OK. */
static enum resp ready_kind(const struct conn *c, unsigned i)
{
	return c->closing && !c->queued && i + 1 == c->ready ? c->last : RESP_OK;
}

static const struct blob *resp_blob(const struct conn *c, enum resp kind)
{
	return kind == RESP_CODE ? &S.code[c->code] : &S.resp[kind];
}

static int fill_iov(const struct conn *c, struct iovec *iov)
{
	size_t off = c->off;
	int n = 0;

	if (c->cont_left) {
		iov[n].iov_base = (char *)CONTINUE + sizeof(CONTINUE) - 1 - c->cont_left;
		iov[n++].iov_len = c->cont_left;
	}
	for (unsigned i = 0; i < c->ready && n < MAX_IOV; i++) {
		const struct blob *b = resp_blob(c, ready_kind(c, i));

		iov[n].iov_base = b->p + off;
		iov[n++].iov_len = b->len - off;
		off = 0;
	}
	return n;
}

static void conn_advance(struct conn *c, size_t w)
{
	size_t k = w < c->cont_left ? w : c->cont_left;

	c->cont_left -= k;
	w -= k;
	while (w) {
		size_t left = resp_blob(c, ready_kind(c, 0))->len - c->off;

		if (w < left) {
			c->off += w;
			return;
		}
		w -= left;
		c->off = 0;
		c->ready--;
		S.served++;
	}
}

/* Writes what is due; what the socket does not take waits for EPOLLOUT. */
static void conn_flush(struct conn *c)
{
	int was_full = !conn_wants_input(c);

	while (c->fd >= 0 && (c->ready || c->cont_left)) {
		struct iovec iov[MAX_IOV + 1];
		struct msghdr msg = { .msg_iov = iov };
		ssize_t w;

		msg.msg_iovlen = (size_t)fill_iov(c, iov);
		w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w < 0) {
			conn_drop(c);
			return;
		}
		conn_advance(c, (size_t)w);
	}
	if (c->fd >= 0 && was_full && conn_wants_input(c))
		conn_consume(c);	/* input held back while too much was owed */
	conn_settle(c);
}

static void flush_dirty(void)
{
	while (S.dirty) {
		struct conn *c = S.dirty;

		S.dirty = c->next_dirty;
		c->dirty = 0;
		if (c->fd >= 0)
			conn_flush(c);
		conn_maybe_free(c);
	}
}

/* Moves every response that is due out of the FIFO, unless in a stall. */
static void release_due(uint64_t now)
{
	if (stall_end(now))
		return;
	while (S.qlen && S.q[S.qhead].due <= now) {
		struct conn *c = fifo_pop().c;

		c->queued--;
		if (c->fd < 0) {
			conn_maybe_free(c);
			continue;
		}
		c->ready++;
		mark_dirty(c);
	}
}

/* --- the loop ------------------------------------------------------------- */

static void on_accept(void)
{
	for (int i = 0; i < 64 && S.nconns < S.o.max_conns; i++) {
		int fd = accept4(S.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_new(fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			fprintf(stderr, "test-httpd: accept: %s; waiting for a connection to close\n",
				strerror(errno));
			if (S.nconns)
				listen_events(0);
		}
		break;
	}
	if (S.nconns >= S.o.max_conns)
		listen_events(0);
}

static void on_conn(struct conn *c, uint32_t events)
{
	if (c->fd >= 0 && c->lingering) {
		conn_discard(c);
		return;
	}
	if (c->fd >= 0 && (events & EPOLLIN))
		conn_read(c);
	if (c->fd >= 0 && (events & EPOLLOUT))
		conn_flush(c);
	if (c->fd >= 0 && (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN))
		conn_drop(c);	/* reported whatever the mask: nothing more can be sent */
}

/* The next time the loop must wake by itself: the head of the FIFO (or
 * the end of the stall it falls in), the oldest lingering connection's
 * deadline, or the end of the run. */
static uint64_t next_wake(uint64_t now)
{
	uint64_t wake = S.end, t, se;

	if (S.qlen) {
		t = S.q[S.qhead].due > now ? S.q[S.qhead].due : now;
		se = stall_end(t);
		if (se)
			t = se;
		if (t < wake)
			wake = t;
	}
	if (S.linger && S.linger->linger_until < wake)
		wake = S.linger->linger_until;
	return wake;
}

static void arm_timer(uint64_t at)
{
	struct itimerspec its = { 0 };

	if (at == S.armed)
		return;
	its.it_value.tv_sec = (time_t)(at / NS_PER_SEC);
	its.it_value.tv_nsec = (long)(at % NS_PER_SEC);
	if (timerfd_settime(S.tfd, TFD_TIMER_ABSTIME, &its, NULL))
		die("timerfd_settime: %s", strerror(errno));
	S.armed = at;
}

/* Returns 1 when a signal asks to stop. */
static int dispatch(struct epoll_event *ev)
{
	uint64_t ticks;

	if (ev->data.ptr == &tag_listen) {
		on_accept();
	} else if (ev->data.ptr == &tag_timer) {
		if (read(S.tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
			die("timerfd: %s", strerror(errno));
		S.armed = 0;
	} else if (ev->data.ptr == &tag_signal) {
		return 1;
	} else {
		on_conn(ev->data.ptr, ev->events);
	}
	return 0;
}

static void run(void)
{
	struct epoll_event evs[MAX_EVENTS];

	for (;;) {
		uint64_t now = now_ns();
		int n;

		if (now >= S.end)
			return;
		expire_lingering(now);
		release_due(now);
		flush_dirty();
		arm_timer(next_wake(now_ns()));
		n = epoll_wait(S.ep, evs, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			if (dispatch(&evs[i]))
				return;
	}
}

/* --- set-up --------------------------------------------------------------- */

static void write_port_file(const char *path, unsigned port)
{
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	FILE *f;

	snprintf(tmp, n, "%s.%ld.tmp", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		die("cannot write '%s': %s", tmp, strerror(errno));
	fprintf(f, "%u\n", port);
	if (fclose(f) || rename(tmp, path))
		die("cannot write '%s': %s", path, strerror(errno));
	free(tmp);
}

static int listen_loopback(unsigned long port, unsigned *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("cannot listen on 127.0.0.1:%lu: %s", port, strerror(errno));
	if (listen(fd, SOMAXCONN) || getsockname(fd, (struct sockaddr *)&sa, &len))
		die("listen: %s", strerror(errno));
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* Room for --max-conns descriptors, as far as the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)S.o.max_conns + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void watch(int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl: %s", strerror(errno));
}

static void setup(void)
{
	sigset_t set;
	unsigned port;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	S.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	S.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	S.ep = epoll_create1(EPOLL_CLOEXEC);
	if (S.sfd < 0 || S.tfd < 0 || S.ep < 0)
		die("cannot set up the loop: %s", strerror(errno));
	raise_fd_limit();
	build_responses();
	S.lfd = listen_loopback(S.o.port, &port);
	watch(S.lfd, &tag_listen);
	watch(S.tfd, &tag_timer);
	watch(S.sfd, &tag_signal);
	S.accepting = 1;
	S.start = now_ns();
	S.end = S.start + S.o.duration;
	if (S.o.port_file)
		write_port_file(S.o.port_file, port);
}

static void teardown(void)
{
	while (S.all) {
		if (S.all->fd >= 0)
			close(S.all->fd);
		conn_free(S.all);
	}
	for (int i = 0; i < RESP__N; i++)
		free(S.resp[i].p);
	for (size_t i = 0; i < sizeof(S.code) / sizeof(S.code[0]); i++)
		free(S.code[i].p);
	free(S.q);
	close(S.lfd);
	close(S.tfd);
	close(S.sfd);
	close(S.ep);
}

int main(int argc, char **argv)
{
	parse_args(&S.o, argc, argv);
	/* wake for a due response within 1 us, not the default 50 us slack */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	setup();
	run();
	teardown();
	fprintf(stderr, "test-httpd: %llu requests served, %llu connections accepted\n",
		S.served, S.accepted);
	return 0;
}
