/*
 * Appending to the audit log; see audit.h.
 */
#include "audit.h"
#include "clock.h"
#include "fsutil.h"
#include "gitinfo.h"
#include "state.h"
#include "usage.h"
#include "xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *result_name(enum cli_result res)
{
	switch (res) {
	case CLI_OK: return "ok";
	case CLI_FAILED: return "failed";
	case CLI_USAGE: return "input-error";
	case CLI_NEEDS_PERSON: return "needs-person";
	case CLI_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

static void audit_write(const char *command, const char *env, const char *commit,
			const char *start, enum cli_result res, const char *detail)
{
	char *dir = state_dir(), *path, *line, *actor;
	char when[UTC_STAMP_MAX];
	json_t *rec;

	if (!dir) {
		warning("cannot record the audit entry: no usable state directory");
		return;
	}
	utc_stamp(when, sizeof(when), NULL, 0);
	actor = git_actor(start);
	rec = json_object();
	json_object_set_new(rec, "time", json_string(when));
	json_object_set_new(rec, "actor", json_string(actor));
	json_object_set_new(rec, "command", json_string(command));
	json_object_set_new(rec, "environment", json_string(env));
	json_object_set_new(rec, "commit", commit ? json_string(commit) : json_null());
	json_object_set_new(rec, "result", json_string(result_name(res)));
	json_object_set_new(rec, "exit", json_integer((json_int_t)res));
	if (detail)
		json_object_set_new(rec, "detail", json_string(detail));
	line = json_dumps(rec, JSON_COMPACT);
	path = path_join(dir, "audit.log");
	if (line) {
		size_t len = strlen(line);

		line = xrealloc(line, len + 2);
		line[len] = '\n';
		line[len + 1] = '\0';
		if (append_file(path, line, len + 1, 0600) < 0)
			warning("cannot append to '%s': %s", path, strerror(errno));
	}
	free(line);
	free(path);
	free(actor);
	free(dir);
	json_decref(rec);
}

void audit_record(const char *command, const struct env_model *m, enum cli_result res,
		  const char *detail)
{
	char *start = m->file ? path_dirname(m->file) : xstrdup(".");

	audit_write(command, m->env_name, m->commit, start, res, detail);
	free(start);
}

void audit_record_env(const char *command, const char *env, enum cli_result res,
		      const char *detail)
{
	audit_write(command, env, NULL, ".", res, detail);
}
