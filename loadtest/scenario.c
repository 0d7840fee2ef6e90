/*
 * Scenario files (see scenario.h): parsed with lib/ynode, decoded by the
 * table-driven lib/ydecode into the file's own structs, then checked and
 * turned into a plan the engine can run.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "scenario.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ydecode.h"
#include "ynode.h"

#define MAX_SCENARIO_BYTES (1u << 20)
#define MAX_BODY_BYTES (64u << 20)

struct f_request {
	char *method, *path, *body, *body_file;
	struct ykvlist headers;
	struct ypos pos;
};

struct f_stage {
	uint64_t duration_ms, target_rpm;
	struct ypos pos;
};

struct f_scenario {
	char *name;
	int model;                   /* index into model_names */
	uint64_t rate_rpm, start_rate_rpm, duration_ms, timeout_ms;
	struct ypos rate_pos, duration_pos;
	struct yarray stages;
	int64_t connections, threads;
	struct f_request request;
	struct yreflist thresholds;
	struct ypos pos;
};

struct f_defaults {
	struct ykvlist headers;
	uint64_t timeout_ms;
};

struct f_file {
	char *target;
	struct f_defaults defaults;
	struct yreflist thresholds;
	struct yarray scenarios;
};

#define F(type_, member, key_, kind, ...) \
	{ .key = key_, .type = kind, .off = offsetof(type_, member), __VA_ARGS__ }
#define RANGE(lo, hi) .flags = YD_RANGE, .min = (lo), .max = (hi)

static const char *const model_names[] = { "closed", "open", NULL };

static const struct yd_field request_fields[] = {
	F(struct f_request, method, "method", YD_STRING, .flags = YD_NONEMPTY),
	F(struct f_request, path, "path", YD_STRING, .flags = YD_NONEMPTY),
	F(struct f_request, headers, "headers", YD_STRMAP),
	F(struct f_request, body, "body", YD_STRING),
	F(struct f_request, body_file, "body_file", YD_STRING, .flags = YD_NONEMPTY),
};
static const struct yd_schema request_schema = {
	.what = "request", YD_FIELDS(request_fields), YD_POS(struct f_request, pos),
};

static const struct yd_field stage_fields[] = {
	F(struct f_stage, duration_ms, "duration", YD_DURATION, .flags = YD_REQUIRED | YD_RANGE,
	  .min = 1, .max = 86400000),
	F(struct f_stage, target_rpm, "target", YD_RATE, .flags = YD_REQUIRED | YD_RANGE, .min = 0,
	  .max = 600000000),
};
static const struct yd_schema stage_schema = {
	.what = "stage", .size = sizeof(struct f_stage), YD_FIELDS(stage_fields),
	YD_POS(struct f_stage, pos),
};

static void scenario_init(void *obj)
{
	struct f_scenario *s = obj;

	s->model = -1;
	s->threads = 1;
}

static const struct yd_field scenario_fields[] = {
	F(struct f_scenario, model, "model", YD_ENUM, .names = model_names),
	F(struct f_scenario, rate_rpm, "rate", YD_RATE, RANGE(1, 600000000),
	  YD_VPOS(struct f_scenario, rate_pos)),
	F(struct f_scenario, start_rate_rpm, "start_rate", YD_RATE, RANGE(0, 600000000)),
	F(struct f_scenario, stages, "stages", YD_LIST, .flags = YD_NONEMPTY, .sub = &stage_schema),
	F(struct f_scenario, duration_ms, "duration", YD_DURATION, RANGE(1, 86400000),
	  YD_VPOS(struct f_scenario, duration_pos)),
	F(struct f_scenario, timeout_ms, "timeout", YD_DURATION, RANGE(1, 3600000)),
	F(struct f_scenario, connections, "connections", YD_INT, RANGE(1, 100000)),
	F(struct f_scenario, threads, "threads", YD_INT, RANGE(1, 256)),
	F(struct f_scenario, request, "request", YD_STRUCT, .sub = &request_schema),
	F(struct f_scenario, thresholds, "thresholds", YD_STRLIST),
};
static const struct yd_schema scenario_schema = {
	.what = "scenario", .size = sizeof(struct f_scenario), YD_FIELDS(scenario_fields),
	.name_off = offsetof(struct f_scenario, name), YD_POS(struct f_scenario, pos),
	.init = scenario_init,
};

