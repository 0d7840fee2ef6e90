/*
 * k8s-validate: a strict, offline validator for Kubernetes manifests.
 *
 * Usage: k8s-validate [--schema FILE] FILE...
 *
 * The schema is the "definitions" object of a Kubernetes OpenAPI v2 document
 * (--schema, else $K8S_SCHEMA, else ../shared/k8s-openapi/definitions.json
 * from the current directory); it is read once.  Each FILE ("-" is standard
 * input) holds one or more YAML documents; empty ones are skipped.  Every
 * document is first turned into a JSON value the way kubectl does it
 * (sigs.k8s.io/yaml over go-yaml v2, i.e. YAML 1.1): a plain yes, no, on,
 * off, y, n, true or false (in go-yaml's case variants) is a boolean; empty,
 * ~ and null are null; 0x1f, 0o17, 017, 1_000 are integers; 1.5, 1e3 are
 * numbers, and a whole number such as 1e3 or 1.0 is an integer, as after
 * json.Marshal; quoted and block scalars are always strings.  Then:
 *
 *  - apiVersion and kind must name a definition through its
 *    x-kubernetes-group-version-kind (group "" is apiVersion "v1");
 *  - $ref is followed; an object schema with properties and no
 *    additionalProperties admits no other field; additionalProperties
 *    checks the values of a map; x-kubernetes-preserve-unknown-fields, and
 *    a schema with neither type nor properties, admit anything;
 *  - JSON types, int32 ranges, enum, required fields; an IntOrString takes
 *    an int32 or a string; a Quantity takes a number or a string in
 *    quantity syntax (100m, 512Mi, 1e3); a date-time (Time, MicroTime) takes
 *    an RFC 3339 string or null; a "byte" string must be base64;
 *  - metadata.name must exist and be a DNS-1123 subdomain (a DNS-1123
 *    label for a Namespace, a DNS-1035 label for a Service, a path segment
 *    for RBAC objects), metadata.namespace a DNS-1123 label; wherever an
 *    ObjectMeta appears, label keys and values and annotation keys must
 *    have Kubernetes syntax, as must a LabelSelector's matchLabels and
 *    matchExpressions keys.
 *
 * It also rejects, as errors, YAML that our renderer never writes or whose
 * meaning silently changes: duplicate mapping keys, anchors and aliases,
 * merge keys (<<), tags other than !!str, mapping keys that YAML 1.1 reads
 * as something else (yes: becomes "true"), .inf and .nan, and null (an
 * empty value) where the schema wants a value, although the API server
 * would take that as "unset".
 *
 * A Kustomization (apiVersion kustomize.config.k8s.io/..., kind
 * Kustomization or Component, or any document without apiVersion in a file
 * named kustomization.yaml, kustomization.yml or Kustomization)
 * is checked for shape only: resources, components, bases and the other
 * file lists must be lists of strings, namespace, namePrefix and nameSuffix
 * strings, commonLabels and commonAnnotations maps of strings.  An
 * apiVersion v1 kind List is checked item by item.
 *
 * Output: each problem is one line on standard output,
 *   FILE:LINE:COL: Kind/name: path.to.field: message
 * (also YAML syntax errors, as FILE:LINE:COL: yaml error: ...); usage and
 * I/O errors and a final "k8s-validate: N objects, M errors" go to standard
 * error.  Exit status: 0 if every document is valid, 1 if any is not, 2 on
 * a usage error, an unreadable schema or input, or a YAML syntax error.
 *
 * Not checked: what the schema does not say (validation rules, defaults,
 * cross-field rules such as a selector matching its template, uniqueness
 * of list-map keys, formats of ports, container names and the like),
 * custom resources (an unknown kind is an error), cluster state.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#define PROG "k8s-validate"
#define DEFAULT_SCHEMA "../shared/k8s-openapi/definitions.json"
#define DEF_PREFIX "#/definitions/"
#define META_V1 "io.k8s.apimachinery.pkg.apis.meta.v1."
#define MAX_DEPTH 1000
#define MAX_SHOWN 60

/* ---- memory and growable strings ---- */

static void die_oom(void)
{
	fputs(PROG ": out of memory\n", stderr);
	exit(2);
}

static void *xreallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (size && n > SIZE_MAX / size)
		die_oom();
	bytes = n * size;
	p = realloc(p, bytes ? bytes : 1);
	if (!p)
		die_oom();
	return p;
}

static void *xcalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p)
		die_oom();
	return p;
}

static char *xstrndup(const char *s, size_t len)
{
	char *p = xreallocarray(NULL, len + 1, 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct buf {
	char *s;
	size_t len, alloc;
};

#define BUF_INIT { NULL, 0, 0 }

static void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, a = b->alloc ? b->alloc : 64;

	if (need < b->len)
		die_oom();
	if (need <= b->alloc)
		return;
	while (a < need) {
		if (a > SIZE_MAX / 2)
			die_oom();
		a *= 2;
	}
	b->s = xreallocarray(b->s, a, 1);
	b->alloc = a;
}

static void buf_addn(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
	buf_addn(b, &c, 1);
}

static void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->s + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		die_oom();
	if ((size_t)n >= b->alloc - b->len) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

static void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

static void buf_setlen(struct buf *b, size_t len)
{
	b->len = len;
	if (b->s)
		b->s[len] = '\0';
}

static char *buf_detach(struct buf *b)
{
	char *s;

	buf_grow(b, 0);
	s = b->s;
	b->s = NULL;
	b->len = b->alloc = 0;
	return s;
}

static void buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->alloc = 0;
}

/*
 * Append text for a message: at most MAX_SHOWN bytes (cut before a UTF-8
 * continuation byte, then "..."), control characters as \xNN.
 */
static void buf_add_shown(struct buf *b, const char *s, size_t len)
{
	size_t i, n = len;

	if (n > MAX_SHOWN) {
		n = MAX_SHOWN;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			buf_addf(b, "\\x%02x", ch);
		else
			buf_addc(b, (char)ch);
	}
	if (n < len)
		buf_adds(b, "...");
}

/* ---- the YAML tree ---- */

enum ntype { N_NULL, N_BOOL, N_INT, N_FLOAT, N_STR, N_SEQ, N_MAP };

struct node {
	enum ntype type;
	unsigned line, col;     /* 1-based position of the node */
	int plain;              /* a plain (unquoted) scalar */
	char *text;             /* scalar text: a string's value, else source */
	size_t len;             /* length of text (a string may hold NULs) */
	long long ival;
	double fval;
	int bval;
	char *problem;          /* what is wrong with it as YAML, or NULL */
	size_t n, alloc;        /* children */
	struct node **val;      /* sequence items or mapping values */
	struct node **key;      /* mapping keys, all strings */
};

static struct node *node_new(enum ntype type, const yaml_mark_t *m)
{
	struct node *n = xcalloc(sizeof(*n));

