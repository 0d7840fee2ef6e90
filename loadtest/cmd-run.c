/*
 * `loadtest run SCENARIO` and the ad-hoc mode (`loadtest [options] URL`):
 * build a plan, find the target (the command line, the scenario, or an
 * environment the provisioner stood up), run it, judge the thresholds and
 * write the reports.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cmd.h"
#include "diag.h"
#include "engine.h"
#include "fsutil.h"
#include "hash.h"
#include "net.h"
#include "result.h"
#include "run-command.h"
#include "scenario.h"
#include "strbuf.h"
#include "strv.h"
#include "units.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_BODY (64u << 20)

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = sig;
	signal(sig, SIG_DFL);     /* a second one ends the program */
}

struct run_opts {
	struct outputs out;
	const char *target, *env, *cacert, *method, *body, *run_id;
	char *env_cacert;           /* owned: the CA file --env found */
	int insecure, no_progress, conns, threads;
	uint64_t duration_ms, timeout_ms;
	double rate;
	unsigned shard, shards;
	struct strv headers, thresholds;
};

static struct run_opts opts;

/* -R: "5000", "5000/s" or "5000r/s" requests a second */
static int parse_rate(const struct cli_option *opt, const char *s, struct strbuf *why)
{
	char *end;
	double r = strtod(s, &end);

	if (end == s || !isfinite(r) || r <= 0 ||
	    (*end && strcmp(end, "/s") && strcmp(end, "r/s")))
		strbuf_addstr(why, "not a rate such as 5000 or 5000/s");
	else if (r > 10e6)
		strbuf_addstr(why, "more than 10000000/s");
	else
		*(double *)opt->value = r;
	return why->len ? -1 : 0;
}

/* --shard I/N */
static int parse_shard(const struct cli_option *opt, const char *s, struct strbuf *why)
{
	struct run_opts *o = opt->value;
	unsigned i, n;
	int used = 0;

	if (sscanf(s, "%u/%u%n", &i, &n, &used) != 2 || s[used] || !n || i >= n || n > 100000) {
		strbuf_addstr(why, "not I/N with 0 <= I < N");
		return -1;
	}
	o->shard = i;
	o->shards = n;
	return 0;
}

/* What the ad-hoc mode and `run` share. */
#define COMMON_OPTIONS \
	OPT_GROUP("requests"), \
	OPT_STRING_LIST('H', "header", &opts.headers, "'K: V'", "add a request header (repeatable)"), \
	OPT_DURATION(0, "timeout", &opts.timeout_ms, "DUR", "give up on a request after DUR; default 10s"), \
	OPT_STRING(0, "cacert", &opts.cacert, "FILE", "trust this CA for https"), \
	OPT_BOOL(0, "insecure", &opts.insecure, "trust any certificate"), \
	OPT_CALLBACK(0, "shard", &opts, "I/N", \
		     "run copy I of N, I from 0 (0/4 to 3/4): a 1/N share of every " \
		     "scenario's rate and connections", parse_shard), \
	OPT_GROUP("results"), \
	OPT_STRING(0, "run-id", &opts.run_id, "ID", \
		   "a name the copies of one run share ('merge' refuses to mix runs); " \
		   "default $LOADTEST_RUN_ID"), \
	OPT_STRING_LIST(0, "threshold", &opts.thresholds, "EXPR", \
			"fail (exit 1) unless EXPR holds, e.g. 'p(99) < 200ms' (repeatable)"), \
	OUTPUT_OPTIONS(opts.out), \
	OPT_BOOL(0, "no-progress", &opts.no_progress, \
		 "no progress line (there is none when stderr is not a terminal)")

static const struct cli_option adhoc_options[] = {
	OPT_GROUP("load"),
	OPT_INT('c', "connections", &opts.conns, "N",
		"connections (closed model), or the pool (open model); default 10", 1, 100000),
	OPT_DURATION('d', "duration", &opts.duration_ms, "DUR",
		     "how long to send, e.g. 10s, 1m30s; default 10s"),
	OPT_INT('t', "threads", &opts.threads, "N", "event-loop threads; default 1", 1, 256),
	OPT_CALLBACK('R', "rate", &opts.rate, "RATE",
		     "open model at RATE requests/s (250, 250/s); default: closed model", parse_rate),
	OPT_STRING('m', "method", &opts.method, "M",
		   "HTTP method; default GET (POST when a body is given)"),
	OPT_STRING(0, "body", &opts.body, "DATA|@FILE",
		   "request body; ${seq} ${uuid} ${time} are replaced per request"),
	COMMON_OPTIONS,
	OPT_END(),
};

