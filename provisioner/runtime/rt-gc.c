/*
 * gc's filters; see rt-gc.h.
 */
#include "rt-gc.h"
#include "strbuf.h"
#include "xalloc.h"

#include <fnmatch.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

int rt_gc_filtered(const struct rt_gc_filter *f)
{
	return f->has_owner || f->branch || f->tier || f->older_than_s;
}

int rt_gc_set_owner(struct rt_gc_filter *f, const char *user, struct strbuf *err)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	long long uid;

	if (pw) {
		f->owner = pw->pw_uid;
	} else {
		/* a uid: also that of a user who is gone */
		uid = strtoll(user, &end, 10);
		if (!*user || *end || uid < 0) {
			strbuf_addf(err, "no user '%s'", user);
			return -1;
		}
		f->owner = uid;
	}
	f->has_owner = 1;
	return 0;
}

int rt_gc_match(const struct rt_gc_filter *f, const struct rt_state *st, int64_t now)
{
	if (f->has_owner && st->uid != f->owner)
		return 0;
	if (f->branch && (!st->branch || fnmatch(f->branch, st->branch, 0)))
		return 0;
	if (f->tier && (!st->tier || strcmp(f->tier, st->tier)))
		return 0;
	return !f->older_than_s || now - st->created >= f->older_than_s;
}

char *rt_owner_name(int64_t uid)
{
	struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;

	return pw ? xstrdup(pw->pw_name) : xasprintf("%lld", (long long)uid);
}
