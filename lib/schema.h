/*
 * Strict validation of YAML documents (schema-yaml.h) against a JSON
 * schema held in jansson: the generic walker, with the problems found
 * collected as diagnostics, never printed.
 *
 * The walker knows what every schema language we meet shares: $ref (a
 * JSON pointer into the schema document, "#/definitions/X"), type
 * (object, array, string, integer, number, boolean), properties,
 * additionalProperties (a schema for the values of a map, or true/false),
 * required, enum, items, the formats date-time (RFC 3339) and byte
 * (base64), and the int32/int64 ranges. A schema with neither type nor
 * properties admits a value of any type (an enum still applies).
 *
 * What a schema language adds goes through a `struct sv_dialect`: which
 * objects admit unknown fields, the types it checks by itself, checks that
 * follow the generic ones, the range of an integer without a format.
 * Kubernetes' OpenAPI v2 definitions are one dialect (schema-k8s.h); a
 * draft-07 one (anyOf, oneOf, patterns, minimum) would add its keywords
 * through the same hooks.
 *
 * A problem is a diagnostic "FILE:LINE:COL: SUBJECT: PATH: message", where
 * SUBJECT names the object (Deployment/api) and PATH the field
 * (spec.template.spec.containers[0].image), "(root)" for the document.
 */
#ifndef LIB_SCHEMA_H
#define LIB_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "schema-yaml.h"
#include "strbuf.h"
#include "strv.h"

struct diag;
struct sv_ctx;

struct sv_dialect {
	/*
	 * Does object schema `s` admit fields it does not name? NULL: unless
	 * additionalProperties is false (JSON Schema's rule).
	 */
	int (*object_is_open)(const json_t *s);
	/*
	 * Check `n` against `s` entirely, when the dialect has its own rule for
	 * `s` (a Kubernetes Quantity); 1 if it did, 0 to go on generically.
	 */
	int (*check_special)(struct sv_ctx *c, const json_t *s, const struct sy_node *n);
	/* After the generic checks of a node (labels of an ObjectMeta); may be NULL. */
	void (*check_extra)(struct sv_ctx *c, const json_t *s, const struct sy_node *n);
	/* An "integer" without a format is an int32 (OpenAPI), else any int64. */
	unsigned plain_int32 : 1;
};

/* One document's validation; set up by the dialect, which owns `data`. */
struct sv_ctx {
	const struct sv_dialect *dialect;
	const void *data;          /* the dialect's own: its loaded schema */
	const json_t *root;        /* the schema document $ref points into */
	const char *file;
	const char *subject;       /* "Kind/name" before each message, or NULL */
	struct strbuf path;        /* of the node being checked */
	struct diag *d;
	size_t errors;             /* problems reported */
	struct strv shown;         /* texts made by sv_show(), until the next report */
};

#define SV_CTX_INIT { .path = STRBUF_INIT, .shown = STRV_INIT }

void sv_ctx_release(struct sv_ctx *c);

/* Check `n` against schema `s` (following $ref). */
void sv_check(struct sv_ctx *c, const json_t *s, const struct sy_node *n);

/* Every YAML-level problem noted on the nodes of a tree. */
void sv_report_yaml_problems(struct sv_ctx *c, const struct sy_node *n);

/* Record "SUBJECT: PATH: message" at a node. */
void sv_report(struct sv_ctx *c, const struct sy_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "expected WANT, got ..." with what was there. */
void sv_type_mismatch(struct sv_ctx *c, const struct sy_node *n, const char *want);
/*
 * A node's text as a message shows it (at most 60 bytes, control
 * characters escaped); valid until the next report.
 */
const char *sv_show(struct sv_ctx *c, const struct sy_node *n);

/* Follow $ref; NULL (reported at `n`) when it leads nowhere. */
const json_t *sv_deref(struct sv_ctx *c, const json_t *s, const struct sy_node *n);
/* An integer within the range of `s`'s format (NULL: int32). 1 if it is. */
int sv_check_integer(struct sv_ctx *c, const json_t *s, const struct sy_node *n);
/* The key of a JSON object nearest to a misspelt word, if near enough. */
const char *sv_closest_key(const json_t *obj, const char *word, size_t len);
/* Is schema string `key` of `s` equal to `val`? */
int sv_schema_is(const json_t *s, const char *key, const char *val);

/* The path: push a key (.key or ["a.b/c"]) or an index; each returns the old length. */
size_t sv_path_push(struct sv_ctx *c, const char *key, size_t len);
size_t sv_path_push_index(struct sv_ctx *c, size_t i);
void sv_path_pop(struct sv_ctx *c, size_t old);

#endif
