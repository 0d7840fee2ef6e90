/*
 * Tests of provisioner/runtime/rt-net.c against the real kernel: namespaces, veths,
 * a bridge and an nftables table are made, used, broken and removed, and
 * every claim is also checked independently with `ip`, `nft` and /etc.
 *
 * Needs root (skips with the reason otherwise). Every name carries the
 * test's pid, the subnet is a free one from 10.213.240.0/24 up, and all
 * that was made is removed at the end whatever failed on the way.
 */
#include "clock.h"
#include "fsutil.h"
#include "rt-addr.h"
#include "rt-net.h"
#include "strbuf.h"
#include "tap.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT 7001

static const char *const keys[] = { "gw", "primary", "secondary" };
static struct rt_net net;
static int subnet;
static pid_t listeners[8];
static size_t nr_listeners;

/* ---- helpers ---- */

static int sh(struct strbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run a shell command; its stdout (and stderr) into `out`; its exit status. */
static int sh(struct strbuf *out, const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	char buf[4096];
	size_t n;
	va_list ap;
	FILE *f;
	int status;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	strbuf_addstr(&cmd, " 2>&1");
	strbuf_reset(out);
	f = popen(cmd.buf, "r");
	strbuf_release(&cmd);
	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(out, buf, n);
	status = pclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* How many lines of `text` start with `word` followed by a blank or the end? */
static int count_lines(const char *text, const char *word)
{
	size_t len = strlen(word);
	int n = 0;

	for (const char *l = text; *l; ) {
		const char *nl = strchrnul(l, '\n');

		if (!strncmp(l, word, len) && (l[len] == ' ' || l + len == nl))
			n++;
		l = *nl ? nl + 1 : nl;
	}
	return n;
}

static int count_str(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int enter_ns(const char *name)
{
	char *path = xasprintf("/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	free(path);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/*
 * Connect to addr:port within `ms`; 1 if connected, 0 if not (errno
 * says why, ETIMEDOUT for silence).
 */
static int connect_ok(const char *addr, int port, int ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
	socklen_t len = sizeof(e);
	struct pollfd p;

	if (fd < 0)
		return 0;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		e = errno;
		goto out;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, ms) != 1)
		e = ETIMEDOUT;
	else
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
out:
	close(fd);
	errno = e;
	return e == 0;
}

/* connect_ok() retried until it succeeds or `ms` have passed. */
static int connect_within(const char *addr, int port, int ms)
{
	double end = clock_ms() + ms;

	do {
		if (connect_ok(addr, port, 200))
			return 1;
		usleep(20000);
	} while (clock_ms() < end);
	return 0;
}

/* connect_ok() from inside namespace `ns`; the errno of the failure in *e. */
static int connect_from(const char *ns, const char *addr, int port, int ms, int *e)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (enter_ns(ns) < 0)
			_exit(255);
		_exit(connect_ok(addr, port, ms) ? 0 : errno & 0x7f);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 0;
	*e = WEXITSTATUS(status);
	return *e == 0;
}

/* A TCP listener on addr:port inside `ns`, as a child killed at clean-up. */
static int listen_in(const char *ns, const char *addr, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int p[2], one = 1;
	char c = 0;
	pid_t pid;

	if (pipe(p) < 0 || nr_listeners == sizeof(listeners) / sizeof(listeners[0]))
		return -1;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	pid = fork();
	if (pid == 0) {
		int fd;

		close(p[0]);
		if (enter_ns(ns) < 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;) {
			int c2 = accept(fd, NULL, NULL);

			if (c2 >= 0)
				close(c2);
		}
	}
	close(p[1]);
	if (pid > 0)
		listeners[nr_listeners++] = pid;
	if (pid < 0 || read(p[0], &c, 1) != 1)
		c = 0;
	close(p[0]);
	return c == 'x' ? 0 : -1;
}

static void stop_listeners(void)
{
	for (size_t i = 0; i < nr_listeners; i++) {
		kill(listeners[i], SIGKILL);
		waitpid(listeners[i], NULL, 0);
	}
	nr_listeners = 0;
}

static char *hosts_for(int sub)
{
	static const char *const names[] = { "gw", "primary", "secondary" };
	struct strbuf h = STRBUF_INIT;

	strbuf_addstr(&h, "127.0.0.1 localhost\n");
	for (int i = 0; i < 3; i++) {
		char *addr = rt_addr(1, sub, RT_HOST_REGION + i);

		strbuf_addf(&h, "%s %s\n", addr, names[i]);
		free(addr);
	}
	return strbuf_detach(&h, NULL);
}

static void net_init(struct rt_net *n, int sub)
{
	int pid = (int)getpid();

	memset(n, 0, sizeof(*n));
	n->bridge = xasprintf("pt%db", pid);
	n->bridge_addr = rt_addr(1, sub, RT_HOST_BRIDGE);
	n->prefix = RT_PREFIX;
	n->nft_table = xasprintf("pvt_%d", pid);
	n->nr_ns = 3;
	n->ns = xcalloc(n->nr_ns, sizeof(*n->ns));
	for (size_t i = 0; i < n->nr_ns; i++) {
		n->ns[i].name = xasprintf("pvt-%d-%s", pid, keys[i]);
		n->ns[i].veth = xasprintf("pt%dn%zu", pid, i);
		n->ns[i].addr = rt_addr(1, sub, RT_HOST_REGION + (int)i);
		n->ns[i].hosts = hosts_for(sub);
	}
}

/* ---- checks ---- */

static void check_refused(struct rt_net *n, char **field, const char *bad, const char *want,
			  const char *what)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	char *saved = *field;
	int made, ret;

	*field = xstrdup(bad);
	ret = rt_net_create(n, &err);
	tap_ok(ret < 0 && strstr(err.buf, want) && strstr(err.buf, bad), "%s is refused: %s", what,
	       err.buf);
	made = sh(&out, "ip link show dev %s", n->bridge) == 0;
	sh(&out, "ip netns list");
	for (size_t i = 0; i < n->nr_ns; i++)
		made |= count_lines(out.buf, n->ns[i].name) > 0;
	tap_ok(!made, "... before anything was made");
	free(*field);
	*field = saved;
	strbuf_release(&err);
	strbuf_release(&out);
}

static void test_bad_names(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rt_net n;
	int ret;

	net_init(&n, subnet);
	ret = rt_net_check(&n, &err);
	tap_ok(ret == 0, "the test's net passes rt_net_check %s", err.buf);
	check_refused(&n, &n.ns[1].veth, "pv0123456789abcd", "too long", "a 16-character veth name");
	check_refused(&n, &n.bridge, "pv br", "character", "a bridge name with a blank");
	check_refused(&n, &n.ns[2].name, "pv/x", "character", "a namespace name with '/'");
	check_refused(&n, &n.ns[0].addr, "10.99.0.5", "outside the subnet", "an address outside the subnet");
	check_refused(&n, &n.nft_table, "pv-7", "nftables table name", "an nft table name with '-'");
	check_refused(&n, &n.ns[2].veth, n.ns[0].veth, "used twice", "a veth name used twice");
	rt_net_release(&n);
	strbuf_release(&err);
}

static void test_subnet_in_use(void)
{
	struct strbuf err = STRBUF_INIT;
	int ret;

	tap_is_int(rt_net_subnet_in_use("127.0.0.0/8", &err), 1, "127.0.0.0/8 is in use (lo)");
	tap_is_int(rt_net_subnet_in_use("127.1.0.0/16", &err), 1, "a subnet inside lo's is in use");
	ret = rt_net_subnet_in_use("10.213.7/24", &err);
	tap_ok(ret < 0 && strstr(err.buf, "10.213.7/24"), "a malformed subnet is an error: %s",
	       err.buf);
	strbuf_release(&err);
}

static void check_inside(const struct rt_ns *ns, const char *hosts)
{
	struct strbuf out = STRBUF_INIT;
	char *inet = xasprintf("inet %s/24 ", ns->addr);

	sh(&out, "ip -n %s -4 -o addr show dev eth0", ns->name);
	tap_ok(strstr(out.buf, inet) && count_str(out.buf, " inet ") == 1,
	       "'%s': eth0 has %s and no other IPv4 address", ns->name, ns->addr);
	sh(&out, "ip -n %s -o link show dev eth0", ns->name);
	tap_ok(strstr(out.buf, "state UP") != NULL, "'%s': eth0 is up", ns->name);
	sh(&out, "ip -n %s -o link show dev lo", ns->name);
	tap_ok(strstr(out.buf, ",UP") != NULL, "'%s': lo is up", ns->name);
	tap_ok(sh(&out, "ip -n %s -4 route show default", ns->name) == 0 && !out.len,
	       "'%s': no default route", ns->name);
	sh(&out, "ip netns exec %s cat /etc/hosts", ns->name);
	tap_is_str(out.buf, hosts, "'%s': /etc/hosts inside is the hosts content", ns->name);
	free(inet);
	strbuf_release(&out);
}

/* Everything the net should be, checked with ip and nft rather than the API. */
static void check_made(const char *when)
{
	struct strbuf out = STRBUF_INIT;
	char *inet = xasprintf("inet %s/24 ", net.bridge_addr);

	sh(&out, "ip netns list");
	for (size_t i = 0; i < net.nr_ns; i++)
		tap_is_int(count_lines(out.buf, net.ns[i].name), 1, "%s: 'ip netns list' shows '%s' once",
			   when, net.ns[i].name);
	sh(&out, "ip -4 -o addr show dev %s", net.bridge);
	tap_ok(strstr(out.buf, inet) && count_str(out.buf, " inet ") == 1,
	       "%s: the bridge has %s and no other IPv4 address", when, net.bridge_addr);
	sh(&out, "ip -o link show master %s", net.bridge);
	tap_ok(count_str(out.buf, "\n") == 3 && count_str(out.buf, "state UP") == 3,
	       "%s: three veths on the bridge, all up", when);
	for (size_t i = 0; i < net.nr_ns; i++)
		check_inside(&net.ns[i], net.ns[i].hosts);
	tap_ok(sh(&out, "nft list table bridge %s", net.nft_table) == 0 &&
	       count_str(out.buf, "chain ") == 1 && strstr(out.buf, "chain forward") &&
	       strstr(out.buf, "hook forward") && strstr(out.buf, "policy accept") &&
	       !strstr(out.buf, "drop"),
	       "%s: nft table 'bridge %s' has exactly an empty forward chain", when, net.nft_table);
	free(inet);
	strbuf_release(&out);
}

/* Nothing of `n` is left, by rt_net_leftovers and by ip, nft and /etc. */
static void check_gone(const struct rt_net *n, const char *when)
{
	struct strbuf out = STRBUF_INIT, what = STRBUF_INIT;
	int left = rt_net_leftovers(n, &what);

	tap_ok(left == 0 && !what.len, "%s: no leftovers %s", when, what.buf);
	sh(&out, "ip netns list");
	for (size_t i = 0; i < n->nr_ns; i++)
		left |= count_lines(out.buf, n->ns[i].name) > 0;
	tap_ok(!left, "%s: 'ip netns list' shows none of the namespaces", when);
	left = sh(&out, "ip link show dev %s", n->bridge) == 0;
	for (size_t i = 0; i < n->nr_ns; i++)
		left |= sh(&out, "ip link show dev %s", n->ns[i].veth) == 0;
	tap_ok(!left, "%s: 'ip link show' finds neither the bridge nor a veth", when);
	sh(&out, "nft list tables");
	tap_ok(!count_str(out.buf, n->nft_table), "%s: 'nft list tables' lacks '%s'", when,
	       n->nft_table);
	left = 0;
	for (size_t i = 0; i < n->nr_ns; i++) {
		char *dir = xasprintf("/etc/netns/%s", n->ns[i].name);

		left |= is_dir(dir);
		free(dir);
	}
	tap_ok(!left, "%s: no /etc/netns directories", when);
	strbuf_release(&out);
	strbuf_release(&what);
}

static void check_reach(const char *when)
{
	const char *primary = net.ns[1].addr;
	int e = 0, ok;

	tap_ok(connect_within(primary, PORT, 2000), "%s: the host reaches a listener in '%s'", when,
	       net.ns[1].name);
	ok = connect_from(net.ns[0].name, primary, PORT, 2000, &e);
	tap_ok(ok, "%s: '%s' reaches '%s' (errno %d)", when, net.ns[0].name, net.ns[1].name, e);
	ok = connect_from(net.ns[0].name, "192.0.2.1", PORT, 500, &e);
	tap_ok(!ok && e == ENETUNREACH,
	       "%s: nothing outside the subnet is reachable from a namespace (errno %d)", when, e);
}

/* ---- the scenarios ---- */

static void test_create(void)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	char *cidr = rt_subnet(subnet);
	double t = clock_ms();
	int ret = rt_net_create(&net, &err), e = 0;

	t = clock_ms() - t;
	tap_ok(ret == 0, "create succeeds %s", err.buf);
	tap_diag("create of 3 namespaces took %.1f ms", t);
	check_made("after create");
	tap_is_int(rt_net_subnet_in_use(cidr, NULL), 1, "%s is in use now", cidr);
	tap_ok(listen_in(net.ns[1].name, net.ns[1].addr, PORT) == 0, "a listener runs in '%s'",
	       net.ns[1].name);
	check_reach("after create");

	/* A partition rule in the forward chain cuts namespace from namespace only. */
	sh(&out, "nft add rule bridge %s forward drop", net.nft_table);
	tap_ok(!connect_from(net.ns[0].name, net.ns[1].addr, PORT, 300, &e),
	       "a drop rule in the forward chain partitions '%s' from '%s'", net.ns[0].name,
	       net.ns[1].name);
	tap_ok(connect_ok(net.ns[1].addr, PORT, 1000), "... while the host still reaches it");

	t = clock_ms();
	ret = rt_net_create(&net, &err);
	tap_ok(ret == 0, "create again succeeds %s", err.buf);
	tap_diag("create again (nothing to do) took %.1f ms", clock_ms() - t);
	check_made("after create again");
	check_reach("after create again");
	strbuf_release(&err);
	strbuf_release(&out);
	free(cidr);
}

