/*
 * Unit tests for lib/run-command: starting, waiting for and stopping
 * children, errors from the child's set-up, process identity, the
 * environment-marker search, capture with a timeout, fd hygiene, the
 * parent-death signal, network namespaces and dropped privileges (these
 * two only as root), input fed from memory and output collected into it
 * (stdout and stderr together or apart), the program search, the
 * detached start, env_with, tail_file, what is left of a process group,
 * another process's environment, and cgroups (lib/cgroup.h, as root).
 *
 * We make ourselves a child subreaper, so grandchildren orphaned by a test
 * come to us and are reaped at the end: nothing is left behind.
 */
#include "cgroup.h"
#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "RCTEST_MARK"

static char *tmpdir;

static char *tmp_path(const char *name)
{
	return path_join(tmpdir, name);
}

/* A marker value unique to this run and this test. */
static char *marker(const char *what)
{
	return xasprintf("%ld-%s", (long)getpid(), what);
}

static size_t count_marked(const char *value)
{
	pid_t *pids = NULL;
	size_t nr = proc_find_by_env(MARK, value, &pids);

	free(pids);
	return nr;
}

/* Wait up to ms for exactly `want` processes to carry the marker. */
static int wait_marked(const char *value, size_t want, int ms)
{
	long long deadline = clock_ms() + ms;

	while (count_marked(value) != want) {
		if (clock_ms() > deadline)
			return 0;
		sleep_ms(10);
	}
	return 1;
}

/* Field `field` (1-based, >= 3) of /proc/PID/stat, or -1. */
static long stat_field(pid_t pid, int field)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("/proc/%ld/stat", (long)pid), *p;
	long v = -1;

	if (strbuf_read_file(&sb, path, 4096) == 0 && (p = strrchr(sb.buf, ')'))) {
		p += 2;
		for (int f = 3; f < field && p; f++)
			if ((p = strchr(p, ' ')))
				p++;
		if (p)
			v = strtol(p, NULL, 10);
	}
	strbuf_release(&sb);
	free(path);
	return v;
}

/*
 * Run cp with its output in a file, wait, and read the output into out.
 * Returns the wait status, or -1 (err says why).
 */
static int run_to_string(struct child_process *cp, struct strbuf *out, struct strbuf *err)
{
	char *path = tmp_path("run.out");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), status = -1;

	cp->out = fd;
	if (start_command(cp, err) == 0 && finish_command(cp, &status) == 0)
		strbuf_read_file(out, path, 1 << 20);
	else
		status = -1;
	close(fd);
	unlink(path);
	free(path);
	return status;
}

static void test_basic(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *argv[] = { "/bin/sh", "-c", "echo hi; echo oops >&2; exit 3", NULL };
	char *path = tmp_path("basic.out");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), status = -1;

	cp.argv = argv;
	cp.out = fd;
	tap_ok(start_command(&cp, &err) == 0, "start_command runs /bin/sh");
	tap_ok(cp.pid > 0 && cp.start_time > 0, "it sets the pid and the start time");
	tap_ok(finish_command(&cp, &status) == 0 && WIFEXITED(status), "finish_command reaps it");
	tap_is_int(WEXITSTATUS(status), 3, "the exit status is the program's");
	close(fd);
	strbuf_read_file(&out, path, 4096);
	tap_is_str(out.buf, "hi\noops\n", "stdout and stderr both went to cp.out");
	unlink(path);
	free(path);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void expect_failure(const char **argv, const char *dir, const char *want, const char *what)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	int r;

	cp.argv = argv;
	cp.dir = dir;
	r = start_command(&cp, &err);
	tap_ok(r == -1 && cp.pid == 0, "%s: start_command fails", what);
	tap_is_str(err.buf, want, "%s: the message names it", what);
	strbuf_release(&err);
}

static void test_failures(void)
{
	char *name = xasprintf("obsd-missing-%ld", (long)getpid());
	char *want = xasprintf("cannot run '%s': No such file or directory", name);
	char *script = tmp_path("not-executable");
	char *want2 = xasprintf("cannot run '%s': Permission denied", script);
	const char *argv[] = { name, NULL };
	const char *argv2[] = { script, NULL };
	const char *argv3[] = { "true", NULL };

	expect_failure(argv, NULL, want, "a program not in PATH");
	write_file(script, "#!/bin/sh\n", 10, 0644);
	expect_failure(argv2, NULL, want2, "a program without execute permission");
	expect_failure(argv3, "/nonexistent-rctest",
		       "cannot run 'true' in '/nonexistent-rctest': No such file or directory",
		       "a directory that does not exist");
	unlink(script);
	free(script);
	free(want2);
	free(want);
	free(name);
}

static void test_missing_netns(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	char *ns = xasprintf("rctest-none-%ld", (long)getpid());
	char *want = xasprintf("cannot enter network namespace '%s': No such file or directory", ns);
	const char *argv[] = { "true", NULL };

	cp.argv = argv;
	cp.netns = ns;
	tap_ok(start_command(&cp, &err) == -1, "a network namespace that does not exist fails");
	tap_is_str(err.buf, want, "and the message names the namespace");
	strbuf_reset(&err);
	cp.netns = "../x";
	tap_ok(start_command(&cp, &err) == -1 && strstr(err.buf, "invalid network namespace name"),
	       "a namespace name holding '/' is refused");
	strbuf_release(&err);
	free(want);
	free(ns);
}

