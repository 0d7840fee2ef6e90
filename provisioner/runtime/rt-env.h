/*
 * The local runtime's environments on disk: one directory per environment
 * under <state>/envs/<name>, holding
 *
 *   state.json     what `up` planned and made (written by up, atomically;
 *                  every resource is recorded before it is created, so a
 *                  teardown after a crash knows what to look for)
 *   runtime.json   what the supervisor sees (pids, health, roles)
 *                  (both typed and encoded in rt-state.h)
 *   events.log     one JSON object per line: starts, exits, failovers
 *   lock           flock()ed by whoever changes the environment
 *   secrets/       0700: generated passwords, keys (never elsewhere)
 *   logs/ ca/ gateway/ pg/
 *
 * and, because a unix socket's path must be short, <state>/run/<index>/
 * for the supervisor's control socket and PostgreSQL's sockets.
 *
 * No secret is ever written to state.json, runtime.json or events.log.
 */
#ifndef PROVISIONER_RT_ENV_H
#define PROVISIONER_RT_ENV_H

#include <sys/types.h>

struct strbuf;

#define RT_ENV_MARKER "PROVISIONER_ENV"   /* in the environment of every process we start */

char *rt_envs_dir(const char *state);
char *rt_env_dir(const char *state, const char *name);
char *rt_env_path(const char *envdir, const char *file);

/*
 * Take the environment's lock, waiting up to timeout_ms (0: do not wait).
 * Returns the fd to keep open, or -1 with a message naming the holder.
 * The lock file records our pid and command for that message.
 */
int rt_lock(const char *envdir, const char *what, int timeout_ms, struct strbuf *err);
/* Is the lock held by someone (a running up/down)? */
int rt_lock_busy(const char *envdir);

void rt_event(const char *envdir, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A secret file's value without its trailing newline; errno is kept for the caller. */
int rt_read_secret(const char *path, struct strbuf *out, struct strbuf *err);

/* The supervisor's socket (state.json's "socket": short, under <state>/run). */
char *rt_socket_path(const char *envdir);
/* Ask the supervisor something over its socket; the answer, or NULL. */
char *rt_control(const char *envdir, const char *request, int timeout_ms);

/* Is the supervisor recorded in runtime.json alive? Its pid, or 0. */
pid_t rt_supervisor_pid(const char *envdir);

#endif
