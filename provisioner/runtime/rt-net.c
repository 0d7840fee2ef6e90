/*
 * The local runtime's network of namespaces, veths, a bridge and an
 * nftables table; see rt-net.h.
 *
 * Speed: `up` makes this for every environment, and each exec() of ip or
 * nft costs some 6 ms here, so there are few. What exists is inspected
 * in-process (ioctls, /sys, /run/netns); all changes in the host namespace
 * go to one `ip -batch -`, including "netns add" and veths made with their
 * peer directly inside the namespace; the inside of each namespace (lo,
 * eth0) is set with ioctls on a socket made there; the nftables table is
 * one `nft -f -` running alongside ip. A create is two exec()s, a create of
 * a net that is already right only nft's. The bridge and veths share a
 * link group so that destroy removes them in one go.
 *
 * Safety: this runs as root in the host namespace, so it only ever removes
 * a link it recognises as its own kind (a veth for a veth, a bridge for
 * the bridge); a clash with any other link is an error, never a deletion.
 */
#include "rt-net.h"
#include "fsutil.h"
#include "run-command.h"
#include "strbuf.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_ETC_DIR "/etc/netns"
#define NETNS_NAME_MAX 255
#define NFT_NAME_MAX 64
#define NSFS_MAGIC_ 0x6e736673	/* linux/magic.h NSFS_MAGIC */

static int fail(struct strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		strbuf_vaddf(err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- running ip and nft ---- */

/* The programs live in sbin, which a non-login PATH may lack. */
static const char *const sbin_dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
static const struct program_search sbin_search = { .after = sbin_dirs };

static int has_prog(const char *name)
{
	char *path = find_program(name, &sbin_search);

	free(path);
	return path != NULL;
}

/*
 * A child running `ip` or `nft`, without a shell. Starting and finishing
 * are apart so that `nft` can run while `ip` does: the two are independent
 * and each costs milliseconds of its own start-up.
 */
struct prog {
	struct child_process cp;
	struct strbuf errout;	/* what it wrote to stderr */
};

#define PROG_INIT { CHILD_PROCESS_INIT, STRBUF_INIT }

/*
 * Start `argv` with `input` (or nothing) on its stdin, its stdout
 * discarded. 0, or -1 with `err` filled when it cannot be run at all.
 */
static int prog_start(struct prog *p, const char **argv, const char *input, struct strbuf *err)
{
	p->cp.argv = argv;
	p->cp.search = sbin_search;
	p->cp.in_data = input ? input : "";
	p->cp.in_len = strlen(p->cp.in_data);
	p->cp.err_buf = &p->errout;
	return start_command(&p->cp, err);
}

/*
 * Feed the rest of the input while collecting stderr, then reap it.
 * Returns its exit status (128 + the signal when killed), or -1 when
 * waiting failed.
 */
static int prog_finish(struct prog *p)
{
	int status;

	if (finish_command(&p->cp, &status) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void prog_release(struct prog *p)
{
	strbuf_release(&p->errout);
}

/* Start and finish: its exit status, or -1 with `err` filled. */
static int run_prog(struct prog *p, const char **argv, const char *input, struct strbuf *err)
{
	int status;

	if (prog_start(p, argv, input, err) < 0)
		return -1;
	status = prog_finish(p);
	if (status < 0)
		fail(err, "cannot wait for '%s': %s", argv[0], strerror(errno));
	return status;
}

/*
 * Lines for one `ip -batch -`, each with the step it performs, so that a
 * failure ("Command failed -:N") can be reported as that step.
 */
struct batch {
	struct strbuf text;
	char **steps;
	size_t nr, alloc;
};

#define BATCH_INIT { STRBUF_INIT, NULL, 0, 0 }

static void batch_add(struct batch *b, char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append one line doing `step` (a string the batch takes over). */
static void batch_add(struct batch *b, char *step, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&b->text, fmt, ap);
	va_end(ap);
	strbuf_addch(&b->text, '\n');
	ALLOC_GROW(b->steps, b->nr + 1, b->alloc);
	b->steps[b->nr++] = step;
}

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->nr; i++)
		free(b->steps[i]);
	free(b->steps);
	strbuf_release(&b->text);
}

/*
 * From ip's stderr, the first failure as "<step>: <ip's message>". ip
 * prints the message, then "Command failed -:N" naming the line.
 */
static void batch_explain(const struct batch *b, const char *out, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	const char *step = "cannot change the network with 'ip -batch'";

	for (const char *l = out; *l; ) {
		const char *nl = strchrnul(l, '\n');
		unsigned long line;

		if (sscanf(l, "Command failed -:%lu", &line) == 1) {
			if (line >= 1 && line <= b->nr)
				step = b->steps[line - 1];
			break;
		}
		if (nl > l) {
			if (msg.len)
				strbuf_addstr(&msg, "; ");
			strbuf_add(&msg, l, (size_t)(nl - l));
		}
		l = *nl ? nl + 1 : nl;
	}
	fail(err, "%s: %s", step, msg.len ? msg.buf : "failed");
	strbuf_release(&msg);
}

/* Run the batch; `force` keeps ip going past a failed line. 0 or -1. */
static int batch_run(const struct batch *b, int force, struct strbuf *err)
{
	const char *argv[5] = { "ip" };
	struct prog p = PROG_INIT;
	size_t k = 1;
	int status;

	if (!b->nr)
		return 0;
	if (force)
		argv[k++] = "-force";
	argv[k++] = "-batch";
	argv[k++] = "-";
	argv[k] = NULL;
	status = run_prog(&p, argv, b->text.buf, err);
	if (status > 0)
		batch_explain(b, p.errout.buf, err);
	prog_release(&p);
	return status ? -1 : 0;
}

/* Start an nftables script; nft_finish() says how it went. */
static int nft_start(struct prog *p, const char *script, struct strbuf *err)
{
	const char *argv[] = { "nft", "-f", "-", NULL };

	return prog_start(p, argv, script, err);
}

/* Reap nft; on failure `step` and nft's first line into `err` (may be NULL). */
static int nft_finish(struct prog *p, const char *step, struct strbuf *err)
{
	int status;

	if (p->cp.pid <= 0)
		return 0;
	status = prog_finish(p);
	if (status) {
		strbuf_setlen(&p->errout, strcspn(p->errout.buf, "\n"));
		fail(err, "%s: %s", step, p->errout.len ? p->errout.buf : "nft failed");
	}
	prog_release(p);
	return status ? -1 : 0;
}

/* ---- looking at links and namespaces in-process ---- */

static void ifreq_init(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

/* The index of link `name` in the namespace of socket `sock`, 0 if none. */
static int link_index(int sock, const char *name)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	return ioctl(sock, SIOCGIFINDEX, &ifr) < 0 ? 0 : ifr.ifr_ifindex;
}

/* Is link `name` driven by `driver` ("veth", "bridge")? */
static int link_is(int sock, const char *name, const char *driver)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	ifr.ifr_data = (void *)&info;
	return ioctl(sock, SIOCETHTOOL, &ifr) == 0 && !strcmp(info.driver, driver);
}

static int link_flags(int sock, const char *name)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	return ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 ? 0 : ifr.ifr_flags;
}

