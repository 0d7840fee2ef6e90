/*
 * `pipeline validate PIPELINE...`: load each definition and say how many
 * jobs it has; every problem with file:line:col, exit 2.
 */
#include <stdio.h>

#include "cmd.h"

static enum cli_result validate_exec(struct cli_ctx *ctx)
{
	enum cli_result res = CLI_OK;

	for (int i = 0; i < ctx->argc; i++) {
		struct pipeline p;

		if (load_pipeline(&p, ctx->argv[i]) < 0) {
			res = CLI_USAGE;
			continue;
		}
		printf("%s: valid, %zu job%s\n", ctx->argv[i], p.jobs.nr, p.jobs.nr == 1 ? "" : "s");
		pipeline_release(&p);
	}
	return res;
}

const struct cli_cmd pipeline_validate_cmd = {
	.name = "validate",
	.args = "PIPELINE...",
	.summary = "check pipeline definitions without running anything",
	.help = "Every problem is reported, each as FILE:LINE:COL: an unknown key (with the\n"
		"nearest valid one), a job that needs an unknown job, needs that form a\n"
		"cycle (named), a bad duration, an unknown ${variable} in a run.",
	.min_args = 1, .max_args = -1,
	.exec = validate_exec,
};
