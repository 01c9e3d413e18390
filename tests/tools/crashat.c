/* crashat.c — run a command under ptrace, number its mutating system calls
 * in one global sequence, and SIGKILL it on entry to the Nth (the crash
 * matrix, tests/crash/matrix.sh; method in docs/crash-matrix.md).
 *
 *   crashat [-l FILE] [-k N | -p POINT] [-o] -- CMD ARGS...
 *
 *   -l FILE  write one line per mutating call: "N<TAB>POINT<TAB>tid", POINT
 *            being "SYSCALL:DETAIL#K" (see ca_occurrence), e.g.
 *            "sendmsg:RTM_NEWLINK,as-c3n-lan#1", "rename:/run/...owner.tmp#1"
 *   -k N     crash at the Nth mutating call of the run, or
 *   -p POINT crash at the call named POINT: on entry to the call, SIGKILL
 *            every process of the command that is still the command's code
 *            (itself, and children between fork and exec: ca_kill_all); the
 *            call never runs
 *   -o       kill only the process that makes the call (strace's
 *            signal=KILL): a child dies, the command goes on and sees it
 *
 * Exit: the command's status (128+signal when a signal ended it); with -k,
 * 137 after the kill, 125 when the command made fewer than N mutating calls
 * (it then ran to its end: "point not reached").
 *
 * Why not `strace -f -e inject=SYS:signal=KILL:when=N`: strace counts
 * invocations per syscall and per tracee, so with threads (namespace
 * workers, the journal's closer, VM workers) and forked children "the Nth
 * sendmsg" names several calls, and the children that exec node commands
 * stay traced: `when=3` on openat would kill every `sleep` at its third
 * openat. It also cannot tell a netlink dump request from RTM_NEWLINK, or a
 * read-only open from O_CREAT. Here the counter is global (ptrace stops are
 * serialised through this one tracer), arguments are decoded, and a child
 * is detached as soon as it execs something other than the command itself.
 *
 * What counts as mutating is the table in classify(); everything else
 * (reads, dumps, GET requests, probes, writes to stdout/stderr/pipes,
 * thread creation) is not numbered. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_THREAD
#define CLONE_THREAD 0x00010000
#endif
#define TUN_IOCTL_TYPE 'T'   /* TUNSETIFF, TUNSETPERSIST, ... are _IOW('T', 200..) */
#define TUN_IOCTL_FIRST 200

static FILE *ca_list;
static unsigned long ca_count, ca_kill_at;
static pid_t ca_root;
static bool ca_killed;
static const char *ca_kill_point;
static bool ca_only_caller;
static char ca_root_exe[PATH_MAX];

