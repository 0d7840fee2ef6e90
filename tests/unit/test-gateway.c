/*
 * Tests for the gateway (provisioner/runtime/rt-gw.c): the rendered nginx.conf,
 * the checks gw_write_conf makes, and a real nginx started from it, with
 * a certificate from a throw-away CA (openssl CLI), two tiny upstream
 * HTTP servers (forked from this test: "primary" and "backup") and curl
 * as the client. Covered live: TLS only with the CA (plain HTTP refused),
 * basic auth with an {SSHA} htpasswd line, bearer auth, the health check
 * without auth, 404 outside the routes, 429 past the rate limit,
 * failover to the backup when the primary dies, no secret in the conf
 * or the access log, and nothing written outside the temp directory.
 *
 * Runs everything with its own fork/exec; stops what it started, by pid.
 */
#include "fsutil.h"
#include "model.h"
#include "rt-gw.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define USER "platform"
#define PASSWORD "s3cret-Pa55w0rd!"
/* '.' and '+' check the regular expression escaping of the bearer file */
#define TOKEN "Tk3n.abc+def/XYZ_~-0123456789=="
/* between single requests, so the 10 r/s limit only bites where meant to */
#define PACE_US 150000

static struct {
	char *dir;
	char *ca;
	pid_t upstream[2];       /* primary, backup */
	int upstream_port[2];
	pid_t nginx;
	int nginx_port;
} t;

/* ---- running programs ---- */

