/*
 * The Kubernetes target: one directory per region, kubernetes/<region>/,
 * with one object per file and a kustomization.yaml listing them, so that
 * `kubectl apply -k` (or any GitOps tool) takes the directory as it is.
 *
 * Per service: ServiceAccount, ConfigMap, Deployment, Service, HPA (on by
 * default), PodDisruptionBudget, NetworkPolicy. Per environment: the
 * Namespace with the base policies of k8s/base, a default-deny
 * NetworkPolicy with DNS allowed, and the gateway's Ingress. Secrets are
 * only ever referenced (secretKeyRef); their values are never read here.
 * A checksum of each ConfigMap is an annotation on the pod template, so a
 * configuration change rolls the pods.
 */
#include "diag.h"
#include "fsutil.h"
#include "hash.h"
#include "naming.h"
#include "render.h"
#include "strbuf.h"
#include "subst.h"
#include "units.h"
#include "xalloc.h"
#include "yamlemit.h"
#include "ynode.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct k8s {
	const struct env_model *m;
	const struct region *region;
	struct fileset *fs;
	const char *dir;             /* "kubernetes/eu-west-1" */
	json_t *resources;           /* file names for kustomization.yaml */
	struct strbuf doc;           /* the file being written: YAML documents */
	char *file;                  /* its name */
};

static json_t *str_take(char *s)
{
	json_t *j = json_string(s);

	free(s);
	return j;
}

static json_t *unit_str(uint64_t v, void (*format)(struct strbuf *, uint64_t))
{
	struct strbuf sb = STRBUF_INIT;

	format(&sb, v);
	return str_take(strbuf_detach(&sb, NULL));
}

/*
 * One file holds several objects (a service's seven, the namespace and its
 * policies), as YAML documents: a tenth of the files one object per file
 * would need, which is most of the cost of writing on most file systems.
 */
static void begin_file(struct k8s *k, const char *name)
{
	k->file = xasprintf("%s.yaml", name);
	strbuf_reset(&k->doc);
}

static void emit(struct k8s *k, json_t *obj)
{
	if (k->doc.len)
		strbuf_addstr(&k->doc, "---\n");
	yaml_emit(&k->doc, obj);
	json_decref(obj);
}

static void end_file(struct k8s *k)
{
	char *path = xasprintf("%s/%s", k->dir, k->file);
	size_t len;
	char *data = strbuf_detach(&k->doc, &len);

	fileset_add(k->fs, path, data, len);
	json_array_append_new(k->resources, json_string(k->file));
	free(path);
	free(k->file);
	k->file = NULL;
}

/* A valid label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static int is_label_value(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > DNS_LABEL_MAX || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
			return 0;
	return 1;
}

static json_t *common_labels(const struct env_model *m)
{
	return json_pack("{s:s, s:s, s:s, s:s}",
			 "app.kubernetes.io/part-of", m->platform,
			 "app.kubernetes.io/managed-by", "provisioner",
			 "provisioner.dev/environment", m->env_name,
			 "provisioner.dev/tier", tier_names[m->tier]);
}

/* The labels a selector uses: stable for the life of the Deployment. */
static json_t *selector_labels(const struct env_model *m, const char *name)
{
	return json_pack("{s:s, s:o}", "app.kubernetes.io/name", name,
			 "app.kubernetes.io/instance",
			 str_take(join_name(m->env_name, name, DNS_LABEL_MAX)));
}

static json_t *labels_for(const struct env_model *m, const char *name, const char *component)
{
	json_t *l = selector_labels(m, name), *common = common_labels(m);

	json_object_set_new(l, "app.kubernetes.io/component", json_string(component));
	if (m->commit && is_label_value(m->commit))
		json_object_set_new(l, "app.kubernetes.io/version", json_string(m->commit));
	json_object_update(l, common);
	json_decref(common);
	return l;
}

static json_t *metadata(const struct k8s *k, const char *name, json_t *labels)
{
	return json_pack("{s:s, s:s, s:o}", "name", name, "namespace", k->m->env_name,
			 "labels", labels);
}

static json_t *object(const char *api, const char *kind, json_t *meta)
{
	return json_pack("{s:s, s:s, s:o}", "apiVersion", api, "kind", kind, "metadata", meta);
}

/* --- per service ---------------------------------------------------------- */

