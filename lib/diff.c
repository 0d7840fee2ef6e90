/*
 * Line diffs; see diff.h.
 *
 * Lines are compared by a 64-bit hash first and their bytes second. The
 * search marks, in each text, the lines that are not in the common
 * subsequence; the output pairs the unmarked lines up again and prints
 * every run of marked lines as a change, removed lines before added
 * ones, as git does.
 */
#include "diff.h"
#include "strbuf.h"
#include "xalloc.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct text {
	const char **line;
	size_t *len;            /* without the newline */
	uint64_t *hash;
	long nr;
	int no_eol;             /* its last line has no newline */
	char *changed;          /* per line: removed (in a) or added (in b) */
};

struct diff_ctx {
	struct text a, b;
	long *kvdf, *kvdb;      /* furthest reach per diagonal, forward and backward */
	long max_cost;          /* edits searched before settling for a good split */
};

/* A run of changes: a's lines [a0, a1) replaced by b's [b0, b1). */
struct block {
	long a0, a1, b0, b1;
};

static uint64_t hash_line(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;   /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void split_text(struct text *t, const char *data, size_t len)
{
	size_t alloc = 0;
	const char *p = data, *end = data + len;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if ((size_t)t->nr + 1 > alloc) {
			alloc = alloc ? alloc * 2 : 64;
			t->line = xreallocarray(t->line, alloc, sizeof(*t->line));
			t->len = xreallocarray(t->len, alloc, sizeof(*t->len));
			t->hash = xreallocarray(t->hash, alloc, sizeof(*t->hash));
		}
		t->line[t->nr] = p;
		t->len[t->nr] = n;
		t->hash[t->nr++] = hash_line(p, n);
		t->no_eol = !nl;
		p += n + 1;
	}
	t->changed = xcalloc((size_t)t->nr + 1, 1);
}

static void text_release(struct text *t)
{
	free(t->line);
	free(t->len);
	free(t->hash);
	free(t->changed);
}

static int last_without_eol(const struct text *t, long i)
{
	return t->no_eol && i == t->nr - 1;
}

/* Line i of a and line j of b are the same (a missing final newline counts). */
static int same(const struct diff_ctx *c, long i, long j)
{
	return c->a.hash[i] == c->b.hash[j] && c->a.len[i] == c->b.len[j] &&
	       last_without_eol(&c->a, i) == last_without_eol(&c->b, j) &&
	       !memcmp(c->a.line[i], c->b.line[j], c->a.len[i]);
}

struct range {
	long off1, lim1, off2, lim2;
	long fmin, fmax, bmin, bmax;
};

/*
 * Too many edits apart: of the furthest points the searches reached, the
 * one that went further (GNU diff's "too expensive" heuristic). The script
 * may then be longer than the shortest, but two large texts with little
 * in common take O((N + M) max_cost) rather than O((N + M)^2).
 */
static void best_split(const struct diff_ctx *c, const struct range *r, long *s1, long *s2)
{
	long fbest = -1, fbest1 = -1, bbest = LONG_MAX, bbest1 = LONG_MAX, d, i1, i2;

	for (d = r->fmax; d >= r->fmin; d -= 2) {
		i1 = c->kvdf[d] < r->lim1 ? c->kvdf[d] : r->lim1;
		i2 = i1 - d;
		if (r->lim2 < i2)
			i1 = r->lim2 + d, i2 = r->lim2;
		if (fbest < i1 + i2)
			fbest = i1 + i2, fbest1 = i1;
	}
	for (d = r->bmax; d >= r->bmin; d -= 2) {
		i1 = c->kvdb[d] > r->off1 ? c->kvdb[d] : r->off1;
		i2 = i1 - d;
		if (i2 < r->off2)
			i1 = r->off2 + d, i2 = r->off2;
		if (i1 + i2 < bbest)
			bbest = i1 + i2, bbest1 = i1;
	}
	if ((r->lim1 + r->lim2) - bbest < fbest - (r->off1 + r->off2))
		*s1 = fbest1, *s2 = fbest - fbest1;
	else
		*s1 = bbest1, *s2 = bbest - bbest1;
}

