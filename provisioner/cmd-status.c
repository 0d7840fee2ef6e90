/*
 * provisioner status [ENV] [-o json]
 *
 * An environment's state, gateway, processes and datastores; every
 * environment without ENV. Read-only: it takes no lock, so it works while
 * an `up` or `down` is running.
 */
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

static int output;

static const struct cli_option status_options[] = {
	ENV_OPTS,
	OPT_OUTPUT(&output),
	OPT_END(),
};

static enum cli_result cmd_status_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), **names = NULL, *one = NULL;
	struct strbuf err = STRBUF_INIT;
	enum cli_result res = CLI_OK;
	json_t *all = json_array();
	size_t nr = 0;
	int json = output == CMD_OUTPUT_JSON;

	if (!state) {
		res = CLI_FAILED;
		goto out;
	}
	if (ctx->argc) {
		one = rt_resolve_name(ctx->argv[0]);
		if (!one) {
			res = CLI_USAGE;
			goto out;
		}
		names = xcalloc(2, sizeof(*names));
		names[0] = one;
		nr = 1;
	} else {
		names = cmd_env_names(state, &nr);
	}
	for (size_t i = 0; i < nr; i++) {
		struct rt_status s;
		json_t *doc;

		strbuf_reset(&err);
		if (rt_status_load(&s, state, names[i], &err) < 0) {
			error("%s", err.buf);
			res = CLI_FAILED;
			rt_status_release(&s);
			continue;
		}
		doc = rt_status_json(&s);
		if (one && json)
			cmd_dump_json(doc);
		else if (!json)
			rt_status_print(stdout, &s);
		if (!one)
			json_array_append(all, doc);
		json_decref(doc);
		rt_status_release(&s);
	}
	if (!one && json)
		cmd_dump_json(all);
	else if (!one && !nr)
		printf("no environments (state directory %s)\n", state);
out:
	json_decref(all);
	free_list(names);
	free(state);
	strbuf_release(&err);
	return res;
}

const struct cli_cmd cmd_status_entry = {
	.name = "status",
	.args = "[ENV] [-o json]",
	.summary = "show an environment's processes, addresses and health",
	.help = "Without ENV, every environment. The JSON is what pipelines, 'loadtest\n"
		"--env' and chaos read: name, state (running, degraded, failed,\n"
		"creating, starting, stopping), gateway {url, ca_file, username,\n"
		"password_file}, each service's replicas {name, region, address, pid,\n"
		"healthy, check_error} and each datastore's primary and replicas.\n"
		"Health is what the supervisor's checks found: without a live supervisor\n"
		"it is unknown (null), and a pid is shown only while that process exists.\n"
		"See README.md.",
	.options = status_options,
	.min_args = 0, .max_args = 1,
	.exec = cmd_status_exec,
};
