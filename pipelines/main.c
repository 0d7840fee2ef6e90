/*
 * pipeline: CI pipelines that run the same on this machine as in CI.
 *
 *   pipeline run PIPELINE [--branch B] [--commit C] [--only JOB]... [--dry-run] [-j N]
 *                         [--junit F] [--tap F] [--json F]
 *   pipeline validate PIPELINE...
 *
 * This file holds the program's table; lib/cli.c dispatches and turns the
 * commands' results into exit statuses.
 */
#include <signal.h>
#include <stdio.h>

#include "cmd.h"
#include "diag.h"
#include "strbuf.h"

#ifndef PIPELINE_VERSION
#define PIPELINE_VERSION "0"
#endif

int load_pipeline(struct pipeline *p, const char *file)
{
	struct diag d = DIAG_INIT;

	if (pipeline_load(p, file, &d) == 0)
		return 0;
	diag_sort(&d);
	cli_print_diag(&d);
	diag_release(&d);
	pipeline_release(p);
	return -1;
}

static const struct cli_cmd *const commands[] = {
	&pipeline_run_cmd,
	&pipeline_validate_cmd,
	NULL,
};

static const struct cli_exit exits[] = {
	{ 0, "success: every job passed (or was skipped by its 'when')" },
	{ 1, "a job failed or timed out, or was skipped because a job it needs failed" },
	{ 2, "usage or input error (a definition with file:line:col): nothing was run" },
	{ 130, "interrupted by SIGINT or SIGTERM: the running jobs were stopped, the\n"
	       "'when: always' jobs ran, the reports were written" },
	{ 0, NULL },
};

static const struct cli_prog pipeline = {
	.name = "pipeline",
	.version = PIPELINE_VERSION,
	.summary = "run CI pipelines on this machine, as CI runs them",
	.cmds = commands,
	.exits = exits,
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);   /* a closed stdout is an error cli_main reports */
	return cli_main(&pipeline, argc, argv, NULL);
}