/*
 * A point (*s1, *s2) on a shortest edit path through the box a[off1,
 * lim1) x b[off2, lim2), found where the forward and backward searches
 * meet (the middle snake). Diagonal d holds the points with x - y == d;
 * both searches explore only the diagonals that cross the box. The box
 * has no common first or last line, so the point is neither corner and
 * both halves are smaller. (git's xdiff, xdl_split(), does the same.)
 */
static void split(struct diff_ctx *c, long off1, long lim1, long off2, long lim2, long *s1,
		  long *s2)
{
	long dmin = off1 - lim2, dmax = lim1 - off2;
	long fmid = off1 - off2, bmid = lim1 - lim2;
	long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	long *kvdf = c->kvdf, *kvdb = c->kvdb;
	int odd = (fmid - bmid) & 1;

	kvdf[fmid] = off1;
	kvdb[bmid] = lim1;
	for (long cost = 1;; cost++) {
		long d, i1, i2;

		if (fmin > dmin)
			kvdf[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			kvdf[++fmax + 1] = -1;
		else
			--fmax;
		for (d = fmax; d >= fmin; d -= 2) {
			i1 = kvdf[d - 1] >= kvdf[d + 1] ? kvdf[d - 1] + 1 : kvdf[d + 1];
			i2 = i1 - d;
			while (i1 < lim1 && i2 < lim2 && same(c, i1, i2))
				i1++, i2++;
			kvdf[d] = i1;
			if (odd && bmin <= d && d <= bmax && kvdb[d] <= i1) {
				*s1 = i1, *s2 = i2;
				return;
			}
		}
		if (bmin > dmin)
			kvdb[--bmin - 1] = LONG_MAX;
		else
			++bmin;
		if (bmax < dmax)
			kvdb[++bmax + 1] = LONG_MAX;
		else
			--bmax;
		for (d = bmax; d >= bmin; d -= 2) {
			i1 = kvdb[d - 1] < kvdb[d + 1] ? kvdb[d - 1] : kvdb[d + 1] - 1;
			i2 = i1 - d;
			while (i1 > off1 && i2 > off2 && same(c, i1 - 1, i2 - 1))
				i1--, i2--;
			kvdb[d] = i1;
			if (!odd && fmin <= d && d <= fmax && i1 <= kvdf[d]) {
				*s1 = i1, *s2 = i2;
				return;
			}
		}
		if (cost >= c->max_cost) {
			struct range r = { off1, lim1, off2, lim2, fmin, fmax, bmin, bmax };

			best_split(c, &r, s1, s2);
			return;
		}
	}
}

/* Mark the lines of a[off1, lim1) and b[off2, lim2) outside a longest common subsequence. */
static void compare(struct diff_ctx *c, long off1, long lim1, long off2, long lim2)
{
	long s1, s2;

	while (off1 < lim1 && off2 < lim2 && same(c, off1, off2))
		off1++, off2++;
	while (off1 < lim1 && off2 < lim2 && same(c, lim1 - 1, lim2 - 1))
		lim1--, lim2--;
	if (off1 == lim1) {
		memset(c->b.changed + off2, 1, (size_t)(lim2 - off2));
	} else if (off2 == lim2) {
		memset(c->a.changed + off1, 1, (size_t)(lim1 - off1));
	} else {
		split(c, off1, lim1, off2, lim2, &s1, &s2);
		compare(c, off1, s1, off2, s2);
		compare(c, s1, lim1, s2, lim2);
	}
}

/* The runs of changes, in order; their number in *nr. */
static struct block *blocks_of(const struct diff_ctx *c, size_t *nr)
{
	struct block *v = NULL;
	size_t alloc = 0;
	long i = 0, j = 0;

	*nr = 0;
	while (i < c->a.nr || j < c->b.nr) {
		struct block b = { i, i, j, j };

		if (!c->a.changed[i] && !c->b.changed[j]) {
			i++, j++;   /* a common line: both sides have one here */
			continue;
		}
		while (i < c->a.nr && c->a.changed[i])
			i++;
		while (j < c->b.nr && c->b.changed[j])
			j++;
		b.a1 = i, b.b1 = j;
		ALLOC_GROW(v, *nr + 1, alloc);
		v[(*nr)++] = b;
	}
	return v;
}

static void add_line(struct strbuf *out, int mark, const struct text *t, long i)
{
	strbuf_addch(out, mark);
	strbuf_add(out, t->line[i], t->len[i]);
	strbuf_addch(out, '\n');
	if (last_without_eol(t, i))
		strbuf_addstr(out, "\\ No newline at end of file\n");
}

/* "-l,s" as diff -u writes it: ",1" left out; an empty range names the line before it. */
static void add_range(struct strbuf *out, long start, long count)
{
	if (count == 1)
		strbuf_addf(out, "%ld", start + 1);
	else
		strbuf_addf(out, "%ld,%ld", count ? start + 1 : start, count);
}

/* The hunk of blocks [s, e], with `context` common lines before and after. */
static void add_hunk(struct strbuf *out, const struct diff_ctx *c, const struct block *v,
		     size_t s, size_t e, long context)
{
	long before = v[s].a0 < context ? v[s].a0 : context;
	long after = c->a.nr - v[e].a1 < context ? c->a.nr - v[e].a1 : context;
	long a = v[s].a0 - before, b = v[s].b0 - before;

	strbuf_addstr(out, "@@ -");
	add_range(out, a, v[e].a1 + after - a);
	strbuf_addstr(out, " +");
	add_range(out, b, v[e].b1 + after - b);
	strbuf_addstr(out, " @@\n");
	for (size_t k = s; k <= e; k++) {
		for (; a < v[k].a0; a++, b++)
			add_line(out, ' ', &c->a, a);
		for (; a < v[k].a1; a++)
			add_line(out, '-', &c->a, a);
		for (; b < v[k].b1; b++)
			add_line(out, '+', &c->b, b);
	}
	for (long n = 0; n < after; n++, a++)
		add_line(out, ' ', &c->a, a);
}

static void stat_blocks(struct diff_stat *st, const struct block *v, size_t nr, long context)
{
	for (size_t k = 0; k < nr; k++) {
		size_t removed = (size_t)(v[k].a1 - v[k].a0), added = (size_t)(v[k].b1 - v[k].b0);

		st->removed += removed;
		st->added += added;
		st->changed += removed > added ? removed : added;
		/* a new hunk unless the context of the last one reaches this one */
		if (!k || v[k].a0 - v[k - 1].a1 > 2 * context)
			st->hunks++;
	}
}

size_t diff_unified(struct strbuf *out, const char *a, size_t a_len, const char *b,
		    size_t b_len, int context, struct diff_stat *st)
{
	struct diff_ctx c;
	struct diff_stat s = { 0 };
	struct block *v;
	size_t nr, start = 0;

	if (context < 0)
		context = 0;
	split_text(&c.a, a, a_len);
	split_text(&c.b, b, b_len);
	/* the diagonals run from -(b lines) - 1 to (a lines) + 1 */
	c.kvdf = xcalloc((size_t)(c.a.nr + c.b.nr + 3), sizeof(long));
	c.kvdb = xcalloc((size_t)(c.a.nr + c.b.nr + 3), sizeof(long));
	c.kvdf += c.b.nr + 1;
	c.kvdb += c.b.nr + 1;
	c.max_cost = 256;
	while (c.max_cost * c.max_cost < c.a.nr + c.b.nr)
		c.max_cost *= 2;
	compare(&c, 0, c.a.nr, 0, c.b.nr);
	v = blocks_of(&c, &nr);
	stat_blocks(&s, v, nr, context);
	for (size_t k = 0; out && k < nr; k++)
		if (k + 1 == nr || v[k + 1].a0 - v[k].a1 > 2 * (long)context) {
			add_hunk(out, &c, v, start, k, context);
			start = k + 1;
		}
	free(v);
	free(c.kvdf - (c.b.nr + 1));
	free(c.kvdb - (c.b.nr + 1));
	text_release(&c.a);
	text_release(&c.b);
	if (st)
		*st = s;
	return s.added + s.removed;
}
