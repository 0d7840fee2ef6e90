/*
 * The files render owns in its output directory; see render-out.h.
 *
 * The manifest is trusted only as far as it must be: a path in it is
 * removed only when it is below the directory of a target being rendered,
 * and a path that is absolute, has an empty, "." or ".." component, or a
 * hidden one (render writes no hidden files) makes the render fail rather
 * than touch anything.
 */
#include "render-out.h"
#include "fsutil.h"
#include "render.h"
#include "strbuf.h"
#include "strv.h"
#include "xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE (16u << 20)

static const char manifest_header[] =
	"# The files 'provisioner render' wrote here: it replaces them, removes those it\n"
	"# no longer renders, and leaves every other file alone (.terraform/,\n"
	"# .terraform.lock.hcl, your own). Keep this file with them.\n";

/* A relative path of visible components, none empty, "." or "..". */
static int plain_path(const char *path)
{
	const char *s = path;

	for (;;) {
		size_t n = strcspn(s, "/");

		if (!n || s[0] == '.')
			return 0;
		if (!s[n])
			return 1;
		s += n + 1;
	}
}

static int under(const char *path, const char *const *prefixes)
{
	for (size_t i = 0; prefixes[i]; i++) {
		size_t n = strlen(prefixes[i]);

		if (!strncmp(path, prefixes[i], n) && path[n] == '/')
			return 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths of DIR's manifest into `owned` (none without one). */
static int read_manifest(const char *dir, struct strv *owned, struct strbuf *err)
{
	char *path = path_join(dir, RENDER_MANIFEST);
	struct strbuf sb = STRBUF_INIT;
	int ret = 0, line = 0;

	if (strbuf_read_file(&sb, path, MAX_FILE) < 0) {
		if (errno != ENOENT) {
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(errno));
			ret = -1;
		}
		goto out;
	}
	for (char *s = sb.buf, *e; *s && !ret; s = *e ? e + 1 : e) {
		e = strchrnul(s, '\n');
		line++;
		if (s == e || *s == '#')
			continue;
		strv_push_take(owned, xstrndup(s, (size_t)(e - s)));
		if (!plain_path(owned->v[owned->nr - 1])) {
			strbuf_addf(err, "%s:%d: '%s' is not a file render writes (fix or remove the line)",
				    path, line, owned->v[owned->nr - 1]);
			ret = -1;
		}
	}
out:
	strbuf_release(&sb);
	free(path);
	return ret;
}

static struct out_delta *add_delta(struct out_plan *p, const char *path, enum out_change change)
{
	struct out_delta *d;

	ALLOC_GROW(p->v, p->nr + 1, p->alloc);
	d = &p->v[p->nr++];
	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path);
	d->change = change;
	return d;
}

/* `path` is to hold `data`: a delta unless it does. */
static int plan_file(struct out_plan *p, const char *path, const char *data, size_t len,
		     struct strbuf *err)
{
	char *full = path_join(p->dir, path);
	struct strbuf sb = STRBUF_INIT;
	struct out_delta *d = NULL;
	int ret = 0;

	if (strbuf_read_file(&sb, full, MAX_FILE) == 0) {
		if (sb.len != len || memcmp(sb.buf, data, len)) {
			d = add_delta(p, path, OUT_CHANGED);
			d->old = strbuf_detach(&sb, &d->old_len);
		}
	} else if (errno == ENOENT) {
		d = add_delta(p, path, OUT_NEW);
	} else {
		strbuf_addf(err, errno == EISDIR ? "'%s' is a directory: render writes a file there"
						 : "cannot read '%s': %s", full, strerror(errno));
		ret = -1;
	}
	if (d) {
		d->new = data;
		d->new_len = len;
	}
	strbuf_release(&sb);
	free(full);
	return ret;
}

/* A file of the last render that is no longer rendered: removed, if it is still there. */
static void plan_removal(struct out_plan *p, const char *path)
{
	char *full = path_join(p->dir, path);
	struct strbuf sb = STRBUF_INIT;
	struct stat st;

	if (lstat(full, &st) == 0 && !S_ISDIR(st.st_mode)) {
		struct out_delta *d = add_delta(p, path, OUT_REMOVED);

		strbuf_read_file(&sb, full, MAX_FILE);   /* unreadable: shown as empty */
		d->old = strbuf_detach(&sb, &d->old_len);
	}
	strbuf_release(&sb);
	free(full);
}

static int cmp_delta(const void *a, const void *b)
{
	return strcmp(((const struct out_delta *)a)->path, ((const struct out_delta *)b)->path);
}

int out_plan_make(struct out_plan *p, const char *dir, const struct fileset *fs,
		  const char *const *prefixes, struct strbuf *err)
{
	struct strv owned = STRV_INIT, keep = STRV_INIT;
	struct strbuf manifest = STRBUF_INIT;
	int ret = -1;

	p->dir = xstrdup(dir);
	if (read_manifest(dir, &owned, err) < 0)
		goto out;
	for (size_t i = 0; i < fs->nr; i++) {
		const struct rfile *f = &fs->v[i];

		if (!under(f->path, prefixes))
			continue;
		strv_push(&keep, f->path);
		if (plan_file(p, f->path, f->data, f->len, err) < 0)
			goto out;
	}
	for (size_t i = 0; i < owned.nr; i++) {
		if (!under(owned.v[i], prefixes))
			strv_push(&keep, owned.v[i]);   /* another target's: as it was */
		else if (!fileset_find(fs, owned.v[i]))
			plan_removal(p, owned.v[i]);
	}
	if (keep.nr)
		qsort(keep.v, keep.nr, sizeof(*keep.v), cmp_str);
	strbuf_addstr(&manifest, manifest_header);
	for (size_t i = 0; i < keep.nr; i++)
		if (!i || strcmp(keep.v[i], keep.v[i - 1]))
			strbuf_addf(&manifest, "%s\n", keep.v[i]);
	p->manifest = strbuf_detach(&manifest, NULL);
	ret = plan_file(p, RENDER_MANIFEST, p->manifest, strlen(p->manifest), err);
	if (p->nr)
		qsort(p->v, p->nr, sizeof(*p->v), cmp_delta);
out:
	strv_clear(&owned);
	strv_clear(&keep);
	strbuf_release(&manifest);
	return ret;
}

