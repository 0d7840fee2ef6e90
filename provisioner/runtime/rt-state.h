/*
 * The local runtime's two documents as C types, each with one encoder and
 * one decoder (tables for lib/ydecode):
 *
 *   state.json    struct rt_state: what `up` planned and made. Written by
 *                 up (rt-plan builds it), read by the supervisor, status,
 *                 down, gc, list and the pool.
 *   runtime.json  struct rt_runtime: what the supervisor sees (pids,
 *                 health, roles). Written by the supervisor, which also
 *                 answers "status" on its socket with it.
 *
 * README.md ("State files") documents every key. Each document says what
 * it is and its major version: "format": "provisioner-state/1" (or
 * "provisioner-runtime/1") and "version": 1. A decoder refuses another
 * format or a major version it does not know; a document without either
 * (written before they existed) is version 1. Unknown keys and wrong
 * types are errors naming file:line:column. A missing optional key takes
 * the default the schema's init gives; no reader applies defaults of its
 * own.
 *
 * Ownership: every struct owns its strings and arrays; rt_state_release()
 * and rt_runtime_release() free them (not the struct itself). Lists keep
 * the order they were planned in.
 */
#ifndef PROVISIONER_RT_STATE_H
#define PROVISIONER_RT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "rt-net.h"
#include "ydecode.h"

struct strbuf;

#define RT_STATE_FORMAT "provisioner-state"
#define RT_STATE_VERSION 1
#define RT_RUNTIME_FORMAT "provisioner-runtime"
#define RT_RUNTIME_VERSION 2

/* Element i of a list in these documents. */
#define RT_AT(arr, type, i) ((type *)yarray_at(&(arr), sizeof(type), (i)))

/* how far `up` got, or that a `down` is removing it */
enum rt_phase { RT_CREATING, RT_STARTING, RT_RUNNING, RT_STOPPING };
enum rt_mode { RT_LOOPBACK, RT_NETNS };
enum rt_kind { RT_KIND_DATASTORE, RT_KIND_SERVICE, RT_KIND_GATEWAY };
enum rt_role { RT_ROLE_PRIMARY, RT_ROLE_REPLICA };
/* a process as the supervisor sees it */
enum rt_pstate { RT_P_WAITING, RT_P_RUNNING, RT_P_BACKOFF, RT_P_STOPPED, RT_P_FENCED };
enum rt_sv_phase { RT_SV_RUNNING, RT_SV_STOPPING };

extern const char *const rt_phase_names[];
extern const char *const rt_mode_names[];
extern const char *const rt_pstate_names[];

/* ---- state.json ---- */

/* An HTTP check: a GET of `url` that must answer 2xx (values resolved by the plan). */
struct rt_check {
	char *url;
	int interval_ms, timeout_ms;
	int failures;            /* in a row before a liveness check restarts it */
};

struct rt_user {                 /* whom a process runs as */
	int64_t uid, gid;
};

/* The environment's own unprivileged user and group (rt-account.h). */
struct rt_account {
	char *name;              /* "pv-61190" */
	int64_t uid, gid;
};

struct rt_secret {               /* a variable whose value is read from a file at start */
	char *var, *file;
};

struct rt_pg {                   /* a PostgreSQL member */
	int role;                /* enum rt_role, as planned; the supervisor's view may differ */
	char *host;
	int port;
	char *sockdir;
	char *datastore;
};

struct rt_proc {
	char *name;              /* "api-primary-0", "db-replica", "gateway" */
	int kind;                /* enum rt_kind */
	char *group;             /* its service or datastore: what depends_on names */
	char *region;            /* region key, or "gateway" */
	char *netns;             /* NULL: the host's */
	char *dir;               /* working directory */
	char *log;
	char **argv, **env;      /* env: "KEY=value", never a secret */
	struct yarray secrets;   /* struct rt_secret */
	char **depends_on;       /* groups that must be ready first */
	struct rt_user *user;    /* NULL: run as we are */
	struct rt_check *health; /* NULL: none; failing restarts it */
	struct rt_check *ready;  /* NULL: none; failing only takes it out */
	int stop_signal;         /* default SIGTERM */
	struct rt_pg *pg;        /* NULL unless a PostgreSQL member */
};

