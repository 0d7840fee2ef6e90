/*
 * The supervisor; see supervisor.h.
 *
 * One thread runs the event loop: child exits (signalfd), the control
 * socket, HTTP health checks (non-blocking, lib/hcheck.c, so a hung replica
 * never stalls the others) and the timers for starts and restarts. A second
 * thread probes the PostgreSQL members with libpq, which only has blocking
 * probes, bootstraps the primary and carries out promotions; it shares the
 * members' fields with the loop under `lock` and wakes it with an eventfd.
 *
 * A primary is lost when a majority of observers has not reached it for
 * `failover.after`: a thread on the host and one in each of the other
 * namespaces (the gateway's and the other regions'), which moves
 * into its namespace with setns() and pings from there, so a partition
 * that only clients see is seen. Before promoting, the replica's lag is
 * measured (rt-state.h, struct rt_lag): a promotion that would lose more
 * than `failover.rpo` waits for a person (`failover --accept-data-loss`).
 * Once the old primary's region is reachable again, the pg thread rebuilds
 * it as a replica of the new one (pg_rewind, else pg_basebackup) and
 * unfences it; the loop starts it again. The loop reaps only its own
 * processes: the pg thread waits for the programs it runs.
 *
 * Nothing a process leaves behind outlives it: each runs in a cgroup of
 * its own (as root, with cgroup2 mounted), or else in its own process
 * group, and when it exits whatever is left there (nginx's workers,
 * PostgreSQL's backends) is killed, and it is started again only once
 * none is left. A process is healthy only once its checks passed since
 * its last start; why the last one failed is kept for `status` and `up`.
 */
#include "supervisor.h"
#include "cgroup.h"
#include "clock.h"
#include "fsutil.h"
#include "hcheck.h"
#include "rt-account.h"
#include "rt-env.h"
#include "rt-pg.h"
#include "rt-state.h"
#include "run-command.h"
#include "strbuf.h"
#include "strv.h"
#include "sv-policy.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FAST_CHECK_MS 100          /* until first healthy: answer `up` quickly */
#define STOP_GRACE_MS 1500
#define LEFTOVER_POLL_MS 10        /* how soon to look again for what a run left */
#define REFUSED_SHOWN_MS 10000     /* a refused failover request is shown this long */
#define REPROTECT_RETRY_MS 10000   /* after a failed rebuild of an old primary */
#define HOST_FRESH_MS 1000         /* the host's observer reached it this recently */

struct check {
	const struct rt_check *def;    /* NULL: no check */
	int fails;                     /* consecutive */
	int ok;
	long long due;
	struct hcheck *h;              /* in flight */
};

struct proc {
	const struct rt_proc *def;     /* its plan, in sv->st */
	struct check health, ready;
	/* runtime; fields marked (L) are shared with the pg thread under lock */
	enum rt_pstate state;
	pid_t pid;                     /* (L) */
	unsigned long long start_time; /* (L) */
	int fenced;                    /* (L) */
	int pg_ok, pg_ready;           /* (L) */
	int pg_fails;                  /* consecutive failed probes (pg thread only) */
	int ever_healthy, restarts, backoff_ms;
	long long started_at, next_start, healthy_since;
	char last_exit[96];
	char check_error[160];         /* why its last check failed, until it is healthy */
	char *cgroup;                  /* its cgroup; NULL: its process group keeps it */
	pid_t old_pgid;                /* without a cgroup: the group of its last run */
	int waiting_noted;             /* said that it waits for its last run to be gone */
};

enum { PROMOTE_NO, PROMOTE_WITHIN_RPO, PROMOTE_ACCEPT_LOSS };

struct promotion {                        /* struct rt_promotion without allocations */
	time_t time;
	const char *from, *to;
	char reason[200];
	long long detected_ms, promoted_ms;
	struct rt_lag lag;
	int accepted;
};

struct datastore_rt {
	const struct rt_datastore *def;   /* its plan, in sv->st */
	struct proc *primary, *replica;   /* (L) current roles */
	int bootstrapped;                 /* (L) */
	int promote;                      /* (L) requested: PROMOTE_* */
	int failovers;                    /* (L) */
	struct promotion last;            /* (L) valid once failovers > 0 */
	/* the replica's lag, from the pg thread's probes */
	struct pg_position prim_pos, rep_pos;   /* last samples */
	int have_prim_pos, have_rep_pos;
	long long prim_pos_at;            /* when the primary's was taken */
	long long caught_up_at;           /* the replica last had every write */
	int64_t writes;                   /* rows it lacks, from the WAL, if writes_known */
	int writes_known;
	struct rt_lag lag;                /* (L) */
	/* a failover a person must decide on: attention_reason non-empty */
	char attention_reason[400];       /* (L) */
	time_t attention_since;           /* (L) */
	long long attention_until;        /* a refused request's: shown this long; 0: until it answers */
	struct rt_lag attention_loss;     /* (L) */
	char degraded[200];               /* (L) why it has no working replica, or "" */
	struct proc *fenced_member;       /* (L) the old primary, until re-protected */
	long long next_reprotect;         /* not before (a failed rebuild waits) */
};

/*
 * A thread inside a namespace that pings every PostgreSQL member from
 * there. last_ok[i] is when it last reached process i (it starts at its
 * own start: an observer that never saw a member counts it down only
 * from then).
 */
struct observer {
	struct sv *sv;
	const char *ns, *region;          /* in sv->st */
	pthread_t thread;
	int started;
	long long *last_ok;               /* (L) per process */
};

struct sv {
	char *state, *name, *envdir;
	struct rt_state st;
	struct proc *procs;
	size_t nr;
	struct datastore_rt *ds;
	size_t nr_ds;
	SSL_CTX *tls;                  /* for https checks (the gateway's CA) */
	int sigfd, ctlfd, evfd;
	int stopping, dirty;
	long long stop_deadline;
	pthread_t pg_thread;
	pthread_mutex_t lock;
	volatile int quit;
	int pg_changed;                /* (L) the pg thread saw a change: wake the loop */
	struct observer *obs;          /* one per namespace other than the host's */
	size_t nr_obs;
	char **base_env;
	char *cgroup;                  /* the environment's cgroup, or NULL */
	const char *containment;       /* "cgroup" or "process-group" */
};

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;
	char stamp[UTC_STAMP_MAX];

	fprintf(stderr, "%s supervisor: ", utc_stamp(stamp, sizeof(stamp), NULL, 1));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct proc *find_proc(struct sv *sv, const char *name)
{
	for (size_t i = 0; name && i < sv->nr; i++)
		if (!strcmp(sv->procs[i].def->name, name))
			return &sv->procs[i];
	return NULL;
}

static struct datastore_rt *find_ds(struct sv *sv, const char *name)
{
	for (size_t i = 0; i < sv->nr_ds; i++)
		if (!strcmp(sv->ds[i].def->name, name))
			return &sv->ds[i];
	return NULL;
}

static int load_state(struct sv *sv, struct strbuf *err)
{
	int rc = rt_state_load(&sv->st, sv->envdir, err);

	if (rc > 0)
		strbuf_addf(err, "'%s' has no state.json", sv->envdir);
	if (rc)
		return -1;
	sv->nr = sv->st.processes.nr;
	sv->procs = xcalloc(sv->nr + 1, sizeof(*sv->procs));
	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];

		p->def = RT_AT(sv->st.processes, struct rt_proc, i);
		p->health.def = p->def->health;
		p->ready.def = p->def->ready;
		p->state = RT_P_WAITING;
		p->backoff_ms = SV_BACKOFF_MIN_MS;
	}
	sv->nr_ds = sv->st.datastores.nr;
	sv->ds = xcalloc(sv->nr_ds + 1, sizeof(*sv->ds));
	for (size_t i = 0; i < sv->nr_ds; i++) {
		struct datastore_rt *d = &sv->ds[i];

		d->def = RT_AT(sv->st.datastores, struct rt_datastore, i);
		d->primary = find_proc(sv, d->def->primary);
		d->replica = find_proc(sv, d->def->replica);
	}
	return 0;
}

