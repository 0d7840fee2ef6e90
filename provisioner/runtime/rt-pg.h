/*
 * PostgreSQL for the local runtime: a cached initdb template per major
 * version, clusters cloned from it (a primary, and a streaming replica
 * cloned from the same cold template, so both share one system
 * identifier and need no pg_basebackup), the bootstrap of roles and the
 * database, health probes and promotion.
 *
 * Every per-instance setting (addresses, ports, socket directory, the
 * pg_hba file, replication) is given on the postgres command line, so a
 * clone is the template byte for byte plus, for a replica, standby.signal.
 * Nothing here prints; errors go to the caller's strbuf.
 */
#ifndef PROVISIONER_RT_PG_H
#define PROVISIONER_RT_PG_H

#include <stdint.h>
#include <sys/types.h>

struct strbuf;

/* Who owns and runs the clusters: the "postgres" user as root, else us. */
struct pg_owner {
	int drop;            /* run initdb/postgres as uid/gid */
	uid_t uid;
	gid_t gid;
};

struct pg_instance {
	const char *bindir;       /* /usr/lib/postgresql/15/bin */
	const char *datadir;
	const char *sockdir;      /* unix socket directory, mode 0700 */
	const char *hba_file;
	const char *listen_addr;
	int port;
	const char *name;         /* cluster_name and application_name: "db-replica" */
	/* a replica: where its primary is, and the passfile for replication */
	const char *primary_host;
	int primary_port;
	const char *passfile;
	/* a primary in synchronous mode: the standby it waits for, or NULL */
	const char *sync_standby;
};

#define PG_SUPERUSER "postgres"
#define PG_REPL_USER "replicator"

/* The server binaries of `version` ("15"), or NULL with the package to install. */
char *pg_find_bindir(const char *version, struct strbuf *err);

/* The owner to use: the "postgres" user when we are root. -1 when root and there is none. */
int pg_owner_get(struct pg_owner *o, struct strbuf *err);

/*
 * The template for `version` under cache_dir ("<cache>/postgres-15"),
 * made by initdb the first time (under a lock, into a temporary
 * directory renamed into place) and reused afterwards. *made tells
 * whether this call made it (a cold start).
 */
char *pg_template(const char *cache_dir, const char *bindir, const char *version,
		  const struct pg_owner *o, int *made, struct strbuf *err);

/* Clone the template into datadir (which must not exist); standby: add standby.signal. */
int pg_clone(const char *tpl, const char *datadir, int standby, const struct pg_owner *o,
	     struct strbuf *err);

/* Write the pg_hba file: local trust (socket dir is private), scram from `cidr`. */
int pg_write_hba(const char *path, const char *cidr, struct strbuf *err);

/* A replica's passfile ("*:*:replication:replicator:<password>"), mode 0600, owned by o. */
int pg_write_passfile(const char *path, const char *password, const struct pg_owner *o,
		      struct strbuf *err);

/* argv for the postmaster in the foreground; free with strv_free(). */
char **pg_argv(const struct pg_instance *pi);

/*
 * Roles and database (and pg_walinspect in "postgres", for
 * pg_writes_since), through the primary's socket as the superuser;
 * idempotent. Passwords are sent as SCRAM verifiers made on our side,
 * so the server never sees (or logs) them in clear.
 */
int pg_bootstrap(const char *sockdir, int port, const char *database, const char *user,
		 const char *password, const char *repl_password, struct strbuf *err);

/* 1 the server accepts connections, 0 it does not (yet), at host:port or a socket dir. */
int pg_ping(const char *host, int port, int timeout_s);


/*
 * Where a server is: its WAL position (a primary's current one, a
 * standby's replayed one) and the xmax of its snapshot (one past the
 * latest transaction that ended there, which a standby advances as it
 * replays), and for a primary whether the standby `name` is streaming.
 */
struct pg_position {
	uint64_t lsn;
	uint64_t xmax;
	int streaming;
};

/* Of the primary behind sockdir:port (standby: the one to look for); 0 or -1. */
int pg_primary_position(const char *sockdir, int port, const char *standby,
			struct pg_position *pos);
/* Of the standby behind sockdir:port; 0 or -1. */
int pg_standby_position(const char *sockdir, int port, struct pg_position *pos);
/*
 * How many rows were written (heap inserts, updates, deletes of relations
 * made by users, not the catalogs: what clients wrote, not autovacuum's
 * or ANALYZE's bookkeeping) in the WAL of the primary behind sockdir:port
 * from `from` to its flushed end, read with pg_walinspect (made by
 * pg_bootstrap). 0, or -1 when it cannot tell (no extension, a scan
 * longer than 1 s).
 */
int pg_writes_since(const char *sockdir, int port, uint64_t from, int64_t *writes);
/* "16/B374D848" as a number; 0 when it is not one. */
uint64_t pg_lsn_parse(const char *s);

/*
 * An old primary made a standby of the new one (re-protection after a
 * failover): its data directory rewound with pg_rewind from the new
 * primary (as the superuser, through its socket), else removed and copied
 * again with pg_basebackup (backup_conninfo: a replication connection);
 * then standby.signal and primary_conninfo = conninfo. The programs run as
 * owner (who owns the data directory); their output is in
 * "<datadir>.rewind.log" and "<datadir>.basebackup.log". *how: which one
 * made it.
 */
struct pg_rebuild {
	const char *bindir, *datadir;
	const char *source_sockdir;
	int source_port;
	const char *backup_conninfo;
	const char *conninfo;
	const struct pg_owner *owner;
};
int pg_rebuild_standby(const struct pg_rebuild *r, const char **how, struct strbuf *err);

/* Is the server behind sockdir:port in recovery (a standby)? 1, 0, -1. */
int pg_in_recovery(const char *sockdir, int port);

/* Promote the standby behind sockdir:port and wait until it is a primary. */
int pg_promote(const char *sockdir, int port, struct strbuf *err);

#endif
