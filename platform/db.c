/*
 * The connection pool, reconnection, the schema and the statements; see
 * db.h.
 */
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_RETRY 1          /* a statement's result: try again on a new connection */
#define ATTEMPTS 4          /* for statements; readiness tries twice */
#define SLOT_WAIT_MS 10000   /* without a budget */
#define GRACE_MS 500         /* past statement_timeout: the server's own error comes first */

/*
 * One simple query, so one transaction; the advisory lock (any key, this
 * one is "obsd") keeps instances starting together from racing on
 * CREATE ... IF NOT EXISTS.
 */
static const char schema_sql[] =
	"SELECT pg_advisory_xact_lock(1868720996);"
	"CREATE TABLE IF NOT EXISTS observations ("
	" id text PRIMARY KEY,"
	" station text NOT NULL,"
	" kind text NOT NULL,"
	" time timestamptz NOT NULL,"
	" value double precision NOT NULL,"
	" received timestamptz NOT NULL DEFAULT now());"
	"CREATE INDEX IF NOT EXISTS observations_station_time ON observations (station, time, id);"
	"CREATE INDEX IF NOT EXISTS observations_time ON observations (time, id);";

static const char ingest_sql[] =
	"INSERT INTO observations (id, station, kind, time, value) "
	"SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::float8[]) "
	"ON CONFLICT (id) DO NOTHING";

#define ROW_COLUMNS "id, station, kind, (extract(epoch FROM time) * 1000000)::int8, value"

static const char list_sql[] =
	"SELECT " ROW_COLUMNS " FROM observations"
	" WHERE ($1::text IS NULL OR station = $1) AND ($2::text IS NULL OR kind = $2)"
	" AND ($3::timestamptz IS NULL OR time >= $3) AND ($4::timestamptz IS NULL OR time < $4)"
	" ORDER BY time, id LIMIT $5";

static const char get_sql[] = "SELECT " ROW_COLUMNS " FROM observations WHERE id = $1";

/* The window functions see every group, before LIMIT cuts the list. */
static const char stats_sql[] =
	"SELECT station, kind, count(*),"
	" (extract(epoch FROM min(time)) * 1000000)::int8,"
	" (extract(epoch FROM max(time)) * 1000000)::int8,"
	" min(value), max(value), avg(value),"
	" sum(count(*)) OVER (), count(*) OVER (),"
	" (extract(epoch FROM min(min(time)) OVER ()) * 1000000)::int8,"
	" (extract(epoch FROM max(max(time)) OVER ()) * 1000000)::int8"
	" FROM observations GROUP BY station, kind ORDER BY station, kind LIMIT $1";

static const char ready_sql[] =
	"SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'";

struct slot {
	PGconn *conn;
	int broken;           /* reconnect before the next statement */
	struct slot *next;    /* in the free list */
};

struct db {
	/* PQconnectdbParams() arguments: our defaults, the user's string, forced settings, NULL */
	const char *keywords[12], *values[12];
	char *conninfo;
	char connect_timeout[16], options[96];
	struct db_limits limits;
	struct slot *slots, *free;
	unsigned nr;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	atomic_int schema_ready;
};

/*
 * Our defaults, connect_timeout and statement_timeout (in `options`) from
 * the limits among them; the connection string may change any of them
 * (the client-side bounds stay the limits').
 */
struct db *db_open(const char *conninfo, unsigned slots, const struct db_limits *limits)
{
	static const char *const defaults[][2] = {
		{ "keepalives_idle", "10" },
		{ "keepalives_interval", "5" },
		{ "keepalives_count", "3" },
		{ "tcp_user_timeout", "15000" },
		{ "application_name", "obsd" },
	};
	struct db *db = xcalloc(1, sizeof(*db));
	size_t n = 0;