	n->type = type;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++) {
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

static void node_add(struct node *p, struct node *key, struct node *val)
{
	if (p->n == p->alloc) {
		size_t a = p->alloc ? 2 * p->alloc : 4;

		p->val = xreallocarray(p->val, a, sizeof(*p->val));
		if (p->type == N_MAP)
			p->key = xreallocarray(p->key, a, sizeof(*p->key));
		p->alloc = a;
	}
	if (p->type == N_MAP)
		p->key[p->n] = key;
	p->val[p->n++] = val;
}

/* Note a YAML-level problem with a node; the first one wins. */
static void node_problem(struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void node_problem(struct node *n, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	if (n->problem)
		return;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	n->problem = buf_detach(&b);
}

static int key_is(const struct node *k, const char *s)
{
	size_t len = strlen(s);

	return k->len == len && !memcmp(k->text, s, len);
}

static const struct node *map_get(const struct node *map, const char *key)
{
	size_t i;

	if (!map || map->type != N_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (key_is(map->key[i], key))
			return map->val[i];
	return NULL;
}

static const char *map_str(const struct node *map, const char *key)
{
	const struct node *v = map_get(map, key);

	return v && v->type == N_STR ? v->text : NULL;
}

/* ---- YAML 1.1 scalars as go-yaml v2 resolves them ---- */

static const char *const yaml_true[] = {
	"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
	"on", "On", "ON", NULL
};
static const char *const yaml_false[] = {
	"n", "N", "no", "No", "NO", "false", "False", "FALSE",
	"off", "Off", "OFF", NULL
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
static int float_is_integer_text(double x)
{
	long long v;

	if (float_to_int(x, &v))
		return 1;
	return (x >= 9223372036854775808.0 && x < 1e21) ||
	       (x < -9223372036854775808.0 && x > -1e21);
}

static void set_float(struct node *n, double x)
{
	if (float_to_int(x, &n->ival)) {
		n->type = N_INT;
		return;
	}
	n->type = N_FLOAT;
	n->fval = x;
}

/* A plain scalar starting with a sign or a digit: int, float or string. */
static void resolve_number(struct node *n)
{
	char *plain = xstrndup(n->text, n->len), *w = plain;
	unsigned long long u;
	const char *r;
	double x;

	for (r = plain; *r; r++)
		if (*r != '_')
			*w++ = *r;
	*w = '\0';
	if (!go_parse_int(plain, &n->ival)) {
		n->type = N_INT;
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
static void resolve_plain(struct node *n)
{
	const char *s = n->text;

	n->type = N_STR;
	if (!*s) {
		n->type = N_NULL;
		return;
	}
	if (!strchr("+-0123456789.yYnNtTfFoO~", *s))
		return;
	if (in_list(s, yaml_true) || in_list(s, yaml_false)) {
		n->type = N_BOOL;
		n->bval = in_list(s, yaml_true);
	} else if (in_list(s, yaml_null)) {
		n->type = N_NULL;
	} else if (in_list(s, yaml_special_float)) {
		n->type = N_FLOAT;
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
static void make_key(struct node *k)
{
	struct buf b = BUF_INIT;

	switch (k->type) {
	case N_SEQ:
	case N_MAP:
		node_problem(k, "mapping key is not a scalar");
		break;
	case N_NULL:
		node_problem(k, "mapping key is null");
		break;
	case N_BOOL:
		node_problem(k, "mapping key '%s' is read as boolean %s; quote it",
			     k->text, k->bval ? "true" : "false");
		break;
	case N_INT:
		buf_addf(&b, "%lld", k->ival);
		if (strcmp(b.s, k->text))
			node_problem(k, "mapping key '%s' is read as %s; quote it",
				     k->text, b.s);
		buf_free(&b);
		break;
	case N_FLOAT:
		node_problem(k, "mapping key '%s' is read as a number; quote it",
			     k->text);
		break;
	case N_STR:
		if (k->plain && !strcmp(k->text, "<<"))
			node_problem(k, "merge keys ('<<') are not allowed");
		break;
	}
	if (!k->text) {
		k->text = xstrndup("?", 1);
		k->len = 1;
	}
	k->type = N_STR;
}

struct keyref {
	const struct node *key;
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

/* Flag every repeated key of a mapping. */
static void check_duplicates(struct node *map)
{
	struct keyref *refs;
	size_t i, first = 0;

	if (map->n < 2)
		return;
	refs = xreallocarray(NULL, map->n, sizeof(*refs));
	for (i = 0; i < map->n; i++) {
		refs[i].key = map->key[i];
		refs[i].idx = i;
	}
	qsort(refs, map->n, sizeof(*refs), keyref_cmp);
	for (i = 1; i < map->n; i++) {
		struct node *k = map->key[refs[i].idx];
		const struct node *f = map->key[refs[first].idx];

		if (k->len != f->len || memcmp(k->text, f->text, k->len)) {
			first = i;
			continue;
		}
		free(k->problem);
		k->problem = NULL;
		node_problem(k, "duplicate key '%s' (first at line %u)",
			     f->text, f->line);
	}
	free(refs);
}

/* ---- loading YAML documents with libyaml ---- */

struct loader {
	yaml_parser_t parser;
	const char *file;
	int depth;
};

static void yaml_error(struct loader *l)
{
	const yaml_parser_t *p = &l->parser;
	yaml_mark_t m = p->error == YAML_READER_ERROR ? p->mark : p->problem_mark;

	printf("%s:%zu:%zu: yaml error: %s", l->file, m.line + 1, m.column + 1,
	       p->problem ? p->problem : "cannot parse");
	if (p->context)
		printf(" (%s at line %zu)", p->context, p->context_mark.line + 1);
	putchar('\n');
}

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (yaml_parser_parse(&l->parser, ev))
		return 0;
	yaml_error(l);
	return -1;
}

static struct node *load_scalar(const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	struct node *n = node_new(N_STR, &ev->start_mark);

	n->len = ev->data.scalar.length;
	n->text = xstrndup((const char *)ev->data.scalar.value, n->len);
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

static int load_node(struct loader *l, yaml_event_t *ev, struct node **out);

static int load_pair(struct loader *l, yaml_event_t *ev, struct node *map)
{
	struct node *key = NULL, *val = NULL;
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

static int load_children(struct loader *l, struct node *n, yaml_event_type_t end)
{
	struct node *item;
	yaml_event_t ev;

	for (;;) {
		if (next_event(l, &ev))
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		if (n->type == N_MAP) {
			if (load_pair(l, &ev, n))
				return -1;
		} else {
			if (load_node(l, &ev, &item))
				return -1;
			node_add(n, NULL, item);
		}
	}
	if (n->type == N_MAP)
		check_duplicates(n);
	return 0;
}

static struct node *collection_node(const yaml_event_t *ev, enum ntype type)
{
	const yaml_char_t *anchor, *tag;
	struct node *n = node_new(type, &ev->start_mark);

	if (type == N_SEQ) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (anchor)
		node_problem(n, "anchors are not allowed ('&%s')",
			     (const char *)anchor);
	if (tag && strcmp((const char *)tag,
			  type == N_SEQ ? YAML_SEQ_TAG : YAML_MAP_TAG))
		node_problem(n, "tags are not allowed ('%s')", (const char *)tag);
	return n;
}

/* Build the node an event starts; consumes the event. */
static int load_node(struct loader *l, yaml_event_t *ev, struct node **out)
{
	struct node *n = NULL;
	int ret = -1;

	*out = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = load_scalar(ev);
		break;
	case YAML_ALIAS_EVENT:
		n = node_new(N_NULL, &ev->start_mark);
		node_problem(n, "aliases are not allowed ('*%s')",
			     (const char *)ev->data.alias.anchor);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (l->depth >= MAX_DEPTH) {
			printf("%s:%zu:%zu: yaml error: nesting deeper than %d levels\n",
			       l->file, ev->start_mark.line + 1,
			       ev->start_mark.column + 1, MAX_DEPTH);
			goto out;
		}
		n = collection_node(ev, ev->type == YAML_SEQUENCE_START_EVENT ?
				    N_SEQ : N_MAP);
		l->depth++;
		ret = load_children(l, n, ev->type == YAML_SEQUENCE_START_EVENT ?
				    YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT);
		l->depth--;
		if (ret)
			goto out;
		break;
	default:
		printf("%s:%zu:%zu: yaml error: unexpected event\n", l->file,
		       ev->start_mark.line + 1, ev->start_mark.column + 1);
		goto out;
	}
	*out = n;
	n = NULL;
	ret = 0;
out:
	node_free(n);
	yaml_event_delete(ev);
	return ret;
}

/* ---- the schema ---- */

struct schema {
	json_t *root;
	json_t *defs;
	json_t *gvk;            /* "apiVersion kind" -> definition */
	json_t *kinds;          /* kind -> [apiVersion...] */
	json_t *shapes;         /* built-in schemas: Kustomization, List */
	const json_t *quantity, *objectmeta, *selector;
};

#define STRLIST "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}"
#define STRMAP "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}"
#define STR "{\"type\":\"string\"}"

static const char builtin_shapes[] =
	"{\"Kustomization\":{\"type\":\"object\","
	"\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{"
	"\"apiVersion\":" STR ",\"kind\":" STR ","
	"\"metadata\":{\"type\":\"object\"},"
	"\"namespace\":" STR ",\"namePrefix\":" STR ",\"nameSuffix\":" STR ","
	"\"commonLabels\":" STRMAP ",\"commonAnnotations\":" STRMAP ","
	"\"resources\":" STRLIST ",\"components\":" STRLIST ","
	"\"bases\":" STRLIST ",\"crds\":" STRLIST ","
	"\"configurations\":" STRLIST ",\"generators\":" STRLIST ","
	"\"transformers\":" STRLIST ",\"validators\":" STRLIST "}},"
	"\"List\":{\"type\":\"object\",\"required\":[\"items\"],\"properties\":{"
	"\"apiVersion\":" STR ",\"kind\":" STR ","
	"\"metadata\":{\"type\":\"object\"},"
	"\"items\":{\"type\":\"array\"}}}}";

static void add_gvk(struct schema *sc, json_t *def, json_t *g)
{
	const char *group = json_string_value(json_object_get(g, "group"));
	const char *version = json_string_value(json_object_get(g, "version"));
	const char *kind = json_string_value(json_object_get(g, "kind"));
	struct buf api = BUF_INIT, key = BUF_INIT;
	json_t *list;

	if (!group || !version || !kind)
		return;
	buf_addf(&api, "%s%s%s", group, *group ? "/" : "", version);
	buf_addf(&key, "%s %s", api.s, kind);
	if (!json_object_get(sc->gvk, key.s))
		json_object_set(sc->gvk, key.s, def);
	list = json_object_get(sc->kinds, kind);
	if (!list) {
		list = json_array();
		json_object_set_new(sc->kinds, kind, list);
	}
	json_array_append_new(list, json_string(api.s));
	buf_free(&api);
	buf_free(&key);
}

static void index_gvks(struct schema *sc)
{
	const char *name;
	json_t *def, *g;
	size_t i;

	json_object_foreach(sc->defs, name, def) {
		json_array_foreach(json_object_get(def,
				   "x-kubernetes-group-version-kind"), i, g)
			add_gvk(sc, def, g);
	}
}

static void schema_free(struct schema *sc)
{
	json_decref(sc->root);
	json_decref(sc->gvk);
	json_decref(sc->kinds);
	json_decref(sc->shapes);
	memset(sc, 0, sizeof(*sc));
}

static int schema_load(struct schema *sc, const char *path)
{
	json_error_t err;

	memset(sc, 0, sizeof(*sc));
	sc->root = json_load_file(path, 0, &err);
	if (!sc->root) {
		if (err.line > 0)
			fprintf(stderr, PROG ": cannot load schema %s:%d: %s\n",
				path, err.line, err.text);
		else
			fprintf(stderr, PROG ": cannot load schema %s: %s\n",
				path, err.text);
		return -1;
	}
	sc->defs = json_object_get(sc->root, "definitions");
	if (!json_is_object(sc->defs)) {
		fprintf(stderr, PROG ": %s: no \"definitions\" object\n", path);
		schema_free(sc);
		return -1;
	}
	sc->gvk = json_object();
	sc->kinds = json_object();
	sc->shapes = json_loads(builtin_shapes, 0, &err);
	if (!sc->gvk || !sc->kinds || !sc->shapes)
		die_oom();
	index_gvks(sc);
	sc->quantity = json_object_get(sc->defs,
				       "io.k8s.apimachinery.pkg.api.resource.Quantity");
	sc->objectmeta = json_object_get(sc->defs, META_V1 "ObjectMeta");
	sc->selector = json_object_get(sc->defs, META_V1 "LabelSelector");
	return 0;
}

/* ---- error collection ---- */

struct err {
	unsigned line, col;
	size_t seq;
	const char *kind, *name;
	char *msg;
};

struct vctx {
	const struct schema *sc;
	const char *file;
	const char *kind, *name;        /* of the object being checked */
	struct buf path;                /* of the node being checked */
	struct err *errs;               /* of the current document */
	size_t nerrs, aerrs;
	char **scratch;                 /* texts made by show(), until report() */
	size_t nscratch, ascratch;
	size_t objects, errors;
};

static void scratch_free(struct vctx *c)
{
	size_t i;

	for (i = 0; i < c->nscratch; i++)
		free(c->scratch[i]);
	c->nscratch = 0;
}

/* A value as a message shows it; valid until the next report(). */
static const char *show(struct vctx *c, const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	buf_add_shown(&b, s, len);
	if (c->nscratch == c->ascratch) {
		c->ascratch = c->ascratch ? 2 * c->ascratch : 8;
		c->scratch = xreallocarray(c->scratch, c->ascratch,
					   sizeof(*c->scratch));
	}
	c->scratch[c->nscratch++] = buf_detach(&b);
	return c->scratch[c->nscratch - 1];
}

static const char *show_node(struct vctx *c, const struct node *n)
{
	return n->text ? show(c, n->text, n->len) : "";
}

/* Record "path: message" at a node for the current object. */
static void report(struct vctx *c, const struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct vctx *c, const struct node *n, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	struct err *e;
	va_list ap;

	buf_adds(&b, c->path.len ? c->path.s : "(root)");
	buf_adds(&b, ": ");
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (c->nerrs == c->aerrs) {
		c->aerrs = c->aerrs ? 2 * c->aerrs : 8;
		c->errs = xreallocarray(c->errs, c->aerrs, sizeof(*c->errs));
	}
	e = &c->errs[c->nerrs];
	e->line = n->line;
	e->col = n->col;
	e->seq = c->nerrs++;
	e->kind = c->kind;
	e->name = c->name;
	e->msg = buf_detach(&b);
	scratch_free(c);
}

static int err_cmp(const void *a, const void *b)
{
	const struct err *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 ? '?' : *s);
}

/* Print the current document's errors in file order and forget them. */
static void flush_errors(struct vctx *c)
{
	size_t i;

	if (c->nerrs)
		qsort(c->errs, c->nerrs, sizeof(*c->errs), err_cmp);
	for (i = 0; i < c->nerrs; i++) {
		const struct err *e = &c->errs[i];

		printf("%s:%u:%u: ", c->file, e->line, e->col);
		print_clean(e->kind);
		putchar('/');
		print_clean(e->name);
		printf(": %s\n", e->msg);
		free(e->msg);
	}
	c->errors += c->nerrs;
	c->nerrs = 0;
	scratch_free(c);
}

/* ---- paths ---- */

static int is_ident(const char *s, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !is_digit(ch) && ch != '_' && ch != '-' && ch != '$')
			return 0;
	}
	return 1;
}

/* Append a key to the path (.key, or ["a.b/c"]); returns the old length. */
static size_t path_push_key(struct buf *p, const char *key, size_t len)
{
	size_t old = p->len, i;

	if (is_ident(key, len)) {
		if (old)
			buf_addc(p, '.');
		buf_addn(p, key, len);
		return old;
	}
	buf_adds(p, "[\"");
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch < 0x20 || ch == 0x7f)
			buf_addf(p, "\\x%02x", ch);
		else if (ch == '"' || ch == '\\')
			buf_addf(p, "\\%c", ch);
		else
			buf_addc(p, (char)ch);
	}
	buf_adds(p, "\"]");
	return old;
}

static size_t path_push(struct buf *p, const char *key)
{
	return path_push_key(p, key, strlen(key));
}

static size_t path_push_index(struct buf *p, size_t i)
{
	size_t old = p->len;

	buf_addf(p, "[%zu]", i);
	return old;
}

/* ---- YAML-level problems ---- */

static void report_problems(struct vctx *c, const struct node *n)
{
	size_t i, old;

	if (n->problem)
		report(c, n, "%s", n->problem);
	for (i = 0; i < n->n; i++) {
		if (n->type == N_MAP) {
			old = path_push_key(&c->path, n->key[i]->text,
					    n->key[i]->len);
			if (n->key[i]->problem)
				report(c, n->key[i], "%s", n->key[i]->problem);
		} else {
			old = path_push_index(&c->path, i);
		}
		report_problems(c, n->val[i]);
		buf_setlen(&c->path, old);
	}
}

/* ---- syntax of names, labels, quantities and the like ---- */

static int is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || is_digit(ch);
}

static int is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?, any length */
static int dns_label_syntax(const char *s, size_t len)
{
	size_t i;

	if (!len || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int is_dns_label(const char *s, size_t len)
{
	return len <= 63 && dns_label_syntax(s, len);
}

static int is_dns1035_label(const char *s, size_t len)
{
	return is_dns_label(s, len) && s[0] >= 'a' && s[0] <= 'z';
}

static int is_dns_subdomain(const char *s, size_t len)
{
	size_t i, start = 0;

	if (!len || len > 253)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!dns_label_syntax(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

static int is_path_segment(const char *s, size_t len)
{
	if (!len || (len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return !memchr(s, '/', len) && !memchr(s, '%', len);
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int label_name_syntax(const char *s, size_t len)
{
	size_t i;

	if (!len || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

#define LABEL_CHARS "alphanumerics, '-', '_' or '.', starting and ending " \
	"with an alphanumeric"

/* Why a label value is invalid, or NULL. */
static const char *label_value_problem(const char *s, size_t len)
{
	if (len > 63)
		return "must be at most 63 characters";
	if (len && !label_name_syntax(s, len))
		return "must be empty or " LABEL_CHARS;
	return NULL;
}

/* Why a label or annotation key (a qualified name) is invalid, or NULL. */
static const char *qualified_name_problem(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t plen;

	if (slash) {
		plen = (size_t)(slash - s);
		if (memchr(slash + 1, '/', len - plen - 1))
			return "must contain at most one '/'";
		if (!is_dns_subdomain(s, plen))
			return "prefix before '/' must be a DNS-1123 subdomain";
		s = slash + 1;
		len -= plen + 1;
	}
	if (!len)
		return "name part must not be empty";
	if (len > 63)
		return "name part must be at most 63 characters";
	if (!label_name_syntax(s, len))
		return "name part must be " LABEL_CHARS;
	return NULL;
}

/* Kubernetes quantity syntax: [+-]digits[.digits][suffix]. */
static int is_quantity(const char *s, size_t len)
{
	static const char *const suffixes[] = {
		"", "n", "u", "m", "k", "M", "G", "T", "P", "E",
		"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", NULL
	};
	size_t i = 0, digits = 0, k;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && is_digit(s[i]); i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit(s[i]); i++)
			digits++;
	if (!digits)
		return 0;
	s += i;
	len -= i;
	for (k = 0; suffixes[k]; k++)
		if (strlen(suffixes[k]) == len && !memcmp(s, suffixes[k], len))
			return 1;
	if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
		return 0;
	i = s[1] == '+' || s[1] == '-' ? 2 : 1;
	if (i == len)
		return 0;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Standard base64 with padding; CR and LF are ignored, as Go does. */
static int is_base64(const char *s, size_t len)
{
	size_t i, n = 0, pad = 0;

	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '\r' || ch == '\n')
			continue;
		n++;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad || !(is_alnum(ch) || ch == '+' || ch == '/'))
			return 0;
	}
	return n % 4 == 0 && pad <= 2;
}

static int digits_at(const char *s, size_t at, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = at; i < at + n; i++) {
		if (!is_digit(s[i]))
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

/* RFC 3339 as Go's time.Parse(time.RFC3339, s) takes it. */
static int is_rfc3339(const char *s, size_t len)
{
	int y, mo, d, h, mi, se, zh, zm;
	size_t i = 19;

	if (len < 20 || strlen(s) != len || !digits_at(s, 0, 4, &y) ||
	    s[4] != '-' || !digits_at(s, 5, 2, &mo) || s[7] != '-' ||
	    !digits_at(s, 8, 2, &d) || s[10] != 'T' || !digits_at(s, 11, 2, &h) ||
	    s[13] != ':' || !digits_at(s, 14, 2, &mi) || s[16] != ':' ||
	    !digits_at(s, 17, 2, &se))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return 0;
	if (s[i] == '.' || s[i] == ',') {
		for (i++; is_digit(s[i]); i++)
			;
		if (!is_digit(s[i - 1]))
			return 0;
	}
	if (s[i] == 'Z')
		return i + 1 == len;
	if ((s[i] != '+' && s[i] != '-') || len - i != 6 || s[i + 3] != ':')
		return 0;
	return digits_at(s, i + 1, 2, &zh) && digits_at(s, i + 4, 2, &zm) &&
	       zh < 24 && zm < 60;
}

/* Optimal string alignment distance (insert, delete, change, swap). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t w = lb + 1, i, j, r;
	size_t *d = xreallocarray(NULL, (la + 1) * w, sizeof(*d));

	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v;

			v = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < v)
				v = d[i * w + j - 1] + 1;
			if (d[(i - 1) * w + j - 1] + cost < v)
				v = d[(i - 1) * w + j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[(i - 2) * w + j - 2] + 1 < v)
				v = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = v;
		}
	}
	r = d[la * w + lb];
	free(d);
	return r;
}

/* The key of a JSON object closest to a misspelt word, if close enough. */
static const char *closest_key(const json_t *obj, const char *word, size_t len)
{
	const char *key, *best = NULL;
	size_t bestd = SIZE_MAX, limit = len < 4 ? 1 : len < 10 ? 2 : 3;
	json_t *v;

	if (!json_is_object(obj) || len > 64)
		return NULL;
	json_object_foreach((json_t *)obj, key, v) {
		size_t kl = strlen(key), dist;

		if (kl > 64)
			continue;
		dist = edit_distance(word, len, key, kl);
		if (dist < bestd) {
			bestd = dist;
			best = key;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* ---- checking values against the schema ---- */

static void check_value(struct vctx *c, const json_t *s, const struct node *n);

static const char *type_name(const struct node *n)
{
	switch (n->type) {
	case N_NULL:
		return "null";
	case N_BOOL:
		return "boolean";
	case N_INT:
		return "integer";
	case N_FLOAT:
		return float_is_integer_text(n->fval) ? "integer" : "number";
	case N_STR:
		return "string";
	case N_SEQ:
		return "array";
	case N_MAP:
		return "object";
	}
	return "?";
}

static void type_mismatch(struct vctx *c, const struct node *n, const char *want)
{
	int to_string = !strcmp(want, "string");
	const char *got = type_name(n);

	if (n->type == N_NULL)
		report(c, n, "expected %s, got null%s", want,
		       n->len ? "" : " (empty value)");
	else if (n->type == N_SEQ || n->type == N_MAP)
		report(c, n, "expected %s, got %s", want, got);
	else if (n->type == N_STR)
		report(c, n, "expected %s, got string '%s'", want,
		       show_node(c, n));
	else if (to_string && n->type == N_BOOL)
		report(c, n, "expected %s, got boolean (unquoted '%s' is a "
		       "YAML 1.1 boolean; quote it)", want, show_node(c, n));
	else if (to_string)
		report(c, n, "expected %s, got %s %s (quote it)", want, got,
		       show_node(c, n));
	else
		report(c, n, "expected %s, got %s %s", want, got,
		       show_node(c, n));
}

/* Follow $ref; NULL (reported) if it leads nowhere. */
static const json_t *deref(struct vctx *c, const json_t *s, const struct node *n)
{
	const char *ref;
	int hops = 0;

	while ((ref = json_string_value(json_object_get(s, "$ref")))) {
		if (strncmp(ref, DEF_PREFIX, strlen(DEF_PREFIX)) || ++hops > 64 ||
		    !(s = json_object_get(c->sc->defs, ref + strlen(DEF_PREFIX)))) {
			report(c, n, "schema error: cannot resolve $ref '%s'", ref);
			return NULL;
		}
	}
	return s;
}

static const char *schema_str(const json_t *s, const char *key)
{
	return json_string_value(json_object_get(s, key));
}

static int schema_is(const json_t *s, const char *key, const char *val)
{
	const char *v = schema_str(s, key);

	return v && !strcmp(v, val);
}

static const json_t *object_getn(const json_t *obj, const struct node *k)
{
	return json_is_object(obj) ? json_object_getn(obj, k->text, k->len) : NULL;
}

static void unknown_field(struct vctx *c, const json_t *props,
			  const struct node *k)
{
	const char *near = closest_key(props, k->text, k->len);

	if (near)
		report(c, k, "unknown field '%s' (did you mean '%s'?)",
		       show_node(c, k), near);
	else
		report(c, k, "unknown field '%s'", show_node(c, k));
}

static void check_required(struct vctx *c, const json_t *s, const struct node *n)
{
	const json_t *req = json_object_get(s, "required"), *r;
	size_t i;

	json_array_foreach(req, i, r) {
		const char *name = json_string_value(r);

		if (name && !map_get(n, name))
			report(c, n, "missing required field '%s'", name);
	}
}

static int check_object(struct vctx *c, const json_t *s, const struct node *n)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *addl = json_object_get(s, "additionalProperties"), *fs;
	int open = json_is_true(addl) || (!props && !addl) ||
		   json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"));
	size_t i, old;

	if (n->type != N_MAP) {
		type_mismatch(c, n, "object");
		return 0;
	}
	for (i = 0; i < n->n; i++) {
		const struct node *k = n->key[i];

		if (k->problem)
			continue;
		old = path_push_key(&c->path, k->text, k->len);
		if ((fs = object_getn(props, k)))
			check_value(c, fs, n->val[i]);
		else if (json_is_object(addl))
			check_value(c, addl, n->val[i]);
		else if (!open)
			unknown_field(c, props, k);
		buf_setlen(&c->path, old);
	}
	check_required(c, s, n);
	return 1;
}

static int check_array(struct vctx *c, const json_t *s, const struct node *n)
{
	const json_t *items = json_object_get(s, "items");
	size_t i, old;

	if (n->type != N_SEQ) {
		type_mismatch(c, n, "array");
		return 0;
	}
	for (i = 0; items && i < n->n; i++) {
		old = path_push_index(&c->path, i);
		check_value(c, items, n->val[i]);
		buf_setlen(&c->path, old);
	}
	return 1;
}

static int check_string(struct vctx *c, const json_t *s, const struct node *n)
{
	int datetime = schema_is(s, "format", "date-time");

	if (datetime && n->type == N_NULL && !n->problem)
		return 1;
	if (n->type != N_STR) {
		type_mismatch(c, n, datetime ? "date-time string" : "string");
		return 0;
	}
	if (datetime && !is_rfc3339(n->text, n->len))
		report(c, n, "invalid date-time '%s' (expected RFC 3339, such as "
		       "2006-01-02T15:04:05Z)", show_node(c, n));
	else if (schema_is(s, "format", "byte") && !is_base64(n->text, n->len))
		report(c, n, "invalid base64 data '%s'", show_node(c, n));
	return 1;
}

/* An integer within a format's range; a huge whole number is out of it. */
static int check_integer(struct vctx *c, const json_t *s, const struct node *n)
{
	int int32 = !schema_is(s, "format", "int64");

	if (n->type == N_FLOAT && float_is_integer_text(n->fval)) {
		report(c, n, "integer %s out of %s range", show_node(c, n),
		       int32 ? "int32" : "int64");
		return 0;
	}
	if (n->type != N_INT) {
		type_mismatch(c, n, "integer");
		return 0;
	}
	if (int32 && (n->ival < INT32_MIN || n->ival > INT32_MAX)) {
		report(c, n, "integer %lld out of int32 range", n->ival);
		return 0;
	}
	return 1;
}

static int check_number(struct vctx *c, const struct node *n)
{
	if (n->type == N_INT || n->type == N_FLOAT)
		return 1;
	type_mismatch(c, n, "number");
	return 0;
}

static int check_boolean(struct vctx *c, const struct node *n)
{
	if (n->type == N_BOOL)
		return 1;
	type_mismatch(c, n, "boolean");
	return 0;
}

/* A string, or an integer that fits the int32 of an IntOrString. */
static int check_int_or_string(struct vctx *c, const struct node *n)
{
	if (n->type == N_STR)
		return 1;
	if (n->type == N_INT || (n->type == N_FLOAT &&
				 float_is_integer_text(n->fval)))
		return check_integer(c, NULL, n);
	type_mismatch(c, n, "integer or string");
	return 0;
}

static int check_quantity(struct vctx *c, const struct node *n)
{
	if (n->type == N_INT || n->type == N_FLOAT)
		return 1;
	if (n->type != N_STR) {
		type_mismatch(c, n, "quantity (string or number)");
		return 0;
	}
	if (!is_quantity(n->text, n->len)) {
		report(c, n, "invalid quantity '%s' (expected a number with an "
		       "optional suffix, such as 100m, 512Mi, 2Gi or 1e3)",
		       show_node(c, n));
		return 0;
	}
	return 1;
}

static int enum_match(const json_t *e, const struct node *n)
{
	switch (n->type) {
	case N_STR:
		return json_is_string(e) && json_string_length(e) == n->len &&
		       !memcmp(json_string_value(e), n->text, n->len);
	case N_INT:
		return json_is_integer(e) && json_integer_value(e) == n->ival;
	case N_FLOAT:
		return json_is_number(e) && !(json_number_value(e) < n->fval) &&
		       !(json_number_value(e) > n->fval);
	case N_BOOL:
		return json_is_boolean(e) && json_is_true(e) == !!n->bval;
	case N_NULL:
		return json_is_null(e);
	default:
		return 0;
	}
}

static void check_enum(struct vctx *c, const json_t *s, const struct node *n)
{
	const json_t *list = json_object_get(s, "enum"), *e;
	struct buf b = BUF_INIT;
	size_t i;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, e)
		if (enum_match(e, n))
			return;
	json_array_foreach(list, i, e) {
		char *t = json_dumps(e, JSON_ENCODE_ANY);

		buf_addf(&b, "%s%s", i ? ", " : "", t ? t : "?");
		free(t);
	}
	report(c, n, "value '%s' is not one of: %s", show_node(c, n),
	       b.s ? b.s : "");
	buf_free(&b);
}

/* Label keys and values of a map (labels, matchLabels). */
static void check_label_map(struct vctx *c, const struct node *map)
{
	const char *why;
	size_t i, old;

	for (i = 0; map->type == N_MAP && i < map->n; i++) {
		const struct node *k = map->key[i], *v = map->val[i];

		if (k->problem)
			continue;
		old = path_push_key(&c->path, k->text, k->len);
		if ((why = qualified_name_problem(k->text, k->len)))
			report(c, k, "invalid label key '%s': %s",
			       show_node(c, k), why);
		if (v->type == N_STR &&
		    (why = label_value_problem(v->text, v->len)))
			report(c, v, "invalid label value '%s': %s",
			       show_node(c, v), why);
		buf_setlen(&c->path, old);
	}
}

static void check_annotations(struct vctx *c, const struct node *map)
{
	size_t i, old, total = 0;
	const char *why;

	for (i = 0; map->type == N_MAP && i < map->n; i++) {
		const struct node *k = map->key[i], *v = map->val[i];

		total += k->len + (v->type == N_STR ? v->len : 0);
		if (k->problem)
			continue;
		old = path_push_key(&c->path, k->text, k->len);
		if ((why = qualified_name_problem(k->text, k->len)))
			report(c, k, "invalid annotation key '%s': %s",
			       show_node(c, k), why);
		buf_setlen(&c->path, old);
	}
	if (total > 256 * 1024)
		report(c, map, "annotations take %zu bytes, more than 256 KiB",
		       total);
}

/* Extra checks for a map under a field of an ObjectMeta or a selector. */
static void check_under(struct vctx *c, const struct node *n, const char *field,
			void (*fn)(struct vctx *, const struct node *))
{
	const struct node *v = map_get(n, field);
	size_t old;

	if (!v)
		return;
	old = path_push(&c->path, field);
	fn(c, v);
	buf_setlen(&c->path, old);
}

static void check_expression_keys(struct vctx *c, const struct node *list)
{
	size_t i, old;
	const char *why;

	for (i = 0; list->type == N_SEQ && i < list->n; i++) {
		const struct node *k = map_get(list->val[i], "key");

		if (!k || k->type != N_STR)
			continue;
		old = path_push_index(&c->path, i);
		path_push(&c->path, "key");
		if ((why = qualified_name_problem(k->text, k->len)))
			report(c, k, "invalid label key '%s': %s",
			       show_node(c, k), why);
		buf_setlen(&c->path, old);
	}
}

static void check_extras(struct vctx *c, const json_t *s, const struct node *n)
{
	if (n->type != N_MAP)
		return;
	if (s == c->sc->objectmeta) {
		check_under(c, n, "labels", check_label_map);
		check_under(c, n, "annotations", check_annotations);
	} else if (s == c->sc->selector) {
		check_under(c, n, "matchLabels", check_label_map);
		check_under(c, n, "matchExpressions", check_expression_keys);
	}
}

static void check_value(struct vctx *c, const json_t *s, const struct node *n)
{
	const char *type;
	int ok = 1;

	if (n->problem || !(s = deref(c, s, n)))
		return;
	if (s == c->sc->quantity) {
		check_quantity(c, n);
		return;
	}
	if (schema_is(s, "format", "int-or-string") ||
	    json_is_true(json_object_get(s, "x-kubernetes-int-or-string"))) {
		check_int_or_string(c, n);
		return;
	}
	type = schema_str(s, "type");
	if (!type && json_object_get(s, "properties"))
		type = "object";
	if (!type)
		return;
	if (!strcmp(type, "object"))
		ok = check_object(c, s, n);
	else if (!strcmp(type, "array"))
		ok = check_array(c, s, n);
	else if (!strcmp(type, "string"))
		ok = check_string(c, s, n);
	else if (!strcmp(type, "integer"))
		ok = check_integer(c, s, n);
	else if (!strcmp(type, "number"))
		ok = check_number(c, n);
	else if (!strcmp(type, "boolean"))
		ok = check_boolean(c, n);
	if (ok)
		check_enum(c, s, n);
	check_extras(c, s, n);
}

/* ---- whole objects ---- */

enum name_rule { NAME_SUBDOMAIN, NAME_LABEL, NAME_DNS1035, NAME_SEGMENT };

static const struct {
	const char *group, *kind;
	enum name_rule rule;
} name_rules[] = {
	{ "", "Namespace", NAME_LABEL },
	{ "", "Service", NAME_DNS1035 },
	{ "rbac.authorization.k8s.io", "Role", NAME_SEGMENT },
	{ "rbac.authorization.k8s.io", "ClusterRole", NAME_SEGMENT },
	{ "rbac.authorization.k8s.io", "RoleBinding", NAME_SEGMENT },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding", NAME_SEGMENT },
};

static enum name_rule name_rule_for(const struct node *api, const char *kind)
{
	const char *slash = memchr(api->text, '/', api->len);
	size_t glen = slash ? (size_t)(slash - api->text) : 0, i;

	for (i = 0; i < sizeof(name_rules) / sizeof(name_rules[0]); i++)
		if (strlen(name_rules[i].group) == glen &&
		    !memcmp(name_rules[i].group, api->text, glen) &&
		    !strcmp(name_rules[i].kind, kind))
			return name_rules[i].rule;
	return NAME_SUBDOMAIN;
}

static void check_name_syntax(struct vctx *c, const struct node *name,
			      enum name_rule rule)
{
	const char *s = name->text;
	size_t len = name->len;

	if (rule == NAME_LABEL && !is_dns_label(s, len))
		report(c, name, "invalid name '%s': must be a DNS-1123 label (at "
		       "most 63 lowercase alphanumerics or '-', starting and "
		       "ending with an alphanumeric)", show_node(c, name));
	else if (rule == NAME_DNS1035 && !is_dns1035_label(s, len))
		report(c, name, "invalid name '%s': must be a DNS-1035 label (at "
		       "most 63 lowercase alphanumerics or '-', starting with a "
		       "letter and ending with an alphanumeric)",
		       show_node(c, name));
	else if (rule == NAME_SEGMENT && !is_path_segment(s, len))
		report(c, name, "invalid name '%s': must not be empty, '.' or "
		       "'..', nor contain '/' or '%%'", show_node(c, name));
	else if (rule == NAME_SUBDOMAIN && !is_dns_subdomain(s, len))
		report(c, name, "invalid name '%s': must be a DNS-1123 subdomain "
		       "(at most 253 lowercase alphanumerics, '-' or '.', "
		       "starting and ending with an alphanumeric)",
		       show_node(c, name));
}

/* metadata.name and metadata.namespace of a top-level object. */
static void check_metadata(struct vctx *c, const json_t *def,
			   const struct node *obj, const struct node *api)
{
	const json_t *ms = json_object_get(json_object_get(def, "properties"),
					   "metadata");
	const struct node *meta = map_get(obj, "metadata"), *name, *ns;
	size_t old, mid;

	if (!ms || deref(c, ms, obj) != c->sc->objectmeta)
		return;
	if (!meta) {
		report(c, obj, "missing required field 'metadata'");
		return;
	}
	if (meta->type != N_MAP)
		return;
	old = path_push(&c->path, "metadata");
	mid = c->path.len;
	name = map_get(meta, "name");
	if (!name) {
		report(c, meta, "missing required field 'name'");
	} else if (name->type == N_STR) {
		path_push(&c->path, "name");
		check_name_syntax(c, name, name_rule_for(api, c->kind));
		buf_setlen(&c->path, mid);
	}
	ns = map_get(meta, "namespace");
	if (ns && ns->type == N_STR && !is_dns_label(ns->text, ns->len)) {
		path_push(&c->path, "namespace");
		report(c, ns, "invalid namespace '%s': must be a DNS-1123 label",
		       show_node(c, ns));
	}
	buf_setlen(&c->path, old);
}

static void set_kind_name(struct vctx *c, const struct node *obj)
{
	const char *kind = map_str(obj, "kind");
	const char *name = map_str(map_get(obj, "metadata"), "name");

	c->kind = kind && *kind ? kind : "?";
	c->name = name && *name ? name : "?";
}

/* apiVersion or kind: present and a string. */
static int need_string(struct vctx *c, const struct node *obj,
		       const struct node *v, const char *field)
{
	size_t old;

	if (!v) {
		report(c, obj, "missing required field '%s'", field);
		return 0;
	}
	if (v->type == N_STR)
		return 1;
	old = path_push(&c->path, field);
	type_mismatch(c, v, "string");
	buf_setlen(&c->path, old);
	return 0;
}

static void unknown_gvk(struct vctx *c, const struct node *api,
			const struct node *kind)
{
	const json_t *apis = json_object_getn(c->sc->kinds, kind->text, kind->len);
	struct buf b = BUF_INIT;
	const json_t *a;
	const char *near;
	size_t i, old;

	if (apis) {
		json_array_foreach(apis, i, a)
			buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(a));
		old = path_push(&c->path, "apiVersion");
		report(c, api, "unknown apiVersion '%s' for kind %s (known: %s)",
		       show_node(c, api), show_node(c, kind), b.s);
		buf_free(&b);
	} else {
		old = path_push(&c->path, "kind");
		near = closest_key(c->sc->kinds, kind->text, kind->len);
		if (near)
			report(c, kind, "unknown kind '%s' (did you mean '%s'?)",
			       show_node(c, kind), near);
		else
			report(c, kind, "unknown kind '%s'", show_node(c, kind));
	}
	buf_setlen(&c->path, old);
}

static const json_t *lookup_gvk(struct vctx *c, const struct node *api,
				const struct node *kind)
{
	struct buf key = BUF_INIT;
	const json_t *def;

	buf_addn(&key, api->text, api->len);
	buf_addc(&key, ' ');
	buf_addn(&key, kind->text, kind->len);
	def = json_object_getn(c->sc->gvk, key.s, key.len);
	buf_free(&key);
	if (!def)
		unknown_gvk(c, api, kind);
	return def;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int is_kustomization(struct vctx *c, const struct node *api)
{
	const char *base = base_name(c->file);

	if (api && api->type == N_STR &&
	    !strncmp(api->text, "kustomize.config.k8s.io/", 24))
		return 1;
	return !api && (!strcmp(base, "kustomization.yaml") ||
			!strcmp(base, "kustomization.yml") ||
			!strcmp(base, "Kustomization"));
}

static void check_kustomization(struct vctx *c, const struct node *obj,
				const struct node *kind)
{
	size_t old;

	if (!kind)
		c->kind = "Kustomization";
	check_value(c, json_object_get(c->sc->shapes, "Kustomization"), obj);
	if (kind && kind->type == N_STR && !key_is(kind, "Kustomization") &&
	    !key_is(kind, "Component")) {
		old = path_push(&c->path, "kind");
		report(c, kind, "unknown kind '%s' for kustomize.config.k8s.io "
		       "(expected Kustomization or Component)", show_node(c, kind));
		buf_setlen(&c->path, old);
	}
}

static void validate_object(struct vctx *c, const struct node *obj);

/* apiVersion v1, kind List: each item is an object of its own. */
static void check_list(struct vctx *c, const struct node *list)
{
	const struct node *items = map_get(list, "items");
	const char *kind = c->kind, *name = c->name;
	size_t i, old;

	check_value(c, json_object_get(c->sc->shapes, "List"), list);
	if (!items || items->type != N_SEQ)
		return;
	old = path_push(&c->path, "items");
	for (i = 0; i < items->n; i++) {
		size_t o = path_push_index(&c->path, i);

		set_kind_name(c, items->val[i]);
		validate_object(c, items->val[i]);
		buf_setlen(&c->path, o);
	}
	buf_setlen(&c->path, old);
	c->kind = kind;
	c->name = name;
}

static void validate_object(struct vctx *c, const struct node *obj)
{
	const struct node *api, *kind;
	const json_t *def;

	if (obj->type != N_MAP) {
		c->objects++;
		if (!obj->problem)
			report(c, obj, "expected an object, got %s", type_name(obj));
		return;
	}
	api = map_get(obj, "apiVersion");
	kind = map_get(obj, "kind");
	if (api && kind && key_is(api, "v1") && key_is(kind, "List")) {
		check_list(c, obj);
		return;
	}
	c->objects++;
	if (is_kustomization(c, api)) {
		check_kustomization(c, obj, kind);
		return;
	}
	if (!need_string(c, obj, api, "apiVersion") +
	    !need_string(c, obj, kind, "kind"))
		return;
	if (!(def = lookup_gvk(c, api, kind)))
		return;
	check_value(c, def, obj);
	check_metadata(c, def, obj, api);
}

/* ---- files ---- */

static void validate_document(struct vctx *c, const struct node *root)
{
	if (root->type == N_NULL && !root->problem)
		return;
	set_kind_name(c, root);
	report_problems(c, root);
	validate_object(c, root);
	flush_errors(c);
}

/* Open a FILE argument ("-" is standard input); NULL (reported) if not. */
static FILE *open_input(const char *file)
{
	FILE *fp = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	struct stat st;
	int err;

	if (!fp)
		err = errno;
	else if (fstat(fileno(fp), &st))
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else
		return fp;
	fprintf(stderr, PROG ": cannot read %s: %s\n", file, strerror(err));
	if (fp && fp != stdin)
		fclose(fp);
	return NULL;
}

/* Check every document of a file: 0 done, -1 unreadable or bad YAML. */
static int validate_file(struct vctx *c, const char *file)
{
	FILE *fp = open_input(file);
	struct node *root = NULL;
	yaml_event_type_t type;
	struct loader l;
	yaml_event_t ev;
	int ret = -1;

	if (!fp)
		return -1;
	if (!yaml_parser_initialize(&l.parser))
		die_oom();
	yaml_parser_set_input_file(&l.parser, fp);
	l.file = c->file = file;
	l.depth = 0;
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
		validate_document(c, root);
		node_free(root);
		root = NULL;
	}
	ret = 0;
out:
	yaml_parser_delete(&l.parser);
	if (fp != stdin)
		fclose(fp);
	return ret;
}

static void usage(FILE *fp)
{
	fputs("usage: " PROG " [--schema FILE] FILE...\n"
	      "Check Kubernetes manifests against OpenAPI v2 definitions.\n"
	      "The schema defaults to $K8S_SCHEMA, else " DEFAULT_SCHEMA ".\n",
	      fp);
}

/* Parse options; returns the index of the first FILE, or -1. */
static int parse_args(int argc, char **argv, const char **schema)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--schema") && i + 1 < argc) {
			*schema = argv[++i];
		} else if (!strncmp(a, "--schema=", 9)) {
			*schema = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, PROG ": unknown or incomplete option '%s'\n", a);
			return -1;
		} else {
			break;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return -1;
	}
	return i;
}

int main(int argc, char **argv)
{
	struct vctx c = { 0 };
	const char *path = NULL;
	struct schema sc;
	int first, i, failed = 0;

	first = parse_args(argc, argv, &path);
	if (first < 0)
		return 2;
	if (!path)
		path = getenv("K8S_SCHEMA");
	if (!path || !*path)
		path = DEFAULT_SCHEMA;
	if (schema_load(&sc, path))
		return 2;
	c.sc = &sc;
	for (i = first; i < argc; i++)
		failed += validate_file(&c, argv[i]) != 0;
	fflush(stdout);
	fprintf(stderr, PROG ": %zu objects, %zu errors", c.objects, c.errors);
	if (failed)
		fprintf(stderr, ", %d %s not read to the end", failed,
			failed == 1 ? "file" : "files");
	fputc('\n', stderr);
	buf_free(&c.path);
	free(c.errs);
	free(c.scratch);
	schema_free(&sc);
	return failed ? 2 : c.errors ? 1 : 0;
}