/* ---- readiness ---- */

/* Under lock for pg members. */
static int proc_ready(struct sv *sv, struct proc *p)
{
	if (p->state != RT_P_RUNNING)
		return 0;
	if (p->def->pg) {
		struct datastore_rt *d = find_ds(sv, p->def->pg->datastore);

		if (d && d->primary == p)
			return p->pg_ok && d->bootstrapped;
		return p->pg_ok && p->pg_ready;
	}
	return (!p->health.def || p->health.ok) && (!p->ready.def || p->ready.ok);
}

/* A dependency is a group: a datastore (its current primary) or a service (any replica). */
static int group_ready(struct sv *sv, const char *group)
{
	struct datastore_rt *d = find_ds(sv, group);

	if (d)
		return d->primary && proc_ready(sv, d->primary);
	for (size_t i = 0; i < sv->nr; i++)
		if (!strcmp(sv->procs[i].def->group, group) && proc_ready(sv, &sv->procs[i]))
			return 1;
	return 0;
}

static int deps_ready(struct sv *sv, struct proc *p)
{
	for (char **d = p->def->depends_on; d && *d; d++)
		if (!group_ready(sv, *d))
			return 0;
	return 1;
}

/*
 * A replica streams as the replication role, which the primary's bootstrap
 * makes: started earlier, it fails with "role does not exist" in its log.
 * So a member that is not its datastore's primary waits for that primary
 * to be ready. The primary itself never waits (after a failover it is the
 * old replica, and must come back on its own).
 */
static int member_may_start(struct sv *sv, struct proc *p)
{
	struct datastore_rt *d = p->def->pg ? find_ds(sv, p->def->pg->datastore) : NULL;
	int ok;

	if (!d)
		return 1;
	pthread_mutex_lock(&sv->lock);
	ok = d->primary == p || (d->primary && proc_ready(sv, d->primary));
	pthread_mutex_unlock(&sv->lock);
	return ok;
}

static void save_runtime(struct sv *sv);

/* ---- processes ---- */

static char **proc_env(struct sv *sv, struct proc *p)
{
	struct strv env = STRV_INIT;

	for (char **e = sv->base_env; *e; e++)
		strv_push(&env, *e);
	for (char **e = p->def->env; e && *e; e++)
		strv_push(&env, *e);
	for (size_t i = 0; i < p->def->secrets.nr; i++) {
		const struct rt_secret *sec = RT_AT(p->def->secrets, struct rt_secret, i);
		struct strbuf val = STRBUF_INIT;

		/* a secret that cannot be read is left out: the process says what it misses */
		if (rt_read_secret(sec->file, &val, NULL) == 0)
			strv_pushf(&env, "%s=%s", sec->var, val.buf);
		else
			logf_("%s: cannot read secret for %s: %s", p->def->name, sec->var,
			      strerror(errno));
		memset(val.buf, 0, val.len);
		strbuf_release(&val);
	}
	strv_pushf(&env, "%s=%s", RT_ENV_MARKER, sv->name);
	strv_pushf(&env, "%s=%s", RT_STATE_MARKER, sv->state);
	return strv_detach(&env);
}

static void wipe_env(char **env)
{
	for (char **e = env; *e; e++)
		memset(*e, 0, strlen(*e));
	strv_free(env);
}

static void check_abandon(struct check *c)
{
	if (c->h) {
		hcheck_release(c->h);
		free(c->h);
		c->h = NULL;
	}
}

static void start_proc(struct sv *sv, struct proc *p)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	struct strbuf err = STRBUF_INIT;
	const struct rt_proc *def = p->def;
	char **env = proc_env(sv, p);
	int fd = open(def->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	cp.argv = (const char **)def->argv;
	cp.env = (const char **)env;
	cp.dir = def->dir;
	cp.out = fd;
	cp.netns = def->netns;
	if (def->user) {
		cp.drop_privileges = 1;
		cp.uid = (uid_t)def->user->uid;
		cp.gid = (gid_t)def->user->gid;
	}
	cp.new_session = 1;
	cp.cgroup = p->cgroup;
	cp.pdeathsig = SIGKILL;   /* never outlive the supervisor, whatever kills it */
	if (fd >= 0 && def->user && fchown(fd, cp.uid, cp.gid) < 0)
		logf_("%s: cannot give its log to uid %d: %s", def->name, (int)cp.uid, strerror(errno));
	if (fd < 0 || start_command(&cp, &err) < 0) {
		if (fd < 0)
			strbuf_addf(&err, "cannot open '%s': %s", def->log, strerror(errno));
		logf_("%s: %s", p->def->name, err.buf);
		snprintf(p->last_exit, sizeof(p->last_exit), "%.90s", err.buf);
		rt_event(sv->envdir, "start-failed", "%s: %s", p->def->name, err.buf);
		p->state = RT_P_BACKOFF;
		/* a start that failed never was healthy: the backoff goes on */
		p->next_start = clock_ms() + sv_restart_delay(&p->backoff_ms, 0, 0);
		p->restarts++;
		goto out;
	}
	pthread_mutex_lock(&sv->lock);
	p->pid = cp.pid;
	p->start_time = cp.start_time;
	p->pg_ok = p->pg_ready = 0;
	pthread_mutex_unlock(&sv->lock);
	p->state = RT_P_RUNNING;
	p->started_at = clock_ms();
	p->healthy_since = 0;
	p->health.ok = p->ready.ok = 0;
	p->health.fails = p->ready.fails = 0;
	p->health.due = p->ready.due = clock_ms() + 20;
	/* a check in flight was for the last run: its answer says nothing of this one */
	check_abandon(&p->health);
	check_abandon(&p->ready);
	p->check_error[0] = '\0';
	p->waiting_noted = 0;
	logf_("%s: started, pid %d", p->def->name, (int)p->pid);
	rt_event(sv->envdir, "start", "%s: pid %d", p->def->name, (int)p->pid);
	/* recorded at once: whoever cleans up after a crash kills by these pids */
	save_runtime(sv);
out:
	if (fd >= 0)
		close(fd);
	wipe_env(env);
	strbuf_release(&err);
	sv->dirty = 1;
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %d", status);
}

static void on_exit_(struct sv *sv, struct proc *p, int status)
{
	long long now = clock_ms();
	int fenced, delay;

	describe_status(p->last_exit, sizeof(p->last_exit), status);
	pthread_mutex_lock(&sv->lock);
	p->pid = 0;
	p->pg_ok = p->pg_ready = 0;
	fenced = p->fenced;
	pthread_mutex_unlock(&sv->lock);
	sv->dirty = 1;
	p->state = sv_exit_state(sv->stopping, fenced);
	if (p->state == RT_P_STOPPED)
		return;
	if (p->state == RT_P_FENCED) {
		logf_("%s: stopped (fenced after failover)", p->def->name);
		return;
	}
	delay = sv_restart_delay(&p->backoff_ms, p->healthy_since, now);
	p->next_start = now + delay;
	logf_("%s: %s; restarting in %d ms", p->def->name, p->last_exit, delay);
	rt_event(sv->envdir, "exit", "%s: %s; restart in %d ms", p->def->name, p->last_exit,
		 delay);
	p->restarts++;
}

/* ---- what a process leaves behind ---- */

/* Is anything of p's last run still there? */
static int leftovers(struct proc *p)
{
	if (p->cgroup)
		return cgroup_populated(p->cgroup) == 1;
	if (p->old_pgid > 0 && !proc_group_alive(p->old_pgid))
		p->old_pgid = 0;
	return p->old_pgid > 0;
}

/*
 * Kill what is left of p's last run; 1 if there was something. A group
 * id is taken while any member lives, so a group with live members is
 * still p's.
 */
static int kill_leftovers(struct proc *p)
{
	if (!leftovers(p))
		return 0;
	if (p->cgroup)
		cgroup_kill(p->cgroup);
	else
		kill(-p->old_pgid, SIGKILL);
	return 1;
}

