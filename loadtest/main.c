/*
 * loadtest: an HTTP load generator with honest latencies.
 *
 *   loadtest [-c N] [-d DUR] [-t N] [-R RATE] [options] URL     (ad hoc, like wrk)
 *   loadtest run SCENARIO [--env NAME | --target URL] [options]
 *   loadtest merge [outputs] RESULT...
 *   loadtest render-job SCENARIO --parallel N [options]
 *
 * This file dispatches and writes the reports; exit codes are decided here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
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

static const char usage_text[] =
	"usage: loadtest [-c CONNS] [-d DURATION] [-t THREADS] [-R RATE] [options] URL\n"
	"       loadtest run SCENARIO [--env NAME | --target URL] [options]\n"
	"       loadtest merge [outputs] RESULT.json...\n"
	"       loadtest render-job SCENARIO --parallel N [--image IMG] [--target URL] [-o FILE]\n"
	"\n"
	"load (ad hoc):\n"
	"  -c, --connections N   connections (closed model), or the pool (open model); default 10\n"
	"  -d, --duration DUR    how long to send, e.g. 10s, 1m30s; default 10s\n"
	"  -t, --threads N       event-loop threads; default 1\n"
	"  -R, --rate RATE       open model at RATE requests/s (250, 250/s); default: closed model\n"
	"  -m, --method M        HTTP method; default GET (POST when a body is given)\n"
	"  -H, --header 'K: V'   add a request header (repeatable)\n"
	"      --body DATA|@FILE request body; ${seq} ${uuid} ${time} are replaced per request\n"
	"run:\n"
	"      --env NAME        the target, CA and credentials of a stack `provisioner up` stood up\n"
	"      --target URL      instead of the scenario file's target\n"
	"      --shard I/N       run copy I of N: a 1/N share of every scenario's rate and connections\n"
	"render-job:\n"
	"      --parallel N      copies (1..1000); --image IMG --target URL --name NAME --namespace NS\n"
	"                        --claim PVC --storage-class SC --secret NAME -o FILE\n"
	"common:\n"
	"      --timeout DUR     give up on a request after DUR; default 10s\n"
	"      --threshold EXPR  fail (exit 1) unless EXPR holds, e.g. 'p(99) < 200ms' (repeatable)\n"
	"      --cacert FILE     trust this CA for https; --insecure trusts anything\n"
	"      --json FILE       the result document (- for stdout)\n"
	"      --tap FILE        TAP, one test per threshold\n"
	"      --junit FILE      JUnit XML\n"
	"      --html FILE       a self-contained HTML report with plots\n"
	"  -q, --quiet           no summary\n"
	"      --no-progress     no progress line (there is none when stderr is not a terminal)\n"
	"\n"
	"exit: 0 thresholds held, 1 a threshold failed or nothing completed, 2 usage or input error,\n"
	"      130 interrupted (reports of what ran are written)\n";

int output_option(struct outputs *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_JSON: o->json = arg; return 1;
	case OPT_TAP: o->tap = arg; return 1;
	case OPT_JUNIT: o->junit = arg; return 1;
	case OPT_HTML: o->html = arg; return 1;
	case 'q': o->quiet = 1; return 1;
	default: return 0;
	}
}

/* An output's directory must exist and be writable before anything runs. */
static void check_path(const char *opt, const char *path)
{
	char *dir;

	if (!path || !strcmp(path, "-"))
		return;
	dir = path_dirname(path);
	if (access(dir, W_OK) < 0)
		die("--%s '%s': cannot write to '%s': %s", opt, path, dir, strerror(errno));
	free(dir);
}

void check_outputs(const struct outputs *o)
{
	check_path("json", o->json);
	check_path("tap", o->tap);
	check_path("junit", o->junit);
	check_path("html", o->html);
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

		report_summary(&sb, doc);
		fputs(sb.buf, any ? stderr : stdout);
	}
	strbuf_release(&sb);
	return rc ? -1 : 0;
}

int load_plan(struct plan *p, const char *file)
{
	struct diag d = DIAG_INIT;
	struct strbuf sb = STRBUF_INIT;

	if (plan_load(p, file, &d) == 0)
		return 0;
	diag_sort(&d);
	diag_format(&d, &sb, "error: ");
	fputs(sb.buf, stderr);
	strbuf_release(&sb);
	diag_release(&d);
	plan_release(p);
	return -1;
}

int main(int argc, char **argv)
{
	enum lt_exit rc;

	usage_progname = "loadtest";
	die_status = LT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
		    (i == 1 && !strcmp(argv[i], "help"))) {
			fputs(usage_text, stdout);   /* for every command: they share it */
			return 0;
		}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		puts("loadtest " LOADTEST_VERSION);
		return 0;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return LT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		rc = cmd_run(argc - 1, argv + 1, 0);
	else if (!strcmp(argv[1], "merge"))
		rc = cmd_merge(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "render-job"))
		rc = cmd_job(argc - 1, argv + 1);
	else if (argv[1][0] != '-' && !strstr(argv[1], "://"))
		die("unknown command '%s' (commands: run, merge, render-job; or give a URL)", argv[1]);
	else
		rc = cmd_run(argc, argv, 1);
	if (fflush(stdout) || ferror(stdout)) {
		error("cannot write to standard output: %s", strerror(errno));
		return rc == LT_OK ? LT_FAILED : (int)rc;
	}
	return (int)rc;
}