static int link_set_up(int sock, const char *name, int up)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	if (!!(ifr.ifr_flags & IFF_UP) == !!up)
		return 0;
	ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

static void sin_set(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = addr };

	memcpy(sa, &sin, sizeof(sin));
}

/*
 * Give `name` the primary address `addr` with `mask` (network order). The
 * kernel replaces the primary address in place (and keeps it when it is
 * the same), which is what makes this idempotent; the netmask then fixes
 * the prefix route.
 */
static int link_set_addr(int sock, const char *name, uint32_t addr, uint32_t mask)
{
	struct ifreq ifr;

	ifreq_init(&ifr, name);
	sin_set(&ifr.ifr_addr, addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		return -1;
	sin_set(&ifr.ifr_netmask, mask);
	return ioctl(sock, SIOCSIFNETMASK, &ifr);
}

/* A small number from /sys/class/net/<name>/<file>, or -1. */
static long sysfs_long(const char *name, const char *file)
{
	char *path = xasprintf("/sys/class/net/%s/%s", name, file);
	struct strbuf sb = STRBUF_INIT;
	long v = -1;

	if (strbuf_read_file(&sb, path, 64) == 0 && sb.len)
		v = strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	free(path);
	return v;
}

/* Is link `name` enslaved to `master`? */
static int link_master_is(const char *name, const char *master)
{
	char *path = xasprintf("/sys/class/net/%s/master", name);
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	free(path);
	if (n < 0)
		return 0;
	target[n] = '\0';
	base = strrchr(target, '/');
	return !strcmp(base ? base + 1 : target, master);
}

/*
 * The link group of an environment's bridge and veths, from the bridge's
 * name. Removing a group is one unregistration in the kernel, where
 * removing links one by one waits for an RCU grace period each (about
 * 20 to 45 ms apiece here). Small numbers are left to people.
 */
static unsigned long link_group(const char *bridge)
{
	uint32_t h = 2166136261u;

	for (const char *p = bridge; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return 0x10000 + h % 0x7fff0000u;
}

static int group_is(const char *name, unsigned long group)
{
	return sysfs_long(name, "netdev_group") == (long)group;
}

enum ns_state { NS_MISSING, NS_MOUNTED, NS_STALE };

/*
 * A namespace is a file in /run/netns with the namespace bind-mounted on
 * it; a crash inside `ip netns add` can leave the file without the mount.
 */
static enum ns_state netns_state(const char *name)
{
	char *path = xasprintf("%s/%s", NETNS_RUN_DIR, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum ns_state st = NS_STALE;
	struct statfs sfs;

	if (fd < 0)
		st = errno == ENOENT ? NS_MISSING : NS_STALE;
	else if (fstatfs(fd, &sfs) == 0 && sfs.f_type == NSFS_MAGIC_)
		st = NS_MOUNTED;
	if (fd >= 0)
		close(fd);
	free(path);
	return st;
}

/*
 * A datagram socket inside namespace `name`, for ioctls there. A socket
 * stays in the namespace it was made in, so this thread visits the
 * namespace only for the socket() call and comes straight back.
 */
static int ns_socket(const char *name, struct strbuf *err)
{
	char *path = xasprintf("%s/%s", NETNS_RUN_DIR, name);
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int there = open(path, O_RDONLY | O_CLOEXEC);
	int fd = -1, e;

	if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0) {
		fail(err, "cannot enter network namespace '%s': %s", name, strerror(errno));
		goto out;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	e = errno;
	if (setns(home, CLONE_NEWNET) < 0) {
		fail(err, "cannot return from network namespace '%s': %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else if (fd < 0) {
		fail(err, "cannot make a socket in network namespace '%s': %s", name, strerror(e));
	}
out:
	if (home >= 0)
		close(home);
	if (there >= 0)
		close(there);
	free(path);
	return fd;
}

static int host_socket(struct strbuf *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail(err, "cannot make a socket: %s", strerror(errno));
	return fd;
}

/* ---- addresses ---- */

static int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static uint32_t prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : ~0u << (32 - prefix);
}

static int mask_prefix(uint32_t mask)
{
	int p = 0;

	while (p < 32 && (mask & (1u << (31 - p))))
		p++;
	return p;
}

/* Do a/pa and b/pb share any address? (All in host byte order.) */
static int overlaps(uint32_t a, int pa, uint32_t b, int pb)
{
	uint32_t m = prefix_mask(pa < pb ? pa : pb);

	return (a & m) == (b & m);
}

/* ---- checking a description ---- */

static int check_name(const char *what, const char *s, size_t max, struct strbuf *err)
{
	size_t len = s ? strlen(s) : 0;

	if (!len)
		return fail(err, "%s name is empty", what);
	if (len > max)
		return fail(err, "%s name '%s' is too long (%zu characters, at most %zu)",
			    what, s, len, max);
	if (*s == '-' || *s == '.')
		return fail(err, "%s name '%s' starts with '%c'", what, s, *s);
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return fail(err, "%s name '%s' has a character other than "
				    "letters, digits, '_', '.' and '-'", what, s);
	return 0;
}

/* nft reads table names as bare words: a letter, then letters, digits, '_'. */
static int check_nft_name(const char *s, struct strbuf *err)
{
	size_t len = strlen(s);

	if (!len || len > NFT_NAME_MAX)
		return fail(err, "nftables table name '%s' must have 1 to %d characters", s,
			    NFT_NAME_MAX);
	if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len)
		return fail(err, "nftables table name '%s' is not a letter followed by "
			    "letters, digits and '_'", s);
	return 0;
}

static int check_addr(const struct rt_net *n, const char *what, const char *addr,
		      struct strbuf *err)
{
	uint32_t a = 0, br = 0, m = prefix_mask(n->prefix);

	if (parse_ipv4(addr, &a) < 0)
		return fail(err, "address '%s' of %s is not an IPv4 address", addr ? addr : "",
			    what);
	parse_ipv4(n->bridge_addr, &br);
	if ((a & m) != (br & m))
		return fail(err, "address '%s' of %s is outside the subnet of '%s/%d'", addr, what,
			    n->bridge_addr, n->prefix);
	if (n->prefix <= 30 && ((a & ~m) == 0 || (a & ~m) == ~m))
		return fail(err, "address '%s' of %s is the subnet's network or broadcast address",
			    addr, what);
	return 0;
}

static int check_unique(const struct rt_net *n, size_t i, struct strbuf *err)
{
	const struct rt_ns *a = &n->ns[i];

	if (!strcmp(a->veth, n->bridge))
		return fail(err, "veth name '%s' is also the bridge's", a->veth);
	if (!strcmp(a->addr, n->bridge_addr))
		return fail(err, "address '%s' of '%s' is also the bridge's", a->addr, a->name);
	for (size_t j = 0; j < i; j++) {
		const struct rt_ns *b = &n->ns[j];

		if (!strcmp(a->name, b->name))
			return fail(err, "network namespace '%s' is listed twice", a->name);
		if (!strcmp(a->veth, b->veth))
			return fail(err, "veth name '%s' is used twice", a->veth);
		if (!strcmp(a->addr, b->addr))
			return fail(err, "address '%s' is used twice", a->addr);
	}
	return 0;
}

/*
 * The names alone: destroy and leftovers need them sound before they go
 * into `ip` lines or paths, whatever the addresses are.
 */
static int check_names(const struct rt_net *n, struct strbuf *err)
{
	if (check_name("bridge", n->bridge, RT_IFNAME_MAX, err) < 0 ||
	    (n->nft_table && check_nft_name(n->nft_table, err) < 0))
		return -1;
	for (size_t i = 0; i < n->nr_ns; i++)
		if (check_name("network namespace", n->ns[i].name, NETNS_NAME_MAX, err) < 0 ||
		    check_name("veth", n->ns[i].veth, RT_IFNAME_MAX, err) < 0)
			return -1;
	return 0;
}

int rt_net_check(const struct rt_net *n, struct strbuf *err)
{
	uint32_t br;

	if (check_names(n, err) < 0)
		return -1;
	if (n->prefix < 1 || n->prefix > 30)
		return fail(err, "subnet prefix length %d is not between 1 and 30", n->prefix);
	if (parse_ipv4(n->bridge_addr, &br) < 0)
		return fail(err, "bridge address '%s' is not an IPv4 address",
			    n->bridge_addr ? n->bridge_addr : "");
	for (size_t i = 0; i < n->nr_ns; i++)
		if (check_addr(n, n->ns[i].name, n->ns[i].addr, err) < 0 ||
		    check_unique(n, i, err) < 0)
			return -1;
	return 0;
}

/* ---- availability and free subnets ---- */

/* Are CAP_NET_ADMIN (12) and CAP_SYS_ADMIN (21) effective? */
static int have_caps(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	unsigned long long eff = 0;

	if (strbuf_read_file(&sb, "/proc/self/status", 1 << 16) == 0 &&
	    (p = strstr(sb.buf, "\nCapEff:")))
		eff = strtoull(p + 8, NULL, 16);
	strbuf_release(&sb);
	return (eff & (1ull << 12)) && (eff & (1ull << 21));
}

/* Can a namespace be made here? Seccomp in containers may say no even to root. */
static int can_unshare(struct strbuf *why)
{
	int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), ret = 0;

	if (home < 0)
		return fail(why, "cannot open /proc/thread-self/ns/net: %s", strerror(errno));
	if (unshare(CLONE_NEWNET) < 0)
		ret = fail(why, "cannot make a network namespace: %s", strerror(errno));
	else if (setns(home, CLONE_NEWNET) < 0)
		ret = fail(why, "cannot return to the host's network namespace: %s",
			   strerror(errno));
	close(home);
	return ret;
}

int rt_net_available(struct strbuf *why)
{
	int ok = 0;

	if (!have_caps())
		fail(why, "%s: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN",
		     geteuid() ? "not running as root" : "running as root without all capabilities");
	else if (!has_prog("ip"))
		fail(why, "'ip' not found: install iproute2");
	else if (!has_prog("nft"))
		fail(why, "'nft' not found: install nftables");
	else if (mkdir_p(NETNS_RUN_DIR, 0755) < 0 || access(NETNS_RUN_DIR, W_OK) < 0)
		fail(why, "cannot use '%s': %s", NETNS_RUN_DIR, strerror(errno));
	else
		ok = can_unshare(why) == 0;
	return ok;
}

static int parse_cidr(const char *cidr, uint32_t *net, int *prefix)
{
	const char *slash = strchr(cidr, '/');
	char *addr, *end;
	long p;
	int ret;

	if (!slash)
		return -1;
	p = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || p < 0 || p > 32)
		return -1;
	addr = xstrndup(cidr, (size_t)(slash - cidr));
	ret = parse_ipv4(addr, net);
	free(addr);
	*prefix = (int)p;
	return ret;
}

