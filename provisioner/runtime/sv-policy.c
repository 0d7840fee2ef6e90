/*
 * The supervisor's decisions; see sv-policy.h.
 */
#include "sv-policy.h"

#include <stdlib.h>

enum rt_pstate sv_exit_state(int stopping, int fenced)
{
	if (stopping)
		return RT_P_STOPPED;
	return fenced ? RT_P_FENCED : RT_P_BACKOFF;
}

int sv_restart_delay(int *backoff_ms, long long healthy_since, long long now)
{
	int delay;

	if (healthy_since && now - healthy_since >= SV_STABLE_MS)
		*backoff_ms = SV_BACKOFF_MIN_MS;
	delay = *backoff_ms;
	*backoff_ms = *backoff_ms * 2 > SV_BACKOFF_MAX_MS ? SV_BACKOFF_MAX_MS : *backoff_ms * 2;
	return delay;
}

int sv_check_passed(int rc, int tcp, int status)
{
	return rc == 1 && (tcp || (status >= 200 && status < 300));
}

int sv_liveness_failed(const struct rt_check *def, int fails, long long healthy_since,
		       int ever_healthy, long long started_at, long long now)
{
	if (fails < def->failures)
		return 0;
	return healthy_since || (ever_healthy && now - started_at >=
				 (long long)def->failures * def->interval_ms);
}

int sv_member_up(int *fails, int running, int answered, int was_ok)
{
	*fails = answered ? 0 : *fails + 1;
	if (!running)
		return 0;
	return answered || (was_ok && *fails < 2);
}

enum sv_failover sv_failover_choice(const struct sv_failover_view *v)
{
	if (!v->primary || !v->replica || !v->replica_up || v->stopping)
		return SV_FAILOVER_NONE;
	if (v->requested)
		return SV_FAILOVER_REQUESTED;
	if (v->automatic && v->bootstrapped && v->unreachable_ms >= v->after_ms)
		return SV_FAILOVER_AUTOMATIC;
	return SV_FAILOVER_NONE;
}

static int cmp_desc(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

long long sv_majority_unreachable(long long *last_ok, int n, long long now)
{
	if (n <= 0)
		return 0;
	qsort(last_ok, (size_t)n, sizeof(*last_ok), cmp_desc);
	return now - last_ok[n / 2];
}

int sv_within_rpo(const struct rt_lag *loss, int64_t rpo_ms, int accepted)
{
	return accepted || !loss->writes || (rpo_ms > 0 && loss->ms <= rpo_ms);
}
