/*
 * Unit tests for the environment model: loading, extends and merging,
 * variables, names, validation messages, and the reference definitions.
 */
#include "diag.h"
#include "fsutil.h"
#include "load.h"
#include "model.h"
#include "naming.h"
#include "strbuf.h"
#include "subst.h"
#include "tap.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test-model-XXXXXX";

static const char *const valid_base =
	"platform: obs\n"
	"tier: production\n"
	"regions: {one: eu-west-1, two: {name: eu-central-1, cidr: 10.20.0.0/16}}\n"
	"services:\n"
	"  api:\n"
	"    image: img:${commit}\n"
	"    port: 8080\n"
	"    depends_on: [db]\n"
	"    env: {A: a, B: b, REGION: \"${region}\", DOLLAR: \"$${region}\"}\n"
	"    run: [obsd, \"--port=${port}\"]\n"
	"datastores:\n"
	"  db: {engine: postgres, version: \"15\", replication: {to: two}}\n"
	"gateway: {routes: [{prefix: /v1/, service: api}]}\n"
	"dns: {domain: example.com, zone_id: ZEXAMPLE}\n";

static char *write_tmp(const char *name, const char *text)
{
	char *path = path_join(tmpdir, name);
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

/* Load `text` (written as `name`); returns 0/-1 and keeps diagnostics. */
static int load(struct env_model *m, struct diag *d, const char *name, const char *text,
		const char *branch)
{
	struct load_opts o = LOAD_OPTS_INIT;
	char *path = write_tmp(name, text);
	int ret;

	o.branch = branch ? branch : "main";
	o.commit = "c0ffee";
	env_model_init(m);
	ret = env_load(m, path, &o, d);
	free(path);
	return ret;
}

static int has_error(const struct diag *d, const char *needle, int line)
{
	for (size_t i = 0; i < d->nr; i++)
		if (strstr(d->v[i].msg, needle) && (!line || d->v[i].line == line))
			return 1;
	return 0;
}

static void dump(const struct diag *d)
{
	for (size_t i = 0; i < d->nr; i++)
		tap_diag("%s:%d:%d: %s", d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
}

static void test_merge(void)
{
	struct env_model m;
	struct diag d = DIAG_INIT;
	const struct service *api;
	int ret;

	free(write_tmp("base.yaml", valid_base));
	ret = load(&m, &d, "child.yaml",
		   "extends: base.yaml\n"
		   "services:\n"
		   "  api:\n"
		   "    replicas: 4\n"            /* a new key in a merged map */
		   "    depends_on: []\n"         /* lists replace */
		   "    env: {B: null, C: c}\n"   /* null deletes, maps merge */
		   "  worker: {image: w, port: 9000}\n",
		   NULL);
	if (!tap_ok(ret == 0, "a definition extending a base loads"))
		dump(&d);
	api = model_service(&m, "api");
	tap_ok(api && api->replicas == 4 && api->port == 8080, "maps merge deeply");
	tap_ok(api && api->depends_on.nr == 0, "lists replace");
	tap_ok(api && api->env.nr == 4 && !strcmp(api->env.v[0].key, "A") &&
	       !strcmp(api->env.v[3].key, "C"), "null deletes a key; new keys come last");
	tap_ok(m.services.nr == 2, "services added by the child are kept");
	tap_is_str(api ? api->image : NULL, "img:c0ffee", "${commit} is substituted");
	tap_is_str(api ? api->env.v[1].val : NULL, "${region}", "${region} is kept for the targets");
	tap_is_str(api ? api->env.v[2].val : NULL, "$${region}", "the $$ escape is kept with it");
	if (api) {
		struct subst_deferred dv = { .region = "eu-west-1", .port = "8081", .addr = "10.0.0.5" };
		struct strbuf sb = STRBUF_INIT;

		subst_deferred(&sb, "${addr}:${port} ${region} $${addr}", &dv);
		tap_is_str(sb.buf, "10.0.0.5:8081 eu-west-1 ${addr}",
			   "a target resolves ${addr}, ${port} and ${region} per replica");
		strbuf_reset(&sb);
		dv.addr = "";
		subst_deferred(&sb, "${addr}:${port}", &dv);
		tap_is_str(sb.buf, ":8081", "an empty ${addr} means every address");
		strbuf_release(&sb);
	}
	env_model_free(&m);
	diag_release(&d);
}

static void test_variables(void)
{
	struct env_model m;
	struct diag d = DIAG_INIT;

	setenv("TEST_MODEL_VAR", "from-env", 1);
	unsetenv("TEST_MODEL_UNSET");
	tap_ok(load(&m, &d, "vars.yaml",
		    "extends: base.yaml\nowner: \"${env:TEST_MODEL_VAR}/${env:TEST_MODEL_UNSET:-dflt}/${env}\"\n",
		    "feature/x") == 0 && !strcmp(m.owner, "from-env/dflt/obs-production"),
	       "${env:NAME}, defaults and ${env} are substituted");
	env_model_free(&m);
	tap_ok(load(&m, &d, "vars.yaml", "extends: base.yaml\nowner: \"${env:TEST_MODEL_UNSET}\"\n",
		    NULL) < 0 && has_error(&d, "environment variable 'TEST_MODEL_UNSET' is not set", 2),
	       "an unset variable without a default is an error at its line");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "vars.yaml", "extends: base.yaml\nowner: \"x ${nope}\"\n", NULL) < 0 &&
	       has_error(&d, "unknown variable '${nope}'", 2) && d.v[0].col == 11,
	       "an unknown variable is an error at its column");
	env_model_free(&m);
	diag_release(&d);
	/* found by the fuzzer: a 'tier' rewritten by the walk was still the ${tier} value */
	tap_ok(load(&m, &d, "vars.yaml", "extends: base.yaml\ntier: \"stag$$$$ing\"\nowner: \"${tier}\"\n",
		    NULL) < 0 && has_error(&d, "expected one of 'test', 'nightly', 'staging' or "
					   "'production' (did you mean 'staging'?), got 'stag$$ing'", 2),
	       "a 'tier' with $$ escapes, used as ${tier}, is refused once unescaped, and reads "
	       "no freed memory (ASan checks)");
	if (!has_error(&d, "got 'stag$$ing'", 2))
		dump(&d);
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "vars.yaml", "extends: base.yaml\nowner: \"${region}\"\n", NULL) < 0 &&
	       has_error(&d, "can be used only in a service's 'env' and 'run'", 2),
	       "${region} outside a service's env is an error");
	env_model_free(&m);
	diag_release(&d);
	setenv("OBS_SECRET_SRC", "canary-value", 1);
	tap_ok(load(&m, &d, "vars.yaml",
		    "extends: base.yaml\n"
		    "services: {api: {secrets: {PW: {from: env, name: OBS_SECRET_SRC}}}}\n"
		    "owner: ${env:OBS_SECRET_SRC}\n", NULL) < 0 &&
	       has_error(&d, "would copy the value of secret 'PW'", 3),
	       "a secret's source variable cannot be substituted into the definition");
	for (size_t i = 0; i < d.nr; i++)
		if (strstr(d.v[i].msg, "canary-value"))
			tap_diag("leaked: %s", d.v[i].msg);
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "vars.yaml", "extends: base.yaml\nservices:\n  api:\n    replicas: ${env:OBS_SECRET_SRC}\n",
		    NULL) < 0 && has_error(&d, "got a value from the environment", 4),
	       "a bad value from the environment is reported without echoing it");
	env_model_free(&m);
	diag_release(&d);
	unsetenv("OBS_SECRET_SRC");
}

