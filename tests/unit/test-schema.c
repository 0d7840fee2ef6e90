/*
 * Unit tests for strict schema validation (lib/schema*.c): the generic
 * walker with no dialect hooks, as a JSON Schema backend would start
 * (objects open unless additionalProperties is false, $ref as a JSON
 * pointer, integers of any int64), the Kubernetes dialect through
 * k8s_validate() on a buffer, and Kubernetes' name syntax. The
 * validator's behaviour on manifests is tests/t/k8s-validate.sh's.
 */
#include "diag.h"
#include "k8s-names.h"
#include "schema-k8s.h"
#include "schema.h"
#include "strbuf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char generic_schema[] =
	"{\"definitions\": {"
	"  \"a/b\": {\"type\": \"object\", \"additionalProperties\": false,"
	"           \"required\": [\"num\"],"
	"           \"properties\": {\"num\": {\"type\": \"integer\"},"
	"                          \"e\": {\"enum\": [\"x\", \"y\"]}}},"
	"  \"open\": {\"type\": \"object\", \"properties\": {\"list\": {\"type\": \"array\","
	"             \"items\": {\"$ref\": \"#/definitions/a~1b\"}}}}}}";

struct generic_run {
	struct sv_ctx c;
	const json_t *top;
};

static void check_doc(const struct sy_node *root, void *data)
{
	struct generic_run *r = data;

	sv_report_yaml_problems(&r->c, root);
	sv_check(&r->c, r->top, root);
}

/* Validate `yaml` against definition "open"; the diagnostics as text. */
static size_t generic(const char *yaml, struct strbuf *out)
{
	static const struct sv_dialect plain = { 0 };
	struct generic_run r = { .c = SV_CTX_INIT };
	struct diag d = DIAG_INIT;
	json_t *root = json_loads(generic_schema, 0, NULL);

	r.c.dialect = &plain;
	r.c.root = root;
	r.c.file = "t.yaml";
	r.c.d = &d;
	r.top = json_object_get(json_object_get(root, "definitions"), "open");
	strbuf_reset(out);
	sy_read("t.yaml", yaml, strlen(yaml), check_doc, &r, &d);
	diag_sort(&d);
	diag_format(&d, out, NULL);
	diag_release(&d);
	sv_ctx_release(&r.c);
	json_decref(root);
	return r.c.errors;
}

static void test_generic(void)
{
	struct strbuf out = STRBUF_INIT;

	tap_ok(generic("other: 1\nlist: [{num: 5000000000, e: x}]\n", &out) == 0,
	       "generic: open objects take unknown fields; an integer without a format is any int64");
	tap_ok(generic("list:\n  - num: 1\n    extra: 2\n", &out) == 1 &&
	       strstr(out.buf, "t.yaml:3:5: list[0].extra: unknown field 'extra'"),
	       "generic: additionalProperties false closes an object ($ref with ~1 followed)");
	tap_ok(generic("list: [{e: z}]\n", &out) == 2 &&
	       strstr(out.buf, "missing required field 'num'") &&
	       strstr(out.buf, "list[0].e: value 'z' is not one of: \"x\", \"y\""),
	       "generic: required and enum");
	tap_ok(generic("list: {num: 1}\n", &out) == 1 &&
	       strstr(out.buf, "t.yaml:1:7: list: expected array, got object"),
	       "generic: a type mismatch names FILE:LINE:COL and the path");
	tap_ok(generic("list: [{num: yes}]\n", &out) == 1 &&
	       strstr(out.buf, "expected integer, got boolean yes"),
	       "generic: YAML 1.1 typing (yes is a boolean)");
	strbuf_release(&out);
}

static void test_k8s(void)
{
	static const char cm[] =
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n"
		"data:\n  a: 1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n";
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct k8s_counts n = { 0 };
	struct diag d = DIAG_INIT;
	struct k8s_schema *sc;
	const char *path = getenv("K8S_SCHEMA");

	sc = k8s_schema_load(path && *path ? path : SOURCE_DIR "/" K8S_SCHEMA_FILE, &err);
	if (!tap_ok(sc != NULL, "k8s: the shipped schema loads")) {
		tap_diag("%s", err.buf);
		return;
	}
	tap_ok(k8s_validate(sc, "cm.yaml", cm, strlen(cm), &n, &d) == 1 && n.objects == 2 &&
	       n.errors == 2, "k8s: two objects, two problems");
	diag_sort(&d);
	diag_format(&d, &out, NULL);
	tap_ok(strstr(out.buf, "cm.yaml:4:9: ConfigMap/Bad_Name: metadata.name: invalid name "
		      "'Bad_Name'") &&
	       strstr(out.buf, "cm.yaml:6:6: ConfigMap/Bad_Name: data.a: expected string, got "
		      "integer 1 (quote it)"), "k8s: FILE:LINE:COL: Kind/name: path: message");
	diag_release(&d);
	tap_ok(k8s_validate(sc, "x.yaml", "a: [\n", 5, &n, &d) == -1 && diag_count(&d) == 1 &&
	       strstr(d.v[0].msg, "yaml error"), "k8s: text that is not YAML: -1 and a yaml error");
	diag_release(&d);
	k8s_schema_free(sc);
	strbuf_reset(&err);
	tap_ok(!k8s_schema_load("/nonexistent.json", &err) && strstr(err.buf, "/nonexistent.json"),
	       "k8s: a schema that cannot be read: NULL, and the message names it");
	strbuf_release(&err);
	strbuf_release(&out);
}

static void test_names(void)
{
	tap_ok(k8s_is_dns_label("a-1", 3) && !k8s_is_dns_label("-a", 2) &&
	       !k8s_is_dns_label("A", 1), "DNS-1123 labels");
	tap_ok(k8s_is_dns_subdomain("a.b-c", 5) && !k8s_is_dns_subdomain("a..b", 4),
	       "DNS-1123 subdomains");
	tap_ok(k8s_is_dns1035_label("a1", 2) && !k8s_is_dns1035_label("1a", 2), "DNS-1035 labels");
	tap_ok(!k8s_qualified_name_problem("app.kubernetes.io/name", 22) &&
	       k8s_qualified_name_problem("a/b/c", 5) && k8s_qualified_name_problem("x/", 2),
	       "qualified names");
	tap_ok(!k8s_label_value_problem("", 0) && k8s_label_value_problem("a b", 3),
	       "label values");
	tap_ok(k8s_is_quantity("512Mi", 5) && k8s_is_quantity("1e3", 3) &&
	       k8s_is_quantity("0.5", 3) && !k8s_is_quantity("5 Mi", 4) &&
	       !k8s_is_quantity("Mi", 2), "quantities");
}

int main(void)
{
	test_generic();
	test_k8s();
	test_names();
	return tap_done();
}
