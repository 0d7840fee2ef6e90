/*
 * provisioner down ENV [--keep-logs]
 *
 * Stops an environment and removes all of it: processes (asked to
 * stop through the supervisor, then killed, then swept by the marker in
 * their environment, their cgroup and their user), namespaces, links,
 * nftables table, cgroup, user, files. It then checks that nothing is
 * left and fails if something is. It is in the audit log.
 */
#include "clock.h"
#include "cmd.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-teardown.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DOWN_LOCK_WAIT_MS 30000

static int keep_logs;

static const struct cli_option down_options[] = {
	ENV_OPTS,
	OPT_BOOL('k', "keep-logs", &keep_logs, "keep the logs under STATE/logs/ENV-TIME"),
	OPT_END(),
};

static enum cli_result cmd_down_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), *name = rt_resolve_name(ctx->argv[0]), *envdir;
	enum cli_result res = CLI_OK;
	struct strbuf err = STRBUF_INIT;
	uint64_t t0 = clock_ns();

	if (!state || !name) {
		free(state);
		free(name);
		return CLI_USAGE;
	}
	envdir = rt_env_dir(state, name);
	cmd_audit_env(ctx, name);
	if (!is_dir(envdir)) {
		fprintf(stderr, "no environment '%s'; nothing to do\n", name);
		cmd_data(ctx)->audit_detail = "no such environment";
	} else if (rt_remove(state, name, keep_logs, DOWN_LOCK_WAIT_MS, &err) < 0) {
		error("%s", err.buf);
		res = CLI_FAILED;
	} else {
		printf("environment %s is down (%.2f s)\n", name, clock_since(t0));
	}
	strbuf_release(&err);
	free(envdir);
	free(state);
	free(name);
	return res;
}

static const struct cli_exit down_exits[] = {
	{ 0, "gone" },
	{ 1, "something could not be removed (it is listed)" },
	{ 2, "usage error" },
	{ 0, NULL },
};

const struct cli_cmd cmd_down_entry = {
	.name = "down",
	.args = "ENV [--keep-logs]",
	.summary = "stop an environment and remove all of it",
	.help = "ENV is the environment's name (see 'provisioner list') or its definition\n"
		"file. Marks it 'stopping', then removes its processes, namespaces, links,\n"
		"nftables table, cgroup, user and files, then checks that none is left. An\n"
		"environment that does not exist is not an error; a name that is not an\n"
		"environment's ('', '../x') is (exit 2), and removes nothing.",
	.flags = CMD_AUDIT,
	.exits = down_exits,
	.options = down_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_down_exec,
};
