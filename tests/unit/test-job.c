/*
 * Unit tests for `loadtest render-job` (loadtest/job.c): the rendered
 * ConfigMap, claim and indexed Job for 1 to 1000 copies, checked by the
 * strict validator (lib/schema-k8s.h) against the Kubernetes schema the
 * repository ships ($K8S_SCHEMA overrides it) and read back for what
 * matters (the shard argument, the mounted scenario, no credentials),
 * determinism, and every refusal.
 */
#include "diag.h"
#include "fsutil.h"
#include "job.h"
#include "scenario.h"
#include "schema-k8s.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"
#include "ynode.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char slo[] =
	"target: https://127.0.0.1:8443\n"
	"thresholds:\n"
	"  - p(99) < 200ms\n"
	"scenarios:\n"
	"  ingest:\n"
	"    model: open\n"
	"    rate: 50r/s\n"
	"    duration: 30s\n"
	"    connections: 20\n"
	"    request:\n"
	"      method: POST\n"
	"      path: /v1/observations?batch=${seq}\n"
	"      body_file: bodies/ingest.json\n"
	"  query:\n"
	"    model: closed\n"
	"    connections: 4\n"
	"    duration: 30s\n"
	"    request: {path: \"/v1/observations?station=st-1&limit=10\"}\n";

static const char body[] = "[{\"id\":\"${uuid}\",\"value\":1.5}]\n";
static const char binary[] = "\x00\x01\xff";

static const struct job_file files[] = {
	{ "bodies/ingest.json", body, sizeof(body) - 1 },
	{ "blob.bin", binary, 3 },
};

static struct k8s_schema *schema;
static char tmpdir[] = "/tmp/test-job-XXXXXX";
static struct plan slo_plan;

/*
 * The plan of `text`, read as loadtest reads it, as the file slo.yaml in
 * tmpdir (where its body_file is); -1 with the loader's errors in `err`.
 */
static int plan_of(struct plan *p, const char *text, struct strbuf *err)
{
	struct diag d = DIAG_INIT;
	char *file = xasprintf("%s/slo.yaml", tmpdir);
	int ret = plan_load_mem(p, file, text, strlen(text), &d);

	if (ret < 0)
		diag_format(&d, err, "");
	diag_release(&d);
	free(file);
	return ret;
}

static struct job_opts base_opts(unsigned parallel)
{
	struct job_opts o = JOB_OPTS_INIT;

	o.scenario_name = "slo.yaml";
	o.scenario_text = slo;
	o.plan = &slo_plan;
	o.parallel = parallel;
	o.image = "registry.example/loadtest:0.1.0";
	return o;
}

/* The documents of a YAML stream as a JSON array (null for one that does not read). */
static json_t *yaml_docs(const char *text)
{
	json_t *docs = json_array();
	const char *p = text, *end = text + strlen(text);

	while (p < end) {
		const char *sep = strstr(p, "\n---\n");
		size_t len = sep ? (size_t)(sep - p) + 1 : (size_t)(end - p);
		struct diag d = DIAG_INIT;
		struct ynode *n = ynode_parse(p, len, "job.yaml", NULL, &d);

		json_array_append_new(docs, n ? ynode_to_json(n) : json_null());
		ynode_free(n);
		diag_release(&d);
		p += len + (sep ? 4 : 0);
	}
	return docs;
}

/* Follow object keys; NULL ends the list. */
static json_t *at(json_t *v, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, v);
	while ((key = va_arg(ap, const char *)))
		v = json_object_get(v, key);
	va_end(ap);
	return v;
}

/* Is `v` the string `want`? */
static int is(json_t *v, const char *want)
{
	return json_is_string(v) && !strcmp(json_string_value(v), want);
}

static json_t *find_kind(json_t *docs, const char *kind)
{
	size_t i;
	json_t *d;

	json_array_foreach(docs, i, d)
		if (is(at(d, "kind", NULL), kind))
			return d;
	return NULL;
}

static json_t *pod_spec(json_t *docs)
{
	return at(find_kind(docs, "Job"), "spec", "template", "spec", NULL);
}

static json_t *container(json_t *docs)
{
	return json_array_get(at(pod_spec(docs), "containers", NULL), 0);
}

static const char *str_at(json_t *v, const char *key)
{
	return json_string_value(json_object_get(v, key));
}