static char *env_key(const char *name, const char *suffix)
{
	char *s = xasprintf("%s_%s", name, suffix);

	for (char *p = s; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

static void set_take(json_t *o, char *key, json_t *v)
{
	json_object_set_new(o, key, v);
	free(key);
}

/* Connection settings for what a service depends on, and its own env. */
static json_t *config_data(const struct k8s *k, const struct service *s)
{
	const struct env_model *m = k->m;
	json_t *d = json_object();
	struct subst_deferred dv;
	char port[16];

	snprintf(port, sizeof(port), "%lld", (long long)s->port);
	dv = (struct subst_deferred){ .region = k->region->name, .port = port, .addr = "" };
	json_object_set_new(d, "PLATFORM", json_string(m->platform));
	json_object_set_new(d, "ENVIRONMENT", json_string(m->env_name));
	json_object_set_new(d, "TIER", json_string(tier_names[m->tier]));
	json_object_set_new(d, "REGION", json_string(k->region->name));
	json_object_set_new(d, "PORT", json_string(port));
	/* the limits the gateway keeps to, as the local runtime gives them */
	json_object_set_new(d, "REQUEST_TIMEOUT_MS",
			    str_take(xasprintf("%llu", (unsigned long long)s->request_timeout_ms)));
	json_object_set_new(d, "MAX_BODY_BYTES",
			    str_take(xasprintf("%llu", (unsigned long long)s->max_body)));
	for (size_t i = 0, first = 1; i < s->depends_on.nr; i++) {
		const char *dep = s->depends_on.v[i].name;
		const struct datastore *ds = model_datastore(m, dep);
		const struct service *svc = model_service(m, dep);

		if (ds && first) {
			first = 0;
			json_object_set_new(d, "DB_CONNECT_TIMEOUT_MS", str_take(xasprintf("%llu",
					    (unsigned long long)ds->connect_timeout_ms)));
			json_object_set_new(d, "DB_STATEMENT_TIMEOUT_MS", str_take(xasprintf("%llu",
					    (unsigned long long)ds->statement_timeout_ms)));
		}
		if (ds) {
			set_take(d, env_key(dep, "HOST"), str_take(xasprintf("%s.%s.%s", ds->name,
					m->env_name, m->dns.internal_domain)));
			set_take(d, env_key(dep, "PORT"), str_take(xasprintf("%lld", (long long)ds->port)));
			set_take(d, env_key(dep, "DATABASE"), json_string(ds->database));
			set_take(d, env_key(dep, "USER"), json_string(ds->username));
		} else if (svc) {
			set_take(d, env_key(dep, "URL"), str_take(xasprintf("http://%s", svc->name)));
		}
	}
	for (size_t i = 0; i < s->env.nr; i++) {
		struct strbuf sb = STRBUF_INIT;

		subst_deferred(&sb, s->env.v[i].val, &dv);
		json_object_set_new(d, s->env.v[i].key, str_take(strbuf_detach(&sb, NULL)));
	}
	return d;
}

static char *checksum(const json_t *data)
{
	char *s = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	char hex[SHA256_HEX_LEN + 1];

	sha256_hex(hex, s, strlen(s));
	free(s);
	return xstrdup(hex);
}

static json_t *probe(const struct check *c)
{
	json_t *p = json_pack("{s:{s:s, s:s}, s:I, s:I, s:I}",
			      "httpGet", "path", c->http, "port", "http",
			      "periodSeconds", (json_int_t)((c->interval_ms + 999) / 1000),
			      "timeoutSeconds", (json_int_t)((c->timeout_ms + 999) / 1000),
			      "failureThreshold", (json_int_t)c->failures);

	if (c->grace_ms)
		json_object_set_new(p, "initialDelaySeconds",
				    json_integer((json_int_t)((c->grace_ms + 999) / 1000)));
	return p;
}

static json_t *resources(const struct service *s)
{
	const struct resources *r = &s->resources;
	json_t *limits = json_object();

	if (r->cpu_limit_m)
		json_object_set_new(limits, "cpu", unit_str(r->cpu_limit_m, format_millicpu));
	json_object_set_new(limits, "memory", unit_str(r->memory_limit ? r->memory_limit : r->memory,
						      format_bytes));
	return json_pack("{s:{s:o, s:o}, s:o}", "requests",
			 "cpu", unit_str(r->cpu_m, format_millicpu),
			 "memory", unit_str(r->memory, format_bytes), "limits", limits);
}

static json_t *secret_env(const struct service *s)
{
	json_t *env = json_array();

	for (size_t i = 0; i < s->secrets.nr; i++) {
		const struct secret_ref *r = MODEL_AT(s->secrets, struct secret_ref, i);

		json_array_append_new(env, json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", r->var,
						     "valueFrom", "secretKeyRef", "name", r->secret,
						     "key", r->key));
	}
	return env;
}

/* Arguments after the program name of `run`, with ${port} and ${region}. */
static json_t *container_args(const struct k8s *k, const struct service *s)
{
	json_t *args = json_array();
	struct subst_deferred dv;
	char port[16];

	snprintf(port, sizeof(port), "%lld", (long long)s->port);
	/* in a pod, listen on every address: "${addr}:${port}" gives ":8080" */
	dv = (struct subst_deferred){ .region = k->region->name, .port = port, .addr = "" };
	for (size_t i = 1; i < s->run.nr; i++) {
		struct strbuf sb = STRBUF_INIT;

		subst_deferred(&sb, s->run.v[i].name, &dv);
		json_array_append_new(args, str_take(strbuf_detach(&sb, NULL)));
	}
	return args;
}

static json_t *container(const struct k8s *k, const struct service *s)
{
	json_t *c = json_pack("{s:s, s:s, s:s}", "name", s->name, "image", s->image,
			      "imagePullPolicy", "IfNotPresent");
	json_t *args = container_args(k, s), *env = secret_env(s);

	if (json_array_size(args))
		json_object_set(c, "args", args);
	json_decref(args);
	json_object_set_new(c, "ports", json_pack("[{s:s, s:I, s:s}]", "name", "http",
						  "containerPort", (json_int_t)s->port,
						  "protocol", "TCP"));
	json_object_set_new(c, "envFrom", json_pack("[{s:{s:o}}]", "configMapRef", "name",
						    str_take(xasprintf("%s-config", s->name))));
	if (json_array_size(env))
		json_object_set(c, "env", env);
	json_decref(env);
	json_object_set_new(c, "resources", resources(s));
	if (s->health.pos.line)
		json_object_set_new(c, "livenessProbe", probe(&s->health));
	if (s->ready.pos.line)
		json_object_set_new(c, "readinessProbe", probe(&s->ready));
	json_object_set_new(c, "securityContext",
			    json_pack("{s:b, s:b, s:{s:[s]}}", "allowPrivilegeEscalation", 0,
				      "readOnlyRootFilesystem", 1, "capabilities", "drop", "ALL"));
	return c;
}

static json_t *pod_spec(const struct k8s *k, const struct service *s)
{
	json_t *spec = json_pack("{s:s, s:b, s:{s:b, s:{s:s}}, s:I}",
				 "serviceAccountName", s->name,
				 "automountServiceAccountToken", 0,
				 "securityContext", "runAsNonRoot", 1, "seccompProfile", "type",
				 "RuntimeDefault",
				 "terminationGracePeriodSeconds", (json_int_t)30);

	json_object_set_new(spec, "topologySpreadConstraints",
			    json_pack("[{s:i, s:s, s:s, s:{s:o}}]", "maxSkew", 1,
				      "topologyKey", "topology.kubernetes.io/zone",
				      "whenUnsatisfiable", "ScheduleAnyway",
				      "labelSelector", "matchLabels", selector_labels(k->m, s->name)));
	json_object_set_new(spec, "containers", json_pack("[o]", container(k, s)));
	return spec;
}

static void render_deployment(struct k8s *k, const struct service *s, const char *sum)
{
	const struct env_model *m = k->m;
	json_t *spec = json_object(), *tmpl;
	json_t *obj = object("apps/v1", "Deployment", metadata(k, s->name, labels_for(m, s->name, "service")));

	/* with an autoscaler the replica count is its business, not ours */
	if (!s->autoscale.enabled)
		json_object_set_new(spec, "replicas", json_integer(s->replicas));
	json_object_set_new(spec, "revisionHistoryLimit", json_integer(5));
	json_object_set_new(spec, "selector", json_pack("{s:o}", "matchLabels", selector_labels(m, s->name)));
	json_object_set_new(spec, "strategy", json_pack("{s:s, s:{s:s, s:i}}", "type", "RollingUpdate",
						      "rollingUpdate", "maxSurge", "25%",
						      "maxUnavailable", 0));
	tmpl = json_pack("{s:{s:o, s:{s:s}}, s:o}", "metadata", "labels", labels_for(m, s->name, "service"),
			 "annotations", "checksum/config", sum, "spec", pod_spec(k, s));
	json_object_set_new(spec, "template", tmpl);
	json_object_set_new(obj, "spec", spec);
	emit(k, obj);
}

static void render_service(struct k8s *k, const struct service *s)
{
	json_t *obj = object("v1", "Service", metadata(k, s->name, labels_for(k->m, s->name, "service")));

	json_object_set_new(obj, "spec", json_pack("{s:s, s:o, s:[{s:s, s:i, s:s, s:s}]}",
						   "type", "ClusterIP",
						   "selector", selector_labels(k->m, s->name),
						   "ports", "name", "http", "port", 80,
						   "targetPort", "http", "protocol", "TCP"));
	emit(k, obj);
}

static void render_hpa(struct k8s *k, const struct service *s)
{
	json_t *obj;

	if (!s->autoscale.enabled)
		return;
	obj = object("autoscaling/v2", "HorizontalPodAutoscaler",
		     metadata(k, s->name, labels_for(k->m, s->name, "service")));
	json_object_set_new(obj, "spec", json_pack(
		"{s:{s:s, s:s, s:s}, s:I, s:I, s:[{s:s, s:{s:s, s:{s:s, s:I}}}]}",
		"scaleTargetRef", "apiVersion", "apps/v1", "kind", "Deployment", "name", s->name,
		"minReplicas", (json_int_t)service_min_replicas(s),
		"maxReplicas", (json_int_t)service_max_replicas(s),
		"metrics", "type", "Resource", "resource", "name", "cpu", "target",
		"type", "Utilization", "averageUtilization", (json_int_t)s->autoscale.cpu));
	emit(k, obj);
}

static void render_pdb(struct k8s *k, const struct service *s)
{
	json_t *obj = object("policy/v1", "PodDisruptionBudget",
			     metadata(k, s->name, labels_for(k->m, s->name, "service")));

	/* one at a time: never blocks a drain, never takes a service down */
	json_object_set_new(obj, "spec", json_pack("{s:i, s:{s:o}}", "maxUnavailable", 1,
						   "selector", "matchLabels",
						   selector_labels(k->m, s->name)));
	emit(k, obj);
}

static void render_service_account(struct k8s *k, const struct service *s)
{
	json_t *obj = object("v1", "ServiceAccount",
			     metadata(k, s->name, labels_for(k->m, s->name, "service")));

	json_object_set_new(obj, "automountServiceAccountToken", json_false());
	emit(k, obj);
}

static char *render_configmap(struct k8s *k, const struct service *s)
{
	char *name = xasprintf("%s-config", s->name);
	json_t *data = config_data(k, s);
	char *sum = checksum(data);
	json_t *obj = object("v1", "ConfigMap", metadata(k, name, labels_for(k->m, s->name, "service")));

	json_object_set_new(obj, "data", data);
	emit(k, obj);
	free(name);
	return sum;
}

/* --- network policies ----------------------------------------------------- */

static json_t *port_rule(int64_t port)
{
	return json_pack("[{s:s, s:I}]", "protocol", "TCP", "port", (json_int_t)port);
}

static int routed(const struct env_model *m, const struct service *s)
{
	for (size_t i = 0; i < m->gateway.routes.nr; i++)
		if (!strcmp(MODEL_AT(m->gateway.routes, struct route, i)->service.name, s->name))
			return 1;
	return 0;
}

static int depends(const struct service *s, const char *name)
{
	for (size_t i = 0; i < s->depends_on.nr; i++)
		if (!strcmp(s->depends_on.v[i].name, name))
			return 1;
	return 0;
}

static json_t *ingress_rules(const struct k8s *k, const struct service *s)
{
	const struct env_model *m = k->m;
	json_t *rules = json_array();

	if (routed(m, s))
		json_array_append_new(rules, json_pack(
			"{s:[{s:{s:{s:s}}, s:{s:{s:s}}}], s:o}",
			"from", "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name",
			m->gateway.controller_namespace, "podSelector", "matchLabels",
			"app.kubernetes.io/name", "ingress-nginx", "ports", port_rule(s->port)));
	for_each_service(m, other)
		if (depends(other, s->name))
			json_array_append_new(rules, json_pack("{s:[{s:{s:o}}], s:o}", "from",
				"podSelector", "matchLabels", selector_labels(m, other->name),
				"ports", port_rule(s->port)));
	return rules;
}

static json_t *egress_rules(const struct k8s *k, const struct service *s)
{
	const struct env_model *m = k->m;
	json_t *rules = json_array();

	for (size_t i = 0; i < s->depends_on.nr; i++) {
		const struct service *svc = model_service(m, s->depends_on.v[i].name);
		const struct datastore *ds = model_datastore(m, s->depends_on.v[i].name);
		json_t *to;

		if (svc) {
			json_array_append_new(rules, json_pack("{s:[{s:{s:o}}], s:o}", "to",
				"podSelector", "matchLabels", selector_labels(m, svc->name),
				"ports", port_rule(svc->port)));
			continue;
		}
		if (!ds)
			continue;
		/* the database subnets of every region: after a failover the primary moves */
		to = json_array();
		for_each_region(m, r)
			for (int zone = 0; zone < 2; zone++)
				json_array_append_new(to, json_pack("{s:{s:o}}", "ipBlock", "cidr",
								    str_take(region_subnet(r, 2, zone))));
		json_array_append_new(rules, json_pack("{s:o, s:o}", "to", to, "ports",
						       port_rule(ds->port)));
	}
	return rules;
}

static void render_network_policy(struct k8s *k, const struct service *s)
{
	json_t *obj = object("networking.k8s.io/v1", "NetworkPolicy",
			     metadata(k, s->name, labels_for(k->m, s->name, "service")));
	json_t *in = ingress_rules(k, s), *out = egress_rules(k, s);
	json_t *spec = json_pack("{s:{s:o}, s:[s, s]}", "podSelector", "matchLabels",
				 selector_labels(k->m, s->name), "policyTypes", "Ingress", "Egress");

	json_object_set_new(spec, "ingress", in);
	json_object_set_new(spec, "egress", out);
	json_object_set_new(obj, "spec", spec);
	emit(k, obj);
}

static void render_default_policies(struct k8s *k)
{
	json_t *deny = object("networking.k8s.io/v1", "NetworkPolicy",
			      metadata(k, "default-deny", common_labels(k->m)));
	json_t *dns = object("networking.k8s.io/v1", "NetworkPolicy",
			     metadata(k, "allow-dns", common_labels(k->m)));

	json_object_set_new(deny, "spec", json_pack("{s:{}, s:[s, s]}", "podSelector",
						    "policyTypes", "Ingress", "Egress"));
	emit(k, deny);
	json_object_set_new(dns, "spec", json_pack(
		"{s:{}, s:[s], s:[{s:[{s:{s:{s:s}}, s:{s:{s:s}}}], s:[{s:s, s:i}, {s:s, s:i}]}]}",
		"podSelector", "policyTypes", "Egress", "egress", "to",
		"namespaceSelector", "matchLabels", "kubernetes.io/metadata.name", "kube-system",
		"podSelector", "matchLabels", "k8s-app", "kube-dns",
		"ports", "protocol", "UDP", "port", 53, "protocol", "TCP", "port", 53));
	emit(k, dns);
}

/* --- the gateway ---------------------------------------------------------- */

/*
 * The routed services' request_timeout and max_body, for ingress-nginx:
 * an Ingress has one of each, so when the routed services differ it takes
 * the largest (the service with the smaller limit still answers 413, or
 * 503 within its own time).
 */
static void route_limits(json_t *a, const struct env_model *m)
{
	uint64_t timeout_ms = 0, max_body = 0;
	unsigned long long seconds;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < m->gateway.routes.nr; i++) {
		const struct route *r = MODEL_AT(m->gateway.routes, struct route, i);
		const struct service *s = model_service(m, r->service.name);

		if (s && s->request_timeout_ms > timeout_ms)
			timeout_ms = s->request_timeout_ms;
		if (s && s->max_body > max_body)
			max_body = s->max_body;
	}
	if (!timeout_ms)
		return;
	format_nginx_size(&sb, max_body);
	json_object_set_new(a, "nginx.ingress.kubernetes.io/proxy-body-size",
			    str_take(strbuf_detach(&sb, NULL)));
	/* whole seconds, rounded up */
	seconds = (timeout_ms + 999) / 1000;
	json_object_set_new(a, "nginx.ingress.kubernetes.io/proxy-read-timeout",
			    str_take(xasprintf("%llu", seconds)));
	json_object_set_new(a, "nginx.ingress.kubernetes.io/proxy-send-timeout",
			    str_take(xasprintf("%llu", seconds)));
}

