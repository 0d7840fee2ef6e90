/*
 * Unit tests for the local runtime's state documents (rt-state.h):
 * state.json and runtime.json round trip byte for byte through their one
 * encoder and decoder; a misspelled key, a wrong type and an unknown
 * version are errors that say where; a missing optional key takes its
 * default. And the address scheme (rt-addr.h).
 */
#include "fsutil.h"
#include "rt-addr.h"
#include "rt-state.h"
#include "strbuf.h"
#include "strv.h"
#include "tap.h"
#include "xalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **strv_of(const char *a, const char *b)
{
	struct strv sv = STRV_INIT;

	if (a)
		strv_push(&sv, a);
	if (b)
		strv_push(&sv, b);
	return strv_detach(&sv);
}

static struct rt_check *check_of(const char *url)
{
	struct rt_check *c = xcalloc(1, sizeof(*c));

	c->url = xstrdup(url);
	c->interval_ms = 1000;
	c->timeout_ms = 500;
	c->failures = 2;
	return c;
}

static void add_endpoint(struct yarray *list, const char *name, int role, const char *region,
			 int host, int port)
{
	struct rt_endpoint *e = yarray_push(list, sizeof(*e));

	e->name = xstrdup(name);
	e->role = role;
	e->region = xstrdup(region);
	e->addr = rt_addr(1, 7, host);
	e->port = port;
}

static void add_net(struct rt_state *st)
{
	static const char *const regions[] = { "gateway", "primary", "secondary" };

	st->net.bridge = xstrdup("pv7br");
	st->net.bridge_addr = rt_addr(1, 7, RT_HOST_BRIDGE);
	st->net.prefix = RT_PREFIX;
	st->net.nft_table = xstrdup("pv_7");
	for (int i = 0; i < 3; i++) {
		struct rt_ns *ns = yarray_push(&st->net.ns_list, sizeof(*ns));

		ns->name = xasprintf("pv-t-%s", regions[i]);
		ns->veth = xasprintf("pv7n%d", i);
		ns->addr = rt_addr(1, 7, i ? RT_HOST_REGION + i - 1 : RT_HOST_GATEWAY);
		ns->region = xstrdup(regions[i]);
		ns->hosts = xstrdup("127.0.0.1 localhost\n");
	}
}

static void add_gateway(struct rt_state *st)
{
	struct rt_gateway *g = st->gateway = xcalloc(1, sizeof(*g));

	g->url = xstrdup("http://10.213.7.2");
	g->addr = rt_addr(1, 7, RT_HOST_GATEWAY);
	g->port = 80;
	g->auth = xstrdup("none");   /* so: no CA, user or password file (null) */
	g->conf = xstrdup("/s/envs/t/gateway/nginx.conf");
}

static void add_datastore(struct rt_state *st)
{
	struct rt_datastore *d = yarray_push(&st->datastores, sizeof(*d));
	struct rt_proc *p = rt_state_add_proc(st);

	d->name = xstrdup("db");
	d->engine = xstrdup("postgres");
	d->version = xstrdup("15");
	d->mode = xstrdup("async");
	d->database = xstrdup("obs");
	d->username = xstrdup("obs");
	d->password_file = xstrdup("/s/envs/t/secrets/db.password");
	d->replication_password_file = xstrdup("/s/envs/t/secrets/db.replication.password");
	d->primary = xstrdup("db-primary");
	add_endpoint(&d->members, "db-primary", RT_ROLE_PRIMARY, "primary", 10, 5432);
	p->name = xstrdup("db-primary");
	p->kind = RT_KIND_DATASTORE;
	p->group = xstrdup("db");
	p->region = xstrdup("primary");
	p->log = xstrdup("/s/envs/t/logs/db-primary.log");
	p->argv = strv_of("/usr/lib/postgresql/15/bin/postgres", "-D");
	p->stop_signal = SIGQUIT;
	p->user = xcalloc(1, sizeof(*p->user));
	p->user->uid = 101;
	p->user->gid = 104;
	p->pg = xcalloc(1, sizeof(*p->pg));
	p->pg->host = rt_addr(1, 7, RT_HOST_REGION);
	p->pg->port = 5432;
	p->pg->sockdir = xstrdup("/s/run/7/db-primary");
	p->pg->datastore = xstrdup("db");
}

