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
/* and beside it the state directory it belongs to, so gc knows its own from another's */
#define RT_STATE_MARKER "PROVISIONER_STATE_DIR"

char *rt_envs_dir(const char *state);
char *rt_env_dir(const char *state, const char *name);
char *rt_env_path(const char *envdir, const char *file);

/*
 * Is `path` a directory (not a symbolic link) directly in `parent`, once
 * both are resolved? 1 yes, 0 it does not exist, -1 no (err says why):
 * what removes an environment's directories checks this first, so that
 * no name ("", "..", "a/../..") and no state file can make it remove
 * anything else.
 */
int rt_child_dir(const char *parent, const char *path, struct strbuf *err);

/*
 * Take the environment's lock, waiting up to timeout_ms (0: do not wait).
 * Returns the fd to keep open, or -1 with a message naming the holder.
 * The lock file records our pid and command for that message. A lock
 * file that a `down` removed (with the whole directory) while we waited
 * for it is no lock: we take the new one.
 */
int rt_lock(const char *envdir, const char *what, int timeout_ms, struct strbuf *err);
/* Is the lock held by someone (a running up/down)? */
int rt_lock_busy(const char *envdir);

/*
 * A `down` says it is coming before it waits for the lock (<envdir>/stopping
 * holds its pid), so that an `up` that takes the lock a moment before it
 * does not report the environment healthy just before it goes: the `up`
 * waits for it instead. rt_stop_withdraw() takes the note back (ours only).
 */
void rt_stop_announce(const char *envdir);
void rt_stop_withdraw(const char *envdir);
/* The pid of a `down` that announced itself and is still running, or 0. */
pid_t rt_stop_pending(const char *envdir);

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
