/*
 * Kubernetes manifests against OpenAPI v2 definitions; see schema-k8s.h.
 * The generic walking is schema.c's: this file holds what is Kubernetes'
 * own (the group-version-kind index, IntOrString, Quantity, ObjectMeta,
 * the name rules, List and Kustomization).
 */
#include "schema-k8s.h"
#include "diag.h"
#include "k8s-names.h"
#include "schema.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define META_V1 "io.k8s.apimachinery.pkg.apis.meta.v1."

struct k8s_schema {
	json_t *root;
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

/* ---- loading ---- */

static void add_gvk(struct k8s_schema *sc, json_t *def, json_t *g)
{
	const char *group = json_string_value(json_object_get(g, "group"));
	const char *version = json_string_value(json_object_get(g, "version"));
	const char *kind = json_string_value(json_object_get(g, "kind"));
	char *api, *key;
	json_t *list;

	if (!group || !version || !kind)
		return;
	api = xasprintf("%s%s%s", group, *group ? "/" : "", version);
	key = xasprintf("%s %s", api, kind);
	if (!json_object_get(sc->gvk, key))
		json_object_set(sc->gvk, key, def);
	list = json_object_get(sc->kinds, kind);
	if (!list) {
		list = json_array();
		json_object_set_new(sc->kinds, kind, list);
	}
	json_array_append_new(list, json_string(api));
	free(api);
	free(key);
}

void k8s_schema_free(struct k8s_schema *sc)
{
	if (!sc)
		return;
	json_decref(sc->root);
	json_decref(sc->gvk);
	json_decref(sc->kinds);
	json_decref(sc->shapes);
	free(sc);
}

struct k8s_schema *k8s_schema_load(const char *path, struct strbuf *err)
{
	struct k8s_schema *sc = xcalloc(1, sizeof(*sc));
	const char *name;
	json_error_t jerr;
	json_t *defs, *def, *g;
	size_t i;

