/*
 * YAML to a positioned node tree, with limits; see ynode.h.
 */
#include "ynode.h"
#include "diag.h"
#include "strbuf.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
	char *name;
	const struct ynode *node;
};

struct builder {
	yaml_parser_t parser;
	const char *file;
	const struct ynode_limits *lim;
	struct diag *d;
	const char *buf;   /* the input, for positions of reader errors */
	size_t len;
	struct anchor *anchors;
	size_t nr_anchors, alloc_anchors;
	size_t weight;   /* nodes so far, aliases counted expanded */
	int failed;
};

struct ynode *ynode_new(enum ynode_kind kind, struct ypos pos)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->pos = pos;
	n->weight = 1;
	return n;
}

void ynode_free(struct ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nr; i++) {
		if (n->keys)
			free(n->keys[i]);
		ynode_free(n->kids[i]);
	}
	for (size_t i = 0; i < n->nr_gone; i++)
		free(n->gone[i].key);
	free(n->gone);
	free(n->keys);
	free(n->key_pos);
	free(n->kids);
	free(n->str);
	free(n);
}

struct ynode *ynode_dup(const struct ynode *n)
{
	struct ynode *c = ynode_new(n->kind, n->pos);

	c->str = n->str ? xstrdup(n->str) : NULL;
	c->quoted = n->quoted;
	c->substituted = n->substituted;
	c->from_env = n->from_env;
	c->multiline = n->multiline;
	c->weight = n->weight;
	if (n->nr_gone) {
		c->gone = xcalloc(n->nr_gone, sizeof(*c->gone));
		for (size_t i = 0; i < n->nr_gone; i++) {
			c->gone[i].key = xstrdup(n->gone[i].key);
			c->gone[i].pos = n->gone[i].pos;
		}
		c->nr_gone = n->nr_gone;
	}
	for (size_t i = 0; i < n->nr; i++) {
		if (n->kind == YN_MAP)
			ynode_map_set(c, n->keys[i], n->key_pos[i], ynode_dup(n->kids[i]));
		else
			ynode_seq_push(c, ynode_dup(n->kids[i]));
	}
	c->weight = n->weight;
	return c;
}

ssize_t ynode_map_index(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return -1;
	for (size_t i = 0; i < map->nr; i++)
		if (!strcmp(map->keys[i], key))
			return (ssize_t)i;
	return -1;
}

struct ynode *ynode_map_get(const struct ynode *map, const char *key)
{
	ssize_t i = ynode_map_index(map, key);

	return i < 0 ? NULL : map->kids[i];
}

static void grow(struct ynode *n)
{
	size_t alloc = n->alloc;

	ALLOC_GROW(n->kids, n->nr + 1, n->alloc);
	if (n->kind == YN_MAP && alloc != n->alloc) {
		n->keys = xreallocarray(n->keys, n->alloc, sizeof(*n->keys));
		n->key_pos = xreallocarray(n->key_pos, n->alloc, sizeof(*n->key_pos));
	}
}

void ynode_map_set(struct ynode *map, const char *key, struct ypos key_pos, struct ynode *val)
{
	ssize_t i = ynode_map_index(map, key);

	if (i >= 0) {
		map->weight -= map->kids[i]->weight;
		ynode_free(map->kids[i]);
		map->kids[i] = val;
		map->key_pos[i] = key_pos;
		map->weight += val->weight;
		return;
	}
	grow(map);
	map->keys[map->nr] = xstrdup(key);
	map->key_pos[map->nr] = key_pos;
	map->kids[map->nr++] = val;
	map->weight += val->weight;
}

void ynode_map_remove(struct ynode *map, size_t i)
{
	map->weight -= map->kids[i]->weight;
	free(map->keys[i]);
	ynode_free(map->kids[i]);
	memmove(map->keys + i, map->keys + i + 1, (map->nr - i - 1) * sizeof(*map->keys));
	memmove(map->key_pos + i, map->key_pos + i + 1, (map->nr - i - 1) * sizeof(*map->key_pos));
	memmove(map->kids + i, map->kids + i + 1, (map->nr - i - 1) * sizeof(*map->kids));
	map->nr--;
}

void ynode_map_forget(struct ynode *map, size_t i, struct ypos why)
{
	map->gone = xreallocarray(map->gone, map->nr_gone + 1, sizeof(*map->gone));
	map->gone[map->nr_gone].key = xstrdup(map->keys[i]);
	map->gone[map->nr_gone++].pos = why;
	ynode_map_remove(map, i);
}

