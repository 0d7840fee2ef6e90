/*
 * The supervisor's decisions, apart from its I/O so that they can be
 * tested alone: when a process that exited starts again (backoff), when a
 * health check counts as passed and when failing ones restart a process,
 * whether a PostgreSQL member counts as up, and whether to fail a
 * datastore over. Functions of what the supervisor saw, without I/O and
 * without reading the clock (times are clock_ms() values it passes in).
 */
#ifndef PROVISIONER_SV_POLICY_H
#define PROVISIONER_SV_POLICY_H

#include "rt-state.h"

#define SV_BACKOFF_MIN_MS 100
#define SV_BACKOFF_MAX_MS 5000
#define SV_STABLE_MS 10000         /* healthy this long: the backoff starts again */

/*
 * What a process becomes when it exited: stopped (the supervisor is
 * stopping), fenced (a failed-over primary, never restarted) or waiting
 * out its backoff.
 */
enum rt_pstate sv_exit_state(int stopping, int fenced);

/*
 * A process that exited is restarted after the delay this returns, and
 * `*backoff_ms` (its current backoff) becomes the next one: doubled up to
 * SV_BACKOFF_MAX_MS, and back to SV_BACKOFF_MIN_MS first if it had been
 * healthy for SV_STABLE_MS (`healthy_since` 0: it was not healthy).
 */
int sv_restart_delay(int *backoff_ms, long long healthy_since, long long now);

/* A finished check passed: a TCP connection, or an HTTP answer 2xx (hcheck_step's rc 1). */
int sv_check_passed(int rc, int tcp, int status);

/*
 * Do `fails` failed liveness checks in a row restart the process? Only
 * `failures` of them, and only if it is healthy now, or was in an earlier
 * run and this run had the time `failures` checks at the interval take (the
 * fast checks after a start must not kill a slow starter).
 */
int sv_liveness_failed(const struct rt_check *def, int fails, long long healthy_since,
		       int ever_healthy, long long started_at, long long now);

/*
 * Is a PostgreSQL member up after a probe? `*fails` counts failed probes
 * in a row; a member that was up (`was_ok`) counts as down only after two,
 * so one slow answer on a loaded machine is not an outage.
 */
int sv_member_up(int *fails, int running, int answered, int was_ok);

/* What the PostgreSQL thread saw of one datastore, for the failover choice. */
struct sv_failover_view {
	int primary, replica;      /* the datastore has one now */
	int replica_up;            /* sv_member_up() of the replica */
	int stopping;              /* the supervisor is stopping */
	int requested;             /* `provisioner failover` asked for one */
	int automatic;             /* the definition's failover.automatic */
	int bootstrapped;          /* the primary had its roles and database made */
	long long unreachable_ms;  /* sv_majority_unreachable() of the primary */
	long long after_ms;        /* failover.after */
};

enum sv_failover { SV_FAILOVER_NONE, SV_FAILOVER_REQUESTED, SV_FAILOVER_AUTOMATIC };

/*
 * Promote the replica? Only with a replica that is up and a supervisor
 * that is not stopping: when asked, or automatically once a majority of
 * the primary's observers has not reached it for failover.after. (Whether
 * the replica may be promoted, for what it lacks, is sv_within_rpo().)
 */
enum sv_failover sv_failover_choice(const struct sv_failover_view *v);

/*
 * How long a majority of n observers has not reached a member: last_ok[i]
 * is when observer i last did (it is reordered). n/2 + 1 of them saw it no
 * later than now minus the result.
 */
long long sv_majority_unreachable(long long *last_ok, int n, long long now);

/*
 * May a replica that lacks `loss` be promoted? If it lacks no write, or
 * (rpo_ms above 0) it is no more than rpo_ms behind; or a person accepted
 * the loss.
 */
int sv_within_rpo(const struct rt_lag *loss, int64_t rpo_ms, int accepted);

#endif