/* A service replica or datastore member: where it listens. */
struct rt_endpoint {
	char *name;              /* its process */
	int role;                /* members only: enum rt_role */
	char *region;
	char *addr;
	int port;
};

struct rt_service {
	char *name;
	int port;                /* as defined; replicas may differ */
	struct yarray replicas;  /* struct rt_endpoint */
};

struct rt_datastore {
	char *name, *engine, *version, *mode;   /* mode: "async" or "sync" */
	char *database, *username;
	char *password_file, *replication_password_file;
	char *primary;           /* member names as planned */
	char *replica;           /* NULL: none */
	struct yarray members;   /* struct rt_endpoint, the primary first */
};

struct rt_gateway {
	char *url, *addr;
	int port;
	int tls;
	char *auth;              /* "none", "basic", "bearer" */
	char *ca_file;           /* NULL without TLS */
	char *username;          /* NULL unless basic */
	char *password_file;     /* NULL without authentication */
	char *conf;              /* nginx's configuration */
};

struct rt_failover {
	int automatic;
	int64_t after_ms;
	int64_t rpo_ms;          /* default 0: a promotion may lose no transaction */
};

struct rt_state {
	char *format;
	int version;
	char *name;
	int state;               /* enum rt_phase */
	char *platform, *tier;
	char *branch, *commit;   /* NULL when unknown */
	char *definition;        /* the definition's absolute path */
	int64_t created, expires;   /* seconds since the epoch; expires 0: never */
	int mode;                /* enum rt_mode */
	int index;               /* from the pool (rt-addr.h) */
	int64_t uid;             /* who made it */
	struct rt_account *account;   /* NULL: none (without root its processes run as we do) */
	char *rundir;            /* <state>/run/<index> */
	char *socket;            /* the supervisor's control socket */
	struct rt_failover failover;
	struct rt_net net;       /* empty on loopback */
	struct rt_gateway *gateway;   /* NULL: no routes, no gateway */
	struct yarray datastores;     /* struct rt_datastore */
	struct yarray services;       /* struct rt_service */
	struct yarray processes;      /* struct rt_proc, in start order */
};

void rt_state_init(struct rt_state *st);
void rt_state_release(struct rt_state *st);
/* A new process at the end of st->processes, with its defaults (the array may move). */
struct rt_proc *rt_state_add_proc(struct rt_state *st);

/* `len` bytes of JSON named `file` (for messages) into an initialised `st`; 0 or -1 with err. */
int rt_state_decode(struct rt_state *st, const char *text, size_t len, const char *file,
		    struct strbuf *err);
/* The document: indented, keys sorted, ending in a newline. */
char *rt_state_encode(const struct rt_state *st);

/*
 * <envdir>/state.json into `st` (initialised here). 0 loaded; 1 there is
 * none; -1 it cannot be read or decoded, with err. `st` is to be released
 * in every case.
 */
int rt_state_load(struct rt_state *st, const char *envdir, struct strbuf *err);
/* Written atomically. */
int rt_state_save(const struct rt_state *st, const char *envdir, struct strbuf *err);

/* ---- runtime.json ---- */

struct rt_proc_now {
	char *name;
	int pid;                 /* 0: not running */
	int64_t start_time;      /* of pid, in clock ticks after boot (run-command.h) */
	int state;               /* enum rt_pstate */
	int healthy;             /* running and its checks pass */
	int restarts;
	char *last_exit;         /* "exit code 3", "killed by signal 9 (Killed)", or "" */
	char *check_error;       /* why its last check failed ("GET /healthz answered 404"), or "" */
};

