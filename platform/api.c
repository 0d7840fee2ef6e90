/*
 * The routes and their handlers: the observatory's HTTP API.
 *
 *   GET  /healthz                    the process is alive
 *   GET  /readyz                     the database is reachable and writable
 *   GET  /metrics                    Prometheus text exposition
 *   POST /v1/observations            store a batch (JSON array or CSV)
 *   GET  /v1/observations            query by station, kind, time range
 *   GET  /v1/observations/{id}       one observation
 *   GET  /v1/stats                   counts and ranges per station and kind
 *
 * Every answer but /metrics is JSON; errors are {"error": "..."}.
 */
#include "batch.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "obs.h"
#include "xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIST_DEFAULT 100
#define LIST_MAX 10000
#define STATS_MAX_SERIES 10000

typedef enum MHD_Result (*handler_fn)(struct request *r, const char *name);

struct endpoint {
	const char *method;   /* GET answers HEAD too */
	const char *path;     /* ending in '/': followed by a non-empty name */
	enum route route;
	handler_fn handle;
};

static enum MHD_Result healthz(struct request *r, const char *name);
static enum MHD_Result readyz(struct request *r, const char *name);
static enum MHD_Result metrics(struct request *r, const char *name);
static enum MHD_Result ingest(struct request *r, const char *name);
static enum MHD_Result list(struct request *r, const char *name);
static enum MHD_Result get_one(struct request *r, const char *name);
static enum MHD_Result stats(struct request *r, const char *name);

static const struct endpoint endpoints[] = {
	{ "GET", "/healthz", ROUTE_HEALTHZ, healthz },
	{ "GET", "/readyz", ROUTE_READYZ, readyz },
	{ "GET", "/metrics", ROUTE_METRICS, metrics },
	{ "POST", "/v1/observations", ROUTE_INGEST, ingest },
	{ "GET", "/v1/observations", ROUTE_LIST, list },
	{ "GET", "/v1/observations/", ROUTE_GET, get_one },
	{ "GET", "/v1/stats", ROUTE_STATS, stats },
};

static int path_matches(const struct endpoint *e, const char *path)
{
	size_t len = strlen(e->path);

	if (e->path[len - 1] != '/')
		return !strcmp(path, e->path);
	return !strncmp(path, e->path, len) && path[len];
}

static int method_matches(const struct endpoint *e, const char *method)
{
	return !strcmp(method, e->method) || (!strcmp(method, "HEAD") && !strcmp(e->method, "GET"));
}

/* The endpoint for the request; else *allow lists the methods the path has, if any. */
static const struct endpoint *find_endpoint(const struct request *r, const char **allow)
{
	int get = 0, post = 0;

	for (size_t i = 0; i < ARRAY_SIZE(endpoints); i++) {
		if (!path_matches(&endpoints[i], r->path))
			continue;
		if (method_matches(&endpoints[i], r->method))
			return &endpoints[i];
		get |= !strcmp(endpoints[i].method, "GET");
		post |= !strcmp(endpoints[i].method, "POST");
	}
	*allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : post ? "POST" : NULL;
	return NULL;
}

void api_begin(struct request *r)
{
	const char *allow, *length;
	unsigned long long n;
	char *end;

	r->endpoint = find_endpoint(r, &allow);
	if (!r->endpoint)
		return;
	r->route = r->endpoint->route;
	r->wants_body = r->route == ROUTE_INGEST;
	length = request_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!r->wants_body || !length)
		return;
	errno = 0;
	n = strtoull(length, &end, 10);
	if (!errno && !*end && n <= r->app->max_body)
		return;
	/* answered before the body is read; libmicrohttpd then closes the connection */
	respond_error(r, 413, "the body is larger than %zu bytes", r->app->max_body);
}

enum MHD_Result api_handle(struct request *r)
{
	const char *allow = NULL;

	if (r->endpoint)
		return r->endpoint->handle(r, r->path + strlen(r->endpoint->path));
	find_endpoint(r, &allow);
	if (allow) {
		r->header = MHD_HTTP_HEADER_ALLOW;
		r->header_value = allow;
		return respond_error(r, 405, "method '%s' is not allowed here (allowed: %s)",
				     r->method, allow);
	}
	return respond_error(r, 404, "no such resource");
}

static enum MHD_Result respond_static(struct request *r, unsigned status, const char *json)
{
	return respond(r, status, "application/json", xstrdup(json), strlen(json));
}

static enum MHD_Result healthz(struct request *r, const char *name)
{
	json_t *doc;

	if (!r->app->region)
		return respond_static(r, 200, "{\"status\":\"ok\"}\n");
	doc = json_pack("{s:s, s:s}", "status", "ok", "region", r->app->region);
	return respond_json(r, 200, doc);
}

