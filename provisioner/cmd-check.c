/*
 * provisioner check [--schema FILE] FILE|DIR...
 *
 * Strict, offline validation of Kubernetes manifests (lib/schema-k8s.h)
 * against the schema the repository ships, in the manner of kubeconform:
 * every YAML document of every FILE ("-" is standard input) and of every
 * .yaml, .yml and .json file below each DIR (names starting with '.'
 * skipped). Each problem is printed as FILE:LINE:COL: Kind/name:
 * field.path: message. Exit status: 0 every object is valid, 1 one is not
 * (or a file is not YAML), 2 a bad option, a schema or file that cannot be
 * read, a directory without manifests.
 *
 * `render --validate` checks what it rendered through the same helpers
 * (cmd.h: struct k8s_check).
 */
#include "cmd.h"
#include "diag.h"
#include "fsutil.h"
#include "render.h"
#include "schema-k8s.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MANIFEST (64u << 20)

static const char *schema_opt;

static const struct cli_option check_options[] = {
	OPT_STRING(0, "schema", &schema_opt, "FILE", "OpenAPI v2 definitions (default: "
		   "$K8S_SCHEMA, else the shipped Kubernetes 1.36 ones)"),
	OPT_END(),
};

/* --- the helpers (cmd.h) ---------------------------------------------------- */

int k8s_check_init(struct k8s_check *kc, const char *schema, const char *near)
{
	struct strbuf err = STRBUF_INIT;
	char *datadir = NULL, *path = NULL;

	memset(kc, 0, sizeof(*kc));
	if (!schema || !*schema)
		schema = getenv("K8S_SCHEMA");
	if (schema && *schema)
		path = xstrdup(schema);
	else if ((datadir = find_datadir(near, &err)))
		path = path_join(datadir, K8S_SCHEMA_FILE);
	if (path)
		kc->schema = k8s_schema_load(path, &err);
	if (!kc->schema)
		error("%s", err.buf);
	strbuf_release(&err);
	free(datadir);
	free(path);
	return kc->schema ? 0 : -1;
}

void k8s_check_text(struct k8s_check *kc, const char *file, const char *buf, size_t len)
{
	struct k8s_counts n = { 0 };
	struct diag d = DIAG_INIT;

	kc->files++;
	if (k8s_validate(kc->schema, file, buf, len, &n, &d) != 0)
		kc->bad_files++;
	diag_sort(&d);
	cli_print_diag(&d);
	kc->objects += n.objects;
	kc->problems += diag_count(&d);
	diag_release(&d);
}

enum cli_result k8s_check_finish(struct k8s_check *kc)
{
	enum cli_result res = CLI_OK;

	if (kc->unreadable) {
		res = CLI_USAGE;
	} else if (kc->bad_files) {
		error("%zu problem%s in %zu of %zu files (%zu objects)", kc->problems,
		      kc->problems == 1 ? "" : "s", kc->bad_files, kc->files, kc->objects);
		res = CLI_FAILED;
	} else {
		printf("valid: %zu Kubernetes objects in %zu files\n", kc->objects, kc->files);
	}
	k8s_schema_free(kc->schema);
	kc->schema = NULL;
	return res;
}

/* --- the command ------------------------------------------------------------ */

static void check_file(struct k8s_check *kc, const char *file)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, strcmp(file, "-") ? file : "/dev/stdin", MAX_MANIFEST) < 0) {
		error_errno("cannot read '%s'", file);
		kc->unreadable++;
	} else {
		k8s_check_text(kc, file, sb.buf, sb.len);
	}
	strbuf_release(&sb);
}

static int is_manifest_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

/* Every manifest below `dir`, in name order; returns how many. */
static size_t check_dir(struct k8s_check *kc, const char *dir)
{
	size_t nr, found = 0;
	char **names;

	if (list_dir(dir, &names, &nr) < 0) {
		error_errno("cannot read '%s'", dir);
		kc->unreadable++;
		return 0;
	}
	for (size_t i = 0; i < nr; i++) {
		char *path = path_join(dir, names[i]);

		if (names[i][0] != '.' && is_dir(path)) {
			found += check_dir(kc, path);
		} else if (names[i][0] != '.' && is_manifest_name(names[i])) {
			check_file(kc, path);
			found++;
		}
		free(path);
	}
	free_list(names);
	return found;
}

static enum cli_result cmd_check_exec(struct cli_ctx *ctx)
{
	struct k8s_check kc;

	if (k8s_check_init(&kc, schema_opt, ctx->argv[0]) < 0)
		return CLI_USAGE;
	for (int i = 0; i < ctx->argc; i++) {
		const char *arg = ctx->argv[i];

		size_t unreadable = kc.unreadable;

		if (strcmp(arg, "-") && is_dir(arg)) {
			if (!check_dir(&kc, arg) && kc.unreadable == unreadable) {
				error("no .yaml, .yml or .json files in '%s'", arg);
				kc.unreadable++;
			}
		} else {
			check_file(&kc, arg);
		}
	}
	return k8s_check_finish(&kc);
}

static const struct cli_exit check_exits[] = {
	{ 0, "every document is valid" },
	{ 1, "a problem was found (or a file is not YAML)" },
	{ 2, "usage error, or a file or the schema cannot be read" },
	{ 0, NULL },
};

const struct cli_cmd cmd_check_entry = {
	.name = "check",
	.args = "[--schema FILE] FILE|DIR...",
	.summary = "validate Kubernetes manifests strictly against the Kubernetes 1.36 schema",
	.help = "Checks every YAML document of each FILE ('-' is standard input) and of\n"
		"every .yaml, .yml and .json file below each DIR: apiVersion and kind,\n"
		"unknown and missing fields, types, enums, names, labels and quantities.\n"
		"Each problem is printed as FILE:LINE:COL: Kind/name: field: message.",
	.options = check_options,
	.exits = check_exits,
	.min_args = 1, .max_args = -1,
	.exec = cmd_check_exec,
};
