/*
 * `loadtest render-job SCENARIO --parallel N`: a Kubernetes indexed Job
 * that runs N copies of the scenario, each writing its result for
 * `loadtest merge` (see job.h). The scenario is checked first, as `run`
 * would read it, so a Job is never rendered for a file that cannot run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "job.h"
#include "scenario.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#ifndef LOADTEST_VERSION
#define LOADTEST_VERSION "0"
#endif

static struct job_opts jo = JOB_OPTS_INIT;
static const char *output;
static int parallel;

static const struct cli_option job_options[] = {
	OPT_INT(0, "parallel", &parallel, "N", "copies, each a 1/N share of the load (required)",
		1, JOB_PARALLEL_MAX),
	OPT_STRING(0, "image", &jo.image, "IMG", "holds /usr/bin/loadtest (default loadtest:VERSION)"),
	OPT_STRING(0, "target", &jo.target, "URL", "instead of the scenario file's target"),
	OPT_STRING(0, "name", &jo.name, "NAME", "the Job's name (default loadtest-SCENARIO)"),
	OPT_STRING(0, "namespace", &jo.namespace_, "NS", "the Job's namespace (default: kubectl's)"),
	OPT_STRING(0, "claim", &jo.results_claim, "PVC", "an existing claim for the results"),
	OPT_STRING(0, "storage-class", &jo.storage_class, "SC", "of the claim rendered for the results"),
	OPT_STRING(0, "secret", &jo.secret, "NAME",
		   "a Secret whose key 'authorization' is sent as the Authorization header"),
	OPT_STRING('o', "output", &output, "FILE", "write the manifests to FILE (default: stdout)"),
	OPT_END(),
};

/* The body files the scenario names, read as `run` would read them. */
static struct job_file *body_files(const struct plan *p, size_t *nr)
{
	struct job_file *v = xcalloc(p->nr ? p->nr : 1, sizeof(*v));

	*nr = 0;
	for (size_t i = 0; i < p->nr; i++) {
		int seen = 0;

		if (!p->v[i].body_file)
			continue;
		for (size_t k = 0; k < *nr; k++)
			seen |= !strcmp(v[k].name, p->v[i].body_file);
		if (seen)
			continue;
		v[*nr].name = p->v[i].body_file;
		v[*nr].data = p->v[i].body;
		v[(*nr)++].len = p->v[i].body_len;
	}
	return v;
}

static enum cli_result job_exec(struct cli_ctx *ctx)
{
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	const char *file = ctx->argv[0], *base;
	struct job_file *files;
	enum cli_result res = CLI_OK;
	struct plan p;

	if (!parallel)
		return error("--parallel N is required"), CLI_USAGE;
	jo.parallel = (unsigned)parallel;
	if (load_plan(&p, file) < 0)
		return CLI_USAGE;
	if (!jo.target && !p.target) {
		/* every pod would exit 2 saying so: say it now */
		plan_release(&p);
		return error("no target: give --target URL, or set 'target' in '%s'", file), CLI_USAGE;
	}
	if (strbuf_read_file(&text, file, 1u << 20) < 0) {
		plan_release(&p);
		return error_errno("cannot read '%s'", file), CLI_USAGE;
	}
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	files = body_files(&p, &jo.nr_files);
	jo.files = files;
	jo.scenario_name = base;
	jo.scenario_text = text.buf;
	jo.plan = &p;
	if (!jo.image)
		jo.image = "loadtest:" LOADTEST_VERSION;
	if (job_render(&out, &jo, &err) < 0)
		res = (error("%s", err.buf), CLI_USAGE);
	else if (output && strcmp(output, "-") && write_file_atomic(output, out.buf, out.len, 0644) < 0)
		res = (error_errno("cannot write '%s'", output), CLI_FAILED);
	else if (!output || !strcmp(output, "-"))
		fwrite(out.buf, 1, out.len, stdout);
	free(files);
	plan_release(&p);
	strbuf_release(&text);
	strbuf_release(&out);
	strbuf_release(&err);
	return res;
}

static const struct cli_exit job_exits[] = {
	{ 0, "written" },
	{ 1, "the output could not be written" },
	{ 2, "usage or input error (the scenario, a name Kubernetes refuses)" },
	{ 0, NULL },
};

const struct cli_cmd lt_job_cmd = {
	.name = "render-job",
	.args = "SCENARIO --parallel N [--image IMG] [--target URL] [--name NAME]\n"
		"         [--namespace NS] [--claim PVC] [--storage-class SC] [--secret NAME] [-o FILE]",
	.summary = "a Kubernetes indexed Job that runs N copies of a scenario",
	.help = "Copy I runs 'loadtest run SCENARIO --shard I/N', I from 0 to N-1 (the pod's\n"
		"JOB_COMPLETION_INDEX), and writes its result to a ReadWriteMany claim; collect\n"
		"them and add them up with 'loadtest merge'. Each copy takes the Job's uid as its\n"
		"run id, so results of an earlier run of the Job are not merged with them. The\n"
		"scenario and its body files go into an immutable ConfigMap. The target is\n"
		"--target, else the scenario file's (one of the two is required).",
	.options = job_options,
	.min_args = 1, .max_args = 1,
	.exits = job_exits,
	.exec = job_exec,
};
