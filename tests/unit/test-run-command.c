/*
 * Unit tests for lib/run-command: starting, waiting for and stopping
 * children, errors from the child's set-up, process identity, the
 * environment-marker search, capture with a timeout, fd hygiene, the
 * parent-death signal, network namespaces and dropped privileges (these
 * two only as root), and tail_file.
 *
 * We make ourselves a child subreaper, so grandchildren orphaned by a test
 * come to us and are reaped at the end: nothing is left behind.
 */
#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "strbuf.h"
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
	test_netns();
	test_drop_privileges();
	test_tail();
	test_threads();
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	tap_ok(rm_rf(tmpdir) == 0, "the temporary directory is removed");
	return tap_done();
}
