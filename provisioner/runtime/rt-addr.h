/*
 * The local runtime's address scheme, in one place.
 *
 * Environment N (1..RT_POOL_MAX, from the pool) owns 10.213.N.0/24 with
 * network namespaces and 127.77.N.0/24 on loopback. In its block the host
 * is .1 (on the bridge, namespaces only), the gateway .2 and region i
 * .10+i. The plan, the pool, the network and the tests all take addresses
 * from here.
 */
#ifndef PROVISIONER_RT_ADDR_H
#define PROVISIONER_RT_ADDR_H

#include <stdint.h>

#define RT_POOL_MAX 250      /* environments on a machine */
#define RT_PREFIX 24         /* an environment's block */

enum {
	RT_HOST_BRIDGE = 1,  /* the host, on the bridge */
	RT_HOST_GATEWAY = 2,
	RT_HOST_REGION = 10, /* + the region's index */
};

/* Host `host` of environment `index`'s block: "10.213.7.11" (netns) or "127.77.7.11". */
char *rt_addr(int netns, int index, int host);
/* Environment `index`'s block with namespaces: "10.213.7.0/24". */
char *rt_subnet(int index);
/* The environment whose block IPv4 address `addr` (host byte order) is in; 0 if none. */
int rt_addr_index(int netns, uint32_t addr);

#endif