static const struct cli_option run_options[] = {
	OPT_GROUP("target"),
	OPT_STRING(0, "env", &opts.env, "NAME",
		   "the target, CA and credentials of a stack 'provisioner up' stood up"),
	OPT_STRING(0, "target", &opts.target, "URL", "instead of the scenario file's target"),
	COMMON_OPTIONS,
	OPT_END(),
};

static void read_body(struct plan_scenario *s, const char *arg)
{
	if (arg[0] == '@') {
		struct strbuf sb = STRBUF_INIT;

		if (strbuf_read_file(&sb, arg + 1, MAX_BODY) < 0)
			die_errno("--body: cannot read '%s'", arg + 1);
		s->body_len = sb.len;
		s->body = strbuf_detach(&sb, NULL);
	} else {
		s->body = xstrdup(arg);
		s->body_len = strlen(arg);
	}
}

/* The ad-hoc plan: one scenario from the command line. */
static void adhoc_plan(struct plan *p, struct run_opts *o)
{
	struct plan_scenario *s = plan_add_scenario(p, "default");
	struct load_model *m = &s->model;

	m->duration_ns = (o->duration_ms ? o->duration_ms : 10000) * 1000000ull;
	m->threads = o->threads ? (unsigned)o->threads : 1;
	if (o->rate > 0) {
		double r = o->rate;

		m->open = 1;
		m->nr_stages = 1;
		m->stages = xcalloc(1, sizeof(*m->stages));
		m->stages[0] = (struct stage){ m->duration_ns, r, r };
		m->connections = o->conns ? (unsigned)o->conns : open_default_connections(r);
	} else {
		m->connections = o->conns ? (unsigned)o->conns : 10;
	}
	if (m->connections < m->threads)
		die("-c %u is fewer connections than -t %u threads", m->connections, m->threads);
	if (o->body)
		read_body(s, o->body);
	s->method = xstrdup(o->method ? o->method : o->body ? "POST" : "GET");
}

static void header_arg(struct plan *p, const char *h)
{
	const char *colon = strchr(h, ':');
	char *name;

	if (!colon || colon == h)
		die("-H: '%s' is not 'Name: value'", h);
	name = xstrndup(h, (size_t)(colon - h));
	colon++;
	while (*colon == ' ')
		colon++;
	plan_add_header(p, name, colon);
	free(name);
}

/* ---- --env: the target from `provisioner status NAME -o json` ---- */

/* `provisioner` installed beside us, or in the build tree; NULL if neither. */
static char *provisioner_beside(const char *self)
{
	char *dir = path_dirname(self), *tree = path_join(dir, "../provisioner");
	const char *beside[] = { dir, tree, NULL };
	const struct program_search s = { .before = beside, .no_path = 1 };
	char *found = find_program("provisioner", &s);

	free(tree);
	free(dir);
	return found;
}

static char *provisioner_path(void)
{
	const char *env = getenv("PROVISIONER");
	char self[PATH_MAX], *found = NULL;
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		found = provisioner_beside(self);
	}
	/* else whichever PATH gives */
	return found ? found : xstrdup("provisioner");
}

static char *read_secret_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, 4096) < 0)
		die_errno("cannot read the gateway's credentials '%s'", path);
	strbuf_rtrim(&sb);
	return strbuf_detach(&sb, NULL);
}

static void env_auth(struct plan *p, const json_t *gw)
{
	const char *auth = json_string_value(json_object_get(gw, "auth"));
	const char *user = json_string_value(json_object_get(gw, "username"));
	const char *pwfile = json_string_value(json_object_get(gw, "password_file"));
	struct strbuf hdr = STRBUF_INIT, raw = STRBUF_INIT;
	char *secret;

	if (!auth || !strcmp(auth, "none") || !pwfile || !*pwfile)
		return;
	secret = read_secret_file(pwfile);
	if (!strcmp(auth, "bearer")) {
		strbuf_addf(&hdr, "Bearer %s", secret);
	} else {
		unsigned char *b64;

		strbuf_addf(&raw, "%s:%s", user ? user : "", secret);
		b64 = xmalloc(4 * ((raw.len + 2) / 3) + 1);
		EVP_EncodeBlock(b64, (const unsigned char *)raw.buf, (int)raw.len);
		strbuf_addf(&hdr, "Basic %s", (char *)b64);
		free(b64);
	}
	plan_add_header(p, "Authorization", hdr.buf);
	memset(secret, 0, strlen(secret));
	free(secret);
	strbuf_release(&raw);
	strbuf_release(&hdr);
}