static void test_dir_and_env(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *pwd[] = { "/bin/sh", "-c", "pwd -P", NULL };
	const char *env_argv[] = { "env", NULL };
	const char *env[] = { "RC_A=1", "PATH=/usr/bin:/bin", NULL };
	char real[PATH_MAX];

	cp.argv = pwd;
	cp.dir = tmpdir;
	tap_ok(run_to_string(&cp, &out, &err) == 0, "pwd runs in cp.dir");
	strbuf_rtrim(&out);
	tap_is_str(out.buf, realpath(tmpdir, real) ? real : "?", "cp.dir is its working directory");

	strbuf_reset(&out);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = env_argv;
	cp.env = env;
	tap_ok(run_to_string(&cp, &out, &err) == 0, "env runs, found in cp.env's PATH");
	tap_is_str(out.buf, "RC_A=1\nPATH=/usr/bin:/bin\n", "cp.env replaces the environment");
	strbuf_release(&out);
	strbuf_release(&err);
}

static void test_session(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	const char *argv[] = { "sleep", "60", NULL };

	cp.argv = argv;
	cp.new_session = 1;
	if (!tap_ok(start_command(&cp, &err) == 0, "sleep starts in a new session")) {
		tap_diag("%s", err.buf);
		return;
	}
	tap_is_int(stat_field(cp.pid, 5), cp.pid, "with new_session its pgid is its pid");
	tap_is_int(stat_field(cp.pid, 6), cp.pid, "and it leads its session");
	stop_command(&cp, 1000);

	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = argv;
	start_command(&cp, &err);
	tap_is_int(stat_field(cp.pid, 5), getpgrp(), "without it, it stays in our group");
	stop_command(&cp, 1000);
	strbuf_release(&err);
}

/*
 * Start argv in a new session with the environment { assignment, PATH }:
 * the assignment marks it (MARK=value) for proc_find_by_env().
 */
static int start_env(struct child_process *cp, const char **argv, const char *assignment)
{
	const char *env[] = { assignment, "PATH=/usr/bin:/bin", NULL };
	struct strbuf err = STRBUF_INIT;
	int r;

	*cp = (struct child_process)CHILD_PROCESS_INIT;
	cp->argv = argv;
	cp->env = env;
	cp->new_session = 1;
	r = start_command(cp, &err);
	cp->env = NULL;   /* only needed until the exec */
	if (r < 0)
		tap_diag("%s", err.buf);
	strbuf_release(&err);
	return r;
}

static void test_stop_group(void)
{
	struct child_process cp;
	/* "; true" keeps the shell from exec'ing the last sleep */
	const char *argv[] = { "sh", "-c", "sleep 60 & sleep 60; true", NULL };
	const char *stubborn[] = { "sh", "-c", "trap '' TERM; sleep 60; true", NULL };
	char *mark = marker("group"), *env = xasprintf("%s=%s", MARK, mark);
	long long t0;
	int status;

	start_env(&cp, argv, env);
	tap_ok(wait_marked(mark, 3, 5000), "the shell and both sleeps run");
	status = stop_command(&cp, 2000);
	tap_ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	       "stop_command ends the leader with SIGTERM");
	tap_ok(wait_marked(mark, 0, 2000), "neither sleep exists afterwards, nor the grandchild");

	start_env(&cp, stubborn, env);
	tap_ok(wait_marked(mark, 2, 5000), "a shell ignoring SIGTERM runs its sleep");
	t0 = clock_ms();
	status = stop_command(&cp, 300);
	tap_ok(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
	       clock_ms() - t0 >= 290, "after the grace period stop_command uses SIGKILL");
	tap_ok(wait_marked(mark, 0, 2000), "and its group is gone");
	free(env);
	free(mark);
}

static void test_wait_timeout(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	const char *argv[] = { "sleep", "0.4", NULL };
	int status = -1;
	long long t0;

	cp.argv = argv;
	start_command(&cp, &err);
	t0 = clock_ms();
	tap_is_int(wait_command_timeout(&cp, 100, &status), 1, "wait_command_timeout times out");
	tap_ok(clock_ms() - t0 >= 90 && clock_ms() - t0 < 350, "after about the time asked");
	tap_is_int(wait_command_timeout(&cp, 5000, &status), 0, "then sees it exit");
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "with its status");
	tap_ok(clock_ms() - t0 < 2000, "as soon as it exits, not at the timeout");
	strbuf_release(&err);
}

static void test_identity(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	const char *argv[] = { "sleep", "60", NULL };
	unsigned long long st;
	int status = 0;

	cp.argv = argv;
	cp.new_session = 1;
	start_command(&cp, &err);
	st = cp.start_time;
	tap_ok(st && proc_start_time(cp.pid) == st, "proc_start_time matches start_command's");
	tap_is_int(proc_alive(cp.pid, st), 1, "proc_alive with the right start time");
	tap_is_int(proc_alive(cp.pid, st + 1), 0, "not alive with another start time (pid reused)");
	tap_is_int(proc_kill_group(cp.pid, st + 1, SIGKILL), 0,
		   "proc_kill_group does nothing when the leader is another process");
	tap_is_int(proc_alive(cp.pid, st), 1, "and it still runs");
	tap_is_int(proc_kill_group(cp.pid, st, SIGTERM), 1, "with the right leader it signals");
	/* wait for it to be a zombie, without reaping it */
	for (int i = 0; i < 200 && proc_start_time(cp.pid); i++)
		sleep_ms(10);
	tap_ok(proc_start_time(cp.pid) == 0 && !proc_alive(cp.pid, st),
	       "an unreaped zombie is not alive");
	finish_command(&cp, &status);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "it got proc_kill_group's signal");
	tap_is_int(proc_alive(cp.pid, st), 0, "after reaping it is not alive");
	tap_is_int(proc_alive(getpid(), proc_start_time(getpid())), 1, "we are alive");
	tap_is_int(proc_kill_group(0, 0, SIGKILL), 0, "proc_kill_group refuses group 0");
	strbuf_release(&err);
}

