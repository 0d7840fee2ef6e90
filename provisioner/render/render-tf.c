/*
 * The Terraform target: a root module in JSON syntax (main.tf.json) that
 * calls the project's hand-written modules, which are copied beside it
 * (modules/), so the rendered directory is a complete root module that can
 * be planned and applied from anywhere, and --check sees module drift too.
 *
 * One AWS provider alias per region, named after the region's key; an S3
 * backend whose key is the environment's name, locked with S3's own lock
 * file (use_lockfile, Terraform >= 1.10: no DynamoDB table); the
 * environment, tier, branch and commit as default tags on everything.
 * Scaled-down environments call the same modules with other settings.
 */
#include "fsutil.h"
#include "naming.h"
#include "render.h"
#include "strbuf.h"
#include "units.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TF_REQUIRED_VERSION ">= 1.11"
#define TF_AWS_VERSION ">= 5.40, < 6.0"
#define NAME_MAX_LEN 40

static json_t *tags_json(const struct env_model *m)
{
	json_t *t = json_object();
	char *branch = tag_value(m->branch), *commit = tag_value(m->commit);

	json_object_set_new(t, "environment", json_string(m->env_name));
	json_object_set_new(t, "platform", json_string(m->platform));
	json_object_set_new(t, "tier", json_string(tier_names[m->tier]));
	json_object_set_new(t, "branch", json_string(branch));
	json_object_set_new(t, "commit", json_string(commit));
	if (m->owner && *m->owner) {
		char *owner = tag_value(m->owner);

		json_object_set_new(t, "owner", json_string(owner));
		free(owner);
	}
	json_object_set_new(t, "managed-by", json_string("provisioner"));
	free(branch);
	free(commit);
	return t;
}

/* A Terraform expression "${...}" as a JSON string. */
static json_t *ref(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *ref(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	json_t *j;

	strbuf_addstr(&sb, "${");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '}');
	j = json_string(sb.buf);
	strbuf_release(&sb);
	return j;
}

static json_t *str_take(char *s)
{
	json_t *j = json_string(s);

	free(s);
	return j;
}

static json_t *terraform_block(const struct env_model *m)
{
	json_t *aws = json_pack("{s:s, s:s}", "source", "hashicorp/aws", "version", TF_AWS_VERSION);
	json_t *s3 = json_object();

	json_object_set_new(s3, "bucket", json_string(m->terraform.bucket));
	json_object_set_new(s3, "key", str_take(xasprintf("%s/terraform.tfstate", m->env_name)));
	json_object_set_new(s3, "region", json_string(m->terraform.region));
	json_object_set_new(s3, "encrypt", json_true());
	json_object_set_new(s3, "use_lockfile", json_true());
	return json_pack("{s:s, s:{s:o}, s:{s:o}}", "required_version", TF_REQUIRED_VERSION,
			 "required_providers", "aws", aws, "backend", "s3", s3);
}

static json_t *providers(const struct env_model *m)
{
	json_t *list = json_array();

	for_each_region(m, r)
		json_array_append_new(list, json_pack("{s:s, s:s, s:{s:o}}", "alias", r->key,
						      "region", r->name, "default_tags", "tags",
						      tags_json(m)));
	return json_pack("{s:o}", "aws", list);
}

static json_t *provider_map1(const struct region *r)
{
	return json_pack("{s:o}", "aws", str_take(xasprintf("aws.%s", r->key)));
}

static json_t *provider_map2(const struct region *a, const struct region *b)
{
	return json_pack("{s:o, s:o}", "aws.primary", str_take(xasprintf("aws.%s", a->key)),
			 "aws.secondary", str_take(xasprintf("aws.%s", b->key)));
}

static json_t *module_call(const char *source, json_t *providers_map)
{
	return json_pack("{s:o, s:o}", "source", str_take(xasprintf("./modules/%s", source)),
			 "providers", providers_map);
}

static json_t *strlist(const struct yreflist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->nr; i++)
		json_array_append_new(a, json_string(l->v[i].name));
	return a;
}

