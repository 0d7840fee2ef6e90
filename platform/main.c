/*
 * obsd: the observatory data platform, the reference service the
 * environments deploy. An HTTP API for batches of observations, stored in
 * PostgreSQL.
 *
 *   obsd --listen [ADDR]:PORT [--db CONNINFO] [--threads N] [--region NAME]
 *        [--request-timeout DUR] [--connect-timeout DUR] [--statement-timeout DUR]
 *        [--max-body SIZE]
 *
 * This file reads the command line, opens the listening socket, starts
 * the HTTP server and the database pool, and waits for SIGTERM or SIGINT
 * to stop. Exit status: 0 stopped by a signal, 1 could not start, 2 usage.
 */
#include "db.h"
#include "http.h"
#include "log.h"
#include "units.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef OBSD_VERSION
#define OBSD_VERSION "0.0.0"
#endif

#define THREADS_DEFAULT 4
#define THREADS_MAX 256
/* the model's defaults (provisioner/model/model.c) */
#define REQUEST_TIMEOUT_DEFAULT 10000
#define CONNECT_TIMEOUT_DEFAULT 2000
#define STATEMENT_TIMEOUT_DEFAULT 5000

#define USAGE_LINE "usage: obsd --listen [ADDR]:PORT [--db CONNINFO] [--threads N] [--region NAME]\n" \
	"            [--request-timeout DUR] [--connect-timeout DUR] [--statement-timeout DUR]\n" \
	"            [--max-body SIZE]\n"

static const char usage_text[] =
	USAGE_LINE
	"\n"
	"The observatory data platform: an HTTP API for observations, stored in PostgreSQL.\n"
	"\n"
	"  --listen [ADDR]:PORT  where to listen: ':8080' (every address), '127.0.0.1:8080',\n"
	"                        '[::1]:8080'; port 0 picks a free port (see the log)\n"
	"  --db CONNINFO         libpq connection string or URI (default: $OBSD_DB, else\n"
	"                        libpq's PG* variables); the password belongs in PGPASSWORD\n"
	"                        or PGPASSFILE\n"
	"  --threads N           database connections (default 4); each connection has a\n"
	"                        thread of its own\n"
	"  --region NAME         the region this instance runs in: named in /healthz and\n"
	"                        in an X-Obsd-Region header on every answer\n"
	"  --request-timeout DUR the longest a request may take (default $REQUEST_TIMEOUT_MS\n"
	"                        milliseconds, else 10s): the database is given up on at\n"
	"                        80% of it, with 503 and Retry-After\n"
	"  --connect-timeout DUR per database server (default $DB_CONNECT_TIMEOUT_MS\n"
	"                        milliseconds, else 2s; libpq counts whole seconds, at least 2)\n"
	"  --statement-timeout DUR  the server's statement_timeout; a server that does not\n"
	"                        answer at all is given up on 0.5 s after it (default\n"
	"                        $DB_STATEMENT_TIMEOUT_MS milliseconds, else 5s)\n"
	"  --max-body SIZE       the largest request body, '32Mi' (default $MAX_BODY_BYTES,\n"
	"                        else 32Mi): 413 above it\n"
	"  --help, --version\n"
	"\n"
	"exit status: 0 stopped by SIGTERM or SIGINT, 1 could not start, 2 usage error\n";

struct options {
	const char *listen;
	char *conninfo;
	char *db_arg;      /* argv's copy of --db, blanked if it holds a password */
	unsigned threads;
	const char *region;
	uint64_t request_ms, connect_ms, statement_ms, max_body;
};

static void NORETURN usage_error(const char *fmt, ...) PRINTF(1, 2);

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "obsd: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n" USAGE_LINE "(see 'obsd --help')\n");
	exit(2);
}

static unsigned parse_threads(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end && n >= 1 && n <= THREADS_MAX)
		return (unsigned)n;
	usage_error("--threads must be a whole number from 1 to %d, not '%s'", THREADS_MAX, s);
}

