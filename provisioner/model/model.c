/*
 * The schema of environment definitions, as tables for ydecode, and the
 * model's lifecycle and look-ups; see model.h.
 *
 * The tables are the single description of the format: the decoder, the
 * unknown-key suggestions and `provisioner show` all read them.
 */
#include "model.h"
#include "xalloc.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const tier_names[] = { "test", "nightly", "staging", "production", NULL };
const char *const auth_names[] = { "none", "basic", "bearer", NULL };
const char *const repl_mode_names[] = { "async", "sync", NULL };
const char *const topology_names[] = { "aurora-global", "rds-replica", NULL };
const char *const engine_names[] = { "postgres", NULL };
const char *const secret_from_names[] = { "env", "file", NULL };

#define F(type_, member, key_, kind, ...) \
	{ .key = key_, .type = kind, .off = offsetof(type_, member), __VA_ARGS__ }
#define RANGE(lo, hi) .flags = YD_RANGE, .min = (lo), .max = (hi)

/* A name used as a key: DNS-1123 label, short enough to prefix. */
static int check_label(const char *name, const char **why)
{
	size_t len = strlen(name);

	if (!len || len > 40) {
		*why = "must be 1 to 40 characters";
		return -1;
	}
	if (!islower((unsigned char)name[0])) {
		*why = "must start with a lower-case letter";
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-') {
			*why = "may contain only lower-case letters, digits and '-'";
			return -1;
		}
	}
	if (name[len - 1] == '-') {
		*why = "may not end with '-'";
		return -1;
	}
	return 0;
}

/* An environment variable name. */
static int check_var(const char *name, const char **why)
{
	if (!isalpha((unsigned char)name[0]) && name[0] != '_') {
		*why = "must start with a letter or '_'";
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			*why = "may contain only letters, digits and '_'";
			return -1;
		}
	}
	return 0;
}

static const struct yd_field region_fields[] = {
	F(struct region, name, "name", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .doc = "the cloud region, e.g. eu-west-1"),
	F(struct region, cidr, "cidr", YD_STRING, .doc = "the region's network, e.g. 10.10.0.0/16"),
	F(struct region, zones, "zones", YD_STRLIST, .doc = "two availability zones"),
};

static const struct yd_schema region_schema = {
	.what = "region", .size = sizeof(struct region), YD_FIELDS(region_fields),
	.name_off = offsetof(struct region, key), YD_POS(struct region, pos),
	.check_name = check_label,
};

static void check_init(void *obj)
{
	struct check *c = obj;

	c->interval_ms = 10000;
	c->timeout_ms = 1000;
	c->failures = 3;
}

static const struct yd_field check_fields[] = {
	F(struct check, http, "http", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .doc = "HTTP path to GET, e.g. /healthz"),
	F(struct check, interval_ms, "interval", YD_DURATION, RANGE(100, 3600000)),
	F(struct check, timeout_ms, "timeout", YD_DURATION, RANGE(100, 600000)),
	F(struct check, failures, "failures", YD_INT, RANGE(1, 100)),
	F(struct check, grace_ms, "grace", YD_DURATION, RANGE(0, 3600000)),
};

static const struct yd_schema check_schema = {
	.what = "health check", YD_FIELDS(check_fields), YD_POS(struct check, pos),
};

static const struct yd_field autoscale_fields[] = {
	F(struct autoscale, enabled, "enabled", YD_BOOL),
	F(struct autoscale, min, "min", YD_INT, RANGE(1, 1000)),
	F(struct autoscale, max, "max", YD_INT, RANGE(1, 1000)),
	F(struct autoscale, cpu, "cpu", YD_INT, RANGE(1, 100), .doc = "target CPU, percent"),
};

static const struct yd_schema autoscale_schema = {
	.what = "autoscale", YD_FIELDS(autoscale_fields), YD_POS(struct autoscale, pos),
};

