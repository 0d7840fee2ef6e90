/*
 * The glue to libmicrohttpd; see http.h.
 */
#include "http.h"
#include "log.h"
#include "xalloc.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

enum MHD_Result respond(struct request *r, unsigned status, const char *type, char *body,
			size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	if (len)
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!len)
		free(body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->header)
		MHD_add_response_header(resp, r->header, r->header_value);
	/* which region answered: what a failover test or drill looks at */
	if (r->app->region)
		MHD_add_response_header(resp, "X-Obsd-Region", r->app->region);
	ok = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	r->responded = 1;
	return ok;
}

enum MHD_Result respond_strbuf(struct request *r, unsigned status, const char *type,
			       struct strbuf *sb)
{
	size_t len;
	char *body = strbuf_detach(sb, &len);

	return respond(r, status, type, body, len);
}

enum MHD_Result respond_json(struct request *r, unsigned status, json_t *doc)
{
	struct strbuf sb = STRBUF_INIT;
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (!text)
		return respond_error(r, 500, "cannot encode the response");
	strbuf_addstr(&sb, text);
	strbuf_addch(&sb, '\n');
	free(text);
	return respond_strbuf(r, status, "application/json", &sb);
}

enum MHD_Result respond_error(struct request *r, unsigned status, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT, sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_addstr(&sb, "{\"error\":");
	strbuf_add_quoted(&sb, msg.buf);
	strbuf_addstr(&sb, "}\n");
	strbuf_release(&msg);
	return respond_strbuf(r, status, "application/json", &sb);
}

const char *request_arg(const struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *request_header(const struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static struct request *request_new(struct app *app, struct MHD_Connection *conn, const char *url,
				   const char *method)
{
	struct request *r = xcalloc(1, sizeof(*r));

	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->app = app;
	r->conn = conn;
	r->method = xstrdup(method);
	r->path = xstrdup(url);
	r->route = ROUTE_UNMATCHED;
	strbuf_init(&r->body, 0);
	return r;
}

static void request_free(struct request *r)
{
	strbuf_release(&r->body);
	free(r->method);
	free(r->path);
	free(r);
}

static void take_body(struct request *r, const char *data, size_t len)
{
	if (!r->wants_body || r->body_too_large)
		return;
	if (len > r->app->max_body - r->body.len) {
		r->body_too_large = 1;
		strbuf_release(&r->body);
		return;
	}
	strbuf_add(&r->body, data, len);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct request *r = *con_cls;

	if (!r) {
		*con_cls = r = request_new(cls, conn, url, method);
		api_begin(r);
		return MHD_YES;
	}
	if (*upload_size) {
		take_body(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->responded)
		return MHD_YES;
	return api_handle(r);
}

static void client_address(struct MHD_Connection *conn, char *host, size_t len)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	socklen_t salen = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			  sizeof(struct sockaddr_in);

	if (!sa || getnameinfo(sa, salen, host, (socklen_t)len, NULL, 0, NI_NUMERICHOST))
		snprintf(host, len, "unknown");
}

/* Probes and scrapes that went well are not worth a line each. */
static int quiet(const struct request *r)
{
	return r->status < 400 &&
	       (r->route == ROUTE_HEALTHZ || r->route == ROUTE_READYZ || r->route == ROUTE_METRICS);
}

static void log_request(const struct request *r, double seconds)
{
	struct strbuf line;
	char host[NI_MAXHOST];

	client_address(r->conn, host, sizeof(host));
	log_begin(&line, r->status >= 500 ? "error" : "info", "request");
	log_str(&line, "method", r->method);
	log_str(&line, "path", r->path);
	log_str(&line, "route", route_name(r->route));
	log_int(&line, "status", r->status);
	log_ms(&line, "ms", seconds);
	log_str(&line, "remote", host);
	log_end(&line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;
	double seconds;

	if (!r)
		return;
	seconds = seconds_since(&r->start);
	if (r->responded)
		metrics_request(r->route, r->status, seconds);
	if (!r->responded || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_msg("warn", "request_aborted", "%s %s: the connection ended before the response",
			r->method, r->path);
	else if (!quiet(r))
		log_request(r, seconds);
	request_free(r);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct strbuf msg = STRBUF_INIT, line;

	strbuf_vaddf(&msg, fmt, ap);
	strbuf_rtrim(&msg);
	log_begin(&line, "warn", "http");
	log_str(&line, "msg", msg.buf);
	log_end(&line);
	strbuf_release(&msg);
}

struct MHD_Daemon *http_start(struct app *app, int fd)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, app,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,  /* first: all */
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
				MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				MHD_OPTION_CONNECTION_LIMIT, 1000u,
				MHD_OPTION_END);
}