static void add_service(struct rt_state *st)
{
	struct rt_service *s = yarray_push(&st->services, sizeof(*s));
	struct rt_proc *p = rt_state_add_proc(st);
	struct rt_secret *sec;

	s->name = xstrdup("api");
	s->port = 8080;
	add_endpoint(&s->replicas, "api-primary-0", 0, "primary", 10, 8080);
	p->name = xstrdup("api-primary-0");
	p->kind = RT_KIND_SERVICE;
	p->group = xstrdup("api");
	p->region = xstrdup("primary");
	p->netns = xstrdup("pv-t-primary");
	p->dir = xstrdup("/");
	p->log = xstrdup("/s/envs/t/logs/api-primary-0.log");
	p->argv = strv_of("/usr/bin/obsd", "--listen");
	p->env = strv_of("PORT=8080", "WEIRD=tab\there \"quoted\" \\ ünïcode");
	p->depends_on = strv_of("db", NULL);
	sec = yarray_push(&p->secrets, sizeof(*sec));
	sec->var = xstrdup("PGPASSWORD");
	sec->file = xstrdup("/s/envs/t/secrets/db.password");
	p->health = check_of("http://10.213.7.10:8080/healthz");
	p->ready = check_of("http://10.213.7.10:8080/readyz");
}

static void make_state(struct rt_state *st)
{
	rt_state_init(st);
	st->name = xstrdup("t");
	st->state = RT_STARTING;
	st->platform = xstrdup("obs");
	st->tier = xstrdup("test");
	st->commit = xstrdup("0123abc");     /* and no branch: null */
	st->definition = xstrdup("/src/envs/test.yaml");
	st->created = 1795000000;
	st->expires = 1795014400;
	st->mode = RT_NETNS;
	st->index = 7;
	st->rundir = xstrdup("/s/run/7");
	st->socket = xstrdup("/s/run/7/supervisor.sock");
	st->failover.automatic = 1;
	st->failover.after_ms = 2000;
	add_net(st);
	add_gateway(st);
	add_datastore(st);
	add_service(st);
}

static void make_runtime(struct rt_runtime *rt)
{
	struct rt_proc_now *p;
	struct rt_datastore_now *d;

	rt_runtime_init(rt);
	rt->supervisor.pid = 4236;
	rt->supervisor.start_time = 114016;
	rt->healthy = 1;
	rt->updated = 1795000100;
	p = yarray_push(&rt->processes, sizeof(*p));
	p->name = xstrdup("db-primary");
	p->pid = 4238;
	p->start_time = 114042;
	p->state = RT_P_RUNNING;
	p->healthy = 1;
	p->last_exit = xstrdup("");
	p = yarray_push(&rt->processes, sizeof(*p));
	p->name = xstrdup("api-primary-0");
	p->state = RT_P_BACKOFF;
	p->restarts = 3;
	p->last_exit = xstrdup("exit code 3");
	d = yarray_push(&rt->datastores, sizeof(*d));
	d->name = xstrdup("db");
	d->primary = xstrdup("db-primary");   /* and no replica: null */
	d->bootstrapped = 1;
	d->last_failover = xcalloc(1, sizeof(*d->last_failover));
	d->last_failover->from = xstrdup("db-replica");
	d->last_failover->to = xstrdup("db-primary");
	d->last_failover->reason = xstrdup("requested");
	d->last_failover->lag.transactions = 12;
	d->last_failover->accepted_data_loss = 1;
}

/* `text` with its first `from` replaced by `to` (which must be there). */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	struct strbuf sb = STRBUF_INIT;

	if (!at)
		tap_diag("'%s' is not in the document", from);
	if (!at)
		return xstrdup(text);
	strbuf_add(&sb, text, (size_t)(at - text));
	strbuf_addstr(&sb, to);
	strbuf_addstr(&sb, at + strlen(from));
	return strbuf_detach(&sb, NULL);
}

/* The line of the message in `errors` ("FILE:LINE:COL: msg" lines) that holds `what`; 0 if none. */
static int error_line(const char *errors, const char *what)
{
	const char *at = strstr(errors, what), *start;
	int line = 0, col = 0;

	if (!at)
		return 0;
	for (start = at; start > errors && start[-1] != '\n'; start--)
		;
	start = strchr(start, ':');
	if (!start || sscanf(start, ":%d:%d:", &line, &col) != 2 || col < 1)
		return 0;
	return line;
}

