/*
 * Line diffs of two texts, for people: a unified diff with context lines
 * and "@@ -l,s +l,s @@" hunk headers, as `diff -u` and `git diff` print
 * them, and counts for a one-line summary.
 *
 * The edit script is a shortest one (Myers' O(ND) algorithm in linear
 * space, splitting at the middle snake as GNU diff and git's xdiff do),
 * so three one-line edits in a long file are three small hunks, not one
 * hunk from the first change to the last. Only texts thousands of edits
 * apart get, as from GNU diff, a script that may be a little longer, in
 * O((N + M) sqrt(N + M)) time. The output depends only on the two texts:
 * the same input gives the same diff.
 */
#ifndef LIB_DIFF_H
#define LIB_DIFF_H

#include <stddef.h>

struct strbuf;

struct diff_stat {
	size_t added, removed;  /* lines */
	/*
	 * Lines changed, counting a line replaced by another once: per run of
	 * changes, the larger of its removed and added lines. Three one-line
	 * edits are 3.
	 */
	size_t changed;
	size_t hunks;
};

#define DIFF_CONTEXT 3

/*
 * Append the hunks of a unified diff from `a` to `b` (their text, without
 * the "---"/"+++" file header, which is the caller's) to `out`, each with
 * `context` lines around its changes; nothing when they are equal. A last
 * line without a newline is marked "\ No newline at end of file". `out`
 * may be NULL to count only. Fills `st` (may be NULL); returns the number
 * of lines added and removed.
 */
size_t diff_unified(struct strbuf *out, const char *a, size_t a_len, const char *b,
		    size_t b_len, int context, struct diff_stat *st);

#endif