static void test_find_by_env(void)
{
	struct child_process a, b, c;
	const char *argv[] = { "sleep", "60", NULL };
	char *mark = marker("find");
	char *ea = xasprintf("%s=%s", MARK, mark);
	char *eb = xasprintf("%s=%sx", MARK, mark);     /* a longer value */
	char *ec = xasprintf("X_%s=%s", MARK, mark);    /* a longer name */
	pid_t *pids = NULL;
	size_t nr;

	start_env(&a, argv, ea);
	start_env(&b, argv, eb);
	start_env(&c, argv, ec);
	nr = proc_find_by_env(MARK, mark, &pids);
	tap_ok(nr == 1 && pids[0] == a.pid, "proc_find_by_env finds exactly the marked child");
	free(pids);
	nr = proc_find_by_env(MARK, eb + strlen(MARK) + 1, &pids);
	tap_ok(nr == 1 && pids[0] == b.pid, "and the one with the longer value by that value");
	free(pids);
	nr = proc_find_by_env(MARK, "no-such-value-rctest", &pids);
	tap_ok(nr == 0 && pids == NULL, "nothing for a value nobody has");
	stop_command(&a, 1000);
	stop_command(&b, 1000);
	stop_command(&c, 1000);
	tap_ok(wait_marked(mark, 0, 2000), "and nothing once it is stopped");
	free(ea);
	free(eb);
	free(ec);
	free(mark);
}

static void test_capture(void)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *both[] = { "sh", "-c", "echo out; echo err >&2; exit 7", NULL };
	const char *slow[] = { "sh", "-c", "sleep 5 & sleep 5; true", NULL };
	const char *killed[] = { "sh", "-c", "kill -KILL $$", NULL };
	const char *missing[] = { "rctest-missing-program", NULL };
	char *mark = marker("capture");
	long long t0;

	tap_is_int(run_command_capture(both, &out, 5000, &err), 7, "capture returns the exit code");
	tap_is_str(out.buf, "out\nerr\n", "and captures stdout and stderr");
	strbuf_reset(&out);

	/* the marker in our environment marks the children; the search skips us */
	setenv(MARK, mark, 1);
	t0 = clock_ms();
	tap_is_int(run_command_capture(slow, &out, 200, &err), -1, "a slow command times out");
	unsetenv(MARK);
	tap_ok(clock_ms() - t0 < 2000, "at about the timeout");
	tap_ok(strstr(err.buf, "'sh' timed out after 200 ms") != NULL, "saying so: %s", err.buf);
	tap_ok(wait_marked(mark, 0, 2000), "and its whole group was killed");
	strbuf_reset(&err);

	tap_is_int(run_command_capture(killed, &out, 5000, &err), -1, "a killed command is -1");
	tap_ok(strstr(err.buf, "killed by signal 9") != NULL, "naming the signal: %s", err.buf);
	strbuf_reset(&err);
	tap_is_int(run_command_capture(missing, &out, 5000, &err), -1, "a missing program is -1");
	tap_is_str(err.buf, "cannot run 'rctest-missing-program': No such file or directory",
		   "with start_command's message");
	strbuf_release(&out);
	strbuf_release(&err);
	free(mark);
}

static void test_fds(void)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "ls", "/proc/self/fd", NULL };
	int fd = open("/dev/null", O_RDONLY), ok = 1, seen = 0;

	/* an fd without FD_CLOEXEC, well above 3 */
	dup2(fd, 50);
	tap_is_int(run_command_capture(argv, &out, 5000, &err), 0, "ls /proc/self/fd runs");
	for (char *l = strtok(out.buf, "\n"); l; l = strtok(NULL, "\n")) {
		int n = atoi(l);

		if (n < 0 || n > 3)
			ok = 0;
		seen |= 1 << (n & 15);
	}
	tap_ok(ok && (seen & 7) == 7, "only 0, 1, 2 and ls's own fd are open in the child");
	close(50);
	close(fd);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Fork a helper that starts a marked sleep and exits at once; 1 if it did. */
static int orphan_sleep(const char *mark, int pdeathsig)
{
	pid_t helper = fork();
	int status = -1;

	if (!helper) {
		struct child_process cp = CHILD_PROCESS_INIT;
		struct strbuf err = STRBUF_INIT;
		const char *argv[] = { "sleep", "60", NULL };
		char *env = xasprintf("%s=%s", MARK, mark);
		const char *envp[] = { env, "PATH=/usr/bin:/bin", NULL };

		cp.argv = argv;
		cp.env = envp;
		cp.pdeathsig = pdeathsig;
		_exit(start_command(&cp, &err) == 0 ? 0 : 1);
	}
	waitpid(helper, &status, 0);
	return helper > 0 && WIFEXITED(status) && !WEXITSTATUS(status);
}

static void test_pdeathsig(void)
{
	char *mark = marker("pdeath");
	pid_t *pids = NULL;
	size_t nr;

	tap_ok(orphan_sleep(mark, 0), "a helper starts a sleep and exits");
	sleep_ms(200);
	tap_is_int((intmax_t)count_marked(mark), 1, "without pdeathsig the sleep outlives it");
	nr = proc_find_by_env(MARK, mark, &pids);
	for (size_t i = 0; i < nr; i++)
		kill(pids[i], SIGKILL);
	free(pids);
	tap_ok(wait_marked(mark, 0, 2000), "(and is killed by the test)");

	tap_ok(orphan_sleep(mark, SIGKILL), "a helper starts a sleep with pdeathsig and exits");
	tap_ok(wait_marked(mark, 0, 2000), "with pdeathsig the sleep dies with its parent");
	free(mark);
}

