/*
 * provisioner supervise ENV   (internal: the supervisor, when
 * provisioner-supervisor is not installed beside provisioner)
 */
#include "cmd.h"
#include "state.h"
#include "supervisor.h"

#include <stdlib.h>

static enum cli_result cmd_supervise_exec(struct cli_ctx *ctx)
{
	char *state = state_dir();
	int rc;

	if (!state)
		return CLI_FAILED;
	rc = supervisor_main(state, ctx->argv[0]);
	free(state);
	return rc ? CLI_FAILED : CLI_OK;
}

const struct cli_cmd cmd_supervise_entry = {
	.name = "supervise",
	.args = "ENV",
	.summary = "the supervisor of an environment (started by 'up')",
	.flags = CLI_HIDDEN,
	.min_args = 1, .max_args = 1,
	.exec = cmd_supervise_exec,
};
