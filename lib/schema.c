/*
 * The generic schema walker; see schema.h.
 */
#include "schema.h"
#include "diag.h"
#include "suggest.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 60
#define MAX_REF_HOPS 64

void sv_ctx_release(struct sv_ctx *c)
{
	strbuf_release(&c->path);
	strv_clear(&c->shown);
}

const char *sv_show(struct sv_ctx *c, const struct sy_node *n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = n->text ? n->len : 0, shown = len;

	if (shown > MAX_SHOWN) {
		/* cut before a UTF-8 continuation byte */
		shown = MAX_SHOWN;
		while (shown && ((unsigned char)n->text[shown] & 0xc0) == 0x80)
			shown--;
	}
	for (size_t i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)n->text[i];

		if (ch < 0x20 || ch == 0x7f)
			strbuf_addf(&sb, "\\x%02x", ch);
		else
			strbuf_addch(&sb, ch);
	}
	if (shown < len)
		strbuf_addstr(&sb, "...");
	strv_push_take(&c->shown, strbuf_detach(&sb, NULL));
	return c->shown.v[c->shown.nr - 1];
}

void sv_report(struct sv_ctx *c, const struct sy_node *n, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diag_add(c->d, c->file, n->line, n->col, "%s%s%s: %s", c->subject ? c->subject : "",
		 c->subject ? ": " : "", c->path.len ? c->path.buf : "(root)", msg.buf);
	strbuf_release(&msg);
	strv_clear(&c->shown);
	c->errors++;
}

void sv_type_mismatch(struct sv_ctx *c, const struct sy_node *n, const char *want)
{
	int to_string = !strcmp(want, "string");
	const char *got = sy_type_name(n);

	if (n->type == SY_NULL)
		sv_report(c, n, "expected %s, got null%s", want, n->len ? "" : " (empty value)");
	else if (n->type == SY_SEQ || n->type == SY_MAP)
		sv_report(c, n, "expected %s, got %s", want, got);
	else if (n->type == SY_STR)
		sv_report(c, n, "expected %s, got string '%s'", want, sv_show(c, n));
	else if (to_string && n->type == SY_BOOL)
		sv_report(c, n, "expected %s, got boolean (unquoted '%s' is a YAML 1.1 boolean; "
			  "quote it)", want, sv_show(c, n));
	else if (to_string)
		sv_report(c, n, "expected %s, got %s %s (quote it)", want, got, sv_show(c, n));
	else
		sv_report(c, n, "expected %s, got %s %s", want, got, sv_show(c, n));
}

/* ---- paths ---- */

static int is_ident(const char *s, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '_' && ch != '-' && ch != '$')
			return 0;
	}
	return 1;
}

size_t sv_path_push(struct sv_ctx *c, const char *key, size_t len)
{
	struct strbuf *p = &c->path;
	size_t old = p->len;

	if (is_ident(key, len)) {
		if (old)
			strbuf_addch(p, '.');
		strbuf_add(p, key, len);
		return old;
	}
	strbuf_addstr(p, "[\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch < 0x20 || ch == 0x7f)
			strbuf_addf(p, "\\x%02x", ch);
		else if (ch == '"' || ch == '\\')
			strbuf_addf(p, "\\%c", ch);
		else
			strbuf_addch(p, ch);
	}
	strbuf_addstr(p, "\"]");
	return old;
}

size_t sv_path_push_index(struct sv_ctx *c, size_t i)
{
	size_t old = c->path.len;

	strbuf_addf(&c->path, "[%zu]", i);
	return old;
}

void sv_path_pop(struct sv_ctx *c, size_t old)
{
	strbuf_setlen(&c->path, old);
}

void sv_report_yaml_problems(struct sv_ctx *c, const struct sy_node *n)
{
	size_t old;

	if (n->problem)
		sv_report(c, n, "%s", n->problem);
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == SY_MAP) {
			old = sv_path_push(c, n->key[i]->text, n->key[i]->len);
			if (n->key[i]->problem)
				sv_report(c, n->key[i], "%s", n->key[i]->problem);
		} else {
			old = sv_path_push_index(c, i);
		}
		sv_report_yaml_problems(c, n->val[i]);
		sv_path_pop(c, old);
	}
}

/* ---- schemas ---- */