const struct ypos *ynode_map_gone(const struct ynode *map, const char *key)
{
	for (size_t i = map->nr_gone; i-- > 0;)
		if (!strcmp(map->gone[i].key, key))
			return &map->gone[i].pos;
	return NULL;
}

void ynode_seq_push(struct ynode *seq, struct ynode *item)
{
	grow(seq);
	seq->kids[seq->nr++] = item;
	seq->weight += item->weight;
}

const char *ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YN_NULL: return "null";
	case YN_SCALAR: return "a scalar";
	case YN_MAP: return "a mapping";
	case YN_SEQ: return "a list";
	}
	return "?";
}

static struct ypos mark_pos(const struct builder *b, yaml_mark_t m)
{
	struct ypos p = { b->file, (int)m.line + 1, (int)m.column + 1 };

	return p;
}

static void fail_at(struct builder *b, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail_at(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (b->failed)
		return;
	b->failed = 1;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(b->d, b->file, (int)m.line + 1, (int)m.column + 1, "%s", sb.buf);
	strbuf_release(&sb);
}

/* The mark of byte `off` of the input: line and column in characters. */
static yaml_mark_t offset_mark(const struct builder *b, size_t off)
{
	yaml_mark_t m = { 0 };

	if (off > b->len)
		off = b->len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)b->buf[i];

		if (c == '\n') {
			m.line++;
			m.column = 0;
		} else if ((c & 0xc0) != 0x80) {
			m.column++;   /* not a UTF-8 continuation byte */
		}
	}
	m.index = off;
	return m;
}

static void parser_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	yaml_mark_t m = p->problem_mark;

	if (b->failed)
		return;
	b->failed = 1;
	if (p->error == YAML_MEMORY_ERROR) {
		diag_add(b->d, b->file, 0, 0, "out of memory while parsing YAML");
		return;
	}
	/* reader errors (bad UTF-8, control characters) give a byte offset only */
	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset < b->len ? p->problem_offset : b->len;

		/* a bad trailing octet: point at the character it was to finish */
		if (p->problem && strstr(p->problem, "trailing")) {
			while (off > 0 && ((unsigned char)b->buf[off - 1] & 0xc0) == 0x80)
				off--;
			if (off > 0 && (unsigned char)b->buf[off - 1] >= 0xc0)
				off--;
		}
		m = offset_mark(b, off);
	}
	/* an unclosed quote or bracket: where it opened, not the end of the file */
	if (p->context && p->problem && strstr(p->problem, "end of stream"))
		m = p->context_mark;
	if (p->context)
		diag_add(b->d, b->file, (int)m.line + 1, (int)m.column + 1,
			 "invalid YAML: %s %s", p->problem ? p->problem : "syntax error", p->context);
	else
		diag_add(b->d, b->file, (int)m.line + 1, (int)m.column + 1,
			 "invalid YAML: %s", p->problem ? p->problem : "syntax error");
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&b->parser, ev)) {
		parser_error(b);
		return -1;
	}
	return 0;
}

static int charge(struct builder *b, size_t n, yaml_mark_t m)
{
	if (b->weight + n > b->lim->max_nodes || b->weight + n < b->weight) {
		fail_at(b, m, "document too large: more than %zu nodes once aliases are expanded",
			b->lim->max_nodes);
		return -1;
	}
	b->weight += n;
	return 0;
}

static void remember_anchor(struct builder *b, const yaml_char_t *anchor, const struct ynode *n)
{
	if (!anchor)
		return;
	ALLOC_GROW(b->anchors, b->nr_anchors + 1, b->alloc_anchors);
	b->anchors[b->nr_anchors].name = xstrdup((const char *)anchor);
	b->anchors[b->nr_anchors++].node = n;
}

static const struct ynode *find_anchor(const struct builder *b, const char *name)
{
	/* the latest definition of a name wins, as in YAML */
	for (size_t i = b->nr_anchors; i-- > 0;)
		if (!strcmp(b->anchors[i].name, name))
			return b->anchors[i].node;
	return NULL;
}

static int is_null_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
	    ev->data.scalar.style != YAML_ANY_SCALAR_STYLE)
		return 0;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth);

/* `as_str`: tagged !!str, so a string whatever it looks like */
static struct ynode *build_scalar(struct builder *b, yaml_event_t *ev, int as_str)
{
	struct ynode *n;