/* Does a route of the main table (other than a default route) overlap? */
static int route_overlaps(uint32_t net, int prefix)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[512];
	int hit = 0;

	if (!f)
		return 0;
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned int dst, mask;

		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%*s %x %*x %*x %*d %*d %*d %x", &dst, &mask) != 2 || !mask)
			continue;
		hit = overlaps(ntohl(dst), mask_prefix(ntohl(mask)), net, prefix);
	}
	fclose(f);
	return hit;
}

int rt_net_subnet_in_use(const char *cidr, struct strbuf *err)
{
	struct ifaddrs *ifa, *i;
	uint32_t net;
	int prefix, hit = 0;

	if (!cidr || parse_cidr(cidr, &net, &prefix) < 0)
		return fail(err, "'%s' is not an IPv4 subnet like 10.213.7.0/24", cidr ? cidr : "");
	if (getifaddrs(&ifa) < 0)
		return fail(err, "cannot list the host's addresses: %s", strerror(errno));
	for (i = ifa; i && !hit; i = i->ifa_next) {
		struct sockaddr_in a, m;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask)
			continue;
		memcpy(&a, i->ifa_addr, sizeof(a));
		memcpy(&m, i->ifa_netmask, sizeof(m));
		hit = overlaps(ntohl(a.sin_addr.s_addr), mask_prefix(ntohl(m.sin_addr.s_addr)),
			       net, prefix);
	}
	freeifaddrs(ifa);
	return hit || route_overlaps(net, prefix);
}