/* ---- input and output through memory ---- */

/* Run cp to its end; its output was collected into cp's buffers. The wait status, or -1. */
static int run_collect(struct child_process *cp)
{
	struct strbuf err = STRBUF_INIT;
	int status = -1;

	if (start_command(cp, &err) < 0 || finish_command(cp, &status) < 0) {
		tap_diag("%s: %s", cp->argv[0], err.len ? err.buf : strerror(errno));
		status = -1;
	}
	strbuf_release(&err);
	return status;
}

static void test_stdin_data(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT, big = STRBUF_INIT;
	const char *cat[] = { "cat", NULL };
	const char *wc[] = { "wc", "-c", NULL };
	const char *ignore[] = { "true", NULL };

	cp.argv = cat;
	cp.in_data = "hello\nworld\n";
	cp.in_len = 12;
	cp.out_buf = &out;
	tap_ok(run_collect(&cp) == 0 && cp.io == NULL, "cat runs with in_data and out_buf");
	tap_is_str(out.buf, "hello\nworld\n", "its stdin was in_data, its stdout is in out_buf");

	/* far more than a socket and a pipe hold: both must flow at once */
	for (int i = 0; i < 100000; i++)
		strbuf_addf(&big, "line %d\n", i);
	strbuf_reset(&out);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = cat;
	cp.in_data = big.buf;
	cp.in_len = big.len;
	cp.out_buf = &out;
	tap_ok(run_collect(&cp) == 0 && out.len == big.len && !memcmp(out.buf, big.buf, big.len),
	       "%zu bytes go through cat and back without a deadlock", big.len);

	strbuf_reset(&out);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = wc;
	cp.in_data = "";
	cp.out_buf = &out;
	tap_ok(run_collect(&cp) == 0 && atoi(out.buf) == 0, "empty in_data: end of file at once");

	/* SIGPIPE is not ignored here: it would end this test */
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = ignore;
	cp.in_data = big.buf;
	cp.in_len = big.len;
	tap_ok(run_collect(&cp) == 0, "a child that reads none of its input costs us no SIGPIPE");
	strbuf_release(&out);
	strbuf_release(&big);
}

static void test_separate_stderr(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT, errout = STRBUF_INIT;
	const char *both[] = { "sh", "-c", "echo out; echo err >&2; echo out2; exit 2", NULL };
	const char *lots[] = { "sh", "-c", "yes | head -c 100000; yes e | head -c 50000 >&2", NULL };
	int status;

	cp.argv = both;
	cp.out_buf = &out;
	cp.err_buf = &errout;
	status = run_collect(&cp);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 2, "its exit status comes back");
	tap_is_str(out.buf, "out\nout2\n", "out_buf holds stdout alone");
	tap_is_str(errout.buf, "err\n", "err_buf holds stderr alone");

	strbuf_reset(&out);
	strbuf_reset(&errout);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = both;
	cp.err_buf = &errout;
	run_collect(&cp);
	tap_is_str(errout.buf, "err\n", "err_buf without out_buf: stderr collected, stdout dropped");

	strbuf_reset(&errout);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = lots;
	cp.out_buf = &out;
	cp.err_buf = &errout;
	cp.buf_max = 1000;
	tap_ok(run_collect(&cp) == 0 && out.len == 1000 && errout.len == 1000,
	       "buf_max keeps 1000 bytes of each, and the rest is read: no writer blocks");
	strbuf_release(&out);
	strbuf_release(&errout);
}

static void test_wait_collecting(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "sh", "-c", "echo a; sleep 0.3; echo b", NULL };
	const char *hang[] = { "sh", "-c", "echo a; exec sleep 60", NULL };
	int status = -1;

	cp.argv = argv;
	cp.out_buf = &out;
	start_command(&cp, &err);
	tap_is_int(wait_command_timeout(&cp, 100, &status), 1, "collecting, wait_command_timeout times out");
	tap_is_str(out.buf, "a\n", "with what was written so far");
	tap_is_int(wait_command_timeout(&cp, 5000, &status), 0, "then sees it exit");
	tap_is_str(out.buf, "a\nb\n", "with all of it");

	strbuf_reset(&out);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = hang;
	cp.out_buf = &out;
	start_command(&cp, &err);
	wait_command_timeout(&cp, 100, &status);
	status = stop_command(&cp, 1000);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM && cp.io == NULL,
	       "stop_command stops a collecting child and frees its pipes");
	tap_is_str(out.buf, "a\n", "what it wrote before stays");
	strbuf_release(&out);
	strbuf_release(&err);
}

/* ---- the program search ---- */

/* dir/rctest-prog: a script that prints `says`, with mode. */
static char *make_prog(const char *dir, const char *says, mode_t mode)
{
	char *path = path_join(dir, "rctest-prog");
	char *text = xasprintf("#!/bin/sh\necho %s\n", says);

	mkdir_p(dir, 0755);
	write_file(path, text, strlen(text), mode);
	free(text);
	return path;
}

