/*
 * A growable, NULL-terminated array of owned strings: argv and envp
 * vectors for programs we run. `v` is NULL until the first push; after
 * any push v[nr] is NULL, so v can be handed to execve as it is.
 */
#ifndef LIB_STRV_H
#define LIB_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t nr, alloc;
};
#define STRV_INIT { NULL, 0, 0 }

void strv_push(struct strv *sv, const char *s);             /* a copy of s */
void strv_push_take(struct strv *sv, char *s);              /* takes s */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_clear(struct strv *sv);
/* The array (never NULL, possibly just {NULL}); the strv is left empty. */
char **strv_detach(struct strv *sv);
/* Free a detached array and its strings. */
void strv_free(char **v);

#endif