static int render(const struct job_opts *o, struct strbuf *out)
{
	struct strbuf err = STRBUF_INIT;
	int ret = job_render(out, o, &err);

	if (ret)
		tap_diag("job_render: %s", err.buf);
	strbuf_release(&err);
	return ret;
}

/* One check: the validator passes every document of `text`. */
static void check_schema(const char *text, const char *what)
{
	struct k8s_counts n = { 0 };
	struct diag d = DIAG_INIT;
	int rc = k8s_validate(schema, "job.yaml", text, strlen(text), &n, &d);

	if (!tap_ok(rc == 0 && n.objects >= 2, "%s: every document passes strict validation", what)) {
		struct strbuf sb = STRBUF_INIT;

		diag_format(&d, &sb, NULL);
		tap_diag("rc %d, %zu objects: %s", rc, n.objects, sb.buf);
		strbuf_release(&sb);
	}
	diag_release(&d);
}

static json_t *expected_args(const struct job_opts *o, const char *name)
{
	json_t *a = json_pack("[s, s]", "run", "/etc/loadtest/slo.yaml");
	char *shard = xasprintf("$(JOB_COMPLETION_INDEX)/%u", o->parallel);
	char *result = xasprintf("/results/%s-$(JOB_COMPLETION_INDEX).json", name);

	if (o->target) {
		json_array_append_new(a, json_string("--target"));
		json_array_append_new(a, json_string(o->target));
	}
	json_array_append_new(a, json_string("--shard"));
	json_array_append_new(a, json_string(shard));
	json_array_append_new(a, json_string("--json"));
	json_array_append_new(a, json_string(result));
	json_array_append_new(a, json_string("--no-progress"));
	free(shard);
	free(result);
	return a;
}

/* One rendering, checked by the schema and for its key content. */
static void check_variant(const struct job_opts *o, const char *what)
{
	struct strbuf out = STRBUF_INIT;
	json_t *docs, *job, *cm, *args, *want, *env;
	const char *claim;

	if (!tap_ok(render(o, &out) == 0, "%s: renders", what))
		return;
	check_schema(out.buf, what);
	docs = yaml_docs(out.buf);
	job = find_kind(docs, "Job");
	cm = find_kind(docs, "ConfigMap");
	tap_ok(json_array_size(docs) == (o->results_claim ? 2u : 3u) && cm == json_array_get(docs, 0) &&
	       job == json_array_get(docs, json_array_size(docs) - 1) &&
	       !find_kind(docs, "PersistentVolumeClaim") == !!o->results_claim,
	       "%s: ConfigMap, %sJob", what, o->results_claim ? "" : "PersistentVolumeClaim, ");
	tap_ok(is(at(job, "spec", "completionMode", NULL), "Indexed") &&
	       json_integer_value(at(job, "spec", "completions", NULL)) == o->parallel &&
	       json_integer_value(at(job, "spec", "parallelism", NULL)) == o->parallel &&
	       json_is_integer(at(job, "spec", "backoffLimitPerIndex", NULL)) &&
	       json_integer_value(at(job, "spec", "backoffLimitPerIndex", NULL)) == 0,
	       "%s: Indexed, completions and parallelism %u, no retries", what, o->parallel);
	args = at(container(docs), "args", NULL);
	want = expected_args(o, str_at(at(job, "metadata", NULL), "name"));
	if (!tap_ok(json_equal(args, want), "%s: loadtest run ... --shard $(JOB_COMPLETION_INDEX)/%u",
		    what, o->parallel)) {
		char *s = json_dumps(args, JSON_COMPACT);

		tap_diag("args: %s", s ? s : "(none)");
		free(s);
	}
	json_decref(want);
	tap_is_str(str_at(at(cm, "data", NULL), "slo.yaml"), slo,
		   "%s: the ConfigMap holds the scenario as key slo.yaml", what);
	claim = json_string_value(at(json_array_get(at(pod_spec(docs), "volumes", NULL), 1),
				     "persistentVolumeClaim", "claimName", NULL));
	tap_ok(claim && (o->results_claim ? !strcmp(claim, o->results_claim) :
			 !strcmp(claim, str_at(at(find_kind(docs, "PersistentVolumeClaim"),
						  "metadata", NULL), "name"))),
	       "%s: results go to claim %s", what, claim ? claim : "(none)");
	env = at(container(docs), "env", NULL);
	tap_ok(o->secret ? is(at(json_array_get(env, 0), "name", NULL), "LOADTEST_AUTH_HEADER") &&
			   is(at(json_array_get(env, 0), "valueFrom", "secretKeyRef", "name", NULL), o->secret)
			 : json_array_size(env) == 1,
	       "%s: %s", what, o->secret ? "LOADTEST_AUTH_HEADER from the secret" : "no credentials");
	tap_ok(is(at(json_array_get(env, json_array_size(env) - 1), "name", NULL), "LOADTEST_RUN_ID") &&
	       is(at(json_array_get(env, json_array_size(env) - 1), "valueFrom", "fieldRef", "fieldPath",
		     NULL), "metadata.labels['batch.kubernetes.io/controller-uid']"),
	       "%s: LOADTEST_RUN_ID is the Job's uid, from the pod's label", what);
	json_decref(docs);
	strbuf_release(&out);
}