const char *sv_closest_key(const json_t *obj, const char *word, size_t len)
{
	size_t bestd = SIZE_MAX, limit = len < 4 ? 1 : len < 10 ? 2 : 3;
	const char *key, *best = NULL;
	json_t *v;

	if (!json_is_object(obj) || len > 64)
		return NULL;
	json_object_foreach((json_t *)obj, key, v) {
		size_t dist;

		if (strlen(key) > 64)
			continue;
		dist = edit_distance(word, key);
		if (dist < bestd) {
			bestd = dist;
			best = key;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* A JSON pointer ("#/definitions/X", with ~0 and ~1) into the schema document. */
static const json_t *resolve_pointer(const json_t *root, const char *ref)
{
	struct strbuf tok = STRBUF_INIT;
	const json_t *v = root;

	if (strncmp(ref, "#/", 2))
		return NULL;
	for (const char *p = ref + 2; v;) {
		const char *end = strchrnul(p, '/');

		strbuf_reset(&tok);
		for (const char *q = p; q < end; q++) {
			if (*q == '~' && (q[1] == '0' || q[1] == '1'))
				strbuf_addch(&tok, *++q == '0' ? '~' : '/');
			else
				strbuf_addch(&tok, *q);
		}
		v = json_object_get(v, tok.buf);
		if (!*end)
			break;
		p = end + 1;
	}
	strbuf_release(&tok);
	return v;
}

const json_t *sv_deref(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const char *ref;
	int hops = 0;

	while ((ref = json_string_value(json_object_get(s, "$ref")))) {
		if (++hops > MAX_REF_HOPS || !(s = resolve_pointer(c->root, ref))) {
			sv_report(c, n, "schema error: cannot resolve $ref '%s'", ref);
			return NULL;
		}
	}
	return s;
}

int sv_schema_is(const json_t *s, const char *key, const char *val)
{
	const char *v = json_string_value(json_object_get(s, key));

	return v && !strcmp(v, val);
}

/* ---- values ---- */

static void unknown_field(struct sv_ctx *c, const json_t *props, const struct sy_node *k)
{
	const char *near = sv_closest_key(props, k->text, k->len);

	if (near)
		sv_report(c, k, "unknown field '%s' (did you mean '%s'?)", sv_show(c, k), near);
	else
		sv_report(c, k, "unknown field '%s'", sv_show(c, k));
}

static void check_required(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(s, "required"), i, r) {
		const char *name = json_string_value(r);

		if (name && !sy_get(n, name))
			sv_report(c, n, "missing required field '%s'", name);
	}
}

static int object_is_open(struct sv_ctx *c, const json_t *s)
{
	if (c->dialect->object_is_open)
		return c->dialect->object_is_open(s);
	return !json_is_false(json_object_get(s, "additionalProperties"));
}

static int check_object(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *addl = json_object_get(s, "additionalProperties"), *fs;
	int open = object_is_open(c, s);
	size_t old;

	if (n->type != SY_MAP) {
		sv_type_mismatch(c, n, "object");
		return 0;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct sy_node *k = n->key[i];

		if (k->problem)
			continue;
		old = sv_path_push(c, k->text, k->len);
		if (json_is_object(props) && (fs = json_object_getn(props, k->text, k->len)))
			sv_check(c, fs, n->val[i]);
		else if (json_is_object(addl))
			sv_check(c, addl, n->val[i]);
		else if (!open)
			unknown_field(c, props, k);
		sv_path_pop(c, old);
	}
	check_required(c, s, n);
	return 1;
}

static int check_array(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const json_t *items = json_object_get(s, "items");
	size_t old;

	if (n->type != SY_SEQ) {
		sv_type_mismatch(c, n, "array");
		return 0;
	}
	for (size_t i = 0; items && i < n->n; i++) {
		old = sv_path_push_index(c, i);
		sv_check(c, items, n->val[i]);
		sv_path_pop(c, old);
	}
	return 1;
}

static int digits_at(const char *s, size_t at, size_t n, int *v)
{
	*v = 0;
	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
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

	if (len < 20 || strlen(s) != len || !digits_at(s, 0, 4, &y) || s[4] != '-' ||
	    !digits_at(s, 5, 2, &mo) || s[7] != '-' || !digits_at(s, 8, 2, &d) || s[10] != 'T' ||
	    !digits_at(s, 11, 2, &h) || s[13] != ':' || !digits_at(s, 14, 2, &mi) ||
	    s[16] != ':' || !digits_at(s, 17, 2, &se))
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return 0;
	if (s[i] == '.' || s[i] == ',') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (s[i - 1] < '0' || s[i - 1] > '9')
			return 0;
	}
	if (s[i] == 'Z')
		return i + 1 == len;
	if ((s[i] != '+' && s[i] != '-') || len - i != 6 || s[i + 3] != ':')
		return 0;
	return digits_at(s, i + 1, 2, &zh) && digits_at(s, i + 4, 2, &zm) && zh < 24 && zm < 60;
}

/* Standard base64 with padding; CR and LF are ignored, as Go does. */
static int is_base64(const char *s, size_t len)
{
	size_t n = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '\r' || ch == '\n')
			continue;
		n++;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return 0;
	}
	return n % 4 == 0 && pad <= 2;
}

