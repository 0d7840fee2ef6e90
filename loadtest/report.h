/*
 * Reports of a load test, all made from the result document (the JSON
 * that --json writes, see README "loadtest result format"), so that a
 * merged result reports exactly like a single run.
 */
#ifndef LOADTEST_REPORT_H
#define LOADTEST_REPORT_H

#include <jansson.h>

struct strbuf;

/* What people read at the end of a run: per scenario and overall; ok and
 * FAIL in colour when `colour` (see color_enabled()). */
void report_summary(struct strbuf *out, const json_t *result, int colour);

/* TAP version 13: one test per threshold, with YAML diagnostics. */
void report_tap(struct strbuf *out, const json_t *result);

/* JUnit XML: a test case per threshold, grouped per scenario. */
void report_junit(struct strbuf *out, const json_t *result);

/* A self-contained HTML page with inline SVG plots; no scripts, no
 * external resources. */
void report_html(struct strbuf *out, const json_t *result);

#endif
