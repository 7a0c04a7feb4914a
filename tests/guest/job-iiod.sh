# SPDX-License-Identifier: GPL-2.0-only
# The fpgacap-iiod job: the server runs in the guest with four pattern
# devices (the counter; an FPGA design's four interleaved 16-bit channels;
# three 16-bit channels, 6-byte samples that straddle pool buffers; one for
# the checks run here) and the target's DMA devices; libiio's clients run
# on the host (tests/iiod/iiod_test.py) through a host-loopback port
# forward. Here, with tests/iiod/iiod_peer.c: a client that vanishes after
# OPEN, and the server's attribute latency without the emulator's network
# in the way. The job ends when the host says it is done
# (FPGACAP_HOST_DONE), stops the server with SIGTERM and prints its JSON
# summary for the host.
. /net.sh
# Test-only DMA providers first (x86: fpgacap-testdma, a slave engine
# with a settable rate), so that their devices bind before the driver's.
for m in /lib/modules/test/fpgacap-testdma.ko; do
	[ -f "$m" ] || continue
	insmod "$m" || { echo "# insmod $m failed"; rc=1; }
done
insmod /lib/modules/fpgacap.ko pattern_devices=4 || rc=1
# The test engine delivers 800 kB/s: the rate its device measures is
# 100000 samples/s (8-byte samples).
ratefile=/sys/kernel/debug/fpgacap-testdma/chan0/rate
[ ! -w $ratefile ] || echo 800000 >$ratefile
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

[fpgacap2]
name tri
buffer-size 64K
channel voltage0 le:u16/16>>0
channel voltage1 le:u16/16>>0
channel voltage2 le:u16/16>>0

[fpgacap3]
name guest
buffer-size 16K
EOF
# A DMA source has no clock: the design's rate is declared.
if [ -e /dev/fpgacap-memcpy ]; then
	printf '\n[fpgacap-memcpy]\nsampling-frequency 250000\n' >>/tmp/iiod.conf
fi

# Uptime in milliseconds.
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

echo "FPGACAP-TEST-BEGIN iiod"
fpgacap-iiod -C /tmp/iiod.conf --stall-timeout 2 --max-clients 8 \
	--command-timeout 3 --keepalive 2 --json \
	>/tmp/iiod.json 2>/tmp/iiod.err &
pid=$!
n=0
tap() {	# tap OK|FAIL NAME
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
# An attribute through a connection of its own.
attr() {	# attr DEVICE NAME
	printf 'READ %s %s\r\nEXIT\r\n' "$1" "$2" | nc 127.0.0.1 30431 |
		tr -d '\r\000' | sed -n 2p
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
ip link set lo up

# A client that vanishes after OPEN (no FIN, no reset): keepalive (2 s
# idle, probes 1 s apart) finds it and its device is freed.
if command -v iiod_peer >/dev/null; then
	t0=$(now_ms)
	if iiod_peer vanish 30431 guest 00000001; then
		state=$(attr guest state)
		i=0
		while [ "$state" != idle ] && [ $i -lt 100 ]; do
			sleep 0.2
			i=$((i + 1))
			state=$(attr guest state)
		done
		ms=$(( $(now_ms) - t0 ))
		last=$(attr guest last_session)
		echo "# $last"
		case $state/$last in
		idle/*"ended_by=the client left"*)
			tap OK "a client that vanished after OPEN: its device free after $ms ms (keepalive 2 s)" ;;
		*)
			tap FAIL "a client that vanished after OPEN: state $state after $ms ms" ;;
		esac
	else
		tap FAIL "a client that vanished after OPEN: OPEN failed"
	fi
	# The server's own reply time, without QEMU's user network.
	lat=$(iiod_peer latency 30431 guest sample_size 500)
	echo "# attribute reads in the guest over loopback: $lat"
	med=${lat#median_us=}
	med=${med%% *}
	if [ -n "$med" ] && [ "$med" -lt 20000 ] 2>/dev/null; then
		tap OK "attribute reads over loopback: median $med us"
	else
		tap FAIL "attribute reads over loopback: median '$med' us (limit 20000)"
	fi
else
	n=$((n + 2))
	echo "ok $((n - 1)) vanished client # SKIP no iiod_peer in this guest"
	echo "ok $n loopback latency # SKIP no iiod_peer in this guest"
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
for m in /lib/modules/test/fpgacap-testdma.ko; do
	[ -f "$m" ] || continue
	rmmod fpgacap_testdma || rc=1
done
