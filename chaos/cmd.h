/*
 * The chaos command line: its commands (lib/cli.h tables), one file each:
 * `proxy` (cmd-proxy.c). main.c holds the program's table.
 */
#ifndef CHAOS_CMD_H
#define CHAOS_CMD_H

#include "cli.h"

extern const struct cli_cmd chaos_proxy_cmd;

#endif