/* Run argv with cp's search; its stdout, or "error: MESSAGE". */
static void run_searched(const char **argv, const struct program_search *s, struct strbuf *out)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;

	strbuf_reset(out);
	cp.argv = argv;
	cp.search = *s;
	cp.out_buf = out;
	if (start_command(&cp, &err) < 0)
		strbuf_addf(out, "error: %s", err.buf);
	else
		finish_command(&cp, &(int){ 0 });
	strbuf_release(&err);
}

static void test_find_program(void)
{
	char *d1 = tmp_path("d1"), *d2 = tmp_path("d2"), *dx = tmp_path("dx"), *dd = tmp_path("dd");
	char *p1 = make_prog(d1, "d1", 0755), *p2 = make_prog(d2, "d2", 0755);
	char *px = make_prog(dx, "dx", 0644), *sub = path_join(dd, "rctest-prog");
	const char *b1[] = { d1, NULL }, *a2[] = { d2, NULL }, *bx[] = { dx, NULL };
	const char *bdd[] = { dd, NULL };
	const char *argv[] = { "rctest-prog", NULL };
	struct strbuf out = STRBUF_INIT;
	char *f, *path = xasprintf("%s:%s", d2, d1), *want;
	char cwd[PATH_MAX];

	mkdir_p(sub, 0755);
	f = find_program("rctest-prog", &(struct program_search){ .before = b1, .after = a2 });
	tap_is_str(f ? f : "(null)", p1, "find_program: before comes first");
	free(f);
	f = find_program("rctest-prog", &(struct program_search){ .after = a2 });
	tap_is_str(f ? f : "(null)", p2, "find_program: after, when PATH has none");
	free(f);
	f = find_program("rctest-prog", &(struct program_search){ .path = path, .after = b1 });
	tap_is_str(f ? f : "(null)", p2, "find_program: the PATH given, in its order, before after");
	free(f);
	f = find_program("rctest-prog", &(struct program_search){ .before = bx, .after = a2 });
	tap_is_str(f ? f : "(null)", p2, "find_program: a file without execute permission is passed over");
	free(f);
	f = find_program("rctest-prog", &(struct program_search){ .before = bdd, .after = a2 });
	tap_is_str(f ? f : "(null)", p2, "find_program: so is a directory of that name");
	free(f);
	errno = 0;
	f = find_program("rctest-prog", &(struct program_search){ .before = bx, .no_path = 1 });
	tap_ok(!f && errno == EACCES, "find_program: only one we may not run: NULL, EACCES");
	errno = 0;
	f = find_program("rctest-prog", &(struct program_search){ .no_path = 1 });
	tap_ok(!f && errno == ENOENT, "find_program: nowhere to look: NULL, ENOENT");
	f = find_program("rctest-no-such-program", NULL);
	tap_ok(!f && errno == ENOENT, "find_program: not in PATH: NULL, ENOENT");
	f = find_program(p1, NULL);
	tap_is_str(f ? f : "(null)", p1, "find_program: a path is taken as it is");
	free(f);
	tap_ok(!find_program(px, NULL) && errno == EACCES, "find_program: unless it cannot run");
	f = find_program("sh", NULL);
	tap_ok(f && f[0] == '/', "find_program: sh, from our PATH: %s", f ? f : "(null)");
	free(f);

	/* relative and empty PATH entries are not the current directory */
	if (getcwd(cwd, sizeof(cwd)) && chdir(d1) == 0) {
		f = find_program("rctest-prog", &(struct program_search){ .path = ":.:d1" });
		tap_ok(!f, "find_program: relative and empty PATH entries are skipped");
		free(f);
		if (chdir(cwd) < 0)
			tap_diag("cannot return to '%s'", cwd);
	}

	run_searched(argv, &(struct program_search){ .before = b1, .after = a2 }, &out);
	tap_is_str(out.buf, "d1\n", "start_command searches cp->search: before");
	run_searched(argv, &(struct program_search){ .after = a2 }, &out);
	tap_is_str(out.buf, "d2\n", "start_command searches cp->search: after PATH");
	run_searched(argv, &(struct program_search){ .before = bx, .after = bdd }, &out);
	want = xasprintf("error: cannot run 'rctest-prog': Permission denied");
	tap_is_str(out.buf, want, "only a file it may not run: the error says so");
	free(want);
	want = xasprintf("error: cannot run 'rctest-prog': not found in %s, PATH or %s", dd, dd);
	run_searched(argv, &(struct program_search){ .before = bdd, .after = bdd }, &out);
	tap_is_str(out.buf, want, "not found: the error says where it looked");
	free(want);
	strbuf_release(&out);
	free(path);
	free(sub);
	free(px);
	free(p2);
	free(p1);
	free(dd);
	free(dx);
	free(d2);
	free(d1);
}

static void test_program(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT;
	const char *argv[] = { "rctest-name", "/proc/self/cmdline", NULL };

	cp.argv = argv;
	cp.program = "cat";
	cp.out_buf = &out;
	tap_ok(run_collect(&cp) == 0, "cp.program runs, searched in PATH");
	tap_ok(out.len == 31 && !memcmp(out.buf, "rctest-name\0/proc/self/cmdline", 31),
	       "with argv[0] as given");
	strbuf_release(&out);
}

/* ---- detached ---- */

/* Start argv detached, marked, its output into the file out (or /dev/null). */
static int start_detached(struct child_process *cp, const char **argv, const char *mark,
			  const char *out, struct strbuf *err)
{
	char *env = xasprintf("%s=%s", MARK, mark);
	const char *envp[] = { env, "PATH=/usr/bin:/bin", NULL };
	int r;

	*cp = (struct child_process)CHILD_PROCESS_INIT;
	cp->argv = argv;
	cp->env = envp;
	cp->detach = 1;
	cp->out = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
	r = start_command(cp, err);
	if (cp->out >= 0)
		close(cp->out);
	free(env);
	return r;
}

