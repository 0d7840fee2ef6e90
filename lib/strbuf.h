/*
 * A growable, always NUL-terminated string buffer.
 *
 * `buf` is never NULL: an empty strbuf points at a shared empty string, so
 * it can be printed or compared without checks. Initialise with STRBUF_INIT
 * or strbuf_init(); release with strbuf_release(); take ownership of the
 * contents with strbuf_detach(), which leaves the strbuf empty and valid.
 */
#ifndef LIB_STRBUF_H
#define LIB_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

extern char strbuf_slopbuf[];

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

#define STRBUF_INIT { .alloc = 0, .len = 0, .buf = strbuf_slopbuf }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addchars(struct strbuf *sb, int c, size_t n);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Append `s` as a JSON/YAML double-quoted string, quotes included. */
void strbuf_add_quoted(struct strbuf *sb, const char *s);

/* Remove trailing white space. */
void strbuf_rtrim(struct strbuf *sb);

/*
 * Append `len` bytes of untrusted text (what a server sent) as one line of
 * valid UTF-8: each run of white space becomes one space, other control
 * characters and bytes that are not well-formed UTF-8 become '?'.
 */
void strbuf_add_line(struct strbuf *sb, const char *s, size_t len);

/*
 * Read the whole file at `path`, refusing files larger than `max` bytes.
 * Returns 0, or -1 with errno set (EFBIG when too large).
 */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);

#endif
