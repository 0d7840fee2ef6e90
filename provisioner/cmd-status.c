/*
 * provisioner status [ENV] [-o text|json|yaml] [--wait [--timeout DUR]]
 *
 * An environment's state, gateway, processes and datastores; every
 * environment without ENV. Read-only: it takes no lock, so it works while
 * an `up` or `down` is running.
 *
 * --wait polls until ENV is healthy (0), the timeout passes (1, saying
 * what is not healthy), or waiting cannot help (3: nothing is left to
 * make it healthy, since its supervisor is gone and no `up` is at work).
 * Without --wait it exits 3 too when a failover waits for a person
 * (state needs-attention: promoting would lose more than failover.rpo).
 */
#include "clock.h"
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-status.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 120000
#define POLL_MS 250

static int output, wait;
static uint64_t timeout_ms;   /* 0: not given */

static const struct cli_option status_options[] = {
	ENV_OPTS,
	OPT_OUTPUT(&output),
	OPT_BOOL('w', "wait", &wait, "wait until ENV is healthy (exit 0), the timeout passes (1) "
		 "or it needs a person (3)"),
	OPT_DURATION('t', "timeout", &timeout_ms, "DUR", "how long --wait waits (default 2m)"),
	OPT_END(),
};

static void print_one(const struct rt_status *s)
{
	json_t *doc;

	if (output == CMD_OUTPUT_TEXT) {
		rt_status_print(stdout, s);
		return;
	}
	doc = rt_status_json(s);
	cmd_dump(doc, output, 1);
	json_decref(doc);
}

/*
 * Nothing will make it healthy without a person: its supervisor is gone
 * and no `up` is working on it, or a failover waits for a decision.
 */
static int needs_person(const struct rt_status *s)
{
	if (!strcmp(s->state, "needs-attention"))
		return 1;
	return !s->alive && (s->st.state == RT_RUNNING || !rt_lock_busy(s->dir));
}

static enum cli_result wait_for(const char *state, const char *name)
{
	struct strbuf err = STRBUF_INIT, why = STRBUF_INIT;
	struct cmd_progress pr;
	long long start = clock_ms();
	enum cli_result res;
	struct rt_status s;

	cmd_progress_init(&pr, "status --wait");
	for (;;) {
		strbuf_reset(&why);
		if (rt_status_load(&s, state, name, &err) < 0) {
			cmd_progress_done(&pr);
			error("%s", err.buf);
			res = CLI_FAILED;   /* it was there a moment ago: removed while we waited */
			break;
		}
		cmd_health_summary(&why, &s.rt);
		if (!strcmp(s.state, "running") || needs_person(&s) ||
		    (uint64_t)(clock_ms() - start) >= timeout_ms) {
			cmd_progress_done(&pr);
			res = !strcmp(s.state, "running") ? CLI_OK
			      : needs_person(&s) ? CLI_NEEDS_PERSON : CLI_FAILED;
			if (res == CLI_NEEDS_PERSON && !strcmp(s.state, "needs-attention"))
				error("'%s' needs a person: %s", name, s.reason);
			else if (res == CLI_NEEDS_PERSON)
				error("'%s' needs a person: its supervisor is gone, so nothing will "
				      "repair it ('provisioner up' again, or 'down')", name);
			else if (res == CLI_FAILED)
				error("'%s' is not healthy after %.0f s: %s", name, timeout_ms / 1000.0,
				      why.buf);
			print_one(&s);
			break;
		}
		cmd_progress(&pr, "%s: %s", s.state, why.buf);
		rt_status_release(&s);
		sleep_ms(POLL_MS);
	}
	rt_status_release(&s);
	strbuf_release(&err);
	strbuf_release(&why);
	return res;
}

static enum cli_result status_all(const char *state)
{
	struct strbuf err = STRBUF_INIT;
	enum cli_result res = CLI_OK;
	json_t *all = json_array();
	size_t nr;
	char **names = cmd_env_names(state, &nr);

