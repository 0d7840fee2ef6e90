/*
 * Running programs: the one way every program here starts another. A
 * child-process object with start / wait / stop (its stdin fed from memory,
 * its stdout and stderr collected into memory, together or apart, when
 * asked), a detached start for daemons, a capture helper for short commands
 * (`ip`, `nft`, `initdb`), the one program search (find_program), and
 * helpers that identify processes which are not our children (after a
 * supervisor restart, or a clean-up after a crash).
 *
 * start_command() is safe to call from a multi-threaded process: everything
 * that allocates (the program search, the list of files to bind into a
 * network namespace, the pipes) is done before fork(), and the child only
 * makes async-signal-safe calls until it execs. Nothing here prints or
 * exits; failures are described in a `struct strbuf *err` the caller owns.
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

/* The search path when PATH is not set (and the PATH our services get then). */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/*
 * Where to look for a program named without a '/': the directories of
 * `before`, then those of PATH, then those of `after`, in order.
 */
struct program_search {
	const char *const *before;  /* NULL-terminated, or NULL; e.g. beside our own binary */
	const char *const *after;   /* NULL-terminated, or NULL; e.g. /usr/sbin */
	/*
	 * The PATH to search; NULL: ours (getenv), or DEFAULT_PATH when it is
	 * unset. start_command() takes it from cp->env when that is given.
	 */
	const char *path;
	int no_path;                /* search only before and after */
};

/*
 * The file that runs for `name`: a new string, or NULL with errno ENOENT
 * (nothing found) or EACCES (only files without execute permission).
 * `s` may be NULL: PATH alone. A name holding a '/' is not searched: it is
 * returned as it is if it is an executable regular file. Otherwise the
 * first executable regular file among the directories of `s` wins (so a
 * directory of that name does not). PATH entries that are not absolute
 * are skipped, an empty one too (execvp would take the current directory):
 * we run as root, and what runs must not depend on where we were started.
 */
char *find_program(const char *name, const struct program_search *s);

struct child_io;

/*
 * What to run and how. Start from CHILD_PROCESS_INIT, fill it in, start
 * it, then reap it: finish_command, wait_command_timeout until it says
 * so, or stop_command. Until then it owns what start_command set up (the
 * pid, the pipes of in_data, out_buf and err_buf); after it, nothing. The
 * strings, arrays and fds the caller sets stay the caller's, and none is
 * closed: start_command needs them only until it returns (in_data is
 * copied), but out_buf and err_buf until the child is reaped.
 *
 * In the child, before the exec: every signal's disposition is the default
 * (a SIGPIPE we ignore is not ignored there) and none is blocked; it moves
 * into its cgroup, if one is given; every fd above 2 is closed, whether
 * close-on-exec or not; stdin, stdout and stderr are the ones chosen here;
 * then, in this order, the working directory,
 * the network namespace, the new session, the privileges and the
 * parent-death signal are set up. If any of that or the exec itself fails,
 * the child reports what and why on a close-on-exec pipe and exits with
 * 127 without running anything; start_command reads that pipe until it
 * closes, so it returns only once the exec has happened or failed.
 */
