/*
 * `loadtest merge RESULT...`: add up the results of copies of one test
 * (the pods of a rendered Job, or runs on several machines) and report
 * them as one run, thresholds judged again on the sum. A sum of the
 * wrong files would be judged just the same, so the files must be the
 * copies of one run, each once (result_check_copies()).
 */
#include <stdlib.h>

#include "cmd.h"
#include "result.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

static struct outputs out;

static const struct cli_option merge_options[] = {
	OUTPUT_OPTIONS(out),
	OPT_END(),
};

static enum cli_result merge_exec(struct cli_ctx *ctx)
{
	struct strbuf err = STRBUF_INIT;
	json_t **docs = xcalloc((size_t)ctx->argc, sizeof(*docs)), *merged = NULL;
	size_t nr = 0;
	enum cli_result res = CLI_USAGE;
	int ok;

	if (check_outputs(&out) < 0)
		goto out;
	for (; nr < (size_t)ctx->argc; nr++)
		if (!(docs[nr] = result_load(ctx->argv[nr], &err))) {
			error("%s", err.buf);
			goto out;
		}
	if (result_check_copies(docs, (const char *const *)ctx->argv, nr, &err) < 0) {
		error("cannot merge: %s", err.buf);
		goto out;
	}
	merged = result_merge(docs, nr, &err);
	if (!merged) {
		error("cannot merge: %s", err.buf);
		goto out;
	}
	ok = result_judge(merged, NULL, &err);
	if (ok < 0)
		error("cannot judge the thresholds: %s", err.buf);
	else if (write_outputs(&out, merged) < 0 || !ok)
		res = CLI_FAILED;
	else
		res = CLI_OK;
out:
	json_decref(merged);
	for (size_t i = 0; i < nr; i++)
		json_decref(docs[i]);
	free(docs);
	strbuf_release(&err);
	return res;
}

static const struct cli_exit merge_exits[] = {
	{ 0, "every threshold held on the sum" },
	{ 1, "a threshold failed, or a report could not be written" },
	{ 2, "usage or input error: a file that is not a loadtest result, or results that are\n"
	     "not the copies of one run, each once (nothing is written)" },
	{ 0, NULL },
};

const struct cli_cmd lt_merge_cmd = {
	.name = "merge",
	.args = "[--json F] [--tap F] [--junit F] [--html F] [-q] RESULT.json...",
	.summary = "add up the results of copies of one test and judge the thresholds on the sum",
	.help = "The copies are the pods of a Job 'render-job' wrote, or runs with --shard I/N\n"
		"on several machines: histograms add up bucket by bucket, timelines second by\n"
		"second. Every copy of the run must be there once (I from 0 to N-1), all of\n"
		"the same scenario file, target and --run-id: anything else is refused.",
	.options = merge_options,
	.min_args = 1, .max_args = -1,
	.exits = merge_exits,
	.exec = merge_exec,
};
