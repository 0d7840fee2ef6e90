/*
 * The environment model: one environment definition, merged, resolved and
 * validated, as typed structs. Every target (Terraform, Kubernetes, the
 * local runtime, pipelines, loadtest, chaos) reads this and nothing else.
 *
 * Ownership: a struct env_model owns everything it points at, including
 * the file names that `struct ypos` values point into; env_model_free()
 * releases it all. Lists keep the order of the definition, so output that
 * walks them is deterministic.
 */
#ifndef PROVISIONER_MODEL_H
#define PROVISIONER_MODEL_H

#include <stdint.h>

#include "ydecode.h"

enum tier { TIER_TEST, TIER_NIGHTLY, TIER_STAGING, TIER_PRODUCTION };
enum auth_kind { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };
enum repl_mode { REPL_ASYNC, REPL_SYNC };
enum topology { TOPO_AURORA_GLOBAL, TOPO_RDS_REPLICA };
enum engine { ENGINE_POSTGRES };
enum secret_from { SECRET_FROM_ENV, SECRET_FROM_FILE };

extern const char *const tier_names[];
extern const char *const auth_names[];
extern const char *const repl_mode_names[];
extern const char *const topology_names[];
extern const char *const engine_names[];
extern const char *const secret_from_names[];

struct region {
	char *key;           /* "primary": the name used in the definition */
	struct ypos pos;
	char *name;          /* "eu-west-1": the cloud region */
	char *cidr;          /* "10.10.0.0/16" */
	struct yreflist zones;  /* two availability zones */
};

struct check {
	struct ypos pos;     /* line 0: not given */
	char *http;          /* path, "/healthz" */
	uint64_t interval_ms;
	uint64_t timeout_ms;
	int64_t failures;
	uint64_t grace_ms;   /* initial delay */
};

struct autoscale {
	struct ypos pos;
	int enabled;
	int64_t min, max;    /* 0: derived from replicas */
	int64_t cpu;         /* target utilisation, percent */
};

struct resources {
	struct ypos pos;
	uint64_t cpu_m;      /* request, millicores */
	uint64_t memory;     /* request, bytes */
	uint64_t cpu_limit_m;
	uint64_t memory_limit;
};

struct secret_ref {
	char *var;           /* the variable the service sees: "DB_PASSWORD" */
	struct ypos pos;
	int from;            /* enum secret_from */
	char *name;          /* env variable or file path holding the value */
	char *secret;        /* Kubernetes Secret / secret-store name */
	char *key;           /* key inside that Secret */
};

struct service {
	char *name;
	struct ypos pos;
	char *image;
	struct yreflist run;     /* argv for the local runtime */
	int64_t port;
	int64_t replicas;
	struct ypos replicas_pos;
	struct check health;
	struct check ready;
	struct yreflist depends_on;
	struct autoscale autoscale;
	struct resources resources;
	struct ykvlist env;
	struct yarray secrets;   /* struct secret_ref */
	/*
	 * One home for the limits the gateway and the service share: the
	 * gateway's proxy timeouts and body limit on the service's routes are
	 * these, and the service is told them (REQUEST_TIMEOUT_MS, MAX_BODY_BYTES).
	 */
	uint64_t request_timeout_ms;  /* the longest a request may take; default 10s */
	struct ypos request_timeout_pos;
	uint64_t max_body;            /* the largest request body, bytes; default 32Mi */
};

struct replication {
	struct ypos pos;
	struct yref to;          /* region key */
	int mode;                /* enum repl_mode */
};

struct datastore {
	char *name;
	struct ypos pos;
	int engine;              /* enum engine */
	char *version;
	struct ypos version_pos;
	int topology;            /* enum topology */
	struct yref region;      /* where the primary is; default: the first region */
	char *instance_class;
	int64_t instances;
	uint64_t storage;
	char *database;
	char *username;
	int64_t port;
	struct replication replication;
	uint64_t backup_retention_ms;
	int deletion_protection;
	/* client-side bounds of the services that use it; below every user's request_timeout */
	uint64_t connect_timeout_ms;   /* default 2s */
	uint64_t statement_timeout_ms; /* default 5s */
	struct ypos connect_timeout_pos, statement_timeout_pos;
};

