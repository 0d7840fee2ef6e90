/*
 * Unit tests for the parts of the local runtime that keep lifecycle
 * commands honest: gc's filters (rt-gc.h), the check that a directory to
 * remove is directly in its parent (rt_child_dir), the environment lock
 * when a `down` removes it under a waiter, a `down`'s announcement, and
 * state.json's account and "stopping" through the codec.
 */
#include "clock.h"
#include "fsutil.h"
#include "rt-env.h"
#include "rt-gc.h"
#include "rt-state.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *tmpdir;

static void state_with(struct rt_state *st, int64_t uid, const char *branch, const char *tier,
		       int64_t created)
{
	rt_state_init(st);
	st->uid = uid;
	st->branch = branch ? xstrdup(branch) : NULL;
	st->tier = xstrdup(tier);
	st->created = created;
}

static void test_filters(void)
{
	struct rt_gc_filter f = RT_GC_FILTER_INIT;
	struct strbuf err = STRBUF_INIT;
	struct rt_state a, b, c;
	int64_t now = 1800000000;
	char *name;

	state_with(&a, 0, "feature/login", "test", now - 7200);
	state_with(&b, 1000, "main", "nightly", now - 60);
	state_with(&c, 1000, NULL, "test", now - 86400);
	tap_ok(!rt_gc_filtered(&f), "no filter given: none is set");
	tap_ok(rt_gc_match(&f, &a, now) && rt_gc_match(&f, &c, now), "and every environment matches");
	tap_ok(rt_gc_set_owner(&f, "root", &err) == 0 && f.owner == 0, "--owner root is uid 0");
	tap_ok(rt_gc_match(&f, &a, now) && !rt_gc_match(&f, &b, now), "--owner picks whose it is");
	tap_ok(rt_gc_set_owner(&f, "1000", &err) == 0 && f.owner == 1000 &&
	       rt_gc_match(&f, &b, now) && !rt_gc_match(&f, &a, now), "--owner takes a uid too");
	tap_ok(rt_gc_set_owner(&f, "no-such-user-here", &err) < 0 &&
	       strstr(err.buf, "no user 'no-such-user-here'"), "an unknown user is an error");
	f = (struct rt_gc_filter)RT_GC_FILTER_INIT;
	f.branch = "feature/*";
	tap_ok(rt_gc_filtered(&f) && rt_gc_match(&f, &a, now) && !rt_gc_match(&f, &b, now),
	       "--branch is a glob");
	tap_ok(!rt_gc_match(&f, &c, now), "an environment without a branch matches no glob");
	f.branch = NULL;
	f.tier = "test";
	tap_ok(rt_gc_match(&f, &a, now) && !rt_gc_match(&f, &b, now), "--tier");
	f.tier = NULL;
	f.older_than_s = 3600;
	tap_ok(rt_gc_match(&f, &a, now) && !rt_gc_match(&f, &b, now) && rt_gc_match(&f, &c, now),
	       "--older-than");
	f.tier = "test";
	f.has_owner = 1;
	f.owner = 1000;
	tap_ok(rt_gc_match(&f, &c, now) && !rt_gc_match(&f, &a, now) && !rt_gc_match(&f, &b, now),
	       "filters given together must all match");
	name = rt_owner_name(0);
	tap_is_str(name, "root", "an owner is shown by name");
	free(name);
	name = rt_owner_name(2147000000);
	tap_is_str(name, "2147000000", "or by number when there is no such user");
	free(name);
	rt_state_release(&a);
	rt_state_release(&b);
	rt_state_release(&c);
	strbuf_release(&err);
}

static int child_dir(const char *parent, const char *path)
{
	struct strbuf err = STRBUF_INIT;
	int rc = rt_child_dir(parent, path, &err);

	if (rc < 0 && !err.len)
		rc = -2;   /* a refusal must say why */
	strbuf_release(&err);
	return rc;
}