static void test_variants(void)
{
	static const unsigned ns[] = { 1, 3, 100, 1000 };

	for (size_t i = 0; i < ARRAY_SIZE(ns); i++) {
		struct job_opts o = base_opts(ns[i]);
		char *what = xasprintf("N=%u, defaults", ns[i]);

		check_variant(&o, what);
		free(what);
		o.namespace_ = "perf";
		o.target = "http://api.perf.svc:8080/";
		o.results_claim = "shared-results";
		o.secret = "loadtest-auth";
		o.files = files;
		o.nr_files = ARRAY_SIZE(files);
		what = xasprintf("N=%u, namespace, target, claim, secret, files", ns[i]);
		check_variant(&o, what);
		free(what);
	}
}

static void test_determinism(void)
{
	struct job_opts o = base_opts(3);
	struct job_file reversed[] = { files[1], files[0] };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;

	o.files = files;
	o.nr_files = 2;
	render(&o, &a);
	render(&o, &b);
	o.files = reversed;
	render(&o, &c);
	tap_ok(a.len && !strcmp(a.buf, b.buf), "two renders are byte-identical");
	tap_ok(!strcmp(a.buf, c.buf), "the order in which files are given does not matter");
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
}

static void test_pod(void)
{
	struct job_opts o = base_opts(3);
	struct strbuf out = STRBUF_INIT;
	json_t *docs, *pod, *c, *sec, *res, *job;
	size_t i;
	json_t *d;
	int labelled = 1;

	render(&o, &out);
	docs = yaml_docs(out.buf);
	pod = pod_spec(docs);
	c = container(docs);
	job = find_kind(docs, "Job");
	sec = at(c, "securityContext", NULL);
	tap_ok(json_is_true(at(pod, "securityContext", "runAsNonRoot", NULL)) &&
	       is(at(pod, "securityContext", "seccompProfile", "type", NULL), "RuntimeDefault") &&
	       json_is_false(at(sec, "allowPrivilegeEscalation", NULL)) &&
	       json_is_true(at(sec, "readOnlyRootFilesystem", NULL)) &&
	       is(json_array_get(at(sec, "capabilities", "drop", NULL), 0), "ALL"),
	       "non-root, read-only root, no privilege escalation, capabilities dropped, seccomp");
	tap_is_str(str_at(pod, "restartPolicy"), "Never", "restartPolicy Never");
	res = at(c, "resources", NULL);
	tap_ok(json_equal(at(res, "requests", NULL), at(res, "limits", NULL)) &&
	       is(at(res, "requests", "cpu", NULL), "2") &&
	       is(at(res, "requests", "memory", NULL), "512Mi"),
	       "requests equal limits: one CPU per scenario thread (2), 512Mi");
	tap_is_int(json_integer_value(at(job, "spec", "activeDeadlineSeconds", NULL)), 630,
		   "activeDeadlineSeconds: the 30s run and 10 minutes");
	tap_ok(json_integer_value(at(job, "spec", "ttlSecondsAfterFinished", NULL)) > 0,
	       "the Job deletes itself after it finished");
	json_array_foreach(docs, i, d)
		labelled &= is(at(d, "metadata", "labels", "app.kubernetes.io/instance", NULL),
			       "loadtest-slo") &&
			    is(at(d, "metadata", "labels", "app.kubernetes.io/name", NULL), "loadtest") &&
			    is(at(d, "metadata", "labels", "app.kubernetes.io/managed-by", NULL), "loadtest");
	tap_ok(labelled && json_equal(at(job, "spec", "template", "metadata", "labels", NULL),
				      at(job, "metadata", "labels", NULL)),
	       "every object and the pod template carry the three labels");
	tap_ok(!at(job, "metadata", "namespace", NULL), "no namespace unless given");
	json_decref(docs);
	strbuf_release(&out);
}

