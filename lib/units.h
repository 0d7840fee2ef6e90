/*
 * Units as people write them in definitions and scenarios, parsed from
 * tables: durations ("250ms", "1s", "1m30s", "4h"), byte sizes ("512Mi",
 * "1G", "2048"), CPU ("250m", "0.5", "2") and rates ("250r/s", "30r/m").
 *
 * Parsers return 0, or -1 with a short reason in `why` (static string)
 * when the text is not of the form, or is out of range. Formatters produce
 * the canonical shortest exact form, so a value round-trips and rendered
 * output does not depend on how the author spelled it.
 */
#ifndef LIB_UNITS_H
#define LIB_UNITS_H

#include <stdint.h>

struct strbuf;

int parse_duration_ms(const char *s, uint64_t *ms, const char **why);
int parse_bytes(const char *s, uint64_t *bytes, const char **why);
int parse_millicpu(const char *s, uint64_t *mcpu, const char **why);
/* a rate, as requests per minute */
int parse_rate_per_min(const char *s, uint64_t *rpm, const char **why);

void format_duration_ms(struct strbuf *sb, uint64_t ms);
void format_bytes(struct strbuf *sb, uint64_t bytes);
void format_millicpu(struct strbuf *sb, uint64_t mcpu);
void format_rate_per_min(struct strbuf *sb, uint64_t rpm);

/* A size as nginx reads it (client_max_body_size): exact, "32m", "64k" or bytes. */
void format_nginx_size(struct strbuf *sb, uint64_t bytes);

#endif
