/*
 * Environments' own users and groups; see rt-account.h.
 */
#include "rt-account.h"
#include "cgroup.h"
#include "clock.h"
#include "fsutil.h"
#include "run-command.h"
#include "strbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "pv-"
#define COMMENT "provisioner"
#define TOOL_TIMEOUT_MS 20000
#define LOCK_TRIES 30

char *rt_cgroups_top(void)
{
	char *mnt = cgroup2_mount(), *top = mnt ? path_join(mnt, "provisioner") : NULL;

	free(mnt);
	return top;
}

char *rt_account_cgroup(const struct rt_account *a)
{
	char *top = rt_cgroups_top(), *cg = top && a && a->name ? path_join(top, a->name) : NULL;

	free(top);
	return cg;
}

void rt_account_release(struct rt_account *a)
{
	free(a->name);
	memset(a, 0, sizeof(*a));
}

static int id_free(int id, const char *name)
{
	return !getpwuid((uid_t)id) && !getgrgid((gid_t)id) && !getpwnam(name) && !getgrnam(name);
}

int rt_account_alloc(struct rt_account *a, int index, struct strbuf *err)
{
	int span = RT_ID_MAX - RT_ID_MIN + 1;

	memset(a, 0, sizeof(*a));
	for (int k = 0; k < span; k++) {
		int id = RT_ID_MIN + (index + k) % span;
		char *name = xasprintf(PREFIX "%d", id);

		if (id_free(id, name)) {
			a->name = name;
			a->uid = a->gid = id;
			return 0;
		}
		free(name);
	}
	strbuf_addf(err, "no free user id between %d and %d for the environment's user",
		    RT_ID_MIN, RT_ID_MAX);
	return -1;
}

/* The home that marks a user as the environment's: envdir with its parent's real path (if any). */
static char *home_for(const char *envdir)
{
	char *parent = path_dirname(envdir), *real = realpath(parent, NULL);
	const char *base = strrchr(envdir, '/');
	char *home = xasprintf("%s/%s", real ? real : parent, base ? base + 1 : envdir);

	free(real);
	free(parent);
	return home;
}

/*
 * Run one of the shadow tools (useradd, groupdel, ...). Two at once
 * contend for /etc/passwd's lock, and the loser gives up at once: try
 * again a few times. 0, or -1 with the tool's own words in err.
 */
static int run_tool(const char **argv, struct strbuf *err)
{
	const char *sbin[] = { "/usr/sbin", "/sbin", NULL };
	const struct program_search s = { .after = sbin };
	char *prog = find_program(argv[0], &s);
	const char *name = argv[0];
	struct strbuf out = STRBUF_INIT;
	int rc = -1;

	if (!prog) {
		strbuf_addf(err, "cannot run '%s': not found (Debian package 'passwd')", name);
		return -1;
	}
	argv[0] = prog;
	for (int i = 0; i < LOCK_TRIES; i++) {
		strbuf_reset(&out);
		rc = run_command_capture(argv, &out, TOOL_TIMEOUT_MS, err);
		if (rc <= 0 || !strstr(out.buf, "lock"))
			break;
		sleep_ms(100);
	}
	argv[0] = name;
	if (rc > 0) {
		strbuf_rtrim(&out);
		strbuf_addf(err, "'%s' failed (exit code %d): %s", name, rc, out.buf);
	}
	free(prog);
	strbuf_release(&out);
	return rc == 0 ? 0 : -1;
}

/* 1 the user is a's and the environment's, 0 there is none, -1 the name is someone else's. */
static int user_state(const struct rt_account *a, const char *home)
{
	struct passwd *pw = getpwnam(a->name);

	if (!pw)
		return 0;
	return pw->pw_uid == (uid_t)a->uid && pw->pw_gid == (gid_t)a->gid &&
	       !strcmp(pw->pw_dir, home) ? 1 : -1;
}

static int group_state(const struct rt_account *a)
{
	struct group *gr = getgrnam(a->name);

	if (!gr)
		return 0;
	return gr->gr_gid == (gid_t)a->gid ? 1 : -1;
}

/* Is it a name and ids we could have made? Anything else is never touched. */
static int plausible(const struct rt_account *a)
{
	char buf[32];

	snprintf(buf, sizeof(buf), PREFIX "%lld", (long long)a->uid);
	return a->name && !strcmp(a->name, buf) && a->uid == a->gid && a->uid >= RT_ID_MIN &&
	       a->uid <= RT_ID_MAX;
}

