/*
 * `chaos proxy`: the TCP fault proxy (proxy.h) as a command. It listens,
 * forwards to one upstream with the faults asked for, in one direction or
 * both, and exits by itself after --duration; SIGINT or SIGTERM end it
 * sooner (exit 130). It says where it listens on its first line of
 * output, and what it did on its last.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "cmd.h"
#include "proxy.h"
#include "strbuf.h"
#include "units.h"
#include "usage.h"

static const char *listen_arg, *upstream_arg;
static uint64_t latency_ms, jitter_ms, slow_close_ms, duration_ms;
static uint64_t rate, reset_after = PROXY_NO_RESET;
static int direction, blackhole;

static const char *const directions[] = { "both", "up", "down", NULL };

typedef int unit_parser(const char *s, uint64_t *v, const char **why);

/* Parse `arg` with `parse` into the uint64_t opt->value. */
static int unit_opt(unit_parser *parse, const struct cli_option *opt, const char *arg,
		    struct strbuf *why)
{
	const char *reason;

	if (parse(arg, opt->value, &reason) < 0) {
		strbuf_addstr(why, reason);
		return -1;
	}
	return 0;
}

/* A duration that may be 0 ("--latency 0ms": no latency). */
static int opt_duration0(const struct cli_option *opt, const char *arg, struct strbuf *why)
{
	return unit_opt(parse_duration_ms, opt, arg, why);
}

static int opt_rate(const struct cli_option *opt, const char *arg, struct strbuf *why)
{
	return unit_opt(parse_byte_rate, opt, arg, why);
}

static int opt_bytes(const struct cli_option *opt, const char *arg, struct strbuf *why)
{
	return unit_opt(parse_bytes, opt, arg, why);
}

static const struct cli_option proxy_options[] = {
	OPT_GROUP("where"),
	OPT_STRING(0, "listen", &listen_arg, "ADDR:PORT",
		   "listen here (port 0: any, printed on the first line); required"),
	OPT_STRING(0, "upstream", &upstream_arg, "ADDR:PORT", "forward to here; required"),
	OPT_DURATION(0, "duration", &duration_ms, "DUR", "run this long, then exit; required"),
	OPT_GROUP("faults"),
	OPT_CHOICE(0, "direction", &direction, "DIR",
		   "where the faults apply: up (client to upstream), down, or both (default)",
		   directions),
	OPT_CALLBACK(0, "latency", &latency_ms, "DUR", "deliver each chunk DUR late, in order",
		     opt_duration0),
	OPT_CALLBACK(0, "jitter", &jitter_ms, "DUR", "and up to DUR earlier or later (uniform)",
		     opt_duration0),
	OPT_CALLBACK(0, "rate", &rate, "BW", "at most BW per connection ('1MB/s', '512KiB/s')",
		     opt_rate),
	OPT_CALLBACK(0, "reset-after", &reset_after, "N",
		     "reset the connection (RST) once N bytes went through; 0: at once", opt_bytes),
	OPT_CALLBACK(0, "slow-close", &slow_close_ms, "DUR", "hold each FIN back for DUR",
		     opt_duration0),
	OPT_BOOL(0, "blackhole", &blackhole, "accept, read and drop everything: the peer times out"),
	OPT_END(),
};

static struct proxy *running;

static void on_signal(int sig)
{
	(void)sig;
	proxy_stop(running);
}

/* An address option into the config: 0, or -1 having said why (a usage error). */
static int take_addr(const char *opt, const char *arg, unsigned flags,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct strbuf why = STRBUF_INIT;
	int rc = 0;

	if (!arg)
		rc = error("--%s is required", opt);
	else if (addr_parse(arg, flags, ss, len, &why) < 0 || !addr_allowed(ss, &why))
		rc = error("--%s: %s", opt, why.buf);
	strbuf_release(&why);
	return rc;
}

static int make_config(struct proxy_config *cfg)
{
	struct proxy_fault f = PROXY_FAULT_INIT;

	if (take_addr("listen", listen_arg, ADDR_PORT_ZERO, &cfg->listen, &cfg->listen_len) < 0 ||
	    take_addr("upstream", upstream_arg, 0, &cfg->upstream, &cfg->upstream_len) < 0)
		return -1;
	if (!duration_ms)
		return error("--duration is required: the proxy runs for a given time, then exits");
	f.latency_ns = latency_ms * NS_PER_MS;
	f.jitter_ns = jitter_ms * NS_PER_MS;
	f.rate = rate;
	f.reset_after = reset_after;
	f.slow_close_ns = slow_close_ms * NS_PER_MS;
	f.blackhole = blackhole;
	if (direction != 2)
		cfg->fault[PROXY_UP] = f;
	if (direction != 1)
		cfg->fault[PROXY_DOWN] = f;
	cfg->duration_ns = duration_ms * NS_PER_MS;
	return 0;
}

