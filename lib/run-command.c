/*
 * Child processes; see run-command.h.
 *
 * Between fork() and exec the child of a multi-threaded parent may only
 * make async-signal-safe calls: another thread may have held the malloc
 * lock (or any other) at the moment of the fork, and that lock stays held
 * forever in the child. So start_command() first builds a `struct
 * child_plan` with everything the child needs, and the child only makes
 * system calls on it. A failure in the child is written as a struct
 * child_report to a close-on-exec pipe; end of file on that pipe without a
 * report means the exec succeeded.
 */
#include "run-command.h"
#include "clock.h"
#include "fsutil.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TAIL_MAX (64 * 1024)
#define ENVIRON_MAX (16 * 1024 * 1024)

/* What the child was doing when it failed. */
enum child_step {
	STEP_STDIO = 1,
	STEP_CHDIR,
	STEP_NETNS,
	STEP_UNSHARE,
	STEP_RSLAVE,
	STEP_BIND,
	STEP_SETSID,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_PDEATHSIG,
	STEP_EXEC,
};

struct child_report {
	int step;
	int err;
	int index;   /* which bind mount, for STEP_BIND */
};

/* Everything the child needs, allocated before fork. */
struct child_plan {
	const struct child_process *cp;
	char *path;             /* argv[0] resolved in PATH */
	char **envp;
	char *ns_path;          /* /run/netns/NAME, or NULL */
	char **bind_src;        /* /etc/netns/NAME/FILE ... */
	char **bind_dst;        /* /etc/FILE ... */
	size_t nr_bind;
	pid_t parent;
	int report;             /* write end of the report pipe */
	int max_fd;             /* where to stop closing fds without close_range */
};

