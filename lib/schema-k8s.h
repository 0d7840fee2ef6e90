/*
 * Strict, offline validation of Kubernetes manifests against the
 * definitions of a Kubernetes OpenAPI v2 document, such as the copy this
 * repository ships (K8S_SCHEMA_FILE, Kubernetes 1.36). The OpenAPI v2
 * dialect of the generic walker (schema.h):
 *
 *  - apiVersion and kind must name a definition through its
 *    x-kubernetes-group-version-kind (group "" is apiVersion "v1");
 *  - an object schema with properties and no additionalProperties admits
 *    no other field (kubectl's strict field validation);
 *    x-kubernetes-preserve-unknown-fields, and a schema with neither type
 *    nor properties, admit anything;
 *  - an integer is an int32 unless its format says int64; an IntOrString
 *    takes an int32 or a string; a Quantity a number or a string in
 *    quantity syntax (100m, 512Mi, 1e3); a date-time (Time, MicroTime) an
 *    RFC 3339 string or null; a "byte" string must be base64;
 *  - metadata.name must exist and be a DNS-1123 subdomain (a DNS-1123
 *    label for a Namespace, a DNS-1035 label for a Service, a path segment
 *    for RBAC objects), metadata.namespace a DNS-1123 label; wherever an
 *    ObjectMeta appears, label keys and values and annotation keys must
 *    have Kubernetes syntax, as must a LabelSelector's matchLabels and
 *    matchExpressions keys;
 *  - the YAML problems schema-yaml.h notes are errors, as is null (an
 *    empty value) where the schema wants a value, although the API server
 *    would take that as "unset".
 *
 * A Kustomization (apiVersion kustomize.config.k8s.io/..., kind
 * Kustomization or Component, or any document without apiVersion in a
 * file named kustomization.yaml, kustomization.yml or Kustomization) is
 * checked for shape only: the file lists must be lists of strings,
 * namespace, namePrefix and nameSuffix strings, commonLabels and
 * commonAnnotations maps of strings. An apiVersion v1 kind List is
 * checked item by item.
 *
 * Not checked: what the schema does not say (validation rules, defaults,
 * cross-field rules such as a selector matching its template, uniqueness
 * of list-map keys), custom resources (an unknown kind is an error),
 * cluster state.
 */
#ifndef LIB_SCHEMA_K8S_H
#define LIB_SCHEMA_K8S_H

#include <stddef.h>

struct diag;
struct strbuf;

/* The shipped schema, relative to the project's data directory. */
#define K8S_SCHEMA_FILE "k8s/schemas/kubernetes-1.36/definitions.json"

struct k8s_schema;

/* Load and index the "definitions" of an OpenAPI v2 document; NULL with a message in `err`. */
struct k8s_schema *k8s_schema_load(const char *path, struct strbuf *err);
void k8s_schema_free(struct k8s_schema *sc);

struct k8s_counts {
	size_t objects;   /* checked (a List's items each count) */
	size_t errors;    /* problems found */
};

/*
 * Check every document of `buf` (`file` names it in the diagnostics and
 * picks out a kustomization.yaml). Each problem is a diagnostic
 * "FILE:LINE:COL: Kind/name: field.path: message" in `d`; `counts` is added
 * to. Returns 0 when every document is valid, 1 when one is not, -1 when
 * the text is not YAML (a "yaml error" diagnostic; the documents before
 * the error were checked).
 */
int k8s_validate(const struct k8s_schema *sc, const char *file, const char *buf, size_t len,
		 struct k8s_counts *counts, struct diag *d);

#endif