static int check_string(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	int datetime = sv_schema_is(s, "format", "date-time");

	if (n->type != SY_STR) {
		sv_type_mismatch(c, n, datetime ? "date-time string" : "string");
		return 0;
	}
	if (datetime && !is_rfc3339(n->text, n->len))
		sv_report(c, n, "invalid date-time '%s' (expected RFC 3339, such as "
			  "2006-01-02T15:04:05Z)", sv_show(c, n));
	else if (sv_schema_is(s, "format", "byte") && !is_base64(n->text, n->len))
		sv_report(c, n, "invalid base64 data '%s'", sv_show(c, n));
	return 1;
}

int sv_check_integer(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	int int32 = !s || sv_schema_is(s, "format", "int32") ||
		    (c->dialect->plain_int32 && !sv_schema_is(s, "format", "int64"));

	if (n->type == SY_FLOAT && sy_float_is_integer(n->fval)) {
		sv_report(c, n, "integer %s out of %s range", sv_show(c, n),
			  int32 ? "int32" : "int64");
		return 0;
	}
	if (n->type != SY_INT) {
		sv_type_mismatch(c, n, "integer");
		return 0;
	}
	if (int32 && (n->ival < INT32_MIN || n->ival > INT32_MAX)) {
		sv_report(c, n, "integer %lld out of int32 range", n->ival);
		return 0;
	}
	return 1;
}

static int check_scalar_type(struct sv_ctx *c, const struct sy_node *n, const char *type)
{
	int ok = !strcmp(type, "number") ? n->type == SY_INT || n->type == SY_FLOAT :
		 n->type == SY_BOOL;

	if (!ok)
		sv_type_mismatch(c, n, type);
	return ok;
}

static int enum_match(const json_t *e, const struct sy_node *n)
{
	switch (n->type) {
	case SY_STR:
		return json_is_string(e) && json_string_length(e) == n->len &&
		       !memcmp(json_string_value(e), n->text, n->len);
	case SY_INT:
		return json_is_integer(e) && json_integer_value(e) == n->ival;
	case SY_FLOAT:
		return json_is_number(e) && !(json_number_value(e) < n->fval) &&
		       !(json_number_value(e) > n->fval);
	case SY_BOOL:
		return json_is_boolean(e) && json_is_true(e) == !!n->bval;
	case SY_NULL:
		return json_is_null(e);
	default:
		return 0;
	}
}

static void check_enum(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const json_t *list = json_object_get(s, "enum"), *e;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, e)
		if (enum_match(e, n))
			return;
	json_array_foreach(list, i, e) {
		char *t = json_dumps(e, JSON_ENCODE_ANY);

		strbuf_addf(&sb, "%s%s", i ? ", " : "", t ? t : "?");
		free(t);
	}
	sv_report(c, n, "value '%s' is not one of: %s", sv_show(c, n), sb.buf);
	strbuf_release(&sb);
}

void sv_check(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const char *type;
	int ok = 1;

	if (n->problem || !(s = sv_deref(c, s, n)))
		return;
	if (c->dialect->check_special && c->dialect->check_special(c, s, n))
		return;
	type = json_string_value(json_object_get(s, "type"));
	if (!type && json_object_get(s, "properties"))
		type = "object";
	if (!type)
		type = "";
	if (!strcmp(type, "object"))
		ok = check_object(c, s, n);
	else if (!strcmp(type, "array"))
		ok = check_array(c, s, n);
	else if (!strcmp(type, "string"))
		ok = check_string(c, s, n);
	else if (!strcmp(type, "integer"))
		ok = sv_check_integer(c, s, n);
	else if (!strcmp(type, "number") || !strcmp(type, "boolean"))
		ok = check_scalar_type(c, n, type);
	if (ok)
		check_enum(c, s, n);
	if (c->dialect->check_extra)
		c->dialect->check_extra(c, s, n);
}
