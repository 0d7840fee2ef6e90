/*
 * NULL-terminated string vectors; see strv.h.
 */
#include "strv.h"
#include "usage.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void strv_push_take(struct strv *sv, char *s)
{
	if (sv->nr + 2 > sv->alloc) {
		sv->alloc = sv->alloc ? sv->alloc * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->alloc, sizeof(*sv->v));
	}
	sv->v[sv->nr++] = s;
	sv->v[sv->nr] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
	strv_push_take(sv, xstrdup(s));
}

void strv_pushf(struct strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	strv_push_take(sv, s);
}

void strv_clear(struct strv *sv)
{
	strv_free(sv->v);
	sv->v = NULL;
	sv->nr = sv->alloc = 0;
}

char **strv_detach(struct strv *sv)
{
	char **v = sv->v ? sv->v : xcalloc(1, sizeof(*v));

	sv->v = NULL;
	sv->nr = sv->alloc = 0;
	return v;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
