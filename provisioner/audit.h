/*
 * The audit trail: one JSON line per command that changes something,
 * appended to STATE_DIR/audit.log with a single write(2):
 *
 *   {"time":"2026-11-22T10:59:00Z","actor":"ci-bot","command":"render",
 *    "environment":"observatory-main","commit":"4f2a...","result":"ok",
 *    "exit":0,"detail":"--target all --out out"}
 *
 * The actor is the CI user (GITLAB_USER_LOGIN, GITHUB_ACTOR), else git's
 * user.email, else $USER. A failure to write the record is a warning: the
 * command's own result stands.
 */
#ifndef PROVISIONER_AUDIT_H
#define PROVISIONER_AUDIT_H

#include "cmd.h"

void audit_record(const char *command, const struct env_model *m, enum cli_result res,
		  const char *detail);

/*
 * The same for a command given an environment's name rather than its
 * definition (down, gc for each environment it removes, failover): there
 * is no commit to record, and the actor is looked for from here.
 */
void audit_record_env(const char *command, const char *env, enum cli_result res,
		      const char *detail);

#endif
