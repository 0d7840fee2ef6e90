/*
 * The local runner (see run.h): one poll loop over the running jobs'
 * output pipes, the timeouts and the interruption flag. Jobs are started
 * in the pipeline's topological order whenever a slot is free.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "run.h"
#include "strbuf.h"
#include "strv.h"
#include "usage.h"
#include "xalloc.h"

#define POLL_MS 100
#define PUMP_READS 32

const char *const pl_state_names[] = {
	"not-selected", "pending", "running", "passed", "failed", "timeout", "skipped",
	"cancelled",
};

/* A running job's process and output. */
struct slot {
	struct child_process cp;
	int fd;                  /* read end of its stdout+stderr; -1 at end of file */
	int log;                 /* RUN_DIR/JOB.log, appended */
	struct strbuf line;      /* a partial line for the terminal */
	long long started_ms;    /* monotonic, this attempt */
	int in_use;
};

struct runner {
	const struct pipeline *p;
	const struct pl_run_opts *o;
	struct pl_result *res;
	struct slot *slots;          /* o->max_jobs of them */
	size_t *slot_of;             /* job -> slot index + 1; 0: not running */
	int stopping;                /* interrupted: only always jobs from now on */
	int seen_interrupts;
	long long deadline_ms;       /* while stopping: when the always jobs are stopped */
};

static int is_done(enum pl_state s)
{
	return s >= PL_PASSED;
}

static void mark_selected(const struct pipeline *p, struct pl_result *res, size_t i)
{
	const struct pl_job *j = pl_job_at(p, i);

	if (res[i].state == PL_PENDING)
		return;
	res[i].state = PL_PENDING;
	for (size_t k = 0; k < j->needs.nr; k++)
		mark_selected(p, res, j->need_idx[k]);
}

static int select_jobs(const struct pipeline *p, const struct pl_run_opts *o,
		       struct pl_result *res, struct strbuf *err)
{
	for (size_t i = 0; i < p->jobs.nr; i++)
		res[i].state = o->only ? PL_NOT_SELECTED : PL_PENDING;
	for (size_t k = 0; o->only && o->only[k]; k++) {
		long at = pipeline_find_job(p, o->only[k]);

		if (at < 0) {
			strbuf_addf(err, "--only '%s': no such job in %s", o->only[k], p->file);
			return -1;
		}
		mark_selected(p, res, (size_t)at);
	}
	return 0;
}

static const char *missing_why(const char *arg)
{
	if (strstr(arg, "${env}"))
		return "${env} needs the pipeline's env_file";
	if (strstr(arg, "${env_file}"))
		return "the pipeline has no env_file";
	if (strstr(arg, "${branch}"))
		return "the branch is not known (not in a git work tree, detached HEAD: give --branch)";
	return "the commit is not known (not in a git work tree: give --commit)";
}

int pl_prepare(const struct pipeline *p, const struct pl_run_opts *o, struct pl_result *res,
	       struct strbuf *err)
{
	if (select_jobs(p, o, res, err) < 0)
		return -1;
	for (size_t i = 0; i < p->jobs.nr; i++) {
		const struct pl_job *j = pl_job_at(p, i);
		struct strv argv = STRV_INIT;

		res[i].log = path_join(o->run_dir, j->name);
		res[i].log = xrealloc(res[i].log, strlen(res[i].log) + 5);
		strcat(res[i].log, ".log");
		if (res[i].state == PL_NOT_SELECTED)
			continue;
		for (size_t k = 0; k < j->run.nr; k++) {
			char *bad, *s = pl_subst(j->run.v[k].name, &o->vars, &bad);

			if (!s) {
				strbuf_addf(err, "%s:%d:%d: job '%s': %s", j->run.v[k].pos.file,
					    j->run.v[k].pos.line, j->run.v[k].pos.col, j->name,
					    missing_why(j->run.v[k].name));
				free(bad);
				strv_clear(&argv);
				return -1;
			}
			strv_push_take(&argv, s);
		}
		res[i].argv = strv_detach(&argv);
	}
	return 0;
}

