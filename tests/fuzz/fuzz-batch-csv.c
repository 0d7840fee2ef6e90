/*
 * Fuzz target for obsd's CSV ingest body reader; see fuzz-batch.h.
 */
#include "fuzz-batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_batch(batch_read_csv, data, size);
}
