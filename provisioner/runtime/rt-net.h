/*
 * The local runtime's network: one network namespace per region plus one
 * for the gateway, each joined by a veth pair to one Linux bridge in the
 * host namespace.
 *
 * The host has an address on the bridge, so the host (the supervisor, a
 * CI runner, curl) reaches every namespace directly on-link. The
 * namespaces get no default route: nothing inside can reach anything
 * outside the environment's subnet, which is the isolation (no ip_forward,
 * no NAT). One nftables table of family bridge per environment holds an
 * empty base chain "forward" where chaos experiments add rules that drop
 * frames between two bridge ports (a partition).
 *
 * Everything here is made with `ip` and `nft` run without a shell, and
 * with a few direct system calls inside the namespaces; nothing prints.
 * All functions need the privileges rt_net_available() checks for.
 */
#ifndef PROVISIONER_RT_NET_H
#define PROVISIONER_RT_NET_H

#include <stddef.h>

#include "ydecode.h"

struct strbuf;

/* The longest interface name the kernel accepts (IFNAMSIZ - 1). */
#define RT_IFNAME_MAX 15

/* The first line of every namespace's hosts file, then the environment's name: whose it is. */
#define RT_HOSTS_HEADER "# written by provisioner for environment "

struct rt_ns {
	char *name;	/* namespace name as `ip netns` lists it: "pv-obs-main-primary" */
	char *veth;	/* host end of its veth pair, on the bridge: "pv7n1" */
	char *addr;	/* IPv4 address of its "eth0" (the peer end): "10.213.7.11" */
	char *hosts;	/* content for /etc/netns/<name>/hosts, or NULL for none */
	char *region;	/* the region key it is for ("gateway" for the gateway's), or NULL */
};

/*
 * An environment's network as data. The addresses of the bridge and of
 * every namespace must lie in one subnet of `prefix` bits. rt_net_release()
 * frees the strings and the array; the struct itself is the caller's.
 *
 * It is also state.json's "net" (rt-state.h): `ns_list` is the same array
 * as `ns` and `nr_ns`, in the form lib/ydecode decodes lists into.
 */
struct rt_net {
	char *bridge;		/* bridge in the host namespace: "pv7br" */
	char *bridge_addr;	/* the host's address on it: "10.213.7.1" */
	int prefix;		/* subnet prefix length: 24 */
	char *nft_table;	/* nftables table (family bridge): "pv_7", or NULL */
	union {
		struct {
			struct rt_ns *ns;
			size_t nr_ns;
		};
		struct yarray ns_list;
	};
};

/*
 * 1 if this process can make namespaces: CAP_SYS_ADMIN and CAP_NET_ADMIN
 * (root), `ip` and `nft` installed, /run/netns usable and a namespace can
 * actually be made (containers may forbid it). Otherwise 0 with the reason
 * in `why` (may be NULL).
 */
int rt_net_available(struct strbuf *why);

/*
 * Does any IPv4 address or (main table, non-default) route of the host
 * overlap `cidr` ("10.213.7.0/24")? 1 yes, 0 no, -1 error (`err` may be
 * NULL). Used to pick a free subnet.
 */
int rt_net_subnet_in_use(const char *cidr, struct strbuf *err);

/*
 * Check names and addresses without touching anything: interface names
 * of 1 to 15 characters from [A-Za-z0-9_.-], namespace names likewise up
 * to 255, addresses inside the subnet, nothing named twice. 0, or -1 with
 * the first problem in `err`. rt_net_create() calls it first.
 */
int rt_net_check(const struct rt_net *n, struct strbuf *err);

/*
 * Make the network exactly as `n` describes it: namespaces with lo up
 * and "eth0" up with its address, veth host ends up on the bridge, the
 * bridge up with bridge_addr (and no other IPv4 address), the hosts files,
 * and the nftables table with an empty "forward" chain (an existing table
 * is replaced, so rules added by chaos experiments are gone).
 *
 * Idempotent: what exists and is right is reused, what is wrong (a veth
 * whose peer is elsewhere, a leftover file in /run/netns) is replaced, so
 * running it twice, or again after a crash halfway, is fine.
 *
 * Returns 0, or -1 with `err` naming the step and the command's own
 * message ("cannot add veth 'pv7n1': RTNETLINK answers: File exists").
 * It does not clean up after a failure: the caller calls rt_net_destroy().
 */
int rt_net_create(const struct rt_net *n, struct strbuf *err);

/*
 * Remove whatever exists of it: veths, namespaces, the bridge,
 * /etc/netns/<name> directories, the nftables table. What is already gone
 * is fine. Keeps going past a failure and reports the first; 0 or -1.
 * Processes inside the namespaces are the caller's to kill first (a
 * namespace with processes in it lives on, unnamed, until they exit).
 */
int rt_net_destroy(const struct rt_net *n, struct strbuf *err);

/*
 * Take the host end of namespace `ns_name`'s veth down (up = 0) or up
 * (up = 1): a region outage, for failover tests and drills. 0 or -1.
 */
int rt_net_set_link(const struct rt_net *n, const char *ns_name, int up, struct strbuf *err);

/*
 * Does anything of it still exist? Appends one line per leftover to `what`
 * ("network namespace 'pv-x-primary'\n") and returns 1 if there was any,
 * 0 if none. For tests and gc.
 */
int rt_net_leftovers(const struct rt_net *n, struct strbuf *what);

/* Free the strings and the array; the struct is left zeroed. */
void rt_net_release(struct rt_net *n);

#endif
