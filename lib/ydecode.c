/*
 * Table-driven decoding of ynode trees into structs; see ydecode.h.
 */
#include "ydecode.h"
#include "diag.h"
#include "strbuf.h"
#include "strv.h"
#include "suggest.h"
#include "units.h"
#include "xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SLOT(obj, f, type) ((type *)((char *)(obj) + (f)->off))

static void fail(struct diag *d, const struct ypos *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct diag *d, const struct ypos *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(d, p->file, p->line, p->col, "%s", sb.buf);
	strbuf_release(&sb);
}

/*
 * How to show a scalar in a message: quoted text, or, when it came from
 * the process environment, a phrase that does not reveal it.
 */
static void show_value(struct strbuf *sb, const struct ynode *n)
{
	if (n->kind != YN_SCALAR) {
		strbuf_addstr(sb, ynode_kind_name(n));
		return;
	}
	if (n->from_env) {
		strbuf_addstr(sb, "a value from the environment");
		return;
	}
	if (strlen(n->str) > 60)
		strbuf_addf(sb, "'%.57s...'", n->str);
	else
		strbuf_addf(sb, "'%s'", n->str);
}

static void fail_type(struct diag *d, const struct yd_field *f, const struct ynode *n,
		      const char *expected)
{
	struct strbuf got = STRBUF_INIT;

	show_value(&got, n);
	fail(d, &n->pos, "invalid value for '%s': expected %s, got %s", f->key, expected, got.buf);
	strbuf_release(&got);
}

static int need_scalar(const struct yd_field *f, const struct ynode *n, const char *expected,
		       struct diag *d)
{
	if (n->kind == YN_SCALAR)
		return 0;
	fail_type(d, f, n, expected);
	return -1;
}

typedef void (*unit_format)(struct strbuf *, uint64_t);

/* `v` as the definition would write it: 30s, 512Mi, 250m, 250r/s, or 42. */
static void show_number(struct strbuf *sb, int64_t v, unit_format format)
{
	if (format && v >= 0)
		format(sb, (uint64_t)v);
	else
		strbuf_addf(sb, "%" PRId64, v);
}

static void fail_range(struct diag *d, const struct yd_field *f, const struct ynode *n,
		       const char *value, unit_format format)
{
	struct strbuf lo = STRBUF_INIT, hi = STRBUF_INIT;

	if (!(f->flags & YD_RANGE)) {
		fail(d, &n->pos, "'%s' is out of range: %s is too large", f->key, value);
		return;
	}
	show_number(&lo, f->min, format);
	show_number(&hi, f->max, format);
	fail(d, &n->pos, "'%s' is out of range: %s is not between %s and %s", f->key, value,
	     lo.buf, hi.buf);
	strbuf_release(&lo);
	strbuf_release(&hi);
}

static int check_range(const struct yd_field *f, const struct ynode *n, int64_t v,
		       unit_format format, struct diag *d)
{
	struct strbuf val = STRBUF_INIT;

	if (!(f->flags & YD_RANGE) || (v >= f->min && v <= f->max))
		return 0;
	if (n->from_env)
		strbuf_addstr(&val, "a value from the environment");
	else
		show_number(&val, v, format);
	fail_range(d, f, n, val.buf, format);
	strbuf_release(&val);
	return -1;
}

/* An integer scalar within the field's range (or `lo`..`hi` without one). */
static int parse_int(const struct yd_field *f, const struct ynode *n, int64_t lo, int64_t hi,
		     int64_t *out, struct diag *d)
{
	const char *s;
	char *end;
	long long v;

	if (need_scalar(f, n, "an integer", d) < 0)
		return -1;
	s = n->str;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s && !*end && *s != '+' && *s != ' ' &&
	    (errno == ERANGE || (!(f->flags & YD_RANGE) && (v < lo || v > hi)))) {
		fail_range(d, f, n, n->from_env ? "a value from the environment" : s, NULL);
		return -1;
	}
	if (!*s || *end || errno || *s == '+' || *s == ' ') {
		fail_type(d, f, n, "an integer");
		return -1;
	}
	if (n->quoted && !n->substituted) {
		fail(d, &n->pos, "invalid value for '%s': expected an integer, got the string '%s' "
		     "(remove the quotes)", f->key, s);
		return -1;
	}
	if (check_range(f, n, v, NULL, d) < 0)
		return -1;
	*out = v;
	return 0;
}

