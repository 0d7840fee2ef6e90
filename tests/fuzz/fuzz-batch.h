/*
 * The body of the fuzz targets of obsd's ingest body readers (batch.h):
 * any bytes as a request body. A reader must never read or write out of
 * bounds, and what it keeps must agree with what it says: a malformed
 * body says why, rows and described errors stay within their limits.
 */
#ifndef TESTS_FUZZ_BATCH_H
#define TESTS_FUZZ_BATCH_H

#include "batch.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>

typedef enum batch_result (*batch_reader)(struct obs_batch *, const char *, size_t,
					  struct strbuf *);

static inline int fuzz_batch(batch_reader read, const uint8_t *data, size_t size)
{
	struct obs_batch b = OBS_BATCH_INIT;
	struct strbuf err = STRBUF_INIT;
	enum batch_result r = read(&b, (const char *)data, size, &err);

	if (r == BATCH_MALFORMED && !err.len)
		abort();
	if (b.nr > OBS_MAX_ROWS || b.errors_nr > OBS_ERRORS_KEPT)
		abort();
	obs_batch_release(&b);
	strbuf_release(&err);
	return 0;
}

#endif
