/*
 * cgroup v2 for containing processes; see cgroup.h.
 */
#include "cgroup.h"
#include "clock.h"
#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *cgroup2_mount(void)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096], dir[4096], type[64];
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", dir, type) == 2 && !strcmp(type, "cgroup2"))
			found = xstrdup(dir);
	fclose(f);
	return found;
}

int cgroup_make(const char *path, struct strbuf *err)
{
	if (mkdir_p(path, 0755) < 0) {
		strbuf_addf(err, "cannot make cgroup '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Write `what` to the file `name` of the cgroup at `path`. */
static int write_knob(const char *path, const char *name, const char *what)
{
	char *file = path_join(path, name);
	int fd = open(file, O_WRONLY | O_CLOEXEC), ret = -1, e;

	if (fd >= 0) {
		ret = write(fd, what, strlen(what)) == (ssize_t)strlen(what) ? 0 : -1;
		e = errno;
		close(fd);
		errno = e;
	}
	free(file);
	return ret;
}

int cgroup_enter(const char *path, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_knob(path, "cgroup.procs", buf);
}

int cgroup_populated(const char *path)
{
	char *file = path_join(path, "cgroup.events");
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (strbuf_read_file(&sb, file, 4096) < 0)
		ret = errno == ENOENT ? 0 : -1;
	else
		ret = strstr(sb.buf, "populated 1") != NULL;
	strbuf_release(&sb);
	free(file);
	return ret;
}

/* fn on every cgroup directly below the one at `path`. */
static void each_child(const char *path, int (*fn)(const char *))
{
	char **names;
	size_t nr;

	if (list_dir(path, &names, &nr) < 0)
		return;
	for (size_t i = 0; i < nr; i++) {
		char *sub = path_join(path, names[i]);

		if (is_dir(sub))
			fn(sub);
		free(sub);
	}
	free_list(names);
}

/* Kernels before 5.14 have no cgroup.kill: every pid of every cgroup below, one by one. */
static int kill_each(const char *path)
{
	char *procs = path_join(path, "cgroup.procs");
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, procs, 1 << 20) == 0)
		for (char *s = sb.buf, *end; *s; s = end) {
			long pid = strtol(s, &end, 10);

			if (end == s)
				break;
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		}
	strbuf_release(&sb);
	free(procs);
	each_child(path, kill_each);
	return 0;
}

int cgroup_kill(const char *path)
{
	if (!is_dir(path))
		return 0;
	if (write_knob(path, "cgroup.kill", "1") == 0)
		return 0;
	return kill_each(path);
}

int cgroup_kill_wait(const char *path, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;

	for (;;) {
		int populated = cgroup_populated(path);

		if (!populated)
			return 0;
		if (clock_ms() >= deadline)
			return -1;
		cgroup_kill(path);
		sleep_ms(5);
	}
}

int cgroup_remove(const char *path)
{
	each_child(path, cgroup_remove);
	if (rmdir(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
