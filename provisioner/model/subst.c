/*
 * ${...} expansion; see subst.h.
 */
#include "subst.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const deferred[] = { "region", "port", "addr" };

static int is_deferred(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(deferred) / sizeof(*deferred); i++)
		if (strlen(deferred[i]) == len && !strncmp(name, deferred[i], len))
			return 1;
	return 0;
}

static const struct subst_var *find_var(const struct subst_ctx *ctx, const char *name, size_t len)
{
	for (size_t i = 0; i < ctx->nr_vars; i++)
		if (strlen(ctx->vars[i].name) == len && !strncmp(ctx->vars[i].name, name, len))
			return &ctx->vars[i];
	return NULL;
}

static int valid_env_name(const char *s, size_t len)
{
	if (!len || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* ${env:NAME} or ${env:NAME:-default}; `body` is after "env:". */
static int expand_env(const char *body, size_t len, const struct subst_ctx *ctx,
		      struct strbuf *out, struct strbuf *err)
{
	const char *sep = memchr(body, ':', len);
	size_t name_len = sep ? (size_t)(sep - body) : len;
	char *name;
	const char *val;
	int flags = SUBST_CHANGED;

	if (!valid_env_name(body, name_len) || (sep && (sep + 1 >= body + len || sep[1] != '-'))) {
		strbuf_addf(err, "invalid variable '${env:%.*s}': expected ${env:NAME} or "
			    "${env:NAME:-default}", (int)len, body);
		return -1;
	}
	for (size_t i = 0; i < ctx->nr_secret_vars; i++) {
		if (strlen(ctx->secret_vars[i].env) == name_len &&
		    !strncmp(ctx->secret_vars[i].env, body, name_len)) {
			strbuf_addf(err, "'${env:%.*s}' would copy the value of secret '%s' into the "
				    "definition: refer to it under 'secrets' only", (int)name_len, body,
				    ctx->secret_vars[i].secret);
			return -1;
		}
	}
	name = strndup(body, name_len);
	val = getenv(name);
	if (val && *val) {
		strbuf_addstr(out, val);
		flags |= SUBST_FROM_ENV;
	} else if (sep) {
		strbuf_add(out, sep + 2, len - name_len - 2);
	} else {
		strbuf_addf(err, "environment variable '%s' is not set (give a default with "
			    "${env:%s:-default})", name, name);
		flags = -1;
	}
	free(name);
	return flags;
}

int subst_expand(const char *in, const struct subst_ctx *ctx, struct strbuf *out,
		 struct strbuf *err, size_t *err_off)
{
	int flags = 0;

	for (const char *p = in; *p;) {
		const char *close, *body;
		size_t len;

		if (p[0] != '$' || (p[1] != '{' && p[1] != '$')) {
			strbuf_addch(out, *p++);
			continue;
		}
		*err_off = (size_t)(p - in);
		if (p[1] == '$') {
			/* where deferred variables remain, so does the escape */
			strbuf_addstr(out, ctx->allow_deferred ? "$$" : "$");
			p += 2;
			flags |= SUBST_CHANGED;
			continue;
		}
		body = p + 2;
		close = strchr(body, '}');
		if (!close) {
			strbuf_addstr(err, "unterminated '${': expected '}'");
			return -1;
		}
		len = (size_t)(close - body);
		if (len > 4 && !strncmp(body, "env:", 4)) {
			int f = expand_env(body + 4, len - 4, ctx, out, err);

			if (f < 0)
				return -1;
			flags |= f;
		} else if (is_deferred(body, len)) {
			if (!ctx->allow_deferred) {
				strbuf_addf(err, "'${%.*s}' can be used only in a service's 'env' and 'run'",
					    (int)len, body);
				return -1;
			}
			strbuf_add(out, p, len + 3);
		} else {
			const struct subst_var *v = find_var(ctx, body, len);

			if (!v) {
				strbuf_addf(err, "unknown variable '${%.*s}'", (int)len, body);
				return -1;
			}
			if (!v->value) {
				strbuf_addf(err, "cannot resolve '${%s}': %s", v->name, v->why);
				return -1;
			}
			strbuf_addstr(out, v->value);
			flags |= SUBST_CHANGED;
		}
		p = close + 1;
	}
	return flags;
}

void subst_deferred(struct strbuf *out, const char *in, const struct subst_deferred *d)
{
	const struct { const char *var; const char *val; } vars[] = {
		{ "${region}", d->region }, { "${port}", d->port }, { "${addr}", d->addr },
	};

	for (const char *p = in; *p;) {
		size_t i;

		if (p[0] == '$' && p[1] == '$') {
			strbuf_addch(out, '$');
			p += 2;
			continue;
		}
		for (i = 0; i < sizeof(vars) / sizeof(*vars); i++)
			if (vars[i].val && !strncmp(p, vars[i].var, strlen(vars[i].var)))
				break;
		if (i < sizeof(vars) / sizeof(*vars)) {
			strbuf_addstr(out, vars[i].val);
			p += strlen(vars[i].var);
		} else {
			strbuf_addch(out, *p++);
		}
	}
}

int subst_has_deferred(const char *in)
{
	return strstr(in, "${region}") || strstr(in, "${port}") || strstr(in, "${addr}");
}