void out_plan_release(struct out_plan *p)
{
	for (size_t i = 0; i < p->nr; i++) {
		free(p->v[i].path);
		free(p->v[i].old);
	}
	free(p->v);
	free(p->dir);
	free(p->manifest);
	memset(p, 0, sizeof(*p));
}

/* --- applying ---------------------------------------------------------------- */

static int signal_pending(void)
{
	sigset_t set;

	return sigpending(&set) == 0 && (sigismember(&set, SIGINT) || sigismember(&set, SIGTERM) ||
					 sigismember(&set, SIGHUP));
}

/* The directories above `path` below `dir`, made if missing; those made are added to `made`. */
static int make_parents(const char *dir, const char *path, struct strv *made, struct strbuf *err)
{
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		char *sub = xstrndup(path, (size_t)(s - path)), *full = path_join(dir, sub);
		int ok = mkdir(full, 0755) == 0 ? (strv_push(made, full), 1)
			 : errno == EEXIST && is_dir(full);

		if (!ok)
			strbuf_addf(err, "cannot create the directory '%s': %s", full,
				    errno == EEXIST ? "a file is in the way" : strerror(errno));
		free(sub);
		free(full);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Remove `path` below `dir`, then each directory above it that is left empty. */
static int remove_file(const char *dir, const char *path, struct strbuf *err)
{
	char *full = path_join(dir, path), *rel = xstrdup(path), *slash;
	int ret = 0;

	if (unlink(full) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot remove '%s': %s", full, strerror(errno));
		ret = -1;
	}
	while (!ret && (slash = strrchr(rel, '/'))) {
		char *sub;
		int gone;

		*slash = '\0';
		sub = path_join(dir, rel);
		gone = rmdir(sub) == 0;   /* else not empty: someone else's files are there too */
		free(sub);
		if (!gone)
			break;
	}
	free(rel);
	free(full);
	return ret;
}

/* Whether `a` and `b` are in the same directory. */
static int same_dir(const char *a, const char *b)
{
	const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	return sa && sb && sa - a == sb - b && !strncmp(a, b, (size_t)(sa - a));
}

/*
 * Each new file beside its place, in tmp[i]; 1 when a signal came first.
 * The paths are sorted, so a directory is made (or found) once for all
 * of its files.
 */
static int stage(const struct out_plan *p, char **tmp, struct strv *made, struct strbuf *err)
{
	const char *last = NULL;   /* a file whose directory is there */
	size_t n = 0;

	for (size_t i = 0; i < p->nr; i++) {
		const struct out_delta *d = &p->v[i];
		char *full;

		if (d->change == OUT_REMOVED)
			continue;
		if (n++ % 16 == 0 && signal_pending())
			return 1;
		if (!(last && same_dir(last, d->path)) && make_parents(p->dir, d->path, made, err) < 0)
			return -1;
		last = d->path;
		full = path_join(p->dir, d->path);
		tmp[i] = write_file_beside(full, d->new, d->new_len, 0644);
		if (!tmp[i])
			strbuf_addf(err, "cannot write '%s': %s", full, strerror(errno));
		free(full);
		if (!tmp[i])
			return -1;
	}
	return 0;
}

/* Into place: the files, then the removals, the manifest last (a crash leaves the old one). */
static int commit(const struct out_plan *p, char **tmp, struct strbuf *err)
{
	size_t manifest = SIZE_MAX;
	int ret = 0;

	for (size_t i = 0; i < p->nr; i++) {
		char *full;

		if (!strcmp(p->v[i].path, RENDER_MANIFEST)) {
			manifest = i;
			continue;
		}
		if (!tmp[i] || ret)
			continue;
		full = path_join(p->dir, p->v[i].path);
		if (rename(tmp[i], full) < 0)
			ret = -1, strbuf_addf(err, "cannot move '%s' into place: %s", full, strerror(errno));
		else
			free(tmp[i]), tmp[i] = NULL;
		free(full);
	}
	for (size_t i = 0; i < p->nr && !ret; i++)
		if (p->v[i].change == OUT_REMOVED)
			ret = remove_file(p->dir, p->v[i].path, err);
	if (!ret && manifest != SIZE_MAX) {
		char *full = path_join(p->dir, RENDER_MANIFEST);

		if (rename(tmp[manifest], full) < 0)
			ret = -1, strbuf_addf(err, "cannot move '%s' into place: %s", full, strerror(errno));
		else
			free(tmp[manifest]), tmp[manifest] = NULL;
		free(full);
	}
	return ret;
}

int out_plan_apply(const struct out_plan *p, struct strbuf *err)
{
	char **tmp = xcalloc(p->nr + 1, sizeof(*tmp));
	struct strv made = STRV_INIT;
	sigset_t block, old;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	ret = stage(p, tmp, &made, err);
	if (!ret)
		ret = commit(p, tmp, err);
	for (size_t i = 0; i < p->nr; i++) {
		if (tmp[i])
			unlink(tmp[i]);   /* written, but not renamed into place */
		free(tmp[i]);
	}
	for (size_t i = made.nr; ret && i-- > 0;)
		rmdir(made.v[i]);
	strv_clear(&made);
	free(tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);   /* a signal held off is delivered now */
	return ret;
}