static int decode_int(const struct yd_field *f, const struct ynode *n, void *obj, struct diag *d)
{
	int small = f->type == YD_INT32;
	int64_t v;

	if (parse_int(f, n, small ? INT_MIN : INT64_MIN, small ? INT_MAX : INT64_MAX, &v, d) < 0)
		return -1;
	if (small)
		*SLOT(obj, f, int) = (int)v;
	else
		*SLOT(obj, f, int64_t) = v;
	return 0;
}

static int decode_bool(const struct yd_field *f, const struct ynode *n, void *obj, struct diag *d)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };

	if (need_scalar(f, n, "true or false", d) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (!strcmp(n->str, yes[i]) || !strcmp(n->str, no[i])) {
			if (n->quoted && !n->substituted) {
				fail(d, &n->pos, "invalid value for '%s': expected true or false, got "
				     "the string '%s' (remove the quotes)", f->key, n->str);
				return -1;
			}
			*SLOT(obj, f, int) = !strcmp(n->str, yes[i]);
			return 0;
		}
	}
	fail_type(d, f, n, "true or false");
	return -1;
}

typedef int (*unit_parser)(const char *, uint64_t *, const char **);

static int decode_unit(const struct yd_field *f, const struct ynode *n, void *obj,
		       struct diag *d, unit_parser parse, unit_format format, const char *what)
{
	const char *why = NULL;
	uint64_t v;

	if (need_scalar(f, n, what, d) < 0)
		return -1;
	if (parse(n->str, &v, &why) < 0) {
		struct strbuf got = STRBUF_INIT;

		show_value(&got, n);
		fail(d, &n->pos, "invalid value for '%s': %s, got %s", f->key, why, got.buf);
		strbuf_release(&got);
		return -1;
	}
	if (v > INT64_MAX) {
		fail_range(d, f, n, n->from_env ? "a value from the environment" : n->str, format);
		return -1;
	}
	if (check_range(f, n, (int64_t)v, format, d) < 0)
		return -1;
	*SLOT(obj, f, uint64_t) = v;
	return 0;
}

static int decode_string(const struct yd_field *f, const struct ynode *n, void *obj,
			 struct diag *d)
{
	char **slot = SLOT(obj, f, char *);

	if (need_scalar(f, n, "a string", d) < 0)
		return -1;
	if ((f->flags & YD_NONEMPTY) && !*n->str) {
		fail(d, &n->pos, "'%s' may not be empty", f->key);
		return -1;
	}
	free(*slot);
	*slot = xstrdup(n->str);
	return 0;
}

static int decode_ref(const struct yd_field *f, const struct ynode *n, void *obj, struct diag *d)
{
	struct yref *r = SLOT(obj, f, struct yref);

	if (need_scalar(f, n, "a name", d) < 0)
		return -1;
	free(r->name);
	r->name = xstrdup(n->str);
	r->pos = n->pos;
	return 0;
}

static int decode_enum(const struct yd_field *f, const struct ynode *n, void *obj, struct diag *d)
{
	struct strbuf want = STRBUF_INIT;
	size_t nr = 0;
	const char *near;

	if (n->kind == YN_SCALAR) {
		for (; f->names[nr]; nr++) {
			if (!strcmp(n->str, f->names[nr])) {
				*SLOT(obj, f, int) = (int)nr;
				return 0;
			}
		}
	} else {
		while (f->names[nr])
			nr++;
	}
	for (size_t i = 0; i < nr; i++)
		strbuf_addf(&want, "%s'%s'", i ? (i + 1 == nr ? " or " : ", ") : "one of ",
			    f->names[i]);
	near = n->kind == YN_SCALAR && !n->from_env ? suggest_nearest(n->str, f->names, nr) : NULL;
	if (near)
		strbuf_addf(&want, " (did you mean '%s'?)", near);
	fail_type(d, f, n, want.buf);
	strbuf_release(&want);
	return -1;
}

