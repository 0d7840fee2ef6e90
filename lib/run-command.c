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
 * report means the exec succeeded. A detached start's middle child writes
 * one more report first, the program's pid, before it exits.
 */
#include "run-command.h"
#include "clock.h"
#include "fsutil.h"
#include "strbuf.h"
#include "strv.h"
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
#define IO_CHUNK 8192

/* What the child was doing when it failed; STEP_FORKED is no failure. */
enum child_step {
	STEP_FORKED = 1,
	STEP_STDIO,
	STEP_CHDIR,
	STEP_NETNS,
	STEP_UNSHARE,
	STEP_RSLAVE,
	STEP_BIND,
	STEP_SETSID,
	STEP_FORK,
	STEP_SETGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_PDEATHSIG,
	STEP_CGROUP,
	STEP_EXEC,
};

struct child_report {
	int step;
	int err;
	int index;   /* which bind mount, for STEP_BIND */
	pid_t pid;   /* the detached program, for STEP_FORKED */
};

/* Our ends of the child's stdin socket and output pipes, -1 once done with. */
struct child_io {
	int in, out, err;
	char *data;             /* our copy of in_data; `off` of it is sent */
	size_t len, off;
	struct strbuf *out_buf, *err_buf;
	size_t max;
};

/* Everything the child needs, allocated before fork. */
struct child_plan {
	const struct child_process *cp;
	const char *prog;       /* cp->program or argv[0], for messages */
	char *path;             /* what to execve */
	char **envp;
	int in, out, err;       /* the child's stdin, stdout, stderr; -1: /dev/null */
	char *ns_path;          /* /run/netns/NAME, or NULL */
	char **bind_src;        /* /etc/netns/NAME/FILE ... */
	char **bind_dst;        /* /etc/FILE ... */
	size_t nr_bind;
	int cgroup;             /* the cgroup's cgroup.procs, or -1 */
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

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- finding programs ---- */

/* 1: an executable regular file; 0: a regular file we may not run; -1: neither. */
static int file_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return !access(path, X_OK);
}

static void push_dirs(struct strv *dirs, const char *const *list)
{
	for (; list && *list; list++)
		strv_push(dirs, *list);
}

/* The directories to look in, in order. */
static void search_dirs(struct strv *dirs, const struct program_search *s)
{
	const char *path = s && s->path ? s->path : getenv("PATH");

	push_dirs(dirs, s ? s->before : NULL);
	if (!s || !s->no_path) {
		for (const char *p = path ? path : DEFAULT_PATH; *p;) {
			const char *e = strchrnul(p, ':');

			if (*p == '/')
				strv_push_take(dirs, xstrndup(p, (size_t)(e - p)));
			p = *e ? e + 1 : e;
		}
	}
	push_dirs(dirs, s ? s->after : NULL);
}

char *find_program(const char *name, const struct program_search *s)
{
	struct strv dirs = STRV_INIT;
	char *found = NULL;
	int kind, denied = 0;

	if (strchr(name, '/')) {
		kind = file_kind(name);
		if (kind > 0)
			return xstrdup(name);
		errno = kind ? ENOENT : EACCES;
		return NULL;
	}
	search_dirs(&dirs, s);
	for (size_t i = 0; i < dirs.nr && !found; i++) {
		found = path_join(dirs.v[i], name);
		kind = file_kind(found);
		denied |= !kind;
		if (kind <= 0) {
			free(found);
			found = NULL;
		}
	}
	strv_clear(&dirs);
	if (!found)
		errno = denied ? EACCES : ENOENT;
	return found;
}

