/*
 * Fuzz target for loadtest's HTTP response parser: the input is fed in
 * pieces whose sizes come from the input itself, as a socket would cut
 * it, and the parser must never read or write out of bounds, loop, or
 * accept more than it was given.
 */
#include <stdint.h>
#include <stdlib.h>

#include "http-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hp p;
	size_t off = 1, step = size ? (size_t)(data[0] % 64) + 1 : 1;
	int head = size && (data[0] & 0x80);

	hp_init(&p, head);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		ssize_t used = hp_feed(&p, (const char *)data + off, n);

		if (used < 0)
			return 0;
		if ((size_t)used > n)
			abort();
		off += (size_t)used;
		if (p.state == HP_DONE)
			hp_init(&p, head);      /* the next response on the connection */
		else if ((size_t)used < n)
			abort();                /* only a finished response leaves bytes */
	}
	hp_eof(&p);
	return 0;
}
