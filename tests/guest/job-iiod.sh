# SPDX-License-Identifier: GPL-2.0-only
# The fpgacap-iiod job: the server runs in the guest with two pattern
# devices (the second described as an FPGA design's four interleaved
# 16-bit channels) and the target's DMA devices; libiio's clients run on
# the host (tests/iiod/iiod_test.py) through a host-loopback port forward.
# The job ends when the host says it is done (FPGACAP_HOST_DONE), stops the
# server with SIGTERM and prints its JSON summary for the host.
. /net.sh
insmod /lib/modules/fpgacap.ko pattern_devices=2 || rc=1
net_up || echo "# network setup failed"
# QEMU's host forwards connect from 10.0.2.2: the answers go back there.
ip route add 10.0.2.2/32 dev eth0

cat >/tmp/iiod.conf <<'EOF'
# Every device: MSG_ZEROCOPY, whose completions say whether the kernel
# copied; the tests switch modes through the send_mode attribute.
mode zerocopy

[fpgacap1]
name adc
buffer-size 64K
channel voltage0 le:u16/16>>0 name=lane0
channel voltage1 le:u16/16>>0
channel voltage2 le:s12/16>>4 scale=0.5
channel voltage3 le:u16/16>>0 offset=-3
EOF

# Uptime in milliseconds.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

echo "FPGACAP-TEST-BEGIN iiod"
fpgacap-iiod -C /tmp/iiod.conf --stall-timeout 2 --max-clients 8 --json \
	>/tmp/iiod.json 2>/tmp/iiod.err &
pid=$!
n=0
tap() {	# tap OK|FAIL NAME
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

# IPv6 where the kernel has it: the server listens on [::] for both.
sleep 1
if [ -e /proc/net/if_inet6 ]; then
	ip link set lo up
	reply=$(printf 'VERSION\r\n' | nc ::1 30431 | head -1 | tr -d '\r')
	case $reply in
	0.24.fpgacap) tap OK "IPv6: [::1]:30431 answers VERSION" ;;
	*) tap FAIL "IPv6: [::1]:30431 answers VERSION (got '$reply')" ;;
	esac
else
	n=$((n + 1))
	echo "ok $n IPv6 # SKIP this kernel has no IPv6"
fi

# The host runs its clients; its answer ends the wait.
if [ -n "$FPGACAP_HOST_DONE" ]; then
	nc "${FPGACAP_HOST_DONE%:*}" "${FPGACAP_HOST_DONE#*:}" </dev/null
fi
if kill -0 $pid 2>/dev/null; then
	tap OK "fpgacap-iiod served until the host was done"
else
	tap FAIL "fpgacap-iiod served until the host was done"
fi
t0=$(now_ms)
kill -TERM $pid
wait $pid
status=$?
t1=$(now_ms)
ms=$((t1 - t0))
[ $ms -lt 1000 ] && tap OK "SIGTERM stopped it in $ms ms" ||
	tap FAIL "SIGTERM stopped it in $ms ms (limit 1000)"
[ $status = 0 ] && tap OK "exit status 0" || tap FAIL "exit status $status"
if grep -q '"stopped_by":"SIGTERM"' /tmp/iiod.json &&
	grep -q '"threads_left":0' /tmp/iiod.json; then
	tap OK "JSON summary: stopped by SIGTERM, every connection ended"
else
	tap FAIL "JSON summary: stopped by SIGTERM, every connection ended"
fi
sed 's/^/# /' /tmp/iiod.err
echo "1..$n"
echo "FPGACAP-TEST-END iiod rc=0"
echo "FPGACAP-IIOD-JSON-BEGIN"
cat /tmp/iiod.json
echo "FPGACAP-IIOD-JSON-END"
# Nothing may hold the device any more.
rmmod fpgacap || rc=1