/*
 * Each exit: before it is reaped, its zombie keeps its pid (and so its
 * process group's id) from being anybody else's; kill what it left. Only
 * our processes are reaped here: the pg thread waits for the programs it
 * runs itself (pg_rewind, pg_basebackup).
 */
static void reap(struct sv *sv)
{
	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];
		siginfo_t si = { 0 };
		int status;

		if (p->pid <= 0 || waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    !si.si_pid)
			continue;
		p->old_pgid = p->cgroup ? 0 : si.si_pid;
		if (kill_leftovers(p)) {
			logf_("%s: exited; killing what it left running", p->def->name);
			rt_event(sv->envdir, "leftovers", "%s: killed what its last run left",
				 p->def->name);
		}
		if (waitpid(si.si_pid, &status, 0) == si.si_pid)
			on_exit_(sv, p, status);
	}
}

static void kill_proc(struct sv *sv, struct proc *p, int sig)
{
	pthread_mutex_lock(&sv->lock);
	if (p->pid > 0)
		kill(-p->pid, sig);
	pthread_mutex_unlock(&sv->lock);
	if (sig == SIGKILL && p->cgroup)
		cgroup_kill(p->cgroup);
}

/* ---- HTTP checks ---- */

static void check_done(struct sv *sv, struct check *c, int ok, const char *why);

/*
 * Why check c failed, in words a person can act on: "GET /healthz
 * answered 404", "connect to 10.213.1.10:8080 refused", "GET /healthz
 * timed out after 1s". `answered`: an answer came, but not a 2xx.
 */
static void check_reason(const struct check *c, int answered, char *buf, size_t len)
{
	const char *url = c->def->url, *host = strstr(url, "://"), *path, *e = c->h->error;
	struct strbuf t = STRBUF_INIT;
	int hl;

	host = host ? host + 3 : url;
	path = host + strcspn(host, "/");
	hl = (int)(path - host);
	if (!*path)
		path = "/";
	if (answered)
		snprintf(buf, len, "GET %s answered %d", path, c->h->status);
	else if (e && !strcmp(e, "connection refused"))
		snprintf(buf, len, "connect to %.*s refused", hl, host);
	else if (e && !strcmp(e, "cannot connect"))
		snprintf(buf, len, "cannot connect to %.*s", hl, host);
	else if (e && !strcmp(e, "timed out")) {
		format_duration_ms(&t, (uint64_t)c->def->timeout_ms);
		snprintf(buf, len, "GET %s timed out after %s", path, t.buf);
	} else {
		snprintf(buf, len, "GET %s: %s", path, e ? e : "failed");
	}
	strbuf_release(&t);
}

static void check_start(struct sv *sv, struct proc *p, struct check *c)
{
	SSL_CTX *tls = !strncmp(c->def->url, "https:", 6) ? sv->tls : NULL;
	char why[160];

	c->h = xcalloc(1, sizeof(*c->h));
	if (hcheck_start(c->h, c->def->url, tls, c->def->timeout_ms, clock_ms()) < 0) {
		check_reason(c, 0, why, sizeof(why));
		check_done(sv, c, 0, why);
	}
}

/*
 * Only failing liveness restarts, and only a process that was healthy:
 * in this run, or in an earlier one and not again within the time
 * `failures` checks at the interval would take (the fast checks after a
 * start must not kill a slow starter).
 */
static int liveness_failed(const struct proc *p, const struct check *c)
{
	return c == &p->health && sv_liveness_failed(c->def, c->fails, p->healthy_since,
						     p->ever_healthy, p->started_at, clock_ms());
}

static void check_done(struct sv *sv, struct check *c, int ok, const char *why)
{
	free(c->h);
	c->h = NULL;
	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];
		int was;

		if (c != &p->health && c != &p->ready)
			continue;
		if (p->state != RT_P_RUNNING)
			return;
		was = proc_ready(sv, p);
		c->ok = ok;
		c->fails = ok ? 0 : c->fails + 1;
		if (!ok && strcmp(p->check_error, why)) {
			snprintf(p->check_error, sizeof(p->check_error), "%s", why);
			sv->dirty = 1;
		}
		if (proc_ready(sv, p))
			p->check_error[0] = '\0';
		/* until it is healthy after a (re)start, look often: it is back the moment it is */
		c->due = clock_ms() + (p->healthy_since ? c->def->interval_ms : FAST_CHECK_MS);
		if (proc_ready(sv, p) != was) {
			sv->dirty = 1;
			if (!was) {
				p->ever_healthy = 1;
				p->healthy_since = clock_ms();
				logf_("%s: healthy", p->def->name);
				rt_event(sv->envdir, "healthy", "%s", p->def->name);
			} else {
				logf_("%s: not healthy (%s: %s)", p->def->name,
				      c == &p->health ? "health check" : "readiness check", why);
			}
		}
		/* only failing liveness restarts; failing readiness only takes it out */
		if (liveness_failed(p, c)) {
			logf_("%s: %d health checks failed; restarting it", p->def->name, c->fails);
			rt_event(sv->envdir, "unhealthy", "%s: %d health checks failed", p->def->name,
				 c->fails);
			kill_proc(sv, p, SIGKILL);
		}
		return;
	}
}

/* Drive a check in flight: its socket was ready, or its time may be up. */
static void check_step(struct sv *sv, struct check *c, int ready)
{
	long long now = clock_ms();
	int rc;

	if (!ready && now < hcheck_deadline(c->h))
		return;
	rc = hcheck_step(c->h, now);
	if (rc != 0) {
		int ok = sv_check_passed(rc, c->h->tcp, c->h->status);
		char why[160] = "";

		if (!ok)
			check_reason(c, rc == 1, why, sizeof(why));
		check_done(sv, c, ok, why);
	}
}

/* Start the checks that are due. */
static void checks_tick(struct sv *sv)
{
	long long now = clock_ms();

	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];
		struct check *cs[] = { &p->health, &p->ready };

		if (p->state != RT_P_RUNNING || sv->stopping)
			continue;
		for (size_t k = 0; k < 2; k++)
			if (cs[k]->def && !cs[k]->h && cs[k]->due <= now)
				check_start(sv, p, cs[k]);
	}
}

/* ---- PostgreSQL thread ---- */

static void wake(struct sv *sv)
{
	uint64_t one = 1;

	if (write(sv->evfd, &one, sizeof(one)) < 0) {
		/* the loop wakes on its timer anyway */
	}
}

static void bootstrap(struct sv *sv, struct datastore_rt *d, struct proc *p)
{
	struct strbuf err = STRBUF_INIT, pw = STRBUF_INIT, rpw = STRBUF_INIT;

	if (rt_read_secret(d->def->password_file, &pw, NULL) < 0 ||
	    rt_read_secret(d->def->replication_password_file, &rpw, NULL) < 0) {
		logf_("%s: cannot read its passwords: %s", d->def->name, strerror(errno));
	} else if (pg_bootstrap(p->def->pg->sockdir, p->def->pg->port, d->def->database, d->def->username, pw.buf, rpw.buf,
				&err) < 0) {
		logf_("%s: bootstrap: %s", d->def->name, err.buf);
	} else {
		pthread_mutex_lock(&sv->lock);
		d->bootstrapped = 1;
		sv->pg_changed = 1;
		pthread_mutex_unlock(&sv->lock);
		logf_("%s: roles and database ready", d->def->name);
	}
	memset(pw.buf, 0, pw.len);
	memset(rpw.buf, 0, rpw.len);
	strbuf_release(&pw);
	strbuf_release(&rpw);
	strbuf_release(&err);
}

/* ---- the replica's lag ---- */

/* Lag from the last samples: the primary's was taken before the replica's. */
static struct rt_lag lag_of(const struct datastore_rt *d, long long now)
{
	struct rt_lag l = { 0 };

