/*
 * Which environments `gc` may remove, on a runner many people share: the
 * filters that narrow it down (whose, which branch, which tier, how old),
 * each optional, all of those given at once.
 */
#ifndef PROVISIONER_RT_GC_H
#define PROVISIONER_RT_GC_H

#include <stdint.h>

#include "rt-state.h"

struct strbuf;

struct rt_gc_filter {
	int has_owner;
	int64_t owner;           /* uid of who ran `up` */
	const char *branch;      /* a glob (fnmatch) the branch must match; NULL: any */
	const char *tier;        /* NULL: any */
	int64_t older_than_s;    /* made at least this long ago; 0: any age */
};
#define RT_GC_FILTER_INIT { 0 }

/* Is any filter given? */
int rt_gc_filtered(const struct rt_gc_filter *f);

/*
 * The owner filter from a user's name or uid: 0, or -1 with err when
 * there is no such user.
 */
int rt_gc_set_owner(struct rt_gc_filter *f, const char *user, struct strbuf *err);

/* Does environment `st` pass every filter given, at `now` (seconds since the epoch)? */
int rt_gc_match(const struct rt_gc_filter *f, const struct rt_state *st, int64_t now);

/* Who made `st` (its `uid`) as a user name, or the number when it has none: a new string. */
char *rt_owner_name(int64_t uid);

#endif
