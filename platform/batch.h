/*
 * Readers of an ingest request's body: a JSON array of objects, or CSV
 * (RFC 4180) with a header line naming the columns in any order. Both
 * find each row's fields and give them to obs_batch_add(), so both accept
 * exactly the same observations.
 *
 * Neither keeps a pointer into `body`.
 */
#ifndef PLATFORM_BATCH_H
#define PLATFORM_BATCH_H

#include <stddef.h>

#include "obs.h"

struct strbuf;

enum batch_result {
	BATCH_OK,         /* read; b->invalid says whether some rows are wrong */
	BATCH_MALFORMED,  /* the body as a whole is unreadable; see err */
	BATCH_TOO_LARGE,  /* more than OBS_MAX_ROWS rows */
};

enum batch_result batch_read_json(struct obs_batch *b, const char *body, size_t len,
				  struct strbuf *err);
enum batch_result batch_read_csv(struct obs_batch *b, const char *body, size_t len,
				 struct strbuf *err);

#endif
