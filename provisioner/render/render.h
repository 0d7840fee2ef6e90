/*
 * Rendering: the model becomes a set of files in memory, which the render
 * command then writes (into a temporary directory renamed into place) or
 * compares with what is on disk (--check). Renderers never touch the disk
 * except to read the project's own modules and base manifests.
 *
 * Output is deterministic: the same model gives byte-identical files.
 */
#ifndef PROVISIONER_RENDER_H
#define PROVISIONER_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "model.h"

struct strbuf;

struct rfile {
	char *path;     /* relative to the output directory: "terraform/main.tf.json" */
	char *data;
	size_t len;
};

struct fileset {
	struct rfile *v;
	size_t nr, alloc;
	int sorted;     /* by path: fileset_find() searches in O(log n) */
};

#define FILESET_INIT { NULL, 0, 0, 0 }

void fileset_release(struct fileset *fs);
/* Takes ownership of `data`. */
void fileset_add(struct fileset *fs, const char *path, char *data, size_t len);
void fileset_add_json(struct fileset *fs, const char *path, const json_t *v);
void fileset_add_yaml(struct fileset *fs, const char *path, const json_t *v);
/* Add every file below `dir` on disk under `prefix`. Returns 0 or -1 (errno). */
int fileset_add_tree(struct fileset *fs, const char *prefix, const char *dir);
/* Sort by path; adding a file unsorts. */
void fileset_sort(struct fileset *fs);
const struct rfile *fileset_find(const struct fileset *fs, const char *path);

/*
 * Where the project's Terraform modules and base manifests live: the
 * directory holding terraform/modules and k8s/base. $PROVISIONER_DATADIR,
 * else the nearest ancestor of the definition's directory that has both,
 * else the directory the program was built from.
 */
char *find_datadir(const char *env_file, struct strbuf *err);

struct render_opts {
	const char *datadir;
};

/* Each returns 0, or -1 with a message in `err`. */
int render_terraform(const struct env_model *m, const struct render_opts *o,
		     struct fileset *fs, struct strbuf *err);
int render_kubernetes(const struct env_model *m, const struct render_opts *o,
		      struct fileset *fs, struct strbuf *err);

/* Shared naming used by both renderers, so they agree. */
char *region_resource_name(const struct env_model *m, const struct region *r, size_t max);
/* Subnet CIDRs of a region: kind 0 public, 1 private, 2 database; zone 0 or 1. */
char *region_subnet(const struct region *r, int kind, int zone);
/* A cloud tag value: only the characters AWS accepts, at most 256. */
char *tag_value(const char *s);

#endif
