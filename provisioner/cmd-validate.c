/*
 * provisioner validate ENV_FILE: load, merge, resolve and check a
 * definition. The dispatcher does the work (CMD_NEEDS_ENV); this reports.
 */
#include "cmd.h"

#include <stdio.h>

static int quiet;

static const struct cli_option validate_options[] = {
	ENV_OPTS,
	OPT_BOOL('q', "quiet", &quiet, "print nothing when the definition is valid"),
	OPT_END(),
};

static enum cli_result cmd_validate_exec(struct cli_ctx *ctx)
{
	const struct env_model *m = cmd_model(ctx);

	if (!quiet)
		printf("%s: valid (environment '%s', %zu services, %zu datastores, %zu regions)\n",
		       m->file, m->env_name, m->services.nr, m->datastores.nr, m->regions.nr);
	return CLI_OK;
}

const struct cli_cmd cmd_validate_entry = {
	.name = "validate",
	.args = "ENV_FILE [--branch B] [--commit C] [-q]",
	.summary = "check a definition: syntax, types, units, references, cycles",
	.help = "Errors are printed as FILE:LINE:COLUMN: message, every one found,\n"
		"and the exit status is 2.",
	.flags = CMD_NEEDS_ENV,
	.options = validate_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_validate_exec,
};
