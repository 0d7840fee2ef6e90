/*
 * The local runtime's gateway (nginx); see rt-gw.h.
 *
 * The configuration is one file, rendered from struct gw_conf alone (no
 * clock, no environment), so rendering twice gives the same bytes and
 * the file can be compared or reviewed like any other rendered output.
 * Every path nginx would otherwise take from its compiled-in defaults
 * (Debian: /run/nginx.pid, /var/log/nginx, /var/lib/nginx/<temp>) is set
 * explicitly below prefix_dir.
 */
#include "rt-gw.h"
#include "fsutil.h"
#include "model.h"
#include "run-command.h"
#include "strbuf.h"
#include "strv.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* nginx -t prints a few lines; more than this is not worth keeping */
#define CHECK_OUTPUT_MAX (64 * 1024)

/* The temp directories of every module built into Debian's nginx packages that has one. */
static const char *const temp_dirs[][2] = {
	{ "client_body_temp_path", "tmp/body" },
	{ "proxy_temp_path", "tmp/proxy" },
	{ "fastcgi_temp_path", "tmp/fastcgi" },
	{ "uwsgi_temp_path", "tmp/uwsgi" },
	{ "scgi_temp_path", "tmp/scgi" },
};

/* ---- finding nginx ---- */

char *gw_find_nginx(struct strbuf *err)
{
	/* Debian installs it in /usr/sbin, which is not on every user's PATH */
	static const char *const sbin[] = { "/usr/sbin", NULL };
	const struct program_search s = { .before = sbin };
	char *found = find_program("nginx", &s);

	if (!found)
		strbuf_addstr(err, "nginx is not installed (Debian package 'nginx-light' or 'nginx')");
	return found;
}

/* ---- rendering ---- */

/* prefix_dir + "/" + rel, without doubling a trailing slash of prefix_dir. */
static char *in_prefix(const struct gw_conf *c, const char *rel)
{
	size_t n = strlen(c->prefix_dir);

	while (n > 1 && c->prefix_dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, c->prefix_dir, rel);
}

/* An nginx double-quoted string: '"' and '\' escaped (gw_write_conf refuses control characters). */
static void add_q(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, '"');
}

/* "name path;" with path below prefix_dir, quoted. */
static void add_path_directive(struct strbuf *out, const char *indent, const char *name,
			       const struct gw_conf *c, const char *rel, const char *tail)
{
	char *p = in_prefix(c, rel);

	strbuf_addf(out, "%s%s ", indent, name);
	add_q(out, p);
	strbuf_addf(out, "%s;\n", tail);
	free(p);
}

static void add_hostport(struct strbuf *out, const char *addr, int port)
{
	if (strchr(addr, ':'))
		strbuf_addf(out, "[%s]:%d", addr, port);
	else
		strbuf_addf(out, "%s:%d", addr, port);
}

/*
 * The realm goes into a header value nginx expands variables in (and
 * auth_basic does not escape quotes), so keep only harmless characters.
 */
