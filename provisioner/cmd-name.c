/*
 * provisioner name ENV_FILE: print the environment's name and nothing else,
 * for scripts: NS=$(provisioner name envs/test.yaml).
 */
#include "cmd.h"

#include <stdio.h>

static const struct cli_option name_options[] = {
	ENV_OPTS,
	OPT_END(),
};

static enum cli_result cmd_name_exec(struct cli_ctx *ctx)
{
	puts(cmd_model(ctx)->env_name);
	return CLI_OK;
}

const struct cli_cmd cmd_name_entry = {
	.name = "name",
	.args = "ENV_FILE [--branch B]",
	.summary = "print the environment's name (a DNS-1123 label)",
	.help = "The name comes from the definition's 'name' template, for test\n"
		"environments usually \"${platform}-${branch}\". It is the same on every\n"
		"run for the same branch, and two branches never share one: when making\n"
		"a DNS label loses information, a hash of the original is appended.",
	.flags = CMD_NEEDS_ENV,
	.options = name_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_name_exec,
};