/* Does the error say `what`? If not, show it. */
static int says(const struct strbuf *err, const char *what)
{
	if (strstr(err->buf, what))
		return 1;
	tap_diag("the error does not say \"%s\":\n%s", what, err->buf);
	return 0;
}

/* 0 as wanted, or the error shown. */
static int worked(int rc, const struct strbuf *err)
{
	if (rc)
		tap_diag("%s", err->buf);
	return rc == 0;
}

/* Decode an edited state document: 0 or -1, the message in err. */
static int decode_state(struct rt_state *st, const char *text, struct strbuf *err)
{
	strbuf_reset(err);
	rt_state_init(st);
	return rt_state_decode(st, text, strlen(text), "state.json", err);
}

static void test_state_round_trip(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_state st, back;
	char *one, *two;

	make_state(&st);
	one = rt_state_encode(&st);
	rt_state_init(&back);
	tap_ok(worked(rt_state_decode(&back, one, strlen(one), "state.json", &err), &err),
	       "state.json decodes what it encodes");
	two = rt_state_encode(&back);
	if (!tap_is_str(two, one, "encode, decode, encode: byte-identical"))
		tap_diag("first:\n%s", one);
	tap_ok(strstr(one, "\"format\": \"provisioner-state/1\"") && strstr(one, "\"version\": 1"),
	       "it says what it is and its version");
	tap_ok(strstr(one, "\"branch\": null") && strstr(one, "\"ca_file\": null"),
	       "unset strings that readers expect are null");
	tap_ok(strstr(one, "\"stop_signal\": 3") && !strstr(one, "\"stop_signal\": 15"),
	       "a stop signal is written only when it is not the default");
	tap_ok(back.processes.nr == 2 && RT_AT(back.processes, struct rt_proc, 1)->stop_signal ==
	       SIGTERM, "and read back as the default");
	tap_ok(back.net.nr_ns == 3 && !strcmp(back.net.ns[2].addr, "10.213.7.11") &&
	       !strcmp(back.net.ns[2].region, "secondary"), "the network is a struct rt_net");
	tap_ok(!strcmp(RT_AT(back.processes, struct rt_proc, 1)->env[1],
		       "WEIRD=tab\there \"quoted\" \\ ünïcode"), "escapes and UTF-8 survive");
	free(one);
	free(two);
	rt_state_release(&back);

	st.mode = RT_LOOPBACK;
	rt_net_release(&st.net);
	one = rt_state_encode(&st);
	tap_ok(strstr(one, "\"net\": {}") != NULL, "on loopback the network is an empty object");
	rt_state_init(&back);
	rt_state_decode(&back, one, strlen(one), "state.json", &err);
	two = rt_state_encode(&back);
	tap_is_str(two, one, "and round trips too");
	free(one);
	free(two);
	rt_state_release(&back);
	rt_state_release(&st);
	strbuf_release(&err);
}

