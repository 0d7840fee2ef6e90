/*
 * File-system helpers; see fsutil.h.
 */
#include "fsutil.h"
#include "strbuf.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = -1;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!ret && !is_dir(path)) {
		errno = ENOTDIR;
		ret = -1;
	}
	free(p);
	return ret;
}

/* fn(the path of each entry of directory `dir`, data); -1 if it cannot be read or any call failed. */
static int each_entry(const char *dir, int (*fn)(const char *path, void *data), void *data)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = path_join(dir, de->d_name);
		if (fn(sub, data) < 0)
			ret = -1;
		free(sub);
	}
	closedir(d);
	return ret;
}

static int rm_rf_entry(const char *path, void *data)
{
	(void)data;
	return rm_rf(path);
}

int rm_rf(const char *path)
{
	struct stat st;
	int ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	ret = each_entry(path, rm_rf_entry, NULL);
	if (rmdir(path) < 0)
		ret = -1;
	return ret;
}

struct owner {
	uid_t uid;
	gid_t gid;
};

static int chown_entry(const char *path, void *data)
{
	const struct owner *o = data;

	return chown_tree(path, o->uid, o->gid);
}

int chown_tree(const char *path, uid_t uid, gid_t gid)
{
	struct owner o = { uid, gid };
	struct stat st;

	if (lstat(path, &st) < 0 || lchown(path, uid, gid) < 0)
		return -1;
	return S_ISDIR(st.st_mode) ? each_entry(path, chown_entry, &o) : 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	int e;

	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0) {
		e = errno;
		close(fd);
		unlink(path);
		errno = e;
		return -1;
	}
	return close(fd);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	int e;

	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	free(tmp);
	return -1;
}

char *write_file_beside(const char *path, const void *data, size_t len, mode_t mode)
{
	static unsigned counter;
	long pid = (long)getpid();

	/* O_EXCL: a name someone else took (a forked child's) is passed over */
	for (int tries = 0; tries < 100; tries++) {
		char *tmp = xasprintf("%s.tmp.%ld.%u", path, pid, counter++);
		int e;

		if (write_file(tmp, data, len, mode) == 0)
			return tmp;
		e = errno;
		free(tmp);
		if (e != EEXIST) {
			errno = e;
			return NULL;
		}
	}
	errno = EEXIST;
	return NULL;
}

int append_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	/* one write(2) so concurrent appenders never interleave a line */
	n = write(fd, data, len);
	e = errno;
	close(fd);
	if (n < 0 || (size_t)n != len) {
		errno = n < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = strbuf_read_file(&sb, src, (size_t)1 << 30);

	if (!ret)
		ret = write_file(dst, sb.buf, sb.len, mode);
	strbuf_release(&sb);
	return ret;
}

int copy_tree(const char *src, const char *dst)
{
	char **names;
	size_t nr;
	int ret = 0;

	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return -1;
	if (list_dir(src, &names, &nr) < 0)
		return -1;
	for (size_t i = 0; i < nr && !ret; i++) {
		char *s = path_join(src, names[i]), *d = path_join(dst, names[i]);
		struct stat st;

		if (lstat(s, &st) < 0)
			ret = -1;
		else if (S_ISDIR(st.st_mode))
			ret = copy_tree(s, d);
		else if (S_ISREG(st.st_mode))
			ret = copy_file(s, d, st.st_mode & 0111 ? 0755 : 0644);
		free(s);
		free(d);
	}
	free_list(names);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int list_dir(const char *dir, char ***out, size_t *nr_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t nr = 0, alloc = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ALLOC_GROW(v, nr + 2, alloc);
		v[nr++] = xstrdup(de->d_name);
	}
	closedir(d);
	ALLOC_GROW(v, nr + 1, alloc);
	v[nr] = NULL;
	qsort(v, nr, sizeof(*v), cmp_str);
	*out = v;
	if (nr_out)
		*nr_out = nr;
	return 0;
}

void free_list(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *dir, const char *name)
{
	if (name[0] == '/' || !dir || !*dir || !strcmp(dir, "."))
		return xstrdup(name);
	if (dir[strlen(dir) - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}