int rt_account_create(const struct rt_account *a, const char *envdir, int index,
		      struct strbuf *err)
{
	char *home = home_for(envdir), *uid = xasprintf("%lld", (long long)a->uid);
	char *gid = xasprintf("%lld", (long long)a->gid), *comment = xasprintf(COMMENT " %d", index);
	const char *groupadd[] = { "groupadd", "--system", "--gid", gid, a->name, NULL };
	const char *useradd[] = { "useradd", "--system", "--no-create-home", "--no-log-init",
				  "--home-dir", home, "--shell", "/usr/sbin/nologin", "--uid", uid,
				  "--gid", gid, "--no-user-group", "--comment", comment, a->name, NULL };
	int ret = -1, g, u;

	if (!plausible(a)) {
		strbuf_addf(err, "'%s' (uid %lld) is not a name and id this provisioner makes",
			    a->name ? a->name : "", (long long)a->uid);
		goto out;
	}
	g = group_state(a);
	if (g < 0 || (!g && run_tool(groupadd, err) < 0)) {
		if (g < 0)
			strbuf_addf(err, "group '%s' exists with another gid", a->name);
		goto out;
	}
	u = user_state(a, home);
	if (u < 0 || (!u && run_tool(useradd, err) < 0)) {
		if (u < 0)
			strbuf_addf(err, "user '%s' exists and is not this environment's", a->name);
		goto out;
	}
	ret = 0;
out:
	free(home);
	free(uid);
	free(gid);
	free(comment);
	return ret;
}

int rt_account_delete(const struct rt_account *a, const char *envdir, struct strbuf *err)
{
	char *home = home_for(envdir);
	const char *userdel[] = { "userdel", a->name, NULL };
	const char *groupdel[] = { "groupdel", a->name, NULL };
	struct strbuf why = STRBUF_INIT;
	int ret = 0;

	if (!plausible(a))
		goto out;
	/*
	 * userdel takes the user's own group with it, if nobody else is in
	 * it. Whoever else removed it meanwhile (a gc and a down at once) did
	 * our work: only what is still there is a failure.
	 */
	if (user_state(a, home) == 1 && run_tool(userdel, &why) < 0 && user_state(a, home) == 1)
		ret = -1;
	else if (group_state(a) == 1 && !getpwnam(a->name) && run_tool(groupdel, &why) < 0 &&
		 group_state(a) == 1)
		ret = -1;
	if (ret < 0)
		strbuf_add(err, why.buf, why.len);
out:
	strbuf_release(&why);
	free(home);
	return ret;
}

int rt_account_leftovers(const struct rt_account *a, struct strbuf *what)
{
	struct passwd *pw = getpwnam(a->name);
	int any = 0;

	if (pw && pw->pw_uid == (uid_t)a->uid) {
		strbuf_addf(what, "user '%s'\n", a->name);
		any = 1;
	}
	if (group_state(a) == 1) {
		strbuf_addf(what, "group '%s'\n", a->name);
		any = 1;
	}
	return any;
}

size_t rt_accounts_under(const char *envs, struct rt_account_found **out)
{
	/* as homes are written; envs itself may be gone (deleted by hand) */
	char *real = home_for(envs);
	size_t nr = 0, len = strlen(real);
	struct passwd *pw;

	*out = NULL;
	setpwent();
	while ((pw = getpwent())) {
		struct rt_account_found *f;
		const char *env = pw->pw_dir + len + 1;
		int index = 0;

		if (strncmp(pw->pw_name, PREFIX, strlen(PREFIX)) || pw->pw_uid < RT_ID_MIN ||
		    pw->pw_uid > RT_ID_MAX || strncmp(pw->pw_dir, real, len) ||
		    pw->pw_dir[len] != '/' || !*env || strchr(env, '/'))
			continue;
		sscanf(pw->pw_gecos, COMMENT " %d", &index);
		*out = xreallocarray(*out, nr + 1, sizeof(**out));
		f = &(*out)[nr++];
		f->a.name = xstrdup(pw->pw_name);
		f->a.uid = pw->pw_uid;
		f->a.gid = pw->pw_gid;
		f->env = xstrdup(env);
		f->index = index;
	}
	endpwent();
	free(real);
	return nr;
}

void rt_accounts_free(struct rt_account_found *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		rt_account_release(&list[i].a);
		free(list[i].env);
	}
	free(list);
}