static enum MHD_Result readyz(struct request *r, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *why;

	if (db_ready(r->app->db, &why) == DB_OK)
		return respond_static(r, 200, "{\"status\":\"ready\"}\n");
	strbuf_addstr(&sb, "{\"status\":\"unavailable\",\"reason\":");
	strbuf_add_quoted(&sb, why);
	strbuf_addstr(&sb, "}\n");
	r->header = MHD_HTTP_HEADER_RETRY_AFTER;
	r->header_value = "1";
	return respond_strbuf(r, 503, "application/json", &sb);
}

static enum MHD_Result metrics(struct request *r, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	metrics_render(&sb);
	return respond_strbuf(r, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
}

/* --- POST /v1/observations ------------------------------------------------ */

enum body_format { FORMAT_UNKNOWN, FORMAT_JSON, FORMAT_CSV };

static enum body_format body_format(const char *type)
{
	size_t len;

	if (!type)
		return FORMAT_UNKNOWN;
	type += strspn(type, " \t");
	len = strcspn(type, "; \t");
	if (len == strlen("application/json") && !strncasecmp(type, "application/json", len))
		return FORMAT_JSON;
	if (len == strlen("text/csv") && !strncasecmp(type, "text/csv", len))
		return FORMAT_CSV;
	return FORMAT_UNKNOWN;
}

/* 400, naming each invalid row and why. */
static enum MHD_Result reject(struct request *r, const struct obs_batch *b)
{
	json_t *doc, *rows = json_array(), *errors = json_array();
	size_t last = 0;

	for (size_t i = 0; i < b->errors_nr; i++) {
		const struct obs_error *e = &b->errors[i];

		if (e->row != last)
			json_array_append_new(rows, json_integer((json_int_t)e->row));
		last = e->row;
		json_array_append_new(errors, json_pack("{s:I, s:s?, s:s}", "row", (json_int_t)e->row,
							"field", e->field, "message", e->message));
	}
	doc = json_pack("{s:o, s:I, s:o, s:o}",
			"error", json_sprintf("%zu invalid rows; nothing was stored", b->invalid),
			"invalid", (json_int_t)b->invalid, "rows", rows, "errors", errors);
	metrics_count(C_ROWS_REJECTED, b->invalid);
	log_msg("info", "batch_rejected", "%zu invalid rows, the first in row %zu", b->invalid,
		b->errors_nr ? b->errors[0].row : 0);
	return respond_json(r, 400, doc);
}

static enum MHD_Result store(struct request *r, const struct obs_batch *b, double read_seconds)
{
	struct timespec start;
	uint64_t added = 0;
	enum db_result res;
	struct strbuf line;

	clock_gettime(CLOCK_MONOTONIC, &start);
	res = db_ingest(r->app->db, b, &added);

	if (res == DB_UNAVAILABLE) {
		r->header = MHD_HTTP_HEADER_RETRY_AFTER;
		r->header_value = "1";
		return respond_error(r, 503, "the database is unavailable; send the batch again");
	}
	if (res != DB_OK)
		return respond_error(r, 500, "the database refused the batch; nothing was stored");
	metrics_count(C_ROWS_NEW, added);
	metrics_count(C_ROWS_PRESENT, b->nr - added);
	log_begin(&line, "info", "ingested");
	log_int(&line, "rows", (long long)b->nr);
	log_int(&line, "new", (long long)added);
	log_int(&line, "present", (long long)(b->nr - added));
	log_ms(&line, "read_ms", read_seconds);
	log_ms(&line, "db_ms", seconds_since(&start));
	log_end(&line);
	return respond_json(r, 200, json_pack("{s:I, s:I, s:I}", "received", (json_int_t)b->nr,
					      "new", (json_int_t)added,
					      "present", (json_int_t)(b->nr - added)));
}

static enum MHD_Result ingest(struct request *r, const char *name)
{
	struct obs_batch b = OBS_BATCH_INIT;
	struct strbuf err = STRBUF_INIT;
	enum body_format format = body_format(request_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
	enum batch_result res;
	enum MHD_Result ret;
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (r->body_too_large)
		return respond_error(r, 413, "the body is larger than %zu bytes", r->app->max_body);
	if (format == FORMAT_UNKNOWN)
		return respond_error(r, 415, "send the batch as application/json or text/csv");
	if (format == FORMAT_JSON)
		res = batch_read_json(&b, r->body.buf, r->body.len, &err);
	else
		res = batch_read_csv(&b, r->body.buf, r->body.len, &err);
	if (res == BATCH_MALFORMED) {
		obs_utf8_sanitize(err.buf);
		ret = respond_error(r, 400, "%s; nothing was stored", err.buf);
	} else if (res == BATCH_TOO_LARGE) {
		ret = respond_error(r, 413, "a batch holds at most %d rows", OBS_MAX_ROWS);
	} else {
		ret = b.invalid ? reject(r, &b) : store(r, &b, seconds_since(&start));
	}
	obs_batch_release(&b);
	strbuf_release(&err);
	return ret;
}

/* --- queries --------------------------------------------------------------- */

/* A number PostgreSQL printed, or null if JSON cannot hold it (NaN, Infinity). */
static void add_number(struct strbuf *sb, const char *text)
{
	char *end;
	double v = strtod(text, &end);

	if (*text && !*end && isfinite(v) && strspn(text, "0123456789+-.e") == strlen(text))
		strbuf_addstr(sb, text);
	else
		strbuf_addstr(sb, "null");
}

/* A time PostgreSQL gave as microseconds since the epoch; "" is null. */
static void add_time(struct strbuf *sb, const char *micros)
{
	char buf[OBS_TIME_BUFSIZE];

	if (!*micros) {
		strbuf_addstr(sb, "null");
		return;
	}
	obs_format_time(buf, strtoll(micros, NULL, 10));
	strbuf_add_quoted(sb, buf);
}

/* Row i of a result of (id, station, kind, time, value). */
static void add_observation(struct strbuf *sb, PGresult *res, int i)
{
	strbuf_addstr(sb, "{\"id\":");
	strbuf_add_quoted(sb, PQgetvalue(res, i, 0));
	strbuf_addstr(sb, ",\"station\":");
	strbuf_add_quoted(sb, PQgetvalue(res, i, 1));
	strbuf_addstr(sb, ",\"kind\":");
	strbuf_add_quoted(sb, PQgetvalue(res, i, 2));
	strbuf_addstr(sb, ",\"time\":");
	add_time(sb, PQgetvalue(res, i, 3));
	strbuf_addstr(sb, ",\"value\":");
	add_number(sb, PQgetvalue(res, i, 4));
	strbuf_addch(sb, '}');
}

static enum MHD_Result db_failed(struct request *r, enum db_result res)
{
	if (res == DB_UNAVAILABLE) {
		r->header = MHD_HTTP_HEADER_RETRY_AFTER;
		r->header_value = "1";
		return respond_error(r, 503, "the database is unavailable");
	}
	return respond_error(r, 500, "the database query failed");
}

static const char *const list_args[] = { "station", "kind", "from", "to", "limit" };

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	const char **unknown = cls;

	for (size_t i = 0; i < ARRAY_SIZE(list_args); i++)
		if (!strcmp(key, list_args[i]))
			return MHD_YES;
	*unknown = key;
	return MHD_NO;
}

static int parse_label(const struct request *r, const char *name, const char **out,
		       struct strbuf *err)
{
	const char *why;

	*out = request_arg(r, name);
	if (!*out || !(why = obs_check_text(*out, OBS_LABEL_MAX)))
		return 0;
	strbuf_addf(err, "parameter '%s' %s", name, why);
	return -1;
}

/*
 * A time from a query string. A '+' there means a space to
 * libmicrohttpd, so "+01:00" arrives as " 01:00" unless the client wrote
 * %2B; a space where the offset goes is taken for the '+' it was.
 */
static int parse_time_arg(const struct request *r, const char *name, int *has, int64_t *out,
			  struct strbuf *err)
{
	const char *v = request_arg(r, name), *why;
	char *copy;
	size_t len;
	int ret = 0;

	*has = v != NULL;
	if (!v)
		return 0;
	copy = xstrdup(v);
	len = strlen(copy);
	if (len > 6 && copy[len - 6] == ' ' && copy[len - 3] == ':')
		copy[len - 6] = '+';
	if (obs_parse_time(copy, out, &why) < 0) {
		strbuf_addf(err, "parameter '%s' is not an RFC 3339 date-time: %s", name, why);
		ret = -1;
	}
	free(copy);
	return ret;
}

static int parse_limit(const struct request *r, long *limit, struct strbuf *err)
{
	const char *v = request_arg(r, "limit");
	char *end;

	*limit = LIST_DEFAULT;
	if (!v)
		return 0;
	errno = 0;
	*limit = strtol(v, &end, 10);
	if (!errno && *v && !*end && *limit >= 1 && *limit <= LIST_MAX)
		return 0;
	strbuf_addf(err, "parameter 'limit' must be a whole number from 1 to %d", LIST_MAX);
	return -1;
}

static int parse_query(const struct request *r, struct obs_query *q, struct strbuf *err)
{
	const char *unknown = NULL;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_arg, &unknown);
	if (unknown) {
		strbuf_addf(err, "unknown parameter '%.40s' (known: station, kind, from, to, limit)",
			    unknown);
		return -1;
	}
	if (parse_label(r, "station", &q->station, err) < 0 ||
	    parse_label(r, "kind", &q->kind, err) < 0 ||
	    parse_time_arg(r, "from", &q->has_from, &q->from, err) < 0 ||
	    parse_time_arg(r, "to", &q->has_to, &q->to, err) < 0 ||
	    parse_limit(r, &q->limit, err) < 0)
		return -1;
	return 0;
}

