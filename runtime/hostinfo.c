/* hostinfo.c — reading the host's limits (see hostinfo.h).
 *
 * The neighbour table is the one limit that fails quietly: gc_thresh3
 * bounds the IPv4 neighbour entries of every namespace together and cannot
 * be raised from inside one, and an entry the kernel refuses is a packet
 * dropped with "neighbour table overflow" — a fault nobody asked for. So
 * `plan` says so before apply. */
#include "runtime/hostinfo.h"

#include <stdlib.h>

int hostinfo_sysctl(const char *key, unsigned long long *out)
{
	const char *root = getenv("ASPEN_TEST_PROCSYS");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root && *root ? root : "/proc/sys", key);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int n = fscanf(f, "%llu", out);
	fclose(f);
	return n == 1 ? 0 : -1;
}

unsigned long long hostinfo_mem_available(void)
{
	const char *path = getenv("ASPEN_TEST_MEMINFO");
	FILE *f = fopen(path && *path ? path : "/proc/meminfo", "re");
	char line[128];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib * 1024;
}

int hostinfo_neigh_warn(FILE *f, const char *who, unsigned long long need)
{
	unsigned long long t2, t3, fit2, fit3;
	hostlim_neigh_fit(need, &fit2, &fit3);
	int n = 0;
	if (hostinfo_sysctl("net/ipv4/neigh/default/gc_thresh3", &t3) == 0 && need > t3) {
		fprintf(f, "%s: warning: the nodes may need %llu neighbour (ARP) entries, more than "
			"net.ipv4.neigh.default.gc_thresh3 = %llu, the bound of the host's one table "
			"for every namespace: beyond it packets are dropped (\"neighbour table "
			"overflow\"); set net.ipv4.neigh.default.gc_thresh3=%llu and gc_thresh2=%llu "
			"on the host (sysctl -w), or use smaller networks\n",
			who, need, t3, fit3, fit2);
		n++;
	} else if (hostinfo_sysctl("net/ipv4/neigh/default/gc_thresh2", &t2) == 0 && need > t2) {
		fprintf(f, "%s: warning: the nodes may need %llu neighbour (ARP) entries, more than "
			"net.ipv4.neigh.default.gc_thresh2 = %llu: the kernel then evicts entries "
			"after 5 s and nodes re-resolve their peers; set "
			"net.ipv4.neigh.default.gc_thresh2=%llu (and gc_thresh3=%llu) on the host\n",
			who, need, t2, fit2, fit3);
		n++;
	}
	return n;
}
