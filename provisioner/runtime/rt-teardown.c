/*
 * Teardown: stop every process of an environment (recorded, marked, or in
 * its namespaces), remove its network and files, and say what is left;
 * see rt-teardown.h.
 */
#include "rt-teardown.h"
#include "clock.h"
#include "fsutil.h"
#include "rt-env.h"
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

/* Signal every process recorded in runtime.json (each leads its group). */
static void kill_recorded(const char *envdir, int sig)
{
	char *path = rt_env_path(envdir, "runtime.json");
	json_t *rt = rt_json_load(path, NULL), *procs = json_object_get(rt, "processes"), *p;
	const char *name;

	json_object_foreach(procs, name, p) {
		pid_t pid = (pid_t)rt_int(p, "pid");

		if (pid > 0)
			proc_kill_group(pid, (unsigned long long)rt_int(p, "start_time"), sig);
	}
	json_decref(rt);
	free(path);
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
	char *path = rt_env_path(envdir, "state.json");
	json_t *st = rt_json_load(path, NULL), *ns, *rt, *p;
	const char *key;
	size_t i;

	memset(o, 0, sizeof(*o));
	json_array_foreach(json_object_get(json_object_get(st, "net"), "namespaces"), i, ns) {
		char *f = xasprintf("/run/netns/%s", rt_str(ns, "name"));
		struct stat sb;

		if (stat(f, &sb) == 0) {
			o->netns = xreallocarray(o->netns, o->nr_netns + 1, sizeof(*o->netns));
			o->netns[o->nr_netns++] = sb.st_ino;
		}
		free(f);
	}
	free(path);
	path = rt_env_path(envdir, "runtime.json");
	rt = rt_json_load(path, NULL);
	json_object_foreach(json_object_get(rt, "processes"), key, p) {
		if (rt_int(p, "pid") <= 1)
			continue;
		o->pgids = xreallocarray(o->pgids, o->nr_pgids + 1, sizeof(*o->pgids));
		o->pgids[o->nr_pgids++] = (pid_t)rt_int(p, "pid");
	}
	json_decref(rt);
	json_decref(st);
	free(path);
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
	char *path = rt_env_path(envdir, "runtime.json");
	json_t *rt = rt_json_load(path, NULL), *sv = json_object_get(rt, "supervisor");
	pid_t pid = (pid_t)rt_int(sv, "pid");
	unsigned long long start = (unsigned long long)rt_int(sv, "start_time");
	char *answer;

	free(path);
	json_decref(rt);
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
	char *envdir = rt_env_dir(state, name), *path = rt_env_path(envdir, "state.json");
	json_t *st = rt_json_load(path, NULL);
	int ret = 0;

	if (rt_kill_all(state, name) < 0) {
		strbuf_addf(err, "processes of '%s' keep coming back; not removing it", name);
		ret = -1;
		goto out;
	}
	if (st && !strcmp(rt_str(st, "mode"), "netns")) {
		struct rt_net net;

		rt_net_from_json(&net, st);
		ret = rt_net_destroy(&net, err);
		rt_net_release(&net);
		if (ret < 0)
			goto out;
	}
	if (keep_logs)
		keep_logs_of(state, name, envdir);
	if (st && *rt_str(st, "rundir"))
		rm_rf(rt_str(st, "rundir"));
	if (rm_rf(envdir) < 0) {
		strbuf_addf(err, "cannot remove '%s': %s", envdir, strerror(errno));
		ret = -1;
	}
out:
	json_decref(st);
	free(path);
	free(envdir);
	return ret;
}

int rt_leftovers(const char *state, const char *name, json_t *st, struct strbuf *what)
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
	if (st && !strcmp(rt_str(st, "mode"), "netns")) {
		struct rt_net net;

		rt_net_from_json(&net, st);
		any |= rt_net_leftovers(&net, what);
		rt_net_release(&net);
	}
	if (is_dir(envdir)) {
		strbuf_addf(what, "directory '%s'\n", envdir);
		any = 1;
	}
	if (st && *rt_str(st, "rundir") && is_dir(rt_str(st, "rundir"))) {
		strbuf_addf(what, "directory '%s'\n", rt_str(st, "rundir"));
		any = 1;
	}
	free(envdir);
	return any;
}

int rt_remove(const char *state, const char *name, int keep_logs, int wait_ms, struct strbuf *err)
{
	char *envdir = rt_env_dir(state, name), *path = rt_env_path(envdir, "state.json");
	struct strbuf left = STRBUF_INIT;
	json_t *st = rt_json_load(path, NULL);
	int lock = rt_lock(envdir, "down", wait_ms, err), ret = -1;

	if (lock < 0 || rt_teardown(state, name, keep_logs, err) < 0)
		goto out;
	if (rt_leftovers(state, name, st, &left)) {
		strbuf_addf(err, "'%s' is not completely gone; left:\n%s", name, left.buf);
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	json_decref(st);
	strbuf_release(&left);
	free(path);
	free(envdir);
	return ret;
}
