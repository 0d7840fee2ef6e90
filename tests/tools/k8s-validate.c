/*
 * k8s-validate: the strict Kubernetes validator (lib/schema-k8s.h) as a
 * test tool, for the fixtures in tests/k8s-validate. Users have the same
 * checks as `provisioner check`.
 *
 * Usage: k8s-validate [--schema FILE] FILE...
 *
 * The schema is --schema, else $K8S_SCHEMA, else the copy the repository
 * ships (K8S_SCHEMA_FILE under the source directory). Each FILE ("-" is
 * standard input) holds one or more YAML documents; empty ones are
 * skipped.
 *
 * Output: each problem is one line on standard output,
 *   FILE:LINE:COL: Kind/name: path.to.field: message
 * (also YAML syntax errors, as FILE:LINE:COL: yaml error: ...); usage and
 * I/O errors and a final "k8s-validate: N objects, M errors" go to standard
 * error. Exit status: 0 if every document is valid, 1 if any is not, 2 on
 * a usage error, an unreadable schema or input, or a YAML syntax error.
 */
#include "diag.h"
#include "schema-k8s.h"
#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "k8s-validate"
#define MAX_INPUT (256u << 20)

#ifndef SOURCE_DIR
#define SOURCE_DIR "."
#endif
#define DEFAULT_SCHEMA SOURCE_DIR "/" K8S_SCHEMA_FILE

static void usage(FILE *fp)
{
	fputs("usage: " PROG " [--schema FILE] FILE...\n"
	      "Check Kubernetes manifests against OpenAPI v2 definitions.\n"
	      "The schema defaults to $K8S_SCHEMA, else " DEFAULT_SCHEMA ".\n", fp);
}

/* Parse options; returns the index of the first FILE, or -1. */
static int parse_args(int argc, char **argv, const char **schema)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--schema") && i + 1 < argc) {
			*schema = argv[++i];
		} else if (!strncmp(a, "--schema=", 9)) {
			*schema = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, PROG ": unknown or incomplete option '%s'\n", a);
			return -1;
		} else {
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return -1;
	}
	return i;
}

/* Check one file and print its problems: 0 read to the end, -1 not. */
static int validate_file(const struct k8s_schema *sc, const char *file, struct k8s_counts *n)
{
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	int ret = -1;

	d.max = 0;
	if (strbuf_read_file(&sb, strcmp(file, "-") ? file : "/dev/stdin", MAX_INPUT) < 0) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", file, strerror(errno));
		goto out;
	}
	ret = k8s_validate(sc, file, sb.buf, sb.len, n, &d) < 0 ? -1 : 0;
	diag_sort(&d);
	diag_format(&d, &out, NULL);
	fputs(out.buf, stdout);
out:
	diag_release(&d);
	strbuf_release(&out);
	strbuf_release(&sb);
	return ret;
}

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct k8s_counts n = { 0 };
	const char *path = NULL;
	struct k8s_schema *sc;
	int first, failed = 0;

	first = parse_args(argc, argv, &path);
	if (first < 0)
		return 2;
	if (!path)
		path = getenv("K8S_SCHEMA");
	if (!path || !*path)
		path = DEFAULT_SCHEMA;
	sc = k8s_schema_load(path, &err);
	if (!sc) {
		fprintf(stderr, PROG ": %s\n", err.buf);
		strbuf_release(&err);
		return 2;
	}
	for (int i = first; i < argc; i++)
		failed += validate_file(sc, argv[i], &n) != 0;
	fflush(stdout);
	fprintf(stderr, PROG ": %zu objects, %zu errors", n.objects, n.errors);
	if (failed)
		fprintf(stderr, ", %d %s not read to the end", failed, failed == 1 ? "file" : "files");
	fputc('\n', stderr);
	k8s_schema_free(sc);
	return failed ? 2 : n.errors ? 1 : 0;
}
