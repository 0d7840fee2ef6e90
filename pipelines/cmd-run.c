/*
 * `pipeline run PIPELINE`: run a pipeline's jobs here (run.h), or with
 * --dry-run print its DAG in the order it would run. The branch and the
 * commit come from git (provisioner/model/gitinfo) unless given; ${env}
 * is the name `provisioner name ENV_FILE` prints, from the same model.
 * Logs go to the run directory, reports where --junit, --tap and --json
 * say, written also after an interruption.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "gitinfo.h"
#include "load.h"
#include "model.h"
#include "run-command.h"
#include "run.h"
#include "strbuf.h"
#include "strv.h"
#include "units.h"
#include "usage.h"
#include "xalloc.h"

static const char *branch_arg, *commit_arg, *junit_path, *tap_path, *json_path, *run_dir_arg;
static struct strv only;
static int dry_run, max_jobs = 4;
static uint64_t grace_ms = 5 * 60 * 1000, kill_grace_ms = 10 * 1000;

static const struct cli_option run_options[] = {
	OPT_GROUP("what"),
	OPT_STRING(0, "branch", &branch_arg, "B", "the branch (default: from git, or CI variables)"),
	OPT_STRING(0, "commit", &commit_arg, "C", "the commit (default: HEAD)"),
	OPT_STRING_LIST(0, "only", &only, "JOB",
			"run only this job and the jobs it needs (repeatable)"),
	OPT_BOOL(0, "dry-run", &dry_run, "print the jobs in order with their commands; run nothing"),
	OPT_INT('j', "jobs", &max_jobs, "N", "run at most N jobs at once (default 4)", 1, 64),
	OPT_GROUP("stopping"),
	OPT_DURATION(0, "grace", &grace_ms, "DUR",
		     "after SIGINT/SIGTERM, how long the 'when: always' jobs get (default 5m)"),
	OPT_DURATION(0, "kill-grace", &kill_grace_ms, "DUR",
		     "from SIGTERM to SIGKILL when a job is stopped (default 10s)"),
	OPT_GROUP("outputs"),
	OPT_STRING(0, "run-dir", &run_dir_arg, "DIR",
		   "the jobs' logs (default: pipeline-runs/NAME-TIME in the repository)"),
	OPT_STRING(0, "junit", &junit_path, "FILE", "write JUnit XML: one testcase per job"),
	OPT_STRING(0, "tap", &tap_path, "FILE", "write TAP: one test point per job"),
	OPT_STRING(0, "json", &json_path, "FILE", "write every job's result as JSON"),
	OPT_END(),
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted++;
}

/* The work tree holding the pipeline, else the current directory: absolute. */
static char *repo_root(const char *file)
{
	char *dir = path_dirname(file), *root = git_workdir(dir);

	free(dir);
	if (!root)
		root = realpath(".", NULL);
	if (!root)
		die_errno("cannot read the current directory");
	return root;
}

/*
 * PATH for the jobs: the directories of the project's programs beside our
 * own binary first (bin/ when installed; in the build tree, the sibling
 * directories of each program), so a pipeline runs the tools it was built
 * with. A new NAME=VALUE string.
 */
static char *jobs_path(void)
{
	static const char *const sibs[] = { "", "/../provisioner", "/../loadtest", "/../chaos" };
	char *self = realpath("/proc/self/exe", NULL), *dir;
	struct strbuf sb = STRBUF_INIT;
	const char *path = getenv("PATH");

	strbuf_addstr(&sb, "PATH=");
	if (self) {
		dir = path_dirname(self);
		for (size_t i = 0; i < sizeof(sibs) / sizeof(*sibs); i++) {
			struct strbuf d = STRBUF_INIT;
			char *real;

			strbuf_addf(&d, "%s%s", dir, sibs[i]);
			real = realpath(d.buf, NULL);
			if (real && is_dir(real))
				strbuf_addf(&sb, "%s:", real);
			free(real);
			strbuf_release(&d);
		}
		free(dir);
		free(self);
	}
	strbuf_addstr(&sb, path && *path ? path : DEFAULT_PATH);
	return strbuf_detach(&sb, NULL);
}