/* ---- create ---- */

/* What one namespace needs in the host batch. */
struct ns_plan {
	int del_veth, del_ns, add_ns, add_veth, attach;
};

/*
 * Is namespace `ns` complete: mounted, its "eth0" a veth whose peer is
 * our veth on the host? (A veth's iflink is its peer's index.)
 */
static int pair_ok(const struct rt_ns *ns, int veth_idx, int *has_eth0,
		   struct strbuf *err)
{
	int sock = ns_socket(ns->name, err), idx, ok;

	if (sock < 0)
		return -1;
	idx = link_index(sock, "eth0");
	*has_eth0 = idx > 0;
	ok = idx > 0 && veth_idx > 0 && link_is(sock, "eth0", "veth") &&
	     sysfs_long(ns->veth, "iflink") == idx;
	close(sock);
	return ok;
}

static int plan_ns(int host, const struct rt_net *n, const struct rt_ns *ns, struct ns_plan *p,
		   struct strbuf *err)
{
	enum ns_state st = netns_state(ns->name);
	int veth_idx = link_index(host, ns->veth), has_eth0 = 0, ok = 0;

	memset(p, 0, sizeof(*p));
	if (veth_idx && !link_is(host, ns->veth, "veth"))
		return fail(err, "cannot add veth '%s': a link of that name exists and is not a veth",
			    ns->veth);
	if (st == NS_MOUNTED && (ok = pair_ok(ns, veth_idx, &has_eth0, err)) < 0)
		return -1;
	if (!ok) {
		p->del_veth = veth_idx > 0;
		p->del_ns = st == NS_STALE || has_eth0;
		p->add_ns = st != NS_MOUNTED || has_eth0;
		p->add_veth = 1;
	}
	p->attach = !ok || !link_master_is(ns->veth, n->bridge) ||
		    !(link_flags(host, ns->veth) & IFF_UP) ||
		    !group_is(ns->veth, link_group(n->bridge));
	return 0;
}

