/*
 * Reading, merging and resolving definitions; see load.h.
 */
#include "load.h"
#include "diag.h"
#include "fsutil.h"
#include "gitinfo.h"
#include "naming.h"
#include "strbuf.h"
#include "subst.h"
#include "validate.h"
#include "xalloc.h"
#include "ynode.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTENDS_DEPTH 16
#define DEFAULT_MAX_BYTES (4u << 20)

struct loader {
	struct env_model *m;
	const char *mem;      /* the top-level file's text, when given in memory */
	size_t mem_len;
	struct diag *d;
	const struct load_opts *o;
	char *chain[MAX_EXTENDS_DEPTH + 1];  /* real paths being read, for cycles */
	const char *shown[MAX_EXTENDS_DEPTH + 1];  /* the same, as named */
	int depth;
};

/* Keep the name alive as long as the model; positions point at it. */
static const char *intern_file(struct env_model *m, const char *name)
{
	for (size_t i = 0; i < m->nr_files; i++)
		if (!strcmp(m->files[i], name))
			return m->files[i];
	m->files = xreallocarray(m->files, m->nr_files + 1, sizeof(*m->files));
	m->files[m->nr_files] = xstrdup(name);
	return m->files[m->nr_files++];
}

/*
 * Deep merge of `over` into `base`: maps merge key by key, anything else
 * (lists, scalars) replaces, and null deletes the key.
 */
static void merge_into(struct ynode *base, const struct ynode *over)
{
	for (size_t i = 0; i < over->nr; i++) {
		const char *key = over->keys[i];
		const struct ynode *val = over->kids[i];
		ssize_t at = ynode_map_index(base, key);

		if (val->kind == YN_NULL) {
			if (at >= 0)
				ynode_map_forget(base, (size_t)at, val->pos);
			continue;
		}
		if (at >= 0 && base->kids[at]->kind == YN_MAP && val->kind == YN_MAP) {
			size_t w = base->kids[at]->weight;

			merge_into(base->kids[at], val);
			base->weight += base->kids[at]->weight - w;
			base->key_pos[at] = over->key_pos[i];
			/* errors about the merged block point at the file that changed it last */
			base->kids[at]->pos = val->pos;
			continue;
		}
		ynode_map_set(base, key, over->key_pos[i], ynode_dup(val));
	}
}

/* regions: {primary: eu-west-1} is short for {primary: {name: eu-west-1}} */
static void expand_region_shorthand(struct ynode *root)
{
	struct ynode *regions = ynode_map_get(root, "regions");

	if (!regions || regions->kind != YN_MAP)
		return;
	for (size_t i = 0; i < regions->nr; i++) {
		struct ynode *v = regions->kids[i];
		struct ynode *map;

		if (v->kind != YN_SCALAR)
			continue;
		map = ynode_new(YN_MAP, v->pos);
		ynode_map_set(map, "name", v->pos, v);
		regions->kids[i] = map;
		regions->weight += 1;
	}
}

static struct ynode *read_tree(struct loader *ld, const char *path, const struct ypos *from);

static struct ynode *read_base(struct loader *ld, const char *path, struct ynode *root)
{
	ssize_t at = ynode_map_index(root, "extends");
	const struct ynode *ext;
	struct ynode *base;
	char *dir, *base_path;

	if (at < 0)
		return NULL;
	ext = root->kids[at];
	if (ext->kind != YN_SCALAR || !*ext->str) {
		diag_add(ld->d, ext->pos.file, ext->pos.line, ext->pos.col,
			 "invalid value for 'extends': expected the path of a definition, got %s",
			 ext->kind == YN_SCALAR ? "''" : ynode_kind_name(ext));
		return NULL;
	}
	dir = path_dirname(path);
	base_path = path_join(dir, ext->str);
	base = read_tree(ld, base_path, &ext->pos);
	free(dir);
	free(base_path);
	return base;
}

