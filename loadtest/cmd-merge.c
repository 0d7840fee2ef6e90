/*
 * `loadtest merge RESULT...`: add up the results of copies of one test
 * (the pods of a rendered Job, or runs on several machines) and report
 * them as one run, thresholds judged again on the sum.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "result.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

static const struct option long_options[] = {
	OUTPUT_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

enum lt_exit cmd_merge(int argc, char **argv)
{
	struct outputs out = { 0 };
	struct strbuf err = STRBUF_INIT;
	json_t **docs, *merged;
	size_t nr;
	int c, ok;

	optind = 1;
	while ((c = getopt_long(argc, argv, "q", long_options, NULL)) != -1)
		if (!output_option(&out, c, optarg))
			die("usage: loadtest merge [--json F] [--tap F] [--junit F] [--html F] [-q] RESULT...");
	if (optind >= argc)
		die("usage: loadtest merge [--json F] [--tap F] [--junit F] [--html F] [-q] RESULT...");
	check_outputs(&out);
	nr = (size_t)(argc - optind);
	docs = xcalloc(nr, sizeof(*docs));
	for (size_t i = 0; i < nr; i++)
		if (!(docs[i] = result_load(argv[optind + (int)i], &err)))
			die("%s", err.buf);
	merged = result_merge(docs, nr, &err);
	if (!merged)
		die("cannot merge: %s", err.buf);
	ok = result_judge(merged, NULL, &err);
	if (ok < 0)
		die("cannot judge the thresholds: %s", err.buf);
	c = write_outputs(&out, merged);
	json_decref(merged);
	for (size_t i = 0; i < nr; i++)
		json_decref(docs[i]);
	free(docs);
	strbuf_release(&err);
	return c < 0 || !ok ? LT_FAILED : LT_OK;
}
