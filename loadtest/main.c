/*
 * loadtest: an HTTP load generator with honest latencies.
 *
 *   loadtest [-c N] [-d DUR] [-t N] [-R RATE] [options] URL     (ad hoc, like wrk)
 *   loadtest run SCENARIO [--env NAME | --target URL] [options]
 *   loadtest merge [outputs] RESULT...
 *   loadtest render-job SCENARIO --parallel N [options]
 *
 * This file holds the program's table (lib/cli.c dispatches, and turns
 * the commands' results into exit statuses) and writes the reports.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "color.h"
#include "diag.h"
#include "fsutil.h"
#include "report.h"
#include "result.h"
#include "scenario.h"
#include "strbuf.h"
#include "usage.h"

#ifndef LOADTEST_VERSION
#define LOADTEST_VERSION "0"
#endif

static const struct cli_cmd *const commands[] = {
	&lt_run_cmd,
	&lt_merge_cmd,
	&lt_job_cmd,
	NULL,
};

static const struct cli_exit exits[] = {
	{ 0, "every threshold held" },
	{ 1, "a threshold failed, no request completed, or every TLS handshake failed to\n"
	     "verify the server (the run stops early)" },
	{ 2, "usage or input error: nothing was run and nothing written" },
	{ 130, "interrupted: the reports of what ran are written" },
	{ 0, NULL },
};

static const struct cli_prog loadtest = {
	.name = "loadtest",
	.version = LOADTEST_VERSION,
	.summary = "HTTP load with honest latencies: a URL ad hoc, like wrk, or the scenarios of a file",
	.cmds = commands,
	.default_cmd = &lt_adhoc_cmd,
	.exits = exits,
};

/* An output's directory must exist and be writable before anything runs. */
static int check_path(const char *opt, const char *path)
{
	char *dir;
	int rc = 0;

	if (!path || !strcmp(path, "-"))
		return 0;
	dir = path_dirname(path);
	if (access(dir, W_OK) < 0)
		rc = error("--%s '%s': cannot write to '%s': %s", opt, path, dir, strerror(errno));
	free(dir);
	return rc;
}

int check_outputs(const struct outputs *o)
{
	return check_path("json", o->json) | check_path("tap", o->tap) |
	       check_path("junit", o->junit) | check_path("html", o->html);
}

static int emit(const char *path, const struct strbuf *sb)
{
	if (!path)
		return 0;
	if (!strcmp(path, "-"))
		return fwrite(sb->buf, 1, sb->len, stdout) == sb->len ? 0 : -1;
	if (write_file_atomic(path, sb->buf, sb->len, 0644) < 0)
		return error_errno("cannot write '%s'", path);
	return 0;
}

static int to_stdout(const char *p)
{
	return p && !strcmp(p, "-");
}

int write_outputs(const struct outputs *o, const json_t *doc)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = 0;

	if (o->json) {
		char *s = json_dumps(doc, RESULT_DUMP_FLAGS);

		strbuf_addstr(&sb, s);
		strbuf_addch(&sb, '\n');
		free(s);
		rc |= emit(o->json, &sb);
	}
	strbuf_reset(&sb);
	if (o->tap) {
		report_tap(&sb, doc);
		rc |= emit(o->tap, &sb);
	}
	strbuf_reset(&sb);
	if (o->junit) {
		report_junit(&sb, doc);
		rc |= emit(o->junit, &sb);
	}
	strbuf_reset(&sb);
	if (o->html) {
		report_html(&sb, doc);
		rc |= emit(o->html, &sb);
	}
	strbuf_reset(&sb);
	if (!o->quiet) {
		int any = to_stdout(o->json) || to_stdout(o->tap) || to_stdout(o->junit) ||
			  to_stdout(o->html);

		FILE *f = any ? stderr : stdout;

		report_summary(&sb, doc, color_enabled(fileno(f)));
		fputs(sb.buf, f);
	}
	strbuf_release(&sb);
	return rc ? -1 : 0;
}

int load_plan(struct plan *p, const char *file)
{
	struct diag d = DIAG_INIT;

	if (plan_load(p, file, &d) == 0)
		return 0;
	diag_sort(&d);
	cli_print_diag(&d);
	diag_release(&d);
	plan_release(p);
	return -1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);   /* a closed stdout is an error cli_main reports */
	return cli_main(&loadtest, argc, argv, NULL);
}
