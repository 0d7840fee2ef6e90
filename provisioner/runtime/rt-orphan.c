/*
 * Finding what is left of environments whose state is gone; see
 * rt-orphan.h.
 */
#include "rt-orphan.h"
#include "fsutil.h"
#include "rt-account.h"
#include "rt-addr.h"
#include "rt-env.h"
#include "rt-net.h"
#include "run-command.h"
#include "strbuf.h"
#include "xalloc.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * No environment is ever given block 0: its link names stand in for links
 * that are not to be touched (rt_net_destroy wants a bridge to look at).
 */
#define NO_BLOCK 0

struct found {
	const char *state;
	char *envs;
	unsigned char used[RT_POOL_MAX + 1];   /* blocks of this state directory's environments */
	struct rt_orphan *list;
	size_t nr;
};

/* The environment `name` has a directory here: it is not an orphan (gc's other pass judges it). */
static int has_dir(const struct found *f, const char *name)
{
	char *dir = path_join(f->envs, name);
	int yes = is_dir(dir);

	free(dir);
	return yes;
}

static struct rt_orphan *orphan_get(struct found *f, const char *name)
{
	struct rt_orphan *o;

	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->list[i].st.name, name))
			return &f->list[i];
	f->list = xreallocarray(f->list, f->nr + 1, sizeof(*f->list));
	o = &f->list[f->nr++];
	rt_state_init(&o->st);
	o->st.name = xstrdup(name);
	o->found = xstrdup("");
	return o;
}

static void note(struct rt_orphan *o, const char *what)
{
	char *s = xasprintf("%s%s%s", o->found, *o->found ? ", " : "", what);

	free(o->found);
	o->found = s;
}

static void set_account(struct rt_orphan *o, const struct rt_account *a)
{
	if (o->st.account)
		return;
	o->st.account = xcalloc(1, sizeof(*o->st.account));
	o->st.account->name = xstrdup(a->name);
	o->st.account->uid = a->uid;
	o->st.account->gid = a->gid;
}

static void load_used(struct found *f)
{
	char **names;
	size_t nr;

	if (list_dir(f->envs, &names, &nr) < 0)
		return;
	for (size_t i = 0; i < nr; i++) {
		char *dir = path_join(f->envs, names[i]);
		struct strbuf err = STRBUF_INIT;
		struct rt_state st;

		if (rt_state_load(&st, dir, &err) == 0)
			f->used[st.index] = 1;
		rt_state_release(&st);
		strbuf_release(&err);
		free(dir);
	}
	free_list(names);
}

/* Is user `a` (home <envs>/<env>) still the environment's, or being made or removed? */
static int account_live(const struct found *f, const struct rt_account_found *a)
{
	char *dir = path_join(f->envs, a->env);
	struct strbuf err = STRBUF_INIT;
	struct rt_state st;
	int live = rt_lock_busy(dir) ||
		   (rt_state_load(&st, dir, &err) == 0 && st.account && st.account->uid == a->a.uid);

	rt_state_release(&st);
	strbuf_release(&err);
	free(dir);
	return live;
}

static void from_accounts(struct found *f)
{
	struct rt_account_found *acc;
	size_t nr = rt_accounts_under(f->envs, &acc);

	for (size_t i = 0; i < nr; i++) {
		struct rt_orphan *o;
		char *what;

		if (account_live(f, &acc[i]))
			continue;
		/* a user left by an older environment of a name now in use: only the user goes */
		o = orphan_get(f, has_dir(f, acc[i].env) ? acc[i].a.name : acc[i].env);
		set_account(o, &acc[i].a);
		if (!o->st.index && acc[i].index > 0 && acc[i].index <= RT_POOL_MAX)
			o->st.index = acc[i].index;
		what = xasprintf("user '%s'", acc[i].a.name);
		note(o, what);
		free(what);
	}
	rt_accounts_free(acc, nr);
}

static void from_processes(struct found *f)
{
	pid_t *pids = NULL;
	size_t nr = proc_find_by_env(RT_STATE_MARKER, f->state, &pids);

	for (size_t i = 0; i < nr; i++) {
		char *env = proc_getenv(pids[i], RT_ENV_MARKER), *what;
		struct rt_orphan *o;

		if (env && *env && !strchr(env, '/') && strcmp(env, ".") && strcmp(env, "..") &&
		    !has_dir(f, env)) {
			o = orphan_get(f, env);
			if (!strstr(o->found, "process")) {   /* one names them well enough */
				what = xasprintf("process %d", (int)pids[i]);
				note(o, what);
				free(what);
			}
		}
		free(env);
	}
	free(pids);
}