/* Remove IPv4 addresses of the bridge other than ours; add ours if missing. */
static void plan_bridge_addr(const struct rt_net *n, struct batch *b)
{
	struct ifaddrs *ifa = NULL, *i;
	uint32_t want = 0;
	int have = 0;

	parse_ipv4(n->bridge_addr, &want);
	if (getifaddrs(&ifa) < 0)
		ifa = NULL;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in a, m;
		char s[INET_ADDRSTRLEN];
		int p;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, n->bridge))
			continue;
		memcpy(&a, i->ifa_addr, sizeof(a));
		memcpy(&m, i->ifa_netmask, sizeof(m));
		p = mask_prefix(ntohl(m.sin_addr.s_addr));
		if (ntohl(a.sin_addr.s_addr) == want && p == n->prefix) {
			have = 1;
			continue;
		}
		inet_ntop(AF_INET, &a.sin_addr, s, sizeof(s));
		batch_add(b, xasprintf("cannot remove address '%s/%d' from bridge '%s'", s, p,
				       n->bridge), "addr del %s/%d dev %s", s, p, n->bridge);
	}
	freeifaddrs(ifa);
	if (!have)
		batch_add(b, xasprintf("cannot add address '%s/%d' to bridge '%s'", n->bridge_addr,
				       n->prefix, n->bridge),
			  "addr add %s/%d dev %s", n->bridge_addr, n->prefix, n->bridge);
}