static void add_realm(struct strbuf *out, const char *realm)
{
	if (!realm || !*realm)
		realm = "gateway";
	for (const char *s = realm; *s; s++)
		strbuf_addch(out, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789 ._:@/-", *s) ? *s : '_');
}

/*
 * nginx's `user` directive takes the group too, and defaults it to a
 * group named like the user, which "nobody" does not have on Debian
 * ("nogroup"): name the user's primary group.
 */
static void render_user(const struct gw_conf *c, struct strbuf *out)
{
	struct passwd *pw;
	struct group *gr;

	if (!c->user)
		return;
	pw = getpwnam(c->user);
	gr = pw ? getgrgid(pw->pw_gid) : NULL;
	if (gr)
		strbuf_addf(out, "user %s %s;\n", c->user, gr->gr_name);
	else
		strbuf_addf(out, "user %s;\n", c->user);
}

static void render_main(const struct gw_conf *c, struct strbuf *out)
{
	strbuf_addstr(out, "# Written by the provisioner; changes are overwritten.\n"
			   "# Run in the foreground by the environment's supervisor.\n"
			   "daemon off;\n"
			   "master_process on;\n");
	strbuf_addf(out, "worker_processes %d;\n", c->workers > 0 ? c->workers : 1);
	render_user(c, out);
	add_path_directive(out, "", "pid", c, GW_PID_FILE, "");
	/* unused where nginx has atomic operations, but then it cannot land in /var/lock either */
	add_path_directive(out, "", "lock_file", c, "nginx.lock", "");
	add_path_directive(out, "", "error_log", c, GW_ERROR_LOG, " warn");
	/*
	 * A graceful stop (SIGQUIT) must not wait forever on idle keep-alive
	 * clients. Connections are cheap to hold and slow clients hold many
	 * (a proxied request takes two: the client's and the upstream's):
	 * 8192 per worker, and the descriptors for them (the master raises
	 * the workers' limit while it is still root).
	 */
	strbuf_addf(out, "worker_shutdown_timeout 10s;\n"
			 "worker_rlimit_nofile %d;\n"
			 "\n"
			 "events {\n"
			 "\tworker_connections %d;\n"
			 "}\n", 2 * GW_WORKER_CONNECTIONS + 64, GW_WORKER_CONNECTIONS);
}

/*
 * What one client may hold. A client that trickles its request header
 * gets client_header_timeout for all of it, from the first byte of the
 * connection: in nginx 1.22 that bounds the TLS handshake too (there is no
 * ssl_handshake_timeout before 1.25.3). A body gets client_body_timeout
 * between reads, an answer send_timeout between writes; an idle
 * keep-alive connection is closed after keepalive_timeout. limit_conn
 * counts the requests in progress per address (once the header is in):
 * past it, 429, as for the rate limit.
 */
static void render_client_limits(struct strbuf *out)
{
	strbuf_addf(out, "\tclient_header_timeout 5s;\n"
			 "\tclient_body_timeout 10s;\n"
			 "\tsend_timeout 10s;\n"
			 "\tkeepalive_timeout 15s;\n"
			 "\tkeepalive_requests 1000;\n"
			 "\treset_timedout_connection on;\n"
			 "\tlimit_conn_zone $binary_remote_addr zone=gw_conn:10m;\n"
			 "\tlimit_conn gw_conn %d;\n"
			 "\tlimit_conn_status 429;\n"
			 "\tlimit_conn_log_level warn;\n", GW_CONN_PER_CLIENT);
}

/*
 * The access log: what a person debugging a failover needs (status, time,
 * which upstream servers were tried), and nothing secret: $uri has no
 * query string (which may carry tokens), and no header is logged, so
 * neither the Authorization header nor cookies ever reach the file.
 */
static void render_logs(const struct gw_conf *c, struct strbuf *out)
{
	strbuf_addstr(out, "\tlog_format gw '$remote_addr [$time_iso8601] \"$request_method $uri "
			   "$server_protocol\" $status $body_bytes_sent $request_time "
			   "upstream=\"$upstream_addr\" upstream_status=\"$upstream_status\" "
			   "id=$gw_request_id';\n");
	/* unbuffered: a line is there as soon as the request is done */
	add_path_directive(out, "\t", "access_log", c, GW_ACCESS_LOG, " gw");
}

static void render_temp_paths(const struct gw_conf *c, struct strbuf *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(temp_dirs); i++)
		add_path_directive(out, "\t", temp_dirs[i][0], c, temp_dirs[i][1], "");
}

/*
 * Maps: the request id passed upstream and logged (the client's, when it
 * is a sane token, so a caller can follow its own id; else nginx's), and
 * for bearer auth, whether the Authorization header carries the token.
 * The token itself is only in the included file, never in nginx.conf.
 */
static void render_maps(const struct gw_conf *c, struct strbuf *out)
{
	strbuf_addstr(out, "\tmap $http_x_request_id $gw_request_id {\n"
			   "\t\tdefault $request_id;\n"
			   "\t\t\"~^[A-Za-z0-9._:-]{1,128}$\" $http_x_request_id;\n"
			   "\t}\n");
	if (c->auth != AUTH_BEARER)
		return;
	strbuf_addstr(out, "\tmap $http_authorization $gw_bearer_ok {\n\t\tinclude ");
	add_q(out, c->bearer_file ? c->bearer_file : "");
	strbuf_addstr(out, ";\n\t}\n");
}

static void render_rate(const struct gw_conf *c, struct strbuf *out)
{
	if (!c->rate_rpm)
		return;
	/* nginx counts in r/s or r/m; r/s where exact, for a smoother bucket */
	strbuf_addstr(out, "\tlimit_req_zone $binary_remote_addr zone=gw:10m rate=");
	if (c->rate_rpm % 60 == 0)
		strbuf_addf(out, "%" PRIu64 "r/s;\n", c->rate_rpm / 60);
	else
		strbuf_addf(out, "%" PRIu64 "r/m;\n", c->rate_rpm);
	strbuf_addstr(out, "\tlimit_req_status 429;\n"
			   "\tlimit_req_log_level warn;\n");
}