/* Is `n` a list of strings (not empty, if it may not be)? Reports every problem. */
static int check_string_list(const struct yd_field *f, const struct ynode *n, struct diag *d)
{
	int ret = 0;

	if (n->kind != YN_SEQ) {
		fail_type(d, f, n, "a list");
		return -1;
	}
	for (size_t i = 0; i < n->nr; i++) {
		const struct ynode *item = n->kids[i];

		if (item->kind != YN_SCALAR) {
			fail(d, &item->pos, "invalid item in '%s': expected a string, got %s",
			     f->key, ynode_kind_name(item));
			ret = -1;
		}
	}
	if (!ret && (f->flags & YD_NONEMPTY) && !n->nr) {
		fail(d, &n->pos, "'%s' may not be empty", f->key);
		ret = -1;
	}
	return ret;
}

/* Both keep the list's strings even when some items are not. */
static int decode_strlist(const struct yd_field *f, const struct ynode *n, void *obj,
			  struct diag *d)
{
	struct yreflist *l = SLOT(obj, f, struct yreflist);
	int ret = check_string_list(f, n, d);

	if (n->kind != YN_SEQ)
		return ret;
	for (size_t i = 0; i < l->nr; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = xcalloc(n->nr, sizeof(*l->v));
	l->nr = 0;
	for (size_t i = 0; i < n->nr; i++) {
		if (n->kids[i]->kind != YN_SCALAR)
			continue;
		l->v[l->nr].name = xstrdup(n->kids[i]->str);
		l->v[l->nr++].pos = n->kids[i]->pos;
	}
	return ret;
}

static int decode_strv(const struct yd_field *f, const struct ynode *n, void *obj,
		       struct diag *d)
{
	char ***slot = SLOT(obj, f, char **);
	struct strv sv = STRV_INIT;
	int ret = check_string_list(f, n, d);

	if (n->kind != YN_SEQ)
		return ret;
	for (size_t i = 0; i < n->nr; i++)
		if (n->kids[i]->kind == YN_SCALAR)
			strv_push(&sv, n->kids[i]->str);
	strv_free(*slot);
	*slot = strv_detach(&sv);
	return ret;
}

static int decode_strmap(const struct yd_field *f, const struct ynode *n, void *obj,
			 struct diag *d)
{
	struct ykvlist *m = SLOT(obj, f, struct ykvlist);
	int ret = 0;

	if (n->kind != YN_MAP) {
		fail_type(d, f, n, "a mapping of names to strings");
		return -1;
	}
	for (size_t i = 0; i < m->nr; i++) {
		free(m->v[i].key);
		free(m->v[i].val);
	}
	free(m->v);
	m->v = xcalloc(n->nr, sizeof(*m->v));
	m->nr = 0;
	for (size_t i = 0; i < n->nr; i++) {
		const struct ynode *val = n->kids[i];
		struct ykv *kv;

		if (val->kind != YN_SCALAR) {
			fail(d, &val->pos, "invalid value for '%s.%s': expected a string, got %s",
			     f->key, n->keys[i], ynode_kind_name(val));
			ret = -1;
			continue;
		}
		kv = &m->v[m->nr++];
		kv->key = xstrdup(n->keys[i]);
		kv->val = xstrdup(val->str);
		kv->pos = val->pos;
		kv->key_pos = n->key_pos[i];
		kv->from_env = val->from_env;
	}
	return ret;
}

static void set_pos(const struct yd_schema *s, void *obj, const struct ypos *p)
{
	if (s->pos_off)
		*(struct ypos *)((char *)obj + s->pos_off - 1) = *p;
}

void *yarray_push(struct yarray *a, size_t size)
{
	void *elem;

	a->v = xreallocarray(a->v, a->nr + 1, size);
	elem = yarray_at(a, size, a->nr++);
	memset(elem, 0, size);
	return elem;
}

const struct ypos *yd_pos(const struct yd_schema *s, const void *obj)
{
	static const struct ypos none;

	if (!s->pos_off)
		return &none;
	return (const struct ypos *)((const char *)obj + s->pos_off - 1);
}

static int decode_named(const struct yd_field *f, const struct ynode *n, void *obj,
			struct diag *d)
{
	const struct yd_schema *s = f->sub;
	struct yarray *a = SLOT(obj, f, struct yarray);
	int ret = 0;

