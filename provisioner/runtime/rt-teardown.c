/*
 * Teardown: stop every process of an environment (recorded, marked, or in
 * its namespaces), remove its network and files, and say what is left;
 * see rt-teardown.h.
 */
#include "rt-teardown.h"
#include "clock.h"
#include "fsutil.h"
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
 * title), so the marker is not enough. Also theirs: every process in one
 * of its network namespaces, and every member of a recorded process group
 * whose leader is gone (a group id is only reused once no member is left).
 */
struct owned {
	ino_t *netns;
	size_t nr_netns;
	pid_t *pgids;
	size_t nr_pgids;
};

static void owned_load(struct owned *o, const char *envdir)
{
	struct rt_state st;
	struct rt_runtime rt;

	memset(o, 0, sizeof(*o));
	state_of(&st, envdir);
	for (size_t i = 0; i < st.net.nr_ns; i++) {
		char *f = xasprintf("/run/netns/%s", st.net.ns[i].name);
		struct stat sb;

		if (stat(f, &sb) == 0) {
			o->netns = xreallocarray(o->netns, o->nr_netns + 1, sizeof(*o->netns));
			o->netns[o->nr_netns++] = sb.st_ino;
		}
		free(f);
	}
	runtime_of(&rt, envdir);
	for (size_t i = 0; i < rt.processes.nr; i++) {
		const struct rt_proc_now *p = RT_AT(rt.processes, struct rt_proc_now, i);

		if (p->pid <= 1)
			continue;
		o->pgids = xreallocarray(o->pgids, o->nr_pgids + 1, sizeof(*o->pgids));
		o->pgids[o->nr_pgids++] = p->pid;
	}
	rt_runtime_release(&rt);
	rt_state_release(&st);
}

/* "pid (comm) state ppid pgrp ...": comm may hold spaces, so read after the last ')'. */
static int read_stat(pid_t pid, char *state, int *pgrp)
{
	char path[64];
	struct strbuf line = STRBUF_INIT;
	int ppid, ok = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (strbuf_read_file(&line, path, 4096) == 0) {
		char *rp = strrchr(line.buf, ')');

		ok = rp && sscanf(rp + 1, " %c %d %d", state, &ppid, pgrp) == 3;
	}
	strbuf_release(&line);
	return ok;
}

static int owned_by(const struct owned *o, pid_t pid)
{
	char path[64], state;
	struct stat sb;
	int pgrp, yes = 0;

	/* a zombie is already gone: only its parent (or init, slowly) can reap it */
	if (!read_stat(pid, &state, &pgrp) || state == 'Z' || state == 'X')
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (o->nr_netns && stat(path, &sb) == 0)
		for (size_t i = 0; i < o->nr_netns; i++)
			yes |= sb.st_ino == o->netns[i];
	for (size_t i = 0; !yes && i < o->nr_pgids; i++)
		yes |= pgrp == o->pgids[i];
	return yes;
}

static size_t kill_owned(const struct owned *o)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid > 1 && pid != getpid() && owned_by(o, pid) && kill(pid, SIGKILL) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* Kill everything of the environment, until nothing is left (bounded). */
static int sweep(const char *envdir, const char *name)
{
	struct owned o;
	int ret = -1;

	owned_load(&o, envdir);
	for (int round = 0; round < 100; round++) {
		pid_t *pids = NULL;
		size_t nr = proc_find_by_env(RT_ENV_MARKER, name, &pids);

		for (size_t i = 0; i < nr; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		nr += kill_owned(&o);
		if (!nr) {
			ret = 0;
			break;
		}
		sleep_ms(10);
	}
	free(o.netns);
	free(o.pgids);
	return ret;
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

int rt_kill_all(const char *state, const char *name)
{
	char *envdir = rt_env_dir(state, name);
	int ret;

	stop_supervisor(envdir);
	kill_recorded(envdir, SIGKILL);
	ret = sweep(envdir, name);
	free(envdir);
	return ret;
}

int rt_teardown(const char *state, const char *name, int keep_logs, struct strbuf *err)
{
	char *envdir = rt_env_dir(state, name);
	struct rt_state st;
	int have = state_of(&st, envdir), ret = 0;

	if (rt_kill_all(state, name) < 0) {
		strbuf_addf(err, "processes of '%s' keep coming back; not removing it", name);
		ret = -1;
		goto out;
	}
	if (have && st.mode == RT_NETNS && rt_net_destroy(&st.net, err) < 0) {
		ret = -1;
		goto out;
	}
	if (keep_logs)
		keep_logs_of(state, name, envdir);
	if (have)
		rm_rf(st.rundir);
	if (rm_rf(envdir) < 0) {
		strbuf_addf(err, "cannot remove '%s': %s", envdir, strerror(errno));
		ret = -1;
	}
out:
	rt_state_release(&st);
	free(envdir);
	return ret;
}

int rt_leftovers(const char *state, const char *name, const struct rt_state *st,
		 struct strbuf *what)
{
	char *envdir = rt_env_dir(state, name);
	pid_t *pids = NULL;
	size_t nr = proc_find_by_env(RT_ENV_MARKER, name, &pids);
	int any = 0;

	if (nr) {
		strbuf_addf(what, "%zu processes (pid %d...)\n", nr, (int)pids[0]);
		any = 1;
	}
	free(pids);
	if (st && st->mode == RT_NETNS)
		any |= rt_net_leftovers(&st->net, what);
	if (is_dir(envdir)) {
		strbuf_addf(what, "directory '%s'\n", envdir);
		any = 1;
	}
	if (st && is_dir(st->rundir)) {
		strbuf_addf(what, "directory '%s'\n", st->rundir);
		any = 1;
	}
	free(envdir);
	return any;
}

int rt_remove(const char *state, const char *name, int keep_logs, int wait_ms, struct strbuf *err)
{
	char *envdir = rt_env_dir(state, name);
	struct strbuf left = STRBUF_INIT;
	struct rt_state st;
	int have = state_of(&st, envdir);
	int lock = rt_lock(envdir, "down", wait_ms, err), ret = -1;

	if (lock < 0 || rt_teardown(state, name, keep_logs, err) < 0)
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
