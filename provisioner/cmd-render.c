/*
 * provisioner render ENV_FILE [--out DIR] [--target terraform|kubernetes|all] [--check]
 *
 * Renders every target into memory first; nothing is written unless all
 * of them rendered. Each target directory (DIR/terraform, DIR/kubernetes)
 * is written into a fresh temporary directory beside it and swapped into
 * place with one rename (RENAME_EXCHANGE when an old one exists), with
 * SIGINT and SIGTERM held off for those few milliseconds, so a reader, an
 * interrupted render or a failed one never sees a mix of old and new.
 *
 * --check writes nothing: it compares with DIR, prints what differs, and
 * exits 1 on drift.
 *
 * --validate then checks every Kubernetes file rendered (written, or
 * compared with --check) strictly against the shipped Kubernetes schema
 * (cmd-check.c), and exits 1 when one is invalid; the files stay written,
 * so the lines named can be looked at.
 */
#include "cmd.h"
#include "fsutil.h"
#include "render.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TARGET_TERRAFORM 1u
#define TARGET_KUBERNETES 2u

/* --target's values, and the targets each one means */
static const char *const target_names[] = { "all", "terraform", "kubernetes", NULL };
static const unsigned target_bits[] = {
	TARGET_TERRAFORM | TARGET_KUBERNETES, TARGET_TERRAFORM, TARGET_KUBERNETES,
};

static struct {
	const char *out;
	int target, check, validate;
} opt;

static const struct cli_option render_options[] = {
	ENV_OPTS,
	OPT_STRING('o', "out", &opt.out, "DIR", "output directory (default: out/ENV_NAME)"),
	OPT_CHOICE('t', "target", &opt.target, "TARGET", "terraform, kubernetes or all (default)",
		   target_names),
	OPT_BOOL(0, "check", &opt.check, "compare with DIR instead of writing; exit 1 on drift"),
	OPT_BOOL(0, "validate", &opt.validate, "check the Kubernetes files against the Kubernetes "
		 "schema; exit 1 if one is invalid"),
	OPT_END(),
};

static const char *const target_dirs[] = { "terraform", "kubernetes" };

/* --- writing ---------------------------------------------------------------- */

static int write_fileset(const char *root, const struct fileset *fs, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *made = NULL;   /* the last directory created: files come sorted */
	int ret = 0;

	for (size_t i = 0; i < fs->nr && !ret; i++) {
		const struct rfile *f = &fs->v[i];
		char *path, *dir;

		if (strncmp(f->path, prefix, plen) || f->path[plen] != '/')
			continue;
		path = path_join(root, f->path + plen + 1);
		dir = path_dirname(path);
		if (!made || strcmp(made, dir)) {
			ret = mkdir_p(dir, 0755);
			free(made);
			made = xstrdup(dir);
		}
		if (!ret)
			ret = write_file(path, f->data, f->len, 0644);
		if (ret < 0)
			error_errno("cannot write '%s'", path);
		free(dir);
		free(path);
	}
	free(made);
	return ret;
}

/* Put `tmp` in place of `dest`; the old one, if any, ends up at `tmp`. */
static int swap_into_place(const char *tmp, const char *dest)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) == 0)
		return 1;
	if (errno != ENOENT)
		return -1;
	return rename(tmp, dest) == 0 ? 0 : -1;
}

static int write_target(const char *out, const char *name, const struct fileset *fs)
{
	char *dest = path_join(out, name);
	char *tmp = xasprintf("%s/.%s.tmp-XXXXXX", out, name);
	sigset_t block, old;
	int ret = -1, swapped;

	if (!mkdtemp(tmp)) {
		error_errno("cannot create a temporary directory in '%s'", out);
		goto out;
	}
	if (chmod(tmp, 0755) < 0 || write_fileset(tmp, fs, name) < 0) {
		rm_rf(tmp);
		goto out;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	swapped = swap_into_place(tmp, dest);
	if (swapped < 0)
		error_errno("cannot move the rendered '%s' into place", dest);
	rm_rf(tmp);   /* the old output, or the new one if the swap failed */
	sigprocmask(SIG_SETMASK, &old, NULL);
	ret = swapped < 0 ? -1 : 0;
out:
	free(dest);
	free(tmp);
	return ret;
}

/* --- checking ------------------------------------------------------------- */

struct lines {
	const char **v;
	size_t *len;
	size_t nr;
};

static void split_lines(struct lines *l, const char *data, size_t len)
{
	size_t alloc = 0;

	memset(l, 0, sizeof(*l));
	for (const char *p = data; p < data + len;) {
		const char *nl = memchr(p, '\n', (size_t)(data + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);

		if (l->nr + 1 > alloc) {
			alloc = alloc ? alloc * 2 : 64;
			l->v = xreallocarray(l->v, alloc, sizeof(*l->v));
			l->len = xreallocarray(l->len, alloc, sizeof(*l->len));
		}
		l->v[l->nr] = p;
		l->len[l->nr++] = n;
		p += n + 1;
	}
}

static int same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->v[i], b->v[j], a->len[i]);
}

