/*
 * Teardown of an environment and the check that nothing of it is left.
 */
#ifndef PROVISIONER_RT_TEARDOWN_H
#define PROVISIONER_RT_TEARDOWN_H

struct rt_state;
struct strbuf;

/* Stop the supervisor and every process of the environment; 0 once none is left. */
int rt_kill_all(const char *state, const char *name);

/*
 * Stop everything of the environment and remove it: the supervisor (asked,
 * then killed), every process it started (by recorded pid, then by the
 * marker in their environment, its cgroup, its user, its namespaces), the
 * network, the run directory and the directory (logs kept under
 * <state>/logs when keep_logs), its cgroup and its user. Whatever is
 * already gone is fine. A name that is not one path component, and a
 * directory (its own, or the run directory its state names) that is not
 * directly in <state>/envs (<state>/run), are refused: nothing outside the
 * environment's own directories is removed. The caller holds the lock.
 */
int rt_teardown(const char *state, const char *name, int keep_logs, struct strbuf *err);

/*
 * The same for an environment whose directory is gone, from what is
 * known of it (`st`: name, account, network and run directory as found;
 * see rt-orphan.h). Its marked processes get SIGTERM first, so that a
 * supervisor still running stops its processes itself.
 */
int rt_teardown_orphan(const char *state, const struct rt_state *st, struct strbuf *err);

/*
 * What of the environment is still there (processes, network, files); 1
 * if anything. `st`: its plan, or NULL when it has none.
 */
int rt_leftovers(const char *state, const char *name, const struct rt_state *st,
		 struct strbuf *what);

/*
 * `down`: announce it (rt_stop_announce), take the lock (waiting up to
 * wait_ms), mark the environment "stopping", tear down, then check that
 * nothing is left. -1 with err naming what stayed.
 */
int rt_remove(const char *state, const char *name, int keep_logs, int wait_ms,
	      struct strbuf *err);

#endif
