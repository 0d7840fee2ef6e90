/*
 * Environments on disk: directories, the lock, events, state documents and
 * the supervisor's control socket; see rt-env.h.
 */
#include "rt-env.h"
#include "clock.h"
#include "rt-state.h"
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

int rt_child_dir(const char *parent, const char *path, struct strbuf *err)
{
	char *rp = realpath(parent, NULL), *rd = NULL;
	struct stat sb;
	size_t len;
	int ret = -1;

	if (lstat(path, &sb) < 0 && errno == ENOENT) {
		ret = 0;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode) || !rp || !(rd = realpath(path, NULL))) {
		strbuf_addf(err, "'%s' is not a directory", path);
		goto out;
	}
	len = strlen(rp);
	if (strncmp(rd, rp, len) || rd[len] != '/' || !rd[len + 1] || strchr(rd + len + 1, '/')) {
		strbuf_addf(err, "'%s' is not a directory in '%s'", path, parent);
		goto out;
	}
	ret = 1;
out:
	free(rp);
	free(rd);
	return ret;
}

/*
 * <state>/envs is traversed by every environment's user (to reach its own
 * directory); an environment's directory is its own (rt_prepare gives it
 * to its group) and root's.
 */
static int make_env_dir(const char *envdir)
{
	char *envs = path_dirname(envdir);
	int ret = mkdir_p(envs, 0711);

	if (!ret && mkdir(envdir, 0700) < 0 && errno != EEXIST)
		ret = -1;
	free(envs);
	return ret;
}

/* Is fd still the file at path? A `down` may have removed it while we waited. */
static int still_there(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static void lock_busy_error(const char *envdir, const char *path, struct strbuf *err)
{
	struct strbuf holder = STRBUF_INIT;

	strbuf_read_file(&holder, path, 256);
	strbuf_rtrim(&holder);
	strbuf_addf(err, "environment '%s' is locked by another provisioner (%s)",
		    strrchr(envdir, '/') + 1, holder.len ? holder.buf : "unknown");
	strbuf_release(&holder);
}

int rt_lock(const char *envdir, const char *what, int timeout_ms, struct strbuf *err)
{
	char *path = rt_env_path(envdir, "lock");
	long long deadline = clock_ms() + timeout_ms;
	char note[128];
	int fd;

again:
	if (make_env_dir(envdir) < 0 || (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || clock_ms() >= deadline) {
			lock_busy_error(envdir, path, err);
			close(fd);
			free(path);
			return -1;
		}
		sleep_ms(50);
	}
	if (!still_there(fd, path)) {
		close(fd);
		goto again;
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

void rt_stop_announce(const char *envdir)
{
	char *path = rt_env_path(envdir, "stopping");
	char note[64];

	snprintf(note, sizeof(note), "%d %llu\n", (int)getpid(), proc_start_time(getpid()));
	write_file_atomic(path, note, strlen(note), 0644);
	free(path);
}

pid_t rt_stop_pending(const char *envdir)
{
	char *path = rt_env_path(envdir, "stopping");
	struct strbuf sb = STRBUF_INIT;
	unsigned long long start = 0;
	int pid = 0, alive;

	alive = strbuf_read_file(&sb, path, 64) == 0 &&
		sscanf(sb.buf, "%d %llu", &pid, &start) == 2 && proc_alive(pid, start);
	strbuf_release(&sb);
	free(path);
	return alive ? pid : 0;
}

void rt_stop_withdraw(const char *envdir)
{
	char *path = rt_env_path(envdir, "stopping");

	if (rt_stop_pending(envdir) == getpid())
		unlink(path);
	free(path);
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

char *rt_socket_path(const char *envdir)
{
	struct rt_state st;
	struct strbuf err = STRBUF_INIT;
	char *sock = rt_state_load(&st, envdir, &err) == 0 ? xstrdup(st.socket) : NULL;

	rt_state_release(&st);
	strbuf_release(&err);
	return sock ? sock : rt_env_path(envdir, "supervisor.sock");
}

char *rt_control(const char *envdir, const char *request, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct strbuf out = STRBUF_INIT;
	char *path = rt_socket_path(envdir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long long deadline = clock_ms() + timeout_ms;

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
		long long left = deadline - clock_ms();
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
	struct rt_runtime rt;
	struct strbuf err = STRBUF_INIT;
	pid_t pid = 0;

	if (rt_runtime_load(&rt, envdir, &err) == 0 && rt.supervisor.pid > 0 &&
	    proc_alive(rt.supervisor.pid, (unsigned long long)rt.supervisor.start_time))
		pid = rt.supervisor.pid;
	rt_runtime_release(&rt);
	strbuf_release(&err);
	return pid;
}
