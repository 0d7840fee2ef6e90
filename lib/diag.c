/*
 * Positioned diagnostics; see diag.h.
 */
#include "diag.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_release(struct diag *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->nr = d->alloc = d->dropped = 0;
}

void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag_entry *e;
	va_list ap;

	if (d->max && d->nr >= d->max) {
		d->dropped++;
		return;
	}
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ALLOC_GROW(d->v, d->nr + 1, d->alloc);
	e = &d->v[d->nr++];
	e->file = file ? xstrdup(file) : NULL;
	e->line = line;
	e->col = col;
	e->msg = strbuf_detach(&sb, NULL);
	e->seq = d->nr - 1;
}

static int cmp_entry(const void *a_, const void *b_)
{
	const struct diag_entry *a = a_, *b = b_;
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_sort(struct diag *d)
{
	if (d->nr > 1)
		qsort(d->v, d->nr, sizeof(*d->v), cmp_entry);
}

void diag_format(const struct diag *d, struct strbuf *out, const char *prefix)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct diag_entry *e = &d->v[i];

		strbuf_addstr(out, prefix ? prefix : "");
		if (e->file && e->line)
			strbuf_addf(out, "%s:%d:%d: ", e->file, e->line, e->col);
		else if (e->file)
			strbuf_addf(out, "%s: ", e->file);
		strbuf_addstr(out, e->msg);
		strbuf_addch(out, '\n');
	}
	if (d->dropped)
		strbuf_addf(out, "%s%zu more error%s not shown\n", prefix ? prefix : "",
			    d->dropped, d->dropped == 1 ? "" : "s");
}

int diag_read_file(struct diag *d, struct strbuf *sb, const char *file, size_t max,
		   const char *what)
{
	if (strbuf_read_file(sb, file, max) == 0)
		return 0;
	diag_add(d, file, 0, 0, "cannot read %s: %m", what);
	strbuf_release(sb);
	return -1;
}