static struct ynode *parse_file(struct loader *ld, const char *path, const char *file,
				const struct ypos *from)
{
	struct strbuf sb = STRBUF_INIT;
	struct ynode_limits lim = YNODE_LIMITS_INIT;
	struct ynode *root;

	lim.max_bytes = ld->o->max_bytes ? ld->o->max_bytes : DEFAULT_MAX_BYTES;
	if (!from && ld->mem) {
		strbuf_add(&sb, ld->mem, ld->mem_len);
	} else if (strbuf_read_file(&sb, path, lim.max_bytes) < 0) {
		if (errno == EFBIG)
			diag_add(ld->d, file, 0, 0, "file too large (the limit is %zu bytes)",
				 lim.max_bytes);
		else if (from)
			diag_add(ld->d, from->file, from->line, from->col,
				 "cannot read '%s' (named by 'extends'): %s", path, strerror(errno));
		else
			diag_add(ld->d, file, 0, 0, "cannot read the definition: %s", strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	root = ynode_parse(sb.buf, sb.len, file, &lim, ld->d);
	strbuf_release(&sb);
	if (root && root->kind != YN_MAP) {
		diag_add(ld->d, file, root->pos.line, root->pos.col,
			 root->kind == YN_NULL ? "the definition is empty"
					       : "a definition must be a mapping, got %s",
			 ynode_kind_name(root));
		ynode_free(root);
		return NULL;
	}
	return root;
}

static int enter(struct loader *ld, const char *path, const char *file, const struct ypos *from)
{
	char *real = realpath(path, NULL);

	if (!real)
		return 0;   /* parse_file reports it */
	for (int i = 0; i < ld->depth; i++) {
		if (!strcmp(ld->chain[i], real)) {
			struct strbuf chain = STRBUF_INIT;

			for (int j = i; j < ld->depth; j++)
				strbuf_addf(&chain, "%s -> ", ld->shown[j]);
			strbuf_addstr(&chain, file);
			diag_add(ld->d, from->file, from->line, from->col, "'extends' cycle: %s",
				 chain.buf);
			strbuf_release(&chain);
			free(real);
			return -1;
		}
	}
	if (ld->depth >= MAX_EXTENDS_DEPTH) {
		diag_add(ld->d, from->file, from->line, from->col,
			 "'extends' chain is deeper than %d files", MAX_EXTENDS_DEPTH);
		free(real);
		return -1;
	}
	ld->shown[ld->depth] = file;
	ld->chain[ld->depth++] = real;
	return 1;
}

static struct ynode *read_tree(struct loader *ld, const char *path, const struct ypos *from)
{
	const char *file = intern_file(ld->m, path);
	struct ynode *root = NULL, *base = NULL;
	int entered = enter(ld, path, file, from);

	if (entered < 0)
		return NULL;
	root = parse_file(ld, path, file, from);
	if (!root)
		goto out;
	expand_region_shorthand(root);
	if (ynode_map_index(root, "extends") >= 0) {
		base = read_base(ld, path, root);
		if (!base) {
			ynode_free(root);
			root = NULL;
			goto out;
		}
		ynode_map_remove(root, (size_t)ynode_map_index(root, "extends"));
		merge_into(base, root);
		/* errors about the whole definition name the file given, not a base */
		base->pos = root->pos;
		ynode_free(root);
		root = base;
	}
out:
	if (entered > 0)
		free(ld->chain[--ld->depth]);
	return root;
}

/* --- variables ----------------------------------------------------------- */

struct walk {
	struct loader *ld;
	struct subst_ctx ctx;
	const struct ynode *cur;
	int failed;
};

/*
 * The variables that services read secrets from: substituting one would
 * copy a secret into the definition, so ${env:NAME} refuses them.
 */
static void collect_secret_sources(const struct ynode *root, struct subst_ctx *ctx)
{
	const struct ynode *services = ynode_map_get(root, "services");

	for (size_t i = 0; services && services->kind == YN_MAP && i < services->nr; i++) {
		const struct ynode *secrets = ynode_map_get(services->kids[i], "secrets");

		for (size_t j = 0; secrets && secrets->kind == YN_MAP && j < secrets->nr; j++) {
			const struct ynode *ref = secrets->kids[j];
			const struct ynode *from = ynode_map_get(ref, "from");
			const struct ynode *name = ynode_map_get(ref, "name");

			if (!from || from->kind != YN_SCALAR || strcmp(from->str, "env") ||
			    !name || name->kind != YN_SCALAR)
				continue;
			ctx->secret_vars = xreallocarray(ctx->secret_vars, ctx->nr_secret_vars + 1,
							 sizeof(*ctx->secret_vars));
			/* copies: substitution rewrites the tree's strings */
			ctx->secret_vars[ctx->nr_secret_vars].env = xstrdup(name->str);
			ctx->secret_vars[ctx->nr_secret_vars++].secret = xstrdup(secrets->keys[j]);
		}
	}
}

/* Where in a scalar the problem at byte `off` is, as well as we can tell. */
static struct ypos pos_in_scalar(const struct ynode *n, size_t off)
{
	struct ypos p = n->pos;

	/* in a scalar over several lines, the best we know is where it starts */
	if (!n->multiline && !memchr(n->str, '\n', off))
		p.col += (int)off + (n->quoted ? 1 : 0);
	return p;
}

static void subst_scalar(struct walk *w, struct ynode *n)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	size_t off = 0;
	int flags;

	if (!strchr(n->str, '$'))
		return;
	w->cur = n;
	flags = subst_expand(n->str, &w->ctx, &out, &err, &off);
	if (flags < 0) {
		struct ypos p = pos_in_scalar(n, off);

		diag_add(w->ld->d, p.file, p.line, p.col, "%s", err.buf);
		w->failed = 1;
	} else if (flags & SUBST_CHANGED) {
		free(n->str);
		n->str = strbuf_detach(&out, NULL);
		n->substituted = 1;
		n->from_env |= !!(flags & SUBST_FROM_ENV);
	}
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Deferred variables are allowed in services.<name>.env and .run only. */
static int deferred_ok(const char **path, int depth)
{
	return depth >= 3 && !strcmp(path[0], "services") &&
	       (!strcmp(path[2], "env") || !strcmp(path[2], "run"));
}

static void subst_tree(struct walk *w, struct ynode *n, const char **path, int depth)
{
	if (n->kind == YN_SCALAR) {
		w->ctx.allow_deferred = deferred_ok(path, depth);
		subst_scalar(w, n);
		return;
	}
	for (size_t i = 0; i < n->nr; i++) {
		if (depth < 8)
			path[depth] = n->kind == YN_MAP ? n->keys[i] : "";
		subst_tree(w, n->kids[i], path, depth < 8 ? depth + 1 : depth);
	}
}

static const char *scalar_or_null(const struct ynode *root, const char *key)
{
	const struct ynode *n = ynode_map_get(root, key);

	return n && n->kind == YN_SCALAR ? n->str : NULL;
}

/* The environment's name: expand the `name` template, make a DNS label. */
static int resolve_name(struct walk *w, struct ynode *root)
{
	struct ynode *tmpl = ynode_map_get(root, "name");
	struct ynode *made = NULL;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	size_t off = 0;
	int ret = 0;

	if (!tmpl || tmpl->kind != YN_SCALAR) {
		if (!scalar_or_null(root, "platform") || !scalar_or_null(root, "tier")) {
			/* the decoder reports the missing key itself */
			w->ld->m->env_name = xstrdup("unnamed");
			return 0;
		}
		made = ynode_new(YN_SCALAR, root->pos);
		made->str = xstrdup("${platform}-${tier}");
		tmpl = made;
	}
	w->cur = tmpl;
	w->ctx.allow_deferred = 0;
	if (subst_expand(tmpl->str, &w->ctx, &out, &err, &off) < 0) {
		struct ypos p = pos_in_scalar(tmpl, off);

		diag_add(w->ld->d, p.file, p.line, p.col, "%s", err.buf);
		ret = -1;
	} else {
		w->ld->m->env_name = dns_label(out.buf, DNS_LABEL_MAX);
	}
	ynode_free(made);
	strbuf_release(&out);
	strbuf_release(&err);
	return ret;
}

static int resolve_variables(struct loader *ld, struct ynode *root, const char *path)
{
	struct env_model *m = ld->m;
	struct git_info gi = GIT_INFO_INIT;
	char *dir = path_dirname(path);
	/*
	 * Copies: the walk below rewrites scalars in place, 'platform' and
	 * 'tier' among them ("stag$$ing"), and would free what these point at.
	 */
	char *platform = scalar_or_null(root, "platform") ? xstrdup(scalar_or_null(root, "platform")) : NULL;
	char *tier = scalar_or_null(root, "tier") ? xstrdup(scalar_or_null(root, "tier")) : NULL;
	struct subst_var vars[] = {
		{ "branch", NULL, "not on a branch, and no CI branch variable is set; pass --branch" },
		{ "commit", NULL, "not in a git repository with commits, and no CI commit variable "
				  "is set; pass --commit" },
		{ "platform", platform, "'platform' is not set" },
		{ "tier", tier, "'tier' is not set" },
		{ "env", NULL, "the environment's name cannot refer to itself" },
	};
	struct walk w = { .ld = ld };
	const char *keys[8];

	git_info_read(&gi, dir, ld->o->branch, ld->o->commit);
	free(dir);
	m->branch = gi.branch;
	m->commit = gi.commit;
	vars[0].value = m->branch;
	vars[1].value = m->commit;
	w.ctx = (struct subst_ctx){ .vars = vars, .nr_vars = 5 };
	collect_secret_sources(root, &w.ctx);
	if (resolve_name(&w, root) == 0) {
		vars[4].value = m->env_name;
		subst_tree(&w, root, keys, 0);
	} else {
		w.failed = 1;
	}
	for (size_t i = 0; i < w.ctx.nr_secret_vars; i++) {
		free(w.ctx.secret_vars[i].env);
		free(w.ctx.secret_vars[i].secret);
	}
	free(w.ctx.secret_vars);
	free(platform);
	free(tier);
	return w.failed ? -1 : 0;
}

static struct ynode *load_tree(struct loader *ld, const char *path)
{
	struct ynode *root;

	ld->m->file = xstrdup(path);
	root = read_tree(ld, path, NULL);
	if (!root)
		return NULL;
	if (resolve_variables(ld, root, path) < 0) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

struct ynode *env_load_tree(struct env_model *m, const char *path, const struct load_opts *o,
			    struct diag *d)
{
	static const struct load_opts defaults = LOAD_OPTS_INIT;
	struct loader ld = { .m = m, .d = d, .o = o ? o : &defaults };

	return load_tree(&ld, path);
}

static int decode_and_check(struct env_model *m, struct ynode *root, struct diag *d)
{
	int ret;

	if (!root)
		return -1;
	ret = yd_decode(&env_schema, root, m, d);
	ynode_free(root);
	if (ret < 0)
		return -1;
	model_apply_defaults(m);
	return model_validate(m, d);
}

int env_load(struct env_model *m, const char *path, const struct load_opts *o, struct diag *d)
{
	return decode_and_check(m, env_load_tree(m, path, o, d), d);
}

int env_load_mem(struct env_model *m, const char *name, const char *buf, size_t len,
		 const struct load_opts *o, struct diag *d)
{
	static const struct load_opts defaults = LOAD_OPTS_INIT;
	struct loader ld = { .m = m, .d = d, .o = o ? o : &defaults, .mem = buf, .mem_len = len };

	return decode_and_check(m, load_tree(&ld, name), d);
}
