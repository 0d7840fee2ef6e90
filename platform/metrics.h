/*
 * obsd's metrics, rendered for /metrics in the Prometheus text exposition
 * format (version 0.0.4). Every counter is a relaxed atomic: any thread
 * may count without a lock; a scrape reads each value once, so it may mix
 * counts a few requests apart, which Prometheus tolerates.
 */
#ifndef PLATFORM_METRICS_H
#define PLATFORM_METRICS_H

#include <stdint.h>

struct strbuf;

/* The routes, the label values of route="...". */
enum route {
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_INGEST,     /* POST /v1/observations */
	ROUTE_LIST,       /* GET /v1/observations */
	ROUTE_GET,        /* GET /v1/observations/{id} */
	ROUTE_STATS,
	ROUTE_UNMATCHED,  /* no route: 404, 405 */
	ROUTE__NR
};

const char *route_name(enum route r);

enum counter {
	C_ROWS_NEW,          /* rows stored */
	C_ROWS_PRESENT,      /* rows whose id was already stored */
	C_ROWS_REJECTED,     /* invalid rows of refused batches */
	C_DB_CONNECTS,       /* connections made, first or again */
	C_DB_CONNECT_FAILURES,
	C_DB_ERRORS,         /* statements that failed */
	C_DB_RETRIES,        /* statements tried again on a new connection */
	C__NR
};

void metrics_init(void);
void metrics_count(enum counter c, uint64_t n);
void metrics_request(enum route r, unsigned status, double seconds);
void metrics_render(struct strbuf *out);

#endif
