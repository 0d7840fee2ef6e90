/*
 * Unit tests for the renderers: determinism, the shape of the Terraform
 * root module, the Kubernetes objects, and the config checksum that rolls
 * pods when configuration changes.
 */
#include "diag.h"
#include "load.h"
#include "render.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"
#include "ynode.h"

#include <stdlib.h>
#include <string.h>

static int load_ref(struct env_model *m, const char *env)
{
	struct load_opts o = LOAD_OPTS_INIT;
	struct diag d = DIAG_INIT;
	char *path = xasprintf("%s/envs/%s.yaml", SOURCE_DIR, env);
	int ret;

	o.branch = "main";
	o.commit = "0123456789abcdef0123456789abcdef01234567";
	env_model_init(m);
	ret = env_load(m, path, &o, &d);
	diag_release(&d);
	free(path);
	return ret;
}

static int render(const struct env_model *m, struct fileset *fs)
{
	struct render_opts ro = { .datadir = SOURCE_DIR };
	struct strbuf err = STRBUF_INIT;
	int ret = render_terraform(m, &ro, fs, &err) | render_kubernetes(m, &ro, fs, &err);

	if (ret)
		tap_diag("render failed: %s", err.buf);
	strbuf_release(&err);
	fileset_sort(fs);
	return ret;
}

/* The documents of a rendered multi-document YAML file, as a JSON array. */
static json_t *yaml_docs(const struct fileset *fs, const char *path)
{
	const struct rfile *f = fileset_find(fs, path);
	json_t *docs;
	const char *p, *end;

	if (!f)
		return NULL;
	docs = json_array();
	for (p = f->data, end = f->data + f->len; p < end;) {
		const char *sep = strstr(p, "\n---\n");
		size_t len = sep ? (size_t)(sep - p) + 1 : (size_t)(end - p);
		struct diag d = DIAG_INIT;
		struct ynode *n = ynode_parse(p, len, path, NULL, &d);

		json_array_append_new(docs, n ? ynode_to_json(n) : json_null());
		ynode_free(n);
		diag_release(&d);
		p += len + (sep ? 4 : 0);
	}
	return docs;
}

static json_t *find_kind(json_t *docs, const char *kind)
{
	size_t i;
	json_t *d;

	json_array_foreach(docs, i, d)
		if (json_is_string(json_object_get(d, "kind")) &&
		    !strcmp(json_string_value(json_object_get(d, "kind")), kind))
			return d;
	return NULL;
}

static const char *checksum_of(const struct fileset *fs)
{
	static char buf[80];
	json_t *docs = yaml_docs(fs, "kubernetes/eu-west-1/service-api.yaml");
	json_t *sum = json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(find_kind(docs, "Deployment"), "spec"), "template"), "metadata"),
		"annotations"), "checksum/config");

	snprintf(buf, sizeof(buf), "%s", json_is_string(sum) ? json_string_value(sum) : "");
	json_decref(docs);
	return buf;
}

