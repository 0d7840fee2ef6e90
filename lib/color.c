/*
 * Colour on a terminal; see color.h.
 */
#include "color.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int color_enabled(int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (no && *no)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fd);
}

void color_add(struct strbuf *sb, int on, const char *color, const char *s, int width)
{
	size_t len = strlen(s);

	on = on && color;
	if (on)
		strbuf_addstr(sb, color);
	strbuf_addstr(sb, s);
	if (on)
		strbuf_addstr(sb, COLOR_RESET);
	if (width > 0 && len < (size_t)width)
		strbuf_addchars(sb, ' ', (size_t)width - len);
}
