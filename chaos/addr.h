/*
 * The addresses chaos may touch. A fault is aimed only at what the
 * project runs on this machine: loopback (127.0.0.0/8, ::1), where the
 * loopback-mode runtime and the tests live, or the block of an
 * environment's network namespaces (10.213.N.0/24, N from the address
 * pool, provisioner/runtime/rt-addr.h). Anything else is refused, before
 * a socket is made.
 */
#ifndef CHAOS_ADDR_H
#define CHAOS_ADDR_H

#include <sys/socket.h>

struct strbuf;

#define ADDR_PORT_ZERO 0x1u   /* port 0 (any) is allowed: a listening address */

/*
 * "ADDRESS:PORT", the address numeric ("127.0.0.1:8080", "[::1]:8080"),
 * into *ss. 0, or -1 with the reason in `why`.
 */
int addr_parse(const char *s, unsigned flags, struct sockaddr_storage *ss, socklen_t *len,
	       struct strbuf *why);

/* 1 when chaos may aim at `ss`; 0 with the reason in `why`. */
int addr_allowed(const struct sockaddr_storage *ss, struct strbuf *why);

#endif