struct route {
	struct ypos pos;
	char *prefix;
	struct yref service;
};

struct gateway {
	struct ypos pos;
	struct yarray routes;    /* struct route */
	int tls;
	int auth;                /* enum auth_kind */
	char *auth_secret;       /* Secret holding credentials (Kubernetes) */
	uint64_t rate_rpm;       /* 0: no limit */
	int64_t burst;
	int64_t replicas;
	char *ingress_class;
	char *controller_namespace;
};

struct lifetime {
	struct ypos pos;
	uint64_t ttl_ms;         /* 0: kept until removed */
};

struct failover {
	struct ypos pos;
	int automatic;
	uint64_t after_ms;       /* primary unreachable this long -> promote */
	uint64_t rpo_ms;         /* most data (as time) a promotion may lose; 0: none */
};

struct cluster {
	struct ypos pos;
	char *kubernetes;        /* "1.31" */
	struct yreflist instance_types;
	int64_t nodes_min, nodes_max, nodes_desired;
};

struct network {
	struct ypos pos;
	int single_nat_gateway;
};

struct dns {
	struct ypos pos;
	char *domain;            /* "observatory.example.com" */
	char *zone_id;           /* public hosted zone */
	struct ypos domain_pos, zone_id_pos;
	int64_t ttl;
	char *internal_domain;   /* private zone suffix, "internal" */
};

struct storage {
	struct ypos pos;
	char *bucket;            /* name prefix */
	int force_destroy;
};

struct tfstate {
	struct ypos pos;
	char *bucket;
	char *lock_table;        /* no longer used: an error, saying so */
	struct ypos lock_table_pos;
	char *region;            /* default: the first region's name */
};

struct env_model {
	struct ypos pos;         /* the definition given, not a base */
	char *platform;
	int tier;                /* enum tier */
	struct ypos platform_pos, tier_pos, regions_pos;
	char *name;              /* the template as written */
	char *owner;
	struct yarray regions;   /* struct region; the first is the primary */
	struct lifetime lifetime;
	struct failover failover;
	struct yarray services;  /* struct service */
	struct yarray datastores;/* struct datastore */
	struct gateway gateway;
	struct cluster cluster;
	struct network network;
	struct dns dns;
	struct storage storage;
	struct tfstate terraform;

	/* resolved by the loader, not written in the definition */
	char *env_name;          /* DNS-1123 label: the environment's name */
	char *branch;            /* may be NULL when unknown and unused */
	char *commit;
	char *file;              /* the definition file given */
	char **files;            /* every file read, extends chain; owns ypos.file */
	size_t nr_files;
};

extern const struct yd_schema env_schema;

void env_model_init(struct env_model *m);
void env_model_free(struct env_model *m);

#define MODEL_AT(arr, type, i) ((type *)yarray_at(&(arr), sizeof(type), (i)))
#define for_each_region(m, r) \
	for (struct region *r = (m)->regions.v; r < (struct region *)(m)->regions.v + (m)->regions.nr; r++)
#define for_each_service(m, s) \
	for (struct service *s = (m)->services.v; s < (struct service *)(m)->services.v + (m)->services.nr; s++)
#define for_each_datastore(m, d) \
	for (struct datastore *d = (m)->datastores.v; \
	     d < (struct datastore *)(m)->datastores.v + (m)->datastores.nr; d++)

const struct region *model_region(const struct env_model *m, const char *key);
const struct region *model_primary_region(const struct env_model *m);
const struct service *model_service(const struct env_model *m, const char *name);
const struct datastore *model_datastore(const struct env_model *m, const char *name);

/* The region that holds a datastore's primary / its replica. */
const struct region *datastore_primary_region(const struct env_model *m, const struct datastore *d);
const struct region *datastore_replica_region(const struct env_model *m, const struct datastore *d);

/* Autoscaling bounds with defaults applied. */
int64_t service_min_replicas(const struct service *s);
int64_t service_max_replicas(const struct service *s);

#endif