/* Run argv (PATH searched), stdout (and stderr when merge) into out; the exit status, or -1. */
static int run(char **argv, struct strbuf *out, int merge)
{
	int pfd[2], status;
	pid_t pid;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(merge ? pfd[1] : null, 2);
		close(pfd[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(pfd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			strbuf_add(out, buf, (size_t)n);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int have(const char *prog)
{
	const char *path = getenv("PATH");
	char *dirs = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;
	int found = 0;

	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *p = path_join(d, prog);

		found = !access(p, X_OK);
		free(p);
	}
	free(dirs);
	return found;
}

static char *in_dir(const char *rel)
{
	return xasprintf("%s/%s", t.dir, rel);
}

static int read_text(const char *path, struct strbuf *sb)
{
	strbuf_reset(sb);
	return strbuf_read_file(sb, path, 16 << 20);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- certificates and credentials ---- */

static const char openssl_cnf[] =
	"[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n"
	"[ca_ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
	"subjectKeyIdentifier = hash\n"
	"[srv_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n"
	"extendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n"
	"authorityKeyIdentifier = keyid\n";

static int openssl(const char *const *args, struct strbuf *log)
{
	struct strv sv = STRV_INIT;
	int rc;

	strv_push(&sv, "openssl");
	for (; *args; args++)
		strv_push(&sv, *args);
	rc = run(sv.v, log, 1);
	strv_clear(&sv);
	return rc;
}

/* A CA (ca.crt) and a server certificate for 127.0.0.1 (srv.crt, srv.key) signed by it. */
static int make_certs(void)
{
	char *cnf = in_dir("openssl.cnf"), *cakey = in_dir("ca.key"), *csr = in_dir("srv.csr");
	char *crt = in_dir("srv.crt"), *key = in_dir("srv.key");
	const char *ca_args[] = { "req", "-x509", "-config", cnf, "-extensions", "ca_ext",
		"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", cakey, "-out", t.ca, "-days", "2", "-subj", "/CN=gateway test CA", NULL };
	const char *csr_args[] = { "req", "-new", "-config", cnf, "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
		"-subj", "/CN=127.0.0.1", NULL };
	const char *sign_args[] = { "x509", "-req", "-in", csr, "-CA", t.ca, "-CAkey", cakey,
		"-set_serial", "2", "-days", "2", "-extfile", cnf, "-extensions", "srv_ext",
		"-out", crt, NULL };
	struct strbuf log = STRBUF_INIT;
	int ret = -1;

	if (write_file(cnf, openssl_cnf, strlen(openssl_cnf), 0644) < 0)
		goto out;
	if (openssl(ca_args, &log) || openssl(csr_args, &log) || openssl(sign_args, &log)) {
		tap_diag("openssl failed: %s", log.buf);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&log);
	free(cnf);
	free(cakey);
	free(csr);
	free(crt);
	free(key);
	return ret;
}

/* "user:{SSHA}" base64(SHA1(password salt) salt), as nginx (and OpenLDAP) read it. */
static int write_htpasswd(const char *path, uid_t uid, gid_t gid, int chown_it)
{
	unsigned char buf[EVP_MAX_MD_SIZE + 8], b64[128];
	unsigned char in[sizeof(PASSWORD) - 1 + 8];
	unsigned int mdlen = 0;
	struct strbuf line = STRBUF_INIT;
	int ret = -1, n;

	if (RAND_bytes(in + sizeof(PASSWORD) - 1, 8) != 1)
		goto out;
	memcpy(in, PASSWORD, sizeof(PASSWORD) - 1);
	if (!EVP_Digest(in, sizeof(in), buf, &mdlen, EVP_sha1(), NULL))
		goto out;
	memcpy(buf + mdlen, in + sizeof(PASSWORD) - 1, 8);
	n = EVP_EncodeBlock(b64, buf, (int)mdlen + 8);
	strbuf_addf(&line, "%s:{SSHA}%.*s\n", USER, n, (const char *)b64);
	if (write_file(path, line.buf, line.len, 0600) < 0 || (chown_it && chown(path, uid, gid) < 0))
		goto out;
	ret = 0;
out:
	strbuf_release(&line);
	return ret;
}

/* ---- upstream servers ---- */

/* Answer with the server's name, whether an Authorization header came, and the request id. */
static void serve_one(int fd, const char *name)
{
	char head[8192], body[256], resp[512], *id;
	size_t len = 0;
	ssize_t n;
	int blen, rlen;

	while (len < sizeof(head) - 1 && (n = read(fd, head + len, sizeof(head) - 1 - len)) > 0) {
		len += (size_t)n;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	head[len] = '\0';
	id = strcasestr(head, "\r\nX-Request-Id: ");
	blen = snprintf(body, sizeof(body), "%s %s id=%.*s\n", name,
			strcasestr(head, "\r\nAuthorization:") ? "auth" : "noauth",
			id ? (int)strcspn(id + 16, "\r\n") : 0, id ? id + 16 : "");
	rlen = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			"Content-Length: %d\r\nConnection: close\r\n\r\n%s", blen, body);
	if (write(fd, resp, (size_t)rlen) < 0)
		return;
}

/* Listen on a free loopback port (known before the fork: no waiting for readiness) and serve. */
static pid_t start_upstream(const char *name, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &slen) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	pid = fork();
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			int fd = accept(lfd, NULL, NULL);

			if (fd < 0)
				continue;
			serve_one(fd, name);
			close(fd);
		}
	}
	close(lfd);
	return pid;
}

static void stop_upstream(int i)
{
	if (t.upstream[i] <= 0)
		return;
	kill(t.upstream[i], SIGKILL);
	waitpid(t.upstream[i], NULL, 0);
	t.upstream[i] = 0;
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t slen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &slen))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int port_open(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- the client ---- */

/*
 * curl url (with extra arguments before it): the HTTP status (0 when no
 * answer), the body into body when given. Never -k: the CA is checked.
 */
static int http(const char *url, const char *const *extra, struct strbuf *body)
{
	struct strv sv = STRV_INIT;
	struct strbuf out = STRBUF_INIT;
	char *nl;
	int code;

	usleep(PACE_US);
	strv_push(&sv, "curl");
	strv_push(&sv, "-sS");
	strv_push(&sv, "--noproxy");
	strv_push(&sv, "*");
	strv_push(&sv, "--max-time");
	strv_push(&sv, "5");
	strv_push(&sv, "--cacert");
	strv_push(&sv, t.ca);
	strv_push(&sv, "-w");
	strv_push(&sv, "\n%{http_code}");
	for (; extra && *extra; extra++)
		strv_push(&sv, *extra);
	strv_push(&sv, url);
	run(sv.v, &out, 0);
	nl = strrchr(out.buf, '\n');
	code = nl ? atoi(nl + 1) : 0;
	if (body) {
		strbuf_reset(body);
		if (nl)
			strbuf_add(body, out.buf, (size_t)(nl - out.buf));
		strbuf_rtrim(body);
	}
	strv_clear(&sv);
	strbuf_release(&out);
	return code;
}

static char *gw_url(const char *scheme, const char *path)
{
	return xasprintf("%s://127.0.0.1:%d%s", scheme, t.nginx_port, path);
}

/* ---- nginx ---- */

static pid_t start_nginx(char **argv, const char *out)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* if this test dies, so does nginx (SIGTERM: it stops its workers) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait until /healthz answers 200; 0, or -1 when nginx exited or took too long. */
static int wait_nginx(const char *scheme)
{
	char *url = gw_url(scheme, GW_HEALTH_PATH);
	int ret = -1;

	for (int i = 0; i < 100 && ret < 0; i++) {
		if (waitpid(t.nginx, NULL, WNOHANG) == t.nginx) {
			t.nginx = 0;
			break;
		}
		if (http(url, NULL, NULL) == 200)
			ret = 0;
	}
	free(url);
	return ret;
}

/* SIGQUIT (graceful), then SIGTERM and SIGKILL if it lingers; 1 when it stopped by itself. */
static int stop_nginx(void)
{
	static const int sigs[] = { SIGQUIT, SIGTERM, SIGKILL };
	int graceful = 0;

	for (size_t s = 0; s < 3 && t.nginx > 0; s++) {
		kill(t.nginx, sigs[s]);
		for (int i = 0; i < 150; i++) {
			if (waitpid(t.nginx, NULL, WNOHANG) == t.nginx) {
				graceful = s == 0;
				t.nginx = 0;
				break;
			}
			sleep_ms(100);
		}
	}
	return graceful;
}

/* The uids of nginx's children (its workers), from /proc/<pid>/status; how many. */
static int worker_uids(pid_t master, uid_t *uids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) && n < max) {
		struct strbuf sb = STRBUF_INIT;
		char *path, *ppid, *uid;

		if (*de->d_name < '0' || *de->d_name > '9')
			continue;
		path = xasprintf("/proc/%s/status", de->d_name);
		if (!strbuf_read_file(&sb, path, 65536) && (ppid = strstr(sb.buf, "\nPPid:\t")) &&
		    (uid = strstr(sb.buf, "\nUid:\t")) && atoi(ppid + 7) == master)
			uids[n++] = (uid_t)strtoul(uid + 6, NULL, 10);
		strbuf_release(&sb);
		free(path);
	}
	if (d)
		closedir(d);
	return n;
}