/*
 * How far a replica is behind its primary, from the supervisor's probes:
 * the primary's WAL position and transaction horizon (pg_current_wal_lsn,
 * the xmax of its snapshot), last seen, against the replica's replay
 * position and horizon (pg_last_wal_replay_lsn). A frozen or unreachable
 * primary is not asked: its last sample stands, so the estimate is a lower
 * bound by what it wrote since (at most one probe interval while it still
 * answered).
 */
struct rt_lag {
	int64_t bytes;           /* of WAL not replayed */
	int64_t ms;              /* since the replica last had every write; 0: it has */
	int64_t transactions;    /* ended on the primary, not on the replica */
	/*
	 * rows clients wrote that the replica lacks: user relations' heap
	 * records in the WAL between the two (pg_walinspect), else the
	 * transactions; what a promotion drops, and what failover.rpo 0 needs
	 * to be 0
	 */
	int64_t writes;
	int streaming;           /* the primary last listed it as streaming */
};

/* One promotion, as the supervisor recorded it. */
struct rt_promotion {
	int64_t time;            /* seconds since the epoch */
	char *from, *to;         /* the fenced primary, the promoted replica */
	char *reason;            /* "db-primary unreachable for 5012 ms by 2 of 3 observers" */
	int64_t detected_ms;     /* how long the primary had been unreachable (0: requested) */
	int64_t promoted_ms;     /* fence and promote */
	struct rt_lag lag;       /* the replica's lag then: lag.writes were dropped */
	int accepted_data_loss;  /* a person accepted the loss (`failover --accept-data-loss`) */
};

/* A datastore the supervisor will not fail over on its own: a person must decide. */
struct rt_attention {
	char *reason;
	int64_t since;           /* seconds since the epoch */
	struct rt_lag loss;      /* what promoting the replica now would lose */
};

struct rt_datastore_now {
	char *name;
	char *primary, *replica; /* current roles; NULL: none (after a failover, no replica) */
	int failovers;
	struct rt_promotion *last_failover;  /* NULL: none yet */
	int bootstrapped;        /* roles and database made on the primary */
	struct rt_lag lag;       /* the replica's, now */
	char *replay_lsn;        /* the replica's replay position ("0/3000148"), or NULL */
	struct rt_attention *attention;      /* NULL: none needed */
	char *degraded;          /* why it has no working replica, or NULL (re-protection) */
};

struct rt_supervisor_now {
	int pid;
	int64_t start_time;
	/* how what it starts is kept together: "cgroup" or "process-group"; NULL: unknown */
	char *containment;
	char *cgroup;            /* the environment's cgroup, or NULL */
};

struct rt_runtime {
	char *format;
	int version;
	struct rt_supervisor_now supervisor;
	int phase;               /* enum rt_sv_phase */
	int healthy;             /* every process (but a fenced one) healthy */
	int64_t updated;         /* seconds since the epoch */
	struct yarray processes; /* struct rt_proc_now, by name */
	struct yarray datastores;/* struct rt_datastore_now, by name */
};

void rt_runtime_init(struct rt_runtime *rt);
void rt_runtime_release(struct rt_runtime *rt);
int rt_runtime_decode(struct rt_runtime *rt, const char *text, size_t len, const char *file,
		      struct strbuf *err);
/* indent: as the file is written; else on one line (the socket's answer) */
char *rt_runtime_encode(const struct rt_runtime *rt, int indent);
/* As rt_state_load and rt_state_save, for <envdir>/runtime.json. */
int rt_runtime_load(struct rt_runtime *rt, const char *envdir, struct strbuf *err);
int rt_runtime_save(const struct rt_runtime *rt, const char *envdir, struct strbuf *err);

/* Lookups by name; NULL when there is none. */
const struct rt_proc_now *rt_runtime_proc(const struct rt_runtime *rt, const char *name);
const struct rt_datastore_now *rt_runtime_datastore(const struct rt_runtime *rt,
						    const char *name);

#endif