	sc->root = json_load_file(path, 0, &jerr);
	if (!sc->root) {
		if (jerr.line > 0)
			strbuf_addf(err, "cannot load schema %s:%d: %s", path, jerr.line, jerr.text);
		else
			strbuf_addf(err, "cannot load schema %s: %s", path, jerr.text);
		goto fail;
	}
	defs = json_object_get(sc->root, "definitions");
	if (!json_is_object(defs)) {
		strbuf_addf(err, "schema %s has no \"definitions\" object", path);
		goto fail;
	}
	sc->gvk = json_object();
	sc->kinds = json_object();
	sc->shapes = json_loads(builtin_shapes, 0, &jerr);
	json_object_foreach(defs, name, def)
		json_array_foreach(json_object_get(def, "x-kubernetes-group-version-kind"), i, g)
			add_gvk(sc, def, g);
	sc->quantity = json_object_get(defs, "io.k8s.apimachinery.pkg.api.resource.Quantity");
	sc->objectmeta = json_object_get(defs, META_V1 "ObjectMeta");
	sc->selector = json_object_get(defs, META_V1 "LabelSelector");
	return sc;
fail:
	k8s_schema_free(sc);
	return NULL;
}

/* ---- the dialect: special types and extra checks ---- */

static int k8s_object_is_open(const json_t *s)
{
	const json_t *props = json_object_get(s, "properties");
	const json_t *addl = json_object_get(s, "additionalProperties");

	return json_is_true(addl) || (!props && !addl) ||
	       json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"));
}

/* A string, or an integer that fits the int32 of an IntOrString. */
static void check_int_or_string(struct sv_ctx *c, const struct sy_node *n)
{
	if (n->type == SY_STR)
		return;
	if (n->type == SY_INT || (n->type == SY_FLOAT && sy_float_is_integer(n->fval)))
		sv_check_integer(c, NULL, n);
	else
		sv_type_mismatch(c, n, "integer or string");
}

static void check_quantity(struct sv_ctx *c, const struct sy_node *n)
{
	if (n->type == SY_INT || n->type == SY_FLOAT)
		return;
	if (n->type != SY_STR)
		sv_type_mismatch(c, n, "quantity (string or number)");
	else if (!k8s_is_quantity(n->text, n->len))
		sv_report(c, n, "invalid quantity '%s' (expected a number with an optional suffix, "
			  "such as 100m, 512Mi, 2Gi or 1e3)", sv_show(c, n));
}

static int k8s_check_special(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const struct k8s_schema *sc = c->data;

	if (s == sc->quantity) {
		check_quantity(c, n);
		return 1;
	}
	if (sv_schema_is(s, "format", "int-or-string") ||
	    json_is_true(json_object_get(s, "x-kubernetes-int-or-string"))) {
		check_int_or_string(c, n);
		return 1;
	}
	/* a Time or MicroTime that is not set serializes as null */
	return n->type == SY_NULL && sv_schema_is(s, "format", "date-time");
}

/* Label keys and values of a map (labels, matchLabels). */
static void check_label_map(struct sv_ctx *c, const struct sy_node *map)
{
	const char *why;
	size_t old;

	for (size_t i = 0; map->type == SY_MAP && i < map->n; i++) {
		const struct sy_node *k = map->key[i], *v = map->val[i];

		if (k->problem)
			continue;
		old = sv_path_push(c, k->text, k->len);
		if ((why = k8s_qualified_name_problem(k->text, k->len)))
			sv_report(c, k, "invalid label key '%s': %s", sv_show(c, k), why);
		if (v->type == SY_STR && (why = k8s_label_value_problem(v->text, v->len)))
			sv_report(c, v, "invalid label value '%s': %s", sv_show(c, v), why);
		sv_path_pop(c, old);
	}
}

static void check_annotations(struct sv_ctx *c, const struct sy_node *map)
{
	size_t old, total = 0;
	const char *why;

	for (size_t i = 0; map->type == SY_MAP && i < map->n; i++) {
		const struct sy_node *k = map->key[i], *v = map->val[i];

		total += k->len + (v->type == SY_STR ? v->len : 0);
		if (k->problem)
			continue;
		old = sv_path_push(c, k->text, k->len);
		if ((why = k8s_qualified_name_problem(k->text, k->len)))
			sv_report(c, k, "invalid annotation key '%s': %s", sv_show(c, k), why);
		sv_path_pop(c, old);
	}
	if (total > 256 * 1024)
		sv_report(c, map, "annotations take %zu bytes, more than 256 KiB", total);
}

static void check_expression_keys(struct sv_ctx *c, const struct sy_node *list)
{
	const char *why;
	size_t old;

	for (size_t i = 0; list->type == SY_SEQ && i < list->n; i++) {
		const struct sy_node *k = sy_get(list->val[i], "key");

		if (!k || k->type != SY_STR)
			continue;
		old = sv_path_push_index(c, i);
		sv_path_push(c, "key", 3);
		if ((why = k8s_qualified_name_problem(k->text, k->len)))
			sv_report(c, k, "invalid label key '%s': %s", sv_show(c, k), why);
		sv_path_pop(c, old);
	}
}

/* Extra checks for a map under a field of an ObjectMeta or a selector. */
static void check_under(struct sv_ctx *c, const struct sy_node *n, const char *field,
			void (*fn)(struct sv_ctx *, const struct sy_node *))
{
	const struct sy_node *v = sy_get(n, field);
	size_t old;

	if (!v)
		return;
	old = sv_path_push(c, field, strlen(field));
	fn(c, v);
	sv_path_pop(c, old);
}

static void k8s_check_extra(struct sv_ctx *c, const json_t *s, const struct sy_node *n)
{
	const struct k8s_schema *sc = c->data;

	if (n->type != SY_MAP)
		return;
	if (s == sc->objectmeta) {
		check_under(c, n, "labels", check_label_map);
		check_under(c, n, "annotations", check_annotations);
	} else if (s == sc->selector) {
		check_under(c, n, "matchLabels", check_label_map);
		check_under(c, n, "matchExpressions", check_expression_keys);
	}
}

static const struct sv_dialect k8s_dialect = {
	.object_is_open = k8s_object_is_open,
	.check_special = k8s_check_special,
	.check_extra = k8s_check_extra,
	.plain_int32 = 1,
};

/* ---- whole objects ---- */

struct run {
	struct sv_ctx c;
	const struct k8s_schema *sc;
	struct strbuf subject;   /* Kind/name of the object being checked */
	size_t objects;
};

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

static enum name_rule name_rule_for(const struct sy_node *api, const struct sy_node *kind)
{
	const char *slash = memchr(api->text, '/', api->len);
	size_t glen = slash ? (size_t)(slash - api->text) : 0;