	if (n->kind != YN_MAP) {
		fail_type(d, f, n, "a mapping of names");
		return -1;
	}
	a->v = xcalloc(n->nr ? n->nr : 1, s->size);
	a->nr = 0;
	for (size_t i = 0; i < n->nr; i++) {
		void *elem = yarray_at(a, s->size, a->nr++);
		const char *why = NULL;

		if (s->init)
			s->init(elem);
		*(char **)((char *)elem + s->name_off) = xstrdup(n->keys[i]);
		set_pos(s, elem, &n->key_pos[i]);
		if (s->check_name && s->check_name(n->keys[i], &why) < 0) {
			fail(d, &n->key_pos[i], "invalid %s name '%s': %s", s->what, n->keys[i], why);
			ret = -1;
		}
		if (n->kids[i]->kind == YN_NULL) {
			/* "name:" means all defaults, as "name: {}" does */
			struct ynode *empty = ynode_new(YN_MAP, n->kids[i]->pos);

			if (yd_decode(s, empty, elem, d) < 0)
				ret = -1;
			ynode_free(empty);
			continue;
		}
		if (yd_decode(s, n->kids[i], elem, d) < 0)
			ret = -1;
	}
	if (!ret && (f->flags & YD_NONEMPTY) && !a->nr) {
		fail(d, &n->pos, "'%s' may not be empty", f->key);
		ret = -1;
	}
	return ret;
}

static int decode_list(const struct yd_field *f, const struct ynode *n, void *obj,
		       struct diag *d)
{
	const struct yd_schema *s = f->sub;
	struct yarray *a = SLOT(obj, f, struct yarray);
	int ret = 0;

	if (n->kind != YN_SEQ) {
		fail_type(d, f, n, "a list");
		return -1;
	}
	a->v = xcalloc(n->nr ? n->nr : 1, s->size);
	a->nr = 0;
	for (size_t i = 0; i < n->nr; i++) {
		void *elem = yarray_at(a, s->size, a->nr++);

		if (s->init)
			s->init(elem);
		set_pos(s, elem, &n->kids[i]->pos);
		if (yd_decode(s, n->kids[i], elem, d) < 0)
			ret = -1;
	}
	if (!ret && (f->flags & YD_NONEMPTY) && !a->nr) {
		fail(d, &n->pos, "'%s' may not be empty", f->key);
		ret = -1;
	}
	return ret;
}

static int decode_struct(const struct yd_field *f, const struct ynode *n, void *obj,
			 struct diag *d)
{
	void *sub = SLOT(obj, f, char);

	if (n->kind != YN_MAP) {
		fail_type(d, f, n, "a mapping");
		return -1;
	}
	return yd_decode(f->sub, n, sub, d);
}

static int decode_optional(const struct yd_field *f, const struct ynode *n, void *obj,
			   struct diag *d)
{
	void **slot = SLOT(obj, f, void *);