static int has_primary(const struct gw_upstream *u)
{
	for (size_t i = 0; i < u->nr_servers; i++)
		if (!u->servers[i].backup)
			return 1;
	return 0;
}

/*
 * max_fails=1 fail_timeout=2s: one failed attempt (refused, reset, timed
 * out, or a 502 answer) takes a server out for 2 s, so when the primary region is
 * gone, requests go straight to the backups instead of paying a connect
 * timeout each, and the primaries are tried again 2 s later. nginx needs
 * at least one non-backup server: if the primary region has none, the
 * backups serve as ordinary servers.
 */
static void render_upstream(const struct gw_upstream *u, struct strbuf *out)
{
	int primary = has_primary(u);

	strbuf_addf(out, "\n\tupstream %s {\n", u->name);
	for (size_t i = 0; i < u->nr_servers; i++) {
		strbuf_addstr(out, "\t\tserver ");
		add_hostport(out, u->servers[i].addr, u->servers[i].port);
		strbuf_addf(out, " max_fails=1 fail_timeout=2s%s;\n",
			    u->servers[i].backup && primary ? " backup" : "");
	}
	strbuf_addstr(out, "\t\tkeepalive 32;\n\t}\n");
}

static void render_tls(const struct gw_conf *c, struct strbuf *out)
{
	if (!c->tls)
		return;
	strbuf_addstr(out, "\t\tssl_certificate ");
	add_q(out, c->cert_file ? c->cert_file : "");
	strbuf_addstr(out, ";\n\t\tssl_certificate_key ");
	add_q(out, c->key_file ? c->key_file : "");
	strbuf_addstr(out, ";\n"
			   "\t\tssl_protocols TLSv1.2 TLSv1.3;\n"
			   "\t\tssl_prefer_server_ciphers off;\n"
			   "\t\tssl_session_cache shared:gw_tls:1m;\n"
			   "\t\tssl_session_timeout 1h;\n");
}

/*
 * How requests go upstream. The whole body is read first (request
 * buffering, the default), which is what lets nginx send it again to
 * another server.
 *
 * proxy_next_upstream leaves out non_idempotent on purpose: nginx then
 * retries a POST only when it could not send it at all (connection
 * refused or connect timeout), which is exactly the region-unreachable
 * case. A POST that reached a server and then failed may have been
 * committed there; sending a 50,000-row batch again to another server
 * could store it twice.
 *
 * What counts as a failed attempt (and takes a server out, see
 * render_upstream) is what proxy_next_upstream lists: never a 4xx, and
 * not a 503 either, which obsd gives when its database is unavailable: the
 * server is fine, and its peers share the database.
 *
 * A request nginx cannot get answered (no server reachable: 502; none
 * answered within the route's timeout: 504) is answered 503 with
 * Retry-After, as the services answer when they cannot serve.
 *
 * X-Forwarded-For is set, not appended to: the gateway is the edge, and
 * what a client sends in it is not to be trusted. The Authorization
 * header is the gateway's credential, not the services': it is not
 * passed on.
 */
static void render_proxy(struct strbuf *out)
{
	strbuf_addstr(out, "\t\tproxy_http_version 1.1;\n"
			   "\t\tproxy_set_header Connection \"\";\n"
			   "\t\tproxy_set_header Host $host;\n"
			   "\t\tproxy_set_header X-Forwarded-For $remote_addr;\n"
			   "\t\tproxy_set_header X-Forwarded-Proto $scheme;\n"
			   "\t\tproxy_set_header X-Request-Id $gw_request_id;\n"
			   "\t\tproxy_set_header Authorization \"\";\n"
			   "\t\tproxy_connect_timeout 1s;\n"
			   "\t\tproxy_next_upstream error timeout http_502;\n"
			   "\t\tproxy_intercept_errors on;\n"
			   "\t\terror_page 502 504 =503 @gw_unavailable;\n");
}

static void render_unavailable(struct strbuf *out)
{
	strbuf_addstr(out, "\n\t\tlocation @gw_unavailable {\n"
			   "\t\t\tdefault_type application/json;\n"
			   "\t\t\tadd_header Retry-After 1 always;\n"
			   "\t\t\treturn 503 '{\"error\":\"the service cannot answer now; "
			   "try again\"}\\n';\n"
			   "\t\t}\n");
}

