/*
 * The supervisor's decisions; see sv-policy.h.
 */
#include "sv-policy.h"

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
	if (v->automatic && v->primary_fails && v->bootstrapped &&
	    v->now - v->primary_last_ok >= v->after_ms)
		return SV_FAILOVER_AUTOMATIC;
	return SV_FAILOVER_NONE;
}