static enum MHD_Result list(struct request *r, const char *name)
{
	struct obs_query q = { 0 };
	struct strbuf sb = STRBUF_INIT;
	enum db_result res;
	PGresult *result;
	int n;

	if (parse_query(r, &q, &sb) < 0) {
		enum MHD_Result ret;

		obs_utf8_sanitize(sb.buf);
		ret = respond_error(r, 400, "%s", sb.buf);
		strbuf_release(&sb);
		return ret;
	}
	if ((res = db_list(r->app->db, &q, &result)) != DB_OK)
		return db_failed(r, res);
	n = PQntuples(result);
	strbuf_grow(&sb, (size_t)n * 128);
	strbuf_addstr(&sb, "{\"observations\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		add_observation(&sb, result, i);
	}
	strbuf_addf(&sb, "],\"count\":%d,\"limit\":%ld}\n", n, q.limit);
	PQclear(result);
	return respond_strbuf(r, 200, "application/json", &sb);
}

static enum MHD_Result get_one(struct request *r, const char *id)
{
	struct strbuf sb = STRBUF_INIT;
	enum db_result res;
	PGresult *result;

	/* an id that could not have been stored is not there either */
	if (obs_check_text(id, OBS_ID_MAX))
		return respond_error(r, 404, "no observation has this id");
	if ((res = db_get(r->app->db, id, &result)) != DB_OK)
		return db_failed(r, res);
	if (!PQntuples(result)) {
		PQclear(result);
		return respond_error(r, 404, "no observation has this id");
	}
	add_observation(&sb, result, 0);
	strbuf_addch(&sb, '\n');
	PQclear(result);
	return respond_strbuf(r, 200, "application/json", &sb);
}

