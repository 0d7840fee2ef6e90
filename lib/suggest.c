/*
 * Nearest-word suggestions; see suggest.h.
 */
#include "suggest.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Optimal string alignment distance, case-insensitive. */
size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *d = xcalloc((la + 1) * (lb + 1), sizeof(*d));
	size_t res;

#define D(i, j) d[(i) * (lb + 1) + (j)]
	for (size_t i = 0; i <= la; i++)
		D(i, 0) = i;
	for (size_t j = 0; j <= lb; j++)
		D(0, j) = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca != cb;

			D(i, j) = min3(D(i - 1, j) + 1, D(i, j - 1) + 1, D(i - 1, j - 1) + cost);
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && D(i - 2, j - 2) + 1 < D(i, j))
				D(i, j) = D(i - 2, j - 2) + 1;
		}
	}
	res = D(la, lb);
#undef D
	free(d);
	return res;
}

/* The one candidate that `word` (of at least 3 characters) begins, if any. */
static const char *unique_prefix_of(const char *word, size_t len, const char *const *cands,
				    size_t n)
{
	const char *found = NULL;

	if (len < 3)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strlen(cands[i]) > len && !strncasecmp(cands[i], word, len)) {
			if (found)
				return NULL;
			found = cands[i];
		}
	}
	return found;
}

const char *suggest_nearest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word), limit = len / 3 > 2 ? len / 3 : 2;
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	if (len > 256)
		return NULL;
	/* "aurora" for "aurora-global": an abbreviation is far in edits, near in intent */
	best = unique_prefix_of(word, len, cands, n);
	if (best)
		return best;
	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, cands[i]);

		if (dist < best_d) {
			best_d = dist;
			best = cands[i];
		}
	}
	return best_d <= limit && best_d < len ? best : NULL;
}
