/*
 * Parsing and checking the addresses faults aim at; see addr.h.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "rt-addr.h"
#include "strbuf.h"
#include "xalloc.h"

static int parse_port(const char *s, unsigned flags, unsigned *port, struct strbuf *why)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5) {
		strbuf_addf(why, "'%s' is not a port (a number from 1 to 65535)", s);
		return -1;
	}
	v = strtoul(s, &end, 10);
	if (v > 65535 || (!v && !(flags & ADDR_PORT_ZERO))) {
		strbuf_addf(why, "port %s is out of range (1 to 65535)", s);
		return -1;
	}
	*port = (unsigned)v;
	return 0;
}

int addr_parse(const char *s, unsigned flags, struct sockaddr_storage *ss, socklen_t *len,
	       struct strbuf *why)
{
	const char *colon = strrchr(s, ':');
	char *host;
	unsigned port;
	int rc = -1;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == s) {
		strbuf_addf(why, "'%s': expected ADDRESS:PORT, e.g. 127.0.0.1:8080", s);
		return -1;
	}
	if (*s == '[' && colon[-1] == ']')
		host = xstrndup(s + 1, (size_t)(colon - s - 2));
	else
		host = xstrndup(s, (size_t)(colon - s));
	if (parse_port(colon + 1, flags, &port, why) < 0)
		goto out;
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) {
			strbuf_addf(why, "'%s' is not a numeric IPv6 address", host);
			goto out;
		}
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			strbuf_addf(why, "'%s' is not a numeric IPv4 address (names are not looked up; "
				    "IPv6 goes in brackets: [::1]:8080)", host);
			goto out;
		}
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	rc = 0;
out:
	free(host);
	return rc;
}

int addr_allowed(const struct sockaddr_storage *ss, struct strbuf *why)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		uint32_t v = ntohl(a->sin_addr.s_addr);
		int index = rt_addr_index(1, v);

		if ((v >> 24) == 127 || (index >= 1 && index <= RT_POOL_MAX))
			return 1;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return 1;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
	}
	strbuf_addf(why, "'%s' is neither loopback nor in an environment's namespaces "
		    "(10.213.N.0/24): chaos touches nothing else", host);
	return 0;
}