/* A duration option: at least 100ms, at most an hour. */
static uint64_t parse_ms(const char *opt, const char *s)
{
	const char *why = "is not a duration like '500ms' or '10s'";
	uint64_t ms;

	if (!parse_duration_ms(s, &ms, &why) && ms >= 100 && ms <= 3600000)
		return ms;
	usage_error("%s '%s' %s (100ms to 1h)", opt, s, why);
}

static uint64_t parse_size(const char *s)
{
	const char *why = "is not a size like '32Mi'";
	uint64_t n;

	if (!parse_bytes(s, &n, &why) && n >= 1024 && n <= ((uint64_t)1 << 30))
		return n;
	usage_error("--max-body '%s' %s (1Ki to 1Gi)", s, why);
}

/* A default from the environment the runtime gives us: a whole number, or `def`. */
static uint64_t env_number(const char *var, uint64_t def, uint64_t lo, uint64_t hi)
{
	const char *v = getenv(var);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < lo || n > hi)
		usage_error("$%s must be a whole number from %llu to %llu, not '%s'", var,
			    (unsigned long long)lo, (unsigned long long)hi, v);
	return n;
}

static void options_from_env(struct options *o)
{
	o->request_ms = env_number("REQUEST_TIMEOUT_MS", REQUEST_TIMEOUT_DEFAULT, 100, 3600000);
	o->connect_ms = env_number("DB_CONNECT_TIMEOUT_MS", CONNECT_TIMEOUT_DEFAULT, 100, 3600000);
	o->statement_ms = env_number("DB_STATEMENT_TIMEOUT_MS", STATEMENT_TIMEOUT_DEFAULT, 100,
				     3600000);
	o->max_body = env_number("MAX_BODY_BYTES", BODY_MAX_DEFAULT, 1024, (uint64_t)1 << 30);
}

static void parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "region", required_argument, NULL, 'r' },
		{ "request-timeout", required_argument, NULL, 'T' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "statement-timeout", required_argument, NULL, 'S' },
		{ "max-body", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	options_from_env(o);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'd': o->db_arg = optarg; break;
		case 't': o->threads = parse_threads(optarg); break;
		case 'r': o->region = optarg; break;
		case 'T': o->request_ms = parse_ms("--request-timeout", optarg); break;
		case 'C': o->connect_ms = parse_ms("--connect-timeout", optarg); break;
		case 'S': o->statement_ms = parse_ms("--statement-timeout", optarg); break;
		case 'B': o->max_body = parse_size(optarg); break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': printf("obsd %s\n", OBSD_VERSION); exit(0);
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->listen)
		usage_error("--listen is required");
	o->conninfo = xstrdup(o->db_arg ? o->db_arg : getenv("OBSD_DB") ? getenv("OBSD_DB") : "");
}

/*
 * Keep the password out of every log line: register it (from the
 * connection string, and PGPASSWORD) as a secret, and blank --db's value
 * in argv so ps does not show it either.
 */
static void register_secrets(struct options *o)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(o->conninfo, &err);
	int has_password = 0;

	if (!opts) {
		PQfreemem(err);
		usage_error("the connection string (--db or OBSD_DB) cannot be parsed; it is not "
			    "shown, since it may hold a password");
	}
	for (PQconninfoOption *p = opts; p->keyword; p++)
		if (!strcmp(p->keyword, "password") && p->val && *p->val) {
			log_add_secret(p->val);
			has_password = 1;
		}
	PQconninfoFree(opts);
	log_add_secret(getenv("PGPASSWORD"));
	if (has_password && o->db_arg)
		memset(o->db_arg, '*', strlen(o->db_arg));
}

/* "[ADDR]:PORT" into host (NULL: any) and port. */
static int split_listen(const char *spec, char **host, char **port)
{
	const char *colon;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':')
			return -1;
		*host = xstrndup(spec + 1, (size_t)(close - spec - 1));
		colon = close + 1;
	} else {
		if (!(colon = strrchr(spec, ':')))
			return -1;
		*host = colon == spec ? NULL : xstrndup(spec, (size_t)(colon - spec));
	}
	*port = xstrdup(colon + 1);
	if (**port && strspn(*port, "0123456789") == strlen(*port) && atol(*port) <= 65535)
		return 0;
	free(*host);
	free(*port);
	return -1;
}