static json_t *subnets(const struct region *r, int kind)
{
	return json_pack("[o, o]", str_take(region_subnet(r, kind, 0)),
			 str_take(region_subnet(r, kind, 1)));
}

static char *private_zone(const struct env_model *m)
{
	return xasprintf("%s.%s", m->env_name, m->dns.internal_domain);
}

static void add_region_modules(const struct env_model *m, json_t *modules, const struct region *r)
{
	char *key = xasprintf("network_%s", r->key);
	json_t *net = module_call("network", provider_map1(r));
	json_t *cl = module_call("cluster", provider_map1(r));

	json_object_set_new(net, "name", str_take(region_resource_name(m, r, NAME_MAX_LEN)));
	json_object_set_new(net, "cidr", json_string(r->cidr));
	json_object_set_new(net, "azs", strlist(&r->zones));
	json_object_set_new(net, "public_subnets", subnets(r, 0));
	json_object_set_new(net, "private_subnets", subnets(r, 1));
	json_object_set_new(net, "database_subnets", subnets(r, 2));
	json_object_set_new(net, "single_nat_gateway", json_boolean(m->network.single_nat_gateway));
	json_object_set_new(net, "private_zone_name", str_take(private_zone(m)));
	json_object_set_new(net, "tags", tags_json(m));
	json_object_set_new(modules, key, net);

	json_object_set_new(cl, "name", str_take(region_resource_name(m, r, NAME_MAX_LEN)));
	json_object_set_new(cl, "kubernetes_version", json_string(m->cluster.kubernetes));
	json_object_set_new(cl, "subnet_ids", ref("module.network_%s.private_subnet_ids", r->key));
	json_object_set_new(cl, "node_instance_types", strlist(&m->cluster.instance_types));
	json_object_set_new(cl, "node_min", json_integer(m->cluster.nodes_min));
	json_object_set_new(cl, "node_max", json_integer(m->cluster.nodes_max));
	json_object_set_new(cl, "node_desired", json_integer(m->cluster.nodes_desired));
	json_object_set_new(cl, "tags", tags_json(m));
	free(key);
	key = xasprintf("cluster_%s", r->key);
	json_object_set_new(modules, key, cl);
	free(key);
}

static int64_t retention_days(uint64_t ms)
{
	return (int64_t)((ms + 86399999) / 86400000);
}

static json_t *database_module(const struct env_model *m, const struct datastore *d)
{
	const struct region *home = datastore_primary_region(m, d);
	const struct region *rep = datastore_replica_region(m, d);
	json_t *db = module_call("database", provider_map2(home, rep));

	json_object_set_new(db, "name", str_take(join_name(m->env_name, d->name, NAME_MAX_LEN)));
	json_object_set_new(db, "engine_version", json_string(d->version));
	json_object_set_new(db, "topology", json_string(topology_names[d->topology]));
	json_object_set_new(db, "instance_class", json_string(d->instance_class));
	json_object_set_new(db, "instances", json_integer(d->instances));
	json_object_set_new(db, "allocated_storage_gb", json_integer((json_int_t)(d->storage >> 30)));
	json_object_set_new(db, "multi_az", json_boolean(d->instances > 1));
	json_object_set_new(db, "database_name", json_string(d->database));
	json_object_set_new(db, "master_username", json_string(d->username));
	json_object_set_new(db, "primary_subnet_group",
			    ref("module.network_%s.database_subnet_group_name", home->key));
	json_object_set_new(db, "secondary_subnet_group",
			    ref("module.network_%s.database_subnet_group_name", rep->key));
	json_object_set_new(db, "primary_vpc_id", ref("module.network_%s.vpc_id", home->key));
	json_object_set_new(db, "secondary_vpc_id", ref("module.network_%s.vpc_id", rep->key));
	json_object_set_new(db, "primary_allowed_cidrs", json_pack("[s]", home->cidr));
	json_object_set_new(db, "secondary_allowed_cidrs", json_pack("[s]", rep->cidr));
	json_object_set_new(db, "primary_zone_id", ref("module.network_%s.private_zone_id", home->key));
	json_object_set_new(db, "secondary_zone_id", ref("module.network_%s.private_zone_id", rep->key));
	json_object_set_new(db, "record_name", json_string(d->name));
	json_object_set_new(db, "deletion_protection", json_boolean(d->deletion_protection));
	json_object_set_new(db, "backup_retention_days",
			    json_integer(retention_days(d->backup_retention_ms)));
	/* Both topologies need it: AWS manages no password for a cluster in a
	 * global database, nor for an RDS instance that has read replicas. */
	json_object_set_new(db, "master_password_wo", json_string("${var.db_master_password}"));
	json_object_set_new(db, "tags", tags_json(m));
	return db;
}

