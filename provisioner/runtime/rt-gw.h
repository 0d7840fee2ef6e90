/*
 * The local runtime's gateway: one nginx per environment (a master and
 * its workers, in the foreground under our supervisor) that terminates
 * TLS with a certificate from the environment's CA, authenticates
 * (HTTP basic from an htpasswd file, or a bearer token), rate-limits per
 * client address, and routes path prefixes to upstreams: the api
 * replicas of the primary region, with the secondary region's replicas
 * as backup servers, so nginx fails over when the primary region is
 * unreachable.
 *
 * Everything nginx writes (pid file, logs, temp files) is below
 * prefix_dir; nothing goes to /var/log/nginx, /run or /var/lib/nginx,
 * and nothing here needs root. Secrets never appear in nginx.conf: the
 * htpasswd file and the bearer include file hold them, and the access
 * log records neither the Authorization header nor the query string.
 *
 * Nothing here prints; errors go to the caller's strbuf.
 */
#ifndef PROVISIONER_RT_GW_H
#define PROVISIONER_RT_GW_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

struct gw_server {
	char *addr;          /* an IPv4 or IPv6 address (no brackets) or a host name */
	int port;
	int backup;          /* used only when every non-backup server is down */
};

struct gw_upstream {
	char *name;          /* [A-Za-z0-9_-]+, unique; also what $upstream_addr groups by */
	struct gw_server *servers;
	size_t nr_servers;
};

/*
 * A path prefix routed to an upstream (by name). Prefixes match path
 * element by element, as a Kubernetes "Prefix" path does: "/v1" and
 * "/v1/" both match "/v1" and "/v1/anything", never "/v1x". The request
 * URI is passed on unchanged (the prefix is not stripped).
 */
struct gw_route {
	char *prefix;
	char *upstream;
	/*
	 * The routed service's own limits (the model's request_timeout and
	 * max_body; 0: nginx's defaults): how long nginx waits for it (read
	 * and send, and for trying another server), and the largest body it
	 * passes on (413 above it, before anything reaches the service).
	 */
	uint64_t timeout_ms;
	uint64_t max_body;
};

/* Owns every string and array it points at; gw_conf_release() frees them. */
struct gw_conf {
	char *listen_addr;
	int port;
	int tls;
	char *cert_file, *key_file;
	int auth;                   /* enum auth_kind */
	/* shown in WWW-Authenticate; characters outside [A-Za-z0-9 ._:@/-] become '_' */
	char *realm;
	char *htpasswd_file;        /* AUTH_BASIC: read by the workers, so readable by `user` */
	char *bearer_file;          /* AUTH_BEARER: from gw_write_bearer_file, read by the master */
	uint64_t rate_rpm;          /* requests per minute per client address; 0: no limit */
	int64_t burst;
	int workers;                /* < 1 is taken as 1 */
	char *user;                 /* worker user when started as root ("nobody"), or NULL */
	char *prefix_dir;           /* absolute; nginx -p: pid file, temp dirs, logs below it */
	struct gw_upstream *upstreams;
	size_t nr_upstreams;
	struct gw_route *routes;
	size_t nr_routes;
};

/*
 * Connections per worker (slow clients hold thousands), and requests in
 * progress per client address (limit_conn; 429 past it).
 */
#define GW_WORKER_CONNECTIONS 8192
#define GW_CONN_PER_CLIENT 64

/* Files below prefix_dir, as nginx.conf names them. */
#define GW_PID_FILE "nginx.pid"
#define GW_ERROR_LOG "logs/error.log"
#define GW_ACCESS_LOG "logs/access.log"

/* The path for the health check: answered 200 by the gateway itself, no auth, no rate limit. */
#define GW_HEALTH_PATH "/healthz"

/*
 * Path of nginx, or NULL with err
 * "nginx is not installed (Debian package 'nginx-light' or 'nginx')".
 */
char *gw_find_nginx(struct strbuf *err);

/*
 * Render nginx.conf into out. Deterministic: the same conf gives the
 * same bytes (on one machine: the worker user's group is looked up).
 * It does not validate; gw_write_conf does.
 */
void gw_render_conf(const struct gw_conf *c, struct strbuf *out);

/*
 * Check the conf (addresses, names, paths nginx would misread, routes
 * naming unknown upstreams), make prefix_dir and the log and temp
 * directories below it, and write nginx.conf to path atomically, mode
 * 0644. 0, or -1 with err set.
 */
int gw_write_conf(const struct gw_conf *c, const char *path, struct strbuf *err);

/*
 * Write the bearer include file (mode 0600, atomically): a map body
 * that gives 1 for "Authorization: Bearer <token>" (the scheme in any
 * case, the token exactly), else 0. The token never appears in
 * nginx.conf itself, only in this file. It must be an RFC 6750 token
 * (letters, digits and -._~+/, then any '='); -1 with err otherwise.
 */
int gw_write_bearer_file(const char *path, const char *token, struct strbuf *err);

/*
 * argv to run nginx in the foreground:
 * {nginx, "-p", prefix_dir, "-c", conf_path, "-e", <prefix_dir>/logs/error.log, NULL}
 * (-e so nginx does not open its compiled-in error log before reading
 * the config). Free with strv_free().
 */
char **gw_argv(const char *nginx, const struct gw_conf *c, const char *conf_path);

/* Run `nginx -t` on the file: 0, or -1 with nginx's message in err. */
int gw_check_conf(const char *nginx, const struct gw_conf *c, const char *conf_path,
		  struct strbuf *err);

void gw_conf_release(struct gw_conf *c);

#endif
