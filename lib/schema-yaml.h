/*
 * YAML documents read for schema validation: every document of a stream
 * as a tree of JSON-typed nodes that remember their source position.
 *
 * Scalars are typed the way kubectl reads manifests (sigs.k8s.io/yaml
 * over go-yaml v2, i.e. YAML 1.1): a plain yes, no, on, off, y, n, true
 * or false (in go-yaml's case variants) is a boolean; empty, ~ and null
 * are null; 0x1f, 0o17, 017, 1_000 are integers; 1.5, 1e3 are numbers, and
 * a whole number such as 1e3 or 1.0 is an integer, as after json.Marshal;
 * quoted and block scalars are always strings.
 *
 * YAML that a manifest should not hold, or whose meaning silently changes
 * on the way to JSON, is not refused here but noted on the node
 * (`problem`), so a validator reports it with the other problems of the
 * document: duplicate keys, anchors and aliases, merge keys (<<), tags
 * other than !!str, mapping keys that YAML 1.1 reads as something else
 * (yes: becomes "true"), .inf and .nan.
 *
 * A stream that is not YAML at all stops the reading with a "yaml error"
 * diagnostic; the documents before it have been handed to the caller.
 *
 * Another dialect (YAML 1.2 core booleans for GitHub workflows, GitLab's
 * !reference tag) would be an option of sy_read(); none is needed yet.
 */
#ifndef LIB_SCHEMA_YAML_H
#define LIB_SCHEMA_YAML_H

#include <stddef.h>

struct diag;

enum sy_type { SY_NULL, SY_BOOL, SY_INT, SY_FLOAT, SY_STR, SY_SEQ, SY_MAP };

struct sy_node {
	enum sy_type type;
	int line, col;          /* 1-based position of the node */
	unsigned plain : 1;     /* a plain (unquoted) scalar */
	char *text;             /* scalar text: a string's value, else the source */
	size_t len;             /* length of text (a string may hold NULs) */
	long long ival;
	double fval;
	int bval;
	char *problem;          /* what is wrong with it as YAML, or NULL */
	size_t n, alloc;        /* children */
	struct sy_node **val;   /* sequence items or mapping values */
	struct sy_node **key;   /* mapping keys, all SY_STR with text */
};

/*
 * Call `fn` with the root of every document of `buf` (`file` names it in
 * diagnostics). The tree is freed when `fn` returns. Returns 0, or -1 when
 * the stream is not YAML (or nests deeper than 1000 levels), with a
 * "yaml error" diagnostic in `d`.
 */
int sy_read(const char *file, const char *buf, size_t len,
	    void (*fn)(const struct sy_node *root, void *data), void *data, struct diag *d);

/* The value of `key` in a mapping, or NULL (also when `map` is no mapping). */
const struct sy_node *sy_get(const struct sy_node *map, const char *key);
/* That value's text when it is a string, else NULL. */
const char *sy_get_str(const struct sy_node *map, const char *key);
/* Is the string node `n` exactly `s`? */
int sy_is(const struct sy_node *n, const char *s);
/* The JSON type name of a node: "integer" for a whole number. */
const char *sy_type_name(const struct sy_node *n);
/* A float json.Marshal writes as a whole number (a huge integer). */
int sy_float_is_integer(double x);

#endif
