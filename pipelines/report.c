/*
 * The reports of a run (see run.h): JUnit XML with one testcase per job,
 * TAP with one test point per job, and JSON with everything the runner
 * knows. Written atomically, so a reader never sees half a report.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "run.h"
#include "strbuf.h"
#include "xalloc.h"

#define LOG_TAIL_LINES 40

static int write_out(const char *path, struct strbuf *sb)
{
	int rc = write_file_atomic(path, sb->buf, sb->len, 0644);

	strbuf_release(sb);
	return rc;
}

static void xml_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		default:
			/* XML 1.0 has no place for other control characters */
			if (c < 0x20 && c != '\n' && c != '\t')
				strbuf_addch(sb, '?');
			else
				strbuf_addch(sb, (char)c);
		}
	}
}

static const char *message(const struct pl_result *r)
{
	if (r->reason)
		return r->reason;
	return pl_state_names[r->state];
}

static void junit_case(struct strbuf *sb, const struct pipeline *p, size_t i,
		       const struct pl_result *r)
{
	struct strbuf tail = STRBUF_INIT, msg = STRBUF_INIT;

	strbuf_addstr(sb, "    <testcase classname=\"");
	xml_escape(sb, p->file);
	strbuf_addstr(sb, "\" name=\"");
	xml_escape(sb, pl_job_at(p, i)->name);
	strbuf_addf(sb, "\" time=\"%.3f\">\n", (double)r->duration_ms / 1000);
	if (r->state == PL_FAILED && !r->reason)
		strbuf_addf(&msg, "exit %d", r->exit_code);
	strbuf_addstr(&msg, message(r));
	if (r->attempts)
		tail_file(r->log, LOG_TAIL_LINES, &tail);
	switch (r->state) {
	case PL_FAILED:
	case PL_TIMEDOUT:
		strbuf_addstr(sb, "      <failure message=\"");
		xml_escape(sb, msg.buf);
		strbuf_addstr(sb, "\">");
		xml_escape(sb, tail.buf);
		strbuf_addstr(sb, "</failure>\n");
		break;
	case PL_CANCELLED:
		strbuf_addstr(sb, "      <error message=\"");
		xml_escape(sb, msg.buf);
		strbuf_addstr(sb, "\"/>\n");
		break;
	case PL_SKIPPED:
	case PL_NOT_SELECTED:
	case PL_PENDING:
	case PL_RUNNING:
		strbuf_addstr(sb, "      <skipped message=\"");
		xml_escape(sb, r->state == PL_NOT_SELECTED ? "not selected (--only)" : msg.buf);
		strbuf_addstr(sb, "\"/>\n");
		break;
	case PL_PASSED:
		break;
	}
	if (tail.len && r->state != PL_FAILED && r->state != PL_TIMEDOUT) {
		strbuf_addstr(sb, "      <system-out>");
		xml_escape(sb, tail.buf);
		strbuf_addstr(sb, "</system-out>\n");
	}
	strbuf_addstr(sb, "    </testcase>\n");
	strbuf_release(&tail);
	strbuf_release(&msg);
}


/* --- the results of the tools a job ran, from the files its `reports` name --- */

enum inner_state { INNER_PASSED, INNER_FAILED, INNER_SKIPPED };

struct inner {
	char *name;
	enum inner_state state;
	char *msg;                  /* NULL, or a failure's or skip's message */
};

struct inner_list {
	struct inner *v;
	size_t nr, alloc;
};

static void inner_push(struct inner_list *l, char *name, enum inner_state st, char *msg)
{
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	l->v[l->nr++] = (struct inner){ name, st, msg };
}

static void inner_release(struct inner_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].name);
		free(l->v[i].msg);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void xml_unescape(struct strbuf *sb, const char *s, size_t len)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};

	for (size_t i = 0; i < len; i++) {
		size_t k;

		for (k = 0; k < sizeof(ents) / sizeof(*ents); k++)
			if (!strncmp(s + i, ents[k].ent, strlen(ents[k].ent)) &&
			    i + strlen(ents[k].ent) <= len)
				break;
		if (k < sizeof(ents) / sizeof(*ents)) {
			strbuf_addch(sb, ents[k].c);
			i += strlen(ents[k].ent) - 1;
		} else {
			strbuf_addch(sb, s[i]);
		}
	}
}

