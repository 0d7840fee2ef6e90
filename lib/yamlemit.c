/*
 * Block-style YAML writer for jansson values; see yamlemit.h.
 */
#include "yamlemit.h"
#include "strbuf.h"
#include "usage.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Words YAML 1.1 resolves to booleans or null. */
static const char *const reserved_words[] = {
	"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "=", "<<",
};

static int is_reserved(const char *s)
{
	if (strlen(s) > 5)   /* the longest is "false" */
		return 0;
	for (size_t i = 0; i < sizeof(reserved_words) / sizeof(*reserved_words); i++)
		if (!strcasecmp(s, reserved_words[i]))
			return 1;
	return 0;
}

/*
 * Could a YAML 1.1 or 1.2 reader resolve this as a number or a timestamp?
 * Those are made only of digits, hex letters, signs, '.', ':', '_', 'x',
 * 'o', 'T', 'Z' and spaces; anything with another character ("250m",
 * "512Mi") is a string to every reader. Generous on purpose.
 */
static int looks_numeric(const char *s)
{
	if (!strcasecmp(s, ".inf") || !strcasecmp(s, "-.inf") || !strcasecmp(s, "+.inf") ||
	    !strcasecmp(s, ".nan"))
		return 1;
	if (!isdigit((unsigned char)s[0]) &&
	    !((s[0] == '-' || s[0] == '+' || s[0] == '.') && (isdigit((unsigned char)s[1]) || s[1] == '.')))
		return 0;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p) && !strchr("+-.:_xXoOtTzZ ", *p))
			return 0;
	return 1;
}

static int plain_char(const char *p, int first)
{
	unsigned char c = (unsigned char)*p;

	if (isalnum(c) || c == '_' || c == '.' || c == '/')
		return 1;
	if (first)
		return 0;
	switch (c) {
	case '-': case '@': case '+': case '=':
		return 1;
	case ':':
		return p[1] != ' ' && p[1] != '\0';
	case ' ':
		return p[1] != '#' && p[1] != ' ' && p[1] != '\0';
	default:
		return 0;
	}
}

int yaml_plain_safe(const char *s)
{
	if (!*s || is_reserved(s) || looks_numeric(s))
		return 0;
	for (const char *p = s; *p; p++)
		if (!plain_char(p, p == s))
			return 0;
	return 1;
}

static void emit_scalar(struct strbuf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);

		if (yaml_plain_safe(s))
			strbuf_addstr(out, s);
		else
			strbuf_add_quoted(out, s);
		break;
	}
	case JSON_INTEGER:
		strbuf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		strbuf_addf(out, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		strbuf_addstr(out, "true");
		break;
	case JSON_FALSE:
		strbuf_addstr(out, "false");
		break;
	case JSON_NULL:
		strbuf_addstr(out, "null");
		break;
	default:
		BUG("not a scalar");
	}
}

static int is_collection(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

static void emit_node(struct strbuf *out, const json_t *v, int indent, int inline_first);

static void emit_value_after_key(struct strbuf *out, const json_t *v, int indent)
{
	if (!is_collection(v)) {
		strbuf_addch(out, ' ');
		if (json_is_object(v))
			strbuf_addstr(out, "{}");
		else if (json_is_array(v))
			strbuf_addstr(out, "[]");
		else
			emit_scalar(out, v);
		strbuf_addch(out, '\n');
		return;
	}
	strbuf_addch(out, '\n');
	emit_node(out, v, indent + 2, 0);
}

static void emit_object(struct strbuf *out, const json_t *v, int indent, int inline_first)
{
	const char *key;
	json_t *val;
	int first = 1;

	json_object_foreach((json_t *)v, key, val) {
		if (!(first && inline_first))
			strbuf_addchars(out, ' ', (size_t)indent);
		first = 0;
		if (yaml_plain_safe(key))
			strbuf_addstr(out, key);
		else
			strbuf_add_quoted(out, key);
		strbuf_addch(out, ':');
		emit_value_after_key(out, val, indent);
	}
}

static void emit_array(struct strbuf *out, const json_t *v, int indent, int inline_first)
{
	size_t i;
	json_t *item;

	json_array_foreach(v, i, item) {
		if (!(i == 0 && inline_first))
			strbuf_addchars(out, ' ', (size_t)indent);
		strbuf_addstr(out, "- ");
		if (is_collection(item)) {
			emit_node(out, item, indent + 2, 1);
		} else {
			if (json_is_object(item))
				strbuf_addstr(out, "{}");
			else if (json_is_array(item))
				strbuf_addstr(out, "[]");
			else
				emit_scalar(out, item);
			strbuf_addch(out, '\n');
		}
	}
}

static void emit_node(struct strbuf *out, const json_t *v, int indent, int inline_first)
{
	if (json_is_object(v))
		emit_object(out, v, indent, inline_first);
	else if (json_is_array(v))
		emit_array(out, v, indent, inline_first);
	else
		BUG("emit_node on a scalar");
}

void yaml_emit(struct strbuf *out, const json_t *v)
{
	if (!is_collection(v)) {
		strbuf_addstr(out, json_is_array(v) ? "[]\n" : "{}\n");
		return;
	}
	emit_node(out, v, 0, 0);
}
