/*
 * The output directory of `render`, shared with its owner: render replaces
 * and removes only the files it wrote, and leaves everything else there
 * alone (Terraform's .terraform/ and .terraform.lock.hcl, a user's own
 * files). It knows its own files from a manifest it writes beside them,
 * DIR/.provisioner-render: one path per line, relative to DIR.
 *
 * out_plan_make() compares what was rendered with DIR: each file that is
 * new or changed, each file of the last manifest that is no longer
 * rendered (to be removed), and the manifest itself. `render --check`
 * prints the plan; out_plan_apply() carries it out so that a failed or
 * interrupted render leaves DIR as it was: every file is first written
 * beside its place, and only once all are written are they renamed into
 * place, the files no longer rendered removed and the manifest replaced,
 * with SIGINT, SIGTERM and SIGHUP held off.
 */
#ifndef PROVISIONER_RENDER_OUT_H
#define PROVISIONER_RENDER_OUT_H

#include <stddef.h>

struct fileset;
struct strbuf;

#define RENDER_MANIFEST ".provisioner-render"

enum out_change { OUT_NEW, OUT_CHANGED, OUT_REMOVED };

struct out_delta {
	char *path;              /* relative to the directory */
	enum out_change change;
	char *old;               /* on disk; NULL when new */
	size_t old_len;
	const char *new;         /* rendered; NULL when to be removed */
	size_t new_len;
};

struct out_plan {
	char *dir;
	struct out_delta *v;     /* sorted by path */
	size_t nr, alloc;
	char *manifest;          /* the new manifest's text */
};

#define OUT_PLAN_INIT { NULL, NULL, 0, 0, NULL }

/*
 * What writing `fs` (every file of the targets under `prefixes`, e.g.
 * {"terraform", NULL}) into `dir` would change. Files of other targets
 * stay in the manifest as they are. 0, or -1 with err (an unreadable
 * file, a directory where a file goes, a manifest that names a path
 * outside the targets' directories).
 */
int out_plan_make(struct out_plan *p, const char *dir, const struct fileset *fs,
		  const char *const *prefixes, struct strbuf *err);
/*
 * Carry it out (DIR must exist): 0; or 1 (a signal came) or -1 (with err),
 * and DIR as it was (unless the file system failed a rename).
 */
int out_plan_apply(const struct out_plan *p, struct strbuf *err);
void out_plan_release(struct out_plan *p);

#endif