static const struct yd_field resources_fields[] = {
	F(struct resources, cpu_m, "cpu", YD_CPU, RANGE(1, 256000)),
	F(struct resources, memory, "memory", YD_BYTES, RANGE(1 << 20, (int64_t)1 << 40)),
	F(struct resources, cpu_limit_m, "cpu_limit", YD_CPU, RANGE(1, 256000)),
	F(struct resources, memory_limit, "memory_limit", YD_BYTES, RANGE(1 << 20, (int64_t)1 << 40)),
};

static const struct yd_schema resources_schema = {
	.what = "resources", YD_FIELDS(resources_fields), YD_POS(struct resources, pos),
};

static const struct yd_field secret_fields[] = {
	F(struct secret_ref, from, "from", YD_ENUM, .flags = YD_REQUIRED,
	  .names = secret_from_names),
	F(struct secret_ref, name, "name", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .doc = "the environment variable or file that holds the value"),
	F(struct secret_ref, secret, "secret", YD_STRING, .flags = YD_NONEMPTY,
	  .doc = "the Kubernetes Secret that holds it in a cluster"),
	F(struct secret_ref, key, "key", YD_STRING, .flags = YD_NONEMPTY),
};

static const struct yd_schema secret_schema = {
	.what = "secret", .size = sizeof(struct secret_ref), YD_FIELDS(secret_fields),
	.name_off = offsetof(struct secret_ref, var), YD_POS(struct secret_ref, pos),
	.check_name = check_var,
};

static void service_init(void *obj)
{
	struct service *s = obj;

	s->replicas = 1;
	check_init(&s->health);
	check_init(&s->ready);
	s->autoscale.enabled = 1;
	s->autoscale.cpu = 70;
	s->resources.cpu_m = 100;
	s->resources.memory = 128 << 20;
	s->request_timeout_ms = 10000;
	s->max_body = (uint64_t)32 << 20;
}

static const struct yd_field service_fields[] = {
	F(struct service, image, "image", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct service, run, "run", YD_STRLIST, .doc = "the command the local runtime starts"),
	F(struct service, port, "port", YD_INT, .flags = YD_REQUIRED | YD_RANGE, .min = 1, .max = 65535),
	F(struct service, replicas, "replicas", YD_INT, RANGE(1, 1000),
	  YD_VPOS(struct service, replicas_pos)),
	F(struct service, health, "health", YD_STRUCT, .sub = &check_schema),
	F(struct service, ready, "ready", YD_STRUCT, .sub = &check_schema),
	F(struct service, depends_on, "depends_on", YD_STRLIST),
	F(struct service, autoscale, "autoscale", YD_STRUCT, .sub = &autoscale_schema),
	F(struct service, resources, "resources", YD_STRUCT, .sub = &resources_schema),
	F(struct service, env, "env", YD_STRMAP, .doc = "configuration that is not secret"),
	F(struct service, secrets, "secrets", YD_NAMED, .sub = &secret_schema),
	F(struct service, request_timeout_ms, "request_timeout", YD_DURATION, RANGE(1000, 600000),
	  YD_VPOS(struct service, request_timeout_pos),
	  .doc = "the longest a request may take: the gateway answers 503 after it"),
	F(struct service, max_body, "max_body", YD_BYTES, RANGE(1024, (int64_t)1 << 30),
	  .doc = "the largest request body: the gateway answers 413 above it"),
};

static const struct yd_schema service_schema = {
	.what = "service", .size = sizeof(struct service), YD_FIELDS(service_fields),
	.name_off = offsetof(struct service, name), YD_POS(struct service, pos),
	.init = service_init, .check_name = check_label,
};

static const struct yd_field replication_fields[] = {
	F(struct replication, to, "to", YD_REF, .flags = YD_REQUIRED, .doc = "a region key"),
	F(struct replication, mode, "mode", YD_ENUM, .names = repl_mode_names),
};