/*
 * What `provisioner status` said on stderr, for our message: its last
 * line, without its "provisioner: error: " (it names the environment
 * itself: "no environment 'x' (see 'provisioner list')").
 */
static const char *provisioner_reason(struct strbuf *err)
{
	char *line, *colon;

	strbuf_rtrim(err);
	line = strrchr(err->buf, '\n') ? strrchr(err->buf, '\n') + 1 : err->buf;
	if ((colon = strstr(line, ": error: ")) || (colon = strstr(line, ": fatal: ")))
		line = colon + 9;
	return line;
}

/* `provisioner status NAME -o json`: 0 and its stdout, or -1 and why in `err`. */
static int provisioner_status(const char *prov, const char *name, struct strbuf *out,
			      struct strbuf *err)
{
	const char *argv[] = { prov, "status", name, "-o", "json", NULL };
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf perr = STRBUF_INIT;
	int status = 0, r;

	cp.argv = argv;
	cp.out_buf = out;
	cp.err_buf = &perr;
	cp.buf_max = 1 << 20;
	cp.new_session = 1;     /* so a timeout stops whatever it started too */
	if (start_command(&cp, err) < 0)
		goto out;
	r = wait_command_timeout(&cp, 30000, &status);
	if (r != 0) {
		stop_command(&cp, 0);
		strbuf_addstr(err, r > 0 ? "it did not answer within 30 s" : strerror(errno));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		strbuf_addstr(err, perr.len ? provisioner_reason(&perr) : "it failed and said nothing");
	}
out:
	strbuf_release(&perr);
	return err->len ? -1 : 0;
}

static char *env_target(struct plan *p, struct run_opts *o, const char *name)
{
	char *prov = provisioner_path();
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	json_t *doc = NULL, *gw;
	const char *url, *ca, *brace;
	char *target;

	if (provisioner_status(prov, name, &out, &err) < 0)
		die("--env '%s': %s", name, err.buf);
	brace = strchr(out.buf, '{');
	if (!brace || !(doc = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL)))
		die("--env '%s': '%s status %s -o json' did not print JSON", name, prov, name);
	gw = json_object_get(doc, "gateway");
	url = json_string_value(json_object_get(gw, "url"));
	if (!url || !*url)
		die("--env '%s': the environment has no gateway URL", name);
	ca = json_string_value(json_object_get(gw, "ca_file"));
	if (ca && *ca && !o->cacert)
		o->cacert = o->env_cacert = xstrdup(ca);
	env_auth(p, gw);
	target = xstrdup(url);
	json_decref(doc);
	free(prov);
	strbuf_release(&out);
	strbuf_release(&err);
	return target;
}

/* ---- running ---- */

static void apply_common(struct plan *p, struct run_opts *o)
{
	struct strbuf why = STRBUF_INIT;
	const char *auth = getenv("LOADTEST_AUTH_HEADER");

	for (size_t i = 0; i < o->headers.nr; i++)
		header_arg(p, o->headers.v[i]);
	if (auth && *auth)
		plan_add_header(p, "Authorization", auth);
	for (size_t i = 0; i < o->thresholds.nr; i++)
		if (plan_add_threshold(&p->th, &p->nr_th, o->thresholds.v[i], &why) < 0)
			die("--threshold '%s': %s", o->thresholds.v[i], why.buf);
	if (o->timeout_ms) {
		uint64_t ns = o->timeout_ms * 1000000;

		for (size_t i = 0; i < p->nr; i++)
			p->v[i].timeout_ns = ns;
	}
	strbuf_release(&why);
}