static void add_bytes(struct strbuf *sb, uint64_t n)
{
	if (n < 10000)
		strbuf_addf(sb, "%llu B", (unsigned long long)n);
	else if (n < 10000000)
		strbuf_addf(sb, "%.1f kB", (double)n / 1e3);
	else
		strbuf_addf(sb, "%.1f MB", (double)n / 1e6);
}

static void print_start(struct proxy *p)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct strbuf sb = STRBUF_INIT;

	proxy_addr(p, &ss, &len);
	strbuf_addstr(&sb, "listening on ");
	proxy_format_addr(&sb, &ss);
	strbuf_addf(&sb, ", forwarding to %s for ", upstream_arg);
	format_duration_ms(&sb, duration_ms);
	printf("%s\n", sb.buf);
	fflush(stdout);
	strbuf_release(&sb);
}

static void print_stats(struct proxy *p, uint64_t t0)
{
	struct proxy_stats st;
	struct strbuf sb = STRBUF_INIT;

	proxy_get_stats(p, &st);
	strbuf_addf(&sb, "after %.1f s: %llu connections (%llu reset, %llu upstream failed); ",
		    clock_since(t0), (unsigned long long)st.accepted, (unsigned long long)st.resets,
		    (unsigned long long)st.upstream_failed);
	add_bytes(&sb, st.bytes[PROXY_UP]);
	strbuf_addstr(&sb, " up, ");
	add_bytes(&sb, st.bytes[PROXY_DOWN]);
	strbuf_addstr(&sb, " down, ");
	add_bytes(&sb, st.dropped[PROXY_UP] + st.dropped[PROXY_DOWN]);
	strbuf_addstr(&sb, " dropped");
	printf("%s\n", sb.buf);
	strbuf_release(&sb);
}

static enum cli_result proxy_exec(struct cli_ctx *ctx)
{
	struct proxy_config cfg = PROXY_CONFIG_INIT;
	struct strbuf err = STRBUF_INIT;
	struct sigaction sa = { .sa_handler = on_signal };
	enum cli_result res = CLI_FAILED;
	uint64_t t0;
	int rc;

	if (make_config(&cfg) < 0)
		return CLI_USAGE;
	running = proxy_new(&cfg, &err);
	if (!running) {
		error("%s", err.buf);
		goto out;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	print_start(running);
	t0 = clock_ns();
	rc = proxy_run(running, &err);
	if (rc < 0)
		error("%s", err.buf);
	else
		res = rc ? CLI_INTERRUPTED : CLI_OK;
	print_stats(running, t0);
out:
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	proxy_free(running);
	running = NULL;
	strbuf_release(&err);
	return res;
}

static const struct cli_exit proxy_exits[] = {
	{ 0, "it ran for --duration and stopped" },
	{ 1, "it could not listen (the address is in use), or its event loop failed" },
	{ 2, "usage or input error: an address that is not ADDR:PORT, or neither loopback nor\n"
	     "an environment's (10.213.N.0/24); a unit it cannot read; no --duration" },
	{ 130, "stopped early by SIGINT or SIGTERM" },
	{ 0, NULL },
};

const struct cli_cmd chaos_proxy_cmd = {
	.name = "proxy",
	.args = "--listen ADDR:PORT --upstream ADDR:PORT --duration DUR [--direction up|down|both] "
		"[--latency DUR] [--jitter DUR] [--rate BW] [--reset-after N] [--slow-close DUR] "
		"[--blackhole]",
	.summary = "a TCP proxy with faults in one direction or both, for a given time",
	.help = "Every connection accepted on --listen is forwarded to --upstream, through a\n"
		"buffer per direction. 'up' is from the client to the upstream, 'down' back.\n"
		"Latency delays each chunk read (jitter moves it, order kept); --rate limits\n"
		"each connection; --reset-after resets a connection (RST) after N bytes in a\n"
		"faulty direction, or at once with 0; --slow-close holds back the FIN;\n"
		"--blackhole drops every byte (with both directions, no upstream connection is\n"
		"made), so clients time out. Only loopback addresses and those of an\n"
		"environment's namespaces are accepted. The first line of output says where it\n"
		"listens, the last what it forwarded.",
	.options = proxy_options,
	.min_args = 0, .max_args = 0,
	.exits = proxy_exits,
	.exec = proxy_exec,
};