	if (n->kind != YN_MAP) {
		fail_type(d, f, n, "a mapping");
		return -1;
	}
	if (!*slot) {
		*slot = xcalloc(1, f->sub->size);
		if (f->sub->init)
			f->sub->init(*slot);
	}
	return yd_decode(f->sub, n, *slot, d);
}

static int decode_field(const struct yd_field *f, const struct ynode *n, void *obj,
			struct diag *d)
{
	switch (f->type) {
	case YD_STRING: return decode_string(f, n, obj, d);
	case YD_REF: return decode_ref(f, n, obj, d);
	case YD_INT:
	case YD_INT32: return decode_int(f, n, obj, d);
	case YD_BOOL: return decode_bool(f, n, obj, d);
	case YD_DURATION:
		return decode_unit(f, n, obj, d, parse_duration_ms, format_duration_ms,
				   "a duration such as 1s");
	case YD_BYTES:
		return decode_unit(f, n, obj, d, parse_bytes, format_bytes, "a size such as 512Mi");
	case YD_CPU:
		return decode_unit(f, n, obj, d, parse_millicpu, format_millicpu, "CPU such as 250m");
	case YD_RATE:
		return decode_unit(f, n, obj, d, parse_rate_per_min, format_rate_per_min,
				   "a rate such as 250r/s");
	case YD_ENUM: return decode_enum(f, n, obj, d);
	case YD_STRLIST: return decode_strlist(f, n, obj, d);
	case YD_STRMAP: return decode_strmap(f, n, obj, d);
	case YD_STRUCT: return decode_struct(f, n, obj, d);
	case YD_NAMED: return decode_named(f, n, obj, d);
	case YD_LIST: return decode_list(f, n, obj, d);
	case YD_STRV: return decode_strv(f, n, obj, d);
	case YD_OPTIONAL: return decode_optional(f, n, obj, d);
	}
	return -1;
}

static const struct yd_field *find_field(const struct yd_schema *s, const char *key)
{
	for (size_t i = 0; i < s->nr_fields; i++)
		if (!strcmp(s->fields[i].key, key))
			return &s->fields[i];
	return NULL;
}

static void unknown_key(const struct yd_schema *s, const char *key, const struct ypos *p,
			struct diag *d)
{
	const char **cands = xcalloc(s->nr_fields, sizeof(*cands));
	const char *near;

