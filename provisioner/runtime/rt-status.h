/*
 * The status of a local environment, as the documented JSON that `status
 * -o json`, `up -o json`, the pipelines, `loadtest --env` and chaos read,
 * and as text for people. It merges state.json (what was planned) with
 * the supervisor's view (asked over its socket, else runtime.json).
 */
#ifndef PROVISIONER_RT_STATUS_H
#define PROVISIONER_RT_STATUS_H

#include <jansson.h>
#include <stdio.h>

struct strbuf;

/* NULL with err when there is no such environment. */
json_t *rt_status_doc(const char *state, const char *name, struct strbuf *err);
void rt_status_print(FILE *f, json_t *doc);

#endif
