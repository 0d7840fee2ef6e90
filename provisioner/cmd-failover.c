/*
 * provisioner failover ENV [--datastore NAME] [--accept-data-loss] [--timeout DUR]
 *
 * Asks the supervisor to fence a datastore's primary and promote its
 * replica, and waits until it has. Without --accept-data-loss the
 * supervisor promotes only if what the replica lacks is within
 * failover.rpo; otherwise nothing changes and this exits 3 with the
 * estimate. --accept-data-loss is the way through the needs-attention
 * state: a person's word that the estimated loss is accepted, recorded in
 * last_failover and the audit log.
 */
#include "clock.h"
#include "cmd.h"
#include "rt-env.h"
#include "rt-status.h"
#include "state.h"
#include "strbuf.h"
#include "usage.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 60000
#define POLL_MS 100

static const char *datastore;
static int accept_loss;
static uint64_t timeout_ms;

static const struct cli_option failover_options[] = {
	ENV_OPTS,
	OPT_STRING('d', "datastore", &datastore, "NAME",
		   "the datastore (default: the only one with a replica)"),
	OPT_BOOL(0, "accept-data-loss", &accept_loss,
		 "promote even if the replica lacks acknowledged writes (beyond failover.rpo)"),
	OPT_DURATION('t', "timeout", &timeout_ms, "DUR", "how long to wait for it (default 1m)"),
	OPT_END(),
};

/* The datastore asked for, or the only one with a replica; NULL with a message. */
static const struct rt_datastore_now *pick(const struct rt_status *s)
{
	const struct rt_datastore_now *found = NULL;

	if (datastore) {
		found = rt_runtime_datastore(&s->rt, datastore);
		if (!found)
			error("'%s' has no datastore '%s'", s->st.name, datastore);
		return found;
	}
	for (size_t i = 0; i < s->rt.datastores.nr; i++) {
		const struct rt_datastore_now *d = RT_AT(s->rt.datastores, struct rt_datastore_now, i);

		if (!d->replica)
			continue;
		if (found) {
			error("'%s' has more than one datastore with a replica: give --datastore",
			      s->st.name);
			return NULL;
		}
		found = d;
	}
	if (!found)
		error("'%s' has no datastore with a replica to promote", s->st.name);
	return found;
}

static void print_promotion(const char *ds, const struct rt_promotion *p)
{
	printf("%s: %s is the primary (promoted in %lld ms); %lld writes dropped "
	       "(%lld transactions, %lld bytes of WAL, %lld ms behind)%s\n", ds, p->to,
	       (long long)p->promoted_ms, (long long)p->lag.writes, (long long)p->lag.transactions,
	       (long long)p->lag.bytes, (long long)p->lag.ms,
	       p->accepted_data_loss ? ", loss accepted" : "");
}

/*
 * Poll until the supervisor promoted (failovers went past `before`), or
 * refused (a needs-attention reason given since `asked`), or time is up.
 */
static enum cli_result wait_promoted(const char *state, const char *name, const char *ds,
				     int before, time_t asked)
{
	long long start = clock_ms();
	struct strbuf err = STRBUF_INIT;

	for (;;) {
		struct rt_status s;
		const struct rt_datastore_now *d;
		enum cli_result res = CLI_FAILED;
		int done = 0;

		if (rt_status_load(&s, state, name, &err) < 0) {
			error("%s", err.buf);
			done = 1;
		} else if ((d = rt_runtime_datastore(&s.rt, ds)) && d->failovers > before &&
			   d->last_failover) {
			print_promotion(ds, d->last_failover);
			res = CLI_OK;
			done = 1;
		} else if (!accept_loss && d && d->attention && d->attention->since >= asked) {
			error("%s: not promoted: %s", ds, d->attention->reason);
			res = CLI_NEEDS_PERSON;
			done = 1;
		} else if ((uint64_t)(clock_ms() - start) >= timeout_ms) {
			error("%s: not promoted within %.0f s (see 'provisioner logs %s')", ds,
			      timeout_ms / 1000.0, name);
			done = 1;
		}
		rt_status_release(&s);
		if (done) {
			strbuf_release(&err);
			return res;
		}
		sleep_ms(POLL_MS);
	}
}