/* Milliseconds left until deadline for poll(): -1 without a limit, never below 0. */
static int ms_left(long long deadline, int timeout_ms)
{
	long long left;

	if (timeout_ms < 0)
		return -1;
	left = deadline - clock_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* ---- preparing, in the parent ---- */

static const char *env_lookup(const char **env, const char *name)
{
	size_t len = strlen(name);

	if (!env)
		return getenv(name);
	for (; *env; env++)
		if (!strncmp(*env, name, len) && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/*
 * What execvp() would run, found before fork because the search allocates.
 * The first executable regular file wins; failing that the first one that
 * exists (so exec fails with EACCES, as execvp's would); failing that the
 * bare name (so exec fails with ENOENT, naming it).
 */
static char *search_path(const char *name, const char *path)
{
	char *found = NULL;
	const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin";

	if (strchr(name, '/'))
		return xstrdup(name);
	for (;;) {
		const char *e = strchrnul(p, ':');
		/* an empty entry means the current directory, as for execvp */
		char *cand = e > p ? xasprintf("%.*s/%s", (int)(e - p), p, name)
				   : xasprintf("./%s", name);
		struct stat st;

		if (!stat(cand, &st) && S_ISREG(st.st_mode)) {
			if (!access(cand, X_OK)) {
				free(found);
				return cand;
			}
			if (!found) {
				found = cand;
				cand = NULL;
			}
		}
		free(cand);
		if (!*e)
			break;
		p = e + 1;
	}
	return found ? found : xstrdup(name);
}

static int valid_netns_name(const char *name)
{
	return *name && strlen(name) < NAME_MAX && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

/* The namespace file, and the files of /etc/netns/NAME/ to bind over /etc. */
static int plan_netns(struct child_plan *pl, const char *name, struct strbuf *err)
{
	char *etc = xasprintf("/etc/netns/%s", name);
	char **files = NULL;
	size_t nr = 0;
	int ret = -1;

	if (!valid_netns_name(name)) {
		strbuf_addf(err, "invalid network namespace name '%s'", name);
		goto out;
	}
	if (list_dir(etc, &files, &nr) < 0) {
		if (errno != ENOENT) {
			strbuf_addf(err, "cannot read '%s': %s", etc, strerror(errno));
			goto out;
		}
		files = NULL;
		nr = 0;
	}
	pl->ns_path = xasprintf("/run/netns/%s", name);
	pl->bind_src = xcalloc(nr + 1, sizeof(*pl->bind_src));
	pl->bind_dst = xcalloc(nr + 1, sizeof(*pl->bind_dst));
	for (size_t i = 0; i < nr; i++) {
		pl->bind_src[i] = path_join(etc, files[i]);
		pl->bind_dst[i] = xasprintf("/etc/%s", files[i]);
	}
	pl->nr_bind = nr;
	ret = 0;
out:
	if (files)
		free_list(files);
	free(etc);
	return ret;
}

static int plan_child(struct child_plan *pl, const struct child_process *cp, struct strbuf *err)
{
	struct rlimit rl;

	pl->cp = cp;
	pl->path = search_path(cp->argv[0], env_lookup(cp->env, "PATH"));
	pl->envp = cp->env ? (char **)cp->env : environ;
	pl->parent = getpid();
	pl->max_fd = 1 << 20;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)INT_MAX)
		pl->max_fd = (int)rl.rlim_cur;
	if (cp->netns && plan_netns(pl, cp->netns, err) < 0)
		return -1;
	return 0;
}

static void plan_release(struct child_plan *pl)
{
	free(pl->path);
	free(pl->ns_path);
	for (size_t i = 0; i < pl->nr_bind; i++) {
		free(pl->bind_src[i]);
		free(pl->bind_dst[i]);
	}
	free(pl->bind_src);
	free(pl->bind_dst);
}

/* ---- in the child: async-signal-safe calls only ---- */

static void NORETURN child_fail(const struct child_plan *pl, int step, int index)
{
	struct child_report r = { .step = step, .err = errno, .index = index };
	ssize_t n;

	do
		n = write(pl->report, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* Our handlers and mask must not leak into the program. */
static void child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);   /* fails harmlessly for SIGKILL, SIGSTOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* fd, moved above 0..2 so that setting up 0..2 cannot clobber it. */
static int above_stdio(int fd)
{
	return fd < 0 || fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void child_stdio(const struct child_plan *pl)
{
	const struct child_process *cp = pl->cp;
	int in = above_stdio(cp->in >= 0 ? cp->in : open("/dev/null", O_RDONLY | O_CLOEXEC));
	int out = above_stdio(cp->out >= 0 ? cp->out : open("/dev/null", O_WRONLY | O_CLOEXEC));

	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		child_fail(pl, STEP_STDIO, 0);
}

/* Close every fd above 2 but the report pipe. */
static void child_close_fds(const struct child_plan *pl)
{
	int keep = pl->report;

#ifdef SYS_close_range
	if ((keep == 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0) &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
		return;
#endif
	for (int fd = 3; fd < pl->max_fd; fd++)
		if (fd != keep)
			close(fd);
}

/* What `ip netns exec` does (iproute2 lib/namespace.c netns_switch). */
static void child_netns(const struct child_plan *pl)
{
	struct statfs sfs;
	unsigned long sys_flags = 0;
	int fd = open(pl->ns_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		child_fail(pl, STEP_NETNS, 0);
	close(fd);
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(pl, STEP_UNSHARE, 0);
	/* our mounts below must not propagate back to the host */
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		child_fail(pl, STEP_RSLAVE, 0);
	/*
	 * A /sys describing this namespace, best effort: a read-only /sys we
	 * cannot unmount cannot be shadowed by a writable one. Only
	 * /sys/class/net differs, and few programs look there.
	 */
	if (umount2("/sys", MNT_DETACH) < 0 && statfs("/sys", &sfs) == 0 &&
	    (sfs.f_flags & ST_RDONLY))
		sys_flags = MS_RDONLY;
	(void)mount(pl->cp->netns, "/sys", "sysfs", sys_flags, NULL);
	for (size_t i = 0; i < pl->nr_bind; i++)
		if (mount(pl->bind_src[i], pl->bind_dst[i], "none", MS_BIND, NULL) < 0)
			child_fail(pl, STEP_BIND, (int)i);
}

static void child_privileges(const struct child_plan *pl)
{
	const struct child_process *cp = pl->cp;

	if (setgroups(0, NULL) < 0)
		child_fail(pl, STEP_SETGROUPS, 0);
	if (setgid(cp->gid) < 0)
		child_fail(pl, STEP_SETGID, 0);
	if (setuid(cp->uid) < 0)
		child_fail(pl, STEP_SETUID, 0);
}

/* After the privileges: changing credentials clears the parent-death signal. */
static void child_pdeathsig(const struct child_plan *pl)
{
	if (prctl(PR_SET_PDEATHSIG, (unsigned long)pl->cp->pdeathsig) < 0)
		child_fail(pl, STEP_PDEATHSIG, 0);
	/* the parent died before the prctl: nobody will send it, nor read a report */
	if (getppid() != pl->parent) {
		kill(getpid(), pl->cp->pdeathsig);
		_exit(127);
	}
}

static void NORETURN child_run(struct child_plan *pl)
{
	const struct child_process *cp = pl->cp;

	child_reset_signals();
	pl->report = above_stdio(pl->report);
	if (pl->report < 0)
		_exit(127);
	child_stdio(pl);
	child_close_fds(pl);
	if (cp->dir && chdir(cp->dir) < 0)
		child_fail(pl, STEP_CHDIR, 0);
	if (pl->ns_path)
		child_netns(pl);
	if (cp->new_session && setsid() < 0)
		child_fail(pl, STEP_SETSID, 0);
	if (cp->drop_privileges)
		child_privileges(pl);
	if (cp->pdeathsig)
		child_pdeathsig(pl);
	execve(pl->path, (char *const *)cp->argv, pl->envp);
	child_fail(pl, STEP_EXEC, 0);
}

/* ---- back in the parent ---- */

static void describe_failure(const struct child_plan *pl, const struct child_report *r,
			     struct strbuf *err)
{
	const struct child_process *cp = pl->cp;
	const char *prog = cp->argv[0], *why = strerror(r->err);

	switch (r->step) {
	case STEP_EXEC:
		strbuf_addf(err, "cannot run '%s': %s", prog, why);
		break;
	case STEP_CHDIR:
		strbuf_addf(err, "cannot run '%s' in '%s': %s", prog, cp->dir, why);
		break;
	case STEP_NETNS:
		strbuf_addf(err, "cannot enter network namespace '%s': %s", cp->netns, why);
		break;
	case STEP_UNSHARE:
	case STEP_RSLAVE:
		strbuf_addf(err, "cannot make a private mount namespace in network namespace '%s': %s",
			    cp->netns, why);
		break;
	case STEP_BIND:
		strbuf_addf(err, "cannot bind-mount '%s' over '%s' in network namespace '%s': %s",
			    r->index >= 0 && (size_t)r->index < pl->nr_bind ? pl->bind_src[r->index] : "?",
			    r->index >= 0 && (size_t)r->index < pl->nr_bind ? pl->bind_dst[r->index] : "?",
			    cp->netns, why);
		break;
	case STEP_SETGROUPS:
	case STEP_SETGID:
	case STEP_SETUID:
		strbuf_addf(err, "cannot run '%s' as uid %ld gid %ld: %s", prog, (long)cp->uid,
			    (long)cp->gid, why);
		break;
	case STEP_SETSID:
		strbuf_addf(err, "cannot run '%s' in a new session: %s", prog, why);
		break;
	case STEP_PDEATHSIG:
		strbuf_addf(err, "cannot set the parent-death signal of '%s': %s", prog, why);
		break;
	default:
		strbuf_addf(err, "cannot set up the standard input and output of '%s': %s", prog, why);
		break;
	}
}

/* 0 at end of file (the exec happened), 1 with a report, -1 on a short read. */
static int read_report(int fd, struct child_report *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n == (ssize_t)sizeof(*r))
		return 1;
	r->step = STEP_EXEC;
	r->err = n < 0 ? errno : EIO;
	return -1;
}

static pid_t reap(pid_t pid, int *status)
{
	pid_t r;

	do
		r = waitpid(pid, status, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Field 22 of /proc/PID/stat, and the state (field 3); 0 if unreadable. */
static unsigned long long stat_start_time(pid_t pid, char *state)
{
	struct strbuf path = STRBUF_INIT, stat = STRBUF_INIT;
	unsigned long long start = 0;
	char *p;

	*state = '?';
	strbuf_addf(&path, "/proc/%ld/stat", (long)pid);
	if (pid <= 0 || strbuf_read_file(&stat, path.buf, 4096) < 0)
		goto out;
	/* the command name (field 2) may hold spaces and parentheses */
	p = strrchr(stat.buf, ')');
	if (!p || p[1] != ' ')
		goto out;
	p += 2;
	*state = *p;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		start = strtoull(p, NULL, 10);
out:
	strbuf_release(&path);
	strbuf_release(&stat);
	return start;
}

int start_command(struct child_process *cp, struct strbuf *err)
{
	struct child_plan pl = { 0 };
	struct child_report rep;
	sigset_t all, old;
	int fds[2] = { -1, -1 }, ret = -1, status;
	char state;

	cp->pid = 0;
	cp->start_time = 0;
	if (!cp->argv || !cp->argv[0]) {
		strbuf_addstr(err, "no program to run");
		return -1;
	}
	if (plan_child(&pl, cp, err) < 0)
		goto out;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot run '%s': pipe: %s", cp->argv[0], strerror(errno));
		goto out;
	}
	pl.report = fds[1];
	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	cp->pid = fork();
	if (!cp->pid)
		child_run(&pl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (cp->pid < 0) {
		strbuf_addf(err, "cannot run '%s': fork: %s", cp->argv[0], strerror(errno));
		cp->pid = 0;
		goto out;
	}
	if (read_report(fds[0], &rep) == 0) {
		/* unreaped, it cannot be gone; zombie or not, the time is its own */
		cp->start_time = stat_start_time(cp->pid, &state);
		ret = 0;
		goto out;
	}
	reap(cp->pid, &status);
	cp->pid = 0;
	describe_failure(&pl, &rep, err);
out:
	if (fds[0] >= 0)
		close(fds[0]);
	plan_release(&pl);
	return ret;
}

int finish_command(struct child_process *cp, int *status)
{
	if (cp->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	return reap(cp->pid, status) == cp->pid ? 0 : -1;
}

/* 1 if pid has exited (left unreaped), 0 if not, -1 on error. */
static int has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == EINTR ? 0 : -1;
	return si.si_pid == pid;
}

/* Where there is no pidfd: poll with short, growing sleeps. */
static int wait_exit_polling(pid_t pid, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	long nap = 1;

	for (;;) {
		int r = has_exited(pid);

		if (r)
			return r;
		if (timeout_ms >= 0 && clock_ms() >= deadline)
			return 0;
		sleep_ms(nap);
		nap = nap < 50 ? nap * 2 : 50;
	}
}

/*
 * Wait for pid to exit without reaping it: while it is an unreaped zombie
 * its pid, and so its process group id, cannot be reused, and it is still
 * safe to signal the group. 1 exited, 0 timed out, -1 error.
 */
static int wait_exit(pid_t pid, int timeout_ms)
{
#ifdef SYS_pidfd_open
	long long deadline = clock_ms() + timeout_ms;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0U);

	if (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n;

		do
			n = poll(&p, 1, ms_left(deadline, timeout_ms));
		while (n < 0 && errno == EINTR);
		close(fd);
		if (n >= 0)
			return n > 0;
	}
#endif
	return wait_exit_polling(pid, timeout_ms);
}

int wait_command_timeout(struct child_process *cp, int timeout_ms, int *status)
{
	int r;

	if (cp->pid <= 0) {
		errno = ECHILD;
		return -1;
	}
	r = wait_exit(cp->pid, timeout_ms);
	if (r < 0)
		return -1;
	if (!r)
		return 1;
	return finish_command(cp, status);
}

int stop_command(struct child_process *cp, int grace_ms)
{
	pid_t target = cp->new_session ? -cp->pid : cp->pid;
	int status;

	/* kill(0) and kill(-1) would hit our group, or everything */
	if (cp->pid <= 1) {
		errno = ECHILD;
		return -1;
	}
	kill(target, SIGTERM);
	/* before reaping it: the leader, unreaped, keeps the group id ours */
	if (wait_exit(cp->pid, grace_ms) != 1 || cp->new_session)
		kill(target, SIGKILL);
	return finish_command(cp, &status) < 0 ? -1 : status;
}

/* Read fd into out until end of file (0), the deadline (1) or an error (-1). */
static int read_until(int fd, struct strbuf *out, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		int n = poll(&p, 1, ms_left(deadline, timeout_ms));
		ssize_t got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			return 1;
		strbuf_grow(out, 8192);
		got = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -1;
		if (!got)
			return 0;
		out->len += (size_t)got;
		out->buf[out->len] = '\0';
	}
}

static int capture_result(const char *prog, int status, struct strbuf *err)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		strbuf_addf(err, "'%s' was killed by signal %d (%s)", prog, WTERMSIG(status),
			    strsignal(WTERMSIG(status)));
	else
		strbuf_addf(err, "'%s' ended with wait status %d", prog, status);
	return -1;
}

int run_command_capture(const char **argv, struct strbuf *out, int timeout_ms,
			struct strbuf *err)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	long long deadline = clock_ms() + timeout_ms;
	int fds[2], status, r;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot run '%s': pipe: %s", argv[0], strerror(errno));
		return -1;
	}
	cp.argv = argv;
	cp.out = fds[1];
	cp.new_session = 1;   /* so a timeout kills whatever it started too */
	r = start_command(&cp, err);
	close(fds[1]);
	if (r < 0) {
		close(fds[0]);
		return -1;
	}
	r = read_until(fds[0], out, timeout_ms);
	close(fds[0]);
	if (!r)
		r = wait_command_timeout(&cp, ms_left(deadline, timeout_ms), &status);
	if (!r)
		return capture_result(argv[0], status, err);
	stop_command(&cp, 0);
	if (r > 0)
		strbuf_addf(err, "'%s' timed out after %d ms", argv[0], timeout_ms);
	else
		strbuf_addf(err, "cannot read the output of '%s': %s", argv[0], strerror(errno));
	return -1;
}

unsigned long long proc_start_time(pid_t pid)
{
	char state;
	unsigned long long start = stat_start_time(pid, &state);

	return state == 'Z' ? 0 : start;
}

int proc_alive(pid_t pid, unsigned long long start_time)
{
	return pid > 0 && start_time && proc_start_time(pid) == start_time;
}

int proc_kill_group(pid_t pgid, unsigned long long leader_start, int sig)
{
	/* kill(-1) would signal every process we may signal */
	if (pgid <= 1 || !proc_alive(pgid, leader_start))
		return 0;
	return kill(-pgid, sig) < 0 ? -1 : 1;
}

/* Does the NUL-separated environment env hold exactly want? */
static int environ_holds(const char *env, size_t len, const char *want)
{
	for (const char *p = env; p < env + len; p += strlen(p) + 1)
		if (!strcmp(p, want))
			return 1;
	return 0;
}

static pid_t parse_pid(const char *s)
{
	char *end;
	long v;

	if (*s < '1' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return *end || errno || v > INT_MAX ? 0 : (pid_t)v;
}

size_t proc_find_by_env(const char *name, const char *value, pid_t **pids)
{
	struct strbuf path = STRBUF_INIT, env = STRBUF_INIT;
	char *want = xasprintf("%s=%s", name, value);
	size_t nr = 0, alloc = 0;
	pid_t self = getpid();
	DIR *d = opendir("/proc");
	struct dirent *de;

	*pids = NULL;
	while (d && (de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name);

		if (pid <= 0 || pid == self)
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "/proc/%ld/environ", (long)pid);
		strbuf_reset(&env);
		if (strbuf_read_file(&env, path.buf, ENVIRON_MAX) < 0)
			continue;
		if (environ_holds(env.buf, env.len, want)) {
			ALLOC_GROW(*pids, nr + 1, alloc);
			(*pids)[nr++] = pid;
		}
	}
	if (d)
		closedir(d);
	/* other processes' environments hold their secrets */
	if (env.alloc)
		memset(env.buf, 0, env.alloc);
	strbuf_release(&env);
	strbuf_release(&path);
	free(want);
	return nr;
}

/* Up to the last TAIL_MAX bytes of fd, starting at a line. */
static void read_tail(int fd, struct strbuf *buf)
{
	struct stat st;
	off_t from = 0;
	char *nl;
	size_t cut;

	if (!fstat(fd, &st) && st.st_size > TAIL_MAX)
		from = st.st_size - TAIL_MAX;
	strbuf_grow(buf, TAIL_MAX);
	while (buf->len < TAIL_MAX) {
		ssize_t n = pread(fd, buf->buf + buf->len, TAIL_MAX - buf->len,
				  from + (off_t)buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf->len += (size_t)n;
	}
	buf->buf[buf->len] = '\0';
	if (from > 0) {
		/* the first line was cut by the limit */
		nl = memchr(buf->buf, '\n', buf->len);
		if (!nl) {
			strbuf_reset(buf);
			return;
		}
		cut = (size_t)(nl + 1 - buf->buf);
		memmove(buf->buf, buf->buf + cut, buf->len - cut);
		strbuf_setlen(buf, buf->len - cut);
	}
}

void tail_file(const char *path, size_t lines, struct strbuf *out)
{
	struct strbuf buf = STRBUF_INIT;
	int fd;
	char *p, *start;

	if (!lines)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	read_tail(fd, &buf);
	close(fd);
	start = buf.buf;
	p = buf.buf + buf.len;
	/* a final newline ends the last line; it does not start another */
	if (p > start && p[-1] == '\n')
		p--;
	for (size_t seen = 0; p > start; p--)
		if (p[-1] == '\n' && ++seen == lines)
			break;
	strbuf_add(out, p, (size_t)(buf.buf + buf.len - p));
	strbuf_release(&buf);
}
