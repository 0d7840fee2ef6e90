/*
 * Environments on disk, locks, the address pool and teardown; see rt-env.h.
 */
#include "rt-env.h"
#include "fsutil.h"
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

#define POOL_MAX 250

char *rt_envs_dir(const char *state)
{
	return xasprintf("%s/envs", state);
}

char *rt_env_dir(const char *state, const char *name)
{
	return xasprintf("%s/envs/%s", state, name);
}

char *rt_env_path(const char *envdir, const char *file)
{
	return xasprintf("%s/%s", envdir, file);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rt_lock(const char *envdir, const char *what, int timeout_ms, struct strbuf *err)
{
	char *path = rt_env_path(envdir, "lock");
	long long deadline = now_ms() + timeout_ms;
	char note[128];
	int fd;

	if (mkdir_p(envdir, 0711) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || now_ms() >= deadline) {
			struct strbuf holder = STRBUF_INIT;

			strbuf_read_file(&holder, path, 256);
			strbuf_rtrim(&holder);
			strbuf_addf(err, "environment '%s' is locked by another provisioner (%s)",
				    strrchr(envdir, '/') + 1, holder.len ? holder.buf : "unknown");
			strbuf_release(&holder);
			close(fd);
			free(path);
			return -1;
		}
		sleep_ms(50);
	}
	snprintf(note, sizeof(note), "pid %d, '%s' since %lld\n", (int)getpid(), what,
		 (long long)time(NULL));
	if (ftruncate(fd, 0) == 0 && pwrite(fd, note, strlen(note), 0) < 0) {
		/* only a note for the message above */
	}
	free(path);
	return fd;
}

int rt_lock_busy(const char *envdir)
{
	char *path = rt_env_path(envdir, "lock");
	int fd = open(path, O_RDONLY | O_CLOEXEC), busy = 0;

	free(path);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		busy = errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

json_t *rt_json_load(const char *path, struct strbuf *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);

	if (!doc && err)
		strbuf_addf(err, "cannot read '%s': %s", path, je.text);
	return doc;
}

int rt_json_save(const char *path, json_t *doc, struct strbuf *err)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int ret = -1;

	if (text) {
		size_t len = strlen(text);

		text[len] = '\n';   /* json_dumps' NUL replaced: written with its length */
		ret = write_file_atomic(path, text, len + 1, 0644);
		if (ret < 0 && err)
			strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
	}
	free(text);
	return ret;
}

void rt_event(const char *envdir, const char *kind, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
	char *path = rt_env_path(envdir, "events.log");
	struct timespec ts;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	strbuf_addf(&line, "{\"time\":%lld.%03ld,\"event\":", (long long)ts.tv_sec,
		    ts.tv_nsec / 1000000);
	strbuf_add_quoted(&line, kind);
	strbuf_addstr(&line, ",\"message\":");
	strbuf_add_quoted(&line, msg.buf);
	strbuf_addstr(&line, "}\n");
	append_file(path, line.buf, line.len, 0644);
	free(path);
	strbuf_release(&msg);
	strbuf_release(&line);
}