static void test_child_dir(void)
{
	char *envs = path_join(tmpdir, "envs"), *one = path_join(envs, "one");
	char *deep = path_join(one, "deep"), *link = path_join(envs, "link");
	char *up = xasprintf("%s/..", one), *dot = xasprintf("%s/.", envs);
	char *empty = xasprintf("%s/", envs), *missing = path_join(envs, "missing");
	char *file = path_join(envs, "file");

	mkdir_p(deep, 0700);
	symlink(tmpdir, link);
	write_file(file, "", 0, 0600);
	tap_is_int(child_dir(envs, one), 1, "a directory in envs is one of its environments'");
	tap_is_int(child_dir(envs, missing), 0, "one that is not there is nothing to remove");
	tap_is_int(child_dir(envs, empty), -1, "envs itself (an empty name) is refused");
	tap_is_int(child_dir(envs, dot), -1, "so is envs/.");
	tap_is_int(child_dir(envs, up), -1, "and a path that resolves to envs");
	tap_is_int(child_dir(envs, deep), -1, "and one further down");
	tap_is_int(child_dir(envs, link), -1, "and a symbolic link, wherever it points");
	tap_is_int(child_dir(envs, file), -1, "and a file");
	tap_is_int(child_dir(envs, tmpdir), -1, "and the parent's parent");
	free(envs);
	free(one);
	free(deep);
	free(link);
	free(up);
	free(dot);
	free(empty);
	free(missing);
	free(file);
}

/* A `down` removes the directory, lock and all, while we wait for the lock: we get a new one. */
static void test_lock_removed(void)
{
	char *envdir = path_join(tmpdir, "envs/locked"), *lock = path_join(envdir, "lock");
	struct strbuf err = STRBUF_INIT;
	struct stat a, b;
	pid_t pid;
	int fd, status = -1;

	fd = rt_lock(envdir, "test", 0, &err);
	tap_ok(fd >= 0, "the lock is taken");
	pid = fork();
	if (pid == 0) {
		sleep_ms(200);
		rm_rf(envdir);
		_exit(0);   /* the lock goes with us */
	}
	close(fd);
	/* the child holds the inherited lock until it exits */
	fd = rt_lock(envdir, "test", 3000, &err);
	waitpid(pid, &status, 0);
	tap_ok(fd >= 0 && fstat(fd, &a) == 0 && stat(lock, &b) == 0 && a.st_ino == b.st_ino,
	       "a waiter whose lock file was removed holds the new one");
	tap_ok(rt_lock_busy(envdir), "which others see as taken");
	if (fd >= 0)
		close(fd);
	strbuf_release(&err);
	free(lock);
	free(envdir);
}

static void test_announce(void)
{
	char *envdir = path_join(tmpdir, "envs/going"), *note = path_join(envdir, "stopping");

	mkdir_p(envdir, 0700);
	tap_is_int(rt_stop_pending(envdir), 0, "no down announced");
	rt_stop_announce(envdir);
	tap_is_int(rt_stop_pending(envdir), getpid(), "a down announces itself with its pid");
	rt_stop_withdraw(envdir);
	tap_is_int(rt_stop_pending(envdir), 0, "and takes it back");
	write_file_atomic(note, "999999999 12345\n", 16, 0644);
	tap_is_int(rt_stop_pending(envdir), 0, "a down that is gone is no down");
	rt_stop_withdraw(envdir);
	tap_ok(access(note, F_OK) == 0, "nor does one take back another's note");
	free(note);
	free(envdir);
}

static void test_state_keys(void)
{
	struct rt_state st, back;
	struct strbuf err = STRBUF_INIT;
	char *doc, *again;

	rt_state_init(&st);
	st.name = xstrdup("obs-x");
	st.state = RT_STOPPING;
	st.platform = xstrdup("obs");
	st.tier = xstrdup("test");
	st.index = 7;
	st.rundir = xstrdup("/s/run/7");
	st.socket = xstrdup("/s/run/7/supervisor.sock");
	st.account = xcalloc(1, sizeof(*st.account));
	st.account->name = xstrdup("pv-61191");
	st.account->uid = st.account->gid = 61191;
	doc = rt_state_encode(&st);
	tap_ok(strstr(doc, "\"state\": \"stopping\"") && strstr(doc, "\"name\": \"pv-61191\""),
	       "state.json says 'stopping' and names the account");
	rt_state_init(&back);
	tap_ok(rt_state_decode(&back, doc, strlen(doc), "state.json", &err) == 0 &&
	       back.state == RT_STOPPING && back.account && back.account->uid == 61191,
	       "and reads back the same");
	again = rt_state_encode(&back);
	tap_is_str(again, doc, "byte for byte");
	free(again);
	free(doc);
	rt_state_release(&back);
	rt_state_release(&st);
	strbuf_release(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-rtenv-XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_filters();
	test_child_dir();
	test_lock_removed();
	test_announce();
	test_state_keys();
	tap_ok(rm_rf(tmpdir) == 0, "the temporary directory is removed");
	return tap_done();
}