static void test_names(void)
{
	char *a = dns_label("obs-feature/Foo_bar", 63), *b = dns_label("obs-feature-foo-bar", 63);
	char *c = dns_label("obs-Feature/foo-bar", 63), *a2 = dns_label("obs-feature/Foo_bar", 63);
	char *longname = dns_label("obs-a-very-long-branch-name-that-goes-on-and-on-and-on-forever-and-ever", 63);
	char *j = join_name("observatory-a-long-environment-name-for-a-branch", "secondary", 40);

	tap_is_str(b, "obs-feature-foo-bar", "a name that is already a label is kept as it is");
	tap_ok(strncmp(a, "obs-feature-foo-bar-", 20) == 0 && strlen(a) == 28,
	       "a lossy name gets a hash suffix (%s)", a);
	tap_ok(strcmp(a, b) && strcmp(a, c) && strcmp(b, c), "names that sanitise alike still differ");
	tap_is_str(a, a2, "the same branch always gets the same name");
	tap_ok(strlen(longname) == 63 && is_dns_label(longname), "a long name is cut to 63 (%s)", longname);
	tap_ok(strlen(j) <= 40 && strstr(j, "-secondary") && is_dns_label(j), "join_name fits (%s)", j);
	free(a); free(b); free(c); free(a2); free(longname); free(j);
}