int rt_read_secret(const char *path, struct strbuf *out, struct strbuf *err)
{
	if (strbuf_read_file(out, path, 64 * 1024) < 0) {
		if (err)
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	strbuf_rtrim(out);
	return 0;
}

const char *rt_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

long long rt_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

void rt_net_from_json(struct rt_net *n, json_t *st)
{
	json_t *net = json_object_get(st, "net"), *nss = json_object_get(net, "namespaces"), *ns;
	size_t i;

	memset(n, 0, sizeof(*n));
	n->bridge = xstrdup(rt_str(net, "bridge"));
	n->bridge_addr = xstrdup(rt_str(net, "bridge_addr"));
	n->prefix = (int)rt_int(net, "prefix");
	n->nft_table = *rt_str(net, "nft_table") ? xstrdup(rt_str(net, "nft_table")) : NULL;
	n->nr_ns = json_array_size(nss);
	n->ns = xcalloc(n->nr_ns ? n->nr_ns : 1, sizeof(*n->ns));
	json_array_foreach(nss, i, ns) {
		n->ns[i].name = xstrdup(rt_str(ns, "name"));
		n->ns[i].veth = xstrdup(rt_str(ns, "veth"));
		n->ns[i].addr = xstrdup(rt_str(ns, "addr"));
		n->ns[i].hosts = *rt_str(ns, "hosts") ? xstrdup(rt_str(ns, "hosts")) : NULL;
	}
}

int rt_pool_lock(const char *state, struct strbuf *err)
{
	/*
	 * Namespaces, bridges and 10.213.N.0/24 are the machine's, not one
	 * state directory's: as root the lock is machine-wide too.
	 */
	char *path = geteuid() == 0 ? xstrdup("/run/lock/provisioner-pool.lock")
				    : xasprintf("%s/pool.lock", state);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static void mark_used(const char *state, unsigned char *used)
{
	char *envs = rt_envs_dir(state), **names;
	size_t nr;

	if (list_dir(envs, &names, &nr) < 0) {
		free(envs);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		char *dir = path_join(envs, names[i]), *path = rt_env_path(dir, "state.json");
		json_t *st = rt_json_load(path, NULL);
		long long idx = rt_int(st, "index");

		if (idx > 0 && idx <= POOL_MAX)
			used[idx] = 1;
		json_decref(st);
		free(path);
		free(dir);
	}
	free_list(names);
	free(envs);
}

/*
 * Network namespaces, links and nftables tables are named by the index, and
 * they are the machine's: in that mode the pool goes round machine-wide
 * (the last index handed out is kept beside the machine-wide lock), so a
 * block just freed is the last to be taken again, and whoever checks that
 * an environment left nothing behind (pvN links, the pv_N table) is not
 * misled by the next environment moving into its block at once. Loopback
 * environments take the lowest free index of their state directory, which
 * `up --dry-run` can foresee.
 */
static char *pool_last_path(int netns)
{
	return netns && geteuid() == 0 ? xstrdup("/run/lock/provisioner-pool.last") : NULL;
}

int rt_pool_alloc(const char *state, int netns, int dry_run, struct strbuf *err)
{
	unsigned char used[POOL_MAX + 1] = { 0 };
	char *last_path = pool_last_path(netns);
	struct strbuf sb = STRBUF_INIT;
	int last = 0;

	if (last_path && strbuf_read_file(&sb, last_path, 64) == 0)
		last = atoi(sb.buf);
	if (last < 0 || last > POOL_MAX)
		last = 0;
	mark_used(state, used);
	for (int k = 1; k <= POOL_MAX; k++) {
		int i = (last + k - 1) % POOL_MAX + 1;
		char cidr[32];

		if (used[i])
			continue;
		snprintf(cidr, sizeof(cidr), "10.213.%d.0/24", i);
		if (netns && rt_net_subnet_in_use(cidr, NULL) != 0)
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%d\n", i);
		if (last_path && !dry_run)   /* a hint: failing to keep it is harmless */
			write_file_atomic(last_path, sb.buf, sb.len, 0644);
		strbuf_release(&sb);
		free(last_path);
		return i;
	}
	strbuf_release(&sb);
	free(last_path);
	strbuf_addf(err, "no free address block: all %d are taken (see 'provisioner list', "
			 "'provisioner gc')", POOL_MAX);
	return -1;
}

char *rt_socket_path(const char *envdir)
{
	char *path = rt_env_path(envdir, "state.json");
	json_t *st = rt_json_load(path, NULL);
	char *sock = *rt_str(st, "socket") ? xstrdup(rt_str(st, "socket")) : NULL;

	json_decref(st);
	free(path);
	return sock ? sock : rt_env_path(envdir, "supervisor.sock");
}

char *rt_control(const char *envdir, const char *request, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct strbuf out = STRBUF_INIT;
	char *path = rt_socket_path(envdir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long long deadline = now_ms() + timeout_ms;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		goto fail;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* MSG_NOSIGNAL: a supervisor that just went away is an answer, not a SIGPIPE */
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		goto fail;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			goto fail;
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		strbuf_add(&out, buf, (size_t)n);
	}
	close(fd);
	free(path);
	return strbuf_detach(&out, NULL);
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	strbuf_release(&out);
	return NULL;
}

pid_t rt_supervisor_pid(const char *envdir)
{
	char *path = rt_env_path(envdir, "runtime.json");
	json_t *rt = rt_json_load(path, NULL), *sv = json_object_get(rt, "supervisor");
	pid_t pid = (pid_t)rt_int(sv, "pid");
	unsigned long long start = (unsigned long long)rt_int(sv, "start_time");

	if (pid <= 0 || !proc_alive(pid, start))
		pid = 0;
	json_decref(rt);
	free(path);
	return pid;
}

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
