/*
 * "Did you mean" suggestions: the candidate nearest to a mistyped word by
 * Damerau-Levenshtein distance, if it is near enough to be a likely typo.
 */
#ifndef LIB_SUGGEST_H
#define LIB_SUGGEST_H

#include <stddef.h>

size_t edit_distance(const char *a, const char *b);

/*
 * The nearest of the `n` candidates to `word`, or NULL when none is
 * within max(2, len/3) edits. Ties go to the earlier candidate.
 */
const char *suggest_nearest(const char *word, const char *const *cands, size_t n);

#endif
