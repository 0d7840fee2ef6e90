/*
 * Defaults that depend on other values, and the checks that span more
 * than one key: references, cycles, ranges between keys, the production
 * shape every environment keeps, and secrets that must stay references.
 */
#ifndef PROVISIONER_VALIDATE_H
#define PROVISIONER_VALIDATE_H

struct env_model;
struct diag;

void model_apply_defaults(struct env_model *m);

/* Returns 0, or -1 after adding diagnostics to `d`. */
int model_validate(const struct env_model *m, struct diag *d);

/* Does a variable name look like it holds a secret (PASSWORD, TOKEN...)? */
int looks_secret(const char *name);

#endif
