/*
 * Structured, redacted logging; see log.h.
 */
#include "clock.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Written only before the threads start, read-only afterwards. */
static char **secrets;
static size_t secrets_nr, secrets_alloc;

void log_add_secret(const char *secret)
{
	if (!secret || !*secret)
		return;
	for (size_t i = 0; i < secrets_nr; i++)
		if (!strcmp(secrets[i], secret))
			return;
	ALLOC_GROW(secrets, secrets_nr + 1, secrets_alloc);
	secrets[secrets_nr++] = xstrdup(secret);
}

/* Replace the `len` bytes at `pos` with `with`. */
static void splice(struct strbuf *sb, size_t pos, size_t len, const char *with)
{
	size_t wlen = strlen(with);

	if (wlen > len)
		strbuf_grow(sb, wlen - len);
	memmove(sb->buf + pos + wlen, sb->buf + pos + len, sb->len - pos - len + 1);
	memcpy(sb->buf + pos, with, wlen);
	sb->len = sb->len - len + wlen;
}

static void redact_string(struct strbuf *sb, const char *secret)
{
	size_t slen = strlen(secret), pos = 0;
	char *hit;

	while ((hit = strstr(sb->buf + pos, secret))) {
		pos = (size_t)(hit - sb->buf);
		splice(sb, pos, slen, "***");
		pos += 3;
	}
}

/* The end of a conninfo value starting at `i`: quoted ('...') or up to white space. */
static size_t value_end(const char *s, size_t i)
{
	if (s[i] == '\'') {
		for (i++; s[i] && s[i] != '\''; i++)
			if (s[i] == '\\' && s[i + 1])
				i++;
		return s[i] ? i + 1 : i;
	}
	while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '"' && s[i] != '&')
		i++;
	return i;
}

/* "password = value" (any case, as in PGPASSWORD=...) loses its value. */
static void redact_keyword(struct strbuf *sb)
{
	size_t pos = 0;
	char *hit;

	while ((hit = strcasestr(sb->buf + pos, "password"))) {
		size_t i = (size_t)(hit - sb->buf) + strlen("password"), end;

		while (sb->buf[i] == ' ')
			i++;
		if (sb->buf[i] != '=') {
			pos = i;
			continue;
		}
		for (i++; sb->buf[i] == ' '; i++)
			;
		end = value_end(sb->buf, i);
		splice(sb, i, end - i, "***");
		pos = i + 3;
	}
}

/* scheme://user:password@host: the password goes. */
static void redact_uri(struct strbuf *sb)
{
	size_t pos = 0;
	char *hit;

	while ((hit = strstr(sb->buf + pos, "://"))) {
		size_t auth = (size_t)(hit - sb->buf) + 3;
		size_t end = auth + strcspn(sb->buf + auth, "/?# \t\n\"'");
		char *at = memrchr(sb->buf + auth, '@', end - auth), *colon;

		pos = auth;
		if (!at)
			continue;
		colon = memchr(sb->buf + auth, ':', (size_t)(at - (sb->buf + auth)));
		if (!colon || colon + 1 == at)
			continue;
		splice(sb, (size_t)(colon + 1 - sb->buf), (size_t)(at - colon - 1), "***");
	}
}

void redact(struct strbuf *sb)
{
	for (size_t i = 0; i < secrets_nr; i++)
		redact_string(sb, secrets[i]);
	redact_keyword(sb);
	redact_uri(sb);
}

static int needs_quotes(const char *v)
{
	if (!*v)
		return 1;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' || *p == '\\')
			return 1;
	return 0;
}

static void add_value(struct strbuf *line, const char *v)
{
	if (!needs_quotes(v)) {
		strbuf_addstr(line, v);
		return;
	}
	strbuf_addch(line, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(line, "\\%c", *p);
		else if (*p == '\n')
			strbuf_addstr(line, "\\n");
		else if (*p == '\t')
			strbuf_addstr(line, "\\t");
		else if (*p < ' ' || *p >= 0x7f)
			strbuf_addf(line, "\\x%02x", *p);
		else
			strbuf_addch(line, *p);
	}
	strbuf_addch(line, '"');
}

void log_begin(struct strbuf *line, const char *level, const char *event)
{
	char when[UTC_STAMP_MAX];

	strbuf_init(line, 160);
	strbuf_addf(line, "ts=%s level=%s event=%s", utc_stamp(when, sizeof(when), NULL, 1),
		    level, event);
}

void log_str(struct strbuf *line, const char *key, const char *value)
{
	struct strbuf v = STRBUF_INIT;

	strbuf_addstr(&v, value ? value : "");
	redact(&v);
	strbuf_addf(line, " %s=", key);
	add_value(line, v.buf);
	strbuf_release(&v);
}

void log_int(struct strbuf *line, const char *key, long long value)
{
	strbuf_addf(line, " %s=%lld", key, value);
}

void log_ms(struct strbuf *line, const char *key, double seconds)
{
	strbuf_addf(line, " %s=%.3f", key, seconds * 1000.0);
}

void log_end(struct strbuf *line)
{
	const char *p;
	size_t left;

	strbuf_addch(line, '\n');
	p = line->buf;
	left = line->len;
	while (left) {
		ssize_t n = write(STDERR_FILENO, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	strbuf_release(line);
}

void log_msg(const char *level, const char *event, const char *fmt, ...)
{
	struct strbuf line, msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	log_begin(&line, level, event);
	log_str(&line, "msg", msg.buf);
	log_end(&line);
	strbuf_release(&msg);
}
