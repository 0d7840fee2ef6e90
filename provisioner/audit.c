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

void audit_record(const char *command, const struct env_model *m, enum cli_result res,
		  const char *detail)
{
	char *dir = state_dir(), *path, *line, *actor, *start;
	char when[UTC_STAMP_MAX];
	json_t *rec;

	if (!dir) {
		warning("cannot record the audit entry: no usable state directory");
		return;
	}
	utc_stamp(when, sizeof(when), NULL, 0);
	start = m->file ? path_dirname(m->file) : xstrdup(".");
	actor = git_actor(start);
	rec = json_object();
	json_object_set_new(rec, "time", json_string(when));
	json_object_set_new(rec, "actor", json_string(actor));
	json_object_set_new(rec, "command", json_string(command));
	json_object_set_new(rec, "environment", json_string(m->env_name));
	json_object_set_new(rec, "commit", m->commit ? json_string(m->commit) : json_null());
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
	free(start);
	free(dir);
	json_decref(rec);
}