void pl_results_release(struct pl_result *res, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		strv_free(res[i].argv);
		free(res[i].log);
		free(res[i].reason);
	}
}

static void set_reason(struct pl_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct pl_result *r, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	free(r->reason);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	r->reason = strbuf_detach(&sb, NULL);
}

/* A line of the runner's own about job `name`, on the terminal. */
static void say(struct runner *rn, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct runner *rn, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!rn->o->term)
		return;
	fprintf(rn->o->term, "[%s] ", name);
	va_start(ap, fmt);
	vfprintf(rn->o->term, fmt, ap);
	va_end(ap);
	fputc('\n', rn->o->term);
	fflush(rn->o->term);
}

static void log_line(int fd, const char *s)
{
	if (fd >= 0 && write(fd, s, strlen(s)) < 0)
		(void)0;   /* a log we cannot write does not stop the job */
}

/* Our environment with o->env and PIPELINE_JOB=NAME set: for cp->env, strv_free() it. */
static char **job_env(const struct pl_run_opts *o, const char *name)
{
	struct strv set = STRV_INIT;
	char **env;

	for (size_t k = 0; o->env && o->env[k]; k++)
		strv_push(&set, o->env[k]);
	strv_pushf(&set, "PIPELINE_JOB=%s", name);
	env = env_with((const char *const *)set.v);
	strv_clear(&set);
	return env;
}

/* Open the job's log for this attempt, headed by its command, and say it starts. */
static int open_log(struct runner *rn, const struct pl_job *j, const struct pl_result *r)
{
	struct strbuf sb = STRBUF_INIT;
	int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	strbuf_addf(&sb, "--- %s attempt %d:", j->name, r->attempts);
	for (char **a = r->argv; *a; a++)
		strbuf_addf(&sb, " %s", *a);
	strbuf_addch(&sb, '\n');
	log_line(fd, sb.buf);
	strbuf_release(&sb);
	if (r->attempts > 1)
		say(rn, j->name, "start (attempt %d)", r->attempts);
	else
		say(rn, j->name, "start");
	return fd;
}

/* Start job i in a free slot: 0, or -1 with the job failed (it could not start). */
static int start_job(struct runner *rn, size_t i)
{
	const struct pl_job *j = pl_job_at(rn->p, i);
	struct pl_result *r = &rn->res[i];
	struct strbuf err = STRBUF_INIT;
	struct slot *s;
	int pfd[2];
	size_t si = 0;
	char **env;

	while (rn->slots[si].in_use)
		si++;
	s = &rn->slots[si];
	r->attempts++;
	if (!r->start_wall_ms)
		r->start_wall_ms = wall_ms();
	s->log = open_log(rn, j, r);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		strbuf_addf(&err, "cannot make a pipe: %s", strerror(errno));
		goto fail;
	}
	env = job_env(rn->o, j->name);
	s->cp = (struct child_process)CHILD_PROCESS_INIT;
	s->cp.argv = (const char **)r->argv;
	s->cp.dir = rn->o->dir;
	s->cp.out = pfd[1];
	s->cp.new_session = 1;   /* its own process group: a timeout stops all of it */
	s->cp.env = (const char **)env;
	if (start_command(&s->cp, &err) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		strv_free(env);
		goto fail;
	}
	strv_free(env);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	s->fd = pfd[0];
	s->started_ms = clock_ms();
	s->in_use = 1;
	rn->slot_of[i] = si + 1;
	r->state = PL_RUNNING;
	return 0;
fail:
	set_reason(r, "%s", err.buf);
	strbuf_release(&err);
	log_line(s->log, r->reason);
	log_line(s->log, "\n");
	if (s->log >= 0)
		close(s->log);
	s->log = -1;
	say(rn, j->name, "cannot start: %s", r->reason);
	r->state = PL_FAILED;
	r->exit_code = 127;
	return -1;
}

/* Drop the first `len` bytes of sb. */
static void strbuf_drop(struct strbuf *sb, size_t len)
{
	memmove(sb->buf, sb->buf + len, sb->len - len);
	strbuf_setlen(sb, sb->len - len);
}

