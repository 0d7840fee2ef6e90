/*
 * Kubernetes names, labels and quantities; see k8s-names.h.
 */
#include "k8s-names.h"

#include <string.h>

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

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
	if (!len || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int k8s_is_dns_label(const char *s, size_t len)
{
	return len <= 63 && dns_label_syntax(s, len);
}

int k8s_is_dns1035_label(const char *s, size_t len)
{
	return k8s_is_dns_label(s, len) && s[0] >= 'a' && s[0] <= 'z';
}

int k8s_is_dns_subdomain(const char *s, size_t len)
{
	size_t start = 0;

	if (!len || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!dns_label_syntax(s + start, i - start))
			return 0;
		start = i + 1;
	}
	return 1;
}

int k8s_is_path_segment(const char *s, size_t len)
{
	if (!len || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return !memchr(s, '/', len) && !memchr(s, '%', len);
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int label_name_syntax(const char *s, size_t len)
{
	if (!len || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

#define LABEL_CHARS "alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"

const char *k8s_label_value_problem(const char *s, size_t len)
{
	if (len > 63)
		return "must be at most 63 characters";
	if (len && !label_name_syntax(s, len))
		return "must be empty or " LABEL_CHARS;
	return NULL;
}

const char *k8s_qualified_name_problem(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t plen;

	if (slash) {
		plen = (size_t)(slash - s);
		if (memchr(slash + 1, '/', len - plen - 1))
			return "must contain at most one '/'";
		if (!k8s_is_dns_subdomain(s, plen))
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

/* An exponent suffix: e or E, an optional sign, digits. */
static int is_exponent(const char *s, size_t len)
{
	size_t i;

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

int k8s_is_quantity(const char *s, size_t len)
{
	static const char *const suffixes[] = {
		"", "n", "u", "m", "k", "M", "G", "T", "P", "E",
		"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", NULL
	};
	size_t i = 0, digits = 0;

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
	for (size_t k = 0; suffixes[k]; k++)
		if (strlen(suffixes[k]) == len && !memcmp(s, suffixes[k], len))
			return 1;
	return is_exponent(s, len);
}
