/*
 * Teardown: stop every process of an environment (recorded, marked, or in
 * its namespaces), remove its network and files, and say what is left;
 * see rt-teardown.h.
 */
#include "rt-teardown.h"
#include "cgroup.h"
#include "clock.h"
#include "fsutil.h"
#include "rt-account.h"
#include "rt-env.h"
#include "rt-state.h"
#include "run-command.h"
#include "strbuf.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * The plan, if it can be read: 1, else 0 with `st` empty. Without it
 * there is nothing recorded to look for, only the marker to find by.
 */
static int state_of(struct rt_state *st, const char *envdir)
{
	struct strbuf err = STRBUF_INIT;
	int ok = rt_state_load(st, envdir, &err) == 0;

	if (!ok) {
		rt_state_release(st);
		rt_state_init(st);
	}
	strbuf_release(&err);
	return ok;
}

/* What the supervisor recorded last (empty when nothing readable is there). */
static void runtime_of(struct rt_runtime *rt, const char *envdir)
{
	struct strbuf err = STRBUF_INIT;

	if (rt_runtime_load(rt, envdir, &err) < 0) {
		rt_runtime_release(rt);
		rt_runtime_init(rt);
	}
	strbuf_release(&err);
}

/* Signal every process recorded in runtime.json (each leads its group). */
static void kill_recorded(const char *envdir, int sig)
{
	struct rt_runtime rt;

	runtime_of(&rt, envdir);
	for (size_t i = 0; i < rt.processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt.processes, struct rt_proc_now, i);

		if (p->pid > 0)
			proc_kill_group(p->pid, (unsigned long long)p->start_time, sig);
	}
	rt_runtime_release(&rt);
}

/*
 * The processes that belong to the environment although nothing records
 * them: nginx and PostgreSQL overwrite their environment (the process
 * title), so the marker is not enough. Also theirs: everything in its
 * cgroup, every process running as its own user, every process in one of
 * its network namespaces, and every member of a recorded process group
 * whose leader is gone (a group id is only reused once no member is left).
 */
struct owned {
	const char *name, *state;
	ino_t *netns;
	size_t nr_netns;
	pid_t *pgids;
	size_t nr_pgids;
	uid_t uid;               /* its own user's; 0: none */
	char *cgroup;            /* NULL: none */
};

static void owned_load(struct owned *o, const char *state, const char *name,
		       const struct rt_state *st, const char *envdir)
{
	struct rt_runtime rt;

	memset(o, 0, sizeof(*o));
	o->name = name;
	o->state = state;
	for (size_t i = 0; i < st->net.nr_ns; i++) {
		char *f = xasprintf("/run/netns/%s", st->net.ns[i].name);
		struct stat sb;

		if (stat(f, &sb) == 0) {
			o->netns = xreallocarray(o->netns, o->nr_netns + 1, sizeof(*o->netns));
			o->netns[o->nr_netns++] = sb.st_ino;
		}
		free(f);
	}
	if (st->account) {
		o->uid = (uid_t)st->account->uid;
		o->cgroup = rt_account_cgroup(st->account);
	}
	if (!envdir)
		return;
	runtime_of(&rt, envdir);
	for (size_t i = 0; i < rt.processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt.processes, struct rt_proc_now, i);

		if (p->pid <= 1)
			continue;
		o->pgids = xreallocarray(o->pgids, o->nr_pgids + 1, sizeof(*o->pgids));
		o->pgids[o->nr_pgids++] = p->pid;
	}
	rt_runtime_release(&rt);
}

static void owned_release(struct owned *o)
{
	free(o->netns);
	free(o->pgids);
	free(o->cgroup);
}

/* The real uid of pid (/proc/PID's owner is its effective one, or root once it is not dumpable). */
static int proc_ruid(pid_t pid, uid_t *uid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	const char *line;
	unsigned long u;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ok = strbuf_read_file(&sb, path, 16384) == 0 && (line = strstr(sb.buf, "\nUid:")) &&
	     sscanf(line + 5, "%lu", &u) == 1;
	if (ok)
		*uid = (uid_t)u;
	strbuf_release(&sb);
	return ok ? 0 : -1;
}

static int owned_by(const struct owned *o, pid_t pid)
{
	char path[64], state;
	struct stat sb;
	pid_t ppid, pgrp;
	uid_t uid;
	int yes = 0;

	/* a zombie is already gone: only its parent (or init, slowly) can reap it */
	if (proc_stat(pid, &state, &ppid, &pgrp) < 0 || state == 'Z' || state == 'X')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (o->nr_netns && stat(path, &sb) == 0)
		for (size_t i = 0; i < o->nr_netns; i++)
			yes |= sb.st_ino == o->netns[i];
	for (size_t i = 0; !yes && i < o->nr_pgids; i++)
		yes |= pgrp == o->pgids[i];
	return yes || (o->uid && proc_ruid(pid, &uid) == 0 && uid == o->uid);
}