static json_t *render_docs(const struct job_opts *o)
{
	struct strbuf out = STRBUF_INIT;
	json_t *docs;

	render(o, &out);
	docs = yaml_docs(out.buf);
	strbuf_release(&out);
	return docs;
}

static void test_deadline_and_resources(void)
{
	struct job_opts o = base_opts(2);
	struct strbuf err = STRBUF_INIT;
	struct plan p, unknown = { 0 };
	json_t *docs;

	o.scenario_text = "scenarios:\n  a:\n    threads: 3\n    stages: [{duration: 1m, target: 9r/s}, "
			  "{duration: 30s, target: 9r/s}]\n  b: {model: closed, duration: 5s}\n";
	if (plan_of(&p, o.scenario_text, &err) < 0)
		tap_diag("%s", err.buf);
	o.plan = &p;
	docs = render_docs(&o);
	tap_is_int(json_integer_value(at(find_kind(docs, "Job"), "spec", "activeDeadlineSeconds", NULL)),
		   690, "a ramp runs as long as its stages together");
	tap_is_str(json_string_value(at(container(docs), "resources", "limits", "cpu", NULL)), "4",
		   "threads of all scenarios add up");
	json_decref(docs);

	plan_release(&p);
	o.scenario_text = "scenarios:\n"
			  "  a: {model: closed, duration: 5s, threads: 100, connections: 100}\n"
			  "  b: {model: closed, duration: 5s}\n";
	if (plan_of(&p, o.scenario_text, &err) < 0)
		tap_diag("%s", err.buf);
	docs = render_docs(&o);
	tap_is_str(json_string_value(at(container(docs), "resources", "limits", "cpu", NULL)), "64",
		   "a CPU per thread, 64 at most");
	json_decref(docs);

	/* a plan made by hand, whose scenario does not say how long it runs */
	o.scenario_text = "scenarios:\n  a: {model: closed, connections: 2}\n";
	plan_add_scenario(&unknown, "a")->model = (struct load_model){ .connections = 2, .threads = 1 };
	o.plan = &unknown;
	docs = render_docs(&o);
	tap_is_int(json_integer_value(at(find_kind(docs, "Job"), "spec", "activeDeadlineSeconds", NULL)),
		   3600, "without a duration the deadline is an hour");
	json_decref(docs);

	o.deadline_s = 120;
	o.cpu_m = 500;
	o.memory = 1ull << 30;
	docs = render_docs(&o);
	tap_ok(json_integer_value(at(find_kind(docs, "Job"), "spec", "activeDeadlineSeconds", NULL)) == 120 &&
	       is(at(container(docs), "resources", "requests", "cpu", NULL), "500m") &&
	       is(at(container(docs), "resources", "limits", "memory", NULL), "1Gi"),
	       "deadline, CPU and memory as given");
	json_decref(docs);
	plan_release(&p);
	plan_release(&unknown);
	strbuf_release(&err);
}

static const char *job_name_for(const char *scenario, unsigned parallel, char *buf, size_t size)
{
	struct job_opts o = base_opts(parallel);
	json_t *docs;
	const char *name;

	o.scenario_name = scenario;
	docs = render_docs(&o);
	name = json_string_value(at(find_kind(docs, "Job"), "metadata", "name", NULL));
	snprintf(buf, size, "%s", name ? name : "");
	json_decref(docs);
	return buf;
}

static void test_names(void)
{
	char a[80], b[80];
	const char *longname = "a-very-long-scenario-name-that-goes-on-and-on-and-on-for-ever.yaml";

	tap_is_str(job_name_for("slo.yaml", 3, a, sizeof(a)), "loadtest-slo", "slo.yaml: loadtest-slo");
	job_name_for("My_Test.yml", 3, a, sizeof(a));
	job_name_for("my-test.yml", 3, b, sizeof(b));
	tap_ok(!strncmp(a, "loadtest-my-test-", 17) && strlen(a) == 25 && !strcmp(b, "loadtest-my-test"),
	       "a lossy name gets a hash, so My_Test and my-test differ (%s, %s)", a, b);
	job_name_for(longname, 1000, a, sizeof(a));
	tap_ok(strlen(a) == 59 && !strncmp(a, "loadtest-a-very-long", 20),
	       "a long name is cut to fit NAME-999 in 63 characters (%s)", a);
}

