/*
 * `loadtest run SCENARIO` and the ad-hoc mode (`loadtest [options] URL`):
 * build a plan, find the target (the command line, the scenario, or an
 * environment the provisioner stood up), run it, judge the thresholds and
 * write the reports.
 */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "diag.h"
#include "engine.h"
#include "fsutil.h"
#include "net.h"
#include "result.h"
#include "run-command.h"
#include "scenario.h"
#include "strbuf.h"
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
	const char *target, *env, *cacert, *method, *body, *timeout, *duration, *rate;
	char *env_cacert;           /* owned: the CA file --env found */
	int insecure, no_progress;
	long conns, threads;
	unsigned shard, shards;
	char **headers, **thresholds;
	size_t nr_headers, nr_thresholds;
};

enum { OPT_TARGET = 2000, OPT_ENV, OPT_CACERT, OPT_INSECURE, OPT_BODY, OPT_TIMEOUT,
       OPT_THRESHOLD, OPT_NO_PROGRESS, OPT_SHARD };

static const struct option long_options[] = {
	{ "connections", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "threads", required_argument, NULL, 't' },
	{ "rate", required_argument, NULL, 'R' },
	{ "method", required_argument, NULL, 'm' },
	{ "header", required_argument, NULL, 'H' },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "cacert", required_argument, NULL, OPT_CACERT },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "shard", required_argument, NULL, OPT_SHARD },
	OUTPUT_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void push(char ***v, size_t *nr, char *s)
{
	*v = xreallocarray(*v, *nr + 1, sizeof(**v));
	(*v)[(*nr)++] = s;
}

static long int_arg(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		die("%s: '%s' is not a whole number between %ld and %ld", opt, s, lo, hi);
	return v;
}

static void shard_arg(struct run_opts *o, const char *s)
{
	unsigned i, n;
	int used = 0;

	if (sscanf(s, "%u/%u%n", &i, &n, &used) != 2 || s[used] || !n || i >= n || n > 100000)
		die("--shard: '%s' is not I/N with 0 <= I < N", s);
	o->shard = i;
	o->shards = n;
}

static void parse_args(struct run_opts *o, int argc, char **argv, int adhoc)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, adhoc ? "c:d:t:R:m:H:q" : "H:q", long_options,
				NULL)) != -1) {
		if (output_option(&o->out, c, optarg))
			continue;
		switch (c) {
		case 'c': o->conns = int_arg("-c", optarg, 1, 100000); break;
		case 'd': o->duration = optarg; break;
		case 't': o->threads = int_arg("-t", optarg, 1, 256); break;
		case 'R': o->rate = optarg; break;
		case 'm': o->method = optarg; break;
		case 'H': push(&o->headers, &o->nr_headers, optarg); break;
		case OPT_BODY: o->body = optarg; break;
		case OPT_TARGET: o->target = optarg; break;
		case OPT_ENV: o->env = optarg; break;
		case OPT_CACERT: o->cacert = optarg; break;
		case OPT_INSECURE: o->insecure = 1; break;
		case OPT_TIMEOUT: o->timeout = optarg; break;
		case OPT_THRESHOLD: push(&o->thresholds, &o->nr_thresholds, optarg); break;
		case OPT_NO_PROGRESS: o->no_progress = 1; break;
		case OPT_SHARD: shard_arg(o, optarg); break;
		default:
			die("see 'loadtest --help'");
		}
	}
	if (o->target && o->env)
		die("give --target or --env, not both");
	if (!adhoc && (o->conns || o->duration || o->threads || o->rate || o->method || o->body))
		die("-c, -d, -t, -R, -m and --body are for the ad-hoc mode; a scenario file sets them");
}

static uint64_t duration_arg(const char *opt, const char *s)
{
	uint64_t ms;
	const char *why;

	if (parse_duration_ms(s, &ms, &why) < 0 || !ms)
		die("%s: '%s': %s", opt, s, ms ? why : "must be more than 0");
	return ms * 1000000;
}