static int plan_bridge(int host, const struct rt_net *n, struct batch *b, struct strbuf *err)
{
	int exists = link_index(host, n->bridge) > 0;
	unsigned long group = link_group(n->bridge);

	if (exists && !link_is(host, n->bridge, "bridge"))
		return fail(err, "cannot add bridge '%s': a link of that name exists and is not "
			    "a bridge", n->bridge);
	if (!exists)
		batch_add(b, xasprintf("cannot add bridge '%s'", n->bridge),
			  "link add %s type bridge", n->bridge);
	plan_bridge_addr(n, b);
	if (!exists || !(link_flags(host, n->bridge) & IFF_UP) || !group_is(n->bridge, group))
		batch_add(b, xasprintf("cannot bring up bridge '%s'", n->bridge),
			  "link set %s group %lu up", n->bridge, group);
	return 0;
}

/*
 * One batch for the whole host side, in an order where every line finds
 * what it needs: removals, namespaces, the bridge, then the veths.
 */
static int plan_host(int host, const struct rt_net *n, struct batch *b, struct strbuf *err)
{
	struct ns_plan *p = xcalloc(n->nr_ns ? n->nr_ns : 1, sizeof(*p));
	int ret = -1;

	for (size_t i = 0; i < n->nr_ns; i++)
		if (plan_ns(host, n, &n->ns[i], &p[i], err) < 0)
			goto out;
	for (size_t i = 0; i < n->nr_ns; i++) {
		const char *v = n->ns[i].veth, *name = n->ns[i].name;

		if (p[i].del_veth)
			batch_add(b, xasprintf("cannot remove stale veth '%s'", v), "link del %s", v);
		if (p[i].del_ns)
			batch_add(b, xasprintf("cannot remove stale network namespace '%s'", name),
				  "netns del %s", name);
		if (p[i].add_ns)
			batch_add(b, xasprintf("cannot add network namespace '%s'", name),
				  "netns add %s", name);
	}
	if (plan_bridge(host, n, b, err) < 0)
		goto out;
	for (size_t i = 0; i < n->nr_ns; i++) {
		const char *v = n->ns[i].veth;

		if (p[i].add_veth)
			batch_add(b, xasprintf("cannot add veth '%s'", v),
				  "link add %s type veth peer name eth0 netns %s", v, n->ns[i].name);
		if (p[i].attach)
			batch_add(b, xasprintf("cannot attach veth '%s' to bridge '%s'", v, n->bridge),
				  "link set %s master %s group %lu up", v, n->bridge,
				  link_group(n->bridge));
	}
	ret = 0;
out:
	free(p);
	return ret;
}

/* Inside the namespace: lo up, eth0 with its address and up. */
static int setup_inside(const struct rt_net *n, const struct rt_ns *ns, struct strbuf *err)
{
	int sock = ns_socket(ns->name, err), ret = -1;
	uint32_t a = 0;

	if (sock < 0)
		return -1;
	parse_ipv4(ns->addr, &a);
	if (link_set_up(sock, "lo", 1) < 0)
		fail(err, "cannot bring up 'lo' in '%s': %s", ns->name, strerror(errno));
	else if (link_set_addr(sock, "eth0", htonl(a), htonl(prefix_mask(n->prefix))) < 0)
		fail(err, "cannot set address '%s/%d' of 'eth0' in '%s': %s", ns->addr, n->prefix,
		     ns->name, strerror(errno));
	else if (link_set_up(sock, "eth0", 1) < 0)
		fail(err, "cannot bring up 'eth0' in '%s': %s", ns->name, strerror(errno));
	else
		ret = 0;
	close(sock);
	return ret;
}

/* /etc/netns/<name>/hosts, which `ip netns exec` mounts over /etc/hosts. */
static int write_hosts(const struct rt_ns *ns, struct strbuf *err)
{
	char *dir = xasprintf("%s/%s", NETNS_ETC_DIR, ns->name), *path = xasprintf("%s/hosts", dir);
	struct strbuf old = STRBUF_INIT;
	int ret = 0;

	if (!ns->hosts) {
		if ((unlink(path) < 0 && errno != ENOENT) ||
		    (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY))
			ret = fail(err, "cannot remove '%s': %s", path, strerror(errno));
	} else if (strbuf_read_file(&old, path, 1 << 20) == 0 && !strcmp(old.buf, ns->hosts)) {
		; /* already right: spare the fsync */
	} else if (mkdir_p(dir, 0755) < 0 ||
		   write_file_atomic(path, ns->hosts, strlen(ns->hosts), 0644) < 0) {
		ret = fail(err, "cannot write '%s': %s", path, strerror(errno));
	}
	strbuf_release(&old);
	free(path);
	free(dir);
	return ret;
}