/*
 * The route's service's limits. proxy_next_upstream_timeout keeps a
 * request that timed out on one server from waiting that long again on
 * the next: the client's wait is bounded by the one timeout.
 */
static void render_route_limits(const struct gw_route *r, struct strbuf *out)
{
	if (r->timeout_ms) {
		const char *const d[] = { "proxy_read_timeout", "proxy_send_timeout",
					  "proxy_next_upstream_timeout" };

		for (size_t i = 0; i < ARRAY_SIZE(d); i++)
			strbuf_addf(out, "\t\t\t%s %" PRIu64 "ms;\n", d[i], r->timeout_ms);
	}
	if (r->max_body) {
		strbuf_addstr(out, "\t\t\tclient_max_body_size ");
		format_nginx_size(out, r->max_body);
		strbuf_addstr(out, ";\n");
	}
}

/*
 * Inside a routed location: the rate limit and authentication. Basic
 * auth runs in the access phase, after limit_req (preaccess), so
 * password guessing is rate-limited too. The bearer check is an `if`
 * (rewrite phase), before limit_req: a wrong token gets its 401 without
 * being counted, which costs no more than a 429 would, and a random
 * token is not found by trying.
 */
static void render_guard(const struct gw_conf *c, struct strbuf *out)
{
	if (c->auth == AUTH_BEARER) {
		strbuf_addstr(out, "\t\t\tif ($gw_bearer_ok = 0) {\n"
				   "\t\t\t\tadd_header WWW-Authenticate 'Bearer realm=\"");
		add_realm(out, c->realm);
		strbuf_addstr(out, "\"' always;\n"
				   "\t\t\t\treturn 401;\n"
				   "\t\t\t}\n");
	}
	if (c->rate_rpm) {
		/* nginx refuses burst=0; no burst is its default */
		strbuf_addstr(out, "\t\t\tlimit_req zone=gw");
		if (c->burst > 0)
			strbuf_addf(out, " burst=%" PRId64, c->burst);
		strbuf_addstr(out, " nodelay;\n");
	}
	if (c->auth == AUTH_BASIC) {
		strbuf_addstr(out, "\t\t\tauth_basic \"");
		add_realm(out, c->realm);
		strbuf_addstr(out, "\";\n\t\t\tauth_basic_user_file ");
		add_q(out, c->htpasswd_file ? c->htpasswd_file : "");
		strbuf_addstr(out, ";\n");
	}
}

/* "/v1/" and "/v1" are the same prefix: its length without trailing slashes. */
static size_t prefix_len(const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;
	return n;
}

static void render_location(const struct gw_conf *c, const char *match, const struct gw_route *r,
			    size_t len, struct strbuf *out)
{
	strbuf_addf(out, "\n\t\tlocation %s %.*s%s {\n", match, (int)len, r->prefix,
		    *match == '^' ? "/" : "");
	render_guard(c, out);
	render_route_limits(r, out);
	strbuf_addf(out, "\t\t\tproxy_pass http://%s;\n\t\t}\n", r->upstream);
}

/*
 * A route matches path element by element (a Kubernetes "Prefix" path):
 * "/v1" exactly, and everything below "/v1/". ^~ keeps regular
 * expression locations (there are none today) from taking it over.
 */
static void render_route(const struct gw_conf *c, const struct gw_route *r, struct strbuf *out)
{
	size_t n = prefix_len(r->prefix);

	if (n)
		render_location(c, "=", r, n, out);
	render_location(c, "^~", r, n, out);
}

static int routes_root(const struct gw_conf *c)
{
	for (size_t i = 0; i < c->nr_routes; i++)
		if (!prefix_len(c->routes[i].prefix))
			return 1;
	return 0;
}

/*
 * The health check and the 404 answer in the rewrite phase, before the
 * rate limit and authentication run: the supervisor polls without
 * credentials, and a 404 costs no more than a 401 would and tells only
 * that the path is not routed (the routes are in the repository anyway).
 */
