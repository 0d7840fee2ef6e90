/*
 * The loadtest command line: shared pieces of the subcommands (run and
 * the ad-hoc mode in cmd-run.c, merge in cmd-merge.c, render-job in
 * cmd-job.c). Exit codes are mapped in main.c only.
 */
#ifndef LOADTEST_CLI_H
#define LOADTEST_CLI_H

#include <jansson.h>

enum lt_exit {
	LT_OK = 0,           /* every threshold held */
	LT_FAILED = 1,       /* a threshold failed, or no request completed */
	LT_USAGE = 2,        /* bad usage or bad input: nothing was run */
	LT_INTERRUPTED = 130,/* SIGINT or SIGTERM: reports of what ran were written */
};

struct outputs {
	const char *json, *tap, *junit, *html;
	int quiet;           /* no summary */
};

/* Write the reports asked for; a summary on stdout unless quiet (stderr
 * when a report goes to stdout). -1 when a file could not be written. */
int write_outputs(const struct outputs *o, const json_t *doc);

/* Die (exit 2) unless every output file can be written. */
void check_outputs(const struct outputs *o);

/* Parse --json/--tap/--junit/--html/--quiet; 1 when `opt` was one. */
int output_option(struct outputs *o, int opt, const char *arg);

/* Read a scenario file; on errors print them (FILE:LINE:COL) and return -1. */
struct plan;
int load_plan(struct plan *p, const char *file);

enum lt_exit cmd_run(int argc, char **argv, int adhoc);
enum lt_exit cmd_merge(int argc, char **argv);
enum lt_exit cmd_job(int argc, char **argv);

#define OPT_JSON 1000
#define OPT_TAP 1001
#define OPT_JUNIT 1002
#define OPT_HTML 1003
#define OUTPUT_LONG_OPTIONS \
	{ "json", required_argument, NULL, OPT_JSON }, \
	{ "tap", required_argument, NULL, OPT_TAP }, \
	{ "junit", required_argument, NULL, OPT_JUNIT }, \
	{ "html", required_argument, NULL, OPT_HTML }, \
	{ "quiet", no_argument, NULL, 'q' }

#endif