	for (size_t i = 0; i < s->nr_fields; i++)
		cands[i] = s->fields[i].key;
	near = suggest_nearest(key, cands, s->nr_fields);
	if (!strcmp(key, "<<"))
		fail(d, p, "YAML merge keys ('<<') are not supported: use 'extends'");
	else if (near)
		fail(d, p, "unknown key '%s' (did you mean '%s'?)", key, near);
	else
		fail(d, p, "unknown key '%s' in %s", key, s->what);
	free(cands);
}

int yd_decode(const struct yd_schema *s, const struct ynode *n, void *obj, struct diag *d)
{
	size_t before = diag_count(d);

	if (n->kind != YN_MAP) {
		fail(d, &n->pos, "invalid %s: expected a mapping, got %s", s->what,
		     ynode_kind_name(n));
		return -1;
	}
	if (!yd_pos(s, obj)->line)
		set_pos(s, obj, &n->pos);
	for (size_t i = 0; i < n->nr; i++) {
		const struct yd_field *f = find_field(s, n->keys[i]);

		if (!f) {
			unknown_key(s, n->keys[i], &n->key_pos[i], d);
			continue;
		}
		if (n->kids[i]->kind == YN_NULL) {
			if (f->flags & YD_REQUIRED)
				fail(d, &n->kids[i]->pos, "'%s' may not be null", f->key);
			continue;   /* null keeps the default */
		}
		if (f->vpos_off)
			*(struct ypos *)((char *)obj + f->vpos_off - 1) = n->kids[i]->pos;
		decode_field(f, n->kids[i], obj, d);
	}
	for (size_t i = 0; i < s->nr_fields; i++) {
		const struct yd_field *f = &s->fields[i];
		const struct ynode *v = ynode_map_get(n, f->key);

		const struct ypos *gone;

		if (!(f->flags & YD_REQUIRED) || v)
			continue;
		gone = ynode_map_gone(n, f->key);
		if (gone)
			fail(d, gone, "missing required key '%s' in %s (deleted here by null)",
			     f->key, s->what);
		else
			fail(d, &n->pos, "missing required key '%s' in %s", f->key, s->what);
	}
	return diag_count(d) > before ? -1 : 0;
}

static void release_field(const struct yd_field *f, void *obj)
{
	switch (f->type) {
	case YD_STRING:
		free(*SLOT(obj, f, char *));
		*SLOT(obj, f, char *) = NULL;
		break;
	case YD_REF:
		free(SLOT(obj, f, struct yref)->name);
		SLOT(obj, f, struct yref)->name = NULL;
		break;
	case YD_STRLIST: {
		struct yreflist *l = SLOT(obj, f, struct yreflist);

		for (size_t i = 0; i < l->nr; i++)
			free(l->v[i].name);
		free(l->v);
		l->v = NULL;
		l->nr = 0;
		break;
	}
	case YD_STRMAP: {
		struct ykvlist *m = SLOT(obj, f, struct ykvlist);

		for (size_t i = 0; i < m->nr; i++) {
			free(m->v[i].key);
			free(m->v[i].val);
		}
		free(m->v);
		m->v = NULL;
		m->nr = 0;
		break;
	}
	case YD_STRUCT:
		yd_release(f->sub, SLOT(obj, f, char));
		break;
	case YD_STRV:
		strv_free(*SLOT(obj, f, char **));
		*SLOT(obj, f, char **) = NULL;
		break;
	case YD_OPTIONAL:
		yd_release(f->sub, *SLOT(obj, f, void *));
		free(*SLOT(obj, f, void *));
		*SLOT(obj, f, void *) = NULL;
		break;
	case YD_NAMED:
	case YD_LIST: {
		struct yarray *a = SLOT(obj, f, struct yarray);

		for (size_t i = 0; i < a->nr; i++) {
			void *elem = yarray_at(a, f->sub->size, i);

			if (f->type == YD_NAMED)
				free(*(char **)((char *)elem + f->sub->name_off));
			yd_release(f->sub, elem);
		}
		free(a->v);
		a->v = NULL;
		a->nr = 0;
		break;
	}
	default:
		break;
	}
}

void yd_release(const struct yd_schema *s, void *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < s->nr_fields; i++)
		release_field(&s->fields[i], obj);
}

static json_t *encode_unit(uint64_t v, void (*format)(struct strbuf *, uint64_t))
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;

	format(&sb, v);
	j = json_string(sb.buf);
	strbuf_release(&sb);
	return j;
}

static json_t *encode_reflist(const struct yreflist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(a, json_string(l->v[i].name));
	return a;
}

