/*
 * Allocation wrappers that never return NULL: on exhaustion they print a
 * message and abort, so callers need not check. Sizes that are products
 * are checked for overflow before the allocation is attempted.
 */
#ifndef LIB_XALLOC_H
#define LIB_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grow the array `x` (of `nr` used elements, `alloc` allocated) so it can
 * hold at least `want` elements. Growth is geometric.
 */
#define ALLOC_GROW(x, want, alloc)                                          \
	do {                                                                \
		if ((size_t)(want) > (alloc)) {                             \
			size_t alloc_grow_n_ = (alloc) < 8 ? 8 : (alloc);   \
			while (alloc_grow_n_ < (size_t)(want))              \
				alloc_grow_n_ += alloc_grow_n_ / 2 + 1;     \
			(x) = xreallocarray((x), alloc_grow_n_, sizeof(*(x))); \
			(alloc) = alloc_grow_n_;                            \
		}                                                           \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
