/*
 * ${...} variables in definitions.
 *
 *   ${branch} ${commit} ${env} ${platform} ${tier}   resolved when loading
 *   ${env:NAME} ${env:NAME:-default}                 the process environment
 *   ${region} ${port} ${addr}                        deferred: resolved per
 *                                                    region and replica by the
 *                                                    targets (service env, run);
 *                                                    ${addr} is the address a
 *                                                    replica listens on, empty
 *                                                    where that is "every one"
 *   $$                                               a literal '$'
 */
#ifndef PROVISIONER_SUBST_H
#define PROVISIONER_SUBST_H

#include <stddef.h>

struct strbuf;

struct subst_var {
	const char *name;
	const char *value;   /* NULL: known but not available (an error if used) */
	const char *why;     /* why it is unavailable */
};

struct subst_ctx {
	const struct subst_var *vars;
	size_t nr_vars;
	int allow_deferred;          /* keep ${region}, ${port}, ${addr} as they are */
	/* variables holding secrets: ${env:NAME} of one of them is an error */
	struct subst_secret { char *env, *secret; } *secret_vars;
	size_t nr_secret_vars;
};

enum {
	SUBST_CHANGED = 1,   /* something was replaced */
	SUBST_FROM_ENV = 2,  /* a value from the process environment was used */
};

/*
 * Expand `in` into `out`. Returns a mask of SUBST_* flags, or -1 with a
 * message in `err` and the offset of the problem in `*err_off`.
 */
int subst_expand(const char *in, const struct subst_ctx *ctx, struct strbuf *out,
		 struct strbuf *err, size_t *err_off);

/*
 * Expand the deferred variables, and "$$", of a string the loader kept
 * them in (service env values and run arguments).
 */
struct subst_deferred {
	const char *region;   /* NULL: leave ${region} as it is */
	const char *port;
	const char *addr;
};
void subst_deferred(struct strbuf *out, const char *in, const struct subst_deferred *d);

/* Does `in` use a deferred variable? */
int subst_has_deferred(const char *in);

#endif