	if (!d->have_prim_pos || !d->have_rep_pos)
		return l;
	l.streaming = d->prim_pos.streaming;
	if (d->prim_pos.lsn > d->rep_pos.lsn)
		l.bytes = (int64_t)(d->prim_pos.lsn - d->rep_pos.lsn);
	if (d->prim_pos.xmax > d->rep_pos.xmax)
		l.transactions = (int64_t)(d->prim_pos.xmax - d->rep_pos.xmax);
	l.writes = d->writes_known ? d->writes : l.transactions;
	if (l.writes)
		l.ms = now - d->caught_up_at;
	return l;
}

/*
 * Sample where the primary is (only when the host reaches it: a frozen
 * one would hold the probe for its connect timeout; its last sample then
 * stands) and where the replica is, in that order, so that a replica
 * holding the primary's horizon had every transaction ended by then.
 */
static void sample_lag(struct sv *sv, struct datastore_rt *d, struct proc *prim,
		       struct proc *rep, int prim_answered)
{
	struct pg_position pos;
	long long now = clock_ms();

	if (prim && prim_answered &&
	    pg_primary_position(prim->def->pg->sockdir, prim->def->pg->port,
				rep ? rep->def->name : "", &pos) == 0) {
		d->prim_pos = pos;
		d->prim_pos_at = now;
		d->have_prim_pos = 1;
	}
	if (rep && rep->pid > 0 && rep->pg_ok &&
	    pg_standby_position(rep->def->pg->sockdir, rep->def->pg->port, &pos) == 0) {
		d->rep_pos = pos;
		d->have_rep_pos = 1;
	}
	/* what the replica lacks: rows of user tables, if the WAL can say (not ANALYZE's) */
	if (d->have_prim_pos && d->have_rep_pos && (d->rep_pos.xmax >= d->prim_pos.xmax ||
						    d->rep_pos.lsn >= d->prim_pos.lsn)) {
		d->writes = 0;
		d->writes_known = 1;
	} else if (prim && prim_answered && d->have_rep_pos) {
		int64_t w;

		d->writes_known = pg_writes_since(prim->def->pg->sockdir, prim->def->pg->port,
						  d->rep_pos.lsn, &w) == 0;
		d->writes = d->writes_known ? w : 0;
	}
	if (!d->caught_up_at || (d->writes_known && !d->writes) ||
	    (d->have_prim_pos && d->have_rep_pos && d->rep_pos.xmax >= d->prim_pos.xmax))
		d->caught_up_at = now;
	pthread_mutex_lock(&sv->lock);
	d->lag = lag_of(d, now);
	pthread_mutex_unlock(&sv->lock);
}

static void describe_lag(char *buf, size_t len, const struct rt_lag *l)
{
	snprintf(buf, len, "%lld writes (%lld transactions, %lld bytes of WAL, %lld ms behind)",
		 (long long)l->writes, (long long)l->transactions, (long long)l->bytes,
		 (long long)l->ms);
}

/* ---- failover ---- */

/*
 * Fence the old primary (it must never take writes again: kill its
 * process group, and it is not restarted), then promote the replica.
 * The replica's lag, as measured just before, is what was dropped.
 */
static void failover(struct sv *sv, struct datastore_rt *d, const char *why,
		     const struct rt_lag *lag, long long detected_ms, int accepted)
{
	struct proc *old = d->primary, *new = d->replica;
	struct strbuf err = STRBUF_INIT;
	long long t0 = clock_ms();
	char l[160];

	describe_lag(l, sizeof(l), lag);
	logf_("%s: failover: %s; replica lag %s; fencing %s, promoting %s", d->def->name, why, l,
	      old->def->name, new->def->name);
	rt_event(sv->envdir, "failover", "%s: %s; replica lag %s; fencing %s, promoting %s",
		 d->def->name, why, l, old->def->name, new->def->name);
	pthread_mutex_lock(&sv->lock);
	old->fenced = 1;
	sv->pg_changed = 1;
	if (old->pid > 0)
		kill(-old->pid, SIGKILL);
	pthread_mutex_unlock(&sv->lock);
	if (old->cgroup)
		cgroup_kill(old->cgroup);
	if (pg_promote(new->def->pg->sockdir, new->def->pg->port, &err) < 0) {
		logf_("%s: %s", d->def->name, err.buf);
		rt_event(sv->envdir, "failover-failed", "%s: %s", d->def->name, err.buf);
		strbuf_release(&err);
		return;
	}
	pthread_mutex_lock(&sv->lock);
	d->primary = new;
	sv->pg_changed = 1;
	d->replica = NULL;
	d->failovers++;
	d->last = (struct promotion){ .time = time(NULL), .from = old->def->name,
				      .to = new->def->name, .detected_ms = detected_ms,
				      .promoted_ms = clock_ms() - t0, .lag = *lag,
				      .accepted = accepted };
	snprintf(d->last.reason, sizeof(d->last.reason), "%s", why);
	d->attention_reason[0] = '\0';
	d->have_prim_pos = d->have_rep_pos = d->writes_known = 0;
	d->fenced_member = old;
	d->next_reprotect = 0;
	d->lag = (struct rt_lag){ 0 };
	snprintf(d->degraded, sizeof(d->degraded), "no replica since the failover: %s is fenced",
		 old->def->name);
	pthread_mutex_unlock(&sv->lock);
	logf_("%s: %s is the primary (promoted in %lld ms, %lld writes dropped)",
	      d->def->name, new->def->name, clock_ms() - t0, (long long)lag->writes);
	rt_event(sv->envdir, "promoted", "%s: %s is the primary; %lld writes dropped%s",
		 d->def->name, new->def->name, (long long)lag->writes,
		 accepted ? " (data loss accepted)" : "");
	strbuf_release(&err);
}

/* Wait for a person: the reason and the estimate, in runtime.json and (once) the events. */
static void needs_attention(struct sv *sv, struct datastore_rt *d, const char *why,
			    const struct rt_lag *loss, int requested)
{
	int first;

	pthread_mutex_lock(&sv->lock);
	first = !d->attention_reason[0];
	snprintf(d->attention_reason, sizeof(d->attention_reason), "%s", why);
	if (first)
		d->attention_since = time(NULL);
	d->attention_loss = *loss;
	d->attention_until = requested ? clock_ms() + REFUSED_SHOWN_MS : 0;
	sv->pg_changed = 1;
	pthread_mutex_unlock(&sv->lock);
	if (first) {
		logf_("%s: needs a person: %s", d->def->name, why);
		rt_event(sv->envdir, "needs-attention", "%s: %s", d->def->name, why);
	}
}

/*
 * Promote if what it would lose is within failover.rpo (or a person
 * accepted the loss); else say that a person must decide. The estimate is
 * taken again now: the replica may have caught up since the last probe.
 */
static void try_failover(struct sv *sv, struct datastore_rt *d, const char *why,
			 long long detected_ms, int accepted)
{
	struct proc *prim = d->primary, *rep = d->replica;
	int64_t rpo = sv->st.failover.rpo_ms;
	struct rt_lag loss;
	struct strbuf msg = STRBUF_INIT;
	char l[160], rpo_s[32];

	sample_lag(sv, d, prim, rep, prim->pg_ok && !prim->pg_fails);
	loss = lag_of(d, clock_ms());
	if (!accepted && (!d->have_prim_pos || !d->have_rep_pos)) {
		strbuf_addf(&msg, "%s, but %s's lag is unknown (its position was never read); "
			    "'provisioner failover %s --accept-data-loss' promotes it anyway", why,
			    rep->def->name, sv->name);
		needs_attention(sv, d, msg.buf, &loss, !detected_ms);
		strbuf_release(&msg);
		return;
	}
	if (sv_within_rpo(&loss, rpo, accepted)) {
		failover(sv, d, why, &loss, detected_ms, accepted);
		return;
	}
	describe_lag(l, sizeof(l), &loss);
	snprintf(rpo_s, sizeof(rpo_s), "%lld ms", (long long)rpo);
	strbuf_addf(&msg, "%s, but promoting %s would lose at least %s (failover.rpo %s; "
		    "the primary was last read %lld ms ago); 'provisioner failover %s "
		    "--accept-data-loss' promotes it anyway", why, rep->def->name, l,
		    rpo ? rpo_s : "0: no loss", clock_ms() - d->prim_pos_at, sv->name);
	needs_attention(sv, d, msg.buf, &loss, !detected_ms);
	strbuf_release(&msg);
}

