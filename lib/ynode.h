/*
 * A YAML document as a tree of nodes that remember where they came from.
 *
 * Built from libyaml's event stream. Keys of a mapping are plain strings
 * (a complex key is an error); a duplicate key is an error; aliases are
 * expanded into copies, but only after checking that the expanded tree
 * stays under a node budget, so an "alias bomb" fails fast without
 * allocating. Nesting depth and input size are bounded too.
 *
 * Every node owns its children and strings; ynode_free() releases a tree.
 * `file` points at a name owned by the caller, which must outlive the tree.
 */
#ifndef LIB_YNODE_H
#define LIB_YNODE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct diag;

enum ynode_kind {
	YN_NULL,    /* null, ~, or nothing */
	YN_SCALAR,
	YN_MAP,
	YN_SEQ,
};

struct ypos {
	const char *file;
	int line, col;   /* 1-based */
};

struct ynode {
	enum ynode_kind kind;
	struct ypos pos;
	char *str;            /* scalar text (YN_SCALAR), else NULL */
	unsigned quoted : 1;  /* scalar was single- or double-quoted, or a block scalar */
	unsigned substituted : 1;  /* ${...} was replaced in this scalar */
	unsigned from_env : 1;     /* text came from the process environment: never echo it */
	unsigned multiline : 1;    /* scalar spans source lines: offsets in it are not columns */
	size_t nr, alloc;
	char **keys;               /* YN_MAP: nr keys */
	struct ypos *key_pos;      /* YN_MAP: where each key is */
	struct ynode **kids;       /* YN_MAP values or YN_SEQ items */
	size_t weight;             /* nodes in this subtree, including itself */
	struct ygone *gone;        /* YN_MAP: keys deleted by ynode_map_forget() */
	size_t nr_gone;
};

struct ygone {
	char *key;
	struct ypos pos;           /* of what deleted it */
};

struct ynode_limits {
	size_t max_bytes;  /* input size */
	size_t max_nodes;  /* after alias expansion */
	int max_depth;
};

#define YNODE_LIMITS_INIT { .max_bytes = 8u << 20, .max_nodes = 1000000, .max_depth = 64 }

/*
 * Parse a single YAML document from `buf`. On error returns NULL and adds
 * diagnostics to `d` (named after `file`). An empty document gives a
 * YN_NULL node. A stream with more than one document is an error.
 */
struct ynode *ynode_parse(const char *buf, size_t len, const char *file,
			  const struct ynode_limits *lim, struct diag *d);

void ynode_free(struct ynode *n);
struct ynode *ynode_new(enum ynode_kind kind, struct ypos pos);
struct ynode *ynode_dup(const struct ynode *n);

/* Map helpers. ynode_map_get returns NULL when absent. */
struct ynode *ynode_map_get(const struct ynode *map, const char *key);
ssize_t ynode_map_index(const struct ynode *map, const char *key);
/* Takes ownership of `val`. Replaces the value of an existing key. */
void ynode_map_set(struct ynode *map, const char *key, struct ypos key_pos, struct ynode *val);
void ynode_map_remove(struct ynode *map, size_t i);
/* Remove entry i, remembering that `why` deleted it (for later errors). */
void ynode_map_forget(struct ynode *map, size_t i, struct ypos why);
/* Where `key` was last deleted from `map` by ynode_map_forget(), or NULL. */
const struct ypos *ynode_map_gone(const struct ynode *map, const char *key);
void ynode_seq_push(struct ynode *seq, struct ynode *item);

const char *ynode_kind_name(const struct ynode *n);

/*
 * The tree as JSON, typing plain scalars by the YAML 1.2 core schema
 * (true/false, integers, floats, null); quoted scalars stay strings.
 */
json_t *ynode_to_json(const struct ynode *n);

#endif