static json_t *storage_module(const struct env_model *m, const struct region *a,
			      const struct region *b)
{
	json_t *s3 = module_call("object-storage", provider_map2(a, b));

	json_object_set_new(s3, "name", str_take(dns_label(m->storage.bucket, 48)));
	json_object_set_new(s3, "primary_region", json_string(a->name));
	json_object_set_new(s3, "secondary_region", json_string(b->name));
	json_object_set_new(s3, "force_destroy", json_boolean(m->storage.force_destroy));
	json_object_set_new(s3, "tags", tags_json(m));
	return s3;
}

static const struct service *gateway_health_service(const struct env_model *m)
{
	const struct route *r = m->gateway.routes.v;

	return r ? model_service(m, r->service.name) : NULL;
}

static json_t *dns_module(const struct env_model *m, const struct region *a,
			  const struct region *b)
{
	json_t *dns = module_call("dns-failover", provider_map1(a));
	const struct service *svc = gateway_health_service(m);
	const struct check *h = svc ? &svc->health : NULL;
	int64_t interval = h && h->interval_ms <= 10000 ? 10 : 30;

	json_object_set_new(dns, "zone_id", json_string(m->dns.zone_id));
	json_object_set_new(dns, "record_name", str_take(xasprintf("%s.%s", m->env_name, m->dns.domain)));
	json_object_set_new(dns, "primary_target",
			    str_take(xasprintf("%s.%s.%s", a->name, m->env_name, m->dns.domain)));
	json_object_set_new(dns, "secondary_target",
			    str_take(xasprintf("%s.%s.%s", b->name, m->env_name, m->dns.domain)));
	json_object_set_new(dns, "health_check_path", json_string(h ? h->http : "/healthz"));
	json_object_set_new(dns, "health_check_port", json_integer(m->gateway.tls ? 443 : 80));
	json_object_set_new(dns, "failure_threshold", json_integer(h ? h->failures : 3));
	json_object_set_new(dns, "request_interval", json_integer(interval));
	json_object_set_new(dns, "ttl", json_integer(m->dns.ttl));
	json_object_set_new(dns, "tags", tags_json(m));
	return dns;
}

static json_t *secret_names(const struct env_model *m)
{
	json_t *names = json_array();

	for_each_service(m, s) {
		for (size_t i = 0; i < s->secrets.nr; i++) {
			const struct secret_ref *r = MODEL_AT(s->secrets, struct secret_ref, i);
			char *name = xasprintf("%s/%s", r->secret, r->key);
			int seen = 0;

			for (size_t j = 0; j < json_array_size(names); j++)
				seen |= !strcmp(json_string_value(json_array_get(names, j)), name);
			if (!seen)
				json_array_append_new(names, json_string(name));
			free(name);
		}
	}
	return names;
}

static json_t *secrets_module(const struct env_model *m, const struct region *a,
			      const struct region *b)
{
	json_t *sec = module_call("secrets", provider_map2(a, b));
	int throwaway = m->tier == TIER_TEST || m->tier == TIER_NIGHTLY;

	json_object_set_new(sec, "name", json_string(m->env_name));
	json_object_set_new(sec, "secret_names", secret_names(m));
	json_object_set_new(sec, "recovery_window_in_days", json_integer(throwaway ? 0 : 30));
	json_object_set_new(sec, "tags", tags_json(m));
	return sec;
}

