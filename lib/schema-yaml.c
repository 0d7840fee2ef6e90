/*
 * YAML documents typed as kubectl types them; see schema-yaml.h.
 */
#include "schema-yaml.h"
#include "diag.h"
#include "strbuf.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 1000

static struct sy_node *node_new(enum sy_type type, const yaml_mark_t *m)
{
	struct sy_node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

static void node_free(struct sy_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		node_free(n->val[i]);
		if (n->key)
			node_free(n->key[i]);
	}
	free(n->val);
	free(n->key);
	free(n->text);
	free(n->problem);
	free(n);
}

static void node_add(struct sy_node *p, struct sy_node *key, struct sy_node *val)
{
	size_t alloc = p->alloc;

	ALLOC_GROW(p->val, p->n + 1, p->alloc);
	if (p->type == SY_MAP) {
		ALLOC_GROW(p->key, p->n + 1, alloc);
		p->key[p->n] = key;
	}
	p->val[p->n++] = val;
}

/* Note a YAML-level problem with a node; the first one wins. */
static void node_problem(struct sy_node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void node_problem(struct sy_node *n, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (n->problem)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	n->problem = strbuf_detach(&sb, NULL);
}

int sy_is(const struct sy_node *n, const char *s)
{
	size_t len = strlen(s);

	return n->text && n->len == len && !memcmp(n->text, s, len);
}

const struct sy_node *sy_get(const struct sy_node *map, const char *key)
{
	if (!map || map->type != SY_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (sy_is(map->key[i], key))
			return map->val[i];
	return NULL;
}

const char *sy_get_str(const struct sy_node *map, const char *key)
{
	const struct sy_node *v = sy_get(map, key);

	return v && v->type == SY_STR ? v->text : NULL;
}

/* ---- YAML 1.1 scalars as go-yaml v2 resolves them ---- */

static const char *const yaml_true[] = {
	"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL
};
static const char *const yaml_false[] = {
	"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL
};
static const char *const yaml_null[] = { "~", "null", "Null", "NULL", NULL };
static const char *const yaml_special_float[] = {
	".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
	"+.INF", "-.inf", "-.Inf", "-.INF", NULL
};

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Go's strconv.ParseUint(s, 0, 64), underscores already removed: 0 ok,
 * -1 syntax error, -2 out of range. */
static int go_parse_uint(const char *s, unsigned long long *out)
{
	size_t len = strlen(s);
	unsigned base = 10;
	unsigned long long v = 0;

	if (!len)
		return -1;
	if (s[0] == '0') {
		char p = (char)(s[1] | 0x20);

		base = 8;
		s += 1;
		if (len >= 3 && (p == 'b' || p == 'o' || p == 'x')) {
			base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
			s += 1;
		}
	}
	for (; *s; s++) {
		char c = (char)(*s | 0x20);
		unsigned d;

		if (is_digit(*s))
			d = (unsigned)(*s - '0');
		else if (c >= 'a' && c <= 'z')
			d = (unsigned)(c - 'a') + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Go's strconv.ParseInt(s, 0, 64). */
static int go_parse_int(const char *s, long long *out)
{
	unsigned long long u;
	int neg = s[0] == '-', r;

	if (s[0] == '-' || s[0] == '+')
		s++;
	r = go_parse_uint(s, &u);
	if (r)
		return r;
	if (!neg && u > (unsigned long long)INT64_MAX)
		return -2;
	if (neg && u > (unsigned long long)INT64_MAX + 1)
		return -2;
	*out = neg ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s)
{
	size_t i = 0, d = 0;

	if (s[i] == '-' || s[i] == '+')
		i++;
	if (s[i] == '.') {
		for (i++; is_digit(s[i]); i++)
			d++;
	} else {
		for (; is_digit(s[i]); i++)
			d++;
		if (d && s[i] == '.')
			for (i++; is_digit(s[i]); i++)
				;
	}
	if (!d)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '-' || s[i] == '+')
			i++;
		if (!is_digit(s[i]))
			return 0;
		while (is_digit(s[i]))
			i++;
	}
	return s[i] == '\0';
}

/* A whole double that fits an int64, as that integer. */
static int float_to_int(double x, long long *out)
{
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return 0;
	if ((double)(long long)x != x)
		return 0;
	*out = (long long)x;
	return 1;
}

/*
 * A whole number json.Marshal writes without a fraction or exponent (below
 * 1e21); beyond the int64 range every double is whole.
 */
int sy_float_is_integer(double x)
{
	long long v;

	if (float_to_int(x, &v))
		return 1;
	return (x >= 9223372036854775808.0 && x < 1e21) ||
	       (x < -9223372036854775808.0 && x > -1e21);
}

static void set_float(struct sy_node *n, double x)
{
	if (float_to_int(x, &n->ival)) {
		n->type = SY_INT;
		return;
	}
	n->type = SY_FLOAT;
	n->fval = x;
}

/* A plain scalar starting with a sign or a digit: int, float or string. */
static void resolve_number(struct sy_node *n)
{
	char *plain = xstrndup(n->text, n->len), *w = plain;
	unsigned long long u;
	double x;

	for (const char *r = plain; *r; r++)
		if (*r != '_')
			*w++ = *r;
	*w = '\0';
	if (!go_parse_int(plain, &n->ival)) {
		n->type = SY_INT;
	} else if (!go_parse_uint(plain, &u)) {
		set_float(n, (double)u);
	} else if (yaml_style_float(plain)) {
		x = strtod(plain, NULL);
		if (isfinite(x))
			set_float(n, x);
	}
	free(plain);
}

/* Resolve a plain scalar the way go-yaml v2's resolve() does. */
static void resolve_plain(struct sy_node *n)
{
	const char *s = n->text;

	n->type = SY_STR;
	if (!*s) {
		n->type = SY_NULL;
		return;
	}
	if (!strchr("+-0123456789.yYnNtTfFoO~", *s))
		return;
	if (in_list(s, yaml_true) || in_list(s, yaml_false)) {
		n->type = SY_BOOL;
		n->bval = in_list(s, yaml_true);
	} else if (in_list(s, yaml_null)) {
		n->type = SY_NULL;
	} else if (in_list(s, yaml_special_float)) {
		n->type = SY_FLOAT;
		n->fval = strchr(s, 'n') || strchr(s, 'N') ? NAN : INFINITY;
		node_problem(n, "'%s' cannot be represented in JSON", s);
	} else if (*s == '.') {
		if (yaml_style_float(s))
			set_float(n, strtod(s, NULL));
	} else if (*s == '+' || *s == '-' || is_digit(*s)) {
		resolve_number(n);
	}
}

/*
 * A mapping key becomes a JSON object key as sigs.k8s.io/yaml does it
 * (yes -> "true", 010 -> "8"); flag every key whose text changes that way
 * and keep the text as written.
 */
static void make_key(struct sy_node *k)
{
	char num[32];

	switch (k->type) {
	case SY_SEQ:
	case SY_MAP:
		node_problem(k, "mapping key is not a scalar");
		break;
	case SY_NULL:
		node_problem(k, "mapping key is null");
		break;
	case SY_BOOL:
		node_problem(k, "mapping key '%s' is read as boolean %s; quote it",
			     k->text, k->bval ? "true" : "false");
		break;
	case SY_INT:
		snprintf(num, sizeof(num), "%lld", k->ival);
		if (strcmp(num, k->text))
			node_problem(k, "mapping key '%s' is read as %s; quote it", k->text, num);
		break;
	case SY_FLOAT:
		node_problem(k, "mapping key '%s' is read as a number; quote it", k->text);
		break;
	case SY_STR:
		if (k->plain && !strcmp(k->text, "<<"))
			node_problem(k, "merge keys ('<<') are not allowed");
		break;
	}
	if (!k->text) {
		k->text = xstrdup("?");
		k->len = 1;
	}
	k->type = SY_STR;
}

struct keyref {
	const struct sy_node *key;
	size_t idx;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	size_t m = x->key->len < y->key->len ? x->key->len : y->key->len;
	int c = memcmp(x->key->text, y->key->text, m);

	if (c)
		return c;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Flag every repeated key of a mapping, naming the line of the first. */
static void check_duplicates(struct sy_node *map)
{
	struct keyref *refs;
	size_t first = 0;

	if (map->n < 2)
		return;
	refs = xreallocarray(NULL, map->n, sizeof(*refs));
	for (size_t i = 0; i < map->n; i++) {
		refs[i].key = map->key[i];
		refs[i].idx = i;
	}
	qsort(refs, map->n, sizeof(*refs), keyref_cmp);
	for (size_t i = 1; i < map->n; i++) {
		struct sy_node *k = map->key[refs[i].idx];
		const struct sy_node *f = map->key[refs[first].idx];

		if (k->len != f->len || memcmp(k->text, f->text, k->len)) {
			first = i;
			continue;
		}
		free(k->problem);
		k->problem = NULL;
		node_problem(k, "duplicate key '%s' (first at line %d)", f->text, f->line);
	}
	free(refs);
}

/* ---- the event stream ---- */

struct loader {
	yaml_parser_t parser;
	const char *file;
	struct diag *d;
	int depth;
};

static void yaml_error(struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	yaml_mark_t m = p->error == YAML_READER_ERROR ? p->mark : p->problem_mark;
	struct strbuf ctx = STRBUF_INIT;

	if (p->context)
		strbuf_addf(&ctx, " (%s at line %zu)", p->context, p->context_mark.line + 1);
	diag_add(l->d, l->file, (int)m.line + 1, (int)m.column + 1, "yaml error: %s%s",
		 p->problem ? p->problem : "cannot parse", ctx.buf);
	strbuf_release(&ctx);
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	yaml_error(l);
	return -1;
}

static struct sy_node *load_scalar(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	struct sy_node *n = node_new(SY_STR, &ev->start_mark);

	n->len = ev->data.scalar.length;
	n->text = xmalloc(n->len + 1);   /* not xstrndup: a string may hold a NUL */
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
	if (ev->data.scalar.anchor)
		node_problem(n, "anchors are not allowed ('&%s')",
			     (const char *)ev->data.scalar.anchor);
	if (tag && strcmp(tag, YAML_STR_TAG) && strcmp(tag, "!"))
		node_problem(n, "tags are not allowed ('%s')", tag);
	if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		n->plain = 1;
		resolve_plain(n);
	}
	return n;
}

static int load_node(struct loader *l, yaml_event_t *ev, struct sy_node **out);

static int load_pair(struct loader *l, yaml_event_t *ev, struct sy_node *map)
{
	struct sy_node *key = NULL, *val = NULL;
	yaml_event_t vev;

	if (load_node(l, ev, &key))
		return -1;
	if (next_event(l, &vev) || load_node(l, &vev, &val)) {
		node_free(key);
		return -1;
	}
	make_key(key);
	node_add(map, key, val);
	return 0;
}

static int load_children(struct loader *l, struct sy_node *n, yaml_event_type_t end)
{
	struct sy_node *item;
	yaml_event_t ev;

	for (;;) {
		if (next_event(l, &ev))
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (n->type == SY_MAP) {
			if (load_pair(l, &ev, n))
				return -1;
		} else {
			if (load_node(l, &ev, &item))
				return -1;
			node_add(n, NULL, item);
		}
	}
	if (n->type == SY_MAP)
		check_duplicates(n);
	return 0;
}

static struct sy_node *collection_node(const yaml_event_t *ev, enum sy_type type)
{
	const yaml_char_t *anchor, *tag;
	struct sy_node *n = node_new(type, &ev->start_mark);

	if (type == SY_SEQ) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (anchor)
		node_problem(n, "anchors are not allowed ('&%s')", (const char *)anchor);
	if (tag && strcmp((const char *)tag, type == SY_SEQ ? YAML_SEQ_TAG : YAML_MAP_TAG))
		node_problem(n, "tags are not allowed ('%s')", (const char *)tag);
	return n;
}

static int load_collection(struct loader *l, const yaml_event_t *ev, struct sy_node **out)
{
	int seq = ev->type == YAML_SEQUENCE_START_EVENT, ret;

	if (l->depth >= MAX_DEPTH) {
		diag_add(l->d, l->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1,
			 "yaml error: nesting deeper than %d levels", MAX_DEPTH);
		return -1;
	}
	*out = collection_node(ev, seq ? SY_SEQ : SY_MAP);
	l->depth++;
	ret = load_children(l, *out, seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT);
	l->depth--;
	return ret;
}

/* Build the node an event starts; consumes the event. */
static int load_node(struct loader *l, yaml_event_t *ev, struct sy_node **out)
{
	struct sy_node *n = NULL;
	int ret = 0;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = load_scalar(ev);
		break;
	case YAML_ALIAS_EVENT:
		n = node_new(SY_NULL, &ev->start_mark);
		node_problem(n, "aliases are not allowed ('*%s')",
			     (const char *)ev->data.alias.anchor);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		ret = load_collection(l, ev, &n);
		break;
	default:
		diag_add(l->d, l->file, (int)ev->start_mark.line + 1,
			 (int)ev->start_mark.column + 1, "yaml error: unexpected event");
		ret = -1;
		break;
	}
	if (ret)
		node_free(n);
	else
		*out = n;
	yaml_event_delete(ev);
	return ret;
}

int sy_read(const char *file, const char *buf, size_t len,
	    void (*fn)(const struct sy_node *root, void *data), void *data, struct diag *d)
{
	struct loader l = { .file = file, .d = d };
	struct sy_node *root;
	yaml_event_type_t type;
	yaml_event_t ev;
	int ret = -1;

	if (!yaml_parser_initialize(&l.parser)) {
		diag_add(d, file, 0, 0, "yaml error: cannot initialise the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
	for (;;) {
		if (next_event(&l, &ev))
			goto out;
		type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue;
		if (next_event(&l, &ev) || load_node(&l, &ev, &root))
			goto out;
		fn(root, data);
		node_free(root);
	}
	ret = 0;
out:
	yaml_parser_delete(&l.parser);
	return ret;
}

const char *sy_type_name(const struct sy_node *n)
{
	switch (n->type) {
	case SY_NULL:
		return "null";
	case SY_BOOL:
		return "boolean";
	case SY_INT:
		return "integer";
	case SY_FLOAT:
		return sy_float_is_integer(n->fval) ? "integer" : "number";
	case SY_STR:
		return "string";
	case SY_SEQ:
		return "array";
	case SY_MAP:
		return "object";
	}
	return "?";
}