/* Kill the marked processes, and reap them: they were re-parented to us. */
static void kill_marked(const char *mark)
{
	pid_t *pids = NULL;
	size_t nr = proc_find_by_env(MARK, mark, &pids);

	for (size_t i = 0; i < nr; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	free(pids);
}

static void test_detach(void)
{
	struct child_process cp;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *argv[] = { "sleep", "60", NULL };
	const char *echo[] = { "sh", "-c", "echo detached", NULL };
	char *mark = marker("detach"), *file = tmp_path("detached.out");
	pid_t sid;

	if (!tap_ok(start_detached(&cp, argv, mark, NULL, &err) == 0 && cp.pid > 0,
		    "a detached sleep starts")) {
		tap_diag("%s", err.buf);
		goto out;
	}
	/* at once, not eventually: start_command returned after the exec */
	tap_is_int((intmax_t)count_marked(mark), 1, "its environment is in place when start returns");
	tap_ok(proc_alive(cp.pid, cp.start_time), "it is alive, with its start time, after our wait");
	sid = (pid_t)stat_field(cp.pid, 6);
	tap_ok(sid > 0 && sid != getsid(0) && sid != cp.pid,
	       "in a session of its own, which it does not lead (no terminal can be its)");
	tap_ok(stat_field(cp.pid, 4) != sid && stat_field(cp.pid, 4) != 0,
	       "and its parent, the session's leader, is gone: it was re-parented");
	tap_ok(finish_command(&cp, &(int){ 0 }) == -1 && errno == ECHILD &&
	       stop_command(&cp, 0) == -1 && proc_alive(cp.pid, cp.start_time),
	       "it is not ours to wait for or stop");
	kill_marked(mark);

	start_detached(&cp, echo, mark, file, &err);
	for (int i = 0; i < 200 && !out.len; i++) {
		sleep_ms(10);
		strbuf_read_file(&out, file, 4096);
	}
	tap_is_str(out.buf, "detached\n", "its output goes to cp->out");

	strbuf_reset(&err);
	argv[0] = "/nonexistent-rctest/prog";
	tap_ok(start_detached(&cp, argv, mark, NULL, &err) == -1 && cp.pid == 0,
	       "a detached exec that fails fails start_command");
	tap_is_str(err.buf, "cannot run '/nonexistent-rctest/prog': No such file or directory",
		   "with the message from the pipe");
	argv[0] = "sleep";
	strbuf_reset(&err);
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = argv;
	cp.detach = 1;
	cp.out_buf = &out;
	tap_ok(start_command(&cp, &err) == -1 && strstr(err.buf, "detached with pipes to us"),
	       "detached with pipes is refused: %s", err.buf);
out:
	kill_marked(mark);
	strbuf_release(&out);
	strbuf_release(&err);
	free(file);
	free(mark);
}

/* A helper starts a marked, detached sleep and exits: the sleep stays. */
static void test_detach_outlives(void)
{
	char *mark = marker("outlive");
	pid_t helper = fork();
	int status = -1;

	if (!helper) {
		struct child_process cp;
		struct strbuf err = STRBUF_INIT;
		const char *argv[] = { "sleep", "60", NULL };

		_exit(start_detached(&cp, argv, mark, NULL, &err) == 0 ? 0 : 1);
	}
	waitpid(helper, &status, 0);
	tap_ok(WIFEXITED(status) && !WEXITSTATUS(status), "a helper starts a detached sleep and exits");
	sleep_ms(200);
	tap_is_int((intmax_t)count_marked(mark), 1, "the detached sleep outlives it");
	kill_marked(mark);
	free(mark);
}

static void test_env_with(void)
{
	const char *set[] = { "RCTEST_NEW=1", "RCTEST_OLD=new", NULL };
	char **env;
	int new = 0, old = 0, path = 0;

	setenv("RCTEST_OLD", "old", 1);
	env = env_with(set);
	for (char **e = env; *e; e++) {
		new += !strcmp(*e, "RCTEST_NEW=1");
		old += !strncmp(*e, "RCTEST_OLD=", 11) * (strcmp(*e, "RCTEST_OLD=new") ? 100 : 1);
		path += !strncmp(*e, "PATH=", 5) && !strcmp(*e + 5, getenv("PATH"));
	}
	tap_ok(new == 1 && old == 1 && path == 1,
	       "env_with: ours, a variable replaced, one added, each once");
	unsetenv("RCTEST_OLD");
	strv_free(env);
}

static int have_program(const char *name)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "sh", "-c", "command -v \"$0\"", name, NULL };
	int r = run_command_capture(argv, &out, 5000, &err);

	strbuf_release(&out);
	strbuf_release(&err);
	return r == 0;
}

static int run_in_netns(const char *ns, const char **argv, struct strbuf *out)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	int status;

	cp.argv = argv;
	cp.netns = ns;
	status = run_to_string(&cp, out, &err);
	if (status)
		tap_diag("%s: %s", argv[0], err.buf);
	strbuf_release(&err);
	return status;
}

