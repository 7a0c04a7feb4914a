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