static void test_state_errors(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_state st;
	char *text, *bad;

	make_state(&st);
	text = rt_state_encode(&st);
	rt_state_release(&st);

	bad = edit(text, "\"rundir\"", "\"rundri\"");
	tap_is_int(decode_state(&st, bad, &err), -1, "a misspelled key is an error");
	tap_ok(says(&err, "unknown key 'rundri' (did you mean 'rundir'?)") &&
	       error_line(err.buf, "unknown key 'rundri'") > 1, "with its position and the key meant");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"index\": 7", "\"index\": \"7\"");
	tap_is_int(decode_state(&st, bad, &err), -1, "a string for a number is an error");
	tap_ok(says(&err, "state.json:47:12: invalid value for 'index': expected an integer, "
			  "got the string '7'"), "saying so, and where");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"argv\": [", "\"argv\": 5, \"x\": [");
	tap_is_int(decode_state(&st, bad, &err), -1, "a number for a list is an error");
	tap_ok(says(&err, "invalid value for 'argv': expected a list, got '5'"), "saying so");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"state\": \"starting\"", "\"state\": \"startin\"");
	tap_is_int(decode_state(&st, bad, &err), -1, "an unknown phase is an error");
	tap_ok(says(&err, "(did you mean 'starting'?)"), "naming the nearest");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"index\": 7", "\"index\": 251");
	tap_is_int(decode_state(&st, bad, &err), -1, "an index outside the pool is an error");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"socket\"", "\"x-socket\"");
	tap_is_int(decode_state(&st, bad, &err), -1, "a missing required key is an error");
	tap_ok(says(&err, "missing required key 'socket' in state") &&
	       error_line(err.buf, "missing required key 'socket'") == 1, "at the document's start");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "\"version\": 1", "\"version\": 2");
	tap_is_int(decode_state(&st, bad, &err), -1, "an unknown major version is refused");
	tap_ok(says(&err, "provisioner-state version '2' is not supported: this provisioner "
			  "reads version 1"), "clearly");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "provisioner-state/1", "provisioner-state/3");
	tap_is_int(decode_state(&st, bad, &err), -1, "so is one in the format marker");
	tap_ok(says(&err, "provisioner-state version '3' is not supported"), "saying which");
	rt_state_release(&st);
	free(bad);

	bad = edit(text, "provisioner-state/1", "loadtest-result/1");
	tap_is_int(decode_state(&st, bad, &err), -1, "another document is refused");
	tap_ok(says(&err, "not a provisioner-state document: its format is 'loadtest-result/1'"),
	       "saying what it is");
	rt_state_release(&st);
	free(bad);

	tap_is_int(decode_state(&st, "{\"name\": ", &err), -1, "broken JSON is an error");
	tap_ok(says(&err, "state.json:2:1: invalid YAML"), "with its position");
	rt_state_release(&st);
	free(text);
	strbuf_release(&err);
}

static void test_state_defaults(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_state st;
	const struct rt_proc *p;
	char *text, *a, *b, *c;

	make_state(&st);
	text = rt_state_encode(&st);
	rt_state_release(&st);
	/* a document from before the marker, and processes without env, depends_on, dir */
	a = edit(text, "\"format\": \"provisioner-state/1\",", "");
	b = edit(a, ",\n  \"version\": 1", "");
	free(a);
	a = edit(b, "\"dir\": \"/\",", "");
	free(b);
	b = edit(a, "\"env\": [],", "");
	free(a);
	c = edit(b, "\"depends_on\": [],", "");
	free(b);
	tap_ok(worked(decode_state(&st, c, &err), &err), "without format, version or optional keys");
	p = RT_AT(st.processes, struct rt_proc, 1);
	tap_ok(st.version == RT_STATE_VERSION && !strcmp(st.format, "provisioner-state/1"),
	       "a document without a marker is version 1");
	tap_ok(!p->dir && p->stop_signal == SIGTERM, "a missing optional key takes its default");
	tap_ok(!RT_AT(st.processes, struct rt_proc, 0)->env &&
	       !RT_AT(st.processes, struct rt_proc, 0)->health, "lists empty, checks none");
	rt_state_release(&st);
	free(c);
	free(text);
	strbuf_release(&err);
}

