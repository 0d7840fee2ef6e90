/*
 * PostgreSQL for the local runtime; see rt-pg.h.
 */
#include "rt-pg.h"
#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "strbuf.h"
#include "strv.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *pg_find_bindir(const char *version, struct strbuf *err)
{
	char *dir = xasprintf("/usr/lib/postgresql/%s/bin", version);
	const char *dirs[] = { dir, NULL };
	const struct program_search s = { .before = dirs, .no_path = 1 };
	char *postgres = find_program("postgres", &s);

	if (postgres) {
		free(postgres);
		return dir;
	}
	free(dir);
	strbuf_addf(err, "PostgreSQL %s is not installed (Debian package 'postgresql-%s')", version,
		    version);
	return NULL;
}

int pg_owner_get(struct pg_owner *o, struct strbuf *err)
{
	struct passwd *pw;

	memset(o, 0, sizeof(*o));
	if (geteuid() != 0)
		return 0;
	/* PostgreSQL refuses to run as root: use the account its package made */
	pw = getpwnam("postgres");
	if (!pw) {
		strbuf_addstr(err, "running as root, but there is no 'postgres' user to run "
				   "PostgreSQL as (Debian package 'postgresql-common' makes it)");
		return -1;
	}
	o->drop = 1;
	o->uid = pw->pw_uid;
	o->gid = pw->pw_gid;
	return 0;
}