	if (charge(b, 1, ev->start_mark) < 0)
		return NULL;
	if (!as_str && is_null_scalar(ev)) {
		n = ynode_new(YN_NULL, mark_pos(b, ev->start_mark));
	} else {
		n = ynode_new(YN_SCALAR, mark_pos(b, ev->start_mark));
		n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (strlen(n->str) != ev->data.scalar.length) {
			fail_at(b, ev->start_mark, "scalar contains a NUL character");
			ynode_free(n);
			return NULL;
		}
		n->quoted = as_str || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->multiline = ev->end_mark.line != ev->start_mark.line;
	}
	remember_anchor(b, ev->data.scalar.anchor, n);
	return n;
}

static struct ynode *build_alias(struct builder *b, yaml_event_t *ev)
{
	const struct ynode *target = find_anchor(b, (const char *)ev->data.alias.anchor);

	if (!target) {
		fail_at(b, ev->start_mark, "unknown alias '*%s'", (const char *)ev->data.alias.anchor);
		return NULL;
	}
	if (charge(b, target->weight, ev->start_mark) < 0)
		return NULL;
	return ynode_dup(target);
}

static int add_map_entry(struct builder *b, struct ynode *map, yaml_event_t *kev, int depth)
{
	yaml_event_t vev;
	struct ynode *val;
	const char *key;

	if (kev->type != YAML_SCALAR_EVENT) {
		fail_at(b, kev->start_mark, "%s", "mapping keys must be plain strings");
		return -1;
	}
	key = (const char *)kev->data.scalar.value;
	if (ynode_map_index(map, key) >= 0) {
		fail_at(b, kev->start_mark, "duplicate key '%s' (first at line %d)", key,
			map->key_pos[ynode_map_index(map, key)].line);
		return -1;
	}
	if (next_event(b, &vev) < 0)
		return -1;
	val = build_node(b, &vev, depth + 1);
	yaml_event_delete(&vev);
	if (!val)
		return -1;
	ynode_map_set(map, key, mark_pos(b, kev->start_mark), val);
	return 0;
}

static struct ynode *build_collection(struct builder *b, yaml_event_t *ev, int depth)
{
	int is_map = ev->type == YAML_MAPPING_START_EVENT;
	yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor
					   : ev->data.sequence_start.anchor;
	struct ynode *n;

	if (depth > b->lim->max_depth) {
		fail_at(b, ev->start_mark, "%s", "nesting is too deep");
		return NULL;
	}
	if (charge(b, 1, ev->start_mark) < 0)
		return NULL;
	n = ynode_new(is_map ? YN_MAP : YN_SEQ, mark_pos(b, ev->start_mark));
	for (;;) {
		yaml_event_t kid;
		int ret = 0;

		if (next_event(b, &kid) < 0)
			goto fail;
		if (kid.type == end) {
			yaml_event_delete(&kid);
			break;
		}
		if (is_map) {
			ret = add_map_entry(b, n, &kid, depth);
		} else {
			struct ynode *item = build_node(b, &kid, depth + 1);

			if (item)
				ynode_seq_push(n, item);
			else
				ret = -1;
		}
		yaml_event_delete(&kid);
		if (ret < 0)
			goto fail;
	}
	remember_anchor(b, anchor, n);
	return n;
fail:
	ynode_free(n);
	return NULL;
}

#define CORE_TAG "tag:yaml.org,2002:"

/*
 * Only the core schema's tags are understood; anything else (`!vault`,
 * `!!binary`) would be silently taken as plain text, so it is an error.
 * Returns the tag's short name ("str") or "" for none, NULL after an error.
 */
static const char *check_tag(struct builder *b, const yaml_event_t *ev)
{
	static const char *const scalar_tags[] = { "str", "int", "float", "bool", "null", NULL };
	const char *tag, *name;
	const char *want;

	switch (ev->type) {
	case YAML_SCALAR_EVENT: tag = (const char *)ev->data.scalar.tag; want = NULL; break;
	case YAML_MAPPING_START_EVENT:
		tag = (const char *)ev->data.mapping_start.tag; want = "map"; break;
	case YAML_SEQUENCE_START_EVENT:
		tag = (const char *)ev->data.sequence_start.tag; want = "seq"; break;
	default: return "";
	}
	if (!tag || !strcmp(tag, "!"))
		return "";
	if (strncmp(tag, CORE_TAG, strlen(CORE_TAG))) {
		fail_at(b, ev->start_mark, "unsupported YAML tag '%s'", tag);
		return NULL;
	}
	name = tag + strlen(CORE_TAG);
	if (want) {
		if (strcmp(name, want)) {
			fail_at(b, ev->start_mark, "tag '!!%s' does not match a %s", name,
				!strcmp(want, "map") ? "mapping" : "sequence");
			return NULL;
		}
		return name;
	}
	for (size_t i = 0; scalar_tags[i]; i++)
		if (!strcmp(name, scalar_tags[i]))
			return name;
	fail_at(b, ev->start_mark, !strcmp(name, "map") || !strcmp(name, "seq") ?
		"tag '!!%s' does not match a scalar" : "unsupported YAML tag '!!%s'", name);
	return NULL;
}

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth)
{
	const char *tag = check_tag(b, ev);

	if (!tag)
		return NULL;
	if (ev->type == YAML_SCALAR_EVENT && !strcmp(tag, "str"))
		return build_scalar(b, ev, 1);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return build_scalar(b, ev, 0);
	case YAML_ALIAS_EVENT:
		return build_alias(b, ev);
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		return build_collection(b, ev, depth);
	default:
		fail_at(b, ev->start_mark, "%s", "unexpected YAML event");
		return NULL;
	}
}

