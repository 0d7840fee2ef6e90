/*
 * Running programs: a child-process object with start / wait / stop, a
 * capture helper for short commands (`ip`, `nft`, `initdb`), and helpers
 * that identify processes which are not our children (after a supervisor
 * restart, or a clean-up after a crash).
 *
 * start_command() is safe to call from a multi-threaded process: everything
 * that allocates (the PATH search, the list of files to bind into a network
 * namespace) is done before fork(), and the child only makes
 * async-signal-safe calls until it execs. Nothing here prints or exits;
 * failures are described in a `struct strbuf *err` the caller owns.
 *
 * A process is identified by its pid together with its start time (field 22
 * of /proc/PID/stat, in clock ticks since boot): a pid alone may have been
 * reused by an unrelated process since it was recorded.
 */
#ifndef LIB_RUN_COMMAND_H
#define LIB_RUN_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

struct strbuf;

struct child_process {
	/* set by the caller */
	const char **argv;   /* NULL-terminated; argv[0] a path, or a name searched in PATH */
	const char **env;    /* NULL-terminated full environment, or NULL: inherit ours */
	const char *dir;     /* chdir here first, or NULL */
	int out;             /* fd that gets stdout AND stderr; -1: /dev/null */
	int in;              /* fd for stdin; -1: /dev/null */
	/*
	 * NULL, or a network namespace name under /run/netns, joined as
	 * `ip netns exec` does: setns(CLONE_NEWNET), a private mount namespace
	 * (unshare CLONE_NEWNS, / made rslave so nothing propagates back), each
	 * file of /etc/netns/NAME/ bind-mounted over /etc/FILE, and /sys
	 * remounted to describe that namespace (best effort). Unlike `ip`, a
	 * failed bind mount is an error: a service silently resolving names
	 * with the host's /etc/hosts is worse than one that does not start.
	 */
	const char *netns;
	int drop_privileges; /* if set: setgroups(0, NULL), setgid(gid), setuid(uid) */
	uid_t uid;
	gid_t gid;
	int new_session;     /* setsid(): the child leads its own session and process
				group, so stop_command() can signal the whole group */
	/*
	 * 0, or a signal the kernel sends the child when the *thread* that
	 * called start_command() exits (PR_SET_PDEATHSIG), for helpers that
	 * must not outlive us. Start such children from a thread that lives
	 * as long as they should.
	 */
	int pdeathsig;

	/* set by start_command */
	pid_t pid;
	unsigned long long start_time;  /* /proc/PID/stat field 22 */
};
#define CHILD_PROCESS_INIT { .out = -1, .in = -1 }

/*
 * Start cp->argv. Returns 0 once the program has been exec'd, with cp->pid
 * and cp->start_time set; the caller must then reap it (finish_command,
 * wait_command_timeout or stop_command). Returns -1 with a message in err
 * when anything before or at exec failed (chdir, entering the namespace,
 * dropping privileges, exec itself): the child has been reaped then, e.g.
 *   cannot run 'obsd': No such file or directory
 *   cannot enter network namespace 'pv-x-primary': No such file or directory
 * cp->out and cp->in stay open and owned by the caller.
 */
int start_command(struct child_process *cp, struct strbuf *err);

/* Wait for it to exit. Returns 0 with the raw wait status, -1 with errno. */
int finish_command(struct child_process *cp, int *status);

/*
 * Wait at most timeout_ms (negative: no limit). Returns 0 if it exited
 * (reaped, status filled), 1 if it is still running, -1 with errno on error.
 */
int wait_command_timeout(struct child_process *cp, int timeout_ms, int *status);

/*
 * Stop it: SIGTERM (to its process group if cp->new_session, else to the
 * pid), up to grace_ms for it to exit, then SIGKILL, and reap it. With
 * new_session the group gets SIGKILL even when the leader exited in time,
 * so members that ignored SIGTERM do not linger. Returns the wait status,
 * or -1 if it could not be reaped.
 */
int stop_command(struct child_process *cp, int grace_ms);

/*
 * Run argv (searched in PATH, our environment, stdin /dev/null) in its own
 * process group and capture its stdout and stderr into out (appended).
 * Returns its exit code (0..255), or -1 with err filled when it could not
 * be started, was killed by a signal, or ran longer than timeout_ms
 * (negative: no limit; its group is killed then).
 */
int run_command_capture(const char **argv, struct strbuf *out, int timeout_ms,
			struct strbuf *err);

/* The start time of pid; 0 when there is no such process or it is a zombie. */
unsigned long long proc_start_time(pid_t pid);

/*
 * 1 only if pid exists, is not a zombie and started at start_time (so a
 * start_time of 0, "unknown", never matches); otherwise 0.
 */
int proc_alive(pid_t pid, unsigned long long start_time);

/*
 * Send sig to process group pgid, but only while its leader (pid == pgid)
 * is still the process that started at leader_start. Once the leader is
 * gone the number proves nothing: the group may have emptied and the id
 * been taken by an unrelated session, and we must never signal that. Any
 * members outliving their leader are found by proc_find_by_env() instead.
 * Returns 1 if signalled, 0 if the leader is gone (nothing done), -1 with
 * errno if kill() failed. The check and the kill are not atomic; the
 * window in which the leader could die and its pid be reused is tiny.
 */
int proc_kill_group(pid_t pgid, unsigned long long leader_start, int sig);

/*
 * Every process (other than ourselves) whose /proc/PID/environ holds
 * exactly NAME=VALUE, into a new array *pids the caller frees (NULL when
 * none). Processes it cannot read and zombies (whose environment is gone)
 * are skipped. Returns how many.
 *
 * The marker lives in memory the process owns: a program that reuses its
 * environment block for its process title (nginx does, and so does
 * PostgreSQL on Linux) no longer carries it once it has set its title.
 * Such programs must be stopped through their process group.
 */
size_t proc_find_by_env(const char *name, const char *value, pid_t **pids);

/*
 * Append the last `lines` lines of the file at path to out, as they are in
 * the file (a final newline kept). Reads at most its last 64 KiB; a line
 * cut by that limit is dropped. Appends nothing if the file cannot be read.
 */
void tail_file(const char *path, size_t lines, struct strbuf *out);

#endif
