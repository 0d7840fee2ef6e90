/*
 * The pipeline command line: its commands (lib/cli.h tables), one file
 * each: `run` (cmd-run.c), `validate` (cmd-validate.c). main.c holds the
 * program's table; load_pipeline() is shared by the commands.
 */
#ifndef PIPELINES_CMD_H
#define PIPELINES_CMD_H

#include "cli.h"
#include "def.h"

extern const struct cli_cmd pipeline_run_cmd;
extern const struct cli_cmd pipeline_validate_cmd;

/* Load `file`, printing its problems (file:line:col) on stderr: 0 or -1. */
int load_pipeline(struct pipeline *p, const char *file);

#endif