static const struct yd_field defaults_fields[] = {
	F(struct f_defaults, headers, "headers", YD_STRMAP),
	F(struct f_defaults, timeout_ms, "timeout", YD_DURATION, RANGE(1, 3600000)),
};
static const struct yd_schema defaults_schema = {
	.what = "defaults", YD_FIELDS(defaults_fields),
};

static const struct yd_field file_fields[] = {
	F(struct f_file, target, "target", YD_STRING, .flags = YD_NONEMPTY),
	F(struct f_file, defaults, "defaults", YD_STRUCT, .sub = &defaults_schema),
	F(struct f_file, thresholds, "thresholds", YD_STRLIST),
	F(struct f_file, scenarios, "scenarios", YD_NAMED, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .sub = &scenario_schema),
};
static const struct yd_schema file_schema = {
	.what = "scenario file", YD_FIELDS(file_fields),
};

/* ---- building plans ---- */

struct plan_scenario *plan_add_scenario(struct plan *p, const char *name)
{
	struct plan_scenario *s;

	p->v = xreallocarray(p->v, p->nr + 1, sizeof(*p->v));
	s = &p->v[p->nr++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->timeout_ns = 10ull * 1000000000;
	s->model.threads = 1;
	return s;
}

void scenario_add_header(struct plan_scenario *s, const char *name, const char *value)
{
	for (size_t i = 0; i < s->nr_headers; i++)
		if (!strcasecmp(s->headers[i].name, name)) {
			free(s->headers[i].value);
			s->headers[i].value = xstrdup(value);
			return;
		}
	s->headers = xreallocarray(s->headers, s->nr_headers + 1, sizeof(*s->headers));
	s->headers[s->nr_headers].name = xstrdup(name);
	s->headers[s->nr_headers++].value = xstrdup(value);
}

void plan_add_header(struct plan *p, const char *name, const char *value)
{
	for (size_t i = 0; i < p->nr; i++)
		scenario_add_header(&p->v[i], name, value);
}

int plan_add_threshold(struct threshold **v, size_t *nr, const char *expr, struct strbuf *why)
{
	struct threshold t;

	if (threshold_parse(&t, expr, why) < 0)
		return -1;
	*v = xreallocarray(*v, *nr + 1, sizeof(**v));
	(*v)[(*nr)++] = t;
	return 0;
}

unsigned open_default_connections(double max_rate)
{
	/* enough to carry the rate at 20 ms per request, within 10..1000 */
	double n = ceil(max_rate / 50);

	return n < 10 ? 10 : n > 1000 ? 1000 : (unsigned)n;
}

static void scenario_release(struct plan_scenario *s)
{
	free(s->name);
	free(s->model.stages);
	free(s->method);
	free(s->path);
	for (size_t i = 0; i < s->nr_headers; i++) {
		free(s->headers[i].name);
		free(s->headers[i].value);
	}
	free(s->headers);
	free(s->body);
	free(s->body_file);
	for (size_t i = 0; i < s->nr_th; i++)
		threshold_release(&s->th[i]);
	free(s->th);
}

void plan_release(struct plan *p)
{
	for (size_t i = 0; i < p->nr; i++)
		scenario_release(&p->v[i]);
	free(p->v);
	for (size_t i = 0; i < p->nr_th; i++)
		threshold_release(&p->th[i]);
	free(p->th);
	free(p->file);
	free(p->target);
	memset(p, 0, sizeof(*p));
}

/* ---- from the file ---- */

static void add_thresholds(struct threshold **v, size_t *nr, const struct yreflist *l,
			   struct diag *d)
{
	for (size_t i = 0; i < l->nr; i++) {
		struct strbuf why = STRBUF_INIT;

		if (plan_add_threshold(v, nr, l->v[i].name, &why) < 0)
			diag_add(d, l->v[i].pos.file, l->v[i].pos.line, l->v[i].pos.col,
				 "bad threshold '%s': %s", l->v[i].name, why.buf);
		strbuf_release(&why);
	}
}

static void check_template(const char *s, const struct ypos *pos, const char *what, struct diag *d)
{
	const char *why;

	if (s && template_check(s, &why) < 0)
		diag_add(d, pos->file, pos->line, pos->col, "%s: %s", what, why);
}

static int read_body(struct plan_scenario *ps, const char *file, const struct f_request *r,
		     struct diag *d)
{
	struct strbuf path = STRBUF_INIT, body = STRBUF_INIT;
	const char *slash = strrchr(file, '/');
	int rc = 0;

