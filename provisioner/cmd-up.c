/*
 * provisioner up ENV_FILE [--branch B] [--wait] [--timeout DUR] [--loopback] [--dry-run]
 *                         [-o text|json|yaml]
 *
 * Stands the environment up on this machine and waits until every process
 * is healthy. The order is what makes it safe to kill at any point:
 *
 *   1. take the environment's lock (a second `up` waits, then fails); a
 *      `down` on its way (announced, or the state says "stopping"): let
 *      it finish first, then make the environment anew;
 *   2. healthy already: say so and stop (idempotent); a supervisor alive
 *      but something unhealthy: wait for it to repair; no supervisor (a
 *      crash): kill what is left and rebuild around the kept data;
 *   3. under the pool lock, pick an address block and (as root) the
 *      environment's own user, and write state.json BEFORE making
 *      anything, so gc and down always know what to remove; then the user;
 *   4. network, secrets, certificates, PostgreSQL clones, nginx config;
 *   5. start the detached supervisor, which starts the processes in
 *      dependency order; poll it until healthy.
 *
 * A failure, SIGINT or SIGTERM on a new environment tears down all of it;
 * on an existing one it leaves what was there. Each step, and how far the
 * processes are from healthy, is shown on stderr (cmd_progress).
 */
#include "clock.h"
#include "cmd.h"
#include "fsutil.h"
#include "rt-account.h"
#include "rt-env.h"
#include "rt-pool.h"
#include "rt-teardown.h"
#include "rt-net.h"
#include "rt-plan.h"
#include "rt-state.h"
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

static struct {
	int wait, no_wait, loopback, dry_run, output;
	uint64_t timeout_ms;
} opt = { .timeout_ms = DEFAULT_TIMEOUT_MS };

static const struct cli_option up_options[] = {
	ENV_OPTS,
	OPT_BOOL('w', "wait", &opt.wait, "wait until every process is healthy (the default)"),
	OPT_BOOL(0, "no-wait", &opt.no_wait, "return once the supervisor has started"),
	OPT_DURATION('t', "timeout", &opt.timeout_ms, "DUR", "how long to wait for health (default 2m)"),
	OPT_BOOL(0, "loopback", &opt.loopback, "no network namespaces, even as root"),
	OPT_BOOL('n', "dry-run", &opt.dry_run, "print the plan (what would run where; with -o json "
		 "the state.json to be) and make nothing"),
	OPT_OUTPUT(&opt.output),
	OPT_END(),
};

struct up {
	struct cli_ctx *ctx;
	const char *name;
	char *state, *envdir, *self;
	int lock, pool, fresh, json, quiet, netns;
	int answered;          /* the supervisor has answered once */
	uint64_t timeout_ms;
	uint64_t t0;           /* clock_ns() at the start */
	struct rt_plan *plan;
	struct rt_account account;   /* as root: its own user (rt-account.h) */
	struct cmd_progress progress;   /* what it is doing, on stderr */
};

static double elapsed(const struct up *u)
{
	return clock_since(u->t0);
}

/* The supervisor's answer to "status" into `rt` (to be released): 0, or -1 without one. */
static int supervisor_status(const char *envdir, struct rt_runtime *rt)
{
	struct strbuf err = STRBUF_INIT;
	char *answer = rt_control(envdir, "status", 1000);
	int ret = -1;

	rt_runtime_init(rt);
	if (answer)
		ret = rt_runtime_decode(rt, answer, strlen(answer), "the supervisor's answer", &err);
	free(answer);
	strbuf_release(&err);
	return ret;
}

