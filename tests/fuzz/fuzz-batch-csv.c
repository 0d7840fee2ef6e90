/*
 * Fuzz target for obsd's CSV ingest body reader (RFC 4180, a header line): any bytes as a request
 * body. The reader must never read or write out of bounds, and what it
 * keeps must agree with what it says (rows within the limit, every row
 * either kept or counted invalid).
 */
#include "batch.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obs_batch b = OBS_BATCH_INIT;
	struct strbuf err = STRBUF_INIT;
	enum batch_result r = batch_read_csv(&b, (const char *)data, size, &err);

	if (r == BATCH_MALFORMED && !err.len)
		abort();                /* a malformed body always says why */
	if (b.nr > OBS_MAX_ROWS || b.errors_nr > OBS_ERRORS_KEPT)
		abort();
	obs_batch_release(&b);
	strbuf_release(&err);
	return 0;
}
