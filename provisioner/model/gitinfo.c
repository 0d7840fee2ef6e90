/*
 * Branch and commit from libgit2 and CI variables; see gitinfo.h.
 */
#include "gitinfo.h"
#include "xalloc.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

static const char *getenv_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* CI variables naming the branch, most specific first. */
static const char *const branch_vars[] = {
	"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", /* GitLab merge request pipelines */
	"CI_COMMIT_BRANCH",                    /* GitLab branch pipelines */
	"CI_COMMIT_REF_NAME",                  /* GitLab, also tags */
	"GITHUB_HEAD_REF",                     /* GitHub pull_request events */
	"GITHUB_REF_NAME",                     /* GitHub push events */
};

static const char *const commit_vars[] = { "CI_COMMIT_SHA", "GITHUB_SHA" };

static void from_ci(struct git_info *gi)
{
	for (size_t i = 0; !gi->branch && i < sizeof(branch_vars) / sizeof(*branch_vars); i++) {
		const char *v = getenv_nonempty(branch_vars[i]);

		if (v) {
			gi->branch = xstrdup(v);
			gi->branch_source = branch_vars[i];
		}
	}
	for (size_t i = 0; !gi->commit && i < sizeof(commit_vars) / sizeof(*commit_vars); i++) {
		const char *v = getenv_nonempty(commit_vars[i]);

		if (v) {
			gi->commit = xstrdup(v);
			gi->commit_source = commit_vars[i];
		}
	}
}

static void from_repo(struct git_info *gi, git_repository *repo)
{
	git_reference *head = NULL;
	git_oid oid;

	if (!gi->branch && git_repository_head_detached(repo) != 1) {
		/* attached, possibly unborn: the symbolic target names the branch */
		if (git_reference_lookup(&head, repo, "HEAD") == 0 &&
		    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
			const char *target = git_reference_symbolic_target(head);

			if (target && !strncmp(target, "refs/heads/", 11)) {
				gi->branch = xstrdup(target + 11);
				gi->branch_source = "git";
			}
		}
		git_reference_free(head);
	}
	if (!gi->commit && git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), &oid);
		gi->commit = xstrdup(hex);
		gi->commit_source = "git";
	}
}

void git_info_read(struct git_info *gi, const char *start_dir, const char *branch,
		   const char *commit)
{
	git_repository *repo = NULL;

	memset(gi, 0, sizeof(*gi));
	if (branch) {
		gi->branch = xstrdup(branch);
		gi->branch_source = "--branch";
	}
	if (commit) {
		gi->commit = xstrdup(commit);
		gi->commit_source = "--commit";
	}
	if (gi->branch && gi->commit)
		return;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, start_dir ? start_dir : ".", 0, NULL) == 0) {
		from_repo(gi, repo);
		git_repository_free(repo);
	}
	git_libgit2_shutdown();
	from_ci(gi);
}

char *git_workdir(const char *start_dir)
{
	git_repository *repo = NULL;
	char *dir = NULL;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, start_dir ? start_dir : ".", 0, NULL) == 0) {
		const char *wd = git_repository_workdir(repo);

		if (wd) {
			size_t len = strlen(wd);

			while (len > 1 && wd[len - 1] == '/')
				len--;
			dir = xstrndup(wd, len);
		}
		git_repository_free(repo);
	}
	git_libgit2_shutdown();
	return dir;
}

void git_info_release(struct git_info *gi)
{
	free(gi->branch);
	free(gi->commit);
	memset(gi, 0, sizeof(*gi));
}

static char *config_email(const char *start_dir)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf buf = { 0 };
	char *res = NULL;
	int ok;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, start_dir ? start_dir : ".", 0, NULL) == 0)
		ok = git_repository_config(&cfg, repo) == 0;
	else
		ok = git_config_open_default(&cfg) == 0;
	if (ok && git_config_get_string_buf(&buf, cfg, "user.email") == 0 && buf.size)
		res = xstrdup(buf.ptr);
	git_buf_dispose(&buf);
	git_config_free(cfg);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return res;
}

char *git_actor(const char *start_dir)
{
	static const char *const ci_users[] = { "GITLAB_USER_LOGIN", "GITHUB_ACTOR" };
	const char *user;
	char *email;

	for (size_t i = 0; i < sizeof(ci_users) / sizeof(*ci_users); i++)
		if ((user = getenv_nonempty(ci_users[i])))
			return xstrdup(user);
	if ((email = config_email(start_dir)))
		return email;
	user = getenv_nonempty("USER");
	return xstrdup(user ? user : "unknown");
}
