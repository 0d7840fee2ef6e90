/*
 * Unit tests for lib/diff: hunks and their headers as `diff -u` writes
 * them (context, merged and separate hunks, a new and a removed text, a
 * missing final newline), the summary counts, and, on random texts, that
 * the edit script is a shortest one (against a dynamic-programming LCS)
 * and that the diff turns the first text into the second.
 */
#include "diff.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1\n2\n...\nn\n", with the lines named in `edits` ("7,12") as "7x". */
static char *numbers(int n, const char *edits)
{
	struct strbuf sb = STRBUF_INIT;

	for (int i = 1; i <= n; i++) {
		char want[16];
		const char *p = edits;
		int edited = 0;

		snprintf(want, sizeof(want), "%d", i);
		while (p && *p) {
			size_t len = strcspn(p, ",");

			edited |= len == strlen(want) && !strncmp(p, want, len);
			p += len + (p[len] == ',');
		}
		strbuf_addf(&sb, "%d%s\n", i, edited ? "x" : "");
	}
	return strbuf_detach(&sb, NULL);
}

static void check_context(const char *a, const char *b, int context, const char *want,
			  const char *name)
{
	struct strbuf out = STRBUF_INIT;

	diff_unified(&out, a, strlen(a), b, strlen(b), context, NULL);
	tap_is_str(out.buf, want, "%s", name);
	strbuf_release(&out);
}

static void check(const char *a, const char *b, const char *want, const char *name)
{
	check_context(a, b, DIFF_CONTEXT, want, name);
}

static void test_hunks(void)
{
	char *a = numbers(20, NULL), *b = numbers(20, "10"), *c = numbers(40, "5,20,35");
	char *d = numbers(40, NULL), *e = numbers(20, "10,15");
	struct diff_stat st;
	size_t n;

	check(a, a, "", "equal texts: no hunk");
	check(a, b, "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+10x\n 11\n 12\n 13\n",
	      "one changed line: three lines of context on each side");
	check(a, e, "@@ -7,12 +7,12 @@\n 7\n 8\n 9\n-10\n+10x\n 11\n 12\n 13\n 14\n-15\n+15x\n"
		    " 16\n 17\n 18\n",
	      "changes six lines apart share a hunk");
	check("", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n", "a new text: -0,0");
	check("a\n", "", "@@ -1 +0,0 @@\n-a\n", "a removed one-line text: ',1' left out, +0,0");
	check("a\nb", "a\nb\n", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n",
	      "a missing final newline is a change, and marked");
	check("1\n2\n3\n", "0\n1\n2\n3\n", "@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n",
	      "a line added at the top: context after it only");
	check_context("1\n2\n3\n", "1\n2\n2a\n3\n", 0, "@@ -2,0 +3 @@\n+2a\n",
		      "without context, an empty range names the line before it");

	n = diff_unified(NULL, d, strlen(d), c, strlen(c), DIFF_CONTEXT, &st);
	tap_ok(n == 6 && st.added == 3 && st.removed == 3 && st.changed == 3 && st.hunks == 3,
	       "three one-line edits far apart: 3 lines changed in 3 hunks (+%zu -%zu, %zu changed, "
	       "%zu hunks)", st.added, st.removed, st.changed, st.hunks);
	n = diff_unified(NULL, "a\nb\n", 4, "x\ny\nz\n", 6, DIFF_CONTEXT, &st);
	tap_ok(n == 5 && st.changed == 3 && st.hunks == 1,
	       "two lines replaced by three: 3 changed");
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

/* --- random texts ------------------------------------------------------------- */

static size_t lcs(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	size_t *t = xcalloc((na + 1) * (nb + 1), sizeof(*t)), r;

	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++) {
			size_t up = t[(i - 1) * (nb + 1) + j], left = t[i * (nb + 1) + j - 1];

			t[i * (nb + 1) + j] = !strcmp(a[i - 1], b[j - 1])
				? t[(i - 1) * (nb + 1) + j - 1] + 1 : up > left ? up : left;
		}
	r = t[na * (nb + 1) + nb];
	free(t);
	return r;
}

/* The text a diff with all of its context leads from (keep '-') or to (keep '+'). */
static char *side(const char *diff, int keep)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = diff; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p);

		if (*p == ' ' || *p == keep) {
			strbuf_add(&sb, p + 1, len - 1);
			strbuf_addch(&sb, '\n');
		}
		p = nl + 1;
	}
	return strbuf_detach(&sb, NULL);
}

static void test_random(void)
{
	static const char *const words[] = { "a", "b", "c", "d" };
	int shortest = 1, applies = 1;

	srand(12345);
	for (int round = 0; round < 2000 && shortest && applies; round++) {
		const char *va[40], *vb[40];
		size_t na = (size_t)(rand() % 40), nb = (size_t)(rand() % 40);
		int alpha = 2 + rand() % 3;
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, out = STRBUF_INIT;
		char *got_a, *got_b;
		size_t n;

		for (size_t i = 0; i < na; i++)
			strbuf_addf(&a, "%s\n", va[i] = words[rand() % alpha]);
		for (size_t i = 0; i < nb; i++)
			strbuf_addf(&b, "%s\n", vb[i] = words[rand() % alpha]);
		n = diff_unified(&out, a.buf, a.len, b.buf, b.len, 100, NULL);
		shortest = n == na + nb - 2 * lcs(va, na, vb, nb);
		got_a = side(out.buf, '-');
		got_b = side(out.buf, '+');
		applies = !out.len || (!strcmp(got_a, a.buf) && !strcmp(got_b, b.buf));
		if (!shortest || !applies)
			tap_diag("round %d:\n%s---\n%s---\n%s", round, a.buf, b.buf, out.buf);
		free(got_a);
		free(got_b);
		strbuf_release(&a);
		strbuf_release(&b);
		strbuf_release(&out);
	}
	tap_ok(shortest, "2000 random pairs: every edit script is a shortest one");
	tap_ok(applies, "2000 random pairs: the diff leads from the first text to the second");
}

static void test_large(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct diff_stat st;

	/* nothing in common: the worst case of the search, in linear space */
	for (int i = 0; i < 20000; i++) {
		strbuf_addf(&a, "old %d\n", i);
		strbuf_addf(&b, "new %d\n", i);
	}
	diff_unified(NULL, a.buf, a.len, b.buf, b.len, DIFF_CONTEXT, &st);
	tap_ok(st.removed == 20000 && st.added == 20000 && st.hunks == 1,
	       "two 20,000-line texts with nothing in common: one hunk");
	strbuf_release(&a);
	strbuf_release(&b);
}

int main(void)
{
	test_hunks();
	test_random();
	test_large();
	return tap_done();
}