static void test_runtime(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_runtime rt, back;
	char *one, *two, *line, *edited;
	const char *bad;

	make_runtime(&rt);
	one = rt_runtime_encode(&rt, 1);
	rt_runtime_init(&back);
	tap_ok(worked(rt_runtime_decode(&back, one, strlen(one), "runtime.json", &err), &err),
	       "runtime.json decodes what it encodes");
	two = rt_runtime_encode(&back, 1);
	tap_is_str(two, one, "encode, decode, encode: byte-identical");
	tap_ok(strstr(one, "\"replica\": null") && strstr(one, "\"format\": \"provisioner-runtime/2\""),
	       "no replica is null; the format is marked");
	tap_ok(rt_runtime_proc(&back, "api-primary-0") &&
	       rt_runtime_proc(&back, "api-primary-0")->state == RT_P_BACKOFF &&
	       !rt_runtime_proc(&back, "nope") && rt_runtime_datastore(&back, "db") &&
	       !rt_runtime_datastore(&back, "db")->replica, "looked up by name");
	rt_runtime_release(&back);
	line = rt_runtime_encode(&rt, 0);
	tap_ok(!strchr(line, '\n') || strchr(line, '\n') == line + strlen(line) - 1,
	       "the socket's answer is one line");
	rt_runtime_init(&back);
	rt_runtime_decode(&back, line, strlen(line), "answer", &err);
	free(two);
	two = rt_runtime_encode(&back, 1);
	tap_is_str(two, one, "and decodes to the same");
	rt_runtime_release(&back);

	rt_runtime_init(&back);
	bad = "{\"processes\": {\"x\": {\"pid\": 3}}}";
	tap_ok(worked(rt_runtime_decode(&back, bad, strlen(bad), "old", &err), &err),
	       "a document with only some keys decodes");
	tap_ok(back.processes.nr == 1 && !strcmp(RT_AT(back.processes, struct rt_proc_now, 0)->
						 last_exit, ""), "missing strings take their default");
	rt_runtime_release(&back);
	edited = edit(one, "\"restarts\"", "\"restart\"");
	rt_runtime_init(&back);
	tap_is_int(rt_runtime_decode(&back, edited, strlen(edited), "runtime.json", &err), -1,
		   "a misspelled key is an error");
	tap_ok(says(&err, "unknown key 'restart' (did you mean 'restarts'?)") &&
	       error_line(err.buf, "'restart'") > 1, "with its position");
	rt_runtime_release(&back);
	free(edited);
	edited = edit(one, "\"version\": 2", "\"version\": 9");
	strbuf_reset(&err);
	rt_runtime_init(&back);
	tap_is_int(rt_runtime_decode(&back, edited, strlen(edited), "runtime.json", &err), -1,
		   "an unknown version is refused");
	tap_ok(says(&err, "provisioner-runtime version '9' is not supported"), "saying so");
	rt_runtime_release(&back);
	free(edited);
	free(one);
	free(two);
	free(line);
	rt_runtime_release(&rt);
	strbuf_release(&err);
}

static void test_files(void)
{
	char tmpl[] = "/tmp/test-rtstate.XXXXXX", *dir = mkdtemp(tmpl);
	struct strbuf err = STRBUF_INIT, file = STRBUF_INIT;
	struct rt_state st, back;
	char *text, *path;

	if (!dir) {
		tap_skip("mkdtemp failed", "state files");
		return;
	}
	tap_is_int(rt_state_load(&back, dir, &err), 1, "no state.json: 1, not an error");
	rt_state_release(&back);
	make_state(&st);
	tap_ok(worked(rt_state_save(&st, dir, &err), &err), "saved");
	path = xasprintf("%s/state.json", dir);
	strbuf_read_file(&file, path, 1 << 20);
	text = rt_state_encode(&st);
	tap_is_str(file.buf, text, "the file is the encoding");
	tap_ok(worked(rt_state_load(&back, dir, &err), &err), "and loads");
	tap_is_int(back.index, 7, "with its values");
	rt_state_release(&back);
	write_file_atomic(path, "{\"nmae\": 1}\n", 12, 0644);
	strbuf_reset(&err);
	tap_is_int(rt_state_load(&back, dir, &err), -1, "a bad one is an error");
	tap_ok(says(&err, path) && says(&err, "unknown key 'nmae' (did you mean 'name'?)"),
	       "naming the file and the problem");
	rt_state_release(&back);
	rt_state_release(&st);
	rm_rf(dir);
	free(text);
	free(path);
	strbuf_release(&file);
	strbuf_release(&err);
}

static void test_addr(void)
{
	char *a = rt_addr(1, 7, RT_HOST_REGION + 1), *b = rt_addr(0, 250, RT_HOST_GATEWAY);
	char *c = rt_subnet(12);

	tap_is_str(a, "10.213.7.11", "with namespaces, region 1 of environment 7");
	tap_is_str(b, "127.77.250.2", "on loopback, the gateway of environment 250");
	tap_is_str(c, "10.213.12.0/24", "environment 12's block");
	tap_is_int(rt_addr_index(0, 0x7f4d0c0au), 12, "127.77.12.10 is in environment 12's block");
	tap_is_int(rt_addr_index(1, 0x7f4d0c0au), 0, "but not in a namespace one");
	tap_is_int(rt_addr_index(1, 0x0ad50702u), 7, "10.213.7.2 is environment 7's gateway");
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	test_state_round_trip();
	test_state_errors();
	test_state_defaults();
	test_runtime();
	test_files();
	test_addr();
	return tap_done();
}