/* A cgroup whose user is gone is nobody's: every environment has its user while it has one. */
static void from_cgroups(struct found *f)
{
	char *top = rt_cgroups_top(), **names;
	size_t nr;

	if (!top || list_dir(top, &names, &nr) < 0) {
		free(top);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		struct rt_account a = { .name = names[i] };
		struct rt_orphan *o;
		char *what;

		if (strncmp(names[i], "pv-", 3) || getpwnam(names[i]))
			continue;
		a.uid = a.gid = atoi(names[i] + 3);
		o = orphan_get(f, names[i]);
		set_account(o, &a);
		what = xasprintf("cgroup '%s/%s'", top, names[i]);
		note(o, what);
		free(what);
	}
	free_list(names);
	free(top);
}

/* Does namespace `ns`'s hosts file say it is environment `name`'s? */
static int ns_of(const char *ns, const char *name)
{
	char *hosts = xasprintf("/etc/netns/%s/hosts", ns);
	char *want = xasprintf(RT_HOSTS_HEADER "%s\n", name);
	struct strbuf sb = STRBUF_INIT;
	int yes = strbuf_read_file(&sb, hosts, 4096) == 0 && !strncmp(sb.buf, want, strlen(want));

	strbuf_release(&sb);
	free(want);
	free(hosts);
	return yes;
}

/* Links named pv<index>n<k>: the host ends of the block's veths. */
static int is_block_veth(const char *link, int index)
{
	char prefix[32];
	size_t len;

	snprintf(prefix, sizeof(prefix), "pv%dn", index);
	len = strlen(prefix);
	return !strncmp(link, prefix, len) && link[len] && strspn(link + len, "0123456789") ==
	       strlen(link + len);
}

/*
 * The block's links are the orphan's only while its subnet is on its
 * bridge: the pool gives no block whose subnet is in use, so nobody else
 * can have it.
 */
static int block_is_ours(const struct found *f, int index)
{
	char *bridge = xasprintf("/sys/class/net/pv%dbr", index), *cidr;
	int yes = index > 0 && !f->used[index] && is_dir(bridge);

	if (yes) {
		cidr = rt_subnet(index);
		yes = rt_net_subnet_in_use(cidr, NULL) == 1;
		free(cidr);
	}
	free(bridge);
	return yes;
}

static void ns_add(struct rt_net *n, char *name, char *veth)
{
	struct rt_ns *ns = yarray_push(&n->ns_list, sizeof(*ns));

	ns->name = name;
	ns->veth = veth;
	ns->addr = xstrdup("");
}

static void orphan_network(const struct found *f, struct rt_orphan *o)
{
	struct rt_net *n = &o->st.net;
	int index = block_is_ours(f, o->st.index) ? o->st.index : NO_BLOCK;
	char **nss = NULL, **links = NULL;
	size_t nr_ns = 0, nr_links = 0, k = 0, v = 0;

	if (list_dir("/run/netns", &nss, &nr_ns) < 0)
		nr_ns = 0;
	if (index != NO_BLOCK && list_dir("/sys/class/net", &links, &nr_links) < 0)
		nr_links = 0;
	for (size_t i = 0; i < nr_ns; i++)
		if (!strncmp(nss[i], "pv-", 3) && ns_of(nss[i], o->st.name))
			ns_add(n, xstrdup(nss[i]), xasprintf("pv%dn%zu", NO_BLOCK, k++));
	for (size_t i = 0; i < nr_links; i++) {
		if (!is_block_veth(links[i], index))
			continue;
		if (v < n->nr_ns) {
			free(n->ns[v].veth);
			n->ns[v].veth = xstrdup(links[i]);
		} else {
			ns_add(n, xasprintf("pv-%s-gone%zu", o->st.name, v), xstrdup(links[i]));
		}
		v++;
	}
	if (n->nr_ns || index != NO_BLOCK) {
		o->st.mode = RT_NETNS;
		n->bridge = xasprintf("pv%dbr", index);
		n->prefix = RT_PREFIX;
		n->nft_table = index != NO_BLOCK ? xasprintf("pv_%d", index) : NULL;
	}
	if (nss)
		free_list(nss);
	if (links)
		free_list(links);
}

static void orphan_rundir(const struct found *f, struct rt_orphan *o)
{
	char *dir;

	if (o->st.index <= 0 || f->used[o->st.index])
		return;
	dir = xasprintf("%s/run/%d", f->state, o->st.index);
	if (is_dir(dir))
		o->st.rundir = dir;
	else
		free(dir);
}

size_t rt_orphans_find(const char *state, struct rt_orphan **out)
{
	struct found f = { .state = state, .envs = rt_envs_dir(state) };

	load_used(&f);
	from_accounts(&f);
	from_processes(&f);
	from_cgroups(&f);
	for (size_t i = 0; i < f.nr; i++) {
		orphan_network(&f, &f.list[i]);
		orphan_rundir(&f, &f.list[i]);
	}
	free(f.envs);
	*out = f.list;
	return f.nr;
}

void rt_orphans_free(struct rt_orphan *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		rt_state_release(&list[i].st);
		free(list[i].found);
	}
	free(list);
}
