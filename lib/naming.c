/*
 * DNS-1123 names with collision-proof hash suffixes; see naming.h.
 */
#include "naming.h"
#include "hash.h"
#include "strbuf.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int is_dns_label(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > DNS_LABEL_MAX || !islower((unsigned char)s[0]) || s[len - 1] == '-')
		return 0;
	for (const char *p = s; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/* Lower-case, runs of other characters to one '-', trimmed. */
static void sanitise(struct strbuf *out, const char *raw)
{
	int dash = 0;

	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (isalnum(*p) && *p < 0x80) {
			if (dash && out->len)
				strbuf_addch(out, '-');
			dash = 0;
			strbuf_addch(out, tolower(*p));
		} else {
			dash = 1;
		}
	}
	/* a label starts with a letter: RDS identifiers and others insist */
	if (!out->len || !islower((unsigned char)out->buf[0])) {
		struct strbuf tmp = STRBUF_INIT;

		strbuf_addstr(&tmp, "x-");
		strbuf_addstr(&tmp, out->buf);
		strbuf_reset(out);
		strbuf_addstr(out, tmp.buf);
		strbuf_release(&tmp);
		if (out->len == 2)
			strbuf_setlen(out, 1);
	}
}

static void add_hash_suffix(struct strbuf *out, const char *raw, size_t max)
{
	char hex[SHA256_HEX_LEN + 1];
	size_t keep = max - NAME_HASH_LEN - 1;

	sha256_hex(hex, raw, strlen(raw));
	if (out->len > keep)
		strbuf_setlen(out, keep);
	while (out->len && out->buf[out->len - 1] == '-')
		strbuf_setlen(out, out->len - 1);
	strbuf_addch(out, '-');
	strbuf_add(out, hex, NAME_HASH_LEN);
}

char *dns_label(const char *raw, size_t max)
{
	struct strbuf out = STRBUF_INIT;

	if (max > DNS_LABEL_MAX)
		max = DNS_LABEL_MAX;
	sanitise(&out, raw);
	if (strcmp(out.buf, raw) || out.len > max)
		add_hash_suffix(&out, raw, max);
	return strbuf_detach(&out, NULL);
}

char *join_name(const char *base, const char *suffix, size_t max)
{
	struct strbuf out = STRBUF_INIT;
	char *joined = xasprintf("%s-%s", base, suffix);
	char hex[SHA256_HEX_LEN + 1];
	size_t room;

	if (strlen(joined) <= max)
		return joined;
	/* base, cut, then "-<hash>-<suffix>" */
	sha256_hex(hex, joined, strlen(joined));
	room = max > strlen(suffix) + NAME_HASH_LEN + 2 ? max - strlen(suffix) - NAME_HASH_LEN - 2 : 1;
	strbuf_add(&out, base, strlen(base) < room ? strlen(base) : room);
	while (out.len && out.buf[out.len - 1] == '-')
		strbuf_setlen(&out, out.len - 1);
	strbuf_addf(&out, "-%.*s-%s", NAME_HASH_LEN, hex, suffix);
	free(joined);
	return strbuf_detach(&out, NULL);
}