static void netns_checks(const char *ns, const char *host)
{
	const char *cat[] = { "cat", "/etc/hosts", NULL };
	const char *link[] = { "ip", "-o", "link", NULL };
	const char *sys[] = { "ls", "/sys/class/net", NULL };
	struct strbuf out = STRBUF_INIT;

	tap_ok(run_in_netns(ns, cat, &out) == 0 && strstr(out.buf, host),
	       "in the namespace /etc/hosts is /etc/netns/NAME/hosts");
	strbuf_reset(&out);
	if (!tap_ok(run_in_netns(ns, link, &out) == 0 && !strncmp(out.buf, "1: lo:", 6) &&
		    strchr(out.buf, '\n') == out.buf + out.len - 1, "ip -o link there lists only lo"))
		tap_diag("%s", out.buf);
	strbuf_reset(&out);
	tap_ok(run_in_netns(ns, sys, &out) == 0 && !strcmp(out.buf, "lo\n"),
	       "/sys describes the namespace");
	strbuf_reset(&out);
	strbuf_read_file(&out, "/etc/hosts", 1 << 20);
	tap_ok(!strstr(out.buf, host), "the host's /etc/hosts is untouched");
	strbuf_release(&out);
}

static void test_netns(void)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *ns = xasprintf("rctest-%ld", (long)getpid());
	char *etc = xasprintf("/etc/netns/%s", ns), *hosts = path_join(etc, "hosts");
	char *host = xasprintf("rctest-host-%ld", (long)getpid());
	char *content = xasprintf("127.0.0.1 localhost\n10.9.8.7 %s\n", host);
	char *run = xasprintf("/run/netns/%s", ns);
	const char *add[] = { "ip", "netns", "add", ns, NULL };
	const char *del[] = { "ip", "netns", "delete", ns, NULL };
	int had_etc_netns = is_dir("/etc/netns");

	if (geteuid() != 0 || !have_program("ip")) {
		tap_skip(geteuid() ? "not root" : "no ip command", "network namespace tests");
		goto out;
	}
	if (!tap_ok(run_command_capture(add, &out, 10000, &err) == 0, "ip netns add %s", ns)) {
		tap_diag("%s%s", err.buf, out.buf);
		goto out;
	}
	if (mkdir_p(etc, 0755) < 0 || write_file(hosts, content, strlen(content), 0644) < 0)
		tap_diag("cannot write '%s': %s", hosts, strerror(errno));
	netns_checks(ns, host);
	tap_is_int(run_command_capture(del, &out, 10000, &err), 0, "ip netns delete %s", ns);
	rm_rf(etc);
	if (!had_etc_netns)
		rmdir("/etc/netns");   /* fails, as it should, if another test uses it now */
	tap_ok(access(run, F_OK) && access(etc, F_OK), "nothing is left of the namespace");
out:
	strbuf_release(&out);
	strbuf_release(&err);
	free(run);
	free(content);
	free(host);
	free(hosts);
	free(etc);
	free(ns);
}

static void test_drop_privileges(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	const char *argv[] = { "sh", "-c", "id -u; id -g; id -G", NULL };

	if (geteuid() != 0) {
		tap_skip("not root", "drop_privileges");
		return;
	}
	cp.argv = argv;
	cp.dir = "/";
	cp.drop_privileges = 1;
	cp.uid = 65534;
	cp.gid = 65534;
	tap_is_int(run_to_string(&cp, &out, &err), 0, "a child runs as nobody");
	tap_is_str(out.buf, "65534\n65534\n65534\n", "with nobody's uid, gid and no other groups");
	strbuf_release(&out);
	strbuf_release(&err);
}

static void check_tail(const char *content, size_t lines, const char *want, const char *what)
{
	char *path = tmp_path("tail.txt");
	struct strbuf out = STRBUF_INIT;

	unlink(path);
	write_file(path, content, strlen(content), 0644);
	tail_file(path, lines, &out);
	tap_is_str(out.buf, want, "tail_file: %s", what);
	unlink(path);
	strbuf_release(&out);
	free(path);
}

static void test_tail(void)
{
	struct strbuf big = STRBUF_INIT, out = STRBUF_INIT;
	char *path = tmp_path("big.txt");

	check_tail("l1\nl2\nl3\nl4\nl5\n", 2, "l4\nl5\n", "the last two lines");
	check_tail("l1\nl2\n", 10, "l1\nl2\n", "a short file whole");
	check_tail("a\nb", 1, "b", "a last line without a newline");
	check_tail("a\n\nb\n", 2, "\nb\n", "an empty line counts");
	check_tail("a\nb\n", 0, "", "no lines asked, none given");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&big, "line %d\n", i);
	write_file(path, big.buf, big.len, 0644);
	tail_file(path, 2, &out);
	tap_is_str(out.buf, "line 19998\nline 19999\n", "tail_file: the end of a large file");
	strbuf_reset(&out);
	tail_file(path, 100000, &out);
	tap_ok(out.len <= 64 * 1024 && !strncmp(out.buf, "line ", 5),
	       "tail_file: at most 64 KiB, starting at a whole line");
	strbuf_reset(&out);
	tail_file("/nonexistent-rctest", 5, &out);
	tap_is_str(out.buf, "", "tail_file: nothing from a missing file");
	unlink(path);
	free(path);
	strbuf_release(&big);
	strbuf_release(&out);
}

