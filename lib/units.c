/*
 * Unit parsing and formatting from tables; see units.h.
 */
#include "units.h"
#include "strbuf.h"
#include "xalloc.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>

struct unit {
	const char *suffix;
	uint64_t scale;
};

/* Longest suffixes first where one is a prefix of another ("ms" before "m"). */
static const struct unit duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};

static const struct unit byte_units[] = {
	{ "Ki", 1ULL << 10 }, { "Mi", 1ULL << 20 }, { "Gi", 1ULL << 30 },
	{ "Ti", 1ULL << 40 }, { "Pi", 1ULL << 50 }, { "Ei", 1ULL << 60 },
	{ "k", 1000ULL }, { "K", 1000ULL }, { "M", 1000000ULL }, { "G", 1000000000ULL },
	{ "T", 1000000000000ULL }, { "P", 1000000000000000ULL }, { "", 1 },
};

static const struct unit rate_units[] = {
	{ "r/s", 60 }, { "r/m", 1 },
};

/* Read a decimal integer; returns the number of characters consumed. */
static size_t read_uint(const char *s, uint64_t *out, int *overflow)
{
	size_t i = 0;
	uint64_t v = 0;

	while (isdigit((unsigned char)s[i])) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			*overflow = 1;
		v = v * 10 + d;
		i++;
	}
	*out = v;
	return i;
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return 0;
	*out = a * b;
	return 1;
}

static const struct unit *match_unit(const struct unit *tab, size_t n, const char *s, size_t *len)
{
	const struct unit *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(tab[i].suffix);

		if (!strncmp(s, tab[i].suffix, l) && (!best || l > best_len)) {
			best = &tab[i];
			best_len = l;
		}
	}
	*len = best_len;
	return best;
}

int parse_duration_ms(const char *s, uint64_t *ms, const char **why)
{
	uint64_t total = 0;
	int overflow = 0;

	if (!*s) {
		*why = "empty duration";
		return -1;
	}
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	while (*s) {
		uint64_t v, part;
		size_t n = read_uint(s, &v, &overflow), ul;
		const struct unit *u;

		if (!n) {
			*why = "expected a duration such as 500ms, 30s, 5m or 4h";
			return -1;
		}
		s += n;
		u = match_unit(duration_units, ARRAY_SIZE(duration_units), s, &ul);
		if (!u || !ul) {
			*why = *s ? "unknown duration unit (use ms, s, m, h or d)"
				  : "a duration needs a unit: ms, s, m, h or d";
			return -1;
		}
		s += ul;
		if (overflow || !mul_ok(v, u->scale, &part) || total + part < total) {
			*why = "duration is too large";
			return -1;
		}
		total += part;
	}
	*ms = total;
	return 0;
}

int parse_bytes(const char *s, uint64_t *bytes, const char **why)
{
	uint64_t v;
	int overflow = 0;
	size_t n = read_uint(s, &v, &overflow), ul;
	const struct unit *u;

	if (!n) {
		*why = "expected a size such as 512Mi, 2Gi or 100M";
		return -1;
	}
	u = match_unit(byte_units, ARRAY_SIZE(byte_units), s + n, &ul);
	if (!u || s[n + ul]) {
		*why = "unknown size unit (use Ki, Mi, Gi, Ti or k, M, G, T)";
		return -1;
	}
	if (overflow || !mul_ok(v, u->scale, bytes)) {
		*why = "size is too large";
		return -1;
	}
	return 0;
}