	for (size_t i = 0; i < ARRAY_SIZE(name_rules); i++)
		if (strlen(name_rules[i].group) == glen &&
		    !memcmp(name_rules[i].group, api->text, glen) && sy_is(kind, name_rules[i].kind))
			return name_rules[i].rule;
	return NAME_SUBDOMAIN;
}

static void check_name_syntax(struct sv_ctx *c, const struct sy_node *name, enum name_rule rule)
{
	const char *s = name->text;
	size_t len = name->len;

	if (rule == NAME_LABEL && !k8s_is_dns_label(s, len))
		sv_report(c, name, "invalid name '%s': must be a DNS-1123 label (at most 63 "
			  "lowercase alphanumerics or '-', starting and ending with an "
			  "alphanumeric)", sv_show(c, name));
	else if (rule == NAME_DNS1035 && !k8s_is_dns1035_label(s, len))
		sv_report(c, name, "invalid name '%s': must be a DNS-1035 label (at most 63 "
			  "lowercase alphanumerics or '-', starting with a letter and ending with "
			  "an alphanumeric)", sv_show(c, name));
	else if (rule == NAME_SEGMENT && !k8s_is_path_segment(s, len))
		sv_report(c, name, "invalid name '%s': must not be empty, '.' or '..', nor "
			  "contain '/' or '%%'", sv_show(c, name));
	else if (rule == NAME_SUBDOMAIN && !k8s_is_dns_subdomain(s, len))
		sv_report(c, name, "invalid name '%s': must be a DNS-1123 subdomain (at most 253 "
			  "lowercase alphanumerics, '-' or '.', starting and ending with an "
			  "alphanumeric)", sv_show(c, name));
}

/* metadata.name and metadata.namespace of a top-level object. */
static void check_metadata(struct run *r, const json_t *def, const struct sy_node *obj,
			   const struct sy_node *api, const struct sy_node *kind)
{
	struct sv_ctx *c = &r->c;
	const json_t *ms = json_object_get(json_object_get(def, "properties"), "metadata");
	const struct sy_node *meta = sy_get(obj, "metadata"), *name, *ns;
	size_t old, mid;

	if (!ms || sv_deref(c, ms, obj) != r->sc->objectmeta)
		return;
	if (!meta) {
		sv_report(c, obj, "missing required field 'metadata'");
		return;
	}
	if (meta->type != SY_MAP)
		return;
	old = sv_path_push(c, "metadata", 8);
	mid = c->path.len;
	name = sy_get(meta, "name");
	if (!name) {
		sv_report(c, meta, "missing required field 'name'");
	} else if (name->type == SY_STR) {
		sv_path_push(c, "name", 4);
		check_name_syntax(c, name, name_rule_for(api, kind));
		sv_path_pop(c, mid);
	}
	ns = sy_get(meta, "namespace");
	if (ns && ns->type == SY_STR && !k8s_is_dns_label(ns->text, ns->len)) {
		sv_path_push(c, "namespace", 9);
		sv_report(c, ns, "invalid namespace '%s': must be a DNS-1123 label", sv_show(c, ns));
	}
	sv_path_pop(c, old);
}

static void add_clean(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 ? '?' : *s);
}

/* The subject of messages: Kind/name, '?' for what is missing. */
static void set_subject(struct run *r, const struct sy_node *obj, const char *kind)
{
	const char *name = sy_get_str(sy_get(obj, "metadata"), "name");

	if (!kind)
		kind = sy_get_str(obj, "kind");
	strbuf_reset(&r->subject);
	add_clean(&r->subject, kind && *kind ? kind : "?");
	strbuf_addch(&r->subject, '/');
	add_clean(&r->subject, name && *name ? name : "?");
	r->c.subject = r->subject.buf;
}

/* apiVersion or kind: present and a string. */
static int need_string(struct sv_ctx *c, const struct sy_node *obj, const struct sy_node *v,
		       const char *field)
{
	size_t old;

	if (!v) {
		sv_report(c, obj, "missing required field '%s'", field);
		return 0;
	}
	if (v->type == SY_STR)
		return 1;
	old = sv_path_push(c, field, strlen(field));
	sv_type_mismatch(c, v, "string");
	sv_path_pop(c, old);
	return 0;
}

static void unknown_gvk(struct run *r, const struct sy_node *api, const struct sy_node *kind)
{
	const json_t *apis = json_object_getn(r->sc->kinds, kind->text, kind->len), *a;
	struct sv_ctx *c = &r->c;
	struct strbuf sb = STRBUF_INIT;
	const char *near;
	size_t i, old;

	if (apis) {
		json_array_foreach(apis, i, a)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", json_string_value(a));
		old = sv_path_push(c, "apiVersion", 10);
		sv_report(c, api, "unknown apiVersion '%s' for kind %s (known: %s)",
			  sv_show(c, api), sv_show(c, kind), sb.buf);
		strbuf_release(&sb);
	} else {
		old = sv_path_push(c, "kind", 4);
		near = sv_closest_key(r->sc->kinds, kind->text, kind->len);
		if (near)
			sv_report(c, kind, "unknown kind '%s' (did you mean '%s'?)",
				  sv_show(c, kind), near);
		else
			sv_report(c, kind, "unknown kind '%s'", sv_show(c, kind));
	}
	sv_path_pop(c, old);
}

