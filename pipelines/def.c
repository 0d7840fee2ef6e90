/*
 * Pipeline definitions (see def.h): the YAML decoded by lib/ydecode into
 * the structs of def.h, then the checks across jobs (needs, cycles,
 * variables in `run`, cron expressions) and the topological order.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "def.h"
#include "diag.h"
#include "strbuf.h"
#include "suggest.h"
#include "xalloc.h"
#include "ynode.h"

#define MAX_PIPELINE_BYTES (1u << 20)
#define MAX_JOBS 1000

const char *const pl_when_names[] = { "on_success", "on_failure", "always", NULL };

#define F(type_, member, key_, kind, ...) \
	{ .key = key_, .type = kind, .off = offsetof(type_, member), __VA_ARGS__ }
#define RANGE(lo, hi) .flags = YD_RANGE, .min = (lo), .max = (hi)

static const struct yd_field job_fields[] = {
	F(struct pl_job, stage, "stage", YD_STRING, .flags = YD_NONEMPTY,
	  .doc = "a label the CI export groups jobs by; order comes from needs"),
	F(struct pl_job, needs, "needs", YD_STRLIST, .doc = "jobs that must finish first"),
	F(struct pl_job, run, "run", YD_STRLIST, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .doc = "the command, as an argv list"),
	F(struct pl_job, when, "when", YD_ENUM, .names = pl_when_names),
	F(struct pl_job, timeout_ms, "timeout", YD_DURATION, RANGE(1, 86400000)),
	F(struct pl_job, retry, "retry", YD_INT32, RANGE(0, 10)),
	F(struct pl_job, changes, "changes", YD_STRLIST, .flags = YD_NONEMPTY),
	F(struct pl_job, reports, "reports", YD_STRLIST, .flags = YD_NONEMPTY),
};

static int check_job_name(const char *name, const char **why)
{
	if (!*name) {
		*why = "a job's name may not be empty";
		return -1;
	}
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s)) {
			*why = "a job's name is letters, digits, '-', '_' and '.'";
			return -1;
		}
	return 0;
}

static const struct yd_schema job_schema = {
	.what = "job", .size = sizeof(struct pl_job), YD_FIELDS(job_fields),
	.name_off = offsetof(struct pl_job, name), YD_POS(struct pl_job, pos),
	.check_name = check_job_name,
};

static const struct yd_field push_fields[] = {
	F(struct pl_push, branches, "branches", YD_STRLIST, .flags = YD_NONEMPTY),
};
static const struct yd_schema push_schema = {
	.what = "push trigger", .size = sizeof(struct pl_push), YD_FIELDS(push_fields),
};

static const struct yd_field trigger_fields[] = {
	F(struct pl_triggers, push, "push", YD_OPTIONAL, .sub = &push_schema),
	F(struct pl_triggers, schedule, "schedule", YD_STRLIST, .flags = YD_NONEMPTY),
	F(struct pl_triggers, manual, "manual", YD_BOOL),
	F(struct pl_triggers, delete, "delete", YD_BOOL),
};
static const struct yd_schema trigger_schema = {
	.what = "triggers", YD_FIELDS(trigger_fields),
};

static const struct yd_field file_fields[] = {
	F(struct pipeline, env_file, "env_file", YD_STRING, .flags = YD_NONEMPTY),
	F(struct pipeline, triggers, "triggers", YD_STRUCT, .sub = &trigger_schema),
	F(struct pipeline, jobs, "jobs", YD_NAMED, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .sub = &job_schema),
};
static const struct yd_schema file_schema = {
	.what = "pipeline", YD_FIELDS(file_fields),
};

#define DIAG_AT(d, pos, ...) diag_add((d), (pos)->file, (pos)->line, (pos)->col, __VA_ARGS__)

long pipeline_find_job(const struct pipeline *p, const char *name)
{
	for (size_t i = 0; i < p->jobs.nr; i++)
		if (!strcmp(pl_job_at(p, i)->name, name))
			return (long)i;
	return -1;
}

static const char *const var_names[] = { "env", "env_file", "branch", "commit" };

static const char *var_value(const struct pl_vars *v, const char *name, size_t len, int *known)
{
	const char *vals[] = { v->env, v->env_file, v->branch, v->commit };

	*known = 0;
	for (size_t i = 0; i < sizeof(var_names) / sizeof(*var_names); i++)
		if (strlen(var_names[i]) == len && !strncmp(var_names[i], name, len)) {
			*known = 1;
			return vals[i];
		}
	return NULL;
}

char *pl_subst(const char *arg, const struct pl_vars *vars, char **bad)
{
	struct strbuf sb = STRBUF_INIT;

	*bad = NULL;
	for (const char *s = arg; *s; s++) {
		const char *end, *val;
		int known;

		if (s[0] == '$' && s[1] == '$') {
			strbuf_addch(&sb, '$');
			s++;
			continue;
		}
		if (s[0] != '$' || s[1] != '{' || !(end = strchr(s + 2, '}'))) {
			strbuf_addch(&sb, *s);
			continue;
		}
		val = var_value(vars, s + 2, (size_t)(end - s - 2), &known);
		if (!val) {
			if (!known)
				*bad = xstrndup(s + 2, (size_t)(end - s - 2));
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addstr(&sb, val);
		s = end;
	}
	return strbuf_detach(&sb, NULL);
}

/* Every ${NAME} in the job's run must be a variable (values are checked when run). */
static void check_run(const struct pl_job *j, struct diag *d)
{
	static const struct pl_vars all = { "", "", "", "" };

	for (size_t i = 0; i < j->run.nr; i++) {
		char *bad, *s = pl_subst(j->run.v[i].name, &all, &bad);
		const char *near;

		free(s);
		if (!bad)
			continue;
		near = suggest_nearest(bad, var_names, sizeof(var_names) / sizeof(*var_names));
		if (near)
			DIAG_AT(d, &j->run.v[i].pos,
				"unknown variable '${%s}' in run (did you mean '${%s}'?)", bad, near);
		else
			DIAG_AT(d, &j->run.v[i].pos, "unknown variable '${%s}' in run "
				"(known: ${env}, ${env_file}, ${branch}, ${commit})", bad);
		free(bad);
	}
}