	db->limits = *limits;
	snprintf(db->connect_timeout, sizeof(db->connect_timeout), "%u",
		 (limits->connect_ms + 999) / 1000 < 2 ? 2 : (limits->connect_ms + 999) / 1000);
	snprintf(db->options, sizeof(db->options),
		 "-c statement_timeout=%u -c client_min_messages=warning", limits->statement_ms);
	for (; n < ARRAY_SIZE(defaults); n++) {
		db->keywords[n] = defaults[n][0];
		db->values[n] = defaults[n][1];
	}
	db->keywords[n] = "connect_timeout";
	db->values[n++] = db->connect_timeout;
	db->keywords[n] = "options";
	db->values[n++] = db->options;
	db->conninfo = xstrdup(conninfo);
	db->keywords[n] = "dbname";   /* expanded: the user's settings win over the defaults */
	db->values[n++] = db->conninfo;
	db->keywords[n] = "client_encoding";
	db->values[n++] = "UTF8";
	db->nr = slots ? slots : 1;
	db->slots = xcalloc(db->nr, sizeof(*db->slots));
	for (unsigned i = 0; i < db->nr; i++) {
		db->slots[i].next = db->free;
		db->free = &db->slots[i];
	}
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (unsigned i = 0; i < db->nr; i++)
		if (db->slots[i].conn)
			PQfinish(db->slots[i].conn);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->freed);
	free(db->slots);
	free(db->conninfo);
	free(db);
}

/* ---- time ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When a call that starts now must have given up (monotonic ms). */
static int64_t call_deadline(const struct db *db)
{
	return now_ms() + (db->limits.budget_ms ? db->limits.budget_ms : SLOT_WAIT_MS);
}

static struct slot *slot_get(struct db *db, int64_t deadline)
{
	struct timespec until;
	int64_t left = deadline - now_ms();
	struct slot *s;

	clock_gettime(CLOCK_REALTIME, &until);
	if (left < 0)
		left = 0;
	until.tv_sec += left / 1000;
	until.tv_nsec += left % 1000 * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&db->lock);
	while (!db->free)
		if (pthread_cond_timedwait(&db->freed, &db->lock, &until) == ETIMEDOUT)
			break;
	s = db->free;
	if (s)
		db->free = s->next;
	pthread_mutex_unlock(&db->lock);
	return s;
}