/* ---- the conf ---- */

static void add_upstream(struct gw_conf *c, const char *name, int nr, const int *ports,
			 const int *backup)
{
	struct gw_upstream *u;

	c->upstreams = xreallocarray(c->upstreams, c->nr_upstreams + 1, sizeof(*c->upstreams));
	u = &c->upstreams[c->nr_upstreams++];
	u->name = xstrdup(name);
	u->nr_servers = (size_t)nr;
	u->servers = xcalloc((size_t)nr, sizeof(*u->servers));
	for (int i = 0; i < nr; i++)
		u->servers[i] = (struct gw_server){ xstrdup("127.0.0.1"), ports[i], backup[i] };
}

static void add_route(struct gw_conf *c, const char *prefix, const char *upstream)
{
	c->routes = xreallocarray(c->routes, c->nr_routes + 1, sizeof(*c->routes));
	/* the model's defaults: 10s, 32Mi */
	c->routes[c->nr_routes++] = (struct gw_route){ xstrdup(prefix), xstrdup(upstream), 10000,
						       (uint64_t)32 << 20 };
}

/* The live test's TLS, basic-auth conf: 600 r/m (10 r/s), burst 5, /v1/ -> primary + backup. */
static void basic_conf(struct gw_conf *c, int port)
{
	const int backup[] = { 0, 1 };

	memset(c, 0, sizeof(*c));
	c->listen_addr = xstrdup("127.0.0.1");
	c->port = port;
	c->tls = 1;
	c->cert_file = in_dir("srv.crt");
	c->key_file = in_dir("srv.key");
	c->auth = AUTH_BASIC;
	c->realm = xstrdup("test-env");
	c->prefix_dir = in_dir("gw-basic");
	c->htpasswd_file = in_dir("gw-basic/htpasswd");
	c->rate_rpm = 600;
	c->burst = 5;
	c->workers = 2;
	c->user = geteuid() == 0 && getpwnam("nobody") ? xstrdup("nobody") : NULL;
	add_upstream(c, "api", 2, t.upstream_port, backup);
	add_route(c, "/v1/", "api");
}

/* ---- what can be checked without running nginx ---- */

