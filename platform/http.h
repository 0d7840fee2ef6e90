/*
 * obsd's HTTP layer on libmicrohttpd, a thread per connection: a request
 * waiting on the database holds its own thread only, so /healthz (which
 * never touches the database) answers while database calls are stuck,
 * and the supervisor does not restart a sound process for its database's
 * sake. The database pool bounds how many wait there. One struct
 * request per request, created when its headers are in, holding the body
 * as it arrives, answered once, then counted in the metrics, logged and
 * freed when libmicrohttpd says the request is complete.
 *
 * http.c is the glue to libmicrohttpd; api.c holds the routes and the
 * handlers, which answer with the respond_*() functions.
 */
#ifndef PLATFORM_HTTP_H
#define PLATFORM_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <time.h>

#include "metrics.h"
#include "strbuf.h"

/* The largest body accepted by default (--max-body): 50,000 rows of long fields fit. */
#define BODY_MAX_DEFAULT ((size_t)32 << 20)

struct db;

struct app {
	struct db *db;
	const char *region;   /* --region: named in /healthz and X-Obsd-Region, or NULL */
	size_t max_body;      /* --max-body: 413 above it */
};

struct endpoint;

struct request {
	struct app *app;
	struct MHD_Connection *conn;
	char *method, *path;            /* the path without the query, percent-decoded */
	const struct endpoint *endpoint; /* NULL: no route */
	enum route route;
	struct timespec start;
	struct strbuf body;
	int wants_body, body_too_large;
	int responded;
	unsigned status;
	const char *header, *header_value;  /* one extra response header (Allow, Retry-After) */
};

/*
 * Answer the request. respond() takes `body` (malloc()ed, may be NULL when
 * `len` is 0), respond_strbuf() the strbuf's contents, respond_json() the
 * reference to `doc`. They return what the access handler returns.
 */
enum MHD_Result respond(struct request *r, unsigned status, const char *type, char *body,
			size_t len);
enum MHD_Result respond_strbuf(struct request *r, unsigned status, const char *type,
			       struct strbuf *sb);
enum MHD_Result respond_json(struct request *r, unsigned status, json_t *doc);
/* {"error": "message"} */
enum MHD_Result respond_error(struct request *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Seconds on the monotonic clock since `start`. */
double seconds_since(const struct timespec *start);

/* A query argument or a request header, NULL if absent. */
const char *request_arg(const struct request *r, const char *name);
const char *request_header(const struct request *r, const char *name);

/* Serve on the listening socket `fd`, a thread per connection; NULL on failure. */
struct MHD_Daemon *http_start(struct app *app, int fd);

/* api.c: choose the route once the headers are in; may answer at once (413). */
void api_begin(struct request *r);
/* api.c: answer, once the whole body is in. */
enum MHD_Result api_handle(struct request *r);

#endif