/* ---- re-protection ---- */

/* The value of `-D` (after "-D") or of "key=" inside an argument of argv, or NULL. */
static char *argv_value(char **argv, const char *key)
{
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *at;

		if (!strcmp(key, "-D") && !strcmp(argv[i], "-D") && argv[i + 1])
			return xstrdup(argv[i + 1]);
		if (strcmp(key, "-D") && (at = strstr(argv[i], key)))
			return xstrndup(at + strlen(key), strcspn(at + strlen(key), " "));
	}
	return NULL;
}

/* Can something in this namespace reach host:port? A refusal is an answer too. */
static int tcp_reachable(const char *host, int port, int timeout_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, ret = 0, e = 0;
	socklen_t len = sizeof(e);
	struct pollfd pfd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == ECONNREFUSED) {
		ret = 1;
	} else if (errno == EINPROGRESS) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, timeout_ms) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0)
			ret = e == 0 || e == ECONNREFUSED;
	}
	close(fd);
	return ret;
}

/*
 * Is the old primary's address reachable from the new primary's region?
 * Its observer there says so (loopback: no namespaces, always).
 */
static int region_back(struct sv *sv, struct proc *old, struct proc *prim)
{
	size_t idx = (size_t)(old - sv->procs);
	int seen = 0, ret = 0;

	pthread_mutex_lock(&sv->lock);
	for (size_t i = 0; i < sv->nr_obs; i++)
		if (sv->obs[i].started && !strcmp(sv->obs[i].region, prim->def->region)) {
			seen = 1;
			ret |= clock_ms() - sv->obs[i].last_ok[idx] < 2000;
		}
	pthread_mutex_unlock(&sv->lock);
	return seen ? ret : 1;
}

