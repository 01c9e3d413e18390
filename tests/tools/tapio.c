/* tapio.c — be a VM's guest on a TAP, and count what arrives, for the e2e
 * tests of faults on VM nodes (tests/e2e/fault_vmrate.sh).
 *
 *   tapio send TAP SRC_MAC DST_MAC SRC_IP DST_IP PORT BURSTS FRAMES GAP_MS
 *   tapio recv IP PORT IDLE_MS
 *
 * send opens TAP the way a VMM does (TUNSETIFF on /dev/net/tun: the TAP must
 * exist and no VMM may hold it) and writes BURSTS bursts of FRAMES UDP
 * frames (1000 bytes of payload, 1042 on the wire) back to back, GAP_MS
 * apart: each one is a frame the guest sends, so it enters the host as the
 * TAP's ingress, which is where aspen shapes a VM's egress. It prints
 * "START_NS FRAMES WIRE_BYTES": CLOCK_MONOTONIC before the first write,
 * and what it wrote.
 *
 * recv binds a UDP socket on IP:PORT (run it inside the receiving node's
 * namespace), prints "ready" on stderr, and reads until IDLE_MS pass with
 * nothing (30 s for the first datagram). It prints "FRAMES WIRE_BYTES
 * LAST_NS": the datagrams counted as frames on the wire (payload + 42), and
 * CLOCK_MONOTONIC when the last one was read — never before it arrived, so
 * LAST_NS - START_NS can only over-estimate how long the data took. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 1000
#define HDRS (14 + 20 + 8)

static unsigned long long tapio_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int tapio_mac(const char *s, unsigned char m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (unsigned char)v[i];
	return 0;
}

static uint16_t tapio_csum(const unsigned char *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int tapio_send(char **a)
{
	unsigned char f[HDRS + PAYLOAD] = {0};
	struct in_addr src, dst;
	int bursts = atoi(a[6]), frames = atoi(a[7]), gap_ms = atoi(a[8]);
	if (tapio_mac(a[1], f + 6) < 0 || tapio_mac(a[2], f) < 0 || inet_pton(AF_INET, a[3], &src) != 1 ||
	    inet_pton(AF_INET, a[4], &dst) != 1 || bursts <= 0 || frames <= 0 || gap_ms < 0) {
		fprintf(stderr, "tapio send: bad arguments\n");
		return 64;
	}
	f[12] = 0x08;                           /* IPv4 */
	unsigned char *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[2] = (20 + 8 + PAYLOAD) >> 8;
	ip[3] = (20 + 8 + PAYLOAD) & 0xff;
	ip[8] = 64;                             /* TTL */
	ip[9] = 17;                             /* UDP */
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint16_t c = tapio_csum(ip, 20);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	int port = atoi(a[5]);
	udp[0] = 0x9c; udp[1] = 0x40;           /* source port 40000 */
	udp[2] = (unsigned char)(port >> 8);
	udp[3] = (unsigned char)port;
	udp[4] = (8 + PAYLOAD) >> 8;
	udp[5] = (8 + PAYLOAD) & 0xff;          /* checksum 0: none (IPv4) */
	memset(udp + 8, 'x', PAYLOAD);

	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", a[0]);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tapio send: open TAP %s: %s\n", a[0], strerror(errno));
		return 1;
	}
	/* The bridge port follows the TAP's carrier, which comes with the fd. */
	usleep(100000);
	unsigned long long t0 = tapio_now_ns(), n = 0;
	for (int b = 0; b < bursts; b++) {
		if (b)
			usleep((useconds_t)gap_ms * 1000);
		for (int k = 0; k < frames; k++, n++)
			if (write(fd, f, sizeof(f)) != (ssize_t)sizeof(f)) {
				fprintf(stderr, "tapio send: write: %s\n", strerror(errno));
				return 1;
			}
	}
	close(fd);
	printf("%llu %llu %llu\n", t0, n, n * sizeof(f));
	return 0;
}

static int tapio_recv(char **a)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(a[1]))};
	int idle = atoi(a[2]), buf = 4 << 20;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || inet_pton(AF_INET, a[0], &sa.sin_addr) != 1 ||
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "tapio recv: %s:%s: %s\n", a[0], a[1], strerror(errno));
		return 1;
	}
	fprintf(stderr, "ready\n");
	unsigned long long n = 0, bytes = 0, last = 0;
	char d[65536];
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		int r = poll(&p, 1, n ? idle : 30000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t k = recv(s, d, sizeof(d), 0);
		if (k < 0)
			continue;
		last = tapio_now_ns();
		n++;
		bytes += (unsigned long long)k + HDRS;
	}
	printf("%llu %llu %llu\n", n, bytes, last);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 11 && strcmp(argv[1], "send") == 0)
		return tapio_send(argv + 2);
	if (argc == 5 && strcmp(argv[1], "recv") == 0)
		return tapio_recv(argv + 2);
	fprintf(stderr, "usage: tapio send TAP SRC_MAC DST_MAC SRC_IP DST_IP PORT BURSTS FRAMES GAP_MS\n"
		"       tapio recv IP PORT IDLE_MS\n");
	return 64;
}
