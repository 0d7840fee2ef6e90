/*
 * die(), error(), warning(), BUG(); see usage.h.
 */
#include "usage.h"
#include "color.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *usage_progname;
int die_status = 128;

static void vreport(const char *prefix, const char *fmt, va_list ap, int err)
	__attribute__((format(printf, 2, 0)));

/* "error:" in bold red, "warning:" in yellow, on a terminal */
static void add_prefix(const char *prefix)
{
	const char *color = prefix[0] == 'w' ? COLOR_BOLD_YELLOW : COLOR_BOLD_RED;
	size_t len = strlen(prefix);

	if (len > 1 && prefix[len - 1] == ' ' && color_enabled(STDERR_FILENO))
		fprintf(stderr, "%s%.*s%s ", color, (int)(len - 1), prefix, COLOR_RESET);
	else
		fputs(prefix, stderr);
}

static void vreport(const char *prefix, const char *fmt, va_list ap, int err)
{
	fflush(stdout);
	if (usage_progname)
		fprintf(stderr, "%s: ", usage_progname);
	add_prefix(prefix);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(die_status);
}

void die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap, e);
	va_end(ap);
	exit(die_status);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap, 0);
	va_end(ap);
	return -1;
}

int error_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport("error: ", fmt, ap, e);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", fmt, ap, 0);
	va_end(ap);
}

void bug_fl(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
