/*
 * A load test plan: scenarios, each with its own load model, request and
 * thresholds, plus thresholds over all of them. Read from a scenario file
 * (the YAML files under loadtest/, see README "Scenario files") or made by the ad-hoc
 * command line. Errors in a file are reported as FILE:LINE:COLUMN.
 */
#ifndef LOADTEST_SCENARIO_H
#define LOADTEST_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "template.h"
#include "threshold.h"

struct diag;

struct plan_scenario {
	char *name;
	struct load_model model;
	char *method, *path;
	struct header *headers;
	size_t nr_headers;
	char *body;                 /* NULL when none */
	size_t body_len;
	char *body_file;            /* as written, relative to the scenario file */
	uint64_t timeout_ns;
	struct threshold *th;
	size_t nr_th;
};

struct plan {
	char *file;                 /* the scenario file, NULL for ad hoc */
	char *target;               /* NULL: must come from --target or --env */
	struct plan_scenario *v;
	size_t nr;
	struct threshold *th;       /* over all scenarios */
	size_t nr_th;
};

/* Read `file` into `p`; -1 with every problem in `d`. */
int plan_load(struct plan *p, const char *file, struct diag *d);

/*
 * The same from `len` bytes of `text`, read as the file `file` (for error
 * positions and for body_file paths, which are relative to it).
 */
int plan_load_mem(struct plan *p, const char *file, const char *text, size_t len,
		  struct diag *d);
void plan_release(struct plan *p);

/* Add a header to every scenario's request (credentials from --env). */
void plan_add_header(struct plan *p, const char *name, const char *value);

/* Helpers for building plans by hand. */
struct plan_scenario *plan_add_scenario(struct plan *p, const char *name);
void scenario_add_header(struct plan_scenario *s, const char *name, const char *value);
int plan_add_threshold(struct threshold **v, size_t *nr, const char *expr, struct strbuf *why);

/* The default connection pool of an open model peaking at `rate` per second. */
unsigned open_default_connections(double max_rate);

#endif
