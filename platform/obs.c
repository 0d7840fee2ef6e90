/*
 * Validation of observations, batches, RFC 3339 times; see obs.h.
 */
#include "obs.h"
#include "strbuf.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obs_batch_release(struct obs_batch *b)
{
	for (size_t i = 0; i < b->nr; i++) {
		free(b->rows[i].id);
		free(b->rows[i].station);
		free(b->rows[i].kind);
	}
	free(b->rows);
	for (size_t i = 0; i < b->errors_nr; i++)
		free(b->errors[i].message);
	free(b->errors);
	memset(b, 0, sizeof(*b));
}

void obs_batch_error(struct obs_batch *b, size_t row, const char *field, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	if (row != b->last_invalid_row) {
		b->invalid++;
		b->last_invalid_row = row;
	}
	if (b->errors_nr >= OBS_ERRORS_KEPT)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	obs_utf8_sanitize(msg.buf);
	ALLOC_GROW(b->errors, b->errors_nr + 1, b->errors_alloc);
	b->errors[b->errors_nr].row = row;
	b->errors[b->errors_nr].field = field;
	b->errors[b->errors_nr].message = strbuf_detach(&msg, NULL);
	b->errors[b->errors_nr].seq = b->errors_nr;
	b->errors_nr++;
}

/* The length of the UTF-8 sequence at `s`, or 0 if it is not valid UTF-8. */
static int utf8_len(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4 || (s[1] & 0xc0) != 0x80)
		return 0;
	if (c < 0xe0)
		return 2;
	if ((s[2] & 0xc0) != 0x80)
		return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
		return 0;   /* overlong, or a surrogate */
	if (c < 0xf0)
		return 3;
	if ((s[3] & 0xc0) != 0x80 || (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
		return 0;   /* not 4 bytes, overlong, or past U+10FFFF */
	return 4;
}

void obs_utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		int n = utf8_len(p);

		if (!n)
			*p = '?';
		p += n ? n : 1;
	}
}

const char *obs_check_text(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (!len)
		return "must not be empty";
	if (len > max)
		return "is too long";
	if (s[0] == ' ' || s[len - 1] == ' ')
		return "has white space at either end";
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = utf8_len(p);

		if (!n)
			return "is not valid UTF-8";
		if (*p < 0x20 || *p == 0x7f)
			return "contains a control character";
		p += n;
	}
	return NULL;
}

