# SPDX-License-Identifier: GPL-2.0-only
# Sourced by jobs that need the host sink: eth0 reaches 10.0.2.100 only.
# QEMU forwards that address (restrict=on, guestfwd) to a sink on the
# host's 127.0.0.1; there is no default route and no other address.
net_up() {
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip link set lo up
	ip link set eth0 up || return 1
	ip addr add 10.0.2.15/32 dev eth0
	ip route add 10.0.2.100/32 dev eth0
}

# The datagram NIC (targets with udp_nic): QEMU sends its frames to a sink
# on the host's 127.0.0.1 and never delivers anything to it. It is found
# by its MAC; it reaches 10.0.3.100 and fd00:fc::100 only, through static
# neighbour entries (nothing answers ARP there). The IPv6 neighbour entry
# needs netlink, which busybox lacks: the programs add it themselves.
# Sets FPGACAP_UDP_IF.
udp_net_up() {
	local i=0 d
	FPGACAP_UDP_IF=
	while [ -z "$FPGACAP_UDP_IF" ] && [ $i -lt 50 ]; do
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address" 2>/dev/null)" = 52:54:00:fc:00:02 ] &&
				FPGACAP_UDP_IF=${d##*/}
		done
		[ -n "$FPGACAP_UDP_IF" ] || sleep 0.1
		i=$((i + 1))
	done
	[ -n "$FPGACAP_UDP_IF" ] || return 1
	export FPGACAP_UDP_IF
	ip link set "$FPGACAP_UDP_IF" up || return 1
	ip addr add 10.0.3.15/32 dev "$FPGACAP_UDP_IF"
	ip route add 10.0.3.100/32 dev "$FPGACAP_UDP_IF"
	arp -i "$FPGACAP_UDP_IF" -s 10.0.3.100 52:54:00:fc:00:01
	if [ -d /proc/sys/net/ipv6/conf/"$FPGACAP_UDP_IF" ]; then
		echo 0 >/proc/sys/net/ipv6/conf/"$FPGACAP_UDP_IF"/accept_dad
		ip -6 addr add fd00:fc::15/128 dev "$FPGACAP_UDP_IF"
		ip -6 route add fd00:fc::100/128 dev "$FPGACAP_UDP_IF"
	fi
	# Until the link is up the qdisc drops every frame (e1000 takes a
	# few seconds): a stream sent right after boot would vanish whole.
	i=0
	while [ "$(cat /sys/class/net/"$FPGACAP_UDP_IF"/carrier 2>/dev/null)" != 1 ] &&
	      [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(cat /sys/class/net/"$FPGACAP_UDP_IF"/carrier 2>/dev/null)" = 1 ]
}
