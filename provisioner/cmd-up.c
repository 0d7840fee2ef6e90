/*
 * provisioner up ENV_FILE [--branch B] [--wait] [--timeout T] [--loopback] [-o json]
 *
 * Stands the environment up on this machine and waits until every process
 * is healthy. The order is what makes it safe to kill at any point:
 *
 *   1. take the environment's lock (a second `up` waits, then fails);
 *   2. healthy already: say so and stop (idempotent); a supervisor alive
 *      but something unhealthy: wait for it to repair; no supervisor (a
 *      crash): kill what is left and rebuild around the kept data;
 *   3. under the pool lock, pick an address block and write state.json
 *      BEFORE making anything, so gc and down always know what to remove;
 *   4. network, secrets, certificates, PostgreSQL clones, nginx config;
 *   5. start the detached supervisor, which starts the processes in
 *      dependency order; poll it until healthy.
 *
 * A failure, SIGINT or SIGTERM on a new environment tears down all of it;
 * on an existing one it leaves what was there.
 */
#include "clock.h"
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-pool.h"
#include "rt-teardown.h"
#include "rt-net.h"
#include "rt-plan.h"
#include "rt-status.h"
#include "run-command.h"
#include "state.h"
#include "strbuf.h"
#include "strv.h"
#include "units.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 120000
#define CRASH_LIMIT 3

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static const struct cmd_opt up_opts[] = {
	ENV_OPTS,
	{ "wait", 'w', 0, NULL, "wait until every process is healthy (the default)" },
	{ "no-wait", 0, 0, NULL, "return once the supervisor has started" },
	{ "timeout", 't', OPT_ARG, "T", "how long to wait for health (default 2m)" },
	{ "loopback", 0, 0, NULL, "no network namespaces, even as root" },
	{ "dry-run", 'n', 0, NULL, "print the plan (state.json to be) and make nothing" },
	{ "output", 'o', OPT_ARG, "FORMAT", "text (default) or json" },
	{ NULL },
};

struct up {
	struct cmd_ctx *ctx;
	const char *name;
	char *state, *envdir, *self;
	int lock, pool, fresh, json, quiet, netns;
	uint64_t timeout_ms;
	uint64_t t0;           /* clock_ns() at the start */
	struct rt_plan *plan;
};

static double elapsed(const struct up *u)
{
	return clock_since(u->t0);
}

static json_t *supervisor_status(const char *envdir)
{
	char *answer = rt_control(envdir, "status", 1000);
	json_t *doc = answer ? json_loads(answer, 0, NULL) : NULL;

	free(answer);
	return doc;
}

/* The tail of each unhealthy process's log, for the error message. */
static void explain_unhealthy(struct up *u, json_t *rt, struct strbuf *out)
{
	json_t *procs = json_object_get(rt, "processes"), *p;
	const char *name;

	json_object_foreach(procs, name, p) {
		char *log;

		if (json_is_true(json_object_get(p, "healthy")) ||
		    !strcmp(rt_str(p, "state"), "fenced"))
			continue;
		strbuf_addf(out, "  %s: %s", name, rt_str(p, "state"));
		if (rt_int(p, "restarts"))
			strbuf_addf(out, ", restarted %lld times", rt_int(p, "restarts"));
		if (*rt_str(p, "last_exit"))
			strbuf_addf(out, ", last %s", rt_str(p, "last_exit"));
		if (!strcmp(rt_str(p, "state"), "waiting"))
			strbuf_addstr(out, " (for what it depends on)");
		strbuf_addstr(out, "\n");
		log = xasprintf("%s/logs/%s.log", u->envdir, name);
		if (!access(log, R_OK) && strcmp(rt_str(p, "state"), "waiting")) {
			struct strbuf tail = STRBUF_INIT;

			tail_file(log, 8, &tail);
			strbuf_rtrim(&tail);
			if (tail.len) {
				strbuf_addf(out, "    last lines of %s:\n", log);
				for (char *l = strtok(tail.buf, "\n"); l; l = strtok(NULL, "\n"))
					strbuf_addf(out, "    | %s\n", l);
			}
			strbuf_release(&tail);
		}
		free(log);
	}
}

