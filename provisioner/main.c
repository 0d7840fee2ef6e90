/*
 * provisioner: renders and runs environments from one definition.
 *
 * This file holds the command table and what the dispatcher (lib/cli.c)
 * does around every command, once, from the command's flags: load the
 * definition (CMD_NEEDS_ENV) and write the audit record (CMD_AUDIT).
 */
#include "audit.h"
#include "cmd.h"
#include "color.h"
#include "diag.h"
#include "load.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef PROVISIONER_VERSION
#define PROVISIONER_VERSION "0.0.0"
#endif

static const struct cli_cmd *const commands[] = {
	&cmd_render_entry,
	&cmd_check_entry,
	&cmd_validate_entry,
	&cmd_name_entry,
	&cmd_show_entry,
	&cmd_up_entry,
	&cmd_status_entry,
	&cmd_list_entry,
	&cmd_logs_entry,
	&cmd_down_entry,
	&cmd_failover_entry,
	&cmd_gc_entry,
	&cmd_supervise_entry,
	NULL,
};

static const struct cli_exit exits[] = {
	{ 0, "ok" },
	{ 1, "the work found a problem (drift, invalid output)" },
	{ 2, "usage or input error" },
	{ 3, "the environment needs a person" },
	{ 130, "interrupted" },
	{ 0, NULL },
};

static enum cli_result load_env(struct cli_ctx *ctx)
{
	struct cmd_data *data = cmd_data(ctx);
	struct load_opts lo = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	enum cli_result res = CLI_OK;

	lo.branch = cmd_branch;
	lo.commit = cmd_commit;
	data->model = xmalloc(sizeof(*data->model));
	env_model_init(data->model);
	if (env_load(data->model, ctx->argv[0], &lo, &d) < 0) {
		diag_sort(&d);
		cli_print_diag(&d);
		res = CLI_USAGE;
	}
	diag_release(&d);
	return res;
}

static enum cli_result before(struct cli_ctx *ctx)
{
	if (ctx->cmd->flags & CMD_NEEDS_ENV)
		return load_env(ctx);
	return CLI_OK;
}

static void after(struct cli_ctx *ctx, enum cli_result res)
{
	struct cmd_data *data = cmd_data(ctx);

	if ((ctx->cmd->flags & CMD_AUDIT) && data->model && data->model->env_name)
		audit_record(ctx->cmd->name, data->model, res, data->audit_detail);
	else if ((ctx->cmd->flags & CMD_AUDIT) && data->audit_env)
		audit_record_env(ctx->cmd->name, data->audit_env, res, data->audit_detail);
	free(data->audit_env);
	data->audit_env = NULL;
	if (data->model) {
		env_model_free(data->model);
		free(data->model);
		data->model = NULL;
	}
}

static const struct cli_prog provisioner = {
	.name = "provisioner",
	.version = PROVISIONER_VERSION,
	.summary = "render Terraform and Kubernetes from one definition, and run it on this machine",
	.cmds = commands,
	.exits = exits,
	.before = before,
	.after = after,
};

int main(int argc, char **argv)
{
	struct cmd_data data = { 0 };

	return cli_main(&provisioner, argc, argv, &data);
}
