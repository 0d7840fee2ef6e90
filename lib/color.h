/*
 * Colour for people at a terminal, and none for anything else: one
 * decision, color_enabled(), for every program.
 *
 * Output is coloured when it goes to a terminal, unless NO_COLOR is set
 * to anything but the empty string (https://no-color.org) or TERM is
 * "dumb". A file, a pipe or a CI log gets plain text.
 */
#ifndef LIB_COLOR_H
#define LIB_COLOR_H

struct strbuf;

#define COLOR_RESET "\033[m"
#define COLOR_BOLD_RED "\033[1;31m"
#define COLOR_RED "\033[31m"
#define COLOR_GREEN "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_BOLD_YELLOW "\033[1;33m"

/* Should what is written to `fd` be coloured? */
int color_enabled(int fd);

/*
 * Append `s` to `sb`, in `color` when `on` (and `color` is not NULL),
 * followed by spaces up to `width` columns: the escape codes take no
 * column, so a coloured table lines up as a plain one.
 */
void color_add(struct strbuf *sb, int on, const char *color, const char *s, int width);

#endif