static void render_server(const struct gw_conf *c, struct strbuf *out)
{
	strbuf_addstr(out, "\n\tserver {\n\t\tlisten ");
	add_hostport(out, c->listen_addr ? c->listen_addr : "", c->port);
	strbuf_addf(out, "%s;\n", c->tls ? " ssl" : "");
	render_tls(c, out);
	render_proxy(out);
	strbuf_addstr(out, "\n\t\tlocation = " GW_HEALTH_PATH " {\n"
			   "\t\t\taccess_log off;\n"
			   "\t\t\tdefault_type text/plain;\n"
			   "\t\t\treturn 200 \"ok\\n\";\n"
			   "\t\t}\n");
	render_unavailable(out);
	for (size_t i = 0; i < c->nr_routes; i++)
		render_route(c, &c->routes[i], out);
	if (!routes_root(c))
		strbuf_addstr(out, "\n\t\tlocation / {\n"
				   "\t\t\treturn 404;\n"
				   "\t\t}\n");
	strbuf_addstr(out, "\t}\n");
}

/*
 * client_max_body_size: each route has its service's; what no route
 * takes gets nginx's default of 1m.
 */
void gw_render_conf(const struct gw_conf *c, struct strbuf *out)
{
	render_main(c, out);
	strbuf_addstr(out, "\nhttp {\n"
			   "\tserver_tokens off;\n"
			   "\tdefault_type application/octet-stream;\n"
			   "\tclient_max_body_size 1m;\n");
	render_client_limits(out);
	render_temp_paths(c, out);
	render_maps(c, out);
	render_logs(c, out);
	render_rate(c, out);
	for (size_t i = 0; i < c->nr_upstreams; i++)
		render_upstream(&c->upstreams[i], out);
	render_server(c, out);
	strbuf_addstr(out, "}\n");
}

/* ---- checking ---- */

static int only_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return 0;
	return 1;
}

/*
 * Paths must be absolute (nginx resolves relative ones against -p or the
 * conf's directory, never our working directory) and free of what nginx
 * would expand: '$' (variables, in ssl_certificate and access_log) and
 * '*', '?', '[' (globs, in include).
 */
static int check_path(const char *what, const char *p, struct strbuf *err)
{
	if (!p || *p != '/') {
		strbuf_addf(err, "gateway %s '%s' is not an absolute path", what, p ? p : "");
		return -1;
	}
	for (const char *s = p; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr("$*?[", *s)) {
			strbuf_addf(err, "gateway %s '%s' has a character nginx would expand "
					 "or misread", what, p);
			return -1;
		}
	return 0;
}

static int check_port(const char *what, int port, struct strbuf *err)
{
	if (port > 0 && port < 65536)
		return 0;
	strbuf_addf(err, "gateway %s port %d is out of range", what, port);
	return -1;
}

static int check_server(const struct gw_upstream *u, const struct gw_server *s,
			struct strbuf *err)
{
	if (!s->addr || !*s->addr || !only_chars(s->addr, ".:-")) {
		strbuf_addf(err, "upstream '%s' has an invalid server address '%s'", u->name,
			    s->addr ? s->addr : "");
		return -1;
	}
	return check_port("upstream server", s->port, err);
}

static int check_upstreams(const struct gw_conf *c, struct strbuf *err)
{
	for (size_t i = 0; i < c->nr_upstreams; i++) {
		const struct gw_upstream *u = &c->upstreams[i];

		if (!u->name || !*u->name || !only_chars(u->name, "_-")) {
			strbuf_addf(err, "invalid upstream name '%s'", u->name ? u->name : "");
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->upstreams[k].name, u->name)) {
				strbuf_addf(err, "upstream '%s' is defined twice", u->name);
				return -1;
			}
		if (!u->nr_servers) {
			strbuf_addf(err, "upstream '%s' has no servers", u->name);
			return -1;
		}
		for (size_t k = 0; k < u->nr_servers; k++)
			if (check_server(u, &u->servers[k], err) < 0)
				return -1;
	}
	return 0;
}

static int find_upstream(const struct gw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nr_upstreams; i++)
		if (name && !strcmp(c->upstreams[i].name, name))
			return 1;
	return 0;
}