static void set_degraded(struct sv *sv, struct datastore_rt *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_degraded(struct sv *sv, struct datastore_rt *d, const char *fmt, ...)
{
	char buf[sizeof(d->degraded)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&sv->lock);
	if (strcmp(d->degraded, buf)) {
		memcpy(d->degraded, buf, sizeof(buf));
		sv->pg_changed = 1;
	}
	pthread_mutex_unlock(&sv->lock);
}

/*
 * After a failover, once the old primary's region is reachable again,
 * rebuild the old primary as a standby of the new one (pg_rewind, else
 * pg_basebackup, as the environment's user) and start it again: the
 * datastore is degraded, with the reason, until it streams.
 */
static void reprotect(struct sv *sv, struct datastore_rt *d, struct proc *prim)
{
	struct proc *old = d->fenced_member;
	char *datadir = NULL, *bindir = NULL, *passfile = NULL, *conninfo = NULL, *backup = NULL;
	struct strbuf err = STRBUF_INIT;
	struct pg_owner owner = { 0 };
	struct pg_rebuild r;
	const char *how;
	int pid;

	pthread_mutex_lock(&sv->lock);
	pid = old->pid;
	pthread_mutex_unlock(&sv->lock);
	if (pid > 0 || clock_ms() < d->next_reprotect)
		return;
	if (!region_back(sv, old, prim)) {
		set_degraded(sv, d, "no replica since the failover: %s's region is unreachable",
			     old->def->name);
		return;
	}
	datadir = argv_value(old->def->argv, "-D");
	/* the planned replica's passfile serves whichever member streams */
	for (size_t i = 0; i < sv->nr && !passfile; i++)
		if (sv->procs[i].def->pg && !strcmp(sv->procs[i].def->pg->datastore, d->def->name))
			passfile = argv_value(sv->procs[i].def->argv, "passfile=");
	if (!datadir || !passfile) {
		set_degraded(sv, d, "no replica since the failover: cannot rebuild %s (no data "
			     "directory or passfile in its plan)", old->def->name);
		d->next_reprotect = LLONG_MAX;
		goto out;
	}
	bindir = xstrndup(old->def->argv[0], strrchr(old->def->argv[0], '/') - old->def->argv[0]);
	if (old->def->user)
		owner = (struct pg_owner){ .drop = 1, .uid = (uid_t)old->def->user->uid,
					   .gid = (gid_t)old->def->user->gid };
	conninfo = xasprintf("host=%s port=%d user=%s passfile=%s application_name=%s "
			     "connect_timeout=2", prim->def->pg->host, prim->def->pg->port,
			     PG_REPL_USER, passfile, old->def->name);
	backup = xasprintf("host=%s port=%d user=%s passfile=%s", prim->def->pg->host,
			   prim->def->pg->port, PG_REPL_USER, passfile);
	r = (struct pg_rebuild){ .bindir = bindir, .datadir = datadir,
				 .source_sockdir = prim->def->pg->sockdir,
				 .source_port = prim->def->pg->port, .backup_conninfo = backup,
				 .conninfo = conninfo, .owner = &owner };
	set_degraded(sv, d, "no replica since the failover: rebuilding %s as a replica of %s",
		     old->def->name, prim->def->name);
	logf_("%s: rebuilding %s as a replica of %s", d->def->name, old->def->name, prim->def->name);
	if (pg_rebuild_standby(&r, &how, &err) < 0) {
		logf_("%s: cannot rebuild %s: %s", d->def->name, old->def->name, err.buf);
		rt_event(sv->envdir, "reprotect-failed", "%s: %s: %s", d->def->name,
			 old->def->name, err.buf);
		set_degraded(sv, d, "no replica since the failover: rebuilding %s failed (see "
			     "events.log); trying again", old->def->name);
		d->next_reprotect = clock_ms() + REPROTECT_RETRY_MS;
		goto out;
	}
	logf_("%s: %s rebuilt with %s; starting it as a replica", d->def->name, old->def->name, how);
	rt_event(sv->envdir, "reprotect", "%s: %s rebuilt with %s as a replica of %s",
		 d->def->name, old->def->name, how, prim->def->name);
	pthread_mutex_lock(&sv->lock);
	d->replica = old;
	d->fenced_member = NULL;
	old->fenced = 0;          /* the loop starts it again */
	old->pg_ready = 0;
	d->caught_up_at = 0;
	sv->pg_changed = 1;
	pthread_mutex_unlock(&sv->lock);
	set_degraded(sv, d, "%s rebuilt as a replica of %s (%s); not streaming yet",
		     old->def->name, prim->def->name, how);
out:
	free(datadir);
	free(bindir);
	free(passfile);
	free(conninfo);
	free(backup);
	strbuf_release(&err);
}

/* ---- observers ---- */

static void *observer_main(void *arg)
{
	struct observer *o = arg;
	struct sv *sv = o->sv;
	char *path = o->ns ? xasprintf("/run/netns/%s", o->ns) : NULL;
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;

	/* a network namespace is per thread: only this one moves (the host's stays) */
	if (path && (fd < 0 || setns(fd, CLONE_NEWNET) < 0)) {
		logf_("observer in %s: cannot enter it: %s", o->ns, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(path);
		return NULL;
	}
	if (fd >= 0)
		close(fd);
	free(path);
	while (!sv->quit) {
		for (size_t i = 0; i < sv->nr && !sv->quit; i++) {
			struct proc *p = &sv->procs[i];
			int alive, fenced;

			pthread_mutex_lock(&sv->lock);
			alive = p->def->pg && p->pid > 0 && !p->fenced;
			fenced = p->def->pg && p->fenced;
			pthread_mutex_unlock(&sv->lock);
			/* a fenced member: is its address reachable again (for re-protection)? */
			if ((alive && pg_ping(p->def->pg->host, p->def->pg->port, 1)) ||
			    (fenced && tcp_reachable(p->def->pg->host, p->def->pg->port, 1000))) {
				pthread_mutex_lock(&sv->lock);
				o->last_ok[i] = clock_ms();
				pthread_mutex_unlock(&sv->lock);
			}
		}
		usleep(200 * 1000);
	}
	return NULL;
}

/*
 * An observer on the host (the first: the pg thread asks it whether the
 * primary answers before it asks the primary itself, so that a frozen one
 * does not hold every probe for a connect timeout) and one in every
 * namespace: the gateway's and each region's.
 */
static void start_observers(struct sv *sv)
{
	long long now = clock_ms();

	sv->nr_obs = sv->st.net.nr_ns + 1;
	sv->obs = xcalloc(sv->nr_obs + 1, sizeof(*sv->obs));
	for (size_t i = 0; i < sv->nr_obs; i++) {
		struct observer *o = &sv->obs[i];
		const struct rt_ns *ns = i ? &sv->st.net.ns[i - 1] : NULL;

		o->sv = sv;
		o->ns = ns ? ns->name : NULL;
		o->region = ns && ns->region ? ns->region : "";
		o->last_ok = xcalloc(sv->nr + 1, sizeof(*o->last_ok));
		for (size_t k = 0; k < sv->nr; k++)
			o->last_ok[k] = now;
		o->started = pthread_create(&o->thread, NULL, observer_main, o) == 0;
	}
}

static void stop_observers(struct sv *sv)
{
	for (size_t i = 0; i < sv->nr_obs; i++) {
		if (sv->obs[i].started)
			pthread_join(sv->obs[i].thread, NULL);
		free(sv->obs[i].last_ok);
	}
	free(sv->obs);
}

/*
 * How long a majority of p's observers has not reached it: the host and
 * every namespace outside p's region (its own region's view says nothing
 * about what clients see); the host's observer counts in every case. *down: how many have not reached it within
 * `after`; *n: how many observe.
 */
static long long unreachable_ms(struct sv *sv, struct proc *p, long long after, int *down,
				int *n)
{
	long long *seen = xcalloc(sv->nr_obs + 1, sizeof(*seen)), now = clock_ms(), ms;
	size_t idx = (size_t)(p - sv->procs);
	int k = 0;

	pthread_mutex_lock(&sv->lock);
	for (size_t i = 0; i < sv->nr_obs; i++)
		if (sv->obs[i].started && strcmp(sv->obs[i].region, p->def->region))
			seen[k++] = sv->obs[i].last_ok[idx];
	pthread_mutex_unlock(&sv->lock);
	*n = k;
	*down = 0;
	for (int i = 0; i < k; i++)
		*down += now - seen[i] >= after;
	ms = sv_majority_unreachable(seen, k, now);
	free(seen);
	return ms;
}

/*
 * One slow answer on a loaded CI runner is not an outage: a member that was
 * up counts as down after two failed probes in a row (the failover clock
 * runs from its last good probe either way).
 */
static int probe_ok(struct proc *p, int answered)
{
	return sv_member_up(&p->pg_fails, p->pid > 0, answered, p->pg_ok);
}

/* Has the host's observer reached p lately? If not, asking it would only wait. */
static int host_saw(struct sv *sv, struct proc *p)
{
	int saw;

	pthread_mutex_lock(&sv->lock);
	saw = clock_ms() - sv->obs[0].last_ok[p - sv->procs] < HOST_FRESH_MS;
	pthread_mutex_unlock(&sv->lock);
	return saw;
}

static void probe_datastore(struct sv *sv, struct datastore_rt *d)
{
	struct proc *prim, *rep;
	long long now = clock_ms(), gone;
	int promote, ok, answered = 0, down = 0, n = 0;
	enum sv_failover choice;

	pthread_mutex_lock(&sv->lock);
	prim = d->primary;
	rep = d->replica;
	promote = d->promote;
	d->promote = PROMOTE_NO;
	pthread_mutex_unlock(&sv->lock);
	if (prim) {
		answered = prim->pid > 0 && host_saw(sv, prim) &&
			   pg_ping(prim->def->pg->host, prim->def->pg->port, 1);
		ok = probe_ok(prim, answered);
		pthread_mutex_lock(&sv->lock);
		sv->pg_changed |= prim->pg_ok != ok;
		prim->pg_ok = ok;
		pthread_mutex_unlock(&sv->lock);
		if (answered && !d->bootstrapped)
			bootstrap(sv, d, prim);
	}
	if (rep) {
		int ready;

		ok = probe_ok(rep, rep->pid > 0 && pg_ping(rep->def->pg->host, rep->def->pg->port, 1));
		pthread_mutex_lock(&sv->lock);
		rep->pg_ok = ok;
		pthread_mutex_unlock(&sv->lock);
		sample_lag(sv, d, prim, rep, answered);
		pthread_mutex_lock(&sv->lock);
		/* once streaming, a replica stays ready while its primary is away */
		ready = (ok && answered && d->lag.streaming) || (ok && rep->pg_ready);
		if (answered && !d->lag.streaming)
			ready = 0;
		sv->pg_changed |= rep->pg_ready != ready;
		rep->pg_ready = ready;
		pthread_mutex_unlock(&sv->lock);
	}
	if (prim && !rep && d->fenced_member && answered && d->bootstrapped && !sv->stopping)
		reprotect(sv, d, prim);
	if (rep && d->degraded[0] && rep->pg_ready && d->lag.streaming) {
		set_degraded(sv, d, "%s", "");
		logf_("%s: %s streams from %s: protected again", d->def->name, rep->def->name,
		      prim->def->name);
		rt_event(sv->envdir, "protected", "%s: %s streams from %s", d->def->name,
			 rep->def->name, prim->def->name);
	}
	gone = prim ? unreachable_ms(sv, prim, sv->st.failover.after_ms, &down, &n) : 0;
	choice = sv_failover_choice(&(struct sv_failover_view){
		.primary = !!prim, .replica = !!rep, .replica_up = rep && rep->pg_ok,
		.stopping = sv->stopping, .requested = promote,
		.automatic = sv->st.failover.automatic, .bootstrapped = d->bootstrapped,
		.unreachable_ms = gone, .after_ms = sv->st.failover.after_ms });
	if (choice == SV_FAILOVER_REQUESTED) {
		try_failover(sv, d, "failover requested", 0, promote == PROMOTE_ACCEPT_LOSS);
	} else if (choice == SV_FAILOVER_AUTOMATIC) {
		char why[160];

		snprintf(why, sizeof(why), "%s unreachable for %lld ms by %d of %d observers "
			 "(threshold %lld ms)", prim->def->name, gone, down, n,
			 (long long)sv->st.failover.after_ms);
		try_failover(sv, d, why, gone, 0);
	} else if (d->attention_reason[0] && gone < sv->st.failover.after_ms &&
		   (!d->attention_until || now >= d->attention_until)) {
		pthread_mutex_lock(&sv->lock);
		d->attention_reason[0] = '\0';
		sv->pg_changed = 1;
		pthread_mutex_unlock(&sv->lock);
		logf_("%s: %s answers again: no failover needed", d->def->name, prim->def->name);
		rt_event(sv->envdir, "attention-cleared", "%s: %s answers again", d->def->name,
			 prim->def->name);
	}
}

static void *pg_main(void *arg)
{
	struct sv *sv = arg;

	while (!sv->quit) {
		int changed;

		for (size_t i = 0; i < sv->nr_ds && !sv->quit; i++)
			probe_datastore(sv, &sv->ds[i]);
		pthread_mutex_lock(&sv->lock);
		changed = sv->pg_changed;
		sv->pg_changed = 0;
		pthread_mutex_unlock(&sv->lock);
		if (changed)
			wake(sv);
		usleep(200 * 1000);
	}
	return NULL;
}

/* ---- runtime.json and the control socket ---- */

/* Why a running PostgreSQL member is not ready, from what the probes saw (under lock). */
static char *pg_reason(struct sv *sv, struct proc *p)
{
	struct datastore_rt *d = find_ds(sv, p->def->pg->datastore);

	if (p->state != RT_P_RUNNING)
		return xstrdup("");
	if (!p->pg_ok)
		return xasprintf("no answer on %s:%d", p->def->pg->host, p->def->pg->port);
	if (d && d->primary == p)
		return xstrdup(d->bootstrapped ? "" : "its roles and database are not made yet");
	return xstrdup(p->pg_ready ? "" : "not streaming from the primary");
}

static struct rt_promotion *promotion_doc(const struct promotion *p)
{
	struct rt_promotion *r = xcalloc(1, sizeof(*r));

	r->time = (int64_t)p->time;
	r->from = xstrdup(p->from);
	r->to = xstrdup(p->to);
	r->reason = xstrdup(p->reason);
	r->detected_ms = p->detected_ms;
	r->promoted_ms = p->promoted_ms;
	r->lag = p->lag;
	r->accepted_data_loss = p->accepted;
	return r;
}

/* What runtime.json says and the socket answers: the processes and datastores now. */
static void runtime_doc(struct sv *sv, struct rt_runtime *rt)
{
	rt_runtime_init(rt);
	rt->healthy = !sv->stopping;
	pthread_mutex_lock(&sv->lock);
	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];
		struct rt_proc_now *n = yarray_push(&rt->processes, sizeof(*n));

		n->name = xstrdup(p->def->name);
		n->pid = (int)p->pid;
		n->start_time = (int64_t)p->start_time;
		n->state = p->state;
		n->healthy = proc_ready(sv, p);
		n->restarts = p->restarts;
		n->last_exit = xstrdup(p->last_exit);
		n->check_error = n->healthy ? xstrdup("") : p->def->pg ? pg_reason(sv, p)
								: xstrdup(p->check_error);
		if (p->state != RT_P_FENCED && !n->healthy)
			rt->healthy = 0;
	}
	for (size_t i = 0; i < sv->nr_ds; i++) {
		struct datastore_rt *d = &sv->ds[i];
		struct rt_datastore_now *n = yarray_push(&rt->datastores, sizeof(*n));

		n->name = xstrdup(d->def->name);
		n->primary = d->primary ? xstrdup(d->primary->def->name) : NULL;
		n->replica = d->replica ? xstrdup(d->replica->def->name) : NULL;
		n->failovers = d->failovers;
		if (d->failovers)
			n->last_failover = promotion_doc(&d->last);
		n->bootstrapped = d->bootstrapped;
		n->lag = d->lag;
		if (d->replica && d->have_rep_pos)
			n->replay_lsn = xasprintf("%X/%X", (unsigned)(d->rep_pos.lsn >> 32),
						  (unsigned)d->rep_pos.lsn);
		if (d->attention_reason[0]) {
			n->attention = xcalloc(1, sizeof(*n->attention));
			n->attention->reason = xstrdup(d->attention_reason);
			n->attention->since = (int64_t)d->attention_since;
			n->attention->loss = d->attention_loss;
		}
		if (d->degraded[0])
			n->degraded = xstrdup(d->degraded);
	}
	pthread_mutex_unlock(&sv->lock);
	rt->supervisor.pid = (int)getpid();
	rt->supervisor.start_time = (int64_t)proc_start_time(getpid());
	rt->supervisor.containment = xstrdup(sv->containment);
	rt->supervisor.cgroup = sv->cgroup ? xstrdup(sv->cgroup) : NULL;
	rt->phase = sv->stopping ? RT_SV_STOPPING : RT_SV_RUNNING;
	rt->updated = (int64_t)time(NULL);
}