static const struct yd_schema replication_schema = {
	.what = "replication", YD_FIELDS(replication_fields), YD_POS(struct replication, pos),
};

static void datastore_init(void *obj)
{
	struct datastore *d = obj;

	d->instances = 1;
	d->storage = (uint64_t)20 << 30;
	d->port = 5432;
	d->backup_retention_ms = 7 * 86400000ULL;
	d->deletion_protection = 1;
	d->connect_timeout_ms = 2000;
	d->statement_timeout_ms = 5000;
}

static const struct yd_field datastore_fields[] = {
	F(struct datastore, engine, "engine", YD_ENUM, .flags = YD_REQUIRED, .names = engine_names),
	F(struct datastore, version, "version", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  YD_VPOS(struct datastore, version_pos)),
	F(struct datastore, topology, "topology", YD_ENUM, .names = topology_names),
	F(struct datastore, region, "region", YD_REF, .doc = "region key of the primary"),
	F(struct datastore, instance_class, "instance_class", YD_STRING, .flags = YD_NONEMPTY),
	F(struct datastore, instances, "instances", YD_INT, RANGE(1, 15)),
	F(struct datastore, storage, "storage", YD_BYTES, RANGE((int64_t)1 << 30, (int64_t)64 << 40)),
	F(struct datastore, database, "database", YD_STRING, .flags = YD_NONEMPTY),
	F(struct datastore, username, "username", YD_STRING, .flags = YD_NONEMPTY),
	F(struct datastore, port, "port", YD_INT, RANGE(1, 65535)),
	F(struct datastore, replication, "replication", YD_STRUCT, .flags = YD_REQUIRED,
	  .sub = &replication_schema),
	F(struct datastore, backup_retention_ms, "backup_retention", YD_DURATION,
	  RANGE(86400000, 35 * 86400000LL)),
	F(struct datastore, deletion_protection, "deletion_protection", YD_BOOL),
	F(struct datastore, connect_timeout_ms, "connect_timeout", YD_DURATION, RANGE(1000, 60000),
	  YD_VPOS(struct datastore, connect_timeout_pos),
	  .doc = "how long a service waits for a connection, per server"),
	F(struct datastore, statement_timeout_ms, "statement_timeout", YD_DURATION,
	  RANGE(100, 600000), YD_VPOS(struct datastore, statement_timeout_pos),
	  .doc = "how long one statement may run (the server cancels it; the client gives up)"),
};

static const struct yd_schema datastore_schema = {
	.what = "datastore", .size = sizeof(struct datastore), YD_FIELDS(datastore_fields),
	.name_off = offsetof(struct datastore, name), YD_POS(struct datastore, pos),
	.init = datastore_init, .check_name = check_label,
};

static const struct yd_field route_fields[] = {
	F(struct route, prefix, "prefix", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY),
	F(struct route, service, "service", YD_REF, .flags = YD_REQUIRED),
};

static const struct yd_schema route_schema = {
	.what = "route", .size = sizeof(struct route), YD_FIELDS(route_fields),
	YD_POS(struct route, pos),
};

static const struct yd_field gateway_fields[] = {
	F(struct gateway, routes, "routes", YD_LIST, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .sub = &route_schema),
	F(struct gateway, tls, "tls", YD_BOOL),
	F(struct gateway, auth, "auth", YD_ENUM, .names = auth_names),
	F(struct gateway, auth_secret, "auth_secret", YD_STRING, .flags = YD_NONEMPTY),
	F(struct gateway, rate_rpm, "rate", YD_RATE, RANGE(1, (int64_t)60 * 1000000)),
	F(struct gateway, burst, "burst", YD_INT, RANGE(0, 1000000)),
	F(struct gateway, replicas, "replicas", YD_INT, RANGE(1, 100)),
	F(struct gateway, ingress_class, "ingress_class", YD_STRING, .flags = YD_NONEMPTY),
	F(struct gateway, controller_namespace, "controller_namespace", YD_STRING,
	  .flags = YD_NONEMPTY),
};