	if (r->body_file[0] != '/' && slash)
		strbuf_add(&path, file, (size_t)(slash - file + 1));
	strbuf_addstr(&path, r->body_file);
	if (strbuf_read_file(&body, path.buf, MAX_BODY_BYTES) < 0) {
		diag_add(d, r->pos.file, r->pos.line, r->pos.col, "cannot read body_file '%s': %m",
			 path.buf);
		rc = -1;
	} else {
		check_template(body.buf, &r->pos, "body_file", d);
		ps->body_len = body.len;
		ps->body = strbuf_detach(&body, NULL);
		ps->body_file = xstrdup(r->body_file);
	}
	strbuf_release(&path);
	strbuf_release(&body);
	return rc;
}

static void set_model(struct plan_scenario *ps, const struct f_scenario *s, struct diag *d)
{
	struct load_model *m = &ps->model;
	int open = s->model == 1 || (s->model < 0 && (s->rate_rpm || s->stages.nr));
	double peak = 0, prev = (double)s->start_rate_rpm / 60;

	m->open = open;
	m->threads = (unsigned)s->threads;
	if (!open && (s->rate_rpm || s->stages.nr))
		diag_add(d, s->pos.file, s->pos.line, s->pos.col,
			 "scenario '%s': 'rate' and 'stages' belong to the open model", s->name);
	if (open && !!s->rate_rpm == !!s->stages.nr)
		diag_add(d, s->pos.file, s->pos.line, s->pos.col,
			 "scenario '%s': the open model needs either 'rate' or 'stages'", s->name);
	if (s->stages.nr && s->duration_ms)
		diag_add(d, s->duration_pos.file, s->duration_pos.line, s->duration_pos.col,
			 "scenario '%s': 'duration' is the sum of the stages; leave it out", s->name);
	else if (!s->stages.nr && !s->duration_ms)
		diag_add(d, s->pos.file, s->pos.line, s->pos.col,
			 "scenario '%s': 'duration' is required", s->name);
	if (s->stages.nr) {
		m->nr_stages = s->stages.nr;
		m->stages = xcalloc(m->nr_stages, sizeof(*m->stages));
		for (size_t i = 0; i < s->stages.nr; i++) {
			const struct f_stage *st = yarray_at(&s->stages, sizeof(*st), i);

			m->stages[i].duration_ns = st->duration_ms * 1000000;
			m->stages[i].r0 = prev;
			m->stages[i].r1 = prev = (double)st->target_rpm / 60;
			m->duration_ns += m->stages[i].duration_ns;
			peak = fmax(peak, prev);
		}
	} else {
		m->duration_ns = s->duration_ms * 1000000;
		if (open) {
			m->nr_stages = 1;
			m->stages = xcalloc(1, sizeof(*m->stages));
			m->stages[0].duration_ns = m->duration_ns;
			m->stages[0].r0 = m->stages[0].r1 = peak = (double)s->rate_rpm / 60;
		}
	}
	m->connections = s->connections ? (unsigned)s->connections
					: open ? open_default_connections(peak) : 10;
	if (m->connections < m->threads)
		diag_add(d, s->pos.file, s->pos.line, s->pos.col,
			 "scenario '%s': fewer connections (%u) than threads (%u)", s->name,
			 m->connections, m->threads);
}

static void set_request(struct plan *p, struct plan_scenario *ps, const struct f_scenario *s,
			const struct f_file *f, struct diag *d)
{
	const struct f_request *r = &s->request;

	ps->method = xstrdup(r->method ? r->method : "GET");
	ps->path = r->path ? xstrdup(r->path) : NULL;
	check_template(r->path, &r->pos, "path", d);
	for (size_t i = 0; i < f->defaults.headers.nr; i++)
		scenario_add_header(ps, f->defaults.headers.v[i].key, f->defaults.headers.v[i].val);
	for (size_t i = 0; i < r->headers.nr; i++) {
		check_template(r->headers.v[i].val, &r->headers.v[i].pos, "header", d);
		scenario_add_header(ps, r->headers.v[i].key, r->headers.v[i].val);
	}
	if (r->body && r->body_file)
		diag_add(d, r->pos.file, r->pos.line, r->pos.col,
			 "scenario '%s': give 'body' or 'body_file', not both", s->name);
	else if (r->body) {
		check_template(r->body, &r->pos, "body", d);
		ps->body = xstrdup(r->body);
		ps->body_len = strlen(r->body);
	} else if (r->body_file) {
		read_body(ps, p->file, r, d);
	}
}

static void build_plan(struct plan *p, const struct f_file *f, struct diag *d)
{
	p->target = f->target ? xstrdup(f->target) : NULL;
	add_thresholds(&p->th, &p->nr_th, &f->thresholds, d);
	for (size_t i = 0; i < f->scenarios.nr; i++) {
		const struct f_scenario *s = yarray_at(&f->scenarios, sizeof(*s), i);
		struct plan_scenario *ps = plan_add_scenario(p, s->name);
		uint64_t timeout = s->timeout_ms ? s->timeout_ms : f->defaults.timeout_ms;

		if (timeout)
			ps->timeout_ns = timeout * 1000000;
		set_model(ps, s, d);
		set_request(p, ps, s, f, d);
		add_thresholds(&ps->th, &ps->nr_th, &s->thresholds, d);
	}
}

int plan_load_mem(struct plan *p, const char *file, const char *text, size_t len,
		  struct diag *d)
{
	struct ynode_limits lim = YNODE_LIMITS_INIT;
	struct f_file f;
	struct ynode *root = NULL;
	size_t before = diag_count(d);

	memset(p, 0, sizeof(*p));
	memset(&f, 0, sizeof(f));
	p->file = xstrdup(file);
	lim.max_bytes = MAX_SCENARIO_BYTES;
	root = ynode_parse(text, len, p->file, &lim, d);
	if (!root)
		goto out;
	if (root->kind != YN_MAP) {
		diag_add(d, file, root->pos.line, root->pos.col, "a scenario file is a mapping");
		goto out;
	}
	if (yd_decode(&file_schema, root, &f, d) == 0)
		build_plan(p, &f, d);
out:
	yd_release(&file_schema, &f);
	ynode_free(root);
	return diag_count(d) > before ? -1 : 0;
}

int plan_load(struct plan *p, const char *file, struct diag *d)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (diag_read_file(d, &sb, file, MAX_SCENARIO_BYTES, "scenario file") < 0) {
		memset(p, 0, sizeof(*p));
		p->file = xstrdup(file);
		return -1;
	}
	ret = plan_load_mem(p, file, sb.buf, sb.len, d);
	strbuf_release(&sb);
	return ret;
}
