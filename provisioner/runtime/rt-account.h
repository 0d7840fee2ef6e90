/*
 * Each environment's own unprivileged user and group, as root: its
 * services, PostgreSQL and nginx's workers run as it, so that no
 * environment can read another's secrets, environment (/proc/PID/environ),
 * logs or state. Like systemd's DynamicUser, the ids come from a range
 * reserved for this (61184-65519); uid and gid are the same number and
 * the name says it ("pv-61190").
 *
 * They are real passwd and group entries (PostgreSQL refuses to run as a
 * uid without one), made with groupadd and useradd and removed with
 * userdel and groupdel. The passwd entry says whose it is: its home is
 * the environment's directory (never created as a home) and its comment
 * "provisioner <index>", its address block. So a user is only ever
 * deleted by the environment it names, and `gc` finds the users (and from
 * them the block) of environments whose state is gone.
 *
 * Allocation and creation happen under the pool lock (rt-pool.h), which
 * is machine-wide as root, so two `up`s never take one id. Nothing here
 * prints; errors go to the caller's strbuf.
 */
#ifndef PROVISIONER_RT_ACCOUNT_H
#define PROVISIONER_RT_ACCOUNT_H

#include <stddef.h>

#include "rt-state.h"

struct strbuf;

#define RT_ID_MIN 61184
#define RT_ID_MAX 65519

/*
 * A free id for the environment of block `index`, preferably
 * RT_ID_MIN + index, into `a` (its strings the caller's: release with
 * rt_account_release). 0, or -1 with err when the range is full.
 */
int rt_account_alloc(struct rt_account *a, int index, struct strbuf *err);

/*
 * Make a's group and user, marked as the environment's at `envdir`
 * (block `index`). What exists already as exactly that is kept; a name
 * or id taken by anything else is an error. 0, or -1 with err.
 */
int rt_account_create(const struct rt_account *a, const char *envdir, int index,
		      struct strbuf *err);

/*
 * Remove a's user and group, but only if they are the environment's at
 * `envdir` (the user's home says so; the group has a's name and gid).
 * What is gone already is fine. Its processes must have been killed
 * (userdel refuses a user who still runs something). 0, or -1 with err.
 */
int rt_account_delete(const struct rt_account *a, const char *envdir, struct strbuf *err);

/* Is a's user or group still there? One line per leftover into `what`; 1 if any. */
int rt_account_leftovers(const struct rt_account *a, struct strbuf *what);

/* An account found by rt_accounts_under(). */
struct rt_account_found {
	struct rt_account a;
	char *env;     /* the environment it names */
	int index;     /* its block, 0 if its comment does not say */
};

/*
 * The accounts of environments under `envs` (STATE/envs): users in the
 * range whose home is a directory directly in it. For gc, which looks for
 * those whose environment has no state any more. Returns how many, in a
 * new array the caller frees with rt_accounts_free().
 */
size_t rt_accounts_under(const char *envs, struct rt_account_found **out);
void rt_accounts_free(struct rt_account_found *list, size_t nr);

/*
 * The environment's cgroup, <cgroup2>/provisioner/<account name>: a
 * cgroup per process below it, and one for the supervisor (lib/cgroup.h).
 * NULL without a cgroup2 mount.
 */
char *rt_account_cgroup(const struct rt_account *a);
/* <cgroup2>/provisioner, where every environment's cgroup is; NULL without one. */
char *rt_cgroups_top(void);

void rt_account_release(struct rt_account *a);

#endif