/* Poll the supervisor: 0 healthy, -1 failed (err says why), 1 interrupted. */
static int wait_healthy(struct up *u, struct strbuf *err)
{
	long long start = clock_ms();
	json_t *rt = NULL;

	for (;;) {
		uint64_t ms;
		json_t *p;
		const char *name;
		int crashing = 0;

		if (interrupted)
			return 1;
		json_decref(rt);
		rt = supervisor_status(u->envdir);
		if (rt && json_is_true(json_object_get(rt, "healthy"))) {
			json_decref(rt);
			return 0;
		}
		json_object_foreach(json_object_get(rt, "processes"), name, p)
			if (rt_int(p, "restarts") >= CRASH_LIMIT &&
			    !json_is_true(json_object_get(p, "healthy")))
				crashing = 1;
		ms = (uint64_t)(clock_ms() - start);
		if (!rt && ms > 3000 && !rt_supervisor_pid(u->envdir)) {
			char *log = xasprintf("%s/logs/supervisor.log", u->envdir);

			strbuf_addf(err, "the supervisor of '%s' is not running; its log:\n", u->name);
			tail_file(log, 10, err);
			free(log);
			return -1;
		}
		if (crashing || ms >= u->timeout_ms) {
			strbuf_addf(err, crashing ? "'%s' did not come up: a process keeps failing\n"
						  : "'%s' did not become healthy within %.0f s\n",
				    u->name, u->timeout_ms / 1000.0);
			explain_unhealthy(u, rt, err);
			json_decref(rt);
			return -1;
		}
		sleep_ms(40);
	}
}

/*
 * The supervisor's own binary, beside this one: it links only what it
 * uses, so it holds less memory for the environment's whole life. Without
 * it (a partial install), this binary's hidden `supervise` does the same.
 */
static char *supervisor_binary(const char *self)
{
	char *dir = path_dirname(self);
	const char *beside[] = { dir, NULL };
	const struct program_search s = { .before = beside, .no_path = 1 };
	char *bin = find_program("provisioner-supervisor", &s);

	free(dir);
	return bin;
}

/*
 * Detached, in a session of its own, its output appended to its log.
 * start_command returns once it has exec'd: only then does its
 * environment carry the marker a teardown finds processes by, so an `up`
 * interrupted right after cannot miss it.
 */
static int spawn_supervisor(struct up *u, struct strbuf *err)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	char *log = xasprintf("%s/logs/supervisor.log", u->envdir);
	char *bin = supervisor_binary(u->self);
	char *state = xasprintf("PROVISIONER_STATE_DIR=%s", u->state);
	char *marker = xasprintf("%s=%s", RT_ENV_MARKER, u->name);
	const char *set[] = { state, marker, NULL };
	const char *own[] = { "provisioner-supervisor", u->name, NULL };
	const char *hidden[] = { "provisioner", "supervise", u->name, NULL };
	char **env = env_with(set);
	int ret = -1;

	cp.out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (cp.out < 0) {
		strbuf_addf(err, "cannot open '%s': %s", log, strerror(errno));
		goto out;
	}
	cp.program = bin ? bin : u->self;
	cp.argv = bin ? own : hidden;
	cp.env = (const char **)env;
	cp.detach = 1;
	ret = start_command(&cp, err);
	close(cp.out);
out:
	strv_free(env);
	free(marker);
	free(state);
	free(bin);
	free(log);
	return ret;
}

static int save_state(struct up *u, const char *phase, struct strbuf *err)
{
	json_t *st = rt_plan_state(u->plan);
	char *path = rt_env_path(u->envdir, "state.json");
	int ret;

	json_object_set_new(st, "state", json_string(phase));
	ret = rt_json_save(path, st, err);
	free(path);
	return ret;
}

/* Pick the block and record the plan under the pool lock: two `up`s never share one. */
static int plan_new_env(struct up *u, struct strbuf *err)
{
	struct rt_plan_opts o = { .state = u->state, .netns = u->netns, .self = u->self };
	int ret = -1;

	u->pool = rt_pool_lock(u->state, err);   /* released once the network exists */
	if (u->pool < 0)
		return -1;
	o.index = rt_pool_alloc(u->state, u->netns, 0, err);
	if (o.index > 0 && (u->plan = rt_plan_new(u->ctx->model, &o, err)) &&
	    mkdir_p(u->envdir, 0711) == 0)
		ret = save_state(u, "creating", err);
	return ret;
}

static int plan_existing_env(struct up *u, json_t *st, struct strbuf *err)
{
	struct rt_plan_opts o = { .state = u->state, .self = u->self };

	o.netns = !strcmp(rt_str(st, "mode"), "netns");
	o.index = (int)rt_int(st, "index");
	u->netns = o.netns;
	u->plan = rt_plan_new(u->ctx->model, &o, err);
	if (!u->plan)
		return -1;
	return save_state(u, "creating", err);
}

static void say_limits(struct up *u, const char *why)
{
	if (u->quiet)
		return;
	fprintf(stderr, "note: %s\n"
		"note: running on loopback addresses instead: the regions share the host's\n"
		"      network, so there is no isolation between them and no network faults\n"
		"      (partitions, link loss) can be injected; processes, PostgreSQL\n"
		"      replication, failover and the gateway work as usual\n", why);
}

