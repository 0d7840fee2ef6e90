/*
 * The address pool: which index (and so which address block, links and
 * nftables table) a new environment takes; see rt-pool.h.
 */
#include "rt-pool.h"
#include "fsutil.h"
#include "rt-addr.h"
#include "rt-env.h"
#include "rt-net.h"
#include "rt-state.h"
#include "strbuf.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int rt_pool_lock(const char *state, struct strbuf *err)
{
	/*
	 * Namespaces, bridges and address blocks are the machine's, not one
	 * state directory's: as root the lock is machine-wide too.
	 */
	char *path = geteuid() == 0 ? xstrdup("/run/lock/provisioner-pool.lock")
				    : xasprintf("%s/pool.lock", state);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

static void mark_used(const char *state, unsigned char *used)
{
	char *envs = rt_envs_dir(state), **names;
	size_t nr;

	if (list_dir(envs, &names, &nr) < 0) {
		free(envs);
		return;
	}
	for (size_t i = 0; i < nr; i++) {
		char *dir = path_join(envs, names[i]);
		struct strbuf err = STRBUF_INIT;
		struct rt_state st;

		/* the decoder checks the index is in the pool's range */
		if (rt_state_load(&st, dir, &err) == 0)
			used[st.index] = 1;
		rt_state_release(&st);
		strbuf_release(&err);
		free(dir);
	}
	free_list(names);
	free(envs);
}

/*
 * Network namespaces, links and nftables tables are named by the index, and
 * they are the machine's: in that mode the pool goes round machine-wide
 * (the last index handed out is kept beside the machine-wide lock), so a
 * block just freed is the last to be taken again, and whoever checks that
 * an environment left nothing behind (pvN links, the pv_N table) is not
 * misled by the next environment moving into its block at once. Loopback
 * environments take the lowest free index of their state directory, which
 * `up --dry-run` can foresee.
 */
static char *pool_last_path(int netns)
{
	return netns && geteuid() == 0 ? xstrdup("/run/lock/provisioner-pool.last") : NULL;
}

/*
 * Loopback environments of another state directory (another user, another
 * checkout's tests) take their index from their own pool: a block whose
 * addresses already listen is theirs. /proc/net/tcp lists this network
 * namespace's sockets, each address as the hex of its 32 bits as they lie
 * in memory (network byte order).
 */
static int loopback_block_in_use(int index)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[256];
	int hit = 0;

	if (!f)
		return 0;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned addr, port, st;

		if (sscanf(line, " %*u: %8X:%4X %*8X:%*4X %2X", &addr, &port, &st) != 3)
			continue;
		/* 0A is TCP_LISTEN */
		hit = st == 0x0A && rt_addr_index(0, ntohl(addr)) == index;
	}
	fclose(f);
	return hit;
}

int rt_pool_alloc(const char *state, int netns, int dry_run, struct strbuf *err)
{
	unsigned char used[RT_POOL_MAX + 1] = { 0 };
	char *last_path = pool_last_path(netns);
	struct strbuf sb = STRBUF_INIT;
	int last = 0;

	if (last_path && strbuf_read_file(&sb, last_path, 64) == 0)
		last = atoi(sb.buf);
	if (last < 0 || last > RT_POOL_MAX)
		last = 0;
	mark_used(state, used);
	for (int k = 1; k <= RT_POOL_MAX; k++) {
		int i = (last + k - 1) % RT_POOL_MAX + 1;
		char *cidr;
		int busy;

		if (used[i])
			continue;
		cidr = rt_subnet(i);
		busy = netns && rt_net_subnet_in_use(cidr, NULL) != 0;
		free(cidr);
		if (busy)
			continue;
		if (!netns && loopback_block_in_use(i))
			continue;
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%d\n", i);
		if (last_path && !dry_run)   /* a hint: failing to keep it is harmless */
			write_file_atomic(last_path, sb.buf, sb.len, 0644);
		strbuf_release(&sb);
		free(last_path);
		return i;
	}
	strbuf_release(&sb);
	free(last_path);
	strbuf_addf(err, "no free address block: all %d are taken (see 'provisioner list', "
			 "'provisioner gc')", RT_POOL_MAX);
	return -1;
}