static const json_t *lookup_gvk(struct run *r, const struct sy_node *api,
				const struct sy_node *kind)
{
	struct strbuf key = STRBUF_INIT;
	const json_t *def;

	strbuf_add(&key, api->text, api->len);
	strbuf_addch(&key, ' ');
	strbuf_add(&key, kind->text, kind->len);
	def = json_object_getn(r->sc->gvk, key.buf, key.len);
	strbuf_release(&key);
	if (!def)
		unknown_gvk(r, api, kind);
	return def;
}

static int is_kustomization(const struct run *r, const struct sy_node *api)
{
	const char *slash = strrchr(r->c.file, '/');
	const char *base = slash ? slash + 1 : r->c.file;

	if (api && api->type == SY_STR && api->len >= 24 &&
	    !memcmp(api->text, "kustomize.config.k8s.io/", 24))
		return 1;
	return !api && (!strcmp(base, "kustomization.yaml") || !strcmp(base, "kustomization.yml") ||
			!strcmp(base, "Kustomization"));
}

static void check_kustomization(struct run *r, const struct sy_node *obj,
				const struct sy_node *kind)
{
	struct sv_ctx *c = &r->c;
	size_t old;

	if (!kind)
		set_subject(r, obj, "Kustomization");
	sv_check(c, json_object_get(r->sc->shapes, "Kustomization"), obj);
	if (kind && kind->type == SY_STR && !sy_is(kind, "Kustomization") &&
	    !sy_is(kind, "Component")) {
		old = sv_path_push(c, "kind", 4);
		sv_report(c, kind, "unknown kind '%s' for kustomize.config.k8s.io (expected "
			  "Kustomization or Component)", sv_show(c, kind));
		sv_path_pop(c, old);
	}
}

static void validate_object(struct run *r, const struct sy_node *obj);

/* apiVersion v1, kind List: each item is an object of its own. */
static void check_list(struct run *r, const struct sy_node *list)
{
	const struct sy_node *items = sy_get(list, "items");
	size_t old;

	sv_check(&r->c, json_object_get(r->sc->shapes, "List"), list);
	if (!items || items->type != SY_SEQ)
		return;
	old = sv_path_push(&r->c, "items", 5);
	for (size_t i = 0; i < items->n; i++) {
		size_t o = sv_path_push_index(&r->c, i);

		set_subject(r, items->val[i], NULL);
		validate_object(r, items->val[i]);
		sv_path_pop(&r->c, o);
	}
	sv_path_pop(&r->c, old);
}

static void validate_object(struct run *r, const struct sy_node *obj)
{
	const struct sy_node *api, *kind;
	const json_t *def;

	if (obj->type != SY_MAP) {
		r->objects++;
		if (!obj->problem)
			sv_report(&r->c, obj, "expected an object, got %s", sy_type_name(obj));
		return;
	}
	api = sy_get(obj, "apiVersion");
	kind = sy_get(obj, "kind");
	if (api && kind && sy_is(api, "v1") && sy_is(kind, "List")) {
		check_list(r, obj);
		return;
	}
	r->objects++;
	if (is_kustomization(r, api)) {
		check_kustomization(r, obj, kind);
		return;
	}
	if (!need_string(&r->c, obj, api, "apiVersion") + !need_string(&r->c, obj, kind, "kind"))
		return;
	if (!(def = lookup_gvk(r, api, kind)))
		return;
	sv_check(&r->c, def, obj);
	check_metadata(r, def, obj, api, kind);
}

static void validate_document(const struct sy_node *root, void *data)
{
	struct run *r = data;

	if (root->type == SY_NULL && !root->problem)
		return;
	set_subject(r, root, NULL);
	sv_report_yaml_problems(&r->c, root);
	validate_object(r, root);
}

int k8s_validate(const struct k8s_schema *sc, const char *file, const char *buf, size_t len,
		 struct k8s_counts *counts, struct diag *d)
{
	struct run r = { .c = SV_CTX_INIT, .sc = sc, .subject = STRBUF_INIT };
	int ret;

	r.c.dialect = &k8s_dialect;
	r.c.data = sc;
	r.c.root = sc->root;
	r.c.file = file;
	r.c.d = d;
	ret = sy_read(file, buf, len, validate_document, &r, d);
	counts->objects += r.objects;
	counts->errors += r.c.errors;
	sv_ctx_release(&r.c);
	strbuf_release(&r.subject);
	return ret < 0 ? -1 : r.c.errors ? 1 : 0;
}