static void test_set_link(void)
{
	struct strbuf err = STRBUF_INIT;
	const char *addr = net.ns[1].addr;
	int ret;

	ret = rt_net_set_link(&net, net.ns[1].name, 0, &err);
	tap_ok(ret == 0, "set_link down %s", err.buf);
	tap_ok(!connect_ok(addr, PORT, 300), "with its link down '%s' is unreachable from the host",
	       net.ns[1].name);
	ret = rt_net_set_link(&net, net.ns[1].name, 1, &err);
	tap_ok(ret == 0, "set_link up %s", err.buf);
	tap_ok(connect_within(addr, PORT, 3000), "with its link up again '%s' is reachable",
	       net.ns[1].name);
	ret = rt_net_set_link(&net, "pvt-nope", 0, &err);
	tap_ok(ret < 0 && strstr(err.buf, "pvt-nope"),
	       "set_link of an unknown namespace is refused: %s", err.buf);
	strbuf_release(&err);
}

/* hosts NULL means no /etc/netns/<name> at all, also when there was one. */
static void test_no_hosts(void)
{
	struct strbuf err = STRBUF_INIT;
	char *dir = xasprintf("/etc/netns/%s", net.ns[0].name);
	int ret;

	free(net.ns[0].hosts);
	net.ns[0].hosts = NULL;
	ret = rt_net_create(&net, &err);
	tap_ok(ret == 0 && !is_dir(dir), "create with no hosts content removes '%s' %s", dir, err.buf);
	net.ns[0].hosts = hosts_for(subnet);
	free(dir);
	strbuf_release(&err);
}

