/*
 * Load an environment definition: read it and the chain of files it
 * `extends`, merge them (maps merge deeply, lists replace, null deletes),
 * substitute variables, decode into the typed model, apply defaults and
 * validate. Every problem found is added to `d` with file:line:column.
 */
#ifndef PROVISIONER_LOAD_H
#define PROVISIONER_LOAD_H

#include "model.h"

struct diag;

struct load_opts {
	const char *branch;   /* overrides git and CI (--branch) */
	const char *commit;   /* likewise (--commit) */
	size_t max_bytes;     /* per file; 0: the default (4 MiB) */
};

#define LOAD_OPTS_INIT { 0 }

/*
 * Returns 0 with `m` filled, or -1 with diagnostics in `d`. Either way
 * the caller calls env_model_free(m).
 */
int env_load(struct env_model *m, const char *path, const struct load_opts *o, struct diag *d);

/*
 * As env_load(), with the top-level definition's text given in memory and
 * named `name` (files it extends are read from disk, relative to `name`).
 * For the fuzz target and unit tests.
 */
int env_load_mem(struct env_model *m, const char *name, const char *buf, size_t len,
		 const struct load_opts *o, struct diag *d);

/* The variable-resolved, merged tree, for tests and `show --raw`. */
struct ynode *env_load_tree(struct env_model *m, const char *path, const struct load_opts *o,
			    struct diag *d);

#endif
