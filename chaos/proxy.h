/*
 * The TCP fault proxy: listens on one address, connects each client it
 * accepts to one upstream, and forwards bytes both ways with faults in
 * either direction: latency and jitter (each chunk delivered later, in
 * order), bandwidth (bytes a second), a reset (RST after N bytes, or at
 * once), a slow close (the FIN held back) and a black hole (bytes
 * accepted and dropped, so the peer times out).
 *
 * One thread, one epoll loop, non-blocking sockets, edge-triggered; per
 * connection one ring buffer per direction, which bytes are read into and
 * written out of, and no other copy. The loop runs until its duration is
 * over or proxy_stop() is called; then every connection is closed.
 *
 * A library module: nothing here prints or exits. The `chaos proxy`
 * command runs it in its own process; the experiments to come can run it
 * in-process (a thread of their own) or as that command.
 */
#ifndef CHAOS_PROXY_H
#define CHAOS_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct strbuf;

enum proxy_dir {
	PROXY_UP = 0,      /* client to upstream */
	PROXY_DOWN = 1,    /* upstream to client */
};

#define PROXY_NO_RESET UINT64_MAX

/* The faults of one direction. All zero (and reset_after PROXY_NO_RESET): none. */
struct proxy_fault {
	uint64_t latency_ns;    /* each chunk delivered this much after it was read */
	uint64_t jitter_ns;     /* plus or minus up to this (uniform), order kept */
	uint64_t rate;          /* bytes a second; 0: no limit */
	uint64_t reset_after;   /* reset the connection once this many bytes went
				   through (0: as soon as it is accepted); PROXY_NO_RESET: never */
	uint64_t slow_close_ns; /* the FIN sent this much after the last byte */
	int blackhole;          /* read and drop every byte; nothing is sent */
};
#define PROXY_FAULT_INIT { .reset_after = PROXY_NO_RESET }

struct proxy_config {
	struct sockaddr_storage listen, upstream;   /* IPv4 or IPv6, numeric */
	socklen_t listen_len, upstream_len;
	struct proxy_fault fault[2];                /* by enum proxy_dir */
	uint64_t duration_ns;                       /* run this long, then stop (> 0) */
	size_t buf_size;                            /* per direction; a power of two; 0: 64 KiB */
	int max_conns;                              /* at once; more wait in the backlog; 0: 1024 */
	uint64_t seed;                              /* for the jitter; 0: from the clock */
};
#define PROXY_CONFIG_INIT { .fault = { PROXY_FAULT_INIT, PROXY_FAULT_INIT } }

/* What it did, so far or in all. */
struct proxy_stats {
	uint64_t accepted;          /* connections from clients */
	uint64_t active;            /* open now */
	uint64_t upstream_failed;   /* upstream connections that failed (the client was reset) */
	uint64_t resets;            /* connections reset by a reset fault */
	uint64_t bytes[2];          /* forwarded, by enum proxy_dir */
	uint64_t dropped[2];        /* read and dropped by a black hole */
};

struct proxy;

/*
 * A proxy bound and listening on cfg->listen (port 0: any; proxy_addr()
 * says which), not yet running. NULL with the reason in `err` ("cannot
 * listen on 127.0.0.1:8080: Address already in use").
 */
struct proxy *proxy_new(const struct proxy_config *cfg, struct strbuf *err);

/* The address it listens on. */
void proxy_addr(const struct proxy *p, struct sockaddr_storage *addr, socklen_t *len);

/*
 * Run the loop until the duration is over (counted from this call) or
 * proxy_stop(). Returns 1 when stopped, 0 when the duration ran out, -1
 * with the reason in `err` on a failure of the loop itself (a failed
 * connection is not one: it is counted).
 */
int proxy_run(struct proxy *p, struct strbuf *err);

/* Make proxy_run() return soon; async-signal-safe, and safe from another thread. */
void proxy_stop(struct proxy *p);

void proxy_get_stats(const struct proxy *p, struct proxy_stats *st);

/* Close everything; p may be NULL. */
void proxy_free(struct proxy *p);

/* "127.0.0.1:8080" or "[::1]:8080" for addr, into sb (appended). */
void proxy_format_addr(struct strbuf *sb, const struct sockaddr_storage *addr);

#endif