static const struct yd_schema gateway_schema = {
	.what = "gateway", YD_FIELDS(gateway_fields), YD_POS(struct gateway, pos),
};

static const struct yd_field lifetime_fields[] = {
	F(struct lifetime, ttl_ms, "ttl", YD_DURATION, RANGE(60000, 365 * 86400000LL)),
};

static const struct yd_schema lifetime_schema = {
	.what = "lifetime", YD_FIELDS(lifetime_fields), YD_POS(struct lifetime, pos),
};

static const struct yd_field failover_fields[] = {
	F(struct failover, automatic, "automatic", YD_BOOL),
	F(struct failover, after_ms, "after", YD_DURATION, RANGE(1000, 3600000)),
	F(struct failover, rpo_ms, "rpo", YD_DURATION, RANGE(0, 86400000),
	  .doc = "most data, as time, an automatic promotion may lose; 0: none"),
};

static const struct yd_schema failover_schema = {
	.what = "failover", YD_FIELDS(failover_fields), YD_POS(struct failover, pos),
};

static const struct yd_field cluster_fields[] = {
	F(struct cluster, kubernetes, "kubernetes", YD_STRING, .flags = YD_NONEMPTY),
	F(struct cluster, instance_types, "instance_types", YD_STRLIST, .flags = YD_NONEMPTY),
	F(struct cluster, nodes_min, "nodes_min", YD_INT, RANGE(1, 1000)),
	F(struct cluster, nodes_max, "nodes_max", YD_INT, RANGE(1, 1000)),
	F(struct cluster, nodes_desired, "nodes_desired", YD_INT, RANGE(1, 1000)),
};

static const struct yd_schema cluster_schema = {
	.what = "cluster", YD_FIELDS(cluster_fields), YD_POS(struct cluster, pos),
};

static const struct yd_field network_fields[] = {
	F(struct network, single_nat_gateway, "single_nat_gateway", YD_BOOL),
};

static const struct yd_schema network_schema = {
	.what = "network", YD_FIELDS(network_fields), YD_POS(struct network, pos),
};

static const struct yd_field dns_fields[] = {
	F(struct dns, domain, "domain", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  YD_VPOS(struct dns, domain_pos)),
	F(struct dns, zone_id, "zone_id", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  YD_VPOS(struct dns, zone_id_pos)),
	F(struct dns, ttl, "ttl", YD_INT, RANGE(1, 86400)),
	F(struct dns, internal_domain, "internal_domain", YD_STRING, .flags = YD_NONEMPTY),
};

static const struct yd_schema dns_schema = {
	.what = "dns", YD_FIELDS(dns_fields), YD_POS(struct dns, pos),
};

static const struct yd_field storage_fields[] = {
	F(struct storage, bucket, "bucket", YD_STRING, .flags = YD_NONEMPTY),
	F(struct storage, force_destroy, "force_destroy", YD_BOOL),
};

static const struct yd_schema storage_schema = {
	.what = "storage", YD_FIELDS(storage_fields), YD_POS(struct storage, pos),
};

static const struct yd_field tfstate_fields[] = {
	F(struct tfstate, bucket, "state_bucket", YD_STRING, .flags = YD_NONEMPTY),
	F(struct tfstate, lock_table, "lock_table", YD_STRING,
	  YD_VPOS(struct tfstate, lock_table_pos)),
	F(struct tfstate, region, "state_region", YD_STRING, .flags = YD_NONEMPTY),
};

static const struct yd_schema tfstate_schema = {
	.what = "terraform", YD_FIELDS(tfstate_fields), YD_POS(struct tfstate, pos),
};