static int uses_env(const struct pipeline *p)
{
	for (size_t i = 0; i < p->jobs.nr; i++)
		for (size_t k = 0; k < pl_job_at(p, i)->run.nr; k++)
			if (strstr(pl_job_at(p, i)->run.v[k].name, "${env}"))
				return 1;
	return 0;
}

/* ${env}: the environment's name, from its definition and the branch. */
static int env_name(const char *root, const char *env_file, const struct git_info *gi,
		    char **name)
{
	struct env_model m;
	struct load_opts lo = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	char *path = path_join(root, env_file);
	int rc = 0;

	lo.branch = gi->branch;
	lo.commit = gi->commit;
	memset(&m, 0, sizeof(m));
	if (env_load(&m, path, &lo, &d) < 0) {
		diag_sort(&d);
		cli_print_diag(&d);
		rc = error("env_file '%s': cannot name the environment", env_file);
	} else {
		*name = xstrdup(m.env_name);
	}
	env_model_free(&m);
	diag_release(&d);
	free(path);
	return rc;
}

static char *default_run_dir(const char *root, const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t len = strcspn(base, ".");
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strbuf_addf(&sb, "%s/pipeline-runs/%.*s-%s-%d", root, (int)len, base, stamp, (int)getpid());
	return strbuf_detach(&sb, NULL);
}

static void add_word(struct strbuf *sb, const char *w)
{
	if (*w && !w[strcspn(w, " \t\n'\"\\$`*?;&|<>()")]) {
		strbuf_addstr(sb, w);
		return;
	}
	strbuf_addch(sb, '\'');
	for (; *w; w++)
		if (*w == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *w);
	strbuf_addch(sb, '\'');
}

static void print_dag(const struct pipeline *p, const struct pl_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	int n = 0;

	for (size_t k = 0; k < p->jobs.nr; k++) {
		size_t i = p->order[k];
		const struct pl_job *j = pl_job_at(p, i);

		strbuf_setlen(&sb, 0);
		if (res[i].state == PL_NOT_SELECTED) {
			printf("    %s: not selected (--only)\n", j->name);
			continue;
		}
		strbuf_addf(&sb, "%3d. %s", ++n, j->name);
		if (j->stage)
			strbuf_addf(&sb, " [%s]", j->stage);
		for (size_t q = 0; q < j->needs.nr; q++)
			strbuf_addf(&sb, "%s%s", q ? ", " : "  needs ", j->needs.v[q].name);
		if (j->when != PL_ON_SUCCESS)
			strbuf_addf(&sb, "  when %s", pl_when_names[j->when]);
		if (j->timeout_ms) {
			strbuf_addstr(&sb, "  timeout ");
			format_duration_ms(&sb, j->timeout_ms);
		}
		if (j->retry)
			strbuf_addf(&sb, "  retry %d", j->retry);
		strbuf_addstr(&sb, "\n       run:");
		for (char **a = res[i].argv; *a; a++) {
			strbuf_addch(&sb, ' ');
			add_word(&sb, *a);
		}
		for (size_t q = 0; q < j->reports.nr; q++)
			strbuf_addf(&sb, "%s%s", q ? ", " : "\n       reports: ", j->reports.v[q].name);
		puts(sb.buf);
	}
	strbuf_release(&sb);
}

static void print_summary(const struct pipeline *p, const struct pl_result *res,
			  const char *run_dir, int status)
{
	printf("\n%s: %s\n", p->file, status == 0 ? "passed" : status == 130 ?
	       "interrupted" : "failed");
	for (size_t k = 0; k < p->jobs.nr; k++) {
		size_t i = p->order[k];
		const struct pl_result *r = &res[i];

		if (r->state == PL_NOT_SELECTED)
			continue;
		printf("  %-10s %7.1fs  %s", pl_state_names[r->state],
		       (double)r->duration_ms / 1000, pl_job_at(p, i)->name);
		if (r->reason)
			printf(" (%s)", r->reason);
		putchar('\n');
	}
	printf("logs: %s\n", run_dir);
}