static void test_render(void)
{
	struct gw_conf c;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	const int ports[] = { 8001, 8002 }, backup[] = { 0, 1 };
	char *primary, *backup_line;

	basic_conf(&c, 8443);
	primary = xasprintf("127.0.0.1:%d max_fails=1 fail_timeout=2s;", t.upstream_port[0]);
	backup_line = xasprintf("127.0.0.1:%d max_fails=1 fail_timeout=2s backup;", t.upstream_port[1]);
	gw_render_conf(&c, &a);
	gw_render_conf(&c, &b);
	tap_ok(a.len > 0 && a.len == b.len && !memcmp(a.buf, b.buf, a.len),
	       "gw_render_conf is deterministic (twice, the same bytes)");
	tap_ok(strstr(a.buf, "daemon off;\n") && strstr(a.buf, "master_process on;\n") &&
	       strstr(a.buf, "worker_processes 2;\n"), "foreground master with 2 workers");
	tap_ok(strstr(a.buf, "rate=10r/s;") && strstr(a.buf, "limit_req zone=gw burst=5 nodelay;") &&
	       strstr(a.buf, "limit_req_status 429;"), "600 r/m is rendered as 10r/s, burst 5, 429");
	tap_ok(strstr(a.buf, primary) && strstr(a.buf, backup_line) &&
	       strstr(a.buf, "keepalive 32;"), "primary and backup servers, keepalive");
	tap_ok(strstr(a.buf, "location = /v1 {") && strstr(a.buf, "location ^~ /v1/ {") &&
	       strstr(a.buf, "location / {\n\t\t\treturn 404;"),
	       "/v1/ routes /v1 and below, and anything else is 404");
	tap_ok(strstr(a.buf, "ssl_protocols TLSv1.2 TLSv1.3;") && strstr(a.buf, "server_tokens off;") &&
	       strstr(a.buf, "\tclient_max_body_size 1m;\n"), "TLS 1.2+, no version, 1m bodies off the routes");
	tap_ok(strstr(a.buf, "\t\t\tproxy_read_timeout 10000ms;\n\t\t\tproxy_send_timeout 10000ms;\n"
			     "\t\t\tproxy_next_upstream_timeout 10000ms;\n"
			     "\t\t\tclient_max_body_size 32m;\n\t\t\tproxy_pass http://api;") != NULL,
	       "a route has its service's request timeout and body limit");
	tap_ok(strstr(a.buf, "proxy_next_upstream error timeout http_502;") &&
	       !strstr(a.buf, "http_503") && !strstr(a.buf, "http_4"),
	       "neither a 4xx nor a 503 from a service counts as a failed attempt");
	tap_ok(strstr(a.buf, "error_page 502 504 =503 @gw_unavailable;") &&
	       strstr(a.buf, "add_header Retry-After 1 always;"),
	       "502 and 504 become 503 with Retry-After");
	tap_ok(strstr(a.buf, "worker_connections 8192;") && strstr(a.buf, "worker_rlimit_nofile 16448;") &&
	       strstr(a.buf, "client_header_timeout 5s;") && strstr(a.buf, "limit_conn gw_conn 64;") &&
	       strstr(a.buf, "keepalive_timeout 15s;"),
	       "slow clients: connections, descriptors, header timeout, a limit per address");
	tap_ok(!strstr(a.buf, "/var/") && !strstr(a.buf, "/run/") && !strstr(a.buf, "/etc/"),
	       "the conf names no system path");
	tap_ok(!strstr(a.buf, "$http_authorization") && !strstr(a.buf, "$request_uri") &&
	       !strstr(a.buf, "$args") && !strstr(a.buf, "$request ") && strstr(a.buf, "$uri"),
	       "the access log has neither the Authorization header nor the query string");
	strbuf_reset(&a);
	gw_conf_release(&c);

	basic_conf(&c, 8443);
	c.rate_rpm = 90;
	c.burst = 0;
	c.tls = 0;
	free(c.user);
	c.user = xstrdup("nobody");
	add_upstream(&c, "solo", 1, ports + 1, backup + 1);
	add_route(&c, "/solo", "solo");
	gw_render_conf(&c, &a);
	tap_ok(strstr(a.buf, "rate=90r/m;") && strstr(a.buf, "limit_req zone=gw nodelay;"),
	       "90 r/m stays r/m; no burst is no burst= (nginx refuses burst=0)");
	tap_ok(strstr(a.buf, "listen 127.0.0.1:8443;\n") && !strstr(a.buf, "ssl_"),
	       "without TLS, a plain listener");
	tap_ok(!!strstr(a.buf, "\t\tserver 127.0.0.1:8002 max_fails=1 fail_timeout=2s;\n\t\tkeepalive"),
	       "an upstream of backups only serves with them as ordinary servers");
	tap_ok(strstr(a.buf, "user nobody ") != NULL, "the worker user is named with its group");
	gw_conf_release(&c);
	strbuf_release(&a);
	strbuf_release(&b);
	free(primary);
	free(backup_line);
}

static int write_fails(struct gw_conf *c, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	char *path = in_dir("refused.conf");
	int ok = gw_write_conf(c, path, &err) < 0 && strstr(err.buf, want) && access(path, F_OK);

	if (!ok)
		tap_diag("error: '%s'", err.buf);
	strbuf_release(&err);
	free(path);
	gw_conf_release(c);
	return ok;
}

