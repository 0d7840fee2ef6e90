/*
 * File-system helpers. All return 0 on success and -1 with errno set on
 * failure; none prints.
 */
#ifndef LIB_FSUTIL_H
#define LIB_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

struct strbuf;

/* mkdir -p, with `mode` for every directory it creates. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf: does not follow symbolic links; a missing path is success. */
int rm_rf(const char *path);

/* chown -hR: `path` and everything below it, symbolic links themselves, never what they name. */
int chown_tree(const char *path, uid_t uid, gid_t gid);

/*
 * Write `len` bytes to `path` atomically: write a temporary file in the
 * same directory, fsync it, rename it over `path`. Readers see either the
 * old or the new content, never a mix.
 */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/*
 * Write `len` bytes to a new file beside `path` ("PATH.tmp.PID.N", made
 * with `mode` as write_file() makes it, not synced), for the caller to
 * rename over `path` when it is ready. Returns its name (to be freed), or
 * NULL with errno set.
 */
char *write_file_beside(const char *path, const void *data, size_t len, mode_t mode);

/* Write `len` bytes to a new file (O_EXCL); used inside private temp dirs. */
int write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Append `len` bytes with one write(2) to a file opened O_APPEND. */
int append_file(const char *path, const void *data, size_t len, mode_t mode);

/* Copy the regular files and directories below `src` into `dst` (created). */
int copy_tree(const char *src, const char *dst);

/*
 * List the entries of directory `dir` (not "." and ".."), sorted bytewise,
 * into a NULL-terminated array the caller frees with free_list().
 */
int list_dir(const char *dir, char ***out, size_t *nr);
void free_list(char **list);

/* Is `path` an existing directory? */
int is_dir(const char *path);

/* Directory part of `path` ("." when none), as a new string. */
char *path_dirname(const char *path);

/* `dir` + "/" + `name`, unless `name` is absolute or `dir` is "." or empty. */
char *path_join(const char *dir, const char *name);

#endif
