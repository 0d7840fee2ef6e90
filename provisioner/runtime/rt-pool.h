/*
 * The address pool. Environment N (1..RT_POOL_MAX) owns address block N
 * (rt-addr.h), and its links and nftables table are named by N;
 * state.json records N, so the pool is the set of recorded indexes.
 */
#ifndef PROVISIONER_RT_POOL_H
#define PROVISIONER_RT_POOL_H

struct strbuf;

/*
 * Pick a free index (1..250) for a new environment: none of our
 * environments has it, and, for namespaces, the host has nothing in its
 * subnet. Call with the pool lock held (rt_pool_lock), and keep holding it
 * until the network exists, so that another state directory's `up` sees
 * the subnet taken.
 */
int rt_pool_lock(const char *state, struct strbuf *err);
/* dry_run: the index an `up` would take now, without moving the round on */
int rt_pool_alloc(const char *state, int netns, int dry_run, struct strbuf *err);

#endif
