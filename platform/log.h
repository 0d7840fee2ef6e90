/*
 * Structured logging for obsd: one line per event on stderr, as key=value
 * pairs (logfmt), starting with the time, the level and the event:
 *
 *   ts=2026-11-22T10:59:00.123Z level=info event=listening addr=127.0.0.1:8080
 *
 * A line is built in a strbuf with log_begin(), the log_*() adders, and
 * written by log_end() with one write(2), so lines of different threads
 * never interleave.
 *
 * Secrets never reach the log: every value added is redacted first (see
 * redact()), which replaces the values registered with log_add_secret()
 * and anything that looks like a password in a connection string. Values
 * are quoted when needed and control and non-ASCII bytes escaped, so one
 * event is always one line.
 */
#ifndef PLATFORM_LOG_H
#define PLATFORM_LOG_H

#include "strbuf.h"

/*
 * Register a string that must never be logged (the database password).
 * Call before other threads start; the string is copied.
 */
void log_add_secret(const char *secret);

/*
 * Replace, in place, every registered secret, the value after "password="
 * and the password of a URI's "user:password@" with "***".
 */
void redact(struct strbuf *sb);

void log_begin(struct strbuf *line, const char *level, const char *event);
void log_str(struct strbuf *line, const char *key, const char *value);
void log_int(struct strbuf *line, const char *key, long long value);
void log_ms(struct strbuf *line, const char *key, double seconds);
void log_end(struct strbuf *line);

/* One event with one message, for the simple cases. */
void log_msg(const char *level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