static void test_destroy(void)
{
	struct strbuf err = STRBUF_INIT;
	char *cidr = rt_subnet(subnet);
	double t;
	int ret;

	stop_listeners();
	t = clock_ms();
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret == 0, "destroy succeeds %s", err.buf);
	tap_diag("destroy of 3 namespaces took %.1f ms", clock_ms() - t);
	check_gone(&net, "after destroy");
	tap_is_int(rt_net_subnet_in_use(cidr, NULL), 0, "%s is free again", cidr);
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret == 0, "destroy again succeeds %s", err.buf);
	strbuf_release(&err);
	free(cidr);
}

/*
 * A crash halfway leaves odd things: the bridge without its address but
 * with a stranger's, one namespace, a veth whose peer is not in its
 * namespace, a /run/netns file without a namespace mounted on it.
 */
static void make_half(int with_strays)
{
	struct strbuf out = STRBUF_INIT;

	sh(&out, "ip link add %s type bridge", net.bridge);
	sh(&out, "ip netns add %s", net.ns[1].name);
	if (!with_strays)
		goto out;
	{
		char *stranger = rt_addr(1, subnet, 99);

		sh(&out, "ip addr add %s/%d dev %s", stranger, RT_PREFIX, net.bridge);
		free(stranger);
	}
	sh(&out, "ip link add %s type veth peer name pt%dz", net.ns[2].veth, (int)getpid());
	sh(&out, "mkdir -p /run/netns && : > /run/netns/%s", net.ns[0].name);
out:
	strbuf_release(&out);
}

