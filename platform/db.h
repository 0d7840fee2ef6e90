/*
 * obsd's database: a small pool of libpq connections to PostgreSQL and the
 * statements the service runs.
 *
 * The connection string may name several hosts and ask for
 * target_session_attrs=read-write: every (re)connection then goes through
 * the list again and lands on whichever server is the primary now, so the
 * service follows a promoted replica without a restart. A statement that
 * fails because the connection broke, the server shut down or turned out
 * to be read-only is tried again on a fresh connection, a bounded number
 * of times with a short back-off; the statements are idempotent, so that
 * is safe even when the first attempt's outcome is unknown.
 *
 * Connections are made lazily, one per slot, and each thread holds a slot
 * for the length of one statement. The first writable connection creates
 * the schema if it is missing; a read-only one leaves it alone.
 *
 * Every call is bounded in time (struct db_limits): a connection attempt
 * by libpq's connect_timeout (per server in the list), a statement by the
 * server's statement_timeout and, for a server that no longer answers at
 * all (frozen, partitioned), by our own wait of a little longer, after
 * which the connection is dropped. No new attempt starts after the
 * request's budget is spent, and a caller waiting for a free connection
 * waits no longer than that either.
 *
 * Problems are logged here (without secrets) and returned as a result:
 * DB_UNAVAILABLE (no writable server could be reached: try again later) or
 * DB_ERROR (the statement itself failed).
 */
#ifndef PLATFORM_DB_H
#define PLATFORM_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "obs.h"

enum db_result {
	DB_OK = 0,
	DB_UNAVAILABLE = -1,
	DB_ERROR = -2,
};

struct db;

struct db_limits {
	unsigned connect_ms;     /* libpq connect_timeout, rounded up to seconds (at least 2) */
	unsigned statement_ms;   /* the server's statement_timeout */
	unsigned budget_ms;      /* no new attempt after this long; 0: no budget */
};

/* Never fails: connections are made when first needed. */
struct db *db_open(const char *conninfo, unsigned slots, const struct db_limits *limits);
void db_close(struct db *db);

/* Connect one slot now, so start-up logs whether the database is there. */
void db_warm_up(struct db *db);

/* Reachable, writable, with the schema? Else *why says which is missing. */
enum db_result db_ready(struct db *db, const char **why);

/* Store the rows of `b` in one statement; *added: how many were new. */
enum db_result db_ingest(struct db *db, const struct obs_batch *b, uint64_t *added);

struct obs_query {
	const char *station, *kind;   /* NULL: any */
	int has_from, has_to;
	int64_t from, to;             /* from <= time < to */
	long limit;
};

/*
 * Queries. Each result's rows are (id, station, kind, time in microseconds
 * since the epoch, value) for db_list() and db_get() (no rows: no such id),
 * and for db_stats() (station, kind, count, first, last, min, max, mean,
 * then over all the series: count, number of series, first, last).
 * The caller owns *out and PQclear()s it.
 */
enum db_result db_list(struct db *db, const struct obs_query *q, PGresult **out);
enum db_result db_get(struct db *db, const char *id, PGresult **out);
enum db_result db_stats(struct db *db, long max_series, PGresult **out);

#endif