static void choose_mode(struct up *u)
{
	struct strbuf why = STRBUF_INIT;

	u->netns = !cmd_flag(u->ctx, "loopback") && rt_net_available(&why);
	if (!u->netns)
		say_limits(u, cmd_flag(u->ctx, "loopback") ? "--loopback given" : why.buf);
	strbuf_release(&why);
}

static int build(struct up *u, int *cold, struct strbuf *err)
{
	json_t *st = rt_plan_state(u->plan);

	if (!u->netns && rt_ports_free(u->plan, err) < 0)
		return -1;
	if (u->netns) {
		struct rt_net net;
		int ret;

		rt_net_from_json(&net, st);
		ret = rt_net_create(&net, err);
		rt_net_release(&net);
		if (ret < 0)
			return -1;
	}
	if (u->pool >= 0) {
		close(u->pool);
		u->pool = -1;
	}
	if (interrupted || rt_prepare(u->plan, cold, err) < 0 || interrupted)
		return -1;
	if (save_state(u, "starting", err) < 0)
		return -1;
	return spawn_supervisor(u, err);
}

static void print_result(struct up *u, const char *how)
{
	struct strbuf err = STRBUF_INIT;
	json_t *doc = rt_status_doc(u->state, u->name, &err);

	if (!doc) {
		error("%s", err.buf);
	} else if (u->json) {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	} else {
		printf("%s in %.2f s\n", how, elapsed(u));
		rt_status_print(stdout, doc);
	}
	json_decref(doc);
	strbuf_release(&err);
}

static enum cmd_result fail(struct up *u, const char *msg)
{
	struct strbuf err = STRBUF_INIT;

	error("%s", msg);
	if (u->fresh) {
		fprintf(stderr, "removing what was made of '%s'\n", u->name);
		if (rt_teardown(u->state, u->name, 1, &err) < 0)
			error("%s", err.buf);
		else
			fprintf(stderr, "the logs are kept under %s/logs\n", u->state);
	}
	strbuf_release(&err);
	return interrupted ? CMD_INTERRUPTED : CMD_FAILED;
}

/* An environment that exists: healthy, being repaired by its supervisor, or orphaned. */
static int existing(struct up *u, json_t *st, struct strbuf *err)
{
	json_t *rt;

	if (rt_supervisor_pid(u->envdir) > 0) {
		rt = supervisor_status(u->envdir);
		if (rt && json_is_true(json_object_get(rt, "healthy"))) {
			json_decref(rt);
			return 1;   /* nothing to do */
		}
		json_decref(rt);
		return 0;           /* wait for its supervisor to repair it */
	}
	/* its supervisor is gone: kill what is left, keep the data, build again */
	if (!u->json)
		fprintf(stderr, "note: '%s' has no supervisor; repairing it\n", u->name);
	if (rt_kill_all(u->state, u->name) < 0) {
		strbuf_addf(err, "processes of '%s' cannot be stopped", u->name);
		return -1;
	}
	return 2;
}

/* --dry-run: the plan an up would make now, as JSON; nothing is written. */
static enum cmd_result dry_run(struct up *u)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_plan_opts o = { .state = u->state, .self = u->self };
	char *path = rt_env_path(u->envdir, "state.json");
	json_t *st = rt_json_load(path, NULL);
	struct rt_plan *p = NULL;
	enum cmd_result res = CMD_OK;

	free(path);
	if (st) {
		o.netns = !strcmp(rt_str(st, "mode"), "netns");
		o.index = (int)rt_int(st, "index");
	} else {
		int pool = rt_pool_lock(u->state, &err);

		choose_mode(u);
		o.netns = u->netns;
		o.index = pool < 0 ? -1 : rt_pool_alloc(u->state, u->netns, 1, &err);
		if (pool >= 0)
			close(pool);
	}
	if (o.index > 0)
		p = rt_plan_new(u->ctx->model, &o, &err);
	if (!p) {
		error("%s", err.buf);
		res = CMD_FAILED;
	} else {
		char *s = json_dumps(rt_plan_state(p), JSON_INDENT(2) | JSON_SORT_KEYS);

		printf("%s\n", s);
		free(s);
	}
	rt_plan_free(p);
	json_decref(st);
	strbuf_release(&err);
	return res;
}

static enum cmd_result cmd_up_exec(struct cmd_ctx *ctx)
{
	struct up u = { .ctx = ctx, .lock = -1, .pool = -1 };
	struct strbuf err = STRBUF_INIT;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *fmt = cmd_opt(ctx, "output"), *t = cmd_opt(ctx, "timeout"), *why;
	enum cmd_result res = CMD_OK;
	json_t *st = NULL;
	char *path;
	int cold = 0, ex = 2, rc;

