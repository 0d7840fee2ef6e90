/*
 * Decode a ynode tree into typed C structs, driven by tables.
 *
 * A `struct yd_schema` lists the keys a mapping may have; each key has a
 * type, the offset of its slot in the struct, flags and a range. Decoding
 * checks types, ranges, units and required keys, rejects unknown keys with
 * the nearest valid key suggested, and reports every problem it finds
 * (each with file:line:column) rather than only the first.
 *
 * Slot types by yd_type:
 *   YD_STRING            char *              (owned)
 *   YD_REF               struct yref         a name with where it was written
 *   YD_INT               int64_t
 *   YD_BOOL              int                 only true/false are booleans
 *   YD_DURATION          uint64_t            milliseconds ("1s", "250ms")
 *   YD_BYTES             uint64_t            bytes ("512Mi")
 *   YD_CPU               uint64_t            millicores ("250m", "0.5")
 *   YD_RATE              uint64_t            requests per minute ("250r/s")
 *   YD_ENUM              int                 index into `names`
 *   YD_STRLIST           struct yreflist     a list of names with positions
 *   YD_STRMAP            struct ykvlist      string keys to string values, in order
 *   YD_STRUCT            the sub-struct itself, embedded
 *   YD_NAMED             struct yarray       mapping of name -> struct (names kept)
 *   YD_LIST              struct yarray       list of structs
 *   YD_INT32             int                 an integer that fits an int
 *   YD_STRV              char **             list of strings, NULL-terminated (lib/strv.h);
 *                                            NULL is the empty list
 *   YD_OPTIONAL          pointer to the sub-struct, NULL when the key is absent
 *                        (allocated and initialised by the decoder)
 *
 * Everything decoded is owned by the struct; yd_release() frees it.
 */
#ifndef LIB_YDECODE_H
#define LIB_YDECODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ynode.h"

struct diag;

enum yd_type {
	YD_STRING, YD_REF, YD_INT, YD_BOOL, YD_DURATION, YD_BYTES, YD_CPU, YD_RATE,
	YD_ENUM, YD_STRLIST, YD_STRMAP, YD_STRUCT, YD_NAMED, YD_LIST,
	YD_INT32, YD_STRV, YD_OPTIONAL,
};

#define YD_REQUIRED  0x1u
#define YD_RANGE     0x2u   /* check min <= value <= max */
#define YD_NONEMPTY  0x4u   /* strings, lists and maps may not be empty */
/* yd_encode: an unset string is written as null rather than left out */
#define YD_NULLABLE  0x8u
/*
 * yd_encode: left out when it equals its default: the value the schema's
 * init gives (the schema needs its `size`), for lists and maps empty
 */
#define YD_OMITDEFAULT 0x10u

struct yref {
	char *name;
	struct ypos pos;
};

struct yreflist {
	struct yref *v;
	size_t nr;
};

struct ykv {
	char *key;
	char *val;
	struct ypos pos;        /* of the value */
	struct ypos key_pos;
	unsigned from_env : 1;  /* value came from the environment */
};

struct ykvlist {
	struct ykv *v;
	size_t nr;
};

struct yarray {
	void *v;
	size_t nr;
};

struct yd_schema;

struct yd_field {
	const char *key;
	enum yd_type type;
	size_t off;
	unsigned flags;
	int64_t min, max;
	const char *const *names;      /* YD_ENUM: NULL-terminated */
	const struct yd_schema *sub;   /* YD_STRUCT, YD_NAMED, YD_LIST, YD_OPTIONAL */
	const char *doc;               /* one line, for --help and errors */
	size_t vpos_off;               /* offset of a struct ypos + 1 that gets the
					* value's position; 0 for none */
};

struct yd_schema {
	const char *what;              /* "service": used in messages */
	size_t size;                   /* element size (YD_NAMED, YD_LIST, YD_OPTIONAL) */
	const struct yd_field *fields;
	size_t nr_fields;
	size_t name_off;               /* YD_NAMED: offset of the `char *` name */
	size_t pos_off;                /* offset of a struct ypos + 1; 0 for none */
	void (*init)(void *obj);       /* set defaults before decoding */
	/* checks of a name used as a key of YD_NAMED; NULL accepts any */
	int (*check_name)(const char *name, const char **why);
};

#define YD_FIELDS(arr) .fields = (arr), .nr_fields = sizeof(arr) / sizeof((arr)[0])
#define YD_POS(type, member) .pos_off = offsetof(type, member) + 1
/* in a field: remember where its value was written */
#define YD_VPOS(type, member) .vpos_off = offsetof(type, member) + 1

/*
 * Decode mapping `n` into `obj` (already initialised by the caller, or by
 * schema->init). Returns 0, or -1 when any diagnostic was added.
 */
int yd_decode(const struct yd_schema *s, const struct ynode *n, void *obj, struct diag *d);

/* Free what yd_decode() stored in `obj` (not `obj` itself). */
void yd_release(const struct yd_schema *s, void *obj);

/* Element `i` of a YD_NAMED or YD_LIST array whose elements are `size` bytes. */
static inline void *yarray_at(const struct yarray *a, size_t size, size_t i)
{
	return (char *)a->v + i * size;
}

/* A new zeroed element at the end of `a` (the array may move). */
void *yarray_push(struct yarray *a, size_t size);

/* Where a struct decoded with schema `s` was written (line 0 if absent). */
const struct ypos *yd_pos(const struct yd_schema *s, const void *obj);

/*
 * The reverse of yd_decode: `obj` as a JSON object with the same keys,
 * values in canonical form ("30s", "512Mi", "250m", "250r/s"). Unset
 * strings and optional structs are left out (but see YD_NULLABLE and
 * YD_OMITDEFAULT). The caller owns the result.
 */
json_t *yd_encode(const struct yd_schema *s, const void *obj);

#endif