static json_t *gateway_annotations(const struct env_model *m)
{
	const struct gateway *g = &m->gateway;
	json_t *a = json_object();

	if (g->tls)
		json_object_set_new(a, "nginx.ingress.kubernetes.io/ssl-redirect", json_string("true"));
	if (g->rate_rpm) {
		int per_sec = g->rate_rpm % 60 == 0;
		uint64_t rate = per_sec ? g->rate_rpm / 60 : g->rate_rpm;

		json_object_set_new(a, per_sec ? "nginx.ingress.kubernetes.io/limit-rps"
					       : "nginx.ingress.kubernetes.io/limit-rpm",
				    str_take(xasprintf("%llu", (unsigned long long)rate)));
		if (g->burst && rate)
			json_object_set_new(a, "nginx.ingress.kubernetes.io/limit-burst-multiplier",
					    str_take(xasprintf("%llu", (unsigned long long)
						     (((uint64_t)g->burst + rate - 1) / rate))));
	}
	if (g->auth == AUTH_BASIC) {
		json_object_set_new(a, "nginx.ingress.kubernetes.io/auth-type", json_string("basic"));
		json_object_set_new(a, "nginx.ingress.kubernetes.io/auth-secret",
				    json_string(g->auth_secret));
		json_object_set_new(a, "nginx.ingress.kubernetes.io/auth-realm",
				    str_take(xasprintf("%s %s", m->platform, m->env_name)));
	}
	route_limits(a, m);
	return a;
}