static void test_half_made(void)
{
	struct strbuf err = STRBUF_INIT, what = STRBUF_INIT, out = STRBUF_INIT;
	int ret;

	make_half(1);
	ret = rt_net_leftovers(&net, &what);
	tap_ok(ret == 1 && strstr(what.buf, net.bridge), "a half-made net shows as leftovers");
	ret = rt_net_create(&net, &err);
	tap_ok(ret == 0, "create completes a half-made net %s", err.buf);
	check_made("after a half-made net was completed");
	tap_ok(sh(&out, "ip link show dev pt%dz", (int)getpid()) != 0,
	       "the stray veth was replaced, its peer gone with it");
	tap_ok(listen_in(net.ns[1].name, net.ns[1].addr, PORT) == 0, "a listener runs again");
	check_reach("after a half-made net was completed");
	stop_listeners();
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret == 0, "destroy of the completed net %s", err.buf);
	check_gone(&net, "after destroy of the completed net");

	make_half(0);
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret == 0, "destroy of a half-made net (bridge, one namespace) %s", err.buf);
	check_gone(&net, "after destroy of a half-made net");
	strbuf_release(&err);
	strbuf_release(&what);
	strbuf_release(&out);
}

/* A link of another kind under our bridge's name is an error, never removed. */
static void test_stranger(void)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	int pid = (int)getpid(), ret;

	sh(&out, "ip link add %s type veth peer name pt%dy", net.bridge, pid);
	ret = rt_net_create(&net, &err);
	tap_ok(ret < 0 && strstr(err.buf, "not a bridge"), "create refuses a stranger's link: %s",
	       err.buf);
	strbuf_reset(&err);
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret < 0 && strstr(err.buf, "not removing link"), "destroy reports it: %s", err.buf);
	tap_ok(sh(&out, "ip link show dev %s", net.bridge) == 0, "... and leaves it alone");
	sh(&out, "ip link del %s", net.bridge);
	check_gone(&net, "after a stranger's link");
	strbuf_release(&err);
	strbuf_release(&out);
}