static void test_checks(void)
{
	struct gw_conf c;
	struct strbuf err = STRBUF_INIT;
	char *bearer = in_dir("bad-bearer.conf");
	char **argv;

	basic_conf(&c, 8443);
	free(c.prefix_dir);
	c.prefix_dir = xstrdup("relative/gw");
	tap_ok(write_fails(&c, "is not an absolute path"), "a relative prefix directory is refused");
	basic_conf(&c, 8443);
	free(c.routes[0].upstream);
	c.routes[0].upstream = xstrdup("nope");
	tap_ok(write_fails(&c, "names no known upstream ('nope')"), "a route to no upstream is refused");
	basic_conf(&c, 8443);
	add_route(&c, "/v1", "api");
	tap_ok(write_fails(&c, "are the same prefix"), "'/v1/' and '/v1' are the same route");
	basic_conf(&c, 8443);
	add_route(&c, GW_HEALTH_PATH, "api");
	tap_ok(write_fails(&c, "reserved"), "a route cannot take the health check's path");
	basic_conf(&c, 8443);
	free(c.cert_file);
	c.cert_file = in_dir("$host.crt");
	tap_ok(write_fails(&c, "nginx would expand"), "a path with '$' is refused");

	tap_ok(gw_write_bearer_file(bearer, "two words", &err) < 0 && access(bearer, F_OK),
	       "a bearer token with a space is refused, and nothing is written");
	strbuf_reset(&err);
	tap_ok(gw_write_bearer_file(bearer, "a\"b", &err) < 0, "a bearer token with a quote is refused");
	strbuf_release(&err);
	free(bearer);

	basic_conf(&c, 8443);
	argv = gw_argv("/usr/sbin/nginx", &c, "/x/nginx.conf");
	tap_ok(!strcmp(argv[1], "-p") && !strcmp(argv[2], c.prefix_dir) && !strcmp(argv[3], "-c") &&
	       !strcmp(argv[4], "/x/nginx.conf") && !strcmp(argv[5], "-e") &&
	       strstr(argv[6], "/gw-basic/logs/error.log") && !argv[7],
	       "gw_argv: -p prefix -c conf -e error log");
	strv_free(argv);
	gw_conf_release(&c);
}

/* ---- nothing outside the temp dir ---- */

struct outside {
	const char *path;
	int exists;
	struct stat st;
};

static struct outside outside[] = {
	{ .path = "/var/log/nginx/access.log" }, { .path = "/var/log/nginx/error.log" },
	{ .path = "/run/nginx.pid" }, { .path = "/run/nginx.lock" }, { .path = "/var/lock/nginx.lock" },
	{ .path = "/var/lib/nginx/body" }, { .path = "/var/lib/nginx/proxy" },
	{ .path = "/var/lib/nginx/fastcgi" }, { .path = "/var/lib/nginx/uwsgi" },
	{ .path = "/var/lib/nginx/scgi" }, { .path = "/usr/share/nginx/logs" },
};

static void snapshot_outside(void)
{
	for (size_t i = 0; i < sizeof(outside) / sizeof(*outside); i++)
		outside[i].exists = !stat(outside[i].path, &outside[i].st);
}

static void check_outside(void)
{
	int same = 1;

	for (size_t i = 0; i < sizeof(outside) / sizeof(*outside); i++) {
		struct stat st;
		int exists = !stat(outside[i].path, &st);

		if (exists != outside[i].exists ||
		    (exists && (st.st_size != outside[i].st.st_size ||
				st.st_mtim.tv_sec != outside[i].st.st_mtim.tv_sec ||
				st.st_mtim.tv_nsec != outside[i].st.st_mtim.tv_nsec))) {
			tap_diag("'%s' was %s", outside[i].path, exists ? "made or changed" : "removed");
			same = 0;
		}
	}
	tap_ok(same, "nothing was written outside the temp dir (/var/log/nginx, /run/nginx.pid, "
		     "/var/lib/nginx, lock files)");
}

/* ---- live: basic auth over TLS ---- */

static void test_basic_auth(const char *url)
{
	const char *none[] = { NULL };
	const char *wrong[] = { "-u", USER ":wrong-password", NULL };
	const char *right[] = { "-u", USER ":" PASSWORD, NULL };
	const char *with_id[] = { "-u", USER ":" PASSWORD, "-H", "X-Request-Id: test-req-42", NULL };
	struct strbuf body = STRBUF_INIT;
	char *u;

	tap_is_int(http(url, none, NULL), 401, "401 without credentials");
	tap_is_int(http(url, wrong, NULL), 401, "401 with a wrong password");
	tap_is_int(http(url, right, &body), 200, "200 with the right password");
	tap_ok(!strncmp(body.buf, "primary ", 8), "answered by the primary (got '%s')", body.buf);
	tap_ok(strstr(body.buf, " noauth ") != NULL, "the Authorization header is not passed upstream");
	tap_is_int(http(url, with_id, &body), 200, "200 with a client's X-Request-Id");
	tap_ok(strstr(body.buf, "id=test-req-42") != NULL, "the client's X-Request-Id goes upstream");
	u = gw_url("https", "/v1");
	tap_is_int(http(u, right, &body), 200, "/v1 without the slash is routed too");
	free(u);
	u = gw_url("https", "/v1x");
	tap_is_int(http(u, right, NULL), 404, "/v1x is not /v1/: 404");
	free(u);
	u = gw_url("https", "/elsewhere?token=query-secret");
	tap_is_int(http(u, right, NULL), 404, "a path outside the routes is 404");
	free(u);
	u = gw_url("https", GW_HEALTH_PATH);
	tap_is_int(http(u, none, &body), 200, "/healthz is 200 without credentials");
	tap_is_str(body.buf, "ok", "/healthz is answered by the gateway itself");
	free(u);
	u = gw_url("http", "/v1/x");
	tap_is_int(http(u, right, &body), 400, "plain HTTP to the TLS port is refused (400)");
	tap_ok(!strstr(body.buf, "primary"), "and is not passed upstream");
	free(u);
	strbuf_release(&body);
}