static json_t *ingress_paths(const struct env_model *m)
{
	json_t *paths = json_array();

	for (size_t i = 0; i < m->gateway.routes.nr; i++) {
		const struct route *r = MODEL_AT(m->gateway.routes, struct route, i);

		json_array_append_new(paths, json_pack("{s:s, s:s, s:{s:{s:s, s:{s:s}}}}",
			"path", r->prefix, "pathType", "Prefix", "backend", "service",
			"name", r->service.name, "port", "name", "http"));
	}
	return paths;
}

static void render_ingress(struct k8s *k)
{
	const struct env_model *m = k->m;
	json_t *meta = metadata(k, "gateway", labels_for(m, "gateway", "gateway"));
	json_t *obj, *hosts, *rules = json_array(), *spec;

	json_object_set_new(meta, "annotations", gateway_annotations(m));
	obj = object("networking.k8s.io/v1", "Ingress", meta);
	hosts = json_pack("[o, o]", str_take(xasprintf("%s.%s", m->env_name, m->dns.domain)),
			  str_take(xasprintf("%s.%s.%s", k->region->name, m->env_name, m->dns.domain)));
	for (size_t i = 0; i < json_array_size(hosts); i++)
		json_array_append_new(rules, json_pack("{s:O, s:{s:o}}", "host",
			json_array_get(hosts, i), "http", "paths", ingress_paths(m)));
	spec = json_pack("{s:s}", "ingressClassName", m->gateway.ingress_class);
	if (m->gateway.tls)
		json_object_set_new(spec, "tls", json_pack("[{s:O, s:o}]", "hosts", hosts,
			"secretName", str_take(xasprintf("%s-tls", m->env_name))));
	json_object_set_new(spec, "rules", rules);
	json_object_set_new(obj, "spec", spec);
	json_decref(hosts);
	emit(k, obj);
}

