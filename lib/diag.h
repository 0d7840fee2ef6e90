/*
 * A list of diagnostics with source positions, filled by parsers and
 * validators that want to report every problem rather than the first.
 *
 * Each entry is "FILE:LINE:COLUMN: message". The list owns its strings.
 * After `max` errors further ones are counted but not stored, so a file
 * with a million mistakes cannot exhaust memory.
 */
#ifndef LIB_DIAG_H
#define LIB_DIAG_H

#include <stddef.h>

struct diag_entry {
	char *file;   /* may be NULL for problems without a position */
	int line;     /* 1-based; 0 when unknown */
	int col;      /* 1-based; 0 when unknown */
	char *msg;
	size_t seq;   /* order of insertion, keeps sorting stable */
};

struct diag {
	struct diag_entry *v;
	size_t nr, alloc;
	size_t dropped;  /* errors beyond `max` */
	size_t max;
};

#define DIAG_INIT { .v = NULL, .nr = 0, .alloc = 0, .dropped = 0, .max = 50 }

void diag_release(struct diag *d);
void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static inline size_t diag_count(const struct diag *d) { return d->nr + d->dropped; }

/* Sort by file, line, column; stable for equal positions. */
void diag_sort(struct diag *d);

/* Append every entry as "FILE:LINE:COL: msg\n" (prefix before each). */
struct strbuf;
void diag_format(const struct diag *d, struct strbuf *out, const char *prefix);

/*
 * Read a definition file of at most `max` bytes into sb; when it cannot be
 * read, add "FILE: cannot read WHAT: <why>" to d and return -1 (sb is then
 * released).
 */
int diag_read_file(struct diag *d, struct strbuf *sb, const char *file, size_t max,
		   const char *what);

#endif
