/*
 * Kubernetes' syntax for object names, label and annotation keys, label
 * values and resource quantities, as the API server checks them
 * (k8s.io/apimachinery/pkg/util/validation). Every function takes a
 * length, since the text may hold a NUL; none allocates.
 */
#ifndef LIB_K8S_NAMES_H
#define LIB_K8S_NAMES_H

#include <stddef.h>

/* A DNS-1123 label: at most 63 of [a-z0-9-], alphanumeric at both ends. */
int k8s_is_dns_label(const char *s, size_t len);
/* A DNS-1035 label: a DNS-1123 label that starts with a letter. */
int k8s_is_dns1035_label(const char *s, size_t len);
/* A DNS-1123 subdomain: at most 253 characters of dot-separated labels. */
int k8s_is_dns_subdomain(const char *s, size_t len);
/* A path segment name: not empty, "." or "..", without '/' or '%'. */
int k8s_is_path_segment(const char *s, size_t len);
/* Why a label value is invalid, or NULL. */
const char *k8s_label_value_problem(const char *s, size_t len);
/* Why a label or annotation key (a qualified name, PREFIX/NAME) is invalid, or NULL. */
const char *k8s_qualified_name_problem(const char *s, size_t len);
/* A quantity: [+-]digits[.digits] with a suffix (m, Ki, G, e3, ...) or none. */
int k8s_is_quantity(const char *s, size_t len);

#endif