	for (size_t i = 0; i < nr; i++) {
		struct rt_status s;

		strbuf_reset(&err);
		if (rt_status_load(&s, state, names[i], &err) < 0) {
			error("%s", err.buf);
			res = CLI_FAILED;
		} else if (output == CMD_OUTPUT_TEXT) {
			rt_status_print(stdout, &s);
		} else {
			json_array_append_new(all, rt_status_json(&s));
		}
		rt_status_release(&s);
	}
	if (output != CMD_OUTPUT_TEXT) {
		json_t *doc = json_pack("{s:s, s:O}", "format", CMD_FORMAT_STATUS_LIST,
					"environments", all);

		cmd_dump(doc, output, 1);
		json_decref(doc);
	} else if (!nr) {
		printf("no environments (state directory %s)\n", state);
	}
	json_decref(all);
	free_list(names);
	strbuf_release(&err);
	return res;
}

static enum cli_result status_one(const char *state, const char *arg)
{
	struct strbuf err = STRBUF_INIT;
	enum cli_result res = CLI_OK;
	char *name = cmd_env_arg(state, arg);
	struct rt_status s;

	if (!name)
		return CMD_NO_ENV;
	if (wait) {
		res = wait_for(state, name);
	} else if (rt_status_load(&s, state, name, &err) < 0) {
		error("%s", err.buf);
		res = CLI_FAILED;
		rt_status_release(&s);
	} else {
		print_one(&s);
		/* a failover that waits for a person's decision: say so in the exit status */
		if (!strcmp(s.state, "needs-attention"))
			res = CLI_NEEDS_PERSON;
		rt_status_release(&s);
	}
	strbuf_release(&err);
	free(name);
	return res;
}

static enum cli_result cmd_status_exec(struct cli_ctx *ctx)
{
	char *state = state_dir();
	enum cli_result res;

	if (wait && !timeout_ms)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	if (timeout_ms && !wait) {
		error("--timeout is how long --wait waits: give --wait too");
		res = CLI_USAGE;
	} else if (wait && !ctx->argc) {
		error("--wait needs the environment to wait for (see 'provisioner status --help')");
		res = CLI_USAGE;
	} else if (!state) {
		res = CLI_FAILED;
	} else {
		res = ctx->argc ? status_one(state, ctx->argv[0]) : status_all(state);
	}
	free(state);
	return res;
}

static const struct cli_exit status_exits[] = {
	{ 0, "ok; with --wait: healthy" },
	{ 1, "a state that cannot be read; with --wait: not healthy within the timeout" },
	{ 2, "usage error, or no such environment" },
	{ 3, "it needs a person: a failover waits for a decision (state needs-attention); "
	     "with --wait also: its supervisor is gone" },
	{ 0, NULL },
};

const struct cli_cmd cmd_status_entry = {
	.name = "status",
	.args = "[ENV] [-o text|json|yaml] [--wait [--timeout DUR]]",
	.summary = "show an environment's processes, addresses and health",
	.help = "Without ENV, every environment. The JSON is what pipelines, 'loadtest\n"
		"--env' and chaos read (\"format\": \"provisioner-status/2\"): name, state\n"
		"(running, degraded, needs-attention, failed, creating, starting, stopping),\n"
		"reason, gateway {url, ca_file, username, password_file}, each service's\n"
		"replicas {name, region, address, pid, healthy, check_error} and each\n"
		"datastore's primary, replicas, lag and last_failover. Health is what the supervisor's checks found: without a live\n"
		"supervisor it is unknown (null), and a pid is shown only while that\n"
		"process exists. See README.md. --wait waits until ENV is healthy,\n"
		"showing how far it is.",
	.exits = status_exits,
	.options = status_options,
	.min_args = 0, .max_args = 1,
	.exec = cmd_status_exec,
};