int parse_millicpu(const char *s, uint64_t *mcpu, const char **why)
{
	uint64_t whole, frac = 0;
	int overflow = 0;
	size_t n = read_uint(s, &whole, &overflow);

	if (!n) {
		*why = "expected CPU such as 250m, 0.5 or 2";
		return -1;
	}
	s += n;
	if (*s == 'm' && !s[1]) {
		if (overflow) {
			*why = "CPU is too large";
			return -1;
		}
		*mcpu = whole;
		return 0;
	}
	if (*s == '.') {
		uint64_t scale = 100;

		s++;
		if (!isdigit((unsigned char)*s)) {
			*why = "expected digits after the decimal point";
			return -1;
		}
		for (; isdigit((unsigned char)*s); s++, scale /= 10) {
			if (!scale) {
				*why = "CPU has more precision than 1m";
				return -1;
			}
			frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (*s) {
		*why = "expected CPU such as 250m, 0.5 or 2";
		return -1;
	}
	if (overflow || !mul_ok(whole, 1000, mcpu) || *mcpu + frac < *mcpu) {
		*why = "CPU is too large";
		return -1;
	}
	*mcpu += frac;
	return 0;
}

int parse_rate_per_min(const char *s, uint64_t *rpm, const char **why)
{
	uint64_t v;
	int overflow = 0;
	size_t n = read_uint(s, &v, &overflow), ul;
	const struct unit *u;

	if (!n) {
		*why = "expected a rate such as 250r/s or 30r/m";
		return -1;
	}
	u = match_unit(rate_units, ARRAY_SIZE(rate_units), s + n, &ul);
	if (!u || !ul || s[n + ul]) {
		*why = s[n] ? "unknown rate unit (use r/s or r/m)" : "a rate needs a unit: r/s or r/m";
		return -1;
	}
	if (overflow || !mul_ok(v, u->scale, rpm)) {
		*why = "rate is too large";
		return -1;
	}
	return 0;
}

/* The largest unit of `tab` (scale > 0) that divides `v` exactly. */
static void format_exact(struct strbuf *sb, uint64_t v, const struct unit *tab, size_t n)
{
	const struct unit *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (v % tab[i].scale == 0 && (!best || tab[i].scale > best->scale))
			best = &tab[i];
	strbuf_addf(sb, "%llu%s", (unsigned long long)(v / best->scale), best->suffix);
}

void format_duration_ms(struct strbuf *sb, uint64_t ms)
{
	if (!ms) {
		strbuf_addstr(sb, "0s");
		return;
	}
	format_exact(sb, ms, duration_units, ARRAY_SIZE(duration_units));
}

void format_bytes(struct strbuf *sb, uint64_t bytes)
{
	static const struct unit binary[] = {
		{ "", 1 }, { "Ki", 1ULL << 10 }, { "Mi", 1ULL << 20 },
		{ "Gi", 1ULL << 30 }, { "Ti", 1ULL << 40 },
	};
	static const struct unit decimal[] = {
		{ "", 1 }, { "k", 1000ULL }, { "M", 1000000ULL }, { "G", 1000000000ULL },
		{ "T", 1000000000000ULL },
	};

	if (!bytes) {
		strbuf_addstr(sb, "0");
		return;
	}
	/* prefer binary units, as Kubernetes users write them */
	if (bytes % 1024 == 0 || bytes % 1000 != 0)
		format_exact(sb, bytes, binary, ARRAY_SIZE(binary));
	else
		format_exact(sb, bytes, decimal, ARRAY_SIZE(decimal));
}

void format_millicpu(struct strbuf *sb, uint64_t mcpu)
{
	if (mcpu % 1000 == 0)
		strbuf_addf(sb, "%llu", (unsigned long long)(mcpu / 1000));
	else
		strbuf_addf(sb, "%llum", (unsigned long long)mcpu);
}

void format_rate_per_min(struct strbuf *sb, uint64_t rpm)
{
	format_exact(sb, rpm, rate_units, ARRAY_SIZE(rate_units));
}

void format_nginx_size(struct strbuf *sb, uint64_t bytes)
{
	if (bytes && !(bytes % (1 << 20)))
		strbuf_addf(sb, "%" PRIu64 "m", bytes >> 20);
	else if (bytes && !(bytes % 1024))
		strbuf_addf(sb, "%" PRIu64 "k", bytes >> 10);
	else
		strbuf_addf(sb, "%" PRIu64, bytes);
}