static size_t kill_owned(const struct owned *o, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 1 && pid != getpid() && owned_by(o, pid) && kill(pid, sig) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * The processes marked as the environment's, of this state directory
 * (another one's environment of the same name is not ours), or of none
 * (started before processes carried it).
 */
static size_t find_marked(const char *name, const char *state, pid_t **pids)
{
	size_t nr = proc_find_by_env(RT_ENV_MARKER, name, pids), kept = 0;

	for (size_t i = 0; i < nr; i++) {
		char *dir = proc_getenv((*pids)[i], RT_STATE_MARKER);

		if (!dir || !strcmp(dir, state))
			(*pids)[kept++] = (*pids)[i];
		free(dir);
	}
	return kept;
}

static size_t kill_marked(const struct owned *o, int sig)
{
	pid_t *pids = NULL;
	size_t nr = find_marked(o->name, o->state, &pids);

	for (size_t i = 0; i < nr; i++)
		kill(pids[i], sig);
	free(pids);
	return nr;
}

/* Kill everything of the environment, until nothing is left (bounded). */
static int sweep(const struct owned *o)
{
	for (int round = 0; round < 200; round++) {
		size_t nr = kill_marked(o, SIGKILL) + kill_owned(o, SIGKILL);

		if (o->cgroup) {
			cgroup_kill(o->cgroup);
			nr += cgroup_populated(o->cgroup) != 0;
		}
		if (!nr)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

static void stop_supervisor(const char *envdir)
{
	struct rt_runtime rt;
	pid_t pid;
	unsigned long long start;
	char *answer;

	runtime_of(&rt, envdir);
	pid = rt.supervisor.pid;
	start = (unsigned long long)rt.supervisor.start_time;
	rt_runtime_release(&rt);
	if (pid <= 0 || !proc_alive(pid, start))
		return;
	/* it stops its processes itself, in reverse order, and exits */
	answer = rt_control(envdir, "stop", 3000);
	free(answer);
	for (int i = 0; i < 100 && proc_alive(pid, start); i++)
		sleep_ms(10);
	if (proc_alive(pid, start))
		kill(pid, SIGKILL);
}

static void keep_logs_of(const char *state, const char *name, const char *envdir)
{
	char *from = rt_env_path(envdir, "logs");
	char *to_dir = xasprintf("%s/logs", state);
	char *to = xasprintf("%s/%s-%lld", to_dir, name, (long long)time(NULL));

	if (is_dir(from) && mkdir_p(to_dir, 0700) == 0)
		rename(from, to);
	free(from);
	free(to_dir);
	free(to);
}

/* An environment's directory is one path component: "", ".." or "a/b" are no names. */
static int plain_name(const char *name, struct strbuf *err)
{
	if (*name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/'))
		return 0;
	strbuf_addf(err, "'%s' is not the name of an environment", name);
	return -1;
}

/* Stop the supervisor (when there is a directory to find it by), then kill all that is left. */
static int kill_everything(const char *state, const char *name, const struct rt_state *st,
			   const char *envdir)
{
	struct owned o;
	int ret;

	if (envdir) {
		stop_supervisor(envdir);
		kill_recorded(envdir, SIGKILL);
	}
	owned_load(&o, state, name, st, envdir);
	ret = sweep(&o);
	owned_release(&o);
	return ret;
}

int rt_kill_all(const char *state, const char *name)
{
	char *envdir = rt_env_dir(state, name);
	struct rt_state st;
	int ret;

	state_of(&st, envdir);
	ret = kill_everything(state, name, &st, envdir);
	rt_state_release(&st);
	free(envdir);
	return ret;
}

/* Remove `path` only if it is a directory directly in `parent`, whatever a name or state says. */
static int remove_child(const char *parent, const char *path, struct strbuf *err)
{
	int rc = rt_child_dir(parent, path, err);

	if (rc < 0) {
		strbuf_addstr(err, ": not removing it");
		return -1;
	}
	if (rc && rm_rf(path) < 0) {
		strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Once nothing of it runs: its network, run directory, directory (unless
 * envdir is NULL: it has none), cgroup and user, in that order (the user
 * last: it is what gc finds an environment without state by).
 */
static int remove_rest(const char *state, const char *name, const struct rt_state *st,
		       const char *envdir, int keep_logs, struct strbuf *err)
{
	char *run = xasprintf("%s/run", state), *envs = rt_envs_dir(state);
	char *home = rt_env_dir(state, name), *cg = NULL;
	int ret = -1;

	if (st->mode == RT_NETNS && st->net.bridge && rt_net_destroy(&st->net, err) < 0)
		goto out;
	if (envdir && keep_logs)
		keep_logs_of(state, name, envdir);
	if ((st->rundir && remove_child(run, st->rundir, err) < 0) ||
	    (envdir && remove_child(envs, envdir, err) < 0))
		goto out;
	cg = st->account ? rt_account_cgroup(st->account) : NULL;
	if (cg && cgroup_remove(cg) < 0) {
		strbuf_addf(err, "cannot remove cgroup '%s': %s", cg, strerror(errno));
		goto out;
	}
	if (st->account && rt_account_delete(st->account, home, err) < 0)
		goto out;
	ret = 0;
out:
	free(cg);
	free(home);
	free(envs);
	free(run);
	return ret;
}

int rt_teardown(const char *state, const char *name, int keep_logs, struct strbuf *err)
{
	char *envdir = NULL, *envs = rt_envs_dir(state);
	struct rt_state st;
	int ret = -1;

	rt_state_init(&st);
	if (plain_name(name, err) < 0)
		goto out;
	envdir = rt_env_dir(state, name);
	if (rt_child_dir(envs, envdir, err) < 0)
		goto out;
	rt_state_release(&st);
	state_of(&st, envdir);
	if (kill_everything(state, name, &st, envdir) < 0) {
		strbuf_addf(err, "processes of '%s' keep coming back; not removing it", name);
		goto out;
	}
	ret = remove_rest(state, name, &st, envdir, keep_logs, err);
out:
	rt_state_release(&st);
	free(envdir);
	free(envs);
	return ret;
}

int rt_teardown_orphan(const char *state, const struct rt_state *st, struct strbuf *err)
{
	struct owned o;

	/* a supervisor stops what it runs on SIGTERM, in order; then no mercy */
	owned_load(&o, state, st->name, st, NULL);
	if (kill_marked(&o, SIGTERM))
		for (int i = 0; i < 150 && kill_marked(&o, 0); i++)
			sleep_ms(10);
	owned_release(&o);
	if (kill_everything(state, st->name, st, NULL) < 0) {
		strbuf_addf(err, "processes of '%s' keep coming back; not removing it", st->name);
		return -1;
	}
	return remove_rest(state, st->name, st, NULL, 0, err);
}

int rt_leftovers(const char *state, const char *name, const struct rt_state *st,
		 struct strbuf *what)
{
	char *envdir = rt_env_dir(state, name);
	struct rt_state none;
	struct owned o;
	pid_t *pids = NULL;
	size_t nr = find_marked(name, state, &pids);
	int any = 0;

	rt_state_init(&none);
	owned_load(&o, state, name, st ? st : &none, NULL);
	nr += kill_owned(&o, 0);
	if (nr) {
		strbuf_addf(what, "%zu processes (pid %d...)\n", nr, pids ? (int)pids[0] : 0);
		any = 1;
	}
	free(pids);
	if (o.cgroup && is_dir(o.cgroup)) {
		strbuf_addf(what, "cgroup '%s'\n", o.cgroup);
		any = 1;
	}
	owned_release(&o);
	if (st && st->mode == RT_NETNS)
		any |= rt_net_leftovers(&st->net, what);
	if (st && st->account)
		any |= rt_account_leftovers(st->account, what);
	if (is_dir(envdir)) {
		strbuf_addf(what, "directory '%s'\n", envdir);
		any = 1;
	}
	if (st && st->rundir && is_dir(st->rundir)) {
		strbuf_addf(what, "directory '%s'\n", st->rundir);
		any = 1;
	}
	rt_state_release(&none);
	free(envdir);
	return any;
}

/* Under the lock: whoever looks (status, an up that gets the lock next) sees it going. */
static void mark_stopping(struct rt_state *st, const char *envdir)
{
	st->state = RT_STOPPING;
	rt_state_save(st, envdir, NULL);
	rt_event(envdir, "stopping", "removed by pid %d", (int)getpid());
}

int rt_remove(const char *state, const char *name, int keep_logs, int wait_ms, struct strbuf *err)
{
	char *envdir = rt_env_dir(state, name);
	struct strbuf left = STRBUF_INIT;
	struct rt_state st;
	int have, lock = -1, ret = -1;

	rt_state_init(&st);
	if (plain_name(name, err) < 0)
		goto out;
	if (is_dir(envdir))
		rt_stop_announce(envdir);
	lock = rt_lock(envdir, "down", wait_ms, err);
	if (lock < 0) {
		rt_stop_withdraw(envdir);
		goto out;
	}
	rt_state_release(&st);
	have = state_of(&st, envdir);
	if (have)
		mark_stopping(&st, envdir);
	if (rt_teardown(state, name, keep_logs, err) < 0)
		goto out;
	if (rt_leftovers(state, name, have ? &st : NULL, &left)) {
		strbuf_addf(err, "'%s' is not completely gone; left:\n%s", name, left.buf);
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	rt_state_release(&st);
	strbuf_release(&left);
	free(envdir);
	return ret;
}
