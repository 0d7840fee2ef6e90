/*
 * Unit tests for the supervisor's decisions (sv-policy.h): the restart
 * backoff and when it starts again, what an exit leaves a process as,
 * when a health check passes and when failing ones restart a process,
 * when a PostgreSQL member counts as down, and when a datastore fails
 * over. The supervisor itself is tested end to end by runtime.sh and
 * procs.sh; these pin its choices without processes or clocks.
 */
#include "sv-policy.h"
#include "tap.h"

static void test_exit_state(void)
{
	tap_is_int(sv_exit_state(1, 0), RT_P_STOPPED, "an exit while stopping: stopped");
	tap_is_int(sv_exit_state(1, 1), RT_P_STOPPED, "stopping wins over fenced");
	tap_is_int(sv_exit_state(0, 1), RT_P_FENCED, "a fenced primary is not restarted");
	tap_is_int(sv_exit_state(0, 0), RT_P_BACKOFF, "any other exit waits out its backoff");
}

static void test_backoff(void)
{
	static const int want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000 };
	int backoff = SV_BACKOFF_MIN_MS, ok = 1;
	long long now = 1000000;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int got = sv_restart_delay(&backoff, 0, now);

		if (got != want[i])
			tap_diag("restart %zu: %d ms, want %d", i + 1, got, want[i]);
		ok &= got == want[i];
	}
	tap_ok(ok, "restarts wait 100, 200, 400 ... ms, at most %d ms", SV_BACKOFF_MAX_MS);
	tap_is_int(backoff, SV_BACKOFF_MAX_MS, "and the backoff stays at the most");

	backoff = SV_BACKOFF_MAX_MS;
	tap_is_int(sv_restart_delay(&backoff, now - SV_STABLE_MS + 1, now), SV_BACKOFF_MAX_MS,
		   "healthy for less than %d ms: the backoff goes on", SV_STABLE_MS);
	backoff = SV_BACKOFF_MAX_MS;
	tap_is_int(sv_restart_delay(&backoff, now - SV_STABLE_MS, now), SV_BACKOFF_MIN_MS,
		   "healthy for %d ms: the backoff starts again from %d ms", SV_STABLE_MS,
		   SV_BACKOFF_MIN_MS);
	tap_is_int(backoff, 2 * SV_BACKOFF_MIN_MS, "and the next one doubles");
}

static void test_check_passed(void)
{
	tap_ok(sv_check_passed(1, 0, 200) && sv_check_passed(1, 0, 204) && sv_check_passed(1, 0, 299),
	       "an HTTP check passes with 2xx");
	tap_ok(!sv_check_passed(1, 0, 199) && !sv_check_passed(1, 0, 301) &&
	       !sv_check_passed(1, 0, 503) && !sv_check_passed(1, 0, 0),
	       "and fails with anything else (a redirect, 5xx, no status)");
	tap_ok(sv_check_passed(1, 1, 0), "a TCP check passes once connected");
	tap_ok(!sv_check_passed(-1, 1, 0) && !sv_check_passed(-1, 0, 200),
	       "a check that failed (timeout, refused) does not pass");
}

static void test_liveness(void)
{
	const struct rt_check c = { .url = "http://x/", .interval_ms = 1000, .timeout_ms = 500,
				    .failures = 3 };
	long long now = 500000;

	tap_ok(!sv_liveness_failed(&c, 2, now - 1, 1, now - 100000, now),
	       "fewer failures in a row than 'failures' do not restart");
	tap_ok(sv_liveness_failed(&c, 3, now - 1, 1, now - 100000, now),
	       "'failures' in a row restart a process that is healthy");
	tap_ok(!sv_liveness_failed(&c, 30, 0, 0, now - 100000, now),
	       "a process never healthy is not restarted (a slow first start)");
	tap_ok(!sv_liveness_failed(&c, 3, 0, 1, now - 2999, now),
	       "after a restart, not before failures x interval (3 s) passed");
	tap_ok(sv_liveness_failed(&c, 3, 0, 1, now - 3000, now),
	       "after a restart, once failures x interval passed");
}

static void test_member_up(void)
{
	int fails = 0;

	tap_ok(sv_member_up(&fails, 1, 1, 0) && fails == 0, "a member that answers is up");
	tap_ok(sv_member_up(&fails, 1, 0, 1) && fails == 1,
	       "a member that was up and misses one probe is still up");
	tap_ok(!sv_member_up(&fails, 1, 0, 1) && fails == 2, "it is down after two in a row");
	tap_ok(sv_member_up(&fails, 1, 1, 0) && fails == 0, "one answer and it is up again");
	fails = 0;
	tap_ok(!sv_member_up(&fails, 1, 0, 0) && fails == 1,
	       "a member that was not up is down at its first missed probe");
	fails = 0;
	tap_ok(!sv_member_up(&fails, 0, 1, 1), "a member that is not running is down");
}

static struct sv_failover_view view(void)
{
	/* a primary gone for 5 s, a threshold of 3 s: due for an automatic failover */
	return (struct sv_failover_view){
		.primary = 1, .replica = 1, .replica_up = 1, .automatic = 1, .primary_fails = 2,
		.bootstrapped = 1, .primary_last_ok = 100000, .after_ms = 3000, .now = 105000,
	};
}

static void test_failover(void)
{
	struct sv_failover_view v = view();

	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_AUTOMATIC,
		   "a primary unreachable for longer than failover.after fails over");
	v.now = v.primary_last_ok + v.after_ms - 1;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE, "not before failover.after");
	v.now = v.primary_last_ok + v.after_ms;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_AUTOMATIC, "at failover.after exactly");
	v = view();
	v.primary_fails = 0;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE,
		   "not when the primary answered its last probe");
	v = view();
	v.automatic = 0;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE, "not when failover is manual");
	v.requested = 1;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_REQUESTED, "but when asked for");
	v = view();
	v.bootstrapped = 0;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE,
		   "not before the primary's roles and database were made");
	v = view();
	v.replica_up = 0;
	v.requested = 1;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE,
		   "never to a replica that is down, even when asked");
	v = view();
	v.replica = 0;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE, "never without a replica");
	v = view();
	v.primary = 0;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE, "nor without a primary (done already)");
	v = view();
	v.stopping = 1;
	v.requested = 1;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_NONE, "nor while the supervisor stops");
	v = view();
	v.requested = 1;
	tap_is_int(sv_failover_choice(&v), SV_FAILOVER_REQUESTED,
		   "a request when one is due anyway says it was requested");
}

int main(void)
{
	test_exit_state();
	test_backoff();
	test_check_passed();
	test_liveness();
	test_member_up();
	test_failover();
	return tap_done();
}
