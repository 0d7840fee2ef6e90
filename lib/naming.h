/*
 * Names for environments and the things in them.
 *
 * An environment's name is a DNS-1123 label (lower-case letters, digits,
 * '-', at most 63 characters, starting with a letter) derived from a
 * template such as "${platform}-${branch}". It is the same on every run for
 * the same input. Whenever making a label of the input loses information
 * (case folded, characters replaced, length cut), a short hash of the full
 * input is appended, so two different inputs never share a name: unlike
 * GitLab's CI_COMMIT_REF_SLUG, where "Feature/X" and "feature-x" collide.
 */
#ifndef PROVISIONER_NAMING_H
#define PROVISIONER_NAMING_H

#include <stddef.h>

#define DNS_LABEL_MAX 63
#define NAME_HASH_LEN 8

/* A new DNS-1123 label for `raw`, at most `max` (<= 63) characters. */
char *dns_label(const char *raw, size_t max);

/* Is `s` already a valid DNS-1123 label of at most 63 characters? */
int is_dns_label(const char *s);

/*
 * "<base>-<suffix>" in at most `max` characters: when too long, `base` is
 * cut and a hash of the whole joined name is added, so results stay unique.
 */
char *join_name(const char *base, const char *suffix, size_t max);

#endif
