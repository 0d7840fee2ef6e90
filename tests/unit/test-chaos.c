/*
 * Unit tests for the pure parts of chaos: the addresses a fault may aim
 * at (addr.c: ADDR:PORT parsing, IPv4 and IPv6, ports, and the policy of
 * loopback or an environment's block), and how the proxy writes an
 * address back; then the proxy as a library, in-process: run in a thread
 * of its own, bytes through it both ways, stopped from another thread,
 * its counts.
 */
#include "addr.h"
#include "proxy.h"
#include "strbuf.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static void *run_proxy(void *p)
{
	static struct strbuf err = STRBUF_INIT;
	static int rc;

	rc = proxy_run(p, &err);
	return &rc;
}

/* A blocking loopback listener on any port; its port in *port. */
static int listener(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static void in_process(void)
{
	struct proxy_config cfg = PROXY_CONFIG_INIT;
	struct strbuf err = STRBUF_INIT, addr = STRBUF_INIT;
	struct sockaddr_storage ss;
	struct proxy_stats st;
	struct timeval tv = { .tv_sec = 5 };
	socklen_t len;
	pthread_t t;
	char buf[16] = "";
	unsigned port = 0;
	int lfd = listener(&port), cfd, ufd, *rc;
	struct proxy *p;

	strbuf_addf(&addr, "127.0.0.1:%u", port);
	addr_parse("127.0.0.1:0", ADDR_PORT_ZERO, &cfg.listen, &cfg.listen_len, &err);
	addr_parse(addr.buf, 0, &cfg.upstream, &cfg.upstream_len, &err);
	cfg.duration_ns = 60ull * 1000000000;
	p = proxy_new(&cfg, &err);
	if (!tap_ok(lfd >= 0 && p != NULL, "a proxy in-process: bound (%s)", err.buf))
		return;
	proxy_addr(p, &ss, &len);
	pthread_create(&t, NULL, run_proxy, p);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tap_ok(connect(cfd, (struct sockaddr *)&ss, len) == 0, "a client connects to it");
	ufd = accept(lfd, NULL, NULL);
	setsockopt(ufd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tap_ok(write(cfd, "hello", 5) == 5 && read(ufd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5),
	       "what the client sends reaches the upstream");
	tap_ok(write(ufd, "world!", 6) == 6 && read(cfd, buf, sizeof(buf)) == 6 && !memcmp(buf, "world!", 6),
	       "and the answer comes back");
	shutdown(cfd, SHUT_WR);
	tap_ok(read(ufd, buf, sizeof(buf)) == 0, "the client's FIN is passed on");
	proxy_stop(p);
	pthread_join(t, (void **)&rc);
	tap_is_int(*rc, 1, "proxy_stop from another thread: proxy_run returns 1");
	proxy_get_stats(p, &st);
	tap_ok(st.accepted == 1 && st.active == 0 && st.bytes[PROXY_UP] == 5 && st.bytes[PROXY_DOWN] == 6,
	       "its counts: 1 accepted, 0 open, 5 bytes up and 6 down");
	tap_ok(read(cfd, buf, sizeof(buf)) == 0, "stopping closed the client's connection");
	proxy_free(p);
	close(cfd);
	close(ufd);
	close(lfd);
	strbuf_release(&err);
	strbuf_release(&addr);
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
	in_process();
	return tap_done();
}