static int build_runs(struct scenario_run *runs, struct req_template *tmpl, const struct plan *p,
		      const struct target *t, const struct run_opts *o)
{
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_scenario *s = &p->v[i];
		struct request_spec spec = {
			.method = s->method, .path = s->path, .headers = s->headers,
			.nr_headers = s->nr_headers, .body = s->body, .body_len = s->body_len,
		};
		struct strbuf err = STRBUF_INIT;

		if (req_template_init(&tmpl[i], &spec, t->hostport, t->path, &err) < 0) {
			error("scenario '%s': %s", s->name, err.buf);
			strbuf_release(&err);
			return -1;
		}
		runs[i] = (struct scenario_run){
			.name = s->name, .model = s->model, .target = t, .tmpl = &tmpl[i],
			.timeout_ns = s->timeout_ns, .shard = o->shard, .shards = o->shards ? o->shards : 1,
		};
	}
	return 0;
}

struct progress {
	uint64_t last_requests;
	double last_s;
};

/* The engine's report, a few times a second, as one line rewritten in place. */
static void show_progress(const struct engine_progress *ep, void *data)
{
	struct progress *pr = data;
	double dt = ep->elapsed_s - pr->last_s;

	if (ep->done) {
		cli_progress_done();
		return;
	}
	cli_progress("[%5.1fs/%.0fs] %llu requests, %.0f req/s, %llu errors", ep->elapsed_s,
		     ep->total_s, (unsigned long long)ep->requests,
		     dt > 0 ? (double)(ep->requests - pr->last_requests) / dt : 0.0,
		     (unsigned long long)ep->errors);
	pr->last_requests = ep->requests;
	pr->last_s = ep->elapsed_s;
}

/*
 * Which test this is, for `merge`: the scenario file's SHA-256, or for
 * the ad-hoc mode that of what the command line asks for (the target
 * is checked apart, as --target can change a file's).
 */
static void test_digest(char hex[SHA256_HEX_LEN + 1], const struct plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	if (p->file && strbuf_read_file(&sb, p->file, 1u << 20) >= 0) {
		sha256_hex(hex, sb.buf, sb.len);
		strbuf_release(&sb);
		return;
	}
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_scenario *s = &p->v[i];
		const struct load_model *m = &s->model;

		strbuf_addf(&sb, "%s %s %s %d %u %u %llu %llu\n", s->name, s->method ? s->method : "",
			    s->path ? s->path : "", m->open, m->connections, m->threads,
			    (unsigned long long)m->duration_ns, (unsigned long long)s->timeout_ns);
		for (size_t k = 0; k < m->nr_stages; k++)
			strbuf_addf(&sb, "%.17g %.17g\n", m->stages[k].r0, m->stages[k].r1);
		strbuf_addf(&sb, "%zu:", s->body_len);
		strbuf_add(&sb, s->body ? s->body : "", s->body_len);
	}
	sha256_hex(hex, sb.buf, sb.len);
	strbuf_release(&sb);
}

/* The run ended: which exit status, and the message that goes with it. */
static enum cli_result verdict(const json_t *doc, int ok, const struct run_opts *o)
{
	const char *stopped = json_string_value(json_object_get(doc, "stopped"));

	if (stop_flag)
		return CLI_INTERRUPTED;
	if (stopped) {
		error("%s; %s", stopped, o->cacert ? "is --cacert right?"
						   : "does the server need --cacert CA-FILE?");
		return CLI_FAILED;
	}
	if (!json_integer_value(json_object_get(doc, "requests"))) {
		error("no request completed");
		return CLI_FAILED;
	}
	return ok || o->shards > 1 ? CLI_OK : CLI_FAILED;   /* copies: merge judges */
}

/* The run's result: built, judged by the thresholds, written, and its exit status. */
static enum cli_result report_run(struct plan *p, struct scenario_run *runs, struct run_info *ri,
				  const struct strbuf *stopped, struct run_opts *o)
{
	struct strbuf err = STRBUF_INIT;
	enum cli_result rc;
	json_t *doc;
	int ok;

	ri->interrupted = stop_flag != 0;
	ri->stopped = stopped->len ? stopped->buf : NULL;
	doc = result_build(p, runs, p->nr, ri);
	ok = result_judge(doc, p, &err);
	rc = write_outputs(&o->out, doc) < 0 ? CLI_FAILED : verdict(doc, ok, o);
	json_decref(doc);
	strbuf_release(&err);
	return rc;
}