static double rate_arg(const char *s)
{
	char *end;
	double r = strtod(s, &end);

	if (end == s || !isfinite(r) || r <= 0 ||
	    (*end && strcmp(end, "/s") && strcmp(end, "r/s")))
		die("-R: '%s' is not a rate such as 5000 or 5000/s", s);
	if (r > 10e6)
		die("-R: '%s' is more than 10000000/s", s);
	return r;
}

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

	m->duration_ns = o->duration ? duration_arg("-d", o->duration) : 10ull * 1000000000;
	m->threads = o->threads ? (unsigned)o->threads : 1;
	if (o->rate) {
		double r = rate_arg(o->rate);

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

static char *env_target(struct plan *p, struct run_opts *o, const char *name)
{
	char *prov = provisioner_path();
	const char *argv[] = { prov, "status", name, "-o", "json", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	int rc = run_command_capture(argv, &out, 30000, &err);
	const char *brace = strchr(out.buf, '{');
	json_t *doc = NULL, *gw;
	const char *url, *ca;
	char *target;

	if (rc != 0 || !brace || !(doc = json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL)))
		die("--env '%s': '%s status' failed%s%s", name, prov, rc < 0 ? ": " : "",
		    rc < 0 ? err.buf : "");
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

	for (size_t i = 0; i < o->nr_headers; i++)
		header_arg(p, o->headers[i]);
	if (auth && *auth)
		plan_add_header(p, "Authorization", auth);
	for (size_t i = 0; i < o->nr_thresholds; i++)
		if (plan_add_threshold(&p->th, &p->nr_th, o->thresholds[i], &why) < 0)
			die("--threshold '%s': %s", o->thresholds[i], why.buf);
	if (o->timeout) {
		uint64_t ns = duration_arg("--timeout", o->timeout);

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

static enum lt_exit run_plan(struct plan *p, const char *url, struct run_opts *o)
{
	struct tls_opts tls = { .ca_file = o->cacert, .insecure = o->insecure };
	struct engine_opts eo = { .stop = &stop_flag };
	struct scenario_run *runs = xcalloc(p->nr, sizeof(*runs));
	struct req_template *tmpl = xcalloc(p->nr, sizeof(*tmpl));
	struct strbuf err = STRBUF_INIT;
	struct timespec started;
	struct target t;
	enum lt_exit rc = LT_USAGE;
	json_t *doc = NULL;
	size_t built = 0;
	int ok;

	if (target_init(&t, url, &tls, &err) < 0) {
		error("%s", err.buf);
		goto out;
	}
	if (build_runs(runs, tmpl, p, &t, o) < 0)
		goto out;
	built = p->nr;
	eo.progress = !o->no_progress && isatty(2);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_REALTIME, &started);
	if (engine_run(runs, p->nr, &eo, &err) < 0) {
		error("%s", err.buf);
		rc = LT_FAILED;
		goto out;
	}
	doc = result_build(p, runs, p->nr, url, &started);
	ok = result_judge(doc, p, &err);
	if (write_outputs(&o->out, doc) < 0)
		rc = LT_FAILED;
	else if (stop_flag)
		rc = LT_INTERRUPTED;
	else if (!json_integer_value(json_object_get(doc, "requests")))
		rc = error("no request completed") ? LT_FAILED : LT_FAILED;
	else
		rc = ok || o->shards > 1 ? LT_OK : LT_FAILED;   /* copies: merge judges */
out:
	json_decref(doc);
	for (size_t i = 0; i < built; i++) {
		req_template_release(&tmpl[i]);
		run_stats_release(&runs[i].stats);
	}
	free(tmpl);
	free(runs);
	if (t.host || t.ssl_ctx)
		target_release(&t);
	strbuf_release(&err);
	return rc;
}

enum lt_exit cmd_run(int argc, char **argv, int adhoc)
{
	struct run_opts o = { 0 };
	struct plan p = { 0 };
	char *url = NULL;
	enum lt_exit rc;

	parse_args(&o, argc, argv, adhoc);
	check_outputs(&o.out);
	if (optind + 1 != argc)
		die(adhoc ? "give one URL (see 'loadtest --help')"
			  : "usage: loadtest run SCENARIO [--env NAME | --target URL] [options]");
	if (adhoc) {
		if (o.env || o.target)
			die("the ad-hoc mode takes the URL as its argument; --env and --target are for 'run'");
		adhoc_plan(&p, &o);
		url = xstrdup(argv[optind]);
	} else if (load_plan(&p, argv[optind]) < 0) {
		return LT_USAGE;
	}
	apply_common(&p, &o);
	if (!url)
		url = o.env ? env_target(&p, &o, o.env) : xstrdup(o.target ? o.target : p.target ? p.target : "");
	if (!*url)
		die("no target: give --target URL or --env NAME, or set 'target' in '%s'", argv[optind]);
	rc = run_plan(&p, url, &o);
	free(url);
	plan_release(&p);
	free(o.headers);
	free(o.thresholds);
	free(o.env_cacert);
	return rc;
}
