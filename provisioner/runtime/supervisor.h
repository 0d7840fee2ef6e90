/*
 * The supervisor: one detached process per environment that starts the
 * processes state.json lists in dependency order, checks their health
 * (HTTP with libcurl, PostgreSQL with libpq), restarts what dies or stops
 * answering (with backoff), carries out automatic failover of datastores,
 * keeps runtime.json current and answers on a control socket:
 *
 *   status            runtime.json's content, fresh
 *   stop              stop everything (reverse order) and exit
 *   restart NAME      kill NAME; it is restarted as if it had died
 *   failover NAME     promote datastore NAME's replica now (a drill)
 *
 * It runs as `provisioner supervise NAME`, started by `up`; people do not
 * run it themselves.
 */
#ifndef PROVISIONER_SUPERVISOR_H
#define PROVISIONER_SUPERVISOR_H

/* Run the supervisor of environment `name` under state dir `state`; returns the exit code. */
int supervisor_main(const char *state, const char *name);

#endif