/* The tail of each unhealthy process's log, for the error message. */
static void explain_unhealthy(struct up *u, const struct rt_runtime *rt, struct strbuf *out)
{
	for (size_t i = 0; i < rt->processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt->processes, struct rt_proc_now, i);
		const char *state = rt_pstate_names[p->state];
		char *log;

		if (p->healthy || p->state == RT_P_FENCED)
			continue;
		strbuf_addf(out, "  %s: %s", p->name, state);
		if (p->restarts)
			strbuf_addf(out, ", restarted %d times", p->restarts);
		if (*p->last_exit)
			strbuf_addf(out, ", last %s", p->last_exit);
		if (*p->check_error)
			strbuf_addf(out, ", its check: %s", p->check_error);
		if (p->state == RT_P_WAITING)
			strbuf_addstr(out, " (for what it depends on)");
		strbuf_addstr(out, "\n");
		log = xasprintf("%s/logs/%s.log", u->envdir, p->name);
		if (!access(log, R_OK) && p->state != RT_P_WAITING) {
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

/* Some process keeps failing: restarted CRASH_LIMIT times and not healthy. */
static int crashing(const struct rt_runtime *rt)
{
	for (size_t i = 0; i < rt->processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt->processes, struct rt_proc_now, i);

		if (p->restarts >= CRASH_LIMIT && !p->healthy)
			return 1;
	}
	return 0;
}

/* How far from healthy; a moment without an answer (the supervisor busy) changes nothing. */
static void say_waiting(struct up *u, const struct rt_runtime *rt)
{
	struct strbuf sb = STRBUF_INIT;

	if (rt) {
		cmd_health_summary(&sb, rt);
		cmd_progress(&u->progress, "waiting: %s", sb.buf);
		u->answered = 1;
	} else if (!u->answered) {
		cmd_progress(&u->progress, "waiting: the supervisor is starting");
	}
	strbuf_release(&sb);
}

/* Poll the supervisor: 0 healthy, -1 failed (err says why), 1 interrupted. */
static int wait_healthy(struct up *u, struct strbuf *err)
{
	long long start = clock_ms();
	struct rt_runtime rt;
	int ret;

	for (;;) {
		uint64_t ms;
		int answered, crash;

		if (interrupted)
			return 1;
		answered = supervisor_status(u->envdir, &rt) == 0;
		if (answered && rt.healthy) {
			ret = 0;
			break;
		}
		say_waiting(u, answered ? &rt : NULL);
		crash = answered && crashing(&rt);
		ms = (uint64_t)(clock_ms() - start);
		if (!answered && ms > 3000 && !rt_supervisor_pid(u->envdir)) {
			char *log = xasprintf("%s/logs/supervisor.log", u->envdir);

			strbuf_addf(err, "the supervisor of '%s' is not running; its log:\n", u->name);
			tail_file(log, 10, err);
			free(log);
			ret = -1;
			break;
		}
		if (crash || ms >= u->timeout_ms) {
			strbuf_addf(err, crash ? "'%s' did not come up: a process keeps failing\n"
					       : "'%s' did not become healthy within %.0f s\n",
				    u->name, u->timeout_ms / 1000.0);
			explain_unhealthy(u, &rt, err);
			ret = -1;
			break;
		}
		rt_runtime_release(&rt);
		sleep_ms(40);
	}
	rt_runtime_release(&rt);
	return ret;
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

static int save_state(struct up *u, enum rt_phase phase, struct strbuf *err)
{
	struct rt_state *st = rt_plan_state(u->plan);

	st->state = phase;
	return rt_state_save(st, u->envdir, err);
}

/*
 * As root, the user the environment runs as: the one its state records,
 * else (a new environment, or one made before environments had their
 * own) a free one, picked under the pool lock.
 */
static int pick_account(struct up *u, const struct rt_state *st, int index, struct strbuf *err)
{
	if (geteuid() != 0)
		return 0;
	if (st && st->account) {
		u->account.name = xstrdup(st->account->name);
		u->account.uid = st->account->uid;
		u->account.gid = st->account->gid;
		return 0;
	}
	return rt_account_alloc(&u->account, index, err);
}

/* Make it, once state.json records it; under the pool lock, so no other `up` picks its id. */
static int make_account(struct up *u, int index, struct strbuf *err)
{
	int pool = u->pool, ret;

	if (!u->account.name)
		return 0;
	if (pool < 0 && (pool = rt_pool_lock(u->state, err)) < 0)
		return -1;
	ret = rt_account_create(&u->account, u->envdir, index, err);
	if (pool != u->pool)
		close(pool);
	return ret;
}

/* Pick the block and record the plan under the pool lock: two `up`s never share one. */
static int plan_new_env(struct up *u, struct strbuf *err)
{
	struct rt_plan_opts o = { .state = u->state, .netns = u->netns, .self = u->self };

	u->pool = rt_pool_lock(u->state, err);   /* released once the network exists */
	if (u->pool < 0)
		return -1;
	o.index = rt_pool_alloc(u->state, u->netns, 0, err);
	if (o.index <= 0 || pick_account(u, NULL, o.index, err) < 0)
		return -1;
	o.account = u->account.name ? &u->account : NULL;
	if (!(u->plan = rt_plan_new(cmd_model(u->ctx), &o, err)) || mkdir_p(u->envdir, 0700) < 0 ||
	    save_state(u, RT_CREATING, err) < 0)
		return -1;
	return make_account(u, o.index, err);
}

static int plan_existing_env(struct up *u, const struct rt_state *st, struct strbuf *err)
{
	struct rt_plan_opts o = { .state = u->state, .self = u->self };

	o.netns = st->mode == RT_NETNS;
	o.index = st->index;
	u->netns = o.netns;
	/* one made before environments had their own user gets one (released by build) */
	if (geteuid() == 0 && !st->account && (u->pool = rt_pool_lock(u->state, err)) < 0)
		return -1;
	if (pick_account(u, st, o.index, err) < 0)
		return -1;
	o.account = u->account.name ? &u->account : NULL;
	u->plan = rt_plan_new(cmd_model(u->ctx), &o, err);
	if (!u->plan || save_state(u, RT_CREATING, err) < 0)
		return -1;
	return make_account(u, o.index, err);
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
	if (geteuid() != 0)
		fprintf(stderr, "note: its processes run as you, not as a user of its own: without root\n"
			"      there is no other user to keep out\n");
}

static void choose_mode(struct up *u)
{
	struct strbuf why = STRBUF_INIT;

	u->netns = !opt.loopback && rt_net_available(&why);
	if (!u->netns)
		say_limits(u, opt.loopback ? "--loopback given" : why.buf);
	strbuf_release(&why);
}

static int build(struct up *u, int *cold, struct strbuf *err)
{
	const struct rt_net *net = &rt_plan_state(u->plan)->net;

	if (!u->netns && rt_ports_free(u->plan, err) < 0)
		return -1;
	if (u->netns)
		cmd_progress(&u->progress, "network: %zu namespaces on bridge %s", net->nr_ns,
			     net->bridge);
	if (u->netns && rt_net_create(net, err) < 0)
		return -1;
	if (u->pool >= 0) {
		close(u->pool);
		u->pool = -1;
	}
	cmd_progress(&u->progress, "preparing: secrets, certificates, PostgreSQL, nginx");
	if (interrupted || rt_prepare(u->plan, cold, err) < 0 || interrupted)
		return -1;
	if (save_state(u, RT_STARTING, err) < 0)
		return -1;
	cmd_progress(&u->progress, "starting the supervisor");
	return spawn_supervisor(u, err);
}

static void print_result(struct up *u, const char *how)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_status s;

	cmd_progress_done(&u->progress);
	if (rt_status_load(&s, u->state, u->name, &err) < 0) {
		error("%s", err.buf);
	} else if (u->json) {
		json_t *doc = rt_status_json(&s);

		cmd_dump(doc, opt.output, 1);
		json_decref(doc);
	} else {
		printf("%s in %.2f s\n", how, elapsed(u));
		rt_status_print(stdout, &s);
	}
	rt_status_release(&s);
	strbuf_release(&err);
}

static enum cli_result fail(struct up *u, const char *msg)
{
	struct strbuf err = STRBUF_INIT;

	cmd_progress_done(&u->progress);
	error("%s", msg);
	if (u->fresh) {
		fprintf(stderr, "removing what was made of '%s'\n", u->name);
		if (rt_teardown(u->state, u->name, 1, &err) < 0)
			error("%s", err.buf);
		else
			fprintf(stderr, "the logs are kept under %s/logs\n", u->state);
	}
	strbuf_release(&err);
	return interrupted ? CLI_INTERRUPTED : CLI_FAILED;
}

/* An environment that exists: healthy, being repaired by its supervisor, or orphaned. */
static int existing(struct up *u, struct strbuf *err)
{
	if (rt_supervisor_pid(u->envdir) > 0) {
		struct rt_runtime rt;
		int healthy = supervisor_status(u->envdir, &rt) == 0 && rt.healthy;

		rt_runtime_release(&rt);
		return healthy;     /* 1: nothing to do; 0: wait for its supervisor to repair it */
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

/*
 * A `down` of this environment is on its way: it announced itself, or
 * died half-way and left it "stopping". Reporting it healthy now would be
 * true for a moment only. Let the down finish (giving the lock up
 * meanwhile), or finish a dead one's work, then take the lock again (a
 * new one: the old went with the directory) and look afresh. 0, or -1
 * with err.
 */
static int after_down(struct up *u, struct rt_state *st, int *have, struct strbuf *err)
{
	long long deadline = clock_ms() + (long long)u->timeout_ms;
	unsigned long long start;
	pid_t down;

	while ((down = rt_stop_pending(u->envdir)) || (*have == 0 && st->state == RT_STOPPING)) {
		if (!down) {
			if (!u->json)
				fprintf(stderr, "note: a down left '%s' half removed; removing the rest\n",
					u->name);
			if (rt_teardown(u->state, u->name, 0, err) < 0)
				return -1;
		} else {
			if (!u->json)
				fprintf(stderr, "note: '%s' is being removed (down, pid %d); it will be "
					"made anew once it is gone\n", u->name, (int)down);
			start = proc_start_time(down);
			close(u->lock);
			u->lock = -1;
			/* until it exits: once its directory is gone it still checks nothing is left */
			while (proc_alive(down, start) && !interrupted && clock_ms() < deadline)
				sleep_ms(50);
			if (interrupted)
				return strbuf_addstr(err, "interrupted"), -1;
		}
		if (u->lock >= 0)
			close(u->lock);
		u->lock = rt_lock(u->envdir, "up", (int)(deadline > clock_ms() ? deadline - clock_ms() : 0),
				  err);
		rt_state_release(st);
		if (u->lock < 0 || (*have = rt_state_load(st, u->envdir, err)) < 0)
			return -1;
	}
	return 0;
}

/*
 * Where a dry run's plan would go: the environment's own index and mode
 * when it exists (an unreadable state is planned as a new one), else the
 * next free index in the pool; -1 in o->index when there is none. 1: a
 * new environment, 0: an existing one.
 */
static int dry_run_place(struct up *u, struct rt_state *st, struct rt_plan_opts *o,
			 struct strbuf *err)
{
	int pool;

	if (rt_state_load(st, u->envdir, err) == 0) {
		o->netns = st->mode == RT_NETNS;
		o->index = st->index;
		if (pick_account(u, st, o->index, err) < 0)
			o->index = -1;
		return 0;
	}
	strbuf_reset(err);
	pool = rt_pool_lock(u->state, err);
	choose_mode(u);
	o->netns = u->netns;
	o->index = pool < 0 ? -1 : rt_pool_alloc(u->state, u->netns, 1, err);
	if (o->index > 0 && pick_account(u, NULL, o->index, err) < 0)
		o->index = -1;
	if (pool >= 0)
		close(pool);
	return 1;
}

/* The state.json an up would write, as JSON or YAML. */
static void print_state_doc(const struct rt_state *st)
{
	char *s = rt_state_encode(st);
	json_t *doc = opt.output == CMD_OUTPUT_YAML ? json_loads(s, 0, NULL) : NULL;

	if (doc)
		cmd_dump(doc, CMD_OUTPUT_YAML, 1);
	else
		fputs(s, stdout);
	json_decref(doc);
	free(s);
}

/*
 * --dry-run: the plan an up would make now, for people (what runs where),
 * or with -o json the state.json it would write; nothing is written.
 */
static enum cli_result dry_run(struct up *u)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_plan_opts o = { .state = u->state, .self = u->self };
	struct rt_plan *p = NULL;
	struct rt_state st;
	enum cli_result res = CLI_OK;
	int fresh = dry_run_place(u, &st, &o, &err);

	o.account = u->account.name ? &u->account : NULL;
	if (o.index > 0)
		p = rt_plan_new(cmd_model(u->ctx), &o, &err);
	if (!p) {
		error("%s", err.buf);
		res = CLI_FAILED;
	} else if (opt.output == CMD_OUTPUT_TEXT) {
		cmd_print_plan(rt_plan_state(p), cmd_model(u->ctx), u->envdir, fresh);
	} else {
		print_state_doc(rt_plan_state(p));
	}
	rt_plan_free(p);
	rt_state_release(&st);
	strbuf_release(&err);
	return res;
}

/* Plan (anew, or again for one that exists) and build; -1 with err. */
static int make(struct up *u, struct rt_state *st, int have, int *cold, struct strbuf *err)
{
	int rc;

	if (have == 0) {
		rc = plan_existing_env(u, st, err);
	} else {
		u->fresh = 1;
		choose_mode(u);
		rc = plan_new_env(u, err);
	}
	if (rc < 0 || build(u, cold, err) < 0) {
		if (!err->len)
			strbuf_addstr(err, "interrupted");
		return -1;
	}
	return 0;
}

/*
 * Bring the environment to healthy under its lock: wait out a down, find
 * what exists, plan and build what is missing, wait for health.
 */
static enum cli_result converge(struct up *u, struct rt_state *st)
{
	struct strbuf err = STRBUF_INIT;
	enum cli_result res = CLI_OK;
	int cold = 0, ex = 2, rc, have;

	u->lock = rt_lock(u->envdir, "up", (int)u->timeout_ms, &err);
	if (u->lock < 0) {
		res = (error("%s", err.buf), CLI_FAILED);
		goto out;
	}
	rt_state_release(st);
	have = rt_state_load(st, u->envdir, &err);
	if (have >= 0 && after_down(u, st, &have, &err) < 0)
		have = -1;
	if (have < 0 || (have == 0 && (ex = existing(u, &err)) < 0)) {
		res = (error("%s", err.buf), interrupted ? CLI_INTERRUPTED : CLI_FAILED);
		goto out;
	}
	if (ex == 1) {
		if (st->state != RT_RUNNING) {
			/* the up that made it died after the processes were healthy */
			st->state = RT_RUNNING;
			rt_state_save(st, u->envdir, NULL);
		}
		print_result(u, "already up and healthy; checked");
		goto out;
	}
	if (ex == 2 && make(u, st, have, &cold, &err) < 0) {
		res = fail(u, err.buf);
		goto out;
	}
	if (opt.no_wait) {
		print_result(u, "started; not waiting for health");
		goto out;
	}
	rc = wait_healthy(u, &err);
	if (rc) {
		res = fail(u, rc > 0 ? "interrupted" : err.buf);
		goto out;
	}
	if (u->plan)
		save_state(u, RT_RUNNING, NULL);
	print_result(u, u->fresh ? (cold ? "up (PostgreSQL template made first)" : "up") : "repaired");
out:
	strbuf_release(&err);
	return res;
}

static enum cli_result cmd_up_exec(struct cli_ctx *ctx)
{
	struct up u = { .ctx = ctx, .lock = -1, .pool = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	enum cli_result res;
	struct rt_state st;

	u.t0 = clock_ns();
	u.name = cmd_model(ctx)->env_name;
	u.json = opt.output != CMD_OUTPUT_TEXT;
	cmd_progress_init(&u.progress, "up");
	u.timeout_ms = opt.timeout_ms;
	rt_state_init(&st);
	u.state = state_dir();
	u.self = realpath("/proc/self/exe", NULL);
	if (!u.state || !u.self) {
		error("cannot find the state directory or this program");
		res = CLI_FAILED;
		goto out;
	}
	u.envdir = rt_env_dir(u.state, u.name);
	cmd_data(ctx)->audit_detail = u.name;
	/*
	 * Everything we run (ip, nft, cp, initdb, the supervisor) inherits the
	 * marker, so if we are killed while one of them runs, gc's sweep finds
	 * and kills it before it can make something after the teardown.
	 */
	setenv(RT_ENV_MARKER, u.name, 1);
	setenv(RT_STATE_MARKER, u.state, 1);
	if (opt.dry_run) {
		u.quiet = 1;   /* the notes about loopback mode go unsaid: the JSON says "mode" */
		res = dry_run(&u);
		goto out;
	}
	/* PostgreSQL and the services run as the environment's user: they must traverse it */
	if (geteuid() == 0)
		chmod(u.state, 0711);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	res = converge(&u, &st);
out:
	rt_state_release(&st);
	rt_plan_free(u.plan);
	if (u.pool >= 0)
		close(u.pool);
	if (u.lock >= 0)
		close(u.lock);
	rt_account_release(&u.account);
	cmd_progress_done(&u.progress);
	free(u.state);
	free(u.envdir);
	free(u.self);
	return res;
}

static const struct cli_exit up_exits[] = {
	{ 0, "up" },
	{ 1, "it did not come up (and nothing of it is left), a program is missing,\n"
	     "or another provisioner holds the environment" },
	{ 2, "bad definition or usage" },
	{ 130, "interrupted (and nothing of it is left)" },
	{ 0, NULL },
};

const struct cli_cmd cmd_up_entry = {
	.name = "up",
	.args = "ENV_FILE [--branch B] [--wait | --no-wait] [--timeout DUR] [--loopback] [--dry-run]\n"
		"       [-o text|json|yaml]",
	.summary = "stand an environment up on this machine and wait until it is healthy",
	.help = "Runs the definition as real processes: one network namespace per region\n"
		"and one for the gateway (as root; otherwise loopback addresses), a\n"
		"PostgreSQL primary and streaming replica per datastore, each service's\n"
		"replicas, nginx as the gateway with TLS from the environment's own CA,\n"
		"and a supervisor that restarts what dies and fails over datastores.\n"
		"Running it again does nothing if all is healthy, and repairs what is not.\n"
		"Prints the gateway URL, CA file, credentials file and addresses.",
	.flags = CMD_NEEDS_ENV | CMD_AUDIT,
	.exits = up_exits,
	.options = up_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_up_exec,
};
