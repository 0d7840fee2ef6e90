/*
 * `loadtest render-job`: a Kubernetes indexed Job that runs N copies of a
 * load test, each copy running 1/N of every scenario's rate and
 * connections (`--shard I/N`) and writing its result document to a shared
 * volume, where `loadtest merge` combines them. Scheduling, retries and
 * clean-up are Kubernetes' business; we only write the manifest.
 *
 * The output is one YAML stream, byte-identical for the same options:
 *
 *   ConfigMap NAME-scenario   the scenario under its file name, and every
 *                             file it references (body_file) under a key
 *                             derived from its path, mounted at
 *                             /etc/loadtest so relative paths still hold
 *   PersistentVolumeClaim     NAME-results (ReadWriteMany, 1Gi), unless the
 *                             caller names an existing claim
 *   Job NAME                  completionMode Indexed, completions and
 *                             parallelism N, no retries of a copy
 *
 * Copy I writes /results/NAME-I.json on the claim. To collect the results,
 * mount the claim in any pod (or `kubectl cp` from one) and run
 * `loadtest merge NAME-*.json`. The claim outlives the Job, which deletes
 * itself a day after it finished.
 *
 * Credentials never appear in the output: with `secret`, each copy reads
 * LOADTEST_AUTH_HEADER from key `authorization` of that Secret, which the
 * user creates (`kubectl create secret generic NAME
 * --from-literal=authorization='Bearer ...'`).
 */
#ifndef LOADTEST_JOB_H
#define LOADTEST_JOB_H

#include <stddef.h>
#include <stdint.h>

struct plan;
struct strbuf;

#define JOB_PARALLEL_MAX 1000
#define JOB_CONFIGMAP_MAX (1u << 20)   /* what the API server accepts in one ConfigMap */

/*
 * A file the scenario references. `name` is the path exactly as the
 * scenario writes it (body_file: bodies/ingest.json), relative to the
 * scenario file: no leading '/', no "." or ".." components. `data` holds
 * `len` bytes, text or binary (binary goes to the ConfigMap's binaryData).
 * The caller reads the files; the order does not matter (they are sorted).
 */
struct job_file {
	const char *name;
	const char *data;
	size_t len;
};

/*
 * What the caller fills. Required: scenario_name, scenario_text, plan,
 * parallel, image. Everything else may stay zero / NULL. No pointer is
 * kept after job_render() returns.
 */
struct job_opts {
	const char *scenario_name;   /* the scenario's file name, no directory: "slo.yaml" */
	const char *scenario_text;   /* its contents, NUL-terminated UTF-8 */
	const struct plan *plan;     /* the same, as plan_load() read it: sizes the Job */
	const struct job_file *files;
	size_t nr_files;
	const char *name;            /* Job name, a DNS-1123 label; NULL: "loadtest-" + stem */
	const char *namespace_;      /* NULL: no namespace written (kubectl -n decides) */
	unsigned parallel;           /* copies, 1..JOB_PARALLEL_MAX */
	const char *image;           /* holds /usr/bin/loadtest, e.g. "loadtest:0.1.0" */
	const char *target;          /* --target URL for every copy; NULL: the scenario's */
	const char *results_claim;   /* existing PVC; NULL: render NAME-results */
	const char *storage_class;   /* of the rendered PVC (must do ReadWriteMany); NULL: default */
	const char *secret;          /* Secret with key `authorization`; NULL: none */
	uint64_t cpu_m;              /* per copy; 0: one CPU per event-loop thread of the scenario */
	uint64_t memory;             /* bytes per copy; 0: 512Mi */
	uint64_t deadline_s;         /* 0: longest scenario + 10 minutes, or 1 hour if unknown */
};

#define JOB_OPTS_INIT { .parallel = 1 }

/*
 * Append the manifests for `o` to `out`. Returns 0, or -1 with a message in
 * `err` (nothing appended to `out` then) when an option is out of range, a
 * name is not valid for Kubernetes, a file path escapes the scenario's
 * directory, the scenario is empty or has no scenarios, or everything is
 * too big for one ConfigMap.
 */
int job_render(struct strbuf *out, const struct job_opts *o, struct strbuf *err);

#endif