static void test_rate_limit(const char *url)
{
	struct strv sv = STRV_INIT;
	struct strbuf out = STRBUF_INIT;
	int n200 = 0, n429 = 0;

	/* let the bucket empty, then 40 requests on one connection, as fast as they go */
	sleep_ms(1000);
	strv_push(&sv, "curl");
	strv_push(&sv, "-s");
	strv_push(&sv, "--noproxy");
	strv_push(&sv, "*");
	strv_push(&sv, "--cacert");
	strv_push(&sv, t.ca);
	strv_push(&sv, "-u");
	strv_push(&sv, USER ":" PASSWORD);
	strv_push(&sv, "-w");
	strv_push(&sv, "%{http_code}\n");
	for (int i = 0; i < 40; i++) {
		strv_push(&sv, url);
		strv_push(&sv, "-o");
		strv_push(&sv, "/dev/null");
	}
	run(sv.v, &out, 0);
	for (char *p = out.buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		n200 += atoi(p) == 200;
		n429 += atoi(p) == 429;
	}
	tap_ok(n200 >= 6 && n429 > 0 && n200 + n429 == 40,
	       "a burst of 40: the first 6 (1 + burst 5) pass, some get 429 (%d x 200, %d x 429)",
	       n200, n429);
	strv_clear(&sv);
	strbuf_release(&out);
	sleep_ms(1000);
}

static void test_failover(const char *url)
{
	const char *right[] = { "-u", USER ":" PASSWORD, NULL };
	struct strbuf body = STRBUF_INIT;
	int backup = 0;

	stop_upstream(0);
	for (int i = 0; i < 3; i++)
		backup += http(url, right, &body) == 200 && !strncmp(body.buf, "backup ", 7);
	tap_is_int(backup, 3, "with the primary dead, the next requests are answered by the backup");
	strbuf_release(&body);
}

static void test_basic_secrets(const char *conf_path, const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;
	char *log = xasprintf("%s/" GW_ACCESS_LOG, prefix);
	char *port = xasprintf("127.0.0.1:%d", t.upstream_port[1]);

	tap_ok(!read_text(conf_path, &sb) && !strstr(sb.buf, PASSWORD) && !strstr(sb.buf, "{SSHA}"),
	       "the password is not in nginx.conf");
	tap_ok(!read_text(log, &sb) && strstr(sb.buf, "/v1/x") && strstr(sb.buf, " 429 "),
	       "the access log has the requests, 429s included");
	tap_ok(!strstr(sb.buf, PASSWORD) && !strstr(sb.buf, "wrong-password") &&
	       !strcasestr(sb.buf, "authorization") && !strstr(sb.buf, "Basic ") &&
	       !strstr(sb.buf, "query-secret"),
	       "the access log has no password, Authorization header or query string");
	tap_ok(strstr(sb.buf, port) != NULL, "the access log names the backup it failed over to");
	free(log);
	free(port);
	strbuf_release(&sb);
}

static void check_workers(int want)
{
	uid_t uids[16];
	int n = worker_uids(t.nginx, uids, 16), nobody = 1;
	struct passwd *pw = getpwnam("nobody");

	for (int i = 0; i < n; i++)
		nobody &= pw && uids[i] == pw->pw_uid;
	tap_is_int(n, want, "nginx runs %d workers", want);
	if (geteuid() == 0)
		tap_ok(nobody, "as root, the workers run as nobody");
}

static void check_pid_file(const char *prefix)
{
	struct strbuf sb = STRBUF_INIT;
	char *pid = xasprintf("%s/" GW_PID_FILE, prefix);

	tap_ok(!read_text(pid, &sb) && atoi(sb.buf) == t.nginx,
	       "the pid file is below the prefix and names the master");
	free(pid);
	strbuf_release(&sb);
}

