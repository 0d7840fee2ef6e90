/*
 * "Did you mean" suggestions: the candidate nearest to a mistyped word by
 * Damerau-Levenshtein distance, if it is near enough to be a likely typo.
 */
#ifndef LIB_SUGGEST_H
#define LIB_SUGGEST_H

#include <stddef.h>

size_t edit_distance(const char *a, const char *b);

/*
 * The candidate that `word` (3 characters or more) abbreviates, when only
 * one begins with it; otherwise the nearest of the `n` candidates, or NULL
 * when none is within max(2, len/3) edits. Ties go to the earlier one.
 */
const char *suggest_nearest(const char *word, const char *const *cands, size_t n);

#endif
