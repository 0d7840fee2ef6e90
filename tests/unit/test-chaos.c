/*
 * Unit tests for the pure parts of chaos: the addresses a fault may aim
 * at (addr.c: ADDR:PORT parsing, IPv4 and IPv6, ports, and the policy of
 * loopback or an environment's block), and how the proxy writes an
 * address back.
 */
#include "addr.h"
#include "proxy.h"
#include "strbuf.h"
#include "tap.h"

#include <string.h>

/* "ok" when `s` parses and is allowed; else the reason */
static const char *check(const char *s, unsigned flags)
{
	static struct strbuf why = STRBUF_INIT;
	struct sockaddr_storage ss;
	socklen_t len;

	strbuf_reset(&why);
	if (addr_parse(s, flags, &ss, &len, &why) < 0 || !addr_allowed(&ss, &why))
		return why.buf;
	return "ok";
}

static const char *roundtrip(const char *s)
{
	static struct strbuf sb = STRBUF_INIT;
	struct sockaddr_storage ss;
	socklen_t len;

	strbuf_reset(&sb);
	if (addr_parse(s, ADDR_PORT_ZERO, &ss, &len, &sb) == 0) {
		strbuf_reset(&sb);
		proxy_format_addr(&sb, &ss);
	}
	return sb.buf;
}

int main(void)
{
	tap_is_str(check("127.0.0.1:8080", 0), "ok", "loopback");
	tap_is_str(check("127.77.3.2:443", 0), "ok", "the loopback runtime's block is loopback");
	tap_is_str(check("10.213.7.11:5432", 0), "ok", "an environment's namespace address");
	tap_is_str(check("[::1]:80", 0), "ok", "IPv6 loopback");
	tap_is_str(check("127.0.0.1:0", ADDR_PORT_ZERO), "ok", "port 0 where it is allowed");
	tap_is_str(check("127.0.0.1:0", 0), "port 0 is out of range (1 to 65535)",
		   "port 0 for an upstream");
	tap_is_str(check("127.0.0.1:65536", 0), "port 65536 is out of range (1 to 65535)",
		   "a port above 65535");
	tap_is_str(check("127.0.0.1:80x", 0), "'80x' is not a port (a number from 1 to 65535)",
		   "a port that is not a number");
	tap_is_str(check("127.0.0.1", 0), "'127.0.0.1': expected ADDRESS:PORT, e.g. 127.0.0.1:8080",
		   "no port");
	tap_is_str(check(":80", 0), "':80': expected ADDRESS:PORT, e.g. 127.0.0.1:8080", "no address");
	tap_ok(strstr(check("localhost:80", 0), "'localhost' is not a numeric IPv4 address") != NULL,
	       "names are not looked up");
	tap_ok(strstr(check("[nope]:80", 0), "'nope' is not a numeric IPv6 address") != NULL,
	       "a bad IPv6 address");
	tap_ok(strstr(check("::1:80", 0), "is not a numeric IPv4 address") != NULL,
	       "IPv6 without brackets is refused, not misread");
	tap_ok(strstr(check("8.8.8.8:53", 0), "'8.8.8.8' is neither loopback nor in an "
			    "environment's namespaces") != NULL, "a public address is refused");
	tap_ok(strstr(check("10.213.0.5:80", 0), "neither loopback") != NULL,
	       "10.213.0.x is no environment's (blocks start at 1)");
	tap_ok(strstr(check("10.213.251.5:80", 0), "neither loopback") != NULL,
	       "nor is a block beyond the pool");
	tap_ok(strstr(check("10.214.1.5:80", 0), "neither loopback") != NULL,
	       "nor an address beside the /16");
	tap_ok(strstr(check("[2001:db8::1]:80", 0), "'2001:db8::1' is neither loopback") != NULL,
	       "an IPv6 address other than ::1 is refused");
	tap_is_str(roundtrip("127.0.0.1:8080"), "127.0.0.1:8080", "IPv4 written back as given");
	tap_is_str(roundtrip("[::1]:9000"), "[::1]:9000", "IPv6 written back in brackets");
	return tap_done();
}
