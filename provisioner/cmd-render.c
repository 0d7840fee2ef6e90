/*
 * provisioner render ENV_FILE [--out DIR] [--target terraform|kubernetes|all]
 *                             [--check | --stat] [--validate]
 *
 * Renders every target into memory first; nothing is written unless all
 * of them rendered. DIR is shared with Terraform (.terraform/, its lock
 * file) and the user: render changes only the files it owns, as
 * render-out.h describes, each written beside its place first and all
 * renamed into place together, so an interrupted render or a failed one
 * leaves DIR as it was.
 *
 * --check writes nothing: it prints what a render would change, a unified
 * diff per file (lib/diff.h) and a line per file, and exits 1 on drift;
 * --stat prints only the lines.
 *
 * --validate then checks every Kubernetes file rendered (written, or
 * compared with --check) strictly against the shipped Kubernetes schema
 * (cmd-check.c), and exits 1 when one is invalid; the files stay written,
 * so the lines named can be looked at.
 */
#include "cmd.h"
#include "diff.h"
#include "fsutil.h"
#include "render-out.h"
#include "render.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_TERRAFORM 1u
#define TARGET_KUBERNETES 2u

/* --target's values, and the targets each one means */
static const char *const target_names[] = { "all", "terraform", "kubernetes", NULL };
static const unsigned target_bits[] = {
	TARGET_TERRAFORM | TARGET_KUBERNETES, TARGET_TERRAFORM, TARGET_KUBERNETES,
};

static struct {
	const char *out;
	int target, check, stat, validate;
} opt;

/*
 * No short options for --out and --target: -o is the output format and -t
 * the timeout in every other command, as in kubectl.
 */
static const struct cli_option render_options[] = {
	ENV_OPTS,
	OPT_STRING(0, "out", &opt.out, "DIR", "output directory (default: out/ENV_NAME)"),
	OPT_CHOICE(0, "target", &opt.target, "TARGET", "terraform, kubernetes or all (default)",
		   target_names),
	OPT_BOOL(0, "check", &opt.check, "compare with DIR instead of writing: a diff per file; "
		 "exit 1 on drift"),
	OPT_BOOL(0, "stat", &opt.stat, "as --check, but only a line per file"),
	OPT_BOOL(0, "validate", &opt.validate, "check the Kubernetes files against the Kubernetes "
		 "schema; exit 1 if one is invalid"),
	OPT_END(),
};

static const char *const target_dirs[] = { "terraform", "kubernetes" };

/* --- checking ------------------------------------------------------------- */

static void print_diff(const struct out_delta *d, const struct strbuf *hunks)
{
	if (d->change == OUT_NEW)
		printf("--- /dev/null\n");
	else
		printf("--- a/%s\n", d->path);
	if (d->change == OUT_REMOVED)
		printf("+++ /dev/null\n");
	else
		printf("+++ b/%s\n", d->path);
	fputs(hunks->buf, stdout);
}

static void print_summary(const struct out_delta *d, const struct diff_stat *st)
{
	if (d->change == OUT_NEW)
		printf("%s: new file\n", d->path);
	else if (d->change == OUT_REMOVED)
		printf("%s: would be removed\n", d->path);
	else
		printf("%s: %zu line%s changed (+%zu -%zu)\n", d->path, st->changed,
		       st->changed == 1 ? "" : "s", st->added, st->removed);
}

/* What a render would change: a unified diff per file (unless --stat), then a line each. */
static enum cli_result check_all(const char *out, const struct out_plan *p)
{
	struct diff_stat *st = xcalloc(p->nr + 1, sizeof(*st));
	struct strbuf hunks = STRBUF_INIT;

	for (size_t i = 0; i < p->nr; i++) {
		const struct out_delta *d = &p->v[i];

		strbuf_reset(&hunks);
		diff_unified(&hunks, d->old ? d->old : "", d->old_len, d->new ? d->new : "",
			     d->new_len, DIFF_CONTEXT, &st[i]);
		if (!opt.stat)
			print_diff(d, &hunks);
	}
	for (size_t i = 0; i < p->nr; i++)
		print_summary(&p->v[i], &st[i]);
	strbuf_release(&hunks);
	free(st);
	if (p->nr) {
		printf("drift: %zu file%s in '%s' differ%s from the definition\n", p->nr,
		       p->nr == 1 ? "" : "s", out, p->nr == 1 ? "s" : "");
		return CLI_FAILED;
	}
	printf("up to date: '%s' matches the definition\n", out);
	return CLI_OK;
}

/* --- writing ---------------------------------------------------------------- */

static enum cli_result write_all(const struct env_model *m, const char *out,
				 const struct out_plan *p, size_t nr_files)
{
	struct strbuf err = STRBUF_INIT;
	int rc;

	if (mkdir_p(out, 0755) < 0) {
		error_errno("cannot create '%s'", out);
		return CLI_FAILED;
	}
	rc = out_plan_apply(p, &err);
	if (rc < 0)
		error("%s", err.buf);
	strbuf_release(&err);
	if (rc)
		return rc > 0 ? CLI_INTERRUPTED : CLI_FAILED;
	printf("rendered environment '%s' into '%s' (%zu files)\n", m->env_name, out, nr_files);
	return CLI_OK;
}