/* Read exactly `n` digits. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + (*p)[i] - '0';
	}
	*p += n;
	return v;
}

/* Consume one character of `set` (never the terminating NUL). */
static int one_of(const char **p, const char *set)
{
	if (!**p || !strchr(set, **p))
		return 0;
	(*p)++;
	return 1;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".ddd": microseconds, digits past the sixth dropped. */
static int fraction(const char **p, int64_t *us)
{
	int n = 0;

	*us = 0;
	if (!one_of(p, "."))
		return 0;
	for (; **p >= '0' && **p <= '9'; (*p)++, n++)
		if (n < 6)
			*us = *us * 10 + (**p - '0');
	for (int i = n; i < 6; i++)
		*us *= 10;
	return n ? 0 : -1;
}

/* "Z", "+HH:MM" or "-HH:MM", as minutes east of UTC. */
static int zone(const char **p, int *minutes)
{
	int sign, h, m;

	*minutes = 0;
	if (one_of(p, "Zz"))
		return 0;
	sign = **p == '-' ? -1 : 1;
	if (!one_of(p, "+-") || (h = digits(p, 2)) < 0 || !one_of(p, ":") ||
	    (m = digits(p, 2)) < 0 || h > 23 || m > 59)
		return -1;
	*minutes = sign * (h * 60 + m);
	return 0;
}

int obs_parse_time(const char *s, int64_t *out, const char **why)
{
	const char *p = s;
	int y, mo, d, h, mi, sec, off;
	int64_t us, t;

	*why = "expected YYYY-MM-DDTHH:MM:SS[.fraction] and Z or an offset like +01:00";
	if ((y = digits(&p, 4)) < 0 || !one_of(&p, "-") || (mo = digits(&p, 2)) < 0 ||
	    !one_of(&p, "-") || (d = digits(&p, 2)) < 0 || !one_of(&p, "Tt ") ||
	    (h = digits(&p, 2)) < 0 || !one_of(&p, ":") || (mi = digits(&p, 2)) < 0 ||
	    !one_of(&p, ":") || (sec = digits(&p, 2)) < 0 || fraction(&p, &us) < 0 ||
	    zone(&p, &off) < 0 || *p)
		return -1;
	*why = "a field is out of range";
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (sec == 60) {
		*why = "leap seconds are not supported";
		return -1;
	}
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	t = (t - (int64_t)off * 60) * 1000000 + us;
	if (t < OBS_TIME_MIN || t > OBS_TIME_MAX) {
		*why = "outside the years 1 to 9999 in UTC";
		return -1;
	}
	*out = t;
	return 0;
}

void obs_format_time(char buf[OBS_TIME_BUFSIZE], int64_t t)
{
	int64_t secs = t / 1000000, us = t % 1000000, days, rem, y;
	unsigned m, d;
	int len;

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	len = snprintf(buf, OBS_TIME_BUFSIZE, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
		       (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	if (us % 1000 == 0 && us)
		len += snprintf(buf + len, (size_t)(OBS_TIME_BUFSIZE - len), ".%03d", (int)(us / 1000));
	else if (us)
		len += snprintf(buf + len, (size_t)(OBS_TIME_BUFSIZE - len), ".%06d", (int)us);
	snprintf(buf + len, (size_t)(OBS_TIME_BUFSIZE - len), "Z");
}

/* A number as JSON writes it: no hex, no "inf" or "nan", no white space. */
static int parse_value(const char *s, double *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return -1;
	*out = strtod(s, &end);
	return *end ? -1 : 0;
}

static int check_field(struct obs_batch *b, size_t row, const char *field, const char *s,
		       size_t max)
{
	const char *why;

	if (!s) {
		obs_batch_error(b, row, field, "missing");
		return -1;
	}
	if (strlen(s) > max)
		obs_batch_error(b, row, field, "longer than %zu bytes", max);
	else if ((why = obs_check_text(s, max)))
		obs_batch_error(b, row, field, "%s", why);
	else
		return 0;
	return -1;
}

static int check_time(struct obs_batch *b, size_t row, const char *s, int64_t *t)
{
	const char *why;

	if (!s) {
		obs_batch_error(b, row, "time", "missing");
		return -1;
	}
	if (!obs_parse_time(s, t, &why))
		return 0;
	obs_batch_error(b, row, "time", "not an RFC 3339 date-time: %s", why);
	return -1;
}

static int check_value(struct obs_batch *b, size_t row, const struct obs_fields *f, double *v)
{
	if (!f->has_number && !f->value_text) {
		obs_batch_error(b, row, "value", "missing");
		return -1;
	}
	if (f->has_number)
		*v = f->number;
	else if (parse_value(f->value_text, v) < 0) {
		obs_batch_error(b, row, "value", "not a number");
		return -1;
	}
	if (isfinite(*v))
		return 0;
	obs_batch_error(b, row, "value", "not a finite number");
	return -1;
}

int obs_batch_add(struct obs_batch *b, size_t row, const struct obs_fields *f)
{
	int64_t t = 0;
	double v = 0;
	int bad = f->invalid || f->reported;
	struct obs *o;

	if (!(f->reported & OBS_F_ID))
		bad |= check_field(b, row, "id", f->id, OBS_ID_MAX);
	if (!(f->reported & OBS_F_STATION))
		bad |= check_field(b, row, "station", f->station, OBS_LABEL_MAX);
	if (!(f->reported & OBS_F_KIND))
		bad |= check_field(b, row, "kind", f->kind, OBS_LABEL_MAX);
	if (!(f->reported & OBS_F_TIME))
		bad |= check_time(b, row, f->time, &t);
	if (!(f->reported & OBS_F_VALUE))
		bad |= check_value(b, row, f, &v);
	if (bad)
		return -1;
	ALLOC_GROW(b->rows, b->nr + 1, b->alloc);
	o = &b->rows[b->nr++];
	o->row = row;
	o->id = xstrdup(f->id);
	o->station = xstrdup(f->station);
	o->kind = xstrdup(f->kind);
	o->time = t;
	o->value = v;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct obs *x = *(const struct obs *const *)a, *y = *(const struct obs *const *)b;
	int c = strcmp(x->id, y->id);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

static int by_row(const void *a, const void *b)
{
	const struct obs_error *x = a, *y = b;

	if (x->row != y->row)
		return (x->row > y->row) - (x->row < y->row);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void obs_batch_check_duplicates(struct obs_batch *b)
{
	struct obs **sorted;
	size_t before = b->errors_nr;

	if (b->nr < 2)
		return;
	sorted = xreallocarray(NULL, b->nr, sizeof(*sorted));
	for (size_t i = 0; i < b->nr; i++)
		sorted[i] = &b->rows[i];
	qsort(sorted, b->nr, sizeof(*sorted), by_id);
	for (size_t i = 1, first = 0; i < b->nr; i++) {
		if (strcmp(sorted[i]->id, sorted[first]->id)) {
			first = i;
			continue;
		}
		obs_batch_error(b, sorted[i]->row, "id", "the same id as row %zu", sorted[first]->row);
	}
	free(sorted);
	/* keep the list in row order; the rows before `before` already are */
	if (b->errors_nr > before)
		qsort(b->errors, b->errors_nr, sizeof(*b->errors), by_row);
}