/* The value of attribute `name` in the tag from `tag` to `end`, or NULL. */
static char *xml_attr(const char *tag, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = tag; s + n + 2 < end; s++) {
		const char *q, *close;
		struct strbuf sb = STRBUF_INIT;

		if (s[-1] != ' ' && s[-1] != '\t' && s[-1] != '\n')
			continue;
		if (strncmp(s, name, n) || s[n] != '=' || (s[n + 1] != '"' && s[n + 1] != '\''))
			continue;
		q = s + n + 2;
		close = memchr(q, s[n + 1], (size_t)(end - q));
		if (!close)
			return NULL;
		xml_unescape(&sb, q, (size_t)(close - q));
		return strbuf_detach(&sb, NULL);
	}
	return NULL;
}

/*
 * The testcases of JUnit XML as the tools here write it (loadtest,
 * the test tools): each <testcase>, failed when it holds <failure> or
 * <error>, skipped when it holds <skipped>. Not a general XML parser:
 * comments and CDATA holding "<testcase" would confuse it.
 */
static void read_junit(const char *text, struct inner_list *l)
{
	for (const char *s = text; (s = strstr(s, "<testcase")); ) {
		const char *end = strchr(s, '>'), *body_end;
		char *name, *cls, *msg = NULL;
		enum inner_state st = INNER_PASSED;
		struct strbuf full = STRBUF_INIT;

		if (!end)
			return;
		name = xml_attr(s + 1, end, "name");
		cls = xml_attr(s + 1, end, "classname");
		body_end = end[-1] == '/' ? end : strstr(end, "</testcase>");
		if (!body_end)
			body_end = end + strlen(end);
		for (const char *t = end; t < body_end; t++) {
			const char *tend;

			if (*t != '<')
				continue;
			if (!strncmp(t, "<failure", 8) || !strncmp(t, "<error", 6))
				st = INNER_FAILED;
			else if (!strncmp(t, "<skipped", 8) && st != INNER_FAILED)
				st = INNER_SKIPPED;
			else
				continue;
			tend = strchr(t, '>');
			if (!msg && tend && tend < body_end)
				msg = xml_attr(t + 1, tend, "message");
		}
		if (cls)
			strbuf_addf(&full, "%s: ", cls);
		strbuf_addstr(&full, name ? name : "(unnamed)");
		inner_push(l, strbuf_detach(&full, NULL), st, msg);
		free(name);
		free(cls);
		s = body_end;
	}
}

/* The top-level test points of TAP (indented subtests are the tool's own business). */
static void read_tap(const char *text, struct inner_list *l)
{
	for (const char *s = text; *s; ) {
		const char *eol = strchrnul(s, '\n'), *p = s, *hash;
		enum inner_state st = INNER_PASSED;
		struct strbuf name = STRBUF_INIT;
		char *msg = NULL;

		if (!strncmp(p, "not ok", 6) && (p[6] == ' ' || p + 6 == eol)) {
			st = INNER_FAILED;
			p += 6;
		} else if (!strncmp(p, "ok", 2) && (p[2] == ' ' || p + 2 == eol)) {
			p += 2;
		} else {
			s = *eol ? eol + 1 : eol;
			continue;
		}
		while (p < eol && (*p == ' ' || (*p >= '0' && *p <= '9')))
			p++;
		if (p < eol && *p == '-')
			p++;
		while (p < eol && *p == ' ')
			p++;
		hash = memchr(p, '#', (size_t)(eol - p));
		strbuf_add(&name, p, (size_t)((hash ? hash : eol) - p));
		while (name.len && name.buf[name.len - 1] == ' ')
			strbuf_setlen(&name, name.len - 1);
		if (hash && !strncasecmp(hash + 1 + strspn(hash + 1, " "), "skip", 4)) {
			const char *m = hash + 1 + strspn(hash + 1, " ") + 4;

			st = INNER_SKIPPED;
			m += strspn(m, " ");
			msg = xstrndup(m, (size_t)(eol - m));
		}
		inner_push(l, strbuf_detach(&name, NULL), st, msg);
		s = *eol ? eol + 1 : eol;
	}
}