static int chown_to(const char *path, const struct pg_owner *o, struct strbuf *err)
{
	if (o->drop && chown(path, o->uid, o->gid) < 0) {
		strbuf_addf(err, "cannot chown '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Run argv as the owner, output into log; on failure, the log's tail in err. */
static int run_as_owner(const char **argv, const struct pg_owner *o, const char *log,
			struct strbuf *err)
{
	struct child_process cp = CHILD_PROCESS_INIT;
	int status, fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		strbuf_addf(err, "cannot write '%s': %s", log, strerror(errno));
		return -1;
	}
	cp.argv = argv;
	cp.out = fd;
	cp.dir = "/";
	cp.drop_privileges = o->drop;
	cp.uid = o->uid;
	cp.gid = o->gid;
	cp.pdeathsig = SIGKILL;   /* an interrupted up leaves no initdb or cp running */
	if (start_command(&cp, err) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (finish_command(&cp, &status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		strbuf_addf(err, "'%s' failed; its last lines:\n", argv[0]);
		tail_file(log, 10, err);
		return -1;
	}
	return 0;
}

static int make_template(const char *tpl, const char *bindir, const struct pg_owner *o,
			 struct strbuf *err)
{
	char *tmp = xasprintf("%s.tmp.%d", tpl, (int)getpid());
	char *initdb = xasprintf("%s/initdb", bindir);
	char *log = xasprintf("%s.log", tpl);
	/*
	 * --no-sync: a template is rebuilt if lost; trust is replaced by the
	 * hba_file every instance is started with.
	 */
	const char *argv[] = { initdb, "-D", tmp, "-U", PG_SUPERUSER, "-A", "trust", "-E", "UTF8",
			       "--locale=C", "--no-sync", "--no-instructions", NULL };
	int ret = -1;

	rm_rf(tmp);
	if (mkdir(tmp, 0700) < 0) {
		strbuf_addf(err, "cannot make '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (chown_to(tmp, o, err) < 0 || run_as_owner(argv, o, log, err) < 0)
		goto out;
	if (rename(tmp, tpl) < 0) {
		strbuf_addf(err, "cannot rename '%s' to '%s': %s", tmp, tpl, strerror(errno));
		goto out;
	}
	unlink(log);
	ret = 0;
out:
	if (ret < 0)
		rm_rf(tmp);
	free(tmp);
	free(initdb);
	free(log);
	return ret;
}

char *pg_template(const char *cache_dir, const char *bindir, const char *version,
		  const struct pg_owner *o, int *made, struct strbuf *err)
{
	char *tpl = xasprintf("%s/postgres-%s", cache_dir, version);
	char *lock = xasprintf("%s.lock", tpl);
	int fd = -1;

	*made = 0;
	if (mkdir_p(cache_dir, 0711) < 0) {
		strbuf_addf(err, "cannot make '%s': %s", cache_dir, strerror(errno));
		goto fail;
	}
	if (is_dir(tpl))
		goto done;
	/* two first `up`s at once: one makes it, the other waits and reuses it */
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock '%s': %s", lock, strerror(errno));
		goto fail;
	}
	if (!is_dir(tpl)) {
		if (make_template(tpl, bindir, o, err) < 0)
			goto fail;
		*made = 1;
	}
done:
	if (fd >= 0)
		close(fd);
	free(lock);
	return tpl;
fail:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(tpl);
	return NULL;
}

int pg_clone(const char *tpl, const char *datadir, int standby, const struct pg_owner *o,
	     struct strbuf *err)
{
	/* cp -a keeps owner and modes; reflinks where the file system has them */
	const char *argv[] = { "cp", "-a", "--reflink=auto", tpl, datadir, NULL };
	const struct pg_owner as_us = { 0 };
	char *log = xasprintf("%s.cp.log", datadir);
	int ret = -1;

	if (run_as_owner(argv, &as_us, log, err) < 0)
		goto out;
	unlink(log);
	if (standby) {
		char *sig = xasprintf("%s/standby.signal", datadir);

		ret = write_file(sig, "", 0, 0600);
		if (!ret)
			ret = chown_to(sig, o, err);
		else
			strbuf_addf(err, "cannot write '%s': %s", sig, strerror(errno));
		free(sig);
		goto out;
	}
	ret = 0;
out:
	strbuf_rtrim(err);
	free(log);
	return ret;
}

int pg_write_hba(const char *path, const char *cidr, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	/* the socket directory is 0700: only the owner (and root) reach "local" */
	strbuf_addf(&sb,
		    "# written by provisioner: the local runtime's access rules\n"
		    "local all all trust\n"
		    "host replication %s %s scram-sha-256\n"
		    "host all all %s scram-sha-256\n",
		    PG_REPL_USER, cidr, cidr);
	ret = write_file_atomic(path, sb.buf, sb.len, 0644);
	if (ret < 0)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
	strbuf_release(&sb);
	return ret;
}

int pg_write_passfile(const char *path, const char *password, const struct pg_owner *o,
		      struct strbuf *err)
{
	char *line = xasprintf("*:*:replication:%s:%s\n", PG_REPL_USER, password);
	int ret = write_file_atomic(path, line, strlen(line), 0600);

	if (ret < 0)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
	else
		ret = chown_to(path, o, err);
	memset(line, 0, strlen(line));
	free(line);
	return ret;
}

char **pg_argv(const struct pg_instance *pi)
{
	struct strv sv = STRV_INIT;

	strv_push_take(&sv, xasprintf("%s/postgres", pi->bindir));
	strv_push(&sv, "-D");
	strv_push(&sv, pi->datadir);
	strv_push(&sv, "-k");
	strv_push(&sv, pi->sockdir);
	strv_pushf(&sv, "--listen_addresses=%s", pi->listen_addr);
	strv_pushf(&sv, "--port=%d", pi->port);
	strv_pushf(&sv, "--hba_file=%s", pi->hba_file);
	strv_pushf(&sv, "--cluster_name=%s", pi->name);
	/* small and quick: a throw-away stack on a CI runner, not a server */
	strv_push(&sv, "--shared_buffers=32MB");
	strv_push(&sv, "--max_connections=100");
	strv_push(&sv, "--wal_keep_size=256MB");
	strv_push(&sv, "--wal_retrieve_retry_interval=200ms");
	/* pg_rewind can then make an old primary a standby of the new one */
	strv_push(&sv, "--wal_log_hints=on");
	strv_push(&sv, "--log_line_prefix=%m [%p] %q%u@%d ");
	strv_push(&sv, "--log_destination=stderr");
	strv_push(&sv, "--logging_collector=off");
	if (pi->sync_standby)
		strv_pushf(&sv, "--synchronous_standby_names=\"%s\"", pi->sync_standby);
	if (pi->primary_host)
		strv_pushf(&sv, "--primary_conninfo=host=%s port=%d user=%s passfile=%s "
				"application_name=%s connect_timeout=2",
			   pi->primary_host, pi->primary_port, PG_REPL_USER, pi->passfile, pi->name);
	return strv_detach(&sv);
}

#define PROBE_TIMEOUT_MS 1000   /* a probe's query, on our side */

static PGconn *connect_socket(const char *sockdir, int port, const char *db, struct strbuf *err)
{
	char portbuf[16];
	const char *kw[] = { "host", "port", "dbname", "user", "connect_timeout", NULL };
	const char *val[] = { sockdir, portbuf, db, PG_SUPERUSER, "3", NULL };
	PGconn *c;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	c = PQconnectdbParams(kw, val, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		if (err)
			strbuf_addf(err, "cannot connect to PostgreSQL in '%s': %s", sockdir,
				    PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Run one statement; 0 or -1 with the server's message. */
static int exec_sql(PGconn *c, const char *sql, struct strbuf *err)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		strbuf_addf(err, "PostgreSQL: %s", PQresultErrorMessage(r));
	PQclear(r);
	strbuf_rtrim(err);
	return ok ? 0 : -1;
}

/* One scalar of a query with parameters; NULL on error. */
static char *query_value(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* CREATE ROLE if missing, then set its password from a verifier made here. */
static int ensure_role(PGconn *c, const char *role, const char *attrs, const char *password,
		       struct strbuf *err)
{
	const char *params[] = { role };
	char *exists = query_value(c, "SELECT count(*) FROM pg_roles WHERE rolname = $1", 1, params);
	char *ident = PQescapeIdentifier(c, role, strlen(role));
	char *verifier = PQencryptPasswordConn(c, password, role, "scram-sha-256");
	char *lit = verifier ? PQescapeLiteral(c, verifier, strlen(verifier)) : NULL;
	struct strbuf sql = STRBUF_INIT;
	int ret = -1;

	if (!exists || !ident || !lit) {
		strbuf_addf(err, "PostgreSQL: %s", PQerrorMessage(c));
		goto out;
	}
	if (!strcmp(exists, "0")) {
		strbuf_addf(&sql, "CREATE ROLE %s %s", ident, attrs);
		if (exec_sql(c, sql.buf, err) < 0)
			goto out;
		strbuf_reset(&sql);
	}
	strbuf_addf(&sql, "ALTER ROLE %s %s PASSWORD %s", ident, attrs, lit);
	ret = exec_sql(c, sql.buf, err);
out:
	free(exists);
	PQfreemem(ident);
	PQfreemem(verifier);
	PQfreemem(lit);
	strbuf_release(&sql);
	return ret;
}

int pg_bootstrap(const char *sockdir, int port, const char *database, const char *user,
		 const char *password, const char *repl_password, struct strbuf *err)
{
	PGconn *c = connect_socket(sockdir, port, "postgres", err);
	const char *params[] = { database };
	struct strbuf ignored = STRBUF_INIT;
	char *exists = NULL, *db = NULL, *owner = NULL;
	int ret = -1;

	if (!c)
		return -1;
	/* in synchronous mode the standby is not there yet: these must not wait for it */
	if (exec_sql(c, "SET synchronous_commit = local", err) < 0 ||
	    ensure_role(c, user, "LOGIN", password, err) < 0 ||
	    ensure_role(c, PG_REPL_USER, "LOGIN REPLICATION", repl_password, err) < 0)
		goto out;
	/* without it (contrib not installed) the lag is counted in transactions only */
	exec_sql(c, "CREATE EXTENSION IF NOT EXISTS pg_walinspect", &ignored);
	strbuf_release(&ignored);
	exists = query_value(c, "SELECT count(*) FROM pg_database WHERE datname = $1", 1, params);
	if (!exists) {
		strbuf_addf(err, "PostgreSQL: %s", PQerrorMessage(c));
		goto out;
	}
	if (!strcmp(exists, "0")) {
		struct strbuf sql = STRBUF_INIT;

		db = PQescapeIdentifier(c, database, strlen(database));
		owner = PQescapeIdentifier(c, user, strlen(user));
		strbuf_addf(&sql, "CREATE DATABASE %s OWNER %s", db, owner);
		ret = exec_sql(c, sql.buf, err);
		strbuf_release(&sql);
		goto out;
	}
	ret = 0;
out:
	free(exists);
	PQfreemem(db);
	PQfreemem(owner);
	PQfinish(c);
	return ret;
}

int pg_ping(const char *host, int port, int timeout_s)
{
	char portbuf[16], tbuf[16];
	/* our servers have no TLS: asking for it would only cost a round trip */
	const char *kw[] = { "host", "port", "dbname", "connect_timeout", "sslmode", NULL };
	const char *val[] = { host, portbuf, "postgres", tbuf, "disable", NULL };

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	snprintf(tbuf, sizeof(tbuf), "%d", timeout_s < 1 ? 1 : timeout_s);
	return PQpingParams(kw, val, 0) == PQPING_OK;
}

static int query_bool(const char *sockdir, int port, const char *sql, int n,
		      const char *const *params)
{
	PGconn *c = connect_socket(sockdir, port, "postgres", NULL);
	char *v;
	int ret;

	if (!c)
		return -1;
	v = query_value(c, sql, n, params);
	ret = !v ? -1 : !strcmp(v, "t");
	free(v);
	PQfinish(c);
	return ret;
}

uint64_t pg_lsn_parse(const char *s)
{
	unsigned long long hi, lo;
	char tail;

	if (!s || sscanf(s, "%llX/%llX%c", &hi, &lo, &tail) != 2)
		return 0;
	return (uint64_t)hi << 32 | (lo & 0xffffffffull);
}

/*
 * A query with a deadline on our side: a server frozen after it accepted
 * the connection would otherwise hold the caller for ever (its own
 * statement_timeout is frozen with it). NULL on timeout or error; the
 * connection is then only good for PQfinish.
 */
static PGresult *exec_timed(PGconn *c, const char *sql, int n, const char *const *params,
			    int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	PGresult *r, *last = NULL;

	if (!PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0))
		return NULL;
	for (;;) {
		while (PQisBusy(c)) {
			struct pollfd p = { .fd = PQsocket(c), .events = POLLIN };
			long long left = deadline - clock_ms();

			if (left <= 0 || poll(&p, 1, (int)left) <= 0 || !PQconsumeInput(c)) {
				PQclear(last);
				return NULL;
			}
		}
		r = PQgetResult(c);
		if (!r)
			return last;
		PQclear(last);
		last = r;
	}
}

/* Three columns of one row (lsn, xmax, anything) into pos; 0 or -1. */
static int query_position(const char *sockdir, int port, const char *sql, int n,
			  const char *const *params, struct pg_position *pos)
{
	PGconn *c = connect_socket(sockdir, port, "postgres", NULL);
	PGresult *r;
	int ret = -1;

	if (!c)
		return -1;
	r = exec_timed(c, sql, n, params, PROBE_TIMEOUT_MS);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 3) {
		pos->lsn = pg_lsn_parse(PQgetvalue(r, 0, 0));
		pos->xmax = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
		pos->streaming = !strcmp(PQgetvalue(r, 0, 2), "t");
		ret = 0;
	}
	PQclear(r);
	PQfinish(c);
	return ret;
}

int pg_primary_position(const char *sockdir, int port, const char *standby,
			struct pg_position *pos)
{
	const char *params[] = { standby };

	return query_position(sockdir, port,
			      "SELECT pg_current_wal_lsn()::text, "
			      "pg_snapshot_xmax(pg_current_snapshot())::text, "
			      "EXISTS (SELECT 1 FROM pg_stat_replication "
			      "WHERE application_name = $1 AND state = 'streaming')", 1, params, pos);
}

int pg_standby_position(const char *sockdir, int port, struct pg_position *pos)
{
	return query_position(sockdir, port,
			      "SELECT coalesce(pg_last_wal_replay_lsn(), '0/0')::text, "
			      "pg_snapshot_xmax(pg_current_snapshot())::text, pg_is_in_recovery()",
			      0, NULL, pos);
}

int pg_writes_since(const char *sockdir, int port, uint64_t from, int64_t *writes)
{
	PGconn *c = connect_socket(sockdir, port, "postgres", NULL);
	char lsn[40];
	const char *params[] = { lsn };
	PGresult *r;
	int ret = -1;

	if (!c)
		return -1;
	snprintf(lsn, sizeof(lsn), "%X/%X", (unsigned)(from >> 32), (unsigned)from);
	/* a long lag is a long scan: better no count than a stuck probe */
	r = exec_timed(c, "SELECT count(*) FROM pg_get_wal_records_info($1::pg_lsn, "
		       "pg_current_wal_flush_lsn()) WHERE resource_manager = 'Heap' "
		       "AND record_type ~ '^(HOT_)?(INSERT|UPDATE|DELETE)' "
		       "AND substring(block_ref FROM 'rel [0-9]+/[0-9]+/([0-9]+)')::bigint >= 16384",
		       1, params, PROBE_TIMEOUT_MS);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*writes = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		ret = 0;
	}
	PQclear(r);
	PQfinish(c);
	return ret;
}

static int append_setting(const struct pg_rebuild *r, const char *line, struct strbuf *err)
{
	char *conf = path_join(r->datadir, "postgresql.auto.conf");
	int ret = append_file(conf, line, strlen(line), 0600);

	if (ret < 0)
		strbuf_addf(err, "cannot write '%s': %s", conf, strerror(errno));
	else
		ret = chown_to(conf, r->owner, err);
	free(conf);
	return ret;
}

/* Make r->datadir a standby: standby.signal, and primary_conninfo in postgresql.auto.conf. */
static int standby_config(const struct pg_rebuild *r, struct strbuf *err)
{
	char *sig = path_join(r->datadir, "standby.signal");
	char *line = xasprintf("primary_conninfo = '%s'\n", r->conninfo);
	int ret = -1;

	if (write_file(sig, "", 0, 0600) < 0)
		strbuf_addf(err, "cannot write '%s': %s", sig, strerror(errno));
	else if (chown_to(sig, r->owner, err) == 0)
		ret = append_setting(r, line, err);
	free(sig);
	free(line);
	return ret;
}

int pg_rebuild_standby(const struct pg_rebuild *r, const char **how, struct strbuf *err)
{
	char *rewind = xasprintf("%s/pg_rewind", r->bindir);
	char *basebackup = xasprintf("%s/pg_basebackup", r->bindir);
	char *source = xasprintf("host=%s port=%d user=%s dbname=postgres", r->source_sockdir,
				 r->source_port, PG_SUPERUSER);
	char *log = xasprintf("%s.rewind.log", r->datadir);
	char *bblog = xasprintf("%s.basebackup.log", r->datadir);
	const char *rw[] = { rewind, "-D", r->datadir, "--source-server", source, NULL };
	const char *rm[] = { "rm", "-rf", r->datadir, NULL };
	const char *bb[] = { basebackup, "-D", r->datadir, "-d", r->backup_conninfo, "-X", "stream",
			     "-c", "fast", NULL };
	const struct pg_owner as_us = { 0 };
	struct strbuf why = STRBUF_INIT;
	PGconn *c;
	int ret = -1;

	*how = "pg_rewind";
	/* the promotion's timeline must be in the source's control file for pg_rewind to see it */
	if ((c = connect_socket(r->source_sockdir, r->source_port, "postgres", err))) {
		exec_sql(c, "CHECKPOINT", err);
		PQfinish(c);
	}
	strbuf_reset(err);
	/*
	 * pg_rewind first recovers a primary that was killed in single-user
	 * mode, which does not get the command line: wal_log_hints must be in
	 * its configuration, or that run records it off and pg_rewind refuses.
	 */
	if (append_setting(r, "wal_log_hints = on\n", &why) < 0 ||
	    run_as_owner(rw, r->owner, log, &why) < 0) {
		/* no common history it can rewind: copy it all again */
		*how = "pg_basebackup";
		if (run_as_owner(rm, &as_us, bblog, err) < 0 ||
		    run_as_owner(bb, r->owner, bblog, err) < 0) {
			strbuf_addf(err, "\n(pg_rewind: %s)", why.buf);
			goto out;
		}
	}
	ret = standby_config(r, err);
out:
	strbuf_rtrim(err);
	strbuf_release(&why);
	free(rewind);
	free(basebackup);
	free(source);
	free(log);
	free(bblog);
	return ret;
}

int pg_in_recovery(const char *sockdir, int port)
{
	return query_bool(sockdir, port, "SELECT pg_is_in_recovery()", 0, NULL);
}

int pg_promote(const char *sockdir, int port, struct strbuf *err)
{
	PGconn *c = connect_socket(sockdir, port, "postgres", err);
	char *v;
	int ret = -1;

	if (!c)
		return -1;
	v = query_value(c, "SELECT pg_promote(true, 30)", 0, NULL);
	if (!v)
		strbuf_addf(err, "cannot promote: %s", PQerrorMessage(c));
	else if (strcmp(v, "t"))
		strbuf_addstr(err, "cannot promote: the standby did not finish recovery within 30 s");
	else
		ret = 0;
	strbuf_rtrim(err);
	free(v);
	PQfinish(c);
	return ret;
}