/* Where a search looked, for a message: "PATH, /usr/sbin or /bin". */
static void describe_search(struct strbuf *sb, const struct program_search *s)
{
	struct strv dirs = STRV_INIT;

	push_dirs(&dirs, s->before);
	if (!s->no_path)
		strv_push(&dirs, "PATH");
	push_dirs(&dirs, s->after);
	for (size_t i = 0; i < dirs.nr; i++)
		strbuf_addf(sb, "%s%s", !i ? "" : i + 1 < dirs.nr ? ", " : " or ", dirs.v[i]);
	strv_clear(&dirs);
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
 * What to execve, found before fork because the search allocates. A name
 * with a '/' goes as it is: exec says what is wrong with it, relative to
 * cp->dir.
 */
static int plan_path(struct child_plan *pl, const struct child_process *cp, struct strbuf *err)
{
	struct program_search s = cp->search;
	const char *prog = pl->prog;

	if (strchr(prog, '/')) {
		pl->path = xstrdup(prog);
		return 0;
	}
	if (!s.path && cp->env) {
		s.path = env_lookup(cp->env, "PATH");
		if (!s.path)
			s.path = DEFAULT_PATH;
	}
	pl->path = find_program(prog, &s);
	if (pl->path)
		return 0;
	if (errno == ENOENT && (s.before || s.after || s.no_path)) {
		strbuf_addf(err, "cannot run '%s': not found in ", prog);
		describe_search(err, &s);
	} else {
		strbuf_addf(err, "cannot run '%s': %s", prog, strerror(errno));
	}
	return -1;
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

/* What a detached child cannot have: nobody would be there to use it. */
static int check_detach(const struct child_process *cp, const char *prog, struct strbuf *err)
{
	if (!cp->detach || (!cp->in_data && !cp->out_buf && !cp->err_buf && !cp->pdeathsig))
		return 0;
	strbuf_addf(err, "cannot run '%s' detached with %s", prog,
		    cp->pdeathsig ? "a parent-death signal" : "pipes to us");
	return -1;
}

static int plan_child(struct child_plan *pl, const struct child_process *cp, struct strbuf *err)
{
	struct rlimit rl;

	pl->cp = cp;
	pl->prog = cp->program ? cp->program : cp->argv[0];
	pl->envp = cp->env ? (char **)cp->env : environ;
	pl->parent = getpid();
	pl->max_fd = 1 << 20;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)INT_MAX)
		pl->max_fd = (int)rl.rlim_cur;
	if (check_detach(cp, pl->prog, err) < 0 || plan_path(pl, cp, err) < 0)
		return -1;
	if (cp->netns && plan_netns(pl, cp->netns, err) < 0)
		return -1;
	if (cp->cgroup) {
		char *procs = path_join(cp->cgroup, "cgroup.procs");

		pl->cgroup = open(procs, O_WRONLY | O_CLOEXEC);
		free(procs);
		if (pl->cgroup < 0) {
			strbuf_addf(err, "cannot run '%s' in cgroup '%s': %s", pl->prog, cp->cgroup,
				    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The stdin socket and output pipes asked for: the child's ends into pl,
 * ours into a new cp->io. -1 with errno.
 */
static int plan_io(struct child_plan *pl, struct child_process *cp)
{
	struct child_io *io;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };

	pl->in = cp->in;
	pl->out = cp->out;
	if (!cp->in_data && !cp->out_buf && !cp->err_buf)
		goto done;
	if ((cp->in_data && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) ||
	    (cp->out_buf && pipe2(out, O_CLOEXEC) < 0) || (cp->err_buf && pipe2(err, O_CLOEXEC) < 0)) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			close_fd(&in[i]);
			close_fd(&out[i]);
			close_fd(&err[i]);
		}
		errno = e;
		return -1;
	}
	io = cp->io = xcalloc(1, sizeof(*io));
	io->in = in[0];
	io->out = out[0];
	io->err = err[0];
	if (cp->in_data) {
		io->data = xmalloc(cp->in_len + 1);
		memcpy(io->data, cp->in_data, cp->in_len);
		io->len = cp->in_len;
		pl->in = in[1];
	}
	io->out_buf = cp->out_buf;
	io->err_buf = cp->err_buf;
	io->max = cp->buf_max;
	if (cp->out_buf)
		pl->out = out[1];
	if (cp->err_buf) {
		pl->err = err[1];
		return 0;
	}
done:
	pl->err = pl->out;
	return 0;
}

/* Close the child's ends of the pipes: after the fork, or instead of it. */
static void plan_close_io(struct child_plan *pl, const struct child_process *cp)
{
	if (cp->in_data)
		close_fd(&pl->in);
	if (cp->out_buf)
		close_fd(&pl->out);
	if (cp->err_buf)
		close_fd(&pl->err);
}

static void plan_release(struct child_plan *pl)
{
	close_fd(&pl->cgroup);
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

static int child_fd(int fd, int flags)
{
	return above_stdio(fd >= 0 ? fd : open("/dev/null", flags | O_CLOEXEC));
}

static void child_stdio(const struct child_plan *pl)
{
	int in = child_fd(pl->in, O_RDONLY);
	int out = child_fd(pl->out, O_WRONLY);
	int err = pl->err == pl->out ? out : child_fd(pl->err, O_WRONLY);

	if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
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
	/* first: whatever it does from here on, and all it starts, is in there */
	if (pl->cgroup >= 0 && write(pl->cgroup, "0", 1) != 1)
		child_fail(pl, STEP_CGROUP, 0);
	child_stdio(pl);
	child_close_fds(pl);
	if (cp->dir && chdir(cp->dir) < 0)
		child_fail(pl, STEP_CHDIR, 0);
	if (pl->ns_path)
		child_netns(pl);
	if (cp->new_session && !cp->detach && setsid() < 0)
		child_fail(pl, STEP_SETSID, 0);
	if (cp->drop_privileges)
		child_privileges(pl);
	if (cp->pdeathsig)
		child_pdeathsig(pl);
	execve(pl->path, (char *const *)cp->argv, pl->envp);
	child_fail(pl, STEP_EXEC, 0);
}

/*
 * The middle child of a detached start: a new session, then the program
 * in a child of ours that is not its leader, and we exit so it is
 * re-parented. Until the fork we must not outlive our parent: an `up`
 * killed now must not leave a supervisor starting after its clean-up.
 * (The fork's child does not inherit the parent-death signal.)
 */
static void NORETURN child_detach(struct child_plan *pl)
{
	struct child_report r = { .step = STEP_FORKED };
	pid_t pid;

	if (prctl(PR_SET_PDEATHSIG, (unsigned long)SIGKILL) < 0)
		child_fail(pl, STEP_PDEATHSIG, 0);
	if (getppid() != pl->parent)
		_exit(127);
	if (setsid() < 0)
		child_fail(pl, STEP_SETSID, 0);
	pid = fork();
	if (pid < 0)
		child_fail(pl, STEP_FORK, 0);
	if (!pid)
		child_run(pl);
	r.pid = pid;
	while (write(pl->report, &r, sizeof(r)) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* ---- back in the parent ---- */

static void describe_failure(const struct child_plan *pl, const struct child_report *r,
			     struct strbuf *err)
{
	const struct child_process *cp = pl->cp;
	const char *prog = pl->prog, *why = strerror(r->err);

	switch (r->step) {
	case STEP_EXEC:
		strbuf_addf(err, "cannot run '%s': %s", prog, why);
		break;
	case STEP_FORK:
		strbuf_addf(err, "cannot run '%s': fork: %s", prog, why);
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
	case STEP_CGROUP:
		strbuf_addf(err, "cannot run '%s' in cgroup '%s': %s", prog, cp->cgroup, why);
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

/*
 * Read reports to the end of the pipe; the pid of a detached program
 * into cp->pid. 0 when the exec happened, else -1 with the failure in r.
 */
static int read_reports(int fd, struct child_process *cp, struct child_report *r)
{
	int n;

	while ((n = read_report(fd, r)) > 0 && r->step == STEP_FORKED)
		cp->pid = r->pid;
	return n ? -1 : 0;
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

static void io_free(struct child_process *cp)
{
	struct child_io *io = cp->io;

	if (!io)
		return;
	close_fd(&io->in);
	close_fd(&io->out);
	close_fd(&io->err);
	free(io->data);
	free(io);
	cp->io = NULL;
}

/*
 * Send what of the input the socket takes now; once all is sent, or the
 * child stopped reading (its stderr says why), close it: end of file.
 */
static void io_feed(struct child_io *io)
{
	while (io->off < io->len) {
		ssize_t n = send(io->in, io->data + io->off, io->len - io->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			io->off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			return;
		else
			break;
	}
	close_fd(&io->in);
}

/* Read what is there from *fd into buf (at most io->max kept); closes it at end of file. */
static int io_read(struct child_io *io, int *fd, struct strbuf *buf)
{
	char chunk[IO_CHUNK];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (!n) {
		close_fd(fd);
		return 0;
	}
	if (!io->max || buf->len < io->max)
		strbuf_add(buf, chunk, !io->max || io->max - buf->len > (size_t)n ?
			   (size_t)n : io->max - buf->len);
	return 0;
}

/*
 * Feed the input and collect the output at once, so that a child that
 * writes much before reading all its input cannot deadlock us, until all
 * is done (0), the deadline (1) or an error (-1 with errno).
 */
static int io_pump(struct child_io *io, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;

	while (io->in >= 0 || io->out >= 0 || io->err >= 0) {
		struct pollfd p[3] = { { .fd = io->in, .events = POLLOUT },
				       { .fd = io->out, .events = POLLIN },
				       { .fd = io->err, .events = POLLIN } };
		int n = poll(p, 3, ms_left(deadline, timeout_ms));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			return 1;
		if (p[0].revents)
			io_feed(io);
		if ((p[1].revents && io_read(io, &io->out, io->out_buf) < 0) ||
		    (p[2].revents && io_read(io, &io->err, io->err_buf) < 0))
			return -1;
	}
	return 0;
}

/* Fork and exec pl; cp->pid set (0 when the fork failed, errno then). */
static void fork_child(struct child_plan *pl, struct child_process *cp)
{
	sigset_t all, old;
	int e;

	/* no handler of ours may run in the child before it resets them */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	cp->pid = fork();
	if (!cp->pid) {
		if (cp->detach)
			child_detach(pl);
		child_run(pl);
	}
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (cp->pid < 0)
		cp->pid = 0;
	errno = e;
}

/*
 * After the fork: reap a detached start's middle child, then wait for the
 * exec. 0, or -1 with the failure described in err.
 */
static int await_exec(struct child_plan *pl, struct child_process *cp, int report,
		      struct strbuf *err)
{
	struct child_report rep;
	pid_t child = cp->pid;
	int status;
	char state;

	if (cp->detach) {
		reap(child, &status);
		cp->pid = 0;
	}
	if (read_reports(report, cp, &rep) < 0) {
		if (!cp->detach)
			reap(child, &status);
		cp->pid = 0;
		describe_failure(pl, &rep, err);
		return -1;
	}
	if (!cp->pid) {
		/* the middle child died before its fork: we are being killed */
		strbuf_addf(err, "cannot run '%s': its detaching child died", pl->prog);
		return -1;
	}
	/* ours and unreaped, it cannot be gone; zombie or not, the time is its own */
	cp->start_time = cp->detach ? proc_start_time(cp->pid) : stat_start_time(cp->pid, &state);
	return 0;
}

int start_command(struct child_process *cp, struct strbuf *err)
{
	struct child_plan pl = { .in = -1, .out = -1, .err = -1, .report = -1, .cgroup = -1 };
	int fds[2] = { -1, -1 }, ret = -1;

	cp->pid = 0;
	cp->start_time = 0;
	cp->io = NULL;
	if (!cp->argv || !cp->argv[0]) {
		strbuf_addstr(err, "no program to run");
		return -1;
	}
	if (plan_child(&pl, cp, err) < 0)
		goto out;
	if (plan_io(&pl, cp) < 0 || pipe2(fds, O_CLOEXEC) < 0) {
		strbuf_addf(err, "cannot run '%s': pipe: %s", pl.prog, strerror(errno));
		goto out;
	}
	pl.report = fds[1];
	fork_child(&pl, cp);
	close_fd(&fds[1]);
	if (!cp->pid) {
		strbuf_addf(err, "cannot run '%s': fork: %s", pl.prog, strerror(errno));
		goto out;
	}
	plan_close_io(&pl, cp);
	if (await_exec(&pl, cp, fds[0], err) < 0)
		goto out;
	if (cp->io && cp->io->in >= 0)
		io_feed(cp->io);
	ret = 0;
out:
	close_fd(&fds[0]);
	close_fd(&fds[1]);
	plan_close_io(&pl, cp);
	if (ret < 0)
		io_free(cp);
	plan_release(&pl);
	return ret;
}

/* A child we may wait for: started by us, not detached. */
static int waitable(const struct child_process *cp)
{
	if (cp->pid > 0 && !cp->detach)
		return 1;
	errno = ECHILD;
	return 0;
}

int finish_command(struct child_process *cp, int *status)
{
	int r, e;

	if (!waitable(cp))
		return -1;
	r = cp->io ? io_pump(cp->io, -1) : 0;
	e = errno;
	/* reaped even so: with our ends closed it gets end of file, or EPIPE */
	io_free(cp);
	if (reap(cp->pid, status) != cp->pid)
		return -1;
	errno = e;
	return r < 0 ? -1 : 0;
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
	long long deadline = clock_ms() + timeout_ms;
	int r;

	if (!waitable(cp))
		return -1;
	if (cp->io) {
		r = io_pump(cp->io, timeout_ms);
		if (r)
			return r;
		io_free(cp);
	}
	r = wait_exit(cp->pid, ms_left(deadline, timeout_ms));
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
	if (!waitable(cp) || cp->pid <= 1) {
		errno = ECHILD;
		return -1;
	}
	io_free(cp);
	kill(target, SIGTERM);
	/* before reaping it: the leader, unreaped, keeps the group id ours */
	if (wait_exit(cp->pid, grace_ms) != 1 || cp->new_session)
		kill(target, SIGKILL);
	return finish_command(cp, &status) < 0 ? -1 : status;
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
	int status, r;

	cp.argv = argv;
	cp.out_buf = out;
	cp.new_session = 1;   /* so a timeout kills whatever it started too */
	if (start_command(&cp, err) < 0)
		return -1;
	r = wait_command_timeout(&cp, timeout_ms, &status);
	if (!r)
		return capture_result(argv[0], status, err);
	stop_command(&cp, 0);
	if (r > 0)
		strbuf_addf(err, "'%s' timed out after %d ms", argv[0], timeout_ms);
	else
		strbuf_addf(err, "cannot wait for '%s': %s", argv[0], strerror(errno));
	return -1;
}

char **env_with(const char *const *set)
{
	struct strv env = STRV_INIT;

	for (char **e = environ; *e; e++) {
		size_t len = strcspn(*e, "=");
		const char *const *s = set;

		while (*s && (strncmp(*s, *e, len) || (*s)[len] != '='))
			s++;
		if (!*s)
			strv_push(&env, *e);
	}
	for (const char *const *s = set; *s; s++)
		strv_push(&env, *s);
	return strv_detach(&env);
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

int proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp)
{
	char path[64];
	struct strbuf line = STRBUF_INIT;
	int pp = 0, pg = 0, ret = -1;
	char *rp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	/* "pid (comm) state ppid pgrp ...": comm may hold spaces, so read after the last ')' */
	if (pid > 0 && strbuf_read_file(&line, path, 4096) == 0 && (rp = strrchr(line.buf, ')')) &&
	    sscanf(rp + 1, " %c %d %d", state, &pp, &pg) == 3) {
		*ppid = (pid_t)pp;
		*pgrp = (pid_t)pg;
		ret = 0;
	}
	strbuf_release(&line);
	return ret;
}

static pid_t parse_pid(const char *s);

int proc_group_alive(pid_t pgid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int alive = 0;

	while (!alive && d && (de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name), ppid, pgrp;
		char state;

		if (pid > 0 && proc_stat(pid, &state, &ppid, &pgrp) == 0)
			alive = pgrp == pgid && state != 'Z' && state != 'X';
	}
	if (d)
		closedir(d);
	return alive;
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

char *proc_getenv(pid_t pid, const char *name)
{
	struct strbuf path = STRBUF_INIT, env = STRBUF_INIT;
	size_t len = strlen(name);
	char *value = NULL;

	strbuf_addf(&path, "/proc/%ld/environ", (long)pid);
	if (strbuf_read_file(&env, path.buf, ENVIRON_MAX) == 0)
		for (const char *p = env.buf; !value && p < env.buf + env.len; p += strlen(p) + 1)
			if (!strncmp(p, name, len) && p[len] == '=')
				value = xstrdup(p + len + 1);
	/* other processes' environments hold their secrets */
	if (env.alloc)
		memset(env.buf, 0, env.alloc);
	strbuf_release(&env);
	strbuf_release(&path);
	return value;
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