static int looks_like_junit(const char *path, const char *text)
{
	size_t n = strlen(path);

	return (n > 4 && !strcmp(path + n - 4, ".xml")) || strstr(text, "<testsuite");
}

static int looks_like_tap(const char *path, const char *text)
{
	size_t n = strlen(path);

	return (n > 4 && !strcmp(path + n - 4, ".tap")) || !strncmp(text, "1..", 3) ||
	       !strncmp(text, "ok ", 3) || !strncmp(text, "not ok ", 7) ||
	       !strncmp(text, "TAP version", 11);
}

/* A <testsuite> of the results in one of the job's reports, if it is JUnit or TAP. */
static void junit_nested(struct strbuf *sb, const char *dir, const struct pl_job *j,
			 const char *report)
{
	struct strbuf text = STRBUF_INIT;
	struct inner_list l = { 0 };
	char *path = path_join(dir, report);
	size_t failures = 0, skipped = 0;

	if (strbuf_read_file(&text, path, 16u << 20) < 0)
		goto out;
	if (looks_like_junit(report, text.buf))
		read_junit(text.buf, &l);
	else if (looks_like_tap(report, text.buf))
		read_tap(text.buf, &l);
	else
		goto out;   /* JSON, HTML: kept as files, not test results */
	for (size_t i = 0; i < l.nr; i++) {
		failures += l.v[i].state == INNER_FAILED;
		skipped += l.v[i].state == INNER_SKIPPED;
	}
	strbuf_addstr(sb, "  <testsuite name=\"");
	xml_escape(sb, j->name);
	strbuf_addstr(sb, ": ");
	xml_escape(sb, report);
	strbuf_addf(sb, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
		    l.nr, failures, skipped);
	for (size_t i = 0; i < l.nr; i++) {
		strbuf_addstr(sb, "    <testcase classname=\"");
		xml_escape(sb, j->name);
		strbuf_addstr(sb, "\" name=\"");
		xml_escape(sb, l.v[i].name);
		if (l.v[i].state == INNER_PASSED) {
			strbuf_addstr(sb, "\"/>\n");
			continue;
		}
		strbuf_addstr(sb, l.v[i].state == INNER_FAILED ? "\">\n      <failure message=\"" :
			      "\">\n      <skipped message=\"");
		xml_escape(sb, l.v[i].msg ? l.v[i].msg : "");
		strbuf_addstr(sb, "\"/>\n    </testcase>\n");
	}
	strbuf_addstr(sb, "  </testsuite>\n");
out:
	inner_release(&l);
	strbuf_release(&text);
	free(path);
}

int pl_write_junit(const char *path, const struct pipeline *p, const struct pl_result *res,
		   const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	size_t failures = 0, errors = 0, skipped = 0;
	long long ms = 0;

	for (size_t i = 0; i < p->jobs.nr; i++) {
		failures += res[i].state == PL_FAILED || res[i].state == PL_TIMEDOUT;
		errors += res[i].state == PL_CANCELLED;
		skipped += res[i].state == PL_SKIPPED || res[i].state == PL_NOT_SELECTED;
		ms += res[i].duration_ms;
	}
	/* no totals on <testsuites>: the suites of the jobs' reports follow the jobs' */
	strbuf_addstr(&sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	xml_escape(&sb, p->file);
	strbuf_addstr(&sb, "\">\n");
	strbuf_addstr(&sb, "  <testsuite name=\"");
	xml_escape(&sb, p->file);
	strbuf_addf(&sb, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		    "time=\"%.3f\">\n", p->jobs.nr, failures, errors, skipped, (double)ms / 1000);
	for (size_t k = 0; k < p->jobs.nr; k++)
		junit_case(&sb, p, p->order[k], &res[p->order[k]]);
	strbuf_addstr(&sb, "  </testsuite>\n");
	for (size_t k = 0; k < p->jobs.nr; k++) {
		const struct pl_job *j = pl_job_at(p, p->order[k]);

		if (!res[p->order[k]].attempts)
			continue;   /* what it never ran did not write them */
		for (size_t q = 0; q < j->reports.nr; q++)
			junit_nested(&sb, dir, j, j->reports.v[q].name);
	}
	strbuf_addstr(&sb, "</testsuites>\n");
	return write_out(path, &sb);
}

/* A TAP description or directive may not hold a newline or start a directive early. */
static void tap_text(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, *s == '\n' || *s == '#' ? ' ' : *s);
}