static void test_live_basic(const char *nginx)
{
	struct gw_conf c;
	struct strbuf err = STRBUF_INIT;
	char *conf = in_dir("gw-basic/nginx.conf"), *url = NULL, *out = in_dir("nginx-basic.out");
	char **argv = NULL;
	struct passwd *pw = getpwnam("nobody");

	t.nginx_port = free_port();
	basic_conf(&c, t.nginx_port);
	if (!tap_ok(gw_write_conf(&c, conf, &err) == 0, "gw_write_conf (TLS, basic auth)")) {
		tap_diag("error: '%s'", err.buf);
		goto out;
	}
	tap_ok(!write_htpasswd(c.htpasswd_file, pw ? pw->pw_uid : 0, pw ? pw->pw_gid : 0, !!c.user),
	       "an {SSHA} htpasswd line");
	if (!tap_ok(gw_check_conf(nginx, &c, conf, &err) == 0, "nginx -t accepts it")) {
		tap_diag("error: '%s'", err.buf);
		goto out;
	}
	argv = gw_argv(nginx, &c, conf);
	t.nginx = start_nginx(argv, out);
	if (!tap_ok(wait_nginx("https") == 0, "nginx answers on 127.0.0.1:%d", t.nginx_port)) {
		struct strbuf sb = STRBUF_INIT;

		read_text(out, &sb);
		tap_diag("nginx said: %s", sb.buf);
		strbuf_release(&sb);
		goto out;
	}
	check_workers(2);
	check_pid_file(c.prefix_dir);
	url = gw_url("https", "/v1/x");
	test_basic_auth(url);
	test_rate_limit(url);
	test_failover(url);
	test_basic_secrets(conf, c.prefix_dir);
	tap_ok(stop_nginx(), "SIGQUIT stops nginx");
	tap_ok(!port_open(t.nginx_port), "and its workers: the port is closed");
out:
	stop_nginx();
	strv_free(argv);
	free(url);
	free(conf);
	free(out);
	gw_conf_release(&c);
	strbuf_release(&err);
}

/* ---- live: a bearer token, plain HTTP ---- */

static void bearer_conf(struct gw_conf *c, int port)
{
	const int backup[] = { 1 };

	memset(c, 0, sizeof(*c));
	c->listen_addr = xstrdup("127.0.0.1");
	c->port = port;
	c->auth = AUTH_BEARER;
	c->realm = xstrdup("test-env");
	c->prefix_dir = in_dir("gw-bearer");
	c->bearer_file = in_dir("secrets/gateway.bearer.conf");
	c->workers = 1;
	c->user = geteuid() == 0 && getpwnam("nobody") ? xstrdup("nobody") : NULL;
	add_upstream(c, "api", 1, t.upstream_port + 1, backup);
	add_route(c, "/v1/", "api");
}

static void test_bearer_requests(const char *url, const char *headers)
{
	const char *none[] = { "-D", headers, NULL };
	const char *wrong[] = { "-H", "Authorization: Bearer not-the-token", NULL };
	const char *right[] = { "-H", "Authorization: Bearer " TOKEN, NULL };
	const char *scheme[] = { "-H", "Authorization: bearer " TOKEN, NULL };
	const char *upper[] = { "-H", "Authorization: Bearer TK3N.ABC+DEF/XYZ_~-0123456789==", NULL };
	const char *longer[] = { "-H", "Authorization: Bearer " TOKEN "x", NULL };
	const char *dot[] = { "-H", "Authorization: Bearer Tk3nXabc+def/XYZ_~-0123456789==", NULL };
	const char *basic[] = { "-u", USER ":" TOKEN, NULL };
	struct strbuf sb = STRBUF_INIT;

	tap_is_int(http(url, none, NULL), 401, "bearer: 401 without a token");
	tap_ok(!read_text(headers, &sb) &&
	       strstr(sb.buf, "WWW-Authenticate: Bearer realm=\"test-env\"") != NULL,
	       "with WWW-Authenticate: Bearer realm=\"test-env\"");
	tap_is_int(http(url, wrong, NULL), 401, "bearer: 401 with a wrong token");
	tap_is_int(http(url, right, &sb), 200, "bearer: 200 with the token");
	tap_ok(!strncmp(sb.buf, "backup ", 7) && strstr(sb.buf, " noauth "),
	       "answered upstream, without the token");
	tap_is_int(http(url, scheme, NULL), 200, "the scheme is case-insensitive");
	tap_is_int(http(url, upper, NULL), 401, "the token is not: 401 in upper case");
	tap_is_int(http(url, longer, NULL), 401, "401 with the token and more");
	tap_is_int(http(url, dot, NULL), 401, "'.' in the token is not a wildcard");
	tap_is_int(http(url, basic, NULL), 401, "401 with the token as a basic password");
	strbuf_release(&sb);
}

static void test_bearer_files(const struct gw_conf *c, const char *conf)
{
	struct strbuf sb = STRBUF_INIT;
	char *log = xasprintf("%s/" GW_ACCESS_LOG, c->prefix_dir);
	struct stat st;

	tap_ok(!stat(c->bearer_file, &st) && (st.st_mode & 07777) == 0600,
	       "the bearer file is mode 0600");
	tap_ok(!read_text(c->bearer_file, &sb) && strstr(sb.buf, "Tk3n\\.abc\\+def"),
	       "it holds the token, escaped for the regular expression");
	tap_ok(!read_text(conf, &sb) && !strstr(sb.buf, "Tk3n") && !strstr(sb.buf, "limit_req"),
	       "nginx.conf has neither the token nor, with no rate, a limit");
	tap_ok(!read_text(log, &sb) && sb.len && !strstr(sb.buf, "Tk3n") && !strstr(sb.buf, "TK3N"),
	       "the access log has no token");
	free(log);
	strbuf_release(&sb);
}

