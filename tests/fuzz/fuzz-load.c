/*
 * Fuzz target for the definition loader: any bytes as a definition, then,
 * when they load, both renderers. Built with libFuzzer (clang, -DFUZZ=ON)
 * or with fuzz-driver.c, which needs neither.
 *
 * The input is named "fuzz.yaml" in the current directory, so an
 * `extends` in it reads files relative to where the fuzzer runs: run it
 * from a scratch directory (the tests do).
 */
#include "diag.h"
#include "load.h"
#include "render.h"
#include "strbuf.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct load_opts o = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	struct env_model m;

	o.branch = "fuzz/Branch_1";
	o.commit = "0123456789abcdef0123456789abcdef01234567";
	o.max_bytes = 1u << 20;
	env_model_init(&m);
	if (env_load_mem(&m, "fuzz.yaml", (const char *)data, size, &o, &d) == 0) {
		struct render_opts ro = { .datadir = SOURCE_DIR };
		struct fileset fs = FILESET_INIT;
		struct strbuf err = STRBUF_INIT;

		render_kubernetes(&m, &ro, &fs, &err);
		fileset_release(&fs);
		strbuf_release(&err);
	}
	diag_release(&d);
	env_model_free(&m);
	return 0;
}