static void *capture_many(void *arg)
{
	const char *argv[] = { "echo", "t", NULL };
	int *ok = arg;

	for (int i = 0; i < 20; i++) {
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

		if (run_command_capture(argv, &out, 10000, &err) != 0 || strcmp(out.buf, "t\n"))
			*ok = 0;
		strbuf_release(&out);
		strbuf_release(&err);
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[4];
	int ok[4] = { 1, 1, 1, 1 };

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, capture_many, &ok[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	tap_ok(ok[0] && ok[1] && ok[2] && ok[3], "four threads run commands at once");
}

/* The members of a group outlive its leader; proc_group_alive sees them, not zombies. */
static void test_group_alive(void)
{
	struct child_process cp;
	const char *argv[] = { "sh", "-c", "sleep 60 & sleep 60; true", NULL };
	char *mark = marker("galive"), *env = xasprintf("%s=%s", MARK, mark);
	int alive = 1;

	if (start_env(&cp, argv, env) < 0)
		goto out;
	tap_ok(wait_marked(mark, 3, 5000), "a shell and two sleeps in a group of their own");
	kill(cp.pid, SIGKILL);
	tap_ok(proc_group_alive(cp.pid), "with its leader killed, the group still has members");
	kill(-cp.pid, SIGKILL);
	for (int i = 0; i < 200 && (alive = proc_group_alive(cp.pid)); i++)
		sleep_ms(10);
	tap_ok(!alive, "once they are killed it has none (zombies do not count)");
	finish_command(&cp, NULL);
out:
	free(env);
	free(mark);
}

static void test_getenv(void)
{
	struct child_process cp;
	const char *argv[] = { "sleep", "60", NULL };
	char *mark = marker("getenv"), *env = xasprintf("%s=%s", MARK, mark), *v;
	pid_t ppid = 0, pgrp = 0;
	char state = 0;

	if (start_env(&cp, argv, env) < 0)
		goto out;
	v = proc_getenv(cp.pid, MARK);
	tap_is_str(v ? v : "(null)", mark, "proc_getenv reads another process's variable");
	free(v);
	v = proc_getenv(cp.pid, "RCTEST_NOT_THERE");
	tap_ok(!v, "and NULL for one it does not have");
	free(v);
	tap_ok(proc_stat(cp.pid, &state, &ppid, &pgrp) == 0 && ppid == getpid() && pgrp == cp.pid,
	       "proc_stat: its parent is us, its group its own");
	stop_command(&cp, 1000);
	tap_ok(proc_stat(cp.pid, &state, &ppid, &pgrp) < 0, "proc_stat of a process that is gone fails");
out:
	free(env);
	free(mark);
}

static int lines_in(const char *dir, const char *file)
{
	char *path = path_join(dir, file);
	struct strbuf sb = STRBUF_INIT;
	int n = 0;

	if (strbuf_read_file(&sb, path, 65536) == 0)
		for (char *p = sb.buf; (p = strchr(p, '\n')); p++)
			n++;
	strbuf_release(&sb);
	free(path);
	return n;
}

static void test_cgroup(void)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	const char *argv[] = { "sh", "-c", "sleep 60 & sleep 60; true", NULL };
	char *mnt = cgroup2_mount(), *cg, *missing;
	int status;

	if (geteuid() != 0 || !mnt) {
		tap_skip(mnt ? "not root" : "no cgroup2 mount", "cgroups");
		free(mnt);
		return;
	}
	cg = xasprintf("%s/rctest-%ld", mnt, (long)getpid());
	missing = xasprintf("%s/missing", cg);
	tap_ok(cgroup_make(cg, &err) == 0 && is_dir(cg), "cgroup_make makes one");
	tap_is_int(cgroup_populated(cg), 0, "an empty cgroup is not populated");
	cp.argv = argv;
	cp.new_session = 1;
	cp.cgroup = cg;
	if (!tap_ok(start_command(&cp, &err) == 0, "a child starts in it")) {
		tap_diag("%s", err.buf);
		goto out;
	}
	for (int i = 0; i < 200 && lines_in(cg, "cgroup.procs") < 3; i++)
		sleep_ms(10);
	tap_is_int(lines_in(cg, "cgroup.procs"), 3, "it and all it started are in there");
	kill(cp.pid, SIGKILL);
	finish_command(&cp, &status);
	tap_is_int(cgroup_populated(cg), 1, "its children outlive it, still in the cgroup");
	tap_is_int(cgroup_kill_wait(cg, 2000), 0, "cgroup_kill_wait kills them and waits");
	tap_is_int(cgroup_populated(cg), 0, "nothing is left");
	cp = (struct child_process)CHILD_PROCESS_INIT;
	cp.argv = argv;
	cp.cgroup = missing;
	strbuf_reset(&err);
	status = start_command(&cp, &err);
	tap_ok(status < 0 && strstr(err.buf, "cannot run 'sh' in cgroup"),
	       "a cgroup that is not there is an error: %s", err.buf);
	tap_is_int(cgroup_kill(missing), 0, "killing in a cgroup that is not there is no error");
out:
	tap_ok(cgroup_remove(cg) == 0 && !is_dir(cg), "cgroup_remove removes it");
	strbuf_release(&err);
	free(missing);
	free(cg);
	free(mnt);
}

int main(void)
{
	char tmpl[] = "/tmp/test-run-command-XXXXXX";

	/* orphaned grandchildren come to us, so we can reap them at the end */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_basic();
	test_failures();
	test_missing_netns();
	test_dir_and_env();
	test_session();
	test_stop_group();
	test_wait_timeout();
	test_identity();
	test_find_by_env();
	test_capture();
	test_fds();
	test_pdeathsig();
	test_stdin_data();
	test_separate_stderr();
	test_wait_collecting();
	test_find_program();
	test_program();
	test_detach();
	test_detach_outlives();
	test_env_with();
	test_netns();
	test_drop_privileges();
	test_tail();
	test_threads();
	test_group_alive();
	test_getenv();
	test_cgroup();
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	tap_ok(rm_rf(tmpdir) == 0, "the temporary directory is removed");
	return tap_done();
}