/* Expect an event of `type`; returns 0 and fills `ev` or -1. */
static int expect(struct builder *b, yaml_event_t *ev, yaml_event_type_t type)
{
	if (next_event(b, ev) < 0)
		return -1;
	if (ev->type != type) {
		fail_at(b, ev->start_mark, "%s", "unexpected YAML structure");
		yaml_event_delete(ev);
		return -1;
	}
	return 0;
}

static struct ynode *parse_document(struct builder *b)
{
	yaml_event_t ev;
	struct ynode *root = NULL;

	if (expect(b, &ev, YAML_STREAM_START_EVENT) < 0)
		return NULL;
	yaml_event_delete(&ev);
	if (next_event(b, &ev) < 0)
		return NULL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return ynode_new(YN_NULL, (struct ypos){ b->file, 1, 1 });
	}
	yaml_event_delete(&ev);   /* DOCUMENT-START */
	if (next_event(b, &ev) < 0)
		return NULL;
	root = build_node(b, &ev, 0);
	yaml_event_delete(&ev);
	if (!root)
		return NULL;
	if (expect(b, &ev, YAML_DOCUMENT_END_EVENT) < 0)
		goto fail;
	yaml_event_delete(&ev);
	if (next_event(b, &ev) < 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		fail_at(b, ev.start_mark, "%s", "more than one YAML document: a definition is one document");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	return root;
fail:
	ynode_free(root);
	return NULL;
}

struct ynode *ynode_parse(const char *buf, size_t len, const char *file,
			  const struct ynode_limits *lim, struct diag *d)
{
	static const struct ynode_limits defaults = YNODE_LIMITS_INIT;
	struct builder b = { .file = file, .lim = lim ? lim : &defaults, .d = d,
			     .buf = buf, .len = len };
	struct ynode *root;

	if (len > b.lim->max_bytes) {
		diag_add(d, file, 0, 0, "file too large: %zu bytes (the limit is %zu)", len,
			 b.lim->max_bytes);
		return NULL;
	}
	if (memchr(buf, '\0', len)) {
		diag_add(d, file, 0, 0, "not a text file: it contains NUL bytes");
		return NULL;
	}
	if (!yaml_parser_initialize(&b.parser)) {
		diag_add(d, file, 0, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	root = parse_document(&b);
	yaml_parser_delete(&b.parser);
	for (size_t i = 0; i < b.nr_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	return root;
}

static json_t *scalar_to_json(const struct ynode *n)
{
	const char *s = n->str;
	char *end;

	if (n->quoted)
		return json_string(s);
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return json_true();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return json_false();
	if (*s && (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && isdigit((unsigned char)s[1])))) {
		long long v = strtoll(s, &end, 10);
		double d;

		if (!*end)
			return json_integer(v);
		d = strtod(s, &end);
		if (!*end)
			return json_real(d);
	}
	return json_string(s);
}

json_t *ynode_to_json(const struct ynode *n)
{
	json_t *j;

	switch (n->kind) {
	case YN_NULL:
		return json_null();
	case YN_SCALAR:
		return scalar_to_json(n);
	case YN_MAP:
		j = json_object();
		for (size_t i = 0; i < n->nr; i++)
			json_object_set_new(j, n->keys[i], ynode_to_json(n->kids[i]));
		return j;
	case YN_SEQ:
		j = json_array();
		for (size_t i = 0; i < n->nr; i++)
			json_array_append_new(j, ynode_to_json(n->kids[i]));
		return j;
	}
	return json_null();
}
