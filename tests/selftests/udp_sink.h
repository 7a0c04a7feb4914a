/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's datagram NIC and the host's datagram sink (tests/run-guest.sh,
 * tests/guest/net.sh udp_net_up), shared by udp_e2e_test and
 * framed_e2e_test: the peer's addresses and neighbour entries, the sink's
 * control connection and verdict, and what the NIC and the memory say
 * about zero-copy.
 *
 * Needs FPGACAP_UDP_SINK (the control port) and FPGACAP_UDP_IF (the NIC),
 * which reaches 10.0.3.100 and fd00:fc::100 through static neighbour
 * entries; the IPv6 one is added here, over netlink (busybox cannot).
 */
#ifndef FPGACAP_UDP_SINK_H
#define FPGACAP_UDP_SINK_H

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include "fpgacap_test.h"

#define UDP_PORT 5000
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xfc, 0x00, 0x01 };

static inline bool expect_zerocopy(void)
{
	const char *e = getenv("FPGACAP_EXPECT_ZEROCOPY");

	return e && !strcmp(e, "1");
}

/*
 * Whether the datagram NIC's emulation completes the checksum Linux leaves
 * to the NIC (CHECKSUM_PARTIAL) for @family. QEMU 7.2's cadence_gem model
 * (driver macb) does for IPv4 only: its IPv6 frames arrive with the zero
 * that macb leaves in the UDP checksum for the hardware, which the sink
 * counts apart (frames_csum_unfilled) and whose payload it still checks
 * byte by byte.
 */
static inline bool nic_fills_checksum(int family)
{
	const char *ifname = getenv("FPGACAP_UDP_IF");
	char path[128], link[256];
	ssize_t n;

	if (family != AF_INET6 || !ifname)
		return true;
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver", ifname);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return true;
	link[n] = 0;
	return strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
		      "macb") != 0;
}

/*
 * Whether a zero-copy send can go out uncopied: a NIC without
 * NETIF_F_HIGHDMA (the Zynq-7000's GEM) copies a frame with any piece in
 * highmem, and the library's datagram headers are ordinary user memory,
 * highmem or not (docs/library.md). With highmem present only the
 * completions are counted, not required to be zero-copy.
 */
static inline bool no_highmem(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[128];

	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HighTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb == 0;
}

/* The datagram NIC's static IPv6 neighbour (NUD_PERMANENT). */
static inline int add_neigh6(const char *ifname, const char *addr)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
		char attrs[64];
	} req = { 0 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct rtattr *rta;
	struct in6_addr a;
	char ack[256];
	int fd, ret;

	if (inet_pton(AF_INET6, addr, &a) != 1)
		return -EINVAL;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.nd));
	req.nh.nlmsg_type = RTM_NEWNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE |
			     NLM_F_ACK;
	req.nd.ndm_family = AF_INET6;
	req.nd.ndm_ifindex = (int)if_nametoindex(ifname);
	req.nd.ndm_state = NUD_PERMANENT;
	if (!req.nd.ndm_ifindex)
		return -ENODEV;
	rta = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	rta->rta_type = NDA_DST;
	rta->rta_len = RTA_LENGTH(sizeof(a));
	memcpy(RTA_DATA(rta), &a, sizeof(a));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
	rta = (struct rtattr *)((char *)&req + req.nh.nlmsg_len);
	rta->rta_type = NDA_LLADDR;
	rta->rta_len = RTA_LENGTH(sizeof(peer_mac));
	memcpy(RTA_DATA(rta), peer_mac, sizeof(peer_mac));
	req.nh.nlmsg_len += RTA_ALIGN(rta->rta_len);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	ret = sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
		     sizeof(sa)) < 0 ? -errno : 0;
	if (!ret && recv(fd, ack, sizeof(ack), 0) >= (ssize_t)NLMSG_LENGTH(
		    sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)ack;

		if (h->nlmsg_type == NLMSG_ERROR)
			ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	close(fd);
	return ret;
}

/* Port of FPGACAP_UDP_SINK, the control connection (0 if unset). */
static inline int control_port(void)
{
	const char *s = getenv("FPGACAP_UDP_SINK"), *colon;

	colon = s ? strrchr(s, ':') : NULL;
	return colon ? atoi(colon + 1) : 0;
}

/* The control connection, once its sink said FPGACAP-READY. */
static inline int control_open(void)
{
	char line[64];
	size_t got = 0;
	int fd = sink_connect(control_port());

	if (fd < 0)
		return fd;
	while (got + 1 < sizeof(line)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 60000) <= 0)
			break;
		n = read(fd, line + got, 1);
		if (n <= 0)
			break;
		if (line[got++] == '\n')
			break;
	}
	line[got] = 0;
	if (strcmp(line, "FPGACAP-READY\n")) {
		close(fd);
		return -EPROTO;
	}
	return fd;
}

static inline uint64_t field(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : UINT64_MAX;
}

/* A UDP socket of @family connected to the sink's datagram port. */
static inline int udp_sink_socket(int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(UDP_PORT) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(UDP_PORT) };
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET6, "fd00:fc::100", &a6.sin6_addr);
	inet_pton(AF_INET, "10.0.3.100", &a4.sin_addr);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6 ?
	    connect(fd, (struct sockaddr *)&a6, sizeof(a6)) :
	    connect(fd, (struct sockaddr *)&a4, sizeof(a4))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

#endif /* FPGACAP_UDP_SINK_H */
