/*
 * cgroup v2 as a container for processes: a directory per managed
 * process, in which whatever the process starts stays (a child cannot
 * leave its cgroup without privileges), so that when the process dies, or
 * is killed, what it left behind (nginx's workers, PostgreSQL's backends)
 * can be found and killed to the last one, and one knows when none is
 * left.
 *
 * The unified hierarchy is wherever cgroup2 is mounted: /sys/fs/cgroup on
 * a standard host, /sys/fs/cgroup/unified on a hybrid one. Making
 * cgroups there needs root. Nothing here prints; functions return -1 with
 * errno (or a message in `err`) when they fail.
 */
#ifndef LIB_CGROUP_H
#define LIB_CGROUP_H

#include <sys/types.h>

struct strbuf;

/* Where cgroup2 is mounted (the first such line of /proc/self/mounts): a new string, or NULL. */
char *cgroup2_mount(void);

/* mkdir -p of the cgroup at `path` (what exists is fine). 0, or -1 with err. */
int cgroup_make(const char *path, struct strbuf *err);

/* Move process `pid` (0: ourselves) into the cgroup at `path`. 0, or -1 with errno. */
int cgroup_enter(const char *path, pid_t pid);

/*
 * Does a process live in the cgroup at `path` or below it? 1 yes, 0 no
 * (also when there is no such cgroup), -1 it cannot be read.
 */
int cgroup_populated(const char *path);

/*
 * SIGKILL to every process in the cgroup and below it, at once with
 * cgroup.kill (Linux 5.14) or else one by one from cgroup.procs. Returns
 * without waiting for them to exit: see cgroup_populated. 0 (also when
 * there is no such cgroup), or -1 with errno.
 */
int cgroup_kill(const char *path);

/*
 * cgroup_kill until nothing is left, for at most timeout_ms: 0 empty (or
 * no such cgroup), -1 something is still there.
 */
int cgroup_kill_wait(const char *path, int timeout_ms);

/*
 * Remove the cgroup at `path` and the cgroups below it, deepest first;
 * only empty cgroups can be removed. 0 when it is gone, -1 with errno.
 */
int cgroup_remove(const char *path);

#endif