static void flush_partial(struct runner *rn, size_t i, struct slot *s)
{
	if (s->line.len && rn->o->term)
		fprintf(rn->o->term, "[%s] %s\n", pl_job_at(rn->p, i)->name, s->line.buf);
	strbuf_setlen(&s->line, 0);
}

/*
 * Copy what the job wrote to its log, and whole lines to the terminal,
 * until the pipe is empty or PUMP_READS reads were made (a job that never
 * stops writing must not keep the loop from its timeouts); at its end of
 * file, close it.
 */
static void pump(struct runner *rn, size_t i, struct slot *s)
{
	char buf[8192];
	ssize_t n;

	for (int reads = 0; s->fd >= 0 && reads < PUMP_READS; reads++) {
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(s->fd);
			s->fd = -1;
			flush_partial(rn, i, s);
			return;
		}
		if (s->log >= 0 && write(s->log, buf, (size_t)n) < 0)
			(void)0;   /* a log we cannot write does not stop the job */
		strbuf_add(&s->line, buf, (size_t)n);
		for (char *nl; (nl = memchr(s->line.buf, '\n', s->line.len)); ) {
			size_t len = (size_t)(nl - s->line.buf) + 1;

			if (rn->o->term)
				fprintf(rn->o->term, "[%s] %.*s", pl_job_at(rn->p, i)->name,
					(int)len, s->line.buf);
			strbuf_drop(&s->line, len);
		}
	}
}