struct child_process {
	/* set by the caller */
	const char **argv;   /* NULL-terminated; argv[0] a path, or a name searched (see program) */
	/*
	 * NULL, or the file to run when it is not argv[0] (so that argv[0],
	 * what ps shows, can be a plain name); searched the same way.
	 */
	const char *program;
	struct program_search search;   /* where a name without '/' is looked for */
	const char **env;    /* NULL-terminated full environment, or NULL: inherit ours */
	const char *dir;     /* chdir here first, or NULL */
	int in;              /* fd for stdin; -1: /dev/null */
	int out;             /* fd for stdout, and for stderr too unless err_buf; -1: /dev/null */
	/*
	 * Written to its stdin instead of `in` (an empty one: end of file at
	 * once). Through a socket, so that a child that stops reading costs
	 * us EPIPE, not SIGPIPE; what it did not read is dropped. What the
	 * socket takes is sent by start_command, the rest while waiting.
	 */
	const char *in_data;
	size_t in_len;
	/*
	 * NULL, or strbufs that collect (append) its stdout, and its stderr
	 * apart, instead of `out`: without err_buf stderr goes where stdout
	 * goes. They are filled while the caller waits (finish_command,
	 * wait_command_timeout), which reads them to their end of file: a
	 * grandchild that keeps them open keeps the waiting going.
	 */
	struct strbuf *out_buf;
	struct strbuf *err_buf;
	size_t buf_max;      /* keep at most this much in each (0: no limit); the rest is read and dropped */
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
	 * NULL, or the directory of a cgroup v2 (lib/cgroup.h) the child moves
	 * itself into before anything else, so that every process it starts
	 * is in there too, even the first ones. Opening its cgroup.procs
	 * needs the privileges to move processes there (root).
	 */
	const char *cgroup;
	/*
	 * Start it as a daemon, not as our child: a middle child (killed by
	 * SIGKILL should we die before it is done, PR_SET_PDEATHSIG) makes a
	 * new session, forks the program and exits at once, and we reap it;
	 * the program, re-parented to init (or to the nearest subreaper), is
	 * in that session without leading it, so it never gets a controlling
	 * terminal. start_command still returns only once the exec has
	 * happened or failed, so a caller may count on the program's
	 * environment from then on (a teardown finds processes by it). Then
	 * cp->pid is the program's, for information: never wait for or stop
	 * it through cp. new_session is implied; in_data, out_buf, err_buf
	 * and pdeathsig cannot be combined with it.
	 */
	int detach;
	/*
	 * 0, or a signal the kernel sends the child when the *thread* that
	 * called start_command() exits (PR_SET_PDEATHSIG), for helpers that
	 * must not outlive us. Start such children from a thread that lives
	 * as long as they should.
	 */
	int pdeathsig;

	/* set by start_command */
	pid_t pid;
	unsigned long long start_time;  /* /proc/PID/stat field 22; 0 if a detached one was gone already */
	struct child_io *io;            /* private: the pipes of in_data, out_buf and err_buf */
};
#define CHILD_PROCESS_INIT { .out = -1, .in = -1 }

/*
 * Start cp. Returns 0 once the program has been exec'd, with cp->pid and
 * cp->start_time set; the caller must then reap it (unless detached).
 * Returns -1 with a message in err when anything before or at exec failed
 * (finding the program, chdir, entering the namespace, dropping
 * privileges, exec itself): the child, if there was one, has been reaped
 * then (a detached one is init's to reap), e.g.
 *   cannot run 'obsd': No such file or directory
 *   cannot run 'nft': not found in PATH, /usr/sbin, /sbin, /usr/bin or /bin
 *   cannot enter network namespace 'pv-x-primary': No such file or directory
 */
int start_command(struct child_process *cp, struct strbuf *err);

/*
 * Feed its stdin and collect its output to their ends, then wait for it
 * to exit. Returns 0 with the raw wait status, -1 with errno.
 */
int finish_command(struct child_process *cp, int *status);

/*
 * As finish_command, for at most timeout_ms (negative: no limit). Returns
 * 0 if it exited (reaped, status filled), 1 if it is still running (or
 * still holds its output open; call again, or stop it), -1 with errno on
 * error.
 */
int wait_command_timeout(struct child_process *cp, int timeout_ms, int *status);

/*
 * Stop it: drop what is left of its input and output, SIGTERM (to its
 * process group if cp->new_session, else to the pid), up to grace_ms for it to exit, then SIGKILL, and reap it. With
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

/*
 * Our environment with each NAME=VALUE of `set` in place of NAME's, or
 * added: a new array for cp->env, freed with strv_free().
 */
char **env_with(const char *const *set);

/* The start time of pid; 0 when there is no such process or it is a zombie. */
unsigned long long proc_start_time(pid_t pid);

/*
 * 1 only if pid exists, is not a zombie and started at start_time (so a
 * start_time of 0, "unknown", never matches); otherwise 0.
 */
int proc_alive(pid_t pid, unsigned long long start_time);

/*
 * Fields 3, 4 and 5 of /proc/PID/stat: its state ('R', 'S', 'Z', ...),
 * parent and process group. 0, or -1 when there is no such process.
 */
int proc_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp);

/*
 * 1 if a process of group pgid is alive (not a zombie: a zombie holds
 * nothing but its pid), else 0. What is left of a group whose leader
 * is gone, since the group id stays taken while any member lives.
 */
int proc_group_alive(pid_t pgid);

/*
 * The value of variable `name` in process pid's environment, as a new
 * string, or NULL (no such variable, or we may not read it).
 */
char *proc_getenv(pid_t pid, const char *name);

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