/* A step that fails names itself and carries ip's own words. */
static void test_failure_message(void)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	char *path = xasprintf("/run/netns/%s", net.ns[0].name);
	int ret;

	sh(&out, "mkdir -p %s", path);
	ret = rt_net_create(&net, &err);
	tap_ok(ret < 0 && strstr(err.buf, "cannot remove stale network namespace") &&
	       strstr(err.buf, net.ns[0].name) && strstr(err.buf, "directory"),
	       "a failing step is reported with ip's message: %s", err.buf);
	rmdir(path);
	strbuf_reset(&err);
	ret = rt_net_destroy(&net, &err);
	tap_ok(ret == 0, "destroy after a failed create %s", err.buf);
	check_gone(&net, "after destroy of a failed create");
	free(path);
	strbuf_release(&err);
	strbuf_release(&out);
}

static int pick_subnet(void)
{
	for (int i = 240; i < 255; i++) {
		char *cidr = rt_subnet(i);
		int busy = rt_net_subnet_in_use(cidr, NULL) != 0;

		free(cidr);
		if (!busy)
			return i;
	}
	return -1;
}

/* Whatever happened, leave nothing behind. */
static void clean_up(void)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	stop_listeners();
	if (rt_net_destroy(&net, &err) < 0)
		tap_diag("clean-up: %s", err.buf);
	sh(&out, "{ ip link del pt%dz; ip link del pt%dy; }", (int)getpid(), (int)getpid());
	rt_net_release(&net);
	strbuf_release(&err);
	strbuf_release(&out);
}

int main(void)
{
	struct strbuf why = STRBUF_INIT;

	if (geteuid() != 0)
		strbuf_addstr(&why, "not running as root");
	else if (!rt_net_available(&why))
		; /* why says it */
	else if ((subnet = pick_subnet()) < 0)
		strbuf_addstr(&why, "no free subnet in 10.213.240.0/24 to 10.213.254.0/24");
	if (why.len) {
		tap_skip(why.buf, "network namespace tests");
		strbuf_release(&why);
		return tap_done();
	}
	net_init(&net, subnet);
	tap_diag("using 10.213.%d.0/24, bridge '%s'", subnet, net.bridge);
	test_bad_names();
	test_subnet_in_use();
	test_create();
	test_set_link();
	test_no_hosts();
	test_destroy();
	test_half_made();
	test_stranger();
	test_failure_message();
	clean_up();
	strbuf_release(&why);
	return tap_done();
}