static void test_files(void)
{
	struct job_opts o = base_opts(3);
	json_t *docs, *cm, *items, *want;
	const char *key;
	struct job_file odd[] = { { "odd.txt", "line\xe2\x80\xa8sep", 10 } };

	o.files = files;
	o.nr_files = ARRAY_SIZE(files);
	docs = render_docs(&o);
	cm = find_kind(docs, "ConfigMap");
	items = at(json_array_get(at(pod_spec(docs), "volumes", NULL), 0), "configMap", "items", NULL);
	tap_is_str(json_string_value(at(cm, "binaryData", "blob.bin", NULL)), "AAH/",
		   "a binary file goes to binaryData, base64");
	tap_is_str(json_string_value(json_object_get(json_array_get(items, 1), "path")), "blob.bin",
		   "the mount lists the scenario, then the files by path");
	key = json_string_value(json_object_get(json_array_get(items, 2), "key"));
	tap_ok(key && !strncmp(key, "bodies-ingest.json-", 19) &&
	       is(json_object_get(json_array_get(items, 2), "path"), "bodies/ingest.json") &&
	       is(at(cm, "data", key, NULL), body),
	       "bodies/ingest.json is mounted at its path from a key without '/'");
	json_decref(docs);

	o.files = odd;
	o.nr_files = 1;
	o.target = "http://h/$(HOME)";
	docs = render_docs(&o);
	tap_ok(at(find_kind(docs, "ConfigMap"), "binaryData", "odd.txt", NULL) != NULL,
	       "text a YAML reader would change (U+2028) goes to binaryData");
	want = json_string("http://h/$$(HOME)");
	tap_ok(json_equal(json_array_get(at(container(docs), "args", NULL), 3), want),
	       "'$' in an argument is written '$$', so Kubernetes does not expand it");
	json_decref(want);
	json_decref(docs);
}

static void test_no_credentials(void)
{
	struct job_opts o = base_opts(3);
	struct strbuf out = STRBUF_INIT;
	json_t *docs, *ref;

	setenv("LOADTEST_AUTH_HEADER", "Bearer t0ps3cret-value", 1);
	o.secret = "loadtest-auth";
	render(&o, &out);
	docs = yaml_docs(out.buf);
	ref = at(json_array_get(at(container(docs), "env", NULL), 0), "valueFrom", "secretKeyRef", NULL);
	tap_ok(is(json_object_get(ref, "key"), "authorization") &&
	       json_is_false(json_object_get(ref, "optional")),
	       "the header comes from key authorization, a required key");
	tap_ok(!strstr(out.buf, "t0ps3cret") && !find_kind(docs, "Secret") && !strstr(out.buf, "Bearer"),
	       "no credential, and no Secret object, in the output");
	unsetenv("LOADTEST_AUTH_HEADER");
	json_decref(docs);
	strbuf_release(&out);
}

struct bad {
	const char *what, *want;
	void (*set)(struct job_opts *);
};

static void p0(struct job_opts *o) { o->parallel = 0; }
static void p1001(struct job_opts *o) { o->parallel = 1001; }
static void bad_name(struct job_opts *o) { o->name = "Load_Test"; }
static void long_name(struct job_opts *o)
{
	o->parallel = 1000;
	o->name = "this-name-has-exactly-sixty-characters-which-is-one-too-many";
}
static void empty(struct job_opts *o) { o->scenario_text = ""; }
static void blank(struct job_opts *o) { o->scenario_text = "# nothing yet\n\n"; }
static const struct plan no_plan;
static void no_scen(struct job_opts *o)
{
	o->scenario_text = "target: http://x/\n";
	o->plan = &no_plan;
}
static void no_image(struct job_opts *o) { o->image = NULL; }
static void bad_ns(struct job_opts *o) { o->namespace_ = "Perf"; }
static void bad_secret(struct job_opts *o) { o->secret = "auth/token"; }
static void bad_target(struct job_opts *o) { o->target = "ftp://x/"; }
static void dir_name(struct job_opts *o) { o->scenario_name = "loadtest/slo.yaml"; }

static const struct job_file escape[] = { { "../secret.json", "{}", 2 } };
static const struct job_file absolute[] = { { "/etc/passwd", "x", 1 } };
static const struct job_file twice[] = { { "a.json", "1", 1 }, { "a.json", "2", 1 } };
static char big[JOB_CONFIGMAP_MAX];
static const struct job_file huge[] = { { "big.json", big, sizeof(big) } };