/* Read len bytes of the tracee's memory; 0, or -1. */
static int ca_peek(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
	return process_vm_readv(tid, &l, 1, &r, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* A NUL-terminated string of the tracee, byte runs up to page ends. */
static void ca_peek_str(pid_t tid, uint64_t addr, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	while (n + 1 < cap) {
		size_t chunk = 4096 - ((addr + n) & 4095);
		if (chunk > cap - 1 - n)
			chunk = cap - 1 - n;
		if (ca_peek(tid, addr + n, out + n, chunk) < 0)
			break;
		out[n + chunk] = 0;
		if (memchr(out + n, 0, chunk))
			return;
		n += chunk;
	}
	out[n] = 0;
}

static pid_t ca_tgid(pid_t tid)
{
	char p[64], line[256];
	snprintf(p, sizeof p, "/proc/%d/status", tid);
	FILE *f = fopen(p, "r");
	pid_t tg = tid;
	if (!f)
		return tid;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Tgid: %d", &tg) == 1)
			break;
	fclose(f);
	return tg;
}

/* mkdir of a directory that exists changes nothing (aspen's mkdir -p
 * before every journal save): not a crash point of its own. Absolute paths
 * are resolved in the tracee's root. */
static bool ca_exists(pid_t tid, const char *path)
{
	char p[PATH_MAX + 32];
	struct stat st;
	if (path[0] != '/')
		return false;
	snprintf(p, sizeof p, "/proc/%d/root%s", tid, path);
	return stat(p, &st) == 0;
}

/* Has tid already made an execve we numbered? execvp tries each PATH
 * entry in turn; the first attempt stands for all of them. A tid that
 * execs and is detached is never seen again, so a short ring suffices. */
static bool ca_exec_seen(pid_t tid)
{
	static pid_t ring[256];
	static unsigned next;
	for (unsigned i = 0; i < 256; i++)
		if (ring[i] == tid)
			return true;
	ring[next++ % 256] = tid;
	return false;
}

enum fdkind { FD_SKIP, FD_FILE, FD_NETLINK, FD_UNIX, FD_OTHER_SOCK };

/* What the tracee's fd is: a copy through pidfd_getfd, then fstat and
 * SO_DOMAIN. path gets the file's path or the netlink protocol. */
static enum fdkind ca_fd(pid_t tid, int fd, int *proto, char *path, size_t cap)
{
	path[0] = 0;
	if (fd <= 2)
		return FD_SKIP;   /* the command's own output, not system state */
	int pfd = pidfd_open(ca_tgid(tid), 0);
	if (pfd < 0)
		return FD_SKIP;
	int my = pidfd_getfd(pfd, fd, 0);
	close(pfd);
	if (my < 0)
		return FD_SKIP;
	enum fdkind k = FD_SKIP;
	struct stat st;
	if (fstat(my, &st) == 0) {
		if (S_ISSOCK(st.st_mode)) {
			int dom = 0;
			socklen_t l = sizeof dom;
			getsockopt(my, SOL_SOCKET, SO_DOMAIN, &dom, &l);
			l = sizeof *proto;
			getsockopt(my, SOL_SOCKET, SO_PROTOCOL, proto, &l);
			k = dom == AF_NETLINK ? FD_NETLINK : dom == AF_UNIX ? FD_UNIX : FD_OTHER_SOCK;
		} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
			char p[64];
			snprintf(p, sizeof p, "/proc/self/fd/%d", my);
			ssize_t n = readlink(p, path, cap - 1);
			path[n > 0 ? n : 0] = 0;
			/* An O_TMPFILE file reads "DIR/#INODE (deleted)": its inode
			 * changes from run to run, so name it "DIR/(tmpfile)". */
			char *b = strrchr(path, '/');
			size_t pl = strlen(path), dl = strlen(" (deleted)");
			if (b && b[1] == '#' && pl > dl && !strcmp(path + pl - dl, " (deleted)"))
				snprintf(b + 1, cap - (size_t)(b + 1 - path), "(tmpfile)");
			k = FD_FILE;
		}
		/* pipes, FIFOs, character devices (tty, /dev/null): not state */
	}
	close(my);
	return k;
}

/* The first bytes of what a send/write call sends: its buffer, or the
 * first iovec of an iovec array / msghdr. Returns the bytes read (at most
 * len, zero-filled after), or -1. */
static ssize_t ca_payload(pid_t tid, long nr, const uint64_t *a, void *buf, size_t len)
{
	uint64_t base = 0, iov_addr = 0, n = len;
	if (nr == SYS_sendto || nr == SYS_write || nr == SYS_pwrite64) {
		base = a[1];
		n = a[2];
	} else if (nr == SYS_writev || nr == SYS_pwritev)
		iov_addr = a[1];
	else if (nr == SYS_sendmsg) {
		struct msghdr m;
		if (ca_peek(tid, a[1], &m, sizeof m) < 0 || m.msg_iovlen == 0)
			return -1;
		iov_addr = (uintptr_t)m.msg_iov;
	} else if (nr == SYS_sendmmsg) {
		struct mmsghdr m;
		if (ca_peek(tid, a[1], &m, sizeof m) < 0 || m.msg_hdr.msg_iovlen == 0)
			return -1;
		iov_addr = (uintptr_t)m.msg_hdr.msg_iov;
	}
	if (iov_addr) {
		struct iovec v;
		if (ca_peek(tid, iov_addr, &v, sizeof v) < 0)
			return -1;
		base = (uintptr_t)v.iov_base;
		n = v.iov_len;
	}
	if (n > len)
		n = len;
	memset(buf, 0, len);
	return base && ca_peek(tid, base, buf, n) == 0 ? (ssize_t)n : -1;
}

static const char *ca_rtm_name(unsigned t)
{
	static const char *n[] = {
		[RTM_NEWLINK] = "RTM_NEWLINK", [RTM_DELLINK] = "RTM_DELLINK",
		[RTM_SETLINK] = "RTM_SETLINK", [RTM_NEWADDR] = "RTM_NEWADDR",
		[RTM_DELADDR] = "RTM_DELADDR", [RTM_NEWROUTE] = "RTM_NEWROUTE",
		[RTM_DELROUTE] = "RTM_DELROUTE", [RTM_NEWNEIGH] = "RTM_NEWNEIGH",
		[RTM_DELNEIGH] = "RTM_DELNEIGH", [RTM_NEWQDISC] = "RTM_NEWQDISC",
		[RTM_DELQDISC] = "RTM_DELQDISC", [RTM_NEWTCLASS] = "RTM_NEWTCLASS",
		[RTM_DELTCLASS] = "RTM_DELTCLASS", [RTM_NEWTFILTER] = "RTM_NEWTFILTER",
		[RTM_DELTFILTER] = "RTM_DELTFILTER",
	};
	return t < sizeof n / sizeof n[0] && n[t] ? n[t] : NULL;
}

/* Append ",VALUE" for the attributes that name what an rtnetlink request
 * acts on (link name, address, route, qdisc kind): never an ifindex or a
 * pid, so a point's name is the same in every run. */
static void ca_rtattrs(const unsigned char *msg, size_t len, unsigned type, char *d, size_t cap)
{
	size_t fixed;
	int family = AF_UNSPEC;
	unsigned plen = 0;
	switch (type) {
	case RTM_NEWLINK: case RTM_DELLINK: case RTM_SETLINK:
		fixed = sizeof(struct ifinfomsg);
		break;
	case RTM_NEWADDR: case RTM_DELADDR: {
		const struct ifaddrmsg *m = (const void *)(msg + NLMSG_HDRLEN);
		family = m->ifa_family, plen = m->ifa_prefixlen;
		fixed = sizeof *m;
		break;
	}
	case RTM_NEWROUTE: case RTM_DELROUTE: {
		const struct rtmsg *m = (const void *)(msg + NLMSG_HDRLEN);
		family = m->rtm_family, plen = m->rtm_dst_len;
		fixed = sizeof *m;
		break;
	}
	case RTM_NEWQDISC: case RTM_DELQDISC: case RTM_NEWTCLASS: case RTM_DELTCLASS:
	case RTM_NEWTFILTER: case RTM_DELTFILTER:
		fixed = sizeof(struct tcmsg);
		break;
	default:
		return;
	}
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
	const struct nlmsghdr *h = (const void *)msg;
	if (h->nlmsg_len < len)
		len = h->nlmsg_len;
	while (off + sizeof(struct rtattr) <= len) {
		const struct rtattr *ra = (const void *)(msg + off);
		if (ra->rta_len < sizeof *ra || off + ra->rta_len > len)
			break;
		const void *v = RTA_DATA(ra);
		size_t vl = RTA_PAYLOAD(ra), used = strlen(d);
		char addr[INET6_ADDRSTRLEN] = "";
		bool is_link = type == RTM_NEWLINK || type == RTM_DELLINK || type == RTM_SETLINK;
		bool is_tc = type >= RTM_NEWQDISC && type <= RTM_DELTFILTER;
		if ((is_link && ra->rta_type == IFLA_IFNAME) || (is_tc && ra->rta_type == TCA_KIND))
			snprintf(d + used, cap - used, ",%.*s", (int)strnlen(v, vl), (const char *)v);
		else if (!is_link && !is_tc &&
			 (ra->rta_type == IFA_LOCAL || (type >= RTM_NEWROUTE && ra->rta_type == RTA_GATEWAY)) &&
			 inet_ntop(family, v, addr, sizeof addr))
			snprintf(d + used, cap - used, ",%s%s", type >= RTM_NEWROUTE ? "via" : "", addr);
		else if (!is_link && !is_tc && type >= RTM_NEWROUTE && ra->rta_type == RTA_DST &&
			 inet_ntop(family, v, addr, sizeof addr))
			snprintf(d + used, cap - used, ",%s/%u", addr, plen);
		off += RTA_ALIGN(ra->rta_len);
	}
	if (type == RTM_NEWADDR || type == RTM_DELADDR) {
		size_t used = strlen(d);
		snprintf(d + used, cap - used, "/%u", plen);
	}
}

/* Is a message to this socket a mutation? Netlink: anything but control
 * messages, dumps and GET requests; unix (the VMM's HTTP API): anything but
 * GET/HEAD; IP sockets (health probes): never. */
static bool ca_send_mutates(pid_t tid, long nr, const uint64_t *a, enum fdkind k, int proto,
			    char *detail, size_t cap)
{
	if (k == FD_NETLINK) {
		unsigned char b[1024];
		ssize_t n = ca_payload(tid, nr, a, b, sizeof b);
		if (n < (ssize_t)NLMSG_HDRLEN)
			return false;
		const struct nlmsghdr *h = (const void *)b;
		if (proto == NETLINK_ROUTE) {
			if (h->nlmsg_type < NLMSG_MIN_TYPE || (h->nlmsg_type & 3) == 2 ||
			    (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP)
				return false;
			const char *name = ca_rtm_name(h->nlmsg_type);
			if (name)
				snprintf(detail, cap, "%s", name);
			else
				snprintf(detail, cap, "rtnl%u", h->nlmsg_type);
			ca_rtattrs(b, (size_t)n, h->nlmsg_type, detail, cap);
			return true;
		}
		if (proto == NETLINK_NETFILTER) {
			if (h->nlmsg_type != NFNL_MSG_BATCH_BEGIN)
				return false;   /* single nf_tables messages outside a batch: GETs */
			/* The batch's first real message: its type and table. */
			snprintf(detail, cap, "nft");
			size_t off = NLMSG_ALIGN(h->nlmsg_len);
			const struct nlmsghdr *m = (const void *)(b + off);
			if (off + NLMSG_HDRLEN + 4 + sizeof(struct nlattr) <= (size_t)n) {
				const struct nlattr *na = (const void *)(b + off + NLMSG_HDRLEN + 4);
				const unsigned char *fam = b + off + NLMSG_HDRLEN;
				snprintf(detail, cap, "nft,msg%u,family%u", m->nlmsg_type & 0xff, fam[0]);
				size_t vl = na->nla_len > sizeof *na ? na->nla_len - sizeof *na : 0;
				size_t at = off + NLMSG_HDRLEN + 4 + sizeof *na;
				if ((na->nla_type & NLA_TYPE_MASK) == 1 && at + vl <= (size_t)n) {
					size_t used = strlen(detail);
					snprintf(detail + used, cap - used, ",%.*s",
						 (int)strnlen((const char *)b + at, vl), (const char *)b + at);
				}
			}
			return true;
		}
		snprintf(detail, cap, "netlink%d,type%u", proto, h->nlmsg_type);
		return (h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP;
	}
	if (k == FD_UNIX) {
		char b[64];
		if (ca_payload(tid, nr, a, b, sizeof b - 1) < 0)
			return false;
		b[sizeof b - 1] = 0;
		if (!strncmp(b, "GET ", 4) || !strncmp(b, "HEAD ", 5))
			return false;
		b[strcspn(b, "\r\n")] = 0;
		char *sp = strchr(b, ' ');
		if (sp)
			*sp = ',';
		sp = strchr(b, ' ');
		if (sp)
			*sp = 0;   /* drop " HTTP/1.1" */
		snprintf(detail, cap, "%s", b);
		return true;
	}
	return false;
}

/* Name and detail of a mutating call, or NULL when the call mutates
 * nothing. a[] are the raw arguments at syscall entry. */
static const char *classify(pid_t tid, long nr, const uint64_t *a, char *d, size_t cap)
{
	int proto = -1;
	d[0] = 0;
	switch (nr) {
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: {
		enum fdkind k = ca_fd(tid, (int)a[0], &proto, d, cap);
		if (k == FD_FILE)
			break;
		if (k == FD_SKIP || k == FD_OTHER_SOCK || !ca_send_mutates(tid, nr, a, k, proto, d, cap))
			return NULL;
		break;
	}
	case SYS_fsync: case SYS_fdatasync: case SYS_ftruncate:
		if (ca_fd(tid, (int)a[0], &proto, d, cap) != FD_FILE)
			return NULL;
		break;
#ifdef SYS_open
	case SYS_open: case SYS_creat:
		if (nr == SYS_open && !(a[1] & (O_CREAT | O_TRUNC)))
			return NULL;
		ca_peek_str(tid, a[0], d, cap);
		break;
#endif
	case SYS_openat:
		if (!(a[2] & (O_CREAT | O_TRUNC)) && (a[2] & O_TMPFILE) != O_TMPFILE)
			return NULL;
		ca_peek_str(tid, a[1], d, cap);
		break;
#ifdef SYS_mkdir
	case SYS_mkdir:
		ca_peek_str(tid, a[0], d, cap);
		if (ca_exists(tid, d))
			return NULL;
		break;
	case SYS_rmdir: case SYS_unlink: case SYS_rename: case SYS_truncate:
	case SYS_chmod: case SYS_symlink: case SYS_link:
		ca_peek_str(tid, nr == SYS_symlink || nr == SYS_link ? a[1] : a[0], d, cap);
		break;
#endif
	case SYS_mkdirat:
		ca_peek_str(tid, a[1], d, cap);
		if (ca_exists(tid, d))
			return NULL;
		break;
	case SYS_unlinkat: case SYS_renameat: case SYS_renameat2: case SYS_fchmodat:
		ca_peek_str(tid, a[1], d, cap);
		break;
	case SYS_linkat:        /* the name made: the source may be /proc/self/fd/N */
		ca_peek_str(tid, a[3], d, cap);
		break;
	case SYS_symlinkat:
		ca_peek_str(tid, a[2], d, cap);
		break;
	case SYS_fchmod:
		if (ca_fd(tid, (int)a[0], &proto, d, cap) != FD_FILE)
			return NULL;
		break;
	case SYS_mount:
		ca_peek_str(tid, a[1], d, cap);
		break;
	case SYS_umount2:
		ca_peek_str(tid, a[0], d, cap);
		break;
	case SYS_unshare:
		snprintf(d, cap, "%#llx", (unsigned long long)a[0]);
		break;
	case SYS_setns:
		snprintf(d, cap, "%#llx", (unsigned long long)a[1]);
		break;
	case SYS_sethostname:
		break;
	case SYS_clone:
		if (a[0] & CLONE_THREAD)
			return NULL;   /* a thread changes nothing; its calls are counted */
		break;
	case SYS_clone3: {
		uint64_t flags = 0;
		if (ca_peek(tid, a[0], &flags, sizeof flags) == 0 && (flags & CLONE_THREAD))
			return NULL;
		break;
	}
#ifdef SYS_fork
	case SYS_fork: case SYS_vfork:
		break;
#endif
	case SYS_execve: case SYS_execveat:
		if (ca_exec_seen(tid))
			return NULL;   /* execvp trying the next PATH entry: one point is enough */
		ca_peek_str(tid, nr == SYS_execve ? a[0] : a[1], d, cap);
		break;
	case SYS_kill:
		if (a[1] == 0)
			return NULL;   /* kill(pid, 0): a probe */
		snprintf(d, cap, "%s%llu", (int)a[0] < 0 ? "group,sig" : "sig", (unsigned long long)a[1]);
		break;
	case SYS_pidfd_send_signal:
		if (a[1] == 0)
			return NULL;
		snprintf(d, cap, "sig%llu", (unsigned long long)a[1]);
		break;
	case SYS_tgkill:
		if (a[2] == 0 || (pid_t)a[0] == ca_tgid(tid))
			return NULL;   /* raise/pthread_kill inside the command */
		snprintf(d, cap, "sig%llu", (unsigned long long)a[2]);
		break;
	case SYS_ioctl:
		if (((a[1] >> 8) & 0xff) != TUN_IOCTL_TYPE || (a[1] & 0xff) < TUN_IOCTL_FIRST)
			return NULL;   /* 'T' 1..: terminal ioctls (isatty) */
		snprintf(d, cap, "%#llx", (unsigned long long)a[1]);
		break;
	default:
		return NULL;
	}
	/* The kernel's name for the call, for lines a human reads. */
	switch (nr) {
	case SYS_sendto: return "sendto";
	case SYS_sendmsg: return "sendmsg";
	case SYS_sendmmsg: return "sendmmsg";
	case SYS_write: return "write";
	case SYS_writev: return "writev";
	case SYS_pwrite64: return "pwrite64";
	case SYS_pwritev: return "pwritev";
	case SYS_fsync: return "fsync";
	case SYS_fdatasync: return "fdatasync";
	case SYS_ftruncate: return "ftruncate";
#ifdef SYS_open
	case SYS_open: return "open";
	case SYS_creat: return "creat";
	case SYS_mkdir: return "mkdir";
	case SYS_rmdir: return "rmdir";
	case SYS_unlink: return "unlink";
	case SYS_rename: return "rename";
	case SYS_truncate: return "truncate";
	case SYS_chmod: return "chmod";
	case SYS_symlink: return "symlink";
	case SYS_link: return "link";
	case SYS_fork: return "fork";
	case SYS_vfork: return "vfork";
#endif
	case SYS_openat: return "openat";
	case SYS_mkdirat: return "mkdirat";
	case SYS_unlinkat: return "unlinkat";
	case SYS_renameat: return "renameat";
	case SYS_renameat2: return "renameat2";
	case SYS_fchmodat: return "fchmodat";
	case SYS_linkat: return "linkat";
	case SYS_symlinkat: return "symlinkat";
	case SYS_fchmod: return "fchmod";
	case SYS_mount: return "mount";
	case SYS_umount2: return "umount2";
	case SYS_unshare: return "unshare";
	case SYS_setns: return "setns";
	case SYS_sethostname: return "sethostname";
	case SYS_clone: return "clone";
	case SYS_clone3: return "clone3";
	case SYS_execve: return "execve";
	case SYS_execveat: return "execveat";
	case SYS_kill: return "kill";
	case SYS_pidfd_send_signal: return "pidfd_send_signal";
	case SYS_tgkill: return "tgkill";
	case SYS_ioctl: return "ioctl";
	}
	return "?";
}

/* Every traced thread: the command and its children that have not exec'd
 * another program yet, i.e. all of the command's own code. */
static pid_t *ca_tids;
static size_t ca_ntids, ca_captids;

static void ca_track(pid_t tid, bool live)
{
	for (size_t i = 0; i < ca_ntids; i++)
		if (ca_tids[i] == tid) {
			if (!live)
				ca_tids[i] = ca_tids[--ca_ntids];
			return;
		}
	if (!live)
		return;
	if (ca_ntids == ca_captids) {
		ca_captids = ca_captids ? 2 * ca_captids : 64;
		ca_tids = realloc(ca_tids, ca_captids * sizeof *ca_tids);
		if (!ca_tids) {
			perror("crashat");
			exit(2);
		}
	}
	ca_tids[ca_ntids++] = tid;
}

/* The crash: all of the command's processes die at this instant, as when
 * its cgroup or session is killed. A child between fork and exec is the
 * command's code too; killing only the main process would let it finish
 * steps (a pidfile, an exec) the crash should have cut. Programs the
 * command already exec'd (node processes, VMMs) live on, as they would. */
static void ca_kill_all(void)
{
	kill(ca_root, SIGKILL);
	for (size_t i = 0; i < ca_ntids; i++)
		kill(ca_tgid(ca_tids[i]), SIGKILL);
	ca_killed = true;
}

/* A point's name: "SYSCALL:DETAIL#K", K counting the calls with the same
 * "SYSCALL:DETAIL" so far. Threads interleave differently from run to run,
 * which moves a call's global index but not its name: the harness names
 * points this way, and a point names the same call in every run. Spaces
 * become commas and mkstemp's random suffix ".tmp.XXXXXX" becomes ".tmp.*". */
static unsigned long ca_occurrence(const char *sig)
{
	static char **seen;
	static unsigned long *counts;
	static size_t n, cap;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(seen[i], sig))
			return ++counts[i];
	if (n == cap) {
		cap = cap ? 2 * cap : 256;
		seen = realloc(seen, cap * sizeof *seen);
		counts = realloc(counts, cap * sizeof *counts);
		if (!seen || !counts) {
			perror("crashat");
			exit(2);
		}
	}
	seen[n] = strdup(sig);
	counts[n] = 1;
	return counts[n++];
}

static void ca_normalise(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			*p = ',';
	char *t = strstr(s, ".tmp.");
	if (t && strlen(t + 5) == 6)
		strcpy(t + 5, "*");
}

/* A syscall-entry stop of tid: number the call if it mutates; kill at the
 * chosen one. */
static void ca_entry(pid_t tid, const struct __ptrace_syscall_info *si)
{
	char detail[512], sig[600];
	const char *name = classify(tid, (long)si->entry.nr, si->entry.args, detail, sizeof detail);
	if (!name)
		return;
	ca_count++;
	snprintf(sig, sizeof sig, "%s:%s", name, detail);
	ca_normalise(sig);
	unsigned long k = ca_occurrence(sig);
	size_t used = strlen(sig);
	snprintf(sig + used, sizeof sig - used, "#%lu", k);
	if (ca_list) {
		fprintf(ca_list, "%lu\t%s\t%d\n", ca_count, sig, tid);
		fflush(ca_list);
	}
	if (ca_count != ca_kill_at && !(ca_kill_point && !strcmp(sig, ca_kill_point)))
		return;
	fprintf(stderr, "crashat: SIGKILL at call %lu, point %s (tid %d)\n", ca_count, sig, tid);
	if (ca_only_caller) {
		kill(ca_tgid(tid), SIGKILL);
		ca_killed = true;
	} else
		ca_kill_all();
}

static bool ca_same_exe(pid_t tid)
{
	char p[64], exe[PATH_MAX];
	snprintf(p, sizeof p, "/proc/%d/exe", tid);
	ssize_t n = readlink(p, exe, sizeof exe - 1);
	if (n < 0)
		return false;
	exe[n] = 0;
	return !strcmp(exe, ca_root_exe);
}

static int usage(void)
{
	fprintf(stderr, "usage: crashat [-l FILE] [-k N | -p SYSCALL:DETAIL#K] [-o] -- CMD ARGS...\n");
	return 2;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "+l:k:p:o")) != -1) {
		if (opt == 'l') {
			ca_list = fopen(optarg, "w");
			if (!ca_list) {
				fprintf(stderr, "crashat: %s: %s\n", optarg, strerror(errno));
				return 2;
			}
		} else if (opt == 'k') {
			ca_kill_at = strtoul(optarg, NULL, 10);
			if (!ca_kill_at)
				return usage();
		} else if (opt == 'p')
			ca_kill_point = optarg;
		else if (opt == 'o')
			ca_only_caller = true;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();

	ca_root = fork();
	if (ca_root < 0) {
		perror("crashat: fork");
		return 2;
	}
	if (ca_root == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "crashat: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	int st;
	if (waitpid(ca_root, &st, 0) != ca_root || !WIFSTOPPED(st)) {
		fprintf(stderr, "crashat: child did not stop\n");
		return 2;
	}
	ptrace(PTRACE_SETOPTIONS, ca_root, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
			      PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
	ptrace(PTRACE_SYSCALL, ca_root, NULL, NULL);

	/* Nothing is numbered before the command itself runs (its first exec). */
	bool started = false;
	int root_status = 0;
	for (;;) {
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;   /* ECHILD: no tracee left */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			ca_track(tid, false);
			if (tid == ca_root)
				root_status = st;
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		ca_track(tid, true);
		int sig = WSTOPSIG(st), event = st >> 16, inject = 0;
		if (sig == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;
			if (started && !ca_killed &&
			    ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof si, &si) > 0 &&
			    si.op == PTRACE_SYSCALL_INFO_ENTRY)
				ca_entry(tid, &si);
		} else if (event == PTRACE_EVENT_EXEC) {
			if (tid == ca_root && !started) {
				char p[64];
				snprintf(p, sizeof p, "/proc/%d/exe", tid);
				ssize_t n = readlink(p, ca_root_exe, sizeof ca_root_exe - 1);
				ca_root_exe[n > 0 ? n : 0] = 0;
				started = true;
			} else if (!ca_same_exe(tid)) {
				/* A node command or the user's: not ours to number or kill. */
				ptrace(PTRACE_DETACH, tid, NULL, NULL);
				ca_track(tid, false);
				continue;
			}
		} else if (event) {
			/* fork/clone/vfork events: the new tracee reports on its own. */
		} else if (sig == SIGSTOP || sig == SIGTRAP) {
			/* a new tracee's first stop, or the exec trap */
		} else
			inject = sig;
		ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)inject);
	}
	if (ca_list)
		fclose(ca_list);
	if (ca_killed)
		return 137;
	if (ca_kill_at || ca_kill_point) {
		if (ca_kill_point)
			fprintf(stderr, "crashat: point %s not reached (%lu mutating calls)\n",
				ca_kill_point, ca_count);
		else
			fprintf(stderr, "crashat: call %lu not reached (%lu mutating calls)\n",
				ca_kill_at, ca_count);
		return 125;
	}
	if (WIFSIGNALED(root_status))
		return 128 + WTERMSIG(root_status);
	return WEXITSTATUS(root_status);
}