static void free_slot(struct runner *rn, size_t i, struct slot *s, int status, long long now)
{
	struct pl_result *r = &rn->res[i];

	/* what is left in the pipe; a grandchild holding it open is not waited for */
	pump(rn, i, s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	flush_partial(rn, i, s);
	if (s->log >= 0)
		close(s->log);
	s->log = -1;
	s->in_use = 0;
	rn->slot_of[i] = 0;
	r->duration_ms += now - s->started_ms;
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	if (rn->o->term)
		fflush(rn->o->term);
}

/* After an attempt ended in `state`: retry, or settle. */
static void attempt_over(struct runner *rn, size_t i, enum pl_state state)
{
	const struct pl_job *j = pl_job_at(rn->p, i);
	struct pl_result *r = &rn->res[i];
	struct strbuf sb = STRBUF_INIT;

	if (state == PL_TIMEDOUT)
		strbuf_addstr(&sb, "timed out, process group stopped");
	else if (r->term_signal)
		strbuf_addf(&sb, "%s by signal %d", pl_state_names[state], r->term_signal);
	else
		strbuf_addf(&sb, "%s (exit %d)", pl_state_names[state], r->exit_code);
	strbuf_addf(&sb, " after %.1fs", (double)r->duration_ms / 1000);
	say(rn, j->name, "%s", sb.buf);
	strbuf_release(&sb);
	if (state != PL_PASSED && state != PL_CANCELLED && !rn->stopping &&
	    r->attempts <= j->retry) {
		if (start_job(rn, i) == 0)
			return;
		state = PL_FAILED;
	}
	r->state = state;
	if (state == PL_TIMEDOUT)
		set_reason(r, "timed out");
}

static void stop_slot(struct runner *rn, size_t i, enum pl_state state, const char *why)
{
	struct slot *s = &rn->slots[rn->slot_of[i] - 1];
	int status = stop_command(&s->cp, (int)rn->o->kill_grace_ms);

	free_slot(rn, i, s, status, clock_ms());
	if (why)
		set_reason(&rn->res[i], "%s", why);
	attempt_over(rn, i, state);
}

/* Does job `from` need job `to`, directly or through others? `seen`: one byte a job, zeroed. */
static int needs_job_(const struct pipeline *p, size_t from, size_t to, char *seen)
{
	const struct pl_job *j = pl_job_at(p, from);

	seen[from] = 1;
	for (size_t k = 0; k < j->needs.nr; k++) {
		size_t n = j->need_idx[k];

		if (n == to || (!seen[n] && needs_job_(p, n, to, seen)))
			return 1;
	}
	return 0;
}

static int needs_job(const struct pipeline *p, size_t from, size_t to)
{
	char *seen = xcalloc(p->jobs.nr, 1);
	int r = needs_job_(p, from, to, seen);

	free(seen);
	return r;
}

/* The job's needs are done: 1 to start it, 0 to wait, -1 when it was settled without running. */
static int decide(struct runner *rn, size_t i)
{
	const struct pl_job *j = pl_job_at(rn->p, i);
	struct pl_result *r = &rn->res[i];
	const char *bad = NULL;
	int any_failed = 0;

	for (size_t k = 0; k < j->needs.nr; k++) {
		size_t n = j->need_idx[k];

		if (!is_done(rn->res[n].state))
			return 0;
		/* a need its `when` skipped did not fail; one skipped for a failure did */
		if (rn->res[n].state != PL_PASSED && !bad &&
		    !(rn->res[n].state == PL_SKIPPED && !rn->res[n].failed_dependency))
			bad = pl_job_at(rn->p, n)->name;
	}
	if (j->when == PL_ON_FAILURE && !j->needs.nr) {
		for (size_t n = 0; n < rn->p->jobs.nr; n++) {
			const struct pl_job *o = pl_job_at(rn->p, n);

			if (o->when != PL_ON_SUCCESS || rn->res[n].state == PL_NOT_SELECTED ||
			    needs_job(rn->p, n, i))
				continue;
			if (!is_done(rn->res[n].state))
				return 0;
			if (rn->res[n].state != PL_PASSED && rn->res[n].state != PL_SKIPPED)
				any_failed = 1;
		}
	}
	if (rn->stopping && (j->when != PL_ALWAYS || clock_ms() >= rn->deadline_ms)) {
		r->state = PL_CANCELLED;
		set_reason(r, "not started: the run was interrupted%s",
			   j->when == PL_ALWAYS ? " and the grace period ran out" : "");
		return -1;
	}
	if (j->when == PL_ALWAYS || (j->when == PL_ON_SUCCESS && !bad) ||
	    (j->when == PL_ON_FAILURE && (bad || any_failed)))
		return 1;
	r->state = PL_SKIPPED;
	if (j->when == PL_ON_SUCCESS) {
		r->failed_dependency = 1;
		set_reason(r, "failed dependency: needs '%s', which did not pass", bad);
	} else {
		set_reason(r, "when: on_failure, and nothing it waits for failed");
	}
	say(rn, j->name, "%s", r->reason);
	return -1;
}

static size_t nr_running(const struct runner *rn)
{
	size_t n = 0;

	for (int k = 0; k < rn->o->max_jobs; k++)
		n += rn->slots[k].in_use;
	return n;
}

/* Start what may start; returns how many are pending still. */
static size_t schedule(struct runner *rn)
{
	size_t pending = 0;
	int again = 1;

	while (again) {
		again = 0;
		pending = 0;
		for (size_t k = 0; k < rn->p->jobs.nr; k++) {
			size_t i = rn->p->order[k];
			int d;

			if (rn->res[i].state != PL_PENDING)
				continue;
			d = decide(rn, i);
			if (d < 0) {
				again = 1;   /* settled: those after it may be decided now */
				continue;
			}
			if (d == 0 || nr_running(rn) >= (size_t)rn->o->max_jobs) {
				pending++;
				continue;
			}
			if (start_job(rn, i) < 0)
				again = 1;
		}
	}
	return pending;
}

static void on_interrupt(struct runner *rn, long long now)
{
	if (!rn->stopping) {
		rn->stopping = 1;
		rn->deadline_ms = now + (long long)rn->o->always_grace_ms;
		if (rn->o->term)
			fprintf(rn->o->term, "interrupted: stopping the running jobs, then the "
				"'when: always' jobs\n");
		/* SIGTERM them all at once; stop_slot then waits for each in turn */
		for (size_t i = 0; i < rn->p->jobs.nr; i++)
			if (rn->slot_of[i] && pl_job_at(rn->p, i)->when != PL_ALWAYS)
				kill(-rn->slots[rn->slot_of[i] - 1].cp.pid, SIGTERM);
		for (size_t i = 0; i < rn->p->jobs.nr; i++)
			if (rn->slot_of[i] && pl_job_at(rn->p, i)->when != PL_ALWAYS)
				stop_slot(rn, i, PL_CANCELLED, "stopped: the run was interrupted");
	} else {
		rn->deadline_ms = now;   /* a second interruption: stop the always jobs too */
	}
}

static void check_slots(struct runner *rn, long long now)
{
	for (size_t i = 0; i < rn->p->jobs.nr; i++) {
		const struct pl_job *j = pl_job_at(rn->p, i);
		struct slot *s;
		int status, r;

		if (!rn->slot_of[i])
			continue;
		s = &rn->slots[rn->slot_of[i] - 1];
		if (rn->stopping && now >= rn->deadline_ms) {
			stop_slot(rn, i, PL_CANCELLED, "stopped: the grace period after the "
				  "interruption ran out");
			continue;
		}
		if (j->timeout_ms && now - s->started_ms >= (long long)j->timeout_ms) {
			stop_slot(rn, i, PL_TIMEDOUT, NULL);
			continue;
		}
		r = wait_command_timeout(&s->cp, 0, &status);
		if (r == 1)
			continue;
		if (r < 0)
			status = 0x7f00;   /* lost: count it as exit 127 */
		free_slot(rn, i, s, status, now);
		attempt_over(rn, i, WIFEXITED(status) && !WEXITSTATUS(status) ? PL_PASSED : PL_FAILED);
	}
}

static void wait_output(struct runner *rn)
{
	struct pollfd *pfd = xcalloc((size_t)rn->o->max_jobs, sizeof(*pfd));
	size_t *job = xcalloc((size_t)rn->o->max_jobs, sizeof(*job));
	nfds_t n = 0;

	for (size_t i = 0; i < rn->p->jobs.nr; i++) {
		struct slot *s;

		if (!rn->slot_of[i])
			continue;
		s = &rn->slots[rn->slot_of[i] - 1];
		if (s->fd < 0)
			continue;
		pfd[n].fd = s->fd;
		pfd[n].events = POLLIN;
		job[n++] = i;
	}
	if (poll(pfd, n, POLL_MS) > 0)
		for (nfds_t k = 0; k < n; k++)
			if (pfd[k].revents)
				pump(rn, job[k], &rn->slots[rn->slot_of[job[k]] - 1]);
	free(pfd);
	free(job);
}

int pl_run(const struct pipeline *p, const struct pl_run_opts *o, struct pl_result *res)
{
	struct runner rn = { .p = p, .o = o, .res = res };
	int status = 0;

	rn.slots = xcalloc((size_t)o->max_jobs, sizeof(*rn.slots));
	for (int k = 0; k < o->max_jobs; k++) {
		rn.slots[k].fd = rn.slots[k].log = -1;
		strbuf_init(&rn.slots[k].line, 0);
	}
	rn.slot_of = xcalloc(p->jobs.nr, sizeof(*rn.slot_of));
	for (;;) {
		long long now = clock_ms();
		size_t pending;

		if (o->interrupted && *o->interrupted > rn.seen_interrupts) {
			rn.seen_interrupts = *o->interrupted;
			on_interrupt(&rn, now);
		}
		check_slots(&rn, now);
		pending = schedule(&rn);
		if (!nr_running(&rn)) {
			if (!pending)
				break;
			BUG("%zu jobs pending and none running", pending);
		}
		wait_output(&rn);
	}
	for (int k = 0; k < o->max_jobs; k++)
		strbuf_release(&rn.slots[k].line);
	free(rn.slots);
	free(rn.slot_of);
	for (size_t i = 0; i < p->jobs.nr; i++)
		if (res[i].state == PL_FAILED || res[i].state == PL_TIMEDOUT ||
		    res[i].failed_dependency || res[i].state == PL_CANCELLED)
			status = 1;
	return rn.seen_interrupts ? 130 : status;
}
