/*
 * Write a jansson value as block-style YAML.
 *
 * The output is deterministic (object keys in insertion order) and safe
 * to read back with YAML 1.1 or 1.2 rules: a string is written plain only
 * when no reader could take it for anything but that string (so "8080",
 * "yes", "1.31" and "null" are quoted), and every other string is written
 * double-quoted with JSON escapes. No anchors, tags or block scalars.
 */
#ifndef LIB_YAMLEMIT_H
#define LIB_YAMLEMIT_H

#include <jansson.h>

struct strbuf;

/* Append one YAML document for `v` (an object or array) to `out`. */
void yaml_emit(struct strbuf *out, const json_t *v);

/* Is `s` safe to write as a plain scalar? */
int yaml_plain_safe(const char *s);

#endif