static void resolve_needs(struct pipeline *p, struct pl_job *j, struct diag *d)
{
	const char **names = xcalloc(p->jobs.nr, sizeof(*names));

	for (size_t i = 0; i < p->jobs.nr; i++)
		names[i] = pl_job_at(p, i)->name;
	j->need_idx = xcalloc(j->needs.nr + 1, sizeof(*j->need_idx));
	for (size_t i = 0; i < j->needs.nr; i++) {
		const struct yref *r = &j->needs.v[i];
		long at = pipeline_find_job(p, r->name);
		const char *near;

		if (at < 0) {
			near = suggest_nearest(r->name, names, p->jobs.nr);
			if (near)
				DIAG_AT(d, &r->pos, "job '%s' needs unknown job '%s' (did you mean '%s'?)",
					j->name, r->name, near);
			else
				DIAG_AT(d, &r->pos, "job '%s' needs unknown job '%s'", j->name, r->name);
			continue;
		}
		if (!strcmp(r->name, j->name))
			DIAG_AT(d, &r->pos, "job '%s' needs itself", j->name);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(j->needs.v[k].name, r->name))
				DIAG_AT(d, &r->pos, "job '%s' needs '%s' twice", j->name, r->name);
		j->need_idx[i] = (size_t)at;
	}
	free(names);
}

enum { WHITE, GREY, BLACK };

/*
 * Depth-first: append i after everything it needs. On reaching a job on
 * the current path, name the cycle from there ("a -> b -> a").
 */
