/*
 * File sets and helpers shared by the renderers; see render.h.
 */
#include "render.h"
#include "fsutil.h"
#include "naming.h"
#include "strbuf.h"
#include "xalloc.h"
#include "yamlemit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PROVISIONER_SOURCE_DIR
#define PROVISIONER_SOURCE_DIR "."
#endif

void fileset_release(struct fileset *fs)
{
	for (size_t i = 0; i < fs->nr; i++) {
		free(fs->v[i].path);
		free(fs->v[i].data);
	}
	free(fs->v);
	fs->v = NULL;
	fs->nr = fs->alloc = 0;
	fs->sorted = 0;
}

void fileset_add(struct fileset *fs, const char *path, char *data, size_t len)
{
	ALLOC_GROW(fs->v, fs->nr + 1, fs->alloc);
	fs->sorted = 0;
	fs->v[fs->nr].path = xstrdup(path);
	fs->v[fs->nr].data = data;
	fs->v[fs->nr++].len = len;
}

void fileset_add_json(struct fileset *fs, const char *path, const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len = strlen(s);

	s = xrealloc(s, len + 2);
	s[len] = '\n';
	s[len + 1] = '\0';
	fileset_add(fs, path, s, len + 1);
}

void fileset_add_yaml(struct fileset *fs, const char *path, const json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *data;

	yaml_emit(&sb, v);
	data = strbuf_detach(&sb, &len);
	fileset_add(fs, path, data, len);
}

int fileset_add_tree(struct fileset *fs, const char *prefix, const char *dir)
{
	char **names;
	size_t nr;
	int ret = 0;

	if (list_dir(dir, &names, &nr) < 0)
		return -1;
	for (size_t i = 0; i < nr && !ret; i++) {
		char *src = path_join(dir, names[i]);
		char *dst = xasprintf("%s/%s", prefix, names[i]);
		struct stat st;

		if (names[i][0] == '.' || lstat(src, &st) < 0) {
			/* hidden files (.terraform, editor state) are not part of a module */
		} else if (S_ISDIR(st.st_mode)) {
			ret = fileset_add_tree(fs, dst, src);
		} else if (S_ISREG(st.st_mode)) {
			struct strbuf sb = STRBUF_INIT;
			size_t len;

			ret = strbuf_read_file(&sb, src, 16u << 20);
			if (!ret) {
				char *data = strbuf_detach(&sb, &len);

				fileset_add(fs, dst, data, len);
			}
			strbuf_release(&sb);
		}
		free(src);
		free(dst);
	}
	free_list(names);
	return ret;
}

static int cmp_rfile(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->path, ((const struct rfile *)b)->path);
}

const struct rfile *fileset_find(const struct fileset *fs, const char *path)
{
	struct rfile key = { .path = (char *)path };

	if (fs->sorted)
		return fs->nr ? bsearch(&key, fs->v, fs->nr, sizeof(*fs->v), cmp_rfile) : NULL;
	for (size_t i = 0; i < fs->nr; i++)
		if (!strcmp(fs->v[i].path, path))
			return &fs->v[i];
	return NULL;
}

void fileset_sort(struct fileset *fs)
{
	if (fs->nr)
		qsort(fs->v, fs->nr, sizeof(*fs->v), cmp_rfile);
	fs->sorted = 1;
}

static int has_data(const char *dir)
{
	char *a = path_join(dir, "terraform/modules"), *b = path_join(dir, "k8s/base");
	int ok = is_dir(a) && is_dir(b);

	free(a);
	free(b);
	return ok;
}

char *find_datadir(const char *env_file, struct strbuf *err)
{
	const char *env = getenv("PROVISIONER_DATADIR");
	char *dir, *real;

	if (env && *env) {
		if (has_data(env))
			return xstrdup(env);
		strbuf_addf(err, "PROVISIONER_DATADIR='%s' has no terraform/modules and k8s/base", env);
		return NULL;
	}
	dir = path_dirname(env_file);
	real = realpath(dir, NULL);
	free(dir);
	while (real) {
		char *parent;

		if (has_data(real))
			return real;
		if (!strcmp(real, "/"))
			break;
		parent = path_dirname(real);
		free(real);
		real = parent;
	}
	free(real);
	if (has_data(PROVISIONER_SOURCE_DIR))
		return xstrdup(PROVISIONER_SOURCE_DIR);
	strbuf_addstr(err, "cannot find terraform/modules and k8s/base next to the definition; "
		      "set PROVISIONER_DATADIR");
	return NULL;
}

char *region_resource_name(const struct env_model *m, const struct region *r, size_t max)
{
	return join_name(m->env_name, r->key, max);
}

/*
 * Subnets: a region's /N network is cut into /(N+4) blocks; public subnets
 * take blocks 0-1, private 4-5 and database 8-9, leaving room to grow each.
 */
char *region_subnet(const struct region *r, int kind, int zone)
{
	unsigned a, b, c, d, p;
	uint32_t base, size;
	int index = kind * 4 + zone;

	if (sscanf(r->cidr, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &p) != 5)
		return xstrdup(r->cidr);
	base = a << 24 | b << 16 | c << 8 | d;
	size = 1u << (32 - (p + 4));
	base += (uint32_t)index * size;
	return xasprintf("%u.%u.%u.%u/%u", base >> 24, (base >> 16) & 255, (base >> 8) & 255,
			 base & 255, p + 4);
}

char *tag_value(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = s; *p && sb.len < 256; p++) {
		unsigned char ch = (unsigned char)*p;

		if (isalnum(ch) || strchr(" _.:/=+-@", ch))
			strbuf_addch(&sb, ch);
		else
			strbuf_addch(&sb, '_');
	}
	return strbuf_detach(&sb, NULL);
}