static void slot_put(struct db *db, struct slot *s)
{
	pthread_mutex_lock(&db->lock);
	s->next = db->free;
	db->free = s;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

/* libpq's message on one line, redacted; a notice is a warning, the rest errors. */
static void log_pq_error(const char *event, const char *message, const char *sqlstate)
{
	struct strbuf line, msg = STRBUF_INIT;

	strbuf_addstr(&msg, message ? message : "unknown error");
	strbuf_rtrim(&msg);
	for (char *p = msg.buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	log_begin(&line, strcmp(event, "db_notice") ? "error" : "warn", event);
	if (sqlstate)
		log_str(&line, "sqlstate", sqlstate);
	log_str(&line, "error", msg.buf);
	log_end(&line);
	strbuf_release(&msg);
}

static int read_only(PGconn *conn)
{
	const char *standby = PQparameterStatus(conn, "in_hot_standby");
	const char *ro = PQparameterStatus(conn, "default_transaction_read_only");

	return (standby && !strcmp(standby, "on")) || (ro && !strcmp(ro, "on"));
}

static void log_connected(PGconn *conn)
{
	struct strbuf line;

	log_begin(&line, "info", "db_connected");
	log_str(&line, "host", PQhost(conn));
	log_str(&line, "port", PQport(conn));
	log_str(&line, "dbname", PQdb(conn));
	log_str(&line, "user", PQuser(conn));
	log_int(&line, "server_version", PQserverVersion(conn));
	log_str(&line, "read_only", read_only(conn) ? "true" : "false");
	log_end(&line);
}

/*
 * One call to the server, bounded: in flight on `conn` until `deadline`
 * (monotonic ms). A server that stopped answering (frozen, cut off) is
 * not waited for past it: the call ends with timed_out set, and the
 * connection, now in the middle of a statement, must be dropped.
 */
struct call {
	struct db *db;
	PGconn *conn;
	int64_t deadline;
	int timed_out;
};

/* 1 when the socket is ready for `events`, 0 at `until`, -1 on error. */
static int wait_io(PGconn *conn, short events, int64_t until)
{
	struct pollfd p = { .fd = PQsocket(conn), .events = events };

	for (;;) {
		int64_t left = until - now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * Send, then read every result; the last one is returned (a failed
 * statement's error is the last one a query string gives). nparams < 0:
 * `sql` is a simple query (several statements, no parameters). NULL when
 * the connection broke or the time ran out (c->timed_out).
 */
static PGresult *call_exec(struct call *c, const char *sql, int nparams,
			   const char *const *params, const int *lengths, const int *formats)
{
	int64_t until = now_ms() + c->db->limits.statement_ms + GRACE_MS;
	PGresult *last = NULL, *r;
	int f, w;

	if (until > c->deadline)
		until = c->deadline;
	if (PQsetnonblocking(c->conn, 1) < 0 ||
	    !(nparams < 0 ? PQsendQuery(c->conn, sql) :
	      PQsendQueryParams(c->conn, sql, nparams, NULL, params, lengths, formats, 0)))
		return NULL;
	while ((f = PQflush(c->conn)) > 0) {
		w = wait_io(c->conn, POLLOUT | POLLIN, until);
		if (w <= 0 || !PQconsumeInput(c->conn)) {
			c->timed_out = !w;
			return NULL;
		}
	}
	if (f < 0)
		return NULL;
	for (;;) {
		while (!PQisBusy(c->conn)) {
			if (!(r = PQgetResult(c->conn)))
				return last;
			PQclear(last);
			last = r;
		}
		if ((w = wait_io(c->conn, POLLIN, until)) <= 0 || !PQconsumeInput(c->conn)) {
			c->timed_out = !w;
			PQclear(last);
			return NULL;
		}
	}
}

/* Create the table and indexes, once per process, when connected to a primary. */
static void ensure_schema(struct call *c)
{
	PGresult *r;

	if (atomic_load(&c->db->schema_ready))
		return;
	if (read_only(c->conn)) {
		log_msg("info", "schema_skipped", "connected to a read-only server");
		return;
	}
	r = call_exec(c, schema_sql, -1, NULL, NULL, NULL);
	if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK) {
		if (!atomic_exchange(&c->db->schema_ready, 1))
			log_msg("info", "schema_ready", "table 'observations' is there");
	} else {
		log_pq_error("schema_failed", r ? PQresultErrorMessage(r) : c->timed_out ?
			     "no answer in time" : PQerrorMessage(c->conn),
			     PQresultErrorField(r, PG_DIAG_SQLSTATE));
	}
	PQclear(r);
}

/* The server's notices and warnings go to the log as events, not raw to stderr. */
static void on_notice(void *arg, const char *message)
{
	log_pq_error("db_notice", message, NULL);
}

static void slot_drop(struct slot *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
}

/*
 * A connection for the slot: the one it has if it is sound, else a new
 * one. A broken one is dropped, never reset: it may be in the middle of a
 * statement a server never answered. libpq bounds the connecting by
 * connect_timeout per server in the list.
 */
static int slot_connect(struct db *db, struct slot *s, int64_t deadline)
{
	struct call c = { .db = db, .deadline = deadline };

	if (s->conn && !s->broken && PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	slot_drop(s);
	s->conn = PQconnectdbParams(db->keywords, db->values, 1);
	if (!s->conn)
		die("out of memory");
	PQsetNoticeProcessor(s->conn, on_notice, NULL);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		s->broken = 1;
		metrics_count(C_DB_CONNECT_FAILURES, 1);
		log_pq_error("db_connect_failed", PQerrorMessage(s->conn), NULL);
		return -1;
	}
	s->broken = 0;
	metrics_count(C_DB_CONNECTS, 1);
	log_connected(s->conn);
	c.conn = s->conn;
	ensure_schema(&c);
	if (c.timed_out) {
		/* the connection is in the middle of the schema statements */
		s->broken = 1;
		return -1;
	}
	return 0;
}

/*
 * Whether a failed statement is worth another attempt on a new
 * connection. A statement the server cancelled for taking too long
 * (57014) is not: the next would take as long; the database is
 * unavailable for now.
 */
static int failed(struct call *c, PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	metrics_count(C_DB_ERRORS, 1);
	if (c->timed_out) {
		log_msg("error", "db_timeout", "the database server did not answer in time; "
			"the connection is dropped");
		return DB_RETRY;
	}
	log_pq_error("db_error", r ? PQresultErrorMessage(r) : PQerrorMessage(c->conn), state);
	if (PQstatus(c->conn) != CONNECTION_OK || !state)
		return DB_RETRY;
	if (!strcmp(state, "57014"))
		return DB_UNAVAILABLE;
	if (!strncmp(state, "08", 2) ||      /* connection exception */
	    !strncmp(state, "57P", 3) ||     /* the server shut down, is starting */
	    !strcmp(state, "25006") ||       /* read-only: a replica, or a demoted primary */
	    !strcmp(state, "40001") ||       /* serialization failure */
	    !strcmp(state, "40P01"))         /* deadlock: batches with the same ids */
		return DB_RETRY;
	return DB_ERROR;
}

static void backoff(int attempt)
{
	static const long ms[] = { 0, 0, 200, 1000 };
	struct timespec ts;

	if ((size_t)attempt >= ARRAY_SIZE(ms) || !ms[attempt])
		return;
	ts.tv_sec = ms[attempt] / 1000;
	ts.tv_nsec = ms[attempt] % 1000 * 1000000;
	nanosleep(&ts, NULL);
}

/*
 * Whether another attempt fits in what is left before the deadline: a
 * new connection needs connect_timeout, a statement at least a little.
 */
static int attempt_fits(const struct db *db, const struct slot *s, int64_t deadline)
{
	int64_t need = 100;

	if (!s->conn || s->broken)
		need += db->limits.connect_ms;
	return deadline - now_ms() >= need;
}

typedef int (*statement_fn)(struct call *c, void *arg);

/*
 * Run `fn` on a slot's connection, reconnecting and trying again when it
 * says so, while the budget lasts.
 */
static enum db_result run(struct db *db, int attempts, statement_fn fn, void *arg)
{
	int64_t deadline = call_deadline(db);
	struct slot *s = slot_get(db, deadline);
	int res = DB_UNAVAILABLE;

	if (!s) {
		log_msg("error", "db_busy", "no database connection was free in time");
		return DB_UNAVAILABLE;
	}
	for (int i = 0; i < attempts; i++) {
		struct call c = { .db = db, .deadline = deadline };

		if (i) {
			metrics_count(C_DB_RETRIES, 1);
			backoff(i);
		}
		if (i && !attempt_fits(db, s, deadline)) {
			log_msg("error", "db_gave_up", "no attempt on the database fits in what "
				"is left of the request's time");
			break;
		}
		if (slot_connect(db, s, deadline) < 0) {
			res = DB_UNAVAILABLE;
			continue;
		}
		c.conn = s->conn;
		res = fn(&c, arg);
		if (res != DB_RETRY)
			break;
		s->broken = 1;
		res = DB_UNAVAILABLE;
	}
	if (s->broken)
		slot_drop(s);
	slot_put(db, s);
	return (enum db_result)res;
}

void db_warm_up(struct db *db)
{
	int64_t deadline = call_deadline(db);
	struct slot *s = slot_get(db, deadline);

	if (!s)
		return;
	slot_connect(db, s, deadline);
	slot_put(db, s);
}

struct ready_arg {
	int read_only;
};

static int ready_fn(struct call *c, void *arg)
{
	struct ready_arg *a = arg;
	PGresult *r = call_exec(c, ready_sql, 0, NULL, NULL, NULL);
	int res;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		res = failed(c, r);
		PQclear(r);
		return res;
	}
	a->read_only = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	/* on a read-only server, look again: the list may hold a new primary */
	if (a->read_only)
		return DB_RETRY;
	ensure_schema(c);
	return DB_OK;
}

enum db_result db_ready(struct db *db, const char **why)
{
	struct ready_arg a = { 0 };
	enum db_result res = run(db, 2, ready_fn, &a);

	*why = NULL;
	if (res == DB_OK && atomic_load(&db->schema_ready))
		return DB_OK;
	if (res == DB_OK)
		*why = "the database schema is not there";
	else if (a.read_only)
		*why = "the database server is read-only";
	else
		*why = "the database cannot be reached";
	return res == DB_ERROR ? DB_ERROR : DB_UNAVAILABLE;
}

/*
 * The batch goes as five one-dimensional arrays in PostgreSQL's binary
 * format, one per column, to unnest(): no text for the server to parse.
 * An array is: ndim, has-nulls flag, element type, then per dimension its
 * length and lower bound; then each element as its length and its bytes,
 * all integers big-endian.
 */
#define OID_TEXT 25
#define OID_FLOAT8 701
#define OID_TIMESTAMPTZ 1184

/* 2000-01-01T00:00:00Z, PostgreSQL's epoch, in microseconds since 1970's. */
#define PG_EPOCH_US (946684800LL * 1000000)

static void put32(struct strbuf *a, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	strbuf_add(a, b, sizeof(b));
}

static void put64(struct strbuf *a, uint64_t v)
{
	put32(a, (uint32_t)(v >> 32));
	put32(a, (uint32_t)v);
}

static void array_begin(struct strbuf *a, uint32_t oid, size_t n)
{
	put32(a, 1);
	put32(a, 0);
	put32(a, oid);
	put32(a, (uint32_t)n);
	put32(a, 1);
}

static void array_add_text(struct strbuf *a, const char *s)
{
	size_t len = strlen(s);

	put32(a, (uint32_t)len);
	strbuf_add(a, s, len);
}

static void array_add_int64(struct strbuf *a, uint64_t v)
{
	put32(a, 8);
	put64(a, v);
}

enum { A_ID, A_STATION, A_KIND, A_TIME, A_VALUE, A__NR };

static const uint32_t array_oids[A__NR] = {
	OID_TEXT, OID_TEXT, OID_TEXT, OID_TIMESTAMPTZ, OID_FLOAT8,
};

struct ingest_arg {
	struct strbuf arrays[A__NR];
	uint64_t added;
};

static void build_arrays(struct ingest_arg *a, const struct obs_batch *b)
{
	for (int i = 0; i < A__NR; i++) {
		strbuf_init(&a->arrays[i], 20 + b->nr * (i < A_TIME ? 16 : 12));
		array_begin(&a->arrays[i], array_oids[i], b->nr);
	}
	for (size_t i = 0; i < b->nr; i++) {
		const struct obs *o = &b->rows[i];
		uint64_t bits;

		array_add_text(&a->arrays[A_ID], o->id);
		array_add_text(&a->arrays[A_STATION], o->station);
		array_add_text(&a->arrays[A_KIND], o->kind);
		array_add_int64(&a->arrays[A_TIME], (uint64_t)(o->time - PG_EPOCH_US));
		memcpy(&bits, &o->value, sizeof(bits));
		array_add_int64(&a->arrays[A_VALUE], bits);
	}
}

static int ingest_fn(struct call *c, void *arg)
{
	struct ingest_arg *a = arg;
	const char *params[A__NR];
	int lengths[A__NR], formats[A__NR];
	PGresult *r;
	int res = DB_OK;

	for (int i = 0; i < A__NR; i++) {
		params[i] = a->arrays[i].buf;
		lengths[i] = (int)a->arrays[i].len;
		formats[i] = 1;
	}
	r = call_exec(c, ingest_sql, A__NR, params, lengths, formats);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		a->added = strtoull(PQcmdTuples(r), NULL, 10);
	else
		res = failed(c, r);
	PQclear(r);
	return res;
}

enum db_result db_ingest(struct db *db, const struct obs_batch *b, uint64_t *added)
{
	struct ingest_arg a = { .added = 0 };
	enum db_result res;

	*added = 0;
	if (!b->nr)
		return DB_OK;
	build_arrays(&a, b);
	res = run(db, ATTEMPTS, ingest_fn, &a);
	for (int i = 0; i < A__NR; i++)
		strbuf_release(&a.arrays[i]);
	*added = a.added;
	return res;
}

struct query_arg {
	const char *sql;
	int nparams;
	const char *params[5];
	PGresult *result;
};

static int query_fn(struct call *c, void *arg)
{
	struct query_arg *a = arg;
	PGresult *r = call_exec(c, a->sql, a->nparams, a->params, NULL, NULL);
	int res;

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		a->result = r;
		return DB_OK;
	}
	res = failed(c, r);
	PQclear(r);
	return res;
}

static enum db_result query(struct db *db, struct query_arg *a, PGresult **out)
{
	enum db_result res = run(db, ATTEMPTS, query_fn, a);

	*out = a->result;
	return res;
}

enum db_result db_list(struct db *db, const struct obs_query *q, PGresult **out)
{
	char from[OBS_TIME_BUFSIZE], to[OBS_TIME_BUFSIZE], limit[24];
	struct query_arg a = { .sql = list_sql, .nparams = 5 };

	if (q->has_from)
		obs_format_time(from, q->from);
	if (q->has_to)
		obs_format_time(to, q->to);
	snprintf(limit, sizeof(limit), "%ld", q->limit);
	a.params[0] = q->station;
	a.params[1] = q->kind;
	a.params[2] = q->has_from ? from : NULL;
	a.params[3] = q->has_to ? to : NULL;
	a.params[4] = limit;
	return query(db, &a, out);
}

enum db_result db_get(struct db *db, const char *id, PGresult **out)
{
	struct query_arg a = { .sql = get_sql, .nparams = 1, .params = { id } };

	return query(db, &a, out);
}

enum db_result db_stats(struct db *db, long max_series, PGresult **out)
{
	char limit[24];
	struct query_arg a = { .sql = stats_sql, .nparams = 1, .params = { limit } };

	snprintf(limit, sizeof(limit), "%ld", max_series);
	return query(db, &a, out);
}
