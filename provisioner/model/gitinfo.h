/*
 * The branch and commit an environment is built from.
 *
 * Read with libgit2 from the repository that holds the definition (or the
 * current directory). On a CI runner's detached HEAD the branch comes from
 * the variables GitLab (CI_MERGE_REQUEST_SOURCE_BRANCH_NAME,
 * CI_COMMIT_REF_NAME) and GitHub Actions (GITHUB_HEAD_REF, GITHUB_REF_NAME)
 * set. Explicit values (--branch, --commit) override both.
 */
#ifndef PROVISIONER_GITINFO_H
#define PROVISIONER_GITINFO_H

struct git_info {
	char *branch;              /* NULL when it cannot be known */
	char *commit;              /* full hex object id, or NULL */
	const char *branch_source; /* "--branch", "git", "GITHUB_HEAD_REF", ... */
	const char *commit_source;
};

#define GIT_INFO_INIT { 0 }

/*
 * Fill `gi`. `branch` and `commit` are the overrides (may be NULL).
 * Never fails: what cannot be determined stays NULL.
 */
void git_info_read(struct git_info *gi, const char *start_dir, const char *branch,
		   const char *commit);
void git_info_release(struct git_info *gi);

/*
 * The root of the git work tree that holds start_dir, without a final
 * '/', as a new string; NULL when it is in none (or a bare repository).
 */
char *git_workdir(const char *start_dir);

/* The actor for the audit trail: CI user, git config user.email, $USER. */
char *git_actor(const char *start_dir);

#endif