static void save_runtime(struct sv *sv)
{
	struct rt_runtime rt;

	runtime_doc(sv, &rt);
	rt_runtime_save(&rt, sv->envdir, NULL);
	rt_runtime_release(&rt);
	sv->dirty = 0;
}

static void begin_stop(struct sv *sv)
{
	if (sv->stopping)
		return;
	sv->stopping = 1;
	sv->stop_deadline = clock_ms() + STOP_GRACE_MS;
	logf_("stopping everything");
	for (size_t i = sv->nr; i-- > 0;) {
		struct proc *p = &sv->procs[i];

		if (p->state == RT_P_RUNNING)
			kill_proc(sv, p, p->def->stop_signal);
		else
			p->state = p->state == RT_P_FENCED ? RT_P_FENCED : RT_P_STOPPED;
	}
	sv->dirty = 1;
}

/* "failover DS" (within failover.rpo) or "failover DS accept-data-loss": the pg thread does it. */
static void request_failover(struct sv *sv, char *arg, struct strbuf *out)
{
	char *how = strchr(arg, ' ');
	struct datastore_rt *d;

	if (how)
		*how++ = '\0';
	d = find_ds(sv, arg);
	if (!d || (how && strcmp(how, "accept-data-loss"))) {
		strbuf_addf(out, "error: cannot fail over '%s'", arg);
		return;
	}
	pthread_mutex_lock(&sv->lock);
	d->promote = how ? PROMOTE_ACCEPT_LOSS : PROMOTE_WITHIN_RPO;
	pthread_mutex_unlock(&sv->lock);
	strbuf_addf(out, "failover of %s requested", arg);
}

static void control(struct sv *sv)
{
	int fd = accept4(sv->ctlfd, NULL, NULL, SOCK_CLOEXEC);
	char buf[256], *nl, *arg;
	struct strbuf out = STRBUF_INIT;
	struct timeval tv = { 1, 0 };
	ssize_t n;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		goto out;
	buf[n] = 0;
	if ((nl = strchr(buf, '\n')))
		*nl = 0;
	arg = strchr(buf, ' ');
	if (arg)
		*arg++ = 0;
	if (!strcmp(buf, "status")) {
		struct rt_runtime rt;
		char *s;

		runtime_doc(sv, &rt);
		s = rt_runtime_encode(&rt, 0);
		strbuf_addstr(&out, s);
		strbuf_rtrim(&out);
		free(s);
		rt_runtime_release(&rt);
	} else if (!strcmp(buf, "stop")) {
		begin_stop(sv);
		strbuf_addstr(&out, "stopping");
	} else if (!strcmp(buf, "restart") && arg && find_proc(sv, arg)) {
		kill_proc(sv, find_proc(sv, arg), SIGKILL);
		strbuf_addf(&out, "restarting %s", arg);
	} else if (!strcmp(buf, "failover") && arg) {
		request_failover(sv, arg, &out);
	} else {
		strbuf_addf(&out, "error: unknown request '%s'", buf);
	}
	strbuf_addch(&out, '\n');
	if (write(fd, out.buf, out.len) < 0) {
		/* the client went away */
	}
out:
	close(fd);
	strbuf_release(&out);
}

static int listen_control(struct sv *sv, struct strbuf *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = sv->st.socket;
	int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		strbuf_addf(err, "socket path too long: '%s'", path);
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		strbuf_addf(err, "cannot listen on '%s': %s", path, strerror(errno));
		goto fail;
	}
	sv->ctlfd = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* ---- the loop ---- */

/*
 * A process starts again only once nothing of its last run is left (a
 * worker still holding its port would make it fail, or answer its checks
 * for it): kill what is there and look again shortly.
 */
static int last_run_gone(struct proc *p)
{
	if (!kill_leftovers(p))
		return 1;
	if (!p->waiting_noted)
		logf_("%s: waiting for what is left of its last run to exit", p->def->name);
	p->waiting_noted = 1;
	return 0;
}

static int fenced(struct sv *sv, struct proc *p)
{
	int f;

	pthread_mutex_lock(&sv->lock);
	f = p->fenced;
	pthread_mutex_unlock(&sv->lock);
	return f;
}

static long long schedule(struct sv *sv)
{
	long long now = clock_ms(), next = now + 500;
	int due;

	for (size_t i = 0; i < sv->nr; i++) {
		struct proc *p = &sv->procs[i];

		if (sv->stopping)
			break;
		if (p->state == RT_P_FENCED && !fenced(sv, p))
			p->state = RT_P_WAITING;   /* re-protected: it runs again, as a replica */
		due = p->state == RT_P_WAITING || (p->state == RT_P_BACKOFF && p->next_start <= now);
		if (due && deps_ready(sv, p) && member_may_start(sv, p)) {
			if (last_run_gone(p))
				start_proc(sv, p);
			else
				p->next_start = now + LEFTOVER_POLL_MS;
		}
		if ((p->state == RT_P_BACKOFF || (p->state == RT_P_WAITING && p->waiting_noted)) &&
		    p->next_start < next)
			next = p->next_start;
		if (p->state == RT_P_RUNNING) {
			if (p->health.def && !p->health.h && p->health.due < next)
				next = p->health.due;
			if (p->ready.def && !p->ready.h && p->ready.due < next)
				next = p->ready.due;
		}
	}
	return next;
}