static json_t *encode_field(const struct yd_field *f, const void *obj)
{
	switch (f->type) {
	case YD_STRING:
	case YD_REF: {
		const char *s = f->type == YD_STRING ? *SLOT(obj, f, char *)
						     : SLOT(obj, f, struct yref)->name;

		if (!s)
			return (f->flags & YD_NULLABLE) ? json_null() : NULL;
		return json_string(s);
	}
	case YD_INT: return json_integer((json_int_t)*SLOT(obj, f, int64_t));
	case YD_INT32: return json_integer(*SLOT(obj, f, int));
	case YD_BOOL: return json_boolean(*SLOT(obj, f, int));
	case YD_DURATION: return encode_unit(*SLOT(obj, f, uint64_t), format_duration_ms);
	case YD_BYTES: return encode_unit(*SLOT(obj, f, uint64_t), format_bytes);
	case YD_CPU: return encode_unit(*SLOT(obj, f, uint64_t), format_millicpu);
	case YD_RATE: {
		uint64_t v = *SLOT(obj, f, uint64_t);

		return v ? encode_unit(v, format_rate_per_min) : NULL;
	}
	case YD_ENUM: return json_string(f->names[*SLOT(obj, f, int)]);
	case YD_STRLIST: return encode_reflist(SLOT(obj, f, struct yreflist));
	case YD_STRMAP: {
		const struct ykvlist *m = SLOT(obj, f, struct ykvlist);
		json_t *o = json_object();

		for (size_t i = 0; i < m->nr; i++)
			json_object_set_new(o, m->v[i].key, json_string(m->v[i].val));
		return o;
	}
	case YD_STRUCT: return yd_encode(f->sub, SLOT(obj, f, char));
	case YD_NAMED:
	case YD_LIST: {
		const struct yarray *a = SLOT(obj, f, struct yarray);
		json_t *out = f->type == YD_NAMED ? json_object() : json_array();

		for (size_t i = 0; i < a->nr; i++) {
			const void *elem = yarray_at(a, f->sub->size, i);
			json_t *e = yd_encode(f->sub, elem);

			if (f->type == YD_NAMED)
				json_object_set_new(out, *(char *const *)((const char *)elem +
									  f->sub->name_off), e);
			else
				json_array_append_new(out, e);
		}
		return out;
	}
	case YD_STRV: {
		char *const *v = *SLOT(obj, f, char **);
		json_t *a = json_array();

		for (; v && *v; v++)
			json_array_append_new(a, json_string(*v));
		return a;
	}
	case YD_OPTIONAL: {
		const void *sub = *SLOT(obj, f, void *);

		return sub ? yd_encode(f->sub, sub) : NULL;
	}
	}
	return NULL;
}

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Does field `f` of `obj` hold its default, the value it has in `dflt`? */
static int is_default(const struct yd_field *f, const void *obj, const void *dflt)
{
	switch (f->type) {
	case YD_STRING: return same_string(*SLOT(obj, f, char *), *SLOT(dflt, f, char *));
	case YD_REF:
		return same_string(SLOT(obj, f, struct yref)->name, SLOT(dflt, f, struct yref)->name);
	case YD_INT:
		return *SLOT(obj, f, int64_t) == *SLOT(dflt, f, int64_t);
	case YD_DURATION:
	case YD_BYTES:
	case YD_CPU:
	case YD_RATE:
		return *SLOT(obj, f, uint64_t) == *SLOT(dflt, f, uint64_t);
	case YD_INT32:
	case YD_BOOL:
	case YD_ENUM:
		return *SLOT(obj, f, int) == *SLOT(dflt, f, int);
	case YD_STRLIST: return !SLOT(obj, f, struct yreflist)->nr;
	case YD_STRMAP: return !SLOT(obj, f, struct ykvlist)->nr;
	case YD_NAMED:
	case YD_LIST: return !SLOT(obj, f, struct yarray)->nr;
	case YD_STRV: return !*SLOT(obj, f, char **) || !**SLOT(obj, f, char **);
	case YD_OPTIONAL: return !*SLOT(obj, f, void *);
	case YD_STRUCT: return 0;
	}
	return 0;
}

json_t *yd_encode(const struct yd_schema *s, const void *obj)
{
	json_t *o = json_object();
	void *dflt = NULL;

	for (size_t i = 0; i < s->nr_fields; i++) {
		json_t *v;

		if (s->fields[i].flags & YD_OMITDEFAULT) {
			if (!dflt) {
				dflt = xcalloc(1, s->size);
				if (s->init)
					s->init(dflt);
			}
			if (is_default(&s->fields[i], obj, dflt))
				continue;
		}
		v = encode_field(&s->fields[i], obj);
		if (v)
			json_object_set_new(o, s->fields[i].key, v);
	}
	if (dflt) {
		yd_release(s, dflt);
		free(dflt);
	}
	return o;
}
