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

/*
 * One case of the failover choice: a primary gone for 5 s against a
 * threshold of 3 s (due for an automatic failover), changed as the row says.
 */
struct failover_case {
	const char *what;
	enum sv_failover want;
	long long since_ok_ms;         /* how long the primary has not answered */
	int requested, stopping, manual, not_bootstrapped;
	int no_primary, no_replica, replica_down;
};

static const struct failover_case failover_cases[] = {
	{ .what = "a primary unreachable for longer than failover.after fails over",
	  .want = SV_FAILOVER_AUTOMATIC, .since_ok_ms = 5000 },
	{ .what = "not before failover.after",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 2999 },
	{ .what = "at failover.after exactly",
	  .want = SV_FAILOVER_AUTOMATIC, .since_ok_ms = 3000 },
	{ .what = "not when failover is manual",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .manual = 1 },
	{ .what = "but when asked for",
	  .want = SV_FAILOVER_REQUESTED, .since_ok_ms = 5000, .manual = 1, .requested = 1 },
	{ .what = "not before the primary's roles and database were made",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .not_bootstrapped = 1 },
	{ .what = "never to a replica that is down, even when asked",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .replica_down = 1, .requested = 1 },
	{ .what = "never without a replica",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .no_replica = 1 },
	{ .what = "nor without a primary (done already)",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .no_primary = 1 },
	{ .what = "nor while the supervisor stops",
	  .want = SV_FAILOVER_NONE, .since_ok_ms = 5000, .stopping = 1, .requested = 1 },
	{ .what = "a request when one is due anyway says it was requested",
	  .want = SV_FAILOVER_REQUESTED, .since_ok_ms = 5000, .requested = 1 },
};

static void test_failover(void)
{
	for (size_t i = 0; i < sizeof(failover_cases) / sizeof(failover_cases[0]); i++) {
		const struct failover_case *c = &failover_cases[i];
		const struct sv_failover_view v = {
			.primary = !c->no_primary, .replica = !c->no_replica,
			.replica_up = !c->replica_down, .stopping = c->stopping,
			.requested = c->requested, .automatic = !c->manual,
			.bootstrapped = !c->not_bootstrapped, .unreachable_ms = c->since_ok_ms,
			.after_ms = 3000,
		};

		tap_is_int(sv_failover_choice(&v), c->want, "%s", c->what);
	}
}

/* Observers' last good probes: the host and two namespaces. */
static void test_majority(void)
{
	long long all_up[] = { 9900, 9950, 9800 };
	long long partition[] = { 9950, 6000, 6500 };   /* only the host reaches it */
	long long one_down[] = { 9950, 6000, 9900 };
	long long alone[] = { 7000 };

	tap_is_int(sv_majority_unreachable(all_up, 3, 10000), 100,
		   "every observer reaches it: as long as the majority's oldest answer");
	tap_is_int(sv_majority_unreachable(partition, 3, 10000), 3500,
		   "a partition only the host does not see: unreachable to the majority");
	tap_is_int(sv_majority_unreachable(one_down, 3, 10000), 100,
		   "one observer cut off is not an outage");
	tap_is_int(sv_majority_unreachable(alone, 1, 10000), 3000,
		   "without namespaces the host decides alone");
}

static void test_rpo(void)
{
	struct rt_lag none = { .bytes = 400, .transactions = 2 };   /* ANALYZE's, no client's */
	struct rt_lag behind = { .writes = 300, .transactions = 300, .ms = 8000 };

	tap_ok(sv_within_rpo(&none, 0, 0), "rpo 0: a replica that lacks no write is promoted");
	tap_ok(!sv_within_rpo(&behind, 0, 0), "rpo 0: one that lacks writes is not");
	tap_ok(sv_within_rpo(&behind, 0, 1), "unless a person accepted the loss");
	tap_ok(sv_within_rpo(&behind, 10000, 0), "rpo 10s: 8 s behind is promoted");
	tap_ok(!sv_within_rpo(&behind, 5000, 0), "rpo 5s: 8 s behind is not");
}

int main(void)
{
	test_exit_state();
	test_backoff();
	test_check_passed();
	test_liveness();
	test_member_up();
	test_failover();
	test_majority();
	test_rpo();
	return tap_done();
}
