/*
 * provisioner validate ENV_FILE: load, merge, resolve and check a
 * definition. The dispatcher does the work (CMD_NEEDS_ENV); this reports.
 */
#include "cmd.h"

#include <stdio.h>

static const struct cmd_opt validate_opts[] = {
	ENV_OPTS,
	{ "quiet", 'q', 0, NULL, "print nothing when the definition is valid" },
	{ NULL },
};

static enum cmd_result cmd_validate_exec(struct cmd_ctx *ctx)
{
	const struct env_model *m = ctx->model;

	if (!cmd_flag(ctx, "quiet"))
		printf("%s: valid (environment '%s', %zu services, %zu datastores, %zu regions)\n",
		       m->file, m->env_name, m->services.nr, m->datastores.nr, m->regions.nr);
	return CMD_OK;
}

const struct cmd_entry cmd_validate_entry = {
	.name = "validate",
	.args = "ENV_FILE [--branch B] [--commit C] [-q]",
	.summary = "check a definition: syntax, types, units, references, cycles",
	.help = "Errors are printed as FILE:LINE:COLUMN: message, every one found,\n"
		"and the exit status is 2.",
	.flags = CMD_NEEDS_ENV,
	.opts = validate_opts,
	.min_args = 1, .max_args = 1,
	.exec = cmd_validate_exec,
};
