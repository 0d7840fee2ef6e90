/*
 * The status of a local environment: its plan (state.json) with the
 * supervisor's view (asked over its socket, else runtime.json), as the
 * documented JSON that `status -o json`, `up -o json`, the pipelines,
 * `loadtest --env` and chaos read, and as text for people.
 */
#ifndef PROVISIONER_RT_STATUS_H
#define PROVISIONER_RT_STATUS_H

#include <jansson.h>
#include <stdio.h>

#include "rt-state.h"

struct strbuf;

#define RT_STATUS_FORMAT "provisioner-status/2"

struct rt_status {
	struct rt_state st;
	struct rt_runtime rt;     /* empty when neither the supervisor nor the file answers */
	char *dir;                /* the environment's directory */
	int alive;                /* its supervisor runs */
	/* creating, starting, running, degraded, needs-attention or failed */
	const char *state;
	const char *reason;       /* why it is not running (in st or rt), or "" */
};

/* 0, or -1 with err when there is no such environment. Release it either way. */
int rt_status_load(struct rt_status *s, const char *state, const char *name, struct strbuf *err);
void rt_status_release(struct rt_status *s);

/* The documented document (README "status -o json"), "format": RT_STATUS_FORMAT. */
json_t *rt_status_json(const struct rt_status *s);
/* As text, the state words coloured when `f` is a terminal (lib/color.h). */
void rt_status_print(FILE *f, const struct rt_status *s);
/* The colour of a state word ("running", "degraded", "healthy", "backoff"...), or NULL. */
const char *rt_state_color(const char *word);

#endif