static const struct yd_field env_fields[] = {
	F(struct env_model, platform, "platform", YD_STRING, .flags = YD_REQUIRED | YD_NONEMPTY,
	  YD_VPOS(struct env_model, platform_pos)),
	F(struct env_model, tier, "tier", YD_ENUM, .flags = YD_REQUIRED, .names = tier_names,
	  YD_VPOS(struct env_model, tier_pos)),
	F(struct env_model, name, "name", YD_STRING, .flags = YD_NONEMPTY,
	  .doc = "template of the environment's name"),
	F(struct env_model, owner, "owner", YD_STRING),
	F(struct env_model, regions, "regions", YD_NAMED, .flags = YD_REQUIRED, .sub = &region_schema,
	  YD_VPOS(struct env_model, regions_pos)),
	F(struct env_model, lifetime, "lifetime", YD_STRUCT, .sub = &lifetime_schema),
	F(struct env_model, failover, "failover", YD_STRUCT, .sub = &failover_schema),
	F(struct env_model, services, "services", YD_NAMED, .flags = YD_REQUIRED | YD_NONEMPTY,
	  .sub = &service_schema),
	F(struct env_model, datastores, "datastores", YD_NAMED, .sub = &datastore_schema),
	F(struct env_model, gateway, "gateway", YD_STRUCT, .flags = YD_REQUIRED, .sub = &gateway_schema),
	F(struct env_model, cluster, "cluster", YD_STRUCT, .sub = &cluster_schema),
	F(struct env_model, network, "network", YD_STRUCT, .sub = &network_schema),
	F(struct env_model, dns, "dns", YD_STRUCT, .flags = YD_REQUIRED, .sub = &dns_schema),
	F(struct env_model, storage, "storage", YD_STRUCT, .sub = &storage_schema),
	F(struct env_model, terraform, "terraform", YD_STRUCT, .sub = &tfstate_schema),
};

const struct yd_schema env_schema = {
	.what = "environment", YD_FIELDS(env_fields), YD_POS(struct env_model, pos),
};

void env_model_init(struct env_model *m)
{
	memset(m, 0, sizeof(*m));
	m->tier = TIER_PRODUCTION;
	m->failover.automatic = 1;
	m->failover.after_ms = 30000;
	m->failover.rpo_ms = 0;   /* never lose an acknowledged write without a person's word */
	m->gateway.tls = 1;
	m->gateway.auth = AUTH_BASIC;
	m->gateway.replicas = 2;
	m->cluster.nodes_min = 2;
	m->cluster.nodes_max = 6;
	m->cluster.nodes_desired = 3;
	m->dns.ttl = 60;
}

void env_model_free(struct env_model *m)
{
	yd_release(&env_schema, m);
	free(m->env_name);
	free(m->branch);
	free(m->commit);
	free(m->file);
	for (size_t i = 0; i < m->nr_files; i++)
		free(m->files[i]);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

const struct region *model_region(const struct env_model *m, const char *key)
{
	for_each_region(m, r)
		if (!strcmp(r->key, key))
			return r;
	return NULL;
}

const struct region *model_primary_region(const struct env_model *m)
{
	return m->regions.nr ? m->regions.v : NULL;
}

const struct service *model_service(const struct env_model *m, const char *name)
{
	for_each_service(m, s)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

const struct datastore *model_datastore(const struct env_model *m, const char *name)
{
	for_each_datastore(m, d)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

const struct region *datastore_primary_region(const struct env_model *m, const struct datastore *d)
{
	return d->region.name ? model_region(m, d->region.name) : model_primary_region(m);
}

const struct region *datastore_replica_region(const struct env_model *m, const struct datastore *d)
{
	return model_region(m, d->replication.to.name);
}

int64_t service_min_replicas(const struct service *s)
{
	return s->autoscale.min ? s->autoscale.min : s->replicas;
}

int64_t service_max_replicas(const struct service *s)
{
	int64_t min = service_min_replicas(s);

	if (s->autoscale.max)
		return s->autoscale.max;
	return min * 3 > 2 ? min * 3 : 2;
}