static int write_reports(const struct pipeline *p, const struct pl_result *res,
			 const struct pl_run_opts *o, int status)
{
	int rc = 0;

	if (junit_path && pl_write_junit(junit_path, p, res, o->dir) < 0)
		rc = error_errno("cannot write '%s'", junit_path);
	if (tap_path && pl_write_tap(tap_path, p, res) < 0)
		rc = error_errno("cannot write '%s'", tap_path);
	if (json_path && pl_write_json(json_path, p, res, o, status) < 0)
		rc = error_errno("cannot write '%s'", json_path);
	return rc;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static enum cli_result run_exec(struct cli_ctx *ctx)
{
	struct pipeline p;
	struct git_info gi = GIT_INFO_INIT;
	struct pl_run_opts o = { .max_jobs = max_jobs, .interrupted = &interrupted };
	struct pl_result *res = NULL;
	struct strbuf err = STRBUF_INIT;
	char *root = NULL, *env = NULL, *run_dir = NULL, *path_env = NULL;
	const char *job_env[2] = { NULL, NULL };
	enum cli_result ret = CLI_USAGE;
	int status;

	if (load_pipeline(&p, ctx->argv[0]) < 0)
		return CLI_USAGE;
	catch_signals();
	root = repo_root(ctx->argv[0]);
	git_info_read(&gi, root, branch_arg, commit_arg);
	if (p.env_file && uses_env(&p) && env_name(root, p.env_file, &gi, &env) < 0)
		goto out;
	run_dir = run_dir_arg ? xstrdup(run_dir_arg) : default_run_dir(root, p.file);
	o.run_dir = run_dir;
	o.dir = root;
	o.vars = (struct pl_vars){ env, p.env_file, gi.branch, gi.commit };
	o.only = only.nr ? (const char *const *)only.v : NULL;   /* a strv ends with NULL */
	o.kill_grace_ms = kill_grace_ms;
	o.always_grace_ms = grace_ms;
	o.term = stdout;
	job_env[0] = path_env = jobs_path();
	o.env = job_env;
	res = xcalloc(p.jobs.nr, sizeof(*res));
	if (pl_prepare(&p, &o, res, &err) < 0) {
		error("%s", err.buf);
		goto out;
	}
	printf("pipeline %s: branch %s, commit %.12s%s%s\n", p.file,
	       gi.branch ? gi.branch : "(unknown)", gi.commit ? gi.commit : "(unknown)",
	       env ? ", environment " : "", env ? env : "");
	if (dry_run) {
		print_dag(&p, res);
		ret = CLI_OK;
		goto out;
	}
	if (mkdir_p(run_dir, 0755) < 0) {
		error_errno("cannot make the run directory '%s'", run_dir);
		goto out;
	}
	printf("logs: %s\n", run_dir);
	fflush(stdout);
	status = pl_run(&p, &o, res);
	print_summary(&p, res, run_dir, status);
	if (write_reports(&p, res, &o, status) < 0 && status == 0)
		status = CLI_FAILED;
	ret = (enum cli_result)status;
out:
	if (res)
		pl_results_release(res, p.jobs.nr);
	free(res);
	free(run_dir);
	free(path_env);
	free(env);
	free(root);
	strbuf_release(&err);
	git_info_release(&gi);
	pipeline_release(&p);
	return ret;
}

const struct cli_cmd pipeline_run_cmd = {
	.name = "run",
	.args = "PIPELINE [--branch B] [--commit C] [--only JOB]... [--dry-run] [-j N] "
		"[--junit F] [--tap F] [--json F]",
	.summary = "run a pipeline's jobs on this machine",
	.help = "Each job runs as a child process in its own process group, in the\n"
		"repository's root, in parallel where its needs allow (at most -j). Its\n"
		"output goes to RUN_DIR/JOB.log and, each line prefixed with [JOB], to\n"
		"stdout. A job whose needs did not pass is skipped (failed dependency);\n"
		"'when: always' jobs run anyway. A timeout stops the job's whole process\n"
		"group (SIGTERM, SIGKILL after --kill-grace). SIGINT or SIGTERM stops the\n"
		"running jobs, runs the 'when: always' jobs for at most --grace, writes\n"
		"the reports and exits 130; a second signal stops those jobs too.",
	.options = run_options,
	.min_args = 1, .max_args = 1,
	.exec = run_exec,
};