static void test_live_bearer(const char *nginx)
{
	struct gw_conf c;
	struct strbuf err = STRBUF_INIT;
	char *conf = in_dir("gw-bearer/nginx.conf"), *secrets = in_dir("secrets");
	char *out = in_dir("nginx-bearer.out"), *headers = in_dir("headers"), *url = NULL;
	char **argv = NULL;

	t.nginx_port = free_port();
	bearer_conf(&c, t.nginx_port);
	mkdir(secrets, 0700);
	if (!tap_ok(gw_write_bearer_file(c.bearer_file, TOKEN, &err) == 0 &&
		    gw_write_conf(&c, conf, &err) == 0 && gw_check_conf(nginx, &c, conf, &err) == 0,
		    "a bearer conf is written and nginx -t accepts it")) {
		tap_diag("error: '%s'", err.buf);
		goto out;
	}
	argv = gw_argv(nginx, &c, conf);
	t.nginx = start_nginx(argv, out);
	if (!tap_ok(wait_nginx("http") == 0, "nginx (bearer, plain HTTP) answers"))
		goto out;
	url = gw_url("http", "/v1/y");
	test_bearer_requests(url, headers);
	test_bearer_files(&c, conf);
	tap_ok(stop_nginx(), "SIGQUIT stops nginx");
out:
	stop_nginx();
	strv_free(argv);
	free(url);
	free(conf);
	free(secrets);
	free(out);
	free(headers);
	gw_conf_release(&c);
	strbuf_release(&err);
}

/* ---- nginx -t ---- */

static void test_check_conf(const char *nginx)
{
	struct gw_conf c;
	struct strbuf err = STRBUF_INIT;
	char *conf = in_dir("gw-nocert/nginx.conf");

	basic_conf(&c, free_port());
	free(c.prefix_dir);
	c.prefix_dir = in_dir("gw-nocert");
	free(c.cert_file);
	c.cert_file = in_dir("missing.crt");
	if (!tap_ok(gw_write_conf(&c, conf, &err) == 0 && gw_check_conf(nginx, &c, conf, &err) < 0 &&
		    strstr(err.buf, "nginx rejects") && strstr(err.buf, "missing.crt") &&
		    !strchr(err.buf, '\n'),
		    "nginx -t on a conf with a missing certificate fails with nginx's message"))
		tap_diag("error: '%s'", err.buf);
	free(conf);
	gw_conf_release(&c);
	strbuf_release(&err);
}

/* ---- setting up and tearing down ---- */

static int setup(void)
{
	char tmpl[] = "/tmp/test-gateway.XXXXXX";

	if (!mkdtemp(tmpl))
		return -1;
	t.dir = xstrdup(tmpl);
	/* as root, the workers run as nobody and must reach the htpasswd file and temp dirs */
	if (chmod(t.dir, 0711) < 0)
		return -1;
	t.ca = in_dir("ca.crt");
	t.upstream[0] = start_upstream("primary", &t.upstream_port[0]);
	t.upstream[1] = start_upstream("backup", &t.upstream_port[1]);
	if (t.upstream[0] <= 0 || t.upstream[1] <= 0)
		return -1;
	return make_certs();
}

static void teardown(void)
{
	stop_nginx();
	stop_upstream(0);
	stop_upstream(1);
	if (t.dir)
		rm_rf(t.dir);
	free(t.dir);
	free(t.ca);
}

static const char *missing_tool(void)
{
	static const char *const tools[] = { "openssl", "curl" };

	for (size_t i = 0; i < sizeof(tools) / sizeof(*tools); i++)
		if (!have(tools[i]))
			return tools[i];
	return NULL;
}

int main(void)
{
	struct strbuf err = STRBUF_INIT;
	char *nginx = gw_find_nginx(&err);
	const char *missing = missing_tool();

	/* a child's death must not kill the test; its exit is seen by waitpid */
	signal(SIGPIPE, SIG_IGN);
	if (!nginx || missing) {
		tap_skip(nginx ? "the openssl or curl command is not installed" : err.buf,
			 "gateway tests need nginx, openssl and curl (missing: %s)",
			 nginx ? missing : "nginx");
		free(nginx);
		strbuf_release(&err);
		return tap_done();
	}
	snapshot_outside();
	if (!tap_ok(setup() == 0, "a temp dir, a CA and certificate, two upstream servers"))
		goto out;
	test_render();
	test_checks();
	test_check_conf(nginx);
	test_live_basic(nginx);
	test_live_bearer(nginx);
	check_outside();
out:
	teardown();
	free(nginx);
	strbuf_release(&err);
	return tap_done();
}
