/*
 * Fuzz target for loadtest's thresholds (`p(99) < 200ms`, `status_5xx <
 * 1%`): any bytes as the expression. One that parses is also judged
 * against a small result document with a histogram, as `run` and
 * `merge` judge one, so the percentile and the formatting of the observed
 * value are reached too.
 */
#include "hist.h"
#include "strbuf.h"
#include "threshold.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *result_part(void)
{
	static json_t *part;
	struct hist h;

	if (part)
		return part;
	hist_init(&h, 3);
	for (uint64_t v = 1000; v < 100000000; v = v * 3 / 2)
		hist_record(&h, v);
	part = json_pack("{s:I, s:I, s:f, s:f, s:{s:f, s:f, s:f}, s:{s:I, s:I}, s:{s:I},"
			 " s:{s:I, s:I, s:I, s:I}, s:o}",
			 "requests", (json_int_t)1000, "dropped", (json_int_t)3,
			 "error_rate", 0.012, "rps", 249.5,
			 "latency_us", "mean", 1234.5, "min", 80.0, "max", 98765.0,
			 "status", "2xx", (json_int_t)990, "5xx", (json_int_t)10,
			 "status_codes", "503", (json_int_t)10,
			 "errors", "connect", (json_int_t)1, "timeout", (json_int_t)2,
			 "read", (json_int_t)0, "write", (json_int_t)0,
			 "histogram", hist_to_json(&h));
	hist_release(&h);
	return part;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct threshold t;
	struct strbuf why = STRBUF_INIT, observed = STRBUF_INIT;
	char *expr = malloc(size + 1);

	if (!expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';          /* an expression is a C string, as YAML gives it */
	memset(&t, 0, sizeof(t));
	if (threshold_parse(&t, expr, &why) == 0) {
		int held = threshold_check(&t, result_part(), &observed);

		if ((held != 0 && held != 1) || !observed.len)
			abort();
		threshold_release(&t);
	} else if (!why.len) {
		abort();                /* a refused expression always says why */
	}
	free(expr);
	strbuf_release(&why);
	strbuf_release(&observed);
	return 0;
}