/* --- the command ---------------------------------------------------------- */

/* Every rendered Kubernetes file, named as it is (or would be) in `out`. */
static enum cli_result validate_all(const struct env_model *m, const char *out,
				    const struct fileset *fs)
{
	struct k8s_check kc;

	if (k8s_check_init(&kc, NULL, m->file) < 0)
		return CLI_USAGE;
	for (size_t i = 0; i < fs->nr; i++) {
		const struct rfile *f = &fs->v[i];
		char *path;

		if (strncmp(f->path, "kubernetes/", 11))
			continue;
		path = path_join(out, f->path);
		k8s_check_text(&kc, path, f->data, f->len);
		free(path);
	}
	return k8s_check_finish(&kc);
}

static int render_all(const struct env_model *m, const char *datadir, unsigned targets,
		      struct fileset *fs)
{
	struct render_opts ro = { .datadir = datadir };
	struct strbuf err = STRBUF_INIT;
	int ret = 0;

	if ((targets & TARGET_TERRAFORM) && render_terraform(m, &ro, fs, &err) < 0)
		ret = -1;
	if (!ret && (targets & TARGET_KUBERNETES) && render_kubernetes(m, &ro, fs, &err) < 0)
		ret = -1;
	if (ret)
		error("cannot render: %s", err.buf);
	strbuf_release(&err);
	fileset_sort(fs);
	return ret;
}

/* Of a drift check and a validation, the result that says most. */
static enum cli_result worse(enum cli_result a, enum cli_result b)
{
	return a == CLI_OK ? b : b == CLI_USAGE ? b : a;
}

/* Render the targets in memory, and plan what changes under OUT. */
static enum cli_result render_plan(const struct env_model *m, const char *out, unsigned targets,
				   struct fileset *fs, struct out_plan *plan)
{
	struct strbuf err = STRBUF_INIT;
	const char *prefixes[3] = { NULL };
	size_t nr_prefixes = 0;
	char *datadir = find_datadir(m->file, &err);
	enum cli_result res = CLI_OK;

	if (!datadir) {
		res = (error("%s", err.buf), CLI_USAGE);
	} else if (render_all(m, datadir, targets, fs) < 0) {
		res = CLI_FAILED;
	} else {
		for (size_t t = 0; t < 2; t++)
			if (targets & (1u << t))
				prefixes[nr_prefixes++] = target_dirs[t];
		if (out_plan_make(plan, out, fs, prefixes, &err) < 0)
			res = (error("%s", err.buf), CLI_FAILED);
	}
	free(datadir);
	strbuf_release(&err);
	return res;
}

static enum cli_result cmd_render_exec(struct cli_ctx *ctx)
{
	const struct env_model *m = cmd_model(ctx);
	struct fileset fs = FILESET_INIT;
	struct out_plan plan = OUT_PLAN_INIT;
	unsigned targets = target_bits[opt.target];
	enum cli_result res;
	static char detail[64];
	char *out;

	if (!m->branch || !m->commit) {
		error("cannot render '%s': the %s is unknown (every resource is tagged with the "
		      "branch and commit); pass --%s", m->file, m->branch ? "commit" : "branch",
		      m->branch ? "commit" : "branch");
		return CLI_USAGE;
	}
	out = opt.out ? xstrdup(opt.out) : xasprintf("out/%s", m->env_name);
	res = render_plan(m, out, targets, &fs, &plan);
	if (res != CLI_OK)
		goto done;
	if (opt.check || opt.stat) {
		res = check_all(out, &plan);
	} else {
		res = write_all(m, out, &plan, fs.nr);
		snprintf(detail, sizeof(detail), "target=%s", target_names[opt.target]);
		cmd_data(ctx)->audit_detail = detail;
	}
	if (opt.validate && (res == CLI_OK || opt.check || opt.stat))
		res = worse(res, validate_all(m, out, &fs));
done:
	out_plan_release(&plan);
	fileset_release(&fs);
	free(out);
	return res;
}

const struct cli_cmd cmd_render_entry = {
	.name = "render",
	.args = "ENV_FILE [--branch B] [--commit C] [--out DIR] "
		"[--target terraform|kubernetes|all] [--check | --stat] [--validate]",
	.summary = "render the Terraform and Kubernetes output of a definition",
	.help = "Writes DIR/terraform (a root module, main.tf.json, with the modules it\n"
		"calls) and DIR/kubernetes/REGION (manifests and a kustomization.yaml).\n"
		"The same input always gives byte-identical output. Render replaces\n"
		"and removes only the files it wrote (listed in DIR/.provisioner-render):\n"
		"Terraform's .terraform/ and .terraform.lock.hcl and your own files stay.\n"
		"A failed render leaves DIR as it was. --check prints what a render\n"
		"would change as a unified diff per file. --validate checks the\n"
		"Kubernetes files strictly against the Kubernetes 1.36 schema, as\n"
		"'provisioner check' does.",
	.flags = CMD_NEEDS_ENV | CMD_AUDIT,
	.options = render_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_render_exec,
};