static enum cli_result cmd_failover_exec(struct cli_ctx *ctx)
{
	char *state = state_dir(), *name = rt_resolve_name(ctx->argv[0]), *req = NULL, *answer = NULL;
	struct strbuf err = STRBUF_INIT;
	enum cli_result res = CLI_FAILED;
	const struct rt_datastore_now *d;
	struct rt_status s;
	char *ds = NULL;
	int before;
	time_t asked;

	if (!state || !name) {
		free(state);
		free(name);
		return CLI_USAGE;
	}
	cmd_audit_env(ctx, name);
	if (!timeout_ms)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	if (rt_status_load(&s, state, name, &err) < 0) {
		error("%s", err.buf);
		res = CMD_NO_ENV;
		goto out;
	}
	if (!s.alive) {
		error("'%s' has no supervisor running: nothing can promote ('provisioner up' again)",
		      name);
		goto out;
	}
	if (!(d = pick(&s))) {
		res = datastore ? CLI_USAGE : CLI_FAILED;
		goto out;
	}
	if (!d->replica) {
		error("%s: no replica to promote", d->name);
		goto out;
	}
	if (!accept_loss && d->attention) {
		/* the supervisor already found the loss beyond failover.rpo: asking again cannot help */
		error("%s: not promoted: %s", d->name, d->attention->reason);
		res = CLI_NEEDS_PERSON;
		goto out;
	}
	ds = xstrdup(d->name);
	before = d->failovers;
	cmd_data(ctx)->audit_detail = accept_loss ? "accept-data-loss" : "within failover.rpo";
	req = xasprintf("failover %s%s", ds, accept_loss ? " accept-data-loss" : "");
	asked = time(NULL);
	/*
	 * No answer in time is not a refusal: a busy supervisor (a loaded
	 * machine) may read the request after we stopped waiting for its
	 * answer. Whether it promoted is what the wait below finds out.
	 */
	answer = rt_control(s.dir, req, 5000);
	if (answer && !strncmp(answer, "error:", 6)) {
		error("the supervisor did not take the request: %s", answer);
		goto out;
	}
	res = wait_promoted(state, name, ds, before, asked);
out:
	rt_status_release(&s);
	strbuf_release(&err);
	free(answer);
	free(req);
	free(ds);
	free(state);
	free(name);
	return res;
}

static const struct cli_exit failover_exits[] = {
	{ 0, "promoted" },
	{ 1, "not promoted: no supervisor, no replica, or not within the timeout" },
	{ 2, "usage error, or no such environment or datastore" },
	{ 3, "not promoted: it would lose more than failover.rpo (give --accept-data-loss)" },
	{ 0, NULL },
};

const struct cli_cmd cmd_failover_entry = {
	.name = "failover",
	.args = "ENV [--datastore NAME] [--accept-data-loss] [--timeout DUR]",
	.summary = "promote a datastore's replica, fencing its primary",
	.help = "Asks the supervisor to fence the primary (it is killed and not restarted)\n"
		"and promote the replica, and waits for it. The supervisor first measures\n"
		"what the replica lacks (transactions, WAL bytes, time behind): beyond\n"
		"the definition's failover.rpo it promotes nothing and this exits 3 with\n"
		"the estimate. --accept-data-loss promotes anyway: the way out of the\n"
		"needs-attention state, recorded with the loss in last_failover and in\n"
		"the audit log.",
	.flags = CMD_AUDIT,
	.exits = failover_exits,
	.options = failover_options,
	.min_args = 1, .max_args = 1,
	.exec = cmd_failover_exec,
};