static int bind_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1, off = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)   /* "::" takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1024))
		return fd;
	close(fd);
	return -1;
}

/* The address the socket is bound to, as "127.0.0.1:8080" or "[::]:8080". */
static void bound_address(int fd, struct strbuf *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		strbuf_addstr(out, "unknown");
		return;
	}
	strbuf_addf(out, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static int open_listener(const char *spec, struct strbuf *bound)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *res, *ai;
	char *host, *port;
	int fd = -1, rc;

	if (split_listen(spec, &host, &port) < 0)
		usage_error("--listen wants [ADDR]:PORT, not '%s'", spec);
	if (!host)
		hints.ai_family = AF_INET6;   /* "::", which takes IPv4 too */
	rc = getaddrinfo(host ? host : "::", port, &hints, &res);
	if (rc && !host) {
		hints.ai_family = AF_INET;    /* no IPv6 here */
		rc = getaddrinfo("0.0.0.0", port, &hints, &res);
	}
	if (rc)
		log_msg("fatal", "listen_failed", "cannot resolve '%s': %s", spec, gai_strerror(rc));
	for (ai = rc ? NULL : res; ai && fd < 0; ai = ai->ai_next)
		fd = bind_one(ai);
	if (!rc && fd < 0)
		log_msg("fatal", "listen_failed", "cannot listen on '%s': %s", spec, strerror(errno));
	if (!rc)
		freeaddrinfo(res);
	if (fd >= 0)
		bound_address(fd, bound);
	free(host);
	free(port);
	return fd;
}

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	/* before any thread starts, so that every thread inherits the mask */
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void log_listening(const char *addr, const struct options *o)
{
	struct strbuf line;

	log_begin(&line, "info", "listening");
	log_str(&line, "addr", addr);
	log_int(&line, "threads", o->threads);
	log_int(&line, "request_timeout_ms", (long long)o->request_ms);
	log_int(&line, "connect_timeout_ms", (long long)o->connect_ms);
	log_int(&line, "statement_timeout_ms", (long long)o->statement_ms);
	log_int(&line, "max_body", (long long)o->max_body);
	log_int(&line, "pid", getpid());
	log_str(&line, "version", OBSD_VERSION);
	log_end(&line);
}

int main(int argc, char **argv)
{
	struct options opt = { .threads = THREADS_DEFAULT };
	struct strbuf bound = STRBUF_INIT;
	struct app app = { 0 };
	struct db_limits limits;
	struct MHD_Daemon *daemon;
	sigset_t set;
	int fd, sig = 0;

	usage_progname = "obsd";
	die_status = 1;
	parse_options(&opt, argc, argv);
	register_secrets(&opt);
	block_signals(&set);
	metrics_init();
	if ((fd = open_listener(opt.listen, &bound)) < 0)
		return 1;
	app.region = opt.region;
	app.max_body = (size_t)opt.max_body;
	limits.connect_ms = (unsigned)opt.connect_ms;
	limits.statement_ms = (unsigned)opt.statement_ms;
	limits.budget_ms = (unsigned)(opt.request_ms * 4 / 5);
	app.db = db_open(opt.conninfo, opt.threads, &limits);
	db_warm_up(app.db);
	if (!(daemon = http_start(&app, fd))) {
		log_msg("fatal", "start_failed", "cannot start the HTTP server on %s", bound.buf);
		close(fd);
		db_close(app.db);
		return 1;
	}
	log_listening(bound.buf, &opt);
	while (sigwait(&set, &sig))
		;
	log_msg("info", "stopping", "received %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	MHD_stop_daemon(daemon);   /* finishes the requests in hand; closes the socket */
	db_close(app.db);
	log_msg("info", "stopped", "bye");
	strbuf_release(&bound);
	free(opt.conninfo);
	return 0;
}
