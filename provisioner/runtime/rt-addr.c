/*
 * The address scheme; see rt-addr.h.
 */
#include "rt-addr.h"
#include "xalloc.h"

#include <stdlib.h>

/* the /16 the blocks are taken from, in host byte order */
static uint32_t base(int netns)
{
	return netns ? 0x0ad50000u /* 10.213 */ : 0x7f4d0000u /* 127.77 */;
}

char *rt_addr(int netns, int index, int host)
{
	uint32_t b = base(netns);

	return xasprintf("%u.%u.%d.%d", (unsigned)(b >> 24), (unsigned)(b >> 16 & 0xff), index,
			 host);
}

char *rt_subnet(int index)
{
	char *first = rt_addr(1, index, 0), *cidr = xasprintf("%s/%d", first, RT_PREFIX);

	free(first);
	return cidr;
}

int rt_addr_index(int netns, uint32_t addr)
{
	if ((addr & 0xffff0000u) != base(netns))
		return 0;
	return (int)(addr >> 8 & 0xff);
}