static int all_stopped(struct sv *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		if (sv->procs[i].pid > 0 || leftovers(&sv->procs[i]))
			return 0;
	return 1;
}

static void handle_signals(struct sv *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(sv);
		else
			begin_stop(sv);
	}
	reap(sv);
}

#define MAX_POLL 1024

/* The in-flight checks' sockets after the three fixed ones; returns the count. */
static size_t poll_set(struct sv *sv, struct pollfd *fds, struct check **owner)
{
	size_t n = 3;

	fds[0] = (struct pollfd){ .fd = sv->sigfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = sv->ctlfd, .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = sv->evfd, .events = POLLIN };
	for (size_t i = 0; i < sv->nr && n + 2 <= MAX_POLL; i++) {
		struct check *cs[] = { &sv->procs[i].health, &sv->procs[i].ready };

		for (size_t k = 0; k < 2; k++)
			if (cs[k]->h) {
				owner[n] = cs[k];
				fds[n++] = (struct pollfd){ .fd = cs[k]->h->fd,
							   .events = hcheck_events(cs[k]->h) };
			}
	}
	return n;
}

static long long check_deadlines(struct sv *sv, long long next)
{
	for (size_t i = 0; i < sv->nr; i++) {
		struct check *cs[] = { &sv->procs[i].health, &sv->procs[i].ready };

		for (size_t k = 0; k < 2; k++)
			if (cs[k]->h && hcheck_deadline(cs[k]->h) < next)
				next = hcheck_deadline(cs[k]->h);
	}
	return next;
}

static void loop(struct sv *sv)
{
	static struct pollfd fds[MAX_POLL];
	static struct check *owner[MAX_POLL];

	while (!(sv->stopping && all_stopped(sv))) {
		long long next = check_deadlines(sv, schedule(sv)), timeout = next - clock_ms();
		size_t n = poll_set(sv, fds, owner);
		uint64_t v;

		if (sv->stopping && clock_ms() >= sv->stop_deadline)
			for (size_t i = 0; i < sv->nr; i++)
				kill_proc(sv, &sv->procs[i], SIGKILL);
		if (timeout < 0)
			timeout = 0;
		if (sv->stopping && timeout > 50)
			timeout = 50;
		if (poll(fds, n, (int)timeout) < 0 && errno != EINTR)
			continue;
		if (fds[0].revents)
			handle_signals(sv);
		if (fds[1].revents)
			control(sv);
		if (fds[2].revents && read(sv->evfd, &v, sizeof(v)) > 0)
			sv->dirty = 1;
		for (size_t i = 3; i < n; i++)
			if (owner[i]->h && owner[i]->h->fd == fds[i].fd)
				check_step(sv, owner[i], fds[i].revents != 0);
		checks_tick(sv);
		/* every change at once: runtime.json is what readers fall back on */
		if (sv->dirty)
			save_runtime(sv);
	}
}

/*
 * A cgroup for each process, and one for ourselves, under the
 * environment's (as root, with cgroup2 mounted and a user of its own);
 * else each process's own process group is all that keeps its children
 * together. Which one is in runtime.json, for `status`.
 */
static void contain(struct sv *sv)
{
	struct strbuf err = STRBUF_INIT;
	char *cg = NULL, *own = NULL;
	const char *why = NULL;

	if (geteuid() != 0)
		why = "not running as root";
	else if (!sv->st.account)
		why = "the environment has no user of its own";
	else if (!(cg = rt_account_cgroup(sv->st.account)))
		why = "cgroup2 is not mounted";
	if (why)
		goto fallback;
	own = path_join(cg, "supervisor");
	if (cgroup_make(own, &err) < 0 || cgroup_enter(own, 0) < 0) {
		if (!err.len)
			strbuf_addf(&err, "cannot enter cgroup '%s': %s", own, strerror(errno));
		goto fallback;
	}
	for (size_t i = 0; i < sv->nr; i++) {
		sv->procs[i].cgroup = path_join(cg, sv->procs[i].def->name);
		if (cgroup_make(sv->procs[i].cgroup, &err) < 0)
			goto fallback;
	}
	sv->cgroup = cg;
	sv->containment = "cgroup";
	logf_("each process in a cgroup of its own under %s", cg);
	free(own);
	return;
fallback:
	for (size_t i = 0; i < sv->nr; i++) {
		free(sv->procs[i].cgroup);
		sv->procs[i].cgroup = NULL;
	}
	logf_("no cgroups (%s): each process in a process group of its own", why ? why : err.buf);
	sv->containment = "process-group";
	strbuf_release(&err);
	free(own);
	free(cg);
}

static void base_env(struct sv *sv)
{
	struct strv env = STRV_INIT;
	const char *path = getenv("PATH");

	strv_pushf(&env, "PATH=%s", path ? path : DEFAULT_PATH);
	strv_push(&env, "LANG=C.UTF-8");
	strv_push(&env, "HOME=/");
	sv->base_env = strv_detach(&env);
}

static void check_release(struct check *c)
{
	if (c->h) {
		hcheck_release(c->h);
		free(c->h);
	}
}

static void sv_release(struct sv *sv)
{
	for (size_t i = 0; i < sv->nr; i++) {
		check_release(&sv->procs[i].health);
		check_release(&sv->procs[i].ready);
		free(sv->procs[i].cgroup);
	}
	free(sv->cgroup);
	free(sv->procs);
	free(sv->ds);
	strv_free(sv->base_env);
	rt_state_release(&sv->st);
	free(sv->state);
	free(sv->name);
	free(sv->envdir);
	if (sv->sigfd >= 0)
		close(sv->sigfd);
	if (sv->evfd >= 0)
		close(sv->evfd);
	if (sv->ctlfd >= 0)
		close(sv->ctlfd);
	pthread_mutex_destroy(&sv->lock);
}

int supervisor_main(const char *state, const char *name)
{
	struct sv sv = { 0 };
	struct strbuf err = STRBUF_INIT;
	const char *ca_file;
	sigset_t mask;

	sv.state = xstrdup(state);
	sv.name = xstrdup(name);
	sv.envdir = rt_env_dir(state, name);
	pthread_mutex_init(&sv.lock, NULL);
	sv.sigfd = sv.evfd = sv.ctlfd = -1;
	if (load_state(&sv, &err) < 0 || listen_control(&sv, &err) < 0) {
		logf_("%s", err.buf);
		strbuf_release(&err);
		sv_release(&sv);
		return 1;
	}
	base_env(&sv);
	contain(&sv);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sv.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	sv.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ca_file = sv.st.gateway ? sv.st.gateway->ca_file : NULL;
	if (ca_file && !(sv.tls = hcheck_tls_context(ca_file)))
		logf_("cannot load the CA file '%s': https checks will fail", ca_file);
	logf_("supervising '%s' (%zu processes), pid %d", name, sv.nr, (int)getpid());
	rt_event(sv.envdir, "supervisor", "started, pid %d", (int)getpid());
	save_runtime(&sv);
	start_observers(&sv);
	pthread_create(&sv.pg_thread, NULL, pg_main, &sv);
	loop(&sv);
	sv.quit = 1;
	pthread_join(sv.pg_thread, NULL);
	stop_observers(&sv);
	save_runtime(&sv);
	rt_event(sv.envdir, "supervisor", "stopped");
	logf_("stopped");
	unlink(sv.st.socket);
	if (sv.tls)
		SSL_CTX_free(sv.tls);
	strbuf_release(&err);
	sv_release(&sv);
	return 0;
}
