/*
 * Leftovers of environments whose state is gone: their directory was
 * deleted by hand, or by a `down` of old that removed more than its own,
 * while their supervisor, servers, namespaces, links, nftables table,
 * cgroup and user lived on, out of sight of `list` and `gc`.
 *
 * They are found by what still says whose they are, never by a name
 * alone: a user whose home is a directory in <state>/envs that has no
 * state (rt-account.h; its comment gives the address block), a process
 * carrying this state directory's marker for an environment without a
 * directory, a cgroup whose user is gone. What is found is rebuilt as a
 * plan good enough for rt_teardown_orphan(): the namespaces whose hosts
 * file names the environment, the block's links and nftables table only
 * while the block's subnet is still on its bridge (so that no other
 * environment can have been given the block since), the run directory of
 * a block no environment of this state directory uses.
 *
 * The caller holds the pool lock (rt-pool.h), so that no environment is
 * made while its parts are judged.
 */
#ifndef PROVISIONER_RT_ORPHAN_H
#define PROVISIONER_RT_ORPHAN_H

#include <stddef.h>

#include "rt-state.h"

struct rt_orphan {
	struct rt_state st;      /* name, index, mode, net, account, rundir: what was found */
	char *found;             /* what gave it away, for messages */
};

/* The orphans of state directory `state`, in a new array; how many. */
size_t rt_orphans_find(const char *state, struct rt_orphan **out);
void rt_orphans_free(struct rt_orphan *list, size_t nr);

#endif