static void output(json_t *outputs, const char *name, json_t *value, int sensitive)
{
	json_t *o = json_pack("{s:o}", "value", value);

	if (sensitive)
		json_object_set_new(o, "sensitive", json_true());
	json_object_set_new(outputs, name, o);
}

static json_t *outputs_block(const struct env_model *m)
{
	json_t *out = json_object();
	char *name;

	for_each_region(m, r) {
		name = xasprintf("%s_vpc_id", r->key);
		output(out, name, ref("module.network_%s.vpc_id", r->key), 0);
		free(name);
		name = xasprintf("%s_cluster_name", r->key);
		output(out, name, ref("module.cluster_%s.cluster_name", r->key), 0);
		free(name);
		name = xasprintf("%s_cluster_endpoint", r->key);
		output(out, name, ref("module.cluster_%s.cluster_endpoint", r->key), 0);
		free(name);
	}
	for_each_datastore(m, d) {
		name = xasprintf("%s_primary_endpoint", d->name);
		output(out, name, ref("module.database_%s.primary_endpoint", d->name), 0);
		free(name);
		name = xasprintf("%s_secondary_endpoint", d->name);
		output(out, name, ref("module.database_%s.secondary_endpoint", d->name), 0);
		free(name);
	}
	output(out, "primary_bucket", ref("module.object_storage.primary_bucket"), 0);
	output(out, "secondary_bucket", ref("module.object_storage.secondary_bucket"), 0);
	output(out, "fqdn", ref("module.dns_failover.fqdn"), 0);
	output(out, "secret_arns", ref("module.secrets.secret_arns"), 0);
	return out;
}

static int needs_db_password(const struct env_model *m)
{
	return m->datastores.nr > 0;
}

static json_t *variables_block(const struct env_model *m)
{
	if (!needs_db_password(m))
		return NULL;
	return json_pack("{s:{s:s, s:s, s:b, s:b}}", "db_master_password",
			 "type", "string",
			 "description", "master password of the databases: supply it at "
					"plan/apply time as TF_VAR_db_master_password; it is "
					"write-only and never stored in state",
			 "sensitive", 1, "ephemeral", 1);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static json_t *root_module(const struct env_model *m)
{
	const struct region *a = model_primary_region(m);
	const struct region *b = a + 1;
	json_t *root = json_object(), *modules = json_object(), *vars = variables_block(m);

	json_object_set_new(root, "//", str_take(xasprintf(
		"rendered by provisioner from %s for environment %s; do not edit",
		base_name(m->file), m->env_name)));
	json_object_set_new(root, "terraform", terraform_block(m));
	json_object_set_new(root, "provider", providers(m));
	if (vars)
		json_object_set_new(root, "variable", vars);
	for_each_region(m, r)
		add_region_modules(m, modules, r);
	for_each_datastore(m, d) {
		char *key = xasprintf("database_%s", d->name);

		json_object_set_new(modules, key, database_module(m, d));
		free(key);
	}
	json_object_set_new(modules, "object_storage", storage_module(m, a, b));
	json_object_set_new(modules, "dns_failover", dns_module(m, a, b));
	json_object_set_new(modules, "secrets", secrets_module(m, a, b));
	json_object_set_new(root, "module", modules);
	json_object_set_new(root, "output", outputs_block(m));
	return root;
}

int render_terraform(const struct env_model *m, const struct render_opts *o,
		     struct fileset *fs, struct strbuf *err)
{
	char *modules = path_join(o->datadir, "terraform/modules");
	json_t *root;
	int ret;

	if (m->regions.nr < 2) {
		strbuf_addstr(err, "the Terraform target needs two regions");
		free(modules);
		return -1;
	}
	root = root_module(m);
	fileset_add_json(fs, "terraform/main.tf.json", root);
	json_decref(root);
	ret = fileset_add_tree(fs, "terraform/modules", modules);
	if (ret < 0)
		strbuf_addf(err, "cannot read the Terraform modules in '%s'", modules);
	free(modules);
	return ret;
}