/*
 * Replace the table in one nft transaction ("add" first so that "delete"
 * cannot fail): afterwards it holds exactly an empty forward chain.
 */
static int table_start(struct prog *p, const char *t, struct strbuf *err)
{
	char *script = xasprintf("add table bridge %s\ndelete table bridge %s\n"
				 "add table bridge %s\n"
				 "add chain bridge %s forward { type filter hook forward "
				 "priority 0; policy accept; }\n", t, t, t, t);
	int ret = nft_start(p, script, err);

	free(script);
	return ret;
}

static int table_finish(struct prog *p, const char *t, const char *verb, struct strbuf *err)
{
	char *step = xasprintf("cannot %s nftables table 'bridge %s'", verb, t);
	int ret = nft_finish(p, step, err);

	free(step);
	return ret;
}

int rt_net_create(const struct rt_net *n, struct strbuf *err)
{
	struct prog nft = PROG_INIT;
	struct batch b = BATCH_INIT;
	int host = -1, ret = -1;

	if (rt_net_check(n, err) < 0 || (host = host_socket(err)) < 0)
		goto out;
	/* The table needs nothing else: nft runs while ip does. */
	if (n->nft_table && table_start(&nft, n->nft_table, err) < 0)
		goto out;
	if (plan_host(host, n, &b, err) < 0 || batch_run(&b, 0, err) < 0)
		goto out;
	for (size_t i = 0; i < n->nr_ns; i++)
		if (setup_inside(n, &n->ns[i], err) < 0 || write_hosts(&n->ns[i], err) < 0)
			goto out;
	ret = 0;
out:
	/* Always reaped; its error counts only when nothing failed before. */
	if (n->nft_table && table_finish(&nft, n->nft_table, "make", ret ? NULL : err) < 0)
		ret = -1;
	prog_release(&nft);
	batch_release(&b);
	if (host >= 0)
		close(host);
	return ret;
}

/* ---- destroy, leftovers, link state ---- */

/* Keep the first error only: later ones are usually its consequences. */
static void keep_first(int *ret, struct strbuf *err, struct strbuf *e)
{
	if (!*ret && e->len && err)
		strbuf_add(err, e->buf, e->len);
	if (e->len)
		*ret = -1;
	strbuf_reset(e);
}

static int table_exists(const char *t)
{
	const char *argv[] = { "nft", "list", "table", "bridge", t, NULL };
	struct prog p = PROG_INIT;
	struct strbuf err = STRBUF_INIT;
	int status = run_prog(&p, argv, NULL, &err);

	prog_release(&p);
	strbuf_release(&err);
	return status == 0;
}

/* Is link `name` one of ours, and of the kind we made it? */
static int is_ours(int host, const struct rt_net *n, const char *name)
{
	if (!strcmp(name, n->bridge))
		return link_is(host, name, "bridge");
	for (size_t i = 0; i < n->nr_ns; i++)
		if (!strcmp(name, n->ns[i].veth))
			return link_is(host, name, "veth");
	return 0;
}

/*
 * May the whole link group go in one line? Only when every link in it is
 * ours, so that a stranger who happens to use the number is never hurt.
 */
static int group_all_ours(int host, const struct rt_net *n, unsigned long group)
{
	char **names;
	size_t nr;
	int any = 0, ours = 1;

	if (list_dir("/sys/class/net", &names, &nr) < 0)
		return 0;
	for (size_t i = 0; i < nr; i++)
		if (group_is(names[i], group)) {
			any = 1;
			ours &= is_ours(host, n, names[i]);
		}
	free_list(names);
	return any && ours;
}

/* Remove link `name` unless the group line does or it is not ours. */
static void plan_link_del(int host, const struct rt_net *n, const char *name, int by_group,
			  struct batch *b, struct strbuf *e)
{
	if (!link_index(host, name) || (by_group && group_is(name, link_group(n->bridge))))
		return;
	if (is_ours(host, n, name))
		batch_add(b, xasprintf("cannot remove link '%s'", name), "link del %s", name);
	else if (!e->len)
		fail(e, "not removing link '%s': it is not a %s", name,
		     strcmp(name, n->bridge) ? "veth" : "bridge");
}

/*
 * Removal lines for what exists: the links first (a veth takes its peer
 * inside the namespace with it), then the namespaces. Links of another
 * kind under our names are reported, not removed.
 */
