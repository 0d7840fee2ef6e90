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
 * marker in their environment), the network, the directory (logs kept
 * under <state>/logs when keep_logs). Whatever is already gone is fine.
 * The caller holds the lock.
 */
int rt_teardown(const char *state, const char *name, int keep_logs, struct strbuf *err);

/*
 * What of the environment is still there (processes, network, files); 1
 * if anything. `st`: its plan, or NULL when it has none.
 */
int rt_leftovers(const char *state, const char *name, const struct rt_state *st,
		 struct strbuf *what);

/*
 * `down`: take the lock (waiting up to wait_ms), tear down, then check that
 * nothing is left. -1 with err naming what stayed.
 */
int rt_remove(const char *state, const char *name, int keep_logs, int wait_ms,
	      struct strbuf *err);

#endif
