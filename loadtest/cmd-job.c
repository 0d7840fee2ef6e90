/*
 * `loadtest render-job SCENARIO --parallel N`: a Kubernetes indexed Job
 * that runs N copies of the scenario, each writing its result for
 * `loadtest merge` (see job.h). The scenario is checked first, as `run`
 * would read it, so a Job is never rendered for a file that cannot run.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
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

enum { O_PARALLEL = 3000, O_IMAGE, O_TARGET, O_NAME, O_NS, O_CLAIM, O_SC, O_SECRET };

static const struct option long_options[] = {
	{ "parallel", required_argument, NULL, O_PARALLEL },
	{ "image", required_argument, NULL, O_IMAGE },
	{ "target", required_argument, NULL, O_TARGET },
	{ "name", required_argument, NULL, O_NAME },
	{ "namespace", required_argument, NULL, O_NS },
	{ "claim", required_argument, NULL, O_CLAIM },
	{ "storage-class", required_argument, NULL, O_SC },
	{ "secret", required_argument, NULL, O_SECRET },
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

static const char usage_line[] =
	"usage: loadtest render-job SCENARIO --parallel N [--image IMG] [--target URL] [--name NAME]\n"
	"         [--namespace NS] [--claim PVC] [--storage-class SC] [--secret NAME] [-o FILE]";

static void parse(struct job_opts *jo, const char **outp, int argc, char **argv)
{
	char *end;
	long n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", long_options, NULL)) != -1) {
		switch (c) {
		case O_PARALLEL:
			n = strtol(optarg, &end, 10);
			if (!*optarg || *end || n < 1 || n > JOB_PARALLEL_MAX)
				die("--parallel: '%s' is not between 1 and %d", optarg, JOB_PARALLEL_MAX);
			jo->parallel = (unsigned)n;
			break;
		case O_IMAGE: jo->image = optarg; break;
		case O_TARGET: jo->target = optarg; break;
		case O_NAME: jo->name = optarg; break;
		case O_NS: jo->namespace_ = optarg; break;
		case O_CLAIM: jo->results_claim = optarg; break;
		case O_SC: jo->storage_class = optarg; break;
		case O_SECRET: jo->secret = optarg; break;
		case 'o': *outp = optarg; break;
		default: die("%s", usage_line);
		}
	}
	if (optind + 1 != argc)
		die("%s", usage_line);
}

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

enum lt_exit cmd_job(int argc, char **argv)
{
	struct job_opts jo = JOB_OPTS_INIT;
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	struct plan p;
	const char *outp = NULL, *file, *base;
	struct job_file *files;
	enum lt_exit rc = LT_OK;

	jo.parallel = 0;
	parse(&jo, &outp, argc, argv);
	if (!jo.parallel)
		die("--parallel N is required");
	file = argv[optind];
	if (load_plan(&p, file) < 0)
		return LT_USAGE;
	if (strbuf_read_file(&text, file, 1u << 20) < 0)
		die_errno("cannot read '%s'", file);
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	files = body_files(&p, &jo.nr_files);
	jo.files = files;
	jo.scenario_name = base;
	jo.scenario_text = text.buf;
	if (!jo.image)
		jo.image = "loadtest:" LOADTEST_VERSION;
	if (job_render(&out, &jo, &err) < 0) {
		error("%s", err.buf);
		rc = LT_USAGE;
	} else if (outp && strcmp(outp, "-")) {
		if (write_file_atomic(outp, out.buf, out.len, 0644) < 0)
			rc = error_errno("cannot write '%s'", outp) ? LT_FAILED : LT_FAILED;
	} else {
		fwrite(out.buf, 1, out.len, stdout);
	}
	free(files);
	plan_release(&p);
	strbuf_release(&text);
	strbuf_release(&out);
	strbuf_release(&err);
	return rc;
}