static int check_route(const struct gw_conf *c, size_t i, struct strbuf *err)
{
	const struct gw_route *r = &c->routes[i];
	size_t n;

	if (!r->prefix || *r->prefix != '/' || !only_chars(r->prefix, "/._~%-")) {
		strbuf_addf(err, "gateway route '%s' is not a path prefix of letters, digits and "
				 "/._~%%-", r->prefix ? r->prefix : "");
		return -1;
	}
	n = prefix_len(r->prefix);
	if (n == strlen(GW_HEALTH_PATH) && !strncmp(r->prefix, GW_HEALTH_PATH, n)) {
		strbuf_addf(err, "gateway route '%s' is reserved for the gateway's health check",
			    r->prefix);
		return -1;
	}
	for (size_t k = 0; k < i; k++)
		if (prefix_len(c->routes[k].prefix) == n &&
		    !strncmp(c->routes[k].prefix, r->prefix, n)) {
			strbuf_addf(err, "gateway routes '%s' and '%s' are the same prefix",
				    c->routes[k].prefix, r->prefix);
			return -1;
		}
	if (!find_upstream(c, r->upstream)) {
		strbuf_addf(err, "gateway route '%s' names no known upstream ('%s')", r->prefix,
			    r->upstream ? r->upstream : "");
		return -1;
	}
	return 0;
}

static int check_auth(const struct gw_conf *c, struct strbuf *err)
{
	if (c->auth == AUTH_BASIC)
		return check_path("htpasswd file", c->htpasswd_file, err);
	if (c->auth == AUTH_BEARER)
		return check_path("bearer file", c->bearer_file, err);
	if (c->auth != AUTH_NONE) {
		strbuf_addf(err, "unknown gateway auth kind %d", c->auth);
		return -1;
	}
	return 0;
}

static int check_conf(const struct gw_conf *c, struct strbuf *err)
{
	if (check_path("prefix directory", c->prefix_dir, err) < 0 || check_auth(c, err) < 0 ||
	    check_port("listen", c->port, err) < 0)
		return -1;
	if (!c->listen_addr || !*c->listen_addr || !only_chars(c->listen_addr, ".:-")) {
		strbuf_addf(err, "invalid gateway listen address '%s'",
			    c->listen_addr ? c->listen_addr : "");
		return -1;
	}
	if (c->tls && (check_path("certificate", c->cert_file, err) < 0 ||
		       check_path("key", c->key_file, err) < 0))
		return -1;
	if (c->user && (!*c->user || !only_chars(c->user, "._-"))) {
		strbuf_addf(err, "invalid gateway user '%s'", c->user);
		return -1;
	}
	if (check_upstreams(c, err) < 0)
		return -1;
	for (size_t i = 0; i < c->nr_routes; i++)
		if (check_route(c, i, err) < 0)
			return -1;
	return 0;
}

/* ---- writing ---- */

/*
 * The log and temp directories. nginx would make the temp leaves itself
 * (and, as root, hand them to the worker user), but not their parents;
 * making them all here means `nginx -t` and the first start find the
 * layout complete. 0755: the workers, as `user`, must reach the temp dirs.
 */