/* --- base policies -------------------------------------------------------- */

static json_t *read_base(const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag d = DIAG_INIT;
	struct ynode *n = NULL;
	json_t *j = NULL;

	if (strbuf_read_file(&sb, path, 1u << 20) < 0) {
		strbuf_addf(err, "cannot read '%s'", path);
		goto out;
	}
	n = ynode_parse(sb.buf, sb.len, path, NULL, &d);
	if (!n || n->kind != YN_MAP) {
		diag_format(&d, err, "");
		if (!d.nr)
			strbuf_addf(err, "'%s' is not a Kubernetes object", path);
		goto out;
	}
	j = ynode_to_json(n);
out:
	ynode_free(n);
	diag_release(&d);
	strbuf_release(&sb);
	return j;
}

static const char *str_or(const json_t *v, const char *def)
{
	return json_is_string(v) ? json_string_value(v) : def;
}

static int kind_is(const json_t *obj, const char *kind)
{
	return !strcmp(str_or(json_object_get(obj, "kind"), ""), kind);
}

static int render_namespace_and_base(struct k8s *k, const char *datadir, struct strbuf *err)
{
	char *dir = path_join(datadir, "k8s/base");
	json_t *ns = object("v1", "Namespace", json_pack("{s:s, s:o}", "name", k->m->env_name,
							 "labels", common_labels(k->m)));
	json_t *base = json_array();
	char **names;
	size_t nr;
	int ret = 0;

	if (list_dir(dir, &names, &nr) < 0) {
		strbuf_addf(err, "cannot list '%s'", dir);
		free(dir);
		json_decref(base);
		json_decref(ns);
		return -1;
	}
	for (size_t i = 0; i < nr && !ret; i++) {
		size_t len = strlen(names[i]);
		char *path;
		json_t *obj, *meta, *labels;

		if (len < 5 || strcmp(names[i] + len - 5, ".yaml") || !strcmp(names[i], "kustomization.yaml"))
			continue;
		path = path_join(dir, names[i]);
		obj = read_base(path, err);
		free(path);
		if (!obj) {
			ret = -1;
			break;
		}
		meta = json_object_get(obj, "metadata");
		labels = json_object_get(meta, "labels");
		if (kind_is(obj, "Namespace")) {
			json_object_update(json_object_get(json_object_get(ns, "metadata"), "labels"), labels);
		} else if (json_is_object(meta)) {
			json_t *l = common_labels(k->m);

			json_object_update(l, labels);
			json_object_set_new(meta, "namespace", json_string(k->m->env_name));
			json_object_set_new(meta, "labels", l);
			json_array_append(base, obj);
		}
		json_decref(obj);
	}
	free_list(names);
	free(dir);
	/* the Namespace first, so a plain `kubectl apply -f` creates it first too */
	begin_file(k, "namespace");
	emit(k, ns);
	for (size_t i = 0; i < json_array_size(base); i++)
		emit(k, json_incref(json_array_get(base, i)));
	json_decref(base);
	render_default_policies(k);
	end_file(k);
	return ret;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static void sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static int render_region(const struct env_model *m, const struct region *r, const char *datadir,
			 struct fileset *fs, struct strbuf *err)
{
	char *dir = xasprintf("kubernetes/%s", r->name), *path;
	struct k8s k = { m, r, fs, dir, json_array(), STRBUF_INIT, NULL };
	json_t *kust;

	if (render_namespace_and_base(&k, datadir, err) < 0) {
		json_decref(k.resources);
		strbuf_release(&k.doc);
		free(dir);
		return -1;
	}
	for_each_service(m, s) {
		char *sum, *file = xasprintf("service-%s", s->name);

		begin_file(&k, file);
		free(file);
		sum = render_configmap(&k, s);

		render_service_account(&k, s);
		render_deployment(&k, s, sum);
		render_service(&k, s);
		render_hpa(&k, s);
		render_pdb(&k, s);
		render_network_policy(&k, s);
		end_file(&k);
		free(sum);
	}
	begin_file(&k, "gateway");
	render_ingress(&k);
	end_file(&k);
	strbuf_release(&k.doc);
	sort_strings(k.resources);
	kust = json_pack("{s:s, s:s, s:s, s:o}", "apiVersion", "kustomize.config.k8s.io/v1beta1",
			 "kind", "Kustomization", "namespace", m->env_name, "resources", k.resources);
	path = xasprintf("%s/kustomization.yaml", dir);
	fileset_add_yaml(fs, path, kust);
	json_decref(kust);
	free(path);
	free(dir);
	return 0;
}

int render_kubernetes(const struct env_model *m, const struct render_opts *o,
		      struct fileset *fs, struct strbuf *err)
{
	for_each_region(m, r)
		if (render_region(m, r, o->datadir, fs, err) < 0)
			return -1;
	return 0;
}