/* One hunk: the lines between the common head and the common tail. */
static void print_diff(const char *path, const char *old, size_t old_len, const char *new,
		       size_t new_len)
{
	struct lines a, b;
	size_t head = 0, tail = 0, shown = 0;
	const size_t max_shown = 40;

	split_lines(&a, old, old_len);
	split_lines(&b, new, new_len);
	while (head < a.nr && head < b.nr && same_line(&a, head, &b, head))
		head++;
	while (tail < a.nr - head && tail < b.nr - head &&
	       same_line(&a, a.nr - 1 - tail, &b, b.nr - 1 - tail))
		tail++;
	printf("--- %s (on disk)\n+++ %s (rendered)\n@@ -%zu,%zu +%zu,%zu @@\n", path, path,
	       head + 1, a.nr - head - tail, head + 1, b.nr - head - tail);
	for (size_t i = head; i < a.nr - tail && shown < max_shown; i++, shown++)
		printf("-%.*s\n", (int)a.len[i], a.v[i]);
	for (size_t i = head; i < b.nr - tail && shown < max_shown; i++, shown++)
		printf("+%.*s\n", (int)b.len[i], b.v[i]);
	if (a.nr + b.nr - 2 * (head + tail) > shown)
		printf("... %zu more changed lines\n", a.nr + b.nr - 2 * (head + tail) - shown);
	free(a.v);
	free(a.len);
	free(b.v);
	free(b.len);
}

static void collect_disk(struct fileset *disk, const char *out, const char *name)
{
	char *dir = path_join(out, name);

	if (is_dir(dir))
		fileset_add_tree(disk, name, dir);
	fileset_sort(disk);
	free(dir);
}

static size_t check_target(const char *out, const char *name, const struct fileset *fs)
{
	struct fileset disk = FILESET_INIT;
	size_t plen = strlen(name), drift = 0;

	collect_disk(&disk, out, name);
	for (size_t i = 0; i < fs->nr; i++) {
		const struct rfile *f = &fs->v[i];
		const struct rfile *d;

		if (strncmp(f->path, name, plen) || f->path[plen] != '/')
			continue;
		d = fileset_find(&disk, f->path);
		if (!d) {
			printf("missing: %s\n", f->path);
			drift++;
		} else if (d->len != f->len || memcmp(d->data, f->data, f->len)) {
			print_diff(f->path, d->data, d->len, f->data, f->len);
			drift++;
		}
	}
	for (size_t i = 0; i < disk.nr; i++) {
		if (!fileset_find(fs, disk.v[i].path)) {
			printf("extra: %s\n", disk.v[i].path);
			drift++;
		}
	}
	fileset_release(&disk);
	return drift;
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

static enum cli_result check_all(const char *out, unsigned targets, const struct fileset *fs)
{
	size_t drift = 0;

	for (size_t t = 0; t < 2; t++)
		if (targets & (1u << t))
			drift += check_target(out, target_dirs[t], fs);
	if (drift) {
		printf("drift: %zu file%s in '%s' differ%s from the definition\n", drift,
		       drift == 1 ? "" : "s", out, drift == 1 ? "s" : "");
		return CLI_FAILED;
	}
	printf("up to date: '%s' matches the definition\n", out);
	return CLI_OK;
}

static enum cli_result write_all(const struct env_model *m, const char *out, unsigned targets,
				 const struct fileset *fs)
{
	if (mkdir_p(out, 0755) < 0) {
		error_errno("cannot create '%s'", out);
		return CLI_FAILED;
	}
	for (size_t t = 0; t < 2; t++)
		if ((targets & (1u << t)) && write_target(out, target_dirs[t], fs) < 0)
			return CLI_FAILED;
	printf("rendered environment '%s' into '%s' (%zu files)\n", m->env_name, out, fs->nr);
	return CLI_OK;
}

/* Of a drift check and a validation, the result that says most. */
static enum cli_result worse(enum cli_result a, enum cli_result b)
{
	return a == CLI_OK ? b : b == CLI_USAGE ? b : a;
}

static enum cli_result cmd_render_exec(struct cli_ctx *ctx)
{
	const struct env_model *m = cmd_model(ctx);
	struct fileset fs = FILESET_INIT;
	struct strbuf err = STRBUF_INIT;
	char *out, *datadir = NULL;
	unsigned targets = target_bits[opt.target];
	enum cli_result res = CLI_USAGE;
	static char detail[64];

	if (!m->branch || !m->commit) {
		error("cannot render '%s': the %s is unknown (every resource is tagged with the "
		      "branch and commit); pass --%s", m->file, m->branch ? "commit" : "branch",
		      m->branch ? "commit" : "branch");
		return CLI_USAGE;
	}
	out = opt.out ? xstrdup(opt.out) : xasprintf("out/%s", m->env_name);
	datadir = find_datadir(m->file, &err);
	if (!datadir) {
		error("%s", err.buf);
		goto done;
	}
	if (render_all(m, datadir, targets, &fs) < 0) {
		res = CLI_FAILED;
		goto done;
	}
	if (opt.check) {
		res = check_all(out, targets, &fs);
	} else {
		res = write_all(m, out, targets, &fs);
		snprintf(detail, sizeof(detail), "target=%s", target_names[opt.target]);
		cmd_data(ctx)->audit_detail = detail;
	}
	if (opt.validate && (res == CLI_OK || opt.check))
		res = worse(res, validate_all(m, out, &fs));
done:
	fileset_release(&fs);
	strbuf_release(&err);
	free(datadir);
	free(out);
	return res;
}

const struct cli_cmd cmd_render_entry = {
	.name = "render",
	.args = "ENV_FILE [--branch B] [--commit C] [--out DIR] "
		"[--target terraform|kubernetes|all] [--check] [--validate]",
	.summary = "render the Terraform and Kubernetes output of a definition",
	.help = "Writes DIR/terraform (a root module, main.tf.json, with the modules it\n"
		"calls) and DIR/kubernetes/REGION (manifests and a kustomization.yaml).\n"
		"The same input always gives byte-identical output. A failed render\n"
		"leaves DIR as it was. --validate checks the Kubernetes files strictly\n"
		"against the Kubernetes 1.36 schema, as 'provisioner check' does.",
	.flags = CMD_NEEDS_ENV | CMD_AUDIT,
	.options = render_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_render_exec,
};