	u.t0 = clock_ns();
	u.name = ctx->model->env_name;
	u.json = fmt && !strcmp(fmt, "json");
	if (fmt && !u.json && strcmp(fmt, "text"))
		return error("unknown output format '%s' (expected text or json)", fmt), CMD_USAGE;
	u.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (t && parse_duration_ms(t, &u.timeout_ms, &why) < 0)
		return error("--timeout: %s", why), CMD_USAGE;
	u.state = state_dir();
	u.self = realpath("/proc/self/exe", NULL);
	if (!u.state || !u.self) {
		error("cannot find the state directory or this program");
		res = CMD_FAILED;
		goto out;
	}
	u.envdir = rt_env_dir(u.state, u.name);
	ctx->audit_detail = u.name;
	/*
	 * Everything we run (ip, nft, cp, initdb, the supervisor) inherits the
	 * marker, so if we are killed while one of them runs, gc's sweep finds
	 * and kills it before it can make something after the teardown.
	 */
	setenv(RT_ENV_MARKER, u.name, 1);
	if (cmd_flag(ctx, "dry-run")) {
		u.quiet = 1;   /* the notes about loopback mode go unsaid: the JSON says "mode" */
		res = dry_run(&u);
		goto out;
	}
	/* PostgreSQL and the services run as other users: they must traverse it */
	if (geteuid() == 0)
		chmod(u.state, 0711);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	u.lock = rt_lock(u.envdir, "up", (int)u.timeout_ms, &err);
	if (u.lock < 0) {
		res = (error("%s", err.buf), CMD_FAILED);
		goto out;
	}
	path = rt_env_path(u.envdir, "state.json");
	st = rt_json_load(path, NULL);
	free(path);
	if (st && (ex = existing(&u, st, &err)) < 0) {
		res = (error("%s", err.buf), CMD_FAILED);
		goto out;
	}
	if (ex == 1) {
		if (strcmp(rt_str(st, "state"), "running")) {
			/* the up that made it died after the processes were healthy */
			path = rt_env_path(u.envdir, "state.json");
			json_object_set_new(st, "state", json_string("running"));
			rt_json_save(path, st, NULL);
			free(path);
		}
		print_result(&u, "already up and healthy; checked");
		goto out;
	}
	if (ex == 2) {
		if (st) {
			rc = plan_existing_env(&u, st, &err);
		} else {
			u.fresh = 1;
			choose_mode(&u);
			rc = plan_new_env(&u, &err);
		}
		if (rc < 0 || build(&u, &cold, &err) < 0) {
			if (!err.len)
				strbuf_addstr(&err, "interrupted");
			res = fail(&u, err.buf);
			goto out;
		}
	}
	if (cmd_flag(ctx, "no-wait")) {
		print_result(&u, "started; not waiting for health");
		goto out;
	}
	rc = wait_healthy(&u, &err);
	if (rc) {
		res = fail(&u, rc > 0 ? "interrupted" : err.buf);
		goto out;
	}
	if (u.plan)
		save_state(&u, "running", NULL);
	print_result(&u, u.fresh ? (cold ? "up (PostgreSQL template made first)" : "up")
				 : "repaired");
out:
	json_decref(st);
	rt_plan_free(u.plan);
	if (u.pool >= 0)
		close(u.pool);
	if (u.lock >= 0)
		close(u.lock);
	strbuf_release(&err);
	free(u.state);
	free(u.envdir);
	free(u.self);
	return res;
}

const struct cmd_entry cmd_up_entry = {
	.name = "up",
	.args = "ENV_FILE [--branch B] [--wait | --no-wait] [--timeout T] [--loopback] [--dry-run]\n"
		"       [-o json]",
	.summary = "stand an environment up on this machine and wait until it is healthy",
	.help = "Runs the definition as real processes: one network namespace per region\n"
		"and one for the gateway (as root; otherwise loopback addresses), a\n"
		"PostgreSQL primary and streaming replica per datastore, each service's\n"
		"replicas, nginx as the gateway with TLS from the environment's own CA,\n"
		"and a supervisor that restarts what dies and fails over datastores.\n"
		"Running it again does nothing if all is healthy, and repairs what is not.\n"
		"Prints the gateway URL, CA file, credentials file and addresses.\n"
		"\n"
		"exit status: 0 up, 1 it did not come up (and nothing of it is left), a\n"
		"program is missing, or another provisioner holds the environment; 2 bad\n"
		"definition or usage; 130 interrupted (and nothing of it is left)",
	.flags = CMD_NEEDS_ENV | CMD_AUDIT,
	.opts = up_opts,
	.min_args = 1, .max_args = 1,
	.exec = cmd_up_exec,
};