static void plan_destroy(int host, const struct rt_net *n, struct batch *b, struct strbuf *e)
{
	unsigned long group = link_group(n->bridge);
	int by_group = group_all_ours(host, n, group);

	if (by_group)
		batch_add(b, xasprintf("cannot remove the links of bridge '%s'", n->bridge),
			  "link del group %lu", group);
	for (size_t i = 0; i < n->nr_ns; i++)
		plan_link_del(host, n, n->ns[i].veth, by_group, b, e);
	plan_link_del(host, n, n->bridge, by_group, b, e);
	for (size_t i = 0; i < n->nr_ns; i++)
		if (netns_state(n->ns[i].name) != NS_MISSING)
			batch_add(b, xasprintf("cannot remove network namespace '%s'", n->ns[i].name),
				  "netns del %s", n->ns[i].name);
}

int rt_net_destroy(const struct rt_net *n, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	struct batch b = BATCH_INIT;
	struct prog nft = PROG_INIT;
	int host, ret = 0;

	if (check_names(n, err) < 0 || (host = host_socket(err)) < 0)
		return -1;
	/* No nft means no nftables tables to remove. As in create, it runs alongside. */
	if (n->nft_table && has_prog("nft")) {
		char *script = xasprintf("add table bridge %s\ndelete table bridge %s\n",
					 n->nft_table, n->nft_table);

		nft_start(&nft, script, &e);
		keep_first(&ret, err, &e);
		free(script);
	}
	plan_destroy(host, n, &b, &e);
	keep_first(&ret, err, &e);
	batch_run(&b, 1, &e);
	keep_first(&ret, err, &e);
	for (size_t i = 0; i < n->nr_ns; i++) {
		char *dir = xasprintf("%s/%s", NETNS_ETC_DIR, n->ns[i].name);

		if (rm_rf(dir) < 0)
			fail(&e, "cannot remove '%s': %s", dir, strerror(errno));
		keep_first(&ret, err, &e);
		free(dir);
	}
	if (n->nft_table)
		table_finish(&nft, n->nft_table, "remove", &e);
	keep_first(&ret, err, &e);
	prog_release(&nft);
	batch_release(&b);
	strbuf_release(&e);
	close(host);
	return ret;
}

int rt_net_leftovers(const struct rt_net *n, struct strbuf *what)
{
	size_t before = what->len;
	int host;

	/* We never make links or namespaces under such names. */
	if (check_names(n, NULL) < 0)
		return 0;
	host = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (size_t i = 0; i < n->nr_ns; i++) {
		char *dir = xasprintf("%s/%s", NETNS_ETC_DIR, n->ns[i].name);

		if (netns_state(n->ns[i].name) != NS_MISSING)
			strbuf_addf(what, "network namespace '%s'\n", n->ns[i].name);
		if (host >= 0 && link_index(host, n->ns[i].veth))
			strbuf_addf(what, "link '%s'\n", n->ns[i].veth);
		if (is_dir(dir))
			strbuf_addf(what, "directory '%s'\n", dir);
		free(dir);
	}
	if (host >= 0 && link_index(host, n->bridge))
		strbuf_addf(what, "bridge '%s'\n", n->bridge);
	if (n->nft_table && table_exists(n->nft_table))
		strbuf_addf(what, "nftables table 'bridge %s'\n", n->nft_table);
	if (host >= 0)
		close(host);
	return what->len > before;
}

int rt_net_set_link(const struct rt_net *n, const char *ns_name, int up, struct strbuf *err)
{
	const struct rt_ns *ns = NULL;
	int host, ret = 0;

	for (size_t i = 0; i < n->nr_ns && !ns; i++)
		if (!strcmp(n->ns[i].name, ns_name))
			ns = &n->ns[i];
	if (!ns)
		return fail(err, "no network namespace '%s' in this environment", ns_name);
	if (check_name("veth", ns->veth, RT_IFNAME_MAX, err) < 0 || (host = host_socket(err)) < 0)
		return -1;
	if (link_set_up(host, ns->veth, up) < 0)
		ret = fail(err, "cannot %s veth '%s' of '%s': %s", up ? "bring up" : "take down",
			   ns->veth, ns_name, strerror(errno));
	close(host);
	return ret;
}

void rt_net_release(struct rt_net *n)
{
	for (size_t i = 0; i < n->nr_ns; i++) {
		free(n->ns[i].name);
		free(n->ns[i].veth);
		free(n->ns[i].addr);
		free(n->ns[i].hosts);
		free(n->ns[i].region);
	}
	free(n->ns);
	free(n->bridge);
	free(n->bridge_addr);
	free(n->nft_table);
	memset(n, 0, sizeof(*n));
}
