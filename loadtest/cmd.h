/*
 * The loadtest command line: its commands (lib/cli.h tables) and what
 * they share: the ad-hoc mode and `run` (cmd-run.c), `merge`
 * (cmd-merge.c), `render-job` (cmd-job.c). main.c holds the program's
 * table and writes the reports.
 */
#ifndef LOADTEST_CMD_H
#define LOADTEST_CMD_H

#include <jansson.h>

#include "cli.h"

struct outputs {
	const char *json, *tap, *junit, *html;
	int quiet;           /* no summary */
};

/* --json, --tap, --junit, --html and -q into the struct outputs `o`. */
#define OUTPUT_OPTIONS(o) \
	OPT_STRING(0, "json", &(o).json, "FILE", "the result document (- for stdout)"), \
	OPT_STRING(0, "tap", &(o).tap, "FILE", "TAP, one test per threshold"), \
	OPT_STRING(0, "junit", &(o).junit, "FILE", "JUnit XML"), \
	OPT_STRING(0, "html", &(o).html, "FILE", "a self-contained HTML report with plots"), \
	OPT_BOOL('q', "quiet", &(o).quiet, "no summary")

/* Write the reports asked for; a summary on stdout unless quiet (stderr
 * when a report goes to stdout). -1 when a file could not be written. */
int write_outputs(const struct outputs *o, const json_t *doc);

/* 0 when every output file can be written; else -1, said why. */
int check_outputs(const struct outputs *o);

/* Read a scenario file; on errors print them (FILE:LINE:COL) and return -1. */
struct plan;
int load_plan(struct plan *p, const char *file);

extern const struct cli_cmd lt_adhoc_cmd;   /* loadtest [options] URL */
extern const struct cli_cmd lt_run_cmd;
extern const struct cli_cmd lt_merge_cmd;
extern const struct cli_cmd lt_job_cmd;

#endif