static void test_errors(void)
{
	struct env_model m;
	struct diag d = DIAG_INIT;

	tap_ok(load(&m, &d, "e1.yaml", "extends: base.yaml\nservices: {api: {replica: 2}}\n", NULL) < 0 &&
	       has_error(&d, "unknown key 'replica' (did you mean 'replicas'?)", 2),
	       "unknown keys suggest the nearest valid key");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e2.yaml",
		    "extends: base.yaml\nservices:\n  a: {image: x, port: 1, depends_on: [b]}\n"
		    "  b: {image: x, port: 1, depends_on: [a]}\n", NULL) < 0 &&
	       has_error(&d, "'depends_on' cycle: a -> b -> a", 0),
	       "a depends_on cycle is reported with its path");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e3.yaml", "extends: e3.yaml\n", NULL) < 0 &&
	       has_error(&d, "'extends' cycle", 1), "a file extending itself is a cycle");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e4.yaml", "extends: nowhere.yaml\n", NULL) < 0 &&
	       has_error(&d, "cannot read", 1) && has_error(&d, "nowhere.yaml", 1),
	       "a missing extends target names the file");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e5.yaml", "extends: base.yaml\nregions: {two: null}\n", NULL) < 0 &&
	       has_error(&d, "at least two regions", 0), "an environment keeps two regions");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e6.yaml", "extends: base.yaml\ntier: test\n", NULL) < 0 &&
	       has_error(&d, "needs 'lifetime.ttl'", 0), "a test environment needs a TTL");
	env_model_free(&m);
	diag_release(&d);
	tap_ok(load(&m, &d, "e7.yaml", "- a\n- b\n", NULL) < 0 &&
	       has_error(&d, "a definition must be a mapping, got a list", 1),
	       "a definition that is a list is refused");
	env_model_free(&m);
	diag_release(&d);
}

static void test_reference_envs(void)
{
	static const char *const envs[] = { "base", "production", "staging", "nightly", "test" };

	for (size_t i = 0; i < sizeof(envs) / sizeof(*envs); i++) {
		struct env_model m;
		struct diag d = DIAG_INIT;
		struct load_opts o = LOAD_OPTS_INIT;
		char *path = xasprintf("%s/envs/%s.yaml", SOURCE_DIR, envs[i]);

		o.branch = "feature/JIRA-1_x";
		o.commit = "0123456789abcdef0123456789abcdef01234567";
		env_model_init(&m);
		if (!tap_ok(env_load(&m, path, &o, &d) == 0 && m.regions.nr == 2 &&
			    m.datastores.nr >= 1 && m.gateway.routes.nr >= 1,
			    "envs/%s.yaml loads with production's shape", envs[i]))
			dump(&d);
		else if (!i)
			tap_ok(model_service(&m, "api")->request_timeout_ms == 10000 &&
			       model_service(&m, "api")->max_body == (uint64_t)32 << 20 &&
			       model_datastore(&m, "db")->connect_timeout_ms == 2000 &&
			       model_datastore(&m, "db")->statement_timeout_ms == 5000,
			       "the model's defaults: request_timeout 10s, max_body 32Mi, "
			       "connect_timeout 2s, statement_timeout 5s");
		env_model_free(&m);
		diag_release(&d);
		free(path);
	}
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	unsetenv("CI_COMMIT_REF_NAME");
	test_merge();
	test_variables();
	test_names();
	test_errors();
	test_reference_envs();
	rm_rf(tmpdir);
	return tap_done();
}