static void test_determinism_and_shape(void)
{
	struct env_model m;
	struct fileset a = FILESET_INIT, b = FILESET_INIT;
	json_t *tf = NULL, *providers;
	const struct rfile *f;
	int same = 1;
	char sum1[80];

	tap_ok(load_ref(&m, "test") == 0, "envs/test.yaml loads");
	tap_ok(render(&m, &a) == 0 && render(&m, &b) == 0, "test.yaml renders");
	same = a.nr == b.nr;
	for (size_t i = 0; same && i < a.nr; i++)
		same = !strcmp(a.v[i].path, b.v[i].path) && a.v[i].len == b.v[i].len &&
		       !memcmp(a.v[i].data, b.v[i].data, a.v[i].len);
	tap_ok(same, "two renders of the same model are byte-identical (%zu files)", a.nr);

	f = fileset_find(&a, "terraform/main.tf.json");
	if (f)
		tf = json_loadb(f->data, f->len, 0, NULL);
	providers = json_object_get(json_object_get(tf, "provider"), "aws");
	tap_is_int((intmax_t)json_array_size(providers), 2, "one AWS provider alias per region");
	tap_is_str(json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(
		tf, "terraform"), "backend"), "s3"), "key")), "observatory-main/terraform.tfstate",
		"the state key is derived from the environment's name");
	tap_ok(json_object_get(json_object_get(tf, "module"), "database_db") &&
	       json_object_get(json_object_get(tf, "module"), "network_secondary") &&
	       json_object_get(json_object_get(tf, "module"), "dns_failover"),
	       "the root module calls the database, network and dns modules");
	tap_ok(fileset_find(&a, "terraform/modules/network/main.tf") != NULL,
	       "the modules are copied beside the root module");
	json_decref(tf);

	{
		json_t *svc = yaml_docs(&a, "kubernetes/eu-central-1/service-api.yaml");
		json_t *ns = yaml_docs(&a, "kubernetes/eu-west-1/namespace.yaml");
		static const char *const kinds[] = { "ServiceAccount", "ConfigMap", "Deployment",
			"Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy" };
		int all = json_array_size(svc) == 7;

		for (size_t i = 0; i < 7; i++)
			all &= find_kind(svc, kinds[i]) != NULL;
		tap_ok(all, "a service's file holds its seven objects");
		tap_is_str(json_string_value(json_object_get(json_array_get(ns, 0), "kind")),
			   "Namespace", "namespace.yaml starts with the Namespace");
		tap_ok(find_kind(ns, "LimitRange") && find_kind(ns, "ResourceQuota") &&
		       find_kind(ns, "NetworkPolicy"), "with the base policies and default deny");
		tap_ok(fileset_find(&a, "kubernetes/eu-central-1/kustomization.yaml") &&
		       fileset_find(&a, "kubernetes/eu-central-1/gateway.yaml"),
		       "both regions get a gateway and a kustomization");
		json_decref(svc);
		json_decref(ns);
	}
	snprintf(sum1, sizeof(sum1), "%s", checksum_of(&a));
	tap_ok(strlen(sum1) == 64, "the pod template carries a config checksum");

	/* a configuration change must change the checksum, so pods roll */
	{
		struct service *api = (struct service *)model_service(&m, "api");
		struct fileset c = FILESET_INIT;

		free(api->env.v[0].val);
		api->env.v[0].val = xstrdup("trace");
		render(&m, &c);
		tap_ok(strcmp(sum1, checksum_of(&c)) != 0, "changing config changes the checksum");
		fileset_release(&c);
	}
	fileset_release(&a);
	fileset_release(&b);
	env_model_free(&m);
}

static void test_every_reference_env_renders(void)
{
	static const char *const envs[] = { "production", "staging", "nightly" };

	for (size_t i = 0; i < 3; i++) {
		struct env_model m;
		struct fileset fs = FILESET_INIT;
		int ok = load_ref(&m, envs[i]) == 0 && render(&m, &fs) == 0;
		size_t yaml_ok = 0, yaml = 0;

		for (size_t j = 0; ok && j < fs.nr; j++) {
			size_t len = strlen(fs.v[j].path);
			json_t *docs, *d;
			size_t k;
			int good = 1;

			if (strncmp(fs.v[j].path, "kubernetes/", 11) || strcmp(fs.v[j].path + len - 5, ".yaml"))
				continue;
			yaml++;
			docs = yaml_docs(&fs, fs.v[j].path);
			json_array_foreach(docs, k, d)
				good &= json_is_object(d);
			yaml_ok += good && json_array_size(docs);
			json_decref(docs);
		}
		tap_ok(ok && yaml && yaml == yaml_ok, "envs/%s.yaml renders, every manifest reads back "
		       "(%zu/%zu)", envs[i], yaml_ok, yaml);
		fileset_release(&fs);
		env_model_free(&m);
	}
}

int main(void)
{
	test_determinism_and_shape();
	test_every_reference_env_renders();
	return tap_done();
}
