/*
 * chaos: faults, experiments and failover drills against what the
 * project runs on this machine.
 *
 *   chaos proxy --listen ADDR:PORT --upstream ADDR:PORT [faults] --duration DUR
 *
 * This file holds the program's table; lib/cli.c dispatches and turns the
 * commands' results into exit statuses.
 */
#include <signal.h>

#include "cmd.h"

#ifndef CHAOS_VERSION
#define CHAOS_VERSION "0"
#endif

static const struct cli_cmd *const commands[] = {
	&chaos_proxy_cmd,
	NULL,
};

static const struct cli_exit exits[] = {
	{ 0, "success: the fault ran its course and was removed" },
	{ 1, "the work failed: a fault could not be applied" },
	{ 2, "usage or input error, or a target outside what the project runs on this\n"
	     "machine: nothing was done" },
	{ 130, "interrupted by SIGINT or SIGTERM: the fault was removed" },
	{ 0, NULL },
};

static const struct cli_prog chaos = {
	.name = "chaos",
	.version = CHAOS_VERSION,
	.summary = "faults against what the project runs on this machine, each removed by itself",
	.cmds = commands,
	.exits = exits,
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);   /* a closed stdout is an error cli_main reports */
	return cli_main(&chaos, argc, argv, NULL);
}