static int visit(struct pipeline *p, size_t i, int *mark, size_t *path, size_t depth,
		 size_t *nr, struct diag *d)
{
	struct pl_job *j = pl_job_at(p, i);

	if (mark[i] == BLACK)
		return 0;
	if (mark[i] == GREY) {
		struct strbuf sb = STRBUF_INIT;
		size_t from = 0;

		while (path[from] != i)
			from++;
		for (size_t k = from; k < depth; k++)
			strbuf_addf(&sb, "%s -> ", pl_job_at(p, path[k])->name);
		strbuf_addstr(&sb, j->name);
		DIAG_AT(d, &j->pos, "the needs of job '%s' form a cycle: %s", j->name, sb.buf);
		strbuf_release(&sb);
		return -1;
	}
	mark[i] = GREY;
	path[depth] = i;
	for (size_t k = 0; k < j->needs.nr; k++)
		if (visit(p, j->need_idx[k], mark, path, depth + 1, nr, d) < 0)
			return -1;
	mark[i] = BLACK;
	p->order[(*nr)++] = i;
	return 0;
}

static void check_cron(const struct yref *r, struct diag *d)
{
	int fields = 0, in = 0;

	for (const char *s = r->name; *s; s++) {
		if (isspace((unsigned char)*s)) {
			in = 0;
			continue;
		}
		if (!isdigit((unsigned char)*s) && !strchr("*/,-", *s)) {
			DIAG_AT(d, &r->pos, "schedule '%s': a cron expression is five fields of "
				"digits, '*', '/', ',' and '-'", r->name);
			return;
		}
		if (!in)
			fields++;
		in = 1;
	}
	if (fields != 5)
		DIAG_AT(d, &r->pos, "schedule '%s': a cron expression has five fields "
			"(minute hour day month weekday), not %d", r->name, fields);
}

static void check_pipeline(struct pipeline *p, struct diag *d)
{
	size_t before = diag_count(d), nr = 0;
	int *mark;
	size_t *path;

	if (p->jobs.nr > MAX_JOBS) {
		diag_add(d, p->file, 0, 0, "%zu jobs: at most %d", p->jobs.nr, MAX_JOBS);
		return;
	}
	for (size_t i = 0; i < p->triggers.schedule.nr; i++)
		check_cron(&p->triggers.schedule.v[i], d);
	for (size_t i = 0; i < p->jobs.nr; i++) {
		resolve_needs(p, pl_job_at(p, i), d);
		check_run(pl_job_at(p, i), d);
	}
	if (diag_count(d) > before)
		return;
	mark = xcalloc(p->jobs.nr, sizeof(*mark));
	path = xcalloc(p->jobs.nr + 1, sizeof(*path));
	p->order = xcalloc(p->jobs.nr, sizeof(*p->order));
	for (size_t i = 0; i < p->jobs.nr; i++)
		if (visit(p, i, mark, path, 0, &nr, d) < 0)
			break;
	free(mark);
	free(path);
}

int pipeline_load_mem(struct pipeline *p, const char *file, const char *text, size_t len,
		      struct diag *d)
{
	struct ynode_limits lim = YNODE_LIMITS_INIT;
	struct ynode *root;
	size_t before = diag_count(d);

	memset(p, 0, sizeof(*p));
	p->file = xstrdup(file);
	lim.max_bytes = MAX_PIPELINE_BYTES;
	root = ynode_parse(text, len, p->file, &lim, d);
	if (!root)
		goto out;
	if (root->kind != YN_MAP)
		diag_add(d, p->file, root->pos.line, root->pos.col,
			 "a pipeline is a mapping (env_file, triggers, jobs), not %s",
			 ynode_kind_name(root));
	else {
		/* the checks across jobs run on what decoded, to report it all at once */
		yd_decode(&file_schema, root, p, d);
		check_pipeline(p, d);
	}
out:
	ynode_free(root);
	return diag_count(d) > before ? -1 : 0;
}

int pipeline_load(struct pipeline *p, const char *file, struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (diag_read_file(d, &sb, file, MAX_PIPELINE_BYTES, "pipeline") < 0) {
		memset(p, 0, sizeof(*p));
		p->file = xstrdup(file);
		return -1;
	}
	ret = pipeline_load_mem(p, file, sb.buf, sb.len, d);
	strbuf_release(&sb);
	return ret;
}

void pipeline_release(struct pipeline *p)
{
	for (size_t i = 0; i < p->jobs.nr; i++)
		free(pl_job_at(p, i)->need_idx);
	yd_release(&file_schema, p);
	free(p->order);
	free(p->file);
	memset(p, 0, sizeof(*p));
}