int pl_write_tap(const char *path, const struct pipeline *p, const struct pl_result *res)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "1..%zu\n", p->jobs.nr);
	for (size_t k = 0; k < p->jobs.nr; k++) {
		size_t i = p->order[k];
		const struct pl_result *r = &res[i];
		int ok = r->state == PL_PASSED || r->state == PL_SKIPPED ||
			 r->state == PL_NOT_SELECTED;

		strbuf_addf(&sb, "%sok %zu - ", ok ? "" : "not ", k + 1);
		tap_text(&sb, pl_job_at(p, i)->name);
		if (r->state == PL_SKIPPED || r->state == PL_NOT_SELECTED) {
			strbuf_addstr(&sb, " # SKIP ");
			tap_text(&sb, r->state == PL_NOT_SELECTED ? "not selected (--only)" : message(r));
		} else {
			strbuf_addf(&sb, " (%s in %.1fs", pl_state_names[r->state],
				    (double)r->duration_ms / 1000);
			if (r->state == PL_FAILED && r->attempts)
				strbuf_addf(&sb, ", exit %d", r->exit_code);
			strbuf_addstr(&sb, ")");
		}
		strbuf_addch(&sb, '\n');
		if (!ok && r->reason) {
			strbuf_addstr(&sb, "# ");
			tap_text(&sb, r->reason);
			strbuf_addch(&sb, '\n');
		}
	}
	return write_out(path, &sb);
}

static json_t *job_json(const struct pipeline *p, size_t i, const struct pl_result *r)
{
	const struct pl_job *j = pl_job_at(p, i);
	json_t *o = json_object(), *needs = json_array(), *argv = json_array();
	char stamp[UTC_STAMP_MAX];

	for (size_t k = 0; k < j->needs.nr; k++)
		json_array_append_new(needs, json_string(j->needs.v[k].name));
	for (char **a = r->argv; a && *a; a++)
		json_array_append_new(argv, json_string(*a));
	json_object_set_new(o, "name", json_string(j->name));
	json_object_set_new(o, "state", json_string(pl_state_names[r->state]));
	json_object_set_new(o, "failed_dependency", json_boolean(r->failed_dependency));
	json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
	json_object_set_new(o, "when", json_string(pl_when_names[j->when]));
	json_object_set_new(o, "needs", needs);
	json_object_set_new(o, "argv", argv);
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "exit_code", r->attempts ? json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "signal", r->term_signal ? json_integer(r->term_signal) : json_null());
	if (r->start_wall_ms) {
		struct timespec ts = { .tv_sec = r->start_wall_ms / 1000,
				       .tv_nsec = (r->start_wall_ms % 1000) * 1000000 };

		json_object_set_new(o, "started", json_string(utc_stamp(stamp, sizeof(stamp), &ts, 1)));
	} else {
		json_object_set_new(o, "started", json_null());
	}
	json_object_set_new(o, "duration_s", json_real((double)r->duration_ms / 1000));
	json_object_set_new(o, "log", r->attempts ? json_string(r->log) : json_null());
	return o;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int pl_write_json(const char *path, const struct pipeline *p, const struct pl_result *res,
		  const struct pl_run_opts *o, int status)
{
	json_t *root = json_object(), *jobs = json_array();
	struct strbuf sb = STRBUF_INIT;
	char *text;

	for (size_t k = 0; k < p->jobs.nr; k++)
		json_array_append_new(jobs, job_json(p, p->order[k], &res[p->order[k]]));
	json_object_set_new(root, "pipeline", json_string(p->file));
	json_object_set_new(root, "status", json_integer(status));
	json_object_set_new(root, "branch", str_or_null(o->vars.branch));
	json_object_set_new(root, "commit", str_or_null(o->vars.commit));
	json_object_set_new(root, "env", str_or_null(o->vars.env));
	json_object_set_new(root, "env_file", str_or_null(o->vars.env_file));
	json_object_set_new(root, "run_dir", json_string(o->run_dir));
	json_object_set_new(root, "jobs", jobs);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	strbuf_addstr(&sb, text);
	strbuf_addch(&sb, '\n');
	free(text);
	return write_out(path, &sb);
}
