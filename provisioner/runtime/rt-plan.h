/*
 * From an environment model to the local runtime's state (rt-state.h): which
 * namespaces and addresses, which processes with which argv, environment,
 * secrets (by file), health checks and dependencies; and the files they
 * need (PostgreSQL clusters, certificates, the nginx configuration).
 *
 * rt_plan() only computes (and allocates nothing outside memory);
 * rt_prepare() makes the files, reusing what is already there, so running
 * it again over a half-made environment completes it.
 */
#ifndef PROVISIONER_RT_PLAN_H
#define PROVISIONER_RT_PLAN_H

#include "model.h"
#include "rt-state.h"

struct strbuf;

struct rt_plan_opts {
	const char *state;      /* state directory */
	int netns;              /* 1: namespaces, 0: loopback */
	int index;              /* from the pool */
	const char *self;       /* path of the provisioner binary: programs are looked up beside it */
	const struct rt_account *account;   /* its own user (rt-account.h); needed as root */
};

struct rt_plan;

/* The plan, or NULL with err (a program or package missing, ports clashing). */
struct rt_plan *rt_plan_new(const struct env_model *m, const struct rt_plan_opts *o,
			    struct strbuf *err);
/* Its state document (owned by the plan). */
struct rt_state *rt_plan_state(struct rt_plan *p);
/*
 * Make the directories, secrets, certificates, clusters and configuration
 * (not the network: rt_net_create). *cold: the PostgreSQL template had to
 * be made (initdb) first.
 */
int rt_prepare(struct rt_plan *p, int *cold, struct strbuf *err);
/* Loopback mode: is every address:port the plan listens on free? */
int rt_ports_free(struct rt_plan *p, struct strbuf *err);
void rt_plan_free(struct rt_plan *p);

#endif