/* Row i of (station, kind, count, first, last, min, max, mean, ...). */
static void add_series(struct strbuf *sb, PGresult *res, int i)
{
	strbuf_addstr(sb, "{\"station\":");
	strbuf_add_quoted(sb, PQgetvalue(res, i, 0));
	strbuf_addstr(sb, ",\"kind\":");
	strbuf_add_quoted(sb, PQgetvalue(res, i, 1));
	strbuf_addf(sb, ",\"count\":%lld,\"first\":", strtoll(PQgetvalue(res, i, 2), NULL, 10));
	add_time(sb, PQgetvalue(res, i, 3));
	strbuf_addstr(sb, ",\"last\":");
	add_time(sb, PQgetvalue(res, i, 4));
	strbuf_addstr(sb, ",\"min\":");
	add_number(sb, PQgetvalue(res, i, 5));
	strbuf_addstr(sb, ",\"max\":");
	add_number(sb, PQgetvalue(res, i, 6));
	strbuf_addstr(sb, ",\"mean\":");
	add_number(sb, PQgetvalue(res, i, 7));
	strbuf_addch(sb, '}');
}

static enum MHD_Result stats(struct request *r, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	enum db_result res;
	PGresult *result;
	int n;

	if ((res = db_stats(r->app->db, STATS_MAX_SERIES, &result)) != DB_OK)
		return db_failed(r, res);
	n = PQntuples(result);
	strbuf_addstr(&sb, "{\"series\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		add_series(&sb, result, i);
	}
	if (n) {
		strbuf_addf(&sb, "],\"series_count\":%lld,\"total\":%lld,\"first\":",
			    strtoll(PQgetvalue(result, 0, 9), NULL, 10),
			    strtoll(PQgetvalue(result, 0, 8), NULL, 10));
		add_time(&sb, PQgetvalue(result, 0, 10));
		strbuf_addstr(&sb, ",\"last\":");
		add_time(&sb, PQgetvalue(result, 0, 11));
	} else {
		strbuf_addstr(&sb, "],\"series_count\":0,\"total\":0,\"first\":null,\"last\":null");
	}
	strbuf_addstr(&sb, "}\n");
	PQclear(result);
	return respond_strbuf(r, 200, "application/json", &sb);
}