static enum cli_result run_plan(struct plan *p, const char *url, struct run_opts *o)
{
	struct tls_opts tls = { .ca_file = o->cacert, .insecure = o->insecure };
	struct strbuf err = STRBUF_INIT, stopped = STRBUF_INIT;
	struct engine_opts eo = { .stop = &stop_flag, .stopped = &stopped };
	struct progress pr = { 0 };
	struct scenario_run *runs = xcalloc(p->nr, sizeof(*runs));
	struct req_template *tmpl = xcalloc(p->nr, sizeof(*tmpl));
	char digest[SHA256_HEX_LEN + 1];
	struct run_info ri = {
		.target = url, .scenario_sha256 = digest, .shard = o->shard,
		.shards = o->shards ? o->shards : 1,
		.id = o->run_id ? o->run_id : getenv("LOADTEST_RUN_ID"),
	};
	struct target t;
	enum cli_result rc = CLI_USAGE;
	size_t built = 0;

	if (target_init(&t, url, &tls, &err) < 0) {
		error("%s", err.buf);
		goto out;
	}
	if (build_runs(runs, tmpl, p, &t, o) < 0)
		goto out;
	built = p->nr;
	if (cli_progress_wanted(o->no_progress)) {
		eo.progress = show_progress;
		eo.progress_data = &pr;
	}
	if (ri.id && !*ri.id)
		ri.id = NULL;
	test_digest(digest, p);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_REALTIME, &ri.started);
	if (engine_run(runs, p->nr, &eo, &err) < 0)
		rc = (error("%s", err.buf), CLI_FAILED);
	else
		rc = report_run(p, runs, &ri, &stopped, o);
out:
	for (size_t i = 0; i < built; i++) {
		req_template_release(&tmpl[i]);
		run_stats_release(&runs[i].stats);
	}
	free(tmpl);
	free(runs);
	if (t.host || t.ssl_ctx)
		target_release(&t);
	strbuf_release(&err);
	strbuf_release(&stopped);
	return rc;
}

static enum cli_result run(struct cli_ctx *ctx, int adhoc)
{
	struct run_opts *o = &opts;
	struct plan p = { 0 };
	char *url = NULL;
	enum cli_result rc;

	if (check_outputs(&o->out) < 0)
		return CLI_USAGE;
	if (o->target && o->env)
		return error("give --target or --env, not both"), CLI_USAGE;
	if (adhoc) {
		adhoc_plan(&p, o);
		url = xstrdup(ctx->argv[0]);
	} else if (load_plan(&p, ctx->argv[0]) < 0) {
		return CLI_USAGE;
	}
	apply_common(&p, o);
	if (!url)
		url = o->env ? env_target(&p, o, o->env) : xstrdup(o->target ? o->target : p.target ? p.target : "");
	if (!*url)
		die("no target: give --target URL or --env NAME, or set 'target' in '%s'", ctx->argv[0]);
	rc = run_plan(&p, url, o);
	free(url);
	plan_release(&p);
	free(o->env_cacert);
	o->env_cacert = NULL;
	return rc;
}

static enum cli_result adhoc_exec(struct cli_ctx *ctx)
{
	return run(ctx, 1);
}

static enum cli_result run_exec(struct cli_ctx *ctx)
{
	return run(ctx, 0);
}

static const struct cli_exit run_exits[] = {
	{ 0, "every threshold held (or this is a --shard copy: 'merge' judges)" },
	{ 1, "a threshold failed, no request completed, or every TLS handshake failed to\n"
	     "verify the server (the run stops early)" },
	{ 2, "usage or input error: nothing was run and nothing written" },
	{ 130, "interrupted: the reports of what ran are written" },
	{ 0, NULL },
};

const struct cli_cmd lt_adhoc_cmd = {
	.args = "[-c CONNS] [-d DURATION] [-t THREADS] [-R RATE] [options] URL",
	.summary = "load URL, like wrk: closed model, or open model with -R",
	.options = adhoc_options,
	.min_args = 1, .max_args = 1,
	.exits = run_exits,
	.exec = adhoc_exec,
};

const struct cli_cmd lt_run_cmd = {
	.name = "run",
	.args = "SCENARIO [--env NAME | --target URL] [options]",
	.summary = "run the scenarios of a file at once and judge their thresholds",
	.help = "The target is --target, else the stack 'provisioner status NAME' describes\n"
		"(--env: URL, CA and credentials), else the file's 'target'. The number of\n"
		"connections, the rate and the duration are the scenario file's.",
	.options = run_options,
	.min_args = 1, .max_args = 1,
	.exits = run_exits,
	.exec = run_exec,
};