static int make_dirs(const struct gw_conf *c, struct strbuf *err)
{
	static const char *const rel[] = { "logs", "tmp" };
	char *dir = NULL;
	int ret = -1;

	if (mkdir_p(c->prefix_dir, 0755) < 0) {
		strbuf_addf(err, "cannot make '%s': %s", c->prefix_dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(rel) + ARRAY_SIZE(temp_dirs); i++) {
		dir = in_prefix(c, i < ARRAY_SIZE(rel) ? rel[i] : temp_dirs[i - ARRAY_SIZE(rel)][1]);
		if (mkdir_p(dir, 0755) < 0) {
			strbuf_addf(err, "cannot make '%s': %s", dir, strerror(errno));
			goto out;
		}
		free(dir);
		dir = NULL;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

int gw_write_conf(const struct gw_conf *c, const char *path, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int ret = -1;

	if (check_conf(c, err) < 0 || make_dirs(c, err) < 0)
		goto out;
	gw_render_conf(c, &text);
	if (write_file_atomic(path, text.buf, text.len, 0644) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&text);
	return ret;
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int is_b64token(const char *t)
{
	size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/");

	return n > 0 && strspn(t + n, "=") == strlen(t + n);
}

/*
 * A regular expression rather than a plain map key: nginx compares plain
 * keys case-insensitively, which would let "abc" stand for "ABC" and
 * take entropy out of the token. The scheme is case-insensitive, as
 * RFC 7235 wants; '.' and '+' are the only token characters PCRE treats
 * specially.
 */
int gw_write_bearer_file(const char *path, const char *token, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	if (!token || !is_b64token(token)) {
		strbuf_addstr(err, "the gateway's bearer token is empty or has characters a token "
				   "may not have (RFC 6750: letters, digits, -._~+/ and trailing '=')");
		return -1;
	}
	strbuf_addstr(&sb, "# The gateway's bearer token: a map body nginx.conf includes. Private.\n"
			   "default 0;\n"
			   "\"~^(?i:bearer) +");
	for (const char *s = token; *s; s++) {
		if (*s == '.' || *s == '+')
			strbuf_addch(&sb, '\\');
		strbuf_addch(&sb, *s);
	}
	strbuf_addstr(&sb, "$\" 1;\n");
	if (write_file_atomic(path, sb.buf, sb.len, 0600) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		ret = -1;
	}
	memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	return ret;
}

/* ---- running ---- */

char **gw_argv(const char *nginx, const struct gw_conf *c, const char *conf_path)
{
	struct strv sv = STRV_INIT;

	strv_push(&sv, nginx);
	strv_push(&sv, "-p");
	strv_push(&sv, c->prefix_dir);
	strv_push(&sv, "-c");
	strv_push(&sv, conf_path);
	strv_push(&sv, "-e");
	strv_push_take(&sv, in_prefix(c, GW_ERROR_LOG));
	return strv_detach(&sv);
}

/*
 * Run argv with stdin and stdout on /dev/null and stderr into *output;
 * the exit status in *status.
 */
static int run_stderr(const char **argv, struct strbuf *output, int *status, struct strbuf *err)
{
	struct child_process cp = CHILD_PROCESS_INIT;

	cp.argv = argv;
	cp.err_buf = output;
	cp.buf_max = CHECK_OUTPUT_MAX;
	if (start_command(&cp, err) < 0)
		return -1;
	if (finish_command(&cp, status) < 0) {
		strbuf_addf(err, "cannot wait for '%s': %s", argv[0], strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * nginx -t says what is wrong on "nginx: [emerg] ..." lines, then
 * "configuration file ... test failed": keep the former, on one line.
 * Anything else it printed (it may not have run at all) goes as it is.
 */
static void add_messages(struct strbuf *err, struct strbuf *output)
{
	size_t start = err->len;
	char *save = NULL;

	strbuf_rtrim(output);
	if (!strstr(output->buf, "nginx: [")) {
		for (char *s = output->buf; *s; s++)
			strbuf_addch(err, *s == '\n' ? ' ' : *s);
		if (err->len == start)
			strbuf_addstr(err, "(no message)");
		return;
	}
	for (char *l = strtok_r(output->buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "nginx: [", 8))
			continue;
		if (err->len > start)
			strbuf_addstr(err, "; ");
		strbuf_addstr(err, l + 7);
	}
}

int gw_check_conf(const char *nginx, const struct gw_conf *c, const char *conf_path,
		  struct strbuf *err)
{
	struct strv sv = STRV_INIT;
	struct strbuf output = STRBUF_INIT;
	char **argv = gw_argv(nginx, c, conf_path);
	int status, ret = -1;

	/* -t -q: test the file and say nothing unless it is wrong */
	for (char **a = argv; *a; a++)
		strv_push(&sv, *a);
	strv_push(&sv, "-t");
	strv_push(&sv, "-q");
	if (run_stderr((const char **)sv.v, &output, &status, err) < 0)
		goto out;
	if (WIFEXITED(status) && !WEXITSTATUS(status)) {
		ret = 0;
		goto out;
	}
	strbuf_addf(err, "nginx rejects '%s': ", conf_path);
	add_messages(err, &output);
out:
	strbuf_release(&output);
	strv_clear(&sv);
	strv_free(argv);
	return ret;
}

/* ---- releasing ---- */

static void upstream_release(struct gw_upstream *u)
{
	for (size_t i = 0; i < u->nr_servers; i++)
		free(u->servers[i].addr);
	free(u->servers);
	free(u->name);
}

void gw_conf_release(struct gw_conf *c)
{
	for (size_t i = 0; i < c->nr_upstreams; i++)
		upstream_release(&c->upstreams[i]);
	free(c->upstreams);
	for (size_t i = 0; i < c->nr_routes; i++) {
		free(c->routes[i].prefix);
		free(c->routes[i].upstream);
	}
	free(c->routes);
	free(c->listen_addr);
	free(c->cert_file);
	free(c->key_file);
	free(c->realm);
	free(c->htpasswd_file);
	free(c->bearer_file);
	free(c->user);
	free(c->prefix_dir);
	memset(c, 0, sizeof(*c));
}