static void up(struct job_opts *o) { o->files = escape; o->nr_files = 1; }
static void abs_path(struct job_opts *o) { o->files = absolute; o->nr_files = 1; }
static void given_twice(struct job_opts *o) { o->files = twice; o->nr_files = 2; }
static void too_big(struct job_opts *o) { o->files = huge; o->nr_files = 1; }

/* A Job is rendered from the plan: a scenario that is not YAML never gets one. */
static void test_not_yaml(void)
{
	struct strbuf err = STRBUF_INIT;
	struct plan p;

	tap_ok(plan_of(&p, "scenarios:\n  a: [1,\n", &err) < 0 && strstr(err.buf, "slo.yaml:"),
	       "a scenario that is not YAML: refused, at its position, before there is a plan");
	plan_release(&p);
	strbuf_release(&err);
}

static void test_errors(void)
{
	static const struct bad bads[] = {
		{ "parallel 0", "parallel 0 is out of range: 1 to 1000 copies", p0 },
		{ "parallel 1001", "parallel 1001 is out of range", p1001 },
		{ "a name that is not DNS-1123", "job name 'Load_Test' is not a DNS-1123 label", bad_name },
		{ "a name too long for 1000 pods", "is too long for 1000 copies: at most 59", long_name },
		{ "an empty scenario", "scenario 'slo.yaml' is empty", empty },
		{ "a scenario of only comments", "scenario 'slo.yaml' is empty", blank },
		{ "a scenario without scenarios", "scenario 'slo.yaml' has no scenarios to run", no_scen },
		{ "no image", "image '' is not an image reference", no_image },
		{ "a bad namespace", "namespace 'Perf' is not a DNS-1123 label", bad_ns },
		{ "a bad secret name", "secret name 'auth/token' is not", bad_secret },
		{ "a target that is not http", "target 'ftp://x/' is not an http:// or https:// URL", bad_target },
		{ "a scenario name with a directory", "must be a file name without a directory", dir_name },
		{ "a file outside the directory", "file '../secret.json' must stay in the scenario's", up },
		{ "an absolute file", "file '/etc/passwd' must be a path relative to the scenario", abs_path },
		{ "a file given twice", "file 'a.json' is given twice", given_twice },
		{ "more than a ConfigMap holds", "more than the 1048576 one ConfigMap holds", too_big },
	};

	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
		struct job_opts o = base_opts(3);
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		int rc;

		bads[i].set(&o);
		rc = job_render(&out, &o, &err);
		if (!tap_ok(rc == -1 && !out.len && strstr(err.buf, bads[i].want),
			    "%s: refused, nothing written", bads[i].what))
			tap_diag("rc %d, error: %s", rc, err.buf);
		strbuf_release(&out);
		strbuf_release(&err);
	}
	test_not_yaml();
}

static struct k8s_schema *load_schema(void)
{
	const char *path = getenv("K8S_SCHEMA");
	struct strbuf err = STRBUF_INIT;
	struct k8s_schema *sc;

	if (!path || !*path)
		path = SOURCE_DIR "/" K8S_SCHEMA_FILE;
	sc = k8s_schema_load(path, &err);
	if (!sc)
		printf("Bail out! %s\n", err.buf);
	strbuf_release(&err);
	return sc;
}

/* slo.yaml's plan, with its body file beside it as `run` reads it */
static int load_slo(void)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	int ret = -1;

	if (!mkdtemp(tmpdir))
		return printf("Bail out! cannot make %s\n", tmpdir), -1;
	strbuf_addf(&path, "%s/bodies", tmpdir);
	if (mkdir_p(path.buf, 0755) < 0)
		goto out;
	strbuf_addstr(&path, "/ingest.json");
	if (write_file_atomic(path.buf, body, sizeof(body) - 1, 0644) < 0)
		goto out;
	if (plan_of(&slo_plan, slo, &err) < 0)
		goto out;
	ret = 0;
out:
	if (ret)
		printf("Bail out! the test's slo.yaml does not load: %s\n", err.buf);
	strbuf_release(&err);
	strbuf_release(&path);
	return ret;
}

int main(void)
{
	schema = load_schema();
	if (!schema || load_slo() < 0)
		return 1;
	test_variants();
	test_determinism();
	test_pod();
	test_deadline_and_resources();
	test_names();
	test_files();
	test_no_credentials();
	test_errors();
	plan_release(&slo_plan);
	rm_rf(tmpdir);
	k8s_schema_free(schema);
	return tap_done();
}
